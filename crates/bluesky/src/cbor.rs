//! A bound on the nesting of CBOR before it is decoded.
//!
//! `serde_ipld_dagcbor` decodes nested arrays, maps and tags by recursion, with no limit of
//! its own: a frame of a few hundred kilobytes nesting arrays 100,000 deep would overflow the
//! stack of the thread that decodes it and abort the process. So every CBOR input from the
//! network is first walked here, iteratively, with a stack of counts on the heap: nothing
//! deeper than [`MAX_CBOR_DEPTH`] reaches the decoder. Records of the AT Protocol nest a
//! handful of levels.

/// The deepest nesting of arrays, maps and tags accepted.
pub const MAX_CBOR_DEPTH: usize = 64;

/// Why CBOR was refused before decoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CborShapeError {
    /// Nested deeper than [`MAX_CBOR_DEPTH`]; the offset of the item that goes too deep.
    #[error("CBOR nested deeper than {MAX_CBOR_DEPTH} levels at byte {0}")]
    TooDeep(usize),
    /// An item runs past the end of the input.
    #[error("CBOR truncated at byte {0}")]
    Truncated(usize),
    /// A reserved encoding, or an indefinite length (DAG-CBOR has none).
    #[error("CBOR item not allowed in DAG-CBOR at byte {0}")]
    NotDagCbor(usize),
}

/// Checks that `bytes`, one or more CBOR items back to back, nest at most `max_depth` levels.
/// Linear in the length of the input; never recurses.
pub fn check_depth(bytes: &[u8], max_depth: usize) -> Result<(), CborShapeError> {
    // Items still expected at each open level (u64: a length may claim more than fits).
    let mut open: Vec<u64> = Vec::new();
    let mut at = 0;
    while at < bytes.len() || !open.is_empty() {
        let start = at;
        let Some(&initial) = bytes.get(at) else { return Err(CborShapeError::Truncated(start)) };
        at += 1;
        let major = initial >> 5;
        let info = initial & 0x1f;
        let argument: u64 = match info {
            0..=23 => u64::from(info),
            24..=27 => {
                let n = 1usize << (info - 24);
                let Some(raw) = bytes.get(at..at + n) else { return Err(CborShapeError::Truncated(start)) };
                at += n;
                raw.iter().fold(0u64, |v, b| (v << 8) | u64::from(*b))
            }
            _ => return Err(CborShapeError::NotDagCbor(start)),
        };
        // This item fills one slot of the level that holds it.
        if let Some(left) = open.last_mut() {
            *left -= 1;
        }
        match major {
            // Byte and text strings: skip their content.
            2 | 3 => {
                let len = usize::try_from(argument).map_err(|_| CborShapeError::Truncated(start))?;
                if bytes.len() - at < len {
                    return Err(CborShapeError::Truncated(start));
                }
                at += len;
            }
            // Arrays, maps (two items per entry) and tags (one item) open a level.
            4..=6 => {
                let items = match major {
                    4 => argument,
                    5 => argument.checked_mul(2).ok_or(CborShapeError::Truncated(start))?,
                    _ => 1,
                };
                if items > 0 {
                    if open.len() >= max_depth {
                        return Err(CborShapeError::TooDeep(start));
                    }
                    open.push(items);
                }
            }
            // Integers, simple values and floats stand alone.
            _ => {}
        }
        while open.last() == Some(&0) {
            open.pop();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shallow_items_pass_and_their_depth_is_counted() {
        // [1, {"a": [2]}], then 7: two items back to back, three levels.
        let bytes = [0x82, 0x01, 0xa1, 0x61, b'a', 0x81, 0x02, 0x07];
        assert_eq!(check_depth(&bytes, 3), Ok(()));
        assert_eq!(check_depth(&bytes, 2), Err(CborShapeError::TooDeep(5)));
        // An empty array opens nothing.
        assert_eq!(check_depth(&[0x80], 0), Ok(()));
        // A tag (CID, 42) wraps one item.
        assert_eq!(check_depth(&[0xd8, 0x2a, 0x41, 0x00], 1), Ok(()));
        assert_eq!(check_depth(&[0xd8, 0x2a, 0x41, 0x00], 0), Err(CborShapeError::TooDeep(0)));
    }

    #[test]
    fn a_hundred_thousand_nested_arrays_are_refused_without_recursion() {
        let mut bytes = vec![0x81; 100_000];
        bytes.push(0x00);
        assert_eq!(check_depth(&bytes, MAX_CBOR_DEPTH), Err(CborShapeError::TooDeep(MAX_CBOR_DEPTH)));
    }

    #[test]
    fn truncated_and_indefinite_items_are_refused() {
        assert_eq!(check_depth(&[0x82, 0x01], 8), Err(CborShapeError::Truncated(2)));
        assert_eq!(check_depth(&[0x5a, 0xff, 0xff, 0xff, 0xff], 8), Err(CborShapeError::Truncated(0)));
        assert_eq!(check_depth(&[0x19, 0x01], 8), Err(CborShapeError::Truncated(0)));
        assert_eq!(check_depth(&[0x9f, 0xff], 8), Err(CborShapeError::NotDagCbor(0)));
        // A huge claimed length runs out of input instead of allocating.
        assert_eq!(
            check_depth(&[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], 8),
            Err(CborShapeError::Truncated(10))
        );
    }
}
