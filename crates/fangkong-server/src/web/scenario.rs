//! Scenario forecast pages (情景预测): the stored runs of the user's jurisdiction, a form to
//! run a new ensemble, and one run with its bands (cases, people in quarantine, severe
//! cases in hospital: the 5th–95th percentile band around the median line), its counties
//! and the supply use of each item.
//!
//! Every value comes from `App::scenario_forecasts` / `App::scenario_forecast` /
//! `App::run_scenario_forecast`, which check `drills.read` and keep to the actor's
//! jurisdiction. This module decides nothing about access.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use fangkong_app::scenario::{Band, ScenarioForecast, ScenarioRequest};
use minijinja::{context, Value};
use serde::Deserialize;

use super::forms::{by_lang, china_time};
use super::{check_csrf, render_page, PageResult, WebError};
use crate::auth::WebUser;
use crate::AppState;

fn band_text(b: &Band) -> Value {
    context! {
        median => format!("{:.0}", b.median),
        range => format!("{:.0}–{:.0}", b.p5, b.p95),
    }
}

fn run_summary(f: &ScenarioForecast) -> Value {
    context! {
        id => f.id,
        as_of => f.as_of.clone(),
        horizon => f.horizon_days,
        members => f.members,
        seed => f.seed,
        created_at => china_time(f.created_at_ms),
        created_by => f.created_by.clone(),
        cases => band_text(&f.cases_total),
        admissions => band_text(&f.admissions_total),
        quarantine_peak => band_text(&f.quarantine_peak),
    }
}

/// `GET /forecasts/scenario`: the runs, newest first, and the form to run one.
pub async fn index(State(state): State<AppState>, user: WebUser) -> PageResult {
    let runs = state.app.scenario_forecasts(&user.actor, 50).await?;
    render_page(
        &state,
        &user,
        "scenario/index.html",
        "scenario",
        "/forecasts/scenario",
        context! {
            runs => runs.iter().map(run_summary).collect::<Vec<_>>(),
            horizon => fangkong_app::scenario::DEFAULT_HORIZON,
            members => fangkong_app::scenario::DEFAULT_MEMBERS,
            max_members => fangkong_app::scenario::MAX_MEMBERS,
        },
    )
}

/// The run form.
#[derive(Debug, Deserialize)]
pub struct RunForm {
    csrf: String,
    horizon_days: u16,
    members: u16,
}

/// `POST /forecasts/scenario`: runs an ensemble and opens it.
pub async fn run(
    State(state): State<AppState>,
    user: WebUser,
    Form(f): Form<RunForm>,
) -> Result<Response, WebError> {
    check_csrf(&user, &f.csrf)?;
    let run = state
        .app
        .run_scenario_forecast(
            &user.actor,
            ScenarioRequest {
                horizon_days: f.horizon_days,
                members: f.members,
                seed: None,
            },
        )
        .await
        .map_err(|e| WebError::new(&e, user.lang))?;
    Ok(Redirect::to(&format!("/forecasts/scenario/{}", run.id)).into_response())
}

/// `GET /forecasts/scenario/{id}`: one run with its band charts and tables.
pub async fn show(State(state): State<AppState>, user: WebUser, Path(id): Path<i64>) -> PageResult {
    let f = state.app.scenario_forecast(&user.actor, id).await?;
    let lang = user.lang;
    let names = state
        .app
        .list_jurisdictions(&user.actor, None, Some(&f.jurisdiction_code))
        .await
        .unwrap_or_default();
    let name_of = |code: &str| {
        names
            .iter()
            .find(|j| j.code == code)
            .map_or_else(|| code.to_string(), |j| j.name.clone())
    };
    let dates: Vec<&str> = f.days.iter().map(|d| d.date.as_str()).collect();
    // One chart per measure: the band as a stacked area (p5, then p95 − p5) and the median.
    let band =
        |title_zh: &str, title_en: &str, pick: fn(&fangkong_app::scenario::ScenarioDay) -> Band| {
            let bands: Vec<Band> = f.days.iter().map(pick).collect();
            serde_json::json!({
                "title": by_lang(lang, title_zh, title_en),
                "dates": dates,
                "p5": bands.iter().map(|b| b.p5).collect::<Vec<_>>(),
                "p95": bands.iter().map(|b| b.p95).collect::<Vec<_>>(),
                "median": bands.iter().map(|b| b.median).collect::<Vec<_>>(),
                "labels": {
                    "band": by_lang(lang, "5%–95% 区间", "5th–95th percentile"),
                    "median": by_lang(lang, "中位数", "Median"),
                },
            })
            .to_string()
        };
    let charts = vec![
        context! { id => "chart-cases", data => band("每日新发现病例", "Cases found per day", |d| d.cases) },
        context! { id => "chart-quarantine", data => band("在隔离观察人数", "People in quarantine", |d| d.in_quarantine) },
        context! { id => "chart-isolated", data => band("在隔离治疗病例", "Cases in isolation", |d| d.isolated) },
        context! { id => "chart-hospital", data => band("住院重症病例", "Severe cases in hospital", |d| d.in_hospital) },
    ];
    let days: Vec<Value> = f
        .days
        .iter()
        .map(|d| {
            context! {
                date => d.date.clone(),
                cases => band_text(&d.cases),
                admissions => band_text(&d.admissions),
                quarantine_entries => band_text(&d.quarantine_entries),
                in_quarantine => band_text(&d.in_quarantine),
                isolated => band_text(&d.isolated),
                in_hospital => band_text(&d.in_hospital),
            }
        })
        .collect();
    let counties: Vec<Value> = f
        .counties
        .iter()
        .map(|c| {
            let peak = |v: &[f64]| format!("{:.0}", v.iter().copied().fold(0.0, f64::max));
            context! {
                code => c.county_code.clone(),
                name => name_of(&c.county_code),
                cases => band_text(&c.cases_total),
                quarantine_peak => peak(&c.in_quarantine),
                hospital_peak => peak(&c.in_hospital),
            }
        })
        .collect();
    let supplies: Vec<Value> = f
        .supplies
        .iter()
        .map(|s| {
            let peak = s.daily.iter().map(|b| b.median).fold(0.0, f64::max);
            context! {
                code => s.item_code.clone(),
                name => s.item_name.clone(),
                unit => s.unit.clone(),
                total => band_text(&s.total),
                peak => format!("{peak:.0}"),
            }
        })
        .collect();
    render_page(
        &state,
        &user,
        "scenario/show.html",
        "scenario",
        "/forecasts/scenario",
        context! {
            run => run_summary(&f),
            jurisdiction => name_of(&f.jurisdiction_code),
            start => context! {
                residents => f.start.residents,
                vaccinated => f.start.vaccinated,
                isolated => f.start.isolated,
                quarantined => f.start.quarantined,
                recent_cases => f.start.recent_cases,
                hidden_infections => f.start.hidden_infections,
            },
            charts => charts,
            days => days,
            counties => counties,
            supplies => supplies,
        },
    )
}
