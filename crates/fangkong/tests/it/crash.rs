//! Crash safety: the real `fangkong serve` process is killed with SIGKILL at random moments
//! while clients register persons, post stock receipts and transfers, and upload sample
//! batches of 2 000 rows (bulk ingest). After each kill the store is opened offline and
//! checked:
//! - every write the server acknowledged is there;
//! - a write that was sent but not acknowledged is wholly there or wholly absent (a sample
//!   batch has all its tubes and samples or none; a movement has all its lines or none);
//! - the invariants hold (`Store::verify`: foreign keys, merges, the supplies ledger against
//!   its balances, room occupants against open stays, hospital beds against open
//!   admissions) and the audit chain is intact.
//!
//! Then the server is restarted and each client first re-sends what was not acknowledged,
//! with the same idempotency keys, before going on. After the last kill everything intended
//! is present exactly once: the persons, the stock (to the unit) and every tube and sample.
//!
//! Short mode (CI, the default): 4 kill points per backend. Long mode:
//! `FANGKONG_CRASH_KILLS=100 cargo test -p fangkong --test it crash -- --nocapture`; the
//! figures are printed as one JSON line per backend.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fangkong_store::{BackendKind, ConnectOptions, MasterKey, Store};
use fangkong_test_support::{backends, create_pg_database, drop_pg_database};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Connection as _;

use crate::id;

/// Sample batches: tubes per batch and persons per tube.
const TUBES: usize = 400;
const POOL: usize = 5;
/// Persons registered before the first kill, sampled into the tubes.
const SAMPLED: usize = 100;
const ITEM: &str = "CRASH-MASK";
const LOT: &str = "CRASH-LOT";

/// A small deterministic generator (xorshift64*), so that a run's kill moments can be
/// replayed from the seed it prints.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }
}

/// Where the instance keeps its data.
struct Instance {
    data: PathBuf,
    database_url: Option<String>,
    pg_name: Option<String>,
}

impl Instance {
    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_fangkong"));
        c.arg("--data").arg(&self.data);
        if let Some(url) = &self.database_url {
            c.arg("--database-url").arg(url);
        }
        c.args(args)
            .env_remove("FANGKONG_DATABASE_URL")
            .env_remove("FANGKONG_MASTER_KEY")
            .env("RUST_LOG", "warn");
        c
    }

    fn run(&self, args: &[&str]) -> String {
        let o = self.command(args).output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(o.status.success(), "fangkong {args:?}: {text}");
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    fn options(&self) -> ConnectOptions {
        match &self.database_url {
            Some(url) => ConnectOptions::Postgres {
                url: url.clone(),
                max_connections: 2,
            },
            None => ConnectOptions::Sqlite {
                path: self.data.join("fangkong.db"),
            },
        }
    }
}

/// A running server process.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    async fn start(instance: &Instance, http: &reqwest::Client) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = format!("127.0.0.1:{port}");
        let child = instance
            .command(&["serve", "--addr", &addr])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://{addr}");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = http.get(format!("{base}/readyz")).send().await {
                if r.status() == StatusCode::OK {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "the server did not become ready");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Server { child, base }
    }

    /// SIGKILL: no shutdown, no flush, no goodbye.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

/// One write a client means to make, and what became of it.
#[derive(Debug, Clone)]
struct Op {
    seq: usize,
    state: State,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Acked,
    /// Sent, but the server died before answering.
    Unacked,
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Person,
    Movement,
    Samples,
}

/// What the workload needs to know about the instance.
#[derive(Clone)]
struct Fixture {
    token: String,
    community: String,
    from_warehouse: i64,
    to_warehouse: i64,
    sampled_ids: Vec<String>,
}

fn person_number(seq: usize) -> String {
    id("411702", "1979-04-09", u16::try_from(100 + seq).unwrap())
}

/// Sends write `seq` of `kind`. `Ok(())` when acknowledged; `Err(())` when the connection
/// failed (the server is gone). Any other answer fails the test.
async fn send(
    http: &reqwest::Client,
    base: &str,
    f: &Fixture,
    kind: Kind,
    seq: usize,
) -> Result<(), ()> {
    let request = match kind {
        Kind::Person => http.post(format!("{base}/api/v1/persons")).json(&json!({
            "id_number": person_number(seq),
            "name": format!("崩溃测试{seq}"),
            "community_code": f.community,
        })),
        // Even writes receive ten units of the crash lot; odd ones move four of them on.
        Kind::Movement if seq.is_multiple_of(2) => http
            .post(format!("{base}/api/v1/supplies/movements"))
            .json(&json!({
                "idempotency_key": format!("crash-m-{seq}"),
                "kind": "receipt",
                "warehouse_id": f.from_warehouse,
                "lines": [{"item": ITEM, "quantity": 10, "lot": LOT, "expires_on": "2028-12-31"}],
            })),
        Kind::Movement => http
            .post(format!("{base}/api/v1/supplies/movements"))
            .json(&json!({
                "idempotency_key": format!("crash-m-{seq}"),
                "kind": "transfer",
                "warehouse_id": f.from_warehouse,
                "to_warehouse_id": f.to_warehouse,
                "lines": [{"item": ITEM, "quantity": 4, "lot": LOT}],
            })),
        Kind::Samples => http
            .post(format!(
                "{base}/api/v1/testing/samples:batch?file_name=crash-{seq}.csv"
            ))
            .header("idempotency-key", format!("crash-s-{seq}"))
            .body(sample_batch(f, seq)),
    };
    let response = match request.bearer_auth(&f.token).send().await {
        Ok(r) => r,
        Err(_) => return Err(()),
    };
    let status = response.status();
    let body = match response.text().await {
        Ok(b) => b,
        Err(_) => return Err(()),
    };
    assert!(status.is_success(), "{kind:?} {seq}: {status} {body}");
    if let Kind::Samples = kind {
        let report: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(report["refused"], json!([]), "{body}");
    }
    Ok(())
}

fn sample_batch(f: &Fixture, seq: usize) -> Vec<u8> {
    let mut csv = String::from("tube_id,id_number,site_code,collected_at,pool_size\n");
    for t in 0..TUBES {
        for r in 0..POOL {
            let person = &f.sampled_ids[(t * POOL + r) % SAMPLED];
            csv.push_str(&format!(
                "CRS{seq}-{t},{person},CRASH-SITE,2026-11-30 08:00,{POOL}\n"
            ));
        }
    }
    csv.into_bytes()
}

/// A client: first re-sends its unacknowledged writes in order, then makes new ones until
/// the server dies. Returns its log.
async fn client(
    http: reqwest::Client,
    base: String,
    f: Fixture,
    kind: Kind,
    mut log: Vec<Op>,
) -> Vec<Op> {
    for op in log.iter_mut().filter(|o| o.state == State::Unacked) {
        if send(&http, &base, &f, kind, op.seq).await.is_err() {
            return log;
        }
        op.state = State::Acked;
    }
    loop {
        let seq = log.len();
        log.push(Op {
            seq,
            state: State::Unacked,
        });
        if send(&http, &base, &f, kind, seq).await.is_err() {
            return log;
        }
        log[seq].state = State::Acked;
    }
}

/// Direct SQL on the stopped instance's database.
enum Sql {
    Sqlite(sqlx::SqliteConnection),
    Pg(sqlx::PgConnection),
}

impl Sql {
    async fn open(instance: &Instance) -> Sql {
        match &instance.database_url {
            Some(url) => Sql::Pg(sqlx::PgConnection::connect(url).await.unwrap()),
            None => Sql::Sqlite(
                sqlx::SqliteConnection::connect(&format!(
                    "sqlite://{}",
                    instance.data.join("fangkong.db").display()
                ))
                .await
                .unwrap(),
            ),
        }
    }

    async fn count(&mut self, sql: &str) -> i64 {
        match self {
            Sql::Sqlite(c) => sqlx::query_scalar(sql).fetch_one(c).await.unwrap(),
            Sql::Pg(c) => sqlx::query_scalar(sql).fetch_one(c).await.unwrap(),
        }
    }

    async fn text(&mut self, sql: &str) -> String {
        match self {
            Sql::Sqlite(c) => sqlx::query_scalar(sql).fetch_one(c).await.unwrap(),
            Sql::Pg(c) => sqlx::query_scalar(sql).fetch_one(c).await.unwrap(),
        }
    }

    async fn close(self) {
        match self {
            Sql::Sqlite(c) => c.close().await.unwrap(),
            Sql::Pg(c) => c.close().await.unwrap(),
        }
    }
}

/// What the kills did, for the long-mode report.
#[derive(Default)]
struct Tally {
    kills: usize,
    acked: usize,
    unacked_present: usize,
    unacked_absent: usize,
    batches_cut: usize,
    restart_ms: Vec<u128>,
}

/// Offline checks after a kill (see the module documentation). `final_` also demands that
/// nothing is unacknowledged and every total is exact.
async fn check(
    instance: &Instance,
    base_persons: i64,
    logs: &[(Kind, Vec<Op>)],
    tally: &mut Tally,
    final_: bool,
) {
    let store = Store::open(
        &instance.options(),
        &MasterKey::load_or_create(&instance.data.join("master.key")).unwrap(),
    )
    .await
    .unwrap();
    let findings = store.verify().await.unwrap();
    assert!(
        findings.is_empty(),
        "invariants after a kill: {findings:#?}"
    );
    let chain = store.audit().verify().await.unwrap();
    assert_eq!(chain.first_broken, None, "audit chain broken after a kill");
    store.close().await;

    let mut sql = Sql::open(instance).await;
    let lineless = sql
        .count(
            "SELECT COUNT(*) FROM supply_movements m WHERE NOT EXISTS \
             (SELECT 1 FROM supply_movement_lines l WHERE l.movement_id = m.id)",
        )
        .await;
    assert_eq!(lineless, 0, "a movement without its lines");
    for (kind, log) in logs {
        for op in log {
            let present = match kind {
                // Names and documents are encrypted: persons are counted as a whole below.
                Kind::Person => continue,
                Kind::Movement => {
                    sql.count(&format!(
                        "SELECT COUNT(*) FROM supply_movements WHERE idempotency_key = 'crash-m-{}'",
                        op.seq
                    ))
                    .await
                        == 1
                }
                Kind::Samples => {
                    let tubes = sql
                        .count(&format!(
                            "SELECT COUNT(*) FROM tubes WHERE code LIKE 'CRS{}-%'",
                            op.seq
                        ))
                        .await;
                    let samples = sql
                        .count(&format!(
                            "SELECT COUNT(*) FROM samples s JOIN tubes t ON t.id = s.tube_id \
                             WHERE t.code LIKE 'CRS{}-%'",
                            op.seq
                        ))
                        .await;
                    let whole = tubes == TUBES as i64 && samples == (TUBES * POOL) as i64;
                    assert!(
                        whole || (tubes == 0 && samples == 0),
                        "sample batch {} half-present: {tubes} tubes, {samples} samples",
                        op.seq
                    );
                    if op.state == State::Unacked {
                        tally.batches_cut += 1;
                    }
                    whole
                }
            };
            match (op.state, present) {
                (State::Acked, true) => tally.acked += 1,
                (State::Acked, false) => panic!("acknowledged {kind:?} {} lost", op.seq),
                (State::Unacked, true) => tally.unacked_present += 1,
                (State::Unacked, false) => tally.unacked_absent += 1,
            }
        }
    }
    // Persons: every acknowledged registration is there, none twice; an unacknowledged one
    // may or may not be.
    let persons = sql.count("SELECT COUNT(*) FROM persons").await - base_persons;
    let (acked, sent) = logs
        .iter()
        .filter(|(k, _)| matches!(k, Kind::Person))
        .flat_map(|(_, l)| l)
        .fold((0, 0), |(a, s), o| {
            (a + i64::from(o.state == State::Acked), s + 1)
        });
    assert!(
        (acked..=sent).contains(&persons),
        "persons registered: {persons}, acknowledged {acked}, sent {sent}"
    );
    if final_ {
        assert_eq!(persons, sent, "every registration exactly once");
        let log = |kind: fn(&Kind) -> bool| {
            logs.iter()
                .filter(|(k, _)| kind(k))
                .flat_map(|(_, l)| l)
                .collect::<Vec<_>>()
        };
        for (_, l) in logs {
            assert!(l.iter().all(|o| o.state == State::Acked));
        }
        let movements = log(|k| matches!(k, Kind::Movement));
        let receipts = movements.iter().filter(|o| o.seq.is_multiple_of(2)).count() as i64;
        let transfers = movements.len() as i64 - receipts;
        let stock = |warehouse: i64| {
            format!(
                "SELECT CAST(COALESCE(SUM(s.quantity), 0) AS BIGINT) FROM supply_stock s \
                 JOIN supply_batches b ON b.id = s.batch_id \
                 JOIN supply_items i ON i.id = s.item_id \
                 WHERE i.code = '{ITEM}' AND b.lot = '{LOT}' AND s.warehouse_id = {warehouse}"
            )
        };
        let f = instance_fixture_warehouses(&mut sql).await;
        assert_eq!(sql.count(&stock(f.0)).await, 10 * receipts - 4 * transfers);
        assert_eq!(sql.count(&stock(f.1)).await, 4 * transfers);
        let batches = log(|k| matches!(k, Kind::Samples)).len() as i64;
        assert_eq!(
            sql.count("SELECT COUNT(*) FROM tubes WHERE code LIKE 'CRS%'")
                .await,
            batches * TUBES as i64
        );
        assert_eq!(
            sql.count(
                "SELECT COUNT(*) FROM samples s JOIN tubes t ON t.id = s.tube_id \
                 WHERE t.code LIKE 'CRS%'"
            )
            .await,
            batches * (TUBES * POOL) as i64
        );
    }
    sql.close().await;
}

/// The crash lot's two warehouses, by name.
async fn instance_fixture_warehouses(sql: &mut Sql) -> (i64, i64) {
    let a = sql
        .count("SELECT id FROM facilities WHERE name = '崩溃测试甲库'")
        .await;
    let b = sql
        .count("SELECT id FROM facilities WHERE name = '崩溃测试乙库'")
        .await;
    (a, b)
}

async fn fixture(instance: &Instance, http: &reqwest::Client) -> Fixture {
    instance.run(&[
        "user",
        "add",
        "--username",
        "crash",
        "--role",
        "admin",
        "--org",
        "hq-office",
    ]);
    let token = instance
        .run(&["user", "token", "--username", "crash"])
        .trim()
        .to_string();
    let mut sql = Sql::open(instance).await;
    let community = sql
        .text(
            "SELECT code FROM jurisdictions WHERE LENGTH(code) = 12 AND code LIKE '411702%' \
             ORDER BY code LIMIT 1",
        )
        .await;
    sql.close().await;

    let server = Server::start(instance, http).await;
    let base = server.base.clone();
    let post = |path: &str, body: Value| {
        let http = http.clone();
        let url = format!("{base}{path}");
        let token = token.clone();
        async move {
            let r = http
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status();
            let body: Value = r.json().await.unwrap();
            assert!(status.is_success(), "{status} {body}");
            body
        }
    };
    post(
        "/api/v1/supplies/items",
        json!({"code": ITEM, "name": "崩溃测试口罩", "category": "ppe", "unit": "piece",
               "pack_size": 10}),
    )
    .await;
    let mut warehouses = Vec::new();
    for name in ["崩溃测试甲库", "崩溃测试乙库"] {
        let w = post(
            "/api/v1/supplies/warehouses",
            json!({"name": name, "kind": "county_reserve", "community_code": community}),
        )
        .await;
        warehouses.push(w["id"].as_i64().unwrap());
    }
    let mut sampled_ids = Vec::new();
    for k in 0..SAMPLED {
        let number = id("411702", "1990-01-01", u16::try_from(500 + k).unwrap());
        post(
            "/api/v1/persons",
            json!({"id_number": number, "name": format!("采样{k}"), "community_code": community}),
        )
        .await;
        sampled_ids.push(number);
    }
    server.kill();
    Fixture {
        token,
        community,
        from_warehouse: warehouses[0],
        to_warehouse: warehouses[1],
        sampled_ids,
    }
}

async fn new_instance(backend: BackendKind, dir: &Path) -> Instance {
    let data = dir.join("data");
    match backend {
        BackendKind::Sqlite => Instance {
            data,
            database_url: None,
            pg_name: None,
        },
        BackendKind::Postgres => {
            let (url, name) = create_pg_database("fk_crash").await;
            Instance {
                data,
                database_url: Some(url),
                pg_name: Some(name),
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_sigkill_at_random_points() {
    let kills: usize = std::env::var("FANGKONG_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let seed: u64 = std::env::var("FANGKONG_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5EED_C0DE);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    for backend in backends() {
        let dir = tempfile::tempdir().unwrap();
        let instance = new_instance(backend, dir.path()).await;
        // A small demo city: isolation sites with stays, hospitals with admissions,
        // warehouses with stock, so that the invariants have something to hold over.
        instance.run(&["demo", "--population", "1000", "--no-serve"]);
        let f = fixture(&instance, &http).await;
        let mut sql = Sql::open(&instance).await;
        let base_persons = sql.count("SELECT COUNT(*) FROM persons").await;
        sql.close().await;

        let mut rng = Rng(seed ^ u64::from(matches!(backend, BackendKind::Postgres)));
        let mut logs: Vec<(Kind, Vec<Op>)> = vec![
            (Kind::Person, Vec::new()),
            (Kind::Movement, Vec::new()),
            (Kind::Samples, Vec::new()),
        ];
        let mut tally = Tally::default();
        for round in 0..=kills {
            let started = Instant::now();
            let server = Server::start(&instance, &http).await;
            tally.restart_ms.push(started.elapsed().as_millis());
            let workers: Vec<_> = logs
                .drain(..)
                .map(|(kind, log)| {
                    let (http, base, f) = (http.clone(), server.base.clone(), f.clone());
                    tokio::spawn(async move { (kind, client(http, base, f, kind, log).await) })
                })
                .collect();
            if round == kills {
                // The last start: let the re-sends finish, then stop.
                tokio::time::sleep(Duration::from_millis(1500)).await;
            } else {
                tokio::time::sleep(Duration::from_millis(rng.between(30, 1200))).await;
            }
            server.kill();
            tally.kills += usize::from(round < kills);
            for w in workers {
                logs.push(w.await.unwrap());
            }
            check(&instance, base_persons, &logs, &mut tally, false).await;
        }
        // Everything that was cut off by the last kill, sent once more on a server left up.
        let server = Server::start(&instance, &http).await;
        for (kind, log) in &mut logs {
            for op in log.iter_mut().filter(|o| o.state == State::Unacked) {
                send(&http, &server.base, &f, *kind, op.seq).await.unwrap();
                op.state = State::Acked;
            }
        }
        server.kill();
        check(&instance, base_persons, &logs, &mut tally, true).await;

        let restart = {
            let mut v = tally.restart_ms.clone();
            v.sort_unstable();
            v[v.len() / 2]
        };
        println!(
            "{}",
            json!({
                "backend": format!("{backend:?}"),
                "seed": seed,
                "kills": tally.kills,
                "writes": logs.iter().map(|(_, l)| l.len()).sum::<usize>(),
                "checks_acknowledged_present": tally.acked,
                "checks_unacknowledged_present": tally.unacked_present,
                "checks_unacknowledged_absent": tally.unacked_absent,
                "sample_batches_cut_by_a_kill": tally.batches_cut,
                "median_restart_ms": restart,
            })
        );
        if let Some(name) = &instance.pg_name {
            drop_pg_database(name).await;
        }
    }
}
