//! Facilities of the city (workplaces, schools, venues, sentinels, labs, sampling sites,
//! quarantine sites, hospitals, warehouses): read access for every capability that places
//! people or counts capacity.

use fangkong_domain::{JurisdictionCode, Permission};
use fangkong_store::facilities::{Facility, KindSummary, Room};

use crate::{Actor, App, Error, Result};

/// Facility kinds, in display order.
pub const KINDS: [&str; 9] = [
    "workplace",
    "school",
    "venue",
    "sentinel",
    "lab",
    "sampling_site",
    "quarantine_site",
    "hospital",
    "warehouse",
];

impl App {
    /// Facilities in scope, optionally of one kind and inside one jurisdiction.
    ///
    /// # Errors
    /// `Forbidden` without `jurisdictions.read`; `Invalid` for an unknown kind or bad code.
    pub async fn list_facilities(
        &self,
        actor: &Actor,
        kind: Option<&str>,
        within: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Facility>> {
        actor.require(Permission::JurisdictionsRead)?;
        if let Some(k) = kind {
            if !KINDS.contains(&k) {
                return Err(Error::invalid(
                    "kind",
                    format!("unknown kind, expected one of {}", KINDS.join(", ")),
                ));
            }
        }
        let within = parse_within(within)?;
        Ok(self
            .store()
            .facilities()
            .list(
                &actor.scope,
                kind,
                within.as_ref(),
                limit.clamp(1, 1000),
                offset.max(0),
            )
            .await?)
    }

    /// One facility in scope, with its rooms (for quarantine sites).
    ///
    /// # Errors
    /// `NotFound` when absent or outside the scope.
    pub async fn facility(&self, actor: &Actor, id: i64) -> Result<(Facility, Vec<Room>)> {
        actor.require(Permission::JurisdictionsRead)?;
        let facility = self.store().facilities().get(&actor.scope, id).await?;
        let rooms = self.store().facilities().rooms(id).await?;
        Ok((facility, rooms))
    }

    /// Count and capacity per facility kind in scope (and `within`).
    ///
    /// # Errors
    /// `Forbidden` without `jurisdictions.read`.
    pub async fn facility_summary(
        &self,
        actor: &Actor,
        within: Option<&str>,
    ) -> Result<Vec<KindSummary>> {
        actor.require(Permission::JurisdictionsRead)?;
        let within = parse_within(within)?;
        Ok(self
            .store()
            .facilities()
            .summary(&actor.scope, within.as_ref())
            .await?)
    }
}

fn parse_within(within: Option<&str>) -> Result<Option<JurisdictionCode>> {
    within
        .filter(|w| !w.is_empty())
        .map(|w| JurisdictionCode::parse(w).map_err(|e| Error::invalid("within", e.to_string())))
        .transpose()
}
