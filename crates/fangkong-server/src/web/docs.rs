//! The API documentation page, rendered from the OpenAPI document the code generates (works
//! offline: no third-party viewer).

use axum::extract::State;
use minijinja::context;

use super::{render_page, PageResult};
use crate::auth::WebUser;
use crate::AppState;

/// `GET /api/docs`.
pub async fn show(State(state): State<AppState>, user: WebUser) -> PageResult {
    let mut groups: Vec<(String, Vec<minijinja::Value>)> = Vec::new();
    for (path, item) in &state.openapi.paths.paths {
        let ops = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            let tag = op
                .tags
                .as_ref()
                .and_then(|t| t.first().cloned())
                .unwrap_or_else(|| "other".to_string());
            let entry = context! { method, path => path.clone(), summary => op.summary.clone().unwrap_or_default() };
            match groups.iter_mut().find(|(t, _)| *t == tag) {
                Some((_, list)) => list.push(entry),
                None => groups.push((tag, vec![entry])),
            }
        }
    }
    let page = context! {
        groups => groups.into_iter().map(|(tag, operations)| context! { tag, operations }).collect::<Vec<_>>(),
    };
    render_page(&state, &user, "docs/api.html", "api", "/api/docs", page)
}
