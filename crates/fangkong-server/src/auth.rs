//! Who is calling: extractors that turn a bearer token or a session cookie into an `Actor`.
//!
//! API routes take `ApiActor` (bearer token, or the browser session with a CSRF header for
//! writes); web pages take `WebUser` (session cookie, else a redirect to the login page).
//! Handlers never look at credentials themselves.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, Method};
use axum::response::{IntoResponse, Redirect, Response};
use fangkong_app::{Actor, Error};

use crate::error::AppError;
use crate::i18n::Lang;
use crate::middleware::current_operation_id;
use crate::AppState;

/// The session cookie.
pub const SESSION_COOKIE: &str = "fk_session";
/// The language cookie.
pub const LANG_COOKIE: &str = "fk_lang";
/// The header carrying the CSRF token on cookie-authenticated API writes.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The value of cookie `name`, if sent.
pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value with our attributes.
pub fn set_cookie(
    name: &str,
    value: &str,
    max_age_secs: i64,
    http_only: bool,
    secure: bool,
) -> String {
    let mut c = format!("{name}={value}; Path=/; Max-Age={max_age_secs}; SameSite=Lax");
    if http_only {
        c.push_str("; HttpOnly");
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

/// The language chosen by cookie (default Chinese).
pub fn lang_of(parts: &Parts) -> Lang {
    cookie(parts, LANG_COOKIE).map_or(Lang::Zh, Lang::parse)
}

/// The actor of an API request.
pub struct ApiActor(pub Actor);

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .ok_or(Error::Unauthenticated)?;
            let actor = state.app.token_actor(token).await?;
            return Ok(ApiActor(actor.in_operation(&current_operation_id())));
        }
        let token = cookie(parts, SESSION_COOKIE).ok_or(Error::Unauthenticated)?;
        let (actor, csrf) = state.app.session_actor(token).await?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            if sent != Some(csrf.as_str()) {
                return Err(AppError(Error::Forbidden));
            }
        }
        Ok(ApiActor(actor.in_operation(&current_operation_id())))
    }
}

/// The signed-in user of a web page, with the session's CSRF token and the UI language.
pub struct WebUser {
    pub actor: Actor,
    pub csrf: String,
    pub lang: Lang,
}

/// Sends an anonymous visitor to the login page, remembering where they were going.
pub struct LoginRedirect(String);

impl IntoResponse for LoginRedirect {
    fn into_response(self) -> Response {
        let next = url_encode(&self.0);
        Redirect::to(&format!("/login?next={next}")).into_response()
    }
}

impl FromRequestParts<AppState> for WebUser {
    type Rejection = LoginRedirect;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, LoginRedirect> {
        let back = parts
            .uri
            .path_and_query()
            .map_or("/".to_string(), |p| p.as_str().to_string());
        let token = cookie(parts, SESSION_COOKIE).ok_or_else(|| LoginRedirect(back.clone()))?;
        let (actor, csrf) = state
            .app
            .session_actor(token)
            .await
            .map_err(|_| LoginRedirect(back))?;
        Ok(WebUser {
            actor: actor.in_operation(&current_operation_id()),
            csrf,
            lang: lang_of(parts),
        })
    }
}

/// The UI language of a page that needs no login.
pub struct PageLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for PageLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PageLang(lang_of(parts)))
    }
}

/// Percent-encodes a string for a query parameter.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Accepts only local paths as a post-login destination (no open redirect).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".to_string(),
    }
}
