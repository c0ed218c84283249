//! The person registry: identity documents and phones encrypted at rest, found by blind index.
//!
//! Every read takes a `&Scope` and only sees persons whose residence community lies in the
//! scope's subtree; a person outside it is `NotFound`, exactly like one that does not exist.
//! Values are encrypted before they reach SQL; `reveal_*` needs the `pii.reveal` permission.
//! Nothing here logs or formats a document number or phone number.

use chrono::NaiveDate;
use fangkong_domain::{Document, JurisdictionCode, Permission, PhoneNumber, Scope, Sex};

use crate::backend::{with_db, Db};
use crate::crypto::Crypto;
use crate::{Result, StoreError};

pub(crate) const DOC_LABEL: &str = "persons.document";
pub(crate) const PHONE_LABEL: &str = "persons.phone";

const COLUMNS: &str = "id, doc_kind, doc_masked, nationality, name, sex, birth_date, \
    phone_masked, address, community_code, household_id, workplace_id, school_id, occupation, \
    tags, synthetic, merged_into, created_at, updated_at, closed_at, purged_at";

/// [`COLUMNS`] of a table aliased `p`, for joins.
pub(crate) const COLUMNS_P: &str = "p.id, p.doc_kind, p.doc_masked, p.nationality, p.name, \
    p.sex, p.birth_date, p.phone_masked, p.address, p.community_code, p.household_id, \
    p.workplace_id, p.school_id, p.occupation, p.tags, p.synthetic, p.merged_into, \
    p.created_at, p.updated_at, p.closed_at, p.purged_at";

/// A person as shown: personal identifiers only in masked form.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Person {
    pub id: i64,
    pub doc_kind: String,
    pub doc_masked: String,
    pub nationality: String,
    pub name: String,
    pub sex: String,
    pub birth_date: String,
    pub phone_masked: Option<String>,
    pub address: Option<String>,
    pub community_code: String,
    pub household_id: Option<i64>,
    pub workplace_id: Option<i64>,
    pub school_id: Option<i64>,
    pub occupation: Option<String>,
    /// JSON array of tag strings; see [`Person::tags`].
    #[sqlx(rename = "tags")]
    pub tags_json: String,
    pub synthetic: bool,
    pub merged_into: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// When the record was closed, if it is.
    pub closed_at: Option<i64>,
    /// When its personal data was purged, if it was.
    pub purged_at: Option<i64>,
}

impl Person {
    /// The tags.
    pub fn tags(&self) -> Vec<String> {
        serde_json::from_str(&self.tags_json).unwrap_or_default()
    }
}

/// A person to register.
#[derive(Debug, Clone)]
pub struct NewPerson {
    pub document: Document,
    pub name: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub phone: Option<PhoneNumber>,
    pub address: Option<String>,
    pub community_code: JurisdictionCode,
    pub household_id: Option<i64>,
    pub workplace_id: Option<i64>,
    pub school_id: Option<i64>,
    pub occupation: Option<String>,
    pub tags: Vec<String>,
    pub synthetic: bool,
}

/// Changes to a person; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct PersonPatch {
    pub name: Option<String>,
    /// `Some(None)` clears the phone.
    pub phone: Option<Option<PhoneNumber>>,
    /// `Some(None)` clears the address.
    pub address: Option<Option<String>>,
    pub community_code: Option<JurisdictionCode>,
    pub tags: Option<Vec<String>>,
    /// `Some(true)` closes the record (moved away, control ended: eligible for purge after
    /// the retention period), `Some(false)` reopens it.
    pub closed: Option<bool>,
}

/// A person with identifiers already encrypted and indexed: the CPU-heavy half of an insert,
/// which callers may compute in parallel before handing rows to the store.
#[derive(Clone)]
pub struct PreparedPerson {
    pub(crate) doc_kind: &'static str,
    pub(crate) doc_blind: Vec<u8>,
    pub(crate) doc_cipher: Vec<u8>,
    pub(crate) doc_masked: String,
    pub(crate) nationality: String,
    pub(crate) name: String,
    pub(crate) sex: &'static str,
    pub(crate) birth_date: String,
    pub(crate) phone_blind: Option<Vec<u8>>,
    pub(crate) phone_cipher: Option<Vec<u8>>,
    pub(crate) phone_masked: Option<String>,
    pub(crate) address: Option<String>,
    pub(crate) community_code: String,
    pub(crate) household_id: Option<i64>,
    pub(crate) workplace_id: Option<i64>,
    pub(crate) school_id: Option<i64>,
    pub(crate) occupation: Option<String>,
    pub(crate) tags_json: String,
    pub(crate) synthetic: bool,
}

/// One entry of a person's history (never holds personal identifiers).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PersonEvent {
    pub id: i64,
    pub person_id: i64,
    pub at: i64,
    pub kind: String,
    pub actor: String,
    pub detail: String,
}

/// Why two persons may be the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DuplicateReason {
    NameAndBirthDate,
    Phone,
}

impl DuplicateReason {
    /// `name_and_birth_date` or `phone`.
    pub fn as_str(self) -> &'static str {
        match self {
            DuplicateReason::NameAndBirthDate => "name_and_birth_date",
            DuplicateReason::Phone => "phone",
        }
    }
}

/// A pair of records that may describe one person.
#[derive(Debug, Clone)]
pub struct DuplicateCandidate {
    pub first: Person,
    pub second: Person,
    pub reason: DuplicateReason,
}

/// How an upsert batch changed the registry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PersonUpsertSummary {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// Access to the person registry.
pub struct Persons<'a> {
    pub(crate) db: &'a Db,
    pub(crate) crypto: &'a Crypto,
}

fn require(scope: &Scope, permission: Permission) -> Result<()> {
    if scope.can(permission) {
        Ok(())
    } else {
        Err(StoreError::Forbidden)
    }
}

fn require_covers(scope: &Scope, code: &str) -> Result<()> {
    if scope.covers(code) {
        Ok(())
    } else {
        Err(StoreError::Forbidden)
    }
}

fn tags_json(tags: &[String]) -> String {
    let mut tags: Vec<&String> = tags.iter().collect();
    tags.sort();
    tags.dedup();
    serde_json::to_string(&tags).unwrap_or_else(|_| "[]".to_string())
}

pub(crate) const INSERT_COLUMNS: &str =
    "doc_kind, doc_blind, doc_cipher, doc_masked, nationality, name, \
    sex, birth_date, phone_blind, phone_cipher, phone_masked, address, community_code, \
    household_id, workplace_id, school_id, occupation, tags, synthetic, created_at, updated_at";

/// Binds the [`INSERT_COLUMNS`] of a prepared person (created and updated at `$now`) to a
/// query, in column order.
macro_rules! bind_person {
    ($query:expr, $p:expr, $now:expr) => {
        $query
            .bind($p.doc_kind)
            .bind(&$p.doc_blind)
            .bind(&$p.doc_cipher)
            .bind(&$p.doc_masked)
            .bind(&$p.nationality)
            .bind(&$p.name)
            .bind($p.sex)
            .bind(&$p.birth_date)
            .bind(&$p.phone_blind)
            .bind(&$p.phone_cipher)
            .bind(&$p.phone_masked)
            .bind(&$p.address)
            .bind(&$p.community_code)
            .bind($p.household_id)
            .bind($p.workplace_id)
            .bind($p.school_id)
            .bind(&$p.occupation)
            .bind(&$p.tags_json)
            .bind($p.synthetic)
            .bind($now)
            .bind($now)
    };
}
pub(crate) use bind_person;

/// Inserts one prepared person inside the transaction `$tx` and yields its new id. A macro
/// rather than a function so that one body serves both backends' transaction types.
macro_rules! insert_one {
    ($tx:expr, $p:expr, $now:expr) => {{
        let p: &$crate::persons::PreparedPerson = $p;
        let sql = format!(
            "INSERT INTO persons ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
             $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) RETURNING id",
            $crate::persons::INSERT_COLUMNS
        );
        let (id,): (i64,) = $crate::persons::bind_person!(sqlx::query_as(&sql), p, $now)
            .fetch_one(&mut *$tx)
            .await?;
        id
    }};
}

pub(crate) use insert_one;

/// Appends an entry to a person's history inside the transaction `$tx`.
macro_rules! insert_event {
    ($tx:expr, $person:expr, $at:expr, $kind:expr, $actor:expr, $detail:expr) => {
        sqlx::query(
            "INSERT INTO person_events (person_id, at, kind, actor, detail) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind($person)
        .bind($at)
        .bind($kind)
        .bind($actor)
        .bind($detail)
        .execute(&mut *$tx)
        .await?
    };
}
pub(crate) use insert_event;

/// A stored person's updatable fields: name, phone blind index, address, community, tags.
pub(crate) type CurrentFields = (String, Option<Vec<u8>>, Option<String>, String, String);

/// The fields of a stored person (`current`) that an upsert of `p` changes; a phone or
/// address not given leaves the stored one.
pub(crate) fn changed_fields(p: &PreparedPerson, current: &CurrentFields) -> Vec<&'static str> {
    let mut changed = Vec::new();
    if current.0 != p.name {
        changed.push("name");
    }
    if p.phone_blind.is_some() && current.1 != p.phone_blind {
        changed.push("phone");
    }
    if p.address.is_some() && current.2 != p.address {
        changed.push("address");
    }
    if current.3 != p.community_code {
        changed.push("community_code");
    }
    if current.4 != p.tags_json {
        changed.push("tags");
    }
    changed
}

/// The update [`upsert_one!`] makes of a changed person (`$1` id, then name, address,
/// community, tags, phone blind index, cipher and mask, updated at).
pub(crate) const UPSERT_UPDATE: &str = "UPDATE persons SET name = $2, \
    address = COALESCE($3, address), community_code = $4, tags = $5, \
    phone_blind = COALESCE($6, phone_blind), phone_cipher = COALESCE($7, phone_cipher), \
    phone_masked = COALESCE($8, phone_masked), updated_at = $9 WHERE id = $1";

/// What [`upsert_one!`] did to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Upserted {
    Created,
    Updated,
    Unchanged,
}

/// Registers or updates one prepared person inside the transaction `$tx`, matching by
/// document (a match on a merged record updates the survivor; equal fields are left alone),
/// and yields `(id, Upserted)`.
macro_rules! upsert_one {
    ($tx:expr, $p:expr, $now_ms:expr, $actor:expr) => {{
        let p: &$crate::persons::PreparedPerson = $p;
        let now_ms: i64 = $now_ms;
        let actor: &str = $actor;
        let existing: Option<(i64, Option<i64>)> =
            sqlx::query_as("SELECT id, merged_into FROM persons WHERE doc_blind = $1")
                .bind(&p.doc_blind)
                .fetch_optional(&mut *$tx)
                .await?;
        match existing {
            None => {
                let id = $crate::persons::insert_one!($tx, p, now_ms);
                $crate::persons::insert_event!($tx, id, now_ms, "imported", actor, "{}");
                (id, $crate::persons::Upserted::Created)
            }
            Some((found, merged_into)) => {
                let id = merged_into.unwrap_or(found);
                let current: $crate::persons::CurrentFields =
                    sqlx::query_as(
                        "SELECT name, phone_blind, address, community_code, tags FROM persons \
                         WHERE id = $1",
                    )
                    .bind(id)
                    .fetch_one(&mut *$tx)
                    .await?;
                let changed = $crate::persons::changed_fields(p, &current);
                if changed.is_empty() {
                    (id, $crate::persons::Upserted::Unchanged)
                } else {
                    sqlx::query($crate::persons::UPSERT_UPDATE)
                    .bind(id)
                    .bind(&p.name)
                    .bind(&p.address)
                    .bind(&p.community_code)
                    .bind(&p.tags_json)
                    .bind(&p.phone_blind)
                    .bind(&p.phone_cipher)
                    .bind(&p.phone_masked)
                    .bind(now_ms)
                    .execute(&mut *$tx)
                    .await?;
                    let detail = serde_json::json!({ "fields": changed }).to_string();
                    $crate::persons::insert_event!($tx, id, now_ms, "imported", actor, &detail);
                    (id, $crate::persons::Upserted::Updated)
                }
            }
        }
    }};
}
pub(crate) use upsert_one;

impl Persons<'_> {
    /// Encrypts and indexes a new person's identifiers (pure CPU work, no IO).
    pub fn prepare(&self, p: &NewPerson) -> PreparedPerson {
        let (phone_blind, phone_cipher, phone_masked) = match &p.phone {
            Some(phone) => (
                Some(self.phone_index(phone)),
                Some(self.crypto.encrypt(PHONE_LABEL, phone.as_str().as_bytes())),
                Some(phone.masked()),
            ),
            None => (None, None, None),
        };
        PreparedPerson {
            doc_kind: p.document.kind().as_str(),
            doc_blind: self.document_index(&p.document),
            doc_cipher: self
                .crypto
                .encrypt(DOC_LABEL, p.document.number().as_bytes()),
            doc_masked: p.document.masked(),
            nationality: p.document.nationality().to_string(),
            name: p.name.clone(),
            sex: p.sex.as_str(),
            birth_date: p.birth_date.to_string(),
            phone_blind,
            phone_cipher,
            phone_masked,
            address: p.address.clone(),
            community_code: p.community_code.as_str().to_string(),
            household_id: p.household_id,
            workplace_id: p.workplace_id,
            school_id: p.school_id,
            occupation: p.occupation.clone(),
            tags_json: tags_json(&p.tags),
            synthetic: p.synthetic,
        }
    }

    /// The blind index of a document, for lookups by other modules (testing ingest).
    pub fn document_index(&self, document: &Document) -> Vec<u8> {
        self.crypto.blind_index(DOC_LABEL, &document.index_text())
    }

    fn phone_index(&self, phone: &PhoneNumber) -> Vec<u8> {
        self.crypto.blind_index(PHONE_LABEL, phone.as_str())
    }

    /// One person by id, if inside the scope.
    ///
    /// # Errors
    /// `Forbidden` without `persons.read`; `NotFound` when absent or outside the scope.
    pub async fn find(&self, scope: &Scope, id: i64) -> Result<Person> {
        require(scope, Permission::PersonsRead)?;
        let (lo, hi) = scope.code_bounds();
        let sql = format!(
            "SELECT {COLUMNS} FROM persons WHERE id = $1 AND community_code >= $2 \
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

    /// A page of the synthetic persons inside the scope with an id above `after_id`, in id
    /// order: id and birth date only (no personal data is decrypted). A keyset page, so
    /// reading the whole registry page by page stays linear.
    ///
    /// # Errors
    /// `Forbidden` without `persons.read`.
    pub async fn synthetic_births_after(
        &self,
        scope: &Scope,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<(i64, String)>> {
        require(scope, Permission::PersonsRead)?;
        let (lo, hi) = scope.code_bounds();
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT id, birth_date FROM persons WHERE id > $1 AND synthetic = $2 \
                     AND merged_into IS NULL AND community_code >= $3 AND community_code < $4 \
                     ORDER BY id LIMIT $5",
                )
                .bind(after_id)
                .bind(true)
                .bind(&lo)
                .bind(&hi)
                .bind(limit)
                .fetch_all(pool)
                .await?
            }
        ))
    }

    /// The persons with these ids that lie inside the scope, in id order (others are left out).
    ///
    /// # Errors
    /// `Forbidden` without `persons.read`.
    pub async fn find_many(&self, scope: &Scope, ids: &[i64]) -> Result<Vec<Person>> {
        require(scope, Permission::PersonsRead)?;
        let (lo, hi) = scope.code_bounds();
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(5_000) {
            let sql = format!(
                "SELECT {COLUMNS} FROM persons WHERE community_code >= {} AND community_code < {} \
                 AND id IN ({}) ORDER BY id",
                self.db.placeholders(1, 1),
                self.db.placeholders(2, 1),
                self.db.placeholders(3, chunk.len())
            );
            let rows: Vec<Person> = with_db!(
                self.db,
                read | pool | {
                    let mut q = sqlx::query_as(&sql).bind(&lo).bind(&hi);
                    for id in chunk {
                        q = q.bind(*id);
                    }
                    q.fetch_all(pool).await?
                }
            );
            out.extend(rows);
        }
        out.sort_by_key(|p| p.id);
        Ok(out)
    }

    /// The person holding `document`, if any and inside the scope.
    ///
    /// # Errors
    /// `Forbidden` without `persons.read`.
    pub async fn find_by_document(
        &self,
        scope: &Scope,
        document: &Document,
    ) -> Result<Option<Person>> {
        require(scope, Permission::PersonsRead)?;
        let (lo, hi) = scope.code_bounds();
        let blind = self.document_index(document);
        let sql = format!(
            "SELECT {COLUMNS} FROM persons WHERE doc_blind = $1 AND community_code >= $2 \
             AND community_code < $3"
        );
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(&blind)
                    .bind(&lo)
                    .bind(&hi)
                    .fetch_optional(pool)
                    .await?
            }
        ))
    }

    /// Persons with this phone number inside the scope.
    ///
    /// # Errors
    /// `Forbidden` without `persons.read`.
    pub async fn find_by_phone(
        &self,
        scope: &Scope,
        phone: &PhoneNumber,
        limit: i64,
    ) -> Result<Vec<Person>> {
        require(scope, Permission::PersonsRead)?;
        let (lo, hi) = scope.code_bounds();
        let blind = self.phone_index(phone);
        let sql = format!(
            "SELECT {COLUMNS} FROM persons WHERE phone_blind = $1 AND community_code >= $2 \
             AND community_code < $3 ORDER BY id LIMIT $4"
        );
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(&blind)
                    .bind(&lo)
                    .bind(&hi)
                    .bind(limit)
                    .fetch_all(pool)
                    .await?
            }
        ))
    }

    /// Persons whose name starts with `prefix` (all persons when empty), inside the scope and
    /// optionally inside `within`, ordered by name then id, after `offset` rows.
    ///
    /// # Errors
    /// `Forbidden` without `persons.read`.
    pub async fn search(
        &self,
        scope: &Scope,
        prefix: &str,
        within: Option<&JurisdictionCode>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Person>> {
        require(scope, Permission::PersonsRead)?;
        let (lo, hi) = scope.code_bounds();
        let (wlo, whi) = crate::within_bounds(within);
        // Names compare bytewise (BINARY in SQLite, COLLATE "C" in PostgreSQL), and U+10FFFF
        // sorts after every other character, so the prefix is a range over the name index.
        let name_hi = format!("{prefix}\u{10FFFF}");
        let sql = format!(
            "SELECT {COLUMNS} FROM persons WHERE name >= $1 AND name < $2 \
             AND community_code >= $3 AND community_code < $4 \
             AND community_code >= $5 AND community_code < $6 \
             ORDER BY name, id LIMIT $7 OFFSET $8"
        );
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(prefix)
                    .bind(&name_hi)
                    .bind(&lo)
                    .bind(&hi)
                    .bind(&wlo)
                    .bind(&whi)
                    .bind(limit)
                    .bind(offset)
                    .fetch_all(pool)
                    .await?
            }
        ))
    }

    /// Number of persons inside the scope (merged records excluded).
    ///
    /// # Errors
    /// `Forbidden` without `persons.read`.
    pub async fn count(&self, scope: &Scope) -> Result<i64> {
        require(scope, Permission::PersonsRead)?;
        let (lo, hi) = scope.code_bounds();
        let (n,): (i64,) = with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                "SELECT COUNT(*) FROM persons WHERE community_code >= $1 AND community_code < $2 \
                 AND merged_into IS NULL",
            )
            .bind(&lo)
            .bind(&hi)
            .fetch_one(pool)
            .await?
            }
        );
        Ok(n)
    }

    /// Registered persons per child jurisdiction of `parent` (by code prefix of the child
    /// level), inside the scope.
    ///
    /// # Errors
    /// `Forbidden` without `persons.read`.
    pub async fn count_by_child(
        &self,
        scope: &Scope,
        parent: &JurisdictionCode,
    ) -> Result<Vec<(String, i64)>> {
        require(scope, Permission::PersonsRead)?;
        let Some(child) = parent.level().child() else {
            return Ok(Vec::new());
        };
        let (lo, hi) = scope.code_bounds();
        let (plo, phi) = parent.subtree_bounds();
        let len = child.code_len();
        let sql = format!(
            "SELECT substr(community_code, 1, {len}) AS child, COUNT(*) FROM persons \
             WHERE community_code >= $1 AND community_code < $2 \
               AND community_code >= $3 AND community_code < $4 AND merged_into IS NULL \
             GROUP BY substr(community_code, 1, {len}) ORDER BY child"
        );
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(&sql)
                    .bind(&lo)
                    .bind(&hi)
                    .bind(&plo)
                    .bind(&phi)
                    .fetch_all(pool)
                    .await?
            }
        ))
    }

    /// Unmerged persons in the scope and in `within`, counted by sex and age band, where
    /// `cutoffs` are the birth dates (ISO) that start the bands 15-59, 60-79 and 80+ (anyone
    /// born after `cutoffs[0]` is 0-14). Returns `(sex, [n_0_14, n_15_59, n_60_79, n_80_plus])`.
    ///
    /// # Errors
    /// `Forbidden` without `persons.read`.
    pub async fn age_sex_profile(
        &self,
        scope: &Scope,
        within: &JurisdictionCode,
        cutoffs: &[String; 3],
    ) -> Result<Vec<(String, [i64; 4])>> {
        require(scope, Permission::PersonsRead)?;
        let (lo, hi) = scope.code_bounds();
        let (wlo, whi) = within.subtree_bounds();
        let rows: Vec<(String, i64, i64, i64, i64)> = with_db!(
            self.db,
            read | pool
                | {
                    sqlx::query_as(
                "SELECT sex, \
                   CAST(SUM(CASE WHEN birth_date > $5 THEN 1 ELSE 0 END) AS BIGINT), \
                   CAST(SUM(CASE WHEN birth_date <= $5 AND birth_date > $6 THEN 1 ELSE 0 END) AS BIGINT), \
                   CAST(SUM(CASE WHEN birth_date <= $6 AND birth_date > $7 THEN 1 ELSE 0 END) AS BIGINT), \
                   CAST(SUM(CASE WHEN birth_date <= $7 THEN 1 ELSE 0 END) AS BIGINT) \
                 FROM persons WHERE community_code >= $1 AND community_code < $2 \
                   AND community_code >= $3 AND community_code < $4 AND merged_into IS NULL \
                 GROUP BY sex ORDER BY sex",
            )
            .bind(&lo)
            .bind(&hi)
            .bind(&wlo)
            .bind(&whi)
            .bind(&cutoffs[0])
            .bind(&cutoffs[1])
            .bind(&cutoffs[2])
            .fetch_all(pool)
            .await?
                }
        );
        Ok(rows
            .into_iter()
            .map(|(s, a, b, c, d)| (s, [a, b, c, d]))
            .collect())
    }

    /// Registers a person and records a `created` event.
    ///
    /// # Errors
    /// `Forbidden` without `persons.write` or for a community outside the scope;
    /// `Conflict` when the document is already registered or the community does not exist.
    pub async fn create(
        &self,
        scope: &Scope,
        person: &NewPerson,
        actor: &str,
        now_ms: i64,
    ) -> Result<Person> {
        require(scope, Permission::PersonsWrite)?;
        require_covers(scope, person.community_code.as_str())?;
        let prepared = self.prepare(person);
        let id = with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                let id = insert_one!(tx, &prepared, now_ms);
                insert_event!(tx, id, now_ms, "created", actor, "{}");
                tx.commit().await?;
                id
            }
        );
        self.find(&Scope::system(), id).await
    }

    /// Applies `patch`, recording which fields changed (names only, never values).
    ///
    /// # Errors
    /// `Forbidden` without `persons.write` or when moving the person out of the scope;
    /// `NotFound` when absent or outside the scope.
    pub async fn update(
        &self,
        scope: &Scope,
        id: i64,
        patch: &PersonPatch,
        actor: &str,
        now_ms: i64,
    ) -> Result<Person> {
        require(scope, Permission::PersonsWrite)?;
        let current = self.find(scope, id).await?;
        if let Some(code) = &patch.community_code {
            require_covers(scope, code.as_str())?;
        }
        let mut changed: Vec<&str> = Vec::new();
        let name = patch.name.clone().unwrap_or_else(|| current.name.clone());
        if name != current.name {
            changed.push("name");
        }
        let address = match &patch.address {
            Some(a) => a.clone(),
            None => current.address.clone(),
        };
        if address != current.address {
            changed.push("address");
        }
        let community = patch
            .community_code
            .as_ref()
            .map_or(current.community_code.clone(), |c| c.as_str().to_string());
        if community != current.community_code {
            changed.push("community_code");
        }
        let tags = patch
            .tags
            .as_deref()
            .map_or(current.tags_json.clone(), tags_json);
        if tags != current.tags_json {
            changed.push("tags");
        }
        let closed_at = match patch.closed {
            Some(true) => current.closed_at.or(Some(now_ms)),
            Some(false) => None,
            None => current.closed_at,
        };
        if closed_at != current.closed_at {
            changed.push("closed");
        }
        let phone_change = match &patch.phone {
            Some(Some(p)) => Some((
                Some(self.phone_index(p)),
                Some(self.crypto.encrypt(PHONE_LABEL, p.as_str().as_bytes())),
                Some(p.masked()),
            )),
            Some(None) => Some((None, None, None)),
            None => None,
        };
        if let Some((blind, _, _)) = &phone_change {
            if blind.as_ref() != self.phone_blind(id).await?.as_ref() {
                changed.push("phone");
            }
        }
        if changed.is_empty() {
            return Ok(current);
        }
        let detail = serde_json::json!({ "fields": changed }).to_string();
        with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                sqlx::query(
                    "UPDATE persons SET name = $2, address = $3, community_code = $4, tags = $5, \
                 updated_at = $6, closed_at = $7 WHERE id = $1",
                )
                .bind(id)
                .bind(&name)
                .bind(&address)
                .bind(&community)
                .bind(&tags)
                .bind(now_ms)
                .bind(closed_at)
                .execute(&mut *tx)
                .await?;
                if let Some((blind, cipher, masked)) = &phone_change {
                    sqlx::query(
                    "UPDATE persons SET phone_blind = $2, phone_cipher = $3, phone_masked = $4 \
                     WHERE id = $1",
                )
                .bind(id)
                .bind(blind)
                .bind(cipher)
                .bind(masked)
                .execute(&mut *tx)
                .await?;
                }
                insert_event!(tx, id, now_ms, "updated", actor, &detail);
                tx.commit().await?;
            }
        );
        self.find(scope, id).await
    }

    async fn phone_blind(&self, id: i64) -> Result<Option<Vec<u8>>> {
        let (blind,): (Option<Vec<u8>>,) = with_db!(
            self.db,
            read | pool | {
                sqlx::query_as("SELECT phone_blind FROM persons WHERE id = $1")
                    .bind(id)
                    .fetch_one(pool)
                    .await?
            }
        );
        Ok(blind)
    }

    /// Registers or updates many persons in one transaction, matching by document first
    /// (a match on a merged record updates the survivor). A person whose stored fields
    /// already equal the row is left untouched, so re-running an import is a no-op.
    ///
    /// # Errors
    /// `Forbidden` without `persons.write` or when a row lies outside the scope (nothing is
    /// written then); `Conflict` when a community does not exist.
    pub async fn upsert_batch(
        &self,
        scope: &Scope,
        rows: &[NewPerson],
        actor: &str,
        now_ms: i64,
    ) -> Result<PersonUpsertSummary> {
        require(scope, Permission::PersonsWrite)?;
        for row in rows {
            require_covers(scope, row.community_code.as_str())?;
        }
        let prepared: Vec<PreparedPerson> = rows.iter().map(|r| self.prepare(r)).collect();
        let mut summary = PersonUpsertSummary::default();
        with_db!(
            self.db,
            write | pool | {
                let mut tx = pool.begin().await?;
                for p in &prepared {
                    match upsert_one!(tx, p, now_ms, actor).1 {
                        Upserted::Created => summary.created += 1,
                        Upserted::Updated => summary.updated += 1,
                        Upserted::Unchanged => summary.unchanged += 1,
                    }
                }
                tx.commit().await?;
            }
        );
        Ok(summary)
    }

    /// Pairs of unmerged records inside the scope that share name and birth date, or a phone
    /// number, for staff to review; at most `limit`.
    ///
    /// # Errors
    /// `Forbidden` without `persons.merge`.
    pub async fn duplicate_candidates(
        &self,
        scope: &Scope,
        limit: i64,
    ) -> Result<Vec<DuplicateCandidate>> {
        require(scope, Permission::PersonsMerge)?;
        let (lo, hi) = scope.code_bounds();
        let pairs: Vec<(i64, i64, String)> = with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT a.id, b.id, 'name_and_birth_date' FROM persons a \
                 JOIN persons b ON b.name = a.name AND b.birth_date = a.birth_date AND b.id > a.id \
                 WHERE a.merged_into IS NULL AND b.merged_into IS NULL \
                   AND a.community_code >= $1 AND a.community_code < $2 \
                   AND b.community_code >= $1 AND b.community_code < $2 \
                 UNION ALL \
                 SELECT a.id, b.id, 'phone' FROM persons a \
                 JOIN persons b ON b.phone_blind = a.phone_blind AND b.id > a.id \
                 WHERE a.merged_into IS NULL AND b.merged_into IS NULL \
                   AND a.community_code >= $1 AND a.community_code < $2 \
                   AND b.community_code >= $1 AND b.community_code < $2 \
                 ORDER BY 1, 2 LIMIT $3",
                )
                .bind(&lo)
                .bind(&hi)
                .bind(limit)
                .fetch_all(pool)
                .await?
            }
        );
        let mut out = Vec::with_capacity(pairs.len());
        for (a, b, reason) in pairs {
            out.push(DuplicateCandidate {
                first: self.find(scope, a).await?,
                second: self.find(scope, b).await?,
                reason: if reason == "phone" {
                    DuplicateReason::Phone
                } else {
                    DuplicateReason::NameAndBirthDate
                },
            });
        }
        Ok(out)
    }

    /// Merges `duplicate` into `keep`: the duplicate is marked as merged (it stays, with its
    /// history, and its document keeps resolving to the survivor), missing phone and address
    /// are taken over, tags are united, and both histories record the merge.
    ///
    /// # Errors
    /// `Forbidden` without `persons.merge`; `NotFound` when either is absent or outside the
    /// scope; `Conflict` when either is already merged or they are the same record.
    pub async fn merge(
        &self,
        scope: &Scope,
        keep: i64,
        duplicate: i64,
        actor: &str,
        now_ms: i64,
    ) -> Result<Person> {
        require(scope, Permission::PersonsMerge)?;
        let a = self.find(scope, keep).await?;
        let b = self.find(scope, duplicate).await?;
        if keep == duplicate || a.merged_into.is_some() || b.merged_into.is_some() {
            return Err(StoreError::Conflict {
                constraint: "persons_merge".to_string(),
            });
        }
        let mut tags = a.tags();
        tags.extend(b.tags());
        let tags = tags_json(&tags);
        with_db!(
            self.db,
            write
                | pool
                | {
                    let mut tx = pool.begin().await?;
                    sqlx::query(
                "UPDATE persons SET \
                   phone_blind = COALESCE(phone_blind, (SELECT phone_blind FROM persons WHERE id = $2)), \
                   phone_cipher = COALESCE(phone_cipher, (SELECT phone_cipher FROM persons WHERE id = $2)), \
                   phone_masked = COALESCE(phone_masked, (SELECT phone_masked FROM persons WHERE id = $2)), \
                   address = COALESCE(address, (SELECT address FROM persons WHERE id = $2)), \
                   tags = $3, updated_at = $4 WHERE id = $1",
            )
            .bind(keep)
            .bind(duplicate)
            .bind(&tags)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
                    sqlx::query(
                        "UPDATE persons SET merged_into = $2, updated_at = $3 WHERE id = $1",
                    )
                    .bind(duplicate)
                    .bind(keep)
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await?;
                    // Records merged earlier into the duplicate now point at the survivor.
                    sqlx::query("UPDATE persons SET merged_into = $2 WHERE merged_into = $1")
                        .bind(duplicate)
                        .bind(keep)
                        .execute(&mut *tx)
                        .await?;
                    let detail_keep = serde_json::json!({ "merged_from": duplicate }).to_string();
                    let detail_dup = serde_json::json!({ "merged_into": keep }).to_string();
                    insert_event!(tx, keep, now_ms, "merged", actor, &detail_keep);
                    insert_event!(tx, duplicate, now_ms, "merged", actor, &detail_dup);
                    tx.commit().await?;
                }
        );
        self.find(scope, keep).await
    }

    /// The history of a person and of every record merged into it, oldest first.
    ///
    /// # Errors
    /// `NotFound` when the person is absent or outside the scope.
    pub async fn history(&self, scope: &Scope, id: i64) -> Result<Vec<PersonEvent>> {
        self.find(scope, id).await?;
        Ok(with_db!(
            self.db,
            read | pool
                | {
                    sqlx::query_as(
                "SELECT id, person_id, at, kind, actor, detail FROM person_events \
                 WHERE person_id = $1 OR person_id IN (SELECT id FROM persons WHERE merged_into = $1) \
                 ORDER BY at, id",
            )
            .bind(id)
            .fetch_all(pool)
            .await?
                }
        ))
    }

    /// Removes the personal data of records in the scope closed before `before_ms`: name,
    /// document, phone, address and tags are wiped (the document's blind index becomes a
    /// per-record placeholder, so it never matches again); community, sex, birth date and
    /// household stay, so counts by place, sex and age band are unchanged. Records already
    /// purged are skipped. Returns the ids purged, in one transaction.
    ///
    /// # Errors
    /// `Forbidden` without `data.purge`.
    pub async fn purge_closed(
        &self,
        scope: &Scope,
        before_ms: i64,
        actor: &str,
        now_ms: i64,
    ) -> Result<Vec<i64>> {
        require(scope, Permission::DataPurge)?;
        let (lo, hi) = scope.code_bounds();
        let ids: Vec<i64> = with_db!(
            self.db,
            write
                | pool
                | {
                    let mut tx = pool.begin().await?;
                    let rows: Vec<(i64,)> = sqlx::query_as(
                "SELECT id FROM persons WHERE closed_at IS NOT NULL AND closed_at < $1 \
                 AND purged_at IS NULL AND community_code >= $2 AND community_code < $3 ORDER BY id",
            )
            .bind(before_ms)
            .bind(&lo)
            .bind(&hi)
            .fetch_all(&mut *tx)
            .await?;
                    for (id,) in &rows {
                        let placeholder = format!("purged:{id}").into_bytes();
                        sqlx::query(
                            "UPDATE persons SET name = '', doc_blind = $2, doc_cipher = $3, \
                     doc_masked = '******', phone_blind = NULL, phone_cipher = NULL, \
                     phone_masked = NULL, address = NULL, tags = '[]', purged_at = $4, \
                     updated_at = $4 WHERE id = $1",
                        )
                        .bind(id)
                        .bind(&placeholder)
                        .bind(Vec::<u8>::new())
                        .bind(now_ms)
                        .execute(&mut *tx)
                        .await?;
                        insert_event!(tx, *id, now_ms, "purged", actor, "{}");
                    }
                    tx.commit().await?;
                    rows.into_iter().map(|(id,)| id).collect()
                }
        );
        Ok(ids)
    }

    /// The full document number. The caller must audit the reveal.
    ///
    /// # Errors
    /// `Forbidden` without `pii.reveal`; `NotFound` outside the scope; `Corrupt` when the
    /// stored value does not decrypt.
    pub async fn reveal_document(&self, scope: &Scope, id: i64) -> Result<String> {
        require(scope, Permission::PiiReveal)?;
        let (lo, hi) = scope.code_bounds();
        let (cipher,): (Vec<u8>,) = with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT doc_cipher FROM persons WHERE id = $1 AND community_code >= $2 \
                 AND community_code < $3",
                )
                .bind(id)
                .bind(&lo)
                .bind(&hi)
                .fetch_one(pool)
                .await?
            }
        );
        if cipher.is_empty() {
            // Purged: nothing left to reveal.
            return Err(StoreError::NotFound);
        }
        self.crypto.decrypt_text(DOC_LABEL, &cipher)
    }

    /// The full phone number, if any. The caller must audit the reveal.
    ///
    /// # Errors
    /// As [`Persons::reveal_document`].
    pub async fn reveal_phone(&self, scope: &Scope, id: i64) -> Result<Option<String>> {
        require(scope, Permission::PiiReveal)?;
        let (lo, hi) = scope.code_bounds();
        let (cipher,): (Option<Vec<u8>>,) = with_db!(
            self.db,
            read | pool | {
                sqlx::query_as(
                    "SELECT phone_cipher FROM persons WHERE id = $1 AND community_code >= $2 \
                 AND community_code < $3",
                )
                .bind(id)
                .bind(&lo)
                .bind(&hi)
                .fetch_one(pool)
                .await?
            }
        );
        cipher
            .map(|c| self.crypto.decrypt_text(PHONE_LABEL, &c))
            .transpose()
    }
}
