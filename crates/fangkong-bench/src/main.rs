//! `fangkong-bench`: benchmark scenarios of the platform's computations and ingest paths.
//!
//! Why it exists: issue #9 sets performance targets (all aberration methods over 10 000
//! series in 2 s on two cores, 50 times a straightforward reference); this binary measures them
//! on deterministic synthetic data so a change can quote before and after numbers.
//!
//! # `aberration`
//!
//! `--series N` (default 10 000) daily series end on 2025-12-31 and start five years and
//! three days before the first of their last 30 days (1 859 days), so that Farrington with
//! `b = 5`, `w = 3` can judge exactly those 30 days. Half are low-count (baseline mean 1-5 a
//! day), half higher-count (20-200, log-uniform); each has an annual cycle (mostly a winter
//! peak), a slow trend, a weekly reporting pattern, Poisson or negative binomial noise (size
//! 2-30), in 10% of them a few missing days, in 15% a past outbreak and in 20% an outbreak
//! that starts in the last 30 days. Series `i` is a function of `(--seed, i)`.
//!
//! The fast path (`seconds`): each method in turn (EARS C1, C2, C3, CUSUM and Farrington, with
//! `Method::detector()`'s parameters, or Farrington with `FarringtonParams::noufaily()` under
//! `--farrington noufaily`) through `fangkong_epi::aberration::evaluate_batch` on the rayon
//! pool, all cores. EARS and CUSUM get each series cut to the 30 days and the history they
//! need (EARS: the 7-day baseline and its lag; CUSUM: the 7 days that give its reference mean
//! `m`, so it monitors the 30 days); Farrington gets the whole series.
//!
//! Two references recompute every judged day from scratch, on one thread, on the same
//! series:
//! - Python (`reference/aberration.py`, the one issue #9 names, so the headline): numpy,
//!   scipy and statsmodels (`GLM(..., family=Poisson(), var_weights=...)` with R's stopping
//!   rule, quasi-Poisson dispersion, Anscombe reweighting and refit, trend test, 2/3-power
//!   threshold) on the first `--python-series` series (default 200). The scenario creates
//!   its virtual environment on the first run (`--python`, default `python3`, `-m venv`, then
//!   `pip install` of `reference/requirements.txt`'s pins into `--python-venv`, default
//!   `$XDG_CACHE_HOME/fangkong-bench/venv` or `~/.cache/fangkong-bench/venv`) and reuses it
//!   while the pins hold. Only the computation is timed (`python_seconds_measured`, inside the
//!   script); start-up, imports and file reading are reported apart. `reference_seconds` is
//!   its time per series times `--series`, `speedup` that over `seconds`. Without python3 or
//!   the packages the report carries `python_reference: null` and the reason, and the headline
//!   falls back to the Rust reference.
//! - naive Rust (`rust_naive_reference_seconds`, `rust_naive_speedup`), on the first
//!   `--rust-naive-series` series (all by default):
//!   - EARS C1/C2: the 7 baseline counts collected into a new vector, mean and sample
//!     standard deviation by two loops over it; C3 does this for the day and the two before.
//!   - CUSUM: `m` the mean of the 7 days before the 30, then a loop from the first of the 30
//!     up to the day to rebuild the CUSUM.
//!   - Farrington: the reference dates by calendar arithmetic, the seasonal level of every
//!     day from the start of the series marked in a new vector, the rows of the fit
//!     collected, a dense design matrix (`Vec<Vec<f64>>`), and the quasi-Poisson GLM fitted
//!     by plain IRLS (R's start and stopping rule): per iteration `X' W X` and `X' W z` by a
//!     triple loop over the dense rows and the inverse by Gauss-Jordan elimination with
//!     partial pivoting. Then the Anscombe reweighting and second fit, the trend test
//!     (Student's t by a continued fraction of the incomplete beta function), the fits
//!     without trend when the trend is dropped, and the threshold (delta method; the negative
//!     binomial quantile by summing probabilities).
//!
//! Both follow the semantics documented in `fangkong_epi` (not its code), and the report
//! compares each with the fast path day by day (`python_alarm_mismatches`,
//! `rust_naive_alarm_mismatches`, the largest relative threshold differences).
//!
//! ```text
//! cargo run --release -p fangkong-bench -- aberration --json
//! ```
//!
//! # `testing-round`
//!
//! Issue #4: a whole city tested in one round. `--population N` (default 7 000 000)
//! residents of the synthetic Zhumadian (`--seed`, default 2026) are loaded into a fresh
//! SQLite store; then, timed:
//! - `generate`: the sample file (CSV, every resident, 10-in-1 tubes of one community, the
//!   last tube of a community smaller) and the result file (one row per tube, 0.01% of the
//!   tubes positive, 0.002% inconclusive, at least one of each), in memory;
//! - `ingest_samples`, `ingest_results`: `App::ingest_samples` and `App::ingest_results` from
//!   the files' bytes, exactly as `fangkong import` and the API call them (fan-out included);
//! - `coverage`: `App::round_coverage` of the round by community;
//! - `overdue`: `App::group_schedule` of a key group (medical, cold-chain and delivery
//!   workers, every two days) three days after the round.
//!
//! `total_seconds` is the sum of those phases. Not in it: `setup` (loading the population,
//! or copying one kept by `--data DIR` from an earlier run, and regenerating every resident's
//! document with `fangkong-synth`; reported as `setup_seconds_excluded_from_total`) and the
//! raw baselines, which insert the same sample rows with one prepared rusqlite statement in
//! transactions of 100 000 rows, under the store's pragmas (WAL, `synchronous=FULL`, foreign
//! keys on, `mmap_size`), after their parent rows (timed apart):
//! - `baseline`: into a copy of the population store, so that the rows meet the same
//!   persons, schema and indexes as the ingest did; `ratio_to_baseline` (issue #4 wants at
//!   least 0.5) is ingest rows per second over its rows per second;
//! - `bare_baseline`: into a fresh database whose persons are rows of nothing but an id (the
//!   only baseline before; `ratio_to_bare_baseline`).
//!
//! Issue #4 wants `total_seconds` at most 60 on two cores. `peak_rss_bytes` is `VmHWM` reset
//! after setup, which counts the mapped pages of the database file;
//! `peak_anon_rss_bytes` is the largest `RssAnon` seen, the process's own memory.
//!
//! ```text
//! cargo run --release -p fangkong-bench -- testing-round --population 7000000 --data /tmp/tr --json
//! ```
//!
//! # `travel-import`
//!
//! Issue #5: a traveller list of `--rows N` (default 100 000) arrivals as an XLSX, generated
//! in memory (a fifth from abroad, the rest from places in China, some of them designated
//! before the import, one row in twenty a repeated report of an earlier trip), imported into
//! a store holding the synthetic Zhumadian's jurisdictions and the default policy by
//! `App::import_travel`, timed whole (`import_seconds`, of which `classify_seconds`), then
//! again (a no-op). The baseline inserts the same persons (bare identifiers), arrivals and
//! measures with one prepared rusqlite statement per table in one transaction, into a copy
//! of the store taken before the import; `ratio_to_baseline` is its time over the import's.
//!
//! ```text
//! cargo run --release -p fangkong-bench -- travel-import --rows 100000 --json
//! ```
//!
//! # `http`
//!
//! Issue #14: the server under a realistic mixed load. A fresh store (SQLite in a temporary
//! directory, or `--database-url` for an empty PostgreSQL database) gets the synthetic
//! Zhumadian of `--population` residents (default 20 000), 200 venues, and enough collected
//! tubes for the laboratories; then the real router (middleware, token authentication,
//! audit, store) serves on a loopback port in the same process, and `--clients` (32)
//! clients run sessions back to back for `--seconds` (20), drawn by `--seed`:
//! - community worker (70%): a person looked up by ID number, the record opened, a batch of 5
//!   check-ins uploaded (NDJSON);
//! - laboratory (20%): 20 tube results uploaded (NDJSON, with an idempotency key);
//! - headquarters (10%): the command dashboard of the city.
//!
//! Reported: `requests_per_second`, `p50_ms`, `p90_ms`, `p99_ms` over every request and per
//! kind, `errors` (any non-2xx), `writes_share`. The baseline, in the same run and on the
//! same server and clients: `/healthz` for `--baseline-seconds` (5)
//! (`baseline_requests_per_second`, `baseline_p99_ms`), the HTTP stack and loopback alone.
//! Issue #14's target on two cores with SQLite: 2 000 requests/s mixed at p99 under 50 ms
//! (`targets_met`). Server and clients share the machine's cores, as they would not in
//! production, so the figures are a lower bound.
//!
//! ```text
//! cargo run --release -p fangkong-bench -- http --json
//! cargo run --release -p fangkong-bench -- http --database-url postgres://postgres@127.0.0.1/bench --json
//! ```
//!
//! # `immunization-import`
//!
//! Issue #8: a vaccination list of `--rows N` (default 1 000 000) doses imported in seconds.
//! The synthetic Zhumadian of `--population` residents (default 5 for every 9 rows, at least
//! 2 000: 555 555 for a million rows) is loaded into a fresh SQLite store; residents born in
//! 2018 or later get no dose. The list (`--format csv`, the default, or `xlsx`; columns
//! `id_number,dose_number,product,vaccinated_on,lot,site`) is generated in memory: residents
//! in a random order (`--seed`), each with one product (CoronaVac and BIBP most of all, six
//! more) and 1-3 doses (2.2 on average, a single-dose product at most a booster), the first
//! between March and December 2021, the primary doses the product's interval apart, a
//! booster 6-10 months later, none after 2022; a lot of the product and month, a site named
//! in Chinese in the person's county; rows in day order. Then, timed:
//! - `parse_seconds`: the parser alone on the bytes (a part of the import, measured first);
//! - `seconds`, `rows_per_second`: `App::import_vaccinations` from the bytes (parse, resolve
//!   documents by blind index, store doses and recompute each person's status in one
//!   transaction), as `fangkong import vaccinations` and the API call it;
//! - `rerun_seconds`: the same file again, every row unchanged (asserted).
//!
//! Checked afterwards: `vaccinations` holds `rows` rows, `immunization_status` one per
//! vaccinated person. The baseline, in the same run: the same rows (person ids known) with one
//! prepared rusqlite statement in one transaction, under the store's pragmas, into the empty
//! `vaccinations` table of a copy of the store taken before the import
//! (`baseline_seconds`; `ratio` is `seconds / baseline_seconds`). `peak_rss_bytes` is `VmHWM`
//! over the import and the rerun; `load_average` is `/proc/loadavg` at the end.
//!
//! ```text
//! cargo run --release -p fangkong-bench -- immunization-import --rows 1000000 --json
//! ```
//!
//! # `exposure-match`
//!
//! Issue #6: candidate close contacts of a case from venue check-ins. `--checkins N`
//! (default 100 000 000) check-ins of `--people` (7 000 000) persons at `--venues`
//! (200 000) venues over `--days` (14) from 2022-03-01 (China Standard Time) are generated
//! in memory, deterministically by `--seed` (chunks of 2^20 from their own ChaCha8
//! stream): venues by a Zipf-Mandelbrot popularity (`1 / (rank + 20)`, so the busiest gets
//! 0.5% of all check-ins), persons uniform, starts by hour of day (quiet at night, peaks at
//! noon and in the evening), 95% of stays 10-120 minutes and 5% 2-4 hours, 10% without a
//! check-out (the index's default assumed dwell of an hour applies). Then, timed:
//! - `build_seconds`: `ExposureIndex::build` over all of them; `bytes_per_checkin` is its
//!   `memory_bytes()` over `--checkins`;
//! - `--queries` (1 000) itineraries of `--intervals` (20) stays of 15-180 minutes at venues
//!   drawn by the same popularity, each a random case excluded from its own candidates,
//!   through `match_intervals` with `--margin-secs` (default 1 800: half an hour either
//!   side, since aerosols linger after a case leaves and check-in times are approximate):
//!   `p50_ms`, `p99_ms`.
//!
//! The baseline, in the same run, at equal size: the first `--baseline-rows` (10 000 000)
//! check-ins in a fresh SQLite file (`checkins(person, venue, t_in, t_out)`, open
//! check-outs closed by the assumed dwell, indexed after the load on
//! `(venue, t_in, t_out, person)` so that the queries read the index only), one prepared
//! statement per stay (`venue = ? AND t_in < b + m AND t_in > a - m - longest stay AND
//! t_out > a - m AND person <> case`), grouped and ranked per person in Rust, after one
//! untimed pass to warm the page cache: `baseline_p50_ms`, `baseline_p99_ms`. An index of
//! exactly those rows answers the same itineraries (`equal_size_p50_ms`);
//! `speedup_vs_baseline` is `baseline_p50_ms / equal_size_p50_ms`, and `mismatches` counts
//! itineraries whose ranked candidates differ (expected 0). `targets_met` compares with
//! issue #6: at most 24 bytes a check-in, p99 at most 10 ms, at least 20 times SQL.
//!
//! ```text
//! cargo run --release -p fangkong-bench -- exposure-match --json
//! ```
//!
//! # `allocate`
//!
//! Issue #7: a batch of people placed into the free rooms of quarantine sites, 10 000 people
//! across 200 sites in under a second. `--people N` (default 10 000) people in households of
//! 1-5 (the 2020 census shares; about 3 900 households at the default, ages by household
//! type: singles, couples, parents with children, elderly couples with an adult child, three
//! generations; 4% disabled), 70% living near one of six outbreak centres, and `--sites`
//! (200) sites with `--rooms-per-site` (100) free rooms of 1-3 beds, 10% accessible, all
//! within Zhumadian's bounding box (113.6-115.2 E, 32.3-33.6 N), deterministic by `--seed`
//! (default 1). `fangkong_allocation::allocate` runs `--repetitions` (10) times:
//! `seconds` is the median, `best_seconds` the fastest.
//!
//! The baseline, in the same run and as often: the same rules written naively (for each
//! household the haversine distance to every site and a sort of all sites, then for each
//! site a scan of all its rooms for the best fit; a split collects and sorts the site's free
//! rooms anew): `baseline_seconds` (median), `speedup` the ratio of the medians. Both plans
//! are checked by `fangkong_allocation::validate` (`violations`, `baseline_violations`,
//! expected 0) and compared person by person (`same_plan`, expected true).
//!
//! ```text
//! cargo run --release -p fangkong-bench -- allocate --json
//! ```
//!
//! # `sim`
//!
//! Issue #12: the agent-based simulator (`fangkong-sim`) over the synthetic Zhumadian of
//! `--population N` (default 7 000 000) for `--days` (100) with the default scenario (or
//! `--scenario FILE`), 100 people infected on day 0 in the central county: `seconds`,
//! `agent_days_per_second`, `peak_rss_bytes`, `attack_rate`; building the population from
//! `fangkong-synth` is timed apart (`build_seconds`). In the same run, Covasim (pinned, in
//! its own virtual environment created on first use, like `aberration`'s Python reference)
//! on a 'hybrid' population of `--covasim-population` people (default 1 000 000; 0 skips
//! it) for the same days: `speedup_vs_covasim` compares agent-days per second. Issue #12
//! wants 7 million x 100 days in 60 s or less on two cores and at least 20 times Covasim.
//! `crates/fangkong-bench/reference/covasim-run.md` records a side-by-side run.
//!
//! ```text
//! cargo run --release -p fangkong-bench -- sim --json
//! ```
//!
//! What it must not do: talk to the network, or write outside its data directory (a
//! temporary one without `--data`). The one exception is `aberration`'s Python reference:
//! its first run installs pinned packages from PyPI into its own virtual environment
//! (`--python-venv`); `--python-series 0` runs without it. Timings are printed, never
//! asserted (tests check the shape of the output only).

mod aberration;
mod allocate;
mod dashboard;
mod exposure_match;
mod generate;
mod http;
mod immunization_import;
mod machine;
mod python_reference;
mod reference;
mod setup;
mod sim;
mod stats;
mod testing_round;
mod travel_import;

use clap::{Parser, Subcommand};

/// The allocator of the `fangkong` binary, so that the ingest paths are measured as they run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Benchmark scenarios of Fangkong's computations, on synthetic data deterministic by seed.
#[derive(Debug, Parser)]
#[command(name = "fangkong-bench", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Every aberration method over many daily series, the latest 30 days of each, against
    /// two references that recompute every judged day from scratch: numpy/statsmodels in
    /// Python (the headline `reference_seconds` and `speedup`, extrapolated per series from
    /// `--python-series` series) and a naive single-threaded Rust version.
    ///
    /// The Python reference runs in a virtual environment that the scenario creates on its
    /// first run with `python3 -m venv` and `pip install` of pinned numpy, scipy and
    /// statsmodels (needs PyPI once), then reuses. Without python3 or the packages the report
    /// says why (`python_reference: null`) and the headline is the Rust reference's.
    Aberration {
        /// Number of series (five years of daily counts each).
        #[arg(long, default_value_t = 10_000)]
        series: usize,
        /// Seed of the synthetic data.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Farrington parameters: the package defaults (as `Method::Farrington`) or Noufaily
        /// et al. 2013's settings (a fit over every day of five years).
        #[arg(long, value_enum, default_value_t = aberration::FarringtonConfig::Defaults)]
        farrington: aberration::FarringtonConfig,
        /// Time the Python reference on the first N series (all methods, all 30 days); speedups
        /// compare time per series. 0 skips it.
        #[arg(long, value_name = "N", default_value_t = 200)]
        python_series: usize,
        /// The interpreter that creates the Python reference's environment.
        #[arg(long, value_name = "PATH", default_value = "python3")]
        python: std::path::PathBuf,
        /// The Python reference's virtual environment [default:
        /// $XDG_CACHE_HOME/fangkong-bench/venv, else ~/.cache/fangkong-bench/venv].
        #[arg(long, value_name = "DIR")]
        python_venv: Option<std::path::PathBuf>,
        /// Time the naive Rust reference on the first N series only (all by default).
        #[arg(long, value_name = "N", alias = "reference-series")]
        rust_naive_series: Option<usize>,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// A city-wide testing round through the real ingest path (samples in 10-in-1 pools,
    /// results with about 0.01% positive pools, fan-out) against a raw SQLite baseline.
    ///
    /// Setup (loading the synthetic population and regenerating its documents) is a
    /// precondition: it is reported as `setup_seconds_excluded_from_total` and is not part of
    /// `total_seconds`, nor is the baseline.
    TestingRound {
        /// Residents of the synthetic city (all tested once).
        #[arg(long, default_value_t = 7_000_000)]
        population: u64,
        /// Seed of the synthetic city and of the results.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Keep the loaded population here and reuse it in later runs (each run copies it to
        /// a fresh store); a temporary directory when absent.
        #[arg(long, value_name = "DIR")]
        data: Option<std::path::PathBuf>,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// A traveller list (XLSX) through the real import path (parse, classify, register,
    /// store, assign measures) against raw SQLite inserts of the same rows.
    TravelImport {
        /// Rows of the list (about one in twenty repeats an earlier arrival).
        #[arg(long, default_value_t = 100_000)]
        rows: usize,
        /// Seed of the city and the list.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The real server on a loopback port under concurrent sessions (community workers
    /// looking up persons and uploading check-ins, laboratories uploading results,
    /// headquarters reading the dashboard) for a bounded time: throughput and p50/p99
    /// latency, against the same server answering `/healthz` in the same run.
    Http {
        /// Residents of the synthetic city.
        #[arg(long, default_value_t = 20_000)]
        population: u64,
        /// Seconds of mixed load.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Seconds of the `/healthz` baseline.
        #[arg(long, default_value_t = 5)]
        baseline_seconds: u64,
        /// Concurrent clients (each runs one session after another).
        #[arg(long, default_value_t = 32)]
        clients: usize,
        /// Seed of the city and the sessions.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Serve from PostgreSQL at this URL (an empty database) instead of a temporary
        /// SQLite store.
        #[arg(long)]
        database_url: Option<String>,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// A vaccination list (CSV or XLSX, one dose per row) through the real import path
    /// (parse, resolve documents, store doses, recompute statuses), then again as a no-op,
    /// against raw SQLite inserts of the same rows.
    ///
    /// Setup (loading the synthetic population) is not part of `seconds`, nor is the
    /// baseline.
    ImmunizationImport {
        /// Dose rows of the list.
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
        /// Residents of the synthetic city [default: 5 for every 9 rows, at least 2 000].
        #[arg(long)]
        population: Option<u64>,
        /// Seed of the city and the list.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Format of the list.
        #[arg(long, value_enum, default_value_t = immunization_import::Format::Csv)]
        format: immunization_import::Format,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Candidate close contacts of case itineraries from an in-memory index of venue
    /// check-ins, against the same queries in SQLite at equal size.
    ExposureMatch {
        /// Check-ins in the index.
        #[arg(long, default_value_t = 100_000_000)]
        checkins: usize,
        /// Persons checking in (uniformly).
        #[arg(long, default_value_t = 7_000_000)]
        people: u32,
        /// Venues (Zipf-Mandelbrot popularity).
        #[arg(long, default_value_t = 200_000)]
        venues: u32,
        /// Days the check-ins span.
        #[arg(long, default_value_t = 14)]
        days: u32,
        /// Case itineraries queried.
        #[arg(long, default_value_t = 1000)]
        queries: usize,
        /// Stays per itinerary.
        #[arg(long, default_value_t = 20)]
        intervals: usize,
        /// Seconds each stay is widened by on both sides.
        #[arg(long, default_value_t = 1800)]
        margin_secs: i64,
        /// Check-ins (the first generated) in the SQLite baseline and the equal-size index.
        #[arg(long, default_value_t = 10_000_000)]
        baseline_rows: usize,
        /// Seed of the check-ins and the itineraries.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The command dashboard's server time on the demo city of N residents with every
    /// capability's demo data, against its sections called one after another.
    Dashboard {
        /// Residents of the city.
        #[arg(long, default_value_t = 200_000)]
        population: u64,
        /// Seed of the city.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Timed calls (after one warming call).
        #[arg(long, default_value_t = 9)]
        repetitions: usize,
        /// Keep the seeded store in this directory and reuse it on the next run (setup then
        /// takes seconds); a temporary directory otherwise.
        #[arg(long)]
        store: Option<std::path::PathBuf>,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// A batch of people placed into the free rooms of quarantine sites, against a naive
    /// allocator of the same rules.
    Allocate {
        /// People to place (households of 1-5).
        #[arg(long, default_value_t = 10_000)]
        people: usize,
        /// Quarantine sites.
        #[arg(long, default_value_t = 200)]
        sites: usize,
        /// Free rooms of each site (1-3 beds, 10% accessible).
        #[arg(long, default_value_t = 100)]
        rooms_per_site: usize,
        /// Seed of the sites and people.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Timed runs of each allocator (the median is reported, and the best).
        #[arg(long, default_value_t = 10)]
        repetitions: usize,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The agent-based simulator over the synthetic city for some days, against Covasim on
    /// a population of the same kind (agent-days per second).
    ///
    /// Building the population from the synthetic city is timed apart (`build_seconds`).
    /// Covasim runs in a virtual environment that the scenario creates on its first run
    /// (`pip install` of pinned covasim; needs PyPI once); without it the report says why.
    Sim {
        /// Residents of the synthetic city.
        #[arg(long, default_value_t = 7_000_000)]
        population: u64,
        /// Simulated days.
        #[arg(long, default_value_t = 100)]
        days: u16,
        /// Seed of the city and the simulation.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// A scenario file (TOML, or JSON by its `.json` name) instead of the default.
        #[arg(long, value_name = "FILE")]
        scenario: Option<std::path::PathBuf>,
        /// People in Covasim's population; 0 skips Covasim.
        #[arg(long, value_name = "N", default_value_t = 1_000_000)]
        covasim_population: u64,
        /// The interpreter that creates Covasim's environment.
        #[arg(long, value_name = "PATH", default_value = "python3")]
        python: std::path::PathBuf,
        /// Covasim's virtual environment [default: next to the aberration reference's,
        /// `.../fangkong-bench/covasim-venv`].
        #[arg(long, value_name = "DIR")]
        covasim_venv: Option<std::path::PathBuf>,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> std::process::ExitCode {
    // `RUST_LOG` (e.g. `sqlx=warn` for statements over a second) logs to standard error
    // while a scenario runs, for profiling; nothing is logged without it.
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
    match run(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fangkong-bench: error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Aberration {
            series,
            seed,
            farrington,
            python_series,
            python,
            python_venv,
            rust_naive_series,
            json,
        } => {
            let report = aberration::run(&aberration::Options {
                series,
                seed,
                farrington,
                rust_naive_series,
                python_series,
                python,
                python_venv: python_venv.unwrap_or_else(python_reference::default_venv),
            })?;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                print!("{}", aberration::render(&report));
            }
        }
        Command::TestingRound {
            population,
            seed,
            data,
            json,
        } => {
            let report = testing_round::run(&testing_round::Options {
                population,
                seed,
                data,
            })?;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                print!("{}", testing_round::render(&report));
            }
        }
        Command::TravelImport { rows, seed, json } => {
            let report = travel_import::run(&travel_import::Options { rows, seed })?;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                print!("{}", travel_import::render(&report));
            }
        }
        Command::Http {
            population,
            seconds,
            baseline_seconds,
            clients,
            seed,
            database_url,
            json,
        } => {
            let report = http::run(&http::Options {
                population,
                seconds,
                baseline_seconds,
                clients,
                seed,
                database_url,
            })?;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                print!("{}", http::render(&report));
            }
        }
        Command::ImmunizationImport {
            rows,
            population,
            seed,
            format,
            json,
        } => {
            let report = immunization_import::run(&immunization_import::Options {
                rows,
                population,
                seed,
                format,
            })?;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                print!("{}", immunization_import::render(&report));
            }
        }
        Command::ExposureMatch {
            checkins,
            people,
            venues,
            days,
            queries,
            intervals,
            margin_secs,
            baseline_rows,
            seed,
            json,
        } => {
            let report = exposure_match::run(&exposure_match::Options {
                checkins,
                people,
                venues,
                days,
                queries,
                intervals,
                margin_secs,
                baseline_rows,
                seed,
            })?;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                print!("{}", exposure_match::render(&report));
            }
        }
        Command::Dashboard {
            population,
            seed,
            repetitions,
            store,
            json,
        } => {
            let report = dashboard::run(&dashboard::Options {
                population,
                seed,
                repetitions,
                store,
            })?;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                print!("{}", dashboard::render(&report));
            }
        }
        Command::Allocate {
            people,
            sites,
            rooms_per_site,
            seed,
            repetitions,
            json,
        } => {
            let report = allocate::run(&allocate::Options {
                people,
                sites,
                rooms_per_site,
                seed,
                repetitions,
            })?;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                print!("{}", allocate::render(&report));
            }
        }
        Command::Sim {
            population,
            days,
            seed,
            scenario,
            covasim_population,
            python,
            covasim_venv,
            json,
        } => {
            let report = sim::run(&sim::Options {
                population,
                days,
                seed,
                scenario,
                covasim_population,
                python,
                covasim_venv: covasim_venv.unwrap_or_else(sim::default_venv),
            })?;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                print!("{}", sim::render(&report));
            }
        }
    }
    Ok(())
}
