//! Capacity forecasts: small pools worked out by hand in the comments, every refusal, the
//! trend of arrivals, and on random pools that the day-by-day recursion equals the closed
//! form (who is present at the end of a day).

use expect_test::{expect, Expect};
use fangkong_epi::capacity::{forecast_pool, runs_out, trend_inflow, DayForecast, PoolInput};
use fangkong_epi::EpiError;
use proptest::prelude::*;

/// The pool of the hand-worked cases: 10 units, 6 occupied, releases 2, 1, 0, 3, arrivals
/// 3, 2, 2, 1, stays of 2 days.
fn pool(turnaround_days: u32, cleaning: Vec<u32>) -> PoolInput {
    PoolInput {
        capacity: 10,
        occupied: 6,
        cleaning,
        releases: vec![2, 1, 0, 3],
        inflow: vec![3.0, 2.0, 2.0, 1.0],
        length_of_stay: 2,
        turnaround_days,
    }
}

/// Prints the forecast as a table, with the day it runs out, or the error.
fn check(input: &PoolInput, expect: Expect) {
    let out = match forecast_pool(input) {
        Err(e) => format!("error: {e}\n"),
        Ok(days) => {
            let mut out = String::from("day arrivals departures occupied cleaning free\n");
            for d in &days {
                out += &format!(
                    "{:>3} {:>8} {:>10} {:>8} {:>8} {:>4}\n",
                    d.day, d.arrivals, d.departures, d.occupied, d.cleaning, d.free
                );
            }
            out += &format!("runs out: {:?}\n", runs_out(&days));
            out
        }
    };
    expect.assert_eq(&out);
}

#[test]
fn one_day_of_cleaning() {
    // Day 1: 3 arrive; 2 released (nobody who arrived in the forecast leaves before day
    //        1 + 2 = 3); occupied 6 + 3 - 2 = 7; cleaning the 2 vacated today; free
    //        10 - 7 - 2 = 1.
    // Day 2: 2 arrive; 1 released; occupied 7 + 2 - 1 = 8; cleaning 1; free 1.
    // Day 3: 2 arrive; 0 released + day 1's 3 arrivals leave = 3; occupied 8 + 2 - 3 = 7;
    //        cleaning 3; free 0 (full, not short).
    // Day 4: 1 arrives; 3 released + day 2's 2 arrivals = 5; occupied 7 + 1 - 5 = 3;
    //        cleaning 5; free 2.
    check(
        &pool(1, vec![]),
        expect![[r#"
            day arrivals departures occupied cleaning free
              1        3          2        7        2    1
              2        2          1        8        1    1
              3        2          3        7        3    0
              4        1          5        3        5    2
            runs out: None
        "#]],
    );
}

#[test]
fn two_days_of_cleaning_run_out_on_day_two() {
    // Cleaning is the departures of the day and the day before (within the forecast):
    // day 1: 2; day 2: 2 + 1 = 3, free 10 - 8 - 3 = -1; day 3: 1 + 3 = 4, free
    // 10 - 7 - 4 = -1; day 4: 3 + 5 = 8, free 10 - 3 - 8 = -1.
    check(
        &pool(2, vec![]),
        expect![[r#"
            day arrivals departures occupied cleaning free
              1        3          2        7        2    1
              2        2          1        8        3   -1
              3        2          3        7        4   -1
              4        1          5        3        8   -1
            runs out: Some(2)
        "#]],
    );
}

#[test]
fn units_in_cleaning_today_count_until_usable() {
    // One unit usable again on day 1, one on day 2: today 6 + 2 = 8 of 10 in use. At the
    // end of day 1 the second is still being cleaned: cleaning 2 + 1 = 3, free 0.
    check(
        &pool(1, vec![1, 1]),
        expect![[r#"
            day arrivals departures occupied cleaning free
              1        3          2        7        3    0
              2        2          1        8        1    1
              3        2          3        7        3    0
              4        1          5        3        5    2
            runs out: None
        "#]],
    );
}

#[test]
fn without_turnaround_a_vacated_unit_is_free_the_same_day() {
    // Day 1: occupied 7, nothing in cleaning, free 3; and so on: free = 10 - occupied.
    check(
        &pool(0, vec![]),
        expect![[r#"
            day arrivals departures occupied cleaning free
              1        3          2        7        0    3
              2        2          1        8        0    2
              3        2          3        7        0    3
              4        1          5        3        0    7
            runs out: None
        "#]],
    );
}

#[test]
fn fractional_arrivals_stay_fractional() {
    // 0.5 arrive on day 1 and leave on day 2 (a stay of 1 day); 1.5 arrive on day 2.
    let input = PoolInput {
        capacity: 2,
        occupied: 0,
        cleaning: vec![],
        releases: vec![0, 0, 0],
        inflow: vec![0.5, 1.5, 2.25],
        length_of_stay: 1,
        turnaround_days: 1,
    };
    // Day 3: 2.25 arrive, day 2's 1.5 leave: occupied 2.25, cleaning 1.5, free -1.75.
    check(
        &input,
        expect![[r#"
            day arrivals departures occupied cleaning free
              1      0.5          0      0.5        0  1.5
              2      1.5        0.5      1.5      0.5    0
              3     2.25        1.5     2.25      1.5 -1.75
            runs out: Some(3)
        "#]],
    );
}

#[test]
fn an_empty_horizon_forecasts_nothing() {
    let input = PoolInput {
        releases: vec![],
        inflow: vec![],
        ..pool(1, vec![])
    };
    assert_eq!(forecast_pool(&input), Ok(vec![]));
    assert_eq!(runs_out(&[]), None);
}

#[test]
fn inconsistent_input_is_refused() {
    let cases = [
        PoolInput {
            releases: vec![2, 1, 0],
            ..pool(1, vec![])
        },
        PoolInput {
            releases: vec![2, 1, 0, 4],
            ..pool(1, vec![])
        },
        PoolInput {
            occupied: 11,
            releases: vec![0; 4],
            ..pool(1, vec![])
        },
        pool(1, vec![3, 2]),
        PoolInput {
            inflow: vec![3.0, -1.0, 2.0, 1.0],
            ..pool(1, vec![])
        },
        PoolInput {
            inflow: vec![3.0, f64::NAN, 2.0, 1.0],
            ..pool(1, vec![])
        },
        PoolInput {
            length_of_stay: 0,
            ..pool(1, vec![])
        },
    ];
    let errors: Vec<String> = cases
        .iter()
        .map(|c| forecast_pool(c).unwrap_err().to_string())
        .collect();
    expect![[r#"
        [
            "releases covers 3 days, expected 4",
            "planned releases total 7, more than the 6 occupied units",
            "11 units occupied or being cleaned, more than the capacity of 10",
            "11 units occupied or being cleaned, more than the capacity of 10",
            "inflow is -1, expected a finite number of at least 0",
            "inflow is NaN, expected a finite number of at least 0",
            "length_of_stay is 0, expected at least 1 day",
        ]
    "#]]
    .assert_debug_eq(&errors);
    assert!(matches!(
        forecast_pool(&cases[0]),
        Err(EpiError::LengthMismatch {
            found: 3,
            expected: 4,
            ..
        })
    ));
}

#[test]
fn a_trend_line_through_the_last_14_days() {
    // 2, 4, 6, 8: mean x 1.5, mean y 5, slope (1.5*3 + 0.5*1) * 2 / (2.25 + 0.25) * 2 = 2,
    // intercept 5 - 2 * 1.5 = 2: x = 4, 5, 6 give 10, 12, 14.
    assert_eq!(trend_inflow(&[2, 4, 6, 8], 3), [10.0, 12.0, 14.0]);
    // Falling: 10, 8, 6, 4 gives 2, then 0 (clamped from -2), 0.
    assert_eq!(trend_inflow(&[10, 8, 6, 4], 3), [2.0, 0.0, 0.0]);
    // Only the last 14 days count: six days of 100 before fourteen of 5 give 5.
    let mut history = vec![100; 6];
    history.extend([5; 14]);
    assert_eq!(trend_inflow(&history, 2), [5.0, 5.0]);
    // 1, 2, 0: mean x 1, mean y 1, slope (-1 * 0 + 0 + 1 * -1) / 2 = -0.5, intercept 1.5;
    // x = 3 gives 0 (clamped from 0), x = 4 gives 0.
    assert_eq!(trend_inflow(&[1, 2, 0], 2), [0.0, 0.0]);
    // 1, 3, 2: slope (-1 * -1 + 0 + 1 * 0) / 2 = 0.5, intercept 1.5: x = 3 gives 3.
    assert_eq!(trend_inflow(&[1, 3, 2], 1), [3.0]);
}

#[test]
fn a_short_history_projects_its_mean() {
    assert_eq!(trend_inflow(&[3, 5], 3), [4.0, 4.0, 4.0]);
    assert_eq!(trend_inflow(&[7], 1), [7.0]);
    assert_eq!(trend_inflow(&[], 2), [0.0, 0.0]);
    assert_eq!(trend_inflow(&[1, 2, 3], 0), Vec::<f64>::new());
}

/// Occupancy and cleaning from who is present, not from the recursion: at the end of day
/// `d`, today's occupants not yet released and the arrivals of the last `los` days.
fn closed_form(input: &PoolInput) -> Vec<(f64, f64)> {
    let los = input.length_of_stay as usize;
    let t = input.turnaround_days as usize;
    let horizon = input.inflow.len();
    let departures = |j: usize| -> f64 {
        let planned = f64::from(input.releases[j - 1]);
        planned
            + if j > los {
                input.inflow[j - los - 1]
            } else {
                0.0
            }
    };
    (1..=horizon)
        .map(|d| {
            let released: u32 = input.releases[..d].iter().sum();
            let arrived: f64 = (d.saturating_sub(los) + 1..=d)
                .map(|a| input.inflow[a - 1])
                .sum();
            let occupied = f64::from(input.occupied - released) + arrived;
            let vacated: f64 = (1..=d).filter(|&j| j + t > d).map(departures).sum();
            let cleaning_today: u32 = input.cleaning.iter().skip(d).sum();
            (occupied, vacated + f64::from(cleaning_today))
        })
        .collect()
}

fn pool_input() -> impl Strategy<Value = PoolInput> {
    (1usize..20, 1u32..6, 0u32..4, 0u32..50)
        .prop_flat_map(|(horizon, los, t, occupied)| {
            (
                prop::collection::vec(0u32..4, horizon),
                prop::collection::vec(0.0f64..10.0, horizon),
                prop::collection::vec(0u32..3, 0..4),
                Just((los, t, occupied)),
            )
        })
        .prop_map(|(mut releases, inflow, cleaning, (los, t, occupied))| {
            // Keep the planned releases within the occupants.
            let mut left = occupied;
            for r in &mut releases {
                *r = (*r).min(left);
                left -= *r;
            }
            PoolInput {
                capacity: occupied + cleaning.iter().sum::<u32>() + 5,
                occupied,
                cleaning,
                releases,
                inflow,
                length_of_stay: los,
                turnaround_days: t,
            }
        })
}

proptest! {
    #[test]
    fn the_recursion_equals_who_is_present(input in pool_input()) {
        let days: Vec<DayForecast> = forecast_pool(&input).unwrap();
        prop_assert_eq!(days.len(), input.inflow.len());
        for (d, (occupied, cleaning)) in days.iter().zip(closed_form(&input)) {
            prop_assert!((d.occupied - occupied).abs() < 1e-9, "{:?} {}", d, occupied);
            prop_assert!((d.cleaning - cleaning).abs() < 1e-9, "{:?} {}", d, cleaning);
            prop_assert!(d.occupied >= -1e-9 && d.cleaning >= -1e-9);
            let free = f64::from(input.capacity) - d.occupied - d.cleaning;
            prop_assert!((d.free - free).abs() < 1e-9);
        }
        let first = days.iter().find(|d| d.free < -1e-9).map(|d| d.day);
        prop_assert_eq!(runs_out(&days), first);
    }
}
