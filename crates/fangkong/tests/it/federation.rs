//! Federation between a province and a city instance on loopback, on both backends, through
//! fault-injecting proxies (one each way) that drop requests, drop answers after the peer
//! applied the message, duplicate, delay and replay old requests out of order, driven by a
//! seeded generator. A 10 000-item task goes down, every item is fed back (with some
//! corrections) while each side restarts once, and at the end both sides agree exactly and
//! each message had exactly one effect. Bad messages (unsigned, wrongly signed, unknown
//! sender, replayed, items outside the receiver) are refused, logged, and change nothing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use fangkong_api_types::{FederationBatch, FederationMessage, PersonCreate};
use fangkong_app::co_investigation::{FeedbackInput, TaskInput};
use fangkong_app::federation::{Envelope, Identity};
use fangkong_app::Actor;
use fangkong_domain::JurisdictionCode;
use fangkong_ingest::co_investigation::{ItemRecord, ItemSubject};
use fangkong_server::federation::DeliveryConfig;
use fangkong_test_support::{backends, TestApp};

use crate::id;

/// SplitMix64: a small seeded generator, so a failing run can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// What the proxy did, for the test to show that faults happened.
#[derive(Default)]
struct Counts {
    forwarded: AtomicU64,
    dropped_requests: AtomicU64,
    dropped_answers: AtomicU64,
    duplicated: AtomicU64,
    replayed: AtomicU64,
}

#[derive(Clone)]
struct Proxy {
    target: Arc<Mutex<String>>,
    rng: Arc<Mutex<Rng>>,
    history: Arc<Mutex<Vec<Bytes>>>,
    counts: Arc<Counts>,
    http: reqwest::Client,
}

impl Proxy {
    /// Starts a proxy to `target` on an ephemeral port. Returns it and its URL.
    async fn start(target: &str, seed: u64) -> (Proxy, String) {
        let proxy = Proxy {
            target: Arc::new(Mutex::new(target.to_string())),
            rng: Arc::new(Mutex::new(Rng(seed))),
            history: Arc::default(),
            counts: Arc::default(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap(),
        };
        let router = axum::Router::new()
            .route("/api/v1/federation/messages", axum::routing::post(relay))
            .with_state(proxy.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        (proxy, url)
    }

    fn retarget(&self, target: &str) {
        *self.target.lock().unwrap() = target.to_string();
    }

    /// Sends `body` to the target after `delay`, ignoring the answer (a stray copy).
    fn send_later(&self, body: Bytes, delay: Duration) {
        let this = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let url = format!("{}/api/v1/federation/messages", this.target.lock().unwrap());
            let _ = this
                .http
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await;
        });
    }
}

async fn relay(State(p): State<Proxy>, body: Bytes) -> Response {
    let (drop_request, delay_ms, duplicate, replay, drop_answer, replay_pick) = {
        let mut rng = p.rng.lock().unwrap();
        (
            rng.chance(0.15),
            rng.below(40),
            rng.chance(0.15),
            rng.chance(0.10),
            rng.chance(0.15),
            rng.next(),
        )
    };
    {
        let mut history = p.history.lock().unwrap();
        if replay && !history.is_empty() {
            let old = history[(replay_pick % history.len() as u64) as usize].clone();
            p.counts.replayed.fetch_add(1, Ordering::Relaxed);
            p.send_later(old, Duration::from_millis(replay_pick % 200));
        }
        history.push(body.clone());
        if history.len() > 64 {
            history.remove(0);
        }
    }
    if drop_request {
        p.counts.dropped_requests.fetch_add(1, Ordering::Relaxed);
        return StatusCode::BAD_GATEWAY.into_response();
    }
    tokio::time::sleep(Duration::from_millis(delay_ms)).await;
    if duplicate {
        p.counts.duplicated.fetch_add(1, Ordering::Relaxed);
        p.send_later(body.clone(), Duration::from_millis(delay_ms * 3));
    }
    let url = format!("{}/api/v1/federation/messages", p.target.lock().unwrap());
    let answer = p
        .http
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await;
    let Ok(answer) = answer else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    p.counts.forwarded.fetch_add(1, Ordering::Relaxed);
    let status = answer.status();
    let bytes = answer.bytes().await.unwrap_or_default();
    if drop_answer {
        // The peer applied the messages; the sender never hears of it.
        p.counts.dropped_answers.fetch_add(1, Ordering::Relaxed);
        return StatusCode::GATEWAY_TIMEOUT.into_response();
    }
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        bytes,
    )
        .into_response()
}

fn delivery() -> DeliveryConfig {
    DeliveryConfig {
        batch: 2,
        concurrency: 4,
        min_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(400),
        request_timeout: Duration::from_secs(20),
        poll: Duration::from_millis(200),
    }
}

/// Waits (in real time: deliveries cross the network) until `done` holds.
async fn wait_until<F, Fut>(what: &str, limit: Duration, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !done().await {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const JURISDICTIONS: &str = "code,name\n41,河南省\n4117,驻马店市\n411702,驿城区\n411721,西平县\n\
     411702001,顺河街道\n411702001001,一号社区\n411721001,柏城街道\n411721001001,西平一社区\n";

/// 10 000 distinct valid ID numbers (two of them residents of the city), one per item.
fn list() -> Vec<ItemRecord> {
    let mut out = Vec::with_capacity(10_000);
    for day in 0..10u32 {
        let birth = format!("1980-01-{:02}", day + 1);
        for seq in 0..1000u16 {
            let n = fangkong_domain::NationalId::parse(&id("411702", &birth, seq)).unwrap();
            out.push(ItemRecord {
                line: out.len() as u64 + 2,
                subject: ItemSubject::Person(n),
                note: String::new(),
            });
        }
    }
    out
}

fn outcome_of(seq: i64) -> (&'static str, Option<String>) {
    match seq % 5 {
        0 => ("controlled", None),
        1 => ("not_found", None),
        2 => ("left_area", None),
        3 => ("forwarded", Some("4201".to_string())),
        _ => ("duplicate", None),
    }
}

#[tokio::test]
async fn ten_thousand_items_down_and_back_through_faults_and_restarts() {
    for (round, backend) in backends().into_iter().enumerate() {
        let started = Instant::now();
        let mut province = TestApp::spawn_federated(backend, "41", delivery()).await;
        let mut city = TestApp::spawn_federated(backend, "4117", delivery()).await;
        let (down, down_url) = Proxy::start(&city.base_url, 7 + round as u64).await;
        let (up, up_url) = Proxy::start(&province.base_url, 11 + round as u64).await;
        let admin = Actor::system("federation-test");
        province
            .app
            .add_peer(&admin, "4117", &down_url, &city.public_key())
            .await
            .unwrap();
        city.app
            .add_peer(&admin, "41", &up_url, &province.public_key())
            .await
            .unwrap();
        // Two of the listed people live in the city.
        city.client
            .import_jurisdictions("d.csv", JURISDICTIONS.as_bytes().to_vec())
            .await
            .unwrap();
        let items = list();
        for (i, community) in [(0usize, "411702001001"), (1234, "411721001001")] {
            let ItemSubject::Person(n) = &items[i].subject else {
                unreachable!()
            };
            city.client
                .create_person(&PersonCreate {
                    id_number: Some(n.as_str().to_string()),
                    name: "居民".into(),
                    community_code: community.into(),
                    ..PersonCreate::default()
                })
                .await
                .unwrap();
        }

        // The province pushes the list down: stored and queued in one transaction.
        let created = province
            .app
            .create_co_task(
                &admin,
                &TaskInput {
                    title: "省协查〔2026〕88号".into(),
                    reason: "时空伴随".into(),
                    source: "省大数据局".into(),
                    deadline: "2026-12-01 10:00".into(),
                    target_code: Some("4117".into()),
                },
                &items,
            )
            .await
            .unwrap();
        assert_eq!(created.pushed_to.as_deref(), Some("4117"));
        let uid = created.task.uid.clone();
        wait_until("the task at the city", Duration::from_secs(60), || {
            let store = city.store.clone();
            let uid = uid.clone();
            async move { store.co_investigation().task_by_uid(&uid).await.is_ok() }
        })
        .await;
        let task = city
            .store
            .co_investigation()
            .task_by_uid(&uid)
            .await
            .unwrap();
        assert_eq!(task.n_items, 10_000);
        assert_eq!(task.upstream_peer.as_deref(), Some("41"));
        let city_items = city
            .store
            .co_investigation()
            .all_items(task.id)
            .await
            .unwrap();
        assert_eq!(city_items[0].assigned_code, "411702001001");
        assert_eq!(city_items[1234].assigned_code, "411721001001");
        assert_eq!(
            city_items
                .iter()
                .filter(|i| i.assigned_how == "receiving")
                .count(),
            9_998
        );

        // Every item is fed back in batches of 500; the city restarts after the fifth batch
        // and the province after the twelfth.
        let ids: Vec<(i64, i64)> = city_items.iter().map(|i| (i.id, i.seq)).collect();
        for (n, chunk) in ids.chunks(500).enumerate() {
            if n == 5 {
                city = city.restart().await;
                down.retarget(&city.base_url);
            }
            if n == 12 {
                // The province restarts while feedback is in flight to it.
                province = province.restart().await;
                up.retarget(&province.base_url);
            }
            let entries: Vec<FeedbackInput> = chunk
                .iter()
                .map(|(id, seq)| {
                    let (outcome, forwarded_to) = outcome_of(*seq);
                    FeedbackInput {
                        item_id: *id,
                        outcome: outcome.into(),
                        note: format!("第{seq}项"),
                        forwarded_to,
                        measure_id: None,
                        open_measure: false,
                    }
                })
                .collect();
            city.clock.advance(chrono::Duration::seconds(1));
            city.app.feed_back_co_items(&admin, &entries).await.unwrap();
        }
        // Corrections: a later feedback of the first 50 items wins wherever it lands.
        city.clock.advance(chrono::Duration::minutes(5));
        let corrections: Vec<FeedbackInput> = ids[..50]
            .iter()
            .map(|(id, seq)| FeedbackInput {
                item_id: *id,
                outcome: "controlled".into(),
                note: format!("复核：第{seq}项已落地管控"),
                forwarded_to: None,
                measure_id: None,
                open_measure: false,
            })
            .collect();
        city.app
            .feed_back_co_items(&admin, &corrections)
            .await
            .unwrap();

        for (who, app) in [("city", &city), ("province", &province)] {
            wait_until(
                &format!("the {who} outbox to drain"),
                Duration::from_secs(90),
                || {
                    let app = app.app.clone();
                    async move { app.outbox_counts().await.unwrap().pending == 0 }
                },
            )
            .await;
        }
        // Both sides agree exactly, item by item.
        let at_city = city.app.co_task_digest(&admin, &uid).await.unwrap();
        let at_province = province.app.co_task_digest(&admin, &uid).await.unwrap();
        assert_eq!(at_city.len(), 10_000);
        assert_eq!(at_city, at_province);
        assert!(at_province.iter().all(|i| i.1 == "done"));
        assert_eq!(at_province[0].3, "复核：第1项已落地管控");
        assert_eq!(at_province[59].2.as_deref(), Some("controlled"));
        assert_eq!(at_province[62].4.as_deref(), Some("4201"));
        // Exactly one effect per message: the city sent 21 feedback messages and applied one
        // push; the province applied 21; nothing failed; duplicates were answered, not applied.
        let city_out = city.app.outbox_counts().await.unwrap();
        let province_out = province.app.outbox_counts().await.unwrap();
        assert_eq!((city_out.delivered, city_out.failed), (21, 0));
        assert_eq!((province_out.delivered, province_out.failed), (1, 0));
        let (province_inbox, _) = province.store.federation().inbox_counts().await.unwrap();
        let (city_inbox, _) = city.store.federation().inbox_counts().await.unwrap();
        assert_eq!((province_inbox, city_inbox), (21, 1));
        let stats = province
            .app
            .co_investigation_stats(&admin, None)
            .await
            .unwrap();
        assert_eq!(stats.by_county.len(), 1);
        let r = &stats.by_county[0];
        assert_eq!((r.key.as_str(), r.total, r.done), ("4117", 10_000, 10_000));
        assert_eq!(r.outcomes, [2_040, 1_990, 1_990, 1_990, 1_990]);
        // The faults did happen.
        for (name, p) in [("down", &down), ("up", &up)] {
            let c = &p.counts;
            eprintln!(
                "{} {name}: forwarded {} dropped requests {} dropped answers {} duplicated {} replayed {}",
                backend.as_str(),
                c.forwarded.load(Ordering::Relaxed),
                c.dropped_requests.load(Ordering::Relaxed),
                c.dropped_answers.load(Ordering::Relaxed),
                c.duplicated.load(Ordering::Relaxed),
                c.replayed.load(Ordering::Relaxed)
            );
        }
        let c = &up.counts;
        let lost =
            c.dropped_requests.load(Ordering::Relaxed) + c.dropped_answers.load(Ordering::Relaxed);
        let extra = c.duplicated.load(Ordering::Relaxed) + c.replayed.load(Ordering::Relaxed);
        assert!(lost > 0 && extra > 0, "no faults injected upward");
        eprintln!(
            "{}: federation round trip of 10 000 items in {:.1} s",
            backend.as_str(),
            started.elapsed().as_secs_f64()
        );
        city.verify().await;
        province.verify().await;
    }
}

fn envelope(sender: &str, recipient: &str, kind: &str, payload: serde_json::Value) -> Envelope {
    Envelope {
        id: format!("m-{}", uuid_like(&payload)),
        sender: sender.into(),
        recipient: recipient.into(),
        kind: kind.into(),
        created_at: 1_764_468_000_000,
        payload: payload.to_string(),
        signature: String::new(),
    }
}

fn uuid_like(v: &serde_json::Value) -> String {
    use std::hash::{Hash as _, Hasher as _};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    v.to_string().hash(&mut h);
    format!("{:016x}", h.finish())
}

fn wire(e: &Envelope) -> FederationMessage {
    FederationMessage {
        id: e.id.clone(),
        sender: e.sender.clone(),
        recipient: e.recipient.clone(),
        kind: e.kind.clone(),
        created_at: e.created_at,
        payload: e.payload.clone(),
        signature: e.signature.clone(),
    }
}

#[tokio::test]
async fn bad_messages_are_refused_logged_and_change_nothing() {
    for backend in backends() {
        let city = TestApp::spawn_federated(backend, "4117", delivery()).await;
        let province = Identity::generate(JurisdictionCode::parse("41").unwrap());
        let stranger = Identity::generate(JurisdictionCode::parse("41").unwrap());
        let admin = Actor::system("federation-test");
        city.app
            .add_peer(&admin, "41", "http://127.0.0.1:9", &province.public_key())
            .await
            .unwrap();
        let push = |target: &str, uid: &str| {
            serde_json::json!({
                "uid": uid, "origin_code": "41", "target_code": target, "title": "协查",
                "reason": "风险场所", "source": "省指挥部", "deadline_at": 1_764_554_400_000_i64,
                "items": [[1, "person_id", id("411702", "1980-01-01", 1), "", ""]],
            })
        };
        let mut good = envelope("41", "4117", "task_push", push("4117", "41-a"));
        province.sign_envelope(&mut good);
        let unsigned = envelope("41", "4117", "task_push", push("4117", "41-b"));
        let mut forged = envelope("41", "4117", "task_push", push("4117", "41-c"));
        stranger.sign_envelope(&mut forged);
        let mut tampered = good.clone();
        tampered.id = "m-tampered".into();
        tampered.payload = push("4117", "41-d").to_string();
        let mut unknown = envelope("42", "4117", "task_push", push("4117", "42-a"));
        stranger.sign_envelope(&mut unknown);
        let mut outside = envelope("41", "4117", "task_push", push("4118", "41-e"));
        province.sign_envelope(&mut outside);
        let mut misaddressed = envelope("41", "4118", "task_push", push("4117", "41-f"));
        province.sign_envelope(&mut misaddressed);
        let batch = FederationBatch {
            messages: [
                &good,
                &unsigned,
                &forged,
                &tampered,
                &unknown,
                &outside,
                &misaddressed,
                &good,
            ]
            .into_iter()
            .map(wire)
            .collect(),
        };
        // No token: the route is authenticated by the signatures alone.
        let anonymous = city.client.with_token(None);
        let receipts = anonymous.send_federation(&batch).await.unwrap().receipts;
        let got: Vec<(&str, Option<&str>)> = receipts
            .iter()
            .map(|r| (r.status.as_str(), r.reason.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("applied", None),
                ("refused", Some("unsigned message")),
                ("refused", Some("wrong signature")),
                ("refused", Some("wrong signature")),
                ("refused", Some("unknown peer")),
                (
                    "refused",
                    Some("items for jurisdiction 4118, outside this instance (4117)")
                ),
                ("refused", Some("addressed to 4118, not to this instance")),
                ("duplicate", None),
            ]
        );
        // A replay later is a duplicate too.
        let again = anonymous
            .send_federation(&FederationBatch {
                messages: vec![wire(&good)],
            })
            .await
            .unwrap();
        assert_eq!(again.receipts[0].status, "duplicate");
        // Only the good message had an effect; every refusal and replay was logged.
        let tasks = city.app.co_tasks(&admin).await.unwrap();
        assert_eq!(tasks.len(), 1);
        assert_eq!(tasks[0].task.uid, "41-a");
        let (inbox, refusals) = city.store.federation().inbox_counts().await.unwrap();
        assert_eq!((inbox, refusals), (1, 8));
        let logged = city.app.federation_refusals(&admin, 100).await.unwrap();
        assert!(logged
            .iter()
            .any(|r| r.sender_code == "42" && r.reason == "unknown peer"));
        city.verify().await;
    }
}
