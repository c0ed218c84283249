//! `/api/v1/drills`: drills run in this (sandbox) instance and their reports.

use axum::extract::{Path, State};
use axum::Json;
use fangkong_api_types::{
    DrillCountyScore, DrillDay, DrillDelay, DrillDetail, DrillFeeds, DrillOccupancy, DrillReport,
    DrillStandards, DrillStockOut, DrillSummary, Problem,
};
use fangkong_app::drills::{self, Delay};
use fangkong_store::drills::DrillRow;

use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::AppState;

pub(crate) fn summary_to_wire(r: &DrillRow) -> DrillSummary {
    DrillSummary {
        id: r.id,
        scenario: r.scenario_name.clone(),
        title: r.title.clone(),
        title_en: r.title_en.clone(),
        seed: r.seed,
        days: r.days,
        status: r.status.clone(),
        day_reached: r.day_reached,
        started_at: r.started_at,
        start_day: r.sim_start_day.clone(),
        finished_at: r.finished_at,
    }
}

fn delay_to_wire(d: &Delay) -> DrillDelay {
    DrillDelay {
        n: d.n,
        median_hours: d.median_hours,
        mean_hours: d.mean_hours,
        on_time: d.on_time,
    }
}

fn score_to_wire(c: &drills::CountyScore) -> DrillCountyScore {
    DrillCountyScore {
        code: c.code.clone(),
        name: c.name.clone(),
        infections: c.infections,
        cases: c.cases,
        detection: delay_to_wire(&c.detection),
        report: delay_to_wire(&c.report),
        isolation: delay_to_wire(&c.isolation),
        treatment: delay_to_wire(&c.treatment),
        late_reports: c.late_reports,
        late_isolations: c.late_isolations,
        late_tasks: c.late_tasks,
        co_items: c.co_items,
        isolation_shortfall_days: c.isolation_shortfall_days,
        isolation_peak_shortfall: c.isolation_peak_shortfall,
        bed_shortfall_days: c.bed_shortfall_days,
        stockouts: c.stockouts,
        score: c.score,
    }
}

pub(crate) fn report_to_wire(r: &drills::DrillReport) -> DrillReport {
    let st = &r.standards;
    DrillReport {
        standards_hours: DrillStandards {
            detection: st.detection_hours,
            report: st.report_hours,
            isolation: st.isolation_hours,
            tracing: st.tracing_hours,
            treatment: st.treatment_hours,
        },
        total: r.total.as_ref().map(score_to_wire),
        counties: r.counties.iter().map(score_to_wire).collect(),
        daily: r
            .daily
            .iter()
            .map(|d| DrillDay {
                day: d.day,
                date: d.date.clone(),
                infections: d.infections,
                detections: d.detections,
                isolated: d.isolated,
                quarantined: d.quarantined,
                in_hospital: d.in_hospital,
                tubes: d.tubes,
            })
            .collect(),
        occupancy: r
            .occupancy
            .iter()
            .map(|o| DrillOccupancy {
                code: o.code.clone(),
                name: o.name.clone(),
                quarantine_beds: o.quarantine_beds,
                hospital_beds: o.hospital_beds,
                isolation_demand: o.isolation_demand.clone(),
                hospital_demand: o.hospital_demand.clone(),
            })
            .collect(),
        stockouts: r
            .stockouts
            .iter()
            .map(|s| DrillStockOut {
                county: s.county.clone(),
                item_code: s.item_code.clone(),
                item_name: s.item_name.clone(),
                unit: s.unit.clone(),
                stock: s.stock,
                demand: s.demand,
                day: s.day,
            })
            .collect(),
        feeds: DrillFeeds {
            travellers: r.feeds.travellers,
            sentinel_reports: r.feeds.sentinel_reports,
            sentinel_alerts: r.feeds.sentinel_alerts,
            samples: r.feeds.samples,
            results: r.feeds.results,
            cases: r.feeds.cases,
            isolations: r.feeds.isolations,
            admissions: r.feeds.admissions,
            recoveries: r.feeds.recoveries,
            co_investigation_items: r.feeds.co_investigation_items,
        },
    }
}

/// The drills of this instance, newest first.
#[utoipa::path(get, path = "/api/v1/drills", tag = "drills",
    responses((status = 200, body = Vec<DrillSummary>), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<DrillSummary>>> {
    let rows = state.app.drills(&actor).await?;
    Ok(Json(rows.iter().map(summary_to_wire).collect()))
}

/// A drill and its report: the four earlies, late tasks, capacity shortfalls and stock-outs
/// by county of the reader's jurisdiction.
#[utoipa::path(get, path = "/api/v1/drills/{id}", tag = "drills",
    params(("id" = i64, Path, description = "Drill id")),
    responses((status = 200, body = DrillDetail), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn show(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Json<DrillDetail>> {
    let d = state.app.drill(&actor, id).await?;
    Ok(Json(DrillDetail {
        drill: summary_to_wire(&d.row),
        report: d.report.as_ref().map(report_to_wire),
        failure: d.failure,
    }))
}
