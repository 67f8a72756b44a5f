//! Error values of the allocator. Exhaustion is an error value, never a panic.

use std::fmt;
use std::io;

use crate::NodeId;

/// Why memory could not be mapped for a node.
#[derive(Debug)]
pub struct MapError {
    /// The node the memory was for.
    pub node: NodeId,
    /// The length asked for.
    pub len_bytes: usize,
    /// What went wrong.
    pub kind: MapErrorKind,
}

/// The failing step of a [`MapError`].
#[derive(Debug)]
#[non_exhaustive]
pub enum MapErrorKind {
    /// The allocator or the kernel had no memory to give.
    OutOfMemory,
    /// The length or alignment cannot be honoured (zero, overflow, alignment not a power of two).
    InvalidRequest,
    /// `mmap` failed.
    Map(io::Error),
    /// `mbind` refused to bind the range to the node (no such node, or not permitted).
    Bind(io::Error),
    /// Pre-faulting the pages failed.
    Populate(io::Error),
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (node, len) = (self.node, self.len_bytes);
        match &self.kind {
            MapErrorKind::OutOfMemory => write!(f, "out of memory mapping {len} bytes on {node}"),
            MapErrorKind::InvalidRequest => write!(f, "invalid request for {len} bytes on {node}"),
            MapErrorKind::Map(e) => write!(f, "mmap of {len} bytes for {node} failed: {e}"),
            MapErrorKind::Bind(e) => write!(f, "mbind of {len} bytes to {node} failed: {e}"),
            MapErrorKind::Populate(e) => {
                write!(f, "pre-faulting {len} bytes on {node} failed: {e}")
            }
        }
    }
}

impl std::error::Error for MapError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            MapErrorKind::Map(e) | MapErrorKind::Bind(e) | MapErrorKind::Populate(e) => Some(e),
            MapErrorKind::OutOfMemory | MapErrorKind::InvalidRequest => None,
        }
    }
}

/// Why a block could not be allocated.
#[derive(Debug)]
#[non_exhaustive]
pub enum AllocError {
    /// Growing the pool would pass the node's hard cap (`bytes_max`).
    NodeCapReached {
        /// The node whose cap was reached.
        node: NodeId,
        /// The cap, in bytes mapped for pools on that node.
        bytes_max: usize,
    },
    /// The node's memory provider could not map a new chunk.
    Map(MapError),
}

impl fmt::Display for AllocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AllocError::NodeCapReached { node, bytes_max } => {
                write!(f, "{node} reached its pool cap of {bytes_max} bytes")
            }
            AllocError::Map(e) => write!(f, "growing a pool failed: {e}"),
        }
    }
}

impl std::error::Error for AllocError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AllocError::Map(e) => Some(e),
            AllocError::NodeCapReached { .. } => None,
        }
    }
}

impl From<MapError> for AllocError {
    fn from(error: MapError) -> Self {
        AllocError::Map(error)
    }
}
