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
//! The supervisor actor that applies these decisions to running actors (restart in place with
//! the mailbox kept, stable addresses) comes with the runtime support for it in courier-sched.

#![forbid(unsafe_code)]

mod breaker;
mod error;
mod intensity;
mod plan;
mod spec;
mod tree;

pub use breaker::{
    Admission, BreakerConfig, BreakerCounts, BreakerSnapshot, BreakerState, CallOutcome,
    CircuitBreaker, Permit, Record,
};
pub use error::SuperviseError;
pub use intensity::Intensity;
pub use plan::{ChildExit, ChildStatus, ChildView, Decision, Plan, decide};
pub use spec::{BoxedStart, ChildId, ChildKind, ChildSpec, Restart, Shutdown, Strategy};
pub use tree::{ChildNode, SupervisionTree, TreeStatus};
