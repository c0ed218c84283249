//! Co-investigation (协查): lists pushed down from above (people who were at a risk place,
//! phone numbers from a big-data match, places to check) with a reason, a source and a
//! deadline, split down the hierarchy by residence, fed back item by item, escalated one
//! level up when overdue, counted by county and by deadline.
//!
//! An item naming a person is resolved through the registry's blind indexes to the resident's
//! community (which places it in its township's and county's inboxes too); an item that does
//! not resolve waits at the receiving level until someone assigns it by hand. When a task is
//! created for a jurisdiction that a federated instance runs, it is pushed there (outbox, same
//! transaction) instead of split here; feedback on a task that came from above goes back up
//! the same way. This module never reveals an identifier: items carry masked subjects only.

use std::collections::BTreeMap;

use chrono::{NaiveDateTime, TimeZone as _};
use fangkong_domain::co_investigation::{ItemKind, Outcome};
use fangkong_domain::{Document, JurisdictionCode, NationalId, Permission, PhoneNumber};
use fangkong_ingest::co_investigation::{ItemRecord, ItemSubject};
use fangkong_store::co_investigation::{
    Feedback, InboxEntry, ItemRow, NewItem, NewTask, NoticeRow, RemoteFeedback, Subject, TaskRow,
};
use sha2::{Digest as _, Sha256};

use crate::federation::{ITEM_FEEDBACK, TASK_PUSH};
use crate::{Actor, App, Error, Result};

/// The most items one task may hold.
pub const MAX_ITEMS: usize = 200_000;

/// A task to create.
#[derive(Debug, Clone, Default)]
pub struct TaskInput {
    pub title: String,
    pub reason: String,
    pub source: String,
    /// `YYYY-MM-DD HH:MM` in China time, or RFC 3339.
    pub deadline: String,
    /// The jurisdiction the list is for; the actor's own when absent.
    pub target_code: Option<String>,
}

/// Feedback of one item.
#[derive(Debug, Clone, Default)]
pub struct FeedbackInput {
    pub item_id: i64,
    pub outcome: String,
    pub note: String,
    /// For `forwarded`: the jurisdiction the item went to.
    pub forwarded_to: Option<String>,
    /// For `controlled`: the control measure the person was put under.
    pub measure_id: Option<i64>,
    /// For `controlled` of an item resolved to a resident: open the control measure the
    /// policy gives a returnee from a medium-risk area (idempotent per item), instead of
    /// naming one.
    pub open_measure: bool,
}

/// A task with its progress as the actor sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskSummary {
    pub task: TaskRow,
    /// Items held inside the actor's jurisdiction.
    pub total: i64,
    pub done: i64,
    /// Open items past the deadline.
    pub overdue: i64,
    /// Open items held exactly at the actor's level (waiting for assignment there).
    pub waiting_here: i64,
}

/// What creating a task did.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskCreated {
    pub task: TaskRow,
    /// The same list was created before: nothing changed.
    pub replayed: bool,
    /// Items resolved to a resident's community.
    pub resolved: usize,
    /// The peer the task was pushed to, if it was.
    pub pushed_to: Option<String>,
}

/// One row of the statistics.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatRow {
    /// A county code (or the code of a higher level holding unassigned items), or a
    /// deadline day `YYYY-MM-DD`.
    pub key: String,
    pub total: i64,
    pub done: i64,
    pub open: i64,
    pub overdue: i64,
    /// Fed back no later than the deadline.
    pub on_time: i64,
    /// Fed back after the deadline.
    pub late: i64,
    pub escalated: i64,
    /// Counts by outcome, in [`Outcome::ALL`] order.
    pub outcomes: [i64; 5],
}

/// Completion statistics.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Stats {
    pub by_county: Vec<StatRow>,
    pub by_deadline: Vec<StatRow>,
}

/// Parses a moment given as `YYYY-MM-DD HH:MM` (China time) or RFC 3339, to Unix ms.
pub fn parse_moment(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").ok()?;
    let china = chrono::FixedOffset::east_opt(8 * 3600)?;
    china
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.timestamp_millis())
}

fn subject_of(record: &ItemSubject) -> Subject {
    match record {
        ItemSubject::Person(id) => Subject::Person(Document::MainlandId(id.clone())),
        ItemSubject::Phone(p) => Subject::Phone(p.clone()),
        ItemSubject::Place(p) => Subject::Place(p.clone()),
    }
}

fn subject_wire(record: &ItemSubject) -> (&'static str, String, String) {
    match record {
        ItemSubject::Person(id) => (
            ItemKind::PersonId.as_str(),
            id.as_str().to_string(),
            String::new(),
        ),
        ItemSubject::Phone(p) => (
            ItemKind::Phone.as_str(),
            p.as_str().to_string(),
            String::new(),
        ),
        ItemSubject::Place(p) => (ItemKind::Place.as_str(), String::new(), p.clone()),
    }
}

impl App {
    /// Places items under `target`: a person or phone the registry resolves to a community
    /// inside `target` goes to that community; anything else waits at `target`.
    async fn place_items(
        &self,
        target: &str,
        records: &[ItemRecord],
    ) -> Result<(Vec<NewItem>, usize)> {
        let co = self.store().co_investigation();
        let blinds: Vec<Option<(bool, Vec<u8>)>> = records
            .iter()
            .map(|r| match &r.subject {
                ItemSubject::Person(id) => {
                    Some((false, co.document_blind(&Document::MainlandId(id.clone()))))
                }
                ItemSubject::Phone(p) => Some((true, co.phone_blind(p))),
                ItemSubject::Place(_) => None,
            })
            .collect();
        let docs: Vec<Vec<u8>> = blinds
            .iter()
            .flatten()
            .filter(|(p, _)| !p)
            .map(|(_, b)| b.clone())
            .collect();
        let phones: Vec<Vec<u8>> = blinds
            .iter()
            .flatten()
            .filter(|(p, _)| *p)
            .map(|(_, b)| b.clone())
            .collect();
        let by_doc = co.resolve(&docs, false).await?;
        let by_phone = co.resolve(&phones, true).await?;
        let mut resolved = 0;
        let items = records
            .iter()
            .zip(blinds)
            .enumerate()
            .map(|(i, (r, blind))| {
                let found = blind.and_then(|(phone, b)| {
                    if phone {
                        by_phone.get(&b)
                    } else {
                        by_doc.get(&b)
                    }
                    .cloned()
                });
                let (person_id, assigned_code, how) = match found {
                    Some((pid, community)) if community.starts_with(target) => {
                        resolved += 1;
                        (Some(pid), community, "auto")
                    }
                    _ => (None, target.to_string(), "receiving"),
                };
                NewItem {
                    seq: i64::try_from(i).unwrap_or(i64::MAX) + 1,
                    subject: subject_of(&r.subject),
                    note: r.note.clone(),
                    person_id,
                    assigned_code,
                    assigned_how: how,
                }
            })
            .collect();
        Ok((items, resolved))
    }

    /// Creates a co-investigation task from a list. Items are split by residence here, or,
    /// when a federated instance runs the target jurisdiction, the whole list is pushed to it
    /// in the same transaction. The same list (title, reason, source, deadline, target and
    /// items) again is a no-op.
    ///
    /// # Errors
    /// `Forbidden` without `co_investigation.operate` or outside the target; `Invalid` for a
    /// missing title, a bad deadline or target, no items.
    pub async fn create_co_task(
        &self,
        actor: &Actor,
        input: &TaskInput,
        records: &[ItemRecord],
    ) -> Result<TaskCreated> {
        actor.require(Permission::CoInvestigationOperate)?;
        let mut errors = Vec::new();
        let title = input.title.trim();
        if title.is_empty() || title.chars().count() > 200 {
            errors.push(("title".to_string(), "1 to 200 characters".to_string()));
        }
        if input.reason.trim().is_empty() {
            errors.push(("reason".to_string(), "is required".to_string()));
        }
        if input.source.trim().is_empty() {
            errors.push(("source".to_string(), "is required".to_string()));
        }
        let deadline = parse_moment(&input.deadline);
        match deadline {
            None => errors.push((
                "deadline".to_string(),
                "expected YYYY-MM-DD HH:MM (China time) or RFC 3339".to_string(),
            )),
            Some(d) if d <= self.now_ms() => {
                errors.push(("deadline".to_string(), "must be in the future".to_string()));
            }
            Some(_) => {}
        }
        let own = self.identity().map(|i| i.code.as_str().to_string());
        let target = input
            .target_code
            .clone()
            .filter(|t| !t.trim().is_empty())
            .or_else(|| actor.scope.root.as_ref().map(|r| r.as_str().to_string()))
            .or(own.clone());
        let target = match target.as_deref().map(JurisdictionCode::parse) {
            Some(Ok(code)) => Some(code.as_str().to_string()),
            Some(Err(e)) => {
                errors.push(("target_code".to_string(), e.to_string()));
                None
            }
            None => {
                errors.push(("target_code".to_string(), "is required".to_string()));
                None
            }
        };
        if records.is_empty() {
            errors.push(("items".to_string(), "the list has no items".to_string()));
        } else if records.len() > MAX_ITEMS {
            errors.push(("items".to_string(), format!("at most {MAX_ITEMS} items")));
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let (Some(target), Some(deadline)) = (target, deadline) else {
            return Err(Error::invalid("target_code", "is required"));
        };
        if !actor.scope.covers(&target) {
            return Err(Error::Forbidden);
        }
        let origin = own.clone().unwrap_or_else(|| target.clone());
        let mut hash = Sha256::new();
        for part in [title, input.reason.trim(), input.source.trim(), &target] {
            hash.update(part.as_bytes());
            hash.update([0]);
        }
        hash.update(deadline.to_be_bytes());
        let wire: Vec<(&'static str, String, String)> =
            records.iter().map(|r| subject_wire(&r.subject)).collect();
        for ((kind, subject, place), r) in wire.iter().zip(records) {
            for part in [*kind, subject, place, &r.note] {
                hash.update(part.as_bytes());
                hash.update([0]);
            }
        }
        let digest = hash.finalize();
        let uid = format!(
            "{origin}-{}",
            digest[..8]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        let peer = self.peer_for(&target).await?;
        let (items, resolved, outbox) = match &peer {
            Some(peer) => {
                let items: Vec<NewItem> = records
                    .iter()
                    .enumerate()
                    .map(|(i, r)| NewItem {
                        seq: i64::try_from(i).unwrap_or(i64::MAX) + 1,
                        subject: subject_of(&r.subject),
                        note: r.note.clone(),
                        person_id: None,
                        assigned_code: target.clone(),
                        assigned_how: "receiving",
                    })
                    .collect();
                let payload = serde_json::json!({
                    "uid": uid,
                    "origin_code": origin,
                    "target_code": target,
                    "title": title,
                    "reason": input.reason.trim(),
                    "source": input.source.trim(),
                    "deadline_at": deadline,
                    "items": wire.iter().zip(records).enumerate().map(|(i, ((kind, subject, place), r))| {
                        serde_json::json!([i + 1, kind, subject, place, r.note])
                    }).collect::<Vec<_>>(),
                });
                let m = self.outbox_message(&peer.code, TASK_PUSH, &payload);
                (items, 0, Some(m))
            }
            None => {
                let (items, resolved) = self.place_items(&target, records).await?;
                (items, resolved, None)
            }
        };
        let stored = self
            .store()
            .co_investigation()
            .insert_task(
                &NewTask {
                    uid: &uid,
                    origin_code: &origin,
                    jurisdiction_code: &target,
                    upstream_peer: None,
                    downstream_peer: peer.as_ref().map(|p| p.code.as_str()),
                    title,
                    reason: input.reason.trim(),
                    source: input.source.trim(),
                    deadline_at: deadline,
                    created_at: self.now_ms(),
                    created_by: &actor.label(),
                },
                &items,
                outbox.as_ref(),
                None,
            )
            .await?;
        if !stored.replayed {
            self.outbox_signal.notify_one();
            self.audit(
                actor,
                "co_investigation.create",
                "co_task",
                Some(stored.task.id.to_string()),
                None,
                serde_json::json!({"items": records.len(), "resolved": resolved,
                    "pushed_to": peer.as_ref().map(|p| p.code.clone())}),
            )
            .await?;
        }
        Ok(TaskCreated {
            task: stored.task,
            replayed: stored.replayed,
            resolved,
            pushed_to: peer.map(|p| p.code),
        })
    }

    /// Imports a list (CSV, XLSX or NDJSON; see `fangkong_ingest::co_investigation`) as a
    /// task: every bad row is reported with line and field and nothing is stored.
    ///
    /// # Errors
    /// As [`App::create_co_task`], and `Import` for bad rows.
    pub async fn import_co_task(
        &self,
        actor: &Actor,
        input: &TaskInput,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<TaskCreated> {
        actor.require(Permission::CoInvestigationOperate)?;
        let records = fangkong_ingest::co_investigation::parse_items(file_name, bytes)?;
        self.create_co_task(actor, input, &records).await
    }

    /// Applies a task pushed by the peer `sender` (see `federation`).
    pub(crate) async fn apply_task_push(
        &self,
        sender: &str,
        p: &serde_json::Value,
        inbox: &InboxEntry,
    ) -> Result<Result<bool, String>> {
        let Some(own) = self.identity().map(|i| i.code.clone()) else {
            return Ok(Err("federation is not configured".into()));
        };
        let text = |k: &str| {
            p.get(k)
                .and_then(serde_json::Value::as_str)
                .map(str::to_string)
        };
        let (Some(uid), Some(target), Some(title), Some(reason), Some(source)) = (
            text("uid"),
            text("target_code"),
            text("title"),
            text("reason"),
            text("source"),
        ) else {
            return Ok(Err(
                "payload: uid, target_code, title, reason and source are required".into(),
            ));
        };
        let Some(deadline) = p.get("deadline_at").and_then(serde_json::Value::as_i64) else {
            return Ok(Err("payload: deadline_at is required".into()));
        };
        if !own.contains(&target) {
            return Ok(Err(format!(
                "items for jurisdiction {target}, outside this instance ({})",
                own.as_str()
            )));
        }
        if !target.starts_with(sender) && !sender.starts_with(own.as_str()) {
            return Ok(Err(format!(
                "sender {sender} does not stand above {target}"
            )));
        }
        let Some(raw) = p.get("items").and_then(serde_json::Value::as_array) else {
            return Ok(Err("payload: items is required".into()));
        };
        let mut records = Vec::with_capacity(raw.len());
        for (i, item) in raw.iter().enumerate() {
            let field = |j: usize| {
                item.get(j)
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or_default()
            };
            let seq = item.get(0).and_then(serde_json::Value::as_u64);
            if seq != Some(i as u64 + 1) {
                return Ok(Err(format!("items[{i}]: position out of order")));
            }
            let subject = match ItemKind::parse(field(1)) {
                Some(ItemKind::PersonId) => match NationalId::parse(field(2)) {
                    Ok(id) => ItemSubject::Person(id),
                    Err(e) => return Ok(Err(format!("items[{i}].id_number: {e}"))),
                },
                Some(ItemKind::Phone) => match PhoneNumber::parse(field(2)) {
                    Ok(ph) => ItemSubject::Phone(ph),
                    Err(_) => {
                        return Ok(Err(format!("items[{i}].phone: not a valid phone number")))
                    }
                },
                Some(ItemKind::Place) => ItemSubject::Place(field(3).to_string()),
                None => return Ok(Err(format!("items[{i}].kind: unknown"))),
            };
            records.push(ItemRecord {
                line: i as u64 + 1,
                subject,
                note: field(4).to_string(),
            });
        }
        let (items, resolved) = self.place_items(&target, &records).await?;
        let stored = self
            .store()
            .co_investigation()
            .insert_task(
                &NewTask {
                    uid: &uid,
                    origin_code: &text("origin_code").unwrap_or_else(|| sender.to_string()),
                    jurisdiction_code: &target,
                    upstream_peer: Some(sender),
                    downstream_peer: None,
                    title: &title,
                    reason: &reason,
                    source: &source,
                    deadline_at: deadline,
                    created_at: self.now_ms(),
                    created_by: &format!("peer:{sender}"),
                },
                &items,
                None,
                Some(inbox),
            )
            .await?;
        if !stored.replayed {
            self.audit(
                &Actor::system("federation"),
                "co_investigation.received",
                "co_task",
                Some(stored.task.id.to_string()),
                None,
                serde_json::json!({"sender": sender, "items": records.len(), "resolved": resolved}),
            )
            .await?;
        }
        Ok(Ok(!stored.replayed))
    }

    /// Applies item feedback sent up by the peer `sender` (see `federation`).
    pub(crate) async fn apply_item_feedback(
        &self,
        sender: &str,
        p: &serde_json::Value,
        inbox: &InboxEntry,
    ) -> Result<Result<bool, String>> {
        let Some(uid) = p.get("task_uid").and_then(serde_json::Value::as_str) else {
            return Ok(Err("payload: task_uid is required".into()));
        };
        let task = match self.store().co_investigation().task_by_uid(uid).await {
            Ok(t) => t,
            Err(fangkong_store::StoreError::NotFound) => {
                return Ok(Err(format!("unknown task {uid}")));
            }
            Err(e) => return Err(e.into()),
        };
        if task.downstream_peer.as_deref() != Some(sender) {
            return Ok(Err(format!("task {uid} was not pushed to {sender}")));
        }
        let Some(raw) = p.get("entries").and_then(serde_json::Value::as_array) else {
            return Ok(Err("payload: entries is required".into()));
        };
        let mut entries = Vec::with_capacity(raw.len());
        for (i, e) in raw.iter().enumerate() {
            let s = |k: &str| e.get(k).and_then(serde_json::Value::as_str);
            let seq = e
                .get("seq")
                .and_then(serde_json::Value::as_i64)
                .unwrap_or(0);
            if !(1..=task.n_items).contains(&seq) {
                return Ok(Err(format!("entries[{i}].seq: no such item")));
            }
            let Some(outcome) = s("outcome").and_then(Outcome::parse) else {
                return Ok(Err(format!("entries[{i}].outcome: unknown")));
            };
            let forwarded_to = s("forwarded_to").map(str::to_string);
            if (outcome == Outcome::Forwarded) != forwarded_to.is_some() {
                return Ok(Err(format!(
                    "entries[{i}].forwarded_to: only and always for forwarded"
                )));
            }
            let Some(at) = e.get("fed_back_at").and_then(serde_json::Value::as_i64) else {
                return Ok(Err(format!("entries[{i}].fed_back_at: is required")));
            };
            entries.push(RemoteFeedback {
                seq,
                outcome: outcome.as_str().to_string(),
                outcome_note: s("note").unwrap_or_default().to_string(),
                forwarded_to,
                fed_back_at: at,
                fed_back_by: format!("peer:{sender}"),
            });
        }
        let applied = self
            .store()
            .co_investigation()
            .apply_remote_feedback(task.id, &entries, inbox)
            .await?;
        Ok(Ok(applied.is_some()))
    }

    /// The tasks the actor sees (a level of the hierarchy: its inbox), with progress inside
    /// the actor's jurisdiction, latest deadline first.
    ///
    /// # Errors
    /// `Forbidden` without `co_investigation.read`.
    pub async fn co_tasks(&self, actor: &Actor) -> Result<Vec<TaskSummary>> {
        actor.require(Permission::CoInvestigationRead)?;
        let co = self.store().co_investigation();
        let tasks = co.tasks(&actor.scope).await?;
        let facts = co.facts(&actor.scope, None).await?;
        let now = self.now_ms();
        let here = actor.scope.root.as_ref().map(|r| r.as_str().to_string());
        let mut out: Vec<TaskSummary> = tasks
            .into_iter()
            .map(|task| TaskSummary {
                task,
                total: 0,
                done: 0,
                overdue: 0,
                waiting_here: 0,
            })
            .collect();
        let index: std::collections::HashMap<i64, usize> = out
            .iter()
            .enumerate()
            .map(|(i, t)| (t.task.id, i))
            .collect();
        for f in facts {
            let Some(&i) = index.get(&f.task_id) else {
                continue;
            };
            let s = &mut out[i];
            s.total += 1;
            if f.status == "done" {
                s.done += 1;
            } else {
                if f.deadline_at < now {
                    s.overdue += 1;
                }
                let at_level = here.as_deref().unwrap_or(&s.task.jurisdiction_code);
                if f.assigned_code == at_level {
                    s.waiting_here += 1;
                }
            }
        }
        Ok(out)
    }

    /// One task the actor sees.
    ///
    /// # Errors
    /// `NotFound` when absent or with no item inside the actor's jurisdiction.
    pub async fn co_task(&self, actor: &Actor, id: i64) -> Result<TaskSummary> {
        self.co_tasks(actor)
            .await?
            .into_iter()
            .find(|t| t.task.id == id)
            .ok_or(Error::NotFound)
    }

    /// Items of a task held inside the actor's jurisdiction, by position; optionally only
    /// `open`/`done` ones, or those waiting exactly at the actor's level (`here`).
    ///
    /// # Errors
    /// `NotFound` for a task the actor does not see.
    pub async fn co_items(
        &self,
        actor: &Actor,
        task_id: i64,
        status: Option<&str>,
        here: bool,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<ItemRow>> {
        let summary = self.co_task(actor, task_id).await?;
        if let Some(s) = status {
            if !matches!(s, "open" | "done") {
                return Err(Error::invalid("status", "open or done"));
            }
        }
        let at = here.then(|| {
            actor
                .scope
                .root
                .as_ref()
                .map_or(summary.task.jurisdiction_code.clone(), |r| {
                    r.as_str().to_string()
                })
        });
        Ok(self
            .store()
            .co_investigation()
            .items(
                &actor.scope,
                task_id,
                status,
                at.as_deref(),
                limit.clamp(1, 10_000),
                offset.max(0),
            )
            .await?)
    }

    /// Assigns items by hand to a jurisdiction inside the actor's (a county to a township or
    /// community, the city to a county).
    ///
    /// # Errors
    /// `Forbidden` without `co_investigation.operate`; `NotFound` for an item outside the
    /// actor's jurisdiction; `Invalid` for an unknown code or one outside.
    pub async fn assign_co_items(
        &self,
        actor: &Actor,
        item_ids: &[i64],
        code: &str,
    ) -> Result<u64> {
        actor.require(Permission::CoInvestigationOperate)?;
        if item_ids.is_empty() {
            return Err(Error::invalid("item_ids", "at least one item"));
        }
        let mut ids = item_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let found = self
            .store()
            .co_investigation()
            .items_by_id(&actor.scope, &ids)
            .await?;
        if found.len() != ids.len() {
            return Err(Error::NotFound);
        }
        let code =
            JurisdictionCode::parse(code).map_err(|e| Error::invalid("code", e.to_string()))?;
        if !actor.scope.covers(code.as_str()) {
            return Err(Error::invalid("code", "outside your jurisdiction"));
        }
        match self.store().jurisdictions().get(code.as_str()).await {
            Ok(_) => {}
            Err(fangkong_store::StoreError::NotFound) => {
                return Err(Error::invalid("code", "no such jurisdiction"));
            }
            Err(e) => return Err(e.into()),
        }
        let n = self
            .store()
            .co_investigation()
            .assign(&ids, code.as_str(), self.now_ms())
            .await?;
        self.audit(
            actor,
            "co_investigation.assign",
            "co_items",
            None,
            None,
            serde_json::json!({"items": ids.len(), "to": code.as_str()}),
        )
        .await?;
        Ok(n)
    }

    /// Records the feedback of items (a batch: all or none), and reports it up to the
    /// instance that pushed each task, in the same transaction.
    ///
    /// # Errors
    /// `Forbidden` without `co_investigation.operate`; `NotFound` for an item outside the
    /// actor's jurisdiction; `Invalid` naming `entries[i].field` for bad values.
    pub async fn feed_back_co_items(
        &self,
        actor: &Actor,
        entries: &[FeedbackInput],
    ) -> Result<usize> {
        actor.require(Permission::CoInvestigationOperate)?;
        if entries.is_empty() {
            return Err(Error::invalid("entries", "at least one entry"));
        }
        if entries.len() > 10_000 {
            return Err(Error::invalid("entries", "at most 10000 entries a batch"));
        }
        let mut ids: Vec<i64> = entries.iter().map(|e| e.item_id).collect();
        ids.sort_unstable();
        let before = ids.len();
        ids.dedup();
        if ids.len() != before {
            return Err(Error::invalid("entries", "an item appears twice"));
        }
        let items = self
            .store()
            .co_investigation()
            .items_by_id(&actor.scope, &ids)
            .await?;
        if items.len() != ids.len() {
            return Err(Error::NotFound);
        }
        let by_id: std::collections::HashMap<i64, &ItemRow> =
            items.iter().map(|i| (i.id, i)).collect();
        let mut errors = Vec::new();
        let now = self.now_ms();
        let mut rows = Vec::with_capacity(entries.len());
        for (i, e) in entries.iter().enumerate() {
            let field = |f: &str| format!("entries[{i}].{f}");
            let outcome = Outcome::parse(&e.outcome);
            if outcome.is_none() {
                errors.push((
                    field("outcome"),
                    "controlled, not_found, left_area, forwarded or duplicate".to_string(),
                ));
            }
            let forwarded_to = e
                .forwarded_to
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty());
            match (outcome, forwarded_to) {
                (Some(Outcome::Forwarded), None) => {
                    errors.push((field("forwarded_to"), "required when forwarded".to_string()));
                }
                (Some(Outcome::Forwarded), Some(code))
                    if JurisdictionCode::parse(code).is_err() =>
                {
                    errors.push((field("forwarded_to"), "not a jurisdiction code".to_string()));
                }
                (Some(Outcome::Forwarded), Some(_)) => {}
                (_, Some(_)) => {
                    errors.push((field("forwarded_to"), "only for forwarded".to_string()));
                }
                _ => {}
            }
            if e.note.chars().count() > 500 {
                errors.push((field("note"), "at most 500 characters".to_string()));
            }
            if e.open_measure {
                let person = by_id.get(&e.item_id).and_then(|i| i.person_id);
                if outcome != Some(Outcome::Controlled) || e.measure_id.is_some() {
                    errors.push((
                        field("open_measure"),
                        "only for controlled without a measure_id".to_string(),
                    ));
                } else if person.is_none() {
                    errors.push((
                        field("open_measure"),
                        "the item names no resident on record".to_string(),
                    ));
                }
            }
            if let Some(m) = e.measure_id {
                if outcome != Some(Outcome::Controlled) {
                    errors.push((field("measure_id"), "only for controlled".to_string()));
                } else {
                    match self.store().measures().measure(&actor.scope, m).await {
                        Ok(measure) => {
                            let item = by_id.get(&e.item_id);
                            if item
                                .and_then(|i| i.person_id)
                                .is_some_and(|p| p != measure.person_id)
                            {
                                errors.push((
                                    field("measure_id"),
                                    "a measure of another person".to_string(),
                                ));
                            }
                        }
                        Err(fangkong_store::StoreError::NotFound) => {
                            errors.push((field("measure_id"), "no such measure".to_string()));
                        }
                        Err(err) => return Err(err.into()),
                    }
                }
            }
            if let Some(outcome) = outcome {
                rows.push(Feedback {
                    item_id: e.item_id,
                    outcome: outcome.as_str().to_string(),
                    outcome_note: e.note.trim().to_string(),
                    measure_id: e.measure_id,
                    forwarded_to: forwarded_to.map(str::to_string),
                    fed_back_at: now,
                    fed_back_by: actor.label(),
                });
            }
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        // Control measures opened through the measures code, once per item (source_ref).
        for (e, row) in entries.iter().zip(rows.iter_mut()) {
            if !e.open_measure {
                continue;
            }
            let item = by_id[&e.item_id];
            let Some(person_id) = item.person_id else {
                continue;
            };
            let task = self.store().co_investigation().task(item.task_id).await?;
            let opened = self
                .assign_measure(
                    actor,
                    person_id,
                    // A listed person was at a risk place: the policy's measure for a
                    // returnee from a medium-risk area, counted from today.
                    &fangkong_domain::policy::Facts {
                        origin_risk: Some(fangkong_domain::policy::AreaRisk::Medium),
                        days_since_left: Some(0),
                        ..fangkong_domain::policy::Facts::pocket(
                            fangkong_domain::policy::Pocket::Domestic,
                        )
                    },
                    &format!("co_investigation:{}:{}", task.uid, item.seq),
                    self.today(),
                )
                .await?;
            match opened {
                Some((view, _)) => row.measure_id = Some(view.measure.id),
                None => {
                    return Err(Error::invalid(
                        "open_measure",
                        "the policy in force gives no control measure for this person",
                    ));
                }
            }
        }
        // Feedback on tasks that came from above goes back up, one message per task.
        let mut per_task: BTreeMap<i64, Vec<serde_json::Value>> = BTreeMap::new();
        for r in &rows {
            let item = by_id[&r.item_id];
            per_task
                .entry(item.task_id)
                .or_default()
                .push(serde_json::json!({
                    "seq": item.seq, "outcome": r.outcome, "note": r.outcome_note,
                    "forwarded_to": r.forwarded_to, "fed_back_at": r.fed_back_at,
                }));
        }
        let mut outbox = Vec::new();
        for (task_id, list) in per_task {
            let task = self.store().co_investigation().task(task_id).await?;
            if let Some(peer) = &task.upstream_peer {
                outbox.push(self.outbox_message(
                    peer,
                    ITEM_FEEDBACK,
                    &serde_json::json!({"task_uid": task.uid, "entries": list}),
                ));
            }
        }
        self.store()
            .co_investigation()
            .feedback(&rows, &outbox)
            .await?;
        if !outbox.is_empty() {
            self.outbox_signal.notify_one();
        }
        self.audit(
            actor,
            "co_investigation.feedback",
            "co_items",
            None,
            None,
            serde_json::json!({"items": rows.len()}),
        )
        .await?;
        Ok(rows.len())
    }

    /// Escalates open items past their task's deadline one level up (the holder's parent
    /// jurisdiction), once each, with one notice per task and level. A second run with
    /// nothing newly overdue changes nothing. Returns the number of items escalated.
    ///
    /// # Errors
    /// `Forbidden` without `co_investigation.operate` or below city level.
    pub async fn escalate_overdue_co_items(&self, actor: &Actor) -> Result<u64> {
        actor.require(Permission::CoInvestigationOperate)?;
        // The sweep is the headquarters' (city level or above): a county does not move its
        // own items up.
        if actor
            .scope
            .root
            .as_ref()
            .is_some_and(|r| r.as_str().len() > 4)
        {
            return Err(Error::Forbidden);
        }
        let now = self.now_ms();
        let due = self
            .store()
            .co_investigation()
            .due_for_escalation(now)
            .await?;
        let mut items = Vec::new();
        let mut notices: BTreeMap<(i64, String), i64> = BTreeMap::new();
        for (id, task_id, holder) in due {
            if !actor.scope.covers(&holder) {
                continue;
            }
            let to = JurisdictionCode::parse(&holder)
                .ok()
                .and_then(|c| c.parent())
                .map_or(holder.clone(), |p| p.as_str().to_string());
            *notices.entry((task_id, to.clone())).or_default() += 1;
            items.push((id, to));
        }
        if items.is_empty() {
            return Ok(0);
        }
        let notices: Vec<(i64, String, i64)> =
            notices.into_iter().map(|((t, c), n)| (t, c, n)).collect();
        let n = self
            .store()
            .co_investigation()
            .escalate(&items, &notices, now)
            .await?;
        self.audit(
            actor,
            "co_investigation.escalate",
            "co_items",
            None,
            None,
            serde_json::json!({"items": n, "notices": notices.len()}),
        )
        .await?;
        Ok(n)
    }

    /// Escalation notices addressed inside the actor's jurisdiction, latest first.
    ///
    /// # Errors
    /// `Forbidden` without `co_investigation.read`.
    pub async fn co_notices(&self, actor: &Actor, limit: i64) -> Result<Vec<NoticeRow>> {
        actor.require(Permission::CoInvestigationRead)?;
        Ok(self
            .store()
            .co_investigation()
            .notices(&actor.scope, limit.clamp(1, 1000))
            .await?)
    }

    /// Completion statistics of items held inside the actor's jurisdiction (optionally of
    /// one task): by county (items still held above county level count under that level's
    /// code) and by deadline day (China time), at the app clock's now.
    ///
    /// # Errors
    /// `Forbidden` without `co_investigation.read`.
    pub async fn co_investigation_stats(
        &self,
        actor: &Actor,
        task_id: Option<i64>,
    ) -> Result<Stats> {
        actor.require(Permission::CoInvestigationRead)?;
        let facts = self
            .store()
            .co_investigation()
            .facts(&actor.scope, task_id)
            .await?;
        let now = self.now_ms();
        let mut by_county: BTreeMap<String, StatRow> = BTreeMap::new();
        let mut by_deadline: BTreeMap<String, StatRow> = BTreeMap::new();
        let china = chrono::FixedOffset::east_opt(8 * 3600);
        for f in &facts {
            let county = f
                .assigned_code
                .get(..6)
                .unwrap_or(&f.assigned_code)
                .to_string();
            let day = china
                .and_then(|tz| tz.timestamp_millis_opt(f.deadline_at).single())
                .map_or_else(String::new, |t| t.date_naive().to_string());
            for row in [
                by_county.entry(county.clone()).or_default(),
                by_deadline.entry(day.clone()).or_default(),
            ] {
                row.total += 1;
                if f.status == "done" {
                    row.done += 1;
                    if f.fed_back_at.is_some_and(|t| t <= f.deadline_at) {
                        row.on_time += 1;
                    } else {
                        row.late += 1;
                    }
                } else {
                    row.open += 1;
                    if f.deadline_at < now {
                        row.overdue += 1;
                    }
                }
                if f.escalated_to.is_some() {
                    row.escalated += 1;
                }
                if let Some(o) = f.outcome.as_deref().and_then(Outcome::parse) {
                    if let Some(i) = Outcome::ALL.iter().position(|x| *x == o) {
                        row.outcomes[i] += 1;
                    }
                }
            }
        }
        let finish = |m: BTreeMap<String, StatRow>| {
            m.into_iter()
                .map(|(key, mut r)| {
                    r.key = key;
                    r
                })
                .collect()
        };
        Ok(Stats {
            by_county: finish(by_county),
            by_deadline: finish(by_deadline),
        })
    }

    /// Every item of a task in position order, for checking that two instances agree
    /// (tests and operators): (seq, status, outcome, note, forwarded_to, fed_back_at).
    ///
    /// # Errors
    /// `Forbidden` without `co_investigation.read` at the task's level; `NotFound`.
    pub async fn co_task_digest(
        &self,
        actor: &Actor,
        uid: &str,
    ) -> Result<
        Vec<(
            i64,
            String,
            Option<String>,
            String,
            Option<String>,
            Option<i64>,
        )>,
    > {
        actor.require(Permission::CoInvestigationRead)?;
        let task = self.store().co_investigation().task_by_uid(uid).await?;
        if !actor.scope.covers(&task.jurisdiction_code) {
            return Err(Error::NotFound);
        }
        Ok(self
            .store()
            .co_investigation()
            .all_items(task.id)
            .await?
            .into_iter()
            .map(|i| {
                (
                    i.seq,
                    i.status,
                    i.outcome,
                    i.outcome_note,
                    i.forwarded_to,
                    i.fed_back_at,
                )
            })
            .collect())
    }
}
