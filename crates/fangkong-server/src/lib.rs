//! The only crate that knows HTTP, HTML and JSON field names.
//!
//! It serves the REST API under `/api/v1` (documented by the OpenAPI document generated from
//! the handlers), the server-rendered web UI, embedded static assets, and the operational
//! endpoints (`/healthz`, `/readyz`, `/metrics`). Handlers translate between the wire and
//! `fangkong-app`; they hold no business rules and write no SQL.

pub mod api;
mod assets;
pub mod auth;
pub mod error;
pub mod federation;
pub mod i18n;
mod middleware;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod web;

pub use startup::{router, serve, serve_with, shutdown_signal, ServerConfig};
pub use state::AppState;
