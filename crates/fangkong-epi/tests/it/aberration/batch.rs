//! Method names and batch evaluation.

use chrono::NaiveDate;
use fangkong_epi::aberration::{evaluate_batch, Detector, Method};
use fangkong_epi::{EpiError, Frequency, Series};

use crate::support::read_series;

#[test]
fn method_names_round_trip() {
    for method in Method::ALL {
        assert_eq!(Method::parse(method.as_str()), Ok(method));
        assert_eq!(method.to_string().parse::<Method>(), Ok(method));
    }
    assert_eq!(Method::parse(" EARS-C3 "), Ok(Method::EarsC3));
    assert_eq!(
        Method::parse("c4").unwrap_err().to_string(),
        "unknown method \"c4\", expected one of ears-c1, ears-c2, ears-c3, cusum, farrington"
    );
}

#[test]
fn batch_equals_one_by_one_on_any_number_of_threads() {
    let daily = read_series(
        include_str!("../../data/daily_series.csv"),
        Frequency::Daily,
    );
    let start = daily.start();
    let counts: Vec<Option<u32>> = daily.counts().to_vec();
    let series: Vec<Series> = (0..24)
        .map(|i| {
            Series::new(
                start,
                Frequency::Daily,
                counts[i * 40..i * 40 + 60].to_vec(),
            )
            .unwrap()
        })
        .chain([Series::from_counts(NaiveDate::MIN, Frequency::Daily, &[1, 2]).unwrap()])
        .collect();
    for method in [Method::EarsC1, Method::EarsC3, Method::Cusum] {
        let detector = Detector::from(method);
        let parallel = evaluate_batch(&detector, &series);
        let serial = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| evaluate_batch(&detector, &series));
        assert_eq!(parallel, serial);
        for (s, result) in series.iter().zip(&parallel) {
            assert_eq!(result, &detector.evaluate(s));
        }
        assert!(matches!(parallel[24], Err(EpiError::TooShort { .. })));
    }
}
