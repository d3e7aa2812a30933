//! `jinka terminal run-script --operation ID --hub URL`: a terminal runs a card operation's
//! management script (an application added or removed after issuance) on the card: it fetches
//! the script the hub made (`GET /v1/card-operations/{id}/script`), sends each APDU to the
//! card, stops at the first command the card refuses, and reports the status words
//! (`POST /v1/card-operations/{id}/result`).

use anyhow::Context;
use jinka_apdu::Transport;
use serde_json::{Value, json};

use crate::BadInput;
use crate::hub_client::HubClient;

/// Most bytes of one script APDU (an extended management command).
const SCRIPT_APDU_BYTES_MAX: usize = 1024;

/// What became of a script.
pub struct ScriptRun {
    /// The status words, one per command sent, in hexadecimal.
    pub status_words: Vec<String>,
    /// The operation as the hub answered the result.
    pub operation: Value,
}

fn commands(script: &Value) -> anyhow::Result<Vec<Vec<u8>>> {
    let apdus = script["apdus"]
        .as_array()
        .context("the hub's script has no `apdus`")?;
    if apdus.len() > jinka_hub::SCRIPT_COMMANDS_MAX {
        anyhow::bail!("the hub's script has {} commands, too many", apdus.len());
    }
    apdus
        .iter()
        .map(|apdu| {
            let bytes = apdu
                .as_str()
                .and_then(|text| hex::decode(text).ok())
                .filter(|bytes| (4..=SCRIPT_APDU_BYTES_MAX).contains(&bytes.len()))
                .context("a script APDU is not hexadecimal of 4 to 1024 bytes")?;
            Ok(bytes)
        })
        .collect()
}

/// Runs the script of `operation` on `card` and reports its result.
pub fn run_script(
    card: &mut impl Transport,
    client: &HubClient,
    operation: &str,
) -> anyhow::Result<ScriptRun> {
    let id: u64 = operation
        .parse()
        .map_err(|_| BadInput(format!("--operation {operation}: must be a number")))?;
    let script = client.get_value(&format!("/v1/card-operations/{id}/script"))?;
    let mut status_words = Vec::new();
    let mut response = Vec::with_capacity(64);
    for command in commands(&script)? {
        response.clear();
        card.transmit(&command, &mut response)
            .context("sending a script command to the card")?;
        let word = match response.as_slice() {
            [.., sw1, sw2] => u16::from_be_bytes([*sw1, *sw2]),
            _ => anyhow::bail!("the card answered a script command without a status word"),
        };
        status_words.push(format!("{word:04X}"));
        if word != 0x9000 {
            break;
        }
    }
    let operation = client.post_value(
        &format!("/v1/card-operations/{id}/result"),
        &json!({ "status_words": status_words }),
    )?;
    Ok(ScriptRun {
        status_words,
        operation,
    })
}
