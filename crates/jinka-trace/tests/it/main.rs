//! The public API of `jinka-trace`, black-box: documents of every event type, validation
//! errors, the projections through aggregation and disaggregation, corrections, events out
//! of order, queries, reader de-duplication, and properties over arbitrary input.

mod corrections;
mod documents;
mod out_of_order;
mod pallet_story;
mod properties;
mod queries;
mod read_deduplication;
mod support;
mod validation;
