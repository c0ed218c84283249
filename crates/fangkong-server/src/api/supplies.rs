//! `/api/v1/supplies`: items and their consumption models, warehouses, stock, the ledger of
//! movements (with idempotency keys), stock-takes, the reserves board, demand forecasts,
//! reorder alerts and transfer suggestions.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use fangkong_api_types::{
    Movement, MovementCreate, MovementLine, Problem, StockBalance, StocktakeCreate,
    StocktakeResult, SuppliesBoard, SupplyAlert, SupplyCell, SupplyForecast, SupplyItem,
    SupplyItemCreate, SupplyModel, SupplyRates, TransferPlan, TransferSuggestion, Warehouse,
    WarehouseCreate,
};
use fangkong_app::supplies::{
    expired, CountInput, ItemInput, LineInput, MovementInput, MovementView, Rates, Suggestion,
};
use fangkong_store::supplies::{ItemRow, WarehouseRow};
use serde::Deserialize;
use utoipa::IntoParams;

use super::ImportQuery;
use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::AppState;

pub(crate) fn item_to_wire(i: &ItemRow) -> SupplyItem {
    SupplyItem {
        id: i.id,
        code: i.code.clone(),
        name: i.name.clone(),
        category: i.category.clone(),
        unit: i.unit.clone(),
        pack_size: i.pack_size,
        target_days: i.target_days,
        rates: SupplyRates {
            per_sample: i.per_sample,
            per_sampler_shift: i.per_sampler_shift,
            per_quarantine_day: i.per_quarantine_day,
            per_bed_day_general: i.per_bed_day_general,
            per_bed_day_icu: i.per_bed_day_icu,
            per_bed_day_isolation: i.per_bed_day_isolation,
            per_team_day: i.per_team_day,
        },
    }
}

pub(crate) fn rates_from_wire(r: &SupplyRates) -> Rates {
    Rates {
        per_sample: r.per_sample,
        per_sampler_shift: r.per_sampler_shift,
        per_quarantine_day: r.per_quarantine_day,
        per_bed_day_general: r.per_bed_day_general,
        per_bed_day_icu: r.per_bed_day_icu,
        per_bed_day_isolation: r.per_bed_day_isolation,
        per_team_day: r.per_team_day,
    }
}

pub(crate) fn warehouse_to_wire(w: &WarehouseRow) -> Warehouse {
    Warehouse {
        id: w.id,
        name: w.name.clone(),
        kind: w.subtype.clone(),
        community_code: w.community_code.clone(),
        lon: w.lon,
        lat: w.lat,
    }
}

pub(crate) fn movement_to_wire(v: &MovementView) -> Movement {
    let m = &v.movement;
    Movement {
        id: m.id,
        idempotency_key: m.idempotency_key.clone(),
        kind: m.kind.clone(),
        warehouse_id: m.warehouse_id,
        to_warehouse_id: m.to_warehouse_id,
        note: m.note.clone(),
        recorded_at: m.recorded_at,
        recorded_by: m.recorded_by.clone(),
        lines: v
            .lines
            .iter()
            .map(|l| MovementLine {
                warehouse_id: l.warehouse_id,
                item_id: l.item_id,
                lot: l.lot.clone(),
                expires_on: l.expires_on.clone(),
                quantity: l.quantity,
            })
            .collect(),
        replayed: v.replayed,
    }
}

pub(crate) fn movement_from_wire(b: MovementCreate) -> MovementInput {
    MovementInput {
        idempotency_key: b.idempotency_key,
        kind: b.kind,
        warehouse_id: b.warehouse_id,
        to_warehouse_id: b.to_warehouse_id,
        note: b.note,
        lines: b
            .lines
            .into_iter()
            .map(|l| LineInput {
                item: l.item,
                quantity: l.quantity,
                lot: l.lot,
                expires_on: l.expires_on,
            })
            .collect(),
    }
}

pub(crate) fn suggestion_to_wire(s: &Suggestion) -> TransferPlan {
    TransferPlan {
        item_id: s.item.id,
        item_code: s.item.code.clone(),
        shortage_before: s.plan.shortage_before,
        shortage_after: s.plan.shortage_after,
        transfers: s
            .plan
            .transfers
            .iter()
            .map(|t| TransferSuggestion {
                item_id: s.item.id,
                item_code: s.item.code.clone(),
                from_warehouse_id: t.from,
                to_warehouse_id: t.to,
                quantity: t.quantity,
                distance_m: t.distance_m,
                reason_zh: t.reason_zh.clone(),
                reason_en: t.reason_en.clone(),
            })
            .collect(),
    }
}

/// Every item with its unit, pack size, reserve target and consumption model.
#[utoipa::path(get, path = "/api/v1/supplies/items", tag = "supplies",
    responses((status = 200, body = Vec<SupplyItem>), (status = 403, body = Problem)))]
pub async fn items(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<SupplyItem>>> {
    let rows = state.app.supply_items(&actor).await?;
    Ok(Json(rows.iter().map(item_to_wire).collect()))
}

/// Add an item to the city's catalogue (city level only).
#[utoipa::path(post, path = "/api/v1/supplies/items", tag = "supplies", request_body = SupplyItemCreate,
    responses((status = 201, body = SupplyItem), (status = 403, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)))]
pub async fn create_item(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(b): Json<SupplyItemCreate>,
) -> ApiResult<(StatusCode, Json<SupplyItem>)> {
    let i = state
        .app
        .create_supply_item(
            &actor,
            &ItemInput {
                code: b.code,
                name: b.name,
                category: b.category,
                unit: b.unit,
                pack_size: b.pack_size,
                target_days: b.target_days,
                rates: rates_from_wire(&b.rates),
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(item_to_wire(&i))))
}

/// Set an item's consumption model and reserve target (city level only).
#[utoipa::path(post, path = "/api/v1/supplies/items/{id}/model", tag = "supplies",
    params(("id" = i64, Path, description = "Item id")), request_body = SupplyModel,
    responses((status = 200, body = SupplyItem), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn set_model(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(b): Json<SupplyModel>,
) -> ApiResult<Json<SupplyItem>> {
    let i = state
        .app
        .set_supply_model(&actor, id, b.target_days, &rates_from_wire(&b.rates))
        .await?;
    Ok(Json(item_to_wire(&i)))
}

/// The warehouses inside the caller's jurisdiction.
#[utoipa::path(get, path = "/api/v1/supplies/warehouses", tag = "supplies",
    responses((status = 200, body = Vec<Warehouse>), (status = 403, body = Problem)))]
pub async fn warehouses(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<Warehouse>>> {
    let rows = state.app.warehouses(&actor).await?;
    Ok(Json(rows.iter().map(warehouse_to_wire).collect()))
}

/// Set up a warehouse (city reserve, county reserve or a site's store).
#[utoipa::path(post, path = "/api/v1/supplies/warehouses", tag = "supplies", request_body = WarehouseCreate,
    responses((status = 201, body = Warehouse), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_warehouse(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(b): Json<WarehouseCreate>,
) -> ApiResult<(StatusCode, Json<Warehouse>)> {
    let w = state
        .app
        .create_warehouse(
            &actor,
            &b.name,
            &b.kind,
            &b.community_code,
            b.lon.zip(b.lat),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(warehouse_to_wire(&w))))
}

/// The balances of a warehouse, batch by batch, earliest expiry first.
#[utoipa::path(get, path = "/api/v1/supplies/warehouses/{id}/stock", tag = "supplies",
    params(("id" = i64, Path, description = "Warehouse id")),
    responses((status = 200, body = Vec<StockBalance>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn stock(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<StockBalance>>> {
    let today = state.app.today();
    let rows = state.app.supply_stock(&actor, Some(id)).await?;
    Ok(Json(
        rows.into_iter()
            .map(|s| StockBalance {
                warehouse_id: s.warehouse_id,
                item_id: s.item_id,
                expired: expired(s.expires_on.as_deref(), today),
                lot: s.lot,
                expires_on: s.expires_on,
                quantity: s.quantity,
            })
            .collect(),
    ))
}

/// Post a stock-take: each counted batch that differs from the ledger becomes a line of one
/// adjustment.
#[utoipa::path(post, path = "/api/v1/supplies/warehouses/{id}/stocktake", tag = "supplies",
    params(("id" = i64, Path, description = "Warehouse id")), request_body = StocktakeCreate,
    responses((status = 200, body = StocktakeResult), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn stocktake(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(b): Json<StocktakeCreate>,
) -> ApiResult<Json<StocktakeResult>> {
    let counts: Vec<CountInput> = b
        .counts
        .into_iter()
        .map(|c| CountInput {
            item: c.item,
            lot: c.lot,
            counted: c.counted,
        })
        .collect();
    let v = state
        .app
        .stocktake(&actor, id, &b.idempotency_key, &counts)
        .await?;
    Ok(Json(StocktakeResult {
        adjustment: v.as_ref().map(movement_to_wire),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct MovementQuery {
    /// Only movements of this warehouse (from or to).
    warehouse: Option<i64>,
    limit: Option<i64>,
}

/// The ledger: movements of the warehouses inside the caller's jurisdiction, newest first.
#[utoipa::path(get, path = "/api/v1/supplies/movements", tag = "supplies", params(MovementQuery),
    responses((status = 200, body = Vec<Movement>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn movements(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<MovementQuery>,
) -> ApiResult<Json<Vec<Movement>>> {
    let rows = state
        .app
        .supply_movements(&actor, q.warehouse, q.limit.unwrap_or(500))
        .await?;
    Ok(Json(rows.iter().map(movement_to_wire).collect()))
}

/// Post a receipt, issue, transfer, adjustment or write-off: all lines or none. Issues and
/// transfers take batches first-expiry-first-out and never an expired batch. The same
/// idempotency key with the same request answers the stored movement (200, `replayed`).
#[utoipa::path(post, path = "/api/v1/supplies/movements", tag = "supplies", request_body = MovementCreate,
    responses((status = 201, body = Movement), (status = 200, body = Movement, description = "Replayed"),
              (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn post_movement(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(b): Json<MovementCreate>,
) -> ApiResult<(StatusCode, Json<Movement>)> {
    let v = state
        .app
        .post_movement(&actor, &movement_from_wire(b))
        .await?;
    let status = if v.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(movement_to_wire(&v))))
}

/// The reserves board: stock, the ledger's burn rate and days of supply, item × warehouse.
#[utoipa::path(get, path = "/api/v1/supplies/board", tag = "supplies",
    responses((status = 200, body = SuppliesBoard), (status = 403, body = Problem)))]
pub async fn board(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<SuppliesBoard>> {
    let b = state.app.supplies_board(&actor).await?;
    Ok(Json(SuppliesBoard {
        items: b.items.iter().map(item_to_wire).collect(),
        warehouses: b.warehouses.iter().map(warehouse_to_wire).collect(),
        cells: b
            .cells
            .iter()
            .map(|c| SupplyCell {
                warehouse_id: c.warehouse_id,
                item_id: c.item_id,
                on_hand: c.on_hand,
                usable: c.usable,
                expiring_30: c.expiring_30,
                burn_rate: c.burn_rate,
                days_of_supply: c.days_of_supply,
            })
            .collect(),
    }))
}

/// Demand forecasts of every item for every county, 30 days, from the activity forecast.
#[utoipa::path(get, path = "/api/v1/supplies/forecast", tag = "supplies",
    responses((status = 200, body = Vec<SupplyForecast>), (status = 403, body = Problem)))]
pub async fn forecast(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<SupplyForecast>>> {
    let rows = state.app.supplies_forecast(&actor).await?;
    Ok(Json(
        rows.iter()
            .map(|f| SupplyForecast {
                item_id: f.item.id,
                item_code: f.item.code.clone(),
                county: f.county.clone(),
                on_hand: f.on_hand,
                daily: f.daily.clone(),
                demand_14: f.position.demand_14,
                demand_30: f.position.demand_30,
                peak_daily: f.position.peak_daily,
                target: f.position.target,
                reorder: f.position.reorder,
                runs_out_after_days: f.position.runs_out_after_days,
                ledger_per_day: f.ledger_per_day,
                model_per_day: f.model_per_day,
                scenario_id: f.scenario_id,
            })
            .collect(),
    ))
}

/// Reorder alerts with quantities, most urgent first.
#[utoipa::path(get, path = "/api/v1/supplies/alerts", tag = "supplies",
    responses((status = 200, body = Vec<SupplyAlert>), (status = 403, body = Problem)))]
pub async fn alerts(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<SupplyAlert>>> {
    let rows = state.app.supplies_alerts(&actor).await?;
    Ok(Json(
        rows.into_iter()
            .map(|a| SupplyAlert {
                item_id: a.item_id,
                item_code: a.item_code,
                item_name: a.item_name,
                unit: a.unit,
                county: a.county,
                on_hand: a.on_hand,
                target: a.target,
                reorder: a.reorder,
                runs_out_on: a.runs_out_on.map(|d| d.to_string()),
            })
            .collect(),
    ))
}

/// Transfer suggestions between county reserves that minimise the total expected shortage
/// over the next 14 days, each explained.
#[utoipa::path(get, path = "/api/v1/supplies/transfers/suggestions", tag = "supplies",
    responses((status = 200, body = Vec<TransferPlan>), (status = 403, body = Problem)))]
pub async fn suggestions(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<TransferPlan>>> {
    let rows = state.app.transfer_suggestions(&actor).await?;
    Ok(Json(rows.iter().map(suggestion_to_wire).collect()))
}

/// Import a movements sheet (CSV, XLSX or NDJSON: `idempotency_key`, `kind`, `warehouse_id`,
/// `item`, `quantity`, optionally `to_warehouse_id`, `lot`, `expires_on`, `note`; rows
/// sharing a key are one movement), in file order. Re-sending the file replays what was
/// posted.
#[utoipa::path(post, path = "/api/v1/supplies/movements:import", tag = "supplies", params(ImportQuery),
    request_body(content = Vec<u8>, description = "The file", content_type = "application/octet-stream"),
    responses((status = 200, body = Vec<Movement>), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn import_movements(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<ImportQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Vec<Movement>>> {
    let file = q.file_name.unwrap_or_else(|| "movements.csv".to_string());
    let rows = state.app.import_movements(&actor, &file, &body).await?;
    Ok(Json(rows.iter().map(movement_to_wire).collect()))
}

/// Import a stock-take count sheet (CSV, XLSX or NDJSON: `item`, `lot`, `counted`): each
/// counted batch that differs from the ledger becomes a line of one adjustment; the same
/// sheet again changes nothing.
#[utoipa::path(post, path = "/api/v1/supplies/warehouses/{id}/stocktake:import", tag = "supplies",
    params(("id" = i64, Path, description = "Warehouse id"), ImportQuery),
    request_body(content = Vec<u8>, description = "The file", content_type = "application/octet-stream"),
    responses((status = 200, body = StocktakeResult), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn import_stocktake(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Query(q): Query<ImportQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Json<StocktakeResult>> {
    let file = q.file_name.unwrap_or_else(|| "count.csv".to_string());
    let v = state.app.import_stocktake(&actor, id, &file, &body).await?;
    Ok(Json(StocktakeResult {
        adjustment: v.as_ref().map(movement_to_wire),
    }))
}
