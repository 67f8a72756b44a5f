//! `LocalRuntime`: one worker that runs on the calling thread, on demand.

use std::fmt;
use std::sync::Arc;

use crate::runtime::Shared;
use crate::worker::Worker;
use crate::{
    Actor, ActorRef, NameError, Placement, RuntimeError, RuntimeSettings, Topology, Trimmed,
    WorkerCount, WorkerId, WorkerSettings,
};

/// A runtime of one worker that runs on the calling thread whenever [`LocalRuntime::run`] is
/// called, until no actor is runnable. Deterministic: for tests, single-threaded tools, and
/// instruction-count benchmarks, where every instruction must run on the measured thread.
///
/// ```
/// use courier_sched::{Actor, Context, LocalRuntime};
///
/// struct Doubler(u64);
/// impl Actor for Doubler {
///     type Msg = u64;
///     type Error = std::convert::Infallible;
///     fn handle(&mut self, _: &mut Context<'_, Self>, n: u64) -> Result<(), Self::Error> {
///         self.0 += 2 * n;
///         Ok(())
///     }
/// }
///
/// let runtime = LocalRuntime::new().unwrap();
/// let doubler = runtime.spawn(Doubler(0));
/// doubler.send(21).unwrap();
/// runtime.run(); // started, then the message, on this thread
/// assert_eq!(doubler.mailbox_depth(), 0);
/// ```
pub struct LocalRuntime {
    worker: Worker,
}

impl LocalRuntime {
    /// A one-worker runtime on this machine's first node, with default settings.
    ///
    /// # Errors
    /// [`RuntimeError::Topology`] when hwloc cannot load this machine.
    pub fn new() -> Result<LocalRuntime, RuntimeError> {
        LocalRuntime::with_settings(RuntimeSettings::default())
    }

    /// A one-worker runtime with `settings`.
    ///
    /// # Errors
    /// As [`LocalRuntime::new`].
    pub fn with_settings(settings: RuntimeSettings) -> Result<LocalRuntime, RuntimeError> {
        let topology = Topology::this_system().map_err(RuntimeError::Topology)?;
        let workers = WorkerSettings {
            count: WorkerCount::Total(1),
            pin: false,
            spinners_per_node: 0,
            ..WorkerSettings::default()
        };
        let placement = Placement::plan(&topology, &workers).map_err(RuntimeError::Plan)?;
        let deque = crate::runtime::run_queues();
        let shared = Arc::new(Shared::new(
            placement,
            settings,
            std::slice::from_ref(&deque),
        ));
        let pools = shared.worker_pools(shared.placement().worker(WorkerId(0)).node.0);
        let worker = Worker::new(WorkerId(0), shared, deque, pools, false);
        Ok(LocalRuntime { worker })
    }

    /// Gives the wholly free slabs of this runtime's pools back to the kernel, keeping 1 MiB of
    /// free blocks per pool: its worker's (the messages and actors its handlers made) and the
    /// calling thread's ([`trim_thread_pools`](crate::trim_thread_pools): the messages sent
    /// and actors spawned from outside `run`). A `Runtime`'s workers do this by themselves once
    /// parked (`memory.trim_after_idle_ms`); a local runtime never parks, so its caller asks,
    /// between runs, when a burst is over. Counted in the worker's `trims` and
    /// `bytes_trimmed`.
    pub fn trim_pools(&self) -> Trimmed {
        let mut trimmed = self.worker.trim_now();
        trimmed.add(crate::trim_thread_pools());
        trimmed
    }

    /// Spawns an actor; it starts at the next [`LocalRuntime::run`].
    pub fn spawn<A: Actor>(&self, actor: A) -> ActorRef<A::Msg> {
        self.worker
            .runtime()
            .spawn_on_node(actor, self.worker.node())
    }

    /// Gives `actor` a name (see [`Runtime::register`](crate::Runtime::register)).
    ///
    /// # Errors
    /// As [`Runtime::register`](crate::Runtime::register).
    pub fn register<M: 'static>(&self, name: &str, actor: &ActorRef<M>) -> Result<(), NameError> {
        self.worker.runtime().registry().register(name, actor)
    }

    /// The actor named `name`, if it handles `M`.
    ///
    /// # Errors
    /// As [`Runtime::whereis`](crate::Runtime::whereis).
    pub fn whereis<M: Send + 'static>(&self, name: &str) -> Result<ActorRef<M>, NameError> {
        self.worker.runtime().registry().whereis(name)
    }

    /// Removes a name; `false` when nobody held it.
    pub fn unregister(&self, name: &str) -> bool {
        self.worker.runtime().registry().unregister(name)
    }

    /// Runs actors on this thread until none is runnable.
    pub fn run(&self) {
        self.worker.run_until_idle();
    }

    /// The runtime's shared part, for the crate's unit tests.
    #[cfg(test)]
    pub(crate) fn shared(&self) -> &Arc<Shared> {
        self.worker.runtime()
    }

    /// A snapshot of the runtime's counters.
    #[must_use]
    pub fn metrics(&self) -> crate::RuntimeMetrics {
        self.worker.runtime().metrics_snapshot()
    }
}

impl Drop for LocalRuntime {
    fn drop(&mut self) {
        self.worker.runtime().shut_down_queues();
        self.worker.drain_on_exit();
    }
}

impl fmt::Debug for LocalRuntime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalRuntime")
            .field("metrics", &self.metrics())
            .finish()
    }
}
