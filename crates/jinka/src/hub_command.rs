//! `jinka hub serve | participant | credential | terminal | card | keys | window | loads | risk |
//! blacklist`: the clearing centre and its operator's commands (these work on the data
//! directory without a running server).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use jinka_card::{AppKind, EfBody};
use jinka_hub::{
    Admin, Amount, Asn, Clock, FeeRate, FeeSchedule, HubConfig, IssuerId, NewCard, NewParticipant,
    NewTerminal, ParticipantId, Region, Role, Roles, SystemClock, TerminalId,
};
use jinka_ledger::SettlementReport;

use crate::BadInput;

#[derive(Args)]
pub struct HubArgs {
    #[command(subcommand)]
    command: HubCommand,
    /// The hub's data directory (SQLite database, and the key-encryption key on the embedded
    /// default's first start).
    #[arg(long, global = true, default_value = "jinka-hub-data")]
    data: PathBuf,
    /// The key-encryption key, 32 hex digits in a file (or set JINKA_KEK).
    #[arg(long, global = true)]
    kek_file: Option<PathBuf>,
    /// A PostgreSQL URL instead of the embedded SQLite database.
    #[arg(long, global = true)]
    database: Option<String>,
}

#[derive(Subcommand)]
enum HubCommand {
    /// Serve the HTTP API.
    Serve {
        /// Address to listen on (port 0: any free port, printed at start).
        #[arg(long, default_value = "127.0.0.1:8490")]
        listen: SocketAddr,
    },
    /// Participants: issuers, acquirers, application providers, load agents, the operator.
    #[command(subcommand)]
    Participant(ParticipantCommand),
    /// API credentials.
    #[command(subcommand)]
    Credential(CredentialCommand),
    /// Terminals.
    #[command(subcommand)]
    Terminal(TerminalCommand),
    /// Cards.
    #[command(subcommand)]
    Card(CardCommand),
    /// Issuer master keys (load, TAC and card manager), sealed under the key-encryption key.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Settlement windows: close the open one, show a closed one's report.
    #[command(subcommand)]
    Window(WindowCommand),
    /// Online loads: resolve those whose confirmation never came (a serving hub does it
    /// every minute on its own).
    #[command(subcommand)]
    Loads(LoadsCommand),
    /// Risk rules: their decisions (list, explain) and configuration.
    #[command(subcommand)]
    Risk(crate::hub_risk_command::RiskCommand),
    /// The network blacklist: show it, hotlist a card, take one off.
    #[command(subcommand)]
    Blacklist(crate::hub_risk_command::BlacklistCommand),
}

#[derive(Subcommand)]
enum WindowCommand {
    /// Close the open settlement window: prints each participant's net position.
    Close {
        /// Print the whole report as JSON instead.
        #[arg(long)]
        json: bool,
    },
    /// The report of a closed window.
    Report {
        /// The window's number.
        window: u64,
        /// table (positions), json (the whole report), positions-csv or lines-csv.
        #[arg(long, default_value = "table")]
        format: ReportFormat,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ReportFormat {
    Table,
    Json,
    PositionsCsv,
    LinesCsv,
}

#[derive(Subcommand)]
enum LoadsCommand {
    /// Resolve the loads pending past their confirmation deadline: posted from the card's
    /// counter chain, or voided.
    Resolve,
}

#[derive(Subcommand)]
enum ParticipantCommand {
    /// Register a participant.
    Add(ParticipantAdd),
    /// List participants.
    List {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
struct ParticipantAdd {
    /// Its name.
    #[arg(long)]
    name: String,
    /// Its roles: issuer, acquirer, application_provider, load_agent, operator (repeatable).
    #[arg(long = "role", required = true)]
    roles: Vec<String>,
    /// Its region code.
    #[arg(long, default_value_t = 0)]
    region: u32,
    /// Interchange fee in basis points (issuer side of a purchase).
    #[arg(long, default_value_t = 0)]
    interchange_bps: u32,
    /// Network fee in basis points.
    #[arg(long, default_value_t = 0)]
    network_bps: u32,
    /// Net debit cap in fen.
    #[arg(long)]
    net_debit_cap_fen: Option<u64>,
}

#[derive(Subcommand)]
enum CredentialCommand {
    /// Create an API key for a participant (shown once).
    New {
        /// The participant's number.
        #[arg(long)]
        participant: String,
        /// A label for the key.
        #[arg(long, default_value = "cli")]
        label: String,
    },
}

#[derive(Subcommand)]
enum TerminalCommand {
    /// Register a terminal for its owning acquirer.
    Add {
        /// Terminal id, 12 hex digits.
        #[arg(long)]
        terminal_id: String,
        /// The owning participant's number.
        #[arg(long)]
        owner: String,
        /// Region code.
        #[arg(long, default_value_t = 0)]
        region: u32,
    },
    /// Lift the suspension a risk rule put on a terminal (`jinka hub risk explain` shows why).
    Reinstate {
        /// Terminal id, 12 hex digits.
        terminal_id: String,
    },
}

#[derive(Subcommand)]
enum CardCommand {
    /// Register a card from its image (ASN, profile, issuer id, applications).
    Add {
        /// The card image.
        #[arg(long)]
        card: PathBuf,
        /// The issuing participant's number.
        #[arg(long)]
        issuer: String,
    },
    #[command(flatten)]
    Lifecycle(crate::card_lifecycle_command::CardLifecycleCommand),
    /// Write the cards' clearing columns (shadow balance, counters) from the SQLite card log
    /// into the table `cards`, for reading them in SQL (a serving hub folds on its own as the
    /// log grows, and sees this fold at its next transaction).
    FoldLog,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Keep an issuer key set's load, TAC and card manager master keys (sealed).
    Add {
        /// The issuing participant's number.
        #[arg(long)]
        issuer: String,
        /// The issuer key set (from `jinka keys new`).
        #[arg(long)]
        keys: PathBuf,
    },
}

fn config(args: &HubArgs, listen: SocketAddr) -> anyhow::Result<HubConfig> {
    let mut config = HubConfig::new(&args.data, listen);
    config.kek = match (&args.kek_file, std::env::var("JINKA_KEK")) {
        (Some(path), _) => Some(jinka_hub::read_kek_file(path)?),
        (None, Ok(text)) => Some(jinka_hub::parse_kek(&text)?),
        (None, Err(_)) => None,
    };
    config.database_url = args.database.clone();
    Ok(config)
}

/// `jinka hub card fold-log`.
fn fold_card_log(args: &HubArgs) -> anyhow::Result<()> {
    if args.database.is_some() {
        println!("PostgreSQL keeps the cards' clearing columns in cards: nothing to fold");
        return Ok(());
    }
    let path = args.data.join(jinka_hub::DATABASE_FILE_NAME);
    if !path.is_file() {
        return Err(BadInput(format!("{}: no hub database there", path.display())).into());
    }
    let cards = jinka_hub::fold_card_log(&path)?;
    println!("{cards} cards' clearing columns written from the log into cards");
    Ok(())
}

fn participant(text: &str) -> anyhow::Result<ParticipantId> {
    text.parse()
        .map_err(|e| BadInput(format!("participant {text}: {e}")).into())
}

fn admin(args: &HubArgs) -> anyhow::Result<Admin> {
    Ok(Admin::open(&config(
        args,
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )?)?)
}

pub fn run(args: HubArgs) -> anyhow::Result<()> {
    match &args.command {
        HubCommand::Serve { listen } => serve(config(&args, *listen)?),
        HubCommand::Participant(ParticipantCommand::Add(add)) => {
            add_participant(&admin(&args)?, add)
        }
        HubCommand::Participant(ParticipantCommand::List { json }) => {
            list_participants(&admin(&args)?, *json)
        }
        HubCommand::Credential(CredentialCommand::New {
            participant: id,
            label,
        }) => {
            let issued = admin(&args)?.create_credential(participant(id)?, label)?;
            eprintln!("the API key is shown once; keep it secret");
            println!("{}", issued.api_key.expose().as_str());
            Ok(())
        }
        HubCommand::Terminal(TerminalCommand::Reinstate { terminal_id }) => {
            let id: TerminalId = terminal_id
                .parse()
                .map_err(|e| BadInput(format!("terminal id: {e}")))?;
            let changed = admin(&args)?.reinstate_terminal(id)?;
            println!(
                "terminal {id} {}",
                if changed {
                    "reinstated"
                } else {
                    "was not suspended"
                }
            );
            Ok(())
        }
        HubCommand::Terminal(TerminalCommand::Add {
            terminal_id,
            owner,
            region,
        }) => {
            let terminal_id: TerminalId = terminal_id
                .parse()
                .map_err(|e| BadInput(format!("--terminal-id: {e}")))?;
            let terminal = admin(&args)?.register_terminal(NewTerminal {
                terminal_id,
                owner: participant(owner)?,
                region: Region::new(*region),
            })?;
            println!(
                "registered terminal {} for participant {}",
                terminal.terminal_id, terminal.owner
            );
            Ok(())
        }
        HubCommand::Card(CardCommand::Add { card, issuer }) => {
            add_card(&admin(&args)?, card, participant(issuer)?)
        }
        HubCommand::Card(CardCommand::FoldLog) => fold_card_log(&args),
        HubCommand::Card(CardCommand::Lifecycle(command)) => {
            crate::card_lifecycle_command::run(&admin(&args)?, command)
        }
        HubCommand::Window(WindowCommand::Close { json }) => {
            let report = admin(&args)?.close_settlement_window()?;
            let format = if *json {
                ReportFormat::Json
            } else {
                ReportFormat::Table
            };
            print_report(&report, format)
        }
        HubCommand::Window(WindowCommand::Report { window, format }) => {
            let report = admin(&args)?
                .settlement_report(*window)?
                .ok_or_else(|| BadInput(format!("no closed settlement window {window}")))?;
            print_report(&report, *format)
        }
        HubCommand::Loads(LoadsCommand::Resolve) => {
            let resolved = admin(&args)?.resolve_unconfirmed_loads(SystemClock.now())?;
            println!(
                "{} posted, {} voided, {} not decided yet",
                resolved.posted, resolved.voided, resolved.unresolved
            );
            Ok(())
        }
        HubCommand::Risk(command) => crate::hub_risk_command::run_risk(&admin(&args)?, command),
        HubCommand::Blacklist(command) => {
            crate::hub_risk_command::run_blacklist(&admin(&args)?, command)
        }
        HubCommand::Keys(KeysCommand::Add { issuer, keys }) => {
            let keys = crate::keys_command::load(keys)?;
            let set = admin(&args)?.upload_issuer_keys(participant(issuer)?, &keys)?;
            println!(
                "kept {} (load, TAC and card manager master keys, sealed)",
                serde_json::to_string(&set)?
            );
            Ok(())
        }
    }
}

fn print_report(report: &SettlementReport, format: ReportFormat) -> anyhow::Result<()> {
    match format {
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(report)?),
        ReportFormat::PositionsCsv => print!("{}", report.positions_csv()),
        ReportFormat::LinesCsv => print!("{}", report.lines_csv()),
        ReportFormat::Table => {
            println!(
                "window {}: {} transactions",
                report.window_id().0,
                report.transaction_count()
            );
            println!(
                "{:>12}  {:>16}  {:<14}  cap breach",
                "participant", "net (fen)", "direction"
            );
            for position in report.positions() {
                let breach = position
                    .cap_breach()
                    .map_or_else(String::new, |amount| amount.to_string());
                println!(
                    "{:>12}  {:>16}  {:<14}  {breach}",
                    position.participant().to_string(),
                    position.net().to_string(),
                    position.direction().name(),
                );
            }
        }
    }
    Ok(())
}

fn serve(config: HubConfig) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let bound = jinka_hub::bind(config).await?;
        eprintln!("hub listening on http://{}", bound.local_addr());
        bound
            .run(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        Ok(())
    })
}

fn add_participant(admin: &Admin, add: &ParticipantAdd) -> anyhow::Result<()> {
    let roles = add
        .roles
        .iter()
        .map(|name| {
            name.parse::<Role>()
                .map_err(|e| BadInput(format!("--role {name}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let fees = FeeSchedule {
        interchange: FeeRate::new("interchange", add.interchange_bps, Amount::ZERO)?,
        network: FeeRate::new("network", add.network_bps, Amount::ZERO)?,
    };
    let mut new = NewParticipant::new(&add.name, Roles::new(roles)?, Region::new(add.region))?
        .with_fees(fees);
    if let Some(cap) = add.net_debit_cap_fen {
        new = new.with_net_debit_cap(Amount::from_fen("net_debit_cap_fen", cap)?);
    }
    let participant = admin.add_participant(new)?;
    println!("participant {} {}", participant.id, participant.name);
    Ok(())
}

fn list_participants(admin: &Admin, json: bool) -> anyhow::Result<()> {
    let participants = admin.participants()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&participants)?);
        return Ok(());
    }
    for p in participants {
        let roles: Vec<_> = p.roles.iter().map(|r| r.name()).collect();
        println!(
            "{:>5}  {:<24} {:<40} region {}",
            p.id,
            p.name,
            roles.join(","),
            p.region
        );
    }
    Ok(())
}

/// Registers a card from its image: ASN, profile, the issuer id in its e-purse's EF 0x15, and
/// its applications.
fn add_card(admin: &Admin, path: &Path, issuer: ParticipantId) -> anyhow::Result<()> {
    let nvm = crate::card_command::load_card(path)?;
    let state = &nvm.state;
    let purse = state
        .applications
        .iter()
        .find(|a| a.kind == AppKind::EPurse)
        .ok_or_else(|| BadInput(format!("{}: the card has no e-purse", path.display())))?;
    let public = purse
        .files
        .iter()
        .find(|f| f.sfi == 0x15)
        .and_then(|f| match &f.body {
            EfBody::Binary { bytes } => bytes.get(..8),
            EfBody::Records(_) => None,
        });
    let issuer_id = public
        .ok_or_else(|| BadInput(format!("{}: the e-purse has no EF 0x15", path.display())))?;
    let issuer_id: IssuerId = hex::encode_upper(issuer_id).parse()?;
    let asn: Asn = hex::encode_upper(state.asn).parse()?;
    let applications = state.applications.iter().map(|a| a.aid).collect();
    let card = admin.register_card(NewCard::new(
        asn,
        issuer,
        issuer_id,
        state.profile,
        applications,
    )?)?;
    println!(
        "registered card {} of participant {}",
        card.asn, card.issuer
    );
    Ok(())
}
