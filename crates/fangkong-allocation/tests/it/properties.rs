//! Properties of plans on random input: `validate` finds nothing, each person is placed or
//! unplaced once, a household stays at one site, and the order of the input does not matter.

use std::collections::{BTreeMap, BTreeSet};

use fangkong_allocation::{allocate, validate, Person, Room, Site};
use proptest::prelude::*;

use crate::HOME;

fn room() -> impl Strategy<Value = (u32, bool)> {
    (
        prop_oneof![1 => Just(0u32), 8 => 1u32..4, 1 => 4u32..7],
        prop::bool::weighted(0.2),
    )
}

fn sites() -> impl Strategy<Value = Vec<Site>> {
    prop::collection::vec(
        (
            -0.1f64..0.1,
            -0.1f64..0.1,
            prop::collection::vec(room(), 0..8),
        ),
        0..6,
    )
    .prop_map(|sites| {
        let mut room_id = 100;
        sites
            .into_iter()
            .enumerate()
            .map(|(i, (dlon, dlat, rooms))| Site {
                id: i as i64 + 1,
                lon: HOME.0 + dlon,
                lat: HOME.1 + dlat,
                rooms: rooms
                    .into_iter()
                    .map(|(beds, accessible)| {
                        room_id += 1;
                        Room {
                            id: room_id,
                            beds,
                            accessible,
                        }
                    })
                    .collect(),
            })
            .collect()
    })
}

/// Ages with children, teenagers, adults and the elderly all common.
fn age() -> impl Strategy<Value = u32> {
    prop_oneof![0u32..14, 14u32..18, 18u32..60, 60u32..100]
}

/// People with ids from `ids`: unique when the range is large, repeated when it is small.
fn people(ids: std::ops::Range<i64>) -> impl Strategy<Value = Vec<Person>> {
    prop::collection::vec(
        (
            ids,
            0i64..12,
            age(),
            prop::bool::weighted(0.1),
            -0.1f64..0.1,
            -0.1f64..0.1,
        ),
        0..40,
    )
    .prop_map(|rows| {
        rows.into_iter()
            .map(|(id, household, age, disability, dlon, dlat)| Person {
                id,
                household,
                age,
                disability,
                lon: HOME.0 + dlon,
                lat: HOME.1 + dlat,
            })
            .collect()
    })
}

fn unique(mut people: Vec<Person>) -> Vec<Person> {
    let mut seen = BTreeSet::new();
    people.retain(|p| seen.insert(p.id));
    people
}

fn check_plan(sites: &[Site], people: &[Person]) {
    let plan = allocate(sites, people);
    assert_eq!(validate(sites, people, &plan.assignments()), []);
    // Each occurrence of a person id is placed or unplaced exactly once; placed at most once.
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
    assert_eq!(seen, expected);
    let placed: BTreeSet<i64> = plan.placements.iter().map(|p| p.person_id).collect();
    assert_eq!(placed.len(), plan.placements.len(), "a person placed twice");
    // A household is placed whole, at one site, as its explanation says.
    let site_of: BTreeMap<i64, i64> = plan
        .placements
        .iter()
        .map(|p| (p.person_id, p.site_id))
        .collect();
    for g in &plan.groups {
        let sites: BTreeSet<Option<i64>> = g
            .person_ids
            .iter()
            .map(|id| site_of.get(id).copied())
            .collect();
        assert_eq!(
            sites,
            BTreeSet::from([g.site_id]),
            "household {}",
            g.household
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn plans_keep_every_rule(sites in sites(), people in people(0..1000)) {
        check_plan(&sites, &unique(people));
    }

    #[test]
    fn plans_keep_every_rule_with_repeated_ids(sites in sites(), people in people(0..15)) {
        check_plan(&sites, &people);
    }

    #[test]
    fn the_order_of_the_input_does_not_matter(
        sites in sites(),
        people in people(0..1000),
        rotate in 0usize..100,
    ) {
        let people = unique(people);
        let plan = allocate(&sites, &people);
        let mut sites2 = sites.clone();
        sites2.reverse();
        for s in &mut sites2 {
            s.rooms.reverse();
        }
        let mut people2 = people.clone();
        if !people2.is_empty() {
            let k = rotate % people2.len();
            people2.rotate_left(k);
        }
        people2.reverse();
        prop_assert_eq!(allocate(&sites2, &people2), plan);
    }
}
