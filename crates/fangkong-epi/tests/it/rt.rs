//! Rt, doubling time and forecast against EpiEstim (2.2-4 on R 4.2.2, tables from
//! tests/data/make_reference.R) and cases derived by hand.

use fangkong_epi::rt::{
    discretise_serial_interval, doubling_time, estimate_rt, forecast, RtParams, SerialInterval,
};
use fangkong_epi::EpiError;
use proptest::prelude::*;

fn column(csv: &str, name: &str) -> Vec<f64> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = header.iter().position(|h| *h == name).unwrap();
    lines
        .map(|l| l.split(',').nth(at).unwrap().parse().unwrap())
        .collect()
}

fn assert_close(ours: f64, reference: f64, rel: f64, what: &str) {
    assert!(
        (ours - reference).abs() <= rel * reference.abs().max(1e-300),
        "{what}: ours {ours}, reference {reference}"
    );
}

#[test]
fn discretised_serial_interval_matches_discr_si() {
    // EpiEstim::discr_si(0:15, 4.8, 2.3).
    let table = include_str!("../data/discr_si.csv");
    let reference = column(table, "w");
    let ours = discretise_serial_interval(4.8, 2.3, reference.len()).unwrap();
    for (k, (o, r)) in ours.iter().zip(&reference).enumerate() {
        assert!((o - r).abs() < 1e-13, "w({k}): ours {o}, EpiEstim {r}");
    }
}

#[test]
fn discretised_serial_interval_closed_form() {
    // Mean 2, sd 1: the serial interval minus one day is exponential with rate 1 (shape
    // ((2 - 1) / 1)^2 = 1, scale 1). The discretisation integrates the triangle kernel
    // 1 - |y - (k - 1)| on [k - 2, k] against e^-y, so w(0) = 0,
    // w(1) = F(1) - F_2(1) = (1 - e^-1) - (1 - 2 e^-1) = e^-1 and, for k >= 2,
    // w(k) = e^-(k - 2) (1 - e^-1)^2, for instance w(2) = 2 F(2) - 2 F(1) + 2 F_2(1) - F_2(2)
    // = 1 - 2 e^-1 + e^-2. They sum to e^-1 + (1 - e^-1) = 1.
    let w = discretise_serial_interval(2.0, 1.0, 8).unwrap();
    let e1 = (-1f64).exp();
    assert_eq!(w[0], 0.0);
    assert!((w[1] - e1).abs() < 1e-14);
    for (k, wk) in w.iter().enumerate().skip(2) {
        let expected = (-(k as f64 - 2.0)).exp() * (1.0 - e1).powi(2);
        assert!(
            (wk - expected).abs() < 1e-14,
            "w({k}) = {wk}, expected {expected}"
        );
    }
}

#[test]
fn rt_matches_estimate_r() {
    // estimate_R(incid, method = "parametric_si", config = make_config(mean_si = 4.8,
    // std_si = 2.3)), default weekly windows; t_start and t_end are 0-based in the table.
    let incidence: Vec<u32> = column(include_str!("../data/rt_incidence.csv"), "incidence")
        .into_iter()
        .map(|v| v as u32)
        .collect();
    let table = include_str!("../data/rt_epiestim.csv");
    let ours = estimate_rt(&incidence, &RtParams::parametric(4.8, 2.3)).unwrap();
    let starts = column(table, "t_start");
    assert_eq!(ours.len(), starts.len());
    for (name, get) in [
        (
            "mean",
            (|e| e.mean) as fn(&fangkong_epi::rt::RtEstimate) -> f64,
        ),
        ("std", |e| e.std),
        ("q025", |e| e.q025),
        ("median", |e| e.median),
        ("q975", |e| e.q975),
    ] {
        for ((e, r), s) in ours.iter().zip(column(table, name)).zip(&starts) {
            assert_eq!(e.t_start as f64, *s);
            assert_close(get(e), r, 1e-10, &format!("{name} of window {s}"));
        }
    }
}

fn one_day_serial_interval() -> RtParams {
    RtParams {
        serial_interval: SerialInterval::Discrete(vec![0.0, 1.0]),
        ..RtParams::parametric(2.0, 1.0)
    }
}

#[test]
fn rt_posterior_by_hand() {
    // Every serial interval is 1 day, so Lambda(t) = I(t - 1) = 10 on days 1..=7.
    // Prior: shape (5/5)^2 = 1, scale 25/5 = 5. Window days 1..=7: sum I = 70, sum Lambda = 70.
    // Posterior shape 71, scale 1 / (1/5 + 70) = 1 / 70.2:
    // mean 71 / 70.2 = 1.011396, std sqrt(71) / 70.2 = 0.120030,
    // quantiles (R: qgamma(c(0.025, 0.5, 0.975), 71, rate = 70.2))
    // 0.789908675990014, 1.006651656858748, 1.259840296752692.
    let out = estimate_rt(&[10; 8], &one_day_serial_interval()).unwrap();
    assert_eq!(out.len(), 1);
    let e = &out[0];
    assert_eq!((e.t_start, e.t_end), (1, 7));
    assert_close(e.shape, 71.0, 1e-15, "shape");
    assert_close(e.scale, 1.0 / 70.2, 1e-15, "scale");
    assert_close(e.mean, 71.0 / 70.2, 1e-15, "mean");
    assert_close(e.std, 71f64.sqrt() / 70.2, 1e-15, "std");
    assert_close(e.q025, 0.789_908_675_990_014, 1e-12, "q025");
    assert_close(e.median, 1.006_651_656_858_748, 1e-12, "median");
    assert_close(e.q975, 1.259_840_296_752_692, 1e-12, "q975");
}

#[test]
fn forecast_by_hand() {
    // With the one-day serial interval, E[I(T + h)] = R E[I(T + h - 1)]: the central path is
    // 10 (71/70.2)^h = 10.113960, 10.229219, 10.345791. The band (R: qpois) is
    // qpois(0.025, 10 * 0.789909^h) = 3, 2, 1 and qpois(0.975, 10 * 1.259840^h) = 20, 24, 29.
    let out = forecast(&[10; 8], &one_day_serial_interval(), 3).unwrap();
    let central = [
        10.113_960_113_960_1,
        10.229_218_918_677_6,
        10.345_791_214_047_2,
    ];
    for (p, c) in out.iter().zip(central) {
        assert_close(p.mean, c, 1e-12, "mean");
    }
    let band: Vec<(usize, f64, f64)> = out
        .iter()
        .map(|p| (p.day_ahead, p.lower, p.upper))
        .collect();
    assert_eq!(band, [(1, 3.0, 20.0), (2, 2.0, 24.0), (3, 1.0, 29.0)]);
}

#[test]
fn doubling_time_by_hand() {
    // Exact doubling every day: log I is a line of slope ln 2 with no residual.
    let g = doubling_time(&[1, 2, 4, 8, 16, 32, 64], 7).unwrap();
    assert_close(g.rate, std::f64::consts::LN_2, 1e-14, "rate");
    assert_close(g.doubling_time, 1.0, 1e-14, "doubling time");
    let (lo, hi) = g.doubling_time_ci.unwrap();
    assert_close(lo, 1.0, 1e-12, "lower");
    assert_close(hi, 1.0, 1e-12, "upper");

    // I = 3, 5, 9, 14 on t = 0..3: log I = 1.098612, 1.609438, 2.197225, 2.639057,
    // Sxx = 5, Sxy = 2.604561, r = 0.520912 (R: lm(log(y) ~ t) gives 0.520912178774356);
    // R's confint: 0.438434041645710 to 0.603390315903003 (t(0.975, 2) = 4.302653);
    // doubling time ln 2 / r = 1.330641, interval 1.148754 to 1.580961.
    let g = doubling_time(&[40, 3, 5, 9, 14], 4).unwrap();
    assert_close(g.rate, 0.520_912_178_774_356, 1e-12, "rate");
    assert_close(g.rate_ci.0, 0.438_434_041_645_710, 1e-9, "rate lower");
    assert_close(g.rate_ci.1, 0.603_390_315_903_003, 1e-9, "rate upper");
    assert_close(
        g.doubling_time,
        1.330_641_149_897_55,
        1e-12,
        "doubling time",
    );
    let (lo, hi) = g.doubling_time_ci.unwrap();
    assert_close(lo, 1.148_754_234_682_43, 1e-9, "doubling lower");
    assert_close(hi, 1.580_961_136_042_59, 1e-9, "doubling upper");

    // I = 1, 2, 8: slope (ln 8 - ln 1) / 2 = 1.5 ln 2, doubling time 2/3 day; one residual
    // degree of freedom makes t(0.975, 1) = 12.706205 and the interval of r
    // (-1.502719, 3.582161) contains 0, so the doubling time has no bounded interval.
    let g = doubling_time(&[1, 2, 8], 3).unwrap();
    assert_close(g.doubling_time, 2.0 / 3.0, 1e-14, "doubling time");
    assert_close(g.rate_ci.0, -1.502_719_078_502_29, 1e-9, "rate lower");
    assert_eq!(g.doubling_time_ci, None);
}

#[test]
fn errors_name_what_is_wrong() {
    let params = RtParams::parametric(4.8, 2.3);
    assert_eq!(
        estimate_rt(&[1; 7], &params).unwrap_err().to_string(),
        "rt needs at least 8 time points, found 7"
    );
    assert_eq!(
        estimate_rt(&[1; 10], &RtParams::parametric(0.8, 2.3))
            .unwrap_err()
            .to_string(),
        "serial interval mean is 0.8, expected more than 1 day"
    );
    let bad = RtParams {
        serial_interval: SerialInterval::Discrete(vec![0.2, 0.8]),
        ..params.clone()
    };
    assert_eq!(
        estimate_rt(&[1; 10], &bad).unwrap_err().to_string(),
        "serial interval distribution is invalid: the probability of 0 days must be 0"
    );
    assert_eq!(
        doubling_time(&[4, 0, 5, 6], 4),
        Err(EpiError::ZeroCount { index: 1 })
    );
    assert!(matches!(
        doubling_time(&[4, 5], 2),
        Err(EpiError::InvalidParameter { name: "window", .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn posterior_summaries_are_ordered_and_forecasts_repeat(
        incidence in proptest::collection::vec(0u32..200, 8..40),
    ) {
        let params = RtParams::parametric(4.8, 2.3);
        for e in estimate_rt(&incidence, &params).unwrap() {
            prop_assert!(0.0 < e.q025 && e.q025 < e.median && e.median < e.q975);
            prop_assert!(e.mean > 0.0 && e.std > 0.0);
        }
        let a = forecast(&incidence, &params, 14).unwrap();
        prop_assert_eq!(&a, &forecast(&incidence, &params, 14).unwrap());
        for p in &a {
            prop_assert!(p.lower <= p.upper && p.mean >= 0.0);
        }
    }
}
