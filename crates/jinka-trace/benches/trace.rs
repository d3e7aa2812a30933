//! Capture and the three traceability queries on 1,000,000 ObjectEvents and 100,000
//! AggregationEvents, in memory (the pure core: storage costs more, and is the hub's).
//!
//! The data set: 5,000 pallets of 10 cases of 10 items (500,000 items). Per pallet: each
//! item commissioned (one ObjectEvent each), each case labelled (an ObjectEvent) and packed
//! (an AggregationEvent ADD), the pallet loaded (ADD) and seen 10 times on its way (shipping,
//! 8 checkpoints, receiving). Pallets 0..4000 are delivered: unloaded (DELETE of all
//! children), their cases unpacked (DELETE naming the items), and each item seen once on a
//! store shelf. Pallets 4000..5000 are still loaded: inspected once (an aggregation
//! OBSERVE), arrived at the warehouse, not unloaded; their items are two containers deep. Totals: 500,000 + 50,000 + 50,000 +
//! 400,000 = 1,000,000 ObjectEvents; 50,000 + 5,000 + 4,000 + 40,000 + 1,000 = 100,000
//! AggregationEvents.
//!
//! Besides criterion's timings, the bench prints the time to capture the whole set and the
//! 50th / 99th percentile and maximum of each query over 20,000 random objects.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jinka_epc::{CompanyPrefix, Filter, ItemReference, Serial, SerialReference, Sgtin, Sscc};
use jinka_trace::{
    Action, AggregationWhat, BizStep, CaptureContext, CbvBizStep, Document, Epc, Event,
    EventContent, EventId, EventTime, LocationId, ObjectWhat, Projections, SequentialEventIds,
    TimeZoneOffset, Timestamp, What,
};

const PALLETS: u64 = 5_000;
const DELIVERED: u64 = 4_000;
const CASES_PER_PALLET: u64 = 10;
const ITEMS_PER_CASE: u64 = 10;
const CHECKPOINTS: usize = 8;
const STORES: u64 = 100;
const QUERY_SAMPLES: usize = 20_000;

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
}

impl Generator {
    fn new(first: u64) -> Generator {
        Generator { next: first }
    }

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
        Event::new(id, Timestamp::MIN, content).expect("a valid event")
    }

    fn object(
        &mut self,
        epcs: Vec<Epc>,
        action: Action,
        step: CbvBizStep,
        place: &LocationId,
    ) -> Event {
        let what = What::Object(ObjectWhat {
            action,
            epc_list: epcs,
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
    fn pallet_story(&mut self, places: &Places, p: u64) -> Vec<Event> {
        let mut events = Vec::with_capacity(300);
        let cases: Vec<u64> = (0..CASES_PER_PALLET)
            .map(|c| p * CASES_PER_PALLET + c)
            .collect();
        let items_of = |c: u64| (0..ITEMS_PER_CASE).map(move |i| c * ITEMS_PER_CASE + i);
        for &c in &cases {
            for i in items_of(c) {
                events.push(self.object(
                    vec![item(i)],
                    Action::Add,
                    CbvBizStep::Commissioning,
                    &places.factory,
                ));
            }
            events.push(self.object(
                vec![case(c)],
                Action::Add,
                CbvBizStep::Commissioning,
                &places.factory,
            ));
            let items = items_of(c).map(item).collect();
            events.push(self.aggregation(
                Action::Add,
                case(c),
                items,
                CbvBizStep::Packing,
                &places.factory,
            ));
        }
        let case_epcs: Vec<Epc> = cases.iter().map(|&c| case(c)).collect();
        events.push(self.aggregation(
            Action::Add,
            pallet(p),
            case_epcs.clone(),
            CbvBizStep::Loading,
            &places.dock,
        ));
        events.push(self.object(
            vec![pallet(p)],
            Action::Observe,
            CbvBizStep::Shipping,
            &places.dock,
        ));
        for checkpoint in &places.checkpoints {
            events.push(self.object(
                vec![pallet(p)],
                Action::Observe,
                CbvBizStep::Transporting,
                checkpoint,
            ));
        }
        if p >= DELIVERED {
            events.push(self.aggregation(
                Action::Observe,
                pallet(p),
                case_epcs,
                CbvBizStep::Inspecting,
                &places.checkpoints[0],
            ));
            events.push(self.object(
                vec![pallet(p)],
                Action::Observe,
                CbvBizStep::Arriving,
                &places.warehouse,
            ));
            return events;
        }
        events.push(self.object(
            vec![pallet(p)],
            Action::Observe,
            CbvBizStep::Receiving,
            &places.warehouse,
        ));
        events.push(self.aggregation(
            Action::Delete,
            pallet(p),
            Vec::new(),
            CbvBizStep::Unloading,
            &places.warehouse,
        ));
        let store = &places.stores[usize::try_from(p % STORES).unwrap()];
        for &c in &cases {
            let items = items_of(c).map(item).collect();
            events.push(self.aggregation(
                Action::Delete,
                case(c),
                items,
                CbvBizStep::Unpacking,
                store,
            ));
        }
        for &c in &cases {
            for i in items_of(c) {
                events.push(self.object(
                    vec![item(i)],
                    Action::Observe,
                    CbvBizStep::Stocking,
                    store,
                ));
            }
        }
        events
    }
}

/// The data set applied to projections, and the time capture took.
fn data_set() -> (Projections, Duration, usize) {
    let places = Places::new();
    let mut generator = Generator::new(0);
    let mut projections = Projections::new();
    let mut applying = Duration::ZERO;
    let mut count = 0;
    for p in 0..PALLETS {
        let events = generator.pallet_story(&places, p);
        let start = Instant::now();
        for event in &events {
            projections.apply(event).expect("capacity");
        }
        applying += start.elapsed();
        count += events.len();
    }
    (projections, applying, count)
}

/// A small deterministic generator for sampling objects (no randomness in the core, none
/// needed here beyond spreading the samples).
struct Sampler(u64);

impl Sampler {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

fn percentiles(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let at = |fraction: f64| {
        samples[((samples.len() as f64 * fraction) as usize).min(samples.len() - 1)]
    };
    eprintln!(
        "{name:<40} p50 {:>9.2?}  p99 {:>9.2?}  max {:>9.2?}",
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
    (0..QUERY_SAMPLES)
        .map(|_| {
            let n = sampler.below(bound);
            let start = Instant::now();
            black_box(query(n));
            start.elapsed()
        })
        .collect()
}

fn item_in_transit(sampler: &mut Sampler) -> u64 {
    let delivered_items = DELIVERED * CASES_PER_PALLET * ITEMS_PER_CASE;
    let transit_items = (PALLETS - DELIVERED) * CASES_PER_PALLET * ITEMS_PER_CASE;
    delivered_items + sampler.below(transit_items)
}

fn print_percentiles(projections: &Projections) {
    let mut sampler = Sampler(0x9E37_79B9_7F4A_7C15);
    let delivered_items = DELIVERED * CASES_PER_PALLET * ITEMS_PER_CASE;
    let all_items = PALLETS * CASES_PER_PALLET * ITEMS_PER_CASE;
    percentiles(
        "where_is (any item)",
        time_each(|n| projections.where_is(&item(n)), &mut sampler, all_items),
    );
    let transit: Vec<u64> = (0..QUERY_SAMPLES)
        .map(|_| item_in_transit(&mut sampler))
        .collect();
    let mut index = 0;
    percentiles(
        "where_is (item in case on pallet)",
        time_each(
            |_| {
                index += 1;
                projections.where_is(&item(transit[index % transit.len()]))
            },
            &mut sampler,
            1,
        ),
    );
    percentiles(
        "history (any item)",
        time_each(|n| projections.history(&item(n)), &mut sampler, all_items),
    );
    percentiles(
        "history (delivered item)",
        time_each(
            |n| projections.history(&item(n)),
            &mut sampler,
            delivered_items,
        ),
    );
    percentiles(
        "contents recursive (pallet in transit)",
        time_each(
            |n| projections.contents(&pallet(DELIVERED + n), true),
            &mut sampler,
            PALLETS - DELIVERED,
        ),
    );
    percentiles(
        "contents recursive (any pallet)",
        time_each(
            |n| projections.contents(&pallet(n), true),
            &mut sampler,
            PALLETS,
        ),
    );
}

/// A document of `count` ObjectEvents, as a reader gateway would send.
fn object_document(count: usize) -> String {
    let events: Vec<serde_json::Value> = (0..count)
        .map(|n| {
            serde_json::json!({
                "type": "ObjectEvent",
                "eventTime": "2026-03-02T10:00:00.000+08:00",
                "eventTimeZoneOffset": "+08:00",
                "action": "OBSERVE",
                "bizStep": "https://ref.gs1.org/cbv/BizStep-receiving",
                "disposition": "in_progress",
                "epcList": [format!("urn:epc:id:sgtin:0614141.812345.{n}")],
                "readPoint": {"id": "urn:epc:id:sgln:0012345.00001.0"},
                "bizLocation": {"id": "urn:epc:id:sgln:0012345.00001.0"},
            })
        })
        .collect();
    serde_json::json!({
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-03-02T10:00:00Z",
        "epcisBody": {"eventList": events},
    })
    .to_string()
}

fn trace(c: &mut Criterion) {
    let started = Instant::now();
    let (mut projections, applying, count) = data_set();
    eprintln!(
        "data set: {count} events, {} EPCs; built in {:.2?}, of which apply {:.2?} = {:.0} events/s",
        projections.epc_count(),
        started.elapsed(),
        applying,
        count as f64 / applying.as_secs_f64()
    );
    print_percentiles(&projections);

    let mut group = c.benchmark_group("trace");
    // Capture: one more pallet's story (242 events) onto the full projections per iteration.
    let places = Places::new();
    let mut generator = Generator::new(10_000_000);
    let mut next_pallet = PALLETS;
    let story_events = generator.pallet_story(&places, PALLETS + 1_000_000).len();
    group.throughput(Throughput::Elements(story_events as u64));
    // Each iteration grows the projections by a pallet: keep the run short.
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(2));
    group.bench_function("capture/apply_pallet_story", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                let events = generator.pallet_story(&places, next_pallet);
                next_pallet += 1;
                let start = Instant::now();
                for event in &events {
                    projections.apply(black_box(event)).expect("capacity");
                }
                total += start.elapsed();
            }
            total
        });
    });
    group
        .sample_size(50)
        .measurement_time(Duration::from_secs(3));
    let document = object_document(1_000);
    let context = CaptureContext::default();
    group.throughput(Throughput::Elements(1_000));
    group.bench_function("capture/parse_document_1000_object_events", |b| {
        b.iter(|| {
            let parsed = Document::parse(black_box(&document), &context).expect("valid");
            let mut ids = SequentialEventIds::new("urn:jinka:bench:parsed:", 0).expect("a prefix");
            parsed.into_events(&mut ids, Timestamp::MIN).expect("ids")
        });
    });
    group.throughput(Throughput::Elements(1));
    let mut sampler = Sampler(0x2545_F491_4F6C_DD1D);
    group.bench_function("query/where_is_item_in_transit", |b| {
        b.iter(|| projections.where_is(&item(item_in_transit(&mut sampler))));
    });
    let delivered_items = DELIVERED * CASES_PER_PALLET * ITEMS_PER_CASE;
    group.bench_function("query/history_delivered_item", |b| {
        b.iter(|| projections.history(&item(sampler.below(delivered_items))));
    });
    group.bench_function("query/history_item_in_transit", |b| {
        b.iter(|| projections.history(&item(item_in_transit(&mut sampler))));
    });
    group.bench_function("query/contents_recursive_pallet", |b| {
        b.iter(|| {
            projections.contents(
                &pallet(DELIVERED + sampler.below(PALLETS - DELIVERED)),
                true,
            )
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50);
    targets = trace
}
criterion_main!(benches);
