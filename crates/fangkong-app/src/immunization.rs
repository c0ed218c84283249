//! Immunization (社会免疫): vaccination records from files and forms, coverage by area × age
//! band × dose against the registry's population, the coverage trend, and outreach lists
//! of the unvaccinated and overdue in a priority group for community workers.
//!
//! Records are keyed by (person, dose number), so a list sent twice changes nothing and a
//! corrected one updates its rows. A list is applied whole or not at all: a row naming a
//! person who is not registered in the importer's jurisdiction is an error of that row, like
//! a bad value. Outreach lists show masked identifiers; an export of one is audited with its
//! purpose, and only an actor who may reveal gets the full numbers in it (each revealed
//! number is audited as part of the export).

use chrono::{Duration, NaiveDate};
use fangkong_domain::immunization::{
    DoseLevel, PriorityGroup, Status, VaccineProduct, KEY_WORKER_OCCUPATIONS,
};
use fangkong_domain::{AgeBand, Document, JurisdictionCode, Permission};
use fangkong_ingest::immunization::VaccinationRecord;
use fangkong_ingest::{FileErrors, RowError};
use fangkong_store::immunization::{
    CoverageCell, DosesRecorded, NewDose, OutreachEntry, OutreachFilter, OutreachKind, StoredDose,
};

use crate::jurisdictions::years_before;
use crate::{Actor, App, Error, Result};

/// Files at least this long are resolved against a snapshot of every person's document
/// index rather than by a probe per row (see `Testing::person_snapshot`).
const SNAPSHOT_ROWS: usize = 50_000;
/// The most rows an outreach export with revealed identifiers may hold.
pub const MAX_REVEALED_EXPORT: i64 = 5_000;
/// The most rows of any outreach export.
pub const MAX_EXPORT: i64 = 200_000;

/// What an import or a recorded dose changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VaccinationsRecorded {
    pub rows: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub removed: u64,
    /// Persons whose status changed.
    pub persons: u64,
}

impl VaccinationsRecorded {
    fn from_store(rows: usize, r: DosesRecorded) -> VaccinationsRecorded {
        VaccinationsRecorded {
            rows: rows as u64,
            inserted: r.inserted,
            updated: r.updated,
            unchanged: r.unchanged,
            removed: r.removed,
            persons: r.persons,
        }
    }
}

/// A dose entered by hand (form or API).
#[derive(Debug, Clone)]
pub struct DoseInput {
    pub person_id: i64,
    pub dose_number: u32,
    pub product: String,
    pub vaccinated_on: String,
    pub lot: Option<String>,
    pub site: Option<String>,
}

/// Counts of one area or band: population and persons at each level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub population: i64,
    pub first: i64,
    pub full: i64,
    pub booster: i64,
}

impl Counts {
    fn add(&mut self, c: &CoverageCell) {
        self.population += c.population;
        self.first += c.first;
        self.full += c.full;
        self.booster += c.booster;
    }

    /// Persons at `level`.
    pub fn at(&self, level: DoseLevel) -> i64 {
        match level {
            DoseLevel::First => self.first,
            DoseLevel::Full => self.full,
            DoseLevel::Booster => self.booster,
        }
    }

    /// The share of the population at `level` (0 when nobody lives there).
    pub fn rate(&self, level: DoseLevel) -> f64 {
        if self.population == 0 {
            0.0
        } else {
            self.at(level) as f64 / self.population as f64
        }
    }
}

/// The bands a coverage table shows, the elderly first: 80+, 60+ (both elderly bands),
/// 60-79, 15-59, 0-14, then everyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoverageBand {
    Band(AgeBand),
    Elderly,
    All,
}

impl CoverageBand {
    /// The columns of a coverage table, in order.
    pub const ORDER: [CoverageBand; 6] = [
        CoverageBand::Band(AgeBand::Age80Plus),
        CoverageBand::Elderly,
        CoverageBand::Band(AgeBand::Age60To79),
        CoverageBand::Band(AgeBand::Age15To59),
        CoverageBand::Band(AgeBand::Age0To14),
        CoverageBand::All,
    ];

    /// The stable key: `80+`, `60+`, `60-79`, `15-59`, `0-14`, `all`.
    pub fn key(self) -> &'static str {
        match self {
            CoverageBand::Band(b) => b.as_str(),
            CoverageBand::Elderly => "60+",
            CoverageBand::All => "all",
        }
    }

    fn holds(self, band: usize) -> bool {
        match self {
            CoverageBand::Band(b) => AgeBand::ALL.get(band) == Some(&b),
            CoverageBand::Elderly => band >= 2,
            CoverageBand::All => true,
        }
    }
}

/// Coverage of one area: counts per band in [`CoverageBand::ORDER`].
#[derive(Debug, Clone, PartialEq)]
pub struct AreaCoverage {
    pub code: String,
    pub name: String,
    pub bands: Vec<Counts>,
}

/// Coverage of a jurisdiction and of each of its children.
#[derive(Debug, Clone, PartialEq)]
pub struct Coverage {
    pub code: String,
    pub name: String,
    /// The day ages are computed on.
    pub date: NaiveDate,
    pub total: AreaCoverage,
    pub areas: Vec<AreaCoverage>,
}

/// Cumulative coverage on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrendPoint {
    pub day: NaiveDate,
    pub first: i64,
    pub full: i64,
    pub booster: i64,
}

/// A page of an outreach list.
#[derive(Debug, Clone)]
pub struct OutreachPage {
    pub entries: Vec<OutreachEntry>,
    pub total: i64,
}

/// What an outreach list asks for.
#[derive(Debug, Clone)]
pub struct OutreachQuery {
    pub group: PriorityGroup,
    pub within: Option<String>,
    pub kind: OutreachKind,
}

/// An outreach list row ready for an export or a page: masked unless revealed.
#[derive(Debug, Clone)]
pub struct OutreachRow {
    pub person_id: i64,
    pub name: String,
    pub sex: String,
    pub age: u32,
    pub document: String,
    pub phone: String,
    pub community_code: String,
    pub address: String,
    pub doses: i64,
    pub last_on: String,
    pub next_due_on: String,
    pub reason: &'static str,
}

fn parse_within(within: Option<&str>) -> Result<Option<JurisdictionCode>> {
    within
        .filter(|w| !w.trim().is_empty())
        .map(|w| {
            JurisdictionCode::parse(w.trim()).map_err(|e| Error::invalid("within", e.to_string()))
        })
        .transpose()
}

impl App {
    /// Imports a vaccination list (CSV, XLSX or NDJSON), all or nothing: every person must be
    /// registered in the actor's jurisdiction, no day may lie in the future. A re-run is a
    /// no-op.
    ///
    /// # Errors
    /// `Forbidden` without `immunization.write`; `Import` with every bad row.
    pub async fn import_vaccinations(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<VaccinationsRecorded> {
        crate::telemetry::measured(
            "vaccinations",
            self.import_vaccinations_unmeasured(actor, file_name, bytes),
        )
        .await
    }

    /// [`App::import_vaccinations`] without its metrics.
    async fn import_vaccinations_unmeasured(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<VaccinationsRecorded> {
        actor.require(Permission::ImmunizationWrite)?;
        let (records, refused) =
            fangkong_ingest::immunization::parse_vaccinations_lenient(file_name, bytes)?;
        if records.is_empty() && refused.is_empty() {
            return Err(Error::Import(FileErrors::whole_file(
                file_name,
                "no data rows",
            )));
        }
        let source = format!("file:{file_name}");
        self.record_vaccination_records(actor, file_name, &records, refused, &source)
            .await
    }

    /// Records validated rows of a list (a file or FHIR resources turned into rows), all or
    /// nothing, reporting rows whose person is unknown or whose day is in the future with
    /// their line.
    pub(crate) async fn record_vaccination_records(
        &self,
        actor: &Actor,
        file_name: &str,
        records: &[VaccinationRecord],
        mut errors: Vec<RowError>,
        source: &str,
    ) -> Result<VaccinationsRecorded> {
        let today = self.today();
        errors.extend(
            records
                .iter()
                .filter(|r| r.vaccinated_on > today)
                .map(|r| RowError::new(r.line, "vaccinated_on", "is in the future")),
        );
        let ids = self
            .resolve_documents(records.iter().map(|r| &r.document))
            .await?;
        let field = |r: &VaccinationRecord| match r.document {
            Document::MainlandId(_) => "id_number",
            _ => "document_number",
        };
        let mut doses = Vec::with_capacity(records.len());
        let mut lines = Vec::with_capacity(records.len());
        for (r, id) in records.iter().zip(&ids) {
            match id {
                None => errors.push(RowError::new(
                    r.line,
                    field(r),
                    "no person with this document is registered",
                )),
                Some(person_id) => {
                    lines.push(r);
                    doses.push(NewDose {
                        person_id: *person_id,
                        dose: fangkong_domain::immunization::Dose {
                            number: r.dose_number,
                            product: r.product,
                            on: r.vaccinated_on,
                        },
                        lot: r.lot.clone(),
                        site: r.site.clone(),
                        fhir_id: None,
                        remove: false,
                    });
                }
            }
        }
        if errors.is_empty() {
            match self
                .store()
                .immunization()
                .record_doses(&actor.scope, &doses, source, self.now_ms())
                .await?
            {
                Ok(done) => {
                    return Ok(VaccinationsRecorded::from_store(records.len(), done));
                }
                Err(outside) => {
                    for i in outside {
                        let r = lines[i];
                        errors.push(RowError::new(
                            r.line,
                            field(r),
                            "no person with this document is registered",
                        ));
                    }
                }
            }
        }
        errors.sort_by_key(|e| e.line);
        Err(Error::Import(FileErrors {
            file: file_name.to_string(),
            errors,
        }))
    }

    /// The registered person (survivor or merged record) of each document, in order.
    pub(crate) async fn resolve_documents<'d>(
        &self,
        documents: impl ExactSizeIterator<Item = &'d Document>,
    ) -> Result<Vec<Option<i64>>> {
        let persons = self.store().persons();
        let n = documents.len();
        let blinds: Vec<Vec<u8>> = documents.map(|d| persons.document_index(d)).collect();
        let testing = self.store().testing();
        let snapshot = if n >= SNAPSHOT_ROWS {
            testing.person_snapshot().await?
        } else {
            None
        };
        let refs: Vec<&[u8]> = blinds.iter().map(Vec::as_slice).collect();
        Ok(testing.resolve_blinds(&refs, snapshot.as_ref()).await?)
    }

    /// Records one dose entered by hand; the same dose again changes nothing, a different
    /// value corrects it.
    ///
    /// # Errors
    /// `Forbidden` without `immunization.write`; `Invalid` for a bad value; `NotFound` for a
    /// person outside the scope.
    pub async fn record_vaccination(
        &self,
        actor: &Actor,
        input: &DoseInput,
    ) -> Result<VaccinationsRecorded> {
        actor.require(Permission::ImmunizationWrite)?;
        let mut invalid = Vec::new();
        let number =
            fangkong_ingest::immunization::parse_dose_number(&input.dose_number.to_string())
                .map_err(|e| invalid.push(("dose_number".to_string(), e)))
                .ok();
        let product = fangkong_ingest::immunization::parse_product(&input.product)
            .map_err(|e| invalid.push(("product".to_string(), e)))
            .ok();
        let on = match NaiveDate::parse_from_str(input.vaccinated_on.trim(), "%Y-%m-%d") {
            Ok(d) if d > self.today() => {
                invalid.push(("vaccinated_on".to_string(), "is in the future".to_string()));
                None
            }
            Ok(d) => Some(d),
            Err(_) => {
                invalid.push((
                    "vaccinated_on".to_string(),
                    "expected YYYY-MM-DD".to_string(),
                ));
                None
            }
        };
        let clean = |t: &Option<String>| {
            t.as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| {
                    t.chars()
                        .take(fangkong_ingest::immunization::MAX_TEXT)
                        .collect()
                })
        };
        let (Some(number), Some(product), Some(on)) = (number, product, on) else {
            return Err(Error::Invalid(invalid));
        };
        let dose = NewDose {
            person_id: input.person_id,
            dose: fangkong_domain::immunization::Dose {
                number,
                product,
                on,
            },
            lot: clean(&input.lot),
            site: clean(&input.site),
            fhir_id: None,
            remove: false,
        };
        match self
            .store()
            .immunization()
            .record_doses(&actor.scope, &[dose], "form", self.now_ms())
            .await?
        {
            Ok(done) => Ok(VaccinationsRecorded::from_store(1, done)),
            Err(_) => Err(Error::NotFound),
        }
    }

    /// A person's doses and the status they make.
    ///
    /// # Errors
    /// `Forbidden` without `immunization.read`; `NotFound` outside the scope.
    pub async fn person_vaccinations(
        &self,
        actor: &Actor,
        person_id: i64,
    ) -> Result<(Vec<StoredDose>, Status)> {
        actor.require(Permission::ImmunizationRead)?;
        let doses = self
            .store()
            .immunization()
            .doses_of(&actor.scope, person_id)
            .await?;
        let status = Status::of(
            &doses
                .iter()
                .filter_map(|d| {
                    Some(fangkong_domain::immunization::Dose {
                        number: u32::try_from(d.dose_number).ok()?,
                        product: VaccineProduct::parse(&d.product)?,
                        on: d.vaccinated_on.parse().ok()?,
                    })
                })
                .collect::<Vec<_>>(),
        );
        Ok((doses, status))
    }

    /// Coverage of `within` (the actor's top jurisdiction when absent) and of each of its
    /// children, by age band (elderly first) and level, against the registered population.
    ///
    /// # Errors
    /// `Forbidden` without `immunization.read`; `NotFound` outside the scope.
    pub async fn immunization_coverage(
        &self,
        actor: &Actor,
        within: Option<&str>,
    ) -> Result<Coverage> {
        actor.require(Permission::ImmunizationRead)?;
        let jurisdictions = self.store().jurisdictions();
        let code = match parse_within(within)? {
            Some(c) => c,
            None => {
                // The top jurisdiction, or below it while it has a single child (a province
                // instance holding one city shows the city).
                let mut code = JurisdictionCode::parse(&self.top_jurisdiction(actor).await?)
                    .map_err(|e| Error::invalid("within", e.to_string()))?;
                loop {
                    let children = jurisdictions
                        .list(&actor.scope, None, Some(&code), 2)
                        .await?;
                    match children.as_slice() {
                        [only] => match JurisdictionCode::parse(&only.code) {
                            Ok(c) if c.level().child().is_some() => code = c,
                            _ => break,
                        },
                        _ => break,
                    }
                }
                code
            }
        };
        if !actor.scope.covers(code.as_str()) {
            return Err(Error::NotFound);
        }
        let top = jurisdictions.get(code.as_str()).await?;
        let children = jurisdictions
            .list(&actor.scope, None, Some(&code), 10_000)
            .await?;
        let area_len = code
            .level()
            .child()
            .map_or(code.as_str().len(), |l| l.code_len());
        let today = self.today();
        let cutoffs = [15, 60, 80].map(|y| years_before(today, y).to_string());
        let cells = self
            .store()
            .immunization()
            .coverage(&actor.scope, Some(&code), area_len, &cutoffs)
            .await?;
        let sum = |filter: &dyn Fn(&CoverageCell) -> bool| {
            CoverageBand::ORDER
                .iter()
                .map(|band| {
                    let mut c = Counts::default();
                    cells
                        .iter()
                        .filter(|cell| band.holds(cell.band) && filter(cell))
                        .for_each(|cell| c.add(cell));
                    c
                })
                .collect::<Vec<_>>()
        };
        let areas = children
            .iter()
            .map(|child| AreaCoverage {
                code: child.code.clone(),
                name: child.name.clone(),
                bands: sum(&|cell| cell.area == child.code),
            })
            .collect();
        Ok(Coverage {
            code: top.code.clone(),
            name: top.name.clone(),
            date: today,
            total: AreaCoverage {
                code: top.code,
                name: top.name,
                bands: sum(&|_| true),
            },
            areas,
        })
    }

    /// Cumulative persons at each level, day by day from the first dose on record to today
    /// (`every` days apart, the last point today), in `within` or the whole scope.
    ///
    /// # Errors
    /// `Forbidden` without `immunization.read`; `NotFound` outside the scope.
    pub async fn immunization_trend(
        &self,
        actor: &Actor,
        within: Option<&str>,
        every: i64,
    ) -> Result<Vec<TrendPoint>> {
        actor.require(Permission::ImmunizationRead)?;
        let within = parse_within(within)?;
        if within
            .as_ref()
            .is_some_and(|w| !actor.scope.covers(w.as_str()))
        {
            return Err(Error::NotFound);
        }
        let rows = self
            .store()
            .immunization()
            .daily_new(&actor.scope, within.as_ref())
            .await?;
        Ok(cumulative(&rows, self.today(), every.max(1)))
    }

    fn outreach_filter<'a>(
        &self,
        actor: &Actor,
        query: &OutreachQuery,
        within: Option<&'a JurisdictionCode>,
    ) -> Result<OutreachFilter<'a>> {
        if within.is_some_and(|w| !actor.scope.covers(w.as_str())) {
            return Err(Error::NotFound);
        }
        let today = self.today();
        Ok(OutreachFilter {
            within,
            born_by: years_before(today, query.group.min_age() as i32),
            occupations: (query.group == PriorityGroup::KeyWorker)
                .then_some(&KEY_WORKER_OCCUPATIONS[..]),
            kind: query.kind,
            today,
        })
    }

    /// A page of an outreach list: the unvaccinated and/or overdue of a priority group, by
    /// community and age, identifiers masked.
    ///
    /// # Errors
    /// `Forbidden` without `immunization.read`; `NotFound` outside the scope.
    pub async fn outreach_list(
        &self,
        actor: &Actor,
        query: &OutreachQuery,
        limit: i64,
        offset: i64,
    ) -> Result<OutreachPage> {
        actor.require(Permission::ImmunizationRead)?;
        let within = parse_within(query.within.as_deref())?;
        let filter = self.outreach_filter(actor, query, within.as_ref())?;
        let (entries, total) = self
            .store()
            .immunization()
            .outreach(&actor.scope, &filter, limit.clamp(1, 1000), offset.max(0))
            .await?;
        Ok(OutreachPage { entries, total })
    }

    /// An outreach list for export, audited with its purpose before anything is handed out.
    /// With `reveal` (which needs `pii.reveal` and at most [`MAX_REVEALED_EXPORT`] rows) the
    /// full ID and phone numbers are in it, for calling; otherwise masked.
    ///
    /// # Errors
    /// `Forbidden` without `immunization.read` (or `pii.reveal` to reveal); `Invalid`
    /// without a purpose or for a revealed list that is too long.
    pub async fn export_outreach(
        &self,
        actor: &Actor,
        query: &OutreachQuery,
        purpose: &str,
        reveal: bool,
    ) -> Result<Vec<OutreachRow>> {
        actor.require(Permission::ImmunizationRead)?;
        if reveal {
            actor.require(Permission::PiiReveal)?;
        }
        let purpose = crate::audit::check_purpose(purpose)?;
        let within = parse_within(query.within.as_deref())?;
        let filter = self.outreach_filter(actor, query, within.as_ref())?;
        let store = self.store().immunization();
        let (_, total) = store.outreach(&actor.scope, &filter, 1, 0).await?;
        let cap = if reveal {
            MAX_REVEALED_EXPORT
        } else {
            MAX_EXPORT
        };
        if total > cap {
            return Err(Error::invalid(
                "within",
                format!(
                    "the list holds {total} people; narrow it to at most {cap} (a township or community)"
                ),
            ));
        }
        self.audit(
            actor,
            "immunization.outreach.export",
            "jurisdiction",
            within.as_ref().map(|w| w.as_str().to_string()),
            Some(purpose),
            serde_json::json!({
                "rows": total,
                "group": query.group.as_str(),
                "identifiers": if reveal { "revealed" } else { "masked" },
            }),
        )
        .await?;
        let (entries, _) = store.outreach(&actor.scope, &filter, cap, 0).await?;
        let today = self.today();
        let persons = self.store().persons();
        let mut rows = Vec::with_capacity(entries.len());
        for e in entries {
            let p = &e.person;
            let (document, phone) = if reveal {
                (
                    persons.reveal_document(&actor.scope, p.id).await?,
                    persons
                        .reveal_phone(&actor.scope, p.id)
                        .await?
                        .unwrap_or_default(),
                )
            } else {
                (
                    p.doc_masked.clone(),
                    p.phone_masked.clone().unwrap_or_default(),
                )
            };
            rows.push(outreach_row(&e, today, document, phone));
        }
        Ok(rows)
    }
}

/// A row of an outreach list with the given identifiers.
pub fn outreach_row(
    e: &OutreachEntry,
    today: NaiveDate,
    document: String,
    phone: String,
) -> OutreachRow {
    let p = &e.person;
    let age = p
        .birth_date
        .parse()
        .map_or(0, |b| fangkong_domain::age_band::age_on(b, today));
    let s = e.status.as_ref();
    OutreachRow {
        person_id: p.id,
        name: p.name.clone(),
        sex: p.sex.clone(),
        age,
        document,
        phone,
        community_code: p.community_code.clone(),
        address: p.address.clone().unwrap_or_default(),
        doses: s.map_or(0, |s| s.doses),
        last_on: s.map(|s| s.last_on.clone()).unwrap_or_default(),
        next_due_on: s.and_then(|s| s.next_due_on.clone()).unwrap_or_default(),
        reason: if s.is_none() {
            "unvaccinated"
        } else {
            "overdue"
        },
    }
}

/// Cumulative counts from daily new ones: a point every `every` days ending today, from the
/// first day with a dose.
fn cumulative(rows: &[(String, i32, i64)], today: NaiveDate, every: i64) -> Vec<TrendPoint> {
    let parsed: Vec<(NaiveDate, i32, i64)> = rows
        .iter()
        .filter_map(|(d, l, n)| Some((d.parse().ok()?, *l, *n)))
        .collect();
    let Some(first) = parsed.iter().map(|r| r.0).min() else {
        return Vec::new();
    };
    let mut days = Vec::new();
    let mut day = today;
    while day >= first {
        days.push(day);
        day -= Duration::days(every);
    }
    days.push(day);
    days.reverse();
    days.into_iter()
        .map(|day| {
            let mut point = TrendPoint {
                day,
                first: 0,
                full: 0,
                booster: 0,
            };
            for (d, level, n) in &parsed {
                if *d <= day {
                    match level {
                        0 => point.first += n,
                        1 => point.full += n,
                        _ => point.booster += n,
                    }
                }
            }
            point
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trend_accumulates_to_today() {
        let rows = vec![
            ("2026-11-01".to_string(), 0, 3),
            ("2026-11-10".to_string(), 0, 2),
            ("2026-11-10".to_string(), 1, 1),
            ("2026-11-20".to_string(), 2, 1),
        ];
        let today: NaiveDate = "2026-11-30".parse().unwrap();
        let points = cumulative(&rows, today, 7);
        assert_eq!(points.first().unwrap().day.to_string(), "2026-10-26");
        assert_eq!(points.first().unwrap().first, 0);
        assert_eq!(points.last().unwrap().day, today);
        assert_eq!(
            (
                points.last().unwrap().first,
                points.last().unwrap().full,
                points.last().unwrap().booster
            ),
            (5, 1, 1)
        );
        let nov16 = points
            .iter()
            .find(|p| p.day.to_string() == "2026-11-16")
            .unwrap();
        assert_eq!((nov16.first, nov16.full, nov16.booster), (5, 1, 0));
    }
}
