//! The documented edge cases, one test each.

use fangkong_exposure::{CheckIn, Exposure, ExposureIndex, IndexConfig, IndexError, Interval};

use crate::brute_force;

/// 2022-03-01T00:00:00+08:00.
const T0: i64 = 1_646_064_000;
const HOUR: i64 = 3600;

fn checkin(person: u32, venue: u32, start: i64, end: Option<i64>) -> CheckIn {
    CheckIn {
        person,
        venue,
        start,
        end,
    }
}

fn at(venue: u32, start: i64, end: i64) -> Interval {
    Interval { venue, start, end }
}

/// Builds the index of `checkins`, checks the query against the brute force, and returns
/// (person, overlap_secs) in rank order.
fn check(
    checkins: &[CheckIn],
    intervals: &[Interval],
    margin: i64,
    exclude: Option<u32>,
) -> Vec<(u32, i64)> {
    let config = IndexConfig::default();
    let index = ExposureIndex::build(config, checkins.iter().copied()).unwrap();
    let found = index.match_intervals(intervals, margin, exclude);
    assert_eq!(
        found,
        brute_force(config, checkins, intervals, margin, exclude)
    );
    found.iter().map(|e| (e.person, e.overlap_secs)).collect()
}

#[test]
fn touching_intervals_do_not_overlap() {
    let checkins = [
        checkin(1, 7, T0, Some(T0 + HOUR)),
        checkin(2, 7, T0 + 2 * HOUR, Some(T0 + 3 * HOUR)),
        checkin(3, 7, T0 + HOUR - 1, Some(T0 + HOUR + 1)),
    ];
    // The case was there [T0 + 1h, T0 + 2h): person 1 left as it came, person 2 came as it
    // left; person 3 shared one second on each side of its arrival.
    assert_eq!(
        check(&checkins, &[at(7, T0 + HOUR, T0 + 2 * HOUR)], 0, None),
        [(3, 1)]
    );
}

#[test]
fn a_margin_widens_both_sides() {
    let checkins = [
        checkin(1, 7, T0, Some(T0 + HOUR)),
        checkin(2, 7, T0 + 2 * HOUR, Some(T0 + 3 * HOUR)),
    ];
    let case = [at(7, T0 + HOUR, T0 + 2 * HOUR)];
    assert_eq!(check(&checkins, &case, 0, None), []);
    assert_eq!(check(&checkins, &case, 600, None), [(2, 600), (1, 600)]);
    // Person 2's exposure ends with the widened interval, 10 minutes after the case left.
    let index = ExposureIndex::build(IndexConfig::default(), checkins).unwrap();
    let found = index.match_intervals(&case, 600, None);
    assert_eq!(
        found[0],
        Exposure {
            person: 2,
            overlap_secs: 600,
            venue: 7,
            first_at: T0 + 2 * HOUR,
            last_at: T0 + 2 * HOUR + 600,
            pairs: 1
        }
    );
    // A negative margin narrows the interval, here to nothing.
    assert_eq!(check(&checkins, &case, -HOUR / 2, None), []);
}

#[test]
fn an_open_check_out_lasts_the_assumed_dwell() {
    let checkins = [checkin(1, 7, T0, None)];
    assert_eq!(
        check(&checkins, &[at(7, T0 + HOUR - 60, T0 + 2 * HOUR)], 0, None),
        [(1, 60)]
    );
    assert_eq!(
        check(&checkins, &[at(7, T0 + HOUR, T0 + 2 * HOUR)], 0, None),
        []
    );
    let config = IndexConfig {
        assumed_dwell_secs: 2 * 3600,
        ..IndexConfig::default()
    };
    let index = ExposureIndex::build(config, checkins).unwrap();
    assert_eq!(
        index.venue_window(7, T0 + HOUR, T0 + 2 * HOUR, 0)[0].overlap_secs,
        HOUR
    );
}

#[test]
fn a_check_in_spanning_midnight_is_one_interval() {
    // 23:00 to 01:00 local time; the case came at 00:30 the next day.
    let checkins = [checkin(1, 7, T0 - HOUR, Some(T0 + HOUR))];
    let found = check(&checkins, &[at(7, T0 + HOUR / 2, T0 + 3 * HOUR)], 0, None);
    assert_eq!(found, [(1, HOUR / 2)]);
    let found = check(&checkins, &[at(7, T0 - 2 * HOUR, T0 - HOUR / 2)], 0, None);
    assert_eq!(found, [(1, HOUR / 2)]);
}

#[test]
fn exclude_leaves_out_the_case_itself() {
    let checkins = [
        checkin(1, 7, T0, Some(T0 + HOUR)),
        checkin(2, 7, T0, Some(T0 + HOUR)),
    ];
    let case = [at(7, T0, T0 + HOUR)];
    assert_eq!(check(&checkins, &case, 0, Some(1)), [(2, HOUR)]);
    assert_eq!(check(&checkins, &case, 0, None), [(1, HOUR), (2, HOUR)]);
}

#[test]
fn overlaps_add_up_and_rank_by_total_then_last_exposure() {
    let checkins = [
        // Person 1: 30 min at venue 7 and 20 min at venue 8 (the itinerary's two stays).
        checkin(1, 7, T0, Some(T0 + HOUR / 2)),
        checkin(1, 8, T0 + 2 * HOUR, Some(T0 + 2 * HOUR + 1200)),
        // Person 2: 50 min at venue 8, later.
        checkin(2, 8, T0 + 3 * HOUR - 3000, Some(T0 + 3 * HOUR)),
        // Person 3: 50 min at venue 7, earliest last exposure of the three: ranks last.
        checkin(3, 7, T0, Some(T0 + 3000)),
        // At another venue at the same time: not a contact.
        checkin(4, 9, T0, Some(T0 + 3 * HOUR)),
    ];
    let case = [at(7, T0, T0 + HOUR), at(8, T0 + 2 * HOUR, T0 + 3 * HOUR)];
    assert_eq!(
        check(&checkins, &case, 0, None),
        [(2, 3000), (1, 3000), (3, 3000)]
    );
    let index = ExposureIndex::build(IndexConfig::default(), checkins).unwrap();
    let person_1 = index.match_intervals(&case, 0, None)[1];
    assert_eq!(
        person_1,
        Exposure {
            person: 1,
            overlap_secs: 3000,
            venue: 7,
            first_at: T0,
            last_at: T0 + 2 * HOUR + 1200,
            pairs: 2
        }
    );
}

#[test]
fn the_venue_is_that_of_the_longest_overlap_then_the_earliest() {
    let checkins = [
        checkin(1, 8, T0, Some(T0 + 600)),
        checkin(1, 7, T0 + HOUR, Some(T0 + HOUR + 600)),
        checkin(1, 9, T0 + 2 * HOUR, Some(T0 + 2 * HOUR + 900)),
    ];
    let index = ExposureIndex::build(IndexConfig::default(), checkins).unwrap();
    let case = [
        at(7, T0, T0 + 3 * HOUR),
        at(8, T0, T0 + 3 * HOUR),
        at(9, T0, T0 + 3 * HOUR),
    ];
    assert_eq!(index.match_intervals(&case, 0, None)[0].venue, 9);
    assert_eq!(index.match_intervals(&case[..2], 0, None)[0].venue, 8);
}

#[test]
fn a_long_stay_is_found_without_slowing_ordinary_queries() {
    // A three-day stay among ordinary visits, in both the build and the inserts.
    let mut checkins: Vec<CheckIn> = (0..1000)
        .map(|i| {
            checkin(
                i,
                7,
                T0 + i64::from(i) * 600,
                Some(T0 + i64::from(i) * 600 + 1800),
            )
        })
        .collect();
    checkins.push(checkin(5000, 7, T0 - 3 * 24 * HOUR, Some(T0 + 10 * HOUR)));
    let mut index = ExposureIndex::build(IndexConfig::default(), checkins.clone()).unwrap();
    let late = checkin(5001, 7, T0 - 2 * 24 * HOUR, Some(T0 + 12 * HOUR));
    index.insert(late).unwrap();
    checkins.push(late);
    let case = [at(7, T0 + 11 * HOUR, T0 + 11 * HOUR + 60)];
    let found = index.match_intervals(&case, 0, None);
    assert_eq!(
        found,
        brute_force(IndexConfig::default(), &checkins, &case, 0, None)
    );
    assert!(found.iter().any(|e| e.person == 5001));
    assert!(!found.iter().any(|e| e.person == 5000));
}

#[test]
fn inserted_check_ins_are_seen_at_once() {
    let mut index = ExposureIndex::new(IndexConfig::default());
    assert!(index.is_empty());
    let mut held = Vec::new();
    for i in 0..500u32 {
        let c = checkin(i % 50, i % 3, T0 + i64::from(i * 37 % 500) * 60, None);
        index.insert(c).unwrap();
        held.push(c);
        let case = [at(
            i % 3,
            T0 + i64::from(i) * 60,
            T0 + i64::from(i) * 60 + 900,
        )];
        assert_eq!(
            index.match_intervals(&case, 300, Some(0)),
            brute_force(IndexConfig::default(), &held, &case, 300, Some(0))
        );
    }
    assert_eq!(index.len(), 500);
}

#[test]
fn times_outside_the_range_are_refused_and_name_the_field() {
    let config = IndexConfig::default();
    let mut index = ExposureIndex::new(config);
    let err = index
        .insert(checkin(1, 7, config.epoch - 1, None))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "start 1577836799 is before the index's epoch 1577836800"
    );
    let last = config.epoch + i64::from(u32::MAX);
    let err = index.insert(checkin(1, 7, last, None)).unwrap_err();
    assert!(
        matches!(
            err,
            IndexError::AfterRange {
                field: "end (start + assumed dwell)",
                ..
            }
        ),
        "{err}"
    );
    let err = index.insert(checkin(1, 7, T0, Some(last + 1))).unwrap_err();
    assert!(
        matches!(err, IndexError::AfterRange { field: "end", .. }),
        "{err}"
    );
    let err = index.insert(checkin(1, 7, T0, Some(T0 - 1))).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("end {} is before start {T0}", T0 - 1)
    );
    assert!(index.is_empty());
    // The last representable second is fine, and so is a build of it.
    index.insert(checkin(1, 7, last, Some(last))).unwrap();
    assert!(ExposureIndex::build(config, [checkin(1, 7, T0, Some(T0 - 1))]).is_err());
}

#[test]
fn a_check_in_costs_at_most_24_bytes() {
    let checkins = (0..200_000u32).map(|i| {
        checkin(
            i,
            i % 1000,
            T0 + i64::from(i) * 5,
            (i % 10 != 0).then(|| T0 + i64::from(i) * 5 + 1800),
        )
    });
    let index = ExposureIndex::build(IndexConfig::default(), checkins).unwrap();
    assert_eq!(index.len(), 200_000);
    let per_checkin = index.memory_bytes() as f64 / index.len() as f64;
    assert!(
        (12.0..=24.0).contains(&per_checkin),
        "{per_checkin} bytes a check-in"
    );
}
