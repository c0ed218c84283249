//! Person lists: identities, derived sex and birth date, every error kind with its line, and
//! no personal data in any reason.

use expect_test::{expect, Expect};
use fangkong_ingest::parse_persons;

use crate::{show_persons, today};

const HEADER: &str = "name,id_number,document_kind,document_number,nationality,sex,birth_date,phone,address,community_code,tags\n";

fn check(csv: &str, expect: Expect) {
    let actual = show_persons(&parse_persons("persons.csv", csv.as_bytes(), today()));
    expect.assert_eq(&actual);
}

pub(crate) const VALID_ROWS: &str = "\
张三,410102199003071230,,,,,,138-1234-5678,\"郑州市中原区\n建设路1号\",410102001001,独居老人；高血压
Maria Rossi,,passport,ya1234567,ita,女,1988/2/29,+39 06 1234 5678,,410102001001,
李四,,mainland_id,11010519491231002X,,female,1949-12-31,,,410102001002,\"a, b ,a\"
陈五,,hk_macao_permit,H12345678,,M,2001-11-20,0371-12345678,,410102001002,
";

#[test]
fn valid_rows_become_records() {
    check(
        &format!("{HEADER}{VALID_ROWS}"),
        expect![[r#"
            line 2: mainland_id 410102199003071230 CHN | 张三 | male 1990-03-07 | phone 13812345678 | address "郑州市中原区\n建设路1号" | 410102001001 | tags ["独居老人", "高血压"]
            line 4: passport YA1234567 ITA | Maria Rossi | female 1988-02-29 | phone +390612345678 | address "-" | 410102001001 | tags []
            line 5: mainland_id 11010519491231002X CHN | 李四 | female 1949-12-31 | phone - | address "-" | 410102001002 | tags ["a", "b"]
            line 6: hk_macao_permit H12345678 CHN | 陈五 | male 2001-11-20 | phone 037112345678 | address "-" | 410102001002 | tags []"#]],
    );
}

#[test]
fn bom_and_crlf_give_the_same_records() {
    let lf = format!("{HEADER}{VALID_ROWS}");
    let crlf = format!("\u{feff}{}", lf.replace('\n', "\r\n"));
    let from_lf = parse_persons("lf.csv", lf.as_bytes(), today()).unwrap();
    let from_crlf = parse_persons("crlf.csv", crlf.as_bytes(), today()).unwrap();
    // The quoted address keeps its own line break as written.
    assert_eq!(
        from_crlf[0].address.as_deref(),
        Some("郑州市中原区\r\n建设路1号")
    );
    let without_address = |records: &[fangkong_ingest::PersonRecord]| {
        records
            .iter()
            .cloned()
            .map(|mut r| {
                r.address = None;
                r
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(without_address(&from_lf), without_address(&from_crlf));
}

/// One row per error kind; the address on line 5 and the name on line 16 span two lines.
const BAD_ROWS: &str = "\
张三,410102199003071234,,,,,,,,410102001001,
,410102198506150024,,,,,,,,410102001001,
王五,410102198506150032,,,,,,12812345678,,410102001,
赵六,410102200111200058,,,,,,,\"中原区
建设路1号\",410102001001,
钱七,410102200111200058,,,,,,,,410102001002,
Maria Rossi,,passport,YA1234567,ITA,,,,,410102001001,
孙八,,id_card,123456,,,,,,410102001001,
周九,410102203001010118,,,,,,,,410102001001,
吴十,411702196001010119,,,,female,1960-01-02,,,410102001001,
郑一,410102197510100228,,,,,,,,410102001001
冯二,990102199003071230,,,,,,,,410102001001,
Jean Dupont,,passport,E1-234,france,male,1970-01-01,,,410102001001,
Jean Dupont,,passport,E12345678,france,male,2030-01-01,,,410102001001,
\"陈
三\",410102197510100316,,,,,,,,410102001001,
褚四,,mainland_id,410102199003071230,,,,,,4101020010011,
卫五,410102199003071230,,11010519491231002X,,,,,,410102001001,
蒋六,,passport,,USA,male,1980-01-01,,,410102001001,
沈七,,,,,,,,,410102001001,
韩八,41010219900230123X,,,,,,,,410102001001,
aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,41010220011120004X,,,,,,,,410102001001,
杨九,11010519491231002X,,,,x,1949-13-01,,,,
";

#[test]
fn every_bad_row_is_reported_with_the_line_where_it_starts() {
    check(
        &format!("{HEADER}{BAD_ROWS}"),
        expect![[r#"
            persons.csv:2: id_number: check digit is 4, expected 0
            persons.csv:3: name: is required
            persons.csv:4: phone: a mobile number must start with 13-19
            persons.csv:4: community_code: must be a 12-digit community code, found a township code
            persons.csv:7: id_number: same document as line 5
            persons.csv:8: sex: is required when the document is not a mainland id
            persons.csv:8: birth_date: is required when the document is not a mainland id
            persons.csv:9: document_kind: unknown document kind, expected one of mainland_id, passport, hk_macao_permit, taiwan_permit, foreign_permanent_residence
            persons.csv:10: id_number: the birth date in the number is after today, 2024-06-01
            persons.csv:11: sex: does not match the id number
            persons.csv:11: birth_date: does not match the id number
            persons.csv:12: row: expected 11 fields, found 10
            persons.csv:13: id_number: characters 1-2 are not a province code
            persons.csv:14: document_number: document number must be 5 to 20 letters or digits
            persons.csv:15: nationality: nationality must be a 3-letter ISO 3166-1 alpha-3 code
            persons.csv:15: birth_date: is after today, 2024-06-01
            persons.csv:16: name: contains a control character such as a line break
            persons.csv:18: community_code: a jurisdiction code has 2, 4, 6, 9 or 12 digits, found 13
            persons.csv:19: document_number: differs from id_number
            persons.csv:20: document_number: is required for document kind passport
            persons.csv:21: id_number: is required
            persons.csv:22: id_number: characters 7-14 are not a valid birth date
            persons.csv:23: name: has 51 characters, at most 50 are allowed
            persons.csv:24: community_code: is required
            persons.csv:24: sex: expected male or female
            persons.csv:24: birth_date: expected a date as YYYY-MM-DD"#]],
    );
}

#[test]
fn no_reason_quotes_personal_data() {
    let csv = format!("{HEADER}{BAD_ROWS}");
    let err = parse_persons("persons.csv", csv.as_bytes(), today()).unwrap_err();
    let personal = ["name", "id_number", "document_number", "phone", "address"];
    let header: Vec<&str> = HEADER.trim_end().split(',').collect();
    let columns: Vec<usize> = personal
        .iter()
        .map(|c| header.iter().position(|h| h == c).unwrap())
        .collect();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(csv.as_bytes());
    let mut checked = 0;
    for record in reader.records() {
        let record = record.unwrap();
        for &idx in &columns {
            let value = record.get(idx).unwrap_or("").trim();
            if value.is_empty() {
                continue;
            }
            for e in &err.errors {
                assert!(
                    !e.reason.contains(value),
                    "line {}: the reason {:?} quotes {:?}",
                    e.line,
                    e.reason,
                    header[idx]
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 30, "only {checked} values checked");
    // Parts of ID numbers count too: region codes and birth dates.
    for digits in ["990102", "19900230", "20300101"] {
        assert!(!err.to_string().contains(digits), "{digits}");
    }
}

#[test]
fn identity_columns_may_come_as_document_columns_only() {
    check(
        "name,document_kind,document_number,nationality,sex,birth_date,community_code\n\
         张三,,410102199003071230,,,,410102001001\n\
         Li,taiwan_permit,12345678,,F,2000-01-31,410102001001\n\
         Ann,passport,X1234567,usa,female,1999.12.31,410102001001\n",
        expect![[r#"
            line 2: mainland_id 410102199003071230 CHN | 张三 | male 1990-03-07 | phone - | address "-" | 410102001001 | tags []
            line 3: taiwan_permit 12345678 CHN | Li | female 2000-01-31 | phone - | address "-" | 410102001001 | tags []
            line 4: passport X1234567 USA | Ann | female 1999-12-31 | phone - | address "-" | 410102001001 | tags []"#]],
    );
}

#[test]
fn the_same_number_under_different_kinds_is_not_a_repeat() {
    check(
        "name,document_kind,document_number,nationality,sex,birth_date,community_code\n\
         A,passport,E12345678,USA,male,1980-01-01,410102001001\n\
         B,foreign_permanent_residence,E12345678,USA,male,1980-01-01,410102001001\n\
         C,passport,e12345678,CAN,male,1980-01-01,410102001001\n",
        expect![[r#"persons.csv:4: document_number: same document as line 2"#]],
    );
}

#[test]
fn header_without_identity_or_required_columns_is_one_error_per_column() {
    check(
        "Name,phone\n张三,13812345678\n",
        expect![[r#"
            persons.csv:1: community_code: required column is missing
            persons.csv:1: id_number: required column is missing (or document_kind and document_number)"#]],
    );
}
