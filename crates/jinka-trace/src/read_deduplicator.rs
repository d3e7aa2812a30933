//! From a reader's stream of raw tag reads to OBSERVE ObjectEvents, one per object and read
//! point per time window.
//!
//! A reader reports a tag many times a second while it is in the field. Time is cut in
//! windows of `window_ms`, aligned on the epoch (window n is `[n × window_ms, (n + 1) ×
//! window_ms)`), per read point. In each window, every EPC read at a read point is reported
//! once; all the EPCs first read at the same read point in the same window go into **one**
//! event's `epcList` (a dock door reading a pallet of 200 cases makes one event, not 200),
//! in first-read order, its `eventTime` the earliest read of the batch. A window closes when
//! a read at the same read point falls in a later window, or when the caller's clock passes
//! its end ([`ReadDeduplicator::flush_before`]), or on [`ReadDeduplicator::finish`].
//!
//! Reads arrive in time order per read point; a read for a window already closed at its read
//! point is counted as late and dropped (its window's event has gone). An object that stays
//! in the field is reported once per window, which is what "where is it now" needs.

use std::collections::{HashMap, HashSet};

use crate::action::Action;
use crate::epc::Epc;
use crate::error::{Error, Result};
use crate::event_content::{EVENT_EPCS_MAX, EventContent};
use crate::location_id::LocationId;
use crate::timestamp::{EventTime, TimeZoneOffset, Timestamp};
use crate::what::{ObjectWhat, What};

/// The default de-duplication window.
pub const READ_WINDOW_MS_DEFAULT: i64 = 5_000;
/// The longest window: an hour.
pub const READ_WINDOW_MS_MAX: i64 = 3_600_000;
/// The most reads one call to [`ReadDeduplicator::push`] takes.
pub const READ_BATCH_MAX: usize = 100_000;
/// The most read points with an open window at once.
pub const READ_POINTS_OPEN_MAX: usize = 4_096;

/// One raw read, as a reader reports it: the EPC's 96-bit encoding in hex (either case,
/// any filter value), the read point it maps its antenna to, and when (Unix ms).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TagRead<'a> {
    pub epc_hex: &'a str,
    pub read_point: &'a str,
    pub time_ms: i64,
}

/// Counts since the deduplicator was made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Reads taken.
    pub reads: u64,
    /// Reads of an EPC already reported at the read point in the same window.
    pub repeated: u64,
    /// Reads for a window already closed at their read point.
    pub late: u64,
    /// Events emitted.
    pub events: u64,
}

/// The open window of one read point.
#[derive(Debug)]
struct Window {
    number: i64,
    seen: HashSet<Epc>,
    batch: Vec<Epc>,
    batch_first_ms: i64,
}

/// Turns raw reads into de-duplicated OBSERVE events (see the module documentation).
#[derive(Debug)]
pub struct ReadDeduplicator {
    window_ms: i64,
    time_zone_offset: TimeZoneOffset,
    windows: HashMap<LocationId, Window>,
    stats: ReadStats,
}

/// A read checked: its EPC, read point and window.
struct CheckedRead {
    epc: Epc,
    read_point: LocationId,
    time_ms: i64,
}

impl ReadDeduplicator {
    /// A deduplicator with windows of `window_ms` (1 ms to [`READ_WINDOW_MS_MAX`]); its
    /// events carry `time_zone_offset` (the site's).
    pub fn new(window_ms: i64, time_zone_offset: TimeZoneOffset) -> Result<ReadDeduplicator> {
        if !(1..=READ_WINDOW_MS_MAX).contains(&window_ms) {
            return Err(Error::Rule {
                reason: "the read window is 1 ms to 1 hour",
            });
        }
        Ok(ReadDeduplicator {
            window_ms,
            time_zone_offset,
            windows: HashMap::new(),
            stats: ReadStats::default(),
        })
    }

    pub fn stats(&self) -> ReadStats {
        self.stats
    }

    /// Takes a batch of reads and returns the events of the windows (or full batches) they
    /// close. The batch is checked whole first: a bad read refuses it with its index
    /// ([`Error::Read`]) and changes nothing.
    pub fn push(&mut self, reads: &[TagRead]) -> Result<Vec<EventContent>> {
        if reads.len() > READ_BATCH_MAX {
            return Err(Error::TooManyReads {
                count: reads.len(),
                max: READ_BATCH_MAX,
            });
        }
        let checked = reads
            .iter()
            .enumerate()
            .map(|(index, read)| {
                check(read).map_err(|error| Error::Read {
                    index,
                    error: Box::new(error),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let new_points: HashSet<&LocationId> = checked
            .iter()
            .map(|read| &read.read_point)
            .filter(|point| !self.windows.contains_key(*point))
            .collect();
        if self.windows.len() + new_points.len() > READ_POINTS_OPEN_MAX {
            return Err(Error::TooManyReadPoints {
                max: READ_POINTS_OPEN_MAX,
            });
        }
        let mut events = Vec::new();
        for read in checked {
            self.take(read, &mut events);
        }
        Ok(self.finish_batch(events))
    }

    fn take(&mut self, read: CheckedRead, events: &mut Vec<EventContent>) {
        self.stats.reads += 1;
        let number = read.time_ms.div_euclid(self.window_ms);
        let window = self
            .windows
            .entry(read.read_point.clone())
            .or_insert_with(|| Window {
                number,
                seen: HashSet::new(),
                batch: Vec::new(),
                batch_first_ms: read.time_ms,
            });
        if number < window.number {
            self.stats.late += 1;
            return;
        }
        if number > window.number {
            emit(&read.read_point, window, self.time_zone_offset, events);
            window.number = number;
            window.seen.clear();
        }
        if !window.seen.insert(read.epc) {
            self.stats.repeated += 1;
            return;
        }
        if window.batch.is_empty() || read.time_ms < window.batch_first_ms {
            window.batch_first_ms = read.time_ms;
        }
        window.batch.push(read.epc);
        if window.batch.len() >= EVENT_EPCS_MAX {
            emit(&read.read_point, window, self.time_zone_offset, events);
        }
    }

    /// Closes the windows that end at or before `now_ms` (the caller's clock) and returns
    /// their events.
    pub fn flush_before(&mut self, now_ms: i64) -> Vec<EventContent> {
        let window_ms = self.window_ms;
        self.close(|window| window.number.saturating_add(1).saturating_mul(window_ms) <= now_ms)
    }

    /// Closes every window and returns their events.
    pub fn finish(&mut self) -> Vec<EventContent> {
        self.close(|_| true)
    }

    fn close(&mut self, due: impl Fn(&Window) -> bool) -> Vec<EventContent> {
        let mut events = Vec::new();
        let offset = self.time_zone_offset;
        self.windows.retain(|point, window| {
            if due(window) {
                emit(point, window, offset, &mut events);
                false
            } else {
                true
            }
        });
        self.finish_batch(events)
    }

    /// Sorts events by time then read point, and counts them.
    fn finish_batch(&mut self, mut events: Vec<EventContent>) -> Vec<EventContent> {
        events.sort_by(|a, b| {
            (a.time.at, a.read_point.as_ref()).cmp(&(b.time.at, b.read_point.as_ref()))
        });
        self.stats.events += events.len() as u64;
        events
    }
}

fn check(read: &TagRead) -> Result<CheckedRead> {
    let epc = jinka_epc::Epc::from_hex(read.epc_hex)
        .map(Epc::from)
        .map_err(|error| Error::Epc(error).at("epc"))?;
    let read_point = LocationId::parse(read.read_point).map_err(|error| error.at("readPoint"))?;
    Timestamp::from_epoch_ms(read.time_ms).map_err(|error| error.at("time"))?;
    Ok(CheckedRead {
        epc,
        read_point,
        time_ms: read.time_ms,
    })
}

/// The OBSERVE event of a window's batch, if it has one; empties the batch.
fn emit(
    read_point: &LocationId,
    window: &mut Window,
    offset: TimeZoneOffset,
    events: &mut Vec<EventContent>,
) {
    if window.batch.is_empty() {
        return;
    }
    let at = Timestamp::from_epoch_ms(window.batch_first_ms)
        .expect("read times are checked when the read is taken");
    let what = What::Object(ObjectWhat {
        action: Action::Observe,
        epc_list: std::mem::take(&mut window.batch),
        quantity_list: Vec::new(),
        ilmd: None,
    });
    let mut content = EventContent::new(EventTime::new(at, offset), what);
    content.read_point = Some(read_point.clone());
    events.push(content);
}
