//! `Child`: a child spec made ready to run under a [`Supervisor`](crate::Supervisor), whatever
//! its actor type.

use std::any::Any;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use courier_sched::{Actor, ActorRef, ChildHandle, Context, Factory, Guardian};

use crate::published::Published;
use crate::{ChildId, ChildKind, ChildSpec, Restart, Shutdown, Supervisor, SupervisorSpec};

/// A running child's parts, as its supervisor keeps them.
pub(crate) struct Started {
    pub(crate) handle: ChildHandle,
    /// The child's `ActorRef<M>`, for [`SupervisorRef::child`](crate::SupervisorRef::child).
    pub(crate) actor_ref: Arc<dyn Any + Send + Sync>,
    /// A child supervisor's published state (its tree), for the parent's tree.
    pub(crate) published: Option<Arc<Published>>,
}

/// Spawns a new cell for a child (its first start, or a start after it finished for good).
pub(crate) trait Start: Send {
    fn start(
        &mut self,
        ctx: &Context<'_, Supervisor>,
        guardian: Guardian,
    ) -> Result<Started, String>;
}

/// One child of a supervisor: its spec, with the start function type-erased so children of
/// different actor types sit in one list.
pub struct Child {
    pub(crate) id: ChildId,
    pub(crate) restart: Restart,
    pub(crate) shutdown: Shutdown,
    pub(crate) kind: ChildKind,
    pub(crate) start: Box<dyn Start>,
}

impl Child {
    /// A worker child from a spec whose start function builds the actor (or fails, which fails
    /// the supervisor's ordered start, or counts as a crash on restart).
    pub fn from_spec<A, E, F>(spec: ChildSpec<F>) -> Child
    where
        A: Actor,
        E: fmt::Display,
        F: FnMut() -> Result<A, E> + Send + 'static,
    {
        Child {
            id: spec.id,
            restart: spec.restart,
            shutdown: spec.shutdown,
            kind: spec.kind,
            start: Box::new(ActorStart {
                build: Arc::new(Mutex::new(spec.start)),
            }),
        }
    }

    /// A permanent worker child with the default shutdown (5 s graceful), built by `build`.
    pub fn worker<A: Actor>(
        id: impl Into<ChildId>,
        mut build: impl FnMut() -> A + Send + 'static,
    ) -> Child {
        Child::from_spec(ChildSpec::worker(id, move || {
            Ok::<A, std::convert::Infallible>(build())
        }))
    }

    /// A child supervisor: `spec` builds its spec for each (re)start, so a restarted child
    /// supervisor starts its own children afresh.
    pub fn supervisor(
        id: impl Into<ChildId>,
        spec: impl FnMut() -> SupervisorSpec + Send + 'static,
    ) -> Child {
        let id = id.into();
        Child {
            id: id.clone(),
            restart: Restart::Permanent,
            shutdown: Shutdown::Infinity,
            kind: ChildKind::Supervisor,
            start: Box::new(SupervisorStart {
                id,
                spec: Arc::new(Mutex::new(spec)),
            }),
        }
    }

    /// Sets the restart type.
    #[must_use]
    pub fn with_restart(mut self, restart: Restart) -> Child {
        self.restart = restart;
        self
    }

    /// Sets the shutdown spec.
    #[must_use]
    pub fn with_shutdown(mut self, shutdown: Shutdown) -> Child {
        self.shutdown = shutdown;
        self
    }

    /// The child's id.
    #[must_use]
    pub fn id(&self) -> &ChildId {
        &self.id
    }
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child")
            .field("id", &self.id)
            .field("restart", &self.restart)
            .field("shutdown", &self.shutdown)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// The start function, shared between the supervisor (new cells) and the cell (restarts).
struct ActorStart<F> {
    build: Arc<Mutex<F>>,
}

impl<A, E, F> Start for ActorStart<F>
where
    A: Actor,
    E: fmt::Display,
    F: FnMut() -> Result<A, E> + Send + 'static,
{
    fn start(
        &mut self,
        ctx: &Context<'_, Supervisor>,
        guardian: Guardian,
    ) -> Result<Started, String> {
        let build = Arc::clone(&self.build);
        let factory: Factory<A> = Box::new(move || {
            // A panic in a previous build poisoned nothing worth refusing: the builder is
            // plain code, and a restart is exactly the moment to try it again.
            let mut build = build.lock().unwrap_or_else(PoisonError::into_inner);
            build().map_err(|error| error.to_string())
        });
        let (actor_ref, handle): (ActorRef<A::Msg>, ChildHandle) =
            ctx.spawn_supervised(factory, guardian)?;
        Ok(Started {
            handle,
            actor_ref: Arc::new(actor_ref),
            published: None,
        })
    }
}

/// Starts a child supervisor; every instance publishes into the same place, so the parent's
/// tree follows it across restarts.
struct SupervisorStart<F> {
    id: ChildId,
    spec: Arc<Mutex<F>>,
}

impl<F: FnMut() -> SupervisorSpec + Send + 'static> Start for SupervisorStart<F> {
    fn start(
        &mut self,
        ctx: &Context<'_, Supervisor>,
        guardian: Guardian,
    ) -> Result<Started, String> {
        let published = Arc::new(Published::new(self.id.clone()));
        let spec = Arc::clone(&self.spec);
        let (id, shared) = (self.id.clone(), Arc::clone(&published));
        let factory: Factory<Supervisor> = Box::new(move || {
            let spec = (spec.lock().unwrap_or_else(PoisonError::into_inner))();
            Ok(Supervisor::new(id.clone(), spec, Arc::clone(&shared)))
        });
        let (actor_ref, handle) = ctx.spawn_supervised(factory, guardian)?;
        Ok(Started {
            handle,
            actor_ref: Arc::new(actor_ref),
            published: Some(published),
        })
    }
}
