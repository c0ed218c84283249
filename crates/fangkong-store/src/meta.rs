//! Instance settings as key/value pairs (e.g. which demo city was loaded).

use crate::backend::{with_db, Db};
use crate::Result;

/// Access to the `meta` table.
pub struct Meta<'a> {
    pub(crate) db: &'a Db,
}

impl Meta<'_> {
    /// The value under `key`, if set.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn get(&self, key: &str) -> Result<Option<String>> {
        let value: Option<(String,)> = with_db!(
            self.db,
            read | pool | {
                sqlx::query_as("SELECT value FROM meta WHERE key = $1")
                    .bind(key)
                    .fetch_optional(pool)
                    .await?
            }
        );
        Ok(value.map(|(v,)| v))
    }

    /// Sets `key` to `value`, replacing any earlier value.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn set(&self, key: &str, value: &str) -> Result<()> {
        with_db!(
            self.db,
            write | pool | {
                sqlx::query(
                    "INSERT INTO meta (key, value) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                )
                .bind(key)
                .bind(value)
                .execute(pool)
                .await?;
            }
        );
        Ok(())
    }
}
