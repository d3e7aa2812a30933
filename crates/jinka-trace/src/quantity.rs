//! Class-level quantities (EPCIS `quantityList`, `childQuantityList`, …) and units.

use serde_json::{Map, Value};

use crate::error::{Error, Result, quote};
use crate::json_object::JsonObject;
use crate::uri::Uri;

/// A unit of measure: a UN/ECE Recommendation 20 code, 2 or 3 uppercase letters or digits
/// (`KGM`, `LTR`, `CEL`), as the EPCIS 2.0 JSON schema's `uom` pattern `^[A-Z0-9]{2,3}$`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Uom(String);

impl Uom {
    pub fn parse(text: &str) -> Result<Uom> {
        let ok = (2..=3).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if ok {
            Ok(Uom(text.to_owned()))
        } else {
            Err(Error::UnknownTerm {
                vocabulary: "unit of measure (2 or 3 of A-Z, 0-9)",
                found: quote(text),
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> serde::Deserialize<'de> for Uom {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Uom::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// An amount of a class of objects (EPCIS §7.3.3.3): `epcClass` is a class URI
/// (`urn:epc:class:lgtin:4012345.012345.998877`, an `idpat`, or a Digital Link), kept as
/// written; `quantity` is finite and not negative; `uom` is absent for a count of items.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct QuantityElement {
    #[serde(rename = "epcClass")]
    pub epc_class: Uri,
    pub quantity: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uom: Option<Uom>,
}

impl QuantityElement {
    pub fn new(epc_class: Uri, quantity: f64, uom: Option<Uom>) -> Result<QuantityElement> {
        check_quantity(quantity)?;
        Ok(QuantityElement {
            epc_class,
            quantity,
            uom,
        })
    }

    pub(crate) fn from_json(value: Value) -> Result<QuantityElement> {
        let mut object = JsonObject::new(value)?;
        let epc_class = object.required("epcClass", Uri::parse)?;
        let quantity = object
            .number("quantity")?
            .ok_or_else(|| Error::Missing.at("quantity"))?;
        check_quantity(quantity).map_err(|error| error.at("quantity"))?;
        let uom = object.parse("uom", Uom::parse)?;
        object.finish()?;
        Ok(QuantityElement {
            epc_class,
            quantity,
            uom,
        })
    }

    pub(crate) fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("epcClass".into(), self.epc_class.as_str().into());
        map.insert("quantity".into(), self.quantity.into());
        if let Some(uom) = &self.uom {
            map.insert("uom".into(), uom.as_str().into());
        }
        Value::Object(map)
    }
}

fn check_quantity(quantity: f64) -> Result<()> {
    if quantity.is_finite() && quantity >= 0.0 {
        Ok(())
    } else {
        Err(Error::Number {
            reason: "a quantity is finite and not negative",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_and_writes_the_epcis_shape() {
        let value = json!({"epcClass": "urn:epc:class:lgtin:4012345.012345.998877",
                           "quantity": 200, "uom": "KGM"});
        let element = QuantityElement::from_json(value.clone()).unwrap();
        assert_eq!(element.quantity, 200.0);
        assert_eq!(element.to_json()["uom"], "KGM");
        let error =
            QuantityElement::from_json(json!({"epcClass": "urn:x:y", "quantity": -1})).unwrap_err();
        assert_eq!(error.field().as_deref(), Some("quantity"));
        assert!(Uom::parse("kg").is_err());
        assert!(Uom::parse("KGMS").is_err());
    }
}
