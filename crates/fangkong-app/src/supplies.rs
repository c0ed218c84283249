//! Supplies and reserves (物资保障): warehouses, items with their consumption models, the
//! stock ledger (receipts, issues, transfers, adjustments, write-offs, stock-takes), days of
//! supply, the demand forecast from the platform's activity forecast, reorder alerts and
//! transfer suggestions between county reserves.
//!
//! The arithmetic is `fangkong_supplies_plan`; this module reads the ledger and the activity
//! (samples, quarantine stays, admissions by bed type, team deployments, planned testing
//! rounds, the room and bed forecasts) through the store and checks access. It never reads
//! a person: activity is counted, not listed.
//!
//! Ledger rules: every movement carries an idempotency key (the same key and request again
//! answers the stored movement and changes nothing; the key with another request is a
//! conflict); a movement is posted whole or not at all; an issue or transfer takes batches
//! first-expiry-first-out and never an expired batch (an expired batch leaves only by a
//! write-off); no balance goes below zero.

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDate};
use fangkong_domain::{JurisdictionCode, Permission, Scope};
use fangkong_store::supplies::{
    ItemRow, LineRow, MovementRow, NewItem, NewLine, NewMovement, StockRow, WarehouseRow,
};
use fangkong_supplies_plan::burn::{days_of_supply, ledger_burn_rate};
use fangkong_supplies_plan::demand;
pub use fangkong_supplies_plan::demand::ceil_units;
pub use fangkong_supplies_plan::demand::{Activity, Position, Rates};
pub use fangkong_supplies_plan::transfer::Plan;
use fangkong_supplies_plan::transfer::{self, Reserve};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::{Actor, App, Error, Result};

/// Days of ledger issues the burn rate is measured over.
pub const BURN_DAYS: u32 = 14;
/// Days forecast (the 14- and 30-day demands are read from it).
pub const FORECAST_DAYS: usize = 30;
/// Days of need a county reserve is judged against for transfers.
pub const TRANSFER_HORIZON_DAYS: usize = 14;
/// Warehouse kinds.
pub const WAREHOUSE_KINDS: [&str; 3] = ["city_reserve", "county_reserve", "site_store"];
/// Movement kinds.
pub const MOVEMENT_KINDS: [&str; 5] = ["receipt", "issue", "transfer", "adjustment", "write_off"];

/// A new item.
#[derive(Debug, Clone)]
pub struct ItemInput {
    pub code: String,
    pub name: String,
    pub category: String,
    pub unit: String,
    pub pack_size: i64,
    pub target_days: i64,
    pub rates: Rates,
}

/// The seven rates in the store's column order.
pub fn rates_array(r: &Rates) -> [f64; 7] {
    [
        r.per_sample,
        r.per_sampler_shift,
        r.per_quarantine_day,
        r.per_bed_day_general,
        r.per_bed_day_icu,
        r.per_bed_day_isolation,
        r.per_team_day,
    ]
}

/// The rates of an item.
pub fn rates_of(i: &ItemRow) -> Rates {
    Rates {
        per_sample: i.per_sample,
        per_sampler_shift: i.per_sampler_shift,
        per_quarantine_day: i.per_quarantine_day,
        per_bed_day_general: i.per_bed_day_general,
        per_bed_day_icu: i.per_bed_day_icu,
        per_bed_day_isolation: i.per_bed_day_isolation,
        per_team_day: i.per_team_day,
    }
}

/// One line of a movement request.
#[derive(Debug, Clone, PartialEq)]
pub struct LineInput {
    /// The item's code.
    pub item: String,
    /// Units; positive, except in an adjustment where the sign says which way.
    pub quantity: i64,
    /// The batch: required for receipts, adjustments and write-offs; an issue or transfer
    /// without it takes batches first-expiry-first-out.
    pub lot: Option<String>,
    /// YYYY-MM-DD, for a batch received for the first time.
    pub expires_on: Option<String>,
}

/// A movement request.
#[derive(Debug, Clone, PartialEq)]
pub struct MovementInput {
    pub idempotency_key: String,
    pub kind: String,
    pub warehouse_id: i64,
    pub to_warehouse_id: Option<i64>,
    pub note: String,
    pub lines: Vec<LineInput>,
}

/// A movement with its lines; `replayed` when the key had been posted before.
#[derive(Debug, Clone)]
pub struct MovementView {
    pub movement: MovementRow,
    pub lines: Vec<LineRow>,
    pub replayed: bool,
}

/// One counted line of a stock-take.
#[derive(Debug, Clone, PartialEq)]
pub struct CountInput {
    pub item: String,
    pub lot: String,
    pub counted: i64,
}

/// One cell of the reserves board: an item at a warehouse.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub warehouse_id: i64,
    pub item_id: i64,
    /// All units, and those not expired.
    pub on_hand: i64,
    pub usable: i64,
    /// Units in batches expiring within 30 days (not yet expired).
    pub expiring_30: i64,
    /// Issued per day over the last [`BURN_DAYS`] days (the ledger's burn rate).
    pub burn_rate: f64,
    /// Usable units over the burn rate; `None` when nothing is issued.
    pub days_of_supply: Option<f64>,
}

/// The reserves board: days of supply, item × warehouse.
#[derive(Debug, Clone)]
pub struct Board {
    pub items: Vec<ItemRow>,
    pub warehouses: Vec<WarehouseRow>,
    pub cells: Vec<Cell>,
}

/// An item's forecast for one county (or the whole city for the city reserve).
#[derive(Debug, Clone)]
pub struct ItemForecast {
    pub item: ItemRow,
    /// The county's code (six digits).
    pub county: String,
    /// Usable units at the county's warehouses.
    pub on_hand: i64,
    /// Demand per day from tomorrow, [`FORECAST_DAYS`] days.
    pub daily: Vec<f64>,
    pub position: Position,
    /// Units issued per day over the last [`BURN_DAYS`] days (ledger) and what the model
    /// says the measured activity of those days consumed, per day.
    pub ledger_per_day: f64,
    pub model_per_day: f64,
    /// The scenario forecast the county's plan includes, if any.
    pub scenario_id: Option<i64>,
}

/// The activity of a county: the last [`BURN_DAYS`] days measured and the next
/// [`FORECAST_DAYS`] planned.
#[derive(Debug, Clone, Default)]
pub struct CountyActivity {
    pub measured: Vec<Activity>,
    pub planned: Vec<Activity>,
    /// The scenario forecast whose quarantine person-days the plan includes.
    pub scenario_id: Option<i64>,
}

/// A reorder alert: an item of a county whose stock falls short of its reserve target or
/// runs out within 14 days.
#[derive(Debug, Clone)]
pub struct Alert {
    pub item_id: i64,
    pub item_code: String,
    pub item_name: String,
    pub unit: String,
    pub county: String,
    pub on_hand: i64,
    pub target: i64,
    pub reorder: i64,
    pub runs_out_on: Option<NaiveDate>,
}

/// Suggested transfers of one item between county reserves.
#[derive(Debug, Clone)]
pub struct Suggestion {
    pub item: ItemRow,
    pub plan: transfer::Plan,
}

/// Whether a batch expiring on `expires_on` is expired on `today` (usable through its day).
pub fn expired(expires_on: Option<&str>, today: NaiveDate) -> bool {
    expires_on
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .is_some_and(|d| d < today)
}

fn county_of(code: &str) -> String {
    code.chars().take(6).collect()
}

fn sha256_json(v: &serde_json::Value) -> String {
    format!("{:x}", Sha256::digest(v.to_string().as_bytes()))
}

fn haversine_m(a: &WarehouseRow, b: &WarehouseRow) -> i64 {
    let (Some(lon1), Some(lat1), Some(lon2), Some(lat2)) = (a.lon, a.lat, b.lon, b.lat) else {
        return 0;
    };
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    #[allow(clippy::cast_possible_truncation)]
    let m = (2.0 * 6_371_000.0 * h.sqrt().asin()).round() as i64;
    m
}

impl App {
    /// Every item with its consumption model.
    ///
    /// # Errors
    /// `Forbidden` without `supplies.read`.
    pub async fn supply_items(&self, actor: &Actor) -> Result<Vec<ItemRow>> {
        actor.require(Permission::SuppliesRead)?;
        Ok(self.store().supplies().items().await?)
    }

    /// Adds an item. Audited.
    ///
    /// # Errors
    /// `Forbidden` without `supplies.operate` or below the city level (the catalogue is the
    /// city's); `Invalid` for an empty code, name or unit, a
    /// pack size below 1, a target outside 1–365 days or a negative rate; `Conflict` for a
    /// code taken.
    pub async fn create_supply_item(&self, actor: &Actor, i: &ItemInput) -> Result<ItemRow> {
        actor.require(Permission::SuppliesOperate)?;
        require_city_level(actor)?;
        let mut invalid = Vec::new();
        for (field, value) in [("code", &i.code), ("name", &i.name), ("unit", &i.unit)] {
            if value.trim().is_empty() || value.chars().count() > 100 {
                invalid.push((field.to_string(), "must be 1 to 100 characters".to_string()));
            }
        }
        if i.pack_size < 1 {
            invalid.push(("pack_size".into(), "must be at least 1".into()));
        }
        check_model(&mut invalid, i.target_days, &i.rates);
        if !invalid.is_empty() {
            return Err(Error::Invalid(invalid));
        }
        let id = self
            .store()
            .supplies()
            .create_item(&NewItem {
                code: i.code.trim(),
                name: i.name.trim(),
                category: i.category.trim(),
                unit: i.unit.trim(),
                pack_size: i.pack_size,
                target_days: i.target_days,
                rates: rates_array(&i.rates),
            })
            .await
            .map_err(|e| match Error::from(e) {
                Error::Conflict(_) => {
                    Error::Conflict(format!("item code {} is taken", i.code.trim()))
                }
                other => other,
            })?;
        self.audit(
            actor,
            "supplies.item.create",
            "supply_item",
            Some(id.to_string()),
            None,
            json!({"code": i.code.trim()}),
        )
        .await?;
        self.item_by_id(id).await
    }

    async fn item_by_id(&self, id: i64) -> Result<ItemRow> {
        self.store()
            .supplies()
            .items()
            .await?
            .into_iter()
            .find(|i| i.id == id)
            .ok_or(Error::NotFound)
    }

    /// Sets an item's consumption model and reserve target (the defaults are documented in
    /// `docs`; staff edit them as experience accrues). Audited.
    ///
    /// # Errors
    /// `Forbidden` without `supplies.operate`; `NotFound` for an unknown item; `Invalid`
    /// for a negative rate or a target outside 1–365 days.
    pub async fn set_supply_model(
        &self,
        actor: &Actor,
        item_id: i64,
        target_days: i64,
        rates: &Rates,
    ) -> Result<ItemRow> {
        actor.require(Permission::SuppliesOperate)?;
        require_city_level(actor)?;
        let mut invalid = Vec::new();
        check_model(&mut invalid, target_days, rates);
        if !invalid.is_empty() {
            return Err(Error::Invalid(invalid));
        }
        self.store()
            .supplies()
            .set_model(item_id, target_days, rates_array(rates))
            .await?;
        self.audit(
            actor,
            "supplies.item.model",
            "supply_item",
            Some(item_id.to_string()),
            None,
            json!({"target_days": target_days, "rates": rates_array(rates)}),
        )
        .await?;
        self.item_by_id(item_id).await
    }

    /// The warehouses inside the actor's jurisdiction.
    ///
    /// # Errors
    /// `Forbidden` without `supplies.read`.
    pub async fn warehouses(&self, actor: &Actor) -> Result<Vec<WarehouseRow>> {
        actor.require(Permission::SuppliesRead)?;
        Ok(self.store().supplies().warehouses(&actor.scope).await?)
    }

    /// Sets up a warehouse (city reserve, county reserve or a site's store) in a community
    /// of the actor's jurisdiction. Audited.
    ///
    /// # Errors
    /// `Forbidden` without `supplies.operate` or outside the jurisdiction; `Invalid` for an
    /// empty name, an unknown kind or community.
    pub async fn create_warehouse(
        &self,
        actor: &Actor,
        name: &str,
        kind: &str,
        community_code: &str,
        lon_lat: Option<(f64, f64)>,
    ) -> Result<WarehouseRow> {
        actor.require(Permission::SuppliesOperate)?;
        let mut invalid = Vec::new();
        if name.trim().is_empty() || name.chars().count() > 100 {
            invalid.push((
                "name".to_string(),
                "must be 1 to 100 characters".to_string(),
            ));
        }
        if !WAREHOUSE_KINDS.contains(&kind) {
            invalid.push((
                "kind".to_string(),
                format!("must be one of {}", WAREHOUSE_KINDS.join(", ")),
            ));
        }
        let code = community_code.trim();
        if JurisdictionCode::parse(code)
            .map(|c| c.as_str().len() != 12)
            .unwrap_or(true)
        {
            invalid.push((
                "community_code".to_string(),
                "must be a 12-digit community code".to_string(),
            ));
        }
        if !invalid.is_empty() {
            return Err(Error::Invalid(invalid));
        }
        if !actor.scope.covers(code) {
            return Err(Error::Forbidden);
        }
        let id = self
            .store()
            .supplies()
            .create_warehouse(
                name.trim(),
                kind,
                code,
                lon_lat.map(|p| p.0),
                lon_lat.map(|p| p.1),
            )
            .await
            .map_err(|e| match Error::from(e) {
                Error::Conflict(_) => {
                    Error::invalid("community_code", format!("unknown community {code}"))
                }
                other => other,
            })?;
        self.audit(
            actor,
            "supplies.warehouse.create",
            "facility",
            Some(id.to_string()),
            None,
            json!({"kind": kind}),
        )
        .await?;
        Ok(self.store().supplies().warehouse(&actor.scope, id).await?)
    }

    /// The balances of one warehouse (or all in the jurisdiction), batch by batch, earliest
    /// expiry first.
    ///
    /// # Errors
    /// `Forbidden` without `supplies.read`; `NotFound` for a warehouse outside the
    /// jurisdiction.
    pub async fn supply_stock(
        &self,
        actor: &Actor,
        warehouse: Option<i64>,
    ) -> Result<Vec<StockRow>> {
        actor.require(Permission::SuppliesRead)?;
        if let Some(w) = warehouse {
            self.store().supplies().warehouse(&actor.scope, w).await?;
        }
        Ok(self
            .store()
            .supplies()
            .stock(&actor.scope, warehouse, None)
            .await?)
    }

    /// The movements of the jurisdiction's warehouses (or one), newest first, with lines.
    ///
    /// # Errors
    /// `Forbidden` without `supplies.read`; `NotFound` for a warehouse outside the
    /// jurisdiction.
    pub async fn supply_movements(
        &self,
        actor: &Actor,
        warehouse: Option<i64>,
        limit: i64,
    ) -> Result<Vec<MovementView>> {
        actor.require(Permission::SuppliesRead)?;
        if let Some(w) = warehouse {
            self.store().supplies().warehouse(&actor.scope, w).await?;
        }
        let store = self.store().supplies();
        let movements = store
            .movements(&actor.scope, warehouse, limit.clamp(1, 10_000))
            .await?;
        let ids: Vec<i64> = movements.iter().map(|m| m.id).collect();
        let mut lines: BTreeMap<i64, Vec<LineRow>> = BTreeMap::new();
        for l in store.lines(&ids).await? {
            lines.entry(l.movement_id).or_default().push(l);
        }
        Ok(movements
            .into_iter()
            .map(|m| MovementView {
                lines: lines.remove(&m.id).unwrap_or_default(),
                movement: m,
                replayed: false,
            })
            .collect())
    }

    /// Posts a movement: all of its lines or none. See the module's ledger rules. Audited
    /// (not on a replay).
    ///
    /// # Errors
    /// `Forbidden` without `supplies.operate`, or for a warehouse outside the jurisdiction
    /// (`NotFound`); `Invalid` naming each bad field (kind, key, a quantity not positive,
    /// an unknown item, a lot missing, an expired batch issued, a date not YYYY-MM-DD);
    /// `Conflict` for more than is in stock, or for a key already used by another request.
    pub async fn post_movement(&self, actor: &Actor, m: &MovementInput) -> Result<MovementView> {
        self.post_movement_at(actor, m, self.now_ms()).await
    }

    /// [`App::post_movement`] recorded at `at_ms` (the demo's history).
    pub(crate) async fn post_movement_at(
        &self,
        actor: &Actor,
        m: &MovementInput,
        at_ms: i64,
    ) -> Result<MovementView> {
        actor.require(Permission::SuppliesOperate)?;
        let store = self.store().supplies();
        let hash = sha256_json(&json!({
            "kind": m.kind, "warehouse_id": m.warehouse_id, "to_warehouse_id": m.to_warehouse_id,
            "note": m.note, "lines": m.lines.iter().map(|l| json!([l.item, l.quantity, l.lot, l.expires_on])).collect::<Vec<_>>(),
        }));
        let key = m.idempotency_key.trim();
        if key.is_empty() || key.chars().count() > 200 {
            return Err(Error::invalid(
                "idempotency_key",
                "must be 1 to 200 characters",
            ));
        }
        if let Some(found) = store.movement_by_key(key).await? {
            if found.request_sha256 != hash {
                return Err(Error::Conflict(format!(
                    "idempotency key {key} was used for another movement"
                )));
            }
            // The stored movement answers only inside the actor's jurisdiction.
            store.warehouse(&actor.scope, found.warehouse_id).await?;
            let lines = store.lines(&[found.id]).await?;
            return Ok(MovementView {
                movement: found,
                lines,
                replayed: true,
            });
        }
        if !MOVEMENT_KINDS.contains(&m.kind.as_str()) {
            return Err(Error::invalid(
                "kind",
                format!("must be one of {}", MOVEMENT_KINDS.join(", ")),
            ));
        }
        let source = store.warehouse(&actor.scope, m.warehouse_id).await?;
        self.may_operate(actor, &source)?;
        let destination = match (m.kind.as_str(), m.to_warehouse_id) {
            ("transfer", Some(to)) if to == m.warehouse_id => {
                return Err(Error::invalid(
                    "to_warehouse_id",
                    "must differ from the source warehouse",
                ))
            }
            // A transfer may go to any warehouse of the city: the receiving county's reserve
            // is usually outside the sending county's jurisdiction.
            ("transfer", Some(to)) => Some(store.warehouse(&Scope::system(), to).await?),
            ("transfer", None) => {
                return Err(Error::invalid(
                    "to_warehouse_id",
                    "a transfer needs a destination",
                ))
            }
            (_, Some(_)) => {
                return Err(Error::invalid(
                    "to_warehouse_id",
                    "only a transfer has a destination",
                ))
            }
            (_, None) => None,
        };
        let lines = self.plan_lines(m, &source, destination.as_ref()).await?;
        let posted = store
            .post(&NewMovement {
                idempotency_key: key,
                request_sha256: &hash,
                kind: &m.kind,
                warehouse_id: source.id,
                to_warehouse_id: destination.as_ref().map(|d| d.id),
                community_code: &source.community_code,
                note: m.note.trim(),
                recorded_at: at_ms,
                recorded_by: &actor.label(),
                lines: &lines,
            })
            .await
            .map_err(|e| match Error::from(e) {
                Error::Conflict(c) if c == "stock" => Error::Conflict(
                    "the stock changed while posting; nothing was written, try again".to_string(),
                ),
                Error::Conflict(_) => Error::Conflict(format!(
                    "idempotency key {key} was used for another movement"
                )),
                other => other,
            })?;
        if !posted.replayed {
            self.audit(
                actor,
                "supplies.movement",
                "supply_movement",
                Some(posted.movement.id.to_string()),
                None,
                json!({"kind": m.kind, "warehouse": source.id, "lines": lines.len()}),
            )
            .await?;
        }
        let stored = store.lines(&[posted.movement.id]).await?;
        Ok(MovementView {
            movement: posted.movement,
            lines: stored,
            replayed: posted.replayed,
        })
    }

    /// Whether the actor may move stock of this warehouse: the city reserve only by an actor
    /// of the city or above (a county operator runs the county's stores).
    fn may_operate(&self, actor: &Actor, w: &WarehouseRow) -> Result<()> {
        if w.subtype == "city_reserve" {
            require_city_level(actor)?;
        }
        Ok(())
    }

    /// The signed ledger lines of a request: validation, batches, FEFO.
    async fn plan_lines(
        &self,
        m: &MovementInput,
        source: &WarehouseRow,
        destination: Option<&WarehouseRow>,
    ) -> Result<Vec<NewLine>> {
        let store = self.store().supplies();
        let today = self.today();
        let items: HashMap<String, ItemRow> = store
            .items()
            .await?
            .into_iter()
            .map(|i| (i.code.clone(), i))
            .collect();
        let mut invalid = Vec::new();
        if m.lines.is_empty() {
            invalid.push((
                "lines".to_string(),
                "at least one line is needed".to_string(),
            ));
        }
        let stock = store.stock(&Scope::system(), Some(source.id), None).await?;
        // What earlier lines of this request already took, per batch.
        let mut taken: HashMap<i64, i64> = HashMap::new();
        let mut out = Vec::new();
        let mut short = Vec::new();
        for (k, l) in m.lines.iter().enumerate() {
            let field = |f: &str| format!("lines[{k}].{f}");
            let Some(item) = items.get(l.item.trim()) else {
                invalid.push((field("item"), format!("unknown item {}", l.item.trim())));
                continue;
            };
            let adjustment = m.kind == "adjustment";
            if l.quantity == 0 || (!adjustment && l.quantity < 0) {
                invalid.push((
                    field("quantity"),
                    "must be a positive whole number".to_string(),
                ));
                continue;
            }
            if let Some(d) = &l.expires_on {
                if NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err() {
                    invalid.push((field("expires_on"), "must be a date YYYY-MM-DD".to_string()));
                    continue;
                }
            }
            let lot = l.lot.as_deref().map(str::trim).filter(|s| !s.is_empty());
            let incoming = m.kind == "receipt" || (adjustment && l.quantity > 0);
            if incoming {
                let Some(lot) = lot else {
                    invalid.push((field("lot"), "a receipt names the batch".to_string()));
                    continue;
                };
                if m.kind == "receipt" && expired(l.expires_on.as_deref(), today) {
                    invalid.push((
                        field("expires_on"),
                        "the batch has expired; it cannot be received".to_string(),
                    ));
                    continue;
                }
                let (batch, stored_expiry) = store
                    .ensure_batch(item.id, lot, l.expires_on.as_deref())
                    .await?;
                if l.expires_on.is_some() && stored_expiry != l.expires_on {
                    invalid.push((
                        field("expires_on"),
                        format!(
                            "batch {lot} is on record expiring {}",
                            stored_expiry.as_deref().unwrap_or("never")
                        ),
                    ));
                    continue;
                }
                out.push(NewLine {
                    warehouse_id: source.id,
                    item_id: item.id,
                    batch_id: batch,
                    quantity: l.quantity,
                });
                continue;
            }
            // Outgoing: issue, transfer, write-off, negative adjustment.
            let want = l.quantity.abs();
            let candidates: Vec<&StockRow> = stock
                .iter()
                .filter(|s| s.item_id == item.id && lot.is_none_or(|lot| s.lot == lot))
                .collect();
            if let Some(lot) = lot {
                if candidates.is_empty() {
                    invalid.push((
                        field("lot"),
                        format!("no stock of batch {lot} of {} here", item.code),
                    ));
                    continue;
                }
            }
            let consumes = m.kind == "issue" || m.kind == "transfer";
            if consumes {
                if let Some(s) = candidates
                    .iter()
                    .find(|s| expired(s.expires_on.as_deref(), today))
                {
                    if lot.is_some() {
                        invalid.push((
                            field("lot"),
                            format!(
                                "batch {} expired on {}; an expired batch is only written off",
                                s.lot,
                                s.expires_on.as_deref().unwrap_or_default()
                            ),
                        ));
                        continue;
                    }
                }
            }
            // First expiry first out (the store lists them so), expired batches skipped for
            // an issue or a transfer.
            let mut left = want;
            let mut available = 0;
            let mut expired_units = 0;
            for s in &candidates {
                if consumes && expired(s.expires_on.as_deref(), today) {
                    expired_units += s.quantity;
                    continue;
                }
                let free = s.quantity - taken.get(&s.batch_id).copied().unwrap_or(0);
                available += free;
                let take = left.min(free);
                if take > 0 {
                    *taken.entry(s.batch_id).or_default() += take;
                    left -= take;
                    out.push(NewLine {
                        warehouse_id: source.id,
                        item_id: item.id,
                        batch_id: s.batch_id,
                        quantity: -take,
                    });
                    if let Some(d) = destination {
                        out.push(NewLine {
                            warehouse_id: d.id,
                            item_id: item.id,
                            batch_id: s.batch_id,
                            quantity: take,
                        });
                    }
                }
            }
            if left > 0 {
                let mut msg = format!(
                    "{want} {} of {} requested, {available} in stock at {}",
                    item.unit, item.code, source.name
                );
                if expired_units > 0 {
                    msg.push_str(&format!(
                        " ({expired_units} more expired, to be written off)"
                    ));
                }
                short.push(format!("{}: {msg}", field("quantity")));
            }
        }
        if !invalid.is_empty() {
            return Err(Error::Invalid(invalid));
        }
        if !short.is_empty() {
            return Err(Error::Conflict(short.join("; ")));
        }
        Ok(out)
    }

    /// A stock-take: the physical count of some batches of a warehouse; each difference
    /// from the ledger becomes a line of one adjustment movement (batches not counted are
    /// left alone). Returns `None` when every count matches.
    ///
    /// # Errors
    /// As [`App::post_movement`]; `Invalid` for a negative count or an unknown item.
    pub async fn stocktake(
        &self,
        actor: &Actor,
        warehouse_id: i64,
        idempotency_key: &str,
        counts: &[CountInput],
    ) -> Result<Option<MovementView>> {
        actor.require(Permission::SuppliesOperate)?;
        let store = self.store().supplies();
        let w = store.warehouse(&actor.scope, warehouse_id).await?;
        let items: HashMap<String, ItemRow> = store
            .items()
            .await?
            .into_iter()
            .map(|i| (i.code.clone(), i))
            .collect();
        let stock = store.stock(&Scope::system(), Some(w.id), None).await?;
        let mut invalid = Vec::new();
        let mut lines = Vec::new();
        for (k, c) in counts.iter().enumerate() {
            let Some(item) = items.get(c.item.trim()) else {
                invalid.push((
                    format!("counts[{k}].item"),
                    format!("unknown item {}", c.item.trim()),
                ));
                continue;
            };
            if c.counted < 0 {
                invalid.push((
                    format!("counts[{k}].counted"),
                    "must not be negative".to_string(),
                ));
                continue;
            }
            let on_record = stock
                .iter()
                .find(|s| s.item_id == item.id && s.lot == c.lot.trim())
                .map_or(0, |s| s.quantity);
            let delta = c.counted - on_record;
            if delta != 0 {
                lines.push(LineInput {
                    item: item.code.clone(),
                    quantity: delta,
                    lot: Some(c.lot.trim().to_string()),
                    expires_on: None,
                });
            }
        }
        if !invalid.is_empty() {
            return Err(Error::Invalid(invalid));
        }
        if lines.is_empty() {
            return Ok(None);
        }
        let view = self
            .post_movement(
                actor,
                &MovementInput {
                    idempotency_key: idempotency_key.to_string(),
                    kind: "adjustment".to_string(),
                    warehouse_id,
                    to_warehouse_id: None,
                    note: "stock-take".to_string(),
                    lines,
                },
            )
            .await?;
        Ok(Some(view))
    }

    /// The reserves board: per item and warehouse in the jurisdiction, stock, the ledger's
    /// burn rate and the days of supply.
    ///
    /// # Errors
    /// `Forbidden` without `supplies.read`.
    pub async fn supplies_board(&self, actor: &Actor) -> Result<Board> {
        actor.require(Permission::SuppliesRead)?;
        let store = self.store().supplies();
        let today = self.today();
        let items = store.items().await?;
        let warehouses = store.warehouses(&actor.scope).await?;
        let stock = store.stock(&actor.scope, None, None).await?;
        let since = crate::clock::china_midnight_ms(today - Duration::days(i64::from(BURN_DAYS)));
        let issued: HashMap<(i64, i64), i64> = store
            .issued_since(&actor.scope, since)
            .await?
            .into_iter()
            .map(|(w, i, q)| ((w, i), q))
            .collect();
        let soon = today + Duration::days(30);
        let mut cells = Vec::new();
        for w in &warehouses {
            for i in &items {
                let (mut on_hand, mut usable, mut expiring) = (0, 0, 0);
                for s in stock
                    .iter()
                    .filter(|s| s.warehouse_id == w.id && s.item_id == i.id)
                {
                    on_hand += s.quantity;
                    if !expired(s.expires_on.as_deref(), today) {
                        usable += s.quantity;
                        if expired(s.expires_on.as_deref(), soon) {
                            expiring += s.quantity;
                        }
                    }
                }
                let burn = ledger_burn_rate(
                    u64::try_from(issued.get(&(w.id, i.id)).copied().unwrap_or(0)).unwrap_or(0),
                    BURN_DAYS,
                );
                cells.push(Cell {
                    warehouse_id: w.id,
                    item_id: i.id,
                    on_hand,
                    usable,
                    expiring_30: expiring,
                    burn_rate: burn,
                    days_of_supply: days_of_supply(u64::try_from(usable).unwrap_or(0), burn),
                });
            }
        }
        Ok(Board {
            items,
            warehouses,
            cells,
        })
    }

    /// The activity of each county in the jurisdiction: measured over the last
    /// [`BURN_DAYS`] days and planned for the next [`FORECAST_DAYS`] (testing rounds
    /// planned over a baseline of the median day's samples, the room and bed forecasts,
    /// team deployments). See [`crate::forecast`] for the room and bed forecasts; beyond
    /// their 14 days the last forecast day is held.
    ///
    /// # Errors
    /// `Forbidden` without `supplies.read`.
    pub async fn supply_activity(&self, actor: &Actor) -> Result<BTreeMap<String, CountyActivity>> {
        actor.require(Permission::SuppliesRead)?;
        let store = self.store().supplies();
        let today = self.today();
        let burn = i64::from(BURN_DAYS);
        let from = today - Duration::days(burn);
        let since = crate::clock::china_midnight_ms(from);
        let counties: Vec<String> = {
            let mut c: Vec<String> = store
                .warehouses(&actor.scope)
                .await?
                .iter()
                .filter(|w| w.subtype != "city_reserve")
                .map(|w| county_of(&w.community_code))
                .collect();
            c.sort();
            c.dedup();
            c
        };
        let mut out: BTreeMap<String, CountyActivity> = counties
            .iter()
            .map(|c| {
                (
                    c.clone(),
                    CountyActivity {
                        measured: vec![Activity::default(); BURN_DAYS as usize],
                        planned: vec![Activity::default(); FORECAST_DAYS],
                        scenario_id: None,
                    },
                )
            })
            .collect();
        let day_index = |d: NaiveDate| (d - from).num_days();
        // Measured samples.
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
        let mut samples_by_day: HashMap<String, Vec<f64>> = HashMap::new();
        for s in store.samples_per_day(&actor.scope, since).await? {
            let day = epoch + Duration::days(s.day);
            let k = day_index(day);
            if let (Some(a), Ok(k)) = (out.get_mut(&s.county), usize::try_from(k)) {
                if let Some(d) = a.measured.get_mut(k) {
                    d.samples += s.samples as f64;
                    samples_by_day
                        .entry(s.county.clone())
                        .or_insert_with(|| vec![0.0; BURN_DAYS as usize])[k] += s.samples as f64;
                }
            }
        }
        // Measured person-days and bed-days: open at the day's noon (China time).
        for iv in store.activity_intervals(&actor.scope, since).await? {
            let Some(a) = out.get_mut(&county_of(&iv.community_code)) else {
                continue;
            };
            for (k, d) in a.measured.iter_mut().enumerate() {
                let noon = crate::clock::china_midnight_ms(from + Duration::days(k as i64))
                    + 12 * 3_600_000;
                if iv.start_ms <= noon && iv.end_ms.is_none_or(|e| e > noon) {
                    match iv.kind.as_str() {
                        "quarantine" => d.quarantine_person_days += 1.0,
                        "general" => d.bed_days_general += 1.0,
                        "icu" => d.bed_days_icu += 1.0,
                        "isolation" => d.bed_days_isolation += 1.0,
                        _ => {}
                    }
                }
            }
        }
        // Teams deployed, measured and planned.
        let last = today + Duration::days(FORECAST_DAYS as i64);
        let deployments = self
            .store()
            .treatment()
            .deployments(&actor.scope, &from.to_string(), &last.to_string())
            .await?;
        // The deployed facilities' communities (a few; a city lists hundreds of thousands of
        // facilities).
        let mut facilities: HashMap<i64, String> = HashMap::new();
        for dep in &deployments {
            if facilities.contains_key(&dep.facility_id) {
                continue;
            }
            match self
                .store()
                .facilities()
                .get(&actor.scope, dep.facility_id)
                .await
            {
                Ok(f) => {
                    facilities.insert(f.id, f.community_code);
                }
                Err(fangkong_store::StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        for dep in &deployments {
            let Some(code) = facilities.get(&dep.facility_id) else {
                continue;
            };
            let Some(a) = out.get_mut(&county_of(code)) else {
                continue;
            };
            let (Ok(s), Ok(e)) = (
                crate::measures::parse_day(&dep.starts_on),
                crate::measures::parse_day(&dep.ends_on),
            ) else {
                continue;
            };
            for (k, d) in a.measured.iter_mut().enumerate() {
                let day = from + Duration::days(k as i64);
                if s <= day && day <= e {
                    d.team_days += 1.0;
                }
            }
            for (k, d) in a.planned.iter_mut().enumerate() {
                let day = today + Duration::days(k as i64 + 1);
                if s <= day && day <= e {
                    d.team_days += 1.0;
                }
            }
        }
        // Planned samples: the median day of the last 14 as a baseline, plus the residents
        // of each planned round spread over its days.
        for (county, a) in &mut out {
            let mut days = samples_by_day
                .get(county)
                .cloned()
                .unwrap_or_else(|| vec![0.0; BURN_DAYS as usize]);
            days.sort_by(f64::total_cmp);
            let baseline = days[days.len() / 2];
            for d in &mut a.planned {
                d.samples = baseline;
            }
        }
        for round in store
            .planned_rounds(&actor.scope, &today.to_string())
            .await?
        {
            let (Ok(s), Ok(e)) = (
                crate::measures::parse_day(&round.starts_on),
                crate::measures::parse_day(&round.ends_on),
            ) else {
                continue;
            };
            let span = ((e - s).num_days() + 1).max(1) as f64;
            let Ok(code) = JurisdictionCode::parse(&round.jurisdiction_code) else {
                continue;
            };
            let scope = Scope {
                root: Some(code),
                permissions: actor.scope.permissions.clone(),
            };
            for (county, residents) in store.residents_per_county(&scope).await? {
                let Some(a) = out.get_mut(&county) else {
                    continue;
                };
                for (k, d) in a.planned.iter_mut().enumerate() {
                    let day = today + Duration::days(k as i64 + 1);
                    if s <= day && day <= e {
                        d.samples += residents as f64 / span;
                    }
                }
            }
        }
        // Rooms and beds: the capacity forecasts of each county, read with a scope of that
        // county and the two read permissions (aggregates only).
        for (county, a) in &mut out {
            let Ok(code) = JurisdictionCode::parse(county) else {
                continue;
            };
            let reader = Actor {
                scope: Scope {
                    root: Some(code),
                    permissions: [Permission::IsolationRead, Permission::TreatmentRead]
                        .into_iter()
                        .collect(),
                },
                ..actor.clone()
            };
            let sites = self
                .store()
                .isolation()
                .sites(&reader.scope, self.now_ms())
                .await?;
            let (occupants, occupied): (i64, i64) = sites
                .iter()
                .fold((0, 0), |(p, r), s| (p + s.occupants, r + s.occupied));
            let per_room = if occupied > 0 {
                occupants as f64 / occupied as f64
            } else {
                1.0
            };
            if !sites.is_empty() {
                let rooms = self.isolation_forecast(&reader).await?;
                fill(
                    &mut a.planned,
                    &rooms
                        .days
                        .iter()
                        .map(|d| d.occupied * per_room)
                        .collect::<Vec<_>>(),
                    |d, v| d.quarantine_person_days = v,
                );
            }
            // Home quarantine as well as centralised: a fresh scenario forecast's people in
            // quarantine, when more than the rooms hold (beyond its horizon, its last day).
            if let Some((id, in_quarantine)) = self
                .scenario_series(&reader, |m| m.in_quarantine.clone())
                .await?
            {
                let last = in_quarantine.last().copied().unwrap_or(0.0);
                for (k, d) in a.planned.iter_mut().enumerate() {
                    let v = in_quarantine.get(k).copied().unwrap_or(last);
                    d.quarantine_person_days = d.quarantine_person_days.max(v);
                }
                a.scenario_id = Some(id);
            }
            for pool in self.treatment_forecast(&reader).await? {
                let values: Vec<f64> = pool.days.iter().map(|d| d.occupied).collect();
                match pool.pool.as_str() {
                    "general" => fill(&mut a.planned, &values, |d, v| d.bed_days_general = v),
                    "icu" => fill(&mut a.planned, &values, |d, v| d.bed_days_icu = v),
                    "isolation" => fill(&mut a.planned, &values, |d, v| d.bed_days_isolation = v),
                    _ => {}
                }
            }
        }
        Ok(out)
    }

    /// The demand forecast of every item for every county with warehouses in the
    /// jurisdiction, against the usable stock of the county's warehouses (the city reserve
    /// stands apart: it has no activity of its own).
    ///
    /// # Errors
    /// `Forbidden` without `supplies.read`.
    pub async fn supplies_forecast(&self, actor: &Actor) -> Result<Vec<ItemForecast>> {
        let activity = self.supply_activity(actor).await?;
        let board = self.supplies_board(actor).await?;
        let county_of_warehouse: HashMap<i64, Option<String>> = board
            .warehouses
            .iter()
            .map(|w| {
                (
                    w.id,
                    (w.subtype != "city_reserve").then(|| county_of(&w.community_code)),
                )
            })
            .collect();
        let mut out = Vec::new();
        for item in &board.items {
            let rates = rates_of(item);
            for (county, a) in &activity {
                let cells = board.cells.iter().filter(|c| {
                    c.item_id == item.id
                        && county_of_warehouse
                            .get(&c.warehouse_id)
                            .and_then(Clone::clone)
                            .as_deref()
                            == Some(county)
                });
                let (mut on_hand, mut issued) = (0, 0.0);
                for c in cells {
                    on_hand += c.usable;
                    issued += c.burn_rate;
                }
                let daily = demand::forecast(&rates, &a.planned);
                let measured: f64 = demand::forecast(&rates, &a.measured).iter().sum();
                out.push(ItemForecast {
                    item: item.clone(),
                    county: county.clone(),
                    on_hand,
                    position: demand::position(
                        on_hand,
                        &daily,
                        u32::try_from(item.target_days).unwrap_or(30),
                        item.pack_size,
                    ),
                    daily,
                    ledger_per_day: issued,
                    model_per_day: measured / f64::from(BURN_DAYS),
                    scenario_id: a.scenario_id,
                });
            }
        }
        Ok(out)
    }

    /// Reorder alerts: items of a county below the reserve target or running out within
    /// 14 days, most urgent first.
    ///
    /// # Errors
    /// `Forbidden` without `supplies.read`.
    pub async fn supplies_alerts(&self, actor: &Actor) -> Result<Vec<Alert>> {
        let forecasts = self.supplies_forecast(actor).await?;
        Ok(alerts_of(&forecasts, self.today()))
    }

    /// Transfer suggestions between the county reserves in the jurisdiction, per item: the
    /// plan that leaves the least total shortage over the next
    /// [`TRANSFER_HORIZON_DAYS`] days, moving the fewest unit-metres among those
    /// (`fangkong_supplies_plan::transfer`). Items without a transfer are left out.
    ///
    /// # Errors
    /// `Forbidden` without `supplies.read`.
    pub async fn transfer_suggestions(&self, actor: &Actor) -> Result<Vec<Suggestion>> {
        let forecasts = self.supplies_forecast(actor).await?;
        let board = self.supplies_board(actor).await?;
        Ok(suggestions_of(&board, &forecasts))
    }

    /// The board, forecasts, alerts and suggestions at once (the reserves page), each
    /// computed once.
    ///
    /// # Errors
    /// `Forbidden` without `supplies.read`.
    pub async fn supplies_overview(&self, actor: &Actor) -> Result<Overview> {
        let forecasts = self.supplies_forecast(actor).await?;
        let board = self.supplies_board(actor).await?;
        let alerts = alerts_of(&forecasts, self.today());
        let suggestions = suggestions_of(&board, &forecasts);
        Ok(Overview {
            board,
            forecasts,
            alerts,
            suggestions,
        })
    }

    /// A stock-take from a count sheet (CSV, XLSX, NDJSON: `item`, `lot`, `counted`); see
    /// [`App::stocktake`]. The key is the file's SHA-256 with the warehouse, so uploading
    /// the same sheet again changes nothing.
    ///
    /// # Errors
    /// `Import` naming every bad line; otherwise as [`App::stocktake`].
    pub async fn import_stocktake(
        &self,
        actor: &Actor,
        warehouse_id: i64,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<Option<MovementView>> {
        actor.require(Permission::SuppliesOperate)?;
        let counts: Vec<CountInput> = fangkong_ingest::supplies::parse_counts(file_name, bytes)?
            .into_iter()
            .map(|c| CountInput {
                item: c.item,
                lot: c.lot,
                counted: c.counted,
            })
            .collect();
        let digest = format!("{:x}", Sha256::digest(bytes));
        let key = format!("stocktake:{warehouse_id}:{}", &digest[..32]);
        self.stocktake(actor, warehouse_id, &key, &counts).await
    }

    /// Posts the movements of a sheet (CSV, XLSX, NDJSON; rows sharing an idempotency key
    /// are one movement), in file order. Each movement is all or nothing and keyed, so a
    /// file refused part way can be sent again: the movements already posted replay.
    ///
    /// # Errors
    /// `Import` naming every bad line; the first refused movement as `Invalid` or
    /// `Conflict` naming its first line.
    pub async fn import_movements(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<Vec<MovementView>> {
        actor.require(Permission::SuppliesOperate)?;
        let rows = fangkong_ingest::supplies::parse_movements(file_name, bytes)?;
        let mut order: Vec<String> = Vec::new();
        let mut groups: HashMap<String, (u64, MovementInput)> = HashMap::new();
        for r in rows {
            let entry = groups.entry(r.idempotency_key.clone()).or_insert_with(|| {
                order.push(r.idempotency_key.clone());
                (
                    r.line,
                    MovementInput {
                        idempotency_key: r.idempotency_key.clone(),
                        kind: r.kind.clone(),
                        warehouse_id: r.warehouse_id,
                        to_warehouse_id: r.to_warehouse_id,
                        note: r.note.clone(),
                        lines: Vec::new(),
                    },
                )
            });
            entry.1.lines.push(LineInput {
                item: r.item,
                quantity: r.quantity,
                lot: r.lot,
                expires_on: r.expires_on,
            });
        }
        let mut out = Vec::new();
        for key in order {
            let Some((line, m)) = groups.remove(&key) else {
                continue;
            };
            match self.post_movement(actor, &m).await {
                Ok(v) => out.push(v),
                Err(Error::Invalid(fields)) => {
                    return Err(Error::Invalid(
                        fields
                            .into_iter()
                            .map(|(f, r)| (format!("{file_name}:{line}: {f}"), r))
                            .collect(),
                    ))
                }
                Err(Error::Conflict(c)) => {
                    return Err(Error::Conflict(format!("{file_name}:{line}: {c}")))
                }
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// Every balance that differs from the sum of its ledger lines (none on a sound store).
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn reconcile_supplies(&self) -> Result<Vec<fangkong_store::supplies::Discrepancy>> {
        Ok(self.store().supplies().reconcile().await?)
    }
}

/// Everything the reserves page shows.
#[derive(Debug, Clone)]
pub struct Overview {
    pub board: Board,
    pub forecasts: Vec<ItemForecast>,
    pub alerts: Vec<Alert>,
    pub suggestions: Vec<Suggestion>,
}

fn alerts_of(forecasts: &[ItemForecast], today: NaiveDate) -> Vec<Alert> {
    let mut alerts: Vec<Alert> = forecasts
        .iter()
        .filter(|f| {
            f.position.reorder > 0 || f.position.runs_out_after_days.is_some_and(|d| d < 14)
        })
        .map(|f| Alert {
            item_id: f.item.id,
            item_code: f.item.code.clone(),
            item_name: f.item.name.clone(),
            unit: f.item.unit.clone(),
            county: f.county.clone(),
            on_hand: f.on_hand,
            target: f.position.target,
            reorder: f.position.reorder,
            runs_out_on: f
                .position
                .runs_out_after_days
                .map(|d| today + Duration::days(i64::from(d) + 1)),
        })
        .collect();
    alerts.sort_by(|a, b| {
        (
            a.runs_out_on.is_none(),
            a.runs_out_on,
            &a.county,
            &a.item_code,
        )
            .cmp(&(
                b.runs_out_on.is_none(),
                b.runs_out_on,
                &b.county,
                &b.item_code,
            ))
    });
    alerts
}

fn suggestions_of(board: &Board, forecasts: &[ItemForecast]) -> Vec<Suggestion> {
    let reserves: Vec<&WarehouseRow> = {
        let mut seen = std::collections::HashSet::new();
        board
            .warehouses
            .iter()
            .filter(|w| w.subtype == "county_reserve" && seen.insert(county_of(&w.community_code)))
            .collect()
    };
    let mut out = Vec::new();
    for item in &board.items {
        let nodes: Vec<Reserve> = reserves
            .iter()
            .map(|w| {
                let county = county_of(&w.community_code);
                let need = forecasts
                    .iter()
                    .find(|f| f.item.id == item.id && f.county == county)
                    .map_or(0, |f| {
                        demand::ceil_units(f.daily.iter().take(TRANSFER_HORIZON_DAYS).sum())
                    });
                let on_hand = board
                    .cells
                    .iter()
                    .find(|c| c.item_id == item.id && c.warehouse_id == w.id)
                    .map_or(0, |c| c.usable);
                Reserve {
                    id: w.id,
                    name: w.name.clone(),
                    on_hand,
                    need,
                }
            })
            .collect();
        let plan = transfer::suggest(&nodes, &item.unit, |i, j| {
            haversine_m(reserves[i], reserves[j])
        });
        if !plan.transfers.is_empty() {
            out.push(Suggestion {
                item: item.clone(),
                plan,
            });
        }
    }
    out
}

/// The item catalogue and the city reserve belong to the city: only an actor of the city or
/// above changes them.
fn require_city_level(actor: &Actor) -> Result<()> {
    if actor
        .scope
        .root
        .as_ref()
        .is_none_or(|r| r.as_str().len() <= 4)
    {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

/// Writes a 14-day forecast into the planned days, holding the last value beyond it.
fn fill(days: &mut [Activity], values: &[f64], set: impl Fn(&mut Activity, f64)) {
    let Some(last) = values.last().copied() else {
        return;
    };
    for (k, d) in days.iter_mut().enumerate() {
        set(d, values.get(k).copied().unwrap_or(last).max(0.0));
    }
}

fn check_model(invalid: &mut Vec<(String, String)>, target_days: i64, rates: &Rates) {
    if !(1..=365).contains(&target_days) {
        invalid.push(("target_days".into(), "must be 1 to 365 days".into()));
    }
    let names = [
        "per_sample",
        "per_sampler_shift",
        "per_quarantine_day",
        "per_bed_day_general",
        "per_bed_day_icu",
        "per_bed_day_isolation",
        "per_team_day",
    ];
    for (name, v) in names.iter().zip(rates_array(rates)) {
        if !v.is_finite() || v < 0.0 {
            invalid.push((
                (*name).to_string(),
                "must be a number of at least 0".to_string(),
            ));
        }
    }
}
