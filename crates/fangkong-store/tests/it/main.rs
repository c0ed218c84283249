//! Store conformance: one story that walks every `Store` method, on SQLite always and on
//! PostgreSQL when `FANGKONG_TEST_DATABASE_URL` is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use fangkong_domain::{
    Document, DocumentKind, JurisdictionCode, NationalId, Permission, PhoneNumber, Scope, Sex,
};
use fangkong_store::jurisdictions::NewJurisdiction;
use fangkong_store::persons::{NewPerson, PersonPatch};
use fangkong_store::{ConnectOptions, MasterKey, Store, StoreError};
use sqlx::Connection as _;

/// A store per backend, with what to clean up afterwards: the SQLite directory, or the
/// PostgreSQL database `(server URL, name)`.
async fn stores() -> Vec<(Store, Option<tempfile::TempDir>, Option<(String, String)>)> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Store::open(
        &ConnectOptions::Sqlite {
            path: dir.path().join("fangkong.db"),
        },
        &MasterKey::generate(),
    )
    .await
    .unwrap();
    let mut out = vec![(sqlite, Some(dir), None)];
    if let Ok(base) = std::env::var("FANGKONG_TEST_DATABASE_URL") {
        let name = format!("fk_store_{}", std::process::id());
        drop_database(&base, &name).await;
        let mut conn = sqlx::PgConnection::connect(&base).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        let (prefix, _) = base.rsplit_once('/').unwrap();
        let url = format!("{prefix}/{name}");
        let pg = Store::open(
            &ConnectOptions::Postgres {
                url,
                max_connections: 4,
            },
            &MasterKey::generate(),
        )
        .await
        .unwrap();
        out.push((pg, None, Some((base, name))));
    }
    out
}

async fn drop_database(base: &str, name: &str) {
    let mut conn = sqlx::PgConnection::connect(base).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .unwrap();
}

fn code(s: &str) -> JurisdictionCode {
    JurisdictionCode::parse(s).unwrap()
}

fn jurisdiction(c: &str, name: &str) -> NewJurisdiction {
    NewJurisdiction {
        code: code(c),
        name: name.into(),
        population: None,
        male_female: None,
        centroid: None,
    }
}

fn person(id: &str, name: &str, community: &str) -> NewPerson {
    let nid = NationalId::parse(id).unwrap();
    NewPerson {
        sex: nid.sex(),
        birth_date: nid.birth_date(),
        document: Document::MainlandId(nid),
        name: name.into(),
        phone: Some(PhoneNumber::parse("13812345678").unwrap()),
        address: None,
        community_code: code(community),
        household_id: None,
        workplace_id: None,
        school_id: None,
        occupation: None,
        tags: vec![],
        synthetic: false,
    }
}

#[tokio::test]
async fn store_story_on_every_backend() {
    for (store, _dir, pg) in stores().await {
        story(&store).await;
        assert!(store.verify().await.unwrap().is_empty());
        store.close().await;
        if let Some((base, name)) = pg {
            drop_database(&base, &name).await;
        }
    }
}

async fn story(store: &Store) {
    let sys = Scope::system();
    // Jurisdictions: parents first, idempotent upsert.
    let rows = vec![
        jurisdiction("41", "河南省"),
        jurisdiction("4117", "驻马店市"),
        jurisdiction("411702", "驿城区"),
        jurisdiction("411721", "西平县"),
        jurisdiction("411702001", "顺河街道"),
        jurisdiction("411702001001", "一号社区"),
        jurisdiction("411721001001", "孤儿社区"),
    ];
    let err = store
        .jurisdictions()
        .upsert_batch(&rows, 1)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    assert_eq!(
        store
            .jurisdictions()
            .list(&sys, None, None, 100)
            .await
            .unwrap()
            .len(),
        0,
        "nothing half-applied"
    );
    let rows = &rows[..6];
    let s = store.jurisdictions().upsert_batch(rows, 1).await.unwrap();
    assert_eq!((s.created, s.updated, s.unchanged), (6, 0, 0));
    let s = store.jurisdictions().upsert_batch(rows, 2).await.unwrap();
    assert_eq!((s.created, s.updated, s.unchanged), (0, 0, 6));
    let counties = store
        .jurisdictions()
        .list(
            &sys,
            Some(fangkong_domain::Level::County),
            Some(&code("4117")),
            100,
        )
        .await
        .unwrap();
    assert_eq!(
        counties.iter().map(|j| j.code.as_str()).collect::<Vec<_>>(),
        ["411702", "411721"]
    );
    let children = store
        .jurisdictions()
        .list(&sys, None, Some(&code("4117")), 100)
        .await
        .unwrap();
    assert_eq!(children.len(), 2);
    let subtree = store
        .jurisdictions()
        .list(&sys, None, Some(&code("411702")), 100)
        .await
        .unwrap();
    assert_eq!(subtree.len(), 1, "direct children only without a level");
    let chain = store
        .jurisdictions()
        .ancestors(&code("411702001001"))
        .await
        .unwrap();
    assert_eq!(chain.len(), 5);

    // Persons: encrypted, found by blind index, scoped.
    let p = person("410102199003071230", "张三", "411702001001");
    let created = store.persons().create(&sys, &p, "test", 10).await.unwrap();
    assert_eq!(created.doc_masked, "410102********1230");
    assert_eq!(created.phone_masked.as_deref(), Some("138****5678"));
    assert_eq!(created.sex, "male");
    let dup = store
        .persons()
        .create(&sys, &p, "test", 10)
        .await
        .unwrap_err();
    assert!(matches!(dup, StoreError::Conflict { .. }));
    let found = store
        .persons()
        .find_by_document(&sys, &p.document)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, created.id);
    assert_eq!(
        store
            .persons()
            .reveal_document(&sys, created.id)
            .await
            .unwrap(),
        "410102199003071230"
    );
    let county = Scope {
        root: Some(code("411721")),
        permissions: Permission::ALL.into_iter().collect(),
    };
    assert!(matches!(
        store.persons().find(&county, created.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(store
        .persons()
        .find_by_document(&county, &p.document)
        .await
        .unwrap()
        .is_none());
    let no_reveal = Scope {
        root: None,
        permissions: [Permission::PersonsRead].into_iter().collect(),
    };
    assert!(matches!(
        store
            .persons()
            .reveal_document(&no_reveal, created.id)
            .await,
        Err(StoreError::Forbidden)
    ));
    let hits = store
        .persons()
        .search(&sys, "张", None, 10, 0)
        .await
        .unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(
        store
            .persons()
            .search(&sys, "李", None, 10, 0)
            .await
            .unwrap()
            .len(),
        0
    );
    let by_phone = store
        .persons()
        .find_by_phone(&sys, &PhoneNumber::parse("138 1234 5678").unwrap(), 10)
        .await
        .unwrap();
    assert_eq!(by_phone.len(), 1);

    // Update records changed field names only.
    let patch = PersonPatch {
        address: Some(Some("顺河街道1号".into())),
        ..Default::default()
    };
    let updated = store
        .persons()
        .update(&sys, created.id, &patch, "test", 20)
        .await
        .unwrap();
    assert_eq!(updated.address.as_deref(), Some("顺河街道1号"));
    let again = store
        .persons()
        .update(&sys, created.id, &patch, "test", 30)
        .await
        .unwrap();
    assert_eq!(again.updated_at, 20, "no-op update writes nothing");

    // Passport holder, duplicates and merge.
    let mut foreigner = person("410102199003071230", "张三", "411702001001");
    foreigner.document = Document::parse(DocumentKind::Passport, "E12345678", Some("USA")).unwrap();
    foreigner.sex = Sex::Male;
    foreigner.birth_date = NaiveDate::from_ymd_opt(1990, 3, 7).unwrap();
    let second = store
        .persons()
        .create(&sys, &foreigner, "test", 40)
        .await
        .unwrap();
    let cands = store
        .persons()
        .duplicate_candidates(&sys, 10)
        .await
        .unwrap();
    assert_eq!(cands.len(), 2, "same name and birth date, and same phone");
    let merged = store
        .persons()
        .merge(&sys, created.id, second.id, "test", 50)
        .await
        .unwrap();
    assert_eq!(merged.id, created.id);
    assert!(store
        .persons()
        .duplicate_candidates(&sys, 10)
        .await
        .unwrap()
        .is_empty());
    let history = store.persons().history(&sys, created.id).await.unwrap();
    let kinds: Vec<_> = history
        .iter()
        .map(|e| (e.person_id == created.id, e.kind.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            (true, "created"),
            (true, "updated"),
            (false, "created"),
            (true, "merged"),
            (false, "merged")
        ]
    );
    assert_eq!(store.persons().count(&sys).await.unwrap(), 1);

    // Batch upsert: a second run is a no-op.
    let batch = vec![person("11010519491231002X", "李四", "411702001001")];
    let s = store
        .persons()
        .upsert_batch(&sys, &batch, "import", 60)
        .await
        .unwrap();
    assert_eq!((s.created, s.updated, s.unchanged), (1, 0, 0));
    let s = store
        .persons()
        .upsert_batch(&sys, &batch, "import", 61)
        .await
        .unwrap();
    assert_eq!((s.created, s.updated, s.unchanged), (0, 0, 1));
    let by_child = store
        .persons()
        .count_by_child(&sys, &code("4117"))
        .await
        .unwrap();
    assert_eq!(by_child, vec![("411702".to_string(), 2)]);

    // Meta and users.
    store.meta().set("k", "v").await.unwrap();
    store.meta().set("k", "w").await.unwrap();
    assert_eq!(store.meta().get("k").await.unwrap().as_deref(), Some("w"));
    let user = store
        .users()
        .create(
            &fangkong_store::users::NewUser {
                username: "u".into(),
                display_name: "U".into(),
                password_hash: "h".into(),
                role: "admin".into(),
                jurisdiction_code: Some("4117".into()),
                org_unit: Some("dept-testing".into()),
            },
            1,
        )
        .await
        .unwrap();
    let token = store
        .users()
        .create_token(
            b"hash",
            user.id,
            "t",
            1,
            &fangkong_store::users::TokenLimits {
                expires_at: Some(100),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(store
        .users()
        .find_token(b"hash", 50)
        .await
        .unwrap()
        .is_some());
    assert!(store
        .users()
        .find_token(b"hash", 150)
        .await
        .unwrap()
        .is_none());
    store.users().revoke_token(token.id, 60).await.unwrap();
    assert!(store
        .users()
        .find_token(b"hash", 50)
        .await
        .unwrap()
        .is_none());
    assert_eq!(store.users().org_units().await.unwrap().len(), 9);
    let failed = store
        .users()
        .record_login_failure(user.id, 2, 999)
        .await
        .unwrap();
    assert!(!failed);
    assert!(store
        .users()
        .record_login_failure(user.id, 2, 999)
        .await
        .unwrap());
    assert_eq!(
        store.users().get(user.id).await.unwrap().locked_until,
        Some(999)
    );

    // Audit chain: append, search, verify.
    for i in 0..3 {
        store
            .audit()
            .append(&fangkong_store::audit::NewAuditEntry {
                at: i,
                actor: "system:test".into(),
                action: "test".into(),
                object_type: "thing".into(),
                object_id: Some(i.to_string()),
                purpose: None,
                operation_id: "op".into(),
                detail: "{}".into(),
            })
            .await
            .unwrap();
    }
    let v = store.audit().verify().await.unwrap();
    assert_eq!((v.entries, v.first_broken), (3, None));
    let found = store
        .audit()
        .search(&fangkong_store::audit::AuditFilter {
            object_id: Some("1".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    store.sync_id_sequences().await.unwrap();
    testing_story(store).await;
    drills_story(store).await;
    store.ping().await.unwrap();
}

async fn testing_story(store: &Store) {
    use fangkong_store::testing::{ResultRow, SampleRefusal, SampleRow};
    let sys = Scope::system();
    let round = store
        .testing()
        .create_round(
            &fangkong_store::testing::NewRound {
                code: "R1",
                name: "全员核酸第一轮",
                jurisdiction_code: "4117",
                starts_on: "2026-11-30",
                ends_on: "2026-12-01",
                key_group_id: None,
            },
            1,
        )
        .await
        .unwrap();
    assert_eq!(store.testing().rounds().await.unwrap(), vec![round]);
    // Three registered people (one from earlier in the story) and one stranger.
    let ids = ["410102199003071230", "11010519491231002X"];
    let mut blinds: Vec<Vec<u8>> = ids
        .iter()
        .map(|i| {
            store
                .persons()
                .document_index(&Document::MainlandId(NationalId::parse(i).unwrap()))
        })
        .collect();
    let third = person("411702198001010011", "赵六", "411702001001");
    let newest = store
        .persons()
        .create(&sys, &third, "test", 70)
        .await
        .unwrap();
    blinds.push(store.persons().document_index(&third.document));
    let stranger = store.persons().document_index(&Document::MainlandId(
        NationalId::parse("411702197001010017").unwrap(),
    ));
    let row = |tube: &str, size: i64, blind: &Vec<u8>| SampleRow {
        tube_code: tube.into(),
        site_code: "S1".into(),
        pool_size: size,
        round_code: Some("R1".into()),
        collected_at_ms: 100,
        doc_blind: blind.clone(),
    };
    let rows = vec![
        row("P-1", 3, &blinds[0]),
        row("P-1", 3, &blinds[1]),
        row("P-1", 3, &blinds[2]),
        row("P-1", 3, &stranger),
        row("S-1", 1, &blinds[0]),
        row("S-1", 3, &blinds[1]),
        SampleRow {
            round_code: Some("R9".into()),
            ..row("S-2", 1, &blinds[1])
        },
    ];
    // A snapshot of the document index resolves the rows as the probes do.
    let snapshot = store.testing().person_snapshot().await.unwrap().unwrap();
    assert_eq!(snapshot.len(), 4);
    assert_eq!(
        store
            .testing()
            .resolve_persons(&rows, Some(&snapshot))
            .await
            .unwrap(),
        store.testing().resolve_persons(&rows, None).await.unwrap()
    );
    assert_eq!(store.testing().person_id_bound().await.unwrap(), newest.id);
    let got = store.testing().ingest_samples(&rows).await.unwrap();
    assert_eq!((got.samples_stored, got.tubes_created), (4, 2));
    // The writer turned foreign keys off for the samples' transaction, and back on.
    assert!(store.foreign_keys_enforced().await.unwrap());
    assert_eq!(
        got.refused,
        vec![
            (3, SampleRefusal::UnknownPerson),
            (5, SampleRefusal::TubeMismatch),
            (6, SampleRefusal::UnknownRound)
        ]
    );
    let again = store.testing().ingest_samples(&rows[..3]).await.unwrap();
    assert_eq!((again.samples_stored, again.samples_already_stored), (0, 3));
    let full = store
        .testing()
        .ingest_samples(&[row("S-1", 1, &blinds[2])])
        .await
        .unwrap();
    assert_eq!(full.refused, vec![(0, SampleRefusal::PoolFull)]);

    let result = |tube: &str, outcome: &str, tested: i64| ResultRow {
        tube_code: tube.into(),
        outcome: outcome.into(),
        ct_orf1ab: Some(31.5),
        ct_n: None,
        lab_code: "LAB1".into(),
        tested_at_ms: tested,
        reported_at_ms: tested + 10,
    };
    let results = vec![
        result("P-1", "positive", 200),
        result("S-1", "positive", 210),
        result("X-9", "negative", 200),
    ];
    let got = store.testing().ingest_results(&results, 300).await.unwrap();
    assert_eq!(
        (
            got.results_stored,
            got.retest_tasks_created,
            got.suspected_cases_created
        ),
        (2, 3, 1)
    );
    assert_eq!(got.unknown_tubes, vec![2]);
    let again = store.testing().ingest_results(&results, 400).await.unwrap();
    assert_eq!(
        (
            again.results_stored,
            again.results_already_stored,
            again.retest_tasks_created
        ),
        (0, 2, 0)
    );
    let tasks = store
        .testing()
        .retest_tasks(&sys, Some("open"), 10)
        .await
        .unwrap();
    assert_eq!(tasks.len(), 3);
    assert!(tasks
        .iter()
        .all(|t| t.reason == "pool_positive" && t.tube_code == "P-1"));
    let county = Scope {
        root: Some(code("411721")),
        permissions: Permission::ALL.into_iter().collect(),
    };
    assert!(store
        .testing()
        .retest_tasks(&county, None, 10)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store.testing().suspected_cases(&sys).await.unwrap().len(),
        1
    );
    // A later retest of the pool is history, and the status follows the latest test.
    store
        .testing()
        .ingest_results(&[result("P-1", "negative", 500)], 600)
        .await
        .unwrap();
    let history = store.testing().tube_history("P-1").await.unwrap();
    assert_eq!(
        history
            .iter()
            .map(|r| r.outcome.as_str())
            .collect::<Vec<_>>(),
        ["positive", "negative"]
    );
    assert_eq!(
        store.testing().tube_status("P-1").await.unwrap(),
        "negative"
    );
    // An older result arriving late does not change the status.
    store
        .testing()
        .ingest_results(&[result("P-1", "inconclusive", 150)], 700)
        .await
        .unwrap();
    assert_eq!(
        store.testing().tube_status("P-1").await.unwrap(),
        "negative"
    );
}

/// Drills: recorded as running, the day reached noted, finished once with the report.
async fn drills_story(store: &Store) {
    use fangkong_store::drills::NewDrill;
    let d = store.drills();
    let new = |name: &'static str, at: i64| NewDrill {
        scenario_name: name,
        title: "学校聚集性疫情",
        title_en: "School cluster",
        scenario_text: "name = \"school\"",
        seed: 7,
        days: 30,
        started_at: at,
        sim_start_day: "2026-11-30",
        created_by: "system:drill",
    };
    let first = d.insert(&new("school", 1_000)).await.unwrap();
    let second = d.insert(&new("travel", 2_000)).await.unwrap();
    d.set_day_reached(first, 3).await.unwrap();
    d.finish(first, "finished", 5_000, "{\"days\":30}")
        .await
        .unwrap();
    // An ended drill takes no more progress and no second report.
    assert!(matches!(
        d.set_day_reached(first, 4).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        d.finish(first, "failed", 6_000, "{}").await,
        Err(StoreError::NotFound)
    ));
    let row = d.get(first).await.unwrap();
    assert_eq!(
        (
            row.status.as_str(),
            row.day_reached,
            row.finished_at,
            row.report_json.as_deref()
        ),
        ("finished", 3, Some(5_000), Some("{\"days\":30}"))
    );
    let listed: Vec<(i64, String)> = d
        .list(10)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.id, r.status))
        .collect();
    assert_eq!(
        listed,
        vec![
            (second, "running".to_string()),
            (first, "finished".to_string())
        ]
    );
    assert!(matches!(
        d.get(second + 100).await,
        Err(StoreError::NotFound)
    ));
}
