//! Sensor data attached to an event (EPCIS 2.0 `sensorElementList`, §7.3.8).
//!
//! The structure is kept as EPCIS gives it (`sensorMetadata` and a list of `sensorReport`s)
//! and its shape is checked: times are RFC 3339, URIs are URIs, numbers are finite, booleans
//! are booleans, `hexBinaryValue` is hex; a report has a `type` or an `exception`. Fields this
//! crate does not read itself stay as JSON.

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::json_object::JsonObject;
use crate::quantity::Uom;
use crate::timestamp::Timestamp;
use crate::uri;

/// The most reports one sensor element carries.
pub const SENSOR_REPORTS_MAX: usize = 1_000;

/// The longest measurement type or exception name (`gs1:Temperature`, `ALARM_CONDITION`).
const NAME_BYTES_MAX: usize = 128;

/// What the checks expect of a field of a sensor report or of sensor metadata.
#[derive(Clone, Copy)]
enum Shape {
    Time,
    Uri,
    Decimal,
    Text,
    Boolean,
    HexBinary,
}

/// The fields of `sensorReport` other than `type`, `exception`, `value`, `uom` and `time`.
const REPORT_FIELDS: [(&str, Shape); 18] = [
    ("deviceID", Shape::Uri),
    ("deviceMetadata", Shape::Uri),
    ("rawData", Shape::Uri),
    ("dataProcessingMethod", Shape::Uri),
    ("microorganism", Shape::Uri),
    ("chemicalSubstance", Shape::Uri),
    ("coordinateReferenceSystem", Shape::Uri),
    ("uriValue", Shape::Uri),
    ("component", Shape::Text),
    ("stringValue", Shape::Text),
    ("booleanValue", Shape::Boolean),
    ("hexBinaryValue", Shape::HexBinary),
    ("minValue", Shape::Decimal),
    ("maxValue", Shape::Decimal),
    ("meanValue", Shape::Decimal),
    ("sDev", Shape::Decimal),
    ("percRank", Shape::Decimal),
    ("percValue", Shape::Decimal),
];

/// The fields of `sensorMetadata`.
const METADATA_FIELDS: [(&str, Shape); 8] = [
    ("time", Shape::Time),
    ("startTime", Shape::Time),
    ("endTime", Shape::Time),
    ("deviceID", Shape::Uri),
    ("deviceMetadata", Shape::Uri),
    ("rawData", Shape::Uri),
    ("dataProcessingMethod", Shape::Uri),
    ("bizRules", Shape::Uri),
];

/// One entry of `sensorElementList`.
#[derive(Clone, Debug, PartialEq)]
pub struct SensorElement {
    /// `sensorMetadata`, checked, as given.
    pub metadata: Option<Map<String, Value>>,
    /// `sensorReport`, at least one.
    pub reports: Vec<SensorReport>,
    /// Extension fields of the element (namespaced names).
    pub extensions: Map<String, Value>,
}

/// One `sensorReport`: a measurement (`type`, `value`, `uom`, `time`) or an exception.
#[derive(Clone, Debug, PartialEq)]
pub struct SensorReport {
    /// `type`: the measurement type (`gs1:Temperature` or a URI).
    pub measurement_type: Option<String>,
    /// `exception`: `ALARM_CONDITION`, `ERROR_CONDITION` or a URI.
    pub exception: Option<String>,
    pub value: Option<f64>,
    pub uom: Option<Uom>,
    pub time: Option<Timestamp>,
    /// The other standard fields (checked) and extension fields, as given.
    pub other: Map<String, Value>,
}

impl SensorElement {
    pub(crate) fn from_json(value: Value) -> Result<SensorElement> {
        let mut object = JsonObject::new(value)?;
        let metadata = object.object("sensorMetadata", read_metadata)?;
        let reports = object.list("sensorReport", SENSOR_REPORTS_MAX, SensorReport::from_json)?;
        if reports.is_empty() {
            return Err(Error::Missing.at("sensorReport"));
        }
        let extensions = object.finish()?;
        Ok(SensorElement {
            metadata,
            reports,
            extensions,
        })
    }

    pub(crate) fn to_json(&self) -> Value {
        let mut map = self.extensions.clone();
        if let Some(metadata) = &self.metadata {
            map.insert("sensorMetadata".into(), Value::Object(metadata.clone()));
        }
        let reports = self.reports.iter().map(SensorReport::to_json).collect();
        map.insert("sensorReport".into(), Value::Array(reports));
        Value::Object(map)
    }
}

impl SensorReport {
    fn from_json(value: Value) -> Result<SensorReport> {
        let mut object = JsonObject::new(value)?;
        let name = |text: &str| {
            if text.is_empty() || text.len() > NAME_BYTES_MAX {
                Err(Error::WrongType {
                    expected: "a name of 1 to 128 bytes",
                })
            } else {
                Ok(text.to_owned())
            }
        };
        let measurement_type = object.parse("type", name)?;
        let exception = object.parse("exception", name)?;
        if measurement_type.is_none() && exception.is_none() {
            return Err(Error::Rule {
                reason: "a sensor report has a type or an exception",
            });
        }
        let value = object.number("value")?;
        let uom = object.parse("uom", Uom::parse)?;
        let time = object.parse("time", Timestamp::parse)?;
        let mut checked = Map::new();
        for (key, shape) in REPORT_FIELDS {
            if let Some(field) = object.take(key) {
                check_shape(&field, shape).map_err(|error| error.at(key))?;
                checked.insert(key.to_owned(), field);
            }
        }
        let mut other = object.finish()?;
        other.append(&mut checked);
        Ok(SensorReport {
            measurement_type,
            exception,
            value,
            uom,
            time,
            other,
        })
    }

    fn to_json(&self) -> Value {
        let mut map = self.other.clone();
        if let Some(kind) = &self.measurement_type {
            map.insert("type".into(), kind.as_str().into());
        }
        if let Some(exception) = &self.exception {
            map.insert("exception".into(), exception.as_str().into());
        }
        if let Some(value) = self.value {
            map.insert("value".into(), value.into());
        }
        if let Some(uom) = &self.uom {
            map.insert("uom".into(), uom.as_str().into());
        }
        if let Some(time) = self.time {
            map.insert("time".into(), time.to_rfc3339().into());
        }
        Value::Object(map)
    }
}

fn read_metadata(mut object: JsonObject) -> Result<Map<String, Value>> {
    let mut checked = Map::new();
    for (key, shape) in METADATA_FIELDS {
        if let Some(field) = object.take(key) {
            check_shape(&field, shape).map_err(|error| error.at(key))?;
            checked.insert(key.to_owned(), field);
        }
    }
    let start = checked.get("startTime").and_then(Value::as_str);
    let end = checked.get("endTime").and_then(Value::as_str);
    if let (Some(start), Some(end)) = (start, end)
        && Timestamp::parse(start)? > Timestamp::parse(end)?
    {
        return Err(Error::Rule {
            reason: "sensor metadata startTime is after endTime",
        });
    }
    let mut metadata = object.finish()?;
    metadata.append(&mut checked);
    Ok(metadata)
}

fn check_shape(value: &Value, shape: Shape) -> Result<()> {
    let text = value.as_str();
    match (shape, value) {
        (Shape::Decimal, Value::Number(number)) => match number.as_f64() {
            Some(value) if value.is_finite() => Ok(()),
            _ => Err(Error::Number {
                reason: "not a finite number",
            }),
        },
        (Shape::Decimal, _) => Err(Error::WrongType {
            expected: "a number",
        }),
        (Shape::Boolean, Value::Bool(_)) => Ok(()),
        (Shape::Boolean, _) => Err(Error::WrongType {
            expected: "a boolean",
        }),
        (_, _) if text.is_none() => Err(Error::WrongType {
            expected: "a string",
        }),
        (Shape::Time, _) => Timestamp::parse(text.unwrap_or_default()).map(|_| ()),
        (Shape::Uri, _) => uri::check(text.unwrap_or_default()),
        (Shape::HexBinary, _) => {
            let hex = text.unwrap_or_default();
            if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                Ok(())
            } else {
                Err(Error::WrongType {
                    expected: "hex digits",
                })
            }
        }
        (Shape::Text, _) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_the_structure() {
        let value = json!({
            "sensorMetadata": {"time": "2019-04-02T14:05:00.000+01:00",
                               "deviceID": "urn:epc:id:giai:4000001.111",
                               "example:note": "kept"},
            "sensorReport": [
                {"type": "gs1:Temperature", "value": 26.0, "uom": "CEL",
                 "minValue": 20.5, "deviceID": "urn:epc:id:giai:4000001.111"},
                {"exception": "ALARM_CONDITION", "booleanValue": true}
            ]
        });
        let element = SensorElement::from_json(value).unwrap();
        assert_eq!(element.reports.len(), 2);
        assert_eq!(element.reports[0].value, Some(26.0));
        assert_eq!(element.reports[0].other["minValue"], 20.5);
        assert_eq!(
            element.metadata.as_ref().unwrap()["example:note"],
            json!("kept")
        );
        let again = SensorElement::from_json(element.to_json()).unwrap();
        assert_eq!(again, element);
    }

    #[test]
    fn checks_the_shape() {
        let cases = [
            (json!({"sensorReport": []}), "sensorReport"),
            (json!({}), "sensorReport"),
            (json!({"sensorReport": [{"value": 1}]}), "sensorReport[0]"),
            (
                json!({"sensorReport": [{"type": "gs1:Temperature", "value": "26"}]}),
                "sensorReport[0].value",
            ),
            (
                json!({"sensorReport": [{"type": "gs1:Temperature", "time": "yesterday"}]}),
                "sensorReport[0].time",
            ),
            (
                json!({"sensorReport": [{"type": "t", "hexBinaryValue": "xyz"}]}),
                "sensorReport[0].hexBinaryValue",
            ),
            (
                json!({"sensorReport": [{"type": "t", "deviceID": "not a uri"}]}),
                "sensorReport[0].deviceID",
            ),
            (
                json!({"sensorReport": [{"type": "t", "colour": "red"}]}),
                "sensorReport[0].colour",
            ),
            (
                json!({"sensorMetadata": {"startTime": "2019-04-02T15:00:00Z",
                                          "endTime": "2019-04-02T14:00:00Z"},
                       "sensorReport": [{"type": "t"}]}),
                "sensorMetadata",
            ),
        ];
        for (value, field) in cases {
            let error = SensorElement::from_json(value.clone()).unwrap_err();
            assert_eq!(error.field().as_deref(), Some(field), "{value}");
        }
    }
}
