//! What the writers write, the reader reads back.

use chrono::{NaiveDate, TimeZone, Utc};
use fangkong_fhir::*;
use proptest::prelude::*;

fn date() -> impl Strategy<Value = NaiveDate> {
    (1920i32..2030, 1u32..=12, 1u32..=28)
        .prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap())
}

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9张王李赵驿城区 ]{0,12}[a-zA-Z0-9张王李]"
        .prop_map(|s| s.trim().to_string())
        .prop_filter("non-empty", |s| !s.is_empty())
}

fn sex() -> impl Strategy<Value = Sex> {
    prop_oneof![
        Just(Sex::Male),
        Just(Sex::Female),
        Just(Sex::Other),
        Just(Sex::Unknown)
    ]
}

fn patient() -> impl Strategy<Value = PatientOut> {
    (
        "[a-z0-9]{1,10}",
        proptest::option::of("[0-9]{6}\\*{8}[0-9]{3}[0-9X]"),
        text(),
        proptest::option::of(sex()),
        proptest::option::of(date()),
        proptest::option::of("1[3-9][0-9]{9}"),
        proptest::option::of(text()),
        proptest::option::of("41[0-9]{10}"),
    )
        .prop_map(
            |(id, id_number, name, sex, birth_date, phone, address_text, community_code)| {
                PatientOut {
                    id,
                    id_number,
                    name,
                    sex,
                    birth_date,
                    phone,
                    address_text,
                    community_code,
                }
            },
        )
}

fn status() -> impl Strategy<Value = ImmunizationStatus> {
    prop_oneof![
        Just(ImmunizationStatus::Completed),
        Just(ImmunizationStatus::EnteredInError),
        Just(ImmunizationStatus::NotDone)
    ]
}

fn immunization(patient_id: String) -> impl Strategy<Value = ImmunizationOut> {
    (
        "[a-z0-9]{1,10}",
        proptest::option::of(("urn:oid:1\\.2\\.[0-9]{1,3}", "[A-Z0-9]{1,10}")),
        status(),
        0usize..VACCINE_PRODUCTS.len(),
        date(),
        proptest::option::of("[A-Z0-9]{1,10}"),
        1u32..5,
        proptest::option::of(text()),
        any::<bool>(),
    )
        .prop_map(
            move |(id, identifier, status, product, occurrence, lot, dose_number, site, by_id)| {
                let p = &VACCINE_PRODUCTS[product];
                let mut vaccine = vec![CodingOut {
                    system: VACCINE_PRODUCT_SYSTEM.into(),
                    code: p.fhir_code().into(),
                    display: Some(p.name_zh().into()),
                }];
                if let Some(cvx) = p.cvx() {
                    vaccine.insert(
                        0,
                        CodingOut {
                            system: CVX.into(),
                            code: cvx.into(),
                            display: None,
                        },
                    );
                }
                ImmunizationOut {
                    id,
                    identifier,
                    status,
                    patient: if by_id {
                        RefOut::Reference(format!("Patient/{patient_id}"))
                    } else {
                        RefOut::Identifier {
                            system: NATIONAL_ID_SYSTEM.into(),
                            value: "110101********001X".into(),
                        }
                    },
                    vaccine,
                    occurrence,
                    lot,
                    dose_number,
                    site,
                }
            },
        )
}

fn lab_result() -> impl Strategy<Value = LabResult> {
    prop_oneof![
        Just(LabResult::Detected),
        Just(LabResult::NotDetected),
        Just(LabResult::Inconclusive)
    ]
}

fn observation() -> impl Strategy<Value = LabObservationOut> {
    (
        "[a-z0-9]{1,10}",
        lab_result(),
        proptest::option::of((10u32..450).prop_map(|x| f64::from(x) / 10.0)),
        proptest::option::of("[A-Z0-9]{1,12}"),
        // 2000-01-01 .. 2035, whole milliseconds.
        946_684_800_000i64..2_051_222_400_000,
        proptest::option::of(text()),
        "[0-9]{1,6}",
    )
        .prop_map(
            |(id, result, ct, specimen_id, effective_ms, performer, person)| LabObservationOut {
                id,
                subject: RefOut::Reference(format!("Patient/{person}")),
                code: vec![],
                result,
                ct,
                specimen_id,
                effective_ms,
                performer,
            },
        )
}

fn codings_back(c: &[CodingAt]) -> Vec<CodingOut> {
    c.iter()
        .map(|c| CodingOut {
            system: c.system.clone(),
            code: c.code.clone(),
            display: c.display.clone(),
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn collection_round_trip(
        (p, i) in patient().prop_flat_map(|p| { let id = p.id.clone(); (Just(p), immunization(id)) }),
        o in observation(),
    ) {
        let bundle = bundle_json(BundleOut::Collection, vec![
            (format!("urn:uuid:00000000-0000-4000-8000-{:012}", 1), patient_json(&p)),
            ("urn:uuid:2".into(), immunization_json(&i)),
            ("urn:uuid:3".into(), observation_json(&o)),
        ]);
        let bytes = serde_json::to_vec(&bundle).unwrap();
        let s = read("rt.json", &bytes).unwrap();
        prop_assert_eq!(s.kind, SubmissionKind::Collection);
        let Ok(Resource::Patient(rp)) = &s.entries[0].resource else { panic!("{:?}", s.entries[0]) };
        prop_assert_eq!(rp.id.as_deref(), Some(p.id.as_str()));
        prop_assert_eq!(&rp.id_number, &p.id_number);
        prop_assert_eq!(&rp.name, &p.name);
        prop_assert_eq!(rp.sex, p.sex);
        prop_assert_eq!(rp.birth_date, p.birth_date);
        prop_assert_eq!(&rp.phone, &p.phone);
        prop_assert_eq!(&rp.address_text, &p.address_text);
        prop_assert_eq!(&rp.community_code, &p.community_code);

        let Ok(Resource::Immunization(ri)) = &s.entries[1].resource else { panic!("{:?}", s.entries[1]) };
        prop_assert_eq!(ri.id.as_deref(), Some(i.id.as_str()));
        prop_assert_eq!(&ri.identifier, &i.identifier);
        prop_assert_eq!(ri.status, i.status);
        let want = match &i.patient {
            RefOut::Reference(_) => SubjectRef::Entry(0),
            RefOut::Identifier { system, value } => SubjectRef::Identifier { system: system.clone(), value: value.clone() },
        };
        prop_assert_eq!(&ri.subject, &want);
        prop_assert_eq!(codings_back(&ri.vaccine), i.vaccine.clone());
        prop_assert!(vaccine_product(&ri.vaccine[0].system, &ri.vaccine[0].code).is_some());
        prop_assert_eq!(ri.occurrence, i.occurrence);
        prop_assert_eq!(&ri.lot, &i.lot);
        prop_assert_eq!(ri.dose_number, i.dose_number);
        prop_assert_eq!(&ri.site, &i.site);

        let Ok(Resource::Observation(ro)) = &s.entries[2].resource else { panic!("{:?}", s.entries[2]) };
        prop_assert_eq!(ro.id.as_deref(), Some(o.id.as_str()));
        let RefOut::Reference(r) = &o.subject else { unreachable!() };
        let want = if *r == format!("Patient/{}", p.id) { SubjectRef::Entry(0) } else { SubjectRef::Literal(r["Patient/".len()..].to_string()) };
        prop_assert_eq!(&ro.subject, &want);
        prop_assert_eq!(ro.result, o.result);
        prop_assert_eq!(ro.ct, o.ct);
        prop_assert_eq!(&ro.specimen_id, &o.specimen_id);
        prop_assert_eq!(ro.effective_ms, o.effective_ms);
        prop_assert_eq!(&ro.performer, &o.performer);
        prop_assert_eq!(&ro.code[0].code, LOINC_SARS_COV_2_RNA);
    }
}

#[test]
fn effective_is_written_in_china_time() {
    let ms = Utc
        .with_ymd_and_hms(2022, 4, 1, 0, 0, 0)
        .unwrap()
        .timestamp_millis();
    let o = LabObservationOut {
        id: "o".into(),
        subject: RefOut::Reference("Patient/1".into()),
        code: vec![],
        result: LabResult::Detected,
        ct: None,
        specimen_id: None,
        effective_ms: ms,
        performer: None,
    };
    assert_eq!(
        observation_json(&o)["effectiveDateTime"],
        "2022-04-01T08:00:00.000+08:00"
    );
}
