//! `jinka tag IDENTITY`: an EPC (SGTIN-96 / SSCC-96) in any of its forms, shown in all of
//! them; `jinka tag ingest`: a reader's raw reads into EPCIS events ([`crate::tag_ingest`]).

use clap::{Args, Subcommand};
use jinka_epc::{Epc, Filter};

use crate::BadInput;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct TagArgs {
    #[command(subcommand)]
    command: Option<TagCommand>,
    /// The identity: 24 hex digits (the tag's EPC memory), a tag URI
    /// (`urn:epc:tag:sgtin-96:…`), a pure identity URI (`urn:epc:id:sgtin:…`) or a GS1 Digital
    /// Link (`https://id.gs1.org/01/…/21/…`).
    identity: Option<String>,
    /// Filter value for forms that do not carry one (pure URI, Digital Link).
    #[arg(long, default_value_t = 1)]
    filter: u8,
    /// Company prefix digits, which a Digital Link does not carry (6 to 12).
    #[arg(long)]
    company_prefix_digits: Option<u8>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum TagCommand {
    /// Turn raw tag reads (CSV: epc_hex,read_point_or_antenna,time) into de-duplicated
    /// OBSERVE events, and capture them at the hub or write the EPCIS document.
    Ingest(crate::tag_ingest::IngestArgs),
}

pub fn run(args: &TagArgs) -> anyhow::Result<()> {
    if let Some(TagCommand::Ingest(ingest)) = &args.command {
        return crate::tag_ingest::run(ingest);
    }
    let text = args
        .identity
        .as_deref()
        .ok_or_else(|| BadInput("give an EPC to decode, or a subcommand (ingest)".into()))?
        .trim();
    let filter = Filter::new(args.filter).map_err(|e| BadInput(format!("--filter: {e}")))?;
    let epc = if text.starts_with("urn:epc:tag:") {
        Epc::from_tag_uri(text)
    } else if text.starts_with("urn:epc:id:") {
        Epc::from_pure_uri(text, filter)
    } else if text.starts_with("https://") {
        let digits = args
            .company_prefix_digits
            .ok_or_else(|| BadInput("a Digital Link needs --company-prefix-digits".into()))?;
        Epc::from_digital_link(text, digits, filter)
    } else {
        Epc::from_hex(text)
    }
    .map_err(|e| BadInput(format!("{text}: {e}")))?;
    let forms = [
        ("hex", epc.to_hex()),
        ("tag_uri", epc.tag_uri()),
        ("pure_uri", epc.pure_uri()),
        ("digital_link", epc.digital_link()),
        ("gs1_key", epc.gs1_key()),
    ];
    if args.json {
        let object: serde_json::Map<String, serde_json::Value> = forms
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone().into()))
            .collect();
        println!("{}", serde_json::Value::Object(object));
    } else {
        for (name, value) in forms {
            println!("{name:<13} {value}");
        }
    }
    Ok(())
}
