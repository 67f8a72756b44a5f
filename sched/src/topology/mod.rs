//! The machine as the scheduler sees it: PUs, cores, L3 caches, packages, NUMA nodes and the
//! distances between nodes.
//!
//! A [`Topology`] is plain data, built by one of three backends: the running machine through
//! hwloc ([`TopologySource::Hwloc`]), an hwloc synthetic description ([`TopologySource::Synthetic`],
//! e.g. `"pack:2 numa:1 l3:1 core:4 pu:1"`), or an hwloc XML file, which may carry a NUMA distance
//! matrix ([`TopologySource::Xml`]). The last two describe machines we are not running on: they
//! are how placement for 2 and 4 NUMA nodes is tested on a one-node machine. Such a topology
//! carries the real CPUs this process may use ([`Topology::host_cpus`]), so that a plan can map
//! its virtual PUs onto them.
//!
//! All hwloc calls live in the private `hwloc` module; nothing here links against it directly.

mod distance;
pub(crate) mod hwloc;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::PathBuf;

use courier_alloc::NodeId;

pub use distance::{DistanceMatrix, DistanceSource};

use crate::{CoreId, CpuId, L3Id, PackageId, PuId};

/// Where a [`Topology`] comes from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum TopologySource {
    /// The running machine, discovered by hwloc (the default).
    #[default]
    Hwloc,
    /// An hwloc synthetic description such as `"pack:2 numa:1 l3:1 core:4 pu:1"`
    /// (see `man hwloc` / `lstopo -i`). It carries no distance matrix.
    Synthetic(String),
    /// An hwloc XML file (as written by `lstopo --of xml`), possibly with a `<distances2>` matrix.
    Xml(PathBuf),
}

impl fmt::Display for TopologySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Hwloc => f.write_str("hwloc"),
            Self::Synthetic(description) => write!(f, "synthetic {description:?}"),
            Self::Xml(path) => write!(f, "xml {}", path.display()),
        }
    }
}

/// One processing unit (hardware thread) and where it sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pu {
    /// Its logical index.
    pub id: PuId,
    /// Its CPU number in the topology's own numbering (virtual in a synthetic or XML topology).
    pub os_cpu: CpuId,
    /// The core it belongs to.
    pub core: CoreId,
    /// Its rank among the PUs of its core (0 for the first hardware thread).
    pub smt_rank: u16,
    /// The L3 cache above it, if the topology has L3 caches.
    pub l3: Option<L3Id>,
    /// The package above it, if the topology has packages.
    pub package: Option<PackageId>,
    /// The NUMA node whose memory is local to it.
    pub node: NodeId,
}

/// One NUMA node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// The node, numbered as the operating system numbers it.
    pub id: NodeId,
    /// Its PUs in logical order; empty for a memory-only node.
    pub pus: Vec<PuId>,
    /// Its local memory in bytes, as hwloc reports it.
    pub memory_bytes: u64,
    /// hwloc's persistent indexes of the normal objects above it, nearest first: two nodes are
    /// as close as the first ancestor they share (used when there is no distance matrix).
    pub(crate) ancestors: Vec<u64>,
}

/// The machine model that placement works on: PUs with their core, L3, package and node; NUMA
/// nodes; the distance matrix if the source has one; and the host CPUs that the PUs of a
/// topology that is not this machine map onto. Plain data: only loading talks to hwloc.
#[derive(Clone, Debug)]
pub struct Topology {
    pub(crate) source: TopologySource,
    pub(crate) is_this_system: bool,
    pub(crate) pus: Vec<Pu>,
    pub(crate) nodes: Vec<Node>,
    pub(crate) distances: Option<DistanceMatrix>,
    pub(crate) host_cpus: Vec<CpuId>,
}

impl Topology {
    /// Loads a topology from `source`. For synthetic and XML sources it also asks hwloc for the
    /// CPUs of the running machine, onto which the virtual PUs will be mapped.
    ///
    /// # Errors
    /// [`TopologyError`] when hwloc rejects the description or file, or reports a machine larger
    /// than the ids can name.
    pub fn load(source: &TopologySource) -> Result<Self, TopologyError> {
        let mut topology = hwloc::load(source)?;
        if !topology.is_this_system {
            topology.host_cpus = hwloc::host_cpus()?;
        }
        Ok(topology)
    }

    /// The running machine (`TopologySource::Hwloc`).
    ///
    /// # Errors
    /// As [`Topology::load`].
    pub fn this_system() -> Result<Self, TopologyError> {
        Self::load(&TopologySource::Hwloc)
    }

    /// A synthetic topology (`TopologySource::Synthetic`).
    ///
    /// ```
    /// use courier_sched::Topology;
    /// let topology = Topology::synthetic("pack:2 numa:1 l3:1 core:4 pu:1")?;
    /// assert_eq!(topology.pus().len(), 8);
    /// assert_eq!(topology.nodes().len(), 2);
    /// assert!(!topology.is_this_system());
    /// # Ok::<(), courier_sched::TopologyError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Topology::load`].
    pub fn synthetic(description: &str) -> Result<Self, TopologyError> {
        Self::load(&TopologySource::Synthetic(description.to_owned()))
    }

    /// Replaces the host CPUs that the virtual PUs of a topology that is not this system map
    /// onto. Tests use it to get the same plan on every machine.
    ///
    /// # Panics
    /// If `host_cpus` is empty: every worker needs a CPU to run on.
    #[must_use]
    pub fn with_host_cpus(mut self, host_cpus: Vec<CpuId>) -> Self {
        assert!(!host_cpus.is_empty(), "a host has at least one CPU");
        self.host_cpus = host_cpus;
        self
    }

    /// Where this topology came from.
    #[must_use]
    pub fn source(&self) -> &TopologySource {
        &self.source
    }

    /// Whether this topology describes the running machine (hwloc's `is_this_system`). Binding
    /// is only attempted when it does.
    #[must_use]
    pub fn is_this_system(&self) -> bool {
        self.is_this_system
    }

    /// Every PU the process may use, in logical order (`pus()[i].id == PuId(i)`).
    #[must_use]
    pub fn pus(&self) -> &[Pu] {
        &self.pus
    }

    /// Every NUMA node, in increasing [`NodeId`] order, including memory-only nodes.
    #[must_use]
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The node with this id, if the topology has it.
    #[must_use]
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.iter().find(|node| node.id == id)
    }

    /// The NUMA distance matrix, when the source has one covering every node with PUs.
    #[must_use]
    pub fn distances(&self) -> Option<&DistanceMatrix> {
        self.distances.as_ref()
    }

    /// The real CPUs of the running machine that virtual PUs map onto (modulo their count).
    /// For a topology of this system, these are its own PUs' CPUs.
    #[must_use]
    pub fn host_cpus(&self) -> &[CpuId] {
        &self.host_cpus
    }

    /// The CPU a thread placed on `pu` runs on: the PU's own CPU on this system, else the host
    /// CPU `pu mod host_cpus().len()`.
    #[must_use]
    pub fn cpu_for(&self, pu: PuId) -> CpuId {
        if self.is_this_system {
            self.pus[pu.index()].os_cpu
        } else {
            self.host_cpus[pu.index() % self.host_cpus.len()]
        }
    }

    /// How far node `to` is from node `from`, and how that was measured: the matrix value when
    /// there is a matrix, else the number of hierarchy levels up to the first shared ancestor.
    /// `None` if either node is not in the topology.
    #[must_use]
    pub fn node_distance(&self, from: NodeId, to: NodeId) -> Option<u64> {
        match &self.distances {
            Some(matrix) => matrix.get(from, to),
            None => self.hierarchy_hops(from, to).map(u64::from),
        }
    }

    /// The number of levels from `from` up to the first ancestor it shares with `to`
    /// (0 for the same node).
    pub(crate) fn hierarchy_hops(&self, from: NodeId, to: NodeId) -> Option<u16> {
        let a = self.node(from)?;
        let b = self.node(to)?;
        if from == to {
            return Some(0);
        }
        let shared = a
            .ancestors
            .iter()
            .position(|ancestor| b.ancestors.contains(ancestor));
        let hops = shared.map_or(a.ancestors.len(), |position| position + 1);
        Some(u16::try_from(hops).unwrap_or(u16::MAX))
    }
}

/// Why a topology could not be loaded.
#[derive(Debug)]
#[non_exhaustive]
pub enum TopologyError {
    /// hwloc rejected the synthetic description.
    InvalidSynthetic {
        /// The description as given.
        description: String,
    },
    /// The XML file could not be read.
    ReadXml {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// hwloc rejected the XML file.
    InvalidXml {
        /// The file.
        path: PathBuf,
    },
    /// hwloc failed to discover or build the topology.
    Hwloc {
        /// What hwloc said.
        message: String,
    },
    /// The topology has more PUs, cores or caches than a `u16` id can name.
    TooLarge {
        /// What overflowed ("PUs", "cores", ...).
        what: &'static str,
    },
    /// The topology has no PU the process may run on.
    NoPus,
}

impl fmt::Display for TopologyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidSynthetic { description } => {
                write!(f, "hwloc rejected the synthetic topology {description:?}")
            }
            Self::ReadXml { path, error } => {
                write!(
                    f,
                    "cannot read the XML topology {}: {error}",
                    path.display()
                )
            }
            Self::InvalidXml { path } => {
                write!(f, "hwloc rejected the XML topology {}", path.display())
            }
            Self::Hwloc { message } => write!(f, "hwloc failed: {message}"),
            Self::TooLarge { what } => write!(f, "the topology has more {what} than 65535"),
            Self::NoPus => f.write_str("the topology has no PU this process may run on"),
        }
    }
}

impl std::error::Error for TopologyError {}
