//! Demographic constants of the synthetic population: census totals, age groups and their
//! weights, sex ratios and household sizes.
//!
//! Only constants and pure functions of them live here; no randomness. Figures that are not
//! from the census are plausible shapes for a Henan prefecture, chosen so that the census
//! marginals come out exactly.

#[cfg(test)]
use fangkong_domain::AgeBand;

/// Residents of Zhumadian in the 7th national census (2020).
pub const CENSUS_POPULATION: u64 = 7_008_427;
/// Male residents of Zhumadian in the 7th national census (2020).
pub const CENSUS_MALE: u64 = 3_474_414;
/// Shares of the residents by [`AgeBand::ALL`](fangkong_domain::AgeBand::ALL): 7th census 0-14 25.1 %, 15-59 55.1 %,
/// 60+ 19.8 %, of which 80+ is about 2.6 % of the total.
pub const BAND_SHARES: [f64; 4] = [0.251, 0.551, 0.172, 0.026];

/// The oldest age generated.
pub(crate) const MAX_AGE: u32 = 100;

/// Age groups the plan counts people in: finer than the bands where schools and households
/// need it (pre-school, kindergarten, primary, middle, high school, working age, elderly).
pub(crate) const N_GROUPS: usize = 8;
/// Inclusive age range of each group.
pub(crate) const GROUP_AGES: [(u32, u32); N_GROUPS] = [
    (0, 2),
    (3, 5),
    (6, 11),
    (12, 14),
    (15, 17),
    (18, 59),
    (60, 79),
    (80, MAX_AGE),
];
/// The band (index into [`AgeBand::ALL`](fangkong_domain::AgeBand::ALL)) of each group.
pub(crate) const GROUP_BAND: [usize; N_GROUPS] = [0, 0, 0, 0, 1, 1, 2, 3];
/// Group indices by role in a household.
pub(crate) const GROUP_KINDERGARTEN: usize = 1;
pub(crate) const GROUP_PRIMARY: usize = 2;
pub(crate) const GROUP_MIDDLE: usize = 3;
pub(crate) const GROUP_HIGH: usize = 4;
pub(crate) const GROUP_ADULT: usize = 5;
/// Groups whose members can head a household (18 and over).
pub(crate) const HEAD_GROUPS: [usize; 3] = [5, 6, 7];

/// Male share per group. Children follow the sex ratio at birth of the 2000s-2010s in Henan
/// (about 115 boys per 100 girls); working age is below one half because more men than women
/// work away from Zhumadian; women outlive men. Weighted by the band shares these give
/// 49.58 % male, the census share (3 474 414 / 7 008 427).
pub(crate) const GROUP_MALE_RATIO: [f64; N_GROUPS] =
    [0.535, 0.535, 0.535, 0.535, 0.52, 0.4845, 0.478, 0.42];

/// Relative number of people of a single year of age, within its band.
///
/// A plausible Henan pyramid in the 2020s, by five-year groups: the 1960s and 1980s-90s
/// birth peaks, thinner cohorts born around 2000, fewer births after 2017.
pub(crate) fn age_weight(age: u32) -> f64 {
    match age {
        0..=4 => 0.85,
        5..=9 => 1.05,
        10..=14 => 1.1,
        15..=19 => 1.0,
        20..=24 => 0.75,
        25..=29 => 0.8,
        30..=34 => 1.05,
        35..=39 => 0.9,
        40..=44 => 0.85,
        45..=49 => 1.1,
        50..=54 => 1.15,
        55..=59 => 0.9,
        60..=64 => 1.0,
        65..=69 => 0.95,
        70..=74 => 0.7,
        75..=79 => 0.45,
        80..=84 => 1.0,
        85..=89 => 0.55,
        90..=94 => 0.2,
        95..=99 => 0.05,
        _ => 0.01,
    }
}

/// Share of each group within its band, from [`age_weight`].
pub(crate) fn group_share_in_band(group: usize) -> f64 {
    let band = GROUP_BAND[group];
    let weight = |g: usize| -> f64 {
        let (lo, hi) = GROUP_AGES[g];
        (lo..=hi).map(age_weight).sum()
    };
    let band_total: f64 = (0..N_GROUPS)
        .filter(|g| GROUP_BAND[*g] == band)
        .map(weight)
        .sum();
    weight(group) / band_total
}

/// The group of an age.
#[cfg(test)]
pub(crate) fn group_of(age: u32) -> usize {
    GROUP_AGES
        .iter()
        .position(|(lo, hi)| (*lo..=*hi).contains(&age))
        .unwrap_or(N_GROUPS - 1)
}

/// Household sizes and their weights (per mille): 1 25 %, 2 30 %, 3 20 %, 4 13 %, 5+ 12 %.
/// The 5+ tail is split 7 / 3.5 / 1.5 % over 5, 6 and 7 persons.
pub(crate) const HOUSEHOLD_SIZES: [(u32, u64); 7] = [
    (1, 250),
    (2, 300),
    (3, 200),
    (4, 130),
    (5, 70),
    (6, 35),
    (7, 15),
];

/// The mean of [`HOUSEHOLD_SIZES`], used to decide how many households a community has.
pub(crate) fn mean_household_size() -> f64 {
    let total: u64 = HOUSEHOLD_SIZES.iter().map(|(_, w)| w).sum();
    let weighted: u64 = HOUSEHOLD_SIZES.iter().map(|(s, w)| u64::from(*s) * w).sum();
    weighted as f64 / total as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_cover_every_age_once_and_match_bands() {
        for age in 0..=MAX_AGE {
            let g = group_of(age);
            assert_eq!(
                AgeBand::ALL[GROUP_BAND[g]],
                AgeBand::of_age(age),
                "age {age}"
            );
        }
        for band in 0..4 {
            let s: f64 = (0..N_GROUPS)
                .filter(|g| GROUP_BAND[*g] == band)
                .map(group_share_in_band)
                .sum();
            assert!((s - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn male_ratios_reproduce_the_census_share() {
        let male: f64 = (0..N_GROUPS)
            .map(|g| BAND_SHARES[GROUP_BAND[g]] * group_share_in_band(g) * GROUP_MALE_RATIO[g])
            .sum();
        let census = CENSUS_MALE as f64 / CENSUS_POPULATION as f64;
        assert!((male - census).abs() < 0.0005, "{male} vs {census}");
        assert!((mean_household_size() - 2.635).abs() < 1e-9);
    }
}
