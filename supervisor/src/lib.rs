//! courier-supervisor: the pure core of Courier's supervision trees.
//!
//! Erlang/OTP's `supervisor` is the reference. This part of the crate holds the *policy*, as
//! values and pure functions that take the time as an argument and never read a clock, so that
//! every decision can be property-tested against a model with an injected clock:
//!
//! - [`ChildSpec`]: a child's id, start factory, [`Restart`] type, [`Shutdown`] spec and
//!   [`ChildKind`]; [`Strategy`]: one-for-one, one-for-all, rest-for-one, dynamic.
//! - [`Intensity`]: Erlang's MaxR-in-MaxT sliding window of restarts.
//! - [`decide`]: what a supervisor does when a child exits: a [`Decision`] to go on with a
//!   [`Plan`] (children to stop, in reverse start order; children to restart, in start order;
//!   specs to forget), or to give up and escalate with a [`SuperviseError`] naming the child.
//! - [`CircuitBreaker`]: closed, open, half-open, usable around any ask.
//! - [`SupervisionTree`]: the tree as a value, printed as an indented tree and serialized.
//!
//! On top of that policy sits the [`Supervisor`] actor, which applies it to running actors
//! through courier-sched's restart in place (`Context::spawn_supervised`): a restarted child
//! keeps its address and its queued messages. [`SupervisorRef`] starts a root supervisor and
//! reads its children's refs and its tree; [`Child`] turns a [`ChildSpec`] of any actor type
//! into a child; [`PoolRef`] puts a supervised pool of identical workers behind one address;
//! [`Breaker`] puts the circuit breaker around real asks.

//!
//! ```
//! use std::time::Duration;
//! use courier_sched::{Actor, Context, Runtime};
//! use courier_supervisor::{Child, Strategy, SupervisorRef, SupervisorSpec};
//!
//! struct Cache { entries: u64 }
//!
//! impl Actor for Cache {
//!     type Msg = u64;
//!     type Error = String;
//!     fn handle(&mut self, _ctx: &mut Context<'_, Self>, n: u64) -> Result<(), String> {
//!         if n == 0 { return Err("zero is not a key".into()); } // crashes this instance
//!         self.entries += 1;
//!         Ok(())
//!     }
//! }
//!
//! let runtime = Runtime::with_workers(2).unwrap();
//! let spec = SupervisorSpec::new(Strategy::OneForOne)
//!     .with_intensity(3, Duration::from_secs(5))
//!     .child(Child::worker("cache", || Cache { entries: 0 }));
//! let root = SupervisorRef::start(&runtime, "root", spec).unwrap();
//! let cache = root.child::<u64>("cache").unwrap();
//! cache.send(0).unwrap(); // the instance fails; a new one takes its place
//! cache.send(7).unwrap(); // same address: handled by the restarted instance
//! println!("{}", root.tree());
//! root.shutdown(Duration::from_secs(5)).unwrap();
//! runtime.shutdown();
//! ```

#![forbid(unsafe_code)]

mod breaker;
mod child;
mod error;
mod guarded;
mod handle;
mod intensity;
mod plan;
mod pool;
mod published;
mod spec;
mod supervisor;
mod sync;
mod tree;

pub use breaker::{
    Admission, BreakerConfig, BreakerCounts, BreakerSnapshot, BreakerState, CallOutcome,
    CircuitBreaker, Permit, Record,
};
pub use child::Child;
pub use error::SuperviseError;
pub use guarded::{Breaker, GuardedError};
pub use handle::{START_TIMEOUT, SupervisorRef};
pub use intensity::Intensity;
pub use plan::{ChildExit, ChildStatus, ChildView, Decision, Plan, decide};
pub use pool::{PoolRef, pool_children};
pub use spec::{BoxedStart, ChildId, ChildKind, ChildSpec, Restart, Shutdown, Strategy};
pub use supervisor::{Supervisor, SupervisorMsg, SupervisorSpec};
pub use tree::{ChildNode, SupervisionTree, TreeStatus};
