//! Synthetic daily surveillance series, deterministic by seed.
//!
//! Why it exists: the aberration benchmark needs many series that look like sentinel counts
//! (a seasonal baseline with a weekly pattern, over-dispersion, the odd missing report, past
//! and current outbreaks) without shipping data. Series `i` is drawn from its own ChaCha8
//! stream derived from `(seed, i)`, so the data does not depend on the number of threads.
//!
//! What it must not do: read the clock or use operating-system randomness.

use chrono::{Datelike, Days, NaiveDate};
use fangkong_epi::{Frequency, Series};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// Where the series lie in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Date of the first count.
    pub start: NaiveDate,
    /// Number of daily counts in every series.
    pub len: usize,
    /// Index of the first of the evaluated days (the last `len - first_evaluated` days).
    pub first_evaluated: usize,
}

impl Layout {
    /// Series that end on `end` and give the first of their last `days` days exactly `years`
    /// calendar years of history plus `window` days: what Farrington with `b = years` and
    /// `w = window` needs to judge that day (the reference window of the earliest year starts
    /// on the first count).
    pub fn ending(end: NaiveDate, days: usize, years: u32, window: usize) -> Option<Layout> {
        let first = end.checked_sub_days(Days::new(days.checked_sub(1)? as u64))?;
        let year = first.year() - i32::try_from(years).ok()?;
        let same_date = NaiveDate::from_ymd_opt(year, first.month(), first.day())
            .or_else(|| NaiveDate::from_ymd_opt(year, 3, 1))?;
        let start = same_date.checked_sub_days(Days::new(window as u64))?;
        let len = usize::try_from((end - start).num_days()).ok()? + 1;
        Some(Layout {
            start,
            len,
            first_evaluated: len - days,
        })
    }
}

/// What was injected into one series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Truth {
    /// Index of the first day of an outbreak injected near the end, if any.
    pub outbreak_start: Option<usize>,
    /// Whether the series belongs to the low-count group (baseline mean 1-5 a day).
    pub low_count: bool,
}

/// `n` series laid out as `layout`, and what was injected into each.
pub fn generate(layout: Layout, n: usize, seed: u64) -> (Vec<Series>, Vec<Truth>) {
    (0..n)
        .into_par_iter()
        .map(|i| generate_one(layout, seed, i))
        .unzip()
}

/// One outbreak: extra cases with a gamma-like epidemic curve.
#[derive(Debug, Clone, Copy)]
struct Outbreak {
    start: usize,
    duration: usize,
    peak_extra: f64,
}

impl Outbreak {
    /// Mean number of extra cases on day `i`.
    fn extra(&self, i: usize) -> f64 {
        if i < self.start || i >= self.start + self.duration {
            return 0.0;
        }
        // Peak a third of the way in: x e^(1 - x) is 1 at x = 1.
        let peak_day = (self.duration as f64 / 3.0).max(1.0);
        let x = (i - self.start + 1) as f64 / peak_day;
        self.peak_extra * x * (1.0 - x).exp()
    }
}

fn generate_one(layout: Layout, seed: u64, index: usize) -> (Series, Truth) {
    let mut rng = stream(seed, index as u64);
    let low_count = rng.gen_bool(0.5);
    // Baseline mean: 1-5 a day (a township's syndrome count) or 20-200 (a county's), the
    // latter log-uniform.
    let level = if low_count {
        rng.gen_range(1.0..5.0)
    } else {
        (rng.gen_range(20f64.ln()..200f64.ln())).exp()
    };
    // Annual cycle: most series peak in winter (respiratory), the others anywhere.
    let amplitude = rng.gen_range(0.05..0.6);
    let peak_day = if rng.gen_bool(0.7) {
        rng.gen_range(-30.0..45.0)
    } else {
        rng.gen_range(0.0..365.0)
    };
    let growth_per_year: f64 = 0.05 * normal(&mut rng);
    // Weekly reporting pattern, Monday first: fewer reports at the weekend, catch-up on Monday.
    let strength = rng.gen_range(0.0..1.0);
    let base = [1.12, 1.06, 1.03, 1.01, 0.98, 0.90, 0.84];
    let mut weekly = base.map(|b| 1.0 + strength * (b - 1.0));
    let mean_factor = weekly.iter().sum::<f64>() / 7.0;
    weekly.iter_mut().for_each(|f| *f /= mean_factor);
    // Over-dispersion: 60% negative binomial with size 2-30, the others Poisson.
    let size = rng.gen_bool(0.6).then(|| rng.gen_range(2.0..30.0));
    let missing_rate = if rng.gen_bool(0.1) { 0.002 } else { 0.0 };
    let len = layout.len;
    let past = rng.gen_bool(0.15).then(|| Outbreak {
        start: rng.gen_range(60..len - 120),
        duration: rng.gen_range(7..29),
        peak_extra: (rng.gen_range(0.5..3.0) * level).max(4.0),
    });
    let recent = rng.gen_bool(0.2).then(|| Outbreak {
        start: len - rng.gen_range(5..=(len - layout.first_evaluated)),
        duration: rng.gen_range(7..22),
        peak_extra: (rng.gen_range(0.5..2.5) * level).max(5.0),
    });

    let start_doy = f64::from(layout.start.ordinal0());
    let start_weekday = layout.start.weekday().num_days_from_monday() as usize;
    let counts = (0..len)
        .map(|i| {
            let day = i as f64;
            let season = (amplitude
                * (std::f64::consts::TAU * (start_doy + day - peak_day) / 365.25).cos())
            .exp();
            let trend = (growth_per_year * day / 365.25).exp();
            let mean = level * season * trend * weekly[(start_weekday + i) % 7];
            let mut count = match size {
                Some(k) => negative_binomial(&mut rng, mean, k),
                None => poisson(&mut rng, mean),
            };
            for outbreak in past.iter().chain(recent.iter()) {
                count += poisson(&mut rng, outbreak.extra(i));
            }
            let missing = missing_rate > 0.0 && rng.gen_bool(missing_rate);
            (!missing).then_some(count)
        })
        .collect();
    let series = Series::new(layout.start, Frequency::Daily, counts)
        .expect("the layout's dates are representable");
    let truth = Truth {
        outbreak_start: recent.map(|o| o.start),
        low_count,
    };
    (series, truth)
}

/// The random stream of series `index` under `seed`.
fn stream(seed: u64, index: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(splitmix64(seed ^ splitmix64(index)))
}

/// SplitMix64 finaliser (Steele, Lea and Flood 2014).
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A standard normal draw (Box-Muller).
fn normal(rng: &mut impl Rng) -> f64 {
    // 1 - [0, 1) is (0, 1], so the logarithm is finite.
    let u1: f64 = 1.0 - rng.gen::<f64>();
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A Poisson draw with mean `mu`: inversion below 30, else the transformed rejection of
/// Hörmann 1993 (PTRS, as numpy's `random_poisson_ptrs`).
fn poisson(rng: &mut impl Rng, mu: f64) -> u32 {
    if mu <= 0.0 || !mu.is_finite() {
        return 0;
    }
    if mu < 30.0 {
        let u: f64 = rng.gen();
        let mut k = 0u32;
        let mut p = (-mu).exp();
        let mut cdf = p;
        while u > cdf && k < 10_000 {
            k += 1;
            p *= mu / f64::from(k);
            cdf += p;
        }
        return k;
    }
    let slam = mu.sqrt();
    let loglam = mu.ln();
    let b = 0.931 + 2.53 * slam;
    let a = -0.059 + 0.02483 * b;
    let inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
    let vr = 0.9277 - 3.6224 / (b - 2.0);
    loop {
        let u = rng.gen::<f64>() - 0.5;
        let v: f64 = rng.gen();
        let us = 0.5 - u.abs();
        let k = ((2.0 * a / us + b) * u + mu + 0.43).floor();
        if us >= 0.07 && v <= vr {
            return k as u32;
        }
        if k < 0.0 || (us < 0.013 && v > us) {
            continue;
        }
        if (v * inv_alpha / (a / (us * us) + b)).ln() <= -mu + k * loglam - ln_gamma(k + 1.0) {
            return k as u32;
        }
    }
}

/// A negative binomial draw with mean `mu` and `size` (variance `mu + mu^2 / size`), as a
/// Poisson with a gamma-distributed mean.
fn negative_binomial(rng: &mut impl Rng, mu: f64, size: f64) -> u32 {
    let scale = gamma(rng, size) / size;
    poisson(rng, mu * scale)
}

/// A gamma draw with `shape` and scale 1 (Marsaglia and Tsang 2000).
fn gamma(rng: &mut impl Rng, shape: f64) -> f64 {
    if shape < 1.0 {
        let u: f64 = 1.0 - rng.gen::<f64>();
        return gamma(rng, shape + 1.0) * u.powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = normal(rng);
        let v = (1.0 + c * x).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u: f64 = 1.0 - rng.gen::<f64>();
        if u < 1.0 - 0.0331 * x.powi(4) || u.ln() < 0.5 * x * x + d * (1.0 - v + v.ln()) {
            return d * v;
        }
    }
}

/// `ln Γ(x)` for `x > 0`: Stirling's series after shifting `x` to at least 10 (error below
/// 1e-13).
fn ln_gamma(x: f64) -> f64 {
    let mut x = x;
    let mut shift = 0.0;
    while x < 10.0 {
        shift += x.ln();
        x += 1.0;
    }
    let inv = 1.0 / x;
    let inv2 = inv * inv;
    let series = inv * (1.0 / 12.0 - inv2 * (1.0 / 360.0 - inv2 * (1.0 / 1260.0 - inv2 / 1680.0)));
    (x - 0.5) * x.ln() - x + 0.5 * (std::f64::consts::TAU).ln() + series - shift
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_gives_the_first_evaluated_day_five_years_and_a_window() {
        let end = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
        let layout = Layout::ending(end, 30, 5, 3).unwrap();
        // 2025-12-02 minus 5 years is 2020-12-02; minus 3 days is 2020-11-29.
        assert_eq!(layout.start, NaiveDate::from_ymd_opt(2020, 11, 29).unwrap());
        assert_eq!(layout.len, 1859);
        assert_eq!(layout.first_evaluated, 1829);
    }

    #[test]
    fn samplers_have_the_right_means() {
        let mut rng = stream(7, 0);
        for mu in [0.5, 4.0, 80.0] {
            let n = 20_000;
            let mean = (0..n)
                .map(|_| f64::from(poisson(&mut rng, mu)))
                .sum::<f64>()
                / n as f64;
            assert!(
                (mean - mu).abs() < 4.0 * (mu / n as f64).sqrt() + 1e-9,
                "{mu} {mean}"
            );
        }
        assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-12);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-12);
        assert!((ln_gamma(101.0) - (1..=100).map(|k| f64::from(k).ln()).sum::<f64>()).abs() < 1e-9);
    }

    #[test]
    fn the_same_seed_gives_the_same_series() {
        let end = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
        let layout = Layout::ending(end, 30, 5, 3).unwrap();
        let a = generate(layout, 8, 3);
        let b = generate(layout, 8, 3);
        assert_eq!(a.0, b.0);
        assert_ne!(a.0, generate(layout, 8, 4).0);
    }
}
