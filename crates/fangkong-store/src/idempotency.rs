//! Responses of API writes sent with an `Idempotency-Key`, kept so that the same request
//! sent again (a client retrying after a timeout) gets the first response back instead of
//! being applied twice, and a key reused for a different request is refused.

use crate::backend::{with_db, Db};
use crate::Result;

/// A stored response.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredResponse {
    pub route: String,
    pub request_sha256: Vec<u8>,
    pub status: i64,
    pub body: String,
}

/// Access to idempotency keys.
pub struct IdempotencyKeys<'a> {
    pub(crate) db: &'a Db,
}

impl IdempotencyKeys<'_> {
    /// The response stored for `principal`'s `key`, if any.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn get(&self, principal: &str, key: &str) -> Result<Option<StoredResponse>> {
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT route, request_sha256, status, body FROM idempotency_keys \
                     WHERE principal = $1 AND key = $2",
                )
                .bind(principal)
                .bind(key)
                .fetch_optional(pool)
                .await?
            }
        ))
    }

    /// Stores a response; the first one stored for a key wins.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn put(
        &self,
        principal: &str,
        key: &str,
        response: &StoredResponse,
        now_ms: i64,
    ) -> Result<()> {
        with_db!(
            self.db,
            write
                | pool
                | {
                    sqlx::query(
                    "INSERT INTO idempotency_keys (principal, key, route, request_sha256, status, body, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (principal, key) DO NOTHING",
                )
                .bind(principal)
                .bind(key)
                .bind(&response.route)
                .bind(&response.request_sha256)
                .bind(response.status)
                .bind(&response.body)
                .bind(now_ms)
                .execute(pool)
                .await?;
                }
        );
        Ok(())
    }

    /// Forgets keys stored before `before_ms`; returns how many.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn expire(&self, before_ms: i64) -> Result<u64> {
        Ok(with_db!(
            self.db,
            write | pool | {
                sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
                    .bind(before_ms)
                    .execute(pool)
                    .await?
                    .rows_affected()
            }
        ))
    }
}
