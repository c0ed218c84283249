//! Isolation and treatment on both backends: allocation rules (households, capacity, special
//! needs, nearest site), staff overrides, the stay lifecycle with release criteria and the
//! cleaning turnaround, early transfer to a full and a free ward, admissions, transfers and
//! discharges with occupancy, teams with rotation, and the room and bed forecasts on a small
//! known case.

use fangkong_api_types::{
    AdmissionCreate, AdmissionDischarge, AdmissionTransfer, DeploymentCreate, PersonCreate,
    PlacementCommit, PlacementCommitRequest, PlacementProposalRequest, ReasonBody, StayHealthCheck,
    StayTransfer, TeamCreate, TeamMember,
};
use fangkong_app::Actor;
use fangkong_client::ClientError;
use fangkong_store::facilities::{Facility, Room};
use fangkong_test_support::{each_backend, TestApp};
use reqwest::{Method, StatusCode};

use crate::id;

/// Community A (where everyone lives) and the far community B.
const A: &str = "411702001001";
const B: &str = "411721001001";

/// Site ids: a hotel in A and a purpose-built site in B (about 40 km away); a designated
/// hospital in A with one ICU bed.
const NEAR: i64 = 1;
const FAR: i64 = 2;
const HOSPITAL: i64 = 3;

fn facility(
    id: i64,
    kind: &str,
    subtype: &str,
    name: &str,
    code: &str,
    lon: f64,
    lat: f64,
) -> Facility {
    Facility {
        id,
        kind: kind.into(),
        subtype: subtype.into(),
        name: name.into(),
        community_code: code.into(),
        place_code: None,
        capacity: 0,
        beds_general: if kind == "hospital" { 2 } else { 0 },
        beds_icu: if kind == "hospital" { 1 } else { 0 },
        beds_isolation: if kind == "hospital" { 2 } else { 0 },
        lon: Some(lon),
        lat: Some(lat),
        synthetic: false,
    }
}

fn room(id: i64, site: i64, number: &str, beds: i64, accessible: bool) -> Room {
    Room {
        id,
        facility_id: site,
        number: number.into(),
        beds,
        accessible,
    }
}

/// Jurisdictions with coordinates, the default policy, two sites with rooms and a hospital.
async fn setup(app: &TestApp) {
    let csv = "code,name\n41,河南省\n4117,驻马店市\n411702,驿城区\n411721,西平县\n\
               411702001,顺河街道\n411702001001,一号社区\n411721001,柏城街道\n411721001001,西平一社区\n";
    app.client
        .import_jurisdictions("d.csv", csv.as_bytes().to_vec())
        .await
        .unwrap();
    app.execute_sql(
        "UPDATE jurisdictions SET lon = 114.02, lat = 32.98 WHERE code = '411702001001'",
    )
    .await
    .unwrap();
    app.execute_sql(
        "UPDATE jurisdictions SET lon = 114.02, lat = 33.38 WHERE code = '411721001001'",
    )
    .await
    .unwrap();
    app.client
        .load_policy(
            "inbound-default.toml",
            fangkong_app::inbound::DEFAULT_POLICY,
        )
        .await
        .unwrap();
    app.store
        .bulk()
        .insert(&fangkong_store::bulk::BulkRows {
            facilities: &[
                facility(
                    NEAR,
                    "quarantine_site",
                    "hotel",
                    "天中隔离酒店",
                    A,
                    114.03,
                    32.99,
                ),
                facility(
                    FAR,
                    "quarantine_site",
                    "centralized",
                    "西平集中隔离点",
                    B,
                    114.02,
                    33.38,
                ),
                facility(
                    HOSPITAL,
                    "hospital",
                    "designated",
                    "驻马店市定点医院",
                    A,
                    114.02,
                    32.97,
                ),
            ],
            rooms: &[
                room(1, NEAR, "101", 2, true),
                room(2, NEAR, "102", 1, false),
                room(3, NEAR, "103", 1, false),
                room(4, NEAR, "104", 3, false),
                room(5, FAR, "201", 2, false),
                room(6, FAR, "202", 1, true),
            ],
            ..Default::default()
        })
        .await
        .unwrap();
    app.store.sync_id_sequences().await.unwrap();
}

/// A person of community A born on `birth`, in `household` (0: none), with `tags`, under an
/// international-arrival measure (7 days centralised + 3 of monitoring, tests on days 1, 2,
/// 3, 5, 7 and 10) from today. Returns (person id, measure id, ID number).
async fn arrival(
    app: &TestApp,
    name: &str,
    birth: &str,
    seq: u16,
    household: i64,
    tags: &[&str],
) -> (i64, i64, String) {
    let number = id("411702", birth, seq);
    let (_, p) = app
        .client
        .create_person(&PersonCreate {
            id_number: Some(number.clone()),
            name: name.into(),
            community_code: A.into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            ..PersonCreate::default()
        })
        .await
        .unwrap();
    if household > 0 {
        app.execute_sql(&format!(
            "INSERT INTO households (id, community_code, address, size) VALUES ({household}, '{A}', '一号楼', 1) \
             ON CONFLICT (id) DO NOTHING"
        ))
        .await
        .unwrap();
        app.execute_sql(&format!(
            "UPDATE persons SET household_id = {household} WHERE id = {}",
            p.id
        ))
        .await
        .unwrap();
    }
    let (status, m) = app
        .client
        .send_json(
            Method::POST,
            "/api/v1/inbound/measures",
            &serde_json::json!({"person_id": p.id, "pocket": "international",
                                "source_ref": format!("arrival:{seq}")}),
        )
        .await
        .unwrap();
    assert_eq!(status, StatusCode::CREATED, "{m}");
    (p.id, m["id"].as_i64().unwrap(), number)
}

fn problem(e: ClientError) -> (StatusCode, String, Vec<String>) {
    match e {
        ClientError::Api { status, problem } => {
            let p = problem.unwrap();
            (
                status,
                p.detail,
                p.errors
                    .into_iter()
                    .map(|e| format!("{}: {}", e.field, e.reason))
                    .collect(),
            )
        }
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// Commits the proposal as it is.
fn commit_all(p: &fangkong_api_types::PlacementProposal) -> PlacementCommitRequest {
    PlacementCommitRequest {
        proposed_for: None,
        placements: p
            .placements
            .iter()
            .map(|x| PlacementCommit {
                measure_id: x.measure_id,
                room_id: x.room_id,
                override_reason: None,
            })
            .collect(),
    }
}

#[tokio::test]
async fn allocation_keeps_households_together_serves_needs_nearest_first_and_never_overfills() {
    each_backend(|app| async move {
        setup(&app).await;
        // A mother and her 8-year-old son; a 70-year-old; a disabled man; three single adults.
        let (mother, m_mother, _) = arrival(&app, "赵母", "1990-01-01", 11, 100, &[]).await;
        let (son, m_son, _) = arrival(&app, "赵子", "2018-06-01", 12, 100, &[]).await;
        let (elder, m_elder, _) = arrival(&app, "钱老", "1956-05-05", 13, 101, &[]).await;
        let (disabled, m_disabled, _) =
            arrival(&app, "孙残", "1980-02-02", 14, 102, &["disability"]).await;
        let (s1, _, _) = arrival(&app, "李一", "1991-01-01", 15, 103, &[]).await;
        let (s2, _, _) = arrival(&app, "李二", "1992-01-01", 16, 104, &[]).await;
        let (s3, m_s3, _) = arrival(&app, "李三", "1993-01-01", 17, 105, &[]).await;

        let queue = app.client.placement_queue().await.unwrap();
        assert_eq!(queue.len(), 7);
        let son_q = queue.iter().find(|q| q.person_id == son).unwrap();
        assert_eq!(
            (son_q.age, son_q.child, son_q.centralised_to.as_str()),
            (8, true, "2026-12-06")
        );
        assert!(queue.iter().find(|q| q.person_id == elder).unwrap().elderly);
        assert!(
            queue
                .iter()
                .find(|q| q.person_id == disabled)
                .unwrap()
                .disability
        );

        let proposal = app
            .client
            .propose_placement(&PlacementProposalRequest::default())
            .await
            .unwrap();
        let room_of = |person: i64| {
            proposal
                .placements
                .iter()
                .find(|p| p.person_id == person)
                .map(|p| (p.site_id, p.room_number.clone()))
        };
        // The household together in the only non-accessible room of the near site that fits
        // two; the elderly in the near site's accessible room; the disabled man in the far
        // site's accessible room (the near one is taken); singles fill the near site's single
        // rooms, then the far site's ordinary room.
        assert_eq!(room_of(mother), Some((NEAR, "104".into())));
        assert_eq!(room_of(son), Some((NEAR, "104".into())));
        assert_eq!(room_of(elder), Some((NEAR, "101".into())));
        assert_eq!(room_of(disabled), Some((FAR, "202".into())));
        let singles: Vec<Option<(i64, String)>> =
            [s1, s2, s3].iter().map(|p| room_of(*p)).collect();
        assert_eq!(
            singles,
            vec![
                Some((NEAR, "102".into())),
                Some((NEAR, "103".into())),
                Some((FAR, "201".into()))
            ]
        );
        assert!(proposal.unplaced.is_empty(), "{:?}", proposal.unplaced);
        assert_eq!(
            (
                proposal.households,
                proposal.split_households,
                proposal.free_rooms
            ),
            (6, 0, 6)
        );
        let far_single = proposal
            .placements
            .iter()
            .find(|p| p.person_id == s3)
            .unwrap();
        assert!(
            far_single.distance_km > 40.0 && far_single.distance_km < 50.0,
            "{}",
            far_single.distance_km
        );
        assert!(!far_single.notes_en.is_empty() && !far_single.notes_zh.is_empty());

        // Staff move the elderly to another room without a reason: refused. Putting the son
        // alone in a room breaks the guardian rule even with a reason. Nothing is stored.
        let mut moved = commit_all(&proposal);
        let elder_at = moved
            .placements
            .iter()
            .position(|p| p.measure_id == m_elder)
            .unwrap();
        moved.placements[elder_at].room_id = 6;
        let (status, _, errors) = problem(app.client.place(&moved).await.unwrap_err());
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            errors,
            vec![
                format!(
                    "placements[{elder_at}]: the room differs from the proposal: give override_reason"
                ),
                "placements: room 6 has 2 people for 1 beds".to_string(),
                "placements: room 6 is shared by households 101, 102".to_string(),
            ]
        );
        let mut alone = commit_all(&proposal);
        let son_at = alone
            .placements
            .iter()
            .position(|p| p.measure_id == m_son)
            .unwrap();
        alone.placements[son_at].room_id = 6;
        alone.placements[son_at].override_reason = Some("家属要求".into());
        let disabled_at = alone
            .placements
            .iter()
            .position(|p| p.measure_id == m_disabled)
            .unwrap();
        alone.placements.remove(disabled_at);
        let (status, _, errors) = problem(app.client.place(&alone).await.unwrap_err());
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            errors,
            vec![
                format!("placements: child {son} (under 14) is in room 6 without an adult of the household"),
                "placements: household 100 is spread over sites 1, 2".to_string(),
            ]
        );
        assert_eq!(app.client.placement_queue().await.unwrap().len(), 7);

        // The proposal as it is, with the mother overridden into the same room (a reason
        // given, the same room: stored as an override).
        let mut accepted = commit_all(&proposal);
        let mother_at = accepted
            .placements
            .iter()
            .position(|p| p.measure_id == m_mother)
            .unwrap();
        accepted.placements[mother_at].override_reason = Some("与孩子同住".into());
        // Part of the table first (all but the last single), naming the measures the
        // proposal was made for; then the last row on its own.
        let all: Vec<i64> = accepted.placements.iter().map(|p| p.measure_id).collect();
        let last_at = accepted.placements.iter().position(|p| p.measure_id == m_s3).unwrap();
        let last = accepted.placements.remove(last_at);
        accepted.proposed_for = Some(all);
        let mut stays = app.client.place(&accepted).await.unwrap();
        assert_eq!(stays.len(), 6);
        let alone = PlacementCommitRequest { placements: vec![last], proposed_for: None };
        stays.extend(app.client.place(&alone).await.unwrap());
        assert_eq!(stays.iter().find(|s| s.person_id == s3).unwrap().room_number, "201");
        accepted.placements.insert(last_at, alone.placements[0].clone());
        assert!(stays
            .iter()
            .all(|s| s.status == "placed" && s.planned_release_on == "2026-12-06"));
        let mother_stay = stays.iter().find(|s| s.person_id == mother).unwrap();
        assert!(mother_stay.overridden);
        assert_eq!(mother_stay.explanation, r#"{"override":"与孩子同住"}"#);
        assert!(app.client.placement_queue().await.unwrap().is_empty());
        // A second placement of the same people is refused (they are no longer queued).
        let (status, _, _) = problem(app.client.place(&accepted).await.unwrap_err());
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

        // Occupancy: the near site full (4 rooms, 5 people), the far one 2 of 2.
        let sites = app.client.isolation_sites().await.unwrap();
        let near = sites.iter().find(|s| s.id == NEAR).unwrap();
        assert_eq!(
            (
                near.rooms,
                near.beds,
                near.occupied,
                near.occupants,
                near.free
            ),
            (4, 7, 4, 5, 0)
        );
        let far = sites.iter().find(|s| s.id == FAR).unwrap();
        assert_eq!((far.occupied, far.occupants, far.free), (2, 2, 0));
        // Capacity is a database invariant: a third person in the 2-bed room 201 is refused
        // by the CHECK whatever the code path.
        let over = app
            .execute_sql("UPDATE rooms SET occupants = occupants + 2 WHERE id = 5")
            .await;
        assert!(over.is_err());
        app
    })
    .await;
}

#[tokio::test]
async fn a_stay_runs_from_placement_to_release_and_its_room_is_cleaned_before_reuse() {
    each_backend(|app| async move {
        setup(&app).await;
        let (person, measure, number) = arrival(&app, "周七", "1975-03-03", 21, 200, &[]).await;
        let proposal = app
            .client
            .propose_placement(&PlacementProposalRequest { measure_ids: Some(vec![measure]) })
            .await
            .unwrap();
        let stay = app.client.place(&commit_all(&proposal)).await.unwrap().remove(0);
        assert_eq!((stay.site_id, stay.room_number.as_str()), (NEAR, "102"));
        let sid = stay.id;

        // Release before check-in: refused with every reason.
        let (status, detail, _) = problem(app.client.release_stay(sid).await.unwrap_err());
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(
            detail,
            format!(
                "conflict: stay {sid} cannot be released: the measure is stay placed, not active; \
                 the measure is assigned, not active; the measure runs until 2026-12-06; \
                 the test of day 1 (2026-11-30) is due_today; the test of day 2 (2026-12-01) is upcoming; \
                 the test of day 3 (2026-12-02) is upcoming; the test of day 5 (2026-12-04) is upcoming; \
                 the test of day 7 (2026-12-06) is upcoming; no health check on 2026-12-06, the last day"
            )
        );
        let checked = app.client.check_in(sid).await.unwrap();
        assert_eq!((checked.stay.status.as_str(), checked.measure_status.as_str()), ("in", "active"));
        // A double check-in is refused.
        let (status, detail, _) = problem(app.client.check_in(sid).await.unwrap_err());
        assert_eq!((status, detail), (StatusCode::CONFLICT, format!("conflict: stay {sid} is in, not placed")));

        // Tests on days 1, 2, 3, 5 and 7, all negative; a health check on day 7.
        let actor = Actor::system("test");
        for (k, day) in [(1, "2026-11-30"), (2, "2026-12-01"), (3, "2026-12-02"), (5, "2026-12-04"), (7, "2026-12-06")] {
            app.app
                .ingest_samples(&actor, "s.csv",
                    format!("tube_id,id_number,site_code,collected_at\nQ{k},{number},S1,{day} 09:30\n").as_bytes())
                .await
                .unwrap();
            app.app
                .ingest_results(&actor, "r.csv",
                    format!("tube_id,result,lab_code,tested_at,reported_at\nQ{k},negative,L1,{day} 11:00,{day} 11:30\n").as_bytes())
                .await
                .unwrap();
        }
        app.clock.advance(chrono::Duration::days(6));
        let (status, detail, _) = problem(app.client.release_stay(sid).await.unwrap_err());
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(
            detail,
            format!("conflict: stay {sid} cannot be released: no health check on 2026-12-06, the last day")
        );
        // The site's staff record the last day's check (a fever first, then a normal one).
        let feverish = app
            .client
            .stay_health_check(sid, &StayHealthCheck { temperature: 38.1, symptoms: vec!["cough".into()], day: None })
            .await
            .unwrap();
        assert_eq!(
            feverish.blockers,
            vec!["fever of 38.1 °C reported on 2026-12-06".to_string(), "symptoms reported on 2026-12-06: cough".to_string()]
        );
        app.client
            .stay_health_check(sid, &StayHealthCheck { temperature: 36.4, symptoms: vec![], day: None })
            .await
            .unwrap();
        let released = app.client.release_stay(sid).await.unwrap();
        assert_eq!(released.stay.outcome.as_deref(), Some("released"));
        assert_eq!(released.stay.certificate_no.as_deref(), Some(format!("JC2026-0001-{sid:06}").as_str()));
        // The measure goes on at home (3 days of monitoring follow).
        assert!(!released.ends_measure);
        assert_eq!(released.measure_status, "active");

        // Room 102 is cleaned for the site's 24 hours: not offered, not placeable.
        let site = app.client.isolation_site(NEAR).await.unwrap();
        let r102 = site.rooms.iter().find(|r| r.number == "102").unwrap();
        assert_eq!(r102.status, "cleaning");
        assert_eq!(r102.ready_at, Some(app.app.now_ms() + 24 * 3_600_000));
        let (other, m_other, _) = arrival(&app, "吴八", "1976-03-03", 22, 201, &[]).await;
        let p = app
            .client
            .propose_placement(&PlacementProposalRequest { measure_ids: Some(vec![m_other]) })
            .await
            .unwrap();
        assert_eq!(p.placements[0].room_number, "103");
        let (status, _, errors) = problem(
            app.client
                .place(&PlacementCommitRequest {
                    proposed_for: None,
                    placements: vec![PlacementCommit {
                        measure_id: m_other,
                        room_id: r102.id,
                        override_reason: Some("原房间".into()),
                    }],
                })
                .await
                .unwrap_err(),
        );
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(errors, vec![format!("placements[0]: room {} is not a free room of your sites", r102.id)]);
        app.clock.advance(chrono::Duration::hours(24));
        let site = app.client.isolation_site(NEAR).await.unwrap();
        assert_eq!(site.rooms.iter().find(|r| r.number == "102").unwrap().status, "free");
        let p = app
            .client
            .propose_placement(&PlacementProposalRequest { measure_ids: Some(vec![m_other]) })
            .await
            .unwrap();
        assert_eq!(p.placements[0].room_number, "102");
        // A room out of service is never offered; an occupied one cannot be taken out.
        app.client
            .room_service(r102.id, &ReasonBody { reason: Some("水管漏水".into()) })
            .await
            .unwrap();
        let p = app
            .client
            .propose_placement(&PlacementProposalRequest { measure_ids: Some(vec![m_other]) })
            .await
            .unwrap();
        assert_eq!(p.placements[0].room_number, "103");
        let placed = app.client.place(&commit_all(&p)).await.unwrap();
        let (status, detail, _) = problem(
            app.client
                .room_service(placed[0].room_id, &ReasonBody { reason: Some("检修".into()) })
                .await
                .unwrap_err(),
        );
        assert_eq!((status, detail), (StatusCode::CONFLICT, format!("conflict: room {} is occupied", placed[0].room_id)));
        // A cancelled placement puts the person back in the queue and frees the room at once.
        app.client
            .cancel_stay(placed[0].id, &ReasonBody { reason: Some("已转居家".into()) })
            .await
            .unwrap();
        let queue = app.client.placement_queue().await.unwrap();
        assert_eq!(queue.iter().map(|q| q.person_id).collect::<Vec<_>>(), vec![other]);
        let site = app.client.isolation_site(NEAR).await.unwrap();
        assert_eq!(site.rooms.iter().find(|r| r.number == "103").unwrap().status, "free");
        let _ = person;
        app
    })
    .await;
}

#[tokio::test]
async fn transfers_respect_ward_capacity_and_discharges_close_the_case() {
    each_backend(|app| async move {
        setup(&app).await;
        let (p1, m1, _) = arrival(&app, "郑一", "1960-01-01", 31, 300, &[]).await;
        let (p2, m2, _) = arrival(&app, "郑二", "1961-01-01", 32, 301, &[]).await;
        let proposal = app
            .client
            .propose_placement(&PlacementProposalRequest {
                measure_ids: Some(vec![m1, m2]),
            })
            .await
            .unwrap();
        let stays = app.client.place(&commit_all(&proposal)).await.unwrap();
        for s in &stays {
            app.client.check_in(s.id).await.unwrap();
        }
        let stay1 = stays.iter().find(|s| s.person_id == p1).unwrap().id;
        let stay2 = stays.iter().find(|s| s.person_id == p2).unwrap().id;
        // The first goes to the hospital's only ICU bed.
        let moved = app
            .client
            .transfer_stay(
                stay1,
                &StayTransfer {
                    hospital_id: HOSPITAL,
                    bed_type: "icu".into(),
                    severity: "severe".into(),
                    note: "血氧下降".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(
            (moved.stay.status.as_str(), moved.stay.outcome.as_deref()),
            ("out", Some("hospital"))
        );
        let m = app
            .client
            .get_json(&format!("/api/v1/inbound/measures/{m1}"))
            .await
            .unwrap()
            .1;
        assert_eq!(m["status"], "escalated");
        // The second to the same full ward: refused, nothing changes.
        let (status, detail, _) = problem(
            app.client
                .transfer_stay(
                    stay2,
                    &StayTransfer {
                        hospital_id: HOSPITAL,
                        bed_type: "icu".into(),
                        severity: "critical".into(),
                        note: "呼吸困难".into(),
                    },
                )
                .await
                .unwrap_err(),
        );
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(
            detail,
            format!("conflict: hospital {HOSPITAL} has no free icu bed (or is not a hospital)")
        );
        let still = app.client.stay(stay2).await.unwrap();
        assert_eq!(still.stay.status, "in");
        let site = app.client.isolation_site(still.stay.site_id).await.unwrap();
        assert!(site
            .rooms
            .iter()
            .any(|r| r.id == still.stay.room_id && r.status == "occupied"));
        // To the isolation ward instead.
        let moved2 = app
            .client
            .transfer_stay(
                stay2,
                &StayTransfer {
                    hospital_id: HOSPITAL,
                    bed_type: "isolation".into(),
                    severity: "moderate".into(),
                    note: "发热".into(),
                },
            )
            .await
            .unwrap();
        let h = app.client.hospitals().await.unwrap();
        let h = h.iter().find(|h| h.id == HOSPITAL).unwrap();
        assert_eq!(
            (h.occupied_general, h.occupied_icu, h.occupied_isolation),
            (0, 1, 1)
        );

        // The second worsens: ICU is full, so the transfer is refused and the bed kept.
        let (status, _, _) = problem(
            app.client
                .transfer_admission(
                    moved2.admission_id,
                    &AdmissionTransfer {
                        hospital_id: HOSPITAL,
                        bed_type: "icu".into(),
                        severity: "severe".into(),
                    },
                )
                .await
                .unwrap_err(),
        );
        assert_eq!(status, StatusCode::CONFLICT);
        // The first improves: ICU → general ward, freeing the ICU bed; then the second moves in.
        let a1 = app
            .client
            .transfer_admission(
                moved.admission_id,
                &AdmissionTransfer {
                    hospital_id: HOSPITAL,
                    bed_type: "general".into(),
                    severity: "moderate".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(a1.from_admission_id, Some(moved.admission_id));
        let a2 = app
            .client
            .transfer_admission(
                moved2.admission_id,
                &AdmissionTransfer {
                    hospital_id: HOSPITAL,
                    bed_type: "icu".into(),
                    severity: "severe".into(),
                },
            )
            .await
            .unwrap();
        let h = app.client.hospitals().await.unwrap();
        let h = h.iter().find(|h| h.id == HOSPITAL).unwrap();
        assert_eq!(
            (h.occupied_general, h.occupied_icu, h.occupied_isolation),
            (1, 1, 0)
        );
        let detail = app.client.admission(moved.admission_id).await.unwrap();
        assert_eq!(detail.admission.outcome.as_deref(), Some("transferred"));
        assert_eq!(
            detail
                .events
                .iter()
                .map(|e| e.kind.as_str())
                .collect::<Vec<_>>(),
            vec!["admitted", "transferred"]
        );

        // A case admitted directly, discharged recovered: the case records it.
        let (_, p3) = app
            .client
            .create_person(&PersonCreate {
                id_number: Some(id("411702", "1970-07-07", 33)),
                name: "王病".into(),
                community_code: A.into(),
                ..PersonCreate::default()
            })
            .await
            .unwrap();
        let case = app
            .app
            .register_case(
                &Actor::system("test"),
                &fangkong_app::tracing::CaseInput {
                    person_id: Some(p3.id),
                    classification: "confirmed".into(),
                    detection: "other".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let admitted = app
            .client
            .admit(&AdmissionCreate {
                person_id: p3.id,
                hospital_id: HOSPITAL,
                bed_type: "general".into(),
                severity: "mild".into(),
            })
            .await
            .unwrap();
        assert_eq!(admitted.case_id, Some(case.id));
        // A second admission of the same person, and a full ward, are refused.
        let (status, detail, _) = problem(
            app.client
                .admit(&AdmissionCreate {
                    person_id: p3.id,
                    hospital_id: HOSPITAL,
                    bed_type: "isolation".into(),
                    severity: "mild".into(),
                })
                .await
                .unwrap_err(),
        );
        assert_eq!(
            (status, detail),
            (
                StatusCode::CONFLICT,
                format!(
                    "conflict: person {} is already admitted to a hospital",
                    p3.id
                )
            )
        );
        app.client
            .set_severity(
                admitted.id,
                &fangkong_api_types::SeverityBody {
                    severity: "moderate".into(),
                },
            )
            .await
            .unwrap();
        app.clock.advance(chrono::Duration::days(9));
        let out = app
            .client
            .discharge(
                admitted.id,
                &AdmissionDischarge {
                    outcome: "recovered".into(),
                    note: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(out.outcome.as_deref(), Some("recovered"));
        let c = app.client.case_detail(case.id).await.unwrap();
        assert_eq!(c.case.outcome, "recovered");
        assert!(c.case.admitted_at.is_some());
        let (status, _, errors) = problem(
            app.client
                .discharge(
                    admitted.id,
                    &AdmissionDischarge {
                        outcome: "transferred".into(),
                        note: None,
                    },
                )
                .await
                .unwrap_err(),
        );
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            errors,
            vec!["outcome: a transfer moves the patient: use the transfer action".to_string()]
        );
        let h = app.client.hospitals().await.unwrap();
        let h = h.iter().find(|h| h.id == HOSPITAL).unwrap();
        assert_eq!(
            (h.occupied_general, h.occupied_icu, h.occupied_isolation),
            (1, 1, 0)
        );
        let _ = a2;
        app
    })
    .await;
}

#[tokio::test]
async fn teams_deploy_without_overlap_and_rotate() {
    each_backend(|app| async move {
        setup(&app).await;
        let team = |name: &str, leader: &str| TeamCreate {
            name: name.into(),
            jurisdiction_code: "4117".into(),
            members: vec![
                TeamMember {
                    name: leader.into(),
                    specialty: "critical_care".into(),
                    leader: true,
                },
                TeamMember {
                    name: format!("{leader}的护士"),
                    specialty: "nursing".into(),
                    leader: false,
                },
            ],
        };
        let t1 = app
            .client
            .create_team(&team("第一医疗队", "张医生"))
            .await
            .unwrap();
        let t2 = app
            .client
            .create_team(&team("第二医疗队", "李医生"))
            .await
            .unwrap();
        assert_eq!(t1.members.len(), 2);
        let (status, _, errors) = problem(
            app.client
                .create_team(&TeamCreate {
                    members: vec![],
                    ..team("第三医疗队", "王医生")
                })
                .await
                .unwrap_err(),
        );
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            errors,
            vec!["members: a team has at least one member".to_string()]
        );
        let deploy =
            |facility: i64, from: &str, to: &str, rotate_out: Option<i64>| DeploymentCreate {
                facility_id: facility,
                starts_on: from.into(),
                ends_on: to.into(),
                rotate_out,
            };
        let t1 = app
            .client
            .deploy_team(t1.id, &deploy(NEAR, "2026-11-30", "2026-12-13", None))
            .await
            .unwrap();
        let d1 = t1.current.clone().unwrap();
        assert_eq!(
            (d1.facility_name.as_str(), d1.ends_on.as_str()),
            ("天中隔离酒店", "2026-12-13")
        );
        // The same team elsewhere during that period: refused.
        let (status, detail, _) = problem(
            app.client
                .deploy_team(t1.id, &deploy(HOSPITAL, "2026-12-10", "2026-12-20", None))
                .await
                .unwrap_err(),
        );
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(
            detail,
            "conflict: the team is deployed to 天中隔离酒店 from 2026-11-30 to 2026-12-13"
        );
        // The second team relieves the first on 12-07: the first's deployment ends on 12-06.
        let t2 = app
            .client
            .deploy_team(
                t2.id,
                &deploy(NEAR, "2026-12-07", "2026-12-20", Some(d1.id)),
            )
            .await
            .unwrap();
        assert_eq!(t2.next.as_ref().unwrap().starts_on, "2026-12-07");
        let plan = app
            .client
            .deployments("2026-11-30", "2026-12-31")
            .await
            .unwrap();
        let spans: Vec<(String, String, String)> = plan
            .iter()
            .map(|d| (d.team_name.clone(), d.starts_on.clone(), d.ends_on.clone()))
            .collect();
        assert_eq!(
            spans,
            vec![
                (
                    "第一医疗队".into(),
                    "2026-11-30".into(),
                    "2026-12-06".into()
                ),
                (
                    "第二医疗队".into(),
                    "2026-12-07".into(),
                    "2026-12-20".into()
                ),
            ]
        );
        let site = app.client.isolation_site(NEAR).await.unwrap();
        assert_eq!(
            site.on_duty
                .iter()
                .map(|d| d.team_name.as_str())
                .collect::<Vec<_>>(),
            vec!["第一医疗队"]
        );
        app.clock.advance(chrono::Duration::days(7));
        let site = app.client.isolation_site(NEAR).await.unwrap();
        assert_eq!(
            site.on_duty
                .iter()
                .map(|d| d.team_name.as_str())
                .collect::<Vec<_>>(),
            vec!["第二医疗队"]
        );
        let teams = app.client.teams().await.unwrap();
        let first = teams.iter().find(|t| t.name == "第一医疗队").unwrap();
        assert_eq!(
            (first.current.is_none(), first.resting_days),
            (true, Some(1))
        );
        app
    })
    .await;
}

#[tokio::test]
async fn forecasts_project_rooms_and_beds_on_a_known_small_case() {
    each_backend(|app| async move {
        setup(&app).await;
        let at = |day: u32| {
            chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, day, 2, 0, 0).unwrap()
        };
        // One arrival placed on 11-27 and one on 11-29 (today is 11-30): 7-day
        // quarantines ending 12-03 and 12-05 (rooms free the day after).
        app.clock.set(at(27));
        let (_, m1, _) = arrival(&app, "冯一", "1980-01-01", 41, 400, &[]).await;
        let p = app
            .client
            .propose_placement(&PlacementProposalRequest {
                measure_ids: Some(vec![m1]),
            })
            .await
            .unwrap();
        app.client.place(&commit_all(&p)).await.unwrap();
        app.clock.set(at(29));
        let (_, m2, _) = arrival(&app, "冯二", "1981-01-01", 42, 401, &[]).await;
        let p = app
            .client
            .propose_placement(&PlacementProposalRequest {
                measure_ids: Some(vec![m2]),
            })
            .await
            .unwrap();
        app.client.place(&commit_all(&p)).await.unwrap();
        app.clock.set(at(30));

        let f = app.client.isolation_forecast().await.unwrap();
        // Capacity 6 rooms, 2 occupied; stays of 7 days (both planned 7); cleaning 1 day.
        assert_eq!(
            (
                f.pool.as_str(),
                f.capacity,
                f.occupied,
                f.cleaning,
                f.length_of_stay
            ),
            ("rooms", 6, 2, 0, 7)
        );
        // Arrivals of the last 14 days (11-16..11-29): 1 on day 11 (11-27) and on day 13
        // (11-29), 0 otherwise. Least squares over x = 0..13: mean y = 2/14, Sxy = 4.5 + 6.5
        // = 11, Sxx = 14·(14²−1)/12 = 227.5; day k ahead is x = 13 + k:
        // a(k) = 2/14 + (11/227.5)·(6.5 + k).
        let a = |k: f64| 2.0 / 14.0 + 11.0 / 227.5 * (6.5 + k);
        let close = |x: f64, y: f64| (x - y).abs() < 1e-9;
        assert!(close(f.inflow_per_day, a(1.0)), "{}", f.inflow_per_day);
        assert_eq!(f.days.len(), 14);
        assert_eq!(f.days[0].date, "2026-12-01");
        // Day 4 (12-04) the first room frees and is cleaned that day; day 6 the second.
        assert!(close(f.days[3].departures, 1.0) && close(f.days[3].cleaning, 1.0));
        assert!(close(f.days[5].departures, 1.0));
        // Day 7: 2 + a(1..7) − 2 = 7·2/14 + (11/227.5)·(7·6.5 + 28) = 1 + 808.5/227.5.
        assert!(
            close(f.days[6].occupied, 1.0 + 808.5 / 227.5),
            "{}",
            f.days[6].occupied
        );
        // Day 8 the first forecast arrival leaves after its 7 days.
        assert!(close(f.days[7].departures, a(1.0)));
        // Free goes below zero on day 10: 6 − (2 + Σa(1..10) − 2 − Σa(1..3)) − a(3).
        let occupied10: f64 =
            (1..=10).map(|k| a(k as f64)).sum::<f64>() - (1..=3).map(|k| a(k as f64)).sum::<f64>();
        assert!(
            close(f.days[9].free, 6.0 - occupied10 - a(3.0)),
            "{}",
            f.days[9].free
        );
        assert!(f.days[8].free > 0.0 && f.days[9].free < 0.0);
        assert_eq!(f.runs_out_on.as_deref(), Some("2026-12-10"));

        // Beds: one general-ward patient admitted today, no discharge history: the default
        // 10 days for a general bed, so the bed frees on 12-10; no inflow, no shortfall.
        let (_, p3) = app
            .client
            .create_person(&PersonCreate {
                id_number: Some(id("411702", "1970-07-07", 43)),
                name: "冯三".into(),
                community_code: A.into(),
                ..PersonCreate::default()
            })
            .await
            .unwrap();
        app.client
            .admit(&AdmissionCreate {
                person_id: p3.id,
                hospital_id: HOSPITAL,
                bed_type: "general".into(),
                severity: "mild".into(),
            })
            .await
            .unwrap();
        let beds = app.client.treatment_forecast().await.unwrap();
        let general = beds.iter().find(|b| b.pool == "general").unwrap();
        assert_eq!(
            (
                general.capacity,
                general.occupied,
                general.length_of_stay,
                general.inflow_per_day
            ),
            (2, 1, 10, 0.0)
        );
        let occupied: Vec<f64> = general.days.iter().map(|d| d.occupied).collect();
        assert_eq!(occupied, [vec![1.0; 9], vec![0.0; 5]].concat());
        assert_eq!(general.runs_out_on, None);
        let icu = beds.iter().find(|b| b.pool == "icu").unwrap();
        assert_eq!((icu.capacity, icu.occupied, icu.length_of_stay), (1, 0, 21));
        app
    })
    .await;
}
