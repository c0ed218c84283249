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
    pub login_throttle: Arc<LoginThrottle>,
    /// The product version.
    pub version: &'static str,
}

/// Limits login attempts per client address: at most [`LoginThrottle::MAX_PER_MINUTE`] in a
/// rolling minute, so password guessing across many accounts is slowed as well as the
/// per-account lockout stops guessing one.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    attempts: std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, (i64, u32)>>,
}

impl LoginThrottle {
    /// Attempts allowed per address per minute.
    pub const MAX_PER_MINUTE: u32 = 20;

    /// Counts an attempt from `ip` at `now_ms`; false when over the limit.
    pub fn allow(&self, ip: std::net::IpAddr, now_ms: i64) -> bool {
        let mut map = self
            .attempts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() > 100_000 {
            map.retain(|_, (start, _)| now_ms - *start < 60_000);
        }
        let entry = map.entry(ip).or_insert((now_ms, 0));
        if now_ms - entry.0 >= 60_000 {
            *entry = (now_ms, 0);
        }
        entry.1 += 1;
        entry.1 <= Self::MAX_PER_MINUTE
    }
}
