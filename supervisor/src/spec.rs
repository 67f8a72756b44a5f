//! Child specs and strategies: what a supervisor knows about each child before it starts it.

use std::borrow::Borrow;
use std::fmt;
use std::time::Duration;

use serde::Serialize;

/// A child's name within its supervisor, unique among that supervisor's children.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ChildId(String);

impl ChildId {
    /// A child id.
    ///
    /// ```
    /// use courier_supervisor::ChildId;
    /// assert_eq!(ChildId::new("db").as_str(), "db");
    /// ```
    #[must_use]
    pub fn new(id: impl Into<String>) -> ChildId {
        ChildId(id.into())
    }

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ChildId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Borrow<str> for ChildId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<String> for ChildId {
    fn from(id: String) -> ChildId {
        ChildId(id)
    }
}

impl From<&str> for ChildId {
    fn from(id: &str) -> ChildId {
        ChildId::new(id)
    }
}

/// When a child that exited is restarted (Erlang's `restart` key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Restart {
    /// Always restarted, whatever the exit reason.
    Permanent,
    /// Restarted only after an abnormal exit (anything but [`Exit::Normal`]).
    ///
    /// [`Exit::Normal`]: courier_sched::Exit::Normal
    Transient,
    /// Never restarted; its spec is forgotten when it exits.
    Temporary,
}

impl fmt::Display for Restart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Restart::Permanent => "permanent",
            Restart::Transient => "transient",
            Restart::Temporary => "temporary",
        })
    }
}

/// How a child is stopped by its supervisor (Erlang's `shutdown` key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Shutdown {
    /// Killed at once: its queued messages are dead-lettered, `stopped` does not wait.
    Brutal,
    /// Asked to stop gracefully, then killed if it has not stopped within the duration.
    Timeout(Duration),
    /// Asked to stop gracefully, waited for without limit: for child supervisors, which need
    /// the time to stop their own children.
    Infinity,
}

/// Whether a child is a worker or a supervisor itself (Erlang's `type` key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChildKind {
    /// An ordinary actor.
    Worker,
    /// A supervisor, with children of its own.
    Supervisor,
}

/// What a supervisor restarts when one of its children must be restarted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Only the child that exited.
    OneForOne,
    /// Every child: the others are stopped in reverse start order, then all start in order.
    OneForAll,
    /// The child that exited and every child started after it.
    RestForOne,
    /// Children of one spec, started and stopped at run time (Erlang's `simple_one_for_one`):
    /// only the child that exited; a child that is not restarted is forgotten.
    Dynamic,
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Strategy::OneForOne => "one_for_one",
            Strategy::OneForAll => "one_for_all",
            Strategy::RestForOne => "rest_for_one",
            Strategy::Dynamic => "dynamic",
        })
    }
}

/// A start factory with its type erased, so children of different types fit in one list.
pub type BoxedStart<T, E> = Box<dyn FnMut() -> Result<T, E> + Send>;

/// Everything a supervisor needs to start, restart and stop one child.
///
/// `F` is the start factory. The supervisor calls it for the first start and for every
/// restart ([`ChildSpec::start`]), so it is `FnMut` and must build a fresh instance each time:
/// `FnMut() -> Result<T, E>`, where `T` is what the runtime spawns (an actor) and `E` the
/// reason a start failed. [`ChildSpec::boxed`] erases `F` into a [`BoxedStart`].
///
/// ```
/// use std::time::Duration;
/// use courier_supervisor::{ChildSpec, Restart, Shutdown};
///
/// let mut spec = ChildSpec::worker("counter", || Ok::<u64, String>(0))
///     .with_restart(Restart::Transient)
///     .with_shutdown(Shutdown::Timeout(Duration::from_secs(1)));
/// assert_eq!(spec.start(), Ok(0));
/// assert_eq!(spec.restart, Restart::Transient);
/// ```
pub struct ChildSpec<F> {
    /// The child's id, unique among its supervisor's children.
    pub id: ChildId,
    /// Builds a fresh instance of the child.
    pub start: F,
    /// When the child is restarted.
    pub restart: Restart,
    /// How the child is stopped.
    pub shutdown: Shutdown,
    /// Worker or supervisor.
    pub kind: ChildKind,
}

impl<F> ChildSpec<F> {
    /// Erlang's default graceful-stop time for a worker.
    pub const WORKER_SHUTDOWN: Shutdown = Shutdown::Timeout(Duration::from_secs(5));

    /// A permanent worker stopped with [`Self::WORKER_SHUTDOWN`] (Erlang's defaults).
    pub fn worker(id: impl Into<ChildId>, start: F) -> ChildSpec<F> {
        ChildSpec {
            id: id.into(),
            start,
            restart: Restart::Permanent,
            shutdown: Self::WORKER_SHUTDOWN,
            kind: ChildKind::Worker,
        }
    }

    /// A permanent child supervisor, stopped with [`Shutdown::Infinity`] (Erlang's defaults).
    pub fn supervisor(id: impl Into<ChildId>, start: F) -> ChildSpec<F> {
        ChildSpec {
            id: id.into(),
            start,
            restart: Restart::Permanent,
            shutdown: Shutdown::Infinity,
            kind: ChildKind::Supervisor,
        }
    }

    /// This spec with another restart type.
    #[must_use]
    pub fn with_restart(mut self, restart: Restart) -> ChildSpec<F> {
        self.restart = restart;
        self
    }

    /// This spec with another shutdown spec.
    #[must_use]
    pub fn with_shutdown(mut self, shutdown: Shutdown) -> ChildSpec<F> {
        self.shutdown = shutdown;
        self
    }

    /// Builds a fresh instance with the start factory.
    ///
    /// # Errors
    /// Whatever the factory fails with; the supervisor reports it with the child's id.
    pub fn start<T, E>(&mut self) -> Result<T, E>
    where
        F: FnMut() -> Result<T, E>,
    {
        (self.start)()
    }

    /// This spec with its factory boxed, so specs of different factories share one type.
    ///
    /// ```
    /// use courier_supervisor::{BoxedStart, ChildSpec};
    ///
    /// let specs: Vec<ChildSpec<BoxedStart<u32, String>>> = vec![
    ///     ChildSpec::worker("a", || Ok(1)).boxed(),
    ///     ChildSpec::worker("b", move || Ok(2)).boxed(),
    /// ];
    /// assert_eq!(specs.len(), 2);
    /// ```
    #[must_use]
    pub fn boxed<T, E>(self) -> ChildSpec<BoxedStart<T, E>>
    where
        F: FnMut() -> Result<T, E> + Send + 'static,
    {
        ChildSpec {
            id: self.id,
            start: Box::new(self.start),
            restart: self.restart,
            shutdown: self.shutdown,
            kind: self.kind,
        }
    }
}

impl<F> fmt::Debug for ChildSpec<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildSpec")
            .field("id", &self.id)
            .field("restart", &self.restart)
            .field("shutdown", &self.shutdown)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
