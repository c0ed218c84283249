//! Building the router and running the server with graceful shutdown.

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
    /// Longest time one request may take, reading its body included, before it is answered
    /// 408.
    pub request_timeout: Duration,
    /// Longest time a connection may take to send a request's headers (from its first byte,
    /// or from the end of the previous response on a kept-alive connection) before it is
    /// closed: a client that trickles its headers ("slowloris") cannot hold a connection.
    pub header_read_timeout: Duration,
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
            header_read_timeout: Duration::from_secs(30),
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
        // Inside the problem and header layers, so a 408 is a problem document with the
        // security headers like every other refusal.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ))
        .layer(axum::middleware::from_fn(middleware::api_problems))
        .layer(axum::middleware::from_fn(middleware::security_headers))
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
/// requests finish, with the default [`ServerConfig::header_read_timeout`].
///
/// # Errors
/// When the listener fails.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, router, &ServerConfig::default(), shutdown).await
}

/// Serves `router` on an already bound listener until `shutdown` resolves, then lets running
/// requests finish (connections are closed once their current response is written).
///
/// HTTP/1.1 over hyper, like `axum::serve`, and in addition a connection must send each
/// request's headers within `config.header_read_timeout`: `axum::serve` sets no timer, so a
/// client could hold a connection open forever by sending one header byte at a time. The
/// body is covered by the request timeout layer of [`router`]. Handlers see the peer address
/// as `ConnectInfo<SocketAddr>`.
///
/// # Errors
/// Never for a failed accept (too many open files, a connection reset before it was
/// accepted): those are logged and the loop goes on after a pause.
pub async fn serve_with(
    listener: TcpListener,
    router: Router,
    config: &ServerConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::extract::ConnectInfo;
    use tower::ServiceExt as _;

    let header_read_timeout = config.header_read_timeout;
    // Connections watch `stop` to finish gracefully; each holds a `done` receiver, so
    // `done_tx.closed()` resolves when the last one has ended.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let (done_tx, done_rx) = tokio::sync::watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = router.clone().map_request(
            move |request: axum::http::Request<hyper::body::Incoming>| {
                let mut request = request.map(axum::body::Body::new);
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            },
        );
        let mut stop = stop_rx.clone();
        let done = done_rx.clone();
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(header_read_timeout);
            let connection = builder.serve_connection(
                hyper_util::rt::TokioIo::new(stream),
                hyper_util::service::TowerToHyperService::new(service),
            );
            let mut connection = std::pin::pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                changed = stop.changed() => {
                    // On shutdown the connection finishes its current response and closes;
                    // if the server itself is gone, it is left to finish on its own.
                    if changed.is_ok() {
                        connection.as_mut().graceful_shutdown();
                    }
                    connection.as_mut().await
                }
            };
            if let Err(e) = result {
                tracing::debug!(error = %e, %peer, "connection ended");
            }
            drop(done);
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(done_rx);
    done_tx.closed().await;
    Ok(())
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
