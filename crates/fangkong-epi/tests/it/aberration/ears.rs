//! EARS against `surveillance::earsC` (surveillance 1.20.3 on R 4.2.2, tables from
//! tests/data/make_reference.R) and cases derived by hand.

use chrono::NaiveDate;
use expect_test::{expect, Expect};
use fangkong_epi::aberration::{ears, EarsParams, EarsVariant};
use fangkong_epi::{EpiError, Frequency, Series};
use proptest::prelude::*;

use crate::support::{differences, read_reference, read_series, render};

const DAILY: &str = include_str!("../../data/daily_series.csv");

fn first_120_days() -> Series {
    let series = read_series(DAILY, Frequency::Daily);
    Series::new(
        series.start(),
        Frequency::Daily,
        series.counts()[..120].to_vec(),
    )
    .unwrap()
}

fn check_against_r(params: &EarsParams, table: &str) {
    let ours = ears(&first_120_days(), params).unwrap();
    let reference = read_reference(table);
    assert_eq!(ours.len(), reference.len());
    // earsC does not report the expected value, so only thresholds and alarms are compared.
    let diff = differences(&ours, &reference, 1e-9, false, &[]);
    assert!(
        diff.is_empty(),
        "{} differences:\n{}",
        diff.len(),
        diff.join("\n")
    );
}

#[test]
fn c1_matches_ears_c() {
    check_against_r(
        &EarsParams::new(EarsVariant::C1),
        include_str!("../../data/ears_c1.csv"),
    );
}

#[test]
fn c2_matches_ears_c() {
    check_against_r(
        &EarsParams::new(EarsVariant::C2),
        include_str!("../../data/ears_c2.csv"),
    );
}

#[test]
fn c2_with_longer_baseline_and_min_sigma_matches_ears_c() {
    let params = EarsParams {
        baseline: 10,
        alpha: 0.01,
        min_sigma: 1.0,
        ..EarsParams::new(EarsVariant::C2)
    };
    check_against_r(&params, include_str!("../../data/ears_c2_baseline10.csv"));
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 3, d).unwrap()
}

fn check(counts: &[Option<u32>], params: &EarsParams, expect: Expect) {
    let series = Series::new(day(1), Frequency::Daily, counts.to_vec()).unwrap();
    expect.assert_eq(&render(&ears(&series, params).unwrap()));
}

fn known(counts: &[u32]) -> Vec<Option<u32>> {
    counts.iter().copied().map(Some).collect()
}

#[test]
fn c1_by_hand() {
    // Baseline of index 7: 2, 4, 2, 4, 2, 4, 2. Mean 20/7 = 2.857143. Squared deviations
    // 4 * (6/7)^2 + 3 * (8/7)^2 = 48/7, sd = sqrt(48/7 / 6) = sqrt(8/7) = 1.069045.
    // qnorm(0.999) = 3.090232, threshold = 2.857143 + 3.090232 * 1.069045 = 6.160740.
    // 9 > 6.160740: alarm. Index 8: baseline 4, 2, 4, 2, 4, 2, 9, mean 27/7 = 3.857143,
    // squared deviations 3 * (1/7)^2 + 3 * (13/7)^2 + (36/7)^2 = 1806/49 = 36.857143,
    // sd = sqrt(36.857143 / 6) = 2.478479, threshold = 3.857143 + 3.090232 * 2.478479 = 11.516218.
    check(
        &known(&[2, 4, 2, 4, 2, 4, 2, 9, 5]),
        &EarsParams::new(EarsVariant::C1),
        expect![[r#"
            7 2024-03-08 9 2.8571 6.1607 ALARM
            8 2024-03-09 5 3.8571 11.5162 -
        "#]],
    );
}

#[test]
fn c2_by_hand() {
    // Index 9 with lag 2: baseline indices 0..=6 = 2, 4, 2, 4, 2, 4, 2 as in C1 above, so the
    // threshold is again 6.160740; indices 7 and 8 (the lag) are ignored.
    check(
        &known(&[2, 4, 2, 4, 2, 4, 2, 100, 100, 6]),
        &EarsParams::new(EarsVariant::C2),
        expect![[r#"
            9 2024-03-10 6 2.8571 6.1607 -
        "#]],
    );
}

#[test]
fn c3_by_hand() {
    // alpha = 0.025 by default: z = qnorm(0.975) = 1.959964. Counts alternate 2, 4 from
    // index 0; the first point judged is index 11 = baseline + 4.
    // C2 baselines (indices u-9..=u-3) of u = 9, 10, 11: 2,4,2,4,2,4,2 (mean 20/7, sd
    // 1.069045), 4,2,4,2,4,2,4 (mean 22/7, sd 1.069045), and 2,4,...,2 again.
    // C2(9) = (y9 - 20/7) / 1.069045 with y9 = 7: 3.875288, part max(0, C2 - 1) = 2.875288.
    // C2(10) = (y10 - 22/7) / 1.069045 with y10 = 4: 0.801784, part 0.
    // U3(11) = 20/7 + 1.069045 * (1.959964 - 2.875288 - 0) = 2.857143 - 0.978523 = 1.878620.
    // 2 > 1.878620: alarm (the documented C3 bound; earsC's code would give 2 + (-0.978523)).
    let counts = known(&[2, 4, 2, 4, 2, 4, 2, 4, 2, 7, 4, 2]);
    check(
        &counts,
        &EarsParams::new(EarsVariant::C3),
        expect![[r#"
            11 2024-03-12 2 2.8571 1.8786 ALARM
        "#]],
    );
}

#[test]
fn c3_flat_baseline_with_a_rise_gives_a_zero_threshold() {
    // All zeros, then 1 at indices 10 and 11: over a flat baseline (sd 0, min_sigma 0) C2(10)
    // and C2(11) are infinite, so the C3 bound of indices 11, 12 and 13 is 0 (the limit of the
    // formula) and 1 > 0 at index 11 is an alarm. At index 13 the baseline (indices 4..=10)
    // takes in the 1 of index 10: expected 1/7.
    let mut counts = vec![0; 14];
    counts[10] = 1;
    counts[11] = 1;
    check(
        &known(&counts),
        &EarsParams::new(EarsVariant::C3),
        expect![[r#"
            11 2024-03-12 1 0.0000 0.0000 ALARM
            12 2024-03-13 0 0.0000 0.0000 -
            13 2024-03-14 0 0.1429 0.0000 -
        "#]],
    );
}

#[test]
fn missing_counts_are_left_out_of_the_baseline() {
    // Baseline of index 7 without index 3: 2, 4, 2, 2, 4, 2, mean 16/6 = 2.666667, squared
    // deviations 4 * (2/3)^2 + 2 * (4/3)^2 = 16/3, sd = sqrt(16/3 / 5) = 1.032796, threshold
    // 2.666667 + 3.090232 * 1.032796 = 5.858245. Index 8 (baseline 4, 2, 2, 4, 2, 9: mean
    // 23/6 = 3.833333, sd 2.714160, threshold 12.220719) is missing: never an alarm. With 5
    // of 7 baseline values missing there is no threshold.
    check(
        &[
            Some(2),
            Some(4),
            Some(2),
            None,
            Some(2),
            Some(4),
            Some(2),
            Some(9),
            None,
        ],
        &EarsParams::new(EarsVariant::C1),
        expect![[r#"
            7 2024-03-08 9 2.6667 5.8582 ALARM
            8 2024-03-09 - 3.8333 12.2207 -
        "#]],
    );
    check(
        &[None, None, None, None, None, Some(1), Some(1), Some(5)],
        &EarsParams::new(EarsVariant::C1),
        expect![[r#"
            7 2024-03-08 5 - - -
        "#]],
    );
}

#[test]
fn short_series_names_the_history_needed() {
    let series = Series::from_counts(day(1), Frequency::Daily, &[1; 10]).unwrap();
    let err = ears(&series, &EarsParams::new(EarsVariant::C3)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "ears-c3 needs at least 12 time points, found 10"
    );
    let tiny_baseline = EarsParams {
        baseline: 2,
        ..EarsParams::default()
    };
    assert!(matches!(
        ears(&series, &tiny_baseline),
        Err(EpiError::InvalidParameter {
            name: "baseline",
            ..
        })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn c1_and_c2_thresholds_scale_with_the_counts(
        counts in proptest::collection::vec(0u32..50, 10..40),
        factor in 2u32..6,
    ) {
        // Mean and standard deviation are linear in the counts, so with min_sigma = 0 the
        // threshold scales by the same factor and the alarms do not change.
        let scaled: Vec<u32> = counts.iter().map(|c| c * factor).collect();
        for variant in [EarsVariant::C1, EarsVariant::C2] {
            let params = EarsParams::new(variant);
            let run = |c: &[u32]| {
                ears(&Series::from_counts(day(1), Frequency::Daily, c).unwrap(), &params).unwrap()
            };
            let (a, b) = (run(&counts), run(&scaled));
            for (x, y) in a.iter().zip(&b) {
                let (tx, ty) = (x.threshold.unwrap(), y.threshold.unwrap());
                prop_assert!((tx * f64::from(factor) - ty).abs() < 1e-9 * ty.abs().max(1.0));
                prop_assert_eq!(x.alarm, y.alarm);
            }
        }
    }

    #[test]
    fn zeros_never_alarm(len in 12usize..40) {
        let series = Series::from_counts(day(1), Frequency::Daily, &vec![0; len]).unwrap();
        for variant in [EarsVariant::C1, EarsVariant::C2, EarsVariant::C3] {
            for e in ears(&series, &EarsParams::new(variant)).unwrap() {
                prop_assert!(!e.alarm);
                prop_assert_eq!(e.threshold, Some(0.0));
            }
        }
    }
}
