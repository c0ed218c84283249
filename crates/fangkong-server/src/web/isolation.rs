//! Isolation pages (隔离管控): the site board with the room forecast, the placement queue
//! with the allocator's proposal and the staff's confirmation, a site's room grid with its
//! stays and the teams on duty, a stay with its release criteria, and the printable release
//! certificate (解除隔离告知书).
//!
//! Every value comes from an app function, which checks `isolation.read` (or
//! `isolation.operate`) and keeps to the actor's jurisdiction; names are shown masked and ID
//! numbers only in their masked form. This module decides nothing about access. It also
//! holds what the treatment pages share with it: the vocabulary macros, the refusal status,
//! the occupancy bars and the capacity forecast.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use chrono::{Datelike, Duration, NaiveDate};
use fangkong_app::forecast::{PoolForecast, HORIZON_DAYS};
use fangkong_app::isolation::{PlacementInput, Proposal, QueueEntry, StayView, TransferInput};
use fangkong_app::Error;
use fangkong_domain::mask::mask_name;
use fangkong_domain::policy::{Pocket, StageKind};
use fangkong_domain::{
    BedType, Permission, RoomStatus, Severity, SiteKind, StayOutcome, StayStatus,
};
use fangkong_store::isolation::{SiteRow, Stay};
use minijinja::{context, Value};
use serde::Deserialize;

use super::forms::{
    by_lang, china_time, done_text, err, form_error, name_of, options, Fields, Notice,
};
use super::{check_csrf, render_page, PageResult, WebError};
use crate::auth::WebUser;
use crate::i18n::{text, Lang};
use crate::AppState;

/// People one proposal covers when none are ticked (the oldest measures first, with the rest
/// of their households): a page of selects stays readable.
const PROPOSAL_ROWS: usize = 50;
/// Sites whose free rooms a row of the proposal offers (the nearest to the person).
const ROOM_SITES: usize = 5;
/// Free rooms of a site a row of the proposal offers.
const ROOMS_PER_SITE: usize = 20;
/// People listed on the queue page.
const QUEUE_ROWS: usize = 500;

// ---------------------------------------------------------------------------------------
// What the treatment pages share.

/// A refused form as the notice of the page that shows it again, with that page's status:
/// 409 when the app found a conflict (a full ward, a room taken meanwhile, a stay no longer
/// open), 422 for a bad field. Anything else is the error page.
pub(super) fn refused(e: Error, lang: Lang) -> Result<(Notice, StatusCode), WebError> {
    let status = if matches!(e, Error::Conflict(_)) {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((form_error(e, lang)?, status))
}

/// A page answered with `status`.
pub(super) fn answer(page: PageResult, status: StatusCode) -> PageResult {
    let mut page = page?;
    *page.status_mut() = status;
    Ok(page)
}

/// The notice after a redirect with `?done=<key>`, answered 200.
pub(super) fn done_notice(lang: Lang, prefix: &str, done: &str) -> (Notice, StatusCode) {
    (
        Notice {
            done: done_text(lang, prefix, Some(done)),
            ..Notice::default()
        },
        StatusCode::OK,
    )
}

/// The segments of a stacked bar over `total` units, as percentages of its width: each
/// `(class, count)` becomes `{class, n, x, w}` (drawn as SVG rectangles, so the page needs
/// neither script nor inline style).
pub(super) fn bar(parts: &[(&str, i64)], total: i64) -> Vec<Value> {
    let total = total.max(1) as f64;
    let mut x = 0.0;
    parts
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(class, n)| {
            let w = 100.0 * (*n as f64) / total;
            let v = context! {
                class => *class, n => *n,
                x => format!("{x:.2}"), w => format!("{w:.2}"),
            };
            x += w;
            v
        })
        .collect()
}

/// A day as `12月5日` or `5 December`.
fn day_text(lang: Lang, d: NaiveDate) -> String {
    match lang {
        Lang::Zh => format!("{}月{}日", d.month(), d.day()),
        Lang::En => d.format("%-d %B").to_string(),
    }
}

/// A pool's forecast for the page: the figures, the sentence naming the day it runs out (or
/// none within the horizon), the chart's data for `assets/js/isolation.js` and the same
/// numbers as a table for a browser without script. `pool_zh`/`pool_en` name the units
/// (`房间`, `rooms`).
pub(super) fn forecast_value(
    f: &PoolForecast,
    lang: Lang,
    id: &str,
    pool_zh: &str,
    pool_en: &str,
) -> Value {
    let one = |x: f64| (x * 10.0).round() / 10.0;
    let chart = serde_json::json!({
        "dates": f.days.iter().map(|d| d.date.to_string()).collect::<Vec<_>>(),
        "occupied": f.days.iter().map(|d| one(d.occupied)).collect::<Vec<_>>(),
        "free": f.days.iter().map(|d| one(d.free)).collect::<Vec<_>>(),
        "capacity": f.capacity,
        "runs_out_on": f.runs_out_on.map(|d| d.to_string()),
        "labels": {
            "occupied": text(lang, "capacity.occupied"),
            "free": text(lang, "capacity.free"),
            "capacity": text(lang, "capacity.capacity"),
            "runs_out": text(lang, "capacity.runs_out"),
        },
    });
    let statement = match f.runs_out_on {
        Some(d) => by_lang(
            lang,
            &format!("预计{}{pool_zh}不足", day_text(Lang::Zh, d)),
            &format!(
                "Expected shortfall of {pool_en} on {}",
                day_text(Lang::En, d)
            ),
        ),
        None => by_lang(
            lang,
            &format!("未来{HORIZON_DAYS}天{pool_zh}充足"),
            &format!("No shortfall of {pool_en} within {HORIZON_DAYS} days"),
        ),
    };
    context! {
        id => id,
        chart => chart.to_string(),
        capacity => f.capacity,
        occupied => f.occupied,
        cleaning => f.cleaning,
        free => f.capacity - f.occupied - f.cleaning,
        length_of_stay => f.length_of_stay,
        inflow => format!("{:.1}", f.inflow_per_day),
        runs_out_on => f.runs_out_on.map(|d| d.to_string()),
        statement => statement,
        days => f.days.iter().map(|d| context! {
            date => d.date.to_string(),
            arrivals => format!("{:.1}", d.arrivals),
            departures => format!("{:.1}", d.departures),
            occupied => format!("{:.1}", d.occupied),
            cleaning => format!("{:.1}", d.cleaning),
            free => format!("{:.1}", d.free),
            short => d.free < 0.0,
        }).collect::<Vec<_>>(),
    }
}

/// The order of room numbers as people read them: `101` before `1001`.
fn room_order(number: &str) -> (usize, &str) {
    (number.len(), number)
}

/// A trimmed form value, none when empty.
pub(super) fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

/// A required id from a form field.
pub(super) fn id_field(field: &str, s: &str, invalid: &mut Vec<(String, String)>) -> i64 {
    let s = s.trim();
    match s.parse::<i64>() {
        Ok(n) => n,
        Err(_) => {
            invalid.push((
                field.to_string(),
                if s.is_empty() {
                    "is required".to_string()
                } else {
                    "must be a whole number".to_string()
                },
            ));
            0
        }
    }
}

// ---------------------------------------------------------------------------------------
// Values for templates.

fn site_value(s: &SiteRow, lang: Lang) -> Value {
    context! {
        id => s.id,
        name => s.name.clone(),
        kind => s.subtype.clone(),
        kind_name => name_of!(SiteKind, lang, &s.subtype),
        community_code => s.community_code.clone(),
        turnaround_hours => s.turnaround_hours,
        rooms => s.rooms,
        beds => s.beds,
        occupied => s.occupied,
        occupants => s.occupants,
        free => s.free(),
        cleaning => s.cleaning,
        out_of_service => s.out_of_service,
        bar => bar(&[
            ("occupied", s.occupied),
            ("cleaning", s.cleaning),
            ("out_of_service", s.out_of_service),
            ("free", s.free()),
        ], s.rooms),
    }
}

/// Why the stay is in its room: the allocator's reasons in the page language, or the staff's
/// reason for choosing another room.
fn placement_reason(explanation: &str, lang: Lang) -> (String, bool) {
    let v: serde_json::Value = serde_json::from_str(explanation).unwrap_or_default();
    if let Some(r) = v.get("override").and_then(|r| r.as_str()) {
        return (r.to_string(), true);
    }
    let key = if lang == Lang::En { "en" } else { "zh" };
    let notes: Vec<&str> = v
        .get(key)
        .and_then(|n| n.as_array())
        .map(|a| a.iter().filter_map(|n| n.as_str()).collect())
        .unwrap_or_default();
    (
        notes.join(if lang == Lang::En { "; " } else { "；" }),
        false,
    )
}

fn stay_value(s: &Stay, lang: Lang) -> Value {
    let (reason, overridden) = placement_reason(&s.explanation, lang);
    context! {
        id => s.id,
        person_id => s.person_id,
        name => mask_name(&s.person_name),
        doc_masked => s.doc_masked.clone(),
        measure_id => s.measure_id,
        site_id => s.facility_id,
        site_name => s.site_name.clone(),
        room_id => s.room_id,
        room_number => s.room_number.clone(),
        community_code => s.community_code.clone(),
        status => s.status.clone(),
        status_name => name_of!(StayStatus, lang, &s.status),
        planned_release_on => s.planned_release_on.clone(),
        placed_at => china_time(s.placed_at),
        placed_by => s.placed_by.clone(),
        placement_reason => reason,
        overridden => overridden || s.overridden,
        checked_in_at => s.checked_in_at.map(china_time),
        checked_out_at => s.checked_out_at.map(china_time),
        outcome => s.outcome.clone(),
        outcome_name => s.outcome.as_deref().map(|o| name_of!(StayOutcome, lang, o)),
        outcome_note => s.outcome_note.clone(),
        certificate_no => s.certificate_no.clone(),
        open => s.status != StayStatus::Out.as_str(),
    }
}

fn queue_value(q: &QueueEntry, lang: Lang) -> Value {
    context! {
        measure_id => q.row.measure_id,
        person_id => q.row.person_id,
        name => mask_name(&q.row.name),
        doc_masked => q.row.doc_masked.clone(),
        community_code => q.row.community_code.clone(),
        pocket_name => name_of!(Pocket, lang, &q.row.pocket),
        age => q.age,
        elderly => q.elderly,
        child => q.child,
        disability => q.disability,
        household => q.row.household_id,
        from => q.centralised_from.to_string(),
        to => q.centralised_to.to_string(),
        measure_status => q.row.status.clone(),
    }
}

/// The options of the transfer form: designated hospitals with their free beds by type.
async fn transfer_choices(state: &AppState, user: &WebUser) -> Result<Vec<Value>, WebError> {
    if !user.actor.scope.can(Permission::IsolationOperate) {
        return Ok(Vec::new());
    }
    let hospitals = state
        .app
        .designated_hospitals(&user.actor)
        .await
        .map_err(err(user.lang))?;
    Ok(hospitals
        .iter()
        .map(|h| {
            let free = |t: BedType| {
                let (beds, occupied) = h.beds(t.as_str());
                beds - occupied
            };
            context! {
                id => h.id, name => h.name.clone(),
                free_general => free(BedType::General),
                free_icu => free(BedType::Icu),
                free_isolation => free(BedType::Isolation),
            }
        })
        .collect())
}

// ---------------------------------------------------------------------------------------
// The board.

/// What a form did (after a redirect), and for a placement how many people it placed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
    n: String,
}

/// `GET /isolation`: the sites, the room forecast and the queue's size.
pub async fn board(State(state): State<AppState>, user: WebUser) -> PageResult {
    let e = err(user.lang);
    let lang = user.lang;
    let sites = state.app.isolation_sites(&user.actor).await.map_err(&e)?;
    let forecast = state
        .app
        .isolation_forecast(&user.actor)
        .await
        .map_err(&e)?;
    let queue = state.app.placement_queue(&user.actor).await.map_err(&e)?;
    let sum = |f: fn(&SiteRow) -> i64| sites.iter().map(f).sum::<i64>();
    let (rooms, occupied, cleaning, out) = (
        sum(|s| s.rooms),
        sum(|s| s.occupied),
        sum(|s| s.cleaning),
        sum(|s| s.out_of_service),
    );
    let free = sum(SiteRow::free);
    let page = context! {
        sites => sites.iter().map(|s| site_value(s, lang)).collect::<Vec<_>>(),
        total => context! {
            rooms => rooms, beds => sum(|s| s.beds), occupied => occupied,
            occupants => sum(|s| s.occupants), free => free, cleaning => cleaning,
            out_of_service => out,
            bar => bar(&[("occupied", occupied), ("cleaning", cleaning), ("out_of_service", out), ("free", free)], rooms),
        },
        forecast => forecast_value(&forecast, lang, "room-forecast", "房间", "rooms"),
        queue_count => queue.len(),
    };
    render_page(
        &state,
        &user,
        "isolation/board.html",
        "isolation",
        "/isolation",
        page,
    )
}

// ---------------------------------------------------------------------------------------
// The queue, the proposal and the placement.

/// The proposal's table as staff left it: the people in it and, after a refused
/// confirmation, the rooms and reasons they chose.
#[derive(Debug, Default)]
struct Choices {
    measures: Vec<i64>,
    rooms: HashMap<i64, String>,
    reasons: HashMap<i64, String>,
}

/// A site with its free rooms, for the proposal's selects.
struct FreeSite {
    id: i64,
    name: String,
    lon: Option<f64>,
    lat: Option<f64>,
    /// (room id, number, beds, accessible), in room order.
    rooms: Vec<(i64, String, i64, bool)>,
}

/// The sites in scope with a free room, and those rooms.
async fn free_sites(state: &AppState, user: &WebUser) -> Result<Vec<FreeSite>, Error> {
    let mut out = Vec::new();
    for site in state.app.isolation_sites(&user.actor).await? {
        if site.free() <= 0 {
            continue;
        }
        let mut detail = state.app.isolation_site(&user.actor, site.id).await?;
        detail
            .rooms
            .sort_by(|a, b| room_order(&a.room.number).cmp(&room_order(&b.room.number)));
        out.push(FreeSite {
            rooms: detail
                .rooms
                .iter()
                .filter(|r| r.status == RoomStatus::Free)
                .map(|r| {
                    (
                        r.room.id,
                        r.room.number.clone(),
                        r.room.beds,
                        r.room.accessible,
                    )
                })
                .collect(),
            id: site.id,
            name: site.name,
            lon: site.lon,
            lat: site.lat,
        });
    }
    Ok(out)
}

/// The rooms one row of the proposal offers, grouped by site: the free rooms of the
/// [`ROOM_SITES`] sites nearest the person's community (at most [`ROOMS_PER_SITE`] each),
/// and always the room proposed or chosen. A city has thousands of free rooms; listing them
/// all in every row would make the page megabytes long.
fn room_choices(sites: &[FreeSite], q: &QueueEntry, keep: Option<i64>) -> Vec<Value> {
    // Ordering only: an equirectangular approximation is close enough within a city.
    let far = |s: &FreeSite| match (s.lon, s.lat, q.row.lon, q.row.lat) {
        (Some(x1), Some(y1), Some(x2), Some(y2)) => {
            let dx = (x1 - x2) * ((y1 + y2) / 2.0).to_radians().cos();
            let dy = y1 - y2;
            dx * dx + dy * dy
        }
        _ => f64::MAX,
    };
    let mut order: Vec<(f64, usize)> = sites.iter().enumerate().map(|(i, s)| (far(s), i)).collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    order
        .iter()
        .enumerate()
        .filter_map(|(rank, (_, i))| {
            let s = &sites[*i];
            let holds_kept = keep.is_some_and(|k| s.rooms.iter().any(|r| r.0 == k));
            if rank >= ROOM_SITES && !holds_kept {
                return None;
            }
            let rooms: Vec<Value> = s
                .rooms
                .iter()
                .enumerate()
                .filter(|(n, r)| (rank < ROOM_SITES && *n < ROOMS_PER_SITE) || Some(r.0) == keep)
                .map(|(_, (id, number, beds, accessible))| {
                    context! { id => *id, number => number.clone(), beds => *beds, accessible => *accessible }
                })
                .collect();
            Some(context! { site_id => s.id, site_name => s.name.clone(), rooms => rooms })
        })
        .collect()
}

/// The measures one proposal covers: those ticked, else the first [`PROPOSAL_ROWS`] of the
/// queue; either way with the rest of their households, and only people still waiting.
fn batch(queue: &[QueueEntry], ticked: &[i64]) -> Vec<i64> {
    let chosen: Vec<&QueueEntry> = if ticked.is_empty() {
        queue.iter().take(PROPOSAL_ROWS).collect()
    } else {
        queue
            .iter()
            .filter(|q| ticked.contains(&q.row.measure_id))
            .collect()
    };
    let households: std::collections::HashSet<i64> =
        chosen.iter().map(|q| q.household_key).collect();
    queue
        .iter()
        .filter(|q| households.contains(&q.household_key))
        .map(|q| q.row.measure_id)
        .collect()
}

fn proposal_value(
    p: &Proposal,
    queue: &HashMap<i64, &QueueEntry>,
    choices: &Choices,
    sites: &[FreeSite],
    lang: Lang,
) -> Value {
    let rows: Vec<Value> = choices
        .measures
        .iter()
        .filter_map(|m| queue.get(m).map(|q| (m, q)))
        .map(|(m, q)| {
            let placed = p.placements.iter().find(|x| x.measure_id == *m);
            let unplaced = p.unplaced.iter().find(|x| x.measure_id == *m);
            let room = choices
                .rooms
                .get(m)
                .and_then(|r| r.trim().parse::<i64>().ok())
                .or(placed.map(|x| x.room_id));
            context! {
                person => queue_value(q, lang),
                measure_id => *m,
                proposed => placed.map(|x| context! {
                    site_id => x.site_id, site_name => x.site_name.clone(),
                    room_id => x.room_id, room_number => x.room_number.clone(),
                    distance => format!("{:.1}", x.distance_km),
                    notes => if lang == Lang::En { x.notes_en.clone() } else { x.notes_zh.clone() },
                }),
                unplaced => unplaced.map(|x| by_lang(lang, &x.reason_zh, &x.reason_en)),
                room_id => room,
                choices => room_choices(sites, q, room),
                reason => choices.reasons.get(m).cloned().unwrap_or_default(),
            }
        })
        .collect();
    context! {
        rows => rows,
        n_placed => p.placements.len(),
        n_unplaced => p.unplaced.len(),
        households => p.households,
        split_households => p.split_households,
        free_rooms => p.free_rooms,
    }
}

async fn queue_page(
    state: &AppState,
    user: &WebUser,
    choices: Option<Choices>,
    (mut notice, mut status): (Notice, StatusCode),
) -> PageResult {
    let e = err(user.lang);
    let lang = user.lang;
    let queue = state.app.placement_queue(&user.actor).await.map_err(&e)?;
    let by_measure: HashMap<i64, &QueueEntry> =
        queue.iter().map(|q| (q.row.measure_id, q)).collect();
    let mut proposal = None;
    if let Some(mut choices) = choices {
        // People placed meanwhile drop out of the table.
        choices.measures.retain(|m| by_measure.contains_key(m));
        if !choices.measures.is_empty() {
            match state
                .app
                .propose_placement(&user.actor, Some(&choices.measures))
                .await
            {
                Ok(p) => {
                    let sites = free_sites(state, user).await.map_err(&e)?;
                    proposal = Some(proposal_value(&p, &by_measure, &choices, &sites, lang));
                }
                Err(bad) => (notice, status) = refused(bad, lang)?,
            }
        }
    }
    let page = context! {
        queue => queue.iter().take(QUEUE_ROWS).map(|q| queue_value(q, lang)).collect::<Vec<_>>(),
        queue_count => queue.len(),
        queue_rows => QUEUE_ROWS,
        proposal_rows => PROPOSAL_ROWS,
        proposal => proposal,
        room_sites => ROOM_SITES,
        rooms_per_site => ROOMS_PER_SITE,
        can_operate => user.actor.scope.can(Permission::IsolationOperate),
        notice => notice.value(),
    };
    answer(
        render_page(
            state,
            user,
            "isolation/queue.html",
            "isolation",
            "/isolation/queue",
            page,
        ),
        status,
    )
}

/// `GET /isolation/queue`.
pub async fn queue(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let (mut notice, status) = done_notice(user.lang, "isolation", &q.done);
    if let (true, Ok(n)) = (notice.done.is_some(), q.n.parse::<u64>()) {
        notice.outcome = vec![("isolation.placed_people".to_string(), n)];
    }
    queue_page(&state, &user, None, (notice, status)).await
}

/// `POST /isolation/queue/propose`: the allocator's proposal for the ticked people (or the
/// first of the queue). Nothing is stored.
pub async fn propose(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let f = Fields(form);
    check_csrf(&user, f.one("csrf"))?;
    let queue = state
        .app
        .placement_queue(&user.actor)
        .await
        .map_err(err(user.lang))?;
    let choices = Choices {
        measures: batch(&queue, &f.ids("measure")),
        ..Choices::default()
    };
    queue_page(
        &state,
        &user,
        Some(choices),
        (Notice::default(), StatusCode::OK),
    )
    .await
}

/// `POST /isolation/queue/place`: commits the proposal's table, all rows with a room or
/// none: per row `measure`, `room.{measure}` and `reason.{measure}` (a room other than the
/// proposal's needs the reason). Rows left without a room wait.
pub async fn place(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let f = Fields(form);
    check_csrf(&user, f.one("csrf"))?;
    let lang = user.lang;
    let measures = f.ids("measure");
    let mut invalid = Vec::new();
    let mut input = Vec::new();
    let mut choices = Choices {
        measures: measures.clone(),
        ..Choices::default()
    };
    for m in &measures {
        let room = f.one(&format!("room.{m}")).trim().to_string();
        let reason = f.one(&format!("reason.{m}")).to_string();
        if !room.is_empty() {
            let room_id = id_field(&format!("room.{m}"), &room, &mut invalid);
            input.push(PlacementInput {
                measure_id: *m,
                room_id,
                override_reason: opt(&reason),
            });
        }
        choices.rooms.insert(*m, room);
        choices.reasons.insert(*m, reason);
    }
    let result = if !invalid.is_empty() {
        Err(Error::Invalid(invalid))
    } else if input.is_empty() {
        Err(Error::invalid(
            "placements",
            text(lang, "isolation.choose_a_room"),
        ))
    } else {
        state.app.place(&user.actor, &input, Some(&measures)).await
    };
    match result {
        Ok(stays) => Ok(
            Redirect::to(&format!("/isolation/queue?done=placed&n={}", stays.len()))
                .into_response(),
        ),
        Err(e) => {
            // `placements[i]` names the i-th room chosen: show whose it was.
            let queue = state
                .app
                .placement_queue(&user.actor)
                .await
                .map_err(err(lang))?;
            let names: HashMap<i64, String> = queue
                .iter()
                .map(|q| (q.row.measure_id, mask_name(&q.row.name)))
                .collect();
            let e = match e {
                Error::Invalid(fields) => Error::Invalid(
                    fields
                        .into_iter()
                        .map(|(field, reason)| {
                            let who = field
                                .strip_prefix("placements[")
                                .and_then(|r| r.strip_suffix(']'))
                                .and_then(|i| i.parse::<usize>().ok())
                                .and_then(|i| input.get(i))
                                .map(|p| {
                                    let name = names.get(&p.measure_id).cloned();
                                    format!("{} (#{})", name.unwrap_or_default(), p.measure_id)
                                });
                            (who.unwrap_or(field), reason)
                        })
                        .collect(),
                ),
                other => other,
            };
            let shown = refused(e, lang)?;
            queue_page(&state, &user, Some(choices), shown).await
        }
    }
}

// ---------------------------------------------------------------------------------------
// A site.

async fn site_page(
    state: &AppState,
    user: &WebUser,
    id: i64,
    (notice, status): (Notice, StatusCode),
) -> PageResult {
    let e = err(user.lang);
    let lang = user.lang;
    let mut d = state
        .app
        .isolation_site(&user.actor, id)
        .await
        .map_err(&e)?;
    d.rooms
        .sort_by(|a, b| room_order(&a.room.number).cmp(&room_order(&b.room.number)));
    // Members of the teams on duty, when the user may read teams.
    let members: HashMap<i64, Vec<Value>> = match state.app.teams(&user.actor).await {
        Ok(teams) => teams
            .into_iter()
            .map(|t| {
                (
                    t.team.id,
                    t.members
                        .iter()
                        .map(|m| {
                            context! {
                                name => m.name.clone(), leader => m.leader,
                                specialty => name_of!(fangkong_domain::Specialty, lang, &m.specialty),
                            }
                        })
                        .collect(),
                )
            })
            .collect(),
        Err(Error::Forbidden) => HashMap::new(),
        Err(other) => return Err(e(other)),
    };
    let mut by_status: BTreeMap<&str, i64> = BTreeMap::new();
    for r in &d.rooms {
        *by_status.entry(r.status.as_str()).or_default() += 1;
    }
    let page = context! {
        site => site_value(&d.site, lang),
        rooms => d.rooms.iter().map(|r| context! {
            id => r.room.id,
            number => r.room.number.clone(),
            beds => r.room.beds,
            accessible => r.room.accessible,
            occupants => r.room.occupants,
            status => r.status.as_str(),
            status_name => by_lang(lang, r.status.name_zh(), r.status.name_en()),
            ready_at => r.ready_at.map(china_time),
            reason => r.room.out_of_service_reason.clone(),
        }).collect::<Vec<_>>(),
        statuses => RoomStatus::ALL.iter().map(|s| context! {
            key => s.as_str(), name => by_lang(lang, s.name_zh(), s.name_en()),
            n => by_status.get(s.as_str()).copied().unwrap_or(0),
        }).collect::<Vec<_>>(),
        stays => d.stays.iter().map(|s| stay_value(s, lang)).collect::<Vec<_>>(),
        on_duty => d.on_duty.iter().map(|dep| context! {
            team_id => dep.team_id, team_name => dep.team_name.clone(),
            starts_on => dep.starts_on.clone(), ends_on => dep.ends_on.clone(),
            members => members.get(&dep.team_id).cloned().unwrap_or_default(),
        }).collect::<Vec<_>>(),
        hospitals => transfer_choices(state, user).await?,
        transfer => TransferForm::default().value(),
        bed_types => options!(BedType, lang),
        severities => options!(Severity, lang),
        can_operate => user.actor.scope.can(Permission::IsolationOperate),
        notice => notice.value(),
    };
    let here = format!("/isolation/sites/{id}");
    answer(
        render_page(state, user, "isolation/site.html", "isolation", &here, page),
        status,
    )
}

/// `GET /isolation/sites/{id}`.
pub async fn site(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let shown = done_notice(user.lang, "isolation", &q.done);
    site_page(&state, &user, id, shown).await
}

/// A site's turnaround form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TurnaroundForm {
    csrf: String,
    hours: String,
}

/// `POST /isolation/sites/{id}/turnaround`.
pub async fn turnaround(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(form): Form<TurnaroundForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let mut invalid = Vec::new();
    let hours = id_field("turnaround_hours", &form.hours, &mut invalid);
    let r = if invalid.is_empty() {
        state
            .app
            .set_site_turnaround(&user.actor, id, hours)
            .await
            .map(|_| ())
    } else {
        Err(Error::Invalid(invalid))
    };
    match r {
        Ok(()) => {
            Ok(Redirect::to(&format!("/isolation/sites/{id}?done=turnaround_set")).into_response())
        }
        Err(e) => {
            let shown = refused(e, user.lang)?;
            site_page(&state, &user, id, shown).await
        }
    }
}

/// The take-out and return form of a room.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RoomServiceForm {
    csrf: String,
    /// `out` (with the reason) or `in`.
    action: String,
    reason: String,
}

/// `POST /isolation/sites/{id}/rooms/{room_id}/service`: takes an empty room out of
/// service or returns it.
pub async fn room_service(
    State(state): State<AppState>,
    user: WebUser,
    Path((id, room_id)): Path<(i64, i64)>,
    Form(form): Form<RoomServiceForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let (reason, done) = if form.action == "in" {
        (None, "room_returned")
    } else {
        (Some(form.reason.as_str()), "room_taken_out")
    };
    match state
        .app
        .set_room_service(&user.actor, room_id, reason)
        .await
    {
        Ok(r) => Ok(Redirect::to(&format!(
            "/isolation/sites/{}?done={done}",
            r.room.facility_id
        ))
        .into_response()),
        Err(e) => {
            let shown = refused(e, user.lang)?;
            site_page(&state, &user, id, shown).await
        }
    }
}

// ---------------------------------------------------------------------------------------
// A stay.

/// The transfer form as typed, shown again after a refusal.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TransferForm {
    csrf: String,
    back: String,
    hospital_id: String,
    bed_type: String,
    severity: String,
    note: String,
}

impl TransferForm {
    fn value(&self) -> Value {
        context! {
            hospital_id => self.hospital_id.trim().parse::<i64>().ok(),
            bed_type => self.bed_type.clone(), severity => self.severity.clone(),
            note => self.note.clone(),
        }
    }
}

/// The stages of the measure after the stay (the days at home), with their dates.
fn after_stay(v: &StayView, lang: Lang) -> Vec<Value> {
    let mut first = v.measure.starts_on;
    let mut out = Vec::new();
    let mut past_centralised = false;
    for s in &v.measure.plan.stages {
        let days = i64::from(s.days);
        let last = first + Duration::days(days.max(1) - 1);
        if s.kind == StageKind::CentralisedQuarantine {
            past_centralised = true;
        } else if past_centralised && days > 0 {
            out.push(context! {
                kind => by_lang(lang, s.kind.name_zh(), s.kind.name_en()),
                days => s.days, from => first.to_string(), to => last.to_string(),
            });
        }
        first += Duration::days(days);
    }
    out
}

fn stay_view_value(v: &StayView, lang: Lang) -> Value {
    let m = &v.measure;
    context! {
        stay => stay_value(&v.stay, lang),
        measure => context! {
            id => m.measure.id,
            status => m.measure.status.clone(),
            plan => by_lang(lang, &m.plan.text_zh(), &m.plan.text_en()),
            starts_on => m.starts_on.to_string(),
            ends_on => m.ends_on.to_string(),
            pocket_name => name_of!(Pocket, lang, &m.measure.pocket),
        },
        tests => m.tests.iter().map(|t| context! {
            day => t.day, date => t.date.to_string(), state => t.state.as_str(),
            tube_code => t.tube_code.clone(),
        }).collect::<Vec<_>>(),
        checks => m.checks.iter().map(|c| context! {
            day => c.day.clone(), temperature => format!("{:.1}", c.temperature),
            fever => c.temperature >= fangkong_app::measures::FEVER_CELSIUS,
            symptoms => c.symptoms.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect::<Vec<_>>(),
            reported_by => c.reported_by.clone(), reporter => c.reporter.clone(),
            recorded_at => china_time(c.recorded_at),
        }).collect::<Vec<_>>(),
        blockers => v.blockers.iter().map(|b| by_lang(lang, &b.text_zh(), &b.text_en())).collect::<Vec<_>>(),
        ends_measure => v.ends_measure,
        after => after_stay(v, lang),
    }
}

async fn stay_page(
    state: &AppState,
    user: &WebUser,
    id: i64,
    (notice, status): (Notice, StatusCode),
    transfer: Option<&TransferForm>,
) -> PageResult {
    let e = err(user.lang);
    let lang = user.lang;
    let v = state.app.stay_detail(&user.actor, id).await.map_err(&e)?;
    let blank = TransferForm::default();
    let page = context! {
        v => stay_view_value(&v, lang),
        hospitals => if v.stay.status == StayStatus::In.as_str() { transfer_choices(state, user).await? } else { Vec::new() },
        bed_types => options!(BedType, lang),
        severities => options!(Severity, lang),
        transfer => transfer.unwrap_or(&blank).value(),
        can_operate => user.actor.scope.can(Permission::IsolationOperate),
        today => state.app.today().to_string(),
        symptoms => fangkong_app::measures::SYMPTOMS,
        notice => notice.value(),
    };
    let here = format!("/isolation/stays/{id}");
    answer(
        render_page(state, user, "isolation/stay.html", "isolation", &here, page),
        status,
    )
}

/// `GET /isolation/stays/{id}`.
pub async fn stay(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let shown = done_notice(user.lang, "isolation", &q.done);
    stay_page(&state, &user, id, shown, None).await
}

/// A stay action's form: the token, the page to return to (`site` or the stay's own) and
/// the cancellation's reason.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StayForm {
    csrf: String,
    back: String,
    reason: String,
}

/// After a stay action: back to the site's page or the stay's (with `done`), or that page
/// with the refusal.
async fn after_stay_action<T>(
    state: &AppState,
    user: &WebUser,
    id: i64,
    back: &str,
    result: Result<T, Error>,
    done: &str,
    transfer: Option<&TransferForm>,
) -> PageResult {
    let site = if back == "site" {
        Some(
            state
                .app
                .stay_detail(&user.actor, id)
                .await
                .map_err(err(user.lang))?
                .stay
                .facility_id,
        )
    } else {
        None
    };
    match (result, site) {
        (Ok(_), Some(site)) => {
            Ok(Redirect::to(&format!("/isolation/sites/{site}?done={done}")).into_response())
        }
        (Ok(_), None) => {
            Ok(Redirect::to(&format!("/isolation/stays/{id}?done={done}")).into_response())
        }
        (Err(e), Some(site)) => {
            let shown = refused(e, user.lang)?;
            site_page(state, user, site, shown).await
        }
        (Err(e), None) => {
            let shown = refused(e, user.lang)?;
            stay_page(state, user, id, shown, transfer).await
        }
    }
}

/// `POST /isolation/stays/{id}/check-in`.
pub async fn check_in(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(form): Form<StayForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let r = state.app.check_in(&user.actor, id).await;
    after_stay_action(&state, &user, id, &form.back, r, "checked_in", None).await
}

/// `POST /isolation/stays/{id}/checks`: the day's health check of a checked-in person by the
/// site's staff (`day`, empty for today; `temperature`; `symptoms` once per ticked box).
pub async fn health_check(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let f = Fields(form);
    check_csrf(&user, f.one("csrf"))?;
    let day = match f.one("day").trim() {
        "" => Ok(None),
        d => chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| Error::invalid("day", "must be a date YYYY-MM-DD")),
    };
    let temperature = f
        .one("temperature")
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|t| t.is_finite())
        .ok_or_else(|| Error::invalid("temperature", "must be a number in °C"));
    let r = match (day, temperature) {
        (Ok(day), Ok(t)) => {
            state
                .app
                .stay_health_check(&user.actor, id, day, t, &f.all("symptoms"))
                .await
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    after_stay_action(&state, &user, id, "stay", r, "checked", None).await
}

/// `POST /isolation/stays/{id}/cancel`: cancels a placement before check-in (with the
/// reason); the person is back in the queue.
pub async fn cancel(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(form): Form<StayForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let r = state
        .app
        .cancel_placement(&user.actor, id, &form.reason)
        .await;
    after_stay_action(&state, &user, id, &form.back, r, "cancelled", None).await
}

/// `POST /isolation/stays/{id}/release`: refused (409, every unmet criterion) while a
/// blocker holds.
pub async fn release(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(form): Form<StayForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let r = state.app.release_stay(&user.actor, id).await;
    after_stay_action(&state, &user, id, &form.back, r, "released", None).await
}

/// `POST /isolation/stays/{id}/transfer`: an early transfer to a designated hospital (a full
/// ward changes nothing: 409).
pub async fn transfer(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(form): Form<TransferForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let mut invalid = Vec::new();
    let hospital_id = id_field("hospital_id", &form.hospital_id, &mut invalid);
    let r = if invalid.is_empty() {
        let input = TransferInput {
            hospital_id,
            bed_type: form.bed_type.trim().to_string(),
            severity: form.severity.trim().to_string(),
            note: form.note.clone(),
        };
        state.app.transfer_stay(&user.actor, id, &input).await
    } else {
        Err(Error::Invalid(invalid))
    };
    after_stay_action(&state, &user, id, &form.back, r, "transferred", Some(&form)).await
}

/// `GET /isolation/stays/{id}/certificate`: the printable release certificate of a released
/// stay (the app audits it as a disclosure).
pub async fn certificate(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
) -> PageResult {
    let lang = user.lang;
    let v = state
        .app
        .release_certificate(&user.actor, id)
        .await
        .map_err(err(lang))?;
    let day = |ms: Option<i64>| ms.map(|t| china_time(t).chars().take(10).collect::<String>());
    let page = context! {
        v => stay_view_value(&v, lang),
        from => day(v.stay.checked_in_at),
        to => day(v.stay.checked_out_at),
    };
    let here = format!("/isolation/stays/{id}/certificate");
    render_page(
        &state,
        &user,
        "isolation/certificate.html",
        "isolation",
        &here,
        page,
    )
}
