//! `/api/v1/persons`: the person registry. Identifiers are always masked in responses.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use fangkong_api_types::{
    DuplicateCandidate, ImportSummary, MergeRequest, Page, Person, PersonCreate, PersonEvent,
    PersonUpdate, Problem, RevealRequest, Revealed,
};
use fangkong_app::persons::{PersonChanges, PersonInput, PersonQuery};
use serde::Deserialize;
use utoipa::IntoParams;

use super::ImportQuery;
use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::AppState;

/// Converts a stored person to the wire form (masked identifiers).
pub fn to_wire(p: &fangkong_store::persons::Person) -> Person {
    Person {
        id: p.id,
        document_kind: p.doc_kind.clone(),
        id_number: p.doc_masked.clone(),
        nationality: p.nationality.clone(),
        name: p.name.clone(),
        sex: p.sex.clone(),
        birth_date: p.birth_date.clone(),
        phone: p.phone_masked.clone(),
        address: p.address.clone(),
        community_code: p.community_code.clone(),
        household_id: p.household_id,
        tags: p.tags(),
        synthetic: p.synthetic,
        merged_into: p.merged_into,
        created_at: p.created_at,
        updated_at: p.updated_at,
        closed_at: p.closed_at,
        purged: p.purged_at.is_some(),
        matched_existing: false,
    }
}

/// Search parameters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Exact mainland ID number.
    id_number: Option<String>,
    /// An ID number, a phone number or the start of a name.
    q: Option<String>,
    /// Only inside this jurisdiction's subtree.
    within: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

/// Search the registry.
#[utoipa::path(get, path = "/api/v1/persons", tag = "persons", params(ListQuery),
    responses((status = 200, body = Page<Person>), (status = 422, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Page<Person>>> {
    let (limit, offset) = super::page(q.limit, q.offset, 50);
    let rows = state
        .app
        .search_persons(
            &actor,
            &PersonQuery {
                id_number: q.id_number,
                q: q.q,
                within: q.within,
                limit,
                offset,
            },
        )
        .await?;
    Ok(Json(Page {
        items: rows.iter().map(to_wire).collect(),
        total: None,
    }))
}

/// Register a person. A known document returns the existing record (200) instead.
#[utoipa::path(post, path = "/api/v1/persons", tag = "persons", request_body = PersonCreate,
    responses((status = 201, body = Person), (status = 200, body = Person, description = "Document already registered"),
              (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(body): Json<PersonCreate>,
) -> ApiResult<Response> {
    let input = PersonInput {
        id_number: body.id_number,
        document_kind: body.document_kind,
        document_number: body.document_number,
        nationality: body.nationality,
        name: body.name,
        phone: body.phone,
        address: body.address,
        community_code: body.community_code,
        tags: body.tags,
        sex: body.sex,
        birth_date: body.birth_date,
    };
    let (person, existing) = state.app.create_person(&actor, &input).await?;
    let mut wire = to_wire(&person);
    wire.matched_existing = existing;
    let status = if existing {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let location = format!("/api/v1/persons/{}", person.id);
    Ok((status, [(header::LOCATION, location)], Json(wire)).into_response())
}

/// One person.
#[utoipa::path(get, path = "/api/v1/persons/{id}", tag = "persons",
    params(("id" = i64, Path, description = "Person id")),
    responses((status = 200, body = Person), (status = 404, body = Problem)))]
pub async fn show(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Json<Person>> {
    Ok(Json(to_wire(&state.app.person(&actor, id).await?)))
}

/// Change a person's name, phone, address, community or tags.
#[utoipa::path(patch, path = "/api/v1/persons/{id}", tag = "persons", request_body = PersonUpdate,
    params(("id" = i64, Path, description = "Person id")),
    responses((status = 200, body = Person), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(body): Json<PersonUpdate>,
) -> ApiResult<Json<Person>> {
    let changes = PersonChanges {
        name: body.name,
        phone: body.phone,
        address: body.address,
        community_code: body.community_code,
        tags: body.tags,
        closed: body.closed,
    };
    Ok(Json(to_wire(
        &state.app.update_person(&actor, id, &changes).await?,
    )))
}

/// The history of a person, including records merged into it.
#[utoipa::path(get, path = "/api/v1/persons/{id}/history", tag = "persons",
    params(("id" = i64, Path, description = "Person id")),
    responses((status = 200, body = Page<PersonEvent>), (status = 404, body = Problem)))]
pub async fn history(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Json<Page<PersonEvent>>> {
    let events = state.app.person_history(&actor, id).await?;
    Ok(Json(Page {
        items: events
            .into_iter()
            .map(|e| PersonEvent {
                person_id: e.person_id,
                at: e.at,
                kind: e.kind,
                actor: e.actor,
                detail: serde_json::from_str(&e.detail).unwrap_or(serde_json::Value::Null),
            })
            .collect(),
        total: None,
    }))
}

/// Reveal the full ID number and/or phone number, stating why (needs `pii.reveal`; audited).
#[utoipa::path(post, path = "/api/v1/persons/{id}/reveal", tag = "persons", request_body = RevealRequest,
    params(("id" = i64, Path, description = "Person id")),
    responses((status = 200, body = Revealed), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn reveal(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(body): Json<RevealRequest>,
) -> ApiResult<Json<Revealed>> {
    let mut document = false;
    let mut phone = false;
    for f in &body.fields {
        match f.as_str() {
            "id_number" => document = true,
            "phone" => phone = true,
            _ => {
                return Err(
                    fangkong_app::Error::invalid("fields", "expected id_number or phone").into(),
                )
            }
        }
    }
    let r = state
        .app
        .reveal_person(&actor, id, &body.purpose, document, phone)
        .await?;
    Ok(Json(Revealed {
        id_number: r.id_number,
        phone: r.phone,
    }))
}

/// Limit of the duplicate list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct DuplicatesQuery {
    limit: Option<i64>,
}

/// Pairs of records that may be one person (same name and birth date, or same phone).
#[utoipa::path(get, path = "/api/v1/persons/duplicates", tag = "persons", params(DuplicatesQuery),
    responses((status = 200, body = Page<DuplicateCandidate>), (status = 403, body = Problem)))]
pub async fn duplicates(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<DuplicatesQuery>,
) -> ApiResult<Json<Page<DuplicateCandidate>>> {
    let rows = state
        .app
        .duplicate_candidates(&actor, q.limit.unwrap_or(50))
        .await?;
    Ok(Json(Page {
        items: rows
            .iter()
            .map(|c| DuplicateCandidate {
                first: to_wire(&c.first),
                second: to_wire(&c.second),
                reason: c.reason.as_str().to_string(),
            })
            .collect(),
        total: None,
    }))
}

/// Merge another record into this person, keeping both histories.
#[utoipa::path(post, path = "/api/v1/persons/{id}/merge", tag = "persons", request_body = MergeRequest,
    params(("id" = i64, Path, description = "The person to keep")),
    responses((status = 200, body = Person), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn merge(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(body): Json<MergeRequest>,
) -> ApiResult<Json<Person>> {
    Ok(Json(to_wire(
        &state
            .app
            .merge_persons(&actor, id, body.duplicate_id)
            .await?,
    )))
}

/// Import a person list (CSV/XLSX), all or nothing; re-importing the same file is a no-op.
#[utoipa::path(post, path = "/api/v1/persons:import", tag = "persons", params(ImportQuery),
    request_body(content = Vec<u8>, description = "The file", content_type = "application/octet-stream"),
    responses((status = 200, body = ImportSummary), (status = 422, body = Problem)))]
pub async fn import(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> ApiResult<Json<ImportSummary>> {
    let file = q.file_name.unwrap_or_else(|| "persons.csv".to_string());
    let outcome = state.app.import_persons(&actor, &file, &body).await?;
    Ok(Json(super::import_summary(file, outcome)))
}
