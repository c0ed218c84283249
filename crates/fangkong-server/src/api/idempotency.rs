//! `Idempotency-Key` on batch writes: the first response to a key is stored with a digest of
//! the request, the same request sent again with the same key gets that response back
//! (marked `Idempotent-Replayed: true`) without being applied again, and a key reused for
//! a different request is refused. Failed requests are not stored, so a retry runs again.

use std::future::Future;

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use fangkong_app::Actor;
use fangkong_store::idempotency::StoredResponse;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::ApiResult;
use crate::AppState;

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// The response header set on a replayed response.
pub const REPLAYED: &str = "idempotent-replayed";
/// How long keys are kept.
pub const KEEP_MS: i64 = 24 * 3_600_000;

/// Runs `write` once per `(actor, Idempotency-Key)`; see the module documentation.
///
/// # Errors
/// `Invalid` for a malformed key or a key reused for another request; whatever `write`
/// returns.
pub async fn once<T, F, Fut>(
    state: &AppState,
    actor: &Actor,
    headers: &HeaderMap,
    route: &str,
    query: &str,
    body: &[u8],
    write: F,
) -> ApiResult<Response>
where
    T: Serialize,
    F: FnOnce() -> Fut,
    Fut: Future<Output = ApiResult<T>>,
{
    let Some(key) = headers.get(HEADER) else {
        return Ok(Json(write().await?).into_response());
    };
    let key = key
        .to_str()
        .ok()
        .filter(|k| !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            fangkong_app::Error::invalid(
                "Idempotency-Key",
                "must be 1 to 255 visible ASCII characters",
            )
        })?;
    let mut digest = Sha256::new();
    digest.update(route.as_bytes());
    digest.update([0]);
    digest.update(query.as_bytes());
    digest.update([0]);
    digest.update(body);
    let sha = digest.finalize().to_vec();
    let keys = state.app.store().idempotency();
    let principal = actor.username.clone();
    if let Some(stored) = keys
        .get(&principal, key)
        .await
        .map_err(fangkong_app::Error::from)?
    {
        if stored.route != route || stored.request_sha256 != sha {
            return Err(fangkong_app::Error::invalid(
                "Idempotency-Key",
                "was already used for a different request",
            )
            .into());
        }
        let status = u16::try_from(stored.status)
            .ok()
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::OK);
        let mut response = (
            status,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            stored.body,
        )
            .into_response();
        response
            .headers_mut()
            .insert(REPLAYED, HeaderValue::from_static("true"));
        return Ok(response);
    }
    let value = write().await?;
    let body = serde_json::to_string(&value).map_err(|e| {
        fangkong_app::Error::invalid("response", format!("could not be encoded: {e}"))
    })?;
    let now = state.app.now_ms();
    keys.put(
        &principal,
        key,
        &StoredResponse {
            route: route.to_string(),
            request_sha256: sha,
            status: 200,
            body: body.clone(),
        },
        now,
    )
    .await
    .map_err(fangkong_app::Error::from)?;
    // Keys live a day; forgetting old ones here keeps the table small without a scheduler.
    keys.expire(now - KEEP_MS)
        .await
        .map_err(fangkong_app::Error::from)?;
    Ok((
        StatusCode::OK,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response())
}
