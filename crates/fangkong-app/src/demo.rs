//! Loads the synthetic demo city (Zhumadian by default) into the store.
//!
//! The generator (`fangkong-synth`) is pure and deterministic; this module streams its output
//! into the store township by township. Generation and encryption run on all cores while the
//! previous township is being written, and each township is written in one transaction with
//! a meta marker, so an interrupted load resumes where it stopped and a finished load is
//! reused as it is.

use std::time::Instant;

use fangkong_domain::{AgeBand, Document, JurisdictionCode, Scope};
use fangkong_store::bulk::BulkRows;
use fangkong_store::facilities::{Facility, NewHousehold, Room};
use fangkong_store::jurisdictions::NewJurisdiction;
use fangkong_store::persons::{NewPerson, PreparedPerson};
use fangkong_store::Store;
use fangkong_synth::{CityConfig, TownshipChunk};
use rayon::prelude::*;

use crate::{App, Error, Result};

/// The meta key holding the date the generator aged the city to: a resumed load or a later
/// testing seed must regenerate the very same residents.
const META_REFERENCE_DATE: &str = "demo.reference_date";

mod immunization;
mod inbound;
mod isolation;
mod sentinel;
mod supplies;
mod testing;
mod tracing;

pub use testing::DEMO_ROUND;

/// What to generate.
#[derive(Debug, Clone)]
pub struct DemoConfig {
    /// The 4-digit city code (Zhumadian: `4117`).
    pub city_code: String,
    pub population: u64,
    pub seed: u64,
}

/// What a demo load did.
#[derive(Debug, Clone, Default)]
pub struct DemoOutcome {
    /// False when the data directory already held this demo city.
    pub loaded: bool,
    pub jurisdictions: u64,
    pub persons: u64,
    pub households: u64,
    pub facilities: u64,
    pub seconds: f64,
}

/// Receives progress of long steps (the CLI draws a bar; tests ignore it).
pub trait Progress: Send + Sync {
    /// A step begins with `total` units of work.
    fn start(&self, step: &str, total: u64);
    /// `n` more units are done.
    fn advance(&self, n: u64);
    /// The step is over.
    fn finish(&self);
}

/// Progress that goes nowhere.
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: &str, _: u64) {}
    fn advance(&self, _: u64) {}
    fn finish(&self) {}
}

const META_CITY: &str = "demo.city";
const META_BASE: &str = "demo.base_loaded";
const META_FACILITIES: &str = "demo.facilities_loaded";
const META_COMPLETE: &str = "demo.complete";

fn township_key(code: &str) -> String {
    format!("demo.township.{code}")
}

/// Townships generated and encrypted ahead of the writer, at most.
const PIPELINE_DEPTH: usize = 2;

struct PreparedChunk {
    township_code: String,
    households: Vec<NewHousehold>,
    persons: Vec<(i64, PreparedPerson)>,
}

impl App {
    /// The generator's plan of the demo city `config` names, aged to its reference date.
    pub(crate) async fn city_plan(
        &self,
        config: &DemoConfig,
    ) -> Result<std::sync::Arc<fangkong_synth::CityPlan>> {
        let cfg = CityConfig {
            city_code: config.city_code.clone(),
            population: config.population,
            seed: config.seed,
            reference_date: self.reference_date().await?,
        };
        let plan = tokio::task::spawn_blocking(move || fangkong_synth::plan(&cfg))
            .await
            .map_err(|e| Error::Conflict(format!("generator failed: {e}")))?
            .map_err(|e| Error::invalid("city", e.to_string()))?;
        Ok(std::sync::Arc::new(plan))
    }

    /// The reference date of the demo city in the store (today for a store without one).
    async fn reference_date(&self) -> Result<chrono::NaiveDate> {
        Ok(self
            .store()
            .meta()
            .get(META_REFERENCE_DATE)
            .await?
            .and_then(|d| d.parse().ok())
            .unwrap_or_else(|| self.today()))
    }

    /// Loads the demo city, or reuses it when this data already holds the same one.
    ///
    /// # Errors
    /// `Conflict` when the store holds other data (another demo city, or persons that are not
    /// from an earlier run of this load); `Invalid` for an unknown city.
    pub async fn load_demo_city(
        &self,
        config: &DemoConfig,
        progress: &dyn Progress,
    ) -> Result<DemoOutcome> {
        let started = Instant::now();
        let store = self.store().clone();
        let identity = format!("{}:{}:{}", config.city_code, config.population, config.seed);
        match store.meta().get(META_CITY).await? {
            Some(found) if found != identity => {
                return Err(Error::Conflict(format!(
                    "the data already holds demo city {found} (city:population:seed); use another data directory"
                )));
            }
            Some(_) => {}
            None => {
                if store.persons().count(&Scope::system()).await? > 0 {
                    return Err(Error::Conflict(
                        "the data already holds persons; the demo city needs an empty data directory".into(),
                    ));
                }
                store.meta().set(META_CITY, &identity).await?;
                store
                    .meta()
                    .set(META_REFERENCE_DATE, &self.today().to_string())
                    .await?;
            }
        }
        if store.meta().get(META_COMPLETE).await?.is_some() {
            return Ok(DemoOutcome {
                loaded: false,
                seconds: started.elapsed().as_secs_f64(),
                ..DemoOutcome::default()
            });
        }
        let plan = self.city_plan(config).await?;
        let now = self.now_ms();
        let mut outcome = DemoOutcome {
            loaded: true,
            jurisdictions: plan.jurisdictions.len() as u64,
            ..DemoOutcome::default()
        };

        // Jurisdictions (idempotent upsert) and city-wide facilities, once.
        let jurisdictions: Vec<NewJurisdiction> =
            plan.jurisdictions.iter().map(to_jurisdiction).collect();
        progress.start("jurisdictions", jurisdictions.len() as u64);
        store
            .jurisdictions()
            .upsert_batch(&jurisdictions, now)
            .await?;
        progress.advance(jurisdictions.len() as u64);
        progress.finish();
        if store.meta().get(META_BASE).await?.is_none() {
            let facilities: Vec<Facility> = plan.city_facilities.iter().map(to_facility).collect();
            let rooms: Vec<Room> = plan.rooms.iter().map(to_room).collect();
            store
                .bulk()
                .insert(&BulkRows {
                    facilities: &facilities,
                    rooms: &rooms,
                    meta: &[(META_BASE.to_string(), "true".to_string())],
                    now_ms: now,
                    ..BulkRows::default()
                })
                .await?;
        }
        outcome.facilities += plan.city_facilities.len() as u64;

        // Every township's facilities before any resident: a resident's workplace may lie in
        // another township. Generating them alone is cheap (no residents are drawn).
        if store.meta().get(META_FACILITIES).await?.is_none() {
            let facilities_plan = plan.clone();
            let facilities: Vec<Facility> = tokio::task::spawn_blocking(move || {
                (0..facilities_plan.townships.len())
                    .into_par_iter()
                    .flat_map_iter(|i| fangkong_synth::township_facilities(&facilities_plan, i))
                    .map(|f| to_facility(&f))
                    .collect()
            })
            .await
            .map_err(|e| Error::Conflict(format!("generator failed: {e}")))?;
            progress.start("facilities", facilities.len() as u64);
            store
                .bulk()
                .insert(&BulkRows {
                    facilities: &facilities,
                    meta: &[(META_FACILITIES.to_string(), "true".to_string())],
                    now_ms: now,
                    ..BulkRows::default()
                })
                .await?;
            progress.advance(facilities.len() as u64);
            progress.finish();
        }
        outcome.facilities += plan.townships.iter().map(|t| t.facilities).sum::<u64>();

        // Residents: generate + encrypt on all cores, write one transaction per township.
        let mut pending = Vec::new();
        for (i, t) in plan.townships.iter().enumerate() {
            if store.meta().get(&township_key(&t.code)).await?.is_none() {
                pending.push(i);
            }
        }
        let total: u64 = plan.townships.iter().map(|t| t.population).sum();
        let done_already: u64 = plan
            .townships
            .iter()
            .enumerate()
            .filter(|(i, _)| !pending.contains(i))
            .map(|(_, t)| t.population)
            .sum();
        // Load residents without the secondary person indexes, then build them sorted.
        if !pending.is_empty() {
            store.bulk().drop_person_indexes().await?;
        }
        progress.start("residents", total);
        progress.advance(done_already);
        let (tx, mut rx) = tokio::sync::mpsc::channel::<PreparedChunk>(PIPELINE_DEPTH);
        let producer_plan = plan.clone();
        let producer_store = store.clone();
        let producer = tokio::task::spawn_blocking(move || {
            for batch in pending.chunks(2) {
                let chunks: Vec<PreparedChunk> = batch
                    .par_iter()
                    .map(|&i| {
                        prepare_chunk(
                            &producer_store,
                            fangkong_synth::generate_township(&producer_plan, i),
                        )
                    })
                    .collect();
                for chunk in chunks {
                    if tx.blocking_send(chunk).is_err() {
                        return;
                    }
                }
            }
        });
        while let Some(chunk) = rx.recv().await {
            let meta = [(township_key(&chunk.township_code), "true".to_string())];
            store
                .bulk()
                .insert(&BulkRows {
                    households: &chunk.households,
                    persons: &chunk.persons,
                    meta: &meta,
                    now_ms: now,
                    ..BulkRows::default()
                })
                .await?;
            outcome.households += chunk.households.len() as u64;
            outcome.persons += chunk.persons.len() as u64;
            progress.advance(chunk.persons.len() as u64);
        }
        producer
            .await
            .map_err(|e| Error::Conflict(format!("generator failed: {e}")))?;
        progress.finish();
        progress.start("indexes", 1);
        store.bulk().create_person_indexes().await?;
        progress.advance(1);
        progress.finish();
        store.sync_id_sequences().await?;
        store.meta().set(META_COMPLETE, "true").await?;
        outcome.seconds = started.elapsed().as_secs_f64();
        Ok(outcome)
    }
}

/// The generator emits valid 12-digit codes; a bad one is a generator bug.
#[allow(clippy::expect_used)]
fn community_code(code: &str) -> JurisdictionCode {
    JurisdictionCode::parse(code).expect("the generator emits valid community codes")
}

/// Converts and encrypts one township's output (CPU only; runs on the rayon pool).
fn prepare_chunk(store: &Store, chunk: TownshipChunk) -> PreparedChunk {
    let persons = store.persons();
    let prepared = chunk
        .persons
        .par_iter()
        .map(|p| {
            let new = NewPerson {
                sex: p.national_id.sex(),
                birth_date: p.national_id.birth_date(),
                document: Document::MainlandId(p.national_id.clone()),
                name: p.name.clone(),
                phone: p.phone.clone(),
                address: Some(p.address.clone()),
                community_code: community_code(&p.community_code),
                household_id: Some(p.household_id),
                workplace_id: p.workplace_id,
                school_id: p.school_id,
                occupation: Some(p.occupation.as_str().to_string()),
                tags: Vec::new(),
                synthetic: true,
            };
            (p.id, persons.prepare(&new))
        })
        .collect();
    PreparedChunk {
        township_code: chunk.township_code,
        households: chunk
            .households
            .iter()
            .map(|h| NewHousehold {
                id: h.id,
                community_code: h.community_code.clone(),
                address: h.address.clone(),
                size: i64::from(h.size),
            })
            .collect(),
        persons: prepared,
    }
}

fn to_jurisdiction(j: &fangkong_synth::Jurisdiction) -> NewJurisdiction {
    let pop = j.population.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
    debug_assert_eq!(pop.len(), AgeBand::ALL.len());
    NewJurisdiction {
        code: j.code.clone(),
        name: j.name.clone(),
        population: Some(pop),
        male_female: Some((
            i64::try_from(j.male).unwrap_or(i64::MAX),
            i64::try_from(j.female).unwrap_or(i64::MAX),
        )),
        centroid: Some(j.centroid),
    }
}

fn to_facility(f: &fangkong_synth::Facility) -> Facility {
    Facility {
        id: f.id,
        kind: f.kind.as_str().to_string(),
        subtype: f.subtype.clone(),
        name: f.name.clone(),
        community_code: f.community_code.clone(),
        place_code: f.place_code.as_ref().map(|p| p.as_str().to_string()),
        capacity: i64::from(f.capacity),
        beds_general: i64::from(f.beds_general),
        beds_icu: i64::from(f.beds_icu),
        beds_isolation: i64::from(f.beds_isolation),
        lon: Some(f.lon),
        lat: Some(f.lat),
        synthetic: true,
    }
}

fn to_room(r: &fangkong_synth::Room) -> Room {
    Room {
        id: r.id,
        facility_id: r.facility_id,
        number: r.number.clone(),
        beds: i64::from(r.beds),
        accessible: r.accessible,
    }
}

/// A small demo city for the seeds' tests: 5 000 residents, seed 7, the clock at 10:00 China
/// time on 2026-11-30, loaded with the testing, inbound and tracing pictures (the `TempDir`
/// holds the database).
#[cfg(test)]
pub(crate) async fn test_city() -> (tempfile::TempDir, App, DemoConfig) {
    use chrono::TimeZone as _;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = fangkong_store::Store::open(
        &fangkong_store::ConnectOptions::Sqlite {
            path: dir.path().join("fangkong.db"),
        },
        &fangkong_store::MasterKey::generate(),
    )
    .await
    .expect("a store");
    let clock = chrono::Utc
        .with_ymd_and_hms(2026, 11, 30, 2, 0, 0)
        .single()
        .expect("a valid time");
    let app = App::new(store, std::sync::Arc::new(crate::FixedClock::new(clock)));
    let config = DemoConfig {
        city_code: "4117".into(),
        population: 5_000,
        seed: 7,
    };
    app.load_demo_city(&config, &NoProgress)
        .await
        .expect("the city");
    app.seed_demo_testing(&config).await.expect("testing");
    app.seed_demo_inbound(&config).await.expect("inbound");
    app.seed_demo_tracing(&config).await.expect("tracing");
    (dir, app, config)
}
