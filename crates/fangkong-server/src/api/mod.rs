//! The JSON API under `/api/v1`, one module per capability, and its OpenAPI document.
//!
//! Every route is registered through `OpenApiRouter`, so the OpenAPI document served at
//! `/api/openapi.json` lists exactly the routes that exist.

pub mod audit;
pub mod briefing;
pub mod bulk;
pub mod co_investigation;
pub mod coldchain;
pub mod command;
pub mod dashboard;
pub mod drills;
pub mod facilities;
pub mod federation;
pub mod fever;
pub mod fhir;
pub mod health;
pub mod idempotency;
pub mod immunization;
pub mod inbound;
pub mod isolation;
pub mod jurisdictions;
pub mod measures;
pub mod persons;
pub mod scenario;
pub mod sentinels;
pub mod supplies;
pub mod testing;
pub mod tracing;
pub mod treatment;

use axum::extract::DefaultBodyLimit;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

/// Largest JSON body accepted by ordinary API routes.
pub const JSON_BODY_LIMIT: usize = 2 * 1024 * 1024;
/// Largest file accepted by import routes.
pub const IMPORT_BODY_LIMIT: usize = 256 * 1024 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Fangkong API",
        description = "Integrated epidemic prevention and control command platform. \
            Authenticate with `Authorization: Bearer <token>` (see `fangkong user token`). \
            Errors are RFC 9457 problem details. Personal identifiers are always masked in \
            responses.",
        license(name = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "operations", description = "Health and readiness"),
        (name = "jurisdictions", description = "Administrative hierarchy"),
        (name = "persons", description = "Person registry"),
        (name = "facilities", description = "Facilities of the city"),
        (name = "audit", description = "The hash-chained audit log"),
        (name = "testing", description = "Nucleic-acid testing: rounds, samples, results, retests"),
        (name = "inbound", description = "Inbound control (the four pockets): policy versions, risk areas, classification"),
        (name = "coldchain", description = "Imported cold-chain goods: batches, results, distribution, exposed workers, trace, control tasks"),
        (name = "fever", description = "Fever-clinic visits (the fourth pocket): results, dispositions, open loops"),
        (name = "tracing", description = "Epidemiological investigation: cases, itineraries, check-ins, exposure matching, contacts, chains, timeliness"),
        (name = "isolation", description = "Quarantine sites and rooms: placement queue, allocation, stays, release certificates, transfers, room forecast"),
        (name = "sentinels", description = "Sentinel surveillance and early warning: sentinels, daily reports, missing reports, aberration runs, alerts, subscriptions; the epidemic curve and Rt"),
        (name = "immunization", description = "Vaccination records, coverage by area, age band and dose, trend, outreach lists of the unvaccinated and overdue"),
        (name = "fhir", description = "FHIR R4 interchange: import Bundles and NDJSON (batch and transaction semantics); read Patient, Immunization, Observation, Condition; export a collection Bundle"),
        (name = "treatment", description = "Designated hospitals and beds: admissions, transfers, discharges, treatment teams and rotation, bed forecast"),
        (name = "co_investigation", description = "Co-investigation tasks pushed down the hierarchy: items, assignment, feedback, escalation, statistics"),
        (name = "command", description = "Directives with acknowledgement and completion, the duty roster, overdue counters"),
        (name = "federation", description = "Signed messages between federated instances (province and cities)"),
        (name = "drills", description = "Drills: simulated outbreaks run through a sandbox instance and their reports (the four earlies, late tasks, capacity shortfalls, stock-outs by county)"),
        (name = "supplies", description = "Supplies and reserves: items and consumption models, warehouses, the stock ledger, stock-takes, days of supply, demand forecast, reorder alerts, transfer suggestions"),
        (name = "dashboard", description = "The command dashboard and the daily briefing: headline figures of the caller's jurisdiction, stored briefings and their workbooks"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API routes and the OpenAPI document describing them.
pub fn routes(
    extra: Option<OpenApiRouter<AppState>>,
) -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let imports = OpenApiRouter::new()
        .routes(routes!(persons::import))
        .routes(routes!(jurisdictions::import))
        .routes(routes!(testing::samples_batch))
        .routes(routes!(testing::results_batch))
        .routes(routes!(testing::members_batch))
        .routes(routes!(inbound::import_areas))
        .routes(routes!(measures::import_travel))
        .routes(routes!(coldchain::import_batches))
        .routes(routes!(fever::import_visits))
        .routes(routes!(tracing::import_checkins))
        .routes(routes!(tracing::import_venues))
        .routes(routes!(sentinels::import_reports))
        .routes(routes!(immunization::import))
        .routes(routes!(fhir::import))
        .routes(routes!(sentinels::reports_batch))
        .routes(routes!(supplies::import_movements))
        .routes(routes!(supplies::import_stocktake))
        .routes(routes!(co_investigation::import))
        .routes(routes!(co_investigation::create))
        .routes(routes!(federation::receive))
        .layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT));
    let (router, api) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(jurisdictions::list))
        .routes(routes!(jurisdictions::show))
        .routes(routes!(jurisdictions::boundary))
        .routes(routes!(persons::list, persons::create))
        .routes(routes!(persons::show, persons::update))
        .routes(routes!(persons::history))
        .routes(routes!(persons::duplicates))
        .routes(routes!(persons::merge))
        .routes(routes!(persons::reveal))
        .routes(routes!(audit::list))
        .routes(routes!(testing::rounds, testing::create_round))
        .routes(routes!(testing::retest_tasks))
        .routes(routes!(testing::round_coverage))
        .routes(routes!(testing::not_sampled))
        .routes(routes!(testing::key_groups, testing::create_key_group))
        .routes(routes!(testing::refresh_members))
        .routes(routes!(testing::group_schedule))
        .routes(routes!(testing::turnaround))
        .routes(routes!(testing::labs))
        .routes(routes!(testing::pool_advice))
        .routes(routes!(testing::positives))
        .routes(routes!(testing::batches))
        .routes(routes!(facilities::list))
        .routes(routes!(facilities::show))
        .routes(routes!(inbound::policies, inbound::load_policy))
        .routes(routes!(inbound::classify))
        .routes(routes!(inbound::risk_areas, inbound::designate))
        .routes(routes!(inbound::lift))
        .routes(routes!(measures::sweep_areas))
        .routes(routes!(measures::travel_entries, measures::report_arrival))
        .routes(routes!(measures::measures, measures::assign))
        .routes(routes!(measures::measure))
        .routes(routes!(measures::activate))
        .routes(routes!(measures::release))
        .routes(routes!(measures::escalate))
        .routes(routes!(measures::health_check))
        .routes(routes!(measures::link))
        .routes(routes!(
            measures::link_measures,
            measures::link_health_check
        ))
        .routes(routes!(measures::reviews))
        .routes(routes!(measures::decide_review))
        .routes(routes!(measures::board))
        .routes(routes!(coldchain::batches, coldchain::create_batch))
        .routes(routes!(coldchain::batch))
        .routes(routes!(coldchain::record_result))
        .routes(routes!(coldchain::record_distribution))
        .routes(routes!(coldchain::record_worker))
        .routes(routes!(coldchain::trace))
        .routes(routes!(coldchain::tasks))
        .routes(routes!(coldchain::close_task))
        .routes(routes!(fever::visits, fever::record_visit))
        .routes(routes!(fever::visit))
        .routes(routes!(fever::record_result))
        .routes(routes!(fever::record_disposition))
        .routes(routes!(fever::open_loops))
        .routes(routes!(tracing::cases, tracing::register_case))
        .routes(routes!(tracing::case, tracing::update_case))
        .routes(routes!(tracing::pending))
        .routes(routes!(tracing::add_itinerary))
        .routes(routes!(tracing::itinerary_from_checkins))
        .routes(routes!(tracing::remove_itinerary_entry))
        .routes(routes!(tracing::complete_itinerary))
        .routes(routes!(tracing::exposures))
        .routes(routes!(tracing::secondary_candidates))
        .routes(routes!(tracing::confirm_contact))
        .routes(routes!(tracing::dismiss_contact))
        .routes(routes!(tracing::complete_contacts))
        .routes(routes!(tracing::link_cases))
        .routes(routes!(tracing::unlink_cases))
        .routes(routes!(tracing::chains))
        .routes(routes!(tracing::export_chains))
        .routes(routes!(tracing::timeliness))
        .routes(routes!(tracing::venues))
        .routes(routes!(tracing::venue_exposures))
        .routes(routes!(tracing::record_checkin))
        .routes(routes!(isolation::sites, isolation::create_site))
        .routes(routes!(isolation::site))
        .routes(routes!(isolation::set_turnaround))
        .routes(routes!(isolation::room_service))
        .routes(routes!(isolation::queue))
        .routes(routes!(isolation::propose))
        .routes(routes!(isolation::place))
        .routes(routes!(isolation::stays))
        .routes(routes!(isolation::stay))
        .routes(routes!(isolation::check_in))
        .routes(routes!(isolation::health_check))
        .routes(routes!(isolation::release))
        .routes(routes!(isolation::cancel))
        .routes(routes!(isolation::transfer))
        .routes(routes!(isolation::forecast))
        .routes(routes!(treatment::hospitals))
        .routes(routes!(treatment::admissions, treatment::admit))
        .routes(routes!(treatment::admission))
        .routes(routes!(treatment::transfer))
        .routes(routes!(treatment::discharge))
        .routes(routes!(treatment::severity))
        .routes(routes!(treatment::teams, treatment::create_team))
        .routes(routes!(treatment::deploy))
        .routes(routes!(treatment::deployments))
        .routes(routes!(treatment::forecast))
        .routes(routes!(sentinels::list))
        .routes(routes!(sentinels::missing))
        .routes(routes!(sentinels::types))
        .routes(routes!(sentinels::set_deadline))
        .routes(routes!(sentinels::show))
        .routes(routes!(sentinels::reports))
        .routes(routes!(sentinels::run))
        .routes(routes!(sentinels::alerts))
        .routes(routes!(sentinels::alert))
        .routes(routes!(sentinels::set_status))
        .routes(routes!(sentinels::assign))
        .routes(routes!(sentinels::note))
        .routes(routes!(
            sentinels::subscription,
            sentinels::set_subscription
        ))
        .routes(routes!(sentinels::epidemic))
        .routes(routes!(immunization::record))
        .routes(routes!(immunization::person))
        .routes(routes!(immunization::coverage))
        .routes(routes!(immunization::trend))
        .routes(routes!(immunization::outreach))
        .routes(routes!(immunization::export_outreach))
        .routes(routes!(fhir::patient))
        .routes(routes!(fhir::immunizations))
        .routes(routes!(fhir::immunization))
        .routes(routes!(fhir::observations))
        .routes(routes!(fhir::observation))
        .routes(routes!(fhir::conditions))
        .routes(routes!(fhir::export))
        .routes(routes!(supplies::items, supplies::create_item))
        .routes(routes!(supplies::set_model))
        .routes(routes!(supplies::warehouses, supplies::create_warehouse))
        .routes(routes!(supplies::stock))
        .routes(routes!(supplies::stocktake))
        .routes(routes!(supplies::movements, supplies::post_movement))
        .routes(routes!(supplies::board))
        .routes(routes!(supplies::forecast))
        .routes(routes!(supplies::alerts))
        .routes(routes!(supplies::suggestions))
        .routes(routes!(co_investigation::list))
        .routes(routes!(co_investigation::show))
        .routes(routes!(co_investigation::items))
        .routes(routes!(co_investigation::assign))
        .routes(routes!(co_investigation::feedback))
        .routes(routes!(co_investigation::escalate))
        .routes(routes!(co_investigation::notices))
        .routes(routes!(co_investigation::stats))
        .routes(routes!(command::directives, command::issue))
        .routes(routes!(command::directive))
        .routes(routes!(command::acknowledge))
        .routes(routes!(command::complete))
        .routes(routes!(command::overdue))
        .routes(routes!(command::shifts, command::add_shift))
        .routes(routes!(command::on_duty))
        .routes(routes!(command::shift))
        .routes(routes!(command::log))
        .routes(routes!(command::handover))
        .routes(routes!(drills::list))
        .routes(routes!(drills::show))
        .routes(routes!(scenario::list, scenario::run))
        .routes(routes!(scenario::show))
        .routes(routes!(bulk::start))
        .routes(routes!(bulk::show))
        .routes(routes!(dashboard::show))
        .routes(routes!(briefing::list, briefing::generate))
        .routes(routes!(briefing::show))
        .layer(axum::middleware::from_fn(
            crate::middleware::json_object_body,
        ))
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .merge(imports)
        .merge(extra.unwrap_or_default())
        .split_for_parts();
    (router, api)
}

/// A file download: the media type of `format` and an attachment named `name` (only ASCII
/// letters, digits, `-`, `_` and `.` reach the header).
pub(crate) fn file_response(
    name: &str,
    format: fangkong_ingest::export::ExportFormat,
    bytes: Vec<u8>,
) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse as _;
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{safe}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The query of every file import: the file's name, for error messages; its extension
/// selects the format (`.csv`, `.xlsx`, `.ndjson`, `.geojson`) where the content does not.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct ImportQuery {
    pub(crate) file_name: Option<String>,
}

/// Reads `limit`/`offset` with defaults.
pub(crate) fn page(limit: Option<i64>, offset: Option<i64>, default: i64) -> (i64, i64) {
    (limit.unwrap_or(default), offset.unwrap_or(0))
}

/// The wire summary of an import.
pub(crate) fn import_summary(
    file: String,
    o: fangkong_app::jurisdictions::ImportOutcome,
) -> fangkong_api_types::ImportSummary {
    fangkong_api_types::ImportSummary {
        file,
        rows: o.rows,
        created: o.created,
        updated: o.updated,
        unchanged: o.unchanged,
    }
}
