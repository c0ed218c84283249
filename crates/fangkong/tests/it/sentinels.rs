//! Sentinel surveillance on both backends: daily reports by API (idempotent, all or none,
//! every bad value named) and by file (line and field, re-run a no-op); reports missing at
//! their deadline flagged, with the deadline set per type; the daily aberration run with its
//! signals grouped across levels, repeated runs as no-ops and an alarm on the next day
//! extending the open alert; the alert workflow with the hours from signal to verification;
//! subscriptions; the jurisdiction scope throughout.

use fangkong_api_types::{SentinelReportRow, SentinelSubscription};
use fangkong_client::{Client, ClientError};
use fangkong_test_support::{each_backend, TestApp};
use reqwest::StatusCode;

/// Two counties; in the first, two pharmacies (ids 1 and 2) in two communities of one
/// township; in the second, a school (id 3).
async fn fixture(app: &TestApp) {
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
            lon: Some(114.0 + id as f64 / 100.0),
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
}

fn row(sentinel_id: i64, day: &str, indicator: &str, count: i64) -> SentinelReportRow {
    SentinelReportRow {
        sentinel_id,
        day: day.into(),
        indicator: indicator.into(),
        count,
    }
}

/// The problem's errors as `line: field: reason` (or `field: reason`) lines.
fn problem_detail(e: &ClientError) -> String {
    e.problem()
        .map(|p| {
            p.errors
                .iter()
                .map(|f| match f.line {
                    Some(l) => format!("{l}: {}: {}", f.field, f.reason),
                    None => format!("{}: {}", f.field, f.reason),
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

/// Daily fever-medicine sales of both pharmacies from 2026-11-01 to the day before `last`
/// (a steady weekly pattern), then `spikes` of pharmacy 1 on the days given.
async fn seed_series(client: &Client, spikes: &[(&str, i64)]) {
    let start = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    let pattern = [10, 11, 9, 10, 12, 8, 10];
    let mut rows = Vec::new();
    for d in 0..29 {
        let day = (start + chrono::Duration::days(d)).to_string();
        let spike = spikes.iter().find(|(s, _)| *s == day).map(|(_, c)| *c);
        rows.push(row(
            1,
            &day,
            "fever_medicine_sales",
            spike.unwrap_or(pattern[d as usize % 7]),
        ));
        rows.push(row(
            2,
            &day,
            "fever_medicine_sales",
            pattern[(d as usize + 3) % 7],
        ));
    }
    client.submit_sentinel_reports(&rows).await.unwrap();
}

#[tokio::test]
async fn reports_by_api_are_idempotent_and_bad_batches_change_nothing() {
    each_backend(|app| async move {
        fixture(&app).await;
        let reporter = app
            .client_for("pharmacy-1", "sentinel-reporter", Some("411702"))
            .await;
        let rows = [
            row(1, "2026-11-29", "fever_medicine_sales", 12),
            row(1, "2026-11-29", "退热药销售数", 12),
        ];
        // The same key twice in one batch is refused.
        let e = reporter.submit_sentinel_reports(&rows).await.unwrap_err();
        assert_eq!(e.status(), Some(StatusCode::UNPROCESSABLE_ENTITY));
        assert!(problem_detail(&e).contains("reports[1].indicator: repeats the count of reports[0]"), "{e:?}");

        let rows = [
            row(1, "2026-11-29", "fever_medicine_sales", 12),
            row(1, "2026-11-29", "antiviral_sales", 3),
            row(2, "2026-11-29", "cough_medicine_sales", 7),
        ];
        let s = reporter.submit_sentinel_reports(&rows).await.unwrap();
        assert_eq!((s.rows, s.created, s.updated, s.unchanged), (3, 3, 0, 0));
        // Sent again: nothing changes.
        let s = reporter.submit_sentinel_reports(&rows).await.unwrap();
        assert_eq!((s.created, s.updated, s.unchanged), (0, 0, 3));
        // A corrected count replaces the stored one.
        let s = reporter
            .submit_sentinel_reports(&[row(1, "2026-11-29", "antiviral_sales", 4)])
            .await
            .unwrap();
        assert_eq!((s.created, s.updated, s.unchanged), (0, 1, 0));

        // Every bad value is named; nothing of the batch is stored, not even the good row.
        let bad = [
            row(1, "2026-11-28", "antiviral_sales", 5),
            row(1, "2026-11-28", "absences", 1),
            row(1, "2026-12-01", "antiviral_sales", 1),
            row(3, "2026-11-28", "absences", 1),
            row(2, "2026-11-28", "antiviral_sales", -2),
            row(2, "28/11/2026", "sneezes", 1),
        ];
        let e = reporter.submit_sentinel_reports(&bad).await.unwrap_err();
        assert_eq!(e.status(), Some(StatusCode::UNPROCESSABLE_ENTITY));
        let detail = problem_detail(&e);
        for expected in [
            "reports[1].indicator: this sentinel does not report it; it reports fever_medicine_sales, cough_medicine_sales, antibiotic_sales, antiviral_sales",
            "reports[2].day: is in the future",
            "reports[3].sentinel_id: no sentinel has this id in your jurisdiction",
            "reports[4].count: expected a whole number of at least 0",
            "reports[5].day: expected YYYY-MM-DD",
            "reports[5].indicator: unknown indicator",
        ] {
            assert!(detail.contains(expected), "{expected} in {detail}");
        }
        let stored = app.client.sentinel_reports(1, 7).await.unwrap();
        let got: Vec<(&str, &str, i64, i64, &str)> = stored
            .iter()
            .map(|r| (r.day.as_str(), r.indicator.as_str(), r.count, r.revisions, r.source.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("2026-11-29", "antiviral_sales", 4, 1, "api"),
                ("2026-11-29", "fever_medicine_sales", 12, 0, "api")
            ]
        );
        // A reporter submits and reads nothing; a reporter of another county cannot report
        // for these sentinels.
        let e = reporter.sentinels(None).await.unwrap_err();
        assert_eq!(e.status(), Some(StatusCode::FORBIDDEN));
        let other = app
            .client_for("school-3", "sentinel-reporter", Some("411721"))
            .await;
        let e = other
            .submit_sentinel_reports(&[row(1, "2026-11-29", "antiviral_sales", 9)])
            .await
            .unwrap_err();
        assert!(problem_detail(&e).contains("reports[0].sentinel_id: no sentinel"), "{e:?}");
        other
            .submit_sentinel_reports(&[row(3, "2026-11-29", "illness_absences", 4)])
            .await
            .unwrap();
        app
    })
    .await;
}

#[tokio::test]
async fn file_import_names_file_line_and_field_and_a_rerun_is_a_noop() {
    each_backend(|app| async move {
        fixture(&app).await;
        let bad = "sentinel_id,day,indicator,count\n1,2026-11-29,fever_medicine_sales,12\n\
                   1,2026-11-29,fever_medicine_sales,13\n3,2026-11-29,absences,x\n\
                   2,2026-11-29,absences,1\n";
        let staff = app
            .client_for("staff-702", "sentinel-staff", Some("411702"))
            .await;
        let e = staff
            .import_sentinel_reports("daily.csv", bad.as_bytes().to_vec())
            .await
            .unwrap_err();
        assert_eq!(
            problem_detail(&e),
            "3: indicator: repeats the count of line 2 for the same sentinel and day\n\
             4: count: expected a whole number of at least 0"
        );
        // Rows that parse but fail against the store are named the same way.
        let bad = "sentinel_id,day,indicator,count\n1,2026-11-29,fever_medicine_sales,12\n\
                   3,2026-11-29,absences,1\n2,2026-11-29,absences,1\n";
        let e = staff
            .import_sentinel_reports("daily.csv", bad.as_bytes().to_vec())
            .await
            .unwrap_err();
        assert_eq!(
            problem_detail(&e),
            "3: sentinel_id: no sentinel has this id in your jurisdiction\n\
             4: indicator: this sentinel does not report it; it reports \
             fever_medicine_sales, cough_medicine_sales, antibiotic_sales, antiviral_sales"
        );
        assert!(app.client.sentinel_reports(1, 7).await.unwrap().is_empty());
        let good = "sentinel_id,day,indicator,count\n1,2026-11-29,fever_medicine_sales,12\n\
                    2,2026-11-29,抗生素销售数,3\n2,2026-11-28,antibiotic_sales,2\n";
        let s = staff
            .import_sentinel_reports("daily.csv", good.as_bytes().to_vec())
            .await
            .unwrap();
        assert_eq!((s.rows, s.created, s.updated, s.unchanged), (3, 3, 0, 0));
        let s = staff
            .import_sentinel_reports("daily.csv", good.as_bytes().to_vec())
            .await
            .unwrap();
        assert_eq!((s.rows, s.created, s.updated, s.unchanged), (3, 0, 0, 3));
        let reports = app.client.sentinel_reports(2, 7).await.unwrap();
        assert_eq!(reports.len(), 2);
        assert!(reports.iter().all(|r| r.source == "file"));
        app
    })
    .await;
}

#[tokio::test]
async fn a_sentinel_without_its_report_at_the_deadline_is_flagged() {
    each_backend(|app| async move {
        fixture(&app).await;
        // 2026-11-30 10:00: the report of 11-29 is due (10:00 the next day).
        app.client
            .submit_sentinel_reports(&[
                row(1, "2026-11-29", "fever_medicine_sales", 12),
                row(3, "2026-11-28", "absences", 20),
            ])
            .await
            .unwrap();
        let flagged = |l: &fangkong_api_types::SentinelList| -> Vec<(i64, String)> {
            l.items
                .iter()
                .filter(|s| s.missing)
                .map(|s| (s.id, s.due_day.clone()))
                .collect()
        };
        let all = app.client.sentinels(None).await.unwrap();
        assert_eq!(all.missing, 2);
        assert_eq!(
            flagged(&all),
            [(2, "2026-11-29".to_string()), (3, "2026-11-29".to_string())]
        );
        let missing = app.client.missing_sentinel_reports().await.unwrap();
        assert_eq!(
            missing.items.iter().map(|s| s.id).collect::<Vec<_>>(),
            [2, 3]
        );
        assert_eq!(missing.items[0].last_day, None);
        // A county sees its own sentinels only.
        let staff = app
            .client_for("staff-702", "sentinel-staff", Some("411702"))
            .await;
        let mine = staff.missing_sentinel_reports().await.unwrap();
        assert_eq!((mine.missing, mine.items.len()), (1, 1));
        // A minute earlier, the report of 11-29 was not due yet: 11-28 was, and only the
        // school had sent it.
        app.clock.advance(chrono::Duration::minutes(-1));
        let before = app.client.sentinels(None).await.unwrap();
        assert_eq!(
            flagged(&before),
            [(1, "2026-11-28".to_string()), (2, "2026-11-28".to_string())]
        );
        app.clock.advance(chrono::Duration::minutes(1));
        // The late report clears the flag.
        staff
            .submit_sentinel_reports(&[row(2, "2026-11-29", "antiviral_sales", 0)])
            .await
            .unwrap();
        assert_eq!(staff.missing_sentinel_reports().await.unwrap().missing, 0);
        // Schools report by noon: their due day is still 11-28, which the school sent.
        let reporter = app
            .client_for("pharmacy-1", "sentinel-reporter", Some("411702"))
            .await;
        let e = reporter
            .set_sentinel_deadline("school", 720)
            .await
            .unwrap_err();
        assert_eq!(e.status(), Some(StatusCode::FORBIDDEN));
        staff.set_sentinel_deadline("school", 720).await.unwrap();
        let e = app
            .client
            .set_sentinel_deadline("school", 4000)
            .await
            .unwrap_err();
        assert_eq!(e.status(), Some(StatusCode::UNPROCESSABLE_ENTITY));
        let types = app.client.sentinel_types().await.unwrap();
        assert_eq!(types.len(), 10);
        let school = types.iter().find(|t| t.key == "school").unwrap();
        assert_eq!(school.deadline_minutes, 720);
        assert_eq!(school.indicators[1].name_zh, "因病缺勤人数");
        let all = app.client.sentinels(None).await.unwrap();
        assert_eq!(all.missing, 0, "{all:?}");
        assert_eq!(all.items[2].due_day, "2026-11-28");
        app
    })
    .await;
}

#[tokio::test]
async fn one_spike_alarming_at_every_level_is_one_alert_and_its_verification_is_timed() {
    each_backend(|app| async move {
        fixture(&app).await;
        seed_series(&app.client, &[("2026-11-28", 50), ("2026-11-29", 60)]).await;
        let staff = app
            .client_for("staff-702", "sentinel-staff", Some("411702"))
            .await;
        let run = staff.run_aberration(Some("2026-11-28")).await.unwrap();
        assert_eq!(
            run.series,
            2 + 1 + 1 + 1,
            "two pharmacies, township, county, city"
        );
        assert_eq!(run.evaluated.get("ears-c2"), Some(&5));
        assert_eq!((run.alarms, run.signals, run.created.len()), (4, 1, 1));
        let id = run.created[0];
        // Repeating the run changes nothing.
        let again = staff.run_aberration(Some("2026-11-28")).await.unwrap();
        assert_eq!((again.created.len(), again.unchanged), (0, 1));
        // The next day's alarm extends the open alert.
        let next = staff.run_aberration(None).await.unwrap();
        assert_eq!(next.day, "2026-11-29");
        assert_eq!((next.created.len(), next.extended), (0, 1));

        let list = staff.sentinel_alerts("").await.unwrap();
        assert_eq!(list.items.len(), 1);
        assert_eq!(list.notifications, 1);
        let a = &list.items[0];
        assert_eq!(a.id, id);
        assert_eq!(
            (a.sentinel_id, a.level.as_str(), a.levels.clone()),
            (
                Some(1),
                "sentinel",
                vec![
                    "sentinel".to_string(),
                    "township".into(),
                    "county".into(),
                    "city".into()
                ]
            )
        );
        assert_eq!(
            (
                a.first_day.as_str(),
                a.last_day.as_str(),
                a.signal_days,
                a.observed
            ),
            ("2026-11-28", "2026-11-29", 2, 60)
        );
        assert!(a.novel && a.strength > 1.0 && (a.score - 2.0 * a.strength).abs() < 1e-9);
        assert_eq!(a.method, "ears-c2");
        assert_eq!(a.sentinel_name.as_deref(), Some("顺河大药房"));

        // The workflow: confirmed only after verifying; dismissing needs a reason.
        let e = staff
            .set_alert_status(id, "confirmed", None)
            .await
            .unwrap_err();
        assert_eq!(e.status(), Some(StatusCode::UNPROCESSABLE_ENTITY));
        app.clock.advance(chrono::Duration::hours(2));
        let d = staff.set_alert_status(id, "verifying", None).await.unwrap();
        assert_eq!(d.alert.hours_to_verifying, Some(2.0));
        staff
            .assign_alert(id, Some("顺河街道卫生院 王医生"))
            .await
            .unwrap();
        staff
            .note_alert(id, "药店电话核实：附近小学发热学生增多")
            .await
            .unwrap();
        let e = staff
            .set_alert_status(id, "dismissed", None)
            .await
            .unwrap_err();
        assert!(problem_detail(&e).contains("note"), "{e:?}");
        app.clock.advance(chrono::Duration::minutes(210));
        let d = staff
            .set_alert_status(id, "confirmed", Some("流调确认聚集性发热"))
            .await
            .unwrap();
        assert_eq!(d.alert.status, "confirmed");
        assert_eq!(d.alert.hours_to_verification, Some(5.5));
        assert_eq!(d.alert.assignee.as_deref(), Some("顺河街道卫生院 王医生"));
        let kinds: Vec<(&str, Option<&str>)> = d
            .events
            .iter()
            .map(|e| (e.kind.as_str(), e.to_status.as_deref()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("signal", Some("new")),
                ("signal_again", None),
                ("status", Some("verifying")),
                ("assign", None),
                ("note", None),
                ("status", Some("confirmed"))
            ]
        );
        let e = staff
            .set_alert_status(id, "dismissed", Some("x"))
            .await
            .unwrap_err();
        assert_eq!(e.status(), Some(StatusCode::UNPROCESSABLE_ENTITY));
        let list = staff.sentinel_alerts("").await.unwrap();
        assert_eq!(
            (
                list.timeliness.closed,
                list.timeliness.confirmed,
                list.timeliness.within_24h
            ),
            (1, 1, 1)
        );
        assert_eq!(list.timeliness.median_hours, Some(5.5));
        assert_eq!(list.notifications, 0);

        // Another county sees neither the alert nor its history; a reader cannot triage.
        let outsider = app
            .client_for("staff-721", "sentinel-staff", Some("411721"))
            .await;
        let e = outsider.sentinel_alert(id).await.unwrap_err();
        assert_eq!(e.status(), Some(StatusCode::NOT_FOUND));
        assert!(outsider.sentinel_alerts("").await.unwrap().items.is_empty());
        let commander = app.client_for("boss", "commander", None).await;
        assert_eq!(commander.sentinel_alerts("").await.unwrap().items.len(), 1);
        let e = commander
            .set_alert_status(id, "dismissed", Some("x"))
            .await
            .unwrap_err();
        assert_eq!(e.status(), Some(StatusCode::FORBIDDEN));
        app
    })
    .await;
}

#[tokio::test]
async fn a_quiet_week_makes_the_next_alert_novel_and_a_closed_one_is_not_extended() {
    each_backend(|app| async move {
        fixture(&app).await;
        seed_series(&app.client, &[("2026-11-19", 60), ("2026-11-29", 60)]).await;
        let first = app.client.run_aberration(Some("2026-11-19")).await.unwrap();
        assert_eq!(first.created.len(), 1);
        app.client
            .set_alert_status(first.created[0], "dismissed", Some("促销活动"))
            .await
            .unwrap();
        let second = app.client.run_aberration(Some("2026-11-29")).await.unwrap();
        assert_eq!((second.created.len(), second.extended), (1, 0));
        let list = app.client.sentinel_alerts("status=new").await.unwrap();
        assert_eq!(list.items.len(), 1);
        // Ten days after the last: novel again.
        assert!(list.items[0].novel);
        let e = app.client.sentinel_alerts("status=open").await.unwrap_err();
        assert_eq!(e.status(), Some(StatusCode::UNPROCESSABLE_ENTITY));
        app
    })
    .await;
}

#[tokio::test]
async fn a_subscription_chooses_which_alerts_notify() {
    each_backend(|app| async move {
        fixture(&app).await;
        seed_series(&app.client, &[("2026-11-29", 60)]).await;
        app.client.run_aberration(Some("2026-11-29")).await.unwrap();
        let staff = app
            .client_for("staff-702", "sentinel-staff", Some("411702"))
            .await;
        let s = staff.sentinel_subscription().await.unwrap();
        assert_eq!((s.types.len(), s.min_level.as_str()), (0, "sentinel"));
        assert_eq!(staff.sentinel_alerts("").await.unwrap().notifications, 1);
        let set = |types: &[&str], min_level: &str, min_strength: f64| SentinelSubscription {
            types: types.iter().map(|t| t.to_string()).collect(),
            indicators: vec![],
            min_level: min_level.into(),
            min_strength,
        };
        // Schools only: nothing to notify, and the subscribed list is empty.
        staff
            .set_sentinel_subscription(&set(&["school"], "sentinel", 0.0))
            .await
            .unwrap();
        let l = staff.sentinel_alerts("subscribed=true").await.unwrap();
        assert_eq!((l.notifications, l.items.len()), (0, 0));
        assert_eq!(staff.sentinel_alerts("").await.unwrap().items.len(), 1);
        // Pharmacies that reached the city level: the pharmacy spike alarmed there too.
        staff
            .set_sentinel_subscription(&set(&["pharmacy"], "city", 1.0))
            .await
            .unwrap();
        let l = staff.sentinel_alerts("subscribed=true").await.unwrap();
        assert_eq!((l.notifications, l.items.len()), (1, 1));
        // Too weak for a demanding subscriber.
        staff
            .set_sentinel_subscription(&set(&[], "sentinel", 100.0))
            .await
            .unwrap();
        assert_eq!(staff.sentinel_alerts("").await.unwrap().notifications, 0);
        // Subscriptions are per user.
        assert_eq!(
            app.client.sentinel_alerts("").await.unwrap().notifications,
            1
        );
        let e = staff
            .set_sentinel_subscription(&set(&["bakery"], "street", -1.0))
            .await
            .unwrap_err();
        let detail = problem_detail(&e);
        assert!(
            detail.contains("types")
                && detail.contains("min_level")
                && detail.contains("min_strength"),
            "{detail}"
        );
        app
    })
    .await;
}

#[tokio::test]
async fn the_epidemic_curve_counts_cases_by_onset_and_report_day() {
    each_backend(|app| async move {
        fixture(&app).await;
        let a = app.client.epidemic_analysis(14).await.unwrap();
        assert_eq!(a.days.len(), 14);
        assert_eq!(a.days[13], "2026-11-30");
        assert!(a.by_report.iter().all(|c| *c == 0) && a.rt.is_empty() && a.forecast.is_empty());
        assert_eq!((a.si_mean, a.si_sd), (4.0, 2.5));
        let reporter = app
            .client_for("pharmacy-1", "sentinel-reporter", Some("411702"))
            .await;
        let e = reporter.epidemic_analysis(14).await.unwrap_err();
        assert_eq!(e.status(), Some(StatusCode::FORBIDDEN));
        app
    })
    .await;
}
