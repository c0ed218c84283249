//! Reading CSV into tables: line numbers, quoting, BOM, CRLF and structural errors.

use expect_test::{expect, Expect};
use fangkong_ingest::read_table;

/// Prints the header and every row as `line: cell|cell`, or the errors.
fn check(file_name: &str, bytes: &[u8], expect: Expect) {
    let actual = match read_table(file_name, bytes) {
        Err(e) => e.to_string(),
        Ok(table) => {
            let mut out = format!(
                "{:?} header line {}: {}\n",
                table.format(),
                table.header_line(),
                table.headers().join("|")
            );
            for row in table.rows() {
                out.push_str(&format!(
                    "{}: {}\n",
                    row.line(),
                    row.cells().collect::<Vec<_>>().join("|")
                ));
            }
            out
        }
    };
    expect.assert_eq(&actual);
}

#[test]
fn quoted_line_breaks_keep_the_line_where_the_record_starts() {
    check(
        "t.csv",
        b"code,name\n1,\"two\nlines\"\n2,\"three\n\nlines\"\n3,plain\n",
        expect![[r#"
            Csv header line 1: code|name
            2: 1|two
            lines
            4: 2|three

            lines
            7: 3|plain
        "#]],
    );
}

#[test]
fn bom_crlf_and_header_case_are_normalised() {
    check(
        "t.csv",
        b"\xEF\xBB\xBF Code ,NAME,provinceCode\r\n4101,\" \xE9\x83\x91\xE5\xB7\x9E\xE5\xB8\x82 \",41\r\n",
        expect![[r#"
            Csv header line 1: code|name|provincecode
            2: 4101|郑州市|41
        "#]],
    );
}

#[test]
fn blank_lines_and_empty_rows_are_skipped_but_counted() {
    check(
        "t.csv",
        b"\na,b\n\n1,2\n,\n  ,  \n3,4\n",
        expect![[r#"
            Csv header line 2: a|b
            4: 1|2
            7: 3|4
        "#]],
    );
}

#[test]
fn every_row_with_a_wrong_field_count_is_reported() {
    check(
        "t.csv",
        b"a,b,c\n1,2\n1,2,3\n1,2,3,4\n\"x\ny\",2\n",
        expect![[r#"
            t.csv:2: row: expected 3 fields, found 2
            t.csv:4: row: expected 3 fields, found 4
            t.csv:5: row: expected 3 fields, found 2"#]],
    );
}

#[test]
fn text_that_is_not_utf8_names_its_column() {
    // "姓名" encoded in GBK, as Excel's plain "CSV" format writes it on Chinese Windows.
    check(
        "t.csv",
        b"code,name\n41,\xD0\xD5\xC3\xFB\n42,ok\n",
        expect![[r#"t.csv:2: name: text is not utf-8 (gbk?); save the file as csv utf-8"#]],
    );
}

#[test]
fn header_problems_stop_the_table() {
    check(
        "t.csv",
        b"",
        expect![[r#"t.csv: file: file has no header row"#]],
    );
    check(
        "t.csv",
        b"\xEF\xBB\xBF\r\n\r\n",
        expect![[r#"t.csv: file: file has no header row"#]],
    );
    check(
        "t.csv",
        b"code,name,Code\n1,2,3\n",
        expect![[r#"t.csv:1: code: column 3 repeats column 1"#]],
    );
    check(
        "old.xls",
        b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest",
        expect![[
            r#"old.xls: file: old excel .xls files are not supported; save as .xlsx or csv utf-8"#
        ]],
    );
    check(
        "t.xlsx",
        b"code,name\n",
        expect![[r#"t.xlsx: file: not a readable xlsx workbook"#]],
    );
}

#[test]
fn header_only_gives_an_empty_table() {
    check(
        "t.csv",
        b"code,name\n",
        expect![[r#"
            Csv header line 1: code|name
        "#]],
    );
}

#[test]
fn require_names_every_missing_column_and_lookups_ignore_case() {
    let table = read_table("t.csv", b"Code,x\n1,2\n").unwrap();
    assert_eq!(table.column(" CODE "), Some(0));
    let row = table.rows().next().unwrap();
    assert_eq!(row.get("code"), Some("1"));
    assert_eq!(row.get("name"), None);
    assert_eq!(row.value("x"), Some("2"));
    let err = table.require(&["code", "name", "parent_code"]).unwrap_err();
    expect![[r#"
        t.csv:1: name: required column is missing
        t.csv:1: parent_code: required column is missing"#]]
    .assert_eq(&err.to_string());
    assert!(table.require(&["code", "x"]).is_ok());
}
