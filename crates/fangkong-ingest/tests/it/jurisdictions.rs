//! Jurisdiction lists: the National Bureau of Statistics division files and county lists
//! with parents and populations.

use std::collections::HashSet;

use expect_test::{expect, Expect};
use fangkong_ingest::{parse_jurisdictions, JurisdictionRecord};

const PROVINCE: &str = include_str!("../../../../data/divisions/henan-province.csv");
const CITIES: &str = include_str!("../../../../data/divisions/henan-cities.csv");
const COUNTIES: &str = include_str!("../../../../data/divisions/henan-counties.csv");
const TOWNSHIPS: &str = include_str!("../../../../data/divisions/henan-townships.csv");

fn show(records: &[JurisdictionRecord]) -> String {
    records
        .iter()
        .map(|r| {
            let population = r.population.map_or("-".to_string(), |p| format!("{p:?}"));
            format!(
                "line {}: {} {} {} {population}\n",
                r.line,
                r.code.level().as_str(),
                r.code,
                r.name
            )
        })
        .collect()
}

fn check(csv: &str, expect: Expect) {
    let actual = match parse_jurisdictions("j.csv", csv.as_bytes()) {
        Ok(records) => show(&records),
        Err(e) => e.to_string(),
    };
    expect.assert_eq(&actual);
}

fn parse_ok(name: &str, csv: &str) -> Vec<JurisdictionRecord> {
    match parse_jurisdictions(name, csv.as_bytes()) {
        Ok(records) => records,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn first_rows_of_the_township_file_parse() {
    let head: String = TOWNSHIPS
        .lines()
        .take(4)
        .map(|l| format!("{l}\n"))
        .collect();
    check(
        &head,
        expect![[r#"
            line 2: township 410102001 林山寨街道 -
            line 3: township 410102002 建设路街道 -
            line 4: township 410102003 棉纺路街道 -
        "#]],
    );
}

#[test]
fn every_division_file_parses_and_every_parent_is_listed() {
    let levels = [
        parse_ok("henan-province.csv", PROVINCE),
        parse_ok("henan-cities.csv", CITIES),
        parse_ok("henan-counties.csv", COUNTIES),
        parse_ok("henan-townships.csv", TOWNSHIPS),
    ];
    let counts: Vec<usize> = levels.iter().map(Vec::len).collect();
    let all: HashSet<String> = levels
        .iter()
        .flatten()
        .map(|r| r.code.to_string())
        .collect();
    let orphans: Vec<String> = levels
        .iter()
        .flatten()
        .filter_map(|r| r.code.parent())
        .map(|p| p.to_string())
        .filter(|p| !all.contains(p))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    expect![[r#"[1, 18, 181, 2586] orphans []"#]]
        .assert_eq(&format!("{counts:?} orphans {orphans:?}"));
}

#[test]
fn populations_and_parents_are_read() {
    check(
        "code,name,parent_code,pop_0_14,pop_15_59,pop_60_79,pop_80_plus,population\n\
         41,河南省,,,,,,\n\
         4101,郑州市,41,100,200,50,10,360\n\
         410102,中原区,,0,0,0,0,\n",
        expect![[r#"
            line 2: province 41 河南省 -
            line 3: city 4101 郑州市 [100, 200, 50, 10]
            line 4: county 410102 中原区 [0, 0, 0, 0]
        "#]],
    );
}

#[test]
fn every_bad_row_is_reported_with_its_line() {
    check(
        "code,name,parent_code,pop_0_14,pop_15_59,pop_60_79,pop_80_plus,population\n\
         41,河南省,,,,,,\n\
         4101,郑州市,41,100,200,50,10,360\n\
         410102,中原区,4102,1,2,3,4,\n\
         410103,二七区,4101,1,,3,4,\n\
         410104,,4101,1,2,3,4,11\n\
         4101,重复,41,,,,,\n\
         41017,x,,,,,,\n\
         410105,\"金水区\n(两行)\",4101,-1,2,3,4,\n\
         41,省,11,,,,,\n\
         410106,上街区,4101,,,,,500\n\
         4a,,,,,,,\n\
         410108,惠济区,4101,1,2,3,99999999999999999999,\n\
         410122,中牟县,4101\n",
        expect![[r#"
            j.csv:4: parent_code: is 4102, but the parent of 410102 is 4101
            j.csv:5: pop_15_59: is required when other age bands are given
            j.csv:6: name: is required
            j.csv:6: population: is 11, but the age bands add up to 10
            j.csv:7: code: repeats line 3
            j.csv:8: code: a jurisdiction code has 2, 4, 6, 9 or 12 digits, found 5
            j.csv:9: pop_0_14: expected a whole number, 0 or more
            j.csv:11: parent_code: a province has no parent
            j.csv:11: code: repeats line 2
            j.csv:12: population: is given but the age bands are empty
            j.csv:13: code: a jurisdiction code holds only digits
            j.csv:13: name: is required
            j.csv:14: pop_80_plus: is too large for a population
            j.csv:15: row: expected 8 fields, found 3"#]],
    );
}

#[test]
fn header_errors_name_the_missing_columns() {
    check(
        "code,title\n41,河南省\n",
        expect![[r#"j.csv:1: name: required column is missing"#]],
    );
    check(
        "code,name,pop_0_14,pop_15_59\n41,河南省,1,2\n",
        expect![[r#"
            j.csv:1: pop_60_79: required column is missing: the age-band columns come together
            j.csv:1: pop_80_plus: required column is missing: the age-band columns come together"#]],
    );
    check(
        "code,name,population\n41,河南省,100\n",
        expect![[
            r#"j.csv:1: population: needs the age-band columns pop_0_14, pop_15_59, pop_60_79 and pop_80_plus"#
        ]],
    );
}
