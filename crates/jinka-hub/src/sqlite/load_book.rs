//! The loads' book a connection keeps: every authorization of the cards whose loads it has
//! read or written, card by card, so that authorizing and confirming a load reads its card's
//! loads from memory instead of three index lookups in `load_authorizations` (the card's
//! loads at an online ATC, its loads of the day, the load by request id).
//!
//! A card's list is whole or absent: it comes from one read of all the card's rows
//! ([`load_authorizations::card_authorizations`]), then follows this connection's inserts and
//! state changes of the card's loads. A transaction works on its own copy of each card it
//! touches ([`PendingLoads`]); the connection keeps the copies once the transaction commits
//! ([`LoadBook::keep`]) and drops them with the transaction otherwise. Another connection's
//! commit (`PRAGMA data_version`, watched by `CardLog::sync`) drops the whole book. Only
//! `load_authorizations`' columns that [`LoadAuthorization`] holds are kept: the request,
//! the requester, MAC2 and the state; `funded_by_operation` and the timestamps are read in
//! SQL as before.
//!
//! A list is in the order the read of all the card's rows gives (by date, amount, online ATC,
//! then as stored): a load inserted goes after every load that sorts with it.

use std::collections::hash_map::Entry;
use std::hash::BuildHasher;

use foldhash::{HashMap, HashMapExt};
use jinka_clearing::{Asn, LoadAuthorization, LoadState, LoadTransition, RequestId};
use jinka_record::Date;
use rusqlite::Transaction;

use crate::error::HubError;
use crate::sqlite::load_authorizations;

/// Most loads a connection keeps: a load takes 96 bytes and its request id's in its card's
/// list, its card's entry and 16 bytes in the index by request id's hash, about 230 bytes in
/// all with the hash tables' slack (the million-card day peaked 72 MiB lower than with the
/// ids themselves as the index's keys, which took about 300 bytes a load), so at most about
/// 230 MiB. Past it, cards not kept are read from `load_authorizations` by each transaction
/// that needs them.
pub(crate) const LOADS_KEPT_MAX: usize = 1_000_000;

/// The loads the connection keeps (from committed transactions only).
#[derive(Debug, Default)]
pub(crate) struct LoadBook {
    cards: HashMap<[u8; 8], Vec<LoadAuthorization>>,
    /// The card of every load in `cards`, by a hash of its request id ([`LoadBook::key`]):
    /// 16 bytes an entry where the id itself took 56 with its string. Two ids of one hash
    /// keep the later's card; the other is then not found in that card's list and is read
    /// from `load_authorizations`, as a load not kept is.
    ids: HashMap<u64, [u8; 8]>,
    /// The hash of [`LoadBook::key`], seeded at random (ids come from outside).
    hasher: foldhash::quality::RandomState,
    /// How many loads `cards` holds.
    loads: usize,
    /// [`LOADS_KEPT_MAX`] (fewer in tests).
    loads_max: usize,
}

/// The cards' lists one transaction read or changed: its copy of each, kept by the connection
/// after the commit.
#[derive(Debug, Default)]
pub(crate) struct PendingLoads {
    cards: HashMap<[u8; 8], Vec<LoadAuthorization>>,
    /// The card of each load this transaction inserted into a list.
    ids: HashMap<RequestId, [u8; 8]>,
}

/// Where `authorization` goes in `list`: after every load that sorts before or with it.
fn position(list: &[LoadAuthorization], authorization: &LoadAuthorization) -> usize {
    let new = load_authorizations::card_order(authorization);
    list.partition_point(|kept| load_authorizations::card_order(kept) <= new)
}

impl LoadBook {
    pub(crate) fn new() -> LoadBook {
        LoadBook {
            loads_max: LOADS_KEPT_MAX,
            ..LoadBook::default()
        }
    }

    /// Drops every list (another connection may have changed any load).
    pub(crate) fn clear(&mut self) {
        self.cards = HashMap::new();
        self.ids = HashMap::new();
        self.loads = 0;
    }

    /// Takes in a committed transaction's lists (as many as fit under the limit).
    pub(crate) fn keep(&mut self, pending: PendingLoads) {
        for (asn, list) in pending.cards {
            let before = self.cards.get(&asn).map_or(0, Vec::len);
            let after = self.loads - before + list.len();
            if before == 0 && after > self.loads_max {
                continue;
            }
            if before == 0 {
                for load in &list {
                    self.ids.insert(self.key(&load.request.request_id), asn);
                }
            }
            self.loads = after;
            self.cards.insert(asn, list);
        }
        // The loads the transaction inserted into lists kept before it.
        for (request_id, asn) in pending.ids {
            if self.cards.contains_key(&asn) {
                self.ids.insert(self.key(&request_id), asn);
            }
        }
    }

    /// The key of `request_id` in the index of the loads kept.
    fn key(&self, request_id: &RequestId) -> u64 {
        self.hasher.hash_one(request_id.as_str())
    }

    #[cfg(test)]
    pub(crate) fn with_max(loads_max: usize) -> LoadBook {
        LoadBook {
            loads_max,
            ..LoadBook::default()
        }
    }

    /// Points `request_id`'s key at `asn`'s list, as another id of the same hash would.
    #[cfg(test)]
    pub(crate) fn collide(&mut self, request_id: &RequestId, asn: Asn) {
        self.ids.insert(self.key(request_id), asn.bytes());
    }

    /// Whether the index leads to `request_id`'s card.
    #[cfg(test)]
    pub(crate) fn indexed(&self, request_id: &RequestId, asn: Asn) -> bool {
        self.ids.get(&self.key(request_id)) == Some(&asn.bytes())
    }

    #[cfg(test)]
    pub(crate) fn kept(&self, asn: Asn) -> Option<&[LoadAuthorization]> {
        self.cards.get(&asn.bytes()).map(Vec::as_slice)
    }
}

impl PendingLoads {
    /// The transaction's list of the card's loads: its copy, else a copy of the connection's,
    /// else read from `load_authorizations` whole.
    fn list(
        &mut self,
        tx: &Transaction<'_>,
        book: &LoadBook,
        asn: Asn,
    ) -> Result<&mut Vec<LoadAuthorization>, HubError> {
        let list = match self.cards.entry(asn.bytes()) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => entry.insert(match book.cards.get(&asn.bytes()) {
                Some(kept) => kept.clone(),
                None => {
                    let mut read = load_authorizations::card_authorizations(tx, asn)?;
                    read.shrink_to_fit();
                    read
                }
            }),
        };
        Ok(list)
    }

    /// The card's authorizations, those at `online_atc` if given, in the order
    /// [`load_authorizations::card_authorizations`] reads them.
    pub(crate) fn card_authorizations(
        &mut self,
        tx: &Transaction<'_>,
        book: &LoadBook,
        asn: Asn,
        online_atc: Option<u16>,
    ) -> Result<Vec<LoadAuthorization>, HubError> {
        let list = self.list(tx, book, asn)?;
        Ok(list
            .iter()
            .filter(|load| online_atc.is_none_or(|atc| load.online_atc() == atc))
            .cloned()
            .collect())
    }

    /// What the card loaded on `date`, voided loads aside (the daily limit's count).
    pub(crate) fn loaded_on(
        &mut self,
        tx: &Transaction<'_>,
        book: &LoadBook,
        asn: Asn,
        date: Date,
    ) -> Result<u64, HubError> {
        let list = self.list(tx, book, asn)?;
        list.iter()
            .filter(|load| load.request.date == date && load.state != LoadState::Voided)
            .try_fold(0_u64, |sum, load| {
                sum.checked_add(u64::from(load.request.amount_fen))
            })
            .ok_or_else(|| HubError::corrupt("a card's loads of a day overflow"))
    }

    /// The load `request_id`, from a list if one holds it, else from `load_authorizations`.
    pub(crate) fn authorization(
        &self,
        tx: &Transaction<'_>,
        book: &LoadBook,
        request_id: &RequestId,
    ) -> Result<Option<LoadAuthorization>, HubError> {
        let list_of = |asn: &[u8; 8]| {
            self.cards
                .get(asn)
                .or_else(|| book.cards.get(asn))
                .ok_or_else(|| HubError::corrupt("a kept load's card has no list"))
        };
        let find = |list: &[LoadAuthorization]| {
            list.iter()
                .find(|load| load.request.request_id == *request_id)
                .cloned()
        };
        if let Some(asn) = self.ids.get(request_id) {
            // Inserted by this transaction: in its card's list.
            return find(list_of(asn)?).map(Some).ok_or_else(|| {
                HubError::corrupt(format!("load {request_id} left its card's list"))
            });
        }
        if let Some(asn) = book.ids.get(&book.key(request_id))
            && let Some(found) = find(list_of(asn)?)
        {
            return Ok(Some(found));
        }
        // Not kept, or its hash leads to another id's card.
        load_authorizations::authorization(tx, request_id)
    }

    /// Inserts `authorization` (just stored) into its card's list, if the card has one.
    pub(crate) fn inserted(
        &mut self,
        tx: &Transaction<'_>,
        book: &LoadBook,
        authorization: &LoadAuthorization,
    ) -> Result<(), HubError> {
        let asn = authorization.asn();
        let key = asn.bytes();
        if !self.cards.contains_key(&key) && !book.cards.contains_key(&key) {
            // Not kept: a later read of the card's loads reads the row with the others.
            return Ok(());
        }
        let list = self.list(tx, book, asn)?;
        let at = position(list, authorization);
        // A card has few loads: its list grows by one, not to four (Vec's first capacity).
        list.reserve_exact(1);
        list.insert(at, authorization.clone());
        self.ids
            .insert(authorization.request.request_id.clone(), key);
        Ok(())
    }

    /// Applies `transition` (just stored) to the load in its card's list, if one holds it.
    pub(crate) fn transitioned(
        &mut self,
        tx: &Transaction<'_>,
        book: &LoadBook,
        transition: &LoadTransition,
    ) -> Result<(), HubError> {
        let key = transition.asn.bytes();
        if !self.cards.contains_key(&key) && !book.cards.contains_key(&key) {
            return Ok(());
        }
        let list = self.list(tx, book, transition.asn)?;
        let load = list
            .iter_mut()
            .find(|load| load.request.request_id == transition.request_id)
            .ok_or_else(|| {
                HubError::corrupt(format!(
                    "load {}: not in its card's list",
                    transition.request_id
                ))
            })?;
        load.state = transition.to;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use jinka_clearing::{
        IssuerId, LoadAuthorization, LoadRequest, LoadState, LoadTransition, PostedBy, RequestId,
        TerminalId,
    };
    use jinka_record::{Date, Time};
    use rusqlite::Connection;

    use super::LoadBook;
    use crate::clearing::ClearingStorage;
    use crate::clearing::storage::TransitionCause;
    use crate::clock::EpochMs;
    use crate::error::HubError;
    use crate::participant::ParticipantId;
    use crate::sqlite::SqliteStore;
    use crate::sqlite::card_log::tests::{asn, network, write};
    use crate::sqlite::load_authorizations;

    const NOW: EpochMs = EpochMs::new(1);
    const DAY: [u8; 4] = [0x20, 0x26, 0x11, 0x29];
    const NEXT_DAY: [u8; 4] = [0x20, 0x26, 0x11, 0x30];

    /// A pending load `id` of card `n` (the network's issuer asking).
    fn load(id: &str, n: u8, online_atc: u16, day: [u8; 4], amount_fen: u32) -> LoadAuthorization {
        LoadAuthorization {
            request: LoadRequest {
                request_id: RequestId::new(id).unwrap(),
                issuer_id: IssuerId::new([0, 0, 0, 0, 0, 0, 0, n]),
                asn: asn(n),
                key_version: 1,
                algorithm_id: 4,
                balance_before_fen: 1_000,
                online_atc,
                card_random: [1, 2, 3, 4],
                mac1: [5, 6, 7, 8],
                amount_fen,
                terminal_id: TerminalId::new([0xA0, 0, 0, 0, 0, 1]),
                date: Date::from_bcd(day).unwrap(),
                time: Time::from_bcd([0x12, 0x30, 0x00]).unwrap(),
            },
            requester: ParticipantId::new(1).unwrap().clearing(),
            mac2: [9, 9, 9, 9],
            state: LoadState::Pending,
        }
    }

    fn transition(load: &LoadAuthorization, to: LoadState) -> LoadTransition {
        LoadTransition {
            request_id: load.request.request_id.clone(),
            asn: load.asn(),
            online_atc: load.online_atc(),
            amount_fen: load.request.amount_fen,
            from: load.state,
            to,
        }
    }

    /// Card `n`'s loads as SQL reads them, on a connection of its own.
    fn in_sql(path: &std::path::Path, n: u8) -> Vec<LoadAuthorization> {
        let mut connection = Connection::open(path).unwrap();
        let tx = connection.transaction().unwrap();
        load_authorizations::card_authorizations(&tx, asn(n)).unwrap()
    }

    fn kept(store: &SqliteStore, n: u8) -> Option<Vec<LoadAuthorization>> {
        store.lock().card_log.loads.kept(asn(n)).map(<[_]>::to_vec)
    }

    /// What the storage answers for card `n`: its loads, those at `atc`, its loads of `DAY`.
    fn answers(
        storage: &mut dyn ClearingStorage,
        n: u8,
        atc: u16,
    ) -> Result<(Vec<LoadAuthorization>, Vec<LoadAuthorization>, u64), HubError> {
        Ok((
            storage.card_authorizations(asn(n), None)?,
            storage.card_authorizations(asn(n), Some(atc))?,
            storage.loaded_on(asn(n), Date::from_bcd(DAY).unwrap())?,
        ))
    }

    #[test]
    fn a_cards_loads_are_read_once_then_follow_the_connections_inserts_and_transitions() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("hub.sqlite3");
        let store = network(&path, 2);
        let (a, b, c) = (
            load("T-L1", 1, 1, DAY, 100),
            load("T-L2", 1, 2, DAY, 50),
            load("T-L3", 2, 1, DAY, 70),
        );
        write(&store, |storage| {
            for load in [&a, &b, &c] {
                storage.insert_authorization(load, NOW)?;
            }
            // Card 1's loads are read whole (with this transaction's two).
            assert_eq!(
                answers(storage, 1, 2)?,
                (vec![b.clone(), a.clone()], vec![b.clone()], 150)
            );
            Ok(())
        })
        .unwrap();
        assert_eq!(kept(&store, 1), Some(vec![b.clone(), a.clone()]));
        assert_eq!(kept(&store, 2), None, "card 2's loads were never read");

        // A rival at B's ATC and amount sorts after B; a load of the next day after both;
        // B voided stops counting toward the day.
        let d = load("T-L4", 1, 2, DAY, 50);
        let e = load("T-L5", 1, 3, NEXT_DAY, 20);
        let voided = LoadAuthorization {
            state: LoadState::Voided,
            ..b.clone()
        };
        write(&store, |storage| {
            storage.insert_authorization(&d, NOW)?;
            storage.insert_authorization(&e, NOW)?;
            storage.apply_transition(
                &transition(&b, LoadState::Voided),
                TransitionCause::Resolver,
                None,
                NOW,
            )?;
            let expected = vec![voided.clone(), d.clone(), a.clone(), e.clone()];
            assert_eq!(
                answers(storage, 1, 2)?,
                (expected, vec![voided.clone(), d.clone()], 150)
            );
            assert_eq!(
                storage.authorization(&d.request.request_id)?,
                Some(d.clone())
            );
            assert_eq!(
                storage.authorization(&b.request.request_id)?,
                Some(voided.clone())
            );
            // Card 2 is not kept: its load comes from SQL.
            assert_eq!(
                storage.authorization(&c.request.request_id)?,
                Some(c.clone())
            );
            Ok(())
        })
        .unwrap();
        assert_eq!(kept(&store, 1), Some(in_sql(&path, 1)));
        assert_eq!(in_sql(&path, 1).len(), 4);
        // Every load of the card kept is in the index: those read with it, those inserted.
        for load in [&a, &b, &d, &e] {
            let book = &store.lock().card_log.loads;
            assert!(book.indexed(&load.request.request_id, asn(1)), "{load:?}");
        }

        // A transaction that fails leaves the kept list as it was.
        let before = kept(&store, 1);
        let failed = write(&store, |storage| {
            storage.insert_authorization(&load("T-L6", 1, 4, DAY, 10), NOW)?;
            storage.apply_transition(
                &transition(&d, LoadState::Posted(PostedBy::Tac)),
                TransitionCause::Confirmation,
                None,
                NOW,
            )?;
            Err(HubError::corrupt("a later step failed"))
        });
        assert!(failed.is_err());
        assert_eq!(kept(&store, 1), before);
        assert_eq!(kept(&store, 1), Some(in_sql(&path, 1)));
    }

    #[test]
    fn another_connections_commit_drops_the_book_and_its_change_is_read() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("hub.sqlite3");
        let store = network(&path, 1);
        let a = load("T-L1", 1, 1, DAY, 100);
        write(&store, |storage| {
            storage.insert_authorization(&a, NOW)?;
            storage.card_authorizations(asn(1), None).map(drop)
        })
        .unwrap();
        assert_eq!(kept(&store, 1), Some(vec![a.clone()]));
        Connection::open(&path)
            .unwrap()
            .execute(
                "UPDATE load_authorizations SET state = 'voided' WHERE request_id = 'T-L1'",
                [],
            )
            .unwrap();
        write(&store, |storage| {
            assert_eq!(
                answers(storage, 1, 1)?.2,
                0,
                "the voided load no longer counts"
            );
            let found = storage.authorization(&a.request.request_id)?.unwrap();
            assert_eq!(found.state, LoadState::Voided);
            Ok(())
        })
        .unwrap();
        assert_eq!(kept(&store, 1), Some(in_sql(&path, 1)));
    }

    /// A network of two cards at `path`, a load of each (A of card 1, B of card 2) inserted
    /// and both cards' loads read in one committed transaction, into a book that keeps at
    /// most `loads_max` loads.
    fn two_cards_read(
        path: &std::path::Path,
        loads_max: usize,
    ) -> (SqliteStore, LoadAuthorization, LoadAuthorization) {
        let store = network(path, 2);
        store.lock().card_log.loads = LoadBook::with_max(loads_max);
        let (a, b) = (load("T-L1", 1, 1, DAY, 100), load("T-L2", 2, 1, DAY, 30));
        write(&store, |storage| {
            storage.insert_authorization(&a, NOW)?;
            storage.insert_authorization(&b, NOW)?;
            answers(storage, 1, 1)?;
            answers(storage, 2, 1).map(drop)
        })
        .unwrap();
        (store, a, b)
    }

    #[test]
    fn past_its_limit_the_book_keeps_no_new_card_and_answers_from_sql() {
        let directory = tempfile::tempdir().unwrap();
        let (store, a, b) = two_cards_read(&directory.path().join("hub.sqlite3"), 1);
        let kept_cards = [kept(&store, 1), kept(&store, 2)];
        assert_eq!(kept_cards.iter().flatten().count(), 1, "{kept_cards:?}");
        write(&store, |storage| {
            assert_eq!(
                answers(storage, 1, 1)?,
                (vec![a.clone()], vec![a.clone()], 100)
            );
            assert_eq!(
                answers(storage, 2, 1)?,
                (vec![b.clone()], vec![b.clone()], 30)
            );
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn a_request_id_whose_hash_points_at_another_card_is_read_from_sql() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("hub.sqlite3");
        let (store, a, b) = two_cards_read(&path, super::LOADS_KEPT_MAX);
        assert!(kept(&store, 1).is_some() && kept(&store, 2).is_some());
        // A's id and a new id both taken for ids of card 2's list.
        let new = RequestId::new("T-L9").unwrap();
        {
            let mut engine = store.lock();
            engine.card_log.loads.collide(&a.request.request_id, asn(2));
            engine.card_log.loads.collide(&new, asn(2));
        }
        write(&store, |storage| {
            assert_eq!(
                storage.authorization(&a.request.request_id)?,
                Some(a.clone())
            );
            assert_eq!(storage.authorization(&new)?, None);
            assert_eq!(
                storage.authorization(&b.request.request_id)?,
                Some(b.clone())
            );
            // A's confirmation finds it in its card's list all the same.
            storage.apply_transition(
                &transition(&a, LoadState::Posted(PostedBy::Tac)),
                TransitionCause::Confirmation,
                None,
                NOW,
            )?;
            let posted = storage.authorization(&a.request.request_id)?.unwrap();
            assert_eq!(posted.state, LoadState::Posted(PostedBy::Tac));
            Ok(())
        })
        .unwrap();
        assert_eq!(kept(&store, 1), Some(in_sql(&path, 1)));
        assert_eq!(
            kept(&store, 1).unwrap()[0].state,
            LoadState::Posted(PostedBy::Tac)
        );
    }
}
