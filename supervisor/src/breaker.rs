//! A circuit breaker, usable around any ask: closed, open, half-open.
//!
//! # Protocol
//!
//! - B1 **Closed**: every call is granted. A failure or timeout is recorded with its time; when
//!   `failures_max` of them are within the window (`now - t < window`), the breaker opens.
//!   Successes do not erase failures: the window does.
//! - B2 **Open**: every call is rejected with the time left of the cool-down. Once the
//!   cool-down has passed, the next [`CircuitBreaker::try_acquire`] moves it to half-open.
//! - B3 **Half-open**: at most `trials_max` trial calls are in flight at once; further calls
//!   are rejected. The first trial that succeeds closes the breaker (with no failures
//!   remembered); the first that fails or times out opens it again for a new cool-down.
//! - B4 Every change of state starts a new *generation*. A [`Permit`] belongs to the
//!   generation that granted it; recording the outcome of a permit of an earlier generation
//!   (a slow call that finished after the state changed) changes nothing and is counted as
//!   stale.
//!
//! Time is passed in, never read.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serde::Serialize;

/// The breaker's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct BreakerConfig {
    /// Failures (and timeouts) within `window` that open a closed breaker; at least 1.
    pub failures_max: u32,
    /// The sliding window in which failures are counted.
    pub window: Duration,
    /// How long an open breaker rejects calls before it lets trials through.
    pub cool_down: Duration,
    /// Trial calls in flight at once while half-open; at least 1.
    pub trials_max: u32,
}

impl Default for BreakerConfig {
    /// 5 failures within 10 s open the breaker for 5 s; then 1 trial call at a time.
    fn default() -> BreakerConfig {
        BreakerConfig {
            failures_max: 5,
            window: Duration::from_secs(10),
            cool_down: Duration::from_secs(5),
            trials_max: 1,
        }
    }
}

/// The breaker's state (B1 to B3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// Calls go through; failures are counted.
    Closed,
    /// Calls are rejected until the cool-down has passed.
    Open,
    /// A limited number of trial calls go through.
    HalfOpen,
}

/// Leave to make one call, to be handed back with its outcome ([`CircuitBreaker::record`]) or
/// unused ([`CircuitBreaker::abandon`]).
#[derive(Debug, PartialEq, Eq)]
#[must_use = "hand the permit back with `record` or `abandon`, or a trial slot stays taken"]
pub struct Permit {
    generation: u64,
    trial: bool,
}

impl Permit {
    /// Whether this is a trial call of a half-open breaker.
    #[must_use]
    pub fn is_trial(&self) -> bool {
        self.trial
    }
}

/// The answer to [`CircuitBreaker::try_acquire`].
#[derive(Debug, PartialEq, Eq)]
pub enum Admission {
    /// Make the call, then record its outcome with the permit.
    Granted(Permit),
    /// Do not make the call.
    Rejected {
        /// The state that rejected it: open, or half-open with every trial slot taken.
        state: BreakerState,
        /// When open: the time left of the cool-down.
        retry_after: Option<Duration>,
    },
}

/// How a call went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CallOutcome {
    /// It succeeded.
    Success,
    /// It failed.
    Failure,
    /// No answer came in time.
    Timeout,
}

/// What [`CircuitBreaker::record`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Record {
    /// The outcome was counted; the state did not change.
    Counted,
    /// The breaker opened.
    Opened,
    /// The breaker closed (a trial succeeded).
    Closed,
    /// The permit was of an earlier generation (B4): nothing changed.
    Stale,
}

/// Totals since the breaker was made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BreakerCounts {
    /// Calls granted (trials included).
    pub granted: u64,
    /// Calls rejected.
    pub rejected: u64,
    /// Successes recorded.
    pub successes: u64,
    /// Failures recorded.
    pub failures: u64,
    /// Timeouts recorded.
    pub timeouts: u64,
    /// Outcomes of permits of an earlier generation (B4), not counted otherwise.
    pub stale: u64,
    /// Times the breaker opened.
    pub opened: u64,
}

/// The breaker as seen at one time: its state and counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct BreakerSnapshot {
    /// The state a call would meet now (an open breaker past its cool-down shows half-open).
    pub state: BreakerState,
    /// Failures and timeouts within the window (closed only; 0 otherwise).
    pub failures_in_window: u32,
    /// Trial calls in flight (half-open only; 0 otherwise).
    pub trials_in_flight: u32,
    /// When open: the time left of the cool-down.
    pub retry_after: Option<Duration>,
    /// Totals.
    pub counts: BreakerCounts,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Inner {
    /// B1: times of recent failures, at most `failures_max - 1` of them.
    Closed { failures: VecDeque<Instant> },
    /// B2.
    Open { since: Instant },
    /// B3.
    HalfOpen { trials_in_flight: u32 },
}

/// A circuit breaker (B1 to B4).
///
/// ```
/// use std::time::{Duration, Instant};
/// use courier_supervisor::*;
///
/// let config = BreakerConfig {
///     failures_max: 2,
///     window: Duration::from_secs(10),
///     cool_down: Duration::from_secs(1),
///     trials_max: 1,
/// };
/// let mut breaker = CircuitBreaker::new(config);
/// let t0 = Instant::now();
/// for _ in 0..2 {
///     let Admission::Granted(permit) = breaker.try_acquire(t0) else { unreachable!() };
///     breaker.record(permit, CallOutcome::Timeout, t0);
/// }
/// assert_eq!(breaker.snapshot(t0).state, BreakerState::Open);
/// let later = t0 + Duration::from_secs(1);
/// let Admission::Granted(trial) = breaker.try_acquire(later) else { unreachable!() };
/// assert!(trial.is_trial());
/// assert_eq!(breaker.record(trial, CallOutcome::Success, later), Record::Closed);
/// ```
#[derive(Clone, Debug)]
pub struct CircuitBreaker {
    config: BreakerConfig,
    inner: Inner,
    generation: u64,
    counts: BreakerCounts,
}

impl CircuitBreaker {
    /// A closed breaker.
    ///
    /// # Panics
    /// If `failures_max` or `trials_max` is 0: such a breaker could never close or open.
    #[must_use]
    pub fn new(config: BreakerConfig) -> CircuitBreaker {
        assert!(config.failures_max >= 1, "failures_max must be at least 1");
        assert!(config.trials_max >= 1, "trials_max must be at least 1");
        CircuitBreaker {
            config,
            inner: Inner::Closed {
                failures: VecDeque::new(),
            },
            generation: 0,
            counts: BreakerCounts::default(),
        }
    }

    /// The settings.
    #[must_use]
    pub fn config(&self) -> BreakerConfig {
        self.config
    }

    /// Asks to make a call at `now` (B1 to B3).
    pub fn try_acquire(&mut self, now: Instant) -> Admission {
        if let Inner::Open { since } = self.inner
            && now.saturating_duration_since(since) >= self.config.cool_down
        {
            self.enter(Inner::HalfOpen {
                trials_in_flight: 0,
            });
        }
        let generation = self.generation;
        let admission = match &mut self.inner {
            Inner::Closed { .. } => Admission::Granted(Permit {
                generation,
                trial: false,
            }),
            Inner::Open { since } => Admission::Rejected {
                state: BreakerState::Open,
                retry_after: Some(
                    self.config
                        .cool_down
                        .saturating_sub(now.saturating_duration_since(*since)),
                ),
            },
            Inner::HalfOpen { trials_in_flight } if *trials_in_flight < self.config.trials_max => {
                *trials_in_flight += 1;
                Admission::Granted(Permit {
                    generation,
                    trial: true,
                })
            }
            Inner::HalfOpen { .. } => Admission::Rejected {
                state: BreakerState::HalfOpen,
                retry_after: None,
            },
        };
        match admission {
            Admission::Granted(_) => self.counts.granted += 1,
            Admission::Rejected { .. } => self.counts.rejected += 1,
        }
        admission
    }

    /// Records how the call of `permit` went, at `now` (B1, B3, B4).
    #[expect(
        clippy::needless_pass_by_value,
        reason = "taking the permit makes recording it twice a compile error"
    )]
    pub fn record(&mut self, permit: Permit, outcome: CallOutcome, now: Instant) -> Record {
        // B4. A permit of this generation while open can only come from another breaker (this
        // one grants none while open, and opening starts a generation): stale as well.
        if permit.generation != self.generation || matches!(self.inner, Inner::Open { .. }) {
            self.counts.stale += 1;
            return Record::Stale;
        }
        match outcome {
            CallOutcome::Success => self.counts.successes += 1,
            CallOutcome::Failure => self.counts.failures += 1,
            CallOutcome::Timeout => self.counts.timeouts += 1,
        }
        let failed = outcome != CallOutcome::Success;
        match &mut self.inner {
            Inner::Closed { failures } if failed => {
                let window = self.config.window;
                failures.retain(|&t| now.saturating_duration_since(t) < window);
                failures.push_back(now);
                if failures.len() < self.failures_max() {
                    return Record::Counted;
                }
                self.open(now)
            }
            Inner::Closed { .. } => Record::Counted,
            Inner::HalfOpen { .. } if failed => self.open(now),
            Inner::HalfOpen { .. } => {
                self.enter(Inner::Closed {
                    failures: VecDeque::new(),
                });
                Record::Closed
            }
            // Returned as stale above.
            Inner::Open { .. } => Record::Stale,
        }
    }

    /// Hands back a permit whose call was not made (or whose outcome is unknown and should not
    /// count): a trial slot is freed, nothing is counted.
    #[expect(
        clippy::needless_pass_by_value,
        reason = "taking the permit makes handing it back twice a compile error"
    )]
    pub fn abandon(&mut self, permit: Permit) {
        if permit.generation == self.generation
            && let Inner::HalfOpen { trials_in_flight } = &mut self.inner
        {
            *trials_in_flight = trials_in_flight.saturating_sub(1);
        }
    }

    /// The state and counts as a call at `now` would meet them.
    #[must_use]
    pub fn snapshot(&self, now: Instant) -> BreakerSnapshot {
        let (state, failures_in_window, trials_in_flight, retry_after) = match &self.inner {
            Inner::Closed { failures } => {
                let window = self.config.window;
                let in_window = failures
                    .iter()
                    .filter(|&&t| now.saturating_duration_since(t) < window)
                    .count();
                let in_window = u32::try_from(in_window).unwrap_or(u32::MAX);
                (BreakerState::Closed, in_window, 0, None)
            }
            Inner::Open { since } => {
                let elapsed = now.saturating_duration_since(*since);
                match self.config.cool_down.checked_sub(elapsed) {
                    Some(left) if !left.is_zero() => (BreakerState::Open, 0, 0, Some(left)),
                    _ => (BreakerState::HalfOpen, 0, 0, None),
                }
            }
            Inner::HalfOpen { trials_in_flight } => {
                (BreakerState::HalfOpen, 0, *trials_in_flight, None)
            }
        };
        BreakerSnapshot {
            state,
            failures_in_window,
            trials_in_flight,
            retry_after,
            counts: self.counts,
        }
    }

    fn failures_max(&self) -> usize {
        usize::try_from(self.config.failures_max).unwrap_or(usize::MAX)
    }

    fn open(&mut self, now: Instant) -> Record {
        self.counts.opened += 1;
        self.enter(Inner::Open { since: now });
        Record::Opened
    }

    /// B4: every change of state starts a new generation.
    fn enter(&mut self, inner: Inner) {
        self.inner = inner;
        self.generation += 1;
    }
}

#[cfg(test)]
mod tests;
