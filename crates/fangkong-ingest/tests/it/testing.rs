//! Nucleic-acid testing files: CSV, XLSX and NDJSON give the same sample and result records;
//! every error kind with its line; China time; the rules of a tube; results sent twice;
//! lenient parsing; and the throughput of a whole-city round.

use std::fmt::Write as _;
use std::time::Instant;

use std::collections::BTreeSet;

use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat, Utc};
use expect_test::{expect, Expect};
use fangkong_domain::NationalId;
use fangkong_ingest::testing::{parse_samples_chunked, parse_time};
use fangkong_ingest::{
    estimate_rows, parse_results, parse_results_lenient, parse_samples, parse_samples_lenient,
    FileErrors, ResultRecord, RowError, SampleRecord,
};
use proptest::prelude::*;
use rust_xlsxwriter::{ExcelDateTime, Format as CellFormat, Workbook, XlsxError};

fn show_sample(s: &SampleRecord) -> String {
    format!(
        "line {}: tube {} | {} {} {} | site {} | {} | pool {} | round {}",
        s.line,
        s.tube_id,
        s.document.kind().as_str(),
        s.document.number(),
        s.document.nationality(),
        s.site_code,
        s.collected_at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        s.pool_size,
        s.round_code.as_deref().unwrap_or("-"),
    )
}

fn show_result(r: &ResultRecord) -> String {
    let ct = |v: Option<f32>| v.map_or("-".to_string(), |v| v.to_string());
    format!(
        "line {}: tube {} | {} | ct {} {} | lab {} | tested {} | reported {}",
        r.line,
        r.tube_id,
        r.outcome.as_str(),
        ct(r.ct_orf1ab),
        ct(r.ct_n),
        r.lab_code,
        r.tested_at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        r.reported_at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
    )
}

fn show<T>(result: &Result<Vec<T>, FileErrors>, one: fn(&T) -> String) -> String {
    match result {
        Err(e) => e.to_string(),
        Ok(records) => records.iter().map(one).collect::<Vec<_>>().join("\n"),
    }
}

/// Records, then `--`, then the errors, of a lenient parse.
fn show_lenient<T>(
    result: &Result<(Vec<T>, Vec<RowError>), FileErrors>,
    one: fn(&T) -> String,
) -> String {
    match result {
        Err(e) => e.to_string(),
        Ok((records, errors)) => {
            let mut out: Vec<String> = records.iter().map(one).collect();
            out.push("--".to_string());
            out.extend(errors.iter().map(RowError::to_string));
            out.join("\n")
        }
    }
}

fn check_samples(csv: impl AsRef<[u8]>, expect: Expect) {
    expect.assert_eq(&show(
        &parse_samples("samples.csv", csv.as_ref()),
        show_sample,
    ));
}

fn check_results(csv: &str, expect: Expect) {
    expect.assert_eq(&show(
        &parse_results("results.csv", csv.as_bytes()),
        show_result,
    ));
}

const SAMPLE_HEADER: &str =
    "tube_id,id_number,document_kind,document_number,nationality,site_code,collected_at,pool_size,round_code\n";

/// Valid sample rows; `t0002` is a tube of its own (tube ids keep their case).
const SAMPLE_ROWS: &str = "\
T0001,410102199003071230,,,,P4101020010010001,2026-11-30 00:30,3,R20261130
T0001,11010519491231002X,,,,P4101020010010001,2026-11-30T00:31:00+08:00,3,R20261130
T0001,,passport,e12345678,usa,P4101020010010001,2026-11-29T16:32:10.5Z,3,R20261130
T0002,410102200111200058,,,,hosp-07,2026-11-30 08:00:05,,
t0002,,hk_macao_permit,H12345678,,hosp-07,2026-11-30 08:01,1,
";

const SAMPLE_NDJSON: &str = r#"
{"tube_id":"T0001","id_number":410102199003071230,"site_code":"P4101020010010001","collected_at":"2026-11-30 00:30","pool_size":3,"round_code":"R20261130"}
{"tube_id":"T0001","id_number":"11010519491231002X","site_code":"P4101020010010001","collected_at":"2026-11-30T00:31:00+08:00","pool_size":"3","round_code":"R20261130"}
{"tube_id":"T0001","document_kind":"passport","document_number":"e12345678","nationality":"usa","site_code":"P4101020010010001","collected_at":"2026-11-29T16:32:10.5Z","pool_size":3,"round_code":"R20261130"}
{"tube_id":"T0002","id_number":"410102200111200058","site_code":"hosp-07","collected_at":"2026-11-30 08:00:05","pool_size":null}
{"tube_id":"t0002","document_kind":"hk_macao_permit","document_number":"H12345678","site_code":"hosp-07","collected_at":"2026-11-30 08:01","pool_size":1,"round_code":null}
"#;

/// A cell of a test workbook.
enum X {
    S(&'static str),
    N(f64),
    /// A date-time cell, as Excel stores what a user types into a formatted cell.
    T(u16, u8, u8, u16, u8, u8),
    E,
}

/// A workbook with a header and rows from row 1, so sheet rows are CSV lines.
fn workbook(header: &str, rows: &[Vec<X>]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let format = CellFormat::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let sheet = workbook.add_worksheet();
    for (col, name) in (0u16..).zip(header.trim_end().split(',')) {
        sheet.write_string(0, col, name)?;
    }
    for (row, cells) in (1u32..).zip(rows) {
        for (col, cell) in (0u16..).zip(cells) {
            match cell {
                X::S(s) => {
                    sheet.write_string(row, col, *s)?;
                }
                X::N(n) => {
                    sheet.write_number(row, col, *n)?;
                }
                X::T(y, mo, d, h, mi, s) => {
                    let at = ExcelDateTime::from_ymd(*y, *mo, *d)?.and_hms(*h, *mi, *s)?;
                    sheet.write_datetime_with_format(row, col, at, &format)?;
                }
                X::E => {}
            }
        }
    }
    workbook.save_to_buffer()
}

fn samples_workbook() -> Result<Vec<u8>, XlsxError> {
    use X::{E, N, S, T};
    workbook(
        SAMPLE_HEADER,
        &[
            vec![
                S("T0001"),
                S("410102199003071230"),
                E,
                E,
                E,
                S("P4101020010010001"),
                T(2026, 11, 30, 0, 30, 0),
                N(3.0),
                S("R20261130"),
            ],
            vec![
                S("T0001"),
                S("11010519491231002X"),
                E,
                E,
                E,
                S("P4101020010010001"),
                S("2026-11-30T00:31:00+08:00"),
                N(3.0),
                S("R20261130"),
            ],
            vec![
                S("T0001"),
                E,
                S("passport"),
                S("e12345678"),
                S("usa"),
                S("P4101020010010001"),
                S("2026-11-29T16:32:10.5Z"),
                S("3"),
                S("R20261130"),
            ],
            vec![
                S("T0002"),
                S("410102200111200058"),
                E,
                E,
                E,
                S("hosp-07"),
                T(2026, 11, 30, 8, 0, 5),
            ],
            vec![
                S("t0002"),
                E,
                S("hk_macao_permit"),
                S("H12345678"),
                E,
                S("hosp-07"),
                S("2026-11-30 08:01"),
                N(1.0),
            ],
        ],
    )
}

#[test]
fn samples_from_csv_xlsx_and_ndjson_are_the_same_records() {
    let from_csv = parse_samples(
        "samples.csv",
        format!("{SAMPLE_HEADER}{SAMPLE_ROWS}").as_bytes(),
    );
    expect![[r#"
        line 2: tube T0001 | mainland_id 410102199003071230 CHN | site P4101020010010001 | 2026-11-29T16:30:00Z | pool 3 | round R20261130
        line 3: tube T0001 | mainland_id 11010519491231002X CHN | site P4101020010010001 | 2026-11-29T16:31:00Z | pool 3 | round R20261130
        line 4: tube T0001 | passport E12345678 USA | site P4101020010010001 | 2026-11-29T16:32:10.500Z | pool 3 | round R20261130
        line 5: tube T0002 | mainland_id 410102200111200058 CHN | site hosp-07 | 2026-11-30T00:00:05Z | pool 1 | round -
        line 6: tube t0002 | hk_macao_permit H12345678 CHN | site hosp-07 | 2026-11-30T00:01:00Z | pool 1 | round -"#]]
    .assert_eq(&show(&from_csv, show_sample));
    let from_xlsx = parse_samples("samples.xlsx", &samples_workbook().unwrap());
    let from_ndjson = parse_samples("samples.ndjson", SAMPLE_NDJSON.as_bytes());
    let from_csv = from_csv.unwrap();
    assert_eq!(from_xlsx.unwrap(), from_csv);
    assert_eq!(from_ndjson.unwrap(), from_csv);
    let crlf = format!("\u{feff}{SAMPLE_HEADER}{SAMPLE_ROWS}").replace('\n', "\r\n");
    assert_eq!(
        parse_samples("samples.csv", crlf.as_bytes()).unwrap(),
        from_csv
    );
    let lenient = parse_samples_lenient(
        "samples.csv",
        format!("{SAMPLE_HEADER}{SAMPLE_ROWS}").as_bytes(),
    );
    assert_eq!(lenient.unwrap(), (from_csv, Vec::new()));
}

const RESULT_HEADER: &str = "tube_id,result,ct_orf1ab,ct_n,lab_code,tested_at,reported_at\n";

const RESULT_ROWS: &str = "\
T0001,阴性,,,LAB-ZZ-01,2026-11-30 10:00,2026-11-30 12:30
T0002,positive,28.5,30.12,LAB-ZZ-01,2026-11-30 10:00,2026-11-30T04:45:00Z
T0003,NEG,,,LAB-ZZ-02,2026-11-30T10:00:00+08:00,2026-11-30 10:00
T0002,可疑,38,,LAB-ZZ-02,2026-11-30 14:00,2026-11-30 15:00
T0004,inconclusive,40.0,0,LAB-ZZ-02,2026-11-30 14:00,2026-11-30 15:00:01
";

const RESULT_NDJSON: &str = r#"
{"tube_id":"T0001","result":"阴性","lab_code":"LAB-ZZ-01","tested_at":"2026-11-30 10:00","reported_at":"2026-11-30 12:30"}
{"tube_id":"T0002","result":"positive","ct_orf1ab":28.5,"ct_n":30.12,"lab_code":"LAB-ZZ-01","tested_at":"2026-11-30 10:00","reported_at":"2026-11-30T04:45:00Z"}
{"tube_id":"T0003","result":"NEG","ct_orf1ab":null,"ct_n":"","lab_code":"LAB-ZZ-02","tested_at":"2026-11-30T10:00:00+08:00","reported_at":"2026-11-30 10:00"}
{"tube_id":"T0002","result":"可疑","ct_orf1ab":38,"lab_code":"LAB-ZZ-02","tested_at":"2026-11-30 14:00","reported_at":"2026-11-30 15:00"}
{"tube_id":"T0004","result":"inconclusive","ct_orf1ab":"40.0","ct_n":0,"lab_code":"LAB-ZZ-02","tested_at":"2026-11-30 14:00","reported_at":"2026-11-30 15:00:01"}
"#;

fn results_workbook() -> Result<Vec<u8>, XlsxError> {
    use X::{E, N, S, T};
    let row = |tube, result, ct1, ct2, lab, tested, reported| {
        vec![tube, result, ct1, ct2, lab, tested, reported]
    };
    workbook(
        RESULT_HEADER,
        &[
            row(
                S("T0001"),
                S("阴性"),
                E,
                E,
                S("LAB-ZZ-01"),
                T(2026, 11, 30, 10, 0, 0),
                T(2026, 11, 30, 12, 30, 0),
            ),
            row(
                S("T0002"),
                S("positive"),
                N(28.5),
                N(30.12),
                S("LAB-ZZ-01"),
                S("2026-11-30 10:00"),
                S("2026-11-30T04:45:00Z"),
            ),
            row(
                S("T0003"),
                S("NEG"),
                E,
                E,
                S("LAB-ZZ-02"),
                S("2026-11-30T10:00:00+08:00"),
                S("2026-11-30 10:00"),
            ),
            row(
                S("T0002"),
                S("可疑"),
                N(38.0),
                E,
                S("LAB-ZZ-02"),
                S("2026-11-30 14:00"),
                S("2026-11-30 15:00"),
            ),
            row(
                S("T0004"),
                S("inconclusive"),
                N(40.0),
                N(0.0),
                S("LAB-ZZ-02"),
                T(2026, 11, 30, 14, 0, 0),
                T(2026, 11, 30, 15, 0, 1),
            ),
        ],
    )
}

#[test]
fn results_from_csv_xlsx_and_ndjson_are_the_same_records() {
    let from_csv = parse_results(
        "results.csv",
        format!("{RESULT_HEADER}{RESULT_ROWS}").as_bytes(),
    );
    expect![[r#"
        line 2: tube T0001 | negative | ct - - | lab LAB-ZZ-01 | tested 2026-11-30T02:00:00Z | reported 2026-11-30T04:30:00Z
        line 3: tube T0002 | positive | ct 28.5 30.12 | lab LAB-ZZ-01 | tested 2026-11-30T02:00:00Z | reported 2026-11-30T04:45:00Z
        line 4: tube T0003 | negative | ct - - | lab LAB-ZZ-02 | tested 2026-11-30T02:00:00Z | reported 2026-11-30T02:00:00Z
        line 5: tube T0002 | inconclusive | ct 38 - | lab LAB-ZZ-02 | tested 2026-11-30T06:00:00Z | reported 2026-11-30T07:00:00Z
        line 6: tube T0004 | inconclusive | ct 40 0 | lab LAB-ZZ-02 | tested 2026-11-30T06:00:00Z | reported 2026-11-30T07:00:01Z"#]]
    .assert_eq(&show(&from_csv, show_result));
    let from_xlsx = parse_results("results.xlsx", &results_workbook().unwrap());
    let from_ndjson = parse_results("results.ndjson", RESULT_NDJSON.as_bytes());
    let from_csv = from_csv.unwrap();
    assert_eq!(from_xlsx.unwrap(), from_csv);
    assert_eq!(from_ndjson.unwrap(), from_csv);
}

/// One row per error kind of a sample row; the round code on line 15 spans two lines, and
/// `<FF>` stands for a byte that is not UTF-8 (see [`not_utf8`]).
const BAD_SAMPLE_ROWS: &str = "\
,410102199003071230,,,,S1,2026-11-30 00:30,,
T 1,410102199003071230,,,,S1,2026-11-30 00:30,,
T12345678901234567890123456789012345678901,410102199003071230,,,,S1,2026-11-30 00:30,,
T4,410102199003071234,,,,S1,2026-11-30 00:30,,
T5,410102199003071230,,,,,2026-11-30 00:30,,
T6,410102199003071230,,,,四十一个字符四十一个字符四十一个字符四十一个字符四十一个字符四十一个字符四十一个字符四,2026-11-30 00:30,,
T7,410102199003071230,,,,S1,,,
T8,410102199003071230,,,,S1,2026-11-30T00:30,,
T9,410102199003071230,,,,S1,2026/11/30 00:30,,
T10,410102199003071230,,,,S1,2026-02-29 00:30,,
T11,410102199003071230,,,,S1,2026-11-30 00:30,0,
T12,410102199003071230,,,,S1,2026-11-30 00:30,21,
T13,410102199003071230,,,,S1,2026-11-30 00:30,3.0,
T14,410102199003071230,,,,S1,2026-11-30 00:30,,\"R1
R2\"
T16,410102199003071230,,,,S1,2026-11-30 00:30,
T17,,id_card,410102199003071230,,S1,2026-11-30 00:30,,
T18,,passport,,USA,S1,2026-11-30 00:30,,
T19,410102199003071230,,,,S<FF>,2026-11-30 00:30,,
,41010219900307123,,,,,bad,x,
";

/// The bytes of `text` with every `<FF>` made the byte 0xFF.
fn not_utf8(text: &str) -> Vec<u8> {
    text.split("<FF>")
        .collect::<Vec<_>>()
        .join("\u{1}")
        .bytes()
        .map(|b| if b == 1 { 0xFF } else { b })
        .collect()
}

#[test]
fn every_bad_sample_row_is_reported_with_its_line() {
    check_samples(
        not_utf8(&format!("{SAMPLE_HEADER}{BAD_SAMPLE_ROWS}")),
        expect![[r#"
            samples.csv:2: tube_id: is required
            samples.csv:3: tube_id: may hold only ascii letters, digits, '-' and '_'
            samples.csv:4: tube_id: has 42 characters, at most 40 are allowed
            samples.csv:5: id_number: check digit is 4, expected 0
            samples.csv:6: site_code: is required
            samples.csv:7: site_code: has 43 characters, at most 40 are allowed
            samples.csv:8: collected_at: is required
            samples.csv:9: collected_at: a time written with T needs an offset such as +08:00 or Z
            samples.csv:10: collected_at: expected YYYY-MM-DD HH:MM[:SS] in China Standard Time, or RFC 3339 with an offset
            samples.csv:11: collected_at: is not a real date and time
            samples.csv:12: pool_size: expected a whole number from 1 to 20
            samples.csv:13: pool_size: expected a whole number from 1 to 20
            samples.csv:14: pool_size: expected a whole number from 1 to 20
            samples.csv:15: round_code: contains a control character such as a line break
            samples.csv:17: row: expected 9 fields, found 8
            samples.csv:18: document_kind: unknown document kind, expected one of mainland_id, passport, hk_macao_permit, taiwan_permit, foreign_permanent_residence
            samples.csv:19: document_number: is required for document kind passport
            samples.csv:20: site_code: text is not utf-8 (gbk?); save the file as csv utf-8
            samples.csv:21: tube_id: is required
            samples.csv:21: id_number: expected 18 characters, found 17
            samples.csv:21: site_code: is required
            samples.csv:21: collected_at: expected YYYY-MM-DD HH:MM[:SS] in China Standard Time, or RFC 3339 with an offset
            samples.csv:21: pool_size: expected a whole number from 1 to 20"#]],
    );
}

#[test]
fn no_sample_reason_quotes_a_value() {
    let csv = format!("{SAMPLE_HEADER}{BAD_SAMPLE_ROWS}");
    let err = parse_samples("samples.csv", &not_utf8(&csv)).unwrap_err();
    let mut checked = 0;
    for line in csv.lines().skip(1) {
        for (idx, value) in line.split(',').enumerate() {
            // The document kind column holds kind names, which reasons list.
            if idx == 2 || value.chars().count() < 4 {
                continue;
            }
            for e in &err.errors {
                assert!(!e.reason.contains(value), "{e} quotes {value:?}");
            }
            checked += 1;
        }
    }
    assert!(checked > 35, "only {checked} values checked");
}

const POOL_ROWS: &str = "\
tube_id,id_number,site_code,collected_at,pool_size
T1,410102199003071230,S1,2026-11-30 08:00,3
T1,11010519491231002X,S1,2026-11-30 08:01,3
T1,410102199003071230,S1,2026-11-30 08:02,3
T1,410102200111200058,S2,2026-11-30 08:03,3
T1,410102200111200058,S1,2026-11-30 08:03,5
T1,410102200111200058,S1,2026-11-30 08:04,3
T1,410102198506150024,S1,2026-11-30 08:05,3
T1,410102198506150032,S2,2026-11-30 08:05,
T2,410102199003071230,S1,2026-11-30 08:06,
T2,11010519491231002X,S1,2026-11-30 08:06,
";

#[test]
fn a_tube_keeps_its_pool_size_and_site_and_holds_each_person_once() {
    check_samples(
        POOL_ROWS,
        expect![[r#"
            samples.csv:4: id_number: same person as line 2, in the same tube
            samples.csv:5: site_code: differs from line 2, where the tube first appears
            samples.csv:6: pool_size: differs from line 2, where the tube first appears
            samples.csv:8: tube_id: the tube is full: pool size 3 on line 2
            samples.csv:9: tube_id: the tube is full: pool size 3 on line 2
            samples.csv:9: site_code: differs from line 2, where the tube first appears
            samples.csv:9: pool_size: differs from line 2, where the tube first appears
            samples.csv:11: tube_id: the tube is full: pool size 1 on line 10"#]],
    );
}

#[test]
fn lenient_samples_keep_the_valid_rows_and_the_first_rows_of_a_tube() {
    let mut csv = POOL_ROWS.to_string();
    csv.push_str("T3,410102199003071230,S1,2026-11-30T08:06,\n");
    csv.push_str("T3,410102197510100316,S1,2026-11-30 08:07,2,\n");
    csv.push_str("T3,410102197510100316,S1,2026-11-30 08:07,2\n");
    expect![[r#"
        line 2: tube T1 | mainland_id 410102199003071230 CHN | site S1 | 2026-11-30T00:00:00Z | pool 3 | round -
        line 3: tube T1 | mainland_id 11010519491231002X CHN | site S1 | 2026-11-30T00:01:00Z | pool 3 | round -
        line 7: tube T1 | mainland_id 410102200111200058 CHN | site S1 | 2026-11-30T00:04:00Z | pool 3 | round -
        line 10: tube T2 | mainland_id 410102199003071230 CHN | site S1 | 2026-11-30T00:06:00Z | pool 1 | round -
        line 14: tube T3 | mainland_id 410102197510100316 CHN | site S1 | 2026-11-30T00:07:00Z | pool 2 | round -
        --
        line 4: id_number: same person as line 2, in the same tube
        line 5: site_code: differs from line 2, where the tube first appears
        line 6: pool_size: differs from line 2, where the tube first appears
        line 8: tube_id: the tube is full: pool size 3 on line 2
        line 9: tube_id: the tube is full: pool size 3 on line 2
        line 9: site_code: differs from line 2, where the tube first appears
        line 9: pool_size: differs from line 2, where the tube first appears
        line 11: tube_id: the tube is full: pool size 1 on line 10
        line 12: collected_at: a time written with T needs an offset such as +08:00 or Z
        line 13: row: expected 5 fields, found 6"#]]
    .assert_eq(&show_lenient(
        &parse_samples_lenient("samples.csv", csv.as_bytes()),
        show_sample,
    ));
}

#[test]
fn chunked_samples_hand_over_the_lenient_records_in_order_while_reading() {
    let mut csv = POOL_ROWS.to_string();
    csv.push_str("T3,410102199003071230,S1,2026-11-30T08:06,\n");
    csv.push_str("T3,410102197510100316,S1,2026-11-30 08:07,2,\n");
    csv.push_str("T3,410102197510100316,S1,2026-11-30 08:07,2\n");
    let (records, errors) = parse_samples_lenient("samples.csv", csv.as_bytes()).unwrap();
    for chunk_rows in [1, 2, 3, 100] {
        let mut chunks: Vec<Vec<SampleRecord>> = Vec::new();
        let refused = parse_samples_chunked("samples.csv", csv.as_bytes(), chunk_rows, &mut |c| {
            chunks.push(c.to_vec())
        })
        .unwrap();
        // Whole chunks while reading, the rest at the end; every record once, in file order.
        let sizes: Vec<usize> = chunks.iter().map(Vec::len).collect();
        assert!(
            sizes[..sizes.len() - 1].iter().all(|n| *n == chunk_rows),
            "{chunk_rows}: {sizes:?}"
        );
        assert_eq!(chunks.concat(), records, "{chunk_rows}");
        assert_eq!(refused, errors, "{chunk_rows}");
    }
    // A file refused as a whole hands nothing over.
    let mut handed = 0;
    let refused = parse_samples_chunked(
        "samples.csv",
        b"tube,name,site_code\nT1,x,S1\n",
        1,
        &mut |c| handed += c.len(),
    );
    assert!(refused.is_err());
    assert_eq!(handed, 0);
    assert_eq!(estimate_rows("samples.csv", csv.as_bytes()), 13);
    assert_eq!(estimate_rows("samples.csv", b"tube_id\n"), 0);
}

#[test]
fn header_problems_fail_the_whole_file_even_when_lenient() {
    let missing = "tube,name,site_code\nT1,张三,S1\n";
    expect![[r#"
        samples.csv:1: tube_id: required column is missing
        samples.csv:1: id_number: required column is missing (or document_kind and document_number)
        samples.csv:1: collected_at: required column is missing"#]]
    .assert_eq(&show_lenient(
        &parse_samples_lenient("samples.csv", missing.as_bytes()),
        show_sample,
    ));
    expect![[r#"
        results.csv:1: result: required column is missing
        results.csv:1: tested_at: required column is missing"#]]
    .assert_eq(&show_lenient(
        &parse_results_lenient("results.csv", b"tube_id,lab_code,reported_at\n"),
        show_result,
    ));
    expect![[r#"results.csv:1: lab_code: column 4 repeats column 2"#]].assert_eq(&show_lenient(
        &parse_results_lenient(
            "results.csv",
            b"tube_id,lab_code,reported_at,Lab_Code,result,tested_at\n",
        ),
        show_result,
    ));
    expect![[r#"results.csv: file: file has no header row"#]].assert_eq(&show_lenient(
        &parse_results_lenient("results.csv", b"\r\n"),
        show_result,
    ));
}

#[test]
fn every_bad_result_row_is_reported_with_its_line() {
    check_results(
        &format!(
            "{RESULT_HEADER}\
             ,neg,,,L1,2026-11-30 10:00,2026-11-30 11:00\n\
             T2,,,,L1,2026-11-30 10:00,2026-11-30 11:00\n\
             T3,weak positive,,,L1,2026-11-30 10:00,2026-11-30 11:00\n\
             T4,pos,50.5,,L1,2026-11-30 10:00,2026-11-30 11:00\n\
             T5,pos,,-1,L1,2026-11-30 10:00,2026-11-30 11:00\n\
             T6,pos,NaN,1e1,L1,2026-11-30 10:00,2026-11-30 11:00\n\
             T7,pos,.5,35.,L1,2026-11-30 10:00,2026-11-30 11:00\n\
             T8,neg,,,,2026-11-30 10:00,2026-11-30 11:00\n\
             T9,neg,,,L1,,2026-11-30 11:00\n\
             T10,neg,,,L1,2026-11-30 10:00,2026-11-30T01:59:59Z\n\
             T11,neg,,,L1,2026-11-30 10:00,2026-11-30T02:00:00Z\n\
             T12,neg,,,L1,2026-11-30 10:00,\n"
        ),
        expect![[r#"
            results.csv:2: tube_id: is required
            results.csv:3: result: is required
            results.csv:4: result: expected negative, positive or inconclusive (阴性, 阳性, 可疑)
            results.csv:5: ct_orf1ab: expected a number from 0 to 50
            results.csv:6: ct_n: expected a number from 0 to 50
            results.csv:7: ct_orf1ab: expected a number from 0 to 50
            results.csv:7: ct_n: expected a number from 0 to 50
            results.csv:8: ct_orf1ab: expected a number from 0 to 50
            results.csv:8: ct_n: expected a number from 0 to 50
            results.csv:9: lab_code: is required
            results.csv:10: tested_at: is required
            results.csv:11: reported_at: is before tested_at
            results.csv:13: reported_at: is required"#]],
    );
}

#[test]
fn a_result_sent_twice_is_one_record_and_a_retest_is_another() {
    let csv = format!(
        "{RESULT_HEADER}\
         T1,neg,,,L1,2026-11-30 10:00,2026-11-30 11:00\n\
         T1,negative,,,L1,2026-11-30T02:00:00Z,2026-11-30 11:00:00\n\
         T1,pos,30,31,L1,2026-11-30 10:00,2026-11-30 12:00\n\
         T2,neg,,,L1,2026-11-30 10:00,2026-11-30 11:00\n\
         T1,neg,,,L1,2026-11-30 10:00,2026-11-30 11:00\n\
         T1,positive,30.0,31.00,L1,2026-11-30 10:00,2026-11-30 12:00\n\
         T1,positive,30.0,31.00,L2,2026-11-30 10:00,2026-11-30 12:00\n\
         T1,neg,,,L1,2026-11-30 10:00,2026-11-30 11:00:01\n"
    );
    check_results(
        &csv,
        expect![[r#"
            line 2: tube T1 | negative | ct - - | lab L1 | tested 2026-11-30T02:00:00Z | reported 2026-11-30T03:00:00Z
            line 4: tube T1 | positive | ct 30 31 | lab L1 | tested 2026-11-30T02:00:00Z | reported 2026-11-30T04:00:00Z
            line 5: tube T2 | negative | ct - - | lab L1 | tested 2026-11-30T02:00:00Z | reported 2026-11-30T03:00:00Z
            line 8: tube T1 | positive | ct 30 31 | lab L2 | tested 2026-11-30T02:00:00Z | reported 2026-11-30T04:00:00Z
            line 9: tube T1 | negative | ct - - | lab L1 | tested 2026-11-30T02:00:00Z | reported 2026-11-30T03:00:01Z"#]],
    );
}

#[test]
fn lenient_results_keep_the_valid_rows() {
    let ndjson = "{\"tube_id\":\"T1\",\"result\":\"pos\",\"ct_n\":{\"v\":1},\"lab_code\":\"L1\",\"tested_at\":\"2026-11-30 10:00\",\"reported_at\":\"2026-11-30 11:00\"}\n\
                  {\"tube_id\":\"T2\",\"result\":\"阳性\",\"ct_n\":33.3,\"lab_code\":\"L1\",\"tested_at\":\"2026-11-30 10:00\",\"reported_at\":\"2026-11-30 11:00\"}\n\
                  not json\n\
                  {\"tube_id\":\"T3\",\"result\":\"pos\",\"lab_code\":\"L1\",\"tested_at\":\"2026-11-30 10:00\",\"reported_at\":\"2026-11-30 09:00\"}\n\
                  \n\
                  {\"tube_id\":\"T4\",\"result\":\"neg\",\"lab_code\":\"L1\",\"tested_at\":\"2026-11-30 10:00\",\"reported_at\":\"2026-11-30 10:00\"}\n";
    expect![[r#"
        line 2: tube T2 | positive | ct - 33.3 | lab L1 | tested 2026-11-30T02:00:00Z | reported 2026-11-30T03:00:00Z
        line 6: tube T4 | negative | ct - - | lab L1 | tested 2026-11-30T02:00:00Z | reported 2026-11-30T02:00:00Z
        --
        line 1: ct_n: expected text, a number or null, found an object
        line 3: row: not valid json at column 2: expected ident
        line 4: reported_at: is before tested_at"#]]
    .assert_eq(&show_lenient(
        &parse_results_lenient("results.ndjson", ndjson.as_bytes()),
        show_result,
    ));
}

proptest! {
    #[test]
    fn china_time_and_rfc3339_name_the_same_instant(
        seconds in 0i64..4_102_444_800,
        nanos in 0u32..1_000_000_000,
    ) {
        let utc = DateTime::<Utc>::from_timestamp(seconds, nanos).unwrap();
        let china = utc.with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap());
        let watch = china.format("%Y-%m-%d %H:%M:%S%.f").to_string();
        prop_assert_eq!(parse_time(&watch), Ok(utc));
        prop_assert_eq!(parse_time(&utc.to_rfc3339()), Ok(utc));
        let offset = china.to_rfc3339_opts(SecondsFormat::Nanos, false);
        prop_assert_eq!(parse_time(&offset), Ok(utc));
    }

    #[test]
    fn any_text_gives_a_time_or_an_error(text in "\\PC{0,40}") {
        let _ = parse_time(&text);
    }

    /// Lenient parsing keeps or reports every row: each data line is a record or has an
    /// error, never both and never neither.
    #[test]
    fn lenient_samples_account_for_every_row(
        rows in prop::collection::vec(
            "T[0-9]{1},(410102199003071230|11010519491231002X|410102200111200058|[0-9X]{17,18}),S[12],\
             20[0-9]{2}-[01][0-9]-[0-3][0-9][ T][0-2][0-9]:[0-6][0-9](:[0-6][0-9](\\.[0-9]{0,10})?)?\
             ([Zz]|[+-][0-2][0-9]:[0-6][0-9])?,[0-9]{0,2}",
            0..30,
        )
    ) {
        let csv = format!("tube_id,id_number,site_code,collected_at,pool_size\n{}\n", rows.join("\n"));
        let (records, errors) = parse_samples_lenient("x.csv", csv.as_bytes()).unwrap();
        let kept: BTreeSet<u64> = records.iter().map(|r| r.line).collect();
        let reported: BTreeSet<u64> = errors.iter().map(|e| e.line).collect();
        prop_assert_eq!(kept.len(), records.len());
        prop_assert!(kept.is_disjoint(&reported));
        let all: BTreeSet<u64> = kept.union(&reported).copied().collect();
        let expected: BTreeSet<u64> = (2..2 + rows.len() as u64).collect();
        prop_assert_eq!(all, expected);
        // The strict parser fails exactly when the lenient one reports something.
        let strict = parse_samples("x.csv", csv.as_bytes());
        match strict {
            Ok(strict_records) => {
                prop_assert!(errors.is_empty());
                prop_assert_eq!(strict_records, records);
            }
            Err(e) => prop_assert_eq!(e.errors, errors),
        }
    }
}

/// A sample list of `rows` rows in pools of 10, each person with a valid, distinct ID.
fn city_round_csv(rows: usize) -> String {
    let mut csv = String::from("tube_id,id_number,site_code,collected_at,pool_size,round_code\n");
    let epoch = NaiveDate::from_ymd_opt(1940, 1, 1).expect("a date");
    for i in 0..rows {
        let birth = epoch + chrono::Days::new((i / 1000) as u64 % 30_000);
        let id = NationalId::from_parts("411702", birth, (i % 1000) as u16).expect("a valid id");
        let _ = writeln!(
            csv,
            "T{:09},{id},P41170200100{:05},2026-11-30 {:02}:{:02}:{:02},10,R2026113001",
            i / 10,
            i / 5000,
            6 + i / 100_000 % 12,
            i / 1000 % 60,
            i % 60,
        );
    }
    csv
}

/// The time this thread has spent on a CPU, where the system tells (Linux). The machine the
/// tests run on may be shared, so the wall time alone undersells the parser.
fn thread_cpu_seconds() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(nanos as f64 / 1e9)
}

/// Runs `parse` three times and prints the best wall and CPU times as rows per second. The
/// records are dropped after the clock stops.
pub(crate) fn measure<T>(
    label: &str,
    rows: usize,
    bytes: usize,
    mut parse: impl FnMut() -> Vec<T>,
) {
    let (mut wall, mut cpu) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..3 {
        let cpu_start = thread_cpu_seconds();
        let start = Instant::now();
        let parsed = parse();
        wall = wall.min(start.elapsed().as_secs_f64());
        if let (Some(a), Some(b)) = (cpu_start, thread_cpu_seconds()) {
            cpu = cpu.min(b - a);
        }
        assert_eq!(parsed.len(), rows);
    }
    let per_second = |seconds: f64| rows as f64 / seconds;
    println!(
        "{label}: {rows} rows, {} MB; best of 3: wall {wall:.3} s = {:.0} rows/s, \
         on cpu {cpu:.3} s = {:.0} rows/s",
        bytes / 1_000_000,
        per_second(wall),
        per_second(cpu),
    );
}

/// Throughput of the lenient parsers on a generated round of 1 000 000 samples; runs only
/// with `FANGKONG_SLOW_TESTS` set, and prints rather than asserts the rate:
/// `FANGKONG_SLOW_TESTS=1 cargo test --release -p fangkong-ingest --test it throughput -- --nocapture`.
#[test]
fn samples_throughput() {
    if std::env::var_os("FANGKONG_SLOW_TESTS").is_none() {
        return;
    }
    let rows = 1_000_000;
    let csv = city_round_csv(rows);
    measure("parse_samples_lenient, csv", rows, csv.len(), || {
        let (records, errors) = parse_samples_lenient("round.csv", csv.as_bytes()).unwrap();
        assert!(errors.is_empty());
        records
    });
    let ndjson: String = csv
        .lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            format!(
                "{{\"tube_id\":\"{}\",\"id_number\":\"{}\",\"site_code\":\"{}\",\"collected_at\":\"{}\",\"pool_size\":{},\"round_code\":\"{}\"}}\n",
                f[0], f[1], f[2], f[3], f[4], f[5]
            )
        })
        .collect();
    measure("parse_samples_lenient, ndjson", rows, ndjson.len(), || {
        let (records, errors) = parse_samples_lenient("round.ndjson", ndjson.as_bytes()).unwrap();
        assert!(errors.is_empty());
        records
    });
}
