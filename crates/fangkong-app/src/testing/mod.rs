//! Nucleic-acid testing: rounds, ingest of sample collections and lab results from files
//! (CSV, XLSX, NDJSON), the retest tasks that positive pools fan out into, key-population
//! schedules (`schedules`), and coverage, turnaround, lab load and pool advice (`coverage`).
//!
//! Unlike registry imports, a testing file keeps its valid rows: a lab's upload of a
//! hundred thousand results must not wait for one mistyped tube. Every refused row comes
//! back with its line, field and reason; re-sending a file changes nothing.

use std::collections::HashMap;

use chrono::NaiveDate;
use fangkong_domain::{Permission, Scope};
use fangkong_store::testing::{NewRound, RetestTask, Round};

pub mod coverage;
mod ingest;
pub mod schedules;

pub use ingest::IngestReport;

/// The code range both the scope and the subtree of `code` cover, if they overlap (one of
/// two subtrees always contains the other when they overlap).
pub(crate) fn overlap_bounds(scope: &Scope, code: &str) -> Option<(String, String)> {
    if scope.covers(code) {
        Some((code.to_string(), format!("{code}:")))
    } else if scope
        .root
        .as_ref()
        .is_some_and(|root| root.as_str().starts_with(code))
    {
        Some(scope.code_bounds())
    } else {
        None
    }
}

use crate::{Actor, App, Error, Result};

impl App {
    /// Creates a testing round over a jurisdiction, targeting every resident or, with
    /// `key_group`, the members of a key population.
    ///
    /// # Errors
    /// `Forbidden` without `testing.manage` or outside the actor's jurisdiction; `Invalid`
    /// for bad dates or code; `Conflict` for a code in use; `NotFound` for an unknown group.
    pub async fn create_round(
        &self,
        actor: &Actor,
        code: &str,
        name: &str,
        jurisdiction: &str,
        (starts_on, ends_on): (NaiveDate, NaiveDate),
        key_group: Option<&str>,
    ) -> Result<Round> {
        actor.require(Permission::TestingManage)?;
        if !actor.scope.covers(jurisdiction) {
            return Err(Error::Forbidden);
        }
        if ends_on < starts_on {
            return Err(Error::invalid("ends_on", "must not be before starts_on"));
        }
        let code = code.trim();
        if code.is_empty() || code.len() > 40 {
            return Err(Error::invalid("code", "must be 1 to 40 characters"));
        }
        let key_group_id = match key_group {
            Some(g) => Some(self.key_group(actor, g).await?.id),
            None => None,
        };
        let round = self
            .store()
            .testing()
            .create_round(
                &NewRound {
                    code,
                    name: name.trim(),
                    jurisdiction_code: jurisdiction,
                    starts_on: &starts_on.to_string(),
                    ends_on: &ends_on.to_string(),
                    key_group_id,
                },
                self.now_ms(),
            )
            .await?;
        self.audit(
            actor,
            "testing.round_create",
            "round",
            Some(round.code.clone()),
            None,
            serde_json::json!({ "jurisdiction": jurisdiction, "key_group": key_group }),
        )
        .await?;
        Ok(round)
    }

    /// The testing rounds that overlap the actor's jurisdiction, newest first.
    ///
    /// # Errors
    /// `Forbidden` without `testing.read`.
    pub async fn rounds(&self, actor: &Actor) -> Result<Vec<Round>> {
        actor.require(Permission::TestingRead)?;
        let mut rounds = self.store().testing().rounds().await?;
        rounds.retain(|r| overlap_bounds(&actor.scope, &r.jurisdiction_code).is_some());
        Ok(rounds)
    }

    /// Names of jurisdictions by code (codes that name none are left out).
    pub(crate) async fn jurisdiction_names<'a>(
        &self,
        codes: impl Iterator<Item = &'a str>,
    ) -> Result<HashMap<String, String>> {
        let codes: Vec<&str> = codes.collect();
        let found = self.store().jurisdictions().get_many(&codes).await?;
        Ok(found.into_iter().map(|(code, j)| (code, j.name)).collect())
    }

    /// Retest tasks in the actor's jurisdiction, newest first.
    ///
    /// # Errors
    /// `Forbidden` without `testing.read`.
    pub async fn retest_tasks(
        &self,
        actor: &Actor,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<RetestTask>> {
        actor.require(Permission::TestingRead)?;
        Ok(self
            .store()
            .testing()
            .retest_tasks(&actor.scope, status, limit.clamp(1, 10_000))
            .await?)
    }
}
