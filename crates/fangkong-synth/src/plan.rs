//! The city plan: everything about the synthetic city that is decided before any person is.
//!
//! The plan holds the jurisdiction tree (real codes down to townships, synthetic communities
//! below), exact resident counts by age group and sex for every community, the number of
//! households, the id ranges of every township, the city-level facilities and the facility
//! slots of every township, and the tables that workers and pupils are drawn from. It is small
//! (a few megabytes at 7 million residents) and cheap to compute; the township generator
//! expands it. It must not generate persons: that is what keeps townships independent.

use chrono::{Datelike, NaiveDate};
use fangkong_domain::{JurisdictionCode, JurisdictionCodeError, Level};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::demography::{
    group_share_in_band, mean_household_size, BAND_SHARES, GROUP_ADULT, GROUP_BAND, GROUP_HIGH,
    GROUP_KINDERGARTEN, GROUP_MALE_RATIO, GROUP_MIDDLE, GROUP_PRIMARY, HEAD_GROUPS, MAX_AGE,
    N_GROUPS,
};
use crate::facility::{
    venue_staff, venue_visitors, workplace_occupation, Facility, FacilityKind, FacilitySlot, Room,
    SCHOOL_TYPES, WORKPLACE_TYPES,
};
use crate::household::Quota;
use crate::identity::IdSlots;
use crate::names;
use crate::person::Occupation;
use crate::random::{
    apportion, apportion_counts, choose_weighted, lognormal, scatter, splitmix64, stream,
    Cumulative,
};
use crate::reference::{
    clamp_to_city, county_center, county_shares, divisions, is_statistical_zone, Division,
    CITY_CENTER, PROVINCE_CENTER,
};

/// Every township gets at least this many residents, so even a tiny city has people everywhere.
pub const MIN_RESIDENTS_PER_TOWNSHIP: u64 = 3;
/// The largest population accepted. Zhumadian has 7 million; the cap keeps every township far
/// below the identity-number sequences its region can hold.
pub const MAX_POPULATION: u64 = 20_000_000;
/// The earliest reference year: people up to 100 years old must be born in 1900 or later,
/// the first year GB 11643 numbers can encode.
pub const MIN_REFERENCE_YEAR: i32 = 1901 + MAX_AGE as i32;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CityConfig {
    /// The 4-digit city code; only `4117` (Zhumadian) has reference data.
    pub city_code: String,
    /// Number of residents.
    pub population: u64,
    /// The seed of every random draw.
    pub seed: u64,
    /// "Today" for ages: everyone's age is in completed years on this date.
    pub reference_date: NaiveDate,
}

impl CityConfig {
    /// A Zhumadian of `population` residents.
    pub fn zhumadian(population: u64, seed: u64, reference_date: NaiveDate) -> CityConfig {
        CityConfig {
            city_code: "4117".to_string(),
            population,
            seed,
            reference_date,
        }
    }
}

/// Why a city cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SynthError {
    #[error("no reference data for city {0}")]
    UnknownCity(String),
    #[error("population {population} is below the minimum of {minimum} for this city")]
    PopulationTooSmall { population: u64, minimum: u64 },
    #[error("population {population} exceeds the maximum of {maximum}")]
    PopulationTooLarge { population: u64, maximum: u64 },
    #[error(
        "reference date {0} is before {MIN_REFERENCE_YEAR}: birth years must be 1900 or later"
    )]
    ReferenceDate(NaiveDate),
    #[error("generated jurisdiction code {code} is invalid")]
    Code {
        code: String,
        #[source]
        source: JurisdictionCodeError,
    },
}

/// A jurisdiction with its resident counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Jurisdiction {
    pub code: JurisdictionCode,
    pub name: String,
    pub level: Level,
    pub parent: Option<JurisdictionCode>,
    /// Residents by [`AgeBand::ALL`](fangkong_domain::AgeBand::ALL) order. For the province, only this city's residents.
    pub population: [u64; 4],
    pub male: u64,
    pub female: u64,
    /// Longitude, latitude.
    pub centroid: (f64, f64),
}

impl Jurisdiction {
    /// All residents.
    pub fn total(&self) -> u64 {
        self.population.iter().sum()
    }
}

/// The kind of a township-level unit, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TownshipKind {
    /// 街道: urban, dense, communities are 社区.
    Subdistrict,
    /// 镇.
    Town,
    /// 乡: the most rural.
    Township,
    /// Industrial parks, farms and scenic areas: few residents, many jobs.
    Zone,
}

impl TownshipKind {
    /// Classifies a township by the ending of its official name.
    pub fn of_name(name: &str) -> TownshipKind {
        if name.ends_with("街道") {
            TownshipKind::Subdistrict
        } else if name.ends_with('镇') {
            TownshipKind::Town
        } else if name.ends_with('乡') {
            TownshipKind::Township
        } else {
            TownshipKind::Zone
        }
    }

    /// The stable identifier: `subdistrict`, `town`, `township`, `zone`.
    pub fn as_str(self) -> &'static str {
        match self {
            TownshipKind::Subdistrict => "subdistrict",
            TownshipKind::Town => "town",
            TownshipKind::Township => "township",
            TownshipKind::Zone => "zone",
        }
    }

    /// Share of people aged 18-59 with a job outside farming.
    pub(crate) fn employment_rate(self) -> f64 {
        match self {
            TownshipKind::Subdistrict => 0.80,
            TownshipKind::Town | TownshipKind::Zone => 0.62,
            TownshipKind::Township => 0.55,
        }
    }

    /// Relative density of jobs: work concentrates in the city and the industrial zones.
    fn job_density(self) -> f64 {
        match self {
            TownshipKind::Subdistrict => 1.6,
            TownshipKind::Town => 1.0,
            TownshipKind::Township => 0.6,
            TownshipKind::Zone => 1.8,
        }
    }
}

/// A synthetic community (社区 or 村) of a township.
#[derive(Debug, Clone, PartialEq)]
pub struct CommunityPlan {
    /// 12 digits: the township code and a 3-digit sequence from `001`.
    pub code: String,
    pub name: String,
    pub population: u64,
    pub households: u64,
    pub centroid: (f64, f64),
    pub(crate) quota: Quota,
}

/// One township's share of the city, as the township generator needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct TownshipPlan {
    pub code: String,
    pub name: String,
    pub county_code: String,
    pub kind: TownshipKind,
    /// Exact number of residents the generator produces.
    pub population: u64,
    /// Persons have ids `first_person_id..first_person_id + population`.
    pub first_person_id: i64,
    /// Exact number of households the generator produces.
    pub households: u64,
    pub first_household_id: i64,
    /// Exact number of facilities the generator produces (city facilities excluded).
    pub facilities: u64,
    pub first_facility_id: i64,
    pub communities: Vec<CommunityPlan>,
    pub centroid: (f64, f64),
    pub(crate) county: usize,
    pub(crate) id_slots: IdSlots,
    pub(crate) slots: Vec<FacilitySlot>,
    pub(crate) jobs: Cumulative<(i64, Occupation)>,
    pub(crate) schools: [Cumulative<i64>; 4],
}

/// County-level tables the township generator draws commuters and pupils from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CountyPlan {
    pub code: String,
    pub name: String,
    pub jobs: Cumulative<usize>,
    pub schools: [Cumulative<i64>; 4],
}

/// The plan of a whole city. See the module documentation.
#[derive(Debug, Clone, PartialEq)]
pub struct CityPlan {
    pub config: CityConfig,
    /// Province, city, counties, townships, communities, in that order (parents first).
    pub jurisdictions: Vec<Jurisdiction>,
    pub townships: Vec<TownshipPlan>,
    /// Labs, hospitals, quarantine sites and warehouses; ids `1..=city_facilities.len()`.
    pub city_facilities: Vec<Facility>,
    /// Rooms of the quarantine sites; ids from 1.
    pub rooms: Vec<Room>,
    pub(crate) city_name: String,
    pub(crate) counties: Vec<CountyPlan>,
    pub(crate) city_jobs: Cumulative<usize>,
    pub(crate) foreign_regions: Vec<String>,
    pub(crate) phone_key: u64,
}

impl CityPlan {
    /// Number of residents (equals the configured population).
    pub fn person_count(&self) -> u64 {
        self.townships.iter().map(|t| t.population).sum()
    }

    /// Number of households across all townships.
    pub fn household_count(&self) -> u64 {
        self.townships.iter().map(|t| t.households).sum()
    }

    /// Number of facilities, city-level ones included.
    pub fn facility_count(&self) -> u64 {
        self.city_facilities.len() as u64 + self.townships.iter().map(|t| t.facilities).sum::<u64>()
    }

    /// The index of the township with `code`.
    pub fn township_index(&self, code: &str) -> Option<usize> {
        self.townships.iter().position(|t| t.code == code)
    }

    /// The jurisdiction with `code`.
    pub fn jurisdiction(&self, code: &str) -> Option<&Jurisdiction> {
        self.jurisdictions.iter().find(|j| j.code.as_str() == code)
    }
}

/// Township counts by group and sex, before they are split into communities.
type Counts = [[u64; 2]; N_GROUPS];

struct CountyDraft<'a> {
    division: &'a Division,
    share: f64,
    townships: Vec<&'a Division>,
    population: u64,
}

struct TownshipDraft {
    code: String,
    name: String,
    county: usize,
    kind: TownshipKind,
    population: u64,
    centroid: (f64, f64),
    counts: Counts,
    communities: Vec<CommunityPlan>,
}

/// Labs are numbered from 9501 in the place-code space of their community.
const LAB_CODES: u32 = 9_500;

/// Plans a city: the jurisdiction tree, resident counts, id ranges and facilities.
///
/// Deterministic: the same config always gives the same plan.
///
/// # Errors
/// An unknown city, a population below [`MIN_RESIDENTS_PER_TOWNSHIP`] per township or above
/// [`MAX_POPULATION`], or a reference date before [`MIN_REFERENCE_YEAR`].
///
/// # Examples
/// ```
/// use chrono::NaiveDate;
/// use fangkong_synth::{plan, CityConfig};
/// let today = NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
/// let plan = plan(&CityConfig::zhumadian(5_000, 1, today)).unwrap();
/// assert_eq!(plan.person_count(), 5_000);
/// assert_eq!(plan.townships.len(), 208);
/// ```
pub fn plan(cfg: &CityConfig) -> Result<CityPlan, SynthError> {
    let div = divisions();
    let unknown = || SynthError::UnknownCity(cfg.city_code.clone());
    let shares = county_shares(&cfg.city_code).ok_or_else(unknown)?;
    let city = div.find(&cfg.city_code).ok_or_else(unknown)?;
    if cfg.reference_date.year() < MIN_REFERENCE_YEAR {
        return Err(SynthError::ReferenceDate(cfg.reference_date));
    }
    let mut counties = Vec::with_capacity(shares.len());
    for share in shares {
        let division = div.find(&share.code).ok_or_else(unknown)?;
        let townships: Vec<&Division> = div.children(&share.code).collect();
        if !townships.is_empty() {
            counties.push(CountyDraft {
                division,
                share: share.share,
                townships,
                population: 0,
            });
        }
    }
    let n_townships: u64 = counties.iter().map(|c| c.townships.len() as u64).sum();
    let minimum = n_townships * MIN_RESIDENTS_PER_TOWNSHIP;
    if counties.is_empty() {
        return Err(unknown());
    }
    if cfg.population < minimum {
        return Err(SynthError::PopulationTooSmall {
            population: cfg.population,
            minimum,
        });
    }
    if cfg.population > MAX_POPULATION {
        return Err(SynthError::PopulationTooLarge {
            population: cfg.population,
            maximum: MAX_POPULATION,
        });
    }

    // County populations from the published shares.
    let weights: Vec<f64> = counties.iter().map(|c| c.share).collect();
    let minima: Vec<u64> = counties
        .iter()
        .map(|c| c.townships.len() as u64 * MIN_RESIDENTS_PER_TOWNSHIP)
        .collect();
    for (c, p) in counties
        .iter_mut()
        .zip(split_with_minimum(cfg.population, &weights, &minima))
    {
        c.population = p;
    }
    // The urban district is the county-level unit with the most sub-districts.
    let urban_county = (0..counties.len())
        .max_by_key(|i| {
            let n = counties[*i]
                .townships
                .iter()
                .filter(|t| TownshipKind::of_name(&t.name) == TownshipKind::Subdistrict)
                .count();
            (n, std::cmp::Reverse(*i))
        })
        .unwrap_or(0);

    let mut drafts = draft_townships(cfg.seed, &counties, urban_county);
    let pops: Vec<u64> = drafts.iter().map(|t| t.population).collect();
    let kinds: Vec<TownshipKind> = drafts.iter().map(|t| t.kind).collect();
    for (t, bands) in drafts.iter_mut().zip(split_bands(&pops, &kinds)) {
        t.counts = township_counts(bands);
    }
    for t in &mut drafts {
        t.communities = plan_communities(cfg.seed, t)?;
    }

    let ctx = Context {
        seed: cfg.seed,
        population: cfg.population,
        city_name: city.name.clone(),
        counties: &counties,
        drafts: &drafts,
        urban_county,
    };
    let city_level = city_facilities(&ctx);
    let extras = county_extras(&ctx);
    let slots: Vec<Vec<FacilitySlot>> = drafts
        .iter()
        .zip(extras)
        .map(|(t, extra)| township_slots(&ctx, t, extra))
        .collect();

    let mut townships = number_townships(
        drafts,
        slots,
        &counties,
        urban_county,
        city_level.facilities.len(),
    );
    let (counties_plans, city_jobs) = job_and_school_tables(&mut townships, &city_level, &counties);
    let jurisdictions = jurisdictions(div, city, &counties, &townships)?;
    let foreign_regions = div
        .counties
        .iter()
        .map(|d| d.code.as_str())
        .filter(|code| !code.starts_with(&cfg.city_code) && !is_statistical_zone(code))
        .map(str::to_string)
        .collect();
    Ok(CityPlan {
        config: cfg.clone(),
        jurisdictions,
        townships,
        city_facilities: city_level.facilities,
        rooms: city_level.rooms,
        city_name: city.name.clone(),
        counties: counties_plans,
        city_jobs,
        foreign_regions,
        phone_key: splitmix64(cfg.seed ^ 0x7068_6f6e_6573),
    })
}

/// Turns the drafts into township plans with their id ranges and identity-number slots.
///
/// Persons, households and facilities are numbered township by township, facilities after
/// the `city_facilities` city-level ones. Townships sharing an identity-number region (a
/// county's townships; the development zone's with the urban district's) each own a residue
/// class of the sequence pairs.
fn number_townships(
    drafts: Vec<TownshipDraft>,
    slots: Vec<Vec<FacilitySlot>>,
    counties: &[CountyDraft],
    urban_county: usize,
    city_facilities: usize,
) -> Vec<TownshipPlan> {
    let region_of = |county: usize| -> String {
        let code = counties[county].division.code.as_str();
        if is_statistical_zone(code) {
            // Development zones issue no numbers of their own; their residents register in
            // the urban district.
            counties[urban_county].division.code.as_str().to_string()
        } else {
            code.to_string()
        }
    };
    let regions: Vec<String> = drafts.iter().map(|t| region_of(t.county)).collect();
    let mut next_person = 1i64;
    let mut next_household = 1i64;
    let mut next_facility = city_facilities as i64 + 1;
    let mut townships = Vec::with_capacity(drafts.len());
    for (i, (t, slots)) in drafts.into_iter().zip(slots).enumerate() {
        let households: u64 = t.communities.iter().map(|c| c.households).sum();
        let same_region: Vec<usize> = (0..regions.len())
            .filter(|j| regions[*j] == regions[i])
            .collect();
        let id_slots = IdSlots {
            region: regions[i].clone(),
            base: same_region.iter().position(|j| *j == i).unwrap_or(0) as u16,
            stride: same_region.len() as u16,
            foreign_base: i as u16,
            foreign_stride: regions.len() as u16,
        };
        let plan = TownshipPlan {
            first_person_id: next_person,
            first_household_id: next_household,
            first_facility_id: next_facility,
            population: t.population,
            households,
            facilities: slots.len() as u64,
            code: t.code,
            name: t.name,
            county_code: counties[t.county].division.code.as_str().to_string(),
            kind: t.kind,
            communities: t.communities,
            centroid: t.centroid,
            county: t.county,
            id_slots,
            slots,
            jobs: Cumulative::new(),
            schools: Default::default(),
        };
        next_person += plan.population as i64;
        next_household += plan.households as i64;
        next_facility += plan.facilities as i64;
        townships.push(plan);
    }
    townships
}

/// Fills the townships' job and school tables and builds the county and city ones.
fn job_and_school_tables(
    townships: &mut [TownshipPlan],
    city_level: &CityLevel,
    counties: &[CountyDraft],
) -> (Vec<CountyPlan>, Cumulative<usize>) {
    for (facility, (t, jobs, occupation)) in city_level.facilities.iter().zip(&city_level.jobs) {
        townships[*t]
            .jobs
            .push(u64::from(*jobs), (facility.id, *occupation));
    }
    for t in townships.iter_mut() {
        let first = t.first_facility_id;
        let mut schools: [Cumulative<i64>; 4] = Default::default();
        for (i, slot) in t.slots.iter().enumerate() {
            let id = first + i as i64;
            t.jobs.push(u64::from(slot.jobs), (id, slot.occupation));
            if slot.kind == FacilityKind::School {
                if let Some(s) = SCHOOL_TYPES.iter().position(|s| *s == slot.subtype) {
                    schools[s].push(u64::from(slot.capacity), id);
                }
            }
        }
        t.schools = schools;
    }
    let mut county_plans = Vec::with_capacity(counties.len());
    let mut city_jobs = Cumulative::new();
    for (c, county) in counties.iter().enumerate() {
        let mut jobs = Cumulative::new();
        let mut schools: [Cumulative<i64>; 4] = Default::default();
        for (i, t) in townships.iter().enumerate().filter(|(_, t)| t.county == c) {
            jobs.push(t.jobs.total(), i);
            for (s, table) in schools.iter_mut().enumerate() {
                for (weight, id) in t.schools[s].weighted() {
                    table.push(weight, *id);
                }
            }
        }
        city_jobs.push(jobs.total(), c);
        county_plans.push(CountyPlan {
            code: county.division.code.as_str().to_string(),
            name: county.division.name.clone(),
            jobs,
            schools,
        });
    }
    (county_plans, city_jobs)
}

/// Gives each unit its minimum, then splits the rest in proportion to `weights`.
fn split_with_minimum(total: u64, weights: &[f64], minima: &[u64]) -> Vec<u64> {
    let base: u64 = minima.iter().sum();
    apportion(total.saturating_sub(base), weights)
        .into_iter()
        .zip(minima)
        .map(|(a, m)| a + m)
        .collect()
}

/// Township populations and positions, county by county.
fn draft_townships(seed: u64, counties: &[CountyDraft], urban_county: usize) -> Vec<TownshipDraft> {
    let mut out = Vec::new();
    for (c, county) in counties.iter().enumerate() {
        let code = county.division.code.as_str();
        let mut rng = stream(seed, &format!("plan/county/{code}"));
        let kinds: Vec<TownshipKind> = county
            .townships
            .iter()
            .map(|t| TownshipKind::of_name(&t.name))
            .collect();
        // Sub-districts are denser, the urban district's most of all; 乡 are the thinnest.
        let weights: Vec<f64> = kinds
            .iter()
            .map(|k| {
                let base = match k {
                    TownshipKind::Subdistrict if c == urban_county => 2.4,
                    TownshipKind::Subdistrict => 1.8,
                    TownshipKind::Town => 1.0,
                    TownshipKind::Township => 0.7,
                    TownshipKind::Zone => 0.4,
                };
                base * lognormal(&mut rng, 1.0, 0.35)
            })
            .collect();
        let minima = vec![MIN_RESIDENTS_PER_TOWNSHIP; kinds.len()];
        let pops = split_with_minimum(county.population, &weights, &minima);
        let center = county_center(code);
        let compact = is_statistical_zone(code);
        for ((t, kind), population) in county.townships.iter().zip(kinds).zip(pops) {
            let centroid = match kind {
                TownshipKind::Subdistrict if c == urban_county => scatter(&mut rng, center, 0.04),
                TownshipKind::Subdistrict => scatter(&mut rng, center, 0.025),
                _ if compact => scatter(&mut rng, center, 0.05),
                _ => {
                    let r = 0.06 + 0.16 * rng.gen::<f64>();
                    let angle = std::f64::consts::TAU * rng.gen::<f64>();
                    (center.0 + r * angle.cos(), center.1 + r * angle.sin())
                }
            };
            out.push(TownshipDraft {
                code: t.code.as_str().to_string(),
                name: t.name.clone(),
                county: c,
                kind,
                population,
                centroid: clamp_to_city(centroid),
                counts: [[0; 2]; N_GROUPS],
                communities: Vec::new(),
            });
        }
    }
    out
}

/// Residents of each township by band: city totals match the census shares, sub-districts
/// are younger and 乡 older (iterative proportional fitting, then largest remainders).
fn split_bands(pops: &[u64], kinds: &[TownshipKind]) -> Vec<[u64; 4]> {
    let total: u64 = pops.iter().sum();
    let targets: Vec<f64> = BAND_SHARES.iter().map(|s| s * total as f64).collect();
    let mut m: Vec<[f64; 4]> = pops
        .iter()
        .zip(kinds)
        .map(|(p, k)| {
            // Working-age people move to the city; children and the elderly stay behind.
            let factor = match k {
                TownshipKind::Subdistrict => [0.88, 1.12, 0.80, 0.75],
                TownshipKind::Town | TownshipKind::Zone => [1.02, 0.98, 1.02, 1.0],
                TownshipKind::Township => [1.08, 0.92, 1.12, 1.12],
            };
            let mut row = [0.0; 4];
            for b in 0..4 {
                row[b] = *p as f64 * BAND_SHARES[b] * factor[b];
            }
            row
        })
        .collect();
    for _ in 0..50 {
        for (row, p) in m.iter_mut().zip(pops) {
            let s: f64 = row.iter().sum();
            if s > 0.0 {
                row.iter_mut().for_each(|x| *x *= *p as f64 / s);
            }
        }
        for b in 0..4 {
            let s: f64 = m.iter().map(|row| row[b]).sum();
            if s > 0.0 {
                m.iter_mut().for_each(|row| row[b] *= targets[b] / s);
            }
        }
    }
    m.iter()
        .zip(pops)
        .map(|(row, p)| {
            let parts = apportion(*p, row);
            let mut bands = [parts[0], parts[1], parts[2], parts[3]];
            // Every township has someone of working age.
            if *p > 0 && bands[1] == 0 {
                if let Some(b) = (0..4).max_by_key(|b| bands[*b]) {
                    bands[b] -= 1;
                    bands[1] += 1;
                }
            }
            bands
        })
        .collect()
}

/// Splits a township's band counts into age groups and sexes.
fn township_counts(bands: [u64; 4]) -> Counts {
    let mut groups = [0u64; N_GROUPS];
    for (b, total) in bands.iter().enumerate() {
        let members: Vec<usize> = (0..N_GROUPS).filter(|g| GROUP_BAND[*g] == b).collect();
        let weights: Vec<f64> = members.iter().map(|g| group_share_in_band(*g)).collect();
        for (g, n) in members.iter().zip(apportion(*total, &weights)) {
            groups[*g] = n;
        }
    }
    // Someone of 18-59 must exist to head the first household.
    if bands[1] > 0 && groups[GROUP_ADULT] == 0 {
        groups[GROUP_HIGH] -= 1;
        groups[GROUP_ADULT] += 1;
    }
    let mut counts = [[0u64; 2]; N_GROUPS];
    for g in 0..N_GROUPS {
        let male = ((groups[g] as f64 * GROUP_MALE_RATIO[g]).round() as u64).min(groups[g]);
        counts[g] = [male, groups[g] - male];
    }
    counts
}

/// The communities of one township with their exact counts.
fn plan_communities(seed: u64, t: &TownshipDraft) -> Result<Vec<CommunityPlan>, SynthError> {
    let mut rng = stream(seed, &format!("plan/township/{}", t.code));
    let adults: u64 = HEAD_GROUPS
        .iter()
        .map(|g| t.counts[*g][0] + t.counts[*g][1])
        .sum();
    let desired: u64 = match t.kind {
        TownshipKind::Subdistrict => rng.gen_range(8..=18),
        TownshipKind::Town => rng.gen_range(10..=20),
        TownshipKind::Township => rng.gen_range(9..=19),
        TownshipKind::Zone => rng.gen_range(3..=8),
    };
    // Tiny populations get fewer communities: about 20 residents each at least.
    let n = desired.min((t.population / 20).max(1)).min(adults).max(1) as usize;
    let urban = t.kind == TownshipKind::Subdistrict;
    let names = names::community_names(&mut rng, n, urban);

    let mut remaining: Vec<u64> = t.counts.iter().flatten().copied().collect();
    let mut quotas = vec![vec![0u64; 2 * N_GROUPS]; n];
    // One adult each first, so every community has someone to head a household.
    let adult_cells: Vec<usize> = HEAD_GROUPS
        .iter()
        .flat_map(|g| [2 * g, 2 * g + 1])
        .collect();
    for q in quotas.iter_mut() {
        if let Some(cell) = adult_cells
            .iter()
            .copied()
            .max_by_key(|c| (remaining[*c], std::cmp::Reverse(*c)))
            .filter(|c| remaining[*c] > 0)
        {
            remaining[cell] -= 1;
            q[cell] += 1;
        }
    }
    let weights: Vec<f64> = (0..n).map(|_| lognormal(&mut rng, 1.0, 0.45)).collect();
    let seeded: u64 = quotas.iter().flatten().sum();
    let extra = apportion(t.population - seeded, &weights);
    let mean = mean_household_size();
    let mut out = Vec::with_capacity(n);
    for (i, (q, extra)) in quotas.iter_mut().zip(extra).enumerate() {
        let part = apportion_counts(extra, &remaining);
        for (cell, k) in part.iter().enumerate() {
            q[cell] += k;
            remaining[cell] -= k;
        }
        let mut quota: Quota = [[0; 2]; N_GROUPS];
        for g in 0..N_GROUPS {
            quota[g] = [q[2 * g] as u32, q[2 * g + 1] as u32];
        }
        let population: u64 = q.iter().sum();
        let heads: u64 = adult_cells.iter().map(|c| q[*c]).sum();
        let households = ((population as f64 / mean).round() as u64).clamp(1, heads.max(1));
        let code = format!("{}{:03}", t.code, i + 1);
        JurisdictionCode::parse(&code).map_err(|source| SynthError::Code {
            code: code.clone(),
            source,
        })?;
        let spread = if urban { 0.012 } else { 0.045 };
        out.push(CommunityPlan {
            code,
            name: names[i].clone(),
            population,
            households: if population == 0 { 0 } else { households },
            centroid: clamp_to_city(scatter(&mut rng, t.centroid, spread)),
            quota,
        });
    }
    Ok(out)
}

/// What the city-level plan needs to see.
struct Context<'a> {
    seed: u64,
    population: u64,
    city_name: String,
    counties: &'a [CountyDraft<'a>],
    drafts: &'a [TownshipDraft],
    urban_county: usize,
}

impl Context<'_> {
    /// The county seat: the first sub-district of the county, else its first township.
    fn seat(&self, county: usize) -> usize {
        let of_county = || {
            self.drafts
                .iter()
                .enumerate()
                .filter(move |(_, t)| t.county == county)
        };
        of_county()
            .find(|(_, t)| t.kind == TownshipKind::Subdistrict)
            .or_else(|| of_county().next())
            .map_or(0, |(i, _)| i)
    }

    /// A township of `county` drawn with `weight` by kind.
    fn township_in(
        &self,
        rng: &mut impl Rng,
        county: usize,
        weight: fn(TownshipKind) -> f64,
    ) -> usize {
        let candidates: Vec<usize> = (0..self.drafts.len())
            .filter(|i| self.drafts[*i].county == county)
            .collect();
        let weights: Vec<f64> = candidates
            .iter()
            .map(|i| weight(self.drafts[*i].kind))
            .collect();
        choose_weighted(rng, &weights)
            .and_then(|k| candidates.get(k).copied())
            .unwrap_or_else(|| self.seat(county))
    }

    /// A community of township `t` (weighted by residents) and a point near it.
    fn place(&self, rng: &mut impl Rng, t: usize) -> (usize, (f64, f64)) {
        let township = &self.drafts[t];
        let weights: Vec<f64> = township
            .communities
            .iter()
            .map(|c| c.population as f64)
            .collect();
        let c = choose_weighted(rng, &weights).unwrap_or(0);
        let center = township
            .communities
            .get(c)
            .map_or(township.centroid, |c| c.centroid);
        (c, clamp_to_city(scatter(rng, center, 0.006)))
    }

    /// Counties with hospitals, labs and reserves of their own.
    fn administrative_counties(&self) -> Vec<usize> {
        (0..self.counties.len())
            .filter(|c| !is_statistical_zone(self.counties[*c].division.code.as_str()))
            .collect()
    }

    fn county_name(&self, c: usize) -> &str {
        &self.counties[c].division.name
    }
}

struct CityLevel {
    facilities: Vec<Facility>,
    /// Per facility: township, jobs, occupation of the staff.
    jobs: Vec<(usize, u32, Occupation)>,
    rooms: Vec<Room>,
}

impl CityLevel {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        ctx: &Context,
        rng: &mut impl Rng,
        kind: FacilityKind,
        subtype: &str,
        name: String,
        township: usize,
        capacity: u64,
        jobs: (u64, Occupation),
    ) -> usize {
        let (community, (lon, lat)) = ctx.place(rng, township);
        let community_code = ctx.drafts[township]
            .communities
            .get(community)
            .map(|c| c.code.clone())
            .unwrap_or_default();
        self.facilities.push(Facility {
            id: self.facilities.len() as i64 + 1,
            kind,
            subtype: subtype.to_string(),
            name,
            // Labs carry a code (results name their lab by it); other city facilities have none.
            place_code: if kind == FacilityKind::Lab {
                let n = self
                    .facilities
                    .iter()
                    .filter(|f| f.kind == FacilityKind::Lab)
                    .count() as u32;
                fangkong_domain::PlaceCode::new(&community_code, LAB_CODES + 1 + n).ok()
            } else {
                None
            },
            community_code,
            capacity: capacity.min(u64::from(u32::MAX)) as u32,
            beds_general: 0,
            beds_icu: 0,
            beds_isolation: 0,
            lon,
            lat,
        });
        self.jobs
            .push((township, jobs.0.min(u64::from(u32::MAX)) as u32, jobs.1));
        self.facilities.len() - 1
    }
}

/// Labs, hospitals, quarantine sites (with rooms) and warehouses.
fn city_facilities(ctx: &Context) -> CityLevel {
    let mut rng = stream(ctx.seed, "plan/city-facilities");
    let mut out = CityLevel {
        facilities: Vec::new(),
        jobs: Vec::new(),
        rooms: Vec::new(),
    };
    let city = ctx.city_name.as_str();
    let stem = city.trim_end_matches('市');
    let admin = ctx.administrative_counties();
    let admin_pop: u64 = admin.iter().map(|c| ctx.counties[*c].population).sum();
    let county_weight = |c: usize| ctx.counties[c].population as f64 / admin_pop.max(1) as f64;
    let urban = |rng: &mut ChaCha8Rng| {
        ctx.township_in(rng, ctx.urban_county, |k| {
            if k == TownshipKind::Subdistrict {
                1.0
            } else {
                0.0
            }
        })
    };

    // Labs: tubes per day summing to a tenth of the population, so a 10-in-1 pooled round
    // of the whole city takes a day.
    let mut labs: Vec<(&str, String, usize, f64)> = vec![
        (
            "cdc",
            format!("{city}疾病预防控制中心实验室"),
            urban(&mut rng),
            0.08,
        ),
        (
            "hospital",
            format!("{city}中心医院PCR实验室"),
            urban(&mut rng),
            0.07,
        ),
    ];
    for c in &admin {
        labs.push((
            "cdc",
            format!("{}疾病预防控制中心实验室", ctx.county_name(*c)),
            ctx.seat(*c),
            0.45 * county_weight(*c),
        ));
    }
    let third: Vec<f64> = (0..3).map(|_| lognormal(&mut rng, 1.0, 0.3)).collect();
    let third_total: f64 = third.iter().sum();
    for w in third {
        let name = format!("{stem}{}医学检验实验室", names::brand(&mut rng));
        labs.push(("third_party", name, urban(&mut rng), 0.40 * w / third_total));
    }
    let tubes = ((ctx.population as f64 / 10.0).round() as u64).max(1);
    let weights: Vec<f64> = labs.iter().map(|l| l.3).collect();
    for ((subtype, name, t, _), capacity) in labs.into_iter().zip(apportion(tubes, &weights)) {
        let jobs = (capacity / 400).max(3);
        out.push(
            ctx,
            &mut rng,
            FacilityKind::Lab,
            subtype,
            name,
            t,
            capacity,
            (jobs, Occupation::Medical),
        );
    }

    // Hospitals: about 5 beds per 1000 residents, 30 % in the city hospitals.
    let mut hospitals: Vec<(&str, String, usize, f64)> = vec![
        ("general", format!("{city}中心医院"), urban(&mut rng), 0.13),
        (
            "general",
            format!("{city}第一人民医院"),
            urban(&mut rng),
            0.10,
        ),
        (
            "designated",
            format!("{city}第二人民医院"),
            urban(&mut rng),
            0.07,
        ),
    ];
    for c in &admin {
        let name = ctx.county_name(*c);
        hospitals.push((
            "designated",
            format!("{name}人民医院"),
            ctx.seat(*c),
            0.70 * 0.62 * county_weight(*c),
        ));
        hospitals.push((
            "general",
            format!("{name}中医院"),
            ctx.seat(*c),
            0.70 * 0.38 * county_weight(*c),
        ));
    }
    let beds_total = (ctx.population as f64 * 0.005).round() as u64;
    let weights: Vec<f64> = hospitals.iter().map(|h| h.3).collect();
    for ((subtype, name, t, _), beds) in hospitals.into_iter().zip(apportion(beds_total, &weights))
    {
        // A hospital keeps a working minimum of beds however small the generated city.
        let beds = beds.max(20);
        let jobs = ((beds as f64 * 1.3).round() as u64).max(5);
        let i = out.push(
            ctx,
            &mut rng,
            FacilityKind::Hospital,
            subtype,
            name,
            t,
            beds,
            (jobs, Occupation::Medical),
        );
        let icu = ((beds as f64 * 0.04).round() as u64).max(1);
        let isolation_share = if subtype == "designated" { 0.30 } else { 0.05 };
        let isolation = ((beds as f64 * isolation_share).round() as u64).max(1);
        let f = &mut out.facilities[i];
        f.beds_icu = icu as u32;
        f.beds_isolation = isolation as u32;
        f.beds_general = beds.saturating_sub(icu + isolation) as u32;
    }

    // Quarantine sites: 3 to 6 per county with 50 to 300 rooms each.
    for c in &admin {
        let n = rng.gen_range(3..=6);
        for k in 1..=n {
            let t = ctx.township_in(&mut rng, *c, |kind| match kind {
                TownshipKind::Subdistrict => 3.0,
                TownshipKind::Town | TownshipKind::Zone => 1.0,
                TownshipKind::Township => 0.5,
            });
            let (subtype, name) = if rng.gen_bool(0.7) {
                (
                    "hotel",
                    format!("{}{}酒店", ctx.county_name(*c), names::brand(&mut rng)),
                )
            } else {
                (
                    "centralized",
                    format!("{}第{k}集中隔离点", ctx.county_name(*c)),
                )
            };
            let n_rooms: u32 = rng.gen_range(50..=300);
            let i = out.push(
                ctx,
                &mut rng,
                FacilityKind::QuarantineSite,
                subtype,
                name,
                t,
                0,
                (u64::from(15 + n_rooms / 10), Occupation::ServiceWorker),
            );
            let facility_id = out.facilities[i].id;
            let mut beds = 0;
            for r in 0..n_rooms {
                // Most rooms are single; some take a couple, and the last room of each floor
                // is a family suite of four (a parent with young children stays together).
                let double = rng.gen_bool(0.15);
                let room_beds = if r % 20 == 19 {
                    4
                } else if double {
                    2
                } else {
                    1
                };
                beds += room_beds;
                out.rooms.push(Room {
                    id: out.rooms.len() as i64 + 1,
                    facility_id,
                    number: format!("{}{:02}", r / 20 + 1, r % 20 + 1),
                    beds: room_beds,
                    accessible: r % 20 < 2,
                });
            }
            out.facilities[i].capacity = beds;
        }
    }

    // Emergency supplies: the city reserve and one per county (cubic metres).
    let t = urban(&mut rng);
    let volume = (ctx.population / 200).max(2000);
    out.push(
        ctx,
        &mut rng,
        FacilityKind::Warehouse,
        "city_reserve",
        format!("{city}应急物资储备库"),
        t,
        volume,
        (12, Occupation::Delivery),
    );
    for c in &admin {
        let volume = (ctx.counties[*c].population / 250).max(500);
        let name = format!("{}应急物资储备库", ctx.county_name(*c));
        out.push(
            ctx,
            &mut rng,
            FacilityKind::Warehouse,
            "county_reserve",
            name,
            ctx.seat(*c),
            volume,
            (8, Occupation::Delivery),
        );
    }
    out
}

/// County-level facilities that live in a township: key enterprises, high schools, transport
/// hubs and quarantine hotels.
#[derive(Default)]
struct Extras {
    /// Size, subtype and name of each key enterprise.
    key_enterprises: Vec<(u32, &'static str, String)>,
    /// Capacity and name of each high school.
    high_schools: Vec<(u32, String)>,
    /// Name, visitors per day and staff of each transport hub.
    hubs: Vec<(String, u32, u32)>,
    quarantine_hotel: bool,
    /// Jobs in ordinary workplaces this township should offer.
    workplace_jobs: u64,
}

fn county_extras(ctx: &Context) -> Vec<Extras> {
    let mut extras: Vec<Extras> = ctx.drafts.iter().map(|_| Extras::default()).collect();
    let stem = ctx.city_name.trim_end_matches('市');
    for (c, county) in ctx.counties.iter().enumerate() {
        let code = county.division.code.as_str();
        let mut rng = stream(ctx.seed, &format!("plan/county-facilities/{code}"));
        let members: Vec<usize> = (0..ctx.drafts.len())
            .filter(|i| ctx.drafts[*i].county == c)
            .collect();

        // Ordinary workplace jobs: about two thirds of the employed, placed where jobs are.
        let employed: Vec<f64> = members
            .iter()
            .map(|i| {
                let t = &ctx.drafts[*i];
                let adults = (t.counts[GROUP_ADULT][0] + t.counts[GROUP_ADULT][1]) as f64;
                adults * t.kind.employment_rate() * 0.96
            })
            .collect();
        let total_employed: f64 = employed.iter().sum();
        let located: Vec<f64> = members
            .iter()
            .zip(&employed)
            .map(|(i, e)| e * ctx.drafts[*i].kind.job_density())
            .collect();
        let jobs = apportion((total_employed * 0.66).round() as u64, &located);
        for (i, j) in members.iter().zip(jobs) {
            extras[*i].workplace_jobs = j;
        }

        // Key enterprises: a few large employers per county.
        let n_key = ((county.population as f64 / 300_000.0).round() as usize).clamp(1, 5);
        let scale = (county.population as f64 / 600_000.0).min(1.5);
        for _ in 0..n_key {
            let weights: Vec<f64> = members
                .iter()
                .map(|i| extras[*i].workplace_jobs as f64 + 1.0)
                .collect();
            let t = members[choose_weighted(&mut rng, &weights).unwrap_or(0)];
            let size = ((rng.gen_range(800.0..4000.0) * scale).round() as u32).max(40);
            let (subtype, industry) = if rng.gen_bool(0.6) {
                (
                    "manufacturing",
                    names::one_of(&mut rng, &["机械", "电子", "汽车零部件", "建材", "化工"]),
                )
            } else {
                (
                    "food_processing",
                    names::one_of(&mut rng, &["食品", "粮油", "肉类加工", "乳业", "调味品"]),
                )
            };
            let name = format!("河南{}{industry}集团有限公司", names::brand(&mut rng));
            extras[t].workplace_jobs = extras[t].workplace_jobs.saturating_sub(u64::from(size));
            extras[t].key_enterprises.push((size, subtype, name));
        }

        // High schools are county institutions, in the seat first.
        let pupils: u64 = members
            .iter()
            .map(|i| {
                let c = ctx.drafts[*i].counts[GROUP_HIGH];
                c[0] + c[1]
            })
            .sum();
        let pupils = (pupils as f64 * 0.92).round();
        if pupils >= 1.0 {
            let n = ((pupils / 2500.0).round() as usize).max(1);
            let seat = ctx.seat(c);
            let urban: Vec<usize> = members
                .iter()
                .copied()
                .filter(|i| ctx.drafts[*i].kind == TownshipKind::Subdistrict)
                .collect();
            for k in 0..n {
                let t = if k == 0 || urban.is_empty() {
                    seat
                } else {
                    urban[k % urban.len()]
                };
                let capacity = ((pupils / n as f64) * rng.gen_range(0.8..1.2))
                    .round()
                    .max(1.0) as u32;
                let name = format!(
                    "{}第{}高级中学",
                    county.division.name,
                    names::chinese_ordinal(k + 1)
                );
                extras[t].high_schools.push((capacity, name));
            }
        }

        // A bus terminal per county; the urban district also has the two railway stations.
        let seat = ctx.seat(c);
        extras[seat]
            .hubs
            .push((format!("{}汽车客运站", county.division.name), 5000, 40));
        if c == ctx.urban_county {
            let west = members[rng.gen_range(0..members.len())];
            extras[seat].hubs.push((format!("{stem}站"), 10_000, 80));
            extras[west].hubs.push((format!("{stem}西站"), 10_000, 80));
        }
        if !is_statistical_zone(code) {
            extras[seat].quarantine_hotel = true;
        }
    }
    extras
}

/// Facility slots under construction, in id order.
struct SlotList {
    slots: Vec<FacilitySlot>,
}

impl SlotList {
    /// Adds a slot and returns its index.
    fn add(
        &mut self,
        kind: FacilityKind,
        subtype: &'static str,
        community: usize,
        capacity: u32,
        (jobs, occupation): (u32, Occupation),
    ) -> usize {
        self.slots.push(FacilitySlot {
            kind,
            subtype,
            community,
            capacity,
            jobs,
            occupation,
            twin: None,
            name: None,
        });
        self.slots.len() - 1
    }

    /// Adds a slot with a name fixed by the plan.
    fn add_named(
        &mut self,
        kind: FacilityKind,
        subtype: &'static str,
        community: usize,
        capacity: u32,
        staff: (u32, Occupation),
        name: String,
    ) -> usize {
        let i = self.add(kind, subtype, community, capacity, staff);
        self.slots[i].name = Some(name);
        i
    }

    /// Adds a sentinel that is facility `twin` itself (same place, name and capacity; the
    /// staff are counted once, at the twin).
    fn add_sentinel_at(&mut self, subtype: &'static str, twin: usize) -> usize {
        let (community, capacity, occupation) = {
            let t = &self.slots[twin];
            (t.community, t.capacity, t.occupation)
        };
        let i = self.add(
            FacilityKind::Sentinel,
            subtype,
            community,
            capacity,
            (0, occupation),
        );
        self.slots[i].twin = Some(twin);
        i
    }

    fn first(&self, kind: FacilityKind, subtype: &str) -> Option<usize> {
        self.slots
            .iter()
            .position(|s| s.kind == kind && s.subtype == subtype)
    }
}

/// The facility slots of one township, in id order: workplaces, schools, venues, sentinels,
/// sampling sites (so that a sentinel's twin always comes first).
fn township_slots(ctx: &Context, t: &TownshipDraft, extra: Extras) -> Vec<FacilitySlot> {
    use FacilityKind::{SamplingSite, School, Sentinel, Venue, Workplace};
    let mut rng = stream(ctx.seed, &format!("plan/township-facilities/{}", t.code));
    let mut communities = Cumulative::new();
    for (i, c) in t.communities.iter().enumerate() {
        communities.push(c.population, i);
    }
    let pick = |rng: &mut ChaCha8Rng| communities.pick(rng).copied().unwrap_or(0);
    let mut list = SlotList { slots: Vec::new() };
    let urban = t.kind == TownshipKind::Subdistrict;

    // Workplaces: key enterprises, then ordinary ones with lognormal sizes (median 8) until
    // the township's jobs are covered.
    let mut keys = Vec::new();
    for (size, subtype, name) in extra.key_enterprises {
        let staff = (size, workplace_occupation(subtype));
        let c = pick(&mut rng);
        keys.push(list.add_named(Workplace, subtype, c, size, staff, name));
    }
    // Weights of WORKPLACE_TYPES: offices in the city, factories and food in the towns.
    let subtype_weights: [f64; 7] = if urban {
        [22.0, 8.0, 30.0, 10.0, 5.0, 3.0, 22.0]
    } else {
        [32.0, 14.0, 8.0, 6.0, 14.0, 3.0, 23.0]
    };
    let mut covered = 0u64;
    while covered < extra.workplace_jobs {
        let size = lognormal(&mut rng, 8.0, 1.1).round().clamp(2.0, 600.0) as u32;
        let subtype = WORKPLACE_TYPES[choose_weighted(&mut rng, &subtype_weights).unwrap_or(0)];
        let c = pick(&mut rng);
        list.add(
            Workplace,
            subtype,
            c,
            size,
            (size, workplace_occupation(subtype)),
        );
        covered += u64::from(size);
    }

    // Schools: kindergartens, primary and middle schools in every township that has the
    // children for them (one teacher per 14 pupils); high schools are county-level.
    let kids = |g: usize| (t.counts[g][0] + t.counts[g][1]) as f64;
    for (subtype, pupils, per_school) in [
        ("kindergarten", kids(GROUP_KINDERGARTEN) * 0.88, 180.0),
        ("primary", kids(GROUP_PRIMARY), 450.0),
        ("middle", kids(GROUP_MIDDLE), 900.0),
    ] {
        if pupils <= 0.0 {
            continue;
        }
        let n = ((pupils / per_school).round() as usize).max(1);
        for _ in 0..n {
            let capacity = (pupils / n as f64 * rng.gen_range(0.8..1.2))
                .round()
                .max(1.0) as u32;
            let c = pick(&mut rng);
            list.add(
                School,
                subtype,
                c,
                capacity,
                (capacity / 14 + 2, Occupation::Teacher),
            );
        }
    }
    for (capacity, name) in extra.high_schools {
        let c = pick(&mut rng);
        let staff = (capacity / 12 + 5, Occupation::Teacher);
        list.add_named(School, "high", c, capacity, staff, name);
    }

    // Venues: about one per 100 residents, plus a bus station in each sizeable town.
    let venue_types: [(&str, f64); 11] = [
        ("market", 4.0),
        ("supermarket", 18.0),
        ("restaurant", 30.0),
        ("cinema", if urban { 1.5 } else { 0.3 }),
        ("gym", if urban { 3.0 } else { 1.0 }),
        ("hotel", 6.0),
        ("ktv", 3.0),
        ("internet_cafe", 4.0),
        ("barber", 10.0),
        ("bathhouse", 4.0),
        ("mall", if urban { 1.0 } else { 0.0 }),
    ];
    let venue_weights: Vec<f64> = venue_types.iter().map(|v| v.1).collect();
    let n_venues = (t.population as f64 / 100.0).round() as usize;
    let mut subtypes: Vec<&'static str> = (0..n_venues)
        .map(|_| venue_types[choose_weighted(&mut rng, &venue_weights).unwrap_or(2)].0)
        .collect();
    if !urban && t.population >= 1500 {
        subtypes.push("station");
    }
    for subtype in subtypes {
        let visitors = (venue_visitors(subtype) * rng.gen_range(0.5..1.5)).round() as u32;
        let c = pick(&mut rng);
        list.add(Venue, subtype, c, visitors, venue_staff(subtype));
    }

    // Sentinels: the township health centre (about one health worker per 600 residents in
    // primary care) and its fever sentinel clinic, pharmacies, a school, a market, a
    // community office, and where they exist cold-chain stores, transport hubs, the
    // quarantine hotel and the key enterprises.
    let largest = (0..t.communities.len())
        .max_by_key(|i| (t.communities[*i].population, std::cmp::Reverse(*i)))
        .unwrap_or(0);
    let n_clinics = 1 + (t.population / 20_000) as usize;
    let clinic_staff = ((t.population / (600 * n_clinics as u64)) as u32).max(3);
    for k in 0..n_clinics {
        let c = if k == 0 { largest } else { pick(&mut rng) };
        list.add(
            Sentinel,
            "primary_clinic",
            c,
            200,
            (clinic_staff, Occupation::Medical),
        );
    }
    let fever_staff = ((t.population / 8000) as u32).max(2);
    list.add(
        Sentinel,
        "fever_clinic",
        largest,
        80,
        (fever_staff, Occupation::Medical),
    );
    for _ in 0..(t.population / 3000).max(1) {
        let c = pick(&mut rng);
        list.add(Sentinel, "pharmacy", c, 150, (4, Occupation::Medical));
    }
    let school = list
        .first(School, "primary")
        .or_else(|| list.slots.iter().position(|s| s.kind == School));
    if let Some(s) = school {
        list.add_sentinel_at("school", s);
    }
    match list.first(Venue, "market") {
        Some(m) => {
            list.add_sentinel_at("market", m);
        }
        None => {
            let c = pick(&mut rng);
            list.add(Sentinel, "market", c, 1000, (10, Occupation::ServiceWorker));
        }
    }
    let residents = t.communities.get(largest).map_or(0, |c| c.population) as u32;
    list.add(
        Sentinel,
        "community",
        largest,
        residents,
        (5, Occupation::OfficeWorker),
    );
    if urban {
        let c = pick(&mut rng);
        list.add(
            Sentinel,
            "cold_chain_store",
            c,
            50,
            (8, Occupation::ColdChain),
        );
    }
    for (name, visitors, staff) in extra.hubs {
        let c = pick(&mut rng);
        let staff = (staff, Occupation::Transport);
        list.add_named(Sentinel, "transport_hub", c, visitors, staff, name);
    }
    if extra.quarantine_hotel {
        let c = pick(&mut rng);
        list.add(
            Sentinel,
            "quarantine_hotel",
            c,
            100,
            (10, Occupation::ServiceWorker),
        );
    }
    for k in keys {
        list.add_sentinel_at("key_enterprise", k);
    }

    // One sampling site per community, sized to sample everyone in a day.
    for (c, community) in t.communities.iter().enumerate() {
        let capacity = (community.population.div_ceil(50) * 50).max(100) as u32;
        list.add(
            SamplingSite,
            "sampling_site",
            c,
            capacity,
            (0, Occupation::Medical),
        );
    }
    list.slots
}

/// The jurisdiction list, parents first, with populations summed from the communities.
fn jurisdictions(
    div: &crate::reference::Divisions,
    city: &Division,
    counties: &[CountyDraft],
    townships: &[TownshipPlan],
) -> Result<Vec<Jurisdiction>, SynthError> {
    let code = |s: &str| {
        JurisdictionCode::parse(s).map_err(|source| SynthError::Code {
            code: s.to_string(),
            source,
        })
    };
    let tally = |quota: &Quota| {
        let mut population = [0u64; 4];
        let mut male = 0;
        let mut female = 0;
        for (g, [m, f]) in quota.iter().enumerate() {
            population[GROUP_BAND[g]] += u64::from(*m) + u64::from(*f);
            male += u64::from(*m);
            female += u64::from(*f);
        }
        (population, male, female)
    };
    let add = |into: &mut Jurisdiction, from: &Jurisdiction| {
        for b in 0..4 {
            into.population[b] += from.population[b];
        }
        into.male += from.male;
        into.female += from.female;
    };
    let empty = |code: JurisdictionCode, name: &str, parent: Option<JurisdictionCode>, centroid| {
        Jurisdiction {
            level: code.level(),
            code,
            name: name.to_string(),
            parent,
            population: [0; 4],
            male: 0,
            female: 0,
            centroid,
        }
    };

    let mut communities = Vec::new();
    let mut township_rows = Vec::new();
    for t in townships {
        let tcode = code(&t.code)?;
        let mut row = empty(tcode.clone(), &t.name, tcode.parent(), t.centroid);
        for c in &t.communities {
            let (population, male, female) = tally(&c.quota);
            let community = Jurisdiction {
                population,
                male,
                female,
                ..empty(code(&c.code)?, &c.name, Some(tcode.clone()), c.centroid)
            };
            add(&mut row, &community);
            communities.push(community);
        }
        township_rows.push(row);
    }
    let mut county_rows = Vec::new();
    for county in counties {
        let ccode = county.division.code.clone();
        let mut row = empty(
            ccode.clone(),
            &county.division.name,
            ccode.parent(),
            county_center(ccode.as_str()),
        );
        for t in township_rows
            .iter()
            .filter(|t| t.parent.as_ref() == Some(&ccode))
        {
            add(&mut row, t);
        }
        county_rows.push(row);
    }
    let mut city_row = empty(
        city.code.clone(),
        &city.name,
        city.code.parent(),
        CITY_CENTER,
    );
    for c in &county_rows {
        add(&mut city_row, c);
    }
    let mut province_row = empty(
        div.province.code.clone(),
        &div.province.name,
        None,
        PROVINCE_CENTER,
    );
    add(&mut province_row, &city_row);

    let mut out =
        Vec::with_capacity(2 + county_rows.len() + township_rows.len() + communities.len());
    out.push(province_row);
    out.push(city_row);
    out.extend(county_rows);
    out.extend(township_rows);
    out.extend(communities);
    Ok(out)
}
