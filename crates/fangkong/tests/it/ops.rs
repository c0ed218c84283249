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
