//! `/api/v1/testing`: rounds and their coverage, batches of sample collections and lab
//! results (with `Idempotency-Key`), retest tasks and the positives queue, key populations
//! and their schedules, lab turnaround and load, pool-size advice.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use fangkong_api_types::{
    AreaCoverage, BatchReport, CommunityCompliance, FieldError, GroupSchedule, KeyGroup, LabDay,
    LabLoad, LabTurnaround, MembersAdded, OverdueMember, Page, Percentiles, Person, PoolAdvice,
    PositiveTube, Problem, RetestTask, RoundCoverage, TestingBatch, TestingRound, Turnaround,
};
use fangkong_app::testing::coverage::CoverageLevel;
use fangkong_app::testing::schedules::{Frequency, KeyGroupInput};
use fangkong_app::testing::IngestReport;
use fangkong_domain::JurisdictionCode;
use serde::Deserialize;
use utoipa::IntoParams;

use super::idempotency;
use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::AppState;

fn round_to_wire(r: &fangkong_store::testing::Round) -> TestingRound {
    TestingRound {
        code: r.code.clone(),
        name: r.name.clone(),
        jurisdiction_code: r.jurisdiction_code.clone(),
        starts_on: r.starts_on.clone(),
        ends_on: r.ends_on.clone(),
        key_group: None,
    }
}

fn report_to_wire(r: IngestReport) -> BatchReport {
    BatchReport {
        file: r.file,
        rows: r.rows,
        stored: r.stored,
        already_stored: r.already_stored,
        refused: r
            .refused
            .into_iter()
            .map(|e| FieldError {
                line: Some(e.line),
                field: e.field,
                reason: e.reason,
            })
            .collect(),
        tubes_created: r.tubes_created,
        retest_tasks_created: r.retest_tasks_created,
        suspected_cases_created: r.suspected_cases_created,
        fan_out_ms: r.fan_out_ms,
    }
}

/// The testing rounds, newest first.
#[utoipa::path(get, path = "/api/v1/testing/rounds", tag = "testing",
    responses((status = 200, body = Page<TestingRound>), (status = 403, body = Problem)))]
pub async fn rounds(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Page<TestingRound>>> {
    let rows = state.app.rounds(&actor).await?;
    Ok(Json(Page {
        items: rows.iter().map(round_to_wire).collect(),
        total: None,
    }))
}

/// Create a testing round over a jurisdiction.
#[utoipa::path(post, path = "/api/v1/testing/rounds", tag = "testing", request_body = TestingRound,
    responses((status = 201, body = TestingRound), (status = 403, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)))]
pub async fn create_round(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(body): Json<TestingRound>,
) -> ApiResult<(StatusCode, Json<TestingRound>)> {
    let date = |field: &str, v: &str| {
        chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map_err(|_| fangkong_app::Error::invalid(field, "expected YYYY-MM-DD"))
    };
    let starts = date("starts_on", &body.starts_on)?;
    let ends = date("ends_on", &body.ends_on)?;
    let round = state
        .app
        .create_round(
            &actor,
            &body.code,
            &body.name,
            &body.jurisdiction_code,
            (starts, ends),
            body.key_group.as_deref(),
        )
        .await?;
    let mut wire = round_to_wire(&round);
    wire.key_group = body.key_group;
    Ok((StatusCode::CREATED, Json(wire)))
}

/// Batch query.
#[derive(Debug, Deserialize, IntoParams)]
pub struct BatchQuery {
    /// The file's name; `.csv`, `.xlsx` or `.ndjson` selects the format.
    file_name: Option<String>,
}

/// Submit sample collections (CSV, XLSX or NDJSON); valid rows are kept, bad rows listed.
/// With an `Idempotency-Key` header, the same request sent again returns the first
/// response (with `Idempotent-Replayed: true`) and a key reused for another body is refused.
#[utoipa::path(post, path = "/api/v1/testing/samples:batch", tag = "testing", params(BatchQuery,
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    request_body(content = Vec<u8>, description = "The file", content_type = "application/octet-stream"),
    responses((status = 200, body = BatchReport), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn samples_batch(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<BatchQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let file = q.file_name.unwrap_or_else(|| "samples.ndjson".to_string());
    idempotency::once(
        &state,
        &actor,
        &headers,
        "samples:batch",
        &file,
        &body,
        || async {
            Ok(report_to_wire(
                state.app.ingest_samples(&actor, &file, &body).await?,
            ))
        },
    )
    .await
}

/// Submit tube results (CSV, XLSX or NDJSON); positive pools fan out at once. Takes an
/// `Idempotency-Key` like `samples:batch`.
#[utoipa::path(post, path = "/api/v1/testing/results:batch", tag = "testing", params(BatchQuery,
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    request_body(content = Vec<u8>, description = "The file", content_type = "application/octet-stream"),
    responses((status = 200, body = BatchReport), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn results_batch(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<BatchQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let file = q.file_name.unwrap_or_else(|| "results.ndjson".to_string());
    idempotency::once(
        &state,
        &actor,
        &headers,
        "results:batch",
        &file,
        &body,
        || async {
            Ok(report_to_wire(
                state.app.ingest_results(&actor, &file, &body).await?,
            ))
        },
    )
    .await
}

/// Filters of the retest task list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct TasksQuery {
    /// `open` or `done`.
    status: Option<String>,
    limit: Option<i64>,
}

/// Retest tasks in the caller's jurisdiction, newest first.
#[utoipa::path(get, path = "/api/v1/testing/retest-tasks", tag = "testing", params(TasksQuery),
    responses((status = 200, body = Page<RetestTask>), (status = 403, body = Problem)))]
pub async fn retest_tasks(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<TasksQuery>,
) -> ApiResult<Json<Page<RetestTask>>> {
    let rows = state
        .app
        .retest_tasks(
            &actor,
            q.status.as_deref().filter(|s| !s.is_empty()),
            q.limit.unwrap_or(500),
        )
        .await?;
    Ok(Json(Page {
        items: rows
            .into_iter()
            .map(|t| RetestTask {
                id: t.id,
                person_id: t.person_id,
                tube_id: t.tube_code,
                reason: t.reason,
                community_code: t.community_code,
                status: t.status,
                created_at: t.created_at,
            })
            .collect(),
        total: None,
    }))
}

fn key_group_to_wire(g: &fangkong_store::testing::KeyGroup) -> KeyGroup {
    let frequency = Frequency::from_interval(g.interval_days);
    let occupations = fangkong_app::testing::schedules::rule_occupations(g.rule.as_deref());
    KeyGroup {
        code: g.code.clone(),
        name: g.name.clone(),
        jurisdiction_code: g.jurisdiction_code.clone(),
        frequency: frequency.name().to_string(),
        interval_days: Some(g.interval_days),
        occupations,
        members: g.members,
    }
}

/// Key populations tested on a schedule, members counted inside the caller's jurisdiction.
#[utoipa::path(get, path = "/api/v1/testing/key-groups", tag = "testing",
    responses((status = 200, body = Page<KeyGroup>), (status = 403, body = Problem)))]
pub async fn key_groups(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Page<KeyGroup>>> {
    let groups = state.app.key_groups(&actor).await?;
    Ok(Json(Page {
        items: groups.iter().map(key_group_to_wire).collect(),
        total: None,
    }))
}

/// Create a key population; with `occupations`, residents of the jurisdiction with those
/// occupations join at once.
#[utoipa::path(post, path = "/api/v1/testing/key-groups", tag = "testing", request_body = KeyGroup,
    responses((status = 201, body = KeyGroup), (status = 403, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)))]
pub async fn create_key_group(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(body): Json<KeyGroup>,
) -> ApiResult<(StatusCode, Json<KeyGroup>)> {
    let input = KeyGroupInput {
        code: body.code,
        name: body.name,
        jurisdiction_code: body.jurisdiction_code,
        frequency: Frequency::parse(&body.frequency, body.interval_days)?,
        occupations: body.occupations,
    };
    let group = state.app.create_key_group(&actor, &input).await?;
    Ok((StatusCode::CREATED, Json(key_group_to_wire(&group))))
}

/// Add members listed in a file (CSV, XLSX or NDJSON with `id_number`); all or nothing.
/// Takes an `Idempotency-Key` like `samples:batch`.
#[utoipa::path(post, path = "/api/v1/testing/key-groups/{code}/members:batch", tag = "testing",
    params(("code" = String, Path), BatchQuery,
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    request_body(content = Vec<u8>, description = "The file", content_type = "application/octet-stream"),
    responses((status = 200, body = MembersAdded), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn members_batch(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(code): Path<String>,
    Query(q): Query<BatchQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let file = q.file_name.unwrap_or_else(|| "members.csv".to_string());
    let route = format!("key-groups/{code}/members:batch");
    idempotency::once(&state, &actor, &headers, &route, &file, &body, || async {
        let (rows, added) = state
            .app
            .import_key_group_members(&actor, &code, &file, &body)
            .await?;
        Ok(MembersAdded { rows, added })
    })
    .await
}

/// Add the residents who now match the group's occupation rule.
#[utoipa::path(post, path = "/api/v1/testing/key-groups/{code}/members:refresh", tag = "testing",
    params(("code" = String, Path)),
    responses((status = 200, body = MembersAdded), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn refresh_members(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(code): Path<String>,
) -> ApiResult<Json<MembersAdded>> {
    let added = state.app.refresh_key_group(&actor, &code).await?;
    Ok(Json(MembersAdded { rows: 0, added }))
}

/// Schedule filters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ScheduleQuery {
    /// `YYYY-MM-DD` (China Standard Time); today when absent.
    day: Option<String>,
    /// Only this jurisdiction's subtree.
    within: Option<String>,
    /// Overdue members listed at most (default 500).
    limit: Option<usize>,
}

fn parse_within(within: Option<&str>) -> ApiResult<Option<JurisdictionCode>> {
    within
        .filter(|w| !w.is_empty())
        .map(|w| {
            JurisdictionCode::parse(w).map_err(|_| {
                fangkong_app::Error::invalid("within", "not a jurisdiction code").into()
            })
        })
        .transpose()
}

/// A key group's compliance by community on a day and its overdue members (masked).
#[utoipa::path(get, path = "/api/v1/testing/key-groups/{code}/schedule", tag = "testing",
    params(("code" = String, Path), ScheduleQuery),
    responses((status = 200, body = GroupSchedule), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn group_schedule(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(code): Path<String>,
    Query(q): Query<ScheduleQuery>,
) -> ApiResult<Json<GroupSchedule>> {
    let day = match q.day.as_deref().filter(|d| !d.is_empty()) {
        Some(d) => chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| fangkong_app::Error::invalid("day", "expected YYYY-MM-DD"))?,
        None => state.app.today(),
    };
    let within = parse_within(q.within.as_deref())?;
    let s = state
        .app
        .group_schedule(
            &actor,
            &code,
            within.as_ref(),
            day,
            q.limit.unwrap_or(500).min(100_000),
        )
        .await?;
    Ok(Json(schedule_to_wire(&s)))
}

/// The wire form of a group schedule.
pub fn schedule_to_wire(s: &fangkong_app::testing::schedules::GroupSchedule) -> GroupSchedule {
    GroupSchedule {
        group: key_group_to_wire(&s.group),
        day: s.today.to_string(),
        communities: s
            .communities
            .iter()
            .map(|c| CommunityCompliance {
                community_code: c.community_code.clone(),
                community_name: c.community_name.clone(),
                members: c.members,
                due_today: c.due_today,
                overdue: c.overdue,
                compliance: c.compliance(),
            })
            .collect(),
        overdue_total: s.overdue_total,
        overdue: s
            .overdue
            .iter()
            .map(|m| OverdueMember {
                person_id: m.person.id,
                name: fangkong_domain::mask::mask_name(&m.person.name),
                id_number: m.person.doc_masked.clone(),
                community_code: m.person.community_code.clone(),
                last_collected_at: m.due.last_collected_at,
                due_on: m.due.due_on.to_string(),
                days_overdue: m.due.days_overdue,
            })
            .collect(),
    }
}

/// Coverage query.
#[derive(Debug, Deserialize, IntoParams)]
pub struct CoverageQuery {
    /// `county`, `township` or `community` (default).
    level: Option<String>,
}

/// Coverage of a round by area: target population and residents sampled.
#[utoipa::path(get, path = "/api/v1/testing/rounds/{code}/coverage", tag = "testing",
    params(("code" = String, Path), CoverageQuery),
    responses((status = 200, body = RoundCoverage), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn round_coverage(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(code): Path<String>,
    Query(q): Query<CoverageQuery>,
) -> ApiResult<Json<RoundCoverage>> {
    let level = CoverageLevel::parse(q.level.as_deref().unwrap_or("community"))?;
    let c = state.app.round_coverage(&actor, &code, level).await?;
    Ok(Json(coverage_to_wire(&c)))
}

/// The wire form of round coverage.
pub fn coverage_to_wire(c: &fangkong_app::testing::coverage::RoundCoverage) -> RoundCoverage {
    let share = |t: i64, s: i64| if t == 0 { 0.0 } else { s as f64 / t as f64 };
    RoundCoverage {
        round: round_to_wire(&c.round),
        level: match c.level {
            CoverageLevel::County => "county",
            CoverageLevel::Township => "township",
            CoverageLevel::Community => "community",
        }
        .to_string(),
        target: c.target,
        sampled: c.sampled,
        share: share(c.target, c.sampled),
        areas: c
            .areas
            .iter()
            .map(|a| AreaCoverage {
                code: a.code.clone(),
                name: a.name.clone(),
                target: a.target,
                sampled: a.sampled,
                share: a.share(),
                lon: a.lon,
                lat: a.lat,
            })
            .collect(),
    }
}

/// Listing query.
#[derive(Debug, Deserialize, IntoParams)]
pub struct NotSampledQuery {
    within: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

/// Residents in the round's target not yet sampled (personal data masked; audited).
#[utoipa::path(get, path = "/api/v1/testing/rounds/{code}/not-sampled", tag = "testing",
    params(("code" = String, Path), NotSampledQuery),
    responses((status = 200, body = Page<Person>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn not_sampled(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(code): Path<String>,
    Query(q): Query<NotSampledQuery>,
) -> ApiResult<Json<Page<Person>>> {
    let within = parse_within(q.within.as_deref())?;
    let (limit, offset) = super::page(q.limit, q.offset, 500);
    let rows = state
        .app
        .not_sampled(&actor, &code, within.as_ref(), limit, offset)
        .await?;
    Ok(Json(Page {
        items: rows.iter().map(super::persons::to_wire).collect(),
        total: None,
    }))
}

/// Period query.
#[derive(Debug, Deserialize, IntoParams)]
pub struct PeriodQuery {
    /// A round code; otherwise the last `days` days.
    round: Option<String>,
    /// Days back (default 7).
    days: Option<i64>,
}

fn percentiles_to_wire(p: &fangkong_app::testing::coverage::Percentiles) -> Percentiles {
    Percentiles {
        tubes: p.tubes,
        p50: p.p50,
        p90: p.p90,
        p95: p.p95,
        p99: p.p99,
        max: p.max,
    }
}

/// Lab turnaround (collection to first report), in minutes, overall and by lab.
#[utoipa::path(get, path = "/api/v1/testing/turnaround", tag = "testing", params(PeriodQuery),
    responses((status = 200, body = Turnaround), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn turnaround(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<PeriodQuery>,
) -> ApiResult<Json<Turnaround>> {
    let t = state
        .app
        .turnaround(
            &actor,
            q.round.as_deref().filter(|r| !r.is_empty()),
            q.days.unwrap_or(7),
        )
        .await?;
    Ok(Json(Turnaround {
        overall: percentiles_to_wire(&t.overall),
        by_lab: t
            .by_lab
            .iter()
            .map(|l| LabTurnaround {
                lab_code: l.lab_code.clone(),
                name: l.name.clone(),
                minutes: percentiles_to_wire(&l.percentiles),
            })
            .collect(),
    }))
}

/// Days query.
#[derive(Debug, Deserialize, IntoParams)]
pub struct DaysQuery {
    /// Days back, today included (default 7).
    days: Option<i64>,
}

/// Labs with their daily capacity and the tubes they tested each day.
#[utoipa::path(get, path = "/api/v1/testing/labs", tag = "testing", params(DaysQuery),
    responses((status = 200, body = Page<LabLoad>), (status = 403, body = Problem)))]
pub async fn labs(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<DaysQuery>,
) -> ApiResult<Json<Page<LabLoad>>> {
    let loads = state.app.lab_load(&actor, q.days.unwrap_or(7)).await?;
    Ok(Json(Page {
        items: loads
            .iter()
            .map(|l| LabLoad {
                code: l.code.clone(),
                name: l.name.clone(),
                community_code: l.community_code.clone(),
                capacity: l.capacity,
                days: l
                    .days
                    .iter()
                    .map(|(d, n)| LabDay {
                        day: d.to_string(),
                        tubes: *n,
                    })
                    .collect(),
                utilization: l.utilization(),
            })
            .collect(),
        total: None,
    }))
}

/// Pool advice query.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AdviceQuery {
    /// Days of results to estimate positivity from (default 7).
    days: Option<i64>,
    /// Assay sensitivity (default 1).
    sensitivity: Option<f64>,
    /// Assay specificity (default 1).
    specificity: Option<f64>,
}

/// Pool-size advice per county from recent positivity (two-stage Dorfman pooling).
#[utoipa::path(get, path = "/api/v1/testing/pool-advice", tag = "testing", params(AdviceQuery),
    responses((status = 200, body = Page<PoolAdvice>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn pool_advice(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<AdviceQuery>,
) -> ApiResult<Json<Page<PoolAdvice>>> {
    let advice = state
        .app
        .pool_advice(
            &actor,
            q.days.unwrap_or(7),
            q.sensitivity.unwrap_or(1.0),
            q.specificity.unwrap_or(1.0),
        )
        .await?;
    Ok(Json(Page {
        items: advice
            .into_iter()
            .map(|a| PoolAdvice {
                county_code: a.county_code,
                name: a.name,
                tubes: a.tubes,
                positive_tubes: a.positive_tubes,
                prevalence: a.prevalence,
                assumed_prevalence: a.assumed_prevalence,
                optimal_pool_size: a.optimal_pool_size,
                tests_per_person: a.tests_per_person,
            })
            .collect(),
        total: None,
    }))
}

/// Limit query.
#[derive(Debug, Deserialize, IntoParams)]
pub struct LimitQuery {
    limit: Option<i64>,
}

/// Positive and inconclusive tubes with their fan-out, latest first.
#[utoipa::path(get, path = "/api/v1/testing/positives", tag = "testing", params(LimitQuery),
    responses((status = 200, body = Page<PositiveTube>), (status = 403, body = Problem)))]
pub async fn positives(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<LimitQuery>,
) -> ApiResult<Json<Page<PositiveTube>>> {
    let rows = state.app.positives(&actor, q.limit.unwrap_or(200)).await?;
    Ok(Json(Page {
        items: rows
            .into_iter()
            .map(|t| PositiveTube {
                tube_id: t.tube_code,
                pool_size: t.pool_size,
                outcome: t.outcome,
                site_code: t.site_code,
                lab_code: t.lab_code,
                ct_orf1ab: t.ct_orf1ab,
                ct_n: t.ct_n,
                collected_at: t.collected_at,
                reported_at: t.reported_at,
                received_at: t.received_at,
                members: t.members,
                retests_open: t.retests_open,
                retests_done: t.retests_done,
                suspected_cases: t.suspected_cases,
            })
            .collect(),
        total: None,
    }))
}

/// The latest accepted uploads with what they did and their fan-out time.
#[utoipa::path(get, path = "/api/v1/testing/batches", tag = "testing", params(LimitQuery),
    responses((status = 200, body = Page<TestingBatch>), (status = 403, body = Problem)))]
pub async fn batches(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<LimitQuery>,
) -> ApiResult<Json<Page<TestingBatch>>> {
    let rows = state
        .app
        .testing_batches(&actor, q.limit.unwrap_or(50))
        .await?;
    Ok(Json(Page {
        items: rows
            .into_iter()
            .map(|b| TestingBatch {
                id: b.id,
                kind: b.kind,
                file: b.file,
                actor: b.actor,
                rows: b.rows_read,
                stored: b.stored,
                already_stored: b.already_stored,
                refused: b.refused,
                retest_tasks_created: b.retest_tasks_created,
                suspected_cases_created: b.suspected_cases_created,
                fan_out_ms: b.fan_out_ms,
                received_at: b.received_at,
            })
            .collect(),
        total: None,
    }))
}
