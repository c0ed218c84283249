//! User-facing text in Simplified Chinese (default) and English, from embedded locale files.
//!
//! Keys are flat dotted strings (`nav.persons`); a key missing from English falls back to
//! Chinese, and a key missing from both shows itself, so a gap is visible rather than blank.

use std::collections::HashMap;
use std::sync::OnceLock;

/// A UI language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    /// The BCP 47 tag used in `<html lang>` and the `lang` cookie.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// Parses a cookie or query value; anything unknown is Chinese.
    pub fn parse(s: &str) -> Lang {
        if s.eq_ignore_ascii_case("en") || s.to_ascii_lowercase().starts_with("en-") {
            Lang::En
        } else {
            Lang::Zh
        }
    }
}

type Catalog = HashMap<String, String>;

#[allow(clippy::expect_used)]
fn catalogs() -> &'static (Catalog, Catalog) {
    static CATALOGS: OnceLock<(Catalog, Catalog)> = OnceLock::new();
    CATALOGS.get_or_init(|| {
        let zh: Catalog = serde_json::from_str(include_str!("../locales/zh-CN.json"))
            .expect("locales/zh-CN.json is valid JSON (checked by a test)");
        let en: Catalog = serde_json::from_str(include_str!("../locales/en.json"))
            .expect("locales/en.json is valid JSON (checked by a test)");
        (zh, en)
    })
}

/// The text of `key` in `lang`.
pub fn text(lang: Lang, key: &str) -> String {
    let (zh, en) = catalogs();
    let primary = if lang == Lang::En { en } else { zh };
    primary
        .get(key)
        .or_else(|| zh.get(key))
        .cloned()
        .unwrap_or_else(|| key.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogs_have_the_same_keys() {
        let (zh, en) = catalogs();
        let mut missing: Vec<_> = zh.keys().filter(|k| !en.contains_key(*k)).collect();
        missing.extend(en.keys().filter(|k| !zh.contains_key(*k)));
        assert!(
            missing.is_empty(),
            "keys missing in one locale: {missing:?}"
        );
        assert_eq!(text(Lang::En, "nav.persons"), "People");
        assert_eq!(text(Lang::Zh, "nav.persons"), "人员");
    }
}
