//! `/api/v1/inbound`: inbound control (the four pockets): control-measure policy versions,
//! risk-area designations and the classification of a person's facts into a measure.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use fangkong_api_types::{
    Classification, ClassifyRequest, ControlMeasure, ImportSummary, MeasureStage, Page, PolicyRule,
    PolicyVersion, Problem, RiskArea, RiskAreaCreate, RiskAreaLift,
};
use fangkong_app::Error;
use fangkong_domain::policy::{AreaRisk, ContactType, Facts, Measure, Pocket, Vaccination};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::ApiActor;
use crate::error::ApiResult;
use crate::AppState;

pub(crate) fn measure_to_wire(m: &Measure) -> ControlMeasure {
    ControlMeasure {
        stages: m
            .stages
            .iter()
            .map(|s| MeasureStage {
                kind: s.kind.as_str().to_string(),
                days: s.days,
            })
            .collect(),
        test_days: m.test_days.clone(),
        text: m.text_zh(),
        text_en: m.text_en(),
    }
}

fn version_to_wire(v: &fangkong_app::inbound::PolicyVersion) -> PolicyVersion {
    PolicyVersion {
        version: v.stored.version.clone(),
        effective_from: v.stored.effective_from.clone(),
        sha256: v.stored.source_sha256.clone(),
        loaded_at: v.stored.loaded_at,
        loaded_by: v.stored.loaded_by.clone(),
        rules: v
            .policy
            .rules()
            .iter()
            .map(|r| PolicyRule {
                id: r.id.clone(),
                title: r.title_zh.clone(),
                title_en: r.title_en.clone(),
                measure: measure_to_wire(&r.measure),
            })
            .collect(),
    }
}

/// Every control-measure policy version, by effective date.
#[utoipa::path(get, path = "/api/v1/inbound/policies", tag = "inbound",
    responses((status = 200, body = Vec<PolicyVersion>), (status = 403, body = Problem)))]
pub async fn policies(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<Json<Vec<PolicyVersion>>> {
    let versions = state.app.policies(&actor).await?;
    Ok(Json(versions.iter().map(version_to_wire).collect()))
}

/// The file's name, for error messages (and, for lists, its extension selects the format).
#[derive(Debug, Deserialize, IntoParams)]
pub struct PolicyQuery {
    file_name: Option<String>,
}

/// Load a control-measure policy version (a TOML file, see `docs/policy.md`). Every problem
/// of the file is listed with its line, rule and field, and nothing is stored then; the same
/// version and text again changes nothing (200 instead of 201).
#[utoipa::path(post, path = "/api/v1/inbound/policies", tag = "inbound", params(PolicyQuery),
    request_body(content = String, description = "The policy file", content_type = "application/toml"),
    responses((status = 201, body = PolicyVersion), (status = 200, body = PolicyVersion),
              (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn load_policy(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<PolicyQuery>,
    body: String,
) -> ApiResult<(StatusCode, Json<PolicyVersion>)> {
    let file = q.file_name.unwrap_or_else(|| "policy.toml".to_string());
    let (version, added) = state.app.load_policy(&actor, &file, &body).await?;
    let status = if added {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(version_to_wire(&version))))
}

/// Parses an optional key of a policy vocabulary.
pub(crate) fn key<T>(
    field: &str,
    value: Option<&str>,
    parse: fn(&str) -> Option<T>,
    keys: fn() -> String,
) -> Result<Option<T>, Error> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            parse(v).ok_or_else(|| {
                Error::invalid(field, format!("unknown value; expected one of {}", keys()))
            })
        })
        .transpose()
}

/// Classify a person's facts into a control measure under the policy version in force on
/// the given day, with the rule that decided and why.
#[utoipa::path(post, path = "/api/v1/inbound/classify", tag = "inbound", request_body = ClassifyRequest,
    responses((status = 200, body = Classification), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn classify(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(body): Json<ClassifyRequest>,
) -> ApiResult<Json<Classification>> {
    let pocket = key("pocket", Some(&body.pocket), Pocket::parse, Pocket::keys)?
        .ok_or_else(|| Error::invalid("pocket", "required"))?;
    let day = chrono::NaiveDate::parse_from_str(body.day.trim(), "%Y-%m-%d")
        .map_err(|_| Error::invalid("day", "expected YYYY-MM-DD"))?;
    let facts = Facts {
        pocket,
        origin_risk: key(
            "origin_risk",
            body.origin_risk.as_deref(),
            AreaRisk::parse,
            AreaRisk::keys,
        )?,
        days_since_left: body.days_since_left,
        contact: key(
            "contact",
            body.contact.as_deref(),
            ContactType::parse,
            ContactType::keys,
        )?,
        vaccination: key(
            "vaccination",
            body.vaccination.as_deref(),
            Vaccination::parse,
            Vaccination::keys,
        )?,
        occupation: body.occupation.filter(|o| !o.trim().is_empty()),
    };
    let got = state
        .app
        .classify(&actor, &facts, body.origin_code.as_deref(), day)
        .await?;
    let c = &got.classification;
    Ok(Json(Classification {
        version: got.version,
        rule_id: c.explanation.rule_id.clone(),
        measure: measure_to_wire(&c.measure),
        explanation: c.explanation.text_zh(),
        explanation_en: c.explanation.text_en(),
    }))
}

pub(crate) fn area_to_wire(a: &fangkong_store::inbound::RiskArea) -> RiskArea {
    RiskArea {
        id: a.id,
        code: a.jurisdiction_code.clone(),
        name: a.name.clone(),
        level: a.level.clone(),
        designated_at: a.designated_at,
        designated_by: a.designated_by.clone(),
        lift_after_days: a.lift_after_days,
        lifted_at: a.lifted_at,
        lift_reason: a.lift_reason.clone(),
        addresses: a.address_list(),
    }
}

/// Filters of the risk-area list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AreaQuery {
    /// `false` lists the whole history (lifted designations too); default `true`.
    in_force: Option<bool>,
    /// Only the designations of this code.
    code: Option<String>,
}

/// Risk-area designations, newest first.
#[utoipa::path(get, path = "/api/v1/inbound/risk-areas", tag = "inbound", params(AreaQuery),
    responses((status = 200, body = Page<RiskArea>), (status = 403, body = Problem)))]
pub async fn risk_areas(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<AreaQuery>,
) -> ApiResult<Json<Page<RiskArea>>> {
    let areas = state
        .app
        .risk_areas(
            &actor,
            q.in_force.unwrap_or(true),
            q.code.as_deref().filter(|c| !c.is_empty()),
        )
        .await?;
    Ok(Json(Page {
        items: areas.iter().map(area_to_wire).collect(),
        total: None,
    }))
}

/// Designate a risk area (a jurisdiction of any level); a designation in force for the same
/// code is lifted as redesignated.
#[utoipa::path(post, path = "/api/v1/inbound/risk-areas", tag = "inbound", request_body = RiskAreaCreate,
    responses((status = 201, body = RiskArea), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn designate(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(body): Json<RiskAreaCreate>,
) -> ApiResult<(StatusCode, Json<RiskArea>)> {
    let level = key("level", Some(&body.level), AreaRisk::parse, AreaRisk::keys)?
        .ok_or_else(|| Error::invalid("level", "required"))?;
    let area = state
        .app
        .designate_area(
            &actor,
            &fangkong_app::inbound::Designation {
                code: &body.code,
                name: &body.name,
                level,
                lift_after_days: body.lift_after_days,
                addresses: body.addresses.clone(),
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(area_to_wire(&area))))
}

/// Lift a designation in force, with the reason.
#[utoipa::path(post, path = "/api/v1/inbound/risk-areas/{id}/lift", tag = "inbound",
    params(("id" = i64, Path, description = "Designation id")), request_body = RiskAreaLift,
    responses((status = 200, body = RiskArea), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn lift(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(body): Json<RiskAreaLift>,
) -> ApiResult<Json<RiskArea>> {
    let area = state.app.lift_area(&actor, id, &body.reason).await?;
    Ok(Json(area_to_wire(&area)))
}

/// Import a risk-area list (CSV, XLSX or NDJSON: `code`, `name`, `level`, optional
/// `lift_after_days`), all rows or none; a code already designated at the listed level is
/// unchanged, one at another level is redesignated.
#[utoipa::path(post, path = "/api/v1/inbound/risk-areas:import", tag = "inbound", params(PolicyQuery),
    request_body(content = Vec<u8>, description = "The file", content_type = "application/octet-stream"),
    responses((status = 200, body = ImportSummary), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn import_areas(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<PolicyQuery>,
    body: Bytes,
) -> ApiResult<Json<ImportSummary>> {
    let file = q.file_name.unwrap_or_else(|| "risk-areas.csv".to_string());
    let outcome = state.app.import_risk_areas(&actor, &file, &body).await?;
    Ok(Json(super::import_summary(file, outcome)))
}
