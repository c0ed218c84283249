//! The immunization pages as a signed-in browser sees them, on both backends: the coverage
//! table with its drill-down, a vaccination list uploaded (a bad one answered 422 with every
//! line named), a dose entered by hand, the outreach list masked, its export refused without
//! a purpose and given as XLSX with one, the English page, and no page without the
//! permission.

use fangkong_test_support::each_backend;
use reqwest::StatusCode;

use crate::immunization::{csv_of, doses, fixture};
use crate::web::{csrf_of, Browser};

#[tokio::test]
async fn coverage_upload_outreach_and_export_pages() {
    each_backend(|app| async move {
        let ids = fixture(&app).await;
        let mut b = Browser::signed_in(&app, "jz", "immunization-staff", None).await;
        let (status, html, _) = b.get("/immunization").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("疫苗接种覆盖") && html.contains("data-area=\"411702\""), "{html}");
        let csrf = csrf_of(&html);

        // A bad list: 422, every line named, nothing applied.
        let mut bad = doses(&ids)[..2].to_vec();
        bad[1][2] = "pfizer".into();
        let (status, html) = b
            .upload("/immunization/upload", &csrf, "坏名单.csv", &csv_of(&bad))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(html.contains("坏名单.csv:3: product: unknown product"), "{html}");
        assert!(html.contains("id=\"rate-2\">0.0%"), "{html}");

        let (status, html) = b
            .upload("/immunization/upload", &csrf, "名单.csv", &csv_of(&doses(&ids)))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("名单.csv: 已导入"), "{html}");
        assert!(html.contains("新增剂次: <strong>11</strong>"), "{html}");
        // Full course 4 of 10; of the over-80s 2 of 3.
        assert!(html.contains("id=\"rate-2\">40.0%"), "{html}");
        assert!(html.contains("id=\"rate-80\">66.7%"), "{html}");

        // A dose by hand: the 65-year-old's first.
        let person = app
            .client
            .get_json(&format!("/api/v1/persons?q={}", ids[3]))
            .await
            .unwrap()
            .1["items"][0]["id"]
            .as_i64()
            .unwrap()
            .to_string();
        let form = [
            ("csrf", csrf.as_str()),
            ("person_id", person.as_str()),
            ("dose_number", "1"),
            ("product", "bibp"),
            ("vaccinated_on", "2026-11-20"),
            ("lot", "202611A"),
            ("site", "顺河街道接种点"),
        ];
        let (status, html, _) = b.post("/immunization/doses", &form).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("剂次已登记"), "{html}");
        assert!(html.contains("id=\"rate-1\">70.0%"), "{html}");
        let (_, html, _) = b.post("/immunization/doses", &form).await;
        assert!(html.contains("该剂次已登记，未改变"), "{html}");

        // Drill-down to the county: its townships.
        let (status, html, _) = b.get("/immunization?within=411702").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("data-area=\"411702001\""), "{html}");

        // The outreach list, masked: the 85- and 82-year-olds overdue, the 65-year-old now
        // has a first dose due again in three weeks.
        let (status, html, _) = b
            .get("/immunization/outreach?group=elderly_60&within=411702")
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("id=\"outreach-total\">2<"), "{html}");
        for id in &ids {
            assert!(!html.contains(id.as_str()), "full ID on the page");
        }
        assert!(!html.contains("居民0"), "full name on the page");
        let (status, html, _) = b
            .get("/immunization/outreach/export?group=elderly_60&within=411702&format=xlsx&purpose=")
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(html.contains("purpose"), "{html}");
        let (status, bytes, _) = b
            .get("/immunization/outreach/export?group=elderly_60&within=411702&format=csv&purpose=%E5%85%A5%E6%88%B7%E5%8A%A8%E5%91%98")
            .await;
        assert_eq!(status, StatusCode::OK);
        let table = fangkong_ingest::read_table("o.csv", bytes.as_bytes()).unwrap();
        assert_eq!(table.len(), 2);

        // English.
        let _ = b.get("/lang/en?next=/immunization").await;
        let (_, html, _) = b.get("/immunization").await;
        assert!(html.contains("Vaccination coverage") && html.contains("Full-course coverage map"));

        // No permission, no page.
        let mut other = Browser::signed_in(&app, "tr", "tracing-staff", None).await;
        let (status, _, _) = other.get("/immunization").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        app
    })
    .await;
}
