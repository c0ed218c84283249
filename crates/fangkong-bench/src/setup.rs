//! What the import scenarios share: the instant they run at and a fresh SQLite store.

use std::path::Path;

use anyhow::Context as _;
use chrono::{TimeZone as _, Utc};
use fangkong_store::{ConnectOptions, MasterKey, Store};

/// The instant the import scenarios run at: 2026-12-01 10:00 China Standard Time.
pub(crate) fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0)
        .single()
        .expect("a valid time")
}

/// Opens (creating) the SQLite store of `dir`.
pub(crate) async fn open(dir: &Path, key: &MasterKey) -> anyhow::Result<Store> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    Store::open(
        &ConnectOptions::Sqlite {
            path: dir.join("fangkong.db"),
        },
        key,
    )
    .await
    .with_context(|| format!("opening the store in {}", dir.display()))
}
