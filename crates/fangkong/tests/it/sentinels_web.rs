//! The sentinel pages as a signed-in browser sees them, on both backends: a reporter's form
//! and file upload (bad input named, the page answering 422), the registry with its
//! missing-report count, the alert list, map data and subscription form, an alert verified
//! through its page with the hours shown, a sentinel's sparklines, the analysis page, and no
//! page without the permission.

use fangkong_api_types::SentinelReportRow;
use fangkong_test_support::{each_backend, TestApp};
use reqwest::StatusCode;

use crate::web::{csrf_of, figure, Browser};

async fn setup(app: &TestApp) {
    let csv = "code,name\n41,河南省\n4117,驻马店市\n411702,驿城区\n411721,西平县\n\
               411702001,顺河街道\n411702001001,一号社区\n411702001002,二号社区\n\
               411721001,柏城街道\n411721001001,西平一社区\n";
    app.client
        .import_jurisdictions("d.csv", csv.as_bytes().to_vec())
        .await
        .unwrap();
    let facility = |id: i64, subtype: &str, name: &str, community: &str| {
        fangkong_store::facilities::Facility {
            id,
            kind: "sentinel".into(),
            subtype: subtype.into(),
            name: name.into(),
            community_code: community.into(),
            place_code: None,
            capacity: 150,
            beds_general: 0,
            beds_icu: 0,
            beds_isolation: 0,
            lon: Some(114.01),
            lat: Some(33.0),
            synthetic: false,
        }
    };
    app.store
        .bulk()
        .insert(&fangkong_store::bulk::BulkRows {
            facilities: &[
                facility(1, "pharmacy", "顺河大药房", "411702001001"),
                facility(2, "pharmacy", "二号社区药店", "411702001002"),
                facility(3, "school", "西平一小", "411721001001"),
            ],
            ..Default::default()
        })
        .await
        .unwrap();
    app.store.sync_id_sequences().await.unwrap();
    // Four weeks of fever-medicine sales of pharmacy 1, and a spike on 11-29.
    let start = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    let rows: Vec<SentinelReportRow> = (0..29)
        .map(|d| SentinelReportRow {
            sentinel_id: 1,
            day: (start + chrono::Duration::days(d)).to_string(),
            indicator: "fever_medicine_sales".into(),
            count: if d == 28 {
                70
            } else {
                [10, 11, 9, 10, 12, 8, 10][d as usize % 7]
            },
        })
        .collect();
    app.client.submit_sentinel_reports(&rows).await.unwrap();
}

#[tokio::test]
async fn a_reporter_reports_by_form_and_file_and_staff_verify_an_alert_through_the_pages() {
    each_backend(|app| async move {
        setup(&app).await;
        // The reporter: only the sentinels of the county, one count per indicator.
        let mut reporter = Browser::signed_in(&app, "pharmacy", "sentinel-reporter", Some("411702")).await;
        let (status, html, _) = reporter.get("/sentinels/report").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("顺河大药房") && html.contains("二号社区药店"));
        assert!(!html.contains("西平一小"), "another county's sentinel is not offered");
        assert!(html.contains("href=\"/sentinels/report\""), "the nav offers the form");
        let (_, html, _) = reporter.get("/sentinels/report?sentinel_id=2").await;
        assert!(html.contains("name=\"count.antiviral_sales\""));
        let csrf = csrf_of(&html);
        let (status, _, location) = reporter.post("/sentinels/report",
            &[
                ("csrf", &csrf),
                ("sentinel_id", "2"),
                ("day", "2026-11-29"),
                ("count.antiviral_sales", "4"),
                ("count.fever_medicine_sales", "12"),
                ("count.cough_medicine_sales", ""),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(location.as_deref(), Some("/sentinels/report?sentinel_id=2&done=reported"));
        let (_, html, _) = reporter.get(location.as_deref().unwrap()).await;
        assert!(html.contains("日报已提交"), "the done notice");
        let (status, html, _) = reporter.post("/sentinels/report",
            &[
                ("csrf", &csrf),
                ("sentinel_id", "2"),
                ("day", "2026-12-05"),
                ("count.antiviral_sales", "abc"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            html.contains("day: is in the future") && html.contains("count: expected a whole number"),
            "{html}"
        );
        let (status, html) = reporter.upload("/sentinels/reports/upload", &csrf,
            "daily.csv",
            "sentinel_id,day,indicator,count\n2,2026-11-28,antiviral_sales,3\n3,2026-11-28,absences,1\n",
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            html.contains("daily.csv:3: sentinel_id: no sentinel has this id in your jurisdiction"),
            "{html}"
        );
        let (status, html) = reporter.upload("/sentinels/reports/upload", &csrf,
            "daily.csv",
            "sentinel_id,day,indicator,count\n2,2026-11-28,antiviral_sales,3\n",
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("daily.csv: 已导入"), "{html}");
        let (status, _, _) = reporter.get("/sentinels").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "a reporter reads nothing");

        // Staff of the county: the registry with the missing count, then the alert.
        let mut staff = Browser::signed_in(&app, "staff", "sentinel-staff", Some("411702")).await;
        let (status, html, _) = staff.get("/sentinels").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(figure(&html, "missing-count"), "0", "both pharmacies reported 11-29");
        assert!(html.contains("data-type=\"pharmacy\""));
        app.client.run_aberration(Some("2026-11-29")).await.unwrap();
        let (_, html, _) = staff.get("/sentinels").await;
        assert_eq!(figure(&html, "notifications"), "1");
        let (status, html, _) = staff.get("/sentinels/alerts").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("data-alert=\"1\""), "{html}");
        assert!(html.contains("哨点 · 乡镇街道 · 县区 · 市"), "the levels of the one alert");
        assert!(html.contains("&quot;lon&quot;:114.01"), "map data");
        let (_, html, _) = staff.get("/sentinels/alerts/1").await;
        let csrf = csrf_of(&html);
        app.clock.advance(chrono::Duration::minutes(90));
        let (status, _, location) = staff.post("/sentinels/alerts/1/status",
            &[("csrf", &csrf), ("status", "verifying"), ("note", "")],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(location.as_deref(), Some("/sentinels/alerts/1?done=status"));
        let (status, html, _) = staff.post("/sentinels/alerts/1/status",
            &[("csrf", &csrf), ("status", "dismissed"), ("note", "")],
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(html.contains("note: say why the alert is dismissed"), "{html}");
        app.clock.advance(chrono::Duration::minutes(90));
        let (status, _, _) = staff.post("/sentinels/alerts/1/status",
            &[("csrf", &csrf), ("status", "confirmed"), ("note", "学校聚集性发热")],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, html, _) = staff.get("/sentinels/alerts/1").await;
        assert_eq!(figure(&html, "hours-to-verification"), "3.0");
        assert!(html.contains("学校聚集性发热") && html.contains("已确认"));
        let (_, html, _) = staff.get("/sentinels/alerts").await;
        assert_eq!(figure(&html, "median-hours"), "3.0");

        // The subscription form: schools only, so nothing notifies.
        let (status, _, location) = staff.post("/sentinels/subscription",
            &[
                ("csrf", &csrf),
                ("types", "school"),
                ("min_level", "sentinel"),
                ("min_strength", "0"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(location.as_deref(), Some("/sentinels/alerts?done=subscribed"));
        let (_, html, _) = staff.get("/sentinels/alerts?subscribed=1").await;
        assert!(html.contains("value=\"school\" checked"));
        assert!(!html.contains("data-alert=\"1\""));

        // A sentinel's sparklines, and the analysis page.
        let (status, html, _) = staff.get("/sentinels/1").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("data-indicator=\"fever_medicine_sales\""));
        assert!(html.contains("class=\"sparkline\" data-series=\"{&quot;days&quot;"), "{html}");
        let (status, html, _) = staff.get("/sentinels/3").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "another county's sentinel: {html}");
        let (status, html, _) = staff.get("/analysis").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("id=\"epicurve\"") && html.contains("id=\"rt-chart\""));
        assert_eq!(figure(&html, "total-report"), "0");
        app
    })
    .await;
}

#[tokio::test]
async fn without_sentinel_read_the_pages_are_forbidden() {
    let app = TestApp::spawn().await;
    setup(&app).await;
    let mut b = Browser::signed_in(&app, "auditor", "auditor", None).await;
    for path in [
        "/sentinels",
        "/sentinels/alerts",
        "/sentinels/alerts/1",
        "/sentinels/1",
        "/analysis",
        "/sentinels/report",
    ] {
        let (status, _, _) = b.get(path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    let (_, html, _) = b.get("/").await;
    assert!(!html.contains("href=\"/sentinels\"") && !html.contains("href=\"/analysis\""));
    app.verify().await;
}

#[test]
fn every_sentinel_key_is_in_both_locales() {
    let zh: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(include_str!("../../../fangkong-server/locales/zh-CN.json")).unwrap();
    let en: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(include_str!("../../../fangkong-server/locales/en.json")).unwrap();
    let templates = [
        include_str!("../../../fangkong-server/templates/sentinels/registry.html"),
        include_str!("../../../fangkong-server/templates/sentinels/report.html"),
        include_str!("../../../fangkong-server/templates/sentinels/alerts.html"),
        include_str!("../../../fangkong-server/templates/sentinels/alert.html"),
        include_str!("../../../fangkong-server/templates/sentinels/sentinel.html"),
        include_str!("../../../fangkong-server/templates/sentinels/analysis.html"),
        include_str!("../../../fangkong-server/templates/sentinels/_tabs.html"),
    ];
    let mut keys: Vec<String> = Vec::new();
    for t in templates {
        for part in t.split("t(\"").skip(1) {
            let key = part.split('"').next().unwrap();
            if !key.ends_with('.') {
                keys.push(key.to_string());
            }
        }
    }
    for s in ["new", "verifying", "confirmed", "dismissed"] {
        keys.push(format!("sentinel.status.{s}"));
    }
    for e in ["signal", "signal_again", "status", "assign", "note"] {
        keys.push(format!("sentinel.event.{e}"));
    }
    for d in ["reported", "subscribed", "status", "assigned", "noted"] {
        keys.push(format!("sentinel.done.{d}"));
    }
    for k in [
        "sentinel.no_file",
        "sentinel.imported",
        "sentinel.out.created",
        "sentinel.out.updated",
        "sentinel.out.unchanged",
        "nav.sentinel_report",
    ] {
        keys.push(k.to_string());
    }
    for key in keys {
        assert!(
            zh.contains_key(&key) && en.contains_key(&key),
            "{key} missing"
        );
    }
}
