//! A dated count series: the input of the aberration detectors.

use chrono::{Datelike, Days, NaiveDate};

use crate::EpiError;

/// How far apart the points of a [`Series`] are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Frequency {
    /// One point a day; 365 periods a year.
    Daily,
    /// One point a week; 52 periods a year.
    Weekly,
}

impl Frequency {
    /// Periods in a year as `surveillance` counts them (`freq` of an `sts` object): 365 or 52.
    pub fn periods_per_year(self) -> usize {
        match self {
            Frequency::Daily => 365,
            Frequency::Weekly => 52,
        }
    }

    /// Days between two consecutive points.
    pub fn days(self) -> u64 {
        match self {
            Frequency::Daily => 1,
            Frequency::Weekly => 7,
        }
    }
}

/// Counts at regular dates: `counts[i]` is the count of the period that starts on
/// `start + i * frequency`.
///
/// A missing count (`None`) is a period with no report, which is not the same as a report of
/// zero; each detector documents what it does with one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    start: NaiveDate,
    frequency: Frequency,
    counts: Vec<Option<u32>>,
}

impl Series {
    /// Builds a series from counts that may be missing.
    ///
    /// # Errors
    ///
    /// [`EpiError::DateOutOfRange`] when the date of the last point is not representable.
    ///
    /// # Examples
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use fangkong_epi::{Frequency, Series};
    /// let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    /// let s = Series::new(start, Frequency::Weekly, vec![Some(3), None, Some(5)]).unwrap();
    /// assert_eq!(s.date(2), NaiveDate::from_ymd_opt(2024, 1, 15));
    /// ```
    pub fn new(
        start: NaiveDate,
        frequency: Frequency,
        counts: Vec<Option<u32>>,
    ) -> Result<Self, EpiError> {
        let len = counts.len();
        let series = Series {
            start,
            frequency,
            counts,
        };
        if len > 0 && series.date(len - 1).is_none() {
            return Err(EpiError::DateOutOfRange { start, len });
        }
        Ok(series)
    }

    /// Builds a series in which every count is known.
    ///
    /// # Errors
    ///
    /// As [`Series::new`].
    pub fn from_counts(
        start: NaiveDate,
        frequency: Frequency,
        counts: &[u32],
    ) -> Result<Self, EpiError> {
        Series::new(start, frequency, counts.iter().copied().map(Some).collect())
    }

    /// The date of the first point.
    pub fn start(&self) -> NaiveDate {
        self.start
    }

    /// The spacing of the points.
    pub fn frequency(&self) -> Frequency {
        self.frequency
    }

    /// The counts, `None` where missing.
    pub fn counts(&self) -> &[Option<u32>] {
        &self.counts
    }

    /// The number of points.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// Whether the series has no point.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// The date of point `index`, or `None` when it is not representable.
    pub fn date(&self, index: usize) -> Option<NaiveDate> {
        let days = (index as u64).checked_mul(self.frequency.days())?;
        self.start.checked_add_days(Days::new(days))
    }

    /// The index of the point whose period is nearest to the date `years` calendar years
    /// before point `index`, or `None` when that lies before the start.
    ///
    /// This is how `surveillance::farringtonFlexible` finds reference time points for a series
    /// with dates (`epochAsDate = TRUE`): the same calendar date in an earlier year (29 February
    /// becomes 1 March, as R's `seq(by = "-1 year")` does), and for weekly data the date with
    /// the same weekday nearest to it, that is the nearest point of the series.
    pub(crate) fn index_years_before(&self, index: usize, years: u32) -> Option<usize> {
        let date = self.date(index)?;
        let year = date.year() - i32::try_from(years).ok()?;
        let target = NaiveDate::from_ymd_opt(year, date.month(), date.day())
            .or_else(|| NaiveDate::from_ymd_opt(year, 3, 1))?;
        let offset = (target - self.start).num_days();
        let step = self.frequency.days() as i64;
        // The nearest multiple of `step`: offsets are whole days, so with a step of 7 there is
        // never a tie.
        let nearest = (offset + step / 2).div_euclid(step);
        usize::try_from(nearest).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn reference_points_follow_the_calendar() {
        let daily = Series::from_counts(date(2019, 1, 1), Frequency::Daily, &[0; 800]).unwrap();
        // 2020-02-29 one year back is 2019-03-01 (R's seq(by = "-1 year")), index 59.
        let leap_day = (date(2020, 2, 29) - date(2019, 1, 1)).num_days() as usize;
        assert_eq!(daily.index_years_before(leap_day, 1), Some(59));
        assert_eq!(daily.index_years_before(leap_day, 2), None);
        // Weekly from Monday 2015-01-05: 2016-01-04 minus a year is Sunday 2015-01-04, nearest
        // Monday 2015-01-05 (index 0), not 2014-12-29.
        let weekly = Series::from_counts(date(2015, 1, 5), Frequency::Weekly, &[0; 300]).unwrap();
        assert_eq!(weekly.index_years_before(52, 1), Some(0));
        // Five years before index 264 (2020-01-27) is 2015-01-27, a Tuesday: index 3.
        assert_eq!(weekly.index_years_before(264, 5), Some(3));
    }

    #[test]
    fn dates_past_the_calendar_are_refused() {
        assert_eq!(
            Series::from_counts(NaiveDate::MAX, Frequency::Weekly, &[1, 2]),
            Err(EpiError::DateOutOfRange {
                start: NaiveDate::MAX,
                len: 2
            })
        );
    }
}
