//! What the headquarters reads off testing: round coverage by community, township and
//! county with the residents not yet sampled, lab turnaround percentiles and daily load
//! against capacity, pool-size advice per county from recent positivity, and the queue of
//! positive tubes with their fan-out.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use fangkong_domain::{JurisdictionCode, Permission};
use fangkong_epi::pooling::{estimate_prevalence, optimal_pool_size, PoolCounts};
use fangkong_store::persons::Person;
use fangkong_store::testing::{Batch, PositiveTube, Round, RoundWindow};

use super::overlap_bounds;
use super::schedules::{china_day, china_day_start_ms, CHINA_OFFSET_MS};
use crate::{Actor, App, Error, Result};

/// The level coverage is grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoverageLevel {
    County,
    Township,
    Community,
}

impl CoverageLevel {
    /// Digits of a code at this level (county 6, township 9, community 12).
    pub fn code_len(self) -> usize {
        match self {
            CoverageLevel::County => 6,
            CoverageLevel::Township => 9,
            CoverageLevel::Community => 12,
        }
    }

    /// Parses `county`, `township` or `community`.
    ///
    /// # Errors
    /// `Invalid` naming `level`.
    pub fn parse(s: &str) -> Result<CoverageLevel> {
        match s {
            "county" => Ok(CoverageLevel::County),
            "township" => Ok(CoverageLevel::Township),
            "community" => Ok(CoverageLevel::Community),
            _ => Err(Error::invalid(
                "level",
                "must be county, township or community",
            )),
        }
    }
}

/// Coverage of one area.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaCoverage {
    pub code: String,
    pub name: String,
    pub target: i64,
    pub sampled: i64,
    /// Centroid, for the map.
    pub lon: Option<f64>,
    pub lat: Option<f64>,
}

impl AreaCoverage {
    /// Share of the target sampled (0 without a target).
    pub fn share(&self) -> f64 {
        if self.target == 0 {
            0.0
        } else {
            self.sampled as f64 / self.target as f64
        }
    }
}

/// Coverage of a round inside the reader's jurisdiction.
#[derive(Debug, Clone)]
pub struct RoundCoverage {
    pub round: Round,
    pub level: CoverageLevel,
    pub areas: Vec<AreaCoverage>,
    pub target: i64,
    pub sampled: i64,
}

/// Turnaround percentiles in minutes (nearest rank).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Percentiles {
    pub tubes: u64,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

impl Percentiles {
    /// Percentiles of `minutes` by the nearest-rank method.
    pub fn of(mut minutes: Vec<f64>) -> Percentiles {
        minutes.sort_by(f64::total_cmp);
        let n = minutes.len();
        let rank = |q: f64| -> Option<f64> {
            if n == 0 {
                return None;
            }
            // Nearest rank: the smallest value with at least q of the data at or below it.
            let r = (q * n as f64).ceil().max(1.0) as usize;
            minutes.get(r.min(n) - 1).copied()
        };
        Percentiles {
            tubes: n as u64,
            p50: rank(0.50),
            p90: rank(0.90),
            p95: rank(0.95),
            p99: rank(0.99),
            max: minutes.last().copied(),
        }
    }
}

/// Turnaround (collection to first report) of one lab.
#[derive(Debug, Clone, PartialEq)]
pub struct LabTurnaround {
    pub lab_code: String,
    pub name: Option<String>,
    pub percentiles: Percentiles,
}

/// Turnaround over a round or a period.
#[derive(Debug, Clone, PartialEq)]
pub struct Turnaround {
    pub overall: Percentiles,
    pub by_lab: Vec<LabTurnaround>,
}

/// One lab's daily load against its capacity.
#[derive(Debug, Clone, PartialEq)]
pub struct LabLoad {
    pub code: String,
    /// `None` for a lab code that is not registered as a facility.
    pub name: Option<String>,
    pub community_code: Option<String>,
    /// Tubes a day.
    pub capacity: Option<i64>,
    /// Tubes tested per China Standard Time day, oldest first, for each day of the window.
    pub days: Vec<(NaiveDate, i64)>,
}

impl LabLoad {
    /// Tubes tested on the last day of the window over the capacity.
    pub fn utilization(&self) -> Option<f64> {
        let cap = self.capacity.filter(|c| *c > 0)?;
        let last = self.days.last().map_or(0, |d| d.1);
        Some(last as f64 / cap as f64)
    }
}

/// Pool-size advice for one county.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolAdvice {
    pub county_code: String,
    pub name: String,
    pub tubes: u64,
    pub positive_tubes: u64,
    /// Estimated prevalence (maximum likelihood from the pools).
    pub prevalence: f64,
    /// The prevalence the advice assumes: the estimate, or the rule-of-three upper bound
    /// `3 / people tested` when no pool was positive.
    pub assumed_prevalence: f64,
    pub optimal_pool_size: u32,
    pub tests_per_person: f64,
}

impl App {
    /// A round, if it overlaps the actor's jurisdiction.
    ///
    /// # Errors
    /// `Forbidden` without `testing.read`; `NotFound` otherwise.
    pub async fn round(&self, actor: &Actor, code: &str) -> Result<Round> {
        actor.require(Permission::TestingRead)?;
        let round = self.store().testing().round(code).await?;
        overlap_bounds(&actor.scope, &round.jurisdiction_code).ok_or(Error::NotFound)?;
        Ok(round)
    }

    fn round_window(round: &Round) -> Result<RoundWindow> {
        let day = |s: &str| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| Error::invalid("starts_on", "the stored round date is not a date"))
        };
        let from = day(&round.starts_on)?;
        let to = day(&round.ends_on)? + chrono::Duration::days(1);
        Ok(RoundWindow {
            round_id: round.id,
            key_group_id: round.key_group_id,
            from_ms: china_day_start_ms(from),
            to_ms: china_day_start_ms(to),
        })
    }

    /// Coverage of a round by area: the share of the target population (residents of the
    /// round's jurisdiction, or members of its key group) with a collection in the round's
    /// tubes or, untagged, within its dates.
    ///
    /// # Errors
    /// `Forbidden` without `testing.read`; `NotFound` for an unknown round.
    pub async fn round_coverage(
        &self,
        actor: &Actor,
        code: &str,
        level: CoverageLevel,
    ) -> Result<RoundCoverage> {
        let round = self.round(actor, code).await?;
        let bounds =
            overlap_bounds(&actor.scope, &round.jurisdiction_code).ok_or(Error::NotFound)?;
        let rows = self
            .store()
            .testing()
            .round_coverage(Self::round_window(&round)?, (&bounds.0, &bounds.1))
            .await?;
        let mut areas: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for r in &rows {
            let key: String = r.community_code.chars().take(level.code_len()).collect();
            let e = areas.entry(key).or_default();
            e.0 += r.target;
            e.1 += r.sampled;
        }
        let codes: Vec<&str> = areas.keys().map(String::as_str).collect();
        let found = self.store().jurisdictions().get_many(&codes).await?;
        let out: Vec<AreaCoverage> = areas
            .iter()
            .map(|(code, (target, sampled))| {
                let j = found.get(code);
                AreaCoverage {
                    name: j.map(|j| j.name.clone()).unwrap_or_default(),
                    lon: j.and_then(|j| j.lon),
                    lat: j.and_then(|j| j.lat),
                    code: code.clone(),
                    target: *target,
                    sampled: *sampled,
                }
            })
            .collect();
        Ok(RoundCoverage {
            target: out.iter().map(|a| a.target).sum(),
            sampled: out.iter().map(|a| a.sampled).sum(),
            round,
            level,
            areas: out,
        })
    }

    /// Residents in the round's target not yet sampled, inside the actor's jurisdiction and
    /// `within`, by community and household (personal data masked). The listing is audited.
    ///
    /// # Errors
    /// `Forbidden` without `testing.read` and `persons.read`; `NotFound` for an unknown round.
    pub async fn not_sampled(
        &self,
        actor: &Actor,
        code: &str,
        within: Option<&JurisdictionCode>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Person>> {
        actor.require(Permission::PersonsRead)?;
        let round = self.round(actor, code).await?;
        let mut bounds =
            overlap_bounds(&actor.scope, &round.jurisdiction_code).ok_or(Error::NotFound)?;
        if let Some(w) = within {
            let (wlo, whi) = w.subtree_bounds();
            bounds = (bounds.0.max(wlo), bounds.1.min(whi));
        }
        let persons = self
            .store()
            .testing()
            .not_sampled(
                Self::round_window(&round)?,
                (&bounds.0, &bounds.1),
                limit.clamp(1, 100_000),
                offset.max(0),
            )
            .await?;
        self.audit(
            actor,
            "testing.not_sampled_list",
            "round",
            Some(round.code.clone()),
            None,
            serde_json::json!({ "within": within.map(ToString::to_string), "listed": persons.len() }),
        )
        .await?;
        Ok(persons)
    }

    /// Lab turnaround (collection to first report) over a round, or over the tubes
    /// collected in the last `days` days.
    ///
    /// # Errors
    /// `Forbidden` without `testing.read`; `NotFound` for an unknown round.
    pub async fn turnaround(
        &self,
        actor: &Actor,
        round: Option<&str>,
        days: i64,
    ) -> Result<Turnaround> {
        actor.require(Permission::TestingRead)?;
        let round_id = match round {
            Some(code) => Some(self.round(actor, code).await?.id),
            None => None,
        };
        let now = self.now_ms();
        let from = now - days.clamp(1, 366) * 86_400_000;
        let rows = self
            .store()
            .testing()
            .turnaround(round_id, from, now)
            .await?;
        let labs = self.lab_names().await?;
        let mut by_lab: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        let mut all = Vec::with_capacity(rows.len());
        for r in rows {
            let minutes = (r.reported_at - r.collected_at) as f64 / 60_000.0;
            all.push(minutes);
            by_lab.entry(r.lab_code).or_default().push(minutes);
        }
        Ok(Turnaround {
            overall: Percentiles::of(all),
            by_lab: by_lab
                .into_iter()
                .map(|(lab_code, m)| LabTurnaround {
                    name: labs.get(&lab_code).map(|l| l.0.clone()),
                    lab_code,
                    percentiles: Percentiles::of(m),
                })
                .collect(),
        })
    }

    /// Registered labs: code to (name, community, capacity).
    async fn lab_names(&self) -> Result<BTreeMap<String, (String, String, i64)>> {
        let labs = self
            .store()
            .testing()
            .testing_facilities("lab", ("", ":"))
            .await?;
        Ok(labs
            .into_iter()
            .map(|l| (l.code, (l.name, l.community_code, l.capacity)))
            .collect())
    }

    /// Daily load of every lab over the last `days` China Standard Time days (today
    /// included) against its capacity: the registered labs of the actor's jurisdiction,
    /// and, for readers of the whole instance, lab codes that results name but no facility
    /// registers.
    ///
    /// # Errors
    /// `Forbidden` without `testing.read`.
    pub async fn lab_load(&self, actor: &Actor, days: i64) -> Result<Vec<LabLoad>> {
        actor.require(Permission::TestingRead)?;
        let days = days.clamp(1, 60);
        let today = self.today();
        let first = today - chrono::Duration::days(days - 1);
        let from = china_day_start_ms(first);
        let to = china_day_start_ms(today + chrono::Duration::days(1));
        let tested = self
            .store()
            .testing()
            .lab_days(from, to, CHINA_OFFSET_MS)
            .await?;
        let registered = self.lab_names().await?;
        let mut loads: BTreeMap<String, LabLoad> = BTreeMap::new();
        for (code, (name, community, capacity)) in &registered {
            if actor.scope.covers(community) {
                loads.insert(
                    code.clone(),
                    LabLoad {
                        code: code.clone(),
                        name: Some(name.clone()),
                        community_code: Some(community.clone()),
                        capacity: Some(*capacity),
                        days: Vec::new(),
                    },
                );
            }
        }
        let whole_instance = actor.scope.root.is_none();
        let mut counts: BTreeMap<(String, NaiveDate), i64> = BTreeMap::new();
        for t in tested {
            let day = china_day(t.day * 86_400_000);
            if !registered.contains_key(&t.lab_code) && whole_instance {
                loads.entry(t.lab_code.clone()).or_insert_with(|| LabLoad {
                    code: t.lab_code.clone(),
                    name: None,
                    community_code: None,
                    capacity: None,
                    days: Vec::new(),
                });
            }
            counts.insert((t.lab_code, day), t.tubes);
        }
        for load in loads.values_mut() {
            load.days = (0..days)
                .map(|i| {
                    let day = first + chrono::Duration::days(i);
                    (
                        day,
                        counts.get(&(load.code.clone(), day)).copied().unwrap_or(0),
                    )
                })
                .collect();
        }
        Ok(loads.into_values().collect())
    }

    /// Pool-size advice per county from the tubes collected in the last `days` days: the
    /// prevalence estimated from pooled results, and the two-stage (Dorfman) pool size with
    /// the fewest expected tests per person at that prevalence.
    ///
    /// # Errors
    /// `Forbidden` without `testing.read`; `Invalid` for a probability outside 0..1.
    pub async fn pool_advice(
        &self,
        actor: &Actor,
        days: i64,
        sensitivity: f64,
        specificity: f64,
    ) -> Result<Vec<PoolAdvice>> {
        actor.require(Permission::TestingRead)?;
        let since = self.now_ms() - days.clamp(1, 60) * 86_400_000;
        let rows = self.store().testing().pool_outcomes(since).await?;
        let mut counties: BTreeMap<String, Vec<PoolCounts>> = BTreeMap::new();
        for r in rows {
            if r.county_code.is_empty() || overlap_bounds(&actor.scope, &r.county_code).is_none() {
                continue;
            }
            counties.entry(r.county_code).or_default().push(PoolCounts {
                pool_size: u32::try_from(r.pool_size).unwrap_or(1),
                pools: u64::try_from(r.tubes).unwrap_or(0),
                positive: u64::try_from(r.positive).unwrap_or(0),
            });
        }
        let names = self
            .jurisdiction_names(counties.keys().map(String::as_str))
            .await?;
        let mut out = Vec::with_capacity(counties.len());
        for (county, counts) in counties {
            let prevalence = estimate_prevalence(&counts).unwrap_or(0.0);
            let people: u64 = counts
                .iter()
                .map(|c| c.pools * u64::from(c.pool_size))
                .sum();
            let assumed = if prevalence > 0.0 {
                prevalence
            } else {
                (3.0 / people.max(1) as f64).min(1.0)
            };
            let (k, e) = optimal_pool_size(
                assumed,
                sensitivity,
                specificity,
                fangkong_epi::pooling::DEFAULT_MAX_POOL_SIZE,
            )
            .map_err(|e| Error::invalid("sensitivity", e.to_string()))?;
            out.push(PoolAdvice {
                name: names.get(&county).cloned().unwrap_or_default(),
                county_code: county,
                tubes: counts.iter().map(|c| c.pools).sum(),
                positive_tubes: counts.iter().map(|c| c.positive).sum(),
                prevalence,
                assumed_prevalence: assumed,
                optimal_pool_size: k,
                tests_per_person: e,
            });
        }
        Ok(out)
    }

    /// Positive and inconclusive tubes with a member in the actor's jurisdiction, latest
    /// first, with their fan-out (retests open and done, suspected cases).
    ///
    /// # Errors
    /// `Forbidden` without `testing.read`.
    pub async fn positives(&self, actor: &Actor, limit: i64) -> Result<Vec<PositiveTube>> {
        actor.require(Permission::TestingRead)?;
        let (lo, hi) = actor.scope.code_bounds();
        Ok(self
            .store()
            .testing()
            .positives((&lo, &hi), limit.clamp(1, 5_000))
            .await?)
    }

    /// The latest accepted uploads of samples and results, with their fan-out times.
    ///
    /// # Errors
    /// `Forbidden` without `testing.read`.
    pub async fn testing_batches(&self, actor: &Actor, limit: i64) -> Result<Vec<Batch>> {
        actor.require(Permission::TestingRead)?;
        Ok(self
            .store()
            .testing()
            .batches(None, limit.clamp(1, 1_000))
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let p = Percentiles::of((1..=20).map(f64::from).rev().collect());
        assert_eq!(p.tubes, 20);
        assert_eq!(p.p50, Some(10.0));
        assert_eq!(p.p90, Some(18.0));
        assert_eq!(p.p95, Some(19.0));
        assert_eq!(p.p99, Some(20.0));
        assert_eq!(Percentiles::of(vec![]).p50, None);
        assert_eq!(Percentiles::of(vec![7.0]).p99, Some(7.0));
    }
}
