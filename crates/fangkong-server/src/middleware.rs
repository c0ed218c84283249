//! Cross-cutting layers: operation ids, request metrics, security headers.

use std::time::Instant;

use axum::extract::{FromRequest as _, MatchedPath, Request};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use tracing::Instrument as _;

tokio::task_local! {
    static OPERATION_ID: String;
}

/// The `x-request-id` header carrying the operation id.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The operation id of the request being handled ("-" outside a request).
pub fn current_operation_id() -> String {
    OPERATION_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| "-".to_string())
}

/// Gives every request an operation id (the client's `x-request-id` if sane, else a new
/// UUID), makes it available to error rendering, runs the request in a span carrying it and
/// echoes it in the response.
pub async fn operation(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_string);
    let span = tracing::info_span!(
        "request",
        operation_id = %id,
        method = %request.method(),
        path = %request.uri().path()
    );
    let mut response = OPERATION_ID
        .scope(id.clone(), next.run(request).instrument(span))
        .await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, v);
    }
    response
}

/// Records request count and latency by matched route (a route layer, so the route template
/// is known and unmatched paths do not create series).
pub async fn request_metrics(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!(
        "http_requests_total",
        "method" => method.clone(),
        "route" => route.clone(),
        "status" => status
    )
    .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Gives every error answer of the API the problem+json form, including the ones produced
/// by extractors and layers before a handler runs (malformed JSON, a bad path parameter, a
/// body over the limit, a timeout): their plain-text reason becomes the `detail`.
pub async fn api_problems(request: Request, next: Next) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    let status = response.status();
    let already = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| {
            // A FHIR answer carries its own error form (an OperationOutcome).
            v.as_bytes().starts_with(b"application/problem+json")
                || v.as_bytes().starts_with(b"application/fhir+json")
        });
    if !is_api || already || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    let detail = String::from_utf8_lossy(&bytes).trim().to_string();
    let kind = match status.as_u16() {
        400 => "/problems/malformed-request",
        408 => "/problems/timeout",
        413 => "/problems/body-too-large",
        415 => "/problems/unsupported-media-type",
        422 => "/problems/invalid-input",
        _ => "/problems/http",
    };
    let problem = fangkong_api_types::Problem {
        kind: kind.to_string(),
        title: status.canonical_reason().unwrap_or("Error").to_string(),
        status: status.as_u16(),
        detail: if detail.is_empty() {
            status.to_string()
        } else {
            detail
        },
        instance: current_operation_id(),
        errors: Vec::new(),
    };
    tracing::info!(status = status.as_u16(), kind, "request refused");
    let mut out = crate::error::problem_response(&problem);
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

/// Security headers on every response: a CSP without inline script, no sniffing, no framing.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// Checks a JSON request body before a handler sees it: a declared `Content-Length` over
/// [`crate::api::JSON_BODY_LIMIT`] is refused at once (413) instead of after the client has
/// sent, or stalled sending, the whole body; and the body must be one JSON object (422),
/// because serde reads a struct from an array too (`[]` was an empty update) and every JSON
/// route of the API takes an object.
///
/// Only requests whose content type is `application/json` are looked at; the body is read
/// under the route's body limit and handed on unchanged.
pub async fn json_object_body(request: Request, next: Next) -> Response {
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !is_json {
        return next.run(request).await;
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let limit = u64::try_from(crate::api::JSON_BODY_LIMIT).unwrap_or(u64::MAX);
    if declared.is_some_and(|n| n > limit) {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the body is larger than the limit of {} bytes",
                crate::api::JSON_BODY_LIMIT
            ),
        )
            .into_response();
    }
    let (parts, body) = request.into_parts();
    let request = Request::from_parts(parts.clone(), body);
    let bytes = match axum::body::Bytes::from_request(request, &()).await {
        Ok(bytes) => bytes,
        Err(rejection) => return rejection.into_response(),
    };
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            "the body must be a json object",
        )
            .into_response();
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}
