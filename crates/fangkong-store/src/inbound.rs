//! Inbound control (the four pockets): the versions of the control-measure policy.
//!
//! A version is stored with its file as loaded; parsing and validating it is the ingest
//! crate's and the domain's work, done before it reaches the store.

use crate::backend::with_db;
use crate::{Result, StoreError};

/// A stored policy version.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredPolicy {
    pub id: i64,
    pub version: String,
    /// `YYYY-MM-DD`.
    pub effective_from: String,
    /// The policy file as loaded.
    pub source: String,
    pub source_sha256: String,
    /// Number of rules.
    pub rules: i64,
    pub loaded_at: i64,
    pub loaded_by: String,
}

/// A policy version to store.
#[derive(Debug, Clone)]
pub struct NewPolicy<'a> {
    pub version: &'a str,
    pub effective_from: &'a str,
    pub source: &'a str,
    pub source_sha256: &'a str,
    pub rules: i64,
    pub loaded_at: i64,
    pub loaded_by: &'a str,
}

/// Whether storing a policy version added it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyStored {
    Added,
    /// The same version with the same text was already stored.
    Unchanged,
}

/// Access to the inbound control tables.
pub struct Inbound<'a> {
    pub(crate) db: &'a crate::backend::Db,
}

const COLUMNS: &str =
    "id, version, effective_from, source, source_sha256, rules, loaded_at, loaded_by";

impl Inbound<'_> {
    /// Every stored policy version, by effective date then load order.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn policies(&self) -> Result<Vec<StoredPolicy>> {
        let sql = format!("SELECT {COLUMNS} FROM inbound_policies ORDER BY effective_from, id");
        Ok(with_db!(
            self.db,
            read | pool | { sqlx::query_as(&sql).fetch_all(pool).await? }
        ))
    }

    /// One stored policy version, by its label.
    ///
    /// # Errors
    /// `NotFound` for an unknown version; `Unavailable` on database failure.
    pub async fn policy(&self, version: &str) -> Result<StoredPolicy> {
        let sql = format!("SELECT {COLUMNS} FROM inbound_policies WHERE version = $1");
        let found: Option<StoredPolicy> = with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(version)
                    .fetch_optional(pool)
                    .await?
            }
        );
        found.ok_or(StoreError::NotFound)
    }

    /// Stores a policy version. The same version with the same text again changes nothing.
    ///
    /// # Errors
    /// `Conflict` when the version was stored with another text; `Unavailable` on database
    /// failure.
    pub async fn add_policy(&self, p: &NewPolicy<'_>) -> Result<PolicyStored> {
        with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                let existing: Option<String> = sqlx::query_scalar(
                    "SELECT source_sha256 FROM inbound_policies WHERE version = $1",
                )
                .bind(p.version)
                .fetch_optional(&mut *tx)
                .await?;
                match existing {
                    Some(hash) if hash == p.source_sha256 => return Ok(PolicyStored::Unchanged),
                    Some(_) => {
                        return Err(StoreError::Conflict {
                            constraint: "inbound_policies.version".to_string(),
                        })
                    }
                    None => {}
                }
                sqlx::query(
                    "INSERT INTO inbound_policies (version, effective_from, source, source_sha256, \
                     rules, loaded_at, loaded_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(p.version)
                .bind(p.effective_from)
                .bind(p.source)
                .bind(p.source_sha256)
                .bind(p.rules)
                .bind(p.loaded_at)
                .bind(p.loaded_by)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
            }
        );
        Ok(PolicyStored::Added)
    }
}

/// A risk-area designation as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RiskArea {
    pub id: i64,
    pub jurisdiction_code: String,
    pub name: String,
    /// `high`, `medium`, `low`, `sealed`, `controlled` or `precaution`.
    pub level: String,
    pub designated_at: i64,
    pub designated_by: String,
    pub lift_after_days: Option<i64>,
    pub lifted_at: Option<i64>,
    pub lift_reason: Option<String>,
    /// For a set of addresses or buildings inside the jurisdiction: a JSON array of them;
    /// `None` for the whole jurisdiction.
    pub addresses: Option<String>,
}

impl RiskArea {
    /// The addresses of a set designation (empty for a whole jurisdiction).
    pub fn address_list(&self) -> Vec<String> {
        self.addresses
            .as_deref()
            .and_then(|a| serde_json::from_str(a).ok())
            .unwrap_or_default()
    }
}

/// A designation to store.
#[derive(Debug, Clone)]
pub struct NewRiskArea<'a> {
    pub jurisdiction_code: &'a str,
    pub name: &'a str,
    pub level: &'a str,
    pub designated_at: i64,
    pub designated_by: &'a str,
    pub lift_after_days: Option<i64>,
    /// A set of addresses or buildings inside the jurisdiction, as a JSON array; `None`
    /// designates the whole jurisdiction. A set is known by its code and name.
    pub addresses: Option<String>,
}

/// What designating a code did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Designated {
    /// No designation was in force; this is the new one's id.
    Created(i64),
    /// One of another level was lifted; this is the new one's id.
    Redesignated(i64),
    /// One of the same level is in force; this is its id.
    Unchanged(i64),
}

impl Designated {
    /// The id of the designation in force now.
    pub fn id(self) -> i64 {
        match self {
            Designated::Created(id) | Designated::Redesignated(id) | Designated::Unchanged(id) => {
                id
            }
        }
    }
}

const AREA_COLUMNS: &str = "id, jurisdiction_code, name, level, designated_at, designated_by, \
    lift_after_days, lifted_at, lift_reason, addresses";

impl Inbound<'_> {
    /// Designates an area; see [`Inbound::designate_all`].
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn designate(&self, a: &NewRiskArea<'_>) -> Result<Designated> {
        let mut done = self.designate_all(std::slice::from_ref(a)).await?;
        done.pop().ok_or(StoreError::NotFound)
    }

    /// Designates areas in one transaction (all or none). A code whose designation in force
    /// has the same level is left as it is; one with another level is lifted, with the reason
    /// `redesignated as <level>`, and designated anew, so a code's rows stay its history.
    ///
    /// # Errors
    /// `Unavailable` on database failure (nothing is written then).
    pub async fn designate_all(&self, areas: &[NewRiskArea<'_>]) -> Result<Vec<Designated>> {
        let mut out = Vec::with_capacity(areas.len());
        with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                for a in areas {
                    let current: Option<(i64, String, Option<String>)> = sqlx::query_as(
                        "SELECT id, level, addresses FROM risk_areas \
                             WHERE jurisdiction_code = $1 AND lifted_at IS NULL \
                             AND ((addresses IS NULL AND $2) OR (addresses IS NOT NULL \
                             AND NOT $2 AND name = $3))",
                    )
                    .bind(a.jurisdiction_code)
                    .bind(a.addresses.is_none())
                    .bind(a.name)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some((id, level, addresses)) = &current {
                        if level == a.level && *addresses == a.addresses {
                            out.push(Designated::Unchanged(*id));
                            continue;
                        }
                        sqlx::query(
                            "UPDATE risk_areas SET lifted_at = $1, lift_reason = $2 WHERE id = $3",
                        )
                        .bind(a.designated_at)
                        .bind(format!("redesignated as {}", a.level))
                        .bind(*id)
                        .execute(&mut *tx)
                        .await?;
                    }
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO risk_areas (jurisdiction_code, name, level, designated_at, \
                         designated_by, lift_after_days, addresses) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                    )
                    .bind(a.jurisdiction_code)
                    .bind(a.name)
                    .bind(a.level)
                    .bind(a.designated_at)
                    .bind(a.designated_by)
                    .bind(a.lift_after_days)
                    .bind(&a.addresses)
                    .fetch_one(&mut *tx)
                    .await?;
                    out.push(if current.is_some() {
                        Designated::Redesignated(id)
                    } else {
                        Designated::Created(id)
                    });
                }
                tx.commit().await?;
            }
        );
        Ok(out)
    }

    /// One designation, in force or lifted.
    ///
    /// # Errors
    /// `NotFound` for an unknown id; `Unavailable` on database failure.
    pub async fn risk_area(&self, id: i64) -> Result<RiskArea> {
        let sql = format!("SELECT {AREA_COLUMNS} FROM risk_areas WHERE id = $1");
        let found: Option<RiskArea> = with_db!(
            self.db,
            read | pool | { sqlx::query_as(&sql).bind(id).fetch_optional(pool).await? }
        );
        found.ok_or(StoreError::NotFound)
    }

    /// Lifts a designation in force.
    ///
    /// # Errors
    /// `NotFound` when there is no such designation in force; `Unavailable` on database
    /// failure.
    pub async fn lift(&self, id: i64, at: i64, reason: &str) -> Result<RiskArea> {
        let sql = format!(
            "UPDATE risk_areas SET lifted_at = $1, lift_reason = $2 \
             WHERE id = $3 AND lifted_at IS NULL RETURNING {AREA_COLUMNS}"
        );
        let lifted: Option<RiskArea> = with_db!(
            self.db,
            write | pool | {
                sqlx::query_as(&sql)
                    .bind(at)
                    .bind(reason)
                    .bind(id)
                    .fetch_optional(pool)
                    .await?
            }
        );
        lifted.ok_or(StoreError::NotFound)
    }

    /// Designations, newest first: those in force only, or all (the history); optionally
    /// only those of one code.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn risk_areas(&self, in_force: bool, code: Option<&str>) -> Result<Vec<RiskArea>> {
        let in_force = if in_force {
            "lifted_at IS NULL"
        } else {
            "TRUE"
        };
        let sql = format!(
            "SELECT {AREA_COLUMNS} FROM risk_areas WHERE {in_force} \
             AND ($1 IS NULL OR jurisdiction_code = $1) ORDER BY designated_at DESC, id DESC"
        );
        Ok(with_db!(
            self.db,
            read | pool | { sqlx::query_as(&sql).bind(code).fetch_all(pool).await? }
        ))
    }

    /// The designations of `code` and of every jurisdiction above it that were in force at
    /// `at` (designated at or before it, not lifted by then), broadest first.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn covering(&self, code: &str, at: i64) -> Result<Vec<RiskArea>> {
        // The ancestors of a code are its prefixes of 2, 4, 6 and 9 digits.
        let prefixes: Vec<&str> = [2usize, 4, 6, 9, 12]
            .iter()
            .filter(|n| **n <= code.len())
            .map(|n| &code[..*n])
            .collect();
        let sql = format!(
            "SELECT {AREA_COLUMNS} FROM risk_areas WHERE jurisdiction_code IN ({}) \
             AND designated_at <= ${} AND (lifted_at IS NULL OR lifted_at > ${}) \
             ORDER BY LENGTH(jurisdiction_code)",
            (1..=prefixes.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", "),
            prefixes.len() + 1,
            prefixes.len() + 1,
        );
        Ok(with_db!(
            self.db,
            read | pool | {
                let mut q = sqlx::query_as(&sql);
                for p in &prefixes {
                    q = q.bind(*p);
                }
                q.bind(at).fetch_all(pool).await?
            }
        ))
    }

    /// When the latest new case in the subtree of `code` was reported, if any: a registered
    /// case not excluded (by its report time), or a suspected case from testing (a positive
    /// single tube, routed to the person's community) not registered yet.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn last_case_at(
        &self,
        code: &fangkong_domain::JurisdictionCode,
    ) -> Result<Option<i64>> {
        let (lo, hi) = code.subtree_bounds();
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_scalar(
                    "SELECT MAX(t) FROM ( \
                     SELECT reported_at AS t FROM cases WHERE community_code >= $1 \
                     AND community_code < $2 AND classification <> 'excluded' \
                     UNION ALL SELECT s.created_at AS t FROM suspected_cases s \
                     WHERE s.community_code >= $1 AND s.community_code < $2 \
                     AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.person_id = s.person_id) \
                     ) AS x",
                )
                .bind(&lo)
                .bind(&hi)
                .fetch_one(pool)
                .await?
            }
        ))
    }
}
