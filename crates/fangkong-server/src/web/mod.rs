//! The server-rendered web UI, one module per capability. Pages work without JavaScript;
//! htmx and ECharts (vendored, embedded) enhance them. Every page needs a session except the
//! login page and the personal health-check page `/h/{token}` (the signed token is the
//! credential).

pub mod audit;
pub mod briefing;
pub mod bulk;
pub mod co_investigation;
pub mod coldchain;
pub mod dashboard;
pub mod docs;
pub mod drills;
pub mod facilities;
pub mod fever;
mod forms;
pub mod home;
pub mod immunization;
pub mod inbound;
pub mod isolation;
pub mod jurisdictions;
pub mod persons;
pub mod scenario;
pub mod sentinels;
pub mod session;
pub mod supplies;
pub mod templates;
pub mod testing;
pub mod tracing;
pub mod treatment;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use fangkong_app::Error;
use fangkong_domain::Permission;
use minijinja::{context, Value};

use crate::auth::WebUser;
use crate::error::{classify, problem};
use crate::i18n::Lang;
use crate::AppState;

/// The web routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::show))
        .route("/login", get(session::login_page).post(session::login))
        .route("/logout", post(session::logout))
        .route("/lang/{lang}", get(session::set_lang))
        .route("/jurisdictions", get(jurisdictions::top))
        .route("/jurisdictions/{code}", get(jurisdictions::show))
        .route("/persons", get(persons::search))
        .route("/persons/duplicates", get(persons::duplicates))
        .route("/persons/merge", post(persons::merge))
        .route("/persons/{id}", get(persons::show))
        .route("/persons/{id}/reveal", post(persons::reveal))
        .route("/audit", get(audit::show))
        .route("/facilities", get(facilities::list))
        .route("/testing", get(testing::overview))
        .route("/testing/rounds", post(testing::create_round))
        .route("/testing/rounds/{code}", get(testing::round))
        .route(
            "/testing/rounds/{code}/coverage.xlsx",
            get(testing::coverage_xlsx),
        )
        .route(
            "/testing/rounds/{code}/not-sampled.xlsx",
            get(testing::not_sampled_xlsx),
        )
        .route("/testing/positives", get(testing::positives))
        .route("/testing/positives.xlsx", get(testing::positives_xlsx))
        .route(
            "/testing/key-groups",
            get(testing::key_groups).post(testing::create_key_group),
        )
        .route("/testing/key-groups/{code}", get(testing::key_group))
        .route(
            "/testing/key-groups/{code}/overdue.xlsx",
            get(testing::overdue_xlsx),
        )
        .route(
            "/testing/key-groups/{code}/refresh",
            post(testing::refresh_key_group),
        )
        .route(
            "/testing/key-groups/{code}/members",
            post(testing::import_members)
                .layer(DefaultBodyLimit::max(crate::api::IMPORT_BODY_LIMIT)),
        )
        .route("/testing/labs", get(testing::labs))
        .route("/testing/labs.xlsx", get(testing::labs_xlsx))
        .route("/coldchain", get(coldchain::list))
        .route("/coldchain/batches/{code}", get(coldchain::batch))
        .route("/coldchain/tasks/{id}/close", post(coldchain::close_task))
        .route("/fever", get(fever::overview))
        .route("/inbound", get(inbound::board))
        .route(
            "/inbound/risk-areas",
            get(inbound::risk_areas).post(inbound::designate),
        )
        .route("/inbound/risk-areas/{id}/lift", post(inbound::lift))
        .route("/inbound/risk-areas/sweep", post(inbound::sweep))
        .route(
            "/inbound/risk-areas/import",
            post(inbound::import_areas).layer(DefaultBodyLimit::max(crate::api::IMPORT_BODY_LIMIT)),
        )
        .route(
            "/inbound/travel",
            get(inbound::travel).post(inbound::report_arrival),
        )
        .route(
            "/inbound/travel/import",
            post(inbound::import_travel)
                .layer(DefaultBodyLimit::max(crate::api::IMPORT_BODY_LIMIT)),
        )
        .route("/inbound/measures", get(inbound::measures))
        .route("/inbound/measures/{id}", get(inbound::measure))
        .route("/inbound/measures/{id}/activate", post(inbound::activate))
        .route("/inbound/measures/{id}/release", post(inbound::release))
        .route("/inbound/measures/{id}/escalate", post(inbound::escalate))
        .route("/inbound/measures/{id}/checks", post(inbound::record_check))
        .route("/inbound/measures/{id}/link", post(inbound::issue_link))
        .route("/inbound/reviews", get(inbound::reviews))
        .route("/inbound/reviews/{id}", post(inbound::decide))
        .route("/inbound/notices", post(inbound::notices))
        .route(
            "/inbound/policies",
            get(inbound::policies).post(inbound::load_policy),
        )
        // The personal health-check page: no session and no CSRF token, the signed token in
        // the address is the credential (`App::link_measures` verifies it).
        .route("/h/{token}", get(inbound::link).post(inbound::link_check))
        .route("/tracing", get(tracing::overview))
        .route("/tracing/cases", post(tracing::register))
        .route("/tracing/cases/{id}", get(tracing::case))
        .route("/tracing/cases/{id}/update", post(tracing::update))
        .route(
            "/tracing/cases/{id}/itinerary",
            post(tracing::add_itinerary),
        )
        .route(
            "/tracing/cases/{id}/itinerary/checkins",
            post(tracing::itinerary_from_checkins),
        )
        .route(
            "/tracing/cases/{id}/itinerary/complete",
            post(tracing::complete_itinerary),
        )
        .route(
            "/tracing/cases/{id}/itinerary/{entry_id}/remove",
            post(tracing::remove_itinerary_entry),
        )
        .route(
            "/tracing/cases/{id}/contacts/confirm",
            post(tracing::confirm_contact),
        )
        .route(
            "/tracing/cases/{id}/contacts/dismiss",
            post(tracing::dismiss_contact),
        )
        .route(
            "/tracing/cases/{id}/contacts/complete",
            post(tracing::complete_contacts),
        )
        .route("/tracing/cases/{id}/links", post(tracing::link))
        .route(
            "/tracing/cases/{id}/links/{link_id}/remove",
            post(tracing::unlink),
        )
        .route("/tracing/chains", get(tracing::chains))
        .route("/tracing/chains.graphml", get(tracing::chains_graphml))
        .route("/tracing/chains.csv", get(tracing::chains_csv))
        .route("/tracing/chains.xlsx", get(tracing::chains_xlsx))
        .route("/tracing/venues", get(tracing::venues))
        .route(
            "/tracing/venues/import",
            post(tracing::import_venues)
                .layer(DefaultBodyLimit::max(crate::api::IMPORT_BODY_LIMIT)),
        )
        .route(
            "/tracing/checkins/import",
            post(tracing::import_checkins)
                .layer(DefaultBodyLimit::max(crate::api::IMPORT_BODY_LIMIT)),
        )
        .route("/immunization", get(immunization::coverage))
        .route(
            "/immunization/upload",
            post(immunization::upload).layer(DefaultBodyLimit::max(crate::api::IMPORT_BODY_LIMIT)),
        )
        .route("/immunization/doses", post(immunization::record))
        .route("/immunization/outreach", get(immunization::outreach))
        .route("/immunization/outreach/export", get(immunization::export))
        .route("/isolation", get(isolation::board))
        .route("/isolation/queue", get(isolation::queue))
        .route("/isolation/queue/propose", post(isolation::propose))
        .route("/isolation/queue/place", post(isolation::place))
        .route("/isolation/sites/{id}", get(isolation::site))
        .route(
            "/isolation/sites/{id}/turnaround",
            post(isolation::turnaround),
        )
        .route(
            "/isolation/sites/{id}/rooms/{room_id}/service",
            post(isolation::room_service),
        )
        .route("/isolation/stays/{id}", get(isolation::stay))
        .route("/isolation/stays/{id}/check-in", post(isolation::check_in))
        .route("/isolation/stays/{id}/cancel", post(isolation::cancel))
        .route(
            "/isolation/stays/{id}/checks",
            post(isolation::health_check),
        )
        .route("/isolation/stays/{id}/release", post(isolation::release))
        .route("/isolation/stays/{id}/transfer", post(isolation::transfer))
        .route(
            "/isolation/stays/{id}/certificate",
            get(isolation::certificate),
        )
        .route("/treatment", get(treatment::board))
        .route("/treatment/admissions", post(treatment::admit))
        .route("/treatment/admissions/{id}", get(treatment::admission))
        .route(
            "/treatment/admissions/{id}/transfer",
            post(treatment::transfer),
        )
        .route(
            "/treatment/admissions/{id}/severity",
            post(treatment::severity),
        )
        .route(
            "/treatment/admissions/{id}/discharge",
            post(treatment::discharge),
        )
        .route(
            "/treatment/teams",
            get(treatment::teams).post(treatment::create_team),
        )
        .route("/treatment/deployments", post(treatment::deploy))
        .route("/sentinels", get(sentinels::registry))
        .route(
            "/sentinels/report",
            get(sentinels::report_form).post(sentinels::submit_report),
        )
        .route(
            "/sentinels/reports/upload",
            post(sentinels::upload_reports)
                .layer(DefaultBodyLimit::max(crate::api::IMPORT_BODY_LIMIT)),
        )
        .route("/sentinels/alerts", get(sentinels::alerts))
        .route("/sentinels/alerts/{id}", get(sentinels::alert))
        .route("/sentinels/alerts/{id}/status", post(sentinels::set_status))
        .route("/sentinels/alerts/{id}/assign", post(sentinels::assign))
        .route("/sentinels/alerts/{id}/note", post(sentinels::note))
        .route("/sentinels/subscription", post(sentinels::subscribe))
        .route("/sentinels/{id}", get(sentinels::sentinel))
        .route("/analysis", get(sentinels::analysis))
        .route("/drills", get(drills::index))
        .route("/drills/{id}", get(drills::show))
        .route(
            "/forecasts/scenario",
            get(scenario::index).post(scenario::run),
        )
        .route("/forecasts/scenario/{id}", get(scenario::show))
        .route("/bulk", post(bulk::start))
        .route("/bulk/{id}", get(bulk::show))
        .route("/bulk/{id}/progress", get(bulk::progress))
        .route("/co-investigations", get(co_investigation::inbox))
        .route("/co-investigations/{id}", get(co_investigation::task))
        .route(
            "/co-investigations/{id}/feedback",
            post(co_investigation::feedback),
        )
        .route("/command", get(co_investigation::command))
        .route("/command/directives", post(co_investigation::issue))
        .route(
            "/command/directives/{id}/acknowledge",
            post(co_investigation::acknowledge),
        )
        .route(
            "/command/directives/{id}/complete",
            post(co_investigation::complete),
        )
        .route("/command/shifts", post(co_investigation::add_shift))
        .route("/command/shifts/{id}/log", post(co_investigation::log))
        .route(
            "/command/shifts/{id}/handover",
            post(co_investigation::handover),
        )
        .route("/supplies", get(supplies::board))
        .route("/supplies/movements", post(supplies::post_movement))
        .route(
            "/supplies/movements/upload",
            post(supplies::upload_movements)
                .layer(DefaultBodyLimit::max(crate::api::IMPORT_BODY_LIMIT)),
        )
        .route(
            "/supplies/warehouses/{id}/stocktake",
            post(supplies::upload_stocktake)
                .layer(DefaultBodyLimit::max(crate::api::IMPORT_BODY_LIMIT)),
        )
        .route("/supplies/export.xlsx", get(supplies::export))
        .route("/api/docs", get(docs::show))
        .route("/dashboard", get(dashboard::show))
        .route("/dashboard/events", get(dashboard::events))
        .route("/briefings", get(briefing::list).post(briefing::generate))
        .route("/briefings/{day}", get(briefing::show))
        .route(
            "/briefings/{day}/workbook.xlsx",
            get(briefing::workbook_xlsx),
        )
}

/// A failed page: rendered as the error page with the operation id.
pub struct WebError {
    status: StatusCode,
    detail: String,
    lang: Lang,
}

impl WebError {
    /// An app error shown in `lang`.
    pub fn new(e: &Error, lang: Lang) -> WebError {
        let p = problem(e);
        WebError {
            status: classify(e).0,
            detail: p.detail,
            lang,
        }
    }
}

impl From<Error> for WebError {
    fn from(e: Error) -> WebError {
        WebError::new(&e, Lang::Zh)
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let ctx = context! {
            lang => self.lang.tag(),
            version => env!("CARGO_PKG_VERSION"),
            backend => "",
            nav => "",
            here => "/",
            user => Value::from(()),
            csrf => "",
            can_persons => false,
            can_merge => false,
            can_audit => false,
            can_testing => false,
            can_coldchain => false,
            can_fever => false,
            can_inbound => false,
            can_tracing => false,
            can_isolation => false,
            can_immunization => false,
            can_treatment => false,
            can_sentinel => false,
            can_report => false,
            can_supplies => false,
            can_drills => false,
            can_co_investigation => false,
            can_command => false,
            status => self.status.as_u16(),
            detail => self.detail,
            operation_id => crate::middleware::current_operation_id(),
        };
        match templates::global().render("error.html", ctx) {
            Ok(html) => (self.status, Html(html)).into_response(),
            Err(e) => {
                ::tracing::error!(error = %crate::error::error_chain(&e), "error page failed to render");
                self.status.into_response()
            }
        }
    }
}

/// Result of a page handler.
pub type PageResult = Result<Response, WebError>;

/// The context every page shares, merged with the page's own.
pub fn page_context(
    state: &AppState,
    user: Option<&WebUser>,
    lang: Lang,
    nav: &str,
    here: &str,
    page: Value,
) -> Value {
    let can = |p| user.is_some_and(|u| u.actor.scope.can(p));
    context! {
        lang => lang.tag(),
        version => state.version,
        backend => state.app.store().backend().as_str(),
        nav => nav,
        here => here,
        user => user.map(|u| context! { username => u.actor.username.clone(), role => u.actor.role.as_str() }),
        csrf => user.map_or(String::new(), |u| u.csrf.clone()),
        can_persons => can(Permission::PersonsRead),
        can_merge => can(Permission::PersonsMerge),
        can_audit => can(Permission::AuditRead),
        can_testing => can(Permission::TestingRead),
        can_coldchain => can(Permission::InboundRead),
        can_fever => can(Permission::InboundRead),
        can_inbound => can(Permission::InboundRead),
        can_tracing => can(Permission::TracingRead),
        can_isolation => can(Permission::IsolationRead),
        can_immunization => can(Permission::ImmunizationRead),
        can_treatment => can(Permission::TreatmentRead),
        can_sentinel => can(Permission::SentinelRead),
        can_report => can(Permission::SentinelReport),
        can_supplies => can(Permission::SuppliesRead),
        can_drills => can(Permission::DrillsRead),
        can_co_investigation => can(Permission::CoInvestigationRead),
        can_command => can(Permission::CommandRead),
        ..page
    }
}

/// Renders a template into a response.
pub fn render(name: &str, context: Value, lang: Lang) -> PageResult {
    templates::global()
        .render(name, context)
        .map(|html| Html(html).into_response())
        .map_err(|e| {
            ::tracing::error!(error = %crate::error::error_chain(&e), "page failed to render");
            WebError {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                detail: "the page could not be rendered".to_string(),
                lang,
            }
        })
}

/// Renders a page for a signed-in user.
pub fn render_page(
    state: &AppState,
    user: &WebUser,
    name: &str,
    nav: &str,
    here: &str,
    page: Value,
) -> PageResult {
    render(
        name,
        page_context(state, Some(user), user.lang, nav, here, page),
        user.lang,
    )
}

/// Fails unless the form's CSRF token is the session's.
pub fn check_csrf(user: &WebUser, sent: &str) -> Result<(), WebError> {
    if !sent.is_empty() && sent == user.csrf {
        Ok(())
    } else {
        Err(WebError::new(&Error::Forbidden, user.lang))
    }
}
