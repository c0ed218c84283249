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
        let tasks = app.app.retest_tasks(&system, None, 100).await.unwrap();
        let mut communities: Vec<_> = tasks.iter().map(|t| t.community_code.clone()).collect();
        communities.sort();
        let mut expected: Vec<_> = people.iter().map(|p| p.1.clone()).collect();
        expected.sort();
        assert_eq!(communities, expected);
        // The first member's single tube T2, collected after the pool and resulted in the
        // same upload, answers their retest; the other two stay open.
        let mut status: Vec<_> = tasks.iter().map(|t| (t.person_id, t.status.as_str())).collect();
        status.sort();
        let first = app.store.persons().find_by_document(&Scope::system(), &fangkong_domain::Document::MainlandId(people[0].0.parse().unwrap())).await.unwrap().unwrap().id;
        assert_eq!(status.iter().filter(|s| s.1 == "done").map(|s| s.0).collect::<Vec<_>>(), [first]);
        assert_eq!(app.app.retest_tasks(&system, Some("open"), 100).await.unwrap().len(), 2);
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

/// A small known city: county 411702 with communities A (4 residents) and B (2), county
/// 411721 with community C (2); a sampling site `S1` in A and a lab `L1` (capacity 100).
/// Returns the residents as (person id, full ID number), in the order a1..a4, b1, b2, c1, c2.
async fn small_city(app: &TestApp) -> Vec<(i64, String)> {
    let csv = "code,name\n41,河南省\n4117,驻马店市\n411702,驿城区\n411721,西平县\n\
               411702001,顺河街道\n411702001001,一号社区\n411702001002,二号社区\n\
               411721001,柏城街道\n411721001001,西平一社区\n";
    app.client
        .import_jurisdictions("d.csv", csv.as_bytes().to_vec())
        .await
        .unwrap();
    let mut out = Vec::new();
    for (i, community) in [A, A, A, A, B, B, C, C].into_iter().enumerate() {
        let number = crate::id(&community[..6], "1980-01-01", 100 + i as u16);
        let (_, p) = app
            .client
            .create_person(&fangkong_api_types::PersonCreate {
                id_number: Some(number.clone()),
                name: format!("居民{}", i + 1),
                community_code: community.into(),
                ..fangkong_api_types::PersonCreate::default()
            })
            .await
            .unwrap();
        out.push((p.id, number));
    }
    let facility =
        |id: i64, kind: &str, code: &str, capacity: i64| fangkong_store::facilities::Facility {
            id,
            kind: kind.into(),
            subtype: "fixed".into(),
            name: format!("{kind}-{code}"),
            community_code: A.into(),
            place_code: Some(code.into()),
            capacity,
            beds_general: 0,
            beds_icu: 0,
            beds_isolation: 0,
            lon: None,
            lat: None,
            synthetic: false,
        };
    app.store
        .bulk()
        .insert(&fangkong_store::bulk::BulkRows {
            facilities: &[
                facility(1, "sampling_site", "S1", 5_000),
                facility(2, "lab", "L1", 100),
            ],
            ..Default::default()
        })
        .await
        .unwrap();
    out
}

const A: &str = "411702001001";
const B: &str = "411702001002";
const C: &str = "411721001001";

fn day(s: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[tokio::test]
async fn round_coverage_turnaround_and_lab_load_on_a_small_known_city() {
    use fangkong_app::testing::coverage::CoverageLevel;
    each_backend(|app| async move {
        let people = small_city(&app).await;
        let system = fangkong_app::Actor::system("test");
        let d = day("2026-11-30");
        app.app.create_round(&system, "R1", "全员核酸", "4117", (d, d), None).await.unwrap();
        // a1..a3 in a pool tagged with the round; b1 untagged at 00:10 China time on the
        // round's day (counts); b2 untagged one minute before the day began (does not).
        let csv = format!(
            "tube_id,id_number,site_code,collected_at,pool_size,round_code\n\
             P1,{},S1,2026-11-30 09:00,3,R1\nP1,{},S1,2026-11-30 09:00,3,R1\nP1,{},S1,2026-11-30 09:00,3,R1\n\
             U1,{},S1,2026-11-30 00:10,1,\nU2,{},S1,2026-11-29 23:59,1,\n",
            people[0].1, people[1].1, people[2].1, people[4].1, people[5].1
        );
        let r = app.app.ingest_samples(&system, "s.csv", csv.as_bytes()).await.unwrap();
        assert_eq!((r.stored, r.refused.len()), (5, 0), "{:?}", r.refused);

        let shape = |c: &fangkong_app::testing::coverage::RoundCoverage| {
            c.areas.iter().map(|a| (a.code.clone(), a.target, a.sampled)).collect::<Vec<_>>()
        };
        let by_community = app.app.round_coverage(&system, "R1", CoverageLevel::Community).await.unwrap();
        assert_eq!(
            shape(&by_community),
            [(A.to_string(), 4, 3), (B.to_string(), 2, 1), (C.to_string(), 2, 0)]
        );
        assert_eq!((by_community.target, by_community.sampled), (8, 4));
        assert_eq!(by_community.areas[0].name, "一号社区");
        assert!((by_community.areas[0].share() - 0.75).abs() < 1e-12);
        let by_county = app.app.round_coverage(&system, "R1", CoverageLevel::County).await.unwrap();
        assert_eq!(shape(&by_county), [("411702".to_string(), 6, 4), ("411721".to_string(), 2, 0)]);

        let ids = |v: Vec<fangkong_store::persons::Person>| v.iter().map(|p| p.id).collect::<Vec<_>>();
        let missed = app.app.not_sampled(&system, "R1", None, 100, 0).await.unwrap();
        assert_eq!(ids(missed), [people[3].0, people[5].0, people[6].0, people[7].0]);
        let in_a = fangkong_domain::JurisdictionCode::parse(A).unwrap();
        assert_eq!(ids(app.app.not_sampled(&system, "R1", Some(&in_a), 100, 0).await.unwrap()), [people[3].0]);
        let audit = app
            .store
            .audit()
            .search(&fangkong_store::audit::AuditFilter {
                action: Some("testing.not_sampled_list".into()),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(audit.len(), 2, "every listing is audited");
        assert_eq!(audit[0].object_id.as_deref(), Some("R1"));

        // A county operator of the other county sees only its own community.
        app.app.create_user("west", "pw", "county-operator", Some("411721")).await.unwrap();
        let west = app.app.token_actor(&app.app.create_api_token("west", "t", None).await.unwrap()).await.unwrap();
        let theirs = app.app.round_coverage(&west, "R1", CoverageLevel::Community).await.unwrap();
        assert_eq!(shape(&theirs), [(C.to_string(), 2, 0)]);
        assert_eq!(ids(app.app.not_sampled(&west, "R1", None, 100, 0).await.unwrap()), [people[6].0, people[7].0]);

        // Over the API, by county.
        let staff = app.client_for("staff", "testing-staff", None).await;
        let (status, body) = staff.get_json("/api/v1/testing/rounds/R1/coverage?level=county").await.unwrap();
        assert_eq!(status, reqwest::StatusCode::OK, "{body}");
        assert_eq!(body["areas"][0]["code"], "411702");
        assert_eq!((body["areas"][0]["target"].as_i64(), body["areas"][0]["sampled"].as_i64()), (Some(6), Some(4)));
        assert_eq!(body["sampled"], 4);

        // Turnaround: P1 collected 09:00, reported 12:00 (180 min) by L1; U1 collected 00:10,
        // reported 02:10 (120 min) by L2, an unregistered lab. A later report does not count.
        let results = "tube_id,result,lab_code,tested_at,reported_at\n\
                       P1,negative,L1,2026-11-30 11:00,2026-11-30 12:00\n\
                       U1,negative,L2,2026-11-30 01:00,2026-11-30 02:10\n\
                       U1,negative,L2,2026-11-30 05:00,2026-11-30 06:00\n";
        app.app.ingest_results(&system, "r.csv", results.as_bytes()).await.unwrap();
        let round_t = app.app.turnaround(&system, Some("R1"), 7).await.unwrap();
        assert_eq!((round_t.overall.tubes, round_t.overall.p50), (1, Some(180.0)));
        let week = app.app.turnaround(&system, None, 7).await.unwrap();
        assert_eq!((week.overall.tubes, week.overall.p50, week.overall.p90), (2, Some(120.0), Some(180.0)));
        let labs: Vec<_> = week.by_lab.iter().map(|l| (l.lab_code.as_str(), l.name.is_some(), l.percentiles.p50)).collect();
        assert_eq!(labs, [("L1", true, Some(180.0)), ("L2", false, Some(120.0))]);

        // Lab load per China day: L1 tested one tube on the 30th against 100 a day; L2
        // tested one tube twice (one tube that day).
        let load = app.app.lab_load(&system, 2).await.unwrap();
        let rows: Vec<_> = load.iter().map(|l| (l.code.as_str(), l.capacity, l.days.iter().map(|d| d.1).collect::<Vec<_>>())).collect();
        assert_eq!(rows, [("L1", Some(100), vec![0, 1]), ("L2", None, vec![0, 1])]);
        assert_eq!(load[0].days[1].0, d);
        assert_eq!(load[0].utilization(), Some(0.01));
        // The other county sees neither: L1 is registered in 411702, L2 nowhere.
        assert!(app.app.lab_load(&west, 2).await.unwrap().is_empty());

        // Pool advice for 411702 (site S1): two negative tubes of 4 people, no positive, so
        // the advice assumes the rule-of-three bound 3/4, at which pooling does not pay.
        let advice = app.app.pool_advice(&system, 7, 1.0, 1.0).await.unwrap();
        assert_eq!(advice.len(), 1);
        let a = &advice[0];
        assert_eq!((a.county_code.as_str(), a.tubes, a.positive_tubes, a.optimal_pool_size), ("411702", 2, 0, 1));
        assert_eq!((a.prevalence, a.assumed_prevalence, a.tests_per_person), (0.0, 0.75, 1.0));
        app
    })
    .await;
}

#[tokio::test]
async fn key_group_schedules_turn_overdue_at_shanghai_midnight() {
    use fangkong_app::testing::schedules::{DueStatus, Frequency, KeyGroupInput};
    each_backend(|app| async move {
        let people = small_city(&app).await;
        let system = fangkong_app::Actor::system("test");
        app.execute_sql(&format!(
            "UPDATE persons SET occupation = 'medical' WHERE id IN ({}, {}, {})",
            people[0].0, people[1].0, people[4].0
        ))
        .await
        .unwrap();
        let input = |code: &str, frequency| KeyGroupInput {
            code: code.into(),
            name: "医务人员".into(),
            jurisdiction_code: "4117".into(),
            frequency,
            occupations: vec!["medical".into()],
        };
        let g = app.app.create_key_group(&system, &input("MED", Frequency::Daily)).await.unwrap();
        assert_eq!((g.members, g.interval_days), (3, 1));
        // c1 is added by file; a re-run adds nobody; an unknown person fails the whole file.
        let file = format!("姓名,id_number\n居民7,{}\n", people[6].1);
        let r = app.app.import_key_group_members(&system, "MED", "staff.csv", file.as_bytes()).await.unwrap();
        assert_eq!(r, (1, 1));
        let r = app.app.import_key_group_members(&system, "MED", "staff.csv", file.as_bytes()).await.unwrap();
        assert_eq!(r, (1, 0));
        let bad = format!("id_number\n{}\n{}\n", people[7].1, crate::id("411702", "1970-01-01", 5));
        match app.app.import_key_group_members(&system, "MED", "bad.csv", bad.as_bytes()).await {
            Err(fangkong_app::Error::Import(e)) => {
                assert_eq!(e.to_string(), "bad.csv:3: id_number: no person with this document is registered in your jurisdiction");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(app.app.key_group(&system, "MED").await.unwrap().members, 4, "nothing half-applied");

        // a1 sampled at 00:30 China time on the 30th (16:30 UTC on the 29th), a2 at 23:30 on
        // the 29th; b1 and c1 never (they joined on the 30th).
        let csv = format!(
            "tube_id,id_number,site_code,collected_at\nK1,{},S1,2026-11-30 00:30\nK2,{},S1,2026-11-29 23:30\n",
            people[0].1, people[1].1
        );
        app.app.ingest_samples(&system, "k.csv", csv.as_bytes()).await.unwrap();
        let statuses = |s: &fangkong_app::testing::schedules::GroupSchedule| {
            s.communities.iter().map(|c| (c.community_code.clone(), c.members, c.due_today, c.overdue)).collect::<Vec<_>>()
        };
        let on_30 = app.app.group_schedule(&system, "MED", None, day("2026-11-30"), 100).await.unwrap();
        assert_eq!(statuses(&on_30), [(A.into(), 2, 1, 0), (B.into(), 1, 1, 0), (C.into(), 1, 1, 0)]);
        assert_eq!(on_30.overdue_total, 0);
        let on_1 = app.app.group_schedule(&system, "MED", None, day("2026-12-01"), 100).await.unwrap();
        assert_eq!(statuses(&on_1), [(A.into(), 2, 1, 1), (B.into(), 1, 0, 1), (C.into(), 1, 0, 1)]);
        assert!((on_1.communities[0].compliance() - 0.5).abs() < 1e-12);
        let overdue: Vec<_> = on_1.overdue.iter().map(|m| (m.person.id, m.due.days_overdue, m.due.due_on)).collect();
        assert_eq!(
            overdue,
            [(people[1].0, 1, day("2026-11-30")), (people[4].0, 1, day("2026-11-30")), (people[6].0, 1, day("2026-11-30"))]
        );
        let in_a = fangkong_domain::JurisdictionCode::parse(A).unwrap();
        let only_a = app.app.group_schedule(&system, "MED", Some(&in_a), day("2026-12-01"), 100).await.unwrap();
        assert_eq!(statuses(&only_a), [(A.into(), 2, 1, 1)]);

        // Over the API, names are masked; the other county sees its own community only.
        let staff = app.client_for("staff", "testing-staff", None).await;
        let (status, body) = staff.get_json("/api/v1/testing/key-groups/MED/schedule?day=2026-12-02").await.unwrap();
        assert_eq!(status, reqwest::StatusCode::OK, "{body}");
        assert_eq!(body["overdue_total"], 4);
        assert_eq!(body["overdue"][0]["days_overdue"], 2);
        assert!(body["overdue"].as_array().unwrap().iter().all(|m| !m["name"].as_str().unwrap().starts_with("居民")
            || m["name"].as_str().unwrap().contains('*')), "{body}");
        let west = app.client_for("west", "county-operator", Some("411721")).await;
        let (_, body) = west.get_json("/api/v1/testing/key-groups/MED/schedule?day=2026-12-01").await.unwrap();
        assert_eq!(body["communities"].as_array().unwrap().len(), 1);
        assert_eq!(body["communities"][0]["community_code"], C);

        // A person's own schedule follows the clock: due on 1 December, overdue from the 2nd
        // at 00:00 China time (16:00 UTC on the 1st).
        let due = |s: fangkong_app::testing::schedules::PersonSchedule| (s.groups[0].1.due_on, s.groups[0].1.status);
        assert_eq!(due(app.app.person_schedule(&system, people[0].0).await.unwrap()), (day("2026-12-01"), DueStatus::UpToDate));
        app.clock.set(chrono::DateTime::parse_from_rfc3339("2026-12-01T15:59:59Z").unwrap().into());
        assert_eq!(due(app.app.person_schedule(&system, people[0].0).await.unwrap()).1, DueStatus::DueToday);
        app.clock.set(chrono::DateTime::parse_from_rfc3339("2026-12-01T16:00:00Z").unwrap().into());
        assert_eq!(due(app.app.person_schedule(&system, people[0].0).await.unwrap()).1, DueStatus::Overdue);

        // Weekly: a1 is due on 7 December.
        app.app.create_key_group(&system, &input("MED7", Frequency::Weekly)).await.unwrap();
        let weekly = app.app.person_schedule(&system, people[0].0).await.unwrap();
        assert_eq!(weekly.groups.iter().map(|g| (g.0.code.as_str(), g.1.due_on)).collect::<Vec<_>>(),
                   [("MED", day("2026-12-01")), ("MED7", day("2026-12-07"))]);
        app
    })
    .await;
}

#[tokio::test]
async fn idempotency_keys_replay_the_first_response_and_refuse_reuse() {
    each_backend(|app| async move {
        let people = small_city(&app).await;
        app.app
            .create_user("lab", "pw", "lab-submitter", None)
            .await
            .unwrap();
        let token = app
            .app
            .create_api_token("lab", "batch", None)
            .await
            .unwrap();
        let http = reqwest::Client::new();
        let send = |key: Option<&str>, body: String| {
            let mut r = http
                .post(format!(
                    "{}/api/v1/testing/samples:batch?file_name=s.csv",
                    app.base_url
                ))
                .bearer_auth(&token)
                .body(body);
            if let Some(k) = key {
                r = r.header("Idempotency-Key", k);
            }
            r.send()
        };
        let csv = format!(
            "tube_id,id_number,site_code,collected_at\nI1,{},S1,2026-11-30 08:00\n",
            people[0].1
        );
        let first = send(Some("k-1"), csv.clone()).await.unwrap();
        assert_eq!(first.status(), reqwest::StatusCode::OK);
        assert!(first.headers().get("idempotent-replayed").is_none());
        let first: serde_json::Value = first.json().await.unwrap();
        assert_eq!(first["stored"], 1);
        let again = send(Some("k-1"), csv.clone()).await.unwrap();
        assert_eq!(again.headers().get("idempotent-replayed").unwrap(), "true");
        let again: serde_json::Value = again.json().await.unwrap();
        assert_eq!(again, first, "the first response, not a second ingest");
        let other = send(Some("k-1"), csv.replace("I1", "I2")).await.unwrap();
        assert_eq!(other.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
        let problem: serde_json::Value = other.json().await.unwrap();
        assert_eq!(
            problem["errors"][0]["field"], "Idempotency-Key",
            "{problem}"
        );
        let bad = send(Some("two words"), csv.clone()).await.unwrap();
        assert_eq!(bad.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
        // Without a key the ingest itself is idempotent.
        let plain: serde_json::Value = send(None, csv.clone()).await.unwrap().json().await.unwrap();
        assert_eq!(
            (plain["stored"].as_u64(), plain["already_stored"].as_u64()),
            (Some(0), Some(1))
        );
        app
    })
    .await;
}

#[tokio::test]
async fn the_demo_seeds_a_round_key_groups_and_fanned_out_positives_once() {
    use fangkong_app::testing::coverage::CoverageLevel;
    each_backend(|app| async move {
        app.load_city(5_000).await;
        let config = fangkong_app::demo::DemoConfig {
            city_code: "4117".into(),
            population: 5_000,
            seed: 7,
        };
        app.app.seed_demo_testing(&config).await.unwrap();
        let system = fangkong_app::Actor::system("test");
        let groups = app.app.key_groups(&system).await.unwrap();
        assert_eq!(
            groups
                .iter()
                .map(|g| (g.code.as_str(), g.interval_days))
                .collect::<Vec<_>>(),
            [("COLD", 1), ("DLV", 2), ("EDU", 7), ("MED", 1), ("TRN", 2)]
        );
        assert!(groups.iter().all(|g| g.members > 0), "{groups:?}");
        let coverage = app
            .app
            .round_coverage(
                &system,
                fangkong_app::demo::DEMO_ROUND,
                CoverageLevel::County,
            )
            .await
            .unwrap();
        assert_eq!(coverage.target, 5_000);
        let share = coverage.sampled as f64 / coverage.target as f64;
        assert!((0.80..=0.98).contains(&share), "{share}");
        let positives = app.app.positives(&system, 100).await.unwrap();
        let pooled: Vec<_> = positives.iter().filter(|t| t.pool_size > 1).collect();
        assert!(pooled
            .iter()
            .any(|t| t.outcome == "positive" && t.retests_done == t.members));
        assert!(pooled
            .iter()
            .any(|t| t.outcome == "inconclusive" && t.retests_open == t.members));
        assert!(positives
            .iter()
            .any(|t| t.pool_size == 1 && t.suspected_cases == 1));
        let schedule = app
            .app
            .group_schedule(&system, "MED", None, app.app.today(), 10)
            .await
            .unwrap();
        assert!(schedule.overdue_total > 0);
        let tubes = app
            .store
            .testing()
            .batches(None, 1_000)
            .await
            .unwrap()
            .len();
        // A second run changes nothing.
        app.app.seed_demo_testing(&config).await.unwrap();
        assert_eq!(
            app.store
                .testing()
                .batches(None, 1_000)
                .await
                .unwrap()
                .len(),
            tubes
        );
        app
    })
    .await;
}
