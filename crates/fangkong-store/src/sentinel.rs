//! Sentinel surveillance: the sentinels (facilities of kind `sentinel`), their daily reports,
//! reporting deadlines, the alerts of the daily aberration run with their history, and what
//! each user subscribes to.
//!
//! Every read and write of a sentinel, report or alert carries the scope's code range on the
//! `community_code` of the row (the sentinel's community, or the jurisdiction of an aggregate
//! alert). Days are `YYYY-MM-DD` text in China Standard Time, which sorts as dates.

use fangkong_domain::{sentinel, AlertStatus, JurisdictionCode, Scope};

use crate::backend::{with_db, Db};
use crate::{Result, StoreError};

/// A sentinel: a facility of kind `sentinel`.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Sentinel {
    pub id: i64,
    pub name: String,
    /// The facility's subtype: a `SentinelType` key.
    pub sentinel_type: String,
    pub community_code: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
}

/// A stored daily count.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Report {
    pub id: i64,
    pub sentinel_id: i64,
    pub community_code: String,
    pub day: String,
    pub indicator: String,
    pub count: i64,
    pub source: String,
    pub reported_at: i64,
    pub reported_by: String,
    pub revisions: i64,
}

/// A daily count to store.
#[derive(Debug, Clone)]
pub struct NewReport<'a> {
    pub sentinel_id: i64,
    pub community_code: &'a str,
    pub day: &'a str,
    pub indicator: &'a str,
    pub count: i64,
    /// `form`, `api`, `file` or `demo`.
    pub source: &'a str,
    pub reported_at: i64,
    pub reported_by: &'a str,
}

/// What storing a batch of reports did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReportCounts {
    pub created: u64,
    /// Rows whose count changed (a correction).
    pub updated: u64,
    /// Rows sent again with the count already stored.
    pub unchanged: u64,
}

/// One count of a series, for the aberration run.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SeriesPoint {
    pub sentinel_id: i64,
    pub sentinel_type: String,
    pub community_code: String,
    pub indicator: String,
    pub day: String,
    pub count: i64,
}

/// An alert as read, with the names of its sentinel and jurisdiction.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Alert {
    pub id: i64,
    pub series_key: String,
    pub sentinel_type: String,
    pub indicator: String,
    /// The most local level that alarmed.
    pub level: String,
    /// Every level that alarmed, comma-separated, most local first.
    pub levels: String,
    pub sentinel_id: Option<i64>,
    pub sentinel_name: Option<String>,
    pub community_code: String,
    pub jurisdiction_name: Option<String>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub first_day: String,
    pub last_day: String,
    pub signal_days: i64,
    pub observed: i64,
    pub threshold: f64,
    pub expected: Option<f64>,
    pub strength: f64,
    pub novel: bool,
    pub score: f64,
    pub method: String,
    pub status: String,
    pub assignee: Option<String>,
    pub signal_at: i64,
    pub verifying_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub created_by: String,
}

impl Alert {
    /// The levels that alarmed.
    pub fn level_keys(&self) -> Vec<&str> {
        self.levels.split(',').filter(|s| !s.is_empty()).collect()
    }
}

/// One entry of an alert's history.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AlertEvent {
    pub id: i64,
    pub alert_id: i64,
    pub at: i64,
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub assignee: Option<String>,
    pub note: Option<String>,
    pub actor: String,
}

/// A signal of the daily run, already deduplicated across levels.
#[derive(Debug, Clone)]
pub struct NewSignal<'a> {
    pub series_key: &'a str,
    pub sentinel_type: &'a str,
    pub indicator: &'a str,
    pub level: &'a str,
    pub levels: &'a str,
    pub sentinel_id: Option<i64>,
    pub community_code: &'a str,
    pub day: &'a str,
    pub observed: i64,
    pub threshold: f64,
    pub expected: Option<f64>,
    pub strength: f64,
    pub method: &'a str,
}

/// What storing the signals of a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignalCounts {
    /// The alerts created, by id.
    pub created: Vec<i64>,
    /// Open alerts of the same series extended to the day.
    pub extended: u64,
    /// Signals already recorded for the day (a run repeated).
    pub unchanged: u64,
}

/// Filters of alert lists.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter<'a> {
    pub status: Option<&'a str>,
    pub sentinel_type: Option<&'a str>,
    pub sentinel_id: Option<i64>,
    /// Only alerts whose last signal day is on or after this day.
    pub since: Option<&'a str>,
    pub limit: i64,
}

/// A user's alert subscription.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Subscription {
    pub user_id: i64,
    /// Comma-separated type keys; empty means every type.
    pub types: String,
    /// Comma-separated indicator keys; empty means every indicator.
    pub indicators: String,
    pub min_level: String,
    pub min_strength: f64,
    pub updated_at: i64,
}

/// Appends an entry to an alert's history inside the transaction `$tx` (a macro, so that
/// one text serves both backends' transactions).
macro_rules! insert_event {
    ($tx:ident, $alert:expr, $at:expr, $kind:expr, $from:expr, $to:expr, $note:expr, $by:expr) => {
        sqlx::query(
            "INSERT INTO sentinel_alert_events (alert_id, at, kind, from_status, to_status, \
             note, actor) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind($alert)
        .bind($at)
        .bind($kind)
        .bind($from)
        .bind($to)
        .bind($note)
        .bind($by)
        .execute(&mut *$tx)
        .await?
    };
}

/// Access to the sentinel tables.
pub struct Sentinels<'a> {
    pub(crate) db: &'a Db,
}

const SENTINEL_SELECT: &str = "SELECT f.id, f.name, f.subtype AS sentinel_type, \
    f.community_code, f.lon, f.lat FROM facilities f WHERE f.kind = 'sentinel'";

const ALERT_SELECT: &str = "SELECT a.id, a.series_key, a.sentinel_type, a.indicator, a.level, \
    a.levels, a.sentinel_id, f.name AS sentinel_name, a.community_code, \
    j.name AS jurisdiction_name, f.lon, f.lat, a.first_day, a.last_day, a.signal_days, \
    a.observed, a.threshold, a.expected, a.strength, a.novel, a.score, a.method, a.status, \
    a.assignee, a.signal_at, a.verifying_at, a.closed_at, a.created_by \
    FROM sentinel_alerts a LEFT JOIN facilities f ON f.id = a.sentinel_id \
    LEFT JOIN jurisdictions j ON j.code = a.community_code";

const REPORT_COLUMNS: &str = "id, sentinel_id, community_code, day, indicator, count, source, \
    reported_at, reported_by, revisions";

impl Sentinels<'_> {
    /// The sentinels inside the scope (and `within`, and of `sentinel_type` when given), by
    /// community and id.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn list(
        &self,
        scope: &Scope,
        within: Option<&JurisdictionCode>,
        sentinel_type: Option<&str>,
    ) -> Result<Vec<Sentinel>> {
        let (lo, hi) = scope.code_bounds();
        let (wlo, whi) = crate::within_bounds(within);
        let sql = format!(
            "{SENTINEL_SELECT} AND f.community_code >= $1 AND f.community_code < $2 \
             AND f.community_code >= $3 AND f.community_code < $4 \
             AND ($5 IS NULL OR f.subtype = $5) ORDER BY f.community_code, f.id"
        );
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(&lo)
                    .bind(&hi)
                    .bind(&wlo)
                    .bind(&whi)
                    .bind(sentinel_type)
                    .fetch_all(pool)
                    .await?
            }
        ))
    }

    /// One sentinel, if inside the scope.
    ///
    /// # Errors
    /// `NotFound` when absent, not a sentinel, or outside the scope; `Unavailable` on database
    /// failure.
    pub async fn get(&self, scope: &Scope, id: i64) -> Result<Sentinel> {
        let (lo, hi) = scope.code_bounds();
        let sql = format!(
            "{SENTINEL_SELECT} AND f.id = $1 AND f.community_code >= $2 AND f.community_code < $3"
        );
        let found: Option<Sentinel> = with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(id)
                    .bind(&lo)
                    .bind(&hi)
                    .fetch_optional(pool)
                    .await?
            }
        );
        found.ok_or(StoreError::NotFound)
    }

    /// The deadlines set per type, in minutes after the end of the day (types without a row
    /// keep the domain's default).
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn deadlines(&self) -> Result<Vec<(String, i64)>> {
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT sentinel_type, deadline_minutes FROM sentinel_deadlines \
                     ORDER BY sentinel_type",
                )
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// Sets the deadline of a type.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn set_deadline(
        &self,
        sentinel_type: &str,
        minutes: i64,
        at: i64,
        by: &str,
    ) -> Result<()> {
        with_db!(
            self.db,
            write | pool | {
                sqlx::query(
                    "INSERT INTO sentinel_deadlines (sentinel_type, deadline_minutes, updated_at, \
                     updated_by) VALUES ($1, $2, $3, $4) ON CONFLICT (sentinel_type) DO UPDATE \
                     SET deadline_minutes = excluded.deadline_minutes, \
                     updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                )
                .bind(sentinel_type)
                .bind(minutes)
                .bind(at)
                .bind(by)
                .execute(pool)
                .await?
                .rows_affected()
            }
        );
        Ok(())
    }

    /// Stores daily counts in one transaction (all or none). A key (sentinel, day, indicator)
    /// already stored with the same count is left alone; with another count the row is
    /// replaced and its `revisions` counted.
    ///
    /// # Errors
    /// `Unavailable` on database failure (nothing is written then).
    pub async fn upsert_reports(&self, reports: &[NewReport<'_>]) -> Result<ReportCounts> {
        let mut counts = ReportCounts::default();
        with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                for r in reports {
                    // Inserted: revisions 0; replaced: revisions >= 1; the same count: no row
                    // (the conflict's WHERE refuses the update).
                    let changed: Option<i64> = sqlx::query_scalar(
                        "INSERT INTO sentinel_reports (sentinel_id, community_code, day, \
                         indicator, count, source, reported_at, reported_by) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                         ON CONFLICT (sentinel_id, day, indicator) DO UPDATE SET \
                         count = excluded.count, source = excluded.source, \
                         reported_at = excluded.reported_at, reported_by = excluded.reported_by, \
                         revisions = sentinel_reports.revisions + 1 \
                         WHERE sentinel_reports.count <> excluded.count RETURNING revisions",
                    )
                    .bind(r.sentinel_id)
                    .bind(r.community_code)
                    .bind(r.day)
                    .bind(r.indicator)
                    .bind(r.count)
                    .bind(r.source)
                    .bind(r.reported_at)
                    .bind(r.reported_by)
                    .fetch_optional(&mut *tx)
                    .await?;
                    match changed {
                        Some(0) => counts.created += 1,
                        Some(_) => counts.updated += 1,
                        None => counts.unchanged += 1,
                    }
                }
                tx.commit().await?;
            }
        );
        Ok(counts)
    }

    /// The reports of one sentinel (or of every sentinel in the scope) between two days
    /// (inclusive), by day and indicator.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn reports(
        &self,
        scope: &Scope,
        sentinel_id: Option<i64>,
        from: &str,
        to: &str,
        limit: i64,
    ) -> Result<Vec<Report>> {
        let (lo, hi) = scope.code_bounds();
        let sql = format!(
            "SELECT {REPORT_COLUMNS} FROM sentinel_reports WHERE community_code >= $1 \
             AND community_code < $2 AND ($3 IS NULL OR sentinel_id = $3) AND day >= $4 \
             AND day <= $5 ORDER BY day, sentinel_id, indicator LIMIT $6"
        );
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(&lo)
                    .bind(&hi)
                    .bind(sentinel_id)
                    .bind(from)
                    .bind(to)
                    .bind(limit)
                    .fetch_all(pool)
                    .await?
            }
        ))
    }

    /// The (sentinel, day) pairs with at least one report from `from` on, inside the scope.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn reported_days(&self, scope: &Scope, from: &str) -> Result<Vec<(i64, String)>> {
        let (lo, hi) = scope.code_bounds();
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT DISTINCT sentinel_id, day FROM sentinel_reports \
                     WHERE community_code >= $1 AND community_code < $2 AND day >= $3",
                )
                .bind(&lo)
                .bind(&hi)
                .bind(from)
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// The last day each sentinel in the scope reported, if ever.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn last_report_days(&self, scope: &Scope) -> Result<Vec<(i64, String)>> {
        let (lo, hi) = scope.code_bounds();
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT sentinel_id, MAX(day) FROM sentinel_reports \
                     WHERE community_code >= $1 AND community_code < $2 GROUP BY sentinel_id",
                )
                .bind(&lo)
                .bind(&hi)
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// Every count of the sentinels in the scope between two days (inclusive), with the
    /// sentinel's type, for the aberration run.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn series_points(
        &self,
        scope: &Scope,
        from: &str,
        to: &str,
    ) -> Result<Vec<SeriesPoint>> {
        let (lo, hi) = scope.code_bounds();
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT r.sentinel_id, f.subtype AS sentinel_type, r.community_code, \
                     r.indicator, r.day, r.count FROM sentinel_reports r \
                     JOIN facilities f ON f.id = r.sentinel_id \
                     WHERE r.community_code >= $1 AND r.community_code < $2 \
                     AND r.day >= $3 AND r.day <= $4",
                )
                .bind(&lo)
                .bind(&hi)
                .bind(from)
                .bind(to)
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// Records the signals of a run in one transaction. For each signal, the latest alert of
    /// its series (key, type, indicator) decides:
    ///
    /// - its last day is the signal's day or later: the run was repeated, nothing changes;
    /// - it is open (new or verifying) and its last day is on or after `recent_since`: it is
    ///   extended to the day (count, threshold and strength of the day, levels merged);
    /// - otherwise a new alert is created, novel when the series had no alert on or after
    ///   `recent_since`.
    ///
    /// # Errors
    /// `Unavailable` on database failure (nothing is written then).
    pub async fn record_signals(
        &self,
        signals: &[NewSignal<'_>],
        recent_since: &str,
        at: i64,
        by: &str,
    ) -> Result<SignalCounts> {
        let mut out = SignalCounts::default();
        with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                for s in signals {
                    let latest: Option<(i64, String, String, String)> = sqlx::query_as(
                        "SELECT id, status, last_day, levels FROM sentinel_alerts \
                         WHERE series_key = $1 AND sentinel_type = $2 AND indicator = $3 \
                         ORDER BY last_day DESC, id DESC LIMIT 1",
                    )
                    .bind(s.series_key)
                    .bind(s.sentinel_type)
                    .bind(s.indicator)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let open =
                        |status: &str| AlertStatus::parse(status).is_some_and(|st| !st.is_closed());
                    match latest {
                        Some((_, _, last_day, _)) if last_day.as_str() >= s.day => {
                            out.unchanged += 1;
                        }
                        Some((id, status, last_day, levels))
                            if open(&status) && last_day.as_str() >= recent_since =>
                        {
                            let mut merged: Vec<&str> =
                                levels.split(',').chain(s.levels.split(',')).collect();
                            merged.sort_by_key(|l| fangkong_domain::SeriesLevel::parse(l));
                            merged.dedup();
                            sqlx::query(
                                "UPDATE sentinel_alerts SET last_day = $1, \
                                 signal_days = signal_days + 1, observed = $2, threshold = $3, \
                                 expected = $4, strength = $5, \
                                 score = CASE WHEN novel THEN 2 * $5 ELSE $5 END, levels = $6, \
                                 method = $7 WHERE id = $8",
                            )
                            .bind(s.day)
                            .bind(s.observed)
                            .bind(s.threshold)
                            .bind(s.expected)
                            .bind(s.strength)
                            .bind(merged.join(","))
                            .bind(s.method)
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                            insert_event!(
                                tx,
                                id,
                                at,
                                "signal_again",
                                None::<&str>,
                                None::<&str>,
                                None::<&str>,
                                by
                            );
                            out.extended += 1;
                        }
                        latest => {
                            let novel = latest
                                .as_ref()
                                .is_none_or(|(_, _, last_day, _)| last_day.as_str() < recent_since);
                            let score = sentinel::rank_score(s.strength, novel);
                            let id: i64 = sqlx::query_scalar(
                                "INSERT INTO sentinel_alerts (series_key, sentinel_type, \
                                 indicator, level, levels, sentinel_id, community_code, \
                                 first_day, last_day, observed, threshold, expected, strength, \
                                 novel, score, method, signal_at, created_by) VALUES ($1, $2, \
                                 $3, $4, $5, $6, $7, $8, $8, $9, $10, $11, $12, $13, $14, $15, \
                                 $16, $17) RETURNING id",
                            )
                            .bind(s.series_key)
                            .bind(s.sentinel_type)
                            .bind(s.indicator)
                            .bind(s.level)
                            .bind(s.levels)
                            .bind(s.sentinel_id)
                            .bind(s.community_code)
                            .bind(s.day)
                            .bind(s.observed)
                            .bind(s.threshold)
                            .bind(s.expected)
                            .bind(s.strength)
                            .bind(novel)
                            .bind(score)
                            .bind(s.method)
                            .bind(at)
                            .bind(by)
                            .fetch_one(&mut *tx)
                            .await?;
                            insert_event!(
                                tx,
                                id,
                                at,
                                "signal",
                                None::<&str>,
                                Some("new"),
                                None::<&str>,
                                by
                            );
                            out.created.push(id);
                        }
                    }
                }
                tx.commit().await?;
            }
        );
        Ok(out)
    }

    /// Alerts inside the scope and the filter, highest score first.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn alerts(&self, scope: &Scope, filter: &AlertFilter<'_>) -> Result<Vec<Alert>> {
        let (lo, hi) = scope.code_bounds();
        let sql = format!(
            "{ALERT_SELECT} WHERE a.community_code >= $1 AND a.community_code < $2 \
             AND ($3 IS NULL OR a.status = $3) AND ($4 IS NULL OR a.sentinel_type = $4) \
             AND ($5 IS NULL OR a.sentinel_id = $5) AND ($6 IS NULL OR a.last_day >= $6) \
             ORDER BY a.last_day DESC, a.score DESC, a.id DESC LIMIT $7"
        );
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(&lo)
                    .bind(&hi)
                    .bind(filter.status)
                    .bind(filter.sentinel_type)
                    .bind(filter.sentinel_id)
                    .bind(filter.since)
                    .bind(filter.limit)
                    .fetch_all(pool)
                    .await?
            }
        ))
    }

    /// One alert, if inside the scope.
    ///
    /// # Errors
    /// `NotFound` when absent or outside the scope; `Unavailable` on database failure.
    pub async fn alert(&self, scope: &Scope, id: i64) -> Result<Alert> {
        let (lo, hi) = scope.code_bounds();
        let sql = format!(
            "{ALERT_SELECT} WHERE a.id = $1 AND a.community_code >= $2 AND a.community_code < $3"
        );
        let found: Option<Alert> = with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(id)
                    .bind(&lo)
                    .bind(&hi)
                    .fetch_optional(pool)
                    .await?
            }
        );
        found.ok_or(StoreError::NotFound)
    }

    /// The history of an alert, in order (the caller has checked the alert's scope).
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn alert_events(&self, alert_id: i64) -> Result<Vec<AlertEvent>> {
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT id, alert_id, at, kind, from_status, to_status, assignee, note, actor \
                     FROM sentinel_alert_events WHERE alert_id = $1 ORDER BY id",
                )
                .bind(alert_id)
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// Moves an alert inside the scope from `from` to `to` (with a note), setting
    /// `verifying_at` or `closed_at`, and records it in the history.
    ///
    /// # Errors
    /// `NotFound` when absent or outside the scope; `Conflict` when its status is no longer
    /// `from` (someone else moved it); `Unavailable` on database failure.
    #[allow(clippy::too_many_arguments)]
    pub async fn set_status(
        &self,
        scope: &Scope,
        id: i64,
        from: AlertStatus,
        to: AlertStatus,
        note: Option<&str>,
        at: i64,
        by: &str,
    ) -> Result<()> {
        let (lo, hi) = scope.code_bounds();
        with_db!(
            self.db,
            write
                | pool
                | {
                    let mut tx = pool.begin().await?;
                    let done = sqlx::query(
                    "UPDATE sentinel_alerts SET status = $1, \
                     verifying_at = CASE WHEN $1 = 'verifying' THEN $2 ELSE verifying_at END, \
                     closed_at = CASE WHEN $1 IN ('confirmed', 'dismissed') THEN $2 ELSE closed_at END \
                     WHERE id = $3 AND status = $4 AND community_code >= $5 AND community_code < $6",
                )
                .bind(to.as_str())
                .bind(at)
                .bind(id)
                .bind(from.as_str())
                .bind(&lo)
                .bind(&hi)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                    if done == 0 {
                        return Err(StoreError::Conflict {
                            constraint: "alert_status".to_string(),
                        });
                    }
                    insert_event!(
                        tx,
                        id,
                        at,
                        "status",
                        Some(from.as_str()),
                        Some(to.as_str()),
                        note,
                        by
                    );
                    tx.commit().await?;
                }
        );
        Ok(())
    }

    /// Assigns an alert inside the scope (or clears the assignee) and records it.
    ///
    /// # Errors
    /// `NotFound` when absent or outside the scope; `Unavailable` on database failure.
    pub async fn assign(
        &self,
        scope: &Scope,
        id: i64,
        assignee: Option<&str>,
        at: i64,
        by: &str,
    ) -> Result<()> {
        let (lo, hi) = scope.code_bounds();
        with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                let done = sqlx::query(
                    "UPDATE sentinel_alerts SET assignee = $1 WHERE id = $2 \
                     AND community_code >= $3 AND community_code < $4",
                )
                .bind(assignee)
                .bind(id)
                .bind(&lo)
                .bind(&hi)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if done == 0 {
                    return Err(StoreError::NotFound);
                }
                sqlx::query(
                    "INSERT INTO sentinel_alert_events (alert_id, at, kind, assignee, actor) \
                     VALUES ($1, $2, 'assign', $3, $4)",
                )
                .bind(id)
                .bind(at)
                .bind(assignee)
                .bind(by)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
            }
        );
        Ok(())
    }

    /// Adds a note to the history of an alert inside the scope.
    ///
    /// # Errors
    /// `NotFound` when absent or outside the scope; `Unavailable` on database failure.
    pub async fn add_note(
        &self,
        scope: &Scope,
        id: i64,
        note: &str,
        at: i64,
        by: &str,
    ) -> Result<()> {
        self.alert(scope, id).await?;
        with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                insert_event!(
                    tx,
                    id,
                    at,
                    "note",
                    None::<&str>,
                    None::<&str>,
                    Some(note),
                    by
                );
                tx.commit().await?;
            }
        );
        Ok(())
    }

    /// A user's subscription, if set.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn subscription(&self, user_id: i64) -> Result<Option<Subscription>> {
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT user_id, types, indicators, min_level, min_strength, updated_at \
                     FROM sentinel_subscriptions WHERE user_id = $1",
                )
                .bind(user_id)
                .fetch_optional(pool)
                .await?
            }
        ))
    }

    /// Sets a user's subscription.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn set_subscription(&self, s: &Subscription) -> Result<()> {
        with_db!(
            self.db,
            write | pool | {
                sqlx::query(
                    "INSERT INTO sentinel_subscriptions (user_id, types, indicators, min_level, \
                     min_strength, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (user_id) DO UPDATE SET types = excluded.types, \
                     indicators = excluded.indicators, min_level = excluded.min_level, \
                     min_strength = excluded.min_strength, updated_at = excluded.updated_at",
                )
                .bind(s.user_id)
                .bind(&s.types)
                .bind(&s.indicators)
                .bind(&s.min_level)
                .bind(s.min_strength)
                .bind(s.updated_at)
                .execute(pool)
                .await?
                .rows_affected()
            }
        );
        Ok(())
    }
}
