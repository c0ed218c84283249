//! The `travel-import` scenario: a traveller list (来驻返驻人员名单, XLSX) of N rows through the
//! real import path (parse, classify, register, store, assign measures), against a raw
//! SQLite baseline of the same rows measured in the same run.
//!
//! What it must not do: touch a data directory other than its own temporary one, or talk to
//! the network.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use crate::setup::{now, open};
use anyhow::Context as _;
use chrono::{NaiveDate, TimeDelta};
use fangkong_app::demo::{DemoConfig, NoProgress};
use fangkong_app::inbound::{Designation, DEFAULT_POLICY, DEFAULT_POLICY_FILE};
use fangkong_app::{Actor, App, FixedClock};
use fangkong_domain::policy::AreaRisk;
use fangkong_domain::NationalId;
use fangkong_ingest::export::{write_workbook, ExportCell, Sheet};
use fangkong_store::MasterKey;
use rand::{Rng as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// The city whose communities receive the travellers.
const CITY_CODE: &str = "4117";
/// Residents loaded with the city (the travellers are new persons).
const RESIDENTS: u64 = 2_000;
/// Share of rows that repeat an earlier arrival (a second report of the same trip).
const REPEAT_SHARE: f64 = 0.05;
/// Domestic origins outside the city, and the designations made before the import.
const ORIGINS: [&str; 6] = [
    "110105001001",
    "310115001001",
    "440305001001",
    "420102001001",
    "500103001001",
    "330106001001",
];
const DESIGNATIONS: [(&str, AreaRisk); 3] = [
    ("110105", AreaRisk::High),
    ("310115001", AreaRisk::Medium),
    ("440305", AreaRisk::Low),
];
const COUNTRIES: [&str; 6] = ["JP", "KR", "US", "DE", "TH", "GB"];

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    pub rows: usize,
    pub seed: u64,
}

/// The measured phases and their context.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub rows: usize,
    pub file_bytes: usize,
    /// Generating the XLSX (not part of `import_seconds`).
    pub generate_seconds: f64,
    /// `App::import_travel` from the file's bytes, as `fangkong import travel` and the API
    /// call it: parse, classify, register travellers, store arrivals, assign measures.
    pub import_seconds: f64,
    /// Of which classifying every row (policies and designations read once).
    pub classify_seconds: f64,
    pub rows_per_second: f64,
    /// The same file again: nothing changes.
    pub reimport_seconds: f64,
    pub entries_created: u64,
    pub entries_merged: u64,
    pub measures_created: u64,
    pub by_rule: std::collections::BTreeMap<String, u64>,
    /// One prepared rusqlite statement per table inserting the same persons (bare
    /// identifiers), arrivals and measures in one transaction, into a copy of the store
    /// taken before the import.
    pub baseline_seconds: f64,
    /// `baseline_seconds / import_seconds`.
    pub ratio_to_baseline: f64,
}

/// One generated row.
struct Row {
    name: String,
    id_number: String,
    community: String,
    origin: String,
    departed_on: NaiveDate,
    arrived_at: String,
    route: String,
    vaccination: &'static str,
}

/// Runs the scenario.
///
/// # Errors
/// Any failure of the store, the app or the file system.
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
    let dir = temp.path().join("store");
    let key = MasterKey::generate();
    let clock = Arc::new(FixedClock::new(now()));
    let actor = Actor::system("bench");
    let app = App::new(open(&dir, &key).await?, clock);
    app.load_demo_city(
        &DemoConfig {
            city_code: CITY_CODE.to_string(),
            population: RESIDENTS,
            seed: options.seed,
        },
        &NoProgress,
    )
    .await
    .context("loading the city")?;
    app.load_policy(&actor, DEFAULT_POLICY_FILE, DEFAULT_POLICY)
        .await
        .context("loading the default policy")?;
    for (code, level) in DESIGNATIONS {
        app.designate_area(
            &actor,
            &Designation {
                code,
                name: code,
                level,
                lift_after_days: None,
                addresses: Vec::new(),
            },
        )
        .await
        .context("designating")?;
    }
    let communities = communities(&dir)?;
    app.store().close().await;

    let started = Instant::now();
    let rows = generate(options, &communities);
    let bytes = xlsx(&rows)?;
    let generate_seconds = started.elapsed().as_secs_f64();

    // The baseline runs on a copy taken now, before the import.
    let baseline_dir = temp.path().join("baseline");
    std::fs::create_dir_all(&baseline_dir)?;
    for name in ["fangkong.db", "fangkong.db-wal"] {
        let file = dir.join(name);
        if file.exists() {
            std::fs::copy(&file, baseline_dir.join(name))?;
        }
    }

    let app = App::new(open(&dir, &key).await?, Arc::new(FixedClock::new(now())));
    let started = Instant::now();
    let outcome = app
        .import_travel(&actor, "travellers.xlsx", &bytes)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("importing the list")?;
    let import_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let again = app
        .import_travel(&actor, "travellers.xlsx", &bytes)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("importing the list again")?;
    let reimport_seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        again.entries_created == 0 && again.measures_created == 0,
        "the second import changed something"
    );
    app.store().close().await;

    let baseline_seconds = baseline(&baseline_dir, &rows)?;
    Ok(Report {
        rows: options.rows,
        file_bytes: bytes.len(),
        generate_seconds,
        import_seconds,
        classify_seconds: outcome.classify_ms as f64 / 1000.0,
        rows_per_second: options.rows as f64 / import_seconds,
        reimport_seconds,
        entries_created: outcome.entries_created,
        entries_merged: outcome.entries_merged,
        measures_created: outcome.measures_created,
        by_rule: outcome.by_rule,
        baseline_seconds,
        ratio_to_baseline: baseline_seconds / import_seconds,
    })
}

/// The city's communities.
fn communities(dir: &Path) -> anyhow::Result<Vec<String>> {
    let db = rusqlite::Connection::open(dir.join("fangkong.db"))?;
    let mut st =
        db.prepare("SELECT code FROM jurisdictions WHERE level = 'community' ORDER BY code")?;
    let codes = st
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    anyhow::ensure!(!codes.is_empty(), "the city has no communities");
    Ok(codes)
}

/// N rows: a fifth from abroad, the rest from places in China (some designated, some
/// communities of the city itself), one in twenty a repeat of an earlier row's trip.
fn generate(options: &Options, communities: &[String]) -> Vec<Row> {
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let first_day = NaiveDate::from_ymd_opt(1950, 1, 1).expect("a valid date");
    let mut rows: Vec<Row> = Vec::with_capacity(options.rows);
    for i in 0..options.rows {
        if i > 0 && rng.gen_bool(REPEAT_SHARE) {
            let earlier = &rows[rng.gen_range(0..i)];
            let repeat = Row {
                name: earlier.name.clone(),
                id_number: earlier.id_number.clone(),
                community: earlier.community.clone(),
                origin: earlier.origin.clone(),
                departed_on: earlier.departed_on,
                arrived_at: earlier.arrived_at.clone(),
                route: String::new(),
                vaccination: earlier.vaccination,
            };
            rows.push(repeat);
            continue;
        }
        let birth = first_day + TimeDelta::days((i % 20_000) as i64);
        let seq = ((i / 20_000) % 1000) as u16;
        let id_number = NationalId::from_parts("411702", birth, seq)
            .map(|id| id.to_string())
            .unwrap_or_default();
        let origin = match rng.gen_range(0..10) {
            0 | 1 => COUNTRIES[rng.gen_range(0..COUNTRIES.len())].to_string(),
            2 => communities[rng.gen_range(0..communities.len())].clone(),
            _ => ORIGINS[rng.gen_range(0..ORIGINS.len())].to_string(),
        };
        let minutes = rng.gen_range(0..(2 * 24 * 60));
        let arrived = chrono::NaiveDateTime::new(
            NaiveDate::from_ymd_opt(2026, 11, 29).expect("a valid date"),
            chrono::NaiveTime::from_hms_opt(0, 0, 0).expect("a valid time"),
        ) + TimeDelta::minutes(minutes);
        rows.push(Row {
            name: format!("旅客{i}"),
            id_number,
            community: communities[rng.gen_range(0..communities.len())].clone(),
            origin,
            departed_on: arrived.date() - TimeDelta::days(rng.gen_range(0..8)),
            arrived_at: arrived.format("%Y-%m-%d %H:%M").to_string(),
            route: format!("G{}", rng.gen_range(1..10_000)),
            vaccination: ["full", "booster", "partial"][rng.gen_range(0..3)],
        });
    }
    rows
}

fn xlsx(rows: &[Row]) -> anyhow::Result<Vec<u8>> {
    let text = |s: &str| {
        if s.is_empty() {
            ExportCell::Empty
        } else {
            ExportCell::Text(s.to_string())
        }
    };
    let sheet = Sheet {
        name: "来驻返驻".to_string(),
        header: [
            "name",
            "id_number",
            "community_code",
            "origin",
            "departed_on",
            "arrived_at",
            "route",
            "vaccination",
        ]
        .iter()
        .map(|h| (*h).to_string())
        .collect(),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    text(&r.name),
                    text(&r.id_number),
                    text(&r.community),
                    text(&r.origin),
                    text(&r.departed_on.to_string()),
                    text(&r.arrived_at),
                    text(&r.route),
                    text(r.vaccination),
                ]
            })
            .collect(),
    };
    write_workbook(&[sheet]).context("writing the XLSX")
}

/// The same rows inserted raw: a person per distinct document (bare identifiers), an
/// arrival per distinct trip and a measure for each, one prepared statement per table, one
/// transaction, under the store's pragmas.
fn baseline(dir: &Path, rows: &[Row]) -> anyhow::Result<f64> {
    let mut db = rusqlite::Connection::open(dir.join("fangkong.db"))?;
    db.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
         PRAGMA cache_size = -65536; PRAGMA temp_store = memory; \
         PRAGMA mmap_size = 17179869184;",
    )?;
    let started = Instant::now();
    let tx = db.transaction()?;
    {
        let mut person = tx.prepare(
            "INSERT INTO persons (doc_kind, doc_blind, doc_cipher, doc_masked, nationality, \
             name, sex, birth_date, community_code, created_at, updated_at) \
             VALUES ('mainland_id', ?1, ?1, '', 'CHN', ?2, 'male', '2000-01-01', ?3, 0, 0) \
             ON CONFLICT DO NOTHING RETURNING id",
        )?;
        let mut find = tx.prepare("SELECT id FROM persons WHERE doc_blind = ?1")?;
        let mut entry = tx.prepare(
            "INSERT INTO travel_entries (person_id, pocket, origin, route, departed_on, \
             arrived_at, arrival_day, community_code, source, created_at, updated_at) \
             VALUES (?1, 'domestic', ?2, ?3, ?4, 0, ?5, ?6, 'file_import', 0, 0) \
             ON CONFLICT DO NOTHING RETURNING id",
        )?;
        let mut measure = tx.prepare(
            "INSERT INTO control_measures (person_id, community_code, travel_entry_id, pocket, \
             policy_version, rule_id, stages, test_days, explanation_zh, explanation_en, \
             starts_on, ends_on, assigned_at) VALUES (?1, ?2, ?3, 'domestic', 'v', 'r', \
             'centralised_quarantine:7', '1,2,3,5,7', '', '', '2026-11-30', '2026-12-06', 0)",
        )?;
        for r in rows {
            let blind = r.id_number.as_bytes();
            let id: i64 = match person
                .query_row(rusqlite::params![blind, r.name, r.community], |x| x.get(0))
            {
                Ok(id) => id,
                Err(rusqlite::Error::QueryReturnedNoRows) => {
                    find.query_row([blind], |x| x.get(0))?
                }
                Err(e) => return Err(e.into()),
            };
            let day = &r.arrived_at[..10];
            let entry_id: Option<i64> = match entry.query_row(
                rusqlite::params![
                    id,
                    r.origin,
                    r.route,
                    r.departed_on.to_string(),
                    day,
                    r.community
                ],
                |x| x.get(0),
            ) {
                Ok(id) => Some(id),
                Err(rusqlite::Error::QueryReturnedNoRows) => None,
                Err(e) => return Err(e.into()),
            };
            if let Some(entry_id) = entry_id {
                measure.execute(rusqlite::params![id, r.community, entry_id])?;
            }
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
        "travel-import: {} rows ({} bytes of XLSX)",
        r.rows, r.file_bytes
    );
    let _ = writeln!(
        out,
        "  generate            {:>8.2} s (not timed in the import)",
        r.generate_seconds
    );
    let _ = writeln!(
        out,
        "  import              {:>8.2} s ({:.0} rows/s)",
        r.import_seconds, r.rows_per_second
    );
    let _ = writeln!(out, "    of which classify {:>8.2} s", r.classify_seconds);
    let _ = writeln!(out, "  re-import (no-op)   {:>8.2} s", r.reimport_seconds);
    let _ = writeln!(
        out,
        "  baseline (raw SQL)  {:>8.2} s, ratio {:.2}",
        r.baseline_seconds, r.ratio_to_baseline
    );
    let _ = writeln!(
        out,
        "  arrivals {} new, {} merged; {} measures",
        r.entries_created, r.entries_merged, r.measures_created
    );
    for (rule, n) in &r.by_rule {
        let _ = writeln!(out, "    {rule}: {n}");
    }
    out
}
