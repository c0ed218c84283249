//! Supplies on both backends: the ledger's invariants (stock is the sum of movements, never
//! negative, first expiry first out, all lines or none, immutable), idempotency keys, bad
//! input refused with the ledger untouched, stock-takes, the demand forecast and reorder
//! alert on a known activity plan, and transfer suggestions on a small case with a known
//! optimum turned into a transfer.

use std::collections::BTreeMap;

use fangkong_api_types::{
    MovementCreate, MovementLineInput, PersonCreate, StockCount, StocktakeCreate, SupplyItemCreate,
    SupplyRates, WarehouseCreate,
};
use fangkong_client::{Client, ClientError};
use fangkong_test_support::{each_backend, TestApp};
use reqwest::{Method, StatusCode};

use crate::id;

const A: &str = "411702001001";
const B: &str = "411721001001";

/// Jurisdictions, three warehouses (the reserves of two counties about 44 km apart and the
/// city reserve) and three items. Returns (reserve A, reserve B, city reserve).
pub(crate) async fn setup(app: &TestApp) -> (i64, i64, i64) {
    let csv = "code,name\n41,河南省\n4117,驻马店市\n411702,驿城区\n411721,西平县\n\
               411702001,顺河街道\n411702001001,一号社区\n411721001,柏城街道\n411721001001,西平一社区\n";
    app.client
        .import_jurisdictions("d.csv", csv.as_bytes().to_vec())
        .await
        .unwrap();
    let mut ids = Vec::new();
    for (name, kind, code, lat) in [
        ("驿城区物资储备库", "county_reserve", A, 32.98),
        ("西平县物资储备库", "county_reserve", B, 33.38),
        ("市级物资储备库", "city_reserve", A, 32.99),
    ] {
        let w = app
            .client
            .create_warehouse(&WarehouseCreate {
                name: name.into(),
                kind: kind.into(),
                community_code: code.into(),
                lon: Some(114.02),
                lat: Some(lat),
            })
            .await
            .unwrap();
        ids.push(w.id);
    }
    for (code, name, unit, pack, rates) in [
        (
            "N95",
            "N95口罩",
            "只",
            20,
            SupplyRates {
                per_sampler_shift: 1.0,
                per_quarantine_day: 2.0,
                ..SupplyRates::default()
            },
        ),
        (
            "SWAB",
            "采样拭子",
            "支",
            50,
            SupplyRates {
                per_sample: 1.0,
                ..SupplyRates::default()
            },
        ),
        (
            "SUIT",
            "医用防护服",
            "套",
            10,
            SupplyRates {
                per_sampler_shift: 1.0,
                ..SupplyRates::default()
            },
        ),
    ] {
        app.client
            .create_supply_item(&SupplyItemCreate {
                code: code.into(),
                name: name.into(),
                category: "ppe".into(),
                unit: unit.into(),
                pack_size: pack,
                target_days: 30,
                rates,
            })
            .await
            .unwrap();
    }
    (ids[0], ids[1], ids[2])
}

pub(crate) fn line(
    item: &str,
    quantity: i64,
    lot: Option<&str>,
    expires_on: Option<&str>,
) -> MovementLineInput {
    MovementLineInput {
        item: item.into(),
        quantity,
        lot: lot.map(str::to_string),
        expires_on: expires_on.map(str::to_string),
    }
}

pub(crate) fn movement(
    key: &str,
    kind: &str,
    warehouse: i64,
    lines: Vec<MovementLineInput>,
) -> MovementCreate {
    MovementCreate {
        idempotency_key: key.into(),
        kind: kind.into(),
        warehouse_id: warehouse,
        to_warehouse_id: None,
        note: String::new(),
        lines,
    }
}

/// (lot, quantity) of an item at a warehouse, by expiry.
async fn lots(client: &Client, warehouse: i64, item_id: i64) -> Vec<(String, i64)> {
    client
        .warehouse_stock(warehouse)
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.item_id == item_id)
        .map(|s| (s.lot, s.quantity))
        .collect()
}

/// The refusal's status and detail.
fn refusal(e: ClientError) -> (StatusCode, String) {
    let status = e.status().unwrap();
    let detail = e.problem().map(|p| p.detail.clone()).unwrap_or_default();
    (status, detail)
}

/// The balance of every (warehouse, item, lot) recomputed from the ledger's lines.
async fn ledger_sums(client: &Client) -> BTreeMap<(i64, i64, String), i64> {
    let mut sums = BTreeMap::new();
    for m in client.supply_movements(None).await.unwrap() {
        for l in m.lines {
            *sums.entry((l.warehouse_id, l.item_id, l.lot)).or_insert(0) += l.quantity;
        }
    }
    sums.retain(|_, v| *v != 0);
    sums
}

async fn stock_sums(client: &Client, warehouses: &[i64]) -> BTreeMap<(i64, i64, String), i64> {
    let mut out = BTreeMap::new();
    for w in warehouses {
        for s in client.warehouse_stock(*w).await.unwrap() {
            out.insert((s.warehouse_id, s.item_id, s.lot), s.quantity);
        }
    }
    out
}

#[tokio::test]
async fn ledger_issues_first_expiry_first_and_reconciles() {
    each_backend(|app| async move {
        let (wa, wb, city) = setup(&app).await;
        let items = app.client.supply_items().await.unwrap();
        let n95 = items.iter().find(|i| i.code == "N95").unwrap().id;
        let swab = items.iter().find(|i| i.code == "SWAB").unwrap().id;

        // Two batches received in one movement, the later expiry first.
        let r = app
            .client
            .post_movement(&movement("rcv-1", "receipt", wa, vec![
                line("N95", 200, Some("L2"), Some("2027-06-01")),
                line("N95", 100, Some("L1"), Some("2026-12-10")),
                line("SWAB", 500, Some("S1"), Some("2027-01-31")),
            ]))
            .await
            .unwrap();
        assert!(!r.replayed);
        assert_eq!(lots(&app.client, wa, n95).await, [("L1".to_string(), 100), ("L2".to_string(), 200)]);

        // An issue of 150 takes the batch expiring first, then the next.
        let issue = app
            .client
            .post_movement(&movement("iss-1", "issue", wa, vec![line("N95", 150, None, None)]))
            .await
            .unwrap();
        let taken: Vec<(String, i64)> = issue.lines.iter().map(|l| (l.lot.clone(), l.quantity)).collect();
        assert_eq!(taken, [("L1".to_string(), -100), ("L2".to_string(), -50)]);
        assert_eq!(lots(&app.client, wa, n95).await, [("L2".to_string(), 150)]);

        // The same key and request again: the stored movement, nothing changes.
        let again = app
            .client
            .post_movement(&movement("iss-1", "issue", wa, vec![line("N95", 150, None, None)]))
            .await
            .unwrap();
        assert!(again.replayed);
        assert_eq!(again.id, issue.id);
        assert_eq!(again.lines, issue.lines);
        assert_eq!(lots(&app.client, wa, n95).await, [("L2".to_string(), 150)]);
        let (status, detail) = refusal(
            app.client
                .post_movement(&movement("iss-1", "issue", wa, vec![line("N95", 151, None, None)]))
                .await
                .unwrap_err(),
        );
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(detail, "conflict: idempotency key iss-1 was used for another movement");

        let before = app.client.supply_movements(None).await.unwrap().len();
        // More than in stock; a multi-line movement with one short line; a negative
        // quantity; an unknown item: each refused with the ledger untouched.
        let (status, detail) = refusal(
            app.client
                .post_movement(&movement("iss-2", "issue", wa, vec![line("N95", 151, None, None)]))
                .await
                .unwrap_err(),
        );
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(
            detail,
            "conflict: lines[0].quantity: 151 只 of N95 requested, 150 in stock at 驿城区物资储备库"
        );
        let (status, _) = refusal(
            app.client
                .post_movement(&movement("iss-3", "issue", wa, vec![
                    line("SWAB", 10, None, None),
                    line("N95", 1000, None, None),
                ]))
                .await
                .unwrap_err(),
        );
        assert_eq!(status, StatusCode::CONFLICT);
        let (status, detail) = refusal(
            app.client
                .post_movement(&movement("iss-4", "issue", wa, vec![
                    line("N95", -5, None, None),
                    line("口罩X", 5, None, None),
                ]))
                .await
                .unwrap_err(),
        );
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            detail,
            "invalid input: lines[0].quantity: must be a positive whole number; lines[1].item: unknown item 口罩X"
        );
        let (status, detail) = refusal(
            app.client
                .post_movement(&movement("rcv-x", "receipt", wa, vec![line("N95", 5, Some("OLD"), Some("2026-11-01"))]))
                .await
                .unwrap_err(),
        );
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(detail, "invalid input: lines[0].expires_on: the batch has expired; it cannot be received");
        assert_eq!(app.client.supply_movements(None).await.unwrap().len(), before);
        assert_eq!(lots(&app.client, wa, swab).await, [("S1".to_string(), 500)]);
        assert_eq!(lots(&app.client, wa, n95).await, [("L2".to_string(), 150)]);

        // A transfer moves the same batch to the other county's reserve.
        let mut t = movement("tr-1", "transfer", wa, vec![line("N95", 30, None, None)]);
        t.to_warehouse_id = Some(wb);
        let t = app.client.post_movement(&t).await.unwrap();
        let moved: Vec<(i64, String, i64)> = t.lines.iter().map(|l| (l.warehouse_id, l.lot.clone(), l.quantity)).collect();
        assert_eq!(moved, [(wa, "L2".to_string(), -30), (wb, "L2".to_string(), 30)]);

        // A stock-take finds 100 of L2 where the ledger says 120: one adjustment of -20.
        let st = app
            .client
            .stocktake(wa, &StocktakeCreate {
                idempotency_key: "count-1".into(),
                counts: vec![
                    StockCount { item: "N95".into(), lot: "L2".into(), counted: 100 },
                    StockCount { item: "SWAB".into(), lot: "S1".into(), counted: 500 },
                ],
            })
            .await
            .unwrap();
        let adj = st.adjustment.unwrap();
        assert_eq!((adj.kind.as_str(), adj.note.as_str()), ("adjustment", "stock-take"));
        let adjusted: Vec<(String, i64)> = adj.lines.iter().map(|l| (l.lot.clone(), l.quantity)).collect();
        assert_eq!(adjusted, [("L2".to_string(), -20)]);

        // A batch expiring tomorrow; two days later it cannot be issued, only written off,
        // and an issue without a lot skips it.
        app.client
            .post_movement(&movement("rcv-2", "receipt", wa, vec![line("N95", 10, Some("L0"), Some("2026-12-01"))]))
            .await
            .unwrap();
        app.clock.advance(chrono::Duration::days(2));
        let (status, detail) = refusal(
            app.client
                .post_movement(&movement("iss-5", "issue", wa, vec![line("N95", 5, Some("L0"), None)]))
                .await
                .unwrap_err(),
        );
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            detail,
            "invalid input: lines[0].lot: batch L0 expired on 2026-12-01; an expired batch is only written off"
        );
        let (_, detail) = refusal(
            app.client
                .post_movement(&movement("iss-6", "issue", wa, vec![line("N95", 105, None, None)]))
                .await
                .unwrap_err(),
        );
        assert_eq!(
            detail,
            "conflict: lines[0].quantity: 105 只 of N95 requested, 100 in stock at 驿城区物资储备库 (10 more expired, to be written off)"
        );
        let w = app
            .client
            .post_movement(&movement("wo-1", "write_off", wa, vec![line("N95", 10, Some("L0"), None)]))
            .await
            .unwrap();
        assert_eq!(w.lines[0].quantity, -10);
        assert_eq!(lots(&app.client, wa, n95).await, [("L2".to_string(), 100)]);

        // Stock equals the sum of the ledger's movements, batch by batch.
        assert_eq!(stock_sums(&app.client, &[wa, wb, city]).await, ledger_sums(&app.client).await);
        assert_eq!(app.app.reconcile_supplies().await.unwrap(), []);
        // The database itself refuses a negative balance and any change to the ledger.
        assert!(app.execute_sql("UPDATE supply_stock SET quantity = -1").await.is_err());
        assert!(app.execute_sql("UPDATE supply_movement_lines SET quantity = 1").await.is_err());
        assert!(app.execute_sql("DELETE FROM supply_movements").await.is_err());
        app
    })
    .await;
}

#[tokio::test]
async fn county_operator_runs_its_own_county_only() {
    each_backend(|app| async move {
        let (wa, wb, city) = setup(&app).await;
        let op = app
            .client_for("op", "county-operator", Some("411702"))
            .await;
        op.post_movement(&movement(
            "op-1",
            "receipt",
            wa,
            vec![line("SWAB", 50, Some("S1"), None)],
        ))
        .await
        .unwrap();
        // Another county's reserve is not found; the city reserve is the city's.
        let e = op
            .post_movement(&movement(
                "op-2",
                "receipt",
                wb,
                vec![line("SWAB", 50, Some("S1"), None)],
            ))
            .await
            .unwrap_err();
        assert_eq!(e.status(), Some(StatusCode::NOT_FOUND));
        let e = op
            .post_movement(&movement(
                "op-3",
                "receipt",
                city,
                vec![line("SWAB", 50, Some("S1"), None)],
            ))
            .await
            .unwrap_err();
        assert_eq!(e.status(), Some(StatusCode::FORBIDDEN));
        let mut seen: Vec<i64> = op
            .warehouses()
            .await
            .unwrap()
            .iter()
            .map(|w| w.id)
            .collect();
        seen.sort_unstable();
        assert_eq!(seen, [wa, city]);
        // A commander reads and may not post.
        let commander = app.client_for("cmd", "commander", None).await;
        assert_eq!(
            commander.supplies_board().await.unwrap().warehouses.len(),
            3
        );
        let e = commander
            .post_movement(&movement(
                "c-1",
                "receipt",
                wa,
                vec![line("SWAB", 1, Some("S1"), None)],
            ))
            .await
            .unwrap_err();
        assert_eq!(e.status(), Some(StatusCode::FORBIDDEN));
        app
    })
    .await;
}

/// Residents of a community, for the round's expected samples.
pub(crate) async fn residents(app: &TestApp, code: &str, region: &str, n: u16) {
    for k in 0..n {
        app.client
            .create_person(&PersonCreate {
                id_number: Some(id(region, "1980-01-01", 200 + k)),
                name: format!("居民{k}"),
                community_code: code.into(),
                ..PersonCreate::default()
            })
            .await
            .unwrap();
    }
}

/// A known activity plan: a two-day round over county A (4 residents) from tomorrow and
/// nothing else. Swabs (1 a sample) are needed 2 a day on days 1 and 2; suits (1 a
/// sampler shift of 400 samples) 1 a day on those days.
#[tokio::test]
async fn forecast_and_reorder_alert_on_a_known_activity_plan() {
    each_backend(|app| async move {
        let (wa, _, _) = setup(&app).await;
        residents(&app, A, "411702", 4).await;
        let (status, _) = app
            .client
            .send_json(
                Method::POST,
                "/api/v1/testing/rounds",
                &serde_json::json!({"code": "R1", "name": "第一轮", "jurisdiction_code": "411702",
                    "starts_on": "2026-12-01", "ends_on": "2026-12-02"}),
            )
            .await
            .unwrap();
        assert_eq!(status, StatusCode::CREATED);
        app.client
            .post_movement(&movement(
                "rcv",
                "receipt",
                wa,
                vec![line("SUIT", 100, Some("P1"), None)],
            ))
            .await
            .unwrap();
        let forecast = app.client.supplies_forecast().await.unwrap();
        let of = |code: &str, county: &str| {
            forecast
                .iter()
                .find(|f| f.item_code == code && f.county == county)
                .unwrap()
                .clone()
        };
        let swab = of("SWAB", "411702");
        assert_eq!(&swab.daily[..3], [2.0, 2.0, 0.0]);
        assert_eq!(
            (swab.demand_14, swab.demand_30, swab.peak_daily),
            (4, 4, 2.0)
        );
        // Target 30 days at the peak of 2 = 60, none in stock: 60 in packs of 50 = 100.
        assert_eq!(
            (
                swab.on_hand,
                swab.target,
                swab.reorder,
                swab.runs_out_after_days
            ),
            (0, 60, 100, Some(0))
        );
        let suit = of("SUIT", "411702");
        assert_eq!(&suit.daily[..3], [1.0, 1.0, 0.0]);
        assert_eq!(
            (
                suit.on_hand,
                suit.target,
                suit.reorder,
                suit.runs_out_after_days
            ),
            (100, 30, 0, None)
        );
        assert_eq!(of("SWAB", "411721").daily.iter().sum::<f64>(), 0.0);

        let alerts = app.client.supplies_alerts().await.unwrap();
        let listed: Vec<(String, String, i64, Option<String>)> = alerts
            .iter()
            .map(|a| {
                (
                    a.item_code.clone(),
                    a.county.clone(),
                    a.reorder,
                    a.runs_out_on.clone(),
                )
            })
            .collect();
        // N95 too (1 a sampler shift): target 30, two packs of 20.
        assert_eq!(
            listed,
            [
                (
                    "N95".to_string(),
                    "411702".to_string(),
                    40,
                    Some("2026-12-01".to_string())
                ),
                (
                    "SWAB".to_string(),
                    "411702".to_string(),
                    100,
                    Some("2026-12-01".to_string())
                ),
            ]
        );
        app
    })
    .await;
}

/// County A holds 20 swabs and needs none; county B has 6 residents in a round and no
/// swabs: the least shortage moves 6 from A to B (44 km), which a click turns into a
/// transfer, after which nothing is suggested.
#[tokio::test]
async fn transfer_suggestion_on_a_small_case_becomes_a_transfer() {
    each_backend(|app| async move {
        let (wa, wb, _) = setup(&app).await;
        residents(&app, B, "411721", 6).await;
        app.client
            .send_json(
                Method::POST,
                "/api/v1/testing/rounds",
                &serde_json::json!({"code": "R2", "name": "西平一轮", "jurisdiction_code": "411721",
                    "starts_on": "2026-12-01", "ends_on": "2026-12-01"}),
            )
            .await
            .unwrap();
        app.client
            .post_movement(&movement("rcv", "receipt", wa, vec![line("SWAB", 20, Some("S1"), Some("2027-01-31"))]))
            .await
            .unwrap();
        let plans = app.client.transfer_suggestions().await.unwrap();
        assert_eq!(plans.len(), 1);
        let p = &plans[0];
        assert_eq!((p.item_code.as_str(), p.shortage_before, p.shortage_after), ("SWAB", 6, 0));
        assert_eq!(p.transfers.len(), 1);
        let t = &p.transfers[0];
        assert_eq!((t.from_warehouse_id, t.to_warehouse_id, t.quantity, t.distance_m), (wa, wb, 6, 44_478));
        assert_eq!(
            t.reason_zh,
            "西平县物资储备库需求6支、库存0支，缺口6支；驿城区物资储备库库存20支、需求0支，可调余量20支，\
             调出6支后不低于自身需求；两地相距44.5公里；在总缺口最小的方案中，此方案运距最短"
        );
        let mut order = movement("suggested-1", "transfer", wa, vec![line("SWAB", t.quantity, None, None)]);
        order.to_warehouse_id = Some(wb);
        app.client.post_movement(&order).await.unwrap();
        assert!(app.client.transfer_suggestions().await.unwrap().is_empty());
        assert_eq!(lots(&app.client, wb, p.item_id).await, [("S1".to_string(), 6)]);
        app
    })
    .await;
}

/// A movements sheet through the API: rows sharing a key are one movement; the same file
/// again replays; a bad file names every bad line and posts nothing.
#[tokio::test]
async fn movements_sheet_imports_once() {
    each_backend(|app| async move {
        let (wa, _, _) = setup(&app).await;
        let csv = format!(
            "idempotency_key,kind,warehouse_id,item,quantity,lot,expires_on\n\
             f-1,receipt,{wa},N95,200,L2,2027-06-01\n\
             f-1,receipt,{wa},SWAB,100,S1,2027-01-31\n\
             f-2,issue,{wa},N95,20,,\n"
        );
        let first = app
            .client
            .import_movements("moves.csv", csv.clone().into_bytes())
            .await
            .unwrap();
        let shape: Vec<(String, usize, bool)> = first
            .iter()
            .map(|m| (m.kind.clone(), m.lines.len(), m.replayed))
            .collect();
        assert_eq!(
            shape,
            [
                ("receipt".to_string(), 2, false),
                ("issue".to_string(), 1, false)
            ]
        );
        let again = app
            .client
            .import_movements("moves.csv", csv.into_bytes())
            .await
            .unwrap();
        assert!(again.iter().all(|m| m.replayed));
        assert_eq!(app.client.supply_movements(None).await.unwrap().len(), 2);
        let bad = format!(
            "idempotency_key,kind,warehouse_id,item,quantity\nf-3,lend,{wa},N95,5\nf-4,issue,{wa},N95,0\n"
        );
        let (status, detail) = refusal(
            app.client
                .import_movements("bad.csv", bad.into_bytes())
                .await
                .unwrap_err(),
        );
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(detail.contains("bad.csv"), "{detail}");
        let problem_lines = app
            .client
            .import_movements(
                "bad.csv",
                format!("idempotency_key,kind,warehouse_id,item,quantity\nf-3,lend,{wa},N95,5\nf-4,issue,{wa},N95,0\n").into_bytes(),
            )
            .await
            .unwrap_err();
        let errors: Vec<(Option<u64>, String)> = problem_lines
            .problem()
            .unwrap()
            .errors
            .iter()
            .map(|e| (e.line, e.field.clone()))
            .collect();
        assert_eq!(
            errors,
            [(Some(2), "kind".to_string()), (Some(3), "quantity".to_string())]
        );
        assert_eq!(app.client.supply_movements(None).await.unwrap().len(), 2);
        app
    })
    .await;
}
