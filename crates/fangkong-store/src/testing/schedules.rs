//! Key populations tested on a schedule: groups, their members (imported or by rule), and
//! each member's last collection, from which the app derives next-due dates and overdue lists.

use super::Testing;
use crate::backend::{with_db, MAX_BINDS};
use crate::Result;

/// A key population and its testing interval.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct KeyGroup {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub jurisdiction_code: String,
    /// Days between tests: 1 daily, 2 every two days, 7 weekly, any other value custom.
    pub interval_days: i64,
    /// JSON membership rule (`{"occupations": [...]}`), if membership follows one.
    pub rule: Option<String>,
    pub created_at: i64,
    /// Members living inside the reader's scope.
    pub members: i64,
}

/// A member of a key group with their latest collection, if any.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MemberTesting {
    pub person_id: i64,
    pub community_code: String,
    pub added_at: i64,
    /// Latest sample collected from the person (any tube, any round).
    pub last_collected_at: Option<i64>,
}

/// A new key group.
#[derive(Debug, Clone)]
pub struct NewKeyGroup<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub jurisdiction_code: &'a str,
    pub interval_days: i64,
    pub rule: Option<&'a str>,
}

/// A group a person belongs to and when they joined.
#[derive(sqlx::FromRow)]
struct Membership {
    #[sqlx(flatten)]
    group: KeyGroup,
    added_at: i64,
}

const GROUP_COLUMNS: &str =
    "g.id, g.code, g.name, g.jurisdiction_code, g.interval_days, g.rule, g.created_at";

impl Testing<'_> {
    /// Creates a key group.
    ///
    /// # Errors
    /// `Conflict` when the code is taken or the jurisdiction does not exist.
    pub async fn create_key_group(&self, g: &NewKeyGroup<'_>, now_ms: i64) -> Result<i64> {
        let (id,): (i64,) = with_db!(
            self.db,
            write
                | pool
                | {
                    sqlx::query_as(
                    "INSERT INTO key_groups (code, name, jurisdiction_code, interval_days, rule, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(g.code)
                .bind(g.name)
                .bind(g.jurisdiction_code)
                .bind(g.interval_days)
                .bind(g.rule)
                .bind(now_ms)
                .fetch_one(pool)
                .await?
                }
        );
        Ok(id)
    }

    /// The key groups whose jurisdiction overlaps the code range `[lo, hi)`, with their
    /// members inside that range counted.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn key_groups(&self, lo: &str, hi: &str) -> Result<Vec<KeyGroup>> {
        let sql = format!(
            "SELECT {GROUP_COLUMNS}, \
               (SELECT COUNT(*) FROM key_group_members m JOIN persons p ON p.id = m.person_id \
                WHERE m.group_id = g.id AND p.community_code >= $1 AND p.community_code < $2) AS members \
             FROM key_groups g \
             WHERE (g.jurisdiction_code >= $1 AND g.jurisdiction_code < $2) \
                OR ($1 >= g.jurisdiction_code AND $1 < g.jurisdiction_code || ':') \
             ORDER BY g.code"
        );
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(lo)
                    .bind(hi)
                    .fetch_all(pool)
                    .await?
            }
        ))
    }

    /// One key group by code, its members inside `[lo, hi)` counted.
    ///
    /// # Errors
    /// `NotFound` for an unknown code.
    pub async fn key_group(&self, code: &str, lo: &str, hi: &str) -> Result<KeyGroup> {
        let sql = format!(
            "SELECT {GROUP_COLUMNS}, \
               (SELECT COUNT(*) FROM key_group_members m JOIN persons p ON p.id = m.person_id \
                WHERE m.group_id = g.id AND p.community_code >= $2 AND p.community_code < $3) AS members \
             FROM key_groups g WHERE g.code = $1"
        );
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(code)
                    .bind(lo)
                    .bind(hi)
                    .fetch_one(pool)
                    .await?
            }
        ))
    }

    /// Adds every open person of the given occupations living in `[lo, hi)` to the group;
    /// returns how many were added (members already there are kept as they are).
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn add_members_by_occupation(
        &self,
        group_id: i64,
        occupations: &[String],
        lo: &str,
        hi: &str,
        now_ms: i64,
    ) -> Result<u64> {
        if occupations.is_empty() {
            return Ok(0);
        }
        let sql = format!(
            "INSERT INTO key_group_members (group_id, person_id, source, added_at) \
             SELECT {}, id, 'rule', {} FROM persons \
             WHERE community_code >= {} AND community_code < {} AND merged_into IS NULL \
               AND closed_at IS NULL AND occupation IN ({}) \
             ON CONFLICT (group_id, person_id) DO NOTHING",
            self.db.placeholders(1, 1),
            self.db.placeholders(2, 1),
            self.db.placeholders(3, 1),
            self.db.placeholders(4, 1),
            self.db.placeholders(5, occupations.len()),
        );
        let done = with_db!(
            self.db,
            write | pool | {
                let mut q = sqlx::query(&sql)
                    .bind(group_id)
                    .bind(now_ms)
                    .bind(lo)
                    .bind(hi);
                for o in occupations {
                    q = q.bind(o);
                }
                q.execute(pool).await?.rows_affected()
            }
        );
        Ok(done)
    }

    /// Adds the persons to the group in one transaction; returns how many were new.
    ///
    /// # Errors
    /// `Unavailable` on database failure (nothing is added then).
    pub async fn add_members(&self, group_id: i64, person_ids: &[i64], now_ms: i64) -> Result<u64> {
        const COLUMNS: usize = 4;
        let mut added = 0;
        with_db!(
            self.db,
            write
                | pool
                | {
                    let mut tx = pool.begin().await?;
                    for chunk in person_ids.chunks(MAX_BINDS / COLUMNS) {
                        let sql = format!(
                        "INSERT INTO key_group_members (group_id, person_id, source, added_at) VALUES {} \
                         ON CONFLICT (group_id, person_id) DO NOTHING",
                        self.db.values_clause(chunk.len(), COLUMNS)
                    );
                        let mut q = sqlx::query(&sql);
                        for id in chunk {
                            q = q.bind(group_id).bind(*id).bind("import").bind(now_ms);
                        }
                        added += q.execute(&mut *tx).await?.rows_affected();
                    }
                    tx.commit().await?;
                }
        );
        Ok(added)
    }

    /// The members of a group living in `[lo, hi)` (and, when given, in `[wlo, whi)`), with
    /// their latest collection, ordered by community then person.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn member_testing(
        &self,
        group_id: i64,
        (lo, hi): (&str, &str),
        (wlo, whi): (&str, &str),
    ) -> Result<Vec<MemberTesting>> {
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT m.person_id, p.community_code, m.added_at, \
                       (SELECT MAX(s.collected_at) FROM samples s WHERE s.person_id = m.person_id) \
                         AS last_collected_at \
                     FROM key_group_members m JOIN persons p ON p.id = m.person_id \
                     WHERE m.group_id = $1 AND p.community_code >= $2 AND p.community_code < $3 \
                       AND p.community_code >= $4 AND p.community_code < $5 \
                       AND p.merged_into IS NULL AND p.closed_at IS NULL \
                     ORDER BY p.community_code, m.person_id",
                )
                .bind(group_id)
                .bind(lo)
                .bind(hi)
                .bind(wlo)
                .bind(whi)
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// The key groups a person belongs to, with the person's latest collection.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn person_groups(&self, person_id: i64) -> Result<Vec<(KeyGroup, i64)>> {
        let sql = format!(
            "SELECT {GROUP_COLUMNS}, CAST(1 AS BIGINT) AS members, m.added_at FROM key_groups g \
             JOIN key_group_members m ON m.group_id = g.id WHERE m.person_id = $1 ORDER BY g.code"
        );
        let rows: Vec<Membership> = with_db!(
            self.db,
            read | pool | { sqlx::query_as(&sql).bind(person_id).fetch_all(pool).await? }
        );
        Ok(rows.into_iter().map(|m| (m.group, m.added_at)).collect())
    }

    /// The latest collection from a person, if any.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn last_collected_at(&self, person_id: i64) -> Result<Option<i64>> {
        let (at,): (Option<i64>,) = with_db!(
            self.db,
            read | pool | {
                sqlx::query_as("SELECT MAX(collected_at) FROM samples WHERE person_id = $1")
                    .bind(person_id)
                    .fetch_one(pool)
                    .await?
            }
        );
        Ok(at)
    }
}
