//! `/api/v1/isolation`: quarantine sites and rooms, the placement queue, allocation proposals
//! and placements, stays (check-in, release with certificate, early transfer to hospital,
//! cancellation) and the room forecast.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use fangkong_api_types::{
    CapacityForecast, CapacityForecastDay, IsolationRoom, IsolationSite, IsolationSiteDetail,
    IsolationStay, IsolationStayDetail, Page, PlacementCommitRequest, PlacementProposal,
    PlacementProposalRequest, PlacementQueueEntry, Problem, ProposedPlacement, ProposedUnplaced,
    ReasonBody, SiteCreate, StayHealthCheck, StayTransfer, StayTransferResult, TeamDeployment,
    TurnaroundBody,
};
use fangkong_app::forecast::PoolForecast;
use fangkong_app::isolation::{PlacementInput, RoomView, SiteInput, TransferInput};
use fangkong_app::Error;
use fangkong_domain::mask::mask_name;
use fangkong_store::isolation::{SiteRow, Stay, StayFilter};
use fangkong_store::treatment::Deployment;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::AppState;

pub(crate) fn site_to_wire(s: &SiteRow) -> IsolationSite {
    IsolationSite {
        id: s.id,
        name: s.name.clone(),
        kind: s.subtype.clone(),
        community_code: s.community_code.clone(),
        lon: s.lon,
        lat: s.lat,
        turnaround_hours: s.turnaround_hours,
        rooms: s.rooms,
        beds: s.beds,
        occupied: s.occupied,
        occupants: s.occupants,
        cleaning: s.cleaning,
        out_of_service: s.out_of_service,
        free: s.free(),
    }
}

fn room_to_wire(r: &RoomView) -> IsolationRoom {
    IsolationRoom {
        id: r.room.id,
        site_id: r.room.facility_id,
        number: r.room.number.clone(),
        beds: r.room.beds,
        accessible: r.room.accessible,
        status: r.status.as_str().to_string(),
        occupants: r.room.occupants,
        ready_at: r.ready_at,
        out_of_service_reason: r.room.out_of_service_reason.clone(),
    }
}

pub(crate) fn stay_to_wire(s: &Stay) -> IsolationStay {
    IsolationStay {
        id: s.id,
        person_id: s.person_id,
        person_name: mask_name(&s.person_name),
        id_number: s.doc_masked.clone(),
        measure_id: s.measure_id,
        site_id: s.facility_id,
        site_name: s.site_name.clone(),
        room_id: s.room_id,
        room_number: s.room_number.clone(),
        status: s.status.clone(),
        planned_release_on: s.planned_release_on.clone(),
        placed_at: s.placed_at,
        placed_by: s.placed_by.clone(),
        explanation: s.explanation.clone(),
        overridden: s.overridden,
        checked_in_at: s.checked_in_at,
        checked_out_at: s.checked_out_at,
        outcome: s.outcome.clone(),
        outcome_note: s.outcome_note.clone(),
        certificate_no: s.certificate_no.clone(),
    }
}

pub(crate) fn deployment_to_wire(d: &Deployment) -> TeamDeployment {
    TeamDeployment {
        id: d.id,
        team_id: d.team_id,
        team_name: d.team_name.clone(),
        facility_id: d.facility_id,
        facility_name: d.facility_name.clone(),
        facility_kind: d.facility_kind.clone(),
        starts_on: d.starts_on.clone(),
        ends_on: d.ends_on.clone(),
    }
}

pub(crate) fn forecast_to_wire(f: &PoolForecast) -> CapacityForecast {
    CapacityForecast {
        pool: f.pool.clone(),
        today: f.today.to_string(),
        capacity: f.capacity,
        occupied: f.occupied,
        cleaning: f.cleaning,
        length_of_stay: f.length_of_stay,
        inflow_per_day: f.inflow_per_day,
        days: f
            .days
            .iter()
            .map(|d| CapacityForecastDay {
                date: d.date.to_string(),
                arrivals: d.arrivals,
                departures: d.departures,
                occupied: d.occupied,
                cleaning: d.cleaning,
                free: d.free,
            })
            .collect(),
        runs_out_on: f.runs_out_on.map(|d: NaiveDate| d.to_string()),
        source: f.source.to_string(),
        scenario_id: f.scenario_id,
    }
}

/// Quarantine sites inside the caller's jurisdiction with their room counts now.
#[utoipa::path(get, path = "/api/v1/isolation/sites", tag = "isolation",
    responses((status = 200, body = Vec<IsolationSite>), (status = 403, body = Problem)))]
pub async fn sites(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<IsolationSite>>> {
    let rows = state.app.isolation_sites(&actor).await?;
    Ok(Json(rows.iter().map(site_to_wire).collect()))
}

/// Set up a quarantine site (hotel, purpose-built or makeshift hospital) with its rooms.
#[utoipa::path(post, path = "/api/v1/isolation/sites", tag = "isolation", request_body = SiteCreate,
    responses((status = 201, body = IsolationSite), (status = 403, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)))]
pub async fn create_site(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(b): Json<SiteCreate>,
) -> ApiResult<(StatusCode, Json<IsolationSite>)> {
    let s = state
        .app
        .create_site(
            &actor,
            &SiteInput {
                name: b.name,
                kind: b.kind,
                community_code: b.community_code,
                lon: b.lon,
                lat: b.lat,
                turnaround_hours: b.turnaround_hours,
                rooms: b
                    .rooms
                    .into_iter()
                    .map(|r| (r.number, r.beds, r.accessible))
                    .collect(),
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(site_to_wire(&s))))
}

/// A site with its rooms, open stays and the teams on duty today.
#[utoipa::path(get, path = "/api/v1/isolation/sites/{id}", tag = "isolation",
    params(("id" = i64, Path, description = "Site (facility) id")),
    responses((status = 200, body = IsolationSiteDetail), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn site(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Json<IsolationSiteDetail>> {
    let d = state.app.isolation_site(&actor, id).await?;
    Ok(Json(IsolationSiteDetail {
        site: site_to_wire(&d.site),
        rooms: d.rooms.iter().map(room_to_wire).collect(),
        stays: d.stays.iter().map(stay_to_wire).collect(),
        on_duty: d.on_duty.iter().map(deployment_to_wire).collect(),
    }))
}

/// Set a site's turnaround rule (hours of cleaning after a check-out, 0–168).
#[utoipa::path(post, path = "/api/v1/isolation/sites/{id}/turnaround", tag = "isolation",
    params(("id" = i64, Path, description = "Site id")), request_body = TurnaroundBody,
    responses((status = 200, body = IsolationSite), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn set_turnaround(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(b): Json<TurnaroundBody>,
) -> ApiResult<Json<IsolationSite>> {
    let s = state
        .app
        .set_site_turnaround(&actor, id, b.turnaround_hours)
        .await?;
    Ok(Json(site_to_wire(&s)))
}

/// Take an empty room out of service (with `reason`) or back into service (no reason).
#[utoipa::path(post, path = "/api/v1/isolation/rooms/{id}/service", tag = "isolation",
    params(("id" = i64, Path, description = "Room id")), request_body = ReasonBody,
    responses((status = 200, body = IsolationRoom), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn room_service(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(b): Json<ReasonBody>,
) -> ApiResult<Json<IsolationRoom>> {
    let r = state
        .app
        .set_room_service(&actor, id, b.reason.as_deref())
        .await?;
    Ok(Json(room_to_wire(&r)))
}

/// People of the caller's jurisdiction waiting for a room, oldest measure first.
#[utoipa::path(get, path = "/api/v1/isolation/queue", tag = "isolation",
    responses((status = 200, body = Vec<PlacementQueueEntry>), (status = 403, body = Problem)))]
pub async fn queue(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<PlacementQueueEntry>>> {
    let q = state.app.placement_queue(&actor).await?;
    Ok(Json(
        q.iter()
            .map(|e| PlacementQueueEntry {
                measure_id: e.row.measure_id,
                person_id: e.row.person_id,
                person_name: mask_name(&e.row.name),
                id_number: e.row.doc_masked.clone(),
                community_code: e.row.community_code.clone(),
                pocket: e.row.pocket.clone(),
                age: e.age,
                elderly: e.elderly,
                child: e.child,
                disability: e.disability,
                household_key: e.household_key,
                centralised_from: e.centralised_from.to_string(),
                centralised_to: e.centralised_to.to_string(),
            })
            .collect(),
    ))
}

/// Propose rooms for the queue (or the given measures): households together, the nearest
/// site with room, accessible rooms for the elderly and disabled, children with an adult.
/// Nothing is stored.
#[utoipa::path(post, path = "/api/v1/isolation/placements:propose", tag = "isolation",
    request_body = PlacementProposalRequest,
    responses((status = 200, body = PlacementProposal), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn propose(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(b): Json<PlacementProposalRequest>,
) -> ApiResult<Json<PlacementProposal>> {
    let p = state
        .app
        .propose_placement(&actor, b.measure_ids.as_deref())
        .await?;
    Ok(Json(PlacementProposal {
        placements: p
            .placements
            .iter()
            .map(|x| ProposedPlacement {
                measure_id: x.measure_id,
                person_id: x.person_id,
                site_id: x.site_id,
                site_name: x.site_name.clone(),
                room_id: x.room_id,
                room_number: x.room_number.clone(),
                distance_km: x.distance_km,
                notes_zh: x.notes_zh.clone(),
                notes_en: x.notes_en.clone(),
            })
            .collect(),
        unplaced: p
            .unplaced
            .iter()
            .map(|u| ProposedUnplaced {
                measure_id: u.measure_id,
                person_id: u.person_id,
                reason_zh: u.reason_zh.clone(),
                reason_en: u.reason_en.clone(),
            })
            .collect(),
        households: p.households,
        split_households: p.split_households,
        free_rooms: p.free_rooms,
    }))
}

/// Commit placements, all or nothing (each the proposal's room, or another with
/// `override_reason`).
#[utoipa::path(post, path = "/api/v1/isolation/placements", tag = "isolation",
    request_body = PlacementCommitRequest,
    responses((status = 201, body = Vec<IsolationStay>), (status = 403, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem)))]
pub async fn place(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(b): Json<PlacementCommitRequest>,
) -> ApiResult<(StatusCode, Json<Vec<IsolationStay>>)> {
    let input: Vec<PlacementInput> = b
        .placements
        .iter()
        .cloned()
        .map(|p| PlacementInput {
            measure_id: p.measure_id,
            room_id: p.room_id,
            override_reason: p.override_reason,
        })
        .collect();
    let stays = state
        .app
        .place(&actor, &input, b.proposed_for.as_deref())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(stays.iter().map(stay_to_wire).collect()),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct StayQuery {
    /// Only stays at this site.
    site: Option<i64>,
    /// Only placed and checked-in stays.
    open: Option<bool>,
    limit: Option<i64>,
}

/// Stays at the sites inside the caller's jurisdiction, newest first.
#[utoipa::path(get, path = "/api/v1/isolation/stays", tag = "isolation", params(StayQuery),
    responses((status = 200, body = Page<IsolationStay>), (status = 403, body = Problem)))]
pub async fn stays(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<StayQuery>,
) -> ApiResult<Json<Page<IsolationStay>>> {
    let rows = state
        .app
        .stays(
            &actor,
            &StayFilter {
                site: q.site,
                open_only: q.open.unwrap_or(false),
                limit: q.limit.unwrap_or(500).clamp(1, 5_000),
            },
        )
        .await?;
    Ok(Json(Page {
        items: rows.iter().map(stay_to_wire).collect(),
        total: None,
    }))
}

fn stay_detail_to_wire(v: &fangkong_app::isolation::StayView) -> IsolationStayDetail {
    IsolationStayDetail {
        stay: stay_to_wire(&v.stay),
        blockers: v.blockers.iter().map(|b| b.text_en()).collect(),
        ends_measure: v.ends_measure,
        measure_status: v.measure.measure.status.clone(),
    }
}

/// A stay with what still blocks its release.
#[utoipa::path(get, path = "/api/v1/isolation/stays/{id}", tag = "isolation",
    params(("id" = i64, Path, description = "Stay id")),
    responses((status = 200, body = IsolationStayDetail), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn stay(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Json<IsolationStayDetail>> {
    let v = state.app.stay_detail(&actor, id).await?;
    Ok(Json(stay_detail_to_wire(&v)))
}

/// Check a placed person in (a second check-in is refused).
#[utoipa::path(post, path = "/api/v1/isolation/stays/{id}/check-in", tag = "isolation",
    params(("id" = i64, Path, description = "Stay id")),
    responses((status = 200, body = IsolationStayDetail), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem)))]
pub async fn check_in(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Json<IsolationStayDetail>> {
    let v = state.app.check_in(&actor, id).await?;
    Ok(Json(stay_detail_to_wire(&v)))
}

/// Record the day's health check of a person staying at the site.
#[utoipa::path(post, path = "/api/v1/isolation/stays/{id}/health-checks", tag = "isolation",
    params(("id" = i64, Path, description = "Stay id")), request_body = StayHealthCheck,
    responses((status = 201, body = IsolationStayDetail), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn health_check(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(b): Json<StayHealthCheck>,
) -> ApiResult<(StatusCode, Json<IsolationStayDetail>)> {
    let day = match b.day.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => None,
        Some(d) => Some(
            NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| Error::invalid("day", "must be a date YYYY-MM-DD"))?,
        ),
    };
    let v = state
        .app
        .stay_health_check(&actor, id, day, b.temperature, &b.symptoms)
        .await?;
    Ok((StatusCode::CREATED, Json(stay_detail_to_wire(&v))))
}

/// Release a checked-in person whose criteria all hold (refused listing each unmet one).
#[utoipa::path(post, path = "/api/v1/isolation/stays/{id}/release", tag = "isolation",
    params(("id" = i64, Path, description = "Stay id")),
    responses((status = 200, body = IsolationStayDetail), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem)))]
pub async fn release(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Json<IsolationStayDetail>> {
    let v = state.app.release_stay(&actor, id).await?;
    Ok(Json(stay_detail_to_wire(&v)))
}

/// Cancel a placement before check-in (the person returns to the queue).
#[utoipa::path(post, path = "/api/v1/isolation/stays/{id}/cancel", tag = "isolation",
    params(("id" = i64, Path, description = "Stay id")), request_body = ReasonBody,
    responses((status = 200, body = IsolationStay), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn cancel(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(b): Json<ReasonBody>,
) -> ApiResult<Json<IsolationStay>> {
    let s = state
        .app
        .cancel_placement(&actor, id, b.reason.as_deref().unwrap_or(""))
        .await?;
    Ok(Json(stay_to_wire(&s)))
}

/// Transfer a checked-in person early to a designated hospital (refused when the ward is
/// full; nothing changes then).
#[utoipa::path(post, path = "/api/v1/isolation/stays/{id}/transfer", tag = "isolation",
    params(("id" = i64, Path, description = "Stay id")), request_body = StayTransfer,
    responses((status = 200, body = StayTransferResult), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn transfer(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(b): Json<StayTransfer>,
) -> ApiResult<Json<StayTransferResult>> {
    let (stay, admission_id) = state
        .app
        .transfer_stay(
            &actor,
            id,
            &TransferInput {
                hospital_id: b.hospital_id,
                bed_type: b.bed_type,
                severity: b.severity,
                note: b.note,
            },
        )
        .await?;
    Ok(Json(StayTransferResult {
        stay: stay_to_wire(&stay),
        admission_id,
    }))
}

/// Rooms over the next 14 days at the sites inside the caller's jurisdiction.
#[utoipa::path(get, path = "/api/v1/isolation/forecast", tag = "isolation",
    responses((status = 200, body = CapacityForecast), (status = 403, body = Problem)))]
pub async fn forecast(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<CapacityForecast>> {
    let f = state.app.isolation_forecast(&actor).await?;
    Ok(Json(forecast_to_wire(&f)))
}
