//! Building the router and running the server with graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use fangkong_app::App;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::{api, assets, middleware, telemetry, web, AppState};

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Set when clients reach the server over TLS (a terminating proxy): cookies get `Secure`.
    pub secure_cookies: bool,
    /// Longest time one request may take before it is answered 408.
    pub request_timeout: Duration,
    /// More API routes, registered like the built-in ones (and so listed in the OpenAPI
    /// document). Tests use it to show that the authorization matrix catches a route that
    /// forgets its checks.
    pub extra_api_routes: Option<fn() -> utoipa_axum::router::OpenApiRouter<AppState>>,
    /// The product version shown in the UI and health answers (the binary's).
    pub version: &'static str,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            secure_cookies: false,
            request_timeout: Duration::from_secs(300),
            extra_api_routes: None,
            version: "dev",
        }
    }
}

/// The whole application: API, web UI, assets, operational endpoints, with the layers every
/// request goes through.
pub fn router(app: App, config: &ServerConfig) -> Router {
    let (api_routes, openapi) = api::routes(config.extra_api_routes.map(|f| f()));
    let state = AppState {
        app,
        openapi: Arc::new(openapi),
        metrics: telemetry::metrics_handle(),
        secure_cookies: config.secure_cookies,
        login_throttle: Arc::default(),
        version: config.version,
    };
    Router::new()
        .merge(api_routes)
        .merge(web::routes())
        .route("/api/openapi.json", get(openapi_json))
        .route("/metrics", get(metrics))
        .route("/assets/{*path}", get(assets::serve))
        .route_layer(axum::middleware::from_fn(middleware::request_metrics))
        .fallback(not_found)
        .with_state(state)
        .layer(axum::middleware::from_fn(middleware::api_problems))
        .layer(axum::middleware::from_fn(middleware::security_headers))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ))
        .layer(CatchPanicLayer::new())
        .layer(TraceLayer::new_for_http())
        .layer(axum::middleware::from_fn(middleware::operation))
}

async fn openapi_json(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> impl IntoResponse {
    Json(state.openapi.as_ref().clone())
}

/// The Prometheus text: the recorded counters and histograms, with the work queues' depths
/// read from the store at scrape time (`fangkong_queue_depth{queue}`), so that they are
/// never stale. A store that cannot answer leaves the depths out and says so in the log;
/// the scrape itself still succeeds (`/readyz` reports the store).
async fn metrics(axum::extract::State(state): axum::extract::State<AppState>) -> impl IntoResponse {
    match state.app.store().queue_depths().await {
        Ok(depths) => {
            for (queue, depth) in depths {
                metrics::gauge!("fangkong_queue_depth", "queue" => queue).set(depth as f64);
            }
        }
        Err(e) => tracing::warn!(error = %e, "reading queue depths for /metrics failed"),
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        state.metrics.render(),
    )
}

async fn not_found() -> impl IntoResponse {
    crate::error::AppError(fangkong_app::Error::NotFound)
}

/// Serves `router` on an already bound listener until `shutdown` resolves, then lets running
/// requests finish.
///
/// # Errors
/// When the listener fails.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutting down");
}
