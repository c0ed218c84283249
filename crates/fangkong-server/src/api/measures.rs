//! `/api/v1/inbound/travel` and `/api/v1/inbound/measures`: arrivals, the control measures
//! the policy assigns, their lifecycle, health checks, personal links, re-evaluation reviews
//! and the pocket board. `/api/v1/h/{token}`: health checks through a personal link, no
//! account needed.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use fangkong_api_types::{
    ArrivalReport, BoardLine, DueTest, HealthCheck, HealthCheckReport, Measure, MeasureAssign,
    MeasureEscalate, MeasureReview, Page, PersonalLink, PocketBoard, Problem, ReviewDecision,
    TravelEntry, TravelImport,
};
use fangkong_app::measures::{ArrivalsOutcome, MeasureView};
use fangkong_app::Error;
use fangkong_domain::mask::mask_name;
use fangkong_domain::policy::{ContactType, Facts, Pocket, Vaccination};
use fangkong_ingest::TravelSource;
use serde::Deserialize;
use utoipa::IntoParams;

use super::inbound::{key, measure_to_wire};
use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::AppState;

fn import_to_wire(file: String, o: &ArrivalsOutcome) -> TravelImport {
    TravelImport {
        file,
        rows: o.rows,
        persons_created: o.persons_created,
        persons_updated: o.persons_updated,
        entries_created: o.entries_created,
        entries_merged: o.entries_merged,
        entries_unchanged: o.entries_unchanged,
        measures_created: o.measures_created,
        by_rule: o.by_rule.clone(),
        classify_ms: o.classify_ms,
        entry_id: o.first_entry_id,
    }
}

/// The wire form of a measure worked out for today.
pub(crate) fn measure_view_to_wire(v: &MeasureView) -> Measure {
    let m = &v.measure;
    Measure {
        id: m.id,
        person_id: m.person_id,
        person_name: mask_name(&m.person_name),
        community_code: m.community_code.clone(),
        pocket: m.pocket.clone(),
        origin: m.origin.clone(),
        origin_risk: m.origin_risk.clone(),
        contact: m.contact.clone(),
        source_ref: m.source_ref.clone(),
        policy_version: m.policy_version.clone(),
        rule_id: m.rule_id.clone(),
        plan: measure_to_wire(&v.plan),
        explanation: m.explanation_zh.clone(),
        explanation_en: m.explanation_en.clone(),
        starts_on: m.starts_on.clone(),
        ends_on: m.ends_on.clone(),
        status: m.status.clone(),
        close_reason: m.close_reason.clone(),
        day_today: v.day_today,
        stage_today: v.stage_today.map(|s| s.as_str().to_string()),
        tests: v
            .tests
            .iter()
            .map(|t| DueTest {
                day: t.day,
                date: t.date.to_string(),
                state: t.state.as_str().to_string(),
                tube_code: t.tube_code.clone(),
            })
            .collect(),
        health_checks: v
            .checks
            .iter()
            .map(|c| HealthCheck {
                day: c.day.clone(),
                temperature: c.temperature,
                symptoms: c
                    .symptoms
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
                reported_by: c.reported_by.clone(),
            })
            .collect(),
        missed_checks: v.missed_checks.iter().map(NaiveDate::to_string).collect(),
        release_blockers: v.blockers.iter().map(|b| b.text_zh()).collect(),
        release_blockers_en: v.blockers.iter().map(|b| b.text_en()).collect(),
    }
}

/// The wire form of a review.
pub(crate) fn review_to_wire(r: &fangkong_store::measures::Review) -> MeasureReview {
    let new_measure = fangkong_app::measures::decode_plan(&r.stages, &r.test_days)
        .map(|p| p.text_zh())
        .unwrap_or_default();
    MeasureReview {
        id: r.id,
        measure_id: r.measure_id,
        travel_entry_id: r.travel_entry_id,
        person_name: mask_name(&r.person_name),
        community_code: r.community_code.clone(),
        trigger_kind: r.trigger_kind.clone(),
        trigger_ref: r.trigger_ref.clone(),
        old_rule_id: r.old_rule_id.clone(),
        old_measure: r.old_text_zh.clone(),
        policy_version: r.policy_version.clone(),
        rule_id: r.rule_id.clone(),
        new_measure,
        explanation: r.explanation_zh.clone(),
        status: r.status.clone(),
    }
}

/// The name of an uploaded traveller list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct FileQuery {
    /// The file's name (its extension decides the format: `.csv` or `.xlsx`).
    pub file_name: Option<String>,
}

/// Import a traveller list (来驻返驻人员名单; CSV or XLSX), all rows or none: travellers
/// registered by document, arrivals stored (a repeat merges), each classified by the policy
/// and assigned its measure.
#[utoipa::path(post, path = "/api/v1/inbound/travel:import", tag = "inbound", params(FileQuery),
    request_body(content = Vec<u8>, description = "The file", content_type = "application/octet-stream"),
    responses((status = 200, body = TravelImport), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn import_travel(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<FileQuery>,
    body: Bytes,
) -> ApiResult<Json<TravelImport>> {
    let file = q.file_name.unwrap_or_else(|| "travel.csv".to_string());
    let outcome = state.app.import_travel(&actor, &file, &body).await?;
    Ok(Json(import_to_wire(file, &outcome)))
}

/// Report one arrival (a checkpoint, a community, or a self-report form).
#[utoipa::path(post, path = "/api/v1/inbound/travel", tag = "inbound", request_body = ArrivalReport,
    responses((status = 201, body = TravelImport), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn report_arrival(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(body): Json<ArrivalReport>,
) -> ApiResult<(StatusCode, Json<TravelImport>)> {
    let outcome = state
        .app
        .report_arrival(&actor, &body.fields(), TravelSource::Checkpoint)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(import_to_wire("request".to_string(), &outcome)),
    ))
}

/// Filters of a listing.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Only this jurisdiction's subtree (inside yours).
    pub within: Option<String>,
    /// Measures: only open ones (default true).
    pub open: Option<bool>,
    pub limit: Option<i64>,
}

/// Arrivals in your jurisdiction, newest first.
#[utoipa::path(get, path = "/api/v1/inbound/travel", tag = "inbound", params(ListQuery),
    responses((status = 200, body = Page<TravelEntry>), (status = 403, body = Problem)))]
pub async fn travel_entries(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Page<TravelEntry>>> {
    let rows = state
        .app
        .travel_entries(&actor, q.within.as_deref(), q.limit.unwrap_or(100))
        .await?;
    Ok(Json(Page {
        items: rows
            .iter()
            .map(|t| TravelEntry {
                id: t.id,
                person_id: t.person_id,
                person_name: mask_name(&t.person_name),
                pocket: t.pocket.clone(),
                origin: t.origin.clone(),
                route: t.route.clone(),
                departed_on: t.departed_on.clone(),
                arrived_at: t.arrived_at,
                community_code: t.community_code.clone(),
                source: t.source.clone(),
                measure_id: t.measure_id,
            })
            .collect(),
        total: None,
    }))
}

/// Control measures in your jurisdiction, worked out for today (due tests, missed checks,
/// what blocks release).
#[utoipa::path(get, path = "/api/v1/inbound/measures", tag = "inbound", params(ListQuery),
    responses((status = 200, body = Page<Measure>), (status = 403, body = Problem)))]
pub async fn measures(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Page<Measure>>> {
    let views = state
        .app
        .measures(
            &actor,
            q.within.as_deref(),
            q.open.unwrap_or(true),
            q.limit.unwrap_or(fangkong_app::measures::LIST_LIMIT),
        )
        .await?;
    Ok(Json(Page {
        items: views.iter().map(measure_view_to_wire).collect(),
        total: None,
    }))
}

/// Assign a measure to a registered person for a reason other than an arrival (a contact,
/// a cold-chain exposure, a fever-clinic visit). 204 when the policy prescribes none.
#[utoipa::path(post, path = "/api/v1/inbound/measures", tag = "inbound", request_body = MeasureAssign,
    responses((status = 201, body = Measure), (status = 200, body = Measure), (status = 204),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn assign(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(body): Json<MeasureAssign>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let pocket = key("pocket", Some(&body.pocket), Pocket::parse, Pocket::keys)?
        .ok_or_else(|| Error::invalid("pocket", "required"))?;
    let facts = Facts {
        contact: key(
            "contact",
            body.contact.as_deref(),
            ContactType::parse,
            ContactType::keys,
        )?,
        vaccination: key(
            "vaccination",
            body.vaccination.as_deref(),
            Vaccination::parse,
            Vaccination::keys,
        )?,
        occupation: body.occupation.clone().filter(|o| !o.is_empty()),
        ..Facts::pocket(pocket)
    };
    let starts_on = match body.starts_on.as_deref() {
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| Error::invalid("starts_on", "expected YYYY-MM-DD"))?,
        None => state.app.today(),
    };
    let done = state
        .app
        .assign_measure(&actor, body.person_id, &facts, &body.source_ref, starts_on)
        .await?;
    Ok(match done {
        None => StatusCode::NO_CONTENT.into_response(),
        Some((view, created)) => {
            let status = if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            (status, Json(measure_view_to_wire(&view))).into_response()
        }
    })
}

/// One measure, worked out for today.
#[utoipa::path(get, path = "/api/v1/inbound/measures/{id}", tag = "inbound",
    params(("id" = i64, Path, description = "Measure id")),
    responses((status = 200, body = Measure), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn measure(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Json<Measure>> {
    let v = state.app.measure(&actor, id).await?;
    Ok(Json(measure_view_to_wire(&v)))
}

/// Activate an assigned measure: the community has reached the person.
#[utoipa::path(post, path = "/api/v1/inbound/measures/{id}/activate", tag = "inbound",
    params(("id" = i64, Path, description = "Measure id")),
    responses((status = 200, body = Measure), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn activate(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Json<Measure>> {
    let v = state.app.activate_measure(&actor, id).await?;
    Ok(Json(measure_view_to_wire(&v)))
}

/// Release an active measure; refused with every unmet criterion (last day not reached,
/// a test not negative, no clean health check on the last day).
#[utoipa::path(post, path = "/api/v1/inbound/measures/{id}/release", tag = "inbound",
    params(("id" = i64, Path, description = "Measure id")),
    responses((status = 200, body = Measure), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn release(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Json<Measure>> {
    let v = state.app.release_measure(&actor, id).await?;
    Ok(Json(measure_view_to_wire(&v)))
}

/// Escalate an open measure (to a case, to hospital) with the reason.
#[utoipa::path(post, path = "/api/v1/inbound/measures/{id}/escalate", tag = "inbound",
    params(("id" = i64, Path, description = "Measure id")), request_body = MeasureEscalate,
    responses((status = 200, body = Measure), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn escalate(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(body): Json<MeasureEscalate>,
) -> ApiResult<Json<Measure>> {
    let v = state.app.escalate_measure(&actor, id, &body.reason).await?;
    Ok(Json(measure_view_to_wire(&v)))
}

fn parse_day(day: Option<&str>) -> Result<Option<NaiveDate>, Error> {
    day.filter(|d| !d.is_empty())
        .map(|d| {
            NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| Error::invalid("day", "expected YYYY-MM-DD"))
        })
        .transpose()
}

/// Record a daily health check by staff.
#[utoipa::path(post, path = "/api/v1/inbound/measures/{id}/health-checks", tag = "inbound",
    params(("id" = i64, Path, description = "Measure id")), request_body = HealthCheckReport,
    responses((status = 200, body = Measure), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn health_check(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(body): Json<HealthCheckReport>,
) -> ApiResult<Json<Measure>> {
    let day = parse_day(body.day.as_deref())?;
    let v = state
        .app
        .record_health_check(&actor, id, day, body.temperature, &body.symptoms)
        .await?;
    Ok(Json(measure_view_to_wire(&v)))
}

/// Issue a personal link (signed, expiring) for the person and household to report health
/// checks without an account, e.g. by SMS.
#[utoipa::path(post, path = "/api/v1/inbound/measures/{id}/link", tag = "inbound",
    params(("id" = i64, Path, description = "Measure id")),
    responses((status = 200, body = PersonalLink), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn link(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Json<PersonalLink>> {
    let (token, expires_at) = state.app.personal_link(&actor, id).await?;
    Ok(Json(PersonalLink {
        path: format!("/h/{token}"),
        token,
        expires_at,
    }))
}

/// The open measures a personal link reaches (its person's and the household's; names
/// masked). No account: the link is the credential.
#[utoipa::path(get, path = "/api/v1/h/{token}", tag = "inbound",
    params(("token" = String, Path, description = "The link's token")),
    responses((status = 200, body = Vec<Measure>), (status = 401, body = Problem)))]
pub async fn link_measures(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> ApiResult<Json<Vec<Measure>>> {
    let views = state.app.link_measures(&token).await?;
    Ok(Json(views.iter().map(measure_view_to_wire).collect()))
}

/// Report today's health check through a personal link, for oneself or a household member.
#[utoipa::path(post, path = "/api/v1/h/{token}", tag = "inbound",
    params(("token" = String, Path, description = "The link's token")), request_body = HealthCheckReport,
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn link_health_check(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Json(body): Json<HealthCheckReport>,
) -> ApiResult<StatusCode> {
    let measure_id = match body.measure_id {
        Some(id) => id,
        None => token
            .strip_prefix('m')
            .and_then(|t| t.split('.').next())
            .and_then(|id| id.parse().ok())
            .ok_or(Error::Unauthenticated)?,
    };
    state
        .app
        .link_health_check(&token, measure_id, body.temperature, &body.symptoms)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Filters of the review list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ReviewQuery {
    /// Only pending reviews (default true).
    pub pending: Option<bool>,
}

/// Re-evaluations raised when a designation or a policy version would change open
/// measures, for staff to apply or dismiss.
#[utoipa::path(get, path = "/api/v1/inbound/reviews", tag = "inbound", params(ReviewQuery),
    responses((status = 200, body = Page<MeasureReview>), (status = 403, body = Problem)))]
pub async fn reviews(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<ReviewQuery>,
) -> ApiResult<Json<Page<MeasureReview>>> {
    let rows = state
        .app
        .measure_reviews(&actor, q.pending.unwrap_or(true))
        .await?;
    Ok(Json(Page {
        items: rows.iter().map(review_to_wire).collect(),
        total: None,
    }))
}

/// Apply or dismiss a pending review.
#[utoipa::path(post, path = "/api/v1/inbound/reviews/{id}", tag = "inbound",
    params(("id" = i64, Path, description = "Review id")), request_body = ReviewDecision,
    responses((status = 200, body = MeasureReview), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn decide_review(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(body): Json<ReviewDecision>,
) -> ApiResult<Json<MeasureReview>> {
    let r = state.app.decide_review(&actor, id, body.apply).await?;
    Ok(Json(review_to_wire(&r)))
}

/// Lift every designation whose lifting rule holds now (also run hourly by the server).
#[utoipa::path(post, path = "/api/v1/inbound/risk-areas:sweep", tag = "inbound",
    responses((status = 200, body = Vec<fangkong_api_types::RiskArea>), (status = 403, body = Problem)))]
pub async fn sweep_areas(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<fangkong_api_types::RiskArea>>> {
    let lifted = state.app.lift_due_areas(&actor).await?;
    Ok(Json(
        lifted.iter().map(super::inbound::area_to_wire).collect(),
    ))
}

fn line_to_wire(l: &fangkong_app::measures::BoardLine) -> BoardLine {
    BoardLine {
        community_code: l.community_code.clone(),
        centralised: l.centralised,
        home_quarantine: l.home_quarantine,
        health_monitoring: l.health_monitoring,
        other: l.other,
        not_active: l.not_active,
        tests_due_today: l.tests_due_today,
        overdue: l.overdue,
        releases_due: l.releases_due,
    }
}

/// The pocket board: people under each measure by community, tests due today, overdue,
/// releases due, pending reviews.
#[utoipa::path(get, path = "/api/v1/inbound/board", tag = "inbound", params(ListQuery),
    responses((status = 200, body = PocketBoard), (status = 403, body = Problem)))]
pub async fn board(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<PocketBoard>> {
    let b = state.app.pocket_board(&actor, q.within.as_deref()).await?;
    Ok(Json(PocketBoard {
        day: b.day.to_string(),
        lines: b.lines.iter().map(line_to_wire).collect(),
        totals: line_to_wire(&b.totals),
        by_pocket: b.by_pocket.clone(),
        pending_reviews: b.pending_reviews,
        fever_open_loops: b.fever_open_loops,
        fever_due_soon: b.fever_due_soon,
        coldchain_open_tasks: b.coldchain_open_tasks,
    }))
}
