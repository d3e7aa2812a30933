//! `jinka terminal purchase | load | balance | history | enter | exit` over a card image or a
//! PC/SC reader, with a software SAM and a durable record store.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use jinka_apdu::{Transport, TransportError};
use jinka_card::Card;
use jinka_terminal::{Approved, FareRule, FareTable, LocalAuthorizer, Refusal, Terminal};
use serde::Deserialize;

use crate::BadInput;
use crate::card_command::{load_card, save_card, yuan};
use crate::file_journal::FileJournal;
use crate::hub_client::{HubAuthorizer, HubClient, HubError};
use crate::os_entropy::OsEntropy;
use crate::sam_command::{self, KekArgs};

#[derive(Args)]
pub struct TerminalArgs {
    #[command(subcommand)]
    command: TerminalCommand,
    /// The card: a card image (saved after the transaction).
    #[arg(long, global = true, conflicts_with = "reader")]
    card: Option<PathBuf>,
    /// The card: in this PC/SC reader (needs the `pcsc` build feature).
    #[arg(long, global = true)]
    reader: Option<String>,
    /// The software SAM (from `jinka sam new`).
    #[arg(long, global = true)]
    sam: Option<PathBuf>,
    /// The terminal's record store directory (default: the SAM file's name + `.records`).
    #[arg(long, global = true)]
    store: Option<PathBuf>,
    /// The moment of the transaction, YYYYMMDDHHMMSS (default: now, UTC).
    #[arg(long, global = true)]
    at: Option<String>,
    /// Print the transaction record as JSON.
    #[arg(long, global = true)]
    json: bool,
    /// Hotlisted cards: a file with one ASN (16 hex digits) per line; a listed card is blocked
    /// on the card itself and refused.
    #[arg(long, global = true)]
    blacklist: Option<PathBuf>,
    /// The terminal owner's API key at the clearing centre (or set JINKA_API_KEY).
    #[arg(long, global = true)]
    api_key: Option<String>,
    #[command(flatten)]
    kek: KekArgs,
}

#[derive(Subcommand)]
enum TerminalCommand {
    /// A purchase.
    Purchase(AmountArgs),
    /// A load, authorized by the issuer side.
    Load(LoadArgs),
    /// The e-purse balance.
    Balance,
    /// The e-purse transaction log.
    History,
    /// A transit entry tap.
    Enter(StationArgs),
    /// A transit exit tap: the fare is charged with the exit record.
    Exit(StationArgs),
    /// Seal the stored records into batches and upload them to the clearing centre; a batch
    /// is acknowledged in the store only after the hub answered it, and a retry re-sends the
    /// same batch id.
    Upload(UploadArgs),
    /// Run a card operation's management script from the clearing centre on the card (an
    /// application added or removed after issuance, consented by the card's issuer) and
    /// report the card's answers. Needs no SAM.
    RunScript(RunScriptArgs),
    /// Bring the --blacklist FILE up to date from the clearing centre: the delta since the
    /// file's `# version N` line (or the full list), written back. Needs no SAM or card.
    BlacklistSync(BlacklistSyncArgs),
}

#[derive(Args)]
struct BlacklistSyncArgs {
    /// The clearing centre's URL (the API key from --api-key or JINKA_API_KEY).
    #[arg(long)]
    hub: String,
}

#[derive(Args)]
struct RunScriptArgs {
    /// The clearing centre's URL (the API key from --api-key or JINKA_API_KEY).
    #[arg(long)]
    hub: String,
    /// The card operation's number.
    #[arg(long)]
    operation: String,
}

#[derive(Args)]
struct UploadArgs {
    /// The clearing centre's URL.
    #[arg(long)]
    hub: String,
    /// Most records in one batch.
    #[arg(long, default_value_t = 10_000)]
    batch_records: usize,
}

#[derive(Args)]
struct AmountArgs {
    /// Amount in yuan, at most two decimals (e.g. 12.50).
    #[arg(long)]
    amount: String,
}

#[derive(Args)]
struct LoadArgs {
    /// Amount in yuan, at most two decimals.
    #[arg(long)]
    amount: String,
    /// A stand-alone shop's local authorizer: the issuer key set holding the load master key.
    #[arg(long)]
    authorizer: Option<PathBuf>,
    /// The clearing centre's URL (the API key from --api-key or JINKA_API_KEY).
    #[arg(long, conflicts_with = "authorizer")]
    hub: Option<String>,
    /// Credit a completed card replacement's moved balance to this (new) card instead of a
    /// cash load: the card operation's number; --amount is the balance moved. Needs --hub.
    #[arg(long, requires = "hub")]
    replacement_operation: Option<u64>,
}

#[derive(Args)]
struct StationArgs {
    /// The station number in the fare table.
    #[arg(long)]
    station: u16,
    /// A fare table (JSON); default: the demonstration metro line.
    #[arg(long)]
    fares: Option<PathBuf>,
}

/// A card in an image file or a PC/SC reader.
enum CardSource {
    Image {
        path: PathBuf,
        card: Box<Card<OsEntropy>>,
        saved_steps: u64,
    },
    #[cfg(feature = "pcsc")]
    Reader(jinka_terminal::PcscReader),
}

impl Transport for CardSource {
    fn transmit(&mut self, command: &[u8], response: &mut Vec<u8>) -> Result<(), TransportError> {
        match self {
            CardSource::Image { card, .. } => Transport::transmit(card.as_mut(), command, response),
            #[cfg(feature = "pcsc")]
            CardSource::Reader(reader) => reader.transmit(command, response),
        }
    }
}

impl CardSource {
    fn open(args: &TerminalArgs) -> anyhow::Result<CardSource> {
        match (&args.card, &args.reader) {
            (Some(path), _) => {
                let card = Card::new(load_card(path)?, OsEntropy);
                let saved_steps = card.nvm().steps_taken();
                Ok(CardSource::Image {
                    path: path.clone(),
                    card: Box::new(card),
                    saved_steps,
                })
            }
            #[cfg(feature = "pcsc")]
            (None, Some(reader)) => Ok(CardSource::Reader(
                jinka_terminal::PcscReader::connect(reader)
                    .with_context(|| format!("reader {reader}"))?,
            )),
            #[cfg(not(feature = "pcsc"))]
            (None, Some(_)) => {
                Err(BadInput("--reader needs a jinka built with `--features pcsc`".into()).into())
            }
            (None, None) => {
                Err(BadInput("give the card: --card CARD or --reader NAME".into()).into())
            }
        }
    }

    /// Saves a card image the transaction changed.
    fn close(self) -> anyhow::Result<()> {
        match self {
            CardSource::Image {
                path,
                card,
                saved_steps,
            } if card.nvm().steps_taken() != saved_steps => save_card(&path, card.nvm()),
            _ => Ok(()),
        }
    }
}

/// Parses yuan with at most two decimals into fen, exactly.
pub fn parse_yuan(text: &str) -> Option<u32> {
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) if !fraction.is_empty() => (whole, fraction),
        Some(_) => return None,
        None => (text, ""),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || (!fraction.is_empty() && !digits(fraction)) || fraction.len() > 2 {
        return None;
    }
    let fen: u32 = format!("{fraction:0<2}").parse().ok()?;
    whole
        .parse::<u32>()
        .ok()?
        .checked_mul(100)?
        .checked_add(fen)
}

fn amount(text: &str) -> anyhow::Result<u32> {
    Ok(parse_yuan(text).ok_or_else(|| {
        BadInput(format!(
            "--amount {text}: must be yuan with at most two decimals"
        ))
    })?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaresWire {
    operator_record: u8,
    max_fare_fen: u32,
    missing_exit_fen: u32,
    distance: Option<DistanceWire>,
    zone: Option<ZoneWire>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DistanceWire {
    base_fen: u32,
    base_km: u32,
    step_fen: u32,
    step_km: u32,
    positions_m: Vec<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ZoneWire {
    zones: Vec<u8>,
    by_zones_crossed_fen: Vec<u32>,
}

/// The demonstration metro line: 3.00 yuan up to 6 km, 1.00 more per started 10 km, at most
/// 7.00; stations every few kilometres.
fn demo_fares() -> FareTable {
    let positions_m = vec![0, 2_400, 5_100, 8_000, 12_500, 17_000, 23_000, 31_000];
    FareTable {
        operator_record: 1,
        rule: FareRule::Distance {
            base_fen: 300,
            base_km: 6,
            step_fen: 100,
            step_km: 10,
            positions_m,
        },
        max_fare_fen: 700,
        missing_exit_fen: 700,
    }
}

fn fares(path: Option<&Path>) -> anyhow::Result<FareTable> {
    let Some(path) = path else {
        return Ok(demo_fares());
    };
    let bytes = jinka_secret_file::read(path, 1024 * 1024)?;
    let wire: FaresWire =
        serde_json::from_slice(&bytes).map_err(|e| BadInput(format!("{}: {e}", path.display())))?;
    let rule = match (wire.distance, wire.zone) {
        (Some(d), None) => FareRule::Distance {
            base_fen: d.base_fen,
            base_km: d.base_km,
            step_fen: d.step_fen,
            step_km: d.step_km,
            positions_m: d.positions_m,
        },
        (None, Some(z)) if !z.by_zones_crossed_fen.is_empty() => FareRule::Zone {
            zones: z.zones,
            by_zones_crossed_fen: z.by_zones_crossed_fen,
        },
        _ => {
            return Err(BadInput(format!(
                "{}: give exactly one of `distance` or `zone` (with fares)",
                path.display()
            ))
            .into());
        }
    };
    Ok(FareTable {
        operator_record: wire.operator_record,
        rule,
        max_fare_fen: wire.max_fare_fen,
        missing_exit_fen: wire.missing_exit_fen,
    })
}

pub fn run(args: TerminalArgs) -> anyhow::Result<()> {
    if let TerminalCommand::RunScript(script) = &args.command {
        return run_script(&args, script);
    }
    if let TerminalCommand::BlacklistSync(sync) = &args.command {
        let path = args
            .blacklist
            .as_deref()
            .ok_or_else(|| BadInput("give the file: --blacklist FILE".into()))?;
        let key = args
            .api_key
            .clone()
            .or_else(|| std::env::var("JINKA_API_KEY").ok())
            .ok_or_else(|| {
                BadInput("the hub needs an API key: --api-key or JINKA_API_KEY".into())
            })?;
        return crate::blacklist_sync::sync(path, &sync.hub, &key);
    }
    let sam_path = args
        .sam
        .clone()
        .ok_or_else(|| BadInput("give the SAM: --sam SAM".into()))?;
    let sam = sam_command::open(&sam_path, &args.kek)?;
    let store = args.store.clone().unwrap_or_else(|| {
        let mut name = sam_path.clone().into_os_string();
        name.push(".records");
        PathBuf::from(name)
    });
    let journal = FileJournal::open(&store, jinka_sam::Sam::terminal_id(&sam))
        .with_context(|| format!("record store {}", store.display()))?;
    let moment = crate::clock::moment(args.at.as_deref())?;
    let api_key = args
        .api_key
        .clone()
        .or_else(|| std::env::var("JINKA_API_KEY").ok());
    let mut terminal = Terminal::new(sam, journal);
    if let TerminalCommand::Upload(upload_args) = &args.command {
        return upload(
            &mut terminal.journal_mut().store,
            upload_args,
            api_key.as_deref(),
            args.json,
        );
    }
    if let Some(path) = &args.blacklist {
        // A synced file says its version (`blacklist_sync`); a hand-written one is version 1.
        let file = crate::blacklist_sync::read(path)?;
        let listed: Vec<[u8; 8]> = file.listed.into_iter().collect();
        terminal
            .blacklist_mut()
            .replace(file.version.unwrap_or(1), &listed)
            .map_err(|e| BadInput(format!("{}: {e}", path.display())))?;
    }
    let mut card = CardSource::open(&args)?;
    let outcome = match &args.command {
        TerminalCommand::Purchase(a) => terminal
            .purchase(&mut card, amount(&a.amount)?, moment)
            .map(Some),
        TerminalCommand::Load(a) => {
            load(&mut terminal, &mut card, a, api_key.as_deref(), moment).map(Some)
        }
        TerminalCommand::Enter(s) => terminal
            .enter(&mut card, &fares(s.fares.as_deref())?, s.station, moment)
            .map(Some),
        TerminalCommand::Exit(s) => terminal
            .exit(&mut card, &fares(s.fares.as_deref())?, s.station, moment)
            .map(Some),
        TerminalCommand::Balance => {
            show_balance(&mut terminal, &mut card, moment, args.json).map(|()| None)
        }
        TerminalCommand::History => {
            show_history(&mut terminal, &mut card, moment, args.json).map(|()| None)
        }
        // Answered before a card is opened.
        TerminalCommand::Upload(_)
        | TerminalCommand::RunScript(_)
        | TerminalCommand::BlacklistSync(_) => Ok(None),
    };
    // The card image keeps whatever happened on the card, approved or not.
    card.close()?;
    terminal.sam_mut().release_unused_serials()?;
    match outcome {
        Ok(Some(approved)) => print_approved(&approved, args.json),
        Ok(None) => Ok(()),
        Err(refusal) => Err(refusal_error(refusal)),
    }
}

fn load<S: jinka_sam::Sam, J: jinka_terminal::TerminalJournal>(
    terminal: &mut Terminal<S, J>,
    card: &mut CardSource,
    args: &LoadArgs,
    api_key: Option<&str>,
    moment: jinka_terminal::Moment,
) -> Result<Approved, Refusal> {
    let amount_fen = parse_yuan(&args.amount).ok_or_else(|| {
        Refusal::Authorization(jinka_terminal::AuthorizeError::Refused(format!(
            "--amount {}: must be yuan with at most two decimals",
            args.amount
        )))
    })?;
    let Some(path) = &args.authorizer else {
        let unavailable = |reason: &str| {
            Refusal::Authorization(jinka_terminal::AuthorizeError::Unavailable(
                reason.to_owned(),
            ))
        };
        let url = args
            .hub
            .as_deref()
            .ok_or_else(|| unavailable("give --hub URL (or --authorizer ISSUER.json)"))?;
        let key = api_key.ok_or_else(|| {
            unavailable("the hub needs the terminal owner's API key: --api-key or JINKA_API_KEY")
        })?;
        let client = HubClient::new(url, key);
        let mut authorizer = match args.replacement_operation {
            Some(operation) => HubAuthorizer::replacement_credit(&client, operation),
            None => HubAuthorizer::new(&client),
        };
        return terminal.load(card, &mut authorizer, amount_fen, moment);
    };
    let keys = crate::keys_command::load(path).map_err(|e| {
        Refusal::Authorization(jinka_terminal::AuthorizeError::Unavailable(format!(
            "{e:#}"
        )))
    })?;
    terminal.load(
        card,
        &mut LocalAuthorizer::new(vec![keys]),
        amount_fen,
        moment,
    )
}

/// Seals the unbatched records into batches and uploads every unacknowledged batch, oldest
/// first; stops at the first batch the hub does not answer, to retry later.
fn upload(
    store: &mut jinka_record_store::RecordStore,
    args: &UploadArgs,
    api_key: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let key = api_key.ok_or_else(|| {
        BadInput("the hub needs the terminal owner's API key: --api-key or JINKA_API_KEY".into())
    })?;
    let client = HubClient::new(&args.hub, key);
    let batch_records = args
        .batch_records
        .clamp(1, jinka_record_store::BATCH_RECORDS_MAX);
    while store.seal_batch(batch_records)?.is_some() {}
    let mut uploaded = 0;
    for batch in store.pending_batches() {
        let id = batch.id.to_string();
        match client.upload(&id, &batch.records) {
            Ok(answer) => {
                store.acknowledge(&batch.id)?;
                uploaded += 1;
                if json {
                    println!("{}", serde_json::to_string(&answer)?);
                } else {
                    println!(
                        "batch {id}: {} accepted, {} rejected",
                        answer.accepted, answer.rejected
                    );
                }
            }
            Err(HubError::Unreachable(reason)) => {
                return Err(anyhow::anyhow!(
                    "batch {id} not uploaded ({reason}); {uploaded} uploaded, the rest stay stored for the next upload"
                ));
            }
            Err(other) => {
                return Err(anyhow::anyhow!(
                    "batch {id} refused: {other}; it stays stored"
                ));
            }
        }
    }
    if !json && uploaded == 0 {
        println!("nothing to upload");
    }
    Ok(())
}

fn show_balance<S: jinka_sam::Sam, J: jinka_terminal::TerminalJournal>(
    terminal: &mut Terminal<S, J>,
    card: &mut CardSource,
    moment: jinka_terminal::Moment,
    json: bool,
) -> Result<(), Refusal> {
    let presented = terminal.present(card, moment)?;
    let balance = terminal.balance(card)?;
    if json {
        println!(
            "{}",
            serde_json::json!({ "asn": hex::encode_upper(presented.public.asn), "balance_fen": balance })
        );
    } else {
        println!(
            "card {}  balance {} yuan",
            hex::encode_upper(presented.public.asn),
            yuan(balance)
        );
    }
    Ok(())
}

fn show_history<S: jinka_sam::Sam, J: jinka_terminal::TerminalJournal>(
    terminal: &mut Terminal<S, J>,
    card: &mut CardSource,
    moment: jinka_terminal::Moment,
    json: bool,
) -> Result<(), Refusal> {
    terminal.present(card, moment)?;
    let history = terminal.history(card)?;
    if json {
        let entries: Vec<_> = history
            .iter()
            .map(|r| serde_json::json!({ "atc": r.atc, "type": r.kind, "amount_fen": r.amount_fen, "terminal_id": hex::encode_upper(r.terminal_id), "date": hex::encode(r.date), "time": hex::encode(r.time) }))
            .collect();
        println!("{}", serde_json::Value::Array(entries));
        return Ok(());
    }
    println!(
        "{:>5} {:>4} {:>12} {:<12} {:<8} {:<6}",
        "ATC", "TYPE", "AMOUNT", "TERMINAL", "DATE", "TIME"
    );
    for r in &history {
        println!(
            "{:>5} {:>4} {:>12} {:<12} {:<8} {:<6}",
            r.atc,
            format!("{:02X}", r.kind),
            yuan(r.amount_fen),
            hex::encode_upper(r.terminal_id),
            hex::encode(r.date),
            hex::encode(r.time)
        );
    }
    Ok(())
}

fn print_approved(approved: &Approved, json: bool) -> anyhow::Result<()> {
    if let Some(recovered) = &approved.recovered {
        eprintln!(
            "recovered a torn {} of {} yuan (ATC {}) from the card's proof",
            recovered.kind().name(),
            yuan(recovered.amount_fen()),
            recovered.atc()
        );
    }
    let record = &approved.record;
    if json {
        println!("{}", serde_json::to_string(record)?);
    } else {
        println!(
            "approved: {} {} yuan, balance {} yuan, ATC {}, TAC {}",
            record.kind().name(),
            yuan(record.amount_fen()),
            yuan(approved.balance_after_fen),
            record.atc(),
            hex::encode_upper(record.tac())
        );
    }
    Ok(())
}

/// Refusals that are about the card or the request exit with 2; the rest with 1.
fn refusal_error(refusal: Refusal) -> anyhow::Error {
    match refusal {
        Refusal::Journal(_) | Refusal::Sam(_) | Refusal::Torn | Refusal::ProofLost => {
            anyhow::Error::new(refusal).context("not approved")
        }
        other => BadInput(format!("refused: {other}")).into(),
    }
}

fn run_script(args: &TerminalArgs, script: &RunScriptArgs) -> anyhow::Result<()> {
    let api_key = args
        .api_key
        .clone()
        .or_else(|| std::env::var("JINKA_API_KEY").ok())
        .ok_or_else(|| BadInput("give the API key: --api-key KEY or JINKA_API_KEY".into()))?;
    let client = HubClient::new(&script.hub, &api_key);
    let mut card = CardSource::open(args)?;
    let run = crate::script_command::run_script(&mut card, &client, &script.operation)?;
    card.close()?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&run.operation)?);
    } else {
        println!(
            "card operation {}: {} ({} command(s): {})",
            script.operation,
            run.operation["state"].as_str().unwrap_or("?"),
            run.status_words.len(),
            run.status_words.join(" ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_yuan;

    #[test]
    fn yuan_parse_exactly() {
        assert_eq!(parse_yuan("12.50"), Some(1_250));
        assert_eq!(parse_yuan("12.5"), Some(1_250));
        assert_eq!(parse_yuan("0.05"), Some(5));
        assert_eq!(parse_yuan("7"), Some(700));
        for bad in ["", ".5", "1.", "1.005", "-1", "1e3", "42949673", "1,5"] {
            assert_eq!(parse_yuan(bad), None, "{bad}");
        }
    }
}
