//! The simulator against theory, in the homogeneous-mixing limit (one layer: each
//! infectious person meets people drawn uniformly from the whole population).
//!
//! - Final size: the attack rate of an SEIR epidemic with homogeneous mixing solves
//!   `z = 1 - exp(-R0 z)` whatever the latent and infectious period distributions
//!   (Kermack and McKendrick 1927; Ma and Earn 2006, "Generality of the final size formula
//!   for an epidemic of a newly invading infectious disease", Bull Math Biol 68:679). We ask
//!   for agreement within 2% (relative) at R0 = 1.5, 2 and 3 on 200 000 people.
//! - Early growth: while nearly everyone is susceptible, incidence grows as `exp(r t)` with
//!   `r` the root of the Euler-Lotka equation `1 = R0 sum_t g(t) exp(-r t)` for the
//!   generation interval `g` (Wallinga and Lipsitch 2007, Proc R Soc B 274:599). With gamma
//!   durations the model's `g` is computed from the same samplers
//!   ([`GenerationInterval::estimate`]); we fit `r` by least squares to log daily infections
//!   from the day cumulative infections pass 500 until they pass 2% of the population, and
//!   ask for agreement within 5% (relative).

use fangkong_sim::theory::{final_size, GenerationInterval};
use fangkong_sim::{Contacts, Disease, Duration, InitialState, Population, Scenario, Simulation};

/// Everyone symptomatic (infectiousness 1 throughout), no severe disease, no response.
fn disease(latent: Duration, presymptomatic: Duration, symptomatic: Duration) -> Disease {
    Disease {
        latent,
        presymptomatic,
        symptomatic,
        symptomatic_probability: [1.0; 9],
        severe_probability: [0.0; 9],
        ..Disease::default()
    }
}

/// A run with `contacts` random contacts a day chosen so that R0 is `r0`.
fn run(
    n: u32,
    disease: Disease,
    r0: f64,
    seeds: u32,
    days: u16,
    seed: u64,
) -> (Population, Vec<u32>) {
    let g = GenerationInterval::estimate(&disease, 30, 400_000, 1);
    let contacts = 10.0;
    let beta = r0 / (contacts * g.infectious_days);
    let pop = Population::homogeneous(n);
    let scenario = Scenario::unmitigated(disease, Contacts::homogeneous(contacts, beta));
    let initial = InitialState::random_infections(&pop, seeds, &[], seed).unwrap();
    let daily = {
        let mut sim = Simulation::new(&pop, scenario, &initial, seed).unwrap();
        (0..days).map(|_| sim.step().total().infections).collect()
    };
    (pop, daily)
}

fn check_final_size(r0: f64) -> (f64, f64) {
    let n = 200_000;
    let d = disease(
        Duration::Gamma { mean: 2.0, sd: 1.0 },
        Duration::Fixed { days: 1.0 },
        Duration::Gamma { mean: 4.0, sd: 1.5 },
    );
    let (_, daily) = run(n, d, r0, 100, 400, 12);
    let attack = daily.iter().map(|&x| f64::from(x)).sum::<f64>() / f64::from(n);
    let expected = final_size(r0);
    let error = (attack - expected).abs() / expected;
    eprintln!(
        "final size, R0 {r0}: attack rate {attack:.4}, equation {expected:.4}, error {:.2}%",
        error * 100.0
    );
    assert!(
        error < 0.02,
        "R0 {r0}: attack rate {attack:.4}, final-size equation {expected:.4}, error {:.2}%",
        error * 100.0
    );
    (attack, expected)
}

#[test]
fn final_attack_rate_matches_the_seir_final_size_at_r0_1_5() {
    check_final_size(1.5);
}

#[test]
fn final_attack_rate_matches_the_seir_final_size_at_r0_2() {
    check_final_size(2.0);
}

#[test]
fn final_attack_rate_matches_the_seir_final_size_at_r0_3() {
    check_final_size(3.0);
}

fn check_growth(r0: f64) {
    let n = 1_000_000;
    let d = disease(
        Duration::Gamma { mean: 2.5, sd: 1.0 },
        Duration::Gamma { mean: 1.5, sd: 0.7 },
        Duration::Gamma { mean: 4.0, sd: 1.5 },
    );
    let g = GenerationInterval::estimate(&d, 30, 400_000, 1);
    let expected = g.growth_rate(r0);
    let (_, daily) = run(n, d, r0, 200, 120, 5);
    let mut cumulative = 0u64;
    let mut points = Vec::new();
    for (t, &x) in daily.iter().enumerate() {
        cumulative += u64::from(x);
        if cumulative > 500 && cumulative < u64::from(n) / 50 && x > 0 {
            points.push((t as f64, f64::from(x).ln()));
        }
    }
    assert!(
        points.len() >= 8,
        "only {} days in the window",
        points.len()
    );
    let m = points.len() as f64;
    let (sx, sy) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    let (mx, my) = (sx / m, sy / m);
    let slope = points.iter().map(|(x, y)| (x - mx) * (y - my)).sum::<f64>()
        / points.iter().map(|(x, _)| (x - mx).powi(2)).sum::<f64>();
    let error = (slope - expected).abs() / expected;
    eprintln!(
        "growth, R0 {r0}: r {slope:.4}/day, Euler-Lotka {expected:.4}/day, mean generation \
         interval {:.2} days, error {:.1}%",
        g.mean(),
        error * 100.0
    );
    assert!(
        error < 0.05,
        "R0 {r0}: growth rate {slope:.4}/day, Euler-Lotka {expected:.4}/day (mean generation \
         interval {:.2} days), error {:.1}%",
        g.mean(),
        error * 100.0
    );
}

#[test]
fn early_growth_rate_matches_euler_lotka_at_r0_2() {
    check_growth(2.0);
}

#[test]
fn early_growth_rate_matches_euler_lotka_at_r0_3() {
    check_growth(3.0);
}
