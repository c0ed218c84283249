//! The person registry over the API, on both backends.

use fangkong_api_types::{PersonCreate, PersonUpdate};
use fangkong_client::PersonSearch;
use fangkong_test_support::{each_backend, TestApp};
use reqwest::StatusCode;

use crate::id;

const COMMUNITY: &str = "411702001001";

/// The jurisdictions a person can be registered under, without loading a whole city.
async fn seed_jurisdictions(app: &TestApp) {
    let csv = "code,name\n41,河南省\n4117,驻马店市\n411702,驿城区\n411721,西平县\n\
               411702001,顺河街道\n411702001001,一号社区\n411721001,柏城街道\n411721001001,西平一社区\n";
    app.client
        .import_jurisdictions("seed.csv", csv.as_bytes().to_vec())
        .await
        .unwrap();
}

fn zhang_san() -> PersonCreate {
    PersonCreate {
        id_number: Some(id("411702", "1990-03-07", 123)),
        name: "张三".into(),
        phone: Some("138 1234 5678".into()),
        address: Some("驿城区顺河街道1号".into()),
        community_code: COMMUNITY.into(),
        tags: vec!["教师".into()],
        ..PersonCreate::default()
    }
}

#[tokio::test]
async fn create_show_search_and_update_a_person() {
    each_backend(|app| async move {
        seed_jurisdictions(&app).await;
        let (status, p) = app.client.create_person(&zhang_san()).await.unwrap();
        assert_eq!(status, StatusCode::CREATED);
        assert!(p.id > 0);
        assert_eq!(
            p.id_number,
            format!("411702********{}", &id("411702", "1990-03-07", 123)[14..])
        );
        assert_eq!(p.phone.as_deref(), Some("138****5678"));
        assert_eq!(
            (p.sex.as_str(), p.birth_date.as_str()),
            ("male", "1990-03-07")
        );
        assert_eq!(p.document_kind, "mainland_id");
        assert_eq!(p.tags, vec!["教师".to_string()]);

        let shown = app.client.person(p.id).await.unwrap();
        assert_eq!(shown.name, "张三");

        // Found by exact ID, by free-text ID, by phone and by name prefix.
        let full_id = zhang_san().id_number.unwrap();
        for query in [
            PersonSearch {
                id_number: Some(full_id.clone()),
                ..Default::default()
            },
            PersonSearch {
                q: Some(full_id.clone()),
                ..Default::default()
            },
            PersonSearch {
                q: Some("13812345678".into()),
                ..Default::default()
            },
            PersonSearch {
                q: Some("张".into()),
                ..Default::default()
            },
        ] {
            let hits = app.client.search_persons(&query).await.unwrap();
            assert_eq!(
                hits.iter().map(|h| h.id).collect::<Vec<_>>(),
                vec![p.id],
                "{query:?}"
            );
        }
        assert!(app
            .client
            .search_persons(&PersonSearch {
                q: Some("李".into()),
                ..Default::default()
            })
            .await
            .unwrap()
            .is_empty());

        // The full number never appears in any answer.
        let (_, raw) = app
            .client
            .get_json(&format!("/api/v1/persons/{}", p.id))
            .await
            .unwrap();
        let text = raw.to_string();
        assert!(
            !text.contains(&full_id) && !text.contains("13812345678"),
            "{text}"
        );

        let changed = app
            .client
            .update_person(
                p.id,
                &PersonUpdate {
                    phone: Some(Some("13987654321".into())),
                    address: Some(None),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(changed.phone.as_deref(), Some("139****4321"));
        assert_eq!(changed.address, None);
        let history = app.client.person_history(p.id).await.unwrap();
        let kinds: Vec<_> = history.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["created", "updated"]);
        assert_eq!(
            history[1].detail["fields"],
            serde_json::json!(["address", "phone"])
        );
        app
    })
    .await;
}

#[tokio::test]
async fn a_known_document_returns_the_existing_record() {
    each_backend(|app| async move {
        seed_jurisdictions(&app).await;
        let (_, first) = app.client.create_person(&zhang_san()).await.unwrap();
        let mut again = zhang_san();
        again.name = "张三丰".into();
        let (status, second) = app.client.create_person(&again).await.unwrap();
        assert_eq!(status, StatusCode::OK);
        assert_eq!(second.id, first.id);
        assert!(second.matched_existing);
        assert_eq!(second.name, "张三", "a create never overwrites");
        app
    })
    .await;
}

#[tokio::test]
async fn invalid_fields_are_named() {
    each_backend(|app| async move {
        seed_jurisdictions(&app).await;
        let mut bad = zhang_san();
        let good = bad.id_number.clone().unwrap();
        // Wrong check digit.
        let last = good.chars().last().unwrap();
        let wrong = if last == '0' { '1' } else { '0' };
        bad.id_number = Some(format!("{}{wrong}", &good[..17]));
        bad.phone = Some("12345".into());
        let err = app.client.create_person(&bad).await.unwrap_err();
        assert_eq!(err.status(), Some(StatusCode::UNPROCESSABLE_ENTITY));
        let problem = err.problem().unwrap();
        assert_eq!(problem.kind, "/problems/invalid-input");
        let fields: Vec<_> = problem
            .errors
            .iter()
            .map(|e| (e.field.as_str(), e.reason.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                (
                    "id_number",
                    format!("check digit is {wrong}, expected {last}").as_str()
                ),
                ("phone", "expected 7 to 15 digits, found 5")
            ]
        );
        assert!(
            !problem.detail.contains(&good[..17]),
            "no personal data in errors"
        );

        let mut unknown = zhang_san();
        unknown.community_code = "411702001999".into();
        let err = app.client.create_person(&unknown).await.unwrap_err();
        assert_eq!(
            err.problem().unwrap().errors[0].reason,
            "community 411702001999 does not exist"
        );

        let mut bad_date = zhang_san();
        bad_date.id_number = Some(format!("41170219900230123{}", 'X'));
        let err = app.client.create_person(&bad_date).await.unwrap_err();
        assert_eq!(err.problem().unwrap().errors[0].field, "id_number");
        app
    })
    .await;
}

#[tokio::test]
async fn people_without_a_mainland_id_are_first_class() {
    each_backend(|app| async move {
        seed_jurisdictions(&app).await;
        let body = PersonCreate {
            document_kind: Some("passport".into()),
            document_number: Some("E12345678".into()),
            nationality: Some("USA".into()),
            name: "John Smith".into(),
            sex: Some("male".into()),
            birth_date: Some("1985-06-01".into()),
            community_code: COMMUNITY.into(),
            ..PersonCreate::default()
        };
        let (status, p) = app.client.create_person(&body).await.unwrap();
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(
            (
                p.document_kind.as_str(),
                p.id_number.as_str(),
                p.nationality.as_str()
            ),
            ("passport", "E1****678", "USA")
        );
        let (status, again) = app.client.create_person(&body).await.unwrap();
        assert_eq!((status, again.id), (StatusCode::OK, p.id));
        let mut missing = body.clone();
        missing.birth_date = None;
        let err = app.client.create_person(&missing).await.unwrap_err();
        assert_eq!(err.problem().unwrap().errors[0].field, "birth_date");
        app
    })
    .await;
}

#[tokio::test]
async fn duplicates_are_listed_and_merged_keeping_both_histories() {
    each_backend(|app| async move {
        seed_jurisdictions(&app).await;
        let (_, a) = app.client.create_person(&zhang_san()).await.unwrap();
        // The same man registered again under his Hong Kong permit, same name and birthday.
        let b = PersonCreate {
            document_kind: Some("hk_macao_permit".into()),
            document_number: Some("H12345678".into()),
            name: "张三".into(),
            sex: Some("male".into()),
            birth_date: Some("1990-03-07".into()),
            phone: Some("13700000000".into()),
            community_code: COMMUNITY.into(),
            tags: vec!["返驻".into()],
            ..PersonCreate::default()
        };
        let (_, b) = app.client.create_person(&b).await.unwrap();
        let candidates = app.client.duplicates().await.unwrap();
        assert_eq!(candidates.len(), 1);
        assert_eq!(
            (
                candidates[0].first.id,
                candidates[0].second.id,
                candidates[0].reason.as_str()
            ),
            (a.id, b.id, "name_and_birth_date")
        );

        let kept = app.client.merge_persons(a.id, b.id).await.unwrap();
        assert_eq!(kept.tags, vec!["教师".to_string(), "返驻".to_string()]);
        assert!(app.client.duplicates().await.unwrap().is_empty());
        let merged = app.client.person(b.id).await.unwrap();
        assert_eq!(merged.merged_into, Some(a.id));
        let history = app.client.person_history(a.id).await.unwrap();
        let events: Vec<_> = history
            .iter()
            .map(|e| (e.person_id, e.kind.as_str()))
            .collect();
        assert_eq!(
            events,
            [
                (a.id, "created"),
                (b.id, "created"),
                (a.id, "merged"),
                (b.id, "merged")
            ]
        );
        // Registering the merged document again resolves to the survivor.
        let again = PersonCreate {
            document_kind: Some("hk_macao_permit".into()),
            document_number: Some("H12345678".into()),
            name: "张三".into(),
            sex: Some("male".into()),
            birth_date: Some("1990-03-07".into()),
            community_code: COMMUNITY.into(),
            ..PersonCreate::default()
        };
        let (status, resolved) = app.client.create_person(&again).await.unwrap();
        assert_eq!((status, resolved.id), (StatusCode::OK, a.id));
        let err = app.client.merge_persons(a.id, b.id).await.unwrap_err();
        assert_eq!(err.status(), Some(StatusCode::CONFLICT));
        app
    })
    .await;
}

#[tokio::test]
async fn a_county_user_sees_only_its_county() {
    each_backend(|app| async move {
        seed_jurisdictions(&app).await;
        let (_, p) = app.client.create_person(&zhang_san()).await.unwrap();
        let xiping = app
            .client_for("xiping", "county-operator", Some("411721"))
            .await;
        let err = xiping.person(p.id).await.unwrap_err();
        assert_eq!(err.status(), Some(StatusCode::NOT_FOUND));
        let hits = xiping
            .search_persons(&PersonSearch {
                q: Some("张".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(hits.is_empty());
        let full = zhang_san().id_number.unwrap();
        let hits = xiping
            .search_persons(&PersonSearch {
                id_number: Some(full),
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(hits.is_empty());
        // Registering the same document again from another county is a conflict, not a
        // second record, and shows nothing of the holder.
        let again = PersonCreate {
            community_code: "411721001001".into(),
            ..zhang_san()
        };
        let err = xiping.create_person(&again).await.unwrap_err();
        assert_eq!(err.status(), Some(StatusCode::CONFLICT));
        assert!(!format!("{:?}", err.problem()).contains("张三"));
        // Creating in another county is refused; creating in its own works.
        let err = xiping
            .create_person(&PersonCreate {
                id_number: Some(id("411721", "1970-01-01", 2)),
                ..zhang_san()
            })
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(StatusCode::FORBIDDEN));
        let mine = PersonCreate {
            id_number: Some(id("411721", "1970-01-01", 2)),
            community_code: "411721001001".into(),
            ..zhang_san()
        };
        let (status, _) = xiping.create_person(&mine).await.unwrap();
        assert_eq!(status, StatusCode::CREATED);
        let counties = xiping.jurisdictions(Some("county"), None).await.unwrap();
        assert_eq!(
            counties.iter().map(|j| j.code.as_str()).collect::<Vec<_>>(),
            ["411721"]
        );
        // A lab submitter may not read the registry at all.
        let lab = app.client_for("lab", "lab-submitter", None).await;
        assert_eq!(
            lab.person(p.id).await.unwrap_err().status(),
            Some(StatusCode::FORBIDDEN)
        );
        app
    })
    .await;
}
