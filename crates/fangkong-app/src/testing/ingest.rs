//! Ingest of sample collections and lab results from files, keeping the valid rows.
//!
//! Files of a whole-city round hold millions of rows: they are stored in chunks of
//! [`CHUNK_ROWS`], one transaction each, with progress reported per chunk. This module does
//! no SQL and never holds more than a few chunks of prepared rows.

use std::time::Instant;

use fangkong_domain::Permission;
use fangkong_ingest::RowError;
use fangkong_store::testing::{Batch, ResultRow, SampleRefusal, SampleRow};
use rayon::prelude::*;

use crate::demo::{NoProgress, Progress};
use crate::{Actor, App, Error, Result};

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

/// Rows stored per transaction: large enough that a commit's fsync is cheap per row, small
/// enough that memory stays bounded and an interrupted ingest leaves whole chunks (a re-run
/// skips them: ingest is idempotent).
pub const CHUNK_ROWS: usize = 100_000;

/// A sample file with at least one row for every this many persons on record is resolved
/// against a snapshot of the document index rather than by a probe per row.
const SNAPSHOT_SHARE: usize = 16;

/// Chunks prepared ahead of the writer, at most.
const PIPELINE_DEPTH: usize = 2;

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
        crate::telemetry::measured(
            "samples",
            self.ingest_samples_unmeasured(actor, file_name, bytes),
        )
        .await
    }

    /// [`App::ingest_samples`] without its metrics.
    async fn ingest_samples_unmeasured(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<IngestReport> {
        self.ingest_samples_with(actor, file_name, bytes, &NoProgress)
            .await
    }

    /// Ingests sample collections like [`App::ingest_samples`], reporting progress in rows.
    ///
    /// The rows are stored in transactions of [`CHUNK_ROWS`], in file order, while the rest
    /// of the file is still being parsed; the blind indexes of the next chunk are computed on
    /// all cores and its persons looked up while the current one is written (in a snapshot
    /// of the document index read at the start when the file holds a row for at least one
    /// in [`SNAPSHOT_SHARE`] persons on record, else by a probe per document). A file that
    /// cannot be read as a whole (no header, a missing column) is refused before any row is
    /// stored. The progress total is an estimate from the file's lines.
    ///
    /// A tube whose members span chunks (or files) is checked against what earlier chunks
    /// stored, so the pool size holds across them. An interrupted ingest leaves whole chunks
    /// stored; sending the file again stores the rest.
    ///
    /// # Errors
    /// As [`App::ingest_samples`]; a database failure leaves the chunks before it stored.
    pub async fn ingest_samples_with(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: &[u8],
        progress: &dyn Progress,
    ) -> Result<IngestReport> {
        actor.require(Permission::TestingSubmit)?;
        let mut report = IngestReport {
            file: file_name.to_string(),
            ..IngestReport::default()
        };
        let estimated_rows = fangkong_ingest::estimate_rows(file_name, bytes);
        progress.start("samples", estimated_rows as u64);
        // Three stages: the file parsed on a blocking thread, each chunk's blind indexes
        // computed there on all cores as it is read; the persons looked up on a reader
        // connection (or in a snapshot); the chunk written on the writer. The parser needs
        // the bytes for as long as it runs, so it gets its own copy (a copy costs far less
        // than the parse).
        let (tx, mut blinded) =
            tokio::sync::mpsc::channel::<(Vec<u64>, Vec<SampleRow>)>(PIPELINE_DEPTH);
        let producer_bytes = bytes.to_vec();
        let producer_name = file_name.to_string();
        let producer_store = self.store().clone();
        let producer = tokio::task::spawn_blocking(move || {
            let persons = producer_store.persons();
            let mut open = true;
            let mut records = 0usize;
            let parsed = fangkong_ingest::testing::parse_samples_chunked(
                &producer_name,
                &producer_bytes,
                CHUNK_ROWS,
                &mut |chunk| {
                    records += chunk.len();
                    if !open {
                        return;
                    }
                    let rows: Vec<SampleRow> = chunk
                        .par_iter()
                        .map(|r| SampleRow {
                            tube_code: r.tube_id.clone(),
                            site_code: r.site_code.clone(),
                            pool_size: i64::from(r.pool_size),
                            round_code: r.round_code.clone(),
                            collected_at_ms: r.collected_at.timestamp_millis(),
                            doc_blind: persons.document_index(&r.document),
                        })
                        .collect();
                    let lines = chunk.iter().map(|r| r.line).collect();
                    // A closed channel means the writer stopped on an error: read on only
                    // to end the parse.
                    open = tx.blocking_send((lines, rows)).is_ok();
                },
            );
            parsed.map(|refused| (records, refused))
        });
        let (tx, mut rx) = tokio::sync::mpsc::channel(1);
        let resolver_store = self.store().clone();
        let resolver = tokio::spawn(async move {
            // A file holding a good part of the population is resolved against a snapshot
            // of the document index, read while the first chunk is parsed.
            let testing = resolver_store.testing();
            let snapshot = match testing.person_id_bound().await {
                Ok(bound)
                    if i64::try_from(estimated_rows.saturating_mul(SNAPSHOT_SHARE))
                        .unwrap_or(i64::MAX)
                        >= bound =>
                {
                    testing.person_snapshot().await
                }
                Ok(_) => Ok(None),
                Err(e) => Err(e),
            };
            let snapshot = match snapshot {
                Ok(snapshot) => snapshot,
                Err(e) => {
                    let _ = tx.send((Vec::new(), Vec::new(), Err(e))).await;
                    return;
                }
            };
            while let Some((lines, rows)) = blinded.recv().await {
                let persons = testing.resolve_persons(&rows, snapshot.as_ref()).await;
                let failed = persons.is_err();
                if tx.send((lines, rows, persons)).await.is_err() || failed {
                    return;
                }
            }
        });
        let mut refused: Vec<RowError> = Vec::new();
        let stored = async {
            while let Some((lines, rows, persons)) = rx.recv().await {
                let persons = persons?;
                let got = self
                    .store()
                    .testing()
                    .ingest_samples_resolved(&rows, &persons)
                    .await?;
                report.stored += got.samples_stored;
                report.already_stored += got.samples_already_stored;
                report.tubes_created += got.tubes_created;
                refused.extend(
                    got.refused
                        .iter()
                        .map(|(i, why)| refusal_error(lines[*i], why)),
                );
                progress.advance(rows.len() as u64);
            }
            Ok::<(), Error>(())
        }
        .await;
        // Stop the stages before returning an error (each ends at its next send).
        drop(rx);
        let _ = resolver.await;
        let parsed = producer
            .await
            .map_err(|e| Error::Conflict(format!("sample parser failed: {e}")))?;
        progress.finish();
        let (records, parse_refused) = parsed?;
        stored?;
        report.rows = (records + distinct_lines(&parse_refused)) as u64;
        refused.extend(parse_refused);
        refused.sort_by_key(|e| e.line);
        report.refused = refused;
        self.record_ingest(actor, "samples", &report).await?;
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
        crate::telemetry::measured(
            "results",
            self.ingest_results_unmeasured(actor, file_name, bytes),
        )
        .await
    }

    /// [`App::ingest_results`] without its metrics.
    async fn ingest_results_unmeasured(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<IngestReport> {
        self.ingest_results_with(actor, file_name, bytes, &NoProgress)
            .await
    }

    /// Ingests tube results like [`App::ingest_results`], reporting progress in rows.
    ///
    /// The rows are stored in transactions of [`CHUNK_ROWS`], each with the fan-out of its
    /// positive and inconclusive pools: a stored result never lacks its retest tasks.
    ///
    /// # Errors
    /// As [`App::ingest_samples_with`].
    pub async fn ingest_results_with(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: &[u8],
        progress: &dyn Progress,
    ) -> Result<IngestReport> {
        actor.require(Permission::TestingSubmit)?;
        let (records, mut refused) =
            fangkong_ingest::testing::parse_results_lenient(file_name, bytes)?;
        let bad_lines = distinct_lines(&refused);
        let mut report = IngestReport {
            file: file_name.to_string(),
            rows: (records.len() + bad_lines) as u64,
            ..IngestReport::default()
        };
        progress.start("results", records.len() as u64);
        let started = Instant::now();
        let now_ms = self.now_ms();
        let stored = async {
            for (k, chunk) in records.chunks(CHUNK_ROWS).enumerate() {
                let rows: Vec<ResultRow> = chunk
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
                let got = self.store().testing().ingest_results(&rows, now_ms).await?;
                report.stored += got.results_stored;
                report.already_stored += got.results_already_stored;
                report.retest_tasks_created += got.retest_tasks_created;
                report.suspected_cases_created += got.suspected_cases_created;
                refused.extend(got.unknown_tubes.iter().map(|i| {
                    RowError::new(
                        records[k * CHUNK_ROWS + *i].line,
                        "tube_id",
                        "no samples were collected in this tube",
                    )
                }));
                progress.advance(rows.len() as u64);
            }
            Ok::<(), Error>(())
        }
        .await;
        progress.finish();
        stored?;
        report.fan_out_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        if report.stored > 0 {
            // A single-tube result may answer an open retest: close those tasks.
            self.store().testing().settle_retests().await?;
        }
        refused.sort_by_key(|e| e.line);
        report.refused = refused;
        log_results_ingest(&report);
        self.record_ingest(actor, "results", &report).await?;
        Ok(report)
    }

    /// Records an accepted upload (`kind` is `samples` or `results`): a row the testing pages
    /// list, and an audit entry with its counts.
    async fn record_ingest(&self, actor: &Actor, kind: &str, report: &IngestReport) -> Result<()> {
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        self.store()
            .testing()
            .record_batch(&Batch {
                kind: kind.to_string(),
                file: report.file.clone(),
                actor: actor.username.clone(),
                rows_read: count(report.rows),
                stored: count(report.stored),
                already_stored: count(report.already_stored),
                refused: count(report.refused.len() as u64),
                retest_tasks_created: count(report.retest_tasks_created),
                suspected_cases_created: count(report.suspected_cases_created),
                fan_out_ms: count(report.fan_out_ms),
                received_at: self.now_ms(),
                ..Batch::default()
            })
            .await?;
        let mut detail = serde_json::json!({
            "stored": report.stored, "already_stored": report.already_stored, "refused": report.refused.len(),
        });
        if kind == "results" {
            detail["retest_tasks"] = report.retest_tasks_created.into();
            detail["suspected_cases"] = report.suspected_cases_created.into();
            detail["fan_out_ms"] = report.fan_out_ms.into();
        }
        self.audit(
            actor,
            &format!("testing.{kind}_ingest"),
            "file",
            Some(report.file.clone()),
            None,
            detail,
        )
        .await?;
        Ok(())
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
