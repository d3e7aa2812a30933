//! BER-TLV writing for FCIs and EF.DIR records (ISO/IEC 7816-4 § 5.2.2).

/// Appends `tag`, a BER length and the content `build` writes, to `out`.
pub(crate) fn put(out: &mut Vec<u8>, tag: &[u8], build: impl FnOnce(&mut Vec<u8>)) {
    out.extend_from_slice(tag);
    let length_at = out.len();
    out.push(0);
    build(out);
    let len = out.len() - length_at - 1;
    match len {
        0..=0x7F => out[length_at] = len as u8,
        0x80..=0xFF => {
            out[length_at] = 0x81;
            out.insert(length_at + 1, len as u8);
        }
        _ => {
            out[length_at] = 0x82;
            let [high, low] = (len as u16).to_be_bytes();
            out.splice(length_at + 1..length_at + 1, [high, low]);
        }
    }
}

/// Appends a primitive TLV.
pub(crate) fn put_bytes(out: &mut Vec<u8>, tag: &[u8], value: &[u8]) {
    put(out, tag, |out| out.extend_from_slice(value));
}

/// Reads one TLV with a one- or two-byte tag from the front of `bytes`: `(tag, value, rest)`.
/// Used by terminals that parse the card's directory.
pub fn read(bytes: &[u8]) -> Option<(u16, &[u8], &[u8])> {
    let (&first, rest) = bytes.split_first()?;
    let (tag, rest) = if first & 0x1F == 0x1F {
        let (&second, rest) = rest.split_first()?;
        (u16::from_be_bytes([first, second]), rest)
    } else {
        (u16::from(first), rest)
    };
    let (&len_byte, rest) = rest.split_first()?;
    let (len, rest) = match len_byte {
        0..=0x7F => (usize::from(len_byte), rest),
        0x81 => {
            let (&len, rest) = rest.split_first()?;
            (usize::from(len), rest)
        }
        0x82 => match rest {
            [high, low, rest @ ..] => (usize::from(u16::from_be_bytes([*high, *low])), rest),
            _ => return None,
        },
        _ => return None,
    };
    if rest.len() < len {
        return None;
    }
    let (value, rest) = rest.split_at(len);
    Some((tag, value, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_use_the_short_and_long_forms() {
        for size in [0usize, 5, 127, 128, 255, 256, 1000] {
            let mut out = Vec::new();
            put_bytes(&mut out, &[0xBF, 0x0C], &vec![0xAB; size]);
            let (tag, value, rest) = read(&out).unwrap();
            assert_eq!((tag, value.len(), rest.len()), (0xBF0C, size, 0));
        }
    }

    #[test]
    fn truncated_tlvs_are_refused() {
        assert_eq!(read(&[0x4F, 0x05, 1, 2]), None);
        assert_eq!(read(&[0x4F]), None);
        assert_eq!(read(&[0x9F]), None);
        assert_eq!(read(&[0x4F, 0x83, 0, 0, 0]), None);
    }
}
