//! The rules of the crate docs, one test each.

use fangkong_allocation::{allocate, Note, Person, Site, UnplacedReason};

use crate::{check, disabled, person, rooms, site};

fn reasons(plan: &fangkong_allocation::Plan) -> Vec<(i64, UnplacedReason)> {
    plan.unplaced
        .iter()
        .map(|u| (u.person_id, u.reason.clone()))
        .collect()
}

#[test]
fn a_household_stays_together_in_the_smallest_room_that_holds_it() {
    // Rooms of 4, 3 (id 12) and 3 (id 11) beds: the 3-bed room with the lower id.
    let sites = [site(
        1,
        2.0,
        &[(10, 4, false), (12, 3, false), (11, 3, false)],
    )];
    let people = [person(1, 7, 40), person(2, 7, 38), person(3, 7, 10)];
    let plan = check(&sites, &people);
    assert_eq!(rooms(&plan), [(1, 11), (2, 11), (3, 11)]);
    let group = &plan.groups[0];
    assert_eq!((group.household, group.site_id), (7, Some(1)));
    assert_eq!(group.person_ids, [1, 2, 3]);
    assert!(
        matches!(group.notes[0], Note::NearestSite { distance_km } if (distance_km - 2.0).abs() < 0.01)
    );
    assert_eq!(group.notes[1], Note::TogetherInOneRoom { room_id: 11 });
    assert_eq!(group.notes.len(), 2);
    assert!((plan.placements[0].distance_km - 2.0).abs() < 0.01);
}

#[test]
fn the_nearest_site_with_a_fitting_room_wins_and_full_nearer_sites_are_named() {
    // Site 1 is nearest but has single rooms only; site 2 has no free room at all; site 3
    // has a double room. The couple goes to site 3, together, rather than split at site 1.
    let sites = [
        site(3, 9.0, &[(30, 2, false)]),
        site(1, 1.0, &[(10, 1, false), (11, 1, false)]),
        site(2, 5.0, &[]),
    ];
    let people = [person(1, 7, 40), person(2, 7, 38), person(3, 8, 30)];
    let plan = check(&sites, &people);
    // The couple first (larger), then the single person at the nearest site.
    assert_eq!(rooms(&plan), [(1, 30), (2, 30), (3, 10)]);
    assert_eq!(plan.groups[0].site_id, Some(3));
    assert_eq!(
        plan.groups[0].notes[1],
        Note::NearerSitesSkipped {
            site_ids: vec![1, 2],
            more: 0
        }
    );
    assert_eq!(plan.groups[1].site_id, Some(1));
}

#[test]
fn a_note_names_the_five_nearest_skipped_sites_and_counts_the_others() {
    // Sites 1-7, 1-7 km away, hold single rooms only; site 8, 8 km away, a double.
    let mut sites: Vec<Site> = (1..=7)
        .map(|i| site(i, i as f64, &[(i * 10, 1, false)]))
        .collect();
    sites.push(site(8, 8.0, &[(80, 2, false)]));
    sites.reverse();
    let plan = check(&sites, &[person(1, 1, 30), person(2, 1, 30)]);
    let note = &plan.groups[0].notes[1];
    assert_eq!(
        *note,
        Note::NearerSitesSkipped {
            site_ids: vec![1, 2, 3, 4, 5],
            more: 2
        }
    );
    assert_eq!(
        note.text_en(),
        "nearer sites without room for the household: 1, 2, 3, 4, 5 and 2 more"
    );
    assert_eq!(
        note.text_zh(),
        "更近的隔离点 1、2、3、4、5 等 7 个均没有合适的空房"
    );
}

#[test]
fn sites_at_the_same_distance_go_by_site_id() {
    let sites = [
        site(5, 3.0, &[(50, 1, false)]),
        site(4, 3.0, &[(40, 1, false)]),
    ];
    let plan = check(&sites, &[person(1, 1, 30)]);
    assert_eq!(rooms(&plan), [(1, 40)]);
}

#[test]
fn the_home_is_the_mean_of_the_members_coordinates() {
    // One member lives 2 km west of HOME, one 6 km east: the home is 2 km east, nearer to
    // site 1 (3 km east) than to site 2 (at HOME).
    let sites = [
        site(1, 3.0, &[(10, 2, false)]),
        site(2, 0.0, &[(20, 2, false)]),
    ];
    let mut a = person(1, 7, 40);
    let mut b = person(2, 7, 40);
    a.lon -= 2.0 / 93.25;
    b.lon += 6.0 / 93.25;
    let plan = check(&sites, &[a, b]);
    assert_eq!(plan.groups[0].site_id, Some(1));
    assert!((plan.placements[0].distance_km - 1.0).abs() < 0.01);
}

#[test]
fn a_household_too_large_for_any_room_is_split_with_each_child_beside_an_adult() {
    // Two parents and three children, rooms of 3 beds at most.
    let sites = [site(
        1,
        1.0,
        &[
            (10, 3, false),
            (11, 3, false),
            (12, 2, false),
            (13, 1, false),
        ],
    )];
    let people = [
        person(1, 7, 40),
        person(2, 7, 38),
        person(3, 7, 10),
        person(4, 7, 8),
        person(5, 7, 5),
    ];
    let plan = check(&sites, &people);
    // Rooms largest first: parent 1 with children 3 and 4 fill room 10 (3 beds); parent 2
    // with child 5 (2 people) takes the 2-bed room by best fit.
    assert_eq!(rooms(&plan), [(1, 10), (2, 12), (3, 10), (4, 10), (5, 12)]);
    assert_eq!(
        plan.groups[0].notes[1..],
        [
            Note::HouseholdSplit { rooms: 2 },
            Note::ChildrenWithAdult {
                room_id: 10,
                child_ids: vec![3, 4]
            },
            Note::ChildrenWithAdult {
                room_id: 12,
                child_ids: vec![5]
            },
        ]
    );
}

#[test]
fn a_split_goes_to_the_nearest_site_that_can_take_the_whole_household() {
    // Site 1: 4 beds for 5 people. Site 2: one adult and four children in 1-bed rooms cannot
    // keep the children with the adult. Site 3 can.
    let sites = [
        site(1, 1.0, &[(10, 2, false), (11, 2, false)]),
        site(
            2,
            2.0,
            &[
                (20, 1, false),
                (21, 1, false),
                (22, 1, false),
                (23, 1, false),
                (24, 1, false),
            ],
        ),
        site(3, 3.0, &[(30, 3, false), (31, 2, false)]),
    ];
    let people = [
        person(1, 7, 35),
        person(2, 7, 36),
        person(3, 7, 12),
        person(4, 7, 9),
        person(5, 7, 16),
    ];
    let plan = check(&sites, &people);
    assert_eq!(plan.groups[0].site_id, Some(3));
    assert_eq!(
        plan.groups[0].notes[1],
        Note::NearerSitesSkipped {
            site_ids: vec![1, 2],
            more: 0
        }
    );
    // One adult per room, the children with the first (3 beds), the teen with the second.
    assert_eq!(rooms(&plan), [(1, 30), (2, 31), (3, 30), (4, 30), (5, 31)]);
}

#[test]
fn teenagers_need_no_guardian() {
    // A parent and a 15-year-old, single rooms only: two rooms.
    let sites = [site(1, 1.0, &[(10, 1, false), (11, 1, false)])];
    let plan = check(&sites, &[person(1, 7, 45), person(2, 7, 15)]);
    assert_eq!(rooms(&plan), [(1, 10), (2, 11)]);
    assert_eq!(plan.groups[0].notes[1], Note::HouseholdSplit { rooms: 2 });
}

#[test]
fn a_child_never_gets_a_room_without_an_adult() {
    // A parent and a 13-year-old, single rooms only: not placed.
    let sites = [site(1, 1.0, &[(10, 1, false), (11, 1, false)])];
    let plan = check(&sites, &[person(1, 7, 45), person(2, 7, 13)]);
    assert!(plan.placements.is_empty());
    assert_eq!(
        reasons(&plan),
        [
            (
                1,
                UnplacedReason::NoSiteWithRoom {
                    people: 2,
                    needing_accessible: 0
                }
            ),
            (
                2,
                UnplacedReason::NoSiteWithRoom {
                    people: 2,
                    needing_accessible: 0
                }
            ),
        ]
    );
}

#[test]
fn a_household_of_children_without_an_adult_is_left_to_staff() {
    let sites = [site(1, 1.0, &[(10, 3, false)])];
    let plan = check(&sites, &[person(1, 7, 16), person(2, 7, 9)]);
    assert!(plan.placements.is_empty());
    assert_eq!(
        reasons(&plan),
        [
            (1, UnplacedReason::NoAdultForChild),
            (2, UnplacedReason::NoAdultForChild)
        ]
    );
    assert_eq!(
        plan.groups[0].notes,
        [Note::NotPlaced {
            reason: UnplacedReason::NoAdultForChild
        }]
    );
}

#[test]
fn elderly_and_disabled_people_get_accessible_rooms_even_further_away() {
    // Site 1 (near) has ordinary rooms only; site 2 an accessible one.
    let sites = [
        site(1, 1.0, &[(10, 2, false), (11, 1, false)]),
        site(2, 4.0, &[(20, 2, true), (21, 1, true)]),
    ];
    let people = [person(1, 1, 60), disabled(2, 2, 30), person(3, 3, 59)];
    let plan = check(&sites, &people);
    // Needs first: households 1 and 2 (one person each, by id), then household 3.
    assert_eq!(rooms(&plan), [(1, 21), (2, 20), (3, 11)]);
    assert_eq!(
        plan.groups[0].notes,
        [
            Note::NearestSite {
                distance_km: plan.placements[0].distance_km
            },
            Note::NearerSitesSkipped {
                site_ids: vec![1],
                more: 0
            },
            Note::TogetherInOneRoom { room_id: 21 },
            Note::AccessibleRoom {
                room_id: 21,
                person_ids: vec![1]
            },
        ]
    );
}

#[test]
fn a_household_with_needs_shares_an_accessible_room() {
    // Grandmother (70) and grandson (10): together in the accessible double room.
    let sites = [site(1, 1.0, &[(10, 2, false), (11, 2, true)])];
    let plan = check(&sites, &[person(1, 7, 70), person(2, 7, 10)]);
    assert_eq!(rooms(&plan), [(1, 11), (2, 11)]);
}

#[test]
fn accessible_rooms_are_kept_for_people_who_need_them() {
    // A person without needs takes the ordinary double room, although the accessible single
    // fits better.
    let sites = [site(1, 1.0, &[(10, 2, false), (11, 1, true)])];
    let plan = check(&sites, &[person(1, 1, 30)]);
    assert_eq!(rooms(&plan), [(1, 10)]);
    // Households with needs go first: with one accessible room only, the elderly man gets
    // it and the younger person, although listed first and nearer, does not.
    let sites = [site(1, 1.0, &[(11, 1, true)])];
    let plan = check(&sites, &[person(1, 1, 30), person(2, 2, 80)]);
    assert_eq!(rooms(&plan), [(2, 11)]);
    assert_eq!(
        reasons(&plan),
        [(
            1,
            UnplacedReason::NoSiteWithRoom {
                people: 1,
                needing_accessible: 0
            }
        )]
    );
}

#[test]
fn a_household_without_needs_takes_an_accessible_room_as_a_last_resort() {
    // The nearest site has only an accessible room: it is used, and said so.
    let sites = [
        site(1, 1.0, &[(11, 2, true)]),
        site(2, 5.0, &[(20, 2, false)]),
    ];
    let plan = check(&sites, &[person(1, 1, 30), person(2, 1, 31)]);
    assert_eq!(rooms(&plan), [(1, 11), (2, 11)]);
    assert_eq!(
        plan.groups[0].notes[1..],
        [
            Note::TogetherInOneRoom { room_id: 11 },
            Note::AccessibleRoomAsLastResort { room_id: 11 },
        ]
    );
}

#[test]
fn a_split_puts_needy_members_in_accessible_rooms_and_a_parent_with_a_disabled_child() {
    // Grandfather (66), parent (35), disabled child (7), child (4); accessible rooms of 2,
    // ordinary rooms of 2. Two rooms: the grandfather, an adult, is the disabled child's
    // guardian in an accessible room; the parent takes the other child to an ordinary one.
    let sites = [site(
        1,
        1.0,
        &[(10, 2, false), (11, 2, false), (20, 2, true), (21, 2, true)],
    )];
    let people = [
        person(1, 7, 66),
        person(2, 7, 35),
        disabled(3, 7, 7),
        person(4, 7, 4),
    ];
    let plan = check(&sites, &people);
    assert_eq!(rooms(&plan), [(1, 20), (2, 10), (3, 20), (4, 10)]);
    // Parent (35) and disabled child (7) alone: the parent moves into the accessible room.
    let plan = check(
        &sites,
        &[person(2, 8, 35), disabled(3, 8, 7), person(5, 8, 40)],
    );
    assert_eq!(rooms(&plan), [(2, 20), (3, 20), (5, 10)]);
    assert!(plan.groups[0].notes.contains(&Note::AccessibleRoom {
        room_id: 20,
        person_ids: vec![3]
    }));
}

#[test]
fn no_room_holds_more_people_than_beds_and_the_rest_are_unplaced_with_a_reason() {
    let sites = [site(1, 1.0, &[(10, 2, false)])];
    let people = [person(1, 1, 30), person(2, 2, 30), person(3, 3, 30)];
    let plan = check(&sites, &people);
    // One room holds one household: household 1 takes the room, 2 and 3 find none.
    assert_eq!(rooms(&plan), [(1, 10)]);
    assert_eq!(
        reasons(&plan).iter().map(|r| r.0).collect::<Vec<_>>(),
        [2, 3]
    );
    let text = plan.groups[1].notes[0].text_en();
    assert_eq!(
        text,
        "not placed: no site has suitable free rooms for the household's 1 person"
    );
}

#[test]
fn households_are_processed_needs_first_then_larger_then_by_id() {
    let sites = [site(1, 1.0, &[(10, 5, false), (11, 5, true)])];
    let people = [
        person(1, 9, 30),
        person(2, 5, 30),
        person(3, 5, 30),
        person(4, 8, 61),
        person(5, 6, 30),
    ];
    let plan = check(&sites, &people);
    let order: Vec<i64> = plan.groups.iter().map(|g| g.household).collect();
    assert_eq!(order, [8, 5, 6, 9]);
}

#[test]
fn rooms_without_beds_are_never_used() {
    let sites = [site(1, 1.0, &[(10, 0, false)])];
    let plan = check(&sites, &[person(1, 1, 30)]);
    assert!(plan.placements.is_empty());
}

#[test]
fn duplicate_people_and_rooms_count_at_their_first_occurrence() {
    // Room 10 appears at site 1 and again at site 2: only site 1's counts.
    let sites = [
        site(1, 5.0, &[(10, 1, false)]),
        site(2, 1.0, &[(10, 1, false), (20, 1, false)]),
    ];
    let people = [person(1, 1, 30), person(2, 2, 30), person(1, 3, 50)];
    let plan = check(&sites, &people);
    // Person 1 in household 1, taken at the nearer site 2 (room 20), person 2 at site 1.
    assert_eq!(rooms(&plan), [(1, 20), (2, 10)]);
    assert_eq!(reasons(&plan), [(1, UnplacedReason::DuplicatePerson)]);
    assert_eq!(plan.groups.len(), 2);
}

#[test]
fn no_sites_or_no_people() {
    let plan = check(&[], &[person(1, 1, 30)]);
    assert_eq!(plan.unplaced.len(), 1);
    let plan = check(&[site(1, 1.0, &[(10, 1, false)])], &[]);
    assert_eq!(plan, fangkong_allocation::Plan::default());
}

#[test]
fn the_plan_does_not_depend_on_the_order_of_the_input() {
    let sites = [
        site(1, 1.0, &[(10, 2, false), (11, 1, true), (12, 3, false)]),
        site(2, 2.0, &[(20, 2, true), (21, 1, false), (22, 2, false)]),
    ];
    let people: Vec<Person> = vec![
        person(1, 1, 70),
        person(2, 1, 68),
        person(3, 2, 40),
        person(4, 2, 8),
        person(5, 3, 25),
        disabled(6, 4, 20),
        person(7, 5, 33),
        person(8, 5, 31),
        person(9, 5, 3),
        person(10, 5, 1),
    ];
    let plan = check(&sites, &people);
    let mut sites_rev = sites.to_vec();
    sites_rev.reverse();
    for s in &mut sites_rev {
        s.rooms.reverse();
    }
    let mut people_rev = people.clone();
    people_rev.reverse();
    assert_eq!(allocate(&sites_rev, &people_rev), plan);
}
