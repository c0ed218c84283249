//! Resident identity card numbers (居民身份证号码) per GB 11643-1999.
//!
//! An 18-character number: 6-digit region code (GB/T 2260), 8-digit birth date (YYYYMMDD),
//! 3-digit sequence (odd for men, even for women) and an ISO 7064 MOD 11-2 check character
//! (`0`-`9` or `X`). Parsing validates every part; sex and birth date are derived, never stored
//! separately from the number they come from.

use std::fmt;

use chrono::{Datelike, NaiveDate};

/// Sex as recorded in the identity number (GB 11643: odd sequence digit = male).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    /// The stable identifier used in storage and on the wire: `male` or `female`.
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }

    /// Parses `male`/`female` (also `m`/`f`, `男`/`女`).
    pub fn parse(s: &str) -> Option<Sex> {
        match s.trim().to_ascii_lowercase().as_str() {
            "male" | "m" | "男" => Some(Sex::Male),
            "female" | "f" | "女" => Some(Sex::Female),
            _ => None,
        }
    }
}

/// Why a string is not a valid GB 11643 identity number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NationalIdError {
    #[error("expected 18 characters, found {0}")]
    Length(usize),
    #[error("character {position} must be a digit")]
    NotDigit { position: usize },
    // The messages never quote the digits: they are part of a person's identity number.
    #[error("characters 1-2 are not a province code")]
    Region(String),
    #[error("characters 7-14 are not a valid birth date")]
    BirthDate(String),
    #[error("check digit is {found}, expected {expected}")]
    CheckDigit { found: char, expected: char },
}

/// A validated 18-character resident identity number.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NationalId([u8; 18]);

// GB 11643-1999: weights W_i = 2^(17-i) mod 11 for the first 17 characters.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
// GB 11643-1999: check character indexed by (sum of a_i * W_i) mod 11 (ISO 7064 MOD 11-2).
const CHECK_CHARS: [u8; 11] = *b"10X98765432";
// GB/T 2260 province-level codes (first two digits of every region code).
const PROVINCES: [&str; 34] = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
    "81", "82",
];

impl NationalId {
    /// Parses and validates an identity number; a lowercase `x` check character is accepted.
    ///
    /// Surrounding whitespace is trimmed. The birth date must be a real calendar date from
    /// 1900 on; whether it lies in the future is for the caller to judge, since this crate
    /// does not read the clock.
    ///
    /// # Errors
    /// The first thing found wrong, in reading order: length, characters, region, birth date,
    /// check digit.
    ///
    /// # Examples
    /// ```
    /// use fangkong_domain::{NationalId, Sex};
    /// let id = NationalId::parse("11010519491231002X").unwrap();
    /// assert_eq!(id.sex(), Sex::Female);
    /// assert_eq!(id.birth_date().to_string(), "1949-12-31");
    /// ```
    pub fn parse(s: &str) -> Result<NationalId, NationalIdError> {
        let s = s.trim();
        let count = s.chars().count();
        if count != 18 {
            return Err(NationalIdError::Length(count));
        }
        let mut bytes = [0u8; 18];
        for (i, c) in s.chars().enumerate() {
            let ok = c.is_ascii_digit() || (i == 17 && (c == 'X' || c == 'x'));
            if !ok {
                return Err(NationalIdError::NotDigit { position: i + 1 });
            }
            bytes[i] = c.to_ascii_uppercase() as u8;
        }
        let region = &s[..6];
        if !PROVINCES.contains(&&region[..2]) {
            return Err(NationalIdError::Region(region.to_string()));
        }
        let date = &s[6..14];
        parse_birth_date(date).ok_or_else(|| NationalIdError::BirthDate(date.to_string()))?;
        let expected = check_char(&bytes[..17]);
        if bytes[17] != expected {
            return Err(NationalIdError::CheckDigit {
                found: bytes[17] as char,
                expected: expected as char,
            });
        }
        Ok(NationalId(bytes))
    }

    /// Builds a valid number from its parts, computing the check character.
    ///
    /// `region` must be a 6-digit region code starting with a province code and `sequence`
    /// is taken modulo 1000; its parity decides the sex.
    ///
    /// # Errors
    /// When the region is not 6 digits of a known province or the date is before 1900.
    pub fn from_parts(
        region: &str,
        birth_date: NaiveDate,
        sequence: u16,
    ) -> Result<NationalId, NationalIdError> {
        if region.len() != 6 || !region.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NationalIdError::Region(region.to_string()));
        }
        if !PROVINCES.contains(&&region[..2]) {
            return Err(NationalIdError::Region(region.to_string()));
        }
        if birth_date.year() < 1900 || birth_date.year() > 9999 {
            return Err(NationalIdError::BirthDate(birth_date.to_string()));
        }
        let body = format!(
            "{region}{}{:03}",
            birth_date.format("%Y%m%d"),
            sequence % 1000
        );
        let mut bytes = [0u8; 18];
        bytes[..17].copy_from_slice(body.as_bytes());
        bytes[17] = check_char(&bytes[..17]);
        Ok(NationalId(bytes))
    }

    /// The 18 characters.
    pub fn as_str(&self) -> &str {
        // The bytes are ASCII digits or 'X' by construction.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The 6-digit region code of the place of first registration.
    pub fn region_code(&self) -> &str {
        &self.as_str()[..6]
    }

    /// The birth date encoded in characters 7-14.
    pub fn birth_date(&self) -> NaiveDate {
        parse_birth_date(&self.as_str()[6..14]).unwrap_or_default()
    }

    /// The sex encoded in character 17.
    pub fn sex(&self) -> Sex {
        if (self.0[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// The masked form for display: first 6 and last 4 characters kept (`410102********1234`).
    pub fn masked(&self) -> String {
        crate::mask::mask_middle(self.as_str(), 6, 4)
    }
}

impl fmt::Display for NationalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for NationalId {
    // Never print the full number in debug output: it ends up in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NationalId({})", self.masked())
    }
}

impl std::str::FromStr for NationalId {
    type Err = NationalIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NationalId::parse(s)
    }
}

fn check_char(first17: &[u8]) -> u8 {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

fn parse_birth_date(s: &str) -> Option<NaiveDate> {
    let year: i32 = s.get(..4)?.parse().ok()?;
    let month: u32 = s.get(4..6)?.parse().ok()?;
    let day: u32 = s.get(6..8)?.parse().ok()?;
    if year < 1900 {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{expect, Expect};
    use proptest::prelude::*;

    fn check(input: &str, expect: Expect) {
        let actual = match NationalId::parse(input) {
            Ok(id) => format!(
                "ok {} {} {} {}",
                id.region_code(),
                id.birth_date(),
                id.sex().as_str(),
                id.masked()
            ),
            Err(e) => format!("err {e}"),
        };
        expect.assert_eq(&actual);
    }

    // The example number printed in GB 11643-1999, Appendix A: 11010519491231002X.
    #[test]
    fn standard_example_with_x_check_digit() {
        check(
            "11010519491231002X",
            expect![["ok 110105 1949-12-31 female 110105********002X"]],
        );
        check(
            "11010519491231002x",
            expect![["ok 110105 1949-12-31 female 110105********002X"]],
        );
    }

    #[test]
    fn valid_numeric_check_digit() {
        // Check digit by hand: sum of a_i * W_i = 199, 199 mod 11 = 1, CHECK_CHARS[1] = '0'.
        check(
            "410102199003071230",
            expect![["ok 410102 1990-03-07 male 410102********1230"]],
        );
    }

    #[test]
    fn wrong_check_digit() {
        check(
            "410102199003071234",
            expect![["err check digit is 4, expected 0"]],
        );
        check(
            "110105194912310021",
            expect![["err check digit is 1, expected X"]],
        );
    }

    #[test]
    fn bad_dates_and_shapes() {
        check(
            "410102199002301236",
            expect![["err characters 7-14 are not a valid birth date"]],
        );
        check(
            "410102199013011234",
            expect![["err characters 7-14 are not a valid birth date"]],
        );
        check(
            "41010219900307123",
            expect![["err expected 18 characters, found 17"]],
        );
        check(
            "4101021990030712X5",
            expect![["err character 17 must be a digit"]],
        );
        check(
            "990102199003071230",
            expect![["err characters 1-2 are not a province code"]],
        );
        check(
            " 410102199003071230 ",
            expect![["ok 410102 1990-03-07 male 410102********1230"]],
        );
    }

    #[test]
    fn debug_output_is_masked() {
        let id = NationalId::parse("410102199003071230").unwrap();
        assert_eq!(format!("{id:?}"), "NationalId(410102********1230)");
    }

    proptest! {
        #[test]
        fn from_parts_round_trips(
            region in prop::sample::select(vec!["411702", "110105", "820000", "650102"]),
            days in 0i64..45_000,
            seq in 0u16..1000,
        ) {
            let date = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + chrono::Duration::days(days);
            let id = NationalId::from_parts(region, date, seq).unwrap();
            let parsed = NationalId::parse(&id.to_string()).unwrap();
            prop_assert_eq!(&parsed, &id);
            prop_assert_eq!(parsed.birth_date(), date);
            prop_assert_eq!(parsed.sex() == Sex::Male, seq % 2 == 1);
        }

        #[test]
        fn any_single_digit_change_is_detected(seq in 0u16..1000, pos in 0usize..17, delta in 1u8..10) {
            let date = NaiveDate::from_ymd_opt(1985, 6, 15).unwrap();
            let id = NationalId::from_parts("411702", date, seq).unwrap();
            let mut s = id.to_string().into_bytes();
            s[pos] = b'0' + (s[pos] - b'0' + delta) % 10;
            let altered = String::from_utf8(s).unwrap();
            // MOD 11-2 detects every single-character substitution.
            prop_assert!(NationalId::parse(&altered).is_err());
        }
    }
}
