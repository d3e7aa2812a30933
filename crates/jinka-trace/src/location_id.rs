//! The identifier of a place: an EPCIS `readPoint` or `bizLocation`.

use crate::uri::uri_newtype;

uri_newtype! {
    /// A read point or business location, as EPCIS gives it: any absolute URI, usually an
    /// SGLN (`urn:epc:id:sgln:0614141.07346.1234`) or a GLN Digital Link
    /// (`https://id.gs1.org/414/0614141073467/254/1234`). Locations are compared as written.
    LocationId
}
