//! `/api/v1/facilities`: workplaces, schools, venues, sentinels, labs, sampling sites,
//! quarantine sites, hospitals and warehouses.

use axum::extract::{Path, Query, State};
use axum::Json;
use fangkong_api_types::{Facility, Page, Problem};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::AppState;

/// Converts a stored facility to the wire form.
pub fn to_wire(f: &fangkong_store::facilities::Facility) -> Facility {
    Facility {
        id: f.id,
        kind: f.kind.clone(),
        subtype: f.subtype.clone(),
        name: f.name.clone(),
        community_code: f.community_code.clone(),
        place_code: f.place_code.clone(),
        capacity: f.capacity,
        beds_general: f.beds_general,
        beds_icu: f.beds_icu,
        beds_isolation: f.beds_isolation,
        lon: f.lon,
        lat: f.lat,
    }
}

/// Filters of the facility list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// workplace, school, venue, sentinel, lab, sampling_site, quarantine_site, hospital, warehouse
    kind: Option<String>,
    /// Only inside this jurisdiction's subtree.
    within: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

/// List facilities in the caller's scope.
#[utoipa::path(get, path = "/api/v1/facilities", tag = "facilities", params(ListQuery),
    responses((status = 200, body = Page<Facility>), (status = 422, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Page<Facility>>> {
    let (limit, offset) = super::page(q.limit, q.offset, 100);
    let rows = state
        .app
        .list_facilities(
            &actor,
            q.kind.as_deref().filter(|k| !k.is_empty()),
            q.within.as_deref(),
            limit,
            offset,
        )
        .await?;
    Ok(Json(Page {
        items: rows.iter().map(to_wire).collect(),
        total: None,
    }))
}

/// One facility.
#[utoipa::path(get, path = "/api/v1/facilities/{id}", tag = "facilities",
    params(("id" = i64, Path, description = "Facility id")),
    responses((status = 200, body = Facility), (status = 404, body = Problem)))]
pub async fn show(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Json<Facility>> {
    let (f, _) = state.app.facility(&actor, id).await?;
    Ok(Json(to_wire(&f)))
}
