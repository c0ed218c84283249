//! The private backend enum and the `with_db!` macro that writes a query once for both.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::ConnectOptions as _;

/// A statement slower than this is logged (a warning, target `sqlx::query`, with its SQL);
/// no other statement is.
const SLOW_STATEMENT: Duration = Duration::from_millis(500);

use crate::{Result, StoreError};

/// Where the database lives.
#[derive(Debug, Clone)]
pub enum ConnectOptions {
    /// An embedded SQLite database file (created if missing).
    Sqlite { path: PathBuf },
    /// A PostgreSQL server, by `postgres://` URL.
    Postgres { url: String, max_connections: u32 },
}

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// `sqlite` or `postgres`.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The connection pools. SQLite has one writer connection (SQLite serialises writers anyway,
/// and a single writer never meets `SQLITE_BUSY` on lock upgrade) and several readers.
#[derive(Clone)]
pub(crate) enum Db {
    Sqlite { read: SqlitePool, write: SqlitePool },
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the backend's pool: `read` or `write` picks the SQLite
/// pool (PostgreSQL has one). The body is compiled once per backend, so the same query text
/// and binds serve both.
macro_rules! with_db {
    ($db:expr, read |$pool:ident| $body:expr) => {
        match $db {
            $crate::backend::Db::Sqlite { read: $pool, .. } => $body,
            $crate::backend::Db::Postgres($pool) => $body,
        }
    };
    ($db:expr, write |$pool:ident| $body:expr) => {
        match $db {
            $crate::backend::Db::Sqlite { write: $pool, .. } => $body,
            $crate::backend::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_db;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The newest migration this binary knows for `backend` (the schema version of a backup).
pub(crate) fn latest_migration(backend: Backend) -> i64 {
    let migrator = match backend {
        Backend::Sqlite => &SQLITE_MIGRATIONS,
        Backend::Postgres => &POSTGRES_MIGRATIONS,
    };
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Tables whose `id` is generated, for [`Db::sync_id_sequences`].
const ID_TABLES: [&str; 15] = [
    "inbound_policies",
    "testing_rounds",
    "tubes",
    "samples",
    "tube_results",
    "retest_tasks",
    "suspected_cases",
    "audit_log",
    "households",
    "facilities",
    "rooms",
    "persons",
    "person_events",
    "users",
    "api_tokens",
];

impl Db {
    pub(crate) async fn connect(options: &ConnectOptions) -> Result<Db> {
        match options {
            ConnectOptions::Sqlite { path } => {
                let base = SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // FULL: a committed transaction survives power loss, not only a crash of
                    // the process; ingest commits in large transactions so the cost is small.
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
                    .pragma("cache_size", "-65536")
                    .pragma("temp_store", "memory")
                    // Pages are read from the operating system's cache in place rather than
                    // copied into each connection's own: lookups over millions of persons
                    // touch more pages than a connection's cache holds.
                    .pragma("mmap_size", "17179869184")
                    .log_statements(log::LevelFilter::Off)
                    .log_slow_statements(log::LevelFilter::Warn, SLOW_STATEMENT);
                let write = SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect_with(base.clone())
                    .await?;
                // Readers read pages through their own caches, not a memory map: under a
                // steady stream of writes the file grows at every checkpoint, and each reader
                // would unmap and map it again at its next transaction (a third of the
                // server's time under `fangkong-bench http`, in munmap and TLB shootdowns).
                let read = SqlitePoolOptions::new()
                    .max_connections(8)
                    .connect_with(base.read_only(true).pragma("mmap_size", "0"))
                    .await?;
                Ok(Db::Sqlite { read, write })
            }
            ConnectOptions::Postgres {
                url,
                max_connections,
            } => {
                let opts = PgConnectOptions::from_str(url)?
                    .log_statements(log::LevelFilter::Off)
                    .log_slow_statements(log::LevelFilter::Warn, SLOW_STATEMENT)
                    .options([("client_min_messages", "warning")]);
                let pool = PgPoolOptions::new()
                    .max_connections(*max_connections)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(opts)
                    .await?;
                Ok(Db::Postgres(pool))
            }
        }
    }

    pub(crate) fn kind(&self) -> Backend {
        match self {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    pub(crate) async fn migrate(&self) -> Result<()> {
        match self {
            Db::Sqlite { write, .. } => SQLITE_MIGRATIONS.run(write).await?,
            Db::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    pub(crate) async fn ping(&self) -> Result<()> {
        with_db!(
            self,
            read | pool | {
                sqlx::query("SELECT 1").execute(pool).await?;
            }
        );
        Ok(())
    }

    pub(crate) async fn foreign_keys_enforced(&self) -> Result<bool> {
        match self {
            Db::Sqlite { write, .. } => {
                let on: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
                    .fetch_one(write)
                    .await?;
                Ok(on == 1)
            }
            Db::Postgres(_) => Ok(true),
        }
    }

    pub(crate) async fn close(&self) {
        match self {
            Db::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }

    pub(crate) async fn sync_id_sequences(&self) -> Result<()> {
        if let Db::Postgres(pool) = self {
            for table in ID_TABLES {
                let sql = format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                     GREATEST((SELECT MAX(id) FROM {table}), 1))"
                );
                sqlx::query(&sql)
                    .execute(pool)
                    .await
                    .map_err(StoreError::from)?;
            }
        }
        Ok(())
    }
}

impl Db {
    /// `n` bind markers for the parameters numbered `first..first + n`, comma-separated.
    ///
    /// Both backends accept `$n`, but SQLite treats `$n` (and `?n`) as a *named*
    /// parameter, and sqlx asks `sqlite3_bind_parameter_name` for every parameter, which
    /// walks the list of names: quadratic in the number of parameters (a 30 000-parameter
    /// bulk insert spent seconds there). Plain `?` markers are anonymous and numbered in
    /// order, so statements with many parameters use them on SQLite. Such a statement must
    /// use only these markers, in order.
    pub(crate) fn placeholders(&self, first: usize, n: usize) -> String {
        match self {
            Db::Sqlite { .. } => vec!["?"; n].join(", "),
            Db::Postgres(_) => (first..first + n)
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    /// `(m1, .., mk), (mk+1, ..), ..` for `rows` rows of `per_row` binds.
    pub(crate) fn values_clause(&self, rows: usize, per_row: usize) -> String {
        (0..rows)
            .map(|r| format!("({})", self.placeholders(r * per_row + 1, per_row)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Runs `f` on the SQLite connection under `conn`, inside whatever transaction `conn` has
/// open, through `rusqlite`. Bulk writes use it: through the driver every statement is a
/// round trip to the connection's worker thread and every argument is boxed, which for
/// millions of rows cost more than the B-tree work. With the connection locked, `f`
/// executes one prepared statement per row on the calling thread, as a bulk loader would.
///
/// `f` blocks: on a multi-threaded runtime the thread is handed over to blocking work while
/// it runs (a current-thread runtime, as in tests, simply waits).
#[allow(unsafe_code)]
pub(crate) async fn with_raw_sqlite<R>(
    conn: &mut sqlx::SqliteConnection,
    f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<R>,
) -> Result<R> {
    let mut handle = conn.lock_handle().await?;
    let raw = handle.as_raw_handle();
    let run = || {
        // SAFETY: `handle` keeps the connection locked to this thread until it is dropped,
        // after `db`; `from_handle` does not take ownership (the connection is not closed),
        // and dropping `db` finalizes the statements it prepared before the lock is released.
        let db = unsafe { rusqlite::Connection::from_handle(raw.as_ptr()) }?;
        let out = f(&db);
        drop(db);
        out
    };
    let out = match tokio::runtime::Handle::try_current() {
        Ok(rt) if rt.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(run)
        }
        _ => run(),
    };
    drop(handle);
    Ok(out?)
}

/// The SQLite writer connection with foreign-key enforcement off, for bulk writes whose
/// references the caller has established itself in the same transaction (ids it has just
/// read or inserted, of rows that are never deleted). SQLite checks a reference per row by
/// a B-tree probe of the parent; for a city's samples that was two fifths of the insert.
///
/// The pragma can only change outside a transaction, so it is set before `BEGIN` and set
/// back by [`ForeignKeysOff::restore`] after `COMMIT`. A connection not restored (an error,
/// or the future dropped midway) is closed instead of going back to the pool; the pool
/// opens a new one with enforcement on.
pub(crate) struct ForeignKeysOff {
    conn: sqlx::pool::PoolConnection<sqlx::Sqlite>,
    restored: bool,
}

impl ForeignKeysOff {
    pub(crate) async fn acquire(write: &SqlitePool) -> Result<ForeignKeysOff> {
        let mut conn = write.acquire().await?;
        sqlx::query("PRAGMA foreign_keys = OFF")
            .execute(&mut *conn)
            .await?;
        Ok(ForeignKeysOff {
            conn,
            restored: false,
        })
    }

    pub(crate) fn conn(&mut self) -> &mut sqlx::SqliteConnection {
        &mut self.conn
    }

    /// Turns enforcement back on; the connection then returns to the pool.
    pub(crate) async fn restore(mut self) -> Result<()> {
        sqlx::query("PRAGMA foreign_keys = ON")
            .execute(&mut *self.conn)
            .await?;
        self.restored = true;
        Ok(())
    }
}

impl Drop for ForeignKeysOff {
    fn drop(&mut self) {
        if !self.restored {
            self.conn.close_on_drop();
        }
    }
}

/// The current maximum number of bind parameters we put in one statement; both backends
/// accept more (SQLite 32 766, PostgreSQL 65 535).
pub(crate) const MAX_BINDS: usize = 30_000;
