//! Dead letters: messages accepted for an actor (or handed to a timer for it) that will never
//! be handled. Each is counted (`RuntimeMetrics::dead_letters`) and, when the runtime has a
//! handler (`RuntimeSettings::dead_letters`), handed to it with the message itself, to log,
//! re-route or answer (a request's `ReplyTo` is inside).

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use crate::ActorId;
use crate::panic::run_caught;

/// Why a message was never handled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Undelivered {
    /// Its actor exited (stopped, failed, panicked or was killed) with it still queued.
    Exited,
    /// Its actor was freed with it queued: the last reference went while nothing ran it.
    Dropped,
    /// Its runtime shut down with it queued, or it came after the shutdown.
    ShutDown,
    /// A timer's send (`Context::send_after`, `send_interval`) was refused: the target's
    /// mailbox was full, or no message block could be had.
    Refused,
}

impl fmt::Display for Undelivered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Undelivered::Exited => "its actor exited",
            Undelivered::Dropped => "its actor was dropped",
            Undelivered::ShutDown => "its runtime shut down",
            Undelivered::Refused => "a timer's send was refused",
        })
    }
}

/// A message that will never be handled, as the runtime's [`DeadLetterHandler`] gets it.
pub struct DeadLetter {
    /// The actor it was for.
    pub to: ActorId,
    /// Why it was not handled.
    pub why: Undelivered,
    /// The message's type, as `std::any::type_name` spells it.
    pub type_name: &'static str,
    /// The message: downcast it to the actor's message type.
    pub message: Box<dyn Any + Send>,
}

impl fmt::Debug for DeadLetter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeadLetter")
            .field("to", &self.to)
            .field("why", &self.why)
            .field("type_name", &self.type_name)
            .finish_non_exhaustive()
    }
}

/// Receives every dead letter of a runtime, on the thread that finds it: a worker (an exited
/// or killed actor's queue), a sender (after a shutdown), or the thread that drops an actor's
/// last reference. Keep it short and never block: on a worker it holds up that worker's
/// actors. A panic in it is caught and reported on stderr; the letter is counted either way.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use courier_sched::{DeadLetterHandler, RuntimeSettings};
///
/// let lost = Arc::new(Mutex::new(Vec::new()));
/// let seen = Arc::clone(&lost);
/// let settings = RuntimeSettings {
///     dead_letters: Some(DeadLetterHandler::new(move |letter| {
///         if let Ok(n) = letter.message.downcast::<u64>() {
///             seen.lock().unwrap().push(*n);
///         }
///     })),
///     ..RuntimeSettings::default()
/// };
/// # drop(settings);
/// ```
#[derive(Clone)]
pub struct DeadLetterHandler(Arc<dyn Fn(DeadLetter) + Send + Sync>);

impl DeadLetterHandler {
    /// A handler that calls `handle` with each dead letter.
    pub fn new(handle: impl Fn(DeadLetter) + Send + Sync + 'static) -> DeadLetterHandler {
        DeadLetterHandler(Arc::new(handle))
    }

    /// Hands `message` over; out of line, so the generic callers keep only the boxing.
    pub(crate) fn hand_over(&self, letter: DeadLetter) {
        let to = letter.to;
        if let Err(panic) = run_caught(|| (self.0)(letter)) {
            eprintln!("courier: the dead-letter handler panicked on a letter to {to}: {panic}");
        }
    }
}

impl fmt::Debug for DeadLetterHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeadLetterHandler(..)")
    }
}

/// Two settings are equal when they hold the same handler (the same `Arc`).
impl PartialEq for DeadLetterHandler {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for DeadLetterHandler {}
