//! Imported cold-chain goods pages: the batches of the user's jurisdiction with their status
//! (positive batches highlighted) and the open control tasks routed there, and a batch page
//! with its full downstream trace (locations, workers masked, results) and its tasks, where a
//! manager may close a task with a note.
//!
//! Every value comes from an app function, which checks `inbound.read` (or
//! `inbound.manage`) and keeps to the actor's jurisdiction. This module decides nothing
//! about access.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use fangkong_app::coldchain::{facility_code, TaskView, BATCH_STATUSES};
use fangkong_app::Error;
use fangkong_domain::Permission;
use minijinja::{context, Value};
use serde::Deserialize;

use super::{check_csrf, render_page, PageResult, WebError};
use crate::auth::WebUser;
use crate::AppState;

/// Batches on the list page.
const BATCHES: i64 = 200;
/// Open tasks on the list page.
const TASKS: i64 = 500;

fn err(lang: crate::i18n::Lang) -> impl Fn(Error) -> WebError {
    move |e| WebError::new(&e, lang)
}

fn quantity(q: f64) -> String {
    // Whole quantities without a fraction, others as given.
    if q.fract() == 0.0 && q.abs() < 1e15 {
        format!("{q:.0}")
    } else {
        q.to_string()
    }
}

fn task_value(t: &TaskView) -> Value {
    context! {
        id => t.task.id, batch => t.task.batch_code.clone(), kind => t.task.kind.clone(),
        facility => t.facility_code.clone(), label => t.label.clone(),
        id_number => t.id_number_masked.clone(), routed_to => t.task.jurisdiction_code.clone(),
        status => t.task.status.clone(), note => t.task.note.clone(),
        created_at => t.task.created_at, closed_at => t.task.closed_at,
        closed_by => t.task.closed_by.clone(),
    }
}

fn batch_value(b: &fangkong_store::coldchain::Batch) -> Value {
    context! {
        code => b.code.clone(), product => b.product.clone(),
        origin_country => b.origin_country.clone(), port_of_entry => b.port_of_entry.clone(),
        cold_store => facility_code(b.cold_store_id, b.cold_store_place_code.as_deref()),
        cold_store_name => b.cold_store_name.clone(),
        jurisdiction_code => b.jurisdiction_code.clone(), quantity => quantity(b.quantity),
        unit => b.unit.clone(), arrived_at => b.arrived_at, trace_code => b.trace_code.clone(),
        disinfection_cert => b.disinfection_cert.clone(), status => b.status.clone(),
        sealed_at => b.sealed_at, positive => b.positives > 0,
    }
}

/// Filters of the list.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    status: Option<String>,
}

/// `GET /coldchain`.
pub async fn list(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let e = err(user.lang);
    let status = q.status.clone().filter(|s| !s.is_empty());
    let batches = state
        .app
        .coldchain_batches(&user.actor, status.as_deref(), BATCHES, 0)
        .await
        .map_err(&e)?;
    let tasks = state
        .app
        .coldchain_tasks(&user.actor, Some("open"), None, TASKS)
        .await
        .map_err(&e)?;
    let page = context! {
        statuses => BATCH_STATUSES.to_vec(),
        status => status.unwrap_or_default(),
        batches => batches.iter().map(batch_value).collect::<Vec<_>>(),
        tasks => tasks.iter().map(task_value).collect::<Vec<_>>(),
    };
    render_page(
        &state,
        &user,
        "coldchain/list.html",
        "coldchain",
        "/coldchain",
        page,
    )
}

async fn batch_page(
    state: &AppState,
    user: &WebUser,
    code: &str,
    message: Option<String>,
) -> PageResult {
    let trace = state
        .app
        .coldchain_trace(&user.actor, code)
        .await
        .map_err(err(user.lang))?;
    let page = context! {
        batch => batch_value(&trace.batch),
        results => trace.results.iter().map(|r| context! {
            sample_kind => r.sample_kind.clone(), result => r.result.clone(),
            tested_at => r.tested_at, lab => r.lab.clone(),
        }).collect::<Vec<_>>(),
        locations => trace.locations.iter().map(|l| context! {
            kind => l.kind, facility => l.facility_code.clone(), name => l.name.clone(),
            jurisdiction_code => l.jurisdiction_code.clone(), quantity => quantity(l.quantity),
            at => l.at,
        }).collect::<Vec<_>>(),
        workers => trace.workers.iter().map(|w| context! {
            name => w.name_masked.clone(), id_number => w.id_number_masked.clone(),
            community_code => w.community_code.clone(), location => w.location_name.clone(),
            handled_at => w.handled_at,
        }).collect::<Vec<_>>(),
        tasks => trace.tasks.iter().map(task_value).collect::<Vec<_>>(),
        can_manage => user.actor.scope.can(Permission::InboundManage),
        message,
    };
    let here = format!("/coldchain/batches/{}", crate::auth::url_encode(code));
    render_page(
        state,
        user,
        "coldchain/batch.html",
        "coldchain",
        &here,
        page,
    )
}

/// `GET /coldchain/batches/{code}`.
pub async fn batch(
    State(state): State<AppState>,
    user: WebUser,
    Path(code): Path<String>,
) -> PageResult {
    batch_page(&state, &user, &code, None).await
}

/// The form closing a task.
#[derive(Debug, Deserialize)]
pub struct CloseForm {
    csrf: String,
    note: String,
    /// The batch page to return to.
    batch: String,
}

/// `POST /coldchain/tasks/{id}/close`: closes the task, back to its batch page.
pub async fn close_task(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(form): Form<CloseForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    match state
        .app
        .close_coldchain_task(&user.actor, id, &form.note)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/coldchain/batches/{}",
            crate::auth::url_encode(&form.batch)
        ))
        .into_response()),
        Err(e @ (Error::Invalid(_) | Error::Conflict(_))) => {
            let message = crate::error::problem(&e).detail;
            let mut page = batch_page(&state, &user, &form.batch, Some(message)).await?;
            *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(page)
        }
        Err(e) => Err(WebError::new(&e, user.lang)),
    }
}
