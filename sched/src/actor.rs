//! The `Actor` trait and what an actor's life ends with.

use std::fmt;

use crate::{Context, Down, ExitSignal};

/// An actor's identity, unique within its runtime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ActorId(pub u64);

impl fmt::Display for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "actor {}", self.0)
    }
}

/// Why an actor stopped: what its links, monitors and supervisor are told.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Exit {
    /// It stopped itself ([`Context::stop`]) or was stopped gracefully, after handling every
    /// message queued before the stop.
    Normal,
    /// Its handler returned an error.
    Error {
        /// The error, formatted.
        message: String,
    },
    /// Its handler (or `started`/`stopped`) panicked; the worker caught it and kept running.
    Panicked {
        /// The panic message, when it was a string.
        message: String,
    },
    /// It was killed: its queued messages were not handled but dead-lettered.
    Killed,
    /// Its supervisor ended it ([`ChildHandle::shut_down`](crate::ChildHandle::shut_down) or
    /// [`suspend`](crate::ChildHandle::suspend), gracefully). Like Erlang's `shutdown`, it is
    /// not abnormal: a `Transient` child is not restarted for it.
    Shutdown,
    /// A linked actor exited abnormally, and this one did not trap exits.
    Linked {
        /// The linked actor.
        from: ActorId,
        /// Why that actor exited.
        reason: Box<Exit>,
    },
}

impl Exit {
    /// Whether this is an abnormal exit (what `Transient` restarts react to).
    #[must_use]
    pub fn is_abnormal(&self) -> bool {
        !matches!(self, Exit::Normal | Exit::Shutdown)
    }

    /// Whether the actor's own code failed: a panic or an error.
    #[must_use]
    pub fn is_failure(&self) -> bool {
        matches!(self, Exit::Panicked { .. } | Exit::Error { .. })
    }
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exit::Normal => f.write_str("normal"),
            Exit::Error { message } => write!(f, "error: {message}"),
            Exit::Panicked { message } => write!(f, "panicked: {message}"),
            Exit::Killed => f.write_str("killed"),
            Exit::Shutdown => f.write_str("shut down by its supervisor"),
            Exit::Linked { from, reason } => write!(f, "linked {from} exited ({reason})"),
        }
    }
}

/// An actor: state plus synchronous handlers, run by one worker at a time.
///
/// Handlers run inside the runtime's one panic boundary: a panic becomes
/// [`Exit::Panicked`] for this actor, never for the worker thread.
///
/// ```
/// use courier_sched::{Actor, Context, Runtime};
///
/// struct Counter { total: u64 }
///
/// impl Actor for Counter {
///     type Msg = u64;
///     type Error = std::convert::Infallible;
///     fn handle(&mut self, _ctx: &mut Context<'_, Self>, n: u64) -> Result<(), Self::Error> {
///         self.total += n;
///         Ok(())
///     }
/// }
///
/// let runtime = Runtime::with_workers(1).unwrap();
/// let counter = runtime.spawn(Counter { total: 0 });
/// counter.send(5).unwrap();
/// runtime.shutdown();
/// ```
pub trait Actor: Send + Sized + 'static {
    /// The messages this actor handles.
    type Msg: Send + 'static;
    /// What a handler may fail with; the failure stops the actor with [`Exit::Error`].
    type Error: fmt::Display;

    /// Handles one message.
    ///
    /// # Errors
    /// An error stops the actor with [`Exit::Error`].
    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: Self::Msg) -> Result<(), Self::Error>;

    /// Runs once, before the first message.
    ///
    /// # Errors
    /// An error stops the actor with [`Exit::Error`] before it handles anything.
    fn started(&mut self, ctx: &mut Context<'_, Self>) -> Result<(), Self::Error> {
        let _ = ctx;
        Ok(())
    }

    /// A monitored actor exited ([`Context::monitor`]).
    ///
    /// # Errors
    /// An error stops this actor with [`Exit::Error`].
    fn on_down(&mut self, ctx: &mut Context<'_, Self>, down: Down) -> Result<(), Self::Error> {
        let _ = (ctx, down);
        Ok(())
    }

    /// A linked actor exited, and this actor traps exits ([`Context::trap_exit`]). Without
    /// trapping, an abnormal exit of a linked actor stops this one with [`Exit::Linked`].
    ///
    /// # Errors
    /// An error stops this actor with [`Exit::Error`].
    fn on_exit_signal(
        &mut self,
        ctx: &mut Context<'_, Self>,
        signal: ExitSignal,
    ) -> Result<(), Self::Error> {
        let _ = (ctx, signal);
        Ok(())
    }

    /// Periodic maintenance: runs every period set with [`Context::after`] (the spec's
    /// `after(duration)` hook), between messages, until cancelled or the actor stops.
    ///
    /// # Errors
    /// An error stops the actor with [`Exit::Error`].
    fn after(&mut self, ctx: &mut Context<'_, Self>) -> Result<(), Self::Error> {
        let _ = ctx;
        Ok(())
    }

    /// Runs once, when the actor exits (it stopped, failed, panicked, was killed, or a link
    /// took it down), with the reason, on the worker that ran its last turn. An actor whose
    /// last reference goes while it is idle (nobody can send to it any more) is stopped as a
    /// stop request would: a last turn runs this with [`Exit::Normal`].
    ///
    /// It does not run for an actor still alive when its runtime shuts down (its state is
    /// dropped with its last reference). Cleanup that must happen then too belongs in `Drop`.
    fn stopped(&mut self, ctx: &mut Context<'_, Self>, reason: &Exit) {
        let _ = (ctx, reason);
    }
}
