//! Ingest of sample collections and lab results from files, keeping the valid rows.

use std::time::Instant;

use fangkong_domain::Permission;
use fangkong_ingest::RowError;
use fangkong_store::testing::{ResultRow, SampleRefusal, SampleRow};

use crate::{Actor, App, Result};

/// What an ingest did.
#[derive(Debug, Clone, Default)]
pub struct IngestReport {
    pub file: String,
    /// Data rows read from the file.
    pub rows: u64,
    /// Rows stored now.
    pub stored: u64,
    /// Rows that were stored by an earlier upload (a re-send).
    pub already_stored: u64,
    /// Rows refused, each with line, field and reason; the other rows were kept.
    pub refused: Vec<RowError>,
    pub tubes_created: u64,
    pub retest_tasks_created: u64,
    pub suspected_cases_created: u64,
    /// Milliseconds from the start of storing to every retest task created (the results
    /// and their fan-out commit together).
    pub fan_out_ms: u64,
}

fn refusal_error(line: u64, refusal: &SampleRefusal) -> RowError {
    match refusal {
        SampleRefusal::UnknownPerson => RowError::new(
            line,
            "id_number",
            "no registered person holds this document",
        ),
        SampleRefusal::UnknownRound => RowError::new(line, "round_code", "no such testing round"),
        SampleRefusal::TubeMismatch => RowError::new(
            line,
            "tube_id",
            "the tube exists with another pool size or site",
        ),
        SampleRefusal::PoolFull => RowError::new(
            line,
            "tube_id",
            "the tube already holds as many persons as its pool size",
        ),
    }
}

impl App {
    /// Ingests sample collections, keeping the valid rows.
    ///
    /// # Errors
    /// `Forbidden` without `testing.submit`; `Import` when the file as a whole is unreadable
    /// or lacks a required column.
    pub async fn ingest_samples(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<IngestReport> {
        actor.require(Permission::TestingSubmit)?;
        let (records, mut refused) =
            fangkong_ingest::testing::parse_samples_lenient(file_name, bytes)?;
        let bad_lines = distinct_lines(&refused);
        let persons = self.store().persons();
        let rows: Vec<SampleRow> = records
            .iter()
            .map(|r| SampleRow {
                tube_code: r.tube_id.clone(),
                site_code: r.site_code.clone(),
                pool_size: i64::from(r.pool_size),
                round_code: r.round_code.clone(),
                collected_at_ms: r.collected_at.timestamp_millis(),
                doc_blind: persons.document_index(&r.document),
            })
            .collect();
        let got = self.store().testing().ingest_samples(&rows).await?;
        refused.extend(
            got.refused
                .iter()
                .map(|(i, why)| refusal_error(records[*i].line, why)),
        );
        refused.sort_by_key(|e| e.line);
        let report = IngestReport {
            file: file_name.to_string(),
            rows: (records.len() + bad_lines) as u64,
            stored: got.samples_stored,
            already_stored: got.samples_already_stored,
            refused,
            tubes_created: got.tubes_created,
            ..IngestReport::default()
        };
        self.audit(actor, "testing.samples_ingest", "file", Some(file_name.to_string()), None, serde_json::json!({
            "stored": report.stored, "already_stored": report.already_stored, "refused": report.refused.len(),
        }))
        .await?;
        Ok(report)
    }

    /// Ingests tube results, keeping the valid rows, and fans out positive and
    /// inconclusive pools at once.
    ///
    /// # Errors
    /// As [`App::ingest_samples`].
    pub async fn ingest_results(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<IngestReport> {
        actor.require(Permission::TestingSubmit)?;
        let (records, mut refused) =
            fangkong_ingest::testing::parse_results_lenient(file_name, bytes)?;
        let bad_lines = distinct_lines(&refused);
        let rows: Vec<ResultRow> = records
            .iter()
            .map(|r| ResultRow {
                tube_code: r.tube_id.clone(),
                outcome: r.outcome.as_str().to_string(),
                ct_orf1ab: r.ct_orf1ab.map(f64::from),
                ct_n: r.ct_n.map(f64::from),
                lab_code: r.lab_code.clone(),
                tested_at_ms: r.tested_at.timestamp_millis(),
                reported_at_ms: r.reported_at.timestamp_millis(),
            })
            .collect();
        let started = Instant::now();
        let got = self
            .store()
            .testing()
            .ingest_results(&rows, self.now_ms())
            .await?;
        let fan_out_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        refused.extend(got.unknown_tubes.iter().map(|i| {
            RowError::new(
                records[*i].line,
                "tube_id",
                "no samples were collected in this tube",
            )
        }));
        refused.sort_by_key(|e| e.line);
        let report = IngestReport {
            file: file_name.to_string(),
            rows: (records.len() + bad_lines) as u64,
            stored: got.results_stored,
            already_stored: got.results_already_stored,
            refused,
            retest_tasks_created: got.retest_tasks_created,
            suspected_cases_created: got.suspected_cases_created,
            fan_out_ms,
            ..IngestReport::default()
        };
        log_results_ingest(&report);
        self.audit(actor, "testing.results_ingest", "file", Some(file_name.to_string()), None, serde_json::json!({
            "stored": report.stored, "already_stored": report.already_stored, "refused": report.refused.len(),
            "retest_tasks": report.retest_tasks_created, "suspected_cases": report.suspected_cases_created,
            "fan_out_ms": report.fan_out_ms,
        }))
        .await?;
        Ok(report)
    }
}

/// How many lines the errors are on (a line may have several bad fields).
fn distinct_lines(errors: &[RowError]) -> usize {
    let mut lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
    lines.sort_unstable();
    lines.dedup();
    lines.len()
}

/// Logs the outcome of a result ingest (counts only).
fn log_results_ingest(report: &IngestReport) {
    tracing::info!(
        file = %report.file,
        stored = report.stored,
        refused = report.refused.len(),
        retest_tasks = report.retest_tasks_created,
        suspected_cases = report.suspected_cases_created,
        fan_out_ms = report.fan_out_ms,
        "results ingested"
    );
}
