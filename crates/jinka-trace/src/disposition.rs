//! The business condition of objects after an event (EPCIS `disposition`, CBV 2.0 §7.2).

use crate::cbv::vocabulary;

vocabulary! {
    /// The business condition of the objects after the event: a CBV term (`in_transit`) or an
    /// extension URI, from any CBV spelling (`https://ref.gs1.org/cbv/Disp-in_transit`,
    /// `urn:epcglobal:cbv:disp:in_transit`).
    Disposition,
    /// The dispositions of CBV 2.0.
    CbvDisposition,
    "disposition", "Disp-", "disp:",
    [
        Active = "active",
        Available = "available",
        CompletenessInferred = "completeness_inferred",
        CompletenessVerified = "completeness_verified",
        Conformant = "conformant",
        ContainerClosed = "container_closed",
        ContainerOpen = "container_open",
        Damaged = "damaged",
        Destroyed = "destroyed",
        Dispensed = "dispensed",
        Disposed = "disposed",
        Encoded = "encoded",
        Expired = "expired",
        InProgress = "in_progress",
        InTransit = "in_transit",
        Inactive = "inactive",
        MismatchClass = "mismatch_class",
        MismatchInstance = "mismatch_instance",
        MismatchQuantity = "mismatch_quantity",
        NeedsReplacement = "needs_replacement",
        NoPedigreeMatch = "no_pedigree_match",
        NonConformant = "non_conformant",
        NonSellableOther = "non_sellable_other",
        PartiallyDispensed = "partially_dispensed",
        Recalled = "recalled",
        Reserved = "reserved",
        RetailSold = "retail_sold",
        Returned = "returned",
        SellableAccessible = "sellable_accessible",
        SellableNotAccessible = "sellable_not_accessible",
        Stolen = "stolen",
        Unavailable = "unavailable",
        Unknown = "unknown",
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_normalise_to_the_term() {
        for text in [
            "in_transit",
            "https://ref.gs1.org/cbv/Disp-in_transit",
            "urn:epcglobal:cbv:disp:in_transit",
        ] {
            assert_eq!(
                Disposition::parse(text),
                Ok(Disposition::Cbv(CbvDisposition::InTransit))
            );
        }
        assert!(Disposition::parse("https://ref.gs1.org/cbv/Disp-lost").is_err());
        assert_eq!(CbvDisposition::ALL.len(), 33);
    }
}
