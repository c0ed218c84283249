//! The authorization matrix: every route of the API (read from the OpenAPI document, so a
//! new route is covered the day it is added), called by every role and by a user of another
//! county. A role without the route's permission gets 403; a user outside the record's
//! jurisdiction gets 404 or an empty list; no refused answer carries personal data.

use axum::extract::{Path, State};
use axum::Json;
use fangkong_api_types::PersonCreate;
use fangkong_server::{AppState, ServerConfig};
use fangkong_test_support::{backends, TestApp};
use reqwest::{Method, StatusCode};

use crate::id;

/// What each route requires. A route missing here fails the test: add it with its rule.
fn requirement(method: &Method, path: &str) -> Option<Option<&'static str>> {
    let rule = match (method.as_str(), path) {
        ("GET", "/healthz" | "/readyz") => None,
        (
            "GET",
            "/api/v1/jurisdictions"
            | "/api/v1/jurisdictions/{code}"
            | "/api/v1/jurisdictions/{code}/boundary",
        ) => Some("jurisdictions.read"),
        ("POST", "/api/v1/jurisdictions:import") => Some("jurisdictions.write"),
        ("GET", "/api/v1/facilities" | "/api/v1/facilities/{id}") => Some("jurisdictions.read"),
        ("GET", "/api/v1/persons" | "/api/v1/persons/{id}" | "/api/v1/persons/{id}/history") => {
            Some("persons.read")
        }
        ("POST", "/api/v1/persons" | "/api/v1/persons:import")
        | ("PATCH", "/api/v1/persons/{id}") => Some("persons.write"),
        ("GET", "/api/v1/persons/duplicates") | ("POST", "/api/v1/persons/{id}/merge") => {
            Some("persons.merge")
        }
        ("POST", "/api/v1/persons/{id}/reveal") => Some("pii.reveal"),
        ("GET", "/api/v1/audit") => Some("audit.read"),
        (
            "GET",
            "/api/v1/testing/rounds"
            | "/api/v1/testing/retest-tasks"
            | "/api/v1/testing/rounds/{code}/coverage"
            | "/api/v1/testing/rounds/{code}/not-sampled"
            | "/api/v1/testing/key-groups"
            | "/api/v1/testing/key-groups/{code}/schedule"
            | "/api/v1/testing/turnaround"
            | "/api/v1/testing/labs"
            | "/api/v1/testing/pool-advice"
            | "/api/v1/testing/positives"
            | "/api/v1/testing/batches",
        ) => Some("testing.read"),
        (
            "POST",
            "/api/v1/testing/rounds"
            | "/api/v1/testing/key-groups"
            | "/api/v1/testing/key-groups/{code}/members:batch"
            | "/api/v1/testing/key-groups/{code}/members:refresh",
        ) => Some("testing.manage"),
        ("POST", "/api/v1/testing/samples:batch" | "/api/v1/testing/results:batch") => {
            Some("testing.submit")
        }
        (
            "GET",
            "/api/v1/inbound/policies"
            | "/api/v1/inbound/risk-areas"
            | "/api/v1/inbound/travel"
            | "/api/v1/inbound/measures"
            | "/api/v1/inbound/measures/{id}"
            | "/api/v1/inbound/reviews"
            | "/api/v1/inbound/board",
        )
        | ("POST", "/api/v1/inbound/classify") => Some("inbound.read"),
        // A personal link is its own credential (tested in `measures`).
        ("GET" | "POST", "/api/v1/h/{token}") => None,
        (
            "POST",
            "/api/v1/inbound/policies"
            | "/api/v1/inbound/risk-areas"
            | "/api/v1/inbound/risk-areas:import"
            | "/api/v1/inbound/risk-areas/{id}/lift"
            | "/api/v1/inbound/risk-areas:sweep",
        ) => Some("inbound.manage"),
        (
            "POST",
            "/api/v1/inbound/travel"
            | "/api/v1/inbound/travel:import"
            | "/api/v1/inbound/measures"
            | "/api/v1/inbound/measures/{id}/activate"
            | "/api/v1/inbound/measures/{id}/release"
            | "/api/v1/inbound/measures/{id}/escalate"
            | "/api/v1/inbound/measures/{id}/health-checks"
            | "/api/v1/inbound/measures/{id}/link"
            | "/api/v1/inbound/reviews/{id}",
        ) => Some("inbound.operate"),
        (
            "GET",
            "/api/v1/coldchain/batches"
            | "/api/v1/coldchain/batches/{code}"
            | "/api/v1/coldchain/batches/{code}/trace"
            | "/api/v1/coldchain/tasks",
        ) => Some("inbound.read"),
        (
            "POST",
            "/api/v1/coldchain/batches"
            | "/api/v1/coldchain/batches:import"
            | "/api/v1/coldchain/batches/{code}/results"
            | "/api/v1/coldchain/batches/{code}/distributions"
            | "/api/v1/coldchain/batches/{code}/workers"
            | "/api/v1/coldchain/tasks/{id}/close",
        ) => Some("inbound.manage"),
        (
            "GET",
            "/api/v1/fever/visits" | "/api/v1/fever/visits/{id}" | "/api/v1/fever/open-loops",
        ) => Some("inbound.read"),
        (
            "POST",
            "/api/v1/fever/visits"
            | "/api/v1/fever/visits:import"
            | "/api/v1/fever/visits/{id}/result"
            | "/api/v1/fever/visits/{id}/disposition",
        ) => Some("fever.report"),
        (
            "GET",
            "/api/v1/tracing/cases"
            | "/api/v1/tracing/cases/{id}"
            | "/api/v1/tracing/pending"
            | "/api/v1/tracing/cases/{id}/exposures"
            | "/api/v1/tracing/cases/{id}/secondary-candidates"
            | "/api/v1/tracing/chains"
            | "/api/v1/tracing/chains:export"
            | "/api/v1/tracing/timeliness"
            | "/api/v1/tracing/venues"
            | "/api/v1/tracing/venues/{id}/exposures",
        ) => Some("tracing.read"),
        (
            "POST",
            "/api/v1/tracing/cases"
            | "/api/v1/tracing/cases/{id}/itinerary"
            | "/api/v1/tracing/cases/{id}/itinerary:from-checkins"
            | "/api/v1/tracing/cases/{id}/itinerary:complete"
            | "/api/v1/tracing/cases/{id}/contacts"
            | "/api/v1/tracing/cases/{id}/contacts:dismiss"
            | "/api/v1/tracing/cases/{id}/contacts:complete"
            | "/api/v1/tracing/links"
            | "/api/v1/tracing/checkins"
            | "/api/v1/tracing/checkins:import"
            | "/api/v1/tracing/venues:import",
        )
        | (
            "DELETE",
            "/api/v1/tracing/cases/{id}/itinerary/{entry_id}" | "/api/v1/tracing/links/{id}",
        )
        | ("PATCH", "/api/v1/tracing/cases/{id}") => Some("tracing.operate"),
        (
            "GET",
            "/api/v1/isolation/sites"
            | "/api/v1/isolation/sites/{id}"
            | "/api/v1/isolation/queue"
            | "/api/v1/isolation/stays"
            | "/api/v1/isolation/stays/{id}"
            | "/api/v1/isolation/forecast",
        )
        | ("POST", "/api/v1/isolation/placements:propose") => Some("isolation.read"),
        (
            "POST",
            "/api/v1/isolation/sites"
            | "/api/v1/isolation/sites/{id}/turnaround"
            | "/api/v1/isolation/rooms/{id}/service"
            | "/api/v1/isolation/placements"
            | "/api/v1/isolation/stays/{id}/check-in"
            | "/api/v1/isolation/stays/{id}/health-checks"
            | "/api/v1/isolation/stays/{id}/release"
            | "/api/v1/isolation/stays/{id}/cancel"
            | "/api/v1/isolation/stays/{id}/transfer",
        ) => Some("isolation.operate"),
        (
            "GET",
            "/api/v1/treatment/hospitals"
            | "/api/v1/treatment/admissions"
            | "/api/v1/treatment/admissions/{id}"
            | "/api/v1/treatment/teams"
            | "/api/v1/treatment/deployments"
            | "/api/v1/treatment/forecast",
        ) => Some("treatment.read"),
        (
            "POST",
            "/api/v1/treatment/admissions"
            | "/api/v1/treatment/admissions/{id}/transfer"
            | "/api/v1/treatment/admissions/{id}/discharge"
            | "/api/v1/treatment/admissions/{id}/severity"
            | "/api/v1/treatment/teams"
            | "/api/v1/treatment/teams/{id}/deployments",
        ) => Some("treatment.operate"),
        (
            "GET",
            "/api/v1/sentinels"
            | "/api/v1/sentinels/missing"
            | "/api/v1/sentinels/types"
            | "/api/v1/sentinels/{id}"
            | "/api/v1/sentinels/{id}/reports"
            | "/api/v1/sentinels/alerts"
            | "/api/v1/sentinels/alerts/{id}"
            | "/api/v1/sentinels/subscription"
            | "/api/v1/analysis/epidemic",
        )
        | ("PUT", "/api/v1/sentinels/subscription") => Some("sentinel.read"),
        ("POST", "/api/v1/sentinels/reports:batch" | "/api/v1/sentinels/reports:import") => {
            Some("sentinel.report")
        }
        (
            "POST",
            "/api/v1/sentinels/alerts:run"
            | "/api/v1/sentinels/alerts/{id}/status"
            | "/api/v1/sentinels/alerts/{id}/assign"
            | "/api/v1/sentinels/alerts/{id}/notes",
        )
        | ("PUT", "/api/v1/sentinels/types/{sentinel_type}") => Some("sentinel.manage"),
        (
            "GET",
            "/api/v1/immunization/persons/{id}"
            | "/api/v1/immunization/coverage"
            | "/api/v1/immunization/trend"
            | "/api/v1/immunization/outreach"
            | "/api/v1/immunization/outreach:export"
            | "/api/v1/fhir/Immunization"
            | "/api/v1/fhir/Immunization/{id}",
        ) => Some("immunization.read"),
        (
            "POST",
            "/api/v1/immunization/vaccinations" | "/api/v1/immunization/vaccinations:import",
        ) => Some("immunization.write"),
        ("GET", "/api/v1/fhir/Patient/{id}") => Some("persons.read"),
        ("GET", "/api/v1/fhir/Observation" | "/api/v1/fhir/Observation/{id}") => {
            Some("testing.read")
        }
        ("GET", "/api/v1/fhir/Condition") => Some("tracing.read"),
        ("GET", "/api/v1/fhir:export") => Some("persons.export"),
        // Each resource needs its own permission; the route needs one of them.
        ("POST", "/api/v1/fhir") => Some("persons.write|immunization.write|testing.submit"),
        (
            "GET",
            "/api/v1/supplies/items"
            | "/api/v1/supplies/warehouses"
            | "/api/v1/supplies/warehouses/{id}/stock"
            | "/api/v1/supplies/movements"
            | "/api/v1/supplies/board"
            | "/api/v1/supplies/forecast"
            | "/api/v1/supplies/alerts"
            | "/api/v1/supplies/transfers/suggestions",
        ) => Some("supplies.read"),
        (
            "POST",
            "/api/v1/supplies/items"
            | "/api/v1/supplies/items/{id}/model"
            | "/api/v1/supplies/warehouses"
            | "/api/v1/supplies/warehouses/{id}/stocktake"
            | "/api/v1/supplies/warehouses/{id}/stocktake:import"
            | "/api/v1/supplies/movements"
            | "/api/v1/supplies/movements:import",
        ) => Some("supplies.operate"),
        ("GET", "/api/v1/drills" | "/api/v1/drills/{id}") => Some("drills.read"),
        ("GET" | "POST", "/api/v1/forecasts/scenario" | "/api/v1/forecasts/scenario/{id}") => {
            Some("drills.read")
        }
        (
            "GET",
            "/api/v1/co-investigations"
            | "/api/v1/co-investigations/{id}"
            | "/api/v1/co-investigations/{id}/items"
            | "/api/v1/co-investigations/notices"
            | "/api/v1/co-investigations/stats",
        ) => Some("co_investigation.read"),
        (
            "POST",
            "/api/v1/co-investigations"
            | "/api/v1/co-investigations:import"
            | "/api/v1/co-investigations/items:assign"
            | "/api/v1/co-investigations/items:feedback"
            | "/api/v1/co-investigations:escalate",
        ) => Some("co_investigation.operate"),
        (
            "GET",
            "/api/v1/directives"
            | "/api/v1/directives/{id}"
            | "/api/v1/duty/shifts"
            | "/api/v1/duty/now"
            | "/api/v1/duty/shifts/{id}",
        ) => Some("command.read"),
        (
            "POST",
            "/api/v1/directives"
            | "/api/v1/directives/{id}/acknowledge"
            | "/api/v1/directives/{id}/complete"
            | "/api/v1/duty/shifts"
            | "/api/v1/duty/shifts/{id}/log"
            | "/api/v1/duty/shifts/{id}/handover",
        ) => Some("command.operate"),
        ("GET", "/api/v1/overdue") => Some("command.read|co_investigation.read"),
        // Authenticated by the signature of each message (tested in `federation`).
        ("POST", "/api/v1/federation/messages") => None,
        // The dashboard: each section needs its capability's permission and is null without.
        ("GET", "/api/v1/dashboard" | "/api/v1/briefings" | "/api/v1/briefings/{day}") => {
            Some("jurisdictions.read")
        }
        ("POST", "/api/v1/briefings") => Some("briefing.write"),
        // Each action needs its capability's permission (tested in `bulk`); an operation is
        // its creator's.
        ("POST", "/api/v1/bulk") => Some("inbound.operate|sentinel.manage"),
        ("GET", "/api/v1/bulk/{id}") => None,
        _ => return None,
    };
    Some(rule)
}

/// The place code of the venue of the first county.
const VENUE: &str = "P4117020010010001";

const ROLES: [&str; 15] = [
    "admin",
    "commander",
    "inbound-staff",
    "sentinel-staff",
    "testing-staff",
    "tracing-staff",
    "isolation-staff",
    "treatment-staff",
    "immunization-staff",
    "supplies-staff",
    "county-operator",
    "sentinel-reporter",
    "lab-submitter",
    "auditor",
    "fever-clinic-staff",
];

/// The personal data of the record under test, none of which may appear in a refusal.
pub(crate) struct Secrets {
    pub(crate) person_id: i64,
    pub(crate) facility_id: i64,
    /// A fever-clinic visit of the person, at a fever clinic of the first county.
    pub(crate) fever_visit_id: i64,
    /// The person's case, with an itinerary entry, linked as infector of a second case.
    pub(crate) case_id: i64,
    pub(crate) itinerary_entry_id: i64,
    pub(crate) link_id: i64,
    /// A venue of the first county.
    pub(crate) venue_id: i64,
    /// A quarantine site of the first county with a room, and the person's stay there under
    /// an international-arrival measure; the second person's admission to the hospital; a
    /// team.
    pub(crate) site_id: i64,
    pub(crate) room_id: i64,
    pub(crate) measure_id: i64,
    pub(crate) stay_id: i64,
    pub(crate) admission_id: i64,
    pub(crate) team_id: i64,
    /// An alert on the fever-clinic sentinel (facility 2) of the first county.
    pub(crate) alert_id: i64,
    /// A county reserve of the first county and an item.
    pub(crate) warehouse_id: i64,
    pub(crate) supply_item_id: i64,
    /// A co-investigation task of the first county and its item (the person), a directive
    /// to the first county and a shift of its duty roster.
    pub(crate) co_task_id: i64,
    pub(crate) co_item_id: i64,
    pub(crate) directive_id: i64,
    pub(crate) shift_id: i64,
    pub(crate) strings: Vec<String>,
}

pub(crate) async fn setup(app: &TestApp) -> Secrets {
    let csv =
        "code,name\n41,河南省\n4117,驻马店市\n411702,驿城区\n411721,西平县\n411702001,顺河街道\n\
               411702001001,一号社区\n411721001,柏城街道\n411721001001,西平一社区\n";
    app.client
        .import_jurisdictions("d.csv", csv.as_bytes().to_vec())
        .await
        .unwrap();
    let full = id("411702", "1990-03-07", 123);
    let (_, p) = app
        .client
        .create_person(&PersonCreate {
            id_number: Some(full.clone()),
            name: "欧阳秘密".into(),
            phone: Some("13812345678".into()),
            address: Some("顺河街道隐私路1号".into()),
            community_code: "411702001001".into(),
            ..PersonCreate::default()
        })
        .await
        .unwrap();
    let facility = app
        .store
        .bulk()
        .insert(&fangkong_store::bulk::BulkRows {
            facilities: &[fangkong_store::facilities::Facility {
                id: 1,
                kind: "hospital".into(),
                subtype: "designated".into(),
                name: "驿城区定点医院".into(),
                community_code: "411702001001".into(),
                place_code: None,
                capacity: 100,
                beds_general: 80,
                beds_icu: 5,
                beds_isolation: 15,
                lon: None,
                lat: None,
                synthetic: false,
            }],
            ..Default::default()
        })
        .await;
    facility.unwrap();
    // A round and a key group of the first county, for the routes that name one.
    let system = fangkong_app::Actor::system("matrix");
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    app.app
        .create_round(&system, "R-matrix", "轮次", "411702", (day, day), None)
        .await
        .unwrap();
    app.app
        .create_key_group(
            &system,
            &fangkong_app::testing::schedules::KeyGroupInput {
                code: "G-matrix".into(),
                name: "医务人员".into(),
                jurisdiction_code: "411702".into(),
                frequency: fangkong_app::testing::schedules::Frequency::Daily,
                occupations: vec!["medical".into()],
            },
        )
        .await
        .unwrap();
    // A fever clinic of the first county and a visit of the person there.
    app.store
        .bulk()
        .insert(&fangkong_store::bulk::BulkRows {
            facilities: &[fangkong_store::facilities::Facility {
                id: 2,
                kind: "sentinel".into(),
                subtype: "fever_clinic".into(),
                name: "顺河发热门诊".into(),
                community_code: "411702001001".into(),
                place_code: None,
                capacity: 80,
                beds_general: 0,
                beds_icu: 0,
                beds_isolation: 0,
                lon: None,
                lat: None,
                synthetic: false,
            }],
            ..Default::default()
        })
        .await
        .unwrap();
    let (visit, _) = app
        .app
        .record_fever_visit(
            &system,
            &fangkong_app::fever::VisitInput {
                clinic_id: 2,
                id_number: full.clone(),
                visit_at: Some("2026-11-30 09:00".into()),
                temperature: 38.5,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // A venue of the first county; the person's case, its itinerary there, and the case of
    // a second person it infected. (The facilities above were written with their ids, as a
    // bulk load does; like the demo, the sequences follow before ids are generated again.)
    app.store.sync_id_sequences().await.unwrap();
    app.client
        .import_venues(
            "v.csv",
            format!("place_code,name,kind\n{VENUE},一号超市,supermarket\n").into_bytes(),
        )
        .await
        .unwrap();
    let venue_id = app.app.venues(&system, "一号超市", 1).await.unwrap()[0].id;
    let register = |person_id: i64| fangkong_app::tracing::CaseInput {
        person_id: Some(person_id),
        classification: "confirmed".into(),
        detection: "other".into(),
        ..Default::default()
    };
    let case = app
        .app
        .register_case(&system, &register(p.id))
        .await
        .unwrap();
    let (_, other) = app
        .client
        .create_person(&PersonCreate {
            id_number: Some(id("411702", "1991-03-07", 124)),
            name: "二号".into(),
            community_code: "411702001001".into(),
            ..PersonCreate::default()
        })
        .await
        .unwrap();
    let second = app
        .app
        .register_case(&system, &register(other.id))
        .await
        .unwrap();
    let entry = app
        .app
        .add_itinerary(
            &system,
            case.id,
            &[fangkong_app::tracing::ItineraryInput {
                start_at: "2026-11-29 10:00".into(),
                end_at: "2026-11-29 11:00".into(),
                place_code: Some(VENUE.into()),
                ..Default::default()
            }],
        )
        .await
        .unwrap()[0];
    let link = app
        .app
        .link_cases(
            &system,
            &fangkong_app::tracing::LinkInput {
                infector_case_id: case.id,
                infectee_case_id: second.id,
                confidence: "probable".into(),
                setting: "household".into(),
                note: None,
            },
        )
        .await
        .unwrap();
    // A quarantine site with one room; the person placed there under an arrival measure; the
    // second person admitted to the hospital; a team.
    app.store
        .bulk()
        .insert(&fangkong_store::bulk::BulkRows {
            facilities: &[fangkong_store::facilities::Facility {
                id: 9001,
                kind: "quarantine_site".into(),
                subtype: "hotel".into(),
                name: "一号隔离酒店".into(),
                community_code: "411702001001".into(),
                place_code: None,
                capacity: 2,
                beds_general: 0,
                beds_icu: 0,
                beds_isolation: 0,
                lon: Some(114.0),
                lat: Some(33.0),
                synthetic: false,
            }],
            rooms: &[fangkong_store::facilities::Room {
                id: 9001,
                facility_id: 9001,
                number: "101".into(),
                beds: 2,
                accessible: false,
            }],
            ..Default::default()
        })
        .await
        .unwrap();
    app.store.sync_id_sequences().await.unwrap();
    app.app.ensure_default_policy().await.unwrap();
    let (measure, _) = app
        .app
        .assign_measure(
            &system,
            p.id,
            &fangkong_domain::policy::Facts::pocket(fangkong_domain::policy::Pocket::International),
            "authz",
            day,
        )
        .await
        .unwrap()
        .unwrap();
    let measure = measure.measure.id;
    let stay = app
        .app
        .place(
            &system,
            &[fangkong_app::isolation::PlacementInput {
                measure_id: measure,
                room_id: 9001,
                override_reason: Some("authz".into()),
            }],
            None,
        )
        .await
        .unwrap()
        .remove(0);
    let admission = app
        .app
        .admit(
            &system,
            &fangkong_app::treatment::AdmitInput {
                person_id: other.id,
                hospital_id: 1,
                bed_type: "general".into(),
                severity: "mild".into(),
            },
        )
        .await
        .unwrap();
    let team = app
        .app
        .create_team(
            &system,
            &fangkong_app::treatment::TeamInput {
                name: "授权测试医疗队".into(),
                jurisdiction_code: "411702".into(),
                members: vec![("队长".into(), "nursing".into(), true)],
            },
        )
        .await
        .unwrap();
    // A day of counts of the fever-clinic sentinel and an alert on it.
    app.app
        .submit_sentinel_reports(
            &system,
            fangkong_app::sentinel::ReportSource::Api,
            &[fangkong_app::sentinel::ReportInput {
                sentinel_id: 2,
                day: "2026-11-29".into(),
                indicator: "fever_patients".into(),
                count: 30,
            }],
        )
        .await
        .unwrap();
    let alert_id = app
        .store
        .sentinels()
        .record_signals(
            &[fangkong_store::sentinel::NewSignal {
                series_key: "s:2",
                sentinel_type: "fever_clinic",
                indicator: "fever_patients",
                level: "sentinel",
                levels: "sentinel,county",
                sentinel_id: Some(2),
                community_code: "411702001001",
                day: "2026-11-29",
                observed: 30,
                threshold: 10.0,
                expected: Some(5.0),
                strength: 3.0,
                method: "ears-c2",
            }],
            "2026-11-22",
            0,
            "system:matrix",
        )
        .await
        .unwrap()
        .created[0];
    let system = fangkong_app::Actor::system("authz");
    let warehouse_id = app
        .app
        .create_warehouse(
            &system,
            "驿城区物资储备库",
            "county_reserve",
            "411702001001",
            None,
        )
        .await
        .unwrap()
        .id;
    let supply_item_id = app
        .app
        .create_supply_item(
            &system,
            &fangkong_app::supplies::ItemInput {
                code: "N95".into(),
                name: "N95口罩".into(),
                category: "ppe".into(),
                unit: "只".into(),
                pack_size: 20,
                target_days: 30,
                rates: fangkong_app::supplies::Rates::default(),
            },
        )
        .await
        .unwrap()
        .id;
    let co_task = app
        .app
        .create_co_task(
            &system,
            &fangkong_app::co_investigation::TaskInput {
                title: "协查".into(),
                reason: "风险场所".into(),
                source: "省指挥部".into(),
                deadline: "2026-12-02 10:00".into(),
                target_code: Some("411702".into()),
            },
            &[fangkong_ingest::co_investigation::ItemRecord {
                line: 2,
                subject: fangkong_ingest::co_investigation::ItemSubject::Person(
                    fangkong_domain::NationalId::parse(&full).unwrap(),
                ),
                note: String::new(),
            }],
        )
        .await
        .unwrap()
        .task;
    let co_item_id = app
        .store
        .co_investigation()
        .all_items(co_task.id)
        .await
        .unwrap()[0]
        .id;
    let directive_id = app
        .app
        .issue_directive(
            &system,
            &fangkong_app::command::DirectiveInput {
                target_code: "411702".into(),
                title: "排查".into(),
                body: "完成排查".into(),
                due: "2026-12-02 10:00".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id;
    let shift_id = app
        .app
        .add_shift(
            &system,
            &fangkong_app::command::ShiftInput {
                unit_code: "411702".into(),
                unit_name: "区指挥部".into(),
                starts: "2026-11-30 08:00".into(),
                ends: "2026-11-30 20:00".into(),
                leader: "张".into(),
                officer: "李".into(),
            },
        )
        .await
        .unwrap()
        .id;
    Secrets {
        co_task_id: co_task.id,
        co_item_id,
        directive_id,
        shift_id,
        warehouse_id,
        supply_item_id,
        alert_id,
        site_id: 9001,
        room_id: 9001,
        measure_id: measure,
        stay_id: stay.id,
        admission_id: admission.id,
        team_id: team.team.id,
        person_id: p.id,
        facility_id: 1,
        fever_visit_id: visit.id,
        case_id: case.id,
        itinerary_entry_id: entry,
        link_id: link.id,
        venue_id,
        strings: vec![
            full.clone(),
            full[..14].to_string(),
            "欧阳秘密".into(),
            "13812345678".into(),
            "隐私路".into(),
            p.id_number.clone(),
        ],
    }
}

/// A request for a route: its concrete path and body.
pub(crate) fn request_for(
    method: &Method,
    template: &str,
    s: &Secrets,
) -> (String, Option<Vec<u8>>, &'static str) {
    let code = if template.starts_with("/api/v1/testing/rounds/") {
        "R-matrix"
    } else if template.starts_with("/api/v1/testing/key-groups/") {
        "G-matrix"
    } else {
        "411702"
    };
    let path = template
        .replace("{id}", &s.person_id.to_string())
        .replace("{code}", code)
        .replace("{day}", "2026-11-30?jurisdiction=411702");
    let path = if template.starts_with("/api/v1/facilities/") {
        template.replace("{id}", &s.facility_id.to_string())
    } else if template.starts_with("/api/v1/fever/visits/") {
        template.replace("{id}", &s.fever_visit_id.to_string())
    } else if template.starts_with("/api/v1/tracing/cases/") {
        template
            .replace("{id}", &s.case_id.to_string())
            .replace("{entry_id}", &s.itinerary_entry_id.to_string())
    } else if template.starts_with("/api/v1/tracing/links/") {
        template.replace("{id}", &s.link_id.to_string())
    } else if template.starts_with("/api/v1/tracing/venues/") {
        template.replace("{id}", &s.venue_id.to_string())
    } else if template.starts_with("/api/v1/isolation/sites/") {
        template.replace("{id}", &s.site_id.to_string())
    } else if template.starts_with("/api/v1/isolation/rooms/") {
        template.replace("{id}", &s.room_id.to_string())
    } else if template.starts_with("/api/v1/isolation/stays/") {
        template.replace("{id}", &s.stay_id.to_string())
    } else if template.starts_with("/api/v1/treatment/admissions/") {
        template.replace("{id}", &s.admission_id.to_string())
    } else if template.starts_with("/api/v1/treatment/teams/") {
        template.replace("{id}", &s.team_id.to_string())
    } else if template.starts_with("/api/v1/sentinels/alerts/") {
        template.replace("{id}", &s.alert_id.to_string())
    } else if template.starts_with("/api/v1/sentinels/types/") {
        template.replace("{sentinel_type}", "fever_clinic")
    } else if template.starts_with("/api/v1/sentinels/") {
        template.replace("{id}", "2")
    } else if template.starts_with("/api/v1/supplies/warehouses/") {
        template.replace("{id}", &s.warehouse_id.to_string())
    } else if template.starts_with("/api/v1/supplies/items/") {
        template.replace("{id}", &s.supply_item_id.to_string())
    } else if template.starts_with("/api/v1/co-investigations/") {
        template.replace("{id}", &s.co_task_id.to_string())
    } else if template.starts_with("/api/v1/directives/") {
        template.replace("{id}", &s.directive_id.to_string())
    } else if template.starts_with("/api/v1/duty/shifts/") {
        template.replace("{id}", &s.shift_id.to_string())
    } else {
        path
    };
    let json = |v: serde_json::Value| (Some(v.to_string().into_bytes()), "application/json");
    let (body, kind) = match (method.as_str(), template) {
        ("POST", "/api/v1/persons") => json(serde_json::json!({
            "id_number": id("411702", "1985-01-01", 5), "name": "新人", "community_code": "411702001001"})),
        ("PATCH", _) => json(serde_json::json!({"address": "改过的地址"})),
        ("POST", "/api/v1/persons/{id}/merge") => {
            json(serde_json::json!({"duplicate_id": s.person_id + 1000}))
        }
        ("POST", "/api/v1/persons/{id}/reveal") => json(
            serde_json::json!({"purpose": "authorization test", "fields": ["id_number", "phone"]}),
        ),
        ("POST", "/api/v1/persons:import") => (
            Some(
                format!(
                    "name,id_number,community_code\n新人二,{},411702001001\n",
                    id("411702", "1986-01-01", 7)
                )
                .into_bytes(),
            ),
            "text/csv",
        ),
        ("POST", "/api/v1/jurisdictions:import") => (
            Some("code,name\n411702001002,二号社区\n".as_bytes().to_vec()),
            "text/csv",
        ),
        ("POST", "/api/v1/testing/rounds") => json(serde_json::json!({
            "code": "R-authz", "name": "轮次", "jurisdiction_code": "411702", "starts_on": "2026-11-30", "ends_on": "2026-12-01"})),
        ("POST", "/api/v1/testing/key-groups") => json(serde_json::json!({
            "code": "G-authz", "name": "快递员", "jurisdiction_code": "411702", "frequency": "weekly",
            "occupations": ["delivery"]})),
        ("POST", "/api/v1/testing/key-groups/{code}/members:batch") => (
            Some(format!("id_number\n{}\n", id("411702", "1990-03-07", 123)).into_bytes()),
            "text/csv",
        ),
        ("POST", "/api/v1/testing/samples:batch") => (
            Some(format!("tube_id,id_number,site_code,collected_at\nTZ1,{},S1,2026-11-30 08:00\n", id("411702", "1990-03-07", 123)).into_bytes()),
            "text/csv",
        ),
        ("POST", "/api/v1/testing/results:batch") => (
            Some(b"tube_id,result,lab_code,tested_at,reported_at\nTZ1,positive,L1,2026-11-30 09:00,2026-11-30 10:00\n".to_vec()),
            "text/csv",
        ),
        ("POST", "/api/v1/inbound/policies") => (
            Some(fangkong_app::inbound::DEFAULT_POLICY.as_bytes().to_vec()),
            "application/toml",
        ),
        ("POST", "/api/v1/inbound/risk-areas") => json(serde_json::json!({
            "code": "411702001001", "name": "一号社区", "level": "high", "lift_after_days": 7})),
        ("POST", "/api/v1/inbound/risk-areas:import") => (
            Some("code,name,level\n411702001001,一号社区,high\n".as_bytes().to_vec()),
            "text/csv",
        ),
        ("POST", "/api/v1/inbound/risk-areas/{id}/lift") => {
            json(serde_json::json!({"reason": "authorization test"}))
        }
        ("POST", "/api/v1/inbound/measures") => json(serde_json::json!({
            "person_id": s.person_id, "pocket": "fever", "source_ref": "authz"})),
        ("POST", "/api/v1/inbound/measures/{id}/escalate") => {
            json(serde_json::json!({"reason": "authorization test"}))
        }
        ("POST", "/api/v1/inbound/measures/{id}/health-checks") => {
            json(serde_json::json!({"temperature": 36.5}))
        }
        ("POST", "/api/v1/inbound/reviews/{id}") => json(serde_json::json!({"apply": false})),
        ("POST", "/api/v1/inbound/travel") => json(serde_json::json!({
            "name": "旅客", "id_number": id("411702", "1988-01-01", 9),
            "community_code": "411702001001", "origin": "JP", "arrived_at": "2026-11-30 08:00"})),
        ("POST", "/api/v1/inbound/travel:import") => (
            Some(format!("name,id_number,community_code,origin,arrived_at\n旅客,{},411702001001,JP,2026-11-30 08:00\n",
                id("411702", "1988-01-01", 9)).into_bytes()),
            "text/csv",
        ),
        ("POST", "/api/v1/coldchain/batches") => json(serde_json::json!({
            "code": "B-authz", "product": "冷冻虾", "origin_country": "EC", "port_of_entry": "上海港",
            "cold_store": "1", "quantity": 10, "unit": "kg", "arrived_at": "2026-11-29 08:00",
            "trace_code": "T-authz"})),
        ("POST", "/api/v1/coldchain/batches:import") => (
            Some("code,product,origin_country,port_of_entry,cold_store,quantity,unit,arrived_at,trace_code\n\
                  B-authz2,冷冻虾,EC,上海港,1,10,kg,2026-11-29 08:00,T-2\n".as_bytes().to_vec()),
            "text/csv",
        ),
        ("POST", "/api/v1/coldchain/batches/{code}/results") => json(serde_json::json!({
            "sample_kind": "goods", "result": "positive", "tested_at": "2026-11-29 09:00", "lab": "L1"})),
        ("POST", "/api/v1/coldchain/batches/{code}/distributions") => json(serde_json::json!({
            "facility": "1", "quantity": 1, "moved_at": "2026-11-29 09:00"})),
        ("POST", "/api/v1/coldchain/batches/{code}/workers") => json(serde_json::json!({
            "id_number": id("411702", "1990-03-07", 123), "handled_at": "2026-11-29 09:00"})),
        ("POST", "/api/v1/coldchain/tasks/{id}/close") => json(serde_json::json!({"note": "authorization test"})),
        ("POST", "/api/v1/inbound/classify") => json(serde_json::json!({
            "pocket": "domestic", "origin_risk": "high", "days_since_left": 2, "day": "2026-11-30"})),
        ("POST", "/api/v1/fever/visits") => json(serde_json::json!({
            "clinic_id": 2, "id_number": id("411702", "1990-03-07", 123),
            "visit_at": "2026-11-30 09:30", "temperature": 38.0})),
        ("POST", "/api/v1/fever/visits:import") => (
            Some(
                format!(
                    "clinic_id,id_number,visit_at,temperature\n2,{},2026-11-30 09:40,38.1\n",
                    id("411702", "1990-03-07", 123)
                )
                .into_bytes(),
            ),
            "text/csv",
        ),
        ("POST", "/api/v1/fever/visits/{id}/result") => {
            json(serde_json::json!({"outcome": "negative", "lab": "L1"}))
        }
        ("POST", "/api/v1/fever/visits/{id}/disposition") => {
            json(serde_json::json!({"disposition": "admitted"}))
        }
        ("POST", "/api/v1/tracing/cases") => json(serde_json::json!({
            "person_id": s.person_id, "classification": "suspected", "detection": "other"})),
        ("POST", "/api/v1/tracing/cases/{id}/itinerary") => json(serde_json::json!({
            "entries": [{"start_at": "2026-11-29 12:00", "end_at": "2026-11-29 13:00",
                         "address": "authz"}]})),
        ("POST", "/api/v1/tracing/cases/{id}/contacts" | "/api/v1/tracing/cases/{id}/contacts:dismiss") => {
            json(serde_json::json!({"person_id": s.person_id + 1, "setting": "household",
                "last_exposure_at": "2026-11-29 12:00"}))
        }
        ("POST", "/api/v1/tracing/links") => json(serde_json::json!({
            "infector_case_id": s.case_id, "infectee_case_id": s.case_id + 1,
            "confidence": "confirmed", "setting": "household"})),
        ("POST", "/api/v1/tracing/checkins") => json(serde_json::json!({
            "person_id": s.person_id, "venue_id": s.venue_id, "time_in": "2026-11-29 12:00"})),
        ("POST", "/api/v1/tracing/checkins:import") => (
            Some(format!("person_id,place_code,time_in\n{},{VENUE},2026-11-29 12:00\n", s.person_id).into_bytes()),
            "text/csv",
        ),
        ("POST", "/api/v1/tracing/venues:import") => (
            Some(format!("place_code,name,kind\n{VENUE},一号超市,supermarket\n").into_bytes()),
            "text/csv",
        ),
        ("POST", "/api/v1/isolation/sites/{id}/turnaround") => {
            json(serde_json::json!({"turnaround_hours": 12}))
        }
        ("POST", "/api/v1/isolation/rooms/{id}/service" | "/api/v1/isolation/stays/{id}/cancel") => {
            json(serde_json::json!({"reason": "authorization test"}))
        }
        ("POST", "/api/v1/isolation/sites") => json(serde_json::json!({
            "name": "授权测试方舱", "kind": "makeshift", "community_code": "411702001001",
            "lon": 114.0, "lat": 33.0, "rooms": [{"number": "A1", "beds": 1}]})),
        ("POST", "/api/v1/isolation/stays/{id}/health-checks") => {
            json(serde_json::json!({"temperature": 36.5}))
        }
        ("POST", "/api/v1/isolation/placements:propose") => {
            json(serde_json::json!({"measure_ids": [s.measure_id]}))
        }
        ("POST", "/api/v1/isolation/placements") => json(serde_json::json!({
            "placements": [{"measure_id": s.measure_id, "room_id": s.room_id,
                            "override_reason": "authorization test"}]})),
        ("POST", "/api/v1/isolation/stays/{id}/transfer") => json(serde_json::json!({
            "hospital_id": s.facility_id, "bed_type": "general", "severity": "mild",
            "note": "authorization test"})),
        ("POST", "/api/v1/treatment/admissions") => json(serde_json::json!({
            "person_id": s.person_id, "hospital_id": s.facility_id, "bed_type": "general",
            "severity": "mild"})),
        ("POST", "/api/v1/treatment/admissions/{id}/transfer") => json(serde_json::json!({
            "hospital_id": s.facility_id, "bed_type": "icu", "severity": "severe"})),
        ("POST", "/api/v1/treatment/admissions/{id}/discharge") => {
            json(serde_json::json!({"outcome": "recovered"}))
        }
        ("POST", "/api/v1/treatment/admissions/{id}/severity") => {
            json(serde_json::json!({"severity": "moderate"}))
        }
        ("POST", "/api/v1/treatment/teams") => json(serde_json::json!({
            "name": "授权医疗队二", "jurisdiction_code": "411702",
            "members": [{"name": "甲", "specialty": "nursing", "leader": true}]})),
        ("POST", "/api/v1/treatment/teams/{id}/deployments") => json(serde_json::json!({
            "facility_id": s.facility_id, "starts_on": "2026-12-01", "ends_on": "2026-12-07"})),
        ("POST", "/api/v1/sentinels/reports:batch") => json(serde_json::json!({
            "reports": [{"sentinel_id": 2, "day": "2026-11-29", "indicator": "visits", "count": 80}]})),
        ("POST", "/api/v1/sentinels/reports:import") => (
            Some(b"sentinel_id,day,indicator,count\n2,2026-11-29,visits,81\n".to_vec()),
            "text/csv",
        ),
        ("POST", "/api/v1/sentinels/alerts:run") => json(serde_json::json!({"day": "2026-11-29"})),
        ("POST", "/api/v1/sentinels/alerts/{id}/status") => {
            json(serde_json::json!({"status": "verifying"}))
        }
        ("POST", "/api/v1/sentinels/alerts/{id}/assign") => {
            json(serde_json::json!({"assignee": "authz"}))
        }
        ("POST", "/api/v1/sentinels/alerts/{id}/notes") => {
            json(serde_json::json!({"note": "authorization test"}))
        }
        ("PUT", "/api/v1/sentinels/types/{sentinel_type}") => {
            json(serde_json::json!({"deadline_minutes": 480}))
        }
        ("PUT", "/api/v1/sentinels/subscription") => json(serde_json::json!({
            "types": ["fever_clinic"], "indicators": [], "min_level": "sentinel", "min_strength": 0})),
        ("POST", "/api/v1/immunization/vaccinations") => json(serde_json::json!({
            "person_id": s.person_id, "dose_number": 1, "product": "coronavac", "vaccinated_on": "2021-05-01"})),
        ("POST", "/api/v1/immunization/vaccinations:import") => (
            Some(
                format!(
                    "id_number,dose_number,product,vaccinated_on\n{},2,coronavac,2021-05-25\n",
                    id("411702", "1990-03-07", 123)
                )
                .into_bytes(),
            ),
            "text/csv",
        ),
        ("POST", "/api/v1/fhir") => json(serde_json::json!({
            "resourceType": "Bundle", "type": "transaction", "entry": [{"resource": {
                "resourceType": "Immunization", "status": "completed",
                "patient": {"identifier": {"system": fangkong_fhir::NATIONAL_ID_SYSTEM, "value": id("411702", "1990-03-07", 123)}},
                "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "511"}]},
                "occurrenceDateTime": "2021-06-20",
                "protocolApplied": [{"doseNumberPositiveInt": 3}]},
                "request": {"method": "POST", "url": "Immunization"}}]})),
        ("POST", "/api/v1/supplies/items") => json(serde_json::json!({
            "code": "SWAB", "name": "拭子", "category": "sampling", "unit": "支", "pack_size": 50})),
        ("POST", "/api/v1/supplies/items/{id}/model") => json(serde_json::json!({
            "target_days": 30, "rates": {"per_sample": 1.0}})),
        ("POST", "/api/v1/supplies/warehouses") => json(serde_json::json!({
            "name": "授权测试仓库", "kind": "site_store", "community_code": "411702001001"})),
        ("POST", "/api/v1/supplies/warehouses/{id}/stocktake") => json(serde_json::json!({
            "idempotency_key": "authz-count", "counts": [{"item": "N95", "lot": "A1", "counted": 0}]})),
        ("POST", "/api/v1/supplies/movements:import") => (
            Some(format!("idempotency_key,kind,warehouse_id,item,quantity,lot\nauthz-file,receipt,{},N95,1,A1\n", s.warehouse_id).into_bytes()),
            "text/csv",
        ),
        ("POST", "/api/v1/supplies/warehouses/{id}/stocktake:import") => (
            Some(b"item,lot,counted\nN95,A1,0\n".to_vec()),
            "text/csv",
        ),
        ("POST", "/api/v1/supplies/movements") => json(serde_json::json!({
            "idempotency_key": "authz-receipt", "kind": "receipt", "warehouse_id": s.warehouse_id,
            "lines": [{"item": "N95", "quantity": 1, "lot": "A1"}]})),
        ("POST", "/api/v1/co-investigations") => json(serde_json::json!({
            "title": "协查二", "reason": "风险场所", "source": "省指挥部", "deadline": "2026-12-02 10:00",
            "target_code": "411702", "items": [{"place": "人民路菜市场"}]})),
        ("POST", "/api/v1/co-investigations:import") => (
            Some("place\n人民路菜市场\n".as_bytes().to_vec()),
            "text/csv",
        ),
        ("POST", "/api/v1/co-investigations/items:assign") => json(serde_json::json!({
            "item_ids": [s.co_item_id], "code": "411702001"})),
        ("POST", "/api/v1/co-investigations/items:feedback") => json(serde_json::json!({
            "entries": [{"item_id": s.co_item_id, "outcome": "not_found"}]})),
        ("POST", "/api/v1/directives") => json(serde_json::json!({
            "target_code": "411702", "title": "指令", "body": "内容", "due": "2026-12-02 10:00"})),
        ("POST", "/api/v1/directives/{id}/complete") => {
            json(serde_json::json!({"report": "已完成"}))
        }
        ("POST", "/api/v1/duty/shifts") => json(serde_json::json!({
            "unit_code": "411702", "unit_name": "区指挥部", "starts": "2026-12-01 08:00",
            "ends": "2026-12-01 20:00", "leader": "王", "officer": "赵"})),
        ("POST", "/api/v1/duty/shifts/{id}/log" | "/api/v1/duty/shifts/{id}/handover") => {
            json(serde_json::json!({"text": "记录"}))
        }
        ("POST", "/api/v1/federation/messages") => json(serde_json::json!({"messages": []})),
        ("POST", "/api/v1/forecasts/scenario") => json(serde_json::json!({"members": 1})),
        ("POST", "/api/v1/bulk") => json(serde_json::json!({"kind": "measure.activate", "ids": [1]})),
        _ => (None, ""),
    };
    let path = match template {
        "/api/v1/overdue" => format!("{path}?jurisdiction=411702"),
        "/api/v1/co-investigations:import" => format!(
            "{path}?file_name=l.csv&title=T&reason=R&source=S&deadline=2026-12-02%2010:00&target_code=411702"
        ),
        "/api/v1/persons" if method == Method::GET => format!("{path}?q=欧阳"),
        "/api/v1/tracing/venues/{id}/exposures" => {
            format!("{path}?from=2026-11-29%2009:00&to=2026-11-29%2012:00")
        }
        _ => path,
    };
    (path, body, kind)
}

async fn call(
    app: &TestApp,
    token: &str,
    method: &Method,
    path: &str,
    body: Option<Vec<u8>>,
    kind: &str,
) -> (StatusCode, String) {
    let mut r = reqwest::Client::new()
        .request(method.clone(), format!("{}{path}", app.base_url))
        .bearer_auth(token);
    if let Some(b) = body {
        r = r.header("content-type", kind).body(b);
    }
    let r = r.send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

/// Every violation of the matrix on this app, as text (empty when all routes hold), and the
/// record it was checked against.
async fn violations(app: &TestApp) -> (Vec<String>, Secrets) {
    let secrets = setup(app).await;
    let (_, doc) = app.client.get_json("/api/openapi.json").await.unwrap();
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                routes.push((
                    Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                    path.clone(),
                ));
            }
        }
    }
    assert!(
        routes.len() >= 17,
        "the OpenAPI document lists the routes: {routes:?}"
    );
    let mut tokens = Vec::new();
    for role in ROLES {
        let name = format!("u-{role}");
        app.app.create_user(&name, "pw", role, None).await.unwrap();
        let permissions = fangkong_app::Role::parse(role).unwrap().permissions();
        tokens.push((
            role,
            app.app
                .create_api_token(&name, "matrix", None)
                .await
                .unwrap(),
            permissions,
        ));
    }
    // An operator of another county, holding every permission a county operator has.
    app.app
        .create_user("outsider", "pw", "county-operator", Some("411721"))
        .await
        .unwrap();
    let outsider = app
        .app
        .create_api_token("outsider", "matrix", None)
        .await
        .unwrap();

    let mut found = Vec::new();
    for (method, template) in &routes {
        let Some(rule) = requirement(method, template) else {
            found.push(format!(
                "{method} {template}: not in the authorization matrix"
            ));
            continue;
        };
        for (role, token, permissions) in &tokens {
            // Writes by roles that may write are checked by the outsider below; calling them
            // for every role would make the answers depend on order.
            let (path, body, kind) = request_for(method, template, &secrets);
            let allowed = rule.is_none_or(|p| {
                p.split('|')
                    .any(|p| permissions.iter().any(|q| q.as_str() == p))
            });
            if allowed && *method != Method::GET {
                continue;
            }
            let (status, text) = call(app, token, method, &path, body, kind).await;
            if !allowed && status != StatusCode::FORBIDDEN {
                found.push(format!(
                    "{method} {template} as {role}: {status}, expected 403"
                ));
            }
            let link = template.starts_with("/api/v1/h/");
            if allowed
                && !link
                && (status == StatusCode::FORBIDDEN || status == StatusCode::UNAUTHORIZED)
            {
                found.push(format!(
                    "{method} {template} as {role}: {status}, expected access"
                ));
            }
            if !allowed {
                for s in &secrets.strings {
                    if text.contains(s.as_str()) {
                        found.push(format!(
                            "{method} {template} as {role}: refusal leaks personal data"
                        ));
                    }
                }
            }
        }
        if rule.is_some() {
            let (path, body, kind) = request_for(method, template, &secrets);
            let (status, text) = call(app, &outsider, method, &path, body, kind).await;
            let refused = matches!(status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN);
            let import = template.ends_with(":import") || *template == "/api/v1/fhir";
            let lists = *method == Method::GET && !template.contains('{');
            // Classification reads no record of any jurisdiction: every county computes it.
            let computes = *template == "/api/v1/inbound/classify";
            // A subscription is the caller's own setting, in no jurisdiction.
            let own = *template == "/api/v1/sentinels/subscription"
                // A generated briefing is of the caller's own jurisdiction, whichever it is.
                || (*method == Method::POST && *template == "/api/v1/briefings")
                // So is a scenario forecast run.
                || (*method == Method::POST && *template == "/api/v1/forecasts/scenario")
                // A bulk operation is accepted; each record outside is refused inside it.
                || (*method == Method::POST && *template == "/api/v1/bulk");
            if !refused && !lists && !computes && !own && !import && *template != "/api/v1/persons"
            {
                found.push(format!(
                    "{method} {template} as outsider: {status}, expected 404/403"
                ));
            }
            if import && status.is_success() {
                found.push(format!(
                    "{method} {template} as outsider: {status}, expected refusal"
                ));
            }
            for s in &secrets.strings {
                if text.contains(s.as_str()) {
                    found.push(format!(
                        "{method} {template} as outsider ({status}): leaks personal data"
                    ));
                }
            }
        }
    }
    (found, secrets)
}

#[tokio::test]
async fn every_route_enforces_permissions_and_jurisdiction() {
    for backend in backends() {
        let app = TestApp::spawn_on(backend).await;
        let (found, _) = violations(&app).await;
        assert!(
            found.is_empty(),
            "authorization matrix violations:\n{}",
            found.join("\n")
        );
        app.verify().await;
    }
}

/// A route that forgets its checks: reads a person with the system scope.
#[utoipa::path(get, path = "/api/v1/leaky/{id}", tag = "persons",
    params(("id" = i64, Path, description = "Person id")),
    responses((status = 200, description = "A person")))]
async fn leaky(State(state): State<AppState>, Path(id): Path<i64>) -> Json<serde_json::Value> {
    let p = state
        .app
        .store()
        .persons()
        .find(&fangkong_domain::Scope::system(), id)
        .await
        .unwrap();
    Json(serde_json::json!({"name": p.name, "id_number": p.doc_masked}))
}

fn leaky_routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    utoipa_axum::router::OpenApiRouter::new().routes(utoipa_axum::routes!(leaky))
}

#[tokio::test]
async fn the_matrix_fails_when_a_route_forgets_its_checks() {
    let config = ServerConfig {
        extra_api_routes: Some(leaky_routes),
        ..ServerConfig::default()
    };
    let app = TestApp::spawn_with(fangkong_store::BackendKind::Sqlite, config).await;
    let (found, secrets) = violations(&app).await;
    assert_eq!(
        found,
        ["GET /api/v1/leaky/{id}: not in the authorization matrix"]
    );
    // And were it added to the matrix as a persons.read route without the checks, a lab
    // token (no permissions) would read the record: exactly what the matrix refuses.
    let (path, _, _) = request_for(&Method::GET, "/api/v1/leaky/{id}", &secrets);
    let lab = app
        .app
        .create_api_token("u-lab-submitter", "leak", None)
        .await
        .unwrap();
    let (status, text) = call(&app, &lab, &Method::GET, &path, None, "").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the leaky route answers a lab token"
    );
    assert!(
        text.contains("欧阳秘密"),
        "and leaks the name the matrix looks for"
    );
    app.verify().await;
}
