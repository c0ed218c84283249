//! Metrics set-up: one Prometheus recorder per process, rendered at `/metrics`. (The tracing
//! subscriber is installed by the binary, which owns the process.)

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// The process-wide Prometheus recorder, installed on first use.
///
/// # Panics
/// Never in practice: installation fails only if another recorder was installed first,
/// and this function is the only place that installs one.
#[allow(clippy::expect_used)]
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("http_request_duration_seconds".to_string()),
                    &[
                        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                    ],
                )
                .expect("bucket list is not empty")
                .set_buckets_for_metric(
                    Matcher::Full("fangkong_ingest_duration_seconds".to_string()),
                    &[0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0],
                )
                .expect("bucket list is not empty")
                .install_recorder()
                .expect("only this function installs the metrics recorder")
        })
        .clone()
}
