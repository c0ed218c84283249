//! Drill scenario files: what a drill simulates, as TOML (see `scenarios/` and
//! `docs/drills.md`).
//!
//! A file names the drill, the synthetic city it runs over (size and seed), how long it lasts,
//! where the outbreak starts (the seeding: a cold-chain warehouse, a school, travellers, or
//! random residents) and, under `[simulation]`, a [`Scenario`] that changes only what it names
//! of the Omicron-like defaults.
//!
//! What it must not do: read the file itself (the caller gives its name and text), or panic on
//! any input: every bad file is an error naming the file, the line and the field.

use serde::{Deserialize, Serialize};

use crate::Scenario;

/// Where the first infections are placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Setting {
    /// Workers of one cold-chain warehouse (an imported case from contaminated goods).
    ColdChain,
    /// Pupils of one school.
    School,
    /// Residents returning from a risk area, spread over several counties (they enter the
    /// sandbox as a traveller list).
    Travel,
    /// Residents drawn at random.
    Community,
}

impl Setting {
    /// The key used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Setting::ColdChain => "cold_chain",
            Setting::School => "school",
            Setting::Travel => "travel",
            Setting::Community => "community",
        }
    }
}

/// How the outbreak starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seeding {
    pub setting: Setting,
    /// People infected on day 0.
    pub cases: u32,
    /// Counties (6-digit codes) the seeds live in; empty: every county. A cold-chain or
    /// school seeding takes the largest warehouse or school among their residents.
    #[serde(default)]
    pub counties: Vec<String>,
}

/// The response standards a drill is scored against (hours).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Standards {
    /// Detection within this many hours of symptom onset.
    pub detection_hours: f64,
    /// Report within this many hours of detection (China's direct network report: 2 h).
    pub report_hours: f64,
    /// Isolation within this many hours of the report.
    pub isolation_hours: f64,
    /// A case's itinerary and its contacts under control within this many hours of the report.
    pub tracing_hours: f64,
    /// Admission within this many hours of the report, for cases admitted.
    pub treatment_hours: f64,
}

impl Default for Standards {
    fn default() -> Self {
        Standards {
            detection_hours: 48.0,
            report_hours: 2.0,
            isolation_hours: 24.0,
            tracing_hours: 24.0,
            treatment_hours: 24.0,
        }
    }
}

/// One drill scenario file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrillScenario {
    /// Short identifier, `[a-z0-9-]`.
    pub name: String,
    /// Title in Chinese, shown on the report.
    pub title: String,
    /// Title in English.
    pub title_en: String,
    #[serde(default)]
    pub description: String,
    /// The simulation's seed (the city's seed is `city_seed`).
    pub seed: u64,
    /// Days simulated, 1 to 120.
    pub days: u16,
    /// Residents of the sandbox city, 500 to 2 000 000.
    pub population: u64,
    /// Seed of the synthetic city.
    #[serde(default = "default_city_seed")]
    pub city_seed: u64,
    pub seeding: Seeding,
    #[serde(default)]
    pub standards: Standards,
    /// The disease, contacts, routine response and interventions; defaults for all it omits.
    #[serde(default)]
    pub simulation: Scenario,
}

fn default_city_seed() -> u64 {
    2026
}

/// A scenario file that cannot be used: `file:line: field: reason`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {field}: {reason}")]
pub struct ScenarioFileError {
    pub file: String,
    /// 1-based; the line of the value at fault, or of its table.
    pub line: u64,
    /// The dotted path of the field, e.g. `seeding.cases`.
    pub field: String,
    pub reason: String,
}

/// Parses and validates a drill scenario file.
///
/// # Errors
/// The first problem: a syntax error, an unknown or missing key, a value of the wrong type,
/// or a value out of range, each naming its line and field.
pub fn parse_scenario(file: &str, text: &str) -> Result<DrillScenario, ScenarioFileError> {
    let err = |line: u64, field: String, reason: String| ScenarioFileError {
        file: file.to_string(),
        line,
        field,
        reason,
    };
    let scenario: DrillScenario = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        let (line, field) = locate(text, offset, e.message());
        err(line, field, e.message().to_string())
    })?;
    if let Some((field, reason)) = check(&scenario) {
        return Err(err(line_of_field(text, &field), field, reason));
    }
    Ok(scenario)
}

/// The first value out of range, as `(field, reason)`.
fn check(s: &DrillScenario) -> Option<(String, String)> {
    let bad = |f: &str, r: &str| Some((f.to_string(), r.to_string()));
    if s.name.is_empty()
        || s.name.len() > 64
        || !s
            .name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return bad("name", "use 1 to 64 characters of a-z, 0-9 and -");
    }
    if s.title.trim().is_empty() {
        return bad("title", "must not be empty");
    }
    if s.title_en.trim().is_empty() {
        return bad("title_en", "must not be empty");
    }
    if !(1..=120).contains(&s.days) {
        return bad("days", "must be 1 to 120");
    }
    if !(500..=2_000_000).contains(&s.population) {
        return bad("population", "must be 500 to 2000000");
    }
    if s.seeding.cases == 0 || u64::from(s.seeding.cases) > s.population / 10 {
        return bad(
            "seeding.cases",
            "must be at least 1 and at most a tenth of the population",
        );
    }
    if let Some(c) = s
        .seeding
        .counties
        .iter()
        .find(|c| c.len() != 6 || !c.bytes().all(|b| b.is_ascii_digit()))
    {
        return Some((
            "seeding.counties".into(),
            format!("{c:?} is not a 6-digit county code"),
        ));
    }
    let st = &s.standards;
    for (f, v) in [
        ("standards.detection_hours", st.detection_hours),
        ("standards.report_hours", st.report_hours),
        ("standards.isolation_hours", st.isolation_hours),
        ("standards.tracing_hours", st.tracing_hours),
        ("standards.treatment_hours", st.treatment_hours),
    ] {
        if !(v > 0.0 && v <= 24.0 * 30.0) {
            return bad(f, "must be more than 0 and at most 720 hours");
        }
    }
    if let Err(crate::SimError::Scenario(m) | crate::SimError::Population(m)) =
        s.simulation.validate()
    {
        let field = m.split(' ').next().unwrap_or_default();
        return Some((format!("simulation.{field}"), m.clone()));
    }
    for i in &s.simulation.interventions {
        let (start, end) = match i {
            crate::Intervention::TestingRound { day, .. } => (*day, day.saturating_add(1)),
            crate::Intervention::VenueClosure {
                start_day, end_day, ..
            }
            | crate::Intervention::Lockdown {
                start_day, end_day, ..
            }
            | crate::Intervention::SchoolClosure {
                start_day, end_day, ..
            } => (*start_day, *end_day),
        };
        if start >= end {
            return bad(
                "simulation.interventions.end_day",
                "must be after start_day",
            );
        }
    }
    None
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> u64 {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count() as u64
        + 1
}

/// The line and dotted field an error at `offset` is about: the key on that line (within
/// the table opened last above it), or the key a "missing field" or "unknown field"
/// message names.
fn locate(text: &str, offset: usize, message: &str) -> (u64, String) {
    let line = line_of(text, offset);
    let mut table = String::new();
    let mut key = None;
    for (i, l) in text.lines().enumerate() {
        let n = i as u64 + 1;
        if n > line {
            break;
        }
        let t = l.trim();
        if t.starts_with('[') {
            table = t
                .trim_start_matches('[')
                .trim_end_matches(']')
                .trim()
                .to_string();
        }
        if n == line {
            if let Some((k, _)) = t.split_once('=') {
                if !t.starts_with('[') && !t.starts_with('#') {
                    key = Some(k.trim().trim_matches('"').to_string());
                }
            }
        }
    }
    // "unknown field `x`, expected ..." and "missing field `x`" name the key themselves.
    let named = message
        .split('`')
        .nth(1)
        .filter(|_| message.contains("field `"))
        .map(str::to_string);
    let key = named.or(key);
    let field = match (table.is_empty(), key) {
        (_, None) if table.is_empty() => "file".to_string(),
        (_, None) => table,
        (true, Some(k)) => k,
        (false, Some(k)) => format!("{table}.{k}"),
    };
    (line, field)
}

/// The line where a dotted field is written (its last key on a line after its table), else 1.
fn line_of_field(text: &str, field: &str) -> u64 {
    let (table, key) = field.rsplit_once('.').unwrap_or(("", field));
    let mut current = String::new();
    for (i, l) in text.lines().enumerate() {
        let t = l.trim();
        if t.starts_with('#') {
            continue;
        }
        if t.starts_with('[') {
            current = t.trim_matches(|c| c == '[' || c == ']').trim().to_string();
            continue;
        }
        if let Some((k, _)) = t.split_once('=') {
            let k = k.trim();
            let here = if current.is_empty() {
                k.to_string()
            } else {
                format!("{current}.{k}")
            };
            if here == field || (k == key && (current == table || table.is_empty())) {
                return i as u64 + 1;
            }
        }
    }
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
name = "school"
title = "学校聚集性疫情"
title_en = "School cluster"
seed = 11
days = 30
population = 3000

[seeding]
setting = "school"
cases = 3

[standards]
report_hours = 2
"#;

    #[test]
    fn a_good_file_parses_with_defaults() {
        let s = parse_scenario("school.toml", GOOD).unwrap();
        assert_eq!(s.seeding.setting, Setting::School);
        assert_eq!(s.seeding.cases, 3);
        assert_eq!(s.city_seed, 2026);
        assert_eq!(s.standards.isolation_hours, 24.0);
        assert_eq!(s.simulation, Scenario::default());
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let e =
            parse_scenario("s.toml", &GOOD.replace("cases = 3", "cases = \"three\"")).unwrap_err();
        assert_eq!(e.to_string().split(": ").next(), Some("s.toml:11"));
        assert_eq!(e.field, "seeding.cases");
        let e = parse_scenario("s.toml", &GOOD.replace("days = 30", "days = 0")).unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (6, "days"));
        let e = parse_scenario("s.toml", &GOOD.replace("seed = 11\n", "")).unwrap_err();
        assert_eq!(e.field, "seed");
        let e = parse_scenario(
            "s.toml",
            &GOOD.replace("cases = 3", "cases = 3\ncolour = 1"),
        )
        .unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (12, "seeding.colour"));
        let e = parse_scenario(
            "s.toml",
            &format!("{GOOD}\n[simulation.response]\nsensitivity = 1.5\n"),
        )
        .unwrap_err();
        assert_eq!(e.field, "simulation.response.sensitivity");
        assert_eq!(e.line, 17);
    }
}
