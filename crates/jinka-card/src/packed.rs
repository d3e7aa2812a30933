//! Packed cards: a card out of any reader's field, its memory in one buffer of bytes.
//!
//! A card emulator in use holds its memory as Rust values ([`Nvm`]: a `Vec` of applications,
//! each with its `Vec`s of keys and files, a `String` label, a buffer per file), about a
//! kilobyte a card across a dozen heap blocks. A holder of many idle cards (the simulation's
//! million) keeps each as a [`PackedCard`]: the same memory packed into one exact buffer
//! (about 400 bytes for an issued e-purse card), unpacked when the card enters a reader's field
//! and packed again when it leaves. Packing is lossless: `unpack(pack(m)) == m` for every
//! memory [`image::check`](crate::image::check) accepts, which the tests check on issued cards,
//! cards that have paid, cards with a second application and cards torn mid-write.
//!
//! The layout (integers big-endian; `n` a one-byte count, `len` a two-byte length):
//!
//! ```text
//! memory      := asn[8] profile[1] card_manager_key[16] card_manager_version[1]
//!                management_counter[4] n application* journal
//! application := n aid  n label  kind[1] state[1]  n key*  n file*  pin  purse
//! key         := usage[1] index[1] version[1] key[16]
//! file        := fid[2] sfi[1] read[2] write[2] (0 len bytes | 1 record_bytes_max[1]
//!                records_max[1] cyclic[1] head[1] len slots)
//! pin         := 0 | 1 n value tries_left[1] tries_max[1]
//! purse       := 0 | 1 balance[4] online_atc[2] offline_atc[2] overdraft_limit[4] last
//! last        := 0 | 1 kind[1] atc[2] mac2[4] tac[4]
//! journal     := 0 (empty) | 1 len4 JSON   (a card torn mid-write and not yet powered up)
//! ```
//!
//! The buffer holds the card's keys: it is zeroized when dropped or replaced. Unpacking checks
//! every field and the card's invariants ([`image::check`](crate::image::check)), so bytes
//! that are not a packed memory are refused with an [`ImageError`], never a panic.

use jinka_crypto::{Key16, Profile};
use zeroize::Zeroize;

use crate::access::Access;
use crate::aid::Aid;
use crate::application::{AppKind, AppState, Application};
use crate::card::Card;
use crate::entropy::Entropy;
use crate::file::{Ef, EfBody, Records, Slots};
use crate::image::{self, ImageError};
use crate::key::{AppKey, KeyUsage};
use crate::nvm::{CardState, Journal, Nvm};
use crate::pin::{Pin, PinValue};
use crate::purse::{LastTransaction, Purse};

/// A card's memory packed into one buffer, zeroized when dropped. Not comparable: its bytes
/// hold keys, and a comparison of them would not take constant time.
pub struct PackedMemory(Box<[u8]>);

impl core::fmt::Debug for PackedMemory {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // The bytes hold keys: only their number is shown.
        write!(f, "PackedMemory({} bytes)", self.0.len())
    }
}

impl Drop for PackedMemory {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl PackedMemory {
    /// Packs `nvm`.
    ///
    /// # Panics
    ///
    /// When `nvm` breaks the card's own limits (more than 255 applications, keys or files, a
    /// file over 65,535 bytes): [`image::check`](crate::image::check) refuses such a memory
    /// and no command makes one.
    pub fn pack(nvm: &Nvm) -> PackedMemory {
        // The journal (a torn card's, rare) as JSON first, so that the buffer is allocated
        // once at its exact size and never moved (a move would leave key bytes behind).
        let mut journal = (nvm.journal != Journal::default())
            .then(|| serde_json::to_vec(&nvm.journal).expect("a journal serializes"));
        let len = packed_len(&nvm.state) + journal.as_ref().map_or(0, |json| 4 + json.len());
        let mut out = Vec::with_capacity(len);
        write_memory(&mut out, &nvm.state, journal.as_deref());
        if let Some(json) = journal.as_mut() {
            json.zeroize();
        }
        PackedMemory(exact(out))
    }

    /// Packs `nvm` in place of this memory: written over the buffer when the size is
    /// unchanged (a card's log, once full, keeps its size), else into a new one (the old one
    /// zeroized).
    ///
    /// # Panics
    ///
    /// As [`PackedMemory::pack`].
    pub fn repack(&mut self, nvm: &Nvm) {
        if nvm.journal == Journal::default() && packed_len(&nvm.state) == self.0.len() {
            let mut cursor = Cursor {
                out: &mut self.0,
                at: 0,
            };
            write_memory(&mut cursor, &nvm.state, None);
            debug_assert_eq!(cursor.at, cursor.out.len(), "the hint is exact");
        } else {
            *self = PackedMemory::pack(nvm);
        }
    }

    /// The memory, checked.
    pub fn unpack(&self) -> Result<Nvm, ImageError> {
        let mut reader = Reader(&self.0);
        let nvm = read_memory(&mut reader)?;
        if !reader.0.is_empty() {
            return Err(malformed("bytes after the journal"));
        }
        if nvm.journal == Journal::default() {
            image::check_state(&nvm.state)?;
        } else {
            image::check(&nvm)?;
        }
        Ok(nvm)
    }

    /// Packed bytes from elsewhere (tests of refusal).
    pub fn from_bytes(bytes: &[u8]) -> PackedMemory {
        PackedMemory(bytes.into())
    }

    /// The packed bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// A card out of any reader's field: its packed memory and its source of randomness. What it
/// held in RAM (the session, a command's buffer) is gone, as when [`Card::power_off`] is
/// called.
#[derive(Debug)]
pub struct PackedCard<E> {
    memory: PackedMemory,
    entropy: E,
}

impl<E: Entropy + Clone> PackedCard<E> {
    /// The card, packed.
    pub fn pack(card: Card<E>) -> PackedCard<E> {
        let (nvm, entropy) = card.into_parts();
        PackedCard {
            memory: PackedMemory::pack(&nvm),
            entropy,
        }
    }

    /// The card entering a reader's field: its memory unpacked, powered up (an interrupted
    /// write is resolved as at any power-up). The packed card stays as it was until
    /// [`PackedCard::store`] puts the card back.
    pub fn unpack(&self) -> Result<Card<E>, ImageError> {
        Ok(Card::new(self.memory.unpack()?, self.entropy.clone()))
    }

    /// The card leaving the field: its memory and randomness packed in place of these.
    pub fn store(&mut self, card: Card<E>) {
        let (nvm, entropy) = card.into_parts();
        self.memory.repack(&nvm);
        self.entropy = entropy;
    }

    /// The card's memory, unpacked, to read.
    pub fn memory(&self) -> Result<Nvm, ImageError> {
        self.memory.unpack()
    }

    /// The packed memory.
    pub fn packed(&self) -> &PackedMemory {
        &self.memory
    }
}

/// `out` in a buffer of exactly its length: its own when it is full (no reallocation), else
/// a copy, `out` zeroized (it may hold keys, and a reallocation would leave them behind).
fn exact(mut out: Vec<u8>) -> Box<[u8]> {
    if out.len() == out.capacity() {
        return out.into_boxed_slice();
    }
    let boxed: Box<[u8]> = out.as_slice().into();
    out.zeroize();
    boxed
}

fn malformed(what: &str) -> ImageError {
    ImageError::Malformed(format!("packed card memory: {what}"))
}

/// The packed size of a memory of `state` with an empty journal, exactly.
fn packed_len(state: &CardState) -> usize {
    let apps: usize = state
        .applications
        .iter()
        .map(|app| {
            let files: usize = app
                .files
                .iter()
                .map(|file| {
                    7 + match &file.body {
                        EfBody::Binary { bytes } => 3 + bytes.len(),
                        EfBody::Records(records) => 7 + records.slots.packed().len(),
                    }
                })
                .sum();
            let pin = app
                .pin
                .as_ref()
                .map_or(1, |pin| 4 + pin.value.as_bytes().len());
            let purse = app
                .purse
                .as_ref()
                .map_or(1, |purse| 14 + purse.last.map_or(0, |_| 11));
            1 + app.aid.as_bytes().len()
                + 1
                + app.label.len()
                + 2
                + 1
                + 19 * app.keys.len()
                + 1
                + files
                + pin
                + purse
        })
        .sum();
    31 + apps + 1
}

fn count(n: usize) -> u8 {
    // Every count is bounded far below 256 by the card's own limits (16 applications, 16 keys
    // and files an application, 16-byte AIDs and labels, 6-byte PINs), which `image::check`
    // and every command keep.
    u8::try_from(n).expect("a card's counts fit a byte")
}

fn length(n: usize) -> [u8; 2] {
    u16::try_from(n)
        .expect("a card's files fit 65,535 bytes")
        .to_be_bytes()
}

/// Where packed bytes go: a growing `Vec`, or a buffer of exactly their size.
trait Sink {
    fn extend_from_slice(&mut self, bytes: &[u8]);

    fn push(&mut self, byte: u8) {
        self.extend_from_slice(&[byte]);
    }
}

impl Sink for Vec<u8> {
    fn extend_from_slice(&mut self, bytes: &[u8]) {
        Vec::extend_from_slice(self, bytes);
    }

    fn push(&mut self, byte: u8) {
        Vec::push(self, byte);
    }
}

/// A buffer written from its start; [`PackedMemory::repack`] writes over a buffer whose
/// length [`packed_len`] gave, which is exactly what is written.
struct Cursor<'a> {
    out: &'a mut [u8],
    at: usize,
}

impl Sink for Cursor<'_> {
    fn extend_from_slice(&mut self, bytes: &[u8]) {
        let end = self.at + bytes.len();
        self.out[self.at..end].copy_from_slice(bytes);
        self.at = end;
    }

    fn push(&mut self, byte: u8) {
        self.out[self.at] = byte;
        self.at += 1;
    }
}

/// Writes the memory of `state` with `journal`, the JSON of a journal that is not empty.
fn write_memory(out: &mut impl Sink, state: &CardState, journal: Option<&[u8]>) {
    out.extend_from_slice(&state.asn);
    out.push(state.profile.algorithm_id());
    out.extend_from_slice(state.card_manager_key.as_bytes());
    out.push(state.card_manager_version);
    out.extend_from_slice(&state.management_counter.to_be_bytes());
    out.push(count(state.applications.len()));
    for app in &state.applications {
        write_application(out, app);
    }
    match journal {
        None => out.push(0),
        Some(json) => {
            out.push(1);
            out.extend_from_slice(
                &u32::try_from(json.len())
                    .expect("a journal fits 4 GiB")
                    .to_be_bytes(),
            );
            out.extend_from_slice(json);
        }
    }
}

fn write_application(out: &mut impl Sink, app: &Application) {
    out.push(count(app.aid.as_bytes().len()));
    out.extend_from_slice(app.aid.as_bytes());
    out.push(count(app.label.len()));
    out.extend_from_slice(app.label.as_bytes());
    out.push(app.kind.code());
    out.push(match app.state {
        AppState::Active => 0,
        AppState::Blocked => 1,
        AppState::Terminated => 2,
    });
    out.push(count(app.keys.len()));
    for key in &app.keys {
        out.extend_from_slice(&[key.usage.code(), key.index, key.version]);
        out.extend_from_slice(key.key.as_bytes());
    }
    out.push(count(app.files.len()));
    for file in &app.files {
        out.extend_from_slice(&file.fid.to_be_bytes());
        out.push(file.sfi);
        out.extend_from_slice(&file.read.to_bytes());
        out.extend_from_slice(&file.write.to_bytes());
        match &file.body {
            EfBody::Binary { bytes } => {
                out.push(0);
                out.extend_from_slice(&length(bytes.len()));
                out.extend_from_slice(bytes);
            }
            EfBody::Records(records) => {
                out.extend_from_slice(&[
                    1,
                    records.record_bytes_max,
                    records.records_max,
                    u8::from(records.cyclic),
                    records.head,
                ]);
                let packed = records.slots.packed();
                out.extend_from_slice(&length(packed.len()));
                out.extend_from_slice(packed);
            }
        }
    }
    match &app.pin {
        None => out.push(0),
        Some(pin) => {
            out.push(1);
            out.push(count(pin.value.as_bytes().len()));
            out.extend_from_slice(pin.value.as_bytes());
            out.extend_from_slice(&[pin.tries_left, pin.tries_max]);
        }
    }
    match &app.purse {
        None => out.push(0),
        Some(purse) => {
            out.push(1);
            out.extend_from_slice(&purse.balance_fen.to_be_bytes());
            out.extend_from_slice(&purse.online_atc.to_be_bytes());
            out.extend_from_slice(&purse.offline_atc.to_be_bytes());
            out.extend_from_slice(&purse.overdraft_limit_fen.to_be_bytes());
            match &purse.last {
                None => out.push(0),
                Some(last) => {
                    out.extend_from_slice(&[1, last.kind]);
                    out.extend_from_slice(&last.atc.to_be_bytes());
                    out.extend_from_slice(&last.mac2);
                    out.extend_from_slice(&last.tac);
                }
            }
        }
    }
}

/// The unread rest of a packed memory.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], ImageError> {
        let Some((head, rest)) = self.0.split_at_checked(n) else {
            return Err(malformed(&format!("ends inside {what}")));
        };
        self.0 = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], ImageError> {
        let bytes = self.take(N, what)?;
        let mut out = [0; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    fn byte(&mut self, what: &str) -> Result<u8, ImageError> {
        Ok(self.array::<1>(what)?[0])
    }

    fn u16(&mut self, what: &str) -> Result<u16, ImageError> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    fn u32(&mut self, what: &str) -> Result<u32, ImageError> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    fn flag(&mut self, what: &str) -> Result<bool, ImageError> {
        match self.byte(what)? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(malformed(&format!("{what} is neither 0 nor 1"))),
        }
    }

    /// A one-byte count then that many bytes.
    fn short(&mut self, what: &str) -> Result<&'a [u8], ImageError> {
        let n = self.byte(what)?;
        self.take(usize::from(n), what)
    }

    /// A two-byte length then that many bytes.
    fn long(&mut self, what: &str) -> Result<&'a [u8], ImageError> {
        let n = self.u16(what)?;
        self.take(usize::from(n), what)
    }

    fn key(&mut self, what: &str) -> Result<Key16, ImageError> {
        let mut bytes = self.array::<16>(what)?;
        let key = Key16::new(bytes);
        bytes.zeroize();
        Ok(key)
    }
}

fn read_memory(r: &mut Reader<'_>) -> Result<Nvm, ImageError> {
    let asn = r.array("the ASN")?;
    let profile = Profile::from_algorithm_id(r.byte("the profile")?)
        .ok_or_else(|| malformed("unknown profile"))?;
    let card_manager_key = r.key("the card manager key")?;
    let card_manager_version = r.byte("the card manager key version")?;
    let management_counter = r.u32("the management counter")?;
    let apps = r.byte("the application count")?;
    let mut applications = Vec::with_capacity(usize::from(apps));
    for _ in 0..apps {
        applications.push(read_application(r)?);
    }
    let journal = if r.flag("the journal flag")? {
        let len = r.u32("the journal length")?;
        let json = r.take(
            usize::try_from(len).map_err(|_| malformed("journal too long"))?,
            "the journal",
        )?;
        serde_json::from_slice(json).map_err(|error| malformed(&format!("journal: {error}")))?
    } else {
        Journal::default()
    };
    let mut nvm = Nvm::new(CardState {
        asn,
        profile,
        card_manager_key,
        card_manager_version,
        management_counter,
        applications,
    });
    nvm.journal = journal;
    Ok(nvm)
}

fn read_application(r: &mut Reader<'_>) -> Result<Application, ImageError> {
    let aid = Aid::new(r.short("an AID")?).ok_or_else(|| malformed("an AID's length"))?;
    let label = core::str::from_utf8(r.short("a label")?)
        .map_err(|_| malformed("a label is not UTF-8"))?
        .to_owned();
    let kind = AppKind::from_code(r.byte("a kind")?)
        .ok_or_else(|| malformed("unknown application kind"))?;
    let state = match r.byte("a state")? {
        0 => AppState::Active,
        1 => AppState::Blocked,
        2 => AppState::Terminated,
        _ => return Err(malformed("unknown application state")),
    };
    let keys = r.byte("the key count")?;
    let mut key_list = Vec::with_capacity(usize::from(keys));
    for _ in 0..keys {
        let [usage, index, version] = r.array("a key")?;
        key_list.push(AppKey {
            usage: KeyUsage::from_code(usage).ok_or_else(|| malformed("unknown key usage"))?,
            index,
            version,
            key: r.key("a key")?,
        });
    }
    let files = r.byte("the file count")?;
    let mut file_list = Vec::with_capacity(usize::from(files));
    for _ in 0..files {
        file_list.push(read_file(r)?);
    }
    let pin = if r.flag("the PIN flag")? {
        let value = PinValue::new(r.short("a PIN")?).ok_or_else(|| malformed("a PIN's length"))?;
        let [tries_left, tries_max] = r.array("a PIN's tries")?;
        Some(Pin {
            value,
            tries_left,
            tries_max,
        })
    } else {
        None
    };
    let purse = if r.flag("the purse flag")? {
        let balance_fen = r.u32("a balance")?;
        let online_atc = r.u16("an online ATC")?;
        let offline_atc = r.u16("an offline ATC")?;
        let overdraft_limit_fen = r.u32("an overdraft limit")?;
        let last = if r.flag("the last transaction flag")? {
            Some(LastTransaction {
                kind: r.byte("a last transaction")?,
                atc: r.u16("a last transaction")?,
                mac2: r.array("a last transaction")?,
                tac: r.array("a last transaction")?,
            })
        } else {
            None
        };
        Some(Purse {
            balance_fen,
            online_atc,
            offline_atc,
            overdraft_limit_fen,
            last,
        })
    } else {
        None
    };
    Ok(Application {
        aid,
        label,
        kind,
        state,
        keys: key_list,
        files: file_list,
        pin,
        purse,
    })
}

fn read_file(r: &mut Reader<'_>) -> Result<Ef, ImageError> {
    let fid = r.u16("a file id")?;
    let sfi = r.byte("an SFI")?;
    let read = access(r.array("a read condition")?).ok_or_else(|| malformed("a read condition"))?;
    let write =
        access(r.array("a write condition")?).ok_or_else(|| malformed("a write condition"))?;
    let body = if r.flag("a file's structure")? {
        let [record_bytes_max, records_max, cyclic, head] = r.array("a record file")?;
        let cyclic = match cyclic {
            0 => false,
            1 => true,
            _ => return Err(malformed("a record file's cyclic flag")),
        };
        let slots = Slots::from_packed(r.long("a record file's slots")?)
            .ok_or_else(|| malformed("a record file's slots"))?;
        EfBody::Records(Records {
            record_bytes_max,
            records_max,
            cyclic,
            head,
            slots,
        })
    } else {
        EfBody::Binary {
            bytes: r.long("a binary file")?.to_vec(),
        }
    };
    Ok(Ef {
        fid,
        sfi,
        read,
        write,
        body,
    })
}

/// An access condition in its canonical bytes (a condition without a key index has index 0).
fn access(bytes: [u8; 2]) -> Option<Access> {
    Access::from_bytes(bytes[0], bytes[1]).filter(|access| access.to_bytes() == bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{E_PURSE_AID, Issuance, IssuerKeys, SeededEntropy, Template, issue, nvm::Write};

    fn keys(profile: Profile) -> IssuerKeys {
        IssuerKeys::generate(
            profile,
            1,
            [0x31, 0x04, 0, 0, 0, 0, 0, 1],
            &mut SeededEntropy::new(7),
        )
    }

    fn issued(profile: Profile, templates: &[Template]) -> Nvm {
        let keys = keys(profile);
        let issuance = Issuance {
            asn: [0x31, 0x04, 0, 0, 0, 0x01, 0x23, 0x45],
            start_date: [0x20, 0x26, 0x01, 0x01],
            expiry_date: [0x20, 0x36, 0x01, 0x01],
        };
        let with: Vec<_> = templates.iter().map(|t| (*t, &keys)).collect();
        issue(&keys, &issuance, &with).unwrap()
    }

    /// A memory that has used every optional part: a purse with a last transaction and a
    /// log of records, a PIN, a second application, a binary file.
    fn used() -> Nvm {
        let mut nvm = issued(Profile::Sm4, &[Template::EPurse, Template::SocialSecurity]);
        let app = nvm
            .state
            .applications
            .iter_mut()
            .find(|app| app.aid.as_bytes() == E_PURSE_AID)
            .unwrap();
        let purse = app.purse.get_or_insert_with(Purse::new);
        purse.balance_fen = 12_345;
        purse.online_atc = 3;
        purse.offline_atc = 9;
        purse.last = Some(LastTransaction {
            kind: 6,
            atc: 9,
            mac2: [1, 2, 3, 4],
            tac: [5, 6, 7, 8],
        });
        for file in &mut app.files {
            if let EfBody::Records(records) = &mut file.body {
                for n in 0..usize::from(records.records_max) + 2 {
                    // Cyclic files wrap around; linear ones stop when full.
                    let Some((slot, head)) = records.append_slot() else {
                        break;
                    };
                    let len = usize::from(records.record_bytes_max).min(n + 1);
                    records.set_slot(slot, head, &vec![n as u8; len]);
                }
            }
        }
        nvm
    }

    #[test]
    fn memories_come_back_as_they_were_packed() {
        let memories = [
            issued(Profile::Sm4, &[Template::EPurse]),
            issued(Profile::Des3, &[Template::EPurse]),
            used(),
        ];
        for nvm in memories {
            let packed = PackedMemory::pack(&nvm);
            assert_eq!(packed.unpack().unwrap(), nvm);
            // Packed exactly: no spare capacity holds a copy of a key.
            assert_eq!(packed.as_bytes().len(), packed_len(&nvm.state));
        }
    }

    #[test]
    fn a_torn_memory_keeps_its_journal_and_recovers_after_unpacking() {
        let mut nvm = used();
        let mut purse = nvm.state.applications[0].purse.unwrap_or_default();
        purse.balance_fen = 1;
        nvm.journal.entries.push(Write::Purse { app: 0, purse });
        nvm.journal.committed = true;
        let packed = PackedMemory::pack(&nvm);
        let mut back = packed.unpack().unwrap();
        assert_eq!(back, nvm);
        back.recover();
        assert_eq!(back.state.applications[0].purse.unwrap().balance_fen, 1);
    }

    #[test]
    fn a_repacked_memory_reuses_its_buffer_or_grows_and_reads_back() {
        let mut nvm = issued(Profile::Sm4, &[Template::EPurse]);
        let mut packed = PackedMemory::pack(&nvm);
        let before = packed.as_bytes().len();
        nvm.state.management_counter = 7;
        packed.repack(&nvm);
        assert_eq!(packed.as_bytes().len(), before);
        assert_eq!(packed.unpack().unwrap(), nvm);
        let bigger = used();
        packed.repack(&bigger);
        assert!(packed.as_bytes().len() > before);
        assert_eq!(packed.unpack().unwrap(), bigger);
    }

    #[test]
    fn every_truncation_and_a_trailing_byte_are_refused() {
        let packed = PackedMemory::pack(&used());
        let bytes = packed.as_bytes();
        for len in 0..bytes.len() {
            let cut = PackedMemory::from_bytes(&bytes[..len]);
            assert!(
                matches!(cut.unpack(), Err(ImageError::Malformed(_))),
                "a memory cut at {len} bytes was not refused"
            );
        }
        let mut longer = bytes.to_vec();
        longer.push(0);
        assert!(matches!(
            PackedMemory::from_bytes(&longer).unpack(),
            Err(ImageError::Malformed(_))
        ));
    }

    #[test]
    fn every_changed_byte_is_refused_or_read_as_a_memory_that_packs_to_it() {
        // Whatever a byte becomes, the bytes are refused with an error or are a memory that
        // packs to exactly those bytes: never a panic, never a memory that drops a change.
        let bytes = PackedMemory::pack(&used()).as_bytes().to_vec();
        for at in 0..bytes.len() {
            for value in [0x00, 0x01, 0x02, 0x10, 0x7F, 0x80, 0xFF] {
                let mut changed = bytes.clone();
                changed[at] = value;
                if let Ok(nvm) = PackedMemory::from_bytes(&changed).unpack() {
                    assert_eq!(
                        PackedMemory::pack(&nvm).as_bytes(),
                        changed.as_slice(),
                        "byte {at} set to {value:#04x}"
                    );
                }
            }
        }
    }

    #[test]
    fn an_invariant_broken_in_the_bytes_is_refused() {
        let mut nvm = issued(Profile::Sm4, &[Template::EPurse]);
        nvm.state.applications[0]
            .purse
            .get_or_insert_with(Purse::new)
            .balance_fen = crate::purse::BALANCE_FEN_MAX + 1;
        let packed = PackedMemory::pack(&nvm);
        assert!(matches!(packed.unpack(), Err(ImageError::Inconsistent(_))));
    }

    #[test]
    fn a_packed_card_answers_as_the_card_it_was_and_keeps_its_randomness() {
        let nvm = issued(Profile::Sm4, &[Template::EPurse]);
        let mut plain = Card::new(nvm.clone(), SeededEntropy::new(5));
        let mut packed = PackedCard::pack(Card::new(nvm, SeededEntropy::new(5)));
        let select = [
            0x00, 0xA4, 0x04, 0x00, 0x07, 0xD1, 0x56, 0x00, 0x00, 0x01, 0x01, 0x01,
        ];
        let challenge = [0x00, 0x84, 0x00, 0x00, 0x04];
        for _ in 0..3 {
            let mut card = packed.unpack().unwrap();
            let (mut a, mut b) = (Vec::new(), Vec::new());
            for command in [&select[..], &challenge[..]] {
                a.clear();
                b.clear();
                plain.transmit(command, &mut a).unwrap();
                card.transmit(command, &mut b).unwrap();
                assert_eq!(a, b);
            }
            plain.power_off();
            packed.store(card);
        }
        assert_eq!(&packed.memory().unwrap(), plain.nvm());
    }

    #[test]
    fn debug_shows_no_byte_of_a_key() {
        let nvm = issued(Profile::Sm4, &[Template::EPurse]);
        let text = format!("{:?}", PackedMemory::pack(&nvm));
        assert!(text.starts_with("PackedMemory(") && text.ends_with(" bytes)"));
    }
}
