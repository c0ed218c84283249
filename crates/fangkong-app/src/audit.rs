//! Accountability: every reveal, export and view of personal data, every login and every
//! purge is written to the hash-chained audit log, with actor, time, object, purpose and
//! operation id, before the data is handed out. Entries never hold personal data.

use fangkong_domain::Permission;
use fangkong_store::audit::{AuditEntry, AuditFilter, NewAuditEntry, Verification};

use crate::{Actor, App, Error, Result};

/// The shortest and longest purpose accepted for a reveal, export or purge.
pub const PURPOSE_CHARS: std::ops::RangeInclusive<usize> = 4..=200;

/// Checks a stated purpose.
///
/// # Errors
/// `Invalid` naming `purpose` when it is missing, too short or too long.
pub fn check_purpose(purpose: &str) -> Result<&str> {
    let p = purpose.trim();
    if PURPOSE_CHARS.contains(&p.chars().count()) {
        Ok(p)
    } else {
        Err(Error::invalid(
            "purpose",
            "state why the personal data is needed (4 to 200 characters)",
        ))
    }
}

impl App {
    /// Appends an audit entry for `actor`.
    ///
    /// # Errors
    /// Store failure: the audited act must then not go ahead.
    pub async fn audit(
        &self,
        actor: &Actor,
        action: &str,
        object_type: &str,
        object_id: Option<String>,
        purpose: Option<&str>,
        detail: serde_json::Value,
    ) -> Result<AuditEntry> {
        Ok(self
            .store()
            .audit()
            .append(&NewAuditEntry {
                at: self.now_ms(),
                actor: actor.label(),
                action: action.to_string(),
                object_type: object_type.to_string(),
                object_id,
                purpose: purpose.map(str::to_string),
                operation_id: actor.operation_id.clone(),
                detail: detail.to_string(),
            })
            .await?)
    }

    /// Searches the audit log.
    ///
    /// # Errors
    /// `Forbidden` without `audit.read`.
    pub async fn search_audit(
        &self,
        actor: &Actor,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditEntry>> {
        actor.require(Permission::AuditRead)?;
        let mut f = filter.clone();
        f.limit = f.limit.clamp(1, 1000);
        Ok(self.store().audit().search(&f).await?)
    }

    /// Checks the whole audit chain.
    ///
    /// # Errors
    /// Store failure.
    pub async fn verify_audit(&self) -> Result<Verification> {
        Ok(self.store().audit().verify().await?)
    }
}
