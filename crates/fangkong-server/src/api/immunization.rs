//! `/api/v1/immunization`: vaccination records (file import, one dose by hand, a person's
//! doses), coverage by area × age band × level, the coverage trend, and outreach lists with
//! their audited export.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::Json;
use fangkong_api_types::{
    AreaCoverageReport, CoverageCounts, CoverageReport, CoverageTrendPoint, DoseRecordRequest,
    ImportSummary, OutreachEntry, OutreachList, PersonImmunization, Problem, VaccinationDose,
};
use fangkong_app::immunization::{
    outreach_row, AreaCoverage, CoverageBand, DoseInput, OutreachQuery, OutreachRow,
    VaccinationsRecorded,
};
use fangkong_app::Error;
use fangkong_domain::immunization::{DoseLevel, PriorityGroup, VaccineProduct};
use fangkong_ingest::export::{write_table, ExportCell, ExportFormat};
use fangkong_store::immunization::{OutreachKind, StoredDose};
use serde::Deserialize;
use utoipa::IntoParams;

use super::ImportQuery;
use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::AppState;

/// The wire form of a stored dose.
pub(crate) fn dose_to_wire(d: &StoredDose) -> VaccinationDose {
    VaccinationDose {
        id: d.id,
        person_id: d.person_id,
        dose_number: u32::try_from(d.dose_number).unwrap_or(0),
        product: d.product.clone(),
        product_name: VaccineProduct::parse(&d.product)
            .map_or_else(|| d.product.clone(), |p| p.name_zh().to_string()),
        vaccinated_on: d.vaccinated_on.clone(),
        lot: d.lot.clone(),
        site: d.site.clone(),
        source: d.source.clone(),
    }
}

fn summary(file: String, r: VaccinationsRecorded) -> ImportSummary {
    ImportSummary {
        file,
        rows: r.rows,
        created: r.inserted,
        updated: r.updated + r.removed,
        unchanged: r.unchanged,
    }
}

/// The wire form of an area's coverage.
pub(crate) fn area_to_wire(a: &AreaCoverage) -> AreaCoverageReport {
    AreaCoverageReport {
        code: a.code.clone(),
        name: a.name.clone(),
        bands: CoverageBand::ORDER
            .iter()
            .zip(&a.bands)
            .map(|(band, c)| CoverageCounts {
                band: band.key().to_string(),
                population: c.population,
                first: c.first,
                full: c.full,
                booster: c.booster,
                first_rate: c.rate(DoseLevel::First),
                full_rate: c.rate(DoseLevel::Full),
                booster_rate: c.rate(DoseLevel::Booster),
            })
            .collect(),
    }
}

/// Import a vaccination list (CSV, XLSX or NDJSON: `id_number`, `dose_number`, `product`,
/// `vaccinated_on`, optional `lot`, `site`), all rows or none, every error naming its line
/// and field; re-sending the file changes nothing.
#[utoipa::path(post, path = "/api/v1/immunization/vaccinations:import", tag = "immunization",
    params(ImportQuery),
    request_body(content = Vec<u8>, description = "The file", content_type = "application/octet-stream"),
    responses((status = 200, body = ImportSummary), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn import(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> ApiResult<Json<ImportSummary>> {
    let file = q
        .file_name
        .unwrap_or_else(|| "vaccinations.csv".to_string());
    let r = state.app.import_vaccinations(&actor, &file, &body).await?;
    Ok(Json(summary(file, r)))
}

/// Record one dose; the same dose again changes nothing, different values correct it.
#[utoipa::path(post, path = "/api/v1/immunization/vaccinations", tag = "immunization",
    request_body = DoseRecordRequest,
    responses((status = 200, body = ImportSummary), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn record(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(body): Json<DoseRecordRequest>,
) -> ApiResult<Json<ImportSummary>> {
    let r = state
        .app
        .record_vaccination(
            &actor,
            &DoseInput {
                person_id: body.person_id,
                dose_number: body.dose_number,
                product: body.product,
                vaccinated_on: body.vaccinated_on,
                lot: body.lot,
                site: body.site,
            },
        )
        .await?;
    Ok(Json(summary("form".to_string(), r)))
}

/// A person's doses and immunization status.
#[utoipa::path(get, path = "/api/v1/immunization/persons/{id}", tag = "immunization",
    params(("id" = i64, Path, description = "Person id")),
    responses((status = 200, body = PersonImmunization), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn person(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Json<PersonImmunization>> {
    let (doses, status) = state.app.person_vaccinations(&actor, id).await?;
    let day = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string());
    Ok(Json(PersonImmunization {
        person_id: id,
        doses: doses.iter().map(dose_to_wire).collect(),
        first_on: day(status.first_on),
        full_on: day(status.full_on),
        booster_on: day(status.booster_on),
        next_due_on: day(status.next_due_on),
        overdue: status.overdue_on(state.app.today()),
    }))
}

/// The area.
#[derive(Debug, Deserialize, IntoParams)]
pub struct WithinQuery {
    /// A jurisdiction code (default: the caller's top jurisdiction).
    within: Option<String>,
}

/// Coverage of a jurisdiction and of each of its children by age band (elderly first) and
/// level (first dose, full course, booster), against the registered population.
#[utoipa::path(get, path = "/api/v1/immunization/coverage", tag = "immunization", params(WithinQuery),
    responses((status = 200, body = CoverageReport), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn coverage(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<WithinQuery>,
) -> ApiResult<Json<CoverageReport>> {
    let c = state
        .app
        .immunization_coverage(&actor, q.within.as_deref())
        .await?;
    Ok(Json(CoverageReport {
        date: c.date.to_string(),
        total: area_to_wire(&c.total),
        areas: c.areas.iter().map(area_to_wire).collect(),
    }))
}

/// The trend window.
#[derive(Debug, Deserialize, IntoParams)]
pub struct TrendQuery {
    within: Option<String>,
    /// Days between points (default 7).
    every: Option<i64>,
}

/// Cumulative persons at each level, a point every `every` days up to today.
#[utoipa::path(get, path = "/api/v1/immunization/trend", tag = "immunization", params(TrendQuery),
    responses((status = 200, body = Vec<CoverageTrendPoint>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn trend(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<TrendQuery>,
) -> ApiResult<Json<Vec<CoverageTrendPoint>>> {
    let points = state
        .app
        .immunization_trend(&actor, q.within.as_deref(), q.every.unwrap_or(7))
        .await?;
    Ok(Json(
        points
            .into_iter()
            .map(|p| CoverageTrendPoint {
                day: p.day.to_string(),
                first: p.first,
                full: p.full,
                booster: p.booster,
            })
            .collect(),
    ))
}

/// Which outreach list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct OutreachParams {
    /// `elderly_80`, `elderly_60` (default), `key_worker` or `eligible`.
    group: Option<String>,
    within: Option<String>,
    /// `unvaccinated`, `overdue` or `both` (default).
    kind: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
    /// For an export: why the list is needed (audited).
    purpose: Option<String>,
    /// For an export: `csv` (default) or `xlsx`.
    format: Option<String>,
    /// For an export: full ID and phone numbers (needs `pii.reveal`).
    reveal: Option<bool>,
}

/// Parses the list's group and kind.
pub(crate) fn outreach_query(
    group: Option<&str>,
    kind: Option<&str>,
    within: Option<String>,
) -> Result<OutreachQuery, Error> {
    let group = match group.map(str::trim).filter(|g| !g.is_empty()) {
        None => PriorityGroup::Elderly60,
        Some(g) => PriorityGroup::parse(g).ok_or_else(|| {
            Error::invalid(
                "group",
                format!("unknown group; expected one of {}", PriorityGroup::keys()),
            )
        })?,
    };
    let kind = match kind.map(str::trim).filter(|k| !k.is_empty()) {
        None | Some("both") => OutreachKind::Both,
        Some("unvaccinated") => OutreachKind::Unvaccinated,
        Some("overdue") => OutreachKind::Overdue,
        Some(_) => {
            return Err(Error::invalid(
                "kind",
                "expected unvaccinated, overdue or both",
            ))
        }
    };
    Ok(OutreachQuery {
        group,
        within,
        kind,
    })
}

/// The unvaccinated and overdue of a priority group, by community and age, masked.
#[utoipa::path(get, path = "/api/v1/immunization/outreach", tag = "immunization", params(OutreachParams),
    responses((status = 200, body = OutreachList), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn outreach(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<OutreachParams>,
) -> ApiResult<Json<OutreachList>> {
    let query = outreach_query(q.group.as_deref(), q.kind.as_deref(), q.within)?;
    let page = state
        .app
        .outreach_list(
            &actor,
            &query,
            q.limit.unwrap_or(100),
            q.offset.unwrap_or(0),
        )
        .await?;
    let today = state.app.today();
    Ok(Json(OutreachList {
        total: page.total,
        entries: page
            .entries
            .iter()
            .map(|e| {
                let row = outreach_row(
                    e,
                    today,
                    e.person.doc_masked.clone(),
                    e.person.phone_masked.clone().unwrap_or_default(),
                );
                OutreachEntry {
                    person_id: row.person_id,
                    name: row.name,
                    sex: row.sex,
                    age: row.age,
                    id_number_masked: row.document,
                    phone_masked: e.person.phone_masked.clone(),
                    community_code: row.community_code,
                    doses: row.doses,
                    last_on: Some(row.last_on).filter(|s| !s.is_empty()),
                    next_due_on: Some(row.next_due_on).filter(|s| !s.is_empty()),
                    reason: row.reason.to_string(),
                }
            })
            .collect(),
    }))
}

/// The columns of an outreach export.
pub(crate) const OUTREACH_HEADER: [&str; 12] = [
    "person_id",
    "name",
    "sex",
    "age",
    "id_number",
    "phone",
    "community_code",
    "address",
    "doses",
    "last_dose_on",
    "next_due_on",
    "reason",
];

/// The bytes of an outreach export.
pub(crate) fn outreach_file(
    rows: Vec<OutreachRow>,
    format: ExportFormat,
) -> Result<Vec<u8>, Error> {
    write_table(
        format,
        "outreach",
        &OUTREACH_HEADER,
        rows.into_iter().map(|r| {
            vec![
                ExportCell::from(r.person_id),
                r.name.into(),
                r.sex.into(),
                ExportCell::from(i64::from(r.age)),
                r.document.into(),
                r.phone.into(),
                r.community_code.into(),
                r.address.into(),
                ExportCell::from(r.doses),
                r.last_on.into(),
                r.next_due_on.into(),
                r.reason.into(),
            ]
        }),
    )
    .map_err(|e| Error::invalid("format", e.to_string()))
}

/// Export an outreach list as CSV or XLSX for community workers, audited with its purpose;
/// masked unless `reveal` (needs `pii.reveal`, at most 5 000 rows).
#[utoipa::path(get, path = "/api/v1/immunization/outreach:export", tag = "immunization", params(OutreachParams),
    responses((status = 200, description = "CSV or XLSX"), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn export_outreach(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<OutreachParams>,
) -> ApiResult<Response> {
    let format = match q.format.as_deref() {
        None => ExportFormat::Csv,
        Some(f) => ExportFormat::parse(f)
            .ok_or_else(|| Error::invalid("format", "expected csv or xlsx"))?,
    };
    let query = outreach_query(q.group.as_deref(), q.kind.as_deref(), q.within)?;
    let rows = state
        .app
        .export_outreach(
            &actor,
            &query,
            q.purpose.as_deref().unwrap_or(""),
            q.reveal.unwrap_or(false),
        )
        .await?;
    let bytes = outreach_file(rows, format)?;
    Ok(super::file_response(
        &format!("outreach-{}.{}", query.group.as_str(), format.extension()),
        format,
        bytes,
    ))
}
