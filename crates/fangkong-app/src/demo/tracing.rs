//! A tracing picture for the demo city, so the case list, the itineraries, the contact lists,
//! the chains and the timeliness board answer with real figures: two weeks of venue
//! check-ins by the residents (about 180 000 for the default city of 200 000), and a small
//! outbreak of about 25 cases with onsets over the last ten days, found over the last two: a
//! market cluster, a workplace cluster brought in by a traveller who came home by train, a
//! household found by the testing round, and a few sporadic cases (one excluded, one early
//! imported case already recovered).
//!
//! Everything goes through the tracing API as an investigator's work would: the check-ins
//! are imported as the place-code platform's batches (`App::import_checkins` on CSV files of
//! 500 rows), and the cases are
//! registered, reclassified, given itineraries (from their check-ins and by hand), matched
//! against the check-ins, their contacts confirmed (which assigns their control measures)
//! and linked into chains, so the audit log, the measures and the timeliness are those of
//! real work. The app's clock is not moved: reports lie hours in the past and milestones are
//! reached now, which is what the timeliness measures. The picture is deterministic for a
//! seed and a day; it never registers persons of its own.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use fangkong_domain::ContactSetting;
use fangkong_store::tracing::PendingCase;
use fangkong_synth::{CityPlan, FacilityKind};
use rayon::prelude::*;

use super::testing::mix;
use crate::testing::schedules::china_day_start_ms;
use crate::tracing::{
    CaseInput, CaseUpdate, ContactInput, ItineraryInput, LinkInput, DEFAULT_MARGIN_MINUTES,
};
use crate::{Actor, App, Error, Result};

/// The meta key set when the tracing picture is complete.
const META_TRACING: &str = "demo.tracing";
/// Days of check-ins, ending yesterday.
const CHECKIN_DAYS: i64 = 14;
/// Background check-ins per resident over the two weeks (what the rates below give), and
/// their ceiling: a larger city gets the ceiling spread over its residents. Importing costs
/// about 0.1 ms a check-in, so the ceiling keeps the seed under 20 seconds.
const CHECKINS_PER_RESIDENT: f64 = 0.9;
const MAX_CHECKINS: f64 = 180_000.0;
/// Workplaces (and schools) that make their staff scan their place code, in per mille.
const SCANNING_WORKPLACES_PER_MILLE: f64 = 90.0;
/// Venue visits per resident and day, in per mille (residents aged 12 to 75).
const VENUE_VISITS_PER_MILLE: f64 = 66.0;
/// Rows of one check-in batch, as the place-code platform pushes them.
const CHECKIN_BATCH: usize = 500;
/// Check-ins without a check-out, in percent.
const OPEN_CHECKINS_PERCENT: u64 = 10;
/// Starting hours of venue visits, 07:00 to 21:00, weighted towards midday and evening.
const HOUR_WEIGHTS: [(u32, u64); 15] = [
    (7, 2),
    (8, 4),
    (9, 6),
    (10, 8),
    (11, 10),
    (12, 12),
    (13, 8),
    (14, 6),
    (15, 6),
    (16, 7),
    (17, 9),
    (18, 11),
    (19, 9),
    (20, 5),
    (21, 2),
];

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;

// Salts of the hash streams, so that draws for different purposes are independent.
const SALT_WORK: u64 = 0x7_0000_0000;
const SALT_VENUE: u64 = 0x8_0000_0000;
const SALT_SCANS: u64 = 0x9_0000_0000;
const SALT_PICK: u64 = 0xA_0000_0000;

/// A resident as the check-ins and the outbreak need them.
#[derive(Debug, Clone, Copy)]
struct Resident {
    id: i64,
    household: i64,
    /// The 12-digit community code as a number: the township is `/ 1000`, the county
    /// `/ 1_000_000`.
    community: u64,
    workplace: Option<i64>,
    age: u32,
}

/// A facility with a place code residents scan.
#[derive(Debug, Clone)]
struct Place {
    id: i64,
    code: String,
    kind: FacilityKind,
    subtype: String,
}

/// One check-in, `days_ago` days before today, minutes after midnight China time.
#[derive(Debug, Clone, Copy)]
struct Visit {
    person: i64,
    place: usize,
    days_ago: i64,
    start: u32,
    end: Option<u32>,
}

/// The residents and places of the city, regenerated from the plan.
struct City {
    residents: Vec<Resident>,
    by_id: HashMap<i64, usize>,
    households: HashMap<i64, Vec<usize>>,
    places: Vec<Place>,
    place_of: HashMap<i64, usize>,
    venues_by_township: HashMap<u64, Vec<usize>>,
    venues_by_county: HashMap<u64, Vec<usize>>,
    venues: Vec<usize>,
}

impl City {
    fn resident(&self, id: i64) -> Option<&Resident> {
        self.by_id.get(&id).map(|&i| &self.residents[i])
    }

    fn household_size(&self, r: &Resident) -> usize {
        self.households.get(&r.household).map_or(1, Vec::len)
    }

    /// The other members of a resident's household, in id order.
    fn housemates(&self, r: &Resident) -> Vec<Resident> {
        self.households
            .get(&r.household)
            .map(|m| {
                m.iter()
                    .map(|&i| self.residents[i])
                    .filter(|m| m.id != r.id)
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn gather_city(plan: &CityPlan, today: NaiveDate) -> City {
    // A township's residents and places, with each place's community.
    type Township = (Vec<Resident>, Vec<(Place, u64)>);
    let chunks: Vec<Township> = (0..plan.townships.len())
        .into_par_iter()
        .map(|i| {
            let chunk = fangkong_synth::generate_township(plan, i);
            let residents = chunk
                .persons
                .iter()
                .map(|p| Resident {
                    id: p.id,
                    household: p.household_id,
                    community: p.community_code.parse().unwrap_or(0),
                    workplace: p.workplace_id,
                    age: u32::try_from((today - p.national_id.birth_date()).num_days() / 365)
                        .unwrap_or(0),
                })
                .collect();
            let places = chunk
                .facilities
                .iter()
                .filter(|f| {
                    matches!(
                        f.kind,
                        FacilityKind::Venue | FacilityKind::Workplace | FacilityKind::School
                    )
                })
                .filter_map(|f| {
                    Some((
                        Place {
                            id: f.id,
                            code: f.place_code.as_ref()?.as_str().to_string(),
                            kind: f.kind,
                            subtype: f.subtype.clone(),
                        },
                        f.community_code.parse().unwrap_or(0),
                    ))
                })
                .collect();
            (residents, places)
        })
        .collect();
    let mut city = City {
        residents: Vec::new(),
        by_id: HashMap::new(),
        households: HashMap::new(),
        places: Vec::new(),
        place_of: HashMap::new(),
        venues_by_township: HashMap::new(),
        venues_by_county: HashMap::new(),
        venues: Vec::new(),
    };
    for (residents, places) in chunks {
        for r in residents {
            city.by_id.insert(r.id, city.residents.len());
            city.households
                .entry(r.household)
                .or_default()
                .push(city.residents.len());
            city.residents.push(r);
        }
        for (p, community) in places {
            let i = city.places.len();
            city.place_of.insert(p.id, i);
            if p.kind == FacilityKind::Venue {
                city.venues_by_township
                    .entry(community / 1000)
                    .or_default()
                    .push(i);
                city.venues_by_county
                    .entry(community / 1_000_000)
                    .or_default()
                    .push(i);
                city.venues.push(i);
            }
            city.places.push(p);
        }
    }
    city
}

/// How long a visit lasts, in minutes, by the venue's subtype (10 to 120).
fn dwell_range(subtype: &str) -> (u32, u32) {
    match subtype {
        "market" | "station" => (10, 40),
        "supermarket" => (15, 45),
        "barber" => (20, 60),
        "restaurant" => (30, 90),
        "mall" => (30, 120),
        "gym" => (45, 120),
        "cinema" => (100, 120),
        "hotel" | "ktv" | "internet_cafe" | "bathhouse" => (60, 120),
        _ => (10, 120),
    }
}

fn draw_hour(h: u64) -> u32 {
    let total: u64 = HOUR_WEIGHTS.iter().map(|w| w.1).sum();
    let mut x = h % total;
    for (hour, w) in HOUR_WEIGHTS {
        if x < w {
            return hour;
        }
        x -= w;
    }
    12
}

/// A venue visit of `person` drawn from `h`: mostly in the home township, sometimes in the
/// county, rarely anywhere in the city.
fn venue_visit(city: &City, r: &Resident, days_ago: i64, h: u64) -> Option<Visit> {
    let township = city.venues_by_township.get(&(r.community / 1000));
    let county = city.venues_by_county.get(&(r.community / 1_000_000));
    let list = match (h >> 8) % 100 {
        0..=79 => township.or(county),
        80..=96 => county.or(township),
        _ => Some(&city.venues),
    }
    .filter(|l| !l.is_empty())?;
    let place = list[((h >> 16) % list.len() as u64) as usize];
    let (lo, hi) = dwell_range(&city.places[place].subtype);
    let start = draw_hour(h >> 24) * 60 + ((h >> 32) % 60) as u32;
    let end = (start + lo + ((h >> 40) % u64::from(hi - lo + 1)) as u32).min(23 * 60 + 59);
    Some(Visit {
        person: r.id,
        place,
        days_ago,
        start,
        end: ((h >> 48) % 100 >= OPEN_CHECKINS_PERCENT).then_some(end),
    })
}

fn is_workday(day: NaiveDate) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The everyday check-ins: staff of the workplaces that make them scan, on workdays, and
/// venue visits.
fn background_visits(
    city: &City,
    seed: u64,
    population: u64,
    today: NaiveDate,
    skip_place: Option<usize>,
) -> Vec<Visit> {
    let scale = (MAX_CHECKINS / (CHECKINS_PER_RESIDENT * population.max(1) as f64)).min(1.0);
    let scanning = (SCANNING_WORKPLACES_PER_MILLE * scale) as u64;
    let visits = (VENUE_VISITS_PER_MILLE * scale * 10.0) as u64;
    city.residents
        .par_iter()
        .filter(|r| (12..=75).contains(&r.age))
        .flat_map_iter(|r| {
            let workplace = r
                .workplace
                .and_then(|w| city.place_of.get(&w).copied())
                .filter(|&p| Some(p) != skip_place)
                .filter(|&p| mix(seed, SALT_SCANS ^ city.places[p].id as u64) % 1000 < scanning);
            let mut out = Vec::new();
            for days_ago in 1..=CHECKIN_DAYS {
                let key = (r.id as u64) << 5 | days_ago as u64;
                if let Some(place) = workplace {
                    let h = mix(seed, SALT_WORK ^ key);
                    if is_workday(today - Duration::days(days_ago)) && h % 100 < 88 {
                        out.push(work_visit(r.id, place, days_ago, h));
                    }
                }
                let h = mix(seed, SALT_VENUE ^ key);
                if h % 10_000 < visits {
                    out.extend(venue_visit(city, r, days_ago, h));
                }
            }
            out
        })
        .collect()
}

/// A workday at a workplace: in between 07:30 and 08:30, out between 17:00 and 18:00.
fn work_visit(person: i64, place: usize, days_ago: i64, h: u64) -> Visit {
    let start = 7 * 60 + 30 + ((h >> 8) % 60) as u32;
    Visit {
        person,
        place,
        days_ago,
        start,
        end: ((h >> 24) % 100 >= OPEN_CHECKINS_PERCENT)
            .then_some(17 * 60 + ((h >> 16) % 60) as u32),
    }
}

/// The day's check-in feed as a CSV file.
fn day_csv(city: &City, visits: &[Visit], day: NaiveDate) -> String {
    let mut csv = String::with_capacity(visits.len() * 64 + 64);
    csv.push_str("person_id,place_code,time_in,time_out\n");
    let stamp = |m: u32| format!("{day} {:02}:{:02}", m / 60, m % 60);
    for v in visits {
        let _ = writeln!(
            csv,
            "{},{},{},{}",
            v.person,
            city.places[v.place].code,
            stamp(v.start),
            v.end.map(stamp).unwrap_or_default()
        );
    }
    csv
}

/// `YYYY-MM-DD HH:MM` in China Standard Time, as an investigator types it.
fn stamp_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms + 8 * HOUR_MS)
        .unwrap_or_default()
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// A case of the planned outbreak.
#[derive(Debug, Clone, Default)]
struct PlannedCase {
    person: i64,
    /// The planned case that infected this one, and how.
    infector: Option<usize>,
    setting: &'static str,
    confidence: &'static str,
    detection: &'static str,
    source_tube: Option<String>,
    /// Classification at registration and after review.
    registered_as: &'static str,
    classified_as: &'static str,
    /// Why the classification changed (kept in the history).
    review_note: &'static str,
    onset: Option<i64>,
    /// An onset found after registration (an asymptomatic infection that fell ill).
    later_onset: Option<i64>,
    detected: i64,
    /// `None`: reported now.
    reported: Option<i64>,
    isolated: i64,
    severity: Option<&'static str>,
    admitted: Option<i64>,
    recovered: Option<i64>,
    /// Entries an investigator records by hand.
    manual: Vec<ItineraryInput>,
    /// The last exposure to the infector, when the match does not find it.
    exposed_at: i64,
    /// Venue candidates confirmed as close contacts besides the planned infectees, and
    /// secondary contacts confirmed through them.
    close_contacts: usize,
    secondary_contacts: usize,
    dismissed: usize,
    household_contacts: bool,
}

/// The outbreak: its cases and the check-ins that put them and their contacts together.
struct Outbreak {
    cases: Vec<PlannedCase>,
    visits: Vec<Visit>,
    /// The time from which a case's person checks in nowhere (isolated), by person.
    until: HashMap<i64, i64>,
}

impl Outbreak {
    /// Whether a visit happened: not by a case's person after isolation.
    fn checks_in(&self, v: &Visit, today: NaiveDate) -> bool {
        self.until.get(&v.person).is_none_or(|&until| {
            china_day_start_ms(today - Duration::days(v.days_ago)) + i64::from(v.start) * MINUTE_MS
                < until
        })
    }
}

/// Draws of the outbreak plan, in order.
struct Draws {
    seed: u64,
    n: u64,
}

impl Draws {
    fn next(&mut self) -> u64 {
        self.n += 1;
        mix(self.seed, SALT_PICK ^ self.n)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Plans the outbreak in the county of the most populous township with venues. Every
/// cluster shrinks or drops out when the city is too small to staff it.
fn plan_outbreak(
    city: &City,
    seed: u64,
    today: NaiveDate,
    now: i64,
    pending: &[PendingCase],
) -> Outbreak {
    let mut d = Draws { seed, n: 0 };
    let mut cases: Vec<PlannedCase> = Vec::new();
    let mut visits = Vec::new();
    let mut used: HashSet<i64> = HashSet::new();
    let mut used_households: HashSet<i64> = HashSet::new();
    let at = |days_ago: i64, minute: i64| {
        china_day_start_ms(today - Duration::days(days_ago)) + minute * MINUTE_MS
    };
    // Detection, report and isolation of a case reported `hours` ago; the onset stays at
    // least six hours before the detection.
    let found = |c: &mut PlannedCase, hours: f64| {
        let reported = now - (hours * HOUR_MS as f64) as i64;
        c.reported = Some(reported);
        c.detected = reported - 90 * MINUTE_MS;
        c.isolated = (c.detected + 40 * MINUTE_MS).min(now - MINUTE_MS);
        if let Some(onset) = c.onset {
            c.onset = Some(onset.min(c.detected - 6 * HOUR_MS));
        }
    };
    let mut by_township: HashMap<u64, usize> = HashMap::new();
    for r in &city.residents {
        *by_township.entry(r.community / 1000).or_default() += 1;
    }
    let township = by_township
        .iter()
        .filter(|(t, _)| city.venues_by_township.contains_key(t))
        .max_by_key(|(t, n)| (**n, std::cmp::Reverse(**t)))
        .map(|(t, _)| *t);
    let Some(township) = township else {
        return Outbreak {
            cases,
            visits,
            until: HashMap::new(),
        };
    };
    let county = township / 1000;
    // Adults of a place, in the seed's order.
    let shuffled = |within: &dyn Fn(&Resident) -> bool, ages: std::ops::RangeInclusive<u32>| {
        let mut list: Vec<Resident> = city
            .residents
            .iter()
            .filter(|r| within(r) && ages.contains(&r.age))
            .copied()
            .collect();
        list.sort_by_key(|r| mix(seed, SALT_PICK ^ r.id as u64));
        list
    };

    // ---- Cluster A: a market -------------------------------------------------------------
    let venues = &city.venues_by_township[&township];
    let market = ["market", "supermarket", "restaurant"]
        .iter()
        .find_map(|s| venues.iter().find(|&&v| city.places[v].subtype == *s))
        .copied()
        .unwrap_or(venues[0]);
    let locals = shuffled(&|r| r.community / 1000 == township, 15..=75);
    let vendor = locals
        .iter()
        .filter(|r| (25..=60).contains(&r.age))
        .max_by_key(|r| city.household_size(r).min(3))
        .copied();
    let mut market_cluster = None;
    if let Some(vendor) = vendor {
        market_cluster = Some(market);
        used.insert(vendor.id);
        used_households.insert(vendor.household);
        // The vendor keeps a stall every morning until isolated.
        for days_ago in 4..=12 {
            visits.push(Visit {
                person: vendor.id,
                place: market,
                days_ago,
                start: 6 * 60 + 30,
                end: Some(13 * 60 + 30),
            });
        }
        let mut a0 = PlannedCase {
            person: vendor.id,
            detection: "fever_clinic",
            registered_as: "suspected",
            classified_as: "confirmed",
            review_note: "市级专家组会诊：确诊病例（普通型）",
            onset: Some(at(9, 10 * 60)),
            severity: Some("moderate"),
            close_contacts: 8,
            secondary_contacts: 4,
            dismissed: 2,
            household_contacts: true,
            manual: vec![ItineraryInput {
                start_at: stamp_ms(at(10, 18 * 60)),
                end_at: stamp_ms(at(10, 20 * 60 + 30)),
                address: Some("亲属家中聚餐（同乡镇）".into()),
                note: Some("本人自述".into()),
                ..ItineraryInput::default()
            }],
            ..PlannedCase::default()
        };
        found(&mut a0, 44.0);
        a0.admitted = Some(a0.isolated + 3 * HOUR_MS);
        let a0_onset_days = 9;
        cases.push(a0);
        let a0_index = cases.len() - 1;
        // Customers infected at the stall, from different households; the first three
        // live with someone they infect in turn.
        let mut customers: Vec<Resident> = Vec::new();
        for want_household in [true, false] {
            for r in &locals {
                if customers.len() >= 6 || (want_household && customers.len() >= 3) {
                    break;
                }
                if used.contains(&r.id)
                    || used_households.contains(&r.household)
                    || (want_household && city.household_size(r) < 2)
                {
                    continue;
                }
                used.insert(r.id);
                used_households.insert(r.household);
                customers.push(*r);
            }
        }
        let visit_days = [8, 8, 7, 7, 6, 6];
        let reported_hours = [22.0, 20.0, 19.0, 17.0, 15.0, 13.0];
        let mut second = Vec::new();
        for (k, r) in customers.iter().enumerate() {
            let days_ago = visit_days[k];
            let start = 7 * 60 + d.below(300) as u32;
            let end = start + 20 + d.below(31) as u32;
            visits.push(Visit {
                person: r.id,
                place: market,
                days_ago,
                start,
                end: Some(end),
            });
            let onset_days = days_ago - 2 - d.below(3) as i64;
            let mut c = PlannedCase {
                person: r.id,
                infector: Some(a0_index),
                setting: "venue",
                confidence: if k == 0 { "confirmed" } else { "probable" },
                detection: if k == 5 {
                    "fever_clinic"
                } else {
                    "contact_follow_up"
                },
                registered_as: "suspected",
                classified_as: "confirmed",
                review_note: "核酸复核阳性，诊断为确诊病例",
                onset: Some(at(onset_days, 8 * 60 + d.below(600) as i64)),
                severity: Some(if k == 1 { "severe" } else { "mild" }),
                exposed_at: at(days_ago, i64::from(end)),
                close_contacts: 4,
                household_contacts: true,
                ..PlannedCase::default()
            };
            if k == 4 {
                c.registered_as = "asymptomatic";
                c.classified_as = "asymptomatic";
                c.onset = None;
                c.severity = None;
            }
            found(&mut c, reported_hours[k]);
            if k == 1 {
                c.admitted = Some(c.isolated + 2 * HOUR_MS);
            }
            cases.push(c);
            second.push((cases.len() - 1, *r, onset_days));
        }
        // The vendor's household: one member infected at home.
        if let Some(h) = city
            .housemates(&vendor)
            .into_iter()
            .find(|m| m.age >= 5 && !used.contains(&m.id))
        {
            used.insert(h.id);
            let mut c = PlannedCase {
                person: h.id,
                infector: Some(a0_index),
                setting: "household",
                confidence: "confirmed",
                detection: "contact_follow_up",
                registered_as: "suspected",
                classified_as: "confirmed",
                review_note: "核酸复核阳性，诊断为确诊病例",
                onset: Some(at(a0_onset_days - 3, 9 * 60)),
                severity: Some("mild"),
                close_contacts: 2,
                household_contacts: true,
                ..PlannedCase::default()
            };
            found(&mut c, 23.0);
            c.exposed_at = cases[a0_index].isolated;
            cases.push(c);
        }
        // The third generation: a household member of each of the first three customers.
        let hours = [14.0, 10.0, 5.0];
        for (n, (infector, r, onset_days)) in second.iter().take(3).enumerate() {
            let Some(h) = city
                .housemates(r)
                .into_iter()
                .find(|m| !used.contains(&m.id))
            else {
                continue;
            };
            used.insert(h.id);
            let days = (onset_days - 2 - d.below(2) as i64).max(1);
            let mut c = PlannedCase {
                person: h.id,
                infector: Some(*infector),
                setting: "household",
                confidence: "confirmed",
                detection: "contact_follow_up",
                registered_as: if n == 2 { "confirmed" } else { "suspected" },
                classified_as: if n == 1 { "asymptomatic" } else { "confirmed" },
                review_note: if n == 1 {
                    "核酸复核阳性，无临床症状"
                } else {
                    "核酸复核阳性，诊断为确诊病例"
                },
                onset: (n != 1).then(|| at(days, 7 * 60 + d.below(720) as i64)),
                severity: (n != 1).then_some("mild"),
                close_contacts: 2,
                household_contacts: true,
                ..PlannedCase::default()
            };
            found(&mut c, hours[n]);
            c.exposed_at = cases[*infector].isolated;
            cases.push(c);
        }
    }

    // ---- Cluster B: a workplace, brought in by a traveller -------------------------------
    let mut workers: HashMap<usize, Vec<Resident>> = HashMap::new();
    for r in &city.residents {
        let Some(p) = r.workplace.and_then(|w| city.place_of.get(&w).copied()) else {
            continue;
        };
        if r.community / 1_000_000 == county
            && city.places[p].kind == FacilityKind::Workplace
            && (18..=65).contains(&r.age)
        {
            workers.entry(p).or_default().push(*r);
        }
    }
    let workplace = workers
        .iter()
        .filter(|(_, w)| w.len() >= 4)
        .max_by_key(|(p, w)| (w.len(), std::cmp::Reverse(**p)))
        .map(|(p, _)| *p);
    if let Some(workplace) = workplace {
        let mut staff = workers.remove(&workplace).unwrap_or_default();
        staff.sort_by_key(|r| mix(seed, SALT_PICK ^ r.id as u64));
        let traveller = staff
            .iter()
            .filter(|r| !used.contains(&r.id) && !used_households.contains(&r.household))
            .max_by_key(|r| city.household_size(r).min(2))
            .copied();
        if let Some(traveller) = traveller {
            used.insert(traveller.id);
            used_households.insert(traveller.household);
            // Everyone scans in at this workplace; the traveller stays home from 5 days ago.
            for r in &staff {
                for days_ago in 1..=CHECKIN_DAYS {
                    let h = mix(seed, SALT_WORK ^ ((r.id as u64) << 5 | days_ago as u64));
                    if is_workday(today - Duration::days(days_ago))
                        && h % 100 < 92
                        && (r.id != traveller.id || (6..=9).contains(&days_ago))
                    {
                        visits.push(work_visit(r.id, workplace, days_ago, h));
                    }
                }
            }
            let mut b0 = PlannedCase {
                person: traveller.id,
                detection: "fever_clinic",
                registered_as: "suspected",
                classified_as: "confirmed",
                review_note: "市级专家组会诊：确诊病例（普通型）",
                onset: Some(at(8, 9 * 60)),
                severity: Some("moderate"),
                close_contacts: 10,
                secondary_contacts: 4,
                household_contacts: true,
                manual: vec![
                    ItineraryInput {
                        start_at: stamp_ms(at(13, 9 * 60)),
                        end_at: stamp_ms(at(11, 14 * 60)),
                        address: Some("湖北省武汉市江汉区（出差）".into()),
                        note: Some("本人自述，出差期间住宿于客户单位附近酒店".into()),
                        ..ItineraryInput::default()
                    },
                    ItineraryInput {
                        start_at: stamp_ms(at(11, 15 * 60 + 2)),
                        end_at: stamp_ms(at(11, 16 * 60 + 31)),
                        transport_kind: Some("train".into()),
                        transport_no: Some("G1506".into()),
                        carriage: Some("05".into()),
                        seat: Some("08F".into()),
                        note: Some("武汉站—驻马店西站".into()),
                        ..ItineraryInput::default()
                    },
                    ItineraryInput {
                        start_at: stamp_ms(at(11, 16 * 60 + 45)),
                        end_at: stamp_ms(at(11, 17 * 60 + 20)),
                        transport_kind: Some("taxi".into()),
                        transport_no: Some("豫Q·T3L27".into()),
                        note: Some("驻马店西站至家中，网约车".into()),
                        ..ItineraryInput::default()
                    },
                ],
                ..PlannedCase::default()
            };
            found(&mut b0, 38.0);
            b0.admitted = Some(b0.isolated + 4 * HOUR_MS);
            cases.push(b0);
            let b0_index = cases.len() - 1;
            let mut coworkers: Vec<Resident> = Vec::new();
            for want_household in [true, false] {
                for r in &staff {
                    if coworkers.len() >= 4 || (want_household && coworkers.len() >= 2) {
                        break;
                    }
                    if used.contains(&r.id)
                        || used_households.contains(&r.household)
                        || (want_household && city.household_size(r) < 2)
                    {
                        continue;
                    }
                    used.insert(r.id);
                    used_households.insert(r.household);
                    coworkers.push(*r);
                }
            }
            let onsets = [5, 5, 4, 4];
            let reported_hours = [21.0, 19.0, 16.0, 12.0];
            let mut second = Vec::new();
            for (k, r) in coworkers.iter().enumerate() {
                let mut c = PlannedCase {
                    person: r.id,
                    infector: Some(b0_index),
                    setting: "work",
                    confidence: "probable",
                    detection: "contact_follow_up",
                    registered_as: "suspected",
                    classified_as: "confirmed",
                    review_note: "核酸复核阳性，诊断为确诊病例",
                    onset: Some(at(onsets[k], 8 * 60 + d.below(600) as i64)),
                    severity: Some("mild"),
                    exposed_at: at(6, 17 * 60),
                    close_contacts: 4,
                    household_contacts: true,
                    ..PlannedCase::default()
                };
                if k == 3 {
                    // Found without symptoms; fell ill two days ago.
                    c.registered_as = "asymptomatic";
                    c.review_note = "出现发热、咽痛，转为确诊病例";
                    c.onset = None;
                }
                found(&mut c, reported_hours[k]);
                if k == 3 {
                    c.later_onset = c.reported.map(|r| r + 5 * HOUR_MS);
                }
                cases.push(c);
                second.push((cases.len() - 1, *r, onsets[k]));
            }
            if let Some(h) = city
                .housemates(&traveller)
                .into_iter()
                .find(|m| m.age >= 5 && !used.contains(&m.id))
            {
                used.insert(h.id);
                let mut c = PlannedCase {
                    person: h.id,
                    infector: Some(b0_index),
                    setting: "household",
                    confidence: "confirmed",
                    detection: "contact_follow_up",
                    registered_as: "suspected",
                    classified_as: "confirmed",
                    review_note: "核酸复核阳性，诊断为确诊病例",
                    onset: Some(at(6, 20 * 60)),
                    severity: Some("mild"),
                    close_contacts: 2,
                    household_contacts: true,
                    ..PlannedCase::default()
                };
                found(&mut c, 26.0);
                c.exposed_at = cases[b0_index].isolated;
                cases.push(c);
            }
            let hours = [8.0, 3.0];
            for (n, (infector, r, onset_days)) in second.iter().take(2).enumerate() {
                let Some(h) = city
                    .housemates(r)
                    .into_iter()
                    .find(|m| !used.contains(&m.id))
                else {
                    continue;
                };
                used.insert(h.id);
                let mut c = PlannedCase {
                    person: h.id,
                    infector: Some(*infector),
                    setting: "household",
                    confidence: "confirmed",
                    detection: "contact_follow_up",
                    registered_as: "suspected",
                    classified_as: if n == 0 { "confirmed" } else { "asymptomatic" },
                    review_note: "核酸复核阳性",
                    onset: (n == 0).then(|| at((onset_days - 3).max(1), 11 * 60)),
                    severity: (n == 0).then_some("mild"),
                    close_contacts: 1,
                    household_contacts: true,
                    ..PlannedCase::default()
                };
                found(&mut c, hours[n]);
                c.exposed_at = cases[*infector].isolated;
                cases.push(c);
            }
        }
    }

    // ---- Cluster C: found by the testing round -------------------------------------------
    let fresh_pending: Vec<&PendingCase> = pending
        .iter()
        .filter(|p| !used.contains(&p.person_id))
        .collect();
    let mut from_testing = fresh_pending.into_iter();
    if let Some(p) = from_testing.next() {
        used.insert(p.person_id);
        let detected = p.flagged_at.min(now);
        cases.push(PlannedCase {
            person: p.person_id,
            detection: "testing_round",
            source_tube: Some(p.tube_code.clone()),
            registered_as: "suspected",
            classified_as: "asymptomatic",
            review_note: "单管复核阳性，无临床症状",
            detected,
            isolated: detected,
            household_contacts: true,
            close_contacts: 3,
            ..PlannedCase::default()
        });
        let c0 = cases.len() - 1;
        let housemate = city.resident(p.person_id).and_then(|r| {
            city.housemates(r)
                .into_iter()
                .find(|m| !used.contains(&m.id))
        });
        if let Some(h) = housemate {
            used.insert(h.id);
            cases.push(PlannedCase {
                person: h.id,
                infector: Some(c0),
                setting: "household",
                confidence: "possible",
                detection: "contact_follow_up",
                registered_as: "suspected",
                classified_as: "suspected",
                onset: Some(at(1, 21 * 60).min(detected - 6 * HOUR_MS)),
                detected,
                isolated: detected,
                exposed_at: detected,
                ..PlannedCase::default()
            });
        }
        // Other positives of the round wait for review; one is already known asymptomatic.
        for (n, p) in from_testing.take(2).enumerate() {
            used.insert(p.person_id);
            let detected = p.flagged_at.min(now);
            cases.push(PlannedCase {
                person: p.person_id,
                detection: "testing_round",
                source_tube: Some(p.tube_code.clone()),
                registered_as: "suspected",
                classified_as: if n == 0 { "asymptomatic" } else { "suspected" },
                review_note: "单管复核阳性，无临床症状",
                detected,
                isolated: detected,
                household_contacts: true,
                ..PlannedCase::default()
            });
        }
    }

    // ---- Sporadic cases ------------------------------------------------------------------
    let others = shuffled(
        &|r| r.community / 1_000_000 == county && r.community / 1000 != township,
        20..=65,
    );
    let others: Vec<Resident> = others
        .into_iter()
        .filter(|r| !used.contains(&r.id) && !used_households.contains(&r.household))
        .collect();
    let mut others = others.into_iter();
    if let Some(r) = others.next() {
        // A fever-clinic patient whose suspicion did not hold.
        used.insert(r.id);
        let mut c = PlannedCase {
            person: r.id,
            detection: "fever_clinic",
            registered_as: "suspected",
            classified_as: "excluded",
            review_note: "两次核酸检测阴性，排除疑似",
            onset: Some(at(2, 19 * 60)),
            ..PlannedCase::default()
        };
        found(&mut c, 20.0);
        cases.push(c);
    }
    if let Some(r) = others.next() {
        // An early case: back from Guangzhou by air, found on arrival, recovered by now.
        used.insert(r.id);
        let mut c = PlannedCase {
            person: r.id,
            detection: "inbound",
            registered_as: "asymptomatic",
            classified_as: "asymptomatic",
            household_contacts: true,
            close_contacts: 3,
            manual: vec![
                ItineraryInput {
                    start_at: stamp_ms(at(10, 8 * 60 + 10)),
                    end_at: stamp_ms(at(10, 10 * 60 + 25)),
                    transport_kind: Some("flight".into()),
                    transport_no: Some("CZ3391".into()),
                    seat: Some("32C".into()),
                    note: Some("广州白云—郑州新郑".into()),
                    ..ItineraryInput::default()
                },
                ItineraryInput {
                    start_at: stamp_ms(at(10, 12 * 60)),
                    end_at: stamp_ms(at(10, 15 * 60 + 40)),
                    transport_kind: Some("bus".into()),
                    transport_no: Some("豫A·82316".into()),
                    note: Some("郑州—驻马店，点对点转运".into()),
                    ..ItineraryInput::default()
                },
            ],
            ..PlannedCase::default()
        };
        c.detected = at(10, 16 * 60);
        c.reported = Some(at(10, 18 * 60));
        c.isolated = c.detected;
        c.recovered = Some(at(1, 10 * 60));
        cases.push(c);
    }

    // The crowd at the market: townspeople who shopped while the vendor was there.
    if let Some(market) = market_cluster {
        let crowd: Vec<Resident> = locals
            .iter()
            .filter(|r| !used.contains(&r.id))
            .take(40)
            .copied()
            .collect();
        for r in crowd {
            for _ in 0..=d.below(2) {
                let start = 6 * 60 + 30 + d.below(390) as u32;
                visits.push(Visit {
                    person: r.id,
                    place: market,
                    days_ago: 4 + d.below(8) as i64,
                    start,
                    end: (d.below(100) >= OPEN_CHECKINS_PERCENT)
                        .then(|| start + 10 + d.below(31) as u32),
                });
            }
        }
    }
    // Cases check in nowhere once isolated; the traveller by air had not been in the city.
    let until: HashMap<i64, i64> = cases
        .iter()
        .map(|c| {
            let until = if c.detection == "inbound" {
                i64::MIN
            } else {
                c.isolated
            };
            (c.person, until)
        })
        .collect();
    let mut out = Outbreak {
        cases,
        visits,
        until,
    };
    out.visits = out
        .visits
        .iter()
        .copied()
        .filter(|v| out.checks_in(v, today))
        .collect();
    out
}

/// What the tracing seed did.
#[derive(Debug, Default)]
struct Seeded {
    checkins: u64,
    cases: usize,
    contacts: usize,
    links: usize,
}

impl App {
    /// Seeds the tracing picture of the demo city (see the module documentation). Does
    /// nothing when it is already there; the check-ins of an interrupted seed are imported
    /// again as duplicates, and its outbreak is not seeded twice.
    ///
    /// # Errors
    /// `Invalid` for an unknown city; store failures; a refusal of the tracing API (a bug of
    /// this seed).
    pub async fn seed_demo_tracing(&self, config: &super::DemoConfig) -> Result<()> {
        let store = self.store();
        if store.meta().get(META_TRACING).await?.is_some() {
            return Ok(());
        }
        let started = std::time::Instant::now();
        self.ensure_default_policy().await?;
        let actor = Actor::system("demo");
        let plan = self.city_plan(config).await?;
        let today = self.today();
        let now = self.now_ms();
        let pending = self.pending_cases(&actor).await?;
        let population = config.population;
        let seed = config.seed;
        let (city, outbreak, mut visits) = tokio::task::spawn_blocking(move || {
            let city = gather_city(&plan, today);
            let outbreak = plan_outbreak(&city, seed, today, now, &pending);
            // The outbreak's workplace scans wholly through its own visits.
            let workplace = outbreak
                .visits
                .iter()
                .find(|v| city.places[v.place].kind == FacilityKind::Workplace)
                .map(|v| v.place);
            let mut visits = background_visits(&city, seed, population, today, workplace);
            visits.retain(|v| outbreak.checks_in(v, today));
            (city, outbreak, visits)
        })
        .await
        .map_err(|e| Error::Conflict(format!("generator failed: {e}")))?;
        visits.extend_from_slice(&outbreak.visits);
        visits.sort_by_key(|v| (std::cmp::Reverse(v.days_ago), v.start, v.person));
        let mut seeded = Seeded::default();
        // The place-code platform pushes its scans in batches through the day. Small
        // batches also keep the insert statements small: the SQLite driver looks up each
        // bound parameter by a scan of the statement's parameters, so a statement's cost
        // grows with the square of its rows (4 000 rows: 15 s a day; 500 rows: 1 s).
        for days_ago in (1..=CHECKIN_DAYS).rev() {
            let day = today - Duration::days(days_ago);
            let lo = visits.partition_point(|v| v.days_ago > days_ago);
            let hi = visits.partition_point(|v| v.days_ago >= days_ago);
            for (n, batch) in visits[lo..hi].chunks(CHECKIN_BATCH).enumerate() {
                let csv = day_csv(&city, batch, day);
                let import = self
                    .import_checkins(
                        &actor,
                        &format!("场所码扫码记录-{day}-{:03}.csv", n + 1),
                        csv.as_bytes(),
                    )
                    .await?;
                seeded.checkins += import.stored;
            }
        }
        drop(visits);
        // An outbreak half seeded by an interrupted run is left as it is.
        let fresh = self.cases(&actor, None, None, 1).await?.is_empty();
        if fresh {
            self.seed_outbreak(&actor, &outbreak.cases, now, &mut seeded)
                .await?;
        }
        store.meta().set(META_TRACING, &today.to_string()).await?;
        ::tracing::info!(
            checkins = seeded.checkins,
            cases = seeded.cases,
            contacts = seeded.contacts,
            links = seeded.links,
            seconds = started.elapsed().as_secs_f64(),
            "demo tracing picture seeded"
        );
        Ok(())
    }

    /// Works the planned cases as investigators would, infectors before their infectees.
    async fn seed_outbreak(
        &self,
        actor: &Actor,
        planned: &[PlannedCase],
        now: i64,
        seeded: &mut Seeded,
    ) -> Result<()> {
        let persons: HashSet<i64> = planned.iter().map(|c| c.person).collect();
        let mut ids: Vec<i64> = Vec::with_capacity(planned.len());
        for (n, c) in planned.iter().enumerate() {
            let case = self
                .register_case(
                    actor,
                    &CaseInput {
                        person_id: Some(c.person),
                        classification: c.registered_as.into(),
                        detection: c.detection.into(),
                        source_tube: c.source_tube.clone(),
                        onset_at: c.onset.map(stamp_ms),
                        detected_at: Some(stamp_ms(c.detected)),
                        reported_at: c.reported.map(stamp_ms),
                        ..CaseInput::default()
                    },
                )
                .await?;
            let id = case.id;
            ids.push(id);
            seeded.cases += 1;
            self.update_case(
                actor,
                id,
                &CaseUpdate {
                    isolated_at: Some(stamp_ms(c.isolated)),
                    note: Some(
                        if c.detection == "inbound" {
                            "入境后集中隔离"
                        } else {
                            "闭环转运至定点医院隔离"
                        }
                        .into(),
                    ),
                    ..CaseUpdate::default()
                },
            )
            .await?;
            if c.classified_as != c.registered_as || c.severity.is_some() {
                self.update_case(
                    actor,
                    id,
                    &CaseUpdate {
                        classification: Some(c.classified_as.into()),
                        severity: c.severity.map(Into::into),
                        onset_at: c.later_onset.map(stamp_ms),
                        admitted_at: c.admitted.map(stamp_ms),
                        note: Some(c.review_note.into()),
                        ..CaseUpdate::default()
                    },
                )
                .await?;
            }
            if let Some(infector) = c.infector {
                self.link_cases(
                    actor,
                    &LinkInput {
                        infector_case_id: ids[infector],
                        infectee_case_id: id,
                        confidence: c.confidence.into(),
                        setting: c.setting.into(),
                        note: None,
                    },
                )
                .await?;
                seeded.links += 1;
            }
            // The itinerary: the case's own check-ins, then what the interview adds.
            let from_checkins = self.itinerary_from_checkins(actor, id).await?;
            let mut manual = c.manual.clone();
            if from_checkins == 0 && manual.is_empty() {
                manual.push(ItineraryInput {
                    start_at: stamp_ms(c.isolated - 2 * DAY_MS),
                    end_at: stamp_ms(c.isolated - 30 * MINUTE_MS),
                    address: Some("居家，未外出（本人自述）".into()),
                    ..ItineraryInput::default()
                });
            }
            if !manual.is_empty() {
                self.add_itinerary(actor, id, &manual).await?;
            }
            let age_hours = (now - c.reported.unwrap_or(now)) / HOUR_MS;
            if age_hours >= 6 {
                self.complete_itinerary(actor, id).await?;
            }
            if c.classified_as == "excluded" {
                continue;
            }
            seeded.contacts += self
                .seed_contacts(actor, planned, n, id, &persons, now)
                .await?;
            if age_hours >= 12 {
                match self.complete_contacts(actor, id).await {
                    Ok(_) | Err(Error::Invalid(_)) => {}
                    Err(e) => return Err(e),
                }
            }
            if let Some(at) = c.recovered {
                self.update_case(
                    actor,
                    id,
                    &CaseUpdate {
                        outcome: Some("recovered".into()),
                        outcome_at: Some(stamp_ms(at)),
                        note: Some("隔离期满，两次核酸检测阴性，解除隔离".into()),
                        ..CaseUpdate::default()
                    },
                )
                .await?;
            }
        }
        Ok(())
    }

    /// Confirms the contacts of planned case `n` (registered as `case_id`): the planned
    /// infectees, the household, the largest overlaps of the exposure match, and secondary
    /// contacts through the household of close contacts; dismisses a few slight overlaps.
    /// Returns how many contacts were confirmed.
    async fn seed_contacts(
        &self,
        actor: &Actor,
        planned: &[PlannedCase],
        n: usize,
        case_id: i64,
        case_persons: &HashSet<i64>,
        now: i64,
    ) -> Result<usize> {
        let c = &planned[n];
        let infectees: BTreeMap<i64, &PlannedCase> = planned
            .iter()
            .filter(|p| p.infector == Some(n))
            .map(|p| (p.person, p))
            .collect();
        let candidates = self
            .exposure_candidates(actor, case_id, DEFAULT_MARGIN_MINUTES)
            .await?;
        let mut confirmed = 0;
        let mut close = 0;
        let mut decided: HashSet<i64> = HashSet::new();
        let mut slight = Vec::new();
        for cand in &candidates {
            let pid = cand.person.id;
            let infectee = infectees.contains_key(&pid);
            if case_persons.contains(&pid) && !infectee {
                continue;
            }
            let household = cand.setting == ContactSetting::Household;
            let take = infectee
                || (household && c.household_contacts)
                || (!household && close < c.close_contacts);
            if !take {
                if !household && cand.overlap_minutes < 45 {
                    slight.push(cand);
                }
                continue;
            }
            let setting = match &cand.venue {
                _ if household => "household",
                Some(v) if v.kind == "workplace" => "work",
                _ => "venue",
            };
            self.confirm_contact(
                actor,
                case_id,
                &ContactInput {
                    person_id: pid,
                    setting: setting.into(),
                    venue_id: cand.venue.as_ref().map(|v| v.id),
                    last_exposure_at: stamp_ms(cand.last_at.min(now)),
                    overlap_minutes: (!household).then_some(cand.overlap_minutes),
                    ..ContactInput::default()
                },
            )
            .await?;
            decided.insert(pid);
            confirmed += 1;
            if !household && !infectee {
                close += 1;
            }
        }
        // Infectees the match did not find (a venue without a scan) are named by the case.
        for (pid, p) in &infectees {
            if decided.contains(pid) {
                continue;
            }
            self.confirm_contact(
                actor,
                case_id,
                &ContactInput {
                    person_id: *pid,
                    setting: p.setting.into(),
                    last_exposure_at: stamp_ms(p.exposed_at.clamp(0, now)),
                    note: Some("病例自述".into()),
                    ..ContactInput::default()
                },
            )
            .await?;
            confirmed += 1;
        }
        for cand in slight.iter().rev().take(c.dismissed) {
            self.dismiss_contact(
                actor,
                case_id,
                &ContactInput {
                    person_id: cand.person.id,
                    setting: "venue".into(),
                    venue_id: cand.venue.as_ref().map(|v| v.id),
                    last_exposure_at: stamp_ms(cand.last_at.min(now)),
                    overlap_minutes: Some(cand.overlap_minutes),
                    note: Some("经核实扫码后即离开，未与病例近距离接触".into()),
                    ..ContactInput::default()
                },
            )
            .await?;
        }
        if c.secondary_contacts > 0 {
            let secondary = self.secondary_candidates(actor, case_id).await?;
            for (via, person) in secondary
                .iter()
                .filter(|(_, p)| !case_persons.contains(&p.id))
                .take(c.secondary_contacts)
            {
                self.confirm_contact(
                    actor,
                    case_id,
                    &ContactInput {
                        person_id: person.id,
                        degree: Some("secondary".into()),
                        via_contact_id: Some(via.id),
                        setting: "household".into(),
                        last_exposure_at: stamp_ms(now - HOUR_MS),
                        ..ContactInput::default()
                    },
                )
                .await?;
                confirmed += 1;
            }
        }
        Ok(confirmed)
    }
}

#[cfg(test)]
mod tests {
    use crate::{Actor, App};

    /// The figures a demo visitor sees first.
    async fn figures(app: &App) -> String {
        let actor = Actor::system("test");
        let checkins = app.store().tracing().count_checkins().await.unwrap();
        let cases = app.cases(&actor, None, None, 1000).await.unwrap();
        let mut by_class = std::collections::BTreeMap::new();
        let mut contacts = 0;
        let mut itineraries = 0;
        for c in &cases {
            *by_class.entry(c.fields.classification.clone()).or_insert(0) += 1;
            let detail = app.case_detail(&actor, c.id).await.unwrap();
            contacts += detail.contacts.len();
            itineraries += detail.itinerary.len();
        }
        let chains = app.chains(&actor).await.unwrap();
        let generations = chains.nodes.iter().map(|n| n.generation).max();
        let serial = chains
            .serial
            .map(|s| format!("n={} median={} min={} max={}", s.n, s.median, s.min, s.max));
        let timeliness = app.tracing_timeliness(&actor, 0).await.unwrap();
        let total = &timeliness[0];
        format!(
            "checkins={checkins} cases={} {by_class:?} itinerary_entries={itineraries} \
             contacts={contacts} links={} clusters={} generations={generations:?} \
             serial={serial:?} itinerary_done={} within_24h={} contacts_done={}",
            cases.len(),
            chains.edges.len(),
            chains.clusters.len(),
            total.itinerary_done,
            total.itinerary_within_24h,
            total.contacts_done,
        )
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_demo_seeds_checkins_and_an_outbreak_once() {
        let (_dir, app, config) = crate::demo::test_city().await;
        let first = figures(&app).await;
        let audit = app.verify_audit().await.unwrap();
        assert_eq!(audit.first_broken, None);
        // A second seed changes nothing, and writes nothing to the audit log.
        app.seed_demo_tracing(&config).await.unwrap();
        assert_eq!(figures(&app).await, first);
        assert_eq!(app.verify_audit().await.unwrap().entries, audit.entries);
        // Exact for the seed and the day: 25 cases in three clusters of up to three
        // generations, most itineraries complete, most of them within 24 hours.
        assert_eq!(
            first,
            concat!(
                "checkins=2748 cases=25 {\"asymptomatic\": 6, \"confirmed\": 16, ",
                "\"excluded\": 1, \"suspected\": 2} itinerary_entries=105 contacts=116 ",
                "links=18 clusters=3 generations=Some(3) ",
                "serial=Some(\"n=14 median=3.5 min=2 max=8\") itinerary_done=19 ",
                "within_24h=15 contacts_done=16"
            )
        );
    }
}
