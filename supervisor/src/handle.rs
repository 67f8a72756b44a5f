//! `SupervisorRef`: a started supervisor, as its owner holds it.

use std::sync::{Arc, mpsc};
use std::time::Duration;

use courier_sched::{ActorId, ActorRef, LocalRuntime, Runtime};

use crate::published::Published;
use crate::{
    Child, ChildId, SuperviseError, SupervisionTree, Supervisor, SupervisorMsg, SupervisorSpec,
};

/// A started supervisor: its address, its children's refs and its tree.
///
/// Reading refs and the tree takes no message round trip (the supervisor publishes them), so
/// it is fine from inside an actor. The requests that wait for an answer (`start_child`,
/// `terminate_child`, `shutdown`) block the calling thread: call them from outside the runtime,
/// or send the [`SupervisorMsg`] and await its `Reply` from an actor.
#[derive(Clone)]
pub struct SupervisorRef {
    actor: ActorRef<SupervisorMsg>,
    published: Arc<Published>,
}

/// How long [`SupervisorRef::start`] waits for the children to start.
pub const START_TIMEOUT: Duration = Duration::from_secs(30);

impl SupervisorRef {
    /// Starts a root supervisor on `runtime` and waits until its children have started, in
    /// order.
    ///
    /// # Errors
    /// [`SuperviseError::StartFailed`] naming the first child whose start failed (the ones
    /// started before it are shut down), or [`SuperviseError::NoAnswer`] when the start did not
    /// finish within [`START_TIMEOUT`].
    pub fn start(
        runtime: &Runtime,
        id: impl Into<ChildId>,
        spec: SupervisorSpec,
    ) -> Result<SupervisorRef, SuperviseError> {
        let (supervisor, started) = Self::spawn_with(id, spec, |actor| runtime.spawn(actor));
        match started.recv_timeout(START_TIMEOUT) {
            Ok(Ok(())) => Ok(supervisor),
            Ok(Err(error)) => Err(error),
            Err(error) => Err(SuperviseError::NoAnswer {
                reason: error.to_string(),
            }),
        }
    }

    /// Spawns a root supervisor on a [`LocalRuntime`]; it starts its children at the next
    /// `run`, and the receiver then holds the outcome.
    #[must_use]
    pub fn spawn_local(
        runtime: &LocalRuntime,
        id: impl Into<ChildId>,
        spec: SupervisorSpec,
    ) -> (SupervisorRef, mpsc::Receiver<Result<(), SuperviseError>>) {
        Self::spawn_with(id, spec, |actor| runtime.spawn(actor))
    }

    fn spawn_with(
        id: impl Into<ChildId>,
        spec: SupervisorSpec,
        spawn: impl FnOnce(Supervisor) -> ActorRef<SupervisorMsg>,
    ) -> (SupervisorRef, mpsc::Receiver<Result<(), SuperviseError>>) {
        let id = id.into();
        let published = Arc::new(Published::new(id.clone()));
        let (report, started) = mpsc::sync_channel(1);
        let supervisor =
            Supervisor::new(id, spec, Arc::clone(&published)).reporting_start_to(report);
        let actor = spawn(supervisor);
        (SupervisorRef { actor, published }, started)
    }

    /// The supervisor's own address.
    #[must_use]
    pub fn actor_ref(&self) -> &ActorRef<SupervisorMsg> {
        &self.actor
    }

    /// The supervisor's actor id.
    #[must_use]
    pub fn id(&self) -> ActorId {
        self.actor.id()
    }

    /// The child `id`'s address, valid across its restarts; `None` when there is no such child
    /// running, or its messages are not `M`.
    #[must_use]
    pub fn child<M: Send + 'static>(&self, id: &str) -> Option<ActorRef<M>> {
        let any = self.published.child_ref(id)?;
        any.downcast_ref::<ActorRef<M>>().cloned()
    }

    /// The child supervisor `id`, valid across its restarts.
    #[must_use]
    pub fn subsupervisor(&self, id: &str) -> Option<SupervisorRef> {
        Some(SupervisorRef {
            actor: self.child(id)?,
            published: self.published.subsupervisor(id)?,
        })
    }

    /// The supervision tree below this supervisor, child supervisors included.
    #[must_use]
    pub fn tree(&self) -> SupervisionTree {
        self.published.tree()
    }

    /// How many messages were consumed by instances that then panicked or failed while
    /// handling them (each such crash loses the one message being handled; every other queued
    /// message is kept for the restarted instance).
    #[must_use]
    pub fn lost_messages(&self) -> u64 {
        self.published.lost_messages()
    }

    /// Starts a new child (dynamic children) and waits for it.
    ///
    /// # Errors
    /// The child's start failure, a duplicate id, or no answer within `timeout`.
    pub fn start_child(&self, child: Child, timeout: Duration) -> Result<ActorId, SuperviseError> {
        let reply = self
            .actor
            .ask(|reply| SupervisorMsg::StartChild(child, reply))
            .map_err(|error| no_answer(&error))?;
        reply
            .wait_timeout(timeout)
            .map_err(|error| no_answer(&error))?
    }

    /// Shuts a child down for good, by its shutdown spec, forgets it, and waits for it.
    ///
    /// # Errors
    /// An unknown child, or no answer within `timeout`.
    pub fn terminate_child(&self, id: &str, timeout: Duration) -> Result<(), SuperviseError> {
        let reply = self
            .actor
            .ask(|reply| SupervisorMsg::TerminateChild(ChildId::new(id), reply))
            .map_err(|error| no_answer(&error))?;
        reply
            .wait_timeout(timeout)
            .map_err(|error| no_answer(&error))?
    }

    /// Shuts every child down in reverse start order, then stops the supervisor; waits up to
    /// `timeout`.
    ///
    /// # Errors
    /// No answer within `timeout`, or the supervisor had stopped already.
    pub fn shutdown(&self, timeout: Duration) -> Result<(), SuperviseError> {
        let reply = self
            .actor
            .ask(|reply| SupervisorMsg::Shutdown(Some(reply)))
            .map_err(|error| no_answer(&error))?;
        reply
            .wait_timeout(timeout)
            .map_err(|error| no_answer(&error))
    }
}

fn no_answer(error: &dyn std::fmt::Display) -> SuperviseError {
    SuperviseError::NoAnswer {
        reason: error.to_string(),
    }
}

impl std::fmt::Debug for SupervisorRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SupervisorRef({:?})", self.actor)
    }
}
