//! Jurisdictions: the hierarchy every other capability is filtered by.
//!
//! Imports (CSV/XLSX lists, GeoJSON boundaries) are all-or-nothing: every bad row is reported
//! with its line and field and nothing is written; a second run of the same file changes
//! nothing.

use std::collections::HashSet;

use fangkong_domain::{JurisdictionCode, Level, Permission};
use fangkong_ingest::{FileErrors, RowError};
use fangkong_store::jurisdictions::{Jurisdiction, NewJurisdiction, UpsertSummary};

use crate::{Actor, App, Error, Result};

/// A jurisdiction with its place in the tree and registry figures.
#[derive(Debug, Clone)]
pub struct JurisdictionDetail {
    pub jurisdiction: Jurisdiction,
    pub ancestors: Vec<Jurisdiction>,
    /// Each child with the number of persons registered under it.
    pub children: Vec<(Jurisdiction, i64)>,
    pub registered_persons: i64,
    pub has_boundary: bool,
}

/// What an import changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// The most rows a list returns.
pub const MAX_LIST: i64 = 5_000;

/// Whether a file is GeoJSON, by name or by its first non-blank byte.
pub fn is_geojson(file_name: &str, bytes: &[u8]) -> bool {
    let lower = file_name.to_ascii_lowercase();
    lower.ends_with(".geojson")
        || lower.ends_with(".json")
        || bytes
            .iter()
            .find(|b| !b.is_ascii_whitespace() && **b != 0xEF && **b != 0xBB && **b != 0xBF)
            == Some(&b'{')
}

impl App {
    /// Jurisdictions in the actor's scope, optionally of one level and under one parent.
    ///
    /// # Errors
    /// `Forbidden` without `jurisdictions.read`; `Invalid` for a bad parent code.
    pub async fn list_jurisdictions(
        &self,
        actor: &Actor,
        level: Option<Level>,
        parent: Option<&str>,
    ) -> Result<Vec<Jurisdiction>> {
        actor.require(Permission::JurisdictionsRead)?;
        let parent = parent
            .map(|p| {
                JurisdictionCode::parse(p).map_err(|e| Error::invalid("parent", e.to_string()))
            })
            .transpose()?;
        Ok(self
            .store()
            .jurisdictions()
            .list(&actor.scope, level, parent.as_ref(), MAX_LIST)
            .await?)
    }

    /// One jurisdiction with ancestors, children and the persons registered under each.
    /// A jurisdiction above the actor's root is visible only as an ancestor, not here.
    ///
    /// # Errors
    /// `NotFound` when absent or outside the scope; `Invalid` for a bad code.
    pub async fn jurisdiction_detail(
        &self,
        actor: &Actor,
        code: &str,
    ) -> Result<JurisdictionDetail> {
        actor.require(Permission::JurisdictionsRead)?;
        let code =
            JurisdictionCode::parse(code).map_err(|e| Error::invalid("code", e.to_string()))?;
        if !actor.scope.covers(code.as_str()) {
            return Err(Error::NotFound);
        }
        let store = self.store().jurisdictions();
        let jurisdiction = store.get(code.as_str()).await?;
        let mut ancestors = store.ancestors(&code).await?;
        ancestors.pop();
        let children = store
            .list(&actor.scope, None, Some(&code), MAX_LIST)
            .await?;
        let (counts, registered) = if actor.scope.can(Permission::PersonsRead) {
            let counts = self
                .store()
                .persons()
                .count_by_child(&actor.scope, &code)
                .await?;
            let total = counts.iter().map(|(_, n)| n).sum();
            (counts, total)
        } else {
            (Vec::new(), 0)
        };
        let children = children
            .into_iter()
            .map(|c| {
                let n = counts
                    .iter()
                    .find(|(k, _)| *k == c.code)
                    .map_or(0, |(_, n)| *n);
                (c, n)
            })
            .collect();
        let has_boundary = store.boundary(code.as_str()).await?.is_some();
        Ok(JurisdictionDetail {
            jurisdiction,
            ancestors,
            children,
            registered_persons: registered,
            has_boundary,
        })
    }

    /// The GeoJSON boundary of a jurisdiction in scope, if any.
    ///
    /// # Errors
    /// `NotFound` when absent or outside the scope.
    pub async fn jurisdiction_boundary(&self, actor: &Actor, code: &str) -> Result<Option<String>> {
        actor.require(Permission::JurisdictionsRead)?;
        if !actor.scope.covers(code) {
            return Err(Error::NotFound);
        }
        Ok(self.store().jurisdictions().boundary(code).await?)
    }

    /// Imports a jurisdiction list (CSV/XLSX) or boundaries (GeoJSON), all or nothing.
    ///
    /// # Errors
    /// `Import` with every bad row (including parents that exist neither in the store nor
    /// earlier in the file, and codes outside the actor's scope); `Forbidden` without
    /// `jurisdictions.write`.
    pub async fn import_jurisdictions(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<ImportOutcome> {
        actor.require(Permission::JurisdictionsWrite)?;
        if is_geojson(file_name, bytes) {
            return self.import_boundaries(actor, file_name, bytes).await;
        }
        let records = fangkong_ingest::parse_jurisdictions(file_name, bytes)?;
        let in_file: HashSet<&str> = records.iter().map(|r| r.code.as_str()).collect();
        let parents: Vec<String> = records
            .iter()
            .filter_map(|r| r.code.parent())
            .map(|p| p.as_str().to_string())
            .filter(|p| !in_file.contains(p.as_str()))
            .collect();
        let parent_refs: Vec<&str> = parents.iter().map(String::as_str).collect();
        let existing = self.store().jurisdictions().existing(&parent_refs).await?;
        let mut errors = Vec::new();
        for r in &records {
            if !actor.scope.covers(r.code.as_str()) {
                errors.push(RowError::new(r.line, "code", "outside your jurisdiction"));
            }
            if let Some(parent) = r.code.parent() {
                let p = parent.as_str();
                if !in_file.contains(p) && !existing.contains(p) {
                    errors.push(RowError::new(
                        r.line,
                        "code",
                        format!("parent {p} does not exist"),
                    ));
                }
            }
        }
        if !errors.is_empty() {
            return Err(file_errors(file_name, errors));
        }
        let rows: Vec<NewJurisdiction> = records
            .iter()
            .map(|r| NewJurisdiction {
                code: r.code.clone(),
                name: r.name.clone(),
                population: r
                    .population
                    .map(|p| p.map(|n| i64::try_from(n).unwrap_or(i64::MAX))),
                male_female: None,
                centroid: None,
            })
            .collect();
        let UpsertSummary {
            created,
            updated,
            unchanged,
        } = self
            .store()
            .jurisdictions()
            .upsert_batch(&rows, self.now_ms())
            .await?;
        Ok(ImportOutcome {
            rows: records.len() as u64,
            created,
            updated,
            unchanged,
        })
    }

    async fn import_boundaries(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<ImportOutcome> {
        let records = fangkong_ingest::parse_boundaries_geojson(file_name, bytes)?;
        let codes: Vec<&str> = records.iter().map(|r| r.code.as_str()).collect();
        let existing = self.store().jurisdictions().existing(&codes).await?;
        let mut errors = Vec::new();
        for (i, r) in records.iter().enumerate() {
            let field = format!("features[{i}].properties.code");
            if !actor.scope.covers(r.code.as_str()) {
                errors.push(RowError::new(r.line, field, "outside your jurisdiction"));
            } else if !existing.contains(r.code.as_str()) {
                errors.push(RowError::new(
                    r.line,
                    field,
                    format!("jurisdiction {} does not exist", r.code),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(file_errors(file_name, errors));
        }
        let rows: Vec<(String, String)> = records
            .iter()
            .map(|r| (r.code.as_str().to_string(), r.geometry_json.clone()))
            .collect();
        let changed = self
            .store()
            .jurisdictions()
            .set_boundaries(&rows, self.now_ms())
            .await?;
        Ok(ImportOutcome {
            rows: records.len() as u64,
            created: 0,
            updated: changed,
            unchanged: records.len() as u64 - changed,
        })
    }
}

/// File errors in line order.
pub(crate) fn file_errors(file_name: &str, mut errors: Vec<RowError>) -> Error {
    errors.sort_by_key(|e| e.line);
    Error::Import(FileErrors {
        file: file_name.to_string(),
        errors,
    })
}

/// Headline figures of the actor's jurisdiction for the overview page.
#[derive(Debug, Clone)]
pub struct Overview {
    /// The actor's root jurisdiction, if the actor is limited to one.
    pub root: Option<Jurisdiction>,
    /// Registered persons and households (absent without `persons.read`).
    pub persons: Option<i64>,
    pub households: Option<i64>,
    /// Jurisdictions per level, top level first.
    pub levels: Vec<(String, i64)>,
    pub facilities: Vec<fangkong_store::facilities::KindSummary>,
}

impl App {
    /// Headline figures of the actor's jurisdiction.
    ///
    /// # Errors
    /// `Forbidden` without `jurisdictions.read`.
    pub async fn overview(&self, actor: &Actor) -> Result<Overview> {
        actor.require(Permission::JurisdictionsRead)?;
        let store = self.store();
        let root = match &actor.scope.root {
            Some(code) => Some(store.jurisdictions().get(code.as_str()).await?),
            None => None,
        };
        let (persons, households) = if actor.scope.can(Permission::PersonsRead) {
            (
                Some(store.persons().count(&actor.scope).await?),
                Some(store.facilities().count_households(&actor.scope).await?),
            )
        } else {
            (None, None)
        };
        let mut levels = store.jurisdictions().count_by_level(&actor.scope).await?;
        levels.sort_by_key(|(l, _)| Level::parse(l));
        let facilities = store.facilities().summary(&actor.scope, None).await?;
        Ok(Overview {
            root,
            persons,
            households,
            levels,
            facilities,
        })
    }

    /// The top jurisdiction the actor sees: its root, or the highest level present.
    ///
    /// # Errors
    /// `NotFound` when the instance has no jurisdictions.
    pub async fn top_jurisdiction(&self, actor: &Actor) -> Result<String> {
        actor.require(Permission::JurisdictionsRead)?;
        if let Some(root) = &actor.scope.root {
            return Ok(root.as_str().to_string());
        }
        for level in Level::ALL {
            let found = self
                .store()
                .jurisdictions()
                .list(&actor.scope, Some(level), None, 2)
                .await?;
            if let [only] = found.as_slice() {
                return Ok(only.code.clone());
            }
            if !found.is_empty() {
                // Several at the top level: the level above is missing; show the first.
                return Ok(found[0].code.clone());
            }
        }
        Err(Error::NotFound)
    }

    /// The chain of jurisdictions from the top down to `code`, for breadcrumbs.
    ///
    /// # Errors
    /// Store failure; `Invalid` for a bad code.
    pub async fn jurisdiction_path(&self, code: &str) -> Result<Vec<Jurisdiction>> {
        let code =
            JurisdictionCode::parse(code).map_err(|e| Error::invalid("code", e.to_string()))?;
        Ok(self.store().jurisdictions().ancestors(&code).await?)
    }
}

/// Registered residents of one age band against the census figure.
#[derive(Debug, Clone)]
pub struct BandProfile {
    pub band: &'static str,
    pub census: Option<i64>,
    pub male: i64,
    pub female: i64,
}

impl BandProfile {
    /// Registered residents as a share of the census figure.
    pub fn coverage(&self) -> Option<f64> {
        self.census
            .filter(|c| *c > 0)
            .map(|c| (self.male + self.female) as f64 / c as f64)
    }
}

/// The registry's age and sex structure of a jurisdiction against its census figures.
#[derive(Debug, Clone)]
pub struct PopulationProfile {
    pub code: String,
    pub name: String,
    /// The date ages are computed on (today, China Standard Time).
    pub date: chrono::NaiveDate,
    pub bands: Vec<BandProfile>,
}

/// The date `years` years before `date` (29 February becomes 28 February).
pub(crate) fn years_before(date: chrono::NaiveDate, years: i32) -> chrono::NaiveDate {
    use chrono::Datelike as _;
    let year = date.year() - years;
    chrono::NaiveDate::from_ymd_opt(year, date.month(), date.day())
        .or_else(|| chrono::NaiveDate::from_ymd_opt(year, date.month(), 28))
        .unwrap_or(date)
}

impl App {
    /// Registered residents by age band and sex in a jurisdiction, against its census.
    ///
    /// # Errors
    /// `NotFound` outside scope; `Forbidden` without `persons.read`.
    pub async fn population_profile(&self, actor: &Actor, code: &str) -> Result<PopulationProfile> {
        actor.require(Permission::PersonsRead)?;
        let code =
            JurisdictionCode::parse(code).map_err(|e| Error::invalid("code", e.to_string()))?;
        if !actor.scope.covers(code.as_str()) {
            return Err(Error::NotFound);
        }
        let j = self.store().jurisdictions().get(code.as_str()).await?;
        let today = self.today();
        // Someone is 15 or older when born on or before the date 15 years ago.
        let cutoffs = [15, 60, 80].map(|y| years_before(today, y).to_string());
        let rows = self
            .store()
            .persons()
            .age_sex_profile(&actor.scope, &code, &cutoffs)
            .await?;
        let census = [j.pop_0_14, j.pop_15_59, j.pop_60_79, j.pop_80_plus];
        let bands = fangkong_domain::AgeBand::ALL
            .iter()
            .enumerate()
            .map(|(i, band)| {
                let count =
                    |sex: &str| rows.iter().find(|(s, _)| s == sex).map_or(0, |(_, n)| n[i]);
                BandProfile {
                    band: band.as_str(),
                    census: census[i],
                    male: count("male"),
                    female: count("female"),
                }
            })
            .collect();
        Ok(PopulationProfile {
            code: j.code,
            name: j.name,
            date: today,
            bands,
        })
    }
}
