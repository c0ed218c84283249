//! The facility list, filtered by kind and jurisdiction.

use axum::extract::{Query, State};
use fangkong_app::facilities::KINDS;
use minijinja::context;
use serde::Deserialize;

use super::{render_page, PageResult, WebError};
use crate::auth::WebUser;
use crate::AppState;

const PAGE: i64 = 100;

/// Filters of the list.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    kind: Option<String>,
    within: Option<String>,
    offset: Option<i64>,
}

/// `GET /facilities`.
pub async fn list(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let offset = q.offset.unwrap_or(0).max(0);
    let kind = q.kind.clone().filter(|k| !k.is_empty());
    let rows = state
        .app
        .list_facilities(
            &user.actor,
            kind.as_deref(),
            q.within.as_deref(),
            PAGE,
            offset,
        )
        .await
        .map_err(|e| WebError::new(&e, user.lang))?;
    let next_offset = (rows.len() as i64 == PAGE).then_some(offset + PAGE);
    let page = context! {
        kinds => KINDS.to_vec(),
        kind => kind.unwrap_or_default(),
        within => q.within.unwrap_or_default(),
        facilities => rows.iter().map(|f| context! {
            name => f.name.clone(), kind => f.kind.clone(), subtype => f.subtype.clone(), place_code => f.place_code.clone(),
            capacity => f.capacity, beds_general => f.beds_general, beds_icu => f.beds_icu, beds_isolation => f.beds_isolation,
            community_code => f.community_code.clone(),
        }).collect::<Vec<_>>(),
        next_offset,
    };
    render_page(
        &state,
        &user,
        "facilities/list.html",
        "facilities",
        "/facilities",
        page,
    )
}
