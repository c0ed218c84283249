//! Ingest metrics, recorded through the `metrics` facade: the server's Prometheus recorder
//! renders them at `/metrics`; without a recorder (the command line) they cost nothing.
//!
//! - `fangkong_ingest_files_total{kind, result}`: files (or batches) ingested, `ok` or
//!   `error` (refused whole: unreadable, forbidden, a bad row in an all-or-nothing import);
//! - `fangkong_ingest_rows_total{kind, outcome}`: rows `accepted` (stored, or already
//!   stored) and `refused` (kept out with a reason, in the imports that keep valid rows);
//! - `fangkong_ingest_duration_seconds{kind}`: how long one file took, parse to commit.
//!
//! `kind` is the capability's name for the file: `samples`, `results`, `checkins`,
//! `vaccinations`, `travel`, `persons`.

use std::future::Future;
use std::time::Instant;

use crate::Result;

/// What an ingest outcome says about its rows.
pub(crate) trait IngestFigures {
    /// Rows read from the file.
    fn rows(&self) -> u64;
    /// Rows kept out with a reason.
    fn refused(&self) -> u64;
}

/// Runs `ingest`, recording its outcome under `kind`.
pub(crate) async fn measured<T: IngestFigures>(
    kind: &'static str,
    ingest: impl Future<Output = Result<T>>,
) -> Result<T> {
    let started = Instant::now();
    let outcome = ingest.await;
    metrics::histogram!("fangkong_ingest_duration_seconds", "kind" => kind)
        .record(started.elapsed().as_secs_f64());
    match &outcome {
        Ok(o) => {
            metrics::counter!("fangkong_ingest_files_total", "kind" => kind, "result" => "ok")
                .increment(1);
            let refused = o.refused();
            metrics::counter!("fangkong_ingest_rows_total", "kind" => kind, "outcome" => "accepted")
                .increment(o.rows().saturating_sub(refused));
            metrics::counter!("fangkong_ingest_rows_total", "kind" => kind, "outcome" => "refused")
                .increment(refused);
        }
        Err(_) => {
            metrics::counter!("fangkong_ingest_files_total", "kind" => kind, "result" => "error")
                .increment(1);
        }
    }
    outcome
}

impl IngestFigures for crate::testing::IngestReport {
    fn rows(&self) -> u64 {
        self.rows
    }
    fn refused(&self) -> u64 {
        self.refused.len() as u64
    }
}

impl IngestFigures for crate::tracing::CheckinImport {
    fn rows(&self) -> u64 {
        self.rows
    }
    fn refused(&self) -> u64 {
        self.refused.len() as u64
    }
}

impl IngestFigures for crate::immunization::VaccinationsRecorded {
    fn rows(&self) -> u64 {
        self.rows
    }
    fn refused(&self) -> u64 {
        0
    }
}

impl IngestFigures for crate::measures::ArrivalsOutcome {
    fn rows(&self) -> u64 {
        self.rows
    }
    fn refused(&self) -> u64 {
        0
    }
}

impl IngestFigures for crate::jurisdictions::ImportOutcome {
    fn rows(&self) -> u64 {
        self.rows
    }
    fn refused(&self) -> u64 {
        0
    }
}
