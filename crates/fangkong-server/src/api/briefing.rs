//! `/api/v1/briefings`: the stored daily briefings of the caller's jurisdiction, one by day,
//! and generating today's.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use fangkong_api_types::{
    Briefing, BriefingArea, BriefingDay, BriefingEntry, BriefingEvent, BriefingFigure,
    BriefingStep, DashboardTimeliness, Problem,
};
use fangkong_app::briefing as b;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::i18n::Lang;
use crate::AppState;

/// The wire form of a briefing.
pub(crate) fn to_wire(x: &b::Briefing) -> Briefing {
    Briefing {
        jurisdiction_code: x.jurisdiction_code.clone(),
        jurisdiction_name: x.jurisdiction_name.clone(),
        day: x.day.to_string(),
        revision: x.revision,
        generated_at_ms: x.generated_at_ms,
        generated_by: x.generated_by.clone(),
        figures: x
            .figures
            .iter()
            .map(|f| BriefingFigure {
                key: f.key.clone(),
                value: f.value,
                yesterday: f.yesterday,
                last_week: f.last_week,
            })
            .collect(),
        curve: x
            .curve
            .iter()
            .map(|d| BriefingDay {
                day: d.day.to_string(),
                by_onset: d.by_onset,
                by_report: d.by_report,
                rt: d.rt.map(|r| r.0),
                rt_low: d.rt.map(|r| r.1),
                rt_high: d.rt.map(|r| r.2),
            })
            .collect(),
        areas: x
            .areas
            .iter()
            .map(|a| BriefingArea {
                code: a.code.clone(),
                name: a.name.clone(),
                new_today: a.new_today,
                new_7d: a.new_7d,
                active: a.active,
                new_7d_per_100k: a.new_7d_per_100k,
            })
            .collect(),
        four_early: x
            .four_early
            .iter()
            .map(|s| BriefingStep {
                key: s.key.clone(),
                timeliness: DashboardTimeliness {
                    n: s.n,
                    median_hours: s.median_hours,
                    timely: s.timely,
                    target_hours: s.target_hours,
                },
            })
            .collect(),
        events: x
            .events
            .iter()
            .map(|e| BriefingEvent {
                key: e.key.clone(),
                value: e.value,
                area: e.area.clone(),
                text_zh: crate::web::briefing::event_text(e, Lang::Zh),
                text_en: crate::web::briefing::event_text(e, Lang::En),
            })
            .collect(),
    }
}

/// The stored briefings inside the caller's jurisdiction, newest day first.
#[utoipa::path(get, path = "/api/v1/briefings", tag = "dashboard",
    responses((status = 200, body = Vec<BriefingEntry>), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<BriefingEntry>>> {
    let rows = state.app.briefings(&actor, 400).await?;
    Ok(Json(
        rows.iter()
            .map(|r| BriefingEntry {
                jurisdiction_code: r.jurisdiction_code.clone(),
                day: r.day.to_string(),
                revision: r.revision,
                generated_at_ms: r.generated_at_ms,
                generated_by: r.generated_by.clone(),
            })
            .collect(),
    ))
}

/// Generates today's briefing of the caller's jurisdiction from the dashboard and stores
/// it (a second generation the same day replaces it and counts the revision).
#[utoipa::path(post, path = "/api/v1/briefings", tag = "dashboard",
    responses((status = 201, body = Briefing), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn generate(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<(StatusCode, Json<Briefing>)> {
    let x = state
        .app
        .generate_briefing(&actor, state.app.today())
        .await?;
    Ok((StatusCode::CREATED, Json(to_wire(&x))))
}

/// Which jurisdiction's briefing.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct BriefingQuery {
    /// A jurisdiction code inside the caller's; the caller's own by default.
    jurisdiction: Option<String>,
}

/// The stored briefing of a day.
#[utoipa::path(get, path = "/api/v1/briefings/{day}", tag = "dashboard",
    params(("day" = String, Path, description = "YYYY-MM-DD"), BriefingQuery),
    responses((status = 200, body = Briefing), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn show(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(day): Path<String>,
    Query(q): Query<BriefingQuery>,
) -> ApiResult<Json<Briefing>> {
    let day = b::parse_day(&day)?;
    let x = state
        .app
        .briefing(&actor, day, q.jurisdiction.as_deref())
        .await?;
    Ok(Json(to_wire(&x)))
}
