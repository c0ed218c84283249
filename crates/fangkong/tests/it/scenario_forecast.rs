//! Scenario forecasts on both backends (issue #12): an ensemble run from the demo city's
//! state, stored and listed; its start matches the platform (residents, open cases, people
//! under a measure); bands are ordered; a run is a function of its seed; while it is fresh
//! the isolation, treatment and supplies forecasts take their arrivals and person-days from
//! it, and after two days they fall back to their trends; bad requests and roles without
//! `drills.read` are refused.

use fangkong_api_types::{ForecastBand, ScenarioForecast, ScenarioForecastRequest};
use fangkong_test_support::each_backend;
use reqwest::{Method, StatusCode};

use fangkong_client::PersonSearch;

use crate::dashboard::seed_demo;
use crate::tracing::case;
use crate::web::{csrf_of, Browser};

fn ordered(b: &ForecastBand) -> bool {
    b.p5 <= b.median && b.median <= b.p95 && b.p5 >= 0.0
}

fn request(seed: u64) -> ScenarioForecastRequest {
    ScenarioForecastRequest {
        horizon_days: Some(21),
        members: Some(8),
        seed: Some(seed),
    }
}

/// The run without what differs between two runs of the same request.
fn outcome(f: &ScenarioForecast) -> serde_json::Value {
    let mut v = serde_json::to_value(f).unwrap();
    for k in ["id", "created_at_ms"] {
        v.as_object_mut().unwrap().remove(k);
    }
    v
}

#[tokio::test]
async fn a_scenario_forecast_starts_from_the_platform_and_feeds_the_capacity_forecasts() {
    each_backend(|app| async move {
        seed_demo(&app, 3_000).await;
        // Four residents of Yicheng district found today, one of them severe.
        let people = app
            .client
            .search_persons(&PersonSearch {
                within: Some("411702".into()),
                limit: Some(4),
                ..PersonSearch::default()
            })
            .await
            .unwrap();
        assert_eq!(people.len(), 4);
        for (k, p) in people.iter().enumerate() {
            let mut c = case(p.id, "confirmed", Some("2026-11-29 08:00"));
            if k == 0 {
                c.severity = Some("severe".into());
            }
            app.client.register_case(&c).await.unwrap();
        }
        let before = app.client.isolation_forecast().await.unwrap();
        assert_eq!(
            (before.source.as_str(), before.scenario_id),
            ("trend", None)
        );

        let run = app
            .client
            .run_scenario_forecast(&request(11))
            .await
            .unwrap();
        assert_eq!(
            (
                run.jurisdiction_code.as_str(),
                run.as_of.as_str(),
                run.horizon_days,
                run.members
            ),
            ("4117", "2026-11-30", 21, 8)
        );
        // The start is the platform's state.
        let dash = app.client.dashboard().await.unwrap();
        let cases = dash.cases.as_ref().unwrap();
        // The registry: the 3 000 residents and the 1 200 people the demo registers as
        // inbound travellers, cold-chain workers and fever-clinic patients.
        assert_eq!(run.start.residents, 4_200);
        assert_eq!((run.start.isolated, cases.active), (4, 4));
        assert_eq!(run.start.recent_cases, 4);
        assert!(run.start.quarantined > 0, "{:?}", run.start);
        assert_eq!(run.start.hidden_infections, run.start.recent_cases);
        // 21 days from tomorrow, every band ordered.
        assert_eq!(run.days.len(), 21);
        assert_eq!(run.days[0].date, "2026-12-01");
        assert_eq!(run.days[20].date, "2026-12-21");
        for d in &run.days {
            for b in [
                &d.cases,
                &d.admissions,
                &d.quarantine_entries,
                &d.in_quarantine,
                &d.isolated,
                &d.in_hospital,
            ] {
                assert!(ordered(b), "{d:?}");
            }
        }
        for b in [
            &run.cases_total,
            &run.admissions_total,
            &run.quarantine_peak,
        ] {
            assert!(ordered(b), "{b:?}");
        }
        // Not a flat line: cases are found and people quarantined.
        assert!(
            run.cases_total.p95 > 0.0,
            "{:?} {:?}",
            run.cases_total,
            run.start
        );
        assert!(
            run.quarantine_peak.median > 0.0,
            "{:?}",
            run.quarantine_peak
        );
        // Every county of the city has its outlook, the same days long.
        let counties = app.client.jurisdictions(None, Some("4117")).await.unwrap();
        assert_eq!(
            run.counties
                .iter()
                .map(|c| c.county_code.as_str())
                .collect::<Vec<_>>(),
            counties.iter().map(|j| j.code.as_str()).collect::<Vec<_>>()
        );
        assert!(run
            .counties
            .iter()
            .all(|c| c.cases.len() == 21 && ordered(&c.cases_total)));
        // Supplies: every item of the catalogue; the masks of quarantine are used.
        let items = app
            .client
            .get_json("/api/v1/supplies/items")
            .await
            .unwrap()
            .1;
        assert_eq!(run.supplies.len(), items.as_array().unwrap().len());
        assert!(run.supplies.iter().any(|s| s.total.median > 0.0));
        assert!(run
            .supplies
            .iter()
            .all(|s| s.daily.len() == 21 && ordered(&s.total)));

        // The same seed gives the same run; it is stored and listed newest first.
        let again = app
            .client
            .run_scenario_forecast(&request(11))
            .await
            .unwrap();
        let run_id = again.id;
        assert_ne!(again.id, run.id);
        assert_eq!(outcome(&again), outcome(&run));
        let listed = app.client.scenario_forecasts().await.unwrap();
        assert_eq!(
            listed.iter().map(|f| f.id).collect::<Vec<_>>(),
            vec![again.id, run.id]
        );
        let (status, shown) = app
            .client
            .get_json(&format!("/api/v1/forecasts/scenario/{}", run.id))
            .await
            .unwrap();
        assert_eq!(status, StatusCode::OK);
        assert_eq!(shown["days"][20]["date"], "2026-12-21");
        // The list carries summaries: the totals, not the days.
        let (_, list) = app
            .client
            .get_json("/api/v1/forecasts/scenario")
            .await
            .unwrap();
        assert_eq!(list[1]["id"], run.id);
        assert_eq!(list[1]["cases_total"], shown["cases_total"]);
        assert!(list[1].get("days").is_none(), "{}", list[1]);

        // While fresh, the capacity forecasts take their arrivals from the latest run: ICU
        // beds its severe admissions, isolation beds its cases, rooms its quarantine entries.
        let median = |f: fn(&fangkong_api_types::ScenarioForecastDay) -> &ForecastBand| {
            again
                .days
                .iter()
                .take(14)
                .map(|d| f(d).median)
                .collect::<Vec<f64>>()
        };
        for pool in app.client.treatment_forecast().await.unwrap() {
            let arrivals: Vec<f64> = pool.days.iter().map(|d| d.arrivals).collect();
            match pool.pool.as_str() {
                "icu" => {
                    assert_eq!(
                        (pool.source.as_str(), pool.scenario_id),
                        ("scenario", Some(again.id))
                    );
                    assert_eq!(arrivals, median(|d| &d.admissions));
                }
                "isolation" => {
                    assert_eq!(
                        (pool.source.as_str(), pool.scenario_id),
                        ("scenario", Some(again.id))
                    );
                    assert_eq!(arrivals, median(|d| &d.cases));
                }
                _ => assert_eq!(pool.source, "trend"),
            }
        }
        let rooms = app.client.isolation_forecast().await.unwrap();
        assert_eq!(
            (rooms.source.as_str(), rooms.scenario_id),
            ("scenario", Some(again.id))
        );
        let entries = median(|d| &d.quarantine_entries);
        // A room per household: arrivals are entries over people per room, at most entries.
        for (d, e) in rooms.days.iter().zip(&entries) {
            assert!(d.arrivals <= *e + 1e-9, "{} > {e}", d.arrivals);
        }
        let supplies = app.client.supplies_forecast().await.unwrap();
        assert!(!supplies.is_empty());
        assert!(supplies.iter().all(|f| f.scenario_id == Some(run_id)));

        // The pages: the list with the run form, a run with its band charts and tables; the
        // form runs a new forecast and opens it.
        let mut b = Browser::new(&app);
        b.login("admin", "admin-password", "/forecasts/scenario")
            .await;
        let (status, html, _) = b.get("/forecasts/scenario").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains(&format!("href=\"/forecasts/scenario/{}\"", run.id)));
        let (status, html, _) = b.get(&format!("/forecasts/scenario/{}", again.id)).await;
        assert_eq!(status, StatusCode::OK);
        for chart in [
            "chart-cases",
            "chart-quarantine",
            "chart-isolated",
            "chart-hospital",
        ] {
            assert!(
                html.contains(&format!("id=\"{chart}\" data-chart=\"")),
                "{chart}"
            );
        }
        assert!(html.contains(&format!(
            "id=\"cases-total\">{:.0}</span>",
            again.cases_total.median
        )));
        assert_eq!(html.matches("<tr data-county=").count(), counties.len());
        let (_, page, _) = b.get("/forecasts/scenario").await;
        let (status, _, location) = b
            .post(
                "/forecasts/scenario",
                &[
                    ("csrf", &csrf_of(&page)),
                    ("horizon_days", "14"),
                    ("members", "2"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let newest = app.client.scenario_forecasts().await.unwrap()[0].clone();
        assert_eq!((newest.horizon_days, newest.members), (14, 2));
        assert_eq!(
            location.unwrap(),
            format!("/forecasts/scenario/{}", newest.id)
        );

        // Two days later the run is stale: back to the trends.
        app.clock
            .advance(chrono::Duration::days(2) + chrono::Duration::minutes(1));
        let stale = app.client.isolation_forecast().await.unwrap();
        assert_eq!((stale.source.as_str(), stale.scenario_id), ("trend", None));
        assert!(app
            .client
            .supplies_forecast()
            .await
            .unwrap()
            .iter()
            .all(|f| f.scenario_id.is_none()));

        // Bad requests and roles without drills.read.
        for (body, field) in [
            (serde_json::json!({"horizon_days": 31}), "horizon_days"),
            (serde_json::json!({"horizon_days": 13}), "horizon_days"),
            (serde_json::json!({"members": 0}), "members"),
            (serde_json::json!({"members": 51}), "members"),
        ] {
            let (status, problem) = app
                .client
                .send_json(Method::POST, "/api/v1/forecasts/scenario", &body)
                .await
                .unwrap();
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert!(problem.to_string().contains(field), "{problem}");
        }
        let sentinel = app.client_for("watcher", "sentinel-staff", None).await;
        let (status, _) = sentinel
            .send_json(
                Method::POST,
                "/api/v1/forecasts/scenario",
                &serde_json::json!({}),
            )
            .await
            .unwrap();
        assert_eq!(status, StatusCode::FORBIDDEN);
        app
    })
    .await;
}
