//! The supplies page as a signed-in browser sees it, on both backends: the heat table of
//! days of supply, a reorder alert, a transfer suggestion turned into a transfer by its
//! button (pressed twice: one transfer), a refused issue shown on the page with nothing
//! posted, the XLSX export, a stock-take from an XLSX count sheet, and no page without the
//! read permission.

use fangkong_app::Actor;
use fangkong_ingest::export::{write_xlsx, ExportCell};
use fangkong_test_support::each_backend;
use reqwest::{Method, StatusCode};

use crate::supplies::{line, movement, residents, setup};
use crate::web::{csrf_of, figure, Browser};

const B: &str = "411721001001";

#[tokio::test]
async fn the_reserves_page_shows_days_of_supply_and_makes_a_suggested_transfer() {
    each_backend(|app| async move {
        let (wa, wb, _) = setup(&app).await;
        residents(&app, B, "411721", 6).await;
        let (status, _) = app
            .client
            .send_json(
                Method::POST,
                "/api/v1/testing/rounds",
                &serde_json::json!({"code": "R2", "name": "西平一轮", "jurisdiction_code": "411721",
                    "starts_on": "2026-12-01", "ends_on": "2026-12-01"}),
            )
            .await
            .unwrap();
        assert_eq!(status, StatusCode::CREATED);
        // 140 swabs received at A two days ago, 28 issued since: 2 a day over 14 days.
        app.clock.advance(chrono::Duration::days(-2));
        app.client
            .post_movement(&movement("rcv", "receipt", wa, vec![line("SWAB", 140, Some("S1"), Some("2027-01-31"))]))
            .await
            .unwrap();
        app.clock.advance(chrono::Duration::days(2));
        app.client
            .post_movement(&movement("iss", "issue", wa, vec![line("SWAB", 28, None, None)]))
            .await
            .unwrap();

        let mut b = Browser::new(&app);
        b.login("admin", "admin-password", "/supplies").await;
        let (status, html, _) = b.get("/supplies").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(figure(&html, "warehouse-count"), "3");
        assert_eq!(figure(&html, "transfer-count"), "1");
        // 112 usable swabs at 2 a day: 56.0 days, green.
        let board = &html[html.find("id=\"board\"").unwrap()..];
        let row = &board[board.find("data-item=\"SWAB\"").unwrap()..];
        let row = &row[..row.find("</tr>").unwrap()];
        assert!(row.contains("class=\"num heat heat-green\" title=\"消耗速度 2.0/天\"><strong>56.0</strong><br><small>112 支"), "{row}");
        assert!(html.contains("西平县物资储备库需求6支、库存0支，缺口6支"), "the suggestion is explained");
        assert!(html.contains("id=\"supply-forecast\" data-forecast="));

        // The suggestion's button, pressed twice: one transfer.
        let csrf = csrf_of(&html);
        let key = format!("suggested:2026-11-30:SWAB:{wa}:{wb}:6");
        let (wa_s, wb_s) = (wa.to_string(), wb.to_string());
        let form = [
            ("csrf", csrf.as_str()), ("key", key.as_str()), ("kind", "transfer"), ("warehouse_id", wa_s.as_str()),
            ("to_warehouse_id", wb_s.as_str()), ("item", "SWAB"), ("quantity", "6"), ("note", "按调拨建议"),
        ];
        for _ in 0..2 {
            let (status, _, location) = b.post("/supplies/movements", &form).await;
            assert_eq!(status, StatusCode::SEE_OTHER);
            assert_eq!(location.as_deref(), Some("/supplies?done=posted&item=SWAB"));
        }
        let transfers = app.client.supply_movements(Some(wb)).await.unwrap();
        assert_eq!(transfers.len(), 1);
        let (_, html, _) = b.get("/supplies?done=posted&item=SWAB").await;
        assert_eq!(figure(&html, "transfer-count"), "0");
        assert_eq!(figure(&html, "notice-done"), "已登记。");

        // An issue of more than is in stock: refused on the page, nothing posted.
        let before = app.client.supply_movements(None).await.unwrap().len();
        let (status, html, _) = b.post("/supplies/movements", &[
            ("csrf", csrf.as_str()), ("key", "web-over"), ("kind", "issue"), ("warehouse_id", wa_s.as_str()),
            ("item", "SWAB"), ("quantity", "500"),
        ])
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            figure(&html, "notice-error"),
            "conflict: lines[0].quantity: 500 支 of SWAB requested, 106 in stock at 驿城区物资储备库"
        );
        assert_eq!(app.client.supply_movements(None).await.unwrap().len(), before);

        // The export: stock and movements.
        let (status, _, _) = b.get("/supplies/export.xlsx").await;
        assert_eq!(status, StatusCode::OK);

        // A stock-take from an XLSX count sheet: 100 counted where the ledger says 106.
        let sheet = write_xlsx(
            "count",
            &["item", "lot", "counted"],
            [vec![ExportCell::from("SWAB"), ExportCell::from("S1"), ExportCell::from(100_i64)]].into_iter(),
        )
        .unwrap();
        let system = Actor::system("tests");
        let adj = app.app.import_stocktake(&system, wa, "count.xlsx", &sheet).await.unwrap().unwrap();
        assert_eq!(adj.lines.iter().map(|l| l.quantity).collect::<Vec<_>>(), [-6]);
        // The same sheet again changes nothing.
        let again = app.app.import_stocktake(&system, wa, "count.xlsx", &sheet).await.unwrap();
        assert!(again.is_none());
        let bad = write_xlsx(
            "count",
            &["item", "lot", "counted"],
            [vec![ExportCell::from("SWAB"), ExportCell::from("S1"), ExportCell::from(-3_i64)]].into_iter(),
        )
        .unwrap();
        let e = app.app.import_stocktake(&system, wa, "count.xlsx", &bad).await.unwrap_err();
        assert_eq!(e.to_string(), "count.xlsx:2: counted: must be a whole number of at least 0");

        // Without supplies.read the page is forbidden.
        app.app.create_user("lab", "password", "testing-staff", None).await.unwrap();
        let mut lab = Browser::new(&app);
        lab.login("lab", "password", "/").await;
        let (status, _, _) = lab.get("/supplies").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        app
    })
    .await;
}
