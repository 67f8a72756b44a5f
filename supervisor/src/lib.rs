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
//! into a child; [`PoolRef`] puts a supervised pool of identical workers behind one address.

#![forbid(unsafe_code)]

mod breaker;
mod child;
mod error;
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
pub use handle::{START_TIMEOUT, SupervisorRef};
pub use intensity::Intensity;
pub use plan::{ChildExit, ChildStatus, ChildView, Decision, Plan, decide};
pub use pool::{PoolRef, pool_children};
pub use spec::{BoxedStart, ChildId, ChildKind, ChildSpec, Restart, Shutdown, Strategy};
pub use supervisor::{Supervisor, SupervisorMsg, SupervisorSpec};
pub use tree::{ChildNode, SupervisionTree, TreeStatus};
