//! Venue lists and check-in feeds: Chinese and English headers, every bad value with its line
//! and field, the same records from CSV, XLSX and NDJSON, and the throughput of a day of
//! check-ins.

use chrono::SecondsFormat;
use expect_test::{expect, Expect};
use fangkong_ingest::{
    parse_checkins, parse_venues, CheckinBatch, CheckinRecord, FileErrors, VenueKind, VenueRecord,
};
use rust_xlsxwriter::{Workbook, XlsxError};

use crate::testing::measure;

const ID: &str = "11010519491231002X";
const ID2: &str = "410102199003071230";

fn show_venue(v: &VenueRecord) -> String {
    format!(
        "line {}: {} | {} | {} | {} | community {} | {:?} {:?}",
        v.line,
        v.place_code,
        v.name,
        v.kind.as_str(),
        v.address.as_deref().unwrap_or("-"),
        v.community_code,
        v.lat,
        v.lon,
    )
}

fn check_venues(name: &str, text: &str, expect: Expect) {
    let out = match parse_venues(name, text.as_bytes()) {
        Err(e) => e.to_string(),
        Ok(venues) => venues.iter().map(show_venue).collect::<Vec<_>>().join("\n"),
    };
    expect.assert_eq(&out);
}

fn show_checkin(c: &CheckinRecord) -> String {
    let time = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    format!(
        "line {}: id {} person {} | {} | {} .. {}",
        c.line,
        c.national_id.as_ref().map_or("-", |id| id.as_str()),
        c.person_id.map_or("-".to_string(), |id| id.to_string()),
        c.place_code,
        time(c.time_in),
        c.time_out.map_or("open".to_string(), time),
    )
}

fn show_batch(result: &Result<CheckinBatch, FileErrors>) -> String {
    match result {
        Err(e) => format!("file refused:\n{e}"),
        Ok(batch) => {
            let mut lines: Vec<String> = batch.records.iter().map(show_checkin).collect();
            if let Some(refused) = batch.refused_errors() {
                lines.push("refused:".to_string());
                lines.push(refused.to_string());
            }
            lines.join("\n")
        }
    }
}

fn check_checkins(name: &str, text: &str, expect: Expect) {
    expect.assert_eq(&show_batch(&parse_checkins(name, text.as_bytes())));
}

#[test]
fn venues_with_chinese_headers_take_the_community_from_the_place_code() {
    check_venues(
        "venues.csv",
        "场所码,场所名称,场所类型,地址,社区编码,纬度,经度\n\
         P4117020010010001,老地方餐馆,餐馆,解放路 1 号,,32.98,114.02\n\
         P4117020010010002,惠民超市,supermarket,,411702001001,,\n\
         P4117020010020001,城南农贸市场,MARKET,,,,\n",
        expect![[r#"
            line 2: P4117020010010001 | 老地方餐馆 | restaurant | 解放路 1 号 | community 411702001001 | Some(32.98) Some(114.02)
            line 3: P4117020010010002 | 惠民超市 | supermarket | - | community 411702001001 | None None
            line 4: P4117020010020001 | 城南农贸市场 | market | - | community 411702001002 | None None"#]],
    );
}

#[test]
fn every_bad_venue_value_is_named_and_nothing_is_returned() {
    let long = "长".repeat(101);
    check_venues(
        "venues.csv",
        &format!(
            "place_code,name,kind,address,community_code,lat,lon\n\
             P4117020010010001,老地方餐馆,餐馆,,,,\n\
             P41170200100100,,bar,,41170200100,91,\n\
             P4117020010010001,{long},其他,,411702001002,,-180.5\n\
             ,甲,gym,\"第一行\n第二行\",,abc,1\n\
             P4117020010010003,乙,gym,,411702001001,-90,180\n"
        ),
        expect![[r#"
            venues.csv:3: place_code: a place code is 'P' followed by 16 digits
            venues.csv:3: name: is required
            venues.csv:3: kind: unknown venue kind, expected one of restaurant, supermarket, market, mall, hospital, clinic, school, office, factory, station, hotel, entertainment, gym, religious, other or their Chinese names
            venues.csv:3: community_code: expected 12 digits
            venues.csv:3: lat: expected decimal degrees from -90 to 90
            venues.csv:3: lon: is required with lat
            venues.csv:4: name: has 101 characters, at most 100 are allowed
            venues.csv:4: community_code: differs from the community in place_code (its digits 1-12)
            venues.csv:4: lon: expected decimal degrees from -180 to 180
            venues.csv:4: lat: is required with lon
            venues.csv:4: place_code: the same venue is on line 2
            venues.csv:5: place_code: is required
            venues.csv:5: address: contains a control character such as a line break
            venues.csv:5: lat: expected decimal degrees from -90 to 90"#]],
    );
}

#[test]
fn venue_headers_missing_or_given_twice_refuse_the_file() {
    check_venues(
        "venues.csv",
        "场所码,place_code,名称\nP4117020010010001,P4117020010010001,x\n",
        expect![[r#"
            venues.csv:1: place_code: column given twice, as place_code and 场所码
            venues.csv:1: name: required column is missing (or 场所名称)
            venues.csv:1: kind: required column is missing (or 场所类型)"#]],
    );
}

#[test]
fn venue_kinds_round_trip() {
    for kind in VenueKind::ALL {
        assert_eq!(VenueKind::parse(kind.as_str()), Some(kind));
        assert_eq!(VenueKind::parse(kind.name_zh()), Some(kind));
    }
    assert_eq!(VenueKind::ALL.len(), 15);
}

#[test]
fn checkins_keep_valid_rows_and_refuse_bad_ones_by_line_and_field() {
    check_checkins(
        "scans.csv",
        &format!(
            "national_id,person_id,place_code,time_in,time_out\n\
             {ID},,P4117020010010001,2026-11-30 12:00,2026-11-30 12:40\n\
             ,42,P4117020010010001,2026-11-30T04:05:00Z,\n\
             {ID},42,P4117020010010002,2026-11-30 12:00:30,\n\
             110105194912310021,0,P411,2026-11-30T12:00,2026-11-31 12:00\n\
             ,,,,\n\
             ,x1,P4117020010010001,,2026-11-30 12:00\n\
             {ID2},,P4117020010010001,2026-11-30 12:00,2026-11-30 11:59\n\
             {ID2},,P4117020010010001,2026-11-30 12:00,2026-11-30 12:00\n\
             {ID2},-5,P4117020010010001,2026/11/30 12:00,\n"
        ),
        expect![[r#"
            line 2: id 11010519491231002X person - | P4117020010010001 | 2026-11-30T04:00:00Z .. 2026-11-30T04:40:00Z
            line 3: id - person 42 | P4117020010010001 | 2026-11-30T04:05:00Z .. open
            line 4: id 11010519491231002X person 42 | P4117020010010002 | 2026-11-30T04:00:30Z .. open
            line 9: id 410102199003071230 person - | P4117020010010001 | 2026-11-30T04:00:00Z .. 2026-11-30T04:00:00Z
            refused:
            scans.csv:5: national_id: check digit is 1, expected X
            scans.csv:5: person_id: expected a person id (a whole number above 0)
            scans.csv:5: place_code: a place code is 'P' followed by 16 digits
            scans.csv:5: time_in: a time written with T needs an offset such as +08:00 or Z
            scans.csv:5: time_out: is not a real date and time
            scans.csv:7: person_id: expected a person id (a whole number above 0)
            scans.csv:7: time_in: is required
            scans.csv:8: time_out: is before time_in
            scans.csv:10: person_id: expected a person id (a whole number above 0)
            scans.csv:10: time_in: expected YYYY-MM-DD HH:MM[:SS] in China Standard Time, or RFC 3339 with an offset"#]],
    );
}

#[test]
fn an_empty_identity_is_named_by_the_columns_present() {
    check_checkins(
        "scans.csv",
        "national_id,person_id,place_code,time_in\n,,P4117020010010001,2026-11-30 12:00\n",
        expect![[r#"
            refused:
            scans.csv:2: national_id: is required (or person_id)"#]],
    );
    check_checkins(
        "scans.csv",
        "人员编号,场所码,进入时间\n,P4117020010010001,2026-11-30 12:00\n",
        expect![[r#"
            refused:
            scans.csv:2: person_id: is required"#]],
    );
}

#[test]
fn checkin_files_without_usable_columns_are_refused() {
    check_checkins(
        "scans.csv",
        "name,time_out\nx,\n",
        expect![[r#"
            file refused:
            scans.csv:1: national_id: required column is missing (or id_number, 身份证号, 身份证号码; or person_id, 人员编号)
            scans.csv:1: place_code: required column is missing (or 场所码, 场所编码)
            scans.csv:1: time_in: required column is missing (or 进入时间)"#]],
    );
    check_checkins(
        "scans.csv",
        "身份证号,id_number,场所码,进入时间\n",
        expect![[r#"
            file refused:
            scans.csv:1: national_id: column given twice, as id_number and 身份证号"#]],
    );
    check_checkins(
        "scans.csv",
        "",
        expect![[r#"
            file refused:
            scans.csv: file: file has no header row"#]],
    );
}

fn workbook(rows: &[&[&str]]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in (0u32..).zip(rows) {
        for (c, cell) in (0u16..).zip(row.iter()) {
            if !cell.is_empty() {
                sheet.write_string(r, c, *cell)?;
            }
        }
    }
    book.save_to_buffer()
}

#[test]
fn csv_xlsx_and_ndjson_give_the_same_checkins() {
    let rows: [&[&str]; 4] = [
        &["身份证号", "人员编号", "场所码", "进入时间", "离开时间"],
        &[
            ID,
            "",
            "P4117020010010001",
            "2026-11-30 12:00",
            "2026-11-30 13:00",
        ],
        &["", "7", "P4117020010010002", "2026-11-30 12:30", ""],
        &[
            ID2,
            "",
            "P4117020010010001",
            "2026-11-30 12:00",
            "2026-11-30 11:00",
        ],
    ];
    let csv: String = rows.iter().map(|r| r.join(",") + "\n").collect();
    let ndjson = format!(
        "{{\"身份证号\":\"{ID}\",\"场所码\":\"P4117020010010001\",\"进入时间\":\"2026-11-30 12:00\",\"离开时间\":\"2026-11-30 13:00\"}}\n\
         {{\"人员编号\":7,\"场所码\":\"P4117020010010002\",\"进入时间\":\"2026-11-30 12:30\",\"离开时间\":null}}\n\
         {{\"身份证号\":\"{ID2}\",\"场所码\":\"P4117020010010001\",\"进入时间\":\"2026-11-30 12:00\",\"离开时间\":\"2026-11-30 11:00\"}}\n"
    );
    let xlsx = workbook(&rows).expect("a workbook");
    let expected = expect![[r#"
        line 2: id 11010519491231002X person - | P4117020010010001 | 2026-11-30T04:00:00Z .. 2026-11-30T05:00:00Z
        line 3: id - person 7 | P4117020010010002 | 2026-11-30T04:30:00Z .. open
        refused:
        scans:4: time_out: is before time_in"#]];
    expected.assert_eq(&show_batch(&parse_checkins("scans", csv.as_bytes())));
    // NDJSON has no header line, so its objects stand on lines 1 to 3.
    expect![[r#"
        line 1: id 11010519491231002X person - | P4117020010010001 | 2026-11-30T04:00:00Z .. 2026-11-30T05:00:00Z
        line 2: id - person 7 | P4117020010010002 | 2026-11-30T04:30:00Z .. open
        refused:
        scans:3: time_out: is before time_in"#]]
    .assert_eq(&show_batch(&parse_checkins("scans", ndjson.as_bytes())));
    expected.assert_eq(&show_batch(&parse_checkins("scans", &xlsx)));
}

/// A day of check-ins of a city: `rows` rows over 20 000 venues and 400 000 people, with an
/// open check-out on every fifth row.
fn city_checkins_csv(rows: usize) -> String {
    let ids = ["11010519491231002X", "410102199003071230"];
    let mut csv = String::with_capacity(rows * 80);
    csv.push_str("national_id,person_id,place_code,time_in,time_out\n");
    for i in 0..rows {
        let (hour, minute) = (8 + (i / 60) % 12, i % 60);
        let person = i % 400_000 + 1;
        let venue = i % 20_000;
        if i % 2 == 0 {
            csv.push_str(ids[i % 4 / 2]);
            csv.push(',');
        } else {
            csv.push(',');
            csv.push_str(&person.to_string());
        }
        csv.push_str(&format!(
            ",P411702{:03}{:03}{:04},2026-11-30 {hour:02}:{minute:02},",
            venue / 1000 % 1000,
            venue / 10 % 100,
            venue % 10
        ));
        if i % 5 != 0 {
            csv.push_str(&format!("2026-11-30 {:02}:{minute:02}", hour + 1));
        }
        csv.push('\n');
    }
    csv
}

/// Throughput of [`parse_checkins`] on 1 000 000 rows; runs only with `FANGKONG_SLOW_TESTS`
/// set, and prints rather than asserts the rate (as `samples_throughput` does):
/// `FANGKONG_SLOW_TESTS=1 cargo test --release -p fangkong-ingest --test it checkins_throughput -- --nocapture`.
#[test]
fn checkins_throughput() {
    if std::env::var_os("FANGKONG_SLOW_TESTS").is_none() {
        return;
    }
    let rows = 1_000_000;
    let csv = city_checkins_csv(rows);
    let run = |name: &str, bytes: &[u8]| {
        let batch = parse_checkins(name, bytes).expect("a readable file");
        assert!(batch.refused.is_empty(), "{:?}", batch.refused.first());
        batch.records
    };
    measure("parse_checkins, csv", rows, csv.len(), || {
        run("checkins.csv", csv.as_bytes())
    });
    let ndjson: String = csv
        .lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            let identity = if f[0].is_empty() {
                format!("\"person_id\":{}", f[1])
            } else {
                format!("\"national_id\":\"{}\"", f[0])
            };
            let time_out = if f[4].is_empty() {
                "null".to_string()
            } else {
                format!("\"{}\"", f[4])
            };
            format!(
                "{{{identity},\"place_code\":\"{}\",\"time_in\":\"{}\",\"time_out\":{time_out}}}\n",
                f[2], f[3]
            )
        })
        .collect();
    measure("parse_checkins, ndjson", rows, ndjson.len(), || {
        run("checkins.ndjson", ndjson.as_bytes())
    });
}
