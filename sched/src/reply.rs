//! Asks: a request message that carries a [`ReplyTo`], and the [`Reply`] the asker waits on
//! (with a timeout) or awaits as a `Future`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::ActorId;

enum SlotState<R> {
    /// No answer yet; the waker of an awaiting task, if any.
    Waiting(Option<Waker>),
    Ready(R),
    /// The `ReplyTo` was dropped unanswered (the actor stopped, failed, or forgot).
    Dropped,
    /// The answer was taken.
    Taken,
}

struct ReplySlot<R> {
    state: Mutex<SlotState<R>>,
    ready: Condvar,
}

/// Wakes a worker thread whose handler waits for an answer while it helps (`wait_timeout`).
struct UnparkThread(Thread);

impl Wake for UnparkThread {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

impl<R> ReplySlot<R> {
    /// Whether the answer (or its drop) is there.
    fn is_settled(&self) -> bool {
        !matches!(*self.state.lock(), SlotState::Waiting(_))
    }

    /// Has the settling of this slot unpark the calling thread (unless it is settled).
    fn unpark_current_when_settled(&self) {
        if let SlotState::Waiting(waker) = &mut *self.state.lock() {
            *waker = Some(Waker::from(Arc::new(UnparkThread(thread::current()))));
        }
    }

    fn settle(&self, state: SlotState<R>) {
        let waker = {
            let mut current = self.state.lock();
            match std::mem::replace(&mut *current, state) {
                SlotState::Waiting(waker) => waker,
                // Settled once only: `ReplyTo` is consumed by `send` and by `drop`.
                other => {
                    *current = other;
                    None
                }
            }
        };
        self.ready.notify_all();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// The answering half of an ask, carried inside the request message. Answer with
/// [`ReplyTo::send`]; dropping it unanswered tells the asker [`AskError::Dropped`].
pub struct ReplyTo<R> {
    slot: Option<Arc<ReplySlot<R>>>,
}

impl<R> ReplyTo<R> {
    /// Answers the ask.
    pub fn send(mut self, value: R) {
        if let Some(slot) = self.slot.take() {
            slot.settle(SlotState::Ready(value));
        }
    }
}

impl<R> Drop for ReplyTo<R> {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            slot.settle(SlotState::Dropped);
        }
    }
}

impl<R> fmt::Debug for ReplyTo<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReplyTo")
    }
}

/// Why an ask has no answer.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AskError {
    /// No answer within the time given.
    Timeout {
        /// The actor asked.
        actor: ActorId,
        /// How long the asker waited.
        waited: Duration,
        /// Whether the actor had stopped by then (it will never answer).
        actor_stopped: bool,
        /// Messages queued ahead in its mailbox when the wait ended (it may be busy).
        mailbox_depth: u32,
    },
    /// The actor dropped the request's `ReplyTo` without answering: it stopped or failed
    /// while handling it, or its handler forgot to answer.
    Dropped {
        /// The actor asked.
        actor: ActorId,
    },
}

impl fmt::Display for AskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AskError::Timeout {
                actor,
                waited,
                actor_stopped: true,
                ..
            } => {
                write!(
                    f,
                    "{actor} did not answer within {waited:?}: it has stopped"
                )
            }
            AskError::Timeout {
                actor,
                waited,
                mailbox_depth,
                ..
            } => write!(
                f,
                "{actor} did not answer within {waited:?} ({mailbox_depth} messages queued)"
            ),
            AskError::Dropped { actor } => {
                write!(f, "{actor} dropped the request without answering")
            }
        }
    }
}

impl std::error::Error for AskError {}

/// What the asker holds: wait for the answer (with or without a timeout) or `.await` it.
pub struct Reply<R> {
    slot: Arc<ReplySlot<R>>,
    actor: ActorId,
    /// For the timeout error: is the actor stopped, how deep is its mailbox.
    probe: Box<dyn Fn() -> (bool, u32) + Send + Sync>,
}

/// A new ask: the `ReplyTo` goes into the request, the `Reply` stays with the asker.
pub(crate) fn pair<R>(
    actor: ActorId,
    probe: Box<dyn Fn() -> (bool, u32) + Send + Sync>,
) -> (ReplyTo<R>, Reply<R>) {
    let slot = Arc::new(ReplySlot {
        state: Mutex::new(SlotState::Waiting(None)),
        ready: Condvar::new(),
    });
    (
        ReplyTo {
            slot: Some(Arc::clone(&slot)),
        },
        Reply { slot, actor, probe },
    )
}

impl<R> Reply<R> {
    /// Waits for the answer, at most `timeout`. Blocks the calling thread.
    ///
    /// In a handler (on a worker thread) the worker runs its other queued actors meanwhile:
    /// the asked actor, queued behind the asker on the same worker, answers, and a runtime of
    /// one worker does not stall. The asking actor itself handles nothing until the wait ends
    /// (an ask back to it times out, as a call cycle does in Erlang), and the wait may end
    /// later than `timeout` by the length of the turn the worker was running. Waits nested
    /// more than eight deep, and waits in a timer's closure, block the worker instead.
    /// Asking by messages (the request carries the asker's reference) never holds the asker.
    ///
    /// # Errors
    /// [`AskError::Timeout`] (saying whether the actor stopped and how much is queued) or
    /// [`AskError::Dropped`].
    pub fn wait_timeout(self, timeout: Duration) -> Result<R, AskError> {
        let started = Instant::now();
        let deadline = started + timeout;
        if crate::worker::on_worker_thread() {
            self.slot.unpark_current_when_settled();
            // Settled or timed out, the wait below ends at once; where the worker cannot help,
            // it blocks.
            crate::worker::help_until(deadline, &|| self.slot.is_settled());
        }
        let mut state = self.slot.state.lock();
        loop {
            match std::mem::replace(&mut *state, SlotState::Taken) {
                SlotState::Ready(value) => return Ok(value),
                SlotState::Dropped => return Err(AskError::Dropped { actor: self.actor }),
                waiting @ SlotState::Waiting(_) => *state = waiting,
                SlotState::Taken => unreachable!("a Reply is consumed by the wait that takes it"),
            }
            if self.slot.ready.wait_until(&mut state, deadline).timed_out() {
                if let SlotState::Ready(_) | SlotState::Dropped = &*state {
                    continue;
                }
                drop(state);
                let (actor_stopped, mailbox_depth) = (self.probe)();
                return Err(AskError::Timeout {
                    actor: self.actor,
                    waited: started.elapsed(),
                    actor_stopped,
                    mailbox_depth,
                });
            }
        }
    }

    /// The answer if it is there, without waiting; `None` while the actor has not answered.
    ///
    /// # Errors
    /// [`AskError::Dropped`] when the actor will never answer.
    pub fn try_take(&mut self) -> Option<Result<R, AskError>> {
        let mut state = self.slot.state.lock();
        match std::mem::replace(&mut *state, SlotState::Taken) {
            SlotState::Ready(value) => Some(Ok(value)),
            SlotState::Dropped => Some(Err(AskError::Dropped { actor: self.actor })),
            SlotState::Taken => None,
            waiting @ SlotState::Waiting(_) => {
                *state = waiting;
                None
            }
        }
    }
}

impl<R> Future for Reply<R> {
    type Output = Result<R, AskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let mut state = this.slot.state.lock();
        match std::mem::replace(&mut *state, SlotState::Taken) {
            SlotState::Ready(value) => Poll::Ready(Ok(value)),
            SlotState::Dropped => Poll::Ready(Err(AskError::Dropped { actor: this.actor })),
            SlotState::Waiting(_) => {
                *state = SlotState::Waiting(Some(cx.waker().clone()));
                Poll::Pending
            }
            SlotState::Taken => Poll::Pending,
        }
    }
}

impl<R> fmt::Debug for Reply<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("actor", &self.actor)
            .finish_non_exhaustive()
    }
}
