//! Load (`card.md` § Load): INITIALIZE FOR LOAD, MAC2 from the issuer side through a
//! [`LoadAuthorizer`], CREDIT FOR LOAD, the TAC kept as the load's confirmation.

use jinka_apdu::Transport;
use jinka_card::IssuerKeys;
use jinka_crypto::{Profile, diversify, mac_eq, session_key};
use jinka_record::{Date, Time, TransactionKind};
use jinka_sam::Sam;

use crate::exchange::{command, exchange_fixed};
use crate::journal::{PendingTransaction, TerminalJournal};
use crate::purchase::{Approved, PURSE_KEY_INDEX, record_of};
use crate::refusal::Refusal;
use crate::terminal::{Moment, PresentedCard, Terminal};

/// What the issuer side needs to authorize a load: the card's INITIALIZE FOR LOAD answer and
/// the load's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadRequest {
    /// Issuer id from EF 0x15.
    pub issuer_id: [u8; 8],
    /// ASN8.
    pub asn: [u8; 8],
    /// Key version the card reported.
    pub key_version: u8,
    /// Algorithm id the card reported.
    pub algorithm_id: u8,
    /// Balance before.
    pub balance_fen: u32,
    /// Online ATC.
    pub online_atc: u16,
    /// Card random.
    pub card_random: [u8; 4],
    /// The card's MAC1.
    pub mac1: [u8; 4],
    /// Amount.
    pub amount_fen: u32,
    /// Terminal id.
    pub terminal_id: [u8; 6],
    /// Date.
    pub date: Date,
    /// Time.
    pub time: Time,
}

/// Why the issuer side refused a load.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthorizeError {
    /// The issuer is not known to the authorizer.
    #[error("unknown issuer")]
    UnknownIssuer,
    /// No load key of that version and algorithm.
    #[error("no load key of version {0} for that algorithm")]
    UnknownKeyVersion(u8),
    /// MAC1 does not verify: not a genuine card, or a tampered request.
    #[error("MAC1 does not verify")]
    Mac1Invalid,
    /// Refused by policy (limits, card status).
    #[error("refused: {0}")]
    Refused(String),
    /// The issuer side could not be reached or failed: try again.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

/// The issuer side of a load (the hub implements it; a stand-alone shop uses
/// [`LocalAuthorizer`]).
pub trait LoadAuthorizer {
    /// Checks MAC1 and answers MAC2.
    fn authorize(&mut self, request: &LoadRequest) -> Result<[u8; 4], AuthorizeError>;
    /// The card's TAC confirming the load.
    fn confirm(&mut self, request: &LoadRequest, tac: [u8; 4]) -> Result<(), AuthorizeError>;
}

/// An authorizer holding issuers' load master keys itself.
pub struct LocalAuthorizer {
    issuers: Vec<IssuerKeys>,
}

impl LocalAuthorizer {
    /// An authorizer for these issuers.
    pub fn new(issuers: Vec<IssuerKeys>) -> LocalAuthorizer {
        LocalAuthorizer { issuers }
    }
}

impl LoadAuthorizer for LocalAuthorizer {
    fn authorize(&mut self, request: &LoadRequest) -> Result<[u8; 4], AuthorizeError> {
        let issuer = self
            .issuers
            .iter()
            .find(|keys| keys.issuer_id == request.issuer_id)
            .ok_or(AuthorizeError::UnknownIssuer)?;
        let profile =
            Profile::from_algorithm_id(request.algorithm_id).filter(|p| *p == issuer.profile);
        if profile.is_none() || issuer.key_version != request.key_version {
            return Err(AuthorizeError::UnknownKeyVersion(request.key_version));
        }
        let dlk = diversify(issuer.profile, &issuer.load, &request.asn);
        let [a, b] = request.online_atc.to_be_bytes();
        let r = request.card_random;
        let session = session_key(
            issuer.profile,
            &dlk,
            &[r[0], r[1], r[2], r[3], a, b, 0x80, 0x00],
        );
        let amount = request.amount_fen.to_be_bytes();
        let expected = session.mac(&[
            &request.balance_fen.to_be_bytes(),
            &amount,
            &[0x02],
            &request.terminal_id,
        ]);
        if !mac_eq(&expected, &request.mac1) {
            return Err(AuthorizeError::Mac1Invalid);
        }
        Ok(session.mac(&[
            &amount,
            &[0x02],
            &request.terminal_id,
            &request.date.bcd(),
            &request.time.bcd(),
        ]))
    }

    fn confirm(&mut self, _request: &LoadRequest, _tac: [u8; 4]) -> Result<(), AuthorizeError> {
        Ok(())
    }
}

/// A load between INITIALIZE FOR LOAD and CREDIT FOR LOAD ([`Terminal::start_load`]): the
/// request the issuer side answers with MAC2 ([`Terminal::finish_load`]). The card stays in the
/// reader (its session holds the load's keys) and the terminal runs no other transaction with
/// it meanwhile; other terminals' loads may be authorized together with this one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StartedLoad {
    /// What the issuer side checks and answers.
    pub request: LoadRequest,
    presented: PresentedCard,
}

impl<S: Sam, J: TerminalJournal> Terminal<S, J> {
    /// A load of `amount_fen` authorized by `authorizer`: [`Terminal::start_load`], the
    /// authorizer's MAC2, [`Terminal::finish_load`], then the TAC to the authorizer.
    pub fn load(
        &mut self,
        card: &mut impl Transport,
        authorizer: &mut impl LoadAuthorizer,
        amount_fen: u32,
        moment: Moment,
    ) -> Result<Approved, Refusal> {
        let started = self.start_load(card, amount_fen, moment)?;
        let mac2 = authorizer.authorize(&started.request)?;
        let approved = self.finish_load(card, &started, mac2)?;
        // The load stands on the card whatever the confirmation's fate; the record carries the
        // TAC to the hub in the next upload too.
        let _ = authorizer.confirm(&started.request, approved.record.tac());
        Ok(approved)
    }

    /// The first half of a load: the card presented, INITIALIZE FOR LOAD; the request to
    /// authorize.
    pub fn start_load(
        &mut self,
        card: &mut impl Transport,
        amount_fen: u32,
        moment: Moment,
    ) -> Result<StartedLoad, Refusal> {
        let presented = self.present(card, moment)?;
        let terminal_id = self.sam.terminal_id();
        let init = command(
            &mut self.apdu,
            [0x80, 0x50, 0x00, 0x02],
            &[&[PURSE_KEY_INDEX], &amount_fen.to_be_bytes(), &terminal_id],
            Some(0x10),
        );
        let answer: [u8; 16] =
            exchange_fixed(card, "INITIALIZE FOR LOAD", init, &mut self.response)?;
        let public = presented.public;
        let request = LoadRequest {
            issuer_id: public.issuer_id,
            asn: public.asn,
            key_version: answer[6],
            algorithm_id: answer[7],
            balance_fen: u32::from_be_bytes([answer[0], answer[1], answer[2], answer[3]]),
            online_atc: u16::from_be_bytes([answer[4], answer[5]]),
            card_random: [answer[8], answer[9], answer[10], answer[11]],
            mac1: [answer[12], answer[13], answer[14], answer[15]],
            amount_fen,
            terminal_id,
            date: moment.date,
            time: moment.time,
        };
        Ok(StartedLoad { request, presented })
    }

    /// The second half of a load started by [`Terminal::start_load`] on the same card, with
    /// the issuer side's `mac2`: CREDIT FOR LOAD, the record journalled. The record's TAC is
    /// the load's confirmation for the issuer side.
    pub fn finish_load(
        &mut self,
        card: &mut impl Transport,
        started: &StartedLoad,
        mac2: [u8; 4],
    ) -> Result<Approved, Refusal> {
        let request = &started.request;
        let presented = &started.presented;
        let pending = PendingTransaction {
            asn: request.asn,
            issuer_id: request.issuer_id,
            kind: TransactionKind::Load,
            amount_fen: request.amount_fen,
            balance_before_fen: request.balance_fen,
            atc: request.online_atc,
            terminal_serial: None,
            terminal_id: request.terminal_id,
            date: request.date,
            time: request.time,
            key_version: request.key_version,
            algorithm_id: request.algorithm_id,
        };
        self.journal.put_pending(&pending)?;
        let credit = command(
            &mut self.apdu,
            [0x80, 0x52, 0x00, 0x00],
            &[&request.date.bcd(), &request.time.bcd(), &mac2],
            Some(0x04),
        );
        let tac: [u8; 4] = match exchange_fixed(card, "CREDIT FOR LOAD", credit, &mut self.response)
        {
            Ok(tac) => tac,
            Err(error) => return self.settle_unanswered(card, presented, &pending, error),
        };
        let record = record_of(&pending, tac)?;
        self.journal.record(&record)?;
        self.journal.clear_pending(&request.asn)?;
        let balance_after_fen = request.balance_fen.saturating_add(request.amount_fen);
        Ok(Approved {
            record,
            balance_after_fen,
            recovered: presented.recovered,
        })
    }
}
