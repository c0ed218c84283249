//! Ingest of sample collections and tube results, with the fan-out of positive pools.

use std::collections::HashMap;

use rusqlite::OptionalExtension as _;
use sqlx::{Connection as _, Row as _};

use super::{
    ResultIngest, ResultRow, SampleIngest, SampleRefusal, SampleRow, Testing, LOOKUP_CHUNK,
};
use crate::backend::{with_db, with_raw_sqlite, Backend, Db, ForeignKeysOff, MAX_BINDS};
use crate::Result;

/// SQL that sets a tube's status to its latest test's outcome (a `WHERE` follows).
const SET_LATEST_STATUS: &str = "UPDATE tubes SET status = (SELECT r.outcome FROM tube_results r \
     WHERE r.tube_id = tubes.id ORDER BY r.tested_at DESC, r.id DESC LIMIT 1)";

/// Keys looked up per statement by [`lookup_many`].
const RESOLVE_CHUNK: usize = 20_000;

/// Looks many keys up on SQLite with one statement and one result row: the keys go in as
/// one JSON array, `value` (an SQL expression of `j.value`, NULL when nothing is found) is
/// evaluated for each, and the answers come back as one JSON array in the keys' order.
/// Through the driver a row costs more than the B-tree probe behind it, so lookups of
/// thousands of keys are done this way rather than as `IN (...)` returning a row each.
///
/// `keys` holds `count` keys; an answer of another length is an error. Generic over the
/// database only so that code shared by both backends compiles; the SQL is SQLite's.
async fn lookup_many<'e, T, DB, E>(
    executor: E,
    (keys, count): (&str, usize),
    value: &str,
) -> Result<Vec<Option<T>>>
where
    T: serde::de::DeserializeOwned,
    DB: sqlx::Database,
    E: sqlx::Executor<'e, Database = DB>,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    (String,): for<'r> sqlx::FromRow<'r, DB::Row>,
{
    let sql = format!(
        "SELECT json_group_array(json(x) ORDER BY k) FROM \
         (SELECT j.key AS k, ({value}) AS x FROM json_each($1) j)"
    );
    let found: String = sqlx::query_scalar::<DB, String>(&sql)
        .bind(keys)
        .fetch_one(executor)
        .await?;
    let found: Vec<Option<T>> = serde_json::from_str(&found)
        .map_err(|e| crate::StoreError::Unavailable(sqlx::Error::Decode(Box::new(e))))?;
    if found.len() != count {
        return Err(crate::StoreError::Unavailable(sqlx::Error::Protocol(
            format!("a lookup returned {} answers for {count} keys", found.len()),
        )));
    }
    Ok(found)
}

/// Keys as a JSON array of strings.
fn json_keys<'k>(keys: impl Iterator<Item = std::borrow::Cow<'k, str>>) -> String {
    let keys: Vec<std::borrow::Cow<'k, str>> = keys.collect();
    serde_json::to_string(&keys).unwrap_or_else(|_| "[]".to_string())
}

/// The person of each row of a chunk (by its document's blind index), in row order, from
/// [`Testing::resolve_persons`].
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ResolvedPersons(Vec<Option<i64>>);

/// Length of a document's blind index (HMAC-SHA256).
const BLIND_LEN: usize = 32;

/// Every person's document blind index with their id, in index order, read in one pass
/// ([`Testing::person_snapshot`]). A file that holds a good part of the population is
/// resolved against it: one pass over the index costs less than a B-tree probe per row
/// (at 7 million residents, about a second against about fourteen).
#[derive(Debug, Default)]
pub struct PersonSnapshot {
    /// The first 8 bytes of each key as a big-endian number: searched first, since an
    /// array of numbers a quarter the size keeps the search in cache and compares without
    /// calling `memcmp`.
    prefixes: Vec<u64>,
    keys: Vec<[u8; BLIND_LEN]>,
    ids: Vec<i64>,
}

/// The first 8 bytes of `key` as a big-endian number (zero-padded): ordering by it and then
/// by the whole key is ordering by the whole key.
fn key_prefix(key: &[u8]) -> u64 {
    let mut head = [0u8; 8];
    let n = key.len().min(8);
    head[..n].copy_from_slice(&key[..n]);
    u64::from_be_bytes(head)
}

impl PersonSnapshot {
    /// Builds a snapshot from `(blind, id)` pairs in blind order; `None` if a blind has
    /// another length than [`BLIND_LEN`] (such a store is resolved by probes instead).
    fn from_sorted(pairs: impl Iterator<Item = (Vec<u8>, i64)>) -> Option<PersonSnapshot> {
        let mut snapshot = PersonSnapshot::default();
        for (blind, id) in pairs {
            snapshot.push(blind.as_slice().try_into().ok()?, id);
        }
        Some(snapshot)
    }

    fn push(&mut self, key: [u8; BLIND_LEN], id: i64) {
        self.prefixes.push(key_prefix(&key));
        self.keys.push(key);
        self.ids.push(id);
    }

    /// Persons in the snapshot.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the snapshot holds nobody.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The person of each of `wanted` (in ascending order): a galloping search of the
    /// prefixes forward from the previous answer, so a chunk's keys cost a few integer
    /// comparisons each, then the whole key compared among the (almost always one) entries
    /// with its prefix.
    fn find_sorted(&self, wanted: &[&[u8]]) -> Vec<Option<i64>> {
        let mut from = 0usize;
        wanted
            .iter()
            .map(|w| {
                let head = key_prefix(w);
                let rest = &self.prefixes[from..];
                let mut bound = 1usize;
                while bound < rest.len() && rest[bound - 1] < head {
                    bound *= 2;
                }
                let end = bound.min(rest.len());
                from += rest[..end].partition_point(|p| *p < head);
                (from..self.len())
                    .take_while(|k| self.prefixes[*k] == head)
                    .find(|k| self.keys[*k].as_slice() == *w)
                    .map(|k| self.ids[k])
            })
            .collect()
    }
}

impl Testing<'_> {
    /// The largest person id: an upper bound of the persons on record, for deciding whether
    /// a file is large enough to be resolved against a [`PersonSnapshot`].
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn person_id_bound(&self) -> Result<i64> {
        Ok(with_db!(
            self.db,
            read | pool | {
                sqlx::query_scalar::<_, i64>("SELECT COALESCE(MAX(id), 0) FROM persons")
                    .fetch_one(pool)
                    .await?
            }
        ))
    }

    /// Reads every person's document blind index and id in one pass over the index, on a
    /// reader. `None` when the store holds a blind index of an unexpected length (resolve by
    /// probes then). Persons registered after the snapshot are unknown to it, as to a probe
    /// made a moment earlier; merged records are still resolved to their survivor when the
    /// samples are written.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn person_snapshot(&self) -> Result<Option<PersonSnapshot>> {
        match self.db {
            Db::Sqlite { read, .. } => {
                let mut conn = read.acquire().await?;
                with_raw_sqlite(&mut conn, |db| {
                    let mut scan = db.prepare(
                        "SELECT doc_blind, id FROM persons INDEXED BY persons_doc_blind \
                         ORDER BY doc_blind",
                    )?;
                    let mut snapshot = PersonSnapshot::default();
                    let mut rows = scan.query([])?;
                    while let Some(row) = rows.next()? {
                        let blind = row.get_ref(0)?.as_blob()?;
                        let Ok(key) = <[u8; BLIND_LEN]>::try_from(blind) else {
                            return Ok(None);
                        };
                        snapshot.push(key, row.get(1)?);
                    }
                    Ok(Some(snapshot))
                })
                .await
            }
            Db::Postgres(pool) => {
                let pairs: Vec<(Vec<u8>, i64)> =
                    sqlx::query_as("SELECT doc_blind, id FROM persons ORDER BY doc_blind")
                        .fetch_all(pool)
                        .await?;
                Ok(PersonSnapshot::from_sorted(pairs.into_iter()))
            }
        }
    }

    /// Looks up the persons of the rows' documents (by blind index) on a reader, outside any
    /// write transaction, so that it can run while the previous chunk is being written:
    /// in `snapshot` when given, else by probing the index.
    ///
    /// The lookup reads the blind index alone (it holds the id), in index order: reading
    /// each person's row would be a random page read per sample. Merged records are
    /// resolved to their survivor by [`Testing::ingest_samples_resolved`], inside its
    /// transaction.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn resolve_persons(
        &self,
        rows: &[SampleRow],
        snapshot: Option<&PersonSnapshot>,
    ) -> Result<ResolvedPersons> {
        let blinds: Vec<&[u8]> = rows.iter().map(|r| r.doc_blind.as_slice()).collect();
        Ok(ResolvedPersons(
            self.resolve_blinds(&blinds, snapshot).await?,
        ))
    }

    /// The person (id, merged or not) of each document blind index, in order, looked up
    /// like [`Testing::resolve_persons`]: in `snapshot` when given, else by probing the
    /// index on a reader. Any list of documents (a vaccination list, a contact list) is
    /// resolved this way.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn resolve_blinds(
        &self,
        rows: &[&[u8]],
        snapshot: Option<&PersonSnapshot>,
    ) -> Result<Vec<Option<i64>>> {
        // The distinct documents in index order, and for each row which of them it holds.
        // Comparing the first 8 bytes as one number, then the rest only on a tie, gives the
        // order of comparing them whole with a fraction of the byte comparisons.
        let mut keyed: Vec<(u64, u32)> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (key_prefix(r), i as u32))
            .collect();
        keyed.sort_unstable_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| rows[a.1 as usize].cmp(rows[b.1 as usize]))
        });
        let order = keyed.into_iter().map(|(_, i)| i);
        let mut blinds: Vec<&[u8]> = Vec::with_capacity(rows.len());
        let mut slot = vec![0u32; rows.len()];
        for i in order {
            let b = rows[i as usize];
            if blinds.last() != Some(&b) {
                blinds.push(b);
            }
            slot[i as usize] = (blinds.len() - 1) as u32;
        }
        let mut ids: Vec<Option<i64>> = Vec::with_capacity(blinds.len());
        if let Some(snapshot) = snapshot {
            ids = snapshot.find_sorted(&blinds);
        } else if let Db::Sqlite { read, .. } = self.db {
            // One prepared probe per document, in index order (the pages stay cached).
            let mut conn = read.acquire().await?;
            with_raw_sqlite(&mut conn, |db| {
                let mut probe = db.prepare_cached("SELECT id FROM persons WHERE doc_blind = ?1")?;
                for blind in &blinds {
                    ids.push(probe.query_row([blind], |x| x.get(0)).optional()?);
                }
                Ok(())
            })
            .await?;
        } else {
            let mut by_blind: HashMap<Vec<u8>, i64> = HashMap::with_capacity(blinds.len());
            with_db!(
                self.db,
                read | pool | {
                    for chunk in blinds.chunks(LOOKUP_CHUNK) {
                        let sql = format!(
                            "SELECT doc_blind, id FROM persons WHERE doc_blind IN ({})",
                            self.db.placeholders(1, chunk.len())
                        );
                        let mut q = sqlx::query_as::<_, (Vec<u8>, i64)>(&sql);
                        for b in chunk {
                            q = q.bind(*b);
                        }
                        by_blind.extend(q.fetch_all(pool).await?);
                    }
                }
            );
            ids.extend(blinds.iter().map(|b| by_blind.get(*b).copied()));
        }
        Ok(slot.into_iter().map(|k| ids[k as usize]).collect())
    }

    /// Stores collected samples in one transaction: tubes are created on first sight,
    /// samples already stored are skipped, and rows that cannot be stored are returned with
    /// the reason (the others are kept).
    ///
    /// # Errors
    /// `Unavailable` on database failure (nothing is written then).
    pub async fn ingest_samples(&self, rows: &[SampleRow]) -> Result<SampleIngest> {
        let persons = self.resolve_persons(rows, None).await?;
        self.ingest_samples_resolved(rows, &persons).await
    }

    /// Stores collected samples like [`Testing::ingest_samples`], with their persons looked
    /// up beforehand by [`Testing::resolve_persons`] (for the same rows). A person merged
    /// since then is stored under the record that survived the merge; a person registered
    /// since then is unknown (as if the file had arrived a moment earlier).
    ///
    /// # Errors
    /// `Unavailable` on database failure (nothing is written then).
    pub async fn ingest_samples_resolved(
        &self,
        rows: &[SampleRow],
        persons: &ResolvedPersons,
    ) -> Result<SampleIngest> {
        let persons = &persons.0;
        match self.db {
            Db::Sqlite { write, .. } => {
                // Every reference below is to a row read or inserted in this transaction,
                // and persons, tubes and rounds are never deleted: the per-row checks of
                // the foreign keys would only repeat what is known.
                let mut writer = ForeignKeysOff::acquire(write).await?;
                let mut tx = writer.conn().begin().await?;
                let (survivor, rounds) = chunk_context(&mut tx).await?;
                let mut plan = ChunkPlan::new(rows, persons, &rounds);
                let out = with_raw_sqlite(&mut tx, |db| {
                    let mut out = SampleIngest::default();
                    // One statement per tube and per sample, prepared once: a tube is
                    // inserted unless its code exists, and read back only then.
                    let mut insert = db.prepare_cached(
                        "INSERT INTO tubes (code, site_code, pool_size, round_id, collected_at) \
                         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (code) DO NOTHING",
                    )?;
                    let mut existing = db.prepare_cached(
                        "SELECT id, pool_size, site_code FROM tubes WHERE code = ?1",
                    )?;
                    let mut members = db
                        .prepare_cached("SELECT person_id FROM samples WHERE tube_id = ?1")?;
                    for t in &mut plan.tubes {
                        let r = &rows[t.first];
                        let added = insert.execute(rusqlite::params![
                            r.tube_code,
                            t.site_code,
                            t.pool_size,
                            t.round,
                            r.collected_at_ms
                        ])?;
                        if added == 1 {
                            t.id = db.last_insert_rowid();
                            out.tubes_created += 1;
                            continue;
                        }
                        (t.id, t.pool_size, t.site_code) = existing
                            .query_row([&r.tube_code], |x| Ok((x.get(0)?, x.get(1)?, x.get(2)?)))?;
                        t.existed = true;
                        t.members = members
                            .query_map([t.id], |x| x.get(0))?
                            .collect::<rusqlite::Result<_>>()?;
                    }
                    let to_insert = plan.decide(rows, persons, &survivor, &mut out);
                    let mut insert = db.prepare_cached(
                        "INSERT INTO samples (tube_id, person_id, collected_at) VALUES (?1, ?2, ?3)",
                    )?;
                    for (tube, person, at) in &to_insert {
                        insert.execute([tube, person, at])?;
                    }
                    out.samples_stored = to_insert.len() as u64;
                    Ok(out)
                })
                .await?;
                tx.commit().await?;
                writer.restore().await?;
                Ok(out)
            }
            Db::Postgres(pool) => {
                let mut out = SampleIngest::default();
                let mut tx = pool.begin().await?;
                let (survivor, rounds) = chunk_context(&mut tx).await?;
                let mut plan = ChunkPlan::new(rows, persons, &rounds);
                // Tubes: create the unknown ones and learn the ids of all.
                read_tubes(&mut tx, self.db, rows, &mut plan).await?;
                let new: Vec<usize> = (0..plan.tubes.len())
                    .filter(|k| !plan.tubes[*k].existed)
                    .collect();
                const TUBE_COLUMNS: usize = 5;
                for chunk in new.chunks(MAX_BINDS / TUBE_COLUMNS) {
                    let sql = format!(
                        "INSERT INTO tubes (code, site_code, pool_size, round_id, collected_at) \
                         VALUES {} RETURNING code, id",
                        self.db.values_clause(chunk.len(), TUBE_COLUMNS)
                    );
                    let mut q = sqlx::query_as::<_, (String, i64)>(&sql);
                    for k in chunk {
                        let t = &plan.tubes[*k];
                        let r = &rows[t.first];
                        q = q
                            .bind(&r.tube_code)
                            .bind(&t.site_code)
                            .bind(t.pool_size)
                            .bind(t.round)
                            .bind(r.collected_at_ms);
                    }
                    for (code, id) in q.fetch_all(&mut *tx).await? {
                        if let Some(k) = plan.tube_of_code.get(code.as_str()) {
                            plan.tubes[*k].id = id;
                        }
                    }
                    out.tubes_created += chunk.len() as u64;
                }
                // Members already in the tubes that existed, to enforce the pool size
                // across chunks and files.
                let existed: Vec<usize> = (0..plan.tubes.len())
                    .filter(|k| plan.tubes[*k].existed)
                    .collect();
                for chunk in existed.chunks(LOOKUP_CHUNK) {
                    let sql = format!(
                        "SELECT tube_id, person_id FROM samples WHERE tube_id IN ({})",
                        self.db.placeholders(1, chunk.len())
                    );
                    let mut q = sqlx::query_as::<_, (i64, i64)>(&sql);
                    let by_id: HashMap<i64, usize> =
                        chunk.iter().map(|k| (plan.tubes[*k].id, *k)).collect();
                    for k in chunk {
                        q = q.bind(plan.tubes[*k].id);
                    }
                    for (tube, person) in q.fetch_all(&mut *tx).await? {
                        if let Some(k) = by_id.get(&tube) {
                            plan.tubes[*k].members.push(person);
                        }
                    }
                }
                let to_insert = plan.decide(rows, persons, &survivor, &mut out);
                const SAMPLE_COLUMNS: usize = 3;
                for chunk in to_insert.chunks(MAX_BINDS / SAMPLE_COLUMNS) {
                    let sql = format!(
                        "INSERT INTO samples (tube_id, person_id, collected_at) VALUES {}",
                        self.db.values_clause(chunk.len(), SAMPLE_COLUMNS)
                    );
                    let mut q = sqlx::query(&sql);
                    for (tube, person, at) in chunk {
                        q = q.bind(*tube).bind(*person).bind(*at);
                    }
                    q.execute(&mut *tx).await?;
                }
                out.samples_stored = to_insert.len() as u64;
                tx.commit().await?;
                Ok(out)
            }
        }
    }

    /// Stores tube results in one transaction and fans out every new positive or
    /// inconclusive result at once: each member of a pool gets a retest task in their
    /// community; the person of a positive single tube becomes a suspected case. A result
    /// already stored (same tube, outcome, lab and test time) is skipped, so a re-sent file
    /// changes nothing; a different later result is kept as history and the tube's status
    /// follows its latest test.
    ///
    /// # Errors
    /// `Unavailable` on database failure (nothing is written then).
    pub async fn ingest_results(&self, rows: &[ResultRow], now_ms: i64) -> Result<ResultIngest> {
        let mut out = ResultIngest::default();
        let sqlite = self.db.kind() == Backend::Sqlite;
        with_db!(
            self.db,
            write
                | pool
                | {
                    let mut tx = pool.begin().await?;
                    let mut codes: Vec<&str> = rows.iter().map(|r| r.tube_code.as_str()).collect();
                    codes.sort_unstable();
                    codes.dedup();
                    let mut tubes: HashMap<&str, (i64, i64)> = HashMap::with_capacity(codes.len());
                    if sqlite {
                        for chunk in codes.chunks(RESOLVE_CHUNK) {
                            let keys = json_keys(chunk.iter().map(|c| (*c).into()));
                            let found: Vec<Option<(i64, i64)>> = lookup_many(
                                &mut *tx,
                                (&keys, chunk.len()),
                                "SELECT json_array(t.id, t.pool_size) FROM tubes t WHERE t.code = j.value",
                            )
                            .await?;
                            for (code, tube) in chunk.iter().zip(found) {
                                if let Some(tube) = tube {
                                    tubes.insert(code, tube);
                                }
                            }
                        }
                    } else {
                        for chunk in codes.chunks(LOOKUP_CHUNK) {
                            let sql = format!(
                                "SELECT code, id, pool_size FROM tubes WHERE code IN ({})",
                                self.db.placeholders(1, chunk.len())
                            );
                            let mut q = sqlx::query_as::<_, (String, i64, i64)>(&sql);
                            for c in chunk {
                                q = q.bind(*c);
                            }
                            for (code, id, size) in q.fetch_all(&mut *tx).await? {
                                if let Ok(k) = codes.binary_search(&code.as_str()) {
                                    tubes.insert(codes[k], (id, size));
                                }
                            }
                        }
                    }
                    let mut known: Vec<(usize, i64)> = Vec::with_capacity(rows.len());
                    for (i, r) in rows.iter().enumerate() {
                        match tubes.get(r.tube_code.as_str()) {
                            Some((id, _)) => known.push((i, *id)),
                            None => out.unknown_tubes.push(i),
                        }
                    }
                    const RESULT_COLUMNS: usize = 8;
                    let head =
                        "INSERT INTO tube_results (tube_id, outcome, ct_orf1ab, ct_n, lab_code, \
                                tested_at, reported_at, received_at) VALUES";
                    let on_conflict =
                        "ON CONFLICT (tube_id, outcome, lab_code, tested_at) DO NOTHING";
                    macro_rules! bind_rows {
                        ($chunk:expr, $sql:expr) => {{
                            let mut q = sqlx::query($sql);
                            for (i, tube) in $chunk {
                                let r = &rows[*i];
                                q = q
                                    .bind(*tube)
                                    .bind(&r.outcome)
                                    .bind(r.ct_orf1ab)
                                    .bind(r.ct_n)
                                    .bind(&r.lab_code)
                                    .bind(r.tested_at_ms)
                                    .bind(r.reported_at_ms)
                                    .bind(now_ms);
                            }
                            q
                        }};
                    }
                    // (result id, tube id, pool size, outcome) of each new positive or
                    // inconclusive result.
                    let mut to_fan_out: Vec<(i64, i64, i64, String)> = Vec::new();
                    if sqlite {
                        // This is the only writer: the results stored now are those after
                        // the largest id, so nothing needs to come back row by row.
                        let before: i64 =
                            sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM tube_results")
                                .fetch_one(&mut *tx)
                                .await?;
                        for chunk in known.chunks(MAX_BINDS / RESULT_COLUMNS) {
                            let sql = format!(
                                "{head} {} {on_conflict}",
                                self.db.values_clause(chunk.len(), RESULT_COLUMNS)
                            );
                            out.results_stored += bind_rows!(chunk, &sql)
                                .execute(&mut *tx)
                                .await?
                                .rows_affected();
                        }
                        // The tube's status is its latest test's outcome.
                        sqlx::query(&format!(
                            "{SET_LATEST_STATUS} \
                             WHERE id IN (SELECT tube_id FROM tube_results WHERE id > $1)"
                        ))
                        .bind(before)
                        .execute(&mut *tx)
                        .await?;
                        to_fan_out = sqlx::query_as(
                            "SELECT r.id, r.tube_id, t.pool_size, r.outcome FROM tube_results r \
                             JOIN tubes t ON t.id = r.tube_id \
                             WHERE r.id > $1 AND r.outcome <> 'negative' ORDER BY r.id",
                        )
                        .bind(before)
                        .fetch_all(&mut *tx)
                        .await?;
                    } else {
                        let mut touched: Vec<i64> = Vec::new();
                        let size_of: HashMap<i64, i64> = tubes.values().copied().collect();
                        for chunk in known.chunks(MAX_BINDS / RESULT_COLUMNS) {
                            let sql = format!(
                                "{head} {} {on_conflict} RETURNING id, tube_id, outcome",
                                self.db.values_clause(chunk.len(), RESULT_COLUMNS)
                            );
                            let stored = bind_rows!(chunk, &sql).fetch_all(&mut *tx).await?;
                            out.results_stored += stored.len() as u64;
                            for row in stored {
                                let (result, tube, outcome): (i64, i64, String) =
                                    (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
                                touched.push(tube);
                                if outcome != "negative" {
                                    let size = size_of.get(&tube).copied().unwrap_or(1);
                                    to_fan_out.push((result, tube, size, outcome));
                                }
                            }
                        }
                        // The tube's status is its latest test's outcome.
                        touched.sort_unstable();
                        touched.dedup();
                        for chunk in touched.chunks(LOOKUP_CHUNK) {
                            let sql = format!(
                                "{SET_LATEST_STATUS} WHERE id IN ({})",
                                self.db.placeholders(1, chunk.len())
                            );
                            let mut q = sqlx::query(&sql);
                            for id in chunk {
                                q = q.bind(*id);
                            }
                            q.execute(&mut *tx).await?;
                        }
                    }
                    out.results_already_stored = known.len() as u64 - out.results_stored;
                    // Fan-out, in the same transaction: nothing acknowledged is left without tasks.
                    for (result, tube, size, outcome) in &to_fan_out {
                        if *size > 1 {
                            let reason = if outcome == "positive" {
                                "pool_positive"
                            } else {
                                "pool_inconclusive"
                            };
                            let done = sqlx::query(
                        "INSERT INTO retest_tasks (person_id, tube_id, result_id, reason, community_code, status, created_at) \
                         SELECT s.person_id, s.tube_id, $1, $2, p.community_code, 'open', $3 \
                         FROM samples s JOIN persons p ON p.id = s.person_id WHERE s.tube_id = $4 \
                         ON CONFLICT (person_id, tube_id) DO NOTHING",
                    )
                    .bind(*result)
                    .bind(reason)
                    .bind(now_ms)
                    .bind(*tube)
                    .execute(&mut *tx)
                    .await?;
                            out.retest_tasks_created += done.rows_affected();
                        } else if outcome == "positive" {
                            let done = sqlx::query(
                        "INSERT INTO suspected_cases (person_id, tube_id, result_id, community_code, created_at) \
                         SELECT s.person_id, s.tube_id, $1, p.community_code, $2 \
                         FROM samples s JOIN persons p ON p.id = s.person_id WHERE s.tube_id = $3 \
                         ON CONFLICT (person_id, tube_id) DO NOTHING",
                    )
                    .bind(*result)
                    .bind(now_ms)
                    .bind(*tube)
                    .execute(&mut *tx)
                    .await?;
                            out.suspected_cases_created += done.rows_affected();
                        }
                    }
                    tx.commit().await?;
                }
        );
        Ok(out)
    }
}

/// A tube of a chunk of sample rows.
#[derive(Debug)]
struct ChunkTube {
    /// Its first storable row.
    first: usize,
    round: Option<i64>,
    id: i64,
    pool_size: i64,
    site_code: String,
    /// Whether it was stored before this transaction.
    existed: bool,
    /// Its persons, stored or accepted so far.
    members: Vec<i64>,
}

/// The tubes of a chunk of sample rows and each row's verdict so far, before anything is
/// written: both backends store the tubes their own way, then [`ChunkPlan::decide`].
struct ChunkPlan<'a> {
    /// The tubes of the rows that can be stored (a known person, no unknown round), with
    /// the pool size and site of their first such row.
    tubes: Vec<ChunkTube>,
    tube_of_code: HashMap<&'a str, usize>,
    /// Each row's tube among `tubes`, or why it is refused.
    row_tube: Vec<Result<usize, SampleRefusal>>,
}

impl<'a> ChunkPlan<'a> {
    fn new(
        rows: &'a [SampleRow],
        persons: &[Option<i64>],
        rounds: &HashMap<String, i64>,
    ) -> ChunkPlan<'a> {
        let mut plan = ChunkPlan {
            tubes: Vec::new(),
            tube_of_code: HashMap::new(),
            row_tube: Vec::with_capacity(rows.len()),
        };
        let mut round_memo: Option<(&str, Option<i64>)> = None;
        for (i, r) in rows.iter().enumerate() {
            let round = match r.round_code.as_deref() {
                None => Some(None),
                Some(code) => match round_memo {
                    Some((c, id)) if c == code => id.map(Some),
                    _ => {
                        let id = rounds.get(code).copied();
                        round_memo = Some((code, id));
                        id.map(Some)
                    }
                },
            };
            let Some(round) = round else {
                plan.row_tube.push(Err(SampleRefusal::UnknownRound));
                continue;
            };
            if persons[i].is_none() {
                plan.row_tube.push(Err(SampleRefusal::UnknownPerson));
                continue;
            }
            // Rows of one tube usually come together, so most rows find it without hashing.
            let previous = plan
                .tubes
                .last()
                .filter(|t| rows[t.first].tube_code == r.tube_code);
            let k = match previous {
                Some(_) => plan.tubes.len() - 1,
                None => {
                    let tubes = &mut plan.tubes;
                    *plan
                        .tube_of_code
                        .entry(r.tube_code.as_str())
                        .or_insert_with(|| {
                            tubes.push(ChunkTube {
                                first: i,
                                round,
                                id: 0,
                                pool_size: r.pool_size,
                                site_code: r.site_code.clone(),
                                existed: false,
                                members: Vec::new(),
                            });
                            tubes.len() - 1
                        })
                }
            };
            plan.row_tube.push(Ok(k));
        }
        plan
    }

    /// Decides row by row, once every tube has its id (and a tube that existed its stored
    /// members): the `(tube, person, collected_at)` of each sample to insert. Refusals and
    /// samples already stored go into `out`.
    fn decide(
        &mut self,
        rows: &[SampleRow],
        persons: &[Option<i64>],
        survivor: &HashMap<i64, i64>,
        out: &mut SampleIngest,
    ) -> Vec<(i64, i64, i64)> {
        let mut to_insert = Vec::with_capacity(rows.len());
        for (i, (r, verdict)) in rows.iter().zip(&self.row_tube).enumerate() {
            let k = match verdict {
                Ok(k) => *k,
                Err(why) => {
                    out.refused.push((i, why.clone()));
                    continue;
                }
            };
            let t = &mut self.tubes[k];
            if t.pool_size != r.pool_size || t.site_code != r.site_code {
                out.refused.push((i, SampleRefusal::TubeMismatch));
                continue;
            }
            let id = persons[i].unwrap_or_default();
            let person = survivor.get(&id).copied().unwrap_or(id);
            if t.members.contains(&person) {
                out.samples_already_stored += 1;
                continue;
            }
            if t.members.len() as i64 >= t.pool_size {
                out.refused.push((i, SampleRefusal::PoolFull));
                continue;
            }
            t.members.push(person);
            to_insert.push((t.id, person, r.collected_at_ms));
        }
        to_insert
    }
}

/// What every chunk of samples needs, read in its transaction: merged persons by record
/// (resolved to their survivor, one level, like every lookup by document; there are few of
/// them) and the rounds by code.
async fn chunk_context<'c, DB>(
    tx: &mut sqlx::Transaction<'c, DB>,
) -> Result<(HashMap<i64, i64>, HashMap<String, i64>)>
where
    DB: sqlx::Database,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'x> &'x mut <DB as sqlx::Database>::Connection: sqlx::Executor<'x, Database = DB>,
    (i64, i64): for<'r> sqlx::FromRow<'r, DB::Row>,
    (String, i64): for<'r> sqlx::FromRow<'r, DB::Row>,
{
    let merged: Vec<(i64, i64)> =
        sqlx::query_as("SELECT id, merged_into FROM persons WHERE merged_into IS NOT NULL")
            .fetch_all(&mut **tx)
            .await?;
    let rounds: Vec<(String, i64)> = sqlx::query_as("SELECT code, id FROM testing_rounds")
        .fetch_all(&mut **tx)
        .await?;
    Ok((merged.into_iter().collect(), rounds.into_iter().collect()))
}

/// Reads the tubes already stored among the plan's (by code): their id, pool size and site.
/// A tube found is marked as having existed; the others keep their fields.
async fn read_tubes<'c, DB>(
    tx: &mut sqlx::Transaction<'c, DB>,
    db: &crate::backend::Db,
    rows: &[SampleRow],
    plan: &mut ChunkPlan<'_>,
) -> Result<()>
where
    DB: sqlx::Database,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'x> &'x mut <DB as sqlx::Database>::Connection: sqlx::Executor<'x, Database = DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    String: for<'r> sqlx::Decode<'r, DB> + sqlx::Type<DB>,
    i64: for<'r> sqlx::Decode<'r, DB> + sqlx::Type<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
{
    let codes: Vec<&str> = plan
        .tubes
        .iter()
        .map(|t| rows[t.first].tube_code.as_str())
        .collect();
    for chunk in codes.chunks(LOOKUP_CHUNK) {
        let sql = format!(
            "SELECT code, id, pool_size, site_code FROM tubes WHERE code IN ({})",
            db.placeholders(1, chunk.len())
        );
        let mut q = sqlx::query_as::<DB, (String, i64, i64, String)>(&sql);
        for c in chunk {
            q = q.bind(*c);
        }
        for (code, id, size, site) in q.fetch_all(&mut **tx).await? {
            if let Some(k) = plan.tube_of_code.get(code.as_str()) {
                let t = &mut plan.tubes[*k];
                t.id = id;
                t.pool_size = size;
                t.site_code = site;
                t.existed = true;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(head: u64, tail: u8) -> [u8; BLIND_LEN] {
        let mut k = [tail; BLIND_LEN];
        k[..8].copy_from_slice(&head.to_be_bytes());
        k
    }

    #[test]
    fn a_snapshot_finds_keys_that_share_their_first_eight_bytes() {
        // Sorted by the whole key: three keys with one prefix, then others.
        let pairs = [
            (key(1, 0), 10),
            (key(5, 1), 50),
            (key(5, 3), 53),
            (key(5, 7), 57),
            (key(9, 0), 90),
            (key(u64::MAX, 9), 99),
        ];
        let snapshot =
            PersonSnapshot::from_sorted(pairs.iter().map(|(k, id)| (k.to_vec(), *id))).unwrap();
        assert_eq!(snapshot.len(), 6);
        let wanted = [
            key(0, 0),
            key(1, 0),
            key(5, 2),
            key(5, 3),
            key(5, 7),
            key(6, 0),
            key(u64::MAX, 9),
            key(u64::MAX, 10),
        ];
        let wanted: Vec<&[u8]> = wanted.iter().map(|k| k.as_slice()).collect();
        assert_eq!(
            snapshot.find_sorted(&wanted),
            vec![
                None,
                Some(10),
                None,
                Some(53),
                Some(57),
                None,
                Some(99),
                None
            ]
        );
        // A key of another length makes no snapshot.
        assert!(PersonSnapshot::from_sorted([(vec![1u8; 16], 1)].into_iter()).is_none());
    }
}
