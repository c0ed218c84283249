//! [`validate`]: the hard constraints of the crate docs, checked on any assignment of people
//! to rooms, typically a plan after staff changed it.
//!
//! What it must not do: refuse or repair an assignment. It reports; staff decide (a
//! breach may be deliberate, such as a 13-year-old alone next door to the parents).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;

use crate::explain::{ids_en, ids_zh};
use crate::{Person, Room, Site};

/// A breach of the rules in an assignment.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Violation {
    /// The person is not among the people to place.
    UnknownPerson { person_id: i64 },
    /// The room is not among the sites' free rooms (unknown, occupied, being cleaned or out
    /// of service).
    UnknownRoom { person_id: i64, room_id: i64 },
    /// The person appears in more than one assignment; only the first one is checked
    /// further.
    AssignedTwice { person_id: i64 },
    /// More people than beds.
    OverCapacity {
        room_id: i64,
        people: usize,
        beds: u32,
    },
    /// People of different households share the room.
    HouseholdsShareRoom { room_id: i64, households: Vec<i64> },
    /// A child under 14 without an adult (18 or over) of its household in the room.
    ChildWithoutAdult { person_id: i64, room_id: i64 },
    /// An elderly or disabled person in a room that is not accessible.
    NeedsAccessibleRoom { person_id: i64, room_id: i64 },
    /// A household's members are at more than one site.
    HouseholdAcrossSites { household: i64, site_ids: Vec<i64> },
}

/// The breaches of the rules by `assignments` (person id, room id), sorted (by kind in the
/// order of [`Violation`]'s variants, then by their ids) and without repeats. Empty when the
/// assignment keeps every hard constraint.
///
/// A person or room id that occurs twice in `people` or `sites` counts at its first
/// occurrence, as in [`crate::allocate`]. People left out of `assignments` are not a breach.
pub fn validate(sites: &[Site], people: &[Person], assignments: &[(i64, i64)]) -> Vec<Violation> {
    let mut rooms: HashMap<i64, (i64, &Room)> = HashMap::new();
    for site in sites {
        for room in &site.rooms {
            rooms.entry(room.id).or_insert((site.id, room));
        }
    }
    let mut persons: HashMap<i64, &Person> = HashMap::with_capacity(people.len());
    for p in people {
        persons.entry(p.id).or_insert(p);
    }

    let mut out = Vec::new();
    // Per room (by id): its people; per household: its sites.
    let mut occupants: BTreeMap<i64, Vec<&Person>> = BTreeMap::new();
    let mut household_sites: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    let mut assigned: HashSet<i64> = HashSet::with_capacity(assignments.len());
    for &(person_id, room_id) in assignments {
        if !assigned.insert(person_id) {
            out.push(Violation::AssignedTwice { person_id });
            continue;
        }
        let person = persons.get(&person_id);
        if person.is_none() {
            out.push(Violation::UnknownPerson { person_id });
        }
        let room = rooms.get(&room_id);
        if room.is_none() {
            out.push(Violation::UnknownRoom { person_id, room_id });
        }
        if let (Some(&person), Some(&(site_id, _))) = (person, room) {
            occupants.entry(room_id).or_default().push(person);
            household_sites
                .entry(person.household)
                .or_default()
                .insert(site_id);
        }
    }

    for (&room_id, people) in &occupants {
        let room = rooms[&room_id].1;
        if people.len() > room.beds as usize {
            out.push(Violation::OverCapacity {
                room_id,
                people: people.len(),
                beds: room.beds,
            });
        }
        let households: BTreeSet<i64> = people.iter().map(|p| p.household).collect();
        if households.len() > 1 {
            out.push(Violation::HouseholdsShareRoom {
                room_id,
                households: households.into_iter().collect(),
            });
        }
        for p in people {
            let guarded = people
                .iter()
                .any(|a| a.household == p.household && a.is_adult());
            if p.is_child() && !guarded {
                out.push(Violation::ChildWithoutAdult {
                    person_id: p.id,
                    room_id,
                });
            }
            if p.needs_accessible_room() && !room.accessible {
                out.push(Violation::NeedsAccessibleRoom {
                    person_id: p.id,
                    room_id,
                });
            }
        }
    }

    for (household, sites) in household_sites {
        if sites.len() > 1 {
            out.push(Violation::HouseholdAcrossSites {
                household,
                site_ids: sites.into_iter().collect(),
            });
        }
    }
    out.sort();
    out.dedup();
    out
}

impl Violation {
    /// The breach in English.
    pub fn text_en(&self) -> String {
        match self {
            Violation::UnknownPerson { person_id } => {
                format!("person {person_id} is not on the list of people to place")
            }
            Violation::UnknownRoom { person_id, room_id } => {
                format!("room {room_id} (for person {person_id}) is unknown or not free")
            }
            Violation::AssignedTwice { person_id } => {
                format!("person {person_id} is assigned more than once")
            }
            Violation::OverCapacity {
                room_id,
                people,
                beds,
            } => format!("room {room_id} has {people} people for {beds} beds"),
            Violation::HouseholdsShareRoom {
                room_id,
                households,
            } => format!(
                "room {room_id} is shared by households {}",
                ids_en(households)
            ),
            Violation::ChildWithoutAdult { person_id, room_id } => format!(
                "child {person_id} (under 14) is in room {room_id} without an adult of the household"
            ),
            Violation::NeedsAccessibleRoom { person_id, room_id } => format!(
                "person {person_id} (elderly or disabled) is in room {room_id}, which is not accessible"
            ),
            Violation::HouseholdAcrossSites {
                household,
                site_ids,
            } => format!(
                "household {household} is spread over sites {}",
                ids_en(site_ids)
            ),
        }
    }

    /// The breach in Simplified Chinese.
    pub fn text_zh(&self) -> String {
        match self {
            Violation::UnknownPerson { person_id } => {
                format!("人员 {person_id} 不在待安排名单中")
            }
            Violation::UnknownRoom { person_id, room_id } => {
                format!("房间 {room_id}（人员 {person_id}）不存在或不空闲")
            }
            Violation::AssignedTwice { person_id } => {
                format!("人员 {person_id} 被重复安排")
            }
            Violation::OverCapacity {
                room_id,
                people,
                beds,
            } => format!("房间 {room_id} 安排 {people} 人，超过床位数 {beds}"),
            Violation::HouseholdsShareRoom {
                room_id,
                households,
            } => format!(
                "房间 {room_id} 住有不同户的人员（户 {}）",
                ids_zh(households)
            ),
            Violation::ChildWithoutAdult { person_id, room_id } => {
                format!("房间 {room_id} 中的儿童 {person_id}（14 岁以下）没有同户成年人陪同")
            }
            Violation::NeedsAccessibleRoom { person_id, room_id } => {
                format!("人员 {person_id}（老年人或残疾人）被安排在非无障碍房间 {room_id}")
            }
            Violation::HouseholdAcrossSites {
                household,
                site_ids,
            } => format!("户 {household} 被分到多个隔离点（{}）", ids_zh(site_ids)),
        }
    }
}

impl fmt::Display for Violation {
    /// The English text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text_en())
    }
}
