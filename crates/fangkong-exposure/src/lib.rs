//! Exposure matching for tracing (issue #6): who was at the same venue as a case, and for how
//! long.
//!
//! Why it exists: a tracer needs, within seconds of a case being confirmed, every person
//! whose venue check-ins overlap one of the case's itinerary intervals, ranked by how long
//! they overlapped, as candidate close contacts. A database scan over 100 million check-ins
//! is far too slow for that, so the app keeps this [`ExposureIndex`] in memory: it loads it
//! from the database at startup ([`ExposureIndex::build`]) and calls
//! [`ExposureIndex::insert`] for each new check-in after it is committed.
//!
//! What it must not do: read the clock, the environment, a file or the database, or decide
//! who is a close contact. It answers "who overlapped, and by how much"; the app applies
//! the tracing policy. It holds no personal data beyond numeric ids and times.
//!
//! # Semantics
//!
//! - Times are Unix seconds (`i64`). A [`CheckIn`] `[start, end)` is half-open; an open
//!   check-out (`end: None`) lasts [`IndexConfig::assumed_dwell_secs`] from its start. A
//!   check-in that spans midnight is just an interval: times are absolute.
//! - An [`Interval`] `[start, end)` of an itinerary is widened by the margin `m` on both
//!   sides to `[start - m, end + m)`. A negative margin narrows it; an interval whose `end`
//!   is before its `start`, or that a negative margin narrows to nothing, matches nothing.
//! - A check-in `[s, e)` and a widened interval `[a, b)` at the same venue overlap when
//!   their intersection `[max(s, a), min(e, b))` is not empty. Touching intervals
//!   (`e == a` or `s == b`) do not overlap, and a check-in of zero length never does.
//! - For each person the [`Exposure`] sums the intersections over every overlapping
//!   (check-in, interval) pair: `overlap_secs` is their total length, `pairs` their number,
//!   `first_at` the earliest intersection start and `last_at` the latest intersection end
//!   (the last exposure time, which may lie within the margin after the interval). `venue`
//!   is the venue of the longest single intersection; among equally long ones the one that
//!   starts first, then the lowest venue id.
//! - Results are ranked by `overlap_secs` descending, then `last_at` descending, then
//!   `person` ascending, so they are deterministic.
//! - Duplicate check-ins (same person, venue and start) are the app's concern (it removes
//!   them in the database): the index holds what it is given, and each copy counts.
//!
//! # Design
//!
//! Times are stored as `u32` seconds since [`IndexConfig::epoch`] (136 years of range), so
//! a check-in costs 12 bytes: start, duration and person, one record.
//! Check-ins are grouped by venue (a hash map from venue id) and, within a venue, by
//! duration class: at most 4 hours, at most a day, at most a week, longer. Each class of a
//! venue is a segment sorted by start, and records the longest duration it holds.
//! A query for the widened interval `[a, b)` binary-searches the check-ins of each class
//! that start in `[a - longest, b)` and checks their end; so one three-day stay at a venue
//! widens the scan of its own (small) class only, not that of the ordinary visits.
//!
//! Inserts go to a small unsorted tail per segment (scanned linearly by queries, so they
//! see an insert at once). When the tail holds 64 check-ins it is sorted into a run, and
//! runs are merged while the newest is at least half the size of the one before it (the
//! logarithmic method of Bentley and Saxe): each check-in is copied O(log n) times,
//! amortised, and a segment holds O(log n) runs. [`ExposureIndex::build`] sorts once with
//! rayon and makes one run per segment with exact capacity.
//!
//! A query collects its overlapping pairs as 16-byte hits (person, venue, intersection),
//! groups them by person with a radix sort (no hash map to grow, a few linear passes), and
//! ranks the exposures by one packed integer key.
//!
//! ```
//! use fangkong_exposure::{CheckIn, ExposureIndex, IndexConfig, Interval};
//! let t = 1_700_000_000;
//! let index = ExposureIndex::build(
//!     IndexConfig::default(),
//!     [
//!         CheckIn { person: 1, venue: 7, start: t, end: Some(t + 3600) },
//!         CheckIn { person: 2, venue: 7, start: t + 1800, end: None },
//!         CheckIn { person: 3, venue: 8, start: t, end: Some(t + 3600) },
//!     ],
//! )
//! .unwrap();
//! let case = [Interval { venue: 7, start: t + 600, end: t + 1200 }];
//! let found = index.match_intervals(&case, 0, Some(1));
//! assert!(found.is_empty()); // person 1 excluded, person 2 came later
//! let found = index.match_intervals(&case, 900, None);
//! // Widened to [t - 300, t + 2100): person 1 for 2 100 s, person 2 for 300 s.
//! assert_eq!(
//!     found.iter().map(|e| (e.person, e.overlap_secs)).collect::<Vec<_>>(),
//!     [(1, 2100), (2, 300)]
//! );
//! assert_eq!(found[0].last_at, t + 2100);
//! ```

mod index;

pub use index::ExposureIndex;

/// How the index stores times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexConfig {
    /// Unix seconds of the earliest representable time; the latest is `epoch + u32::MAX`.
    pub epoch: i64,
    /// The length of a check-in without a check-out.
    pub assumed_dwell_secs: u32,
}

impl Default for IndexConfig {
    /// 2020-01-01T00:00:00Z and one hour.
    fn default() -> Self {
        Self {
            epoch: 1_577_836_800,
            assumed_dwell_secs: 3600,
        }
    }
}

/// A person's presence at a venue, `[start, end)` in Unix seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckIn {
    pub person: u32,
    pub venue: u32,
    pub start: i64,
    /// `None`: no check-out was recorded; the assumed dwell applies.
    pub end: Option<i64>,
}

/// One stay of a case's itinerary, `[start, end)` in Unix seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval {
    pub venue: u32,
    pub start: i64,
    pub end: i64,
}

/// A candidate contact found by a query (see the crate docs for the exact semantics).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exposure {
    pub person: u32,
    /// Total length of the intersections over all overlapping (check-in, interval) pairs.
    pub overlap_secs: i64,
    /// The venue of the longest single intersection (ties: the earliest, then the lowest id).
    pub venue: u32,
    /// Start of the earliest intersection.
    pub first_at: i64,
    /// End of the latest intersection: the last exposure time.
    pub last_at: i64,
    /// Number of overlapping (check-in, interval) pairs.
    pub pairs: u32,
}

/// A check-in the index cannot hold.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IndexError {
    #[error("{field} {value} is before the index's epoch {epoch}")]
    BeforeEpoch {
        field: &'static str,
        value: i64,
        epoch: i64,
    },
    #[error("{field} {value} is after the index's last representable time {last}")]
    AfterRange {
        field: &'static str,
        value: i64,
        last: i64,
    },
    #[error("end {end} is before start {start}")]
    EndBeforeStart { start: i64, end: i64 },
}
