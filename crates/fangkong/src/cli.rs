//! The command line.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Fangkong (防控): the epidemic prevention and control command platform of a city's
/// headquarters. One binary serves the web UI and the JSON API over an embedded SQLite store
/// (default) or PostgreSQL.
///
/// Start here: `fangkong demo` loads a synthetic city (Zhumadian, 200 000 residents) into
/// ./fangkong-data, prints the URL and an admin login, and serves.
#[derive(Debug, Parser)]
#[command(name = "fangkong", version, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub store: StoreArgs,

    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, env = "FANGKONG_LOG_FORMAT")]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

/// Where the data lives.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// Data directory: the SQLite database and the master key file (created if missing).
    #[arg(
        long,
        global = true,
        default_value = "./fangkong-data",
        env = "FANGKONG_DATA"
    )]
    pub data: PathBuf,

    /// Use PostgreSQL at this URL instead of the embedded SQLite store
    /// (e.g. postgres://user@host/db). The master key still comes from --data or
    /// FANGKONG_MASTER_KEY.
    #[arg(long, global = true, env = "FANGKONG_DATABASE_URL")]
    pub database_url: Option<String>,

    /// PostgreSQL connection pool size.
    #[arg(
        long,
        global = true,
        default_value_t = 16,
        env = "FANGKONG_DB_CONNECTIONS"
    )]
    pub db_connections: u32,
}

/// Log output format.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web UI and the API.
    Serve(ServeArgs),
    /// Load the synthetic demo city (if not loaded yet), print an admin login, and serve.
    Demo(DemoArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Import a file: jurisdictions (CSV/XLSX list or GeoJSON boundaries) or persons (CSV/XLSX).
    Import(ImportArgs),
    /// Export a table as CSV (personal identifiers stay masked).
    Export(ExportArgs),
    /// Manage users and API tokens.
    #[command(subcommand)]
    User(UserCommand),
    /// Federation: this instance's public key and the peers it exchanges signed messages with.
    #[command(subcommand)]
    Peers(PeersCommand),
    /// Analyses over the stored data.
    #[command(subcommand)]
    Analyze(AnalyzeCommand),
    /// Drills: run a simulated outbreak through a sandbox instance and score the response.
    #[command(subcommand)]
    Drill(DrillCommand),
    /// The audit log: verify its hash chain, list recent entries.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Write a consistent snapshot of the database to one file, also while the server runs.
    /// The master key is not in the file: keep the data directory's master.key (or
    /// FANGKONG_MASTER_KEY) safe separately.
    Backup {
        /// The backup file to create (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Restore a backup file into an empty data directory (it may hold the master.key that
    /// belongs to the backup), or with --database-url into an empty PostgreSQL database.
    Restore {
        /// A file written by `fangkong backup`.
        file: PathBuf,
    },
    /// Write the daily briefing of a day as an XLSX workbook: the stored one, or for today
    /// one generated now (and stored) when none is.
    Briefing {
        /// The day (YYYY-MM-DD, China Standard Time); today when absent.
        #[arg(long)]
        date: Option<chrono::NaiveDate>,
        /// The workbook to write.
        #[arg(long)]
        out: PathBuf,
        /// A jurisdiction code; the instance's top jurisdiction when absent.
        #[arg(long)]
        jurisdiction: Option<String>,
        /// Language of the workbook's labels: zh-CN or en.
        #[arg(long, default_value = "zh-CN")]
        lang: String,
    },
    /// Remove the personal data of records closed before a date (retention), keeping the
    /// aggregate figures. Audited.
    Purge {
        /// Records closed before this date (YYYY-MM-DD, China Standard Time) are purged.
        #[arg(long)]
        before: chrono::NaiveDate,
        /// Why (recorded in the audit log).
        #[arg(long, default_value = "retention period elapsed")]
        purpose: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum DrillCommand {
    /// Load the scenario's synthetic city into the sandbox (--data, an empty or earlier
    /// sandbox directory), serve it, and feed it the simulated outbreak in accelerated time
    /// through the same ingest paths as real data; at the end, store and print the report.
    Run(DrillRunArgs),
}

#[derive(Debug, Args)]
pub struct DrillRunArgs {
    /// The scenario file (TOML, see scenarios/ and docs/drills.md).
    #[arg(long)]
    pub scenario: std::path::PathBuf,
    /// How much faster than real time the sandbox's clock runs (1440: a day a minute).
    #[arg(long, default_value_t = 1440.0)]
    pub speed: f64,
    /// Stop after this many simulated days (default: the scenario's).
    #[arg(long)]
    pub until_day: Option<u16>,
    /// Do not serve: run the whole drill as fast as possible on a stepped clock, print the
    /// report and exit (tests, rehearsals of a scenario).
    #[arg(long)]
    pub no_serve: bool,
    /// Address to serve the sandbox on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "FANGKONG_ADDR")]
    pub addr: SocketAddr,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain; exits non-zero and names the first broken entry if any entry
    /// was altered or removed.
    Verify,
    /// Print the newest entries.
    List {
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// Only this action, e.g. person.reveal
        #[arg(long)]
        action: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "FANGKONG_ADDR")]
    pub addr: SocketAddr,
    /// Mark cookies Secure (set when a TLS proxy is in front).
    #[arg(long, env = "FANGKONG_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Seconds one request may take, reading its body included, before it is answered 408.
    #[arg(long, default_value_t = 300, env = "FANGKONG_REQUEST_TIMEOUT_SECS")]
    pub request_timeout_secs: u64,
    /// Seconds a connection may take to send a request's headers before it is closed.
    #[arg(long, default_value_t = 30, env = "FANGKONG_HEADER_TIMEOUT_SECS")]
    pub header_timeout_secs: u64,
    /// Federate as the instance of this jurisdiction (e.g. 41 for the province, 4117 for a
    /// city): messages are signed with the key pair in the data directory's federation.key
    /// and delivered to the peers of `fangkong peers`.
    #[arg(long, env = "FANGKONG_FEDERATION_CODE")]
    pub federation_code: Option<String>,
    /// Local time (China Standard Time, HH:MM) at which the daily briefing of the city and of
    /// each county is generated, if not generated by hand already that day.
    #[arg(long, default_value = "20:00", env = "FANGKONG_BRIEFING_AT", value_parser = parse_hh_mm)]
    pub briefing_at: chrono::NaiveTime,
}

fn parse_hh_mm(s: &str) -> Result<chrono::NaiveTime, String> {
    chrono::NaiveTime::parse_from_str(s.trim(), "%H:%M")
        .map_err(|_| "expected HH:MM, e.g. 20:00".to_string())
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Residents to generate.
    #[arg(long, default_value_t = 200_000)]
    pub population: u64,
    /// Random seed: the same seed gives the same city.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// City code (the generator knows the prefecture-level cities of Henan; 4117 = Zhumadian).
    #[arg(long, default_value = "4117")]
    pub city: String,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "FANGKONG_ADDR")]
    pub addr: SocketAddr,
    /// Load (or check) the city and print the login, but do not serve.
    #[arg(long)]
    pub no_serve: bool,
    /// Local time (HH:MM, China Standard Time) of the daily briefing, as for `serve`.
    #[arg(long, default_value = "20:00", env = "FANGKONG_BRIEFING_AT", value_parser = parse_hh_mm)]
    pub briefing_at: chrono::NaiveTime,
}

/// What a file holds.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ImportKind {
    Jurisdictions,
    Persons,
    /// Sample collections (tube_id, id_number, site_code, collected_at, pool_size,
    /// round_code); valid rows are kept, bad rows reported.
    Samples,
    /// Tube results (tube_id, result, ct_orf1ab, ct_n, lab_code, tested_at, reported_at);
    /// positive pools fan out into retest tasks at once.
    Results,
    /// A control-measure policy version (TOML, see docs/policy.md): validated, then stored;
    /// the same version and text again is a no-op.
    Policy,
    /// A risk-area list (code, name, level, optional lift_after_days), all rows or none.
    RiskAreas,
    /// A traveller list (来驻返驻: the person's columns, community_code, origin, arrived_at,
    /// departed_on, route, vaccination, ...), all rows or none: each arrival classified and
    /// assigned its control measure. Needs a policy version in force.
    Travel,
    /// A venue list (place_code, name, kind, optional address, community_code, lat, lon), all
    /// rows or none; venues are created or updated by place code.
    Venues,
    /// Check-ins (national_id or person_id, place_code, time_in, optional time_out; CSV,
    /// XLSX or NDJSON): valid rows stored, refused rows listed, rows already stored skipped.
    Checkins,
    /// Sentinel daily reports (sentinel_id, day, indicator, count), all rows or none; a count
    /// already stored is left alone, a different one replaces it (a correction).
    SentinelReports,
    /// A vaccination list (id_number, dose_number, product, vaccinated_on, optional lot,
    /// site; CSV, XLSX or NDJSON), all rows or none; a dose already stored is left alone, a
    /// different one corrects it.
    Vaccinations,
    /// FHIR R4 resources (a Bundle of type batch, transaction or collection, NDJSON, or one
    /// resource): Patient, Immunization, Observation (lab results), DiagnosticReport. A
    /// transaction is all or nothing; otherwise each valid entry is applied.
    Fhir,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// What the file holds.
    pub kind: ImportKind,
    /// The file (.csv, .xlsx, .ndjson for samples and results, .geojson for jurisdiction
    /// boundaries, .toml for a policy).
    pub file: PathBuf,
}

/// What to export.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportKind {
    Jurisdictions,
    Facilities,
    Persons,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// What to export.
    pub kind: ExportKind,
    /// Only this jurisdiction's subtree.
    #[arg(long)]
    pub within: Option<String>,
    /// Output file: an XLSX workbook when the name ends in `.xlsx`, else CSV (UTF-8 with BOM);
    /// standard output (CSV) when absent. An existing file is never overwritten.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Why the export is made (required for persons; recorded in the audit log).
    #[arg(long)]
    pub purpose: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum PeersCommand {
    /// Print this instance's public key (creating the key pair in the data directory's
    /// federation.key if missing), to configure at the peers.
    Key,
    /// Add a peer, or change its URL and key.
    Add {
        /// The peer's jurisdiction code.
        code: String,
        /// The peer's base URL, e.g. https://fangkong.example.gov.cn.
        url: String,
        /// The peer's Ed25519 public key (base64), as its `fangkong peers key` prints.
        public_key: String,
    },
    /// List the peers.
    List,
    /// Remove a peer.
    Remove { code: String },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is read from standard input with --password-stdin, else
    /// generated and printed.
    Add {
        #[arg(long)]
        username: String,
        /// Role: admin, commander, inbound-staff, sentinel-staff, testing-staff,
        /// tracing-staff, isolation-staff, treatment-staff, immunization-staff,
        /// supplies-staff, county-operator, sentinel-reporter, lab-submitter, auditor,
        /// fever-clinic-staff.
        #[arg(long)]
        role: String,
        /// Jurisdiction code the user is limited to (default: the whole instance).
        #[arg(long)]
        jurisdiction: Option<String>,
        /// Organisation unit: hq-office, dept-inbound, dept-sentinel, dept-testing,
        /// dept-tracing, dept-isolation, dept-treatment, dept-immunization, dept-supplies, or
        /// hq-CODE for a county or township headquarters.
        #[arg(long)]
        org: Option<String>,
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users.
    List,
    /// Disable a user and end their sessions.
    Disable { username: String },
    /// Issue an API bearer token for a user and print it.
    Token {
        #[arg(long)]
        username: String,
        /// Days until the token expires (default: never).
        #[arg(long)]
        expires: Option<u32>,
        /// A name to recognise the token by.
        #[arg(long, default_value = "cli")]
        name: String,
        /// Narrow the token to these permissions (comma-separated, e.g. persons.read).
        #[arg(long, value_delimiter = ',')]
        permissions: Option<Vec<String>>,
        /// Narrow the token to this jurisdiction (inside the user's).
        #[arg(long)]
        jurisdiction: Option<String>,
    },
    /// List a user's API tokens.
    Tokens { username: String },
    /// Revoke an API token by id.
    RevokeToken { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum AnalyzeCommand {
    /// Best pool size for two-stage (Dorfman) pooled testing at a prevalence.
    Pooling {
        /// Expected share of positives, 0 to 1 (e.g. 0.0001).
        #[arg(long)]
        prevalence: f64,
        /// Sensitivity of the test (1 = perfect).
        #[arg(long, default_value_t = 1.0)]
        sensitivity: f64,
        /// Specificity of the test (1 = perfect).
        #[arg(long, default_value_t = 1.0)]
        specificity: f64,
        /// Largest pool size considered.
        #[arg(long, default_value_t = 20)]
        max_pool: u32,
        /// Print JSON: {"optimal_pool_size": k, "tests_per_person": e}.
        #[arg(long)]
        json: bool,
    },
    /// Aberration detection on a `date,count` series (daily, or weekly 7 days apart).
    Aberration {
        /// ears-c1, ears-c2, ears-c3, cusum or farrington (the improved method of Noufaily
        /// et al. 2013).
        #[arg(long)]
        method: String,
        /// CSV or XLSX with columns date (YYYY-MM-DD) and count.
        #[arg(long)]
        input: PathBuf,
        /// Significance level (EARS default 0.001, C3 0.025; Farrington 0.05).
        #[arg(long)]
        alpha: Option<f64>,
        /// Baseline length of EARS and CUSUM (default 7).
        #[arg(long)]
        baseline: Option<usize>,
        /// Years of history of Farrington (default 5).
        #[arg(long)]
        years: Option<u32>,
        /// Half-width of Farrington's reference windows (default 3).
        #[arg(long)]
        window: Option<usize>,
        /// Print a JSON array, one object per evaluated date.
        #[arg(long)]
        json: bool,
    },
    /// Instantaneous reproduction number (Cori et al. 2013, as EpiEstim estimate_R with a
    /// parametric serial interval) on a daily `date,count` incidence series.
    Rt {
        #[arg(long)]
        input: PathBuf,
        /// Mean of the serial interval in days.
        #[arg(long)]
        si_mean: f64,
        /// Standard deviation of the serial interval in days.
        #[arg(long)]
        si_sd: f64,
        /// Length of the sliding window in days.
        #[arg(long, default_value_t = 7)]
        window: usize,
        /// Print a JSON array, one object per window.
        #[arg(long)]
        json: bool,
    },
    /// Registered residents by age band and sex against the census figures of a
    /// jurisdiction, to check the registry's coverage.
    Population {
        /// Jurisdiction code (default: the top of the hierarchy).
        #[arg(long)]
        code: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}
