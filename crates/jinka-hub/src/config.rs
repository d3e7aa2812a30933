//! How a hub is started: where its data is, where it listens, its KEK and its limits.

use std::net::SocketAddr;
use std::path::PathBuf;

use jinka_crypto::Key16;

/// Largest request body the registry routes accept, in bytes (413 above it).
pub const REQUEST_BODY_BYTES_MAX: usize = 64 * 1024;
/// Requests a credential may make at once before its bucket is empty (429 then).
pub const RATE_BURST_REQUESTS: u32 = 1_000;
/// Requests a second a credential's bucket refills by: above the load-authorization target of
/// 10 000 a second, so it stops a runaway client, not a busy one.
pub const RATE_REQUESTS_PER_SECOND: u32 = 20_000;
/// Most items one page of a listing holds.
pub const LIST_ITEMS_MAX: u32 = 1_000;
/// Items a page of a listing holds when the request does not say.
pub const LIST_ITEMS_DEFAULT: u32 = 100;
/// Largest body of a JSON batch upload (`POST /v1/batches`), in bytes: about 60 000 records
/// of some 270 bytes of JSON each. Larger batches take the bulk path.
pub const BATCH_JSON_BODY_BYTES_MAX: usize = 16 * 1024 * 1024;
/// Largest body of a bulk batch upload (`POST /v1/batches/bulk`), in bytes: the batch id's
/// length byte, the longest batch id, and a full batch of 51-byte records.
pub const BULK_BATCH_BODY_BYTES_MAX: usize = 1
    + crate::clearing::BATCH_ID_BYTES_MAX
    + jinka_clearing::BATCH_RECORDS_MAX * jinka_record::RECORD_BYTES;
/// Largest single online load, in fen (1 000 yuan).
pub const LOAD_AMOUNT_MAX_FEN: u32 = 100_000;
/// Largest balance a load may leave on a card, in fen (1 000 yuan, the usual e-purse cap).
pub const CARD_BALANCE_MAX_FEN: u32 = 100_000;
/// Most that may be loaded on one card in one day (the terminal's date), in fen.
pub const DAILY_LOAD_MAX_FEN: u64 = 200_000;
/// How long a load may stay pending before the resolver voids it when the card's counter
/// chain shows nothing (`Admin::resolve_unconfirmed_loads`): 24 hours.
pub const LOAD_CONFIRMATION_DEADLINE_MS: i64 = 24 * 60 * 60 * 1000;
/// How often a serving hub resolves overdue loads: every minute.
pub const RESOLVER_INTERVAL_MS: u64 = 60 * 1000;

/// The limits the HTTP API enforces; [`Limits::default`] has the named constants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// See [`REQUEST_BODY_BYTES_MAX`].
    pub request_body_bytes_max: usize,
    /// See [`RATE_BURST_REQUESTS`].
    pub rate_burst_requests: u32,
    /// See [`RATE_REQUESTS_PER_SECOND`].
    pub rate_requests_per_second: u32,
    /// See [`LIST_ITEMS_MAX`].
    pub list_items_max: u32,
    /// See [`BATCH_JSON_BODY_BYTES_MAX`].
    pub batch_json_body_bytes_max: usize,
    /// See [`BULK_BATCH_BODY_BYTES_MAX`].
    pub bulk_batch_body_bytes_max: usize,
    /// See [`LOAD_AMOUNT_MAX_FEN`].
    pub load_amount_max_fen: u32,
    /// See [`CARD_BALANCE_MAX_FEN`].
    pub card_balance_max_fen: u32,
    /// See [`DAILY_LOAD_MAX_FEN`].
    pub daily_load_max_fen: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            request_body_bytes_max: REQUEST_BODY_BYTES_MAX,
            rate_burst_requests: RATE_BURST_REQUESTS,
            rate_requests_per_second: RATE_REQUESTS_PER_SECOND,
            list_items_max: LIST_ITEMS_MAX,
            batch_json_body_bytes_max: BATCH_JSON_BODY_BYTES_MAX,
            bulk_batch_body_bytes_max: BULK_BATCH_BODY_BYTES_MAX,
            load_amount_max_fen: LOAD_AMOUNT_MAX_FEN,
            card_balance_max_fen: CARD_BALANCE_MAX_FEN,
            daily_load_max_fen: DAILY_LOAD_MAX_FEN,
        }
    }
}

/// A hub's configuration. `Debug` masks the KEK.
#[derive(Clone, Debug)]
pub struct HubConfig {
    /// The data directory: the SQLite database (unless `database_url` names another) and, on
    /// the default, the `kek` file.
    pub data_dir: PathBuf,
    /// Where the HTTP API listens (port 0: any free port; see `BoundHub::local_addr`).
    pub listen: SocketAddr,
    /// The key-encryption key (`--kek-file` / `JINKA_KEK`); `None`: the data directory's
    /// `kek` file, created on the first start.
    pub kek: Option<Key16>,
    /// A PostgreSQL database instead of the data directory's SQLite file:
    /// `postgres://user@host:port/database` (or `postgresql://`, with any of the `postgres`
    /// crate's URL parameters; no TLS). Another scheme is a configuration error naming it (never
    /// the rest of the URL, which may hold a password). Hubs over one database share it
    /// safely.
    pub database_url: Option<String>,
    /// The API's limits.
    pub limits: Limits,
    /// How often the serving hub resolves overdue loads ([`RESOLVER_INTERVAL_MS`]).
    pub resolver_interval_ms: u64,
}

impl HubConfig {
    /// A configuration with the embedded database in `data_dir`, the KEK from its `kek` file
    /// and the default limits.
    pub fn new(data_dir: impl Into<PathBuf>, listen: SocketAddr) -> HubConfig {
        HubConfig {
            data_dir: data_dir.into(),
            listen,
            kek: None,
            database_url: None,
            limits: Limits::default(),
            resolver_interval_ms: RESOLVER_INTERVAL_MS,
        }
    }
}
