//! Ingest of sample collections and tube results, with the fan-out of positive pools.

use std::collections::HashMap;

use super::{
    ResultIngest, ResultRow, SampleIngest, SampleRefusal, SampleRow, Testing, LOOKUP_CHUNK,
};

/// The persons of a chunk's documents, by blind index, from [`Testing::resolve_persons`].
#[derive(Debug, Default)]
pub struct ResolvedPersons(HashMap<Vec<u8>, i64>);
use crate::backend::{with_db, MAX_BINDS};
use crate::Result;

impl Testing<'_> {
    /// Looks up the persons of the rows' documents (by blind index) on a reader, outside any
    /// write transaction, so that it can run while the previous chunk is being written.
    ///
    /// The lookup reads the blind index alone (it holds the id): reading each person's row
    /// would be a random page read per sample. Merged records are resolved to their
    /// survivor by [`Testing::ingest_samples_resolved`], inside its transaction.
    ///
    /// # Errors
    /// `Unavailable` on database failure.
    pub async fn resolve_persons(&self, rows: &[SampleRow]) -> Result<ResolvedPersons> {
        let mut persons: HashMap<Vec<u8>, i64> = HashMap::with_capacity(rows.len());
        let mut blinds: Vec<&Vec<u8>> = rows.iter().map(|r| &r.doc_blind).collect();
        blinds.sort_unstable();
        blinds.dedup();
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
                    persons.extend(q.fetch_all(pool).await?);
                }
            }
        );
        Ok(ResolvedPersons(persons))
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
    /// up beforehand by [`Testing::resolve_persons`]. A person merged since then is stored
    /// under the record that survived the merge; a person registered since then is unknown
    /// (as if the file had arrived a moment earlier).
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
                    let person_of = |blind: &Vec<u8>| {
                        persons
                            .get(blind)
                            .map(|id| survivor.get(id).copied().unwrap_or(*id))
                    };
                    // Rounds by code.
                    let rounds: Vec<(String, i64)> =
                        sqlx::query_as("SELECT code, id FROM testing_rounds")
                            .fetch_all(&mut *tx)
                            .await?;
                    let rounds: HashMap<String, i64> = rounds.into_iter().collect();
                    // Tubes: create the unknown ones, then read all of this batch.
                    // Tubes are created only for rows that can be stored: a known person and
                    // no unknown round.
                    let mut first_of_tube: HashMap<&str, usize> = HashMap::new();
                    for (i, r) in rows.iter().enumerate() {
                        let round_ok = r.round_code.as_ref().is_none_or(|c| rounds.contains_key(c));
                        if round_ok && persons.contains_key(&r.doc_blind) {
                            first_of_tube.entry(r.tube_code.as_str()).or_insert(i);
                        }
                    }
                    let codes: Vec<&str> = first_of_tube.keys().copied().collect();
                    let mut tubes: HashMap<String, (i64, i64, String)> =
                        HashMap::with_capacity(codes.len());
                    for chunk in codes.chunks(LOOKUP_CHUNK) {
                        let sql = format!(
                            "SELECT code, id, pool_size, site_code FROM tubes WHERE code IN ({})",
                            self.db.placeholders(1, chunk.len())
                        );
                        let mut q = sqlx::query_as::<_, (String, i64, i64, String)>(&sql);
                        for c in chunk {
                            q = q.bind(*c);
                        }
                        for (code, id, size, site) in q.fetch_all(&mut *tx).await? {
                            tubes.insert(code, (id, size, site));
                        }
                    }
                    let new_tubes: Vec<&SampleRow> = codes
                        .iter()
                        .filter(|c| !tubes.contains_key(**c))
                        .map(|c| &rows[first_of_tube[c]])
                        .collect();
                    const TUBE_COLUMNS: usize = 5;
                    for chunk in new_tubes.chunks(MAX_BINDS / TUBE_COLUMNS) {
                        let sql = format!(
                    "INSERT INTO tubes (code, site_code, pool_size, round_id, collected_at) VALUES {} \
                     RETURNING code, id, pool_size, site_code",
                    self.db.values_clause(chunk.len(), TUBE_COLUMNS)
                );
                        let mut q = sqlx::query_as::<_, (String, i64, i64, String)>(&sql);
                        for r in chunk {
                            let round = r.round_code.as_ref().and_then(|c| rounds.get(c)).copied();
                            q = q
                                .bind(&r.tube_code)
                                .bind(&r.site_code)
                                .bind(r.pool_size)
                                .bind(round)
                                .bind(r.collected_at_ms);
                        }
                        for (code, id, size, site) in q.fetch_all(&mut *tx).await? {
                            tubes.insert(code, (id, size, site));
                        }
                        out.tubes_created += chunk.len() as u64;
                    }
                    // Members already in each tube, to enforce the pool size across files.
                    let tube_ids: Vec<i64> = tubes.values().map(|t| t.0).collect();
                    let mut members: HashMap<i64, Vec<i64>> = HashMap::new();
                    for chunk in tube_ids.chunks(LOOKUP_CHUNK) {
                        let sql = format!(
                            "SELECT tube_id, person_id FROM samples WHERE tube_id IN ({})",
                            self.db.placeholders(1, chunk.len())
                        );
                        let mut q = sqlx::query_as::<_, (i64, i64)>(&sql);
                        for id in chunk {
                            q = q.bind(*id);
                        }
                        for (tube, person) in q.fetch_all(&mut *tx).await? {
                            members.entry(tube).or_default().push(person);
                        }
                    }
                    // Decide row by row.
                    let mut to_insert: Vec<(i64, i64, i64)> = Vec::with_capacity(rows.len());
                    for (i, r) in rows.iter().enumerate() {
                        if r.round_code
                            .as_ref()
                            .is_some_and(|c| !rounds.contains_key(c))
                        {
                            out.refused.push((i, SampleRefusal::UnknownRound));
                            continue;
                        }
                        let Some(person) = person_of(&r.doc_blind) else {
                            out.refused.push((i, SampleRefusal::UnknownPerson));
                            continue;
                        };
                        let Some((tube, size, site)) = tubes.get(&r.tube_code) else {
                            out.refused.push((i, SampleRefusal::TubeMismatch));
                            continue;
                        };
                        if *size != r.pool_size || *site != r.site_code {
                            out.refused.push((i, SampleRefusal::TubeMismatch));
                            continue;
                        }
                        let list = members.entry(*tube).or_default();
                        if list.contains(&person) {
                            out.samples_already_stored += 1;
                            continue;
                        }
                        if list.len() as i64 >= *size {
                            out.refused.push((i, SampleRefusal::PoolFull));
                            continue;
                        }
                        list.push(person);
                        to_insert.push((*tube, person, r.collected_at_ms));
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
        with_db!(
            self.db,
            write
                | pool
                | {
                    let mut tx = pool.begin().await?;
                    let mut codes: Vec<&str> = rows.iter().map(|r| r.tube_code.as_str()).collect();
                    codes.sort_unstable();
                    codes.dedup();
                    let mut tubes: HashMap<String, (i64, i64)> =
                        HashMap::with_capacity(codes.len());
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
                            tubes.insert(code, (id, size));
                        }
                    }
                    let mut known: Vec<(usize, i64, i64)> = Vec::with_capacity(rows.len());
                    for (i, r) in rows.iter().enumerate() {
                        match tubes.get(&r.tube_code) {
                            Some((id, size)) => known.push((i, *id, *size)),
                            None => out.unknown_tubes.push(i),
                        }
                    }
                    const RESULT_COLUMNS: usize = 8;
                    let mut touched: Vec<i64> = Vec::new();
                    let mut to_fan_out: Vec<(i64, i64, i64, String)> = Vec::new();
                    for chunk in known.chunks(MAX_BINDS / RESULT_COLUMNS) {
                        let sql = format!(
                    "INSERT INTO tube_results (tube_id, outcome, ct_orf1ab, ct_n, lab_code, tested_at, \
                     reported_at, received_at) VALUES {} \
                     ON CONFLICT (tube_id, outcome, lab_code, tested_at) DO NOTHING \
                     RETURNING id, tube_id, outcome",
                    self.db.values_clause(chunk.len(), RESULT_COLUMNS)
                );
                        let mut q = sqlx::query_as::<_, (i64, i64, String)>(&sql);
                        for (i, tube, _) in chunk {
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
                        let stored = q.fetch_all(&mut *tx).await?;
                        out.results_stored += stored.len() as u64;
                        for (result, tube, outcome) in stored {
                            touched.push(tube);
                            if outcome != "negative" {
                                let size = chunk.iter().find(|k| k.1 == tube).map_or(1, |k| k.2);
                                to_fan_out.push((result, tube, size, outcome));
                            }
                        }
                    }
                    out.results_already_stored = known.len() as u64 - out.results_stored;
                    // The tube's status is its latest test's outcome.
                    touched.sort_unstable();
                    touched.dedup();
                    for chunk in touched.chunks(LOOKUP_CHUNK) {
                        let sql = format!(
                            "UPDATE tubes SET status = (SELECT r.outcome FROM tube_results r \
                     WHERE r.tube_id = tubes.id ORDER BY r.tested_at DESC, r.id DESC LIMIT 1) \
                     WHERE id IN ({})",
                            self.db.placeholders(1, chunk.len())
                        );
                        let mut q = sqlx::query(&sql);
                        for id in chunk {
                            q = q.bind(*id);
                        }
                        q.execute(&mut *tx).await?;
                    }
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
