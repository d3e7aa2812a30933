//! Reading one JSON object field by field, each error naming its field.
//!
//! Fields are taken out of the object as they are read, so what is left at the end is what
//! the reader did not expect: an extension if its name has a namespace prefix
//! (`example:field`, or a full URI), an error otherwise.

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// A JSON object being read.
pub(crate) struct JsonObject {
    map: Map<String, Value>,
}

/// The JSON type name of a value, for messages.
fn expected_string() -> Error {
    Error::WrongType {
        expected: "a string",
    }
}

impl JsonObject {
    pub(crate) fn new(value: Value) -> Result<JsonObject> {
        match value {
            Value::Object(map) => Ok(JsonObject { map }),
            _ => Err(Error::WrongType {
                expected: "an object",
            }),
        }
    }

    /// The raw value of `key`, taken out.
    pub(crate) fn take(&mut self, key: &str) -> Option<Value> {
        self.map.remove(key)
    }

    /// Puts back a value taken out, to read it another way.
    pub(crate) fn restore(&mut self, key: &str, value: Value) {
        self.map.insert(key.to_owned(), value);
    }

    /// The string at `key`, if present.
    pub(crate) fn string(&mut self, key: &str) -> Result<Option<String>> {
        match self.map.remove(key) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(expected_string().at(key)),
        }
    }

    /// The string at `key` read by `parse`, if present; errors are located at `key`.
    pub(crate) fn parse<T>(
        &mut self,
        key: &str,
        parse: impl FnOnce(&str) -> Result<T>,
    ) -> Result<Option<T>> {
        match self.string(key)? {
            None => Ok(None),
            Some(text) => parse(&text).map(Some).map_err(|error| error.at(key)),
        }
    }

    /// Like [`JsonObject::parse`], the field required.
    pub(crate) fn required<T>(
        &mut self,
        key: &str,
        parse: impl FnOnce(&str) -> Result<T>,
    ) -> Result<T> {
        self.parse(key, parse)?
            .ok_or_else(|| Error::Missing.at(key))
    }

    /// The array at `key` (empty if absent), each item read by `read`, at most `max` items;
    /// errors are located at `key[i]`.
    pub(crate) fn list<T>(
        &mut self,
        key: &str,
        max: usize,
        mut read: impl FnMut(Value) -> Result<T>,
    ) -> Result<Vec<T>> {
        let items = match self.map.remove(key) {
            None => return Ok(Vec::new()),
            Some(Value::Array(items)) => items,
            Some(_) => {
                return Err(Error::WrongType {
                    expected: "an array",
                }
                .at(key));
            }
        };
        if items.len() > max {
            return Err(Error::TooMany {
                count: items.len(),
                max,
            }
            .at(key));
        }
        items
            .into_iter()
            .enumerate()
            .map(|(index, item)| read(item).map_err(|error| error.at(format!("{key}[{index}]"))))
            .collect()
    }

    /// Like [`JsonObject::list`], for a list of strings read by `parse`.
    pub(crate) fn string_list<T>(
        &mut self,
        key: &str,
        max: usize,
        mut parse: impl FnMut(&str) -> Result<T>,
    ) -> Result<Vec<T>> {
        self.list(key, max, |item| match item {
            Value::String(text) => parse(&text),
            _ => Err(expected_string()),
        })
    }

    /// The object at `key` read by `read`, if present; errors are located at `key`.
    pub(crate) fn object<T>(
        &mut self,
        key: &str,
        read: impl FnOnce(JsonObject) -> Result<T>,
    ) -> Result<Option<T>> {
        match self.map.remove(key) {
            None => Ok(None),
            Some(value) => JsonObject::new(value)
                .and_then(read)
                .map(Some)
                .map_err(|error| error.at(key)),
        }
    }

    /// The finite number at `key`, if present.
    pub(crate) fn number(&mut self, key: &str) -> Result<Option<f64>> {
        match self.map.remove(key) {
            None => Ok(None),
            Some(Value::Number(number)) => number
                .as_f64()
                .filter(|value| value.is_finite())
                .map(Some)
                .ok_or_else(|| {
                    Error::Number {
                        reason: "not a finite number",
                    }
                    .at(key)
                }),
            Some(_) => Err(Error::WrongType {
                expected: "a number",
            }
            .at(key)),
        }
    }

    /// What is left: the extension fields (names with a namespace prefix), or the first
    /// field that is not one.
    pub(crate) fn finish(self) -> Result<Map<String, Value>> {
        if let Some(key) = self.map.keys().find(|key| !is_extension_name(key)) {
            return Err(Error::UnknownField.at(key.chars().take(64).collect::<String>()));
        }
        Ok(self.map)
    }
}

/// An extension field name: `prefix:name` or a full URI (EPCIS 2.0 JSON-LD, §9.3: user
/// extensions are namespaced by a prefix the `@context` defines).
pub(crate) fn is_extension_name(key: &str) -> bool {
    key.split_once(':')
        .is_some_and(|(prefix, name)| !prefix.is_empty() && !name.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errors_name_their_field() {
        let mut object = JsonObject::new(json!({
            "a": 1, "b": ["x", 2], "c": {"d": "e"}, "ex:f": true, "g": "h"
        }))
        .unwrap();
        assert_eq!(
            object.string("a").unwrap_err().field().as_deref(),
            Some("a")
        );
        let error = object
            .string_list("b", 10, |text| Ok(text.to_owned()))
            .unwrap_err();
        assert_eq!(error.field().as_deref(), Some("b[1]"));
        let error = object
            .object("c", |mut inner| inner.required("x", |_| Ok(())))
            .unwrap_err();
        assert_eq!(error.field().as_deref(), Some("c.x"));
        assert_eq!(error.innermost(), &Error::Missing);
        let error = object.finish().unwrap_err();
        assert_eq!(error.field().as_deref(), Some("g"));
        assert_eq!(error.innermost(), &Error::UnknownField);
    }

    #[test]
    fn lists_are_bounded() {
        let mut object = JsonObject::new(json!({"l": [1, 2, 3]})).unwrap();
        assert_eq!(
            object.list("l", 2, Ok).unwrap_err().innermost(),
            &Error::TooMany { count: 3, max: 2 }
        );
    }

    #[test]
    fn extension_names() {
        assert!(is_extension_name("example:myField"));
        assert!(is_extension_name("http://ns.example.com/epcis/myField"));
        assert!(!is_extension_name("epcList"));
        assert!(!is_extension_name(":x"));
        assert!(!is_extension_name("x:"));
    }
}
