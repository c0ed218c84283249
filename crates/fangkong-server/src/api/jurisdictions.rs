//! `/api/v1/jurisdictions`: the administrative hierarchy.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use fangkong_api_types::{
    AgeBandCount, ImportSummary, Jurisdiction, JurisdictionChild, JurisdictionDetail, Page, Problem,
};
use fangkong_app::Error;
use fangkong_domain::{AgeBand, Level};
use serde::Deserialize;
use utoipa::IntoParams;

use super::ImportQuery;
use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::AppState;

/// Filters of the jurisdiction list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// `province`, `city`, `county`, `township` or `community`.
    level: Option<String>,
    /// Only below this code (its direct children when `level` is absent).
    parent: Option<String>,
}

/// Converts a stored jurisdiction to the wire form.
pub fn to_wire(j: &fangkong_store::jurisdictions::Jurisdiction) -> Jurisdiction {
    let bands = [j.pop_0_14, j.pop_15_59, j.pop_60_79, j.pop_80_plus];
    let population_by_age = if bands.iter().all(Option::is_some) {
        AgeBand::ALL
            .iter()
            .zip(bands)
            .map(|(b, n)| AgeBandCount {
                band: b.as_str().to_string(),
                count: n.unwrap_or(0),
            })
            .collect()
    } else {
        Vec::new()
    };
    Jurisdiction {
        code: j.code.clone(),
        name: j.name.clone(),
        level: j.level.clone(),
        parent_code: j.parent_code.clone(),
        population: j.population(),
        population_by_age,
        lon: j.lon,
        lat: j.lat,
    }
}

/// List jurisdictions in the caller's scope.
#[utoipa::path(get, path = "/api/v1/jurisdictions", tag = "jurisdictions", params(ListQuery),
    responses((status = 200, body = Page<Jurisdiction>), (status = 422, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Page<Jurisdiction>>> {
    let level = match q.level.as_deref().filter(|l| !l.is_empty()) {
        Some(l) => Some(Level::parse(l).ok_or_else(|| {
            Error::invalid(
                "level",
                "expected province, city, county, township or community",
            )
        })?),
        None => None,
    };
    let rows = state
        .app
        .list_jurisdictions(&actor, level, q.parent.as_deref())
        .await?;
    Ok(Json(Page {
        items: rows.iter().map(to_wire).collect(),
        total: None,
    }))
}

/// One jurisdiction with its ancestors, children and registry figures.
#[utoipa::path(get, path = "/api/v1/jurisdictions/{code}", tag = "jurisdictions",
    params(("code" = String, Path, description = "Jurisdiction code")),
    responses((status = 200, body = JurisdictionDetail), (status = 404, body = Problem)))]
pub async fn show(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(code): Path<String>,
) -> ApiResult<Json<JurisdictionDetail>> {
    let d = state.app.jurisdiction_detail(&actor, &code).await?;
    Ok(Json(JurisdictionDetail {
        jurisdiction: to_wire(&d.jurisdiction),
        ancestors: d.ancestors.iter().map(to_wire).collect(),
        children: d
            .children
            .iter()
            .map(|(c, n)| JurisdictionChild {
                jurisdiction: to_wire(c),
                registered_persons: *n,
            })
            .collect(),
        registered_persons: d.registered_persons,
        has_boundary: d.has_boundary,
    }))
}

/// The boundary of a jurisdiction as a GeoJSON Feature.
#[utoipa::path(get, path = "/api/v1/jurisdictions/{code}/boundary", tag = "jurisdictions",
    params(("code" = String, Path, description = "Jurisdiction code")),
    responses((status = 200, description = "GeoJSON Feature", content_type = "application/geo+json"),
              (status = 404, body = Problem)))]
pub async fn boundary(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(code): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let geometry = state
        .app
        .jurisdiction_boundary(&actor, &code)
        .await?
        .ok_or(Error::NotFound)?;
    let geometry: serde_json::Value =
        serde_json::from_str(&geometry).map_err(|_| Error::NotFound)?;
    let feature = serde_json::json!({
        "type": "Feature",
        "properties": { "code": code },
        "geometry": geometry,
    });
    Ok((
        [(header::CONTENT_TYPE, "application/geo+json")],
        feature.to_string(),
    ))
}

/// Import a jurisdiction list (CSV/XLSX) or boundaries (GeoJSON), all or nothing.
#[utoipa::path(post, path = "/api/v1/jurisdictions:import", tag = "jurisdictions", params(ImportQuery),
    request_body(content = Vec<u8>, description = "The file", content_type = "application/octet-stream"),
    responses((status = 200, body = ImportSummary), (status = 422, body = Problem)))]
pub async fn import(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> ApiResult<Json<ImportSummary>> {
    let file = q
        .file_name
        .unwrap_or_else(|| "jurisdictions.csv".to_string());
    let outcome = state.app.import_jurisdictions(&actor, &file, &body).await?;
    Ok(Json(super::import_summary(file, outcome)))
}
