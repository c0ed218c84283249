//! The command dashboard page (`/dashboard`) and its live updates (`/dashboard/events`,
//! server-sent events). The page renders every figure on the server, so it is complete
//! without JavaScript; `assets/js/dashboard.js` draws the curve and the map and applies the
//! figures each event carries. `?wall=1` lays the page out for a wall screen.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::IntoResponse;
use minijinja::{context, Value};
use serde::Deserialize;

use super::{render_page, PageResult, WebError};
use crate::auth::WebUser;
use crate::AppState;

/// Seconds between recomputations of the figures on the event stream by default.
pub const REFRESH_SECONDS: u64 = 15;

/// The page's layout.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DashboardQuery {
    /// `1`: the wall-screen layout (no navigation, larger figures).
    wall: Option<String>,
    /// Seconds between refreshes of the live figures (see [`EventsQuery`]).
    every: Option<u64>,
}

fn pct(n: i64, of: i64) -> Option<String> {
    (of > 0).then(|| format!("{:.1}", n as f64 * 100.0 / of as f64))
}

/// Where each area of the map drills down to: the case list of a county, else the
/// jurisdiction page.
fn area_link(code: &str) -> String {
    if code.len() == 6 {
        format!("/tracing?county={code}")
    } else {
        format!("/jurisdictions/{code}")
    }
}

/// `GET /dashboard`.
pub async fn show(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<DashboardQuery>,
) -> PageResult {
    let x = state
        .app
        .dashboard_cached(&user.actor)
        .await
        .map_err(|e| WebError::new(&e, user.lang))?;
    let wire = crate::api::dashboard::to_wire(&x);
    let wall = q.wall.as_deref() == Some("1");
    let fmt = |v: Option<f64>| v.map(|h| format!("{h:.1}"));
    let timeliness = |key: &str, t: &fangkong_api_types::DashboardTimeliness, link: &str| {
        context! {
            key => key, link => link, n => t.n, median => fmt(t.median_hours), timely => t.timely,
            target => t.target_hours, pct => pct(t.timely as i64, t.n as i64),
        }
    };
    let four_early = wire.four_early.as_ref().map(|f| {
        vec![
            timeliness("detection", &f.detection, "/tracing"),
            timeliness("report", &f.report, "/tracing"),
            timeliness("isolation", &f.isolation, "/isolation"),
            timeliness("treatment", &f.treatment, "/treatment"),
            timeliness("itinerary", &f.itinerary, "/tracing"),
            timeliness("contacts", &f.contacts, "/tracing"),
        ]
    });
    let verification = wire
        .alerts
        .as_ref()
        .map(|a| timeliness("verification", &a.verification, "/sentinels/alerts"));
    let latest_rt = wire
        .curve
        .as_ref()
        .and_then(|c| c.rt.last())
        .map(|r| format!("{:.2}", r.mean));
    let areas: Vec<Value> = wire
        .areas
        .iter()
        .map(|a| {
            context! {
                code => a.code.clone(), name => a.name.clone(), active => a.active, new_7d => a.new_7d,
                rate => a.new_7d_per_100k.map(|r| format!("{r:.2}")),
            }
        })
        .collect();
    let map_areas = serde_json::to_string(
        &wire
            .areas
            .iter()
            .map(|a| {
                serde_json::json!({
                    "code": a.code, "name": a.name, "active": a.active, "new_7d": a.new_7d,
                    "link": area_link(&a.code),
                })
            })
            .collect::<Vec<_>>(),
    )
    .unwrap_or_default();
    let page = context! {
        wall,
        d => Value::from_serialize(&wire),
        coverage_pct => wire.testing.as_ref().and_then(|t| t.round.as_ref()).and_then(|r| r.coverage_pct.map(|p| format!("{p:.1}"))),
        isolation_pct => wire.isolation.as_ref().and_then(|i| pct(i.rooms_occupied, i.rooms)),
        beds_pct => wire.beds.as_ref().and_then(|b| pct(b.total.occupied, b.total.beds)),
        latest_rt,
        four_early,
        verification,
        areas,
        map_areas,
        chart => wire.curve.as_ref().map(|c| serde_json::to_string(c).unwrap_or_default()),
        refresh => q.every.unwrap_or(REFRESH_SECONDS).clamp(1, 300),
    };
    render_page(
        &state,
        &user,
        "dashboard/show.html",
        "dashboard",
        "/dashboard",
        page,
    )
}

/// How often the event stream recomputes.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EventsQuery {
    /// Seconds between recomputations, 1 to 300 (default [`REFRESH_SECONDS`]).
    every: Option<u64>,
}

/// `GET /dashboard/events`: a server-sent event `figures` carrying the dashboard (the JSON
/// of `/api/v1/dashboard`) at once, then again whenever a recomputation every few seconds
/// finds a figure changed; comments keep the connection alive in between. An error ends
/// the stream with an `error` event (the browser reconnects).
pub async fn events(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<EventsQuery>,
) -> impl IntoResponse {
    let every = Duration::from_secs(q.every.unwrap_or(REFRESH_SECONDS).clamp(1, 300));
    let actor = user.actor;
    // State of the stream: the last figures sent (without their time) and whether it ended.
    let stream = futures_util::stream::unfold(
        (state, actor, None::<String>, true, false),
        move |(state, actor, last, first, ended)| async move {
            if ended {
                return None;
            }
            if !first {
                tokio::time::sleep(every).await;
            }
            loop {
                let event = match state.app.dashboard_cached(&actor).await {
                    Ok(x) => {
                        let wire = crate::api::dashboard::to_wire(&x);
                        let mut key = wire.clone();
                        key.at_ms = 0;
                        let key = serde_json::to_string(&key).unwrap_or_default();
                        if last.as_deref() == Some(key.as_str()) {
                            tokio::time::sleep(every).await;
                            continue;
                        }
                        let data = serde_json::to_string(&wire).unwrap_or_default();
                        let event = Event::default().event("figures").data(data);
                        return Some((
                            Ok::<_, Infallible>(event),
                            (state, actor, Some(key), false, false),
                        ));
                    }
                    Err(e) => {
                        let p = crate::error::problem(&e);
                        Event::default().event("error").data(p.detail)
                    }
                };
                return Some((Ok(event), (state, actor, last, false, true)));
            }
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::default())
}
