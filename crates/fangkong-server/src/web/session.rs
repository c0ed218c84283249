//! Login, logout and the language switch.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, State};
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

/// The double-submit cookie that protects the login form against cross-site posting.
const LOGIN_CSRF_COOKIE: &str = "fk_login_csrf";

/// `GET /login`.
pub async fn login_page(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    Query(q): Query<LoginQuery>,
) -> PageResult {
    let token = fangkong_app::auth::random_token("");
    let page = context! {
        next => safe_next(q.next.as_deref()),
        failed => q.failed.as_deref().unwrap_or(""),
        login_csrf => token.clone(),
    };
    let mut response = render(
        "login.html",
        page_context(&state, None, lang, "login", "/login", page),
        lang,
    )?;
    let cookie = set_cookie(LOGIN_CSRF_COOKIE, &token, 3600, true, state.secure_cookies);
    if let Ok(v) = header::HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

/// The login form.
#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
    login_csrf: Option<String>,
}

/// The login form's CSRF cookie, if sent.
pub struct LoginCsrf(Option<String>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for LoginCsrf {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(LoginCsrf(
            cookie(parts, LOGIN_CSRF_COOKIE).map(str::to_string),
        ))
    }
}

/// `POST /login`: opens a session and goes where the user was going. Attempts are limited
/// per client address ([`crate::state::LoginThrottle`]) and per account (lockout in the app).
pub async fn login(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    LoginCsrf(sent_cookie): LoginCsrf,
    Form(form): Form<LoginForm>,
) -> Result<Response, WebError> {
    let next = safe_next(form.next.as_deref());
    let back = |why: &str| {
        Redirect::to(&format!(
            "/login?failed={why}&next={}",
            crate::auth::url_encode(&next)
        ))
        .into_response()
    };
    let csrf_ok =
        matches!((&sent_cookie, &form.login_csrf), (Some(c), Some(f)) if !c.is_empty() && c == f);
    if !csrf_ok {
        return Err(WebError::new(&Error::Forbidden, lang));
    }
    if !state.login_throttle.allow(peer.ip(), state.app.now_ms()) {
        tracing::info!(peer = %peer.ip(), "login throttled");
        return Ok(back("throttled"));
    }
    let operation_id = crate::middleware::current_operation_id();
    match state
        .app
        .login(&form.username, &form.password, &operation_id)
        .await
    {
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
            Ok(back("1"))
        }
        Err(Error::Locked { .. }) => {
            tracing::info!("login refused: account locked");
            Ok(back("locked"))
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
