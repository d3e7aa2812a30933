//! `jinka card new | show | apdu | serve`.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use jinka_card::image::{self, IMAGE_BYTES_MAX};
use jinka_card::{AppKind, Application, Card, Issuance, LOG_SFI, LogRecord, Nvm, Template, issue};
use jinka_secret_file::Overwrite;
use serde::Serialize;

use crate::BadInput;
use crate::keys_command::{self, parse_hex, parse_hex_array};
use crate::os_entropy::OsEntropy;

#[derive(Subcommand)]
pub enum CardCommand {
    /// Issue a card with its e-purse (and more applications with --app).
    New(NewCard),
    /// Print a card's applications, balance and log.
    Show(ShowCard),
    /// Send APDUs to a card in one powered session and print each response as hex.
    Apdu(ApduArgs),
    /// Connect the card to pcscd's vsmartcard driver so PC/SC software can use it.
    Serve(crate::serve::ServeArgs),
}

#[derive(Args)]
pub struct NewCard {
    /// The issuer key set (from `jinka keys new`).
    #[arg(long)]
    keys: PathBuf,
    /// The card's ASN8, 16 hex digits.
    #[arg(long)]
    asn: String,
    /// Where to write the card image; an existing file is never overwritten.
    #[arg(long)]
    out: PathBuf,
    /// Another application: `social-security` or `access-control`, optionally `=KEYS.json`
    /// for the department's own key set (default: the issuer's). Repeatable.
    #[arg(long = "app")]
    apps: Vec<String>,
    /// Start date, YYYYMMDD.
    #[arg(long, default_value = "20260101")]
    start: String,
    /// Expiry date, YYYYMMDD.
    #[arg(long, default_value = "20361231")]
    expiry: String,
}

#[derive(Args)]
pub struct ShowCard {
    /// The card image.
    card: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct ApduArgs {
    /// The card image (saved after the session if the card changed).
    card: PathBuf,
    /// APDUs in hex; with none, one APDU per line is read from standard input.
    apdus: Vec<String>,
}

pub fn run(command: CardCommand) -> anyhow::Result<()> {
    match command {
        CardCommand::New(args) => new_card(&args),
        CardCommand::Show(args) => show(&args),
        CardCommand::Apdu(args) => apdu(&args),
        CardCommand::Serve(args) => crate::serve::run(&args),
    }
}

/// Reads and checks a card image; a foreign or corrupt file is bad input naming the file.
pub fn load_card(path: &Path) -> anyhow::Result<Nvm> {
    let bytes = jinka_secret_file::read(path, IMAGE_BYTES_MAX as u64)?;
    Ok(image::decode(&bytes).map_err(|e| BadInput(format!("{}: {e}", path.display())))?)
}

/// Saves a card image atomically with mode 0600.
pub fn save_card(path: &Path, nvm: &Nvm) -> anyhow::Result<()> {
    jinka_secret_file::write(path, &image::encode(nvm), Overwrite::Allow)?;
    Ok(())
}

fn bcd_date(flag: &str, text: &str) -> anyhow::Result<[u8; 4]> {
    let valid = text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit());
    let date = if valid {
        parse_hex_array::<4>(text)
    } else {
        None
    };
    Ok(date.ok_or_else(|| BadInput(format!("{flag} {text}: must be YYYYMMDD")))?)
}

fn new_card(args: &NewCard) -> anyhow::Result<()> {
    let issuer = keys_command::load(&args.keys)?;
    let asn = parse_hex_array::<8>(&args.asn)
        .ok_or_else(|| BadInput(format!("--asn {}: must be 16 hex digits", args.asn)))?;
    let issuance = Issuance {
        asn,
        start_date: bcd_date("--start", &args.start)?,
        expiry_date: bcd_date("--expiry", &args.expiry)?,
    };
    let mut departments = Vec::new();
    for spec in &args.apps {
        let (name, keys) = match spec.split_once('=') {
            Some((name, path)) => (name, Some(keys_command::load(Path::new(path))?)),
            None => (spec.as_str(), None),
        };
        let template = match Template::from_name(name) {
            Some(Template::EPurse) | None => {
                return Err(BadInput(format!(
                    "--app {name}: must be social-security or access-control"
                ))
                .into());
            }
            Some(template) => template,
        };
        departments.push((template, keys));
    }
    let mut applications = vec![(Template::EPurse, &issuer)];
    applications.extend(
        departments
            .iter()
            .map(|(template, keys)| (*template, keys.as_ref().unwrap_or(&issuer))),
    );
    let nvm = issue(&issuer, &issuance, &applications).context("issuing the card")?;
    jinka_secret_file::write(&args.out, &image::encode(&nvm), Overwrite::Refuse)?;
    println!(
        "issued card {} ({}) with {} application(s) to {}",
        hex::encode_upper(asn),
        issuer.profile.name(),
        applications.len(),
        args.out.display()
    );
    Ok(())
}

#[derive(Serialize)]
struct CardView {
    asn: String,
    profile: &'static str,
    management_counter: u32,
    applications: Vec<ApplicationView>,
}

#[derive(Serialize)]
struct ApplicationView {
    aid: String,
    label: String,
    kind: &'static str,
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    balance_fen: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    online_atc: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    offline_atc: Option<u16>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    log: Vec<LogView>,
}

#[derive(Serialize)]
struct LogView {
    atc: u16,
    #[serde(rename = "type")]
    kind: &'static str,
    amount_fen: u32,
    terminal_id: String,
    date: String,
    time: String,
}

fn view(nvm: &Nvm) -> CardView {
    let state = &nvm.state;
    CardView {
        asn: hex::encode_upper(state.asn),
        profile: state.profile.name(),
        management_counter: state.management_counter,
        applications: state.applications.iter().map(application_view).collect(),
    }
}

fn application_view(app: &Application) -> ApplicationView {
    let log = match (app.kind, app.records(LOG_SFI)) {
        (AppKind::EPurse, Some(records)) => (1..=records.slots.len() as u8)
            .filter_map(|n| records.record(n).and_then(LogRecord::from_bytes))
            .map(log_view)
            .collect(),
        _ => Vec::new(),
    };
    ApplicationView {
        aid: app.aid.to_hex(),
        label: app.label.clone(),
        kind: app.kind.name(),
        state: match app.state {
            jinka_card::AppState::Active => "active",
            jinka_card::AppState::Blocked => "blocked",
            jinka_card::AppState::Terminated => "terminated",
        },
        balance_fen: app.purse.map(|p| p.balance_fen),
        online_atc: app.purse.map(|p| p.online_atc),
        offline_atc: app.purse.map(|p| p.offline_atc),
        log,
    }
}

fn log_view(record: LogRecord) -> LogView {
    LogView {
        atc: record.atc,
        kind: match record.kind {
            jinka_card::TYPE_LOAD => "load",
            jinka_card::TYPE_PURCHASE => "purchase",
            jinka_card::TYPE_CAPP_PURCHASE => "capp-purchase",
            _ => "other",
        },
        amount_fen: record.amount_fen,
        terminal_id: hex::encode_upper(record.terminal_id),
        date: hex::encode(record.date),
        time: hex::encode(record.time),
    }
}

/// Fen as yuan with two decimals, for people.
pub fn yuan(fen: u32) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

fn show(args: &ShowCard) -> anyhow::Result<()> {
    let nvm = load_card(&args.card)?;
    let view = view(&nvm);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&view)?);
        return Ok(());
    }
    println!(
        "card {}  profile {}  management counter {}",
        view.asn, view.profile, view.management_counter
    );
    println!(
        "{:<16} {:<16} {:<16} {:<10} {:>12} {:>6} {:>6}",
        "AID", "LABEL", "KIND", "STATE", "BALANCE", "ONLINE", "OFFLINE"
    );
    for app in &view.applications {
        let balance = app.balance_fen.map(yuan).unwrap_or_default();
        let online = app.online_atc.map(|n| n.to_string()).unwrap_or_default();
        let offline = app.offline_atc.map(|n| n.to_string()).unwrap_or_default();
        println!(
            "{:<16} {:<16} {:<16} {:<10} {:>12} {:>6} {:>6}",
            app.aid, app.label, app.kind, app.state, balance, online, offline
        );
    }
    for app in view.applications.iter().filter(|a| !a.log.is_empty()) {
        println!("\nlog of {} (newest first)", app.aid);
        println!(
            "{:>5} {:<14} {:>12} {:<12} {:<8} {:<6}",
            "ATC", "TYPE", "AMOUNT", "TERMINAL", "DATE", "TIME"
        );
        for entry in &app.log {
            println!(
                "{:>5} {:<14} {:>12} {:<12} {:<8} {:<6}",
                entry.atc,
                entry.kind,
                yuan(entry.amount_fen),
                entry.terminal_id,
                entry.date,
                entry.time
            );
        }
    }
    Ok(())
}

fn apdu(args: &ApduArgs) -> anyhow::Result<()> {
    let nvm = load_card(&args.card)?;
    let original = nvm.clone();
    let mut card = Card::new(nvm, OsEntropy);
    let mut response = Vec::with_capacity(258);
    let mut exchange = |card: &mut Card<OsEntropy>, command: &[u8]| -> anyhow::Result<()> {
        response.clear();
        card.transmit(command, &mut response)
            .context("the card lost power")?;
        println!("{}", hex::encode_upper(&response));
        Ok(())
    };
    let outcome = if args.apdus.is_empty() {
        let stdin = std::io::stdin();
        let mut result = Ok(());
        for (number, line) in stdin.lock().lines().enumerate() {
            let line = line.context("reading standard input")?;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some(command) = parse_hex(line) else {
                result =
                    Err(BadInput(format!("standard input line {}: not hex", number + 1)).into());
                break;
            };
            exchange(&mut card, &command)?;
        }
        result
    } else {
        // Every argument is checked before the first is sent.
        let mut commands = Vec::with_capacity(args.apdus.len());
        for (index, text) in args.apdus.iter().enumerate() {
            commands.push(
                parse_hex(text)
                    .ok_or_else(|| BadInput(format!("APDU {} ({text}): not hex", index + 1)))?,
            );
        }
        commands
            .iter()
            .try_for_each(|command| exchange(&mut card, command))
    };
    // What the card did before a bad line stands: save it.
    if *card.nvm() != original {
        save_card(&args.card, card.nvm())?;
    }
    outcome
}
