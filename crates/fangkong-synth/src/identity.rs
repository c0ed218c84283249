//! Identity numbers and phone numbers that are unique across the city by construction.
//!
//! GB 11643 numbers are region + birth date + a 3-digit sequence whose parity is the sex. The
//! plan gives every township a disjoint share of the sequence space of its region (a
//! residue class of sequence pairs), so townships generated in parallel can never hand out
//! the same number. When a township's share for one birth date is used up, the allocator
//! moves the birth date within the same year of age, then to another Henan region, then to
//! another age of the same age group: ages, bands and sexes never change. Phone numbers are a
//! keyed bijection of the person id, so they are unique too. Nothing here may keep state
//! across townships.

use std::collections::HashMap;

use chrono::{Datelike, Months, NaiveDate};
use fangkong_domain::{NationalId, PhoneNumber};
use rand::Rng;

use crate::demography::{GROUP_AGES, MAX_AGE};
use crate::random::splitmix64;

/// Sequence pairs per region and birth date: sequence `2p + 1` is a man, `2p + 2` a woman,
/// so men get pairs 0..500 (001-999) and women 0..499 (002-998).
const PAIRS: u16 = 500;

/// A township's share of the identity-number sequence space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IdSlots {
    /// The 6-digit region code of the township's residents.
    pub region: String,
    /// Pairs `base + k * stride` of `region` belong to this township.
    pub base: u16,
    pub stride: u16,
    /// Pairs `foreign_base + k * foreign_stride` of every region outside the city belong to
    /// this township.
    pub foreign_base: u16,
    pub foreign_stride: u16,
}

/// The earliest and latest birth date of someone aged `age` (completed years) on `reference`.
pub(crate) fn birth_range(reference: NaiveDate, age: u32) -> (NaiveDate, NaiveDate) {
    let latest = reference
        .checked_sub_months(Months::new(12 * age))
        .unwrap_or(reference);
    let earliest = reference
        .checked_sub_months(Months::new(12 * (age + 1)))
        .and_then(|d| d.succ_opt())
        .unwrap_or(latest);
    (earliest, latest)
}

/// Hands out unique identity numbers for one township.
pub(crate) struct IdAllocator<'a> {
    slots: &'a IdSlots,
    foreign: &'a [String],
    reference: NaiveDate,
    /// Pairs used per (days before the reference date, sex) for the own region.
    own_used: Vec<u16>,
    /// Pairs used per (foreign region, days before the reference date, sex).
    foreign_used: HashMap<(u16, u32, bool), u16>,
    /// [`birth_range`] of every age, computed once.
    ranges: Vec<(NaiveDate, NaiveDate)>,
}

/// Where a number's region comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// The township's own county.
    Local,
    /// Another Henan county, by index into the foreign region list.
    Elsewhere(usize),
}

impl<'a> IdAllocator<'a> {
    pub(crate) fn new(slots: &'a IdSlots, foreign: &'a [String], reference: NaiveDate) -> Self {
        let days = (MAX_AGE as usize + 2) * 366;
        IdAllocator {
            slots,
            foreign,
            reference,
            own_used: vec![0; days * 2],
            foreign_used: HashMap::new(),
            ranges: (0..=MAX_AGE).map(|a| birth_range(reference, a)).collect(),
        }
    }

    /// The earliest and latest birth date of someone aged `age` on the reference date.
    pub(crate) fn birth_range(&self, age: u32) -> (NaiveDate, NaiveDate) {
        self.ranges
            .get(age as usize)
            .copied()
            .unwrap_or_else(|| birth_range(self.reference, age))
    }

    /// A unique number for someone of `age` in age group `group`, of sex `male`, preferably
    /// born `birth` and registered in `origin`.
    ///
    /// Returns `None` only when the township has exhausted every slot of the age group, which
    /// the population cap of the plan rules out.
    pub(crate) fn allocate(
        &mut self,
        birth: NaiveDate,
        age: u32,
        group: usize,
        male: bool,
        origin: Origin,
    ) -> Option<NationalId> {
        if let Some(id) = self.try_take(origin, birth, male) {
            return Some(id);
        }
        let (glo, ghi) = GROUP_AGES[group];
        let mut origins = vec![origin];
        if origin != Origin::Local {
            origins.push(Origin::Local);
        }
        let start = match origin {
            Origin::Elsewhere(i) => i,
            Origin::Local => 0,
        };
        origins.extend(
            (0..self.foreign.len())
                .map(|k| Origin::Elsewhere((start + k) % self.foreign.len()))
                .filter(|o| *o != origin),
        );
        // Ages: the person's own first, then the rest of the group, nearest first.
        let mut ages = vec![age];
        for d in 1..=(ghi - glo) {
            if age >= glo + d {
                ages.push(age - d);
            }
            if age + d <= ghi {
                ages.push(age + d);
            }
        }
        for (ai, a) in ages.into_iter().enumerate() {
            let (earliest, latest) = self.birth_range(a);
            let span = (latest - earliest).num_days().max(0) as u32 + 1;
            let first = if ai == 0 {
                (birth - earliest).num_days().clamp(0, i64::from(span) - 1) as u32
            } else {
                0
            };
            for o in &origins {
                for k in 0..span {
                    let date = earliest + chrono::Days::new(u64::from((first + k) % span));
                    if let Some(id) = self.try_take(*o, date, male) {
                        return Some(id);
                    }
                }
            }
        }
        None
    }

    fn try_take(&mut self, origin: Origin, date: NaiveDate, male: bool) -> Option<NationalId> {
        let days = (self.reference - date).num_days().max(0) as u32;
        let limit = if male { PAIRS } else { PAIRS - 1 };
        let (region, used, base, stride) = match origin {
            Origin::Local => {
                let i = days as usize * 2 + usize::from(male);
                let used = self.own_used.get_mut(i)?;
                (
                    self.slots.region.as_str(),
                    used,
                    self.slots.base,
                    self.slots.stride,
                )
            }
            Origin::Elsewhere(r) => {
                let region = self.foreign.get(r)?.as_str();
                let used = self.foreign_used.entry((r as u16, days, male)).or_insert(0);
                (
                    region,
                    used,
                    self.slots.foreign_base,
                    self.slots.foreign_stride,
                )
            }
        };
        let pair = u32::from(base) + u32::from(*used) * u32::from(stride.max(1));
        if pair >= u32::from(limit) {
            return None;
        }
        *used += 1;
        let sequence = if male { 2 * pair + 1 } else { 2 * pair + 2 };
        build_id(region, date, sequence)
    }
}

// GB 11643-1999: weights W_i = 2^(17-i) mod 11 and the ISO 7064 MOD 11-2 check characters.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [u8; 11] = *b"10X98765432";

/// Writes the number out directly and has [`NationalId::parse`] validate it: the same result
/// as `NationalId::from_parts`, without formatting the date through `strftime` millions of
/// times.
fn build_id(region: &str, date: NaiveDate, sequence: u32) -> Option<NationalId> {
    let region = region.as_bytes();
    if region.len() != 6 || sequence > 999 {
        return None;
    }
    let mut buf = [b'0'; 18];
    buf[..6].copy_from_slice(region);
    let mut put = |at: usize, width: usize, mut value: u32| {
        for i in (at..at + width).rev() {
            buf[i] = b'0' + (value % 10) as u8;
            value /= 10;
        }
    };
    put(6, 4, u32::try_from(date.year()).ok()?);
    put(10, 2, date.month());
    put(12, 2, date.day());
    put(14, 3, sequence);
    let sum: u32 = buf[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    buf[17] = CHECK_CHARS[(sum % 11) as usize];
    NationalId::parse(std::str::from_utf8(&buf).ok()?).ok()
}

/// Mobile prefixes of the three carriers (China Mobile, Unicom, Telecom).
const MOBILE_PREFIXES: [&str; 40] = [
    "134", "135", "136", "137", "138", "139", "147", "150", "151", "152", "157", "158", "159",
    "178", "182", "183", "184", "187", "188", "198", "130", "131", "132", "155", "156", "166",
    "175", "176", "185", "186", "133", "153", "173", "177", "180", "181", "189", "199", "191",
    "193",
];

/// The mobile number of person `person_id`: a random carrier prefix and eight digits that are
/// a keyed permutation of the id, so no two persons of a city share a number.
pub(crate) fn mobile(rng: &mut impl Rng, person_id: i64, key: u64) -> Option<PhoneNumber> {
    let prefix = MOBILE_PREFIXES[rng.gen_range(0..MOBILE_PREFIXES.len())];
    let mut digits = permute_8_digits(person_id.unsigned_abs() % 100_000_000, key);
    let mut buf = [b'0'; 11];
    buf[..3].copy_from_slice(prefix.as_bytes());
    for b in buf[3..].iter_mut().rev() {
        *b = b'0' + (digits % 10) as u8;
        digits /= 10;
    }
    PhoneNumber::parse(std::str::from_utf8(&buf).ok()?).ok()
}

/// A bijection of `0..10^8`: a four-round balanced Feistel network over two 4-digit halves
/// with addition modulo 10^4, keyed by `key`.
fn permute_8_digits(x: u64, key: u64) -> u64 {
    let (mut left, mut right) = (x / 10_000, x % 10_000);
    for round in 0..4u64 {
        let f = splitmix64(right ^ key.rotate_left((round * 16) as u32) ^ round) % 10_000;
        let next = (left + f) % 10_000;
        left = right;
        right = next;
    }
    left * 10_000 + right
}

#[cfg(test)]
mod tests {
    use super::*;
    use fangkong_domain::age_band::age_on;
    use fangkong_domain::Sex;
    use proptest::prelude::*;
    use std::collections::HashSet;

    #[test]
    fn built_numbers_equal_the_domain_constructor() {
        let date = NaiveDate::from_ymd_opt(1949, 12, 31).unwrap();
        for seq in [0, 2, 999] {
            assert_eq!(
                build_id("110105", date, seq),
                NationalId::from_parts("110105", date, seq as u16).ok()
            );
        }
        assert_eq!(build_id("11010", date, 1), None);
    }

    #[test]
    fn permutation_is_a_bijection_on_a_prefix() {
        let seen: HashSet<u64> = (0..200_000).map(|x| permute_8_digits(x, 42)).collect();
        assert_eq!(seen.len(), 200_000);
        assert!(seen.iter().all(|x| *x < 100_000_000));
    }

    #[test]
    fn exhausted_slots_move_the_birth_date_not_the_age() {
        let slots = IdSlots {
            region: "411702".into(),
            base: 3,
            stride: 21,
            foreign_base: 7,
            foreign_stride: 208,
        };
        let foreign = vec!["410102".to_string()];
        let reference = NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
        let mut ids = IdAllocator::new(&slots, &foreign, reference);
        let birth = NaiveDate::from_ymd_opt(1990, 1, 1).unwrap();
        let mut seen = HashSet::new();
        // 24 male pairs per date for this township; ask for many more on one date.
        for _ in 0..200 {
            let id = ids.allocate(birth, 34, 5, true, Origin::Local).unwrap();
            assert_eq!(id.sex(), Sex::Male);
            assert_eq!(age_on(id.birth_date(), reference), 34);
            let seq: u16 = id.as_str()[14..17].parse().unwrap();
            assert_eq!(((seq - 1) / 2) % 21, 3);
            assert!(seen.insert(id));
        }
    }

    proptest! {
        #[test]
        fn birth_range_matches_age(year in 2001i32..2100, day in 0u64..366, age in 0u32..=100) {
            let reference = NaiveDate::from_ymd_opt(year, 1, 1).unwrap() + chrono::Days::new(day);
            let (earliest, latest) = birth_range(reference, age);
            prop_assert_eq!(age_on(earliest, reference), age);
            prop_assert_eq!(age_on(latest, reference), age);
            prop_assert_eq!(age_on(earliest - chrono::Days::new(1), reference), age + 1);
            if age > 0 {
                prop_assert_eq!(age_on(latest + chrono::Days::new(1), reference), age - 1);
            }
        }
    }
}
