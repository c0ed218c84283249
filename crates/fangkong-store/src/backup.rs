//! Backup and restore: a consistent snapshot of a running store in one file, and its
//! restoration into an empty data directory (SQLite) or an empty database (PostgreSQL).
//!
//! The file is a header line (`FANGKONG-BACKUP 1`), a manifest line (JSON: backend, schema
//! version, creation time, the payload's length and SHA-256, a check value of the master key,
//! and every table's row count and content hash at the snapshot), then the payload: the
//! SQLite database written by `VACUUM INTO` on a reader connection, or a `pg_dump` archive
//! (custom format) taken in an exported repeatable-read snapshot. Either way the snapshot is
//! one transaction, so a backup taken while the server writes is a state the database was
//! in. The master key is never inside the file; the manifest holds only a check value, so a
//! restore can refuse a key that does not belong to the backup.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::backend::{self, Backend, Db};
use crate::{ConnectOptions, Crypto, MasterKey, StoreError};

const MAGIC: &str = "FANGKONG-BACKUP 1";
/// The longest manifest line read (a manifest lists a few dozen tables).
const MAX_MANIFEST: u64 = 1 << 20;

/// What a backup or restore can fail on.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("not a fangkong backup file (no FANGKONG-BACKUP header)")]
    NotABackup,
    #[error("backup file is damaged: {0}")]
    Damaged(String),
    #[error("backup was taken from {found}, cannot restore into {expected}")]
    WrongBackend { found: String, expected: String },
    #[error("backup has schema version {found}, newer than this binary's {supported}; upgrade fangkong first")]
    NewerSchema { found: i64, supported: i64 },
    #[error("{0} is not empty; restore only into an empty data directory or database")]
    NotEmpty(String),
    #[error("{tool} failed ({status}): {stderr}")]
    Tool {
        tool: &'static str,
        status: String,
        stderr: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for BackupError {
    fn from(e: sqlx::Error) -> BackupError {
        BackupError::Store(e.into())
    }
}

impl From<rusqlite::Error> for BackupError {
    fn from(e: rusqlite::Error) -> BackupError {
        BackupError::Store(e.into())
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One table's row count and a hash of its content, independent of row order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableDigest {
    pub table: String,
    pub rows: i64,
    pub hash: String,
}

/// The second line of a backup file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// The newest migration applied when the snapshot was taken.
    pub schema_version: i64,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub payload_bytes: u64,
    pub payload_sha256: String,
    /// Identifies the master key the personal data is encrypted with (not the key).
    pub key_check: String,
    /// Every table at the snapshot, by name.
    pub tables: Vec<TableDigest>,
}

/// A check value of `key`: equal for the same key, useless for recovering it.
pub fn key_check(key: &MasterKey) -> String {
    hex::encode(&Crypto::new(key).sign(b"fangkong backup key check")[..8])
}

/// `path` with `suffix` appended to its file name.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

impl crate::Store {
    /// Every table with its row count and content hash, ordered by name, read in one
    /// transaction.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn table_digests(&self) -> crate::Result<Vec<TableDigest>> {
        match &self.inner.db {
            Db::Sqlite { read, .. } => {
                let mut tx = read.begin().await?;
                backend::with_raw_sqlite(&mut tx, sqlite_digests).await
            }
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .execute(&mut *tx)
                    .await?;
                Ok(pg_digests(&mut tx).await?)
            }
        }
    }

    /// Writes a consistent snapshot of the database to `out` (which must not exist) while
    /// other connections go on writing, and returns its manifest. The master key is not
    /// included.
    ///
    /// # Errors
    /// `Io` when `out` exists or cannot be written, `Tool` when `pg_dump` fails, `Store`
    /// on database failure.
    pub async fn backup(&self, out: &Path) -> Result<Manifest, BackupError> {
        if out.exists() {
            return Err(BackupError::Io {
                path: out.to_path_buf(),
                source: std::io::Error::new(std::io::ErrorKind::AlreadyExists, "file exists"),
            });
        }
        let payload = sibling(out, ".payload");
        let _ = std::fs::remove_file(&payload);
        let result = self.snapshot(&payload).await;
        let written = match result {
            Ok((backend, schema_version, tables)) => {
                let key_check = hex::encode(&self.sign_link(b"fangkong backup key check")[..8]);
                let out = out.to_path_buf();
                let payload = payload.clone();
                tokio::task::spawn_blocking(move || {
                    assemble(&out, &payload, backend, schema_version, key_check, tables)
                })
                .await
                .map_err(|e| BackupError::Damaged(format!("backup task failed: {e}")))?
            }
            Err(e) => Err(e),
        };
        let _ = std::fs::remove_file(&payload);
        written
    }

    /// The snapshot itself, into `payload`: the backend, schema version and table digests.
    async fn snapshot(
        &self,
        payload: &Path,
    ) -> Result<(Backend, i64, Vec<TableDigest>), BackupError> {
        match (&self.inner.db, &self.inner.options) {
            (Db::Sqlite { read, .. }, _) => {
                // A reader connection: the copy is one read transaction, so writers go on.
                let target = payload.to_str().ok_or_else(|| BackupError::Io {
                    path: payload.to_path_buf(),
                    source: std::io::Error::other("path is not UTF-8"),
                })?;
                sqlx::query("VACUUM INTO $1")
                    .bind(target)
                    .execute(read)
                    .await?;
                let payload = payload.to_path_buf();
                let (version, tables) =
                    tokio::task::spawn_blocking(move || -> Result<_, BackupError> {
                        let db = rusqlite::Connection::open(&payload)?;
                        let version = sqlite_schema_version(&db)?;
                        Ok((version, sqlite_digests(&db)?))
                    })
                    .await
                    .map_err(|e| BackupError::Damaged(format!("backup task failed: {e}")))??;
                Ok((Backend::Sqlite, version, tables))
            }
            (Db::Postgres(pool), ConnectOptions::Postgres { url, .. }) => {
                // pg_dump reads in the snapshot this transaction exports, so the digests
                // and the dump describe the same state.
                let mut tx = pool.begin().await?;
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .execute(&mut *tx)
                    .await?;
                let snapshot: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
                    .fetch_one(&mut *tx)
                    .await?;
                let version: i64 = sqlx::query_scalar(
                    "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success",
                )
                .fetch_one(&mut *tx)
                .await?;
                let tables = pg_digests(&mut tx).await?;
                let url = url.clone();
                let payload = payload.to_path_buf();
                tokio::task::spawn_blocking(move || {
                    run_tool(
                        "pg_dump",
                        std::process::Command::new("pg_dump")
                            .arg("--format=custom")
                            .arg("--no-owner")
                            .arg("--no-privileges")
                            .arg(format!("--snapshot={snapshot}"))
                            .arg(format!("--file={}", payload.display()))
                            .arg(format!("--dbname={url}")),
                    )
                })
                .await
                .map_err(|e| BackupError::Damaged(format!("backup task failed: {e}")))??;
                tx.commit().await?;
                Ok((Backend::Postgres, version, tables))
            }
            (Db::Postgres(_), ConnectOptions::Sqlite { .. }) => {
                unreachable!("a PostgreSQL store is opened from PostgreSQL options")
            }
        }
    }
}

/// Writes header, manifest and payload to `out` (through a temporary name, so `out` is
/// complete or absent).
fn assemble(
    out: &Path,
    payload: &Path,
    backend: Backend,
    schema_version: i64,
    key_check: String,
    tables: Vec<TableDigest>,
) -> Result<Manifest, BackupError> {
    let (payload_bytes, payload_sha256) = hash_file(payload)?;
    let manifest = Manifest {
        backend: backend.as_str().to_string(),
        schema_version,
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        payload_bytes,
        payload_sha256,
        key_check,
        tables,
    };
    let partial = sibling(out, ".partial");
    let write = || -> std::io::Result<()> {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&partial)?);
        writeln!(file, "{MAGIC}")?;
        serde_json::to_writer(&mut file, &manifest)?;
        writeln!(file)?;
        std::io::copy(&mut std::fs::File::open(payload)?, &mut file)?;
        file.into_inner()?.sync_all()?;
        std::fs::rename(&partial, out)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&partial);
        io(out)(e)
    })?;
    Ok(manifest)
}

fn hash_file(path: &Path) -> Result<(u64, String), BackupError> {
    let mut file = std::fs::File::open(path).map_err(io(path))?;
    let mut hasher = Sha256::new();
    let n = std::io::copy(&mut file, &mut hasher).map_err(io(path))?;
    Ok((n, hex::encode(hasher.finalize())))
}

fn run_tool(tool: &'static str, command: &mut std::process::Command) -> Result<(), BackupError> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|source| BackupError::Io {
            path: PathBuf::from(tool),
            source,
        })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(BackupError::Tool {
            tool,
            status: output.status.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        })
    }
}

/// Reads the manifest of a backup file without restoring it.
///
/// # Errors
/// `NotABackup` or `Damaged` when the header or manifest cannot be read.
pub fn read_manifest(file: &Path) -> Result<Manifest, BackupError> {
    let mut reader = BufReader::new(std::fs::File::open(file).map_err(io(file))?);
    header(&mut reader, file)
}

fn header(reader: &mut impl std::io::BufRead, file: &Path) -> Result<Manifest, BackupError> {
    let mut magic = Vec::new();
    reader
        .take(MAGIC.len() as u64 + 1)
        .read_until(b'\n', &mut magic)
        .map_err(io(file))?;
    if magic != format!("{MAGIC}\n").as_bytes() {
        return Err(BackupError::NotABackup);
    }
    let mut line = Vec::new();
    reader
        .take(MAX_MANIFEST)
        .read_until(b'\n', &mut line)
        .map_err(io(file))?;
    serde_json::from_slice(&line)
        .map_err(|e| BackupError::Damaged(format!("manifest is unreadable: {e}")))
}

/// Copies the payload of `file` to `to` and checks its length and checksum.
fn extract(file: &Path, to: &Path) -> Result<Manifest, BackupError> {
    let mut reader = BufReader::new(std::fs::File::open(file).map_err(io(file))?);
    let manifest = header(&mut reader, file)?;
    let mut out = std::fs::File::create(to).map_err(io(to))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0u64;
    loop {
        let read = reader.read(&mut buf).map_err(io(file))?;
        if read == 0 {
            break;
        }
        hasher.update(&buf[..read]);
        out.write_all(&buf[..read]).map_err(io(to))?;
        n += read as u64;
    }
    out.sync_all().map_err(io(to))?;
    if n != manifest.payload_bytes {
        return Err(BackupError::Damaged(format!(
            "payload is {n} bytes, the manifest says {}",
            manifest.payload_bytes
        )));
    }
    if hex::encode(hasher.finalize()) != manifest.payload_sha256 {
        return Err(BackupError::Damaged("payload checksum differs".to_string()));
    }
    Ok(manifest)
}

fn check_manifest(manifest: &Manifest, backend: Backend) -> Result<(), BackupError> {
    if manifest.backend != backend.as_str() {
        return Err(BackupError::WrongBackend {
            found: manifest.backend.clone(),
            expected: backend.as_str().to_string(),
        });
    }
    let supported = backend::latest_migration(backend);
    if manifest.schema_version > supported {
        return Err(BackupError::NewerSchema {
            found: manifest.schema_version,
            supported,
        });
    }
    Ok(())
}

fn compare(manifest: &Manifest, restored: &[TableDigest]) -> Result<(), BackupError> {
    if manifest.tables == restored {
        return Ok(());
    }
    let differ = manifest
        .tables
        .iter()
        .filter(|t| !restored.contains(t))
        .map(|t| t.table.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    Err(BackupError::Damaged(format!(
        "restored tables differ from the manifest: {differ}"
    )))
}

/// Restores `file` into `target`, which must be empty: for SQLite a data directory holding
/// nothing but possibly the master key file (`keep`), where `db_file` is created; for
/// PostgreSQL a database without tables. Every table's row count and content hash are
/// checked against the manifest before the restore counts as done. The schema is not
/// migrated here; opening the store afterwards applies newer migrations.
///
/// # Errors
/// `NotABackup`, `Damaged`, `WrongBackend`, `NewerSchema`, `NotEmpty`, `Tool`, `Io`, `Store`.
pub async fn restore(
    file: &Path,
    target: &ConnectOptions,
    keep: &[&str],
) -> Result<Manifest, BackupError> {
    let manifest = read_manifest(file)?;
    match target {
        ConnectOptions::Sqlite { path } => {
            check_manifest(&manifest, Backend::Sqlite)?;
            let dir = path.parent().unwrap_or(Path::new("."));
            if dir.exists() {
                for entry in std::fs::read_dir(dir).map_err(io(dir))? {
                    let entry = entry.map_err(io(dir))?;
                    if !keep.iter().any(|k| entry.file_name() == **k) {
                        return Err(BackupError::NotEmpty(dir.display().to_string()));
                    }
                }
            }
            std::fs::create_dir_all(dir).map_err(io(dir))?;
            let partial = sibling(path, ".restoring");
            let (file, path_) = (file.to_path_buf(), path.clone());
            let partial_ = partial.clone();
            let result = tokio::task::spawn_blocking(move || -> Result<Manifest, BackupError> {
                let manifest = extract(&file, &partial_)?;
                let restored = {
                    let db = rusqlite::Connection::open(&partial_)
                        .map_err(|e| BackupError::Damaged(e.to_string()))?;
                    let check: String = db
                        .query_row("PRAGMA quick_check", [], |r| r.get(0))
                        .map_err(|e| BackupError::Damaged(e.to_string()))?;
                    if check != "ok" {
                        return Err(BackupError::Damaged(format!("database check: {check}")));
                    }
                    sqlite_digests(&db)?
                };
                compare(&manifest, &restored)?;
                std::fs::rename(&partial_, &path_).map_err(io(&path_))?;
                Ok(manifest)
            })
            .await
            .map_err(|e| BackupError::Damaged(format!("restore task failed: {e}")))?;
            if result.is_err() {
                let _ = std::fs::remove_file(&partial);
            }
            result
        }
        ConnectOptions::Postgres { .. } => {
            check_manifest(&manifest, Backend::Postgres)?;
            let db = Db::connect(target).await?;
            let result = restore_postgres(&db, file, target).await;
            db.close().await;
            result
        }
    }
}

async fn restore_postgres(
    db: &Db,
    file: &Path,
    target: &ConnectOptions,
) -> Result<Manifest, BackupError> {
    let (Db::Postgres(pool), ConnectOptions::Postgres { url, .. }) = (db, target) else {
        unreachable!("called with PostgreSQL options")
    };
    let tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
    )
    .fetch_one(pool)
    .await?;
    if tables > 0 {
        return Err(BackupError::NotEmpty(format!(
            "the database ({tables} tables)"
        )));
    }
    let payload = std::env::temp_dir().join(format!(
        "fangkong-restore-{}-{}.dump",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    let (file, payload_, url) = (file.to_path_buf(), payload.clone(), url.clone());
    let result = tokio::task::spawn_blocking(move || -> Result<Manifest, BackupError> {
        let manifest = extract(&file, &payload_)?;
        run_tool(
            "pg_restore",
            std::process::Command::new("pg_restore")
                .arg("--no-owner")
                .arg("--no-privileges")
                .arg("--exit-on-error")
                .arg("--single-transaction")
                .arg(format!("--dbname={url}"))
                .arg(&payload_),
        )?;
        Ok(manifest)
    })
    .await
    .map_err(|e| BackupError::Damaged(format!("restore task failed: {e}")))?;
    let _ = std::fs::remove_file(&payload);
    let manifest = result?;
    let mut conn = pool.acquire().await?;
    compare(&manifest, &pg_digests(&mut conn).await?)?;
    Ok(manifest)
}

fn sqlite_schema_version(db: &rusqlite::Connection) -> rusqlite::Result<i64> {
    db.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success",
        [],
        |r| r.get(0),
    )
}

/// Digests of every table of a SQLite database: each row's values (type and bytes) hashed,
/// the row hashes sorted and hashed again.
fn sqlite_digests(db: &rusqlite::Connection) -> rusqlite::Result<Vec<TableDigest>> {
    use rusqlite::types::ValueRef;
    let names: Vec<String> = db
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             ORDER BY name",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::with_capacity(names.len());
    for table in names {
        let mut stmt = db.prepare(&format!("SELECT * FROM \"{table}\""))?;
        let columns = stmt.column_count();
        let mut rows = stmt.query([])?;
        let mut hashes: Vec<[u8; 32]> = Vec::new();
        while let Some(row) = rows.next()? {
            let mut h = Sha256::new();
            for i in 0..columns {
                match row.get_ref(i)? {
                    ValueRef::Null => h.update([0u8]),
                    ValueRef::Integer(v) => {
                        h.update([1u8]);
                        h.update(v.to_le_bytes());
                    }
                    ValueRef::Real(v) => {
                        h.update([2u8]);
                        h.update(v.to_le_bytes());
                    }
                    ValueRef::Text(v) | ValueRef::Blob(v) => {
                        h.update([3u8]);
                        h.update((v.len() as u64).to_le_bytes());
                        h.update(v);
                    }
                }
            }
            hashes.push(h.finalize().into());
        }
        hashes.sort_unstable();
        let mut all = Sha256::new();
        for h in &hashes {
            all.update(h);
        }
        out.push(TableDigest {
            table,
            rows: hashes.len() as i64,
            hash: hex::encode(all.finalize()),
        });
    }
    Ok(out)
}

/// Digests of every table in the public schema: the MD5 of each row's text, sorted, hashed.
async fn pg_digests(conn: &mut sqlx::PgConnection) -> Result<Vec<TableDigest>, sqlx::Error> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(names.len());
    for table in names {
        let (rows, hash): (i64, String) = sqlx::query_as(&format!(
            "SELECT COUNT(*), COALESCE(md5(string_agg(h, '' ORDER BY h)), '') \
             FROM (SELECT md5(t::text) AS h FROM \"{table}\" t) s"
        ))
        .fetch_one(&mut *conn)
        .await?;
        out.push(TableDigest { table, rows, hash });
    }
    Ok(out)
}
