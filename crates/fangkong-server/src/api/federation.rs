//! `POST /api/v1/federation/messages`: messages from federated instances. Authenticated by
//! the Ed25519 signature of each message against the configured peer's key, not by a session
//! or token; each message is answered on its own (applied, duplicate, refused).

use axum::extract::State;
use axum::Json;
use fangkong_api_types::{FederationBatch, FederationReceipt, FederationReceipts, Problem};
use fangkong_app::federation::{Envelope, Receipt};

use crate::error::ApiResult;
use crate::AppState;

/// Receive a batch of signed messages from a peer. Unsigned or wrongly signed messages,
/// unknown senders, replays and items outside this instance are refused and logged, and
/// change nothing.
#[utoipa::path(post, path = "/api/v1/federation/messages", tag = "federation", request_body = FederationBatch,
    security(()),
    responses((status = 200, body = FederationReceipts), (status = 422, body = Problem)))]
pub async fn receive(
    State(state): State<AppState>,
    Json(b): Json<FederationBatch>,
) -> ApiResult<Json<FederationReceipts>> {
    if b.messages.len() > 1000 {
        return Err(
            fangkong_app::Error::invalid("messages", "at most 1000 messages a batch").into(),
        );
    }
    let envelopes: Vec<Envelope> = b
        .messages
        .into_iter()
        .map(|m| Envelope {
            id: m.id,
            sender: m.sender,
            recipient: m.recipient,
            kind: m.kind,
            created_at: m.created_at,
            payload: m.payload,
            signature: m.signature,
        })
        .collect();
    let receipts = state.app.receive_federation(&envelopes).await?;
    Ok(Json(FederationReceipts {
        receipts: envelopes
            .iter()
            .zip(receipts)
            .map(|(e, r)| FederationReceipt {
                id: e.id.clone(),
                status: r.status().to_string(),
                reason: match r {
                    Receipt::Refused(reason) => Some(reason),
                    _ => None,
                },
            })
            .collect(),
    }))
}
