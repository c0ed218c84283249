//! The jurisdiction hierarchy: codes, names, levels, population by age band, boundaries.
//!
//! Subtree queries are code ranges (`code >= '4117' AND code < '4117:'`) over the primary
//! key, so they use the index on both backends.

use fangkong_domain::{JurisdictionCode, Level, Scope};

use crate::backend::{with_db, Db, MAX_BINDS};
use crate::{Result, StoreError};

/// A jurisdiction as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Jurisdiction {
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent_code: Option<String>,
    pub pop_0_14: Option<i64>,
    pub pop_15_59: Option<i64>,
    pub pop_60_79: Option<i64>,
    pub pop_80_plus: Option<i64>,
    pub male: Option<i64>,
    pub female: Option<i64>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
}

impl Jurisdiction {
    /// Total population from the age bands, if known.
    pub fn population(&self) -> Option<i64> {
        Some(self.pop_0_14? + self.pop_15_59? + self.pop_60_79? + self.pop_80_plus?)
    }
}

/// A jurisdiction to create or update.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJurisdiction {
    pub code: JurisdictionCode,
    pub name: String,
    /// Population by [`fangkong_domain::AgeBand::ALL`] order; `None` leaves it unknown (or,
    /// on update, unchanged).
    pub population: Option<[i64; 4]>,
    pub male_female: Option<(i64, i64)>,
    pub centroid: Option<(f64, f64)>,
}

/// How an upsert batch changed the table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpsertSummary {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

const COLUMNS: &str = "code, name, level, parent_code, pop_0_14, pop_15_59, pop_60_79, \
                       pop_80_plus, male, female, lon, lat";

/// Access to the `jurisdictions` table.
pub struct Jurisdictions<'a> {
    pub(crate) db: &'a Db,
}

impl Jurisdictions<'_> {
    /// One jurisdiction by code.
    ///
    /// # Errors
    /// `NotFound` when there is none.
    pub async fn get(&self, code: &str) -> Result<Jurisdiction> {
        let sql = format!("SELECT {COLUMNS} FROM jurisdictions WHERE code = $1");
        Ok(with_db!(
            self.db,
            read | pool | { sqlx::query_as(&sql).bind(code).fetch_one(pool).await? }
        ))
    }

    /// Jurisdictions inside the scope, optionally of one level and/or under one parent code
    /// (`parent` is the direct parent when `level` is absent, otherwise any ancestor), in code
    /// order, at most `limit`.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn list(
        &self,
        scope: &Scope,
        level: Option<Level>,
        parent: Option<&JurisdictionCode>,
        limit: i64,
    ) -> Result<Vec<Jurisdiction>> {
        let (lo, hi) = scope.code_bounds();
        let (plo, phi) = crate::within_bounds(parent);
        let direct_parent = match (level, parent) {
            (None, Some(p)) => Some(p.as_str()),
            _ => None,
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM jurisdictions \
             WHERE code >= $1 AND code < $2 AND code >= $3 AND code < $4 \
               AND ($5 IS NULL OR level = $5) AND ($6 IS NULL OR parent_code = $6) \
             ORDER BY code LIMIT $7"
        );
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(&lo)
                    .bind(&hi)
                    .bind(&plo)
                    .bind(&phi)
                    .bind(level.map(Level::as_str))
                    .bind(direct_parent)
                    .bind(limit)
                    .fetch_all(pool)
                    .await?
            }
        ))
    }

    /// The chain from the top of the hierarchy down to `code` (inclusive), for breadcrumbs.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn ancestors(&self, code: &JurisdictionCode) -> Result<Vec<Jurisdiction>> {
        let mut codes = Vec::new();
        let mut next = Some(code.clone());
        while let Some(c) = next {
            next = c.parent();
            codes.push(c.as_str().to_string());
        }
        let mut found = Vec::new();
        for c in codes.iter().rev() {
            match self.get(c).await {
                Ok(j) => found.push(j),
                Err(StoreError::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(found)
    }

    /// Number of jurisdictions per level inside the scope.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn count_by_level(&self, scope: &Scope) -> Result<Vec<(String, i64)>> {
        let (lo, hi) = scope.code_bounds();
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT level, COUNT(*) FROM jurisdictions WHERE code >= $1 AND code < $2 \
                 GROUP BY level",
                )
                .bind(&lo)
                .bind(&hi)
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// Which of `codes` exist.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn existing(&self, codes: &[&str]) -> Result<std::collections::HashSet<String>> {
        Ok(self.get_many(codes).await?.into_keys().collect())
    }

    /// Those of `codes` that exist, by code.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn get_many(
        &self,
        codes: &[&str],
    ) -> Result<std::collections::HashMap<String, Jurisdiction>> {
        let mut out = std::collections::HashMap::new();
        for chunk in codes.chunks(MAX_BINDS) {
            let placeholders = self.db.placeholders(1, chunk.len());
            let sql = format!("SELECT {COLUMNS} FROM jurisdictions WHERE code IN ({placeholders})");
            let rows: Vec<Jurisdiction> = with_db!(
                self.db,
                read | pool | {
                    let mut q = sqlx::query_as(&sql);
                    for c in chunk {
                        q = q.bind(*c);
                    }
                    q.fetch_all(pool).await?
                }
            );
            out.extend(rows.into_iter().map(|j| (j.code.clone(), j)));
        }
        Ok(out)
    }

    /// Creates or updates jurisdictions in one transaction, parents before children; a row
    /// equal to what is stored is left untouched, so re-running an import changes nothing.
    ///
    /// Every parent must exist, in the table or earlier in `rows`.
    ///
    /// # Errors
    /// `Conflict` when a parent is missing (nothing is written), `Unavailable` on failure.
    pub async fn upsert_batch(
        &self,
        rows: &[NewJurisdiction],
        now_ms: i64,
    ) -> Result<UpsertSummary> {
        let mut sorted: Vec<&NewJurisdiction> = rows.iter().collect();
        sorted.sort_by_key(|r| (r.code.as_str().len(), r.code.as_str().to_string()));
        let mut summary = UpsertSummary::default();
        let select = format!("SELECT {COLUMNS} FROM jurisdictions WHERE code = $1");
        with_db!(
            self.db,
            write
                | pool
                | {
                    let mut tx = pool.begin().await?;
                    for row in sorted {
                        let existing: Option<Jurisdiction> = sqlx::query_as(&select)
                            .bind(row.code.as_str())
                            .fetch_optional(&mut *tx)
                            .await?;
                        let merged = merge(existing.as_ref(), row);
                        match &existing {
                            Some(old) if *old == merged => {
                                summary.unchanged += 1;
                                continue;
                            }
                            Some(_) => summary.updated += 1,
                            None => summary.created += 1,
                        }
                        // One statement for both cases; level and parent follow from the
                        // code, so they never change on update.
                        sqlx::query(
                            "INSERT INTO jurisdictions (code, name, level, parent_code, pop_0_14, \
                             pop_15_59, pop_60_79, pop_80_plus, male, female, lon, lat, updated_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                             ON CONFLICT (code) DO UPDATE SET name = excluded.name, \
                             pop_0_14 = excluded.pop_0_14, pop_15_59 = excluded.pop_15_59, \
                             pop_60_79 = excluded.pop_60_79, pop_80_plus = excluded.pop_80_plus, \
                             male = excluded.male, female = excluded.female, lon = excluded.lon, \
                             lat = excluded.lat, updated_at = excluded.updated_at",
                        )
                        .bind(&merged.code)
                        .bind(&merged.name)
                        .bind(&merged.level)
                        .bind(&merged.parent_code)
                        .bind(merged.pop_0_14)
                        .bind(merged.pop_15_59)
                        .bind(merged.pop_60_79)
                        .bind(merged.pop_80_plus)
                        .bind(merged.male)
                        .bind(merged.female)
                        .bind(merged.lon)
                        .bind(merged.lat)
                        .bind(now_ms)
                        .execute(&mut *tx)
                        .await?;
                    }
                    tx.commit().await?;
                }
        );
        Ok(summary)
    }

    /// Sets the GeoJSON boundaries of existing jurisdictions in one transaction; unchanged
    /// boundaries are not rewritten. Returns how many changed.
    ///
    /// # Errors
    /// `NotFound` when a code does not exist (nothing is written).
    pub async fn set_boundaries(&self, rows: &[(String, String)], now_ms: i64) -> Result<u64> {
        let mut changed = 0;
        with_db!(
            self.db,
            write
                | pool
                | {
                    let mut tx = pool.begin().await?;
                    for (code, geometry) in rows {
                        let current: Option<(Option<String>,)> =
                            sqlx::query_as("SELECT boundary FROM jurisdictions WHERE code = $1")
                                .bind(code)
                                .fetch_optional(&mut *tx)
                                .await?;
                        match current {
                            None => return Err(StoreError::NotFound),
                            Some((Some(g),)) if &g == geometry => {}
                            Some(_) => {
                                sqlx::query(
                            "UPDATE jurisdictions SET boundary = $2, updated_at = $3 WHERE code = $1",
                        )
                        .bind(code)
                        .bind(geometry)
                        .bind(now_ms)
                        .execute(&mut *tx)
                        .await?;
                                changed += 1;
                            }
                        }
                    }
                    tx.commit().await?;
                }
        );
        Ok(changed)
    }

    /// The GeoJSON boundary of a jurisdiction, if one was imported.
    ///
    /// # Errors
    /// `NotFound` when the jurisdiction does not exist.
    pub async fn boundary(&self, code: &str) -> Result<Option<String>> {
        let row: (Option<String>,) = with_db!(
            self.db,
            read | pool | {
                sqlx::query_as("SELECT boundary FROM jurisdictions WHERE code = $1")
                    .bind(code)
                    .fetch_one(pool)
                    .await?
            }
        );
        Ok(row.0)
    }
}

/// The stored row that results from applying `new` over `old`.
fn merge(old: Option<&Jurisdiction>, new: &NewJurisdiction) -> Jurisdiction {
    let pop = new.population;
    let keep = |i: usize, f: fn(&Jurisdiction) -> Option<i64>| match pop {
        Some(p) => Some(p[i]),
        None => old.and_then(f),
    };
    Jurisdiction {
        code: new.code.as_str().to_string(),
        name: new.name.clone(),
        level: new.code.level().as_str().to_string(),
        parent_code: new.code.parent().map(|p| p.as_str().to_string()),
        pop_0_14: keep(0, |j| j.pop_0_14),
        pop_15_59: keep(1, |j| j.pop_15_59),
        pop_60_79: keep(2, |j| j.pop_60_79),
        pop_80_plus: keep(3, |j| j.pop_80_plus),
        male: new.male_female.map(|m| m.0).or(old.and_then(|j| j.male)),
        female: new.male_female.map(|m| m.1).or(old.and_then(|j| j.female)),
        lon: new.centroid.map(|c| c.0).or(old.and_then(|j| j.lon)),
        lat: new.centroid.map(|c| c.1).or(old.and_then(|j| j.lat)),
    }
}
