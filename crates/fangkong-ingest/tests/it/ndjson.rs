//! Reading NDJSON into tables: the union of keys as header, physical line numbers, values as
//! written, and one error per bad line or value.

use expect_test::{expect, Expect};
use fangkong_ingest::{parse_samples, read_table, Format};

/// Prints the header and every row as `line: cell|cell`, or the errors.
fn check(file_name: &str, text: &[u8], expect: Expect) {
    let actual = match read_table(file_name, text) {
        Err(e) => e.to_string(),
        Ok(table) => {
            let mut out = format!(
                "{:?} header line {}: {}\n",
                table.format(),
                table.header_line(),
                table.headers().join("|")
            );
            for row in table.rows() {
                let cells: Vec<&str> = row.cells().collect();
                out.push_str(&format!("{}: {}\n", row.line(), cells.join("|")));
            }
            out
        }
    };
    expect.assert_eq(&actual);
}

#[test]
fn keys_of_all_lines_make_the_header_and_missing_keys_are_empty() {
    check(
        "t.ndjson",
        b"\xEF\xBB\xBF\n{\"Tube_ID\":\"T1\",\"n\":1}\r\n\r\n  \n{\"extra\":\" x \",\"tube_id\":\"T2\"}\n{\"n\":null}\n",
        expect![[r#"
            Ndjson header line 0: tube_id|n|extra
            2: T1|1|
            5: T2||x
        "#]],
    );
}

#[test]
fn values_are_text_as_written() {
    check(
        "t.jsonl",
        br#"{"id":410102199003071230,"ct":35.20,"e":-1e3,"b":true,"s":"a\"b\u00e9","z":0}"#,
        expect![[r#"
            Ndjson header line 0: id|ct|e|b|s|z
            1: 410102199003071230|35.20|-1e3|true|a"bé|0
        "#]],
    );
}

#[test]
fn every_bad_line_and_value_is_reported_with_its_physical_line() {
    check(
        "t.ndjson",
        b"{\"a\":\"1\",\"b\":\"2\"}\n\
          {\"a\":{\"x\":1},\"b\":[1]}\n\
          \n\
          [\"410102199003071230\"]\n\
          \"410102199003071230\"\n\
          {\"a\":\"4101\n\
          {\"a\":1,\"A\":2}\n\
          {\"a\":1} {\"a\":2}\n\
          {\"a\":\"\xD0\xD5\"}\n\
          {\"b\":\"ok\"}\n",
        expect![[r#"
            t.ndjson:2: a: expected text, a number or null, found an object
            t.ndjson:2: b: expected text, a number or null, found an array
            t.ndjson:4: row: expected a json object
            t.ndjson:5: row: expected a json object
            t.ndjson:6: row: not valid json at column 10: EOF while parsing a string
            t.ndjson:7: a: the key appears twice in the object
            t.ndjson:8: row: not valid json at column 9: trailing characters
            t.ndjson:9: row: text is not utf-8 (gbk?); save the file as utf-8"#]],
    );
}

#[test]
fn content_that_starts_with_a_brace_is_ndjson_whatever_the_name() {
    let table = read_table("export.csv", b"  {\"code\":\"41\"}\n").unwrap();
    assert_eq!(table.format(), Format::Ndjson);
    assert_eq!(table.headers(), ["code"]);
}

#[test]
fn a_file_without_objects_is_one_error() {
    check(
        "t.ndjson",
        b"",
        expect![[r#"t.ndjson: file: no line holds a json object"#]],
    );
    check(
        "t.ndjson",
        b"tube_id,result\n[1]\n",
        expect![[r#"t.ndjson: file: no line holds a json object"#]],
    );
}

#[test]
fn missing_required_keys_are_reported_for_the_whole_file() {
    let text = "{\"tube_id\":\"T1\",\"id_number\":\"11010519491231002X\"}\n";
    let err = parse_samples("samples.ndjson", text.as_bytes()).unwrap_err();
    expect![[r#"
        samples.ndjson: site_code: required column is missing
        samples.ndjson: collected_at: required column is missing"#]]
    .assert_eq(&err.to_string());
}
