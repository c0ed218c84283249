//! The simulation step.
//!
//! Why it is shaped like this: a city of 7 million for 100 days is 700 million agent-days,
//! so a day must not touch every person. Susceptible people are passive: the step walks the
//! *active* list (everyone infected and not yet recovered) only. Each active person makes
//! their timed transition when it is due, and if infectious draws whom they infect, layer by
//! layer: household, school class and workplace team (fixed cliques, stored as CSR member
//! lists, sampled by geometric skips so that a draw costs one random number per infection,
//! not per contact), venues (a Poisson number of transmissions to random people of the same
//! community or county, drawn anew each day) and, for validation, homogeneous mixing.
//!
//! Determinism: every random draw comes from a counter-based stream keyed by
//! `(seed, day, person)` or `(seed, purpose, person)`, never from a shared generator, and
//! the parallel part (the walk over the active list) only reads shared state and writes
//! its own chunk's output, merged in list order. So the output is a function of the
//! population, scenario, initial state and seed, whatever the number of threads.
//!
//! What it must not do: read the clock, the environment or files, or keep anything but
//! indexes of the population (no names, no identity numbers).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::output::{Counts, DayReport, Event, EventKind, Output, Route};
use crate::params::{band, Area, Duration, Intervention, Scenario, AGE_BANDS};
use crate::population::{Csr, Population, NONE};
use crate::rng::{unit, Rng};
use crate::SimError;

/// Infection states.
pub(crate) const SUSCEPTIBLE: u8 = 0;
pub(crate) const LATENT: u8 = 1;
pub(crate) const PRESYMPTOMATIC: u8 = 2;
pub(crate) const SYMPTOMATIC: u8 = 3;
pub(crate) const ASYMPTOMATIC: u8 = 4;
pub(crate) const SEVERE: u8 = 5;
pub(crate) const RECOVERED: u8 = 6;

/// Person flags.
const DETECTED: u8 = 1;
const ISOLATED: u8 = 2;
const QUARANTINED: u8 = 4;

/// Stream purposes (the middle word of a key).
const COURSE: u64 = 1 << 40;
const DURATION: u64 = 2 << 40;
const TRANSMIT: u64 = 3 << 40;
const ACCEPT: u64 = 4 << 40;
const TEST: u64 = 5 << 40;
const TRACE: u64 = 6 << 40;
const SEEDING: u64 = 7 << 40;
const SEEK: u64 = 8 << 40;

/// Active people per parallel task.
const CHUNK: usize = 4096;

/// A person's infection state as the scenario sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Susceptible,
    Latent,
    Presymptomatic,
    Symptomatic,
    Asymptomatic,
    Severe,
    Recovered,
}

impl State {
    fn from_code(code: u8) -> State {
        match code {
            SUSCEPTIBLE => State::Susceptible,
            LATENT => State::Latent,
            PRESYMPTOMATIC => State::Presymptomatic,
            SYMPTOMATIC => State::Symptomatic,
            ASYMPTOMATIC => State::Asymptomatic,
            SEVERE => State::Severe,
            _ => State::Recovered,
        }
    }
}

/// Who is infected, isolated or quarantined when the simulation starts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct InitialState {
    /// People infected on day 0 (latent).
    pub infections: Vec<u32>,
    /// Known cases already in isolation: infected on day 0 if not listed above, detected,
    /// isolated until they recover.
    pub isolated: Vec<u32>,
    /// Contacts already in quarantine, with the days left.
    pub quarantined: Vec<Quarantined>,
}

/// A person in quarantine at the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quarantined {
    pub person: u32,
    pub days_left: u16,
}

impl InitialState {
    /// `n` distinct people drawn uniformly (by `seed`) from `population`, or from the
    /// counties listed in `counties` (codes) when it is not empty.
    ///
    /// # Errors
    /// [`SimError::Scenario`] when a county code is unknown or the area has fewer than `n`
    /// people.
    pub fn random_infections(
        population: &Population,
        n: u32,
        counties: &[String],
        seed: u64,
    ) -> Result<InitialState, SimError> {
        let pool: Vec<u32> = if counties.is_empty() {
            (0..population.len() as u32).collect()
        } else {
            let mut pool = Vec::new();
            for code in counties {
                let c = population
                    .county_codes
                    .iter()
                    .position(|k| k == code)
                    .ok_or_else(|| SimError::Scenario(format!("unknown county {code}")))?;
                pool.extend_from_slice(population.counties.group(c as u32));
            }
            pool
        };
        if (pool.len() as u64) < u64::from(n) {
            return Err(SimError::Scenario(format!(
                "{n} initial infections among {} people",
                pool.len()
            )));
        }
        // A partial Fisher-Yates shuffle of the pool.
        let mut pool = pool;
        let mut rng = Rng::new(seed, SEEDING, u64::from(n));
        for i in 0..n as usize {
            let j = i + rng.below((pool.len() - i) as u32) as usize;
            pool.swap(i, j);
        }
        pool.truncate(n as usize);
        Ok(InitialState {
            infections: pool,
            ..InitialState::default()
        })
    }
}

/// An infected person on the active list.
#[derive(Debug, Clone, Copy)]
struct Agent {
    person: u32,
    stage: u8,
    /// Symptomatic course, severe course.
    symptomatic: bool,
    severe: bool,
    /// The day of the next transition.
    next: u16,
}

/// Work for a later day.
#[derive(Debug, Clone, Copy)]
enum Pending {
    /// A sample is taken (after symptoms or in quarantine).
    Test { person: u32, route: Route },
    /// A positive result comes back: the person is a case.
    Result { person: u32, route: Route },
    /// A quarantine may end.
    Release { person: u32 },
}

/// What one parallel task found.
#[derive(Debug, Default)]
struct ChunkOut {
    /// (target, source).
    infections: Vec<(u32, u32)>,
    /// (person, new state).
    changes: Vec<(u32, u8)>,
}

/// Per-day intervention masks, by community.
#[derive(Debug, Clone)]
struct Masks {
    venue_factor: Vec<f32>,
    school_open: Vec<bool>,
    locked: Vec<bool>,
}

/// Read-only context of the parallel step.
struct Ctx<'a> {
    pop: &'a Population,
    classes: &'a Csr,
    teams: &'a Csr,
    class: &'a [u32],
    team: &'a [u32],
    stage: &'a [u8],
    flags: &'a [u8],
    masks: &'a Masks,
    susceptibility: &'a [[f64; 4]; AGE_BANDS],
    scenario: &'a Scenario,
    seed: u64,
    day: u16,
}

/// A running simulation, stepped one day at a time.
///
/// ```
/// use fangkong_sim::{InitialState, Population, Scenario, Simulation};
/// let population = Population::homogeneous(1_000);
/// let initial = InitialState { infections: vec![0, 1, 2], ..InitialState::default() };
/// let mut sim = Simulation::new(&population, Scenario::default(), &initial, 7).unwrap();
/// let day0 = sim.step();
/// assert_eq!(day0.day, 0);
/// assert_eq!(day0.total().infections, 3);
/// ```
pub struct Simulation<'p> {
    pop: &'p Population,
    scenario: Scenario,
    seed: u64,
    day: u16,
    stage: Vec<u8>,
    flags: Vec<u8>,
    quarantine_until: Vec<u16>,
    class: Vec<u32>,
    team: Vec<u32>,
    classes: Csr,
    teams: Csr,
    susceptibility: [[f64; 4]; AGE_BANDS],
    areas: Vec<Vec<u32>>,
    active: Vec<Agent>,
    pending: Vec<Vec<Pending>>,
    today: Vec<Counts>,
    stock: Vec<Counts>,
    record_events: bool,
    events: Vec<Event>,
    /// Applied at the start of day 0, so that its events are recorded.
    initial: Option<InitialState>,
}

impl<'p> Simulation<'p> {
    /// Prepares a run: splits schools into classes and workplaces into teams, resolves the
    /// intervention areas and applies the initial state (counted on day 0).
    ///
    /// # Errors
    /// [`SimError::Scenario`] for a scenario out of range, an unknown area code or a person
    /// index outside the population.
    pub fn new(
        pop: &'p Population,
        scenario: Scenario,
        initial: &InitialState,
        seed: u64,
    ) -> Result<Simulation<'p>, SimError> {
        scenario.validate()?;
        let n = pop.len();
        let areas = scenario
            .interventions
            .iter()
            .map(|i| resolve_area(pop, area_of(i)))
            .collect::<Result<Vec<_>, _>>()?;
        let ((class, classes), (team, teams)) = rayon::join(
            || {
                split_groups(
                    pop,
                    &pop.schools,
                    &pop.school,
                    scenario.contacts.class_size,
                    true,
                )
            },
            || {
                split_groups(
                    pop,
                    &pop.workplaces,
                    &pop.workplace,
                    scenario.contacts.team_size,
                    false,
                )
            },
        );
        let d = &scenario.disease;
        let mut susceptibility = [[0.0; 4]; AGE_BANDS];
        for (b, row) in susceptibility.iter_mut().enumerate() {
            for (doses, s) in row.iter_mut().enumerate() {
                *s = d.susceptibility[b] * (1.0 - d.vaccine_infection_protection[doses]);
            }
        }
        let counties = pop.county_codes.len();
        let mut sim = Simulation {
            pop,
            scenario,
            seed,
            day: 0,
            stage: vec![SUSCEPTIBLE; n],
            flags: vec![0; n],
            quarantine_until: vec![0; n],
            class,
            team,
            classes,
            teams,
            susceptibility,
            areas,
            active: Vec::new(),
            pending: Vec::new(),
            today: vec![Counts::default(); counties],
            stock: vec![Counts::default(); counties],
            record_events: false,
            events: Vec::new(),
            initial: None,
        };
        for &p in initial
            .infections
            .iter()
            .chain(&initial.isolated)
            .chain(initial.quarantined.iter().map(|q| &q.person))
        {
            if p as usize >= n {
                return Err(SimError::Scenario(format!(
                    "initial person {p} outside a population of {n}"
                )));
            }
        }
        sim.initial = Some(initial.clone());
        Ok(sim)
    }

    /// Records every event from now on (off by default: a city-wide run has tens of
    /// millions).
    pub fn record_events(&mut self, on: bool) {
        self.record_events = on;
    }

    /// The next day to simulate.
    pub fn day(&self) -> u16 {
        self.day
    }

    /// The state of `person` now.
    ///
    /// # Panics
    /// If `person` is outside the population.
    pub fn state(&self, person: u32) -> State {
        State::from_code(self.stage[person as usize])
    }

    /// People infected and not yet recovered.
    pub fn active(&self) -> usize {
        self.active.len()
    }

    /// Events recorded so far, taken out.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// Runs `days` days and collects their reports and, if recorded, events.
    pub fn run(&mut self, days: u16) -> Output {
        let reports = (0..days).map(|_| self.step()).collect();
        Output {
            county_codes: self.pop.county_codes.clone(),
            days: reports,
            events: self.take_events(),
        }
    }

    /// Simulates one day and reports it.
    pub fn step(&mut self) -> DayReport {
        let day = self.day;
        if let Some(initial) = self.initial.take() {
            self.apply_initial(&initial);
        }
        let masks = self.masks(day);
        // 1. Transitions due today and transmission, in parallel over the active list.
        let outs: Vec<ChunkOut> = {
            let ctx = Ctx {
                pop: self.pop,
                classes: &self.classes,
                teams: &self.teams,
                class: &self.class,
                team: &self.team,
                stage: &self.stage,
                flags: &self.flags,
                masks: &masks,
                susceptibility: &self.susceptibility,
                scenario: &self.scenario,
                seed: self.seed,
                day,
            };
            self.active
                .par_chunks_mut(CHUNK)
                .map(|chunk| {
                    let mut out = ChunkOut::default();
                    for agent in chunk {
                        advance(&ctx, agent, &mut out);
                        transmit(&ctx, agent, &mut out);
                    }
                    out
                })
                .collect()
        };
        // 2. Apply, in list order.
        for out in &outs {
            for &(person, stage) in &out.changes {
                self.change(person, stage, day);
            }
        }
        for out in outs {
            for (target, source) in out.infections {
                if self.stage[target as usize] == SUSCEPTIBLE {
                    self.infect(target, Some(source), day);
                }
            }
        }
        // 3. Testing rounds.
        for i in 0..self.scenario.interventions.len() {
            if let Intervention::TestingRound {
                day: d,
                coverage,
                pool_size,
                ..
            } = self.scenario.interventions[i]
            {
                if d == day {
                    self.testing_round(i, coverage, pool_size, day);
                }
            }
        }
        // 4. Tests, results and releases due today.
        if let Some(list) = self.pending.get_mut(usize::from(day)) {
            let list = std::mem::take(list);
            for item in list {
                self.settle(item, day);
            }
        }
        self.active.retain(|a| a.stage != RECOVERED);
        // In person order the walk reads the per-person columns and member lists nearly
        // sequentially instead of at random (persons are unique, so the order is
        // deterministic).
        self.active.par_sort_unstable_by_key(|a| a.person);
        let counties = self
            .today
            .iter()
            .zip(&self.stock)
            .map(|(t, s)| Counts {
                infected: s.infected,
                isolated: s.isolated,
                quarantined: s.quarantined,
                ..*t
            })
            .collect();
        self.today.iter_mut().for_each(|c| *c = Counts::default());
        self.day += 1;
        DayReport { day, counties }
    }

    fn apply_initial(&mut self, initial: &InitialState) {
        for &p in initial.infections.iter().chain(&initial.isolated) {
            self.infect(p, None, 0);
        }
        for &p in &initial.isolated {
            self.flags[p as usize] |= DETECTED;
            self.isolate(p, 0);
        }
        for q in &initial.quarantined {
            self.quarantine(q.person, 0, q.days_left.max(1), false);
        }
    }

    fn county(&self, person: u32) -> usize {
        usize::from(self.pop.county[person as usize])
    }

    fn event(&mut self, day: u16, person: u32, kind: EventKind) {
        if self.record_events {
            self.events.push(Event { day, person, kind });
        }
    }

    fn schedule(&mut self, day: u16, item: Pending) {
        let d = usize::from(day);
        if self.pending.len() <= d {
            self.pending.resize_with(d + 1, Vec::new);
        }
        self.pending[d].push(item);
    }

    fn response_on(&self, day: u16) -> bool {
        day >= self.scenario.response.start_day
    }

    /// Infects a susceptible person today: draws their course and latent period.
    fn infect(&mut self, person: u32, source: Option<u32>, day: u16) {
        let p = person as usize;
        if self.stage[p] != SUSCEPTIBLE {
            return;
        }
        self.stage[p] = LATENT;
        let d = &self.scenario.disease;
        let b = band(self.pop.age[p]);
        let doses = usize::from(self.pop.doses[p]);
        let mut rng = Rng::new(self.seed, COURSE, u64::from(person));
        let symptomatic = rng.unit() < d.symptomatic_probability[b];
        let severe = symptomatic
            && rng.unit() < d.severe_probability[b] * (1.0 - d.vaccine_severe_protection[doses]);
        let latent = d
            .latent
            .sample(&mut duration_rng(self.seed, person, LATENT));
        self.active.push(Agent {
            person,
            stage: LATENT,
            symptomatic,
            severe,
            next: day.saturating_add(latent),
        });
        let c = self.county(person);
        self.today[c].infections += 1;
        self.stock[c].infected += 1;
        self.event(day, person, EventKind::Infection { source });
    }

    /// Applies a transition made in the parallel step.
    fn change(&mut self, person: u32, stage: u8, day: u16) {
        let p = person as usize;
        self.stage[p] = stage;
        let c = self.county(person);
        match stage {
            SYMPTOMATIC => {
                self.today[c].onsets += 1;
                self.event(day, person, EventKind::Onset);
                let r = &self.scenario.response;
                if self.response_on(day)
                    && unit(self.seed, SEEK, u64::from(person)) < r.symptomatic_test_probability
                {
                    let test_day = day.saturating_add(r.symptomatic_test_delay);
                    self.schedule(
                        test_day,
                        Pending::Test {
                            person,
                            route: Route::Symptomatic,
                        },
                    );
                }
            }
            SEVERE => {
                self.today[c].admissions += 1;
                self.event(day, person, EventKind::Admission);
                // A severe case is found on admission and no longer transmits.
                self.detect(person, Route::Admission, day);
            }
            RECOVERED => {
                self.today[c].recoveries += 1;
                self.stock[c].infected -= 1;
                self.event(day, person, EventKind::Recovery);
                if self.flags[p] & ISOLATED != 0 {
                    self.flags[p] &= !ISOLATED;
                    self.stock[c].isolated -= 1;
                }
            }
            _ => {}
        }
    }

    /// Whether a sample of `person` taken today would be positive.
    fn detectable(&self, person: u32, day: u16) -> bool {
        let s = self.stage[person as usize];
        (PRESYMPTOMATIC..=SEVERE).contains(&s)
            && unit(self.seed, TEST | u64::from(day), u64::from(person))
                < self.scenario.response.sensitivity
    }

    fn settle(&mut self, item: Pending, day: u16) {
        match item {
            Pending::Test { person, route } => {
                let f = self.flags[person as usize];
                if f & DETECTED != 0 || (route == Route::Quarantine && f & QUARANTINED == 0) {
                    return;
                }
                let c = self.county(person);
                self.today[c].tubes += 1;
                if self.detectable(person, day) {
                    let result = day.saturating_add(self.scenario.response.result_delay);
                    self.schedule(result, Pending::Result { person, route });
                }
            }
            Pending::Result { person, route } => self.detect(person, route, day),
            Pending::Release { person } => {
                let p = person as usize;
                if self.flags[p] & QUARANTINED != 0 && self.quarantine_until[p] == day {
                    self.flags[p] &= !QUARANTINED;
                    let c = self.county(person);
                    self.stock[c].quarantined -= 1;
                }
            }
        }
    }

    /// A case is found: counted, isolated and its contacts quarantined as the response
    /// says.
    fn detect(&mut self, person: u32, route: Route, day: u16) {
        let p = person as usize;
        if self.flags[p] & DETECTED != 0 {
            return;
        }
        self.flags[p] |= DETECTED;
        let c = self.county(person);
        let counts = &mut self.today[c];
        match route {
            Route::Symptomatic => counts.detections_symptomatic += 1,
            Route::Quarantine => counts.detections_quarantine += 1,
            Route::Screening => counts.detections_screening += 1,
            Route::Admission => counts.detections_admission += 1,
        }
        self.event(day, person, EventKind::Detection { route });
        if !self.response_on(day) {
            return;
        }
        if self.scenario.response.isolate_cases && self.stage[p] != RECOVERED {
            self.isolate(person, day);
        }
        if self.scenario.response.quarantine_contacts {
            self.trace(person, day);
        }
    }

    fn isolate(&mut self, person: u32, day: u16) {
        let p = person as usize;
        if self.flags[p] & ISOLATED != 0 {
            return;
        }
        let c = self.county(person);
        if self.flags[p] & QUARANTINED != 0 {
            self.flags[p] &= !QUARANTINED;
            self.stock[c].quarantined -= 1;
        }
        self.flags[p] |= ISOLATED;
        self.stock[c].isolated += 1;
        self.today[c].isolations += 1;
        self.event(day, person, EventKind::Isolation);
    }

    /// Quarantines the traced household members, classmates and team members of a case.
    fn trace(&mut self, person: u32, day: u16) {
        let p = person as usize;
        let pop = self.pop;
        let r = &self.scenario.response;
        let (days, th, ts, tw) = (
            r.quarantine_days,
            r.trace_household,
            r.trace_school,
            r.trace_workplace,
        );
        let mut traced: Vec<u32> = Vec::new();
        let seed = self.seed;
        let mut take = |members: &[u32], share: f64, layer: u64| {
            for &m in members {
                if m != person
                    && (share >= 1.0
                        || unit(seed, TRACE | layer << 32 | u64::from(person), u64::from(m))
                            < share)
                {
                    traced.push(m);
                }
            }
        };
        take(pop.households.group(pop.household[p]), th, 1);
        if self.class[p] != NONE {
            take(self.classes.group(self.class[p]), ts, 2);
        }
        if self.team[p] != NONE {
            take(self.teams.group(self.team[p]), tw, 3);
        }
        for m in traced {
            self.quarantine(m, day, days, true);
        }
    }

    /// Puts `person` in quarantine for `days` from `day` (or extends it), with tests.
    fn quarantine(&mut self, person: u32, day: u16, days: u16, tests: bool) {
        let p = person as usize;
        let f = self.flags[p];
        if f & (DETECTED | ISOLATED) != 0 {
            return;
        }
        let until = day.saturating_add(days);
        if f & QUARANTINED == 0 {
            self.flags[p] |= QUARANTINED;
            let c = self.county(person);
            self.stock[c].quarantined += 1;
            self.today[c].quarantines += 1;
            self.event(day, person, EventKind::Quarantine);
        } else if self.quarantine_until[p] >= until {
            return;
        }
        self.quarantine_until[p] = until;
        self.schedule(until, Pending::Release { person });
        if tests {
            for i in 0..self.scenario.response.quarantine_test_days.len() {
                let offset = self.scenario.response.quarantine_test_days[i];
                if offset <= days {
                    self.schedule(
                        day.saturating_add(offset),
                        Pending::Test {
                            person,
                            route: Route::Quarantine,
                        },
                    );
                }
            }
        }
    }

    /// A testing round over intervention `index`'s area: every community in parallel,
    /// its tested residents pooled in order.
    fn testing_round(&mut self, index: usize, coverage: f64, pool_size: u32, day: u16) {
        let pop = self.pop;
        let seed = self.seed;
        let sensitivity = self.scenario.response.sensitivity;
        let stage = &self.stage;
        let flags = &self.flags;
        let k = pool_size.max(1);
        let per_community: Vec<(u32, u32, Vec<u32>)> = self.areas[index]
            .par_iter()
            .map(|&community| {
                let mut tested = 0u32;
                let mut positives: Vec<(u32, u32)> = Vec::new();
                for &m in pop.communities.group(community) {
                    let f = flags[m as usize];
                    if f & (ISOLATED | DETECTED) != 0
                        || unit(seed, TEST | 1 << 32 | u64::from(day), u64::from(m)) >= coverage
                    {
                        continue;
                    }
                    let pool = tested / k;
                    tested += 1;
                    let s = stage[m as usize];
                    if (PRESYMPTOMATIC..=SEVERE).contains(&s)
                        && unit(seed, TEST | 2 << 32 | u64::from(day), u64::from(m)) < sensitivity
                    {
                        positives.push((m, pool));
                    }
                }
                let mut tubes = tested.div_ceil(k);
                let mut found = Vec::new();
                let mut last_pool = u32::MAX;
                for (m, pool) in positives {
                    if k > 1 {
                        if pool != last_pool {
                            // The pool's members are retested one by one.
                            tubes += k;
                            last_pool = pool;
                        }
                        if unit(seed, TEST | 3 << 32 | u64::from(day), u64::from(m)) >= sensitivity
                        {
                            continue;
                        }
                    }
                    found.push(m);
                }
                (community, tubes, found)
            })
            .collect();
        let r = &self.scenario.response;
        let delay = r.result_delay + if k > 1 { r.pool_retest_delay } else { 0 };
        for (community, tubes, found) in per_community {
            let c = usize::from(pop.community_list[community as usize].county);
            self.today[c].tubes += tubes;
            for person in found {
                self.schedule(
                    day.saturating_add(delay),
                    Pending::Result {
                        person,
                        route: Route::Screening,
                    },
                );
            }
        }
    }

    /// Venue factors, open schools and lockdowns in force on `day`, by community.
    fn masks(&self, day: u16) -> Masks {
        let n = self.pop.community_list.len();
        let mut masks = Masks {
            venue_factor: vec![1.0; n],
            school_open: vec![true; n],
            locked: vec![false; n],
        };
        for (i, intervention) in self.scenario.interventions.iter().enumerate() {
            let within = |start: u16, end: u16| start <= day && day < end;
            match *intervention {
                Intervention::VenueClosure {
                    start_day,
                    end_day,
                    reduction,
                    ..
                } if within(start_day, end_day) => {
                    for &c in &self.areas[i] {
                        masks.venue_factor[c as usize] *= (1.0 - reduction) as f32;
                    }
                }
                Intervention::Lockdown {
                    start_day, end_day, ..
                } if within(start_day, end_day) => {
                    for &c in &self.areas[i] {
                        masks.locked[c as usize] = true;
                    }
                }
                Intervention::SchoolClosure {
                    start_day, end_day, ..
                } if within(start_day, end_day) => {
                    for &c in &self.areas[i] {
                        masks.school_open[c as usize] = false;
                    }
                }
                _ => {}
            }
        }
        masks
    }
}

fn duration_rng(seed: u64, person: u32, stage: u8) -> Rng {
    Rng::new(seed, DURATION | u64::from(stage), u64::from(person))
}

/// The timed transition of `agent`, if due today.
fn advance(ctx: &Ctx<'_>, agent: &mut Agent, out: &mut ChunkOut) {
    if agent.next != ctx.day {
        return;
    }
    let d = &ctx.scenario.disease;
    let draw = |dur: &Duration, stage: u8| {
        ctx.day
            .saturating_add(dur.sample(&mut duration_rng(ctx.seed, agent.person, stage)))
    };
    let (stage, next) = match agent.stage {
        LATENT if agent.symptomatic => (PRESYMPTOMATIC, draw(&d.presymptomatic, PRESYMPTOMATIC)),
        LATENT => (ASYMPTOMATIC, draw(&d.asymptomatic, ASYMPTOMATIC)),
        PRESYMPTOMATIC => (SYMPTOMATIC, draw(&d.symptomatic, SYMPTOMATIC)),
        SYMPTOMATIC if agent.severe => (SEVERE, draw(&d.severe, SEVERE)),
        _ => (RECOVERED, u16::MAX),
    };
    agent.stage = stage;
    agent.next = next;
    out.changes.push((agent.person, stage));
}

/// Whom an infectious `agent` infects today.
fn transmit(ctx: &Ctx<'_>, agent: &Agent, out: &mut ChunkOut) {
    let infectiousness = match agent.stage {
        PRESYMPTOMATIC | SYMPTOMATIC => 1.0,
        ASYMPTOMATIC => ctx.scenario.disease.asymptomatic_infectiousness,
        _ => return,
    };
    let me = agent.person;
    let p = me as usize;
    if ctx.flags[p] & (ISOLATED | QUARANTINED) != 0 || infectiousness <= 0.0 {
        return;
    }
    let pop = ctx.pop;
    let c = &ctx.scenario.contacts;
    let mut rng = Rng::new(ctx.seed, TRANSMIT | u64::from(ctx.day), u64::from(me));
    let community = pop.community[p] as usize;
    let locked = ctx.masks.locked[community];
    let start = out.infections.len();
    clique(
        pop.households.group(pop.household[p]),
        c.household_beta * infectiousness,
        me,
        &mut rng,
        &mut out.infections,
    );
    if !locked {
        if ctx.class[p] != NONE && ctx.masks.school_open[community] {
            let from = out.infections.len();
            clique(
                ctx.classes.group(ctx.class[p]),
                c.school_beta * infectiousness,
                me,
                &mut rng,
                &mut out.infections,
            );
            // Classmates whose own school is closed (by their residence) stay at home.
            let mut kept = from;
            for i in from..out.infections.len() {
                let target = out.infections[i].0;
                if ctx.masks.school_open[pop.community[target as usize] as usize] {
                    out.infections[kept] = out.infections[i];
                    kept += 1;
                }
            }
            out.infections.truncate(kept);
        }
        if ctx.team[p] != NONE {
            clique(
                ctx.teams.group(ctx.team[p]),
                c.workplace_beta * infectiousness,
                me,
                &mut rng,
                &mut out.infections,
            );
        }
        let venue = c.venue_contacts
            * c.venue_beta
            * infectiousness
            * f64::from(ctx.masks.venue_factor[community]);
        if venue > 0.0 {
            let local = pop.communities.group(community as u32);
            let county = pop.counties.group(u32::from(pop.county[p]));
            for _ in 0..rng.poisson(venue) {
                let group = if rng.unit() < c.venue_local_share {
                    local
                } else {
                    county
                };
                let target = group[rng.below(group.len() as u32) as usize];
                out.infections.push((target, me));
            }
        }
    }
    let random = c.random_contacts * c.random_beta * infectiousness;
    if random > 0.0 {
        let n = pop.len() as u32;
        for _ in 0..rng.poisson(random) {
            out.infections.push((rng.below(n), me));
        }
    }
    // Keep the transmissions that reach a susceptible person who is out and about and not
    // protected (susceptibility by age and vaccine doses).
    let mut kept = start;
    for i in start..out.infections.len() {
        let (target, source) = out.infections[i];
        let t = target as usize;
        if target == me
            || ctx.stage[t] != SUSCEPTIBLE
            || ctx.flags[t] & (ISOLATED | QUARANTINED) != 0
        {
            continue;
        }
        let same_household = pop.household[t] == pop.household[p];
        if !same_household {
            let tc = pop.community[t] as usize;
            if ctx.masks.locked[tc] {
                continue;
            }
        }
        let s = ctx.susceptibility[band(pop.age[t])][usize::from(pop.doses[t])];
        if s < 1.0
            && unit(
                ctx.seed,
                ACCEPT | u64::from(ctx.day),
                u64::from(target) << 32 | u64::from(source),
            ) >= s
        {
            continue;
        }
        out.infections[kept] = (target, source);
        kept += 1;
    }
    out.infections.truncate(kept);
}

/// Each member of `members` other than `me` is infected with probability `p`, drawn by
/// geometric skips (one random number per infection).
#[inline]
fn clique(members: &[u32], p: f64, me: u32, rng: &mut Rng, out: &mut Vec<(u32, u32)>) {
    if p <= 0.0 || members.len() <= 1 {
        return;
    }
    if p >= 1.0 {
        out.extend(members.iter().map(|&m| (m, me)));
        return;
    }
    let log_q = (1.0 - p).ln();
    // For p below about 1e-16, 1 - p rounds to 1 and its logarithm to 0: the skips were
    // -inf, nothing was skipped and the walk ran past the end. Such a p infects nobody.
    if log_q >= 0.0 || log_q.is_nan() {
        return;
    }
    let mut i = 0usize;
    loop {
        let skip = rng.open_unit().ln() / log_q;
        if skip >= (members.len() - i) as f64 {
            return;
        }
        i += skip as usize;
        out.push((members[i], me));
        i += 1;
    }
}

fn area_of(i: &Intervention) -> &Area {
    match i {
        Intervention::TestingRound { area, .. }
        | Intervention::VenueClosure { area, .. }
        | Intervention::Lockdown { area, .. }
        | Intervention::SchoolClosure { area, .. } => area,
    }
}

/// The community indexes of an area, in order.
fn resolve_area(pop: &Population, area: &Area) -> Result<Vec<u32>, SimError> {
    let all = 0..pop.community_list.len() as u32;
    match area {
        Area::City => Ok(all.collect()),
        Area::Counties(codes) => {
            let mut wanted = vec![false; pop.county_codes.len()];
            for code in codes {
                let c = pop
                    .county_codes
                    .iter()
                    .position(|k| k == code)
                    .ok_or_else(|| SimError::Scenario(format!("unknown county {code}")))?;
                wanted[c] = true;
            }
            Ok(all
                .filter(|&c| wanted[usize::from(pop.community_list[c as usize].county)])
                .collect())
        }
        Area::Communities(codes) => {
            let mut out = Vec::with_capacity(codes.len());
            for code in codes {
                let c = pop
                    .community_list
                    .iter()
                    .position(|k| &k.code == code)
                    .ok_or_else(|| SimError::Scenario(format!("unknown community {code}")))?;
                out.push(c as u32);
            }
            out.sort_unstable();
            out.dedup();
            Ok(out)
        }
    }
}

/// Splits each group (school or workplace) into subgroups of at most `size`, members
/// sorted by age first when `by_age` (school classes are of one age); returns each
/// person's subgroup and the subgroups' member lists.
fn split_groups(
    pop: &Population,
    groups: &Csr,
    column: &[u32],
    size: u32,
    by_age: bool,
) -> (Vec<u32>, Csr) {
    let size = size.max(1) as usize;
    let mut sub = vec![NONE; column.len()];
    let mut next = 0u32;
    let mut scratch: Vec<u32> = Vec::new();
    for g in 0..groups.len() {
        let members = groups.group(g as u32);
        if members.is_empty() {
            continue;
        }
        scratch.clear();
        scratch.extend_from_slice(members);
        if by_age {
            scratch.sort_by_key(|&m| (pop.age[m as usize], m));
        }
        // Even sizes: n members in ceil(n / size) subgroups.
        let parts = members.len().div_ceil(size);
        for (i, &m) in scratch.iter().enumerate() {
            sub[m as usize] = next + (i * parts / scratch.len()) as u32;
        }
        next += parts as u32;
    }
    let csr = Csr::from_column(&sub);
    (sub, csr)
}
