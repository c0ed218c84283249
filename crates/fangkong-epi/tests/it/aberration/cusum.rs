//! CUSUM against `surveillance::algo.cusum` (surveillance 1.20.3 on R 4.2.2, table from
//! tests/data/make_reference.R) and a case derived by hand.

use chrono::NaiveDate;
use expect_test::expect;
use fangkong_epi::aberration::{cusum, CusumParams};
use fangkong_epi::{EpiError, Frequency, Series};

use crate::support::{differences, read_reference, read_series, render};

#[test]
fn matches_algo_cusum() {
    // algo.cusum(disProg, control = list(range = 8:120)): m is the mean of days 1..7.
    let series = read_series(
        include_str!("../../data/daily_series.csv"),
        Frequency::Daily,
    );
    let first = Series::new(
        series.start(),
        Frequency::Daily,
        series.counts()[..120].to_vec(),
    )
    .unwrap();
    let ours = cusum(&first, &CusumParams::default()).unwrap();
    let reference = read_reference(include_str!("../../data/cusum.csv"));
    assert_eq!(ours.len(), reference.len());
    let diff = differences(&ours, &reference, 1e-12, true, &[]);
    assert!(
        diff.is_empty(),
        "{} differences:\n{}",
        diff.len(),
        diff.join("\n")
    );
}

#[test]
fn by_hand() {
    // Baseline 4, 4, 4, 4: m = 4, sqrt(m) = 2, k = 1.04, h = 2.26.
    // t=4: threshold ceil(2 * (2.26 + 1.04 - 0) + 4) = ceil(10.6) = 11; y = 10:
    //      S = max(0, 0 + (10 - 4) / 2 - 1.04) = 1.96 < 2.26.
    // t=5: threshold ceil(2 * (3.30 - 1.96) + 4) = ceil(6.68) = 7; y = 7:
    //      S = 1.96 + 1.5 - 1.04 = 2.42 >= 2.26: alarm (7 >= 7).
    // t=6: missing: S stays 2.42, no alarm; threshold ceil(2 * (3.30 - 2.42) + 4) = 6.
    // t=7: y = 2: S = max(0, 2.42 - 1 - 1.04) = 0.38; threshold 6 again, no alarm.
    let counts = vec![
        Some(4),
        Some(4),
        Some(4),
        Some(4),
        Some(10),
        Some(7),
        None,
        Some(2),
    ];
    let start = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
    let series = Series::new(start, Frequency::Daily, counts).unwrap();
    let params = CusumParams {
        baseline: 4,
        ..CusumParams::default()
    };
    expect![[r#"
        4 2024-03-05 10 4.0000 11.0000 -
        5 2024-03-06 7 4.0000 7.0000 ALARM
        6 2024-03-07 - 4.0000 6.0000 -
        7 2024-03-08 2 4.0000 6.0000 -
    "#]]
    .assert_eq(&render(&cusum(&series, &params).unwrap()));
}

#[test]
fn zero_baseline_needs_an_explicit_mean() {
    let start = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
    let series = Series::from_counts(start, Frequency::Daily, &[0; 10]).unwrap();
    assert_eq!(
        cusum(&series, &CusumParams::default()),
        Err(EpiError::ZeroReferenceMean { baseline: 7 })
    );
    let given = CusumParams {
        m: Some(0.5),
        ..CusumParams::default()
    };
    assert!(cusum(&series, &given).unwrap().iter().all(|e| !e.alarm));
    let short = Series::from_counts(start, Frequency::Daily, &[1; 7]).unwrap();
    assert_eq!(
        cusum(&short, &CusumParams::default())
            .unwrap_err()
            .to_string(),
        "cusum needs at least 8 time points, found 7"
    );
}
