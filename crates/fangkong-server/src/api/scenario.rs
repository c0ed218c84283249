//! `/api/v1/forecasts/scenario`: scenario forecasts (ensembles of simulated outbreaks from
//! the platform's state), run and stored per jurisdiction.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use fangkong_api_types::{
    ForecastBand, Problem, ScenarioCounty, ScenarioForecast, ScenarioForecastDay,
    ScenarioForecastRequest, ScenarioForecastSummary, ScenarioStartState, ScenarioSupply,
};
use fangkong_app::scenario::{self as s, ScenarioRequest};

use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::AppState;

fn band(b: s::Band) -> ForecastBand {
    ForecastBand {
        p5: b.p5,
        median: b.median,
        p95: b.p95,
    }
}

pub(crate) fn to_wire(f: &s::ScenarioForecast) -> ScenarioForecast {
    let st = f.start;
    ScenarioForecast {
        id: f.id,
        jurisdiction_code: f.jurisdiction_code.clone(),
        as_of: f.as_of.clone(),
        horizon_days: f.horizon_days,
        members: f.members,
        seed: f.seed,
        created_at_ms: f.created_at_ms,
        created_by: f.created_by.clone(),
        start: ScenarioStartState {
            residents: st.residents,
            vaccinated: st.vaccinated,
            isolated: st.isolated,
            quarantined: st.quarantined,
            recent_cases: st.recent_cases,
            hidden_infections: st.hidden_infections,
        },
        days: f
            .days
            .iter()
            .map(|d| ScenarioForecastDay {
                date: d.date.clone(),
                cases: band(d.cases),
                admissions: band(d.admissions),
                quarantine_entries: band(d.quarantine_entries),
                in_quarantine: band(d.in_quarantine),
                isolated: band(d.isolated),
                in_hospital: band(d.in_hospital),
            })
            .collect(),
        counties: f
            .counties
            .iter()
            .map(|c| ScenarioCounty {
                county_code: c.county_code.clone(),
                cases: c.cases.clone(),
                admissions: c.admissions.clone(),
                quarantine_entries: c.quarantine_entries.clone(),
                in_quarantine: c.in_quarantine.clone(),
                isolated: c.isolated.clone(),
                in_hospital: c.in_hospital.clone(),
                cases_total: band(c.cases_total),
            })
            .collect(),
        supplies: f
            .supplies
            .iter()
            .map(|x| ScenarioSupply {
                item_code: x.item_code.clone(),
                item_name: x.item_name.clone(),
                unit: x.unit.clone(),
                daily: x.daily.iter().copied().map(band).collect(),
                total: band(x.total),
            })
            .collect(),
        cases_total: band(f.cases_total),
        admissions_total: band(f.admissions_total),
        quarantine_peak: band(f.quarantine_peak),
    }
}

/// Runs an ensemble from today's state of the caller's jurisdiction and stores it; for two
/// days it feeds the isolation, treatment and supplies forecasts.
#[utoipa::path(post, path = "/api/v1/forecasts/scenario", tag = "drills",
    request_body = ScenarioForecastRequest,
    responses((status = 201, body = ScenarioForecast), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn run(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(b): Json<ScenarioForecastRequest>,
) -> ApiResult<(StatusCode, Json<ScenarioForecast>)> {
    let d = ScenarioRequest::default();
    let f = state
        .app
        .run_scenario_forecast(
            &actor,
            ScenarioRequest {
                horizon_days: b.horizon_days.unwrap_or(d.horizon_days),
                members: b.members.unwrap_or(d.members),
                seed: b.seed,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(to_wire(&f))))
}

/// The stored scenario forecasts inside the caller's jurisdiction, newest first (at most
/// 50), as summaries: what each ran and its totals.
#[utoipa::path(get, path = "/api/v1/forecasts/scenario", tag = "drills",
    responses((status = 200, body = Vec<ScenarioForecastSummary>), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<ScenarioForecastSummary>>> {
    let rows = state.app.scenario_forecasts(&actor, 50).await?;
    Ok(Json(
        rows.iter()
            .map(|f| ScenarioForecastSummary {
                id: f.id,
                jurisdiction_code: f.jurisdiction_code.clone(),
                as_of: f.as_of.clone(),
                horizon_days: f.horizon_days,
                members: f.members,
                seed: f.seed,
                created_at_ms: f.created_at_ms,
                created_by: f.created_by.clone(),
                cases_total: band(f.cases_total),
                admissions_total: band(f.admissions_total),
                quarantine_peak: band(f.quarantine_peak),
            })
            .collect(),
    ))
}

/// One stored scenario forecast.
#[utoipa::path(get, path = "/api/v1/forecasts/scenario/{id}", tag = "drills",
    params(("id" = i64, Path)),
    responses((status = 200, body = ScenarioForecast), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn show(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Json<ScenarioForecast>> {
    Ok(Json(to_wire(
        &state.app.scenario_forecast(&actor, id).await?,
    )))
}
