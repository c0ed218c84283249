//! `/api/v1/sentinels`: the sentinel registry and its vocabulary, daily reports (JSON batch
//! and file), missing reports, the daily aberration run, alerts and their workflow, and the
//! caller's alert subscription; `/api/v1/analysis/epidemic`: the epidemic curve and Rt.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Json;
use fangkong_api_types::{
    AberrationRun, AberrationRunRequest, AlertAssignment, AlertNote, AlertStatusChange,
    AlertTimeliness, EpidemicAnalysis, ImportSummary, Problem, RtWindow, SentinelAlert,
    SentinelAlertDetail, SentinelAlertEvent, SentinelAlertList, SentinelDeadlineUpdate,
    SentinelIndicator, SentinelInfo, SentinelList, SentinelReport, SentinelReportsBatch,
    SentinelSubscription, SentinelTypeInfo,
};
use fangkong_app::sentinel::{
    hours_to_verification, hours_to_verifying, AlertDetail, AlertQuery, ReportInput, ReportSource,
    RunOutcome, SentinelStatus, SubscriptionInput,
};
use fangkong_domain::SentinelType;
use fangkong_store::sentinel::{Alert, Report};
use serde::Deserialize;
use utoipa::IntoParams;

use super::idempotency;
use super::ImportQuery;
use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::AppState;

/// The wire form of a sentinel with its reporting state.
pub(crate) fn sentinel_to_wire(s: &SentinelStatus) -> SentinelInfo {
    SentinelInfo {
        id: s.sentinel.id,
        name: s.sentinel.name.clone(),
        sentinel_type: s.sentinel.sentinel_type.clone(),
        community_code: s.sentinel.community_code.clone(),
        lon: s.sentinel.lon,
        lat: s.sentinel.lat,
        due_day: s.due_day.to_string(),
        due_at: s.due_at,
        last_day: s.last_day.clone(),
        missing: s.missing,
    }
}

fn list_to_wire(list: &[SentinelStatus]) -> SentinelList {
    SentinelList {
        items: list.iter().map(sentinel_to_wire).collect(),
        missing: list.iter().filter(|s| s.missing).count() as u64,
    }
}

/// The wire form of an alert.
pub(crate) fn alert_to_wire(a: &Alert) -> SentinelAlert {
    SentinelAlert {
        id: a.id,
        sentinel_type: a.sentinel_type.clone(),
        indicator: a.indicator.clone(),
        level: a.level.clone(),
        levels: a.level_keys().into_iter().map(str::to_string).collect(),
        sentinel_id: a.sentinel_id,
        sentinel_name: a.sentinel_name.clone(),
        community_code: a.community_code.clone(),
        jurisdiction_name: a.jurisdiction_name.clone(),
        lon: a.lon,
        lat: a.lat,
        first_day: a.first_day.clone(),
        last_day: a.last_day.clone(),
        signal_days: a.signal_days,
        observed: a.observed,
        threshold: a.threshold,
        expected: a.expected,
        strength: a.strength,
        novel: a.novel,
        score: a.score,
        method: a.method.clone(),
        status: a.status.clone(),
        assignee: a.assignee.clone(),
        signal_at: a.signal_at,
        verifying_at: a.verifying_at,
        closed_at: a.closed_at,
        hours_to_verifying: hours_to_verifying(a),
        hours_to_verification: hours_to_verification(a),
    }
}

fn detail_to_wire(d: &AlertDetail) -> SentinelAlertDetail {
    SentinelAlertDetail {
        alert: alert_to_wire(&d.alert),
        events: d
            .events
            .iter()
            .map(|e| SentinelAlertEvent {
                at: e.at,
                kind: e.kind.clone(),
                from_status: e.from_status.clone(),
                to_status: e.to_status.clone(),
                assignee: e.assignee.clone(),
                note: e.note.clone(),
                actor: e.actor.clone(),
            })
            .collect(),
    }
}

fn report_to_wire(r: &Report) -> SentinelReport {
    SentinelReport {
        sentinel_id: r.sentinel_id,
        day: r.day.clone(),
        indicator: r.indicator.clone(),
        count: r.count,
        source: r.source.clone(),
        reported_at: r.reported_at,
        reported_by: r.reported_by.clone(),
        revisions: r.revisions,
    }
}

pub(crate) fn run_to_wire(o: &RunOutcome) -> AberrationRun {
    AberrationRun {
        day: o.day.map(|d| d.to_string()).unwrap_or_default(),
        series: o.series,
        evaluated: o
            .evaluated
            .iter()
            .map(|(k, v)| ((*k).to_string(), *v))
            .collect(),
        alarms: o.alarms,
        signals: o.signals,
        created: o.created.clone(),
        extended: o.extended,
        unchanged: o.unchanged,
    }
}

/// Filters of sentinel lists.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SentinelQuery {
    /// Only sentinels within this jurisdiction.
    within: Option<String>,
    /// Only this type.
    sentinel_type: Option<String>,
}

/// The sentinels in the caller's jurisdiction with their reporting state, and how many of
/// them miss the report now due.
#[utoipa::path(get, path = "/api/v1/sentinels", tag = "sentinels", params(SentinelQuery),
    responses((status = 200, body = SentinelList), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<SentinelQuery>,
) -> ApiResult<Json<SentinelList>> {
    let list = state
        .app
        .sentinels(&actor, q.within.as_deref(), q.sentinel_type.as_deref())
        .await?;
    Ok(Json(list_to_wire(&list)))
}

/// The sentinels whose report is missing at its deadline (flagged), most overdue first.
#[utoipa::path(get, path = "/api/v1/sentinels/missing", tag = "sentinels", params(SentinelQuery),
    responses((status = 200, body = SentinelList), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn missing(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<SentinelQuery>,
) -> ApiResult<Json<SentinelList>> {
    let list = state
        .app
        .missing_sentinel_reports(&actor, q.within.as_deref())
        .await?;
    Ok(Json(list_to_wire(&list)))
}

/// One sentinel with its reporting state.
#[utoipa::path(get, path = "/api/v1/sentinels/{id}", tag = "sentinels",
    params(("id" = i64, Path, description = "Sentinel (facility) id")),
    responses((status = 200, body = SentinelInfo), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn show(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Json<SentinelInfo>> {
    Ok(Json(sentinel_to_wire(
        &state.app.sentinel(&actor, id).await?,
    )))
}

/// How many days of history.
#[derive(Debug, Deserialize, IntoParams)]
pub struct DaysQuery {
    /// Days up to today; default 60.
    days: Option<i64>,
}

/// The daily reports of one sentinel, oldest first.
#[utoipa::path(get, path = "/api/v1/sentinels/{id}/reports", tag = "sentinels",
    params(("id" = i64, Path, description = "Sentinel (facility) id"), DaysQuery),
    responses((status = 200, body = Vec<SentinelReport>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn reports(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Query(q): Query<DaysQuery>,
) -> ApiResult<Json<Vec<SentinelReport>>> {
    let reports = state
        .app
        .sentinel_reports(&actor, id, q.days.unwrap_or(60))
        .await?;
    Ok(Json(reports.iter().map(report_to_wire).collect()))
}

/// The ten sentinel types with their indicators and reporting deadlines.
#[utoipa::path(get, path = "/api/v1/sentinels/types", tag = "sentinels",
    responses((status = 200, body = Vec<SentinelTypeInfo>), (status = 403, body = Problem)))]
pub async fn types(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<SentinelTypeInfo>>> {
    actor.require(fangkong_domain::Permission::SentinelRead)?;
    let deadlines = state.app.sentinel_deadlines().await?;
    Ok(Json(
        SentinelType::ALL
            .iter()
            .map(|t| SentinelTypeInfo {
                key: t.as_str().to_string(),
                name_zh: t.name_zh().to_string(),
                name_en: t.name_en().to_string(),
                indicators: t
                    .indicators()
                    .iter()
                    .map(|i| SentinelIndicator {
                        key: i.as_str().to_string(),
                        name_zh: i.name_zh().to_string(),
                        name_en: i.name_en().to_string(),
                    })
                    .collect(),
                deadline_minutes: deadlines
                    .get(t)
                    .copied()
                    .unwrap_or(t.default_deadline_minutes()),
            })
            .collect(),
    ))
}

/// Set the reporting deadline of a type (minutes after the end of the reported day).
#[utoipa::path(put, path = "/api/v1/sentinels/types/{sentinel_type}", tag = "sentinels",
    params(("sentinel_type" = String, Path, description = "Type key, e.g. `pharmacy`")),
    request_body = SentinelDeadlineUpdate,
    responses((status = 204, description = "Set"), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn set_deadline(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(sentinel_type): Path<String>,
    Json(body): Json<SentinelDeadlineUpdate>,
) -> ApiResult<axum::http::StatusCode> {
    state
        .app
        .set_sentinel_deadline(&actor, &sentinel_type, body.deadline_minutes)
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Submit daily counts as JSON, all or none (errors name `reports[i].field`). Idempotent:
/// the same sentinel, day and indicator sent again with the same count is `unchanged`; with
/// another count it replaces the stored one (`updated`, a correction). An `Idempotency-Key`
/// replays the first answer of a retried request.
#[utoipa::path(post, path = "/api/v1/sentinels/reports:batch", tag = "sentinels",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    request_body = SentinelReportsBatch,
    responses((status = 200, body = ImportSummary), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn reports_batch(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    actor.require(fangkong_domain::Permission::SentinelReport)?;
    let batch: SentinelReportsBatch = serde_json::from_slice(&body)
        .map_err(|e| fangkong_app::Error::invalid("body", e.to_string()))?;
    let rows: Vec<ReportInput> = batch
        .reports
        .into_iter()
        .map(|r| ReportInput {
            sentinel_id: r.sentinel_id,
            day: r.day,
            indicator: r.indicator,
            count: r.count,
        })
        .collect();
    idempotency::once(
        &state,
        &actor,
        &headers,
        "sentinels/reports:batch",
        "",
        &body,
        || async {
            let o = state
                .app
                .submit_sentinel_reports(&actor, ReportSource::Api, &rows)
                .await?;
            Ok(super::import_summary("reports:batch".to_string(), o))
        },
    )
    .await
}

/// Import a report file (CSV or XLSX: `sentinel_id`, `day`, `indicator`, `count`), all rows
/// or none, errors naming the line and field; re-sending the file changes nothing.
#[utoipa::path(post, path = "/api/v1/sentinels/reports:import", tag = "sentinels", params(ImportQuery),
    request_body(content = Vec<u8>, description = "The file", content_type = "application/octet-stream"),
    responses((status = 200, body = ImportSummary), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn import_reports(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> ApiResult<Json<ImportSummary>> {
    let file = q
        .file_name
        .unwrap_or_else(|| "sentinel-reports.csv".to_string());
    let outcome = state
        .app
        .import_sentinel_reports(&actor, &file, &body)
        .await?;
    Ok(Json(super::import_summary(file, outcome)))
}

/// Run aberration detection over every series for a day and record the signals as alerts
/// (grouped across levels). Repeating it for a day changes nothing.
#[utoipa::path(post, path = "/api/v1/sentinels/alerts:run", tag = "sentinels",
    request_body = AberrationRunRequest,
    responses((status = 200, body = AberrationRun), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn run(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(body): Json<AberrationRunRequest>,
) -> ApiResult<Json<AberrationRun>> {
    let day = body
        .day
        .as_deref()
        .map(|d| {
            fangkong_ingest::sentinel::parse_day(d)
                .map_err(|e| fangkong_app::Error::invalid("day", e))
        })
        .transpose()?;
    let outcome = state.app.run_sentinel_aberration(&actor, day).await?;
    Ok(Json(run_to_wire(&outcome)))
}

/// Filters of the alert list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AlertsQuery {
    /// `new`, `verifying`, `confirmed` or `dismissed`.
    status: Option<String>,
    sentinel_type: Option<String>,
    sentinel_id: Option<i64>,
    /// Only alerts with a signal on or after this day.
    since: Option<String>,
    /// Only alerts matching the caller's subscription.
    #[serde(default)]
    subscribed: bool,
    limit: Option<i64>,
}

/// Alerts in the caller's jurisdiction (latest signal day first, highest rank first within
/// a day), with the number of new alerts matching the caller's subscription and the
/// timeliness of verification.
#[utoipa::path(get, path = "/api/v1/sentinels/alerts", tag = "sentinels", params(AlertsQuery),
    responses((status = 200, body = SentinelAlertList), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn alerts(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<AlertsQuery>,
) -> ApiResult<Json<SentinelAlertList>> {
    let list = state
        .app
        .sentinel_alerts(
            &actor,
            &AlertQuery {
                status: q.status,
                sentinel_type: q.sentinel_type,
                sentinel_id: q.sentinel_id,
                since: q.since,
                subscribed: q.subscribed,
                limit: q.limit,
            },
        )
        .await?;
    let t = state.app.alert_timeliness(&actor).await?;
    Ok(Json(SentinelAlertList {
        items: list.alerts.iter().map(alert_to_wire).collect(),
        notifications: list.notifications,
        timeliness: AlertTimeliness {
            open: t.open,
            closed: t.closed,
            confirmed: t.confirmed,
            median_hours: t.median_hours,
            mean_hours: t.mean_hours,
            within_24h: t.within_24h,
        },
    }))
}

/// One alert with its history.
#[utoipa::path(get, path = "/api/v1/sentinels/alerts/{id}", tag = "sentinels",
    params(("id" = i64, Path, description = "Alert id")),
    responses((status = 200, body = SentinelAlertDetail), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn alert(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Json<SentinelAlertDetail>> {
    Ok(Json(detail_to_wire(
        &state.app.sentinel_alert(&actor, id).await?,
    )))
}

/// Move an alert through its workflow: new → verifying → confirmed or dismissed (a new alert
/// may be dismissed at once; dismissing needs a note).
#[utoipa::path(post, path = "/api/v1/sentinels/alerts/{id}/status", tag = "sentinels",
    params(("id" = i64, Path, description = "Alert id")), request_body = AlertStatusChange,
    responses((status = 200, body = SentinelAlertDetail), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn set_status(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(body): Json<AlertStatusChange>,
) -> ApiResult<Json<SentinelAlertDetail>> {
    let d = state
        .app
        .transition_alert(&actor, id, &body.status, body.note.as_deref())
        .await?;
    Ok(Json(detail_to_wire(&d)))
}

/// Assign an alert (or clear the assignee).
#[utoipa::path(post, path = "/api/v1/sentinels/alerts/{id}/assign", tag = "sentinels",
    params(("id" = i64, Path, description = "Alert id")), request_body = AlertAssignment,
    responses((status = 200, body = SentinelAlertDetail), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn assign(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(body): Json<AlertAssignment>,
) -> ApiResult<Json<SentinelAlertDetail>> {
    let d = state
        .app
        .assign_alert(&actor, id, body.assignee.as_deref())
        .await?;
    Ok(Json(detail_to_wire(&d)))
}

/// Add a note to an alert's history.
#[utoipa::path(post, path = "/api/v1/sentinels/alerts/{id}/notes", tag = "sentinels",
    params(("id" = i64, Path, description = "Alert id")), request_body = AlertNote,
    responses((status = 200, body = SentinelAlertDetail), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn note(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(body): Json<AlertNote>,
) -> ApiResult<Json<SentinelAlertDetail>> {
    let d = state.app.note_alert(&actor, id, &body.note).await?;
    Ok(Json(detail_to_wire(&d)))
}

fn subscription_to_wire(s: SubscriptionInput) -> SentinelSubscription {
    SentinelSubscription {
        types: s.types,
        indicators: s.indicators,
        min_level: s.min_level,
        min_strength: s.min_strength,
    }
}

/// What the caller is notified of (everything until set).
#[utoipa::path(get, path = "/api/v1/sentinels/subscription", tag = "sentinels",
    responses((status = 200, body = SentinelSubscription), (status = 403, body = Problem)))]
pub async fn subscription(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<SentinelSubscription>> {
    Ok(Json(subscription_to_wire(
        state.app.sentinel_subscription(&actor).await?,
    )))
}

/// Set what the caller is notified of: types, indicators, the broadest level reached and
/// the strength; the alert list's `notifications` and `subscribed=true` follow it.
#[utoipa::path(put, path = "/api/v1/sentinels/subscription", tag = "sentinels",
    request_body = SentinelSubscription,
    responses((status = 200, body = SentinelSubscription), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn set_subscription(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(body): Json<SentinelSubscription>,
) -> ApiResult<Json<SentinelSubscription>> {
    let s = state
        .app
        .set_sentinel_subscription(
            &actor,
            &SubscriptionInput {
                types: body.types,
                indicators: body.indicators,
                min_level: body.min_level,
                min_strength: body.min_strength,
            },
        )
        .await?;
    Ok(Json(subscription_to_wire(s)))
}

/// Window and serial interval of the analysis.
#[derive(Debug, Deserialize, IntoParams)]
pub struct EpidemicQuery {
    /// Days up to today; default 60.
    days: Option<usize>,
    /// Serial interval mean in days (default 4).
    si_mean: Option<f64>,
    /// Serial interval standard deviation in days (default 2.5).
    si_sd: Option<f64>,
}

/// The epidemic curve of the caller's jurisdiction by onset and by report date, Rt (Cori et
/// al. 2013, parametric serial interval, weekly windows, Gamma prior mean 5 sd 5) on the
/// report-date incidence, and the doubling time of the last week.
#[utoipa::path(get, path = "/api/v1/analysis/epidemic", tag = "sentinels", params(EpidemicQuery),
    responses((status = 200, body = EpidemicAnalysis), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn epidemic(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<EpidemicQuery>,
) -> ApiResult<Json<EpidemicAnalysis>> {
    let a = state
        .app
        .epidemic_analysis(&actor, q.days.unwrap_or(60), q.si_mean, q.si_sd)
        .await?;
    Ok(Json(analysis_to_wire(&a)))
}

pub(crate) fn analysis_to_wire(a: &fangkong_app::analysis::EpiAnalysis) -> EpidemicAnalysis {
    let c = &a.curve;
    EpidemicAnalysis {
        days: (0..c.by_report.len())
            .map(|i| c.date(i).to_string())
            .collect(),
        by_onset: c.by_onset.clone(),
        by_report: c.by_report.clone(),
        rt: a
            .rt
            .iter()
            .map(|e| RtWindow {
                t_start: c.date(e.t_start).to_string(),
                t_end: c.date(e.t_end).to_string(),
                mean: e.mean,
                std: e.std,
                q025: e.q025,
                q975: e.q975,
            })
            .collect(),
        doubling_days: a
            .growth
            .as_ref()
            .map(|g| g.doubling_time)
            .filter(|d| d.is_finite()),
        forecast: a
            .forecast
            .iter()
            .map(|f| fangkong_api_types::CaseForecastDay {
                date: c.date(c.by_report.len() - 1 + f.day_ahead).to_string(),
                mean: f.mean,
                lower: f.lower,
                upper: f.upper,
            })
            .collect(),
        si_mean: a.si_mean,
        si_sd: a.si_sd,
    }
}
