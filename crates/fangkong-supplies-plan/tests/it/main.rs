//! Tests of the supplies arithmetic: the CDC burn-rate method, demand on a known activity
//! plan, and transfers on small cases with a hand-computed optimum plus properties.

use fangkong_supplies_plan::burn::{
    average_daily_consumption, days_of_supply, ledger_burn_rate, units,
};
use fangkong_supplies_plan::demand::{forecast, position, Activity, Rates};
use fangkong_supplies_plan::transfer::{suggest, Reserve};
use proptest::prelude::*;

/// US CDC, "Personal Protective Equipment (PPE) Burn Rate Calculator", version 1 (Excel,
/// 2020), cdc.gov/coronavirus/2019-ncov/hcp/ppe-strategy/burn-calculator.html: "enter the
/// number of full boxes of each type of PPE in stock ... The tool will calculate the average
/// consumption rate ... for each type of PPE entered in the spreadsheet. This information
/// can then be used to estimate how long the remaining supply of PPE will last, based on the
/// average consumption rate" (quoted by McKnight's, "Ask the care expert", 2020); at least
/// two consecutive days of counts are needed for a rate. The workbook's sheet computes a
/// day's consumption as the previous count minus the day's count (boxes × units per box),
/// the average over the days counted, and days of supply = stock on hand / average.
///
/// The workbook's own filled-in example could not be retrieved here, so this case follows its
/// method on counts of our own, with the numbers worked by hand: gowns in boxes of 10 counted
/// on five days as 50, 44, 39, 31, 26 boxes → 500, 440, 390, 310, 260 gowns; consumed
/// 60 + 50 + 80 + 50 = 240 over 4 days = 60 gowns a day; 260 / 60 = 4.33 days left.
#[test]
fn cdc_burn_rate_method_on_daily_box_counts() {
    let counts: Vec<u64> = [50, 44, 39, 31, 26].iter().map(|b| units(*b, 10)).collect();
    assert_eq!(counts, [500, 440, 390, 310, 260]);
    let rate = average_daily_consumption(&counts).unwrap();
    assert_eq!(rate, 60.0);
    let left = days_of_supply(260, rate).unwrap();
    assert_eq!(format!("{left:.2}"), "4.33");
    // The ledger gives the same rate: 240 gowns issued over the same 4 days.
    assert_eq!(ledger_burn_rate(240, 4), rate);
    assert_eq!(average_daily_consumption(&[500]), None);
}

/// The published worked example of a burn-rate calculator built on the CDC definition
/// (cal18.calculator.city, "Simple PPE Burn Rate Calculator"): "if a facility has 1,200 N95
/// respirators and uses 85 per day, the available supply lasts roughly 14.1 days".
#[test]
fn published_days_of_supply_example() {
    let left = days_of_supply(1200, 85.0).unwrap();
    assert_eq!(format!("{left:.1}"), "14.1");
    assert_eq!(days_of_supply(1200, 0.0), None);
}

/// A second published worked example (cal53.calculator.city, "PPE Burn Rate Calculator",
/// Module A): "if a hospital uses 5,000 face masks over 10 days, the burn rate would be 500
/// masks per day".
#[test]
fn published_burn_rate_example() {
    assert_eq!(ledger_burn_rate(5_000, 10), 500.0);
    // Counted as stock on hand at the start and after the 10 days, the same rate.
    let counts: Vec<u64> = (0..=10).map(|d| 8_000 - 500 * d).collect();
    assert_eq!(average_daily_consumption(&counts), Some(500.0));
}

/// A known activity plan: a testing round of 3 000 samples on days 2 and 3, 40 people in
/// quarantine, 6 general and 2 ICU beds occupied, one team deployed, for 14 days.
#[test]
fn forecast_on_a_known_activity_plan() {
    let mut plan = vec![
        Activity {
            samples: 200.0,
            quarantine_person_days: 40.0,
            bed_days_general: 6.0,
            bed_days_icu: 2.0,
            team_days: 1.0,
            ..Activity::default()
        };
        30
    ];
    plan[1].samples = 3000.0;
    plan[2].samples = 3000.0;
    let swabs = Rates {
        per_sample: 1.0,
        ..Rates::default()
    };
    let suits = Rates {
        per_sampler_shift: 1.0,
        per_quarantine_day: 0.5,
        per_bed_day_general: 2.0,
        per_bed_day_icu: 6.0,
        per_team_day: 4.0,
        ..Rates::default()
    };
    let s = forecast(&swabs, &plan);
    assert_eq!(&s[..4], [200.0, 3000.0, 3000.0, 200.0]);
    // Suits a day: 1 shift + 20 + 12 + 12 + 4 = 49; on round days 8 shifts: 56.
    let f = forecast(&suits, &plan);
    assert_eq!(&f[..4], [49.0, 56.0, 56.0, 49.0]);
    let p = position(500, &f, 30, 100);
    assert_eq!(p.demand_14, 49 * 14 + 14);
    assert_eq!(p.demand_30, 49 * 30 + 14);
    assert_eq!(p.peak_daily, 56.0);
    assert_eq!(p.target, 1680);
    // 500 suits: 49 + 56 + 56 + 49 × 6 = 455 after 9 days, day 10 needs 49 more.
    assert_eq!(p.runs_out_after_days, Some(9));
    // 1 180 missing, in packs of 100.
    assert_eq!(p.reorder, 1200);
    let p = position(2000, &f, 30, 100);
    assert_eq!(
        (p.runs_out_after_days, p.reorder),
        (Some(30).filter(|_| false), 0)
    );
}

fn reserve(id: i64, on_hand: i64, need: i64) -> Reserve {
    Reserve {
        id,
        name: format!("R{id}"),
        on_hand,
        need,
    }
}

/// Hand-computed optimum: donors A (surplus 60) and B (30), receivers C (short 50) and D
/// (short 30); distances A–C 10, A–D 50, B–C 40, B–D 20 km. Any plan moving 80 leaves no
/// shortage; the cheapest is A→C 50 and B→D 30 (500 + 600 = 1 100 unit-km, against 1 400
/// for A→C 50, A→D 10, B→D 20).
#[test]
fn transfers_reach_the_hand_computed_optimum() {
    let r = [
        reserve(1, 100, 40),
        reserve(2, 50, 20),
        reserve(3, 10, 60),
        reserve(4, 0, 30),
    ];
    let km = [
        [0, 0, 10, 50],
        [0, 0, 40, 20],
        [10, 40, 0, 0],
        [50, 20, 0, 0],
    ];
    let plan = suggest(&r, "件", |i, j| km[i][j] * 1000);
    let moves: Vec<_> = plan
        .transfers
        .iter()
        .map(|t| (t.from, t.to, t.quantity))
        .collect();
    assert_eq!(moves, [(1, 3, 50), (2, 4, 30)]);
    assert_eq!((plan.shortage_before, plan.shortage_after), (80, 0));
    assert_eq!(plan.unit_metres, 1_100_000);
    assert_eq!(
        plan.transfers[0].reason_zh,
        "R3需求60件、库存10件，缺口50件；R1库存100件、需求40件，可调余量60件，调出50件后不低于自身需求；\
         两地相距10.0公里；在总缺口最小的方案中，此方案运距最短"
    );
    assert!(plan.transfers[1]
        .reason_en
        .starts_with("R4 needs 30 件 and holds 0 件, 30 件 short; R2 holds 50"));

    // Not enough surplus: A alone (60) for C (50) and D (30). The shortage left is 20
    // whatever the plan; the cheapest serves C whole (500) and D with 10 (500).
    let r = [reserve(1, 100, 40), reserve(3, 10, 60), reserve(4, 0, 30)];
    let km = [[0, 10, 50], [10, 0, 0], [50, 0, 0]];
    let plan = suggest(&r, "件", |i, j| km[i][j] * 1000);
    let moves: Vec<_> = plan
        .transfers
        .iter()
        .map(|t| (t.from, t.to, t.quantity))
        .collect();
    assert_eq!(moves, [(1, 3, 50), (1, 4, 10)]);
    assert_eq!((plan.shortage_before, plan.shortage_after), (80, 20));
    assert_eq!(plan.unit_metres, 1_000_000);
}

proptest! {
    /// No suggestion leaves a donor below its own need or gives a receiver more than it
    /// misses, and the shortage left is the least possible.
    #[test]
    fn transfers_never_strip_a_donor(
        stock in proptest::collection::vec((0i64..500, 0i64..500, 0i64..100, 0i64..100), 1..8)
    ) {
        let r: Vec<Reserve> = stock.iter().enumerate()
            .map(|(i, (h, n, _, _))| reserve(i as i64, *h, *n)).collect();
        let plan = suggest(&r, "u", |i, j| (stock[i].2 - stock[j].2).abs() * 1000 + (stock[i].3 - stock[j].3).abs() * 1000);
        let mut after: Vec<i64> = r.iter().map(|x| x.on_hand).collect();
        for t in &plan.transfers {
            prop_assert!(t.quantity > 0);
            after[t.from as usize] -= t.quantity;
            after[t.to as usize] += t.quantity;
        }
        for (x, a) in r.iter().zip(&after) {
            if x.surplus() > 0 {
                prop_assert!(*a >= x.need, "donor {} left with {a} below its need {}", x.id, x.need);
            }
            if x.shortage() > 0 {
                prop_assert!(*a <= x.need);
            }
            prop_assert!(*a >= 0);
        }
        let surplus: i64 = r.iter().map(Reserve::surplus).sum();
        let short: i64 = r.iter().map(Reserve::shortage).sum();
        prop_assert_eq!(plan.shortage_after, (short - surplus).max(0));
        let left: i64 = r.iter().zip(&after).map(|(x, a)| (x.need - a).max(0)).sum();
        prop_assert_eq!(left, plan.shortage_after);
    }
}
