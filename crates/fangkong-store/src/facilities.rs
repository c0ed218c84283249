//! Households, facilities (workplaces, schools, venues, sentinels, labs, sampling sites,
//! quarantine sites, hospitals, warehouses) and quarantine rooms.
//!
//! Facilities are not personal data, but lists still follow the caller's scope so that a
//! county sees its own.

use fangkong_domain::{JurisdictionCode, Scope};

use crate::backend::{with_db, Db};
use crate::Result;

/// A household (people living at one address).
#[derive(Debug, Clone, PartialEq)]
pub struct NewHousehold {
    pub id: i64,
    pub community_code: String,
    pub address: String,
    pub size: i64,
}

/// A facility as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Facility {
    pub id: i64,
    pub kind: String,
    pub subtype: String,
    pub name: String,
    pub community_code: String,
    pub place_code: Option<String>,
    pub capacity: i64,
    pub beds_general: i64,
    pub beds_icu: i64,
    pub beds_isolation: i64,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub synthetic: bool,
}

/// A quarantine room.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Room {
    pub id: i64,
    pub facility_id: i64,
    pub number: String,
    pub beds: i64,
    /// Suitable for the elderly and the disabled.
    pub accessible: bool,
}

/// Totals of one facility kind inside a scope.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct KindSummary {
    pub kind: String,
    pub count: i64,
    pub capacity: i64,
    pub beds: i64,
}

pub(crate) const COLUMNS: &str = "id, kind, subtype, name, community_code, place_code, capacity, \
    beds_general, beds_icu, beds_isolation, lon, lat, synthetic";

/// Access to households, facilities and rooms.
pub struct Facilities<'a> {
    pub(crate) db: &'a Db,
}

impl Facilities<'_> {
    /// Facilities inside the scope (and `within`, if given), optionally of one kind, by id.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn list(
        &self,
        scope: &Scope,
        kind: Option<&str>,
        within: Option<&JurisdictionCode>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Facility>> {
        let (lo, hi) = scope.code_bounds();
        let (wlo, whi) = crate::within_bounds(within);
        let sql = format!(
            "SELECT {COLUMNS} FROM facilities WHERE community_code >= $1 AND community_code < $2 \
             AND community_code >= $3 AND community_code < $4 AND ($5 IS NULL OR kind = $5) \
             ORDER BY id LIMIT $6 OFFSET $7"
        );
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(&lo)
                    .bind(&hi)
                    .bind(&wlo)
                    .bind(&whi)
                    .bind(kind)
                    .bind(limit)
                    .bind(offset)
                    .fetch_all(pool)
                    .await?
            }
        ))
    }

    /// One facility by id, if inside the scope.
    ///
    /// # Errors
    /// `NotFound` when absent or outside the scope.
    pub async fn get(&self, scope: &Scope, id: i64) -> Result<Facility> {
        let (lo, hi) = scope.code_bounds();
        let sql = format!(
            "SELECT {COLUMNS} FROM facilities WHERE id = $1 AND community_code >= $2 \
             AND community_code < $3"
        );
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(id)
                    .bind(&lo)
                    .bind(&hi)
                    .fetch_one(pool)
                    .await?
            }
        ))
    }

    /// Count, total capacity and total beds per facility kind inside the scope and `within`.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn summary(
        &self,
        scope: &Scope,
        within: Option<&JurisdictionCode>,
    ) -> Result<Vec<KindSummary>> {
        let (lo, hi) = scope.code_bounds();
        let (wlo, whi) = crate::within_bounds(within);
        Ok(with_db!(
            self.db,
            read | pool
                | {
                    sqlx::query_as(
                "SELECT kind, COUNT(*) AS count, CAST(COALESCE(SUM(capacity), 0) AS BIGINT) AS capacity, \
                 CAST(COALESCE(SUM(beds_general + beds_icu + beds_isolation), 0) AS BIGINT) AS beds \
                 FROM facilities WHERE community_code >= $1 AND community_code < $2 \
                 AND community_code >= $3 AND community_code < $4 GROUP BY kind ORDER BY kind",
            )
            .bind(&lo)
            .bind(&hi)
            .bind(&wlo)
            .bind(&whi)
            .fetch_all(pool)
            .await?
                }
        ))
    }

    /// The rooms of a facility.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn rooms(&self, facility_id: i64) -> Result<Vec<Room>> {
        Ok(with_db!(
            self.db,
            read | pool
                | {
                    sqlx::query_as(
                "SELECT id, facility_id, number, beds, accessible FROM rooms WHERE facility_id = $1 ORDER BY number",
            )
            .bind(facility_id)
            .fetch_all(pool)
            .await?
                }
        ))
    }

    /// Number of households inside the scope.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn count_households(&self, scope: &Scope) -> Result<i64> {
        let (lo, hi) = scope.code_bounds();
        let (n,): (i64,) = with_db!(
            self.db,
            read | pool
                | {
                    sqlx::query_as(
                "SELECT COUNT(*) FROM households WHERE community_code >= $1 AND community_code < $2",
            )
            .bind(&lo)
            .bind(&hi)
            .fetch_one(pool)
            .await?
                }
        );
        Ok(n)
    }
}
