//! Transmission chains: a hand-built forest with its clusters, generations and serial
//! intervals worked out in the comments; every refusal; and, on random forests, that
//! generations and clusters are consistent.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use chrono::NaiveDate;
use expect_test::{expect, Expect};
use fangkong_epi::chains::{
    analyse, would_cycle, ChainCase, ChainError, ChainLink, Cluster, LinkConfidence,
};
use proptest::prelude::*;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 3, d).unwrap()
}

fn case(id: i64, onset: Option<u32>, reported: u32) -> ChainCase {
    ChainCase {
        id,
        onset: onset.map(day),
        reported: day(reported),
    }
}

fn link(infector: i64, infectee: i64) -> ChainLink {
    ChainLink {
        infector,
        infectee,
        confidence: LinkConfidence::Probable,
    }
}

/// Prints the analysis, or the error, for a snapshot.
fn check(cases: &[ChainCase], links: &[ChainLink], expect: Expect) {
    let out = match analyse(cases, links) {
        Err(e) => format!("error: {e}"),
        Ok(a) => {
            let mut out = String::new();
            for c in &a.clusters {
                writeln!(
                    out,
                    "cluster {}: cases {:?} root {} generations {} reported {}..{}",
                    c.id, c.cases, c.root, c.generations, c.first_reported, c.last_reported
                )
                .unwrap();
            }
            let generations: Vec<String> = a
                .generation
                .iter()
                .map(|(id, g)| format!("{id}:{g}"))
                .collect();
            writeln!(out, "generation {}", generations.join(" ")).unwrap();
            let intervals: Vec<String> = a
                .serial_intervals
                .iter()
                .map(|s| format!("{}->{} {}", s.infector, s.infectee, s.days))
                .collect();
            writeln!(out, "serial intervals {}", intervals.join(", ")).unwrap();
            match a.serial_summary {
                None => write!(out, "summary none").unwrap(),
                Some(s) => write!(
                    out,
                    "summary n {} mean {:.4} sd {} median {} min {} max {}",
                    s.n,
                    s.mean,
                    s.sd.map_or("none".to_string(), |sd| format!("{sd:.4}")),
                    s.median,
                    s.min,
                    s.max
                )
                .unwrap(),
            }
            out
        }
    };
    expect.assert_eq(&out);
}

/// Two clusters and two unlinked cases:
///
/// ```text
/// 1 ─┬─ 2 ── 4 ── 5        6 ─┬─ 7        9   10
///    └─ 3                     └─ 8
/// ```
///
/// Serial intervals (infectee onset − infector onset), 5 has no onset so 4→5 has none:
/// 1→2: 5 − 1 = 4; 1→3: 4 − 1 = 3; 2→4: 10 − 5 = 5; 6→7: 1 − 2 = −1; 6→8: 8 − 2 = 6.
/// Sorted −1, 3, 4, 5, 6: n 5, sum 17, mean 3.4, median 4, min −1, max 6.
/// Deviations −4.4, −0.4, 0.6, 1.6, 2.6; squares 19.36 + 0.16 + 0.36 + 2.56 + 6.76 = 29.2;
/// sample variance 29.2 / 4 = 7.3; sd √7.3 = 2.7019.
/// Cluster 1 (five cases) is reported 3rd to 14th, cluster 2 (three) 3rd to 10th: case 7
/// was reported before its infector.
#[test]
fn two_clusters_with_generations_and_serial_intervals() {
    let cases = [
        case(1, Some(1), 3),
        case(2, Some(5), 7),
        case(3, Some(4), 6),
        case(4, Some(10), 12),
        case(5, None, 14),
        case(6, Some(2), 4),
        case(7, Some(1), 3),
        case(8, Some(8), 10),
        case(9, Some(2), 2),
        case(10, None, 20),
    ];
    let links = [
        link(1, 2),
        link(1, 3),
        link(2, 4),
        link(4, 5),
        link(6, 7),
        link(6, 8),
    ];
    check(
        &cases,
        &links,
        expect![[r#"
            cluster 1: cases [1, 2, 3, 4, 5] root 1 generations 4 reported 2024-03-03..2024-03-14
            cluster 2: cases [6, 7, 8] root 6 generations 2 reported 2024-03-03..2024-03-10
            generation 1:1 2:2 3:2 4:3 5:4 6:1 7:2 8:2 9:1 10:1
            serial intervals 1->2 4, 1->3 3, 2->4 5, 6->7 -1, 6->8 6
            summary n 5 mean 3.4000 sd 2.7019 median 4 min -1 max 6"#]],
    );
    // The order of cases and links does not change the result.
    let mut shuffled_cases = cases;
    shuffled_cases.reverse();
    let mut shuffled_links = links;
    shuffled_links.reverse();
    let a = analyse(&cases, &links).unwrap();
    let b = analyse(&shuffled_cases, &shuffled_links).unwrap();
    assert_eq!(a.clusters, b.clusters);
    assert_eq!(a.generation, b.generation);
}

/// Two intervals 0 and 3: mean 1.5, median (0 + 3) / 2 = 1.5, sd √((1.5² + 1.5²) / 1) =
/// √4.5 = 2.1213. Equal clusters are ordered by their smallest case id.
#[test]
fn even_count_median_and_ties_between_clusters() {
    let cases = [
        case(20, Some(1), 1),
        case(21, Some(1), 2),
        case(10, Some(1), 1),
        case(11, Some(4), 5),
    ];
    check(
        &cases,
        &[link(20, 21), link(10, 11)],
        expect![[r#"
            cluster 1: cases [10, 11] root 10 generations 2 reported 2024-03-01..2024-03-05
            cluster 2: cases [20, 21] root 20 generations 2 reported 2024-03-01..2024-03-02
            generation 10:1 11:2 20:1 21:2
            serial intervals 20->21 0, 10->11 3
            summary n 2 mean 1.5000 sd 2.1213 median 1.5 min 0 max 3"#]],
    );
}

#[test]
fn one_interval_has_no_sd_and_no_links_no_summary() {
    check(
        &[case(1, Some(1), 1), case(2, Some(3), 4)],
        &[link(1, 2)],
        expect![[r#"
            cluster 1: cases [1, 2] root 1 generations 2 reported 2024-03-01..2024-03-04
            generation 1:1 2:2
            serial intervals 1->2 2
            summary n 1 mean 2.0000 sd none median 2 min 2 max 2"#]],
    );
    check(
        &[case(1, None, 1)],
        &[],
        expect![[r#"
            generation 1:1
            serial intervals 
            summary none"#]],
    );
}

#[test]
fn refusals_name_the_case() {
    let cases: Vec<ChainCase> = (1..=5).map(|id| case(id, None, 1)).collect();
    let err = |links: &[ChainLink]| analyse(&cases, links).unwrap_err();
    // A chain 1 → 2 → 3 → 4 → 5 is fine; closing it with 4 → 2 makes the cycle 2, 3, 4,
    // whose smallest case is 2.
    assert!(analyse(&cases, &[link(1, 2), link(3, 4), link(2, 3), link(4, 5)]).is_ok());
    assert_eq!(
        err(&[link(3, 4), link(2, 3), link(4, 2)]),
        ChainError::Cycle { case: 2 }
    );
    assert_eq!(
        err(&[link(3, 4), link(2, 3), link(4, 2)]).to_string(),
        "the links form a cycle through case 2"
    );
    assert_eq!(err(&[link(5, 5)]), ChainError::Cycle { case: 5 });
    assert_eq!(
        err(&[link(1, 3), link(2, 3)]).to_string(),
        "case 3 has two infectors, case 1 and case 2"
    );
    assert_eq!(
        err(&[link(1, 3), link(1, 3)]).to_string(),
        "the link from case 1 to case 3 is given twice"
    );
    assert_eq!(
        err(&[link(1, 9)]).to_string(),
        "a link names case 9, which is not among the cases"
    );
    assert_eq!(err(&[link(9, 1)]), ChainError::UnknownCase(9));
    let twice = [case(1, None, 1), case(1, None, 2)];
    assert_eq!(
        analyse(&twice, &[]).unwrap_err().to_string(),
        "case 1 is listed twice"
    );
}

#[test]
fn would_cycle_finds_self_links_and_descendants() {
    let links = [link(1, 2), link(2, 3), link(2, 4), link(7, 8)];
    assert!(would_cycle(&links, 1, 1));
    assert!(would_cycle(&links, 3, 1));
    assert!(would_cycle(&links, 4, 2));
    assert!(!would_cycle(&links, 1, 4));
    assert!(!would_cycle(&links, 3, 4));
    assert!(!would_cycle(&links, 8, 1));
    assert!(!would_cycle(&[], 1, 2));
}

#[test]
fn confidences_round_trip() {
    for c in LinkConfidence::ALL {
        assert_eq!(LinkConfidence::parse(c.as_str()), Some(c));
        assert_eq!(LinkConfidence::parse(c.name_zh()), Some(c));
        assert_eq!(LinkConfidence::parse(c.name_en()), Some(c));
    }
    let names: Vec<_> = LinkConfidence::ALL
        .iter()
        .map(|c| format!("{c} {} {}", c.name_zh(), c.name_en()))
        .collect();
    assert_eq!(
        names,
        [
            "confirmed 确认 Confirmed",
            "probable 很可能 Probable",
            "possible 可能 Possible"
        ]
    );
}

/// A random forest: case `i` (id `3 i + 100`) has an infector among the cases before it or
/// none; cases and links are then given in a shuffled order.
fn forest() -> impl Strategy<Value = (Vec<ChainCase>, Vec<ChainLink>)> {
    (1usize..40)
        .prop_flat_map(|n| {
            (
                proptest::collection::vec(
                    proptest::option::weighted(0.7, any::<prop::sample::Index>()),
                    n,
                ),
                proptest::collection::vec(proptest::option::of(1u32..28), n),
                Just((0..n).collect::<Vec<usize>>()).prop_shuffle(),
            )
        })
        .prop_map(|(parents, onsets, order)| {
            let id = |i: usize| 3 * i as i64 + 100;
            let cases: Vec<ChainCase> = order
                .iter()
                .map(|&i| ChainCase {
                    id: id(i),
                    onset: onsets[i].map(day),
                    reported: day(onsets[i].unwrap_or(1)),
                })
                .collect();
            let links: Vec<ChainLink> = order
                .iter()
                .filter_map(|&i| {
                    let parent = parents[i].as_ref().filter(|_| i > 0)?.index(i);
                    Some(link(id(parent), id(i)))
                })
                .collect();
            (cases, links)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn forests_have_consistent_generations_and_partitioning_clusters((cases, links) in forest()) {
        let a = analyse(&cases, &links).unwrap();
        prop_assert_eq!(a.generation.len(), cases.len());
        let infector: BTreeMap<i64, i64> = links.iter().map(|l| (l.infectee, l.infector)).collect();
        for (id, g) in &a.generation {
            match infector.get(id) {
                Some(up) => prop_assert_eq!(*g, a.generation[up] + 1),
                None => prop_assert_eq!(*g, 1),
            }
        }
        let linked: BTreeSet<i64> = links.iter().flat_map(|l| [l.infector, l.infectee]).collect();
        let mut in_clusters = BTreeSet::new();
        for (n, c) in a.clusters.iter().enumerate() {
            prop_assert_eq!(c.id as usize, n + 1);
            prop_assert!(c.cases.len() >= 2);
            prop_assert!(c.cases.windows(2).all(|w| w[0] < w[1]));
            prop_assert_eq!(a.generation[&c.root], 1);
            prop_assert!(c.cases.contains(&c.root));
            let max = c.cases.iter().map(|id| a.generation[id]).max().unwrap();
            prop_assert_eq!(c.generations, max);
            for id in &c.cases {
                prop_assert!(in_clusters.insert(*id), "case {} in two clusters", id);
            }
            if n > 0 {
                let before = &a.clusters[n - 1];
                let key = |c: &Cluster| (Reverse(c.cases.len()), c.cases[0]);
                prop_assert!(key(before) < key(c));
            }
        }
        prop_assert_eq!(in_clusters, linked);
        // Every link stays inside one cluster.
        for l in &links {
            let cluster_of = |id: i64| a.clusters.iter().position(|c| c.cases.contains(&id));
            prop_assert_eq!(cluster_of(l.infector), cluster_of(l.infectee));
            prop_assert!(would_cycle(&links, l.infectee, l.infector));
        }
    }
}
