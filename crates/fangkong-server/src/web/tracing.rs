//! Epidemiological investigation and tracing pages (流调溯源): the overview with tracing
//! timeliness by county, the suspected cases from testing waiting to be registered and the
//! case list; a case page where an investigator records the itinerary, works through the
//! exposure candidates and the contact list and links the case into its chain; the chain
//! graph with its clusters, serial interval and downloads; and venues with a venue-time
//! exposure search and the venue-list and check-in uploads.
//!
//! Every value comes from an app function, which checks `tracing.read` (or
//! `tracing.operate`) and keeps to the actor's jurisdiction; names are shown masked and ID
//! numbers only in their masked form. This module decides nothing about access.

use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use fangkong_app::tracing::{
    Candidate, CaseInput, CaseUpdate, ContactInput, ItineraryInput, LinkInput, TimelinessRow,
    DEFAULT_MARGIN_MINUTES, MAX_MARGIN_MINUTES, TIMELY_HOURS,
};
use fangkong_app::Error;
use fangkong_domain::mask::mask_name;
use fangkong_domain::policy::ContactType;
use fangkong_domain::{
    CaseClass, CaseOutcome, ContactSetting, ContactStatus, Detection, JurisdictionCode, Permission,
    Severity, TransportKind,
};
use fangkong_epi::chains::LinkConfidence;
use fangkong_ingest::checkins::VenueKind;
use fangkong_store::tracing::{Case, Venue};
use minijinja::{context, Value};
use serde::Deserialize;

use super::forms::{by_lang, china_time, err, form_error, name_of, options, with_status, Notice};
use super::{check_csrf, render_page, PageResult, WebError};
use crate::auth::WebUser;
use crate::i18n::{text, Lang};
use crate::AppState;

/// Cases on the overview.
const CASES: i64 = 200;
/// Venues listed by a search.
const VENUES: i64 = 100;
/// Days of cases the timeliness table covers.
const TIMELINESS_DAYS: i64 = 30;
const MS_PER_DAY: i64 = 86_400_000;

/// Unix milliseconds as RFC 3339 in China Standard Time, to the second: the exact value a
/// form sends back (the displayed time drops the seconds).
fn exact_time(ms: i64) -> String {
    chrono::FixedOffset::east_opt(8 * 3600)
        .zip(chrono::DateTime::from_timestamp_millis(ms))
        .map(|(cst, t)| {
            t.with_timezone(&cst)
                .format("%Y-%m-%dT%H:%M:%S%:z")
                .to_string()
        })
        .unwrap_or_default()
}

fn hours(h: Option<f64>) -> Option<String> {
    h.map(|h| format!("{h:.1}"))
}

fn late(h: Option<f64>) -> bool {
    h.is_some_and(|h| h > TIMELY_HOURS)
}

/// A trimmed form value, none when empty.
fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

/// A whole number from a form field, none when empty.
fn opt_number(field: &str, s: &str, invalid: &mut Vec<(String, String)>) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let n = s.parse::<i64>().ok();
    if n.is_none() {
        invalid.push((field.to_string(), "must be a whole number".to_string()));
    }
    n
}

fn done_text(lang: Lang, done: Option<&str>) -> Option<String> {
    super::forms::done_text(lang, "tracing", done)
}

// ---------------------------------------------------------------------------------------
// Values for templates.

fn case_value(c: &Case, lang: Lang) -> Value {
    let t = fangkong_app::tracing::case_timeliness(c);
    let f = &c.fields;
    context! {
        id => c.id,
        person_id => c.person_id,
        name => mask_name(&c.person_name),
        doc_masked => c.person_doc_masked.clone(),
        community_code => c.community_code.clone(),
        classification => f.classification.clone(),
        classification_name => name_of!(CaseClass, lang, &f.classification),
        detection_name => name_of!(Detection, lang, &c.detection),
        source_tube => c.source_tube.clone(),
        source_alert => c.source_alert.clone(),
        onset_at => f.onset_at.map(china_time),
        detected_at => china_time(c.detected_at),
        reported_at => china_time(c.reported_at),
        isolated_at => f.isolated_at.map(china_time),
        admitted_at => f.admitted_at.map(china_time),
        severity => f.severity.clone(),
        severity_name => f.severity.as_deref().map(|s| name_of!(Severity, lang, s)),
        outcome => f.outcome.clone(),
        outcome_name => name_of!(CaseOutcome, lang, &f.outcome),
        outcome_at => f.outcome_at.map(china_time),
        itinerary_completed_at => f.itinerary_completed_at.map(china_time),
        contacts_completed_at => f.contacts_completed_at.map(china_time),
        contacts_controlled_at => f.contacts_controlled_at.map(china_time),
        itinerary_hours => hours(t.itinerary_hours),
        itinerary_late => late(t.itinerary_hours),
        contacts_hours => hours(t.contacts_hours),
        contacts_late => late(t.contacts_hours),
        created_by => c.created_by.clone(),
    }
}

fn timeliness_value(r: &TimelinessRow) -> Value {
    let share = |within: u64, done: u64| {
        (done > 0).then(|| format!("{:.0}%", 100.0 * within as f64 / done as f64))
    };
    context! {
        code => r.code.clone(), name => r.name.clone(), total => r.code.is_empty(),
        cases => r.cases,
        itinerary_done => r.itinerary_done,
        itinerary_median => hours(r.itinerary_median_hours),
        itinerary_within => r.itinerary_within_24h,
        itinerary_share => share(r.itinerary_within_24h, r.itinerary_done),
        itinerary_late => late(r.itinerary_median_hours),
        contacts_done => r.contacts_done,
        contacts_median => hours(r.contacts_median_hours),
        contacts_within => r.contacts_within_24h,
        contacts_share => share(r.contacts_within_24h, r.contacts_done),
        contacts_late => late(r.contacts_median_hours),
    }
}

fn venue_value(v: &Venue, lang: Lang) -> Value {
    context! {
        id => v.id, place_code => v.place_code.clone(), name => v.name.clone(),
        subtype => VenueKind::parse(&v.subtype).map_or_else(|| v.subtype.clone(), |k| by_lang(lang, k.name_zh(), k.as_str())),
        community_code => v.community_code.clone(),
    }
}

/// A candidate contact; `now` caps the last exposure a confirmation sends (a check-in
/// without a check-out is assumed to last past the present).
fn candidate_value(c: &Candidate, lang: Lang, now: i64) -> Value {
    context! {
        person_id => c.person.id,
        name => mask_name(&c.person.name),
        doc_masked => c.person.doc_masked.clone(),
        community_code => c.person.community_code.clone(),
        in_scope => c.in_scope,
        setting => c.setting.as_str(),
        setting_name => by_lang(lang, c.setting.name_zh(), c.setting.name_en()),
        venue_id => c.venue.as_ref().map(|v| v.id),
        venue_name => c.venue.as_ref().map(|v| v.name.clone()),
        place_code => c.venue.as_ref().map(|v| v.place_code.clone()),
        overlap_minutes => c.overlap_minutes,
        first_at => china_time(c.first_at),
        last_at => china_time(c.last_at),
        last_exposure_at => exact_time(c.last_at.min(now)),
        pairs => c.pairs,
    }
}

// ---------------------------------------------------------------------------------------
// The overview.

/// Filters of the case list and what a form did.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OverviewQuery {
    classification: String,
    county: String,
    done: String,
}

/// The registration form (from a pending case or by ID number).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RegisterForm {
    csrf: String,
    person_id: String,
    id_number: String,
    classification: String,
    detection: String,
    source_tube: String,
    source_alert: String,
    onset_at: String,
    detected_at: String,
    reported_at: String,
    severity: String,
}

impl RegisterForm {
    /// The values typed, except the ID number (never echoed).
    fn value(&self) -> Value {
        context! {
            classification => self.classification.clone(), detection => self.detection.clone(),
            source_tube => self.source_tube.clone(), source_alert => self.source_alert.clone(),
            onset_at => self.onset_at.clone(), detected_at => self.detected_at.clone(),
            reported_at => self.reported_at.clone(), severity => self.severity.clone(),
        }
    }
}

async fn overview_page(
    state: &AppState,
    user: &WebUser,
    q: &OverviewQuery,
    notice: Notice,
    form: Option<&RegisterForm>,
) -> PageResult {
    let e = err(user.lang);
    let lang = user.lang;
    let classification = match q.classification.trim() {
        "" => None,
        c => Some(CaseClass::parse(c).ok_or_else(|| {
            WebError::new(
                &Error::invalid(
                    "classification",
                    format!("must be one of {}", CaseClass::keys()),
                ),
                lang,
            )
        })?),
    };
    let county = match q.county.trim() {
        "" => None,
        c => Some(JurisdictionCode::parse(c).map_err(|_| {
            WebError::new(&Error::invalid("county", "not a jurisdiction code"), lang)
        })?),
    };
    let since = state.app.now_ms() - TIMELINESS_DAYS * MS_PER_DAY;
    let timeliness = state
        .app
        .tracing_timeliness(&user.actor, since)
        .await
        .map_err(&e)?;
    let pending = state.app.pending_cases(&user.actor).await.map_err(&e)?;
    let cases = state
        .app
        .cases(&user.actor, classification, county.as_ref(), CASES)
        .await
        .map_err(&e)?;
    let blank = RegisterForm::default();
    let page = context! {
        days => TIMELINESS_DAYS,
        timely_hours => TIMELY_HOURS,
        timeliness => timeliness.iter().map(timeliness_value).collect::<Vec<_>>(),
        pending => pending.iter().map(|p| context! {
            person_id => p.person_id, name => mask_name(&p.person_name),
            doc_masked => p.person_doc_masked.clone(), community_code => p.community_code.clone(),
            tube_code => p.tube_code.clone(), flagged_at => china_time(p.flagged_at),
        }).collect::<Vec<_>>(),
        cases => cases.iter().map(|c| case_value(c, lang)).collect::<Vec<_>>(),
        limit => CASES,
        classification => classification.map(CaseClass::as_str).unwrap_or_default(),
        county => county.map(|c| c.to_string()).unwrap_or_default(),
        classes => options!(CaseClass, lang),
        register_classes => CaseClass::ALL.iter().filter(|c| **c != CaseClass::Excluded)
            .map(|v| context! { key => v.as_str(), name => by_lang(lang, v.name_zh(), v.name_en()) })
            .collect::<Vec<_>>(),
        detections => options!(Detection, lang),
        severities => options!(Severity, lang),
        can_operate => user.actor.scope.can(Permission::TracingOperate),
        form => form.unwrap_or(&blank).value(),
        notice => notice.value(),
    };
    with_status(
        render_page(
            state,
            user,
            "tracing/overview.html",
            "tracing",
            "/tracing",
            page,
        ),
        notice.failed(),
    )
}

/// `GET /tracing`.
pub async fn overview(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<OverviewQuery>,
) -> PageResult {
    let notice = Notice {
        done: done_text(user.lang, Some(&q.done)),
        ..Notice::default()
    };
    overview_page(&state, &user, &q, notice, None).await
}

/// `POST /tracing/cases`: registers a case, then shows it.
pub async fn register(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<RegisterForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let mut invalid = Vec::new();
    let person_id = opt_number("person_id", &form.person_id, &mut invalid);
    let result = if invalid.is_empty() {
        let input = CaseInput {
            person_id,
            id_number: opt(&form.id_number),
            classification: form.classification.trim().to_string(),
            detection: form.detection.trim().to_string(),
            source_tube: opt(&form.source_tube),
            source_alert: opt(&form.source_alert),
            onset_at: opt(&form.onset_at),
            detected_at: opt(&form.detected_at),
            reported_at: opt(&form.reported_at),
            severity: opt(&form.severity),
        };
        state.app.register_case(&user.actor, &input).await
    } else {
        Err(Error::Invalid(invalid))
    };
    match result {
        Ok(case) => Ok(
            Redirect::to(&format!("/tracing/cases/{}?done=registered", case.id)).into_response(),
        ),
        Err(e) => {
            let notice = form_error(e, user.lang)?;
            overview_page(
                &state,
                &user,
                &OverviewQuery::default(),
                notice,
                Some(&form),
            )
            .await
        }
    }
}

// ---------------------------------------------------------------------------------------
// A case.

/// The matching margin and what a form did.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CaseQuery {
    margin: String,
    done: String,
}

/// What the case page's forms held, to show them again after a refusal.
#[derive(Debug, Default)]
struct CaseForms {
    update: Option<UpdateForm>,
    itinerary: Option<ItineraryForm>,
    link: Option<LinkForm>,
}

fn parse_margin(text: &str) -> Result<i64, Error> {
    match text.trim() {
        "" => Ok(DEFAULT_MARGIN_MINUTES),
        t => t
            .parse::<i64>()
            .ok()
            .filter(|m| (0..=MAX_MARGIN_MINUTES).contains(m))
            .ok_or_else(|| {
                Error::invalid(
                    "margin",
                    format!("must be between 0 and {MAX_MARGIN_MINUTES} minutes"),
                )
            }),
    }
}

/// The value shown for a history entry's from/to (times, vocabulary keys in `lang`).
fn event_value(kind: &str, value: Option<&str>, lang: Lang) -> Option<String> {
    let v = value?;
    Some(match kind {
        "registered" | "reclassified" => name_of!(CaseClass, lang, v),
        "severity" => name_of!(Severity, lang, v),
        "outcome" => name_of!(CaseOutcome, lang, v),
        "onset" | "isolated" | "admitted" => v.parse::<i64>().map_or(v.to_string(), china_time),
        _ => v.to_string(),
    })
}

async fn case_page(
    state: &AppState,
    user: &WebUser,
    id: i64,
    margin_text: &str,
    mut notice: Notice,
    forms: CaseForms,
) -> PageResult {
    let e = err(user.lang);
    let lang = user.lang;
    let d = state.app.case_detail(&user.actor, id).await.map_err(&e)?;
    let (margin, candidates) = match parse_margin(margin_text) {
        Ok(m) => (
            m,
            state
                .app
                .exposure_candidates(&user.actor, id, m)
                .await
                .map_err(&e)?,
        ),
        Err(bad) => {
            notice = form_error(bad, lang)?;
            (DEFAULT_MARGIN_MINUTES, Vec::new())
        }
    };
    let secondary = state
        .app
        .secondary_candidates(&user.actor, id)
        .await
        .map_err(&e)?;
    let now = state.app.now_ms();
    let update = forms.update.unwrap_or_default();
    let itinerary = forms.itinerary.unwrap_or_default();
    let link = forms.link.unwrap_or_default();
    let link_value = |l: &fangkong_store::tracing::Link, other: i64| {
        context! {
            id => l.id, case_id => other,
            confidence => l.confidence.clone(),
            confidence_name => name_of!(LinkConfidence, lang, &l.confidence),
            setting_name => name_of!(ContactSetting, lang, &l.setting),
            note => l.note.clone(), created_at => china_time(l.created_at),
            created_by => l.created_by.clone(),
        }
    };
    let page = context! {
        case => case_value(&d.case, lang),
        lookback_from => china_time(d.lookback.0),
        lookback_to => china_time(d.lookback.1),
        events => d.events.iter().map(|ev| context! {
            at => china_time(ev.at),
            kind => ev.kind.clone(),
            from => event_value(&ev.kind, ev.from_value.as_deref(), lang),
            to => event_value(&ev.kind, ev.to_value.as_deref(), lang),
            note => ev.note.clone(),
            actor => ev.actor.clone(),
        }).collect::<Vec<_>>(),
        itinerary => d.itinerary.iter().map(|x| context! {
            id => x.id,
            start_at => china_time(x.start_at),
            end_at => china_time(x.end_at),
            venue_id => x.venue_id,
            venue_name => x.venue_name.clone(),
            place_code => x.place_code.clone(),
            address => x.address.clone(),
            transport => x.transport_kind.as_deref().map(|k| name_of!(TransportKind, lang, k)),
            transport_no => x.transport_no.clone(),
            carriage => x.carriage.clone(),
            seat => x.seat.clone(),
            note => x.note.clone(),
        }).collect::<Vec<_>>(),
        margin => margin,
        max_margin => MAX_MARGIN_MINUTES,
        candidates => candidates.iter().map(|c| candidate_value(c, lang, now)).collect::<Vec<_>>(),
        secondary => secondary.iter().map(|(via, p)| context! {
            via_contact_id => via.id,
            via_name => mask_name(&via.person_name),
            person_id => p.id,
            name => mask_name(&p.name),
            doc_masked => p.doc_masked.clone(),
            community_code => p.community_code.clone(),
            // Exposed at home to the close contact until the close contact was put under
            // control (or until now).
            last_exposure_at => exact_time(via.controlled_at.unwrap_or(now).min(now)),
        }).collect::<Vec<_>>(),
        contacts => d.contacts.iter().map(|c| context! {
            id => c.id,
            person_id => c.person_id,
            name => mask_name(&c.person_name),
            doc_masked => c.person_doc_masked.clone(),
            community_code => c.community_code.clone(),
            degree => c.degree.clone(),
            degree_name => name_of!(ContactType, lang, &c.degree),
            via_contact_id => c.via_contact_id,
            setting_name => name_of!(ContactSetting, lang, &c.setting),
            venue_name => c.venue_name.clone(),
            last_exposure_at => china_time(c.last_exposure_at),
            overlap_minutes => c.overlap_minutes,
            status => c.status.clone(),
            status_name => name_of!(ContactStatus, lang, &c.status),
            measure_id => c.measure_id,
            measure_status => c.measure_status.clone(),
            controlled_at => c.controlled_at.map(china_time),
            decided_by => c.decided_by.clone(),
        }).collect::<Vec<_>>(),
        n_confirmed => d.contacts.iter().filter(|c| c.status == ContactStatus::Confirmed.as_str()).count(),
        infected_by => d.infected_by.as_ref().map(|l| link_value(l, l.infector_case_id)),
        infected => d.infected.iter().map(|l| link_value(l, l.infectee_case_id)).collect::<Vec<_>>(),
        classes => options!(CaseClass, lang),
        severities => options!(Severity, lang),
        outcomes => options!(CaseOutcome, lang),
        transports => options!(TransportKind, lang),
        settings => options!(ContactSetting, lang),
        confidences => options!(LinkConfidence, lang),
        degrees => [ContactType::Close, ContactType::SpaceTime].iter()
            .map(|v| context! { key => v.as_str(), name => by_lang(lang, v.name_zh(), v.name_en()) })
            .collect::<Vec<_>>(),
        can_operate => user.actor.scope.can(Permission::TracingOperate),
        update => update.value(),
        it_form => itinerary.value(),
        link_form => link.value(),
        notice => notice.value(),
    };
    let here = format!("/tracing/cases/{id}");
    with_status(
        render_page(state, user, "tracing/case.html", "tracing", &here, page),
        notice.failed(),
    )
}

/// `GET /tracing/cases/{id}?margin=MINUTES`.
pub async fn case(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Query(q): Query<CaseQuery>,
) -> PageResult {
    let notice = Notice {
        done: done_text(user.lang, Some(&q.done)),
        ..Notice::default()
    };
    case_page(&state, &user, id, &q.margin, notice, CaseForms::default()).await
}

/// After a case action: back to the case page (keeping the margin), or the page with the
/// refusal and the form as typed.
async fn after_case_action<T>(
    state: &AppState,
    user: &WebUser,
    id: i64,
    margin: &str,
    result: Result<T, Error>,
    done: &str,
    forms: CaseForms,
) -> PageResult {
    match result {
        Ok(_) => {
            let margin = match parse_margin(margin) {
                Ok(m) if m != DEFAULT_MARGIN_MINUTES => format!("margin={m}&"),
                _ => String::new(),
            };
            Ok(Redirect::to(&format!("/tracing/cases/{id}?{margin}done={done}")).into_response())
        }
        Err(e) => {
            let notice = form_error(e, user.lang)?;
            case_page(state, user, id, margin, notice, forms).await
        }
    }
}

/// A form with only the CSRF token (and the margin to return to).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CsrfForm {
    csrf: String,
    margin: String,
}

/// The update form of a case: each empty field stays as it is.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UpdateForm {
    csrf: String,
    classification: String,
    severity: String,
    outcome: String,
    outcome_at: String,
    onset_at: String,
    isolated_at: String,
    admitted_at: String,
    note: String,
}

impl UpdateForm {
    fn value(&self) -> Value {
        context! {
            classification => self.classification.clone(), severity => self.severity.clone(),
            outcome => self.outcome.clone(), outcome_at => self.outcome_at.clone(),
            onset_at => self.onset_at.clone(), isolated_at => self.isolated_at.clone(),
            admitted_at => self.admitted_at.clone(), note => self.note.clone(),
        }
    }
}

/// `POST /tracing/cases/{id}/update`: reclassification, severity, outcome and times.
pub async fn update(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(form): Form<UpdateForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let u = CaseUpdate {
        classification: opt(&form.classification),
        severity: opt(&form.severity),
        outcome: opt(&form.outcome),
        outcome_at: opt(&form.outcome_at),
        onset_at: opt(&form.onset_at),
        isolated_at: opt(&form.isolated_at),
        admitted_at: opt(&form.admitted_at),
        note: opt(&form.note),
    };
    let r = state.app.update_case(&user.actor, id, &u).await;
    let forms = CaseForms {
        update: Some(form),
        ..CaseForms::default()
    };
    after_case_action(&state, &user, id, "", r, "updated", forms).await
}

/// The form adding one itinerary entry: a venue by place code, an address, or a transport.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ItineraryForm {
    csrf: String,
    margin: String,
    start_at: String,
    end_at: String,
    place_code: String,
    address: String,
    transport_kind: String,
    transport_no: String,
    carriage: String,
    seat: String,
    note: String,
}

impl ItineraryForm {
    fn value(&self) -> Value {
        context! {
            start_at => self.start_at.clone(), end_at => self.end_at.clone(),
            place_code => self.place_code.clone(), address => self.address.clone(),
            transport_kind => self.transport_kind.clone(), transport_no => self.transport_no.clone(),
            carriage => self.carriage.clone(), seat => self.seat.clone(), note => self.note.clone(),
        }
    }
}

/// `POST /tracing/cases/{id}/itinerary`: adds an entry.
pub async fn add_itinerary(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(form): Form<ItineraryForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let entry = ItineraryInput {
        start_at: form.start_at.trim().to_string(),
        end_at: form.end_at.trim().to_string(),
        place_code: opt(&form.place_code),
        venue_id: None,
        address: opt(&form.address),
        transport_kind: opt(&form.transport_kind),
        transport_no: opt(&form.transport_no),
        carriage: opt(&form.carriage),
        seat: opt(&form.seat),
        note: opt(&form.note),
    };
    let r = state.app.add_itinerary(&user.actor, id, &[entry]).await;
    let margin = form.margin.clone();
    let forms = CaseForms {
        itinerary: Some(form),
        ..CaseForms::default()
    };
    after_case_action(&state, &user, id, &margin, r, "itinerary_added", forms).await
}

/// `POST /tracing/cases/{id}/itinerary/checkins`: adds the case's own check-ins.
pub async fn itinerary_from_checkins(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let r = state.app.itinerary_from_checkins(&user.actor, id).await;
    let done = match &r {
        Ok(0) => "checkins_none",
        _ => "checkins_added",
    };
    after_case_action(
        &state,
        &user,
        id,
        &form.margin,
        r,
        done,
        CaseForms::default(),
    )
    .await
}

/// `POST /tracing/cases/{id}/itinerary/{entry_id}/remove`.
pub async fn remove_itinerary_entry(
    State(state): State<AppState>,
    user: WebUser,
    Path((id, entry_id)): Path<(i64, i64)>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let r = state
        .app
        .remove_itinerary_entry(&user.actor, id, entry_id)
        .await;
    after_case_action(
        &state,
        &user,
        id,
        &form.margin,
        r,
        "itinerary_removed",
        CaseForms::default(),
    )
    .await
}

/// `POST /tracing/cases/{id}/itinerary/complete`.
pub async fn complete_itinerary(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let r = state.app.complete_itinerary(&user.actor, id).await;
    after_case_action(
        &state,
        &user,
        id,
        &form.margin,
        r,
        "itinerary_completed",
        CaseForms::default(),
    )
    .await
}

/// A decision on a candidate contact (the hidden fields of its row).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ContactForm {
    csrf: String,
    margin: String,
    person_id: String,
    degree: String,
    via_contact_id: String,
    setting: String,
    venue_id: String,
    last_exposure_at: String,
    overlap_minutes: String,
    note: String,
}

impl ContactForm {
    fn input(&self) -> Result<ContactInput, Error> {
        let mut invalid = Vec::new();
        let person_id = opt_number("person_id", &self.person_id, &mut invalid);
        let via_contact_id = opt_number("via_contact_id", &self.via_contact_id, &mut invalid);
        let venue_id = opt_number("venue_id", &self.venue_id, &mut invalid);
        let overlap_minutes = opt_number("overlap_minutes", &self.overlap_minutes, &mut invalid);
        if person_id.is_none() && invalid.is_empty() {
            invalid.push(("person_id".to_string(), "is required".to_string()));
        }
        if !invalid.is_empty() {
            return Err(Error::Invalid(invalid));
        }
        Ok(ContactInput {
            person_id: person_id.unwrap_or_default(),
            degree: opt(&self.degree),
            via_contact_id,
            setting: self.setting.trim().to_string(),
            venue_id,
            last_exposure_at: self.last_exposure_at.trim().to_string(),
            overlap_minutes,
            note: opt(&self.note),
        })
    }
}

/// `POST /tracing/cases/{id}/contacts/confirm`: confirms a contact (the policy in force
/// assigns the measure).
pub async fn confirm_contact(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(form): Form<ContactForm>,
) -> PageResult {
    decide_contact(&state, &user, id, &form, true).await
}

/// `POST /tracing/cases/{id}/contacts/dismiss`: the candidate is not a contact.
pub async fn dismiss_contact(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(form): Form<ContactForm>,
) -> PageResult {
    decide_contact(&state, &user, id, &form, false).await
}

/// A contact confirmed or dismissed, then the case page.
async fn decide_contact(
    state: &AppState,
    user: &WebUser,
    id: i64,
    form: &ContactForm,
    confirm: bool,
) -> PageResult {
    check_csrf(user, &form.csrf)?;
    let r = match form.input() {
        Ok(input) if confirm => state.app.confirm_contact(&user.actor, id, &input).await,
        Ok(input) => state.app.dismiss_contact(&user.actor, id, &input).await,
        Err(e) => Err(e),
    };
    let done = if confirm {
        "contact_confirmed"
    } else {
        "contact_dismissed"
    };
    after_case_action(state, user, id, &form.margin, r, done, CaseForms::default()).await
}

/// `POST /tracing/cases/{id}/contacts/complete`.
pub async fn complete_contacts(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let r = state.app.complete_contacts(&user.actor, id).await;
    after_case_action(
        &state,
        &user,
        id,
        &form.margin,
        r,
        "contacts_completed",
        CaseForms::default(),
    )
    .await
}

/// The form linking the case to its infector.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LinkForm {
    csrf: String,
    margin: String,
    infector_case_id: String,
    confidence: String,
    setting: String,
    note: String,
}

impl LinkForm {
    fn value(&self) -> Value {
        context! {
            infector_case_id => self.infector_case_id.clone(), confidence => self.confidence.clone(),
            setting => self.setting.clone(), note => self.note.clone(),
        }
    }
}

/// `POST /tracing/cases/{id}/links`: names the case's infector (replacing an earlier link).
pub async fn link(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(form): Form<LinkForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let mut invalid = Vec::new();
    let infector = opt_number("infector_case_id", &form.infector_case_id, &mut invalid);
    let r = match infector {
        Some(infector) if invalid.is_empty() => {
            let input = LinkInput {
                infector_case_id: infector,
                infectee_case_id: id,
                confidence: form.confidence.trim().to_string(),
                setting: form.setting.trim().to_string(),
                note: opt(&form.note),
            };
            state.app.link_cases(&user.actor, &input).await
        }
        _ => {
            if invalid.is_empty() {
                invalid.push(("infector_case_id".to_string(), "is required".to_string()));
            }
            Err(Error::Invalid(invalid))
        }
    };
    let margin = form.margin.clone();
    let forms = CaseForms {
        link: Some(form),
        ..CaseForms::default()
    };
    after_case_action(&state, &user, id, &margin, r, "linked", forms).await
}

/// `POST /tracing/cases/{id}/links/{link_id}/remove`.
pub async fn unlink(
    State(state): State<AppState>,
    user: WebUser,
    Path((id, link_id)): Path<(i64, i64)>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let r = state.app.unlink_cases(&user.actor, link_id).await;
    after_case_action(
        &state,
        &user,
        id,
        &form.margin,
        r,
        "unlinked",
        CaseForms::default(),
    )
    .await
}

// ---------------------------------------------------------------------------------------
// Chains.

/// `GET /tracing/chains`: the graph, clusters and serial interval.
pub async fn chains(State(state): State<AppState>, user: WebUser) -> PageResult {
    let lang = user.lang;
    let view = state.app.chains(&user.actor).await.map_err(err(lang))?;
    let label = |id: i64| {
        view.nodes
            .iter()
            .find(|n| n.case_id == id)
            .and_then(|n| n.label.clone())
            .unwrap_or_else(|| format!("#{id}"))
    };
    let graph = serde_json::json!({
        "nodes": view.nodes.iter().map(|n| serde_json::json!({
            "id": n.case_id,
            "label": n.label.clone().unwrap_or_else(|| format!("#{}", n.case_id)),
            "cluster": n.cluster,
            "generation": n.generation,
            "classification": name_of!(CaseClass, lang, &n.classification),
        })).collect::<Vec<_>>(),
        "edges": view.edges.iter().map(|e| serde_json::json!({
            "source": e.infector, "target": e.infectee, "confidence": e.confidence,
            "serial_days": e.serial_days,
        })).collect::<Vec<_>>(),
        "labels": {
            "generation": text(lang, "tracing.generation"),
            "cluster": text(lang, "tracing.cluster"),
            "confirmed": name_of!(LinkConfidence, lang, "confirmed"),
            "probable": name_of!(LinkConfidence, lang, "probable"),
            "possible": name_of!(LinkConfidence, lang, "possible"),
        },
    });
    let page = context! {
        graph => graph.to_string(),
        n_nodes => view.nodes.len(),
        clusters => view.clusters.iter().map(|c| context! {
            id => c.id, size => c.cases.len(), root => c.root, root_label => label(c.root),
            generations => c.generations,
            first_reported => c.first_reported.to_string(),
            last_reported => c.last_reported.to_string(),
        }).collect::<Vec<_>>(),
        edges => view.edges.iter().map(|e| context! {
            infector => e.infector, infector_label => label(e.infector),
            infectee => e.infectee, infectee_label => label(e.infectee),
            confidence => e.confidence.clone(),
            confidence_name => name_of!(LinkConfidence, lang, &e.confidence),
            setting_name => name_of!(ContactSetting, lang, &e.setting),
            serial_days => e.serial_days,
        }).collect::<Vec<_>>(),
        serial => view.serial.as_ref().map(|s| context! {
            n => s.n, mean => format!("{:.1}", s.mean), sd => s.sd.map(|sd| format!("{sd:.1}")),
            median => format!("{:.1}", s.median), min => s.min, max => s.max,
        }),
    };
    render_page(
        &state,
        &user,
        "tracing/chains.html",
        "tracing",
        "/tracing/chains",
        page,
    )
}

/// The chain graph as a download (audited by the app).
async fn chains_download(state: &AppState, user: &WebUser, format: &str) -> PageResult {
    let bytes = state
        .app
        .export_chains(&user.actor, format)
        .await
        .map_err(err(user.lang))?;
    let content_type = match format {
        "graphml" => "application/graphml+xml",
        "xlsx" => fangkong_ingest::export::ExportFormat::Xlsx.content_type(),
        _ => "text/csv; charset=utf-8",
    };
    let disposition = HeaderValue::from_str(&format!(
        "attachment; filename=\"chains-{}.{format}\"",
        state.app.today()
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        bytes,
    )
        .into_response())
}

/// `GET /tracing/chains.graphml`.
pub async fn chains_graphml(State(state): State<AppState>, user: WebUser) -> PageResult {
    chains_download(&state, &user, "graphml").await
}

/// `GET /tracing/chains.csv`.
pub async fn chains_csv(State(state): State<AppState>, user: WebUser) -> PageResult {
    chains_download(&state, &user, "csv").await
}

/// `GET /tracing/chains.xlsx`.
pub async fn chains_xlsx(State(state): State<AppState>, user: WebUser) -> PageResult {
    chains_download(&state, &user, "xlsx").await
}

// ---------------------------------------------------------------------------------------
// Venues and check-ins.

/// The venue search and the venue-time exposure search.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct VenuesQuery {
    q: String,
    /// A venue id or place code.
    venue: String,
    from: String,
    to: String,
    margin: String,
}

/// Resolves the exposure search's venue: a facility id, or a place code of a venue in the
/// actor's jurisdiction.
async fn find_venue(state: &AppState, user: &WebUser, text: &str) -> Result<Venue, Error> {
    let text = text.trim();
    if let Ok(id) = text.parse::<i64>() {
        return match state.app.venue(&user.actor, id).await {
            Err(Error::NotFound) => Err(Error::invalid("venue", "no venue has this id")),
            other => other,
        };
    }
    let code = text.to_ascii_uppercase();
    state
        .app
        .venues(&user.actor, &code, VENUES)
        .await?
        .into_iter()
        .find(|v| v.place_code == code)
        .ok_or_else(|| Error::invalid("venue", "no venue in your jurisdiction has this place code"))
}

async fn venues_page(
    state: &AppState,
    user: &WebUser,
    q: &VenuesQuery,
    mut notice: Notice,
) -> PageResult {
    let e = err(user.lang);
    let lang = user.lang;
    let venues = state
        .app
        .venues(&user.actor, q.q.trim(), VENUES)
        .await
        .map_err(&e)?;
    let mut searched = None;
    let mut persons = Vec::new();
    // A venue alone (a link from the venue list) only fills the form in.
    let window_given = !(q.from.trim().is_empty() && q.to.trim().is_empty());
    if !q.venue.trim().is_empty() && window_given {
        let found = match find_venue(state, user, &q.venue).await {
            Ok(v) => match parse_margin(&q.margin) {
                Ok(margin) => state
                    .app
                    .venue_exposures(&user.actor, v.id, &q.from, &q.to, margin)
                    .await
                    .map(|p| (v, p)),
                Err(bad) => Err(bad),
            },
            Err(bad) => Err(bad),
        };
        match found {
            Ok((v, p)) => {
                searched = Some(venue_value(&v, lang));
                persons = p;
            }
            Err(bad) => notice = form_error(bad, lang)?,
        }
    }
    let now = state.app.now_ms();
    let page = context! {
        q => q.q.clone(),
        venues => venues.iter().map(|v| venue_value(v, lang)).collect::<Vec<_>>(),
        limit => VENUES,
        exposure => context! {
            venue => q.venue.clone(), from => q.from.clone(), to => q.to.clone(),
            margin => if q.margin.trim().is_empty() { DEFAULT_MARGIN_MINUTES.to_string() } else { q.margin.clone() },
        },
        max_margin => MAX_MARGIN_MINUTES,
        searched => searched,
        persons => persons.iter().map(|c| candidate_value(c, lang, now)).collect::<Vec<_>>(),
        can_operate => user.actor.scope.can(Permission::TracingOperate),
        notice => notice.value(),
    };
    with_status(
        render_page(
            state,
            user,
            "tracing/venues.html",
            "tracing",
            "/tracing/venues",
            page,
        ),
        notice.failed(),
    )
}

/// `GET /tracing/venues`.
pub async fn venues(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<VenuesQuery>,
) -> PageResult {
    venues_page(&state, &user, &q, Notice::default()).await
}

/// `POST /tracing/venues/import`: a `multipart/form-data` upload of a venue list (all rows
/// or none).
pub async fn import_venues(
    State(state): State<AppState>,
    user: WebUser,
    form: Multipart,
) -> PageResult {
    let (csrf, file) = super::inbound::upload(form).await;
    check_csrf(&user, &csrf)?;
    let Some((file_name, data)) = file else {
        let notice = Notice::error(text(user.lang, "tracing.no_file"));
        return venues_page(&state, &user, &VenuesQuery::default(), notice).await;
    };
    let notice = match state
        .app
        .import_venues(&user.actor, &file_name, &data)
        .await
    {
        Ok(o) => Notice {
            done: Some(format!(
                "{file_name}: {}",
                text(user.lang, "tracing.imported")
            )),
            outcome: vec![
                ("tracing.out.created".into(), o.created),
                ("tracing.out.updated".into(), o.updated),
            ],
            ..Notice::default()
        },
        Err(e) => form_error(e, user.lang)?,
    };
    venues_page(&state, &user, &VenuesQuery::default(), notice).await
}

/// `POST /tracing/checkins/import`: a `multipart/form-data` upload of check-ins; good rows
/// are stored and bad rows listed with line and field.
pub async fn import_checkins(
    State(state): State<AppState>,
    user: WebUser,
    form: Multipart,
) -> PageResult {
    let (csrf, file) = super::inbound::upload(form).await;
    check_csrf(&user, &csrf)?;
    let Some((file_name, data)) = file else {
        let notice = Notice::error(text(user.lang, "tracing.no_file"));
        return venues_page(&state, &user, &VenuesQuery::default(), notice).await;
    };
    let notice = match state
        .app
        .import_checkins(&user.actor, &file_name, &data)
        .await
    {
        Ok(o) => Notice {
            done: Some(format!(
                "{file_name}: {}",
                text(user.lang, "tracing.imported")
            )),
            outcome: vec![
                ("tracing.out.rows".into(), o.rows),
                ("tracing.out.stored".into(), o.stored),
                ("tracing.out.duplicates".into(), o.duplicates),
                ("tracing.out.refused".into(), o.refused.len() as u64),
            ],
            refused: o.refused,
            ..Notice::default()
        },
        Err(e) => form_error(e, user.lang)?,
    };
    venues_page(&state, &user, &VenuesQuery::default(), notice).await
}
