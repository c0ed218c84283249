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
use fangkong_store::audit::NewAuditEntry;
use fangkong_store::users::{NewUser, Session, TokenLimits, User};
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
    FeverClinicStaff,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 15] = [
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
        Role::FeverClinicStaff,
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
            Role::FeverClinicStaff => "fever-clinic-staff",
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
            // Everything but reading the audit log, which is the auditors' (separation of
            // duties: whoever administers does not also review the administration).
            Role::Admin => &[
                JurisdictionsRead,
                JurisdictionsWrite,
                PersonsRead,
                PersonsWrite,
                PersonsMerge,
                PersonsExport,
                PiiReveal,
                TestingRead,
                TestingSubmit,
                TestingManage,
                InboundRead,
                InboundManage,
                InboundOperate,
                FeverReport,
                TracingRead,
                TracingOperate,
                IsolationRead,
                IsolationOperate,
                TreatmentRead,
                TreatmentOperate,
                SentinelRead,
                SentinelReport,
                SentinelManage,
                ImmunizationRead,
                ImmunizationWrite,
                SuppliesRead,
                SuppliesOperate,
                CoInvestigationRead,
                CoInvestigationOperate,
                CommandRead,
                CommandOperate,
                UsersAdmin,
                DataPurge,
                DrillsRead,
                BriefingWrite,
            ],
            // Reads everything in scope and issues the daily briefing; acts through the
            // departments.
            Role::Commander => &[
                JurisdictionsRead,
                PersonsRead,
                TestingRead,
                InboundRead,
                TracingRead,
                IsolationRead,
                TreatmentRead,
                SentinelRead,
                ImmunizationRead,
                SuppliesRead,
                CoInvestigationRead,
                CommandRead,
                CommandOperate,
                DrillsRead,
                BriefingWrite,
            ],
            // Investigators and inbound staff call people: they may reveal a phone number.
            // Investigators also read testing: positives and retest tasks are their leads.
            Role::InboundStaff => &[
                JurisdictionsRead,
                PersonsRead,
                PersonsWrite,
                PiiReveal,
                InboundRead,
                InboundOperate,
                FeverReport,
            ],
            Role::TracingStaff => &[
                JurisdictionsRead,
                PersonsRead,
                PersonsWrite,
                PiiReveal,
                TestingRead,
                InboundRead,
                TracingRead,
                TracingOperate,
                CoInvestigationRead,
                CoInvestigationOperate,
            ],
            Role::TestingStaff => &[
                JurisdictionsRead,
                PersonsRead,
                PersonsWrite,
                TestingRead,
                TestingSubmit,
                TestingManage,
            ],
            // Isolation staff read testing and measures to see who awaits a retest or a room
            // under control, and the hospitals' beds for early transfers.
            Role::IsolationStaff => &[
                JurisdictionsRead,
                PersonsRead,
                PersonsWrite,
                TestingRead,
                InboundRead,
                IsolationRead,
                IsolationOperate,
                TreatmentRead,
            ],
            // Treatment staff read cases (their patients) and the sites they take transfers from.
            Role::TreatmentStaff => &[
                JurisdictionsRead,
                PersonsRead,
                PersonsWrite,
                TracingRead,
                IsolationRead,
                TreatmentRead,
                TreatmentOperate,
            ],
            // Immunization staff reach the unvaccinated by phone: they may reveal a number.
            Role::ImmunizationStaff => &[
                JurisdictionsRead,
                PersonsRead,
                PersonsWrite,
                PiiReveal,
                ImmunizationRead,
                ImmunizationWrite,
            ],
            Role::CountyOperator => &[
                TestingRead,
                InboundRead,
                InboundOperate,
                TracingRead,
                TracingOperate,
                IsolationRead,
                IsolationOperate,
                TreatmentRead,
                SentinelRead,
                ImmunizationRead,
                ImmunizationWrite,
                SuppliesRead,
                SuppliesOperate,
                JurisdictionsRead,
                PersonsRead,
                PersonsWrite,
                PersonsMerge,
                PersonsExport,
                PiiReveal,
                CoInvestigationRead,
                CoInvestigationOperate,
                CommandRead,
                CommandOperate,
                BriefingWrite,
            ],
            // Sentinel staff run surveillance: they read and triage, set deadlines, and may
            // enter a report on behalf of a sentinel that phoned it in.
            Role::SentinelStaff => &[
                JurisdictionsRead,
                SentinelRead,
                SentinelReport,
                SentinelManage,
            ],
            // Supplies staff run the reserves of their jurisdiction; the consumption models
            // read activity counts only, never a person.
            Role::SuppliesStaff => &[JurisdictionsRead, SuppliesRead, SuppliesOperate],
            Role::Auditor => &[JurisdictionsRead, AuditRead],
            // Fever clinics record their visits, results and dispositions and read their own
            // open loops (the fourth pocket of inbound control).
            Role::FeverClinicStaff => &[JurisdictionsRead, InboundRead, FeverReport],
            // Machine roles: a lab or sampling site submits collections and results, a
            // sentinel its daily counts (in its jurisdiction); neither reads anything else.
            Role::LabSubmitter => &[TestingSubmit],
            Role::SentinelReporter => &[SentinelReport],
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
    /// How the actor appears in histories and the audit log: `user:NAME`,
    /// `user:NAME/token:ID` or `system:NAME`.
    pub label: String,
    /// The operation (request) id, quoted in audit entries and error pages.
    pub operation_id: String,
}

impl Actor {
    /// The actor of system tasks (demo load, CLI imports run by the operator of the host).
    pub fn system(name: &str) -> Actor {
        Actor {
            user_id: None,
            username: name.to_string(),
            role: Role::Admin,
            scope: Scope::system(),
            label: format!("system:{name}"),
            operation_id: format!("{name}-{}", &random_token("")[..12]),
        }
    }

    /// How the actor appears in histories and the audit log.
    pub fn label(&self) -> String {
        self.label.clone()
    }

    /// The same actor acting within the request `operation_id`.
    pub fn in_operation(mut self, operation_id: &str) -> Actor {
        self.operation_id = operation_id.to_string();
        self
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
            label: format!("user:{}", user.username),
            operation_id: String::new(),
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

/// Failed logins in a row that lock an account.
pub const LOCK_AFTER_FAILURES: i64 = 5;
/// How long a locked account stays locked.
pub const LOCK_MINUTES: i64 = 15;

/// What a new API token may do: never more than its user, possibly less.
#[derive(Debug, Clone, Default)]
pub struct TokenRequest {
    pub name: String,
    pub expires_days: Option<u32>,
    /// Permission names narrowing the user's role (`None`: the role's).
    pub permissions: Option<Vec<String>>,
    /// A jurisdiction inside the user's, narrowing it.
    pub jurisdiction: Option<String>,
}

impl App {
    /// Creates a user with a role, an optional jurisdiction (none = the whole instance) and
    /// an optional organisation unit (`hq-office`, `dept-testing`, … or `hq-CODE` for the
    /// headquarters of a county or township, created on first use).
    ///
    /// # Errors
    /// `Invalid` for an unknown role or unit, a bad code or an empty password; `Conflict`
    /// when the username is taken or the jurisdiction does not exist.
    pub async fn create_user(
        &self,
        username: &str,
        password: &str,
        role: &str,
        jurisdiction: Option<&str>,
    ) -> Result<User> {
        self.create_user_in(username, password, role, jurisdiction, None)
            .await
    }

    /// [`App::create_user`] with an organisation unit.
    ///
    /// # Errors
    /// As [`App::create_user`].
    pub async fn create_user_in(
        &self,
        username: &str,
        password: &str,
        role: &str,
        jurisdiction: Option<&str>,
        org_unit: Option<&str>,
    ) -> Result<User> {
        let role = Role::parse(role).ok_or_else(|| {
            let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
            Error::invalid(
                "role",
                format!("unknown role, expected one of {}", names.join(", ")),
            )
        })?;
        let username = username.trim();
        if username.is_empty()
            || username.len() > 64
            || !username
                .chars()
                .all(|c| c.is_alphanumeric() || "-_.@".contains(c))
        {
            return Err(Error::invalid(
                "username",
                "must be 1 to 64 letters, digits, '-', '_', '.' or '@'",
            ));
        }
        if let Some(code) = jurisdiction {
            JurisdictionCode::parse(code)
                .map_err(|e| Error::invalid("jurisdiction", e.to_string()))?;
        }
        if let Some(unit) = org_unit {
            self.ensure_org_unit(unit).await?;
        }
        let user = NewUser {
            username: username.to_string(),
            display_name: username.to_string(),
            password_hash: hash_password(password)?,
            role: role.as_str().to_string(),
            jurisdiction_code: jurisdiction.map(str::to_string),
            org_unit: org_unit.map(str::to_string),
        };
        Ok(self.store().users().create(&user, self.now_ms()).await?)
    }

    /// Checks that an organisation unit exists, creating `hq-CODE` for a county or township.
    async fn ensure_org_unit(&self, unit: &str) -> Result<()> {
        let units = self.store().users().org_units().await?;
        if units.iter().any(|u| u.code == unit) {
            return Ok(());
        }
        let unknown = || {
            let names: Vec<&str> = units.iter().map(|u| u.code.as_str()).collect();
            Error::invalid(
                "org_unit",
                format!(
                    "unknown unit, expected one of {} or hq-<county or township code>",
                    names.join(", ")
                ),
            )
        };
        let code = unit.strip_prefix("hq-").ok_or_else(unknown)?;
        let code = JurisdictionCode::parse(code).map_err(|_| unknown())?;
        let kind = match code.level() {
            fangkong_domain::Level::County => "county_headquarters",
            fangkong_domain::Level::Township => "township_headquarters",
            _ => return Err(unknown()),
        };
        let j = self
            .store()
            .jurisdictions()
            .get(code.as_str())
            .await
            .map_err(|_| unknown())?;
        self.store()
            .users()
            .ensure_org_unit(&fangkong_store::users::OrgUnit {
                code: unit.to_string(),
                name: format!("{}疫情防控指挥部", j.name),
                kind: kind.to_string(),
                jurisdiction_code: Some(j.code),
            })
            .await?;
        Ok(())
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
                let users = self.store().users();
                users
                    .set_password_hash(user.id, &hash_password(password)?)
                    .await?;
                users.record_login_success(user.id).await?;
                Ok(users.get(user.id).await?)
            }
            None => {
                self.create_user(username, password, role, jurisdiction)
                    .await
            }
        }
    }

    /// Checks a username and password and opens a browser session (a new token every time,
    /// so a session id planted before login is worthless). After
    /// [`LOCK_AFTER_FAILURES`] failures in a row the account is locked for [`LOCK_MINUTES`].
    ///
    /// # Errors
    /// `Unauthenticated` for an unknown user, a wrong password or a disabled account (the
    /// three are not distinguished); `Locked` while the account is locked.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        operation_id: &str,
    ) -> Result<NewSession> {
        let now = self.now_ms();
        let users = self.store().users();
        let user = users.find_by_username(username.trim()).await?;
        let Some(user) = user else {
            // Spend the same time as a real check so that timing does not reveal usernames.
            let _ = verify_password(password, DUMMY_HASH);
            return Err(Error::Unauthenticated);
        };
        let event = |action: &str, detail: serde_json::Value| NewAuditEntry {
            at: now,
            actor: format!("user:{}", user.username),
            action: action.to_string(),
            object_type: "user".to_string(),
            object_id: Some(user.id.to_string()),
            purpose: None,
            operation_id: operation_id.to_string(),
            detail: detail.to_string(),
        };
        if let Some(until) = user.locked_until.filter(|u| *u > now) {
            self.store()
                .audit()
                .append(&event(
                    "session.login_refused",
                    serde_json::json!({"reason": "locked"}),
                ))
                .await?;
            return Err(Error::Locked { until_ms: until });
        }
        if user.disabled || !verify_password(password, &user.password_hash) {
            let until = now + LOCK_MINUTES * 60_000;
            let locked = users
                .record_login_failure(user.id, LOCK_AFTER_FAILURES, until)
                .await?;
            let reason = if user.disabled {
                "disabled"
            } else {
                "wrong_password"
            };
            self.store()
                .audit()
                .append(&event(
                    "session.login_failed",
                    serde_json::json!({"reason": reason, "locked": locked}),
                ))
                .await?;
            return Err(if locked {
                Error::Locked { until_ms: until }
            } else {
                Error::Unauthenticated
            });
        }
        users.record_login_success(user.id).await?;
        let token = random_token("fks_");
        let csrf_token = random_token("");
        let session = Session {
            user_id: user.id,
            csrf_token: csrf_token.clone(),
            created_at: now,
            expires_at: now + SESSION_HOURS * 3_600_000,
        };
        users.create_session(&token_hash(&token), &session).await?;
        self.store()
            .audit()
            .append(&event("session.login", serde_json::json!({})))
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
        let request = TokenRequest {
            name: name.to_string(),
            expires_days: days,
            ..TokenRequest::default()
        };
        self.create_scoped_token(username, &request).await
    }

    /// Issues an API token that may do at most what its user may, narrowed to some
    /// permissions and a jurisdiction inside the user's.
    ///
    /// # Errors
    /// `NotFound` for an unknown user; `Invalid` for an unknown permission, a permission the
    /// user's role lacks, or a jurisdiction outside the user's.
    pub async fn create_scoped_token(
        &self,
        username: &str,
        request: &TokenRequest,
    ) -> Result<String> {
        let user = self
            .store()
            .users()
            .find_by_username(username)
            .await?
            .ok_or(Error::NotFound)?;
        let owner = Actor::from_user(&user)?;
        if let Some(list) = &request.permissions {
            for name in list {
                let p = Permission::parse(name).ok_or_else(|| {
                    Error::invalid("permissions", format!("unknown permission {name:?}"))
                })?;
                if !owner.scope.can(p) {
                    return Err(Error::invalid(
                        "permissions",
                        format!("the user's role has no {name}"),
                    ));
                }
            }
        }
        if let Some(code) = &request.jurisdiction {
            let code = JurisdictionCode::parse(code)
                .map_err(|e| Error::invalid("jurisdiction", e.to_string()))?;
            if !owner.scope.covers(code.as_str()) {
                return Err(Error::invalid(
                    "jurisdiction",
                    "outside the user's jurisdiction",
                ));
            }
        }
        let token = random_token("fkt_");
        let now = self.now_ms();
        let limits = TokenLimits {
            permissions: request.permissions.clone(),
            jurisdiction_code: request.jurisdiction.clone(),
            expires_at: request
                .expires_days
                .map(|d| now + i64::from(d) * 86_400_000),
        };
        let created = self
            .store()
            .users()
            .create_token(&token_hash(&token), user.id, &request.name, now, &limits)
            .await?;
        self.store()
            .audit()
            .append(&NewAuditEntry {
                at: now,
                actor: "system:cli".to_string(),
                action: "token.create".to_string(),
                object_type: "api_token".to_string(),
                object_id: Some(created.id.to_string()),
                purpose: None,
                operation_id: format!("token-{}", created.id),
                detail: serde_json::json!({"user": user.username, "name": request.name})
                    .to_string(),
            })
            .await?;
        Ok(token)
    }

    /// Revokes an API token by id.
    ///
    /// # Errors
    /// `NotFound` when there is no such live token.
    pub async fn revoke_api_token(&self, id: i64) -> Result<()> {
        Ok(self.store().users().revoke_token(id, self.now_ms()).await?)
    }

    /// The actor of a live API token: the user's role and jurisdiction, narrowed by the
    /// token's own limits.
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
        let mut actor = Actor::from_user(&user)?;
        if let Some(json) = &found.permissions {
            let names: Vec<String> =
                serde_json::from_str(json).map_err(|_| Error::Unauthenticated)?;
            let allowed: BTreeSet<Permission> =
                names.iter().filter_map(|n| Permission::parse(n)).collect();
            actor.scope.permissions = actor
                .scope
                .permissions
                .intersection(&allowed)
                .copied()
                .collect();
        }
        if let Some(code) = &found.jurisdiction_code {
            let code = JurisdictionCode::parse(code).map_err(|_| Error::Unauthenticated)?;
            if !actor.scope.covers(code.as_str()) {
                return Err(Error::Unauthenticated);
            }
            actor.scope.root = Some(code);
        }
        actor.label = format!("user:{}/token:{}", user.username, found.id);
        Ok(actor)
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
        assert!(!Role::Admin.permissions().contains(&Permission::AuditRead));
        assert!(!Role::Commander
            .permissions()
            .contains(&Permission::PersonsWrite));
        assert_eq!(
            Role::LabSubmitter
                .permissions()
                .into_iter()
                .collect::<Vec<_>>(),
            [Permission::TestingSubmit]
        );
    }
}
