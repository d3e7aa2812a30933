//! `jinka hub card lost | replace | close | complete | complete-due | operations`: the card's
//! life on the hub's data directory, as the operator (the issuer's routes do the same over
//! HTTP: `POST /v1/cards/{asn}/lost` ...).

use clap::Subcommand;
use jinka_hub::{Admin, Asn, CardOperation, CardRequest, Clock, SystemClock};

use crate::BadInput;

#[derive(Subcommand)]
pub enum CardLifecycleCommand {
    /// Report a card lost: hotlisted and put on the blacklist.
    Lost {
        /// The card's ASN (16 hex digits).
        asn: String,
    },
    /// Replace a card by a registered new one: the old one is blocked at once; its balance
    /// moves to the new card when the operation completes.
    Replace {
        /// The old card's ASN.
        asn: String,
        /// The new card's ASN.
        #[arg(long = "new")]
        new_asn: String,
    },
    /// Close a card: blocked at once; the refund is fixed when the operation completes.
    Close {
        /// The card's ASN.
        asn: String,
    },
    /// Complete a pending replacement or closing now (the old card's records are in).
    Complete {
        /// The card operation's number.
        id: u64,
    },
    /// Complete the replacements and closings whose freeze period is over.
    CompleteDue,
    /// List the card operations.
    Operations {
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
}

fn asn(flag: &str, text: &str) -> anyhow::Result<Asn> {
    Ok(text
        .parse()
        .map_err(|e| BadInput(format!("{flag} {text}: {e}")))?)
}

fn print(operation: &CardOperation) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(operation)?);
    Ok(())
}

pub fn run(admin: &Admin, command: &CardLifecycleCommand) -> anyhow::Result<()> {
    match command {
        CardLifecycleCommand::Lost { asn: card } => {
            print(&admin.card_request(asn("ASN", card)?, CardRequest::Lost)?)
        }
        CardLifecycleCommand::Replace { asn: card, new_asn } => {
            let request = CardRequest::Replace {
                new_asn: asn("--new", new_asn)?,
            };
            print(&admin.card_request(asn("ASN", card)?, request)?)
        }
        CardLifecycleCommand::Close { asn: card } => {
            print(&admin.card_request(asn("ASN", card)?, CardRequest::Close)?)
        }
        CardLifecycleCommand::Complete { id } => print(&admin.complete_card_operation(*id)?),
        CardLifecycleCommand::CompleteDue => {
            for operation in admin.complete_due_card_operations(SystemClock.now())? {
                print(&operation)?;
            }
            Ok(())
        }
        CardLifecycleCommand::Operations { json: true } => {
            println!(
                "{}",
                serde_json::to_string_pretty(&admin.card_operations()?)?
            );
            Ok(())
        }
        CardLifecycleCommand::Operations { json: false } => {
            println!(
                "{:>6}  {:<18}  {:<16}  {:<16}  {:<16}  {:>12}",
                "id", "kind", "card", "new card / AID", "state", "amount (fen)"
            );
            for operation in admin.card_operations()? {
                let other = match (operation.new_asn, operation.aid) {
                    (Some(new_asn), _) => new_asn.to_string(),
                    (None, Some(aid)) => aid.to_hex(),
                    (None, None) => String::new(),
                };
                println!(
                    "{:>6}  {:<18}  {:<16}  {:<16}  {:<16}  {:>12}",
                    operation.id,
                    operation.kind.name(),
                    operation.asn.to_string(),
                    other,
                    operation.state.name(),
                    operation
                        .amount_fen
                        .map_or_else(String::new, |fen| fen.to_string())
                );
            }
            Ok(())
        }
    }
}
