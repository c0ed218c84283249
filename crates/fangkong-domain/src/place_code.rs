//! Place codes (场所码): the identifier a venue displays for check-ins.
//!
//! Format: `P`, the 12-digit community code of the venue, and a 4-digit sequence within the
//! community, e.g. `P4117020010030007`. The community prefix lets a check-in be routed to its
//! jurisdiction without a lookup.

use std::fmt;

/// Why a string is not a place code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlaceCodeError {
    #[error("a place code is 'P' followed by 16 digits")]
    Format,
}

/// A validated place code.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PlaceCode(String);

impl PlaceCode {
    /// Parses `P` + 16 digits.
    ///
    /// # Errors
    /// Any other shape.
    pub fn parse(s: &str) -> Result<PlaceCode, PlaceCodeError> {
        let s = s.trim();
        match s.strip_prefix('P') {
            Some(d) if d.len() == 16 && d.bytes().all(|b| b.is_ascii_digit()) => {
                Ok(PlaceCode(s.to_string()))
            }
            _ => Err(PlaceCodeError::Format),
        }
    }

    /// Builds the code of the `sequence`-th venue of a 12-digit community (taken mod 10 000).
    pub fn new(community: &str, sequence: u32) -> Result<PlaceCode, PlaceCodeError> {
        PlaceCode::parse(&format!("P{community}{:04}", sequence % 10_000))
    }

    /// The code text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The community the venue lies in.
    pub fn community_code(&self) -> &str {
        &self.0[1..13]
    }
}

impl fmt::Display for PlaceCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PlaceCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PlaceCode({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_parses() {
        let p = PlaceCode::new("411702001003", 7).unwrap();
        assert_eq!(p.as_str(), "P4117020010030007");
        assert_eq!(p.community_code(), "411702001003");
        assert_eq!(
            PlaceCode::parse("P41170200100300"),
            Err(PlaceCodeError::Format)
        );
    }
}
