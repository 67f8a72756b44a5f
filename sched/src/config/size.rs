//! Byte sizes written the way people write them: `"256MiB"`, `"64 KiB"`, `4096`.

use std::fmt;
use std::str::FromStr;

/// A size in bytes. Parses from a number of bytes followed by an optional binary unit
/// (`B`, `KiB`, `MiB`, `GiB`, `TiB`); displays in the largest unit that divides it exactly.
///
/// ```
/// use courier_sched::ByteSize;
/// let size: ByteSize = "256MiB".parse()?;
/// assert_eq!(size.bytes(), 256 << 20);
/// assert_eq!(size.to_string(), "256MiB");
/// assert_eq!("4096".parse::<ByteSize>()?.to_string(), "4KiB");
/// assert!("256MB".parse::<ByteSize>().is_err());
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ByteSize(pub u64);

const UNITS: [(&str, u32); 5] = [("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10), ("B", 0)];

impl ByteSize {
    /// The size in bytes.
    #[must_use]
    pub const fn bytes(self) -> u64 {
        self.0
    }

    /// `value` KiB.
    #[must_use]
    pub const fn kib(value: u64) -> Self {
        Self(value << 10)
    }

    /// `value` MiB.
    #[must_use]
    pub const fn mib(value: u64) -> Self {
        Self(value << 20)
    }
}

impl FromStr for ByteSize {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let digits_end = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(digits_end);
        let number: u64 = number
            .parse()
            .map_err(|_| format!("{text:?} is not a size: write a whole number and a unit"))?;
        let unit = unit.trim();
        let shift = if unit.is_empty() {
            0
        } else {
            UNITS
                .iter()
                .find(|(name, _)| *name == unit)
                .map(|&(_, shift)| shift)
                .ok_or_else(|| {
                    format!("unknown unit {unit:?} in {text:?}: use B, KiB, MiB, GiB or TiB")
                })?
        };
        number
            .checked_mul(1 << shift)
            .map(Self)
            .ok_or_else(|| format!("{text:?} does not fit in 64 bits"))
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (unit, shift) = UNITS
            .iter()
            .find(|&&(_, shift)| self.0 != 0 && self.0.trailing_zeros() >= shift)
            .copied()
            .unwrap_or(("B", 0));
        write!(f, "{}{unit}", self.0 >> shift)
    }
}
