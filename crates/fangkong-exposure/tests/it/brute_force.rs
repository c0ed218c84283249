//! Property: on random small inputs, built and grown by inserts in any mix, both queries
//! equal the brute force.

use fangkong_exposure::{CheckIn, ExposureIndex, IndexConfig, Interval};
use proptest::prelude::*;

use crate::brute_force;

const EPOCH: i64 = 1_000_000;

fn checkin() -> impl Strategy<Value = CheckIn> {
    // Durations around the class limits (4 h, a day, a week) and beyond, and zero.
    let dur = prop_oneof![
        6 => 0i64..400,
        1 => 14_390i64..14_410,
        1 => 86_390i64..86_410,
        1 => 604_790i64..604_810,
        1 => 1_000_000i64..2_000_000,
    ];
    // Venue 0 gets most check-ins, so that its inserts fill tails and merge runs.
    let venue = prop_oneof![3 => Just(0u32), 1 => 0u32..4];
    (venue, 0u32..6, 0i64..3000, prop::option::weighted(0.8, dur)).prop_map(
        |(venue, person, start, dur)| CheckIn {
            person,
            venue,
            start: EPOCH + start,
            end: dur.map(|d| EPOCH + start + d),
        },
    )
}

fn interval() -> impl Strategy<Value = Interval> {
    // Some start before the epoch, some end before they start.
    (0u32..5, -200i64..3200, -50i64..800).prop_map(|(venue, start, len)| Interval {
        venue,
        start: EPOCH + start,
        end: EPOCH + start + len,
    })
}

fn margin() -> impl Strategy<Value = i64> {
    prop_oneof![Just(0i64), -100i64..400]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn queries_equal_a_brute_force_scan(
        checkins in prop::collection::vec(checkin(), 0..400),
        built in 0usize..400,
        dwell in prop_oneof![Just(0u32), 1u32..2000],
        itineraries in prop::collection::vec(
            (prop::collection::vec(interval(), 0..6), margin(), prop::option::of(0u32..6)),
            1..4,
        ),
    ) {
        let config = IndexConfig { epoch: EPOCH, assumed_dwell_secs: dwell };
        let built = built.min(checkins.len());
        let mut index = ExposureIndex::build(config, checkins[..built].iter().copied()).unwrap();
        let check = |index: &ExposureIndex, held: &[CheckIn]| -> Result<(), TestCaseError> {
            prop_assert_eq!(index.len(), held.len());
            for (intervals, margin, exclude) in &itineraries {
                prop_assert_eq!(
                    index.match_intervals(intervals, *margin, *exclude),
                    brute_force(config, held, intervals, *margin, *exclude)
                );
                for i in intervals {
                    prop_assert_eq!(
                        index.venue_window(i.venue, i.start, i.end, *margin),
                        brute_force(config, held, std::slice::from_ref(i), *margin, None)
                    );
                }
            }
            Ok(())
        };
        check(&index, &checkins[..built])?;
        for n in built..checkins.len() {
            index.insert(checkins[n]).unwrap();
            if n % 37 == 0 {
                check(&index, &checkins[..=n])?;
            }
        }
        check(&index, &checkins)?;
    }
}
