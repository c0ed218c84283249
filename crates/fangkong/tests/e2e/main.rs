//! End-to-end tests in a real headless Chromium, driven over the W3C WebDriver protocol by
//! `chromedriver` (Debian's `chromium` and `chromium-driver`; `.ci/run` installs them). The
//! real server runs with the demo city (small) on SQLite and, when
//! FANGKONG_TEST_DATABASE_URL is set, PostgreSQL. Screenshots go to
//! `target/e2e-artifacts/`.
//!
//! Without Chromium or chromedriver these tests fail and say what to install: a browser
//! test that passes without a browser would prove nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod webdriver;

use fangkong_test_support::{each_backend, TestApp};
use webdriver::{Driver, Session};

/// Where screenshots are saved: `target/e2e-artifacts/<backend>/`.
fn artifacts(backend: &str) -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("e2e-artifacts").join(backend);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn seed_demo(app: &TestApp, population: u64) {
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

/// Signs in through the login form and lands on `next`.
async fn log_in(s: &Session, base: &str, next: &str) {
    s.goto(&format!("{base}/login?next={next}")).await;
    s.find("input[name=username]")
        .await
        .send_keys(s, "admin")
        .await;
    s.find("input[name=password]")
        .await
        .send_keys(s, "admin-password")
        .await;
    s.find("form[action='/login'] button[type=submit]")
        .await
        .click(s)
        .await;
    s.wait_for_path(next).await;
}

fn number(text: &str) -> u64 {
    text.replace(',', "").trim().parse().unwrap_or_else(|_| {
        panic!("not a number: {text:?}");
    })
}

#[tokio::test]
async fn dashboard_drill_down_workflows_language_and_phone_in_chromium() {
    let driver = Driver::start().await;
    each_backend(|app| {
        let driver = &driver;
        async move {
            seed_demo(&app, 2_000).await;
            // Boundaries of two counties (squares), so the choropleth has shapes to fill.
            let square = |code: &str, x: f64| {
                serde_json::json!({"type": "Feature", "properties": {"code": code},
                    "geometry": {"type": "Polygon", "coordinates": [[[x, 32.0], [x + 0.5, 32.0],
                        [x + 0.5, 32.5], [x, 32.5], [x, 32.0]]]}})
            };
            let geojson = serde_json::json!({"type": "FeatureCollection",
                "features": [square("411702", 114.0), square("411721", 114.5)]});
            app.client
                .import_jurisdictions("counties.geojson", geojson.to_string().into_bytes())
                .await
                .unwrap();
            let backend = app.store.backend().as_str().to_string();
            let shots = artifacts(&backend);
            let base = app.base_url.clone();
            let s = driver.session(1400, 1000).await;

            // Log in, open the dashboard, check its figures against the API.
            log_in(&s, &base, "/dashboard?every=1").await;
            let api = app.client.dashboard().await.unwrap();
            let c = api.cases.clone().unwrap();
            let shown = |path: &'static str| {
                let s = &s;
                async move {
                    s.find(&format!("[data-figure='{path}']"))
                        .await
                        .text(s)
                        .await
                }
            };
            assert_eq!(number(&shown("cases.new_today").await), c.new_today);
            assert_eq!(number(&shown("cases.active").await), c.active);
            let m = api.measures.clone().unwrap();
            assert_eq!(number(&shown("measures.centralised").await), m.centralised);
            assert_eq!(
                number(&shown("testing.positives_today").await),
                api.testing.as_ref().unwrap().positives_today as u64
            );
            // Nothing overdue in the fixture: a counted zero, not a missing figure.
            assert_eq!(shown("overdue_tasks").await, "0");
            // The charts are drawn (ECharts canvases) and the event stream has applied
            // figures at least once.
            s.wait_for_script(
                "return document.querySelector('#dash-curve canvas') !== null",
                "the epidemic curve",
            )
            .await;
            s.wait_for_script(
                "return document.querySelector('#dash-map canvas') !== null",
                "the choropleth map",
            )
            .await;
            s.wait_for_script(
                "return Number(document.getElementById('dashboard').dataset.updates || 0) >= 1",
                "a server-sent event",
            )
            .await;
            s.screenshot(&shots.join("01-dashboard.png")).await;

            // A new case appears without reloading the page.
            let persons = app
                .client
                .search_persons(&fangkong_client::PersonSearch {
                    within: Some("411702".into()),
                    limit: Some(50),
                    ..Default::default()
                })
                .await
                .unwrap();
            let before = c.new_today;
            let mut registered = false;
            for p in &persons {
                // The first resident who is not a case yet.
                let r = app
                    .client
                    .register_case(&fangkong_api_types::CaseCreate {
                        person_id: Some(p.id),
                        classification: "confirmed".into(),
                        detection: "other".into(),
                        ..Default::default()
                    })
                    .await;
                if r.is_ok() {
                    registered = true;
                    break;
                }
            }
            assert!(registered, "a resident of 411702 without a case");
            s.wait_for_script(
                &format!(
                    "return document.querySelector(\"[data-figure='cases.new_today']\").textContent.replace(/,/g, '') === '{}'",
                    before + 1
                ),
                "the new case on the dashboard",
            )
            .await;
            s.screenshot(&shots.join("02-dashboard-live.png")).await;

            // The wall-screen layout hides the navigation.
            s.goto(&format!("{base}/dashboard?wall=1")).await;
            s.wait_for_script(
                "return getComputedStyle(document.querySelector('.topbar nav')).display === 'none'",
                "the wall layout",
            )
            .await;
            s.screenshot(&shots.join("03-wall.png")).await;

            // Drill down from a figure to the list behind it.
            s.goto(&format!("{base}/dashboard")).await;
            s.find("#tile-positives").await.click(&s).await;
            s.wait_for_path("/testing/positives").await;
            s.screenshot(&shots.join("04-positives.png")).await;

            // One key workflow per capability: each list page opens without an error, and
            // the briefing is generated with its button.
            for path in [
                "/jurisdictions",
                "/persons",
                "/facilities",
                "/testing",
                "/tracing",
                "/tracing/chains",
                "/isolation",
                "/treatment",
                "/immunization",
                "/supplies",
                "/inbound",
                "/inbound/measures",
                "/coldchain",
                "/fever",
                "/sentinels",
                "/sentinels/alerts",
                "/analysis",
            ] {
                s.goto(&format!("{base}{path}")).await;
                let h1 = s.find("main h1").await.text(&s).await;
                assert!(!h1.is_empty(), "{path} has a heading");
                assert!(!h1.contains("出错了"), "{path}: {h1}");
            }
            s.goto(&format!("{base}/briefings")).await;
            s.find("#generate-briefing button").await.click(&s).await;
            s.wait_for_script(
                "return document.getElementById('briefing') !== null",
                "the generated briefing",
            )
            .await;
            let new_cases = s.find("#figure-new_cases strong").await.text(&s).await;
            let briefing = app.client.get_json("/api/v1/briefings").await.unwrap().1;
            assert_eq!(briefing.as_array().unwrap().len(), 1);
            assert!(!new_cases.is_empty());
            s.screenshot(&shots.join("05-briefing.png")).await;

            // Tables sort by a column header's button, from the keyboard as well, and long
            // tables filter as one types.
            s.goto(&format!("{base}/jurisdictions/4117")).await;
            let population = |order: &str| {
                format!(
                    "const order = '{order}';
                     const t = document.querySelector('main table.data');
                     // Areas without a census figure (shown as a dash) sort after the others.
                     const v = Array.from(t.tBodies[0].rows)
                       .map(r => parseFloat(r.cells[2].textContent.replace(/,/g, '')))
                       .filter(x => !Number.isNaN(x));
                     return t.tHead.rows[0].cells[2].getAttribute('aria-sort') === order && v.length > 1
                       && v.every((x, i) => i === 0 || (order === 'ascending' ? v[i - 1] <= x : v[i - 1] >= x));"
                )
            };
            s.find("main table.data thead th:nth-child(3) button.sort")
                .await
                .click(&s)
                .await;
            s.wait_for_script(&population("ascending"), "counties by population, ascending")
                .await;
            // Enter on the focused header button sorts the other way.
            s.find("main table.data thead th:nth-child(3) button.sort")
                .await
                .send_keys(&s, "\u{E007}")
                .await;
            s.wait_for_script(&population("descending"), "counties by population, descending")
                .await;
            s.screenshot(&shots.join("05b-sorted.png")).await;
            s.goto(&format!("{base}/inbound/measures")).await;
            let first = s
                .script("return document.querySelector('#measures tbody tr td:nth-child(3)').textContent.trim()")
                .await;
            let first = first.as_str().unwrap().to_string();
            s.find("input[data-table-filter]")
                .await
                .send_keys(&s, &first)
                .await;
            s.wait_for_script(
                &format!(
                    "const rows = Array.from(document.querySelectorAll('#measures tbody tr'));
                     const shown = rows.filter(r => !r.hidden);
                     return shown.length >= 1 && shown.length < rows.length
                       && shown.every(r => r.textContent.toLowerCase().includes({first:?}.toLowerCase()));"
                ),
                "the filtered measures",
            )
            .await;
            s.screenshot(&shots.join("05c-filtered.png")).await;

            // A long operation shows its progress while the server works: a scenario
            // forecast run from its form ends on the run's page.
            s.goto(&format!("{base}/forecasts/scenario")).await;
            s.script("document.querySelector('#scenario-run input[name=members]').value = '2'; return true;")
                .await;
            s.find("#scenario-run button[type=submit]").await.click(&s).await;
            s.wait_for_script(
                "return document.querySelector('.form-progress progress') !== null
                    || /^\\/forecasts\\/scenario\\/\\d+$/.test(location.pathname)",
                "the forecast's progress",
            )
            .await;
            s.wait_for_script(
                "return /^\\/forecasts\\/scenario\\/\\d+$/.test(location.pathname)
                    && document.getElementById('cases-total') !== null",
                "the forecast's page",
            )
            .await;
            s.screenshot(&shots.join("05d-scenario.png")).await;

            // Switch language.
            s.goto(&format!("{base}/dashboard")).await;
            s.find(".account a[lang]").await.click(&s).await;
            s.wait_for_script(
                "return document.documentElement.lang === 'en'",
                "the English page",
            )
            .await;
            let title = s.find("main h1").await.text(&s).await;
            assert!(title.starts_with("Command dashboard"), "{title}");
            s.screenshot(&shots.join("06-english.png")).await;

            // A phone: the dashboard and a field page fit the screen's width.
            s.set_window(390, 844).await;
            for (path, shot) in [
                ("/dashboard", "07-phone-dashboard.png"),
                ("/inbound/measures", "08-phone-measures.png"),
            ] {
                s.goto(&format!("{base}{path}")).await;
                let fits = s
                    .script(
                        "return document.documentElement.scrollWidth <= window.innerWidth + 1",
                    )
                    .await;
                s.screenshot(&shots.join(shot)).await;
                assert_eq!(fits, serde_json::json!(true), "{path} fits a phone");
            }
            s.close().await;
            app
        }
    })
    .await;
    driver.stop();
}
