//! The supplies pages: the reserves board (days of supply as a heat table item ×
//! warehouse), the demand forecast chart of an item, reorder alerts, transfer suggestions
//! turned into a transfer by a click, a movement form, uploads of count sheets and movement
//! sheets, and the XLSX export of stock and movements. Only `App` functions are called.

use std::collections::HashMap;

use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use chrono::Duration;
use fangkong_app::supplies::{LineInput, MovementInput, Overview};
use fangkong_app::Error;
use fangkong_ingest::export::{ExportCell, Sheet};
use minijinja::{context, Value};
use serde::Deserialize;

use super::forms::{by_lang, china_time, done_text, err, form_error, with_status, Notice};
use super::{check_csrf, render_page, PageResult};
use crate::auth::WebUser;
use crate::i18n::text;
use crate::AppState;

/// The board's query: the item whose forecast is drawn, the message after a redirect.
#[derive(Debug, Default, Deserialize)]
pub struct BoardQuery {
    item: Option<String>,
    done: Option<String>,
}

/// The heat class of a days-of-supply figure.
fn heat(days: Option<f64>) -> &'static str {
    match days {
        None => "heat-none",
        Some(d) if d < 7.0 => "heat-red",
        Some(d) if d < 14.0 => "heat-amber",
        Some(d) if d < 30.0 => "heat-yellow",
        Some(_) => "heat-green",
    }
}

async fn board_page(
    state: &AppState,
    user: &WebUser,
    item: Option<&str>,
    notice: Notice,
) -> PageResult {
    let lang = user.lang;
    let o: Overview = state
        .app
        .supplies_overview(&user.actor)
        .await
        .map_err(err(lang))?;
    let today = state.app.today();
    let names: HashMap<i64, String> = o
        .board
        .warehouses
        .iter()
        .map(|w| (w.id, w.name.clone()))
        .collect();
    let cells: HashMap<(i64, i64), &fangkong_app::supplies::Cell> = o
        .board
        .cells
        .iter()
        .map(|c| ((c.item_id, c.warehouse_id), c))
        .collect();
    let rows: Vec<Value> = o
        .board
        .items
        .iter()
        .map(|i| {
            let cells: Vec<Value> = o
                .board
                .warehouses
                .iter()
                .map(|w| match cells.get(&(i.id, w.id)) {
                    Some(c) => context! {
                        class => heat(c.days_of_supply),
                        days => c.days_of_supply.map(|d| format!("{d:.1}")),
                        usable => c.usable,
                        burn => format!("{:.1}", c.burn_rate),
                        expiring => c.expiring_30,
                    },
                    None => context! { class => "heat-none" },
                })
                .collect();
            context! { code => i.code.clone(), name => i.name.clone(), unit => i.unit.clone(), cells => cells }
        })
        .collect();
    let selected = item
        .and_then(|c| o.board.items.iter().find(|i| i.code == c))
        .or_else(|| o.board.items.first());
    let chart = selected.map(|i| {
        let mut daily = vec![0.0; fangkong_app::supplies::FORECAST_DAYS];
        let mut on_hand = 0;
        let mut target = 0;
        let (mut ledger, mut model) = (0.0, 0.0);
        for f in o.forecasts.iter().filter(|f| f.item.id == i.id) {
            for (d, v) in daily.iter_mut().zip(&f.daily) {
                *d += v;
            }
            on_hand += f.on_hand;
            target += f.position.target;
            ledger += f.ledger_per_day;
            model += f.model_per_day;
        }
        let mut left = on_hand as f64;
        let stock: Vec<f64> = daily
            .iter()
            .map(|d| {
                left -= d;
                (left.max(0.0) * 10.0).round() / 10.0
            })
            .collect();
        let dates: Vec<String> = (1..=daily.len())
            .map(|k| (today + Duration::days(k as i64)).to_string())
            .collect();
        let data = serde_json::json!({
            "dates": dates,
            "demand": daily.iter().map(|d| (d * 10.0).round() / 10.0).collect::<Vec<_>>(),
            "stock": stock,
            "target": target,
            "labels": {
                "demand": text(lang, "supplies.demand"),
                "stock": text(lang, "supplies.projected_stock"),
                "target": text(lang, "supplies.target"),
            },
        });
        context! {
            code => i.code.clone(), name => i.name.clone(), unit => i.unit.clone(),
            on_hand => on_hand, target => target,
            demand_14 => fangkong_app::supplies::ceil_units(daily.iter().take(14).sum()),
            demand_30 => fangkong_app::supplies::ceil_units(daily.iter().sum()),
            ledger => format!("{ledger:.1}"), model => format!("{model:.1}"),
            data => data.to_string(),
        }
    });
    let alerts: Vec<Value> = o
        .alerts
        .iter()
        .map(|a| context! {
            item => format!("{} {}", a.item_code, a.item_name), unit => a.unit.clone(), county => a.county.clone(),
            on_hand => a.on_hand, target => a.target, reorder => a.reorder,
            runs_out_on => a.runs_out_on.map(|d| d.to_string()),
        })
        .collect();
    let transfers: Vec<Value> = o
        .suggestions
        .iter()
        .flat_map(|s| {
            let names = &names;
            s.plan.transfers.iter().map(move |t| context! {
                item => s.item.code.clone(), item_name => s.item.name.clone(), unit => s.item.unit.clone(),
                from => t.from, to => t.to,
                from_name => names.get(&t.from).cloned().unwrap_or_default(),
                to_name => names.get(&t.to).cloned().unwrap_or_default(),
                quantity => t.quantity,
                km => format!("{:.1}", t.distance_m as f64 / 1000.0),
                reason => by_lang(lang, &t.reason_zh, &t.reason_en),
                key => format!("suggested:{today}:{}:{}:{}:{}", s.item.code, t.from, t.to, t.quantity),
            })
        })
        .collect();
    let movements: Vec<Value> = state
        .app
        .supply_movements(&user.actor, None, 20)
        .await
        .map_err(err(lang))?
        .iter()
        .map(|m| {
            context! {
                id => m.movement.id, at => china_time(m.movement.recorded_at),
                kind => text(lang, &format!("supplies.kind.{}", m.movement.kind)),
                warehouse => names.get(&m.movement.warehouse_id).cloned().unwrap_or_default(),
                to => m.movement.to_warehouse_id.and_then(|t| names.get(&t).cloned()),
                lines => m.lines.iter().filter(|l| l.warehouse_id == m.movement.warehouse_id)
                    .map(|l| format!("{} × {}", l.lot, l.quantity)).collect::<Vec<_>>().join(", "),
                by => m.movement.recorded_by.clone(),
            }
        })
        .collect();
    let page = context! {
        warehouses => o.board.warehouses.iter().map(|w| context! {
            id => w.id, name => w.name.clone(), kind => text(lang, &format!("supplies.wkind.{}", w.subtype)),
        }).collect::<Vec<_>>(),
        items => o.board.items.iter().map(|i| context! { code => i.code.clone(), name => i.name.clone() }).collect::<Vec<_>>(),
        rows => rows,
        chart => chart,
        alerts => alerts,
        transfers => transfers,
        movements => movements,
        can_operate => user.actor.scope.can(fangkong_domain::Permission::SuppliesOperate),
        form_key => format!("web:{}", user.actor.operation_id),
        notice => notice.value(),
    };
    with_status(
        render_page(
            state,
            user,
            "supplies/board.html",
            "supplies",
            "/supplies",
            page,
        ),
        notice.failed(),
    )
}

/// `GET /supplies`.
pub async fn board(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<BoardQuery>,
) -> PageResult {
    let notice = Notice {
        done: done_text(user.lang, "supplies", q.done.as_deref()),
        ..Notice::default()
    };
    board_page(&state, &user, q.item.as_deref(), notice).await
}

/// A movement from the page: a suggested transfer's button or the movement form.
#[derive(Debug, Default, Deserialize)]
pub struct MovementForm {
    csrf: String,
    key: String,
    kind: String,
    warehouse_id: String,
    #[serde(default)]
    to_warehouse_id: String,
    item: String,
    quantity: String,
    #[serde(default)]
    lot: String,
    #[serde(default)]
    expires_on: String,
    #[serde(default)]
    note: String,
}

/// `POST /supplies/movements`: posts one movement of one line (a suggested transfer is one).
pub async fn post_movement(
    State(state): State<AppState>,
    user: WebUser,
    Form(f): Form<MovementForm>,
) -> PageResult {
    check_csrf(&user, &f.csrf)?;
    let mut invalid = Vec::new();
    let mut number = |name: &str, v: &str| -> i64 {
        v.trim().parse().unwrap_or_else(|_| {
            invalid.push((name.to_string(), "must be a whole number".to_string()));
            0
        })
    };
    let warehouse_id = number("warehouse_id", &f.warehouse_id);
    let quantity = number("quantity", &f.quantity);
    let to = (!f.to_warehouse_id.trim().is_empty())
        .then(|| number("to_warehouse_id", &f.to_warehouse_id));
    let opt = |v: &str| (!v.trim().is_empty()).then(|| v.trim().to_string());
    let r = if invalid.is_empty() {
        state
            .app
            .post_movement(
                &user.actor,
                &MovementInput {
                    idempotency_key: f.key.clone(),
                    kind: f.kind.clone(),
                    warehouse_id,
                    to_warehouse_id: to,
                    note: f.note.clone(),
                    lines: vec![LineInput {
                        item: f.item.clone(),
                        quantity,
                        lot: opt(&f.lot),
                        expires_on: opt(&f.expires_on),
                    }],
                },
            )
            .await
            .map(|_| ())
    } else {
        Err(Error::Invalid(invalid))
    };
    match r {
        Ok(()) => Ok(Redirect::to(&format!(
            "/supplies?done=posted&item={}",
            urlencode(&f.item)
        ))
        .into_response()),
        Err(e) => {
            let notice = form_error(e, user.lang)?;
            board_page(&state, &user, Some(f.item.as_str()), notice).await
        }
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `POST /supplies/warehouses/{id}/stocktake`: a count sheet posts one adjustment.
pub async fn upload_stocktake(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    form: Multipart,
) -> PageResult {
    let (csrf, file) = super::inbound::upload(form).await;
    check_csrf(&user, &csrf)?;
    let Some((file_name, data)) = file else {
        return board_page(
            &state,
            &user,
            None,
            Notice::error(text(user.lang, "supplies.no_file")),
        )
        .await;
    };
    let notice = match state
        .app
        .import_stocktake(&user.actor, id, &file_name, &data)
        .await
    {
        Ok(Some(v)) => Notice {
            done: Some(format!(
                "{file_name}: {} {}",
                text(user.lang, "supplies.adjusted"),
                v.lines.len()
            )),
            ..Notice::default()
        },
        Ok(None) => Notice {
            done: Some(format!(
                "{file_name}: {}",
                text(user.lang, "supplies.count_matches")
            )),
            ..Notice::default()
        },
        Err(e) => form_error(e, user.lang)?,
    };
    board_page(&state, &user, None, notice).await
}

/// `POST /supplies/movements/upload`: a movements sheet.
pub async fn upload_movements(
    State(state): State<AppState>,
    user: WebUser,
    form: Multipart,
) -> PageResult {
    let (csrf, file) = super::inbound::upload(form).await;
    check_csrf(&user, &csrf)?;
    let Some((file_name, data)) = file else {
        return board_page(
            &state,
            &user,
            None,
            Notice::error(text(user.lang, "supplies.no_file")),
        )
        .await;
    };
    let notice = match state
        .app
        .import_movements(&user.actor, &file_name, &data)
        .await
    {
        Ok(v) => Notice {
            done: Some(format!(
                "{file_name}: {} {}",
                text(user.lang, "supplies.posted_n"),
                v.len()
            )),
            ..Notice::default()
        },
        Err(e) => form_error(e, user.lang)?,
    };
    board_page(&state, &user, None, notice).await
}

/// `GET /supplies/export.xlsx`: stock batch by batch and the ledger's movements.
pub async fn export(State(state): State<AppState>, user: WebUser) -> PageResult {
    let lang = user.lang;
    let warehouses = state.app.warehouses(&user.actor).await.map_err(err(lang))?;
    let names: HashMap<i64, String> = warehouses.iter().map(|w| (w.id, w.name.clone())).collect();
    let items: HashMap<i64, String> = state
        .app
        .supply_items(&user.actor)
        .await
        .map_err(err(lang))?
        .into_iter()
        .map(|i| (i.id, i.code))
        .collect();
    let name = |id: i64| -> ExportCell { names.get(&id).cloned().unwrap_or_default().into() };
    let item = |id: i64| -> ExportCell { items.get(&id).cloned().unwrap_or_default().into() };
    let stock: Vec<Vec<ExportCell>> = state
        .app
        .supply_stock(&user.actor, None)
        .await
        .map_err(err(lang))?
        .iter()
        .map(|s| {
            vec![
                s.warehouse_id.into(),
                name(s.warehouse_id),
                item(s.item_id),
                s.lot.as_str().into(),
                s.expires_on.clone().unwrap_or_default().into(),
                s.quantity.into(),
            ]
        })
        .collect();
    let mut movements = Vec::new();
    for m in state
        .app
        .supply_movements(&user.actor, None, 10_000)
        .await
        .map_err(err(lang))?
    {
        for l in &m.lines {
            movements.push(vec![
                m.movement.idempotency_key.as_str().into(),
                m.movement.kind.as_str().into(),
                china_time(m.movement.recorded_at).into(),
                l.warehouse_id.into(),
                name(l.warehouse_id),
                item(l.item_id),
                l.lot.as_str().into(),
                l.expires_on.clone().unwrap_or_default().into(),
                l.quantity.into(),
                m.movement.recorded_by.as_str().into(),
            ]);
        }
    }
    let head = |keys: &[&str]| keys.iter().map(|k| (*k).to_string()).collect::<Vec<_>>();
    super::testing::xlsx_response(
        "supplies.xlsx",
        &[
            Sheet {
                name: "stock".into(),
                header: head(&[
                    "warehouse_id",
                    "warehouse",
                    "item",
                    "lot",
                    "expires_on",
                    "quantity",
                ]),
                rows: stock,
            },
            Sheet {
                name: "movements".into(),
                header: head(&[
                    "idempotency_key",
                    "kind",
                    "recorded_at",
                    "warehouse_id",
                    "warehouse",
                    "item",
                    "lot",
                    "expires_on",
                    "quantity",
                    "recorded_by",
                ]),
                rows: movements,
            },
        ],
        lang,
    )
}
