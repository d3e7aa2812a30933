//! Absolute URIs: the identifiers EPCIS uses for everything that is not an EPC.

use std::sync::Arc;

use crate::error::{Error, Result};

/// The longest identifier (URI, event id, location id) read. EPCIS sets no limit; real ones
/// (SGLN URIs, `ni:///sha-256;…` event ids, Digital Links) are under 200 bytes.
pub const IDENTIFIER_BYTES_MAX: usize = 512;

/// An absolute URI (RFC 3986 §4.3: a scheme, `:`, and a non-empty rest), printable ASCII
/// without spaces, at most [`IDENTIFIER_BYTES_MAX`] bytes.
///
/// Only the shape is checked, not the scheme's own syntax: EPCIS accepts any URI as a
/// location, a business transaction or an extension value. Cloning is cheap (shared).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uri(Arc<str>);

impl Uri {
    pub fn parse(text: &str) -> Result<Uri> {
        check(text)?;
        Ok(Uri(Arc::from(text)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The scheme, before the first `:`.
    pub fn scheme(&self) -> &str {
        self.0.split(':').next().unwrap_or_default()
    }
}

/// Checks that `text` is an absolute URI as [`Uri`] describes.
pub(crate) fn check(text: &str) -> Result<()> {
    let bad = |reason| Err(Error::Uri { reason });
    if text.len() > IDENTIFIER_BYTES_MAX {
        return bad("longer than the identifier limit");
    }
    let Some((scheme, rest)) = text.split_once(':') else {
        return bad("no scheme (expected scheme:rest)");
    };
    let mut scheme_bytes = scheme.bytes();
    let scheme_ok = scheme_bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && scheme_bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return bad("scheme is not a letter followed by letters, digits, +, - or .");
    }
    if rest.is_empty() {
        return bad("nothing after the scheme");
    }
    if !text.bytes().all(|b| b.is_ascii_graphic()) {
        return bad("space, control or non-ASCII character (percent-encode it)");
    }
    Ok(())
}

impl std::fmt::Debug for Uri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.0, f)
    }
}

impl std::fmt::Display for Uri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Uri {
    type Err = Error;

    fn from_str(text: &str) -> Result<Uri> {
        Uri::parse(text)
    }
}

impl serde::Serialize for Uri {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Uri {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Uri::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Declares a newtype over [`Uri`] with the same checks, conversions and serde form.
macro_rules! uri_newtype {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name($crate::uri::Uri);

        impl $name {
            pub fn parse(text: &str) -> $crate::error::Result<$name> {
                $crate::uri::Uri::parse(text).map($name)
            }

            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }

            pub fn as_uri(&self) -> &$crate::uri::Uri {
                &self.0
            }
        }

        impl From<$crate::uri::Uri> for $name {
            fn from(uri: $crate::uri::Uri) -> $name {
                $name(uri)
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(&self.0, f)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Display::fmt(&self.0, f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::error::Error;

            fn from_str(text: &str) -> $crate::error::Result<$name> {
                $name::parse(text)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                self.0.serialize(serializer)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::uri::Uri::deserialize(deserializer).map($name)
            }
        }
    };
}

pub(crate) use uri_newtype;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_uris_epcis_uses() {
        for text in [
            "urn:epc:id:sgln:0614141.07346.1234",
            "https://id.gs1.org/414/0614141073467/254/1234",
            "ni:///sha-256;df7bb3c352fef055578554f09f5e2aa41782150ced7bd0b8af24dd3ccb30ba69?ver=CBV2.0",
            "http://transaction.acme.com/po/12345678",
            "example:myField",
        ] {
            let uri = Uri::parse(text).unwrap();
            assert_eq!(uri.as_str(), text);
        }
        assert_eq!(Uri::parse("urn:x:y").unwrap().scheme(), "urn");
    }

    #[test]
    fn refuses_what_is_not_an_absolute_uri() {
        for text in [
            "", "shipping", ":rest", "1urn:x", "ur n:x", "urn:", "urn:a b", "urn:é", "urn:\n",
        ] {
            assert!(
                matches!(Uri::parse(text), Err(Error::Uri { .. })),
                "{text:?}"
            );
        }
        let long = format!("urn:{}", "x".repeat(IDENTIFIER_BYTES_MAX));
        assert!(Uri::parse(&long).is_err());
    }
}
