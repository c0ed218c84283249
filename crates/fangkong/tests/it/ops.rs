//! Operational endpoints and the cross-cutting behaviour of the server.

use fangkong_test_support::{each_backend, TestApp};
use reqwest::StatusCode;

#[tokio::test]
async fn health_readiness_metrics_and_openapi() {
    each_backend(|app| async move {
        let (status, body) = app.client.get_json("/healthz").await.unwrap();
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["status"], "ok");
        let (status, body) = app.client.get_json("/readyz").await.unwrap();
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["status"], "ready");
        assert!(["sqlite", "postgres"].contains(&body["database"].as_str().unwrap()));

        let (status, doc) = app.client.get_json("/api/openapi.json").await.unwrap();
        assert_eq!(status, StatusCode::OK);
        let paths = doc["paths"].as_object().unwrap();
        for p in [
            "/api/v1/persons",
            "/api/v1/persons/{id}",
            "/api/v1/jurisdictions",
            "/api/v1/persons:import",
        ] {
            assert!(paths.contains_key(p), "openapi lacks {p}");
        }
        assert!(doc["components"]["schemas"]["Person"].is_object());

        let metrics = reqwest::get(format!("{}/metrics", app.base_url))
            .await
            .unwrap();
        assert_eq!(metrics.status(), StatusCode::OK);
        let text = metrics.text().await.unwrap();
        assert!(text.contains("http_requests_total"), "{text}");
        assert!(text.contains("route=\"/healthz\""), "{text}");
        app
    })
    .await;
}

#[tokio::test]
async fn errors_are_problem_json_with_operation_id() {
    let app = TestApp::spawn().await;
    let r = reqwest::Client::new()
        .get(format!("{}/api/v1/persons/999", app.base_url))
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert_eq!(r.headers()["x-request-id"], "trace-me-123");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["type"], "/problems/unauthenticated");
    assert_eq!(body["status"], 401);
    assert_eq!(body["instance"], "trace-me-123");

    let (status, body) = app.client.get_json("/api/v1/persons/999").await.unwrap();
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["type"], "/problems/not-found");
    let (status, _) = app.client.get_json("/api/v1/no-such-route").await.unwrap();
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.verify().await;
}

#[tokio::test]
async fn oversized_and_malformed_bodies_are_refused() {
    let app = TestApp::spawn().await;
    let http = reqwest::Client::new();
    let token = app.app.create_api_token("admin", "t2", None).await.unwrap();
    let big = vec![b'a'; 3 * 1024 * 1024];
    let r = http
        .post(format!("{}/api/v1/persons", app.base_url))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["type"], "/problems/body-too-large");
    let r = http
        .post(format!("{}/api/v1/persons", app.base_url))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["type"], "/problems/malformed-request");
    assert!(body["detail"].as_str().unwrap().contains("EOF"), "{body}");
    let (status, body) = app
        .client
        .get_json("/api/v1/persons/not-a-number")
        .await
        .unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["type"], "/problems/malformed-request");
    let r = http
        .get(format!("{}/api/v1/persons", app.base_url))
        .bearer_auth("fkt_not-a-real-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    app.verify().await;
}

#[tokio::test]
async fn security_headers_are_set() {
    let app = TestApp::spawn().await;
    let r = reqwest::get(format!("{}/login", app.base_url))
        .await
        .unwrap();
    let csp = r.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    app.verify().await;
}

/// The metrics an operator alerts on: ingest rows and files by kind and outcome, ingest
/// durations, and the work queues' depths read at scrape time (docs/operations.md lists the
/// alerts built on them).
#[tokio::test]
async fn metrics_count_ingests_and_report_queue_depths() {
    each_backend(|app| async move {
        app.client
            .import_jurisdictions(
                "d.csv",
                "code,name\n41,河南省\n4117,驻马店市\n411702,驿城区\n\
                 411702001,顺河街道\n411702001001,示范社区\n"
                    .as_bytes()
                    .to_vec(),
            )
            .await
            .unwrap();
        let persons = format!(
            "name,id_number,phone,community_code\n甲,{},,411702001001\n乙,{},,411702001001\n",
            crate::id("411702", "1980-01-01", 11),
            crate::id("411702", "1981-01-01", 12)
        );
        app.client
            .import_persons("persons.csv", persons.into_bytes())
            .await
            .unwrap();
        let text = reqwest::get(format!("{}/metrics", app.base_url))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let value = |prefix: &str| -> f64 {
            text.lines()
                .find_map(|l| l.strip_prefix(prefix))
                .unwrap_or_else(|| panic!("no {prefix} in {text}"))
                .trim()
                .parse()
                .unwrap()
        };
        // Counters are per process and tests run in parallel: at least this test's rows.
        assert!(value("fangkong_ingest_rows_total{kind=\"persons\",outcome=\"accepted\"}") >= 2.0);
        assert!(value("fangkong_ingest_files_total{kind=\"persons\",result=\"ok\"}") >= 1.0);
        assert!(
            value("fangkong_ingest_duration_seconds_count{kind=\"persons\"}") >= 1.0,
            "{text}"
        );
        for queue in [
            "retest_tasks",
            "coldchain_tasks",
            "arrival_reviews",
            "sentinel_alerts",
            "placed_not_checked_in",
            "federation_outbox",
            "federation_failed",
        ] {
            assert!(
                text.contains(&format!("fangkong_queue_depth{{queue=\"{queue}\"}}")),
                "no depth of {queue}: {text}"
            );
        }
        app
    })
    .await;
}
