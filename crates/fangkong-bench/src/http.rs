//! The `http` scenario: the real server (router, middleware, authentication, store) on a
//! loopback port, driven by concurrent clients running realistic sessions for a bounded
//! time, against a baseline of the same server answering `/healthz` (the HTTP stack and
//! the loopback alone) measured in the same run.
//!
//! Sessions, drawn per client by a seeded generator:
//! - community worker (70%): a person looked up by ID number (`GET /api/v1/persons?id_number=`),
//!   the record opened (`GET /api/v1/persons/{id}`), then a batch of 5 venue check-ins
//!   uploaded (`POST /api/v1/tracing/checkins:import`, NDJSON);
//! - laboratory (20%): a batch of 20 tube results (`POST /api/v1/testing/results:batch`, NDJSON,
//!   with an `Idempotency-Key`), each tube collected in the setup and resulted once;
//! - headquarters (10%): the command dashboard of the city (`GET /api/v1/dashboard`).
//!
//! What it must not do: touch a data directory other than its own temporary one, or talk to
//! anything but the loopback server it started (and PostgreSQL when `--database-url` says so).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use fangkong_app::demo::{DemoConfig, NoProgress};
use fangkong_app::persons::PersonQuery;
use fangkong_app::{Actor, App, FixedClock};
use fangkong_store::{ConnectOptions, MasterKey, Store};
use rand::{Rng as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::machine::{load_average, peak_rss_bytes};
use crate::setup::now;
use crate::stats::percentile;

const CITY_CODE: &str = "4117";
/// Results per laboratory batch and check-ins per worker batch.
const RESULTS_PER_BATCH: usize = 20;
const CHECKINS_PER_BATCH: usize = 5;
/// Issue #14's target on a 2-core machine with SQLite.
const TARGET_RPS: f64 = 2_000.0;
const TARGET_P99_MS: f64 = 50.0;

/// Options of the scenario.
#[derive(Debug, Clone)]
pub struct Options {
    pub population: u64,
    pub seconds: u64,
    pub baseline_seconds: u64,
    pub clients: usize,
    pub seed: u64,
    pub database_url: Option<String>,
}

/// The request kinds, in report order.
const KINDS: [&str; 5] = [
    "person_lookup",
    "person_open",
    "checkin_batch",
    "result_batch",
    "dashboard",
];

/// Latency figures of one request kind.
#[derive(Debug, Serialize)]
pub struct KindReport {
    pub kind: &'static str,
    pub requests: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// The JSON report.
#[derive(Debug, Serialize)]
pub struct Report {
    pub scenario: &'static str,
    pub backend: &'static str,
    pub population: u64,
    pub clients: usize,
    pub seconds: f64,
    pub requests: usize,
    pub errors: usize,
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub writes_share: f64,
    pub kinds: Vec<KindReport>,
    pub baseline_requests_per_second: f64,
    pub baseline_p99_ms: f64,
    pub ratio_to_baseline: f64,
    pub setup_seconds: f64,
    pub peak_rss_bytes: Option<u64>,
    pub load_average: Option<f64>,
    pub cores: usize,
    pub targets_met: bool,
}

/// What the clients need: the token, persons to look up, tubes to result, venues.
struct Fixture {
    token: String,
    persons: Vec<(i64, String)>,
    tubes: Vec<String>,
    next_tube: AtomicUsize,
    venues: Vec<String>,
}

/// Runs the scenario on a runtime of its own (server and clients share it, as they share
/// the machine's cores).
///
/// # Errors
/// Setup or server failures.
pub fn run(options: &Options) -> anyhow::Result<Report> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run_async(options))
}

async fn run_async(options: &Options) -> anyhow::Result<Report> {
    let dir = tempfile::tempdir()?;
    let key = MasterKey::generate();
    let setup_started = Instant::now();
    let (connect, backend) = match &options.database_url {
        Some(url) => (
            ConnectOptions::Postgres {
                url: url.clone(),
                max_connections: 16,
            },
            "postgres",
        ),
        None => (
            ConnectOptions::Sqlite {
                path: dir.path().join("fangkong.db"),
            },
            "sqlite",
        ),
    };
    let store = Store::open(&connect, &key)
        .await
        .context("opening the store")?;
    // As `fangkong serve` runs it: dashboards kept for two seconds, their population-wide
    // figures for a minute.
    let app = App::new(store, Arc::new(FixedClock::new(now())))
        .with_dashboard_cache(std::time::Duration::from_secs(2))
        .with_population_figures_kept(std::time::Duration::from_secs(60));
    let fixture = Arc::new(setup(&app, options).await?);
    let setup_seconds = setup_started.elapsed().as_secs_f64();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let router = fangkong_server::router(app.clone(), &fangkong_server::ServerConfig::default());
    let server = tokio::spawn(async move {
        fangkong_server::serve(listener, router, std::future::pending()).await
    });
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(options.clients)
        .timeout(Duration::from_secs(30))
        .build()?;

    // Warm-up: every kind once, failing loudly if a route refuses.
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    for session in [Session::Worker, Session::Lab, Session::Headquarters] {
        for (kind, _, ok) in session.run(&http, &base, &fixture, &mut rng).await {
            anyhow::ensure!(ok, "warm-up: {} was refused", KINDS[kind]);
        }
    }

    let baseline = {
        let base = base.clone();
        drive(
            options,
            options.baseline_seconds,
            move |http, _rng| {
                let url = format!("{base}/healthz");
                async move { vec![timed(0, http.get(url)).await] }
            },
            &http,
        )
        .await
    };

    let measured = {
        let fixture = fixture.clone();
        let base = base.clone();
        drive(
            options,
            options.seconds,
            move |http, mut rng| {
                let fixture = fixture.clone();
                let base = base.clone();
                async move {
                    let session = Session::draw(&mut rng);
                    session.run(&http, &base, &fixture, &mut rng).await
                }
            },
            &http,
        )
        .await
    };
    server.abort();
    app.store().close().await;

    let all: Vec<f64> = measured.samples.iter().map(|s| s.1).collect();
    let kinds = KINDS
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let v: Vec<f64> = measured
                .samples
                .iter()
                .filter(|s| s.0 == k)
                .map(|s| s.1)
                .collect();
            KindReport {
                kind: name,
                requests: v.len(),
                p50_ms: quantile(&v, 0.5),
                p99_ms: quantile(&v, 0.99),
                max_ms: quantile(&v, 1.0),
            }
        })
        .collect::<Vec<_>>();
    let writes = measured
        .samples
        .iter()
        .filter(|s| s.0 == 2 || s.0 == 3)
        .count();
    let requests = measured.samples.len();
    let rps = requests as f64 / measured.seconds;
    let baseline_rps = baseline.samples.len() as f64 / baseline.seconds;
    let p99 = quantile(&all, 0.99);
    Ok(Report {
        scenario: "http",
        backend,
        population: options.population,
        clients: options.clients,
        seconds: measured.seconds,
        requests,
        errors: measured.errors,
        requests_per_second: rps,
        p50_ms: quantile(&all, 0.5),
        p90_ms: quantile(&all, 0.9),
        p99_ms: p99,
        writes_share: writes as f64 / requests.max(1) as f64,
        kinds,
        baseline_requests_per_second: baseline_rps,
        baseline_p99_ms: quantile(
            &baseline.samples.iter().map(|s| s.1).collect::<Vec<_>>(),
            0.99,
        ),
        ratio_to_baseline: rps / baseline_rps,
        setup_seconds,
        peak_rss_bytes: peak_rss_bytes(),
        load_average: load_average(),
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        targets_met: measured.errors == 0 && rps >= TARGET_RPS && p99 <= TARGET_P99_MS,
    })
}

/// A client's session.
#[derive(Debug, Clone, Copy)]
enum Session {
    Worker,
    Lab,
    Headquarters,
}

impl Session {
    fn draw(rng: &mut ChaCha8Rng) -> Session {
        match rng.gen_range(0..10) {
            0..=6 => Session::Worker,
            7 | 8 => Session::Lab,
            _ => Session::Headquarters,
        }
    }

    /// Runs the session; each request as (kind, milliseconds, succeeded).
    async fn run(
        self,
        http: &reqwest::Client,
        base: &str,
        f: &Fixture,
        rng: &mut ChaCha8Rng,
    ) -> Vec<(usize, f64, bool)> {
        let mut out = Vec::with_capacity(3);
        match self {
            Session::Worker => {
                let (id, number) = &f.persons[rng.gen_range(0..f.persons.len())];
                let request = http
                    .get(format!("{base}/api/v1/persons?id_number={number}"))
                    .bearer_auth(&f.token);
                out.push(timed(0, request).await);
                let request = http
                    .get(format!("{base}/api/v1/persons/{id}"))
                    .bearer_auth(&f.token);
                out.push(timed(1, request).await);
                let mut body = String::new();
                let minute = rng.gen_range(0..600);
                for i in 0..CHECKINS_PER_BATCH {
                    let (_, number) = &f.persons[rng.gen_range(0..f.persons.len())];
                    let venue = &f.venues[rng.gen_range(0..f.venues.len())];
                    let _ = writeln!(
                        body,
                        r#"{{"national_id":"{number}","place_code":"{venue}","time_in":"2026-11-30 {:02}:{:02}"}}"#,
                        8 + (minute + i) / 60,
                        (minute + i) % 60
                    );
                }
                let request = http
                    .post(format!(
                        "{base}/api/v1/tracing/checkins:import?file_name=scans.ndjson"
                    ))
                    .bearer_auth(&f.token)
                    .body(body);
                out.push(timed(2, request).await);
            }
            Session::Lab => {
                let start = f.next_tube.fetch_add(RESULTS_PER_BATCH, Ordering::Relaxed);
                let mut body = String::new();
                for k in start..start + RESULTS_PER_BATCH {
                    let tube = &f.tubes[k % f.tubes.len()];
                    let _ = writeln!(
                        body,
                        r#"{{"tube_id":"{tube}","result":"negative","lab_code":"LAB-BENCH","tested_at":"2026-11-30 14:00","reported_at":"2026-11-30 15:00"}}"#
                    );
                }
                let request = http
                    .post(format!(
                        "{base}/api/v1/testing/results:batch?file_name=results.ndjson"
                    ))
                    .bearer_auth(&f.token)
                    .header("idempotency-key", format!("bench-{start}"))
                    .body(body);
                out.push(timed(3, request).await);
            }
            Session::Headquarters => {
                let request = http
                    .get(format!("{base}/api/v1/dashboard"))
                    .bearer_auth(&f.token);
                out.push(timed(4, request).await);
            }
        }
        out
    }
}

async fn timed(kind: usize, request: reqwest::RequestBuilder) -> (usize, f64, bool) {
    let started = Instant::now();
    let ok = match request.send().await {
        Ok(r) => {
            let status = r.status();
            r.bytes().await.is_ok() && status.is_success()
        }
        Err(_) => false,
    };
    (kind, started.elapsed().as_secs_f64() * 1000.0, ok)
}

struct Measured {
    seconds: f64,
    /// (kind, milliseconds) of every successful request.
    samples: Vec<(usize, f64)>,
    errors: usize,
}

/// Runs `clients` loops of `step` for `seconds`; each step's requests are timed inside it.
async fn drive<F, Fut>(options: &Options, seconds: u64, step: F, http: &reqwest::Client) -> Measured
where
    F: Fn(reqwest::Client, ChaCha8Rng) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Vec<(usize, f64, bool)>> + Send,
{
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(options.clients);
    for c in 0..options.clients {
        let step = step.clone();
        let http = http.clone();
        let mut rng = ChaCha8Rng::seed_from_u64(options.seed.wrapping_add(c as u64 + 1));
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut errors = 0;
            while Instant::now() < deadline {
                // Each step gets its own generator, drawn from the client's.
                let sub = ChaCha8Rng::seed_from_u64(rng.gen());
                for (kind, ms, ok) in step(http.clone(), sub).await {
                    if ok {
                        samples.push((kind, ms));
                    } else {
                        errors += 1;
                    }
                }
            }
            (samples, errors)
        }));
    }
    let mut out = Measured {
        seconds: 0.0,
        samples: Vec::new(),
        errors: 0,
    };
    for t in tasks {
        if let Ok((s, e)) = t.await {
            out.samples.extend(s);
            out.errors += e;
        }
    }
    out.seconds = started.elapsed().as_secs_f64();
    out
}

/// [`percentile`] in milliseconds to the microsecond.
fn quantile(values: &[f64], q: f64) -> f64 {
    (percentile(values, q) * 1000.0).round() / 1000.0
}

/// Loads the city, a token, venues for check-ins and collected tubes for results.
async fn setup(app: &App, options: &Options) -> anyhow::Result<Fixture> {
    app.load_demo_city(
        &DemoConfig {
            city_code: CITY_CODE.to_string(),
            population: options.population,
            seed: options.seed,
        },
        &NoProgress,
    )
    .await
    .context("loading the synthetic city")?;
    app.create_user("bench", "bench-password-not-secret", "admin", None)
        .await
        .context("creating the bench user")?;
    let token = app
        .create_api_token("bench", "http bench", None)
        .await
        .context("issuing the bench token")?;
    let actor = Actor::system("bench");

    let plan = fangkong_synth::plan(&fangkong_synth::CityConfig {
        city_code: CITY_CODE.to_string(),
        population: options.population,
        seed: options.seed,
        reference_date: now().date_naive(),
    })?;
    let mut residents = Vec::new();
    let mut communities = Vec::new();
    for i in 0..plan.townships.len().min(8) {
        let chunk = fangkong_synth::generate_township(&plan, i);
        for p in chunk.persons {
            if communities.last() != Some(&p.community_code) && communities.len() < 40 {
                communities.push(p.community_code.clone());
            }
            residents.push((p.national_id.as_str().to_string(), p.community_code));
        }
    }
    anyhow::ensure!(!residents.is_empty(), "the city has no residents");

    // Venues: 5 per community of the first townships.
    let mut venues_csv = String::from("place_code,name,kind,community_code\n");
    let mut venues = Vec::new();
    for (c, code) in communities.iter().enumerate() {
        for v in 1..=5 {
            let place = format!("P{code}{v:04}");
            let _ = writeln!(venues_csv, "{place},场所{c}-{v},supermarket,{code}");
            venues.push(place);
        }
    }
    app.import_venues(&actor, "venues.csv", venues_csv.as_bytes())
        .await
        .context("importing venues")?;

    // Persons to look up: their ids, by document.
    let mut persons = Vec::new();
    for (number, _) in residents.iter().take(2_000) {
        let found = app
            .search_persons(
                &actor,
                &PersonQuery {
                    id_number: Some(number.clone()),
                    q: None,
                    within: None,
                    limit: 1,
                    offset: 0,
                },
            )
            .await
            .context("looking up a resident")?;
        if let Some(p) = found.first() {
            persons.push((p.id, number.clone()));
        }
    }
    anyhow::ensure!(!persons.is_empty(), "no resident found by document");

    // Tubes: enough for the laboratories at the target rate for the whole run.
    let tubes_needed = ((options.seconds as f64 * TARGET_RPS * 0.1) as usize * RESULTS_PER_BATCH)
        .clamp(10_000, 400_000);
    let mut samples = String::from("tube_id,id_number,site_code,collected_at,pool_size\n");
    let mut tubes = Vec::with_capacity(tubes_needed);
    for t in 0..tubes_needed {
        let tube = format!("HB{t:08}");
        let (number, _) = &residents[t % residents.len()];
        let _ = writeln!(samples, "{tube},{number},BENCH-SITE,2026-11-30 09:00,1");
        tubes.push(tube);
    }
    let outcome = app
        .ingest_samples(&actor, "samples.csv", samples.as_bytes())
        .await
        .context("collecting the tubes")?;
    anyhow::ensure!(
        outcome.refused.is_empty(),
        "setup samples refused: {:?}",
        outcome.refused.first()
    );
    Ok(Fixture {
        token,
        persons,
        tubes,
        next_tube: AtomicUsize::new(0),
        venues,
    })
}

/// The human-readable table.
pub fn render(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "http ({}, {} residents, {} clients, {:.1} s): {} requests, {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} errors",
        r.backend, r.population, r.clients, r.seconds, r.requests, r.requests_per_second, r.p50_ms, r.p99_ms, r.errors
    );
    for k in &r.kinds {
        let _ = writeln!(
            s,
            "  {:<14} {:>8} requests  p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms",
            k.kind, k.requests, k.p50_ms, k.p99_ms, k.max_ms
        );
    }
    let _ = writeln!(
        s,
        "baseline /healthz: {:.0} req/s, p99 {:.2} ms; mixed/baseline {:.2}; targets met: {}",
        r.baseline_requests_per_second, r.baseline_p99_ms, r.ratio_to_baseline, r.targets_met
    );
    s
}
