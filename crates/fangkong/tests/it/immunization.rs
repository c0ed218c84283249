//! Immunization on both backends: coverage arithmetic on a known population (areas × age
//! bands × levels, the elderly first), vaccination lists by CSV and XLSX (all or none, every
//! bad value named, re-run a no-op), outreach lists (unvaccinated and overdue, by group and
//! jurisdiction) and their audited XLSX export read back; FHIR transactions against batches,
//! and the round trip import → export of Patients and Immunizations.

use fangkong_api_types::{CoverageCounts, CoverageReport};
use fangkong_ingest::export::{write_xlsx, ExportCell};
use fangkong_test_support::{each_backend, TestApp};
use reqwest::StatusCode;

use crate::id;

/// Two counties. In 驿城区 (411702): residents aged 85, 82, 70, 65, 40, 30, 10 and 2 on
/// 2026-11-30; in 西平县 (411721): 90 and 50.
pub(crate) async fn fixture(app: &TestApp) -> Vec<String> {
    let csv = "code,name\n41,河南省\n4117,驻马店市\n411702,驿城区\n411721,西平县\n\
               411702001,顺河街道\n411702001001,一号社区\n\
               411721001,柏城街道\n411721001001,西平一社区\n";
    app.client
        .import_jurisdictions("d.csv", csv.as_bytes().to_vec())
        .await
        .unwrap();
    let people = [
        ("411702", "1941-01-01", "411702001001"),
        ("411702", "1944-06-01", "411702001001"),
        ("411702", "1956-03-01", "411702001001"),
        ("411702", "1961-02-01", "411702001001"),
        ("411702", "1986-01-01", "411702001001"),
        ("411702", "1996-01-01", "411702001001"),
        ("411702", "2016-01-01", "411702001001"),
        ("411702", "2024-01-01", "411702001001"),
        ("411721", "1936-01-01", "411721001001"),
        ("411721", "1976-01-01", "411721001001"),
    ];
    let ids: Vec<String> = people
        .iter()
        .enumerate()
        .map(|(k, (region, birth, _))| id(region, birth, 100 + k as u16))
        .collect();
    let mut persons = String::from("name,id_number,community_code\n");
    for (k, (_, _, community)) in people.iter().enumerate() {
        persons.push_str(&format!("居民{k},{},{community}\n", ids[k]));
    }
    app.client
        .import_persons("p.csv", persons.into_bytes())
        .await
        .unwrap();
    ids
}

/// The doses: 85 full (CoronaVac ×2), 82 one dose, 70 boosted (BIBP ×2 + inhaled), 65
/// none, 40 full (single-dose CanSino), 30 two of three ZF2001 doses, 90 full.
pub(crate) fn doses(ids: &[String]) -> Vec<[String; 5]> {
    let d = |k: usize, n: &str, p: &str, on: &str, lot: &str| {
        [ids[k].clone(), n.into(), p.into(), on.into(), lot.into()]
    };
    vec![
        d(0, "1", "coronavac", "2021-05-01", "A1"),
        d(0, "2", "北京科兴中维", "2021-05-25", "A2"),
        d(1, "1", "511", "2021-05-01", ""),
        d(2, "1", "bibp", "2021-04-01", "B1"),
        d(2, "2", "bibp", "2021-04-25", "B2"),
        d(2, "3", "convidecia_air", "2022-11-01", "C1"),
        d(4, "1", "convidecia", "2021-06-01", ""),
        d(5, "1", "zf2001", "2021-06-01", ""),
        d(5, "2", "zf2001", "2021-07-01", ""),
        d(8, "1", "coronavac", "2021-05-03", ""),
        d(8, "2", "coronavac", "2021-05-27", ""),
    ]
}

const HEADER: [&str; 5] = [
    "id_number",
    "dose_number",
    "product",
    "vaccinated_on",
    "lot",
];

pub(crate) fn csv_of(rows: &[[String; 5]]) -> Vec<u8> {
    let mut out = HEADER.join(",") + "\n";
    for r in rows {
        out.push_str(&r.join(","));
        out.push('\n');
    }
    out.into_bytes()
}

fn band<'a>(bands: &'a [CoverageCounts], key: &str) -> &'a CoverageCounts {
    bands.iter().find(|b| b.band == key).unwrap()
}

/// (population, first, full, booster) of a band.
fn counts(c: &CoverageCounts) -> (i64, i64, i64, i64) {
    (c.population, c.first, c.full, c.booster)
}

fn check_city(report: &CoverageReport) {
    let keys: Vec<&str> = report.total.bands.iter().map(|b| b.band.as_str()).collect();
    assert_eq!(keys, ["80+", "60+", "60-79", "15-59", "0-14", "all"]);
    let yc = report.areas.iter().find(|a| a.code == "411702").unwrap();
    assert_eq!(yc.name, "驿城区");
    assert_eq!(counts(band(&yc.bands, "80+")), (2, 2, 1, 0));
    assert_eq!(counts(band(&yc.bands, "60-79")), (2, 1, 1, 1));
    assert_eq!(counts(band(&yc.bands, "60+")), (4, 3, 2, 1));
    assert_eq!(counts(band(&yc.bands, "15-59")), (2, 2, 1, 0));
    assert_eq!(counts(band(&yc.bands, "0-14")), (2, 0, 0, 0));
    assert_eq!(counts(band(&yc.bands, "all")), (8, 5, 3, 1));
    let xp = report.areas.iter().find(|a| a.code == "411721").unwrap();
    assert_eq!(counts(band(&xp.bands, "80+")), (1, 1, 1, 0));
    assert_eq!(counts(band(&xp.bands, "all")), (2, 1, 1, 0));
    let all = band(&report.total.bands, "all");
    assert_eq!(counts(all), (10, 6, 4, 1));
    assert!((all.full_rate - 0.4).abs() < 1e-12);
    assert!((band(&report.total.bands, "80+").full_rate - 2.0 / 3.0).abs() < 1e-12);
}

#[tokio::test]
async fn coverage_lists_and_outreach_on_a_known_population() {
    each_backend(|app| async move {
        let ids = fixture(&app).await;
        let rows = doses(&ids);
        // The same list as XLSX first, then as CSV: the CSV changes nothing.
        let xlsx = write_xlsx(
            "doses",
            &HEADER,
            rows.iter().map(|r| r.iter().map(|c| ExportCell::from(c.as_str())).collect()),
        )
        .unwrap();
        let s = app
            .client
            .import_vaccinations("接种记录.xlsx", xlsx)
            .await
            .unwrap();
        assert_eq!((s.rows, s.created, s.updated, s.unchanged), (11, 11, 0, 0));
        let s = app
            .client
            .import_vaccinations("接种记录.csv", csv_of(&rows))
            .await
            .unwrap();
        assert_eq!((s.rows, s.created, s.updated, s.unchanged), (11, 0, 0, 11));
        check_city(&app.client.immunization_coverage("4117").await.unwrap());

        // A bad list: nothing applied, every bad value named with its line.
        let mut bad = rows[..2].to_vec();
        bad[1][3] = "2026-12-05".into();
        bad.push([id("411702", "1950-01-01", 900), "1".into(), "coronavac".into(), "2021-05-01".into(), String::new()]);
        bad.push([ids[6].clone(), "1".into(), "pfizer".into(), "2021-05-01".into(), String::new()]);
        bad[0][1] = "3".into();
        let e = app
            .client
            .import_vaccinations("bad.csv", csv_of(&bad))
            .await
            .unwrap_err();
        assert_eq!(e.status(), Some(StatusCode::UNPROCESSABLE_ENTITY));
        let lines: Vec<String> = e
            .problem()
            .unwrap()
            .errors
            .iter()
            .map(|f| format!("{}: {}: {}", f.line.unwrap_or(0), f.field, f.reason))
            .collect();
        assert_eq!(
            lines,
            [
                "3: vaccinated_on: is in the future",
                "4: id_number: no person with this document is registered",
                "5: product: unknown product; expected one of bibp, wibp, coronavac, kconvac, convidecia, convidecia_air, zf2001, imbcams",
            ]
        );
        check_city(&app.client.immunization_coverage("4117").await.unwrap());

        // Outreach: the over-60s of 驿城区 not boosted in time, oldest first.
        let list = app
            .client
            .outreach("group=elderly_60&within=411702")
            .await
            .unwrap();
        let got: Vec<(u32, &str, i64, Option<&str>)> = list
            .entries
            .iter()
            .map(|e| (e.age, e.reason.as_str(), e.doses, e.next_due_on.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                (85, "overdue", 2, Some("2021-08-23")),
                (82, "overdue", 1, Some("2021-05-22")),
                (65, "unvaccinated", 0, None),
            ]
        );
        assert_eq!(list.total, 3);
        assert!(list.entries[0].id_number_masked.contains('*'));
        let unvaccinated = app
            .client
            .outreach("group=eligible&kind=unvaccinated&within=4117")
            .await
            .unwrap();
        // The 65-, 10- and 50-year-olds; the 2-year-old is too young.
        assert_eq!(
            unvaccinated.entries.iter().map(|e| e.age).collect::<Vec<_>>(),
            [65, 10, 50]
        );
        let key = app
            .client
            .outreach("group=elderly_80&kind=overdue")
            .await
            .unwrap();
        assert_eq!(key.entries.iter().map(|e| e.age).collect::<Vec<_>>(), [85, 82, 90]);

        // The export: refused without a purpose, then XLSX read back, audited.
        let (status, _) = app
            .client
            .get_bytes("/api/v1/immunization/outreach:export?group=elderly_60&within=411702")
            .await
            .unwrap();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, bytes) = app
            .client
            .get_bytes("/api/v1/immunization/outreach:export?group=elderly_60&within=411702&format=xlsx&purpose=%E5%85%A5%E6%88%B7%E5%8A%A8%E5%91%98%E6%8E%A5%E7%A7%8D")
            .await
            .unwrap();
        assert_eq!(status, StatusCode::OK);
        let table = fangkong_ingest::read_table("outreach.xlsx", &bytes).unwrap();
        let ages: Vec<&str> = table.rows().map(|r| r.get("age").unwrap()).collect();
        assert_eq!(ages, ["85", "82", "65"]);
        let reasons: Vec<&str> = table.rows().map(|r| r.get("reason").unwrap()).collect();
        assert_eq!(reasons, ["overdue", "overdue", "unvaccinated"]);
        let doc = table.rows().next().unwrap().get("id_number").unwrap().to_string();
        assert!(doc.contains('*') && !ids.contains(&doc), "masked: {doc}");
        let audit = app
            .app
            .search_audit(
                &fangkong_app::Actor::system("test"),
                &fangkong_store::audit::AuditFilter {
                    action: Some("immunization.outreach.export".into()),
                    limit: 10,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].purpose.as_deref(), Some("入户动员接种"));

        // A county operator of 西平县 sees only its county.
        app.app
            .create_user("xp", "pw", "county-operator", Some("411721"))
            .await
            .unwrap();
        let token = app.app.create_api_token("xp", "t", None).await.unwrap();
        let xp = app.client.with_token(Some(&token));
        let mine = xp.outreach("group=elderly_60").await.unwrap();
        assert_eq!(mine.entries.iter().map(|e| e.age).collect::<Vec<_>>(), [90]);
        let e = xp.immunization_coverage("411702").await.unwrap_err();
        assert_eq!(e.status(), Some(StatusCode::NOT_FOUND));
        let e = xp
            .import_vaccinations("v.csv", csv_of(&rows[..1]))
            .await
            .unwrap_err();
        assert_eq!(e.status(), Some(StatusCode::UNPROCESSABLE_ENTITY));
        app
    })
    .await;
}

/// (dose number, product key, day, lot, site) of an exported Immunization.
type DoseBack = (u32, String, String, Option<String>, Option<String>);

fn bundle(kind: &str, id_number: &str, second_code: &str) -> serde_json::Value {
    serde_json::json!({
        "resourceType": "Bundle",
        "type": kind,
        "entry": [
            {"fullUrl": "urn:uuid:6f1c0000-0000-4000-8000-000000000001",
             "resource": {"resourceType": "Patient",
                "identifier": [{"system": fangkong_fhir::NATIONAL_ID_SYSTEM, "value": id_number}],
                "name": [{"text": "欧阳接种"}], "gender": "female", "birthDate": "1950-02-03",
                "address": [{"text": "一号社区3号楼", "extension": [{"url": fangkong_fhir::COMMUNITY_EXTENSION, "valueString": "411702001001"}]}]},
             "request": {"method": "POST", "url": "Patient"}},
            {"resource": {"resourceType": "Immunization", "status": "completed",
                "patient": {"reference": "urn:uuid:6f1c0000-0000-4000-8000-000000000001"},
                "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "510"}]},
                "occurrenceDateTime": "2021-05-06", "lotNumber": "202104B", "location": {"display": "驿城区接种门诊"},
                "protocolApplied": [{"doseNumberPositiveInt": 1}]},
             "request": {"method": "POST", "url": "Immunization"}},
            {"resource": {"resourceType": "Immunization", "status": "completed",
                "patient": {"reference": "urn:uuid:6f1c0000-0000-4000-8000-000000000001"},
                "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": second_code}]},
                "occurrenceDateTime": "2021-05-30",
                "protocolApplied": [{"doseNumberPositiveInt": 2}]},
             "request": {"method": "POST", "url": "Immunization"}}
        ]
    })
}

#[tokio::test]
async fn fhir_transactions_batches_and_round_trip() {
    each_backend(|app| async move {
        fixture(&app).await;
        let person = id("411702", "1950-02-03", 778);
        let post = |body: serde_json::Value| {
            let client = app.client.clone();
            async move {
                client
                    .post_bytes("/api/v1/fhir", "application/fhir+json", body.to_string().into_bytes())
                    .await
                    .unwrap()
            }
        };
        let find = || async {
            app.client
                .get_json(&format!("/api/v1/persons?q={person}"))
                .await
                .unwrap()
                .1["items"]
                .clone()
        };

        // A transaction with an unknown vaccine code: refused whole, the code's path named.
        let (status, outcome) = post(bundle("transaction", &person, "208")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(outcome["resourceType"], "OperationOutcome");
        let issues = outcome["issue"].as_array().unwrap();
        assert_eq!(issues.len(), 1);
        assert_eq!(
            issues[0]["expression"][0],
            "Bundle.entry[2].resource.vaccineCode.coding[0].code"
        );
        assert!(issues[0]["diagnostics"].as_str().unwrap().starts_with("unknown vaccine code"));
        assert_eq!(find().await, serde_json::json!([]));

        // The same as a batch: the patient and the first dose go in, the second is refused.
        let (status, response) = post(bundle("batch", &person, "208")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(response["type"], "batch-response");
        let statuses: Vec<&str> = response["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["response"]["status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses, ["201 Created", "201 Created", "400 Bad Request"]);
        let found = find().await;
        let person_id = found[0]["id"].as_i64().unwrap();
        assert_eq!(found[0]["name"], "欧阳接种");

        // The corrected transaction applies whole; the first dose is unchanged.
        let (status, response) = post(bundle("transaction", &person, "510")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(response["type"], "transaction-response");
        let (_, mine) = app
            .client
            .get_json(&format!("/api/v1/immunization/persons/{person_id}"))
            .await
            .unwrap();
        assert_eq!(mine["doses"].as_array().unwrap().len(), 2);
        assert_eq!(mine["full_on"], "2021-05-30");
        assert_eq!(mine["next_due_on"], "2021-08-28");

        // A reference to a person outside the registry, by identifier: 404 for that entry.
        let stranger = serde_json::json!({"resourceType": "Immunization", "status": "completed",
            "patient": {"identifier": {"system": fangkong_fhir::NATIONAL_ID_SYSTEM, "value": id("411702", "1960-01-01", 5)}},
            "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "511"}]},
            "occurrenceDateTime": "2021-05-06", "protocolApplied": [{"doseNumberPositiveInt": 1}]});
        let (status, response) = post(stranger).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(response["entry"][0]["response"]["status"], "404 Not Found");

        // Read endpoints and the export: what went in comes back.
        let (status, set) = app
            .client
            .get_json(&format!("/api/v1/fhir/Immunization?patient={person_id}"))
            .await
            .unwrap();
        assert_eq!(status, StatusCode::OK);
        assert_eq!(set["total"], 2);
        let (status, patient) = app
            .client
            .get_json(&format!("/api/v1/fhir/Patient/{person_id}"))
            .await
            .unwrap();
        assert_eq!(status, StatusCode::OK);
        assert_ne!(patient["identifier"][0]["value"], person.as_str(), "masked");
        let (status, bytes) = app
            .client
            .get_bytes("/api/v1/fhir:export?within=411702&reveal=true&purpose=%E7%9C%81%E5%B9%B3%E5%8F%B0%E4%BA%A4%E6%8D%A2")
            .await
            .unwrap();
        assert_eq!(status, StatusCode::OK);
        let back = fangkong_fhir::read("export.json", &bytes).unwrap();
        let patient = back
            .resources()
            .find_map(|(_, r)| match r {
                fangkong_fhir::Resource::Patient(p) if p.id_number.as_deref() == Some(person.as_str()) => Some(p.clone()),
                _ => None,
            })
            .unwrap();
        assert_eq!(patient.name, "欧阳接种");
        assert_eq!(patient.sex, Some(fangkong_fhir::Sex::Female));
        assert_eq!(patient.birth_date.unwrap().to_string(), "1950-02-03");
        assert_eq!(patient.community_code.as_deref(), Some("411702001001"));
        assert_eq!(patient.address_text.as_deref(), Some("一号社区3号楼"));
        let mut doses: Vec<DoseBack> = back
            .resources()
            .filter_map(|(_, r)| match r {
                fangkong_fhir::Resource::Immunization(i)
                    if matches!(&i.subject, fangkong_fhir::SubjectRef::Entry(k)
                        if back.entries[*k].resource.as_ref().is_ok_and(|p| p.id() == Some(person_id.to_string().as_str()))) =>
                {
                    let product = i
                        .vaccine
                        .iter()
                        .find_map(|c| fangkong_fhir::vaccine_product(&c.system, &c.code))
                        .unwrap();
                    Some((i.dose_number, product.as_str().to_string(), i.occurrence.to_string(), i.lot.clone(), i.site.clone()))
                }
                _ => None,
            })
            .collect();
        doses.sort();
        assert_eq!(
            doses,
            [
                (1, "bibp".into(), "2021-05-06".into(), Some("202104B".into()), Some("驿城区接种门诊".into())),
                (2, "bibp".into(), "2021-05-30".into(), None, None),
            ]
        );
        app
    })
    .await;
}
