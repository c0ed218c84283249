//! The audit log: append-only and hash-chained.
//!
//! Each entry's hash is SHA-256 over the previous entry's hash and the entry's own fields
//! (length-prefixed, so no two field lists encode alike). The chain head (last id and hash)
//! is kept in `meta` in the same transaction as the append, so altering, removing or
//! reordering any entry, or cutting the tail, is found by [`Audit::verify`]. Triggers
//! refuse UPDATE and DELETE; the chain catches whoever goes around them.
//! Entries name objects by id and never hold personal data.

use sha2::{Digest, Sha256};

use crate::backend::{with_db, Db};
use crate::Result;

const HEAD_KEY: &str = "audit.head";
const GENESIS: [u8; 32] = [0; 32];

/// An entry to append.
#[derive(Debug, Clone, Default)]
pub struct NewAuditEntry {
    pub at: i64,
    /// `user:NAME`, `token:NAME/ID` or `system:NAME`.
    pub actor: String,
    /// What was done, e.g. `person.view`, `person.reveal`, `persons.export`, `purge`.
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    /// The purpose the actor stated (reveals, exports, purges).
    pub purpose: Option<String>,
    pub operation_id: String,
    /// JSON with no personal data.
    pub detail: String,
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    pub purpose: Option<String>,
    pub operation_id: String,
    pub detail: String,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}

/// Filters of an audit search; `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

/// The outcome of a chain check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Entries checked.
    pub entries: u64,
    /// The first entry (by id) where the chain breaks, and why; `None` when intact.
    pub first_broken: Option<(i64, String)>,
}

fn put(h: &mut Sha256, field: &[u8]) {
    h.update((field.len() as u64).to_be_bytes());
    h.update(field);
}

fn entry_hash(prev: &[u8], id: i64, e: &NewAuditEntry) -> Vec<u8> {
    let mut h = Sha256::new();
    put(&mut h, prev);
    put(&mut h, &id.to_be_bytes());
    put(&mut h, &e.at.to_be_bytes());
    for f in [
        &e.actor,
        &e.action,
        &e.object_type,
        &e.operation_id,
        &e.detail,
    ] {
        put(&mut h, f.as_bytes());
    }
    for f in [&e.object_id, &e.purpose] {
        match f {
            Some(v) => {
                h.update([1]);
                put(&mut h, v.as_bytes());
            }
            None => h.update([0]),
        }
    }
    h.finalize().to_vec()
}

fn parse_head(value: Option<String>) -> (i64, Vec<u8>) {
    value
        .and_then(|v| {
            let (id, hash) = v.split_once(':')?;
            Some((id.parse().ok()?, hex::decode(hash).ok()?))
        })
        .unwrap_or((0, GENESIS.to_vec()))
}

const COLUMNS: &str =
    "id, at, actor, action, object_type, object_id, purpose, operation_id, detail, prev_hash, hash";

/// Access to the audit log.
pub struct Audit<'a> {
    pub(crate) db: &'a Db,
    pub(crate) writer: &'a Writer,
}

/// An append waiting for its batch, and where its answer goes.
type Pending = (
    NewAuditEntry,
    tokio::sync::oneshot::Sender<Result<AuditEntry>>,
);

/// The group-commit writer: appends queued by concurrent requests are written together,
/// in one transaction, by one task (started by the first append, ended when the store is
/// dropped). Each append is answered only after its batch is committed, so an entry is
/// durable before the act it records goes ahead; a batch that fails answers every append
/// in it with the failure. Why: every view and search of personal data is audited, and one
/// transaction per entry made the single SQLite writer the limit of the whole server.
#[derive(Default)]
pub(crate) struct Writer {
    queue: std::sync::OnceLock<tokio::sync::mpsc::UnboundedSender<Pending>>,
}

/// Entries written in one transaction at most.
const BATCH: usize = 256;

async fn write_batches(db: Db, mut queue: tokio::sync::mpsc::UnboundedReceiver<Pending>) {
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match queue.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        let entries: Vec<&NewAuditEntry> = batch.iter().map(|(e, _)| e).collect();
        match write_batch(&db, &entries).await {
            Ok(rows) => {
                for ((_, reply), row) in batch.into_iter().zip(rows) {
                    let _ = reply.send(Ok(row));
                }
            }
            Err(e) => {
                let text = e.to_string();
                let mut first = Some(e);
                for (_, reply) in batch {
                    let err = first.take().unwrap_or_else(|| {
                        crate::StoreError::Unavailable(sqlx::Error::Protocol(text.clone()))
                    });
                    let _ = reply.send(Err(err));
                }
            }
        }
    }
}

/// Appends `entries` to the chain in one transaction.
async fn write_batch(db: &Db, entries: &[&NewAuditEntry]) -> Result<Vec<AuditEntry>> {
    Ok(with_db!(
        db,
        write | pool | {
            let mut tx = pool.begin().await?;
            if matches!(db, Db::Postgres(_)) {
                // Serialise appenders (other processes too): the chain needs one writer.
                sqlx::query("SELECT pg_advisory_xact_lock(7001)")
                    .execute(&mut *tx)
                    .await?;
            }
            let head: Option<(String,)> = sqlx::query_as("SELECT value FROM meta WHERE key = $1")
                .bind(HEAD_KEY)
                .fetch_optional(&mut *tx)
                .await?;
            let (mut last_id, mut prev) = parse_head(head.map(|h| h.0));
            let mut rows = Vec::with_capacity(entries.len());
            for e in entries {
                let id = last_id + 1;
                let hash = entry_hash(&prev, id, e);
                rows.push(AuditEntry {
                    id,
                    at: e.at,
                    actor: e.actor.clone(),
                    action: e.action.clone(),
                    object_type: e.object_type.clone(),
                    object_id: e.object_id.clone(),
                    purpose: e.purpose.clone(),
                    operation_id: e.operation_id.clone(),
                    detail: e.detail.clone(),
                    prev_hash: prev,
                    hash: hash.clone(),
                });
                last_id = id;
                prev = hash;
            }
            // One statement for the batch (11 binds an entry: 256 entries stay far below
            // either backend's limit on binds).
            let values = db.values_clause(rows.len(), 11);
            let sql = format!(
                "INSERT INTO audit_log (id, at, actor, action, object_type, object_id, purpose, \
                 operation_id, detail, prev_hash, hash) VALUES {values}"
            );
            let mut q = sqlx::query(&sql);
            for r in &rows {
                q = q
                    .bind(r.id)
                    .bind(r.at)
                    .bind(&r.actor)
                    .bind(&r.action)
                    .bind(&r.object_type)
                    .bind(&r.object_id)
                    .bind(&r.purpose)
                    .bind(&r.operation_id)
                    .bind(&r.detail)
                    .bind(&r.prev_hash)
                    .bind(&r.hash);
            }
            q.execute(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO meta (key, value) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(HEAD_KEY)
            .bind(format!("{last_id}:{}", hex::encode(&prev)))
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            rows
        }
    ))
}

impl Audit<'_> {
    /// Appends an entry to the chain (with the other appends waiting at that moment, in one
    /// transaction; see [`Writer`]) and returns it as stored.
    ///
    /// # Errors
    /// `Unavailable` on database failure (the caller must then not proceed with the act
    /// being audited).
    pub async fn append(&self, entry: &NewAuditEntry) -> Result<AuditEntry> {
        let queue = self.writer.queue.get_or_init(|| {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            tokio::spawn(write_batches(self.db.clone(), rx));
            tx
        });
        let (reply, answer) = tokio::sync::oneshot::channel();
        let gone = || {
            crate::StoreError::Unavailable(sqlx::Error::Protocol(
                "the audit writer has stopped".into(),
            ))
        };
        queue.send((entry.clone(), reply)).map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }

    /// One entry by id.
    ///
    /// # Errors
    /// `NotFound` when there is none.
    pub async fn get(&self, id: i64) -> Result<AuditEntry> {
        let sql = format!("SELECT {COLUMNS} FROM audit_log WHERE id = $1");
        Ok(with_db!(
            self.db,
            read | pool | { sqlx::query_as(&sql).bind(id).fetch_one(pool).await? }
        ))
    }

    /// Entries matching the filter, newest first.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn search(&self, f: &AuditFilter) -> Result<Vec<AuditEntry>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_log WHERE ($1 IS NULL OR actor = $1) \
             AND ($2 IS NULL OR action = $2) AND ($3 IS NULL OR object_type = $3) \
             AND ($4 IS NULL OR object_id = $4) AND ($5 IS NULL OR at >= $5) \
             AND ($6 IS NULL OR at < $6) ORDER BY id DESC LIMIT $7 OFFSET $8"
        );
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(&f.actor)
                    .bind(&f.action)
                    .bind(&f.object_type)
                    .bind(&f.object_id)
                    .bind(f.from_ms)
                    .bind(f.to_ms)
                    .bind(f.limit)
                    .bind(f.offset)
                    .fetch_all(pool)
                    .await?
            }
        ))
    }

    /// Walks the whole chain in id order and reports the first entry that does not hold:
    /// a gap in the ids, a `prev_hash` that is not the previous entry's hash, a hash that
    /// does not match the entry's fields, or a head in `meta` that is not the last entry.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn verify(&self) -> Result<Verification> {
        const PAGE: i64 = 10_000;
        let mut prev = GENESIS.to_vec();
        let mut expected_id = 1;
        let mut entries = 0;
        let sql = format!("SELECT {COLUMNS} FROM audit_log WHERE id >= $1 ORDER BY id LIMIT $2");
        loop {
            let page: Vec<AuditEntry> = with_db!(
                self.db,
                read | pool | {
                    sqlx::query_as(&sql)
                        .bind(expected_id)
                        .bind(PAGE)
                        .fetch_all(pool)
                        .await?
                }
            );
            let n = page.len();
            for e in page {
                let broken = |why: &str| {
                    Ok(Verification {
                        entries,
                        first_broken: Some((e.id, why.to_string())),
                    })
                };
                if e.id != expected_id {
                    return Ok(Verification {
                        entries,
                        first_broken: Some((
                            expected_id,
                            format!("entry {expected_id} is missing (next is {})", e.id),
                        )),
                    });
                }
                if e.prev_hash != prev {
                    return broken("does not link to the previous entry");
                }
                let fields = NewAuditEntry {
                    at: e.at,
                    actor: e.actor.clone(),
                    action: e.action.clone(),
                    object_type: e.object_type.clone(),
                    object_id: e.object_id.clone(),
                    purpose: e.purpose.clone(),
                    operation_id: e.operation_id.clone(),
                    detail: e.detail.clone(),
                };
                if entry_hash(&prev, e.id, &fields) != e.hash {
                    return broken("was altered: its hash does not match its fields");
                }
                prev = e.hash;
                expected_id += 1;
                entries += 1;
            }
            if (n as i64) < PAGE {
                break;
            }
        }
        let head: Option<(String,)> = with_db!(
            self.db,
            read | pool | {
                sqlx::query_as("SELECT value FROM meta WHERE key = $1")
                    .bind(HEAD_KEY)
                    .fetch_optional(pool)
                    .await?
            }
        );
        let (head_id, head_hash) = parse_head(head.map(|h| h.0));
        if head_id != expected_id - 1 || head_hash != prev {
            return Ok(Verification {
                entries,
                first_broken: Some((
                    expected_id,
                    format!(
                        "entries after {} are missing (the chain head is entry {head_id})",
                        expected_id - 1
                    ),
                )),
            });
        }
        Ok(Verification {
            entries,
            first_broken: None,
        })
    }
}
