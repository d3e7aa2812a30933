//! The cards' clearing columns as a log (migration 018): each write transaction appends one
//! row per card it changed to `card_log`, and a connection keeps every logged card's newest
//! columns in memory ([`CardLog`]), so that reading a card takes its registry columns from
//! `cards` and its clearing columns from memory. A fold writes the newest columns into `cards`
//! in ASN order and empties the log.
//!
//! Several connections (the hub and the CLI's admin commands, in other processes) share the
//! log: each [`CardLog::sync`]s at the start of a transaction, reading the rows appended since
//! its last look, or the whole log again when a fold moved `card_log_folds.generation`.
//!
//! The connection also keeps the `cards` rows it has read ([`CardRow`]: the registry columns
//! the decisions read and the clearing columns as the row holds them), so that a card is read
//! from `cards` once, not once a record. A row changes only by this connection's fold (which
//! updates what is kept), by a change of a card's status or registry (forgotten by
//! [`Pending::forget`], the rows dropped at the commit), or by another connection: `PRAGMA
//! data_version` moves when another connection commits, and [`CardLog::sync`] then drops every
//! row kept. Rows read by a transaction are kept only after it commits.

use foldhash::{HashMap, HashMapExt, HashSet};
use jinka_clearing::{Asn, CardChange, CounterState};
use jinka_crypto::Profile;
use rusqlite::{Row, Transaction, params};

use crate::card::CardStatus;
use crate::error::HubError;
use crate::participant::ParticipantId;
use crate::sqlite::card_states::{decode_counter, encode_edges, encode_gaps, encode_point};
use crate::sqlite::load_book::{LoadBook, PendingLoads};
use crate::sqlite::storage_error;

/// Log rows after which the hub folds the log into `cards`. A fold costs one pass over the
/// logged cards' rows in ASN order; an opening hub reads the log whole; the memory holds at
/// most this many cards (48 bytes each, and the hash table's slack).
pub(crate) const FOLD_ROWS: i64 = 1 << 20;

/// Most `cards` rows a connection keeps: 64 bytes each in a hash table of at most 2^22 slots
/// (it grows past 7/8 full), about 260 MiB at most, 130 MiB for a million cards. Past it,
/// rows read are used by their transaction only.
pub(crate) const ROWS_KEPT_MAX: usize = 3_000_000;

/// A card's registry columns as the clearing decisions read them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Registry {
    pub(crate) issuer: ParticipantId,
    pub(crate) issuer_id: [u8; 8],
    pub(crate) profile: Profile,
    pub(crate) status: CardStatus,
}

/// A `cards` row as a connection read it: the registry columns, and the clearing columns as
/// the row holds them (the log's, if it holds the card, are newer).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CardRow {
    pub(crate) registry: Registry,
    pub(crate) clearing: Clearing,
}

/// One counter's columns, as stored: the highest ATC and the balances at it (the gaps and
/// their edges are in [`Clearing`]'s `rest`). 12 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counter {
    point: [u8; 8],
    highest: u16,
    /// [`Counter::HIGHEST`] and [`Counter::POINT`]: which of the two are known (NULL otherwise).
    known: u8,
}

impl Counter {
    const HIGHEST: u8 = 1;
    const POINT: u8 = 2;

    fn new(highest: Option<u16>, point: Option<[u8; 8]>) -> Counter {
        let mut known = 0;
        if highest.is_some() {
            known |= Counter::HIGHEST;
        }
        if point.is_some() {
            known |= Counter::POINT;
        }
        Counter {
            point: point.unwrap_or_default(),
            highest: highest.unwrap_or_default(),
            known,
        }
    }

    fn highest(&self) -> Option<u16> {
        (self.known & Counter::HIGHEST != 0).then_some(self.highest)
    }

    fn point(&self) -> Option<&[u8; 8]> {
        (self.known & Counter::POINT != 0).then_some(&self.point)
    }
}

/// Both counters' gaps and edges, as stored; most cards have none.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Rest {
    offline_gaps: Vec<u8>,
    offline_edges: Vec<u8>,
    online_gaps: Vec<u8>,
    online_edges: Vec<u8>,
}

/// A card's clearing columns, compactly (40 bytes, and the gaps and edges on the heap when
/// there are any): what `cards` or the log holds for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Clearing {
    pub(crate) shadow_balance_fen: i64,
    offline: Counter,
    online: Counter,
    rest: Option<Box<Rest>>,
}

/// The clearing columns in the order `cards` and `card_log` name them (for SELECT lists and
/// [`Clearing::from_row`]), as a literal for `concat!`.
macro_rules! clearing_columns {
    () => {
        "shadow_balance_fen, offline_highest_atc, offline_gaps, offline_point, offline_edges, \
         online_highest_atc, online_gaps, online_point, online_edges"
    };
}
pub(crate) use clearing_columns;

/// Column `index` of `row`, named `name` in `table`, as a BLOB (`None`: NULL); any other
/// type is a damaged row.
fn blob<'r>(
    row: &'r Row<'_>,
    index: usize,
    table: &str,
    name: &str,
) -> Result<Option<&'r [u8]>, HubError> {
    row.get_ref(index)
        .map_err(storage_error)?
        .as_blob_or_null()
        .map_err(|_| HubError::corrupt(format!("table {table}: column {name} is not a BLOB")))
}

/// Column `index` of `row` as an integer (`None`: NULL), or a damaged row.
fn integer(row: &Row<'_>, index: usize, table: &str, name: &str) -> Result<Option<i64>, HubError> {
    row.get_ref(index)
        .map_err(storage_error)?
        .as_i64_or_null()
        .map_err(|_| HubError::corrupt(format!("table {table}: column {name} is not an integer")))
}

/// The offline counter's four columns, by name.
const OFFLINE: [&str; 4] = [
    "offline_highest_atc",
    "offline_gaps",
    "offline_point",
    "offline_edges",
];
/// The online counter's.
const ONLINE: [&str; 4] = [
    "online_highest_atc",
    "online_gaps",
    "online_point",
    "online_edges",
];

/// A counter's four columns (`names`) from column `first` of `row` on; its gaps and edges.
fn counter_columns<'r>(
    row: &'r Row<'_>,
    first: usize,
    table: &str,
    names: [&str; 4],
) -> Result<(Counter, &'r [u8], &'r [u8]), HubError> {
    let [highest_name, gaps_name, point_name, edges_name] = names;
    let highest = integer(row, first, table, highest_name)?
        .map(|atc| {
            u16::try_from(atc).map_err(|_| {
                HubError::corrupt(format!(
                    "table {table}: column {highest_name} out of its domain"
                ))
            })
        })
        .transpose()?;
    let gaps = blob(row, first + 1, table, gaps_name)?.unwrap_or_default();
    let point = blob(row, first + 2, table, point_name)?
        .map(|bytes| {
            <[u8; 8]>::try_from(bytes)
                .map_err(|_| HubError::corrupt(format!("table {table}: {point_name}")))
        })
        .transpose()?;
    let edges = blob(row, first + 3, table, edges_name)?.unwrap_or_default();
    Ok((Counter::new(highest, point), gaps, edges))
}

/// A row of `card_log`: its `seq`, card and clearing columns.
fn log_row(row: &Row<'_>) -> Result<(i64, [u8; 8], Clearing), HubError> {
    const TABLE: &str = "card_log";
    let seq = integer(row, 0, TABLE, "seq")?.unwrap_or_default();
    let asn = blob(row, 1, TABLE, "asn")?
        .and_then(|bytes| <[u8; 8]>::try_from(bytes).ok())
        .ok_or_else(|| HubError::corrupt(format!("table {TABLE}: row {seq}: asn")))?;
    Ok((seq, asn, Clearing::from_row(TABLE, row, 2)?))
}

/// A counter from its columns.
fn decode(
    table: &str,
    name: &str,
    counter: &Counter,
    gaps: &[u8],
    edges: &[u8],
) -> Result<CounterState, HubError> {
    decode_counter(
        table,
        name,
        counter.highest().map(i64::from),
        gaps,
        counter.point().map(<[u8; 8]>::as_slice),
        edges,
    )
}

impl Clearing {
    /// From the nine columns of `row` from column `first` on, in [`clearing_columns`]' order (`table`
    /// names where, for a damaged row's error).
    pub(crate) fn from_row(table: &str, row: &Row<'_>, first: usize) -> Result<Clearing, HubError> {
        Clearing::decoded_from_row(table, row, first).map(|(clearing, _, _)| clearing)
    }

    /// [`Clearing::from_row`] with the offline and online counters it decoded to check them,
    /// for a reader that needs them (each decoded once).
    pub(crate) fn decoded_from_row(
        table: &str,
        row: &Row<'_>,
        first: usize,
    ) -> Result<(Clearing, CounterState, CounterState), HubError> {
        let shadow = integer(row, first, table, "shadow_balance_fen")?.ok_or_else(|| {
            HubError::corrupt(format!("table {table}: column shadow_balance_fen is NULL"))
        })?;
        let (offline, offline_gaps, offline_edges) =
            counter_columns(row, first + 1, table, OFFLINE)?;
        let (online, online_gaps, online_edges) = counter_columns(row, first + 5, table, ONLINE)?;
        let rest = if [offline_gaps, offline_edges, online_gaps, online_edges]
            .iter()
            .all(|bytes| bytes.is_empty())
        {
            None
        } else {
            Some(Box::new(Rest {
                offline_gaps: offline_gaps.to_vec(),
                offline_edges: offline_edges.to_vec(),
                online_gaps: online_gaps.to_vec(),
                online_edges: online_edges.to_vec(),
            }))
        };
        let clearing = Clearing {
            shadow_balance_fen: shadow,
            offline,
            online,
            rest,
        };
        // Checked here, so that a damaged row is refused where it is read.
        let offline = clearing.offline(table)?;
        let online = clearing.online(table)?;
        Ok((clearing, offline, online))
    }

    fn new(shadow_balance_fen: i64, offline: Counter, online: Counter, rest: Rest) -> Clearing {
        let empty = rest == Rest::default();
        Clearing {
            shadow_balance_fen,
            offline,
            online,
            rest: (!empty).then(|| Box::new(rest)),
        }
    }

    /// A change's new columns.
    pub(crate) fn of_change(change: &CardChange) -> Clearing {
        let counter = |state: &CounterState| Counter::new(state.highest(), encode_point(state));
        let rest = Rest {
            offline_gaps: encode_gaps(&change.offline),
            offline_edges: encode_edges(&change.offline),
            online_gaps: encode_gaps(&change.online),
            online_edges: encode_edges(&change.online),
        };
        Clearing::new(
            change.shadow_balance_after_fen,
            counter(&change.offline),
            counter(&change.online),
            rest,
        )
    }

    /// The same columns with `shadow_balance_fen` instead.
    pub(crate) fn with_shadow(&self, shadow_balance_fen: i64) -> Clearing {
        Clearing {
            shadow_balance_fen,
            ..self.clone()
        }
    }

    fn rest(&self) -> &Rest {
        const NONE: &Rest = &Rest {
            offline_gaps: Vec::new(),
            offline_edges: Vec::new(),
            online_gaps: Vec::new(),
            online_edges: Vec::new(),
        };
        self.rest.as_deref().unwrap_or(NONE)
    }

    /// The offline counter (`table`: where the columns were read, for a damaged row's error).
    pub(crate) fn offline(&self, table: &str) -> Result<CounterState, HubError> {
        let rest = self.rest();
        decode(
            table,
            "offline",
            &self.offline,
            &rest.offline_gaps,
            &rest.offline_edges,
        )
    }

    /// The online counter.
    pub(crate) fn online(&self, table: &str) -> Result<CounterState, HubError> {
        let rest = self.rest();
        decode(
            table,
            "online",
            &self.online,
            &rest.online_gaps,
            &rest.online_edges,
        )
    }

    /// Binds the columns as `?2` to `?10` of a statement whose `?1` is the card's ASN.
    fn execute(
        &self,
        statement: &mut rusqlite::CachedStatement<'_>,
        asn: &[u8; 8],
    ) -> rusqlite::Result<usize> {
        let rest = self.rest();
        statement.execute(params![
            asn.as_slice(),
            self.shadow_balance_fen,
            self.offline.highest(),
            rest.offline_gaps,
            self.offline.point().map(<[u8; 8]>::as_slice),
            rest.offline_edges,
            self.online.highest(),
            rest.online_gaps,
            self.online.point().map(<[u8; 8]>::as_slice),
            rest.online_edges,
        ])
    }
}

/// The newest clearing columns of every card the log holds, as one connection last saw them,
/// and the `cards` rows it read.
#[derive(Debug)]
pub(crate) struct CardLog {
    newest: HashMap<[u8; 8], Clearing>,
    /// The rows of `cards` read by committed transactions (at most [`ROWS_KEPT_MAX`]).
    rows: HashMap<[u8; 8], CardRow>,
    /// `PRAGMA data_version` when `rows` was last checked (`None`: not read yet).
    data_version: Option<i64>,
    /// [`FOLD_ROWS`] (fewer in tests).
    fold_rows: i64,
    /// The fold the memory follows (`None`: not read yet).
    generation: Option<i64>,
    /// The highest `seq` read or written since.
    seq: i64,
    /// The cards' loads kept (`load_book.rs`), dropped with `rows`.
    pub(crate) loads: LoadBook,
}

/// What one transaction changed: each card's newest columns, appended to the log before it
/// commits and kept in memory after.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    changed: HashMap<[u8; 8], Clearing>,
    /// The rows this transaction read from `cards`: what a later read or change of the card
    /// in the transaction starts from, without reading its row again; kept by the connection
    /// after the commit. Nothing else changes their clearing columns in a transaction (the
    /// fold runs in one of its own).
    read: HashMap<[u8; 8], CardRow>,
    /// Cards whose registry columns this transaction changed: no row of theirs is used from
    /// memory in it, and the connection drops what it kept of them at the commit.
    forgotten: HashSet<[u8; 8]>,
    /// The cards' loads this transaction read or changed (`load_book.rs`).
    pub(crate) loads: PendingLoads,
}

impl Pending {
    /// The card's columns as this transaction changed them.
    pub(crate) fn get(&self, asn: Asn) -> Option<&Clearing> {
        self.changed.get(&asn.bytes())
    }

    /// The card's row as this transaction read it from `cards`, else as the connection kept
    /// it (unless this transaction changed the card's registry columns).
    pub(crate) fn row<'a>(&'a self, log: &'a CardLog, asn: Asn) -> Option<&'a CardRow> {
        let key = asn.bytes();
        self.read.get(&key).or_else(|| {
            if self.forgotten.contains(&key) {
                None
            } else {
                log.rows.get(&key)
            }
        })
    }

    /// Keeps the card's row as read from `cards` for the rest of the transaction (and, once
    /// it commits, for the connection). A row read after a change of the card's registry
    /// columns holds the change; a later change forgets it again.
    pub(crate) fn remember(&mut self, asn: Asn, row: CardRow) {
        self.read.insert(asn.bytes(), row);
    }

    /// The card's registry columns change in this transaction: its row is read from `cards`
    /// from now on, and dropped from the connection's memory at the commit.
    pub(crate) fn forget(&mut self, asn: Asn) {
        self.read.remove(&asn.bytes());
        self.forgotten.insert(asn.bytes());
    }

    pub(crate) fn set(&mut self, asn: Asn, clearing: Clearing) {
        self.changed.insert(asn.bytes(), clearing);
    }

    /// Appends the changes to the log (in ASN order); the highest `seq` written, if any.
    pub(crate) fn append(&self, tx: &Transaction<'_>) -> Result<Option<i64>, HubError> {
        if self.changed.is_empty() {
            return Ok(None);
        }
        let mut statement = tx
            .prepare_cached(
                "INSERT INTO card_log (asn, shadow_balance_fen, offline_highest_atc, offline_gaps,
                    offline_point, offline_edges, online_highest_atc, online_gaps, online_point,
                    online_edges)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .map_err(storage_error)?;
        let mut in_order: Vec<(&[u8; 8], &Clearing)> = self.changed.iter().collect();
        in_order.sort_unstable_by_key(|(asn, _)| **asn);
        for (asn, clearing) in in_order {
            clearing
                .execute(&mut statement, asn)
                .map_err(storage_error)?;
        }
        Ok(Some(tx.last_insert_rowid()))
    }
}

impl CardLog {
    pub(crate) fn new() -> CardLog {
        CardLog {
            newest: HashMap::new(),
            rows: HashMap::new(),
            data_version: None,
            fold_rows: FOLD_ROWS,
            generation: None,
            seq: 0,
            loads: LoadBook::new(),
        }
    }

    /// The card's newest logged columns, if the log holds it.
    pub(crate) fn get(&self, asn: Asn) -> Option<&Clearing> {
        self.newest.get(&asn.bytes())
    }

    /// Brings the memory up to the log as `tx` sees it, and drops the rows kept if another
    /// connection committed since the last look.
    pub(crate) fn sync(&mut self, tx: &Transaction<'_>) -> Result<(), HubError> {
        // The first read starts the transaction's snapshot; the version is the snapshot's.
        let generation: i64 = tx
            .prepare_cached("SELECT generation FROM card_log_folds WHERE id = 1")
            .and_then(|mut statement| statement.query_row([], |row| row.get(0)))
            .map_err(storage_error)?;
        let data_version: i64 = tx
            .query_row("PRAGMA data_version", [], |row| row.get(0))
            .map_err(storage_error)?;
        if self.data_version != Some(data_version) {
            self.rows.clear();
            self.rows.shrink_to_fit();
            self.loads.clear();
            self.data_version = Some(data_version);
        }
        if self.generation != Some(generation) {
            self.newest.clear();
            self.newest.shrink_to_fit();
            self.seq = 0;
            self.generation = Some(generation);
        }
        let mut statement = tx
            .prepare_cached(concat!(
                "SELECT seq, asn, ",
                clearing_columns!(),
                " FROM card_log WHERE seq > ?1 ORDER BY seq"
            ))
            .map_err(storage_error)?;
        let mut rows = statement.query([self.seq]).map_err(storage_error)?;
        while let Some(row) = rows.next().map_err(storage_error)? {
            let (seq, asn, clearing) = log_row(row)?;
            self.newest.insert(asn, clearing);
            self.seq = seq;
        }
        Ok(())
    }

    /// Takes in a committed transaction's changes; `seq` is the highest it wrote.
    pub(crate) fn keep(&mut self, pending: Pending, seq: Option<i64>) {
        if let Some(seq) = seq {
            self.newest.extend(pending.changed);
            self.seq = seq;
        }
        for asn in &pending.forgotten {
            self.rows.remove(asn);
        }
        for (asn, row) in pending.read {
            if self.rows.len() < ROWS_KEPT_MAX || self.rows.contains_key(&asn) {
                self.rows.insert(asn, row);
            }
        }
        self.loads.keep(pending.loads);
    }

    /// The card's row as the connection kept it.
    #[cfg(test)]
    pub(crate) fn kept_row(&self, asn: Asn) -> Option<&CardRow> {
        self.rows.get(&asn.bytes())
    }

    /// Whether the log is long enough to fold.
    pub(crate) fn fold_due(&self) -> bool {
        self.seq >= self.fold_rows
    }

    /// Writes every logged card's newest columns into `cards` in ASN order, empties the log
    /// and moves the generation on (`tx` synced). The caller commits, then calls
    /// [`CardLog::folded`]. How many cards were written.
    pub(crate) fn fold(&self, tx: &Transaction<'_>) -> Result<usize, HubError> {
        let mut statement = tx
            .prepare_cached(
                "UPDATE cards SET shadow_balance_fen = ?2, offline_highest_atc = ?3,
                    offline_gaps = ?4, offline_point = ?5, offline_edges = ?6,
                    online_highest_atc = ?7, online_gaps = ?8, online_point = ?9,
                    online_edges = ?10
                 WHERE asn = ?1",
            )
            .map_err(storage_error)?;
        let mut in_order: Vec<(&[u8; 8], &Clearing)> = self.newest.iter().collect();
        in_order.sort_unstable_by_key(|(asn, _)| **asn);
        for (asn, clearing) in &in_order {
            let updated = clearing
                .execute(&mut statement, asn)
                .map_err(storage_error)?;
            if updated != 1 {
                return Err(HubError::corrupt(format!(
                    "table card_log: card {} is not in cards",
                    Asn::new(**asn)
                )));
            }
        }
        tx.execute("DELETE FROM card_log", [])
            .map_err(storage_error)?;
        tx.execute(
            "UPDATE card_log_folds SET generation = generation + 1 WHERE id = 1",
            [],
        )
        .map_err(storage_error)?;
        Ok(in_order.len())
    }

    /// After a fold's commit: the log is empty (the next sync reads the new generation), and
    /// the rows kept hold what the fold wrote.
    pub(crate) fn folded(&mut self) {
        for (asn, clearing) in self.newest.drain() {
            if let Some(row) = self.rows.get_mut(&asn) {
                row.clearing = clearing;
            }
        }
        self.newest.shrink_to_fit();
        self.generation = None;
        self.seq = 0;
    }
}

#[cfg(test)]
pub(super) mod tests {
    use jinka_clearing::{
        Asn, CardChange, CardEntry, CardStatus as ClearingStatus, ChainPoint, CounterState,
    };
    use jinka_crypto::Profile;
    use rusqlite::Connection;

    use crate::byte_id::{self, IssuerId};
    use crate::card::{CardStatus, NewCard};
    use crate::clearing::ClearingStorage;
    use crate::clock::EpochMs;
    use crate::error::HubError;
    use crate::participant::NewParticipant;
    use crate::region::Region;
    use crate::role::{Role, Roles};
    use crate::sqlite::SqliteStore;
    use crate::store::Store;

    const NOW: EpochMs = EpochMs::new(1);

    /// A store at `path` with cards 1 to `cards` of one issuer.
    pub(in crate::sqlite) fn network(path: &std::path::Path, cards: u8) -> SqliteStore {
        let store = SqliteStore::open(path, NOW).unwrap();
        let roles = Roles::new([Role::Issuer]).unwrap();
        let issuer = store
            .insert_participant(
                NewParticipant::new("Bank", roles, Region::new(1)).unwrap(),
                NOW,
            )
            .unwrap();
        for n in 1..=cards {
            let new = NewCard::new(
                byte_id::Asn::new([0, 0, 0, 0, 0, 0, 0, n]),
                issuer.id,
                IssuerId::new([0, 0, 0, 0, 0, 0, 0, n]),
                Profile::Sm4,
                Vec::new(),
            )
            .unwrap();
            store.insert_card(new, NOW).unwrap();
        }
        store
    }

    pub(in crate::sqlite) fn asn(n: u8) -> Asn {
        Asn::new([0, 0, 0, 0, 0, 0, 0, n])
    }

    /// An offline counter at ATC 5 with ATCs 1 to 3 missing, the balances of 0, 4 and 5 known.
    fn counter_with_a_gap() -> CounterState {
        let mut counter = CounterState::new();
        for (atc, before, after) in [(0, 900, 800), (4, 800, 700), (5, 700, 650)] {
            let point = ChainPoint {
                balance_before_fen: before,
                balance_after_fen: after,
            };
            counter.accept_record(atc, point).unwrap();
        }
        assert_eq!(counter.missing(), 3);
        counter
    }

    fn change(n: u8, before: i64, after: i64, offline: CounterState) -> CardChange {
        CardChange {
            asn: asn(n),
            shadow_balance_before_fen: before,
            shadow_balance_after_fen: after,
            offline,
            online: CounterState::new(),
        }
    }

    fn entry(store: &SqliteStore, n: u8) -> CardEntry {
        let mut found = None;
        write(store, |storage| {
            found = storage.card_entry(asn(n))?;
            Ok(())
        })
        .unwrap();
        found.unwrap()
    }

    pub(in crate::sqlite) fn write(
        store: &SqliteStore,
        mut work: impl FnMut(&mut dyn ClearingStorage) -> Result<(), HubError>,
    ) -> Result<(), HubError> {
        store.clearing(&mut |storage| work(storage))
    }

    /// `cards`' clearing columns of card `n` and the log's length, as SQL sees them.
    fn in_sql(path: &std::path::Path, n: u8) -> (i64, Vec<u8>, i64, i64) {
        let connection = Connection::open(path).unwrap();
        let (shadow, gaps) = connection
            .query_row(
                "SELECT shadow_balance_fen, offline_gaps FROM cards WHERE asn = ?1",
                [asn(n).bytes().as_slice()],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .unwrap();
        let logged = connection
            .query_row("SELECT count(*) FROM card_log", [], |row| row.get(0))
            .unwrap();
        let generation = connection
            .query_row("SELECT generation FROM card_log_folds", [], |row| {
                row.get(0)
            })
            .unwrap();
        (shadow, gaps, logged, generation)
    }

    #[test]
    fn a_change_is_read_from_the_log_by_each_connection_after_a_reopen_and_after_a_fold() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("hub.sqlite3");
        let first = network(&path, 2);
        let counter = counter_with_a_gap();
        write(&first, |storage| {
            storage.update_cards(&[change(1, 0, 500, counter.clone())])
        })
        .unwrap();
        let read = entry(&first, 1);
        assert_eq!((read.shadow_balance_fen, &read.offline), (500, &counter));
        // Written to the log only: `cards` keeps its row as registered.
        assert_eq!(in_sql(&path, 1), (0, Vec::new(), 1, 0));

        // A second connection (another process) reads the first's change, and its own change
        // reaches the first.
        let second = SqliteStore::open(&path, NOW).unwrap();
        assert_eq!(entry(&second, 1), read);
        write(&second, |storage| storage.add_shadow_balance(asn(1), -200)).unwrap();
        let after = entry(&first, 1);
        assert_eq!((after.shadow_balance_fen, &after.offline), (300, &counter));
        assert_eq!(entry(&first, 2).shadow_balance_fen, 0);

        // Opened again, a store reads the log back.
        drop(first);
        let third = SqliteStore::open(&path, NOW).unwrap();
        assert_eq!(entry(&third, 1), after);

        // A fold writes the newest columns into `cards` and empties the log; the other
        // connections forget what they kept and read `cards` again, here after a repair in SQL.
        assert_eq!(third.fold_card_log().unwrap(), 1);
        let (shadow, gaps, logged, generation) = in_sql(&path, 1);
        assert_eq!((shadow, logged, generation), (300, 0, 1));
        assert_eq!(gaps, [0, 1, 0, 3]);
        Connection::open(&path)
            .unwrap()
            .execute("UPDATE cards SET shadow_balance_fen = 310", [])
            .unwrap();
        let repaired = entry(&second, 1);
        assert_eq!(
            (repaired.shadow_balance_fen, &repaired.offline),
            (310, &counter)
        );
        write(&second, |storage| storage.add_shadow_balance(asn(1), 50)).unwrap();
        assert_eq!(entry(&third, 1).shadow_balance_fen, 360);
        assert_eq!(entry(&third, 1).offline, counter);
        assert_eq!(in_sql(&path, 1), (310, vec![0, 1, 0, 3], 1, 1));
    }

    #[test]
    fn a_row_read_is_kept_after_its_commit_and_dropped_when_another_connection_commits() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("hub.sqlite3");
        let store = network(&path, 2);
        let kept = |n: u8| store.lock().card_log.kept_row(asn(n)).cloned();
        assert_eq!(entry(&store, 1).status, ClearingStatus::Active);
        let row = kept(1).expect("a row read by a committed transaction is kept");
        assert_eq!(row.registry.status, CardStatus::Active);
        assert_eq!(row.registry.issuer_id, [0, 0, 0, 0, 0, 0, 0, 1]);
        // A transaction that fails keeps nothing it read.
        let failed = write(&store, |storage| {
            storage.card_entry(asn(2))?;
            Err(HubError::corrupt("a later step failed"))
        });
        assert!(failed.is_err());
        assert_eq!(kept(2), None);

        // Another connection (a repair, an admin command in another process) changes the
        // card: the next transaction drops every row kept and reads the card anew.
        Connection::open(&path)
            .unwrap()
            .execute(
                "UPDATE cards SET status = 'blocked', shadow_balance_fen = 40 WHERE asn = ?1",
                [asn(1).bytes().as_slice()],
            )
            .unwrap();
        let read = entry(&store, 1);
        assert_eq!(
            (read.status, read.shadow_balance_fen),
            (ClearingStatus::Blocked, 40)
        );
        assert_eq!(kept(1).unwrap().registry.status, CardStatus::Blocked);
    }

    #[test]
    fn a_status_the_connection_changes_is_read_in_its_transaction_and_after_unless_rolled_back() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("hub.sqlite3");
        let store = network(&path, 2);
        assert_eq!(entry(&store, 1).status, ClearingStatus::Active);
        assert_eq!(entry(&store, 2).status, ClearingStatus::Active);
        write(&store, |storage| {
            storage.lifecycle().set_card_status(
                byte_id::Asn::new(asn(1).bytes()),
                CardStatus::Blocked,
                NOW,
            )?;
            assert_eq!(
                storage.card_entry(asn(1))?.unwrap().status,
                ClearingStatus::Blocked
            );
            assert!(
                storage
                    .risk()
                    .change_card_status(asn(2), "active", "hotlisted", NOW)?
            );
            assert_eq!(
                storage.card_entry(asn(2))?.unwrap().status,
                ClearingStatus::Hotlisted
            );
            Ok(())
        })
        .unwrap();
        assert_eq!(entry(&store, 1).status, ClearingStatus::Blocked);
        assert_eq!(entry(&store, 2).status, ClearingStatus::Hotlisted);

        // Changed in a transaction that rolls back: the card keeps its status, in memory too.
        let failed = write(&store, |storage| {
            storage.lifecycle().set_card_status(
                byte_id::Asn::new(asn(1).bytes()),
                CardStatus::Active,
                NOW,
            )?;
            assert_eq!(
                storage.card_entry(asn(1))?.unwrap().status,
                ClearingStatus::Active
            );
            Err(HubError::corrupt("a later step failed"))
        });
        assert!(failed.is_err());
        assert_eq!(entry(&store, 1).status, ClearingStatus::Blocked);
    }

    #[test]
    fn a_row_kept_holds_what_the_connections_fold_wrote() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("hub.sqlite3");
        let store = network(&path, 1);
        assert_eq!(entry(&store, 1).shadow_balance_fen, 0);
        write(&store, |storage| {
            storage.update_cards(&[change(1, 0, 500, counter_with_a_gap())])
        })
        .unwrap();
        assert_eq!(store.fold_card_log().unwrap(), 1);
        // The log is empty: the row kept is what the card is read from, as the fold wrote it.
        assert_eq!(in_sql(&path, 1), (500, vec![0, 1, 0, 3], 0, 1));
        let read = entry(&store, 1);
        assert_eq!(
            (read.shadow_balance_fen, &read.offline),
            (500, &counter_with_a_gap())
        );
        write(&store, |storage| storage.add_shadow_balance(asn(1), -100)).unwrap();
        assert_eq!(entry(&store, 1).shadow_balance_fen, 400);
    }

    #[test]
    fn a_cards_columns_in_memory_take_40_bytes_and_its_row_56() {
        assert_eq!(size_of::<super::Clearing>(), 40);
        assert_eq!(size_of::<super::CardRow>(), 56);
    }

    #[test]
    fn a_failed_transaction_leaves_neither_a_log_row_nor_a_change_in_memory() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("hub.sqlite3");
        let store = network(&path, 1);
        write(&store, |storage| storage.add_shadow_balance(asn(1), 100)).unwrap();
        let failed = write(&store, |storage| {
            storage.add_shadow_balance(asn(1), 100)?;
            assert_eq!(storage.card_entry(asn(1))?.unwrap().shadow_balance_fen, 200);
            Err(HubError::corrupt("a later step failed"))
        });
        assert!(failed.is_err());
        assert_eq!(entry(&store, 1).shadow_balance_fen, 100);
        assert_eq!(in_sql(&path, 1).2, 1);

        // A change that does not start from the card's shadow balance is refused whole.
        let stale = write(&store, |storage| {
            storage.update_cards(&[change(1, 100, 150, CounterState::new())])?;
            storage.update_cards(&[change(1, 100, 175, CounterState::new())])
        })
        .unwrap_err();
        assert!(
            stale.to_string().contains("changed under the decision"),
            "{stale}"
        );
        assert_eq!(entry(&store, 1).shadow_balance_fen, 100);
        let unknown = write(&store, |storage| storage.add_shadow_balance(asn(9), 1)).unwrap_err();
        assert!(unknown.to_string().contains("no card"), "{unknown}");
    }

    #[test]
    fn a_card_read_in_a_transaction_is_changed_from_what_it_read_and_only_a_change_is_logged() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("hub.sqlite3");
        let store = network(&path, 2);
        Connection::open(&path)
            .unwrap()
            .execute("UPDATE cards SET shadow_balance_fen = 70", [])
            .unwrap();
        // Card 1 read then changed, card 2 only read: one log row, card 1's.
        write(&store, |storage| {
            assert_eq!(storage.card_entry(asn(1))?.unwrap().shadow_balance_fen, 70);
            assert_eq!(storage.card_entry(asn(2))?.unwrap().shadow_balance_fen, 70);
            storage.update_cards(&[change(1, 70, 90, counter_with_a_gap())])?;
            storage.add_shadow_balance(asn(2), 0)?;
            let read_again = storage.card_entry(asn(2))?.unwrap();
            assert_eq!(
                (read_again.shadow_balance_fen, read_again.online),
                (70, CounterState::new())
            );
            Ok(())
        })
        .unwrap();
        assert_eq!(in_sql(&path, 1), (70, Vec::new(), 1, 0));
        assert_eq!(entry(&store, 1).offline, counter_with_a_gap());

        // What a transaction read is not kept past it: the next reads the row anew.
        Connection::open(&path)
            .unwrap()
            .execute(
                "UPDATE cards SET shadow_balance_fen = 80 WHERE asn = ?1",
                [asn(2).bytes().as_slice()],
            )
            .unwrap();
        let stale = write(&store, |storage| {
            storage.card_entry(asn(2))?;
            storage.update_cards(&[change(2, 70, 60, CounterState::new())])
        })
        .unwrap_err();
        assert!(
            stale.to_string().contains("changed under the decision"),
            "{stale}"
        );
        write(&store, |storage| {
            assert_eq!(storage.card_entry(asn(2))?.unwrap().shadow_balance_fen, 80);
            storage.update_cards(&[change(2, 80, 60, CounterState::new())])?;
            storage.add_shadow_balance(asn(2), 5)
        })
        .unwrap();
        assert_eq!(entry(&store, 2).shadow_balance_fen, 65);
    }

    #[test]
    fn the_hub_folds_the_log_when_it_reaches_its_length() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("hub.sqlite3");
        let store = network(&path, 3);
        store.lock().card_log.fold_rows = 3;
        // Two changes of card 1 in one transaction are one log row.
        write(&store, |storage| {
            storage.add_shadow_balance(asn(1), 10)?;
            storage.add_shadow_balance(asn(1), 10)
        })
        .unwrap();
        write(&store, |storage| storage.add_shadow_balance(asn(2), 30)).unwrap();
        assert_eq!(in_sql(&path, 1), (0, Vec::new(), 2, 0));
        write(&store, |storage| storage.add_shadow_balance(asn(3), 40)).unwrap();
        assert_eq!(in_sql(&path, 1), (20, Vec::new(), 0, 1));
        assert_eq!(in_sql(&path, 2).0, 30);
        assert_eq!(in_sql(&path, 3).0, 40);
        write(&store, |storage| storage.add_shadow_balance(asn(1), 5)).unwrap();
        assert_eq!(entry(&store, 1).shadow_balance_fen, 25);
        assert_eq!(in_sql(&path, 1), (20, Vec::new(), 1, 1));
    }
}
