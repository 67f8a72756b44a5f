//! `Context`: what a handler can do besides handling its message.

use std::fmt;
use std::marker::PhantomData;

use crate::cell::ActorPtr;
use crate::worker::Worker;
use courier_alloc::NodeId;

use crate::{Actor, ActorId, ActorRef, Exit, WorkerId};

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
