//! Risk-area lists (national or provincial) as offices exchange them: CSV, XLSX or NDJSON,
//! one designation per row.

use std::collections::HashMap;

use fangkong_domain::policy::AreaRisk;
use fangkong_domain::JurisdictionCode;

use crate::error::{Collector, FileErrors};
use crate::jurisdictions::required_code;
use crate::table::read_table_lenient;

/// One designation of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskAreaRecord {
    pub line: u64,
    pub code: JurisdictionCode,
    pub name: String,
    pub level: AreaRisk,
    pub lift_after_days: Option<u32>,
}

/// A list published as one JSON array of objects, as NDJSON text: element `n` (from 1) on
/// line `n`, so errors name the element. `None` when the file is not a JSON array.
fn json_array_as_lines(file_name: &str, bytes: &[u8]) -> Result<Option<String>, FileErrors> {
    let text = bytes.strip_prefix(crate::table::UTF8_BOM).unwrap_or(bytes);
    if text.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'[') {
        return Ok(None);
    }
    let items: Vec<serde_json::Value> = serde_json::from_slice(text)
        .map_err(|e| FileErrors::whole_file(file_name, format!("not a JSON array: {e}")))?;
    let mut out = String::new();
    for item in items {
        out.push_str(&item.to_string());
        out.push('\n');
    }
    Ok(Some(out))
}

/// Parses a risk-area list (CSV, XLSX, NDJSON, or a JSON array of objects whose element
/// `n` is reported as line `n`); all or nothing.
///
/// Columns: `code` (a jurisdiction code of any level), `name`, `level` (`high`, `medium`,
/// `low`, `sealed`, `controlled`, `precaution`, or the Chinese names 高风险区, 中风险区,
/// 低风险区, 封控区, 管控区, 防范区), and optionally `lift_after_days` (1 to 60). A code listed
/// twice is an error naming the first line.
///
/// # Errors
/// Every bad value of every row and every structural error of [`crate::read_table`].
///
/// # Examples
/// ```
/// let csv = "code,name,level\n110105,朝阳区,中风险区\n";
/// let areas = fangkong_ingest::parse_risk_areas("list.csv", csv.as_bytes()).unwrap();
/// assert_eq!(areas[0].level, fangkong_domain::policy::AreaRisk::Medium);
/// ```
pub fn parse_risk_areas(file_name: &str, bytes: &[u8]) -> Result<Vec<RiskAreaRecord>, FileErrors> {
    let lines;
    let bytes = match json_array_as_lines(file_name, bytes)? {
        Some(converted) => {
            lines = converted;
            lines.as_bytes()
        }
        None => bytes,
    };
    let (table, structural) = read_table_lenient(file_name, bytes)?;
    table.require(&["code", "name", "level"])?;
    let mut errors = Collector::new(file_name);
    errors.extend(structural);
    let mut seen: HashMap<JurisdictionCode, u64> = HashMap::new();
    let mut records = Vec::with_capacity(table.len());
    for row in table.rows() {
        let line = row.line();
        let code = required_code(&mut errors, &row, "code");
        let name = row.value("name");
        if name.is_none() {
            errors.push(line, "name", "is required");
        }
        let level = match row.value("level") {
            None => {
                errors.push(line, "level", "is required");
                None
            }
            Some(v) => {
                let level = AreaRisk::parse(&v.to_lowercase())
                    .or_else(|| AreaRisk::ALL.iter().copied().find(|r| r.name_zh() == v));
                if level.is_none() {
                    errors.push(
                        line,
                        "level",
                        format!("unknown level; expected one of {}", AreaRisk::keys()),
                    );
                }
                level
            }
        };
        let lift_after_days = match row.value("lift_after_days").map(str::parse::<u32>) {
            None => Ok(None),
            Some(Ok(n)) if (1..=60).contains(&n) => Ok(Some(n)),
            Some(_) => {
                errors.push(
                    line,
                    "lift_after_days",
                    "must be a whole number from 1 to 60",
                );
                Err(())
            }
        };
        let Some(code) = code else { continue };
        if let Some(first) = seen.get(&code) {
            errors.push(line, "code", format!("repeats line {first}"));
            continue;
        }
        seen.insert(code.clone(), line);
        if let (Some(name), Some(level), Ok(lift_after_days)) = (name, level, lift_after_days) {
            records.push(RiskAreaRecord {
                line,
                code,
                name: name.to_string(),
                level,
                lift_after_days,
            });
        }
    }
    errors.finish(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_array_reads_like_ndjson_with_elements_as_lines() {
        let json = r#"[{"code": "110105", "name": "朝阳区", "level": "中风险区"},
                      {"code": "310115001", "name": "花木街道", "level": "purple"}]"#;
        let err = parse_risk_areas("list.json", json.as_bytes()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "list.json:2: level: unknown level; expected one of high, medium, low, sealed, controlled, precaution"
        );
        let ok =
            parse_risk_areas("list.json", json.replace("purple", "sealed").as_bytes()).unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[1].level, AreaRisk::Sealed);
        assert!(parse_risk_areas("list.json", b"[1, ").is_err());
    }

    #[test]
    fn every_bad_value_is_named_and_nothing_is_returned() {
        let csv = "code,name,level,lift_after_days\n\
                   110105,朝阳区,中风险区,7\n\
                   1101x,,purple,0\n\
                   110105,朝阳区,high,\n\
                   310115001,花木街道,sealed,\n";
        let errors = parse_risk_areas("list.csv", csv.as_bytes()).unwrap_err();
        expect_test::expect![[r#"
            list.csv:3: code: a jurisdiction code holds only digits
            list.csv:3: name: is required
            list.csv:3: level: unknown level; expected one of high, medium, low, sealed, controlled, precaution
            list.csv:3: lift_after_days: must be a whole number from 1 to 60
            list.csv:4: code: repeats line 2"#]]
        .assert_eq(&errors.to_string());
        let good = "code,name,level\n110105,朝阳区,中风险区\n310115001,花木街道,sealed\n";
        let areas = parse_risk_areas("list.csv", good.as_bytes()).unwrap();
        assert_eq!(
            areas
                .iter()
                .map(|a| (a.line, a.code.as_str(), a.level))
                .collect::<Vec<_>>(),
            vec![
                (2, "110105", AreaRisk::Medium),
                (3, "310115001", AreaRisk::Sealed)
            ]
        );
    }
}
