//! The jurisdiction hierarchy over the API, on the generated demo city.

use fangkong_test_support::each_backend;
use reqwest::StatusCode;

#[tokio::test]
async fn the_demo_city_has_the_real_divisions_and_subtree_queries_work() {
    each_backend(|app| async move {
        app.load_city(3_000).await;
        let counties = app
            .client
            .jurisdictions(Some("county"), Some("4117"))
            .await
            .unwrap();
        assert_eq!(counties.len(), 11);
        assert_eq!(counties[0].code, "411702");
        assert_eq!(counties[0].name, "驿城区");
        assert!(counties
            .iter()
            .all(|c| c.level == "county" && c.parent_code.as_deref() == Some("4117")));

        let townships = app
            .client
            .jurisdictions(Some("township"), Some("4117"))
            .await
            .unwrap();
        assert_eq!(townships.len(), 208);
        let in_yicheng = app
            .client
            .jurisdictions(Some("township"), Some("411702"))
            .await
            .unwrap();
        assert!(in_yicheng.iter().all(|t| t.code.starts_with("411702")));
        assert!(!in_yicheng.is_empty() && in_yicheng.len() < 208);

        // Without a level, `parent` gives the direct children.
        let children = app.client.jurisdictions(None, Some("4117")).await.unwrap();
        assert_eq!(children.len(), 11);

        let detail = app.client.jurisdiction("4117").await.unwrap();
        assert_eq!(detail.jurisdiction.name, "驻马店市");
        assert_eq!(
            detail
                .ancestors
                .iter()
                .map(|a| a.code.as_str())
                .collect::<Vec<_>>(),
            ["41"]
        );
        assert_eq!(detail.registered_persons, 3_000);
        assert_eq!(
            detail
                .children
                .iter()
                .map(|c| c.registered_persons)
                .sum::<i64>(),
            3_000
        );
        assert_eq!(detail.jurisdiction.population, Some(3_000));
        assert_eq!(detail.jurisdiction.population_by_age.len(), 4);

        let (status, body) = app
            .client
            .get_json("/api/v1/jurisdictions?level=district")
            .await
            .unwrap();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["errors"][0]["field"], "level");
        let (status, _) = app
            .client
            .get_json("/api/v1/jurisdictions/4199")
            .await
            .unwrap();
        assert_eq!(status, StatusCode::NOT_FOUND);

        // A township user's tree starts at its township.
        let town = in_yicheng[0].code.clone();
        let user = app.client_for("town", "county-operator", Some(&town)).await;
        let visible = user.jurisdictions(Some("county"), None).await.unwrap();
        assert!(visible.is_empty());
        let communities = user.jurisdictions(Some("community"), None).await.unwrap();
        assert!(!communities.is_empty() && communities.iter().all(|c| c.code.starts_with(&town)));
        assert_eq!(
            user.jurisdiction("4117").await.unwrap_err().status(),
            Some(StatusCode::NOT_FOUND)
        );

        let facilities = app
            .client
            .facilities(Some("hospital"), Some("4117"))
            .await
            .unwrap();
        assert!(!facilities.is_empty());
        assert!(facilities
            .iter()
            .all(|f| f.kind == "hospital" && f.beds_general + f.beds_icu + f.beds_isolation > 0));
        let venues = app.client.facilities(Some("venue"), None).await.unwrap();
        assert!(venues
            .iter()
            .all(|v| v.place_code.as_deref().is_some_and(|p| p.starts_with('P'))));
        app
    })
    .await;
}

#[tokio::test]
async fn loading_the_same_demo_city_twice_reuses_it() {
    each_backend(|app| async move {
        app.load_city(1_500).await;
        app.load_city(1_500).await;
        let detail = app.client.jurisdiction("4117").await.unwrap();
        assert_eq!(detail.registered_persons, 1_500);
        let other = fangkong_app::demo::DemoConfig {
            city_code: "4117".into(),
            population: 1_500,
            seed: 8,
        };
        let err = app
            .app
            .load_demo_city(&other, &fangkong_app::demo::NoProgress)
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("already holds demo city 4117:1500:7"),
            "{err}"
        );
        app
    })
    .await;
}
