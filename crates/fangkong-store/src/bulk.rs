//! Bulk loading of generated data (the demo city): many rows per statement, every table of
//! one chunk in one transaction, together with a meta marker, so that an interrupted load
//! resumes cleanly: a chunk is either wholly present (and marked) or wholly absent.

use crate::backend::{with_db, Db, MAX_BINDS};
use crate::facilities::{Facility, NewHousehold, Room, COLUMNS as FACILITY_COLUMNS};
use crate::jurisdictions::values_clause;
use crate::persons::{PreparedPerson, INSERT_COLUMNS as PERSON_COLUMNS};
use crate::Result;

/// The rows of one chunk; ids are given by the caller. Rows must not exist yet.
#[derive(Default)]
pub struct BulkRows<'a> {
    pub households: &'a [NewHousehold],
    pub facilities: &'a [Facility],
    pub rooms: &'a [Room],
    pub persons: &'a [(i64, PreparedPerson)],
    /// Meta entries written in the same transaction (e.g. "this chunk is loaded").
    pub meta: &'a [(String, String)],
    /// Creation time of the person rows, Unix milliseconds.
    pub now_ms: i64,
}

/// Binds `$row` fields of every element of `$chunk` into a fresh multi-row INSERT and runs it
/// in `$tx`.
macro_rules! insert_rows {
    ($tx:expr, $rows:expr, $per_row:expr, $head:expr, |$q:ident, $r:ident| $bind:expr) => {
        for chunk in $rows.chunks(MAX_BINDS / $per_row) {
            let sql = format!("{} VALUES {}", $head, values_clause(chunk.len(), $per_row));
            let mut $q = sqlx::query(&sql);
            for $r in chunk {
                $q = $bind;
            }
            $q.execute(&mut *$tx).await?;
        }
    };
}

/// Access to bulk loading.
pub struct Bulk<'a> {
    pub(crate) db: &'a Db,
}

impl Bulk<'_> {
    /// Inserts every row of `rows` and its meta entries in one transaction.
    ///
    /// # Errors
    /// `Conflict` on a duplicate id, document or place code, or a missing reference;
    /// nothing is written then.
    pub async fn insert(&self, rows: &BulkRows<'_>) -> Result<()> {
        let now = rows.now_ms;
        let facility_head = format!("INSERT INTO facilities ({FACILITY_COLUMNS})");
        let person_head = format!("INSERT INTO persons (id, {PERSON_COLUMNS})");
        with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                insert_rows!(tx, rows.facilities, 13, facility_head, |q, f| q
                    .bind(f.id)
                    .bind(&f.kind)
                    .bind(&f.subtype)
                    .bind(&f.name)
                    .bind(&f.community_code)
                    .bind(&f.place_code)
                    .bind(f.capacity)
                    .bind(f.beds_general)
                    .bind(f.beds_icu)
                    .bind(f.beds_isolation)
                    .bind(f.lon)
                    .bind(f.lat)
                    .bind(f.synthetic));
                insert_rows!(
                    tx,
                    rows.rooms,
                    4,
                    "INSERT INTO rooms (id, facility_id, number, beds)",
                    |q, r| q
                        .bind(r.id)
                        .bind(r.facility_id)
                        .bind(&r.number)
                        .bind(r.beds)
                );
                insert_rows!(
                    tx,
                    rows.households,
                    4,
                    "INSERT INTO households (id, community_code, address, size)",
                    |q, h| q
                        .bind(h.id)
                        .bind(&h.community_code)
                        .bind(&h.address)
                        .bind(h.size)
                );
                insert_rows!(tx, rows.persons, 22, person_head, |q, row| {
                    let (id, p) = row;
                    q.bind(*id)
                        .bind(p.doc_kind)
                        .bind(&p.doc_blind)
                        .bind(&p.doc_cipher)
                        .bind(&p.doc_masked)
                        .bind(&p.nationality)
                        .bind(&p.name)
                        .bind(p.sex)
                        .bind(&p.birth_date)
                        .bind(&p.phone_blind)
                        .bind(&p.phone_cipher)
                        .bind(&p.phone_masked)
                        .bind(&p.address)
                        .bind(&p.community_code)
                        .bind(p.household_id)
                        .bind(p.workplace_id)
                        .bind(p.school_id)
                        .bind(&p.occupation)
                        .bind(&p.tags_json)
                        .bind(p.synthetic)
                        .bind(now)
                        .bind(now)
                });
                for (key, value) in rows.meta {
                    sqlx::query(
                        "INSERT INTO meta (key, value) VALUES ($1, $2) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    )
                    .bind(key)
                    .bind(value)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
            }
        );
        Ok(())
    }
}
