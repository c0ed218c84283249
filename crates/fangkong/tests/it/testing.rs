//! Nucleic-acid testing ingest on both backends: pooled and single tubes, refused rows kept
//! apart, idempotent re-sends, results kept as history, fan-out of positives.

use fangkong_app::Error;
use fangkong_domain::Scope;
use fangkong_test_support::{each_backend, TestApp};

/// Three residents of the demo city, by (full ID number, community).
async fn three_residents(app: &TestApp) -> Vec<(String, String)> {
    let people = app
        .store
        .persons()
        .search(&Scope::system(), "", None, 3, 0)
        .await
        .unwrap();
    let mut out = Vec::new();
    for p in people {
        let id = app
            .store
            .persons()
            .reveal_document(&Scope::system(), p.id)
            .await
            .unwrap();
        out.push((id, p.community_code));
    }
    out
}

#[tokio::test]
async fn pooled_and_single_tubes_fan_out_and_re_sends_change_nothing() {
    each_backend(|app| async move {
        app.load_city(1_000).await;
        let people = three_residents(&app).await;
        app.app.create_user("lab", "pw", "lab-submitter", None).await.unwrap();
        let lab = app.app.token_actor(&app.app.create_api_token("lab", "t", None).await.unwrap()).await.unwrap();
        let stranger = crate::id("411702", "1960-01-01", 998);
        let csv = format!(
            "tube_id,id_number,site_code,collected_at,pool_size\n\
             T1,{a},S1,2026-11-30 00:30,3\nT1,{b},S1,2026-11-30 00:31,3\nT1,{c},S1,2026-11-30 00:32,3\n\
             T2,{a},S1,2026-11-30 08:00,1\nT3,4101021990030712X4,S1,2026-11-30 08:00,1\nT4,{stranger},S1,2026-11-30 08:00,1\n",
            a = people[0].0,
            b = people[1].0,
            c = people[2].0,
        );
        let r = app.app.ingest_samples(&lab, "round1.csv", csv.as_bytes()).await.unwrap();
        assert_eq!((r.rows, r.stored, r.already_stored, r.tubes_created), (6, 4, 0, 2));
        let refused: Vec<_> = r.refused.iter().map(|e| (e.line, e.field.as_str())).collect();
        assert_eq!(refused, [(6, "id_number"), (7, "id_number")]);
        assert_eq!(r.refused[1].reason, "no registered person holds this document");
        let again = app.app.ingest_samples(&lab, "round1.csv", csv.as_bytes()).await.unwrap();
        assert_eq!((again.stored, again.already_stored, again.tubes_created), (0, 4, 0));

        let ndjson = "{\"tube_id\":\"T1\",\"result\":\"阳性\",\"ct_orf1ab\":31.2,\"lab_code\":\"L1\",\"tested_at\":\"2026-11-30 12:00\",\"reported_at\":\"2026-11-30 12:30\"}\n\
                      {\"tube_id\":\"T2\",\"result\":\"positive\",\"lab_code\":\"L1\",\"tested_at\":\"2026-11-30 12:00\",\"reported_at\":\"2026-11-30 12:30\"}\n\
                      {\"tube_id\":\"T9\",\"result\":\"negative\",\"lab_code\":\"L1\",\"tested_at\":\"2026-11-30 12:00\",\"reported_at\":\"2026-11-30 12:30\"}\n";
        let r = app.app.ingest_results(&lab, "lab.ndjson", ndjson.as_bytes()).await.unwrap();
        assert_eq!((r.stored, r.retest_tasks_created, r.suspected_cases_created), (2, 3, 1));
        assert_eq!(r.refused.iter().map(|e| (e.line, e.field.as_str())).collect::<Vec<_>>(), [(3, "tube_id")]);
        let again = app.app.ingest_results(&lab, "lab.ndjson", ndjson.as_bytes()).await.unwrap();
        assert_eq!((again.stored, again.already_stored, again.retest_tasks_created), (0, 2, 0));

        // The retest tasks reach the communities of the members, and only them.
        let system = fangkong_app::Actor::system("test");
        let tasks = app.app.retest_tasks(&system, Some("open"), 100).await.unwrap();
        let mut communities: Vec<_> = tasks.iter().map(|t| t.community_code.clone()).collect();
        communities.sort();
        let mut expected: Vec<_> = people.iter().map(|p| p.1.clone()).collect();
        expected.sort();
        assert_eq!(communities, expected);
        let county = &people[0].1[..6];
        let other = if county == "411721" { "411722" } else { "411721" };
        app.app.create_user("far", "pw", "county-operator", Some(other)).await.unwrap();
        let far = app.app.token_actor(&app.app.create_api_token("far", "t", None).await.unwrap()).await.unwrap();
        let seen = app.app.retest_tasks(&far, None, 100).await.unwrap();
        assert!(seen.iter().all(|t| t.community_code.starts_with(other)));
        assert!(matches!(app.app.retest_tasks(&lab, None, 10).await, Err(Error::Forbidden)), "a lab reads nothing");

        // A later result is history, not an overwrite.
        let later = "tube_id,result,lab_code,tested_at,reported_at\nT1,negative,L2,2026-12-01 09:00,2026-12-01 09:30\n";
        app.app.ingest_results(&lab, "retest.csv", later.as_bytes()).await.unwrap();
        let history = app.store.testing().tube_history("T1").await.unwrap();
        assert_eq!(history.iter().map(|h| h.outcome.as_str()).collect::<Vec<_>>(), ["positive", "negative"]);
        // 2026-11-30 12:00 China Standard Time is 04:00 UTC.
        assert_eq!(history[0].tested_at, chrono::DateTime::parse_from_rfc3339("2026-11-30T04:00:00Z").unwrap().timestamp_millis());
        assert_eq!(app.store.testing().tube_status("T1").await.unwrap(), "negative");
        app
    })
    .await;
}

#[tokio::test]
async fn labs_submit_batches_over_the_api_and_tasks_are_listed() {
    each_backend(|app| async move {
        app.load_city(1_000).await;
        let people = three_residents(&app).await;
        let lab = app.client_for("lab", "lab-submitter", None).await;
        let staff = app.client_for("staff", "testing-staff", None).await;
        let (status, round) = staff
            .send_json(reqwest::Method::POST, "/api/v1/testing/rounds", &serde_json::json!({
                "code": "2026-11-30", "name": "全员核酸", "jurisdiction_code": "4117",
                "starts_on": "2026-11-30", "ends_on": "2026-11-30"}))
            .await
            .unwrap();
        assert_eq!(status, reqwest::StatusCode::CREATED, "{round}");
        let samples: String = people
            .iter()
            .map(|(id, _)| format!("{{\"tube_id\":\"Q1\",\"id_number\":\"{id}\",\"site_code\":\"S1\",\"collected_at\":\"2026-11-30T01:00:00Z\",\"pool_size\":10,\"round_code\":\"2026-11-30\"}}\n"))
            .collect();
        let http = reqwest::Client::new();
        let token = app.app.create_api_token("lab", "batch", None).await.unwrap();
        let post = |path: &str, body: String| {
            http.post(format!("{}{path}", app.base_url)).bearer_auth(&token).body(body).send()
        };
        let r: serde_json::Value = post("/api/v1/testing/samples:batch?file_name=s.ndjson", samples).await.unwrap().json().await.unwrap();
        assert_eq!((r["stored"].as_u64(), r["tubes_created"].as_u64()), (Some(3), Some(1)), "{r}");
        let results = "tube_id,result,lab_code,tested_at,reported_at\nQ1,inconclusive,L1,2026-11-30 12:00,2026-11-30 12:10\nQ404,positive,L1,2026-11-30 12:00,2026-11-30 12:10\n";
        let r: serde_json::Value = post("/api/v1/testing/results:batch?file_name=r.csv", results.to_string()).await.unwrap().json().await.unwrap();
        assert_eq!(r["retest_tasks_created"], 3, "{r}");
        assert_eq!(r["refused"][0]["line"], 3);
        assert_eq!(r["refused"][0]["field"], "tube_id");
        let (status, tasks) = staff.get_json("/api/v1/testing/retest-tasks?status=open").await.unwrap();
        assert_eq!(status, reqwest::StatusCode::OK);
        let items = tasks["items"].as_array().unwrap();
        assert_eq!(items.len(), 3);
        assert!(items.iter().all(|t| t["reason"] == "pool_inconclusive" && t["tube_id"] == "Q1"));
        let (status, _) = lab.get_json("/api/v1/testing/retest-tasks").await.unwrap();
        assert_eq!(status, reqwest::StatusCode::FORBIDDEN, "a lab submits and reads nothing");
        app
    })
    .await;
}
