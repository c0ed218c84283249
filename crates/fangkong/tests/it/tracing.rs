//! Tracing on both backends: the case lifecycle and its history; exposure matching at its
//! edges (touching intervals, margins, open check-outs, midnight, another venue), kept in
//! step with new check-ins; check-in import with refused rows and a no-op re-send; contacts
//! whose confirmation assigns the policy's measure, secondary contacts through a close
//! contact; transmission chains and clusters with generations and serial intervals, their
//! exports; tracing timeliness by county.

use fangkong_api_types::{
    CaseCreate, CaseUpdate, ContactDecision, ExposureCandidate, ItineraryCreate,
    ItineraryEntryCreate, LinkCreate, PersonCreate,
};
use fangkong_client::ClientError;
use fangkong_store::audit::AuditFilter;
use fangkong_test_support::{each_backend, TestApp};
use reqwest::StatusCode;

use crate::id;

/// Venue place codes: two venues in Yicheng (驿城区) and one in Xiping (西平县).
const V1: &str = "P4117020010010001";
const V2: &str = "P4117020010010002";
const V3: &str = "P4117210010010001";

/// Two counties, three venues, a policy in force and persons; returns the persons' ids in
/// the order of `names` (the first four share household 1; the fifth and sixth household 2).
pub(crate) async fn fixture(app: &TestApp, names: &[&str]) -> Vec<i64> {
    let csv = "code,name\n41,河南省\n4117,驻马店市\n411702,驿城区\n411721,西平县\n\
               411702001,顺河街道\n411702001001,一号社区\n411721001,柏城街道\n411721001001,西平一社区\n";
    app.client
        .import_jurisdictions("d.csv", csv.as_bytes().to_vec())
        .await
        .unwrap();
    let venues = format!(
        "place_code,name,kind\n{V1},一号超市,supermarket\n{V2},二号餐馆,restaurant\n{V3},西平车站,station\n"
    );
    let summary = app
        .client
        .import_venues("venues.csv", venues.clone().into_bytes())
        .await
        .unwrap();
    assert_eq!((summary.rows, summary.created, summary.updated), (3, 3, 0));
    let again = app
        .client
        .import_venues("venues.csv", venues.into_bytes())
        .await
        .unwrap();
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 3));
    app.app.ensure_default_policy().await.unwrap();
    app.store
        .bulk()
        .insert(&fangkong_store::bulk::BulkRows {
            households: &[
                fangkong_store::facilities::NewHousehold {
                    id: 1,
                    community_code: "411702001001".into(),
                    address: "一号社区1栋".into(),
                    size: 4,
                },
                fangkong_store::facilities::NewHousehold {
                    id: 2,
                    community_code: "411702001001".into(),
                    address: "一号社区2栋".into(),
                    size: 2,
                },
            ],
            ..Default::default()
        })
        .await
        .unwrap();
    let mut ids = Vec::new();
    for (n, name) in names.iter().enumerate() {
        let community = if n == 7 {
            "411721001001"
        } else {
            "411702001001"
        };
        let (_, p) = app
            .client
            .create_person(&PersonCreate {
                id_number: Some(id("411702", "1985-06-01", 200 + n as u16)),
                name: (*name).into(),
                community_code: community.into(),
                ..PersonCreate::default()
            })
            .await
            .unwrap();
        ids.push(p.id);
    }
    let in_household = |range: std::ops::Range<usize>| {
        ids[range.start.min(ids.len())..range.end.min(ids.len())]
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    let first = in_household(0..4);
    let second = in_household(4..6);
    if !first.is_empty() {
        app.execute_sql(&format!(
            "UPDATE persons SET household_id = 1 WHERE id IN ({first})"
        ))
        .await
        .unwrap();
    }
    if !second.is_empty() {
        app.execute_sql(&format!(
            "UPDATE persons SET household_id = 2 WHERE id IN ({second})"
        ))
        .await
        .unwrap();
    }
    ids
}

pub(crate) fn case(person_id: i64, class: &str, onset: Option<&str>) -> CaseCreate {
    CaseCreate {
        person_id: Some(person_id),
        classification: class.into(),
        detection: "contact_follow_up".into(),
        onset_at: onset.map(str::to_string),
        ..CaseCreate::default()
    }
}

fn problem_fields(e: ClientError) -> Vec<(String, String)> {
    match e {
        ClientError::Api {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            problem: Some(p),
        } => p.errors.into_iter().map(|f| (f.field, f.reason)).collect(),
        other => panic!("expected 422, got {other:?}"),
    }
}

fn status(e: ClientError) -> StatusCode {
    match e {
        ClientError::Api { status, .. } => status,
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn case_lifecycle_and_history() {
    each_backend(|app| async move {
        let ids = fixture(&app, &["张病例", "李病例"]).await;
        let created = app
            .client
            .register_case(&CaseCreate {
                id_number: Some(id("411702", "1985-06-01", 200)),
                classification: "suspected".into(),
                detection: "testing_round".into(),
                source_tube: Some("T0001".into()),
                onset_at: Some("2026-11-28 08:00".into()),
                detected_at: Some("2026-11-30 06:00".into()),
                reported_at: Some("2026-11-30 08:00".into()),
                ..CaseCreate::default()
            })
            .await
            .unwrap();
        assert_eq!(created.person_id, ids[0]);
        assert_eq!(created.person_name, "张**");
        assert_eq!(
            (created.classification.as_str(), created.detection.as_str()),
            ("suspected", "testing_round")
        );
        assert_eq!(created.source_tube.as_deref(), Some("T0001"));
        assert_eq!(created.outcome, "open");
        // 2026-11-30 08:00 CST.
        assert_eq!(created.reported_at, 1_795_996_800_000);
        // One case per person.
        let again = app
            .client
            .register_case(&case(ids[0], "confirmed", None))
            .await;
        assert_eq!(status(again.unwrap_err()), StatusCode::CONFLICT);
        // Bad values, every one named.
        let bad = app
            .client
            .register_case(&CaseCreate {
                person_id: Some(ids[1]),
                classification: "probable".into(),
                detection: "radar".into(),
                onset_at: Some("2026-12-05 08:00".into()),
                detected_at: Some("2026-11-30 09:00".into()),
                reported_at: Some("2026-11-30 08:00".into()),
                ..CaseCreate::default()
            })
            .await
            .unwrap_err();
        assert_eq!(
            problem_fields(bad),
            vec![
                (
                    "classification".to_string(),
                    "must be one of suspected, asymptomatic, confirmed, excluded".to_string()
                ),
                (
                    "detection".to_string(),
                    "must be one of testing_round, sentinel, inbound, contact_follow_up, \
                     fever_clinic, other"
                        .to_string()
                ),
                ("onset_at".to_string(), "is in the future".to_string()),
                (
                    "reported_at".to_string(),
                    "must not be before detected_at".to_string()
                ),
            ]
        );

        // Reclassified to confirmed, severity and isolation recorded; a confirmed case does
        // not become asymptomatic; recovery before the report is refused.
        let u = app
            .client
            .update_case(
                created.id,
                &CaseUpdate {
                    classification: Some("confirmed".into()),
                    severity: Some("moderate".into()),
                    isolated_at: Some("2026-11-30 09:00".into()),
                    note: Some("复核阳性".into()),
                    ..CaseUpdate::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(u.classification, "confirmed");
        assert_eq!(u.severity.as_deref(), Some("moderate"));
        let refused = app
            .client
            .update_case(
                created.id,
                &CaseUpdate {
                    classification: Some("asymptomatic".into()),
                    outcome: Some("recovered".into()),
                    outcome_at: Some("2026-11-29 09:00".into()),
                    ..CaseUpdate::default()
                },
            )
            .await
            .unwrap_err();
        assert_eq!(
            problem_fields(refused),
            vec![
                (
                    "classification".to_string(),
                    "a case confirmed cannot become asymptomatic".to_string()
                ),
                (
                    "outcome_at".to_string(),
                    "must not be before the report".to_string()
                ),
            ]
        );
        app.client
            .update_case(
                created.id,
                &CaseUpdate {
                    outcome: Some("recovered".into()),
                    ..CaseUpdate::default()
                },
            )
            .await
            .unwrap();
        let d = app.client.case_detail(created.id).await.unwrap();
        let events: Vec<(&str, Option<&str>, Option<&str>)> = d
            .events
            .iter()
            .map(|e| {
                (
                    e.kind.as_str(),
                    e.from_value.as_deref(),
                    e.to_value.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            events,
            vec![
                ("registered", None, Some("suspected")),
                ("reclassified", Some("suspected"), Some("confirmed")),
                ("severity", None, Some("moderate")),
                ("isolated", None, Some("1796000400000")),
                ("outcome", Some("open"), Some("recovered")),
            ]
        );
        assert_eq!(d.events[1].note.as_deref(), Some("复核阳性"));
        assert_eq!(d.case.outcome_at, Some(app.app.now_ms()));
        // Look-back: 14 days before the onset, to the isolation.
        assert_eq!(
            (d.lookback_from, d.lookback_to),
            (
                1_795_824_000_000 - 14 * 86_400_000,
                d.case.isolated_at.unwrap()
            )
        );

        // A county user of Xiping does not see a Yicheng case, nor register its people.
        let xiping = app.client_for("xp", "tracing-staff", Some("411721")).await;
        assert_eq!(
            status(xiping.case_detail(created.id).await.unwrap_err()),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            status(
                xiping
                    .register_case(&case(ids[1], "suspected", None))
                    .await
                    .unwrap_err()
            ),
            StatusCode::NOT_FOUND
        );
        // A commander reads but does not act.
        let commander = app.client_for("cmd", "commander", None).await;
        commander.case_detail(created.id).await.unwrap();
        assert_eq!(
            status(
                commander
                    .register_case(&case(ids[1], "suspected", None))
                    .await
                    .unwrap_err()
            ),
            StatusCode::FORBIDDEN
        );
        let audit = app
            .store
            .audit()
            .search(&AuditFilter {
                action: Some("tracing.case_update".into()),
                limit: 100,
                ..AuditFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(audit.len(), 2);
        app
    })
    .await;
}

/// Candidates as (person id, setting, overlap minutes).
fn ranked(c: &[ExposureCandidate]) -> Vec<(i64, &str, i64)> {
    c.iter()
        .map(|c| (c.person_id, c.setting.as_str(), c.overlap_minutes))
        .collect()
}

#[tokio::test]
async fn exposure_matching_edges_and_import() {
    each_backend(|app| async move {
        // 0 the case, 1–3 household, 4 A touching, 5 B open check-out, 6 C other venue,
        // 7 D full overlap (lives in Xiping), 8 E midnight, 9 F after, 10 G later.
        let ids = fixture(
            &app,
            &[
                "甲病例", "甲家一", "甲家二", "甲家三", "乙触碰", "丙未离", "丁别处", "戊全程",
                "己午夜", "庚之后", "辛后来",
            ],
        )
        .await;
        let c = app
            .client
            .register_case(&case(ids[0], "confirmed", Some("2026-11-29 08:00")))
            .await
            .unwrap();
        app.client
            .add_itinerary(
                c.id,
                &ItineraryCreate {
                    entries: vec![
                        ItineraryEntryCreate {
                            start_at: "2026-11-28 10:00".into(),
                            end_at: "2026-11-28 11:00".into(),
                            place_code: Some(V1.into()),
                            ..ItineraryEntryCreate::default()
                        },
                        ItineraryEntryCreate {
                            start_at: "2026-11-28 23:30".into(),
                            end_at: "2026-11-29 00:30".into(),
                            place_code: Some(V2.into()),
                            ..ItineraryEntryCreate::default()
                        },
                        ItineraryEntryCreate {
                            start_at: "2026-11-27 07:00".into(),
                            end_at: "2026-11-27 09:00".into(),
                            transport_kind: Some("train".into()),
                            transport_no: Some("G1234".into()),
                            carriage: Some("5".into()),
                            seat: Some("12F".into()),
                            ..ItineraryEntryCreate::default()
                        },
                    ],
                },
            )
            .await
            .unwrap();
        let nid = |n: u16| id("411702", "1985-06-01", 200 + n);
        let checkins = format!(
            "national_id,place_code,time_in,time_out\n\
             {},{V1},2026-11-28 10:00,2026-11-28 11:00\n\
             {},{V1},2026-11-28 09:00,2026-11-28 10:00\n\
             {},{V1},2026-11-28 10:30,\n\
             {},{V2},2026-11-28 10:00,2026-11-28 11:00\n\
             {},{V1},2026-11-28 10:00,2026-11-28 11:00\n\
             {},{V2},2026-11-29 00:00,2026-11-29 01:00\n\
             {},{V1},2026-11-28 11:45,2026-11-28 12:00\n\
             {},P4117029999990001,2026-11-28 10:00,2026-11-28 11:00\n\
             {},{V1},2026-11-28 10:00,2026-11-28 09:00\n",
            nid(0),
            nid(4),
            nid(5),
            nid(6),
            nid(7),
            nid(8),
            nid(9),
            nid(9),
            nid(9),
        );
        let report = app
            .client
            .import_checkins("scans.csv", checkins.clone().into_bytes())
            .await
            .unwrap();
        assert_eq!((report.rows, report.stored, report.already_stored), (9, 7, 0));
        let refused: Vec<(Option<u64>, &str, &str)> = report
            .refused
            .iter()
            .map(|e| (e.line, e.field.as_str(), e.reason.as_str()))
            .collect();
        assert_eq!(
            refused,
            vec![
                (Some(9), "place_code", "no venue has this place code"),
                (Some(10), "time_out", "is before time_in"),
            ]
        );
        // The same file again stores nothing.
        let again = app
            .client
            .import_checkins("scans.csv", checkins.into_bytes())
            .await
            .unwrap();
        assert_eq!((again.stored, again.already_stored), (0, 7));

        // Margin 0: touching (A) and after (F) are out, another venue (C) never counts; the
        // open check-out (B) lasts the assumed hour; midnight (E) is just an interval. Ties
        // rank by the later last exposure. Then the household, without overlap.
        let zero = app.client.exposures(c.id, 0).await.unwrap();
        assert_eq!(
            ranked(&zero),
            vec![
                (ids[7], "venue", 60),
                (ids[8], "venue", 30),
                (ids[5], "venue", 30),
                (ids[1], "household", 0),
                (ids[2], "household", 0),
                (ids[3], "household", 0),
            ]
        );
        assert_eq!(zero[0].venue.as_ref().unwrap().place_code, V1);
        assert!(!zero[0].in_scope || zero[0].community_code == "411721001001");
        // 2026-11-29 00:30 CST: the end of the case's stay is the last exposure of E.
        assert_eq!(zero[1].last_at, 1_795_883_400_000);
        // Margin 30 minutes: A's hour touches the widened interval for 30 minutes; B and E
        // overlap a full hour now.
        let thirty = app.client.exposures(c.id, 30).await.unwrap();
        assert_eq!(
            ranked(&thirty)[..4],
            [
                (ids[8], "venue", 60),
                (ids[5], "venue", 60),
                (ids[7], "venue", 60),
                (ids[4], "venue", 30),
            ]
        );
        // Margin 60: F's 15 minutes after the case left count.
        let sixty = app.client.exposures(c.id, 60).await.unwrap();
        assert!(ranked(&sixty).contains(&(ids[9], "venue", 15)));
        assert_eq!(
            problem_fields(app.client.exposures(c.id, 1441).await.unwrap_err()),
            vec![(
                "margin_minutes".to_string(),
                "must be between 0 and 1440".to_string()
            )]
        );

        // A check-in stored after the index was built is found at once.
        let later = format!(
            "person_id,place_code,time_in,time_out\n{},{V1},2026-11-28 10:50,2026-11-28 12:00\n",
            ids[10]
        );
        let r = app
            .client
            .import_checkins("later.csv", later.into_bytes())
            .await
            .unwrap();
        assert_eq!(r.stored, 1);
        let now = app.client.exposures(c.id, 0).await.unwrap();
        assert!(ranked(&now).contains(&(ids[10], "venue", 10)));

        // The venue-time window: everyone at V1 between 10:00 and 11:00, the case too.
        let venue_id = zero[0].venue.as_ref().unwrap().id;
        let (code, window) = app
            .client
            .get_json(&format!(
                "/api/v1/tracing/venues/{venue_id}/exposures?from=2026-11-28%2010:00&to=2026-11-28%2011:00&margin_minutes=0"
            ))
            .await
            .unwrap();
        assert_eq!(code, StatusCode::OK);
        let mut persons: Vec<(i64, i64)> = window
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["person_id"].as_i64().unwrap(),
                    c["overlap_minutes"].as_i64().unwrap(),
                )
            })
            .collect();
        persons.sort_unstable();
        assert_eq!(
            persons,
            vec![(ids[0], 60), (ids[5], 30), (ids[7], 60), (ids[10], 10)]
        );

        // The case's own check-ins fill its itinerary once.
        let n: u64 = app
            .client
            .case_action(c.id, "itinerary:from-checkins")
            .await
            .unwrap();
        assert_eq!(n, 0, "the case's only check-in is already an itinerary entry");
        let d = app.client.case_detail(c.id).await.unwrap();
        assert_eq!(d.itinerary.len(), 3);
        assert_eq!(d.itinerary[0].transport_no.as_deref(), Some("G1234"));
        assert_eq!(d.itinerary[0].carriage.as_deref(), Some("5"));
        assert_eq!(d.itinerary[1].place_code.as_deref(), Some(V1));
        // Bad itinerary entries are named by index and field; nothing is added.
        let bad = app
            .client
            .add_itinerary(
                c.id,
                &ItineraryCreate {
                    entries: vec![
                        ItineraryEntryCreate {
                            start_at: "2026-11-28 12:00".into(),
                            end_at: "2026-11-28 11:00".into(),
                            place_code: Some("P4117020010019999".into()),
                            ..ItineraryEntryCreate::default()
                        },
                        ItineraryEntryCreate {
                            start_at: "2026-11-28 12:00".into(),
                            end_at: "2026-11-28 13:00".into(),
                            transport_kind: Some("train".into()),
                            ..ItineraryEntryCreate::default()
                        },
                    ],
                },
            )
            .await
            .unwrap_err();
        assert_eq!(
            problem_fields(bad),
            vec![
                (
                    "entries[0].end_at".to_string(),
                    "must be after start_at".to_string()
                ),
                (
                    "entries[0].place_code".to_string(),
                    "no venue has this place code".to_string()
                ),
                (
                    "entries[1].transport_no".to_string(),
                    "a transport needs both its kind and its number".to_string()
                ),
                (
                    "entries[1].place_code".to_string(),
                    "give a venue, an address or a transport".to_string()
                ),
            ]
        );
        assert_eq!(app.client.case_detail(c.id).await.unwrap().itinerary.len(), 3);
        app
    })
    .await;
}

pub(crate) fn confirm(person_id: i64, setting: &str, last: &str) -> ContactDecision {
    ContactDecision {
        person_id,
        setting: setting.into(),
        last_exposure_at: last.into(),
        ..ContactDecision::default()
    }
}

#[tokio::test]
async fn contacts_measures_and_timeliness() {
    each_backend(|app| async move {
        // 0 the case; 1 household; 4 a venue contact whose household is 5.
        let ids = fixture(
            &app,
            &[
                "甲病例",
                "甲家一",
                "甲家二",
                "甲家三",
                "乙密接",
                "乙家人",
                "丙无关",
            ],
        )
        .await;
        let c = app
            .client
            .register_case(&case(ids[0], "confirmed", Some("2026-11-29 08:00")))
            .await
            .unwrap();
        let hours = |h: i64| app.clock.advance(chrono::Duration::hours(h));
        hours(5);
        // An empty itinerary cannot be complete.
        assert_eq!(
            problem_fields(
                app.client
                    .case_action::<serde_json::Value>(c.id, "itinerary:complete")
                    .await
                    .unwrap_err()
            ),
            vec![(
                "itinerary".to_string(),
                "is empty: record the case's places first".to_string()
            )]
        );
        app.client
            .add_itinerary(
                c.id,
                &ItineraryCreate {
                    entries: vec![ItineraryEntryCreate {
                        start_at: "2026-11-28 10:00".into(),
                        end_at: "2026-11-28 11:00".into(),
                        place_code: Some(V1.into()),
                        ..ItineraryEntryCreate::default()
                    }],
                },
            )
            .await
            .unwrap();
        let done: fangkong_api_types::TraceCase = app
            .client
            .case_action(c.id, "itinerary:complete")
            .await
            .unwrap();
        assert_eq!(done.itinerary_hours, Some(5.0));
        hours(2);
        // A close contact at a venue: the close-contact rule, pocket "contact", from the day
        // of the last exposure.
        let close = app
            .client
            .decide_contact(
                c.id,
                true,
                &ContactDecision {
                    venue_id: None,
                    overlap_minutes: Some(60),
                    ..confirm(ids[4], "venue", "2026-11-28 11:00")
                },
            )
            .await
            .unwrap();
        assert_eq!(
            (close.degree.as_str(), close.status.as_str()),
            ("close", "confirmed")
        );
        assert_eq!(close.measure_status.as_deref(), Some("assigned"));
        let m = app.client.measure(close.measure_id.unwrap()).await.unwrap();
        assert_eq!(
            (m.pocket.as_str(), m.rule_id.as_str(), m.contact.as_deref()),
            ("contact", "close-contact", Some("close"))
        );
        assert_eq!(
            m.source_ref.as_deref(),
            Some(format!("case:{}", c.id).as_str())
        );
        assert_eq!(m.starts_on, "2026-11-28");
        // Confirming again does not assign a second measure.
        let twice = app
            .client
            .decide_contact(c.id, true, &confirm(ids[4], "venue", "2026-11-28 11:00"))
            .await
            .unwrap();
        assert_eq!(twice.measure_id, close.measure_id);
        // A household member dismissed is not proposed again.
        app.client
            .decide_contact(
                c.id,
                false,
                &confirm(ids[1], "household", "2026-11-30 10:00"),
            )
            .await
            .unwrap();
        let candidates = app.client.exposures(c.id, 0).await.unwrap();
        assert_eq!(
            ranked(&candidates),
            vec![(ids[2], "household", 0), (ids[3], "household", 0)]
        );
        // Secondary contacts go through a confirmed close contact.
        let (code, secondary) = app
            .client
            .get_json(&format!(
                "/api/v1/tracing/cases/{}/secondary-candidates",
                c.id
            ))
            .await
            .unwrap();
        assert_eq!(code, StatusCode::OK);
        assert_eq!(secondary[0]["person_id"].as_i64(), Some(ids[5]));
        assert_eq!(secondary[0]["via_contact_id"].as_i64(), Some(close.id));
        assert_eq!(secondary.as_array().unwrap().len(), 1);
        let no_via = app
            .client
            .decide_contact(
                c.id,
                true,
                &ContactDecision {
                    degree: Some("secondary".into()),
                    ..confirm(ids[5], "household", "2026-11-29 20:00")
                },
            )
            .await
            .unwrap_err();
        assert_eq!(
            problem_fields(no_via),
            vec![(
                "via_contact_id".to_string(),
                "a secondary contact names the close contact they were exposed through".to_string()
            )]
        );
        hours(1);
        let sec = app
            .client
            .decide_contact(
                c.id,
                true,
                &ContactDecision {
                    degree: Some("secondary".into()),
                    via_contact_id: Some(close.id),
                    ..confirm(ids[5], "household", "2026-11-29 20:00")
                },
            )
            .await
            .unwrap();
        let m2 = app.client.measure(sec.measure_id.unwrap()).await.unwrap();
        assert_eq!(m2.rule_id, "secondary-contact");
        // The case's own person is not a contact.
        assert_eq!(
            problem_fields(
                app.client
                    .decide_contact(
                        c.id,
                        true,
                        &confirm(ids[0], "household", "2026-11-29 20:00")
                    )
                    .await
                    .unwrap_err()
            ),
            vec![(
                "person_id".to_string(),
                "is the case's own person".to_string()
            )]
        );
        hours(4);
        let complete: fangkong_api_types::TraceCase = app
            .client
            .case_action(c.id, "contacts:complete")
            .await
            .unwrap();
        // Under control when the last contact's measure was assigned: 8 hours after report.
        assert_eq!(complete.contacts_hours, Some(8.0));
        let d = app.client.case_detail(c.id).await.unwrap();
        let contacts: Vec<(i64, &str, &str)> = d
            .contacts
            .iter()
            .map(|k| (k.person_id, k.degree.as_str(), k.status.as_str()))
            .collect();
        assert_eq!(
            contacts,
            vec![
                (ids[4], "close", "confirmed"),
                (ids[5], "secondary", "confirmed"),
                (ids[1], "close", "dismissed"),
            ]
        );
        // Timeliness by county: the total first, then Yicheng.
        let t = app.client.tracing_timeliness(30).await.unwrap();
        type Row<'a> = (&'a str, u64, Option<f64>, u64, Option<f64>, u64);
        let rows: Vec<Row> = t
            .iter()
            .map(|r| {
                (
                    r.code.as_str(),
                    r.cases,
                    r.itinerary_median_hours,
                    r.itinerary_within_24h,
                    r.contacts_median_hours,
                    r.contacts_within_24h,
                )
            })
            .collect();
        assert_eq!(
            rows,
            vec![
                ("", 1, Some(5.0), 1, Some(8.0), 1),
                ("411702", 1, Some(5.0), 1, Some(8.0), 1),
            ]
        );
        assert_eq!(t[1].name, "驿城区");
        app
    })
    .await;
}

#[tokio::test]
async fn chains_clusters_and_exports() {
    each_backend(|app| async move {
        let names = ["一", "二", "三", "四", "五", "六", "七"];
        let ids = fixture(&app, &names).await;
        let onsets = [
            "2026-11-20 08:00",
            "2026-11-23 08:00",
            "2026-11-27 08:00",
            "2026-11-22 08:00",
            "2026-11-24 08:00",
            "2026-11-21 08:00",
            "2026-11-26 08:00",
        ];
        let mut cases = Vec::new();
        for (p, onset) in ids.iter().zip(onsets) {
            cases.push(
                app.client
                    .register_case(&case(*p, "confirmed", Some(onset)))
                    .await
                    .unwrap()
                    .id,
            );
        }
        let link = |a: usize, b: usize, confidence: &str| LinkCreate {
            infector_case_id: cases[a],
            infectee_case_id: cases[b],
            confidence: confidence.into(),
            setting: "household".into(),
            note: None,
        };
        for (a, b, conf) in [
            (0, 1, "confirmed"),
            (1, 2, "probable"),
            (0, 3, "possible"),
            (5, 6, "confirmed"),
        ] {
            app.client.link_cases(&link(a, b, conf)).await.unwrap();
        }
        // A cycle is refused.
        assert_eq!(
            problem_fields(
                app.client
                    .link_cases(&link(2, 0, "possible"))
                    .await
                    .unwrap_err()
            ),
            vec![(
                "infector_case_id".to_string(),
                "the link would close a cycle in the chain".to_string()
            )]
        );
        let chains = app.client.chains().await.unwrap();
        let generations: Vec<(i64, u32, Option<u32>)> = chains
            .nodes
            .iter()
            .map(|n| (n.case_id, n.generation, n.cluster))
            .collect();
        assert_eq!(
            generations,
            vec![
                (cases[0], 1, Some(1)),
                (cases[1], 2, Some(1)),
                (cases[2], 3, Some(1)),
                (cases[3], 2, Some(1)),
                (cases[4], 1, None),
                (cases[5], 1, Some(2)),
                (cases[6], 2, Some(2)),
            ]
        );
        let clusters: Vec<(u32, Vec<i64>, i64, u32)> = chains
            .clusters
            .iter()
            .map(|c| (c.id, c.cases.clone(), c.root, c.generations))
            .collect();
        assert_eq!(
            clusters,
            vec![
                (1, vec![cases[0], cases[1], cases[2], cases[3]], cases[0], 3),
                (2, vec![cases[5], cases[6]], cases[5], 2),
            ]
        );
        // Serial intervals 3, 4, 2, 5 days: mean 3.5, median 3.5, sd sqrt(5/3).
        let s = chains.serial_interval.unwrap();
        assert_eq!((s.n, s.min, s.max), (4, 2, 5));
        assert!((s.mean - 3.5).abs() < 1e-12 && (s.median - 3.5).abs() < 1e-12);
        assert!((s.sd.unwrap() - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
        let serial: Vec<Option<i64>> = chains.edges.iter().map(|e| e.serial_days).collect();
        assert_eq!(serial, vec![Some(3), Some(4), Some(2), Some(5)]);

        // Re-linking an infectee replaces its infector: case 4 now from case 2, generation 3.
        app.client
            .link_cases(&link(1, 3, "probable"))
            .await
            .unwrap();
        let again = app.client.chains().await.unwrap();
        let g4 = again.nodes.iter().find(|n| n.case_id == cases[3]).unwrap();
        assert_eq!(g4.generation, 3);
        assert_eq!(again.edges.len(), 4);

        let (content_type, graphml) = app.client.export_chains("graphml").await.unwrap();
        assert_eq!(content_type, "application/graphml+xml");
        assert!(graphml.contains("<graphml"));
        assert_eq!(graphml.matches("<node ").count(), 7);
        assert_eq!(graphml.matches("<edge ").count(), 4);
        assert!(graphml.contains("一*") || graphml.contains(">一<"));
        let (csv_type, csv) = app.client.export_chains("csv").await.unwrap();
        assert_eq!(csv_type, "text/csv; charset=utf-8");
        assert_eq!(csv.trim_start_matches('\u{feff}').lines().count(), 5);
        let exports = app
            .store
            .audit()
            .search(&AuditFilter {
                action: Some("tracing.chains_export".into()),
                limit: 100,
                ..AuditFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(exports.len(), 2);
        app
    })
    .await;
}
