//! What the form-handling pages share: the notice a refused or accepted form shows on the
//! page it returns to, how an app error becomes that notice, the 422 status of a refused
//! form, the "done" message after a redirect, and the China-time display of a timestamp.

use axum::http::StatusCode;
use fangkong_app::Error;
use minijinja::{context, Value};

use super::{PageResult, WebError};
use crate::i18n::{text, Lang};

/// What a form did, shown on the page it returns to.
#[derive(Debug, Default)]
pub(super) struct Notice {
    /// A refusal (bad field, conflict).
    pub error: Option<String>,
    /// A file refused as a whole: its name and every bad line.
    pub import: Option<(String, Vec<fangkong_ingest::RowError>)>,
    /// What was done.
    pub done: Option<String>,
    /// An import outcome as (label key, count) lines.
    pub outcome: Vec<(String, u64)>,
    /// Rows an import refused while storing the others: line, field, reason.
    pub refused: Vec<(u64, String, String)>,
}

impl Notice {
    /// A refusal with its reason.
    pub fn error(reason: String) -> Notice {
        Notice {
            error: Some(reason),
            ..Notice::default()
        }
    }

    /// Whether the form was refused (the page answers 422).
    pub fn failed(&self) -> bool {
        self.error.is_some() || self.import.is_some()
    }

    /// The template value.
    pub fn value(&self) -> Value {
        let (file, errors) = match &self.import {
            Some((f, e)) => (Some(f.clone()), e.clone()),
            None => (None, Vec::new()),
        };
        context! {
            error => self.error.clone(),
            import_file => file,
            import_errors => errors.iter().map(|r| context! { line => r.line, field => r.field.clone(), reason => r.reason.clone() }).collect::<Vec<_>>(),
            done => self.done.clone(),
            outcome => self.outcome.iter().map(|(k, n)| context! { label => k.clone(), count => *n }).collect::<Vec<_>>(),
            refused => self.refused.iter().map(|(l, f, r)| context! { line => *l, field => f.clone(), reason => r.clone() }).collect::<Vec<_>>(),
        }
    }
}

/// A client mistake in a form becomes a notice naming the field; anything else is the error
/// page. `entries[0].` is dropped from field names: a page form adds one entry at a time.
pub(super) fn form_error(e: Error, lang: Lang) -> Result<Notice, WebError> {
    match e {
        Error::Import(f) => Ok(Notice {
            import: Some((f.file, f.errors)),
            ..Notice::default()
        }),
        Error::Invalid(fields) => Ok(Notice::error(
            fields
                .iter()
                .map(|(f, r)| format!("{}: {r}", f.strip_prefix("entries[0].").unwrap_or(f)))
                .collect::<Vec<_>>()
                .join("; "),
        )),
        e @ Error::Conflict(_) => Ok(Notice::error(crate::error::problem(&e).detail)),
        e => Err(WebError::new(&e, lang)),
    }
}

/// A page answered with its notice: 422 when the form was refused.
pub(super) fn with_status(page: PageResult, notice_failed: bool) -> PageResult {
    let mut page = page?;
    if notice_failed {
        *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(page)
}

/// The message of `<prefix>.done.<key>` after a redirect with `?done=<key>` (keys are
/// lowercase words, anything else is ignored).
pub(super) fn done_text(lang: Lang, prefix: &str, done: Option<&str>) -> Option<String> {
    done.filter(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .map(|d| text(lang, &format!("{prefix}.done.{d}")))
}

/// The app error as the error page, in the user's language.
pub(super) fn err(lang: Lang) -> impl Fn(Error) -> WebError {
    move |e| WebError::new(&e, lang)
}

/// The Chinese or the English text.
pub(super) fn by_lang(lang: Lang, zh: &str, en: &str) -> String {
    if lang == Lang::En { en } else { zh }.to_string()
}

/// Unix milliseconds as `YYYY-MM-DD HH:MM` in China Standard Time.
pub(super) fn china_time(ms: i64) -> String {
    let at = ms + fangkong_app::testing::schedules::CHINA_OFFSET_MS;
    chrono::DateTime::from_timestamp_millis(at)
        .map(|t| t.naive_utc().format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// A form's values by name (a form may repeat a name: one per ticked box, one per row).
pub(super) struct Fields(pub(super) Vec<(String, String)>);

impl Fields {
    pub(super) fn one(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    pub(super) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    pub(super) fn ids(&self, name: &str) -> Vec<i64> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .filter_map(|(_, v)| v.trim().parse().ok())
            .collect()
    }
}

/// The name of a stored key of one of the domain's vocabularies in `lang`; an unknown key
/// shows itself.
macro_rules! name_of {
    ($ty:ty, $lang:expr, $key:expr) => {{
        let key: &str = $key;
        <$ty>::parse(key).map_or_else(
            || key.to_string(),
            |v| super::forms::by_lang($lang, v.name_zh(), v.name_en()),
        )
    }};
}

/// Every value of a vocabulary as `{key, name}` for a `<select>`.
macro_rules! options {
    ($ty:ty, $lang:expr) => {
        <$ty>::ALL
            .iter()
            .map(|v| minijinja::context! { key => v.as_str(), name => super::forms::by_lang($lang, v.name_zh(), v.name_en()) })
            .collect::<Vec<_>>()
    };
}

pub(super) use name_of;
pub(super) use options;
