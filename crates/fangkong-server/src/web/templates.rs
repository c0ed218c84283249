//! Templates: embedded at build time, rendered with minijinja, with the `t()` translation
//! function and a few display filters. Autoescaping is on for every `.html` template.

use minijinja::value::Value;
use minijinja::{Environment, State};
use rust_embed::Embed;

use crate::i18n::{text, Lang};

#[derive(Embed)]
#[folder = "templates/"]
struct Files;

/// The process-wide template set, compiled on first use.
///
/// # Panics
/// When an embedded template does not compile: a build defect that the test
/// `every_template_compiles` catches first.
#[allow(clippy::expect_used)]
pub fn global() -> &'static Templates {
    static TEMPLATES: std::sync::OnceLock<Templates> = std::sync::OnceLock::new();
    TEMPLATES.get_or_init(|| Templates::load().expect("embedded templates compile"))
}

/// The compiled template set.
pub struct Templates {
    env: Environment<'static>,
}

/// Why a page could not be rendered (a template bug; tests render every page).
#[derive(Debug, thiserror::Error)]
#[error("template {name}: {source}")]
pub struct RenderError {
    name: String,
    #[source]
    source: minijinja::Error,
}

fn translate(state: &State, key: &str) -> String {
    let lang = state
        .lookup("lang")
        .and_then(|v| v.as_str().map(Lang::parse))
        .unwrap_or(Lang::Zh);
    text(lang, key)
}

fn thousands(value: Value) -> String {
    let Some(n) = value.as_i64() else {
        return if value.is_none() || value.is_undefined() {
            "—".to_string()
        } else {
            value.to_string()
        };
    };
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Unix milliseconds as `YYYY-MM-DD HH:MM` in China Standard Time.
fn datetime(ms: i64) -> String {
    let Some(utc) = chrono::DateTime::from_timestamp_millis(ms) else {
        return String::new();
    };
    let Some(cst) = chrono::FixedOffset::east_opt(8 * 3600) else {
        return String::new();
    };
    utc.with_timezone(&cst).format("%Y-%m-%d %H:%M").to_string()
}

impl Templates {
    /// Compiles every embedded template.
    ///
    /// # Errors
    /// A template that does not parse.
    pub fn load() -> Result<Templates, RenderError> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        for name in Files::iter() {
            let Some(file) = Files::get(&name) else {
                continue;
            };
            let source = String::from_utf8_lossy(&file.data).into_owned();
            env.add_template_owned(name.to_string(), source)
                .map_err(|source| RenderError {
                    name: name.to_string(),
                    source,
                })?;
        }
        env.add_function("t", translate);
        env.add_filter("thousands", thousands);
        env.add_filter("datetime", datetime);
        Ok(Templates { env })
    }

    /// Renders `name` with `context`.
    ///
    /// # Errors
    /// A missing template or a variable the template needs but the context lacks.
    pub fn render(&self, name: &str, context: Value) -> Result<String, RenderError> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(context))
            .map_err(|source| RenderError {
                name: name.to_string(),
                source,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_format_numbers_and_times() {
        assert_eq!(thousands(Value::from(7_008_427)), "7,008,427");
        assert_eq!(thousands(Value::from(-1234)), "-1,234");
        assert_eq!(thousands(Value::from(12)), "12");
        assert_eq!(thousands(Value::from(())), "—");
        assert_eq!(datetime(0), "1970-01-01 08:00");
    }

    #[test]
    fn every_template_compiles() {
        Templates::load().unwrap();
    }
}
