//! Transmission chains (传播链): who infected whom, as a forest of cases, with clusters,
//! generations and serial intervals.
//!
//! Why it exists: an investigation (流调溯源) links each case to the case it most likely
//! caught the infection from. From those links the command platform shows clusters, the
//! generation of each case (how many steps from the index case) and the observed serial
//! intervals, which feed the Rt estimate's serial interval distribution.
//!
//! The links must form a forest: a case has at most one infector and no case is its own
//! ancestor. [`analyse`] refuses anything else and names the offending case, so a store can
//! call it to validate an edit, and [`would_cycle`] answers the common question "may I add
//! this link?" without a full analysis.
//!
//! What it must not do: guess links, read dates from the clock, or know anything about the
//! persons behind the case ids (no names or documents pass through here).
//!
//! ```
//! use chrono::NaiveDate;
//! use fangkong_epi::chains::{analyse, ChainCase, ChainLink, LinkConfidence};
//! let day = |d| NaiveDate::from_ymd_opt(2024, 3, d).unwrap();
//! let cases = [
//!     ChainCase { id: 1, onset: Some(day(1)), reported: day(3) },
//!     ChainCase { id: 2, onset: Some(day(5)), reported: day(6) },
//! ];
//! let links = [ChainLink { infector: 1, infectee: 2, confidence: LinkConfidence::Confirmed }];
//! let analysis = analyse(&cases, &links).unwrap();
//! assert_eq!(analysis.generation[&2], 2);
//! assert_eq!(analysis.serial_intervals[0].days, 4);
//! ```

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use chrono::NaiveDate;

/// How sure the investigators are that a link is real.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LinkConfidence {
    /// 确认: established by the investigation (for example a shared household and matching
    /// sequences).
    Confirmed,
    /// 很可能: strong epidemiological evidence.
    Probable,
    /// 可能: a plausible contact, not yet established.
    Possible,
}

impl LinkConfidence {
    /// Every confidence, from the strongest.
    pub const ALL: [LinkConfidence; 3] = [
        LinkConfidence::Confirmed,
        LinkConfidence::Probable,
        LinkConfidence::Possible,
    ];

    /// The stable key used in storage and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkConfidence::Confirmed => "confirmed",
            LinkConfidence::Probable => "probable",
            LinkConfidence::Possible => "possible",
        }
    }

    /// The Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            LinkConfidence::Confirmed => "确认",
            LinkConfidence::Probable => "很可能",
            LinkConfidence::Possible => "可能",
        }
    }

    /// The English name, for display.
    pub fn name_en(self) -> &'static str {
        match self {
            LinkConfidence::Confirmed => "Confirmed",
            LinkConfidence::Probable => "Probable",
            LinkConfidence::Possible => "Possible",
        }
    }

    /// Parses a key (any case) or a Chinese name; surrounding whitespace is trimmed.
    ///
    /// # Examples
    /// ```
    /// use fangkong_epi::chains::LinkConfidence;
    /// assert_eq!(LinkConfidence::parse("很可能"), Some(LinkConfidence::Probable));
    /// assert_eq!(LinkConfidence::parse(" Confirmed "), Some(LinkConfidence::Confirmed));
    /// assert_eq!(LinkConfidence::parse("likely"), None);
    /// ```
    pub fn parse(text: &str) -> Option<LinkConfidence> {
        let text = text.trim();
        LinkConfidence::ALL
            .into_iter()
            .find(|c| text.eq_ignore_ascii_case(c.as_str()) || text == c.name_zh())
    }
}

impl fmt::Display for LinkConfidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A case as the chain analysis needs it: its id and dates only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainCase {
    pub id: i64,
    /// Symptom onset, if known (asymptomatic infections have none).
    pub onset: Option<NaiveDate>,
    /// The day the case was reported.
    pub reported: NaiveDate,
}

/// A link: `infector` infected `infectee`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainLink {
    pub infector: i64,
    pub infectee: i64,
    pub confidence: LinkConfidence,
}

/// A connected group of at least two linked cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    /// 1-based, in the order of [`ChainAnalysis::clusters`].
    pub id: u32,
    /// The case ids, ascending.
    pub cases: Vec<i64>,
    /// The case of generation 1. A valid forest has exactly one per cluster; should there be
    /// several, the smallest id.
    pub root: i64,
    /// The largest generation in the cluster (2 for an index case and its direct infectees).
    pub generations: u32,
    /// The earliest report date in the cluster.
    pub first_reported: NaiveDate,
    /// The latest report date in the cluster.
    pub last_reported: NaiveDate,
}

/// The serial interval of one link: the days from the infector's onset to the infectee's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SerialInterval {
    pub infector: i64,
    pub infectee: i64,
    /// May be zero or negative (the infectee fell ill first, as happens with
    /// presymptomatic transmission); such values are kept, not dropped.
    pub days: i64,
}

/// Summary statistics of a set of serial intervals, in days.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SerialSummary {
    /// The number of intervals, at least 1.
    pub n: usize,
    pub mean: f64,
    /// The sample standard deviation (divisor `n - 1`); `None` for a single interval.
    pub sd: Option<f64>,
    /// The middle value, or the mean of the two middle values when `n` is even.
    pub median: f64,
    pub min: i64,
    pub max: i64,
}

/// What [`analyse`] finds in a set of cases and links.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainAnalysis {
    /// The connected components with at least two cases, by size descending, then by
    /// smallest case id. Cases without any link are not clusters.
    pub clusters: Vec<Cluster>,
    /// The generation of every case: 1 for a case without an infector (including unlinked
    /// cases), the infector's generation + 1 otherwise.
    pub generation: BTreeMap<i64, u32>,
    /// One entry per link whose two cases both have an onset, in the order of the links.
    pub serial_intervals: Vec<SerialInterval>,
    /// Statistics of [`ChainAnalysis::serial_intervals`]; `None` when there are none.
    pub serial_summary: Option<SerialSummary>,
}

/// Why a set of links is not a transmission forest.
///
/// Messages name case ids only, never anything about the persons.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// The same case id appears twice among the cases.
    #[error("case {0} is listed twice")]
    DuplicateCase(i64),
    /// A link names a case that is not among the cases.
    #[error("a link names case {0}, which is not among the cases")]
    UnknownCase(i64),
    /// The same link is given twice.
    #[error("the link from case {infector} to case {infectee} is given twice")]
    DuplicateLink { infector: i64, infectee: i64 },
    /// A case has two different infectors.
    #[error("case {infectee} has two infectors, case {first} and case {second}")]
    TwoInfectors {
        infectee: i64,
        first: i64,
        second: i64,
    },
    /// Following infectors from a case leads back to it (a self-link included). `case` is
    /// the smallest id on the cycle.
    #[error("the links form a cycle through case {case}")]
    Cycle { case: i64 },
}

/// Analyses a transmission forest: clusters, generations and serial intervals.
///
/// Cases are given once each; links refer to them by id. Unlinked cases get generation 1 and
/// are in no cluster.
///
/// # Errors
/// - [`ChainError::DuplicateCase`] for a case id given twice;
/// - [`ChainError::UnknownCase`] for a link to or from an id that is not a case;
/// - [`ChainError::DuplicateLink`] and [`ChainError::TwoInfectors`] when a case has more
///   than one link from an infector;
/// - [`ChainError::Cycle`] when infectors lead back to a case, naming the smallest case on
///   the cycle.
///
/// Links are checked in order and the first problem is returned; cycles are looked for only
/// once every link is otherwise valid.
pub fn analyse(cases: &[ChainCase], links: &[ChainLink]) -> Result<ChainAnalysis, ChainError> {
    let mut index: HashMap<i64, usize> = HashMap::with_capacity(cases.len());
    for (i, case) in cases.iter().enumerate() {
        if index.insert(case.id, i).is_some() {
            return Err(ChainError::DuplicateCase(case.id));
        }
    }
    let find = |id: i64| index.get(&id).copied().ok_or(ChainError::UnknownCase(id));
    let mut infector: Vec<Option<usize>> = vec![None; cases.len()];
    for link in links {
        let from = find(link.infector)?;
        let to = find(link.infectee)?;
        if from == to {
            return Err(ChainError::Cycle {
                case: link.infectee,
            });
        }
        match infector[to] {
            Some(earlier) if earlier == from => {
                return Err(ChainError::DuplicateLink {
                    infector: link.infector,
                    infectee: link.infectee,
                })
            }
            Some(earlier) => {
                return Err(ChainError::TwoInfectors {
                    infectee: link.infectee,
                    first: cases[earlier].id,
                    second: link.infector,
                })
            }
            None => infector[to] = Some(from),
        }
    }

    // With at most one infector per case, the links are a forest unless following infectors
    // loops. Walk up from each case until a case whose generation is known, then assign
    // generations on the way back down; meeting a case of the current walk is a cycle.
    let mut generation: Vec<u32> = vec![0; cases.len()];
    let mut root: Vec<usize> = (0..cases.len()).collect();
    let mut on_walk = vec![false; cases.len()];
    let mut walk: Vec<usize> = Vec::new();
    // Visiting cases in id order makes the reported cycle case independent of input order.
    let mut order: Vec<usize> = (0..cases.len()).collect();
    order.sort_by_key(|&i| cases[i].id);
    for start in order {
        let mut at = start;
        while generation[at] == 0 {
            if on_walk[at] {
                return Err(ChainError::Cycle {
                    case: smallest_on_cycle(cases, &infector, at),
                });
            }
            on_walk[at] = true;
            walk.push(at);
            match infector[at] {
                Some(up) => at = up,
                None => break,
            }
        }
        while let Some(case) = walk.pop() {
            on_walk[case] = false;
            match infector[case] {
                Some(up) => {
                    generation[case] = generation[up] + 1;
                    root[case] = root[up];
                }
                None => generation[case] = 1,
            }
        }
    }

    let clusters = clusters(cases, &infector, &generation, &root);
    let serial_intervals: Vec<SerialInterval> = links
        .iter()
        .filter_map(|link| {
            let onset = |id: i64| index.get(&id).and_then(|&i| cases[i].onset);
            let days = (onset(link.infectee)? - onset(link.infector)?).num_days();
            Some(SerialInterval {
                infector: link.infector,
                infectee: link.infectee,
                days,
            })
        })
        .collect();
    let serial_summary = summarise(serial_intervals.iter().map(|s| s.days));
    Ok(ChainAnalysis {
        clusters,
        generation: cases
            .iter()
            .zip(&generation)
            .map(|(case, &g)| (case.id, g))
            .collect(),
        serial_intervals,
        serial_summary,
    })
}

/// Whether adding the link `infector → infectee` to `links` would close a cycle: a
/// self-link, or `infector` already descends from `infectee`.
///
/// `links` need not be a valid forest (cases with several infectors are followed along
/// every link), and ids not in any link are fine.
///
/// # Examples
/// ```
/// use fangkong_epi::chains::{would_cycle, ChainLink, LinkConfidence};
/// let link = |infector, infectee| ChainLink { infector, infectee, confidence: LinkConfidence::Possible };
/// let links = [link(1, 2), link(2, 3)];
/// assert!(would_cycle(&links, 3, 1));
/// assert!(would_cycle(&links, 4, 4));
/// assert!(!would_cycle(&links, 1, 3));
/// ```
pub fn would_cycle(links: &[ChainLink], infector: i64, infectee: i64) -> bool {
    if infector == infectee {
        return true;
    }
    let mut infectees: HashMap<i64, Vec<i64>> = HashMap::new();
    for link in links {
        infectees
            .entry(link.infector)
            .or_default()
            .push(link.infectee);
    }
    // Depth-first from the new infectee along existing links: reaching the new infector
    // means the new link would close a loop.
    let mut seen: HashSet<i64> = HashSet::from([infectee]);
    let mut stack = vec![infectee];
    while let Some(case) = stack.pop() {
        for &next in infectees.get(&case).map_or(&[][..], Vec::as_slice) {
            if next == infector {
                return true;
            }
            if seen.insert(next) {
                stack.push(next);
            }
        }
    }
    false
}

/// The smallest case id on the cycle through `start`.
fn smallest_on_cycle(cases: &[ChainCase], infector: &[Option<usize>], start: usize) -> i64 {
    let mut smallest = cases[start].id;
    let mut at = infector[start];
    while let Some(case) = at {
        if case == start {
            break;
        }
        smallest = smallest.min(cases[case].id);
        at = infector[case];
    }
    smallest
}

/// The trees with at least two cases, sorted and numbered.
fn clusters(
    cases: &[ChainCase],
    infector: &[Option<usize>],
    generation: &[u32],
    root: &[usize],
) -> Vec<Cluster> {
    let mut members: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (case, &up) in infector.iter().enumerate() {
        if up.is_some() {
            members.entry(root[case]).or_default().push(case);
        }
    }
    let mut clusters: Vec<Cluster> = members
        .into_iter()
        .map(|(top, mut list)| {
            list.push(top);
            let mut ids: Vec<i64> = list.iter().map(|&i| cases[i].id).collect();
            ids.sort_unstable();
            let reported = list.iter().map(|&i| cases[i].reported);
            Cluster {
                id: 0,
                cases: ids,
                root: cases[top].id,
                generations: list.iter().map(|&i| generation[i]).max().unwrap_or(1),
                first_reported: reported.clone().min().unwrap_or(cases[top].reported),
                last_reported: reported.max().unwrap_or(cases[top].reported),
            }
        })
        .collect();
    clusters.sort_by(|a, b| {
        b.cases
            .len()
            .cmp(&a.cases.len())
            .then(a.cases.first().cmp(&b.cases.first()))
    });
    for (n, cluster) in (1u32..).zip(clusters.iter_mut()) {
        cluster.id = n;
    }
    clusters
}

/// Mean, sample standard deviation, median and range; `None` for no values.
fn summarise(days: impl Iterator<Item = i64>) -> Option<SerialSummary> {
    let mut sorted: Vec<i64> = days.collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_unstable();
    let n = sorted.len();
    // Serial intervals are a few dozen days; f64 holds them and their sums exactly.
    #[allow(clippy::cast_precision_loss)]
    let (count, values): (f64, Vec<f64>) = (n as f64, sorted.iter().map(|&d| d as f64).collect());
    let mean = values.iter().sum::<f64>() / count;
    let sd = (n > 1).then(|| {
        let squares: f64 = values.iter().map(|v| (v - mean).powi(2)).sum();
        (squares / (count - 1.0)).sqrt()
    });
    let median = if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    };
    Some(SerialSummary {
        n,
        mean,
        sd,
        median,
        min: sorted[0],
        max: sorted[n - 1],
    })
}
