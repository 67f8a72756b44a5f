//! Restart in place: the runtime side of supervision.
//!
//! A *supervised* actor is spawned with a factory instead of a value
//! ([`Context::spawn_supervised`](crate::Context::spawn_supervised)). When one of its
//! instances ends (a panic, an error, a stop, a kill, a linked exit) the cell does not close:
//!
//! - **R1** The instance's `stopped` hook runs and its state is dropped, then the cell is
//!   *suspended*: its mailbox stays open, and user messages (those queued and those still
//!   arriving) wait in the mailbox's stash, in order, untouched. The guardian is told
//!   ([`ChildEvent`]), on the worker that ran the instance.
//! - **R2** The supervisor answers through the [`ChildHandle`]: [`restart`](ChildHandle::restart)
//!   builds a fresh instance from the factory in the same cell, so every `ActorRef` to it keeps
//!   working and the queued messages are handled by the new instance in their order (or, on
//!   request, dead-lettered and counted); [`shut_down`](ChildHandle::shut_down) ends the cell for
//!   good: the mailbox closes, what is left is dead-lettered, links and monitors are told.
//! - **R3** Links and monitors of a supervised actor hear of its *final* exit only: a restart
//!   keeps the address alive, so it is not an exit of the address.
//! - **R4** The guardian hears of every instance that ends exactly once, and of the final exit
//!   once (`finished: true`). A guardian that cannot be told (its supervisor is gone) makes the
//!   exit final at once, so a cell is never left suspended with nobody to decide.
//! - **R5** A restart or suspend request that no longer applies (the instance it was meant for
//!   is gone, or the cell is already suspended) is ignored: requests race crashes, and the
//!   supervisor's own bookkeeping reconciles them.

use std::fmt;
use std::sync::Arc;

use courier_mailbox::Priority;

use crate::cell::{ActorPtr, SystemMessage};
use crate::panic::run_caught;
use crate::{Actor, ActorId, Exit};

/// Builds a fresh instance of a supervised actor: the child spec's start function. An error
/// (formatted) means the instance could not be built.
pub type Factory<A> = Box<dyn FnMut() -> Result<A, String> + Send>;

/// Told when an instance of a supervised actor ends; returns `false` when the event could not be
/// delivered (the supervisor is gone), which makes the exit final (R4). It runs on the worker
/// that ran the instance, so it must not block: supervisors send themselves a message.
pub type Guardian = Arc<dyn Fn(ChildEvent) -> bool + Send + Sync>;

/// Tells `guardian` of `event`: its answer, or `false` when it panicked (reported on stderr),
/// which makes an ending final as an undelivered event does (R4). A guardian is user code run
/// on a worker, inside a turn: its panic must not unwind there.
pub(crate) fn tell(guardian: &Guardian, event: ChildEvent) -> bool {
    let child = event.child;
    match run_caught(|| guardian(event)) {
        Ok(told) => told,
        Err(panic) => {
            eprintln!("courier: the guardian of {child} panicked: {panic}");
            false
        }
    }
}

/// What happened to an instance of a supervised actor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChildEventKind {
    /// The cell's first instance came through its `started` hook: it is up and handles
    /// messages (a supervisor's ordered start waits for this before it starts the next child).
    /// Restarted instances do not report it. `reason` is `Exit::Normal` and means nothing here.
    Started,
    /// It ended: `reason`, `finished` and `lost_message` say how.
    Ended,
}

/// An instance of a supervised actor started or ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChildEvent {
    /// The supervised actor (stable across restarts).
    pub child: ActorId,
    /// Started or ended.
    pub kind: ChildEventKind,
    /// Which instance ended: 0 for the first, then one more for each restart attempt (a
    /// factory that fails counts as an instance that ended at once). A supervisor that already
    /// moved past an instance recognises its late events by this number.
    pub instance: u64,
    /// Why the instance ended.
    pub reason: Exit,
    /// Whether the cell is closed for good (R2); otherwise it is suspended and waits for
    /// [`ChildHandle::restart`] or [`ChildHandle::shut_down`].
    pub finished: bool,
    /// Whether the instance ended inside `handle` by panicking or failing: the message it was
    /// handling was consumed and will not be handled again. Every other queued message is kept.
    pub lost_message: bool,
}

/// How a supervisor ends a child's current instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Termination {
    /// After the message being handled, before any other: `stopped` runs, the reason is
    /// [`Exit::Shutdown`]. Queued messages stay.
    Graceful,
    /// After the message being handled, before any other, without the `stopped` hook: the
    /// reason is [`Exit::Killed`]. Queued messages stay.
    Brutal,
}

/// A supervisor's control over one supervised actor; cheap to clone, `Send + Sync`. It keeps
/// the cell alive (as an `ActorRef` does) but sends nothing of the actor's own type.
pub struct ChildHandle {
    ptr: ActorPtr,
}

impl ChildHandle {
    /// Takes over one reference the caller owns.
    pub(crate) fn from_owned(ptr: ActorPtr) -> ChildHandle {
        ChildHandle { ptr }
    }

    /// The supervised actor.
    #[must_use]
    pub fn id(&self) -> ActorId {
        self.ptr.header().id
    }

    /// Builds a fresh instance in the suspended cell (R2): the queued messages are kept for it
    /// (`keep_mailbox`) or dead-lettered and counted. Returns `false` when the cell is closed.
    #[expect(
        clippy::must_use_candidate,
        reason = "the request is the point; a closed cell reports its exit to the guardian"
    )]
    pub fn restart(&self, keep_mailbox: bool) -> bool {
        self.ptr
            .send_system(SystemMessage::Restart { keep_mailbox }, Priority::High)
    }

    /// Ends the current instance and suspends the cell, keeping its mailbox (for a restart of
    /// siblings: one-for-all, rest-for-one). The guardian hears of it (R1).
    #[expect(
        clippy::must_use_candidate,
        reason = "the request is the point; a closed cell reports its exit to the guardian"
    )]
    pub fn suspend(&self, how: Termination) -> bool {
        self.ptr
            .send_system(SystemMessage::Suspend(how), Priority::High)
    }

    /// Ends the cell for good (R2): gracefully after the messages queued before this request
    /// ([`Exit::Shutdown`]), or brutally before any of them ([`Exit::Killed`], the rest
    /// dead-lettered). A suspended cell ends at once, and its links and monitors hear the reason
    /// its last instance ended with. The guardian hears of it with `finished: true`.
    #[expect(
        clippy::must_use_candidate,
        reason = "the request is the point; a closed cell reports its exit to the guardian"
    )]
    pub fn shut_down(&self, how: Termination) -> bool {
        let priority = match how {
            Termination::Graceful => Priority::Normal,
            Termination::Brutal => Priority::High,
        };
        self.ptr.send_system(SystemMessage::ShutDown(how), priority)
    }

    /// Whether the cell is closed for good.
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.ptr.mailbox().is_closed()
    }

    /// Messages waiting in the mailbox (the stash included).
    #[must_use]
    pub fn mailbox_depth(&self) -> u32 {
        self.ptr.mailbox().depth()
    }
}

impl Clone for ChildHandle {
    fn clone(&self) -> Self {
        self.ptr.retain();
        ChildHandle { ptr: self.ptr }
    }
}

impl Drop for ChildHandle {
    fn drop(&mut self) {
        // SAFETY: we own one reference and give it up here (C1).
        unsafe { self.ptr.release() };
    }
}

impl fmt::Debug for ChildHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChildHandle({:?})", self.ptr)
    }
}

/// The supervised part of a cell's slot; only the worker running the actor touches it (C2).
pub(crate) struct Supervision<A: Actor> {
    pub(crate) factory: Factory<A>,
    pub(crate) guardian: Guardian,
    /// The instance ended and the supervisor has not answered yet (R1): why.
    pub(crate) suspended: Option<Exit>,
    /// The number of the current (or last) instance.
    pub(crate) instance: u64,
}
