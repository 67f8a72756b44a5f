//! `Breaker`: the [`CircuitBreaker`] state machine around real asks, shareable between
//! threads and actors.
//!
//! The state machine stays pure (time passed in); this wrapper reads the clock, holds the
//! machine behind a lock taken twice per call (to acquire a permit and to record the outcome,
//! never while waiting), and turns an ask's result into a [`CallOutcome`]: an answer is a
//! success, [`AskError::Timeout`] a timeout, anything else (the request refused or dropped) a
//! failure. [`Breaker::ask_result`] also counts an answer of `Err` as a failure.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use courier_sched::{ActorRef, AskError, Reply, ReplyTo, SendError};

use crate::{
    Admission, BreakerConfig, BreakerSnapshot, BreakerState, CallOutcome, CircuitBreaker, Permit,
};

/// Why a guarded call has no answer.
#[non_exhaustive]
pub enum GuardedError<M> {
    /// The breaker did not let the call through.
    Rejected {
        /// Open, or half-open with every trial slot taken.
        state: BreakerState,
        /// When open: the time left of the cool-down.
        retry_after: Option<Duration>,
    },
    /// The request could not be sent (it is handed back); counted as a failure.
    Send(SendError<M>),
    /// The request was sent but not answered; a timeout or a failure.
    Ask(AskError),
}

impl<M> fmt::Display for GuardedError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GuardedError::Rejected {
                state,
                retry_after: Some(after),
            } => write!(f, "circuit breaker {state:?}: retry after {after:?}"),
            GuardedError::Rejected { state, .. } => write!(f, "circuit breaker {state:?}"),
            GuardedError::Send(error) => write!(f, "the request was not sent: {error}"),
            GuardedError::Ask(error) => write!(f, "no answer: {error}"),
        }
    }
}

impl<M> fmt::Debug for GuardedError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GuardedError::Rejected { state, retry_after } => f
                .debug_struct("Rejected")
                .field("state", state)
                .field("retry_after", retry_after)
                .finish(),
            GuardedError::Send(error) => f.debug_tuple("Send").field(error).finish(),
            GuardedError::Ask(error) => f.debug_tuple("Ask").field(error).finish(),
        }
    }
}

impl<M> std::error::Error for GuardedError<M> {}

/// A circuit breaker to put around asks; cheap to clone (clones share the state).
#[derive(Clone)]
pub struct Breaker {
    machine: Arc<Mutex<CircuitBreaker>>,
}

impl Breaker {
    /// A closed breaker with `config`.
    #[must_use]
    pub fn new(config: BreakerConfig) -> Breaker {
        Breaker {
            machine: Arc::new(Mutex::new(CircuitBreaker::new(config))),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CircuitBreaker> {
        // The machine's methods do not panic between two consistent states.
        self.machine.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The state and counts now.
    #[must_use]
    pub fn snapshot(&self) -> BreakerSnapshot {
        self.lock().snapshot(Instant::now())
    }

    /// Asks for leave to make one call; hand the permit back with [`Breaker::record`].
    ///
    /// # Errors
    /// [`GuardedError::Rejected`] when the breaker is open or its trial slots are taken.
    pub fn acquire<M>(&self) -> Result<Permit, GuardedError<M>> {
        match self.lock().try_acquire(Instant::now()) {
            Admission::Granted(permit) => Ok(permit),
            Admission::Rejected { state, retry_after } => {
                Err(GuardedError::Rejected { state, retry_after })
            }
        }
    }

    /// Records how a call made under `permit` went.
    pub fn record(&self, permit: Permit, outcome: CallOutcome) {
        let _record = self.lock().record(permit, outcome, Instant::now());
    }

    /// Asks `target` through the breaker, waiting up to `timeout`: it blocks the calling
    /// thread, or in a handler runs the worker's other actors meanwhile (see
    /// [`Reply::wait_timeout`](courier_sched::Reply::wait_timeout)); an actor that must keep
    /// handling its own messages meanwhile uses [`Breaker::ask_async`].
    ///
    /// # Errors
    /// Rejected by the breaker, not sent, or not answered in time.
    pub fn ask<M: Send + 'static, R>(
        &self,
        target: &ActorRef<M>,
        request: impl FnOnce(ReplyTo<R>) -> M,
        timeout: Duration,
    ) -> Result<R, GuardedError<M>> {
        let (permit, reply) = self.send(target, request)?;
        let answer = reply.wait_timeout(timeout);
        self.settle(permit, answer, |_| CallOutcome::Success)
    }

    /// As [`Breaker::ask`] for an actor that answers with a `Result`: an `Err` answer counts
    /// as a failure (and is returned as the answer).
    ///
    /// # Errors
    /// As [`Breaker::ask`].
    pub fn ask_result<M: Send + 'static, T, E>(
        &self,
        target: &ActorRef<M>,
        request: impl FnOnce(ReplyTo<Result<T, E>>) -> M,
        timeout: Duration,
    ) -> Result<Result<T, E>, GuardedError<M>> {
        let (permit, reply) = self.send(target, request)?;
        let answer = reply.wait_timeout(timeout);
        self.settle(permit, answer, |answer| match answer {
            Ok(_) => CallOutcome::Success,
            Err(_) => CallOutcome::Failure,
        })
    }

    /// As [`Breaker::ask`], awaited instead of waited (no timeout of its own: a dropped
    /// request is a failure; put a timeout around the future where the executor has one).
    ///
    /// # Errors
    /// As [`Breaker::ask`].
    pub async fn ask_async<M: Send + 'static, R>(
        &self,
        target: &ActorRef<M>,
        request: impl FnOnce(ReplyTo<R>) -> M,
    ) -> Result<R, GuardedError<M>> {
        let (permit, reply) = self.send(target, request)?;
        let answer = reply.await;
        self.settle(permit, answer, |_| CallOutcome::Success)
    }

    fn send<M: Send + 'static, R>(
        &self,
        target: &ActorRef<M>,
        request: impl FnOnce(ReplyTo<R>) -> M,
    ) -> Result<(Permit, Reply<R>), GuardedError<M>> {
        let permit = self.acquire()?;
        match target.ask(request) {
            Ok(reply) => Ok((permit, reply)),
            Err(error) => {
                self.record(permit, CallOutcome::Failure);
                Err(GuardedError::Send(error))
            }
        }
    }

    fn settle<M, R>(
        &self,
        permit: Permit,
        answer: Result<R, AskError>,
        judge: impl FnOnce(&R) -> CallOutcome,
    ) -> Result<R, GuardedError<M>> {
        match answer {
            Ok(answer) => {
                self.record(permit, judge(&answer));
                Ok(answer)
            }
            Err(error) => {
                let outcome = if matches!(error, AskError::Timeout { .. }) {
                    CallOutcome::Timeout
                } else {
                    CallOutcome::Failure
                };
                self.record(permit, outcome);
                Err(GuardedError::Ask(error))
            }
        }
    }
}

impl fmt::Debug for Breaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Breaker").field(&self.snapshot()).finish()
    }
}
