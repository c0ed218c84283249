//! Age bands used for population denominators and coverage tables.
//!
//! The bands follow the 7th national census tables (0-14, 15-59, 60+), with 60+ split at 80
//! because the elderly are reported first in vaccination coverage.

use chrono::{Datelike, NaiveDate};

/// An age band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AgeBand {
    Age0To14,
    Age15To59,
    Age60To79,
    Age80Plus,
}

impl AgeBand {
    /// Every band, youngest first.
    pub const ALL: [AgeBand; 4] = [
        AgeBand::Age0To14,
        AgeBand::Age15To59,
        AgeBand::Age60To79,
        AgeBand::Age80Plus,
    ];

    /// The stable identifier: `0-14`, `15-59`, `60-79`, `80+`.
    pub fn as_str(self) -> &'static str {
        match self {
            AgeBand::Age0To14 => "0-14",
            AgeBand::Age15To59 => "15-59",
            AgeBand::Age60To79 => "60-79",
            AgeBand::Age80Plus => "80+",
        }
    }

    /// Parses the identifier returned by [`AgeBand::as_str`].
    pub fn parse(s: &str) -> Option<AgeBand> {
        AgeBand::ALL.into_iter().find(|b| b.as_str() == s.trim())
    }

    /// The band of an age in completed years.
    pub fn of_age(years: u32) -> AgeBand {
        match years {
            0..=14 => AgeBand::Age0To14,
            15..=59 => AgeBand::Age15To59,
            60..=79 => AgeBand::Age60To79,
            _ => AgeBand::Age80Plus,
        }
    }
}

/// Age in completed years on `on` for someone born on `birth` (0 if `on` precedes `birth`).
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> u32 {
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completed_years_and_bands() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(age_on(d(2000, 3, 1), d(2020, 2, 29)), 19);
        assert_eq!(age_on(d(2000, 3, 1), d(2020, 3, 1)), 20);
        assert_eq!(age_on(d(2021, 1, 1), d(2020, 1, 1)), 0);
        assert_eq!(AgeBand::of_age(14), AgeBand::Age0To14);
        assert_eq!(AgeBand::of_age(60), AgeBand::Age60To79);
        assert_eq!(AgeBand::of_age(80), AgeBand::Age80Plus);
    }
}
