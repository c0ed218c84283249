//! The scenario: disease, contacts, response and scheduled interventions, as data.
//!
//! Everything here derives `Deserialize` with defaults, so that a scenario file (TOML or
//! JSON; the caller reads it) names only what it changes. The defaults describe an
//! Omicron-like (BA.2) variant in a Chinese city under the routine response (case isolation,
//! contact quarantine); each value cites its source.
//!
//! Sources:
//! - Incubation period mean 3.2 days (95% range 0.6-8.1): Backer et al. 2022, "Shorter serial
//!   intervals in SARS-CoV-2 cases with Omicron BA.1 variant compared with Delta variant, the
//!   Netherlands, 13 to 26 December 2021", Eurosurveillance 27(6):2200042. Here latent
//!   (2.0 days) plus presymptomatic (1.2 days).
//! - Generation interval: a mean of about 3-4 days for Omicron (Manica et al. 2022, "Intrinsic
//!   generation time of the SARS-CoV-2 Omicron variant", Lancet Regional Health Europe 19:100446,
//!   reports a mean of 3.0-3.5 days); the defaults give about 3.9 days (latent plus half the
//!   infectious period), a little long because infectiousness is flat over the infectious period.
//! - Asymptomatic infections: about one third of Omicron infections (Shang et al. 2022,
//!   "Percentage of asymptomatic infections among SARS-CoV-2 Omicron variant-positive
//!   individuals: a systematic review and meta-analysis", Vaccines 10(7):1049: 32.4%). The age
//!   gradient is Covasim's (`symp_probs`, Kerr et al. 2021, "Covasim: an agent-based model of
//!   COVID-19 dynamics and interventions", PLoS Comput Biol 17(7):e1009149), shifted so that the
//!   population mean is about two thirds.
//! - Severe disease by age, conditional on symptoms: Covasim's `severe_probs` (Kerr et al.
//!   2021, from Verity et al. 2020) times 0.4 for Omicron against the ancestral strain (Nyberg et
//!   al. 2022, "Comparative analysis of the risks of hospitalisation and death associated with
//!   SARS-CoV-2 omicron (B.1.1.529) and delta (B.1.617.2) variants in England", Lancet
//!   399:1303, hazard ratio 0.41 for admission).
//! - Relative infectiousness of asymptomatic infections 0.5 (Byambasuren et al. 2020, JAMMI
//!   5(4):223, 0.35; Covasim's default is 1.0; we take the middle).
//! - Household secondary attack rate about 30% (Lyngse et al. 2022, "Household transmission
//!   of SARS-CoV-2 Omicron variant of concern subvariants BA.1 and BA.2 in Denmark", Nat Commun
//!   13:5760: 29% BA.1, 39% BA.2): 0.08 a day over about 6 infectious days gives 40%.
//! - Vaccine protection against Omicron infection of 1, 2 and 3 doses 0.1, 0.2 and 0.4
//!   (Andrews et al. 2022, "Covid-19 vaccine effectiveness against the Omicron (B.1.1.529)
//!   variant", NEJM 386:1532, months after the dose), against severe disease given infection
//!   0.5, 0.7 and 0.9 (McMenamin et al. 2022, "Vaccine effectiveness of one, two, and three
//!   doses of BNT162b2 and CoronaVac against COVID-19 in Hong Kong", Lancet Infect Dis
//!   22:1435).
//! - Contact layers as Covasim's hybrid population (Kerr et al. 2021): households as they
//!   are, school classes (here 40 pupils, the size of a Chinese class), workplace teams of 16,
//!   and about 15 community contacts a day at venues. The per-contact probabilities of the
//!   school, workplace and venue layers are calibrated, not measured: with them an unmitigated
//!   outbreak in the synthetic Zhumadian (end-2022 vaccine coverage) infects about 90% of the
//!   city, peaking around day 40 from 100 seeds; household, school and workplace contacts are
//!   closer than venue ones, hence their larger probabilities.

use serde::{Deserialize, Serialize};

/// A duration in days, drawn per person and rounded to whole days (at least 1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "distribution", rename_all = "snake_case")]
pub enum Duration {
    /// Always `days`.
    Fixed { days: f64 },
    /// Gamma with this mean and standard deviation.
    Gamma { mean: f64, sd: f64 },
    /// Log-normal with this mean and standard deviation (of the duration, not its log).
    LogNormal { mean: f64, sd: f64 },
}

impl Duration {
    /// The continuous draw, before rounding.
    pub(crate) fn sample_raw(&self, rng: &mut crate::rng::Rng) -> f64 {
        match *self {
            Duration::Fixed { days } => days,
            Duration::Gamma { mean, sd } => {
                // A spread below a millionth of the mean is no spread (and its shape
                // parameter would overflow).
                if sd <= mean * 1e-6 {
                    return mean;
                }
                let shape = (mean / sd).powi(2);
                rng.gamma(shape) * sd * sd / mean
            }
            Duration::LogNormal { mean, sd } => {
                if sd <= mean * 1e-6 {
                    return mean;
                }
                let s2 = (1.0 + (sd / mean).powi(2)).ln();
                let mu = mean.ln() - s2 / 2.0;
                (mu + s2.sqrt() * rng.normal()).exp()
            }
        }
    }

    /// Whole days: the draw rounded to the nearest day, at least 1 and at most 200.
    pub(crate) fn sample(&self, rng: &mut crate::rng::Rng) -> u16 {
        self.sample_raw(rng).round().clamp(1.0, 200.0) as u16
    }

    /// Days and moments within a year: a draw is clamped to 200 days anyway, and a gamma
    /// shape `(mean / sd)²` that overflows to infinity made the sampler loop forever.
    fn valid(&self) -> bool {
        let days = 0.0..=MAX_DURATION_DAYS;
        match *self {
            Duration::Fixed { days: d } => days.contains(&d),
            Duration::Gamma { mean, sd } | Duration::LogNormal { mean, sd } => {
                mean > 0.0 && days.contains(&mean) && days.contains(&sd)
            }
        }
    }
}

/// The longest duration, mean or standard deviation a scenario may give, in days.
pub const MAX_DURATION_DAYS: f64 = 365.0;
/// The most venue or random contacts a day a scenario may give a person.
pub const MAX_DAILY_CONTACTS: f64 = 1000.0;

/// Ten-year age bands: 0-9, 10-19, ..., 80 and over.
pub const AGE_BANDS: usize = 9;

/// The band of an age in years.
pub(crate) fn band(age: u8) -> usize {
    usize::from(age / 10).min(AGE_BANDS - 1)
}

/// The natural history of an infection.
///
/// An infected person is latent (`exposed`), then infectious either on a symptomatic course
/// (presymptomatic, then symptomatic, of whom some become severe) or an asymptomatic one,
/// then recovered. Infectiousness is flat within a state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Disease {
    /// Infection to infectiousness.
    pub latent: Duration,
    /// Infectiousness to symptom onset, symptomatic course.
    pub presymptomatic: Duration,
    /// Onset to recovery, or to severe disease for those who become severe.
    pub symptomatic: Duration,
    /// Infectiousness to recovery, asymptomatic course.
    pub asymptomatic: Duration,
    /// Severe disease (admission) to recovery.
    pub severe: Duration,
    /// Probability of a symptomatic course by age band.
    pub symptomatic_probability: [f64; AGE_BANDS],
    /// Probability of severe disease by age band, given a symptomatic course.
    pub severe_probability: [f64; AGE_BANDS],
    /// Relative susceptibility by age band.
    pub susceptibility: [f64; AGE_BANDS],
    /// Infectiousness of an asymptomatic infection relative to a symptomatic one.
    pub asymptomatic_infectiousness: f64,
    /// Protection against infection by number of vaccine doses (0, 1, 2, 3 or more).
    pub vaccine_infection_protection: [f64; 4],
    /// Protection against severe disease of an infected person by doses.
    pub vaccine_severe_protection: [f64; 4],
}

impl Default for Disease {
    fn default() -> Disease {
        Disease {
            latent: Duration::Gamma { mean: 2.0, sd: 0.9 },
            presymptomatic: Duration::Gamma { mean: 1.2, sd: 0.6 },
            symptomatic: Duration::Gamma { mean: 5.0, sd: 1.5 },
            asymptomatic: Duration::Gamma { mean: 5.5, sd: 1.5 },
            severe: Duration::Gamma {
                mean: 10.0,
                sd: 3.0,
            },
            symptomatic_probability: [0.55, 0.6, 0.64, 0.68, 0.7, 0.72, 0.75, 0.8, 0.85],
            severe_probability: [
                0.0002, 0.0007, 0.0029, 0.0083, 0.0137, 0.0306, 0.0531, 0.0826, 0.0983,
            ],
            susceptibility: [1.0; AGE_BANDS],
            asymptomatic_infectiousness: 0.5,
            vaccine_infection_protection: [0.0, 0.1, 0.2, 0.4],
            vaccine_severe_protection: [0.0, 0.5, 0.7, 0.9],
        }
    }
}

/// Contact layers and their per-contact daily transmission probabilities (at an
/// infectiousness of 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Contacts {
    /// Each household member, every day.
    pub household_beta: f64,
    /// Pupils of a school are split into classes of this size (by age, then in order).
    pub class_size: u32,
    /// Each classmate, every school day (every day: weekends are not modelled).
    pub school_beta: f64,
    /// Workers of a workplace are split into teams of this size.
    pub team_size: u32,
    /// Each team member, every day.
    pub workplace_beta: f64,
    /// Contacts a day at venues (markets, shops, restaurants, transport): random people
    /// of the same community or county, drawn anew each day.
    pub venue_contacts: f64,
    pub venue_beta: f64,
    /// Share of venue contacts in one's own community; the rest are in the county.
    pub venue_local_share: f64,
    /// Homogeneous mixing: contacts a day with people drawn uniformly from the whole
    /// population. 0 in a city; the validation tests use this layer alone.
    pub random_contacts: f64,
    pub random_beta: f64,
}

impl Default for Contacts {
    fn default() -> Contacts {
        Contacts {
            household_beta: 0.08,
            class_size: 40,
            school_beta: 0.025,
            team_size: 16,
            workplace_beta: 0.035,
            venue_contacts: 15.0,
            venue_beta: 0.025,
            venue_local_share: 0.6,
            random_contacts: 0.0,
            random_beta: 0.0,
        }
    }
}

impl Contacts {
    /// Homogeneous mixing only: `contacts` a day with uniformly random people, each
    /// infected with probability `beta` a day.
    pub fn homogeneous(contacts: f64, beta: f64) -> Contacts {
        Contacts {
            household_beta: 0.0,
            school_beta: 0.0,
            workplace_beta: 0.0,
            venue_contacts: 0.0,
            venue_beta: 0.0,
            random_contacts: contacts,
            random_beta: beta,
            ..Contacts::default()
        }
    }
}

/// The routine response: finding cases, isolating them, quarantining their contacts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Response {
    /// The response works from this day on (cases are found only from then).
    pub start_day: u16,
    /// Probability that a symptomatic person gets tested.
    pub symptomatic_test_probability: f64,
    /// Days from onset to the test.
    pub symptomatic_test_delay: u16,
    /// Days from a sample to its result.
    pub result_delay: u16,
    /// Extra days for the individual retest of a positive pool.
    pub pool_retest_delay: u16,
    /// Probability that a sample of an infectious person is positive.
    pub sensitivity: f64,
    /// Detected cases go to centralised isolation (no contacts) until they recover.
    pub isolate_cases: bool,
    /// Contacts of detected cases go to centralised quarantine (no contacts).
    pub quarantine_contacts: bool,
    /// Probability that a household member, classmate or team member is traced.
    pub trace_household: f64,
    pub trace_school: f64,
    pub trace_workplace: f64,
    /// Days in quarantine.
    pub quarantine_days: u16,
    /// Days after entering quarantine on which the person is tested.
    pub quarantine_test_days: Vec<u16>,
}

impl Default for Response {
    fn default() -> Response {
        Response {
            start_day: 0,
            symptomatic_test_probability: 0.5,
            symptomatic_test_delay: 1,
            result_delay: 1,
            pool_retest_delay: 1,
            sensitivity: 0.9,
            isolate_cases: true,
            quarantine_contacts: true,
            trace_household: 1.0,
            trace_school: 0.8,
            trace_workplace: 0.6,
            quarantine_days: 7,
            quarantine_test_days: vec![1, 3, 7],
        }
    }
}

/// Where an intervention applies, by county or community code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    City,
    Counties(Vec<String>),
    Communities(Vec<String>),
}

/// An intervention scheduled by day (days count from 0, the first simulated day;
/// `end_day` is exclusive).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Intervention {
    /// Everyone in the area not in isolation is sampled on `day` with probability
    /// `coverage`, in pools of `pool_size` (1: single tubes) of consecutive residents of a
    /// community; a positive pool's members are retested one by one.
    TestingRound {
        day: u16,
        area: Area,
        coverage: f64,
        pool_size: u32,
    },
    /// Venue contacts in the area drop by `reduction` (1: all venues closed).
    VenueClosure {
        start_day: u16,
        end_day: u16,
        area: Area,
        reduction: f64,
    },
    /// Residents of the area keep to their homes: no school, work or venue contacts.
    Lockdown {
        start_day: u16,
        end_day: u16,
        area: Area,
    },
    /// Schools in the area (by the pupil's residence) are closed.
    SchoolClosure {
        start_day: u16,
        end_day: u16,
        area: Area,
    },
}

/// Everything a simulation run needs besides the population, the initial state and the
/// seed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scenario {
    pub disease: Disease,
    pub contacts: Contacts,
    pub response: Response,
    pub interventions: Vec<Intervention>,
}

impl Scenario {
    /// A scenario without any response (no testing, isolation or quarantine).
    pub fn unmitigated(disease: Disease, contacts: Contacts) -> Scenario {
        Scenario {
            disease,
            contacts,
            response: Response {
                symptomatic_test_probability: 0.0,
                isolate_cases: false,
                quarantine_contacts: false,
                quarantine_test_days: Vec::new(),
                ..Response::default()
            },
            interventions: Vec::new(),
        }
    }

    /// Checks ranges: probabilities in [0, 1], durations positive, sizes at least 1.
    ///
    /// # Errors
    /// A [`crate::SimError::Scenario`] naming the first bad field.
    pub fn validate(&self) -> Result<(), crate::SimError> {
        let bad = |field: &str| Err(crate::SimError::Scenario(format!("{field} out of range")));
        let prob = |p: f64| (0.0..=1.0).contains(&p);
        let d = &self.disease;
        for (name, dur) in [
            ("disease.latent", &d.latent),
            ("disease.presymptomatic", &d.presymptomatic),
            ("disease.symptomatic", &d.symptomatic),
            ("disease.asymptomatic", &d.asymptomatic),
            ("disease.severe", &d.severe),
        ] {
            if !dur.valid() {
                return bad(name);
            }
        }
        for (name, values) in [
            (
                "disease.symptomatic_probability",
                &d.symptomatic_probability[..],
            ),
            ("disease.severe_probability", &d.severe_probability[..]),
            (
                "disease.vaccine_infection_protection",
                &d.vaccine_infection_protection[..],
            ),
            (
                "disease.vaccine_severe_protection",
                &d.vaccine_severe_protection[..],
            ),
        ] {
            if !values.iter().all(|&p| prob(p)) {
                return bad(name);
            }
        }
        if !d.susceptibility.iter().all(|&s| (0.0..=1.0).contains(&s)) {
            return bad("disease.susceptibility");
        }
        if !(0.0..=1.0).contains(&d.asymptomatic_infectiousness) {
            return bad("disease.asymptomatic_infectiousness");
        }
        let c = &self.contacts;
        for (name, p) in [
            ("contacts.household_beta", c.household_beta),
            ("contacts.school_beta", c.school_beta),
            ("contacts.workplace_beta", c.workplace_beta),
            ("contacts.venue_beta", c.venue_beta),
            ("contacts.venue_local_share", c.venue_local_share),
            ("contacts.random_beta", c.random_beta),
            (
                "response.symptomatic_test_probability",
                self.response.symptomatic_test_probability,
            ),
            ("response.sensitivity", self.response.sensitivity),
            ("response.trace_household", self.response.trace_household),
            ("response.trace_school", self.response.trace_school),
            ("response.trace_workplace", self.response.trace_workplace),
        ] {
            if !prob(p) {
                return bad(name);
            }
        }
        if c.class_size == 0 {
            return bad("contacts.class_size");
        }
        if c.team_size == 0 {
            return bad("contacts.team_size");
        }
        // Contacts a day are drawn one by one: a million a day per person would not finish.
        if !(0.0..=MAX_DAILY_CONTACTS).contains(&c.venue_contacts) {
            return bad("contacts.venue_contacts");
        }
        if !(0.0..=MAX_DAILY_CONTACTS).contains(&c.random_contacts) {
            return bad("contacts.random_contacts");
        }
        for i in &self.interventions {
            match i {
                Intervention::TestingRound {
                    coverage,
                    pool_size,
                    ..
                } => {
                    if !prob(*coverage) {
                        return bad("interventions.coverage");
                    }
                    if *pool_size == 0 {
                        return bad("interventions.pool_size");
                    }
                }
                Intervention::VenueClosure { reduction, .. } => {
                    if !prob(*reduction) {
                        return bad("interventions.reduction");
                    }
                }
                Intervention::Lockdown { .. } | Intervention::SchoolClosure { .. } => {}
            }
        }
        Ok(())
    }
}
