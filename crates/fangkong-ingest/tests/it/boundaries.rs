//! GeoJSON boundaries: codes, geometry shapes, and the line where each feature starts.

use expect_test::{expect, Expect};
use fangkong_ingest::parse_boundaries_geojson;

fn check(json: &str, expect: Expect) {
    let actual = match parse_boundaries_geojson("b.geojson", json.as_bytes()) {
        Ok(records) => records
            .iter()
            .map(|r| format!("line {}: {} {}\n", r.line, r.code, r.geometry_json))
            .collect(),
        Err(e) => e.to_string(),
    };
    expect.assert_eq(&actual);
}

#[test]
fn valid_features_give_compact_geometry_and_their_start_line() {
    check(
        r#"{
  "type": "FeatureCollection",
  "features": [
    {
      "type": "Feature",
      "properties": { "code": "410102", "name": "中原区" },
      "geometry": {
        "type": "Polygon",
        "coordinates": [
          [[113.60, 34.74], [113.65, 34.74], [113.65, 34.78], [113.60, 34.74]]
        ]
      }
    },
    { "type": "Feature", "properties": { "adcode": 410100 },
      "geometry": { "type": "MultiPolygon", "coordinates": [
        [[[113, 34], [114, 34], [114, 35], [113, 34]],
         [[113.2, 34.2], [113.3, 34.2], [113.3, 34.3], [113.2, 34.2]]],
        [[[115, 34, 100.5], [116, 34, 100.5], [116, 35, 100.5], [115, 34, 100.5]]]
      ] } },
    {"type":"Feature","properties":{"code":410102001},"geometry":{"type":"Polygon","coordinates":[[[113.6,34.7],[113.61,34.7],[113.61,34.71],[113.6,34.7]]]}}
  ]
}
"#,
        expect![[r#"
            line 4: 410102 {"type":"Polygon","coordinates":[[[113.60,34.74],[113.65,34.74],[113.65,34.78],[113.60,34.74]]]}
            line 14: 4101 {"type":"MultiPolygon","coordinates":[[[[113,34],[114,34],[114,35],[113,34]],[[113.2,34.2],[113.3,34.2],[113.3,34.3],[113.2,34.2]]],[[[115,34,100.5],[116,34,100.5],[116,35,100.5],[115,34,100.5]]]]}
            line 20: 410102001 {"type":"Polygon","coordinates":[[[113.6,34.7],[113.61,34.7],[113.61,34.71],[113.6,34.7]]]}
        "#]],
    );
}

#[test]
fn every_bad_feature_is_reported_at_its_line_with_a_json_path() {
    check(
        r#"{"type": "FeatureCollection", "features": [
{"type": "Feature", "properties": {"code": "41017"},
 "geometry": {"type": "Polygon", "coordinates": [[[113, 34], [114, 34], [114, 35], [113, 34]]]}},
{"type": "Feature", "properties": {"code": "410102"}},
{"type": "Feature", "properties": {"code": "410103"},
 "geometry": {"type": "Polygon", "coordinates": [[[113, 34], [114, 34], [114, 35], [113, 35]]]}},
{"type": "Feature", "properties": {"code": "410104"},
 "geometry": {"type": "Polygon", "coordinates": [[[113, 34], [114, 34], [113, 34]]]}},
{"type": "Feature", "properties": {"code": "410105"},
 "geometry": {"type": "Point", "coordinates": [113, 34]}},
{"type": "Feature", "properties": {"name": "no code"},
 "geometry": {"type": "MultiPolygon", "coordinates": [[[[113, 34], ["x", 34], [114, 35], [113, 34]]]]}},
{"type": "Feature", "properties": {"code": "410106"},
 "geometry": {"type": "Polygon", "coordinates": [[[12600000, 4100000], [12600100, 4100000], [12600100, 4100100], [12600000, 4100000]]]}},
{"type": "Feature", "properties": {"code": "410107"},
 "geometry": {"type": "Polygon", "coordinates": [[[113, 34], [114, 34], [114, 35], [113, 34]]]}},
{"type": "Feature", "properties": {"adcode": "410107"},
 "geometry": {"type": "Polygon", "coordinates": [[[113, 34], [114, 34], [114, 35], [113, 34]]]}},
{"type": "Feature", "properties": {"adcode": 4.1e5},
 "geometry": {"type": "Polygon", "coordinates": []}},
[1, 2]
]}"#,
        expect![[r#"
            b.geojson:2: features[0].properties.code: a jurisdiction code has 2, 4, 6, 9 or 12 digits, found 5
            b.geojson:4: features[1].geometry: is required
            b.geojson:5: features[2].geometry.coordinates[0]: ring is not closed: the last position must equal the first
            b.geojson:7: features[3].geometry.coordinates[0]: ring has 3 positions, at least 4 are needed
            b.geojson:9: features[4].geometry.type: expected Polygon or MultiPolygon, found Point
            b.geojson:11: features[5].properties.code: is required (code or adcode)
            b.geojson:11: features[5].geometry.coordinates[0][0][1]: expected a position [longitude, latitude]
            b.geojson:13: features[6].geometry.coordinates[0][0]: longitude is outside -180 to 180; coordinates must be wgs 84 degrees
            b.geojson:17: features[8].properties.code: repeats the feature at line 15
            b.geojson:19: features[9].properties.adcode: expected a string or a whole number
            b.geojson:19: features[9].geometry.coordinates: a polygon needs at least one ring
            b.geojson:21: features[10]: expected a feature object"#]],
    );
}

#[test]
fn malformed_json_is_one_error_at_the_line_serde_json_reports() {
    check(
        "{\"type\": \"FeatureCollection\",\n \"features\": [\n  {\"type\": \"Feature\",}\n]}",
        expect!["b.geojson:3: json: key must be a string"],
    );
    check(
        "{\"type\": \"FeatureCollection\", \"features\": [",
        expect![[r#"b.geojson:1: json: EOF while parsing a list"#]],
    );
    check(
        "\n\n[1, 2]",
        expect!["b.geojson:3: json: expected an object (a geojson FeatureCollection)"],
    );
    check(
        "\n{\"type\": \"Feature\"}",
        expect![[r#"b.geojson:2: type: expected FeatureCollection"#]],
    );
    check(
        "{\"type\": \"FeatureCollection\"}",
        expect![[r#"b.geojson:1: features: is required"#]],
    );
    check(
        "\u{feff}{\"type\": \"FeatureCollection\", \"features\": []}",
        expect![[""]],
    );
    let mut bytes = b"{\n\"type\": \"\xFF\"}".to_vec();
    bytes.push(b'\n');
    expect![[r#"b.geojson:2: json: text is not utf-8"#]].assert_eq(
        &parse_boundaries_geojson("b.geojson", &bytes)
            .unwrap_err()
            .to_string(),
    );
}
