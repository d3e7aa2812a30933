//! Where a participant or terminal is: a numeric region code (e.g. the GB/T 2260
//! administrative division code, 310000 for Shanghai). Risk rules read it; the hub does not
//! interpret it.

use core::fmt;

use serde::{Serialize, Serializer};

/// A region code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Region(u32);

impl Region {
    /// Wraps a region code; every `u32` is one.
    pub const fn new(code: u32) -> Region {
        Region(code)
    }

    /// The code.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for Region {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u32(self.0)
    }
}
