//! The co-investigation and command pages: the task inbox of the user's level with deadlines
//! and progress, a task's items with the feedback form, the directives board and the duty
//! roster. Only `App` functions are called; identifiers stay masked.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use fangkong_app::co_investigation::FeedbackInput;
use fangkong_app::command::{DirectiveInput, ShiftInput};
use fangkong_domain::Permission;
use minijinja::{context, Value};
use serde::Deserialize;

use super::forms::{china_time, err};
use super::{check_csrf, render_page, PageResult};
use crate::auth::WebUser;
use crate::AppState;

fn stat_rows(rows: &[fangkong_app::co_investigation::StatRow]) -> Vec<Value> {
    rows.iter()
        .map(|r| {
            context! {
                key => r.key.clone(), total => r.total, done => r.done, open => r.open,
                overdue => r.overdue, on_time => r.on_time, late => r.late, escalated => r.escalated,
                percent => if r.total > 0 { r.done * 100 / r.total } else { 0 },
            }
        })
        .collect()
}

/// `/co-investigations`: the task inbox of the user's level, notices and statistics.
pub async fn inbox(State(state): State<AppState>, user: WebUser) -> PageResult {
    let lang = user.lang;
    let now = state.app.now_ms();
    let tasks = state.app.co_tasks(&user.actor).await.map_err(err(lang))?;
    let notices = state
        .app
        .co_notices(&user.actor, 50)
        .await
        .map_err(err(lang))?;
    let stats = state
        .app
        .co_investigation_stats(&user.actor, None)
        .await
        .map_err(err(lang))?;
    let tasks: Vec<Value> = tasks
        .iter()
        .map(|s| {
            context! {
                id => s.task.id, title => s.task.title.clone(), reason => s.task.reason.clone(),
                source => s.task.source.clone(), deadline => china_time(s.task.deadline_at),
                past => s.task.deadline_at < now, total => s.total, done => s.done,
                overdue => s.overdue, waiting_here => s.waiting_here,
                percent => if s.total > 0 { s.done * 100 / s.total } else { 0 },
                upstream => s.task.upstream_peer.clone(), downstream => s.task.downstream_peer.clone(),
            }
        })
        .collect();
    let notices: Vec<Value> = notices
        .iter()
        .map(|n| context! { task_id => n.task_id, code => n.jurisdiction_code.clone(), n_items => n.n_items, at => china_time(n.created_at) })
        .collect();
    render_page(
        &state,
        &user,
        "co_investigation/inbox.html",
        "co_investigation",
        "/co-investigations",
        context! {
            tasks => tasks, notices => notices,
            by_county => stat_rows(&stats.by_county), by_deadline => stat_rows(&stats.by_deadline),
        },
    )
}

/// `/co-investigations/{id}`: the items the user's jurisdiction holds, with the feedback form.
pub async fn task(State(state): State<AppState>, user: WebUser, Path(id): Path<i64>) -> PageResult {
    let lang = user.lang;
    let summary = state
        .app
        .co_task(&user.actor, id)
        .await
        .map_err(err(lang))?;
    let items = state
        .app
        .co_items(&user.actor, id, None, false, 500, 0)
        .await
        .map_err(err(lang))?;
    let items: Vec<Value> = items
        .iter()
        .map(|i| {
            context! {
                id => i.id, seq => i.seq, kind => i.kind.clone(), subject => i.subject_masked.clone(),
                place => i.place.clone(), note => i.note.clone(), assigned => i.assigned_code.clone(),
                how => i.assigned_how.clone(), status => i.status.clone(), person_id => i.person_id, outcome => i.outcome.clone(),
                outcome_note => i.outcome_note.clone(), forwarded_to => i.forwarded_to.clone(),
                fed_back_at => i.fed_back_at.map(china_time), escalated_to => i.escalated_to.clone(),
            }
        })
        .collect();
    let t = &summary.task;
    render_page(
        &state,
        &user,
        "co_investigation/task.html",
        "co_investigation",
        &format!("/co-investigations/{id}"),
        context! {
            task => context! {
                id => t.id, uid => t.uid.clone(), title => t.title.clone(), reason => t.reason.clone(),
                source => t.source.clone(), deadline => china_time(t.deadline_at), total => summary.total,
                done => summary.done, overdue => summary.overdue, waiting_here => summary.waiting_here,
            },
            items => items,
            can_operate => user.actor.scope.can(Permission::CoInvestigationOperate),
            outcomes => fangkong_domain::co_investigation::Outcome::ALL.iter().map(|o| o.as_str()).collect::<Vec<_>>(),
        },
    )
}

/// The feedback form of one item.
#[derive(Debug, Default, Deserialize)]
pub struct FeedbackForm {
    csrf: String,
    item_id: i64,
    outcome: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    forwarded_to: String,
    /// A checkbox: open the control measure the policy gives.
    #[serde(default)]
    open_measure: Option<String>,
}

/// `POST /co-investigations/{id}/feedback`.
pub async fn feedback(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(f): Form<FeedbackForm>,
) -> PageResult {
    check_csrf(&user, &f.csrf)?;
    let forwarded_to =
        (!f.forwarded_to.trim().is_empty()).then(|| f.forwarded_to.trim().to_string());
    state
        .app
        .feed_back_co_items(
            &user.actor,
            &[FeedbackInput {
                item_id: f.item_id,
                outcome: f.outcome,
                note: f.note,
                forwarded_to,
                measure_id: None,
                open_measure: f.open_measure.is_some(),
            }],
        )
        .await
        .map_err(err(user.lang))?;
    Ok(Redirect::to(&format!("/co-investigations/{id}#item-{}", f.item_id)).into_response())
}

/// `/command`: the directives board and the duty roster.
pub async fn command(State(state): State<AppState>, user: WebUser) -> PageResult {
    let lang = user.lang;
    let now = state.app.now_ms();
    let directives = state.app.directives(&user.actor).await.map_err(err(lang))?;
    let on_duty = state.app.on_duty(&user.actor).await.map_err(err(lang))?;
    let roster = state
        .app
        .roster(&user.actor, state.app.today())
        .await
        .map_err(err(lang))?;
    let directives: Vec<Value> = directives
        .iter()
        .map(|d| {
            let status = if d.completed_at.is_some() {
                "completed"
            } else if d.acknowledged_at.is_some() {
                "acknowledged"
            } else {
                "issued"
            };
            context! {
                id => d.id, title => d.title.clone(), body => d.body.clone(), target => d.target_code.clone(),
                unit => d.target_unit.clone(), due => china_time(d.due_at), status => status,
                overdue => d.completed_at.is_none() && d.due_at < now,
                can_answer => user.actor.scope.covers(&d.target_code),
                report => d.completion_report.clone(),
            }
        })
        .collect();
    let shift = |s: &fangkong_store::command::ShiftRow| {
        context! {
            id => s.id, unit => s.unit_name.clone(), code => s.unit_code.clone(),
            starts => china_time(s.starts_at), ends => china_time(s.ends_at), leader => s.leader.clone(),
            officer => s.officer.clone(), handover => s.handover_note.clone(),
        }
    };
    let overdue = directives
        .iter()
        .filter(|d| d.get_attr("overdue").is_ok_and(|v| v.is_true()))
        .count();
    render_page(
        &state,
        &user,
        "co_investigation/command.html",
        "command",
        "/command",
        context! {
            directives => directives, overdue => overdue,
            on_duty => on_duty.iter().map(shift).collect::<Vec<_>>(),
            roster => roster.iter().map(shift).collect::<Vec<_>>(),
            can_operate => user.actor.scope.can(Permission::CommandOperate),
            home_code => user.actor.scope.root.as_ref().map(|r| r.as_str().to_string()),
        },
    )
}

/// A directive to issue.
#[derive(Debug, Default, Deserialize)]
pub struct DirectiveForm {
    csrf: String,
    target_code: String,
    #[serde(default)]
    target_unit: String,
    title: String,
    body: String,
    due: String,
}

/// `POST /command/directives`.
pub async fn issue(
    State(state): State<AppState>,
    user: WebUser,
    Form(f): Form<DirectiveForm>,
) -> PageResult {
    check_csrf(&user, &f.csrf)?;
    state
        .app
        .issue_directive(
            &user.actor,
            &DirectiveInput {
                target_code: f.target_code,
                target_unit: f.target_unit,
                title: f.title,
                body: f.body,
                due: f.due.replace('T', " "),
            },
        )
        .await
        .map_err(err(user.lang))?;
    Ok(Redirect::to("/command#directives").into_response())
}

/// A form with a CSRF token and an optional text.
#[derive(Debug, Default, Deserialize)]
pub struct TextForm {
    csrf: String,
    #[serde(default)]
    text: String,
}

/// `POST /command/directives/{id}/acknowledge`.
pub async fn acknowledge(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(f): Form<TextForm>,
) -> PageResult {
    check_csrf(&user, &f.csrf)?;
    state
        .app
        .acknowledge_directive(&user.actor, id)
        .await
        .map_err(err(user.lang))?;
    Ok(Redirect::to("/command#directives").into_response())
}

/// `POST /command/directives/{id}/complete`.
pub async fn complete(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(f): Form<TextForm>,
) -> PageResult {
    check_csrf(&user, &f.csrf)?;
    state
        .app
        .complete_directive(&user.actor, id, &f.text)
        .await
        .map_err(err(user.lang))?;
    Ok(Redirect::to("/command#directives").into_response())
}

/// A shift to add.
#[derive(Debug, Default, Deserialize)]
pub struct ShiftForm {
    csrf: String,
    unit_code: String,
    unit_name: String,
    starts: String,
    ends: String,
    leader: String,
    officer: String,
}

/// `POST /command/shifts`.
pub async fn add_shift(
    State(state): State<AppState>,
    user: WebUser,
    Form(f): Form<ShiftForm>,
) -> PageResult {
    check_csrf(&user, &f.csrf)?;
    state
        .app
        .add_shift(
            &user.actor,
            &ShiftInput {
                unit_code: f.unit_code,
                unit_name: f.unit_name,
                starts: f.starts.replace('T', " "),
                ends: f.ends.replace('T', " "),
                leader: f.leader,
                officer: f.officer,
            },
        )
        .await
        .map_err(err(user.lang))?;
    Ok(Redirect::to("/command#roster").into_response())
}

/// `POST /command/shifts/{id}/log`.
pub async fn log(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(f): Form<TextForm>,
) -> PageResult {
    check_csrf(&user, &f.csrf)?;
    state
        .app
        .log_shift_event(&user.actor, id, &f.text)
        .await
        .map_err(err(user.lang))?;
    Ok(Redirect::to("/command#roster").into_response())
}

/// `POST /command/shifts/{id}/handover`.
pub async fn handover(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(f): Form<TextForm>,
) -> PageResult {
    check_csrf(&user, &f.csrf)?;
    state
        .app
        .hand_over(&user.actor, id, &f.text)
        .await
        .map_err(err(user.lang))?;
    Ok(Redirect::to("/command#roster").into_response())
}
