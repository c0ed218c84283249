//! The sentinel pages: the registry with the missing-report list, the daily report form and
//! file upload, the alert list with its map and the caller's subscription, one alert with
//! its workflow, one sentinel's history as sparklines, and the analysis page (epidemic
//! curve by onset and report date, Rt).

use std::collections::BTreeMap;

use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use fangkong_app::sentinel::{
    hours_to_verification, hours_to_verifying, AlertQuery, ReportInput, ReportSource,
    SentinelStatus, SubscriptionInput,
};
use fangkong_domain::{AlertStatus, Indicator, Permission, SentinelType, SeriesLevel};
use fangkong_store::sentinel::Alert;
use minijinja::{context, Value};
use serde::Deserialize;

use super::forms::{china_time, done_text, err, form_error, name_of, with_status, Notice};
use super::{check_csrf, render_page, PageResult};
use crate::auth::WebUser;
use crate::i18n::{text, Lang};
use crate::AppState;

/// Rows of the registry table shown at once.
const REGISTRY_ROWS: usize = 300;

fn type_name(lang: Lang, key: &str) -> String {
    name_of!(SentinelType, lang, key)
}

fn indicator_name(lang: Lang, key: &str) -> String {
    name_of!(Indicator, lang, key)
}

fn level_name(lang: Lang, key: &str) -> String {
    name_of!(SeriesLevel, lang, key)
}

fn sentinel_context(lang: Lang, s: &SentinelStatus) -> Value {
    context! {
        id => s.sentinel.id,
        name => s.sentinel.name.clone(),
        sentinel_type => type_name(lang, &s.sentinel.sentinel_type),
        community_code => s.sentinel.community_code.clone(),
        due_day => s.due_day.to_string(),
        due_at => china_time(s.due_at),
        last_day => s.last_day.clone(),
        missing => s.missing,
    }
}

fn alert_context(lang: Lang, a: &Alert) -> Value {
    context! {
        id => a.id,
        sentinel_type => type_name(lang, &a.sentinel_type),
        indicator => indicator_name(lang, &a.indicator),
        levels => a.level_keys().iter().map(|l| level_name(lang, l)).collect::<Vec<_>>(),
        place => a.sentinel_name.clone().or_else(|| a.jurisdiction_name.clone()).unwrap_or_else(|| a.community_code.clone()),
        sentinel_id => a.sentinel_id,
        community_code => a.community_code.clone(),
        first_day => a.first_day.clone(),
        last_day => a.last_day.clone(),
        signal_days => a.signal_days,
        observed => a.observed,
        threshold => format!("{:.1}", a.threshold),
        expected => a.expected.map(|e| format!("{e:.1}")),
        strength => format!("{:.2}", a.strength),
        novel => a.novel,
        score => format!("{:.2}", a.score),
        method => a.method.clone(),
        status => a.status.clone(),
        assignee => a.assignee.clone(),
        signal_at => china_time(a.signal_at),
        hours_to_verifying => hours_to_verifying(a).map(|h| format!("{h:.1}")),
        hours_to_verification => hours_to_verification(a).map(|h| format!("{h:.1}")),
    }
}

/// Filters of the registry.
#[derive(Debug, Default, Deserialize)]
pub struct RegistryQuery {
    within: Option<String>,
    sentinel_type: Option<String>,
}

fn some(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// `GET /sentinels`: the types with their indicators and deadlines, the missing-report list
/// and the registry.
pub async fn registry(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<RegistryQuery>,
) -> PageResult {
    let lang = user.lang;
    let list = state
        .app
        .sentinels(&user.actor, some(&q.within), some(&q.sentinel_type))
        .await
        .map_err(err(lang))?;
    let deadlines = state.app.sentinel_deadlines().await.map_err(err(lang))?;
    let alerts = state
        .app
        .sentinel_alerts(&user.actor, &AlertQuery::default())
        .await
        .map_err(err(lang))?;
    let missing: Vec<Value> = list
        .iter()
        .filter(|s| s.missing)
        .map(|s| sentinel_context(lang, s))
        .collect();
    let types: Vec<Value> = SentinelType::ALL
        .iter()
        .map(|t| {
            let minutes = deadlines.get(t).copied().unwrap_or(t.default_deadline_minutes());
            context! {
                key => t.as_str(),
                name => type_name(lang, t.as_str()),
                indicators => t.indicators().iter().map(|i| indicator_name(lang, i.as_str())).collect::<Vec<_>>(),
                deadline => format!("{:02}:{:02}", (minutes / 60) % 24, minutes % 60),
                next_day => minutes / (24 * 60) + 1,
                count => list.iter().filter(|s| s.sentinel.sentinel_type == t.as_str()).count(),
            }
        })
        .collect();
    let page = context! {
        within => some(&q.within).unwrap_or_default(),
        sentinel_type => some(&q.sentinel_type).unwrap_or_default(),
        total => list.len(),
        missing_count => missing.len(),
        missing => missing,
        notifications => alerts.notifications,
        types => types,
        rows => list.iter().take(REGISTRY_ROWS).map(|s| sentinel_context(lang, s)).collect::<Vec<_>>(),
        truncated => list.len() > REGISTRY_ROWS,
        can_report => user.actor.scope.can(Permission::SentinelReport),
    };
    render_page(
        &state,
        &user,
        "sentinels/registry.html",
        "sentinels",
        "/sentinels",
        page,
    )
}

/// The report form's choice.
#[derive(Debug, Default, Deserialize)]
pub struct ReportQuery {
    sentinel_id: Option<i64>,
    done: Option<String>,
}

async fn report_page(
    state: &AppState,
    user: &WebUser,
    sentinel_id: Option<i64>,
    notice: Notice,
) -> PageResult {
    let lang = user.lang;
    let choices = state
        .app
        .reportable_sentinels(&user.actor)
        .await
        .map_err(err(lang))?;
    let chosen = sentinel_id.and_then(|id| choices.iter().find(|s| s.sentinel.id == id));
    let indicators: Vec<Value> = chosen
        .and_then(|s| SentinelType::parse(&s.sentinel.sentinel_type))
        .map(|t| {
            t.indicators()
                .iter()
                .map(|i| context! { key => i.as_str(), name => indicator_name(lang, i.as_str()) })
                .collect()
        })
        .unwrap_or_default();
    let yesterday = state.app.today() - chrono::Duration::days(1);
    let failed = notice.failed();
    let page = context! {
        choices => choices.iter().take(2000).map(|s| context! {
            id => s.sentinel.id, name => s.sentinel.name.clone(),
            sentinel_type => type_name(lang, &s.sentinel.sentinel_type), missing => s.missing,
        }).collect::<Vec<_>>(),
        chosen => chosen.map(|s| sentinel_context(lang, s)),
        indicators => indicators,
        day => yesterday.to_string(),
        notice => notice.value(),
    };
    with_status(
        render_page(
            state,
            user,
            "sentinels/report.html",
            "sentinels",
            "/sentinels/report",
            page,
        ),
        failed,
    )
}

/// `GET /sentinels/report`: choose a sentinel, then one count per indicator of its type.
pub async fn report_form(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<ReportQuery>,
) -> PageResult {
    let notice = Notice {
        done: done_text(user.lang, "sentinel", q.done.as_deref()),
        ..Notice::default()
    };
    report_page(&state, &user, q.sentinel_id, notice).await
}

/// `POST /sentinels/report`: the counts of one sentinel and day (`count.<indicator>` fields;
/// an empty one is not sent).
pub async fn submit_report(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<BTreeMap<String, String>>,
) -> PageResult {
    check_csrf(&user, form.get("csrf").map_or("", String::as_str))?;
    let sentinel_id = form
        .get("sentinel_id")
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or(0);
    let day = form.get("day").cloned().unwrap_or_default();
    let rows: Vec<ReportInput> = form
        .iter()
        .filter_map(|(k, v)| {
            let indicator = k.strip_prefix("count.")?;
            let v = v.trim();
            (!v.is_empty()).then(|| ReportInput {
                sentinel_id,
                day: day.clone(),
                indicator: indicator.to_string(),
                // A non-number is refused by the app as a bad count.
                count: v.parse::<i64>().unwrap_or(-1),
            })
        })
        .collect();
    match state
        .app
        .submit_sentinel_reports(&user.actor, ReportSource::Form, &rows)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/sentinels/report?sentinel_id={sentinel_id}&done=reported"
        ))
        .into_response()),
        Err(e) => {
            let mut notice = form_error(e, user.lang)?;
            if let Some(reason) = notice.error.take() {
                notice.error = Some(reason.replace("reports[0].", "").replace("reports[", "["));
            }
            report_page(&state, &user, Some(sentinel_id), notice).await
        }
    }
}

/// `POST /sentinels/reports/upload`: a `multipart/form-data` report file (all rows or none).
pub async fn upload_reports(
    State(state): State<AppState>,
    user: WebUser,
    form: Multipart,
) -> PageResult {
    let (csrf, file) = super::inbound::upload(form).await;
    check_csrf(&user, &csrf)?;
    let Some((file_name, data)) = file else {
        let notice = Notice::error(text(user.lang, "sentinel.no_file"));
        return report_page(&state, &user, None, notice).await;
    };
    let notice = match state
        .app
        .import_sentinel_reports(&user.actor, &file_name, &data)
        .await
    {
        Ok(o) => Notice {
            done: Some(format!(
                "{file_name}: {}",
                text(user.lang, "sentinel.imported")
            )),
            outcome: vec![
                ("sentinel.out.created".into(), o.created),
                ("sentinel.out.updated".into(), o.updated),
                ("sentinel.out.unchanged".into(), o.unchanged),
            ],
            ..Notice::default()
        },
        Err(e) => form_error(e, user.lang)?,
    };
    report_page(&state, &user, None, notice).await
}

/// Filters of the alert list.
#[derive(Debug, Default, Deserialize)]
pub struct AlertsQuery {
    status: Option<String>,
    #[serde(default)]
    subscribed: Option<String>,
    done: Option<String>,
}

async fn alerts_page(
    state: &AppState,
    user: &WebUser,
    q: &AlertsQuery,
    notice: Notice,
) -> PageResult {
    let lang = user.lang;
    let subscribed = some(&q.subscribed).is_some();
    let list = state
        .app
        .sentinel_alerts(
            &user.actor,
            &AlertQuery {
                status: some(&q.status).map(str::to_string),
                subscribed,
                limit: Some(500),
                ..AlertQuery::default()
            },
        )
        .await
        .map_err(err(lang))?;
    let timeliness = state
        .app
        .alert_timeliness(&user.actor)
        .await
        .map_err(err(lang))?;
    let subscription = state
        .app
        .sentinel_subscription(&user.actor)
        .await
        .map_err(err(lang))?;
    let points: Vec<serde_json::Value> = list
        .alerts
        .iter()
        .filter_map(|a| {
            Some(serde_json::json!({
                "id": a.id, "lon": a.lon?, "lat": a.lat?,
                "name": a.sentinel_name.clone().unwrap_or_default(),
                "indicator": indicator_name(lang, &a.indicator),
                "status": a.status, "strength": a.strength,
            }))
        })
        .collect();
    let failed = notice.failed();
    let page = context! {
        status => some(&q.status).unwrap_or_default(),
        subscribed => subscribed,
        statuses => AlertStatus::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        can_manage => user.actor.scope.can(Permission::SentinelManage),
        alerts => list.alerts.iter().map(|a| alert_context(lang, a)).collect::<Vec<_>>(),
        notifications => list.notifications,
        map => serde_json::Value::Array(points).to_string(),
        timeliness => context! {
            open => timeliness.open, closed => timeliness.closed, confirmed => timeliness.confirmed,
            within_24h => timeliness.within_24h,
            median_hours => timeliness.median_hours.map(|h| format!("{h:.1}")),
            mean_hours => timeliness.mean_hours.map(|h| format!("{h:.1}")),
        },
        subscription => context! {
            types => subscription.types.clone(),
            indicators => subscription.indicators.clone(),
            min_level => subscription.min_level.clone(),
            min_strength => subscription.min_strength,
        },
        all_types => SentinelType::ALL.iter().map(|t| context! { key => t.as_str(), name => type_name(lang, t.as_str()) }).collect::<Vec<_>>(),
        all_indicators => Indicator::ALL.iter().map(|i| context! { key => i.as_str(), name => indicator_name(lang, i.as_str()) }).collect::<Vec<_>>(),
        levels => SeriesLevel::ALL.iter().map(|l| context! { key => l.as_str(), name => level_name(lang, l.as_str()) }).collect::<Vec<_>>(),
        can_manage => user.actor.scope.can(Permission::SentinelManage),
        is_user => user.actor.user_id.is_some(),
        notice => notice.value(),
    };
    with_status(
        render_page(
            state,
            user,
            "sentinels/alerts.html",
            "sentinels",
            "/sentinels/alerts",
            page,
        ),
        failed,
    )
}

/// `GET /sentinels/alerts`: the alert list and map, timeliness, and the subscription form.
pub async fn alerts(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<AlertsQuery>,
) -> PageResult {
    let notice = Notice {
        done: done_text(user.lang, "sentinel", q.done.as_deref()),
        ..Notice::default()
    };
    alerts_page(&state, &user, &q, notice).await
}

/// `POST /sentinels/subscription`: what the user is notified of (`types`, `indicators`
/// repeated fields, `min_level`, `min_strength`).
pub async fn subscribe(
    State(state): State<AppState>,
    user: WebUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    check_csrf(&user, &get("csrf").unwrap_or_default())?;
    let all = |k: &str| -> Vec<String> {
        pairs
            .iter()
            .filter(|(n, v)| n == k && !v.is_empty())
            .map(|(_, v)| v.clone())
            .collect()
    };
    let input = SubscriptionInput {
        types: all("types"),
        indicators: all("indicators"),
        min_level: get("min_level").unwrap_or_else(|| "sentinel".into()),
        min_strength: get("min_strength")
            .map(|s| s.trim().parse::<f64>().unwrap_or(-1.0))
            .unwrap_or(0.0),
    };
    match state
        .app
        .set_sentinel_subscription(&user.actor, &input)
        .await
    {
        Ok(_) => Ok(Redirect::to("/sentinels/alerts?done=subscribed").into_response()),
        Err(e) => {
            let notice = form_error(e, user.lang)?;
            alerts_page(&state, &user, &AlertsQuery::default(), notice).await
        }
    }
}

/// `?done=` after a redirect.
#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

async fn alert_page(state: &AppState, user: &WebUser, id: i64, notice: Notice) -> PageResult {
    let lang = user.lang;
    let d = state
        .app
        .sentinel_alert(&user.actor, id)
        .await
        .map_err(err(lang))?;
    let from = AlertStatus::parse(&d.alert.status);
    let next: Vec<&str> = AlertStatus::ALL
        .iter()
        .filter(|to| from.is_some_and(|f| f.can_become(**to)))
        .map(|s| s.as_str())
        .collect();
    let failed = notice.failed();
    let page = context! {
        alert => alert_context(lang, &d.alert),
        next => next,
        events => d.events.iter().map(|e| context! {
            at => china_time(e.at), kind => e.kind.clone(), from_status => e.from_status.clone(),
            to_status => e.to_status.clone(), assignee => e.assignee.clone(), note => e.note.clone(),
            actor => e.actor.clone(),
        }).collect::<Vec<_>>(),
        can_manage => user.actor.scope.can(Permission::SentinelManage),
        notice => notice.value(),
    };
    with_status(
        render_page(
            state,
            user,
            "sentinels/alert.html",
            "sentinels",
            "/sentinels/alerts",
            page,
        ),
        failed,
    )
}

/// `GET /sentinels/alerts/{id}`.
pub async fn alert(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let notice = Notice {
        done: done_text(user.lang, "sentinel", q.done.as_deref()),
        ..Notice::default()
    };
    alert_page(&state, &user, id, notice).await
}

/// A workflow form of an alert.
#[derive(Debug, Deserialize)]
pub struct AlertForm {
    csrf: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    assignee: String,
}

/// `POST /sentinels/alerts/{id}/status`.
pub async fn set_status(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(form): Form<AlertForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let note = Some(form.note.as_str()).filter(|n| !n.trim().is_empty());
    match state
        .app
        .transition_alert(&user.actor, id, &form.status, note)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/sentinels/alerts/{id}?done=status")).into_response()),
        Err(e) => {
            let notice = form_error(e, user.lang)?;
            alert_page(&state, &user, id, notice).await
        }
    }
}

/// `POST /sentinels/alerts/{id}/assign`.
pub async fn assign(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(form): Form<AlertForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    match state
        .app
        .assign_alert(&user.actor, id, Some(form.assignee.as_str()))
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/sentinels/alerts/{id}?done=assigned")).into_response()),
        Err(e) => {
            let notice = form_error(e, user.lang)?;
            alert_page(&state, &user, id, notice).await
        }
    }
}

/// `POST /sentinels/alerts/{id}/note`.
pub async fn note(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(form): Form<AlertForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    match state.app.note_alert(&user.actor, id, &form.note).await {
        Ok(_) => Ok(Redirect::to(&format!("/sentinels/alerts/{id}?done=noted")).into_response()),
        Err(e) => {
            let notice = form_error(e, user.lang)?;
            alert_page(&state, &user, id, notice).await
        }
    }
}

/// `GET /sentinels/{id}`: one sentinel's last 60 days as a sparkline per indicator, and its
/// alerts.
pub async fn sentinel(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
) -> PageResult {
    let lang = user.lang;
    let s = state
        .app
        .sentinel(&user.actor, id)
        .await
        .map_err(err(lang))?;
    let days = fangkong_app::sentinel::HISTORY_SPARK_DAYS;
    let reports = state
        .app
        .sentinel_reports(&user.actor, id, days)
        .await
        .map_err(err(lang))?;
    let today = state.app.today();
    let first = today - chrono::Duration::days(days - 1);
    let dates: Vec<String> = (0..days)
        .map(|d| (first + chrono::Duration::days(d)).to_string())
        .collect();
    let indicators = SentinelType::parse(&s.sentinel.sentinel_type)
        .map(|t| t.indicators().to_vec())
        .unwrap_or_default();
    let series: Vec<Value> = indicators
        .iter()
        .map(|i| {
            let values: Vec<Option<i64>> = dates
                .iter()
                .map(|d| {
                    reports
                        .iter()
                        .find(|r| r.indicator == i.as_str() && r.day == *d)
                        .map(|r| r.count)
                })
                .collect();
            let last = values.iter().rev().flatten().next().copied();
            context! {
                key => i.as_str(),
                name => indicator_name(lang, i.as_str()),
                last => last,
                reported => values.iter().flatten().count(),
                chart => serde_json::json!({ "days": dates, "values": values }).to_string(),
            }
        })
        .collect();
    let alerts = state
        .app
        .sentinel_alerts(
            &user.actor,
            &AlertQuery {
                sentinel_id: Some(id),
                ..AlertQuery::default()
            },
        )
        .await
        .map_err(err(lang))?;
    let page = context! {
        sentinel => sentinel_context(lang, &s),
        series => series,
        days => days,
        alerts => alerts.alerts.iter().map(|a| alert_context(lang, a)).collect::<Vec<_>>(),
    };
    render_page(
        &state,
        &user,
        "sentinels/sentinel.html",
        "sentinels",
        "/sentinels",
        page,
    )
}

/// The analysis window.
#[derive(Debug, Default, Deserialize)]
pub struct AnalysisQuery {
    days: Option<usize>,
}

/// `GET /analysis`: the epidemic curve by onset and by report date, and Rt.
pub async fn analysis(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<AnalysisQuery>,
) -> PageResult {
    let lang = user.lang;
    let a = state
        .app
        .epidemic_analysis(&user.actor, q.days.unwrap_or(60), None, None)
        .await
        .map_err(err(lang))?;
    let wire = crate::api::sentinels::analysis_to_wire(&a);
    let latest = wire.rt.last().map(|r| {
        context! { mean => format!("{:.2}", r.mean), q025 => format!("{:.2}", r.q025), q975 => format!("{:.2}", r.q975), t_end => r.t_end.clone() }
    });
    let page = context! {
        days => wire.days.len(),
        total_report => wire.by_report.iter().sum::<u32>(),
        total_onset => wire.by_onset.iter().sum::<u32>(),
        doubling => wire.doubling_days.map(|d| format!("{d:.1}")),
        latest => latest,
        si_mean => wire.si_mean,
        si_sd => wire.si_sd,
        rows => wire.days.iter().enumerate().rev().filter(|(i, _)| wire.by_report[*i] > 0 || wire.by_onset[*i] > 0)
            .map(|(i, d)| context! { day => d.clone(), onset => wire.by_onset[i], report => wire.by_report[i] }).collect::<Vec<_>>(),
        forecast => wire.forecast.iter().map(|f| context! {
            date => f.date.clone(), mean => format!("{:.1}", f.mean),
            lower => format!("{:.0}", f.lower), upper => format!("{:.0}", f.upper),
        }).collect::<Vec<_>>(),
        chart => serde_json::to_string(&wire).unwrap_or_default(),
    };
    render_page(
        &state,
        &user,
        "sentinels/analysis.html",
        "analysis",
        "/analysis",
        page,
    )
}
