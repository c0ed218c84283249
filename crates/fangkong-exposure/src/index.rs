//! The index: per venue and duration class, check-ins sorted by start in columns, plus a
//! small unsorted tail of recent inserts (the crate docs describe the layout).
//!
//! What it must not do: scan a venue's whole history for a query, or hold more than a few
//! bytes per check-in beyond its 12 bytes of data.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use rayon::prelude::*;

use crate::{CheckIn, Exposure, IndexConfig, IndexError, Interval};

/// Upper bounds (inclusive, seconds) of the duration classes but the last: 4 hours, a day,
/// a week. Ordinary visits sit in the first class, whose scan-back stays short.
const CLASS_LIMITS: [u32; 3] = [4 * 3600, 24 * 3600, 7 * 24 * 3600];
const CLASSES: usize = CLASS_LIMITS.len() + 1;
/// Inserts kept unsorted in a segment before they become a run.
const TAIL_CAPACITY: usize = 64;

fn class_of(dur: u32) -> usize {
    CLASS_LIMITS
        .iter()
        .position(|&limit| dur <= limit)
        .unwrap_or(CLASS_LIMITS.len())
}

/// A multiplicative hasher for venue ids (the one of rustc's `FxHasher`): the keys are not
/// chosen by an adversary, and SipHash would cost more than the lookup.
#[derive(Clone, Copy, Default)]
struct IdHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(SEED);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type IdMap<V> = HashMap<u32, V, BuildHasherDefault<IdHasher>>;

/// One check-in in the index's units: seconds since the epoch.
#[derive(Clone, Copy, Debug)]
struct Entry {
    start: u32,
    dur: u32,
    person: u32,
}

/// Check-ins sorted by start.
///
/// Records rather than columns: most venues hold a few hundred check-ins, and a query then
/// finds start, duration and person in the same cache line.
#[derive(Debug, Default)]
struct Run {
    entries: Vec<Entry>,
    /// The longest duration in the run: a query scans back this far from its start.
    max_dur: u32,
}

impl Run {
    fn with_capacity(n: usize) -> Self {
        Self {
            entries: Vec::with_capacity(n),
            max_dur: 0,
        }
    }

    fn push(&mut self, e: Entry) {
        self.entries.push(e);
        self.max_dur = self.max_dur.max(e.dur);
    }

    fn len(&self) -> usize {
        self.entries.len()
    }

    fn memory_bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<Entry>()
    }

    /// Merges two sorted runs into one with exact capacity.
    fn merge(a: &Run, b: &Run) -> Run {
        let mut out = Run::with_capacity(a.len() + b.len());
        let (mut a, mut b) = (a.entries.iter().peekable(), b.entries.iter().peekable());
        while let (Some(x), Some(y)) = (a.peek(), b.peek()) {
            let next = if x.start <= y.start {
                a.next()
            } else {
                b.next()
            };
            out.extend(next);
        }
        out.extend(a.chain(b));
        out
    }

    fn extend<'a>(&mut self, entries: impl IntoIterator<Item = &'a Entry>) {
        entries.into_iter().for_each(|&e| self.push(e));
    }

    /// Calls `f(person, from, to)` for each check-in whose intersection `[from, to)` with
    /// `[lo, hi)` is not empty (relative seconds).
    fn for_each_overlap(&self, lo: u64, hi: u64, f: &mut impl FnMut(u32, u64, u64)) {
        // A check-in that starts at or before `lo - max_dur` ends at or before `lo`.
        let max_dur = u64::from(self.max_dur);
        let entries = &self.entries;
        let from = entries.partition_point(|e| u64::from(e.start) + max_dur <= lo);
        let to = from + entries[from..].partition_point(|e| u64::from(e.start) < hi);
        for e in &entries[from..to] {
            let s = u64::from(e.start);
            let end = s + u64::from(e.dur);
            if end > lo && end > s {
                f(e.person, s.max(lo), end.min(hi));
            }
        }
    }
}

/// The check-ins of one venue in one duration class.
#[derive(Debug, Default)]
struct Segment {
    /// Sorted runs, each more than twice as long as the next.
    runs: Vec<Run>,
    /// Recent inserts, unsorted, fewer than [`TAIL_CAPACITY`].
    tail: Vec<Entry>,
}

impl Segment {
    fn insert(&mut self, e: Entry) {
        self.tail.push(e);
        if self.tail.len() < TAIL_CAPACITY {
            return;
        }
        let mut tail = std::mem::take(&mut self.tail);
        tail.sort_unstable_by_key(|e| e.start);
        let mut run = Run::with_capacity(tail.len());
        run.extend(&tail);
        self.runs.push(run);
        // Bentley-Saxe with a factor of 2: merge while the newest run is at least half the
        // size of the one before it, so sizes at least double towards the oldest.
        while let [.., older, newer] = &self.runs[..] {
            if older.len() > 2 * newer.len() {
                break;
            }
            let merged = Run::merge(older, newer);
            self.runs.truncate(self.runs.len() - 2);
            self.runs.push(merged);
        }
    }

    fn for_each_overlap(&self, lo: u64, hi: u64, f: &mut impl FnMut(u32, u64, u64)) {
        for run in &self.runs {
            run.for_each_overlap(lo, hi, f);
        }
        for e in &self.tail {
            let s = u64::from(e.start);
            let end = s + u64::from(e.dur);
            if s < hi && end > lo && end > s {
                f(e.person, s.max(lo), end.min(hi));
            }
        }
    }

    fn memory_bytes(&self) -> usize {
        self.runs.capacity() * std::mem::size_of::<Run>()
            + self.runs.iter().map(Run::memory_bytes).sum::<usize>()
            + self.tail.capacity() * std::mem::size_of::<Entry>()
    }
}

/// The check-ins of one venue, by duration class.
#[derive(Debug, Default)]
struct Venue {
    classes: [Segment; CLASSES],
}

/// One overlapping (check-in, interval) pair of a query: the intersection `[from, to)` in
/// seconds since the epoch (within the check-in, so both fit in `u32`).
#[derive(Clone, Copy, Debug, Default)]
struct Hit {
    person: u32,
    venue: u32,
    from: u32,
    to: u32,
}

/// The hits of a query and the radix sort's buffer, kept per thread between queries: growing
/// them anew each time costs more than the query (fresh pages from the system, zeroed).
#[derive(Default)]
struct Scratch {
    hits: Vec<Hit>,
    buffer: Vec<Hit>,
}

/// Hits whose scratch a thread keeps (2 x 16 MiB at most).
const SCRATCH_KEPT: usize = 1 << 20;

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

/// Below this many hits a comparison sort beats the radix sort's fixed cost.
const RADIX_MIN: usize = 512;

/// Sorts `hits` by person: LSD radix sort with 11-bit digits (three passes at most, a pass
/// skipped when every hit has the same digit), so that a query with 50 000 hits spends
/// well under a millisecond grouping them.
fn sort_by_person(hits: &mut Vec<Hit>, buffer: &mut Vec<Hit>) {
    if hits.len() < RADIX_MIN {
        hits.sort_unstable_by_key(|h| h.person);
        return;
    }
    const BITS: u32 = 11;
    const MASK: u32 = (1 << BITS) - 1;
    buffer.clear();
    buffer.resize(hits.len(), Hit::default());
    for shift in [0, BITS, 2 * BITS] {
        let digit = |h: &Hit| ((h.person >> shift) & MASK) as usize;
        let mut counts = [0usize; 1 << BITS];
        hits.iter().for_each(|h| counts[digit(h)] += 1);
        if counts.contains(&hits.len()) {
            continue;
        }
        let mut sum = 0;
        for c in &mut counts {
            (*c, sum) = (sum, sum + *c);
        }
        for h in hits.iter() {
            let d = digit(h);
            buffer[counts[d]] = *h;
            counts[d] += 1;
        }
        std::mem::swap(hits, buffer);
    }
}

/// The exposure of one person from its hits (all of that person).
fn exposure(epoch: i64, hits: &[Hit]) -> Exposure {
    let len = |h: &Hit| h.to - h.from;
    // The longest intersection; ties: the earliest, then the lowest venue.
    let best = hits
        .iter()
        .min_by_key(|h| (std::cmp::Reverse(len(h)), h.from, h.venue))
        .copied()
        .unwrap_or_default();
    Exposure {
        person: best.person,
        overlap_secs: hits.iter().map(|h| i64::from(len(h))).sum(),
        venue: best.venue,
        first_at: epoch + i64::from(hits.iter().map(|h| h.from).min().unwrap_or_default()),
        last_at: epoch + i64::from(hits.iter().map(|h| h.to).max().unwrap_or_default()),
        pairs: hits.len() as u32,
    }
}

/// The rank order as one integer: `overlap_secs` descending, then `last_at` descending,
/// then `person` ascending.
fn rank_key(epoch: i64, e: &Exposure) -> u128 {
    // overlap_secs is positive; last_at - epoch fits in u32 (it ends a check-in).
    let overlap = u64::MAX - e.overlap_secs as u64;
    let last = u32::MAX - (e.last_at - epoch) as u32;
    (u128::from(overlap) << 64) | (u128::from(last) << 32) | u128::from(e.person)
}

/// An in-memory index of venue check-ins for exposure matching (see the crate docs).
#[derive(Debug, Default)]
pub struct ExposureIndex {
    config: IndexConfig,
    venues: IdMap<Venue>,
    len: usize,
}

impl ExposureIndex {
    /// An empty index.
    pub fn new(config: IndexConfig) -> Self {
        Self {
            config,
            venues: IdMap::default(),
            len: 0,
        }
    }

    /// An index of `checkins`, sorted in parallel on the rayon pool.
    ///
    /// # Errors
    /// The first check-in whose times the index cannot hold (see [`IndexError`]); nothing is
    /// built then.
    pub fn build(
        config: IndexConfig,
        checkins: impl IntoIterator<Item = CheckIn>,
    ) -> Result<Self, IndexError> {
        let checkins = checkins.into_iter();
        let mut rows: Vec<(u32, Entry)> = Vec::with_capacity(checkins.size_hint().0);
        for c in checkins {
            rows.push((c.venue, entry(&config, &c)?));
        }
        let len = rows.len();
        rows.par_sort_unstable_by_key(|(venue, e)| (u64::from(*venue) << 32) | u64::from(e.start));
        // One venue per group; within it, the classes keep the order by start.
        let mut bounds: Vec<usize> = (0..rows.len())
            .filter(|&i| i == 0 || rows[i].0 != rows[i - 1].0)
            .collect();
        bounds.push(rows.len());
        let venues: Vec<(u32, Venue)> = bounds
            .par_windows(2)
            .map(|w| {
                let group = &rows[w[0]..w[1]];
                let mut counts = [0; CLASSES];
                group.iter().for_each(|(_, e)| counts[class_of(e.dur)] += 1);
                let mut venue = Venue::default();
                for (segment, &n) in venue.classes.iter_mut().zip(&counts) {
                    if n > 0 {
                        segment.runs.reserve_exact(1);
                        segment.runs.push(Run::with_capacity(n));
                    }
                }
                for &(_, e) in group {
                    if let Some(run) = venue.classes[class_of(e.dur)].runs.first_mut() {
                        run.push(e);
                    }
                }
                (group[0].0, venue)
            })
            .collect();
        drop(rows);
        let mut map = IdMap::with_capacity_and_hasher(venues.len(), Default::default());
        map.extend(venues);
        Ok(Self {
            config,
            venues: map,
            len,
        })
    }

    /// Adds a check-in; the next query sees it.
    ///
    /// Amortised O(log n) copies of a check-in within its venue and duration class.
    ///
    /// # Errors
    /// When its times are before the epoch, after `epoch + u32::MAX`, or its end is before
    /// its start; the index is unchanged then.
    pub fn insert(&mut self, c: CheckIn) -> Result<(), IndexError> {
        let e = entry(&self.config, &c)?;
        self.venues.entry(c.venue).or_default().classes[class_of(e.dur)].insert(e);
        self.len += 1;
        Ok(())
    }

    /// Number of check-ins held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no check-in is held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Heap bytes held: the capacity of every vector, and the venue table's buckets
    /// (estimated from its capacity as the standard library's hash table lays them out).
    pub fn memory_bytes(&self) -> usize {
        // hashbrown: a table of fewer than 8 buckets uses all but one, a larger one 7/8.
        let capacity = self.venues.capacity();
        let buckets = match capacity {
            0 => 0,
            1..=6 => (capacity + 1).next_power_of_two(),
            _ => (capacity * 8 / 7).next_power_of_two(),
        };
        // One control byte per bucket, plus a group's width.
        let table = buckets * (std::mem::size_of::<(u32, Venue)>() + 1) + 16;
        let segments: usize = self
            .venues
            .values()
            .flat_map(|v| &v.classes)
            .map(Segment::memory_bytes)
            .sum();
        table + segments
    }

    /// The configuration the index was made with.
    pub fn config(&self) -> IndexConfig {
        self.config
    }

    /// Candidates for a case: every person (except `exclude`) with a check-in `[s, e)` that
    /// overlaps `[start - margin_secs, end + margin_secs)` of one of `intervals` at the same
    /// venue, with their total overlap, ranked (see the crate docs for the exact rules).
    pub fn match_intervals(
        &self,
        intervals: &[Interval],
        margin_secs: i64,
        exclude: Option<u32>,
    ) -> Vec<Exposure> {
        SCRATCH.with_borrow_mut(|scratch| self.match_with(intervals, margin_secs, exclude, scratch))
    }

    fn match_with(
        &self,
        intervals: &[Interval],
        margin_secs: i64,
        exclude: Option<u32>,
        scratch: &mut Scratch,
    ) -> Vec<Exposure> {
        let Scratch { hits, buffer } = scratch;
        hits.clear();
        let epoch = self.config.epoch;
        for interval in intervals {
            if interval.end < interval.start {
                continue;
            }
            let Some(venue) = self.venues.get(&interval.venue) else {
                continue;
            };
            let Some((lo, hi)) = self.relative(
                interval.start.saturating_sub(margin_secs),
                interval.end.saturating_add(margin_secs),
            ) else {
                continue;
            };
            let mut record = |person: u32, from: u64, to: u64| {
                if Some(person) != exclude {
                    // Both lie within a check-in: the casts are exact.
                    hits.push(Hit {
                        person,
                        venue: interval.venue,
                        from: from as u32,
                        to: to as u32,
                    });
                }
            };
            for segment in &venue.classes {
                segment.for_each_overlap(lo, hi, &mut record);
            }
        }
        sort_by_person(hits, buffer);
        let groups = hits.chunk_by(|a, b| a.person == b.person);
        let mut out: Vec<Exposure> = Vec::with_capacity(groups.clone().count());
        out.extend(groups.map(|group| exposure(epoch, group)));
        out.sort_unstable_by_key(|e| rank_key(epoch, e));
        // Keep the scratch of an exceptional query from staying with the thread.
        if hits.capacity() > SCRATCH_KEPT {
            *hits = Vec::new();
            *buffer = Vec::new();
        }
        out
    }

    /// Candidates for one venue and window: [`Self::match_intervals`] of that one interval,
    /// excluding nobody.
    pub fn venue_window(
        &self,
        venue: u32,
        start: i64,
        end: i64,
        margin_secs: i64,
    ) -> Vec<Exposure> {
        self.match_intervals(&[Interval { venue, start, end }], margin_secs, None)
    }

    /// `[lo, hi)` in seconds since the epoch, clipped to what the index can hold (which
    /// changes no intersection), or `None` when empty.
    fn relative(&self, lo: i64, hi: i64) -> Option<(u64, u64)> {
        let clip = |t: i64| t.saturating_sub(self.config.epoch).clamp(0, 1 << 32) as u64;
        let (lo, hi) = (clip(lo), clip(hi));
        (lo < hi).then_some((lo, hi))
    }
}

/// `c` in the index's units, or why it cannot be held.
fn entry(config: &IndexConfig, c: &CheckIn) -> Result<Entry, IndexError> {
    let start = relative(config, "start", c.start)?;
    let end = match c.end {
        Some(end) => {
            if end < c.start {
                return Err(IndexError::EndBeforeStart {
                    start: c.start,
                    end,
                });
            }
            relative(config, "end", end)?
        }
        None => relative(
            config,
            "end (start + assumed dwell)",
            c.start.saturating_add(i64::from(config.assumed_dwell_secs)),
        )?,
    };
    Ok(Entry {
        start,
        dur: end - start,
        person: c.person,
    })
}

fn relative(config: &IndexConfig, field: &'static str, t: i64) -> Result<u32, IndexError> {
    let last = config.epoch.saturating_add(i64::from(u32::MAX));
    if t < config.epoch {
        return Err(IndexError::BeforeEpoch {
            field,
            value: t,
            epoch: config.epoch,
        });
    }
    t.checked_sub(config.epoch)
        .and_then(|rel| u32::try_from(rel).ok())
        .ok_or(IndexError::AfterRange {
            field,
            value: t,
            last,
        })
}
