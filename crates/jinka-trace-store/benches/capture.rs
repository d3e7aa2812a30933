//! Durable capture and the three traceability queries on SQLite, on the data set of
//! `jinka-trace`'s bench: 5,000 pallets of 10 cases of 10 items; per pallet each item and
//! case commissioned, each case packed, the pallet loaded, shipped and seen at 8
//! checkpoints; 4,000 pallets delivered (received, unloaded by a DELETE of all children,
//! cases unpacked, items stocked on a shelf), 1,000 still loaded (inspected, arrived).
//! 1,000,000 ObjectEvents and 100,000 AggregationEvents, captured in documents of 1,000
//! events (one transaction each, WAL, `synchronous = FULL`), on a database file in a
//! temporary directory.
//!
//! Then 20,000 samples of each query, as the participant that captured everything (the
//! visibility checks run): `where_is` of an item in a case on a pallet, `history` of a
//! delivered item, `contents` of a loaded pallet, recursively (110 EPCs).
//!
//! `cargo bench -p jinka-trace-store --bench capture`; `JINKA_BENCH_PALLETS=500` for a
//! tenth of the data set, `JINKA_BENCH_SAMPLES=0` to time capture alone.

use std::hint::black_box;
use std::time::{Duration, Instant};

use jinka_epc::{CompanyPrefix, Filter, ItemReference, Serial, SerialReference, Sgtin, Sscc};
use jinka_trace::{
    Action, AggregationWhat, BizStep, CbvBizStep, Epc, Event, EventContent, EventId, EventTime,
    EventType, LocationId, ObjectWhat, TimeZoneOffset, Timestamp, What,
};
use jinka_trace_store::{Participant, SqliteTraceStore, TraceStore, Viewer};

const CASES_PER_PALLET: u64 = 10;
const ITEMS_PER_CASE: u64 = 10;
const CHECKPOINTS: usize = 8;
const STORES: u64 = 100;
const DOCUMENT_EVENTS: usize = 1_000;

struct Places {
    factory: LocationId,
    dock: LocationId,
    checkpoints: Vec<LocationId>,
    warehouse: LocationId,
    stores: Vec<LocationId>,
}

impl Places {
    fn new() -> Places {
        let place = |text: String| LocationId::parse(&text).expect("a URI");
        Places {
            factory: place("urn:epc:id:sgln:0614141.00001.0".into()),
            dock: place("urn:epc:id:sgln:0614141.00001.1".into()),
            checkpoints: (0..CHECKPOINTS)
                .map(|n| place(format!("urn:epc:id:sgln:0614141.10000.{n}")))
                .collect(),
            warehouse: place("urn:epc:id:sgln:0012345.00001.0".into()),
            stores: (0..STORES)
                .map(|n| place(format!("urn:epc:id:sgln:0012345.20000.{n}")))
                .collect(),
        }
    }
}

fn prefix() -> CompanyPrefix {
    "0614141".parse().expect("a company prefix")
}

fn item(n: u64) -> Epc {
    let reference: ItemReference = "812345".parse().expect("an item reference");
    let serial = Serial::new(n).expect("a serial");
    Epc::from(Sgtin::new(Filter::ALL_OTHERS, prefix(), reference, serial).expect("an SGTIN"))
}

fn sscc(n: u64) -> Epc {
    let reference = SerialReference::new(n, 10).expect("a serial reference");
    Epc::from(Sscc::new(Filter::ALL_OTHERS, prefix(), reference).expect("an SSCC"))
}

fn case(n: u64) -> Epc {
    sscc(1_000_000_000 + n)
}

fn pallet(n: u64) -> Epc {
    sscc(2_000_000_000 + n)
}

/// Makes the events of the data set, in event time order, one second apart.
struct Generator {
    next: u64,
    record_time: Timestamp,
}

impl Generator {
    fn event(&mut self, what: What, step: CbvBizStep, place: &LocationId) -> Event {
        let number = self.next;
        self.next += 1;
        let at =
            Timestamp::from_epoch_ms(1_767_225_600_000 + i64::try_from(number).unwrap() * 1_000)
                .expect("in range");
        let mut content = EventContent::new(EventTime::new(at, TimeZoneOffset::UTC), what);
        content.read_point = Some(place.clone());
        content.biz_location = Some(place.clone());
        content.biz_step = Some(BizStep::Cbv(step));
        let id = EventId::parse(&format!("urn:jinka:bench:{number}")).expect("a URI");
        Event::new(id, self.record_time, content).expect("a valid event")
    }

    fn object(&mut self, epc: Epc, action: Action, step: CbvBizStep, place: &LocationId) -> Event {
        let what = What::Object(ObjectWhat {
            action,
            epc_list: vec![epc],
            quantity_list: Vec::new(),
            ilmd: None,
        });
        self.event(what, step, place)
    }

    fn aggregation(
        &mut self,
        action: Action,
        parent: Epc,
        children: Vec<Epc>,
        step: CbvBizStep,
        place: &LocationId,
    ) -> Event {
        let what = What::Aggregation(AggregationWhat {
            action,
            parent_id: Some(parent),
            child_epcs: children,
            child_quantity_list: Vec::new(),
        });
        self.event(what, step, place)
    }

    /// The events of pallet `p`'s story.
    fn pallet_story(&mut self, places: &Places, p: u64, delivered: bool) -> Vec<Event> {
        let mut events = Vec::with_capacity(300);
        let cases: Vec<u64> = (0..CASES_PER_PALLET)
            .map(|c| p * CASES_PER_PALLET + c)
            .collect();
        let items_of = |c: u64| (0..ITEMS_PER_CASE).map(move |i| c * ITEMS_PER_CASE + i);
        let factory = &places.factory;
        for &c in &cases {
            for i in items_of(c) {
                events.push(self.object(item(i), Action::Add, CbvBizStep::Commissioning, factory));
            }
            events.push(self.object(case(c), Action::Add, CbvBizStep::Commissioning, factory));
            let items = items_of(c).map(item).collect();
            events.push(self.aggregation(
                Action::Add,
                case(c),
                items,
                CbvBizStep::Packing,
                factory,
            ));
        }
        let case_epcs: Vec<Epc> = cases.iter().map(|&c| case(c)).collect();
        let dock = &places.dock;
        events.push(self.aggregation(
            Action::Add,
            pallet(p),
            case_epcs.clone(),
            CbvBizStep::Loading,
            dock,
        ));
        events.push(self.object(pallet(p), Action::Observe, CbvBizStep::Shipping, dock));
        for checkpoint in &places.checkpoints {
            let step = CbvBizStep::Transporting;
            events.push(self.object(pallet(p), Action::Observe, step, checkpoint));
        }
        if !delivered {
            let first = &places.checkpoints[0];
            let step = CbvBizStep::Inspecting;
            events.push(self.aggregation(Action::Observe, pallet(p), case_epcs, step, first));
            let warehouse = &places.warehouse;
            events.push(self.object(pallet(p), Action::Observe, CbvBizStep::Arriving, warehouse));
            return events;
        }
        let warehouse = &places.warehouse;
        events.push(self.object(pallet(p), Action::Observe, CbvBizStep::Receiving, warehouse));
        events.push(self.aggregation(
            Action::Delete,
            pallet(p),
            Vec::new(),
            CbvBizStep::Unloading,
            warehouse,
        ));
        let shelf = &places.stores[usize::try_from(p % STORES).unwrap()];
        for &c in &cases {
            let items = items_of(c).map(item).collect();
            events.push(self.aggregation(
                Action::Delete,
                case(c),
                items,
                CbvBizStep::Unpacking,
                shelf,
            ));
        }
        for &c in &cases {
            for i in items_of(c) {
                events.push(self.object(item(i), Action::Observe, CbvBizStep::Stocking, shelf));
            }
        }
        events
    }
}

/// A small deterministic generator to spread the samples.
struct Sampler {
    state: u64,
    samples: usize,
}

impl Sampler {
    fn below(&mut self, bound: u64) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state % bound
    }
}

/// This thread's time on a CPU and waiting for one (Linux `schedstat`, nanoseconds): on a
/// shared machine they tell the work from the waiting.
fn thread_times() -> Option<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let mut fields = text
        .split_whitespace()
        .map(|field| field.parse::<u64>().ok());
    Some((fields.next()??, fields.next()??))
}

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(default)
}

fn report(name: &str, mut samples: Vec<Duration>) {
    if samples.is_empty() {
        return;
    }
    samples.sort();
    let at = |fraction: f64| {
        samples[((samples.len() as f64 * fraction) as usize).min(samples.len() - 1)]
    };
    println!(
        "{name:<44} p50 {:>9.2?}  p99 {:>9.2?}  max {:>9.2?}",
        at(0.50),
        at(0.99),
        samples[samples.len() - 1]
    );
}

fn time_each<T>(
    mut query: impl FnMut(u64) -> T,
    sampler: &mut Sampler,
    bound: u64,
) -> Vec<Duration> {
    (0..sampler.samples)
        .map(|_| {
            let n = sampler.below(bound);
            let start = Instant::now();
            black_box(query(n));
            start.elapsed()
        })
        .collect()
}

fn main() {
    if std::env::args().any(|arg| arg == "--list") {
        return;
    }
    let pallets = setting("JINKA_BENCH_PALLETS", 5_000);
    let delivered = pallets * 4 / 5;
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("trace.sqlite3");
    let store = SqliteTraceStore::open(&path).expect("the store opens");
    let maker = Participant::new(2).expect("not 0");
    let record_time = Timestamp::parse("2026-03-02T20:00:00Z").expect("a time");
    let places = Places::new();
    let mut generator = Generator {
        next: 0,
        record_time,
    };

    let (mut objects, mut aggregations) = (0usize, 0usize);
    let mut pending: Vec<Event> = Vec::with_capacity(2 * DOCUMENT_EVENTS);
    let mut capturing = Duration::ZERO;
    let (mut on_cpu_ns, mut runnable_ns) = (0u64, 0u64);
    let mut documents = Vec::new();
    let mut flush = |batch: &[Event], capturing: &mut Duration| {
        let before = thread_times();
        let start = Instant::now();
        store
            .capture_events(maker, record_time, batch)
            .expect("captured");
        let took = start.elapsed();
        if let (Some(before), Some(after)) = (before, thread_times()) {
            on_cpu_ns += after.0.saturating_sub(before.0);
            runnable_ns += after.1.saturating_sub(before.1);
        }
        *capturing += took;
        documents.push(took);
    };
    for p in 0..pallets {
        let story = generator.pallet_story(&places, p, p < delivered);
        for event in &story {
            match event.event_type() {
                EventType::Object => objects += 1,
                _ => aggregations += 1,
            }
        }
        pending.extend(story);
        while pending.len() >= DOCUMENT_EVENTS {
            let rest = pending.split_off(DOCUMENT_EVENTS);
            flush(&pending, &mut capturing);
            pending = rest;
        }
    }
    if !pending.is_empty() {
        flush(&pending, &mut capturing);
    }
    let events = objects + aggregations;
    println!(
        "captured {objects} ObjectEvents + {aggregations} AggregationEvents in {} documents: \
         {capturing:.2?}, {:.0} events/s",
        documents.len(),
        events as f64 / capturing.as_secs_f64()
    );
    let per_event = |ns: u64| ns as f64 / 1_000.0 / events as f64;
    println!(
        "of which on a CPU {:.2} µs/event, waiting for a CPU {:.2} µs/event, the rest (I/O, \
         fsync) {:.2} µs/event",
        per_event(on_cpu_ns),
        per_event(runnable_ns),
        capturing.as_secs_f64() * 1e6 / events as f64
            - per_event(on_cpu_ns)
            - per_event(runnable_ns)
    );
    report("capture of one document of 1,000 events", documents);
    let bytes: u64 = std::fs::read_dir(directory.path())
        .expect("the directory")
        .filter_map(|entry| entry.ok()?.metadata().ok())
        .map(|metadata| metadata.len())
        .sum();
    println!("database files: {} MiB", bytes / (1024 * 1024));

    let viewer = Viewer::Participant(maker);
    let sizes = (
        store
            .history(viewer, &item(0))
            .expect("answered")
            .entries
            .len(),
        store
            .contents(viewer, &pallet(pallets - 1), true)
            .expect("answered")
            .len(),
    );
    println!(
        "history of a delivered item: {} entries; a loaded pallet holds {} EPCs",
        sizes.0, sizes.1
    );
    let mut sampler = Sampler {
        state: 0x9E37_79B9_7F4A_7C15,
        samples: usize::try_from(setting("JINKA_BENCH_SAMPLES", 20_000)).unwrap_or(0),
    };
    let items_per_pallet = CASES_PER_PALLET * ITEMS_PER_CASE;
    let delivered_items = delivered * items_per_pallet;
    let transit_items = (pallets - delivered) * items_per_pallet;
    report(
        "where_is (item in a case on a pallet)",
        time_each(
            |n| {
                store
                    .where_is(viewer, &item(delivered_items + n))
                    .expect("answered")
            },
            &mut sampler,
            transit_items,
        ),
    );
    report(
        "where_is (delivered item)",
        time_each(
            |n| store.where_is(viewer, &item(n)).expect("answered"),
            &mut sampler,
            delivered_items,
        ),
    );
    report(
        "history (delivered item)",
        time_each(
            |n| store.history(viewer, &item(n)).expect("answered"),
            &mut sampler,
            delivered_items,
        ),
    );
    report(
        "history (item in a case on a pallet)",
        time_each(
            |n| {
                store
                    .history(viewer, &item(delivered_items + n))
                    .expect("answered")
            },
            &mut sampler,
            transit_items,
        ),
    );
    report(
        "contents (loaded pallet, recursive)",
        time_each(
            |n| {
                store
                    .contents(viewer, &pallet(delivered + n), true)
                    .expect("answered")
            },
            &mut sampler,
            pallets - delivered,
        ),
    );
    report(
        "where_is (item, as the operator)",
        time_each(
            |n| {
                store
                    .where_is(Viewer::Operator, &item(delivered_items + n))
                    .expect("answered")
            },
            &mut sampler,
            transit_items,
        ),
    );
}
