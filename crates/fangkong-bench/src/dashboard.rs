//! The command dashboard's server time on the demo city of N residents with every
//! capability's demo data (`fangkong demo`), as the city's headquarters sees it: the median
//! of repeated `App::dashboard` calls (sections concurrent) on an app that keeps the
//! population-wide figures as the server does (`App::with_population_figures_kept`, a
//! minute), against the same sections called one after another (the baseline, each section
//! timed). Also timed: one dashboard computing everything (nothing kept), and the
//! population figures alone (what the server's background refresh costs).
//!
//! Setup (loading and seeding the city) is not part of the timings.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use fangkong_app::demo::{DemoConfig, NoProgress};
use fangkong_app::{Actor, App, FixedClock};
use fangkong_store::MasterKey;
use serde::Serialize;

use crate::machine::load_averages as load_average;
use crate::setup::{now, open};

/// Parameters of a run.
#[derive(Debug, Clone)]
pub struct Options {
    pub population: u64,
    pub seed: u64,
    pub repetitions: usize,
    /// A directory to keep the seeded store in and reuse on the next run (its key beside it);
    /// a temporary one when `None`.
    pub store: Option<std::path::PathBuf>,
}

/// One section's time in the sequential baseline.
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    pub name: &'static str,
    pub ms: f64,
}

/// What a run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub scenario: &'static str,
    pub population: u64,
    pub seed: u64,
    pub setup_seconds: f64,
    /// Each setup step's seconds (a reused store's steps find their data and return).
    pub setup_steps: Vec<Section>,
    pub repetitions: usize,
    /// `App::dashboard`, sections concurrent: median, fastest and slowest call.
    pub dashboard_ms_median: f64,
    pub dashboard_ms_min: f64,
    pub dashboard_ms_max: f64,
    /// One `App::dashboard` on an app that keeps nothing (population figures computed).
    pub dashboard_uncached_ms: f64,
    /// `App::compute_population_figures` alone: the background refresh's cost.
    pub population_figures_ms: f64,
    /// The same sections one after another (one pass).
    pub baseline_sequential_ms: f64,
    pub sections: Vec<Section>,
    pub active_cases: Option<u64>,
    pub measures_open: Option<u64>,
    pub load_average_before: Option<[f64; 3]>,
    pub load_average: Option<[f64; 3]>,
}

/// Runs the scenario.
///
/// # Errors
/// Any failure of the store or the app.
pub fn run(options: &Options) -> anyhow::Result<Report> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(run_async(options))
}

fn ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

async fn run_async(options: &Options) -> anyhow::Result<Report> {
    let temp = tempfile::Builder::new()
        .prefix("fangkong-bench-")
        .tempdir()
        .context("creating a temporary directory")?;
    let (dir, key) = match &options.store {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            let key = MasterKey::load_or_create(&dir.join("master.key"))
                .with_context(|| format!("the key of {}", dir.display()))?;
            (dir.join("store"), key)
        }
        None => (temp.path().join("store"), MasterKey::generate()),
    };
    let started = Instant::now();
    let clock = Arc::new(FixedClock::new(now()));
    let app = App::new(open(&dir, &key).await?, clock.clone());
    let config = DemoConfig {
        city_code: "4117".to_string(),
        population: options.population,
        seed: options.seed,
    };
    let mut setup_steps = Vec::new();
    let mut step = |name: &'static str, since: Instant| {
        let section = Section {
            name,
            ms: ms(since),
        };
        eprintln!("setup: {name} {:.1} s", section.ms / 1000.0);
        setup_steps.push(section);
    };
    let t = Instant::now();
    app.load_demo_city(&config, &NoProgress)
        .await
        .context("loading the city")?;
    step("city", t);
    let t = Instant::now();
    app.seed_demo_testing(&config).await.context("testing")?;
    step("testing", t);
    let t = Instant::now();
    app.seed_demo_inbound(&config).await.context("inbound")?;
    step("inbound", t);
    let t = Instant::now();
    app.seed_demo_tracing(&config).await.context("tracing")?;
    step("tracing", t);
    let t = Instant::now();
    app.seed_demo_isolation(&config)
        .await
        .context("isolation")?;
    step("isolation", t);
    let t = Instant::now();
    app.seed_demo_sentinel(&config).await.context("sentinel")?;
    step("sentinel", t);
    let t = Instant::now();
    app.seed_demo_immunization(&config)
        .await
        .context("immunization")?;
    step("immunization", t);
    let t = Instant::now();
    app.seed_demo_supplies(&config).await.context("supplies")?;
    step("supplies", t);
    let setup_seconds = started.elapsed().as_secs_f64();
    let actor = Actor::system("bench");

    let load_average_before = load_average();
    // Nothing kept: every figure computed.
    let uncached = App::new(app.store().clone(), clock);
    let started = Instant::now();
    uncached.dashboard(&actor).await.context("the dashboard")?;
    let dashboard_uncached_ms = ms(started);
    let started = Instant::now();
    uncached.compute_population_figures(&actor).await?;
    let population_figures_ms = ms(started);
    // As the server runs it: population figures kept a minute. One call to warm the caches
    // (and compute them), as a server that has been running has them.
    let app = app.with_population_figures_kept(std::time::Duration::from_secs(60));
    let first = app.dashboard(&actor).await.context("the dashboard")?;
    let mut times = Vec::with_capacity(options.repetitions);
    for _ in 0..options.repetitions.max(1) {
        let started = Instant::now();
        app.dashboard(&actor).await.context("the dashboard")?;
        times.push(ms(started));
    }
    times.sort_by(f64::total_cmp);

    // The baseline: each section alone, one after another.
    let mut sections = Vec::new();
    let started = Instant::now();
    app.epidemic_analysis(&actor, fangkong_app::dashboard::CURVE_DAYS, None, None)
        .await?;
    sections.push(Section {
        name: "epidemic_analysis",
        ms: ms(started),
    });
    let started = Instant::now();
    app.pocket_board(&actor, None).await?;
    sections.push(Section {
        name: "pocket_board",
        ms: ms(started),
    });
    let started = Instant::now();
    if let Some(round) = app.rounds(&actor).await?.first() {
        app.round_coverage(
            &actor,
            &round.code,
            fangkong_app::testing::coverage::CoverageLevel::County,
        )
        .await?;
    }
    sections.push(Section {
        name: "round_coverage",
        ms: ms(started),
    });
    let started = Instant::now();
    app.isolation_sites(&actor).await?;
    app.hospitals(&actor).await?;
    sections.push(Section {
        name: "isolation_and_beds",
        ms: ms(started),
    });
    let started = Instant::now();
    app.supplies_alerts(&actor).await?;
    sections.push(Section {
        name: "supplies_alerts",
        ms: ms(started),
    });
    let started = Instant::now();
    app.alert_timeliness(&actor).await?;
    sections.push(Section {
        name: "alert_timeliness",
        ms: ms(started),
    });
    let started = Instant::now();
    app.store().dashboard().contacts(&actor.scope).await?;
    app.store()
        .dashboard()
        .positive_tubes(&actor.scope, 0, i64::MAX)
        .await?;
    sections.push(Section {
        name: "contacts_and_positives",
        ms: ms(started),
    });
    let started = Instant::now();
    app.dashboard_area(&actor).await?;
    sections.push(Section {
        name: "jurisdictions",
        ms: ms(started),
    });
    let baseline_sequential_ms = sections.iter().map(|s| s.ms).sum();
    let load_average = load_average();
    app.store().close().await;
    Ok(Report {
        scenario: "dashboard",
        population: options.population,
        seed: options.seed,
        setup_seconds,
        setup_steps,
        repetitions: times.len(),
        dashboard_ms_median: times[times.len() / 2],
        dashboard_ms_min: times[0],
        dashboard_ms_max: times[times.len() - 1],
        dashboard_uncached_ms,
        population_figures_ms,
        baseline_sequential_ms,
        sections,
        active_cases: first.cases.map(|c| c.active),
        measures_open: first.measures.map(|m| m.total()),
        load_average_before,
        load_average,
    })
}

/// The report as a table.
pub fn render(r: &Report) -> String {
    let mut out = format!(
        "dashboard on a city of {} residents (setup {:.1} s)\n  App::dashboard, population figures kept: median {:.1} ms (min {:.1}, max {:.1}, {} calls)\n  App::dashboard, nothing kept: {:.1} ms; population figures alone: {:.1} ms\n  baseline, sections one after another: {:.1} ms\n",
        r.population,
        r.setup_seconds,
        r.dashboard_ms_median,
        r.dashboard_ms_min,
        r.dashboard_ms_max,
        r.repetitions,
        r.dashboard_uncached_ms,
        r.population_figures_ms,
        r.baseline_sequential_ms
    );
    for s in &r.sections {
        out.push_str(&format!("    {:<24} {:>9.1} ms\n", s.name, s.ms));
    }
    out.push_str("  setup steps:\n");
    for s in &r.setup_steps {
        out.push_str(&format!("    {:<24} {:>9.1} s\n", s.name, s.ms / 1000.0));
    }
    out
}
