//! Block size classes: 64-byte multiples, the first cache line of each block for the header.

use std::fmt;

/// Bytes in a cache line, the alignment of every block and the size of a message header.
pub const CACHE_LINE_BYTES: usize = 64;

/// Bytes reserved at the start of every block for the message header (one cache line). The
/// header's layout is defined where the allocator and the mailbox meet, in courier-sched.
pub const HEADER_SIZE_BYTES: usize = CACHE_LINE_BYTES;

/// The size of a block, header included. Every block is 64-byte aligned.
///
/// Powers of two up to 256 bytes, then a step of 64 bytes at a time (320, 384) up to 512: the
/// in-between classes hold what would otherwise waste most of a 512-byte block, such as the
/// cell of an actor with a few words of state (courier-sched's `cell_memory.rs`).
///
/// ```
/// use courier_alloc::SizeClass;
/// assert_eq!(SizeClass::B128.size_bytes(), 128);
/// assert_eq!(SizeClass::B128.inline_capacity_bytes(), 64);
/// assert_eq!(SizeClass::for_inline_payload(100), Some(SizeClass::B256));
/// assert_eq!(SizeClass::for_inline_payload(200), Some(SizeClass::B320));
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
    /// 320 bytes: header and up to 256 inline payload bytes.
    B320 = 3,
    /// 384 bytes: header and up to 320 inline payload bytes.
    B384 = 4,
    /// 512 bytes: header and up to 448 inline payload bytes.
    B512 = 5,
}

impl SizeClass {
    /// Every class, smallest first.
    pub const ALL: [SizeClass; 6] = [
        Self::B64,
        Self::B128,
        Self::B256,
        Self::B320,
        Self::B384,
        Self::B512,
    ];

    /// The number of classes.
    pub const COUNT: usize = Self::ALL.len();

    /// Block size in bytes, header included.
    #[must_use]
    #[inline]
    pub const fn size_bytes(self) -> usize {
        match self {
            Self::B64 => 64,
            Self::B128 => 128,
            Self::B256 => 256,
            Self::B320 => 320,
            Self::B384 => 384,
            Self::B512 => 512,
        }
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
// `index` is the position in `ALL`, which goes smallest first, every size a multiple of a line.
const _: () = {
    let mut index = 0;
    while index < SizeClass::COUNT {
        let class = SizeClass::ALL[index];
        assert!(class.index() == index);
        assert!(class.size_bytes().is_multiple_of(CACHE_LINE_BYTES));
        assert!(index == 0 || SizeClass::ALL[index - 1].size_bytes() < class.size_bytes());
        index += 1;
    }
};
const _: () = assert!(SizeClass::B64.inline_capacity_bytes() == 0);
