//! The five EPCIS event types.

use crate::error::{Error, Result, quote};

/// EPCIS 2.0 §7.4: the type of an event, which fixes its "what" fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    /// Objects observed, created or ended (`epcList`, `quantityList`).
    Object,
    /// Children put in or taken out of a parent (`parentID`, `childEPCs`).
    Aggregation,
    /// Objects tied to business transactions.
    Transaction,
    /// Inputs consumed to make outputs.
    Transformation,
    /// Children associated with a parent (e.g. a sensor with an asset).
    Association,
}

impl EventType {
    pub const ALL: [EventType; 5] = [
        EventType::Object,
        EventType::Aggregation,
        EventType::Transaction,
        EventType::Transformation,
        EventType::Association,
    ];

    /// The JSON `type`: `ObjectEvent`, `AggregationEvent`, ….
    pub const fn name(self) -> &'static str {
        match self {
            EventType::Object => "ObjectEvent",
            EventType::Aggregation => "AggregationEvent",
            EventType::Transaction => "TransactionEvent",
            EventType::Transformation => "TransformationEvent",
            EventType::Association => "AssociationEvent",
        }
    }

    pub fn parse(text: &str) -> Result<EventType> {
        EventType::ALL
            .into_iter()
            .find(|kind| kind.name() == text)
            .ok_or_else(|| Error::UnknownEventType { found: quote(text) })
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl serde::Serialize for EventType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for EventType {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        EventType::parse(&text).map_err(serde::de::Error::custom)
    }
}
