//! Block size classes: 64-byte multiples, the first cache line of each block for the header.

use std::fmt;

/// Bytes in a cache line, the alignment of every block and the size of a message header.
pub const CACHE_LINE_BYTES: usize = 64;

/// Bytes reserved at the start of every block for the message header (one cache line). The
/// header's layout is defined where the allocator and the mailbox meet, in courier-sched.
pub const HEADER_SIZE_BYTES: usize = CACHE_LINE_BYTES;

/// The size of a block, header included. Every block is 64-byte aligned.
///
/// ```
/// use courier_alloc::SizeClass;
/// assert_eq!(SizeClass::B128.size_bytes(), 128);
/// assert_eq!(SizeClass::B128.inline_capacity_bytes(), 64);
/// assert_eq!(SizeClass::for_inline_payload(100), Some(SizeClass::B256));
/// assert_eq!(SizeClass::for_inline_payload(449), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum SizeClass {
    /// 64 bytes: header only, no inline payload (payload shared or mapped, or none).
    B64 = 0,
    /// 128 bytes: header and up to 64 inline payload bytes.
    B128 = 1,
    /// 256 bytes: header and up to 192 inline payload bytes.
    B256 = 2,
    /// 512 bytes: header and up to 448 inline payload bytes.
    B512 = 3,
}

impl SizeClass {
    /// Every class, smallest first.
    pub const ALL: [SizeClass; 4] = [Self::B64, Self::B128, Self::B256, Self::B512];

    /// The number of classes.
    pub const COUNT: usize = Self::ALL.len();

    /// Block size in bytes, header included.
    #[must_use]
    #[inline]
    pub const fn size_bytes(self) -> usize {
        CACHE_LINE_BYTES << self as u8
    }

    /// Payload bytes that fit after the header.
    #[must_use]
    #[inline]
    pub const fn inline_capacity_bytes(self) -> usize {
        self.size_bytes() - HEADER_SIZE_BYTES
    }

    /// The position of this class in [`SizeClass::ALL`], for per-class tables.
    #[must_use]
    #[inline]
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The smallest class whose inline room holds `len_bytes`, or `None` when no class does.
    #[must_use]
    pub const fn for_inline_payload(len_bytes: usize) -> Option<SizeClass> {
        let mut index = 0;
        while index < Self::COUNT {
            if Self::ALL[index].inline_capacity_bytes() >= len_bytes {
                return Some(Self::ALL[index]);
            }
            index += 1;
        }
        None
    }
}

impl fmt::Display for SizeClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} B", self.size_bytes())
    }
}

const _: () = assert!(HEADER_SIZE_BYTES == CACHE_LINE_BYTES);
const _: () = assert!(SizeClass::B512.size_bytes() == 512);
const _: () = assert!(SizeClass::B64.inline_capacity_bytes() == 0);
