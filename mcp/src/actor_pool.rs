//! A tool served by a supervised pool of actors.

use std::fmt;
use std::time::Duration;

use courier_sched::{Actor, Runtime};
use courier_supervisor::{
    PoolRef, Restart, Strategy, SuperviseError, SupervisorRef, SupervisorSpec, pool_children,
};
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::call::{ToolCall, ToolError};
use crate::tool::ToolHandler;

type Route<I> = Box<dyn Fn(&I) -> u64 + Send + Sync>;

/// The most restarts a pool's supervisor makes within [`RESTART_WINDOW`] before it gives up.
const RESTARTS_MAX: u32 = 5;

/// See [`RESTARTS_MAX`].
const RESTART_WINDOW: Duration = Duration::from_secs(10);

/// A [`ToolHandler`] that sends each call to one actor of a pool, the one that `route` of the
/// call's arguments picks (modulo the pool's size), so calls with the same key always meet the
/// same actor and its state (a cache, a parser).
///
/// The actors are the children of a courier-supervisor [`Supervisor`](courier_supervisor::Supervisor)
/// (one-for-one, transient): one that exits abnormally (its handler panicked or failed) is
/// restarted *in place*, so its address never changes and the calls queued for it are handled
/// by the new instance, in order. Only the call being handled when it panicked is lost, and it
/// is answered with an `isError` result (its responder is dropped). At most 5 restarts within
/// 10 s (Erlang's restart intensity): beyond that the supervisor gives up, stops the pool and
/// exits, and the pool's calls are refused with an `isError` result that says so. The
/// supervisor's tree is what the `supervision_tree` tool shows.
pub struct ActorPool<I, O> {
    members: PoolRef<ToolCall<I, O>>,
    route: Route<I>,
    supervisor: SupervisorRef,
}

impl<I: Send + 'static, O: Send + 'static> ActorPool<I, O> {
    /// Starts a supervisor named `name` on `runtime` with `size` (at least 1) actors made by
    /// `make`, and waits until they have started.
    ///
    /// # Errors
    /// The supervisor's start error ([`SuperviseError`]), for instance when the runtime is
    /// shutting down.
    pub fn spawn<A>(
        runtime: &Runtime,
        name: &str,
        size: usize,
        make: impl Fn() -> A + Send + Sync + 'static,
        route: impl Fn(&I) -> u64 + Send + Sync + 'static,
    ) -> Result<Self, SuperviseError>
    where
        A: Actor<Msg = ToolCall<I, O>>,
    {
        let size = size.max(1);
        let children = pool_children(name, size, make)
            .into_iter()
            .map(|child| child.with_restart(Restart::Transient));
        let spec = SupervisorSpec::new(Strategy::OneForOne)
            .with_intensity(RESTARTS_MAX, RESTART_WINDOW)
            .children(children);
        let supervisor = SupervisorRef::start(runtime, name, spec)?;
        let members =
            PoolRef::of(&supervisor, name, size).ok_or_else(|| SuperviseError::UnknownChild {
                child: format!("{name}-0").into(),
            })?;
        Ok(Self {
            members,
            route: Box::new(route),
            supervisor,
        })
    }

    /// The pool's supervisor (its tree, its children).
    #[must_use]
    pub fn supervisor(&self) -> &SupervisorRef {
        &self.supervisor
    }
}

impl<I, O> fmt::Debug for ActorPool<I, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActorPool")
            .field("members", &self.members)
            .field("supervisor", &self.supervisor)
            .finish_non_exhaustive()
    }
}

impl<I, O> ToolHandler for ActorPool<I, O>
where
    I: DeserializeOwned + JsonSchema + Send + 'static,
    O: Serialize + JsonSchema + Send + 'static,
{
    type Input = I;
    type Output = O;

    fn call(&self, call: ToolCall<I, O>) {
        let key = (self.route)(&call.arguments);
        let members = self.members.workers();
        let len = u64::try_from(members.len()).unwrap_or(u64::MAX);
        let index = usize::try_from(key % len).unwrap_or(0);
        if let Err(error) = members[index].try_send(call) {
            let reason = error.to_string();
            error.into_inner().responder.fail(ToolError::new(format!(
                "the tool's actor refused the call: {reason}"
            )));
        }
    }
}
