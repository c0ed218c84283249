//! Dorfman pooling against Dorfman's (1943) table and the closed form.

use fangkong_epi::pooling::{expected_tests_per_person, optimal_pool_size, DEFAULT_MAX_POOL_SIZE};
use fangkong_epi::EpiError;
use proptest::prelude::*;

/// Dorfman, R. (1943). The detection of defective members of large populations. Ann. Math.
/// Statist. 14(4), 436-440, Table 1: prevalence, optimal group size and the relative cost in
/// percent of individual testing (tests per person * 100, rounded).
const DORFMAN: &str = include_str!("../data/dorfman_1943.csv");

#[test]
fn perfect_tests_reproduce_dorfman_1943() {
    for line in DORFMAN.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let p: f64 = f[0].parse().unwrap();
        let (k, e) = optimal_pool_size(p, 1.0, 1.0, DEFAULT_MAX_POOL_SIZE).unwrap();
        assert_eq!(k.to_string(), f[1], "prevalence {p}");
        assert_eq!(format!("{:.0}", e * 100.0), f[2], "prevalence {p}");
    }
}

#[test]
fn closed_form_values() {
    // Perfect tests: E(k) = 1/k + 1 - (1 - p)^k.
    // p = 0.01, k = 11: 0.090909 + 1 - 0.99^11 (0.895338) = 0.195571.
    // p = 0.05, k = 5:  0.2 + 1 - 0.95^5 (0.773781) = 0.426219.
    // p = 0.10, k = 4:  0.25 + 1 - 0.9^4 (0.6561) = 0.593900.
    // Neighbours are worse: p = 0.01, k = 10: 0.195618 and k = 12: 0.196948.
    let cases = [
        (0.01, 11, 0.195_571),
        (0.05, 5, 0.426_219),
        (0.10, 4, 0.593_900),
        (0.01, 10, 0.195_618),
        (0.01, 12, 0.196_948),
    ];
    for (p, k, expected) in cases {
        let e = expected_tests_per_person(k, p, 1.0, 1.0).unwrap();
        assert!((e - expected).abs() < 5e-7, "p {p} k {k}: {e}");
    }
    for (p, k) in [(0.01, 11), (0.05, 5), (0.10, 4)] {
        assert_eq!(optimal_pool_size(p, 1.0, 1.0, 20).unwrap().0, k);
    }
}

#[test]
fn imperfect_tests_by_hand() {
    // p = 0.02, Se = 0.95, Sp = 0.99, k = 8: 0.98^8 = 0.850763, (0.95 + 0.99 - 1) * 0.850763
    // = 0.799717, E = 0.125 + 0.95 - 0.799717 = 0.275283; k = 7 gives 0.276819 and k = 9
    // 0.277388, so 8 is optimal.
    let (k, e) = optimal_pool_size(0.02, 0.95, 0.99, 20).unwrap();
    assert_eq!(k, 8);
    assert!((e - 0.275_283).abs() < 5e-7, "{e}");
}

#[test]
fn individual_testing_and_limits() {
    assert_eq!(expected_tests_per_person(1, 0.3, 0.9, 0.9), Ok(1.0));
    // Above Dorfman's break-even 1 - 3^(-1/3) = 0.3066 pooling does not pay.
    assert_eq!(optimal_pool_size(0.35, 1.0, 1.0, 20), Ok((1, 1.0)));
    // The cap on the pool size binds at a very low prevalence.
    assert_eq!(optimal_pool_size(0.0001, 1.0, 1.0, 20).unwrap().0, 20);
    assert!(matches!(
        expected_tests_per_person(0, 0.1, 1.0, 1.0),
        Err(EpiError::InvalidParameter { name: "k", .. })
    ));
    assert_eq!(
        expected_tests_per_person(5, 1.5, 1.0, 1.0)
            .unwrap_err()
            .to_string(),
        "p is 1.5, expected a probability between 0 and 1"
    );
}

proptest! {
    #[test]
    fn optimum_is_no_worse_than_any_pool_size(
        p in 0.0f64..0.5,
        se in 0.5f64..=1.0,
        sp in 0.5f64..=1.0,
        max_k in 1u32..40,
    ) {
        let (k, e) = optimal_pool_size(p, se, sp, max_k).unwrap();
        prop_assert!((1..=max_k).contains(&k));
        prop_assert!(e <= 1.0);
        for j in 1..=max_k {
            prop_assert!(e <= expected_tests_per_person(j, p, se, sp).unwrap());
        }
    }
}
