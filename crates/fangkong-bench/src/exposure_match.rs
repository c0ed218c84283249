//! The `exposure-match` scenario: a city's venue check-ins in a `fangkong_exposure`
//! index, queried by case itineraries, against the same queries in SQLite at equal size,
//! measured in the same run.
//!
//! What it must not do: write outside its temporary directory, or talk to the network.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::{Hash as _, Hasher as _};
use std::path::Path;
use std::time::Instant;

use crate::machine::{load_average, peak_rss_bytes};
use crate::stats::percentile;
use anyhow::Context as _;
use fangkong_exposure::{CheckIn, Exposure, ExposureIndex, IndexConfig, Interval};
use rand::{Rng as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

/// 2022-03-01T00:00:00+08:00: the first of the generated days (local midnight).
const FIRST_DAY: i64 = 1_646_064_000;
const DAY: i64 = 86_400;
/// Venue popularity is Zipf-Mandelbrot: the venue of rank `r` (its id, from 1) has weight
/// `1 / (r + Q)^S`. With 200 000 venues the busiest gets 0.5% of the check-ins (about
/// 37 000 a day at 100 million over 14 days, a railway station) and the top 100 a fifth.
const ZIPF_S: f64 = 1.0;
const ZIPF_Q: f64 = 20.0;
/// Relative check-in rate by hour of the local day: quiet at night, peaks at noon and in
/// the evening.
const HOURLY: [f64; 24] = [
    0.3, 0.2, 0.1, 0.1, 0.1, 0.3, 1.0, 3.0, 5.0, 5.0, 5.0, 6.0, 8.0, 6.0, 5.0, 5.0, 5.0, 6.0, 7.0,
    7.0, 5.0, 3.0, 1.5, 0.7,
];
/// Share of check-ins without a check-out (the index's assumed dwell applies).
const OPEN_SHARE: f64 = 0.10;
/// Check-ins generated per ChaCha8 stream, so that the data does not depend on threads.
const CHUNK: usize = 1 << 20;

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    pub checkins: usize,
    pub people: u32,
    pub venues: u32,
    pub days: u32,
    pub queries: usize,
    pub intervals: usize,
    pub margin_secs: i64,
    pub baseline_rows: usize,
    pub seed: u64,
}

/// Issue #6's targets, each met or not.
#[derive(Debug, Clone, Serialize)]
pub struct Targets {
    /// `bytes_per_checkin <= 24`.
    pub bytes_per_checkin: bool,
    /// `p99_ms <= 10`.
    pub p99_ms: bool,
    /// `speedup_vs_baseline >= 20`.
    pub speedup_vs_baseline: bool,
}

/// The measured phases and their context.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub scenario: &'static str,
    pub checkins: usize,
    pub people: u32,
    pub venues: u32,
    pub days: u32,
    pub seed: u64,
    pub threads: usize,
    pub queries: usize,
    pub intervals: usize,
    pub margin_secs: i64,
    /// Generating the check-ins in memory (not timed in `build_seconds`).
    pub generate_seconds: f64,
    pub open_checkins: usize,
    /// `ExposureIndex::build` over every check-in.
    pub build_seconds: f64,
    pub memory_bytes: usize,
    pub bytes_per_checkin: f64,
    /// Latency of `match_intervals` per itinerary, over `queries` itineraries.
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Candidates per itinerary, on average.
    pub mean_candidates: f64,
    /// The first `baseline_rows` check-ins, loaded into SQLite (not timed in the queries).
    pub baseline_rows: usize,
    pub baseline_load_seconds: f64,
    /// The same itineraries in SQL with the index on `(venue, t_in)`, one statement per
    /// stay in a read transaction per itinerary, grouped by person and ranked in Rust.
    pub baseline_p50_ms: f64,
    pub baseline_p99_ms: f64,
    /// The same with a covering index on `(venue, t_in, t_out, person)`: no table lookups.
    pub covering_baseline_p50_ms: f64,
    pub covering_baseline_p99_ms: f64,
    /// An index over exactly the baseline's rows, the same itineraries.
    pub equal_size_p50_ms: f64,
    pub equal_size_p99_ms: f64,
    /// `baseline_p50_ms / equal_size_p50_ms`.
    pub speedup_vs_baseline: f64,
    /// `covering_baseline_p50_ms / equal_size_p50_ms`.
    pub speedup_vs_covering_baseline: f64,
    pub equal_size_mean_candidates: f64,
    /// Itineraries whose ranked candidates differ between either SQL query and the index
    /// (compared by a hash of every field of every candidate, in rank order).
    pub mismatches: usize,
    /// 1-minute load average when the run started (other processes make timings noisy).
    pub load_average: Option<f64>,
    pub peak_rss_bytes: Option<u64>,
    pub targets_met: Targets,
}

/// Runs the scenario.
///
/// # Errors
/// Empty dimensions, a generated check-in the index refuses, or any SQLite failure.
pub fn run(options: &Options) -> anyhow::Result<Report> {
    anyhow::ensure!(
        options.people > 0 && options.venues > 0 && options.days > 0 && options.intervals > 0,
        "--people, --venues, --days and --intervals must be positive"
    );
    let config = IndexConfig::default();
    let popularity = Alias::new(
        &(1..=options.venues)
            .map(|r| 1.0 / (f64::from(r) + ZIPF_Q).powf(ZIPF_S))
            .collect::<Vec<_>>(),
    );
    let hours = Alias::new(&HOURLY);
    let load_average = load_average();

    let started = Instant::now();
    let checkins = generate(options, &popularity, &hours);
    let generate_seconds = started.elapsed().as_secs_f64();
    let open_checkins = checkins.par_iter().filter(|c| c.end.is_none()).count();

    let started = Instant::now();
    let index =
        ExposureIndex::build(config, checkins.iter().copied()).context("building the index")?;
    let build_seconds = started.elapsed().as_secs_f64();
    let memory_bytes = index.memory_bytes();

    let itineraries = itineraries(options, &popularity, &hours, 0);
    // A pass of other itineraries first: the allocator returns the build's memory to the
    // system meanwhile, which a long-lived index does not see.
    let warm_up = itineraries_warm_up(options, &popularity, &hours);
    time_index(&index, &warm_up, options.margin_secs);
    let full = time_index(&index, &itineraries, options.margin_secs);
    drop(index);

    let mut sample = checkins;
    sample.truncate(options.baseline_rows);
    sample.shrink_to_fit();
    let equal = ExposureIndex::build(config, sample.iter().copied())
        .context("building the index of the baseline rows")?;
    time_index(&equal, &warm_up, options.margin_secs);
    let equal_size = time_index(&equal, &itineraries, options.margin_secs);
    drop(equal);

    let temp = tempfile::Builder::new()
        .prefix("fangkong-bench-")
        .tempdir()
        .context("creating a temporary directory")?;
    let started = Instant::now();
    let baseline = Baseline::load(&temp.path().join("checkins.db"), &sample, config)?;
    let baseline_load_seconds = started.elapsed().as_secs_f64();
    drop(sample);
    // A pass each to warm SQLite's page cache, as the index is warm.
    baseline.time(SqlIndex::VenueStart, &itineraries, options.margin_secs)?;
    let sql = baseline.time(SqlIndex::VenueStart, &itineraries, options.margin_secs)?;
    baseline.time(SqlIndex::Covering, &itineraries, options.margin_secs)?;
    let covering = baseline.time(SqlIndex::Covering, &itineraries, options.margin_secs)?;
    let mismatches = (0..itineraries.len())
        .filter(|&i| {
            sql.digests[i] != equal_size.digests[i] || covering.digests[i] != equal_size.digests[i]
        })
        .count();

    let latencies = &full.latencies;
    let equal_latencies = &equal_size.latencies;
    let baseline_latencies = &sql.latencies;
    let bytes_per_checkin = memory_bytes as f64 / options.checkins.max(1) as f64;
    let p99_ms = percentile(latencies, 0.99);
    let equal_size_p50_ms = percentile(equal_latencies, 0.50);
    let baseline_p50_ms = percentile(baseline_latencies, 0.50);
    let covering_baseline_p50_ms = percentile(&covering.latencies, 0.50);
    let ratio = |sql_ms: f64| {
        if equal_size_p50_ms > 0.0 {
            sql_ms / equal_size_p50_ms
        } else {
            0.0
        }
    };
    let speedup_vs_baseline = ratio(baseline_p50_ms);
    Ok(Report {
        scenario: "exposure-match",
        checkins: options.checkins,
        people: options.people,
        venues: options.venues,
        days: options.days,
        seed: options.seed,
        threads: rayon::current_num_threads(),
        queries: options.queries,
        intervals: options.intervals,
        margin_secs: options.margin_secs,
        generate_seconds,
        open_checkins,
        build_seconds,
        memory_bytes,
        bytes_per_checkin,
        p50_ms: percentile(latencies, 0.50),
        p99_ms,
        max_ms: percentile(latencies, 1.0),
        mean_candidates: mean(&full.candidates),
        load_average,
        baseline_rows: options.baseline_rows.min(options.checkins),
        baseline_load_seconds,
        baseline_p50_ms,
        baseline_p99_ms: percentile(baseline_latencies, 0.99),
        covering_baseline_p50_ms,
        covering_baseline_p99_ms: percentile(&covering.latencies, 0.99),
        equal_size_p50_ms,
        equal_size_p99_ms: percentile(equal_latencies, 0.99),
        speedup_vs_baseline,
        speedup_vs_covering_baseline: ratio(covering_baseline_p50_ms),
        equal_size_mean_candidates: mean(&equal_size.candidates),
        mismatches,
        peak_rss_bytes: peak_rss_bytes(),
        targets_met: Targets {
            bytes_per_checkin: bytes_per_checkin <= 24.0,
            p99_ms: p99_ms <= 10.0,
            speedup_vs_baseline: speedup_vs_baseline >= 20.0,
        },
    })
}

/// `options.checkins` check-ins: venues by popularity, persons uniform, starts over the
/// days by hour of day, 95% of stays 10-120 minutes and 5% 2-4 hours, 10% without a
/// check-out. Chunk `k` is drawn from ChaCha8 stream `k` of the seed.
fn generate(options: &Options, popularity: &Alias, hours: &Alias) -> Vec<CheckIn> {
    let placeholder = CheckIn {
        person: 0,
        venue: 0,
        start: 0,
        end: None,
    };
    let mut out = vec![placeholder; options.checkins];
    out.par_chunks_mut(CHUNK)
        .enumerate()
        .for_each(|(k, chunk)| {
            let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
            rng.set_stream(k as u64);
            for c in chunk {
                let venue = popularity.sample(&mut rng) as u32;
                let start = visit_start(&mut rng, options.days, hours);
                let dwell = if rng.gen_bool(0.95) {
                    rng.gen_range(600..=7200)
                } else {
                    rng.gen_range(7200..=14_400)
                };
                *c = CheckIn {
                    person: rng.gen_range(0..options.people),
                    venue,
                    start,
                    end: (!rng.gen_bool(OPEN_SHARE)).then_some(start + dwell),
                };
            }
        });
    out
}

/// A start time: a uniform day, an hour by [`HOURLY`], a uniform second in the hour.
fn visit_start(rng: &mut ChaCha8Rng, days: u32, hours: &Alias) -> i64 {
    let day = i64::from(rng.gen_range(0..days));
    FIRST_DAY + day * DAY + hours.sample(rng) as i64 * 3600 + rng.gen_range(0..3600)
}

/// One case's itinerary: the case (excluded from its candidates) and its stays.
struct Itinerary {
    case: u32,
    stays: Vec<Interval>,
}

/// `options.queries` itineraries of `options.intervals` stays of 15-180 minutes at venues
/// drawn by the same popularity, from their own stream.
fn itineraries(
    options: &Options,
    popularity: &Alias,
    hours: &Alias,
    stream: u64,
) -> Vec<Itinerary> {
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    rng.set_stream(u64::MAX - stream);
    (0..options.queries)
        .map(|_| Itinerary {
            case: rng.gen_range(0..options.people),
            stays: (0..options.intervals)
                .map(|_| {
                    let venue = popularity.sample(&mut rng) as u32;
                    let start = visit_start(&mut rng, options.days, hours);
                    Interval {
                        venue,
                        start,
                        end: start + rng.gen_range(15 * 60..=180 * 60),
                    }
                })
                .collect(),
        })
        .collect()
}

/// A tenth as many itineraries as measured, from another stream, to warm up the index.
fn itineraries_warm_up(options: &Options, popularity: &Alias, hours: &Alias) -> Vec<Itinerary> {
    let mut list = itineraries(options, popularity, hours, 1);
    list.truncate(options.queries.div_ceil(10));
    list
}

/// Per itinerary: the latency in milliseconds, the number of candidates and a digest of the
/// ranked candidates. Results are not kept: holding a thousand of them would make each
/// query fault in fresh pages, which a caller that consumes its results does not see.
#[derive(Debug, Default)]
struct Timing {
    latencies: Vec<f64>,
    candidates: Vec<usize>,
    digests: Vec<u64>,
}

impl Timing {
    fn record(&mut self, started: Instant, found: &[Exposure]) {
        self.latencies.push(started.elapsed().as_secs_f64() * 1e3);
        self.candidates.push(found.len());
        let mut hasher = std::hash::DefaultHasher::new();
        for e in found {
            (
                e.person,
                e.overlap_secs,
                e.venue,
                e.first_at,
                e.last_at,
                e.pairs,
            )
                .hash(&mut hasher);
        }
        self.digests.push(hasher.finish());
    }
}

/// `match_intervals` of each itinerary, its case excluded.
fn time_index(index: &ExposureIndex, itineraries: &[Itinerary], margin_secs: i64) -> Timing {
    let mut timing = Timing::default();
    for it in itineraries {
        let started = Instant::now();
        let found = index.match_intervals(&it.stays, margin_secs, Some(it.case));
        timing.record(started, &found);
    }
    timing
}

/// Which index of the baseline table a query uses.
#[derive(Debug, Clone, Copy)]
enum SqlIndex {
    /// `(venue, t_in)`: each row found is read from the table.
    VenueStart,
    /// `(venue, t_in, t_out, person)`: the query reads the index only.
    Covering,
}

/// The baseline: a SQLite table of check-ins with both indexes of [`SqlIndex`].
struct Baseline {
    db: rusqlite::Connection,
    /// The longest stay in the table: a query scans back this far from an interval's start.
    max_dwell_secs: i64,
}

impl Baseline {
    /// A fresh database at `path` holding `checkins` (open check-outs closed by the assumed
    /// dwell), indexed after the load.
    fn load(path: &Path, checkins: &[CheckIn], config: IndexConfig) -> anyhow::Result<Self> {
        let mut db = rusqlite::Connection::open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        db.execute_batch(
            "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; \
             PRAGMA cache_size = -1048576; PRAGMA temp_store = memory; \
             PRAGMA mmap_size = 17179869184; \
             CREATE TABLE checkins (person INTEGER NOT NULL, venue INTEGER NOT NULL, \
             t_in INTEGER NOT NULL, t_out INTEGER NOT NULL);",
        )?;
        let tx = db.transaction()?;
        {
            let mut insert = tx.prepare(
                "INSERT INTO checkins (person, venue, t_in, t_out) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for c in checkins {
                let t_out = c
                    .end
                    .unwrap_or(c.start + i64::from(config.assumed_dwell_secs));
                insert.execute(rusqlite::params![c.person, c.venue, c.start, t_out])?;
            }
        }
        tx.commit()?;
        // No ANALYZE: with its statistics SQLite re-plans the statement whenever the bound
        // range changes; each query names its index anyway.
        db.execute_batch(
            "CREATE INDEX checkins_venue_t_in ON checkins (venue, t_in); \
             CREATE INDEX checkins_covering ON checkins (venue, t_in, t_out, person);",
        )?;
        let max_dwell_secs: i64 = db.query_row(
            "SELECT coalesce(max(t_out - t_in), 0) FROM checkins",
            [],
            |r| r.get(0),
        )?;
        Ok(Self { db, max_dwell_secs })
    }

    /// Each itinerary in SQL through `index`, its results ranked as the index ranks them.
    fn time(
        &self,
        index: SqlIndex,
        itineraries: &[Itinerary],
        margin_secs: i64,
    ) -> anyhow::Result<Timing> {
        let name = match index {
            SqlIndex::VenueStart => "checkins_venue_t_in",
            SqlIndex::Covering => "checkins_covering",
        };
        let mut statement = self.db.prepare(&format!(
            "SELECT person, t_in, t_out FROM checkins INDEXED BY {name} \
             WHERE venue = ?1 AND t_in < ?2 AND t_in > ?3 AND t_out > ?4 AND person <> ?5"
        ))?;
        let mut timing = Timing::default();
        for it in itineraries {
            let started = Instant::now();
            // One read transaction per itinerary: the file is locked and checked once.
            self.db.execute_batch("BEGIN")?;
            let mut found: HashMap<u32, (Exposure, i64, i64)> = HashMap::new();
            for stay in &it.stays {
                let (lo, hi) = (stay.start - margin_secs, stay.end + margin_secs);
                let mut rows = statement.query(rusqlite::params![
                    stay.venue,
                    hi,
                    lo - self.max_dwell_secs,
                    lo,
                    it.case
                ])?;
                while let Some(row) = rows.next()? {
                    let (person, t_in, t_out): (u32, i64, i64) =
                        (row.get(0)?, row.get(1)?, row.get(2)?);
                    let (from, to) = (t_in.max(lo), t_out.min(hi));
                    if from < to {
                        add(&mut found, person, stay.venue, from, to);
                    }
                }
            }
            self.db.execute_batch("COMMIT")?;
            let mut ranked: Vec<Exposure> = found.into_values().map(|(e, _, _)| e).collect();
            ranked.sort_unstable_by_key(|e| {
                (
                    std::cmp::Reverse(e.overlap_secs),
                    std::cmp::Reverse(e.last_at),
                    e.person,
                )
            });
            timing.record(started, &ranked);
        }
        Ok(timing)
    }
}

/// Adds the intersection `[from, to)` at `venue` to `person`'s exposure, by the rules of
/// `fangkong_exposure`: the longest intersection names the venue (ties: the earliest, then
/// the lowest venue), kept beside the exposure as (length, start).
fn add(
    found: &mut HashMap<u32, (Exposure, i64, i64)>,
    person: u32,
    venue: u32,
    from: i64,
    to: i64,
) {
    let len = to - from;
    let (e, best_len, best_at) = found.entry(person).or_insert((
        Exposure {
            person,
            overlap_secs: 0,
            venue,
            first_at: from,
            last_at: to,
            pairs: 0,
        },
        len,
        from,
    ));
    e.overlap_secs += len;
    e.pairs += 1;
    e.first_at = e.first_at.min(from);
    e.last_at = e.last_at.max(to);
    if (std::cmp::Reverse(len), from, venue) < (std::cmp::Reverse(*best_len), *best_at, e.venue) {
        (*best_len, *best_at, e.venue) = (len, from, venue);
    }
}

fn mean(values: &[usize]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.iter().sum::<usize>() as f64 / values.len() as f64
}

/// Walker's alias method (Vose's construction): O(1) draws from a discrete distribution.
struct Alias {
    prob: Vec<f64>,
    alias: Vec<usize>,
}

impl Alias {
    fn new(weights: &[f64]) -> Self {
        let n = weights.len();
        let total: f64 = weights.iter().sum();
        let mut scaled: Vec<f64> = weights.iter().map(|w| w * n as f64 / total).collect();
        let mut prob = vec![1.0; n];
        let mut alias: Vec<usize> = (0..n).collect();
        let (mut small, mut large): (Vec<usize>, Vec<usize>) =
            (0..n).partition(|&i| scaled[i] < 1.0);
        while let (Some(s), Some(&l)) = (small.pop(), large.last()) {
            prob[s] = scaled[s];
            alias[s] = l;
            scaled[l] -= 1.0 - scaled[s];
            if scaled[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        Self { prob, alias }
    }

    fn sample(&self, rng: &mut ChaCha8Rng) -> usize {
        let i = rng.gen_range(0..self.prob.len());
        if rng.gen::<f64>() < self.prob[i] {
            i
        } else {
            self.alias[i]
        }
    }
}

/// The report as a table.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "exposure-match: {} check-ins ({} open) of {} people at {} venues over {} days, seed {}, {} threads",
        r.checkins, r.open_checkins, r.people, r.venues, r.days, r.seed, r.threads
    );
    let _ = writeln!(
        out,
        "  generate            {:>9.2} s (not timed in the build)",
        r.generate_seconds
    );
    let _ = writeln!(
        out,
        "  build               {:>9.2} s, {:.1} MiB, {:.2} bytes a check-in",
        r.build_seconds,
        r.memory_bytes as f64 / 1048576.0,
        r.bytes_per_checkin
    );
    let _ = writeln!(
        out,
        "  {} itineraries of {} stays, margin {} s: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms, {:.0} candidates on average",
        r.queries, r.intervals, r.margin_secs, r.p50_ms, r.p99_ms, r.max_ms, r.mean_candidates
    );
    let _ = writeln!(
        out,
        "  at {} rows (SQLite loaded in {:.2} s): index p50 {:.3} ms, p99 {:.3} ms; {} mismatches",
        r.baseline_rows,
        r.baseline_load_seconds,
        r.equal_size_p50_ms,
        r.equal_size_p99_ms,
        r.mismatches
    );
    let _ = writeln!(
        out,
        "    SQL, index (venue, t_in):   p50 {:.3} ms, p99 {:.3} ms, index {:.1} times faster",
        r.baseline_p50_ms, r.baseline_p99_ms, r.speedup_vs_baseline
    );
    let _ = writeln!(
        out,
        "    SQL, covering index:        p50 {:.3} ms, p99 {:.3} ms, index {:.1} times faster",
        r.covering_baseline_p50_ms, r.covering_baseline_p99_ms, r.speedup_vs_covering_baseline
    );
    let _ = writeln!(
        out,
        "  targets: <= 24 bytes a check-in {}, p99 <= 10 ms {}, >= 20x SQL {}",
        r.targets_met.bytes_per_checkin, r.targets_met.p99_ms, r.targets_met.speedup_vs_baseline
    );
    if let Some(rss) = r.peak_rss_bytes {
        let _ = writeln!(out, "  peak RSS {:.1} MiB", rss as f64 / 1048576.0);
    }
    if let Some(load) = r.load_average {
        let _ = writeln!(out, "  load average {load:.2} at the start");
    }
    out
}
