//! courier-sched: where Courier's actors run.
//!
//! This part of the crate decides *where*: it models the machine ([`Topology`], from hwloc, an
//! hwloc synthetic string or an hwloc XML file), reads the NUMA config file ([`Config`]), and
//! computes a [`Placement`] plan: which worker runs on which PU, which NUMA node is each worker's
//! home, and in which order an idle worker looks for work to steal. Binding threads to the plan
//! is a separate step ([`Binder`]) whose outcome ([`Bind`]) says honestly whether anything was
//! bound.
//!
//! It also holds the scheduler's synchronisation protocols, each with its loom model and the
//! proof sketch in `PROTOCOL.md` (the turns that make a send schedule an idle actor exactly once
//! and never lose a wake-up live in courier-mailbox's state word, M7), and [`IdleWorkers`], the
//! searching/parking accounting that wakes a sleeping worker (on the work's node first) only when no other worker
//! searches. The workers, deques and the actor core build on these.

mod actor;
mod actor_ref;
mod bind;
mod cell;
mod cell_memory;
mod config;
mod context;
mod dead_letter;
mod envelope;
mod idle;
mod idle_trim;
mod ids;
mod inbox;
mod local;
mod memory;
mod metrics;
mod panic;
mod pause;
mod placement;
mod registry;
mod reply;
mod room_wait;
mod runtime;
mod supervision;
mod sync;
mod thread_trim;
mod timer;
mod topology;
mod watch;
mod watch_word;
mod worker;

pub use actor::{Actor, ActorId, Exit};
pub use actor_ref::{ActorRef, SendError};
pub use bind::{Bind, BindError, Binder};
pub use config::{
    ActorSettings, ByteSize, Config, ConfigError, ConfigErrorKind, MemorySettings, Position,
};
pub use context::Context;
pub use courier_alloc::Trimmed;
pub use courier_mailbox::Priority;
pub use dead_letter::{DeadLetter, DeadLetterHandler, Undelivered};
pub use idle::IdleWorkers;
pub use ids::{CoreId, CpuId, L3Id, PackageId, PuId, WorkerId};
pub use inbox::Inbox;
pub use local::LocalRuntime;
pub use memory::{NodeMemoryMetrics, PoolMemory};
pub use metrics::{RuntimeMetrics, WorkerMetrics};
pub use placement::{
    CpuMapping, NodePlan, Placement, PlanError, StealOrder, StealTier, Victim, WorkerCount,
    WorkerPlan, WorkerSettings,
};
pub use registry::NameError;
pub use reply::{AskError, Reply, ReplyTo};
pub use runtime::{Runtime, RuntimeError, RuntimeSettings, SpawnError};
pub use supervision::{ChildEvent, ChildEventKind, ChildHandle, Factory, Guardian, Termination};
pub use thread_trim::trim_thread_pools;
pub use timer::TimerHandle;
pub use topology::{
    DistanceMatrix, DistanceSource, Node, Pu, Topology, TopologyError, TopologySource,
};
pub use watch::{Down, ExitSignal, MonitorId};
pub use watch_word::{WatchList, WatchLock, WatchWord};
