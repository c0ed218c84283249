//! The drill scenario file parser never panics, accepts the shipped scenarios and names the
//! field of a bad value (issue #14).

use fangkong_sim::drill::{parse_scenario, Setting};
use proptest::prelude::*;

const SHIPPED: [(&str, &str); 3] = [
    (
        "cold-chain.toml",
        include_str!("../../../../scenarios/cold-chain.toml"),
    ),
    (
        "school.toml",
        include_str!("../../../../scenarios/school.toml"),
    ),
    (
        "travel.toml",
        include_str!("../../../../scenarios/travel.toml"),
    ),
];

#[test]
fn shipped_scenarios_parse() {
    let settings: Vec<(String, Setting, u16)> = SHIPPED
        .iter()
        .map(|(f, t)| {
            let s = parse_scenario(f, t).unwrap();
            (s.name, s.seeding.setting, s.days)
        })
        .collect();
    assert_eq!(
        settings,
        vec![
            ("cold-chain".into(), Setting::ColdChain, 30),
            ("school".into(), Setting::School, 30),
            ("travel".into(), Setting::Travel, 30),
        ]
    );
}

/// The top-level and seeding keys of the school file, with a value of the wrong type each.
const KEYS: [(&str, &str, &str); 7] = [
    ("seed = 202", "seed = \"x\"", "seed"),
    ("days = 30", "days = -3", "days"),
    ("population = 3000", "population = 12", "population"),
    ("cases = 3", "cases = 0", "seeding.cases"),
    (
        "setting = \"school\"",
        "setting = \"moon\"",
        "seeding.setting",
    ),
    (
        "school_beta = 0.05",
        "school_beta = 7.0",
        "simulation.contacts.school_beta",
    ),
    (
        "end_day = 22",
        "end_day = 8",
        "simulation.interventions.end_day",
    ),
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,400}") {
        let _ = parse_scenario("x.toml", &text);
    }

    #[test]
    fn truncated_or_spliced_files_never_panic(cut in 0usize..2000, insert in "[ -~\n]{0,40}") {
        for (file, text) in SHIPPED {
            let mut t = text.to_string();
            let at = t.char_indices().map(|(i, _)| i).nth(cut % t.chars().count().max(1)).unwrap_or(0);
            t.insert_str(at, &insert);
            let _ = parse_scenario(file, &t);
            let _ = parse_scenario(file, &text[..text.char_indices().map(|(i, _)| i).nth(cut % text.chars().count().max(1)).unwrap_or(0)]);
        }
    }

    #[test]
    fn a_bad_value_is_reported_at_its_field(k in 0usize..KEYS.len(), extra_lines in 0usize..4) {
        let (good, bad, field) = KEYS[k];
        let text = format!("{}{}", "\n".repeat(extra_lines), SHIPPED[1].1.replace(good, bad));
        let e = parse_scenario("school.toml", &text).unwrap_err();
        prop_assert_eq!(e.field.as_str(), field);
        let line = text.lines().position(|l| l.trim() == bad).map(|i| i as u64 + 1);
        prop_assert_eq!(Some(e.line), line);
        let prefix = format!("school.toml:{}: {}: ", e.line, field);
        prop_assert!(e.to_string().starts_with(&prefix));
    }
}
