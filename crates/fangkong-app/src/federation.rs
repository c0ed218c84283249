//! Federation between Fangkong instances (the province and each city), each identified by its
//! jurisdiction code and holding an Ed25519 key pair; peers are known by code, URL and public
//! key.
//!
//! Messages (a task pushed down, item feedback up, a case notified across jurisdictions,
//! daily statistics up) are written to the outbox in the same transaction as the change that
//! caused them; the server's delivery worker signs and sends them with retries
//! ([`App::outbox_batch`], [`App::record_delivery`]). A receiver checks the recipient, the
//! sender and the signature over the canonical bytes, then applies the message in one
//! transaction with its inbox entry keyed by message id, so a message has exactly one effect
//! however often and in whatever order it arrives. Refused messages are logged and change
//! nothing. This module knows no HTTP.

use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use fangkong_domain::{JurisdictionCode, Permission};
use fangkong_store::co_investigation::{InboxEntry, OutboxMessage};
use fangkong_store::federation::{OutboxRow, PeerRow};

use crate::{Actor, App, Error, Result};

/// Message kinds.
pub const TASK_PUSH: &str = "task_push";
/// Feedback of items of a pushed task, sent back up.
pub const ITEM_FEEDBACK: &str = "item_feedback";
/// A case notified to the instance of another jurisdiction.
pub const CASE_NOTIFICATION: &str = "case_notification";
/// The daily co-investigation statistics of an instance, sent up.
pub const DAILY_STATISTICS: &str = "daily_statistics";

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// This instance: its jurisdiction code and signing key.
pub struct Identity {
    pub code: JurisdictionCode,
    key: SigningKey,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Identity({}, ..)", self.code.as_str())
    }
}

/// Why an identity could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("reading or writing key file {path}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("key file {0} is not base64 of 32 bytes")]
    Malformed(String),
}

impl Identity {
    /// An identity from a 32-byte secret key.
    pub fn from_secret(code: JurisdictionCode, secret: [u8; 32]) -> Identity {
        Identity {
            code,
            key: SigningKey::from_bytes(&secret),
        }
    }

    /// A fresh identity.
    pub fn generate(code: JurisdictionCode) -> Identity {
        Identity {
            code,
            key: SigningKey::generate(&mut rand::rngs::OsRng),
        }
    }

    /// The secret key bytes (to keep in the data directory).
    pub fn secret(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// The public key, base64, as peers configure it.
    pub fn public_key(&self) -> String {
        B64.encode(self.key.verifying_key().to_bytes())
    }

    /// Reads the key file at `path` (base64 of the 32-byte secret), creating it with a fresh
    /// key (mode 0600) when missing.
    ///
    /// # Errors
    /// IO failure or a malformed file.
    pub fn load_or_create(path: &Path, code: JurisdictionCode) -> Result<Identity, IdentityError> {
        use std::io::Write as _;
        let io = |source| IdentityError::Io {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let bytes = B64
                    .decode(text.trim())
                    .map_err(|_| IdentityError::Malformed(path.display().to_string()))?;
                let secret: [u8; 32] = bytes
                    .as_slice()
                    .try_into()
                    .map_err(|_| IdentityError::Malformed(path.display().to_string()))?;
                Ok(Identity::from_secret(code, secret))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let identity = Identity::generate(code);
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt as _;
                    options.mode(0o600);
                }
                let mut file = options.open(path).map_err(io)?;
                writeln!(file, "{}", B64.encode(identity.secret())).map_err(io)?;
                file.sync_all().map_err(io)?;
                Ok(identity)
            }
            Err(e) => Err(io(e)),
        }
    }

    fn sign(&self, e: &Envelope) -> String {
        B64.encode(self.key.sign(&canonical(e)).to_bytes())
    }

    /// Signs `e` as this instance (sets its signature).
    pub fn sign_envelope(&self, e: &mut Envelope) {
        e.signature = self.sign(e);
    }
}

/// A message between instances as it travels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// Unique message id (the deduplication key).
    pub id: String,
    /// Jurisdiction code of the sending instance.
    pub sender: String,
    /// Jurisdiction code of the receiving instance.
    pub recipient: String,
    pub kind: String,
    /// Unix milliseconds when the sender wrote it.
    pub created_at: i64,
    /// The payload, a JSON document, exactly as signed.
    pub payload: String,
    /// Ed25519 signature of the canonical bytes, base64 (empty when unsigned).
    pub signature: String,
}

/// The bytes a signature covers: every field but the signature, each on its own line after a
/// version tag, the payload last (it may contain newlines; nothing follows it).
pub fn canonical(e: &Envelope) -> Vec<u8> {
    format!(
        "fangkong-federation-v1\n{}\n{}\n{}\n{}\n{}\n{}",
        e.id, e.sender, e.recipient, e.kind, e.created_at, e.payload
    )
    .into_bytes()
}

/// What became of one received message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Receipt {
    /// Applied now.
    Applied,
    /// Applied before; nothing changed.
    Duplicate,
    /// Refused for good; nothing changed (logged).
    Refused(String),
}

impl Receipt {
    /// `applied`, `duplicate` or `refused`.
    pub fn status(&self) -> &'static str {
        match self {
            Receipt::Applied => "applied",
            Receipt::Duplicate => "duplicate",
            Receipt::Refused(_) => "refused",
        }
    }
}

/// Messages to send to one peer.
#[derive(Debug, Clone)]
pub struct PeerBatch {
    pub peer: PeerRow,
    /// (outbox row id, signed envelope).
    pub messages: Vec<(i64, Envelope)>,
}

/// A fresh message id: 128 random bits, hex.
pub(crate) fn message_id() -> String {
    use rand::RngCore as _;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl App {
    /// This app federated as `identity`.
    pub fn with_identity(mut self, identity: Identity) -> App {
        self.identity = Some(Arc::new(identity));
        self
    }

    /// This instance's identity, if federation is configured.
    pub fn identity(&self) -> Option<&Identity> {
        self.identity.as_deref()
    }

    /// Woken whenever a message is written to the outbox (the delivery worker waits on it).
    pub fn outbox_signal(&self) -> Arc<tokio::sync::Notify> {
        self.outbox_signal.clone()
    }

    /// The peer whose jurisdiction contains `code` (the instance that runs it), if any.
    pub(crate) async fn peer_for(&self, code: &str) -> Result<Option<PeerRow>> {
        let own = self.identity().map(|i| i.code.as_str().to_string());
        Ok(self
            .store()
            .federation()
            .peers()
            .await?
            .into_iter()
            .filter(|p| code.starts_with(&p.code) && own.as_deref() != Some(p.code.as_str()))
            // The most specific instance: a city rather than its province.
            .max_by_key(|p| p.code.len()))
    }

    /// An outbox message to `peer`, stamped now.
    pub(crate) fn outbox_message(
        &self,
        peer: &str,
        kind: &str,
        payload: &serde_json::Value,
    ) -> OutboxMessage {
        OutboxMessage {
            message_id: message_id(),
            peer_code: peer.to_string(),
            kind: kind.to_string(),
            payload: payload.to_string(),
            created_at: self.now_ms(),
        }
    }

    /// Adds or updates a peer (CLI and administrators).
    ///
    /// # Errors
    /// `Forbidden` without `users.admin`; `Invalid` for a bad code, URL or key.
    pub async fn add_peer(
        &self,
        actor: &Actor,
        code: &str,
        url: &str,
        public_key: &str,
    ) -> Result<()> {
        actor.require(Permission::UsersAdmin)?;
        let code =
            JurisdictionCode::parse(code).map_err(|e| Error::invalid("code", e.to_string()))?;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(Error::invalid("url", "must start with http:// or https://"));
        }
        parse_public_key(public_key).map_err(|r| Error::invalid("public_key", r))?;
        self.store()
            .federation()
            .upsert_peer(
                code.as_str(),
                url.trim_end_matches('/'),
                public_key.trim(),
                self.now_ms(),
            )
            .await?;
        self.audit(
            actor,
            "federation.peer",
            "peer",
            Some(code.as_str().to_string()),
            None,
            serde_json::json!({"url": url}),
        )
        .await?;
        Ok(())
    }

    /// Removes a peer.
    ///
    /// # Errors
    /// `Forbidden` without `users.admin`; `NotFound`.
    pub async fn remove_peer(&self, actor: &Actor, code: &str) -> Result<()> {
        actor.require(Permission::UsersAdmin)?;
        self.store().federation().remove_peer(code).await?;
        self.audit(
            actor,
            "federation.peer_removed",
            "peer",
            Some(code.to_string()),
            None,
            serde_json::json!({}),
        )
        .await?;
        Ok(())
    }

    /// The configured peers.
    ///
    /// # Errors
    /// `Forbidden` without `users.admin`.
    pub async fn peers(&self, actor: &Actor) -> Result<Vec<PeerRow>> {
        actor.require(Permission::UsersAdmin)?;
        Ok(self.store().federation().peers().await?)
    }

    /// Pending outbox messages, up to `limit`, grouped by peer and signed; messages to a
    /// peer no longer configured stay pending.
    ///
    /// # Errors
    /// Store failure.
    pub async fn outbox_batch(&self, limit: i64) -> Result<Vec<PeerBatch>> {
        let Some(identity) = self.identity() else {
            return Ok(Vec::new());
        };
        let rows = self.store().federation().pending(limit).await?;
        let peers = self.store().federation().peers().await?;
        let mut out: Vec<PeerBatch> = Vec::new();
        for row in rows {
            let Some(peer) = peers.iter().find(|p| p.code == row.peer_code) else {
                continue;
            };
            let envelope = self.envelope(identity, &row);
            match out.iter_mut().find(|b| b.peer.code == peer.code) {
                Some(b) => b.messages.push((row.id, envelope)),
                None => out.push(PeerBatch {
                    peer: peer.clone(),
                    messages: vec![(row.id, envelope)],
                }),
            }
        }
        Ok(out)
    }

    fn envelope(&self, identity: &Identity, row: &OutboxRow) -> Envelope {
        let mut e = Envelope {
            id: row.message_id.clone(),
            sender: identity.code.as_str().to_string(),
            recipient: row.peer_code.clone(),
            kind: row.kind.clone(),
            created_at: row.created_at,
            payload: row.payload.clone(),
            signature: String::new(),
        };
        e.signature = identity.sign(&e);
        e
    }

    /// Records what became of sent messages: delivered (applied or duplicate at the peer),
    /// refused for good, or to retry with the error.
    ///
    /// # Errors
    /// Store failure.
    pub async fn record_delivery(
        &self,
        delivered: &[i64],
        refused: &[(i64, String)],
        retry: &[(i64, String)],
    ) -> Result<()> {
        for (id, reason) in refused {
            tracing::warn!(outbox_id = id, reason = %reason, "federation message refused by peer");
        }
        Ok(self
            .store()
            .federation()
            .mark(delivered, refused, retry, self.now_ms())
            .await?)
    }

    /// Outbox counts (pending, delivered, failed), for the metrics gauge and the pages.
    ///
    /// # Errors
    /// Store failure.
    pub async fn outbox_counts(&self) -> Result<fangkong_store::federation::OutboxCounts> {
        Ok(self.store().federation().outbox_counts().await?)
    }

    /// Receives messages from peers: each verified and applied on its own (one transaction
    /// with its inbox entry), in the order given.
    ///
    /// # Errors
    /// Store failure (the sender retries; nothing of the failed message was applied).
    pub async fn receive_federation(&self, envelopes: &[Envelope]) -> Result<Vec<Receipt>> {
        let mut out = Vec::with_capacity(envelopes.len());
        for e in envelopes {
            let receipt = match self.verify_envelope(e).await? {
                Err(reason) => Receipt::Refused(reason),
                Ok(()) if self.store().federation().received(&e.id).await? => Receipt::Duplicate,
                Ok(()) => match self.apply_envelope(e).await? {
                    Ok(true) => Receipt::Applied,
                    Ok(false) => Receipt::Duplicate,
                    Err(reason) => Receipt::Refused(reason),
                },
            };
            match &receipt {
                Receipt::Refused(reason) => {
                    tracing::warn!(sender = %e.sender, message_id = %e.id, kind = %e.kind,
                        reason = %reason, "federation message refused");
                    self.store()
                        .federation()
                        .refuse(self.now_ms(), &e.sender, &e.id, &e.kind, reason)
                        .await?;
                }
                Receipt::Duplicate => {
                    tracing::info!(sender = %e.sender, message_id = %e.id, "federation message replayed");
                    self.store()
                        .federation()
                        .refuse(self.now_ms(), &e.sender, &e.id, &e.kind, "replayed message")
                        .await?;
                }
                Receipt::Applied => {}
            }
            out.push(receipt);
        }
        Ok(out)
    }

    /// The latest refused messages.
    ///
    /// # Errors
    /// `Forbidden` without `users.admin`.
    pub async fn federation_refusals(
        &self,
        actor: &Actor,
        limit: i64,
    ) -> Result<Vec<fangkong_store::federation::RefusalRow>> {
        actor.require(Permission::UsersAdmin)?;
        Ok(self
            .store()
            .federation()
            .refusals(limit.clamp(1, 1000))
            .await?)
    }

    async fn verify_envelope(&self, e: &Envelope) -> Result<Result<(), String>> {
        let Some(identity) = self.identity() else {
            return Ok(Err("federation is not configured on this instance".into()));
        };
        if e.recipient != identity.code.as_str() {
            return Ok(Err(format!(
                "addressed to {}, not to this instance",
                e.recipient
            )));
        }
        let peers = self.store().federation().peers().await?;
        let Some(peer) = peers.iter().find(|p| p.code == e.sender) else {
            return Ok(Err("unknown peer".into()));
        };
        if e.signature.is_empty() {
            return Ok(Err("unsigned message".into()));
        }
        let Ok(key) = parse_public_key(&peer.public_key) else {
            return Ok(Err("the peer's configured key is malformed".into()));
        };
        let Some(signature) = B64
            .decode(&e.signature)
            .ok()
            .and_then(|b| Signature::from_slice(&b).ok())
        else {
            return Ok(Err("malformed signature".into()));
        };
        if key.verify_strict(&canonical(e), &signature).is_err() {
            return Ok(Err("wrong signature".into()));
        }
        Ok(Ok(()))
    }

    /// Applies a verified message. `Ok(true)` applied, `Ok(false)` applied before.
    async fn apply_envelope(&self, e: &Envelope) -> Result<Result<bool, String>> {
        let payload: serde_json::Value = match serde_json::from_str(&e.payload) {
            Ok(v) => v,
            Err(_) => return Ok(Err("payload is not JSON".into())),
        };
        let inbox = InboxEntry {
            message_id: e.id.clone(),
            sender_code: e.sender.clone(),
            kind: e.kind.clone(),
            created_at: e.created_at,
            received_at: self.now_ms(),
        };
        match e.kind.as_str() {
            TASK_PUSH => self.apply_task_push(&e.sender, &payload, &inbox).await,
            ITEM_FEEDBACK => self.apply_item_feedback(&e.sender, &payload, &inbox).await,
            CASE_NOTIFICATION | DAILY_STATISTICS => {
                let new = self.store().federation().receive_only(&inbox).await?;
                if new {
                    let actor = Actor::system("federation");
                    self.audit(
                        &actor,
                        &format!("federation.{}", e.kind),
                        "federation_message",
                        Some(e.id.clone()),
                        None,
                        serde_json::json!({"sender": e.sender, "payload": payload}),
                    )
                    .await?;
                }
                Ok(Ok(new))
            }
            other => Ok(Err(format!("unknown message kind {other}"))),
        }
    }

    /// Sends this instance's co-investigation statistics of today to every peer above it
    /// (a peer whose code contains this instance's).
    ///
    /// # Errors
    /// `Forbidden` without `co_investigation.read`; `Conflict` when federation is not
    /// configured.
    pub async fn push_daily_statistics(&self, actor: &Actor) -> Result<usize> {
        actor.require(Permission::CoInvestigationRead)?;
        let Some(identity) = self.identity() else {
            return Err(Error::Conflict("federation is not configured".into()));
        };
        let own = identity.code.as_str().to_string();
        let stats = self.co_investigation_stats(actor, None).await?;
        let payload = serde_json::json!({
            "day": self.today().to_string(),
            "by_county": stats.by_county.iter().map(|r| serde_json::json!({
                "code": r.key, "total": r.total, "done": r.done, "overdue": r.overdue,
                "on_time": r.on_time, "late": r.late,
            })).collect::<Vec<_>>(),
        });
        let mut n = 0;
        for peer in self.store().federation().peers().await? {
            if own.starts_with(&peer.code) && peer.code != own {
                let m = self.outbox_message(&peer.code, DAILY_STATISTICS, &payload);
                self.store().federation().enqueue(&m).await?;
                n += 1;
            }
        }
        self.outbox_signal.notify_one();
        Ok(n)
    }

    /// Notifies the instance running `jurisdiction` of a case that concerns it (a case
    /// registered here whose contacts or itinerary lie there).
    ///
    /// # Errors
    /// `Forbidden` without `tracing.read`; `Invalid` when no peer runs the jurisdiction.
    pub async fn notify_case(
        &self,
        actor: &Actor,
        case_id: i64,
        jurisdiction: &str,
        summary: &str,
    ) -> Result<()> {
        actor.require(Permission::TracingRead)?;
        let Some(peer) = self.peer_for(jurisdiction).await? else {
            return Err(Error::invalid(
                "jurisdiction",
                "no federated instance runs it",
            ));
        };
        let payload = serde_json::json!({
            "case_ref": case_id, "jurisdiction": jurisdiction, "summary": summary,
        });
        let m = self.outbox_message(&peer.code, CASE_NOTIFICATION, &payload);
        self.store().federation().enqueue(&m).await?;
        self.outbox_signal.notify_one();
        Ok(())
    }
}

fn parse_public_key(text: &str) -> std::result::Result<VerifyingKey, String> {
    let bytes = B64
        .decode(text.trim())
        .map_err(|_| "not base64".to_string())?;
    let arr: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| "not 32 bytes".to_string())?;
    VerifyingKey::from_bytes(&arr).map_err(|_| "not an Ed25519 public key".to_string())
}
