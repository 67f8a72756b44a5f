//! Courier: a NUMA-aware actor runtime for latency-critical services.
//!
//! This crate is the one dependency a service adds. It re-exports the layers of the runtime and
//! holds no logic of its own; see `shared/DESIGN.md` for the architecture.
//!
//! Layers available today:
//! - [`alloc`]: per-NUMA-node slab pools where every message lives (courier-alloc).
//! - [`mailbox`]: lock-free intrusive mailboxes with priority lanes, capacity, close/drain and
//!   selective receive (courier-mailbox).
//! - [`sched`]: the actor runtime (actors, refs, send and ask, workers, links and monitors),
//!   topology, the NUMA config file, the placement plan and binding (courier-sched).
//! - [`supervisor`]: supervision trees: the `Supervisor` actor restarting children in place
//!   (same address, queued messages kept), strategies, restart intensity and escalation,
//!   ordered start and shutdown, dynamic children, pools, a circuit breaker, the tree as a
//!   value (courier-supervisor).

pub use courier_alloc as alloc;
pub use courier_mailbox as mailbox;
pub use courier_sched as sched;
pub use courier_supervisor as supervisor;
