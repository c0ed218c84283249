//! Nucleic-acid testing pages: rounds with their coverage map and table and the residents not
//! yet sampled, the positives queue with its fan-out, key populations with compliance and
//! overdue lists, lab load and turnaround with pool-size advice, and XLSX exports of each.
//!
//! Every number comes from an app function, which checks `testing.read` (or
//! `testing.manage`) and keeps to the actor's jurisdiction; listings of persons go through
//! the app functions that audit them, and show names and documents masked only. This module
//! decides nothing about access.

use std::collections::HashMap;

use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use chrono::NaiveDate;
use fangkong_app::testing::coverage::{CoverageLevel, Percentiles};
use fangkong_app::testing::schedules::{DueStatus, Frequency, KeyGroupInput};
use fangkong_app::Error;
use fangkong_domain::mask::mask_name;
use fangkong_domain::{JurisdictionCode, Permission};
use fangkong_ingest::export::{write_workbook, ExportCell, Sheet};
use minijinja::{context, Value};
use serde::Deserialize;

use super::{check_csrf, render_page, PageResult, WebError};
use crate::auth::WebUser;
use crate::i18n::{text, Lang};
use crate::AppState;

/// Rows of a not-sampled page.
const PAGE: i64 = 50;
/// Rows of an export of persons (the app caps its listings at this too).
const EXPORT_ROWS: i64 = 100_000;
/// Overdue members shown on a group page.
const OVERDUE_SHOWN: usize = 200;
/// Days of lab load, turnaround and positivity on the labs page.
const LAB_DAYS: i64 = 7;
/// Utilization above which a lab is highlighted.
const BUSY: f64 = 0.9;
/// Occupations a key group's rule may name, in the order of the form.
pub const OCCUPATIONS: [&str; 8] = [
    "medical",
    "cold_chain",
    "delivery",
    "teacher",
    "transport",
    "service_worker",
    "factory_worker",
    "office_worker",
];

fn err(lang: Lang) -> impl Fn(Error) -> WebError {
    move |e| WebError::new(&e, lang)
}

/// The message of a client mistake in a form (bad field, code in use, bad file), shown on
/// the page; any other error is the error page.
fn form_error(e: Error, lang: Lang) -> Result<String, WebError> {
    match &e {
        Error::Invalid(fields) => Ok(fields
            .iter()
            .map(|(f, r)| format!("{f}: {r}"))
            .collect::<Vec<_>>()
            .join("; ")),
        Error::Conflict(_) | Error::Import(_) => Ok(crate::error::problem(&e).detail),
        _ => Err(WebError::new(&e, lang)),
    }
}

/// Unix milliseconds as `YYYY-MM-DD HH:MM` China Standard Time, as the pages show them.
fn china_time(ms: i64) -> String {
    let at = ms + fangkong_app::testing::schedules::CHINA_OFFSET_MS;
    chrono::DateTime::from_timestamp_millis(at)
        .map(|t| t.naive_utc().format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

fn pct(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

fn minutes(m: Option<f64>) -> Option<String> {
    m.map(|m| format!("{m:.0}"))
}

fn percentiles_value(p: &Percentiles) -> Value {
    context! {
        tubes => p.tubes, p50 => minutes(p.p50), p90 => minutes(p.p90), p95 => minutes(p.p95),
        p99 => minutes(p.p99), max => minutes(p.max),
    }
}

fn parse_day(day: Option<&str>, today: NaiveDate, lang: Lang) -> Result<NaiveDate, WebError> {
    match day.filter(|d| !d.is_empty()) {
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| WebError::new(&Error::invalid("day", "expected YYYY-MM-DD"), lang)),
        None => Ok(today),
    }
}

fn parse_within(within: Option<&str>, lang: Lang) -> Result<Option<JurisdictionCode>, WebError> {
    within
        .filter(|w| !w.is_empty())
        .map(|w| {
            JurisdictionCode::parse(w).map_err(|_| {
                WebError::new(&Error::invalid("within", "not a jurisdiction code"), lang)
            })
        })
        .transpose()
}

/// An XLSX download. Listings of persons are not kept in caches.
pub(super) fn xlsx_response(file_name: &str, sheets: &[Sheet], lang: Lang) -> PageResult {
    let bytes = write_workbook(sheets).map_err(|e| {
        tracing::error!(error = %crate::error::error_chain(&e), "export failed");
        WebError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            detail: "the export could not be written".to_string(),
            lang,
        }
    })?;
    // Only ASCII letters, digits, '-', '_' and '.' reach the header; a round code in Chinese
    // becomes '_'.
    let safe: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        bytes,
    )
        .into_response())
}

fn sheet(name: &str, lang: Lang, header: &[&str], rows: Vec<Vec<ExportCell>>) -> Sheet {
    Sheet {
        name: name.to_string(),
        header: header.iter().map(|k| text(lang, k)).collect(),
        rows,
    }
}

/// The locale suffix of a member's schedule status (`due.overdue`...).
pub fn due_status_name(status: DueStatus) -> &'static str {
    match status {
        DueStatus::UpToDate => "up_to_date",
        DueStatus::DueToday => "due_today",
        DueStatus::Overdue => "overdue",
    }
}

fn can_manage(user: &WebUser) -> bool {
    user.actor.scope.can(Permission::TestingManage)
}

// ---------------------------------------------------------------------------------------
// Overview and rounds.

/// `GET /testing`: the rounds, the latest uploads and the form for a new round.
pub async fn overview(State(state): State<AppState>, user: WebUser) -> PageResult {
    overview_page(&state, &user, None, None).await
}

async fn overview_page(
    state: &AppState,
    user: &WebUser,
    error: Option<String>,
    form: Option<&RoundForm>,
) -> PageResult {
    let e = err(user.lang);
    let rounds = state.app.rounds(&user.actor).await.map_err(&e)?;
    let batches = state
        .app
        .testing_batches(&user.actor, 20)
        .await
        .map_err(&e)?;
    let groups = state.app.key_groups(&user.actor).await.map_err(&e)?;
    let group_of: HashMap<i64, &fangkong_store::testing::KeyGroup> =
        groups.iter().map(|g| (g.id, g)).collect();
    let mut names: HashMap<String, String> = HashMap::new();
    for r in &rounds {
        if !names.contains_key(&r.jurisdiction_code) {
            let path = state
                .app
                .jurisdiction_path(&r.jurisdiction_code)
                .await
                .map_err(&e)?;
            let name = path.last().map(|j| j.name.clone()).unwrap_or_default();
            names.insert(r.jurisdiction_code.clone(), name);
        }
    }
    let top = state.app.top_jurisdiction(&user.actor).await.map_err(&e)?;
    let today = state.app.today().to_string();
    let page = context! {
        rounds => rounds.iter().map(|r| {
            let g = r.key_group_id.and_then(|id| group_of.get(&id));
            context! {
                code => r.code.clone(), name => r.name.clone(), jurisdiction_code => r.jurisdiction_code.clone(),
                jurisdiction_name => names.get(&r.jurisdiction_code).cloned().unwrap_or_default(),
                starts_on => r.starts_on.clone(), ends_on => r.ends_on.clone(),
                key_group => g.map(|g| context! { code => g.code.clone(), name => g.name.clone() }),
            }
        }).collect::<Vec<_>>(),
        batches => batches.iter().map(|b| context! {
            kind => b.kind.clone(), file => b.file.clone(), actor => b.actor.clone(), rows => b.rows_read,
            stored => b.stored, already_stored => b.already_stored, refused => b.refused,
            retest_tasks => b.retest_tasks_created, suspected_cases => b.suspected_cases_created,
            fan_out_ms => b.fan_out_ms, received_at => b.received_at,
        }).collect::<Vec<_>>(),
        groups => groups.iter().map(|g| context! { code => g.code.clone(), name => g.name.clone() }).collect::<Vec<_>>(),
        can_manage => can_manage(user),
        error,
        form => context! {
            code => form.map(|f| f.code.clone()).unwrap_or_default(),
            name => form.map(|f| f.name.clone()).unwrap_or_default(),
            jurisdiction_code => form.map_or(top, |f| f.jurisdiction_code.clone()),
            starts_on => form.map_or(today.clone(), |f| f.starts_on.clone()),
            ends_on => form.map_or(today, |f| f.ends_on.clone()),
            key_group => form.and_then(|f| f.key_group.clone()).unwrap_or_default(),
        },
    };
    render_page(
        state,
        user,
        "testing/overview.html",
        "testing",
        "/testing",
        page,
    )
}

/// The new-round form.
#[derive(Debug, Deserialize)]
pub struct RoundForm {
    csrf: String,
    code: String,
    name: String,
    jurisdiction_code: String,
    starts_on: String,
    ends_on: String,
    key_group: Option<String>,
}

/// `POST /testing/rounds`.
pub async fn create_round(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<RoundForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let date = |field: &str, v: &str| {
        NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
            .map_err(|_| Error::invalid(field, "expected YYYY-MM-DD"))
    };
    let result = match (
        date("starts_on", &form.starts_on),
        date("ends_on", &form.ends_on),
    ) {
        (Ok(starts), Ok(ends)) => {
            state
                .app
                .create_round(
                    &user.actor,
                    &form.code,
                    &form.name,
                    form.jurisdiction_code.trim(),
                    (starts, ends),
                    form.key_group.as_deref().filter(|g| !g.is_empty()),
                )
                .await
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    match result {
        Ok(round) => Ok(Redirect::to(&format!(
            "/testing/rounds/{}",
            crate::auth::url_encode(&round.code)
        ))
        .into_response()),
        Err(e) => {
            let message = form_error(e, user.lang)?;
            let mut page = overview_page(&state, &user, Some(message), Some(&form)).await?;
            *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(page)
        }
    }
}

/// Query of the round page.
#[derive(Debug, Deserialize)]
pub struct RoundQuery {
    level: Option<String>,
    within: Option<String>,
    offset: Option<i64>,
}

/// The level a round's coverage is shown at when none is asked for: one below the round's
/// jurisdiction.
fn default_level(jurisdiction: &str) -> &'static str {
    match jurisdiction.len() {
        0..=4 => "county",
        5..=6 => "township",
        _ => "community",
    }
}

/// `GET /testing/rounds/{code}`: coverage map and table, worst first; the residents not
/// yet sampled in a chosen area; turnaround by lab.
pub async fn round(
    State(state): State<AppState>,
    user: WebUser,
    Path(code): Path<String>,
    Query(q): Query<RoundQuery>,
) -> PageResult {
    let e = err(user.lang);
    let round = state.app.round(&user.actor, &code).await.map_err(&e)?;
    let level_name = q
        .level
        .clone()
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| default_level(&round.jurisdiction_code).to_string());
    let level = CoverageLevel::parse(&level_name).map_err(&e)?;
    let coverage = state
        .app
        .round_coverage(&user.actor, &code, level)
        .await
        .map_err(&e)?;
    let mut areas = coverage.areas.clone();
    areas.sort_by(|a, b| {
        a.share()
            .total_cmp(&b.share())
            .then_with(|| b.target.cmp(&a.target))
            .then_with(|| a.code.cmp(&b.code))
    });
    let points: Vec<serde_json::Value> = areas
        .iter()
        .filter_map(|a| {
            Some(serde_json::json!({
                "code": a.code, "name": a.name, "lon": a.lon?, "lat": a.lat?,
                "target": a.target, "sampled": a.sampled, "share": a.share(),
            }))
        })
        .collect();
    let within = parse_within(q.within.as_deref(), user.lang)?;
    let can_list = user.actor.scope.can(Permission::PersonsRead);
    let offset = q.offset.unwrap_or(0).max(0);
    let not_sampled = match (&within, can_list) {
        (Some(w), true) => Some(
            state
                .app
                .not_sampled(&user.actor, &code, Some(w), PAGE, offset)
                .await
                .map_err(&e)?,
        ),
        _ => None,
    };
    let next_offset = not_sampled
        .as_ref()
        .and_then(|rows| (rows.len() as i64 == PAGE).then_some(offset + PAGE));
    let within_name = match &within {
        Some(w) => state
            .app
            .jurisdiction_path(w.as_str())
            .await
            .map_err(&e)?
            .last()
            .map(|j| j.name.clone()),
        None => None,
    };
    let turnaround = state
        .app
        .turnaround(&user.actor, Some(&code), 366)
        .await
        .map_err(&e)?;
    let share = |t: i64, s: i64| if t == 0 { 0.0 } else { s as f64 / t as f64 };
    let page = context! {
        round => context! {
            code => round.code.clone(), name => round.name.clone(), jurisdiction_code => round.jurisdiction_code.clone(),
            starts_on => round.starts_on.clone(), ends_on => round.ends_on.clone(), key_group => round.key_group_id.is_some(),
        },
        level => level_name,
        levels => ["county", "township", "community"],
        target => coverage.target,
        sampled => coverage.sampled,
        share => pct(share(coverage.target, coverage.sampled)),
        areas => areas.iter().map(|a| context! {
            code => a.code.clone(), name => a.name.clone(), target => a.target, sampled => a.sampled,
            missing => a.target - a.sampled, share => pct(a.share()), low => a.share() < BUSY,
        }).collect::<Vec<_>>(),
        map_points => serde_json::Value::from(points).to_string(),
        within => within.as_ref().map(ToString::to_string),
        within_name,
        can_list,
        not_sampled => not_sampled.as_ref().map(|rows| rows.iter().map(person_value).collect::<Vec<_>>()),
        offset,
        next_offset,
        prev_offset => (offset > 0).then_some((offset - PAGE).max(0)),
        turnaround => context! {
            overall => percentiles_value(&turnaround.overall),
            by_lab => turnaround.by_lab.iter().map(|l| context! {
                lab_code => l.lab_code.clone(), name => l.name.clone(), p => percentiles_value(&l.percentiles),
            }).collect::<Vec<_>>(),
        },
    };
    let here = format!("/testing/rounds/{}", crate::auth::url_encode(&round.code));
    render_page(&state, &user, "testing/round.html", "testing", &here, page)
}

/// A listed person, masked: the family name and the masked document only.
fn person_value(p: &fangkong_store::persons::Person) -> Value {
    context! {
        id => p.id, name => mask_name(&p.name), doc_kind => p.doc_kind.clone(), doc_masked => p.doc_masked.clone(),
        sex => p.sex.clone(), birth_date => p.birth_date.clone(), community_code => p.community_code.clone(),
        household_id => p.household_id,
    }
}

/// Query of the coverage export.
#[derive(Debug, Deserialize)]
pub struct LevelQuery {
    level: Option<String>,
}

/// `GET /testing/rounds/{code}/coverage.xlsx`.
pub async fn coverage_xlsx(
    State(state): State<AppState>,
    user: WebUser,
    Path(code): Path<String>,
    Query(q): Query<LevelQuery>,
) -> PageResult {
    let e = err(user.lang);
    let round = state.app.round(&user.actor, &code).await.map_err(&e)?;
    let level = CoverageLevel::parse(
        q.level
            .as_deref()
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| default_level(&round.jurisdiction_code)),
    )
    .map_err(&e)?;
    let mut c = state
        .app
        .round_coverage(&user.actor, &code, level)
        .await
        .map_err(&e)?;
    c.areas.sort_by(|a, b| {
        a.share()
            .total_cmp(&b.share())
            .then_with(|| a.code.cmp(&b.code))
    });
    let rows: Vec<Vec<ExportCell>> = c
        .areas
        .iter()
        .map(|a| {
            vec![
                a.code.as_str().into(),
                a.name.as_str().into(),
                a.target.into(),
                a.sampled.into(),
                (a.target - a.sampled).into(),
                a.share().into(),
            ]
        })
        .collect();
    let header = [
        "col.code",
        "col.name",
        "testing.target",
        "testing.sampled",
        "testing.missing",
        "testing.share",
    ];
    xlsx_response(
        &format!("coverage-{code}.xlsx"),
        &[sheet("coverage", user.lang, &header, rows)],
        user.lang,
    )
}

/// Query of the not-sampled export.
#[derive(Debug, Deserialize)]
pub struct WithinQuery {
    within: Option<String>,
}

/// `GET /testing/rounds/{code}/not-sampled.xlsx?within=CODE` (audited by the app).
pub async fn not_sampled_xlsx(
    State(state): State<AppState>,
    user: WebUser,
    Path(code): Path<String>,
    Query(q): Query<WithinQuery>,
) -> PageResult {
    let within = parse_within(q.within.as_deref(), user.lang)?;
    let rows = state
        .app
        .not_sampled(&user.actor, &code, within.as_ref(), EXPORT_ROWS, 0)
        .await
        .map_err(err(user.lang))?;
    let rows: Vec<Vec<ExportCell>> = rows
        .iter()
        .map(|p| {
            vec![
                p.id.into(),
                mask_name(&p.name).into(),
                text(user.lang, &format!("doc.{}", p.doc_kind)).into(),
                p.doc_masked.as_str().into(),
                text(user.lang, &format!("sex.{}", p.sex)).into(),
                p.birth_date.as_str().into(),
                p.community_code.as_str().into(),
                p.household_id.into(),
            ]
        })
        .collect();
    let header = [
        "testing.person_id",
        "col.name",
        "col.document_kind",
        "col.id_number",
        "col.sex",
        "col.birth_date",
        "col.community",
        "col.household",
    ];
    let suffix = within.map_or(String::new(), |w| format!("-{w}"));
    xlsx_response(
        &format!("not-sampled-{code}{suffix}.xlsx"),
        &[sheet("not_sampled", user.lang, &header, rows)],
        user.lang,
    )
}

// ---------------------------------------------------------------------------------------
// Positives.

/// Positive and inconclusive tubes shown (latest first).
const POSITIVES: i64 = 200;

/// `GET /testing/positives`: the positives queue and the open retest tasks.
pub async fn positives(State(state): State<AppState>, user: WebUser) -> PageResult {
    let e = err(user.lang);
    let tubes = state
        .app
        .positives(&user.actor, POSITIVES)
        .await
        .map_err(&e)?;
    let tasks = state
        .app
        .retest_tasks(&user.actor, Some("open"), 500)
        .await
        .map_err(&e)?;
    let page = context! {
        tubes => tubes.iter().map(|t| context! {
            tube => t.tube_code.clone(), pool_size => t.pool_size, outcome => t.outcome.clone(),
            ct_orf1ab => t.ct_orf1ab.map(|c| format!("{c:.1}")), ct_n => t.ct_n.map(|c| format!("{c:.1}")),
            lab_code => t.lab_code.clone(), site_code => t.site_code.clone(),
            collected_at => t.collected_at, reported_at => t.reported_at, received_at => t.received_at,
            members => t.members, retests_open => t.retests_open, retests_done => t.retests_done,
            suspected_cases => t.suspected_cases,
        }).collect::<Vec<_>>(),
        tasks => tasks.iter().map(|t| context! {
            person_id => t.person_id, tube => t.tube_code.clone(), reason => t.reason.clone(),
            community_code => t.community_code.clone(), created_at => t.created_at,
        }).collect::<Vec<_>>(),
    };
    render_page(
        &state,
        &user,
        "testing/positives.html",
        "testing",
        "/testing/positives",
        page,
    )
}

/// `GET /testing/positives.xlsx`.
pub async fn positives_xlsx(State(state): State<AppState>, user: WebUser) -> PageResult {
    let tubes = state
        .app
        .positives(&user.actor, 5_000)
        .await
        .map_err(err(user.lang))?;
    let time = |ms: i64| -> ExportCell { china_time(ms).into() };
    let rows: Vec<Vec<ExportCell>> = tubes
        .iter()
        .map(|t| {
            vec![
                t.tube_code.as_str().into(),
                t.pool_size.into(),
                text(user.lang, &format!("outcome.{}", t.outcome)).into(),
                t.ct_orf1ab.into(),
                t.ct_n.into(),
                t.lab_code.as_str().into(),
                t.site_code.as_str().into(),
                time(t.collected_at),
                time(t.reported_at),
                time(t.received_at),
                t.members.into(),
                t.retests_open.into(),
                t.retests_done.into(),
                t.suspected_cases.into(),
            ]
        })
        .collect();
    let header = [
        "testing.tube",
        "testing.pool_size",
        "testing.outcome",
        "testing.ct_orf1ab",
        "testing.ct_n",
        "testing.lab",
        "testing.site",
        "testing.collected_at",
        "testing.reported_at",
        "testing.received_at",
        "testing.members",
        "testing.retests_open",
        "testing.retests_done",
        "testing.suspected_cases",
    ];
    xlsx_response(
        "positives.xlsx",
        &[sheet("positives", user.lang, &header, rows)],
        user.lang,
    )
}

// ---------------------------------------------------------------------------------------
// Key populations.

fn group_value(g: &fangkong_store::testing::KeyGroup) -> Value {
    context! {
        code => g.code.clone(), name => g.name.clone(), jurisdiction_code => g.jurisdiction_code.clone(),
        frequency => Frequency::from_interval(g.interval_days).name(), interval_days => g.interval_days,
        occupations => fangkong_app::testing::schedules::rule_occupations(g.rule.as_deref()), has_rule => g.rule.is_some(), members => g.members,
    }
}

/// `GET /testing/key-groups`.
pub async fn key_groups(State(state): State<AppState>, user: WebUser) -> PageResult {
    key_groups_page(&state, &user, None, &[]).await
}

async fn key_groups_page(
    state: &AppState,
    user: &WebUser,
    error: Option<String>,
    form: &[(String, String)],
) -> PageResult {
    let e = err(user.lang);
    let groups = state.app.key_groups(&user.actor).await.map_err(&e)?;
    let top = state.app.top_jurisdiction(&user.actor).await.map_err(&e)?;
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let checked: Vec<&str> = form
        .iter()
        .filter(|(k, _)| k == "occupations")
        .map(|(_, v)| v.as_str())
        .collect();
    let page = context! {
        groups => groups.iter().map(group_value).collect::<Vec<_>>(),
        can_manage => can_manage(user),
        occupations => OCCUPATIONS.iter().map(|o| context! { code => *o, checked => checked.contains(o) }).collect::<Vec<_>>(),
        frequencies => ["daily", "every_2_days", "weekly", "custom"],
        error,
        form => context! {
            code => field("code").unwrap_or_default(),
            name => field("name").unwrap_or_default(),
            jurisdiction_code => field("jurisdiction_code").unwrap_or(top),
            frequency => field("frequency").unwrap_or_else(|| "every_2_days".to_string()),
            interval_days => field("interval_days").unwrap_or_default(),
        },
    };
    render_page(
        state,
        user,
        "testing/key_groups.html",
        "testing",
        "/testing/key-groups",
        page,
    )
}

/// `POST /testing/key-groups`. The form repeats `occupations` once per ticked box, which
/// a struct cannot take, so it arrives as pairs.
pub async fn create_key_group(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    check_csrf(&user, field("csrf"))?;
    let interval = field("interval_days").trim();
    let interval = if interval.is_empty() {
        Ok(None)
    } else {
        interval
            .parse::<i64>()
            .map(Some)
            .map_err(|_| Error::invalid("interval_days", "must be a number of days"))
    };
    let result = match interval.and_then(|n| Frequency::parse(field("frequency"), n)) {
        Ok(frequency) => {
            let input = KeyGroupInput {
                code: field("code").to_string(),
                name: field("name").to_string(),
                jurisdiction_code: field("jurisdiction_code").trim().to_string(),
                frequency,
                occupations: form
                    .iter()
                    .filter(|(k, _)| k == "occupations")
                    .map(|(_, v)| v.clone())
                    .collect(),
            };
            state.app.create_key_group(&user.actor, &input).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(group) => Ok(Redirect::to(&format!(
            "/testing/key-groups/{}",
            crate::auth::url_encode(&group.code)
        ))
        .into_response()),
        Err(e) => {
            let message = form_error(e, user.lang)?;
            let mut page = key_groups_page(&state, &user, Some(message), &form).await?;
            *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(page)
        }
    }
}

/// Query of the group page.
#[derive(Debug, Deserialize)]
pub struct GroupQuery {
    day: Option<String>,
    within: Option<String>,
    added: Option<u64>,
    rows: Option<u64>,
    refreshed: Option<u64>,
}

/// What the group page reports about the last action.
#[derive(Default)]
struct GroupNotice {
    import_errors: Option<(String, Vec<fangkong_ingest::RowError>)>,
    error: Option<String>,
}

/// `GET /testing/key-groups/{code}`: compliance by community on a day, worst first, and
/// the overdue members (masked).
pub async fn key_group(
    State(state): State<AppState>,
    user: WebUser,
    Path(code): Path<String>,
    Query(q): Query<GroupQuery>,
) -> PageResult {
    key_group_page(&state, &user, &code, &q, GroupNotice::default()).await
}

async fn key_group_page(
    state: &AppState,
    user: &WebUser,
    code: &str,
    q: &GroupQuery,
    notice: GroupNotice,
) -> PageResult {
    let e = err(user.lang);
    let day = parse_day(q.day.as_deref(), state.app.today(), user.lang)?;
    let within = parse_within(q.within.as_deref(), user.lang)?;
    let s = state
        .app
        .group_schedule(&user.actor, code, within.as_ref(), day, OVERDUE_SHOWN)
        .await
        .map_err(&e)?;
    let mut communities = s.communities.clone();
    communities.sort_by(|a, b| {
        a.compliance()
            .total_cmp(&b.compliance())
            .then_with(|| b.overdue.cmp(&a.overdue))
            .then_with(|| a.community_code.cmp(&b.community_code))
    });
    let (file, import_errors) = match notice.import_errors {
        Some((file, errors)) => (Some(file), errors),
        None => (None, Vec::new()),
    };
    let page = context! {
        group => group_value(&s.group),
        day => day.to_string(),
        within => within.as_ref().map(ToString::to_string),
        communities => communities.iter().map(|c| context! {
            code => c.community_code.clone(), name => c.community_name.clone(), members => c.members,
            due_today => c.due_today, overdue => c.overdue, compliance => pct(c.compliance()),
            low => c.compliance() < BUSY,
        }).collect::<Vec<_>>(),
        members => communities.iter().map(|c| c.members).sum::<u64>(),
        overdue => s.overdue.iter().map(|m| context! {
            person_id => m.person.id, name => mask_name(&m.person.name), doc_masked => m.person.doc_masked.clone(),
            community_code => m.person.community_code.clone(), last_collected_at => m.due.last_collected_at,
            due_on => m.due.due_on.to_string(), days_overdue => m.due.days_overdue,
        }).collect::<Vec<_>>(),
        overdue_total => s.overdue_total,
        can_manage => can_manage(user),
        added => q.added, rows => q.rows, refreshed => q.refreshed,
        error => notice.error,
        import_file => file,
        import_errors => import_errors.iter().map(|r| context! { line => r.line, field => r.field.clone(), reason => r.reason.clone() }).collect::<Vec<_>>(),
    };
    let here = format!("/testing/key-groups/{}", crate::auth::url_encode(code));
    render_page(
        state,
        user,
        "testing/key_group.html",
        "testing",
        &here,
        page,
    )
}

/// Query of the overdue export.
#[derive(Debug, Deserialize)]
pub struct DayQuery {
    day: Option<String>,
    within: Option<String>,
}

/// `GET /testing/key-groups/{code}/overdue.xlsx?day=` (audited by the app).
pub async fn overdue_xlsx(
    State(state): State<AppState>,
    user: WebUser,
    Path(code): Path<String>,
    Query(q): Query<DayQuery>,
) -> PageResult {
    let day = parse_day(q.day.as_deref(), state.app.today(), user.lang)?;
    let within = parse_within(q.within.as_deref(), user.lang)?;
    let s = state
        .app
        .group_schedule(
            &user.actor,
            &code,
            within.as_ref(),
            day,
            EXPORT_ROWS as usize,
        )
        .await
        .map_err(err(user.lang))?;
    let rows: Vec<Vec<ExportCell>> = s
        .overdue
        .iter()
        .map(|m| {
            vec![
                m.person.id.into(),
                mask_name(&m.person.name).into(),
                m.person.doc_masked.as_str().into(),
                m.person.community_code.as_str().into(),
                m.due.last_collected_at.map(china_time).into(),
                m.due.due_on.to_string().into(),
                m.due.days_overdue.into(),
            ]
        })
        .collect();
    let header = [
        "testing.person_id",
        "col.name",
        "col.id_number",
        "col.community",
        "testing.last_collected",
        "testing.due_on",
        "testing.days_overdue",
    ];
    xlsx_response(
        &format!("overdue-{code}-{day}.xlsx"),
        &[sheet("overdue", user.lang, &header, rows)],
        user.lang,
    )
}

/// The refresh form.
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// `POST /testing/key-groups/{code}/refresh`: adds the residents who now match the rule.
pub async fn refresh_key_group(
    State(state): State<AppState>,
    user: WebUser,
    Path(code): Path<String>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let added = state
        .app
        .refresh_key_group(&user.actor, &code)
        .await
        .map_err(err(user.lang))?;
    Ok(Redirect::to(&format!(
        "/testing/key-groups/{}?refreshed={added}",
        crate::auth::url_encode(&code)
    ))
    .into_response())
}

/// `POST /testing/key-groups/{code}/members`: a `multipart/form-data` upload of a member
/// file (CSV or XLSX with `id_number`); all rows or none.
pub async fn import_members(
    State(state): State<AppState>,
    user: WebUser,
    Path(code): Path<String>,
    mut form: Multipart,
) -> PageResult {
    // A malformed body yields fewer parts, never an error: the token or the file is then
    // missing and the request refused as such.
    let mut parts = Vec::new();
    while let Ok(Some(field)) = form.next_field().await {
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        let Ok(data) = field.bytes().await else {
            break;
        };
        parts.push(Part {
            name,
            file_name,
            data: data.to_vec(),
        });
    }
    let csrf = parts
        .iter()
        .find(|p| p.name == "csrf")
        .map(|p| String::from_utf8_lossy(&p.data).into_owned())
        .unwrap_or_default();
    check_csrf(&user, &csrf)?;
    let q = GroupQuery {
        day: None,
        within: None,
        added: None,
        rows: None,
        refreshed: None,
    };
    let Some(file) = parts
        .iter()
        .find(|p| p.name == "file" && p.file_name.as_deref().is_some_and(|f| !f.is_empty()))
    else {
        let notice = GroupNotice {
            error: Some(text(user.lang, "testing.no_file")),
            ..GroupNotice::default()
        };
        let mut page = key_group_page(&state, &user, &code, &q, notice).await?;
        *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(page);
    };
    let file_name = file.file_name.clone().unwrap_or_default();
    match state
        .app
        .import_key_group_members(&user.actor, &code, &file_name, &file.data)
        .await
    {
        Ok((rows, added)) => Ok(Redirect::to(&format!(
            "/testing/key-groups/{}?rows={rows}&added={added}",
            crate::auth::url_encode(&code)
        ))
        .into_response()),
        Err(e) => {
            let notice = match e {
                Error::Import(f) => GroupNotice {
                    import_errors: Some((f.file, f.errors)),
                    error: None,
                },
                e => GroupNotice {
                    error: Some(form_error(e, user.lang)?),
                    import_errors: None,
                },
            };
            let mut page = key_group_page(&state, &user, &code, &q, notice).await?;
            *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(page)
        }
    }
}

/// One part of a `multipart/form-data` body.
struct Part {
    name: String,
    file_name: Option<String>,
    data: Vec<u8>,
}

// ---------------------------------------------------------------------------------------
// Labs.

/// What the labs page and its export show: load, turnaround and pool advice over
/// [`LAB_DAYS`].
async fn lab_figures(
    state: &AppState,
    user: &WebUser,
) -> Result<
    (
        Vec<fangkong_app::testing::coverage::LabLoad>,
        fangkong_app::testing::coverage::Turnaround,
        Vec<fangkong_app::testing::coverage::PoolAdvice>,
    ),
    Error,
> {
    let app = &state.app;
    Ok((
        app.lab_load(&user.actor, LAB_DAYS).await?,
        app.turnaround(&user.actor, None, LAB_DAYS).await?,
        app.pool_advice(&user.actor, LAB_DAYS, 1.0, 1.0).await?,
    ))
}

/// `GET /testing/labs`: load against capacity over the last days, turnaround by lab and
/// pool-size advice per county.
pub async fn labs(State(state): State<AppState>, user: WebUser) -> PageResult {
    let e = err(user.lang);
    let (loads, turnaround, advice) = lab_figures(&state, &user).await.map_err(&e)?;
    let days: Vec<String> = loads
        .first()
        .map(|l| {
            l.days
                .iter()
                .map(|(d, _)| d.format("%m-%d").to_string())
                .collect()
        })
        .unwrap_or_default();
    let chart: Vec<serde_json::Value> = loads
        .iter()
        .map(|l| {
            serde_json::json!({
                "code": l.code, "name": l.name.clone().unwrap_or_else(|| l.code.clone()),
                "capacity": l.capacity, "days": l.days.iter().map(|d| d.1).collect::<Vec<_>>(),
            })
        })
        .collect();
    let chart = serde_json::json!({ "days": days, "labs": chart }).to_string();
    let page = context! {
        days_back => LAB_DAYS,
        days,
        chart,
        labs => loads.iter().map(|l| {
            let u = l.utilization();
            context! {
                code => l.code.clone(), name => l.name.clone(), community_code => l.community_code.clone(),
                capacity => l.capacity, days => l.days.iter().map(|d| d.1).collect::<Vec<_>>(),
                utilization => u.map(pct), busy => u.is_some_and(|u| u > BUSY),
            }
        }).collect::<Vec<_>>(),
        turnaround => context! {
            overall => percentiles_value(&turnaround.overall),
            by_lab => turnaround.by_lab.iter().map(|l| context! {
                lab_code => l.lab_code.clone(), name => l.name.clone(), p => percentiles_value(&l.percentiles),
            }).collect::<Vec<_>>(),
        },
        advice => advice.iter().map(|a| context! {
            county_code => a.county_code.clone(), name => a.name.clone(), tubes => a.tubes,
            positive_tubes => a.positive_tubes, prevalence => format!("{:.3}%", a.prevalence * 100.0),
            assumed => format!("{:.3}%", a.assumed_prevalence * 100.0), estimated => a.prevalence > 0.0,
            pool_size => a.optimal_pool_size, tests_per_person => format!("{:.3}", a.tests_per_person),
        }).collect::<Vec<_>>(),
    };
    render_page(
        &state,
        &user,
        "testing/labs.html",
        "testing",
        "/testing/labs",
        page,
    )
}

/// `GET /testing/labs.xlsx`: three sheets, lab load, turnaround and pool advice.
pub async fn labs_xlsx(State(state): State<AppState>, user: WebUser) -> PageResult {
    let e = err(user.lang);
    let lang = user.lang;
    let (loads, turnaround, advice) = lab_figures(&state, &user).await.map_err(&e)?;
    let mut load_header = vec![
        text(lang, "col.code"),
        text(lang, "col.name"),
        text(lang, "col.capacity"),
    ];
    if let Some(l) = loads.first() {
        load_header.extend(l.days.iter().map(|(d, _)| d.to_string()));
    }
    load_header.push(text(lang, "testing.utilization"));
    let load_rows = loads
        .iter()
        .map(|l| {
            let mut row: Vec<ExportCell> = vec![
                l.code.as_str().into(),
                l.name.clone().into(),
                l.capacity.into(),
            ];
            row.extend(l.days.iter().map(|d| ExportCell::from(d.1)));
            row.push(l.utilization().into());
            row
        })
        .collect();
    let p = |p: &Percentiles| -> Vec<ExportCell> {
        vec![
            p.tubes.into(),
            p.p50.into(),
            p.p90.into(),
            p.p95.into(),
            p.p99.into(),
            p.max.into(),
        ]
    };
    let turnaround_rows: Vec<Vec<ExportCell>> = turnaround
        .by_lab
        .iter()
        .map(|l| {
            let mut row: Vec<ExportCell> = vec![l.lab_code.as_str().into(), l.name.clone().into()];
            row.extend(p(&l.percentiles));
            row
        })
        .collect();
    let advice_rows: Vec<Vec<ExportCell>> = advice
        .iter()
        .map(|a| {
            vec![
                a.county_code.as_str().into(),
                a.name.as_str().into(),
                a.tubes.into(),
                a.positive_tubes.into(),
                a.prevalence.into(),
                a.assumed_prevalence.into(),
                u64::from(a.optimal_pool_size).into(),
                a.tests_per_person.into(),
            ]
        })
        .collect();
    let sheets = [
        Sheet {
            name: "labs".to_string(),
            header: load_header,
            rows: load_rows,
        },
        sheet(
            "turnaround",
            lang,
            &[
                "testing.lab",
                "col.name",
                "testing.tubes",
                "testing.p50",
                "testing.p90",
                "testing.p95",
                "testing.p99",
                "testing.max",
            ],
            turnaround_rows,
        ),
        sheet(
            "pool_advice",
            lang,
            &[
                "testing.county",
                "col.name",
                "testing.tubes",
                "testing.positive_tubes",
                "testing.prevalence",
                "testing.assumed_prevalence",
                "testing.pool_size_advice",
                "testing.tests_per_person",
            ],
            advice_rows,
        ),
    ];
    xlsx_response("labs.xlsx", &sheets, lang)
}
