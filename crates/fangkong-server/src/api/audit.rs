//! `/api/v1/audit`: the audit log, for auditors.

use axum::extract::{Query, State};
use axum::Json;
use fangkong_api_types::{AuditEntry, Page, Problem};
use fangkong_store::audit::AuditFilter;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::AppState;

/// Converts a stored entry to the wire form.
pub fn to_wire(e: &fangkong_store::audit::AuditEntry) -> AuditEntry {
    AuditEntry {
        id: e.id,
        at: e.at,
        actor: e.actor.clone(),
        action: e.action.clone(),
        object_type: e.object_type.clone(),
        object_id: e.object_id.clone(),
        purpose: e.purpose.clone(),
        operation_id: e.operation_id.clone(),
        detail: serde_json::from_str(&e.detail).unwrap_or(serde_json::Value::Null),
        hash: e.hash.iter().map(|b| format!("{b:02x}")).collect(),
    }
}

/// Filters of the audit search.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct SearchQuery {
    /// e.g. `user:admin`
    pub actor: Option<String>,
    /// e.g. `person.reveal`
    pub action: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    /// Unix milliseconds, inclusive.
    pub from: Option<i64>,
    /// Unix milliseconds, exclusive.
    pub to: Option<i64>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

impl SearchQuery {
    /// The store filter of this query (empty strings match everything).
    pub fn filter(&self) -> AuditFilter {
        let some = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        AuditFilter {
            actor: some(&self.actor),
            action: some(&self.action),
            object_type: some(&self.object_type),
            object_id: some(&self.object_id),
            from_ms: self.from,
            to_ms: self.to,
            limit: self.limit.unwrap_or(100),
            offset: self.offset.unwrap_or(0).max(0),
        }
    }
}

/// Search the audit log, newest first (needs `audit.read`).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(SearchQuery),
    responses((status = 200, body = Page<AuditEntry>), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<SearchQuery>,
) -> ApiResult<Json<Page<AuditEntry>>> {
    let rows = state.app.search_audit(&actor, &q.filter()).await?;
    Ok(Json(Page {
        items: rows.iter().map(to_wire).collect(),
        total: None,
    }))
}
