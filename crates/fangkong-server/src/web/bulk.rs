//! Bulk action pages (批量操作): a list's form posts the ticked records and the action to
//! `POST /bulk`; the operation's page shows its progress (an htmx fragment that reloads
//! itself every half second until the operation ends) and then the records refused with
//! their reasons.
//!
//! Every value comes from `App::start_bulk` / `App::bulk_operation`, which check the
//! action's permission and the operation's owner; each record is checked by its
//! capability. This module decides nothing about access.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use fangkong_app::bulk::{BulkKind, BulkRequest, BulkView};
use minijinja::{context, Value};

use super::forms::{china_time, Fields};
use super::{check_csrf, render, render_page, PageResult, WebError};
use crate::auth::WebUser;
use crate::AppState;

fn view_value(v: &BulkView) -> Value {
    context! {
        id => v.id,
        kind => v.kind.clone(),
        total => v.total,
        done => v.done,
        failed => v.failed,
        processed => v.done + v.failed,
        percent => if v.total > 0 { (v.done + v.failed) * 100 / v.total } else { 100 },
        status => v.status.clone(),
        running => v.status == "running",
        created_at => china_time(v.created_at),
        finished_at => v.finished_at.map(china_time),
        errors => v.errors.iter().map(|(id, reason)| context! { id => id, reason => reason.clone() }).collect::<Vec<_>>(),
    }
}

/// `POST /bulk`: the ticked records (`id` once per box), the action (`kind`), its reason or
/// status (`target`; for co-investigation items `outcome` or `code`) and note; starts the
/// operation and opens its page.
pub async fn start(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let f = Fields(form);
    check_csrf(&user, f.one("csrf"))?;
    let err = |e: fangkong_app::Error| WebError::new(&e, user.lang);
    let kind = BulkKind::parse(f.one("kind")).map_err(err)?;
    let optional = |name: &str| Some(f.one(name).to_string()).filter(|s| !s.trim().is_empty());
    // A list whose actions take different targets names each field for what it holds.
    let target = optional("target").or_else(|| match kind {
        BulkKind::CoItemFeedback => optional("outcome"),
        BulkKind::CoItemAssign => optional("code"),
        _ => None,
    });
    let v = state
        .app
        .start_bulk(
            &user.actor,
            BulkRequest {
                kind,
                ids: f.ids("id"),
                target,
                note: optional("note"),
            },
        )
        .await
        .map_err(err)?;
    let back = f.one("back");
    // Only a path of this site to go back to.
    let back = if back.starts_with('/') && !back.starts_with("//") {
        format!("?back={}", urlencode(back))
    } else {
        String::new()
    };
    Ok(Redirect::to(&format!("/bulk/{}{back}", v.id)).into_response())
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Where to go back to.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct BackQuery {
    back: Option<String>,
}

/// `GET /bulk/{id}`: the operation's page.
pub async fn show(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    axum::extract::Query(q): axum::extract::Query<BackQuery>,
) -> PageResult {
    let v = state.app.bulk_operation(&user.actor, id).await?;
    let back = q
        .back
        .filter(|b| b.starts_with('/') && !b.starts_with("//"));
    render_page(
        &state,
        &user,
        "bulk/show.html",
        "",
        "/bulk",
        context! { op => view_value(&v), back => back },
    )
}

/// `GET /bulk/{id}/progress`: the progress fragment (htmx swaps it in place).
pub async fn progress(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
) -> PageResult {
    let v = state.app.bulk_operation(&user.actor, id).await?;
    render(
        "bulk/_progress.html",
        super::page_context(
            &state,
            Some(&user),
            user.lang,
            "",
            "/bulk",
            context! { op => view_value(&v) },
        ),
        user.lang,
    )
}
