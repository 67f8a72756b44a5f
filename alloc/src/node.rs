//! NUMA node identity.

use std::fmt;

/// A NUMA node, numbered as the operating system numbers it (hwloc's `os_index`).
///
/// ```
/// use courier_alloc::NodeId;
/// assert_eq!(NodeId(3).index(), 3);
/// assert_eq!(format!("{}", NodeId(3)), "node 3");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u16);

impl NodeId {
    /// The node's number as an index, for tables sized by the node count.
    #[must_use]
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "node {}", self.0)
    }
}
