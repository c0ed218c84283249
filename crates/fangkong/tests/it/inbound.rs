//! Inbound control on both backends: policy versions loaded over the API (validated, stored
//! once, audited), and classification under the version in force on the day.

use fangkong_api_types::ClassifyRequest;
use fangkong_app::inbound::DEFAULT_POLICY;
use fangkong_client::ClientError;
use fangkong_store::audit::AuditFilter;
use fangkong_test_support::each_backend;
use reqwest::{Method, StatusCode};

fn request(pocket: &str, risk: Option<&str>, days: Option<u32>, day: &str) -> ClassifyRequest {
    ClassifyRequest {
        pocket: pocket.into(),
        origin_risk: risk.map(Into::into),
        origin_code: None,
        days_since_left: days,
        contact: None,
        vaccination: None,
        occupation: None,
        day: day.into(),
    }
}

/// The status and the field errors of a refused call.
fn refusal(e: ClientError) -> (StatusCode, Vec<(Option<u64>, String, String)>) {
    match e {
        ClientError::Api { status, problem } => (
            status,
            problem
                .map(|p| {
                    p.errors
                        .into_iter()
                        .map(|e| (e.line, e.field, e.reason))
                        .collect()
                })
                .unwrap_or_default(),
        ),
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn policy_versions_load_once_and_the_version_in_force_classifies() {
    each_backend(|app| async move {
        // Before any version is loaded, nothing is in force.
        let (status, _) = refusal(
            app.client
                .classify(&request("international", None, None, "2026-11-30"))
                .await
                .unwrap_err(),
        );
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

        let (status, loaded) = app
            .client
            .load_policy("inbound-default.toml", DEFAULT_POLICY)
            .await
            .unwrap();
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(
            (loaded.version.as_str(), loaded.effective_from.as_str(), loaded.rules.len()),
            ("default-2022-06", "2022-06-28", 10)
        );
        assert_eq!(
            loaded.rules[0].measure.text,
            "集中隔离7天+居家健康监测3天，第1、2、3、5、7、10天核酸检测"
        );
        // The same file again is a no-op; the same version with another text is refused.
        let (status, _) = app
            .client
            .load_policy("inbound-default.toml", DEFAULT_POLICY)
            .await
            .unwrap();
        assert_eq!(status, StatusCode::OK);
        let edited = DEFAULT_POLICY.replace("days = 7 }], test_days = [1, 4, 7]", "days = 5 }], test_days = [1, 4]");
        let (status, _) = refusal(
            app.client
                .load_policy("edited.toml", &edited)
                .await
                .unwrap_err(),
        );
        assert_eq!(status, StatusCode::CONFLICT);

        // A bad file is refused whole, naming the line, rule and field.
        let bad = edited.replace("default-2022-06", "bad-1").replace(
            "kind = \"home_quarantine\", days = 5",
            "kind = \"hotel\", days = 5",
        );
        let (status, errors) =
            refusal(app.client.load_policy("bad.toml", &bad).await.unwrap_err());
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        // Both rules edited above now name an unknown stage, each at its `[[rules]]` line
        // (the one before its id).
        let rule_line = |id: &str| {
            bad.lines()
                .position(|l| l == format!("id = \"{id}\""))
                .unwrap() as u64
        };
        let hotel = "unknown value 'hotel'; expected one of centralised_quarantine, \
                     home_quarantine, health_monitoring";
        assert_eq!(
            errors,
            vec![
                (
                    Some(rule_line("medium-risk-area")),
                    "rules.medium-risk-area.measure.stages[0].kind".to_string(),
                    hotel.to_string()
                ),
                (
                    Some(rule_line("secondary-contact")),
                    "rules.secondary-contact.measure.stages[0].kind".to_string(),
                    hotel.to_string()
                )
            ]
        );
        assert!(app
            .client
            .policies()
            .await
            .unwrap()
            .iter()
            .all(|v| v.version != "bad-1"));

        // A later version with shorter home quarantine from medium-risk areas.
        let next = edited
            .replace("version = \"default-2022-06\"", "version = \"city-2026-12\"")
            .replace("effective_from = \"2022-06-28\"", "effective_from = \"2026-12-01\"");
        let (status, _) = app.client.load_policy("city.toml", &next).await.unwrap();
        assert_eq!(status, StatusCode::CREATED);
        let versions = app.client.policies().await.unwrap();
        let labels: Vec<&str> = versions.iter().map(|v| v.version.as_str()).collect();
        assert_eq!(labels, vec!["default-2022-06", "city-2026-12"]);

        let today = app
            .client
            .classify(&request("domestic", Some("controlled"), Some(2), "2026-11-30"))
            .await
            .unwrap();
        assert_eq!(
            (today.version.as_str(), today.rule_id.as_str(), today.measure.text.as_str()),
            ("default-2022-06", "medium-risk-area", "居家隔离7天，第1、4、7天核酸检测")
        );
        assert_eq!(
            today.explanation,
            "政策default-2022-06版规则medium-risk-area（7天内有中风险区（管控区）旅居史：7天居家隔离）：\
             类别为来驻返驻人员；来自管控区；离开2天（不超过7天）"
        );
        let tomorrow = app
            .client
            .classify(&request("domestic", Some("controlled"), Some(2), "2026-12-01"))
            .await
            .unwrap();
        assert_eq!(
            (tomorrow.version.as_str(), tomorrow.measure.text_en.as_str()),
            ("city-2026-12", "5 days home quarantine; tests on days 1, 4")
        );
        // Unknown values are named.
        let (status, errors) = refusal(
            app.client
                .classify(&request("domestic", Some("purple"), Some(2), "2026-12-01"))
                .await
                .unwrap_err(),
        );
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].1, "origin_risk");

        // Each version loaded is audited once, with its hash.
        let audited = app
            .store
            .audit()
            .search(&AuditFilter {
                action: Some("inbound.policy_load".into()),
                limit: 10,
                ..AuditFilter::default()
            })
            .await
            .unwrap();
        let objects: Vec<Option<&str>> = audited.iter().map(|e| e.object_id.as_deref()).collect();
        assert_eq!(objects, vec![Some("city-2026-12"), Some("default-2022-06")]);
        app
    })
    .await;
}

#[tokio::test]
async fn risk_areas_keep_their_history_and_decide_the_origin_risk() {
    each_backend(|app| async move {
        app.client
            .load_policy("inbound-default.toml", DEFAULT_POLICY)
            .await
            .unwrap();
        let designate = |code: &str, level: &str| {
            serde_json::json!({"code": code, "name": format!("{code}区域"), "level": level,
                "lift_after_days": 7})
        };
        // Bad values are named.
        let (status, bad) = app
            .client
            .send_json(
                Method::POST,
                "/api/v1/inbound/risk-areas",
                &serde_json::json!({"code": "4117x", "name": " ", "level": "high", "lift_after_days": 0}),
            )
            .await
            .unwrap();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<&str> = bad["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, vec!["code", "name", "lift_after_days"]);

        // A county medium-risk at 10:00 (the test clock starts at 2026-11-30 10:00 CST); a
        // community in it high-risk an hour later.
        let (status, county) = app
            .client
            .send_json(Method::POST, "/api/v1/inbound/risk-areas", &designate("411702", "medium"))
            .await
            .unwrap();
        assert_eq!(status, StatusCode::CREATED, "{county}");
        app.clock.advance(chrono::Duration::hours(1));
        let (_, community) = app
            .client
            .send_json(
                Method::POST,
                "/api/v1/inbound/risk-areas",
                &designate("411702001001", "high"),
            )
            .await
            .unwrap();
        let from = |code: &str, days: u32, day: &str| ClassifyRequest {
            origin_code: Some(code.into()),
            ..request("domestic", None, Some(days), day)
        };
        // From the community: its own (strictest) designation; from elsewhere in the county:
        // the county's; from outside: none.
        let got = app.client.classify(&from("411702001001", 0, "2026-11-30")).await.unwrap();
        assert_eq!(got.rule_id, "high-risk-area");
        assert!(got.explanation.contains("来自高风险区"), "{}", got.explanation);
        let got = app.client.classify(&from("411702002003", 0, "2026-11-30")).await.unwrap();
        assert_eq!(got.rule_id, "medium-risk-area");
        let got = app.client.classify(&from("411721001001", 0, "2026-11-30")).await.unwrap();
        assert_eq!(got.rule_id, "other");
        // Someone who left the community the day before it was designated was there while
        // the virus was: from a high-risk area all the same. Someone who left 9 days before
        // is past the rule's 7 days.
        let got = app.client.classify(&from("411702001001", 1, "2026-11-30")).await.unwrap();
        assert_eq!(got.rule_id, "high-risk-area");
        let got = app.client.classify(&from("411702001001", 9, "2026-11-30")).await.unwrap();
        assert_eq!(got.rule_id, "other");

        // Redesignating the county lifts the old designation; lifting the community keeps
        // it in the history.
        app.clock.advance(chrono::Duration::hours(1));
        let (_, low) = app
            .client
            .send_json(Method::POST, "/api/v1/inbound/risk-areas", &designate("411702", "low"))
            .await
            .unwrap();
        let id = community["id"].as_i64().unwrap();
        let (status, lifted) = app
            .client
            .send_json(
                Method::POST,
                &format!("/api/v1/inbound/risk-areas/{id}/lift"),
                &serde_json::json!({"reason": "连续7天无新增病例"}),
            )
            .await
            .unwrap();
        assert_eq!(status, StatusCode::OK);
        assert_eq!(lifted["lift_reason"], "连续7天无新增病例");
        let (status, _) = app
            .client
            .send_json(
                Method::POST,
                &format!("/api/v1/inbound/risk-areas/{id}/lift"),
                &serde_json::json!({"reason": "again"}),
            )
            .await
            .unwrap();
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, in_force) = app.client.get_json("/api/v1/inbound/risk-areas").await.unwrap();
        let levels: Vec<(&str, &str)> = in_force["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["code"].as_str().unwrap(), a["level"].as_str().unwrap()))
            .collect();
        assert_eq!(levels, vec![("411702", "low")]);
        assert_eq!(low["level"], "low");
        let (_, history) = app
            .client
            .get_json("/api/v1/inbound/risk-areas?in_force=false&code=411702")
            .await
            .unwrap();
        let history: Vec<(&str, Option<&str>)> = history["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["level"].as_str().unwrap(), a["lift_reason"].as_str()))
            .collect();
        assert_eq!(
            history,
            vec![("low", None), ("medium", Some("redesignated as low"))]
        );
        // Someone who left today was there while the community was high risk; someone who
        // leaves tomorrow finds it low risk, through its county.
        let got = app.client.classify(&from("411702001001", 0, "2026-11-30")).await.unwrap();
        assert_eq!(got.rule_id, "high-risk-area");
        app.clock.advance(chrono::Duration::days(1));
        let got = app.client.classify(&from("411702001001", 0, "2026-12-01")).await.unwrap();
        assert_eq!(got.rule_id, "low-risk-area");
        assert!(got.explanation.contains("来自低风险区"), "{}", got.explanation);
        // Equally strict designations of the county and the community: the community's (the
        // more specific) is named.
        app.client
            .send_json(
                Method::POST,
                "/api/v1/inbound/risk-areas",
                &designate("411702001001", "precaution"),
            )
            .await
            .unwrap();
        let got = app
            .client
            .classify(&from("411702001001", 0, "2026-12-01"))
            .await
            .unwrap();
        assert_eq!(got.rule_id, "low-risk-area");
        assert!(got.explanation.contains("来自防范区"), "{}", got.explanation);
        assert_eq!(county["level"], "medium");
        app
    })
    .await;
}

#[tokio::test]
async fn a_risk_area_list_imports_whole_or_not_at_all_and_again_as_a_no_op() {
    each_backend(|app| async move {
        let import = |csv: &str| {
            app.client
                .import_risk_areas("list.csv", csv.as_bytes().to_vec())
        };
        // One bad row refuses the whole list.
        let (status, errors) = refusal(
            import("code,name,level\n110105,朝阳区,中风险区\n310115001,花木街道,封控\n")
                .await
                .unwrap_err(),
        );
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            errors,
            vec![(
                Some(3),
                "level".to_string(),
                "unknown level; expected one of high, medium, low, sealed, controlled, precaution"
                    .to_string()
            )]
        );
        let (_, none) = app.client.get_json("/api/v1/inbound/risk-areas").await.unwrap();
        assert_eq!(none["items"].as_array().unwrap().len(), 0);

        let list = "code,name,level,lift_after_days\n110105,朝阳区,中风险区,7\n310115001,花木街道,sealed,\n";
        let s = import(list).await.unwrap();
        assert_eq!((s.rows, s.created, s.updated, s.unchanged), (2, 2, 0, 0));
        let s = import(list).await.unwrap();
        assert_eq!((s.created, s.unchanged), (0, 2));
        let s = import("code,name,level\n110105,朝阳区,低风险区\n310115001,花木街道,sealed\n")
            .await
            .unwrap();
        assert_eq!((s.created, s.updated, s.unchanged), (0, 1, 1));
        // A traveller from a community of Chaoyang district leaving tomorrow: low risk then
        // (today it was medium until the new list came).
        let got = app
            .client
            .classify(&ClassifyRequest {
                origin_code: Some("110105001001".into()),
                ..request("domestic", None, Some(0), "2026-11-30")
            })
            .await;
        let (status, _) = refusal(got.unwrap_err());
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "no policy is loaded yet");
        app.client
            .load_policy("inbound-default.toml", DEFAULT_POLICY)
            .await
            .unwrap();
        app.clock.advance(chrono::Duration::days(1));
        let got = app
            .client
            .classify(&ClassifyRequest {
                origin_code: Some("110105001001".into()),
                ..request("domestic", None, Some(0), "2026-12-01")
            })
            .await
            .unwrap();
        assert_eq!(got.rule_id, "low-risk-area");
        app
    })
    .await;
}
