//! Login, logout and the language switch.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use fangkong_app::auth::SESSION_HOURS;
use fangkong_app::Error;
use minijinja::context;
use serde::Deserialize;

use super::{check_csrf, page_context, render, PageResult, WebError};
use crate::auth::{cookie, safe_next, set_cookie, PageLang, WebUser, LANG_COOKIE, SESSION_COOKIE};
use crate::i18n::Lang;
use crate::AppState;

/// Query of the login page.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    failed: Option<String>,
}

/// `GET /login`.
pub async fn login_page(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    Query(q): Query<LoginQuery>,
) -> PageResult {
    let page = context! { next => safe_next(q.next.as_deref()), failed => q.failed.is_some() };
    render(
        "login.html",
        page_context(&state, None, lang, "login", "/login", page),
        lang,
    )
}

/// The login form.
#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

/// `POST /login`: opens a session and goes where the user was going.
pub async fn login(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    Form(form): Form<LoginForm>,
) -> Result<Response, WebError> {
    let next = safe_next(form.next.as_deref());
    match state.app.login(&form.username, &form.password).await {
        Ok(session) => {
            let cookie = set_cookie(
                SESSION_COOKIE,
                &session.token,
                SESSION_HOURS * 3600,
                true,
                state.secure_cookies,
            );
            tracing::info!(user = %session.actor.username, "login");
            Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response())
        }
        Err(Error::Unauthenticated) => {
            tracing::info!("login refused");
            let back = format!("/login?failed=1&next={}", crate::auth::url_encode(&next));
            Ok(Redirect::to(&back).into_response())
        }
        Err(e) => Err(WebError::new(&e, lang)),
    }
}

/// The logout form.
#[derive(Deserialize)]
pub struct LogoutForm {
    csrf: String,
}

/// `POST /logout`.
pub async fn logout(
    State(state): State<AppState>,
    user: WebUser,
    request_cookie: SessionToken,
    Form(form): Form<LogoutForm>,
) -> Result<Response, WebError> {
    check_csrf(&user, &form.csrf)?;
    if let Some(token) = request_cookie.0 {
        state
            .app
            .logout(&token)
            .await
            .map_err(|e| WebError::new(&e, user.lang))?;
    }
    let clear = set_cookie(SESSION_COOKIE, "", 0, true, state.secure_cookies);
    Ok(([(header::SET_COOKIE, clear)], Redirect::to("/login")).into_response())
}

/// The raw session token of the request, if any.
pub struct SessionToken(Option<String>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for SessionToken {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(SessionToken(
            cookie(parts, SESSION_COOKIE).map(str::to_string),
        ))
    }
}

/// Query of the language switch.
#[derive(Debug, Deserialize)]
pub struct LangQuery {
    next: Option<String>,
}

/// `GET /lang/{lang}`: remembers the UI language for a year.
pub async fn set_lang(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    Query(q): Query<LangQuery>,
) -> Response {
    let lang = Lang::parse(&lang);
    let cookie = set_cookie(
        LANG_COOKIE,
        lang.tag(),
        365 * 86_400,
        false,
        state.secure_cookies,
    );
    (
        [(header::SET_COOKIE, cookie)],
        Redirect::to(&safe_next(q.next.as_deref())),
    )
        .into_response()
}
