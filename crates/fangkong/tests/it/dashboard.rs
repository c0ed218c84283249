//! The command dashboard on both backends: the figures of a known day (cases new and active,
//! contacts under control, the four earlies, the areas of the map, the curve) through the
//! API; sections hidden from roles without their capability and a county user seeing only
//! their county; the page showing the API's figures with a drill-down link behind each, the
//! wall-screen layout and English; the event stream pushing a changed figure; and on the
//! demo city every figure equal to what the capability's own API says.

use fangkong_api_types::Dashboard;
use fangkong_test_support::{each_backend, TestApp};
use reqwest::StatusCode;

use crate::tracing::{case, confirm, fixture};
use crate::web::Browser;

/// The text of the element carrying `data-figure="{path}"`, up to its first `<`.
pub(crate) fn shown(html: &str, path: &str) -> String {
    let marker = format!("data-figure=\"{path}\">");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("{path} not on the page"))
        + marker.len();
    html[at..].split('<').next().unwrap().to_string()
}

/// Four cases (two today, one yesterday, one ten days ago) in two counties and one
/// confirmed contact; returns the person ids.
pub(crate) async fn known_day(app: &TestApp) -> Vec<i64> {
    let ids = fixture(
        app,
        &[
            "甲病例",
            "甲家一",
            "甲家二",
            "甲家三",
            "乙密接",
            "丙病例",
            "丁病例",
            "戊病例",
        ],
    )
    .await;
    let at = |mut c: fangkong_api_types::CaseCreate, detected: &str, reported: &str| {
        c.detected_at = Some(detected.into());
        c.reported_at = Some(reported.into());
        c
    };
    let first = app
        .client
        .register_case(&at(
            case(ids[0], "confirmed", Some("2026-11-29 08:00")),
            "2026-11-30 08:00",
            "2026-11-30 09:00",
        ))
        .await
        .unwrap();
    app.client
        .register_case(&at(
            case(ids[5], "asymptomatic", None),
            "2026-11-29 10:00",
            "2026-11-29 13:00",
        ))
        .await
        .unwrap();
    app.client
        .register_case(&at(
            case(ids[6], "suspected", None),
            "2026-11-20 10:00",
            "2026-11-20 10:00",
        ))
        .await
        .unwrap();
    let mut severe = case(ids[7], "confirmed", None);
    severe.severity = Some("severe".into());
    app.client.register_case(&severe).await.unwrap();
    app.client
        .decide_contact(
            first.id,
            true,
            &confirm(ids[4], "venue", "2026-11-28 11:00"),
        )
        .await
        .unwrap();
    ids
}

#[tokio::test]
async fn the_dashboard_counts_a_known_day_within_the_callers_jurisdiction() {
    each_backend(|app| async move {
        known_day(&app).await;
        let d = app.client.dashboard().await.unwrap();
        assert_eq!(d.day, "2026-11-30");
        assert_eq!(
            (
                d.jurisdiction_code.as_deref(),
                d.jurisdiction_name.as_deref()
            ),
            (Some("4117"), Some("驻马店市"))
        );
        let c = d.cases.clone().unwrap();
        assert_eq!(
            (c.new_today, c.new_yesterday, c.new_7d, c.new_prev_7d),
            (2, 1, 3, 1)
        );
        assert_eq!(
            (
                c.active,
                c.active_confirmed,
                c.active_asymptomatic,
                c.active_suspected,
                c.severe,
                c.recovered,
                c.died
            ),
            (4, 2, 1, 1, 1, 0, 0)
        );
        let k = d.contacts.clone().unwrap();
        assert_eq!((k.confirmed, k.under_control, k.without_measure), (1, 1, 0));
        // The contact's measure, assigned and not yet reached, is the only open one.
        let m = d.measures.clone().unwrap();
        assert_eq!((m.total, m.not_active), (1, 1));
        assert_eq!(app.client.measures(true).await.unwrap().len(), 1);
        let t = d.testing.clone().unwrap();
        assert_eq!(
            (t.positives_today, t.positives_yesterday, t.round),
            (0, 0, None)
        );
        let i = d.isolation.clone().unwrap();
        assert_eq!((i.sites, i.rooms, i.occupants), (0, 0, 0));
        assert_eq!(d.beds.clone().unwrap().hospitals, 0);
        assert_eq!(d.supplies_at_risk, Some(0));
        assert_eq!(d.alerts.clone().unwrap().open, 0);
        assert_eq!((d.overdue_tasks, d.overdue_directives), (Some(0), Some(0)));
        // Four earlies: one onset known (24 h to detection, on time), reports after 1, 3, 0
        // and 0 hours (three within 2 hours, median 0.5), nobody isolated yet.
        let e = d.four_early.clone().unwrap();
        assert_eq!(
            (e.detection.n, e.detection.median_hours, e.detection.timely),
            (1, Some(24.0), 1)
        );
        assert_eq!(
            (
                e.report.n,
                e.report.median_hours,
                e.report.timely,
                e.report.target_hours
            ),
            (4, Some(0.5), 3, 2.0)
        );
        assert_eq!((e.isolation.n, e.isolation.median_hours), (0, None));
        // The map: the city's counties (the province above has only this city).
        let areas: Vec<(&str, u64, u64)> = d
            .areas
            .iter()
            .map(|a| (a.code.as_str(), a.active, a.new_7d))
            .collect();
        assert_eq!(areas, [("411702", 3, 2), ("411721", 1, 1)]);
        let curve = d.curve.clone().unwrap();
        assert_eq!(curve.days.len(), 60);
        assert_eq!(curve.days[59], "2026-11-30");
        assert_eq!((curve.by_report[59], curve.by_report[58]), (2, 1));

        // A tracing officer of Xiping sees Xiping's one case, its township on the map, and
        // no section of a capability the role cannot read.
        let xiping = app
            .client_for("xiping", "tracing-staff", Some("411721"))
            .await;
        let x = xiping.dashboard().await.unwrap();
        assert_eq!(x.jurisdiction_code.as_deref(), Some("411721"));
        let xc = x.cases.unwrap();
        assert_eq!((xc.new_today, xc.active, xc.severe), (1, 1, 1));
        let xa: Vec<(&str, u64)> = x
            .areas
            .iter()
            .map(|a| (a.code.as_str(), a.active))
            .collect();
        assert_eq!(xa, [("411721001", 1)]);
        assert_eq!(x.contacts.unwrap().confirmed, 0);
        assert!(x.isolation.is_none() && x.beds.is_none() && x.curve.is_none());
        assert!(x.alerts.is_none() && x.supplies_at_risk.is_none());
        // A sentinel reporter has no dashboard.
        let reporter = app
            .client_for("clinic", "sentinel-reporter", Some("411702"))
            .await;
        let e = reporter.dashboard().await.unwrap_err();
        assert_eq!(e.status(), Some(StatusCode::FORBIDDEN));
        // A directive to a county due at 11:00, still open at 11:30: overdue on the city's
        // dashboard (the clock stands at 10:00 China time).
        app.client
            .issue_directive(&fangkong_api_types::DirectiveCreate {
                target_code: "411702".into(),
                target_unit: String::new(),
                title: "核酸筛查".into(),
                body: "今日完成重点人群采样".into(),
                due: "2026-11-30 11:00".into(),
            })
            .await
            .unwrap();
        assert_eq!(
            app.client.dashboard().await.unwrap().overdue_directives,
            Some(0)
        );
        app.clock.advance(chrono::Duration::minutes(90));
        let d = app.client.dashboard().await.unwrap();
        assert_eq!((d.overdue_tasks, d.overdue_directives), (Some(0), Some(1)));
        app
    })
    .await;
}

/// The next `figures` event of a dashboard event stream.
async fn next_figures(stream: &mut reqwest::Response, buffer: &mut String) -> Dashboard {
    loop {
        if let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            if let Some(data) = event
                .lines()
                .find_map(|l| l.strip_prefix("data: "))
                .filter(|_| event.contains("event: figures"))
            {
                return serde_json::from_str(data).unwrap();
            }
            continue;
        }
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(20), stream.chunk())
            .await
            .expect("an event within 20 s")
            .unwrap()
            .expect("the stream stays open");
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
    }
}

#[tokio::test]
async fn the_page_shows_the_apis_figures_with_drill_downs_and_follows_the_event_stream() {
    each_backend(|app| async move {
        let ids = known_day(&app).await;
        let api: Dashboard = app.client.dashboard().await.unwrap();
        let mut b = Browser::signed_in(&app, "chief", "commander", None).await;
        let (status, html, _) = b.get("/dashboard").await;
        assert_eq!(status, StatusCode::OK);
        let c = api.cases.clone().unwrap();
        assert_eq!(shown(&html, "cases.new_today"), c.new_today.to_string());
        assert_eq!(shown(&html, "cases.active"), c.active.to_string());
        assert_eq!(shown(&html, "contacts.under_control"), "1");
        assert_eq!(
            shown(&html, "measures.centralised"),
            api.measures.as_ref().unwrap().centralised.to_string()
        );
        assert_eq!(shown(&html, "testing.positives_today"), "0");
        assert_eq!(shown(&html, "alerts.open"), "0");
        assert_eq!(shown(&html, "overdue_tasks"), "0");
        // Every figure leads to the list behind it.
        for (tile, link) in [
            ("tile-new-cases", "/tracing"),
            ("tile-active-cases", "/tracing?classification=confirmed"),
            ("tile-contacts", "/tracing/chains"),
            ("tile-centralised", "/inbound/measures"),
            ("tile-positives", "/testing/positives"),
            ("tile-coverage", "/testing"),
            ("tile-isolation", "/isolation"),
            ("tile-beds", "/treatment"),
            ("tile-supplies", "/supplies"),
            ("tile-alerts", "/sentinels/alerts?status=new"),
            ("tile-tasks", "/co-investigations"),
            ("tile-directives", "/command"),
        ] {
            assert!(
                html.contains(&format!("href=\"{link}\" id=\"{tile}\"")),
                "{tile} -> {link}"
            );
        }
        assert!(
            html.contains("<a href=\"/tracing?county=411702\">"),
            "county drill-down"
        );
        assert!(!html.contains("class=\"dash wall\""));
        let (_, wall, _) = b.get("/dashboard?wall=1").await;
        assert!(wall.contains("class=\"dash wall\""));
        b.get("/lang/en?next=/dashboard").await;
        let (_, en, _) = b.get("/dashboard").await;
        assert!(en.contains("Command dashboard") && en.contains("New cases today"));

        // The event stream sends the figures at once, then again when one changes.
        let http = reqwest::Client::new();
        let mut stream = http
            .get(format!("{}/dashboard/events?every=1", app.base_url))
            .header("cookie", b.cookies.join("; "))
            .send()
            .await
            .unwrap();
        assert_eq!(stream.status(), StatusCode::OK);
        assert_eq!(
            stream.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        let mut buffer = String::new();
        let first = next_figures(&mut stream, &mut buffer).await;
        assert_eq!(first.cases.as_ref().unwrap().new_today, 2);
        app.client
            .register_case(&case(ids[1], "confirmed", None))
            .await
            .unwrap();
        let second = next_figures(&mut stream, &mut buffer).await;
        assert_eq!(second.cases.as_ref().unwrap().new_today, 3);
        assert_eq!(second.cases.as_ref().unwrap().active, 5);
        app
    })
    .await;
}

/// The demo city of `population` with every capability's demo data, as `fangkong demo`
/// loads it.
pub(crate) async fn seed_demo(app: &TestApp, population: u64) {
    app.load_city(population).await;
    let config = fangkong_app::demo::DemoConfig {
        city_code: "4117".into(),
        population,
        seed: 7,
    };
    app.app.seed_demo_testing(&config).await.unwrap();
    app.app.seed_demo_inbound(&config).await.unwrap();
    app.app.seed_demo_tracing(&config).await.unwrap();
    app.app.seed_demo_isolation(&config).await.unwrap();
    app.app.seed_demo_sentinel(&config).await.unwrap();
    app.app.seed_demo_immunization(&config).await.unwrap();
    app.app.seed_demo_supplies(&config).await.unwrap();
}

#[tokio::test]
async fn on_the_demo_city_every_figure_equals_its_capabilitys_own_answer() {
    each_backend(|app| async move {
        seed_demo(&app, 2_000).await;
        let d = app.client.dashboard().await.unwrap();
        assert_eq!(d.jurisdiction_code.as_deref(), Some("4117"));
        // The map: every county of Zhumadian.
        let counties = app.client.jurisdictions(None, Some("4117")).await.unwrap();
        assert_eq!(
            d.areas.iter().map(|a| a.code.as_str()).collect::<Vec<_>>(),
            counties.iter().map(|j| j.code.as_str()).collect::<Vec<_>>()
        );
        let cases = app
            .client
            .get_json("/api/v1/tracing/cases?limit=5000")
            .await
            .unwrap()
            .1;
        let cases = cases["items"].as_array().unwrap();
        let open = cases
            .iter()
            .filter(|c| c["classification"] != "excluded" && c["outcome"] == "open")
            .count() as u64;
        assert_eq!(d.cases.as_ref().unwrap().active, open);
        assert_eq!(
            d.areas.iter().map(|a| a.active).sum::<u64>(),
            open,
            "every active case is in one county"
        );
        let measures = app.client.measures(true).await.unwrap();
        assert_eq!(d.measures.as_ref().unwrap().total, measures.len() as u64);
        let sites = app.client.isolation_sites().await.unwrap();
        let i = d.isolation.as_ref().unwrap();
        assert_eq!(i.sites, sites.len() as u64);
        let hospitals = app.client.hospitals().await.unwrap();
        assert_eq!(d.beds.as_ref().unwrap().hospitals, hospitals.len() as u64);
        let alerts = app.client.supplies_alerts().await.unwrap();
        assert_eq!(d.supplies_at_risk, Some(alerts.len() as u64));
        let curve = app.client.epidemic_analysis(60).await.unwrap();
        assert_eq!(d.curve.as_ref(), Some(&curve));
        let t = d.testing.as_ref().unwrap();
        let round = t.round.as_ref().expect("the demo's round has started");
        let coverage = app
            .client
            .get_json(&format!("/api/v1/testing/rounds/{}/coverage", round.code))
            .await
            .unwrap()
            .1;
        assert_eq!(round.target, coverage["target"].as_i64().unwrap());
        assert_eq!(round.sampled, coverage["sampled"].as_i64().unwrap());
        app
    })
    .await;
}

/// A server keeps the population-wide figures (the round's coverage, the supplies at risk)
/// for a period: within it the dashboard answers with them although the population changed;
/// after it, once more with them while a background computation replaces them; an app that
/// keeps nothing counts the change at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_population_figures_are_answered_then_refreshed_in_the_background() {
    const PERIOD: std::time::Duration = std::time::Duration::from_secs(5);
    each_backend(|app| async move {
        seed_demo(&app, 2_000).await;
        let kept = app.app.clone().with_population_figures_kept(PERIOD);
        let actor = fangkong_app::Actor::system("test");
        let target = |d: &fangkong_app::dashboard::Dashboard| {
            d.testing.as_ref().unwrap().round.as_ref().unwrap().target
        };
        let before = target(&kept.dashboard(&actor).await.unwrap());
        let computed = std::time::Instant::now();
        assert!(before > 1_900, "{before}");
        // A new resident of the city joins the round's target.
        let community = app.client.measures(true).await.unwrap()[0]
            .community_code
            .clone();
        app.client
            .create_person(&fangkong_api_types::PersonCreate {
                id_number: Some(crate::id("411702", "1991-03-04", 77)),
                name: "新居民".into(),
                community_code: community,
                ..fangkong_api_types::PersonCreate::default()
            })
            .await
            .unwrap();
        assert_eq!(target(&kept.dashboard(&actor).await.unwrap()), before);
        assert_eq!(
            target(&app.app.dashboard(&actor).await.unwrap()),
            before + 1
        );
        assert!(
            computed.elapsed() < PERIOD,
            "the test was too slow to check"
        );
        tokio::time::sleep(PERIOD - computed.elapsed() + std::time::Duration::from_millis(100))
            .await;
        // Past the period: answered at once with the kept figures, refreshed behind.
        assert_eq!(target(&kept.dashboard(&actor).await.unwrap()), before);
        let started = std::time::Instant::now();
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            if target(&kept.dashboard(&actor).await.unwrap()) == before + 1 {
                break;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(30),
                "never refreshed"
            );
        }
        app
    })
    .await;
}
