//! A supervised pool: N identical workers behind one address, round-robin.
//!
//! The workers are ordinary children of a supervisor (ids `name-0` .. `name-{N-1}`), so they are
//! restarted in place like any child and their addresses never change: the pool holds them once
//! and never needs telling about a restart.

use crate::sync::{AtomicUsize, Ordering};
use std::sync::Arc;

use courier_sched::{Actor, ActorRef, SendError};

use crate::{Child, ChildId, SupervisorRef};

/// The children of a pool of `size` workers built by `build`, to add to a supervisor's spec.
pub fn pool_children<A: Actor>(
    name: &str,
    size: usize,
    build: impl Fn() -> A + Send + Sync + 'static,
) -> Vec<Child> {
    let build = Arc::new(build);
    (0..size)
        .map(|i| {
            let build = Arc::clone(&build);
            Child::worker(ChildId::new(format!("{name}-{i}")), move || build())
        })
        .collect()
}

/// One address for a pool of supervised workers; cheap to clone, `Send + Sync`.
pub struct PoolRef<M> {
    workers: Arc<[ActorRef<M>]>,
    next: Arc<AtomicUsize>,
}

impl<M: Send + 'static> PoolRef<M> {
    /// The pool `name` of `supervisor` (children `name-0`, `name-1`, ... as
    /// [`pool_children`] names them); `None` when a worker is missing or not of type `M`.
    #[must_use]
    pub fn of(supervisor: &SupervisorRef, name: &str, size: usize) -> Option<PoolRef<M>> {
        let workers = (0..size)
            .map(|i| supervisor.child::<M>(&format!("{name}-{i}")))
            .collect::<Option<Vec<_>>>()?;
        if workers.is_empty() {
            return None;
        }
        Some(PoolRef {
            workers: workers.into(),
            next: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// The next worker, round-robin.
    #[must_use]
    pub fn pick(&self) -> &ActorRef<M> {
        // ORDERING: Relaxed; only spreads the load, orders nothing.
        let turn = self.next.fetch_add(1, Ordering::Relaxed);
        &self.workers[turn % self.workers.len()]
    }

    /// Sends to the next worker ([`ActorRef::try_send`]).
    ///
    /// # Errors
    /// As [`ActorRef::try_send`].
    pub fn try_send(&self, message: M) -> Result<(), SendError<M>> {
        self.pick().try_send(message)
    }

    /// Sends to the next worker, waiting for room off a worker thread ([`ActorRef::send`]).
    ///
    /// # Errors
    /// As [`ActorRef::send`].
    pub fn send(&self, message: M) -> Result<(), SendError<M>> {
        self.pick().send(message)
    }

    /// The workers, in order.
    #[must_use]
    pub fn workers(&self) -> &[ActorRef<M>] {
        &self.workers
    }
}

impl<M> Clone for PoolRef<M> {
    fn clone(&self) -> Self {
        PoolRef {
            workers: Arc::clone(&self.workers),
            next: Arc::clone(&self.next),
        }
    }
}

impl<M> std::fmt::Debug for PoolRef<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PoolRef({} workers)", self.workers.len())
    }
}
