//! Jurisdiction codes in the GB/T 2260 style, extended to townships and communities.
//!
//! Province 2 digits (`41`), city 4 (`4117`), county 6 (`411702`), township 9 (`411702001`),
//! community 12 (`411702001001`). Every code starts with its parent's code, so a subtree is a
//! code prefix and, in a sorted index, a contiguous range.

use std::fmt;

/// The administrative level of a jurisdiction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    Province,
    City,
    County,
    Township,
    Community,
}

impl Level {
    /// Every level, from the top.
    pub const ALL: [Level; 5] = [
        Level::Province,
        Level::City,
        Level::County,
        Level::Township,
        Level::Community,
    ];

    /// The number of digits of a code at this level.
    pub fn code_len(self) -> usize {
        match self {
            Level::Province => 2,
            Level::City => 4,
            Level::County => 6,
            Level::Township => 9,
            Level::Community => 12,
        }
    }

    /// The stable identifier: `province`, `city`, `county`, `township`, `community`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::City => "city",
            Level::County => "county",
            Level::Township => "township",
            Level::Community => "community",
        }
    }

    /// Parses the identifier returned by [`Level::as_str`].
    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s.trim())
    }

    /// The level below this one, if any.
    pub fn child(self) -> Option<Level> {
        match self {
            Level::Province => Some(Level::City),
            Level::City => Some(Level::County),
            Level::County => Some(Level::Township),
            Level::Township => Some(Level::Community),
            Level::Community => None,
        }
    }

    fn from_len(len: usize) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.code_len() == len)
    }
}

/// Why a string is not a jurisdiction code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JurisdictionCodeError {
    #[error("a jurisdiction code holds only digits")]
    NotDigits,
    #[error("a jurisdiction code has 2, 4, 6, 9 or 12 digits, found {0}")]
    Length(usize),
}

/// A validated jurisdiction code.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JurisdictionCode(String);

impl JurisdictionCode {
    /// Parses a code of 2, 4, 6, 9 or 12 digits.
    ///
    /// # Errors
    /// Non-digit characters or a length that names no level.
    pub fn parse(s: &str) -> Result<JurisdictionCode, JurisdictionCodeError> {
        let s = s.trim();
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(JurisdictionCodeError::NotDigits);
        }
        Level::from_len(s.len()).ok_or(JurisdictionCodeError::Length(s.len()))?;
        Ok(JurisdictionCode(s.to_string()))
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The level, from the number of digits.
    pub fn level(&self) -> Level {
        Level::from_len(self.0.len()).unwrap_or(Level::Community)
    }

    /// The parent code, or `None` for a province.
    pub fn parent(&self) -> Option<JurisdictionCode> {
        let level = self.level();
        let parent = Level::ALL
            .into_iter()
            .rev()
            .find(|l| l.code_len() < level.code_len())?;
        Some(JurisdictionCode(self.0[..parent.code_len()].to_string()))
    }

    /// The code of the ancestor (or self) at `level`, if `level` is at or above this one.
    pub fn ancestor_at(&self, level: Level) -> Option<JurisdictionCode> {
        (level.code_len() <= self.0.len())
            .then(|| JurisdictionCode(self.0[..level.code_len()].to_string()))
    }

    /// Whether `other` is this jurisdiction or lies below it.
    pub fn contains(&self, other: &str) -> bool {
        other.starts_with(&self.0)
    }

    /// Half-open bounds `[low, high)` of every code in this subtree, for range queries over
    /// a sorted text index (`':'` sorts right after `'9'`).
    pub fn subtree_bounds(&self) -> (String, String) {
        (self.0.clone(), format!("{}:", self.0))
    }
}

impl fmt::Display for JurisdictionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for JurisdictionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JurisdictionCode({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parents_and_bounds() {
        let c = JurisdictionCode::parse("411702001003").unwrap();
        assert_eq!(c.level(), Level::Community);
        assert_eq!(c.parent().unwrap().as_str(), "411702001");
        assert_eq!(c.parent().unwrap().parent().unwrap().as_str(), "411702");
        assert_eq!(c.ancestor_at(Level::City).unwrap().as_str(), "4117");
        assert!(JurisdictionCode::parse("41").unwrap().parent().is_none());
        let city = JurisdictionCode::parse("4117").unwrap();
        assert!(city.contains("411702001003"));
        assert!(!city.contains("411802001003"));
        let (lo, hi) = city.subtree_bounds();
        assert!(lo.as_str() <= "411799999999" && "411799999999" < hi.as_str());
        assert!("4118" >= hi.as_str());
        assert_eq!(
            JurisdictionCode::parse("41170"),
            Err(JurisdictionCodeError::Length(5))
        );
        assert_eq!(
            JurisdictionCode::parse("41a7"),
            Err(JurisdictionCodeError::NotDigits)
        );
    }
}
