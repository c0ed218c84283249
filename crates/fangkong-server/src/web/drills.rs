//! Drill pages (应急演练): the drills of this sandbox and one drill's report: the four
//! earlies by county with a chart of the median delays, late tasks, the daily demand for
//! quarantine and hospital beds against each county's beds (charts), the stock-outs and what
//! the drill fed into the sandbox.
//!
//! Every value comes from `App::drills` / `App::drill`, which check `drills.read` and keep
//! the counties to the actor's jurisdiction. This module decides nothing about access.

use axum::extract::{Path, State};
use fangkong_app::drills::{CountyScore, Delay};
use minijinja::{context, Value};

use super::forms::{by_lang, china_time};
use super::{render_page, PageResult};
use crate::auth::WebUser;
use crate::i18n::Lang;
use crate::AppState;

fn hours(x: Option<f64>) -> String {
    x.map_or_else(|| "—".to_string(), |v| format!("{v:.1}"))
}

fn delay_value(d: &Delay) -> Value {
    context! {
        n => d.n,
        median => hours(d.median_hours),
        mean => hours(d.mean_hours),
        on_time => d.on_time,
    }
}

fn score_value(c: &CountyScore) -> Value {
    context! {
        code => c.code.clone(),
        name => c.name.clone(),
        infections => c.infections,
        cases => c.cases,
        detection => delay_value(&c.detection),
        report => delay_value(&c.report),
        isolation => delay_value(&c.isolation),
        treatment => delay_value(&c.treatment),
        late_reports => c.late_reports,
        late_isolations => c.late_isolations,
        late_tasks => c.late_tasks,
        isolation_shortfall_days => c.isolation_shortfall_days,
        isolation_peak_shortfall => c.isolation_peak_shortfall,
        bed_shortfall_days => c.bed_shortfall_days,
        stockouts => c.stockouts,
        score => format!("{:.1}", c.score),
    }
}

/// `GET /drills`: the drills of this instance.
pub async fn index(State(state): State<AppState>, user: WebUser) -> PageResult {
    let rows = state.app.drills(&user.actor).await?;
    let drills: Vec<Value> = rows
        .iter()
        .map(|r| {
            context! {
                id => r.id,
                scenario => r.scenario_name.clone(),
                title => by_lang(user.lang, &r.title, &r.title_en),
                status => r.status.clone(),
                days => r.days,
                day_reached => r.day_reached,
                start_day => r.sim_start_day.clone(),
                started_at => china_time(r.started_at),
            }
        })
        .collect();
    render_page(
        &state,
        &user,
        "drills/index.html",
        "drills",
        "/drills",
        context! { drills => drills },
    )
}

/// `GET /drills/{id}`: a drill's report with its charts.
pub async fn show(State(state): State<AppState>, user: WebUser, Path(id): Path<i64>) -> PageResult {
    let d = state.app.drill(&user.actor, id).await?;
    let lang = user.lang;
    let row = &d.row;
    let report = d.report.as_ref();
    let counties: Vec<Value> = report
        .map(|r| {
            r.counties
                .iter()
                .filter(|c| c.infections > 0 || c.cases > 0)
                .map(score_value)
                .collect()
        })
        .unwrap_or_default();
    let label = |zh: &str, en: &str| by_lang(lang, zh, en);
    // Chart data as JSON in data-* attributes (no inline script).
    let delays = report.map(|r| {
        let shown: Vec<&CountyScore> = r.counties.iter().filter(|c| c.cases > 0).collect();
        serde_json::json!({
            "counties": shown.iter().map(|c| if c.name.is_empty() { c.code.clone() } else { c.name.clone() }).collect::<Vec<_>>(),
            "series": [
                { "name": label("发现（发病→检出）", "Detection (onset → found)"), "data": shown.iter().map(|c| c.detection.median_hours).collect::<Vec<_>>() },
                { "name": label("报告（检出→报告）", "Report (found → reported)"), "data": shown.iter().map(|c| c.report.median_hours).collect::<Vec<_>>() },
                { "name": label("隔离（报告→隔离）", "Isolation (reported → isolated)"), "data": shown.iter().map(|c| c.isolation.median_hours).collect::<Vec<_>>() },
                { "name": label("治疗（报告→入院）", "Treatment (reported → admitted)"), "data": shown.iter().map(|c| c.treatment.median_hours).collect::<Vec<_>>() },
            ],
            "unit": label("小时（中位数）", "hours (median)"),
        })
        .to_string()
    });
    let occupancy = report.map(|r| {
        let days: Vec<String> = (0..r.days).map(|d| format!("D{d}")).collect();
        let shown: Vec<_> = r
            .occupancy
            .iter()
            .filter(|o| {
                o.isolation_demand.iter().any(|&x| x > 0)
                    || o.hospital_demand.iter().any(|&x| x > 0)
            })
            .collect();
        serde_json::json!({
            "days": days,
            "counties": shown.iter().map(|o| serde_json::json!({
                "name": if o.name.is_empty() { o.code.clone() } else { o.name.clone() },
                "isolation": o.isolation_demand,
                "hospital": o.hospital_demand,
                "quarantine_beds": o.quarantine_beds,
                "hospital_beds": o.hospital_beds,
            })).collect::<Vec<_>>(),
            "labels": {
                "isolation": label("隔离/集中隔离人数", "people isolated or quarantined"),
                "hospital": label("在院患者", "patients in hospital"),
                "beds": label("床位", "beds"),
            },
        })
        .to_string()
    });
    let daily = report.filter(|r| !r.daily.is_empty()).map(|r| {
        serde_json::json!({
            "days": r.daily.iter().map(|d| d.date.clone()).collect::<Vec<_>>(),
            "series": [
                { "name": label("新感染", "new infections"), "data": r.daily.iter().map(|d| d.infections).collect::<Vec<_>>() },
                { "name": label("新发现病例", "cases found"), "data": r.daily.iter().map(|d| d.detections).collect::<Vec<_>>() },
                { "name": label("隔离中", "isolated"), "data": r.daily.iter().map(|d| d.isolated).collect::<Vec<_>>() },
                { "name": label("集中隔离中", "quarantined"), "data": r.daily.iter().map(|d| d.quarantined).collect::<Vec<_>>() },
                { "name": label("在院", "in hospital"), "data": r.daily.iter().map(|d| d.in_hospital).collect::<Vec<_>>() },
            ],
        })
        .to_string()
    });
    let stockouts: Vec<Value> = report
        .map(|r| {
            r.stockouts
                .iter()
                .map(|s| {
                    context! {
                        county => s.county.clone(),
                        item => format!("{} {}", s.item_code, s.item_name),
                        unit => s.unit.clone(),
                        stock => format!("{:.0}", s.stock),
                        demand => format!("{:.0}", s.demand),
                        day => s.day,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let page = context! {
        drill => context! {
            id => row.id,
            scenario => row.scenario_name.clone(),
            title => by_lang(lang, &row.title, &row.title_en),
            status => row.status.clone(),
            seed => row.seed,
            days => row.days,
            day_reached => row.day_reached,
            start_day => row.sim_start_day.clone(),
            started_at => china_time(row.started_at),
            finished_at => row.finished_at.map(china_time),
        },
        failure => d.failure.clone(),
        has_report => report.is_some(),
        total => report.and_then(|r| r.total.as_ref()).map(score_value),
        counties => counties,
        standards => report.map(|r| context! {
            detection => r.standards.detection_hours,
            report => r.standards.report_hours,
            isolation => r.standards.isolation_hours,
            tracing => r.standards.tracing_hours,
            treatment => r.standards.treatment_hours,
        }),
        feeds => report.map(|r| context! {
            travellers => r.feeds.travellers,
            sentinel_reports => r.feeds.sentinel_reports,
            sentinel_alerts => r.feeds.sentinel_alerts,
            samples => r.feeds.samples,
            results => r.feeds.results,
            cases => r.feeds.cases,
            isolations => r.feeds.isolations,
            admissions => r.feeds.admissions,
            recoveries => r.feeds.recoveries,
            co_investigation_items => r.feeds.co_investigation_items,
        }),
        stockouts => stockouts,
        delays_json => delays,
        occupancy_json => occupancy,
        daily_json => daily,
        en => lang == Lang::En,
    };
    render_page(
        &state,
        &user,
        "drills/show.html",
        "drills",
        &format!("/drills/{id}"),
        page,
    )
}
