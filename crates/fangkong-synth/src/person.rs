//! Synthetic residents and their households.
//!
//! These are plain records for loading into the store; they must never be mistaken for real
//! people (every number is generated), and like the domain types they derive no `Serialize`.

use fangkong_domain::{NationalId, PhoneNumber};

/// What a person does; key populations for routine testing (medical staff, cold-chain and
/// delivery workers, teachers, transport staff) are distinguishable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Occupation {
    /// A pre-school child at home.
    Child,
    /// A kindergarten, school or college student.
    Student,
    Farmer,
    FactoryWorker,
    OfficeWorker,
    /// Shops, restaurants, markets, hotels, quarantine-site staff.
    ServiceWorker,
    /// Doctors, nurses, lab and clinic staff.
    Medical,
    /// Cold-chain storage and transport workers.
    ColdChain,
    /// Couriers and logistics staff.
    Delivery,
    Teacher,
    /// Drivers and station staff.
    Transport,
    /// Working age without a job (including homemakers).
    Unemployed,
    Retired,
}

impl Occupation {
    /// Every occupation.
    pub const ALL: [Occupation; 13] = [
        Occupation::Child,
        Occupation::Student,
        Occupation::Farmer,
        Occupation::FactoryWorker,
        Occupation::OfficeWorker,
        Occupation::ServiceWorker,
        Occupation::Medical,
        Occupation::ColdChain,
        Occupation::Delivery,
        Occupation::Teacher,
        Occupation::Transport,
        Occupation::Unemployed,
        Occupation::Retired,
    ];

    /// The stable identifier, e.g. `cold_chain`, `factory_worker`.
    pub fn as_str(self) -> &'static str {
        match self {
            Occupation::Child => "child",
            Occupation::Student => "student",
            Occupation::Farmer => "farmer",
            Occupation::FactoryWorker => "factory_worker",
            Occupation::OfficeWorker => "office_worker",
            Occupation::ServiceWorker => "service_worker",
            Occupation::Medical => "medical",
            Occupation::ColdChain => "cold_chain",
            Occupation::Delivery => "delivery",
            Occupation::Teacher => "teacher",
            Occupation::Transport => "transport",
            Occupation::Unemployed => "unemployed",
            Occupation::Retired => "retired",
        }
    }

    /// Parses the identifier returned by [`Occupation::as_str`].
    pub fn parse(s: &str) -> Option<Occupation> {
        Occupation::ALL.into_iter().find(|o| o.as_str() == s.trim())
    }
}

/// A household: the people registered at one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Household {
    /// Globally unique id, contiguous from 1 across the city.
    pub id: i64,
    pub community_code: String,
    pub address: String,
    /// Number of members.
    pub size: u32,
}

/// A resident.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    /// Globally unique id, contiguous from 1 across the city.
    pub id: i64,
    pub household_id: i64,
    pub name: String,
    /// Unique across the city; encodes birth date and sex.
    pub national_id: NationalId,
    /// A mobile number for most people aged 12 and over; unique across the city.
    pub phone: Option<PhoneNumber>,
    /// The household's address.
    pub address: String,
    pub community_code: String,
    /// The facility the person works at (a workplace, school, hospital, venue...).
    pub workplace_id: Option<i64>,
    /// The kindergarten or school the person attends.
    pub school_id: Option<i64>,
    pub occupation: Occupation,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn occupations_round_trip() {
        for o in Occupation::ALL {
            assert_eq!(Occupation::parse(o.as_str()), Some(o));
        }
    }
}
