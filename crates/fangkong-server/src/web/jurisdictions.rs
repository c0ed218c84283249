//! Jurisdiction pages: the hierarchy with census figures, registry counts and a map of the
//! subdivisions.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use minijinja::context;

use super::{render_page, PageResult, WebError};
use crate::auth::WebUser;
use crate::AppState;

/// `GET /jurisdictions`: the top of the user's jurisdiction.
pub async fn top(State(state): State<AppState>, user: WebUser) -> PageResult {
    let code = state
        .app
        .top_jurisdiction(&user.actor)
        .await
        .map_err(|e| WebError::new(&e, user.lang))?;
    Ok(Redirect::to(&format!("/jurisdictions/{code}")).into_response())
}

/// `GET /jurisdictions/{code}`.
pub async fn show(
    State(state): State<AppState>,
    user: WebUser,
    Path(code): Path<String>,
) -> PageResult {
    let err = |e: fangkong_app::Error| WebError::new(&e, user.lang);
    let d = state
        .app
        .jurisdiction_detail(&user.actor, &code)
        .await
        .map_err(err)?;
    let facilities_total: i64 = state
        .app
        .facility_summary(&user.actor, Some(&code))
        .await
        .map_err(err)?
        .iter()
        .map(|k| k.count)
        .sum();
    let j = &d.jurisdiction;
    let points: Vec<serde_json::Value> = d
        .children
        .iter()
        .filter_map(|(c, n)| {
            Some(serde_json::json!({
                "code": c.code, "name": c.name, "lon": c.lon?, "lat": c.lat?,
                "population": c.population(), "registered": n,
            }))
        })
        .collect();
    let ages = match (j.pop_0_14, j.pop_15_59, j.pop_60_79, j.pop_80_plus) {
        (Some(a), Some(b), Some(c), Some(e)) => serde_json::json!([
            {"band": "0-14", "count": a}, {"band": "15-59", "count": b},
            {"band": "60-79", "count": c}, {"band": "80+", "count": e}
        ])
        .to_string(),
        _ => String::new(),
    };
    let page = context! {
        j => context! { code => j.code.clone(), name => j.name.clone(), level => j.level.clone(), population => j.population() },
        ancestors => d.ancestors.iter().map(|a| context! { code => a.code.clone(), name => a.name.clone() }).collect::<Vec<_>>(),
        children => d.children.iter().map(|(c, n)| context! {
            code => c.code.clone(), name => c.name.clone(), population => c.population(),
            pop_60_79 => c.pop_60_79, pop_80_plus => c.pop_80_plus, registered => n,
        }).collect::<Vec<_>>(),
        registered => d.registered_persons,
        facilities_total,
        map_points => serde_json::Value::from(points).to_string(),
        ages,
    };
    let here = format!("/jurisdictions/{}", j.code);
    render_page(
        &state,
        &user,
        "jurisdictions/show.html",
        "jurisdictions",
        &here,
        page,
    )
}
