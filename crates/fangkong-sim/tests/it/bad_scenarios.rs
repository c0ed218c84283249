//! Scenario files are untrusted input (a drill director writes them by hand): any text gives
//! a scenario or an error, a scenario that validates runs without panicking, and one that
//! does not names the bad field.
//!
//! 64 cases per property by default (each runs a small simulation); `PROPTEST_CASES`
//! overrides for a long run.

use fangkong_sim::{InitialState, Scenario, Simulation};
use proptest::prelude::*;

use crate::determinism::small_city;

/// `PROPTEST_CASES` when set, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A scenario file with the numbers given, in every place a number goes.
fn scenario_text(x: &[f64; 8], days: (i64, i64)) -> String {
    format!(
        r#"
[disease]
latent = {{ distribution = "gamma", mean = {a:?}, sd = {b:?} }}
presymptomatic = {{ distribution = "log_normal", mean = {c:?}, sd = {b:?} }}
symptomatic = {{ distribution = "fixed", days = {d:?} }}
asymptomatic_infectiousness = {e:?}

[contacts]
household_beta = {f:?}
venue_contacts = {g:?}

[response]
sensitivity = {h:?}

[[interventions]]
kind = "lockdown"
start_day = {s}
end_day = {t}
area = "city"
"#,
        a = x[0],
        b = x[1],
        c = x[2],
        d = x[3],
        e = x[4],
        f = x[5],
        g = x[6],
        h = x[7],
        s = days.0,
        t = days.1,
    )
}

/// Mostly ordinary values (so that whole scenarios validate and run), sometimes extremes.
fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        8 => 0.0..1.0,
        1 => prop_oneof![
            Just(0.0),
            Just(-1.0),
            Just(1e-300),
            Just(1e300),
            Just(f64::MIN_POSITIVE),
            Just(f64::MAX),
            Just(365.0),
            0.0..2000.0,
        ],
        1 => any::<f64>().prop_filter("toml has no nan", |v| !v.is_nan()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(64), ..ProptestConfig::default() })]

    #[test]
    fn any_numbers_give_an_error_or_a_running_simulation(
        x in prop::array::uniform8(number()),
        days in (-5i64..400, -5i64..400),
    ) {
        let text = scenario_text(&x, days);
        let Ok(scenario) = toml::from_str::<Scenario>(&text) else { return Ok(()) };
        let pop = small_city(300);
        match Simulation::new(&pop, scenario.clone(), &InitialState::default(), 1) {
            Err(e) => prop_assert!(e.to_string().starts_with("scenario: "), "{e}"),
            Ok(mut sim) => {
                prop_assert!(scenario.validate().is_ok());
                let initial = InitialState::random_infections(&pop, 5, &[], 1)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                let mut sim2 = Simulation::new(&pop, scenario, &initial, 1)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                sim.run(5);
                sim2.run(20);
            }
        }
    }

    #[test]
    fn any_text_gives_a_scenario_or_an_error(text in "[\\[\\]{}=\"'.,#a-z0-9_ \\n-]{0,200}") {
        let _ = toml::from_str::<Scenario>(&text).map(|s| s.validate());
    }
}

#[test]
fn a_deeply_nested_scenario_is_an_error() {
    let text = format!(
        "[disease]\nlatent = {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let e = toml::from_str::<Scenario>(&text).unwrap_err();
    assert_eq!(e.message(), "recursion limit exceeded");
}
