//! Shared state of every handler.

use std::sync::Arc;

use fangkong_app::App;
use metrics_exporter_prometheus::PrometheusHandle;

/// What handlers share: the app, the OpenAPI document and the metrics handle.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub openapi: Arc<utoipa::openapi::OpenApi>,
    pub metrics: PrometheusHandle,
    /// Whether the server is reached over TLS (cookies get `Secure`).
    pub secure_cookies: bool,
}
