//! `fangkong-allocation`: one test per rule of the crate docs, `validate` catching each
//! breach, the explanations' texts, and properties of random plans.

// Test helpers outside `#[test]` functions unwrap too; a failure is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod explain;
mod properties;
mod rules;
mod validate;

use std::collections::BTreeMap;

use fangkong_allocation::{allocate, validate, Person, Plan, Room, Site};

/// Every household's home in the tests: a street in Yicheng district, Zhumadian.
pub const HOME: (f64, f64) = (114.0, 33.0);

/// A site `km` kilometres east of [`HOME`] (0.01 degree of longitude at 33 N is 0.9325 km),
/// with rooms `(id, beds, accessible)`.
pub fn site(id: i64, km: f64, rooms: &[(i64, u32, bool)]) -> Site {
    Site {
        id,
        lon: HOME.0 + km / 93.25,
        lat: HOME.1,
        rooms: rooms
            .iter()
            .map(|&(id, beds, accessible)| Room {
                id,
                beds,
                accessible,
            })
            .collect(),
    }
}

/// A person without disability at [`HOME`].
pub fn person(id: i64, household: i64, age: u32) -> Person {
    Person {
        id,
        household,
        age,
        disability: false,
        lon: HOME.0,
        lat: HOME.1,
    }
}

/// A disabled person at [`HOME`].
pub fn disabled(id: i64, household: i64, age: u32) -> Person {
    Person {
        disability: true,
        ..person(id, household, age)
    }
}

/// Allocates, checks the plan (no violation, each person placed or unplaced exactly once,
/// the same plan again) and returns it.
pub fn check(sites: &[Site], people: &[Person]) -> Plan {
    let plan = allocate(sites, people);
    assert_eq!(validate(sites, people, &plan.assignments()), []);
    let mut seen: BTreeMap<i64, usize> = BTreeMap::new();
    for id in plan
        .placements
        .iter()
        .map(|p| p.person_id)
        .chain(plan.unplaced.iter().map(|u| u.person_id))
    {
        *seen.entry(id).or_default() += 1;
    }
    let mut expected: BTreeMap<i64, usize> = BTreeMap::new();
    for p in people {
        *expected.entry(p.id).or_default() += 1;
    }
    assert_eq!(
        seen, expected,
        "each person placed or unplaced once per occurrence"
    );
    assert_eq!(allocate(sites, people), plan, "same input, same plan");
    plan
}

/// `(person id, room id)` of each placement, by person id.
pub fn rooms(plan: &Plan) -> Vec<(i64, i64)> {
    let mut out = plan.assignments();
    out.sort_unstable();
    out
}
