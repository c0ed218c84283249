//! Federation between instances: peers, the outbox the delivery worker drains, the inbox of
//! applied message ids and the log of refused messages.
//!
//! Outbox rows are written by the capability that caused them, in the same transaction as
//! the change (see `co_investigation`); this module only reads and marks them. It decides
//! nothing about signatures (the app does).

use crate::backend::{with_db, Db};
use crate::co_investigation::{inbox_insert, InboxEntry, OutboxMessage};
use crate::{Result, StoreError};

/// A federated instance.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PeerRow {
    pub code: String,
    pub url: String,
    pub public_key: String,
    pub added_at: i64,
}

/// A message waiting in the outbox.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: i64,
    pub message_id: String,
    pub peer_code: String,
    pub kind: String,
    pub payload: String,
    pub created_at: i64,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub delivered_at: Option<i64>,
    pub failed_at: Option<i64>,
}

/// A refused message.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RefusalRow {
    pub id: i64,
    pub at: i64,
    pub sender_code: String,
    pub message_id: String,
    pub kind: String,
    pub reason: String,
}

/// Counts of the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutboxCounts {
    pub pending: i64,
    pub delivered: i64,
    pub failed: i64,
}

/// Access to the federation tables.
pub struct Federation<'a> {
    pub(crate) db: &'a Db,
}

impl Federation<'_> {
    /// Every peer, by code.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn peers(&self) -> Result<Vec<PeerRow>> {
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT code, url, public_key, added_at FROM federation_peers ORDER BY code",
                )
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// Adds a peer or changes its URL and key.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn upsert_peer(
        &self,
        code: &str,
        url: &str,
        public_key: &str,
        now: i64,
    ) -> Result<()> {
        with_db!(
            self.db,
            write | pool | {
                sqlx::query(
                    "INSERT INTO federation_peers (code, url, public_key, added_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (code) DO UPDATE SET url = $2, \
                     public_key = $3",
                )
                .bind(code)
                .bind(url)
                .bind(public_key)
                .bind(now)
                .execute(pool)
                .await?;
            }
        );
        Ok(())
    }

    /// Removes a peer.
    ///
    /// # Errors
    /// `NotFound` for an unknown peer.
    pub async fn remove_peer(&self, code: &str) -> Result<()> {
        let n = with_db!(
            self.db,
            write | pool | {
                sqlx::query("DELETE FROM federation_peers WHERE code = $1")
                    .bind(code)
                    .execute(pool)
                    .await?
                    .rows_affected()
            }
        );
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Writes an outbox message on its own (a change that has no other row, e.g. daily
    /// statistics).
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn enqueue(&self, m: &OutboxMessage) -> Result<()> {
        with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                crate::co_investigation::outbox_insert!(tx, m);
                tx.commit().await?;
            }
        );
        Ok(())
    }

    /// Records a message that has no effect beyond being received (notifications,
    /// statistics) in the inbox; false when it was received before.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn receive_only(&self, e: &InboxEntry) -> Result<bool> {
        with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                let new = inbox_insert!(tx, e);
                tx.commit().await?;
                Ok(new)
            }
        )
    }

    /// Whether a message id was applied before.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn received(&self, message_id: &str) -> Result<bool> {
        let n: i64 = with_db!(
            self.db,
            read | pool | {
                sqlx::query_scalar("SELECT COUNT(*) FROM federation_inbox WHERE message_id = $1")
                    .bind(message_id)
                    .fetch_one(pool)
                    .await?
            }
        );
        Ok(n > 0)
    }

    /// How many messages were applied (the inbox) and refused.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn inbox_counts(&self) -> Result<(i64, i64)> {
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT (SELECT COUNT(*) FROM federation_inbox), \
                     (SELECT COUNT(*) FROM federation_refusals)",
                )
                .fetch_one(pool)
                .await?
            }
        ))
    }

    /// Up to `limit` pending messages, oldest first.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn pending(&self, limit: i64) -> Result<Vec<OutboxRow>> {
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT id, message_id, peer_code, kind, payload, created_at, attempts, \
                     last_error, delivered_at, failed_at FROM federation_outbox \
                     WHERE delivered_at IS NULL AND failed_at IS NULL ORDER BY id LIMIT $1",
                )
                .bind(limit)
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// Marks the outcome of one delivery attempt of each message: delivered, failed for good
    /// (refused by the peer), or to be retried with the error.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn mark(
        &self,
        delivered: &[i64],
        failed: &[(i64, String)],
        retry: &[(i64, String)],
        now: i64,
    ) -> Result<()> {
        with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                for id in delivered {
                    sqlx::query(
                        "UPDATE federation_outbox SET delivered_at = $2, attempts = attempts + 1, \
                         last_error = NULL WHERE id = $1",
                    )
                    .bind(id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                for (id, error) in failed {
                    sqlx::query(
                        "UPDATE federation_outbox SET failed_at = $2, attempts = attempts + 1, \
                         last_error = $3 WHERE id = $1",
                    )
                    .bind(id)
                    .bind(now)
                    .bind(error)
                    .execute(&mut *tx)
                    .await?;
                }
                for (id, error) in retry {
                    sqlx::query(
                        "UPDATE federation_outbox SET attempts = attempts + 1, last_error = $2 \
                         WHERE id = $1",
                    )
                    .bind(id)
                    .bind(error)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
            }
        );
        Ok(())
    }

    /// How many messages are pending, delivered and failed.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn outbox_counts(&self) -> Result<OutboxCounts> {
        let (pending, delivered, failed): (i64, i64, i64) = with_db!(
            self.db,
            read | pool
                | {
                    sqlx::query_as(
                    "SELECT \
                     COALESCE(SUM(CASE WHEN delivered_at IS NULL AND failed_at IS NULL THEN 1 ELSE 0 END), 0), \
                     COALESCE(SUM(CASE WHEN delivered_at IS NOT NULL THEN 1 ELSE 0 END), 0), \
                     COALESCE(SUM(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 END), 0) \
                     FROM federation_outbox",
                )
                .fetch_one(pool)
                .await?
                }
        );
        Ok(OutboxCounts {
            pending,
            delivered,
            failed,
        })
    }

    /// Logs a refused message.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn refuse(
        &self,
        at: i64,
        sender_code: &str,
        message_id: &str,
        kind: &str,
        reason: &str,
    ) -> Result<()> {
        with_db!(
            self.db,
            write | pool | {
                sqlx::query(
                    "INSERT INTO federation_refusals (at, sender_code, message_id, kind, reason) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(at)
                .bind(sender_code)
                .bind(message_id)
                .bind(kind)
                .bind(reason)
                .execute(pool)
                .await?;
            }
        );
        Ok(())
    }

    /// The latest refusals.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn refusals(&self, limit: i64) -> Result<Vec<RefusalRow>> {
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT id, at, sender_code, message_id, kind, reason FROM \
                     federation_refusals ORDER BY id DESC LIMIT $1",
                )
                .bind(limit)
                .fetch_all(pool)
                .await?
            }
        ))
    }
}
