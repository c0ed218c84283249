//! The audit log page, for auditors: search by actor, action and object, and the state of
//! the hash chain.

use axum::extract::{Query, State};
use minijinja::context;

use super::{render_page, PageResult, WebError};
use crate::api::audit::SearchQuery;
use crate::auth::WebUser;
use crate::AppState;

/// `GET /audit`.
pub async fn show(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<SearchQuery>,
) -> PageResult {
    let err = |e: fangkong_app::Error| WebError::new(&e, user.lang);
    let entries = state
        .app
        .search_audit(&user.actor, &q.filter())
        .await
        .map_err(err)?;
    let chain = state.app.verify_audit().await.map_err(err)?;
    let page = context! {
        actor => q.actor.clone().unwrap_or_default(),
        action => q.action.clone().unwrap_or_default(),
        object_type => q.object_type.clone().unwrap_or_default(),
        object_id => q.object_id.clone().unwrap_or_default(),
        chain_entries => chain.entries,
        chain_broken => chain.first_broken.map(|(id, why)| format!("#{id}: {why}")),
        entries => entries.iter().map(|e| context! {
            id => e.id, at => e.at, actor => e.actor.clone(), action => e.action.clone(),
            object_type => e.object_type.clone(), object_id => e.object_id.clone(),
            purpose => e.purpose.clone(), operation_id => e.operation_id.clone(), detail => e.detail.clone(),
        }).collect::<Vec<_>>(),
    };
    render_page(&state, &user, "audit/list.html", "audit", "/audit", page)
}
