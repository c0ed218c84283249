//! Bulk loading of generated data (the demo city): many rows per statement, every table of
//! one chunk in one transaction, together with a meta marker, so that an interrupted load
//! resumes cleanly: a chunk is either wholly present (and marked) or wholly absent.

use crate::backend::{with_db, Db, MAX_BINDS};
use crate::facilities::{Facility, NewHousehold, Room, COLUMNS as FACILITY_COLUMNS};
use crate::persons::{bind_person, PreparedPerson, INSERT_COLUMNS as PERSON_COLUMNS};
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
    ($db:expr, $tx:expr, $rows:expr, $per_row:expr, $head:expr, |$q:ident, $r:ident| $bind:expr) => {
        for chunk in $rows.chunks(MAX_BINDS / $per_row) {
            let sql = format!(
                "{} VALUES {}",
                $head,
                $db.values_clause(chunk.len(), $per_row)
            );
            let mut $q = sqlx::query(&sql);
            for $r in chunk {
                $q = $bind;
            }
            $q.execute(&mut *$tx).await?;
        }
    };
}

/// The secondary indexes of `persons`: name and definition. They are created at start by
/// [`Bulk::create_person_indexes`] and may be dropped for a bulk load: inserting millions of
/// rows into indexes on random keys (blind indexes are HMACs) is random B-tree work, while
/// building an index afterwards is one sort.
const PERSON_INDEXES: [(&str, &str); 7] = [
    (
        "persons_doc_blind",
        "UNIQUE INDEX IF NOT EXISTS persons_doc_blind ON persons(doc_blind)",
    ),
    (
        "persons_community",
        "INDEX IF NOT EXISTS persons_community ON persons(community_code, merged_into)",
    ),
    (
        "persons_name",
        "INDEX IF NOT EXISTS persons_name ON persons(name, birth_date)",
    ),
    (
        "persons_phone",
        "INDEX IF NOT EXISTS persons_phone ON persons(phone_blind)",
    ),
    (
        "persons_household",
        "INDEX IF NOT EXISTS persons_household ON persons(household_id)",
    ),
    (
        "persons_merged",
        "INDEX IF NOT EXISTS persons_merged ON persons(merged_into)",
    ),
    // The residents counted by coverage (neither merged nor closed), read without their rows.
    (
        "persons_active",
        "INDEX IF NOT EXISTS persons_active ON persons(community_code) \
         WHERE merged_into IS NULL AND closed_at IS NULL",
    ),
];

/// Access to bulk loading.
pub struct Bulk<'a> {
    pub(crate) db: &'a Db,
}

impl Bulk<'_> {
    /// Creates the secondary indexes of `persons` that do not exist (all of them after a
    /// bulk load; none on an ordinary start).
    ///
    /// # Errors
    /// `Conflict` when the rows violate the unique document index (two records with one
    /// document), `Unavailable` on failure.
    pub async fn create_person_indexes(&self) -> Result<()> {
        for (_, definition) in PERSON_INDEXES {
            let sql = format!("CREATE {definition}");
            with_db!(
                self.db,
                write | pool | {
                    sqlx::query(&sql).execute(pool).await?;
                }
            );
        }
        Ok(())
    }

    /// Drops the secondary indexes of `persons` before a bulk load of new rows. Until
    /// [`Bulk::create_person_indexes`] runs, document uniqueness is not enforced, so only a
    /// loader whose rows are unique by construction may call this, and nothing else may
    /// write persons meanwhile; `Store::open` recreates missing indexes after a crash.
    ///
    /// # Errors
    /// `Unavailable` on failure.
    pub async fn drop_person_indexes(&self) -> Result<()> {
        for (name, _) in PERSON_INDEXES {
            let sql = format!("DROP INDEX IF EXISTS {name}");
            with_db!(
                self.db,
                write | pool | {
                    sqlx::query(&sql).execute(pool).await?;
                }
            );
        }
        Ok(())
    }

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
                insert_rows!(self.db, tx, rows.facilities, 13, facility_head, |q, f| q
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
                    self.db,
                    tx,
                    rows.rooms,
                    5,
                    "INSERT INTO rooms (id, facility_id, number, beds, accessible)",
                    |q, r| q
                        .bind(r.id)
                        .bind(r.facility_id)
                        .bind(&r.number)
                        .bind(r.beds)
                        .bind(r.accessible)
                );
                insert_rows!(
                    self.db,
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
                insert_rows!(self.db, tx, rows.persons, 22, person_head, |q, row| {
                    let (id, p) = row;
                    bind_person!(q.bind(*id), p, now)
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
