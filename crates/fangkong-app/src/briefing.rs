//! The daily briefing (日报): the day's figures of a jurisdiction with yesterday's and last
//! week's, the epidemic curve with Rt, a table per subdivision, the four earlies and the
//! notable events, generated from the dashboard on demand or at a set local time, and stored
//! as generated (JSON), so a past briefing reads the same whatever happened since.
//!
//! This module holds figures only, never personal data; how a briefing is printed or put in
//! a workbook is the server's business (`web/briefing.rs`).

use chrono::{NaiveDate, NaiveTime};
use fangkong_domain::{Permission, Scope};
use serde::{Deserialize, Serialize};

use crate::dashboard::Dashboard;
use crate::{Actor, App, Error, Result};

/// Days of the curve in a briefing.
pub const CURVE_DAYS: usize = 28;

/// One headline figure with its values a day and a week before. Flow figures (new cases,
/// positives) are counted for those days; stock figures (active cases, people under
/// measures) come from the briefings stored for those days, and are absent without one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// The locale key's last part, e.g. `new_cases`.
    pub key: String,
    pub value: Option<f64>,
    pub yesterday: Option<f64>,
    pub last_week: Option<f64>,
}

/// One day of the curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurveDay {
    pub day: NaiveDate,
    pub by_onset: u32,
    pub by_report: u32,
    /// Rt of the weekly window ending that day, with its 95% interval.
    pub rt: Option<(f64, f64, f64)>,
}

/// One subdivision's row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AreaRow {
    pub code: String,
    pub name: String,
    pub new_today: u64,
    pub new_7d: u64,
    pub active: u64,
    pub new_7d_per_100k: Option<f64>,
}

/// One step of the four earlies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRow {
    pub key: String,
    pub n: u64,
    pub median_hours: Option<f64>,
    pub timely: u64,
    pub target_hours: f64,
}

/// A notable event of the day: a locale key (`briefing.event.<key>`) with a number and,
/// for events of one area, its name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub key: String,
    pub value: f64,
    pub area: Option<String>,
}

/// A daily briefing as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Briefing {
    pub jurisdiction_code: String,
    pub jurisdiction_name: String,
    pub day: NaiveDate,
    /// How many times this day was generated (set when read back).
    #[serde(default)]
    pub revision: i64,
    pub generated_at_ms: i64,
    pub generated_by: String,
    pub figures: Vec<Figure>,
    pub curve: Vec<CurveDay>,
    pub areas: Vec<AreaRow>,
    pub four_early: Vec<StepRow>,
    pub events: Vec<Event>,
}

impl Briefing {
    /// A figure by key.
    pub fn figure(&self, key: &str) -> Option<&Figure> {
        self.figures.iter().find(|f| f.key == key)
    }
}

/// A stored briefing in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BriefingEntry {
    pub jurisdiction_code: String,
    pub day: NaiveDate,
    pub revision: i64,
    pub generated_at_ms: i64,
    pub generated_by: String,
}

fn n(v: u64) -> Option<f64> {
    Some(v as f64)
}

/// The figures of today's dashboard, in the briefing's order; `before(key, days)` gives
/// the stored value of a stock figure `days` before.
fn figures_of(d: &Dashboard, before: &dyn Fn(&str, i64) -> Option<f64>) -> Vec<Figure> {
    let mut out = Vec::new();
    let mut stock = |key: &str, value: Option<f64>| {
        out.push(Figure {
            key: key.to_string(),
            value,
            yesterday: before(key, 1),
            last_week: before(key, 7),
        });
    };
    let c = d.cases;
    stock("active_cases", c.and_then(|c| n(c.active)));
    stock("severe", c.and_then(|c| n(c.severe)));
    let k = d.contacts;
    stock("contacts_confirmed", k.and_then(|k| n(k.confirmed)));
    stock("contacts_under_control", k.and_then(|k| n(k.under_control)));
    let m = d.measures;
    stock("centralised", m.and_then(|m| n(m.centralised)));
    stock("home_quarantine", m.and_then(|m| n(m.home_quarantine)));
    stock("health_monitoring", m.and_then(|m| n(m.health_monitoring)));
    stock("measures_overdue", m.and_then(|m| n(m.overdue)));
    let round = d.testing.as_ref().and_then(|t| t.round.as_ref());
    stock(
        "round_coverage_pct",
        round
            .filter(|r| r.target > 0)
            .map(|r| (r.sampled as f64 * 1000.0 / r.target as f64).round() / 10.0),
    );
    let i = d.isolation;
    stock("isolation_occupants", i.map(|i| i.occupants as f64));
    stock("isolation_rooms_free", i.map(|i| i.rooms_free as f64));
    stock("beds_occupied", d.beds.map(|b| b.total().1 as f64));
    stock("supplies_at_risk", d.supplies_at_risk.map(|v| v as f64));
    stock("open_alerts", d.alerts.map(|a| a.open as f64));
    stock("overdue_tasks", d.overdue_tasks.map(|v| v as f64));
    stock("overdue_directives", d.overdue_directives.map(|v| v as f64));
    // Flow figures first: counted for yesterday and for the same day last week.
    let by_report = d.curve.as_ref().map(|a| &a.curve.by_report);
    let day_back = |back: usize| {
        by_report.and_then(|r| r.len().checked_sub(1 + back).map(|i| f64::from(r[i])))
    };
    let mut flows = vec![Figure {
        key: "new_cases".into(),
        value: c.and_then(|c| n(c.new_today)),
        yesterday: c.and_then(|c| n(c.new_yesterday)),
        last_week: day_back(7),
    }];
    flows.push(Figure {
        key: "positives".into(),
        value: d.testing.as_ref().map(|t| t.positives_today as f64),
        yesterday: d.testing.as_ref().map(|t| t.positives_yesterday as f64),
        last_week: before("positives", 7),
    });
    flows.extend(out);
    flows
}

fn events_of(d: &Dashboard, areas: &[AreaRow]) -> Vec<Event> {
    let mut events = Vec::new();
    let mut push = |key: &str, value: f64, area: Option<String>| {
        events.push(Event {
            key: key.to_string(),
            value,
            area,
        });
    };
    for a in areas.iter().filter(|a| a.new_today > 0) {
        push("new_cases_area", a.new_today as f64, Some(a.name.clone()));
    }
    if let Some(c) = d.cases.filter(|c| c.severe > 0) {
        push("severe", c.severe as f64, None);
    }
    if let Some(t) = d.testing.as_ref().filter(|t| t.positives_today > 0) {
        push("positives", t.positives_today as f64, None);
    }
    if let Some(rt) = d.curve.as_ref().and_then(|a| a.rt.last()) {
        if rt.q025 > 1.0 {
            push("rt_above_one", (rt.mean * 100.0).round() / 100.0, None);
        } else if rt.q975 < 1.0 {
            push("rt_below_one", (rt.mean * 100.0).round() / 100.0, None);
        }
    }
    if let Some(k) = d.contacts.filter(|k| k.without_measure > 0) {
        push("contacts_without_measure", k.without_measure as f64, None);
    }
    if let Some(m) = d.measures.filter(|m| m.overdue > 0) {
        push("measures_overdue", m.overdue as f64, None);
    }
    if let Some(a) = d.alerts.filter(|a| a.open > 0) {
        push("open_alerts", a.open as f64, None);
    }
    if let Some(s) = d.supplies_at_risk.filter(|s| *s > 0) {
        push("supplies_at_risk", s as f64, None);
    }
    events
}

fn entry_of(row: &fangkong_store::briefings::BriefingSummary) -> Result<BriefingEntry> {
    Ok(BriefingEntry {
        jurisdiction_code: row.jurisdiction_code.clone(),
        day: parse_day(&row.day)?,
        revision: row.revision,
        generated_at_ms: row.generated_at,
        generated_by: row.generated_by.clone(),
    })
}

/// A `YYYY-MM-DD` day.
///
/// # Errors
/// `Invalid` naming the field `day`.
pub fn parse_day(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| Error::invalid("day", "expected YYYY-MM-DD"))
}

impl App {
    /// Generates today's briefing of the actor's jurisdiction from the dashboard, stores it
    /// (replacing one generated earlier today) and returns it.
    ///
    /// # Errors
    /// `Forbidden` without `briefing.write`; `Invalid` for a day other than today (a past
    /// briefing is kept as it was generated; a future one has no figures yet);
    /// `NotFound` when the instance has no jurisdictions.
    pub async fn generate_briefing(&self, actor: &Actor, day: NaiveDate) -> Result<Briefing> {
        actor.require(Permission::BriefingWrite)?;
        let today = self.today();
        if day != today {
            return Err(Error::invalid(
                "day",
                format!("only today's briefing ({today}) can be generated; past ones are kept as generated"),
            ));
        }
        let d = self.dashboard(actor).await?;
        let (code, name) = d.root.clone().ok_or(Error::NotFound)?;
        let store = self.store().briefings();
        let mut stored = std::collections::HashMap::new();
        for back in [1, 7] {
            let day_s = (today - chrono::Duration::days(back)).to_string();
            match store.get(&Scope::system(), &code, &day_s).await {
                Ok(row) => {
                    if let Ok(b) = serde_json::from_str::<Briefing>(&row.figures) {
                        stored.insert(back, b);
                    }
                }
                Err(fangkong_store::StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let before = |key: &str, back: i64| {
            stored
                .get(&back)
                .and_then(|b| b.figure(key))
                .and_then(|f| f.value)
        };
        let curve = match &d.curve {
            Some(a) => {
                let len = a.curve.by_report.len();
                let from = len.saturating_sub(CURVE_DAYS);
                (from..len)
                    .map(|i| CurveDay {
                        day: a.curve.date(i),
                        by_onset: a.curve.by_onset[i],
                        by_report: a.curve.by_report[i],
                        rt: a
                            .rt
                            .iter()
                            .find(|w| w.t_end == i)
                            .map(|w| (w.mean, w.q025, w.q975)),
                    })
                    .collect()
            }
            None => Vec::new(),
        };
        let areas: Vec<AreaRow> = d
            .areas
            .iter()
            .map(|a| AreaRow {
                code: a.code.clone(),
                name: a.name.clone(),
                new_today: a.new_today,
                new_7d: a.new_7d,
                active: a.active,
                new_7d_per_100k: a.new_7d_per_100k,
            })
            .collect();
        let four_early = d
            .four_early
            .map(|f| {
                [
                    ("detection", f.detection),
                    ("report", f.report),
                    ("isolation", f.isolation),
                    ("treatment", f.treatment),
                    ("itinerary", f.itinerary),
                    ("contacts", f.contacts),
                ]
                .into_iter()
                .chain(d.alerts.map(|a| ("verification", a.verification)))
                .map(|(key, t)| StepRow {
                    key: key.to_string(),
                    n: t.n,
                    median_hours: t.median_hours,
                    timely: t.timely,
                    target_hours: t.target_hours,
                })
                .collect()
            })
            .unwrap_or_default();
        let mut b = Briefing {
            jurisdiction_code: code,
            jurisdiction_name: name,
            day: today,
            revision: 0,
            generated_at_ms: self.now_ms(),
            generated_by: actor.label(),
            figures: figures_of(&d, &before),
            curve,
            events: events_of(&d, &areas),
            areas,
            four_early,
        };
        let json =
            serde_json::to_string(&b).map_err(|e| Error::invalid("briefing", e.to_string()))?;
        b.revision = store
            .save(
                &b.jurisdiction_code,
                &today.to_string(),
                b.generated_at_ms,
                &b.generated_by,
                &json,
            )
            .await?;
        Ok(b)
    }

    /// The stored briefing of `day` for `jurisdiction` (the actor's top jurisdiction when
    /// absent).
    ///
    /// # Errors
    /// `Forbidden` without `jurisdictions.read`; `NotFound` when none was generated for that
    /// day inside the actor's jurisdiction.
    pub async fn briefing(
        &self,
        actor: &Actor,
        day: NaiveDate,
        jurisdiction: Option<&str>,
    ) -> Result<Briefing> {
        actor.require(Permission::JurisdictionsRead)?;
        let code = match jurisdiction {
            Some(c) => c.to_string(),
            None => self.dashboard_root(actor).await?,
        };
        let row = self
            .store()
            .briefings()
            .get(&actor.scope, &code, &day.to_string())
            .await?;
        let mut b: Briefing = serde_json::from_str(&row.figures)
            .map_err(|e| Error::invalid("figures", format!("stored briefing unreadable: {e}")))?;
        b.revision = row.revision;
        Ok(b)
    }

    /// The stored briefings inside the actor's jurisdiction, newest first.
    ///
    /// # Errors
    /// `Forbidden` without `jurisdictions.read`.
    pub async fn briefings(&self, actor: &Actor, limit: i64) -> Result<Vec<BriefingEntry>> {
        actor.require(Permission::JurisdictionsRead)?;
        let rows = self
            .store()
            .briefings()
            .list(&actor.scope, limit.clamp(1, 1_000))
            .await?;
        rows.iter().map(entry_of).collect()
    }

    /// The scheduled briefing: when the app clock's local time (China Standard Time) is at
    /// or past `at` and today's briefing of the top jurisdiction and of each subdivision is
    /// missing, generates them as the system. Returns the briefings generated (none before
    /// the time or when they exist). The server calls this every minute.
    ///
    /// # Errors
    /// Store failures.
    pub async fn run_scheduled_briefing(&self, at: NaiveTime) -> Result<Vec<Briefing>> {
        use chrono::Timelike as _;
        let today = self.today();
        let since_midnight_ms = self.now_ms() - crate::clock::china_midnight_ms(today);
        if since_midnight_ms < i64::from(at.num_seconds_from_midnight()) * 1000 {
            return Ok(Vec::new());
        }
        let system = Actor::system("briefing-schedule");
        let top = match self.dashboard_root(&system).await {
            Ok(code) => code,
            Err(Error::NotFound) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let children = self.list_jurisdictions(&system, None, Some(&top)).await?;
        let mut out = Vec::new();
        for code in std::iter::once(top).chain(children.into_iter().map(|j| j.code)) {
            let exists = self
                .store()
                .briefings()
                .get(&Scope::system(), &code, &today.to_string())
                .await;
            match exists {
                Ok(_) => continue,
                Err(fangkong_store::StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
            let parsed = fangkong_domain::JurisdictionCode::parse(&code)
                .map_err(|e| Error::invalid("jurisdiction", e.to_string()))?;
            let mut actor = system.clone();
            actor.scope.root = Some(parsed);
            out.push(self.generate_briefing(&actor, today).await?);
        }
        Ok(out)
    }
}
