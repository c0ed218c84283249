//! Inbound-control pages (入境及来驻返驻管控): the pocket board, risk areas with their map and
//! forms, arrivals with the traveller-list upload and a checkpoint report, control measures
//! with their lifecycle, re-evaluation reviews, printable notices, and the personal
//! health-check page that a household reaches through a signed link without an account.
//!
//! Every value comes from an app function, which checks `inbound.read` (or `inbound.manage`,
//! `inbound.operate`) and keeps to the actor's jurisdiction; names are shown masked except on
//! printed notices, which `App::notices` audits with the purpose. This module decides
//! nothing about access.

use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use chrono::{Duration, NaiveDate};
use fangkong_app::inbound::Designation;
use fangkong_app::measures::{decode_plan, MeasureView, LIST_LIMIT, SYMPTOMS};
use fangkong_app::Error;
use fangkong_domain::mask::mask_name;
use fangkong_domain::policy::{AreaRisk, Pocket};
use fangkong_domain::Permission;
use fangkong_ingest::TravelSource;
use fangkong_store::inbound::RiskArea;
use minijinja::{context, Value};
use serde::Deserialize;

use super::forms::{by_lang, china_time, err, form_error, with_status, Fields, Notice};
use super::{check_csrf, render, render_page, PageResult, WebError};
use crate::auth::{PageLang, WebUser};
use crate::i18n::{text, Lang};
use crate::AppState;

/// Arrivals listed on the travel page.
const ARRIVALS: i64 = 200;
/// Jurisdictions whose boundaries the risk-area map asks for at most.
const MAP_AREAS: usize = 300;

/// One part of a `multipart/form-data` body.
struct Part {
    name: String,
    file_name: Option<String>,
    data: Vec<u8>,
}

/// Reads a multipart body: the CSRF token and the uploaded file, if any. A malformed body
/// yields fewer parts, never an error: the token or the file is then missing. The tracing
/// uploads read their bodies with it too.
pub(super) async fn upload(mut form: Multipart) -> (String, Option<(String, Vec<u8>)>) {
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
    let file = parts.into_iter().find_map(|p| match p.file_name {
        Some(f) if p.name == "file" && !f.is_empty() => Some((f, p.data)),
        _ => None,
    });
    (csrf, file)
}

fn risk_rank(level: &str) -> u8 {
    AreaRisk::parse(level).map_or(0, AreaRisk::severity)
}

// ---------------------------------------------------------------------------------------
// Values for templates.

fn measure_value(v: &MeasureView, lang: Lang, today: NaiveDate) -> Value {
    let m = &v.measure;
    context! {
        id => m.id,
        name => mask_name(&m.person_name),
        doc_masked => m.doc_masked.clone(),
        community_code => m.community_code.clone(),
        pocket => m.pocket.clone(),
        origin => m.origin.clone(),
        origin_address => m.origin_address.clone(),
        departed_on => m.departed_on.clone(),
        origin_risk => m.origin_risk.clone(),
        contact => m.contact.clone(),
        vaccination => m.vaccination.clone(),
        occupation => m.occupation.clone(),
        source_ref => m.source_ref.clone(),
        policy_version => m.policy_version.clone(),
        rule_id => m.rule_id.clone(),
        plan => by_lang(lang, &v.plan.text_zh(), &v.plan.text_en()),
        explanation => by_lang(lang, &m.explanation_zh, &m.explanation_en),
        starts_on => v.starts_on.to_string(),
        ends_on => v.ends_on.to_string(),
        days => (v.ends_on - v.starts_on).num_days() + 1,
        day_today => v.day_today,
        stage_today => v.stage_today.map(|s| s.as_str()),
        status => m.status.clone(),
        open => m.is_open(),
        assigned_at => china_time(m.assigned_at),
        activated_at => m.activated_at.map(china_time),
        closed_at => m.closed_at.map(china_time),
        close_reason => m.close_reason.clone(),
        closed_by => m.closed_by.clone(),
        overdue => v.overdue(),
        release_due => m.is_open() && v.ends_on <= today,
        stages => stages_value(v),
        tests => v.tests.iter().map(|t| context! {
            day => t.day, date => t.date.to_string(), state => t.state.as_str(),
            tube_code => t.tube_code.clone(),
        }).collect::<Vec<_>>(),
        checks => v.checks.iter().map(|c| context! {
            day => c.day.clone(), temperature => format!("{:.1}", c.temperature),
            fever => c.temperature >= fangkong_app::measures::FEVER_CELSIUS,
            symptoms => c.symptoms.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect::<Vec<_>>(),
            reported_by => c.reported_by.clone(), reporter => c.reporter.clone(),
            recorded_at => china_time(c.recorded_at),
        }).collect::<Vec<_>>(),
        checked_today => v.checks.iter().rfind(|c| c.day == today.to_string()).map(|c| format!("{:.1}", c.temperature)),
        missed_checks => v.missed_checks.iter().map(ToString::to_string).collect::<Vec<_>>(),
        blockers => v.blockers.iter().map(|b| by_lang(lang, &b.text_zh(), &b.text_en())).collect::<Vec<_>>(),
    }
}

/// The plan's stages with their dates.
fn stages_value(v: &MeasureView) -> Vec<Value> {
    let mut first = 1_u32;
    v.plan
        .stages
        .iter()
        .map(|s| {
            let from = v.starts_on + Duration::days(i64::from(first) - 1);
            let to = from + Duration::days(i64::from(s.days.max(1)) - 1);
            let out = context! {
                kind => s.kind.as_str(), days => s.days, first_day => first,
                last_day => first + s.days.max(1) - 1,
                from => from.to_string(), to => to.to_string(),
            };
            first += s.days;
            out
        })
        .collect()
}

fn area_value(a: &RiskArea) -> Value {
    context! {
        id => a.id,
        code => a.jurisdiction_code.clone(),
        name => a.name.clone(),
        level => a.level.clone(),
        rank => risk_rank(&a.level),
        designated_at => china_time(a.designated_at),
        designated_by => a.designated_by.clone(),
        lift_after_days => a.lift_after_days,
        lifted_at => a.lifted_at.map(china_time),
        lift_reason => a.lift_reason.clone(),
        addresses => a.address_list(),
        in_force => a.lifted_at.is_none(),
    }
}

fn line_value(l: &fangkong_app::measures::BoardLine) -> Value {
    context! {
        community_code => l.community_code.clone(),
        centralised => l.centralised, home_quarantine => l.home_quarantine,
        health_monitoring => l.health_monitoring, other => l.other,
        open => l.centralised + l.home_quarantine + l.health_monitoring + l.other,
        not_active => l.not_active, tests_due_today => l.tests_due_today,
        overdue => l.overdue, releases_due => l.releases_due,
    }
}

fn done_text(lang: Lang, done: Option<&str>) -> Option<String> {
    super::forms::done_text(lang, "inbound", done)
}

/// Query carrying what a form did before its redirect.
#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

// ---------------------------------------------------------------------------------------
// The pocket board.

/// `GET /inbound`: open measures by pocket and by community, what is due and overdue.
pub async fn board(State(state): State<AppState>, user: WebUser) -> PageResult {
    let board = state
        .app
        .pocket_board(&user.actor, None)
        .await
        .map_err(err(user.lang))?;
    let page = context! {
        day => board.day.to_string(),
        totals => line_value(&board.totals),
        lines => board.lines.iter().map(line_value).collect::<Vec<_>>(),
        pockets => Pocket::ALL.iter().map(|p| context! {
            key => p.as_str(), count => board.by_pocket.get(p.as_str()).copied().unwrap_or(0),
        }).collect::<Vec<_>>(),
        pending_reviews => board.pending_reviews,
        fever_open_loops => board.fever_open_loops,
        fever_due_soon => board.fever_due_soon,
        coldchain_open_tasks => board.coldchain_open_tasks,
    };
    render_page(
        &state,
        &user,
        "inbound/board.html",
        "inbound",
        "/inbound",
        page,
    )
}

// ---------------------------------------------------------------------------------------
// Risk areas.

/// What the designation form held, to show it again after a refusal.
#[derive(Debug, Default, Deserialize)]
pub struct DesignateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    lift_after_days: String,
    #[serde(default)]
    addresses: String,
}

async fn areas_page(
    state: &AppState,
    user: &WebUser,
    notice: Notice,
    form: Option<&DesignateForm>,
) -> PageResult {
    let e = err(user.lang);
    let all = state
        .app
        .risk_areas(&user.actor, false, None)
        .await
        .map_err(&e)?;
    let in_force: Vec<&RiskArea> = all.iter().filter(|a| a.lifted_at.is_none()).collect();
    // The map: the city's subdivisions as the background, its designated jurisdictions
    // coloured by level. Boundaries are fetched by the page script from the API.
    let top = state.app.top_jurisdiction(&user.actor).await.ok();
    let background: Vec<String> = match &top {
        Some(code) => state
            .app
            .jurisdiction_detail(&user.actor, code)
            .await
            .map(|d| d.children.iter().map(|(c, _)| c.code.clone()).collect())
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let mut drawn: Vec<&RiskArea> = in_force
        .iter()
        .copied()
        .filter(|a| {
            top.as_deref()
                .is_some_and(|t| a.jurisdiction_code.starts_with(t))
                && user.actor.scope.covers(&a.jurisdiction_code)
        })
        .collect();
    // Larger areas first, so that a designated community is drawn over its county.
    drawn.sort_by_key(|a| (a.jurisdiction_code.len(), a.jurisdiction_code.clone()));
    drawn.truncate(MAP_AREAS);
    let map_areas: Vec<serde_json::Value> = drawn
        .iter()
        .map(|a| {
            serde_json::json!({
                "code": a.jurisdiction_code, "name": a.name, "rank": risk_rank(&a.level),
                "level": text(user.lang, &format!("inbound.level.{}", a.level)),
                "addresses": a.address_list().len(),
            })
        })
        .collect();
    let labels = serde_json::json!({
        "3": text(user.lang, "inbound.rank.3"), "2": text(user.lang, "inbound.rank.2"),
        "1": text(user.lang, "inbound.rank.1"), "none": text(user.lang, "inbound.map_none"),
    });
    let blank = DesignateForm::default();
    let form = form.unwrap_or(&blank);
    let page = context! {
        levels => AreaRisk::ALL.iter().map(|l| l.as_str()).collect::<Vec<_>>(),
        in_force => in_force.iter().map(|a| area_value(a)).collect::<Vec<_>>(),
        history => all.iter().map(area_value).collect::<Vec<_>>(),
        map_areas => serde_json::Value::from(map_areas).to_string(),
        map_background => serde_json::json!(background).to_string(),
        map_labels => labels.to_string(),
        can_manage => user.actor.scope.can(Permission::InboundManage),
        form => context! {
            code => form.code.clone(), name => form.name.clone(), level => form.level.clone(),
            lift_after_days => form.lift_after_days.clone(), addresses => form.addresses.clone(),
        },
        notice => notice.value(),
    };
    with_status(
        render_page(
            state,
            user,
            "inbound/risk_areas.html",
            "inbound",
            "/inbound/risk-areas",
            page,
        ),
        notice.failed(),
    )
}

/// `GET /inbound/risk-areas`.
pub async fn risk_areas(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let notice = Notice {
        done: done_text(user.lang, q.done.as_deref()),
        ..Notice::default()
    };
    areas_page(&state, &user, notice, None).await
}

/// `POST /inbound/risk-areas`: designates an area.
pub async fn designate(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<DesignateForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let level = AreaRisk::parse(form.level.trim());
    let lift = form.lift_after_days.trim();
    let lift_after_days = if lift.is_empty() {
        Ok(None)
    } else {
        lift.parse::<u32>().map(Some)
    };
    let result = match (level, lift_after_days) {
        (Some(level), Ok(lift_after_days)) => {
            state
                .app
                .designate_area(
                    &user.actor,
                    &Designation {
                        code: form.code.trim(),
                        name: &form.name,
                        level,
                        lift_after_days,
                        addresses: form
                            .addresses
                            .lines()
                            .map(str::trim)
                            .filter(|a| !a.is_empty())
                            .map(str::to_string)
                            .collect(),
                    },
                )
                .await
        }
        (level, lift) => {
            let mut invalid = Vec::new();
            if level.is_none() {
                invalid.push((
                    "level".to_string(),
                    format!("expected one of {}", AreaRisk::keys()),
                ));
            }
            if lift.is_err() {
                invalid.push((
                    "lift_after_days".to_string(),
                    "must be a whole number of days".to_string(),
                ));
            }
            Err(Error::Invalid(invalid))
        }
    };
    match result {
        Ok(_) => Ok(Redirect::to("/inbound/risk-areas?done=designated").into_response()),
        Err(e) => {
            let notice = form_error(e, user.lang)?;
            areas_page(&state, &user, notice, Some(&form)).await
        }
    }
}

/// The form lifting a designation.
#[derive(Debug, Deserialize)]
pub struct LiftForm {
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// `POST /inbound/risk-areas/{id}/lift`.
pub async fn lift(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(form): Form<LiftForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    match state.app.lift_area(&user.actor, id, &form.reason).await {
        Ok(_) => Ok(Redirect::to("/inbound/risk-areas?done=lifted").into_response()),
        Err(e) => {
            let notice = form_error(e, user.lang)?;
            areas_page(&state, &user, notice, None).await
        }
    }
}

/// A form with only the CSRF token.
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// `POST /inbound/risk-areas/sweep`: runs the lifting rule now.
pub async fn sweep(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let lifted = state
        .app
        .lift_due_areas(&user.actor)
        .await
        .map_err(err(user.lang))?;
    let codes: Vec<&str> = lifted
        .iter()
        .map(|a| a.jurisdiction_code.as_str())
        .collect();
    let done = format!(
        "{} {}{}",
        text(user.lang, "inbound.swept"),
        lifted.len(),
        if codes.is_empty() {
            String::new()
        } else {
            format!(" ({})", codes.join(", "))
        }
    );
    let notice = Notice {
        done: Some(done),
        ..Notice::default()
    };
    areas_page(&state, &user, notice, None).await
}

/// `POST /inbound/risk-areas/import`: a `multipart/form-data` upload of a risk-area list.
pub async fn import_areas(
    State(state): State<AppState>,
    user: WebUser,
    form: Multipart,
) -> PageResult {
    let (csrf, file) = upload(form).await;
    check_csrf(&user, &csrf)?;
    let Some((file_name, data)) = file else {
        let notice = Notice::error(text(user.lang, "inbound.no_file"));
        return areas_page(&state, &user, notice, None).await;
    };
    let notice = match state
        .app
        .import_risk_areas(&user.actor, &file_name, &data)
        .await
    {
        Ok(o) => Notice {
            done: Some(format!(
                "{file_name}: {}",
                text(user.lang, "inbound.imported")
            )),
            outcome: vec![
                ("inbound.out.rows".into(), o.rows),
                ("inbound.out.created".into(), o.created),
                ("inbound.out.redesignated".into(), o.updated),
                ("inbound.out.unchanged".into(), o.unchanged),
            ],
            ..Notice::default()
        },
        Err(e) => form_error(e, user.lang)?,
    };
    areas_page(&state, &user, notice, None).await
}

// ---------------------------------------------------------------------------------------
// Arrivals.

/// The fields of [`fangkong_api_types::ArrivalReport`] as a form.
#[derive(Debug, Default, Deserialize)]
pub struct ArrivalForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    document_kind: String,
    #[serde(default)]
    document_number: String,
    #[serde(default)]
    nationality: String,
    #[serde(default)]
    sex: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    community_code: String,
    #[serde(default)]
    origin: String,
    #[serde(default)]
    origin_address: String,
    #[serde(default)]
    route: String,
    #[serde(default)]
    departed_on: String,
    #[serde(default)]
    arrived_at: String,
    #[serde(default)]
    vaccination: String,
    #[serde(default)]
    occupation: String,
}

impl ArrivalForm {
    fn report(&self) -> fangkong_api_types::ArrivalReport {
        let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        fangkong_api_types::ArrivalReport {
            name: self.name.trim().to_string(),
            id_number: opt(&self.id_number),
            document_kind: opt(&self.document_kind),
            document_number: opt(&self.document_number),
            nationality: opt(&self.nationality),
            sex: opt(&self.sex),
            birth_date: opt(&self.birth_date),
            phone: opt(&self.phone),
            address: opt(&self.address),
            community_code: self.community_code.trim().to_string(),
            origin: self.origin.trim().to_string(),
            origin_address: opt(&self.origin_address),
            route: opt(&self.route),
            departed_on: opt(&self.departed_on),
            arrived_at: self.arrived_at.trim().to_string(),
            vaccination: opt(&self.vaccination),
            occupation: opt(&self.occupation),
            source: None,
        }
    }

    /// The values typed, except the full document numbers (never echoed).
    fn value(&self) -> Value {
        context! {
            name => self.name.clone(), document_kind => self.document_kind.clone(),
            nationality => self.nationality.clone(), sex => self.sex.clone(),
            birth_date => self.birth_date.clone(), address => self.address.clone(),
            community_code => self.community_code.clone(), origin => self.origin.clone(),
            origin_address => self.origin_address.clone(), route => self.route.clone(),
            departed_on => self.departed_on.clone(), arrived_at => self.arrived_at.clone(),
            vaccination => self.vaccination.clone(), occupation => self.occupation.clone(),
        }
    }
}

fn outcome_lines(o: &fangkong_app::measures::ArrivalsOutcome) -> Vec<(String, u64)> {
    let mut lines = vec![
        ("inbound.out.rows".to_string(), o.rows),
        ("inbound.out.persons_created".to_string(), o.persons_created),
        ("inbound.out.persons_updated".to_string(), o.persons_updated),
        ("inbound.out.entries_created".to_string(), o.entries_created),
        ("inbound.out.entries_merged".to_string(), o.entries_merged),
        (
            "inbound.out.entries_unchanged".to_string(),
            o.entries_unchanged,
        ),
        (
            "inbound.out.measures_created".to_string(),
            o.measures_created,
        ),
    ];
    lines.extend(
        o.by_rule
            .iter()
            .map(|(rule, n)| (format!("rule:{rule}"), *n)),
    );
    lines
}

async fn travel_page(
    state: &AppState,
    user: &WebUser,
    notice: Notice,
    form: Option<&ArrivalForm>,
) -> PageResult {
    let entries = state
        .app
        .travel_entries(&user.actor, None, ARRIVALS)
        .await
        .map_err(err(user.lang))?;
    let blank = ArrivalForm::default();
    let page = context! {
        entries => entries.iter().map(|t| context! {
            id => t.id, name => mask_name(&t.person_name), pocket => t.pocket.clone(),
            origin => t.origin.clone(), origin_address => t.origin_address.clone(),
            route => t.route.clone(), departed_on => t.departed_on.clone(),
            arrived_at => china_time(t.arrived_at), community_code => t.community_code.clone(),
            source => t.source.clone(), vaccination => t.vaccination.clone(),
            measure_id => t.measure_id,
        }).collect::<Vec<_>>(),
        can_operate => user.actor.scope.can(Permission::InboundOperate),
        vaccinations => fangkong_domain::policy::Vaccination::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>(),
        form => form.unwrap_or(&blank).value(),
        notice => notice.value(),
    };
    with_status(
        render_page(
            state,
            user,
            "inbound/travel.html",
            "inbound",
            "/inbound/travel",
            page,
        ),
        notice.failed(),
    )
}

/// `GET /inbound/travel`.
pub async fn travel(State(state): State<AppState>, user: WebUser) -> PageResult {
    travel_page(&state, &user, Notice::default(), None).await
}

/// `POST /inbound/travel/import`: a `multipart/form-data` upload of a traveller list.
pub async fn import_travel(
    State(state): State<AppState>,
    user: WebUser,
    form: Multipart,
) -> PageResult {
    let (csrf, file) = upload(form).await;
    check_csrf(&user, &csrf)?;
    let Some((file_name, data)) = file else {
        let notice = Notice::error(text(user.lang, "inbound.no_file"));
        return travel_page(&state, &user, notice, None).await;
    };
    let notice = match state
        .app
        .import_travel(&user.actor, &file_name, &data)
        .await
    {
        Ok(o) => Notice {
            done: Some(format!(
                "{file_name}: {}",
                text(user.lang, "inbound.imported")
            )),
            outcome: outcome_lines(&o),
            ..Notice::default()
        },
        Err(e) => form_error(e, user.lang)?,
    };
    travel_page(&state, &user, notice, None).await
}

/// `POST /inbound/travel`: reports one arrival at a checkpoint.
pub async fn report_arrival(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<ArrivalForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let report = form.report();
    match state
        .app
        .report_arrival(&user.actor, &report.fields(), TravelSource::Checkpoint)
        .await
    {
        Ok(o) => {
            let notice = Notice {
                done: Some(text(user.lang, "inbound.done.reported")),
                outcome: outcome_lines(&o),
                ..Notice::default()
            };
            travel_page(&state, &user, notice, None).await
        }
        Err(e) => {
            let notice = form_error(e, user.lang)?;
            travel_page(&state, &user, notice, Some(&form)).await
        }
    }
}

// ---------------------------------------------------------------------------------------
// Measures.

/// Filter of the measure list.
#[derive(Debug, Deserialize)]
pub struct MeasuresQuery {
    status: Option<String>,
}

/// `GET /inbound/measures`: open measures (or all), with checkboxes to print notices.
pub async fn measures(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<MeasuresQuery>,
) -> PageResult {
    let open_only = q.status.as_deref() != Some("all");
    let views = state
        .app
        .measures(&user.actor, None, open_only, LIST_LIMIT)
        .await
        .map_err(err(user.lang))?;
    let today = state.app.today();
    let page = context! {
        status => if open_only { "open" } else { "all" },
        measures => views.iter().map(|v| measure_value(v, user.lang, today)).collect::<Vec<_>>(),
        can_operate => user.actor.scope.can(Permission::InboundOperate),
        limit => LIST_LIMIT,
    };
    render_page(
        &state,
        &user,
        "inbound/measures.html",
        "inbound",
        "/inbound/measures",
        page,
    )
}

async fn measure_page(
    state: &AppState,
    user: &WebUser,
    id: i64,
    notice: Notice,
    link: Option<(String, i64)>,
) -> PageResult {
    let v = state
        .app
        .measure(&user.actor, id)
        .await
        .map_err(err(user.lang))?;
    let today = state.app.today();
    let page = context! {
        m => measure_value(&v, user.lang, today),
        today => today.to_string(),
        symptoms => SYMPTOMS.to_vec(),
        can_operate => user.actor.scope.can(Permission::InboundOperate),
        link => link.as_ref().map(|(url, expires)| context! { url => url.clone(), expires_at => china_time(*expires) }),
        notice => notice.value(),
    };
    let here = format!("/inbound/measures/{id}");
    with_status(
        render_page(state, user, "inbound/measure.html", "inbound", &here, page),
        notice.failed(),
    )
}

/// `GET /inbound/measures/{id}`.
pub async fn measure(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let notice = Notice {
        done: done_text(user.lang, q.done.as_deref()),
        ..Notice::default()
    };
    measure_page(&state, &user, id, notice, None).await
}

/// After a lifecycle action: back to the measure page, or the page with the refusal.
async fn after_action(
    state: &AppState,
    user: &WebUser,
    id: i64,
    result: Result<MeasureView, Error>,
    done: &str,
) -> PageResult {
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/inbound/measures/{id}?done={done}")).into_response()),
        Err(e) => {
            let notice = form_error(e, user.lang)?;
            measure_page(state, user, id, notice, None).await
        }
    }
}

/// `POST /inbound/measures/{id}/activate`.
pub async fn activate(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let r = state.app.activate_measure(&user.actor, id).await;
    after_action(&state, &user, id, r, "activated").await
}

/// `POST /inbound/measures/{id}/release`: refused with every unmet criterion on the page.
pub async fn release(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let r = state.app.release_measure(&user.actor, id).await;
    after_action(&state, &user, id, r, "released").await
}

/// `POST /inbound/measures/{id}/escalate`.
pub async fn escalate(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(form): Form<LiftForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let r = state
        .app
        .escalate_measure(&user.actor, id, &form.reason)
        .await;
    after_action(&state, &user, id, r, "escalated").await
}

fn temperature(value: &str) -> Result<f64, Error> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|t| t.is_finite())
        .ok_or_else(|| Error::invalid("temperature", "must be a number in °C"))
}

/// `POST /inbound/measures/{id}/checks`: a health check recorded by staff (`day`, empty for
/// today; `temperature`; `symptoms` once per ticked box).
pub async fn record_check(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let f = Fields(form);
    check_csrf(&user, f.one("csrf"))?;
    let day = f.one("day").trim();
    let day = if day.is_empty() {
        Ok(None)
    } else {
        NaiveDate::parse_from_str(day, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| Error::invalid("day", "must be a date YYYY-MM-DD"))
    };
    let r = match (day, temperature(f.one("temperature"))) {
        (Ok(day), Ok(t)) => {
            state
                .app
                .record_health_check(&user.actor, id, day, t, &f.all("symptoms"))
                .await
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    after_action(&state, &user, id, r, "checked").await
}

/// `POST /inbound/measures/{id}/link`: issues a personal link and shows its full address.
pub async fn issue_link(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let (token, expires) = state
        .app
        .personal_link(&user.actor, id)
        .await
        .map_err(err(user.lang))?;
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if state.secure_cookies {
        "https"
    } else {
        "http"
    };
    let url = format!("{scheme}://{host}/h/{token}");
    measure_page(&state, &user, id, Notice::default(), Some((url, expires))).await
}

// ---------------------------------------------------------------------------------------
// Reviews.

/// `GET /inbound/reviews`: pending re-evaluations, old → new measure.
pub async fn reviews(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let e = err(user.lang);
    let reviews = state
        .app
        .measure_reviews(&user.actor, true)
        .await
        .map_err(&e)?;
    let mut items = Vec::with_capacity(reviews.len());
    for r in &reviews {
        let plan = decode_plan(&r.stages, &r.test_days).map_err(&e)?;
        items.push(context! {
            id => r.id, measure_id => r.measure_id, travel_entry_id => r.travel_entry_id,
            name => mask_name(&r.person_name),
            community_code => r.community_code.clone(), trigger_kind => r.trigger_kind.clone(),
            trigger_ref => r.trigger_ref.clone(), old_rule_id => r.old_rule_id.clone(),
            old_text => r.old_text_zh.clone(), rule_id => r.rule_id.clone(),
            policy_version => r.policy_version.clone(),
            new_text => by_lang(user.lang, &plan.text_zh(), &plan.text_en()),
            explanation => by_lang(user.lang, &r.explanation_zh, &r.explanation_en),
            created_at => china_time(r.created_at),
        });
    }
    let page = context! {
        reviews => items,
        can_operate => user.actor.scope.can(Permission::InboundOperate),
        notice => Notice { done: done_text(user.lang, q.done.as_deref()), ..Notice::default() }.value(),
    };
    render_page(
        &state,
        &user,
        "inbound/reviews.html",
        "inbound",
        "/inbound/reviews",
        page,
    )
}

/// The form deciding a review.
#[derive(Debug, Deserialize)]
pub struct DecideForm {
    csrf: String,
    /// `apply` or `dismiss`.
    decision: String,
}

/// `POST /inbound/reviews/{id}`: applies or dismisses a review.
pub async fn decide(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(form): Form<DecideForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let apply = match form.decision.as_str() {
        "apply" => true,
        "dismiss" => false,
        _ => {
            return Err(WebError::new(
                &Error::invalid("decision", "expected apply or dismiss"),
                user.lang,
            ))
        }
    };
    state
        .app
        .decide_review(&user.actor, id, apply)
        .await
        .map_err(err(user.lang))?;
    let done = if apply { "applied" } else { "dismissed" };
    Ok(Redirect::to(&format!("/inbound/reviews?done={done}")).into_response())
}

// ---------------------------------------------------------------------------------------
// Notices.

/// `POST /inbound/notices`: the selected measures (`id` once per ticked box) with a purpose,
/// as printable notices with the names revealed (audited by the app).
pub async fn notices(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let f = Fields(form);
    check_csrf(&user, f.one("csrf"))?;
    let e = err(user.lang);
    let ids = f
        .all("id")
        .iter()
        .map(|s| s.trim().parse::<i64>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| WebError::new(&Error::invalid("id", "must be a measure id"), user.lang))?;
    let views = state
        .app
        .notices(&user.actor, &ids, f.one("purpose"))
        .await
        .map_err(&e)?;
    let mut names = std::collections::HashMap::new();
    for v in &views {
        let code = &v.measure.community_code;
        if !names.contains_key(code) {
            let name = state
                .app
                .jurisdiction_path(code)
                .await
                .ok()
                .map(|path| {
                    path.iter()
                        .skip(1)
                        .map(|j| j.name.clone())
                        .collect::<Vec<_>>()
                        .join("")
                })
                .unwrap_or_default();
            names.insert(code.clone(), name);
        }
    }
    let today = state.app.today();
    let items: Vec<Value> = views
        .iter()
        .map(|v| {
            let m = &v.measure;
            context! {
                id => m.id,
                // Revealed: the notice is handed to the person; App::notices audited it.
                name => m.person_name.clone(),
                doc_masked => m.doc_masked.clone(),
                community_code => m.community_code.clone(),
                community_name => names.get(&m.community_code).cloned().unwrap_or_default(),
                plan => by_lang(user.lang, &v.plan.text_zh(), &v.plan.text_en()),
                explanation => by_lang(user.lang, &m.explanation_zh, &m.explanation_en),
                starts_on => v.starts_on.to_string(),
                ends_on => v.ends_on.to_string(),
                days => (v.ends_on - v.starts_on).num_days() + 1,
                stages => stages_value(v),
                tests => v.tests.iter().map(|t| context! { day => t.day, date => t.date.to_string() }).collect::<Vec<_>>(),
                policy_version => m.policy_version.clone(),
                rule_id => m.rule_id.clone(),
            }
        })
        .collect();
    let page = context! {
        notices => items,
        purpose => f.one("purpose").trim().to_string(),
        issued_on => today.to_string(),
        fever => format!("{:.1}", fangkong_app::measures::FEVER_CELSIUS),
    };
    render_page(
        &state,
        &user,
        "inbound/notices.html",
        "inbound",
        "/inbound/measures",
        page,
    )
}

// ---------------------------------------------------------------------------------------
// The personal health-check page (no account: the link is the credential).

fn link_context(lang: Lang, page: Value) -> Value {
    context! {
        lang => lang.tag(),
        version => env!("CARGO_PKG_VERSION"),
        ..page
    }
}

fn link_refusal(lang: Lang) -> PageResult {
    let mut page = render(
        "inbound/link_refused.html",
        link_context(lang, context! {}),
        lang,
    )?;
    *page.status_mut() = StatusCode::UNAUTHORIZED;
    Ok(page)
}

async fn link_page(
    state: &AppState,
    lang: Lang,
    token: &str,
    error: Option<String>,
    recorded: Option<String>,
) -> PageResult {
    let views = match state.app.link_measures(token).await {
        Ok(v) => v,
        Err(Error::Unauthenticated) => return link_refusal(lang),
        Err(e) => return Err(WebError::new(&e, lang)),
    };
    let today = state.app.today();
    let failed = error.is_some();
    let page = context! {
        token => token.to_string(),
        today => today.to_string(),
        symptoms => SYMPTOMS.to_vec(),
        measures => views.iter().map(|v| measure_value(v, lang, today)).collect::<Vec<_>>(),
        error,
        recorded,
    };
    let mut page = render("inbound/link.html", link_context(lang, page), lang)?;
    if failed {
        *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(page)
}

/// `GET /h/{token}`: the household's open measures and a form per person.
pub async fn link(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    Path(token): Path<String>,
) -> PageResult {
    link_page(&state, lang, &token, None, None).await
}

/// `POST /h/{token}`: today's health check of one person the link reaches
/// (`measure_id`, `temperature`, `symptoms` once per ticked box).
pub async fn link_check(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    Path(token): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let f = Fields(form);
    let measure_id = f.one("measure_id").trim().parse::<i64>().ok();
    let result = match (measure_id, temperature(f.one("temperature"))) {
        (Some(id), Ok(t)) => {
            state
                .app
                .link_health_check(&token, id, t, &f.all("symptoms"))
                .await
        }
        (None, _) => Err(Error::NotFound),
        (_, Err(e)) => Err(e),
    };
    match result {
        Ok(()) => {
            link_page(
                &state,
                lang,
                &token,
                None,
                Some(text(lang, "link.recorded")),
            )
            .await
        }
        Err(Error::Unauthenticated) => link_refusal(lang),
        Err(Error::NotFound) => {
            link_page(
                &state,
                lang,
                &token,
                Some(text(lang, "link.not_reached")),
                None,
            )
            .await
        }
        Err(e) => match form_error(e, lang)? {
            Notice {
                error: Some(message),
                ..
            } => link_page(&state, lang, &token, Some(message), None).await,
            _ => link_page(&state, lang, &token, None, None).await,
        },
    }
}

// ---------------------------------------------------------------------------------------
// Policy versions.

async fn policies_page(state: &AppState, user: &WebUser, notice: Notice) -> PageResult {
    let versions = state
        .app
        .policies(&user.actor)
        .await
        .map_err(err(user.lang))?;
    let today = state.app.today();
    let parsed: Vec<fangkong_domain::policy::Policy> =
        versions.iter().map(|v| v.policy.clone()).collect();
    let in_force =
        fangkong_domain::policy::in_force(&parsed, today).map(|p| p.version().to_string());
    let page = context! {
        today => today.to_string(),
        in_force => in_force.clone(),
        versions => versions.iter().rev().map(|v| context! {
            version => v.stored.version.clone(),
            effective_from => v.stored.effective_from.clone(),
            loaded_at => china_time(v.stored.loaded_at),
            loaded_by => v.stored.loaded_by.clone(),
            sha256 => v.stored.source_sha256[..12].to_string(),
            in_force => in_force.as_deref() == Some(v.stored.version.as_str()),
            rules => v.policy.rules().iter().map(|r| context! {
                id => r.id.clone(),
                title => by_lang(user.lang, &r.title_zh, &r.title_en),
                measure => by_lang(user.lang, &r.measure.text_zh(), &r.measure.text_en()),
            }).collect::<Vec<_>>(),
        }).collect::<Vec<_>>(),
        can_manage => user.actor.scope.can(Permission::InboundManage),
        notice => notice.value(),
    };
    with_status(
        render_page(
            state,
            user,
            "inbound/policies.html",
            "inbound",
            "/inbound/policies",
            page,
        ),
        notice.failed(),
    )
}

/// `GET /inbound/policies`: every control-measure policy version with its rules, the one in
/// force today marked.
pub async fn policies(State(state): State<AppState>, user: WebUser) -> PageResult {
    policies_page(&state, &user, Notice::default()).await
}

/// `POST /inbound/policies`: loads a policy file (TOML) as a new version; a bad file is
/// refused with every problem named, and the running versions stay.
pub async fn load_policy(
    State(state): State<AppState>,
    user: WebUser,
    form: Multipart,
) -> PageResult {
    let (csrf, file) = upload(form).await;
    check_csrf(&user, &csrf)?;
    let Some((file_name, data)) = file else {
        let notice = Notice::error(text(user.lang, "inbound.no_file"));
        return policies_page(&state, &user, notice).await;
    };
    let notice = match String::from_utf8(data) {
        Err(_) => Notice::error(format!(
            "{file_name}: {}",
            text(user.lang, "inbound.not_utf8")
        )),
        Ok(source) => match state
            .app
            .load_policy(&user.actor, &file_name, &source)
            .await
        {
            Ok((v, added)) => Notice {
                done: Some(format!(
                    "{file_name}: {} {} ({})",
                    v.stored.version,
                    text(
                        user.lang,
                        if added {
                            "inbound.policy_loaded"
                        } else {
                            "inbound.policy_unchanged"
                        }
                    ),
                    v.stored.effective_from
                )),
                ..Notice::default()
            },
            Err(e) => form_error(e, user.lang)?,
        },
    };
    policies_page(&state, &user, notice).await
}
