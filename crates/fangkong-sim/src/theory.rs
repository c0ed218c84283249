//! What the model should do, computed from its parameters: the generation interval, the
//! basic reproduction number of homogeneous mixing, the SEIR final size and the early
//! growth rate. The validation tests compare simulations with these, and forecasts can use
//! the generation interval (for Rt by the Cori method, say).

use crate::params::{band, Disease};
use crate::rng::Rng;

/// The model's generation interval and infectious days for a person of one age.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerationInterval {
    /// `pmf[t]`: probability that an infection is caused `t` days after the infector's
    /// own (the infector transmits at a constant rate on each infectious day, so this is
    /// the latent period plus a uniformly chosen infectious day, weighted by
    /// infectiousness).
    pub pmf: Vec<f64>,
    /// Expected infectious days weighted by relative infectiousness (asymptomatic days
    /// count `asymptomatic_infectiousness`, severe days none: the case is in hospital).
    pub infectious_days: f64,
}

impl GenerationInterval {
    /// Estimated from `samples` draws of the same duration sampler the simulation uses,
    /// for a person of `age` without vaccination.
    pub fn estimate(disease: &Disease, age: u8, samples: u32, seed: u64) -> GenerationInterval {
        let b = band(age);
        let mut rng = Rng::new(seed, 99, 0);
        let mut weights: Vec<f64> = Vec::new();
        let mut total = 0.0;
        for _ in 0..samples {
            let latent = usize::from(disease.latent.sample(&mut rng));
            let (days, w) = if rng.unit() < disease.symptomatic_probability[b] {
                let pre = usize::from(disease.presymptomatic.sample(&mut rng));
                let sym = usize::from(disease.symptomatic.sample(&mut rng));
                (pre + sym, 1.0)
            } else {
                let asym = usize::from(disease.asymptomatic.sample(&mut rng));
                (asym, disease.asymptomatic_infectiousness)
            };
            let end = latent + days;
            if weights.len() < end {
                weights.resize(end, 0.0);
            }
            for x in &mut weights[latent..end] {
                *x += w;
            }
            total += w * days as f64;
        }
        let pmf = weights.iter().map(|w| w / total).collect();
        GenerationInterval {
            pmf,
            infectious_days: total / f64::from(samples),
        }
    }

    /// The mean generation interval in days.
    pub fn mean(&self) -> f64 {
        self.pmf.iter().enumerate().map(|(t, p)| t as f64 * p).sum()
    }

    /// The daily growth rate `r` of an epidemic with basic reproduction number `r0`: the
    /// root of the discrete Euler-Lotka equation `1 = r0 * sum_t pmf[t] * exp(-r t)`
    /// (Wallinga and Lipsitch 2007, "How generation intervals shape the relationship between
    /// growth rates and reproductive numbers", Proc R Soc B 274:599), by bisection.
    pub fn growth_rate(&self, r0: f64) -> f64 {
        let f = |r: f64| {
            r0 * self
                .pmf
                .iter()
                .enumerate()
                .map(|(t, p)| p * (-r * t as f64).exp())
                .sum::<f64>()
                - 1.0
        };
        let (mut lo, mut hi) = (-1.0, 2.0);
        for _ in 0..100 {
            let mid = (lo + hi) / 2.0;
            if f(mid) > 0.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        (lo + hi) / 2.0
    }
}

/// The final attack rate `z` of a homogeneous-mixing SEIR epidemic: the positive root of
/// `z = 1 - exp(-r0 z)` (Kermack and McKendrick 1927; 0 when `r0 <= 1`), by fixed-point
/// iteration.
pub fn final_size(r0: f64) -> f64 {
    if r0 <= 1.0 {
        return 0.0;
    }
    let mut z: f64 = 0.5;
    for _ in 0..10_000 {
        z = 1.0 - (-r0 * z).exp();
    }
    z
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Duration;

    #[test]
    fn final_sizes_match_the_tables() {
        // Anderson and May 1991, fig. 6.3; z for R0 = 2 is 0.7968.
        assert!((final_size(2.0) - 0.796_812).abs() < 1e-5);
        assert!((final_size(1.5) - 0.582_812).abs() < 1e-5);
        assert_eq!(final_size(0.9), 0.0);
    }

    #[test]
    fn fixed_durations_give_a_uniform_generation_interval() {
        let d = Disease {
            latent: Duration::Fixed { days: 2.0 },
            presymptomatic: Duration::Fixed { days: 1.0 },
            symptomatic: Duration::Fixed { days: 3.0 },
            symptomatic_probability: [1.0; 9],
            ..Disease::default()
        };
        let g = GenerationInterval::estimate(&d, 30, 1000, 1);
        assert_eq!(g.pmf.len(), 6);
        assert!((g.pmf[2] - 0.25).abs() < 1e-12 && g.pmf[1] == 0.0);
        assert!((g.infectious_days - 4.0).abs() < 1e-12);
        assert!((g.mean() - 3.5).abs() < 1e-12);
        // r = 0 exactly when R0 = 1.
        assert!(g.growth_rate(1.0).abs() < 1e-9);
    }
}
