//! Room allocation for centralised quarantine (集中隔离, issue #7): a batch of people is placed
//! into the free rooms of quarantine sites, household by household, and every placement is
//! explained.
//!
//! Why it exists: when a cluster is found, a few thousand close contacts have to be moved to
//! quarantine sites the same evening. Staff used to fill rooms by hand from spreadsheets,
//! separating families and sending elderly people to rooms up three flights of stairs.
//! [`allocate`] proposes a plan in milliseconds, with the reasons for each household
//! ([`GroupExplanation`], in English and Simplified Chinese), and [`validate`] checks a plan
//! after staff have changed it.
//!
//! What it must not do: read the clock, the environment, a file or the database, or decide
//! who goes to quarantine. The caller passes the people to place and each site's *free*
//! rooms (rooms that are occupied, being cleaned or out of service are left out); the plan
//! is a proposal that the app stores only when staff accept it. It holds no personal data
//! beyond ids, ages, a disability flag and home coordinates, and its texts carry ids only.
//!
//! # Rules
//!
//! Needs, from a person's age in whole years and disability flag:
//! - *elderly*: `age >= 60` ([`ELDERLY_AGE`], the threshold of China's Law on the Protection
//!   of the Rights and Interests of the Elderly, art. 2);
//! - *child*: `age < 14` ([`CHILD_AGE_LIMIT`]); a child needs a *guardian*: an *adult*,
//!   `age >= 18` ([`ADULT_AGE`]), of the same household in the same room. People of 14 to
//!   17 are neither: they may share any room of their household or have one alone;
//! - elderly and disabled people *need an accessible room* (`Room::accessible`:
//!   barrier-free, near the medical station). A household *has needs* when one of its
//!   members needs an accessible room.
//!
//! Hard constraints (every plan of [`allocate`] keeps them, and [`validate`] reports each
//! breach as a [`Violation`]):
//! - a room never holds more people than beds, and holds people of one household only;
//! - every child is in a room with an adult of its household;
//! - everyone who needs an accessible room is in one;
//! - a household is never spread over two sites;
//! - each person is placed at most once.
//!
//! Distance: the great-circle distance on a sphere of radius 6 371 km (the haversine
//! distance) from a household's *home*, the arithmetic mean of its members' longitudes and
//! latitudes (members normally share one address; the mean does not depend on their order),
//! to the site. A site or home with a non-finite coordinate is infinitely far. Sites are
//! ordered by distance, ties by site id, then by position in `sites`.
//!
//! Households are processed one at a time, each taking rooms from what the households before
//! it left, in this order: households with needs first, then larger households first, then
//! by household id. For each household:
//! 1. A household with a child and no adult is not placed
//!    ([`UnplacedReason::NoAdultForChild`]): staff have to find a guardian.
//! 2. *Together*: the nearest site that has a *fitting room* for the whole household: a
//!    free room with at least as many beds as members, accessible if the household has
//!    needs. All members go into that room.
//! 3. *Split*, only when no site has a fitting room: the nearest site that can take the
//!    whole household in several of its rooms under the hard constraints. The split uses the
//!    fewest rooms; among those, the fewest accessible rooms; then the fewest members without
//!    needs moved into accessible rooms (adults before children, each in order of person id;
//!    so a disabled child's parent moves in with it). Members with needs and those moved go
//!    to accessible rooms, the others to other rooms. On each side the rooms, largest first,
//!    get one adult each while adults last (adults with needs first), children fill the rooms
//!    that have an adult, then the remaining adults and the side's members of 14 to 17 fill
//!    the beds left in order; members of 14 to 17 without needs fill the beds left in other
//!    rooms first, then in accessible ones. Each group then takes its room by best fit
//!    (below), accessible groups first, largest group first.
//! 4. Otherwise the household is not placed ([`UnplacedReason::NoSiteWithRoom`]).
//!
//! Within a site, rooms are chosen by *best fit*: the free room with the fewest beds that
//! holds the group, ties by room id. Together (rule 2), a household with needs takes an
//! accessible room, and a household without needs takes an accessible room only when no
//! other room at that site fits: accessible rooms are kept for the people who need them. In
//! a split (rule 3) the kind of each room follows from its group.
//!
//! Input that breaks the model is handled, not refused: a person id that occurs twice is
//! placed once, at its first occurrence, and the later ones are [`Unplaced`] with
//! [`UnplacedReason::DuplicatePerson`]; a room id that occurs twice is used at its first
//! occurrence only (sites in order, rooms in order), and rooms without beds are never used.
//! [`validate`] reads duplicates the same way.
//!
//! The plan is a function of the input: the same input gives the same plan, and a
//! permutation of people, sites or rooms with unique ids gives the same plan too.
//! `placements` and `groups` follow the processing order, the members of a household by
//! person id; `unplaced` lists households in processing order, then duplicates.
//!
//! # Design
//!
//! Each site keeps its free rooms in buckets by (accessible, beds), sorted by beds, each a
//! stack with the lowest room id on top, so a best-fit lookup is a binary search over a few
//! bed sizes and taking a room is a pop; it also keeps the beds of its largest free room of
//! each kind and its free beds. The whole batch keeps its free rooms counted by
//! (accessible, beds), so that a household too large for any room skips the search for a
//! room together at once. Distances are compared as the squared chord between unit vectors
//! (a few multiplications, the same order as the great-circle distance), and no household
//! sorts the sites: the site for a household together is the nearest of those whose largest
//! free room fits (one pass), and for a split the nearest site with enough free beds is
//! tried first, the others sorted only when it fails. The nearer sites of a note are the
//! five nearest of those closer than the chosen one, found by selection. A split is the
//! search of rule 3 over the site's largest rooms: people take one bed each, so a given
//! number of accessible and other rooms can hold the household exactly when the largest
//! ones can, and the guardian constraint reduces to counting (see `split.rs`).
//!
//! ```
//! use fangkong_allocation::{allocate, validate, Note, Person, Room, Site};
//! let sites = [Site {
//!     id: 1,
//!     lon: 114.02,
//!     lat: 33.01,
//!     rooms: vec![
//!         Room { id: 10, beds: 2, accessible: false },
//!         Room { id: 11, beds: 2, accessible: true },
//!     ],
//! }];
//! let person = |id, age| Person { id, household: 7, age, disability: false, lon: 114.0, lat: 33.0 };
//! let people = [person(1, 72), person(2, 70)];
//! let plan = allocate(&sites, &people);
//! assert_eq!(plan.placements[0].room_id, 11); // the elderly couple gets the accessible room
//! assert!(validate(&sites, &people, &plan.assignments()).is_empty());
//! let notes = &plan.groups[0].notes;
//! assert!(matches!(notes[1], Note::TogetherInOneRoom { room_id: 11 }));
//! assert_eq!(notes[1].text_zh(), "同户同住：全户安排在房间 11");
//! ```

mod allocate;
mod explain;
mod geo;
mod split;
mod validate;

pub use allocate::allocate;
pub use validate::{validate, Violation};

/// The age (years) from which a person is elderly and needs an accessible room.
pub const ELDERLY_AGE: u32 = 60;
/// Children are younger than this (years) and need an adult of their household in the room.
pub const CHILD_AGE_LIMIT: u32 = 14;
/// The age (years) from which a person can be a child's guardian.
pub const ADULT_AGE: u32 = 18;

/// A quarantine site with its free rooms.
#[derive(Clone, Debug, PartialEq)]
pub struct Site {
    pub id: i64,
    /// Degrees east (WGS 84 or GCJ-02; the same datum as the people's homes).
    pub lon: f64,
    /// Degrees north.
    pub lat: f64,
    /// The site's free rooms only: the caller leaves out rooms that are occupied, being
    /// cleaned or out of service.
    pub rooms: Vec<Room>,
}

/// A free room of a site. Room ids are unique across all sites (database ids).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Room {
    pub id: i64,
    pub beds: u32,
    /// Suitable for special needs: barrier-free and near the medical station.
    pub accessible: bool,
}

/// A person to place.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Person {
    pub id: i64,
    pub household: i64,
    /// Age in whole years.
    pub age: u32,
    pub disability: bool,
    /// Home, degrees east.
    pub lon: f64,
    /// Home, degrees north.
    pub lat: f64,
}

impl Person {
    /// Whether the person is elderly (`age >= 60`) or disabled.
    pub fn needs_accessible_room(&self) -> bool {
        self.age >= ELDERLY_AGE || self.disability
    }

    /// Whether the person is a child (`age < 14`), who needs a guardian in the room.
    pub fn is_child(&self) -> bool {
        self.age < CHILD_AGE_LIMIT
    }

    /// Whether the person is an adult (`age >= 18`), who can be a child's guardian.
    pub fn is_adult(&self) -> bool {
        self.age >= ADULT_AGE
    }
}

/// The result of [`allocate`]: where each person goes, who could not be placed and why, and
/// an explanation per household.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    pub placements: Vec<Placement>,
    pub unplaced: Vec<Unplaced>,
    /// One per household, placed or not, in processing order.
    pub groups: Vec<GroupExplanation>,
}

impl Plan {
    /// The placements as `(person id, room id)` pairs, the input of [`validate`].
    pub fn assignments(&self) -> Vec<(i64, i64)> {
        self.placements
            .iter()
            .map(|p| (p.person_id, p.room_id))
            .collect()
    }
}

/// One person in one room.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Placement {
    pub person_id: i64,
    pub site_id: i64,
    pub room_id: i64,
    /// Great-circle distance from the household's home (the mean of its members'
    /// coordinates) to the site.
    pub distance_km: f64,
}

/// A person that could not be placed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unplaced {
    pub person_id: i64,
    pub reason: UnplacedReason,
}

/// Why a person was not placed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UnplacedReason {
    /// The household has a child under 14 and no adult of 18 or over to stay with it.
    NoAdultForChild,
    /// No site has free rooms that can take the whole household under the rules.
    NoSiteWithRoom {
        /// Members of the household.
        people: usize,
        /// Members who need an accessible room.
        needing_accessible: usize,
    },
    /// The person id occurred earlier in the input; that occurrence was placed (or not).
    DuplicatePerson,
}

/// How a household was placed, or why not: the facts staff see before they accept or
/// change the plan.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupExplanation {
    pub household: i64,
    /// Members, by person id.
    pub person_ids: Vec<i64>,
    /// The site of every member, or `None` when the household was not placed.
    pub site_id: Option<i64>,
    pub notes: Vec<Note>,
}

/// One fact of a household's placement. A placed household's notes are, in order:
/// `NearestSite`, `NearerSitesSkipped` (when a nearer site was skipped), then `TogetherInOneRoom` or
/// `HouseholdSplit`, then per room (in the order taken) `ChildrenWithAdult` (splits only),
/// `AccessibleRoom` and `AccessibleRoomAsLastResort` as they apply. An unplaced household
/// has a single `NotPlaced`.
#[derive(Clone, Debug, PartialEq)]
pub enum Note {
    /// The household went to the nearest site that could take it, this far from home.
    NearestSite { distance_km: f64 },
    /// Sites nearer than the chosen one lacked a fitting room (for a household placed
    /// together) or could not take the household at all (for a split): the nearest five
    /// of them, nearest first, and how many more there were.
    NearerSitesSkipped { site_ids: Vec<i64>, more: usize },
    /// The whole household shares one room (同户同住).
    TogetherInOneRoom { room_id: i64 },
    /// No site had one free room for the whole household: it is split over this many rooms
    /// of one site.
    HouseholdSplit { rooms: usize },
    /// In a split, these children share the room with an adult of their household.
    ChildrenWithAdult { room_id: i64, child_ids: Vec<i64> },
    /// These elderly or disabled members are in an accessible room.
    AccessibleRoom { room_id: i64, person_ids: Vec<i64> },
    /// Nobody in this accessible room needs one: no other room at the site fitted.
    AccessibleRoomAsLastResort { room_id: i64 },
    /// The household was not placed.
    NotPlaced { reason: UnplacedReason },
}
