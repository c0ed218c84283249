//! Ingest of sample collections and tube results, with the fan-out of positive pools.

use std::collections::HashMap;

use sqlx::Row as _;

use super::{
    ResultIngest, ResultRow, SampleIngest, SampleRefusal, SampleRow, Testing, LOOKUP_CHUNK,
};
use crate::backend::{with_db, Backend, MAX_BINDS};
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

/// Binary keys as a JSON array of hex strings, written directly (they need no escaping).
fn json_hex_keys(keys: &[&[u8]]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let width = keys.first().map_or(0, |k| k.len() * 2 + 3);
    let mut out = Vec::with_capacity(keys.len() * width + 2);
    out.push(b'[');
    for (n, key) in keys.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        out.push(b'"');
        for byte in *key {
            out.push(DIGITS[usize::from(byte >> 4)]);
            out.push(DIGITS[usize::from(byte & 15)]);
        }
        out.push(b'"');
    }
    out.push(b']');
    String::from_utf8(out).unwrap_or_default()
}

/// The person of each row of a chunk (by its document's blind index), in row order, from
/// [`Testing::resolve_persons`].
#[derive(Debug, Default)]
pub struct ResolvedPersons(Vec<Option<i64>>);

impl Testing<'_> {
    /// Looks up the persons of the rows' documents (by blind index) on a reader, outside any
    /// write transaction, so that it can run while the previous chunk is being written.
    ///
    /// The lookup reads the blind index alone (it holds the id), in index order: reading
    /// each person's row would be a random page read per sample. Merged records are
    /// resolved to their survivor by [`Testing::ingest_samples_resolved`], inside its
    /// transaction.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn resolve_persons(&self, rows: &[SampleRow]) -> Result<ResolvedPersons> {
        // The distinct documents in index order, and for each row which of them it holds.
        // Comparing the first 8 bytes as one number, then the rest only on a tie, gives the
        // order of comparing them whole with a fraction of the byte comparisons.
        let prefix = |b: &[u8]| {
            let mut head = [0u8; 8];
            let n = b.len().min(8);
            head[..n].copy_from_slice(&b[..n]);
            u64::from_be_bytes(head)
        };
        let mut keyed: Vec<(u64, u32)> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (prefix(&r.doc_blind), i as u32))
            .collect();
        keyed.sort_unstable_by(|a, b| {
            a.0.cmp(&b.0).then_with(|| {
                rows[a.1 as usize]
                    .doc_blind
                    .cmp(&rows[b.1 as usize].doc_blind)
            })
        });
        let order = keyed.into_iter().map(|(_, i)| i);
        let mut blinds: Vec<&[u8]> = Vec::with_capacity(rows.len());
        let mut slot = vec![0u32; rows.len()];
        for i in order {
            let b = rows[i as usize].doc_blind.as_slice();
            if blinds.last() != Some(&b) {
                blinds.push(b);
            }
            slot[i as usize] = (blinds.len() - 1) as u32;
        }
        let mut ids: Vec<Option<i64>> = Vec::with_capacity(blinds.len());
        if let crate::backend::Db::Sqlite { read, .. } = self.db {
            for chunk in blinds.chunks(RESOLVE_CHUNK) {
                let found: Vec<Option<i64>> = lookup_many(
                    read,
                    (&json_hex_keys(chunk), chunk.len()),
                    "SELECT p.id FROM persons p WHERE p.doc_blind = unhex(j.value)",
                )
                .await?;
                ids.extend(found);
            }
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
        Ok(ResolvedPersons(
            slot.into_iter().map(|k| ids[k as usize]).collect(),
        ))
    }

    /// Stores collected samples in one transaction: tubes are created on first sight,
    /// samples already stored are skipped, and rows that cannot be stored are returned with
    /// the reason (the others are kept).
    ///
    /// # Errors
    /// `Unavailable` on database failure (nothing is written then).
    pub async fn ingest_samples(&self, rows: &[SampleRow]) -> Result<SampleIngest> {
        let persons = self.resolve_persons(rows).await?;
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
        let mut out = SampleIngest::default();
        let persons = &persons.0;
        let sqlite = self.db.kind() == Backend::Sqlite;
        with_db!(
            self.db,
            write
                | pool
                | {
                    let mut tx = pool.begin().await?;
                    // Merged records resolve to their survivor (one level, like every
                    // lookup by document); there are few of them.
                    let merged: Vec<(i64, i64)> = sqlx::query_as(
                        "SELECT id, merged_into FROM persons WHERE merged_into IS NOT NULL",
                    )
                    .fetch_all(&mut *tx)
                    .await?;
                    let survivor: HashMap<i64, i64> = merged.into_iter().collect();
                    let rounds: Vec<(String, i64)> =
                        sqlx::query_as("SELECT code, id FROM testing_rounds")
                            .fetch_all(&mut *tx)
                            .await?;
                    let rounds: HashMap<String, i64> = rounds.into_iter().collect();
                    // Each row's verdict so far, and its tube among `tubes` (rows of one tube
                    // usually come together, so most rows find it without hashing).
                    let mut tube_of_code: HashMap<&str, usize> = HashMap::new();
                    let mut tubes: Vec<ChunkTube> = Vec::new();
                    let mut row_tube: Vec<Result<usize, SampleRefusal>> =
                        Vec::with_capacity(rows.len());
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
                            row_tube.push(Err(SampleRefusal::UnknownRound));
                            continue;
                        };
                        if persons[i].is_none() {
                            row_tube.push(Err(SampleRefusal::UnknownPerson));
                            continue;
                        }
                        let previous = tubes
                            .last()
                            .filter(|t| rows[t.first].tube_code == r.tube_code);
                        let k = match previous {
                            Some(_) => tubes.len() - 1,
                            None => {
                                *tube_of_code.entry(r.tube_code.as_str()).or_insert_with(|| {
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
                        row_tube.push(Ok(k));
                    }
                    // Tubes: create the unknown ones and learn the ids of all. Tubes are
                    // created only for rows that can be stored (a known person, no unknown
                    // round), with the pool size and site of their first such row.
                    const TUBE_COLUMNS: usize = 6;
                    if sqlite && !tubes.is_empty() {
                        // This is the only writer: the tubes found now are all that exist,
                        // and new tubes can be given their ids here (no row comes back).
                        for chunk in tubes.chunks_mut(RESOLVE_CHUNK) {
                            let keys = json_keys(
                                chunk
                                    .iter()
                                    .map(|t| rows[t.first].tube_code.as_str().into()),
                            );
                            let found: Vec<Option<(i64, i64, String)>> = lookup_many(
                                &mut *tx,
                                (&keys, chunk.len()),
                                "SELECT json_array(t.id, t.pool_size, t.site_code) FROM tubes t \
                                 WHERE t.code = j.value",
                            )
                            .await?;
                            for (t, found) in chunk.iter_mut().zip(found) {
                                if let Some((id, size, site)) = found {
                                    t.id = id;
                                    t.pool_size = size;
                                    t.site_code = site;
                                    t.existed = true;
                                }
                            }
                        }
                        let mut next: i64 =
                            sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM tubes")
                                .fetch_one(&mut *tx)
                                .await?;
                        let new: Vec<usize> =
                            (0..tubes.len()).filter(|k| !tubes[*k].existed).collect();
                        for k in &new {
                            tubes[*k].id = next;
                            next += 1;
                        }
                        for chunk in new.chunks(MAX_BINDS / TUBE_COLUMNS) {
                            let sql = format!(
                                "INSERT INTO tubes (id, code, site_code, pool_size, round_id, collected_at) \
                                 VALUES {}",
                                self.db.values_clause(chunk.len(), TUBE_COLUMNS)
                            );
                            let mut q = sqlx::query(&sql);
                            for k in chunk {
                                let t = &tubes[*k];
                                let r = &rows[t.first];
                                q = q
                                    .bind(t.id)
                                    .bind(&r.tube_code)
                                    .bind(&t.site_code)
                                    .bind(t.pool_size)
                                    .bind(t.round)
                                    .bind(r.collected_at_ms);
                            }
                            q.execute(&mut *tx).await?;
                        }
                        out.tubes_created = new.len() as u64;
                    } else if !tubes.is_empty() {
                        read_tubes(&mut tx, self.db, rows, &mut tubes, &tube_of_code).await?;
                        let new: Vec<usize> =
                            (0..tubes.len()).filter(|k| !tubes[*k].existed).collect();
                        for chunk in new.chunks(MAX_BINDS / TUBE_COLUMNS) {
                            let sql = format!(
                                "INSERT INTO tubes (code, site_code, pool_size, round_id, collected_at) \
                                 VALUES {} RETURNING code, id",
                                self.db.values_clause(chunk.len(), TUBE_COLUMNS - 1)
                            );
                            let mut q = sqlx::query_as::<_, (String, i64)>(&sql);
                            for k in chunk {
                                let t = &tubes[*k];
                                let r = &rows[t.first];
                                q = q
                                    .bind(&r.tube_code)
                                    .bind(&t.site_code)
                                    .bind(t.pool_size)
                                    .bind(t.round)
                                    .bind(r.collected_at_ms);
                            }
                            for (code, id) in q.fetch_all(&mut *tx).await? {
                                if let Some(k) = tube_of_code.get(code.as_str()) {
                                    tubes[*k].id = id;
                                }
                            }
                            out.tubes_created += chunk.len() as u64;
                        }
                    }
                    // Members already in the tubes that existed, to enforce the pool size
                    // across chunks and files.
                    let existed: Vec<usize> =
                        (0..tubes.len()).filter(|k| tubes[*k].existed).collect();
                    for chunk in existed.chunks(LOOKUP_CHUNK) {
                        let sql = format!(
                            "SELECT tube_id, person_id FROM samples WHERE tube_id IN ({})",
                            self.db.placeholders(1, chunk.len())
                        );
                        let mut q = sqlx::query_as::<_, (i64, i64)>(&sql);
                        let by_id: HashMap<i64, usize> =
                            chunk.iter().map(|k| (tubes[*k].id, *k)).collect();
                        for k in chunk {
                            q = q.bind(tubes[*k].id);
                        }
                        for (tube, person) in q.fetch_all(&mut *tx).await? {
                            if let Some(k) = by_id.get(&tube) {
                                tubes[*k].members.push(person);
                            }
                        }
                    }
                    // Decide row by row.
                    let mut to_insert: Vec<(i64, i64, i64)> = Vec::with_capacity(rows.len());
                    for (i, (r, verdict)) in rows.iter().zip(row_tube).enumerate() {
                        let k = match verdict {
                            Ok(k) => k,
                            Err(why) => {
                                out.refused.push((i, why));
                                continue;
                            }
                        };
                        let t = &mut tubes[k];
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
                }
        );
        Ok(out)
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

/// Reads the tubes already stored among `tubes` (by code): their id, pool size and site.
/// A tube found is marked as having existed; the others keep their fields.
async fn read_tubes<'c, DB>(
    tx: &mut sqlx::Transaction<'c, DB>,
    db: &crate::backend::Db,
    rows: &[SampleRow],
    tubes: &mut [ChunkTube],
    tube_of_code: &HashMap<&str, usize>,
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
    let codes: Vec<&str> = tubes
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
            if let Some(k) = tube_of_code.get(code.as_str()) {
                let t = &mut tubes[*k];
                t.id = id;
                t.pool_size = size;
                t.site_code = site;
                t.existed = true;
            }
        }
    }
    Ok(())
}
