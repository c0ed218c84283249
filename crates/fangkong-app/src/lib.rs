//! The capabilities of Fangkong, one module each, over the `Store`.
//!
//! This crate decides who may do what (roles, permissions, jurisdiction scope), validates
//! input, runs imports and loads the demo city. It knows neither HTTP nor HTML: the server
//! and the CLI call it. Time comes from the `Clock` in `App`, never from the system directly,
//! so tests can pin it.

pub mod analysis;
pub mod audit;
pub mod auth;
pub mod briefing;
pub mod bulk;
pub mod clock;
pub mod co_investigation;
pub mod coldchain;
pub mod command;
pub mod dashboard;
pub mod demo;
pub mod drills;
mod error;
pub mod facilities;
pub mod federation;
pub mod fever;
pub mod fhir;
pub mod forecast;
pub mod immunization;
pub mod inbound;
pub mod isolation;
pub mod jurisdictions;
pub mod measures;
pub mod persons;
pub mod scenario;
pub mod sentinel;
pub mod supplies;
mod telemetry;
pub mod testing;
pub mod tracing;
pub mod treatment;

use std::sync::Arc;

pub use auth::{Actor, Role};
pub use clock::{Clock, FixedClock, SystemClock};
pub use error::Error;
pub use fangkong_store::Store;

/// Result type of the app.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The application: the store plus the clock. Cheap to clone.
#[derive(Clone)]
pub struct App {
    store: Store,
    clock: Arc<dyn Clock>,
    /// The in-memory exposure index of check-ins (see `tracing`).
    exposure: tracing::SharedExposure,
    /// This instance's federation identity, when configured.
    identity: Option<Arc<federation::Identity>>,
    /// Woken when a message is written to the federation outbox.
    outbox_signal: Arc<tokio::sync::Notify>,
    /// Bulk operations this process is working on (see `bulk`).
    running_bulk: Arc<std::sync::Mutex<std::collections::HashSet<i64>>>,
    /// Computed dashboards kept for a short while (see `dashboard`).
    dashboard_cache: Arc<dashboard::DashboardCache>,
    /// The dashboard's population-wide figures, kept (see `dashboard`).
    population_cache: Arc<dashboard::PopulationCache>,
}

impl App {
    /// An app over `store` reading time from `clock`.
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> App {
        App {
            store,
            clock,
            exposure: Arc::default(),
            identity: None,
            outbox_signal: Arc::default(),
            running_bulk: Arc::default(),
            dashboard_cache: Arc::default(),
            population_cache: Arc::default(),
        }
    }

    /// Keeps each computed dashboard for `ttl` (zero, the default: none). The server sets
    /// two seconds: the dashboard is then at most that old, and a hundred screens cost one
    /// computation per period.
    #[must_use]
    pub fn with_dashboard_cache(mut self, ttl: std::time::Duration) -> App {
        self.dashboard_cache = Arc::new(dashboard::DashboardCache {
            ttl,
            slots: tokio::sync::Mutex::default(),
        });
        self
    }

    /// Keeps the dashboard's population-wide figures (the round's coverage, the supplies at
    /// risk; see [`dashboard::PopulationFigures`]) for `ttl` (zero, the default: computed
    /// with every dashboard), then answers with them while a background computation
    /// replaces them. The server sets a minute: at 7 million residents they take seconds,
    /// the rest of the dashboard milliseconds; the dashboard says when they were computed.
    #[must_use]
    pub fn with_population_figures_kept(mut self, ttl: std::time::Duration) -> App {
        self.population_cache = Arc::new(dashboard::PopulationCache {
            ttl,
            slots: tokio::sync::Mutex::default(),
        });
        self
    }

    /// The store, for health checks and for capabilities that read it directly.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The current time in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    /// Today's date in China Standard Time (UTC+8, no daylight saving), the calendar the
    /// headquarters works in.
    pub fn today(&self) -> chrono::NaiveDate {
        clock::china_date(self.clock.now())
    }
}
