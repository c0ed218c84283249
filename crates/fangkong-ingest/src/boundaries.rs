//! Jurisdiction boundaries from GeoJSON: one polygon or multipolygon per jurisdiction code.
//!
//! Boundaries drawn in a GIS tool or downloaded from a map service arrive as a GeoJSON
//! FeatureCollection (RFC 7946). This module checks each feature's code and geometry shape
//! and hands back the geometry as compact JSON text. It does not reproject, simplify or
//! repair geometries (a ring that is not closed is an error, not a fix), and it does not
//! check that rings do not cross: that needs a geometry library the caller may have.

use std::collections::HashMap;

use fangkong_domain::JurisdictionCode;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::error::{Collector, FileErrors, RowError};

/// The field name of errors about the JSON text itself.
pub const JSON_FIELD: &str = "json";

/// One feature's boundary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundaryRecord {
    /// The line where the feature's object starts.
    pub line: u64,
    /// The jurisdiction the boundary belongs to.
    pub code: JurisdictionCode,
    /// The feature's `geometry` object as compact JSON: the input text with the whitespace
    /// between tokens removed, so coordinates keep their exact digits.
    pub geometry_json: String,
}

#[derive(Deserialize)]
struct Collection<'a> {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(borrow)]
    features: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
struct FeatureGeometry<'a> {
    #[serde(borrow)]
    geometry: Option<&'a RawValue>,
}

/// Parses a GeoJSON FeatureCollection of jurisdiction boundaries.
///
/// Each feature needs `properties.code` (a [`JurisdictionCode`], as a string or a number)
/// or `properties.adcode` (as published by map services: a 6-digit GB/T 2260 code, where
/// `410000` is read as the province `41` and `410100` as the city `4101`), and a `geometry`
/// of type `Polygon` or `MultiPolygon` whose rings are closed, have at least four positions,
/// and whose positions are `[longitude, latitude]` (an optional third number is allowed)
/// within WGS 84 bounds.
///
/// # Errors
/// Text that is not UTF-8 JSON gives one error with the line serde_json reports and the field
/// [`JSON_FIELD`]. Otherwise every bad feature is reported on the line where the feature
/// starts, with a JSON path as the field (`features[3].properties.code`,
/// `features[0].geometry.coordinates[0]`); a code given by two features is reported on the
/// second.
///
/// # Examples
/// ```
/// let json = r#"{"type": "FeatureCollection", "features": [
///   {"type": "Feature", "properties": {"adcode": 410100},
///    "geometry": {"type": "Polygon", "coordinates": [[[113, 34], [114, 34], [114, 35], [113, 34]]]}}
/// ]}"#;
/// let records = fangkong_ingest::parse_boundaries_geojson("b.geojson", json.as_bytes()).unwrap();
/// assert_eq!((records[0].line, records[0].code.as_str()), (2, "4101"));
/// assert_eq!(
///     records[0].geometry_json,
///     r#"{"type":"Polygon","coordinates":[[[113,34],[114,34],[114,35],[113,34]]]}"#
/// );
/// ```
pub fn parse_boundaries_geojson(
    file_name: &str,
    bytes: &[u8],
) -> Result<Vec<BoundaryRecord>, FileErrors> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = line_count(&bytes[..e.valid_up_to()]);
        one_error(file_name, line, JSON_FIELD, "text is not utf-8")
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines = LineIndex::new(text);
    let start = text.len() - text.trim_start().len();
    let start_line = lines.line_of(start);
    if !text[start..].starts_with('{') && !text[start..].is_empty() {
        // serde would read an array positionally into `Collection` and complain about its
        // first element; the real problem is the shape of the whole document.
        return Err(one_error(
            file_name,
            start_line,
            JSON_FIELD,
            "expected an object (a geojson FeatureCollection)",
        ));
    }
    let collection: Collection<'_> = serde_json::from_str(text).map_err(|e| {
        one_error(
            file_name,
            e.line().max(1) as u64,
            JSON_FIELD,
            &json_reason(&e),
        )
    })?;
    if collection.kind.as_deref() != Some("FeatureCollection") {
        return Err(one_error(
            file_name,
            start_line,
            "type",
            "expected FeatureCollection",
        ));
    }
    let Some(features) = collection.features else {
        return Err(one_error(file_name, start_line, "features", "is required"));
    };

    let mut errors = Collector::new(file_name);
    let mut seen: HashMap<JurisdictionCode, u64> = HashMap::new();
    let mut records = Vec::with_capacity(features.len());
    for (i, raw) in features.iter().enumerate() {
        let offset = raw
            .get()
            .as_ptr()
            .addr()
            .saturating_sub(text.as_ptr().addr());
        let line = lines.line_of(offset);
        let path = format!("features[{i}]");
        let Some(code) = read_feature(&mut errors, line, &path, raw) else {
            continue;
        };
        if let Some(first) = seen.get(&code) {
            errors.push(
                line,
                format!("{path}.properties.code"),
                format!("repeats the feature at line {first}"),
            );
            continue;
        }
        seen.insert(code.clone(), line);
        // The geometry was parsed and checked by `read_feature`, so it is present.
        let geometry = serde_json::from_str::<FeatureGeometry<'_>>(raw.get())
            .ok()
            .and_then(|f| f.geometry);
        if let Some(geometry) = geometry {
            records.push(BoundaryRecord {
                line,
                code,
                geometry_json: compact_json(geometry.get()),
            });
        }
    }
    errors.finish(records)
}

/// Checks one feature, recording every problem; its code if nothing was wrong.
fn read_feature(
    errors: &mut Collector,
    line: u64,
    path: &str,
    raw: &RawValue,
) -> Option<JurisdictionCode> {
    let before = errors.len();
    let value: Value = match serde_json::from_str(raw.get()) {
        Ok(value) => value,
        Err(e) => {
            errors.push(line, path, json_reason(&e));
            return None;
        }
    };
    let Some(feature) = value.as_object() else {
        errors.push(line, path, "expected a feature object");
        return None;
    };
    if feature.get("type").and_then(Value::as_str) != Some("Feature") {
        errors.push(line, format!("{path}.type"), "expected Feature");
    }
    let code = match feature.get("properties") {
        Some(Value::Object(properties)) => read_code(errors, line, path, properties),
        Some(Value::Null) | None => {
            errors.push(line, format!("{path}.properties"), "is required");
            None
        }
        Some(_) => {
            errors.push(line, format!("{path}.properties"), "expected an object");
            None
        }
    };
    let path = format!("{path}.geometry");
    match feature.get("geometry") {
        Some(Value::Null) | None => errors.push(line, path, "is required"),
        Some(Value::Object(geometry)) => check_geometry(errors, line, &path, geometry),
        Some(_) => errors.push(line, path, "expected a geometry object"),
    }
    if errors.len() != before {
        return None;
    }
    code
}

fn read_code(
    errors: &mut Collector,
    line: u64,
    path: &str,
    properties: &Map<String, Value>,
) -> Option<JurisdictionCode> {
    let (key, value) = match (properties.get("code"), properties.get("adcode")) {
        (Some(code), _) if !code.is_null() => ("code", code),
        (_, Some(adcode)) if !adcode.is_null() => ("adcode", adcode),
        _ => {
            errors.push(
                line,
                format!("{path}.properties.code"),
                "is required (code or adcode)",
            );
            return None;
        }
    };
    let field = format!("{path}.properties.{key}");
    let text = match value {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) if n.is_u64() => n.to_string(),
        _ => {
            errors.push(line, field, "expected a string or a whole number");
            return None;
        }
    };
    let text = if key == "adcode" {
        adcode_to_code(&text)
    } else {
        &text
    };
    match JurisdictionCode::parse(text) {
        Ok(code) => Some(code),
        Err(e) => {
            errors.push(line, field, e.to_string());
            None
        }
    }
}

/// GB/T 2260 writes every level with six digits: `410000` is the province `41` and `410100`
/// the city `4101`; county codes never end in `00`.
fn adcode_to_code(adcode: &str) -> &str {
    if adcode.len() != 6 {
        adcode
    } else if adcode.ends_with("0000") {
        &adcode[..2]
    } else if adcode.ends_with("00") {
        &adcode[..4]
    } else {
        adcode
    }
}

fn check_geometry(errors: &mut Collector, line: u64, path: &str, geometry: &Map<String, Value>) {
    let kind = match geometry.get("type") {
        Some(Value::String(kind)) => kind.as_str(),
        Some(_) => {
            errors.push(line, format!("{path}.type"), "expected a string");
            return;
        }
        None => {
            errors.push(line, format!("{path}.type"), "is required");
            return;
        }
    };
    if kind != "Polygon" && kind != "MultiPolygon" {
        errors.push(
            line,
            format!("{path}.type"),
            format!("expected Polygon or MultiPolygon, found {kind}"),
        );
        return;
    }
    let path = format!("{path}.coordinates");
    let Some(coordinates) = geometry.get("coordinates") else {
        errors.push(line, path, "is required");
        return;
    };
    if kind == "Polygon" {
        check_polygon(errors, line, &path, coordinates);
        return;
    }
    match coordinates.as_array() {
        Some(polygons) if !polygons.is_empty() => {
            for (j, polygon) in polygons.iter().enumerate() {
                check_polygon(errors, line, &format!("{path}[{j}]"), polygon);
            }
        }
        Some(_) => errors.push(line, path, "a multipolygon needs at least one polygon"),
        None => errors.push(line, path, "expected an array of polygons"),
    }
}

/// RFC 7946 section 3.1.6: a polygon is an array of linear rings; a ring has four or more
/// positions and its first and last positions are equivalent.
fn check_polygon(errors: &mut Collector, line: u64, path: &str, polygon: &Value) {
    let Some(rings) = polygon.as_array() else {
        errors.push(line, path, "expected an array of rings");
        return;
    };
    if rings.is_empty() {
        errors.push(line, path, "a polygon needs at least one ring");
    }
    for (k, ring) in rings.iter().enumerate() {
        let ring_path = format!("{path}[{k}]");
        let Some(positions) = ring.as_array() else {
            errors.push(line, ring_path, "expected an array of positions");
            continue;
        };
        let mut parsed = Vec::with_capacity(positions.len());
        for (m, position) in positions.iter().enumerate() {
            match read_position(position) {
                Ok(p) => parsed.push(p),
                Err(reason) => {
                    // One bad position per ring is enough to find the problem.
                    errors.push(line, format!("{ring_path}[{m}]"), reason);
                    break;
                }
            }
        }
        if parsed.len() != positions.len() {
            continue;
        }
        if positions.len() < 4 {
            errors.push(
                line,
                ring_path,
                format!(
                    "ring has {} positions, at least 4 are needed",
                    positions.len()
                ),
            );
        } else if parsed.first() != parsed.last() {
            errors.push(
                line,
                ring_path,
                "ring is not closed: the last position must equal the first",
            );
        }
    }
}

/// RFC 7946 section 3.1.1: `[longitude, latitude]` in WGS 84, with an optional altitude.
fn read_position(position: &Value) -> Result<Vec<f64>, &'static str> {
    const SHAPE: &str = "expected a position [longitude, latitude]";
    let numbers = position.as_array().ok_or(SHAPE)?;
    if !(2..=3).contains(&numbers.len()) {
        return Err(SHAPE);
    }
    let numbers: Vec<f64> = numbers
        .iter()
        .map(Value::as_f64)
        .collect::<Option<_>>()
        .ok_or(SHAPE)?;
    if !(-180.0..=180.0).contains(&numbers[0]) {
        return Err("longitude is outside -180 to 180; coordinates must be wgs 84 degrees");
    }
    if !(-90.0..=90.0).contains(&numbers[1]) {
        return Err("latitude is outside -90 to 90; coordinates must be wgs 84 degrees");
    }
    Ok(numbers)
}

/// Removes the whitespace between JSON tokens, leaving strings and numbers as written.
fn compact_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in json.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            out.push(c);
        }
    }
    out
}

/// serde_json's message without its ` at line L column C` suffix (the line is reported
/// separately).
fn json_reason(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_string()
}

fn one_error(file_name: &str, line: u64, field: &str, reason: &str) -> FileErrors {
    FileErrors {
        file: file_name.to_string(),
        errors: vec![RowError::new(line, field, reason)],
    }
}

fn line_count(bytes: &[u8]) -> u64 {
    1 + bytes.iter().filter(|b| **b == b'\n').count() as u64
}

/// Byte offsets of the line breaks of a text, to turn offsets into 1-based lines.
struct LineIndex {
    newlines: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> LineIndex {
        let newlines = text
            .bytes()
            .enumerate()
            .filter(|(_, b)| *b == b'\n')
            .map(|(i, _)| i)
            .collect();
        LineIndex { newlines }
    }

    fn line_of(&self, offset: usize) -> u64 {
        1 + self.newlines.partition_point(|&p| p < offset) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_json_keeps_strings_and_numbers() {
        assert_eq!(
            compact_json("{ \"type\" : \"Poly gon\\\" x\",\n \"c\": [ 1.50 , -2e3 ] }"),
            "{\"type\":\"Poly gon\\\" x\",\"c\":[1.50,-2e3]}"
        );
    }

    #[test]
    fn adcodes_map_to_level_codes() {
        assert_eq!(adcode_to_code("410000"), "41");
        assert_eq!(adcode_to_code("410100"), "4101");
        assert_eq!(adcode_to_code("410102"), "410102");
        assert_eq!(adcode_to_code("410102001"), "410102001");
    }

    #[test]
    fn line_index_counts_from_one() {
        let index = LineIndex::new("a\nb\n\nc");
        assert_eq!(index.line_of(0), 1);
        assert_eq!(index.line_of(1), 1);
        assert_eq!(index.line_of(2), 2);
        assert_eq!(index.line_of(5), 4);
    }
}
