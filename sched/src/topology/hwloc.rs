//! The only module that talks to hwloc (through hwlocality, which wraps Debian's libhwloc).
//!
//! It turns an hwloc topology into the crate's plain [`Topology`] model, lists the CPUs of the
//! running machine, and binds threads. Everything above works on the model, so placement logic
//! never touches hwloc objects.

use std::collections::BTreeMap;
use std::ffi::CStr;

use courier_alloc::NodeId;
use hwlocality::Topology as HwTopology;
use hwlocality::cpu::binding::CpuBindingFlags;
use hwlocality::cpu::cpuset::CpuSet;
use hwlocality::object::TopologyObject;
use hwlocality::object::distance::DistancesKind;
use hwlocality::object::types::ObjectType;

use super::{DistanceMatrix, Node, Pu, Topology, TopologyError, TopologySource};
use crate::{CoreId, CpuId, L3Id, PackageId, PuId};

/// Builds the model of `source`. For a topology that is not this system, `host_cpus` is left
/// empty for the caller to fill with [`host_cpus`].
pub(crate) fn load(source: &TopologySource) -> Result<Topology, TopologyError> {
    let hw = open(source)?;
    let (pus, nodes) = model(&hw)?;
    let distances = distance_matrix(&hw, &nodes);
    let is_this_system = hw.is_this_system();
    let host_cpus = if is_this_system {
        pus.iter().map(|pu| pu.os_cpu).collect()
    } else {
        Vec::new()
    };
    Ok(Topology {
        source: source.clone(),
        is_this_system,
        pus,
        nodes,
        distances,
        host_cpus,
    })
}

fn open(source: &TopologySource) -> Result<HwTopology, TopologyError> {
    match source {
        TopologySource::Hwloc => HwTopology::new().map_err(|error| TopologyError::Hwloc {
            message: error.to_string(),
        }),
        TopologySource::Synthetic(description) => {
            let invalid = || TopologyError::InvalidSynthetic {
                description: description.clone(),
            };
            let builder = HwTopology::builder()
                .from_synthetic(description)
                .map_err(|_| invalid())?;
            builder.build().map_err(|_| invalid())
        }
        TopologySource::Xml(path) => {
            // Read here rather than with `from_xml_file`: hwlocality panics on a missing file.
            let xml = std::fs::read_to_string(path).map_err(|error| TopologyError::ReadXml {
                path: path.clone(),
                error,
            })?;
            // hwloc parses the XML only when the topology is built.
            let invalid = || TopologyError::InvalidXml { path: path.clone() };
            HwTopology::builder()
                .from_xml(&xml)
                .map_err(|_| invalid())?
                .build()
                .map_err(|_| invalid())
        }
    }
}

fn id_u16(value: usize, what: &'static str) -> Result<u16, TopologyError> {
    u16::try_from(value).map_err(|_| TopologyError::TooLarge { what })
}

/// Reads the PUs (with their core, SMT rank, L3, package and node) and the NUMA nodes.
fn model(hw: &HwTopology) -> Result<(Vec<Pu>, Vec<Node>), TopologyError> {
    let mut nodes = numa_nodes(hw)?;
    let mut pus = Vec::new();
    let mut seen_per_core: BTreeMap<CoreId, u16> = BTreeMap::new();
    let mut pu_objects: Vec<&TopologyObject> = hw.objects_with_type(ObjectType::PU).collect();
    pu_objects.sort_by_key(|object| object.logical_index());
    for object in pu_objects {
        let id = PuId(id_u16(pus.len(), "PUs")?);
        let os_index = object.os_index().ok_or(TopologyError::Hwloc {
            message: "a PU without an OS index".to_owned(),
        })?;
        let ancestor = |ty| {
            object
                .first_ancestor_with_type(ty)
                .map(TopologyObject::logical_index)
        };
        // Without a Core object above it (filtered out), a PU is its own core.
        let core = CoreId(id_u16(
            ancestor(ObjectType::Core).unwrap_or(usize::from(id.0)),
            "cores",
        )?);
        let smt_rank = seen_per_core.entry(core).or_insert(0);
        let l3 = ancestor(ObjectType::L3Cache)
            .map(|i| id_u16(i, "L3 caches"))
            .transpose()?;
        let package = ancestor(ObjectType::Package)
            .map(|i| id_u16(i, "packages"))
            .transpose()?;
        let node = nodes
            .iter_mut()
            .find(|(_, cpus)| cpus.contains(&os_index))
            .map(|(node, _)| {
                node.pus.push(id);
                node.id
            })
            .ok_or(TopologyError::Hwloc {
                message: format!("PU {os_index} is in no NUMA node"),
            })?;
        pus.push(Pu {
            id,
            os_cpu: CpuId(id_u16(os_index, "CPU numbers")?),
            core,
            smt_rank: *smt_rank,
            l3: l3.map(L3Id),
            package: package.map(PackageId),
            node,
        });
        *smt_rank += 1;
    }
    if pus.is_empty() {
        return Err(TopologyError::NoPus);
    }
    Ok((pus, nodes.into_iter().map(|(node, _)| node).collect()))
}

/// The NUMA nodes in increasing OS index, each with the OS indexes of its CPUs.
fn numa_nodes(hw: &HwTopology) -> Result<Vec<(Node, Vec<usize>)>, TopologyError> {
    let mut nodes = Vec::new();
    for object in hw.objects_with_type(ObjectType::NUMANode) {
        let os_index = object.os_index().unwrap_or(object.logical_index());
        let cpus = object
            .cpuset()
            .map(|set| set.iter_set().map(usize::from).collect())
            .unwrap_or_default();
        let node = Node {
            id: NodeId(id_u16(os_index, "NUMA nodes")?),
            pus: Vec::new(),
            memory_bytes: object.total_memory(),
            ancestors: object
                .ancestors()
                .map(TopologyObject::global_persistent_index)
                .collect(),
        };
        nodes.push((node, cpus));
    }
    nodes.sort_by_key(|(node, _)| node.id);
    Ok(nodes)
}

/// The NUMA distance matrix to order remote nodes by: a latency matrix if hwloc has one, else
/// the first NUMA matrix; only if it covers every node that has PUs.
fn distance_matrix(hw: &HwTopology, nodes: &[Node]) -> Option<DistanceMatrix> {
    let all = hw.distances(None).ok()?;
    let mut candidates: Vec<_> = all
        .iter()
        .filter(|d| {
            d.objects()
                .all(|o| o.is_some_and(|o| o.object_type() == ObjectType::NUMANode))
        })
        .collect();
    candidates.sort_by_key(|d| !d.kind().contains(DistancesKind::MEANS_LATENCY));
    candidates.into_iter().find_map(|distances| {
        let ids: Option<Vec<NodeId>> = distances
            .objects()
            .map(|o| {
                o.and_then(TopologyObject::os_index)
                    .and_then(|i| u16::try_from(i).ok())
            })
            .map(|i| i.map(NodeId))
            .collect();
        let name = distances
            .name()
            .map(CStr::to_string_lossy)
            .map(String::from);
        let matrix = DistanceMatrix::new(name, ids?, distances.distances().to_vec());
        let complete = nodes
            .iter()
            .filter(|n| !n.pus.is_empty())
            .all(|n| matrix.covers(n.id));
        complete.then_some(matrix)
    })
}

/// The CPUs the running process may use, for mapping the PUs of a virtual topology. When hwloc
/// itself is pointed at a fake machine (`HWLOC_SYNTHETIC`, `HWLOC_XMLFILE`), it falls back to
/// CPUs `0..available_parallelism`.
pub(crate) fn host_cpus() -> Result<Vec<CpuId>, TopologyError> {
    let hw = HwTopology::new().map_err(|error| TopologyError::Hwloc {
        message: error.to_string(),
    })?;
    let cpus: Vec<CpuId> = if hw.is_this_system() {
        hw.allowed_cpuset()
            .iter_set()
            .filter_map(|index| u16::try_from(usize::from(index)).ok().map(CpuId))
            .collect()
    } else {
        let count = std::thread::available_parallelism().map_or(1, usize::from);
        (0..u16::try_from(count).unwrap_or(u16::MAX))
            .map(CpuId)
            .collect()
    };
    if cpus.is_empty() {
        Err(TopologyError::NoPus)
    } else {
        Ok(cpus)
    }
}

/// An hwloc handle on the running machine, for binding threads.
#[derive(Debug)]
pub(crate) struct ThisSystem {
    hw: HwTopology,
}

impl ThisSystem {
    pub(crate) fn open() -> Result<Self, TopologyError> {
        let hw = HwTopology::new().map_err(|error| TopologyError::Hwloc {
            message: error.to_string(),
        })?;
        Ok(Self { hw })
    }

    /// Whether hwloc's own view is the running machine (false under `HWLOC_SYNTHETIC` and the
    /// like, where hwloc's binding calls silently do nothing).
    pub(crate) fn is_this_system(&self) -> bool {
        self.hw.is_this_system()
    }

    /// Binds the calling thread to `cpu`.
    pub(crate) fn bind_current_thread(&self, cpu: CpuId) -> Result<(), String> {
        let mut set = CpuSet::new();
        set.set(cpu.index());
        self.hw
            .bind_cpu(&set, CpuBindingFlags::THREAD)
            .map_err(|error| error.to_string())
    }

    /// The CPUs the calling thread is bound to, as the operating system reports them.
    pub(crate) fn current_thread_cpus(&self) -> Result<Vec<CpuId>, String> {
        let set = self
            .hw
            .cpu_binding(CpuBindingFlags::THREAD)
            .map_err(|error| error.to_string())?;
        Ok(set
            .iter_set()
            .filter_map(|index| u16::try_from(usize::from(index)).ok().map(CpuId))
            .collect())
    }
}
