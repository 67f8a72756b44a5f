//! `Context`: what a handler can do besides handling its message.

use std::fmt;
use std::marker::PhantomData;

use crate::cell::ActorPtr;
use crate::worker::Worker;
use courier_alloc::NodeId;

use crate::{Actor, ActorId, ActorRef, Exit, MonitorId, WorkerId};

/// The handle a handler gets with each message: its own address, spawning, stopping.
pub struct Context<'a, A: Actor> {
    ptr: ActorPtr,
    worker: &'a Worker,
    stop: Option<Exit>,
    _actor: PhantomData<fn(A)>,
}

impl<'a, A: Actor> Context<'a, A> {
    pub(crate) fn new(ptr: ActorPtr, worker: &'a Worker) -> Self {
        Context {
            ptr,
            worker,
            stop: None,
            _actor: PhantomData,
        }
    }

    /// This actor's id.
    #[must_use]
    pub fn id(&self) -> ActorId {
        self.ptr.header().id
    }

    /// The worker running this turn.
    #[must_use]
    pub fn worker(&self) -> WorkerId {
        self.worker.id()
    }

    /// The NUMA node of the worker running this turn.
    #[must_use]
    pub fn node(&self) -> NodeId {
        NodeId(self.worker.node())
    }

    /// A snapshot of the runtime's counters (workers, actors, dead letters).
    #[must_use]
    pub fn runtime_metrics(&self) -> crate::RuntimeMetrics {
        self.worker.runtime().metrics_snapshot()
    }

    /// This actor's own address.
    #[must_use]
    pub fn myself(&self) -> ActorRef<A::Msg> {
        self.ptr.retain();
        ActorRef::from_owned(self.ptr)
    }

    /// Stops this actor once the current handler returns: `stopped` runs with
    /// [`Exit::Normal`] and the messages still queued go to dead letters.
    pub fn stop(&mut self) {
        self.stop = Some(Exit::Normal);
    }

    /// Spawns an actor on this worker's node; it starts on this worker unless another steals it.
    pub fn spawn<B: Actor>(&self, actor: B) -> ActorRef<B::Msg> {
        self.worker
            .runtime()
            .spawn_on_node(actor, self.worker.node())
    }

    /// Monitors `other`: when it exits, this actor's [`Actor::on_down`] gets a [`Down`](crate::Down) with
    /// the returned id and the reason (at once if it has exited already).
    #[must_use = "the id tells this monitor's Down apart and removes it"]
    pub fn monitor<M>(&self, other: &ActorRef<M>) -> MonitorId {
        let id = self.worker.runtime().next_monitor_id();
        let target = other.ptr();
        target
            .header()
            .watchers
            .monitor(target.header().id, self.ptr, id);
        id
    }

    /// Stops a monitor; no `Down` for it will come (unless already on its way).
    pub fn demonitor<M>(&self, other: &ActorRef<M>, monitor: MonitorId) {
        other
            .ptr()
            .header()
            .watchers
            .remove(self.ptr, Some(monitor));
    }

    /// Links this actor and `other`: when either exits abnormally, the other exits too
    /// ([`Exit::Linked`]), unless it traps exits.
    pub fn link<M>(&self, other: &ActorRef<M>) {
        let target = other.ptr();
        target.header().watchers.link(target.header().id, self.ptr);
        self.ptr
            .header()
            .watchers
            .link(self.ptr.header().id, target);
    }

    /// Removes a link, both ways.
    pub fn unlink<M>(&self, other: &ActorRef<M>) {
        let target = other.ptr();
        target.header().watchers.remove(self.ptr, None);
        self.ptr.header().watchers.remove(target, None);
    }

    /// Whether exits of linked actors arrive as [`ExitSignal`](crate::ExitSignal)s ([`Actor::on_exit_signal`])
    /// instead of stopping this actor (Erlang's `trap_exit`).
    pub fn trap_exit(&self, trap: bool) {
        self.ptr.header().trap_exit.set(trap);
    }

    pub(crate) fn stop_requested(&self) -> Option<Exit> {
        self.stop.clone()
    }
}

impl<A: Actor> fmt::Debug for Context<'_, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("actor", &self.ptr)
            .finish_non_exhaustive()
    }
}
