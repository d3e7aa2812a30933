//! The one error type of the crate, grouped by what the caller does about it.
//!
//! Most errors reject an input and say where: a leaf variant names what is wrong, and the
//! wrappers [`Error::InField`], [`Error::Event`] and [`Error::Read`] say where it is (the field
//! path, the index of the event in its document, the index of the read in its batch). The
//! helpers [`Error::event_index`], [`Error::field`] and [`Error::innermost`] read them back.
//!
//! Messages never quote more than [`QUOTE_CHARS_MAX`] characters of the input.

/// The most characters of an input that an error message quotes.
pub const QUOTE_CHARS_MAX: usize = 64;

/// What the caller does about an [`Error`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input is not acceptable (malformed JSON, an invalid event, an unknown query
    /// parameter, a bad tag read): refuse it with the reason. Nothing changed.
    RejectInput,
    /// A limit of the core itself is reached (event ids, projection capacity): an operator
    /// must act (a new id range, a larger deployment). Nothing changed.
    CapacityExhausted,
}

/// Why the trace core refused something. A refused call changed nothing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // Where the problem is: wrappers around the reason.
    /// The event at `index` of a document (counting from 0) is invalid; the document is
    /// refused whole.
    #[error("event {index}: {error}")]
    Event { index: usize, error: Box<Error> },
    /// The tag read at `index` of a batch (counting from 0) is invalid; the batch is refused
    /// whole.
    #[error("read {index}: {error}")]
    Read { index: usize, error: Box<Error> },
    /// The value at `field` (a JSON path such as `epcList[2]` or a query parameter name) is
    /// invalid.
    #[error("{field}: {error}")]
    InField { field: String, error: Box<Error> },

    // Reject the input: the document as a whole.
    /// A document longer than [`crate::DOCUMENT_BYTES_MAX`].
    #[error("document has {bytes} bytes, more than the {max} allowed")]
    DocumentTooLarge { bytes: usize, max: usize },
    /// Text that is not JSON.
    #[error("not JSON at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    /// JSON that is not an EPCIS 2.0 document.
    #[error("not an EPCIS 2.0 document: {reason}")]
    Document { reason: &'static str },
    /// A document with more than [`crate::DOCUMENT_EVENTS_MAX`] events.
    #[error("document has {count} events, more than the {max} allowed")]
    TooManyEvents { count: usize, max: usize },
    /// Two events of one document with the same eventID, neither an error declaration.
    #[error("eventID repeats that of event {first_index}")]
    DuplicateEventId { first_index: usize },

    // Reject the input: one value.
    /// A required field that is absent.
    #[error("required field is missing")]
    Missing,
    /// A field that EPCIS does not define for this object and that is not an extension
    /// (extension names have a namespace prefix, `prefix:name`).
    #[error("unknown field (extensions need a namespace prefix)")]
    UnknownField,
    /// A JSON value of the wrong type.
    #[error("expected {expected}")]
    WrongType { expected: &'static str },
    /// An event `type` that is none of the five EPCIS event types.
    #[error("unknown event type {found:?}")]
    UnknownEventType { found: String },
    /// An EPC that `jinka-epc` refuses.
    #[error("invalid EPC: {0}")]
    Epc(#[from] jinka_epc::Error),
    /// An EPC URI of a scheme this crate does not trace (only SGTIN and SSCC, 96-bit).
    #[error("EPC scheme {scheme:?} is not traced (only sgtin and sscc)")]
    UnsupportedEpcScheme { scheme: String },
    /// A GS1 Digital Link whose company prefix length is not in the capture's
    /// [`crate::CompanyPrefixLengths`], so it has no pure identity URI.
    #[error("Digital Link key has no known company prefix length")]
    UnknownCompanyPrefix,
    /// A timestamp or time zone offset that is not RFC 3339 / EPCIS.
    #[error("invalid time: {reason}")]
    Time { reason: &'static str },
    /// A value that is not an absolute URI (or is longer than
    /// [`crate::IDENTIFIER_BYTES_MAX`]).
    #[error("invalid URI: {reason}")]
    Uri { reason: &'static str },
    /// A value in the CBV namespace (or a bare word) that the CBV 2.0 does not define.
    #[error("{found:?} is not a CBV 2.0 {vocabulary}")]
    UnknownTerm {
        vocabulary: &'static str,
        found: String,
    },
    /// A list longer than its limit.
    #[error("{count} items, more than the {max} allowed")]
    TooMany { count: usize, max: usize },
    /// An EPC listed twice in one list, or a parent listed among its own children.
    #[error("EPC is listed twice")]
    DuplicateEpc,
    /// A number that is not acceptable (negative quantity, not finite).
    #[error("invalid number: {reason}")]
    Number { reason: &'static str },
    /// An event whose fields do not fit together (EPCIS rules per event type and action).
    #[error("{reason}")]
    Rule { reason: &'static str },

    // Reject the input: queries.
    /// A query parameter that EPCIS does not define.
    #[error("unknown query parameter {name:?}")]
    UnknownQueryParameter { name: String },
    /// A standard EPCIS query parameter that this core does not implement.
    #[error("query parameter {name:?} is not supported")]
    UnsupportedQueryParameter { name: String },
    /// A query parameter value that is not acceptable.
    #[error("invalid value: {reason}")]
    QueryValue { reason: &'static str },
    /// A `nextPageToken` that this query did not hand out.
    #[error("invalid nextPageToken: {reason}")]
    PageToken { reason: &'static str },
    /// More matching events than the query's `maxEventCount`.
    #[error("{count} events match, more than maxEventCount {max}")]
    TooManyMatches { count: usize, max: usize },

    // Reject the input: tag reads.
    /// A batch of reads longer than [`crate::READ_BATCH_MAX`].
    #[error("{count} reads in one batch, more than the {max} allowed")]
    TooManyReads { count: usize, max: usize },
    /// More read points with an open window than [`crate::READ_POINTS_OPEN_MAX`]; flush the
    /// deduplicator first.
    #[error("more than {max} read points with an open window")]
    TooManyReadPoints { max: usize },

    // Capacity exhausted.
    /// An [`crate::EventIdSource`] with no id left.
    #[error("the event id source is exhausted")]
    EventIdsExhausted,
    /// The projections hold as many events or EPCs as they can index.
    #[error("projections hold the most {what} they can index ({max})")]
    ProjectionFull { what: &'static str, max: usize },
}

impl Error {
    /// What the caller does about this error.
    pub fn kind(&self) -> ErrorKind {
        match self.innermost() {
            Error::EventIdsExhausted | Error::ProjectionFull { .. } => ErrorKind::CapacityExhausted,
            _ => ErrorKind::RejectInput,
        }
    }

    /// The index of the refused event in its document, if the error is about one.
    pub fn event_index(&self) -> Option<usize> {
        match self {
            Error::Event { index, .. } => Some(*index),
            _ => None,
        }
    }

    /// The path of the offending field, innermost wrappers joined: `sensorElementList[0]`
    /// then `sensorReport[1].value` give `sensorElementList[0].sensorReport[1].value`.
    pub fn field(&self) -> Option<String> {
        let mut path: Option<String> = None;
        let mut error = self;
        loop {
            match error {
                Error::Event { error: inner, .. } | Error::Read { error: inner, .. } => {
                    error = inner;
                }
                Error::InField {
                    field,
                    error: inner,
                } => {
                    path = Some(match path {
                        None => field.clone(),
                        Some(outer) => format!("{outer}.{field}"),
                    });
                    error = inner;
                }
                _ => return path,
            }
        }
    }

    /// The reason itself, under every wrapper.
    pub fn innermost(&self) -> &Error {
        let mut error = self;
        while let Error::Event { error: inner, .. }
        | Error::Read { error: inner, .. }
        | Error::InField { error: inner, .. } = error
        {
            error = inner;
        }
        error
    }

    /// This error, located at `field`.
    pub(crate) fn at(self, field: impl Into<String>) -> Error {
        Error::InField {
            field: field.into(),
            error: Box::new(self),
        }
    }
}

/// At most [`QUOTE_CHARS_MAX`] characters of `text`, for an error message.
pub(crate) fn quote(text: &str) -> String {
    text.chars().take(QUOTE_CHARS_MAX).collect()
}

/// This crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrappers_are_read_back() {
        let error = Error::Event {
            index: 3,
            error: Box::new(
                Error::Number { reason: "x" }
                    .at("value")
                    .at("sensorReport[1]")
                    .at("sensorElementList[0]"),
            ),
        };
        assert_eq!(error.event_index(), Some(3));
        assert_eq!(
            error.field().as_deref(),
            Some("sensorElementList[0].sensorReport[1].value")
        );
        assert_eq!(error.innermost(), &Error::Number { reason: "x" });
        assert_eq!(
            error.to_string(),
            "event 3: sensorElementList[0]: sensorReport[1]: value: invalid number: x"
        );
        assert_eq!(error.kind(), ErrorKind::RejectInput);
        assert_eq!(
            Error::EventIdsExhausted.at("x").kind(),
            ErrorKind::CapacityExhausted
        );
    }

    #[test]
    fn quotes_are_short() {
        assert_eq!(quote(&"é".repeat(100)).chars().count(), QUOTE_CHARS_MAX);
    }
}
