//! The business step of an event (EPCIS `bizStep`, CBV 2.0 §7.1).

use crate::cbv::vocabulary;

vocabulary! {
    /// What business process step the event was part of: a CBV term (`shipping`) or an
    /// extension URI. Any CBV spelling is read (see [`crate::CbvBizStep`]).
    ///
    /// ```
    /// use jinka_trace::{BizStep, CbvBizStep};
    /// let step = BizStep::parse("https://ref.gs1.org/cbv/BizStep-shipping")?;
    /// assert_eq!(step, BizStep::Cbv(CbvBizStep::Shipping));
    /// assert_eq!(step.to_string(), "shipping");
    /// assert_eq!(BizStep::parse("urn:epcglobal:cbv:bizstep:shipping")?, step);
    /// assert!(BizStep::parse("urn:epcglobal:cbv:bizstep:shiping").is_err());
    /// assert_eq!(BizStep::parse("urn:example:bizstep:x")?.to_string(), "urn:example:bizstep:x");
    /// # Ok::<(), jinka_trace::Error>(())
    /// ```
    BizStep,
    /// The business steps of CBV 2.0.
    CbvBizStep,
    "business step", "BizStep-", "bizstep:",
    [
        Accepting = "accepting",
        Arriving = "arriving",
        Assembling = "assembling",
        Collecting = "collecting",
        Commissioning = "commissioning",
        Consigning = "consigning",
        CreatingClassInstance = "creating_class_instance",
        CycleCounting = "cycle_counting",
        Decommissioning = "decommissioning",
        Departing = "departing",
        Destroying = "destroying",
        Disassembling = "disassembling",
        Dispensing = "dispensing",
        Encoding = "encoding",
        EnteringExiting = "entering_exiting",
        Holding = "holding",
        Inspecting = "inspecting",
        Installing = "installing",
        Killing = "killing",
        Loading = "loading",
        Other = "other",
        Packing = "packing",
        Picking = "picking",
        Receiving = "receiving",
        Removing = "removing",
        Repackaging = "repackaging",
        Repairing = "repairing",
        Replacing = "replacing",
        Reserving = "reserving",
        RetailSelling = "retail_selling",
        Sampling = "sampling",
        SensorReporting = "sensor_reporting",
        Shipping = "shipping",
        StagingOutbound = "staging_outbound",
        StockTaking = "stock_taking",
        Stocking = "stocking",
        Storing = "storing",
        Transporting = "transporting",
        Unloading = "unloading",
        Unpacking = "unpacking",
        VoidShipping = "void_shipping",
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn every_spelling_of_every_term() {
        for &term in CbvBizStep::ALL {
            let name = term.name();
            for text in [
                name.to_owned(),
                format!("https://ref.gs1.org/cbv/BizStep-{name}"),
                format!("https://ns.gs1.org/cbv/BizStep-{name}"),
                format!("cbv:BizStep-{name}"),
                format!("urn:epcglobal:cbv:bizstep:{name}"),
            ] {
                assert_eq!(BizStep::parse(&text), Ok(BizStep::Cbv(term)), "{text}");
            }
        }
        assert_eq!(CbvBizStep::ALL.len(), 41);
    }

    #[test]
    fn unknown_cbv_values_are_refused() {
        for text in [
            "Shipping",
            "shiping",
            "https://ref.gs1.org/cbv/BizStep-shiping",
            "https://ref.gs1.org/cbv/Disp-in_transit",
            "urn:epcglobal:cbv:disp:in_transit",
            "cbv:shipping",
            "",
        ] {
            assert!(
                matches!(BizStep::parse(text), Err(Error::UnknownTerm { .. })),
                "{text}"
            );
        }
    }
}
