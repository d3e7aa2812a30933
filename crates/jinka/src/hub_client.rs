//! The terminal's side of the clearing centre's HTTP API: batch upload and online load
//! authorization (`/v1/batches`, `/v1/loads/authorize`, `/v1/loads/{id}/confirm`, and a
//! replacement's credit, `/v1/card-operations/{id}/credit`).

use std::time::Duration;

use jinka_hub::wire::{LoadAuthorizeBody, LoadAuthorized, LoadConfirmBody};
use jinka_record::TransactionRecord;
use jinka_terminal::{AuthorizeError, LoadAuthorizer, LoadRequest};
use serde::{Deserialize, Serialize};

/// How long one request may take.
const REQUEST_TIMEOUT_MS: u64 = 10_000;

/// A client of one hub with one participant credential.
pub struct HubClient {
    base: String,
    api_key: String,
    agent: ureq::Agent,
}

/// The hub's answer to a batch.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct BatchAnswer {
    pub batch_id: String,
    pub accepted: u64,
    pub rejected: u64,
    #[serde(default)]
    pub decisions: Vec<serde_json::Value>,
}

#[derive(Serialize)]
struct BatchUpload<'a> {
    batch_id: &'a str,
    records: &'a [TransactionRecord],
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error: String,
    reason: String,
}

impl HubClient {
    pub fn new(base: &str, api_key: &str) -> HubClient {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_millis(REQUEST_TIMEOUT_MS)))
            .http_status_as_error(false)
            .build();
        HubClient {
            base: base.trim_end_matches('/').to_owned(),
            api_key: api_key.to_owned(),
            agent: config.into(),
        }
    }

    fn post<B: Serialize, A: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<A, HubError> {
        let url = format!("{}{path}", self.base);
        let mut response = self
            .agent
            .post(&url)
            .header("Authorization", &format!("Bearer {}", self.api_key))
            .send_json(body)
            .map_err(|e| HubError::Unreachable(format!("{url}: {e}")))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| HubError::Unreachable(format!("{url}: {e}")))?;
        if (200..300).contains(&status) {
            return serde_json::from_str(&text)
                .map_err(|e| HubError::Garbled(format!("{url}: {e}")));
        }
        match serde_json::from_str::<ErrorAnswer>(&text) {
            Ok(error) if status < 500 => Err(HubError::Refused {
                status,
                error: error.error,
                reason: error.reason,
            }),
            _ => Err(HubError::Unreachable(format!("{url}: HTTP {status}"))),
        }
    }

    /// Uploads one batch; the hub answers a re-upload of the same batch id with its first answer.
    pub fn upload(
        &self,
        batch_id: &str,
        records: &[TransactionRecord],
    ) -> Result<BatchAnswer, HubError> {
        self.post("/v1/batches", &BatchUpload { batch_id, records })
    }
}

/// What `jinka sim --hub URL` needs besides the terminal's calls: JSON calls of the
/// registry, window and load routes, and the bulk upload, whose answer text is kept as the
/// hub sent it (the simulation compares re-upload answers byte for byte).
impl HubClient {
    /// POSTs `body` (JSON) to `path` and reads the JSON answer.
    pub fn post_value(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, HubError> {
        self.post(path, body)
    }

    /// POSTs a JSON text as it is (an issuer key file) to `path`.
    pub fn post_text(&self, path: &str, text: &str) -> Result<serde_json::Value, HubError> {
        let answer = self.send_raw(path, "application/json", text.as_bytes())?;
        let url = format!("{}{path}", self.base);
        serde_json::from_str(&answer).map_err(|e| HubError::Garbled(format!("{url}: {e}")))
    }

    /// Uploads one batch in the bulk form (`POST /v1/batches/bulk`): the answer's text.
    pub fn upload_bulk(&self, body: &[u8]) -> Result<String, HubError> {
        self.send_raw("/v1/batches/bulk", "application/octet-stream", body)
    }

    /// Asks for a load's MAC2 (`POST /v1/loads/authorize`).
    pub fn authorize_load(&self, body: &LoadAuthorizeBody) -> Result<LoadAuthorized, HubError> {
        self.post("/v1/loads/authorize", body)
    }

    fn send_raw(&self, path: &str, content_type: &str, body: &[u8]) -> Result<String, HubError> {
        let url = format!("{}{path}", self.base);
        let mut response = self
            .agent
            .post(&url)
            .header("Authorization", &format!("Bearer {}", self.api_key))
            .header("Content-Type", content_type)
            .send(body)
            .map_err(|e| HubError::Unreachable(format!("{url}: {e}")))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| HubError::Unreachable(format!("{url}: {e}")))?;
        if (200..300).contains(&status) {
            return Ok(text);
        }
        match serde_json::from_str::<ErrorAnswer>(&text) {
            Ok(error) if status < 500 => Err(HubError::Refused {
                status,
                error: error.error,
                reason: error.reason,
            }),
            _ => Err(HubError::Unreachable(format!("{url}: HTTP {status}"))),
        }
    }

    /// GETs `path` and reads the JSON answer (a card operation's script).
    pub fn get_value(&self, path: &str) -> Result<serde_json::Value, HubError> {
        let url = format!("{}{path}", self.base);
        let mut response = self
            .agent
            .get(&url)
            .header("Authorization", &format!("Bearer {}", self.api_key))
            .call()
            .map_err(|e| HubError::Unreachable(format!("{url}: {e}")))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| HubError::Unreachable(format!("{url}: {e}")))?;
        match serde_json::from_str::<ErrorAnswer>(&text) {
            Ok(error) if (400..500).contains(&status) => Err(HubError::Refused {
                status,
                error: error.error,
                reason: error.reason,
            }),
            _ if (200..300).contains(&status) => {
                serde_json::from_str(&text).map_err(|e| HubError::Garbled(format!("{url}: {e}")))
            }
            _ => Err(HubError::Unreachable(format!("{url}: HTTP {status}"))),
        }
    }
}

/// Why the hub did not answer as hoped.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// No answer (network, timeout, 5xx): try again later; nothing is lost.
    #[error("hub unreachable: {0}")]
    Unreachable(String),
    /// A 4xx with the hub's reason.
    #[error("hub refused ({status} {error}): {reason}")]
    Refused {
        status: u16,
        error: String,
        reason: String,
    },
    /// An answer that is not what the API promises.
    #[error("hub answer not understood: {0}")]
    Garbled(String),
}

/// Load authorization by the hub: MAC2 from `/v1/loads/authorize`, the TAC confirmed to
/// `/v1/loads/{id}/confirm`. The request id is derived from the card and its online counter,
/// so a retried request is the same request to the hub.
pub struct HubAuthorizer<'a> {
    pub client: &'a HubClient,
    load_id: Option<String>,
    /// Where the MAC2 is asked for: `/v1/loads/authorize`, or a replacement's credit route.
    authorize_path: String,
}

impl<'a> HubAuthorizer<'a> {
    pub fn new(client: &'a HubClient) -> HubAuthorizer<'a> {
        HubAuthorizer {
            client,
            load_id: None,
            authorize_path: "/v1/loads/authorize".to_owned(),
        }
    }

    /// The replacement credit of card operation `operation`: the MAC2 from
    /// `/v1/card-operations/{operation}/credit` (a load that collects no cash, of exactly the
    /// balance the replacement moved, on its new card), confirmed like any load.
    pub fn replacement_credit(client: &'a HubClient, operation: u64) -> HubAuthorizer<'a> {
        HubAuthorizer {
            authorize_path: format!("/v1/card-operations/{operation}/credit"),
            ..HubAuthorizer::new(client)
        }
    }
}

impl LoadAuthorizer for HubAuthorizer<'_> {
    fn authorize(&mut self, request: &LoadRequest) -> Result<[u8; 4], AuthorizeError> {
        let body = LoadAuthorizeBody {
            request_id: format!(
                "{}-{}-{}",
                hex::encode_upper(request.asn),
                request.online_atc,
                hex::encode_upper(request.card_random)
            ),
            issuer_id: hex::encode_upper(request.issuer_id),
            asn: hex::encode_upper(request.asn),
            key_version: request.key_version,
            algorithm_id: request.algorithm_id,
            balance_fen: request.balance_fen,
            online_atc: request.online_atc,
            card_random: hex::encode_upper(request.card_random),
            mac1: hex::encode_upper(request.mac1),
            amount_fen: request.amount_fen,
            terminal_id: hex::encode_upper(request.terminal_id),
            date: hex::encode(request.date.bcd()),
            time: hex::encode(request.time.bcd()),
        };
        let answer: LoadAuthorized =
            self.client
                .post(&self.authorize_path, &body)
                .map_err(|e| match e {
                    HubError::Refused { error, .. } if error == "mac1_invalid" => {
                        AuthorizeError::Mac1Invalid
                    }
                    HubError::Refused { reason, .. } => AuthorizeError::Refused(reason),
                    other => AuthorizeError::Unavailable(other.to_string()),
                })?;
        let mac2 = hex::decode(&answer.mac2)
            .ok()
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .ok_or_else(|| AuthorizeError::Unavailable("hub answered a malformed MAC2".into()))?;
        self.load_id = Some(answer.load_id);
        Ok(mac2)
    }

    fn confirm(&mut self, _request: &LoadRequest, tac: [u8; 4]) -> Result<(), AuthorizeError> {
        let Some(load_id) = self.load_id.take() else {
            return Ok(());
        };
        let body = LoadConfirmBody {
            tac: hex::encode_upper(tac),
        };
        self.client
            .post::<_, serde_json::Value>(&format!("/v1/loads/{load_id}/confirm"), &body)
            .map(|_| ())
            .map_err(|e| AuthorizeError::Unavailable(e.to_string()))
    }
}

/// What `jinka tag ingest --hub URL` needs: the EPCIS capture route.
impl HubClient {
    /// Captures an EPCIS document (`POST /v1/trace/capture`): the hub's answer (its capture
    /// id and each event's id and outcome).
    pub fn capture(&self, document: &serde_json::Value) -> Result<serde_json::Value, HubError> {
        self.post("/v1/trace/capture", document)
    }
}
