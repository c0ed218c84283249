//! Liveness and readiness.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use fangkong_api_types::Health;

use crate::AppState;

fn health(state: &AppState, status: &str) -> Health {
    Health {
        status: status.to_string(),
        version: state.version.to_string(),
        database: state.app.store().backend().as_str().to_string(),
    }
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", security(()),
    responses((status = 200, body = Health)))]
pub async fn healthz(State(state): State<AppState>) -> Json<Health> {
    Json(health(&state, "ok"))
}

/// The process can serve requests: the database answers.
#[utoipa::path(get, path = "/readyz", tag = "operations", security(()),
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    match state.app.store().ping().await {
        Ok(()) => (StatusCode::OK, Json(health(&state, "ready"))),
        Err(e) => {
            tracing::warn!(error = %crate::error::error_chain(&e), "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(health(&state, "unavailable")),
            )
        }
    }
}
