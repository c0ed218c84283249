//! Facilities of the synthetic city: workplaces, schools, venues, sentinels, labs, sampling
//! sites, quarantine sites (with rooms), hospitals and warehouses.
//!
//! This module defines the records and the stable type identifiers (`kind`, `subtype`) other
//! crates store; it does not decide how many facilities a township gets (that is the plan's job)
//! and it never derives `Serialize`: the server owns the wire format.

use fangkong_domain::PlaceCode;

use crate::person::Occupation;

/// What a facility is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FacilityKind {
    /// An employer: factory, office, shop, logistics depot.
    Workplace,
    /// A kindergarten or school.
    School,
    /// A public place people visit: market, restaurant, cinema, station.
    Venue,
    /// A surveillance sentinel point (哨点).
    Sentinel,
    /// A nucleic-acid testing laboratory.
    Lab,
    /// A sampling site (采样点), one per community.
    SamplingSite,
    /// A centralised quarantine site (集中隔离点) with rooms.
    QuarantineSite,
    /// A hospital with general, ICU and isolation beds.
    Hospital,
    /// An emergency supplies warehouse.
    Warehouse,
}

impl FacilityKind {
    /// Every kind.
    pub const ALL: [FacilityKind; 9] = [
        FacilityKind::Workplace,
        FacilityKind::School,
        FacilityKind::Venue,
        FacilityKind::Sentinel,
        FacilityKind::Lab,
        FacilityKind::SamplingSite,
        FacilityKind::QuarantineSite,
        FacilityKind::Hospital,
        FacilityKind::Warehouse,
    ];

    /// The stable identifier used in storage: `workplace`, `school`, `venue`, `sentinel`,
    /// `lab`, `sampling_site`, `quarantine_site`, `hospital`, `warehouse`.
    pub fn as_str(self) -> &'static str {
        match self {
            FacilityKind::Workplace => "workplace",
            FacilityKind::School => "school",
            FacilityKind::Venue => "venue",
            FacilityKind::Sentinel => "sentinel",
            FacilityKind::Lab => "lab",
            FacilityKind::SamplingSite => "sampling_site",
            FacilityKind::QuarantineSite => "quarantine_site",
            FacilityKind::Hospital => "hospital",
            FacilityKind::Warehouse => "warehouse",
        }
    }

    /// Parses the identifier returned by [`FacilityKind::as_str`].
    pub fn parse(s: &str) -> Option<FacilityKind> {
        FacilityKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
    }
}

/// The ten sentinel types (哨点类型), stable identifiers.
pub const SENTINEL_TYPES: [&str; 10] = [
    "fever_clinic",
    "pharmacy",
    "primary_clinic",
    "school",
    "market",
    "cold_chain_store",
    "transport_hub",
    "quarantine_hotel",
    "community",
    "key_enterprise",
];

/// Venue subtypes.
pub const VENUE_TYPES: [&str; 12] = [
    "market",
    "supermarket",
    "restaurant",
    "cinema",
    "gym",
    "hotel",
    "station",
    "ktv",
    "internet_cafe",
    "barber",
    "bathhouse",
    "mall",
];

/// School subtypes, youngest pupils first.
pub const SCHOOL_TYPES: [&str; 4] = ["kindergarten", "primary", "middle", "high"];

/// Workplace subtypes.
pub const WORKPLACE_TYPES: [&str; 7] = [
    "manufacturing",
    "construction",
    "office",
    "logistics",
    "food_processing",
    "cold_chain",
    "retail",
];

/// Hospital subtypes: `designated` hospitals (定点医院) take infectious patients.
pub const HOSPITAL_TYPES: [&str; 2] = ["general", "designated"];

/// Lab subtypes: the CDC's, a hospital's, or an independent (third-party) lab.
pub const LAB_TYPES: [&str; 3] = ["cdc", "hospital", "third_party"];

/// Quarantine site subtypes: a requisitioned hotel or a purpose-built centralised site.
pub const QUARANTINE_SITE_TYPES: [&str; 2] = ["hotel", "centralized"];

/// Warehouse subtypes: the city reserve and the county reserves.
pub const WAREHOUSE_TYPES: [&str; 2] = ["city_reserve", "county_reserve"];

/// A facility.
///
/// `capacity` means, by kind: workers (workplace), pupils (school), visitors per day (venue,
/// sentinel), tubes per day (lab), samples per day (sampling site), beds (quarantine site,
/// hospital: the sum of its bed counts), cubic metres (warehouse).
#[derive(Debug, Clone, PartialEq)]
pub struct Facility {
    /// Globally unique id, contiguous from 1 across the city.
    pub id: i64,
    pub kind: FacilityKind,
    /// One of the subtype lists of this module, by kind.
    pub subtype: String,
    pub name: String,
    /// The 12-digit community the facility lies in.
    pub community_code: String,
    /// The place code venues, workplaces and schools display for check-ins.
    pub place_code: Option<PlaceCode>,
    pub capacity: u32,
    pub beds_general: u32,
    pub beds_icu: u32,
    pub beds_isolation: u32,
    pub lon: f64,
    pub lat: f64,
}

/// A room of a quarantine site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Room {
    /// Globally unique id, contiguous from 1.
    pub id: i64,
    pub facility_id: i64,
    /// The door number: floor followed by two digits (`305`).
    pub number: String,
    pub beds: u32,
    /// Suitable for the elderly and the disabled (barrier-free, next to the lift and the
    /// medical station): the first two rooms of each floor.
    pub accessible: bool,
}

/// A facility the plan has decided on, before the township generator names and places it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FacilitySlot {
    pub kind: FacilityKind,
    pub subtype: &'static str,
    /// Index of the community within its township.
    pub community: usize,
    pub capacity: u32,
    /// How many people work here (a weight for assigning workers).
    pub jobs: u32,
    /// What the people who work here do.
    pub occupation: Occupation,
    /// A facility of the same township (an index into its slots, always earlier) whose name
    /// and position this one shares: a key-enterprise sentinel is the enterprise itself.
    pub twin: Option<usize>,
    /// A name the plan fixed (key enterprises, high schools, transport hubs); the township
    /// generator names the others.
    pub name: Option<String>,
}

/// The occupation of people working at a workplace of `subtype`.
pub(crate) fn workplace_occupation(subtype: &str) -> Occupation {
    match subtype {
        "office" => Occupation::OfficeWorker,
        "logistics" => Occupation::Delivery,
        "cold_chain" => Occupation::ColdChain,
        "retail" => Occupation::ServiceWorker,
        _ => Occupation::FactoryWorker,
    }
}

/// Staff count and occupation of a venue of `subtype`.
pub(crate) fn venue_staff(subtype: &str) -> (u32, Occupation) {
    match subtype {
        "market" => (25, Occupation::ServiceWorker),
        "supermarket" => (12, Occupation::ServiceWorker),
        "restaurant" => (6, Occupation::ServiceWorker),
        "cinema" => (10, Occupation::ServiceWorker),
        "gym" => (4, Occupation::ServiceWorker),
        "hotel" => (10, Occupation::ServiceWorker),
        "station" => (30, Occupation::Transport),
        "ktv" => (8, Occupation::ServiceWorker),
        "mall" => (60, Occupation::ServiceWorker),
        "bathhouse" => (5, Occupation::ServiceWorker),
        _ => (3, Occupation::ServiceWorker),
    }
}

/// Typical visitors per day of a venue of `subtype`.
pub(crate) fn venue_visitors(subtype: &str) -> f64 {
    match subtype {
        "market" => 2000.0,
        "supermarket" => 800.0,
        "restaurant" => 150.0,
        "cinema" => 500.0,
        "gym" => 200.0,
        "hotel" => 100.0,
        "station" => 3000.0,
        "ktv" => 120.0,
        "internet_cafe" => 100.0,
        "barber" => 40.0,
        "bathhouse" => 150.0,
        "mall" => 5000.0,
        _ => 100.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for kind in FacilityKind::ALL {
            assert_eq!(FacilityKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(
            FacilityKind::parse("sampling_site"),
            Some(FacilityKind::SamplingSite)
        );
        assert_eq!(FacilityKind::parse("clinic"), None);
    }
}
