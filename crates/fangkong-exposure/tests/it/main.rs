//! `fangkong-exposure` against a brute-force scan, and its documented edge cases.

// Test helpers outside `#[test]` functions unwrap too; a failure is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod brute_force;
mod semantics;

use std::cmp::Reverse;
use std::collections::BTreeMap;

use fangkong_exposure::{CheckIn, Exposure, IndexConfig, Interval};

/// The crate's semantics written as plainly as possible: every check-in against every
/// interval.
pub fn brute_force(
    config: IndexConfig,
    checkins: &[CheckIn],
    intervals: &[Interval],
    margin_secs: i64,
    exclude: Option<u32>,
) -> Vec<Exposure> {
    // Per person: (length, from, to, venue) of each overlapping pair.
    let mut pairs: BTreeMap<u32, Vec<(i64, i64, i64, u32)>> = BTreeMap::new();
    for c in checkins {
        if Some(c.person) == exclude {
            continue;
        }
        let s = c.start;
        let e = c
            .end
            .unwrap_or(c.start + i64::from(config.assumed_dwell_secs));
        for i in intervals {
            if i.venue != c.venue || i.end < i.start {
                continue;
            }
            let (a, b) = (i.start - margin_secs, i.end + margin_secs);
            let (from, to) = (s.max(a), e.min(b));
            if from < to {
                pairs
                    .entry(c.person)
                    .or_default()
                    .push((to - from, from, to, c.venue));
            }
        }
    }
    let mut out: Vec<Exposure> = pairs
        .into_iter()
        .map(|(person, p)| {
            let best = p
                .iter()
                .min_by_key(|(len, from, _, venue)| (Reverse(*len), *from, *venue))
                .unwrap();
            Exposure {
                person,
                overlap_secs: p.iter().map(|x| x.0).sum(),
                venue: best.3,
                first_at: p.iter().map(|x| x.1).min().unwrap(),
                last_at: p.iter().map(|x| x.2).max().unwrap(),
                pairs: p.len() as u32,
            }
        })
        .collect();
    out.sort_by_key(|e| (Reverse(e.overlap_secs), Reverse(e.last_at), e.person));
    out
}
