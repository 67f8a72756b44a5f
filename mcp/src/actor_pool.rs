//! A tool served by a pool of actors that a supervisor actor keeps alive.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use courier_sched::{Actor, ActorRef, Context, Down, MonitorId, Runtime};
use courier_supervisor::Intensity;
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::call::{ToolCall, ToolError};
use crate::tool::ToolHandler;

type Members<I, O> = Arc<RwLock<Vec<ActorRef<ToolCall<I, O>>>>>;
type Route<I> = Box<dyn Fn(&I) -> u64 + Send + Sync>;

/// The most restarts a pool's supervisor makes within [`RESTART_WINDOW`] before it gives up.
const RESTARTS_MAX: u32 = 5;

/// See [`RESTARTS_MAX`].
const RESTART_WINDOW: Duration = Duration::from_secs(10);

/// A [`ToolHandler`] that sends each call to one actor of a pool, the one that `route` of the
/// call's arguments picks (modulo the pool's size), so calls with the same key always meet the
/// same actor and its state (a cache, a parser).
///
/// A supervisor actor monitors the members and replaces one that exits abnormally (its handler
/// panicked or failed) with a fresh one from the factory, in the same slot: a restart of a
/// transient child, one for one. At most 5 restarts within 10 s (Erlang's restart intensity,
/// [`Intensity`]): beyond that the supervisor gives up, logs an error, and the dead members'
/// calls are refused, so an actor that cannot start does not spin the runtime. The call that
/// was being handled when a member panicked is
/// answered with an `isError` result (its responder is dropped); calls that reach a member in
/// the moment between its exit and its replacement are refused at once with an `isError`
/// result that says so.
pub struct ActorPool<I, O> {
    members: Members<I, O>,
    route: Route<I>,
    _supervisor: ActorRef<Never>,
}

/// The supervisor takes no messages: it only hears of its members' exits.
#[derive(Debug)]
pub(crate) enum Never {}

impl<I: Send + 'static, O: Send + 'static> ActorPool<I, O> {
    /// Spawns `size` (at least 1) actors made by `make` on `runtime`, and their supervisor.
    pub fn spawn<A>(
        runtime: &Runtime,
        size: usize,
        make: impl Fn() -> A + Send + Sync + 'static,
        route: impl Fn(&I) -> u64 + Send + Sync + 'static,
    ) -> Self
    where
        A: Actor<Msg = ToolCall<I, O>>,
    {
        let members: Vec<_> = (0..size.max(1)).map(|_| runtime.spawn(make())).collect();
        let members = Arc::new(RwLock::new(members));
        let supervisor = runtime.spawn(PoolSupervisor {
            make: Box::new(make),
            members: Arc::clone(&members),
            monitors: HashMap::new(),
            intensity: Intensity::new(RESTARTS_MAX, RESTART_WINDOW),
        });
        Self {
            members,
            route: Box::new(route),
            _supervisor: supervisor,
        }
    }
}

impl<I, O> fmt::Debug for ActorPool<I, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let members = self.members.read().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("ActorPool")
            .field("members", &*members)
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
        let sent = {
            let members = self.members.read().unwrap_or_else(PoisonError::into_inner);
            let len = u64::try_from(members.len()).unwrap_or(u64::MAX);
            let index = usize::try_from(key % len).unwrap_or(0);
            members[index].try_send(call)
        };
        if let Err(error) = sent {
            let reason = error.to_string();
            error.into_inner().responder.fail(ToolError::new(format!(
                "the tool's actor refused the call: {reason}"
            )));
        }
    }
}

/// Monitors the pool's members and replaces those that exit abnormally.
struct PoolSupervisor<A: Actor> {
    make: Box<dyn Fn() -> A + Send + Sync>,
    members: Arc<RwLock<Vec<ActorRef<A::Msg>>>>,
    /// Which slot each monitor watches.
    monitors: HashMap<MonitorId, usize>,
    intensity: Intensity,
}

impl<A: Actor> Actor for PoolSupervisor<A> {
    type Msg = Never;
    type Error = std::convert::Infallible;

    fn started(&mut self, ctx: &mut Context<'_, Self>) -> Result<(), Self::Error> {
        let members = self.members.read().unwrap_or_else(PoisonError::into_inner);
        for (slot, member) in members.iter().enumerate() {
            // A member that exited already is reported at once, and replaced in on_down.
            self.monitors.insert(ctx.monitor(member), slot);
        }
        Ok(())
    }

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, never: Never) -> Result<(), Self::Error> {
        match never {}
    }

    fn on_down(&mut self, ctx: &mut Context<'_, Self>, down: Down) -> Result<(), Self::Error> {
        let Some(slot) = self.monitors.remove(&down.monitor) else {
            return Ok(());
        };
        if !down.reason.is_abnormal() {
            return Ok(()); // stopped on purpose: not restarted
        }
        if !self.intensity.admit(Instant::now()) {
            tracing::error!(
                slot,
                reason = %down.reason,
                "a pool actor exited; too many restarts ({RESTARTS_MAX} in {RESTART_WINDOW:?}), \
                 giving up: its calls will be refused"
            );
            return Ok(());
        }
        tracing::warn!(slot, reason = %down.reason, "a pool actor exited; starting a new one");
        let fresh = ctx.spawn((self.make)());
        self.monitors.insert(ctx.monitor(&fresh), slot);
        self.members.write().unwrap_or_else(PoisonError::into_inner)[slot] = fresh;
        Ok(())
    }
}
