//! The clearing centre (hub) of the jinka network: the registry of participants, terminals
//! and cards, the issuer master keys sealed under a key-encryption key, offline batch ingest,
//! online load authorization, clearing and settlement, the storage, and the HTTP API
//! (`../shared/spec/hub.md`).
//!
//! - [`HubConfig`] says where the data directory is, where to listen, the KEK and the
//!   [`Limits`], and which database: the data directory's SQLite file, or PostgreSQL by URL.
//!   [`bind`] opens the data (creating it, the database and, on the first start, the `kek`
//!   file) and the socket; [`BoundHub::run`] serves; [`serve`] does both.
//! - [`Admin`] runs the operator's commands on a data directory without a server.
//! - Domain types are checked by their constructors: [`ParticipantId`], [`Role`] /
//!   [`Roles`], [`Region`], [`FeeSchedule`], [`Amount`] (fen), [`TerminalId`], [`Asn`],
//!   [`IssuerId`], [`CardStatus`]; API keys are [`ApiKey`]s (shown once, stored hashed).
//! - Time comes from a [`Clock`] ([`SystemClock`], or [`FixedClock`] in tests).
//! - One error type, [`HubError`], whose [`ErrorKind`] tells the caller what to do.
//!
//! Storage sits behind a crate-internal `Store` trait, one transaction per method, with two
//! engines, each with its own migrations (`migrations/sqlite`, `migrations/postgres`) and the
//! same behaviour (the integration suite runs on both): SQLite through `rusqlite` in the data
//! directory (the default), or PostgreSQL by URL (`HubConfig::database_url`, `postgres://` or
//! `postgresql://`) through the synchronous `postgres` crate, at most
//! [`POSTGRES_POOL_CONNECTIONS_MAX`] connections a process. On PostgreSQL hub processes are
//! stateless: several serve over one database, every write transaction takes one advisory lock
//! first, so two hubs never both accept a record (the unique (ASN, counter kind, ATC) key is the
//! last line of defence); the KEK still comes from each hub's data directory or `--kek-file`.
//! The keys sit behind a `KeyVault` trait an HSM could implement. Wire types stop in the `api`
//! module; authorization rules are pure (`access`).
//!
//! Clearing (the crate-internal `clearing` module) runs the pure cores inside one database
//! transaction per operation, through the engine-neutral `ClearingStorage` operations: a
//! batch upload (`POST /v1/batches`, JSON, or `/v1/batches/bulk`, 51-byte binary records) is
//! decided by `jinka_clearing::decide_batch` and applied whole (decisions, accepted records
//! under their unique (ASN, counter kind, ATC) key, cards' shadow balances and counters, load
//! transitions, `jinka-ledger` postings with the participants' fees) or not at all; a load
//! is authorized (`POST /v1/loads/authorize`: `jinka_clearing::authorize_load`, limits
//! [`LOAD_AMOUNT_MAX_FEN`], [`CARD_BALANCE_MAX_FEN`], [`DAILY_LOAD_MAX_FEN`]) and confirmed
//! by its TAC (`POST /v1/loads/{load_id}/confirm`); pending loads past
//! [`LOAD_CONFIRMATION_DEADLINE_MS`] are resolved by [`Admin::resolve_unconfirmed_loads`];
//! the open settlement window is kept as per-line sums and closed by the operator
//! (`POST /v1/windows/close`, `GET /v1/windows/{id}/report`, JSON or CSV). The issuer keys
//! the decisions verify with are unsealed into a `jinka_clearing::MemoryKeyStore` at start
//! and again after each upload through the API.
//!
//! Risk control (the crate-internal `risk` module, over `jinka-risk`): the rules run inside
//! batch ingest, their decisions stored and carried out (flag, hotlist the card, suspend the
//! terminal) in the batch's transaction; the versioned blacklist is a change log in the
//! database that every hub process folds into its in-memory list before answering
//! (`GET /v1/blacklist`, `/v1/risk/...`, [`admin_risk`]).
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use jinka_hub::{Admin, HubConfig, NewParticipant, Region, Role, Roles};
//!
//! let data = tempfile::tempdir()?;
//! let config = HubConfig::new(data.path().join("hub"), "127.0.0.1:0".parse()?);
//! let admin = Admin::open(&config)?; // first use: creates the database and the KEK file
//! let operator = admin.add_participant(NewParticipant::new(
//!     "Network operator",
//!     Roles::new([Role::Operator])?,
//!     Region::new(310_000),
//! )?)?;
//! let issued = admin.create_credential(operator.id, "console")?;
//! assert!(issued.api_key.expose().starts_with("jinka_"));
//!
//! // Serving: port 0 picks a free port.
//! let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! runtime.block_on(async {
//!     let hub = jinka_hub::bind(config).await?;
//!     assert_ne!(hub.local_addr().port(), 0);
//!     hub.run(async {}).await // an empty shutdown future: stops at once
//! })?;
//! # Ok(())
//! # }
//! ```

mod access;
mod admin;
pub mod admin_clearing;
mod admin_lifecycle;
pub mod admin_risk;
mod amount;
mod api;
mod byte_id;
mod card;
mod card_application;
mod card_operation;
mod clearing;
mod clock;
mod config;
mod credential;
mod entropy;
mod error;
mod fee;
mod hub;
mod kek;
mod participant;
mod postgres;
mod region;
mod registry;
mod replacement_credit;
mod resolver;
mod risk;
mod role;
mod sealed_vault;
mod server;
mod sqlite;
mod store;
mod terminal;
mod token_bucket;
mod trace_store;
mod vault;

pub mod wire;

pub use crate::postgres::{
    POSTGRES_CONNECT_TIMEOUT_MS, POSTGRES_LOCK_TIMEOUT_MS, POSTGRES_MIGRATION_LOCK_TIMEOUT_MS,
    POSTGRES_POOL_CONNECTIONS_MAX, POSTGRES_POOL_WAIT_MS,
};
pub use admin::{Admin, CARDS_PER_REGISTRATION_MAX, TERMINALS_PER_REGISTRATION_MAX};
pub use amount::Amount;
pub use byte_id::{Asn, IssuerId, TerminalId};
pub use card::{CARD_APPLICATIONS_MAX, Card, CardStatus, NewCard, parse_aid};
pub use card_application::{MANAGEMENT_COUNTER_FLOOR, SCRIPT_COMMANDS_MAX};
pub use card_operation::{
    CARD_FREEZE_PERIOD_MS, COMPLETE_OPERATIONS_MAX, CardOperation, CardRequest, OperationKind,
    OperationState,
};
pub use clearing::{
    BATCH_ID_BYTES_MAX, LOAD_GROUP_MAX, LOAD_QUEUE_MAX, RESOLVE_LOADS_MAX, ResolvedLoads,
    UPLOAD_GROUP_MAX, UPLOAD_GROUP_RECORDS_MAX, UPLOAD_QUEUE_MAX,
};
pub use clock::{Clock, EpochMs, FixedClock, SystemClock};
pub use config::{
    BATCH_JSON_BODY_BYTES_MAX, BULK_BATCH_BODY_BYTES_MAX, CARD_BALANCE_MAX_FEN, DAILY_LOAD_MAX_FEN,
    HubConfig, LIST_ITEMS_DEFAULT, LIST_ITEMS_MAX, LOAD_AMOUNT_MAX_FEN,
    LOAD_CONFIRMATION_DEADLINE_MS, Limits, RATE_BURST_REQUESTS, RATE_REQUESTS_PER_SECOND,
    REQUEST_BODY_BYTES_MAX, RESOLVER_INTERVAL_MS,
};
pub use credential::{
    API_KEY_ID_BYTES, API_KEY_SECRET_BYTES, ApiKey, CREDENTIAL_LABEL_CHARS_MAX, Credential,
    CredentialId, IssuedCredential, KeyId,
};
pub use error::{ErrorKind, HubError};
pub use fee::{BASIS_POINTS_MAX, FeeRate, FeeSchedule};
pub use kek::{KEK_FILE_NAME, parse_kek, read_kek_file};
pub use participant::{
    NewParticipant, PARTICIPANT_NAME_CHARS_MAX, Participant, ParticipantId,
    SETTLEMENT_ACCOUNT_CHARS_MAX,
};
pub use region::Region;
pub use role::{Role, Roles};
pub use server::{BoundHub, bind, bind_with_clock, serve};
pub use sqlite::{
    BUSY_TIMEOUT_MS, CACHE_KIB, DATABASE_FILE_NAME, WAL_CHECKPOINT_PAGES, fold_card_log,
};
pub use terminal::{NewTerminal, Terminal};
pub use vault::{IssuerKeySet, KEPT_KEY_KINDS};
