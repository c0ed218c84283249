//! Fever-clinic visits on both backends: open loops that appear exactly when a deadline
//! passes and close when the result (recorded directly, or ingested through testing for a
//! linked tube) and the disposition arrive; a positive not transferred; bad input named
//! field by field; the jurisdiction scope; list import all or none, and again as a no-op.

use fangkong_api_types::{
    FeverDispositionCreate, FeverOpenLoops, FeverResultCreate, FeverVisitCreate, PersonCreate,
};
use fangkong_client::{Client, ClientError};
use fangkong_store::audit::AuditFilter;
use fangkong_test_support::{each_backend, TestApp};
use reqwest::StatusCode;

use crate::id;

/// Two counties, a fever clinic in each (ids 1 and 2), a hospital (id 3), and three
/// registered persons; returns their ID numbers.
async fn fixture(app: &TestApp) -> Vec<String> {
    let csv = "code,name\n41,河南省\n4117,驻马店市\n411702,驿城区\n411721,西平县\n\
               411702001,顺河街道\n411702001001,一号社区\n411721001,柏城街道\n411721001001,西平一社区\n";
    app.client
        .import_jurisdictions("d.csv", csv.as_bytes().to_vec())
        .await
        .unwrap();
    let facility = |id: i64, kind: &str, subtype: &str, name: &str, community: &str| {
        fangkong_store::facilities::Facility {
            id,
            kind: kind.into(),
            subtype: subtype.into(),
            name: name.into(),
            community_code: community.into(),
            place_code: None,
            capacity: 80,
            beds_general: 0,
            beds_icu: 0,
            beds_isolation: 0,
            lon: None,
            lat: None,
            synthetic: false,
        }
    };
    app.store
        .bulk()
        .insert(&fangkong_store::bulk::BulkRows {
            facilities: &[
                facility(
                    1,
                    "sentinel",
                    "fever_clinic",
                    "顺河发热门诊",
                    "411702001001",
                ),
                facility(
                    2,
                    "sentinel",
                    "fever_clinic",
                    "西平发热门诊",
                    "411721001001",
                ),
                facility(
                    3,
                    "hospital",
                    "designated",
                    "驿城区定点医院",
                    "411702001001",
                ),
            ],
            ..Default::default()
        })
        .await
        .unwrap();
    let mut ids = Vec::new();
    for (n, (name, community)) in [
        ("张发热", "411702001001"),
        ("李咳嗽", "411702001001"),
        ("王乏力", "411721001001"),
    ]
    .into_iter()
    .enumerate()
    {
        let number = id("411702", "1990-03-07", 100 + n as u16);
        app.client
            .create_person(&PersonCreate {
                id_number: Some(number.clone()),
                name: name.into(),
                community_code: community.into(),
                ..PersonCreate::default()
            })
            .await
            .unwrap();
        ids.push(number);
    }
    ids
}

fn visit(clinic_id: i64, id_number: &str, at: &str) -> FeverVisitCreate {
    FeverVisitCreate {
        clinic_id,
        id_number: id_number.into(),
        visit_at: Some(at.into()),
        temperature: 38.4,
        symptoms: vec!["cough".into(), "fatigue".into()],
        epi_history: false,
        tube_code: None,
        result: None,
    }
}

/// The open loops as (visit id, reason, hours overdue).
fn loops(l: &FeverOpenLoops) -> Vec<(i64, &str, i64)> {
    l.items
        .iter()
        .map(|o| (o.visit.id, o.reason.as_str(), o.overdue_hours))
        .collect()
}

async fn open(client: &Client) -> FeverOpenLoops {
    client.fever_open_loops(None, None).await.unwrap()
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

fn field(field: &str, reason: &str) -> (Option<u64>, String, String) {
    (None, field.to_string(), reason.to_string())
}

#[tokio::test]
async fn fever_open_loops_follow_the_deadlines_and_close_with_results_and_dispositions() {
    each_backend(|app| async move {
        let ids = fixture(&app).await;
        // The clock starts at 2026-11-30 10:00 China Standard Time. The first patient's
        // sample goes to the lab in tube F-1 through the testing module.
        let system = fangkong_app::Actor::system("test");
        let samples = format!(
            "tube_id,id_number,site_code,collected_at,pool_size\nF-1,{},FC1,2026-11-30 10:05,1\n",
            ids[0]
        );
        app.app
            .ingest_samples(&system, "samples.csv", samples.as_bytes())
            .await
            .unwrap();
        let (status, v1) = app
            .client
            .record_fever_visit(&FeverVisitCreate {
                tube_code: Some("F-1".into()),
                epi_history: true,
                ..visit(1, &ids[0], "2026-11-30 10:00")
            })
            .await
            .unwrap();
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(
            (
                v1.clinic_name.as_str(),
                v1.person_name.as_str(),
                v1.symptoms.clone()
            ),
            (
                "顺河发热门诊",
                "张发热",
                vec!["cough".to_string(), "fatigue".to_string()]
            )
        );
        assert!(
            !v1.id_number.contains(&ids[0][6..14]),
            "the ID number is masked"
        );
        // The same visit again is a no-op.
        let (status, again) = app
            .client
            .record_fever_visit(&FeverVisitCreate {
                tube_code: Some("F-1".into()),
                ..visit(1, &ids[0], "2026-11-30 10:00")
            })
            .await
            .unwrap();
        assert_eq!((status, again.id), (StatusCode::OK, v1.id));
        let (_, v2) = app
            .client
            .record_fever_visit(&visit(1, &ids[1], "2026-11-30 10:00"))
            .await
            .unwrap();
        let (_, v3) = app
            .client
            .record_fever_visit(&visit(2, &ids[2], "2026-11-30 10:00"))
            .await
            .unwrap();

        // Nothing is overdue before 12 hours; two hours before, all three are due soon.
        app.clock.advance(chrono::Duration::hours(9));
        let l = open(&app.client).await;
        assert_eq!((loops(&l), l.due_soon), (vec![], 0));
        app.clock.advance(chrono::Duration::hours(3));
        let l = open(&app.client).await;
        assert_eq!(
            (loops(&l), l.due_soon),
            (vec![], 3),
            "at exactly 12 hours, not yet"
        );
        app.clock.advance(chrono::Duration::minutes(1));
        let l = open(&app.client).await;
        assert_eq!(
            loops(&l),
            vec![
                (v1.id, "result_overdue", 0),
                (v2.id, "result_overdue", 0),
                (v3.id, "result_overdue", 0)
            ]
        );
        assert_eq!(l.due_soon, 0);
        assert_eq!(l.items[0].visit.result_due_at, l.items[0].due_at);

        // The lab's result for F-1, ingested through testing, closes the first visit's loop.
        let results = "tube_id,result,lab_code,tested_at,reported_at\n\
                       F-1,negative,L1,2026-11-30 20:00,2026-11-30 21:00\n";
        app.app
            .ingest_results(&system, "lab.csv", results.as_bytes())
            .await
            .unwrap();
        let shown = app.client.fever_visit(v1.id).await.unwrap();
        let result = shown.result.unwrap();
        assert_eq!(
            (
                result.outcome.as_str(),
                result.source.as_str(),
                result.lab.as_deref()
            ),
            ("negative", "tube", Some("L1"))
        );
        // A positive recorded directly closes the second's.
        let v2_now = app
            .client
            .record_fever_result(
                v2.id,
                &FeverResultCreate {
                    outcome: "阳性".into(),
                    at: Some("2026-11-30 22:00".into()),
                    lab: "L2".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(v2_now.result.unwrap().source, "direct");
        let l = open(&app.client).await;
        assert_eq!(loops(&l), vec![(v3.id, "result_overdue", 0)]);
        // Filters: by clinic, by county.
        let by_clinic = app.client.fever_open_loops(Some(2), None).await.unwrap();
        assert_eq!(loops(&by_clinic), vec![(v3.id, "result_overdue", 0)]);
        let by_county = app
            .client
            .fever_open_loops(None, Some("411702"))
            .await
            .unwrap();
        assert_eq!(loops(&by_county), vec![]);

        // The positive patient sent home is an open loop at once; a transfer closes it.
        let dispose = |id: i64, d: &str| {
            let client = app.client.clone();
            let body = FeverDispositionCreate {
                disposition: d.into(),
                at: None,
            };
            async move { client.record_fever_disposition(id, &body).await }
        };
        dispose(v2.id, "home_quarantine").await.unwrap();
        let l = open(&app.client).await;
        assert_eq!(
            loops(&l),
            vec![
                (v3.id, "result_overdue", 0),
                (v2.id, "positive_not_transferred", 0)
            ]
        );
        let done = dispose(v2.id, "transferred_designated_hospital")
            .await
            .unwrap();
        assert_eq!(
            (done.disposition.as_deref(), done.disposition_by.as_deref()),
            (Some("transferred_designated_hospital"), Some("admin"))
        );
        dispose(v1.id, "discharged_home").await.unwrap();

        // At 24 hours the third visit has neither; both reasons, most overdue first.
        app.clock.advance(chrono::Duration::hours(12));
        let l = open(&app.client).await;
        assert_eq!(
            loops(&l),
            vec![
                (v3.id, "result_overdue", 12),
                (v3.id, "disposition_overdue", 0)
            ]
        );
        // A clinic user of the other county sees only its own visits.
        let xiping = app
            .client_for("xiping", "fever-clinic-staff", Some("411721"))
            .await;
        let l = open(&xiping).await;
        assert_eq!(loops(&l).len(), 2);
        let (status, _) = refusal(xiping.fever_visit(v1.id).await.unwrap_err());
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = refusal(
            xiping
                .record_fever_disposition(
                    v1.id,
                    &FeverDispositionCreate {
                        disposition: "admitted".into(),
                        at: None,
                    },
                )
                .await
                .unwrap_err(),
        );
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = refusal(
            xiping
                .record_fever_visit(&visit(1, &ids[1], "2026-12-01 09:00"))
                .await
                .unwrap_err(),
        );
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "a clinic outside is unknown"
        );
        assert_eq!(xiping.fever_visits(None, None).await.unwrap().len(), 1);
        // The clinic records the third patient's result and disposition: no loop is open.
        xiping
            .record_fever_result(
                v3.id,
                &FeverResultCreate {
                    outcome: "negative".into(),
                    at: None,
                    lab: "L3".into(),
                },
            )
            .await
            .unwrap();
        xiping
            .record_fever_disposition(
                v3.id,
                &FeverDispositionCreate {
                    disposition: "home_monitoring".into(),
                    at: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(loops(&open(&app.client).await), vec![]);
        // A commander reads but does not record.
        let commander = app.client_for("cmd", "commander", None).await;
        assert_eq!(commander.fever_visits(None, None).await.unwrap().len(), 3);
        let (status, _) = refusal(
            commander
                .record_fever_visit(&visit(1, &ids[1], "2026-12-01 09:00"))
                .await
                .unwrap_err(),
        );
        assert_eq!(status, StatusCode::FORBIDDEN);

        // Every write is audited: three visits, two results, four dispositions.
        let count = |action: &'static str| {
            let store = app.store.clone();
            async move {
                store
                    .audit()
                    .search(&AuditFilter {
                        action: Some(action.into()),
                        limit: 100,
                        ..AuditFilter::default()
                    })
                    .await
                    .unwrap()
                    .len()
            }
        };
        assert_eq!(count("fever.visit_record").await, 3);
        assert_eq!(count("fever.result_record").await, 2);
        assert_eq!(count("fever.disposition_record").await, 4);
        app
    })
    .await;
}

#[tokio::test]
async fn fever_bad_input_is_refused_field_by_field() {
    each_backend(|app| async move {
        let ids = fixture(&app).await;
        let bad = FeverVisitCreate {
            temperature: 44.0,
            symptoms: vec!["cough".into(), "sneezing".into()],
            ..visit(99, "110105194912310021", "2026-11-30 10:01")
        };
        let (status, errors) = refusal(app.client.record_fever_visit(&bad).await.unwrap_err());
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            errors,
            vec![
                field(
                    "clinic_id",
                    "no fever clinic has this id in your jurisdiction"
                ),
                field("id_number", "check digit is 1, expected X"),
                field("visit_at", "is in the future"),
                field("temperature", "must be between 34 and 43 °C"),
                field(
                    "symptoms",
                    "unknown symptom 'sneezing'; expected one of cough, sore_throat, fatigue, \
                     loss_of_taste_smell, diarrhoea, runny_nose, muscle_ache, shortness_of_breath"
                ),
            ]
        );
        // A hospital is not a fever clinic; a valid number nobody holds is not a patient.
        let stranger = id("411702", "1960-01-01", 998);
        let (_, errors) = refusal(
            app.client
                .record_fever_visit(&FeverVisitCreate {
                    temperature: 33.9,
                    ..visit(3, &stranger, "2026-11-30 09:00")
                })
                .await
                .unwrap_err(),
        );
        assert_eq!(
            errors,
            vec![
                field(
                    "clinic_id",
                    "no fever clinic has this id in your jurisdiction"
                ),
                field("id_number", "no registered person holds this ID number"),
                field("temperature", "must be between 34 and 43 °C"),
            ]
        );
        assert!(app
            .client
            .fever_visits(None, None)
            .await
            .unwrap()
            .is_empty());

        let (_, v) = app
            .client
            .record_fever_visit(&visit(1, &ids[0], "2026-11-30 09:00"))
            .await
            .unwrap();
        let dispose = |d: &str, at: &str| FeverDispositionCreate {
            disposition: d.into(),
            at: Some(at.into()),
        };
        let (_, errors) = refusal(
            app.client
                .record_fever_disposition(v.id, &dispose("admitted", "2026-11-30 08:59"))
                .await
                .unwrap_err(),
        );
        assert_eq!(errors, vec![field("disposition_at", "is before the visit")]);
        let (_, errors) = refusal(
            app.client
                .record_fever_disposition(v.id, &dispose("sent_away", "2026-11-30 10:30"))
                .await
                .unwrap_err(),
        );
        assert_eq!(
            errors,
            vec![
                field(
                    "disposition",
                    "unknown disposition; expected one of discharged_home, home_monitoring, \
                     home_quarantine, admitted, transferred_designated_hospital"
                ),
                field("disposition_at", "is in the future"),
            ]
        );
        let (_, errors) = refusal(
            app.client
                .record_fever_result(
                    v.id,
                    &FeverResultCreate {
                        outcome: "weak".into(),
                        at: None,
                        lab: " ".into(),
                    },
                )
                .await
                .unwrap_err(),
        );
        assert_eq!(
            errors,
            vec![
                field(
                    "result",
                    "unknown result; expected negative, positive or inconclusive"
                ),
                field("lab", "is required with a result"),
            ]
        );
        let (status, _) = refusal(
            app.client
                .record_fever_disposition(v.id + 100, &dispose("admitted", "2026-11-30 09:30"))
                .await
                .unwrap_err(),
        );
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = refusal(
            app.client
                .fever_open_loops(None, Some("4117x"))
                .await
                .unwrap_err(),
        );
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        app
    })
    .await;
}

#[tokio::test]
async fn a_fever_visit_list_imports_whole_or_not_at_all_and_again_as_a_no_op() {
    each_backend(|app| async move {
        let ids = fixture(&app).await;
        let stranger = id("411702", "1960-01-01", 998);
        let header = "clinic_id,id_number,visit_at,temperature,symptoms,epi_history,tube_code,result,result_at,lab\n";
        // Bad values of the file itself, each named with its line.
        let file = format!(
            "{header}1,{a},2026-11-30 08:00,38.2,咳嗽;fatigue,是,,,,\n\
             1,{a},2026-11-30 08:00,45,sneezing,,,,,\n\
             1,{a},2026-11-30 08:00,37.0,,,,,,\n",
            a = ids[0]
        );
        let (status, errors) = refusal(
            app.client
                .import_fever_visits("visits.csv", file.into_bytes())
                .await
                .unwrap_err(),
        );
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            errors[2].2,
            "the same person's visit to this clinic at this time is on line 2"
        );
        let shown: Vec<(Option<u64>, &str)> =
            errors.iter().map(|e| (e.0, e.1.as_str())).collect();
        assert_eq!(
            shown,
            vec![(Some(3), "temperature"), (Some(3), "symptoms"), (Some(4), "visit_at")]
        );
        // What the store decides: an unknown clinic, an unregistered person, a future time.
        let file = format!(
            "{header}1,{a},2026-11-30 08:00,38.2,咳嗽;fatigue,是,,,,\n\
             3,{b},2026-11-30 08:00,37.5,,,,,,\n\
             1,{s},2026-11-30 08:00,37.5,,,,,,\n\
             2,{c},2026-11-30 11:00,37.5,,,,,,\n",
            a = ids[0],
            b = ids[1],
            c = ids[2],
            s = stranger
        );
        let (status, errors) = refusal(
            app.client
                .import_fever_visits("visits.csv", file.into_bytes())
                .await
                .unwrap_err(),
        );
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            errors,
            vec![
                (
                    Some(3),
                    "clinic_id".to_string(),
                    "no fever clinic has this id in your jurisdiction".to_string()
                ),
                (
                    Some(4),
                    "id_number".to_string(),
                    "no registered person holds this ID number".to_string()
                ),
                (Some(5), "visit_at".to_string(), "is in the future".to_string()),
            ]
        );
        assert!(app.client.fever_visits(None, None).await.unwrap().is_empty(), "all or none");

        let file = format!(
            "{header}1,{a},2026-11-30 08:00,38.2,咳嗽;fatigue,是,F-9,,,\n\
             1,{b},2026-11-30 08:30,37.5,,,,阴性,2026-11-30 09:30,L1\n\
             2,{c},2026-11-30 09:00,39.1,loss_of_taste_smell,no,,,,\n",
            a = ids[0],
            b = ids[1],
            c = ids[2]
        );
        let s = app
            .client
            .import_fever_visits("visits.csv", file.clone().into_bytes())
            .await
            .unwrap();
        assert_eq!((s.rows, s.created, s.unchanged), (3, 3, 0));
        let s = app
            .client
            .import_fever_visits("visits.csv", file.into_bytes())
            .await
            .unwrap();
        assert_eq!((s.rows, s.created, s.unchanged), (3, 0, 3));
        let visits = app.client.fever_visits(None, None).await.unwrap();
        assert_eq!(visits.len(), 3);
        let first = visits.iter().find(|v| v.person_name == "张发热").unwrap();
        assert_eq!(
            (first.tube_code.as_deref(), first.epi_history, first.symptoms.len()),
            (Some("F-9"), true, 2)
        );
        let second = visits.iter().find(|v| v.person_name == "李咳嗽").unwrap();
        assert_eq!(second.result.as_ref().map(|r| r.outcome.as_str()), Some("negative"));
        // A clinic user of one county cannot import for the other's clinic.
        let xiping = app
            .client_for("xiping", "fever-clinic-staff", Some("411721"))
            .await;
        let one = format!("{header}1,{a},2026-11-30 09:40,38.0,,,,,,\n", a = ids[0]);
        let (_, errors) = refusal(
            xiping
                .import_fever_visits("v.csv", one.into_bytes())
                .await
                .unwrap_err(),
        );
        assert_eq!(errors.iter().map(|e| e.1.as_str()).collect::<Vec<_>>(), ["clinic_id"]);
        app
    })
    .await;
}

#[tokio::test]
async fn the_fever_page_lists_open_loops_first_in_red() {
    each_backend(|app| async move {
        let ids = fixture(&app).await;
        app.client
            .record_fever_visit(&visit(1, &ids[0], "2026-11-30 09:00"))
            .await
            .unwrap();
        app.clock.advance(chrono::Duration::hours(12));
        app.app
            .create_user("clinic", "clinic-password", "fever-clinic-staff", None)
            .await
            .unwrap();
        let mut b = crate::web::Browser::new(&app);
        let (status, _, _) = b.login("clinic", "clinic-password", "/fever").await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, html, _) = b.get("/fever").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("发热门诊闭环管理"), "{html}");
        let loops = html.find("id=\"open-loops\"").unwrap();
        let visits = html.find("id=\"visits\"").unwrap();
        assert!(loops < visits, "open loops come first");
        assert!(html.contains("class=\"warn overdue\""));
        assert!(html.contains("结果逾期"));
        assert!(html.contains("张发热"));
        app
    })
    .await;
}
