//! [`InProcessHub`]: the hub in this process, on a data directory (SQLite by default, or the
//! PostgreSQL of `database_url`), through [`jinka_hub::Admin`]'s operator commands and its
//! in-process clearing face (`jinka_hub::admin_clearing`), which call the same functions as
//! the HTTP handlers. Its clock is the simulation's.

use std::path::PathBuf;
use std::sync::Arc;

use jinka_card::IssuerKeys;
use jinka_clearing::{LoadDecision, RequestId};
use jinka_crypto::Key16;
use jinka_hub::admin_clearing::{BatchReply, ClearingKeys, LoadConfirmation};
use jinka_hub::{
    Admin, Amount, FeeRate, FeeSchedule, HubConfig, HubError, IssuerId, Limits, NewCard,
    NewParticipant, NewTerminal, ParticipantId, Region, Role, Roles, TerminalId,
};
use jinka_terminal::LoadRequest;

use crate::clock::SimClock;
use crate::hub_port::{
    AccountTotals, CardSpec, ConfirmAnswer, HubCardState, HubPort, LoadAnswer, LoadAsk,
    LoadConfirm, ParticipantSpec, PortError, ResolvedLoads, TerminalSpec,
};

/// The name of the operator the in-process hub is created with.
pub const OPERATOR_NAME: &str = "Network operator";

/// A hub opened in this process.
pub struct InProcessHub {
    config: HubConfig,
    clock: SimClock,
    /// `None` only while restarting.
    admin: Option<Admin>,
    keys: ClearingKeys,
    limits: Limits,
}

fn port_error(error: HubError) -> PortError {
    match error.kind() {
        jinka_hub::ErrorKind::BadInput => PortError::Refused(error.to_string()),
        jinka_hub::ErrorKind::Unavailable => PortError::Unavailable(error.to_string()),
        jinka_hub::ErrorKind::Broken => PortError::Broken(error.to_string()),
    }
}

/// A batch's answer as the port gives it: the JSON text, or `batch_id_reused` refused.
fn batch_text(reply: BatchReply) -> Result<String, PortError> {
    match reply {
        BatchReply::Decided(text) | BatchReply::Replayed(text) => Ok(text),
        BatchReply::BatchIdReused => Err(PortError::Refused("batch_id_reused".to_owned())),
    }
}

fn party(id: u32) -> Result<ParticipantId, PortError> {
    ParticipantId::new(id).map_err(port_error)
}

impl InProcessHub {
    /// Opens (creating it when new) the hub in `data_dir` (or on `database_url`) with the
    /// simulation's clock, and registers its network operator. The KEK is the data
    /// directory's `kek` file (created on the first start).
    pub fn open(
        data_dir: PathBuf,
        database_url: Option<String>,
        clock: SimClock,
    ) -> Result<InProcessHub, PortError> {
        InProcessHub::open_with_kek(data_dir, database_url, None, clock)
    }

    /// [`InProcessHub::open`] with the key-encryption key `kek` instead of the data
    /// directory's file (a temporary hub needs no file to keep).
    pub fn open_with_kek(
        data_dir: PathBuf,
        database_url: Option<String>,
        kek: Option<Key16>,
        clock: SimClock,
    ) -> Result<InProcessHub, PortError> {
        let listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        let mut config = HubConfig::new(data_dir, listen);
        config.database_url = database_url;
        config.kek = kek;
        let admin = Admin::open_with_clock(&config, Arc::new(clock.clone())).map_err(port_error)?;
        let operator = NewParticipant::new(
            OPERATOR_NAME,
            Roles::new([Role::Operator]).map_err(port_error)?,
            Region::new(100_000),
        )
        .map_err(port_error)?;
        admin.add_participant(operator).map_err(port_error)?;
        let keys = admin.clearing_keys().map_err(port_error)?;
        Ok(InProcessHub {
            limits: config.limits,
            config,
            clock,
            admin: Some(admin),
            keys,
        })
    }

    fn admin(&self) -> Result<&Admin, PortError> {
        self.admin
            .as_ref()
            .ok_or_else(|| PortError::Unavailable("the hub is restarting".to_owned()))
    }
}

/// The hub's registration of a card with its e-purse.
fn new_card(issuer: u32, card: &CardSpec) -> Result<NewCard, PortError> {
    let e_purse = jinka_card::Aid::new(&jinka_card::E_PURSE_AID)
        .ok_or_else(|| PortError::Broken("the e-purse AID is not an AID".to_owned()))?;
    NewCard::new(
        jinka_hub::Asn::new(card.asn),
        party(issuer)?,
        IssuerId::new(card.issuer_id),
        card.profile,
        vec![e_purse],
    )
    .map_err(port_error)
}

/// The clearing form of a terminal's load request.
fn clearing_request(
    request_id: &str,
    request: &LoadRequest,
) -> Result<jinka_clearing::LoadRequest, PortError> {
    let request_id =
        RequestId::new(request_id).map_err(|error| PortError::Refused(error.to_string()))?;
    Ok(jinka_clearing::LoadRequest {
        request_id,
        issuer_id: jinka_clearing::IssuerId::new(request.issuer_id),
        asn: jinka_clearing::Asn::new(request.asn),
        key_version: request.key_version,
        algorithm_id: request.algorithm_id,
        balance_before_fen: request.balance_fen,
        online_atc: request.online_atc,
        card_random: request.card_random,
        mac1: request.mac1,
        amount_fen: request.amount_fen,
        terminal_id: jinka_clearing::TerminalId::new(request.terminal_id),
        date: request.date,
        time: request.time,
    })
}

fn load_answer(decision: LoadDecision) -> LoadAnswer {
    match decision {
        LoadDecision::Approved(approval) => LoadAnswer::Approved {
            load_id: approval
                .authorization
                .request
                .request_id
                .as_str()
                .to_owned(),
            mac2: approval.mac2,
        },
        LoadDecision::Refused(refusal) => LoadAnswer::Refused(refusal.code().to_owned()),
    }
}

fn confirm_answer(confirmation: LoadConfirmation) -> ConfirmAnswer {
    match confirmation {
        LoadConfirmation::Posted => ConfirmAnswer::Posted,
        LoadConfirmation::Voided => ConfirmAnswer::Voided,
        LoadConfirmation::Refused(reason) => ConfirmAnswer::Refused(reason.code().to_owned()),
        LoadConfirmation::UnknownLoad => ConfirmAnswer::UnknownLoad,
    }
}

fn role(name: &str) -> Result<Role, PortError> {
    Role::from_name(name).ok_or_else(|| PortError::Refused(format!("no role {name}")))
}

impl HubPort for InProcessHub {
    fn description(&self) -> String {
        match &self.config.database_url {
            Some(_) => "in process, PostgreSQL".to_owned(),
            None => format!("in process, SQLite in {}", self.config.data_dir.display()),
        }
    }

    fn add_participant(&mut self, spec: &ParticipantSpec) -> Result<u32, PortError> {
        let roles = spec
            .roles
            .iter()
            .map(|name| role(name))
            .collect::<Result<Vec<Role>, PortError>>()?;
        let fee = |field, basis_points| FeeRate::new(field, basis_points, Amount::ZERO);
        let fees = FeeSchedule {
            interchange: fee("fees.interchange", spec.interchange_bp).map_err(port_error)?,
            network: fee("fees.network", spec.network_bp).map_err(port_error)?,
        };
        let new = NewParticipant::new(
            &spec.name,
            Roles::new(roles).map_err(port_error)?,
            Region::new(spec.region),
        )
        .map_err(port_error)?
        .with_fees(fees);
        let participant = self.admin()?.add_participant(new).map_err(port_error)?;
        Ok(participant.id.get())
    }

    fn upload_issuer_keys(&mut self, issuer: u32, keys: &IssuerKeys) -> Result<(), PortError> {
        self.admin()?
            .upload_issuer_keys(party(issuer)?, keys)
            .map_err(port_error)?;
        self.keys = self.admin()?.clearing_keys().map_err(port_error)?;
        Ok(())
    }

    fn register_terminal(
        &mut self,
        owner: u32,
        terminal_id: [u8; 6],
        region: u32,
    ) -> Result<(), PortError> {
        self.admin()?
            .register_terminal(NewTerminal {
                terminal_id: TerminalId::new(terminal_id),
                owner: party(owner)?,
                region: Region::new(region),
            })
            .map_err(port_error)?;
        Ok(())
    }

    fn register_terminals(&mut self, terminals: &[TerminalSpec]) -> Result<(), PortError> {
        let new = terminals
            .iter()
            .map(|terminal| {
                Ok(NewTerminal {
                    terminal_id: TerminalId::new(terminal.terminal_id),
                    owner: party(terminal.owner)?,
                    region: Region::new(terminal.region),
                })
            })
            .collect::<Result<Vec<NewTerminal>, PortError>>()?;
        self.admin()?.register_terminals(new).map_err(port_error)?;
        Ok(())
    }

    fn register_card(&mut self, issuer: u32, card: &CardSpec) -> Result<(), PortError> {
        self.admin()?
            .register_card(new_card(issuer, card)?)
            .map_err(port_error)?;
        Ok(())
    }

    fn register_cards(&mut self, issuer: u32, cards: &[CardSpec]) -> Result<(), PortError> {
        let new = cards
            .iter()
            .map(|card| new_card(issuer, card))
            .collect::<Result<Vec<NewCard>, PortError>>()?;
        self.admin()?.register_cards(new).map_err(port_error)?;
        Ok(())
    }

    fn upload_batch(&mut self, uploader: u32, body: &[u8]) -> Result<String, PortError> {
        let reply = self
            .admin()?
            .upload_bulk_batch(party(uploader)?, body, &self.keys)
            .map_err(port_error)?;
        batch_text(reply)
    }

    fn upload_batches(&mut self, uploads: &[(u32, &[u8])]) -> Vec<Result<String, PortError>> {
        let admin = match self.admin() {
            Ok(admin) => admin,
            Err(error) => return uploads.iter().map(|_| Err(error.clone())).collect(),
        };
        let mut answers: Vec<Option<Result<String, PortError>>> = std::iter::repeat_with(|| None)
            .take(uploads.len())
            .collect();
        let mut parties = Vec::with_capacity(uploads.len());
        for (index, (uploader, body)) in uploads.iter().enumerate() {
            match party(*uploader) {
                Ok(party) => parties.push((index, (party, *body))),
                Err(error) => answers[index] = Some(Err(error)),
            }
        }
        let asked: Vec<(ParticipantId, &[u8])> = parties.iter().map(|(_, ask)| *ask).collect();
        let replies = admin.upload_bulk_batches(&asked, &self.keys);
        for ((index, _), reply) in parties.iter().zip(replies) {
            answers[*index] = Some(reply.map_err(port_error).and_then(batch_text));
        }
        answers
            .into_iter()
            .map(|answer| {
                answer.unwrap_or_else(|| Err(PortError::Broken("an upload unanswered".to_owned())))
            })
            .collect()
    }

    fn authorize_load(
        &mut self,
        requester: u32,
        request_id: &str,
        request: &LoadRequest,
    ) -> Result<LoadAnswer, PortError> {
        let request = clearing_request(request_id, request)?;
        let decision = self
            .admin()?
            .authorize_load(party(requester)?, &request, &self.limits, &self.keys)
            .map_err(port_error)?;
        Ok(load_answer(decision))
    }

    fn authorize_loads(&mut self, loads: &[LoadAsk<'_>]) -> Result<Vec<LoadAnswer>, PortError> {
        let requests = loads
            .iter()
            .map(|ask| {
                Ok((
                    party(ask.requester)?,
                    clearing_request(ask.request_id, ask.request)?,
                ))
            })
            .collect::<Result<Vec<_>, PortError>>()?;
        let decisions = self
            .admin()?
            .authorize_loads(&requests, &self.limits, &self.keys)
            .map_err(port_error)?;
        decisions
            .into_iter()
            .map(|decision| decision.map(load_answer).map_err(port_error))
            .collect()
    }

    fn confirm_load(
        &mut self,
        requester: u32,
        load_id: &str,
        tac: [u8; 4],
    ) -> Result<ConfirmAnswer, PortError> {
        let Ok(load_id) = RequestId::new(load_id) else {
            return Ok(ConfirmAnswer::UnknownLoad);
        };
        let confirmation = self
            .admin()?
            .confirm_load(party(requester)?, &load_id, tac, &self.keys)
            .map_err(port_error)?;
        Ok(confirm_answer(confirmation))
    }

    fn confirm_loads(
        &mut self,
        confirmations: &[LoadConfirm<'_>],
    ) -> Result<Vec<ConfirmAnswer>, PortError> {
        // A load id the hub cannot have made is answered here, as `confirm_load` does.
        let mut asked = Vec::with_capacity(confirmations.len());
        let mut answers: Vec<Option<ConfirmAnswer>> = Vec::with_capacity(confirmations.len());
        for confirm in confirmations {
            match RequestId::new(confirm.load_id) {
                Ok(load_id) => {
                    asked.push((party(confirm.requester)?, load_id, confirm.tac));
                    answers.push(None);
                }
                Err(_) => answers.push(Some(ConfirmAnswer::UnknownLoad)),
            }
        }
        let mut decided = self
            .admin()?
            .confirm_loads(&asked, &self.keys)
            .map_err(port_error)?
            .into_iter();
        answers
            .into_iter()
            .map(|answer| match answer {
                Some(answer) => Ok(answer),
                None => match decided.next() {
                    Some(confirmation) => confirmation.map(confirm_answer).map_err(port_error),
                    None => Err(PortError::Broken(
                        "fewer confirmations answered than asked".to_owned(),
                    )),
                },
            })
            .collect()
    }

    fn resolve_overdue_loads(&mut self) -> Result<Option<ResolvedLoads>, PortError> {
        let now = jinka_hub::Clock::now(&self.clock);
        let resolved = self
            .admin()?
            .resolve_unconfirmed_loads(now)
            .map_err(port_error)?;
        Ok(Some(ResolvedLoads {
            posted: resolved.posted,
            voided: resolved.voided,
            unresolved: resolved.unresolved,
        }))
    }

    fn close_window(&mut self) -> Result<serde_json::Value, PortError> {
        let report = self
            .admin()?
            .close_settlement_window()
            .map_err(port_error)?;
        serde_json::to_value(&report).map_err(|error| PortError::Broken(error.to_string()))
    }

    fn restart(&mut self) -> Result<bool, PortError> {
        // The old handle is closed before the new one opens, as a process that stops and
        // starts again would.
        self.admin = None;
        let admin = Admin::open_with_clock(&self.config, Arc::new(self.clock.clone()))
            .map_err(port_error)?;
        self.keys = admin.clearing_keys().map_err(port_error)?;
        self.admin = Some(admin);
        Ok(true)
    }

    fn report_lost(&mut self, asn: [u8; 8]) -> Result<bool, PortError> {
        // As the card's issuer would (`POST /v1/cards/{asn}/hotlist`), acting as the operator.
        self.admin()?
            .hotlist_card(None, jinka_hub::Asn::new(asn), "lost")
            .map_err(port_error)?;
        Ok(true)
    }

    fn hotlisted(&mut self) -> Result<Option<Vec<[u8; 8]>>, PortError> {
        let full = self.admin()?.blacklist(None).map_err(port_error)?;
        Ok(Some(match full {
            jinka_risk::BlacklistUpdate::Full { entries, .. } => {
                entries.iter().map(|asn| asn.bytes()).collect()
            }
            jinka_risk::BlacklistUpdate::Delta { added, .. } => {
                added.iter().map(|asn| asn.bytes()).collect()
            }
        }))
    }

    fn card_states(
        &mut self,
        asns: &[[u8; 8]],
    ) -> Result<Option<Vec<Option<HubCardState>>>, PortError> {
        let asns: Vec<jinka_clearing::Asn> = asns
            .iter()
            .map(|asn| jinka_clearing::Asn::new(*asn))
            .collect();
        let entries = self
            .admin()?
            .card_clearing_states(&asns)
            .map_err(port_error)?;
        Ok(Some(
            entries
                .into_iter()
                .map(|entry| {
                    entry.map(|entry| HubCardState {
                        shadow_balance_fen: entry.shadow_balance_fen,
                        offline_highest: entry.offline.highest(),
                        offline_missing: entry.offline.missing(),
                        online_highest: entry.online.highest(),
                        online_missing: entry.online.missing(),
                    })
                })
                .collect(),
        ))
    }

    fn ledger_accounts(&mut self) -> Result<Option<Vec<AccountTotals>>, PortError> {
        let accounts = self.admin()?.ledger_accounts().map_err(port_error)?;
        Ok(Some(
            accounts
                .into_iter()
                .map(|account| AccountTotals {
                    participant: account.participant.get(),
                    account: account.account.to_owned(),
                    debits_fen: account.debits_fen,
                    credits_fen: account.credits_fen,
                })
                .collect(),
        ))
    }
}
