//! What a simulation reports: per day and county, counts of what happened that day and of
//! who is infected, isolated or quarantined at its end; optionally every event.
//!
//! The structure, for consumers (forecasts, drills):
//! - [`Output::county_codes`]: the county of each index of [`DayReport::counties`].
//! - [`DayReport`]: `day` (0 is the first simulated day) and one [`Counts`] per county.
//!   Flows count people by the county they live in: `infections` (new infections, the seeds
//!   included on day 0), `onsets` (symptom onsets that day), `detections_*` (cases found that
//!   day, by route: a test after symptoms, a test in quarantine, a testing round, admission to
//!   hospital), `isolations` and `quarantines` (people entering them), `admissions` (severe
//!   cases admitted), `recoveries`, `tubes` (tubes tested: pools count once, a positive pool's
//!   retests one each). Stocks at the end of the day: `infected` (latent to severe),
//!   `isolated`, `quarantined`.
//! - [`Event`]s, when asked for: `(day, person, kind)` in the order they happened, the person an
//!   index into the [`crate::Population`]; an infection names its source (none for a seed).

use serde::Serialize;

/// Counts of one county on one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub infections: u32,
    pub onsets: u32,
    pub detections_symptomatic: u32,
    pub detections_quarantine: u32,
    pub detections_screening: u32,
    pub detections_admission: u32,
    pub isolations: u32,
    pub quarantines: u32,
    pub admissions: u32,
    pub recoveries: u32,
    pub tubes: u32,
    pub infected: u32,
    pub isolated: u32,
    pub quarantined: u32,
}

impl Counts {
    /// All detections, by any route.
    pub fn detections(&self) -> u32 {
        self.detections_symptomatic
            + self.detections_quarantine
            + self.detections_screening
            + self.detections_admission
    }

    /// Adds `other` field by field.
    pub fn add(&mut self, other: &Counts) {
        self.infections += other.infections;
        self.onsets += other.onsets;
        self.detections_symptomatic += other.detections_symptomatic;
        self.detections_quarantine += other.detections_quarantine;
        self.detections_screening += other.detections_screening;
        self.detections_admission += other.detections_admission;
        self.isolations += other.isolations;
        self.quarantines += other.quarantines;
        self.admissions += other.admissions;
        self.recoveries += other.recoveries;
        self.tubes += other.tubes;
        self.infected += other.infected;
        self.isolated += other.isolated;
        self.quarantined += other.quarantined;
    }
}

/// One simulated day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayReport {
    pub day: u16,
    /// By county index.
    pub counties: Vec<Counts>,
}

impl DayReport {
    /// The whole city.
    pub fn total(&self) -> Counts {
        let mut total = Counts::default();
        for c in &self.counties {
            total.add(c);
        }
        total
    }
}

/// How a case was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// Tested after symptom onset (fever clinic, pharmacy report).
    Symptomatic,
    /// Tested in quarantine.
    Quarantine,
    /// Found by a testing round.
    Screening,
    /// Admitted to hospital with severe disease.
    Admission,
}

/// What happened to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    /// Infected by `source` (a person index), or seeded when `None`.
    Infection { source: Option<u32> },
    /// Symptom onset.
    Onset,
    /// Found to be a case.
    Detection { route: Route },
    /// Entered isolation.
    Isolation,
    /// Entered quarantine as a contact.
    Quarantine,
    /// Admitted with severe disease.
    Admission,
    /// Recovered.
    Recovery,
}

/// One event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Event {
    pub day: u16,
    pub person: u32,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// A whole run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Output {
    pub county_codes: Vec<String>,
    pub days: Vec<DayReport>,
    /// Empty unless events were asked for.
    pub events: Vec<Event>,
}

impl Output {
    /// City totals by day.
    pub fn totals(&self) -> Vec<Counts> {
        self.days.iter().map(DayReport::total).collect()
    }

    /// People ever infected, seeds included.
    pub fn total_infections(&self) -> u64 {
        self.days
            .iter()
            .map(|d| u64::from(d.total().infections))
            .sum()
    }
}
