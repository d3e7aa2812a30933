//! The Core Business Vocabulary (CBV 2.0) and its four spellings.
//!
//! A CBV term can be written as its bare name (`shipping`, the EPCIS 2.0 JSON-LD form the
//! standard context expands), as the CBV 2.0 web URI (`https://ref.gs1.org/cbv/BizStep-shipping`),
//! as the JSON-LD compact IRI (`cbv:BizStep-shipping`) or as the EPCIS 1.x URN
//! (`urn:epcglobal:cbv:bizstep:shipping`). All are read and normalised to the term; the term
//! is written back as its bare name.
//!
//! A value in the CBV namespace that the CBV does not define is refused (a typo there is not
//! an extension). Any other absolute URI is kept as an extension value (EPCIS §7.3: users may
//! define their own vocabulary elements as URIs); a bare word that is no term is refused.

use crate::error::{Error, Result, quote};
use crate::uri::Uri;

/// The prefixes that put a value in the CBV namespace.
const NAMESPACES: [&str; 4] = [
    "https://ref.gs1.org/cbv/",
    "https://ns.gs1.org/cbv/",
    "cbv:",
    "urn:epcglobal:cbv:",
];

/// How one vocabulary is spelled inside the CBV namespace.
pub(crate) struct Spelling {
    /// Name in messages.
    pub(crate) vocabulary: &'static str,
    /// Web URI and compact IRI term prefix, e.g. `BizStep-`.
    pub(crate) web: &'static str,
    /// URN part, e.g. `bizstep:`.
    pub(crate) urn: &'static str,
}

/// A CBV term or an extension URI, read from any spelling.
pub(crate) enum Term<T> {
    Cbv(T),
    Extension(Uri),
}

/// Reads `text` as a term of the vocabulary spelled by `spelling`, named by `from_name`.
pub(crate) fn parse<T>(
    text: &str,
    spelling: &Spelling,
    from_name: impl Fn(&str) -> Option<T>,
) -> Result<Term<T>> {
    let unknown = || Error::UnknownTerm {
        vocabulary: spelling.vocabulary,
        found: quote(text),
    };
    if let Some(term) = from_name(text) {
        return Ok(Term::Cbv(term));
    }
    let Some(rest) = NAMESPACES
        .iter()
        .find_map(|namespace| text.strip_prefix(namespace))
    else {
        return match Uri::parse(text) {
            Ok(uri) => Ok(Term::Extension(uri)),
            Err(_) => Err(unknown()),
        };
    };
    let name = rest
        .strip_prefix(spelling.web)
        .or_else(|| rest.strip_prefix(spelling.urn))
        .ok_or_else(unknown)?;
    from_name(name).map(Term::Cbv).ok_or_else(unknown)
}

/// Declares a CBV vocabulary: the enum of its terms and the type of its values (a term or an
/// extension URI), with parsing from every spelling, display as the bare name, and serde.
macro_rules! vocabulary {
    (
        $(#[$value_meta:meta])*
        $value:ident,
        $(#[$term_meta:meta])*
        $term:ident,
        $vocabulary:literal, $web:literal, $urn:literal,
        [$($variant:ident = $name:literal),+ $(,)?]
    ) => {
        $(#[$term_meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $term {
            $($variant,)+
        }

        impl $term {
            /// Every term, in the CBV's order.
            pub const ALL: &'static [$term] = &[$($term::$variant,)+];

            /// The bare name, as EPCIS 2.0 JSON writes it.
            pub const fn name(self) -> &'static str {
                match self {
                    $($term::$variant => $name,)+
                }
            }

            pub fn from_name(name: &str) -> Option<$term> {
                match name {
                    $($name => Some($term::$variant),)+
                    _ => None,
                }
            }
        }

        $(#[$value_meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $value {
            /// A term the CBV defines.
            Cbv($term),
            /// A user-defined value outside the CBV namespace.
            Extension($crate::uri::Uri),
        }

        impl $value {
            /// How this vocabulary is spelled in the CBV namespace.
            const SPELLING: $crate::cbv::Spelling = $crate::cbv::Spelling {
                vocabulary: $vocabulary,
                web: $web,
                urn: $urn,
            };

            /// Reads a bare CBV name, any CBV URI spelling, or an extension URI.
            pub fn parse(text: &str) -> $crate::error::Result<$value> {
                Ok(match $crate::cbv::parse(text, &Self::SPELLING, $term::from_name)? {
                    $crate::cbv::Term::Cbv(term) => $value::Cbv(term),
                    $crate::cbv::Term::Extension(uri) => $value::Extension(uri),
                })
            }

            /// The bare CBV name or the extension URI.
            pub fn as_str(&self) -> &str {
                match self {
                    $value::Cbv(term) => term.name(),
                    $value::Extension(uri) => uri.as_str(),
                }
            }
        }

        impl From<$term> for $value {
            fn from(term: $term) -> $value {
                $value::Cbv(term)
            }
        }

        impl std::fmt::Display for $value {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $value {
            type Err = $crate::error::Error;

            fn from_str(text: &str) -> $crate::error::Result<$value> {
                $value::parse(text)
            }
        }

        impl serde::Serialize for $value {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $value {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                $value::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use vocabulary;
