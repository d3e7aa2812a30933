//! Applications added to or removed from cards already issued (`hub.md` § Card lifecycle,
//! `card.md` § Many applications on one card).
//!
//! 1. An application provider (a department) asks (`POST /v1/cards/{asn}/applications`): to
//!    add one of the ready applications ([`Template`]) keyed by its own key set (the JSON of
//!    `jinka keys new`), or to remove its application. The hub builds the script at once with
//!    [`CardManager`], under the card's issuer's card manager master key (kept sealed in the
//!    vault) diversified for the card, with counters reserved for the card (each card's last
//!    counter is kept; the first script starts above [`MANAGEMENT_COUNTER_FLOOR`], above what
//!    personalization used). The department's keys travel in the script only encrypted under
//!    the card's management key (PUT KEY): the hub keeps no department key.
//! 2. The card's issuer consents (`POST /v1/card-operations/{id}/consent`): consent is always
//!    explicit, there is no automatic consent. Until then the script is not given out.
//! 3. A terminal fetches the script (`GET /v1/card-operations/{id}/script`), runs it on the
//!    card and reports the status words (`POST /v1/card-operations/{id}/result`): all `9000`
//!    completes the operation and the card's application list changes; anything else fails
//!    it (the counters it used are spent: a new request gets new ones).
//!
//! Scripts of one card must run in the order they were made: the card refuses a counter not
//! above every one it accepted.

use jinka_card::{Aid, CardManager, Issuance, IssuerKeys, Template};
use serde::Serialize;

use crate::byte_id::Asn;
use crate::card_operation::{CardOperation, NewOperation, OperationKind, OperationState};
use crate::clearing::ClearingStorage;
use crate::clock::EpochMs;
use crate::error::HubError;
use crate::participant::ParticipantId;
use crate::vault::UnsealedIssuerKeys;

/// The hub's first management counter for a card: personalization (issuance by templates)
/// uses fewer commands than this.
pub const MANAGEMENT_COUNTER_FLOOR: u32 = 1_000;

/// Most commands a script holds.
pub const SCRIPT_COMMANDS_MAX: usize = 64;

/// The status word of a command the card carried out.
const STATUS_OK: u16 = 0x9000;

/// What an application provider asks for.
pub enum ApplicationChange {
    /// Add `template`'s application keyed by the department's `keys`, valid from `start_date`
    /// to `expiry_date` (BCD `YYYYMMDD`).
    Add {
        /// The ready application.
        template: Template,
        /// The department's key set.
        keys: Box<IssuerKeys>,
        /// Start date, BCD.
        start_date: [u8; 4],
        /// Expiry date, BCD.
        expiry_date: [u8; 4],
    },
    /// Remove the application `aid`.
    Remove {
        /// Its AID.
        aid: Aid,
    },
}

/// A script as the API gives it: the APDUs in hexadecimal, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Script {
    /// The operation.
    pub operation: u64,
    /// The card.
    pub asn: Asn,
    /// The commands.
    pub apdus: Vec<String>,
}

/// Parses a `YYYYMMDD` date into BCD.
pub fn bcd_date(field: &'static str, text: &str) -> Result<[u8; 4], HubError> {
    let digits: Vec<u8> = text
        .bytes()
        .map(|byte| byte.is_ascii_digit().then(|| byte - b'0'))
        .collect::<Option<Vec<u8>>>()
        .filter(|digits| digits.len() == 8)
        .ok_or_else(|| HubError::invalid(field, "must be a date YYYYMMDD"))?;
    let mut bcd = [0u8; 4];
    for (slot, pair) in bcd.iter_mut().zip(digits.chunks_exact(2)) {
        if let [high, low] = pair {
            *slot = (high << 4) | low;
        }
    }
    Ok(bcd)
}

/// The card manager master key of the card's issuer id and profile: of `key_version` when
/// given, else of the highest key version that has one.
fn card_manager_key<'k>(
    keys: &'k [UnsealedIssuerKeys],
    card: &jinka_clearing::CardEntry,
    key_version: Option<u8>,
) -> Result<&'k UnsealedIssuerKeys, HubError> {
    keys.iter()
        .filter(|set| {
            set.issuer_id.bytes() == card.issuer_id.bytes()
                && set.profile == card.profile
                && set.card_manager.is_some()
                && key_version.is_none_or(|version| version == set.key_version)
        })
        .max_by_key(|set| set.key_version)
        .ok_or_else(|| {
            HubError::conflict(
                "the hub keeps no card manager key of the card's issuer: upload its key set",
            )
        })
}

fn build(
    manager: &mut CardManager,
    profile: jinka_crypto::Profile,
    change: &ApplicationChange,
    asn: Asn,
) -> Result<Vec<Vec<u8>>, HubError> {
    let script = match change {
        ApplicationChange::Add {
            template,
            keys,
            start_date,
            expiry_date,
        } => {
            if keys.profile != profile {
                return Err(HubError::invalid(
                    "keys",
                    "the department's key set must have the card's profile",
                ));
            }
            let issuance = Issuance {
                asn: asn.bytes(),
                start_date: *start_date,
                expiry_date: *expiry_date,
            };
            template.script(manager, keys, &issuance)
        }
        ApplicationChange::Remove { aid } => vec![manager.delete_application(aid)],
    };
    if script.len() > SCRIPT_COMMANDS_MAX {
        return Err(HubError::corrupt("a management script is too long"));
    }
    Ok(script)
}

/// An application provider's request on a card.
pub struct ApplicationRequest {
    /// The card.
    pub asn: Asn,
    /// The application provider.
    pub requester: ParticipantId,
    /// What it asks.
    pub change: ApplicationChange,
    /// The key version of the card's card manager key (`None`: the highest the hub keeps).
    pub key_version: Option<u8>,
}

/// Stores an application provider's request and its script; `installed` are the card's
/// applications.
pub(crate) fn request_application(
    storage: &mut dyn ClearingStorage,
    keys: &[UnsealedIssuerKeys],
    installed: &[Aid],
    request: &ApplicationRequest,
    now: EpochMs,
) -> Result<CardOperation, HubError> {
    let ApplicationRequest {
        asn,
        requester,
        ref change,
        key_version,
    } = *request;
    let card = storage
        .card_entry(jinka_clearing::Asn::new(asn.bytes()))?
        .ok_or_else(|| HubError::not_found(format!("no card {asn}")))?;
    if card.status != jinka_clearing::CardStatus::Active {
        return Err(HubError::conflict(format!("card {asn} is not active")));
    }
    let issuer = ParticipantId::from_clearing(card.issuer)?;
    let (kind, aid) = match change {
        ApplicationChange::Add { template, .. } => (OperationKind::AddApplication, template.aid()),
        ApplicationChange::Remove { aid } => (OperationKind::RemoveApplication, *aid),
    };
    match (kind, installed.contains(&aid)) {
        (OperationKind::AddApplication, true) => {
            return Err(HubError::conflict(format!(
                "card {asn} has application {aid}"
            )));
        }
        (OperationKind::RemoveApplication, false) => {
            return Err(HubError::conflict(format!(
                "card {asn} has no application {aid}"
            )));
        }
        _ => {}
    }
    if storage.lifecycle().pending_operation_on(asn)? {
        return Err(HubError::conflict(format!(
            "card {asn} has a pending operation: it must end first"
        )));
    }
    let master = card_manager_key(keys, &card, key_version)?;
    let master_key = master
        .card_manager
        .as_ref()
        .ok_or_else(|| HubError::corrupt("card manager key vanished"))?;
    // Built once to count its commands, then again with the counters reserved for it.
    let mut counting = CardManager::new(card.profile, master_key, &asn.bytes(), 0);
    let count = u32::try_from(build(&mut counting, card.profile, change, asn)?.len())
        .map_err(|_| HubError::corrupt("a management script is too long"))?;
    let lifecycle = storage.lifecycle();
    let last = lifecycle.reserve_management_counters(asn, count, MANAGEMENT_COUNTER_FLOOR)?;
    let mut manager = CardManager::new(card.profile, master_key, &asn.bytes(), last);
    let script = build(&mut manager, card.profile, change, asn)?;
    let text = script
        .iter()
        .map(hex::encode_upper)
        .collect::<Vec<String>>()
        .join("\n");
    let new = NewOperation {
        kind,
        asn,
        new_asn: None,
        issuer,
        requester,
        aid: Some(aid),
        state: OperationState::AwaitingConsent,
        due_at: None,
    };
    let id = lifecycle.insert_card_operation(&new, now)?;
    lifecycle.set_card_operation_script(id, &text)?;
    lifecycle
        .card_operation(id)?
        .ok_or_else(|| HubError::corrupt(format!("card operation {id} vanished")))
}

fn application_operation(
    storage: &mut dyn ClearingStorage,
    id: u64,
    may_see: impl Fn(&CardOperation) -> bool,
) -> Result<CardOperation, HubError> {
    storage
        .lifecycle()
        .card_operation(id)?
        .filter(|operation| {
            matches!(
                operation.kind,
                OperationKind::AddApplication | OperationKind::RemoveApplication
            )
        })
        .filter(may_see)
        .ok_or_else(|| HubError::not_found(format!("no application operation {id} of yours")))
}

/// The card's issuer (`None`: the operator) consents to the operation `id`.
pub(crate) fn consent(
    storage: &mut dyn ClearingStorage,
    id: u64,
    issuer: Option<ParticipantId>,
    now: EpochMs,
) -> Result<CardOperation, HubError> {
    let operation = application_operation(storage, id, |operation| {
        issuer.is_none_or(|issuer| operation.issuer == issuer)
    })?;
    if operation.state != OperationState::AwaitingConsent {
        return Err(HubError::conflict(format!(
            "card operation {id} is not awaiting consent"
        )));
    }
    let lifecycle = storage.lifecycle();
    lifecycle.change_card_operation(
        id,
        OperationState::AwaitingConsent,
        OperationState::Pending,
        None,
        now,
    )?;
    lifecycle
        .card_operation(id)?
        .ok_or_else(|| HubError::corrupt(format!("card operation {id} vanished")))
}

/// The script of the consented operation `id`, for `caller` (its issuer or requester; `None`:
/// the operator).
pub(crate) fn script(
    storage: &mut dyn ClearingStorage,
    id: u64,
    caller: Option<ParticipantId>,
) -> Result<Script, HubError> {
    let operation = application_operation(storage, id, |operation| {
        caller.is_none_or(|caller| operation.issuer == caller || operation.requester == caller)
    })?;
    if operation.state != OperationState::Pending {
        return Err(HubError::conflict(format!(
            "card operation {id} is {}: its script is given only once consented and until \
             its result is reported",
            operation.state.name()
        )));
    }
    let text = storage
        .lifecycle()
        .card_operation_script(id)?
        .ok_or_else(|| HubError::corrupt(format!("card operation {id} has no script")))?;
    Ok(Script {
        operation: id,
        asn: operation.asn,
        apdus: text.lines().map(str::to_owned).collect(),
    })
}

/// Records the card's answers (`status_words`, one per command run) to the script of `id`:
/// completed when every command answered `9000`, failed otherwise.
pub(crate) fn report_result(
    storage: &mut dyn ClearingStorage,
    id: u64,
    caller: Option<ParticipantId>,
    status_words: &[u16],
    now: EpochMs,
) -> Result<CardOperation, HubError> {
    let script = script(storage, id, caller)?;
    if status_words.len() > script.apdus.len() {
        return Err(HubError::invalid(
            "status_words",
            "more status words than the script has commands",
        ));
    }
    let succeeded = status_words.len() == script.apdus.len()
        && status_words.iter().all(|word| *word == STATUS_OK);
    let lifecycle = storage.lifecycle();
    let operation = lifecycle
        .card_operation(id)?
        .ok_or_else(|| HubError::corrupt(format!("card operation {id} vanished")))?;
    let to = if succeeded {
        if let Some(aid) = operation.aid {
            let installed = operation.kind == OperationKind::AddApplication;
            lifecycle.set_card_application(operation.asn, &aid, installed)?;
        }
        OperationState::Completed
    } else {
        OperationState::Failed
    };
    lifecycle.change_card_operation(id, OperationState::Pending, to, None, now)?;
    lifecycle
        .card_operation(id)?
        .ok_or_else(|| HubError::corrupt(format!("card operation {id} vanished")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_eight_digits_in_bcd() {
        assert_eq!(bcd_date("d", "20260131").unwrap(), [0x20, 0x26, 0x01, 0x31]);
        assert!(bcd_date("d", "2026013").is_err());
        assert!(bcd_date("d", "2026013X").is_err());
        assert!(bcd_date("d", "202601311").is_err());
    }
}
