//! The actor state word: whether an actor is idle, waiting in a run queue, or running.
//!
//! A send pushes onto the mailbox and then calls [`ActorState::notify`]; only the send that
//! finds the actor idle puts it in a run queue. A worker brackets each turn with
//! [`ActorState::start_turn`] and [`ActorState::end_turn`]; a send that lands during the turn
//! makes `end_turn` ask for another turn instead of going idle.
//!
//! # Protocol
//!
//! Two bits: `RUNNING` (a worker is running the actor) and `NOTIFIED` (a turn is owed). IDLE is
//! neither; "scheduled" is `NOTIFIED` without `RUNNING`.
//!
//! - **S1** An actor is in at most one place: one run queue, or running on one worker. It enters
//!   a queue only when `notify` finds the word IDLE ([`Notify::Schedule`]) or `end_turn` finds
//!   `NOTIFIED` ([`EndTurn::Reschedule`]), and each of those happens once per trip: from
//!   `Schedule` until `end_turn` returns `Idle`, `NOTIFIED` or `RUNNING` is set, so no other
//!   `notify` can see IDLE.
//! - **S2** No lost wake-up: `notify` and `end_turn` are read-modify-writes of the one word, so
//!   one is ordered before the other. Either `end_turn` sees `NOTIFIED` and the actor runs again,
//!   or `notify` sees IDLE and schedules it. No fence and no re-check of the mailbox is needed.
//! - **S3** A message pushed before `notify` is visible to the turn that follows: `notify` is a
//!   Release RMW; every later transition is an RMW (so it continues the release sequence), and
//!   `start_turn` is an Acquire RMW.
//!
//! # Field access
//!
//! - `notify`: any thread, after pushing a message.
//! - `start_turn`, `end_turn`, `yield_turn`: the one worker that took the actor from a queue (S1).

use std::fmt;

use crate::sync::{AtomicU8, Ordering};

const RUNNING_BIT: u8 = 1 << 0;
const NOTIFIED_BIT: u8 = 1 << 1;
const IDLE: u8 = 0;

/// Outcome of [`ActorState::notify`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum Notify {
    /// The actor was idle: the caller must put it in a run queue (S1).
    Schedule,
    /// The actor is queued, or running and owed another turn: nothing to do.
    AlreadyNotified,
    /// The actor is running; its worker will see the notification at the end of the turn.
    Running,
}

/// Outcome of [`ActorState::end_turn`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum EndTurn {
    /// The actor is idle; the next `notify` schedules it.
    Idle,
    /// A send landed during the turn: the caller must put the actor back in a run queue (S2).
    Reschedule,
}

/// The state word of one actor.
///
/// ```
/// use courier_sched::{ActorState, EndTurn, Notify};
/// let state = ActorState::idle();
/// assert_eq!(state.notify(), Notify::Schedule);        // the first send schedules
/// assert_eq!(state.notify(), Notify::AlreadyNotified); // the next ones do not
/// state.start_turn();
/// assert_eq!(state.notify(), Notify::Running);         // a send during the turn...
/// assert_eq!(state.end_turn(), EndTurn::Reschedule);   // ...earns another turn
/// state.start_turn();
/// assert_eq!(state.end_turn(), EndTurn::Idle);
/// ```
pub struct ActorState {
    word: AtomicU8,
}

impl ActorState {
    /// An idle actor: the first `notify` schedules it.
    #[must_use]
    pub fn idle() -> ActorState {
        ActorState {
            word: AtomicU8::new(IDLE),
        }
    }

    /// An actor that is already owed a turn (a freshly spawned actor that must run `started`).
    #[must_use]
    pub fn scheduled() -> ActorState {
        ActorState {
            word: AtomicU8::new(NOTIFIED_BIT),
        }
    }

    /// Records that a message was pushed; says whether the caller must schedule the actor.
    #[inline]
    pub fn notify(&self) -> Notify {
        // ORDERING: Release; publishes the message pushed before this call to the Acquire
        // `start_turn` of the turn that follows (S3). Pairs with `end_turn` by being an RMW of
        // the same word (S2).
        let before = self.word.fetch_or(NOTIFIED_BIT, Ordering::Release);
        if before == IDLE {
            Notify::Schedule
        } else if before & NOTIFIED_BIT != 0 {
            Notify::AlreadyNotified
        } else {
            Notify::Running
        }
    }

    /// Marks the start of a turn on the worker that took the actor from a queue.
    #[inline]
    pub fn start_turn(&self) {
        // ORDERING: Acquire; pairs with the Release `notify` of every message pushed before the
        // actor was scheduled (S3). A `notify` it overwrites is for a message this turn sees.
        let before = self.word.swap(RUNNING_BIT, Ordering::Acquire);
        debug_assert_eq!(
            before, NOTIFIED_BIT,
            "S1: a turn starts only on a scheduled actor"
        );
    }

    /// Ends a turn whose mailbox looked empty; says whether the actor must run again.
    #[inline]
    pub fn end_turn(&self) -> EndTurn {
        // ORDERING: AcqRel. The RMW orders us against every `notify` (S2); Release hands this
        // turn's writes to the next worker's Acquire `start_turn`; Acquire makes a message
        // whose `notify` we observe visible if we run again on this worker.
        let before = self.word.fetch_and(!RUNNING_BIT, Ordering::AcqRel);
        debug_assert!(before & RUNNING_BIT != 0, "S1: end_turn outside a turn");
        if before & NOTIFIED_BIT == 0 {
            EndTurn::Idle
        } else {
            EndTurn::Reschedule
        }
    }

    /// Ends a turn that stopped early (activation budget spent) with messages left: the actor
    /// stays owed a turn and the caller puts it back in a run queue.
    #[inline]
    pub fn yield_turn(&self) {
        // ORDERING: Release, as an RMW: hands this turn's writes to the next worker and keeps
        // the senders' release sequences unbroken (S3).
        let before = self.word.swap(NOTIFIED_BIT, Ordering::Release);
        debug_assert!(before & RUNNING_BIT != 0, "S1: yield_turn outside a turn");
    }

    /// Whether a worker is running the actor now (a racy snapshot, for metrics and tests).
    #[must_use]
    pub fn is_running(&self) -> bool {
        // ORDERING: Relaxed; a snapshot that orders nothing.
        self.word.load(Ordering::Relaxed) & RUNNING_BIT != 0
    }
}

impl fmt::Debug for ActorState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // ORDERING: Relaxed; a snapshot for printing.
        let word = self.word.load(Ordering::Relaxed);
        let name = match (word & RUNNING_BIT != 0, word & NOTIFIED_BIT != 0) {
            (false, false) => "Idle",
            (false, true) => "Scheduled",
            (true, false) => "Running",
            (true, true) => "RunningNotified",
        };
        f.write_str(name)
    }
}
