//! `/api/v1/co-investigations`: co-investigation tasks (协查) per level with progress, their
//! items (masked), assignment by hand, feedback in batches, escalation of overdue items,
//! notices and completion statistics.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use fangkong_api_types::{
    Changed, CoAssign, CoFeedbackBatch, CoItem, CoNotice, CoStatRow, CoStats, CoTask, CoTaskCreate,
    CoTaskCreated, Problem,
};
use fangkong_app::co_investigation::{FeedbackInput, StatRow, TaskCreated, TaskInput, TaskSummary};
use fangkong_domain::{NationalId, PhoneNumber};
use fangkong_ingest::co_investigation::{ItemRecord, ItemSubject};
use fangkong_store::co_investigation::ItemRow;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::AppState;

pub(crate) fn task_to_wire(s: &TaskSummary) -> CoTask {
    let t = &s.task;
    CoTask {
        id: t.id,
        uid: t.uid.clone(),
        origin_code: t.origin_code.clone(),
        jurisdiction_code: t.jurisdiction_code.clone(),
        upstream_peer: t.upstream_peer.clone(),
        downstream_peer: t.downstream_peer.clone(),
        title: t.title.clone(),
        reason: t.reason.clone(),
        source: t.source.clone(),
        deadline_at: t.deadline_at,
        created_at: t.created_at,
        n_items: t.n_items,
        total: s.total,
        done: s.done,
        overdue: s.overdue,
        waiting_here: s.waiting_here,
    }
}

pub(crate) fn item_to_wire(i: &ItemRow) -> CoItem {
    CoItem {
        id: i.id,
        task_id: i.task_id,
        seq: i.seq,
        kind: i.kind.clone(),
        subject_masked: i.subject_masked.clone(),
        place: i.place.clone(),
        note: i.note.clone(),
        person_id: i.person_id,
        assigned_code: i.assigned_code.clone(),
        assigned_how: i.assigned_how.clone(),
        status: i.status.clone(),
        outcome: i.outcome.clone(),
        outcome_note: i.outcome_note.clone(),
        measure_id: i.measure_id,
        forwarded_to: i.forwarded_to.clone(),
        fed_back_at: i.fed_back_at,
        escalated_to: i.escalated_to.clone(),
        escalated_at: i.escalated_at,
    }
}

pub(crate) fn stat_to_wire(r: &StatRow) -> CoStatRow {
    CoStatRow {
        key: r.key.clone(),
        total: r.total,
        done: r.done,
        open: r.open,
        overdue: r.overdue,
        on_time: r.on_time,
        late: r.late,
        escalated: r.escalated,
        controlled: r.outcomes[0],
        not_found: r.outcomes[1],
        left_area: r.outcomes[2],
        forwarded: r.outcomes[3],
        duplicate: r.outcomes[4],
    }
}

fn created_to_wire(c: TaskCreated) -> CoTaskCreated {
    let n = c.task.n_items;
    CoTaskCreated {
        task: task_to_wire(&TaskSummary {
            task: c.task,
            total: n,
            done: 0,
            overdue: 0,
            waiting_here: 0,
        }),
        replayed: c.replayed,
        resolved: c.resolved,
        pushed_to: c.pushed_to,
    }
}

/// Every task seen at the caller's level (its inbox), with progress inside the caller's
/// jurisdiction, latest deadline first.
#[utoipa::path(get, path = "/api/v1/co-investigations", tag = "co_investigation",
    responses((status = 200, body = Vec<CoTask>), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<CoTask>>> {
    let tasks = state.app.co_tasks(&actor).await?;
    Ok(Json(tasks.iter().map(task_to_wire).collect()))
}

/// Create a task with its list inline. Items are split by residence, or the task is pushed to
/// the federated instance that runs the target. The same list again is a no-op.
#[utoipa::path(post, path = "/api/v1/co-investigations", tag = "co_investigation", request_body = CoTaskCreate,
    responses((status = 201, body = CoTaskCreated), (status = 200, body = CoTaskCreated),
              (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(b): Json<CoTaskCreate>,
) -> ApiResult<(StatusCode, Json<CoTaskCreated>)> {
    let mut errors = Vec::new();
    let mut records = Vec::with_capacity(b.items.len());
    for (i, item) in b.items.iter().enumerate() {
        let field = |f: &str| format!("items[{i}].{f}");
        let filled = [&item.id_number, &item.phone, &item.place]
            .iter()
            .filter(|v| v.is_some())
            .count();
        if filled != 1 {
            errors.push((
                field("id_number"),
                "exactly one of id_number, phone and place".to_string(),
            ));
            continue;
        }
        let subject = if let Some(id) = &item.id_number {
            match NationalId::parse(id) {
                Ok(id) => ItemSubject::Person(id),
                Err(e) => {
                    errors.push((field("id_number"), e.to_string()));
                    continue;
                }
            }
        } else if let Some(p) = &item.phone {
            match PhoneNumber::parse(p) {
                Ok(p) => ItemSubject::Phone(p),
                Err(_) => {
                    errors.push((field("phone"), "not a valid phone number".to_string()));
                    continue;
                }
            }
        } else {
            ItemSubject::Place(item.place.clone().unwrap_or_default())
        };
        records.push(ItemRecord {
            line: i as u64 + 1,
            subject,
            note: item.note.clone(),
        });
    }
    if !errors.is_empty() {
        return Err(fangkong_app::Error::Invalid(errors).into());
    }
    let c = state
        .app
        .create_co_task(
            &actor,
            &TaskInput {
                title: b.title,
                reason: b.reason,
                source: b.source,
                deadline: b.deadline,
                target_code: b.target_code,
            },
            &records,
        )
        .await?;
    let status = if c.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(created_to_wire(c))))
}

/// The header of an imported list: the file's name and the task's fields.
#[derive(Debug, Deserialize, IntoParams)]
pub struct CoImportQuery {
    pub file_name: Option<String>,
    pub title: String,
    pub reason: String,
    pub source: String,
    /// `YYYY-MM-DD HH:MM` (China time) or RFC 3339.
    pub deadline: String,
    pub target_code: Option<String>,
}

/// Import a list (CSV, XLSX or NDJSON: `id_number`, `phone` or `place` on each row, optional
/// `note`) as a task. Every bad row is reported with line and field; nothing is stored then.
#[utoipa::path(post, path = "/api/v1/co-investigations:import", tag = "co_investigation", params(CoImportQuery),
    request_body(content = Vec<u8>, description = "The file", content_type = "application/octet-stream"),
    responses((status = 201, body = CoTaskCreated), (status = 200, body = CoTaskCreated),
              (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn import(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<CoImportQuery>,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<CoTaskCreated>)> {
    let file = q.file_name.unwrap_or_else(|| "list.csv".to_string());
    let c = state
        .app
        .import_co_task(
            &actor,
            &TaskInput {
                title: q.title,
                reason: q.reason,
                source: q.source,
                deadline: q.deadline,
                target_code: q.target_code,
            },
            &file,
            &body,
        )
        .await?;
    let status = if c.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(created_to_wire(c))))
}

/// One task with its progress inside the caller's jurisdiction.
#[utoipa::path(get, path = "/api/v1/co-investigations/{id}", tag = "co_investigation",
    params(("id" = i64, Path, description = "Task id")),
    responses((status = 200, body = CoTask), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn show(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Json<CoTask>> {
    Ok(Json(task_to_wire(&state.app.co_task(&actor, id).await?)))
}

/// Filters of the item list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ItemsQuery {
    /// `open` or `done`.
    pub status: Option<String>,
    /// Only items waiting exactly at the caller's level.
    #[serde(default)]
    pub here: bool,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Items of a task held inside the caller's jurisdiction, by position.
#[utoipa::path(get, path = "/api/v1/co-investigations/{id}/items", tag = "co_investigation",
    params(("id" = i64, Path, description = "Task id"), ItemsQuery),
    responses((status = 200, body = Vec<CoItem>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn items(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Query(q): Query<ItemsQuery>,
) -> ApiResult<Json<Vec<CoItem>>> {
    let (limit, offset) = super::page(q.limit, q.offset, 1000);
    let rows = state
        .app
        .co_items(&actor, id, q.status.as_deref(), q.here, limit, offset)
        .await?;
    Ok(Json(rows.iter().map(item_to_wire).collect()))
}

/// Assign items by hand to a jurisdiction inside the caller's.
#[utoipa::path(post, path = "/api/v1/co-investigations/items:assign", tag = "co_investigation", request_body = CoAssign,
    responses((status = 200, body = Changed), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn assign(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(b): Json<CoAssign>,
) -> ApiResult<Json<Changed>> {
    let changed = state
        .app
        .assign_co_items(&actor, &b.item_ids, &b.code)
        .await?;
    Ok(Json(Changed { changed }))
}

/// Feed back items, a batch at a time (all or none); feedback on a task pushed from above is
/// reported back up.
#[utoipa::path(post, path = "/api/v1/co-investigations/items:feedback", tag = "co_investigation",
    request_body = CoFeedbackBatch,
    responses((status = 200, body = Changed), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn feedback(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(b): Json<CoFeedbackBatch>,
) -> ApiResult<Json<Changed>> {
    let entries: Vec<FeedbackInput> = b
        .entries
        .into_iter()
        .map(|e| FeedbackInput {
            item_id: e.item_id,
            outcome: e.outcome,
            note: e.note,
            forwarded_to: e.forwarded_to,
            measure_id: e.measure_id,
            open_measure: e.open_measure,
        })
        .collect();
    let n = state.app.feed_back_co_items(&actor, &entries).await?;
    Ok(Json(Changed { changed: n as u64 }))
}

/// Escalate open items past their deadline one level up, with notices (also run hourly).
#[utoipa::path(post, path = "/api/v1/co-investigations:escalate", tag = "co_investigation",
    responses((status = 200, body = Changed), (status = 403, body = Problem)))]
pub async fn escalate(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Changed>> {
    let changed = state.app.escalate_overdue_co_items(&actor).await?;
    Ok(Json(Changed { changed }))
}

/// Escalation notices addressed inside the caller's jurisdiction, latest first.
#[utoipa::path(get, path = "/api/v1/co-investigations/notices", tag = "co_investigation",
    responses((status = 200, body = Vec<CoNotice>), (status = 403, body = Problem)))]
pub async fn notices(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<CoNotice>>> {
    let rows = state.app.co_notices(&actor, 200).await?;
    Ok(Json(
        rows.into_iter()
            .map(|n| CoNotice {
                id: n.id,
                task_id: n.task_id,
                jurisdiction_code: n.jurisdiction_code,
                n_items: n.n_items,
                created_at: n.created_at,
            })
            .collect(),
    ))
}

/// Filter of the statistics.
#[derive(Debug, Deserialize, IntoParams)]
pub struct StatsQuery {
    pub task_id: Option<i64>,
}

/// Completion statistics by county and by deadline day, inside the caller's jurisdiction.
#[utoipa::path(get, path = "/api/v1/co-investigations/stats", tag = "co_investigation", params(StatsQuery),
    responses((status = 200, body = CoStats), (status = 403, body = Problem)))]
pub async fn stats(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<StatsQuery>,
) -> ApiResult<Json<CoStats>> {
    let s = state.app.co_investigation_stats(&actor, q.task_id).await?;
    Ok(Json(CoStats {
        by_county: s.by_county.iter().map(stat_to_wire).collect(),
        by_deadline: s.by_deadline.iter().map(stat_to_wire).collect(),
    }))
}
