//! Phone numbers: mainland mobile numbers (11 digits starting with 1) and landlines.

use std::fmt;

/// Why a string is not an acceptable phone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("expected 7 to 15 digits, found {0}")]
    Length(usize),
    #[error("a phone number may hold only digits, spaces, '-' and a leading '+'")]
    Character,
    #[error("a mobile number must start with 13-19")]
    MobilePrefix,
}

/// A normalised phone number (digits only, with an optional leading `+`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Normalises and validates: spaces and dashes are dropped; 11-digit numbers starting
    /// with `1` must be mainland mobiles (second digit 3-9); `+86` is stripped.
    ///
    /// # Errors
    /// Other characters, fewer than 7 or more than 15 digits, or a bad mobile prefix.
    pub fn parse(s: &str) -> Result<PhoneNumber, PhoneError> {
        let s = s.trim();
        let (plus, rest) = match s.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let mut digits = String::with_capacity(rest.len());
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' => {}
                _ => return Err(PhoneError::Character),
            }
        }
        if plus && digits.starts_with("86") && digits.len() == 13 {
            digits.drain(..2);
        } else if plus {
            digits.insert(0, '+');
        }
        let n = digits.trim_start_matches('+').len();
        if !(7..=15).contains(&n) {
            return Err(PhoneError::Length(n));
        }
        if n == 11 && digits.starts_with('1') && !matches!(digits.as_bytes()[1], b'3'..=b'9') {
            return Err(PhoneError::MobilePrefix);
        }
        Ok(PhoneNumber(digits))
    }

    /// The normalised number.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The masked form: first 3 and last 4 kept (`138****5678`).
    pub fn masked(&self) -> String {
        crate::mask::mask_middle(&self.0, 3, 4)
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_masks() {
        let p = PhoneNumber::parse("138-1234 5678").unwrap();
        assert_eq!(p.as_str(), "13812345678");
        assert_eq!(p.masked(), "138****5678");
        assert_eq!(
            PhoneNumber::parse("+86 138 1234 5678").unwrap().as_str(),
            "13812345678"
        );
        assert_eq!(
            PhoneNumber::parse("0396-2612345").unwrap().as_str(),
            "03962612345"
        );
        assert_eq!(
            PhoneNumber::parse("12812345678"),
            Err(PhoneError::MobilePrefix)
        );
        assert_eq!(PhoneNumber::parse("12345"), Err(PhoneError::Length(5)));
        assert_eq!(PhoneNumber::parse("138abc"), Err(PhoneError::Character));
    }
}
