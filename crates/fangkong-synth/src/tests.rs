//! Whole-city tests: determinism, exact counts, census shares, unique numbers and referential
//! integrity of a generated city.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use chrono::NaiveDate;
use expect_test::{expect, Expect};
use fangkong_domain::age_band::age_on;
use fangkong_domain::{AgeBand, Level, NationalId, Sex};
use proptest::prelude::*;

use crate::*;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 6, 1).unwrap()
}

fn config(population: u64, seed: u64) -> CityConfig {
    CityConfig::zhumadian(population, seed, today())
}

/// A 200 000-resident city, generated once for all the tests that inspect one.
fn city_200k() -> &'static (CityPlan, Vec<TownshipChunk>) {
    static CITY: OnceLock<(CityPlan, Vec<TownshipChunk>)> = OnceLock::new();
    CITY.get_or_init(|| {
        let plan = plan(&config(200_000, 20_240_601)).unwrap();
        let chunks = generate_city(&plan);
        (plan, chunks)
    })
}

fn band_index(age: u32) -> usize {
    let band = AgeBand::of_age(age);
    AgeBand::ALL.iter().position(|b| *b == band).unwrap()
}

#[test]
fn same_seed_gives_identical_output_on_any_number_of_threads() {
    let plan_a = plan(&config(20_000, 7)).unwrap();
    let plan_b = plan(&config(20_000, 7)).unwrap();
    assert_eq!(plan_a, plan_b);
    let parallel = generate_city(&plan_a);
    let serial = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| generate_city(&plan_b));
    assert_eq!(parallel, serial);
    // A township generated alone equals the same township generated with the city.
    assert_eq!(generate_township(&plan_a, 100), parallel[100]);
}

#[test]
fn different_seeds_give_different_cities() {
    let a = plan(&config(5_000, 1)).unwrap();
    let b = plan(&config(5_000, 2)).unwrap();
    assert_ne!(a, b);
    let ta = generate_township(&a, 0);
    let tb = generate_township(&b, 0);
    assert_ne!(
        ta.persons
            .iter()
            .map(|p| &p.national_id)
            .collect::<Vec<_>>(),
        tb.persons
            .iter()
            .map(|p| &p.national_id)
            .collect::<Vec<_>>()
    );
}

#[test]
fn population_is_exact_and_matches_the_plan_per_community() {
    let (plan, chunks) = city_200k();
    let persons: usize = chunks.iter().map(|c| c.persons.len()).sum();
    assert_eq!(persons, 200_000);
    assert_eq!(plan.person_count(), 200_000);
    // Recount every community from the generated identity numbers: band and sex must equal
    // the plan's jurisdiction rows exactly.
    let mut counted: HashMap<&str, ([u64; 4], u64, u64)> = HashMap::new();
    for p in chunks.iter().flat_map(|c| &c.persons) {
        let entry = counted.entry(p.community_code.as_str()).or_default();
        entry.0[band_index(age_on(p.national_id.birth_date(), today()))] += 1;
        match p.national_id.sex() {
            Sex::Male => entry.1 += 1,
            Sex::Female => entry.2 += 1,
        }
    }
    for j in plan
        .jurisdictions
        .iter()
        .filter(|j| j.level == Level::Community)
    {
        let got = counted.get(j.code.as_str()).copied().unwrap_or_default();
        assert_eq!(
            got,
            (j.population, j.male, j.female),
            "community {}",
            j.code
        );
    }
    for (t, chunk) in plan.townships.iter().zip(chunks) {
        assert_eq!(chunk.persons.len() as u64, t.population);
        assert_eq!(chunk.households.len() as u64, t.households);
        assert_eq!(chunk.facilities.len() as u64, t.facilities);
    }
}

#[test]
fn age_and_sex_shares_match_the_census_within_a_point() {
    let (_, chunks) = city_200k();
    let mut bands = [0u64; 4];
    let mut male = 0u64;
    let mut n = 0u64;
    for p in chunks.iter().flat_map(|c| &c.persons) {
        bands[band_index(age_on(p.national_id.birth_date(), today()))] += 1;
        male += u64::from(p.national_id.sex() == Sex::Male);
        n += 1;
    }
    for (b, target) in BAND_SHARES.iter().enumerate() {
        let share = bands[b] as f64 / n as f64;
        assert!(
            (share - target).abs() < 0.01,
            "band {} share {share:.4}, census {target}",
            AgeBand::ALL[b].as_str()
        );
    }
    let census = CENSUS_MALE as f64 / CENSUS_POPULATION as f64;
    let share = male as f64 / n as f64;
    assert!((share - census).abs() < 0.01, "male share {share:.4}");
}

#[test]
fn national_ids_are_valid_unique_and_consistent() {
    let (plan, chunks) = city_200k();
    let mut seen = HashSet::with_capacity(200_000);
    let county_of: HashMap<&str, &str> = plan
        .townships
        .iter()
        .map(|t| (t.code.as_str(), t.county_code.as_str()))
        .collect();
    let mut elsewhere = 0;
    for chunk in chunks {
        let county = county_of[chunk.township_code.as_str()];
        for p in &chunk.persons {
            let id = &p.national_id;
            assert_eq!(NationalId::parse(id.as_str()).as_ref(), Ok(id));
            assert!(seen.insert(id.clone()), "duplicate {id:?}");
            assert!(id.birth_date() <= today());
            assert!(age_on(id.birth_date(), today()) <= 100);
            let region = id.region_code();
            if region != county {
                // Development-zone residents register in the urban district; a few people
                // carry a number from another Henan county.
                assert!(region.starts_with("41"), "{region}");
                if !(county == "411771" && region == "411702") {
                    elsewhere += 1;
                }
            }
        }
    }
    let share = elsewhere as f64 / 200_000.0;
    assert!((0.01..0.06).contains(&share), "born elsewhere {share}");
}

#[test]
fn phones_are_valid_unique_and_held_by_most_people_over_twelve() {
    let (_, chunks) = city_200k();
    let mut seen = HashSet::new();
    let (mut eligible, mut with_phone) = (0, 0);
    for p in chunks.iter().flat_map(|c| &c.persons) {
        let age = age_on(p.national_id.birth_date(), today());
        if let Some(phone) = &p.phone {
            assert!(age >= 12);
            let s = phone.as_str();
            assert!(s.len() == 11 && s.starts_with('1') && matches!(s.as_bytes()[1], b'3'..=b'9'));
            assert!(seen.insert(s.to_string()), "duplicate phone");
        }
        if age >= 12 {
            eligible += 1;
            with_phone += u32::from(p.phone.is_some());
        }
    }
    assert!(f64::from(with_phone) / f64::from(eligible) > 0.8);
}

#[test]
fn every_reference_points_at_something_that_exists() {
    let (plan, chunks) = city_200k();
    let communities: HashSet<&str> = plan
        .jurisdictions
        .iter()
        .filter(|j| j.level == Level::Community)
        .map(|j| j.code.as_str())
        .collect();
    let facilities: HashMap<i64, &Facility> = plan
        .city_facilities
        .iter()
        .chain(chunks.iter().flat_map(|c| &c.facilities))
        .map(|f| (f.id, f))
        .collect();
    let households: HashMap<i64, &Household> = chunks
        .iter()
        .flat_map(|c| &c.households)
        .map(|h| (h.id, h))
        .collect();
    let mut members: HashMap<i64, u32> = HashMap::new();
    for p in chunks.iter().flat_map(|c| &c.persons) {
        assert!(communities.contains(p.community_code.as_str()));
        let h = households[&p.household_id];
        assert_eq!(h.community_code, p.community_code);
        assert_eq!(h.address, p.address);
        *members.entry(p.household_id).or_default() += 1;
        if let Some(w) = p.workplace_id {
            assert!(facilities.contains_key(&w), "workplace {w}");
        }
        if let Some(s) = p.school_id {
            assert_eq!(facilities[&s].kind, FacilityKind::School);
        }
    }
    for h in households.values() {
        assert_eq!(
            members.get(&h.id).copied(),
            Some(h.size),
            "household {}",
            h.id
        );
    }
    for f in facilities.values() {
        assert!(
            communities.contains(f.community_code.as_str()),
            "{}",
            f.name
        );
        if let Some(code) = &f.place_code {
            assert_eq!(code.community_code(), f.community_code);
        }
    }
    for r in &plan.rooms {
        assert_eq!(
            facilities[&r.facility_id].kind,
            FacilityKind::QuarantineSite
        );
    }
    for j in &plan.jurisdictions[1..] {
        let parent = j.parent.as_ref().unwrap();
        assert!(plan.jurisdiction(parent.as_str()).is_some());
    }
}

#[test]
fn ids_are_unique_and_contiguous_from_one() {
    let (plan, chunks) = city_200k();
    let contiguous = |mut ids: Vec<i64>, what: &str| {
        ids.sort_unstable();
        let expected: Vec<i64> = (1..=ids.len() as i64).collect();
        assert!(ids == expected, "{what} ids are not 1..={}", ids.len());
    };
    contiguous(
        chunks
            .iter()
            .flat_map(|c| &c.persons)
            .map(|p| p.id)
            .collect(),
        "person",
    );
    contiguous(
        chunks
            .iter()
            .flat_map(|c| &c.households)
            .map(|h| h.id)
            .collect(),
        "household",
    );
    contiguous(
        plan.city_facilities
            .iter()
            .chain(chunks.iter().flat_map(|c| &c.facilities))
            .map(|f| f.id)
            .collect(),
        "facility",
    );
    contiguous(plan.rooms.iter().map(|r| r.id).collect(), "room");
    let codes: HashSet<String> = chunks
        .iter()
        .flat_map(|c| &c.facilities)
        .filter_map(|f| f.place_code.as_ref())
        .map(|p| p.as_str().to_string())
        .collect();
    let coded = chunks
        .iter()
        .flat_map(|c| &c.facilities)
        .filter(|f| f.place_code.is_some())
        .count();
    assert_eq!(codes.len(), coded, "place codes are unique");
}

#[test]
fn jurisdiction_tree_has_the_real_counties_and_townships() {
    let (plan, _) = city_200k();
    let count = |level| {
        plan.jurisdictions
            .iter()
            .filter(|j| j.level == level)
            .count()
    };
    assert_eq!(count(Level::Province), 1);
    assert_eq!(count(Level::City), 1);
    assert_eq!(count(Level::County), 11);
    assert_eq!(count(Level::Township), 208);
    let communities = count(Level::Community);
    assert!(
        (2500..=3500).contains(&communities),
        "{communities} communities"
    );
    // Parents come before children, and each parent's counts are the sum of its children's.
    let mut seen = HashSet::new();
    let mut sums: HashMap<&str, ([u64; 4], u64)> = HashMap::new();
    for j in &plan.jurisdictions {
        if let Some(p) = &j.parent {
            assert!(seen.contains(p.as_str()), "{} before its parent", j.code);
            let e = sums.entry(p.as_str()).or_default();
            (0..4).for_each(|b| e.0[b] += j.population[b]);
            e.1 += j.male;
        }
        seen.insert(j.code.as_str());
        assert_eq!(j.total(), j.male + j.female);
        let (lon, lat) = j.centroid;
        if j.level >= Level::County {
            assert!(
                (113.2..=115.2).contains(&lon) && (32.3..=33.6).contains(&lat),
                "{}",
                j.name
            );
        }
    }
    for j in &plan.jurisdictions {
        if let Some((population, male)) = sums.get(j.code.as_str()) {
            assert_eq!((*population, *male), (j.population, j.male), "{}", j.code);
        }
    }
    let shundhe = plan.jurisdiction("411702009").unwrap();
    assert_eq!(shundhe.name, "顺河街道");
    let first_community = plan.jurisdiction("411702009001").unwrap();
    assert!(first_community.name.ends_with("社区"));
    let village = plan.jurisdiction("411721101001").unwrap();
    assert!(village.name.ends_with('村'), "{}", village.name);
}

#[test]
fn households_look_like_families() {
    let (_, chunks) = city_200k();
    let mut by_size = [0u64; 6];
    let mut n = 0;
    for chunk in chunks {
        let mut start = 0;
        for h in &chunk.households {
            by_size[(h.size as usize).min(5)] += 1;
            n += 1;
            let members = &chunk.persons[start..start + h.size as usize];
            start += h.size as usize;
            let ages: Vec<u32> = members
                .iter()
                .map(|p| age_on(p.national_id.birth_date(), today()))
                .collect();
            // The head (listed first) is an adult; every child lives with someone at least
            // 18 years older.
            assert!(ages[0] >= 18, "head aged {}", ages[0]);
            if let Some(youngest) = ages.iter().filter(|a| **a < 18).max() {
                assert!(ages.iter().any(|a| *a >= youngest + 18));
            }
        }
    }
    let share = |s: usize| by_size[s] as f64 / n as f64;
    // Target 25 / 30 / 20 / 13 / 12 %.
    for (size, target) in [(1, 0.25), (2, 0.30), (3, 0.20), (4, 0.13), (5, 0.12)] {
        assert!(
            (share(size) - target).abs() < 0.04,
            "size {size}: {:.3}",
            share(size)
        );
    }
}

#[test]
fn facilities_cover_the_brief() {
    let (plan, chunks) = city_200k();
    let all: Vec<&Facility> = plan
        .city_facilities
        .iter()
        .chain(chunks.iter().flat_map(|c| &c.facilities))
        .collect();
    let of = |kind: FacilityKind| all.iter().filter(move |f| f.kind == kind);
    // One sampling site per community.
    let communities = plan
        .jurisdictions
        .iter()
        .filter(|j| j.level == Level::Community)
        .count();
    assert_eq!(of(FacilityKind::SamplingSite).count(), communities);
    // Every sentinel type exists.
    let sentinel_types: HashSet<&str> = of(FacilityKind::Sentinel)
        .map(|f| f.subtype.as_str())
        .collect();
    assert_eq!(sentinel_types, SENTINEL_TYPES.into_iter().collect());
    // Labs test about a tenth of the population per day; about 5 beds per 1000 residents.
    let tubes: u64 = of(FacilityKind::Lab).map(|f| u64::from(f.capacity)).sum();
    assert_eq!(tubes, 20_000);
    let beds: u64 = of(FacilityKind::Hospital)
        .map(|f| u64::from(f.beds_general + f.beds_icu + f.beds_isolation))
        .sum();
    // 1 000 apportioned, plus what the 20-bed floor of small hospitals adds.
    assert!((1_000..1_100).contains(&beds), "{beds} beds");
    assert!(
        of(FacilityKind::Hospital).all(|f| f.beds_general + f.beds_icu + f.beds_isolation >= 20)
    );
    assert!(of(FacilityKind::Hospital).any(|f| f.subtype == "designated" && f.beds_isolation > 0));
    // 3 to 6 quarantine sites per county (10 administrative counties), 50 to 300 rooms each.
    let sites = of(FacilityKind::QuarantineSite).count();
    assert!((30..=60).contains(&sites), "{sites} sites");
    let mut rooms: HashMap<i64, usize> = HashMap::new();
    for r in &plan.rooms {
        *rooms.entry(r.facility_id).or_default() += 1;
    }
    assert!(rooms.values().all(|n| (50..=300).contains(n)));
    assert_eq!(of(FacilityKind::Warehouse).count(), 11);
    // About one venue per 100 residents.
    let venues = of(FacilityKind::Venue).count();
    assert!((1_800..=2_400).contains(&venues), "{venues} venues");
    for f in &all {
        let coded = matches!(
            f.kind,
            FacilityKind::Workplace
                | FacilityKind::School
                | FacilityKind::Venue
                | FacilityKind::SamplingSite
                | FacilityKind::Lab
        );
        assert_eq!(f.place_code.is_some(), coded, "{}", f.name);
        assert!((113.2..=115.2).contains(&f.lon) && (32.3..=33.6).contains(&f.lat));
    }
}

#[test]
fn workers_and_pupils_are_assigned_nearby() {
    let (plan, chunks) = city_200k();
    let facility_township: HashMap<i64, &str> = plan
        .city_facilities
        .iter()
        .chain(chunks.iter().flat_map(|c| &c.facilities))
        .map(|f| (f.id, &f.community_code[..9]))
        .collect();
    let (mut workers, mut in_county, mut pupils, mut in_township) = (0, 0, 0, 0);
    let mut occupations: HashMap<Occupation, u32> = HashMap::new();
    for p in chunks.iter().flat_map(|c| &c.persons) {
        *occupations.entry(p.occupation).or_default() += 1;
        let age = age_on(p.national_id.birth_date(), today());
        if let Some(w) = p.workplace_id {
            assert!((18..=59).contains(&age));
            workers += 1;
            in_county += u32::from(facility_township[&w][..6] == p.community_code[..6]);
        }
        if let Some(s) = p.school_id {
            assert!((3..=17).contains(&age));
            assert_eq!(p.occupation, Occupation::Student);
            pupils += 1;
            in_township += u32::from(facility_township[&s] == &p.community_code[..9]);
        }
    }
    assert!(f64::from(in_county) / f64::from(workers) > 0.8);
    assert!(f64::from(in_township) / f64::from(pupils) > 0.7);
    for o in [
        Occupation::Medical,
        Occupation::ColdChain,
        Occupation::Delivery,
        Occupation::Teacher,
        Occupation::Retired,
        Occupation::Farmer,
    ] {
        assert!(
            occupations.get(&o).copied().unwrap_or(0) > 0,
            "no {}",
            o.as_str()
        );
    }
}

#[test]
fn tiny_cities_still_populate_every_township() {
    let plan = plan(&config(1_000, 3)).unwrap();
    let chunks = generate_city(&plan);
    assert_eq!(chunks.len(), 208);
    for chunk in &chunks {
        assert!(chunk.persons.len() >= 3, "{}", chunk.township_code);
        assert!(!chunk.households.is_empty());
    }
    let persons: usize = chunks.iter().map(|c| c.persons.len()).sum();
    assert_eq!(persons, 1_000);
    assert_eq!(
        crate::plan(&config(624, 1)).map(|p| p.person_count()),
        Ok(624),
        "3 residents in each of the 208 townships is the smallest city"
    );
}

#[test]
fn bad_configs_are_rejected() {
    let err = |cfg: CityConfig| plan(&cfg).unwrap_err().to_string();
    let mut cfg = config(10_000, 1);
    cfg.city_code = "4101".into();
    assert_eq!(err(cfg), "no reference data for city 4101");
    assert_eq!(
        err(config(623, 1)),
        "population 623 is below the minimum of 624 for this city"
    );
    assert_eq!(
        err(config(20_000_001, 1)),
        "population 20000001 exceeds the maximum of 20000000"
    );
    let cfg = CityConfig::zhumadian(10_000, 1, NaiveDate::from_ymd_opt(2000, 12, 31).unwrap());
    assert!(matches!(plan(&cfg), Err(SynthError::ReferenceDate(_))));
}

fn check(population: u64, seed: u64, expect: Expect) {
    let plan = plan(&config(population, seed)).unwrap();
    let chunk = generate_township(&plan, plan.township_index("411702009").unwrap());
    let mut out = format!(
        "persons {} households {} facilities {} rooms {}\n",
        plan.person_count(),
        plan.household_count(),
        plan.facility_count(),
        plan.rooms.len()
    );
    let h = &chunk.households[0];
    out += &format!("household {} size {} {}\n", h.id, h.size, h.address);
    for p in chunk.persons.iter().take(h.size as usize) {
        out += &format!(
            "  {} {} {} {} {:?} {:?}\n",
            p.name,
            p.national_id,
            p.phone.as_ref().map_or("-", |x| x.as_str()),
            p.occupation.as_str(),
            p.workplace_id,
            p.school_id
        );
    }
    for f in chunk.facilities.iter().take(3) {
        out += &format!(
            "facility {} {} {} {} {}\n",
            f.id,
            f.kind.as_str(),
            f.subtype,
            f.name,
            f.place_code.as_ref().map_or("-", |p| p.as_str())
        );
    }
    expect.assert_eq(&out);
}

#[test]
fn snapshot_of_a_small_city() {
    check(
        5_000,
        1,
        expect![[r#"
            persons 5000 households 1895 facilities 2572 rooms 8548
            household 109 size 3 驿城区顺河街道南关北社区1号楼1单元101室
              刘昊子 411702198210250177 18692096983 medical Some(220) None
              张秀 41170219740208018X 15765494798 cold_chain Some(224) None
              刘奕博 411702201102130172 18898060856 student None Some(217)
            facility 214 workplace manufacturing 驻马店金穗塑业有限公司 P4117020090010001
            facility 215 school kindergarten 顺河中心幼儿园 P4117020090010002
            facility 216 school primary 顺河中心小学 P4117020090010003
        "#]],
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn plans_are_exact_for_any_size_and_seed(population in 624u64..50_000, seed in any::<u64>()) {
        let plan = plan(&config(population, seed)).unwrap();
        prop_assert_eq!(plan.person_count(), population);
        prop_assert_eq!(plan.jurisdictions[1].total(), population);
        let mut next = (1i64, 1i64, plan.city_facilities.len() as i64 + 1);
        for t in &plan.townships {
            prop_assert!(t.population >= MIN_RESIDENTS_PER_TOWNSHIP);
            prop_assert_eq!((t.first_person_id, t.first_household_id, t.first_facility_id), next);
            let in_communities: u64 = t.communities.iter().map(|c| c.population).sum();
            prop_assert_eq!(in_communities, t.population);
            prop_assert!(t.communities.iter().all(|c| c.households >= 1 && c.households <= c.population));
            next.0 += t.population as i64;
            next.1 += t.households as i64;
            next.2 += t.facilities as i64;
        }
    }
}

#[test]
fn township_facilities_equal_the_generated_ones() {
    let (plan, chunks) = city_200k();
    for (i, chunk) in chunks.iter().enumerate().step_by(17) {
        assert_eq!(
            township_facilities(plan, i),
            chunk.facilities,
            "township {i}"
        );
    }
}
