//! Sentinel surveillance and early warning (哨点监测预警): the registry of sentinels and
//! their indicators, daily reports (form, API, file), reports missing at their deadline, the
//! daily aberration run, alerts with their triage workflow and timeliness, and what each
//! user is notified of.
//!
//! The daily run ([`App::run_sentinel_aberration`]) watches every series of the instance:
//! each sentinel × indicator, and the sum of each type × indicator over the sentinels of
//! every township, county and the city. Each series is judged on the run's day by the method
//! its length allows ([`detector_for`]): the improved Farrington method (Noufaily et al.
//! 2013, one year of history, since daily series rarely have the five years of the weekly
//! default) when the series holds more than a year, else EARS C2 (Hutwagner et al. 2003)
//! with a standard deviation of at least 1 (Burkom's advice for sparse counts, cited by
//! `surveillance::earsC`), which needs 10 days. Alarms on the same type, indicator and day
//! are grouped across levels ([`group_signals`]): a higher level that alarms together with a
//! more local one inside it is listed on the local one's alert, not alerted again. A series
//! alarming again while its alert is open extends it; the next alert after
//! [`sentinel::NOVELTY_DAYS`] quiet days is novel, which doubles its rank.
//!
//! Nothing here reads personal data: reports are counts, alerts are about places.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Duration, NaiveDate};
use fangkong_domain::sentinel::{self, latest_due_day, report_due_at};
use fangkong_domain::{
    AlertStatus, Indicator, JurisdictionCode, Permission, Scope, SentinelType, SeriesLevel,
};
use fangkong_epi::aberration::{Detector, EarsParams, EarsVariant, Evaluation, FarringtonParams};
use fangkong_epi::{Frequency, Series};
use fangkong_ingest::sentinel::{parse_count, parse_day, parse_indicator};
use fangkong_ingest::{FileErrors, RowError};
use fangkong_store::sentinel::{
    Alert, AlertEvent, AlertFilter, NewReport, NewSignal, Report, Sentinel, Subscription,
};
use serde_json::json;

use crate::jurisdictions::{ImportOutcome, MAX_LIST};
use crate::{Actor, App, Error, Result};

/// Days of reports read by the daily run: a year and a month, enough for Farrington's
/// reference windows a year back.
pub const HISTORY_DAYS: i64 = 400;
/// The shortest series (days up to and including the judged day) that EARS C2 can judge: a
/// baseline of 7 days and a lag of 2.
pub const EARS_MIN_DAYS: usize = 10;
/// The shortest series judged by Farrington: a year of history and its reference window.
pub const FARRINGTON_MIN_DAYS: usize = 365 + 3 + 1;
/// Lower bound of the standard deviation of EARS C2.
pub const EARS_MIN_SIGMA: f64 = 1.0;
/// Days of reports kept for the sparkline of a sentinel.
pub const HISTORY_SPARK_DAYS: i64 = 60;

const MS_PER_HOUR: f64 = 3_600_000.0;

/// How a report arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportSource {
    Form,
    Api,
    File,
    Demo,
}

impl ReportSource {
    /// The stored key.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportSource::Form => "form",
            ReportSource::Api => "api",
            ReportSource::File => "file",
            ReportSource::Demo => "demo",
        }
    }
}

/// One daily count as entered in a form or sent as JSON.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportInput {
    pub sentinel_id: i64,
    /// `YYYY-MM-DD`.
    pub day: String,
    /// An indicator key (or its Chinese name).
    pub indicator: String,
    pub count: i64,
}

/// A sentinel with its reporting state.
#[derive(Debug, Clone, PartialEq)]
pub struct SentinelStatus {
    pub sentinel: Sentinel,
    /// The latest day whose report is due by now.
    pub due_day: NaiveDate,
    /// When that report was due (Unix ms).
    pub due_at: i64,
    /// The last day it reported, if ever.
    pub last_day: Option<String>,
    /// Whether the report of `due_day` is missing.
    pub missing: bool,
}

/// A count as read: row (0-based index or file line), sentinel id, and the day, indicator
/// and count or why each could not be read.
type RawReport = (
    u64,
    i64,
    Result<NaiveDate, String>,
    Result<Indicator, String>,
    Result<u32, String>,
);

/// A validated count ready to store.
#[derive(Debug, Clone)]
struct CheckedReport {
    sentinel_id: i64,
    community_code: String,
    day: String,
    indicator: Indicator,
    count: u32,
}

/// One alarm of the run on one series.
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    pub level: SeriesLevel,
    /// The sentinel's community, or the aggregate's jurisdiction.
    pub code: String,
    pub sentinel_id: Option<i64>,
    pub sentinel_type: SentinelType,
    pub indicator: Indicator,
    pub observed: u32,
    pub threshold: f64,
    pub expected: Option<f64>,
    pub method: &'static str,
}

impl Signal {
    /// `observed / threshold` (see [`sentinel::strength`]).
    pub fn strength(&self) -> f64 {
        sentinel::strength(self.observed, self.threshold)
    }

    /// The series key: `s:<sentinel id>` or `j:<jurisdiction code>`.
    pub fn series_key(&self) -> String {
        match self.sentinel_id {
            Some(id) => format!("s:{id}"),
            None => format!("j:{}", self.code),
        }
    }
}

/// Signals of one type, indicator and day merged across levels: the most local one and
/// every level that alarmed with it.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalGroup {
    pub primary: Signal,
    /// Most local first, the primary's level included.
    pub levels: Vec<SeriesLevel>,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunOutcome {
    pub day: Option<NaiveDate>,
    /// Series read (sentinel × indicator and aggregates).
    pub series: u64,
    /// Series judged on the day, by method.
    pub evaluated: BTreeMap<&'static str, u64>,
    /// Alarms before grouping across levels.
    pub alarms: u64,
    /// Alerts after grouping.
    pub signals: u64,
    pub created: Vec<i64>,
    pub extended: u64,
    pub unchanged: u64,
}

/// An alert with its history and timeliness.
#[derive(Debug, Clone)]
pub struct AlertDetail {
    pub alert: Alert,
    pub events: Vec<AlertEvent>,
}

/// Hours from the run's signal to the start of verification, if started.
pub fn hours_to_verifying(a: &Alert) -> Option<f64> {
    a.verifying_at
        .map(|t| (t - a.signal_at) as f64 / MS_PER_HOUR)
}

/// Hours from the run's signal to the verdict (confirmed or dismissed): the "early
/// detection, early report" timeliness of the four earlies.
pub fn hours_to_verification(a: &Alert) -> Option<f64> {
    a.closed_at.map(|t| (t - a.signal_at) as f64 / MS_PER_HOUR)
}

/// A list of alerts and how many new ones the user is notified of.
#[derive(Debug, Clone, Default)]
pub struct AlertList {
    pub alerts: Vec<Alert>,
    /// New alerts that match the user's subscription (all new alerts without one).
    pub notifications: u64,
}

/// Filters of the alert list.
#[derive(Debug, Clone, Default)]
pub struct AlertQuery {
    pub status: Option<String>,
    pub sentinel_type: Option<String>,
    pub sentinel_id: Option<i64>,
    /// Only alerts with a signal on or after this day (`YYYY-MM-DD`).
    pub since: Option<String>,
    /// Only alerts matching the user's subscription.
    pub subscribed: bool,
    pub limit: Option<i64>,
}

/// Timeliness of verification over closed alerts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertTimeliness {
    pub open: u64,
    pub closed: u64,
    pub confirmed: u64,
    pub median_hours: Option<f64>,
    pub mean_hours: Option<f64>,
    /// Closed alerts verified within 24 hours of the signal.
    pub within_24h: u64,
}

/// What a user is notified of. Empty `types` or `indicators` mean all.
#[derive(Debug, Clone, PartialEq)]
pub struct SubscriptionInput {
    pub types: Vec<String>,
    pub indicators: Vec<String>,
    /// An alert is shown when one of its levels is at least this broad.
    pub min_level: String,
    pub min_strength: f64,
}

impl Default for SubscriptionInput {
    fn default() -> Self {
        SubscriptionInput {
            types: Vec::new(),
            indicators: Vec::new(),
            min_level: SeriesLevel::Sentinel.as_str().to_string(),
            min_strength: 0.0,
        }
    }
}

impl SubscriptionInput {
    /// Whether `alert` is one the user is notified of.
    pub fn matches(&self, alert: &Alert) -> bool {
        let min_level = SeriesLevel::parse(&self.min_level).unwrap_or(SeriesLevel::Sentinel);
        (self.types.is_empty() || self.types.contains(&alert.sentinel_type))
            && (self.indicators.is_empty() || self.indicators.contains(&alert.indicator))
            && alert
                .level_keys()
                .iter()
                .filter_map(|l| SeriesLevel::parse(l))
                .any(|l| l >= min_level)
            && alert.strength >= self.min_strength
    }

    fn from_stored(s: &Subscription) -> SubscriptionInput {
        let list = |t: &str| -> Vec<String> {
            t.split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        };
        SubscriptionInput {
            types: list(&s.types),
            indicators: list(&s.indicators),
            min_level: s.min_level.clone(),
            min_strength: s.min_strength,
        }
    }
}

/// The detector a series of `len` days (the judged day last) gets, with its name; `None`
/// when too short for any.
pub fn detector_for(len: usize) -> Option<(Detector, &'static str)> {
    if len >= FARRINGTON_MIN_DAYS {
        let params = FarringtonParams {
            b: 1,
            ..FarringtonParams::noufaily()
        };
        Some((Detector::Farrington(params), "farrington"))
    } else if len >= EARS_MIN_DAYS {
        Some((ears_c2(), "ears-c2"))
    } else {
        None
    }
}

fn ears_c2() -> Detector {
    Detector::Ears(EarsParams {
        min_sigma: EARS_MIN_SIGMA,
        ..EarsParams::new(EarsVariant::C2)
    })
}

/// Judges the last point of `series` with the method its length allows: `Some((evaluation,
/// method))` when a method gave a threshold for it. Farrington falls back to EARS C2 when it
/// cannot fit the point (too few cases, a singular model).
pub fn judge_last(series: &Series) -> Option<(Evaluation, &'static str)> {
    let (detector, name) = detector_for(series.len())?;
    let last = |d: &Detector| -> Option<Evaluation> {
        d.evaluate(series)
            .ok()?
            .pop()
            .filter(|e| e.index + 1 == series.len() && e.threshold.is_some())
    };
    match last(&detector) {
        Some(e) => Some((e, name)),
        None if name == "farrington" => last(&ears_c2()).map(|e| (e, "ears-c2")),
        None => None,
    }
}

/// Groups the signals of one day across levels. For each type and indicator, signals are
/// taken from the most local level up (the strongest first within a level); a signal whose
/// jurisdiction contains a group's primary (a township containing an alarming pharmacy's
/// community) joins the strongest such group as one of its levels; any other signal starts a
/// group of its own. The result is ranked by the primary's strength, strongest first.
pub fn group_signals(mut signals: Vec<Signal>) -> Vec<SignalGroup> {
    signals.sort_by(|a, b| {
        (a.sentinel_type, a.indicator, a.level)
            .cmp(&(b.sentinel_type, b.indicator, b.level))
            .then(b.strength().total_cmp(&a.strength()))
            .then(a.code.cmp(&b.code))
            .then(a.sentinel_id.cmp(&b.sentinel_id))
    });
    let mut groups: Vec<SignalGroup> = Vec::new();
    let mut start = 0;
    for s in signals {
        // Groups of another type or indicator are never joined: they come before `start`.
        if groups.get(start).is_some_and(|g| {
            (g.primary.sentinel_type, g.primary.indicator) != (s.sentinel_type, s.indicator)
        }) {
            start = groups.len();
        }
        let host = groups[start..]
            .iter_mut()
            .filter(|g| {
                g.primary.level < s.level
                    && g.primary.code.starts_with(&s.code)
                    && !g.levels.contains(&s.level)
            })
            .max_by(|a, b| {
                a.primary
                    .strength()
                    .total_cmp(&b.primary.strength())
                    .then(b.primary.code.cmp(&a.primary.code))
            });
        match host {
            Some(g) => g.levels.push(s.level),
            None => groups.push(SignalGroup {
                levels: vec![s.level],
                primary: s,
            }),
        }
    }
    groups.sort_by(|a, b| {
        b.primary
            .strength()
            .total_cmp(&a.primary.strength())
            .then(a.primary.series_key().cmp(&b.primary.series_key()))
    });
    groups
}

/// A series: level, code (community or jurisdiction), sentinel id, type, indicator.
pub type SeriesId = (SeriesLevel, String, Option<i64>, SentinelType, Indicator);

/// The series of the run: per sentinel × indicator and per aggregate, the counts by day
/// index (0 = the first day read). Pure, so the aggregation is tested without a store.
#[derive(Debug, Default)]
pub struct SeriesSet {
    /// (level, code, sentinel id, type, indicator) → counts by day index.
    pub series: BTreeMap<SeriesId, Vec<Option<u32>>>,
}

impl SeriesSet {
    /// Builds every series from `(sentinel id, type, community, indicator, day index,
    /// count)` points over `days` days; points of unknown types or indicators are ignored.
    pub fn build<'a>(
        days: usize,
        points: impl IntoIterator<Item = (i64, &'a str, &'a str, &'a str, usize, u32)>,
    ) -> SeriesSet {
        let mut set = SeriesSet::default();
        for (sentinel_id, t, community, ind, day, count) in points {
            let (Some(t), Some(ind)) = (SentinelType::parse(t), Indicator::parse(ind)) else {
                continue;
            };
            if day >= days {
                continue;
            }
            let mut add = |level: SeriesLevel, code: &str, id: Option<i64>| {
                let v = set
                    .series
                    .entry((level, code.to_string(), id, t, ind))
                    .or_insert_with(|| vec![None; days]);
                v[day] = Some(v[day].unwrap_or(0).saturating_add(count));
            };
            add(SeriesLevel::Sentinel, community, Some(sentinel_id));
            for level in [
                SeriesLevel::Township,
                SeriesLevel::County,
                SeriesLevel::City,
            ] {
                if let Some(code) = level.code_len().and_then(|n| community.get(..n)) {
                    add(level, code, None);
                }
            }
        }
        set
    }
}

fn day_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

impl App {
    /// The reporting deadline of every type, in minutes after the end of the day: the stored
    /// setting, else the domain's default.
    ///
    /// # Errors
    /// Store failure.
    pub async fn sentinel_deadlines(&self) -> Result<BTreeMap<SentinelType, u32>> {
        let mut out: BTreeMap<SentinelType, u32> = SentinelType::ALL
            .iter()
            .map(|t| (*t, t.default_deadline_minutes()))
            .collect();
        for (t, minutes) in self.store().sentinels().deadlines().await? {
            if let (Some(t), Ok(m)) = (SentinelType::parse(&t), u32::try_from(minutes)) {
                out.insert(t, m);
            }
        }
        Ok(out)
    }

    /// Sets the reporting deadline of a type. Audited.
    ///
    /// # Errors
    /// `Forbidden` without `sentinel.manage`; `Invalid` for an unknown type or a deadline
    /// beyond two days.
    pub async fn set_sentinel_deadline(
        &self,
        actor: &Actor,
        sentinel_type: &str,
        minutes: i64,
    ) -> Result<()> {
        actor.require(Permission::SentinelManage)?;
        let t = SentinelType::parse(sentinel_type).ok_or_else(|| {
            Error::invalid(
                "sentinel_type",
                format!("unknown type; expected one of {}", SentinelType::keys()),
            )
        })?;
        if !(0..=i64::from(sentinel::MAX_DEADLINE_MINUTES)).contains(&minutes) {
            return Err(Error::invalid(
                "deadline_minutes",
                format!(
                    "must be from 0 to {} minutes after the end of the day",
                    sentinel::MAX_DEADLINE_MINUTES
                ),
            ));
        }
        self.store()
            .sentinels()
            .set_deadline(t.as_str(), minutes, self.now_ms(), &actor.label())
            .await?;
        self.audit(
            actor,
            "sentinel.deadline.set",
            "sentinel_type",
            Some(t.as_str().to_string()),
            None,
            json!({ "deadline_minutes": minutes }),
        )
        .await?;
        Ok(())
    }

    /// The sentinels inside the actor's jurisdiction (and `within`, and of a type), each with
    /// its due day, last report and whether the due report is missing.
    ///
    /// # Errors
    /// `Forbidden` without `sentinel.read`; `Invalid` for a bad `within` or type.
    pub async fn sentinels(
        &self,
        actor: &Actor,
        within: Option<&str>,
        sentinel_type: Option<&str>,
    ) -> Result<Vec<SentinelStatus>> {
        actor.require(Permission::SentinelRead)?;
        let within = within
            .map(|w| {
                JurisdictionCode::parse(w).map_err(|e| Error::invalid("within", e.to_string()))
            })
            .transpose()?;
        if let Some(t) = sentinel_type {
            if SentinelType::parse(t).is_none() {
                return Err(Error::invalid(
                    "sentinel_type",
                    format!("unknown type; expected one of {}", SentinelType::keys()),
                ));
            }
        }
        let list = self
            .store()
            .sentinels()
            .list(&actor.scope, within.as_ref(), sentinel_type)
            .await?;
        self.with_status(&actor.scope, list).await
    }

    async fn with_status(&self, scope: &Scope, list: Vec<Sentinel>) -> Result<Vec<SentinelStatus>> {
        let deadlines = self.sentinel_deadlines().await?;
        let now = self.now_ms();
        let earliest = deadlines
            .values()
            .map(|m| latest_due_day(now, *m))
            .min()
            .unwrap_or_else(|| self.today());
        let reported: HashSet<(i64, String)> = self
            .store()
            .sentinels()
            .reported_days(scope, &day_text(earliest))
            .await?
            .into_iter()
            .collect();
        let last: HashMap<i64, String> = self
            .store()
            .sentinels()
            .last_report_days(scope)
            .await?
            .into_iter()
            .collect();
        Ok(list
            .into_iter()
            .map(|s| {
                let minutes = SentinelType::parse(&s.sentinel_type)
                    .and_then(|t| deadlines.get(&t).copied())
                    .unwrap_or(10 * 60);
                let due_day = latest_due_day(now, minutes);
                let missing = !reported.contains(&(s.id, day_text(due_day)));
                SentinelStatus {
                    due_at: report_due_at(due_day, minutes),
                    last_day: last.get(&s.id).cloned(),
                    due_day,
                    missing,
                    sentinel: s,
                }
            })
            .collect())
    }

    /// The sentinels a reporter may report for (those inside the actor's jurisdiction), with
    /// their reporting state: the report form's choices.
    ///
    /// # Errors
    /// `Forbidden` without `sentinel.report`.
    pub async fn reportable_sentinels(&self, actor: &Actor) -> Result<Vec<SentinelStatus>> {
        actor.require(Permission::SentinelReport)?;
        let list = self
            .store()
            .sentinels()
            .list(&actor.scope, None, None)
            .await?;
        self.with_status(&actor.scope, list).await
    }

    /// One sentinel with its reporting state.
    ///
    /// # Errors
    /// `Forbidden` without `sentinel.read`; `NotFound` when absent or outside the actor's
    /// jurisdiction.
    pub async fn sentinel(&self, actor: &Actor, id: i64) -> Result<SentinelStatus> {
        actor.require(Permission::SentinelRead)?;
        let s = self.store().sentinels().get(&actor.scope, id).await?;
        self.with_status(&actor.scope, vec![s])
            .await?
            .pop()
            .ok_or(Error::NotFound)
    }

    /// The sentinels whose report is missing at its deadline, most overdue first.
    ///
    /// # Errors
    /// As [`App::sentinels`].
    pub async fn missing_sentinel_reports(
        &self,
        actor: &Actor,
        within: Option<&str>,
    ) -> Result<Vec<SentinelStatus>> {
        actor.require(Permission::SentinelRead)?;
        let mut list: Vec<SentinelStatus> = self
            .sentinels(actor, within, None)
            .await?
            .into_iter()
            .filter(|s| s.missing)
            .collect();
        list.sort_by(|a, b| {
            (a.due_at, &a.sentinel.community_code, a.sentinel.id).cmp(&(
                b.due_at,
                &b.sentinel.community_code,
                b.sentinel.id,
            ))
        });
        Ok(list)
    }

    /// The daily reports of one sentinel over the last `days` days up to today.
    ///
    /// # Errors
    /// `Forbidden` without `sentinel.read`; `NotFound` when the sentinel is absent or outside
    /// the actor's jurisdiction.
    pub async fn sentinel_reports(
        &self,
        actor: &Actor,
        sentinel_id: i64,
        days: i64,
    ) -> Result<Vec<Report>> {
        actor.require(Permission::SentinelRead)?;
        self.store()
            .sentinels()
            .get(&actor.scope, sentinel_id)
            .await?;
        let today = self.today();
        let from = today - Duration::days(days.clamp(1, HISTORY_DAYS) - 1);
        Ok(self
            .store()
            .sentinels()
            .reports(
                &actor.scope,
                Some(sentinel_id),
                &day_text(from),
                &day_text(today),
                MAX_LIST * 10,
            )
            .await?)
    }

    /// Checks daily counts: the sentinel exists in the actor's jurisdiction and reports the
    /// indicator, the day is not in the future and not older than [`HISTORY_DAYS`], the
    /// count is a whole number. Errors name the row by `label(index)` and the field.
    async fn check_reports(
        &self,
        actor: &Actor,
        rows: &[RawReport],
    ) -> Result<(Vec<CheckedReport>, Vec<RowError>)> {
        let today = self.today();
        let oldest = today - Duration::days(HISTORY_DAYS);
        let mut sentinels: HashMap<i64, Option<Sentinel>> = HashMap::new();
        let mut errors = Vec::new();
        let mut out = Vec::with_capacity(rows.len());
        let mut seen: HashMap<(i64, NaiveDate, Indicator), u64> = HashMap::new();
        for (line, sentinel_id, day, indicator, count) in rows {
            let line = *line;
            let sentinel = match sentinels.get(sentinel_id) {
                Some(s) => s.clone(),
                None => {
                    let found = match self
                        .store()
                        .sentinels()
                        .get(&actor.scope, *sentinel_id)
                        .await
                    {
                        Ok(s) => Some(s),
                        Err(fangkong_store::StoreError::NotFound) => None,
                        Err(e) => return Err(e.into()),
                    };
                    sentinels.insert(*sentinel_id, found.clone());
                    found
                }
            };
            if sentinel.is_none() {
                errors.push(RowError::new(
                    line,
                    "sentinel_id",
                    "no sentinel has this id in your jurisdiction",
                ));
            }
            let day = match day {
                Ok(d) if *d > today => {
                    errors.push(RowError::new(line, "day", "is in the future"));
                    None
                }
                Ok(d) if *d < oldest => {
                    errors.push(RowError::new(
                        line,
                        "day",
                        format!("is more than {HISTORY_DAYS} days ago"),
                    ));
                    None
                }
                Ok(d) => Some(*d),
                Err(e) => {
                    errors.push(RowError::new(line, "day", e.clone()));
                    None
                }
            };
            let indicator = match indicator {
                Ok(i) => Some(*i),
                Err(e) => {
                    errors.push(RowError::new(line, "indicator", e.clone()));
                    None
                }
            };
            let count = match count {
                Ok(c) => Some(*c),
                Err(e) => {
                    errors.push(RowError::new(line, "count", e.clone()));
                    None
                }
            };
            if let (Some(s), Some(i)) = (&sentinel, indicator) {
                let t = SentinelType::parse(&s.sentinel_type);
                if !t.is_some_and(|t| t.reports(i)) {
                    let expected = t.map_or_else(String::new, |t| {
                        t.indicators()
                            .iter()
                            .map(|i| i.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    });
                    errors.push(RowError::new(
                        line,
                        "indicator",
                        format!("this sentinel does not report it; it reports {expected}"),
                    ));
                    continue;
                }
            }
            if let (Some(s), Some(day), Some(indicator), Some(count)) =
                (sentinel, day, indicator, count)
            {
                if let Some(first) = seen.insert((s.id, day, indicator), line) {
                    errors.push(RowError::new(
                        line,
                        "indicator",
                        format!(
                            "repeats the count of {} for the same sentinel and day",
                            row_name(first)
                        ),
                    ));
                    continue;
                }
                out.push(CheckedReport {
                    sentinel_id: s.id,
                    community_code: s.community_code,
                    day: day_text(day),
                    indicator,
                    count,
                });
            }
        }
        Ok((out, errors))
    }

    async fn store_reports(
        &self,
        actor: &Actor,
        source: ReportSource,
        checked: &[CheckedReport],
        file: Option<&str>,
    ) -> Result<ImportOutcome> {
        let now = self.now_ms();
        let by = actor.label();
        let rows: Vec<NewReport<'_>> = checked
            .iter()
            .map(|r| NewReport {
                sentinel_id: r.sentinel_id,
                community_code: &r.community_code,
                day: &r.day,
                indicator: r.indicator.as_str(),
                count: i64::from(r.count),
                source: source.as_str(),
                reported_at: now,
                reported_by: &by,
            })
            .collect();
        let counts = self.store().sentinels().upsert_reports(&rows).await?;
        let sentinels: HashSet<i64> = checked.iter().map(|r| r.sentinel_id).collect();
        self.audit(
            actor,
            "sentinel.reports.submit",
            "sentinel_reports",
            None,
            None,
            json!({
                "source": source.as_str(), "file": file, "rows": checked.len(),
                "sentinels": sentinels.len(), "created": counts.created,
                "updated": counts.updated, "unchanged": counts.unchanged,
            }),
        )
        .await?;
        Ok(ImportOutcome {
            rows: checked.len() as u64,
            created: counts.created,
            updated: counts.updated,
            unchanged: counts.unchanged,
        })
    }

    /// Stores daily counts sent by a form or as JSON, all or none. The same sentinel, day and
    /// indicator again with the same count changes nothing; with another count it replaces
    /// the stored one (a correction, counted as updated). Audited with the counts.
    ///
    /// # Errors
    /// `Forbidden` without `sentinel.report`; `Invalid` naming every bad value as
    /// `reports[i].field` (0-based row): an unknown sentinel or one outside the actor's
    /// jurisdiction, an indicator the sentinel's type does not report, a day in the future or
    /// more than [`HISTORY_DAYS`] ago, a negative count, a key given twice.
    pub async fn submit_sentinel_reports(
        &self,
        actor: &Actor,
        source: ReportSource,
        reports: &[ReportInput],
    ) -> Result<ImportOutcome> {
        actor.require(Permission::SentinelReport)?;
        if reports.is_empty() {
            return Err(Error::invalid("reports", "send at least one count"));
        }
        if reports.len() as i64 > MAX_LIST * 20 {
            return Err(Error::invalid(
                "reports",
                format!("at most {} counts in one batch", MAX_LIST * 20),
            ));
        }
        let rows: Vec<_> = reports
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let count = u32::try_from(r.count)
                    .map_err(|_| "expected a whole number of at least 0".to_string())
                    .and_then(|c| parse_count(&c.to_string()));
                (
                    i as u64,
                    r.sentinel_id,
                    parse_day(&r.day),
                    parse_indicator(&r.indicator),
                    count,
                )
            })
            .collect();
        let (checked, errors) = self.check_reports(actor, &rows).await?;
        if !errors.is_empty() {
            return Err(Error::Invalid(
                errors
                    .into_iter()
                    .map(|e| (format!("{}.{}", row_name(e.line), e.field), e.reason))
                    .collect(),
            ));
        }
        self.store_reports(actor, source, &checked, None).await
    }

    /// Imports a report file (CSV or XLSX: `sentinel_id`, `day`, `indicator`, `count`), all
    /// rows or none, with the rules of [`App::submit_sentinel_reports`]; re-running the same
    /// file changes nothing.
    ///
    /// # Errors
    /// `Forbidden` without `sentinel.report`; `Import` naming the file, line and field of
    /// every bad value.
    pub async fn import_sentinel_reports(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<ImportOutcome> {
        actor.require(Permission::SentinelReport)?;
        let records = fangkong_ingest::sentinel::parse_sentinel_reports(file_name, bytes)?;
        let rows: Vec<_> = records
            .iter()
            .map(|r| {
                (
                    r.line,
                    r.sentinel_id,
                    Ok(r.day),
                    Ok(r.indicator),
                    Ok(r.count),
                )
            })
            .collect();
        let (checked, errors) = self.check_reports(actor, &rows).await?;
        if !errors.is_empty() {
            return Err(Error::Import(FileErrors {
                file: file_name.to_string(),
                errors,
            }));
        }
        if checked.is_empty() {
            return Err(Error::Import(FileErrors::whole_file(
                file_name,
                "no data rows",
            )));
        }
        self.store_reports(actor, ReportSource::File, &checked, Some(file_name))
            .await
    }

    /// Runs aberration detection over every series of the instance for `day` (the latest
    /// day whose reports are due under the default 10:00 deadline when absent) and records
    /// the grouped signals as alerts. Repeating the run for a day changes nothing. Counts
    /// only are read, so the run covers the whole instance whoever starts it. Audited.
    ///
    /// # Errors
    /// `Forbidden` without `sentinel.manage`; `Invalid` for a day in the future.
    pub async fn run_sentinel_aberration(
        &self,
        actor: &Actor,
        day: Option<NaiveDate>,
    ) -> Result<RunOutcome> {
        actor.require(Permission::SentinelManage)?;
        let day = day.unwrap_or_else(|| latest_due_day(self.now_ms(), 10 * 60));
        if day > self.today() {
            return Err(Error::invalid("day", "is in the future"));
        }
        let from = day - Duration::days(HISTORY_DAYS - 1);
        let points = self
            .store()
            .sentinels()
            .series_points(&Scope::system(), &day_text(from), &day_text(day))
            .await?;
        let days = HISTORY_DAYS as usize;
        let set = SeriesSet::build(
            days,
            points.iter().filter_map(|p| {
                let d = NaiveDate::parse_from_str(&p.day, "%Y-%m-%d").ok()?;
                let idx = usize::try_from((d - from).num_days()).ok()?;
                Some((
                    p.sentinel_id,
                    p.sentinel_type.as_str(),
                    p.community_code.as_str(),
                    p.indicator.as_str(),
                    idx,
                    u32::try_from(p.count).unwrap_or(u32::MAX),
                ))
            }),
        );
        let mut outcome = RunOutcome {
            day: Some(day),
            series: set.series.len() as u64,
            ..RunOutcome::default()
        };
        let judged: Vec<(Signal, Option<(Evaluation, &'static str)>)> = {
            use rayon::prelude::*;
            let list: Vec<_> = set.series.iter().collect();
            list.par_iter()
                .filter_map(|((level, code, id, t, ind), counts)| {
                    let first = counts.iter().position(Option::is_some)?;
                    let start = from + Duration::days(first as i64);
                    let series =
                        Series::new(start, Frequency::Daily, counts[first..].to_vec()).ok()?;
                    let verdict = judge_last(&series);
                    let signal = Signal {
                        level: *level,
                        code: code.clone(),
                        sentinel_id: *id,
                        sentinel_type: *t,
                        indicator: *ind,
                        observed: 0,
                        threshold: 0.0,
                        expected: None,
                        method: "",
                    };
                    Some((signal, verdict))
                })
                .collect()
        };
        let mut signals = Vec::new();
        for (mut s, verdict) in judged {
            let Some((e, method)) = verdict else { continue };
            *outcome.evaluated.entry(method).or_default() += 1;
            if let (true, Some(observed), Some(threshold)) = (e.alarm, e.observed, e.threshold) {
                s.observed = observed;
                s.threshold = threshold;
                s.expected = e.expected;
                s.method = method;
                signals.push(s);
            }
        }
        outcome.alarms = signals.len() as u64;
        let groups = group_signals(signals);
        outcome.signals = groups.len() as u64;
        let day_s = day_text(day);
        let recent = day_text(day - Duration::days(sentinel::NOVELTY_DAYS));
        let keys: Vec<(String, String)> = groups
            .iter()
            .map(|g| {
                (
                    g.primary.series_key(),
                    g.levels
                        .iter()
                        .map(|l| l.as_str())
                        .collect::<Vec<_>>()
                        .join(","),
                )
            })
            .collect();
        let news: Vec<NewSignal<'_>> = groups
            .iter()
            .zip(&keys)
            .map(|(g, (key, levels))| NewSignal {
                series_key: key,
                sentinel_type: g.primary.sentinel_type.as_str(),
                indicator: g.primary.indicator.as_str(),
                level: g.primary.level.as_str(),
                levels,
                sentinel_id: g.primary.sentinel_id,
                community_code: &g.primary.code,
                day: &day_s,
                observed: i64::from(g.primary.observed),
                threshold: g.primary.threshold,
                expected: g.primary.expected,
                strength: g.primary.strength(),
                method: g.primary.method,
            })
            .collect();
        let counts = self
            .store()
            .sentinels()
            .record_signals(&news, &recent, self.now_ms(), &actor.label())
            .await?;
        outcome.created = counts.created;
        outcome.extended = counts.extended;
        outcome.unchanged = counts.unchanged;
        self.audit(
            actor,
            "sentinel.aberration.run",
            "sentinel_alerts",
            None,
            None,
            json!({
                "day": day_s, "series": outcome.series, "alarms": outcome.alarms,
                "signals": outcome.signals, "created": outcome.created.len(),
                "extended": outcome.extended, "unchanged": outcome.unchanged,
            }),
        )
        .await?;
        Ok(outcome)
    }

    async fn subscription_of(&self, actor: &Actor) -> Result<Option<SubscriptionInput>> {
        let Some(user_id) = actor.user_id else {
            return Ok(None);
        };
        Ok(self
            .store()
            .sentinels()
            .subscription(user_id)
            .await?
            .map(|s| SubscriptionInput::from_stored(&s)))
    }

    /// Alerts inside the actor's jurisdiction, latest signal day first and the highest rank
    /// first within a day, with the number of new alerts the user is notified of.
    ///
    /// # Errors
    /// `Forbidden` without `sentinel.read`; `Invalid` for an unknown status or type.
    pub async fn sentinel_alerts(&self, actor: &Actor, q: &AlertQuery) -> Result<AlertList> {
        actor.require(Permission::SentinelRead)?;
        if let Some(s) = q.status.as_deref() {
            AlertStatus::parse(s).ok_or_else(|| {
                Error::invalid(
                    "status",
                    format!("unknown status; expected one of {}", AlertStatus::keys()),
                )
            })?;
        }
        if let Some(t) = q.sentinel_type.as_deref() {
            SentinelType::parse(t).ok_or_else(|| {
                Error::invalid(
                    "sentinel_type",
                    format!("unknown type; expected one of {}", SentinelType::keys()),
                )
            })?;
        }
        let store = self.store().sentinels();
        let alerts = store
            .alerts(
                &actor.scope,
                &AlertFilter {
                    status: q.status.as_deref(),
                    sentinel_type: q.sentinel_type.as_deref(),
                    sentinel_id: q.sentinel_id,
                    since: q.since.as_deref(),
                    limit: q.limit.unwrap_or(MAX_LIST).clamp(1, MAX_LIST),
                },
            )
            .await?;
        let subscription = self.subscription_of(actor).await?.unwrap_or_default();
        let new = store
            .alerts(
                &actor.scope,
                &AlertFilter {
                    status: Some(AlertStatus::New.as_str()),
                    limit: MAX_LIST,
                    ..AlertFilter::default()
                },
            )
            .await?;
        let notifications = new.iter().filter(|a| subscription.matches(a)).count() as u64;
        let alerts = if q.subscribed {
            alerts
                .into_iter()
                .filter(|a| subscription.matches(a))
                .collect()
        } else {
            alerts
        };
        Ok(AlertList {
            alerts,
            notifications,
        })
    }

    /// One alert with its history.
    ///
    /// # Errors
    /// `Forbidden` without `sentinel.read`; `NotFound` when absent or outside the actor's
    /// jurisdiction.
    pub async fn sentinel_alert(&self, actor: &Actor, id: i64) -> Result<AlertDetail> {
        actor.require(Permission::SentinelRead)?;
        let alert = self.store().sentinels().alert(&actor.scope, id).await?;
        let events = self.store().sentinels().alert_events(id).await?;
        Ok(AlertDetail { alert, events })
    }

    /// Moves an alert through its workflow (new → verifying → confirmed or dismissed; a new
    /// alert may be dismissed at once), with an optional note; the time of each step is kept,
    /// so the hours from signal to verification are known. Audited.
    ///
    /// # Errors
    /// `Forbidden` without `sentinel.manage`; `NotFound` when absent or outside the actor's
    /// jurisdiction; `Invalid` for an unknown status or a move the workflow does not allow;
    /// `Conflict` when someone moved it meanwhile.
    pub async fn transition_alert(
        &self,
        actor: &Actor,
        id: i64,
        to: &str,
        note: Option<&str>,
    ) -> Result<AlertDetail> {
        actor.require(Permission::SentinelManage)?;
        let alert = self.store().sentinels().alert(&actor.scope, id).await?;
        let to = AlertStatus::parse(to.trim()).ok_or_else(|| {
            Error::invalid(
                "status",
                format!("unknown status; expected one of {}", AlertStatus::keys()),
            )
        })?;
        let from = AlertStatus::parse(&alert.status)
            .ok_or_else(|| Error::Conflict("alert_status".into()))?;
        if !from.can_become(to) {
            return Err(Error::invalid(
                "status",
                format!(
                    "an alert that is {} cannot become {}",
                    from.as_str(),
                    to.as_str()
                ),
            ));
        }
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        if to == AlertStatus::Dismissed && note.is_none() {
            return Err(Error::invalid("note", "say why the alert is dismissed"));
        }
        self.store()
            .sentinels()
            .set_status(
                &actor.scope,
                id,
                from,
                to,
                note,
                self.now_ms(),
                &actor.label(),
            )
            .await?;
        self.audit(
            actor,
            "sentinel.alert.status",
            "sentinel_alert",
            Some(id.to_string()),
            None,
            json!({ "from": from.as_str(), "to": to.as_str() }),
        )
        .await?;
        self.sentinel_alert(actor, id).await
    }

    /// Assigns an alert to someone (a name or username; empty clears it). Audited.
    ///
    /// # Errors
    /// `Forbidden` without `sentinel.manage`; `NotFound` when absent or outside the actor's
    /// jurisdiction; `Invalid` for an assignee longer than 100 characters.
    pub async fn assign_alert(
        &self,
        actor: &Actor,
        id: i64,
        assignee: Option<&str>,
    ) -> Result<AlertDetail> {
        actor.require(Permission::SentinelManage)?;
        let assignee = assignee.map(str::trim).filter(|a| !a.is_empty());
        if assignee.is_some_and(|a| a.chars().count() > 100) {
            return Err(Error::invalid("assignee", "at most 100 characters"));
        }
        self.store()
            .sentinels()
            .assign(&actor.scope, id, assignee, self.now_ms(), &actor.label())
            .await?;
        self.audit(
            actor,
            "sentinel.alert.assign",
            "sentinel_alert",
            Some(id.to_string()),
            None,
            json!({ "assigned": assignee.is_some() }),
        )
        .await?;
        self.sentinel_alert(actor, id).await
    }

    /// Adds a note to an alert's history. Audited.
    ///
    /// # Errors
    /// `Forbidden` without `sentinel.manage`; `NotFound` when absent or outside the actor's
    /// jurisdiction; `Invalid` for an empty note or one over 2000 characters.
    pub async fn note_alert(&self, actor: &Actor, id: i64, note: &str) -> Result<AlertDetail> {
        actor.require(Permission::SentinelManage)?;
        let note = note.trim();
        if note.is_empty() || note.chars().count() > 2000 {
            return Err(Error::invalid("note", "write 1 to 2000 characters"));
        }
        self.store()
            .sentinels()
            .add_note(&actor.scope, id, note, self.now_ms(), &actor.label())
            .await?;
        self.audit(
            actor,
            "sentinel.alert.note",
            "sentinel_alert",
            Some(id.to_string()),
            None,
            json!({}),
        )
        .await?;
        self.sentinel_alert(actor, id).await
    }

    /// Timeliness of verification over the alerts inside the actor's jurisdiction.
    ///
    /// # Errors
    /// `Forbidden` without `sentinel.read`.
    pub async fn alert_timeliness(&self, actor: &Actor) -> Result<AlertTimeliness> {
        actor.require(Permission::SentinelRead)?;
        let alerts = self
            .store()
            .sentinels()
            .alerts(
                &actor.scope,
                &AlertFilter {
                    limit: MAX_LIST * 10,
                    ..AlertFilter::default()
                },
            )
            .await?;
        Ok(timeliness(&alerts))
    }

    /// The actor's alert subscription (everything when none is stored).
    ///
    /// # Errors
    /// `Forbidden` without `sentinel.read`.
    pub async fn sentinel_subscription(&self, actor: &Actor) -> Result<SubscriptionInput> {
        actor.require(Permission::SentinelRead)?;
        Ok(self.subscription_of(actor).await?.unwrap_or_default())
    }

    /// Sets what the actor is notified of. Audited.
    ///
    /// # Errors
    /// `Forbidden` without `sentinel.read`; `Invalid` for an actor that is not a user, an
    /// unknown type, indicator or level, or a negative strength.
    pub async fn set_sentinel_subscription(
        &self,
        actor: &Actor,
        input: &SubscriptionInput,
    ) -> Result<SubscriptionInput> {
        actor.require(Permission::SentinelRead)?;
        let user_id = actor
            .user_id
            .ok_or_else(|| Error::invalid("user", "only a user has a subscription"))?;
        let mut invalid = Vec::new();
        let mut types: Vec<String> = Vec::new();
        for t in &input.types {
            match SentinelType::parse(t.trim()) {
                Some(t) => types.push(t.as_str().to_string()),
                None => invalid.push(("types".to_string(), format!("unknown type {t:?}"))),
            }
        }
        let mut indicators: Vec<String> = Vec::new();
        for i in &input.indicators {
            match parse_indicator(i) {
                Ok(i) => indicators.push(i.as_str().to_string()),
                Err(e) => invalid.push(("indicators".to_string(), e)),
            }
        }
        if SeriesLevel::parse(input.min_level.trim()).is_none() {
            invalid.push((
                "min_level".to_string(),
                format!("expected one of {}", SeriesLevel::keys()),
            ));
        }
        if !(input.min_strength.is_finite() && input.min_strength >= 0.0) {
            invalid.push(("min_strength".to_string(), "must be 0 or more".to_string()));
        }
        if !invalid.is_empty() {
            return Err(Error::Invalid(invalid));
        }
        types.sort();
        types.dedup();
        indicators.sort();
        indicators.dedup();
        self.store()
            .sentinels()
            .set_subscription(&Subscription {
                user_id,
                types: types.join(","),
                indicators: indicators.join(","),
                min_level: input.min_level.trim().to_string(),
                min_strength: input.min_strength,
                updated_at: self.now_ms(),
            })
            .await?;
        self.audit(
            actor,
            "sentinel.subscription.set",
            "user",
            Some(user_id.to_string()),
            None,
            json!({ "types": types.len(), "indicators": indicators.len() }),
        )
        .await?;
        self.sentinel_subscription(actor).await
    }
}

/// The name of a batch row in error fields: `reports[i]`.
fn row_name(index: u64) -> String {
    format!("reports[{index}]")
}

/// Timeliness over a list of alerts.
pub fn timeliness(alerts: &[Alert]) -> AlertTimeliness {
    let mut hours: Vec<f64> = alerts.iter().filter_map(hours_to_verification).collect();
    hours.sort_by(f64::total_cmp);
    let closed = hours.len() as u64;
    let median = match hours.len() {
        0 => None,
        n if n % 2 == 1 => Some(hours[n / 2]),
        n => Some((hours[n / 2 - 1] + hours[n / 2]) / 2.0),
    };
    AlertTimeliness {
        open: alerts.len() as u64 - closed,
        closed,
        confirmed: alerts
            .iter()
            .filter(|a| a.status == AlertStatus::Confirmed.as_str())
            .count() as u64,
        median_hours: median,
        mean_hours: (!hours.is_empty()).then(|| hours.iter().sum::<f64>() / hours.len() as f64),
        within_24h: hours.iter().filter(|h| **h <= 24.0).count() as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signal(
        level: SeriesLevel,
        code: &str,
        id: Option<i64>,
        observed: u32,
        threshold: f64,
    ) -> Signal {
        Signal {
            level,
            code: code.into(),
            sentinel_id: id,
            sentinel_type: SentinelType::Pharmacy,
            indicator: Indicator::FeverMedicineSales,
            observed,
            threshold,
            expected: None,
            method: "ears-c2",
        }
    }

    #[test]
    fn one_pharmacy_spike_alarming_at_every_level_is_one_alert() {
        let groups = group_signals(vec![
            signal(SeriesLevel::City, "4117", None, 900, 800.0),
            signal(SeriesLevel::County, "411702", None, 300, 200.0),
            signal(SeriesLevel::Township, "411702001", None, 90, 60.0),
            signal(SeriesLevel::Sentinel, "411702001001", Some(7), 60, 20.0),
        ]);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].primary.sentinel_id, Some(7));
        assert_eq!(
            groups[0].levels,
            [
                SeriesLevel::Sentinel,
                SeriesLevel::Township,
                SeriesLevel::County,
                SeriesLevel::City
            ]
        );
    }

    #[test]
    fn levels_join_the_strongest_local_alert_and_other_places_stay_apart() {
        let mut antiviral = signal(SeriesLevel::Sentinel, "411702001001", Some(7), 30, 10.0);
        antiviral.indicator = Indicator::AntiviralSales;
        let groups = group_signals(vec![
            signal(SeriesLevel::Sentinel, "411702001001", Some(7), 30, 20.0),
            signal(SeriesLevel::Sentinel, "411702001002", Some(8), 50, 20.0),
            signal(SeriesLevel::Township, "411702001", None, 90, 60.0),
            // Another county: its own alert.
            signal(SeriesLevel::County, "411721", None, 40, 20.0),
            // Another indicator at the same pharmacy: its own alert.
            antiviral,
        ]);
        let summary: Vec<(String, Vec<&str>)> = groups
            .iter()
            .map(|g| {
                (
                    format!(
                        "{}/{}",
                        g.primary.series_key(),
                        g.primary.indicator.as_str()
                    ),
                    g.levels.iter().map(|l| l.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("s:7/antiviral_sales".to_string(), vec!["sentinel"]),
                (
                    "s:8/fever_medicine_sales".to_string(),
                    vec!["sentinel", "township"]
                ),
                ("j:411721/fever_medicine_sales".to_string(), vec!["county"]),
                ("s:7/fever_medicine_sales".to_string(), vec!["sentinel"]),
            ]
        );
    }

    /// Property (over seeded random days of alarms, no proptest needed): every signal is
    /// accounted for exactly once, as a primary or as a level of one group; a group's levels
    /// are distinct, most local first, and each lies above its primary's place.
    #[test]
    fn grouping_accounts_for_every_signal_once() {
        let mut state = 0x5EED_u64;
        let mut next = |n: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            (state >> 33) % n
        };
        for _ in 0..300 {
            let mut signals = Vec::new();
            let mut seen = std::collections::HashSet::new();
            for _ in 0..next(12) {
                let community = format!("41170{}00{}00{}", 1 + next(2), 1 + next(2), 1 + next(2));
                let level = SeriesLevel::ALL[next(4) as usize];
                let code = match level.code_len() {
                    None => community.clone(),
                    Some(n) => community[..n].to_string(),
                };
                let id = (level == SeriesLevel::Sentinel).then(|| next(5) as i64);
                let mut s = signal(
                    level,
                    &code,
                    id,
                    10 + next(50) as u32,
                    5.0 + next(20) as f64,
                );
                if next(3) == 0 {
                    s.indicator = Indicator::AntiviralSales;
                }
                // One signal per series.
                if seen.insert((s.series_key(), s.indicator)) {
                    signals.push(s);
                }
            }
            let n = signals.len();
            let groups = group_signals(signals);
            assert_eq!(groups.iter().map(|g| g.levels.len()).sum::<usize>(), n);
            for g in &groups {
                assert_eq!(g.levels[0], g.primary.level);
                assert!(g.levels.windows(2).all(|w| w[0] < w[1]), "{g:?}");
            }
            for w in groups.windows(2) {
                assert!(w[0].primary.strength() >= w[1].primary.strength());
            }
        }
    }

    #[test]
    fn series_are_summed_up_the_hierarchy_and_missing_days_stay_missing() {
        let set = SeriesSet::build(
            3,
            [
                (1, "pharmacy", "411702001001", "antiviral_sales", 0, 2),
                (2, "pharmacy", "411702002001", "antiviral_sales", 0, 3),
                (2, "pharmacy", "411702002001", "antiviral_sales", 2, 5),
                (3, "nonsense", "411702002001", "antiviral_sales", 2, 5),
            ],
        );
        let get = |level, code: &str, id| {
            set.series[&(
                level,
                code.to_string(),
                id,
                SentinelType::Pharmacy,
                Indicator::AntiviralSales,
            )]
                .clone()
        };
        assert_eq!(set.series.len(), 2 + 2 + 1 + 1);
        assert_eq!(
            get(SeriesLevel::Sentinel, "411702001001", Some(1)),
            [Some(2), None, None]
        );
        assert_eq!(
            get(SeriesLevel::County, "411702", None),
            [Some(5), None, Some(5)]
        );
        assert_eq!(
            get(SeriesLevel::City, "4117", None),
            [Some(5), None, Some(5)]
        );
    }

    #[test]
    fn method_follows_the_length_of_the_series() {
        assert!(detector_for(EARS_MIN_DAYS - 1).is_none());
        assert_eq!(detector_for(EARS_MIN_DAYS).map(|d| d.1), Some("ears-c2"));
        assert_eq!(
            detector_for(FARRINGTON_MIN_DAYS).map(|d| d.1),
            Some("farrington")
        );
        let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        // A flat 10, then 25: the baseline's sd is 0, raised to 1, so the threshold is
        // 10 + qnorm(0.999) * 1 = 13.09 (EARS C2, Hutwagner et al. 2003).
        let mut counts = vec![10u32; 9];
        counts.push(25);
        let s = Series::from_counts(start, Frequency::Daily, &counts).unwrap();
        let (e, method) = judge_last(&s).unwrap();
        assert_eq!(method, "ears-c2");
        assert!((e.threshold.unwrap() - 13.090_232).abs() < 1e-5, "{e:?}");
        assert!(e.alarm);
        // A missing judged day gives no alarm.
        let mut gappy: Vec<Option<u32>> = counts.iter().map(|c| Some(*c)).collect();
        gappy[9] = None;
        let s = Series::new(start, Frequency::Daily, gappy).unwrap();
        assert!(!judge_last(&s).unwrap().0.alarm);
        // A year of noise-free weekly seasonality and a spike: Farrington judges it, or
        // falls back to EARS C2; either way the spike alarms.
        let mut long: Vec<u32> = (0..400).map(|d| if d % 7 < 5 { 20 } else { 12 }).collect();
        *long.last_mut().unwrap() = 80;
        let s = Series::from_counts(start, Frequency::Daily, &long).unwrap();
        assert!(judge_last(&s).unwrap().0.alarm);
    }

    #[test]
    fn timeliness_takes_the_median_of_closed_alerts() {
        let alert = |signal_at: i64, closed_at: Option<i64>, status: &str| Alert {
            id: 1,
            series_key: "s:1".into(),
            sentinel_type: "pharmacy".into(),
            indicator: "antiviral_sales".into(),
            level: "sentinel".into(),
            levels: "sentinel,county".into(),
            sentinel_id: Some(1),
            sentinel_name: None,
            community_code: "411702001001".into(),
            jurisdiction_name: None,
            lon: None,
            lat: None,
            first_day: "2026-11-29".into(),
            last_day: "2026-11-29".into(),
            signal_days: 1,
            observed: 30,
            threshold: 10.0,
            expected: None,
            strength: 3.0,
            novel: true,
            score: 6.0,
            method: "ears-c2".into(),
            status: status.into(),
            assignee: None,
            signal_at,
            verifying_at: None,
            closed_at,
            created_by: "system:test".into(),
        };
        let h = 3_600_000;
        let t = timeliness(&[
            alert(0, Some(2 * h), "confirmed"),
            alert(0, Some(30 * h), "dismissed"),
            alert(0, Some(6 * h), "dismissed"),
            alert(0, None, "new"),
        ]);
        assert_eq!((t.open, t.closed, t.confirmed, t.within_24h), (1, 3, 1, 2));
        assert_eq!(t.median_hours, Some(6.0));
        let a = alert(0, None, "new");
        let all = SubscriptionInput::default();
        assert!(all.matches(&a));
        let county_up = SubscriptionInput {
            min_level: "county".into(),
            ..SubscriptionInput::default()
        };
        assert!(county_up.matches(&a));
        let city = SubscriptionInput {
            min_level: "city".into(),
            ..SubscriptionInput::default()
        };
        assert!(!city.matches(&a));
        let strong = SubscriptionInput {
            types: vec!["pharmacy".into()],
            min_strength: 3.5,
            ..SubscriptionInput::default()
        };
        assert!(!strong.matches(&a));
        let schools = SubscriptionInput {
            types: vec!["school".into()],
            ..SubscriptionInput::default()
        };
        assert!(!schools.matches(&a));
    }
}
