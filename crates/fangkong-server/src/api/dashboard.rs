//! `/api/v1/dashboard`: the command dashboard's figures of the caller's jurisdiction (the
//! same figures the `/dashboard` page and its event stream show).

use axum::extract::State;
use axum::Json;
use fangkong_api_types::{
    Dashboard, DashboardAlerts, DashboardArea, DashboardBedCount, DashboardBeds, DashboardCases,
    DashboardContacts, DashboardFourEarly, DashboardIsolation, DashboardMeasures, DashboardRound,
    DashboardTesting, DashboardTimeliness, Problem,
};
use fangkong_app::dashboard as d;

use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::AppState;

fn timeliness(t: &d::Timeliness) -> DashboardTimeliness {
    DashboardTimeliness {
        n: t.n,
        median_hours: t.median_hours,
        timely: t.timely,
        target_hours: t.target_hours,
    }
}

fn bed((beds, occupied): (i64, i64)) -> DashboardBedCount {
    DashboardBedCount { beds, occupied }
}

/// The wire form of the dashboard.
pub(crate) fn to_wire(x: &d::Dashboard) -> Dashboard {
    Dashboard {
        day: x.day.to_string(),
        at_ms: x.at_ms,
        population_at_ms: x.population_at_ms,
        jurisdiction_code: x.root.as_ref().map(|r| r.0.clone()),
        jurisdiction_name: x.root.as_ref().map(|r| r.1.clone()),
        cases: x.cases.map(|c| DashboardCases {
            new_today: c.new_today,
            new_yesterday: c.new_yesterday,
            new_7d: c.new_7d,
            new_prev_7d: c.new_prev_7d,
            active: c.active,
            active_confirmed: c.active_confirmed,
            active_asymptomatic: c.active_asymptomatic,
            active_suspected: c.active_suspected,
            severe: c.severe,
            recovered: c.recovered,
            died: c.died,
        }),
        contacts: x.contacts.map(|c| DashboardContacts {
            confirmed: c.confirmed,
            under_control: c.under_control,
            without_measure: c.without_measure,
        }),
        measures: x.measures.map(|m| DashboardMeasures {
            total: m.total(),
            centralised: m.centralised,
            home_quarantine: m.home_quarantine,
            health_monitoring: m.health_monitoring,
            other: m.other,
            not_active: m.not_active,
            overdue: m.overdue,
            releases_due: m.releases_due,
            fever_open_loops: m.fever_open_loops,
            coldchain_open_tasks: m.coldchain_open_tasks,
        }),
        testing: x.testing.as_ref().map(|t| DashboardTesting {
            positives_today: t.positives_today,
            positives_yesterday: t.positives_yesterday,
            round: t.round.as_ref().map(|r| DashboardRound {
                code: r.code.clone(),
                name: r.name.clone(),
                starts_on: r.starts_on.clone(),
                ends_on: r.ends_on.clone(),
                target: r.target,
                sampled: r.sampled,
                coverage_pct: (r.target > 0).then(|| r.sampled as f64 * 100.0 / r.target as f64),
            }),
        }),
        isolation: x.isolation.map(|i| DashboardIsolation {
            sites: i.sites,
            rooms: i.rooms,
            rooms_occupied: i.rooms_occupied,
            rooms_free: i.rooms_free,
            beds: i.beds,
            occupants: i.occupants,
        }),
        beds: x.beds.map(|b| DashboardBeds {
            hospitals: b.hospitals,
            total: bed(b.total()),
            general: bed(b.general),
            icu: bed(b.icu),
            isolation: bed(b.isolation),
        }),
        supplies_at_risk: x.supplies_at_risk,
        alerts: x.alerts.map(|a| DashboardAlerts {
            open: a.open,
            verification: timeliness(&a.verification),
        }),
        overdue_tasks: x.overdue_tasks,
        overdue_directives: x.overdue_directives,
        curve: x
            .curve
            .as_ref()
            .map(crate::api::sentinels::analysis_to_wire),
        areas: x
            .areas
            .iter()
            .map(|a| DashboardArea {
                code: a.code.clone(),
                name: a.name.clone(),
                population: a.population,
                active: a.active,
                new_today: a.new_today,
                new_7d: a.new_7d,
                new_7d_per_100k: a.new_7d_per_100k,
            })
            .collect(),
        four_early: x.four_early.map(|f| DashboardFourEarly {
            detection: timeliness(&f.detection),
            report: timeliness(&f.report),
            isolation: timeliness(&f.isolation),
            treatment: timeliness(&f.treatment),
            itinerary: timeliness(&f.itinerary),
            contacts: timeliness(&f.contacts),
        }),
    }
}

/// The command dashboard of the caller's jurisdiction: cases, contacts, people under each
/// measure, positives, the current round's coverage, isolation and bed occupancy, supplies
/// at risk, open alerts, the epidemic curve with Rt, the subdivisions for the map and the
/// four earlies. Sections the caller may not read are null.
#[utoipa::path(get, path = "/api/v1/dashboard", tag = "dashboard",
    responses((status = 200, body = Dashboard), (status = 403, body = Problem)))]
pub async fn show(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Dashboard>> {
    let x = state.app.dashboard_cached(&actor).await?;
    Ok(Json(to_wire(&x)))
}
