//! Bulk imports: every bad row named with file, line and field; nothing half-applied; a
//! re-run is a no-op.

use fangkong_test_support::each_backend;
use reqwest::StatusCode;

use crate::id;

const DIVISIONS: &str = "code,name\n41,河南省\n4117,驻马店市\n411702,驿城区\n411702001,顺河街道\n\
                         411702001001,一号社区\n411702001002,二号社区\n";

#[tokio::test]
async fn jurisdiction_csv_import_is_idempotent_and_all_or_nothing() {
    each_backend(|app| async move {
        let s = app
            .client
            .import_jurisdictions("div.csv", DIVISIONS.as_bytes().to_vec())
            .await
            .unwrap();
        assert_eq!((s.rows, s.created, s.updated, s.unchanged), (6, 6, 0, 0));
        let s = app
            .client
            .import_jurisdictions("div.csv", DIVISIONS.as_bytes().to_vec())
            .await
            .unwrap();
        assert_eq!((s.rows, s.created, s.updated, s.unchanged), (6, 0, 0, 6));

        // A bad file: unknown parent, bad code, empty name. Nothing of it is applied.
        let bad = "code,name\n411702001003,三号社区\n411799001,无名街道\n41170x,坏\n411702002,\n";
        let err = app
            .client
            .import_jurisdictions("bad.csv", bad.as_bytes().to_vec())
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(StatusCode::UNPROCESSABLE_ENTITY));
        let problem = err.problem().unwrap();
        let rows: Vec<_> = problem
            .errors
            .iter()
            .map(|e| (e.line, e.field.as_str()))
            .collect();
        assert_eq!(rows, [(Some(4), "code"), (Some(5), "name")]);
        // The parser passed; now only the parents are wrong.
        let bad = "code,name\n411702001003,三号社区\n411799001,无名街道\n";
        let err = app
            .client
            .import_jurisdictions("bad.csv", bad.as_bytes().to_vec())
            .await
            .unwrap_err();
        let problem = err.problem().unwrap();
        assert_eq!(problem.errors.len(), 1);
        assert_eq!(
            (problem.errors[0].line, problem.errors[0].reason.as_str()),
            (Some(3), "parent 411799 does not exist")
        );
        assert_eq!(
            app.client
                .jurisdictions(Some("community"), None)
                .await
                .unwrap()
                .len(),
            2,
            "nothing half-applied"
        );

        // Renaming is an update.
        let renamed = DIVISIONS.replace("二号社区", "第二社区");
        let s = app
            .client
            .import_jurisdictions("div.csv", renamed.into_bytes())
            .await
            .unwrap();
        assert_eq!((s.created, s.updated, s.unchanged), (0, 1, 5));
        app
    })
    .await;
}

#[tokio::test]
async fn geojson_boundaries_import_with_line_numbers() {
    each_backend(|app| async move {
        app.client.import_jurisdictions("div.csv", DIVISIONS.as_bytes().to_vec()).await.unwrap();
        let geo = r#"{"type": "FeatureCollection", "features": [
  {"type": "Feature", "properties": {"code": "411702"},
   "geometry": {"type": "Polygon", "coordinates": [[[114.0, 32.9], [114.1, 32.9], [114.1, 33.0], [114.0, 32.9]]]}},
  {"type": "Feature", "properties": {"code": "411799"},
   "geometry": {"type": "Polygon", "coordinates": [[[114.0, 32.9], [114.1, 32.9], [114.1, 33.0], [114.0, 32.9]]]}}
]}"#;
        let err = app.client.import_jurisdictions("b.geojson", geo.as_bytes().to_vec()).await.unwrap_err();
        let e = &err.problem().unwrap().errors[0];
        assert_eq!((e.line, e.field.as_str(), e.reason.as_str()), (Some(4), "features[1].properties.code", "jurisdiction 411799 does not exist"));
        let good = geo.replace("411799", "411702001");
        let s = app.client.import_jurisdictions("b.geojson", good.clone().into_bytes()).await.unwrap();
        assert_eq!((s.rows, s.updated), (2, 2));
        let s = app.client.import_jurisdictions("b.geojson", good.into_bytes()).await.unwrap();
        assert_eq!((s.updated, s.unchanged), (0, 2));
        let (status, feature) = app.client.get_json("/api/v1/jurisdictions/411702/boundary").await.unwrap();
        assert_eq!(status, StatusCode::OK);
        assert_eq!(feature["geometry"]["type"], "Polygon");
        assert!(app.client.jurisdiction("411702").await.unwrap().has_boundary);
        let err = app.client.import_jurisdictions("c.geojson", b"{\"type\": ".to_vec()).await.unwrap_err();
        assert_eq!(err.problem().unwrap().errors[0].field, "json");
        app
    })
    .await;
}

#[tokio::test]
async fn person_import_reports_every_bad_row_and_reruns_as_a_no_op() {
    each_backend(|app| async move {
        app.client.import_jurisdictions("div.csv", DIVISIONS.as_bytes().to_vec()).await.unwrap();
        let a = id("411702", "1980-01-02", 11);
        let b = id("411702", "1992-12-31", 24);
        let good = format!(
            "name,id_number,phone,community_code,tags\n王芳,{b},13900000001,411702001001,教师\n李强,{a},,411702001002,\n"
        );
        let s = app.client.import_persons("persons.csv", good.clone().into_bytes()).await.unwrap();
        assert_eq!((s.rows, s.created, s.updated, s.unchanged), (2, 2, 0, 0));
        let s = app.client.import_persons("persons.csv", good.clone().into_bytes()).await.unwrap();
        assert_eq!((s.created, s.updated, s.unchanged), (0, 0, 2));

        let wrong = format!("{}{}", &a[..17], if a.ends_with('0') { '1' } else { '0' });
        let bad = format!(
            "name,id_number,phone,community_code\n赵六,{wrong},,411702001001\n孙七,{},,411702001999\n周八,{},12,411702001001\n",
            id("411702", "1975-05-05", 31),
            id("411702", "1976-06-06", 42)
        );
        let err = app.client.import_persons("bad.csv", bad.into_bytes()).await.unwrap_err();
        let problem = err.problem().unwrap();
        let rows: Vec<_> = problem.errors.iter().map(|e| (e.line.unwrap(), e.field.as_str())).collect();
        assert_eq!(rows, [(2, "id_number"), (4, "phone")], "parser errors first, all of them");
        let only_community = format!(
            "name,id_number,community_code\n孙七,{},411702001999\n",
            id("411702", "1975-05-05", 31)
        );
        let err = app.client.import_persons("c.csv", only_community.into_bytes()).await.unwrap_err();
        let e = &err.problem().unwrap().errors[0];
        assert_eq!((e.line, e.field.as_str()), (Some(2), "community_code"));
        assert_eq!(app.client.search_persons(&Default::default()).await.unwrap().len(), 2, "nothing half-applied");

        // A changed phone is an update; the history says which field, not the value.
        let changed = good.replace("13900000001", "13900000002");
        let s = app.client.import_persons("persons.csv", changed.into_bytes()).await.unwrap();
        assert_eq!((s.created, s.updated, s.unchanged), (0, 1, 1));
        app
    })
    .await;
}

#[tokio::test]
async fn xlsx_person_import_matches_csv() {
    each_backend(|app| async move {
        app.client
            .import_jurisdictions("div.csv", DIVISIONS.as_bytes().to_vec())
            .await
            .unwrap();
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (c, h) in ["name", "id_number", "phone", "community_code"]
            .iter()
            .enumerate()
        {
            sheet.write_string(0, c as u16, *h).unwrap();
        }
        let pid = id("411702", "1988-08-08", 51);
        sheet.write_string(1, 0, "吴九").unwrap();
        sheet.write_string(1, 1, &pid).unwrap();
        sheet.write_number(1, 2, 13800000009.0).unwrap();
        sheet.write_string(1, 3, "411702001001").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let s = app.client.import_persons("list.xlsx", bytes).await.unwrap();
        assert_eq!((s.rows, s.created), (1, 1));
        let hits = app
            .client
            .search_persons(&fangkong_client::PersonSearch {
                id_number: Some(pid),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(hits[0].phone.as_deref(), Some("138****0009"));
        app
    })
    .await;
}
