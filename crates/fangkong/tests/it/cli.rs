//! The `fangkong` binary as an operator uses it.

use std::process::{Command, Output};

fn fangkong(data: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fangkong"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("FANGKONG_DATABASE_URL")
        .env_remove("FANGKONG_MASTER_KEY")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[tokio::test]
async fn audit_verify_names_a_tampered_entry() {
    use sqlx::Connection as _;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let o = fangkong(
        &data,
        &[
            "user",
            "add",
            "--username",
            "lab1",
            "--role",
            "lab-submitter",
            "--org",
            "dept-testing",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    for _ in 0..3 {
        assert!(fangkong(&data, &["user", "token", "--username", "lab1"])
            .status
            .success());
    }
    let o = fangkong(&data, &["audit", "verify"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("audit chain intact: 3 entries"),
        "{}",
        text(&o)
    );
    let url = format!("sqlite://{}", data.join("fangkong.db").display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::raw_sql("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'system:someone-else' WHERE id = 2")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let o = fangkong(&data, &["audit", "verify"]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("fangkong: error: audit chain broken at entry 2: was altered"),
        "{}",
        text(&o)
    );
}

#[test]
fn help_names_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let o = fangkong(dir.path(), &["--help"]);
    assert!(o.status.success());
    let t = text(&o);
    for cmd in [
        "serve", "demo", "migrate", "import", "export", "user", "analyze",
    ] {
        assert!(t.contains(cmd), "--help lacks {cmd}: {t}");
    }
}

#[test]
fn demo_import_user_analyze_export_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let o = fangkong(&data, &["demo", "--population", "2000", "--no-serve"]);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("username: admin") && t.contains("password: "),
        "{t}"
    );
    assert!(data.join("master.key").exists() && data.join("fangkong.db").exists());

    // A second run reuses the city.
    let o = fangkong(&data, &["demo", "--population", "2000", "--no-serve"]);
    assert!(text(&o).contains("already loaded"), "{}", text(&o));

    // A bad file: every bad row with file, line and field; exit status non-zero.
    let bad = dir.path().join("people.csv");
    std::fs::write(
        &bad,
        "name,id_number,community_code\n张三,410102199003071234,411702001001\n李四,,411702001001\n",
    )
    .unwrap();
    let o = fangkong(&data, &["import", "persons", bad.to_str().unwrap()]);
    assert!(!o.status.success());
    let t = text(&o);
    assert!(
        t.contains("fangkong: error: people.csv:2: id_number: check digit is 4, expected 0"),
        "{t}"
    );
    assert!(t.contains("people.csv:3: id_number: is required"), "{t}");

    let good = dir.path().join("good.csv");
    std::fs::write(
        &good,
        "name,id_number,community_code\n张三,410102199003071230,411702001001\n",
    )
    .unwrap();
    let o = fangkong(&data, &["import", "persons", good.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("good.csv: 1 rows: 1 created, 0 updated, 0 unchanged"),
        "{}",
        text(&o)
    );
    let o = fangkong(&data, &["import", "persons", good.to_str().unwrap()]);
    assert!(
        text(&o).contains("0 created, 0 updated, 1 unchanged"),
        "{}",
        text(&o)
    );

    let o = fangkong(
        &data,
        &[
            "user",
            "add",
            "--username",
            "xp",
            "--role",
            "county-operator",
            "--jurisdiction",
            "411721",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = fangkong(
        &data,
        &["user", "token", "--username", "xp", "--expires", "30"],
    );
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout)
        .trim()
        .starts_with("fkt_"));
    let o = fangkong(&data, &["user", "list"]);
    assert!(text(&o).contains("xp") && text(&o).contains("county-operator"));
    let o = fangkong(
        &data,
        &["user", "add", "--username", "bad", "--role", "emperor"],
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("unknown role"), "{}", text(&o));

    let o = fangkong(
        &data,
        &["analyze", "population", "--code", "4117", "--json"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let registered: i64 = v["bands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["registered_male"].as_i64().unwrap() + b["registered_female"].as_i64().unwrap())
        .sum();
    assert_eq!(
        registered, 2001,
        "2000 synthetic residents and one imported"
    );

    let out = dir.path().join("j.csv");
    let o = fangkong(
        &data,
        &[
            "export",
            "jurisdictions",
            "--within",
            "411702",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let csv = std::fs::read_to_string(&out).unwrap();
    assert!(csv.starts_with("\u{feff}code,name,level"));
    assert!(csv.lines().skip(1).all(|l| l.starts_with("411702")));
    let o = fangkong(&data, &["export", "persons", "--within", "411702001001"]);
    assert!(
        !o.status.success() && text(&o).contains("--purpose is required"),
        "{}",
        text(&o)
    );
    let o = fangkong(
        &data,
        &[
            "export",
            "persons",
            "--within",
            "411702001001",
            "--purpose",
            "community outreach list",
        ],
    );
    let t = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        t.contains("410102********1230") && !t.contains("410102199003071230"),
        "exports stay masked"
    );
}
