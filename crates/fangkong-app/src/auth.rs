//! Who the actor is and what they may do: users, roles, sessions and API tokens.
//!
//! Passwords are hashed with argon2id; session and API tokens are random 256-bit values of
//! which only a SHA-256 hash is stored. Every capability receives an `Actor` whose `Scope`
//! (jurisdiction subtree + permissions) the store applies to each query.

use std::collections::BTreeSet;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine as _;
use fangkong_domain::{JurisdictionCode, Permission, Scope};
use fangkong_store::users::{NewUser, Session, User};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{App, Error, Result};

/// How long a browser session lasts without a new login.
pub const SESSION_HOURS: i64 = 12;

/// A role: a named bundle of permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Admin,
    Commander,
    InboundStaff,
    SentinelStaff,
    TestingStaff,
    TracingStaff,
    IsolationStaff,
    TreatmentStaff,
    ImmunizationStaff,
    SuppliesStaff,
    CountyOperator,
    SentinelReporter,
    LabSubmitter,
    Auditor,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 14] = [
        Role::Admin,
        Role::Commander,
        Role::InboundStaff,
        Role::SentinelStaff,
        Role::TestingStaff,
        Role::TracingStaff,
        Role::IsolationStaff,
        Role::TreatmentStaff,
        Role::ImmunizationStaff,
        Role::SuppliesStaff,
        Role::CountyOperator,
        Role::SentinelReporter,
        Role::LabSubmitter,
        Role::Auditor,
    ];

    /// The role name used in the CLI and storage, e.g. `testing-staff`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Commander => "commander",
            Role::InboundStaff => "inbound-staff",
            Role::SentinelStaff => "sentinel-staff",
            Role::TestingStaff => "testing-staff",
            Role::TracingStaff => "tracing-staff",
            Role::IsolationStaff => "isolation-staff",
            Role::TreatmentStaff => "treatment-staff",
            Role::ImmunizationStaff => "immunization-staff",
            Role::SuppliesStaff => "supplies-staff",
            Role::CountyOperator => "county-operator",
            Role::SentinelReporter => "sentinel-reporter",
            Role::LabSubmitter => "lab-submitter",
            Role::Auditor => "auditor",
        }
    }

    /// Parses a role name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

    /// The permissions the role grants.
    pub fn permissions(self) -> BTreeSet<Permission> {
        use Permission::*;
        let list: &[Permission] = match self {
            Role::Admin => &Permission::ALL,
            Role::Commander => &[JurisdictionsRead, PersonsRead],
            Role::InboundStaff
            | Role::TestingStaff
            | Role::TracingStaff
            | Role::IsolationStaff
            | Role::TreatmentStaff
            | Role::ImmunizationStaff => &[JurisdictionsRead, PersonsRead, PersonsWrite],
            Role::CountyOperator => &[JurisdictionsRead, PersonsRead, PersonsWrite, PersonsMerge],
            Role::SentinelStaff | Role::SuppliesStaff | Role::Auditor => &[JurisdictionsRead],
            Role::SentinelReporter | Role::LabSubmitter => &[],
        };
        list.iter().copied().collect()
    }
}

/// Who is acting, and within which scope.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub username: String,
    pub role: Role,
    pub scope: Scope,
}

impl Actor {
    /// The actor of system tasks (demo load, CLI imports run by the operator of the host).
    pub fn system(name: &str) -> Actor {
        Actor {
            user_id: None,
            username: name.to_string(),
            role: Role::Admin,
            scope: Scope::system(),
        }
    }

    /// How the actor appears in histories: `user:NAME` or `system:NAME`.
    pub fn label(&self) -> String {
        match self.user_id {
            Some(_) => format!("user:{}", self.username),
            None => format!("system:{}", self.username),
        }
    }

    /// Fails with `Forbidden` unless the actor holds `permission`.
    ///
    /// # Errors
    /// `Forbidden`.
    pub fn require(&self, permission: Permission) -> Result<()> {
        if self.scope.can(permission) {
            Ok(())
        } else {
            Err(Error::Forbidden)
        }
    }

    fn from_user(user: &User) -> Result<Actor> {
        let role = Role::parse(&user.role).ok_or(Error::Forbidden)?;
        let root = match &user.jurisdiction_code {
            Some(code) => Some(JurisdictionCode::parse(code).map_err(|_| Error::Forbidden)?),
            None => None,
        };
        Ok(Actor {
            user_id: Some(user.id),
            username: user.username.clone(),
            role,
            scope: Scope {
                root,
                permissions: role.permissions(),
            },
        })
    }
}

/// A new browser session: the cookie token and the CSRF token for its forms.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub csrf_token: String,
    pub actor: Actor,
}

/// Hashes a password with argon2id and a random salt (PHC string format).
///
/// # Errors
/// `Invalid` for an empty password.
pub fn hash_password(password: &str) -> Result<String> {
    if password.is_empty() {
        return Err(Error::invalid("password", "must not be empty"));
    }
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::invalid("password", e.to_string()))
}

/// Whether `password` matches the PHC `hash`.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A random token (256 bits, base64url without padding), prefixed for recognisability.
pub fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// A readable random password for generated accounts (demo admin).
pub fn random_password() -> String {
    random_token("")[..16].to_string()
}

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

impl App {
    /// Creates a user with a role and an optional jurisdiction (none = the whole instance).
    ///
    /// # Errors
    /// `Invalid` for an unknown role, bad code or empty password; `Conflict` when the
    /// username is taken or the jurisdiction does not exist.
    pub async fn create_user(
        &self,
        username: &str,
        password: &str,
        role: &str,
        jurisdiction: Option<&str>,
    ) -> Result<User> {
        let role = Role::parse(role).ok_or_else(|| {
            let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
            Error::invalid(
                "role",
                format!("unknown role, expected one of {}", names.join(", ")),
            )
        })?;
        let username = username.trim();
        if username.is_empty() || username.len() > 64 {
            return Err(Error::invalid("username", "must be 1 to 64 characters"));
        }
        if let Some(code) = jurisdiction {
            JurisdictionCode::parse(code)
                .map_err(|e| Error::invalid("jurisdiction", e.to_string()))?;
        }
        let user = NewUser {
            username: username.to_string(),
            display_name: username.to_string(),
            password_hash: hash_password(password)?,
            role: role.as_str().to_string(),
            jurisdiction_code: jurisdiction.map(str::to_string),
        };
        Ok(self.store().users().create(&user, self.now_ms()).await?)
    }

    /// Creates the user or, if it exists, sets its password (used by the demo for `admin`).
    ///
    /// # Errors
    /// As [`App::create_user`].
    pub async fn upsert_user_password(
        &self,
        username: &str,
        password: &str,
        role: &str,
        jurisdiction: Option<&str>,
    ) -> Result<User> {
        match self.store().users().find_by_username(username).await? {
            Some(user) => {
                self.store()
                    .users()
                    .set_password_hash(user.id, &hash_password(password)?)
                    .await?;
                Ok(self.store().users().get(user.id).await?)
            }
            None => {
                self.create_user(username, password, role, jurisdiction)
                    .await
            }
        }
    }

    /// Checks a username and password and opens a browser session.
    ///
    /// # Errors
    /// `Unauthenticated` for an unknown user, a wrong password or a disabled account (the
    /// three are not distinguished).
    pub async fn login(&self, username: &str, password: &str) -> Result<NewSession> {
        let user = self
            .store()
            .users()
            .find_by_username(username.trim())
            .await?;
        let Some(user) = user else {
            // Spend the same time as a real check so that timing does not reveal usernames.
            let _ = verify_password(password, DUMMY_HASH);
            return Err(Error::Unauthenticated);
        };
        if user.disabled || !verify_password(password, &user.password_hash) {
            return Err(Error::Unauthenticated);
        }
        let token = random_token("fks_");
        let csrf_token = random_token("");
        let now = self.now_ms();
        let session = Session {
            user_id: user.id,
            csrf_token: csrf_token.clone(),
            created_at: now,
            expires_at: now + SESSION_HOURS * 3_600_000,
        };
        self.store()
            .users()
            .create_session(&token_hash(&token), &session)
            .await?;
        Ok(NewSession {
            token,
            csrf_token,
            actor: Actor::from_user(&user)?,
        })
    }

    /// The actor of a live session and the session's CSRF token.
    ///
    /// # Errors
    /// `Unauthenticated` when the session is unknown or expired or the user disabled.
    pub async fn session_actor(&self, token: &str) -> Result<(Actor, String)> {
        let session = self
            .store()
            .users()
            .find_session(&token_hash(token), self.now_ms())
            .await?
            .ok_or(Error::Unauthenticated)?;
        let user = self.store().users().get(session.user_id).await?;
        if user.disabled {
            return Err(Error::Unauthenticated);
        }
        Ok((Actor::from_user(&user)?, session.csrf_token))
    }

    /// Ends a session.
    ///
    /// # Errors
    /// Store failure.
    pub async fn logout(&self, token: &str) -> Result<()> {
        Ok(self
            .store()
            .users()
            .delete_session(&token_hash(token))
            .await?)
    }

    /// Issues an API token for a user, valid for `days` days (forever when `None`).
    ///
    /// # Errors
    /// `NotFound` for an unknown user.
    pub async fn create_api_token(
        &self,
        username: &str,
        name: &str,
        days: Option<u32>,
    ) -> Result<String> {
        let user = self
            .store()
            .users()
            .find_by_username(username)
            .await?
            .ok_or(Error::NotFound)?;
        let token = random_token("fkt_");
        let now = self.now_ms();
        let expires = days.map(|d| now + i64::from(d) * 86_400_000);
        self.store()
            .users()
            .create_token(&token_hash(&token), user.id, name, now, expires)
            .await?;
        Ok(token)
    }

    /// The actor of a live API token.
    ///
    /// # Errors
    /// `Unauthenticated` when the token is unknown, expired or revoked, or the user disabled.
    pub async fn token_actor(&self, token: &str) -> Result<Actor> {
        let found = self
            .store()
            .users()
            .find_token(&token_hash(token), self.now_ms())
            .await?
            .ok_or(Error::Unauthenticated)?;
        let user = self.store().users().get(found.user_id).await?;
        if user.disabled {
            return Err(Error::Unauthenticated);
        }
        Actor::from_user(&user)
    }
}

/// A valid argon2id hash of a random string, for constant-time failure on unknown users.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$2cK0p2XHV6Yo7cmkVjPv8NsV0YGg8tr2hSx0ltqZ7pk";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hash_round_trip() {
        let h = hash_password("s3cret").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("s3cret", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("s3cret", "not a hash"));
    }

    #[test]
    fn roles_parse_and_bundle() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert!(Role::Admin.permissions().contains(&Permission::PiiReveal));
        assert!(!Role::Commander
            .permissions()
            .contains(&Permission::PersonsWrite));
        assert!(Role::LabSubmitter.permissions().is_empty());
    }
}
