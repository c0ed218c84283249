//! The `testing-round` scenario: a city-wide round of nucleic-acid testing through the real
//! ingest path, against a raw SQLite baseline measured in the same run.
//!
//! What it must not do: touch a data directory other than the one it is given (or its own
//! temporary one), or talk to the network.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use crate::machine::{peak_rss_bytes, reset_peak_rss, status_bytes};
use anyhow::Context as _;
use chrono::{NaiveDate, TimeDelta, TimeZone as _, Utc};
use fangkong_app::demo::{DemoConfig, NoProgress};
use fangkong_app::testing::coverage::CoverageLevel;
use fangkong_app::testing::schedules::{Frequency, KeyGroupInput};
use fangkong_app::{Actor, App, FixedClock};
use fangkong_store::{ConnectOptions, MasterKey, Store};
use fangkong_synth::{CityConfig, Occupation};
use rand::seq::index::sample;
use rand::SeedableRng as _;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

/// Persons pooled into one tube.
pub const POOL_SIZE: usize = 10;
/// Share of tubes that test positive.
const POSITIVE_SHARE: f64 = 0.0001;
/// Share of tubes that test inconclusive.
const INCONCLUSIVE_SHARE: f64 = 0.00002;
/// Rows per transaction of the raw baseline.
const BASELINE_TRANSACTION_ROWS: usize = 100_000;
/// The city (Zhumadian) and the round's day (China Standard Time).
const CITY_CODE: &str = "4117";
const ROUND_CODE: &str = "R20261201";
const KEY_GROUP: &str = "key-workers";
/// Overdue members listed (all are counted).
const OVERDUE_LIMIT: usize = 1_000;
const ROUND_DAY: (i32, u32, u32) = (2026, 12, 1);

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    pub population: u64,
    pub seed: u64,
    /// Where the population database is kept between runs; a temporary directory if absent.
    pub data: Option<PathBuf>,
}

/// Seconds of each phase.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Phases {
    /// Precondition, excluded from `total_seconds`: the synthetic city loaded (or a kept
    /// copy reused) into a fresh store, and the list of its persons' documents regenerated.
    pub setup: f64,
    /// Part of `setup`: loading (or copying a kept) population database.
    pub setup_population_load: f64,
    /// Part of `setup`: regenerating every person's document with `fangkong-synth`.
    pub setup_population_list: f64,
    /// The sample and result files written in memory (CSV).
    pub generate: f64,
    /// `App::ingest_samples` from the file's bytes.
    pub ingest_samples: f64,
    /// `App::ingest_results` from the file's bytes, fan-out included.
    pub ingest_results: f64,
    /// Excluded from `total_seconds`: the baseline's parent rows (the tubes), which the
    /// sample rows' foreign keys need, inserted into a copy of the population store.
    pub baseline_parents: f64,
    /// The baseline's sample inserts, into that copy of the population store.
    pub baseline: f64,
    /// Excluded from `total_seconds`: the bare baseline's parent rows (a person row of
    /// nothing but its id for each person, and the tubes) in a fresh database.
    pub bare_baseline_parents: f64,
    /// The bare baseline's sample inserts.
    pub bare_baseline: f64,
    /// `App::round_coverage` of the round by community.
    pub coverage: f64,
    /// `App::group_schedule` of the key population three days after the round (compliance
    /// by community and the overdue list).
    pub overdue: f64,
}

/// The scenario's report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub scenario: &'static str,
    pub population: u64,
    pub seed: u64,
    pub cores: usize,
    /// The round: generate + ingest_samples + ingest_results + coverage + overdue. Setup and
    /// the baseline are not part of it.
    pub total_seconds: f64,
    /// The precondition (population), excluded from `total_seconds`.
    pub setup_seconds_excluded_from_total: f64,
    pub phases: Phases,
    pub sample_rows: u64,
    pub tubes: u64,
    pub result_rows: u64,
    pub positive_pools: u64,
    pub inconclusive_pools: u64,
    pub samples_stored: u64,
    pub samples_refused: u64,
    pub tubes_created: u64,
    pub results_stored: u64,
    pub results_refused: u64,
    pub retest_tasks_created: u64,
    pub suspected_cases_created: u64,
    pub fan_out_ms: u64,
    pub coverage_target: i64,
    pub coverage_sampled: i64,
    pub coverage_areas: u64,
    pub key_group_members: u64,
    pub overdue_total: u64,
    pub overdue_listed: u64,
    /// Sample rows over `ingest_samples` seconds.
    pub ingest_rows_per_second: f64,
    /// Result rows over `ingest_results` seconds.
    pub result_rows_per_second: f64,
    /// Sample rows over `baseline` seconds.
    pub baseline_rows_per_second: f64,
    /// `ingest_rows_per_second / baseline_rows_per_second`.
    pub ratio_to_baseline: f64,
    /// Sample rows over `bare_baseline` seconds.
    pub bare_baseline_rows_per_second: f64,
    /// `ingest_rows_per_second / bare_baseline_rows_per_second`.
    pub ratio_to_bare_baseline: f64,
    /// Peak resident set size during the round (`VmHWM`, reset after setup), or of the whole
    /// process where the reset is not possible. It counts the pages of the database file
    /// the store has mapped (`mmap_size`), which are the operating system's page cache.
    pub peak_rss_bytes: Option<u64>,
    /// Peak of the process's own memory during the round (`RssAnon`, sampled every 50 ms):
    /// the resident set without mapped files.
    pub peak_anon_rss_bytes: Option<u64>,
    /// Peak resident set size of the setup.
    pub setup_peak_rss_bytes: Option<u64>,
    pub sample_file_bytes: u64,
    pub result_file_bytes: u64,
    pub targets: Targets,
}

/// Issue #4's targets and whether this run met them.
#[derive(Debug, Clone, Serialize)]
pub struct Targets {
    pub total_seconds_max: f64,
    pub ratio_to_baseline_min: f64,
    pub total_met: bool,
    pub ratio_met: bool,
}

/// One person, as the sampling sites would write them down.
struct Resident {
    id: u32,
    document: [u8; 18],
}

/// The residents of one community, in id order.
struct Community {
    code: String,
    residents: Vec<Resident>,
}

/// The files of the round.
struct RoundFiles {
    samples: Vec<u8>,
    results: Vec<u8>,
    sample_rows: u64,
    tubes: u64,
    positive: u64,
    inconclusive: u64,
    /// For the baseline, each sample row.
    rows: Vec<SampleIds>,
    /// For the baseline, each tube by number.
    tubes_list: Vec<TubeFields>,
}

/// `(tube number from 1, person id, collected_at ms)`.
type SampleIds = (u32, u32, i64);
/// `(tube code, site code, pool size, collected_at ms)`.
type TubeFields = (String, String, u8, i64);

/// Runs the scenario.
///
/// # Errors
/// When the store cannot be set up or an ingest fails.
pub fn run(options: &Options) -> anyhow::Result<Report> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(run_async(options))
}

async fn run_async(options: &Options) -> anyhow::Result<Report> {
    let temp = tempfile::Builder::new()
        .prefix("fangkong-bench-")
        .tempdir()
        .context("creating a temporary directory")?;
    let base = options
        .data
        .clone()
        .unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&base).with_context(|| format!("creating {}", base.display()))?;
    let clock = Arc::new(FixedClock::new(round_start()));
    let actor = Actor::system("bench");

    // Setup: the population in a fresh store.
    let setup_started = Instant::now();
    let round_dir = base.join("round");
    let key = population_store(options, &base, &round_dir, clock.clone()).await?;
    let store = open(&round_dir, &key).await?;
    let app = App::new(store, clock.clone());
    let setup_population_load = setup_started.elapsed().as_secs_f64();
    let list_started = Instant::now();
    let communities = population_list(
        options.population,
        options.seed,
        fangkong_app::clock::china_date(round_start()),
    )?;
    let setup_population_list = list_started.elapsed().as_secs_f64();
    let start = chrono::NaiveDate::from_ymd_opt(ROUND_DAY.0, ROUND_DAY.1, ROUND_DAY.2)
        .context("round day")?;
    app.create_round(
        &actor,
        ROUND_CODE,
        "city-wide round",
        CITY_CODE,
        (start, start),
        None,
    )
    .await
    .context("creating the round")?;
    // The key population whose schedule the `overdue` phase reads.
    app.create_key_group(
        &actor,
        &KeyGroupInput {
            code: KEY_GROUP.to_string(),
            name: "medical, cold chain, delivery".to_string(),
            jurisdiction_code: CITY_CODE.to_string(),
            frequency: Frequency::EveryTwoDays,
            occupations: KEY_OCCUPATIONS
                .iter()
                .map(|o| o.as_str().to_string())
                .collect(),
        },
    )
    .await
    .context("creating the key group")?;
    let setup = setup_started.elapsed().as_secs_f64();
    let setup_peak_rss_bytes = peak_rss_bytes();
    let reset = reset_peak_rss();
    let anon = AnonPeak::start();

    // The round.
    let generate_started = Instant::now();
    let files = generate(&communities, options.seed);
    drop(communities);
    let generate = generate_started.elapsed().as_secs_f64();

    let started = Instant::now();
    let samples = app
        .ingest_samples(&actor, "samples.csv", &files.samples)
        .await
        .context("ingesting samples")?;
    let ingest_samples = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let results = app
        .ingest_results(&actor, "results.csv", &files.results)
        .await
        .context("ingesting results")?;
    let ingest_results = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let coverage_report = app
        .round_coverage(&actor, ROUND_CODE, CoverageLevel::Community)
        .await
        .context("round coverage")?;
    let coverage = started.elapsed().as_secs_f64();

    // Two days after the round, the key population is due again: everyone overdue.
    let started = Instant::now();
    let schedule = app
        .group_schedule(
            &actor,
            KEY_GROUP,
            None,
            start + TimeDelta::days(3),
            OVERDUE_LIMIT,
        )
        .await
        .context("key group schedule")?;
    let overdue = started.elapsed().as_secs_f64();
    let total_seconds = generate + ingest_samples + ingest_results + coverage + overdue;
    let peak = peak_rss_bytes();
    let peak_anon_rss_bytes = anon.finish();
    app.store().close().await;

    let _ = std::fs::remove_dir_all(&round_dir);

    // The baseline, in a copy of the population store; the bare one in a fresh database.
    let baseline_dir = base.join("baseline");
    copy_store(&population_dir(options, &base), &baseline_dir)?;
    let (baseline_parents, baseline) =
        self::baseline(&baseline_dir, &files, Parents::Tubes).context("baseline")?;
    let _ = std::fs::remove_dir_all(&baseline_dir);
    open(&baseline_dir, &key).await?.close().await;
    let (bare_baseline_parents, bare_baseline) =
        self::baseline(&baseline_dir, &files, Parents::BarePersonsAndTubes)
            .context("bare baseline")?;
    let _ = std::fs::remove_dir_all(&baseline_dir);

    let rows = files.sample_rows as f64;
    let ingest_rows_per_second = rows / ingest_samples.max(1e-9);
    let baseline_rows_per_second = rows / baseline.max(1e-9);
    let ratio_to_baseline = ingest_rows_per_second / baseline_rows_per_second;
    let bare_baseline_rows_per_second = rows / bare_baseline.max(1e-9);
    Ok(Report {
        scenario: "testing-round",
        population: options.population,
        seed: options.seed,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        total_seconds,
        setup_seconds_excluded_from_total: setup,
        phases: Phases {
            setup,
            setup_population_load,
            setup_population_list,
            generate,
            ingest_samples,
            ingest_results,
            baseline_parents,
            baseline,
            bare_baseline_parents,
            bare_baseline,
            coverage,
            overdue,
        },
        coverage_target: coverage_report.target,
        coverage_sampled: coverage_report.sampled,
        coverage_areas: coverage_report.areas.len() as u64,
        key_group_members: schedule.communities.iter().map(|c| c.members).sum(),
        overdue_total: schedule.overdue_total,
        overdue_listed: schedule.overdue.len() as u64,
        sample_rows: files.sample_rows,
        tubes: files.tubes,
        result_rows: files.tubes,
        positive_pools: files.positive,
        inconclusive_pools: files.inconclusive,
        samples_stored: samples.stored,
        samples_refused: samples.refused.len() as u64,
        tubes_created: samples.tubes_created,
        results_stored: results.stored,
        results_refused: results.refused.len() as u64,
        retest_tasks_created: results.retest_tasks_created,
        suspected_cases_created: results.suspected_cases_created,
        fan_out_ms: results.fan_out_ms,
        ingest_rows_per_second,
        result_rows_per_second: files.tubes as f64 / ingest_results.max(1e-9),
        baseline_rows_per_second,
        ratio_to_baseline,
        bare_baseline_rows_per_second,
        ratio_to_bare_baseline: ingest_rows_per_second / bare_baseline_rows_per_second,
        peak_rss_bytes: if reset {
            peak
        } else {
            peak.or(setup_peak_rss_bytes)
        },
        peak_anon_rss_bytes,
        setup_peak_rss_bytes,
        sample_file_bytes: files.samples.len() as u64,
        result_file_bytes: files.results.len() as u64,
        targets: Targets {
            total_seconds_max: 60.0,
            ratio_to_baseline_min: 0.5,
            total_met: total_seconds <= 60.0,
            ratio_met: ratio_to_baseline >= 0.5,
        },
    })
}

/// 07:00 China Standard Time on the round's day.
#[allow(clippy::expect_used)]
fn round_start() -> chrono::DateTime<Utc> {
    let (y, m, d) = ROUND_DAY;
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0)
        .single()
        .expect("a valid date")
        - TimeDelta::hours(1)
}

async fn open(dir: &Path, key: &MasterKey) -> anyhow::Result<Store> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    Store::open(
        &ConnectOptions::Sqlite {
            path: dir.join("fangkong.db"),
        },
        key,
    )
    .await
    .with_context(|| format!("opening the store in {}", dir.display()))
}

/// Puts a store holding the population in `round_dir` and returns its key. With `--data`,
/// the population is loaded once into a directory of its own and copied for each run.
async fn population_store(
    options: &Options,
    base: &Path,
    round_dir: &Path,
    clock: Arc<FixedClock>,
) -> anyhow::Result<MasterKey> {
    let config = DemoConfig {
        city_code: CITY_CODE.to_string(),
        population: options.population,
        seed: options.seed,
    };
    // Loaded once into a directory of its own (kept between runs with `--data`), and
    // copied for the round and for the baseline.
    let load_dir = population_dir(options, base);
    std::fs::create_dir_all(&load_dir)
        .with_context(|| format!("creating {}", load_dir.display()))?;
    let key_path = load_dir.join("master.key");
    let key = MasterKey::load_or_create(&key_path)
        .with_context(|| format!("reading key file {}", key_path.display()))?;
    let store = open(&load_dir, &key).await?;
    let app = App::new(store, clock);
    app.load_demo_city(&config, &NoProgress)
        .await
        .context("loading the population")?;
    app.store().close().await;
    copy_store(&load_dir, round_dir)?;
    Ok(key)
}

/// Where the population store is loaded.
fn population_dir(options: &Options, base: &Path) -> PathBuf {
    base.join(format!(
        "population-{CITY_CODE}-{}-{}",
        options.population, options.seed
    ))
}

/// Replaces the store in `to` by a copy of the one in `from`.
fn copy_store(from: &Path, to: &Path) -> anyhow::Result<()> {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    for name in ["fangkong.db", "fangkong.db-wal", "master.key"] {
        let file = from.join(name);
        if file.exists() {
            std::fs::copy(&file, to.join(name))
                .with_context(|| format!("copying {}", file.display()))?;
        }
    }
    Ok(())
}

/// Every resident's document, by community, regenerated from the same seed as the store's.
fn population_list(
    population: u64,
    seed: u64,
    reference_date: NaiveDate,
) -> anyhow::Result<Vec<Community>> {
    let plan = fangkong_synth::plan(&CityConfig {
        city_code: CITY_CODE.to_string(),
        population,
        seed,
        reference_date,
    })?;
    let per_township: Vec<Vec<Community>> = (0..plan.townships.len())
        .into_par_iter()
        .map(|i| {
            let chunk = fangkong_synth::generate_township(&plan, i);
            let mut by_code: std::collections::BTreeMap<String, Vec<Resident>> =
                std::collections::BTreeMap::new();
            for p in chunk.persons {
                let mut document = [0u8; 18];
                document.copy_from_slice(p.national_id.as_str().as_bytes());
                by_code.entry(p.community_code).or_default().push(Resident {
                    id: u32::try_from(p.id).unwrap_or(u32::MAX),
                    document,
                });
            }
            by_code
                .into_iter()
                .map(|(code, residents)| Community { code, residents })
                .collect()
        })
        .collect();
    Ok(per_township.into_iter().flatten().collect())
}

/// Occupations of the key population (tested on a schedule).
const KEY_OCCUPATIONS: [Occupation; 3] = [
    Occupation::Medical,
    Occupation::ColdChain,
    Occupation::Delivery,
];

/// Writes the sample file (everyone, 10-in-1 tubes of one community) and the result file
/// (one result per tube).
fn generate(communities: &[Community], seed: u64) -> RoundFiles {
    // Tube numbers by community, so the files can be written in parallel.
    let mut first_tube = Vec::with_capacity(communities.len());
    let mut tubes = 0usize;
    for c in communities {
        first_tube.push(tubes);
        tubes += c.residents.len().div_ceil(POOL_SIZE);
    }
    let n_positive = ((tubes as f64 * POSITIVE_SHARE).round() as usize).clamp(1, tubes.max(1));
    let n_inconclusive =
        ((tubes as f64 * INCONCLUSIVE_SHARE).round() as usize).clamp(1, tubes.max(1));
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7e57_1e55);
    let mut outcome = vec![0u8; tubes];
    if tubes > 0 {
        let picked = sample(&mut rng, tubes, (n_positive + n_inconclusive).min(tubes));
        for (k, t) in picked.into_iter().enumerate() {
            outcome[t] = if k < n_positive { 1 } else { 2 };
        }
    }
    let start = round_start() + TimeDelta::hours(1);
    let start_ms = start.timestamp_millis();
    // Collection runs 07:00 to 19:00; a tube's members are swabbed within a few minutes.
    let minutes_per_tube = (12.0 * 60.0 / tubes.max(1) as f64).max(0.0);
    let collected_ms = |tube: usize| start_ms + (tube as f64 * minutes_per_tube * 60_000.0) as i64;
    // Whole seconds, China Standard Time, written by `NaiveDateTime`'s `Display`
    // (`YYYY-MM-DD HH:MM:SS`; a format string would be parsed again for every call).
    let cst = |ms: i64| {
        let at = Utc
            .timestamp_opt(ms.div_euclid(1000), 0)
            .single()
            .unwrap_or(start)
            + TimeDelta::hours(8);
        at.naive_utc().to_string()
    };
    let parts: Vec<(String, String, Vec<SampleIds>, Vec<TubeFields>)> = communities
        .par_iter()
        .zip(first_tube.par_iter())
        .map(|(c, &first)| {
            let mut samples = String::with_capacity(c.residents.len() * 80);
            let mut results = String::with_capacity(c.residents.len() * 10);
            let mut rows = Vec::with_capacity(c.residents.len());
            let mut tubes_list = Vec::new();
            let site = format!("S{}", c.code);
            for (k, pool) in c.residents.chunks(POOL_SIZE).enumerate() {
                let tube = first + k;
                let code = tube_code(tube);
                let at = collected_ms(tube);
                let at_text = cst(at);
                for r in pool {
                    let doc = std::str::from_utf8(&r.document).unwrap_or("");
                    let _ = writeln!(
                        samples,
                        "{code},{doc},{site},{at_text},{},{ROUND_CODE}",
                        pool.len()
                    );
                    rows.push(((tube + 1) as u32, r.id, at));
                }
                tubes_list.push((code.clone(), site.clone(), pool.len() as u8, at));
                let tested = at + 4 * 3_600_000;
                let (result, ct) = match outcome[tube] {
                    1 => ("positive", "28.5,29.1"),
                    2 => ("inconclusive", "38.2,"),
                    _ => ("negative", ","),
                };
                let _ = writeln!(
                    results,
                    "{code},{result},{ct},LAB{:02},{},{}",
                    tube % 8 + 1,
                    cst(tested),
                    cst(tested + 3_600_000)
                );
            }
            (samples, results, rows, tubes_list)
        })
        .collect();
    let mut out = RoundFiles {
        samples: b"tube_id,id_number,site_code,collected_at,pool_size,round_code\n".to_vec(),
        results: b"tube_id,result,ct_orf1ab,ct_n,lab_code,tested_at,reported_at\n".to_vec(),
        sample_rows: 0,
        tubes: tubes as u64,
        positive: n_positive.min(tubes) as u64,
        inconclusive: (n_inconclusive.min(tubes - n_positive.min(tubes))) as u64,
        rows: Vec::new(),
        tubes_list: Vec::with_capacity(tubes),
    };
    let total: usize = parts.iter().map(|p| p.0.len()).sum();
    out.samples.reserve(total);
    out.rows.reserve(parts.iter().map(|p| p.2.len()).sum());
    for (samples, results, rows, tubes_list) in parts {
        out.samples.extend_from_slice(samples.as_bytes());
        out.results.extend_from_slice(results.as_bytes());
        out.rows.extend(rows);
        out.tubes_list.extend(tubes_list);
    }
    out.sample_rows = out.rows.len() as u64;
    out
}

fn tube_code(tube: usize) -> String {
    format!("T{:09}", tube + 1)
}

/// The parent rows a baseline inserts before its samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Parents {
    /// The tubes, into a copy of the population store (its persons are the real ones).
    Tubes,
    /// A person row of nothing but its id for each person, then the tubes, into a fresh
    /// database with the store's schema.
    BarePersonsAndTubes,
}

/// The raw baseline: the database in `dir` (a copy of the population store, or a fresh one
/// with the store's schema) with the store's pragmas; its parent rows, then the same sample
/// rows with one prepared statement in transactions of [`BASELINE_TRANSACTION_ROWS`].
/// Returns the seconds of the parents and of the samples.
fn baseline(dir: &Path, files: &RoundFiles, parents: Parents) -> anyhow::Result<(f64, f64)> {
    let path = dir.join("fangkong.db");
    let rows = &files.rows;
    let tubes = &files.tubes_list;
    tokio::task::block_in_place(move || -> anyhow::Result<(f64, f64)> {
        let mut db = rusqlite::Connection::open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        // The store's pragmas (fangkong-store backend.rs).
        db.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
             PRAGMA cache_size = -65536; PRAGMA temp_store = memory; \
             PRAGMA mmap_size = 17179869184;",
        )?;
        let started = Instant::now();
        if parents == Parents::BarePersonsAndTubes {
            // The parents need only their primary keys for the samples' foreign keys; the
            // person indexes would only slow their insert.
            for index in [
                "persons_doc_blind",
                "persons_community",
                "persons_name",
                "persons_phone",
                "persons_household",
                "persons_merged",
                "persons_active",
            ] {
                db.execute(&format!("DROP INDEX IF EXISTS {index}"), [])?;
            }
            db.execute(
                "INSERT INTO jurisdictions (code, name, level, updated_at) \
                 VALUES ('410000000000', 'p', 'province', 0)",
                [],
            )?;
            let max_person = rows.iter().map(|r| r.1).max().unwrap_or(0);
            let persons: Vec<u32> = (1..=max_person).collect();
            in_transactions(&mut db, &persons, |tx, chunk| {
                let mut st = tx.prepare_cached(
                    "INSERT INTO persons (id, doc_kind, doc_blind, doc_cipher, doc_masked, nationality, \
                     name, sex, birth_date, community_code, created_at, updated_at) \
                     VALUES (?, 'mainland_id', ?, x'', '', 'CHN', '', 'male', '2000-01-01', '410000000000', 0, 0)",
                )?;
                for id in chunk {
                    st.execute(rusqlite::params![id, id.to_le_bytes().as_slice()])?;
                }
                Ok(())
            })?;
        }
        in_transactions(&mut db, tubes, |tx, chunk| {
            let mut st = tx.prepare_cached(
                "INSERT INTO tubes (code, site_code, pool_size, collected_at) VALUES (?, ?, ?, ?)",
            )?;
            for (code, site, size, at) in chunk {
                st.execute(rusqlite::params![code, site, size, at])?;
            }
            Ok(())
        })?;
        let parents = started.elapsed().as_secs_f64();
        let started = Instant::now();
        in_transactions(&mut db, rows, |tx, chunk| {
            let mut st = tx.prepare_cached(
                "INSERT INTO samples (tube_id, person_id, collected_at) VALUES (?, ?, ?)",
            )?;
            for (tube, person, at) in chunk {
                st.execute(rusqlite::params![tube, person, at])?;
            }
            Ok(())
        })?;
        let samples = started.elapsed().as_secs_f64();
        Ok((parents, samples))
    })
}

fn in_transactions<T>(
    db: &mut rusqlite::Connection,
    rows: &[T],
    mut insert: impl FnMut(&rusqlite::Transaction<'_>, &[T]) -> rusqlite::Result<()>,
) -> anyhow::Result<()> {
    for chunk in rows.chunks(BASELINE_TRANSACTION_ROWS) {
        let tx = db.transaction()?;
        insert(&tx, chunk)?;
        tx.commit()?;
    }
    Ok(())
}

/// Samples `RssAnon` every 50 ms until dropped, keeping the largest value.
struct AnonPeak {
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<Option<u64>>>,
}

impl AnonPeak {
    fn start() -> AnonPeak {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut peak: Option<u64> = None;
            loop {
                if let Some(now) = status_bytes("RssAnon:") {
                    peak = Some(peak.map_or(now, |p| p.max(now)));
                }
                if flag.load(std::sync::atomic::Ordering::Relaxed) {
                    return peak;
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        });
        AnonPeak {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops sampling and returns the peak.
    fn finish(mut self) -> Option<u64> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.take().and_then(|t| t.join().ok().flatten())
    }
}

/// The report as a short table.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "testing round: {} persons, {} tubes, {} positive and {} inconclusive pools",
        r.population, r.tubes, r.positive_pools, r.inconclusive_pools
    );
    let p = &r.phases;
    let _ = writeln!(
        out,
        "setup (excluded) {:.1}s | generate {:.1}s | samples {:.1}s | results {:.1}s | total {:.1}s",
        p.setup, p.generate, p.ingest_samples, p.ingest_results, r.total_seconds
    );
    let _ = writeln!(
        out,
        "ingest {:.0} rows/s, baseline {:.0} rows/s, ratio {:.2}; results {:.0} rows/s",
        r.ingest_rows_per_second,
        r.baseline_rows_per_second,
        r.ratio_to_baseline,
        r.result_rows_per_second
    );
    let _ = writeln!(
        out,
        "{} retest tasks, {} suspected cases, fan-out {} ms",
        r.retest_tasks_created, r.suspected_cases_created, r.fan_out_ms
    );
    if r.samples_refused + r.results_refused > 0 {
        let _ = writeln!(
            out,
            "refused: {} samples, {} results",
            r.samples_refused, r.results_refused
        );
    }
    out
}
