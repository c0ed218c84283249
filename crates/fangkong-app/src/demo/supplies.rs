//! A supplies picture for the demo city, so the reserves board, the forecasts, the alerts
//! and the transfer suggestions answer with real figures:
//!
//! - fifteen items with their units, pack sizes and consumption models (masks, protective
//!   suits, gowns, face shields, gloves, swabs, tubes, nucleic-acid reagents, antigen kits,
//!   chlorine tablets, alcohol, thermometers, two medicines);
//! - the city reserve and every county reserve of the synthetic city (facilities of kind
//!   `warehouse`), and a store at each of the three largest quarantine sites;
//! - 30 days of history: a receipt at each reserve 30 days ago sized on its county's
//!   consumption (45 days of it), then an issue every third day of what the county's
//!   measured activity consumed, with the city reserve holding 60 days of the city's need;
//! - one batch of antigen kits expiring in 12 days at the city reserve, and the
//!   county with the largest need of one item short of it while another county holds a
//!   surplus, so an alert and a transfer suggestion appear.
//!
//! Movements go through the app (keys `demo:*`, so a rerun changes nothing) and are seeded
//! once (a meta key); one multi-line movement per warehouse and day keeps it fast.

use std::collections::HashMap;

use chrono::Duration;

use crate::supplies::{ItemInput, LineInput, MovementInput, Rates};
use crate::{Actor, App, Result};

const META_SUPPLIES: &str = "demo.supplies";

/// A county's code and an item's code.
type CountyItem = (String, &'static str);

/// Code, name, category, unit, pack size and the rates: per sample, per sampler shift, per
/// quarantine person-day, per bed-day (general, ICU, isolation ward), per team-day.
type ItemRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    i64,
    [f64; 7],
);

/// The demo's catalogue. Rates are working figures of the city's plans (documented on the
/// page; staff edit them): one set of protective clothing a sampler shift, one swab a person
/// sampled, one tube and one reagent test per ten-in-one pool, a daily antigen test in
/// quarantine, masks and suits per bed-day rising with the level of care.
const ITEMS: [ItemRow; 15] = [
    (
        "N95",
        "N95医用防护口罩",
        "ppe",
        "只",
        20,
        [0.0, 1.0, 0.2, 1.0, 3.0, 2.0, 10.0],
    ),
    (
        "MASK",
        "医用外科口罩",
        "ppe",
        "只",
        50,
        [0.0, 2.0, 2.0, 3.0, 4.0, 3.0, 20.0],
    ),
    (
        "SUIT",
        "医用防护服",
        "ppe",
        "套",
        10,
        [0.0, 1.0, 0.1, 1.0, 4.0, 2.0, 6.0],
    ),
    (
        "GOWN",
        "一次性隔离衣",
        "ppe",
        "件",
        20,
        [0.0, 0.0, 0.1, 2.0, 4.0, 3.0, 4.0],
    ),
    (
        "SHIELD",
        "防护面屏",
        "ppe",
        "个",
        20,
        [0.0, 1.0, 0.0, 0.5, 1.0, 1.0, 5.0],
    ),
    (
        "GLOVE",
        "医用检查手套",
        "ppe",
        "副",
        100,
        [0.05, 2.0, 0.2, 6.0, 12.0, 8.0, 20.0],
    ),
    (
        "SWAB",
        "一次性采样拭子",
        "sampling",
        "支",
        100,
        [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    ),
    (
        "TUBE",
        "病毒采样管（十混一）",
        "sampling",
        "支",
        50,
        [0.1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    ),
    (
        "PCR",
        "新型冠状病毒核酸检测试剂盒",
        "reagent",
        "人份",
        48,
        [0.1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    ),
    (
        "ANTIGEN",
        "新型冠状病毒抗原检测试剂盒",
        "reagent",
        "人份",
        20,
        [0.0, 0.0, 1.0, 0.2, 0.0, 0.2, 0.0],
    ),
    (
        "CHLORINE",
        "含氯消毒片（100片/瓶）",
        "disinfectant",
        "瓶",
        24,
        [0.0, 0.1, 0.05, 0.1, 0.2, 0.2, 0.5],
    ),
    (
        "ALCOHOL",
        "75%医用酒精（500毫升）",
        "disinfectant",
        "瓶",
        20,
        [0.002, 0.2, 0.05, 0.1, 0.1, 0.1, 0.5],
    ),
    (
        "THERMO",
        "红外额温计",
        "device",
        "支",
        10,
        [0.0, 0.0, 0.005, 0.01, 0.01, 0.01, 0.05],
    ),
    (
        "LIANHUA",
        "连花清瘟胶囊",
        "medicine",
        "盒",
        20,
        [0.0, 0.0, 0.05, 1.0, 0.5, 1.0, 0.0],
    ),
    (
        "PAXLOVID",
        "奈玛特韦片/利托那韦片组合包装",
        "medicine",
        "盒",
        10,
        [0.0, 0.0, 0.0, 0.05, 0.2, 0.1, 0.0],
    ),
];

fn packs(units: f64, pack: i64) -> i64 {
    let units = crate::supplies::ceil_units(units).max(pack);
    (units + pack - 1) / pack * pack
}

impl App {
    /// Seeds the supplies picture (see the module), once.
    ///
    /// # Errors
    /// Any store or validation failure.
    pub async fn seed_demo_supplies(&self, _config: &super::DemoConfig) -> Result<()> {
        let store = self.store();
        if store.meta().get(META_SUPPLIES).await?.is_some() {
            return Ok(());
        }
        let actor = Actor::system("demo");
        let today = self.today();
        let existing: Vec<String> = self
            .supply_items(&actor)
            .await?
            .into_iter()
            .map(|i| i.code)
            .collect();
        for (code, name, category, unit, pack, r) in ITEMS {
            if existing.iter().any(|c| c == code) {
                continue;
            }
            self.create_supply_item(
                &actor,
                &ItemInput {
                    code: code.into(),
                    name: name.into(),
                    category: category.into(),
                    unit: unit.into(),
                    pack_size: pack,
                    target_days: 30,
                    rates: Rates {
                        per_sample: r[0],
                        per_sampler_shift: r[1],
                        per_quarantine_day: r[2],
                        per_bed_day_general: r[3],
                        per_bed_day_icu: r[4],
                        per_bed_day_isolation: r[5],
                        per_team_day: r[6],
                    },
                },
            )
            .await?;
        }
        // A store at each of the three largest quarantine sites.
        let mut sites = self.isolation_sites(&actor).await?;
        sites.sort_by_key(|s| (std::cmp::Reverse(s.rooms), s.id));
        let have: Vec<String> = self
            .warehouses(&actor)
            .await?
            .into_iter()
            .map(|w| w.name)
            .collect();
        for s in sites.iter().take(3) {
            let name = format!("{}库房", s.name);
            if !have.contains(&name) {
                self.create_warehouse(
                    &actor,
                    &name,
                    "site_store",
                    &s.community_code,
                    s.lon.zip(s.lat),
                )
                .await?;
            }
        }
        let forecasts = self.supplies_forecast(&actor).await?;
        let warehouses = self.warehouses(&actor).await?;
        let county = |code: &str| -> String { code.chars().take(6).collect() };
        // Per county and item: the daily consumption of the measured activity (the model),
        // or of the forecast when nothing was measured, and the 14-day need.
        let mut daily: HashMap<CountyItem, (f64, f64)> = HashMap::new();
        for f in &forecasts {
            let Some(code) = ITEMS.iter().map(|i| i.0).find(|c| *c == f.item.code) else {
                continue;
            };
            let mean = f.daily.iter().sum::<f64>() / f.daily.len().max(1) as f64;
            let per_day = if f.model_per_day > 0.0 {
                f.model_per_day
            } else {
                mean
            };
            let need14: f64 = f.daily.iter().take(14).sum();
            daily.insert((f.county.clone(), code), (per_day, need14));
        }
        // The short item: the county and item of the largest 14-day need; the donor: the
        // county reserve with the next largest need of it.
        let mut by_need: Vec<(&CountyItem, &(f64, f64))> = daily.iter().collect();
        by_need.sort_by(|a, b| b.1 .1.total_cmp(&a.1 .1).then(a.0.cmp(b.0)));
        let short = by_need.first().map(|(k, _)| (*k).clone());
        let donor = short.as_ref().and_then(|(c, item)| {
            by_need
                .iter()
                .find(|(k, _)| k.1 == *item && &k.0 != c)
                .map(|(k, _)| k.0.clone())
        });
        let midnight = crate::clock::china_midnight_ms(today);
        let day_ms = 86_400_000_i64;
        let hour_ms = 3_600_000_i64;
        let lot_expiry = (today + Duration::days(540)).to_string();
        let soon = (today + Duration::days(12)).to_string();
        let city_total = |code: &str| -> f64 {
            daily
                .iter()
                .filter(|(k, _)| k.1 == code)
                .map(|(_, v)| v.0)
                .sum()
        };
        for w in &warehouses {
            let c = county(&w.community_code);
            let mut receipt = Vec::new();
            let mut per_day: Vec<(&str, f64)> = Vec::new();
            for (code, _, _, _, pack, _) in ITEMS {
                let (units, rate) = match w.subtype.as_str() {
                    "city_reserve" => (60.0 * city_total(code), 0.0),
                    "site_store" => (
                        if ["N95", "SUIT", "ANTIGEN", "CHLORINE", "GLOVE"].contains(&code) {
                            200.0
                        } else {
                            0.0
                        },
                        0.0,
                    ),
                    _ => {
                        let (rate, need14) =
                            daily.get(&(c.clone(), code)).copied().unwrap_or((0.0, 0.0));
                        let history = rate * 30.0;
                        let stock = if short
                            .as_ref()
                            .is_some_and(|(sc, si)| *sc == c && *si == code)
                        {
                            0.3 * need14
                        } else if donor.as_ref().is_some_and(|d| *d == c)
                            && short.as_ref().is_some_and(|s| s.1 == code)
                        {
                            3.0 * need14.max(
                                short
                                    .as_ref()
                                    .and_then(|s| daily.get(s))
                                    .map_or(0.0, |v| v.1),
                            )
                        } else {
                            45.0 * rate
                        };
                        (history + stock, rate)
                    }
                };
                if units <= 0.0 {
                    continue;
                }
                let quantity = packs(units, pack);
                receipt.push(LineInput {
                    item: code.into(),
                    quantity,
                    lot: Some(format!("{code}-2026-10")),
                    expires_on: Some(lot_expiry.clone()),
                });
                if code == "ANTIGEN" && w.subtype == "city_reserve" {
                    // A batch from last year's procurement expiring soon.
                    receipt.push(LineInput {
                        item: code.into(),
                        quantity: 2_000,
                        lot: Some(format!("{code}-2025-11")),
                        expires_on: Some(soon.clone()),
                    });
                }
                if rate > 0.0 {
                    per_day.push((code, rate));
                }
            }
            if receipt.is_empty() {
                continue;
            }
            self.post_movement_at(
                &actor,
                &MovementInput {
                    idempotency_key: format!("demo:receipt:{}", w.id),
                    kind: "receipt".into(),
                    warehouse_id: w.id,
                    to_warehouse_id: None,
                    note: "储备入库".into(),
                    lines: receipt,
                },
                midnight - 30 * day_ms + 9 * hour_ms,
            )
            .await?;
            // An issue every third day of three days' consumption, ±10% by day.
            for (k, back) in (1..=28).rev().step_by(3).enumerate() {
                let factor = [1.0, 1.1, 0.9, 1.05, 0.95][k % 5];
                let lines: Vec<LineInput> = per_day
                    .iter()
                    .map(|(code, rate)| LineInput {
                        item: (*code).into(),
                        quantity: crate::supplies::ceil_units(rate * 3.0 * factor),
                        lot: None,
                        expires_on: None,
                    })
                    .filter(|l| l.quantity > 0)
                    .collect();
                if lines.is_empty() {
                    continue;
                }
                self.post_movement_at(
                    &actor,
                    &MovementInput {
                        idempotency_key: format!("demo:issue:{}:{back}", w.id),
                        kind: "issue".into(),
                        warehouse_id: w.id,
                        to_warehouse_id: None,
                        note: "发放至采样点、隔离点和定点医院".into(),
                        lines,
                    },
                    midnight - back * day_ms + 15 * hour_ms,
                )
                .await?;
            }
        }
        store.meta().set(META_SUPPLIES, &today.to_string()).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::Actor;

    #[tokio::test]
    async fn the_demo_has_an_alert_a_suggestion_and_an_expiring_batch() {
        let (_dir, app, config) = crate::demo::test_city().await;
        app.seed_demo_isolation(&config).await.unwrap();
        let started = std::time::Instant::now();
        app.seed_demo_supplies(&config).await.unwrap();
        let seconds = started.elapsed().as_secs_f64();
        let actor = Actor::system("test");
        let o = app.supplies_overview(&actor).await.unwrap();
        assert_eq!(o.board.items.len(), 15);
        assert!(!o.alerts.is_empty(), "an alert");
        assert!(!o.suggestions.is_empty(), "a transfer suggestion");
        assert!(
            o.board.cells.iter().any(|c| c.expiring_30 > 0),
            "an expiring batch"
        );
        assert!(app.reconcile_supplies().await.unwrap().is_empty());
        // Seeding again changes nothing.
        let n = app
            .supply_movements(&actor, None, 10_000)
            .await
            .unwrap()
            .len();
        app.seed_demo_supplies(&config).await.unwrap();
        assert_eq!(
            app.supply_movements(&actor, None, 10_000)
                .await
                .unwrap()
                .len(),
            n
        );
        eprintln!("supplies seeded in {seconds:.2} s: {n} movements");
    }
}
