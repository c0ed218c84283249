//! CSV export: the byte order mark, quoting and a round trip through `read_table`.

use fangkong_ingest::{read_table, write_csv};

#[test]
fn export_reads_back_as_the_same_cells() {
    let rows = vec![
        vec!["4101".to_string(), "郑州市".to_string()],
        vec!["4102".to_string(), "开封市, \"汴\"\n第二行".to_string()],
    ];
    let bytes = write_csv(&["code", "name"], rows.clone().into_iter());
    assert!(bytes.starts_with(b"\xEF\xBB\xBFcode,name\r\n"));
    let table = read_table("export.csv", &bytes).unwrap();
    assert_eq!(table.headers(), ["code", "name"]);
    let cells: Vec<Vec<String>> = table
        .rows()
        .map(|r| r.cells().map(str::to_string).collect())
        .collect();
    assert_eq!(cells, rows);
    let lines: Vec<u64> = table.rows().map(|r| r.line()).collect();
    assert_eq!(lines, [2, 3]);
}
