//! courier-sched: where Courier's actors run.
//!
//! This part of the crate decides *where*: it models the machine ([`Topology`], from hwloc, an
//! hwloc synthetic string or an hwloc XML file), reads the NUMA config file ([`Config`]), and
//! computes a [`Placement`] plan: which worker runs on which PU, which NUMA node is each worker's
//! home, and in which order an idle worker looks for work to steal. Binding threads to the plan
//! is a separate step ([`Binder`]) whose outcome ([`Bind`]) says honestly whether anything was
//! bound. The workers, deques, parking and the actor core build on this plan.

mod bind;
mod config;
mod ids;
mod placement;
mod topology;

pub use bind::{Bind, BindError, Binder};
pub use config::{
    ActorSettings, ByteSize, Config, ConfigError, ConfigErrorKind, MemorySettings, Position,
};
pub use ids::{CoreId, CpuId, L3Id, PackageId, PuId, WorkerId};
pub use placement::{
    CpuMapping, NodePlan, Placement, PlanError, StealOrder, StealTier, Victim, WorkerCount,
    WorkerPlan, WorkerSettings,
};
pub use topology::{
    DistanceMatrix, DistanceSource, Node, Pu, Topology, TopologyError, TopologySource,
};
