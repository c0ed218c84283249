//! The one place that knows SQL.
//!
//! `Store` is a single concrete type over either an embedded SQLite database (the default:
//! a data directory, WAL, nothing to install) or PostgreSQL (production). The backend is a
//! private enum; every query is written once with `$n` placeholders, which both drivers
//! accept, and where the SQL must differ the two versions sit side by side in one function.
//!
//! Personal data is encrypted here, on the way in, and only decrypted by the explicit
//! `reveal_*` methods. Reads of personal data take a `&Scope`, so no query can forget the
//! jurisdiction filter. This crate never speaks HTTP and never logs personal data.

pub mod audit;
mod backend;
pub mod backup;
pub mod briefings;
pub mod bulk;
pub mod co_investigation;
pub mod coldchain;
pub mod command;
pub mod crypto;
pub mod dashboard;
pub mod drills;
mod error;
pub mod facilities;
pub mod federation;
pub mod fever;
pub mod forecasts;
pub mod idempotency;
pub mod immunization;
pub mod inbound;
pub mod isolation;
pub mod jurisdictions;
pub mod measures;
pub mod meta;
pub mod operations;
pub mod persons;
pub mod sentinel;
pub mod supplies;
pub mod testing;
pub mod tracing;
pub mod treatment;
pub mod users;

pub use backend::{Backend as BackendKind, ConnectOptions};
pub use crypto::{Crypto, MasterKey};
pub use error::StoreError;

use std::sync::Arc;

/// A handle to the database; cheap to clone and share between tasks.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    db: backend::Db,
    /// The audit log's group-commit writer, started by the first append.
    audit_writer: audit::Writer,
    crypto: Crypto,
    /// Where the database is (`pg_dump` needs the URL).
    options: ConnectOptions,
}

/// Half-open code bounds of `within`'s subtree, or of every code when absent.
pub(crate) fn within_bounds(
    within: Option<&fangkong_domain::JurisdictionCode>,
) -> (String, String) {
    within.map_or_else(
        // Every code is made of digits, which sort between "" and ":".
        || (String::new(), ":".to_string()),
        fangkong_domain::JurisdictionCode::subtree_bounds,
    )
}

/// Result type of every store method.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl Store {
    /// Opens (creating if needed) the database and applies pending migrations.
    ///
    /// # Errors
    /// `Unavailable` when the database cannot be opened or a migration fails.
    pub async fn open(options: &ConnectOptions, key: &MasterKey) -> Result<Store> {
        let db = backend::Db::connect(options).await?;
        db.migrate().await?;
        let store = Store {
            inner: Arc::new(Inner {
                db,
                audit_writer: audit::Writer::default(),
                crypto: Crypto::new(key),
                options: options.clone(),
            }),
        };
        store.bulk().create_person_indexes().await?;
        Ok(store)
    }

    /// Which backend this store runs on.
    pub fn backend(&self) -> BackendKind {
        self.inner.db.kind()
    }

    /// Whether the database answers a trivial query (for `/readyz`).
    ///
    /// # Errors
    /// `Unavailable` when it does not.
    pub async fn ping(&self) -> Result<()> {
        self.inner.db.ping().await
    }

    /// Whether the connection that writes enforces foreign keys (always on PostgreSQL; on
    /// SQLite a per-connection setting that bulk writes turn off for their transaction and
    /// must turn back on).
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn foreign_keys_enforced(&self) -> Result<bool> {
        self.inner.db.foreign_keys_enforced().await
    }

    /// Closes every connection, waiting for running queries.
    pub async fn close(&self) {
        self.inner.db.close().await;
    }

    /// Meta key/value settings of the instance.
    pub fn meta(&self) -> meta::Meta<'_> {
        meta::Meta { db: &self.inner.db }
    }

    /// The jurisdiction hierarchy.
    pub fn jurisdictions(&self) -> jurisdictions::Jurisdictions<'_> {
        jurisdictions::Jurisdictions { db: &self.inner.db }
    }

    /// The person registry.
    pub fn persons(&self) -> persons::Persons<'_> {
        persons::Persons {
            db: &self.inner.db,
            crypto: &self.inner.crypto,
        }
    }

    /// Households, facilities and quarantine rooms.
    pub fn facilities(&self) -> facilities::Facilities<'_> {
        facilities::Facilities { db: &self.inner.db }
    }

    /// The hash-chained audit log.
    pub fn audit(&self) -> audit::Audit<'_> {
        audit::Audit {
            db: &self.inner.db,
            writer: &self.inner.audit_writer,
        }
    }

    /// Signs a message handed out in a link (a personal health-check link); see
    /// [`Crypto::sign`].
    pub fn sign_link(&self, message: &[u8]) -> Vec<u8> {
        self.inner.crypto.sign(message)
    }

    /// Whether a link's signature is valid; see [`Crypto::verify`].
    pub fn verify_link(&self, message: &[u8], signature: &[u8]) -> bool {
        self.inner.crypto.verify(message, signature)
    }

    /// Travel entries, control measures, health checks and their reviews.
    pub fn measures(&self) -> measures::Measures<'_> {
        measures::Measures { db: &self.inner.db }
    }

    /// Bulk loading of generated data.
    pub fn bulk(&self) -> bulk::Bulk<'_> {
        bulk::Bulk { db: &self.inner.db }
    }

    /// Stored responses of API writes sent with an `Idempotency-Key`.
    pub fn idempotency(&self) -> idempotency::IdempotencyKeys<'_> {
        idempotency::IdempotencyKeys { db: &self.inner.db }
    }

    /// Inbound control (the four pockets): control-measure policy versions.
    pub fn inbound(&self) -> inbound::Inbound<'_> {
        inbound::Inbound { db: &self.inner.db }
    }

    /// Imported cold-chain goods: batches, results, movements, exposures, tasks.
    pub fn coldchain(&self) -> coldchain::Coldchain<'_> {
        coldchain::Coldchain { db: &self.inner.db }
    }

    /// Fever-clinic visits (the fourth pocket): results, dispositions, open loops.
    pub fn fever(&self) -> fever::Fever<'_> {
        fever::Fever { db: &self.inner.db }
    }

    /// Sentinel surveillance: sentinels, daily reports, deadlines, alerts, subscriptions.
    pub fn sentinels(&self) -> sentinel::Sentinels<'_> {
        sentinel::Sentinels { db: &self.inner.db }
    }

    /// Nucleic-acid testing: rounds, tubes, samples, results, fan-out.
    pub fn testing(&self) -> testing::Testing<'_> {
        testing::Testing { db: &self.inner.db }
    }

    /// Epidemiological investigation: venues, check-ins, cases, itineraries, contacts,
    /// transmission links.
    pub fn tracing(&self) -> tracing::Tracing<'_> {
        tracing::Tracing { db: &self.inner.db }
    }

    /// Immunization: vaccination records, statuses, coverage and outreach lists.
    pub fn immunization(&self) -> immunization::Immunization<'_> {
        immunization::Immunization { db: &self.inner.db }
    }

    /// Supplies: items, batches, warehouses, the stock ledger and the activity it serves.
    pub fn supplies(&self) -> supplies::Supplies<'_> {
        supplies::Supplies { db: &self.inner.db }
    }

    /// Drills: runs in a sandbox instance and their reports.
    pub fn drills(&self) -> drills::Drills<'_> {
        drills::Drills { db: &self.inner.db }
    }

    /// Isolation: quarantine sites, rooms, the placement queue and stays.
    pub fn isolation(&self) -> isolation::Isolation<'_> {
        isolation::Isolation { db: &self.inner.db }
    }

    /// Treatment: hospitals and beds, admissions, teams and deployments.
    pub fn treatment(&self) -> treatment::Treatment<'_> {
        treatment::Treatment { db: &self.inner.db }
    }

    /// Co-investigation tasks (协查), their items and escalation notices.
    pub fn co_investigation(&self) -> co_investigation::CoInvestigation<'_> {
        co_investigation::CoInvestigation {
            db: &self.inner.db,
            crypto: &self.inner.crypto,
        }
    }

    /// Directives and the duty roster.
    pub fn command(&self) -> command::Command<'_> {
        command::Command { db: &self.inner.db }
    }

    /// Federation: peers, outbox, inbox, refusals.
    pub fn federation(&self) -> federation::Federation<'_> {
        federation::Federation { db: &self.inner.db }
    }

    /// Bulk operations: progress and summaries.
    pub fn operations(&self) -> operations::Operations<'_> {
        operations::Operations { db: &self.inner.db }
    }

    /// Scenario forecasts: their inputs and stored runs.
    pub fn forecasts(&self) -> forecasts::Forecasts<'_> {
        forecasts::Forecasts { db: &self.inner.db }
    }

    /// Stored daily briefings.
    pub fn briefings(&self) -> briefings::Briefings<'_> {
        briefings::Briefings { db: &self.inner.db }
    }

    /// Aggregate counts of the command dashboard and the daily briefing.
    pub fn dashboard(&self) -> dashboard::Dashboard<'_> {
        dashboard::Dashboard { db: &self.inner.db }
    }

    /// Users, browser sessions and API tokens.
    pub fn users(&self) -> users::Users<'_> {
        users::Users { db: &self.inner.db }
    }

    /// Checks the invariants no constraint expresses alone and returns every finding (empty
    /// when all hold): foreign keys (SQLite can hold violations written while they were
    /// off), merges that point at a merged record or at themselves, supply balances that
    /// differ from the sum of their ledger lines, room occupants and hospital bed counters
    /// that differ from the open stays and admissions behind them.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn verify(&self) -> Result<Vec<String>> {
        let mut findings = Vec::new();
        if let backend::Db::Sqlite { read, .. } = &self.inner.db {
            let rows: Vec<(String, i64, String)> =
                sqlx::query_as("SELECT \"table\", rowid, parent FROM pragma_foreign_key_check")
                    .fetch_all(read)
                    .await?;
            findings.extend(
                rows.into_iter()
                    .map(|(t, id, parent)| format!("{t} row {id}: missing {parent} reference")),
            );
        }
        let chains: Vec<(i64,)> = backend::with_db!(
            &self.inner.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT p.id FROM persons p JOIN persons q ON p.merged_into = q.id \
                 WHERE q.merged_into IS NOT NULL OR p.merged_into = p.id ORDER BY p.id",
                )
                .fetch_all(pool)
                .await?
            }
        );
        findings.extend(
            chains
                .into_iter()
                .map(|(id,)| format!("person {id}: merged into a merged record or itself")),
        );
        // The supplies ledger: every balance is the sum of its movement lines.
        findings.extend(self.supplies().reconcile().await?.into_iter().map(|d| {
            format!(
                "supply stock of warehouse {} item {} batch {}: {} on record, {} in the ledger",
                d.warehouse_id, d.item_id, d.batch_id, d.cached, d.summed
            )
        }));
        // Occupancy: a room's occupants are its open stays; a hospital's counters are its
        // open admissions by bed type.
        let rooms: Vec<(i64, i64, i64)> = backend::with_db!(
            &self.inner.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT r.id, r.occupants, COUNT(s.id) FROM rooms r \
                     LEFT JOIN isolation_stays s ON s.room_id = r.id AND s.status <> 'out' \
                     GROUP BY r.id, r.occupants HAVING r.occupants <> COUNT(s.id) ORDER BY r.id",
                )
                .fetch_all(pool)
                .await?
            }
        );
        findings.extend(rooms.into_iter().map(|(id, cached, open)| {
            format!("room {id}: {cached} occupants on record, {open} open stays")
        }));
        let beds: Vec<(i64, String, i64, i64)> = backend::with_db!(
            &self.inner.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT f.id, t.bed_type, t.cached, COUNT(a.id) FROM \
                     (SELECT id, 'general' AS bed_type, occupied_general AS cached FROM facilities \
                      UNION ALL SELECT id, 'icu', occupied_icu FROM facilities \
                      UNION ALL SELECT id, 'isolation', occupied_isolation FROM facilities) t \
                     JOIN facilities f ON f.id = t.id \
                     LEFT JOIN admissions a ON a.facility_id = t.id AND a.bed_type = t.bed_type \
                      AND a.discharged_at IS NULL \
                     GROUP BY f.id, t.bed_type, t.cached HAVING t.cached <> COUNT(a.id) \
                     ORDER BY f.id, t.bed_type",
                )
                .fetch_all(pool)
                .await?
            }
        );
        findings.extend(beds.into_iter().map(|(id, bed, cached, open)| {
            format!("hospital {id} {bed} beds: {cached} occupied on record, {open} open admissions")
        }));
        Ok(findings)
    }

    /// The depth of every work queue the platform keeps, by name, for the metrics endpoint:
    /// `retest_tasks` (open fan-out tasks of positive pools), `coldchain_tasks` (open
    /// tracing tasks of cold-chain batches), `arrival_reviews` (pending policy reviews),
    /// `sentinel_alerts` (new or being verified), `placed_not_checked_in` (quarantine stays
    /// placed but not checked in), `federation_outbox` (messages to peers not yet delivered)
    /// and `federation_failed` (messages a peer refused for good).
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn queue_depths(&self) -> Result<Vec<(&'static str, i64)>> {
        let row: (i64, i64, i64, i64, i64, i64, i64) = backend::with_db!(
            &self.inner.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT (SELECT COUNT(*) FROM retest_tasks WHERE status = 'open'), \
                     (SELECT COUNT(*) FROM coldchain_tasks WHERE status = 'open'), \
                     (SELECT COUNT(*) FROM measure_reviews WHERE status = 'pending'), \
                     (SELECT COUNT(*) FROM sentinel_alerts WHERE status IN ('new', 'verifying')), \
                     (SELECT COUNT(*) FROM isolation_stays WHERE status = 'placed'), \
                     (SELECT COUNT(*) FROM federation_outbox \
                      WHERE delivered_at IS NULL AND failed_at IS NULL), \
                     (SELECT COUNT(*) FROM federation_outbox WHERE failed_at IS NOT NULL)",
                )
                .fetch_one(pool)
                .await?
            }
        );
        Ok(vec![
            ("retest_tasks", row.0),
            ("coldchain_tasks", row.1),
            ("arrival_reviews", row.2),
            ("sentinel_alerts", row.3),
            ("placed_not_checked_in", row.4),
            ("federation_outbox", row.5),
            ("federation_failed", row.6),
        ])
    }

    /// After rows were inserted with explicit ids, moves PostgreSQL identity sequences past
    /// the largest id so that later inserts do not collide (no-op on SQLite).
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn sync_id_sequences(&self) -> Result<()> {
        self.inner.db.sync_id_sequences().await
    }
}
