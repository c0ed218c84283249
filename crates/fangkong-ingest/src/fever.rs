//! Fever-clinic visit lists (CSV or XLSX, one visit per row) and the vocabulary of a visit:
//! symptom keys, dispositions, the temperature range.
//!
//! The same checks serve a visit entered in a form or sent as JSON (the app calls
//! [`parse_symptoms`], [`check_temperature`] and [`Disposition::parse`]), so a value is
//! refused with the same words whichever way it arrives.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use fangkong_domain::NationalId;

use crate::error::{Collector, FileErrors};
use crate::identity::national_id_reason;
use crate::table::read_table_lenient;
use crate::testing::{parse_time, Outcome};

/// The lowest body temperature accepted, in °C (below it the reading is an error).
pub const MIN_TEMPERATURE: f64 = 34.0;
/// The highest body temperature accepted, in °C.
pub const MAX_TEMPERATURE: f64 = 43.0;

/// A symptom of the fixed list (症状).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Symptom {
    Cough,
    SoreThroat,
    Fatigue,
    LossOfTasteSmell,
    Diarrhoea,
    RunnyNose,
    MuscleAche,
    ShortnessOfBreath,
}

impl Symptom {
    /// Every symptom, in the order they are listed and stored.
    pub const ALL: [Symptom; 8] = [
        Symptom::Cough,
        Symptom::SoreThroat,
        Symptom::Fatigue,
        Symptom::LossOfTasteSmell,
        Symptom::Diarrhoea,
        Symptom::RunnyNose,
        Symptom::MuscleAche,
        Symptom::ShortnessOfBreath,
    ];

    /// The stable key.
    pub fn as_str(self) -> &'static str {
        match self {
            Symptom::Cough => "cough",
            Symptom::SoreThroat => "sore_throat",
            Symptom::Fatigue => "fatigue",
            Symptom::LossOfTasteSmell => "loss_of_taste_smell",
            Symptom::Diarrhoea => "diarrhoea",
            Symptom::RunnyNose => "runny_nose",
            Symptom::MuscleAche => "muscle_ache",
            Symptom::ShortnessOfBreath => "shortness_of_breath",
        }
    }

    /// The Chinese name, also accepted in files.
    pub fn name_zh(self) -> &'static str {
        match self {
            Symptom::Cough => "咳嗽",
            Symptom::SoreThroat => "咽痛",
            Symptom::Fatigue => "乏力",
            Symptom::LossOfTasteSmell => "嗅觉味觉减退",
            Symptom::Diarrhoea => "腹泻",
            Symptom::RunnyNose => "流涕",
            Symptom::MuscleAche => "肌肉酸痛",
            Symptom::ShortnessOfBreath => "呼吸困难",
        }
    }

    /// Parses a key (any case) or a Chinese name.
    pub fn parse(text: &str) -> Option<Symptom> {
        let text = text.trim();
        Symptom::ALL
            .into_iter()
            .find(|s| text.eq_ignore_ascii_case(s.as_str()) || text == s.name_zh())
    }

    /// The keys, comma-separated, for messages.
    pub fn keys() -> String {
        Symptom::ALL.map(Symptom::as_str).join(", ")
    }
}

/// Where a fever-clinic patient goes after the visit (处置).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Disposition {
    DischargedHome,
    HomeMonitoring,
    HomeQuarantine,
    Admitted,
    TransferredDesignatedHospital,
}

impl Disposition {
    /// Every disposition.
    pub const ALL: [Disposition; 5] = [
        Disposition::DischargedHome,
        Disposition::HomeMonitoring,
        Disposition::HomeQuarantine,
        Disposition::Admitted,
        Disposition::TransferredDesignatedHospital,
    ];

    /// The stable key.
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::DischargedHome => "discharged_home",
            Disposition::HomeMonitoring => "home_monitoring",
            Disposition::HomeQuarantine => "home_quarantine",
            Disposition::Admitted => "admitted",
            Disposition::TransferredDesignatedHospital => "transferred_designated_hospital",
        }
    }

    /// The Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            Disposition::DischargedHome => "离院回家",
            Disposition::HomeMonitoring => "居家健康监测",
            Disposition::HomeQuarantine => "居家隔离",
            Disposition::Admitted => "收治入院",
            Disposition::TransferredDesignatedHospital => "转运定点医院",
        }
    }

    /// Parses a key (any case) or a Chinese name.
    pub fn parse(text: &str) -> Option<Disposition> {
        let text = text.trim();
        Disposition::ALL
            .into_iter()
            .find(|d| text.eq_ignore_ascii_case(d.as_str()) || text == d.name_zh())
    }

    /// The keys, comma-separated, for messages.
    pub fn keys() -> String {
        Disposition::ALL.map(Disposition::as_str).join(", ")
    }

    /// Whether the disposition answers a positive result: the patient is admitted or
    /// transferred to a designated hospital.
    pub fn answers_positive(self) -> bool {
        matches!(
            self,
            Disposition::Admitted | Disposition::TransferredDesignatedHospital
        )
    }
}

/// The reason a temperature is refused, if it is.
pub fn check_temperature(celsius: f64) -> Option<String> {
    (!(MIN_TEMPERATURE..=MAX_TEMPERATURE).contains(&celsius))
        .then(|| format!("must be between {MIN_TEMPERATURE:.0} and {MAX_TEMPERATURE:.0} °C"))
}

/// Parses a list of symptoms separated by commas, semicolons, `|`, `、` or spaces, keys or
/// Chinese names; the result is in the order of [`Symptom::ALL`], without repeats.
///
/// # Errors
/// The first unknown symptom, as a reason.
pub fn parse_symptoms<'a>(
    items: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<Symptom>, String> {
    let mut out = Vec::new();
    for item in items {
        for part in item
            .split([',', ';', '|', '、', '，', '；', ' '])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let symptom = Symptom::parse(part).ok_or_else(|| {
                format!(
                    "unknown symptom '{part}'; expected one of {}",
                    Symptom::keys()
                )
            })?;
            out.push(symptom);
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Parses a yes/no flag: `yes`/`no`, `true`/`false`, `1`/`0`, `是`/`否`, `有`/`无`; empty is no.
pub fn parse_flag(text: &str) -> Option<bool> {
    let t = text.trim();
    let is = |s: &str| t.eq_ignore_ascii_case(s);
    if t.is_empty() || is("no") || is("false") || is("n") || t == "0" || t == "否" || t == "无" {
        Some(false)
    } else if is("yes") || is("true") || is("y") || t == "1" || t == "是" || t == "有" {
        Some(true)
    } else {
        None
    }
}

/// Why an ID number is refused, without quoting any part of it.
pub fn id_number_reason(e: &fangkong_domain::NationalIdError) -> String {
    national_id_reason(e)
}

/// A result recorded directly with a visit.
#[derive(Debug, Clone, PartialEq)]
pub struct DirectResult {
    pub outcome: Outcome,
    pub at: DateTime<Utc>,
    pub lab: String,
}

/// One visit of a list, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct FeverVisitRecord {
    pub line: u64,
    /// The clinic's facility id.
    pub clinic_id: i64,
    pub id_number: NationalId,
    pub visit_at: DateTime<Utc>,
    pub temperature: f64,
    pub symptoms: Vec<Symptom>,
    pub epi_history: bool,
    pub tube_code: Option<String>,
    pub result: Option<DirectResult>,
}

/// Parses a fever-clinic visit list; all or nothing.
///
/// Columns: `clinic_id` (the facility id of the fever clinic), `id_number`, `visit_at`
/// (`YYYY-MM-DD HH:MM` China Standard Time, or RFC 3339), `temperature` (°C, 34 to 43);
/// optionally `symptoms` (keys or Chinese names, separated by `;`, `|`, `、` or spaces),
/// `epi_history` (yes/no, 是/否), `tube_code`, and a direct result: `result`
/// (negative/positive/inconclusive, 阴性/阳性/可疑) with `result_at` and `lab`. The same
/// clinic, person and visit time twice is an error naming the first line.
///
/// # Errors
/// Every bad value of every row and every structural error of [`crate::read_table`]; no
/// reason quotes an ID number.
///
/// # Examples
/// ```
/// let csv = "clinic_id,id_number,visit_at,temperature,symptoms\n\
///            7,11010519491231002X,2026-11-30 08:00,38.2,cough;fatigue\n";
/// let visits = fangkong_ingest::fever::parse_fever_visits("v.csv", csv.as_bytes()).unwrap();
/// assert_eq!(visits[0].symptoms.len(), 2);
/// ```
pub fn parse_fever_visits(
    file_name: &str,
    bytes: &[u8],
) -> Result<Vec<FeverVisitRecord>, FileErrors> {
    let (table, structural) = read_table_lenient(file_name, bytes)?;
    table.require(&["clinic_id", "id_number", "visit_at", "temperature"])?;
    let mut errors = Collector::new(file_name);
    errors.extend(structural);
    let mut seen: HashMap<(i64, String, i64), u64> = HashMap::new();
    let mut records = Vec::with_capacity(table.len());
    for row in table.rows() {
        let line = row.line();
        let before = errors.len();
        let clinic_id = match row.value("clinic_id").map(str::parse::<i64>) {
            None => {
                errors.push(line, "clinic_id", "is required");
                None
            }
            Some(Ok(id)) if id > 0 => Some(id),
            Some(_) => {
                errors.push(line, "clinic_id", "must be a facility id (a whole number)");
                None
            }
        };
        let id_number = match row.value("id_number").map(NationalId::parse) {
            None => {
                errors.push(line, "id_number", "is required");
                None
            }
            Some(Err(e)) => {
                errors.push(line, "id_number", national_id_reason(&e));
                None
            }
            Some(Ok(id)) => Some(id),
        };
        let mut time = |field: &str, required: bool| match row.value(field) {
            None => {
                if required {
                    errors.push(line, field, "is required");
                }
                None
            }
            Some(text) => match parse_time(text) {
                Ok(t) => Some(t),
                Err(e) => {
                    errors.push(line, field, e.to_string());
                    None
                }
            },
        };
        let visit_at = time("visit_at", true);
        let result_at = time("result_at", false);
        let temperature = match row.value("temperature").map(str::parse::<f64>) {
            None => {
                errors.push(line, "temperature", "is required");
                None
            }
            Some(Ok(t)) if t.is_finite() => match check_temperature(t) {
                Some(reason) => {
                    errors.push(line, "temperature", reason);
                    None
                }
                None => Some(t),
            },
            Some(_) => {
                errors.push(line, "temperature", "must be a number of °C");
                None
            }
        };
        let symptoms = match parse_symptoms(row.value("symptoms")) {
            Ok(s) => s,
            Err(reason) => {
                errors.push(line, "symptoms", reason);
                Vec::new()
            }
        };
        let epi_history = parse_flag(row.value("epi_history").unwrap_or("")).unwrap_or_else(|| {
            errors.push(line, "epi_history", "expected yes or no");
            false
        });
        let tube_code = row.value("tube_code").map(str::to_string);
        let lab = row.value("lab");
        let result = match row.value("result") {
            None => {
                if result_at.is_some() || lab.is_some() {
                    errors.push(line, "result", "is required with result_at or lab");
                }
                None
            }
            Some(text) => {
                let outcome = Outcome::parse(text);
                if outcome.is_none() {
                    errors.push(
                        line,
                        "result",
                        "unknown result; expected negative, positive or inconclusive",
                    );
                }
                if row.value("result_at").is_none() {
                    errors.push(line, "result_at", "is required with a result");
                }
                if lab.is_none() {
                    errors.push(line, "lab", "is required with a result");
                }
                match (outcome, result_at, lab) {
                    (Some(outcome), Some(at), Some(lab)) => Some(DirectResult {
                        outcome,
                        at,
                        lab: lab.to_string(),
                    }),
                    _ => None,
                }
            }
        };
        if errors.len() > before {
            continue;
        }
        let (Some(clinic_id), Some(id_number), Some(visit_at), Some(temperature)) =
            (clinic_id, id_number, visit_at, temperature)
        else {
            continue;
        };
        let key = (
            clinic_id,
            id_number.as_str().to_string(),
            visit_at.timestamp_millis(),
        );
        if let Some(first) = seen.get(&key) {
            errors.push(
                line,
                "visit_at",
                format!("the same person's visit to this clinic at this time is on line {first}"),
            );
            continue;
        }
        seen.insert(key, line);
        records.push(FeverVisitRecord {
            line,
            clinic_id,
            id_number,
            visit_at,
            temperature,
            symptoms,
            epi_history,
            tube_code,
            result,
        });
    }
    errors.finish(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_value_is_named_and_nothing_is_returned() {
        let id = "11010519491231002X";
        let csv = format!(
            "clinic_id,id_number,visit_at,temperature,symptoms,epi_history,tube_code,result,result_at,lab\n\
             7,{id},2026-11-30 08:00,38.2,咳嗽;fatigue,是,F1,,,\n\
             x,110105194912310021,2026-11-30T08:00,44,sneezing,maybe,,purple,,\n\
             7,{id},2026-11-30 08:00,37.5,,,,,,\n\
             7,{id},2026-11-30 09:00,37.5,,,,阴性,2026-11-30 10:00,L1\n"
        );
        let errors = parse_fever_visits("visits.csv", csv.as_bytes()).unwrap_err();
        expect_test::expect![[r#"
            visits.csv:3: clinic_id: must be a facility id (a whole number)
            visits.csv:3: id_number: check digit is 1, expected X
            visits.csv:3: visit_at: a time written with T needs an offset such as +08:00 or Z
            visits.csv:3: temperature: must be between 34 and 43 °C
            visits.csv:3: symptoms: unknown symptom 'sneezing'; expected one of cough, sore_throat, fatigue, loss_of_taste_smell, diarrhoea, runny_nose, muscle_ache, shortness_of_breath
            visits.csv:3: epi_history: expected yes or no
            visits.csv:3: result: unknown result; expected negative, positive or inconclusive
            visits.csv:3: result_at: is required with a result
            visits.csv:3: lab: is required with a result
            visits.csv:4: visit_at: the same person's visit to this clinic at this time is on line 2"#]]
        .assert_eq(&errors.to_string());
        assert!(!errors.to_string().contains(id));
        let good: String = csv
            .lines()
            .enumerate()
            .filter(|(i, _)| [0, 1, 4].contains(i))
            .map(|(_, l)| format!("{l}\n"))
            .collect();
        let visits = parse_fever_visits("visits.csv", good.as_bytes()).unwrap();
        assert_eq!(visits.len(), 2);
        assert_eq!(visits[0].symptoms, vec![Symptom::Cough, Symptom::Fatigue]);
        assert!(visits[0].epi_history);
        assert_eq!(visits[0].tube_code.as_deref(), Some("F1"));
        assert_eq!(
            visits[1]
                .result
                .as_ref()
                .map(|r| (r.outcome, r.lab.as_str())),
            Some((Outcome::Negative, "L1"))
        );
    }

    #[test]
    fn vocabulary_round_trips() {
        for s in Symptom::ALL {
            assert_eq!(Symptom::parse(s.as_str()), Some(s));
            assert_eq!(Symptom::parse(s.name_zh()), Some(s));
        }
        for d in Disposition::ALL {
            assert_eq!(Disposition::parse(d.as_str()), Some(d));
            assert_eq!(Disposition::parse(d.name_zh()), Some(d));
        }
        assert_eq!(check_temperature(34.0), None);
        assert_eq!(check_temperature(43.0), None);
        assert!(check_temperature(33.9).is_some());
    }
}
