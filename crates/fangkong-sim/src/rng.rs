//! Counter-based random numbers: every stream is a pure function of a key, so that a draw
//! never depends on which thread makes it or in which order.
//!
//! SplitMix64 (Steele, Lea and Flood 2014, "Fast splittable pseudorandom number
//! generators", OOPSLA): a 64-bit Weyl sequence through a strong finaliser. It is not for
//! cryptography; it passes BigCrush and is a few cycles a draw.

/// The golden-ratio increment of the Weyl sequence.
const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// SplitMix64's finaliser: a bijective mix of 64 bits.
#[inline]
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A key of three words hashed to one.
#[inline]
pub(crate) fn key(seed: u64, a: u64, b: u64) -> u64 {
    mix(mix(mix(seed ^ GAMMA).wrapping_add(a)).wrapping_add(b.wrapping_mul(GAMMA)))
}

/// A uniform number in [0, 1) that is a function of the key alone.
#[inline]
pub(crate) fn unit(seed: u64, a: u64, b: u64) -> f64 {
    to_unit(key(seed, a, b))
}

#[inline]
fn to_unit(x: u64) -> f64 {
    (x >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A stream of draws from one key.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64, a: u64, b: u64) -> Rng {
        Rng(key(seed, a, b))
    }

    #[inline]
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GAMMA);
        mix(self.0)
    }

    /// Uniform in [0, 1).
    #[inline]
    pub(crate) fn unit(&mut self) -> f64 {
        to_unit(self.next_u64())
    }

    /// Uniform in (0, 1], safe for a logarithm.
    #[inline]
    pub(crate) fn open_unit(&mut self) -> f64 {
        1.0 - self.unit()
    }

    /// Uniform integer in `0..n` (Lemire's multiply-shift; the bias is below 2^-32 for the
    /// sizes used here).
    #[inline]
    pub(crate) fn below(&mut self, n: u32) -> u32 {
        (((self.next_u64() >> 32) * u64::from(n)) >> 32) as u32
    }

    /// A standard normal deviate (Box-Muller, one of the pair).
    pub(crate) fn normal(&mut self) -> f64 {
        let u = self.open_unit();
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// A gamma deviate of `shape` and scale 1 (Marsaglia and Tsang 2000, with the
    /// `U^(1/shape)` boost for shapes below 1).
    pub(crate) fn gamma(&mut self, shape: f64) -> f64 {
        if shape < 1.0 {
            let boost = self.open_unit().powf(1.0 / shape);
            return self.gamma(shape + 1.0) * boost;
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = 1.0 + c * x;
            if v <= 0.0 {
                continue;
            }
            let v = v * v * v;
            let u = self.open_unit();
            if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v;
            }
        }
    }

    /// A Poisson deviate of mean `lambda` (Knuth's product of uniforms below 30, a rounded
    /// normal above, where the difference does not matter for contact counts).
    pub(crate) fn poisson(&mut self, lambda: f64) -> u32 {
        if lambda <= 0.0 {
            return 0;
        }
        if lambda < 30.0 {
            let limit = (-lambda).exp();
            let mut k = 0;
            let mut p = self.unit();
            while p > limit {
                k += 1;
                p *= self.unit();
            }
            k
        } else {
            (lambda + lambda.sqrt() * self.normal()).round().max(0.0) as u32
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_have_the_expected_moments() {
        let mut rng = Rng::new(1, 2, 3);
        let n = 200_000;
        let (mut s, mut s2) = (0.0, 0.0);
        for _ in 0..n {
            let x = rng.gamma(2.5) * 2.0;
            s += x;
            s2 += x * x;
        }
        let mean = s / f64::from(n);
        let var = s2 / f64::from(n) - mean * mean;
        assert!((mean - 5.0).abs() < 0.05, "{mean}");
        assert!((var - 10.0).abs() < 0.3, "{var}");
        let p: u32 = (0..n).map(|_| rng.poisson(3.5)).sum();
        assert!((f64::from(p) / f64::from(n) - 3.5).abs() < 0.02);
        let small = rng.gamma(0.5);
        assert!(small >= 0.0);
    }

    #[test]
    fn keys_differ_in_every_word() {
        assert_ne!(key(1, 2, 3), key(1, 3, 2));
        assert_ne!(key(1, 2, 3), key(2, 2, 3));
        assert_eq!(unit(7, 8, 9), unit(7, 8, 9));
    }
}
