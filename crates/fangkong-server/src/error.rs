//! The one error type at the edge, with the one `IntoResponse`.
//!
//! API routes answer RFC 9457 `application/problem+json`; web routes render
//! `templates/error.html`. Both carry the operation id so a user can quote it. Client
//! mistakes are logged at `info`; internal errors are logged once, here, with their cause
//! chain, and answered with a generic detail. No message carries personal data.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use fangkong_api_types::{FieldError, Problem};
use fangkong_app::Error;

use crate::middleware::current_operation_id;

/// An error answered by an API route.
#[derive(Debug)]
pub struct AppError(pub Error);

impl<E: Into<Error>> From<E> for AppError {
    fn from(e: E) -> AppError {
        AppError(e.into())
    }
}

/// The status, problem type and title of an app error.
pub fn classify(e: &Error) -> (StatusCode, &'static str, &'static str) {
    match e {
        Error::Invalid(_) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "/problems/invalid-input",
            "Invalid input",
        ),
        Error::Import(_) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "/problems/invalid-file",
            "Invalid file",
        ),
        Error::Unauthenticated => (
            StatusCode::UNAUTHORIZED,
            "/problems/unauthenticated",
            "Authentication required",
        ),
        Error::Locked { .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            "/problems/account-locked",
            "Account locked",
        ),
        Error::Forbidden => (
            StatusCode::FORBIDDEN,
            "/problems/forbidden",
            "Not permitted",
        ),
        Error::NotFound => (StatusCode::NOT_FOUND, "/problems/not-found", "Not found"),
        Error::Conflict(_) => (StatusCode::CONFLICT, "/problems/conflict", "Conflict"),
        Error::Store(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "/problems/internal",
            "Internal error",
        ),
    }
}

/// Builds the problem body of an app error (and logs it once).
pub fn problem(e: &Error) -> Problem {
    let (status, kind, title) = classify(e);
    let instance = current_operation_id();
    let (detail, errors) = match e {
        Error::Invalid(fields) => (
            e.to_string(),
            fields
                .iter()
                .map(|(field, reason)| FieldError {
                    line: None,
                    field: field.clone(),
                    reason: reason.clone(),
                })
                .collect(),
        ),
        Error::Import(file) => (
            format!(
                "{} has {} bad value(s); nothing was imported",
                file.file,
                file.errors.len()
            ),
            file.errors
                .iter()
                .map(|r| FieldError {
                    line: (r.line > 0).then_some(r.line),
                    field: r.field.clone(),
                    reason: r.reason.clone(),
                })
                .collect(),
        ),
        Error::Store(_) => (
            "the server could not complete the request".to_string(),
            Vec::new(),
        ),
        other => (other.to_string(), Vec::new()),
    };
    if status.is_server_error() {
        tracing::error!(operation_id = %instance, error = %error_chain(e), "request failed");
    } else {
        tracing::info!(operation_id = %instance, status = status.as_u16(), kind, "request refused");
    }
    Problem {
        kind: kind.to_string(),
        title: title.to_string(),
        status: status.as_u16(),
        detail,
        instance,
        errors,
    }
}

/// The error and its sources, `a: b: c`.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Serialises a problem as `application/problem+json`.
pub fn problem_response(p: &Problem) -> Response {
    let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(p).unwrap_or_default();
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body,
    )
        .into_response()
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        problem_response(&problem(&self.0))
    }
}

/// Result type of API handlers.
pub type ApiResult<T> = Result<T, AppError>;
