//! What goes wrong in supervision, as values.

use std::time::Duration;

use crate::ChildId;

/// Why a supervisor gave up, or a request to it was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SuperviseError {
    /// More than `restarts_max` restarts within `window`: the supervisor stops its children
    /// and exits with this reason, and its own supervisor applies its strategy (escalation).
    #[error("child {child} exited: more than {restarts_max} restarts within {window:?}, giving up")]
    RestartIntensity {
        /// The child whose exit would have been one restart too many.
        child: ChildId,
        /// The most restarts allowed within `window` (Erlang's `MaxR`).
        restarts_max: u32,
        /// The sliding window (Erlang's `MaxT`).
        window: Duration,
    },
    /// A child's start factory failed: during the supervisor's ordered start this fails the
    /// supervisor's start (for the supervisor actor, which comes with courier-sched's
    /// restart-in-place support).
    #[error("child {child} failed to start: {reason}")]
    StartFailed {
        /// The child whose factory failed.
        child: ChildId,
        /// The factory's error, formatted.
        reason: String,
    },
    /// A child with this id is already supervised here.
    #[error("a child {child} is already supervised here")]
    DuplicateChild {
        /// The id asked for.
        child: ChildId,
    },
    /// The supervisor did not answer in time, or has stopped.
    #[error("the supervisor did not answer: {reason}")]
    NoAnswer {
        /// What happened to the request.
        reason: String,
    },
    /// The child is not one of this supervisor's children.
    #[error("no child {child} in this supervisor")]
    UnknownChild {
        /// The id asked for.
        child: ChildId,
    },
    /// The child is known but not running, so it cannot have exited.
    #[error("child {child} is not running")]
    NotRunning {
        /// The id asked for.
        child: ChildId,
    },
}
