//! Everything an event says but its id and record time, and the EPCIS rules that tie its
//! fields together.

use serde_json::{Map, Value};

use crate::action::Action;
use crate::biz_step::BizStep;
use crate::biz_transaction::BizTransaction;
use crate::disposition::Disposition;
use crate::epc::Epc;
use crate::error::{Error, Result};
use crate::error_declaration::ErrorDeclaration;
use crate::json_object::is_extension_name;
use crate::location_id::LocationId;
use crate::persistent_disposition::PersistentDisposition;
use crate::sensor::SensorElement;
use crate::source_destination::SourceDestination;
use crate::timestamp::EventTime;
use crate::uri::Uri;
use crate::what::What;

/// The most EPCs in one list of one event (`epcList`, `childEPCs`, `inputEPCList`, …).
pub const EVENT_EPCS_MAX: usize = 10_000;
/// The most items in any other list of one event (quantities, business transactions,
/// sources, destinations, sensor elements, corrective event ids, certifications).
pub const EVENT_LIST_ITEMS_MAX: usize = 1_000;

/// An event's fields: when (`time`), what (`what`), where (`read_point`, `biz_location`),
/// why (`biz_step`, `disposition`, `biz_transactions`, sources and destinations), sensor
/// data, and an error declaration if this is one.
///
/// Plain data: every field is a checked type, and [`EventContent::check`] (which
/// [`crate::Event::new`] runs) checks how they fit together.
#[derive(Clone, Debug, PartialEq)]
pub struct EventContent {
    pub time: EventTime,
    pub what: What,
    pub read_point: Option<LocationId>,
    pub biz_location: Option<LocationId>,
    pub biz_step: Option<BizStep>,
    pub disposition: Option<Disposition>,
    pub persistent_disposition: Option<PersistentDisposition>,
    pub biz_transactions: Vec<BizTransaction>,
    pub sources: Vec<SourceDestination>,
    pub destinations: Vec<SourceDestination>,
    pub sensor_elements: Vec<SensorElement>,
    pub certification_info: Vec<Uri>,
    pub error_declaration: Option<ErrorDeclaration>,
    /// Extension fields (namespaced names), as given.
    pub extensions: Map<String, Value>,
}

impl EventContent {
    /// An event with only its time and objects; fill in the other fields as needed.
    pub fn new(time: EventTime, what: What) -> EventContent {
        EventContent {
            time,
            what,
            read_point: None,
            biz_location: None,
            biz_step: None,
            disposition: None,
            persistent_disposition: None,
            biz_transactions: Vec::new(),
            sources: Vec::new(),
            destinations: Vec::new(),
            sensor_elements: Vec::new(),
            certification_info: Vec::new(),
            error_declaration: None,
            extensions: Map::new(),
        }
    }

    /// The EPCIS 2.0 rules for the event's type and action (§7.4, and the JSON schema),
    /// plus this crate's: every event names at least one object (or is an aggregation or
    /// association DELETE of all children), no EPC is listed twice in a list or as its own
    /// child, lists are within their limits, extension names are namespaced.
    pub fn check(&self) -> Result<()> {
        check_what(&self.what, self)?;
        for (field, count) in [
            ("bizTransactionList", self.biz_transactions.len()),
            ("sourceList", self.sources.len()),
            ("destinationList", self.destinations.len()),
            ("sensorElementList", self.sensor_elements.len()),
            ("certificationInfo", self.certification_info.len()),
            (
                "errorDeclaration.correctiveEventIDs",
                self.error_declaration
                    .as_ref()
                    .map_or(0, |declaration| declaration.corrective_event_ids.len()),
            ),
            ("quantityList", self.what.quantities().count()),
        ] {
            check_count(count, EVENT_LIST_ITEMS_MAX).map_err(|error| error.at(field))?;
        }
        if let Some(key) = self.extensions.keys().find(|key| !is_extension_name(key)) {
            return Err(Error::UnknownField.at(key.chars().take(64).collect::<String>()));
        }
        if self
            .sensor_elements
            .iter()
            .any(|element| element.reports.is_empty())
        {
            return Err(Error::Missing.at("sensorElementList.sensorReport"));
        }
        Ok(())
    }
}

fn rule(reason: &'static str) -> Result<()> {
    Err(Error::Rule { reason })
}

fn check_count(count: usize, max: usize) -> Result<()> {
    if count > max {
        Err(Error::TooMany { count, max })
    } else {
        Ok(())
    }
}

fn check_what(what: &What, content: &EventContent) -> Result<()> {
    let deleting = what.action() == Some(Action::Delete);
    let has_quantities = what.quantities().next().is_some();
    match what {
        What::Object(object) => {
            let sensed = !content.sensor_elements.is_empty() && content.read_point.is_some();
            if object.epc_list.is_empty() && !has_quantities && !sensed {
                return rule(
                    "an ObjectEvent names objects (epcList or quantityList) or sensor data with a readPoint",
                );
            }
            if object.ilmd.is_some() && object.action != Action::Add {
                return rule("ilmd is only allowed with action ADD");
            }
        }
        What::Aggregation(aggregation) => {
            if aggregation.parent_id.is_none() && aggregation.action != Action::Observe {
                return rule("an AggregationEvent with ADD or DELETE needs a parentID");
            }
            if aggregation.child_epcs.is_empty() && !has_quantities && !deleting {
                return rule("an AggregationEvent with ADD or OBSERVE needs children");
            }
        }
        What::Transaction(transaction) => {
            if content.biz_transactions.is_empty() {
                return rule("a TransactionEvent needs a bizTransactionList");
            }
            let named = !transaction.epc_list.is_empty()
                || has_quantities
                || transaction.parent_id.is_some();
            if !named && !deleting {
                return rule("a TransactionEvent with ADD or OBSERVE names objects");
            }
        }
        What::Transformation(transformation) => {
            let inputs = !transformation.input_epc_list.is_empty()
                || !transformation.input_quantity_list.is_empty();
            let outputs = !transformation.output_epc_list.is_empty()
                || !transformation.output_quantity_list.is_empty();
            let both = inputs && outputs;
            let one_with_id = (inputs || outputs) && transformation.transformation_id.is_some();
            if !both && !one_with_id {
                return rule(
                    "a TransformationEvent has inputs and outputs, or one of them and a transformationID",
                );
            }
        }
        What::Association(association) => {
            if association.parent_id.is_none() {
                return rule("an AssociationEvent needs a parentID");
            }
            if association.child_epcs.is_empty() && !has_quantities && !deleting {
                return rule("an AssociationEvent with ADD or OBSERVE needs children");
            }
        }
    }
    check_epc_lists(what)
}

fn check_epc_lists(what: &What) -> Result<()> {
    let lists: [(&str, &[Epc]); 3] = match what {
        What::Object(_) | What::Transaction(_) => {
            [("epcList", what.epc_list()), ("", &[]), ("", &[])]
        }
        What::Aggregation(_) | What::Association(_) => {
            [("childEPCs", what.epc_list()), ("", &[]), ("", &[])]
        }
        What::Transformation(transformation) => [
            ("inputEPCList", &transformation.input_epc_list),
            ("outputEPCList", &transformation.output_epc_list),
            ("", &[]),
        ],
    };
    for (field, list) in lists {
        check_count(list.len(), EVENT_EPCS_MAX).map_err(|error| error.at(field))?;
        if let Some(index) = first_repeat(list) {
            return Err(Error::DuplicateEpc.at(format!("{field}[{index}]")));
        }
        if let Some(parent) = what.parent_id()
            && let Some(index) = list.iter().position(|epc| epc == parent)
        {
            return Err(Error::DuplicateEpc.at(format!("{field}[{index}]")));
        }
    }
    Ok(())
}

/// The index of the first EPC of `list` that an earlier one repeats.
fn first_repeat(list: &[Epc]) -> Option<usize> {
    if list.len() < 2 {
        return None;
    }
    let mut seen = std::collections::HashSet::with_capacity(list.len());
    list.iter().position(|epc| !seen.insert(*epc))
}
