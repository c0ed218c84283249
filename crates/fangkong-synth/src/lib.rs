//! Deterministic synthetic city generator for the demo city Zhumadian (驻马店市, 4117).
//!
//! Why it exists: demos, drills, load tests and the simulator need a whole city of plausible
//! residents, households, workplaces, schools, venues, sentinels, labs, hospitals, quarantine
//! sites and warehouses, under the real division codes and with valid identity numbers, and
//! nobody may use real personal data for that.
//!
//! How it works: [`plan()`] turns a [`CityConfig`] into a [`CityPlan`]: the jurisdiction tree
//! (real codes down to the 208 townships, synthetic communities below), exact resident counts
//! by age band and sex for every jurisdiction (matching the 7th census shares), id ranges,
//! the city-level facilities and the facility slots of every township. [`generate_township`]
//! expands one township into households, persons and facilities from its own random stream;
//! [`generate_city`] does all of them in parallel. Ids are contiguous from 1 across the city,
//! identity and phone numbers are unique by construction.
//!
//! What it must not do: read the clock, the environment or any file (reference data is
//! compiled in from `data/` with `include_str!`), write anywhere, or let thread scheduling
//! reach the output. The output is a function of the config, seed and reference date
//! included.
//!
//! ```
//! use chrono::NaiveDate;
//! use fangkong_synth::{generate_city, plan, CityConfig};
//! let today = NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
//! let plan = plan(&CityConfig::zhumadian(2_000, 42, today)).unwrap();
//! let chunks = generate_city(&plan);
//! let persons: usize = chunks.iter().map(|c| c.persons.len()).sum();
//! assert_eq!(persons, 2_000);
//! ```

mod demography;
mod facility;
mod household;
mod identity;
mod names;
mod person;
mod plan;
mod random;
mod reference;
mod township;

pub use demography::{BAND_SHARES, CENSUS_MALE, CENSUS_POPULATION};
pub use facility::{
    Facility, FacilityKind, Room, HOSPITAL_TYPES, LAB_TYPES, QUARANTINE_SITE_TYPES, SCHOOL_TYPES,
    SENTINEL_TYPES, VENUE_TYPES, WAREHOUSE_TYPES, WORKPLACE_TYPES,
};
pub use person::{Household, Occupation, Person};
pub use plan::{
    plan, CityConfig, CityPlan, CommunityPlan, Jurisdiction, SynthError, TownshipKind,
    TownshipPlan, MAX_POPULATION, MIN_REFERENCE_YEAR, MIN_RESIDENTS_PER_TOWNSHIP,
};
pub use reference::{county_shares, divisions, CountyShare, Division, Divisions};
pub use township::{generate_city, generate_township, township_facilities, TownshipChunk};

#[cfg(test)]
mod tests;
