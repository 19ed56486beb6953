//! Timestamp identifiers (TIDs): the record keys Tutti chooses for the records it creates.
//!
//! A TID is a 64-bit number written as 13 characters of the sortable base32 alphabet
//! `234567abcdefghijklmnopqrstuvwxyz`: the top bit zero, then 53 bits of microseconds since the
//! Unix epoch, then a 10-bit clock identifier. Strings sort like the numbers, so later TIDs sort
//! after earlier ones. [`Tid::now`] never returns the same TID twice in one process and never
//! goes backwards, even when the system clock does.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

const ALPHABET: &[u8; 32] = b"234567abcdefghijklmnopqrstuvwxyz";
/// The length of every TID.
pub const TID_LEN: usize = 13;
const TIMESTAMP_BITS: u32 = 53;
const CLOCK_ID_BITS: u32 = 10;
const MAX_TIMESTAMP: u64 = (1 << TIMESTAMP_BITS) - 1;
const MAX_CLOCK_ID: u16 = (1 << CLOCK_ID_BITS) - 1;

/// The last timestamp handed out by [`Tid::now`] in this process.
static LAST_MICROS: AtomicU64 = AtomicU64::new(0);
/// This process's clock identifier, drawn once.
static CLOCK_ID: OnceLock<u16> = OnceLock::new();

/// A record key made of a timestamp and a clock identifier.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tid(u64);

impl Tid {
    /// A fresh TID: the current time in microseconds, or one more than the last TID this process
    /// made if the clock has not moved past it, with this process's clock identifier.
    pub fn now() -> Tid {
        let wall = chrono::Utc::now().timestamp_micros().max(0) as u64;
        let mut last = LAST_MICROS.load(Ordering::Relaxed);
        let micros = loop {
            let next = wall.max(last + 1).min(MAX_TIMESTAMP);
            match LAST_MICROS.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => break next,
                Err(seen) => last = seen,
            }
        };
        let clock_id = *CLOCK_ID.get_or_init(|| rand::random::<u16>() & MAX_CLOCK_ID);
        Tid::from_parts(micros, clock_id)
    }

    /// The TID of `micros` (microseconds since the Unix epoch) and `clock_id`; values wider than
    /// their 53 and 10 bits are truncated.
    pub fn from_parts(micros: u64, clock_id: u16) -> Tid {
        Tid(((micros & MAX_TIMESTAMP) << CLOCK_ID_BITS) | u64::from(clock_id & MAX_CLOCK_ID))
    }

    /// Reads a TID written as 13 sortable base32 characters; `None` for anything else.
    pub fn parse(text: &str) -> Option<Tid> {
        let bytes = text.as_bytes();
        if bytes.len() != TID_LEN {
            return None;
        }
        let mut value: u64 = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let digit = ALPHABET.iter().position(|&a| a == b)? as u64;
            // The first character carries the (zero) top bit: only its lower 16 values are valid.
            if i == 0 && digit >= 16 {
                return None;
            }
            value = (value << 5) | digit;
        }
        Some(Tid(value))
    }

    /// Microseconds since the Unix epoch.
    pub fn timestamp_micros(self) -> u64 {
        self.0 >> CLOCK_ID_BITS
    }

    /// The clock identifier.
    pub fn clock_id(self) -> u16 {
        (self.0 & u64::from(MAX_CLOCK_ID)) as u16
    }
}

impl fmt::Display for Tid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = [0u8; TID_LEN];
        for (i, slot) in out.iter_mut().enumerate() {
            let shift = 5 * (TID_LEN - 1 - i);
            *slot = ALPHABET[((self.0 >> shift) & 31) as usize];
        }
        // The alphabet is ASCII.
        f.write_str(std::str::from_utf8(&out).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Tid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tid({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tids_match_the_reference_implementation() {
        // Computed with the reference implementation's TID.fromTime(timestamp, clockid).
        let cases = [
            (1_700_000_000_123_456, 513, "3ke6kg42cm2k3"),
            (1_700_000_000_123_457, 0, "3ke6kg42cm322"),
            (1_735_689_600_000_000, 31, "3lenax2ss222z"),
            ((1 << 53) - 1, 1023, "bzzzzzzzzzzzz"),
            (1_688_137_381_887_007, 6, "3jzfcijpj2z2a"),
        ];
        for (micros, clock_id, text) in cases {
            let tid = Tid::from_parts(micros, clock_id);
            assert_eq!(tid.to_string(), text);
            assert_eq!(Tid::parse(text), Some(tid), "{text}");
            assert_eq!((tid.timestamp_micros(), tid.clock_id()), (micros, clock_id), "{text}");
        }
    }

    #[test]
    fn only_thirteen_sortable_base32_characters_with_a_zero_top_bit_parse() {
        for bad in [
            "",
            "3ke6kg42cm2k",
            "3ke6kg42cm2k33",
            "3ke6kg42cm2k1",
            "3KE6KG42CM2K3",
            "zzzzzzzzzzzzz",
            "kzzzzzzzzzzzz",
        ] {
            assert_eq!(Tid::parse(bad), None, "{bad:?}");
        }
        assert!(Tid::parse("jzzzzzzzzzzzz").is_some());
    }

    #[test]
    fn fresh_tids_are_well_formed_and_strictly_increasing() {
        let tids: Vec<Tid> = (0..2_000).map(|_| Tid::now()).collect();
        for pair in tids.windows(2) {
            assert!(pair[0] < pair[1], "{pair:?}");
            assert!(pair[0].to_string() < pair[1].to_string(), "strings sort like the numbers: {pair:?}");
        }
        for tid in &tids {
            let text = tid.to_string();
            assert_eq!(text.len(), TID_LEN);
            assert_eq!(Tid::parse(&text), Some(*tid));
            assert_eq!(tid.clock_id(), tids[0].clock_id(), "one clock identifier per process");
        }
    }

    #[test]
    fn later_timestamps_sort_later_whatever_the_clock_identifier() {
        let earlier = Tid::from_parts(1_700_000_000_000_000, 1023);
        let later = Tid::from_parts(1_700_000_000_000_001, 0);
        assert!(earlier < later);
        assert!(earlier.to_string() < later.to_string());
    }
}
