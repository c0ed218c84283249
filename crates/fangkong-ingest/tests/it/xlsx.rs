//! XLSX workbooks built in the test: cell types become the same text as CSV, and a workbook
//! gives the same person records as the equivalent CSV file.

use expect_test::expect;
use fangkong_ingest::{parse_persons, read_table, Format};
use rust_xlsxwriter::{ExcelDateTime, Format as CellFormat, Workbook, XlsxError};

use crate::{show_persons, today};

const HEADER: [&str; 8] = [
    "name",
    "id_number",
    "sex",
    "birth_date",
    "phone",
    "community_code",
    "tags",
    "score",
];

/// A workbook whose table starts on sheet row 3, with a blank row in the middle; numbers,
/// text and a date cell. (The first non-empty row is the header, so there is no title row.)
fn persons_workbook() -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let date = CellFormat::new().set_num_format("yyyy-mm-dd");
    let sheet = workbook.add_worksheet();
    for (col, name) in (0u16..).zip(HEADER) {
        sheet.write_string(2, col, name)?;
    }
    sheet.write_string(3, 0, "张三")?;
    sheet.write_string(3, 1, "410102199003071230")?;
    sheet.write_number(3, 4, 13812345678.0)?;
    sheet.write_number(3, 5, 410102001001.0)?;
    sheet.write_string(3, 6, "独居老人；高血压")?;
    sheet.write_number(3, 7, 1.5)?;
    // Row 5 (index 4) is left empty.
    sheet.write_string(5, 0, "李四")?;
    sheet.write_string(5, 1, "11010519491231002X")?;
    sheet.write_string(5, 2, "女")?;
    sheet.write_datetime_with_format(5, 3, ExcelDateTime::from_ymd(1949, 12, 31)?, &date)?;
    sheet.write_number(5, 5, 410102001002.0)?;
    sheet.write_number(5, 7, 3.0)?;
    workbook.save_to_buffer()
}

/// The same rows as `persons_workbook`, as CSV with the same line numbers.
const PERSONS_CSV: &str = "\n\
                           ,,,,,,,\n\
                           name,id_number,sex,birth_date,phone,community_code,tags,score\n\
                           张三,410102199003071230,,,13812345678,410102001001,独居老人；高血压,1.5\n\
                           \n\
                           李四,11010519491231002X,女,1949-12-31,,410102001002,,3\n";

#[test]
fn cells_become_text_like_csv() {
    let bytes = persons_workbook().unwrap();
    // The format comes from the content, whatever the name says.
    let table = read_table("persons.dat", &bytes).unwrap();
    assert_eq!(table.format(), Format::Xlsx);
    let mut out = format!(
        "header line {}: {}\n",
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
    expect![[r#"
        header line 3: name|id_number|sex|birth_date|phone|community_code|tags|score
        4: 张三|410102199003071230|||13812345678|410102001001|独居老人；高血压|1.5
        6: 李四|11010519491231002X|女|1949-12-31||410102001002||3
    "#]]
    .assert_eq(&out);
}

#[test]
fn workbook_and_csv_give_the_same_person_records() {
    let from_xlsx = parse_persons("persons.xlsx", &persons_workbook().unwrap(), today());
    let from_csv = parse_persons("persons.csv", PERSONS_CSV.as_bytes(), today());
    expect![[r#"
        line 4: mainland_id 410102199003071230 CHN | 张三 | male 1990-03-07 | phone 13812345678 | address "-" | 410102001001 | tags ["独居老人", "高血压"]
        line 6: mainland_id 11010519491231002X CHN | 李四 | female 1949-12-31 | phone - | address "-" | 410102001002 | tags []"#]].assert_eq(&show_persons(&from_xlsx));
    assert_eq!(from_xlsx.unwrap(), from_csv.unwrap());
}

#[test]
fn an_id_number_typed_as_a_number_is_reported_not_rounded() {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    for (col, name) in (0u16..).zip(["name", "id_number", "community_code"]) {
        sheet.write_string(0, col, name).unwrap();
    }
    sheet.write_string(1, 0, "张三").unwrap();
    sheet.write_number(1, 1, 410102199003071230.0).unwrap();
    sheet.write_number(1, 2, 410102001001.0).unwrap();
    sheet.write_string(2, 0, "李四").unwrap();
    sheet.write_string(2, 1, "11010519491231002X").unwrap();
    sheet.write_number(2, 2, 410102001001.0).unwrap();
    sheet.write_string(2, 4, "stray").unwrap();
    let bytes = workbook.save_to_buffer().unwrap();
    expect![[r#"
        p.xlsx:2: id_number: number has more than 15 digits, which excel does not keep; format the column as text and enter the value again
        p.xlsx:3: row: column 5 has a value but the header has 3 columns"#]].assert_eq(&show_persons(&parse_persons("p.xlsx", &bytes, today())));
}
