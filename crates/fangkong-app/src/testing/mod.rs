//! Nucleic-acid testing: rounds, ingest of sample collections and lab results from files
//! (CSV, XLSX, NDJSON), and the retest tasks that positive pools fan out into.
//!
//! Unlike registry imports, a testing file keeps its valid rows: a lab's upload of a
//! hundred thousand results must not wait for one mistyped tube. Every refused row comes
//! back with its line, field and reason; re-sending a file changes nothing.

use chrono::NaiveDate;
use fangkong_domain::Permission;
use fangkong_store::testing::{RetestTask, Round};

mod ingest;

pub use ingest::IngestReport;

use crate::{Actor, App, Error, Result};

impl App {
    /// Creates a testing round over a jurisdiction.
    ///
    /// # Errors
    /// `Forbidden` without `testing.manage` or outside the actor's jurisdiction; `Invalid`
    /// for bad dates or code; `Conflict` for a code in use.
    pub async fn create_round(
        &self,
        actor: &Actor,
        code: &str,
        name: &str,
        jurisdiction: &str,
        starts_on: NaiveDate,
        ends_on: NaiveDate,
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
        let round = self
            .store()
            .testing()
            .create_round(
                code,
                name.trim(),
                jurisdiction,
                &starts_on.to_string(),
                &ends_on.to_string(),
                self.now_ms(),
            )
            .await?;
        Ok(round)
    }

    /// The testing rounds.
    ///
    /// # Errors
    /// `Forbidden` without `testing.read`.
    pub async fn rounds(&self, actor: &Actor) -> Result<Vec<Round>> {
        actor.require(Permission::TestingRead)?;
        Ok(self.store().testing().rounds().await?)
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
