//! `/api/v1/tracing`: epidemiological investigation — cases and their reclassification,
//! itineraries, venues and check-ins, exposure matching, contacts, transmission chains and
//! timeliness.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use fangkong_api_types::{
    CaseCreate, CaseDetail, CaseEvent, CaseUpdate, ChainCluster, ChainEdge, ChainNode, Chains,
    CheckinCreate, CheckinImportReport, ContactDecision, ExposureCandidate, FieldError,
    ItineraryCreate, ItineraryEntry, LinkCreate, Page, Problem, SerialIntervalSummary, TraceCase,
    TraceContact, TracingTimeliness, TransmissionLink, Venue,
};
use fangkong_app::tracing::{
    case_timeliness, Candidate, CaseInput, ContactInput, ItineraryInput, LinkInput,
    DEFAULT_MARGIN_MINUTES,
};
use fangkong_app::Error;
use fangkong_domain::mask::mask_name;
use fangkong_domain::{CaseClass, JurisdictionCode};
use fangkong_store::tracing as st;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::AppState;

const DAY_MS: i64 = 86_400_000;

pub(crate) fn case_to_wire(c: &st::Case) -> TraceCase {
    let t = case_timeliness(c);
    TraceCase {
        id: c.id,
        person_id: c.person_id,
        person_name: mask_name(&c.person_name),
        id_number: c.person_doc_masked.clone(),
        community_code: c.community_code.clone(),
        classification: c.fields.classification.clone(),
        detection: c.detection.clone(),
        source_tube: c.source_tube.clone(),
        source_alert: c.source_alert.clone(),
        onset_at: c.fields.onset_at,
        detected_at: c.detected_at,
        reported_at: c.reported_at,
        isolated_at: c.fields.isolated_at,
        admitted_at: c.fields.admitted_at,
        severity: c.fields.severity.clone(),
        outcome: c.fields.outcome.clone(),
        outcome_at: c.fields.outcome_at,
        itinerary_completed_at: c.fields.itinerary_completed_at,
        contacts_completed_at: c.fields.contacts_completed_at,
        contacts_controlled_at: c.fields.contacts_controlled_at,
        itinerary_hours: t.itinerary_hours,
        contacts_hours: t.contacts_hours,
    }
}

fn contact_to_wire(c: &st::Contact) -> TraceContact {
    TraceContact {
        id: c.id,
        case_id: c.case_id,
        person_id: c.person_id,
        person_name: mask_name(&c.person_name),
        id_number: c.person_doc_masked.clone(),
        community_code: c.community_code.clone(),
        degree: c.degree.clone(),
        via_contact_id: c.via_contact_id,
        setting: c.setting.clone(),
        venue_id: c.venue_id,
        venue_name: c.venue_name.clone(),
        last_exposure_at: c.last_exposure_at,
        overlap_minutes: c.overlap_minutes,
        status: c.status.clone(),
        measure_id: c.measure_id,
        measure_status: c.measure_status.clone(),
        controlled_at: c.controlled_at,
        decided_at: c.decided_at,
        decided_by: c.decided_by.clone(),
        note: c.note.clone(),
    }
}

fn link_to_wire(l: &st::Link) -> TransmissionLink {
    TransmissionLink {
        id: l.id,
        infector_case_id: l.infector_case_id,
        infectee_case_id: l.infectee_case_id,
        confidence: l.confidence.clone(),
        setting: l.setting.clone(),
        note: l.note.clone(),
        created_at: l.created_at,
        created_by: l.created_by.clone(),
    }
}

fn venue_to_wire(v: &st::Venue) -> Venue {
    Venue {
        id: v.id,
        place_code: v.place_code.clone(),
        name: v.name.clone(),
        kind: v.kind.clone(),
        subtype: v.subtype.clone(),
        community_code: v.community_code.clone(),
    }
}

fn itinerary_to_wire(e: &st::ItineraryEntry) -> ItineraryEntry {
    ItineraryEntry {
        id: e.id,
        start_at: e.start_at,
        end_at: e.end_at,
        venue_id: e.venue_id,
        venue_name: e.venue_name.clone(),
        place_code: e.place_code.clone(),
        address: e.address.clone(),
        transport_kind: e.transport_kind.clone(),
        transport_no: e.transport_no.clone(),
        carriage: e.carriage.clone(),
        seat: e.seat.clone(),
        note: e.note.clone(),
    }
}

fn candidate_to_wire(c: &Candidate) -> ExposureCandidate {
    ExposureCandidate {
        person_id: c.person.id,
        person_name: mask_name(&c.person.name),
        id_number: c.person.doc_masked.clone(),
        community_code: c.person.community_code.clone(),
        setting: c.setting.as_str().to_string(),
        venue: c.venue.as_ref().map(venue_to_wire),
        overlap_minutes: c.overlap_minutes,
        first_at: c.first_at,
        last_at: c.last_at,
        pairs: c.pairs,
        in_scope: c.in_scope,
    }
}

/// Filters of the case list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct CaseQuery {
    /// `suspected`, `asymptomatic`, `confirmed` or `excluded`.
    classification: Option<String>,
    /// Only cases within this jurisdiction (a county code, usually).
    county: Option<String>,
    limit: Option<i64>,
}

/// Cases inside the caller's jurisdiction, latest report first.
#[utoipa::path(get, path = "/api/v1/tracing/cases", tag = "tracing", params(CaseQuery),
    responses((status = 200, body = Page<TraceCase>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn cases(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<CaseQuery>,
) -> ApiResult<Json<Page<TraceCase>>> {
    let class = match q.classification.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(CaseClass::parse(c).ok_or_else(|| {
            Error::invalid(
                "classification",
                format!("must be one of {}", CaseClass::keys()),
            )
        })?),
    };
    let county = match q.county.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => {
            Some(JurisdictionCode::parse(c).map_err(|e| Error::invalid("county", e.to_string()))?)
        }
    };
    let cases = state
        .app
        .cases(&actor, class, county.as_ref(), q.limit.unwrap_or(200))
        .await?;
    Ok(Json(Page {
        items: cases.iter().map(case_to_wire).collect(),
        total: None,
    }))
}

/// Register a case (a person of the caller's jurisdiction, not a case already).
#[utoipa::path(post, path = "/api/v1/tracing/cases", tag = "tracing", request_body = CaseCreate,
    responses((status = 201, body = TraceCase), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn register_case(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(b): Json<CaseCreate>,
) -> ApiResult<(StatusCode, Json<TraceCase>)> {
    let input = CaseInput {
        person_id: b.person_id,
        id_number: b.id_number,
        classification: b.classification,
        detection: b.detection,
        source_tube: b.source_tube,
        source_alert: b.source_alert,
        onset_at: b.onset_at,
        detected_at: b.detected_at,
        reported_at: b.reported_at,
        severity: b.severity,
    };
    let case = state.app.register_case(&actor, &input).await?;
    Ok((StatusCode::CREATED, Json(case_to_wire(&case))))
}

/// Suspected cases from testing (a positive single tube) not registered yet.
#[utoipa::path(get, path = "/api/v1/tracing/pending", tag = "tracing",
    responses((status = 200, body = Vec<fangkong_api_types::PendingCase>), (status = 403, body = Problem)))]
pub async fn pending(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<fangkong_api_types::PendingCase>>> {
    let rows = state.app.pending_cases(&actor).await?;
    Ok(Json(
        rows.iter()
            .map(|p| fangkong_api_types::PendingCase {
                person_id: p.person_id,
                person_name: mask_name(&p.person_name),
                id_number: p.person_doc_masked.clone(),
                community_code: p.community_code.clone(),
                tube_code: p.tube_code.clone(),
                flagged_at: p.flagged_at,
            })
            .collect(),
    ))
}

/// A case with its history, itinerary, contacts and links.
#[utoipa::path(get, path = "/api/v1/tracing/cases/{id}", tag = "tracing",
    params(("id" = i64, Path, description = "Case id")),
    responses((status = 200, body = CaseDetail), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn case(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Json<CaseDetail>> {
    let d = state.app.case_detail(&actor, id).await?;
    Ok(Json(CaseDetail {
        case: case_to_wire(&d.case),
        events: d
            .events
            .iter()
            .map(|e| CaseEvent {
                at: e.at,
                kind: e.kind.clone(),
                from_value: e.from_value.clone(),
                to_value: e.to_value.clone(),
                note: e.note.clone(),
                actor: e.actor.clone(),
            })
            .collect(),
        itinerary: d.itinerary.iter().map(itinerary_to_wire).collect(),
        contacts: d.contacts.iter().map(contact_to_wire).collect(),
        infected_by: d.infected_by.as_ref().map(link_to_wire),
        infected: d.infected.iter().map(link_to_wire).collect(),
        lookback_from: d.lookback.0,
        lookback_to: d.lookback.1,
    }))
}

/// Change a case: reclassify (suspected → asymptomatic/confirmed/excluded, asymptomatic →
/// confirmed/excluded, confirmed → excluded, excluded → suspected), severity, outcome,
/// onset, isolation and admission times. Each change is kept in the history.
#[utoipa::path(patch, path = "/api/v1/tracing/cases/{id}", tag = "tracing",
    params(("id" = i64, Path, description = "Case id")), request_body = CaseUpdate,
    responses((status = 200, body = TraceCase), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn update_case(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(b): Json<CaseUpdate>,
) -> ApiResult<Json<TraceCase>> {
    let u = fangkong_app::tracing::CaseUpdate {
        classification: b.classification,
        severity: b.severity,
        outcome: b.outcome,
        outcome_at: b.outcome_at,
        onset_at: b.onset_at,
        isolated_at: b.isolated_at,
        admitted_at: b.admitted_at,
        note: b.note,
    };
    let case = state.app.update_case(&actor, id, &u).await?;
    Ok(Json(case_to_wire(&case)))
}

/// Add entries to a case's itinerary (all or none).
#[utoipa::path(post, path = "/api/v1/tracing/cases/{id}/itinerary", tag = "tracing",
    params(("id" = i64, Path, description = "Case id")), request_body = ItineraryCreate,
    responses((status = 201, body = Vec<ItineraryEntry>), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn add_itinerary(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(b): Json<ItineraryCreate>,
) -> ApiResult<(StatusCode, Json<Vec<ItineraryEntry>>)> {
    let entries: Vec<ItineraryInput> = b
        .entries
        .into_iter()
        .map(|e| ItineraryInput {
            start_at: e.start_at,
            end_at: e.end_at,
            place_code: e.place_code,
            venue_id: e.venue_id,
            address: e.address,
            transport_kind: e.transport_kind,
            transport_no: e.transport_no,
            carriage: e.carriage,
            seat: e.seat,
            note: e.note,
        })
        .collect();
    let ids = state.app.add_itinerary(&actor, id, &entries).await?;
    let all = state.app.case_detail(&actor, id).await?.itinerary;
    Ok((
        StatusCode::CREATED,
        Json(
            all.iter()
                .filter(|e| ids.contains(&e.id))
                .map(itinerary_to_wire)
                .collect(),
        ),
    ))
}

/// Add the case's own check-ins in the look-back window to its itinerary; returns the
/// number added.
#[utoipa::path(post, path = "/api/v1/tracing/cases/{id}/itinerary:from-checkins", tag = "tracing",
    params(("id" = i64, Path, description = "Case id")),
    responses((status = 200, body = u64), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn itinerary_from_checkins(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Json<u64>> {
    let n = state.app.itinerary_from_checkins(&actor, id).await?;
    Ok(Json(n as u64))
}

/// Remove an itinerary entry.
#[utoipa::path(delete, path = "/api/v1/tracing/cases/{id}/itinerary/{entry_id}", tag = "tracing",
    params(("id" = i64, Path, description = "Case id"), ("entry_id" = i64, Path, description = "Entry id")),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn remove_itinerary_entry(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((id, entry_id)): Path<(i64, i64)>,
) -> ApiResult<StatusCode> {
    state
        .app
        .remove_itinerary_entry(&actor, id, entry_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mark the itinerary complete (the first timeliness milestone).
#[utoipa::path(post, path = "/api/v1/tracing/cases/{id}/itinerary:complete", tag = "tracing",
    params(("id" = i64, Path, description = "Case id")),
    responses((status = 200, body = TraceCase), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn complete_itinerary(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Json<TraceCase>> {
    Ok(Json(case_to_wire(
        &state.app.complete_itinerary(&actor, id).await?,
    )))
}

/// The exposure-matching margin.
#[derive(Debug, Deserialize, IntoParams)]
pub struct MarginQuery {
    /// Minutes (0–1440, default 30).
    margin_minutes: Option<i64>,
}

/// Candidate close contacts: people whose check-ins overlap the case's itinerary at the same
/// venue (widened by the margin), ranked by overlap, then household members.
#[utoipa::path(get, path = "/api/v1/tracing/cases/{id}/exposures", tag = "tracing",
    params(("id" = i64, Path, description = "Case id"), MarginQuery),
    responses((status = 200, body = Vec<ExposureCandidate>), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn exposures(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Query(q): Query<MarginQuery>,
) -> ApiResult<Json<Vec<ExposureCandidate>>> {
    let found = state
        .app
        .exposure_candidates(
            &actor,
            id,
            q.margin_minutes.unwrap_or(DEFAULT_MARGIN_MINUTES),
        )
        .await?;
    Ok(Json(found.iter().map(candidate_to_wire).collect()))
}

/// Candidate secondary contacts: household members of the confirmed close contacts, each
/// with the close contact they go through.
#[utoipa::path(get, path = "/api/v1/tracing/cases/{id}/secondary-candidates", tag = "tracing",
    params(("id" = i64, Path, description = "Case id")),
    responses((status = 200, body = Vec<fangkong_api_types::SecondaryCandidate>), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
pub async fn secondary_candidates(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<fangkong_api_types::SecondaryCandidate>>> {
    let found = state.app.secondary_candidates(&actor, id).await?;
    Ok(Json(
        found
            .iter()
            .map(|(via, p)| fangkong_api_types::SecondaryCandidate {
                via_contact_id: via.id,
                person_id: p.id,
                person_name: mask_name(&p.name),
                id_number: p.doc_masked.clone(),
                community_code: p.community_code.clone(),
                last_exposure_at: via.last_exposure_at,
            })
            .collect(),
    ))
}

fn contact_input(b: ContactDecision) -> ContactInput {
    ContactInput {
        person_id: b.person_id,
        degree: b.degree,
        via_contact_id: b.via_contact_id,
        setting: b.setting,
        venue_id: b.venue_id,
        last_exposure_at: b.last_exposure_at,
        overlap_minutes: b.overlap_minutes,
        note: b.note,
    }
}

/// Confirm a contact of a case: the person's control measure is assigned by the policy in
/// force (close, secondary or space-time contact).
#[utoipa::path(post, path = "/api/v1/tracing/cases/{id}/contacts", tag = "tracing",
    params(("id" = i64, Path, description = "Case id")), request_body = ContactDecision,
    responses((status = 200, body = TraceContact), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn confirm_contact(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(b): Json<ContactDecision>,
) -> ApiResult<Json<TraceContact>> {
    let c = state
        .app
        .confirm_contact(&actor, id, &contact_input(b))
        .await?;
    Ok(Json(contact_to_wire(&c)))
}

/// Dismiss a candidate: not a contact; not proposed again for this case.
#[utoipa::path(post, path = "/api/v1/tracing/cases/{id}/contacts:dismiss", tag = "tracing",
    params(("id" = i64, Path, description = "Case id")), request_body = ContactDecision,
    responses((status = 200, body = TraceContact), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn dismiss_contact(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(b): Json<ContactDecision>,
) -> ApiResult<Json<TraceContact>> {
    let c = state
        .app
        .dismiss_contact(&actor, id, &contact_input(b))
        .await?;
    Ok(Json(contact_to_wire(&c)))
}

/// Mark the contact list complete; every confirmed contact must be under a measure.
#[utoipa::path(post, path = "/api/v1/tracing/cases/{id}/contacts:complete", tag = "tracing",
    params(("id" = i64, Path, description = "Case id")),
    responses((status = 200, body = TraceCase), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn complete_contacts(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Json<TraceCase>> {
    Ok(Json(case_to_wire(
        &state.app.complete_contacts(&actor, id).await?,
    )))
}

/// Link an infector case to an infectee case (replacing the infectee's earlier link).
#[utoipa::path(post, path = "/api/v1/tracing/links", tag = "tracing", request_body = LinkCreate,
    responses((status = 201, body = TransmissionLink), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn link_cases(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(b): Json<LinkCreate>,
) -> ApiResult<(StatusCode, Json<TransmissionLink>)> {
    let input = LinkInput {
        infector_case_id: b.infector_case_id,
        infectee_case_id: b.infectee_case_id,
        confidence: b.confidence,
        setting: b.setting,
        note: b.note,
    };
    let l = state.app.link_cases(&actor, &input).await?;
    Ok((StatusCode::CREATED, Json(link_to_wire(&l))))
}

/// Remove a link.
#[utoipa::path(delete, path = "/api/v1/tracing/links/{id}", tag = "tracing",
    params(("id" = i64, Path, description = "Link id")),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn unlink_cases(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    state.app.unlink_cases(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The transmission chains: nodes with generation and cluster, edges with serial
/// intervals, clusters and the serial-interval summary.
#[utoipa::path(get, path = "/api/v1/tracing/chains", tag = "tracing",
    responses((status = 200, body = Chains), (status = 403, body = Problem)))]
pub async fn chains(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Chains>> {
    let v = state.app.chains(&actor).await?;
    Ok(Json(Chains {
        nodes: v
            .nodes
            .iter()
            .map(|n| ChainNode {
                case_id: n.case_id,
                label: n.label.clone(),
                classification: n.classification.clone(),
                community_code: n.community_code.clone(),
                onset: n.onset.map(|d| d.to_string()),
                reported: n.reported.to_string(),
                generation: n.generation,
                cluster: n.cluster,
            })
            .collect(),
        edges: v
            .edges
            .iter()
            .map(|e| ChainEdge {
                link_id: e.link_id,
                infector: e.infector,
                infectee: e.infectee,
                confidence: e.confidence.clone(),
                setting: e.setting.clone(),
                serial_days: e.serial_days,
            })
            .collect(),
        clusters: v
            .clusters
            .iter()
            .map(|c| ChainCluster {
                id: c.id,
                cases: c.cases.clone(),
                root: c.root,
                generations: c.generations,
                first_reported: c.first_reported.to_string(),
                last_reported: c.last_reported.to_string(),
            })
            .collect(),
        serial_interval: v.serial.map(|s| SerialIntervalSummary {
            n: s.n as u64,
            mean: s.mean,
            sd: s.sd,
            median: s.median,
            min: s.min,
            max: s.max,
        }),
    }))
}

/// The export format.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ExportQuery {
    /// `graphml` (default), `csv` or `xlsx`.
    format: Option<String>,
}

/// The chain graph as GraphML or as a CSV edge list.
#[utoipa::path(get, path = "/api/v1/tracing/chains:export", tag = "tracing", params(ExportQuery),
    responses((status = 200, description = "GraphML or CSV"), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn export_chains(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<ExportQuery>,
) -> ApiResult<Response> {
    let format = q.format.unwrap_or_else(|| "graphml".to_string());
    let bytes = state.app.export_chains(&actor, &format).await?;
    Ok(chains_file(&format, bytes))
}

/// The response carrying an exported chain graph (also used by the web page's download).
pub(crate) fn chains_file(format: &str, bytes: Vec<u8>) -> Response {
    let (content_type, name) = match format {
        "csv" => ("text/csv; charset=utf-8", "chains.csv"),
        "xlsx" => (
            fangkong_ingest::export::ExportFormat::Xlsx.content_type(),
            "chains.xlsx",
        ),
        _ => ("application/graphml+xml", "chains.graphml"),
    };
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The timeliness window.
#[derive(Debug, Deserialize, IntoParams)]
pub struct TimelinessQuery {
    /// Cases reported in the last this many days (default 30).
    days: Option<i64>,
}

/// Tracing timeliness by county: hours from report to itinerary complete and to contacts
/// under control, the caller's whole jurisdiction first.
#[utoipa::path(get, path = "/api/v1/tracing/timeliness", tag = "tracing", params(TimelinessQuery),
    responses((status = 200, body = Vec<TracingTimeliness>), (status = 403, body = Problem)))]
pub async fn timeliness(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<TimelinessQuery>,
) -> ApiResult<Json<Vec<TracingTimeliness>>> {
    let since = state.app.now_ms() - q.days.unwrap_or(30).clamp(1, 3650) * DAY_MS;
    let rows = state.app.tracing_timeliness(&actor, since).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| TracingTimeliness {
                code: r.code,
                name: r.name,
                cases: r.cases,
                itinerary_done: r.itinerary_done,
                itinerary_median_hours: r.itinerary_median_hours,
                itinerary_within_24h: r.itinerary_within_24h,
                contacts_done: r.contacts_done,
                contacts_median_hours: r.contacts_median_hours,
                contacts_within_24h: r.contacts_within_24h,
            })
            .collect(),
    ))
}

/// A venue search.
#[derive(Debug, Deserialize, IntoParams)]
pub struct VenueQuery {
    /// Part of the name or place code.
    q: Option<String>,
    limit: Option<i64>,
}

/// Venues (facilities with a place code) inside the caller's jurisdiction.
#[utoipa::path(get, path = "/api/v1/tracing/venues", tag = "tracing", params(VenueQuery),
    responses((status = 200, body = Vec<Venue>), (status = 403, body = Problem)))]
pub async fn venues(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<VenueQuery>,
) -> ApiResult<Json<Vec<Venue>>> {
    let found = state
        .app
        .venues(&actor, q.q.as_deref().unwrap_or(""), q.limit.unwrap_or(50))
        .await?;
    Ok(Json(found.iter().map(venue_to_wire).collect()))
}

/// A venue-time window.
#[derive(Debug, Deserialize, IntoParams)]
pub struct WindowQuery {
    /// `YYYY-MM-DD HH:MM` (China Standard Time) or RFC 3339.
    from: String,
    to: String,
    /// Minutes (0–1440, default 30).
    margin_minutes: Option<i64>,
}

/// Everyone checked in at a venue during a window (widened by the margin), ranked by overlap.
#[utoipa::path(get, path = "/api/v1/tracing/venues/{id}/exposures", tag = "tracing",
    params(("id" = i64, Path, description = "Venue (facility) id"), WindowQuery),
    responses((status = 200, body = Vec<ExposureCandidate>), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn venue_exposures(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Query(q): Query<WindowQuery>,
) -> ApiResult<Json<Vec<ExposureCandidate>>> {
    let found = state
        .app
        .venue_exposures(
            &actor,
            id,
            &q.from,
            &q.to,
            q.margin_minutes.unwrap_or(DEFAULT_MARGIN_MINUTES),
        )
        .await?;
    Ok(Json(found.iter().map(candidate_to_wire).collect()))
}

/// Record one check-in (a scan of a place code); 201 when new, 200 when already stored.
#[utoipa::path(post, path = "/api/v1/tracing/checkins", tag = "tracing", request_body = CheckinCreate,
    responses((status = 201), (status = 200), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn record_checkin(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(b): Json<CheckinCreate>,
) -> ApiResult<StatusCode> {
    let created = state
        .app
        .record_checkin(
            &actor,
            b.person_id,
            b.venue_id,
            &b.time_in,
            b.time_out.as_deref(),
        )
        .await?;
    Ok(if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    })
}

/// The file's name (its extension decides the format).
#[derive(Debug, Deserialize, IntoParams)]
pub struct FileQuery {
    file_name: Option<String>,
}

/// Import check-ins (CSV, XLSX or NDJSON: `national_id` or `person_id`, `place_code`,
/// `time_in`, optional `time_out`): valid rows stored and indexed, refused rows listed,
/// rows already stored counted.
#[utoipa::path(post, path = "/api/v1/tracing/checkins:import", tag = "tracing", params(FileQuery),
    request_body(content = Vec<u8>, description = "The file", content_type = "application/octet-stream"),
    responses((status = 200, body = CheckinImportReport), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn import_checkins(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<FileQuery>,
    body: Bytes,
) -> ApiResult<Json<CheckinImportReport>> {
    let file = q.file_name.unwrap_or_else(|| "checkins.csv".to_string());
    let o = state.app.import_checkins(&actor, &file, &body).await?;
    Ok(Json(CheckinImportReport {
        file,
        rows: o.rows,
        stored: o.stored,
        already_stored: o.duplicates,
        refused: o
            .refused
            .into_iter()
            .map(|(line, field, reason)| FieldError {
                line: Some(line),
                field,
                reason,
            })
            .collect(),
    }))
}

/// Import a venue list (CSV, XLSX or NDJSON: `place_code`, `name`, `kind`, optional
/// `address`, `community_code`, `lat`, `lon`), all rows or none; returns created and
/// updated counts.
#[utoipa::path(post, path = "/api/v1/tracing/venues:import", tag = "tracing", params(FileQuery),
    request_body(content = Vec<u8>, description = "The file", content_type = "application/octet-stream"),
    responses((status = 200, body = fangkong_api_types::ImportSummary), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn import_venues(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<FileQuery>,
    body: Bytes,
) -> ApiResult<Json<fangkong_api_types::ImportSummary>> {
    let file = q.file_name.unwrap_or_else(|| "venues.csv".to_string());
    let outcome = state.app.import_venues(&actor, &file, &body).await?;
    Ok(Json(super::import_summary(file, outcome)))
}
