//! `MappedPayload`: a huge payload in its own node-bound, huge-page-advised, pre-faulted mapping.

use std::fmt;

use crate::memory::{HUGE_PAGE_BYTES, map_bound};
use crate::{BoundMemory, MapError, NodeId, Region};

/// A payload in its own anonymous mapping, bound to its node with `mbind`, advised for
/// transparent huge pages when at least one huge page long, and pre-faulted, in the order that
/// works (`research/lowlevel.md` §5).
///
/// ```
/// use courier_alloc::{MappedPayload, NodeId};
/// let payload = MappedPayload::from_bytes(NodeId(0), &[7; 100_000]).unwrap();
/// assert_eq!(payload.len_bytes(), 100_000);
/// assert!(payload.as_slice().iter().all(|&b| b == 7));
/// ```
pub struct MappedPayload {
    region: Region,
    len_bytes: usize,
}

impl MappedPayload {
    /// A zeroed payload of `len_bytes` on `node`.
    ///
    /// # Errors
    /// [`MapError`] when the mapping, the binding or the pre-faulting fails.
    pub fn zeroed(node: NodeId, len_bytes: usize) -> Result<MappedPayload, MapError> {
        let align = if len_bytes >= HUGE_PAGE_BYTES {
            HUGE_PAGE_BYTES
        } else {
            4096
        };
        let region = map_bound(node, len_bytes, align, BoundMemory::default())?;
        Ok(MappedPayload { region, len_bytes })
    }

    /// A payload on `node` holding a copy of `bytes`.
    ///
    /// # Errors
    /// As [`MappedPayload::zeroed`].
    pub fn from_bytes(node: NodeId, bytes: &[u8]) -> Result<MappedPayload, MapError> {
        let mut payload = Self::zeroed(node, bytes.len())?;
        payload.as_mut_slice().copy_from_slice(bytes);
        Ok(payload)
    }

    /// The payload's length.
    #[must_use]
    pub fn len_bytes(&self) -> usize {
        self.len_bytes
    }

    /// The node the payload's pages are bound to.
    #[must_use]
    pub fn node(&self) -> NodeId {
        self.region.node()
    }

    /// The payload bytes.
    #[must_use]
    pub fn as_slice(&self) -> &[u8] {
        &self.region.as_slice()[..self.len_bytes]
    }

    /// The payload bytes, writable.
    #[must_use]
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.region.as_mut_slice()[..self.len_bytes]
    }

    /// The mapping behind the payload (page-rounded), e.g. to find it in `/proc/self/smaps`.
    #[must_use]
    pub fn region(&self) -> &Region {
        &self.region
    }
}

impl fmt::Debug for MappedPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MappedPayload")
            .field("len_bytes", &self.len_bytes)
            .field("region", &self.region)
            .finish()
    }
}
