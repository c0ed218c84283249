//! Co-investigation tasks (协查) and their items, escalation notices, and the federation
//! tables written in the same transactions (outbox on a change, inbox on an applied message).
//!
//! Identifiers of persons named by an item are encrypted and blind-indexed here with the
//! person registry's labels, so the registry resolves them; nothing here decides where an
//! item goes or who may see it (the app does), but every read takes the scope's code range.

use fangkong_domain::{Document, PhoneNumber, Scope};

use crate::backend::{with_db, Db};
use crate::crypto::Crypto;
use crate::persons::{DOC_LABEL, PHONE_LABEL};
use crate::{Result, StoreError};

const SUBJECT_LABEL: &str = "co_items.subject";

/// A task as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TaskRow {
    pub id: i64,
    pub uid: String,
    pub origin_code: String,
    pub jurisdiction_code: String,
    pub upstream_peer: Option<String>,
    pub downstream_peer: Option<String>,
    pub title: String,
    pub reason: String,
    pub source: String,
    pub deadline_at: i64,
    pub created_at: i64,
    pub created_by: String,
    pub n_items: i64,
}

const TASK_SELECT: &str = "SELECT id, uid, origin_code, jurisdiction_code, upstream_peer, \
     downstream_peer, title, reason, source, deadline_at, created_at, created_by, n_items \
     FROM co_tasks";

/// An item as stored (the identifier only masked).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ItemRow {
    pub id: i64,
    pub task_id: i64,
    pub seq: i64,
    pub kind: String,
    pub subject_masked: String,
    pub place: String,
    pub note: String,
    pub person_id: Option<i64>,
    pub assigned_code: String,
    pub assigned_how: String,
    pub status: String,
    pub outcome: Option<String>,
    pub outcome_note: String,
    pub measure_id: Option<i64>,
    pub forwarded_to: Option<String>,
    pub fed_back_at: Option<i64>,
    pub fed_back_by: Option<String>,
    pub escalated_to: Option<String>,
    pub escalated_at: Option<i64>,
    pub updated_at: i64,
}

const ITEM_SELECT: &str = "SELECT id, task_id, seq, kind, subject_masked, place, note, \
     person_id, assigned_code, assigned_how, status, outcome, outcome_note, measure_id, \
     forwarded_to, fed_back_at, fed_back_by, escalated_to, escalated_at, updated_at \
     FROM co_items";

/// The subject of a new item: what the list names.
#[derive(Debug, Clone)]
pub enum Subject {
    Person(Document),
    Phone(PhoneNumber),
    Place(String),
}

/// A new item with where it goes.
#[derive(Debug, Clone)]
pub struct NewItem {
    pub seq: i64,
    pub subject: Subject,
    pub note: String,
    pub person_id: Option<i64>,
    pub assigned_code: String,
    /// `receiving`, `auto` or `manual`.
    pub assigned_how: &'static str,
}

/// A new task.
#[derive(Debug, Clone)]
pub struct NewTask<'a> {
    pub uid: &'a str,
    pub origin_code: &'a str,
    pub jurisdiction_code: &'a str,
    pub upstream_peer: Option<&'a str>,
    pub downstream_peer: Option<&'a str>,
    pub title: &'a str,
    pub reason: &'a str,
    pub source: &'a str,
    pub deadline_at: i64,
    pub created_at: i64,
    pub created_by: &'a str,
}

/// A message for a peer, written to the outbox in the same transaction as its cause.
#[derive(Debug, Clone)]
pub struct OutboxMessage {
    pub message_id: String,
    pub peer_code: String,
    pub kind: String,
    pub payload: String,
    pub created_at: i64,
}

/// A message applied from a peer, recorded in the inbox in the same transaction as its effect.
#[derive(Debug, Clone)]
pub struct InboxEntry {
    pub message_id: String,
    pub sender_code: String,
    pub kind: String,
    pub created_at: i64,
    pub received_at: i64,
}

/// Feedback of one item.
#[derive(Debug, Clone, PartialEq)]
pub struct Feedback {
    pub item_id: i64,
    pub outcome: String,
    pub outcome_note: String,
    pub measure_id: Option<i64>,
    pub forwarded_to: Option<String>,
    pub fed_back_at: i64,
    pub fed_back_by: String,
}

/// Feedback of one item as it travels between instances: by task uid and position.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteFeedback {
    pub seq: i64,
    pub outcome: String,
    pub outcome_note: String,
    pub forwarded_to: Option<String>,
    pub fed_back_at: i64,
    pub fed_back_by: String,
}

/// The fields statistics and overdue lists read of an item.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ItemFacts {
    pub task_id: i64,
    pub assigned_code: String,
    pub status: String,
    pub outcome: Option<String>,
    pub fed_back_at: Option<i64>,
    pub escalated_to: Option<String>,
    pub deadline_at: i64,
}

/// An escalation notice.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct NoticeRow {
    pub id: i64,
    pub task_id: i64,
    pub jurisdiction_code: String,
    pub n_items: i64,
    pub created_at: i64,
}

/// What storing a task did.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskStored {
    pub task: TaskRow,
    /// The task existed already (same uid): nothing changed.
    pub replayed: bool,
}

/// Access to co-investigation tasks and items.
pub struct CoInvestigation<'a> {
    pub(crate) db: &'a Db,
    pub(crate) crypto: &'a Crypto,
}

/// Inserts an outbox message inside the transaction `$tx`.
macro_rules! outbox_insert {
    ($tx:expr, $m:expr) => {
        sqlx::query(
            "INSERT INTO federation_outbox (message_id, peer_code, kind, payload, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&$m.message_id)
        .bind(&$m.peer_code)
        .bind(&$m.kind)
        .bind(&$m.payload)
        .bind($m.created_at)
        .execute(&mut *$tx)
        .await?
    };
}

/// Records an inbox entry inside the transaction `$tx`; evaluates to whether it was new.
macro_rules! inbox_insert {
    ($tx:expr, $e:expr) => {
        sqlx::query(
            "INSERT INTO federation_inbox (message_id, sender_code, kind, created_at, \
             received_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (message_id) DO NOTHING",
        )
        .bind(&$e.message_id)
        .bind(&$e.sender_code)
        .bind(&$e.kind)
        .bind($e.created_at)
        .bind($e.received_at)
        .execute(&mut *$tx)
        .await?
        .rows_affected()
            == 1
    };
}
pub(crate) use inbox_insert;
pub(crate) use outbox_insert;

impl CoInvestigation<'_> {
    /// The blind index under which the registry files a document.
    pub fn document_blind(&self, d: &Document) -> Vec<u8> {
        self.crypto.blind_index(DOC_LABEL, &d.index_text())
    }

    /// The blind index under which the registry files a phone number.
    pub fn phone_blind(&self, p: &PhoneNumber) -> Vec<u8> {
        self.crypto.blind_index(PHONE_LABEL, p.as_str())
    }

    /// Resolves blind indexes to persons (not merged away) and their communities. A phone
    /// number held by more than one person resolves to none of them.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn resolve(
        &self,
        blinds: &[Vec<u8>],
        phone: bool,
    ) -> Result<std::collections::HashMap<Vec<u8>, (i64, String)>> {
        let column = if phone { "phone_blind" } else { "doc_blind" };
        let mut found: std::collections::HashMap<Vec<u8>, Vec<(i64, String)>> =
            std::collections::HashMap::new();
        for chunk in blinds.chunks(2_000) {
            let sql = format!(
                "SELECT {column}, id, community_code FROM persons WHERE merged_into IS NULL \
                 AND {column} IN ({})",
                self.db.placeholders(1, chunk.len())
            );
            let rows: Vec<(Vec<u8>, i64, String)> = with_db!(
                self.db,
                read | pool | {
                    let mut q = sqlx::query_as(&sql);
                    for b in chunk {
                        q = q.bind(b);
                    }
                    q.fetch_all(pool).await?
                }
            );
            for (b, id, c) in rows {
                found.entry(b).or_default().push((id, c));
            }
        }
        Ok(found
            .into_iter()
            .filter_map(|(b, v)| (v.len() == 1).then(|| (b, v[0].clone())))
            .collect())
    }

    /// Stores a task and its items in one transaction, together with an outbox message
    /// (the push to a peer) and an inbox entry (when the task came from a peer). A task
    /// whose uid exists already is left alone and returned (`replayed`); so is a message
    /// already in the inbox.
    ///
    /// # Errors
    /// `Conflict` when a reference does not hold; `Unavailable` on database failure.
    pub async fn insert_task(
        &self,
        t: &NewTask<'_>,
        items: &[NewItem],
        outbox: Option<&OutboxMessage>,
        inbox: Option<&InboxEntry>,
    ) -> Result<TaskStored> {
        #[allow(clippy::type_complexity)]
        let prepared: Vec<(
            &NewItem,
            &str,
            Option<Vec<u8>>,
            Option<Vec<u8>>,
            String,
            String,
        )> = items
            .iter()
            .map(|i| match &i.subject {
                Subject::Person(d) => (
                    i,
                    "person_id",
                    Some(self.document_blind(d)),
                    Some(
                        self.crypto
                            .encrypt(SUBJECT_LABEL, d.index_text().as_bytes()),
                    ),
                    d.masked(),
                    String::new(),
                ),
                Subject::Phone(p) => (
                    i,
                    "phone",
                    Some(self.phone_blind(p)),
                    Some(self.crypto.encrypt(SUBJECT_LABEL, p.as_str().as_bytes())),
                    p.masked(),
                    String::new(),
                ),
                Subject::Place(place) => (i, "place", None, None, String::new(), place.clone()),
            })
            .collect();
        let sql = format!("{TASK_SELECT} WHERE uid = $1");
        with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                if let Some(e) = inbox {
                    if !inbox_insert!(tx, e) {
                        let existing: TaskRow =
                            sqlx::query_as(&sql).bind(t.uid).fetch_one(&mut *tx).await?;
                        return Ok(TaskStored {
                            task: existing,
                            replayed: true,
                        });
                    }
                }
                let existing: Option<TaskRow> = sqlx::query_as(&sql)
                    .bind(t.uid)
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some(task) = existing {
                    tx.commit().await?;
                    return Ok(TaskStored {
                        task,
                        replayed: true,
                    });
                }
                let task_id: i64 = sqlx::query_scalar(
                    "INSERT INTO co_tasks (uid, origin_code, jurisdiction_code, upstream_peer, \
                     downstream_peer, title, reason, source, deadline_at, created_at, created_by, \
                     n_items) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                     RETURNING id",
                )
                .bind(t.uid)
                .bind(t.origin_code)
                .bind(t.jurisdiction_code)
                .bind(t.upstream_peer)
                .bind(t.downstream_peer)
                .bind(t.title)
                .bind(t.reason)
                .bind(t.source)
                .bind(t.deadline_at)
                .bind(t.created_at)
                .bind(t.created_by)
                .bind(i64::try_from(items.len()).unwrap_or(i64::MAX))
                .fetch_one(&mut *tx)
                .await?;
                for (i, kind, blind, cipher, masked, place) in &prepared {
                    sqlx::query(
                        "INSERT INTO co_items (task_id, seq, kind, subject_blind, subject_cipher, \
                         subject_masked, place, note, person_id, assigned_code, assigned_how, \
                         status, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
                         $11, 'open', $12)",
                    )
                    .bind(task_id)
                    .bind(i.seq)
                    .bind(*kind)
                    .bind(blind)
                    .bind(cipher)
                    .bind(masked)
                    .bind(place)
                    .bind(&i.note)
                    .bind(i.person_id)
                    .bind(&i.assigned_code)
                    .bind(i.assigned_how)
                    .bind(t.created_at)
                    .execute(&mut *tx)
                    .await?;
                }
                if let Some(m) = outbox {
                    outbox_insert!(tx, m);
                }
                let task: TaskRow = sqlx::query_as(&sql).bind(t.uid).fetch_one(&mut *tx).await?;
                tx.commit().await?;
                Ok(TaskStored {
                    task,
                    replayed: false,
                })
            }
        )
    }

    /// One task by id.
    ///
    /// # Errors
    /// `NotFound`.
    pub async fn task(&self, id: i64) -> Result<TaskRow> {
        let sql = format!("{TASK_SELECT} WHERE id = $1");
        let row: Option<TaskRow> = with_db!(
            self.db,
            read | pool | { sqlx::query_as(&sql).bind(id).fetch_optional(pool).await? }
        );
        row.ok_or(StoreError::NotFound)
    }

    /// One task by uid.
    ///
    /// # Errors
    /// `NotFound`.
    pub async fn task_by_uid(&self, uid: &str) -> Result<TaskRow> {
        let sql = format!("{TASK_SELECT} WHERE uid = $1");
        let row: Option<TaskRow> = with_db!(
            self.db,
            read | pool | { sqlx::query_as(&sql).bind(uid).fetch_optional(pool).await? }
        );
        row.ok_or(StoreError::NotFound)
    }

    /// The tasks with at least one item inside the scope, or received at a level inside it,
    /// latest deadline first.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn tasks(&self, scope: &Scope) -> Result<Vec<TaskRow>> {
        let (lo, hi) = scope.code_bounds();
        let sql = format!(
            "{TASK_SELECT} t WHERE (t.jurisdiction_code >= $1 AND t.jurisdiction_code < $2) \
             OR EXISTS (SELECT 1 FROM co_items i WHERE i.task_id = t.id \
             AND i.assigned_code >= $1 AND i.assigned_code < $2) \
             ORDER BY t.deadline_at DESC, t.id DESC"
        );
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(&lo)
                    .bind(&hi)
                    .fetch_all(pool)
                    .await?
            }
        ))
    }

    /// Items of a task held inside the scope, by position, optionally only those in `status`
    /// or held exactly at `at_code`.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn items(
        &self,
        scope: &Scope,
        task_id: i64,
        status: Option<&str>,
        at_code: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<ItemRow>> {
        let (lo, hi) = scope.code_bounds();
        let sql = format!(
            "{ITEM_SELECT} WHERE task_id = $1 AND assigned_code >= $2 AND assigned_code < $3 \
             AND ($4 IS NULL OR status = $4) AND ($5 IS NULL OR assigned_code = $5) \
             ORDER BY seq LIMIT $6 OFFSET $7"
        );
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(task_id)
                    .bind(&lo)
                    .bind(&hi)
                    .bind(status)
                    .bind(at_code)
                    .bind(limit)
                    .bind(offset)
                    .fetch_all(pool)
                    .await?
            }
        ))
    }

    /// Items by id that are held inside the scope (others are left out), by id.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn items_by_id(&self, scope: &Scope, ids: &[i64]) -> Result<Vec<ItemRow>> {
        let (lo, hi) = scope.code_bounds();
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(2_000) {
            let sql = format!(
                "{ITEM_SELECT} WHERE assigned_code >= {} AND assigned_code < {} AND id IN ({}) \
                 ORDER BY id",
                self.db.placeholders(1, 1),
                self.db.placeholders(2, 1),
                self.db.placeholders(3, chunk.len())
            );
            let rows: Vec<ItemRow> = with_db!(
                self.db,
                read | pool | {
                    let mut q = sqlx::query_as(&sql).bind(&lo).bind(&hi);
                    for id in chunk {
                        q = q.bind(*id);
                    }
                    q.fetch_all(pool).await?
                }
            );
            out.extend(rows);
        }
        Ok(out)
    }

    /// Every item of a task, by position (for comparing instances and for statistics of one
    /// task).
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn all_items(&self, task_id: i64) -> Result<Vec<ItemRow>> {
        let sql = format!("{ITEM_SELECT} WHERE task_id = $1 ORDER BY seq");
        Ok(with_db!(
            self.db,
            read | pool | { sqlx::query_as(&sql).bind(task_id).fetch_all(pool).await? }
        ))
    }

    /// Moves items (by id) to another holder, by hand.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn assign(&self, ids: &[i64], code: &str, now: i64) -> Result<u64> {
        with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                let mut n = 0;
                for id in ids {
                    n += sqlx::query(
                        "UPDATE co_items SET assigned_code = $2, assigned_how = 'manual', \
                         updated_at = $3 WHERE id = $1",
                    )
                    .bind(id)
                    .bind(code)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                }
                tx.commit().await?;
                Ok(n)
            }
        )
    }

    /// Records feedback of items and the outbox messages reporting it upward, in one
    /// transaction.
    ///
    /// # Errors
    /// `Conflict` when a reference does not hold; `Unavailable` on database failure.
    pub async fn feedback(&self, entries: &[Feedback], outbox: &[OutboxMessage]) -> Result<()> {
        with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                for f in entries {
                    sqlx::query(
                        "UPDATE co_items SET status = 'done', outcome = $2, outcome_note = $3, \
                         measure_id = COALESCE($4, measure_id), forwarded_to = $5, \
                         fed_back_at = $6, fed_back_by = $7, updated_at = $6 WHERE id = $1",
                    )
                    .bind(f.item_id)
                    .bind(&f.outcome)
                    .bind(&f.outcome_note)
                    .bind(f.measure_id)
                    .bind(&f.forwarded_to)
                    .bind(f.fed_back_at)
                    .bind(&f.fed_back_by)
                    .execute(&mut *tx)
                    .await?;
                }
                for m in outbox {
                    outbox_insert!(tx, m);
                }
                tx.commit().await?;
                Ok(())
            }
        )
    }

    /// Applies feedback received from a peer to a task's items, with its inbox entry, in one
    /// transaction. Feedback older than what an item holds is skipped (deliveries may come
    /// in any order; the latest feedback wins). Returns `None` when the message was applied
    /// before, else the number of items changed.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn apply_remote_feedback(
        &self,
        task_id: i64,
        entries: &[RemoteFeedback],
        inbox: &InboxEntry,
    ) -> Result<Option<u64>> {
        with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                if !inbox_insert!(tx, inbox) {
                    return Ok(None);
                }
                let mut n = 0;
                for f in entries {
                    n += sqlx::query(
                        "UPDATE co_items SET status = 'done', outcome = $3, outcome_note = $4, \
                         forwarded_to = $5, fed_back_at = $6, fed_back_by = $7, updated_at = $8 \
                         WHERE task_id = $1 AND seq = $2 \
                         AND (fed_back_at IS NULL OR fed_back_at < $6)",
                    )
                    .bind(task_id)
                    .bind(f.seq)
                    .bind(&f.outcome)
                    .bind(&f.outcome_note)
                    .bind(&f.forwarded_to)
                    .bind(f.fed_back_at)
                    .bind(&f.fed_back_by)
                    .bind(inbox.received_at)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                }
                tx.commit().await?;
                Ok(Some(n))
            }
        )
    }

    /// The facts statistics read, of items held inside the scope (optionally of one task).
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn facts(&self, scope: &Scope, task_id: Option<i64>) -> Result<Vec<ItemFacts>> {
        let (lo, hi) = scope.code_bounds();
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT i.task_id, i.assigned_code, i.status, i.outcome, i.fed_back_at, \
                     i.escalated_to, t.deadline_at FROM co_items i \
                     JOIN co_tasks t ON t.id = i.task_id \
                     WHERE i.assigned_code >= $1 AND i.assigned_code < $2 \
                     AND ($3 IS NULL OR i.task_id = $3)",
                )
                .bind(&lo)
                .bind(&hi)
                .bind(task_id)
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// Open items held inside `within`'s subtree whose task's deadline is before `now`.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn count_overdue(&self, lo: &str, hi: &str, now: i64) -> Result<i64> {
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_scalar(
                    "SELECT COUNT(*) FROM co_items i JOIN co_tasks t ON t.id = i.task_id \
                     WHERE i.status = 'open' AND t.deadline_at < $3 \
                     AND i.assigned_code >= $1 AND i.assigned_code < $2",
                )
                .bind(lo)
                .bind(hi)
                .bind(now)
                .fetch_one(pool)
                .await?
            }
        ))
    }

    /// Open, not yet escalated items whose deadline is before `now`: (id, task, holder).
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn due_for_escalation(&self, now: i64) -> Result<Vec<(i64, i64, String)>> {
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT i.id, i.task_id, i.assigned_code FROM co_items i \
                     JOIN co_tasks t ON t.id = i.task_id WHERE i.status = 'open' \
                     AND i.escalated_to IS NULL AND t.deadline_at < $1 ORDER BY i.id",
                )
                .bind(now)
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// Escalates items `(id, to)` not escalated yet and raises one notice per
    /// `(task, to, count)`, in one transaction. Items escalated meanwhile are skipped.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn escalate(
        &self,
        items: &[(i64, String)],
        notices: &[(i64, String, i64)],
        now: i64,
    ) -> Result<u64> {
        with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                let mut n = 0;
                for (id, to) in items {
                    n += sqlx::query(
                        "UPDATE co_items SET escalated_to = $2, escalated_at = $3 \
                         WHERE id = $1 AND escalated_to IS NULL AND status = 'open'",
                    )
                    .bind(id)
                    .bind(to)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                }
                for (task_id, to, count) in notices {
                    sqlx::query(
                        "INSERT INTO co_notices (task_id, jurisdiction_code, n_items, created_at) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(task_id)
                    .bind(to)
                    .bind(count)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(n)
            }
        )
    }

    /// Escalation notices addressed inside the scope, latest first.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn notices(&self, scope: &Scope, limit: i64) -> Result<Vec<NoticeRow>> {
        let (lo, hi) = scope.code_bounds();
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT id, task_id, jurisdiction_code, n_items, created_at FROM co_notices \
                     WHERE jurisdiction_code >= $1 AND jurisdiction_code < $2 \
                     ORDER BY created_at DESC, id DESC LIMIT $3",
                )
                .bind(&lo)
                .bind(&hi)
                .bind(limit)
                .fetch_all(pool)
                .await?
            }
        ))
    }
}
