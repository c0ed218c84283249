//! Users, browser sessions and API tokens. Only hashes of passwords and tokens are stored;
//! hashing is the caller's (the app's auth module) so that this crate stays free of policy.

use crate::backend::{with_db, Db};
use crate::{Result, StoreError};

/// A user account.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub jurisdiction_code: Option<String>,
    pub disabled: bool,
    pub created_at: i64,
    pub org_unit: Option<String>,
    pub failed_logins: i64,
    pub locked_until: Option<i64>,
}

/// An organisation unit of the headquarters (office, department, county or township
/// headquarters).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OrgUnit {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub jurisdiction_code: Option<String>,
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub jurisdiction_code: Option<String>,
    pub org_unit: Option<String>,
}

/// A browser session.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Session {
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// An API token (its hash, never the token).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// JSON array narrowing the user's permissions; `None` keeps the role's.
    pub permissions: Option<String>,
    /// Narrows the user's jurisdiction.
    pub jurisdiction_code: Option<String>,
}

/// What a new token may do beyond its user's role: never more, possibly less.
#[derive(Debug, Clone, Default)]
pub struct TokenLimits {
    pub permissions: Option<Vec<String>>,
    pub jurisdiction_code: Option<String>,
    pub expires_at: Option<i64>,
}

const USER_COLUMNS: &str = "id, username, display_name, password_hash, role, jurisdiction_code, \
    disabled, created_at, org_unit, failed_logins, locked_until";
const TOKEN_COLUMNS: &str =
    "id, user_id, name, created_at, expires_at, revoked_at, permissions, jurisdiction_code";

/// Access to users, sessions and tokens.
pub struct Users<'a> {
    pub(crate) db: &'a Db,
}

impl Users<'_> {
    /// Creates a user.
    ///
    /// # Errors
    /// `Conflict` when the username is taken or the jurisdiction does not exist.
    pub async fn create(&self, user: &NewUser, now_ms: i64) -> Result<User> {
        let id: (i64,) = with_db!(
            self.db,
            write | pool | {
                sqlx::query_as(
                    "INSERT INTO users (username, display_name, password_hash, role, \
                 jurisdiction_code, disabled, created_at, org_unit) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                )
                .bind(&user.username)
                .bind(&user.display_name)
                .bind(&user.password_hash)
                .bind(&user.role)
                .bind(&user.jurisdiction_code)
                .bind(false)
                .bind(now_ms)
                .bind(&user.org_unit)
                .fetch_one(pool)
                .await?
            }
        );
        self.get(id.0).await
    }

    /// A user by id.
    ///
    /// # Errors
    /// `NotFound` when there is none.
    pub async fn get(&self, id: i64) -> Result<User> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        Ok(with_db!(
            self.db,
            read | pool | { sqlx::query_as(&sql).bind(id).fetch_one(pool).await? }
        ))
    }

    /// A user by username.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn find_by_username(&self, username: &str) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(username)
                    .fetch_optional(pool)
                    .await?
            }
        ))
    }

    /// Every user, by username.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn list(&self) -> Result<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY username");
        Ok(with_db!(
            self.db,
            read | pool | { sqlx::query_as(&sql).fetch_all(pool).await? }
        ))
    }

    /// Sets a user's password hash.
    ///
    /// # Errors
    /// `NotFound` when there is no such user.
    pub async fn set_password_hash(&self, id: i64, hash: &str) -> Result<()> {
        let done = with_db!(
            self.db,
            write | pool | {
                sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
                    .bind(id)
                    .bind(hash)
                    .execute(pool)
                    .await?
                    .rows_affected()
            }
        );
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Disables or re-enables a user; disabling also ends their sessions.
    ///
    /// # Errors
    /// `NotFound` when there is no such user.
    pub async fn set_disabled(&self, id: i64, disabled: bool) -> Result<()> {
        with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                let done = sqlx::query("UPDATE users SET disabled = $2 WHERE id = $1")
                    .bind(id)
                    .bind(disabled)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if done == 0 {
                    return Err(StoreError::NotFound);
                }
                if disabled {
                    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
            }
        );
        Ok(())
    }

    /// Stores a new session under the hash of its token.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn create_session(&self, token_hash: &[u8], session: &Session) -> Result<()> {
        with_db!(
            self.db,
            write | pool | {
                sqlx::query(
                "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(token_hash)
            .bind(session.user_id)
            .bind(&session.csrf_token)
            .bind(session.created_at)
            .bind(session.expires_at)
            .execute(pool)
            .await?;
            }
        );
        Ok(())
    }

    /// The session with this token hash, if it has not expired at `now_ms`.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn find_session(&self, token_hash: &[u8], now_ms: i64) -> Result<Option<Session>> {
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT user_id, csrf_token, created_at, expires_at FROM sessions \
                 WHERE token_hash = $1 AND expires_at > $2",
                )
                .bind(token_hash)
                .bind(now_ms)
                .fetch_optional(pool)
                .await?
            }
        ))
    }

    /// Ends a session.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn delete_session(&self, token_hash: &[u8]) -> Result<()> {
        with_db!(
            self.db,
            write | pool | {
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(pool)
                    .await?;
            }
        );
        Ok(())
    }

    /// Stores a new API token under its hash, with optional limits.
    ///
    /// # Errors
    /// `Conflict` for an unknown user.
    pub async fn create_token(
        &self,
        token_hash: &[u8],
        user_id: i64,
        name: &str,
        now_ms: i64,
        limits: &TokenLimits,
    ) -> Result<ApiToken> {
        let permissions = limits
            .permissions
            .as_ref()
            .map(|p| serde_json::to_string(p).unwrap_or_else(|_| "[]".to_string()));
        let sql = format!(
            "INSERT INTO api_tokens (token_hash, user_id, name, created_at, expires_at, \
             permissions, jurisdiction_code) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             RETURNING {TOKEN_COLUMNS}"
        );
        Ok(with_db!(
            self.db,
            write | pool | {
                sqlx::query_as(&sql)
                    .bind(token_hash)
                    .bind(user_id)
                    .bind(name)
                    .bind(now_ms)
                    .bind(limits.expires_at)
                    .bind(&permissions)
                    .bind(&limits.jurisdiction_code)
                    .fetch_one(pool)
                    .await?
            }
        ))
    }

    /// The live token with this hash: not revoked and not expired at `now_ms`.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn find_token(&self, token_hash: &[u8], now_ms: i64) -> Result<Option<ApiToken>> {
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL \
             AND (expires_at IS NULL OR expires_at > $2)"
        );
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(token_hash)
                    .bind(now_ms)
                    .fetch_optional(pool)
                    .await?
            }
        ))
    }

    /// The tokens of a user, newest first.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn tokens_of(&self, user_id: i64) -> Result<Vec<ApiToken>> {
        let sql =
            format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY id DESC");
        Ok(with_db!(
            self.db,
            read | pool | { sqlx::query_as(&sql).bind(user_id).fetch_all(pool).await? }
        ))
    }

    /// Records a failed login: increments the failure count and, when it reaches
    /// `lock_after`, locks the account until `lock_until_ms` (and resets the count).
    /// Returns whether the account is now locked.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn record_login_failure(
        &self,
        id: i64,
        lock_after: i64,
        lock_until_ms: i64,
    ) -> Result<bool> {
        let (locked,): (Option<i64>,) = with_db!(
            self.db,
            write
                | pool
                | {
                    sqlx::query_as(
                "UPDATE users SET \
                   locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END, \
                   failed_logins = CASE WHEN failed_logins + 1 >= $2 THEN 0 ELSE failed_logins + 1 END \
                 WHERE id = $1 RETURNING locked_until",
            )
            .bind(id)
            .bind(lock_after)
            .bind(lock_until_ms)
            .fetch_one(pool)
            .await?
                }
        );
        Ok(locked == Some(lock_until_ms))
    }

    /// Records a successful login: clears the failure count and any lock.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn record_login_success(&self, id: i64) -> Result<()> {
        with_db!(
            self.db,
            write | pool | {
                sqlx::query(
                    "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1",
                )
                .bind(id)
                .execute(pool)
                .await?;
            }
        );
        Ok(())
    }

    /// The organisation units, by code.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn org_units(&self) -> Result<Vec<OrgUnit>> {
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT code, name, kind, jurisdiction_code FROM org_units ORDER BY code",
                )
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// Creates an organisation unit if it does not exist yet.
    ///
    /// # Errors
    /// `Conflict` when the jurisdiction does not exist.
    pub async fn ensure_org_unit(&self, unit: &OrgUnit) -> Result<()> {
        with_db!(
            self.db,
            write
                | pool
                | {
                    sqlx::query(
                "INSERT INTO org_units (code, name, kind, jurisdiction_code) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (code) DO NOTHING",
            )
            .bind(&unit.code)
            .bind(&unit.name)
            .bind(&unit.kind)
            .bind(&unit.jurisdiction_code)
            .execute(pool)
            .await?;
                }
        );
        Ok(())
    }

    /// Revokes a token.
    ///
    /// # Errors
    /// `NotFound` when there is no such live token.
    pub async fn revoke_token(&self, id: i64, now_ms: i64) -> Result<()> {
        let done = with_db!(
            self.db,
            write | pool | {
                sqlx::query(
                    "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                )
                .bind(id)
                .bind(now_ms)
                .execute(pool)
                .await?
                .rows_affected()
            }
        );
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
