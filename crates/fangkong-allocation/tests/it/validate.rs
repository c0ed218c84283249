//! `validate` catching each breach, as staff overrides make them.

use fangkong_allocation::{validate, Violation};

use crate::{disabled, person, site};

#[test]
fn each_breach_is_reported_once_in_order() {
    let sites = [
        site(1, 1.0, &[(10, 2, false), (11, 1, false), (12, 3, true)]),
        site(2, 2.0, &[(20, 2, false)]),
    ];
    let people = [
        person(1, 7, 40),
        person(2, 7, 38),
        person(3, 7, 10),
        person(4, 8, 72),
        disabled(5, 9, 30),
        person(6, 9, 8),
        person(7, 9, 35),
    ];
    let assignments = [
        (1, 10),
        (2, 10),
        (3, 10), // three people in two beds
        (4, 11), // elderly, not accessible
        (5, 12), // household 9 with...
        (6, 20), // ...a child alone at another site
        (7, 12),
        (1, 12),  // person 1 again
        (99, 12), // nobody
        (6, 404), // 6 again (only the first assignment is checked further)
    ];
    let found = validate(&sites, &people, &assignments);
    assert_eq!(
        found,
        [
            Violation::UnknownPerson { person_id: 99 },
            Violation::AssignedTwice { person_id: 1 },
            Violation::AssignedTwice { person_id: 6 },
            Violation::OverCapacity {
                room_id: 10,
                people: 3,
                beds: 2
            },
            Violation::ChildWithoutAdult {
                person_id: 6,
                room_id: 20
            },
            Violation::NeedsAccessibleRoom {
                person_id: 4,
                room_id: 11
            },
            Violation::HouseholdAcrossSites {
                household: 9,
                site_ids: vec![1, 2]
            },
        ]
    );
}

#[test]
fn unknown_or_not_free_rooms() {
    let sites = [site(1, 1.0, &[(10, 2, false)])];
    let people = [person(1, 7, 40)];
    assert_eq!(
        validate(&sites, &people, &[(1, 11)]),
        [Violation::UnknownRoom {
            person_id: 1,
            room_id: 11
        }]
    );
    assert_eq!(validate(&sites, &people, &[(1, 10)]), []);
}

#[test]
fn two_households_in_one_room() {
    let sites = [site(1, 1.0, &[(10, 4, false)])];
    let people = [person(1, 7, 40), person(2, 8, 40), person(3, 7, 9)];
    let found = validate(&sites, &people, &[(1, 10), (2, 10), (3, 10)]);
    assert_eq!(
        found,
        [Violation::HouseholdsShareRoom {
            room_id: 10,
            households: vec![7, 8]
        }]
    );
}

#[test]
fn a_child_needs_an_adult_of_its_own_household() {
    // The adult in the room belongs to another household, the teen is not an adult.
    let sites = [site(1, 1.0, &[(10, 3, false)])];
    let people = [person(1, 7, 40), person(2, 8, 9), person(3, 8, 17)];
    let found = validate(&sites, &people, &[(1, 10), (2, 10), (3, 10)]);
    assert!(found.contains(&Violation::ChildWithoutAdult {
        person_id: 2,
        room_id: 10
    }));
}

#[test]
fn violations_have_texts_in_both_languages() {
    let v = Violation::OverCapacity {
        room_id: 10,
        people: 3,
        beds: 2,
    };
    assert_eq!(v.text_en(), "room 10 has 3 people for 2 beds");
    assert_eq!(v.text_zh(), "房间 10 安排 3 人，超过床位数 2");
    assert_eq!(v.to_string(), v.text_en());
}
