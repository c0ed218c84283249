//! Person pages: search, detail with history, and the duplicate review with merge.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use fangkong_app::persons::{PersonQuery, Revealed};
use fangkong_domain::Permission;
use minijinja::{context, Value};
use serde::Deserialize;

use super::{check_csrf, render_page, PageResult, WebError};
use crate::auth::WebUser;
use crate::AppState;

const PAGE: i64 = 50;

/// Query of the search page.
#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    within: Option<String>,
    offset: Option<i64>,
}

/// `GET /persons`.
pub async fn search(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<SearchQuery>,
) -> PageResult {
    let offset = q.offset.unwrap_or(0).max(0);
    let query = PersonQuery {
        id_number: None,
        q: q.q.clone(),
        within: q.within.clone(),
        limit: PAGE,
        offset,
    };
    let (persons, error) = match state.app.search_persons(&user.actor, &query).await {
        Ok(rows) => (rows, None),
        Err(fangkong_app::Error::Invalid(fields)) => (
            Vec::new(),
            Some(
                fields
                    .iter()
                    .map(|(f, r)| format!("{f}: {r}"))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        ),
        Err(e) => return Err(WebError::new(&e, user.lang)),
    };
    let next_offset = (persons.len() as i64 == PAGE).then_some(offset + PAGE);
    let page = context! {
        q => q.q.unwrap_or_default(),
        within => q.within.unwrap_or_default(),
        persons => persons.iter().map(person_value).collect::<Vec<_>>(),
        next_offset,
        error,
    };
    render_page(
        &state,
        &user,
        "persons/search.html",
        "persons",
        "/persons",
        page,
    )
}

/// `GET /persons/{id}`.
pub async fn show(State(state): State<AppState>, user: WebUser, Path(id): Path<i64>) -> PageResult {
    show_page(&state, &user, id, None).await
}

/// The person page, with revealed identifiers when a reveal was just made.
async fn show_page(
    state: &AppState,
    user: &WebUser,
    id: i64,
    revealed: Option<Revealed>,
) -> PageResult {
    let err = |e: fangkong_app::Error| WebError::new(&e, user.lang);
    let p = state.app.person(&user.actor, id).await.map_err(err)?;
    let history = state
        .app
        .person_history(&user.actor, id)
        .await
        .map_err(err)?;
    let place = state
        .app
        .jurisdiction_path(&p.community_code)
        .await
        .map_err(err)?;
    let testing = if user.actor.scope.can(Permission::TestingRead) {
        let s = state
            .app
            .person_schedule(&user.actor, id)
            .await
            .map_err(err)?;
        Some(context! {
            last_collected_at => s.last_collected_at,
            groups => s.groups.iter().map(|(g, due)| context! {
                code => g.code.clone(), name => g.name.clone(), interval_days => g.interval_days,
                due_on => due.due_on.to_string(), days_overdue => due.days_overdue,
                status => super::testing::due_status_name(due.status),
            }).collect::<Vec<_>>(),
        })
    } else {
        None
    };
    let page = context! {
        p => person_value(&p),
        testing,
        tags => p.tags(),
        can_reveal => user.actor.scope.can(Permission::PiiReveal) && p.purged_at.is_none(),
        revealed => revealed.map(|r| context! { id_number => r.id_number, phone => r.phone }),
        history => history.iter().map(|e| context! {
            at => e.at, kind => e.kind.clone(), actor => e.actor.clone(), detail => e.detail.clone(), person_id => e.person_id,
        }).collect::<Vec<_>>(),
        place => place.iter().map(|a| context! { code => a.code.clone(), name => a.name.clone() }).collect::<Vec<_>>(),
    };
    render_page(
        state,
        user,
        "persons/show.html",
        "persons",
        &format!("/persons/{id}"),
        page,
    )
}

/// The reveal form.
#[derive(Deserialize)]
pub struct RevealForm {
    csrf: String,
    purpose: String,
    id_number: Option<String>,
    phone: Option<String>,
}

/// `POST /persons/{id}/reveal`: shows the full identifiers once, for the stated purpose
/// (audited); they are never put in a URL or cached page.
pub async fn reveal(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(form): Form<RevealForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    let revealed = state
        .app
        .reveal_person(
            &user.actor,
            id,
            &form.purpose,
            form.id_number.is_some(),
            form.phone.is_some(),
        )
        .await
        .map_err(|e| WebError::new(&e, user.lang))?;
    let mut response = show_page(&state, &user, id, Some(revealed)).await?;
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// Query of the duplicates page.
#[derive(Debug, Deserialize)]
pub struct DuplicatesQuery {
    merged: Option<String>,
}

/// `GET /persons/duplicates`.
pub async fn duplicates(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<DuplicatesQuery>,
) -> PageResult {
    let rows = state
        .app
        .duplicate_candidates(&user.actor, 50)
        .await
        .map_err(|e| WebError::new(&e, user.lang))?;
    let page = context! {
        merged => q.merged.is_some(),
        candidates => rows.iter().map(|c| context! {
            first => person_value(&c.first),
            second => person_value(&c.second),
            reason => c.reason.as_str(),
        }).collect::<Vec<_>>(),
    };
    render_page(
        &state,
        &user,
        "persons/duplicates.html",
        "duplicates",
        "/persons/duplicates",
        page,
    )
}

/// The merge form.
#[derive(Deserialize)]
pub struct MergeForm {
    csrf: String,
    keep: i64,
    duplicate: i64,
}

/// `POST /persons/merge`.
pub async fn merge(
    State(state): State<AppState>,
    user: WebUser,
    Form(form): Form<MergeForm>,
) -> PageResult {
    check_csrf(&user, &form.csrf)?;
    state
        .app
        .merge_persons(&user.actor, form.keep, form.duplicate)
        .await
        .map_err(|e| WebError::new(&e, user.lang))?;
    Ok(Redirect::to("/persons/duplicates?merged=1").into_response())
}

/// Template values of a person (masked fields only: the store type holds nothing else).
fn person_value(p: &fangkong_store::persons::Person) -> Value {
    context! {
        id => p.id, name => p.name.clone(), doc_kind => p.doc_kind.clone(), doc_masked => p.doc_masked.clone(),
        nationality => p.nationality.clone(), sex => p.sex.clone(), birth_date => p.birth_date.clone(),
        phone_masked => p.phone_masked.clone(), address => p.address.clone(), community_code => p.community_code.clone(),
        household_id => p.household_id, synthetic => p.synthetic, merged_into => p.merged_into, created_at => p.created_at,
        closed_at => p.closed_at, purged => p.purged_at.is_some(),
    }
}
