//! The "what" of an event: which objects, per event type.

use serde_json::{Map, Value};

use crate::action::Action;
use crate::epc::Epc;
use crate::event_type::EventType;
use crate::quantity::QuantityElement;
use crate::uri::Uri;

/// The objects an event is about, in the fields of its type (EPCIS 2.0 §7.4).
#[derive(Clone, Debug, PartialEq)]
pub enum What {
    Object(ObjectWhat),
    Aggregation(AggregationWhat),
    Transaction(TransactionWhat),
    Transformation(TransformationWhat),
    Association(AssociationWhat),
}

/// ObjectEvent: `epcList`, `quantityList`, `action`, and `ilmd` (instance / lot master data,
/// only with ADD).
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectWhat {
    pub action: Action,
    pub epc_list: Vec<Epc>,
    pub quantity_list: Vec<QuantityElement>,
    pub ilmd: Option<Map<String, Value>>,
}

/// AggregationEvent: `parentID` (required unless OBSERVE), `childEPCs`, `childQuantityList`,
/// `action`. DELETE with no children at all takes every child out of the parent.
#[derive(Clone, Debug, PartialEq)]
pub struct AggregationWhat {
    pub action: Action,
    pub parent_id: Option<Epc>,
    pub child_epcs: Vec<Epc>,
    pub child_quantity_list: Vec<QuantityElement>,
}

/// TransactionEvent: `bizTransactionList` (in the event's "why", required), `parentID`,
/// `epcList`, `quantityList`, `action`.
#[derive(Clone, Debug, PartialEq)]
pub struct TransactionWhat {
    pub action: Action,
    pub parent_id: Option<Epc>,
    pub epc_list: Vec<Epc>,
    pub quantity_list: Vec<QuantityElement>,
}

/// TransformationEvent: inputs consumed, outputs made; no action.
#[derive(Clone, Debug, PartialEq)]
pub struct TransformationWhat {
    pub transformation_id: Option<Uri>,
    pub input_epc_list: Vec<Epc>,
    pub input_quantity_list: Vec<QuantityElement>,
    pub output_epc_list: Vec<Epc>,
    pub output_quantity_list: Vec<QuantityElement>,
    pub ilmd: Option<Map<String, Value>>,
}

/// AssociationEvent: `parentID` (required), `childEPCs`, `childQuantityList`, `action`.
#[derive(Clone, Debug, PartialEq)]
pub struct AssociationWhat {
    pub action: Action,
    pub parent_id: Option<Epc>,
    pub child_epcs: Vec<Epc>,
    pub child_quantity_list: Vec<QuantityElement>,
}

impl What {
    pub fn event_type(&self) -> EventType {
        match self {
            What::Object(_) => EventType::Object,
            What::Aggregation(_) => EventType::Aggregation,
            What::Transaction(_) => EventType::Transaction,
            What::Transformation(_) => EventType::Transformation,
            What::Association(_) => EventType::Association,
        }
    }

    /// The action; a TransformationEvent has none.
    pub fn action(&self) -> Option<Action> {
        match self {
            What::Object(what) => Some(what.action),
            What::Aggregation(what) => Some(what.action),
            What::Transaction(what) => Some(what.action),
            What::Transformation(_) => None,
            What::Association(what) => Some(what.action),
        }
    }

    pub fn parent_id(&self) -> Option<&Epc> {
        match self {
            What::Aggregation(AggregationWhat { parent_id, .. })
            | What::Transaction(TransactionWhat { parent_id, .. })
            | What::Association(AssociationWhat { parent_id, .. }) => parent_id.as_ref(),
            What::Object(_) | What::Transformation(_) => None,
        }
    }

    /// `epcList` of an object or transaction event, `childEPCs` of an aggregation or
    /// association: what EPCIS's `MATCH_epc` looks at.
    pub fn epc_list(&self) -> &[Epc] {
        match self {
            What::Object(what) => &what.epc_list,
            What::Transaction(what) => &what.epc_list,
            What::Aggregation(what) => &what.child_epcs,
            What::Association(what) => &what.child_epcs,
            What::Transformation(_) => &[],
        }
    }

    pub fn input_epc_list(&self) -> &[Epc] {
        match self {
            What::Transformation(what) => &what.input_epc_list,
            _ => &[],
        }
    }

    pub fn output_epc_list(&self) -> &[Epc] {
        match self {
            What::Transformation(what) => &what.output_epc_list,
            _ => &[],
        }
    }

    /// Every EPC the event names, in any role (parent, child, listed, input, output).
    pub fn all_epcs(&self) -> impl Iterator<Item = &Epc> {
        self.parent_id()
            .into_iter()
            .chain(self.epc_list())
            .chain(self.input_epc_list())
            .chain(self.output_epc_list())
    }

    /// Every class-level quantity the event names.
    pub fn quantities(&self) -> impl Iterator<Item = &QuantityElement> {
        let (first, second): (&[QuantityElement], &[QuantityElement]) = match self {
            What::Object(what) => (&what.quantity_list, &[]),
            What::Transaction(what) => (&what.quantity_list, &[]),
            What::Aggregation(what) => (&what.child_quantity_list, &[]),
            What::Association(what) => (&what.child_quantity_list, &[]),
            What::Transformation(what) => (&what.input_quantity_list, &what.output_quantity_list),
        };
        first.iter().chain(second)
    }
}
