//! Household composition: turns a community's head counts by age group and sex into
//! households of plausible members and ages.
//!
//! The plan fixes how many people of each group and sex live in a community and how many
//! households they form; this module only arranges them, so the census marginals stay exact.
//! Every household is headed by someone aged 18 or over, children live with an adult who is
//! old enough to be their parent or grandparent, and spouses are of opposite sex and similar
//! age where the community has such a person left. It must not change the counts it is given.

use std::sync::OnceLock;

use rand::Rng;

use crate::demography::{
    age_weight, GROUP_ADULT, GROUP_AGES, HEAD_GROUPS, HOUSEHOLD_SIZES, MAX_AGE, N_GROUPS,
};
use crate::random::{choose_counted, choose_weighted};

/// People to place, by age group and sex (`[group][0]` men, `[group][1]` women).
pub(crate) type Quota = [[u32; 2]; N_GROUPS];

/// A member's place in the household.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Head,
    Spouse,
    /// Anyone under 18: a child or grandchild.
    Child,
    /// Another adult: grown-up child, parent, sibling.
    Relative,
}

/// One member of a household.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Member {
    pub group: usize,
    pub male: bool,
    /// Age in completed years on the reference date.
    pub age: u32,
    pub role: Role,
}

/// Households laid out flat: `sizes[i]` consecutive members per household, head first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Households {
    pub members: Vec<Member>,
    pub sizes: Vec<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Category {
    Child,
    Adult,
    Elder,
}

impl Category {
    const ALL: [Category; 3] = [Category::Child, Category::Adult, Category::Elder];

    fn groups(self) -> std::ops::Range<usize> {
        match self {
            Category::Child => 0..GROUP_ADULT,
            Category::Adult => GROUP_ADULT..GROUP_ADULT + 1,
            Category::Elder => GROUP_ADULT + 1..N_GROUPS,
        }
    }
}

fn total(counts: &Quota, cat: Category) -> u64 {
    cat.groups()
        .map(|g| u64::from(counts[g][0]) + u64::from(counts[g][1]))
        .sum()
}

/// Arranges the people of `quota` into `households` households.
///
/// `households` is clamped to between 1 and the number of people aged 18 and over (each
/// household needs a head); a quota with nobody in it gives no households.
pub(crate) fn arrange(quota: &Quota, households: usize, rng: &mut impl Rng) -> Households {
    let mut counts = *quota;
    let population: u64 = counts.iter().flatten().map(|c| u64::from(*c)).sum();
    let adults = total(&counts, Category::Adult);
    let elders = total(&counts, Category::Elder);
    let n = (households as u64).clamp(1, (adults + elders).max(1));
    if population == 0 || adults + elders == 0 {
        return Households::default();
    }
    let sizes = draw_sizes(rng, n as usize, population);
    let mut pool = AgePool::new(quota, rng);

    // Reserve heads up front so that later households still find one. The elderly head more
    // households than their share of adults: most live alone or as a couple.
    let elder_share = (elders as f64 / (adults + elders) as f64 * 1.25).min(0.95);
    let low = n.saturating_sub(adults);
    let high = elders.min(n);
    let mut reserved_elders = ((n as f64 * elder_share).round() as u64).clamp(low, high);
    let mut reserved_adults = n - reserved_elders;

    let mut members = Vec::with_capacity(population as usize);
    let mut actual = Vec::with_capacity(sizes.len());
    for &size in &sizes {
        let start = members.len();
        let head_cat = if reserved_adults == 0 {
            Category::Elder
        } else if reserved_elders == 0 {
            Category::Adult
        } else {
            let elder_affinity = match size {
                1 => 1.6,
                2 => 1.4,
                3 => 0.7,
                4 => 0.5,
                _ => 0.8,
            };
            let we = reserved_elders as f64 * elder_affinity;
            let wa = reserved_adults as f64;
            if rng.gen::<f64>() * (we + wa) < we {
                Category::Elder
            } else {
                Category::Adult
            }
        };
        match head_cat {
            Category::Elder => reserved_elders -= 1,
            _ => reserved_adults -= 1,
        }
        // Men are registered as household heads about twice as often as women.
        let Some((group, male)) = take(&mut counts, head_cat, None, 2, rng) else {
            break;
        };
        members.push(Member {
            group,
            male,
            age: 0,
            role: Role::Head,
        });
        let head_male = male;
        for slot in 1..size {
            let available = |counts: &Quota, cat: Category| -> u64 {
                let reserved = match cat {
                    Category::Child => 0,
                    Category::Adult => reserved_adults,
                    Category::Elder => reserved_elders,
                };
                total(counts, cat).saturating_sub(reserved)
            };
            if slot == 1 {
                let p_spouse = match size {
                    2 => 0.72,
                    3 => 0.8,
                    _ => 0.85,
                };
                if rng.gen_bool(p_spouse) && available(&counts, head_cat) > 0 {
                    if let Some((group, male)) =
                        take(&mut counts, head_cat, Some(!head_male), 1, rng)
                    {
                        members.push(Member {
                            group,
                            male,
                            age: 0,
                            role: Role::Spouse,
                        });
                        continue;
                    }
                }
            }
            // How readily each kind of person joins this kind of head.
            let affinity = match head_cat {
                Category::Elder => [1.2, 0.9, 0.15],
                _ => [3.0, 0.35, 0.5],
            };
            let weights = [
                available(&counts, Category::Child) as f64 * affinity[0],
                available(&counts, Category::Adult) as f64 * affinity[1],
                available(&counts, Category::Elder) as f64 * affinity[2],
            ];
            let Some(i) = choose_weighted(rng, &weights) else {
                break;
            };
            let cat = Category::ALL[i];
            let Some((group, male)) = take(&mut counts, cat, None, 1, rng) else {
                break;
            };
            members.push(Member {
                group,
                male,
                age: 0,
                role: if cat == Category::Child {
                    Role::Child
                } else {
                    Role::Relative
                },
            });
        }
        assign_ages(&mut members[start..], &mut pool, rng);
        // Every slot finds someone, since the people left always equal the slots left; the
        // recorded size is the member count regardless.
        actual.push((members.len() - start) as u32);
    }
    Households {
        members,
        sizes: actual,
    }
}

/// `n` household sizes drawn from [`HOUSEHOLD_SIZES`] and nudged to sum to `population`.
fn draw_sizes(rng: &mut impl Rng, n: usize, population: u64) -> Vec<u32> {
    let weights: Vec<u64> = HOUSEHOLD_SIZES.iter().map(|(_, w)| *w).collect();
    let mut sizes: Vec<u32> = (0..n)
        .map(|_| {
            let i = choose_counted(rng, &weights).unwrap_or(0);
            HOUSEHOLD_SIZES[i].0
        })
        .collect();
    let mut sum: u64 = sizes.iter().map(|s| u64::from(*s)).sum();
    while sum < population {
        let i = rng.gen_range(0..n);
        sizes[i] += 1;
        sum += 1;
    }
    // Terminates: n <= population, so while sum > population some household has two or more.
    while sum > population {
        let i = rng.gen_range(0..n);
        if sizes[i] > 1 {
            sizes[i] -= 1;
            sum -= 1;
        }
    }
    sizes
}

/// Takes one person of category `cat` (and of sex `male` if given) out of `counts`, weighting
/// men by `male_weight`. Returns the group and sex, or `None` if nobody fits.
fn take(
    counts: &mut Quota,
    cat: Category,
    male: Option<bool>,
    male_weight: u64,
    rng: &mut impl Rng,
) -> Option<(usize, bool)> {
    let mut cells = [(0usize, false); 2 * N_GROUPS];
    let mut weights = [0u64; 2 * N_GROUPS];
    let mut n = 0;
    for g in cat.groups() {
        for (s, is_male) in [(0, true), (1, false)] {
            if male.is_some_and(|m| m != is_male) {
                continue;
            }
            cells[n] = (g, is_male);
            weights[n] = u64::from(counts[g][s]) * if is_male { male_weight } else { 1 };
            n += 1;
        }
    }
    let i = choose_counted(rng, &weights[..n])?;
    let (g, is_male) = cells[i];
    counts[g][usize::from(!is_male)] -= 1;
    Some((g, is_male))
}

/// The ages of a community's people, drawn once from the pyramid, by age and sex.
///
/// Roles pick their ages out of this pool (a parent takes an age that fits the children), so
/// the community's single-year distribution stays the drawn pyramid instead of bending
/// towards the ages parents tend to have.
struct AgePool {
    /// `counts[age][0]` men, `counts[age][1]` women.
    counts: Vec<[u32; 2]>,
}

impl AgePool {
    fn new(quota: &Quota, rng: &mut impl Rng) -> AgePool {
        let mut counts = vec![[0u32; 2]; MAX_AGE as usize + 1];
        for (g, by_sex) in quota.iter().enumerate() {
            for (s, n) in by_sex.iter().enumerate() {
                for _ in 0..*n {
                    counts[draw_age(rng, g, 0, i64::from(MAX_AGE)) as usize][s] += 1;
                }
            }
        }
        AgePool { counts }
    }

    /// Takes an age of `group` for someone of sex `male`, in `[lo, hi]` if the pool has one
    /// there. Otherwise it takes any age of the group out of the pool (keeping the counts
    /// right) but returns a fresh age in `[lo, hi]` when that overlaps the group, so that
    /// roles stay consistent.
    fn take(&mut self, rng: &mut impl Rng, group: usize, male: bool, lo: i64, hi: i64) -> u32 {
        let s = usize::from(!male);
        let (glo, ghi) = GROUP_AGES[group];
        let a = lo.max(i64::from(glo));
        let b = hi.min(i64::from(ghi));
        if a <= b {
            if let Some(age) = self.take_in(rng, s, a as u32, b as u32) {
                return age;
            }
        }
        let taken = self.take_in(rng, s, glo, ghi);
        match (a <= b, taken) {
            (true, _) => draw_age(rng, group, a, b),
            (false, Some(age)) => age,
            (false, None) => draw_age(rng, group, 0, i64::from(MAX_AGE)),
        }
    }

    /// Takes an age near `target` (within `[lo, hi]`), widening the window step by step.
    fn take_near(
        &mut self,
        rng: &mut impl Rng,
        group: usize,
        male: bool,
        target: i64,
        lo: i64,
        hi: i64,
    ) -> u32 {
        let s = usize::from(!male);
        let (glo, ghi) = GROUP_AGES[group];
        for width in [1, 3, 6] {
            let a = (target - width).max(lo).max(i64::from(glo));
            let b = (target + width).min(hi).min(i64::from(ghi));
            if a <= b {
                if let Some(age) = self.take_in(rng, s, a as u32, b as u32) {
                    return age;
                }
            }
        }
        self.take(rng, group, male, lo, hi)
    }

    /// Takes an age in `[a, b]` of sex index `s`, weighted by what is left.
    fn take_in(&mut self, rng: &mut impl Rng, s: usize, a: u32, b: u32) -> Option<u32> {
        let range = a as usize..=b as usize;
        let total: u32 = self.counts[range.clone()].iter().map(|c| c[s]).sum();
        if total == 0 {
            return None;
        }
        let mut r = rng.gen_range(0..total);
        for age in range {
            let c = &mut self.counts[age][s];
            if r < *c {
                *c -= 1;
                return Some(age as u32);
            }
            r -= *c;
        }
        None
    }
}

/// Gives the members of one household (head first) ages consistent with their roles.
fn assign_ages(household: &mut [Member], pool: &mut AgePool, rng: &mut impl Rng) {
    let all = (0, i64::from(MAX_AGE));
    let mut youngest: Option<u32> = None;
    let mut oldest: Option<u32> = None;
    for m in household.iter_mut().filter(|m| m.role == Role::Child) {
        m.age = pool.take(rng, m.group, m.male, all.0, all.1);
        youngest = Some(youngest.map_or(m.age, |y| y.min(m.age)));
        oldest = Some(oldest.map_or(m.age, |o| o.max(m.age)));
    }
    let Some(head) = household.first().copied() else {
        return;
    };
    // A parent is 20 to 45 years older than each child; grandparents are unconstrained.
    let (lo, hi) = match (head.group, youngest, oldest) {
        (GROUP_ADULT, Some(y), Some(o)) => (i64::from(o) + 20, i64::from(y) + 45),
        _ => all,
    };
    let head_age = pool.take(rng, head.group, head.male, lo, hi);
    household[0].age = head_age;
    let head_is_elder = HEAD_GROUPS[1..].contains(&head.group);
    let h = i64::from(head_age);
    for m in household.iter_mut().skip(1) {
        m.age = match m.role {
            Role::Head | Role::Child => continue,
            Role::Spouse => {
                // Husbands are on average a few years older than their wives.
                let d: i64 = rng.gen_range(-2..=6);
                let target = if head.male { h - d } else { h + d };
                let lo = match (m.group, oldest) {
                    (GROUP_ADULT, Some(o)) => i64::from(o) + 18,
                    _ => 0,
                };
                pool.take_near(rng, m.group, m.male, target, lo, i64::from(MAX_AGE))
            }
            Role::Relative => {
                let (lo, hi) = match (m.group == GROUP_ADULT, head_is_elder) {
                    // A grown-up child of an elderly head.
                    (true, true) => (h - 45, h - 20),
                    // A grown-up child, or a sibling or cousin.
                    (true, false) if h >= 40 && rng.gen_bool(0.6) => (18, h - 20),
                    (true, false) => (h - 10, h + 10),
                    // An elderly parent of a working-age head.
                    (false, false) => (h + 20, h + 40),
                    // An elderly sibling.
                    (false, true) => (h - 10, h + 10),
                };
                pool.take(rng, m.group, m.male, lo, hi)
            }
        };
    }
}

/// Cumulative [`age_weight`]s of each group's ages, for drawing a whole-group age quickly.
fn group_tables() -> &'static [Vec<f64>; N_GROUPS] {
    static TABLES: OnceLock<[Vec<f64>; N_GROUPS]> = OnceLock::new();
    TABLES.get_or_init(|| {
        std::array::from_fn(|g| {
            let (lo, hi) = GROUP_AGES[g];
            (lo..=hi)
                .scan(0.0, |sum, age| {
                    *sum += age_weight(age);
                    Some(*sum)
                })
                .collect()
        })
    })
}

/// An age in `group`, within `[lo, hi]` when that overlaps the group, weighted by the pyramid.
pub(crate) fn draw_age(rng: &mut impl Rng, group: usize, lo: i64, hi: i64) -> u32 {
    let (glo, ghi) = GROUP_AGES[group];
    let (a, b) = (lo.max(i64::from(glo)), hi.min(i64::from(ghi)));
    if a > b || (a == i64::from(glo) && b == i64::from(ghi)) {
        let table = &group_tables()[group];
        let total = table.last().copied().unwrap_or(0.0);
        let r = rng.gen::<f64>() * total;
        let i = table.partition_point(|end| *end <= r);
        return (glo + i as u32).min(ghi);
    }
    let (a, b) = (a as u32, b as u32);
    let total: f64 = (a..=b).map(age_weight).sum();
    let mut r = rng.gen::<f64>() * total;
    for age in a..=b {
        let w = age_weight(age);
        if r < w {
            return age;
        }
        r -= w;
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demography::group_of;
    use crate::random::stream;

    fn quota(children: u32, adults: u32, elders: u32) -> Quota {
        let mut q = [[0u32; 2]; N_GROUPS];
        q[2] = [children / 2, children - children / 2];
        q[GROUP_ADULT] = [adults / 2, adults - adults / 2];
        q[6] = [elders / 2, elders - elders / 2];
        q
    }

    #[test]
    fn every_person_is_placed_once_and_heads_are_adults() {
        let mut rng = stream(3, "households");
        for (c, a, e, h) in [(30, 60, 20, 40), (0, 1, 0, 1), (5, 1, 0, 3), (2, 0, 3, 9)] {
            let q = quota(c, a, e);
            let hh = arrange(&q, h, &mut rng);
            assert_eq!(hh.members.len() as u32, c + a + e);
            assert_eq!(hh.sizes.iter().sum::<u32>(), c + a + e);
            let mut got = [[0u32; 2]; N_GROUPS];
            let mut i = 0;
            for size in &hh.sizes {
                let head = hh.members[i];
                assert_eq!(head.role, Role::Head);
                assert!(head.age >= 18, "head aged {}", head.age);
                for m in &hh.members[i..i + *size as usize] {
                    assert_eq!(group_of(m.age), m.group);
                    got[m.group][usize::from(!m.male)] += 1;
                }
                i += *size as usize;
            }
            assert_eq!(got, q);
        }
    }

    #[test]
    fn parents_are_old_enough() {
        let mut rng = stream(4, "households");
        let hh = arrange(&quota(300, 500, 0), 250, &mut rng);
        let mut i = 0;
        for size in &hh.sizes {
            let members = &hh.members[i..i + *size as usize];
            i += *size as usize;
            let head = members[0];
            for child in members.iter().filter(|m| m.role == Role::Child) {
                assert!(head.age >= child.age + 20, "{head:?} {child:?}");
            }
        }
    }
}
