//! Imported cold-chain goods on both backends: a batch's movements downstream and exposed
//! workers, the fan-out of a positive result into control tasks (exact, once), the trace,
//! validation messages, jurisdiction scope of tasks, and the all-or-none batch import.

use fangkong_api_types::{
    ColdchainBatchCreate, ColdchainDistributionCreate, ColdchainPlace, ColdchainResultCreate,
    ColdchainWorkerCreate, PersonCreate,
};
use fangkong_client::{Client, ClientError};
use fangkong_store::audit::AuditFilter;
use fangkong_store::facilities::Facility;
use fangkong_test_support::{each_backend, TestApp};
use reqwest::StatusCode;

use crate::id;

/// Unix milliseconds of a China Standard Time `YYYY-MM-DD HH:MM`.
fn ms(text: &str) -> i64 {
    fangkong_ingest::testing::parse_time(text)
        .unwrap()
        .timestamp_millis()
}

/// The status and the field errors of a refused call.
fn refusal(e: ClientError) -> (StatusCode, Vec<(String, String)>) {
    match e {
        ClientError::Api { status, problem } => (
            status,
            problem
                .map(|p| p.errors.into_iter().map(|e| (e.field, e.reason)).collect())
                .unwrap_or_default(),
        ),
        other => panic!("expected an API error, got {other:?}"),
    }
}

fn errors(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(f, r)| (f.to_string(), r.to_string()))
        .collect()
}

fn facility(id: i64, kind: &str, subtype: &str, name: &str, community: &str) -> Facility {
    Facility {
        id,
        kind: kind.into(),
        subtype: subtype.into(),
        name: name.into(),
        community_code: community.into(),
        place_code: None,
        capacity: 50,
        beds_general: 0,
        beds_icu: 0,
        beds_isolation: 0,
        lon: None,
        lat: None,
        synthetic: false,
    }
}

const COLD_STORE: &str = "驿城冷冻食品批发部";
const SUPERMARKET: &str = "好邻居超市";
const SUPERMARKET_CODE: &str = "P4117020010020001";
const RESTAURANT: &str = "西平火锅";
const STALL: &str = "顺河农贸市场12号摊位";

/// Two counties, a cold store (1) and a supermarket (2) in the first, a restaurant (3) in
/// the second, a hospital (4), a second cold store (5) in the second county.
async fn setup(app: &TestApp) {
    let csv = "code,name\n41,河南省\n4117,驻马店市\n411702,驿城区\n411721,西平县\n\
               411702001,顺河街道\n411702001001,一号社区\n411702001002,二号社区\n\
               411721001,柏城街道\n411721001001,西平一社区\n";
    app.client
        .import_jurisdictions("j.csv", csv.as_bytes().to_vec())
        .await
        .unwrap();
    let mut supermarket = facility(2, "venue", "supermarket", SUPERMARKET, "411702001002");
    supermarket.place_code = Some(SUPERMARKET_CODE.into());
    app.store
        .bulk()
        .insert(&fangkong_store::bulk::BulkRows {
            facilities: &[
                facility(
                    1,
                    "sentinel",
                    "cold_chain_store",
                    COLD_STORE,
                    "411702001001",
                ),
                supermarket,
                facility(3, "venue", "restaurant", RESTAURANT, "411721001001"),
                facility(
                    4,
                    "hospital",
                    "designated",
                    "驿城区定点医院",
                    "411702001001",
                ),
                facility(
                    5,
                    "sentinel",
                    "cold_chain_store",
                    "西平冷库",
                    "411721001001",
                ),
            ],
            ..Default::default()
        })
        .await
        .unwrap();
}

/// Registers a person and returns (full ID number, masked ID number).
async fn person(app: &TestApp, name: &str, community: &str, seq: u16) -> (String, String) {
    let full = id(&community[..6], "1985-04-12", seq);
    let (_, p) = app
        .client
        .create_person(&PersonCreate {
            id_number: Some(full.clone()),
            name: name.into(),
            community_code: community.into(),
            ..PersonCreate::default()
        })
        .await
        .unwrap();
    (full, p.id_number)
}

fn batch(code: &str, cold_store: &str) -> ColdchainBatchCreate {
    ColdchainBatchCreate {
        code: code.into(),
        product: "冷冻牛肉".into(),
        origin_country: "BRA".into(),
        port_of_entry: "天津港".into(),
        cold_store: cold_store.into(),
        quantity: 1000.0,
        unit: "kg".into(),
        arrived_at: "2026-11-25 08:00".into(),
        trace_code: "HN-ZMD-2026-000731".into(),
        disinfection_cert: Some("XD-2026-1125-07".into()),
    }
}

fn to_facility(code: &str, quantity: f64, at: &str) -> ColdchainDistributionCreate {
    ColdchainDistributionCreate {
        place: ColdchainPlace {
            facility: Some(code.into()),
            ..ColdchainPlace::default()
        },
        quantity,
        moved_at: at.into(),
    }
}

fn worker(id_number: &str, at_facility: Option<&str>, at: &str) -> ColdchainWorkerCreate {
    ColdchainWorkerCreate {
        id_number: id_number.into(),
        place: ColdchainPlace {
            facility: at_facility.map(Into::into),
            ..ColdchainPlace::default()
        },
        handled_at: at.into(),
    }
}

fn result(kind: &str, outcome: &str, at: &str) -> ColdchainResultCreate {
    ColdchainResultCreate {
        sample_kind: kind.into(),
        result: outcome.into(),
        tested_at: at.into(),
        lab: "驻马店市疾控中心".into(),
    }
}

/// (kind, facility code, label, masked ID, routed to, status) of the tasks, sorted.
type TaskRow = (
    String,
    Option<String>,
    String,
    Option<String>,
    String,
    String,
);

async fn task_rows(client: &Client, community: Option<&str>) -> Vec<TaskRow> {
    let mut rows: Vec<TaskRow> = client
        .coldchain_tasks(None, community)
        .await
        .unwrap()
        .into_iter()
        .map(|t| {
            (
                t.kind,
                t.facility,
                t.label,
                t.id_number,
                t.jurisdiction_code,
                t.status,
            )
        })
        .collect();
    rows.sort();
    rows
}

#[tokio::test]
async fn a_positive_batch_traces_every_location_and_worker_and_opens_each_task_once() {
    each_backend(|app| async move {
        setup(&app).await;
        let (a_id, a_masked) = person(&app, "欧阳明", "411702001001", 11).await;
        let (b_id, b_masked) = person(&app, "李四", "411721001001", 12).await;
        let (e_id, e_masked) = person(&app, "王小五", "411702001002", 13).await;

        let (status, created) = app
            .client
            .create_coldchain_batch(&batch("B-2026-001", "1"))
            .await
            .unwrap();
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(
            (
                created.origin_country.as_str(),
                created.cold_store.as_str(),
                created.cold_store_name.as_str(),
                created.jurisdiction_code.as_str(),
                created.status.as_str(),
                created.positive,
            ),
            ("BR", "1", COLD_STORE, "411702001001", "in_store", false)
        );
        // The same batch again is a no-op.
        let (status, _) = app
            .client
            .create_coldchain_batch(&batch("B-2026-001", "1"))
            .await
            .unwrap();
        assert_eq!(status, StatusCode::OK);

        let code = "B-2026-001";
        let moves = [
            to_facility(SUPERMARKET_CODE, 300.0, "2026-11-26 09:00"),
            to_facility("3", 200.0, "2026-11-27 10:00"),
            to_facility("3", 100.0, "2026-11-28 10:00"),
            ColdchainDistributionCreate {
                place: ColdchainPlace {
                    facility: None,
                    address: Some(STALL.into()),
                    jurisdiction_code: Some("411702001002".into()),
                },
                quantity: 150.0,
                moved_at: "2026-11-28 15:00".into(),
            },
        ];
        for m in &moves {
            let (status, done) = app
                .client
                .record_coldchain_distribution(code, m)
                .await
                .unwrap();
            assert_eq!((status, done.tasks_created), (StatusCode::CREATED, 0));
            assert_eq!(done.batch.status, "distributed");
        }
        for w in [
            worker(&a_id, None, "2026-11-25 09:00"),
            worker(&a_id, Some(SUPERMARKET_CODE), "2026-11-26 10:00"),
            worker(&b_id, Some("3"), "2026-11-27 11:00"),
        ] {
            let (status, _) = app.client.record_coldchain_worker(code, &w).await.unwrap();
            assert_eq!(status, StatusCode::CREATED);
        }
        // A negative result opens nothing.
        let (status, done) = app
            .client
            .record_coldchain_result(code, &result("goods", "negative", "2026-11-26 08:00"))
            .await
            .unwrap();
        assert_eq!(
            (status, done.tasks_created, done.batch.status.as_str()),
            (StatusCode::CREATED, 0, "distributed")
        );
        assert!(app
            .client
            .coldchain_tasks(None, None)
            .await
            .unwrap()
            .is_empty());

        // A positive packaging sample seals the batch and opens a task per location (the
        // cold store, the supermarket, the restaurant reached twice, the stall) and per
        // worker (two, one of them exposed twice); the workers come under the control
        // measure the policy prescribes for the cold-chain pocket.
        app.client
            .load_policy(
                "inbound-default.toml",
                fangkong_app::inbound::DEFAULT_POLICY,
            )
            .await
            .unwrap();
        let (status, done) = app
            .client
            .record_coldchain_result(code, &result("packaging", "positive", "2026-11-29 14:00"))
            .await
            .unwrap();
        assert_eq!(
            (
                status,
                done.tasks_created,
                done.batch.status.as_str(),
                done.batch.positive,
                done.batch.sealed_at
            ),
            (
                StatusCode::CREATED,
                6,
                "sealed",
                true,
                Some(fangkong_test_support::test_start().timestamp_millis())
            )
        );
        let mut measured: Vec<(String, String, String)> = app
            .client
            .measures(true)
            .await
            .unwrap()
            .into_iter()
            .map(|m| (m.person_name, m.pocket, m.rule_id))
            .collect();
        measured.sort();
        let exposure = |name: &str| {
            (
                name.to_string(),
                "cold_chain".to_string(),
                "cold-chain-exposure".to_string(),
            )
        };
        assert_eq!(measured, vec![exposure("李*"), exposure("欧**")]);
        let s = |v: &str| v.to_string();
        let expected_tasks = |extra: Vec<TaskRow>| {
            let mut rows: Vec<TaskRow> = vec![
                (
                    s("quarantine_worker"),
                    None,
                    s("李*"),
                    Some(b_masked.clone()),
                    s("411721001001"),
                    s("open"),
                ),
                (
                    s("quarantine_worker"),
                    None,
                    s("欧**"),
                    Some(a_masked.clone()),
                    s("411702001001"),
                    s("open"),
                ),
                (
                    s("seal_and_disinfect"),
                    None,
                    s(STALL),
                    None,
                    s("411702001002"),
                    s("open"),
                ),
                (
                    s("seal_and_disinfect"),
                    Some(s("1")),
                    s(COLD_STORE),
                    None,
                    s("411702001001"),
                    s("open"),
                ),
                (
                    s("seal_and_disinfect"),
                    Some(s("3")),
                    s(RESTAURANT),
                    None,
                    s("411721001001"),
                    s("open"),
                ),
                (
                    s("seal_and_disinfect"),
                    Some(s(SUPERMARKET_CODE)),
                    s(SUPERMARKET),
                    None,
                    s("411702001002"),
                    s("open"),
                ),
            ];
            rows.extend(extra);
            rows.sort();
            rows
        };
        assert_eq!(task_rows(&app.client, None).await, expected_tasks(vec![]));

        // Re-recording the positive, a movement or a worker changes nothing.
        let (status, again) = app
            .client
            .record_coldchain_result(code, &result("packaging", "positive", "2026-11-29 14:00"))
            .await
            .unwrap();
        assert_eq!(
            (status, again.created, again.tasks_created),
            (StatusCode::OK, false, 0)
        );
        let (status, again) = app
            .client
            .record_coldchain_distribution(code, &moves[1])
            .await
            .unwrap();
        assert_eq!((status, again.tasks_created), (StatusCode::OK, 0));
        let (status, _) = app
            .client
            .record_coldchain_worker(code, &worker(&b_id, Some("3"), "2026-11-27 11:00"))
            .await
            .unwrap();
        assert_eq!(status, StatusCode::OK);
        // A second positive (the environment) opens nothing new either.
        let (status, second) = app
            .client
            .record_coldchain_result(code, &result("environment", "positive", "2026-11-29 15:00"))
            .await
            .unwrap();
        assert_eq!((status, second.tasks_created), (StatusCode::CREATED, 0));
        assert_eq!(task_rows(&app.client, None).await, expected_tasks(vec![]));

        // A worker found later is tasked at once.
        let (_, late) = app
            .client
            .record_coldchain_worker(code, &worker(&e_id, Some("3"), "2026-11-28 10:30"))
            .await
            .unwrap();
        assert_eq!(late.tasks_created, 1);
        let late_task = (
            s("quarantine_worker"),
            None,
            s("王**"),
            Some(e_masked.clone()),
            s("411702001002"),
            s("open"),
        );
        assert_eq!(
            task_rows(&app.client, None).await,
            expected_tasks(vec![late_task.clone()])
        );

        // The trace: every location with quantities and times, every worker masked.
        let trace = app.client.coldchain_trace(code).await.unwrap();
        let locations: Vec<_> = trace
            .locations
            .iter()
            .map(|l| {
                (
                    l.kind.as_str(),
                    l.facility.as_deref(),
                    l.name.as_str(),
                    l.jurisdiction_code.as_str(),
                    l.quantity,
                    l.at,
                )
            })
            .collect();
        assert_eq!(
            locations,
            vec![
                (
                    "cold_store",
                    Some("1"),
                    COLD_STORE,
                    "411702001001",
                    1000.0,
                    ms("2026-11-25 08:00")
                ),
                (
                    "downstream",
                    Some(SUPERMARKET_CODE),
                    SUPERMARKET,
                    "411702001002",
                    300.0,
                    ms("2026-11-26 09:00")
                ),
                (
                    "downstream",
                    Some("3"),
                    RESTAURANT,
                    "411721001001",
                    200.0,
                    ms("2026-11-27 10:00")
                ),
                (
                    "downstream",
                    Some("3"),
                    RESTAURANT,
                    "411721001001",
                    100.0,
                    ms("2026-11-28 10:00")
                ),
                (
                    "downstream",
                    None,
                    STALL,
                    "411702001002",
                    150.0,
                    ms("2026-11-28 15:00")
                ),
            ]
        );
        let workers: Vec<_> = trace
            .workers
            .iter()
            .map(|w| {
                (
                    w.name.as_str(),
                    w.id_number.as_str(),
                    w.community_code.as_str(),
                    w.location.as_str(),
                    w.handled_at,
                )
            })
            .collect();
        assert_eq!(
            workers,
            vec![
                (
                    "欧**",
                    a_masked.as_str(),
                    "411702001001",
                    COLD_STORE,
                    ms("2026-11-25 09:00")
                ),
                (
                    "欧**",
                    a_masked.as_str(),
                    "411702001001",
                    SUPERMARKET,
                    ms("2026-11-26 10:00")
                ),
                (
                    "李*",
                    b_masked.as_str(),
                    "411721001001",
                    RESTAURANT,
                    ms("2026-11-27 11:00")
                ),
                (
                    "王**",
                    e_masked.as_str(),
                    "411702001002",
                    RESTAURANT,
                    ms("2026-11-28 10:30")
                ),
            ]
        );
        let results: Vec<_> = trace
            .results
            .iter()
            .map(|r| (r.sample_kind.as_str(), r.result.as_str()))
            .collect();
        assert_eq!(
            results,
            vec![
                ("goods", "negative"),
                ("packaging", "positive"),
                ("environment", "positive")
            ]
        );
        assert_eq!(trace.tasks.len(), 7);
        let first_positive = trace.results[1].id;
        assert!(trace
            .tasks
            .iter()
            .all(|t| t.result_id == first_positive && t.batch == code));
        // No full ID number leaves the server.
        let (_, raw) = app
            .client
            .get_json(&format!("/api/v1/coldchain/batches/{code}/trace"))
            .await
            .unwrap();
        for full in [&a_id, &b_id, &e_id] {
            assert!(!raw.to_string().contains(full.as_str()));
        }

        // The positive batch is listed as sealed.
        let sealed = app.client.coldchain_batches(Some("sealed")).await.unwrap();
        assert_eq!(sealed.len(), 1);

        // Every write was audited once.
        let audited = app
            .store
            .audit()
            .search(&AuditFilter {
                limit: 100,
                ..AuditFilter::default()
            })
            .await
            .unwrap();
        let count = |action: &str| audited.iter().filter(|e| e.action == action).count();
        assert_eq!(
            (
                count("coldchain.batch_create"),
                count("coldchain.distribution_record"),
                count("coldchain.exposure_record"),
                count("coldchain.result_record"),
            ),
            (1, 4, 4, 3)
        );
        app
    })
    .await;
}

#[tokio::test]
async fn bad_input_is_refused_with_exact_messages() {
    each_backend(|app| async move {
        setup(&app).await;
        let (a_id, _) = person(&app, "欧阳明", "411702001001", 11).await;
        let refused = |b: ColdchainBatchCreate| {
            let client = app.client.clone();
            async move { refusal(client.create_coldchain_batch(&b).await.unwrap_err()) }
        };
        let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
        assert_eq!(
            refused(batch("B-1", "999")).await,
            (unprocessable, errors(&[("cold_store", "unknown facility")]))
        );
        assert_eq!(
            refused(batch("B-1", "4")).await,
            (unprocessable, errors(&[("cold_store", "is not a cold-chain store")]))
        );
        assert_eq!(
            refused(ColdchainBatchCreate {
                origin_country: "XX".into(),
                quantity: -5.0,
                ..batch("B-1", "1")
            })
            .await,
            (
                unprocessable,
                errors(&[
                    (
                        "origin_country",
                        "unknown country code; expected ISO 3166 alpha-2 or alpha-3, such as BR or BRA"
                    ),
                    ("quantity", "must be greater than 0"),
                ])
            )
        );
        assert_eq!(
            refused(ColdchainBatchCreate {
                arrived_at: "2026-12-01 08:00".into(),
                ..batch("B-1", "1")
            })
            .await,
            (unprocessable, errors(&[("arrived_at", "is in the future")]))
        );
        assert_eq!(
            refused(ColdchainBatchCreate {
                arrived_at: "2026-02-30 08:00".into(),
                ..batch("B-1", "1")
            })
            .await,
            (unprocessable, errors(&[("arrived_at", "is not a real date and time")]))
        );
        app.client
            .create_coldchain_batch(&batch("B-1", "1"))
            .await
            .unwrap();
        // The same code with other values is a conflict.
        let (status, _) = refused(ColdchainBatchCreate {
            quantity: 999.0,
            ..batch("B-1", "1")
        })
        .await;
        assert_eq!(status, StatusCode::CONFLICT);

        // Results: impossible dates and unknown values.
        let bad_result = |r: ColdchainResultCreate| {
            let client = app.client.clone();
            async move { refusal(client.record_coldchain_result("B-1", &r).await.unwrap_err()) }
        };
        assert_eq!(
            bad_result(result("goods", "positive", "2026-11-24 08:00")).await,
            (unprocessable, errors(&[("tested_at", "is before the batch arrived")]))
        );
        assert_eq!(
            bad_result(result("goods", "positive", "2026-11-30 10:01")).await,
            (unprocessable, errors(&[("tested_at", "is in the future")]))
        );
        assert_eq!(
            bad_result(result("pallet", "unclear", "2026-11-26 08:00")).await,
            (
                unprocessable,
                errors(&[
                    ("sample_kind", "unknown value; expected one of goods, packaging, environment"),
                    ("result", "unknown value; expected one of negative, positive"),
                ])
            )
        );
        // Unknown batch.
        let (status, _) = refusal(
            app.client
                .record_coldchain_result("NO-SUCH", &result("goods", "negative", "2026-11-26 08:00"))
                .await
                .unwrap_err(),
        );
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(
            app.client.coldchain_trace("NO-SUCH").await.unwrap_err().status(),
            Some(StatusCode::NOT_FOUND)
        );

        // Distributions.
        let bad_move = |d: ColdchainDistributionCreate| {
            let client = app.client.clone();
            async move {
                refusal(
                    client
                        .record_coldchain_distribution("B-1", &d)
                        .await
                        .unwrap_err(),
                )
            }
        };
        assert_eq!(
            bad_move(to_facility("77", 10.0, "2026-11-26 08:00")).await,
            (unprocessable, errors(&[("facility", "unknown facility")]))
        );
        assert_eq!(
            bad_move(to_facility("3", -1.0, "2026-11-24 23:59")).await,
            (
                unprocessable,
                errors(&[
                    ("quantity", "must be greater than 0"),
                    ("moved_at", "is before the batch arrived"),
                ])
            )
        );
        assert_eq!(
            bad_move(to_facility("3", 1000.5, "2026-11-26 08:00")).await,
            (unprocessable, errors(&[("quantity", "exceeds what is left in store (1000 kg)")]))
        );
        assert_eq!(
            bad_move(ColdchainDistributionCreate {
                place: ColdchainPlace {
                    facility: None,
                    address: Some(STALL.into()),
                    jurisdiction_code: Some("419999001001".into()),
                },
                quantity: 5.0,
                moved_at: "2026-11-26 08:00".into(),
            })
            .await,
            (unprocessable, errors(&[("jurisdiction_code", "unknown jurisdiction")]))
        );

        // Workers: not in the registry, a location the batch did not reach.
        let unknown = id("411702", "1970-01-01", 998);
        let bad_worker = |w: ColdchainWorkerCreate| {
            let client = app.client.clone();
            async move { refusal(client.record_coldchain_worker("B-1", &w).await.unwrap_err()) }
        };
        assert_eq!(
            bad_worker(worker(&unknown, None, "2026-11-26 08:00")).await,
            (
                unprocessable,
                errors(&[("id_number", "no person with this ID number is in the registry")])
            )
        );
        assert_eq!(
            bad_worker(worker(&a_id, Some("3"), "2026-12-26 08:00")).await,
            (
                unprocessable,
                errors(&[
                    ("facility", "the batch did not reach this location"),
                    ("handled_at", "is in the future"),
                ])
            )
        );

        // After sealing, nothing moves later than the seal.
        app.client
            .record_coldchain_result("B-1", &result("goods", "positive", "2026-11-29 08:00"))
            .await
            .unwrap();
        app.clock.advance(chrono::Duration::hours(2));
        assert_eq!(
            bad_move(to_facility("3", 10.0, "2026-11-30 11:00")).await,
            (unprocessable, errors(&[("moved_at", "is after the batch was sealed")]))
        );
        app
    })
    .await;
}

#[tokio::test]
async fn tasks_are_listed_and_closed_only_in_their_jurisdiction() {
    each_backend(|app| async move {
        setup(&app).await;
        let (b_id, _) = person(&app, "李四", "411721001001", 12).await;
        let code = "B-9";
        app.client
            .create_coldchain_batch(&batch(code, "1"))
            .await
            .unwrap();
        app.client
            .record_coldchain_distribution(code, &to_facility("3", 200.0, "2026-11-27 10:00"))
            .await
            .unwrap();
        app.client
            .record_coldchain_worker(code, &worker(&b_id, Some("3"), "2026-11-27 11:00"))
            .await
            .unwrap();
        app.client
            .record_coldchain_result(code, &result("goods", "positive", "2026-11-29 08:00"))
            .await
            .unwrap();
        assert_eq!(
            app.client.coldchain_tasks(None, None).await.unwrap().len(),
            3
        );

        // A reader of the second county sees only the tasks routed there, and not the batch.
        let xiping = app
            .client_for("xiping", "county-operator", Some("411721"))
            .await;
        let theirs: Vec<(String, String)> = xiping
            .coldchain_tasks(None, None)
            .await
            .unwrap()
            .into_iter()
            .map(|t| (t.kind, t.jurisdiction_code))
            .collect();
        assert_eq!(
            theirs,
            vec![
                ("seal_and_disinfect".to_string(), "411721001001".to_string()),
                ("quarantine_worker".to_string(), "411721001001".to_string()),
            ]
        );
        assert_eq!(
            xiping.coldchain_batch(code).await.unwrap_err().status(),
            Some(StatusCode::NOT_FOUND)
        );
        assert!(xiping.coldchain_batches(None).await.unwrap().is_empty());
        // The first county's reader sees the cold store's task only.
        let yicheng = app
            .client_for("yicheng", "county-operator", Some("411702"))
            .await;
        let ours = task_rows(&yicheng, None).await;
        assert_eq!(ours.len(), 1);
        assert_eq!(ours[0].2, COLD_STORE);
        // The community filter narrows within the scope.
        assert_eq!(
            app.client
                .coldchain_tasks(Some("open"), Some("411721001001"))
                .await
                .unwrap()
                .len(),
            2
        );

        // Closing: a reader may not; a manager of the second county may close its own tasks
        // only.
        let all = app.client.coldchain_tasks(None, None).await.unwrap();
        let cold_store_task = all.iter().find(|t| t.label == COLD_STORE).unwrap().id;
        let restaurant_task = all.iter().find(|t| t.label == RESTAURANT).unwrap().id;
        assert_eq!(
            xiping
                .close_coldchain_task(restaurant_task, "已消杀")
                .await
                .unwrap_err()
                .status(),
            Some(StatusCode::FORBIDDEN)
        );
        let manager = app
            .client_for("xiping-admin", "admin", Some("411721"))
            .await;
        assert_eq!(
            manager
                .close_coldchain_task(cold_store_task, "已消杀")
                .await
                .unwrap_err()
                .status(),
            Some(StatusCode::NOT_FOUND)
        );
        let (status, empty) = refusal(
            manager
                .close_coldchain_task(restaurant_task, "  ")
                .await
                .unwrap_err(),
        );
        assert_eq!(
            (status, empty),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                errors(&[("note", "is required")])
            )
        );
        let closed = manager
            .close_coldchain_task(restaurant_task, "已封存消杀，环境采样阴性")
            .await
            .unwrap();
        assert_eq!(
            (
                closed.status.as_str(),
                closed.note.as_deref(),
                closed.closed_by.as_deref()
            ),
            (
                "done",
                Some("已封存消杀，环境采样阴性"),
                Some("xiping-admin")
            )
        );
        assert_eq!(
            manager
                .close_coldchain_task(restaurant_task, "again")
                .await
                .unwrap_err()
                .status(),
            Some(StatusCode::CONFLICT)
        );
        let open: Vec<String> = xiping
            .coldchain_tasks(Some("open"), None)
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.kind)
            .collect();
        assert_eq!(open, vec!["quarantine_worker".to_string()]);
        app
    })
    .await;
}

#[tokio::test]
async fn a_batch_list_imports_all_rows_or_none_and_once() {
    each_backend(|app| async move {
        setup(&app).await;
        let header = "code,product,origin_country,port_of_entry,cold_store,quantity,unit,arrived_at,trace_code,disinfection_cert\n";
        let bad = format!(
            "{header}\
             IM-1,冷冻虾,ECU,上海港,1,500,kg,2026-11-20 08:00,T-1,XD-1\n\
             IM-2,冷冻鳕鱼,XYZ,青岛港,1,-3,kg,2026-11-21 08:00,T-2,\n\
             IM-3,冷冻猪肉,ES,天津港,4,800,kg,2026-11-22 08:00,T-3,\n\
             IM-4,冷冻鸡翅,US,天津港,5,100,箱,2026-12-22 08:00,T-4,\n"
        );
        let e = app
            .client
            .import_coldchain_batches("batches.csv", bad.into_bytes())
            .await
            .unwrap_err();
        assert_eq!(e.status(), Some(StatusCode::UNPROCESSABLE_ENTITY));
        let lines: Vec<String> = e
            .problem()
            .unwrap()
            .errors
            .iter()
            .map(|e| format!("{}: {}: {}", e.line.unwrap_or(0), e.field, e.reason))
            .collect();
        assert_eq!(
            lines,
            vec![
                "3: origin_country: unknown country code; expected ISO 3166 alpha-2 or alpha-3, such as BR or BRA",
                "3: quantity: must be greater than 0",
            ]
        );
        // Store checks come once the rows are well formed; still nothing is written.
        let unknown_store = format!(
            "{header}\
             IM-1,冷冻虾,ECU,上海港,1,500,kg,2026-11-20 08:00,T-1,XD-1\n\
             IM-3,冷冻猪肉,ES,天津港,4,800,kg,2026-11-22 08:00,T-3,\n\
             IM-4,冷冻鸡翅,US,天津港,5,100,箱,2026-12-22 08:00,T-4,\n"
        );
        let e = app
            .client
            .import_coldchain_batches("batches.csv", unknown_store.into_bytes())
            .await
            .unwrap_err();
        let lines: Vec<String> = e
            .problem()
            .unwrap()
            .errors
            .iter()
            .map(|e| format!("{}: {}: {}", e.line.unwrap_or(0), e.field, e.reason))
            .collect();
        assert_eq!(
            lines,
            vec![
                "3: cold_store: is not a cold-chain store",
                "4: arrived_at: is in the future",
            ]
        );
        assert!(app.client.coldchain_batches(None).await.unwrap().is_empty());

        let good = format!(
            "{header}\
             IM-1,冷冻虾,ECU,上海港,1,500,kg,2026-11-20 08:00,T-1,XD-1\n\
             IM-3,冷冻猪肉,ES,天津港,1,800,kg,2026-11-22 08:00,T-3,\n\
             IM-4,冷冻鸡翅,US,天津港,5,100,箱,2026-11-22 09:00,T-4,\n"
        );
        let done = app
            .client
            .import_coldchain_batches("batches.csv", good.clone().into_bytes())
            .await
            .unwrap();
        assert_eq!((done.rows, done.created, done.unchanged), (3, 3, 0));
        let again = app
            .client
            .import_coldchain_batches("batches.csv", good.clone().into_bytes())
            .await
            .unwrap();
        assert_eq!((again.rows, again.created, again.unchanged), (3, 0, 3));
        let codes: Vec<(String, String)> = app
            .client
            .coldchain_batches(None)
            .await
            .unwrap()
            .into_iter()
            .map(|b| (b.code, b.origin_country))
            .collect();
        assert_eq!(
            codes,
            vec![
                ("IM-4".to_string(), "US".to_string()),
                ("IM-3".to_string(), "ES".to_string()),
                ("IM-1".to_string(), "EC".to_string()),
            ]
        );
        // A changed row of a stored batch refuses the whole file, new rows included.
        let changed = format!(
            "{header}\
             IM-1,冷冻虾,ECU,上海港,1,520,kg,2026-11-20 08:00,T-1,XD-1\n\
             IM-5,冷冻牛排,AU,天津港,1,80,kg,2026-11-23 08:00,T-5,\n"
        );
        let e = app
            .client
            .import_coldchain_batches("batches.csv", changed.into_bytes())
            .await
            .unwrap_err();
        let p = e.problem().unwrap();
        assert_eq!(
            p.detail,
            "batches.csv has 1 bad value(s); nothing was imported"
        );
        assert_eq!(
            (p.errors[0].line, p.errors[0].field.as_str(), p.errors[0].reason.as_str()),
            (Some(2), "code", "is already stored with other values")
        );
        assert_eq!(app.client.coldchain_batches(None).await.unwrap().len(), 3);
        // The second county's cold store is not the first county's to import into.
        let manager = app.client_for("yicheng-admin", "admin", Some("411702")).await;
        let e = manager
            .import_coldchain_batches(
                "mine.csv",
                format!("{header}IM-6,冷冻虾,EC,上海港,5,5,kg,2026-11-20 08:00,T-6,\n").into_bytes(),
            )
            .await
            .unwrap_err();
        assert_eq!(
            e.problem().unwrap().errors[0].reason,
            "unknown facility"
        );
        app
    })
    .await;
}

#[tokio::test]
async fn the_pages_show_batches_the_trace_masked_and_close_tasks() {
    use crate::web::{csrf_of, Browser};
    each_backend(|app| async move {
        setup(&app).await;
        let (a_id, a_masked) = person(&app, "欧阳明", "411702001001", 11).await;
        app.client
            .create_coldchain_batch(&batch("B-WEB-1", "1"))
            .await
            .unwrap();
        app.client
            .create_coldchain_batch(&ColdchainBatchCreate {
                product: "冷冻带鱼".into(),
                ..batch("B-WEB-2", "1")
            })
            .await
            .unwrap();
        app.client
            .record_coldchain_distribution("B-WEB-1", &to_facility("3", 200.0, "2026-11-27 10:00"))
            .await
            .unwrap();
        app.client
            .record_coldchain_worker("B-WEB-1", &worker(&a_id, None, "2026-11-25 09:00"))
            .await
            .unwrap();
        app.client
            .record_coldchain_result("B-WEB-1", &result("goods", "positive", "2026-11-29 08:00"))
            .await
            .unwrap();

        let mut b = Browser::new(&app);
        b.login("admin", "admin-password", "/coldchain").await;
        let (status, html, _) = b.get("/coldchain").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("<h1>进口冷链食品</h1>"));
        // The positive batch is highlighted, the other is not.
        assert!(html.contains(r#"<tr class="positive" data-batch="B-WEB-1">"#));
        assert!(html.contains(r#"<tr class="" data-batch="B-WEB-2">"#));
        assert!(html.contains("已封存") && html.contains("在库"));
        assert!(html.contains("待办管控任务 (3)"));

        let (status, html, _) = b.get("/coldchain/batches/B-WEB-1").await;
        assert_eq!(status, StatusCode::OK);
        for text in [
            COLD_STORE,
            RESTAURANT,
            "封存消杀",
            "人员隔离管控",
            "欧**",
            a_masked.as_str(),
            "200 kg",
        ] {
            assert!(html.contains(text), "{text}");
        }
        assert!(!html.contains(a_id.as_str()));
        assert!(!html.contains("欧阳明"));

        // Closing a task from the page.
        let task = app
            .client
            .coldchain_tasks(Some("open"), None)
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.label == RESTAURANT)
            .unwrap();
        let csrf = csrf_of(&html);
        let r = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .post(format!(
                "{}/coldchain/tasks/{}/close",
                app.base_url, task.id
            ))
            .header("cookie", b.cookies.join("; "))
            .form(&[
                ("csrf", csrf.as_str()),
                ("note", "已封存消杀"),
                ("batch", "B-WEB-1"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, html, _) = b.get("/coldchain/batches/B-WEB-1").await;
        assert!(html.contains("已封存消杀"));
        assert!(html.contains("已完成"));

        // English on request.
        b.get("/lang/en?next=/coldchain").await;
        let (_, html, _) = b.get("/coldchain").await;
        assert!(html.contains("<h1>Imported cold-chain goods</h1>"));

        // No page without inbound.read.
        app.app
            .create_user("tester", "password", "testing-staff", None)
            .await
            .unwrap();
        let mut other = Browser::new(&app);
        other.login("tester", "password", "/").await;
        for path in ["/coldchain", "/coldchain/batches/B-WEB-1"] {
            let (status, html, _) = other.get(path).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
            assert!(!html.contains(COLD_STORE));
        }
        app
    })
    .await;
}
