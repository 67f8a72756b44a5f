//! Distances between NUMA nodes.

use std::fmt;

use courier_alloc::NodeId;

/// How remote nodes are ordered in a steal order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DistanceSource {
    /// By the values of the topology's NUMA distance matrix (hwloc `distances`).
    Matrix {
        /// The matrix's name as hwloc reports it (e.g. `NUMALatency`), if any.
        name: Option<String>,
    },
    /// By the hierarchy: the fewer levels up to the first shared ancestor (e.g. the same
    /// package), the closer. Used when the topology has no matrix.
    Hierarchy,
}

impl fmt::Display for DistanceSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Matrix { name: Some(name) } => write!(f, "hwloc distance matrix {name:?}"),
            Self::Matrix { name: None } => f.write_str("hwloc distance matrix"),
            Self::Hierarchy => f.write_str("topology hierarchy (levels to the shared ancestor)"),
        }
    }
}

/// A NUMA distance matrix over the nodes of a topology, as hwloc reports it (by convention 10
/// for a node to itself, larger for farther nodes).
///
/// ```
/// use courier_alloc::NodeId;
/// use courier_sched::DistanceMatrix;
/// let matrix = DistanceMatrix::new(None, vec![NodeId(0), NodeId(1)], vec![10, 21, 21, 10]);
/// assert_eq!(matrix.get(NodeId(0), NodeId(1)), Some(21));
/// assert_eq!(matrix.get(NodeId(0), NodeId(2)), None);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DistanceMatrix {
    name: Option<String>,
    nodes: Vec<NodeId>,
    values: Vec<u64>,
}

impl DistanceMatrix {
    /// A matrix over `nodes`, `values` in row-major order (`values[from * n + to]`).
    ///
    /// # Panics
    /// If `values.len()` is not the square of `nodes.len()`.
    #[must_use]
    pub fn new(name: Option<String>, nodes: Vec<NodeId>, values: Vec<u64>) -> Self {
        assert_eq!(
            values.len(),
            nodes.len() * nodes.len(),
            "a distance matrix is square"
        );
        Self {
            name,
            nodes,
            values,
        }
    }

    /// The matrix's name (hwloc's, e.g. `NUMALatency`), if it has one.
    #[must_use]
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The nodes the matrix covers.
    #[must_use]
    pub fn nodes(&self) -> &[NodeId] {
        &self.nodes
    }

    /// The distance from `from` to `to`, if the matrix covers both.
    #[must_use]
    pub fn get(&self, from: NodeId, to: NodeId) -> Option<u64> {
        let row = self.nodes.iter().position(|&node| node == from)?;
        let column = self.nodes.iter().position(|&node| node == to)?;
        self.values.get(row * self.nodes.len() + column).copied()
    }

    /// Whether the matrix has a row for `node`.
    #[must_use]
    pub fn covers(&self, node: NodeId) -> bool {
        self.nodes.contains(&node)
    }
}
