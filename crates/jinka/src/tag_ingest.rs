//! `jinka tag ingest`: a reader's raw tag reads into de-duplicated EPCIS OBSERVE events
//! (`jinka_trace::ReadDeduplicator`), captured at the hub or written as a document.
//!
//! Input: one read a line, `epc_hex,read_point_or_antenna,time`: the tag's 96-bit EPC in hex
//! (any filter), where it was read (a read point URI, or an antenna number that `--antenna
//! N=URI` maps, the reader's `--read-point` otherwise, also for an empty field), and when
//! (RFC 3339). Empty lines and lines starting with `#` are skipped. Reads come in time order
//! per read point; one for a window already closed there is counted late and dropped.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};

use anyhow::Context;
use clap::Args;
use jinka_trace::{
    DOCUMENT_EVENTS_MAX, Event, EventContent, EventId, EventIdSource, LocationId, READ_BATCH_MAX,
    READ_WINDOW_MS_DEFAULT, ReadDeduplicator, SequentialEventIds, TagRead, TimeZoneOffset,
    Timestamp,
};
use serde_json::{Value, json};

use crate::BadInput;
use crate::hub_client::{HubClient, HubError};

/// The longest line read, in bytes (a read is some 80).
const READ_LINE_BYTES_MAX: usize = 1_024;
/// Events per document sent to the hub.
const DOCUMENT_EVENTS: usize = 1_000;
/// The id of events written without one (removed from the document: the hub numbers them).
const UNNUMBERED: &str = "urn:jinka:unnumbered";

#[derive(Args)]
pub struct IngestArgs {
    /// The reads: a CSV file, or `-` for standard input.
    input: String,
    /// The reader's read point (e.g. urn:epc:id:sgln:0614141.00001.0), for reads that name an
    /// antenna without its own or no read point at all.
    #[arg(long)]
    read_point: String,
    /// An antenna's read point, `N=URI` (repeatable).
    #[arg(long = "antenna", value_name = "N=URI")]
    antennas: Vec<String>,
    /// The de-duplication window: an object is reported once per read point per window.
    #[arg(long, default_value_t = READ_WINDOW_MS_DEFAULT)]
    window_ms: i64,
    /// The site's time zone offset, written as the events' `eventTimeZoneOffset`.
    #[arg(long, default_value = "+00:00", allow_hyphen_values = true)]
    time_zone_offset: String,
    /// Give the events ids `PREFIX1`, `PREFIX2`, … in order (a file sent again is then
    /// recognised by the hub as duplicates); without it the hub numbers them.
    #[arg(long)]
    event_id_prefix: Option<String>,
    /// Capture the events at this clearing centre (the API key from --api-key or
    /// JINKA_API_KEY), in documents of 1,000 events.
    #[arg(long, conflicts_with = "out", required_unless_present = "out")]
    hub: Option<String>,
    /// The capturing participant's API key.
    #[arg(long)]
    api_key: Option<String>,
    /// Write the EPCIS document to this file (`-`: standard output) instead.
    #[arg(long)]
    out: Option<String>,
}

/// Where the events go.
enum Sink {
    Hub(HubClient),
    File(String),
}

/// A read as the file gives it, checked.
struct Line {
    epc_hex: String,
    read_point: String,
    time_ms: i64,
}

pub fn run(args: &IngestArgs) -> anyhow::Result<()> {
    let bad = |what: &str, error: &dyn std::fmt::Display| BadInput(format!("{what}: {error}"));
    let default_point = LocationId::parse(&args.read_point)
        .map_err(|e| bad("--read-point", &e))?
        .to_string();
    let antennas = antenna_points(&args.antennas)?;
    let offset =
        TimeZoneOffset::parse(&args.time_zone_offset).map_err(|e| bad("--time-zone-offset", &e))?;
    let mut deduplicator =
        ReadDeduplicator::new(args.window_ms, offset).map_err(|e| bad("--window-ms", &e))?;
    let mut ids = args
        .event_id_prefix
        .as_deref()
        .map(|prefix| SequentialEventIds::new(prefix, 1))
        .transpose()
        .map_err(|e| bad("--event-id-prefix", &e))?;
    let sink = match (&args.hub, &args.out) {
        (Some(url), _) => {
            let key = args
                .api_key
                .clone()
                .or_else(|| std::env::var("JINKA_API_KEY").ok())
                .ok_or_else(|| BadInput("--hub needs --api-key or JINKA_API_KEY".into()))?;
            Sink::Hub(HubClient::new(url, &key))
        }
        (None, Some(out)) => Sink::File(out.clone()),
        (None, None) => return Err(BadInput("give --hub URL or --out FILE".into()).into()),
    };
    let name = if args.input == "-" {
        "standard input"
    } else {
        args.input.as_str()
    };
    let input: Box<dyn Read> = if args.input == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(std::fs::File::open(&args.input).with_context(|| args.input.clone())?)
    };
    let mut reader = BufReader::new(input);
    let mut pending: Vec<Value> = Vec::new();
    let mut captured = 0usize;
    let mut batch: Vec<Line> = Vec::new();
    let mut number = 0usize;
    let points = Points {
        default_point: &default_point,
        antennas: &antennas,
    };
    while let Some(text) = next_line(&mut reader, name, &mut number)? {
        if let Some(line) = points
            .read(&text)
            .map_err(|e| BadInput(format!("{name}:{number}: {e}")))?
        {
            batch.push(line);
        }
        if batch.len() >= READ_BATCH_MAX {
            let events = push(&mut deduplicator, &batch, name)?;
            batch.clear();
            add_events(&mut pending, events, &mut ids)?;
            captured += send_full(&sink, &mut pending)?;
        }
    }
    let events = push(&mut deduplicator, &batch, name)?;
    add_events(&mut pending, events, &mut ids)?;
    add_events(&mut pending, deduplicator.finish(), &mut ids)?;
    let stats = deduplicator.stats();
    println!(
        "reads {}, repeated {}, late {}, events {}",
        stats.reads, stats.repeated, stats.late, stats.events
    );
    match &sink {
        Sink::Hub(_) => {
            captured += send_full(&sink, &mut pending)?;
            captured += send(&sink, std::mem::take(&mut pending))?;
            println!("captured {captured} events");
        }
        Sink::File(path) => {
            if pending.len() > DOCUMENT_EVENTS_MAX {
                return Err(BadInput(format!(
                    "{} events, more than a document holds ({DOCUMENT_EVENTS_MAX}): send them \
                     to the hub with --hub",
                    pending.len()
                ))
                .into());
            }
            let count = pending.len();
            let text = serde_json::to_string_pretty(&document(pending))?;
            if path == "-" {
                println!("{text}");
            } else {
                std::fs::write(path, text + "\n").with_context(|| path.clone())?;
                println!("wrote {count} events to {path}");
            }
        }
    }
    Ok(())
}

/// `--antenna N=URI` mappings.
fn antenna_points(mappings: &[String]) -> anyhow::Result<HashMap<String, String>> {
    let mut points = HashMap::new();
    for mapping in mappings {
        let (antenna, uri) = mapping
            .split_once('=')
            .filter(|(antenna, _)| {
                !antenna.is_empty() && antenna.bytes().all(|b| b.is_ascii_digit())
            })
            .ok_or_else(|| BadInput(format!("--antenna {mapping}: expected N=URI")))?;
        let point =
            LocationId::parse(uri).map_err(|e| BadInput(format!("--antenna {mapping}: {e}")))?;
        points.insert(antenna.to_owned(), point.to_string());
    }
    Ok(points)
}

/// The next line (without its end), counting lines; `None` at the end of the input.
fn next_line(
    reader: &mut impl BufRead,
    name: &str,
    number: &mut usize,
) -> anyhow::Result<Option<String>> {
    let mut bytes = Vec::new();
    let read = reader
        .by_ref()
        .take(u64::try_from(READ_LINE_BYTES_MAX + 1).unwrap_or(u64::MAX))
        .read_until(b'\n', &mut bytes)
        .with_context(|| name.to_owned())?;
    if read == 0 {
        return Ok(None);
    }
    *number += 1;
    if bytes.len() > READ_LINE_BYTES_MAX && bytes.last() != Some(&b'\n') {
        return Err(BadInput(format!(
            "{name}:{number}: longer than {READ_LINE_BYTES_MAX} bytes"
        ))
        .into());
    }
    let text =
        String::from_utf8(bytes).map_err(|_| BadInput(format!("{name}:{number}: not UTF-8")))?;
    Ok(Some(text.trim_end_matches(['\n', '\r']).to_owned()))
}

/// How antennas map to read points.
struct Points<'a> {
    default_point: &'a str,
    antennas: &'a HashMap<String, String>,
}

impl Points<'_> {
    /// The read on a line, or `None` for an empty line or a comment.
    fn read(&self, text: &str) -> Result<Option<Line>, String> {
        let text = text.trim();
        if text.is_empty() || text.starts_with('#') {
            return Ok(None);
        }
        let fields: Vec<&str> = text.split(',').map(str::trim).collect();
        let [epc_hex, place, time] = fields.as_slice() else {
            return Err(format!(
                "expected epc_hex,read_point_or_antenna,time (3 fields), found {}",
                fields.len()
            ));
        };
        jinka_epc::Epc::from_hex(epc_hex).map_err(|e| format!("EPC {epc_hex:?}: {e}"))?;
        let read_point = if place.contains(':') {
            LocationId::parse(place)
                .map_err(|e| format!("read point {place:?}: {e}"))?
                .to_string()
        } else if place.is_empty() || place.bytes().all(|b| b.is_ascii_digit()) {
            self.antennas
                .get(*place)
                .map_or(self.default_point, String::as_str)
                .to_owned()
        } else {
            return Err(format!(
                "{place:?} is neither a read point URI nor an antenna number"
            ));
        };
        let time_ms = Timestamp::parse(time)
            .map_err(|e| format!("time {time:?}: {e}"))?
            .epoch_ms();
        Ok(Some(Line {
            epc_hex: (*epc_hex).to_owned(),
            read_point,
            time_ms,
        }))
    }
}

fn push(
    deduplicator: &mut ReadDeduplicator,
    lines: &[Line],
    name: &str,
) -> anyhow::Result<Vec<EventContent>> {
    let reads: Vec<TagRead<'_>> = lines
        .iter()
        .map(|line| TagRead {
            epc_hex: &line.epc_hex,
            read_point: &line.read_point,
            time_ms: line.time_ms,
        })
        .collect();
    deduplicator
        .push(&reads)
        .map_err(|e| BadInput(format!("{name}: {e}")).into())
}

/// Adds the events' JSON, numbered by `ids` if given.
fn add_events(
    pending: &mut Vec<Value>,
    events: Vec<EventContent>,
    ids: &mut Option<SequentialEventIds>,
) -> anyhow::Result<()> {
    for content in events {
        let id = match ids {
            Some(ids) => ids.next_event_id()?,
            None => EventId::parse(UNNUMBERED)?,
        };
        let event = Event::new(id, Timestamp::MIN, content)?;
        let mut json = event.to_json();
        if let Some(object) = json.as_object_mut() {
            // The capturing repository sets the record time (EPCIS §7.4.1).
            object.remove("recordTime");
            if ids.is_none() {
                object.remove("eventID");
            }
        }
        pending.push(json);
    }
    Ok(())
}

fn document(events: Vec<Value>) -> Value {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|since| i64::try_from(since.as_millis()).ok())
        .and_then(|ms| Timestamp::from_epoch_ms(ms).ok())
        .unwrap_or(Timestamp::MIN);
    json!({
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": now.to_rfc3339(),
        "epcisBody": {"eventList": events},
    })
}

/// Sends the full documents of `pending` to the hub (nothing for a file): events sent.
fn send_full(sink: &Sink, pending: &mut Vec<Value>) -> anyhow::Result<usize> {
    let mut sent = 0;
    while matches!(sink, Sink::Hub(_)) && pending.len() >= DOCUMENT_EVENTS {
        let rest = pending.split_off(DOCUMENT_EVENTS);
        sent += send(sink, std::mem::replace(pending, rest))?;
    }
    Ok(sent)
}

/// Captures `events` at the hub as one document: how many.
fn send(sink: &Sink, events: Vec<Value>) -> anyhow::Result<usize> {
    let Sink::Hub(client) = sink else {
        return Ok(0);
    };
    if events.is_empty() {
        return Ok(0);
    }
    let count = events.len();
    client
        .capture(&document(events))
        .map_err(|error| match error {
            HubError::Refused { status, .. } if status < 500 => {
                anyhow::Error::new(BadInput(error.to_string()))
            }
            other => anyhow::Error::new(other),
        })?;
    Ok(count)
}
