//! `/api/v1/bulk`: one action applied to many records as one audited operation, and its
//! progress.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use fangkong_api_types::{BulkCreate, BulkOperation, BulkRefusal, Problem};
use fangkong_app::bulk::{BulkKind, BulkRequest, BulkView};

use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::AppState;

pub(crate) fn to_wire(v: &BulkView) -> BulkOperation {
    BulkOperation {
        id: v.id,
        kind: v.kind.clone(),
        created_by: v.created_by.clone(),
        created_at_ms: v.created_at,
        total: v.total,
        done: v.done,
        failed: v.failed,
        status: v.status.clone(),
        errors: v
            .errors
            .iter()
            .map(|(id, reason)| BulkRefusal {
                id: *id,
                reason: reason.clone(),
            })
            .collect(),
        finished_at_ms: v.finished_at,
    }
}

/// Starts a bulk action; the records are changed in the background (poll the operation).
/// Each record is checked and audited as a single action on it would be.
#[utoipa::path(post, path = "/api/v1/bulk", tag = "dashboard", request_body = BulkCreate,
    responses((status = 202, body = BulkOperation), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn start(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(b): Json<BulkCreate>,
) -> ApiResult<(StatusCode, Json<BulkOperation>)> {
    let v = state
        .app
        .start_bulk(
            &actor,
            BulkRequest {
                kind: BulkKind::parse(&b.kind)?,
                ids: b.ids,
                target: b.target,
                note: b.note,
            },
        )
        .await?;
    Ok((StatusCode::ACCEPTED, Json(to_wire(&v))))
}

/// A bulk operation the caller started, with its progress and refusals.
#[utoipa::path(get, path = "/api/v1/bulk/{id}", tag = "dashboard",
    params(("id" = i64, Path)),
    responses((status = 200, body = BulkOperation), (status = 404, body = Problem)))]
pub async fn show(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Json<BulkOperation>> {
    Ok(Json(to_wire(&state.app.bulk_operation(&actor, id).await?)))
}
