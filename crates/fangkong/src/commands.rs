//! What each subcommand does: open the store, call the app, print.

use std::io::{Read as _, Write as _};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use fangkong_app::demo::{DemoConfig, Progress};
use fangkong_app::{Actor, App, SystemClock};
use fangkong_domain::Scope;
use fangkong_ingest::export::{ExportCell, ExportFormat};
use fangkong_server::ServerConfig;
use fangkong_store::{ConnectOptions, MasterKey, Store};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{
    AnalyzeCommand, AuditCommand, Cli, Command, DrillCommand, DrillRunArgs, ExportKind, ImportKind,
    LogFormat, StoreArgs, UserCommand,
};

/// Installs the tracing subscriber (RUST_LOG filters; default `info`).
pub fn init_tracing(cli: &Cli) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

/// Opens the store the arguments name, creating the data directory and key if needed.
async fn open_store(args: &StoreArgs) -> Result<Store> {
    std::fs::create_dir_all(&args.data)
        .with_context(|| format!("creating data directory {}", args.data.display()))?;
    let key = match std::env::var("FANGKONG_MASTER_KEY") {
        Ok(text) => MasterKey::parse(&text).context("reading FANGKONG_MASTER_KEY")?,
        Err(_) => {
            let path = args.data.join("master.key");
            MasterKey::load_or_create(&path)
                .with_context(|| format!("reading key file {}", path.display()))?
        }
    };
    let options = match &args.database_url {
        Some(url) => ConnectOptions::Postgres {
            url: url.clone(),
            max_connections: args.db_connections,
        },
        None => ConnectOptions::Sqlite {
            path: args.data.join("fangkong.db"),
        },
    };
    let where_ = match &args.database_url {
        Some(_) => "PostgreSQL (FANGKONG_DATABASE_URL)".to_string(),
        None => args.data.join("fangkong.db").display().to_string(),
    };
    Store::open(&options, &key)
        .await
        .with_context(|| format!("opening the store at {where_}"))
}

/// Restores a backup into the empty data directory or database the arguments name, refusing
/// a master key that does not belong to the backup.
async fn restore(args: &StoreArgs, file: &Path) -> Result<()> {
    use fangkong_store::backup;
    let manifest = backup::read_manifest(file)
        .map_err(|e| anyhow::anyhow!("reading backup {}: {e}", file.display()))?;
    let key_path = args.data.join("master.key");
    let key = match std::env::var("FANGKONG_MASTER_KEY") {
        Ok(text) => Some(MasterKey::parse(&text).context("reading FANGKONG_MASTER_KEY")?),
        Err(_) if key_path.exists() => Some(
            MasterKey::load_or_create(&key_path)
                .with_context(|| format!("reading key file {}", key_path.display()))?,
        ),
        Err(_) => None,
    };
    if let Some(key) = &key {
        if backup::key_check(key) != manifest.key_check {
            bail!("the master key at hand is not the key of this backup; personal data would be unreadable");
        }
    }
    let options = match &args.database_url {
        Some(url) => ConnectOptions::Postgres {
            url: url.clone(),
            max_connections: 2,
        },
        None => ConnectOptions::Sqlite {
            path: args.data.join("fangkong.db"),
        },
    };
    let manifest = backup::restore(file, &options, &["master.key"])
        .await
        .map_err(|e| anyhow::anyhow!("restoring backup {}: {e}", file.display()))?;
    let rows: i64 = manifest.tables.iter().map(|t| t.rows).sum();
    println!(
        "restored backup of {}: {} tables, {rows} rows verified",
        manifest.created_at,
        manifest.tables.len()
    );
    if key.is_some() {
        let store = open_store(args).await?;
        println!("schema is up to date ({})", store.backend().as_str());
        store.close().await;
    } else {
        eprintln!(
            "note: no master key found; put the key of the backed-up instance at {} (or set FANGKONG_MASTER_KEY) before starting fangkong",
            key_path.display()
        );
    }
    Ok(())
}

/// Seconds a computed dashboard is served again (`App::with_dashboard_cache`).
const DASHBOARD_CACHE: std::time::Duration = std::time::Duration::from_secs(2);

/// How long the dashboard's population-wide figures (a round's coverage, the supplies at
/// risk) are kept before a background computation replaces them
/// (`App::with_population_figures_kept`).
const POPULATION_FIGURES_KEPT: std::time::Duration = std::time::Duration::from_secs(60);

fn app(store: Store) -> App {
    App::new(store, Arc::new(SystemClock))
        .with_dashboard_cache(DASHBOARD_CACHE)
        .with_population_figures_kept(POPULATION_FIGURES_KEPT)
}

/// Runs one command.
pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Migrate => {
            let store = open_store(&cli.store).await?;
            println!("schema is up to date ({})", store.backend().as_str());
            store.close().await;
            Ok(())
        }
        Command::Backup { out } => {
            let store = open_store(&cli.store).await?;
            let manifest = store
                .backup(&out)
                .await
                .map_err(|e| anyhow::anyhow!("writing backup {}: {e}", out.display()))?;
            store.close().await;
            let rows: i64 = manifest.tables.iter().map(|t| t.rows).sum();
            println!(
                "backup written to {}: {}, schema version {}, {} tables, {rows} rows",
                out.display(),
                manifest.backend,
                manifest.schema_version,
                manifest.tables.len()
            );
            eprintln!("note: the master key is not in the backup; personal data in it can only be read with the key of this instance, so keep that key safe separately");
            Ok(())
        }
        Command::Restore { file } => restore(&cli.store, &file).await,
        Command::Serve(args) => {
            let mut app = app(open_store(&cli.store).await?);
            if let Some(code) = &args.federation_code {
                app = app.with_identity(federation_identity(&cli.store, code)?);
            }
            let config = ServerConfig {
                secure_cookies: args.secure_cookies,
                request_timeout: std::time::Duration::from_secs(args.request_timeout_secs),
                header_read_timeout: std::time::Duration::from_secs(args.header_timeout_secs),
                ..ServerConfig::default()
            };
            serve(app, args.addr, config, args.briefing_at).await
        }
        Command::Briefing {
            date,
            out,
            jurisdiction,
            lang,
        } => {
            let app = app(open_store(&cli.store).await?);
            let result = briefing(&app, date, &out, jurisdiction.as_deref(), &lang).await;
            app.store().close().await;
            result
        }
        Command::Peers(command) => peers(&cli.store, command).await,
        Command::Demo(args) => {
            let app = app(open_store(&cli.store).await?);
            let config = DemoConfig {
                city_code: args.city.clone(),
                population: args.population,
                seed: args.seed,
            };
            let outcome = app
                .load_demo_city(&config, &BarProgress::default())
                .await
                .context("loading the demo city")?;
            app.seed_demo_testing(&config)
                .await
                .context("seeding the demo testing round")?;
            app.seed_demo_inbound(&config)
                .await
                .context("seeding the demo arrivals and control measures")?;
            app.seed_demo_tracing(&config)
                .await
                .context("seeding the demo check-ins and outbreak")?;
            app.seed_demo_isolation(&config)
                .await
                .context("seeding the demo quarantine stays, admissions and teams")?;
            app.seed_demo_sentinel(&config)
                .await
                .context("seeding the demo sentinel reports and alerts")?;
            app.seed_demo_immunization(&config)
                .await
                .context("seeding the demo vaccination records")?;
            app.seed_demo_supplies(&config)
                .await
                .context("seeding the demo supplies, stock ledger and reserves")?;
            if outcome.loaded {
                eprintln!(
                    "demo city {} loaded: {} jurisdictions, {} residents, {} households, {} facilities in {:.1} s",
                    args.city, outcome.jurisdictions, outcome.persons, outcome.households, outcome.facilities, outcome.seconds
                );
            } else {
                eprintln!(
                    "demo city {} already loaded in {}",
                    args.city,
                    cli.store.data.display()
                );
            }
            let password = fangkong_app::auth::random_password();
            app.upsert_user_password("admin", &password, "admin", None)
                .await
                .context("creating the admin user")?;
            println!();
            println!("  Fangkong demo: http://{}/", args.addr);
            println!("  username: admin");
            println!("  password: {password}");
            println!();
            if args.no_serve {
                app.store().close().await;
                return Ok(());
            }
            serve(app, args.addr, ServerConfig::default(), args.briefing_at).await
        }
        Command::Import(args) => {
            let app = app(open_store(&cli.store).await?);
            let bytes = std::fs::read(&args.file)
                .with_context(|| format!("reading {}", args.file.display()))?;
            let name = file_name(&args.file);
            let actor = Actor::system("cli");
            let outcome = match args.kind {
                ImportKind::Jurisdictions => app.import_jurisdictions(&actor, &name, &bytes).await,
                ImportKind::Persons => app.import_persons(&actor, &name, &bytes).await,
                ImportKind::RiskAreas => app.import_risk_areas(&actor, &name, &bytes).await,
                ImportKind::Venues => app.import_venues(&actor, &name, &bytes).await,
                ImportKind::SentinelReports => {
                    app.import_sentinel_reports(&actor, &name, &bytes).await
                }
                ImportKind::Vaccinations => {
                    let started = std::time::Instant::now();
                    let done = app.import_vaccinations(&actor, &name, &bytes).await;
                    app.store().close().await;
                    let o = match done {
                        Ok(o) => o,
                        Err(fangkong_app::Error::Import(errors)) => bail!(
                            "{errors}\nnothing was imported ({} bad value(s))",
                            errors.errors.len()
                        ),
                        Err(e) => return Err(e).context(format!("importing {name}")),
                    };
                    println!(
                        "{name}: {} rows in {:.2} s: {} doses added, {} corrected, {} unchanged; {} persons' status updated",
                        o.rows,
                        started.elapsed().as_secs_f64(),
                        o.inserted,
                        o.updated,
                        o.unchanged,
                        o.persons
                    );
                    return Ok(());
                }
                ImportKind::Fhir => {
                    let done = app.import_fhir(&actor, &name, &bytes).await;
                    app.store().close().await;
                    let o = done.with_context(|| format!("importing {name}"))?;
                    let refused: Vec<_> =
                        o.outcomes.iter().filter(|e| !e.issues.is_empty()).collect();
                    println!(
                        "{name}: {} entries: {} patients, {} immunizations, {} lab results applied; {} refused{}",
                        o.outcomes.len(),
                        o.patients,
                        o.doses,
                        o.results,
                        refused.len(),
                        if o.applied { "" } else { " (a transaction: nothing applied)" }
                    );
                    for i in o.issues().iter().take(50) {
                        println!("  {name}: {}: {}", i.path, i.message);
                    }
                    if !refused.is_empty() {
                        bail!("{} entries refused", refused.len());
                    }
                    return Ok(());
                }
                ImportKind::Checkins => {
                    let started = std::time::Instant::now();
                    let done = app.import_checkins(&actor, &name, &bytes).await;
                    app.store().close().await;
                    let o = match done {
                        Ok(o) => o,
                        Err(fangkong_app::Error::Import(errors)) => bail!(
                            "{errors}\nnothing was imported ({} bad value(s))",
                            errors.errors.len()
                        ),
                        Err(e) => return Err(e).context(format!("importing {name}")),
                    };
                    println!(
                        "{name}: {} rows in {:.2} s: {} check-ins stored, {} already stored, {} refused",
                        o.rows,
                        started.elapsed().as_secs_f64(),
                        o.stored,
                        o.duplicates,
                        o.refused.len()
                    );
                    for (line, field, reason) in o.refused.iter().take(20) {
                        println!("  {name}:{line}: {field}: {reason}");
                    }
                    return Ok(());
                }
                ImportKind::Samples | ImportKind::Results => {
                    let bar = BarProgress::default();
                    let report = match args.kind {
                        ImportKind::Samples => {
                            app.ingest_samples_with(&actor, &name, &bytes, &bar).await
                        }
                        _ => app.ingest_results_with(&actor, &name, &bytes, &bar).await,
                    };
                    app.store().close().await;
                    return testing_report(report);
                }
                ImportKind::Travel => {
                    app.ensure_default_policy().await?;
                    let started = std::time::Instant::now();
                    let done = app.import_travel(&actor, &name, &bytes).await;
                    app.store().close().await;
                    return match done {
                        Ok(o) => {
                            println!(
                                "{name}: {} rows in {:.2} s (classifying {} ms): {} arrivals new, \
                                 {} merged, {} unchanged; {} travellers registered, {} updated; \
                                 {} measures assigned",
                                o.rows,
                                started.elapsed().as_secs_f64(),
                                o.classify_ms,
                                o.entries_created,
                                o.entries_merged,
                                o.entries_unchanged,
                                o.persons_created,
                                o.persons_updated,
                                o.measures_created
                            );
                            for (rule, n) in &o.by_rule {
                                println!("  {rule}: {n}");
                            }
                            Ok(())
                        }
                        Err(fangkong_app::Error::Import(errors)) => bail!(
                            "{errors}\nnothing was imported ({} bad value(s))",
                            errors.errors.len()
                        ),
                        Err(e) => Err(e).context(format!("importing {name}")),
                    };
                }
                ImportKind::Policy => {
                    let text = String::from_utf8(bytes)
                        .with_context(|| format!("{name} is not UTF-8 text"))?;
                    let loaded = app.load_policy(&actor, &name, &text).await;
                    app.store().close().await;
                    return match loaded {
                        Ok((v, added)) => {
                            println!(
                                "{name}: policy {} effective from {}, {} rules: {}",
                                v.stored.version,
                                v.stored.effective_from,
                                v.stored.rules,
                                if added { "loaded" } else { "already loaded" }
                            );
                            Ok(())
                        }
                        Err(fangkong_app::Error::Import(errors)) => bail!(
                            "{errors}\nthe policy was not loaded ({} problem(s))",
                            errors.errors.len()
                        ),
                        Err(e) => Err(e).context(format!("loading {name}")),
                    };
                }
            };
            app.store().close().await;
            match outcome {
                Ok(o) => {
                    println!(
                        "{name}: {} rows: {} created, {} updated, {} unchanged",
                        o.rows, o.created, o.updated, o.unchanged
                    );
                    Ok(())
                }
                Err(fangkong_app::Error::Import(errors)) => {
                    bail!(
                        "{errors}\nnothing was imported ({} bad value(s))",
                        errors.errors.len()
                    )
                }
                Err(e) => Err(e).context(format!("importing {name}")),
            }
        }
        Command::Export(args) => {
            // An export never overwrites: checked before anything is exported (and audited),
            // and again when the file is created, which also refuses a planted link.
            if let Some(path) = &args.out {
                if path.symlink_metadata().is_ok() {
                    bail!(
                        "{} exists; an export never overwrites a file, choose another name",
                        path.display()
                    );
                }
            }
            let app = app(open_store(&cli.store).await?);
            // An output file named `.xlsx` gets a workbook, anything else CSV.
            let format = args.out.as_deref().map_or(ExportFormat::Csv, |p| {
                ExportFormat::of_file_name(&p.to_string_lossy())
            });
            let bytes = export(
                &app,
                args.kind,
                args.within.as_deref(),
                args.purpose.as_deref(),
                format,
            )
            .await?;
            app.store().close().await;
            match args.out {
                Some(path) => std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&path)
                    .and_then(|mut file| file.write_all(&bytes))
                    .with_context(|| format!("writing {}", path.display()))?,
                None => std::io::stdout().write_all(&bytes)?,
            }
            Ok(())
        }
        Command::User(cmd) => {
            let app = app(open_store(&cli.store).await?);
            let result = user(&app, cmd).await;
            app.store().close().await;
            result
        }
        Command::Audit(cmd) => {
            let app = app(open_store(&cli.store).await?);
            let result = audit(&app, cmd).await;
            app.store().close().await;
            result
        }
        Command::Purge { before, purpose } => {
            let app = app(open_store(&cli.store).await?);
            let n = app
                .purge_closed_persons(&Actor::system("cli"), before, &purpose)
                .await
                .context("purging closed records");
            app.store().close().await;
            println!(
                "purged the personal data of {} record(s) closed before {before}",
                n?
            );
            Ok(())
        }
        Command::Analyze(cmd @ AnalyzeCommand::Population { .. }) => {
            let app = app(open_store(&cli.store).await?);
            let result = analyze(Some(&app), cmd).await;
            app.store().close().await;
            result
        }
        // The file analyses need no store.
        Command::Analyze(cmd) => analyze(None, cmd).await,
        Command::Drill(DrillCommand::Run(args)) => drill_run(&cli.store, &args).await,
    }
}

/// `fangkong drill run`: prepares the sandbox, serves it on an accelerated clock (unless
/// `--no-serve`), runs the drill and prints its report.
async fn drill_run(store_args: &StoreArgs, args: &DrillRunArgs) -> Result<()> {
    use fangkong_app::drills::{AcceleratedClock, DrillRun, Pace};
    let text = std::fs::read_to_string(&args.scenario)
        .with_context(|| format!("reading scenario {}", args.scenario.display()))?;
    let scenario = fangkong_sim::drill::parse_scenario(&file_name(&args.scenario), &text)?;
    if !(args.speed >= 1.0 && args.speed.is_finite()) {
        bail!("--speed must be at least 1");
    }
    let store = open_store(store_args).await?;
    let start = chrono::Utc::now();
    let (app, pace) = if args.no_serve {
        let clock = Arc::new(fangkong_app::FixedClock::new(start));
        (App::new(store, clock.clone()), Pace::Stepped(clock))
    } else {
        let clock = Arc::new(AcceleratedClock::new(start, args.speed));
        (App::new(store, clock.clone()), Pace::Accelerated(clock))
    };
    eprintln!(
        "preparing the sandbox in {} (city of {} residents)",
        store_args.data.display(),
        scenario.population
    );
    app.prepare_drill_sandbox(&scenario)
        .await
        .context("preparing the sandbox")?;
    let server = if args.no_serve {
        None
    } else {
        let password = fangkong_app::auth::random_password();
        app.upsert_user_password("admin", &password, "admin", None)
            .await
            .context("creating the admin user")?;
        println!();
        println!("  Fangkong drill sandbox: http://{}/", args.addr);
        println!("  username: admin");
        println!("  password: {password}");
        println!(
            "  {} days at {}x: a simulated day every {:.0} s",
            args.until_day.unwrap_or(scenario.days).min(scenario.days),
            args.speed,
            86_400.0 / args.speed
        );
        println!();
        let serving = app.clone();
        let addr = args.addr;
        // The sandbox's briefing comes at the usual evening hour of its accelerated day.
        let sandbox_briefing_at =
            chrono::NaiveTime::from_hms_opt(20, 0, 0).unwrap_or(chrono::NaiveTime::MIN);
        Some(tokio::spawn(async move {
            serve(serving, addr, ServerConfig::default(), sandbox_briefing_at).await
        }))
    };
    let run = DrillRun {
        scenario,
        scenario_text: text,
        until_day: args.until_day,
        pace,
    };
    let id = app
        .run_drill(&Actor::system("drill"), &run)
        .await
        .context("running the drill")?;
    let drill = app.drill(&Actor::system("drill"), id).await?;
    if let Some(r) = &drill.report {
        println!(
            "drill {id} ({}) finished: report at /drills/{id}",
            run.scenario.name
        );
        println!(
            "{:<8} {:<10} {:>6} {:>6} {:>9} {:>9} {:>9} {:>9} {:>5} {:>5} {:>5} {:>6}",
            "county",
            "name",
            "inf",
            "cases",
            "detect_h",
            "report_h",
            "isol_h",
            "treat_h",
            "late",
            "short",
            "stock",
            "score"
        );
        let h = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.1}"));
        for c in r.total.iter().chain(&r.counties) {
            println!(
                "{:<8} {:<10} {:>6} {:>6} {:>9} {:>9} {:>9} {:>9} {:>5} {:>5} {:>5} {:>6.1}",
                c.code,
                c.name,
                c.infections,
                c.cases,
                h(c.detection.median_hours),
                h(c.report.median_hours),
                h(c.isolation.median_hours),
                h(c.treatment.median_hours),
                c.late_reports + c.late_isolations + c.late_tasks,
                c.isolation_shortfall_days + c.bed_shortfall_days,
                c.stockouts,
                c.score
            );
        }
    }
    match server {
        // Operators keep the sandbox after the drill, until interrupted.
        Some(handle) => handle.await.context("the sandbox server")?,
        None => {
            app.store().close().await;
            Ok(())
        }
    }
}

/// Prints what a testing ingest did; fails (after printing) when rows were refused, so a
/// script notices, while the valid rows stay stored.
fn testing_report(report: fangkong_app::Result<fangkong_app::testing::IngestReport>) -> Result<()> {
    let r = match report {
        Ok(r) => r,
        Err(fangkong_app::Error::Import(errors)) => bail!("{errors}\nnothing was imported"),
        Err(e) => return Err(e).context("ingesting"),
    };
    println!(
        "{}: {} rows: {} stored, {} already stored, {} refused",
        r.file,
        r.rows,
        r.stored,
        r.already_stored,
        r.refused.len()
    );
    if r.tubes_created > 0 {
        println!("{} new tubes", r.tubes_created);
    }
    if r.retest_tasks_created + r.suspected_cases_created > 0 || r.fan_out_ms > 0 {
        println!(
            "fan-out: {} retest tasks, {} suspected cases, results and tasks stored in {} ms",
            r.retest_tasks_created, r.suspected_cases_created, r.fan_out_ms
        );
    }
    if r.refused.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = r
        .refused
        .iter()
        .map(|e| format!("{}:{}: {}: {}", r.file, e.line, e.field, e.reason))
        .collect();
    bail!(
        "{}\n{} row(s) refused; the other rows were stored",
        lines.join("\n"),
        r.refused.len()
    )
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// The federation identity of the instance of `code`: the key pair in the data directory's
/// federation.key (created if missing).
fn federation_identity(args: &StoreArgs, code: &str) -> Result<fangkong_app::federation::Identity> {
    let code = fangkong_domain::JurisdictionCode::parse(code)
        .with_context(|| format!("federation code {code}"))?;
    std::fs::create_dir_all(&args.data)
        .with_context(|| format!("creating data directory {}", args.data.display()))?;
    let path = args.data.join("federation.key");
    fangkong_app::federation::Identity::load_or_create(&path, code)
        .with_context(|| format!("reading key file {}", path.display()))
}

async fn peers(args: &StoreArgs, command: crate::cli::PeersCommand) -> Result<()> {
    use crate::cli::PeersCommand;
    let actor = Actor::system("cli");
    match command {
        PeersCommand::Key => {
            // The code does not enter the key; any valid one serves to load it.
            let identity = federation_identity(args, "41")?;
            println!("{}", identity.public_key());
        }
        PeersCommand::Add {
            code,
            url,
            public_key,
        } => {
            let app = app(open_store(args).await?);
            app.add_peer(&actor, &code, &url, &public_key)
                .await
                .context("adding the peer")?;
            println!("peer {code} at {url}");
            app.store().close().await;
        }
        PeersCommand::List => {
            let app = app(open_store(args).await?);
            for p in app.peers(&actor).await.context("listing peers")? {
                println!("{}\t{}\t{}", p.code, p.url, p.public_key);
            }
            app.store().close().await;
        }
        PeersCommand::Remove { code } => {
            let app = app(open_store(args).await?);
            app.remove_peer(&actor, &code)
                .await
                .context("removing the peer")?;
            app.store().close().await;
        }
    }
    Ok(())
}

/// Writes the briefing of `date` (today by default) as a workbook: the stored one, or for
/// today one generated now when none is stored.
async fn briefing(
    app: &App,
    date: Option<chrono::NaiveDate>,
    out: &std::path::Path,
    jurisdiction: Option<&str>,
    lang: &str,
) -> Result<()> {
    let system = Actor::system("cli");
    let day = date.unwrap_or_else(|| app.today());
    let stored = app.briefing(&system, day, jurisdiction).await;
    let b = match stored {
        Ok(b) => b,
        Err(fangkong_app::Error::NotFound) if day == app.today() => {
            let mut actor = system.clone();
            if let Some(code) = jurisdiction {
                actor.scope.root = Some(
                    fangkong_domain::JurisdictionCode::parse(code)
                        .map_err(|e| anyhow::anyhow!("--jurisdiction {code}: {e}"))?,
                );
            }
            app.generate_briefing(&actor, day)
                .await
                .context("generating today's briefing")?
        }
        Err(fangkong_app::Error::NotFound) => {
            anyhow::bail!("no briefing was generated for {day}; only today's can be generated now")
        }
        Err(e) => return Err(e).context("reading the briefing"),
    };
    let bytes =
        fangkong_server::web::briefing::workbook(&b, fangkong_server::i18n::Lang::parse(lang))
            .map_err(|e| anyhow::anyhow!("writing the workbook: {e}"))?;
    std::fs::write(out, bytes).with_context(|| format!("writing {}", out.display()))?;
    println!(
        "briefing of {} for {} ({}) written to {}",
        b.day,
        b.jurisdiction_name,
        b.jurisdiction_code,
        out.display()
    );
    Ok(())
}

async fn serve(
    app: App,
    addr: std::net::SocketAddr,
    config: ServerConfig,
    briefing_at: chrono::NaiveTime,
) -> Result<()> {
    let config = ServerConfig {
        version: env!("CARGO_PKG_VERSION"),
        ..config
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listening on {addr}"))?;
    app.ensure_default_policy()
        .await
        .context("loading the default control-measure policy")?;
    tracing::info!(%addr, backend = app.store().backend().as_str(), "serving");
    // Risk areas whose lifting rule holds are lifted within the hour.
    let sweeper = app.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            match sweeper.lift_due_areas(&Actor::system("lifting-rule")).await {
                Ok(lifted) if !lifted.is_empty() => {
                    tracing::info!(count = lifted.len(), "risk areas lifted by their rule");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "lifting risk areas failed"),
            }
        }
    });
    // The daily aberration run of the sentinels: hourly, each run judging the latest day
    // whose reports are due (10:00 the next morning); a repeated run is a no-op, so the
    // hour after the deadline raises the day's alerts and the others change nothing.
    let watcher = app.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            match watcher
                .run_sentinel_aberration(&Actor::system("aberration-run"), None)
                .await
            {
                Ok(run) if !run.created.is_empty() => {
                    tracing::info!(
                        alerts = run.created.len(),
                        series = run.series,
                        "sentinel alerts raised"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "sentinel aberration run failed"),
            }
        }
    });
    // Overdue co-investigation items move up a level within the hour.
    let escalator = app.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            match escalator
                .escalate_overdue_co_items(&Actor::system("co-investigation-escalation"))
                .await
            {
                Ok(n) if n > 0 => {
                    tracing::info!(items = n, "overdue co-investigation items escalated")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "escalating co-investigation items failed"),
            }
        }
    });
    // Federation: the outbox is delivered to the peers with retries.
    if app.identity().is_some() {
        fangkong_server::federation::spawn_delivery(
            app.clone(),
            fangkong_server::federation::DeliveryConfig::default(),
        );
    }
    // The daily briefing: every minute, once the local time is past `briefing_at`, today's
    // briefings that are missing are generated (the run is a no-op once they exist).
    let briefer = app.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            every.tick().await;
            match briefer.run_scheduled_briefing(briefing_at).await {
                Ok(made) if !made.is_empty() => {
                    tracing::info!(count = made.len(), "daily briefings generated");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "generating the daily briefing failed"),
            }
        }
    });
    // The exposure index is built in the background so that the first investigator does not
    // wait for it (a query before it is ready waits for the same build).
    let warm = app.clone();
    tokio::spawn(async move {
        let started = std::time::Instant::now();
        match warm.warm_exposure_index().await {
            Ok(n) => tracing::info!(
                checkins = n,
                seconds = started.elapsed().as_secs_f64(),
                "exposure index ready"
            ),
            Err(e) => tracing::warn!(error = %e, "building the exposure index failed"),
        }
    });
    let store = app.store().clone();
    let router = fangkong_server::router(app, &config);
    fangkong_server::serve_with(
        listener,
        router,
        &config,
        fangkong_server::shutdown_signal(),
    )
    .await?;
    store.close().await;
    Ok(())
}

/// A table of text cells as CSV or XLSX (every cell text, so codes keep their digits).
fn table(
    format: ExportFormat,
    header: &[&str],
    rows: impl Iterator<Item = Vec<String>>,
) -> Result<Vec<u8>> {
    Ok(fangkong_ingest::export::write_table(
        format,
        "export",
        header,
        rows.map(|r| r.into_iter().map(ExportCell::Text).collect()),
    )?)
}

async fn export(
    app: &App,
    kind: ExportKind,
    within: Option<&str>,
    purpose: Option<&str>,
    format: ExportFormat,
) -> Result<Vec<u8>> {
    let actor = Actor::system("cli");
    let within_code = within
        .map(fangkong_domain::JurisdictionCode::parse)
        .transpose()
        .context("--within")?;
    Ok(match kind {
        ExportKind::Jurisdictions => {
            let rows = app
                .store()
                .jurisdictions()
                .list(&Scope::system(), None, None, i64::MAX)
                .await?;
            let rows = rows
                .into_iter()
                .filter(|j| within_code.as_ref().is_none_or(|w| w.contains(&j.code)));
            table(
                format,
                &[
                    "code",
                    "name",
                    "level",
                    "parent_code",
                    "pop_0_14",
                    "pop_15_59",
                    "pop_60_79",
                    "pop_80_plus",
                ],
                rows.map(|j| {
                    let n = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
                    vec![
                        j.code,
                        j.name,
                        j.level,
                        j.parent_code.unwrap_or_default(),
                        n(j.pop_0_14),
                        n(j.pop_15_59),
                        n(j.pop_60_79),
                        n(j.pop_80_plus),
                    ]
                }),
            )?
        }
        ExportKind::Facilities => {
            let mut all = Vec::new();
            loop {
                let page = app
                    .list_facilities(&actor, None, within, 1000, all.len() as i64)
                    .await?;
                let n = page.len();
                all.extend(page);
                if n < 1000 {
                    break;
                }
            }
            table(
                format,
                &[
                    "id",
                    "kind",
                    "subtype",
                    "name",
                    "community_code",
                    "place_code",
                    "capacity",
                    "beds_general",
                    "beds_icu",
                    "beds_isolation",
                    "lon",
                    "lat",
                ],
                all.into_iter().map(|f| {
                    let o = |v: Option<f64>| v.map(|v| format!("{v:.5}")).unwrap_or_default();
                    vec![
                        f.id.to_string(),
                        f.kind,
                        f.subtype,
                        f.name,
                        f.community_code,
                        f.place_code.unwrap_or_default(),
                        f.capacity.to_string(),
                        f.beds_general.to_string(),
                        f.beds_icu.to_string(),
                        f.beds_isolation.to_string(),
                        o(f.lon),
                        o(f.lat),
                    ]
                }),
            )?
        }
        ExportKind::Persons => {
            let purpose = purpose.context(
                "--purpose is required to export persons (it is recorded in the audit log)",
            )?;
            let all = app.export_persons(&actor, within, purpose).await?;
            // Identifiers stay masked; full numbers are revealed one person at a time, each
            // reveal audited.
            table(
                format,
                &[
                    "id",
                    "name",
                    "document_kind",
                    "id_number_masked",
                    "sex",
                    "birth_date",
                    "phone_masked",
                    "community_code",
                    "household_id",
                ],
                all.into_iter().map(|p| {
                    vec![
                        p.id.to_string(),
                        p.name,
                        p.doc_kind,
                        p.doc_masked,
                        p.sex,
                        p.birth_date,
                        p.phone_masked.unwrap_or_default(),
                        p.community_code,
                        p.household_id.map(|h| h.to_string()).unwrap_or_default(),
                    ]
                }),
            )?
        }
    })
}

async fn user(app: &App, cmd: UserCommand) -> Result<()> {
    match cmd {
        UserCommand::Add {
            username,
            role,
            jurisdiction,
            org,
            password_stdin,
        } => {
            let (password, generated) = if password_stdin {
                let mut s = String::new();
                std::io::stdin()
                    .read_to_string(&mut s)
                    .context("reading the password from standard input")?;
                (s.trim_end_matches(['\r', '\n']).to_string(), false)
            } else {
                (fangkong_app::auth::random_password(), true)
            };
            let user = app
                .create_user_in(
                    &username,
                    &password,
                    &role,
                    jurisdiction.as_deref(),
                    org.as_deref(),
                )
                .await
                .with_context(|| format!("adding user {username}"))?;
            println!(
                "user {} ({}) created, jurisdiction {}",
                user.username,
                user.role,
                user.jurisdiction_code.as_deref().unwrap_or("all")
            );
            if generated {
                println!("password: {password}");
            }
            Ok(())
        }
        UserCommand::List => {
            println!(
                "{:<20} {:<20} {:<14} status",
                "username", "role", "jurisdiction"
            );
            for u in app.store().users().list().await? {
                println!(
                    "{:<20} {:<20} {:<14} {}",
                    u.username,
                    u.role,
                    u.jurisdiction_code.as_deref().unwrap_or("all"),
                    if u.disabled { "disabled" } else { "active" }
                );
            }
            Ok(())
        }
        UserCommand::Disable { username } => {
            let user = app
                .store()
                .users()
                .find_by_username(&username)
                .await?
                .with_context(|| format!("no user {username}"))?;
            app.store().users().set_disabled(user.id, true).await?;
            println!("user {username} disabled");
            Ok(())
        }
        UserCommand::Token {
            username,
            expires,
            name,
            permissions,
            jurisdiction,
        } => {
            let request = fangkong_app::auth::TokenRequest {
                name,
                expires_days: expires,
                permissions,
                jurisdiction,
            };
            let token = app
                .create_scoped_token(&username, &request)
                .await
                .with_context(|| format!("issuing a token for {username}"))?;
            println!("{token}");
            Ok(())
        }
        UserCommand::Tokens { username } => {
            let user = app
                .store()
                .users()
                .find_by_username(&username)
                .await?
                .with_context(|| format!("no user {username}"))?;
            println!(
                "{:<6} {:<16} {:<8} {:<28} jurisdiction",
                "id", "name", "status", "permissions"
            );
            for t in app.store().users().tokens_of(user.id).await? {
                let status = if t.revoked_at.is_some() {
                    "revoked"
                } else if t.expires_at.is_some_and(|e| e <= app.now_ms()) {
                    "expired"
                } else {
                    "live"
                };
                println!(
                    "{:<6} {:<16} {:<8} {:<28} {}",
                    t.id,
                    t.name,
                    status,
                    t.permissions.as_deref().unwrap_or("(role)"),
                    t.jurisdiction_code.as_deref().unwrap_or("(user's)")
                );
            }
            Ok(())
        }
        UserCommand::RevokeToken { id } => {
            app.revoke_api_token(id)
                .await
                .with_context(|| format!("revoking token {id}"))?;
            println!("token {id} revoked");
            Ok(())
        }
    }
}

async fn audit(app: &App, cmd: AuditCommand) -> Result<()> {
    match cmd {
        AuditCommand::Verify => {
            let v = app.verify_audit().await?;
            match v.first_broken {
                None => {
                    println!("audit chain intact: {} entries", v.entries);
                    Ok(())
                }
                Some((id, why)) => bail!(
                    "audit chain broken at entry {id}: {why} ({} entries before it verified)",
                    v.entries
                ),
            }
        }
        AuditCommand::List { limit, action } => {
            let filter = fangkong_store::audit::AuditFilter {
                action,
                limit,
                ..Default::default()
            };
            for e in app.search_audit(&Actor::system("cli"), &filter).await? {
                let at = chrono::DateTime::from_timestamp_millis(e.at)
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default();
                println!(
                    "{:>6} {at} {:<24} {:<20} {}:{} {}",
                    e.id,
                    e.actor,
                    e.action,
                    e.object_type,
                    e.object_id.as_deref().unwrap_or("-"),
                    e.purpose.as_deref().unwrap_or("")
                );
            }
            Ok(())
        }
    }
}

async fn analyze(app: Option<&App>, cmd: AnalyzeCommand) -> Result<()> {
    use fangkong_app::analysis;
    let read = |path: &std::path::Path| -> Result<(String, Vec<u8>)> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        Ok((file_name(path), bytes))
    };
    let report = |e: fangkong_app::Error| -> anyhow::Error {
        match e {
            fangkong_app::Error::Import(errors) => anyhow::anyhow!("{errors}"),
            other => anyhow::anyhow!(other),
        }
    };
    match cmd {
        AnalyzeCommand::Pooling {
            prevalence,
            sensitivity,
            specificity,
            max_pool,
            json,
        } => {
            let (k, e) = analysis::pooling(prevalence, sensitivity, specificity, max_pool)
                .map_err(report)?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "optimal_pool_size": k, "tests_per_person": e })
                );
            } else {
                println!("prevalence {prevalence}: pools of {k}, {e:.4} tests per person ({:.1}x fewer than single tubes)", 1.0 / e);
            }
            Ok(())
        }
        AnalyzeCommand::Aberration {
            method,
            input,
            alpha,
            baseline,
            years,
            window,
            json,
        } => {
            let (name, bytes) = read(&input)?;
            let options = analysis::AberrationOptions {
                alpha,
                baseline,
                years,
                window,
            };
            let evaluations =
                analysis::aberration(&name, &bytes, &method, &options).map_err(report)?;
            if json {
                let out: Vec<_> = evaluations
                    .iter()
                    .map(|e| serde_json::json!({
                        "date": e.date.to_string(), "observed": e.observed, "expected": e.expected,
                        "threshold": e.threshold, "alarm": e.alarm,
                    }))
                    .collect();
                println!("{}", serde_json::Value::from(out));
            } else {
                println!(
                    "{:<10} {:>8} {:>10} {:>10} alarm",
                    "date", "observed", "expected", "threshold"
                );
                for e in &evaluations {
                    let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2}"));
                    let o = e.observed.map_or("-".to_string(), |v| v.to_string());
                    println!(
                        "{:<10} {:>8} {:>10} {:>10} {}",
                        e.date,
                        o,
                        f(e.expected),
                        f(e.threshold),
                        if e.alarm { "ALARM" } else { "" }
                    );
                }
            }
            Ok(())
        }
        AnalyzeCommand::Rt {
            input,
            si_mean,
            si_sd,
            window,
            json,
        } => {
            let (name, bytes) = read(&input)?;
            let (series, estimates) =
                analysis::rt(&name, &bytes, si_mean, si_sd, window).map_err(report)?;
            let date = |i: usize| series.date(i).map(|d| d.to_string()).unwrap_or_default();
            if json {
                // t_start and t_end count days from 1, as EpiEstim does.
                let out: Vec<_> = estimates
                    .iter()
                    .map(|r| serde_json::json!({
                        "t_start": r.t_start + 1, "t_end": r.t_end + 1,
                        "start_date": date(r.t_start), "end_date": date(r.t_end),
                        "mean": r.mean, "std": r.std, "q025": r.q025, "median": r.median, "q975": r.q975,
                    }))
                    .collect();
                println!("{}", serde_json::Value::from(out));
            } else {
                println!(
                    "{:<10} {:<10} {:>7} {:>7} {:>7} {:>7}",
                    "start", "end", "mean", "std", "q025", "q975"
                );
                for r in &estimates {
                    println!(
                        "{:<10} {:<10} {:>7.3} {:>7.3} {:>7.3} {:>7.3}",
                        date(r.t_start),
                        date(r.t_end),
                        r.mean,
                        r.std,
                        r.q025,
                        r.q975
                    );
                }
            }
            Ok(())
        }
        AnalyzeCommand::Population { code, json } => {
            let app = app.context("analyze population needs the store")?;
            let actor = Actor::system("cli");
            let code = match code {
                Some(c) => c,
                None => app
                    .top_jurisdiction(&actor)
                    .await
                    .context("finding the top jurisdiction")?,
            };
            let p = app.population_profile(&actor, &code).await?;
            if json {
                let bands: Vec<_> = p
                    .bands
                    .iter()
                    .map(|b| {
                        serde_json::json!({
                            "band": b.band, "census": b.census, "registered_male": b.male,
                            "registered_female": b.female, "coverage": b.coverage(),
                        })
                    })
                    .collect();
                let out = serde_json::json!({ "code": p.code, "name": p.name, "date": p.date.to_string(), "bands": bands });
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                println!(
                    "{} {} — registered residents on {} vs census",
                    p.code, p.name, p.date
                );
                println!(
                    "{:<8} {:>12} {:>12} {:>12} {:>9}",
                    "band", "census", "male", "female", "coverage"
                );
                for b in &p.bands {
                    let census = b.census.map_or("-".to_string(), |c| c.to_string());
                    let cov = b
                        .coverage()
                        .map_or("-".to_string(), |c| format!("{:.1}%", c * 100.0));
                    println!(
                        "{:<8} {:>12} {:>12} {:>12} {:>9}",
                        b.band, census, b.male, b.female, cov
                    );
                }
            }
            Ok(())
        }
    }
}

/// A progress bar on stderr for long steps.
#[derive(Default)]
struct BarProgress {
    bar: std::sync::Mutex<Option<ProgressBar>>,
}

impl Progress for BarProgress {
    fn start(&self, step: &str, total: u64) {
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template(
                "{msg:>14} [{bar:40}] {human_pos}/{human_len} {per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_message(step.to_string());
        bar.enable_steady_tick(Duration::from_millis(200));
        if let Ok(mut slot) = self.bar.lock() {
            *slot = Some(bar);
        }
    }

    fn advance(&self, n: u64) {
        if let Ok(slot) = self.bar.lock() {
            if let Some(bar) = slot.as_ref() {
                bar.inc(n);
            }
        }
    }

    fn finish(&self) {
        if let Ok(mut slot) = self.bar.lock() {
            if let Some(bar) = slot.take() {
                bar.finish();
            }
        }
    }
}
