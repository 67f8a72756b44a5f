//! Payloads: inline in the block, shared on the heap, or mapped into their own huge region.

use std::sync::Arc;

use crate::{Block, MapError, MappedPayload, SizeClass};

/// Where a payload of a given length goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayloadKind {
    /// In the block, after the header.
    Inline,
    /// On the heap, reference-counted: [`Payload::Shared`].
    Shared,
    /// In its own node-bound mapping: [`Payload::Mapped`].
    Mapped,
}

/// Chooses where payloads go.
///
/// ```
/// use courier_alloc::{PayloadKind, PayloadPolicy, SizeClass};
/// let policy = PayloadPolicy::default();
/// assert_eq!(policy.kind_for(448), PayloadKind::Inline);
/// assert_eq!(policy.class_for(448), SizeClass::B512);
/// assert_eq!(policy.kind_for(449), PayloadKind::Shared);
/// assert_eq!(policy.class_for(449), SizeClass::B64);
/// assert_eq!(policy.kind_for(64 << 10), PayloadKind::Mapped);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PayloadPolicy {
    /// Payloads of at least this many bytes get their own mapping (default 64 KiB).
    pub mapped_threshold_bytes: usize,
}

impl Default for PayloadPolicy {
    fn default() -> Self {
        PayloadPolicy {
            mapped_threshold_bytes: 64 << 10,
        }
    }
}

impl PayloadPolicy {
    /// Where a payload of `len_bytes` goes: inline when the largest class holds it.
    #[must_use]
    pub fn kind_for(&self, len_bytes: usize) -> PayloadKind {
        if SizeClass::for_inline_payload(len_bytes).is_some() {
            PayloadKind::Inline
        } else if len_bytes >= self.mapped_threshold_bytes {
            PayloadKind::Mapped
        } else {
            PayloadKind::Shared
        }
    }

    /// The block class for a message whose payload is `len_bytes` long: the smallest that holds
    /// it inline, or the header-only class when the payload lives elsewhere.
    #[must_use]
    pub fn class_for(&self, len_bytes: usize) -> SizeClass {
        SizeClass::for_inline_payload(len_bytes).unwrap_or(SizeClass::B64)
    }
}

/// A message payload and where it lives.
#[derive(Debug)]
pub enum Payload {
    /// The first `len_bytes` of the block's inline payload.
    Inline {
        /// Payload length.
        len_bytes: u32,
    },
    /// Heap bytes shared by reference count (fan-out sends clone the `Arc`, not the bytes).
    Shared(Arc<[u8]>),
    /// A node-bound, huge-page-backed mapping of its own.
    Mapped(MappedPayload),
}

impl Payload {
    /// Stores `bytes` for a message in `block`: inline when the block holds them, else shared or
    /// mapped on the block's node as `policy` says.
    ///
    /// ```
    /// use courier_alloc::{Payload, PayloadPolicy, SizeClass, SlabPool};
    /// let mut pool = SlabPool::unbound(SizeClass::B128);
    /// let mut block = pool.try_alloc().unwrap();
    /// let payload = Payload::store(&mut block, b"ping", &PayloadPolicy::default()).unwrap();
    /// assert!(matches!(payload, Payload::Inline { len_bytes: 4 }));
    /// assert_eq!(payload.bytes(&block), b"ping");
    /// pool.free(block);
    /// ```
    ///
    /// # Errors
    /// [`MapError`] when a mapped payload cannot be mapped.
    pub fn store(
        block: &mut Block,
        bytes: &[u8],
        policy: &PayloadPolicy,
    ) -> Result<Payload, MapError> {
        let inline = block.inline_payload_mut();
        if let (Some(room), Ok(len_bytes)) =
            (inline.get_mut(..bytes.len()), u32::try_from(bytes.len()))
        {
            room.copy_from_slice(bytes);
            return Ok(Payload::Inline { len_bytes });
        }
        if bytes.len() >= policy.mapped_threshold_bytes {
            return Ok(Payload::Mapped(MappedPayload::from_bytes(
                block.node(),
                bytes,
            )?));
        }
        Ok(Payload::Shared(Arc::from(bytes)))
    }

    /// The payload bytes; `block` is the message's block (used for inline payloads).
    #[must_use]
    pub fn bytes<'a>(&'a self, block: &'a Block) -> &'a [u8] {
        match self {
            Payload::Inline { len_bytes } => {
                let inline = block.inline_payload();
                let len = usize::try_from(*len_bytes)
                    .unwrap_or(usize::MAX)
                    .min(inline.len());
                &inline[..len]
            }
            Payload::Shared(bytes) => bytes,
            Payload::Mapped(mapped) => mapped.as_slice(),
        }
    }

    /// Where this payload lives.
    #[must_use]
    pub fn kind(&self) -> PayloadKind {
        match self {
            Payload::Inline { .. } => PayloadKind::Inline,
            Payload::Shared(_) => PayloadKind::Shared,
            Payload::Mapped(_) => PayloadKind::Mapped,
        }
    }
}
