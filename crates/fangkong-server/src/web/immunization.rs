//! Immunization pages (社会免疫): coverage by area × age band × level with drill-down, the
//! trend and the map; vaccination list upload and a dose form; outreach lists of the
//! unvaccinated and overdue with their audited export.

use axum::extract::{Multipart, Query, State};
use axum::response::IntoResponse;
use axum::Form;
use fangkong_app::immunization::{CoverageBand, DoseInput};
use fangkong_app::Error;
use fangkong_domain::immunization::{DoseLevel, PriorityGroup, VaccineProduct};
use fangkong_domain::mask::mask_name;
use fangkong_domain::Permission;
use fangkong_ingest::export::ExportFormat;
use fangkong_store::immunization::OutreachKind;
use minijinja::{context, Value};
use serde::Deserialize;

use super::forms::{by_lang, err, form_error, options, with_status, Notice};
use super::{check_csrf, render_page, PageResult, WebError};
use crate::api::immunization::{outreach_file, outreach_query};
use crate::auth::WebUser;
use crate::i18n::text;
use crate::AppState;

/// Rows of an outreach page.
const PAGE: i64 = 100;

/// The area shown.
#[derive(Debug, Default, Deserialize)]
pub struct CoverageQuery {
    within: Option<String>,
}

fn rate_value(c: &fangkong_app::immunization::Counts) -> Value {
    let pct = |level| format!("{:.1}", 100.0 * c.rate(level));
    context! {
        population => c.population,
        first => c.first,
        full => c.full,
        booster => c.booster,
        first_pct => pct(DoseLevel::First),
        full_pct => pct(DoseLevel::Full),
        booster_pct => pct(DoseLevel::Booster),
        low => c.population > 0 && c.rate(DoseLevel::Full) < 0.8,
    }
}

fn area_value(a: &fangkong_app::immunization::AreaCoverage) -> Value {
    context! {
        code => a.code.clone(),
        name => a.name.clone(),
        bands => a.bands.iter().map(rate_value).collect::<Vec<_>>(),
    }
}

async fn coverage_page(
    state: &AppState,
    user: &WebUser,
    within: Option<&str>,
    notice: Notice,
) -> PageResult {
    let lang = user.lang;
    let e = err(lang);
    let coverage = state
        .app
        .immunization_coverage(&user.actor, within)
        .await
        .map_err(&e)?;
    let trend = state
        .app
        .immunization_trend(&user.actor, Some(&coverage.code), 7)
        .await
        .map_err(&e)?;
    let all = CoverageBand::ORDER.len() - 1;
    let map_areas: Vec<Value> = coverage
        .areas
        .iter()
        .map(|a| {
            context! {
                code => a.code.clone(),
                name => a.name.clone(),
                rate => (1000.0 * a.bands[all].rate(DoseLevel::Full)).round() / 10.0,
            }
        })
        .collect();
    let page = context! {
        code => coverage.code.clone(),
        name => coverage.name.clone(),
        date => coverage.date.to_string(),
        bands => CoverageBand::ORDER.iter().map(|b| text(lang, &format!("immunization.band.{}", b.key()))).collect::<Vec<_>>(),
        levels => DoseLevel::ALL.iter().map(|l| by_lang(lang, l.name_zh(), l.name_en())).collect::<Vec<_>>(),
        total => area_value(&coverage.total),
        areas => coverage.areas.iter().map(area_value).collect::<Vec<_>>(),
        map_areas => serde_json::to_string(&map_areas.iter().map(|v| serde_json::to_value(v).unwrap_or_default()).collect::<Vec<_>>()).unwrap_or_default(),
        trend => serde_json::json!({
            "days": trend.iter().map(|p| p.day.to_string()).collect::<Vec<_>>(),
            "first": trend.iter().map(|p| p.first).collect::<Vec<_>>(),
            "full": trend.iter().map(|p| p.full).collect::<Vec<_>>(),
            "booster": trend.iter().map(|p| p.booster).collect::<Vec<_>>(),
            "names": DoseLevel::ALL.iter().map(|l| by_lang(lang, l.name_zh(), l.name_en())).collect::<Vec<_>>(),
        }).to_string(),
        products => options!(VaccineProduct, lang),
        groups => options!(PriorityGroup, lang),
        can_write => user.actor.scope.can(Permission::ImmunizationWrite),
        notice => notice.value(),
    };
    with_status(
        render_page(
            state,
            user,
            "immunization/coverage.html",
            "immunization",
            "/immunization",
            page,
        ),
        notice.failed(),
    )
}

/// `GET /immunization`: coverage of the user's jurisdiction (or `within`) and its children.
pub async fn coverage(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<CoverageQuery>,
) -> PageResult {
    coverage_page(&state, &user, q.within.as_deref(), Notice::default()).await
}

/// `POST /immunization/upload`: a vaccination list (all rows or none).
pub async fn upload(State(state): State<AppState>, user: WebUser, form: Multipart) -> PageResult {
    let (csrf, file) = super::inbound::upload(form).await;
    check_csrf(&user, &csrf)?;
    let Some((file_name, data)) = file else {
        let notice = Notice::error(text(user.lang, "immunization.no_file"));
        return coverage_page(&state, &user, None, notice).await;
    };
    let notice = match state
        .app
        .import_vaccinations(&user.actor, &file_name, &data)
        .await
    {
        Ok(o) => Notice {
            done: Some(format!(
                "{file_name}: {}",
                text(user.lang, "immunization.imported")
            )),
            outcome: vec![
                ("immunization.out.inserted".into(), o.inserted),
                ("immunization.out.updated".into(), o.updated),
                ("immunization.out.unchanged".into(), o.unchanged),
            ],
            ..Notice::default()
        },
        Err(e) => form_error(e, user.lang)?,
    };
    coverage_page(&state, &user, None, notice).await
}

/// The dose form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DoseForm {
    csrf: String,
    person_id: String,
    dose_number: String,
    product: String,
    vaccinated_on: String,
    lot: String,
    site: String,
}

/// `POST /immunization/doses`: one dose entered by hand.
pub async fn record(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<DoseForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let parsed = (
        form.person_id.trim().parse::<i64>(),
        form.dose_number.trim().parse::<u32>(),
    );
    let r = match parsed {
        (Ok(person_id), Ok(dose_number)) => {
            state
                .app
                .record_vaccination(
                    &user.actor,
                    &DoseInput {
                        person_id,
                        dose_number,
                        product: form.product.clone(),
                        vaccinated_on: form.vaccinated_on.clone(),
                        lot: Some(form.lot.clone()),
                        site: Some(form.site.clone()),
                    },
                )
                .await
        }
        (Err(_), _) => Err(Error::invalid("person_id", "expected a person id")),
        (_, Err(_)) => Err(Error::invalid("dose_number", "expected a whole number")),
    };
    let notice = match r {
        Ok(o) => Notice {
            done: Some(text(
                user.lang,
                if o.inserted + o.updated > 0 {
                    "immunization.recorded"
                } else {
                    "immunization.unchanged"
                },
            )),
            ..Notice::default()
        },
        Err(Error::NotFound) => Notice::error(text(user.lang, "immunization.no_person")),
        Err(e) => form_error(e, user.lang)?,
    };
    coverage_page(&state, &user, None, notice).await
}

/// The filters of an outreach list.
#[derive(Debug, Default, Deserialize)]
pub struct OutreachParams {
    group: Option<String>,
    within: Option<String>,
    kind: Option<String>,
    offset: Option<i64>,
    purpose: Option<String>,
    format: Option<String>,
    reveal: Option<String>,
}

fn kind_key(kind: OutreachKind) -> &'static str {
    match kind {
        OutreachKind::Unvaccinated => "unvaccinated",
        OutreachKind::Overdue => "overdue",
        OutreachKind::Both => "both",
    }
}

async fn outreach_page(
    state: &AppState,
    user: &WebUser,
    q: &OutreachParams,
    notice: Notice,
) -> PageResult {
    let lang = user.lang;
    let query = outreach_query(
        q.group.as_deref(),
        q.kind.as_deref(),
        q.within.clone().filter(|w| !w.trim().is_empty()),
    )
    .map_err(err(lang))?;
    let offset = q.offset.unwrap_or(0).max(0);
    let list = state
        .app
        .outreach_list(&user.actor, &query, PAGE, offset)
        .await
        .map_err(err(lang))?;
    let today = state.app.today();
    let rows: Vec<Value> = list
        .entries
        .iter()
        .map(|e| {
            let r = fangkong_app::immunization::outreach_row(
                e,
                today,
                e.person.doc_masked.clone(),
                e.person.phone_masked.clone().unwrap_or_default(),
            );
            context! {
                person_id => r.person_id,
                name => mask_name(&r.name),
                sex => text(lang, &format!("sex.{}", r.sex)),
                age => r.age,
                document => r.document,
                phone => r.phone,
                community_code => r.community_code,
                doses => r.doses,
                last_on => r.last_on,
                next_due_on => r.next_due_on,
                reason => text(lang, &format!("immunization.reason.{}", r.reason)),
            }
        })
        .collect();
    let page = context! {
        group => query.group.as_str(),
        kind => kind_key(query.kind),
        within => query.within.clone().unwrap_or_default(),
        groups => options!(PriorityGroup, lang),
        kinds => ["both", "unvaccinated", "overdue"].iter().map(|k| context! { key => *k, name => text(lang, &format!("immunization.kind.{k}")) }).collect::<Vec<_>>(),
        rows => rows,
        total => list.total,
        offset => offset,
        prev => (offset > 0).then(|| (offset - PAGE).max(0)),
        next => (offset + PAGE < list.total).then_some(offset + PAGE),
        can_reveal => user.actor.scope.can(Permission::PiiReveal),
        notice => notice.value(),
    };
    with_status(
        render_page(
            state,
            user,
            "immunization/outreach.html",
            "immunization",
            "/immunization/outreach",
            page,
        ),
        notice.failed(),
    )
}

/// `GET /immunization/outreach`: the unvaccinated and overdue of a group, masked.
pub async fn outreach(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<OutreachParams>,
) -> PageResult {
    outreach_page(&state, &user, &q, Notice::default()).await
}

/// `GET /immunization/outreach/export`: the list as CSV or XLSX, audited with its purpose;
/// refusals come back on the list page.
pub async fn export(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<OutreachParams>,
) -> PageResult {
    let lang = user.lang;
    let format = q
        .format
        .as_deref()
        .and_then(ExportFormat::parse)
        .unwrap_or(ExportFormat::Xlsx);
    let query = outreach_query(
        q.group.as_deref(),
        q.kind.as_deref(),
        q.within.clone().filter(|w| !w.trim().is_empty()),
    )
    .map_err(err(lang))?;
    let reveal = q.reveal.as_deref().is_some_and(|r| !r.is_empty());
    let rows = state
        .app
        .export_outreach(
            &user.actor,
            &query,
            q.purpose.as_deref().unwrap_or(""),
            reveal,
        )
        .await;
    match rows.and_then(|rows| outreach_file(rows, format)) {
        Ok(bytes) => Ok(crate::api::file_response(
            &format!("outreach-{}.{}", query.group.as_str(), format.extension()),
            format,
            bytes,
        )
        .into_response()),
        Err(e @ Error::Forbidden) => Err(WebError::new(&e, lang)),
        Err(e) => {
            let notice = form_error(e, lang)?;
            outreach_page(&state, &user, &q, notice).await
        }
    }
}
