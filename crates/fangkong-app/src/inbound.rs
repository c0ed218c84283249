//! Inbound control (the four pockets): the versioned control-measure policy and the
//! classification of a person's facts into a measure.
//!
//! A policy version is a TOML file (`docs/policy.md`), validated by
//! `fangkong_ingest::parse_policy` before it is stored; the store keeps the file as loaded.
//! The version in force on a day is the one with the latest effective date on or before it.
//! The default policy (`policies/inbound-default.toml`, modelled on the national protocol's
//! 9th edition) is loaded when a store has no version (`ensure_default_policy`, at `serve`
//! and `demo`).

use chrono::NaiveDate;
use fangkong_domain::policy::{self, AreaRisk, Classification, Facts, Policy};
use fangkong_domain::{JurisdictionCode, Permission};
use fangkong_store::inbound::{
    Designated, NewPolicy, NewRiskArea, PolicyStored, RiskArea, StoredPolicy,
};

use sha2::{Digest as _, Sha256};

use crate::jurisdictions::ImportOutcome;
use crate::testing::schedules::china_day_start_ms;
use crate::{Actor, App, Error, Result};

/// The default policy file.
pub const DEFAULT_POLICY: &str = include_str!("../policies/inbound-default.toml");
/// Its name in errors and in the audit log.
pub const DEFAULT_POLICY_FILE: &str = "inbound-default.toml";

/// A stored policy version, parsed.
#[derive(Debug, Clone)]
pub struct PolicyVersion {
    pub stored: StoredPolicy,
    pub policy: Policy,
}

/// The outcome of classifying one person.
#[derive(Debug, Clone)]
pub struct Classified {
    /// The version that decided.
    pub version: String,
    pub classification: Classification,
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl App {
    /// Loads a policy file as a new version: parsed and validated (every problem reported
    /// with its line, rule and field; nothing stored then), stored with its text and audited.
    /// Loading the same version with the same text again changes nothing.
    ///
    /// Returns the version and whether it was added.
    ///
    /// # Errors
    /// `Forbidden` without `inbound.manage`; `Import` for a file that is not a valid policy;
    /// `Conflict` when the version label was loaded before with another text.
    pub async fn load_policy(
        &self,
        actor: &Actor,
        file_name: &str,
        text: &str,
    ) -> Result<(PolicyVersion, bool)> {
        actor.require(Permission::InboundManage)?;
        let policy = fangkong_ingest::parse_policy(file_name, text).map_err(Error::Import)?;
        let effective_from = policy.effective_from().format("%Y-%m-%d").to_string();
        let hash = sha256_hex(text);
        let outcome = self
            .store()
            .inbound()
            .add_policy(&NewPolicy {
                version: policy.version(),
                effective_from: &effective_from,
                source: text,
                source_sha256: &hash,
                rules: policy.rules().len() as i64,
                loaded_at: self.now_ms(),
                loaded_by: &actor.username,
            })
            .await
            .map_err(|e| match e {
                fangkong_store::StoreError::Conflict { .. } => Error::Conflict(format!(
                    "policy version {} was loaded before with another text; give the new \
                     text a new version",
                    policy.version()
                )),
                other => other.into(),
            })?;
        let added = outcome == PolicyStored::Added;
        if added {
            self.audit(
                actor,
                "inbound.policy_load",
                "policy",
                Some(policy.version().to_string()),
                None,
                serde_json::json!({
                    "file": file_name, "effective_from": effective_from,
                    "rules": policy.rules().len(), "sha256": hash,
                }),
            )
            .await?;
            self.reevaluate("policy", policy.version(), Some(policy.version()), None)
                .await?;
        }
        let stored = self.store().inbound().policy(policy.version()).await?;
        Ok((PolicyVersion { stored, policy }, added))
    }

    /// Loads the default policy when no version is stored.
    ///
    /// # Errors
    /// As [`App::load_policy`] (the default file is valid; a test holds it so).
    pub async fn ensure_default_policy(&self) -> Result<()> {
        if self.store().inbound().policies().await?.is_empty() {
            self.load_policy(
                &Actor::system("policy"),
                DEFAULT_POLICY_FILE,
                DEFAULT_POLICY,
            )
            .await?;
        }
        Ok(())
    }

    /// Every policy version, by effective date.
    ///
    /// # Errors
    /// `Forbidden` without `inbound.read`; `Store` if a stored text no longer parses.
    pub async fn policies(&self, actor: &Actor) -> Result<Vec<PolicyVersion>> {
        actor.require(Permission::InboundRead)?;
        self.stored_policies().await
    }

    async fn stored_policies(&self) -> Result<Vec<PolicyVersion>> {
        self.store()
            .inbound()
            .policies()
            .await?
            .into_iter()
            .map(|stored| {
                let policy = fangkong_ingest::parse_policy(&stored.version, &stored.source)
                    .map_err(|e| {
                        Error::Store(fangkong_store::StoreError::Corrupt(format!(
                            "stored policy {} no longer validates: {e}",
                            stored.version
                        )))
                    })?;
                Ok(PolicyVersion { stored, policy })
            })
            .collect()
    }

    /// The measure for `facts` under the version in force on `day`, and why. With an
    /// `origin` code and no risk level in the facts, the level is the strictest designation
    /// covering the origin (it or a jurisdiction above it) in force on the day the person
    /// left it (`day` minus `days_since_left`; `day` itself when that is unknown).
    ///
    /// # Errors
    /// `Forbidden` without `inbound.read`; `Invalid` for a bad origin code or when no version
    /// is in force on `day`.
    pub async fn classify(
        &self,
        actor: &Actor,
        facts: &Facts,
        origin: Option<&str>,
        day: NaiveDate,
    ) -> Result<Classified> {
        actor.require(Permission::InboundRead)?;
        let mut facts = facts.clone();
        let classifier = self.classifier().await?;
        if let (None, Some(origin)) = (facts.origin_risk, origin) {
            let code = JurisdictionCode::parse(origin)
                .map_err(|e| Error::invalid("origin_code", e.to_string()))?;
            let left = day - chrono::Duration::days(i64::from(facts.days_since_left.unwrap_or(0)));
            facts.origin_risk = classifier
                .origin_area(code.as_str(), None, left)
                .and_then(|a| AreaRisk::parse(&a.level));
        }
        classifier.classify(&facts, day)
    }

    /// A [`Classifier`] over the stored policy versions and every designation, as of now.
    ///
    /// # Errors
    /// `Store` on database failure or a stored policy that no longer parses.
    pub async fn classifier(&self) -> Result<Classifier> {
        let policies = self
            .stored_policies()
            .await?
            .into_iter()
            .map(|v| v.policy)
            .collect();
        let areas = self.store().inbound().risk_areas(false, None).await?;
        Ok(Classifier {
            policies,
            areas,
            now_ms: self.now_ms(),
        })
    }
}

/// Classifies many people with one read of the store: every policy version parsed once and
/// every designation (in force or lifted) in memory.
#[derive(Debug, Clone)]
pub struct Classifier {
    policies: Vec<Policy>,
    areas: Vec<RiskArea>,
    now_ms: i64,
}

/// Whitespace removed, for matching addresses.
fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

impl Classifier {
    /// The strictest designation covering `origin` (the code itself or a jurisdiction
    /// above it; a designated set of addresses when `address` names one of them) that was in
    /// force at some time from the start of the day the person left until now: a person who
    /// left an area shortly before it was designated was there while the virus was, and one
    /// who left while it was designated stays from a risk area after it is lifted. Among
    /// equally strict ones the most specific is named.
    pub fn origin_area(
        &self,
        origin: &str,
        address: Option<&str>,
        left: NaiveDate,
    ) -> Option<&RiskArea> {
        let left_ms = china_day_start_ms(left);
        let address = address.map(squeeze).filter(|a| !a.is_empty());
        self.areas
            .iter()
            .filter(|a| origin.starts_with(a.jurisdiction_code.as_str()))
            .filter(|a| a.designated_at <= self.now_ms && a.lifted_at.is_none_or(|l| l > left_ms))
            .filter(|a| match (&a.addresses, &address) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some(_), Some(address)) => a
                    .address_list()
                    .iter()
                    .map(|s| squeeze(s))
                    .any(|s| !s.is_empty() && address.contains(&s)),
            })
            .max_by_key(|a| {
                (
                    AreaRisk::parse(&a.level).map_or(0, AreaRisk::severity),
                    a.jurisdiction_code.len(),
                    a.addresses.is_some(),
                )
            })
    }

    /// The measure for `facts` under the version in force on `day`, and why.
    ///
    /// # Errors
    /// `Invalid` when no version is in force on `day`.
    pub fn classify(&self, facts: &Facts, day: NaiveDate) -> Result<Classified> {
        let policy = policy::in_force(&self.policies, day).ok_or_else(|| {
            Error::invalid(
                "day",
                format!("no policy version is in force on {day}; load one effective by then"),
            )
        })?;
        Ok(Self::classify_under(policy, facts))
    }

    /// The measure for `facts` under the version `version`, if it is known.
    pub fn classify_with(&self, version: &str, facts: &Facts) -> Option<Classified> {
        self.policies
            .iter()
            .find(|p| p.version() == version)
            .map(|p| Self::classify_under(p, facts))
    }

    fn classify_under(policy: &Policy, facts: &Facts) -> Classified {
        Classified {
            version: policy.version().to_string(),
            classification: policy.classify(facts),
        }
    }
}

/// A risk-area designation to make.
#[derive(Debug, Clone)]
pub struct Designation<'a> {
    /// A jurisdiction code of any level, here or elsewhere in the country.
    pub code: &'a str,
    pub name: &'a str,
    pub level: AreaRisk,
    /// The lifting rule: lifted after this many consecutive days without a new case.
    pub lift_after_days: Option<u32>,
    /// A set of addresses or buildings inside the jurisdiction; empty for all of it.
    pub addresses: Vec<String>,
}

fn addresses_json(addresses: &[String]) -> Option<String> {
    let list: Vec<&str> = addresses
        .iter()
        .map(|a| a.trim())
        .filter(|a| !a.is_empty())
        .collect();
    (!list.is_empty()).then(|| serde_json::json!(list).to_string())
}

impl App {
    /// Designates a risk area now; a designation in force for the same code is lifted as
    /// `redesignated` (one of the same level is kept, and nothing is audited). Audited.
    ///
    /// # Errors
    /// `Forbidden` without `inbound.manage`; `Invalid` for a bad code, an empty name or a
    /// lifting rule outside 1 to 60 days.
    pub async fn designate_area(&self, actor: &Actor, d: &Designation<'_>) -> Result<RiskArea> {
        actor.require(Permission::InboundManage)?;
        let mut invalid = Vec::new();
        let code = JurisdictionCode::parse(d.code)
            .map_err(|e| invalid.push(("code".to_string(), e.to_string())))
            .ok();
        if d.name.trim().is_empty() {
            invalid.push(("name".to_string(), "must not be empty".to_string()));
        }
        if d.lift_after_days.is_some_and(|n| n == 0 || n > 60) {
            invalid.push((
                "lift_after_days".to_string(),
                "must be between 1 and 60".to_string(),
            ));
        }
        let Some(code) = code.filter(|_| invalid.is_empty()) else {
            return Err(Error::Invalid(invalid));
        };
        let done = self
            .store()
            .inbound()
            .designate(&NewRiskArea {
                jurisdiction_code: code.as_str(),
                name: d.name.trim(),
                level: d.level.as_str(),
                designated_at: self.now_ms(),
                designated_by: &actor.username,
                lift_after_days: d.lift_after_days.map(i64::from),
                addresses: addresses_json(&d.addresses),
            })
            .await?;
        let id = done.id();
        if !matches!(done, Designated::Unchanged(_)) {
            self.reevaluate(
                "risk_area",
                &id.to_string(),
                None,
                Some(&[code.as_str().to_string()]),
            )
            .await?;
            self.audit(
                actor,
                "inbound.area_designate",
                "risk_area",
                Some(id.to_string()),
                None,
                serde_json::json!({
                    "code": code.as_str(), "level": d.level.as_str(),
                    "lift_after_days": d.lift_after_days, "addresses": d.addresses.len(),
                }),
            )
            .await?;
        }
        Ok(self.store().inbound().risk_area(id).await?)
    }

    /// Lifts a designation in force now, with the reason. Audited.
    ///
    /// # Errors
    /// `Forbidden` without `inbound.manage`; `Invalid` for an empty reason; `NotFound` when
    /// the designation is not in force.
    pub async fn lift_area(&self, actor: &Actor, id: i64, reason: &str) -> Result<RiskArea> {
        actor.require(Permission::InboundManage)?;
        if reason.trim().is_empty() {
            return Err(Error::invalid("reason", "must not be empty"));
        }
        let area = self
            .store()
            .inbound()
            .lift(id, self.now_ms(), reason.trim())
            .await?;
        self.audit(
            actor,
            "inbound.area_lift",
            "risk_area",
            Some(id.to_string()),
            None,
            serde_json::json!({ "code": area.jurisdiction_code, "reason": reason.trim() }),
        )
        .await?;
        Ok(area)
    }

    /// Imports a risk-area list (CSV, XLSX or NDJSON; `fangkong_ingest::parse_risk_areas`):
    /// all rows or none. A code already designated at the listed level is unchanged, one at
    /// another level is redesignated, the others are created. Audited with the counts.
    ///
    /// # Errors
    /// `Forbidden` without `inbound.manage`; `Import` naming every bad value.
    pub async fn import_risk_areas(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<ImportOutcome> {
        actor.require(Permission::InboundManage)?;
        let records = fangkong_ingest::parse_risk_areas(file_name, bytes).map_err(Error::Import)?;
        let now = self.now_ms();
        let rows: Vec<NewRiskArea<'_>> = records
            .iter()
            .map(|r| NewRiskArea {
                jurisdiction_code: r.code.as_str(),
                name: &r.name,
                level: r.level.as_str(),
                designated_at: now,
                designated_by: &actor.username,
                lift_after_days: r.lift_after_days.map(i64::from),
                addresses: None,
            })
            .collect();
        let done = self.store().inbound().designate_all(&rows).await?;
        // One pass over the open measures for the whole list, not one per designation.
        let changed: Vec<(i64, String)> = records
            .iter()
            .zip(&done)
            .filter(|(_, d)| !matches!(d, Designated::Unchanged(_)))
            .map(|(r, d)| (d.id(), r.code.as_str().to_string()))
            .collect();
        if let Some(first) = changed.iter().map(|(id, _)| *id).min() {
            let codes: Vec<String> = changed.into_iter().map(|(_, code)| code).collect();
            self.reevaluate(
                "risk_area",
                &format!("{file_name}#{first}"),
                None,
                Some(&codes),
            )
            .await?;
        }
        let count = |f: fn(&Designated) -> bool| done.iter().filter(|d| f(d)).count() as u64;
        let outcome = ImportOutcome {
            rows: records.len() as u64,
            created: count(|d| matches!(d, Designated::Created(_))),
            updated: count(|d| matches!(d, Designated::Redesignated(_))),
            unchanged: count(|d| matches!(d, Designated::Unchanged(_))),
        };
        self.audit(
            actor,
            "inbound.areas_import",
            "file",
            Some(file_name.to_string()),
            None,
            serde_json::json!({
                "rows": outcome.rows, "created": outcome.created,
                "redesignated": outcome.updated, "unchanged": outcome.unchanged,
            }),
        )
        .await?;
        Ok(outcome)
    }

    /// Designations, newest first: those in force, or the whole history; optionally of one
    /// code.
    ///
    /// # Errors
    /// `Forbidden` without `inbound.read`.
    pub async fn risk_areas(
        &self,
        actor: &Actor,
        in_force: bool,
        code: Option<&str>,
    ) -> Result<Vec<RiskArea>> {
        actor.require(Permission::InboundRead)?;
        Ok(self.store().inbound().risk_areas(in_force, code).await?)
    }
}

impl App {
    /// Lifts every designation in force whose lifting rule holds: its jurisdiction lies in
    /// this city and no new case has been registered in it for `lift_after_days` whole days
    /// (counted from the latest case, or from the designation when there was none since).
    /// Each lifting records why and is audited. Run hourly by `serve` and on demand.
    ///
    /// # Errors
    /// `Forbidden` without `inbound.manage`.
    pub async fn lift_due_areas(&self, actor: &Actor) -> Result<Vec<RiskArea>> {
        actor.require(Permission::InboundManage)?;
        let now = self.now_ms();
        let areas = self.store().inbound().risk_areas(true, None).await?;
        let ruled: Vec<&RiskArea> = areas
            .iter()
            .filter(|a| a.lift_after_days.is_some())
            .collect();
        let codes: Vec<&str> = ruled.iter().map(|a| a.jurisdiction_code.as_str()).collect();
        let ours = self.store().jurisdictions().existing(&codes).await?;
        let mut lifted = Vec::new();
        for a in ruled {
            let (Some(days), Ok(code)) = (
                a.lift_after_days,
                JurisdictionCode::parse(&a.jurisdiction_code),
            ) else {
                continue;
            };
            if !ours.contains(a.jurisdiction_code.as_str()) {
                continue;
            }
            let last_case = self.store().inbound().last_case_at(&code).await?;
            let since = last_case.map_or(a.designated_at, |c| c.max(a.designated_at));
            if now - since < days * 86_400_000 {
                continue;
            }
            let reason = match last_case {
                Some(c) if c >= a.designated_at => format!(
                    "lifting rule met: {days} consecutive days without a new case (last case {})",
                    crate::clock::china_date(chrono::DateTime::from_timestamp_millis(c).unwrap_or_default())
                ),
                _ => format!(
                    "lifting rule met: {days} consecutive days without a new case since designation on {}",
                    crate::clock::china_date(chrono::DateTime::from_timestamp_millis(a.designated_at).unwrap_or_default())
                ),
            };
            let area = self.store().inbound().lift(a.id, now, &reason).await?;
            self.audit(
                actor,
                "inbound.area_lift",
                "risk_area",
                Some(a.id.to_string()),
                None,
                serde_json::json!({ "code": a.jurisdiction_code, "reason": reason, "automatic": true }),
            )
            .await?;
            lifted.push(area);
        }
        Ok(lifted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fangkong_domain::policy::{AreaRisk, ContactType, Pocket};

    /// The default policy classifies every pocket as the 9th edition of the national
    /// protocol (June 2022) prescribes; the measures and the rule that fired are exact.
    #[test]
    fn the_default_policy_follows_the_ninth_edition() {
        let policy = fangkong_ingest::parse_policy(DEFAULT_POLICY_FILE, DEFAULT_POLICY).unwrap();
        assert_eq!(policy.version(), "default-2022-06");
        let domestic = |risk: AreaRisk, days: u32| Facts {
            origin_risk: Some(risk),
            days_since_left: Some(days),
            ..Facts::pocket(Pocket::Domestic)
        };
        let cases: Vec<(Facts, &str, &str)> = vec![
            (
                Facts::pocket(Pocket::International),
                "international",
                "集中隔离7天+居家健康监测3天，第1、2、3、5、7、10天核酸检测",
            ),
            (
                domestic(AreaRisk::High, 2),
                "high-risk-area",
                "集中隔离7天，第1、2、3、5、7天核酸检测",
            ),
            (
                domestic(AreaRisk::Sealed, 7),
                "high-risk-area",
                "集中隔离7天，第1、2、3、5、7天核酸检测",
            ),
            (
                domestic(AreaRisk::Controlled, 1),
                "medium-risk-area",
                "居家隔离7天，第1、4、7天核酸检测",
            ),
            (
                domestic(AreaRisk::Low, 5),
                "low-risk-area",
                "居家健康监测3天，第1、3天核酸检测",
            ),
            (domestic(AreaRisk::High, 8), "other", "无需管控"),
            (
                Facts::pocket(Pocket::ColdChain),
                "cold-chain-exposure",
                "集中隔离7天+居家健康监测3天，第1、2、3、5、7、10天核酸检测",
            ),
            (
                Facts::pocket(Pocket::Fever),
                "fever-patient",
                "居家健康监测1天，第1天核酸检测",
            ),
            (
                Facts {
                    contact: Some(ContactType::Close),
                    ..domestic(AreaRisk::Low, 1)
                },
                "close-contact",
                "集中隔离7天+居家健康监测3天，第1、2、3、5、7、10天核酸检测",
            ),
            (
                Facts {
                    contact: Some(ContactType::Secondary),
                    ..Facts::pocket(Pocket::Domestic)
                },
                "secondary-contact",
                "居家隔离7天，第1、4、7天核酸检测",
            ),
            (
                Facts {
                    contact: Some(ContactType::SpaceTime),
                    ..Facts::pocket(Pocket::Domestic)
                },
                "space-time-companion",
                "居家健康监测3天，第1、3天核酸检测",
            ),
        ];
        for (facts, rule, measure) in cases {
            let got = policy.classify(&facts);
            assert_eq!(
                (
                    got.explanation.rule_id.as_str(),
                    got.measure.text_zh().as_str()
                ),
                (rule, measure),
                "{facts:?}"
            );
        }
        let got = policy.classify(&domestic(AreaRisk::Sealed, 3));
        assert_eq!(
            got.explanation.text_zh(),
            "政策default-2022-06版规则high-risk-area（7天内有高风险区（封控区）旅居史：7天集中隔离）：\
             类别为来驻返驻人员；来自封控区；离开3天（不超过7天）"
        );
    }
}
