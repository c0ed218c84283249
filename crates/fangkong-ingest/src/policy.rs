//! Control-measure policy files (TOML) into a validated [`Policy`].
//!
//! A policy file holds one version: `version`, `effective_from` (a date), and `[[rules]]` in
//! order, each with `id`, `title` (Chinese), `title_en`, an optional `[rules.when]` table of
//! conditions and a `[rules.measure]` table. `docs/policy.md` describes the format and the
//! default policy. Unknown keys are errors, so a misspelt condition cannot silently widen a
//! rule.
//!
//! Every problem is reported at once, each with the line of the rule it is in and the field:
//! `inbound.toml:42: rules.high-risk.measure.stages[0].days: must be between 1 and 60`.

use std::ops::Range;

use chrono::NaiveDate;
use fangkong_domain::policy::{
    AreaRisk, Conditions, ContactType, Measure, Pocket, Policy, Rule, Stage, StageKind, Vaccination,
};
use serde::Deserialize;

use crate::error::{FileErrors, RowError, FILE_FIELD};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    version: String,
    effective_from: String,
    /// A description of the version, for people; not used in classification.
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    #[serde(default)]
    rules: Vec<toml::Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    #[serde(default)]
    id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    title_en: String,
    #[serde(default)]
    when: RawConditions,
    #[serde(default)]
    measure: RawMeasure,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConditions {
    #[serde(default)]
    pocket: Vec<String>,
    #[serde(default)]
    origin_risk: Vec<String>,
    #[serde(default)]
    max_days_since_left: Option<u32>,
    #[serde(default)]
    contact: Vec<String>,
    #[serde(default)]
    vaccination: Vec<String>,
    #[serde(default)]
    occupation: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawMeasure {
    #[serde(default)]
    stages: Vec<RawStage>,
    #[serde(default)]
    test_days: Vec<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStage {
    kind: String,
    days: u32,
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> u64 {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count() as u64
        + 1
}

/// The reason of a TOML error. `message()` is empty for some syntax errors (a control
/// character in a line, for one); their description is then the last line of the display,
/// below the quoted line and its caret.
fn toml_reason(e: &toml::de::Error) -> String {
    let message = e.message().trim();
    if !message.is_empty() {
        return message.to_string();
    }
    let shown = e.to_string();
    shown
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('|') && !l.contains(" | "))
        .filter(|l| !l.starts_with("TOML parse error"))
        .unwrap_or("not valid toml")
        .to_string()
}

/// Parses and validates a policy file; all or nothing.
///
/// # Errors
/// A syntax error or unknown key (one error at its line), else every value and rule problem,
/// each at the line of its rule (the policy's own fields at line 1).
pub fn parse_policy(file_name: &str, text: &str) -> Result<Policy, FileErrors> {
    let raw: RawPolicy = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(0, |s: Range<usize>| line_of(text, s.start));
        let reason = toml_reason(&e);
        FileErrors {
            file: file_name.to_string(),
            errors: vec![RowError::new(line, FILE_FIELD, reason)],
        }
    })?;
    let mut errors: Vec<RowError> = Vec::new();
    let effective_from = NaiveDate::parse_from_str(raw.effective_from.trim(), "%Y-%m-%d")
        .map_err(|_| {
            errors.push(RowError::new(
                1,
                "effective_from",
                "must be a date written YYYY-MM-DD",
            ));
        })
        .ok();
    let mut rules = Vec::with_capacity(raw.rules.len());
    let mut lines = Vec::with_capacity(raw.rules.len());
    for spanned in raw.rules {
        let line = line_of(text, spanned.span().start);
        let raw = spanned.into_inner();
        let label = if raw.id.is_empty() {
            format!("rules[{}]", rules.len() + 1)
        } else {
            format!("rules.{}", raw.id)
        };
        let mut bad = |field: &str, reason: String| {
            errors.push(RowError::new(line, format!("{label}.{field}"), reason));
        };
        macro_rules! keys {
            ($ty:ty, $values:expr, $field:literal) => {
                $values
                    .iter()
                    .filter_map(|v| {
                        let parsed = <$ty>::parse(v.trim());
                        if parsed.is_none() {
                            bad(
                                $field,
                                format!("unknown value '{v}'; expected one of {}", <$ty>::keys()),
                            );
                        }
                        parsed
                    })
                    .collect::<Vec<$ty>>()
            };
        }
        let when = Conditions {
            pockets: keys!(Pocket, raw.when.pocket, "when.pocket"),
            origin_risk: keys!(AreaRisk, raw.when.origin_risk, "when.origin_risk"),
            max_days_since_left: raw.when.max_days_since_left,
            contact: keys!(ContactType, raw.when.contact, "when.contact"),
            vaccination: keys!(Vaccination, raw.when.vaccination, "when.vaccination"),
            occupations: raw.when.occupation.clone(),
        };
        let mut stages = Vec::with_capacity(raw.measure.stages.len());
        for (k, stage) in raw.measure.stages.iter().enumerate() {
            let kind = StageKind::parse(stage.kind.trim()).unwrap_or_else(|| {
                bad(
                    &format!("measure.stages[{k}].kind"),
                    format!(
                        "unknown value '{}'; expected one of {}",
                        stage.kind,
                        StageKind::keys()
                    ),
                );
                // A stand-in keeps the stages' positions for the checks that follow; the
                // error above already refuses the file.
                StageKind::HealthMonitoring
            });
            stages.push(Stage {
                kind,
                days: stage.days,
            });
        }
        rules.push(Rule {
            id: raw.id,
            title_zh: raw.title,
            title_en: raw.title_en,
            when,
            measure: Measure {
                stages,
                test_days: raw.measure.test_days,
            },
        });
        lines.push(line);
    }
    let policy = Policy::new(
        &raw.version,
        effective_from.unwrap_or_default(),
        rules.clone(),
    );
    match policy {
        Ok(policy) if errors.is_empty() => return Ok(policy),
        Ok(_) => {}
        Err(found) => {
            for e in found {
                let (line, field) = match e.rule_index {
                    None => (1, e.field),
                    Some(k) => {
                        let label = match rules.get(k).map(|r| r.id.as_str()) {
                            Some(id) if !id.is_empty() => format!("rules.{id}"),
                            _ => format!("rules[{}]", k + 1),
                        };
                        (
                            lines.get(k).copied().unwrap_or(1),
                            format!("{label}.{}", e.field),
                        )
                    }
                };
                errors.push(RowError::new(line, field, e.reason));
            }
        }
    }
    errors.sort_by_key(|e| e.line);
    Err(FileErrors {
        file: file_name.to_string(),
        errors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use fangkong_domain::policy::Facts;

    const GOOD: &str = r#"
version = "2022-06"
effective_from = "2022-06-28"

[[rules]]
id = "close-contact"
title = "密切接触者"
title_en = "Close contacts"
when = { contact = ["close"] }
measure = { stages = [{ kind = "centralised_quarantine", days = 7 }], test_days = [1, 2, 3, 5, 7] }

[[rules]]
id = "other"
title = "其他"
title_en = "Everyone else"
"#;

    #[test]
    fn a_good_file_gives_the_policy() {
        let policy = parse_policy("p.toml", GOOD).unwrap();
        assert_eq!(policy.version(), "2022-06");
        assert_eq!(policy.rules().len(), 2);
        let got = policy.classify(&Facts {
            contact: Some(ContactType::Close),
            ..Facts::pocket(Pocket::Domestic)
        });
        assert_eq!(
            got.measure.text_zh(),
            "集中隔离7天，第1、2、3、5、7天核酸检测"
        );
    }

    #[test]
    fn every_problem_is_named_with_its_line_rule_and_field() {
        let bad = r#"
version = "x"
effective_from = "2022-13-01"

[[rules]]
id = "close-contact"
title = "密切接触者"
title_en = "Close contacts"
when = { contact = ["closest"], pocket = ["fever"] }
measure = { stages = [{ kind = "hotel", days = 7 }, { kind = "home_quarantine", days = 99 }], test_days = [1] }

[[rules]]
id = "other"
title = "其他"
title_en = "Everyone else"
when = { pocket = ["international"] }
"#;
        let errors = parse_policy("p.toml", bad).unwrap_err();
        expect_test::expect![[r#"
            p.toml:1: effective_from: must be a date written YYYY-MM-DD
            p.toml:5: rules.close-contact.when.contact: unknown value 'closest'; expected one of close, secondary, space_time
            p.toml:5: rules.close-contact.measure.stages[0].kind: unknown value 'hotel'; expected one of centralised_quarantine, home_quarantine, health_monitoring
            p.toml:5: rules.close-contact.measure.stages[1].days: must be between 1 and 60
            p.toml:12: rules.other.when: the last rule must have no conditions, so that everyone is classified"#]]
        .assert_eq(&errors.to_string());
    }

    #[test]
    fn syntax_errors_and_unknown_keys_point_at_their_line() {
        let misspelt = GOOD.replace("test_days", "test_dayz");
        let errors = parse_policy("p.toml", &misspelt).unwrap_err();
        assert_eq!(errors.errors.len(), 1);
        assert_eq!(errors.errors[0].line, 10);
        assert!(errors.errors[0]
            .reason
            .contains("unknown field `test_dayz`"));
        let broken = "version = \"x\"\neffective_from = \n";
        let errors = parse_policy("p.toml", broken).unwrap_err();
        assert_eq!(errors.errors[0].line, 2);
    }
}
