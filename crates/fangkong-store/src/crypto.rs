//! Encryption at rest of personal data: AES-256-GCM for values, HMAC-SHA256 blind indexes
//! for exact lookup.
//!
//! Two keys are derived from one 32-byte master key (kept in `<data>/master.key` or given in
//! `FANGKONG_MASTER_KEY`): one encrypts, one keys the blind index, so a leaked index key
//! reveals nothing by itself. Each ciphertext is bound to its column by the AEAD associated
//! data, so a value copied into another column does not decrypt.

use std::io::Write as _;
use std::path::Path;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::StoreError;

type HmacSha256 = Hmac<Sha256>;

/// Format byte of every ciphertext: `0x01 || nonce (12) || ciphertext+tag`.
const CIPHER_VERSION: u8 = 1;

/// The instance master key.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

/// Why a master key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("master key must be 32 bytes as 64 hex characters or base64, found {0} bytes")]
    Length(usize),
    #[error("master key is neither hex nor base64")]
    Encoding,
    #[error("reading or writing key file {path}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl MasterKey {
    /// A fresh random key.
    pub fn generate() -> MasterKey {
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        MasterKey(key)
    }

    /// Parses a key given as 64 hex characters or standard base64 of 32 bytes.
    ///
    /// # Errors
    /// Wrong encoding or length.
    pub fn parse(text: &str) -> Result<MasterKey, KeyError> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(text).map_err(|_| KeyError::Encoding)?
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|_| KeyError::Encoding)?
        };
        let key: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| KeyError::Length(bytes.len()))?;
        Ok(MasterKey(key))
    }

    /// Reads the key file at `path`, creating it (mode 0600, hex) with a fresh key if missing.
    ///
    /// # Errors
    /// IO failure or a malformed file.
    pub fn load_or_create(path: &Path) -> Result<MasterKey, KeyError> {
        let io = |source| KeyError::Io {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => MasterKey::parse(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = MasterKey::generate();
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt as _;
                    options.mode(0o600);
                }
                let mut file = options.open(path).map_err(io)?;
                writeln!(file, "{}", hex::encode(key.0)).map_err(io)?;
                file.sync_all().map_err(io)?;
                Ok(key)
            }
            Err(e) => Err(io(e)),
        }
    }
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

/// Encrypts, decrypts and blind-indexes values under keys derived from the master key.
pub struct Crypto {
    cipher: Aes256Gcm,
    /// HMAC keyed with the index key, cloned for each index: keying hashes the key's two
    /// padded blocks, as much work again as indexing a short value.
    index_mac: HmacSha256,
    /// HMAC keyed for signing links handed out to people (personal health-check links).
    link_mac: HmacSha256,
}

fn derive(master: &MasterKey, label: &str) -> [u8; 32] {
    // HMAC as a PRF for key derivation (RFC 5869 HKDF-Expand with a single block).
    let mut mac =
        <HmacSha256 as Mac>::new_from_slice(&master.0).expect("HMAC accepts any key length");
    mac.update(label.as_bytes());
    mac.update(&[1]);
    mac.finalize().into_bytes().into()
}

impl Crypto {
    /// Derives the encryption and index keys from the master key.
    #[allow(clippy::expect_used)]
    pub fn new(master: &MasterKey) -> Crypto {
        let enc = derive(master, "fangkong/encryption/v1");
        Crypto {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&enc)),
            index_mac: <HmacSha256 as Mac>::new_from_slice(&derive(
                master,
                "fangkong/blind-index/v1",
            ))
            .expect("HMAC accepts any key length"),
            link_mac: <HmacSha256 as Mac>::new_from_slice(&derive(master, "fangkong/links/v1"))
                .expect("HMAC accepts any key length"),
        }
    }

    /// The signature of `message` under the link key (32 bytes).
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let mut mac = self.link_mac.clone();
        mac.update(message);
        mac.finalize().into_bytes().to_vec()
    }

    /// Whether `signature` is the signature of `message`, compared in constant time.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let mut mac = self.link_mac.clone();
        mac.update(message);
        mac.verify_slice(signature).is_ok()
    }

    /// Encrypts `plaintext` for the column `label` (e.g. `persons.document`).
    #[allow(clippy::expect_used)]
    pub fn encrypt(&self, label: &str, plaintext: &[u8]) -> Vec<u8> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ciphertext = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: label.as_bytes(),
                },
            )
            .expect("AES-GCM encryption fails only for inputs over 64 GiB");
        let mut out = Vec::with_capacity(1 + nonce.len() + ciphertext.len());
        out.push(CIPHER_VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        out
    }

    /// Decrypts a value written by [`Crypto::encrypt`] for the same `label`.
    ///
    /// # Errors
    /// `Corrupt` when the format, key or label do not match.
    pub fn decrypt(&self, label: &str, data: &[u8]) -> Result<Vec<u8>, StoreError> {
        if data.len() < 1 + 12 + 16 || data[0] != CIPHER_VERSION {
            return Err(StoreError::Corrupt(format!(
                "{label}: unknown cipher format"
            )));
        }
        let nonce = Nonce::from_slice(&data[1..13]);
        self.cipher
            .decrypt(
                nonce,
                Payload {
                    msg: &data[13..],
                    aad: label.as_bytes(),
                },
            )
            .map_err(|_| StoreError::Corrupt(format!("{label}: authentication failed")))
    }

    /// Decrypts to text.
    ///
    /// # Errors
    /// As [`Crypto::decrypt`], or when the plaintext is not UTF-8.
    pub fn decrypt_text(&self, label: &str, data: &[u8]) -> Result<String, StoreError> {
        String::from_utf8(self.decrypt(label, data)?)
            .map_err(|_| StoreError::Corrupt(format!("{label}: not UTF-8")))
    }

    /// The keyed blind index of `text` for `label`: equal inputs give equal indexes, and
    /// nothing about the input can be learnt without the key.
    pub fn blind_index(&self, label: &str, text: &str) -> Vec<u8> {
        let mut mac = self.index_mac.clone();
        mac.update(label.as_bytes());
        mac.update(&[0]);
        mac.update(text.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_column_binding() {
        let crypto = Crypto::new(&MasterKey::generate());
        let ct = crypto.encrypt("persons.document", b"410102199003071230");
        assert_ne!(&ct[13..31], b"410102199003071230");
        assert_eq!(
            crypto.decrypt_text("persons.document", &ct).unwrap(),
            "410102199003071230"
        );
        assert!(crypto.decrypt("persons.phone", &ct).is_err());
        let other = Crypto::new(&MasterKey::generate());
        assert!(other.decrypt("persons.document", &ct).is_err());
        // Same plaintext, different nonces.
        assert_ne!(
            ct,
            crypto.encrypt("persons.document", b"410102199003071230")
        );
    }

    #[test]
    fn blind_index_is_deterministic_and_keyed() {
        let key = MasterKey::generate();
        let a = Crypto::new(&key);
        let b = Crypto::new(&key);
        assert_eq!(a.blind_index("p", "x"), b.blind_index("p", "x"));
        assert_ne!(a.blind_index("p", "x"), a.blind_index("q", "x"));
        let c = Crypto::new(&MasterKey::generate());
        assert_ne!(a.blind_index("p", "x"), c.blind_index("p", "x"));
    }

    #[test]
    fn key_file_is_created_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let k1 = MasterKey::load_or_create(&path).unwrap();
        let k2 = MasterKey::load_or_create(&path).unwrap();
        assert_eq!(k1.0, k2.0);
        assert!(matches!(
            MasterKey::parse("abcd"),
            Err(KeyError::Length(3)) | Err(KeyError::Encoding)
        ));
        let hex_key = hex::encode([7u8; 32]);
        assert_eq!(MasterKey::parse(&hex_key).unwrap().0, [7u8; 32]);
    }
}
