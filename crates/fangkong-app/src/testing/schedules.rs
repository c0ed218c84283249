//! Key populations on a testing schedule: groups with a frequency, membership by import or by
//! occupation rule, each member's last test and next due date, and overdue lists with
//! compliance rates by community.
//!
//! Days are calendar days in China Standard Time (UTC+8, the Asia/Shanghai zone, which has
//! had no daylight saving since 1991). A member tested every `n` days who was last sampled on
//! day `d` is due on day `d + n` and overdue from the day after; a member never sampled is due
//! on the day they joined the group.

use chrono::NaiveDate;
use fangkong_domain::{JurisdictionCode, Permission};
use fangkong_store::persons::Person;
use fangkong_store::testing::{KeyGroup, MemberTesting, NewKeyGroup};

use super::overlap_bounds;
use crate::{Actor, App, Error, Result};

/// Milliseconds east of UTC of China Standard Time.
pub const CHINA_OFFSET_MS: i64 = 8 * 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// The China Standard Time calendar day of a Unix-millisecond instant.
#[allow(clippy::expect_used)]
pub fn china_day(at_ms: i64) -> NaiveDate {
    let days = (at_ms + CHINA_OFFSET_MS).div_euclid(DAY_MS);
    NaiveDate::default()
        .checked_add_signed(chrono::Duration::days(days))
        .expect("a Unix-millisecond instant is a representable date")
}

/// The Unix-millisecond instant at which a China Standard Time day begins.
pub fn china_day_start_ms(day: NaiveDate) -> i64 {
    (day - NaiveDate::default()).num_days() * DAY_MS - CHINA_OFFSET_MS
}

/// How often a key population is tested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    Daily,
    EveryTwoDays,
    Weekly,
    /// Every `n` days.
    Custom(u16),
}

impl Frequency {
    /// Days between tests.
    pub fn interval_days(self) -> i64 {
        match self {
            Frequency::Daily => 1,
            Frequency::EveryTwoDays => 2,
            Frequency::Weekly => 7,
            Frequency::Custom(n) => i64::from(n),
        }
    }

    /// The frequency of an interval in days.
    pub fn from_interval(days: i64) -> Frequency {
        match days {
            1 => Frequency::Daily,
            2 => Frequency::EveryTwoDays,
            7 => Frequency::Weekly,
            n => Frequency::Custom(u16::try_from(n).unwrap_or(u16::MAX)),
        }
    }

    /// Parses `daily`, `every_2_days`, `weekly` or `custom` (with `interval_days`).
    ///
    /// # Errors
    /// `Invalid` naming the field.
    pub fn parse(name: &str, interval_days: Option<i64>) -> Result<Frequency> {
        match name.trim() {
            "daily" => Ok(Frequency::Daily),
            "every_2_days" => Ok(Frequency::EveryTwoDays),
            "weekly" => Ok(Frequency::Weekly),
            "custom" => match interval_days {
                Some(n @ 1..=366) => Ok(Frequency::Custom(u16::try_from(n).unwrap_or(1))),
                _ => Err(Error::invalid(
                    "interval_days",
                    "a custom frequency needs 1 to 366 days",
                )),
            },
            _ => Err(Error::invalid(
                "frequency",
                "must be daily, every_2_days, weekly or custom",
            )),
        }
    }

    /// The stable name used by the API.
    pub fn name(self) -> &'static str {
        match self {
            Frequency::Daily => "daily",
            Frequency::EveryTwoDays => "every_2_days",
            Frequency::Weekly => "weekly",
            Frequency::Custom(_) => "custom",
        }
    }
}

/// A key group to create.
#[derive(Debug, Clone)]
pub struct KeyGroupInput {
    pub code: String,
    pub name: String,
    pub jurisdiction_code: String,
    pub frequency: Frequency,
    /// Occupations whose residents join by rule (`medical`, `cold_chain`, `delivery`...);
    /// empty when membership is imported only.
    pub occupations: Vec<String>,
}

/// The occupations of a stored membership rule (`{"occupations": [...]}`); none for a group
/// without a rule.
pub fn rule_occupations(rule: Option<&str>) -> Vec<String> {
    rule.and_then(|r| serde_json::from_str::<serde_json::Value>(r).ok())
        .and_then(|v| {
            v.get("occupations")?.as_array().map(|a| {
                a.iter()
                    .filter_map(|o| o.as_str().map(str::to_string))
                    .collect()
            })
        })
        .unwrap_or_default()
}

/// Where a member stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueStatus {
    /// Next test is due after today.
    UpToDate,
    /// Next test is due today.
    DueToday,
    /// Next test was due before today.
    Overdue,
}

/// A member's schedule on a given day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberDue {
    pub person_id: i64,
    pub community_code: String,
    pub last_collected_at: Option<i64>,
    pub due_on: NaiveDate,
    pub status: DueStatus,
    /// Days since the due date (0 unless overdue).
    pub days_overdue: i64,
}

/// Compliance of one community's members on a given day.
#[derive(Debug, Clone, PartialEq)]
pub struct CommunityCompliance {
    pub community_code: String,
    pub community_name: String,
    pub members: u64,
    pub due_today: u64,
    pub overdue: u64,
}

impl CommunityCompliance {
    /// Share of members not overdue (1 without members).
    pub fn compliance(&self) -> f64 {
        if self.members == 0 {
            1.0
        } else {
            (self.members - self.overdue) as f64 / self.members as f64
        }
    }
}

/// An overdue member, with the person shown masked.
#[derive(Debug, Clone)]
pub struct OverdueMember {
    pub person: Person,
    pub due: MemberDue,
}

/// The schedule of a group on a day: compliance by community and the overdue members.
#[derive(Debug, Clone)]
pub struct GroupSchedule {
    pub group: KeyGroup,
    pub today: NaiveDate,
    pub communities: Vec<CommunityCompliance>,
    /// Overdue members, most overdue first, at most the limit asked for.
    pub overdue: Vec<OverdueMember>,
    /// Overdue members in all (the list may be cut at the limit).
    pub overdue_total: u64,
}

/// A person's key groups and when each next wants a test.
#[derive(Debug, Clone)]
pub struct PersonSchedule {
    pub last_collected_at: Option<i64>,
    pub groups: Vec<(KeyGroup, MemberDue)>,
}

/// The schedule of one member on `today`.
pub fn member_due(m: &MemberTesting, interval_days: i64, today: NaiveDate) -> MemberDue {
    let due_on = match m.last_collected_at {
        Some(at) => china_day(at) + chrono::Duration::days(interval_days),
        None => china_day(m.added_at),
    };
    let late = (today - due_on).num_days();
    let status = match late {
        d if d > 0 => DueStatus::Overdue,
        0 => DueStatus::DueToday,
        _ => DueStatus::UpToDate,
    };
    MemberDue {
        person_id: m.person_id,
        community_code: m.community_code.clone(),
        last_collected_at: m.last_collected_at,
        due_on,
        status,
        days_overdue: late.max(0),
    }
}

impl App {
    /// Creates a key group and, when it has an occupation rule, adds the residents of its
    /// jurisdiction who match it.
    ///
    /// # Errors
    /// `Forbidden` without `testing.manage` or outside the actor's jurisdiction; `Invalid`
    /// for a bad code, name or occupation; `Conflict` for a code in use.
    pub async fn create_key_group(&self, actor: &Actor, input: &KeyGroupInput) -> Result<KeyGroup> {
        actor.require(Permission::TestingManage)?;
        if !actor.scope.covers(&input.jurisdiction_code) {
            return Err(Error::Forbidden);
        }
        let code = input.code.trim();
        if code.is_empty() || code.len() > 40 || code.chars().any(char::is_whitespace) {
            return Err(Error::invalid(
                "code",
                "must be 1 to 40 characters without spaces",
            ));
        }
        let name = input.name.trim();
        if name.is_empty() {
            return Err(Error::invalid("name", "must not be empty"));
        }
        for o in &input.occupations {
            if fangkong_synth::Occupation::parse(o).is_none() {
                return Err(Error::invalid("occupations", "unknown occupation"));
            }
        }
        let rule = (!input.occupations.is_empty())
            .then(|| serde_json::json!({ "occupations": input.occupations }).to_string());
        let testing = self.store().testing();
        let id = testing
            .create_key_group(
                &NewKeyGroup {
                    code,
                    name,
                    jurisdiction_code: &input.jurisdiction_code,
                    interval_days: input.frequency.interval_days(),
                    rule: rule.as_deref(),
                },
                self.now_ms(),
            )
            .await?;
        self.audit(
            actor,
            "testing.key_group_create",
            "key_group",
            Some(code.to_string()),
            None,
            serde_json::json!({ "interval_days": input.frequency.interval_days(), "rule": rule }),
        )
        .await?;
        self.apply_rule(id, &input.jurisdiction_code, rule.as_deref())
            .await?;
        self.key_group(actor, code).await
    }

    async fn apply_rule(
        &self,
        group_id: i64,
        jurisdiction: &str,
        rule: Option<&str>,
    ) -> Result<u64> {
        let Some(rule) = rule else {
            return Ok(0);
        };
        let occupations = rule_occupations(Some(rule));
        let (lo, hi) = JurisdictionCode::parse(jurisdiction)
            .map_err(|_| Error::invalid("jurisdiction_code", "not a jurisdiction code"))?
            .subtree_bounds();
        Ok(self
            .store()
            .testing()
            .add_members_by_occupation(group_id, &occupations, &lo, &hi, self.now_ms())
            .await?)
    }

    /// Adds the residents who now match a group's rule (new workers, new arrivals); returns
    /// how many joined.
    ///
    /// # Errors
    /// `Forbidden` without `testing.manage`; `NotFound` for an unknown group or one outside
    /// the actor's jurisdiction.
    pub async fn refresh_key_group(&self, actor: &Actor, code: &str) -> Result<u64> {
        actor.require(Permission::TestingManage)?;
        let group = self.key_group(actor, code).await?;
        if !actor.scope.covers(&group.jurisdiction_code) {
            return Err(Error::Forbidden);
        }
        self.apply_rule(group.id, &group.jurisdiction_code, group.rule.as_deref())
            .await
    }

    /// The key groups visible to the actor, members counted inside their jurisdiction.
    ///
    /// # Errors
    /// `Forbidden` without `testing.read`.
    pub async fn key_groups(&self, actor: &Actor) -> Result<Vec<KeyGroup>> {
        actor.require(Permission::TestingRead)?;
        let (lo, hi) = actor.scope.code_bounds();
        Ok(self.store().testing().key_groups(&lo, &hi).await?)
    }

    /// One key group.
    ///
    /// # Errors
    /// `Forbidden` without `testing.read`; `NotFound` for an unknown code or a group that
    /// does not overlap the actor's jurisdiction.
    pub async fn key_group(&self, actor: &Actor, code: &str) -> Result<KeyGroup> {
        actor.require(Permission::TestingRead)?;
        let (lo, hi) = actor.scope.code_bounds();
        let group = self.store().testing().key_group(code, &lo, &hi).await?;
        overlap_bounds(&actor.scope, &group.jurisdiction_code).ok_or(Error::NotFound)?;
        Ok(group)
    }

    /// Adds the persons listed in a file (CSV, XLSX or NDJSON, identified by document) to a
    /// group; all or nothing. Returns `(rows, added)`; a re-run adds nothing.
    ///
    /// # Errors
    /// `Import` naming file, line and field for bad rows or persons not registered in the
    /// actor's jurisdiction; `Forbidden` without `testing.manage`.
    pub async fn import_key_group_members(
        &self,
        actor: &Actor,
        code: &str,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<(u64, u64)> {
        actor.require(Permission::TestingManage)?;
        let group = self.key_group(actor, code).await?;
        let records = fangkong_ingest::parse_members(file_name, bytes)?;
        let persons = self.store().persons();
        let mut ids = Vec::with_capacity(records.len());
        let mut errors = Vec::new();
        for r in &records {
            match persons.find_by_document(&actor.scope, &r.document).await? {
                Some(p) => ids.push(p.merged_into.unwrap_or(p.id)),
                None => errors.push(fangkong_ingest::RowError::new(
                    r.line,
                    "id_number",
                    "no person with this document is registered in your jurisdiction",
                )),
            }
        }
        if !errors.is_empty() {
            return Err(Error::Import(fangkong_ingest::FileErrors {
                file: file_name.to_string(),
                errors,
            }));
        }
        let added = self
            .store()
            .testing()
            .add_members(group.id, &ids, self.now_ms())
            .await?;
        self.audit(
            actor,
            "testing.key_group_import",
            "key_group",
            Some(group.code.clone()),
            None,
            serde_json::json!({ "file": file_name, "rows": records.len(), "added": added }),
        )
        .await?;
        Ok((records.len() as u64, added))
    }

    /// The schedule of a group on `today`: compliance by community inside the actor's
    /// jurisdiction (and `within`, when given) and the overdue members, most overdue first,
    /// at most `limit` of them. Listing members is audited.
    ///
    /// # Errors
    /// `Forbidden` without `testing.read`; `NotFound` for an unknown group.
    pub async fn group_schedule(
        &self,
        actor: &Actor,
        code: &str,
        within: Option<&JurisdictionCode>,
        today: NaiveDate,
        limit: usize,
    ) -> Result<GroupSchedule> {
        let group = self.key_group(actor, code).await?;
        let scope = actor.scope.code_bounds();
        let within = within.map_or_else(
            || (String::new(), ":".to_string()),
            JurisdictionCode::subtree_bounds,
        );
        let members = self
            .store()
            .testing()
            .member_testing(group.id, (&scope.0, &scope.1), (&within.0, &within.1))
            .await?;
        let dues: Vec<MemberDue> = members
            .iter()
            .map(|m| member_due(m, group.interval_days, today))
            .collect();
        let mut communities: Vec<CommunityCompliance> = Vec::new();
        for d in &dues {
            if communities
                .last()
                .is_none_or(|c| c.community_code != d.community_code)
            {
                communities.push(CommunityCompliance {
                    community_code: d.community_code.clone(),
                    community_name: String::new(),
                    members: 0,
                    due_today: 0,
                    overdue: 0,
                });
            }
            if let Some(c) = communities.last_mut() {
                c.members += 1;
                match d.status {
                    DueStatus::Overdue => c.overdue += 1,
                    DueStatus::DueToday => c.due_today += 1,
                    DueStatus::UpToDate => {}
                }
            }
        }
        let names = self
            .jurisdiction_names(communities.iter().map(|c| c.community_code.as_str()))
            .await?;
        for c in &mut communities {
            c.community_name = names.get(&c.community_code).cloned().unwrap_or_default();
        }
        let mut overdue: Vec<MemberDue> = dues
            .into_iter()
            .filter(|d| d.status == DueStatus::Overdue)
            .collect();
        let overdue_total = overdue.len() as u64;
        overdue.sort_by(|a, b| {
            b.days_overdue
                .cmp(&a.days_overdue)
                .then_with(|| a.community_code.cmp(&b.community_code))
                .then_with(|| a.person_id.cmp(&b.person_id))
        });
        overdue.truncate(limit);
        let ids: Vec<i64> = overdue.iter().map(|d| d.person_id).collect();
        let mut persons = self.store().persons().find_many(&actor.scope, &ids).await?;
        let overdue = overdue
            .into_iter()
            .filter_map(|due| {
                let i = persons.iter().position(|p| p.id == due.person_id)?;
                Some(OverdueMember {
                    person: persons.swap_remove(i),
                    due,
                })
            })
            .collect::<Vec<_>>();
        if !overdue.is_empty() {
            self.audit(
                actor,
                "testing.overdue_list",
                "key_group",
                Some(group.code.clone()),
                None,
                serde_json::json!({ "listed": overdue.len(), "day": today.to_string() }),
            )
            .await?;
        }
        Ok(GroupSchedule {
            group,
            today,
            communities,
            overdue,
            overdue_total,
        })
    }

    /// A person's last collection and the key groups they are scheduled in.
    ///
    /// # Errors
    /// `Forbidden` without `testing.read`; `NotFound` for a person outside the jurisdiction.
    pub async fn person_schedule(&self, actor: &Actor, person_id: i64) -> Result<PersonSchedule> {
        actor.require(Permission::TestingRead)?;
        let person = self.store().persons().find(&actor.scope, person_id).await?;
        let testing = self.store().testing();
        let last = testing.last_collected_at(person.id).await?;
        let today = self.today();
        let groups = testing
            .person_groups(person.id)
            .await?
            .into_iter()
            .map(|(group, added_at)| {
                let m = MemberTesting {
                    person_id: person.id,
                    community_code: person.community_code.clone(),
                    added_at,
                    last_collected_at: last,
                };
                let due = member_due(&m, group.interval_days, today);
                (group, due)
            })
            .collect();
        Ok(PersonSchedule {
            last_collected_at: last,
            groups,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(rfc3339: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .timestamp_millis()
    }

    #[test]
    fn china_days_turn_at_midnight_shanghai_time() {
        assert_eq!(
            china_day(ms("2026-11-29T15:59:59.999Z")).to_string(),
            "2026-11-29"
        );
        assert_eq!(
            china_day(ms("2026-11-29T16:00:00Z")).to_string(),
            "2026-11-30"
        );
        let day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert_eq!(china_day_start_ms(day), ms("2026-11-29T16:00:00Z"));
    }

    #[test]
    fn a_daily_member_is_due_the_next_shanghai_day_and_overdue_after() {
        // Sampled at 00:30 Shanghai time on 30 November (16:30 UTC on the 29th).
        let m = MemberTesting {
            person_id: 1,
            community_code: "x".into(),
            added_at: 0,
            last_collected_at: Some(ms("2026-11-29T16:30:00Z")),
        };
        let day = |d| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
        let on = member_due(&m, 1, NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
        assert_eq!(on.due_on, day(1));
        assert_eq!(on.status, DueStatus::UpToDate);
        assert_eq!(member_due(&m, 1, day(1)).status, DueStatus::DueToday);
        let late = member_due(&m, 1, day(3));
        assert_eq!((late.status, late.days_overdue), (DueStatus::Overdue, 2));
        // Weekly: due 7 December.
        assert_eq!(member_due(&m, 7, day(7)).status, DueStatus::DueToday);
    }

    #[test]
    fn frequencies_round_trip() {
        for f in [
            Frequency::Daily,
            Frequency::EveryTwoDays,
            Frequency::Weekly,
            Frequency::Custom(3),
        ] {
            assert_eq!(Frequency::from_interval(f.interval_days()), f);
            let n = Some(f.interval_days());
            assert_eq!(Frequency::parse(f.name(), n).unwrap(), f);
        }
        assert!(Frequency::parse("custom", Some(0)).is_err());
        assert!(Frequency::parse("hourly", None).is_err());
    }
}
