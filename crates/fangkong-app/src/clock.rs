//! Time as an input: the system clock in production, a fixed clock in tests.

use std::sync::Mutex;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// Now, in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// The machine's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until moved, for tests.
#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    /// A clock reading `at`.
    pub fn new(at: DateTime<Utc>) -> FixedClock {
        FixedClock(Mutex::new(at))
    }

    /// Sets the time.
    pub fn set(&self, at: DateTime<Utc>) {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = at;
    }

    /// Moves the time forward by `by`.
    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *now += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The calendar date in China Standard Time (UTC+8; China has no daylight saving time).
#[allow(clippy::expect_used)]
pub fn china_date(at: DateTime<Utc>) -> NaiveDate {
    let cst = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    at.with_timezone(&cst).date_naive()
}

/// The Unix milliseconds of midnight China Standard Time starting `day`.
pub fn china_midnight_ms(day: NaiveDate) -> i64 {
    day.and_hms_opt(0, 0, 0)
        .map_or(0, |t| t.and_utc().timestamp_millis())
        - 8 * 3_600_000
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    #[test]
    fn china_date_turns_at_16_utc() {
        let before = Utc.with_ymd_and_hms(2026, 11, 29, 15, 59, 59).unwrap();
        let after = Utc.with_ymd_and_hms(2026, 11, 29, 16, 0, 0).unwrap();
        assert_eq!(china_date(before).to_string(), "2026-11-29");
        assert_eq!(china_date(after).to_string(), "2026-11-30");
    }
}
