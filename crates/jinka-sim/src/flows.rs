//! One card transaction as the network runs it: the real [`jinka_terminal::Terminal`] flow
//! (purchase, transit tap, load authorized by the hub) against a card emulator, every APDU
//! counted, with the torn-card fault: a tear armed at a fault point of the final command's
//! write, the card powered up again, and the card presented again at the same terminal, whose
//! journal resolves it (GET TRANSACTION PROVE: the record if the card committed, nothing if
//! it did not, and then the transaction runs again).

use jinka_apdu::{Transport, TransportError};
use jinka_card::Nvm;
use jinka_record::TransactionRecord;
use jinka_terminal::{
    Approved, AuthorizeError, FareTable, LoadAuthorizer, LoadRequest, Moment, Refusal,
};

use crate::hub_port::{ConfirmAnswer, HubPort, LoadAnswer, PortError};
use crate::rng::SimRng;
use crate::world::{SimCard, SimTerminal};

/// A transaction to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tx {
    /// A purchase of an amount.
    Purchase(u32),
    /// A metro entry tap at a station.
    Enter(u16),
    /// A metro exit tap at a station.
    Exit(u16),
    /// A load of an amount.
    Load(u32),
}

impl Tx {
    /// Fault points of its final command's write: `2 × writes + 2` (journal each write, mark
    /// committed, apply each write, clear), with 2 writes (purse, log) or 3 for a tap (and
    /// the transit record).
    const fn fault_points(self) -> u32 {
        match self {
            Tx::Enter(_) | Tx::Exit(_) => 8,
            Tx::Purchase(_) | Tx::Load(_) => 6,
        }
    }
}

/// A card in the reader, counting the APDUs it answers.
pub struct Counted<'c> {
    /// The card.
    pub card: &'c mut SimCard,
    /// The count.
    pub apdus: &'c mut u64,
}

impl Transport for Counted<'_> {
    fn transmit(&mut self, command: &[u8], response: &mut Vec<u8>) -> Result<(), TransportError> {
        *self.apdus += 1;
        Transport::transmit(self.card, command, response)
    }
}

/// The terminal's load authorizer: the hub, through the port, as the terminal's owner.
struct PortAuthorizer<'h> {
    hub: &'h mut dyn HubPort,
    requester: u32,
    request_id: String,
    load_id: Option<String>,
    confirmed: Option<ConfirmAnswer>,
    refused: Option<String>,
    failure: Option<PortError>,
}

impl LoadAuthorizer for PortAuthorizer<'_> {
    fn authorize(&mut self, request: &LoadRequest) -> Result<[u8; 4], AuthorizeError> {
        match self
            .hub
            .authorize_load(self.requester, &self.request_id, request)
        {
            Ok(LoadAnswer::Approved { load_id, mac2 }) => {
                self.load_id = Some(load_id);
                Ok(mac2)
            }
            Ok(LoadAnswer::Refused(code)) => {
                self.refused = Some(code.clone());
                Err(AuthorizeError::Refused(code))
            }
            Err(error) => {
                let text = error.to_string();
                self.failure = Some(error);
                Err(AuthorizeError::Unavailable(text))
            }
        }
    }

    fn confirm(&mut self, _request: &LoadRequest, tac: [u8; 4]) -> Result<(), AuthorizeError> {
        let Some(load_id) = self.load_id.take() else {
            return Ok(());
        };
        match self.hub.confirm_load(self.requester, &load_id, tac) {
            Ok(answer) => {
                self.confirmed = Some(answer);
                Ok(())
            }
            Err(error) => {
                let text = error.to_string();
                self.failure = Some(error);
                Err(AuthorizeError::Unavailable(text))
            }
        }
    }
}

/// What a flow did.
#[derive(Debug)]
pub struct FlowOutcome {
    /// The terminal's answer.
    pub result: Result<Approved, Refusal>,
    /// For a load: how the hub answered its confirmation, if it was sent.
    pub confirmed: Option<ConfirmAnswer>,
    /// For a load: the hub's refusal code.
    pub load_refused: Option<String>,
    /// What a tear did, if one fired.
    pub tear: Option<TearOutcome>,
}

/// How a torn transaction ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TearOutcome {
    /// The card had committed: its record came from GET TRANSACTION PROVE.
    Recovered,
    /// It had not: the transaction ran again.
    RolledBack,
    /// The next presentation did not resolve it.
    Unresolved,
}

/// What one transaction works with.
pub struct Lane<'a> {
    /// The terminal.
    pub terminal: &'a mut SimTerminal,
    /// The card.
    pub card: &'a mut SimCard,
    /// The hub.
    pub hub: &'a mut dyn HubPort,
    /// The terminal's city's fares.
    pub fares: &'a FareTable,
    /// APDU count.
    pub apdus: &'a mut u64,
}

impl Lane<'_> {
    /// Runs `tx` at `moment`; `tear` draws whether (and where) the card is torn. The card
    /// leaves the field after it ([`SimCard::power_off`]): a million idle cards hold no
    /// session or command buffer.
    pub fn run(
        &mut self,
        tx: Tx,
        moment: Moment,
        tear: Option<&mut SimRng>,
    ) -> Result<FlowOutcome, PortError> {
        let outcome = self.run_in_field(tx, moment, tear);
        self.card.power_off();
        outcome
    }

    fn run_in_field(
        &mut self,
        tx: Tx,
        moment: Moment,
        tear: Option<&mut SimRng>,
    ) -> Result<FlowOutcome, PortError> {
        let armed = tear.map(|rng| rng.below(u64::from(tx.fault_points())) as u32);
        if let Some(steps) = armed {
            self.card.nvm_mut().arm_fault(steps);
        }
        let first = self.once(tx, moment);
        // A tear that did not fire (the flow stopped before its final command) is disarmed,
        // so it cannot fire in a later transaction.
        self.card.nvm_mut().disarm_fault();
        let mut outcome = first?;
        if !matches!(outcome.result, Err(Refusal::Torn)) {
            return Ok(outcome);
        }
        self.card.power_on();
        let presented = {
            let mut reader = Counted {
                card: self.card,
                apdus: self.apdus,
            };
            self.terminal.terminal.present(&mut reader, moment)
        };
        match presented {
            Ok(presented) => match presented.recovered {
                Some(record) => {
                    outcome.result = Ok(approved_from(record));
                    outcome.tear = Some(TearOutcome::Recovered);
                    Ok(outcome)
                }
                None => {
                    let mut again = self.once(tx, moment)?;
                    again.tear = Some(TearOutcome::RolledBack);
                    Ok(again)
                }
            },
            Err(refusal) => Ok(FlowOutcome {
                result: Err(refusal),
                confirmed: None,
                load_refused: None,
                tear: Some(TearOutcome::Unresolved),
            }),
        }
    }

    /// The flow once, without resolving a tear.
    fn once(&mut self, tx: Tx, moment: Moment) -> Result<FlowOutcome, PortError> {
        let mut reader = Counted {
            card: self.card,
            apdus: self.apdus,
        };
        let terminal = &mut self.terminal.terminal;
        let result = match tx {
            Tx::Purchase(amount_fen) => terminal.purchase(&mut reader, amount_fen, moment),
            Tx::Enter(station) => terminal.enter(&mut reader, self.fares, station, moment),
            Tx::Exit(station) => terminal.exit(&mut reader, self.fares, station, moment),
            Tx::Load(amount_fen) => {
                self.terminal.loads_requested += 1;
                let request_id = format!(
                    "{}-L{}",
                    hex::encode_upper(self.terminal.id),
                    self.terminal.loads_requested
                );
                let mut authorizer = PortAuthorizer {
                    hub: &mut *self.hub,
                    requester: self.terminal.owner,
                    request_id,
                    load_id: None,
                    confirmed: None,
                    refused: None,
                    failure: None,
                };
                let result =
                    self.terminal
                        .terminal
                        .load(&mut reader, &mut authorizer, amount_fen, moment);
                if let Some(failure) = authorizer.failure {
                    return Err(failure);
                }
                return Ok(FlowOutcome {
                    result,
                    confirmed: authorizer.confirmed,
                    load_refused: authorizer.refused,
                    tear: None,
                });
            }
        };
        Ok(FlowOutcome {
            result,
            confirmed: None,
            load_refused: None,
            tear: None,
        })
    }
}

/// The balance a record leaves on its card: before + amount for a load, before − amount for
/// a purchase (a record's balances are checked by its constructor: no overflow).
pub fn balance_after(record: &TransactionRecord) -> u32 {
    match record.kind() {
        jinka_record::TransactionKind::Load => record
            .balance_before_fen()
            .saturating_add(record.amount_fen()),
        _ => record
            .balance_before_fen()
            .saturating_sub(record.amount_fen()),
    }
}

/// The approval a resolved tear stands for.
fn approved_from(record: TransactionRecord) -> Approved {
    let balance_after_fen = balance_after(&record);
    Approved {
        record,
        balance_after_fen,
        recovered: None,
    }
}

/// The e-purse balance the card's memory holds (the simulation's truth); `None` if it has no
/// e-purse.
pub fn purse_balance(memory: &Nvm) -> Option<u32> {
    let state = &memory.state;
    state
        .applications
        .iter()
        .find(|app| app.aid.as_bytes() == jinka_card::E_PURSE_AID)
        .and_then(|app| app.purse)
        .map(|purse| purse.balance_fen)
}

/// The card's e-purse, to change (the test hooks that write a card behind the network's
/// back); `None` if it has no e-purse.
pub(crate) fn purse_mut(memory: &mut Nvm) -> Option<&mut jinka_card::Purse> {
    memory
        .state
        .applications
        .iter_mut()
        .find(|app| app.aid.as_bytes() == jinka_card::E_PURSE_AID)
        .and_then(|app| app.purse.as_mut())
}

/// The e-purse's offline and online counters as the card holds them.
pub fn purse_counters(memory: &Nvm) -> Option<(u16, u16)> {
    let state = &memory.state;
    state
        .applications
        .iter()
        .find(|app| app.aid.as_bytes() == jinka_card::E_PURSE_AID)
        .and_then(|app| app.purse)
        .map(|purse| (purse.offline_atc, purse.online_atc))
}

/// Whether the card's e-purse is blocked.
pub fn purse_blocked(memory: &Nvm) -> bool {
    memory.state.applications.iter().any(|app| {
        app.aid.as_bytes() == jinka_card::E_PURSE_AID && app.state != jinka_card::AppState::Active
    })
}
