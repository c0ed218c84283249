//! Reading the reference tables and rendering results for snapshots.

use chrono::NaiveDate;
use fangkong_epi::aberration::Evaluation;
use fangkong_epi::{Frequency, Series};

/// A series from a `date,count` table; an empty count is missing.
pub fn read_series(csv: &str, frequency: Frequency) -> Series {
    let mut start = None;
    let mut counts = Vec::new();
    for line in csv.lines().skip(1) {
        let (date, count) = line.split_once(',').unwrap();
        start.get_or_insert_with(|| NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap());
        counts.push(match count {
            "" | "NA" => None,
            c => Some(c.parse().unwrap()),
        });
    }
    Series::new(start.unwrap(), frequency, counts).unwrap()
}

/// One row of a reference result table `index,observed,expected,threshold,alarm`.
#[derive(Debug)]
pub struct Reference {
    pub index: usize,
    pub expected: Option<f64>,
    pub threshold: Option<f64>,
    pub alarm: bool,
}

fn number(field: &str) -> Option<f64> {
    match field {
        "NA" | "" => None,
        v => Some(v.parse().unwrap()),
    }
}

pub fn read_reference(csv: &str) -> Vec<Reference> {
    csv.lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            Reference {
                index: f[0].parse().unwrap(),
                expected: number(f[2]),
                threshold: number(f[3]),
                alarm: f[4] == "1",
            }
        })
        .collect()
}

fn close(a: Option<f64>, b: Option<f64>, rel: f64) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => (a - b).abs() <= rel * b.abs().max(1.0),
        _ => false,
    }
}

/// Differences between our evaluations and the reference rows with the same index: a missing
/// row on either side, a threshold (and, when `with_expected`, an expected value) that differs
/// by more than `rel` relatively, or a different alarm. Rows whose index is in `skip` are
/// not compared.
pub fn differences(
    ours: &[Evaluation],
    reference: &[Reference],
    rel: f64,
    with_expected: bool,
    skip: &[usize],
) -> Vec<String> {
    let mut out = Vec::new();
    for r in reference.iter().filter(|r| !skip.contains(&r.index)) {
        let Some(e) = ours.iter().find(|e| e.index == r.index) else {
            out.push(format!("{}: not evaluated", r.index));
            continue;
        };
        // Under the limit54 rule R blanks the expected value with the threshold; we keep it.
        let blanked = r.expected.is_none() && r.threshold.is_none();
        let expected_ok = !with_expected || blanked || close(e.expected, r.expected, rel);
        if !expected_ok || !close(e.threshold, r.threshold, rel) || e.alarm != r.alarm {
            out.push(format!(
                "{}: ours {:?} {:?} {}, R {:?} {:?} {} (expected, threshold, alarm)",
                r.index, e.expected, e.threshold, e.alarm, r.expected, r.threshold, r.alarm
            ));
        }
    }
    out
}

/// One line per evaluation: `index date observed expected threshold alarm`.
pub fn render(evaluations: &[Evaluation]) -> String {
    let opt = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.4}"));
    evaluations
        .iter()
        .map(|e| {
            format!(
                "{} {} {} {} {} {}\n",
                e.index,
                e.date,
                e.observed.map_or("-".to_owned(), |o| o.to_string()),
                opt(e.expected),
                opt(e.threshold),
                if e.alarm { "ALARM" } else { "-" }
            )
        })
        .collect()
}
