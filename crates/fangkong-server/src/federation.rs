//! The delivery worker of the federation outbox: signs pending messages (through the app) and
//! posts them to each peer's `/api/v1/federation/messages` in batches, a few batches at a
//! time, with exponential backoff while a peer fails. A message counts as delivered when the
//! peer answers `applied` or `duplicate`; `refused` marks it failed for good (the peer logged
//! why); anything else (a dropped connection, a timeout, a 5xx) leaves it pending, and the
//! receiver's deduplication by message id makes the retry harmless.

use std::time::Duration;

use fangkong_api_types::{FederationBatch, FederationMessage, FederationReceipts};
use fangkong_app::federation::Envelope;
use fangkong_app::App;
use rand::Rng as _;

/// How the worker paces itself.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// Messages per request.
    pub batch: usize,
    /// Requests in flight at once (per round).
    pub concurrency: usize,
    /// First delay after a failed round; doubled after each further failure.
    pub min_backoff: Duration,
    /// Longest delay between rounds while a peer fails.
    pub max_backoff: Duration,
    /// How long to wait for an answer.
    pub request_timeout: Duration,
    /// How often to look at the outbox when nothing woke the worker.
    pub poll: Duration,
}

impl Default for DeliveryConfig {
    fn default() -> DeliveryConfig {
        DeliveryConfig {
            batch: 20,
            concurrency: 4,
            min_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(300),
            request_timeout: Duration::from_secs(30),
            poll: Duration::from_secs(10),
        }
    }
}

fn to_wire(e: Envelope) -> FederationMessage {
    FederationMessage {
        id: e.id,
        sender: e.sender,
        recipient: e.recipient,
        kind: e.kind,
        created_at: e.created_at,
        payload: e.payload,
        signature: e.signature,
    }
}

/// What one request achieved: (delivered ids, refused (id, reason), retry (id, error)).
type Outcome = (Vec<i64>, Vec<(i64, String)>, Vec<(i64, String)>);

async fn post(http: reqwest::Client, url: String, chunk: Vec<(i64, Envelope)>) -> Outcome {
    let ids: Vec<(i64, String)> = chunk.iter().map(|(id, e)| (*id, e.id.clone())).collect();
    let body = FederationBatch {
        messages: chunk.into_iter().map(|(_, e)| to_wire(e)).collect(),
    };
    let retry_all = |error: String| {
        (
            Vec::new(),
            Vec::new(),
            ids.iter().map(|(id, _)| (*id, error.clone())).collect(),
        )
    };
    let response = match http.post(&url).json(&body).send().await {
        Ok(r) => r,
        Err(e) => return retry_all(format!("transport: {e}")),
    };
    if !response.status().is_success() {
        return retry_all(format!("status {}", response.status()));
    }
    let receipts: FederationReceipts = match response.json().await {
        Ok(r) => r,
        Err(e) => return retry_all(format!("answer: {e}")),
    };
    let mut out: Outcome = (Vec::new(), Vec::new(), Vec::new());
    for (id, message_id) in &ids {
        match receipts.receipts.iter().find(|r| &r.id == message_id) {
            Some(r) if r.status == "applied" || r.status == "duplicate" => out.0.push(*id),
            Some(r) if r.status == "refused" => {
                out.1.push((*id, r.reason.clone().unwrap_or_default()))
            }
            _ => out.2.push((*id, "no receipt".to_string())),
        }
    }
    out
}

/// One round: every pending message (up to `batch × concurrency`) offered once. Returns
/// whether anything was pending and whether something failed.
async fn round(
    app: &App,
    http: &reqwest::Client,
    config: &DeliveryConfig,
) -> fangkong_app::Result<(bool, bool)> {
    let limit = i64::try_from(config.batch * config.concurrency).unwrap_or(i64::MAX);
    let batches = app.outbox_batch(limit).await?;
    if batches.is_empty() {
        return Ok((false, false));
    }
    let mut set = tokio::task::JoinSet::new();
    for b in batches {
        let url = format!("{}/api/v1/federation/messages", b.peer.url);
        let mut messages = b.messages;
        while !messages.is_empty() {
            let rest = messages.split_off(messages.len().min(config.batch.max(1)));
            set.spawn(post(http.clone(), url.clone(), messages));
            messages = rest;
        }
    }
    let (mut delivered, mut refused, mut retry) = (Vec::new(), Vec::new(), Vec::new());
    while let Some(done) = set.join_next().await {
        if let Ok((d, f, r)) = done {
            delivered.extend(d);
            refused.extend(f);
            retry.extend(r);
        }
    }
    let failed = !retry.is_empty();
    app.record_delivery(&delivered, &refused, &retry).await?;
    Ok((true, failed))
}

/// Starts the delivery worker; it runs until the task is aborted. Outbox depth is exported
/// as the gauge `fangkong_federation_outbox_depth`.
pub fn spawn_delivery(app: App, config: DeliveryConfig) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let http = match reqwest::Client::builder()
            .timeout(config.request_timeout)
            .build()
        {
            Ok(h) => h,
            Err(e) => {
                tracing::error!(error = %e, "federation delivery cannot start");
                return;
            }
        };
        let signal = app.outbox_signal();
        let mut failures: u32 = 0;
        loop {
            let result = round(&app, &http, &config).await;
            if let Ok(counts) = app.outbox_counts().await {
                #[allow(clippy::cast_precision_loss)]
                metrics::gauge!("fangkong_federation_outbox_depth").set(counts.pending as f64);
            }
            match result {
                Ok((true, false)) => {
                    failures = 0;
                    continue;
                }
                Ok((false, _)) => {
                    failures = 0;
                    tokio::select! {
                        () = signal.notified() => {}
                        () = tokio::time::sleep(config.poll) => {}
                    }
                    continue;
                }
                Ok((true, true)) => {}
                Err(e) => tracing::warn!(error = %e, "federation delivery round failed"),
            }
            failures = failures.saturating_add(1);
            let exp = config
                .min_backoff
                .saturating_mul(2u32.saturating_pow(failures.saturating_sub(1).min(20)))
                .min(config.max_backoff);
            // Full jitter keeps instances that failed together from retrying together.
            let wait = exp.mul_f64(rand::thread_rng().gen_range(0.5..=1.0));
            tokio::time::sleep(wait).await;
        }
    })
}
