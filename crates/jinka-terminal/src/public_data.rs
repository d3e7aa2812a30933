//! EF 0x15, the e-purse's public application data (`card.md` § Files).

/// EF 0x15 parsed: issuer id(8) app type(1) app version(1) app serial(10) start date(4) expiry
/// date(4) issuer-defined(2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicData {
    /// Issuer id: which issuer's keys the card's keys come from.
    pub issuer_id: [u8; 8],
    /// Application type.
    pub app_type: u8,
    /// Application version.
    pub app_version: u8,
    /// ASN8: the last 8 bytes of the application serial.
    pub asn: [u8; 8],
    /// Start date, BCD `YYYYMMDD`.
    pub start_date: [u8; 4],
    /// Expiry date, BCD `YYYYMMDD`.
    pub expiry_date: [u8; 4],
}

/// Bytes of EF 0x15.
pub const PUBLIC_DATA_BYTES: usize = 30;

impl PublicData {
    /// Parses the 30 bytes of EF 0x15.
    pub fn parse(bytes: &[u8]) -> Option<PublicData> {
        let bytes: &[u8; PUBLIC_DATA_BYTES] = bytes.try_into().ok()?;
        let take = |range: core::ops::Range<usize>| bytes.get(range);
        Some(PublicData {
            issuer_id: take(0..8)?.try_into().ok()?,
            app_type: bytes[8],
            app_version: bytes[9],
            asn: take(12..20)?.try_into().ok()?,
            start_date: take(20..24)?.try_into().ok()?,
            expiry_date: take(24..28)?.try_into().ok()?,
        })
    }

    /// Whether the card may be used on `date` (BCD `YYYYMMDD`): from its start date to its
    /// expiry date, both included. BCD dates compare as big-endian bytes.
    pub fn valid_on(&self, date: [u8; 4]) -> bool {
        self.start_date <= date && date <= self.expiry_date
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_template_layout_and_checks_dates() {
        let issuance = jinka_card::Issuance {
            asn: [0x31, 0x04, 0, 0, 0, 1, 0x23, 0x45],
            start_date: [0x20, 0x26, 0x01, 0x01],
            expiry_date: [0x20, 0x30, 0x12, 0x31],
        };
        let bytes = jinka_card::public_data(&[1, 2, 3, 4, 5, 6, 7, 8], 0x02, &issuance);
        let data = PublicData::parse(&bytes).unwrap();
        assert_eq!(
            (data.issuer_id, data.asn),
            ([1, 2, 3, 4, 5, 6, 7, 8], issuance.asn)
        );
        assert!(data.valid_on([0x20, 0x26, 0x01, 0x01]));
        assert!(data.valid_on([0x20, 0x30, 0x12, 0x31]));
        assert!(!data.valid_on([0x20, 0x31, 0x01, 0x01]));
        assert!(!data.valid_on([0x20, 0x25, 0x12, 0x31]));
        assert_eq!(PublicData::parse(&bytes[..29]), None);
    }
}
