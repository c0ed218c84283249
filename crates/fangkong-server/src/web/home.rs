//! The overview page: headline figures of the user's jurisdiction.

use axum::extract::State;
use minijinja::context;

use super::{render_page, PageResult, WebError};
use crate::auth::WebUser;
use crate::AppState;

/// `GET /`.
pub async fn show(State(state): State<AppState>, user: WebUser) -> PageResult {
    let o = state
        .app
        .overview(&user.actor)
        .await
        .map_err(|e| WebError::new(&e, user.lang))?;
    let facilities_total: i64 = o.facilities.iter().map(|k| k.count).sum();
    let jurisdictions_total: i64 = o.levels.iter().map(|(_, n)| n).sum();
    let page = context! {
        scope => o.root.as_ref().map(|j| context! { code => j.code.clone(), name => j.name.clone() }),
        persons => o.persons,
        households => o.households,
        jurisdictions_total,
        facilities_total,
        levels => o.levels.iter().map(|(level, count)| context! { level, count }).collect::<Vec<_>>(),
        kinds => o.facilities.iter().map(|k| context! { kind => k.kind.clone(), count => k.count, capacity => k.capacity, beds => k.beds }).collect::<Vec<_>>(),
    };
    render_page(&state, &user, "home.html", "home", "/", page)
}
