//! The `immunization-import` scenario: a vaccination list (接种记录, one dose per row) of N
//! rows through the real import path (parse, resolve documents, store doses, recompute each
//! person's status), then again as a no-op, against a raw SQLite baseline of the same rows
//! measured in the same run.
//!
//! What it must not do: touch a data directory other than its own temporary one, or talk to
//! the network.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use crate::machine::{load_averages as load_average, peak_rss_bytes, reset_peak_rss};
use crate::setup::{now, open};
use anyhow::Context as _;
use chrono::{NaiveDate, TimeDelta};
use fangkong_app::demo::{DemoConfig, NoProgress};
use fangkong_app::{Actor, App, FixedClock};
use fangkong_domain::immunization::VaccineProduct;
use fangkong_ingest::export::{write_workbook, ExportCell, Sheet};
use fangkong_store::MasterKey;
use fangkong_synth::CityConfig;
use rand::seq::SliceRandom as _;
use rand::{Rng as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

/// The city whose residents are vaccinated (Zhumadian).
const CITY_CODE: &str = "4117";
/// Residents loaded when `--population` is not given: 5 for every 9 rows, at least this
/// many (about 91% of them old enough, with 2.1 doses each on average).
const MIN_POPULATION: u64 = 2_000;
/// Persons born after this day were under 3 when vaccination opened to children and get no
/// dose.
const YOUNGEST_BIRTH: (i32, u32, u32) = (2018, 1, 1);
/// The source the import records (`file:` and the file name).
const FILE_STEM: &str = "vaccinations";
/// Products and their weights (the inactivated vaccines most of all).
const PRODUCTS: [(VaccineProduct, u32, &str); 8] = [
    (VaccineProduct::CoronaVac, 34, "KX"),
    (VaccineProduct::Bibp, 30, "BJ"),
    (VaccineProduct::Wibp, 10, "WH"),
    (VaccineProduct::Kconvac, 5, "MH"),
    (VaccineProduct::Imbcams, 2, "YS"),
    (VaccineProduct::Convidecia, 7, "KXN"),
    (VaccineProduct::ConvideciaAir, 2, "KXA"),
    (VaccineProduct::Zf2001, 10, "ZF"),
];
/// The counties of the city and the kinds of vaccination site in each.
const COUNTIES: [&str; 10] = [
    "驿城区",
    "西平县",
    "上蔡县",
    "平舆县",
    "正阳县",
    "确山县",
    "泌阳县",
    "汝南县",
    "遂平县",
    "新蔡县",
];
const SITE_KINDS: [&str; 6] = [
    "人民医院新冠疫苗接种点",
    "疾病预防控制中心接种门诊",
    "社区卫生服务中心接种点",
    "中医院接种点",
    "乡镇卫生院预防接种门诊",
    "体育馆临时接种点",
];

/// The file format of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Xlsx,
}

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    pub rows: usize,
    /// Residents of the city; 5 for every 9 rows (at least [`MIN_POPULATION`]) when absent.
    pub population: Option<u64>,
    pub seed: u64,
    pub format: Format,
}

/// The measured phases and their context.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub scenario: &'static str,
    pub rows: usize,
    pub format: Format,
    pub population: u64,
    /// Distinct persons in the list.
    pub vaccinated_persons: u64,
    pub seed: u64,
    pub cores: usize,
    pub file_bytes: usize,
    /// Excluded: loading the city into a fresh store and regenerating its documents.
    pub setup_seconds: f64,
    /// Excluded: writing the list in memory.
    pub generate_seconds: f64,
    /// The parser alone on the same bytes, timed before the import (the import parses
    /// again, so this is a part of `seconds`).
    pub parse_seconds: f64,
    /// `App::import_vaccinations` from the file's bytes, as `fangkong import vaccinations`
    /// and the API call it: parse, resolve documents, store doses, recompute statuses.
    pub seconds: f64,
    pub rows_per_second: f64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Persons whose status was written.
    pub persons: u64,
    /// The same file again: every row unchanged (asserted).
    pub rerun_seconds: f64,
    pub rerun_unchanged: u64,
    /// Rows in `vaccinations` after the import (asserted equal to `rows`).
    pub stored_vaccinations: u64,
    /// Rows in `immunization_status` after the import (asserted one per vaccinated person).
    pub stored_statuses: u64,
    /// One prepared rusqlite statement inserting the same rows (person ids known) into the
    /// empty `vaccinations` table of a copy of the store taken before the import, in one
    /// transaction, under the store's pragmas. No status rows.
    pub baseline_seconds: f64,
    pub baseline_rows_per_second: f64,
    /// `seconds / baseline_seconds`: how many times the baseline's time the import takes.
    pub ratio: f64,
    /// `VmHWM` during the import and the rerun (reset after setup where possible). It counts
    /// the pages of the database file the store has mapped.
    pub peak_rss_bytes: Option<u64>,
    /// `/proc/loadavg` (1, 5, 15 minutes) before the import and after the baseline.
    pub load_average_before: Option<[f64; 3]>,
    pub load_average: Option<[f64; 3]>,
}

/// One dose of the list.
struct Row {
    person_id: i64,
    document: [u8; 18],
    dose_number: u32,
    product: VaccineProduct,
    on: NaiveDate,
    lot: String,
    site: &'static str,
}

/// One resident who may be vaccinated.
struct Resident {
    id: i64,
    document: [u8; 18],
}

/// Runs the scenario.
///
/// # Errors
/// Any failure of the store, the app or the file system, or a check that does not hold.
pub fn run(options: &Options) -> anyhow::Result<Report> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(run_async(options))
}

async fn run_async(options: &Options) -> anyhow::Result<Report> {
    let population = options
        .population
        .unwrap_or_else(|| (options.rows as u64 * 5 / 9).max(MIN_POPULATION));
    let temp = tempfile::Builder::new()
        .prefix("fangkong-bench-")
        .tempdir()
        .context("creating a temporary directory")?;
    let dir = temp.path().join("store");
    let key = MasterKey::generate();
    let actor = Actor::system("bench");

    let started = Instant::now();
    let app = App::new(open(&dir, &key).await?, Arc::new(FixedClock::new(now())));
    app.load_demo_city(
        &DemoConfig {
            city_code: CITY_CODE.to_string(),
            population,
            seed: options.seed,
        },
        &NoProgress,
    )
    .await
    .context("loading the city")?;
    app.store().close().await;
    let residents = residents(population, options.seed)?;
    let setup_seconds = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let rows = generate(options, residents)?;
    let file_name = match options.format {
        Format::Csv => format!("{FILE_STEM}.csv"),
        Format::Xlsx => format!("{FILE_STEM}.xlsx"),
    };
    let bytes = match options.format {
        Format::Csv => csv(&rows),
        Format::Xlsx => xlsx(&rows)?,
    };
    let generate_seconds = started.elapsed().as_secs_f64();
    let vaccinated_persons = {
        let mut ids: Vec<i64> = rows.iter().map(|r| r.person_id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len() as u64
    };

    // The baseline runs on a copy taken now, before the import.
    let baseline_dir = temp.path().join("baseline");
    std::fs::create_dir_all(&baseline_dir)?;
    for name in ["fangkong.db", "fangkong.db-wal"] {
        let file = dir.join(name);
        if file.exists() {
            std::fs::copy(&file, baseline_dir.join(name))?;
        }
    }

    let load_average_before = load_average();
    let started = Instant::now();
    let (parsed, refused) =
        fangkong_ingest::immunization::parse_vaccinations_lenient(&file_name, &bytes)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .context("parsing the list")?;
    let parse_seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        parsed.len() == rows.len() && refused.is_empty(),
        "the parser read {} rows and refused {} of {}",
        parsed.len(),
        refused.len(),
        rows.len()
    );
    drop(parsed);

    let app = App::new(open(&dir, &key).await?, Arc::new(FixedClock::new(now())));
    let reset = reset_peak_rss();
    let started = Instant::now();
    let outcome = app
        .import_vaccinations(&actor, &file_name, &bytes)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("importing the list")?;
    let seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let again = app
        .import_vaccinations(&actor, &file_name, &bytes)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("importing the list again")?;
    let rerun_seconds = started.elapsed().as_secs_f64();
    let peak_rss_bytes = if reset { peak_rss_bytes() } else { None };
    app.store().close().await;
    anyhow::ensure!(
        outcome.inserted == rows.len() as u64 && outcome.persons == vaccinated_persons,
        "the import inserted {} doses for {} persons, expected {} for {vaccinated_persons}",
        outcome.inserted,
        outcome.persons,
        rows.len()
    );
    anyhow::ensure!(
        again.unchanged == rows.len() as u64
            && again.inserted + again.updated + again.removed + again.persons == 0,
        "the second import changed something: {again:?}"
    );

    let (stored_vaccinations, stored_statuses, stored_sum) = stored(&dir)?;
    anyhow::ensure!(
        stored_vaccinations == rows.len() as u64,
        "{stored_vaccinations} stored doses, expected {}",
        rows.len()
    );
    anyhow::ensure!(
        stored_statuses == vaccinated_persons,
        "{stored_statuses} statuses, expected {vaccinated_persons}"
    );

    let source = format!("file:{file_name}");
    let baseline_seconds = baseline(&baseline_dir, &rows, &source)?;
    let (_, _, baseline_sum) = stored(&baseline_dir)?;
    anyhow::ensure!(
        baseline_sum == stored_sum,
        "the baseline stored other persons' doses than the import"
    );
    Ok(Report {
        scenario: "immunization-import",
        rows: rows.len(),
        format: options.format,
        population,
        vaccinated_persons,
        seed: options.seed,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        file_bytes: bytes.len(),
        setup_seconds,
        generate_seconds,
        parse_seconds,
        seconds,
        rows_per_second: rows.len() as f64 / seconds.max(1e-9),
        inserted: outcome.inserted,
        updated: outcome.updated,
        unchanged: outcome.unchanged,
        persons: outcome.persons,
        rerun_seconds,
        rerun_unchanged: again.unchanged,
        stored_vaccinations,
        stored_statuses,
        baseline_seconds,
        baseline_rows_per_second: rows.len() as f64 / baseline_seconds.max(1e-9),
        ratio: seconds / baseline_seconds.max(1e-9),
        peak_rss_bytes,
        load_average_before,
        load_average: load_average(),
    })
}

/// Every resident old enough to be vaccinated, with their store id and document, regenerated
/// from the same seed as the store's.
fn residents(population: u64, seed: u64) -> anyhow::Result<Vec<Resident>> {
    let plan = fangkong_synth::plan(&CityConfig {
        city_code: CITY_CODE.to_string(),
        population,
        seed,
        reference_date: fangkong_app::clock::china_date(now()),
    })?;
    let youngest = NaiveDate::from_ymd_opt(YOUNGEST_BIRTH.0, YOUNGEST_BIRTH.1, YOUNGEST_BIRTH.2)
        .context("youngest birth date")?;
    let per_township: Vec<Vec<Resident>> = (0..plan.townships.len())
        .into_par_iter()
        .map(|i| {
            fangkong_synth::generate_township(&plan, i)
                .persons
                .into_iter()
                .filter(|p| p.national_id.birth_date() <= youngest)
                .map(|p| {
                    let mut document = [0u8; 18];
                    document.copy_from_slice(p.national_id.as_str().as_bytes());
                    Resident { id: p.id, document }
                })
                .collect()
        })
        .collect();
    Ok(per_township.into_iter().flatten().collect())
}

/// `--rows` doses: residents in a random order, each with one product and 1-3 doses
/// (12% one, 56% two, 32% three: 2.2 on average; a single-dose product has at most a
/// booster), the first between March and December 2021, the primary doses the product's
/// interval apart (plus up to two weeks), a booster 6-10 months after the last, none after
/// 2022; a lot of the product and month, a site in the person's county (one in five doses
/// elsewhere). The list is in the order of the day, as the provincial system exports it.
fn generate(options: &Options, mut residents: Vec<Resident>) -> anyhow::Result<Vec<Row>> {
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed ^ 0x1a_a0c1);
    residents.shuffle(&mut rng);
    let first_day = NaiveDate::from_ymd_opt(2021, 3, 1).context("first day")?;
    let last_day = NaiveDate::from_ymd_opt(2022, 12, 31).context("last day")?;
    let total_weight: u32 = PRODUCTS.iter().map(|p| p.1).sum();
    let sites: Vec<&'static str> = COUNTIES
        .iter()
        .flat_map(|c| {
            SITE_KINDS
                .iter()
                .map(move |k| &*Box::leak(format!("{c}{k}").into_boxed_str()))
        })
        .collect();
    let mut rows = Vec::with_capacity(options.rows);
    let mut people = residents.into_iter();
    while rows.len() < options.rows {
        let Some(person) = people.next() else {
            anyhow::bail!(
                "{} rows need more residents; give a larger --population",
                options.rows
            );
        };
        let mut pick = rng.gen_range(0..total_weight);
        let (product, _, lot_prefix) = PRODUCTS
            .iter()
            .find(|p| {
                if pick < p.1 {
                    true
                } else {
                    pick -= p.1;
                    false
                }
            })
            .copied()
            .unwrap_or(PRODUCTS[0]);
        let wanted = match rng.gen_range(0..100) {
            0..=11 => 1,
            12..=67 => 2,
            _ => 3,
        };
        let doses = wanted.min(product.primary_doses() + 1);
        let home = rng.gen_range(0..COUNTIES.len());
        let mut on = first_day + TimeDelta::days(rng.gen_range(0..306));
        for number in 1..=doses {
            if number > 1 {
                let gap = if number > product.primary_doses() {
                    rng.gen_range(180..=300)
                } else {
                    product.interval_days() + rng.gen_range(0..=14)
                };
                on = (on + TimeDelta::days(gap)).min(last_day);
            }
            let county = if rng.gen_bool(0.8) {
                home
            } else {
                rng.gen_range(0..COUNTIES.len())
            };
            rows.push(Row {
                person_id: person.id,
                document: person.document,
                dose_number: number,
                product,
                on,
                lot: format!(
                    "{lot_prefix}{}{:03}",
                    on.format("%Y%m"),
                    rng.gen_range(1..60)
                ),
                site: sites[county * SITE_KINDS.len() + rng.gen_range(0..SITE_KINDS.len())],
            });
            if rows.len() == options.rows {
                break;
            }
        }
    }
    rows.sort_by_key(|r| r.on);
    Ok(rows)
}

const HEADER: [&str; 6] = [
    "id_number",
    "dose_number",
    "product",
    "vaccinated_on",
    "lot",
    "site",
];

fn csv(rows: &[Row]) -> Vec<u8> {
    let mut out = String::with_capacity(rows.len() * 100);
    out.push_str(&HEADER.join(","));
    out.push('\n');
    for r in rows {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{}",
            std::str::from_utf8(&r.document).unwrap_or(""),
            r.dose_number,
            r.product.as_str(),
            r.on,
            r.lot,
            r.site
        );
    }
    out.into_bytes()
}

fn xlsx(rows: &[Row]) -> anyhow::Result<Vec<u8>> {
    let sheet = Sheet {
        name: "接种记录".to_string(),
        header: HEADER.iter().map(|h| (*h).to_string()).collect(),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    ExportCell::Text(String::from_utf8_lossy(&r.document).into_owned()),
                    ExportCell::Number(f64::from(r.dose_number)),
                    ExportCell::Text(r.product.as_str().to_string()),
                    ExportCell::Text(r.on.to_string()),
                    ExportCell::Text(r.lot.clone()),
                    ExportCell::Text(r.site.to_string()),
                ]
            })
            .collect(),
    };
    write_workbook(&[sheet]).context("writing the XLSX")
}

/// Rows of `vaccinations`, of `immunization_status`, and the sum of the doses' person ids.
fn stored(dir: &Path) -> anyhow::Result<(u64, u64, i64)> {
    let db = rusqlite::Connection::open(dir.join("fangkong.db"))?;
    let (doses, sum): (i64, i64) = db.query_row(
        "SELECT COUNT(*), COALESCE(SUM(person_id), 0) FROM vaccinations",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let statuses: i64 =
        db.query_row("SELECT COUNT(*) FROM immunization_status", [], |r| r.get(0))?;
    Ok((
        u64::try_from(doses).unwrap_or(0),
        u64::try_from(statuses).unwrap_or(0),
        sum,
    ))
}

/// The same rows inserted raw into the copy's empty `vaccinations` table: one prepared
/// statement, one transaction, under the store's pragmas (fangkong-store backend.rs).
fn baseline(dir: &Path, rows: &[Row], source: &str) -> anyhow::Result<f64> {
    let mut db = rusqlite::Connection::open(dir.join("fangkong.db"))?;
    db.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
         PRAGMA cache_size = -65536; PRAGMA temp_store = memory; \
         PRAGMA mmap_size = 17179869184;",
    )?;
    let now_ms = now().timestamp_millis();
    let started = Instant::now();
    let tx = db.transaction()?;
    {
        let mut insert = tx.prepare(
            "INSERT INTO vaccinations (person_id, dose_number, product, vaccinated_on, lot, \
             site, source, fhir_id, recorded_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8, ?8)",
        )?;
        for r in rows {
            insert.execute(rusqlite::params![
                r.person_id,
                r.dose_number,
                r.product.as_str(),
                r.on.to_string(),
                r.lot,
                r.site,
                source,
                now_ms
            ])?;
        }
    }
    tx.commit()?;
    Ok(started.elapsed().as_secs_f64())
}

/// The report as a table.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "immunization-import: {} doses of {} persons ({} bytes of {:?}), {} residents",
        r.rows, r.vaccinated_persons, r.file_bytes, r.format, r.population
    );
    let _ = writeln!(
        out,
        "  setup               {:>8.2} s, generate {:.2} s (not timed in the import)",
        r.setup_seconds, r.generate_seconds
    );
    let _ = writeln!(
        out,
        "  import              {:>8.2} s ({:.0} rows/s)",
        r.seconds, r.rows_per_second
    );
    let _ = writeln!(out, "    parse alone       {:>8.2} s", r.parse_seconds);
    let _ = writeln!(
        out,
        "  rerun (no-op)       {:>8.2} s ({} unchanged)",
        r.rerun_seconds, r.rerun_unchanged
    );
    let _ = writeln!(
        out,
        "  baseline (raw SQL)  {:>8.2} s ({:.0} rows/s), ratio {:.2}",
        r.baseline_seconds, r.baseline_rows_per_second, r.ratio
    );
    let _ = writeln!(
        out,
        "  stored {} doses, {} statuses; peak RSS {} MB",
        r.stored_vaccinations,
        r.stored_statuses,
        r.peak_rss_bytes.map_or(0, |b| b / 1_000_000)
    );
    out
}
