//! `Context`: what a handler can do besides handling its message.

use std::fmt;
use std::marker::PhantomData;

use crate::cell::ActorPtr;
use crate::worker::Worker;
use std::time::Duration;

use courier_alloc::NodeId;
use courier_mailbox::Priority;

use crate::cell::{FilterChange, SystemMessage};
use crate::dead_letter::Undelivered;
use crate::registry::NameError;
use crate::timer::TimerHandle;

use crate::{Actor, ActorId, ActorRef, Exit, MonitorId, SendError, WorkerId};

/// The handle a handler gets with each message: its own address, spawning, stopping.
pub struct Context<'a, A: Actor> {
    ptr: ActorPtr,
    worker: &'a Worker,
    /// The handler asked to stop ([`Context::stop`]): `Exit::Normal` after it returns.
    stop: bool,
    /// A filter set or cleared by this handler.
    filter: Option<FilterChange<A::Msg>>,
    _actor: PhantomData<fn(A)>,
}

impl<'a, A: Actor> Context<'a, A> {
    pub(crate) fn new(ptr: ActorPtr, worker: &'a Worker) -> Self {
        Context {
            ptr,
            worker,
            stop: false,
            filter: None,
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

    /// Sends `message` to `target` after `delay`, from a timer on this worker. A message the
    /// target cannot take then is a dead letter ([`Undelivered::Exited`] when it stopped,
    /// [`Undelivered::Refused`] when its mailbox is full).
    pub fn send_after<M: Send + 'static>(
        &self,
        delay: Duration,
        target: &ActorRef<M>,
        message: M,
    ) -> TimerHandle {
        let target = target.clone();
        let mut message = Some(message);
        self.worker.set_timer(
            delay,
            None,
            Box::new(move || {
                if let Some(message) = message.take()
                    && let Err(refused) = target.try_send(message)
                {
                    let why = if matches!(refused, SendError::Closed(_)) {
                        Undelivered::Exited
                    } else {
                        Undelivered::Refused
                    };
                    target.dead_letter(why, refused.into_inner());
                }
                false
            }),
        )
    }

    /// Sends `make()` to `target` every `every`, until cancelled or the target stops. A
    /// message its full mailbox refuses is a dead letter ([`Undelivered::Refused`]); the
    /// interval goes on.
    pub fn send_interval<M: Send + 'static>(
        &self,
        every: Duration,
        target: &ActorRef<M>,
        mut make: impl FnMut() -> M + Send + 'static,
    ) -> TimerHandle {
        let target = target.clone();
        self.worker.set_timer(
            every,
            Some(every),
            Box::new(move || match target.try_send(make()) {
                Ok(()) => true,
                Err(SendError::Closed(_)) => false,
                Err(refused) => {
                    target.dead_letter(Undelivered::Refused, refused.into_inner());
                    true
                }
            }),
        )
    }

    /// Runs this actor's [`Actor::after`] hook every `every` (periodic maintenance), until
    /// cancelled or the actor stops.
    #[expect(
        clippy::must_use_candidate,
        reason = "dropping the handle keeps the timer running; the handle only cancels"
    )]
    pub fn after(&self, every: Duration) -> TimerHandle {
        let ptr = self.ptr;
        ptr.retain();
        let me = ActorRef::<A::Msg>::from_owned(ptr);
        self.worker.set_timer(
            every,
            Some(every),
            // A refusal while the actor lives (65,536 control messages already queued, on a
            // worker, where a send cannot wait) skips this tick; a stopped actor ends the timer.
            Box::new(move || {
                me.ptr().send_system(SystemMessage::After, Priority::Normal) || !me.is_stopped()
            }),
        )
    }

    /// Gives an actor a name in this runtime's registry (see [`Runtime::register`]).
    ///
    /// # Errors
    /// As [`Runtime::register`].
    ///
    /// [`Runtime::register`]: crate::Runtime::register
    pub fn register<M: 'static>(&self, name: &str, actor: &ActorRef<M>) -> Result<(), NameError> {
        self.worker.runtime().registry().register(name, actor)
    }

    /// The actor named `name` in this runtime's registry, if it handles `M`.
    ///
    /// # Errors
    /// As [`Runtime::whereis`](crate::Runtime::whereis).
    pub fn whereis<M: Send + 'static>(&self, name: &str) -> Result<ActorRef<M>, NameError> {
        self.worker.runtime().registry().whereis(name)
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
        self.stop = true;
    }

    /// Spawns an actor on this worker's node; it starts on this worker unless another steals it.
    pub fn spawn<B: Actor>(&self, actor: B) -> ActorRef<B::Msg> {
        self.worker
            .runtime()
            .spawn_on_node(actor, self.worker.node())
    }

    /// Spawns an actor homed on `node` (see [`Runtime::spawn_on`](crate::Runtime::spawn_on)):
    /// its cell and the messages its workers send come from that node's memory.
    ///
    /// # Errors
    /// [`SpawnError::NoWorkersOnNode`](crate::SpawnError::NoWorkersOnNode) when no worker is
    /// placed on `node`.
    pub fn spawn_on<B: Actor>(
        &self,
        actor: B,
        node: NodeId,
    ) -> Result<ActorRef<B::Msg>, crate::SpawnError> {
        self.worker.runtime().spawn_on_staffed_node(actor, node)
    }

    /// Spawns an actor pinned to `worker` (see
    /// [`Runtime::spawn_on_worker`](crate::Runtime::spawn_on_worker)).
    ///
    /// # Errors
    /// [`SpawnError::NoSuchWorker`](crate::SpawnError::NoSuchWorker) when the runtime has no
    /// such worker.
    pub fn spawn_on_worker<B: Actor>(
        &self,
        actor: B,
        worker: WorkerId,
    ) -> Result<ActorRef<B::Msg>, crate::SpawnError> {
        self.worker.runtime().spawn_on_worker(actor, worker)
    }

    /// Spawns a *supervised* actor on this worker's node: the first instance is built now by
    /// `factory` (its error is returned, nothing is spawned), later ones by the same factory
    /// when a restart is asked for. When an instance ends, `guardian` is told and the cell
    /// waits, with its mailbox kept, for [`ChildHandle::restart`](crate::ChildHandle::restart)
    /// or [`ChildHandle::shut_down`](crate::ChildHandle::shut_down). The returned `ActorRef`
    /// stays valid across restarts. This is the primitive courier-supervisor builds on.
    ///
    /// # Errors
    /// The factory's error, when the first instance could not be built.
    pub fn spawn_supervised<B: Actor>(
        &self,
        mut factory: crate::Factory<B>,
        guardian: crate::Guardian,
    ) -> Result<(ActorRef<B::Msg>, crate::ChildHandle), String> {
        let first = factory()?;
        Ok(self.worker.runtime().spawn_supervised_on_node(
            first,
            factory,
            guardian,
            self.worker.node(),
        ))
    }

    /// Monitors `other`: when it exits, this actor's [`Actor::on_down`] gets a [`Down`](crate::Down) with
    /// the returned id and the reason (at once if it has exited already).
    #[must_use = "the id tells this monitor's Down apart and removes it"]
    pub fn monitor<M>(&self, other: &ActorRef<M>) -> MonitorId {
        let id = self.worker.runtime().next_monitor_id();
        let target = other.ptr();
        target
            .header()
            .watchers()
            .monitor(target.header().id, self.ptr, id);
        id
    }

    /// Stops a monitor; no `Down` for it will come (unless already on its way).
    pub fn demonitor<M>(&self, other: &ActorRef<M>, monitor: MonitorId) {
        other
            .ptr()
            .header()
            .watchers()
            .remove(self.ptr, Some(monitor));
    }

    /// Links this actor and `other`: when either exits abnormally, the other exits too
    /// ([`Exit::Linked`]), unless it traps exits.
    pub fn link<M>(&self, other: &ActorRef<M>) {
        let target = other.ptr();
        target
            .header()
            .watchers()
            .link(target.header().id, self.ptr);
        self.ptr
            .header()
            .watchers()
            .link(self.ptr.header().id, target);
    }

    /// Removes a link, both ways.
    pub fn unlink<M>(&self, other: &ActorRef<M>) {
        let target = other.ptr();
        target.header().watchers().remove(self.ptr, None);
        self.ptr.header().watchers().remove(target, None);
    }

    /// Whether exits of linked actors arrive as [`ExitSignal`](crate::ExitSignal)s ([`Actor::on_exit_signal`])
    /// instead of stopping this actor (Erlang's `trap_exit`).
    pub fn trap_exit(&self, trap: bool) {
        self.ptr.header().trap_exit.set(trap);
    }

    /// Selective receive: from the next message on, only messages `filter` accepts are
    /// handled; the others wait, in order, and are offered again (first) when the filter
    /// changes or is cleared. Runtime messages (stop, links, monitors, timers' `after`) are
    /// never held back. A panicking filter stops the actor with [`Exit::Panicked`].
    pub fn set_filter(&mut self, filter: impl FnMut(&A::Msg) -> bool + Send + 'static) {
        self.filter = Some(FilterChange::Set(Box::new(filter)));
    }

    /// Clears the selective-receive filter: held-back messages come first, in order.
    pub fn clear_filter(&mut self) {
        self.filter = Some(FilterChange::Clear);
    }

    pub(crate) fn take_filter_change(&mut self) -> Option<FilterChange<A::Msg>> {
        self.filter.take()
    }

    /// Whether the handler asked for anything the turn must act on (stop, a filter change):
    /// the common case is no, and costs one check.
    #[inline]
    pub(crate) fn has_requests(&self) -> bool {
        self.stop || self.filter.is_some()
    }

    pub(crate) fn stop_requested(&self) -> Option<Exit> {
        self.stop.then_some(Exit::Normal)
    }
}

impl<A: Actor> fmt::Debug for Context<'_, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("actor", &self.ptr)
            .finish_non_exhaustive()
    }
}
