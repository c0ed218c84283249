//! The `allocate` scenario: a batch of people placed into the free rooms of quarantine sites
//! by `fangkong_allocation::allocate`, against a naive allocator of the same rules, measured
//! in the same run.
//!
//! Why it exists: issue #7 wants 10 000 people placed across 200 sites in under a second,
//! while staff wait for the plan.
//!
//! What it must not do: write anything, or talk to the network.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::time::Instant;

use crate::machine::load_average;
use anyhow::ensure;
use fangkong_allocation::{
    allocate, validate, Note, Person, Placement, Plan, Room, Site, Unplaced, UnplacedReason,
};
use rand::{Rng as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// Zhumadian's bounding box, degrees: sites and homes lie within it.
const LON: (f64, f64) = (113.6, 115.2);
const LAT: (f64, f64) = (32.3, 33.6);
/// Household sizes 1-5 with the shares of China's 2020 census (one-person 25.4%, two 29.7%,
/// three 20.9%, four 13.2%, five and more 10.8%), rounded.
const HOUSEHOLD_SIZES: [(usize, f64); 5] = [(1, 0.25), (2, 0.30), (3, 0.21), (4, 0.14), (5, 0.10)];
/// Room beds 1-3: single rooms of hotels used as sites, mostly twins, some family rooms.
const ROOM_BEDS: [(u32, f64); 3] = [(1, 0.3), (2, 0.5), (3, 0.2)];
/// Share of accessible rooms.
const ACCESSIBLE_SHARE: f64 = 0.10;
/// Share of disabled people (China's second national sample survey on disability, 2006: 6.3%,
/// lower among contacts who are out and about).
const DISABILITY_SHARE: f64 = 0.04;
/// Outbreak centres: most contacts live near one of them.
const CENTRES: usize = 6;
const NEAR_CENTRE_SHARE: f64 = 0.7;
/// Half the side of the square around a centre where its contacts live, degrees.
const CENTRE_SPREAD: f64 = 0.15;

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    pub people: usize,
    pub sites: usize,
    pub rooms_per_site: usize,
    pub seed: u64,
    pub repetitions: usize,
}

/// Issue #7's target.
#[derive(Debug, Clone, Serialize)]
pub struct Targets {
    /// `seconds < 1`.
    pub seconds: bool,
}

/// The measured run and its context.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub scenario: &'static str,
    pub people: usize,
    pub households: usize,
    /// People who are elderly (60 and over) or disabled.
    pub people_needing_accessible: usize,
    /// Children under 14.
    pub children: usize,
    pub sites: usize,
    pub rooms: usize,
    pub accessible_rooms: usize,
    pub beds: u64,
    pub seed: u64,
    /// Timed runs of each allocator.
    pub repetitions: usize,
    pub generate_seconds: f64,
    /// `allocate`, the median of the repetitions.
    pub seconds: f64,
    pub best_seconds: f64,
    /// The naive allocator, the median of the repetitions.
    pub baseline_seconds: f64,
    pub baseline_best_seconds: f64,
    /// `baseline_seconds / seconds` (medians).
    pub speedup: f64,
    /// `validate` of `allocate`'s plan.
    pub validate_seconds: f64,
    pub placed: usize,
    pub unplaced: usize,
    pub unplaced_households: usize,
    /// Households placed in one room.
    pub together_households: usize,
    /// Households split over several rooms of one site.
    pub split_households: usize,
    /// Households placed at a site that was not the nearest to their home.
    pub households_not_at_nearest_site: usize,
    pub mean_distance_km: f64,
    pub max_distance_km: f64,
    /// Breaches `validate` finds in `allocate`'s plan (expected 0).
    pub violations: usize,
    /// Breaches `validate` finds in the baseline's plan (expected 0).
    pub baseline_violations: usize,
    pub baseline_placed: usize,
    /// Whether both allocators put every person into the same room (or leave them unplaced
    /// for the same reason).
    pub same_plan: bool,
    /// 1-minute load average when the run started (other processes make timings noisy).
    pub load_average: Option<f64>,
    pub targets_met: Targets,
}

/// Runs the scenario.
///
/// # Errors
/// When a dimension or the number of repetitions is zero.
pub fn run(options: &Options) -> anyhow::Result<Report> {
    ensure!(
        options.people > 0 && options.sites > 0 && options.repetitions > 0,
        "--people, --sites and --repetitions must be positive"
    );
    let load_average = load_average();
    let started = Instant::now();
    let (sites, people, households) = generate(options);
    let generate_seconds = started.elapsed().as_secs_f64();

    let (plan, times) = time(options.repetitions, || allocate(&sites, &people));
    let (baseline, baseline_times) = time(options.repetitions, || naive_allocate(&sites, &people));
    let started = Instant::now();
    let violations = validate(&sites, &people, &plan.assignments()).len();
    let validate_seconds = started.elapsed().as_secs_f64();
    let baseline_violations = validate(&sites, &people, &baseline.assignments()).len();

    let seconds = median(&times);
    let baseline_seconds = median(&baseline_times);
    let placed_groups = plan.groups.iter().filter(|g| g.site_id.is_some());
    let has =
        |g: &fangkong_allocation::GroupExplanation, f: fn(&Note) -> bool| g.notes.iter().any(f);
    let distances: Vec<f64> = plan.placements.iter().map(|p| p.distance_km).collect();
    Ok(Report {
        scenario: "allocate",
        people: people.len(),
        households,
        people_needing_accessible: people.iter().filter(|p| p.needs_accessible_room()).count(),
        children: people.iter().filter(|p| p.is_child()).count(),
        sites: sites.len(),
        rooms: sites.iter().map(|s| s.rooms.len()).sum(),
        accessible_rooms: sites
            .iter()
            .flat_map(|s| &s.rooms)
            .filter(|r| r.accessible)
            .count(),
        beds: sites
            .iter()
            .flat_map(|s| &s.rooms)
            .map(|r| u64::from(r.beds))
            .sum(),
        seed: options.seed,
        repetitions: options.repetitions,
        generate_seconds,
        seconds,
        best_seconds: times.iter().copied().fold(f64::INFINITY, f64::min),
        baseline_seconds,
        baseline_best_seconds: baseline_times.iter().copied().fold(f64::INFINITY, f64::min),
        speedup: if seconds > 0.0 {
            baseline_seconds / seconds
        } else {
            0.0
        },
        validate_seconds,
        placed: plan.placements.len(),
        unplaced: plan.unplaced.len(),
        unplaced_households: plan.groups.iter().filter(|g| g.site_id.is_none()).count(),
        together_households: placed_groups
            .clone()
            .filter(|g| has(g, |n| matches!(n, Note::TogetherInOneRoom { .. })))
            .count(),
        split_households: placed_groups
            .clone()
            .filter(|g| has(g, |n| matches!(n, Note::HouseholdSplit { .. })))
            .count(),
        households_not_at_nearest_site: placed_groups
            .filter(|g| has(g, |n| matches!(n, Note::NearerSitesSkipped { .. })))
            .count(),
        mean_distance_km: if distances.is_empty() {
            0.0
        } else {
            distances.iter().sum::<f64>() / distances.len() as f64
        },
        max_distance_km: distances.iter().copied().fold(0.0, f64::max),
        violations,
        baseline_violations,
        baseline_placed: baseline.placements.len(),
        same_plan: same_plan(&plan, &baseline),
        load_average,
        targets_met: Targets {
            seconds: seconds < 1.0,
        },
    })
}

/// Runs `f` `n` times: its last result and the seconds of each run.
fn time<T>(n: usize, mut f: impl FnMut() -> T) -> (T, Vec<f64>) {
    let mut times = Vec::with_capacity(n);
    let mut last = None;
    for _ in 0..n {
        // The previous result is dropped outside the timed section.
        drop(last.take());
        let started = Instant::now();
        let out = f();
        times.push(started.elapsed().as_secs_f64());
        last = Some(out);
    }
    (last.unwrap_or_else(f), times)
}

/// The median (the lower of the middle two for an even count), 0 when empty.
fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[(sorted.len() - 1) / 2]
}

/// Whether both plans put every person into the same site and room and leave the same
/// people unplaced for the same reasons (order aside).
fn same_plan(a: &Plan, b: &Plan) -> bool {
    let key = |plan: &Plan| {
        let mut placed: Vec<(i64, i64, i64)> = plan
            .placements
            .iter()
            .map(|p| (p.person_id, p.site_id, p.room_id))
            .collect();
        placed.sort_unstable();
        let mut unplaced: Vec<(i64, String)> = plan
            .unplaced
            .iter()
            .map(|u| (u.person_id, format!("{:?}", u.reason)))
            .collect();
        unplaced.sort_unstable();
        (placed, unplaced)
    };
    key(a) == key(b)
}

/// Draws from `(value, weight)` pairs.
fn pick<T: Copy>(rng: &mut ChaCha8Rng, table: &[(T, f64)]) -> T {
    let total: f64 = table.iter().map(|t| t.1).sum();
    let mut x = rng.gen::<f64>() * total;
    for &(value, weight) in table {
        if x < weight {
            return value;
        }
        x -= weight;
    }
    table[table.len() - 1].0
}

/// Sites, people and the number of households, deterministic by seed.
///
/// Sites uniform over Zhumadian's bounding box, each with `rooms_per_site` free rooms (1-3
/// beds, 10% accessible; room ids numbered from 1 across sites). Households of 1-5 people
/// by the 2020 census shares until `people` are drawn (the last one cut short), 70% of them
/// within 0.15 degrees of one of six outbreak centres, the rest anywhere in the box; all
/// members at the same home. Ages by household type:
/// - 1: an adult, 18-59 (70%) or 60-90;
/// - 2: a couple (the first 22-85, the second within 5 years, at least 18; 75%) or a parent
///   (25-55) and a child (0-17, at least 20 years younger);
/// - 3: parents (25-50) and a child (70%), or an elderly couple (60-85) and their adult
///   child (30-55);
/// - 4: parents and two children (60%), or parents, a child and a grandparent (60-90);
/// - 5: two grandparents, parents and a child (60%), or parents and three children.
///
/// 4% of people are disabled.
fn generate(options: &Options) -> (Vec<Site>, Vec<Person>, usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let mut room_id = 0;
    let sites: Vec<Site> = (1..=options.sites as i64)
        .map(|id| Site {
            id,
            lon: rng.gen_range(LON.0..LON.1),
            lat: rng.gen_range(LAT.0..LAT.1),
            rooms: (0..options.rooms_per_site)
                .map(|_| {
                    room_id += 1;
                    Room {
                        id: room_id,
                        beds: pick(&mut rng, &ROOM_BEDS),
                        accessible: rng.gen_bool(ACCESSIBLE_SHARE),
                    }
                })
                .collect(),
        })
        .collect();

    let centres: Vec<(f64, f64)> = (0..CENTRES)
        .map(|_| (rng.gen_range(LON.0..LON.1), rng.gen_range(LAT.0..LAT.1)))
        .collect();
    let mut people = Vec::with_capacity(options.people);
    let mut households = 0;
    while people.len() < options.people {
        households += 1;
        let (lon, lat) = if rng.gen_bool(NEAR_CENTRE_SHARE) {
            let (clon, clat) = centres[rng.gen_range(0..CENTRES)];
            (
                (clon + rng.gen_range(-CENTRE_SPREAD..CENTRE_SPREAD)).clamp(LON.0, LON.1),
                (clat + rng.gen_range(-CENTRE_SPREAD..CENTRE_SPREAD)).clamp(LAT.0, LAT.1),
            )
        } else {
            (rng.gen_range(LON.0..LON.1), rng.gen_range(LAT.0..LAT.1))
        };
        let size = pick(&mut rng, &HOUSEHOLD_SIZES);
        let ages = household_ages(&mut rng, size);
        for age in ages {
            if people.len() == options.people {
                break;
            }
            people.push(Person {
                id: people.len() as i64 + 1,
                household: households as i64,
                age,
                disability: rng.gen_bool(DISABILITY_SHARE),
                lon,
                lat,
            });
        }
    }
    (sites, people, households)
}

/// The ages of a household of `size` (adults first), by the types of [`generate`].
fn household_ages(rng: &mut ChaCha8Rng, size: usize) -> Vec<u32> {
    let child_of = |rng: &mut ChaCha8Rng, parent: u32| rng.gen_range(0..=17.min(parent - 20));
    match size {
        1 => vec![if rng.gen_bool(0.7) {
            rng.gen_range(18..=59)
        } else {
            rng.gen_range(60..=90)
        }],
        2 => {
            if rng.gen_bool(0.75) {
                let a: u32 = rng.gen_range(22..=85);
                let b = (a as i64 + rng.gen_range(-5..=5)).clamp(18, 95) as u32;
                vec![a, b]
            } else {
                let parent = rng.gen_range(25..=55);
                vec![parent, child_of(rng, parent)]
            }
        }
        3 => {
            if rng.gen_bool(0.7) {
                let (a, b) = (rng.gen_range(25..=50), rng.gen_range(25..=50));
                vec![a, b, child_of(rng, a.min(b))]
            } else {
                vec![
                    rng.gen_range(60..=85),
                    rng.gen_range(60..=85),
                    rng.gen_range(30..=55),
                ]
            }
        }
        4 => {
            let (a, b) = (rng.gen_range(25..=50), rng.gen_range(25..=50));
            let c = child_of(rng, a.min(b));
            let last = if rng.gen_bool(0.6) {
                child_of(rng, a.min(b))
            } else {
                rng.gen_range(60..=90)
            };
            vec![a, b, c, last]
        }
        _ => {
            let (a, b) = (rng.gen_range(25..=50), rng.gen_range(25..=50));
            let young = a.min(b);
            if rng.gen_bool(0.6) {
                vec![
                    rng.gen_range(60..=90),
                    rng.gen_range(60..=90),
                    a,
                    b,
                    child_of(rng, young),
                ]
            } else {
                vec![
                    a,
                    b,
                    child_of(rng, young),
                    child_of(rng, young),
                    child_of(rng, young),
                ]
            }
        }
    }
}

/// The baseline: the rules of `fangkong_allocation` written as plainly as possible. For
/// each household, every site's distance by the haversine formula and a sort of all sites;
/// for each site in turn, a scan of all its rooms for the best fit (a room taken is marked,
/// not removed); a split collects and sorts the site's free rooms anew. Explanations are
/// left out (`groups` is empty).
fn naive_allocate(sites: &[Site], people: &[Person]) -> Plan {
    let mut plan = Plan::default();
    let mut seen = HashSet::new();
    let mut duplicates = Vec::new();
    let mut by_household: BTreeMap<i64, Vec<Person>> = BTreeMap::new();
    for p in people {
        if seen.insert(p.id) {
            by_household.entry(p.household).or_default().push(*p);
        } else {
            duplicates.push(p.id);
        }
    }
    let mut households: Vec<(i64, Vec<Person>)> = by_household.into_iter().collect();
    for (_, members) in &mut households {
        members.sort_by_key(|p| p.id);
    }
    households.sort_by_key(|(id, members)| {
        let needy = members.iter().filter(|p| p.needs_accessible_room()).count();
        (needy == 0, Reverse(members.len()), *id)
    });
    let mut seen_rooms = HashSet::new();
    // Per site: its usable rooms and whether each is taken.
    let mut rooms: Vec<Vec<(Room, bool)>> = sites
        .iter()
        .map(|s| {
            s.rooms
                .iter()
                .filter(|r| seen_rooms.insert(r.id) && r.beds > 0)
                .map(|r| (*r, false))
                .collect()
        })
        .collect();

    'households: for (_, members) in &households {
        let n = members.len();
        let needy = members.iter().filter(|p| p.needs_accessible_room()).count();
        let unplaced = |plan: &mut Plan, reason: UnplacedReason| {
            plan.unplaced.extend(members.iter().map(|p| Unplaced {
                person_id: p.id,
                reason: reason.clone(),
            }));
        };
        if members.iter().any(|p| p.is_child()) && !members.iter().any(|p| p.is_adult()) {
            unplaced(&mut plan, UnplacedReason::NoAdultForChild);
            continue;
        }
        let lon = members.iter().map(|p| p.lon).sum::<f64>() / n as f64;
        let lat = members.iter().map(|p| p.lat).sum::<f64>() / n as f64;
        let mut order: Vec<(f64, i64, usize)> = sites
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let d = haversine_km(lon, lat, s.lon, s.lat);
                (if d.is_nan() { f64::INFINITY } else { d }, s.id, i)
            })
            .collect();
        order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));

        // Together in one room.
        for &(distance_km, site_id, s) in &order {
            let best = |accessible: bool| {
                rooms[s]
                    .iter()
                    .enumerate()
                    .filter(|(_, (r, taken))| {
                        !taken && r.accessible == accessible && r.beds as usize >= n
                    })
                    .min_by_key(|(_, (r, _))| (r.beds, r.id))
                    .map(|(i, _)| i)
            };
            let room = if needy > 0 {
                best(true)
            } else {
                best(false).or_else(|| best(true))
            };
            if let Some(i) = room {
                rooms[s][i].1 = true;
                let room_id = rooms[s][i].0.id;
                plan.placements.extend(members.iter().map(|p| Placement {
                    person_id: p.id,
                    site_id,
                    room_id,
                    distance_km,
                }));
                continue 'households;
            }
        }

        // Split over several rooms of the nearest site that can take the household.
        for &(distance_km, site_id, s) in &order {
            let caps = |accessible: bool| {
                let mut caps: Vec<u32> = rooms[s]
                    .iter()
                    .filter(|(r, taken)| !taken && r.accessible == accessible)
                    .map(|(r, _)| r.beds)
                    .collect();
                caps.sort_by_key(|&b| Reverse(b));
                caps.truncate(n);
                caps
            };
            let Some(groups) = naive_split(members, &caps(true), &caps(false)) else {
                continue;
            };
            let mut placed = Vec::new();
            for (accessible, mut groups) in groups {
                groups.sort_by_key(|g| Reverse(g.len()));
                for g in groups.iter().filter(|g| !g.is_empty()) {
                    let i = rooms[s]
                        .iter()
                        .enumerate()
                        .filter(|(_, (r, taken))| {
                            !taken && r.accessible == accessible && r.beds as usize >= g.len()
                        })
                        .min_by_key(|(_, (r, _))| (r.beds, r.id))
                        .map(|(i, _)| i);
                    let Some(i) = i else { continue };
                    rooms[s][i].1 = true;
                    let room_id = rooms[s][i].0.id;
                    placed.extend(g.iter().map(|p| Placement {
                        person_id: p.id,
                        site_id,
                        room_id,
                        distance_km,
                    }));
                }
            }
            placed.sort_by_key(|p| p.person_id);
            plan.placements.extend(placed);
            continue 'households;
        }
        unplaced(
            &mut plan,
            UnplacedReason::NoSiteWithRoom {
                people: n,
                needing_accessible: needy,
            },
        );
    }
    plan.unplaced
        .extend(duplicates.into_iter().map(|person_id| Unplaced {
            person_id,
            reason: UnplacedReason::DuplicatePerson,
        }));
    plan
}

/// Whether the rooms `caps` hold `adults`, `children` and `others`, every child beside an
/// adult: children fit in the rooms that can get an adult, everyone fits in all.
fn holds(caps: &[u32], adults: usize, children: usize, others: usize) -> bool {
    let t = adults.min(caps.len());
    let beside: u64 = caps[..t].iter().map(|&c| u64::from(c) - 1).sum();
    let all: u64 = caps.iter().map(|&c| u64::from(c)).sum();
    children as u64 <= beside && (adults + children + others) as u64 <= all
}

/// A household's split over the largest free rooms `acc` and `other` (largest first) as
/// `[(accessible, groups)]`, by rule 3 of `fangkong_allocation`: the fewest rooms, then the
/// fewest accessible rooms, then the fewest members without needs moved into them.
#[allow(clippy::type_complexity)]
fn naive_split(
    members: &[Person],
    acc: &[u32],
    other: &[u32],
) -> Option<[(bool, Vec<Vec<Person>>); 2]> {
    let class = |adult: bool, child: bool, needy: bool| -> Vec<Person> {
        members
            .iter()
            .filter(|p| {
                p.is_adult() == adult && p.is_child() == child && p.needs_accessible_room() == needy
            })
            .copied()
            .collect()
    };
    let (na, pa) = (class(true, false, true), class(true, false, false));
    let (nc, pc) = (class(false, true, true), class(false, true, false));
    let (nt, pt) = (class(false, false, true), class(false, false, false));
    let n = members.len();
    for k in 1..=n {
        for x in 0..=k {
            let y = k - x;
            if x > acc.len() || y > other.len() {
                continue;
            }
            let total: u64 = acc[..x]
                .iter()
                .chain(&other[..y])
                .map(|&c| u64::from(c))
                .sum();
            if (n as u64) > total {
                continue;
            }
            for s in 0..=pa.len() + pc.len() {
                for u in 0..=pa.len().min(s) {
                    let v = s - u;
                    if v > pc.len() {
                        continue;
                    }
                    if holds(&acc[..x], na.len() + u, nc.len() + v, nt.len())
                        && holds(&other[..y], pa.len() - u, pc.len() - v, 0)
                    {
                        let acc_adults: Vec<Person> = na.iter().chain(&pa[..u]).copied().collect();
                        let acc_children: Vec<Person> =
                            nc.iter().chain(&pc[..v]).copied().collect();
                        let mut acc_rooms = naive_fill(&acc[..x], &acc_adults, &acc_children, &nt);
                        let mut other_rooms = naive_fill(&other[..y], &pa[u..], &pc[v..], &[]);
                        let mut teens = pt.iter().copied();
                        for (room, &beds) in other_rooms
                            .iter_mut()
                            .zip(&other[..y])
                            .chain(acc_rooms.iter_mut().zip(&acc[..x]))
                        {
                            while room.len() < beds as usize {
                                let Some(t) = teens.next() else { break };
                                room.push(t);
                            }
                        }
                        return Some([(true, acc_rooms), (false, other_rooms)]);
                    }
                }
            }
        }
    }
    None
}

/// One side of a split: an adult per room while adults last, children into the rooms with
/// an adult, then the other adults and `others` into any bed, rooms in order.
fn naive_fill(
    caps: &[u32],
    adults: &[Person],
    children: &[Person],
    others: &[Person],
) -> Vec<Vec<Person>> {
    let mut rooms: Vec<Vec<Person>> = vec![Vec::new(); caps.len()];
    let t = adults.len().min(caps.len());
    for i in 0..t {
        rooms[i].push(adults[i]);
    }
    let mut children = children.iter();
    for i in 0..t {
        while rooms[i].len() < caps[i] as usize {
            let Some(c) = children.next() else { break };
            rooms[i].push(*c);
        }
    }
    let mut rest = adults[t..].iter().chain(others);
    for i in 0..caps.len() {
        while rooms[i].len() < caps[i] as usize {
            let Some(p) = rest.next() else { break };
            rooms[i].push(*p);
        }
    }
    rooms
}

/// The haversine distance in km on a sphere of radius 6 371 km.
fn haversine_km(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().min(1.0).asin()
}

/// The report as a table.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "allocate: {} people in {} households ({} elderly or disabled, {} children) to {} sites, {} free rooms ({} accessible), {} beds, seed {}",
        r.people,
        r.households,
        r.people_needing_accessible,
        r.children,
        r.sites,
        r.rooms,
        r.accessible_rooms,
        r.beds,
        r.seed
    );
    let _ = writeln!(
        out,
        "  placed {} ({} households together, {} split, {} not at the nearest site), unplaced {} ({} households)",
        r.placed,
        r.together_households,
        r.split_households,
        r.households_not_at_nearest_site,
        r.unplaced,
        r.unplaced_households
    );
    let _ = writeln!(
        out,
        "  distance: mean {:.1} km, max {:.1} km",
        r.mean_distance_km, r.max_distance_km
    );
    let _ = writeln!(
        out,
        "  {:<10} {:>12} {:>12} {:>10} {:>8}",
        "", "median ms", "best ms", "violations", "placed"
    );
    let _ = writeln!(
        out,
        "  {:<10} {:>12.3} {:>12.3} {:>10} {:>8}",
        "allocate",
        r.seconds * 1e3,
        r.best_seconds * 1e3,
        r.violations,
        r.placed
    );
    let _ = writeln!(
        out,
        "  {:<10} {:>12.3} {:>12.3} {:>10} {:>8}",
        "naive",
        r.baseline_seconds * 1e3,
        r.baseline_best_seconds * 1e3,
        r.baseline_violations,
        r.baseline_placed
    );
    let _ = writeln!(
        out,
        "  {} repetitions each; speedup {:.1} (medians); same plan {}; validate {:.3} ms; target < 1 s {}",
        r.repetitions,
        r.speedup,
        r.same_plan,
        r.validate_seconds * 1e3,
        r.targets_met.seconds
    );
    if let Some(load) = r.load_average {
        let _ = writeln!(out, "  load average {load:.2} at the start");
    }
    out
}
