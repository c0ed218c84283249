//! Imported cold-chain goods (the third of the four pockets): batches in cold stores, their
//! test results, their movements downstream, the workers who handled them, and the control
//! tasks a positive result opens.
//!
//! A batch belongs to the jurisdiction of its cold store: reading it needs `inbound.read` and
//! that jurisdiction in scope, writing needs `inbound.manage`. Downstream locations and
//! workers may lie anywhere; a task is routed to its location's jurisdiction or to the
//! worker's community of residence, and listed and closed only there. A worker is named by
//! national ID number and found through the registry's blind index; the number itself is never
//! stored here, and workers are shown masked.

use fangkong_domain::mask::mask_name;
use fangkong_domain::{Document, JurisdictionCode, NationalId, Permission, Scope};
use fangkong_ingest::coldchain::parse_quantity;
use fangkong_ingest::testing::parse_time;
use fangkong_ingest::{FileErrors, RowError};
use fangkong_store::coldchain::{
    Batch, BatchStored, Moved, NewBatch, NewDistribution, NewExposure, NewResult, Recorded, Task,
    TaskFilter, TestResult,
};
use fangkong_store::facilities::Facility;

use crate::jurisdictions::ImportOutcome;
use crate::{Actor, App, Error, Result};

/// The facility subtype of a cold store.
pub const COLD_STORE_SUBTYPE: &str = "cold_chain_store";
/// Sample kinds of a test.
pub const SAMPLE_KINDS: [&str; 3] = ["goods", "packaging", "environment"];
/// Results of a test.
pub const RESULTS: [&str; 2] = ["negative", "positive"];
/// Task statuses.
pub const TASK_STATUSES: [&str; 2] = ["open", "done"];
/// Batch statuses.
pub const BATCH_STATUSES: [&str; 4] = ["in_store", "distributed", "sealed", "destroyed"];
/// The most rows a list returns.
pub const MAX_LIST: i64 = 1_000;

/// The code a facility is named by: its place code, or else its id.
pub fn facility_code(id: i64, place_code: Option<&str>) -> String {
    place_code.map_or_else(|| id.to_string(), str::to_string)
}

/// A test result to record.
#[derive(Debug, Clone)]
pub struct ResultInput<'a> {
    pub sample_kind: &'a str,
    pub result: &'a str,
    pub tested_at: &'a str,
    pub lab: &'a str,
}

/// Where a batch went or was handled: a facility by code, or a free address with the code
/// of its jurisdiction.
#[derive(Debug, Clone, Default)]
pub struct LocationInput<'a> {
    pub facility: Option<&'a str>,
    pub address: Option<&'a str>,
    pub jurisdiction_code: Option<&'a str>,
}

/// A movement downstream to record.
#[derive(Debug, Clone)]
pub struct DistributionInput<'a> {
    pub location: LocationInput<'a>,
    pub quantity: f64,
    pub moved_at: &'a str,
}

/// A worker's exposure to record; without a location, at the cold store.
#[derive(Debug, Clone)]
pub struct ExposureInput<'a> {
    pub id_number: &'a str,
    pub location: LocationInput<'a>,
    pub handled_at: &'a str,
}

/// A place a batch reached: its cold store (with the quantity that arrived) or one movement
/// downstream.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    pub key: String,
    /// `cold_store` or `downstream`.
    pub kind: &'static str,
    pub facility_code: Option<String>,
    /// The facility's name, or the address.
    pub name: String,
    pub address: Option<String>,
    pub jurisdiction_code: String,
    pub quantity: f64,
    /// Arrival at the cold store, or the movement's time.
    pub at: i64,
}

/// A worker who handled the batch, masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worker {
    pub name_masked: String,
    pub id_number_masked: String,
    pub community_code: String,
    pub location_key: String,
    pub location_name: String,
    pub handled_at: i64,
}

/// A control task as shown: what it names, masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskView {
    pub task: Task,
    /// The location's facility code (seal tasks at a facility).
    pub facility_code: Option<String>,
    /// The location (facility name or address) or the worker's masked name.
    pub label: String,
    pub id_number_masked: Option<String>,
}

/// The full downstream trace of a batch.
#[derive(Debug, Clone)]
pub struct Trace {
    pub batch: Batch,
    pub results: Vec<TestResult>,
    pub locations: Vec<Location>,
    pub workers: Vec<Worker>,
    pub tasks: Vec<TaskView>,
}

fn task_view(task: Task) -> TaskView {
    let facility_code = task
        .facility_id
        .map(|id| facility_code(id, task.facility_place_code.as_deref()));
    let label = match (&task.facility_name, &task.address, &task.person_name) {
        (Some(name), _, _) => name.clone(),
        (None, Some(address), _) => address.clone(),
        (None, None, Some(name)) => mask_name(name),
        _ => String::new(),
    };
    TaskView {
        facility_code,
        label,
        id_number_masked: task.person_doc_masked.clone(),
        task,
    }
}

fn bounds(actor: &Actor) -> (String, String) {
    actor.scope.code_bounds()
}

/// A time of an event of `batch`: parsed, not before the batch arrived, not in the future.
fn event_time(
    invalid: &mut Vec<(String, String)>,
    field: &str,
    text: &str,
    arrived_at: i64,
    now: i64,
) -> Option<i64> {
    let at = match parse_time(text) {
        Ok(t) => t.timestamp_millis(),
        Err(e) => {
            invalid.push((field.to_string(), e.to_string()));
            return None;
        }
    };
    if at < arrived_at {
        invalid.push((field.to_string(), "is before the batch arrived".to_string()));
        return None;
    }
    if at > now {
        invalid.push((field.to_string(), "is in the future".to_string()));
        return None;
    }
    Some(at)
}

/// The location key of a facility.
fn facility_key(id: i64) -> String {
    format!("F{id}")
}

/// The location key of a free address.
fn address_key(jurisdiction: &str, address: &str) -> String {
    format!("A{jurisdiction}:{address}")
}

fn one_of(field: &str, value: &str, allowed: &[&str]) -> Option<(String, String)> {
    (!allowed.contains(&value)).then(|| {
        (
            field.to_string(),
            format!("unknown value; expected one of {}", allowed.join(", ")),
        )
    })
}

impl App {
    /// The cold store named by `code`, if it exists, is a cold-chain store and lies in the
    /// actor's jurisdiction; else the reason (a store outside the jurisdiction is unknown,
    /// exactly like one that does not exist).
    async fn cold_store(&self, actor: &Actor, code: &str) -> Result<Result<Facility, String>> {
        let found = self.store().coldchain().facility_by_code(code).await?;
        Ok(match found {
            Some(f) if actor.scope.covers(&f.community_code) => {
                if f.subtype == COLD_STORE_SUBTYPE {
                    Ok(f)
                } else {
                    Err("is not a cold-chain store".to_string())
                }
            }
            _ => Err("unknown facility".to_string()),
        })
    }

    /// The batches checked against the store and the clock, then stored in one transaction.
    /// Errors are `(line, field, reason)`.
    async fn store_batches(
        &self,
        actor: &Actor,
        records: &[fangkong_ingest::BatchRecord],
    ) -> Result<std::result::Result<Vec<BatchStored>, Vec<RowError>>> {
        let now = self.now_ms();
        let mut errors = Vec::new();
        let mut stores = Vec::with_capacity(records.len());
        for r in records {
            match self.cold_store(actor, &r.cold_store).await? {
                Ok(f) => stores.push(Some(f)),
                Err(reason) => {
                    errors.push(RowError::new(r.line, "cold_store", reason));
                    stores.push(None);
                }
            }
            if r.arrived_at.timestamp_millis() > now {
                errors.push(RowError::new(r.line, "arrived_at", "is in the future"));
            }
        }
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        let rows: Vec<NewBatch<'_>> = records
            .iter()
            .zip(&stores)
            .filter_map(|(r, f)| {
                let f = f.as_ref()?;
                Some(NewBatch {
                    code: &r.code,
                    product: &r.product,
                    origin_country: &r.origin_country,
                    port_of_entry: &r.port_of_entry,
                    cold_store_id: f.id,
                    jurisdiction_code: &f.community_code,
                    quantity: r.quantity,
                    unit: &r.unit,
                    arrived_at: r.arrived_at.timestamp_millis(),
                    trace_code: &r.trace_code,
                    disinfection_cert: r.disinfection_cert.as_deref(),
                    created_at: now,
                    created_by: &actor.username,
                })
            })
            .collect();
        let done = self.store().coldchain().add_batches(&rows).await?;
        let differs: Vec<RowError> = records
            .iter()
            .zip(&done)
            .filter(|(_, d)| **d == BatchStored::Differs)
            .map(|(r, _)| RowError::new(r.line, "code", "is already stored with other values"))
            .collect();
        Ok(if differs.is_empty() {
            Ok(done)
        } else {
            Err(differs)
        })
    }

    /// Registers a batch arriving at a cold store. The same batch again (same code and
    /// values) changes nothing (`false` in the second element). Audited.
    ///
    /// `fields` are named like the columns of a batch list
    /// (`fangkong_ingest::coldchain::BATCH_COLUMNS`), checked by the same rules.
    ///
    /// # Errors
    /// `Forbidden` without `inbound.manage`; `Invalid` naming each bad field (a cold store
    /// that is unknown, outside the jurisdiction or not a cold-chain store; an arrival in the
    /// future); `Conflict` when the code is stored with other values.
    pub async fn create_coldchain_batch(
        &self,
        actor: &Actor,
        fields: &[(&str, &str)],
    ) -> Result<(Batch, bool)> {
        actor.require(Permission::InboundManage)?;
        let record = fangkong_ingest::parse_batch_fields("batch", fields).map_err(|e| {
            Error::Invalid(e.errors.into_iter().map(|e| (e.field, e.reason)).collect())
        })?;
        let done = match self
            .store_batches(actor, std::slice::from_ref(&record))
            .await?
        {
            Ok(done) => done,
            Err(errors) if errors.iter().all(|e| e.field == "code") => {
                return Err(Error::Conflict(format!(
                    "batch {} is already stored with other values",
                    record.code
                )))
            }
            Err(errors) => {
                return Err(Error::Invalid(
                    errors.into_iter().map(|e| (e.field, e.reason)).collect(),
                ))
            }
        };
        let created = matches!(done.first(), Some(BatchStored::Created(_)));
        if created {
            self.audit(
                actor,
                "coldchain.batch_create",
                "coldchain_batch",
                Some(record.code.clone()),
                None,
                serde_json::json!({
                    "cold_store": record.cold_store, "origin_country": record.origin_country,
                    "quantity": record.quantity, "unit": record.unit,
                }),
            )
            .await?;
        }
        let batch = self
            .store()
            .coldchain()
            .batch(("", ":"), &record.code)
            .await?;
        Ok((batch, created))
    }

    /// Imports a batch list (CSV, XLSX or NDJSON; `fangkong_ingest::parse_batches`): all rows
    /// or none, every bad value named with its line. A batch already stored with the same
    /// values is unchanged, so re-importing a file changes nothing. Audited with the counts.
    ///
    /// # Errors
    /// `Forbidden` without `inbound.manage`; `Import` naming every bad value.
    pub async fn import_coldchain_batches(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<ImportOutcome> {
        actor.require(Permission::InboundManage)?;
        let records = fangkong_ingest::parse_batches(file_name, bytes).map_err(Error::Import)?;
        let done = match self.store_batches(actor, &records).await? {
            Ok(done) => done,
            Err(mut errors) => {
                errors.sort_by_key(|e| e.line);
                return Err(Error::Import(FileErrors {
                    file: file_name.to_string(),
                    errors,
                }));
            }
        };
        let created = done
            .iter()
            .filter(|d| matches!(d, BatchStored::Created(_)))
            .count() as u64;
        let outcome = ImportOutcome {
            rows: records.len() as u64,
            created,
            updated: 0,
            unchanged: records.len() as u64 - created,
        };
        self.audit(
            actor,
            "coldchain.batches_import",
            "file",
            Some(file_name.to_string()),
            None,
            serde_json::json!({
                "rows": outcome.rows, "created": outcome.created, "unchanged": outcome.unchanged,
            }),
        )
        .await?;
        Ok(outcome)
    }

    /// Batches in the actor's jurisdiction, newest arrival first, optionally of one status.
    ///
    /// # Errors
    /// `Forbidden` without `inbound.read`; `Invalid` for an unknown status.
    pub async fn coldchain_batches(
        &self,
        actor: &Actor,
        status: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Batch>> {
        actor.require(Permission::InboundRead)?;
        if let Some(e) = status.and_then(|s| one_of("status", s, &BATCH_STATUSES)) {
            return Err(Error::Invalid(vec![e]));
        }
        let (lo, hi) = bounds(actor);
        Ok(self
            .store()
            .coldchain()
            .batches((&lo, &hi), status, limit.clamp(1, MAX_LIST), offset.max(0))
            .await?)
    }

    /// One batch in the actor's jurisdiction.
    ///
    /// # Errors
    /// `Forbidden` without `inbound.read`; `NotFound` when unknown or outside.
    pub async fn coldchain_batch(&self, actor: &Actor, code: &str) -> Result<Batch> {
        actor.require(Permission::InboundRead)?;
        let (lo, hi) = bounds(actor);
        Ok(self.store().coldchain().batch((&lo, &hi), code).await?)
    }

    async fn batch_to_write(&self, actor: &Actor, code: &str) -> Result<Batch> {
        actor.require(Permission::InboundManage)?;
        let (lo, hi) = bounds(actor);
        let batch = self.store().coldchain().batch((&lo, &hi), code).await?;
        if batch.status == "destroyed" {
            return Err(Error::invalid("batch", "is destroyed"));
        }
        Ok(batch)
    }

    /// Records a test result of a batch's goods, packaging or environment. A positive result
    /// seals the batch and, in the same transaction, opens a seal-and-disinfect task per
    /// location the batch reached and a quarantine task per exposed worker. The same result
    /// again changes nothing. Audited when it changed something.
    ///
    /// # Errors
    /// `Forbidden` without `inbound.manage`; `NotFound` for an unknown batch or one outside
    /// the jurisdiction; `Invalid` naming each bad field (a test before the batch arrived or
    /// in the future); `Conflict` when the same test was recorded with the other result.
    pub async fn record_coldchain_result(
        &self,
        actor: &Actor,
        code: &str,
        input: &ResultInput<'_>,
    ) -> Result<(Recorded, Batch)> {
        let batch = self.batch_to_write(actor, code).await?;
        let mut invalid = Vec::new();
        invalid.extend(one_of("sample_kind", input.sample_kind, &SAMPLE_KINDS));
        invalid.extend(one_of("result", input.result, &RESULTS));
        let tested_at = event_time(
            &mut invalid,
            "tested_at",
            input.tested_at,
            batch.arrived_at,
            self.now_ms(),
        );
        if input.lab.trim().is_empty() {
            invalid.push(("lab".to_string(), "is required".to_string()));
        }
        let Some(tested_at) = tested_at.filter(|_| invalid.is_empty()) else {
            return Err(Error::Invalid(invalid));
        };
        let recorded = self
            .store()
            .coldchain()
            .record_result(
                batch.id,
                &NewResult {
                    sample_kind: input.sample_kind,
                    result: input.result,
                    tested_at,
                    lab: input.lab.trim(),
                    recorded_at: self.now_ms(),
                    recorded_by: &actor.username,
                },
            )
            .await
            .map_err(|e| match e {
                fangkong_store::StoreError::Conflict { .. } => Error::Conflict(format!(
                    "this test of batch {code} was recorded with the other result"
                )),
                other => other.into(),
            })?;
        if recorded.created || recorded.tasks_created > 0 {
            self.audit(
                actor,
                "coldchain.result_record",
                "coldchain_batch",
                Some(batch.code.clone()),
                None,
                serde_json::json!({
                    "sample_kind": input.sample_kind, "result": input.result,
                    "lab": input.lab.trim(), "tasks_created": recorded.tasks_created,
                }),
            )
            .await?;
        }
        if recorded.tasks_created > 0 {
            // Exposed workers of a positive batch come under control measures.
            self.assign_coldchain_quarantines(batch.id).await?;
        }
        let (lo, hi) = bounds(actor);
        let batch = self.store().coldchain().batch((&lo, &hi), code).await?;
        Ok((recorded, batch))
    }

    /// The location named by `input`: (key, facility id, address, jurisdiction code), or the
    /// bad fields. A facility may lie anywhere.
    async fn location(
        &self,
        input: &LocationInput<'_>,
        invalid: &mut Vec<(String, String)>,
    ) -> Result<Option<(String, Option<i64>, Option<String>, String)>> {
        let facility = input.facility.map(str::trim).filter(|s| !s.is_empty());
        let address = input.address.map(str::trim).filter(|s| !s.is_empty());
        match (facility, address) {
            (Some(_), Some(_)) => {
                invalid.push((
                    "facility".to_string(),
                    "give a facility or an address, not both".to_string(),
                ));
                Ok(None)
            }
            (Some(code), None) => match self.store().coldchain().facility_by_code(code).await? {
                Some(f) => Ok(Some((
                    facility_key(f.id),
                    Some(f.id),
                    None,
                    f.community_code,
                ))),
                None => {
                    invalid.push(("facility".to_string(), "unknown facility".to_string()));
                    Ok(None)
                }
            },
            (None, Some(address)) => {
                let code = input
                    .jurisdiction_code
                    .map(str::trim)
                    .filter(|s| !s.is_empty());
                let Some(code) = code else {
                    invalid.push((
                        "jurisdiction_code".to_string(),
                        "is required with an address".to_string(),
                    ));
                    return Ok(None);
                };
                let code = match JurisdictionCode::parse(code) {
                    Ok(c) => c,
                    Err(e) => {
                        invalid.push(("jurisdiction_code".to_string(), e.to_string()));
                        return Ok(None);
                    }
                };
                let exists = self
                    .store()
                    .jurisdictions()
                    .existing(&[code.as_str()])
                    .await?;
                if exists.is_empty() {
                    invalid.push((
                        "jurisdiction_code".to_string(),
                        "unknown jurisdiction".to_string(),
                    ));
                    return Ok(None);
                }
                Ok(Some((
                    address_key(code.as_str(), address),
                    None,
                    Some(address.to_string()),
                    code.as_str().to_string(),
                )))
            }
            (None, None) => Ok(None),
        }
    }

    /// Records a movement of a batch from its cold store to a facility or a free address.
    /// The same movement again changes nothing; the batch becomes `distributed`; if it is
    /// positive, the location's task opens in the same transaction. Audited when new.
    ///
    /// # Errors
    /// `Forbidden` without `inbound.manage`; `NotFound` for an unknown batch or one outside
    /// the jurisdiction; `Invalid` naming each bad field (an unknown facility or
    /// jurisdiction, a quantity not above 0 or beyond what is left, a time before arrival,
    /// after sealing or in the future); `Conflict` when the same movement was recorded with
    /// another quantity.
    pub async fn record_coldchain_distribution(
        &self,
        actor: &Actor,
        code: &str,
        input: &DistributionInput<'_>,
    ) -> Result<(Recorded, Batch)> {
        let batch = self.batch_to_write(actor, code).await?;
        let mut invalid = Vec::new();
        let location = self.location(&input.location, &mut invalid).await?;
        if location.is_none() && invalid.is_empty() {
            invalid.push((
                "facility".to_string(),
                "give a facility code or an address with its jurisdiction_code".to_string(),
            ));
        }
        if let Err(reason) = parse_quantity(&input.quantity.to_string()) {
            invalid.push(("quantity".to_string(), reason.to_string()));
        }
        let moved_at = event_time(
            &mut invalid,
            "moved_at",
            input.moved_at,
            batch.arrived_at,
            self.now_ms(),
        );
        if let (Some(at), Some(sealed)) = (moved_at, batch.sealed_at) {
            if at > sealed {
                invalid.push((
                    "moved_at".to_string(),
                    "is after the batch was sealed".to_string(),
                ));
            }
        }
        let (Some((key, facility_id, address, jurisdiction)), Some(moved_at)) =
            (location.filter(|_| invalid.is_empty()), moved_at)
        else {
            return Err(Error::Invalid(invalid));
        };
        let moved = self
            .store()
            .coldchain()
            .add_distribution(
                batch.id,
                &NewDistribution {
                    location_key: &key,
                    facility_id,
                    address: address.as_deref(),
                    jurisdiction_code: &jurisdiction,
                    quantity: input.quantity,
                    moved_at,
                    recorded_at: self.now_ms(),
                    recorded_by: &actor.username,
                },
            )
            .await
            .map_err(|e| match e {
                fangkong_store::StoreError::Conflict { .. } => Error::Conflict(format!(
                    "this movement of batch {code} was recorded with another quantity"
                )),
                other => other.into(),
            })?;
        let recorded = match moved {
            Moved::Recorded(r) => r,
            Moved::Exceeds { left } => {
                return Err(Error::invalid(
                    "quantity",
                    format!("exceeds what is left in store ({left} {})", batch.unit),
                ))
            }
        };
        if recorded.created {
            self.audit(
                actor,
                "coldchain.distribution_record",
                "coldchain_batch",
                Some(batch.code.clone()),
                None,
                serde_json::json!({
                    "location": key, "jurisdiction_code": jurisdiction,
                    "quantity": input.quantity, "tasks_created": recorded.tasks_created,
                }),
            )
            .await?;
        }
        if recorded.tasks_created > 0 {
            // Exposed workers of a positive batch come under control measures.
            self.assign_coldchain_quarantines(batch.id).await?;
        }
        let (lo, hi) = bounds(actor);
        let batch = self.store().coldchain().batch((&lo, &hi), code).await?;
        Ok((recorded, batch))
    }

    /// Records a worker who handled a batch at its cold store (no location given) or at a
    /// location it reached. The worker is found in the registry by national ID number (its
    /// blind index; the number is not stored here), wherever they live. The same exposure
    /// again changes nothing; if the batch is positive, the worker's quarantine task opens
    /// in the same transaction. Audited when new.
    ///
    /// # Errors
    /// `Forbidden` without `inbound.manage`; `NotFound` for an unknown batch or one outside
    /// the jurisdiction; `Invalid` naming each bad field (a malformed ID number or one not in
    /// the registry, a location the batch did not reach, a time before arrival or in the
    /// future).
    pub async fn record_coldchain_exposure(
        &self,
        actor: &Actor,
        code: &str,
        input: &ExposureInput<'_>,
    ) -> Result<(Recorded, Batch)> {
        let batch = self.batch_to_write(actor, code).await?;
        let mut invalid = Vec::new();
        let person = match NationalId::parse(input.id_number) {
            Ok(id) => {
                // The worker may live outside the batch's jurisdiction: the lookup spans the
                // registry, and only the person's id and community are used.
                let registry = Scope {
                    root: None,
                    permissions: [Permission::PersonsRead].into_iter().collect(),
                };
                let found = self
                    .store()
                    .persons()
                    .find_by_document(&registry, &Document::MainlandId(id))
                    .await?;
                if found.is_none() {
                    invalid.push((
                        "id_number".to_string(),
                        "no person with this ID number is in the registry".to_string(),
                    ));
                }
                found
            }
            Err(e) => {
                invalid.push(("id_number".to_string(), e.to_string()));
                None
            }
        };
        let location = self.location(&input.location, &mut invalid).await?;
        let key = match &location {
            None => facility_key(batch.cold_store_id),
            Some((key, ..)) => key.clone(),
        };
        if location.is_some() && key != facility_key(batch.cold_store_id) {
            let reached = self
                .store()
                .coldchain()
                .distributions(batch.id)
                .await?
                .iter()
                .any(|d| d.location_key == key);
            if !reached {
                let field = if input.location.address.is_some_and(|a| !a.trim().is_empty()) {
                    "address"
                } else {
                    "facility"
                };
                invalid.push((
                    field.to_string(),
                    "the batch did not reach this location".to_string(),
                ));
            }
        }
        let handled_at = event_time(
            &mut invalid,
            "handled_at",
            input.handled_at,
            batch.arrived_at,
            self.now_ms(),
        );
        let (Some(person), Some(handled_at)) = (person.filter(|_| invalid.is_empty()), handled_at)
        else {
            return Err(Error::Invalid(invalid));
        };
        let recorded = self
            .store()
            .coldchain()
            .add_exposure(
                batch.id,
                &NewExposure {
                    person_id: person.id,
                    location_key: &key,
                    handled_at,
                    recorded_at: self.now_ms(),
                    recorded_by: &actor.username,
                },
            )
            .await?;
        if recorded.created {
            self.audit(
                actor,
                "coldchain.exposure_record",
                "coldchain_batch",
                Some(batch.code.clone()),
                None,
                serde_json::json!({
                    "person_id": person.id, "location": key,
                    "tasks_created": recorded.tasks_created,
                }),
            )
            .await?;
        }
        if recorded.tasks_created > 0 {
            // Exposed workers of a positive batch come under control measures.
            self.assign_coldchain_quarantines(batch.id).await?;
        }
        let (lo, hi) = bounds(actor);
        let batch = self.store().coldchain().batch((&lo, &hi), code).await?;
        Ok((recorded, batch))
    }

    /// The full downstream trace of a batch: its results, every location it reached with
    /// quantities and times, every exposed worker (masked) and every task it opened. The
    /// listing of workers is audited.
    ///
    /// # Errors
    /// `Forbidden` without `inbound.read`; `NotFound` for an unknown batch or one outside
    /// the jurisdiction.
    pub async fn coldchain_trace(&self, actor: &Actor, code: &str) -> Result<Trace> {
        let batch = self.coldchain_batch(actor, code).await?;
        let cc = self.store().coldchain();
        let results = cc.results(batch.id).await?;
        let mut locations = vec![Location {
            key: facility_key(batch.cold_store_id),
            kind: "cold_store",
            facility_code: Some(facility_code(
                batch.cold_store_id,
                batch.cold_store_place_code.as_deref(),
            )),
            name: batch.cold_store_name.clone(),
            address: None,
            jurisdiction_code: batch.jurisdiction_code.clone(),
            quantity: batch.quantity,
            at: batch.arrived_at,
        }];
        for d in cc.distributions(batch.id).await? {
            locations.push(Location {
                key: d.location_key.clone(),
                kind: "downstream",
                facility_code: d
                    .facility_id
                    .map(|id| facility_code(id, d.facility_place_code.as_deref())),
                name: d
                    .facility_name
                    .clone()
                    .or_else(|| d.address.clone())
                    .unwrap_or_default(),
                address: d.address.clone(),
                jurisdiction_code: d.jurisdiction_code.clone(),
                quantity: d.quantity,
                at: d.moved_at,
            });
        }
        let workers: Vec<Worker> = cc
            .exposures(batch.id)
            .await?
            .into_iter()
            .map(|e| Worker {
                name_masked: mask_name(&e.person_name),
                id_number_masked: e.person_doc_masked,
                community_code: e.community_code,
                location_name: locations
                    .iter()
                    .find(|l| l.key == e.location_key)
                    .map(|l| l.name.clone())
                    .unwrap_or_default(),
                location_key: e.location_key,
                handled_at: e.handled_at,
            })
            .collect();
        let tasks = cc
            .tasks(&TaskFilter {
                batch_id: Some(batch.id),
                limit: MAX_LIST,
                ..TaskFilter::default()
            })
            .await?
            .into_iter()
            .map(task_view)
            .collect();
        self.audit(
            actor,
            "coldchain.trace_view",
            "coldchain_batch",
            Some(batch.code.clone()),
            None,
            serde_json::json!({ "workers": workers.len() }),
        )
        .await?;
        Ok(Trace {
            batch,
            results,
            locations,
            workers,
            tasks,
        })
    }

    /// Control tasks routed inside the actor's jurisdiction (and `within`, a community or any
    /// jurisdiction above), oldest first, optionally of one status.
    ///
    /// # Errors
    /// `Forbidden` without `inbound.read`; `Invalid` for an unknown status or a bad code.
    pub async fn coldchain_tasks(
        &self,
        actor: &Actor,
        status: Option<&str>,
        within: Option<&str>,
        limit: i64,
    ) -> Result<Vec<TaskView>> {
        actor.require(Permission::InboundRead)?;
        if let Some(e) = status.and_then(|s| one_of("status", s, &TASK_STATUSES)) {
            return Err(Error::Invalid(vec![e]));
        }
        let within = within
            .map(|w| {
                JurisdictionCode::parse(w)
                    .map(|c| c.subtree_bounds())
                    .map_err(|e| Error::invalid("community", e.to_string()))
            })
            .transpose()?;
        Ok(self
            .store()
            .coldchain()
            .tasks(&TaskFilter {
                bounds: Some(bounds(actor)),
                within,
                status: status.map(str::to_string),
                limit: limit.clamp(1, MAX_LIST),
                ..TaskFilter::default()
            })
            .await?
            .into_iter()
            .map(task_view)
            .collect())
    }

    /// Closes an open task routed inside the actor's jurisdiction as done, with a note.
    /// Audited.
    ///
    /// # Errors
    /// `Forbidden` without `inbound.manage`; `Invalid` for an empty note; `NotFound` for an
    /// unknown task or one outside the jurisdiction; `Conflict` when it is already done.
    pub async fn close_coldchain_task(
        &self,
        actor: &Actor,
        id: i64,
        note: &str,
    ) -> Result<TaskView> {
        actor.require(Permission::InboundManage)?;
        if note.trim().is_empty() {
            return Err(Error::invalid("note", "is required"));
        }
        let (lo, hi) = bounds(actor);
        let task = self
            .store()
            .coldchain()
            .close_task(id, (&lo, &hi), note.trim(), self.now_ms(), &actor.username)
            .await
            .map_err(|e| match e {
                fangkong_store::StoreError::Conflict { .. } => {
                    Error::Conflict(format!("task {id} is already done"))
                }
                other => other.into(),
            })?;
        self.audit(
            actor,
            "coldchain.task_close",
            "coldchain_task",
            Some(id.to_string()),
            None,
            serde_json::json!({ "kind": task.kind, "batch": task.batch_code }),
        )
        .await?;
        Ok(task_view(task))
    }
}
