//! Drills on both backends: each shipped scenario runs end to end in a sandbox at small
//! scale (3 000 residents, 30 days), its events entering through the real ingest paths, and
//! produces a report whose scores are exact (deterministic for the scenario's seed and the
//! test clock); the report is served as JSON and as a page, and a user of another county
//! sees none of it.

use fangkong_app::drills::{DrillRun, Pace};
use fangkong_app::Actor;
use fangkong_sim::drill::parse_scenario;
use fangkong_test_support::{each_backend, TestApp};
use reqwest::StatusCode;

use crate::web::{figure, Browser};

const COLD_CHAIN: &str = include_str!("../../../../scenarios/cold-chain.toml");
const SCHOOL: &str = include_str!("../../../../scenarios/school.toml");
const TRAVEL: &str = include_str!("../../../../scenarios/travel.toml");

/// Prepares the sandbox and runs the scenario to its end as fast as possible; returns the
/// drill id.
async fn run(app: &TestApp, file: &str, text: &str) -> i64 {
    let scenario = parse_scenario(file, text).unwrap();
    app.app.prepare_drill_sandbox(&scenario).await.unwrap();
    app.app
        .run_drill(
            &Actor::system("drill"),
            &DrillRun {
                scenario,
                scenario_text: text.to_string(),
                until_day: None,
                pace: Pace::Stepped(app.clock.clone()),
            },
        )
        .await
        .unwrap()
}

/// The headline figures of a report as one line per county, for exact comparison.
async fn summary(app: &TestApp, id: i64) -> String {
    let d = app.app.drill(&Actor::system("test"), id).await.unwrap();
    assert_eq!(d.row.status, "finished");
    let r = d.report.unwrap();
    let mut out = format!("feeds {:?}\n", r.feeds);
    for c in r.total.iter().chain(&r.counties) {
        if c.infections == 0 && c.cases == 0 && c.stockouts == 0 {
            continue;
        }
        out.push_str(&format!(
            "{} inf={} cases={} det={:?}/{} rep={:?}/{} iso={:?}/{} trt={:?}/{} late_rep={} late_iso={} late_tasks={}/{} short={}d/{} beds={}d stockouts={} score={}\n",
            c.code, c.infections, c.cases,
            c.detection.median_hours, c.detection.n,
            c.report.median_hours, c.report.n,
            c.isolation.median_hours, c.isolation.n,
            c.treatment.median_hours, c.treatment.n,
            c.late_reports, c.late_isolations, c.late_tasks, c.co_items,
            c.isolation_shortfall_days, c.isolation_peak_shortfall,
            c.bed_shortfall_days, c.stockouts, c.score
        ));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cold_chain_drill_scores_the_four_earlies() {
    each_backend(|app| async move {
        let id = run(&app, "cold-chain.toml", COLD_CHAIN).await;
        let s = summary(&app, id).await;
        println!("{s}");
        assert_eq!(
            s,
            concat!(
            "feeds Feeds { travellers: 0, sentinel_reports: 40320, sentinel_alerts: 67, samples: 23, results: 23, cases: 23, isolations: 20, admissions: 0, recoveries: 20, co_investigation_items: 0 }\n",
            "4117 inf=75 cases=23 det=Some(44.77)/17 rep=Some(1.32)/23 iso=Some(3.86)/20 trt=None/0 late_rep=9 late_iso=3 late_tasks=46/0 short=0d/0 beds=0d stockouts=65 score=31.33\n",
            "411702 inf=0 cases=0 det=None/0 rep=None/0 iso=None/0 trt=None/0 late_rep=0 late_iso=0 late_tasks=0/0 short=0d/0 beds=0d stockouts=5 score=75\n",
            "411721 inf=0 cases=0 det=None/0 rep=None/0 iso=None/0 trt=None/0 late_rep=0 late_iso=0 late_tasks=0/0 short=0d/0 beds=0d stockouts=5 score=75\n",
            "411722 inf=0 cases=0 det=None/0 rep=None/0 iso=None/0 trt=None/0 late_rep=0 late_iso=0 late_tasks=0/0 short=0d/0 beds=0d stockouts=4 score=80\n",
            "411723 inf=0 cases=0 det=None/0 rep=None/0 iso=None/0 trt=None/0 late_rep=0 late_iso=0 late_tasks=0/0 short=0d/0 beds=0d stockouts=4 score=80\n",
            "411724 inf=0 cases=0 det=None/0 rep=None/0 iso=None/0 trt=None/0 late_rep=0 late_iso=0 late_tasks=0/0 short=0d/0 beds=0d stockouts=5 score=75\n",
            "411725 inf=0 cases=0 det=None/0 rep=None/0 iso=None/0 trt=None/0 late_rep=0 late_iso=0 late_tasks=0/0 short=0d/0 beds=0d stockouts=5 score=75\n",
            "411726 inf=71 cases=21 det=Some(46.16)/16 rep=Some(1.55)/21 iso=Some(3.99)/18 trt=None/0 late_rep=9 late_iso=3 late_tasks=42/0 short=0d/0 beds=0d stockouts=9 score=29.82\n",
            "411727 inf=0 cases=0 det=None/0 rep=None/0 iso=None/0 trt=None/0 late_rep=0 late_iso=0 late_tasks=0/0 short=0d/0 beds=0d stockouts=5 score=75\n",
            "411728 inf=0 cases=0 det=None/0 rep=None/0 iso=None/0 trt=None/0 late_rep=0 late_iso=0 late_tasks=0/0 short=0d/0 beds=0d stockouts=5 score=75\n",
            "411729 inf=4 cases=2 det=Some(40.48)/1 rep=Some(0.76)/2 iso=Some(3.81)/2 trt=None/0 late_rep=0 late_iso=0 late_tasks=4/0 short=0d/0 beds=0d stockouts=13 score=50\n",
            "411771 inf=0 cases=0 det=None/0 rep=None/0 iso=None/0 trt=None/0 late_rep=0 late_iso=0 late_tasks=0/0 short=0d/0 beds=0d stockouts=5 score=75\n",
        )
        );
        app
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn school_drill_scores_and_serves_its_report() {
    each_backend(|app| async move {
        let id = run(&app, "school.toml", SCHOOL).await;
        let s = summary(&app, id).await;
        println!("{s}");
        assert_eq!(
            s,
            concat!(
            "feeds Feeds { travellers: 0, sentinel_reports: 40320, sentinel_alerts: 69, samples: 66, results: 66, cases: 66, isolations: 63, admissions: 0, recoveries: 62, co_investigation_items: 0 }\n",
            "4117 inf=187 cases=66 det=Some(47.38)/52 rep=Some(0.92)/66 iso=Some(4.33)/63 trt=None/0 late_rep=13 late_iso=3 late_tasks=130/0 short=0d/0 beds=0d stockouts=36 score=36.22\n",
            "411722 inf=187 cases=66 det=Some(47.38)/52 rep=Some(0.92)/66 iso=Some(4.33)/63 trt=None/0 late_rep=13 late_iso=3 late_tasks=130/0 short=0d/0 beds=0d stockouts=10 score=36.22\n",
            "411724 inf=0 cases=0 det=None/0 rep=None/0 iso=None/0 trt=None/0 late_rep=0 late_iso=0 late_tasks=0/0 short=0d/0 beds=0d stockouts=13 score=70\n",
            "411725 inf=0 cases=0 det=None/0 rep=None/0 iso=None/0 trt=None/0 late_rep=0 late_iso=0 late_tasks=0/0 short=0d/0 beds=0d stockouts=13 score=70\n",
        )
        );

        // The report as JSON: the same figures, the whole city for the admin.
        let (status, json) = app
            .client
            .get_json(&format!("/api/v1/drills/{id}"))
            .await
            .unwrap();
        assert_eq!(status, StatusCode::OK);
        assert_eq!(json["drill"]["status"], "finished");
        assert_eq!(json["drill"]["scenario"], "school");
        assert_eq!(json["drill"]["day_reached"], 30);
        let d = app.app.drill(&Actor::system("test"), id).await.unwrap();
        let total = d.report.as_ref().unwrap().total.clone().unwrap();
        assert_eq!(json["report"]["total"]["cases"], total.cases);
        assert_eq!(json["report"]["total"]["score"], total.score);
        assert_eq!(json["report"]["daily"].as_array().unwrap().len(), 30);
        let (status, list) = app.client.get_json("/api/v1/drills").await.unwrap();
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list.as_array().unwrap().len(), 1);

        // The page with its charts' data and the score.
        let mut b = Browser::new(&app);
        b.login("admin", "admin-password", "/drills").await;
        let (status, html, _) = b.get(&format!("/drills/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(figure(&html, "total-score"), format!("{:.1}", total.score));
        assert_eq!(figure(&html, "total-cases"), total.cases.to_string());
        assert!(html.contains("id=\"delay-chart\" data-chart=\""));
        assert!(html.contains("id=\"occupancy-chart\" data-chart=\""));
        let (status, html, _) = b.get("/drills").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains(&format!("href=\"/drills/{id}\"")));

        // A commander of one county sees only that county; a county operator nothing.
        let county = d.report.as_ref().unwrap().counties[0].code.clone();
        app.app
            .create_user("cmd", "pw", "commander", Some(&county))
            .await
            .unwrap();
        let token = app.app.create_api_token("cmd", "t", None).await.unwrap();
        let (status, json) = app
            .client
            .with_token(Some(&token))
            .get_json(&format!("/api/v1/drills/{id}"))
            .await
            .unwrap();
        assert_eq!(status, StatusCode::OK);
        assert_eq!(json["report"]["total"], serde_json::Value::Null);
        assert_eq!(json["report"]["counties"].as_array().unwrap().len(), 1);
        assert_eq!(json["report"]["counties"][0]["code"], county.as_str());
        app.app
            .create_user("op", "pw", "county-operator", Some(&county))
            .await
            .unwrap();
        let token = app.app.create_api_token("op", "t", None).await.unwrap();
        let (status, _) = app
            .client
            .with_token(Some(&token))
            .get_json(&format!("/api/v1/drills/{id}"))
            .await
            .unwrap();
        assert_eq!(status, StatusCode::FORBIDDEN);
        app
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn travel_drill_enters_as_a_traveller_list_and_scores() {
    each_backend(|app| async move {
        let id = run(&app, "travel.toml", TRAVEL).await;
        let s = summary(&app, id).await;
        println!("{s}");
        assert_eq!(
            s,
            concat!(
            "feeds Feeds { travellers: 6, sentinel_reports: 40320, sentinel_alerts: 60, samples: 35, results: 35, cases: 35, isolations: 33, admissions: 0, recoveries: 30, co_investigation_items: 30 }\n",
            "4117 inf=74 cases=35 det=Some(47.83)/26 rep=Some(1.2)/35 iso=Some(3.47)/33 trt=None/0 late_rep=8 late_iso=2 late_tasks=98/30 short=0d/0 beds=0d stockouts=64 score=34.69\n",
            "411702 inf=10 cases=1 det=Some(43.32)/1 rep=Some(4.0)/1 iso=Some(2.95)/1 trt=None/0 late_rep=1 late_iso=0 late_tasks=5/3 short=0d/0 beds=0d stockouts=13 score=30\n",
            "411721 inf=16 cases=7 det=Some(49.43)/6 rep=Some(1.08)/7 iso=Some(3.75)/5 trt=None/0 late_rep=0 late_iso=2 late_tasks=17/3 short=0d/0 beds=0d stockouts=13 score=34.29\n",
            "411722 inf=43 cases=24 det=Some(48.37)/17 rep=Some(1.26)/24 iso=Some(3.33)/24 trt=None/0 late_rep=5 late_iso=0 late_tasks=50/4 short=0d/0 beds=0d stockouts=9 score=36.01\n",
            "411723 inf=1 cases=1 det=Some(50.4)/1 rep=Some(6.33)/1 iso=Some(4.9)/1 trt=None/0 late_rep=1 late_iso=0 late_tasks=8/6 short=0d/0 beds=0d stockouts=8 score=10\n",
            "411724 inf=3 cases=2 det=Some(43.35)/1 rep=Some(1.43)/2 iso=Some(5.23)/2 trt=None/0 late_rep=1 late_iso=0 late_tasks=6/2 short=0d/0 beds=0d stockouts=13 score=40\n",
            "411725 inf=1 cases=0 det=None/0 rep=None/0 iso=None/0 trt=None/0 late_rep=0 late_iso=0 late_tasks=3/3 short=0d/0 beds=0d stockouts=0 score=80\n",
            "411726 inf=0 cases=0 det=None/0 rep=None/0 iso=None/0 trt=None/0 late_rep=0 late_iso=0 late_tasks=2/2 short=0d/0 beds=0d stockouts=8 score=50\n",
        )
        );
        // The province's push sits in the sandbox's co-investigation inbox like a real
        // one: the six travellers and four co-passengers each, split to their counties,
        // all overdue (nobody worked the sandbox).
        let tasks = app.app.co_tasks(&Actor::system("test")).await.unwrap();
        assert_eq!(tasks.len(), 1);
        assert_eq!((tasks[0].total, tasks[0].done, tasks[0].overdue), (30, 0, 30));
        app
    })
    .await;
}

#[tokio::test]
async fn a_drill_in_a_sandbox_without_its_city_fails_clearly() {
    let app = TestApp::spawn().await;
    let scenario = parse_scenario("school.toml", SCHOOL).unwrap();
    let e = app
        .app
        .run_drill(
            &Actor::system("drill"),
            &DrillRun {
                scenario,
                scenario_text: SCHOOL.into(),
                until_day: Some(3),
                pace: Pace::Stepped(app.clock.clone()),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid input: scenario: the sandbox does not hold the city 4117:3000:2026 the scenario names; prepare it first"
    );
    let (_, json) = app.client.get_json("/api/v1/drills/1").await.unwrap();
    assert_eq!(json["drill"]["status"], "failed");
    assert_eq!(
        json["failure"],
        "invalid input: scenario: the sandbox does not hold the city 4117:3000:2026 the scenario names; prepare it first"
    );
    app.verify().await;
}

#[test]
fn drill_run_from_the_command_line_without_serving() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sandbox");
    let scenario = dir.path().join("school.toml");
    std::fs::write(&scenario, SCHOOL).unwrap();
    let o = crate::cli::fangkong(
        &data,
        &[
            "drill",
            "run",
            "--scenario",
            scenario.to_str().unwrap(),
            "--no-serve",
            "--until-day",
            "4",
        ],
    );
    let out = crate::cli::text(&o);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains("drill 1 (school) finished: report at /drills/1"),
        "{out}"
    );
    assert!(out.contains("\n4117 "), "{out}");

    // A bad scenario file is refused with its file, line and field; nothing is run.
    std::fs::write(&scenario, SCHOOL.replace("days = 30", "days = 0")).unwrap();
    let o = crate::cli::fangkong(
        &data,
        &[
            "drill",
            "run",
            "--scenario",
            scenario.to_str().unwrap(),
            "--no-serve",
        ],
    );
    assert!(!o.status.success());
    assert!(
        crate::cli::text(&o).contains("school.toml:8: days: must be 1 to 120"),
        "{}",
        crate::cli::text(&o)
    );
}
