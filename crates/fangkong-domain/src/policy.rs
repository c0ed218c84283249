//! The control-measure policy as data: which measure an inbound person gets.
//!
//! A [`Policy`] is a version with an effective date and an ordered list of [`Rule`]s. Each rule
//! has conditions on the facts about a person ([`Facts`]: pocket, risk level of the origin, days
//! since leaving it, contact type, vaccination, occupation) and the [`Measure`] it assigns:
//! stages of centralised quarantine, home quarantine or health monitoring, and the days a test
//! is due. The first rule whose conditions all hold decides, and the classification carries an
//! [`Explanation`] of why, in Chinese and in English.
//!
//! A policy is validated when it is built ([`Policy::new`]): every problem is reported with
//! the rule and the field it is in, and a policy that is not valid does not exist. The last
//! rule must have no conditions, so everyone is classified.
//!
//! What it must not do: read files (the ingest crate parses policy files) or the clock (the
//! caller says which day it is).

use std::fmt;

use chrono::NaiveDate;

/// Longest stage of a measure, in days.
pub const MAX_STAGE_DAYS: u32 = 60;

/// The four pockets (四个口袋) of inbound control, and traced contacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pocket {
    /// International arrivals (入境人员).
    International,
    /// Arrivals and returnees from domestic risk areas (来驻返驻人员).
    Domestic,
    /// People exposed through imported cold-chain goods (进口冷链).
    ColdChain,
    /// Fever-clinic patients (发热病人).
    Fever,
    /// Contacts found by tracing a case (流调密接人员): close, secondary or space-time
    /// contacts confirmed by an investigator. Not one of the four pockets, but their measures
    /// run through the same closed loop.
    Contact,
}

/// Risk designation of an area: the three-level scheme (高/中/低风险区) or the zones of the later
/// scheme (封控区/管控区/防范区).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AreaRisk {
    High,
    Medium,
    Low,
    Sealed,
    Controlled,
    Precaution,
}

impl AreaRisk {
    /// How strict the designation is: 3 for high risk and sealed zones, 2 for medium risk
    /// and controlled zones, 1 for low risk and precaution zones. An area under several
    /// designations (a county and a community in it) counts as its strictest.
    pub fn severity(self) -> u8 {
        match self {
            AreaRisk::High | AreaRisk::Sealed => 3,
            AreaRisk::Medium | AreaRisk::Controlled => 2,
            AreaRisk::Low | AreaRisk::Precaution => 1,
        }
    }
}

/// How a person is linked to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContactType {
    /// Close contact (密切接触者).
    Close,
    /// Contact of a close contact (密接的密接).
    Secondary,
    /// Same place and time as a case, by itinerary (时空伴随).
    SpaceTime,
}

/// Vaccination status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Vaccination {
    Unvaccinated,
    Partial,
    Full,
    Booster,
}

/// Kind of a stage of a control measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StageKind {
    /// Centralised quarantine at a designated site (集中隔离).
    CentralisedQuarantine,
    /// Home quarantine (居家隔离).
    HomeQuarantine,
    /// Health monitoring, going out allowed (健康监测).
    HealthMonitoring,
}

names!(Pocket {
    International => "international", "入境人员", "international arrival";
    Domestic => "domestic", "来驻返驻人员", "arrival from a domestic risk area";
    ColdChain => "cold_chain", "进口冷链相关人员", "imported cold-chain exposure";
    Fever => "fever", "发热病人", "fever patient";
    Contact => "contact", "流调密接人员", "traced contact";
});
names!(AreaRisk {
    High => "high", "高风险区", "high-risk area";
    Medium => "medium", "中风险区", "medium-risk area";
    Low => "low", "低风险区", "low-risk area";
    Sealed => "sealed", "封控区", "sealed zone";
    Controlled => "controlled", "管控区", "controlled zone";
    Precaution => "precaution", "防范区", "precaution zone";
});
names!(ContactType {
    Close => "close", "密切接触者", "close contact";
    Secondary => "secondary", "密接的密接", "contact of a close contact";
    SpaceTime => "space_time", "时空伴随者", "space-time companion";
});
names!(Vaccination {
    Unvaccinated => "unvaccinated", "未接种", "unvaccinated";
    Partial => "partial", "未全程接种", "partially vaccinated";
    Full => "full", "全程接种", "fully vaccinated";
    Booster => "booster", "已加强免疫", "boosted";
});
names!(StageKind {
    CentralisedQuarantine => "centralised_quarantine", "集中隔离", "centralised quarantine";
    HomeQuarantine => "home_quarantine", "居家隔离", "home quarantine";
    HealthMonitoring => "health_monitoring", "居家健康监测", "health monitoring";
});

/// What is known about a person when they are classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub pocket: Pocket,
    /// The designation of the place they came from, if it is a risk area.
    pub origin_risk: Option<AreaRisk>,
    /// Whole days from leaving the origin to the classification day.
    pub days_since_left: Option<u32>,
    pub contact: Option<ContactType>,
    pub vaccination: Option<Vaccination>,
    pub occupation: Option<String>,
}

impl Facts {
    /// Facts with only the pocket known.
    pub fn pocket(pocket: Pocket) -> Facts {
        Facts {
            pocket,
            origin_risk: None,
            days_since_left: None,
            contact: None,
            vaccination: None,
            occupation: None,
        }
    }
}

/// The conditions of a rule; every condition given must hold (an empty list is no condition).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conditions {
    /// The person's pocket is one of these.
    pub pockets: Vec<Pocket>,
    /// The origin's designation is one of these.
    pub origin_risk: Vec<AreaRisk>,
    /// The person left the origin at most this many days ago (unknown never holds).
    pub max_days_since_left: Option<u32>,
    /// The person's contact type is one of these.
    pub contact: Vec<ContactType>,
    /// The person's vaccination status is one of these (unknown never holds).
    pub vaccination: Vec<Vaccination>,
    /// The person's occupation is one of these (as written in the person registry).
    pub occupations: Vec<String>,
}

impl Conditions {
    /// Whether there is no condition at all.
    pub fn is_empty(&self) -> bool {
        *self == Conditions::default()
    }

    /// The reasons the conditions hold for `facts`, or `None` if one does not.
    fn check(&self, facts: &Facts) -> Option<Vec<Reason>> {
        let mut reasons = Vec::new();
        if !self.pockets.is_empty() {
            if !self.pockets.contains(&facts.pocket) {
                return None;
            }
            reasons.push(Reason::Pocket(facts.pocket));
        }
        if !self.origin_risk.is_empty() {
            let risk = facts.origin_risk.filter(|r| self.origin_risk.contains(r))?;
            reasons.push(Reason::OriginRisk(risk));
        }
        if let Some(max) = self.max_days_since_left {
            let days = facts.days_since_left.filter(|d| *d <= max)?;
            reasons.push(Reason::DaysSinceLeft { days, max });
        }
        if !self.contact.is_empty() {
            let contact = facts.contact.filter(|c| self.contact.contains(c))?;
            reasons.push(Reason::Contact(contact));
        }
        if !self.vaccination.is_empty() {
            let status = facts.vaccination.filter(|v| self.vaccination.contains(v))?;
            reasons.push(Reason::Vaccination(status));
        }
        if !self.occupations.is_empty() {
            let occupation = facts
                .occupation
                .as_ref()
                .filter(|o| self.occupations.contains(o))?;
            reasons.push(Reason::Occupation(occupation.clone()));
        }
        Some(reasons)
    }
}

/// One stage of a measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stage {
    pub kind: StageKind,
    pub days: u32,
}

/// A control measure: stages in order (none: no control) and the days a test is due, counted
/// from day 1, the first day of the measure.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Measure {
    pub stages: Vec<Stage>,
    pub test_days: Vec<u32>,
}

impl Measure {
    /// Days from the first day of the first stage to the last day of the last.
    pub fn total_days(&self) -> u32 {
        self.stages.iter().map(|s| s.days).sum()
    }

    /// E.g. `集中隔离7天+居家健康监测3天，第1、2、3、5、7天核酸检测`.
    pub fn text_zh(&self) -> String {
        if self.stages.is_empty() && self.test_days.is_empty() {
            return "无需管控".to_string();
        }
        let mut out = self
            .stages
            .iter()
            .map(|s| format!("{}{}天", s.kind.name_zh(), s.days))
            .collect::<Vec<_>>()
            .join("+");
        if !self.test_days.is_empty() {
            if !out.is_empty() {
                out.push('，');
            }
            let days: Vec<String> = self.test_days.iter().map(u32::to_string).collect();
            out.push_str(&format!("第{}天核酸检测", days.join("、")));
        }
        out
    }

    /// E.g. `7 days centralised quarantine + 3 days health monitoring; tests on days 1, 2, 3,
    /// 5, 7`.
    pub fn text_en(&self) -> String {
        if self.stages.is_empty() && self.test_days.is_empty() {
            return "no control measure".to_string();
        }
        let mut out = self
            .stages
            .iter()
            .map(|s| format!("{} days {}", s.days, s.kind.name_en()))
            .collect::<Vec<_>>()
            .join(" + ");
        if !self.test_days.is_empty() {
            if !out.is_empty() {
                out.push_str("; ");
            }
            let days: Vec<String> = self.test_days.iter().map(u32::to_string).collect();
            out.push_str(&format!("tests on days {}", days.join(", ")));
        }
        out
    }
}

/// One rule of a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Lowercase letters, digits and `-`; unique in the policy.
    pub id: String,
    pub title_zh: String,
    pub title_en: String,
    pub when: Conditions,
    pub measure: Measure,
}

/// A problem of a policy: the rule (by id, or by position when it has no usable id) and the
/// field it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    /// `None` for the policy's own fields.
    pub rule: Option<String>,
    /// The rule's position (from 0), `None` for the policy's own fields.
    pub rule_index: Option<usize>,
    /// E.g. `measure.stages[1].days`.
    pub field: String,
    pub reason: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.rule {
            Some(rule) => write!(f, "rule {rule}, field {}: {}", self.field, self.reason),
            None => write!(f, "field {}: {}", self.field, self.reason),
        }
    }
}

/// A validated policy version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    version: String,
    effective_from: NaiveDate,
    rules: Vec<Rule>,
}

/// Why a rule fired: one reason per condition it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    Pocket(Pocket),
    OriginRisk(AreaRisk),
    DaysSinceLeft { days: u32, max: u32 },
    Contact(ContactType),
    Vaccination(Vaccination),
    Occupation(String),
}

impl Reason {
    fn text_zh(&self) -> String {
        match self {
            Reason::Pocket(p) => format!("类别为{}", p.name_zh()),
            Reason::OriginRisk(r) => format!("来自{}", r.name_zh()),
            Reason::DaysSinceLeft { days, max } => {
                format!("离开{days}天（不超过{max}天）")
            }
            Reason::Contact(c) => format!("为{}", c.name_zh()),
            Reason::Vaccination(v) => format!("疫苗{}", v.name_zh()),
            Reason::Occupation(o) => format!("职业为{o}"),
        }
    }

    fn text_en(&self) -> String {
        match self {
            Reason::Pocket(p) => format!("pocket: {}", p.name_en()),
            Reason::OriginRisk(r) => format!("from a {}", r.name_en()),
            Reason::DaysSinceLeft { days, max } => {
                format!("left {days} days ago (at most {max})")
            }
            Reason::Contact(c) => format!("a {}", c.name_en()),
            Reason::Vaccination(v) => format!("vaccination: {}", v.name_en()),
            Reason::Occupation(o) => format!("occupation: {o}"),
        }
    }
}

/// Which rule of which policy version decided, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub version: String,
    pub rule_id: String,
    pub rule_title_zh: String,
    pub rule_title_en: String,
    /// Empty for the catch-all rule.
    pub reasons: Vec<Reason>,
}

impl Explanation {
    /// E.g. `政策2022-06版规则domestic-high（中高风险区来驻返驻）：类别为来驻返驻人员；来自高风险区；
    /// 离开3天（不超过7天）`.
    pub fn text_zh(&self) -> String {
        let mut out = format!(
            "政策{}版规则{}（{}）",
            self.version, self.rule_id, self.rule_title_zh
        );
        if self.reasons.is_empty() {
            out.push_str("：其他情形");
        } else {
            let reasons: Vec<String> = self.reasons.iter().map(Reason::text_zh).collect();
            out.push('：');
            out.push_str(&reasons.join("；"));
        }
        out
    }

    /// E.g. `policy 2022-06, rule domestic-high (arrivals from high- and medium-risk areas):
    /// pocket: arrival from a domestic risk area; from a high-risk area; left 3 days ago (at
    /// most 7)`.
    pub fn text_en(&self) -> String {
        let mut out = format!(
            "policy {}, rule {} ({})",
            self.version, self.rule_id, self.rule_title_en
        );
        if self.reasons.is_empty() {
            out.push_str(": no other rule applies");
        } else {
            let reasons: Vec<String> = self.reasons.iter().map(Reason::text_en).collect();
            out.push_str(": ");
            out.push_str(&reasons.join("; "));
        }
        out
    }
}

/// The outcome of classifying one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    pub measure: Measure,
    pub explanation: Explanation,
}

impl Policy {
    /// Validates a policy: a version, at least one rule, rule ids of lowercase letters, digits
    /// and `-` without repeats, both titles, stages of 1 to [`MAX_STAGE_DAYS`] days, test days
    /// ascending within the measure (a measure without stages may not have test days), and a
    /// last rule without conditions that no rule follows.
    ///
    /// # Errors
    /// Every problem found, in rule order.
    pub fn new(
        version: &str,
        effective_from: NaiveDate,
        rules: Vec<Rule>,
    ) -> Result<Policy, Vec<PolicyError>> {
        let mut errors = Vec::new();
        let mut policy_error = |field: &str, reason: String| {
            errors.push(PolicyError {
                rule: None,
                rule_index: None,
                field: field.to_string(),
                reason,
            });
        };
        if version.trim().is_empty() {
            policy_error("version", "must not be empty".to_string());
        }
        if rules.is_empty() {
            policy_error("rules", "a policy needs at least one rule".to_string());
        }
        let mut seen: Vec<&str> = Vec::new();
        for (n, rule) in rules.iter().enumerate() {
            let name = if rule.id.is_empty() {
                format!("#{}", n + 1)
            } else {
                rule.id.clone()
            };
            let mut error = |field: &str, reason: String| {
                errors.push(PolicyError {
                    rule: Some(name.clone()),
                    rule_index: Some(n),
                    field: field.to_string(),
                    reason,
                });
            };
            if rule.id.is_empty()
                || !rule
                    .id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                error(
                    "id",
                    "must be lowercase letters, digits and '-'".to_string(),
                );
            } else if seen.contains(&rule.id.as_str()) {
                error("id", "is used by an earlier rule".to_string());
            }
            seen.push(&rule.id);
            if rule.title_zh.trim().is_empty() {
                error("title", "must not be empty".to_string());
            }
            if rule.title_en.trim().is_empty() {
                error("title_en", "must not be empty".to_string());
            }
            for (k, stage) in rule.measure.stages.iter().enumerate() {
                if stage.days == 0 || stage.days > MAX_STAGE_DAYS {
                    error(
                        &format!("measure.stages[{k}].days"),
                        format!("must be between 1 and {MAX_STAGE_DAYS}"),
                    );
                }
            }
            let total = rule.measure.total_days();
            if rule.measure.stages.is_empty() && !rule.measure.test_days.is_empty() {
                error(
                    "measure.test_days",
                    "tests are due only during a stage; add a stage (e.g. health monitoring)"
                        .to_string(),
                );
            } else if let Some(bad) = rule
                .measure
                .test_days
                .iter()
                .find(|d| **d == 0 || **d > total)
            {
                error(
                    "measure.test_days",
                    format!("day {bad} is outside the measure's {total} days"),
                );
            } else if rule.measure.test_days.windows(2).any(|w| w[0] >= w[1]) {
                error(
                    "measure.test_days",
                    "must be in ascending order without repeats".to_string(),
                );
            }
            if rule.when.occupations.iter().any(|o| o.trim().is_empty()) {
                error(
                    "when.occupations",
                    "an occupation must not be empty".to_string(),
                );
            }
            let last = n + 1 == rules.len();
            if last && !rule.when.is_empty() {
                error(
                    "when",
                    "the last rule must have no conditions, so that everyone is classified"
                        .to_string(),
                );
            }
            if !last && rule.when.is_empty() {
                error(
                    "when",
                    "a rule without conditions must be the last: the rules after it are never reached"
                        .to_string(),
                );
            }
        }
        if errors.is_empty() {
            Ok(Policy {
                version: version.trim().to_string(),
                effective_from,
                rules,
            })
        } else {
            Err(errors)
        }
    }

    /// The version label.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The first day the version applies.
    pub fn effective_from(&self) -> NaiveDate {
        self.effective_from
    }

    /// The rules in order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The measure of the first rule whose conditions hold, and why.
    pub fn classify(&self, facts: &Facts) -> Classification {
        for rule in &self.rules {
            if let Some(reasons) = rule.when.check(facts) {
                return Classification {
                    measure: rule.measure.clone(),
                    explanation: Explanation {
                        version: self.version.clone(),
                        rule_id: rule.id.clone(),
                        rule_title_zh: rule.title_zh.clone(),
                        rule_title_en: rule.title_en.clone(),
                        reasons,
                    },
                };
            }
        }
        // Unreachable for a validated policy (its last rule has no conditions); answered
        // rather than panicking.
        Classification {
            measure: Measure::default(),
            explanation: Explanation {
                version: self.version.clone(),
                rule_id: String::new(),
                rule_title_zh: String::new(),
                rule_title_en: String::new(),
                reasons: Vec::new(),
            },
        }
    }
}

/// The version in force on `day` among `policies`: the one with the latest effective date on
/// or before it (on a tie, the later in the list).
pub fn in_force(policies: &[Policy], day: NaiveDate) -> Option<&Policy> {
    policies
        .iter()
        .enumerate()
        .filter(|(_, p)| p.effective_from <= day)
        .max_by_key(|(i, p)| (p.effective_from, *i))
        .map(|(_, p)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn measure(stages: &[(StageKind, u32)], tests: &[u32]) -> Measure {
        Measure {
            stages: stages
                .iter()
                .map(|(kind, days)| Stage {
                    kind: *kind,
                    days: *days,
                })
                .collect(),
            test_days: tests.to_vec(),
        }
    }

    fn rule(id: &str, when: Conditions, m: Measure) -> Rule {
        Rule {
            id: id.to_string(),
            title_zh: format!("{id}规则"),
            title_en: format!("{id} rule"),
            when,
            measure: m,
        }
    }

    fn sample() -> Policy {
        Policy::new(
            "t1",
            day("2022-06-28"),
            vec![
                rule(
                    "close",
                    Conditions {
                        contact: vec![ContactType::Close],
                        ..Conditions::default()
                    },
                    measure(&[(StageKind::CentralisedQuarantine, 7)], &[1, 2, 3, 5, 7]),
                ),
                rule(
                    "high",
                    Conditions {
                        pockets: vec![Pocket::Domestic],
                        origin_risk: vec![AreaRisk::High, AreaRisk::Sealed],
                        max_days_since_left: Some(7),
                        ..Conditions::default()
                    },
                    measure(&[(StageKind::CentralisedQuarantine, 7)], &[1, 2, 3, 5, 7]),
                ),
                rule("other", Conditions::default(), Measure::default()),
            ],
        )
        .unwrap()
    }

    #[test]
    fn the_first_rule_that_holds_decides_and_says_why() {
        let policy = sample();
        let facts = Facts {
            origin_risk: Some(AreaRisk::Sealed),
            days_since_left: Some(3),
            ..Facts::pocket(Pocket::Domestic)
        };
        let got = policy.classify(&facts);
        assert_eq!(got.explanation.rule_id, "high");
        assert_eq!(
            got.measure.text_zh(),
            "集中隔离7天，第1、2、3、5、7天核酸检测"
        );
        assert_eq!(
            got.explanation.text_zh(),
            "政策t1版规则high（high规则）：类别为来驻返驻人员；来自封控区；离开3天（不超过7天）"
        );
        assert_eq!(
            got.explanation.text_en(),
            "policy t1, rule high (high rule): pocket: arrival from a domestic risk area; \
             from a sealed zone; left 3 days ago (at most 7)"
        );
        // Eight days after leaving, the rule no longer holds: the catch-all decides.
        let later = Facts {
            days_since_left: Some(8),
            ..facts.clone()
        };
        let got = policy.classify(&later);
        assert_eq!(got.explanation.rule_id, "other");
        assert_eq!(got.measure.text_en(), "no control measure");
        assert_eq!(
            got.explanation.text_zh(),
            "政策t1版规则other（other规则）：其他情形"
        );
        // Unknown days since leaving never satisfy a bound.
        let unknown = Facts {
            days_since_left: None,
            ..facts.clone()
        };
        assert_eq!(policy.classify(&unknown).explanation.rule_id, "other");
        // An earlier rule wins over a later one that also holds.
        let contact = Facts {
            contact: Some(ContactType::Close),
            ..facts
        };
        assert_eq!(policy.classify(&contact).explanation.rule_id, "close");
    }

    #[test]
    fn a_bad_policy_names_every_rule_and_field_at_fault() {
        let errors = Policy::new(
            " ",
            day("2022-06-28"),
            vec![
                rule(
                    "Bad_Id",
                    Conditions::default(),
                    measure(&[(StageKind::HomeQuarantine, 0)], &[3, 2]),
                ),
                rule(
                    "dup",
                    Conditions {
                        pockets: vec![Pocket::Fever],
                        ..Conditions::default()
                    },
                    measure(&[(StageKind::HealthMonitoring, 3)], &[1, 4]),
                ),
                rule(
                    "dup",
                    Conditions {
                        pockets: vec![Pocket::Fever],
                        ..Conditions::default()
                    },
                    measure(&[], &[1]),
                ),
            ],
        )
        .unwrap_err();
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            vec![
                "field version: must not be empty",
                "rule Bad_Id, field id: must be lowercase letters, digits and '-'",
                "rule Bad_Id, field measure.stages[0].days: must be between 1 and 60",
                "rule Bad_Id, field measure.test_days: day 3 is outside the measure's 0 days",
                "rule Bad_Id, field when: a rule without conditions must be the last: the rules after it are never reached",
                "rule dup, field measure.test_days: day 4 is outside the measure's 3 days",
                "rule dup, field id: is used by an earlier rule",
                "rule dup, field measure.test_days: tests are due only during a stage; add a stage (e.g. health monitoring)",
                "rule dup, field when: the last rule must have no conditions, so that everyone is classified",
            ]
        );
    }

    #[test]
    fn the_version_in_force_is_the_latest_effective_on_the_day() {
        let a = sample();
        let b = Policy::new("t2", day("2022-11-11"), a.rules().to_vec()).unwrap();
        let policies = [a, b];
        assert_eq!(in_force(&policies, day("2022-06-27")), None);
        assert_eq!(
            in_force(&policies, day("2022-11-10")).unwrap().version(),
            "t1"
        );
        assert_eq!(
            in_force(&policies, day("2022-11-11")).unwrap().version(),
            "t2"
        );
    }

    #[test]
    fn keys_round_trip() {
        for p in Pocket::ALL {
            assert_eq!(Pocket::parse(p.as_str()), Some(*p));
        }
        for r in AreaRisk::ALL {
            assert_eq!(AreaRisk::parse(r.as_str()), Some(*r));
        }
        assert_eq!(
            StageKind::keys(),
            "centralised_quarantine, home_quarantine, health_monitoring"
        );
        assert_eq!(
            measure(
                &[
                    (StageKind::CentralisedQuarantine, 7),
                    (StageKind::HealthMonitoring, 3)
                ],
                &[1, 2, 3, 5, 7, 10]
            )
            .text_en(),
            "7 days centralised quarantine + 3 days health monitoring; tests on days 1, 2, 3, 5, 7, 10"
        );
    }
}
