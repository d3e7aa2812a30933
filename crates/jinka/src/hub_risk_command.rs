//! `jinka hub risk decisions | explain | config` and `jinka hub blacklist show | add |
//! remove`: the risk rules' decisions and configuration, and the network blacklist, on the
//! data directory (as the other `jinka hub` commands), for the operator or, with
//! `--issuer ID`, for one issuer (its own cards and terminals).

use std::path::PathBuf;

use clap::Subcommand;
use jinka_hub::{Admin, Asn, ParticipantId};

use crate::BadInput;

/// Decisions listed by `risk decisions` at most.
const DECISIONS_LISTED_MAX: u32 = 1_000;

#[derive(Subcommand)]
pub enum RiskCommand {
    /// The risk rules' decisions, oldest first.
    Decisions {
        /// Only those about this participant's cards or terminals.
        #[arg(long)]
        issuer: Option<String>,
        /// Those after this decision id.
        #[arg(long)]
        after: Option<u64>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// One decision with the records behind it.
    Explain {
        /// The decision's id.
        id: u64,
        /// As this participant (it sees only its own).
        #[arg(long)]
        issuer: Option<String>,
    },
    /// The rules' configuration (JSON `RiskSettings`).
    #[command(subcommand)]
    Config(RiskConfigCommand),
}

#[derive(Subcommand)]
pub enum RiskConfigCommand {
    /// Print the stored configuration (the defaults if none was set).
    Show,
    /// Check and store the configuration in FILE (hubs started afterwards use it).
    Set {
        /// A JSON file.
        file: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum BlacklistCommand {
    /// The blacklist: the full list, or the delta since a version.
    Show {
        #[arg(long)]
        since: Option<u64>,
    },
    /// Hotlist a card.
    Add {
        /// The card's ASN (16 hex digits).
        asn: String,
        /// `lost` or `issuer_request`.
        #[arg(long)]
        reason: String,
        /// As this issuer (its own cards only).
        #[arg(long)]
        issuer: Option<String>,
    },
    /// Take a hotlisted card off the blacklist.
    Remove {
        /// The card's ASN (16 hex digits).
        asn: String,
        /// As this issuer (a risk rule's listing is the operator's to remove).
        #[arg(long)]
        issuer: Option<String>,
    },
}

fn participant(text: Option<&String>) -> anyhow::Result<Option<ParticipantId>> {
    text.map(|text| {
        text.parse()
            .map_err(|e| BadInput(format!("--issuer {text}: {e}")).into())
    })
    .transpose()
}

fn asn(text: &str) -> anyhow::Result<Asn> {
    text.parse()
        .map_err(|e| BadInput(format!("ASN {text}: {e}")).into())
}

pub fn run_risk(admin: &Admin, command: &RiskCommand) -> anyhow::Result<()> {
    match command {
        RiskCommand::Decisions {
            issuer,
            after,
            json,
        } => {
            let found = admin.risk_decisions(
                participant(issuer.as_ref())?,
                *after,
                DECISIONS_LISTED_MAX,
            )?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&found)?);
                return Ok(());
            }
            for decision in &found {
                println!(
                    "{:>6}  {:<21} {:<16} {:<24} {}",
                    decision.id,
                    decision.rule.code(),
                    decision.action.code(),
                    decision.subject.to_string(),
                    decision.explanation
                );
            }
            if found.is_empty() {
                println!("no decisions");
            }
            Ok(())
        }
        RiskCommand::Explain { id, issuer } => {
            let found = admin
                .risk_decision(participant(issuer.as_ref())?, *id)?
                .ok_or_else(|| BadInput(format!("no risk decision {id}")))?;
            println!("{}", serde_json::to_string_pretty(&found)?);
            Ok(())
        }
        RiskCommand::Config(RiskConfigCommand::Show) => {
            println!("{}", serde_json::to_string_pretty(&admin.risk_config())?);
            Ok(())
        }
        RiskCommand::Config(RiskConfigCommand::Set { file }) => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| BadInput(format!("{}: {e}", file.display())))?;
            let config = admin.set_risk_config(&text)?;
            println!("{}", serde_json::to_string_pretty(&config)?);
            Ok(())
        }
    }
}

pub fn run_blacklist(admin: &Admin, command: &BlacklistCommand) -> anyhow::Result<()> {
    let changed = match command {
        BlacklistCommand::Show { since } => {
            println!(
                "{}",
                serde_json::to_string_pretty(&admin.blacklist(*since)?)?
            );
            return Ok(());
        }
        BlacklistCommand::Add {
            asn: card,
            reason,
            issuer,
        } => admin.hotlist_card(participant(issuer.as_ref())?, asn(card)?, reason)?,
        BlacklistCommand::Remove { asn: card, issuer } => {
            admin.unhotlist_card(participant(issuer.as_ref())?, asn(card)?)?
        }
    };
    println!("{}", serde_json::to_string(&changed)?);
    Ok(())
}
