//! Bulk operations (issue #13): one action applied to many selected records — control
//! measures activated, released or escalated; sentinel alerts moved along their workflow;
//! co-investigation items assigned to a jurisdiction or given one feedback — as one audited
//! operation with a progress view.
//!
//! Data flow: `start_bulk` checks the kind's permission and the request (at most
//! [`MAX_RECORDS`] distinct ids, a reason where the action needs one), stores the operation
//! (`bulk_operations`), audits `bulk.start` with every id, and returns at once. A task then
//! applies the capability's own function to each record in turn — so each record is checked
//! for jurisdiction and state exactly as a single action would be, and audited under the
//! operation's id (`bulk-N`) — writing the counters every [`PROGRESS_EVERY`] records and
//! `bulk.finish` at the end. A record refused (wrong state, outside the jurisdiction) is
//! counted with its reason; the others go on. If the process stops midway, the records done
//! stay done; the operation reads as `interrupted` and running the same selection again
//! completes it (records already changed are refused as such).

use std::collections::HashSet;

use fangkong_domain::co_investigation::Outcome;
use fangkong_domain::Permission;
use serde_json::json;

use crate::co_investigation::FeedbackInput;
use crate::{Actor, App, Error, Result};

/// The most records one operation takes.
pub const MAX_RECORDS: usize = 5_000;
/// Progress is written after this many records.
pub const PROGRESS_EVERY: usize = 20;

/// What a bulk operation does to each record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkKind {
    MeasureActivate,
    MeasureRelease,
    MeasureEscalate,
    /// Move alerts to a workflow status (the reason is the note).
    AlertTransition,
    /// Assign co-investigation items to a jurisdiction (the target is its code).
    CoItemAssign,
    /// Feed back co-investigation items with one outcome (the target; the note is recorded
    /// with each). `forwarded` needs a code per item and is not offered in bulk.
    CoItemFeedback,
}

impl BulkKind {
    pub const ALL: [BulkKind; 6] = [
        BulkKind::MeasureActivate,
        BulkKind::MeasureRelease,
        BulkKind::MeasureEscalate,
        BulkKind::AlertTransition,
        BulkKind::CoItemAssign,
        BulkKind::CoItemFeedback,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BulkKind::MeasureActivate => "measure.activate",
            BulkKind::MeasureRelease => "measure.release",
            BulkKind::MeasureEscalate => "measure.escalate",
            BulkKind::AlertTransition => "alert.transition",
            BulkKind::CoItemAssign => "co_item.assign",
            BulkKind::CoItemFeedback => "co_item.feedback",
        }
    }

    /// The kind named `s`.
    ///
    /// # Errors
    /// `Invalid` for an unknown kind.
    pub fn parse(s: &str) -> Result<BulkKind> {
        BulkKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| Error::invalid("kind", format!("unknown bulk action {s}")))
    }

    fn permission(self) -> Permission {
        match self {
            BulkKind::AlertTransition => Permission::SentinelManage,
            BulkKind::CoItemAssign | BulkKind::CoItemFeedback => Permission::CoInvestigationOperate,
            BulkKind::MeasureActivate | BulkKind::MeasureRelease | BulkKind::MeasureEscalate => {
                Permission::InboundOperate
            }
        }
    }
}

/// A bulk request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkRequest {
    pub kind: BulkKind,
    pub ids: Vec<i64>,
    /// Escalation: the reason (required). Alert transition: the target status (required).
    /// Item assignment: the jurisdiction code (required). Item feedback: the outcome
    /// (required).
    pub target: Option<String>,
    /// A note or reason recorded with each record (alert transitions).
    pub note: Option<String>,
}

/// An operation as its creator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkView {
    pub id: i64,
    pub kind: String,
    pub created_by: String,
    pub created_at: i64,
    pub total: i64,
    pub done: i64,
    pub failed: i64,
    /// `running`, `finished`, or `interrupted` (running when the process stopped).
    pub status: String,
    /// The records refused, with the reason.
    pub errors: Vec<(i64, String)>,
    pub finished_at: Option<i64>,
}

impl App {
    /// Starts a bulk operation and returns it as started; the records are changed by a task.
    ///
    /// # Errors
    /// `Forbidden` without the action's permission; `Invalid` for no ids, more than
    /// [`MAX_RECORDS`], or a missing reason or status.
    pub async fn start_bulk(&self, actor: &Actor, req: BulkRequest) -> Result<BulkView> {
        actor.require(req.kind.permission())?;
        let mut seen = HashSet::new();
        let ids: Vec<i64> = req.ids.into_iter().filter(|id| seen.insert(*id)).collect();
        if ids.is_empty() {
            return Err(Error::invalid("ids", "select at least one record"));
        }
        if ids.len() > MAX_RECORDS {
            return Err(Error::invalid(
                "ids",
                format!("at most {MAX_RECORDS} records at once"),
            ));
        }
        let target = req
            .target
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        let field = match req.kind {
            BulkKind::MeasureEscalate => Some("reason"),
            BulkKind::AlertTransition => Some("status"),
            BulkKind::CoItemAssign => Some("code"),
            BulkKind::CoItemFeedback => Some("outcome"),
            BulkKind::MeasureActivate | BulkKind::MeasureRelease => None,
        };
        if let (Some(field), None) = (field, &target) {
            return Err(Error::invalid(field, "is required for this action"));
        }
        if req.kind == BulkKind::CoItemFeedback {
            let outcome = target.as_deref().unwrap_or_default();
            match Outcome::parse(outcome) {
                None => {
                    return Err(Error::invalid(
                        "outcome",
                        "controlled, not_found, left_area or duplicate",
                    ))
                }
                Some(Outcome::Forwarded) => {
                    return Err(Error::invalid(
                        "outcome",
                        "forwarded names a jurisdiction per item; feed those back one by one",
                    ))
                }
                Some(_) => {}
            }
        }
        let now = self.now_ms();
        let id = self
            .store()
            .operations()
            .create(req.kind.as_str(), &actor.label(), now, ids.len() as i64)
            .await?;
        self.audit(
            actor,
            "bulk.start",
            "bulk_operation",
            Some(id.to_string()),
            None,
            json!({ "kind": req.kind.as_str(), "ids": ids, "target": target, "note": req.note }),
        )
        .await?;
        if let Ok(mut running) = self.running_bulk.lock() {
            running.insert(id);
        }
        let mut worker = actor.clone();
        worker.operation_id = format!("bulk-{id}");
        let app = self.clone();
        let (kind, note) = (req.kind, req.note);
        tokio::spawn(async move {
            app.work_bulk(&worker, id, kind, &ids, target.as_deref(), note.as_deref())
                .await;
        });
        self.bulk_operation(actor, id).await
    }

    async fn work_bulk(
        &self,
        actor: &Actor,
        id: i64,
        kind: BulkKind,
        ids: &[i64],
        target: Option<&str>,
        note: Option<&str>,
    ) {
        let (mut done, mut failed) = (0i64, 0i64);
        let mut errors: Vec<(i64, String)> = Vec::new();
        for (k, &record) in ids.iter().enumerate() {
            let r = match kind {
                BulkKind::MeasureActivate => self.activate_measure(actor, record).await.map(drop),
                BulkKind::MeasureRelease => self.release_measure(actor, record).await.map(drop),
                BulkKind::MeasureEscalate => self
                    .escalate_measure(actor, record, target.unwrap_or_default())
                    .await
                    .map(drop),
                BulkKind::AlertTransition => self
                    .transition_alert(actor, record, target.unwrap_or_default(), note)
                    .await
                    .map(drop),
                BulkKind::CoItemAssign => self
                    .assign_co_items(actor, &[record], target.unwrap_or_default())
                    .await
                    .map(drop),
                BulkKind::CoItemFeedback => self
                    .feed_back_co_items(
                        actor,
                        &[FeedbackInput {
                            item_id: record,
                            outcome: target.unwrap_or_default().to_string(),
                            note: note.unwrap_or_default().to_string(),
                            forwarded_to: None,
                            measure_id: None,
                            open_measure: false,
                        }],
                    )
                    .await
                    .map(drop),
            };
            match r {
                Ok(()) => done += 1,
                Err(e) => {
                    failed += 1;
                    errors.push((record, e.to_string()));
                }
            }
            if (k + 1) % PROGRESS_EVERY == 0 && k + 1 < ids.len() {
                let text = serde_json::to_string(&errors).unwrap_or_default();
                if let Err(e) = self
                    .store()
                    .operations()
                    .progress(id, done, failed, &text, None)
                    .await
                {
                    ::tracing::warn!(operation = id, error = %e, "bulk progress not written");
                }
            }
        }
        let text = serde_json::to_string(&errors).unwrap_or_default();
        let finished = self
            .store()
            .operations()
            .progress(id, done, failed, &text, Some(self.now_ms()))
            .await;
        let audited = self
            .audit(
                actor,
                "bulk.finish",
                "bulk_operation",
                Some(id.to_string()),
                None,
                json!({ "kind": kind.as_str(), "done": done, "failed": failed }),
            )
            .await;
        if let Err(e) = finished.map_err(Error::from).and(audited.map(drop)) {
            ::tracing::error!(operation = id, error = %e, "bulk operation not closed");
        }
        if let Ok(mut running) = self.running_bulk.lock() {
            running.remove(&id);
        }
    }

    /// An operation started by the actor.
    ///
    /// # Errors
    /// `NotFound` when absent or started by someone else.
    pub async fn bulk_operation(&self, actor: &Actor, id: i64) -> Result<BulkView> {
        let row = self.store().operations().get(id).await?;
        // Compare the user, not the token: a page and an API client of one user share it.
        let owner = |label: &str| label.split('/').next().unwrap_or(label).to_string();
        if owner(&row.created_by) != owner(&actor.label()) {
            return Err(Error::NotFound);
        }
        let running_here = self
            .running_bulk
            .lock()
            .map(|r| r.contains(&id))
            .unwrap_or(false);
        let status = if row.status == "running" && !running_here {
            "interrupted".to_string()
        } else {
            row.status
        };
        Ok(BulkView {
            id: row.id,
            kind: row.kind,
            created_by: row.created_by,
            created_at: row.created_at,
            total: row.total,
            done: row.done,
            failed: row.failed,
            status,
            errors: serde_json::from_str(&row.errors).unwrap_or_default(),
            finished_at: row.finished_at,
        })
    }
}
