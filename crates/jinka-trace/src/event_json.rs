//! An event in the EPCIS 2.0 JSON(-LD) form, read into [`EventContent`] and written back.
//!
//! Read: the fields of the event's `type` (EPCIS 2.0 JSON schema), the common ones, and
//! extension fields with a namespace prefix (kept). `@context` of an event is accepted and
//! dropped (the document's context applies); extension fields inside `readPoint` and
//! `bizLocation` are dropped too. A `recordTime` in the input is read but not kept: the
//! capturing repository sets it (EPCIS §7.4.1). EPCs are read by [`Epc::parse`] (pure
//! identity URIs, or Digital Links through the context's [`CompanyPrefixLengths`]).
//!
//! Written: times in UTC with milliseconds (`2005-04-04T02:33:31.116Z`; the local offset is
//! in `eventTimeZoneOffset`), EPCs as pure identity URIs, CBV values as bare names.

use serde_json::{Map, Value};

use crate::action::Action;
use crate::biz_step::BizStep;
use crate::biz_transaction::{BizTransaction, BizTransactionType};
use crate::company_prefix_lengths::CompanyPrefixLengths;
use crate::disposition::Disposition;
use crate::epc::Epc;
use crate::error::{Error, Result};
use crate::error_declaration::{ErrorDeclaration, ErrorReason};
use crate::event::Event;
use crate::event_content::{EVENT_EPCS_MAX, EVENT_LIST_ITEMS_MAX, EventContent};
use crate::event_id::EventId;
use crate::event_type::EventType;
use crate::json_object::JsonObject;
use crate::location_id::LocationId;
use crate::persistent_disposition::PersistentDisposition;
use crate::quantity::QuantityElement;
use crate::sensor::SensorElement;
use crate::source_destination::{SourceDestination, SourceDestinationType};
use crate::timestamp::{EventTime, TimeZoneOffset, Timestamp};
use crate::uri::Uri;
use crate::what::{
    AggregationWhat, AssociationWhat, ObjectWhat, TransactionWhat, TransformationWhat, What,
};

/// An event as read, before it has an id for sure and a record time.
pub(crate) struct ReadEvent {
    pub(crate) event_id: Option<EventId>,
    pub(crate) record_time: Option<Timestamp>,
    pub(crate) content: EventContent,
}

/// Reads one event of an EPCIS 2.0 document and checks it.
pub(crate) fn read_event(value: Value, lengths: &CompanyPrefixLengths) -> Result<ReadEvent> {
    let mut object = JsonObject::new(value)?;
    let event_type = object.required("type", EventType::parse)?;
    object.take("@context");
    let event_id = object.parse("eventID", EventId::parse)?;
    let at = object.required("eventTime", Timestamp::parse)?;
    let offset = object.required("eventTimeZoneOffset", TimeZoneOffset::parse)?;
    let record_time = object.parse("recordTime", Timestamp::parse)?;
    let what = read_what(&mut object, event_type, lengths)?;
    let mut content = EventContent::new(EventTime::new(at, offset), what);
    read_where_and_why(&mut object, &mut content)?;
    content.extensions = object.finish()?;
    content.check()?;
    Ok(ReadEvent {
        event_id,
        record_time,
        content,
    })
}

fn read_what(
    object: &mut JsonObject,
    event_type: EventType,
    lengths: &CompanyPrefixLengths,
) -> Result<What> {
    let epc = |text: &str| Epc::parse(text, lengths);
    let epcs = |object: &mut JsonObject, key| object.string_list(key, EVENT_EPCS_MAX, epc);
    let quantities = |object: &mut JsonObject, key| {
        object.list(key, EVENT_LIST_ITEMS_MAX, QuantityElement::from_json)
    };
    let action = |object: &mut JsonObject| object.required("action", Action::parse);
    Ok(match event_type {
        EventType::Object => What::Object(ObjectWhat {
            action: action(object)?,
            epc_list: epcs(object, "epcList")?,
            quantity_list: quantities(object, "quantityList")?,
            ilmd: object.object("ilmd", read_ilmd)?,
        }),
        EventType::Aggregation => What::Aggregation(AggregationWhat {
            action: action(object)?,
            parent_id: object.parse("parentID", epc)?,
            child_epcs: epcs(object, "childEPCs")?,
            child_quantity_list: quantities(object, "childQuantityList")?,
        }),
        EventType::Transaction => What::Transaction(TransactionWhat {
            action: action(object)?,
            parent_id: object.parse("parentID", epc)?,
            epc_list: epcs(object, "epcList")?,
            quantity_list: quantities(object, "quantityList")?,
        }),
        EventType::Transformation => What::Transformation(TransformationWhat {
            transformation_id: object.parse("transformationID", Uri::parse)?,
            input_epc_list: epcs(object, "inputEPCList")?,
            input_quantity_list: quantities(object, "inputQuantityList")?,
            output_epc_list: epcs(object, "outputEPCList")?,
            output_quantity_list: quantities(object, "outputQuantityList")?,
            ilmd: object.object("ilmd", read_ilmd)?,
        }),
        EventType::Association => What::Association(AssociationWhat {
            action: action(object)?,
            parent_id: object.parse("parentID", epc)?,
            child_epcs: epcs(object, "childEPCs")?,
            child_quantity_list: quantities(object, "childQuantityList")?,
        }),
    })
}

fn read_where_and_why(object: &mut JsonObject, content: &mut EventContent) -> Result<()> {
    let items = EVENT_LIST_ITEMS_MAX;
    content.read_point = object.object("readPoint", read_place)?;
    content.biz_location = object.object("bizLocation", read_place)?;
    content.biz_step = object.parse("bizStep", BizStep::parse)?;
    content.disposition = object.parse("disposition", Disposition::parse)?;
    content.persistent_disposition =
        object.object("persistentDisposition", read_persistent_disposition)?;
    content.biz_transactions = object.list("bizTransactionList", items, read_biz_transaction)?;
    content.sources = object.list("sourceList", items, |value| {
        read_source_destination(value, "source")
    })?;
    content.destinations = object.list("destinationList", items, |value| {
        read_source_destination(value, "destination")
    })?;
    content.sensor_elements = object.list("sensorElementList", items, SensorElement::from_json)?;
    content.certification_info = match object.take("certificationInfo") {
        None => Vec::new(),
        Some(Value::String(text)) => {
            vec![Uri::parse(&text).map_err(|error| error.at("certificationInfo"))?]
        }
        Some(value) => {
            // A list of URIs, read as any other list.
            object.restore("certificationInfo", value);
            object.string_list("certificationInfo", items, Uri::parse)?
        }
    };
    content.error_declaration = object.object("errorDeclaration", read_error_declaration)?;
    Ok(())
}

/// `readPoint` / `bizLocation`: `{"id": uri}`; namespaced extension fields are dropped.
fn read_place(mut object: JsonObject) -> Result<LocationId> {
    let id = object.required("id", LocationId::parse)?;
    object.finish()?;
    Ok(id)
}

fn read_ilmd(object: JsonObject) -> Result<Map<String, Value>> {
    object.finish()
}

fn read_persistent_disposition(mut object: JsonObject) -> Result<PersistentDisposition> {
    let items = EVENT_LIST_ITEMS_MAX;
    let set = object.string_list("set", items, Disposition::parse)?;
    let unset = object.string_list("unset", items, Disposition::parse)?;
    object.finish()?;
    Ok(PersistentDisposition { set, unset })
}

fn read_biz_transaction(value: Value) -> Result<BizTransaction> {
    let mut object = JsonObject::new(value)?;
    let kind = object.parse("type", BizTransactionType::parse)?;
    let id = object.required("bizTransaction", Uri::parse)?;
    object.finish()?;
    Ok(BizTransaction { kind, id })
}

fn read_source_destination(value: Value, key: &str) -> Result<SourceDestination> {
    let mut object = JsonObject::new(value)?;
    let kind = object.required("type", SourceDestinationType::parse)?;
    let id = object.required(key, Uri::parse)?;
    object.finish()?;
    Ok(SourceDestination { kind, id })
}

fn read_error_declaration(mut object: JsonObject) -> Result<ErrorDeclaration> {
    let declaration_time = object.required("declarationTime", Timestamp::parse)?;
    let reason = object.parse("reason", ErrorReason::parse)?;
    let corrective_event_ids =
        object.string_list("correctiveEventIDs", EVENT_LIST_ITEMS_MAX, EventId::parse)?;
    object.finish()?;
    Ok(ErrorDeclaration {
        declaration_time,
        reason,
        corrective_event_ids,
    })
}

/// The EPCIS 2.0 JSON form of a captured event.
pub(crate) fn write_event(event: &Event) -> Value {
    let content = event.content();
    let mut map = content.extensions.clone();
    let mut put = |key: &str, value: Value| {
        map.insert(key.to_owned(), value);
    };
    put("type", event.event_type().name().into());
    put("eventID", event.id().as_str().into());
    put("eventTime", content.time.at.to_rfc3339().into());
    put(
        "eventTimeZoneOffset",
        content.time.offset.to_string().into(),
    );
    put("recordTime", event.record_time().to_rfc3339().into());
    write_what(&content.what, &mut put);
    if let Some(place) = &content.read_point {
        put("readPoint", place_json(place));
    }
    if let Some(place) = &content.biz_location {
        put("bizLocation", place_json(place));
    }
    write_why(content, &mut put);
    Value::Object(map)
}

fn write_what(what: &What, put: &mut impl FnMut(&str, Value)) {
    let epcs = |list: &[Epc]| Value::Array(list.iter().map(|epc| epc.pure_uri().into()).collect());
    let quantities = |list: &[QuantityElement]| {
        Value::Array(list.iter().map(QuantityElement::to_json).collect())
    };
    let mut lists = |key: &str, list: &[Epc], quantity_key: &str, quantity: &[QuantityElement]| {
        if !list.is_empty() {
            put(key, epcs(list));
        }
        if !quantity.is_empty() {
            put(quantity_key, quantities(quantity));
        }
    };
    match what {
        What::Object(what) => lists(
            "epcList",
            &what.epc_list,
            "quantityList",
            &what.quantity_list,
        ),
        What::Transaction(what) => lists(
            "epcList",
            &what.epc_list,
            "quantityList",
            &what.quantity_list,
        ),
        What::Aggregation(AggregationWhat {
            child_epcs,
            child_quantity_list,
            ..
        })
        | What::Association(AssociationWhat {
            child_epcs,
            child_quantity_list,
            ..
        }) => lists(
            "childEPCs",
            child_epcs,
            "childQuantityList",
            child_quantity_list,
        ),
        What::Transformation(what) => {
            lists(
                "inputEPCList",
                &what.input_epc_list,
                "inputQuantityList",
                &what.input_quantity_list,
            );
            lists(
                "outputEPCList",
                &what.output_epc_list,
                "outputQuantityList",
                &what.output_quantity_list,
            );
        }
    }
    // ObjectEvent's epcList is written even when empty: the JSON schema keys on its presence.
    if let What::Object(object) = what
        && object.epc_list.is_empty()
    {
        put("epcList", Value::Array(Vec::new()));
    }
    if let Some(parent) = what.parent_id() {
        put("parentID", parent.pure_uri().into());
    }
    if let Some(action) = what.action() {
        put("action", action.name().into());
    }
    let (ilmd, transformation_id) = match what {
        What::Object(what) => (what.ilmd.as_ref(), None),
        What::Transformation(what) => (what.ilmd.as_ref(), what.transformation_id.as_ref()),
        _ => (None, None),
    };
    if let Some(ilmd) = ilmd {
        put("ilmd", Value::Object(ilmd.clone()));
    }
    if let Some(id) = transformation_id {
        put("transformationID", id.as_str().into());
    }
}

fn write_why(content: &EventContent, put: &mut impl FnMut(&str, Value)) {
    if let Some(step) = &content.biz_step {
        put("bizStep", step.as_str().into());
    }
    if let Some(disposition) = &content.disposition {
        put("disposition", disposition.as_str().into());
    }
    if let Some(persistent) = &content.persistent_disposition {
        put("persistentDisposition", to_value(persistent));
    }
    if !content.biz_transactions.is_empty() {
        put("bizTransactionList", to_value(&content.biz_transactions));
    }
    for (key, item_key, list) in [
        ("sourceList", "source", &content.sources),
        ("destinationList", "destination", &content.destinations),
    ] {
        if !list.is_empty() {
            let items = list
                .iter()
                .map(|entry| {
                    let mut map = Map::new();
                    map.insert("type".into(), entry.kind.as_str().into());
                    map.insert(item_key.into(), entry.id.as_str().into());
                    Value::Object(map)
                })
                .collect();
            put(key, Value::Array(items));
        }
    }
    if !content.sensor_elements.is_empty() {
        let elements = content.sensor_elements.iter().map(SensorElement::to_json);
        put("sensorElementList", Value::Array(elements.collect()));
    }
    if !content.certification_info.is_empty() {
        put("certificationInfo", to_value(&content.certification_info));
    }
    if let Some(declaration) = &content.error_declaration {
        put("errorDeclaration", to_value(declaration));
    }
}

fn place_json(place: &LocationId) -> Value {
    let mut map = Map::new();
    map.insert("id".into(), place.as_str().into());
    Value::Object(map)
}

/// The serde form of one of this crate's plain types, which never fails to serialize.
fn to_value(value: &impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// Reads an event in its stored form: as [`write_event`] writes it, with `eventID` and
/// `recordTime`.
pub(crate) fn read_stored_event(value: Value) -> Result<Event> {
    let read = read_event(value, &CompanyPrefixLengths::new())?;
    let id = read.event_id.ok_or_else(|| Error::Missing.at("eventID"))?;
    let record_time = read
        .record_time
        .ok_or_else(|| Error::Missing.at("recordTime"))?;
    Event::new(id, record_time, read.content)
}
