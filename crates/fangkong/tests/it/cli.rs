//! The `fangkong` binary as an operator uses it.

use std::process::{Command, Output};

/// Runs the binary on a data directory, without the environment's database or key.
pub(crate) fn fangkong(data: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fangkong"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("FANGKONG_DATABASE_URL")
        .env_remove("FANGKONG_MASTER_KEY")
        .output()
        .unwrap()
}

/// Standard output and error of a run, as text.
pub(crate) fn text(o: &Output) -> String {
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
        "serve", "demo", "migrate", "import", "export", "user", "analyze", "drill",
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

    // Sentinel reports: every bad value with file, line and field, nothing applied.
    let reports = dir.path().join("sentinel.csv");
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).date_naive();
    std::fs::write(
        &reports,
        format!(
            "sentinel_id,day,indicator,count\n999999999,{yesterday},visits,3\n\
             999999999,{yesterday},antiviral_sales,1\n"
        ),
    )
    .unwrap();
    let o = fangkong(
        &data,
        &["import", "sentinel-reports", reports.to_str().unwrap()],
    );
    assert!(!o.status.success());
    let t = text(&o);
    assert!(
        t.contains("sentinel.csv:2: sentinel_id: no sentinel has this id in your jurisdiction")
            && t.contains("sentinel.csv:3: sentinel_id:")
            && t.contains("nothing was imported (2 bad value(s))"),
        "{t}"
    );

    // A policy version: a bad one is refused with its line, rule and field; a good one is
    // loaded once.
    let policy = dir.path().join("city.toml");
    let city = fangkong_app::inbound::DEFAULT_POLICY
        .replace("default-2022-06", "city-2026-12")
        .replace("test_days = [1, 3] }", "test_days = [1, 4] }");
    std::fs::write(&policy, &city).unwrap();
    let o = fangkong(&data, &["import", "policy", policy.to_str().unwrap()]);
    assert!(!o.status.success());
    let t = text(&o);
    let line = city
        .lines()
        .position(|l| l == "id = \"low-risk-area\"")
        .unwrap();
    assert!(
        t.contains(&format!(
            "city.toml:{line}: rules.low-risk-area.measure.test_days: day 4 is outside the measure's 3 days"
        )),
        "{t}"
    );
    assert!(t.contains("the policy was not loaded"), "{t}");
    std::fs::write(
        &policy,
        city.replace("test_days = [1, 4] }", "test_days = [1, 3] }"),
    )
    .unwrap();
    let o = fangkong(&data, &["import", "policy", policy.to_str().unwrap()]);
    assert!(
        text(&o)
            .contains("city.toml: policy city-2026-12 effective from 2022-06-28, 10 rules: loaded"),
        "{}",
        text(&o)
    );
    let o = fangkong(&data, &["import", "policy", policy.to_str().unwrap()]);
    assert!(
        text(&o).contains("10 rules: already loaded"),
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
        registered, 3201,
        "2000 synthetic residents, the demo's 1 200 arrivals and one imported"
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

#[test]
fn analyze_pooling_aberration_and_rt_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("unused");
    // Dorfman 1943, Table 1: at 1 % prevalence groups of 11 need 0.1956 tests per person.
    let o = fangkong(
        &data,
        &["analyze", "pooling", "--prevalence", "0.01", "--json"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["optimal_pool_size"], 11);
    assert!(
        (v["tests_per_person"].as_f64().unwrap() - 0.195_571).abs() < 1e-6,
        "{v}"
    );
    assert!(!data.exists(), "file analyses create no data directory");

    // EARS C1 by hand: baseline 5,5,5,5,5,5,6 has mean 5.142857 and sd 0.377964; with
    // alpha 0.001 the bound is mean + 3.090232 * sd = 6.310848; 20 cases is an alarm.
    let series = dir.path().join("s.csv");
    let mut csv = String::from("date,count\n");
    for (i, n) in [5, 5, 5, 5, 5, 5, 6, 20].iter().enumerate() {
        csv.push_str(&format!("2026-11-{:02},{n}\n", i + 1));
    }
    std::fs::write(&series, csv).unwrap();
    let o = fangkong(
        &data,
        &[
            "analyze",
            "aberration",
            "--method",
            "ears-c1",
            "--input",
            series.to_str().unwrap(),
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let last = &v.as_array().unwrap()[0];
    assert_eq!(
        (
            last["date"].as_str(),
            last["observed"].as_u64(),
            last["alarm"].as_bool()
        ),
        (Some("2026-11-08"), Some(20), Some(true))
    );
    assert!(
        (last["threshold"].as_f64().unwrap() - 6.310_848).abs() < 1e-5,
        "{last}"
    );

    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "date,count\n2026-11-02,3\n2026-11-01,x\n").unwrap();
    let o = fangkong(
        &data,
        &[
            "analyze",
            "aberration",
            "--method",
            "cusum",
            "--input",
            bad.to_str().unwrap(),
        ],
    );
    assert!(!o.status.success());
    assert!(
        text(&o).contains("bad.csv:3: count: expected a whole number"),
        "{}",
        text(&o)
    );
    let o = fangkong(
        &data,
        &[
            "analyze",
            "aberration",
            "--method",
            "magic",
            "--input",
            series.to_str().unwrap(),
        ],
    );
    assert!(
        !o.status.success() && text(&o).contains("method"),
        "{}",
        text(&o)
    );

    // Rt over 20 days: windows of 7 days start on day 2 and end on day 20 (EpiEstim's default).
    let incidence = dir.path().join("i.csv");
    let mut csv = String::from("date,count\n");
    for d in 0..20 {
        csv.push_str(&format!("2026-11-{:02},{}\n", d + 1, 2 + d));
    }
    std::fs::write(&incidence, csv).unwrap();
    let o = fangkong(
        &data,
        &[
            "analyze",
            "rt",
            "--input",
            incidence.to_str().unwrap(),
            "--si-mean",
            "4.7",
            "--si-sd",
            "2.9",
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let windows = v.as_array().unwrap();
    assert_eq!(windows.len(), 13);
    assert_eq!(
        (windows[0]["t_start"].as_u64(), windows[0]["t_end"].as_u64()),
        (Some(2), Some(8))
    );
    assert_eq!(windows[12]["end_date"], "2026-11-20");
    let first = &windows[0];
    assert!(
        first["q025"].as_f64() < first["mean"].as_f64()
            && first["mean"].as_f64() < first["q975"].as_f64()
    );
}
