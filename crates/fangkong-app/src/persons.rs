//! The person registry: registration, search, updates, imports, duplicates and merges.
//!
//! Registration matches an existing person by identity document first, so an import or an
//! API create never makes a second record for a known document. Personal identifiers reach
//! this module only to be validated and handed to the store, which encrypts them.

use std::collections::HashSet;

use fangkong_domain::{JurisdictionCode, NationalId, Permission, PhoneNumber};
use fangkong_ingest::{PersonRecord, RowError};
use fangkong_store::persons::{DuplicateCandidate, NewPerson, Person, PersonEvent, PersonPatch};

use crate::jurisdictions::{file_errors, ImportOutcome};
use crate::{Actor, App, Error, Result};

/// The raw fields of a person to register, as typed in a form or sent in JSON.
#[derive(Debug, Clone, Default)]
pub struct PersonInput {
    pub id_number: Option<String>,
    pub document_kind: Option<String>,
    pub document_number: Option<String>,
    pub nationality: Option<String>,
    pub name: String,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub community_code: String,
    pub tags: Vec<String>,
    pub sex: Option<String>,
    pub birth_date: Option<String>,
}

/// Raw changes to a person; `None` leaves a field unchanged, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct PersonChanges {
    pub name: Option<String>,
    pub phone: Option<Option<String>>,
    pub address: Option<Option<String>>,
    pub community_code: Option<String>,
    pub tags: Option<Vec<String>>,
    /// Close (`true`) or reopen (`false`) the record.
    pub closed: Option<bool>,
}

/// A search over the registry.
#[derive(Debug, Clone, Default)]
pub struct PersonQuery {
    /// An exact identity number (mainland ID).
    pub id_number: Option<String>,
    /// Free text: an ID number, a phone number, or the start of a name.
    pub q: Option<String>,
    /// Restrict to this jurisdiction's subtree.
    pub within: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// Full identifiers revealed for a stated purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revealed {
    pub id_number: Option<String>,
    pub phone: Option<String>,
}

/// The most rows a search returns.
pub const MAX_SEARCH: i64 = 200;

fn record_to_new(r: PersonRecord) -> NewPerson {
    NewPerson {
        document: r.document,
        name: r.name,
        sex: r.sex,
        birth_date: r.birth_date,
        phone: r.phone,
        address: r.address,
        community_code: r.community_code,
        household_id: None,
        workplace_id: None,
        school_id: None,
        occupation: None,
        tags: r.tags,
        synthetic: false,
    }
}

fn invalid(errors: Vec<RowError>) -> Error {
    Error::Invalid(errors.into_iter().map(|e| (e.field, e.reason)).collect())
}

impl App {
    async fn require_community(&self, code: &JurisdictionCode, field: &str) -> Result<()> {
        let existing = self
            .store()
            .jurisdictions()
            .existing(&[code.as_str()])
            .await?;
        if existing.is_empty() {
            return Err(Error::invalid(
                field,
                format!("community {code} does not exist"),
            ));
        }
        Ok(())
    }

    /// Registers a person, or returns the already registered holder of the same document
    /// (`true` in the second element) without changing it.
    ///
    /// # Errors
    /// `Invalid` naming each bad field; `Forbidden` without `persons.write` or for a
    /// community outside the actor's jurisdiction.
    pub async fn create_person(
        &self,
        actor: &Actor,
        input: &PersonInput,
    ) -> Result<(Person, bool)> {
        actor.require(Permission::PersonsWrite)?;
        let tags = input.tags.join(";");
        let fields: Vec<(&str, &str)> = [
            ("id_number", input.id_number.as_deref()),
            ("document_kind", input.document_kind.as_deref()),
            ("document_number", input.document_number.as_deref()),
            ("nationality", input.nationality.as_deref()),
            ("name", Some(input.name.as_str())),
            ("phone", input.phone.as_deref()),
            ("address", input.address.as_deref()),
            ("community_code", Some(input.community_code.as_str())),
            ("tags", Some(tags.as_str())),
            ("sex", input.sex.as_deref()),
            ("birth_date", input.birth_date.as_deref()),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
        let record =
            fangkong_ingest::parse_person_fields(&fields, self.today()).map_err(invalid)?;
        if !actor.scope.covers(record.community_code.as_str()) {
            return Err(Error::Forbidden);
        }
        self.require_community(&record.community_code, "community_code")
            .await?;
        let system = fangkong_domain::Scope::system();
        if let Some(existing) = self
            .store()
            .persons()
            .find_by_document(&system, &record.document)
            .await?
        {
            let id = existing.merged_into.unwrap_or(existing.id);
            // The holder may live outside the actor's jurisdiction: then it is not shown, but
            // the operator learns why no new record was made (a second record for one
            // document is what this registry exists to prevent).
            return match self.store().persons().find(&actor.scope, id).await {
                Ok(person) => Ok((person, true)),
                Err(fangkong_store::StoreError::NotFound) => Err(Error::Conflict(
                    "the document is registered in another jurisdiction; ask it to transfer the person".into(),
                )),
                Err(e) => Err(e.into()),
            };
        }
        let person = self
            .store()
            .persons()
            .create(
                &actor.scope,
                &record_to_new(record),
                &actor.label(),
                self.now_ms(),
            )
            .await?;
        Ok((person, false))
    }

    /// One person in the actor's jurisdiction (identifiers masked).
    ///
    /// # Errors
    /// `NotFound` when absent or outside the jurisdiction.
    pub async fn person(&self, actor: &Actor, id: i64) -> Result<Person> {
        actor.require(Permission::PersonsRead)?;
        let person = self.store().persons().find(&actor.scope, id).await?;
        self.audit(
            actor,
            "person.view",
            "person",
            Some(id.to_string()),
            None,
            serde_json::json!({}),
        )
        .await?;
        Ok(person)
    }

    /// Searches the registry: an exact ID number, a phone number, or a name prefix.
    ///
    /// # Errors
    /// `Invalid` for a malformed `id_number` or `within`.
    pub async fn search_persons(&self, actor: &Actor, query: &PersonQuery) -> Result<Vec<Person>> {
        actor.require(Permission::PersonsRead)?;
        let (kind, found) = self.find_persons(actor, query).await?;
        // The query text may itself be personal data: only its kind is recorded.
        self.audit(
            actor,
            "person.search",
            "person",
            None,
            None,
            serde_json::json!({ "by": kind, "results": found.len() }),
        )
        .await?;
        Ok(found)
    }

    async fn find_persons(
        &self,
        actor: &Actor,
        query: &PersonQuery,
    ) -> Result<(&'static str, Vec<Person>)> {
        let persons = self.store().persons();
        let limit = query.limit.clamp(1, MAX_SEARCH);
        if let Some(id) = query.id_number.as_deref().filter(|s| !s.trim().is_empty()) {
            let id =
                NationalId::parse(id).map_err(|e| Error::invalid("id_number", e.to_string()))?;
            let doc = fangkong_domain::Document::MainlandId(id);
            let found = persons.find_by_document(&actor.scope, &doc).await?;
            return Ok(("id_number", found.into_iter().collect()));
        }
        let within = query
            .within
            .as_deref()
            .filter(|w| !w.is_empty())
            .map(|w| {
                JurisdictionCode::parse(w).map_err(|e| Error::invalid("within", e.to_string()))
            })
            .transpose()?;
        let q = query.q.as_deref().unwrap_or("").trim();
        if let Ok(id) = NationalId::parse(q) {
            let doc = fangkong_domain::Document::MainlandId(id);
            let found = persons.find_by_document(&actor.scope, &doc).await?;
            return Ok(("id_number", found.into_iter().collect()));
        }
        let digits = q.chars().filter(|c| c.is_ascii_digit()).count();
        if digits >= 7 && q.chars().all(|c| c.is_ascii_digit() || " -+".contains(c)) {
            if let Ok(phone) = PhoneNumber::parse(q) {
                return Ok((
                    "phone",
                    persons.find_by_phone(&actor.scope, &phone, limit).await?,
                ));
            }
        }
        let found = persons
            .search(&actor.scope, q, within.as_ref(), limit, query.offset.max(0))
            .await?;
        Ok(("name", found))
    }

    /// Applies changes to a person.
    ///
    /// # Errors
    /// `Invalid` naming each bad field; `NotFound`/`Forbidden` per scope.
    pub async fn update_person(
        &self,
        actor: &Actor,
        id: i64,
        changes: &PersonChanges,
    ) -> Result<Person> {
        actor.require(Permission::PersonsWrite)?;
        let mut errors = Vec::new();
        let name = changes.name.as_ref().map(|n| n.trim().to_string());
        if let Some(n) = &name {
            if n.is_empty() || n.chars().count() > 50 {
                errors.push(("name".to_string(), "must be 1 to 50 characters".to_string()));
            }
        }
        let phone = match &changes.phone {
            Some(Some(p)) if !p.trim().is_empty() => match PhoneNumber::parse(p) {
                Ok(p) => Some(Some(p)),
                Err(e) => {
                    errors.push(("phone".to_string(), e.to_string()));
                    None
                }
            },
            Some(_) => Some(None),
            None => None,
        };
        if let Some(Some(address)) = &changes.address {
            if let Err(reason) = fangkong_ingest::persons::check_address(address.trim()) {
                errors.push(("address".to_string(), reason));
            }
        }
        if let Some(tags) = &changes.tags {
            if let Err(reason) = fangkong_ingest::persons::check_tags(tags) {
                errors.push(("tags".to_string(), reason));
            }
        }
        let community = match &changes.community_code {
            Some(c) => match JurisdictionCode::parse(c) {
                Ok(code) if code.level() == fangkong_domain::Level::Community => Some(code),
                Ok(_) => {
                    errors.push((
                        "community_code".to_string(),
                        "must be a 12-digit community code".to_string(),
                    ));
                    None
                }
                Err(e) => {
                    errors.push(("community_code".to_string(), e.to_string()));
                    None
                }
            },
            None => None,
        };
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        if let Some(code) = &community {
            self.require_community(code, "community_code").await?;
        }
        let patch = PersonPatch {
            name,
            phone,
            address: changes.address.as_ref().map(|a| {
                a.as_ref()
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
            }),
            community_code: community,
            tags: changes.tags.clone(),
            closed: changes.closed,
        };
        Ok(self
            .store()
            .persons()
            .update(&actor.scope, id, &patch, &actor.label(), self.now_ms())
            .await?)
    }

    /// Imports a person list (CSV/XLSX), all or nothing, matching by document.
    ///
    /// # Errors
    /// `Import` with every bad row, including unknown communities and communities outside
    /// the actor's jurisdiction.
    pub async fn import_persons(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<ImportOutcome> {
        crate::telemetry::measured(
            "persons",
            self.import_persons_unmeasured(actor, file_name, bytes),
        )
        .await
    }

    /// [`App::import_persons`] without its metrics.
    async fn import_persons_unmeasured(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<ImportOutcome> {
        actor.require(Permission::PersonsWrite)?;
        let records = fangkong_ingest::parse_persons(file_name, bytes, self.today())?;
        let codes: HashSet<&str> = records.iter().map(|r| r.community_code.as_str()).collect();
        let codes: Vec<&str> = codes.into_iter().collect();
        let existing = self.store().jurisdictions().existing(&codes).await?;
        let mut errors = Vec::new();
        for r in &records {
            let code = r.community_code.as_str();
            if !actor.scope.covers(code) {
                errors.push(RowError::new(
                    r.line,
                    "community_code",
                    "outside your jurisdiction",
                ));
            } else if !existing.contains(code) {
                errors.push(RowError::new(
                    r.line,
                    "community_code",
                    format!("community {code} does not exist"),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(file_errors(file_name, errors));
        }
        let rows = records.len() as u64;
        let people: Vec<NewPerson> = records.into_iter().map(record_to_new).collect();
        let s = self
            .store()
            .persons()
            .upsert_batch(&actor.scope, &people, &actor.label(), self.now_ms())
            .await?;
        Ok(ImportOutcome {
            rows,
            created: s.created,
            updated: s.updated,
            unchanged: s.unchanged,
        })
    }

    /// Pairs of records in scope that may be one person.
    ///
    /// # Errors
    /// `Forbidden` without `persons.merge`.
    pub async fn duplicate_candidates(
        &self,
        actor: &Actor,
        limit: i64,
    ) -> Result<Vec<DuplicateCandidate>> {
        actor.require(Permission::PersonsMerge)?;
        Ok(self
            .store()
            .persons()
            .duplicate_candidates(&actor.scope, limit.clamp(1, MAX_SEARCH))
            .await?)
    }

    /// Merges `duplicate` into `keep`, keeping both histories.
    ///
    /// # Errors
    /// `Forbidden` without `persons.merge`; `NotFound` outside scope; `Conflict` when either
    /// is already merged or both are the same.
    pub async fn merge_persons(&self, actor: &Actor, keep: i64, duplicate: i64) -> Result<Person> {
        actor.require(Permission::PersonsMerge)?;
        Ok(self
            .store()
            .persons()
            .merge(&actor.scope, keep, duplicate, &actor.label(), self.now_ms())
            .await?)
    }

    /// Reveals the full document number and/or phone number of a person, for a stated
    /// purpose. The reveal is audited before the values are returned.
    ///
    /// # Errors
    /// `Forbidden` without `pii.reveal`; `Invalid` without a purpose or fields; `NotFound`
    /// outside the jurisdiction or for a purged record.
    pub async fn reveal_person(
        &self,
        actor: &Actor,
        id: i64,
        purpose: &str,
        document: bool,
        phone: bool,
    ) -> Result<Revealed> {
        actor.require(Permission::PiiReveal)?;
        let purpose = crate::audit::check_purpose(purpose)?;
        if !document && !phone {
            return Err(Error::invalid(
                "fields",
                "name at least one of id_number, phone",
            ));
        }
        // Existence and jurisdiction first, so that a refused reveal is not audited as done.
        self.store().persons().find(&actor.scope, id).await?;
        let fields: Vec<&str> = [(document, "id_number"), (phone, "phone")]
            .into_iter()
            .filter_map(|(on, f)| on.then_some(f))
            .collect();
        self.audit(
            actor,
            "person.reveal",
            "person",
            Some(id.to_string()),
            Some(purpose),
            serde_json::json!({ "fields": fields }),
        )
        .await?;
        let persons = self.store().persons();
        Ok(Revealed {
            id_number: if document {
                Some(persons.reveal_document(&actor.scope, id).await?)
            } else {
                None
            },
            phone: if phone {
                persons.reveal_phone(&actor.scope, id).await?
            } else {
                None
            },
        })
    }

    /// Every person in the actor's jurisdiction (or `within`), identifiers masked, for an
    /// export with a stated purpose; the export is audited with the row count.
    ///
    /// # Errors
    /// `Forbidden` without `persons.export`; `Invalid` without a purpose.
    pub async fn export_persons(
        &self,
        actor: &Actor,
        within: Option<&str>,
        purpose: &str,
    ) -> Result<Vec<Person>> {
        actor.require(Permission::PersonsExport)?;
        let purpose = crate::audit::check_purpose(purpose)?;
        let within = within
            .map(|w| {
                JurisdictionCode::parse(w).map_err(|e| Error::invalid("within", e.to_string()))
            })
            .transpose()?;
        const PAGE: i64 = 10_000;
        let mut all = Vec::new();
        loop {
            let page = self
                .store()
                .persons()
                .search(&actor.scope, "", within.as_ref(), PAGE, all.len() as i64)
                .await?;
            let n = page.len();
            all.extend(page);
            if (n as i64) < PAGE {
                break;
            }
        }
        self.audit(
            actor,
            "persons.export",
            "person",
            within.map(|w| w.as_str().to_string()),
            Some(purpose),
            serde_json::json!({ "rows": all.len(), "identifiers": "masked" }),
        )
        .await?;
        Ok(all)
    }

    /// Purges the personal data of records closed before `before` (China Standard Time
    /// midnight), keeping the aggregate figures; audited with the count.
    ///
    /// # Errors
    /// `Forbidden` without `data.purge`; `Invalid` without a purpose or for a date that is
    /// not in the past.
    pub async fn purge_closed_persons(
        &self,
        actor: &Actor,
        before: chrono::NaiveDate,
        purpose: &str,
    ) -> Result<usize> {
        actor.require(Permission::DataPurge)?;
        let purpose = crate::audit::check_purpose(purpose)?;
        if before > self.today() {
            return Err(Error::invalid("before", "must not be in the future"));
        }
        let before_ms = before
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp_millis() - 8 * 3_600_000)
            .ok_or_else(|| Error::invalid("before", "not a valid date"))?;
        let ids = self
            .store()
            .persons()
            .purge_closed(&actor.scope, before_ms, &actor.label(), self.now_ms())
            .await?;
        self.audit(
            actor,
            "persons.purge",
            "person",
            None,
            Some(purpose),
            serde_json::json!({ "before": before.to_string(), "purged": ids.len() }),
        )
        .await?;
        Ok(ids.len())
    }

    /// The history of a person and of the records merged into it.
    ///
    /// # Errors
    /// `NotFound` outside scope.
    pub async fn person_history(&self, actor: &Actor, id: i64) -> Result<Vec<PersonEvent>> {
        actor.require(Permission::PersonsRead)?;
        Ok(self.store().persons().history(&actor.scope, id).await?)
    }
}
