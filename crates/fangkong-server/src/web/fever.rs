//! The fever-clinic page: open loops first (overdue in red), then the latest visits.

use axum::extract::{Query, State};
use fangkong_store::fever::Visit;
use minijinja::{context, Value};
use serde::Deserialize;

use super::{render_page, PageResult, WebError};
use crate::auth::WebUser;
use crate::AppState;

const PAGE: i64 = 100;

/// Filters of the page.
#[derive(Debug, Deserialize)]
pub struct FeverQuery {
    clinic_id: Option<String>,
    county: Option<String>,
}

fn china_time(ms: i64) -> String {
    let at = ms + fangkong_app::testing::schedules::CHINA_OFFSET_MS;
    chrono::DateTime::from_timestamp_millis(at)
        .map(|t| t.naive_utc().format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

fn visit_context(v: &Visit) -> Value {
    let result = v.result();
    context! {
        id => v.id,
        clinic => v.clinic_name.clone(),
        person => v.person_name.clone(),
        id_number => v.person_doc_masked.clone(),
        visit_at => china_time(v.visit_at),
        temperature => format!("{:.1}", v.temperature),
        symptoms => v.symptom_keys().into_iter().map(str::to_string).collect::<Vec<_>>(),
        epi_history => v.epi_history,
        tube_code => v.tube_code.clone(),
        outcome => result.as_ref().map(|r| r.outcome.to_string()),
        result_at => result.as_ref().map(|r| china_time(r.at)),
        disposition => v.disposition.clone(),
        disposition_at => v.disposition_at.map(china_time),
    }
}

/// `GET /fever`.
pub async fn overview(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<FeverQuery>,
) -> PageResult {
    let err = |e: fangkong_app::Error| WebError::new(&e, user.lang);
    let clinic_id = q
        .clinic_id
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| {
            c.parse::<i64>()
                .map_err(|_| fangkong_app::Error::invalid("clinic_id", "must be a facility id"))
        })
        .transpose()
        .map_err(err)?;
    let county = q.county.as_deref().map(str::trim).filter(|c| !c.is_empty());
    let loops = state
        .app
        .fever_open_loops(&user.actor, clinic_id, county)
        .await
        .map_err(err)?;
    let visits = state
        .app
        .fever_visits(&user.actor, clinic_id, county, PAGE, 0)
        .await
        .map_err(err)?;
    let clinics = state.app.fever_clinics(&user.actor).await.map_err(err)?;
    let page = context! {
        clinic_id => clinic_id,
        county => county.unwrap_or_default(),
        clinics => clinics.iter().map(|c| context! { id => c.id, name => c.name.clone(), community_code => c.community_code.clone() }).collect::<Vec<_>>(),
        due_soon => loops.due_soon,
        loops => loops.loops.iter().map(|l| context! {
            reason => l.reason.as_str(),
            due_at => china_time(l.due_at),
            overdue_hours => l.overdue_hours,
            visit => visit_context(&l.visit),
        }).collect::<Vec<_>>(),
        visits => visits.iter().map(visit_context).collect::<Vec<_>>(),
    };
    render_page(
        &state,
        &user,
        "fever/overview.html",
        "fever",
        "/fever",
        page,
    )
}
