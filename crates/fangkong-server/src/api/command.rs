//! `/api/v1/directives`, `/api/v1/duty` and `/api/v1/overdue`: directives with
//! acknowledgement and completion report, the duty roster with handover notes and shift logs,
//! and the overdue counters of the command dashboard.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use fangkong_api_types::{
    Directive, DirectiveCreate, DirectiveReport, DutyLogEntry, DutyShift, DutyShiftCreate,
    DutyShiftDetail, DutyText, OverdueCounts, Problem,
};
use fangkong_app::command::{DirectiveInput, ShiftInput};
use fangkong_store::command::{DirectiveRow, ShiftRow};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::AppState;

pub(crate) fn directive_to_wire(d: &DirectiveRow, now: i64) -> Directive {
    let status = if d.completed_at.is_some() {
        "completed"
    } else if d.acknowledged_at.is_some() {
        "acknowledged"
    } else {
        "issued"
    };
    Directive {
        id: d.id,
        issuer_code: d.issuer_code.clone(),
        target_code: d.target_code.clone(),
        target_unit: d.target_unit.clone(),
        title: d.title.clone(),
        body: d.body.clone(),
        issued_at: d.issued_at,
        issued_by: d.issued_by.clone(),
        due_at: d.due_at,
        status: status.to_string(),
        overdue: d.completed_at.is_none() && d.due_at < now,
        acknowledged_at: d.acknowledged_at,
        acknowledged_by: d.acknowledged_by.clone(),
        completed_at: d.completed_at,
        completed_by: d.completed_by.clone(),
        completion_report: d.completion_report.clone(),
    }
}

pub(crate) fn shift_to_wire(s: &ShiftRow) -> DutyShift {
    DutyShift {
        id: s.id,
        unit_code: s.unit_code.clone(),
        unit_name: s.unit_name.clone(),
        starts_at: s.starts_at,
        ends_at: s.ends_at,
        leader: s.leader.clone(),
        officer: s.officer.clone(),
        handover_note: s.handover_note.clone(),
    }
}

/// Directives to or from the caller's jurisdiction, latest first.
#[utoipa::path(get, path = "/api/v1/directives", tag = "command",
    responses((status = 200, body = Vec<Directive>), (status = 403, body = Problem)))]
pub async fn directives(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<Directive>>> {
    let now = state.app.now_ms();
    let rows = state.app.directives(&actor).await?;
    Ok(Json(
        rows.iter().map(|d| directive_to_wire(d, now)).collect(),
    ))
}

/// Issue a directive to a department or a jurisdiction inside the caller's.
#[utoipa::path(post, path = "/api/v1/directives", tag = "command", request_body = DirectiveCreate,
    responses((status = 201, body = Directive), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn issue(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(b): Json<DirectiveCreate>,
) -> ApiResult<(StatusCode, Json<Directive>)> {
    let d = state
        .app
        .issue_directive(
            &actor,
            &DirectiveInput {
                target_code: b.target_code,
                target_unit: b.target_unit,
                title: b.title,
                body: b.body,
                due: b.due,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(directive_to_wire(&d, state.app.now_ms())),
    ))
}

/// One directive.
#[utoipa::path(get, path = "/api/v1/directives/{id}", tag = "command",
    params(("id" = i64, Path, description = "Directive id")),
    responses((status = 200, body = Directive), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn directive(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Json<Directive>> {
    let d = state.app.directive(&actor, id).await?;
    Ok(Json(directive_to_wire(&d, state.app.now_ms())))
}

/// Acknowledge (签收) a directive to the caller's jurisdiction.
#[utoipa::path(post, path = "/api/v1/directives/{id}/acknowledge", tag = "command",
    params(("id" = i64, Path, description = "Directive id")),
    responses((status = 200, body = Directive), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn acknowledge(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Json<Directive>> {
    let d = state.app.acknowledge_directive(&actor, id).await?;
    Ok(Json(directive_to_wire(&d, state.app.now_ms())))
}

/// Report a directive complete (办结) with a report.
#[utoipa::path(post, path = "/api/v1/directives/{id}/complete", tag = "command",
    params(("id" = i64, Path, description = "Directive id")), request_body = DirectiveReport,
    responses((status = 200, body = Directive), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn complete(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(b): Json<DirectiveReport>,
) -> ApiResult<Json<Directive>> {
    let d = state.app.complete_directive(&actor, id, &b.report).await?;
    Ok(Json(directive_to_wire(&d, state.app.now_ms())))
}

/// The jurisdiction of the overdue counters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct OverdueQuery {
    pub jurisdiction: String,
}

/// Overdue co-investigation items and directives of a jurisdiction's subtree.
#[utoipa::path(get, path = "/api/v1/overdue", tag = "command", params(OverdueQuery),
    responses((status = 200, body = OverdueCounts), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn overdue(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<OverdueQuery>,
) -> ApiResult<Json<OverdueCounts>> {
    let c = state.app.overdue_counts(&actor, &q.jurisdiction).await?;
    Ok(Json(OverdueCounts {
        co_investigation_items: c.co_investigation_items,
        directives: c.directives,
    }))
}

/// The day of the roster.
#[derive(Debug, Deserialize, IntoParams)]
pub struct RosterQuery {
    /// `YYYY-MM-DD` (China); today when absent.
    pub day: Option<String>,
}

/// The roster of a day and the next, in the caller's jurisdiction.
#[utoipa::path(get, path = "/api/v1/duty/shifts", tag = "command", params(RosterQuery),
    responses((status = 200, body = Vec<DutyShift>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn shifts(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<RosterQuery>,
) -> ApiResult<Json<Vec<DutyShift>>> {
    let day = match q.day.as_deref() {
        Some(d) => chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| fangkong_app::Error::invalid("day", "expected YYYY-MM-DD"))?,
        None => state.app.today(),
    };
    let rows = state.app.roster(&actor, day).await?;
    Ok(Json(rows.iter().map(shift_to_wire).collect()))
}

/// Add a shift to a unit's roster.
#[utoipa::path(post, path = "/api/v1/duty/shifts", tag = "command", request_body = DutyShiftCreate,
    responses((status = 201, body = DutyShift), (status = 403, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)))]
pub async fn add_shift(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(b): Json<DutyShiftCreate>,
) -> ApiResult<(StatusCode, Json<DutyShift>)> {
    let s = state
        .app
        .add_shift(
            &actor,
            &ShiftInput {
                unit_code: b.unit_code,
                unit_name: b.unit_name,
                starts: b.starts,
                ends: b.ends,
                leader: b.leader,
                officer: b.officer,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(shift_to_wire(&s))))
}

/// Who is on duty now in the caller's jurisdiction.
#[utoipa::path(get, path = "/api/v1/duty/now", tag = "command",
    responses((status = 200, body = Vec<DutyShift>), (status = 403, body = Problem)))]
pub async fn on_duty(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<DutyShift>>> {
    let rows = state.app.on_duty(&actor).await?;
    Ok(Json(rows.iter().map(shift_to_wire).collect()))
}

fn detail(s: &ShiftRow, log: &[fangkong_store::command::LogRow]) -> DutyShiftDetail {
    DutyShiftDetail {
        shift: shift_to_wire(s),
        log: log
            .iter()
            .map(|l| DutyLogEntry {
                id: l.id,
                at: l.at,
                text: l.text.clone(),
                recorded_by: l.recorded_by.clone(),
            })
            .collect(),
    }
}

/// A shift with its log.
#[utoipa::path(get, path = "/api/v1/duty/shifts/{id}", tag = "command",
    params(("id" = i64, Path, description = "Shift id")),
    responses((status = 200, body = DutyShiftDetail), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn shift(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Json<DutyShiftDetail>> {
    let (s, log) = state.app.shift(&actor, id).await?;
    Ok(Json(detail(&s, &log)))
}

/// Log an event during a shift.
#[utoipa::path(post, path = "/api/v1/duty/shifts/{id}/log", tag = "command",
    params(("id" = i64, Path, description = "Shift id")), request_body = DutyText,
    responses((status = 201, body = DutyLogEntry), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn log(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(b): Json<DutyText>,
) -> ApiResult<(StatusCode, Json<DutyLogEntry>)> {
    let l = state.app.log_shift_event(&actor, id, &b.text).await?;
    Ok((
        StatusCode::CREATED,
        Json(DutyLogEntry {
            id: l.id,
            at: l.at,
            text: l.text,
            recorded_by: l.recorded_by,
        }),
    ))
}

/// Write the handover note of a shift (交接班).
#[utoipa::path(post, path = "/api/v1/duty/shifts/{id}/handover", tag = "command",
    params(("id" = i64, Path, description = "Shift id")), request_body = DutyText,
    responses((status = 200, body = DutyShift), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn handover(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(b): Json<DutyText>,
) -> ApiResult<Json<DutyShift>> {
    let s = state.app.hand_over(&actor, id, &b.text).await?;
    Ok(Json(shift_to_wire(&s)))
}
