//! A testing picture for the demo city, so every testing page and API answers with real
//! figures: key populations by occupation, a city-wide round held yesterday with most
//! residents sampled in 10-in-1 pools at their community's sampling site, the labs' results
//! with a few positive and inconclusive pools fanned out, single-tube retests of one positive
//! pool's members, and key-population samples spread so that some members are up to date,
//! some due today and some overdue.
//!
//! Everything goes through the same ingest as a lab's upload (`App::ingest_samples` and
//! `App::ingest_results` on CSV files, one per county), so the uploads list, the audit log and
//! the fan-out are those of real uploads. The picture is deterministic for a seed.

use std::collections::HashMap;
use std::fmt::Write as _;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use fangkong_synth::{CityPlan, FacilityKind, Occupation};

use crate::testing::schedules::{Frequency, KeyGroupInput};
use crate::{Actor, App, Result};

/// The meta key set when the testing picture is complete.
const META_TESTING: &str = "demo.testing";

/// Key populations: code, name, frequency, occupation.
const GROUPS: [(&str, &str, Frequency, Occupation); 5] = [
    ("MED", "医务人员", Frequency::Daily, Occupation::Medical),
    (
        "COLD",
        "冷链从业人员",
        Frequency::Daily,
        Occupation::ColdChain,
    ),
    (
        "DLV",
        "快递外卖人员",
        Frequency::EveryTwoDays,
        Occupation::Delivery,
    ),
    (
        "TRN",
        "交通运输人员",
        Frequency::EveryTwoDays,
        Occupation::Transport,
    ),
    ("EDU", "教职员工", Frequency::Weekly, Occupation::Teacher),
];

/// The round the demo holds.
pub const DEMO_ROUND: &str = "DEMO-1";

/// A deterministic 64-bit mix (splitmix64) of a value and the seed.
pub(super) fn mix(seed: u64, x: u64) -> u64 {
    let mut z = seed ^ x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn stamp(day: NaiveDate, minutes: i64) -> String {
    let t: NaiveDateTime =
        day.and_hms_opt(0, 0, 0).unwrap_or_default() + Duration::minutes(minutes);
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// One county's files.
#[derive(Default)]
struct Files {
    samples: String,
    results: String,
    retest_samples: String,
    retest_results: String,
}

impl Files {
    fn new() -> Files {
        Files {
            samples: "tube_id,id_number,site_code,collected_at,pool_size,round_code\n".into(),
            results: "tube_id,result,ct_orf1ab,ct_n,lab_code,tested_at,reported_at\n".into(),
            retest_samples: "tube_id,id_number,site_code,collected_at,pool_size\n".into(),
            retest_results: "tube_id,result,ct_orf1ab,ct_n,lab_code,tested_at,reported_at\n".into(),
        }
    }
}

/// Builds the files of the townships of one county.
fn county_files(plan: &CityPlan, townships: &[usize], labs: &[String], today: NaiveDate) -> Files {
    let seed = plan.config.seed;
    let yesterday = today - Duration::days(1);
    let three_days_ago = today - Duration::days(3);
    let key: Vec<Occupation> = GROUPS.iter().map(|g| g.3).collect();
    let mut f = Files::new();
    for &ti in townships {
        let chunk = fangkong_synth::generate_township(plan, ti);
        let mut sites: HashMap<&str, &str> = HashMap::new();
        let mut fallback = None;
        for s in chunk
            .facilities
            .iter()
            .filter(|s| s.kind == FacilityKind::SamplingSite)
        {
            if let Some(code) = &s.place_code {
                sites
                    .entry(s.community_code.as_str())
                    .or_insert(code.as_str());
                fallback.get_or_insert(code.as_str());
            }
        }
        let Some(fallback) = fallback else { continue };
        // Persons by community, in generator order; pools of 10 within a community.
        let mut by_community: Vec<(&str, Vec<&fangkong_synth::Person>)> = Vec::new();
        for p in &chunk.persons {
            match by_community.last_mut() {
                Some((c, list)) if *c == p.community_code => list.push(p),
                _ => by_community.push((p.community_code.as_str(), vec![p])),
            }
        }
        let mut tube = 0u64;
        let mut key_tube = 0u64;
        // Pools of this township so far: its first and second decide the odd outcomes.
        let mut township_pools = 0u64;
        for (community, persons) in by_community {
            let site = sites.get(community).copied().unwrap_or(fallback);
            // Coverage differs by community: 80 % to 98 %.
            let community_hash = mix(seed, community.parse::<u64>().unwrap_or(0));
            let coverage = 80 + community_hash % 19;
            let mut round: Vec<&fangkong_synth::Person> = Vec::new();
            let mut key_today: Vec<&fangkong_synth::Person> = Vec::new();
            let mut key_old: Vec<&fangkong_synth::Person> = Vec::new();
            for p in persons {
                let h = mix(seed, p.id as u64);
                let member = key.contains(&p.occupation);
                match (member, h % 100) {
                    // A tenth of the key population lapsed: last sampled three days ago.
                    (true, r) if r >= 90 => key_old.push(p),
                    (true, r) => {
                        if r < 70 {
                            key_today.push(p);
                        }
                        if (h >> 8) % 100 < coverage {
                            round.push(p);
                        }
                    }
                    (false, _) if (h >> 8) % 100 < coverage => round.push(p),
                    (false, _) => {}
                }
            }
            for (n, pool) in round.chunks(10).enumerate() {
                tube += 1;
                township_pools += 1;
                let code = format!("D1-{}-{tube:05}", chunk.township_code);
                let collected = 7 * 60 + (n as i64 * 3) % (11 * 60);
                for p in pool {
                    let _ = writeln!(
                        f.samples,
                        "{code},{},{site},{},{},{DEMO_ROUND}",
                        p.national_id,
                        stamp(yesterday, collected),
                        pool.len()
                    );
                }
                let lab = &labs[(mix(seed, tube ^ ti as u64) % labs.len() as u64) as usize];
                let tested = collected + 180 + (n as i64 * 7) % 240;
                let reported = tested + 30 + (n as i64 * 11) % 60;
                // Every 40th township's first pool is positive, every 55th's second is
                // inconclusive; the rest are negative.
                let (outcome, ct) = if township_pools == 1 && ti % 40 == 3 {
                    ("positive", "28.6,30.1")
                } else if township_pools == 2 && ti % 55 == 7 {
                    ("inconclusive", "37.2,")
                } else {
                    ("negative", ",")
                };
                let _ = writeln!(
                    f.results,
                    "{code},{outcome},{ct},{lab},{},{}",
                    stamp(yesterday, tested),
                    stamp(yesterday, reported)
                );
                if outcome == "positive" {
                    // The members were retested singly this morning; the first is positive.
                    for (m, p) in pool.iter().enumerate() {
                        let rt = format!("{code}-R{m}");
                        let _ = writeln!(
                            f.retest_samples,
                            "{rt},{},{site},{},1",
                            p.national_id,
                            stamp(today, 8 * 60)
                        );
                        let (o, ct) = if m == 0 {
                            ("positive", "26.3,27.9")
                        } else {
                            ("negative", ",")
                        };
                        let _ = writeln!(
                            f.retest_results,
                            "{rt},{o},{ct},{lab},{},{}",
                            stamp(today, 9 * 60),
                            stamp(today, 9 * 60 + 45)
                        );
                    }
                }
            }
            for (day, list, start) in [
                (today, key_today, 6 * 60 + 30),
                (three_days_ago, key_old, 9 * 60),
            ] {
                for pool in list.chunks(10) {
                    key_tube += 1;
                    let code = format!(
                        "K-{}-{}-{key_tube:05}",
                        day.format("%m%d"),
                        chunk.township_code
                    );
                    for p in pool {
                        let _ = writeln!(
                            f.samples,
                            "{code},{},{site},{},{},",
                            p.national_id,
                            stamp(day, start),
                            pool.len()
                        );
                    }
                    let lab = &labs[(mix(seed, key_tube) % labs.len() as u64) as usize];
                    let _ = writeln!(
                        f.results,
                        "{code},negative,,,{lab},{},{}",
                        stamp(day, start + 150),
                        stamp(day, start + 200)
                    );
                }
            }
        }
    }
    f
}

impl App {
    /// Seeds the testing picture of the demo city loaded with `config` (see the module
    /// documentation). Does nothing when it is already there; an interrupted seed runs again.
    ///
    /// # Errors
    /// `Invalid` for an unknown city; store failures.
    pub async fn seed_demo_testing(&self, config: &super::DemoConfig) -> Result<()> {
        let store = self.store();
        if store.meta().get(META_TESTING).await?.is_some() {
            return Ok(());
        }
        let plan = self.city_plan(config).await?;
        let actor = Actor::system("demo");
        let city = plan.config.city_code.clone();
        for (code, name, frequency, occupation) in GROUPS {
            if store.testing().key_group(code, "", ":").await.is_ok() {
                continue;
            }
            self.create_key_group(
                &actor,
                &KeyGroupInput {
                    code: code.into(),
                    name: name.into(),
                    jurisdiction_code: city.clone(),
                    frequency,
                    occupations: vec![occupation.as_str().into()],
                },
            )
            .await?;
        }
        let today = self.today();
        if store.testing().round(DEMO_ROUND).await.is_err() {
            self.create_round(
                &actor,
                DEMO_ROUND,
                "全员核酸检测（第1轮）",
                &city,
                (today - Duration::days(1), today),
                None,
            )
            .await?;
        }
        let labs: Vec<String> = plan
            .city_facilities
            .iter()
            .filter(|f| f.kind == FacilityKind::Lab)
            .filter_map(|f| f.place_code.as_ref().map(|c| c.as_str().to_string()))
            .collect();
        if labs.is_empty() {
            return Ok(());
        }
        // One set of files per county (townships of a county share its 6-digit prefix).
        let mut counties: Vec<(String, Vec<usize>)> = Vec::new();
        for (i, t) in plan.townships.iter().enumerate() {
            let county = t.code[..6].to_string();
            match counties.last_mut() {
                Some((c, list)) if *c == county => list.push(i),
                _ => counties.push((county, vec![i])),
            }
        }
        for (county, townships) in counties {
            let plan = plan.clone();
            let labs = labs.clone();
            let files =
                tokio::task::spawn_blocking(move || county_files(&plan, &townships, &labs, today))
                    .await
                    .map_err(|e| crate::Error::Conflict(format!("generator failed: {e}")))?;
            // Re-sending is a no-op, so an interrupted seed simply runs again.
            self.ingest_samples(
                &actor,
                &format!("{county}-采样.csv"),
                files.samples.as_bytes(),
            )
            .await?;
            self.ingest_results(
                &actor,
                &format!("{county}-检测结果.csv"),
                files.results.as_bytes(),
            )
            .await?;
            if files.retest_samples.lines().count() > 1 {
                self.ingest_samples(
                    &actor,
                    &format!("{county}-复检采样.csv"),
                    files.retest_samples.as_bytes(),
                )
                .await?;
                self.ingest_results(
                    &actor,
                    &format!("{county}-复检结果.csv"),
                    files.retest_results.as_bytes(),
                )
                .await?;
            }
        }
        store.testing().settle_retests().await?;
        store.meta().set(META_TESTING, "true").await?;
        Ok(())
    }
}
