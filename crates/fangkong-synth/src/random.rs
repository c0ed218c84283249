//! Seeded randomness: stream derivation, weighted choice, apportionment and a lognormal draw.
//!
//! Every random decision of the generator goes through a ChaCha8 stream derived here from the
//! config seed and a stable text label (`"plan"`, `"township/411702001"`), so a township's
//! output never depends on which thread generated it or on what was generated before. Nothing
//! here may use thread-local or operating-system randomness.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The random stream for `label` under `seed`.
pub(crate) fn stream(seed: u64, label: &str) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(splitmix64(seed ^ splitmix64(fnv1a(label.as_bytes()))))
}

/// FNV-1a, 64-bit: a stable hash of a label (std's hasher is not stable across releases).
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// SplitMix64 finaliser (Steele, Lea and Flood 2014): mixes a 64-bit value into a well-spread one.
pub(crate) fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A standard normal draw (Box-Muller).
pub(crate) fn normal(rng: &mut impl Rng) -> f64 {
    // 1 - [0, 1) is (0, 1], so the logarithm is finite.
    let u1: f64 = 1.0 - rng.gen::<f64>();
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A lognormal draw with the given median and log-scale standard deviation.
pub(crate) fn lognormal(rng: &mut impl Rng, median: f64, sigma: f64) -> f64 {
    median * (sigma * normal(rng)).exp()
}

/// A point uniformly scattered in a disc of `radius` degrees around `center` (lon, lat).
pub(crate) fn scatter(rng: &mut impl Rng, center: (f64, f64), radius: f64) -> (f64, f64) {
    let r = radius * rng.gen::<f64>().sqrt();
    let angle = std::f64::consts::TAU * rng.gen::<f64>();
    (center.0 + r * angle.cos(), center.1 + r * angle.sin())
}

/// An index drawn with probability proportional to `weights`; `None` when they sum to zero.
pub(crate) fn choose_weighted(rng: &mut impl Rng, weights: &[f64]) -> Option<usize> {
    let total: f64 = weights.iter().filter(|w| **w > 0.0).sum();
    if total <= 0.0 || !total.is_finite() {
        return None;
    }
    let mut r = rng.gen::<f64>() * total;
    let mut last = None;
    for (i, w) in weights.iter().enumerate() {
        if *w > 0.0 {
            if r < *w {
                return Some(i);
            }
            r -= *w;
            last = Some(i);
        }
    }
    // Rounding can leave `r` a hair above the last weight.
    last
}

/// An index drawn with probability proportional to integer `weights`; `None` when all are zero.
pub(crate) fn choose_counted(rng: &mut impl Rng, weights: &[u64]) -> Option<usize> {
    let total: u64 = weights.iter().sum();
    if total == 0 {
        return None;
    }
    let mut r = rng.gen_range(0..total);
    for (i, w) in weights.iter().enumerate() {
        if r < *w {
            return Some(i);
        }
        r -= *w;
    }
    None
}

/// Splits `total` in proportion to `weights` by the largest-remainder (Hamilton) method.
///
/// The parts always sum to `total`. Non-positive or non-finite weights count as zero; when
/// every weight is zero the split is even. Ties go to the lower index, so the result is
/// deterministic.
pub(crate) fn apportion(total: u64, weights: &[f64]) -> Vec<u64> {
    if weights.is_empty() {
        return Vec::new();
    }
    let clean: Vec<f64> = weights
        .iter()
        .map(|w| if w.is_finite() && *w > 0.0 { *w } else { 0.0 })
        .collect();
    let sum: f64 = clean.iter().sum();
    let clean = if sum > 0.0 {
        clean
    } else {
        vec![1.0; weights.len()]
    };
    let sum: f64 = clean.iter().sum();
    let quotas: Vec<f64> = clean.iter().map(|w| total as f64 * w / sum).collect();
    let mut parts: Vec<u64> = quotas.iter().map(|q| q.floor() as u64).collect();
    let mut assigned: u64 = parts.iter().sum();
    // Floating-point error could overshoot by a unit; take it back from the largest part.
    while assigned > total {
        if let Some(i) = (0..parts.len()).max_by_key(|i| (parts[*i], std::cmp::Reverse(*i))) {
            parts[i] -= 1;
            assigned -= 1;
        }
    }
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|a, b| {
        let fa = quotas[*a] - quotas[*a].floor();
        let fb = quotas[*b] - quotas[*b].floor();
        fb.total_cmp(&fa)
    });
    for i in order.iter().cycle().take((total - assigned) as usize) {
        parts[*i] += 1;
    }
    parts
}

/// Splits `total` in proportion to integer `weights`, exactly, by the largest-remainder method.
///
/// When `total` does not exceed the sum of the weights, no part exceeds its weight, which
/// makes the function usable for drawing a sub-population from remaining counts. Ties go to
/// the lower index. All-zero weights give an even split.
pub(crate) fn apportion_counts(total: u64, weights: &[u64]) -> Vec<u64> {
    let sum: u128 = weights.iter().map(|w| u128::from(*w)).sum();
    if sum == 0 {
        return apportion(total, &vec![1.0; weights.len()]);
    }
    let mut parts = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    for w in weights {
        let product = u128::from(total) * u128::from(*w);
        parts.push((product / sum) as u64);
        remainders.push(product % sum);
    }
    let assigned: u64 = parts.iter().sum();
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|a, b| remainders[*b].cmp(&remainders[*a]));
    for i in order.iter().take((total - assigned) as usize) {
        parts[*i] += 1;
    }
    parts
}

/// A cumulative-weight table for repeated weighted draws by binary search.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Cumulative<T> {
    ends: Vec<u64>,
    items: Vec<T>,
}

impl<T> Cumulative<T> {
    /// An empty table.
    pub(crate) fn new() -> Cumulative<T> {
        Cumulative {
            ends: Vec::new(),
            items: Vec::new(),
        }
    }

    /// Adds `item` with `weight`; zero weights are skipped.
    pub(crate) fn push(&mut self, weight: u64, item: T) {
        if weight == 0 {
            return;
        }
        let end = self.total() + weight;
        self.ends.push(end);
        self.items.push(item);
    }

    /// The sum of the weights.
    pub(crate) fn total(&self) -> u64 {
        self.ends.last().copied().unwrap_or(0)
    }

    /// Draws an item with probability proportional to its weight; `None` when empty.
    pub(crate) fn pick(&self, rng: &mut impl Rng) -> Option<&T> {
        let total = self.total();
        if total == 0 {
            return None;
        }
        let r = rng.gen_range(0..total);
        let i = self.ends.partition_point(|end| *end <= r);
        self.items.get(i)
    }

    /// Each item with its own weight, in insertion order.
    pub(crate) fn weighted(&self) -> impl Iterator<Item = (u64, &T)> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        self.ends
            .iter()
            .zip(starts)
            .map(|(end, start)| end - start)
            .zip(&self.items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::Rng;

    #[test]
    fn apportion_is_exact_and_proportional() {
        assert_eq!(apportion(10, &[1.0, 1.0, 1.0]), vec![4, 3, 3]);
        assert_eq!(apportion(7, &[0.0, 0.0]), vec![4, 3]);
        assert_eq!(apportion(100, &[0.5, 0.25, 0.25]), vec![50, 25, 25]);
        assert_eq!(apportion_counts(3, &[5, 0, 5]), vec![2, 0, 1]);
        assert_eq!(apportion_counts(10, &[5, 0, 5]), vec![5, 0, 5]);
    }

    #[test]
    fn streams_differ_by_label_and_seed() {
        let a: u64 = stream(1, "a").gen();
        let b: u64 = stream(1, "b").gen();
        let c: u64 = stream(2, "a").gen();
        let a2: u64 = stream(1, "a").gen();
        assert_eq!(a, a2);
        assert_ne!(a, b);
        assert_ne!(a, c);
    }

    proptest! {
        #[test]
        fn apportion_counts_never_exceeds_weights(
            weights in prop::collection::vec(0u64..50, 1..10),
            frac in 0.0f64..=1.0,
        ) {
            let sum: u64 = weights.iter().sum();
            let total = (sum as f64 * frac).floor() as u64;
            let parts = apportion_counts(total, &weights);
            prop_assert_eq!(parts.iter().sum::<u64>(), total);
            for (p, w) in parts.iter().zip(&weights) {
                prop_assert!(p <= w);
            }
        }

        #[test]
        fn apportion_sums_to_total(
            weights in prop::collection::vec(0.0f64..10.0, 1..20),
            total in 0u64..100_000,
        ) {
            prop_assert_eq!(apportion(total, &weights).iter().sum::<u64>(), total);
        }
    }
}
