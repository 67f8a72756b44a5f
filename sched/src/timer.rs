//! Timers: `send_after`, `send_interval` and the periodic `after` hook, on a hashed timer wheel
//! per worker.
//!
//! A worker owns its wheel: timers are set by handlers running on it and fire on it, so the
//! wheel needs no lock. The worker fires due timers between turns and, when it has timers,
//! parks no longer than until the next deadline. A timer fires at or after its deadline, never
//! before; timers due at the same tick fire in the order they were set.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::panic::run_caught;
use crate::sync::{StdAtomicBool, StdOrdering};

/// The wheel's resolution.
pub(crate) const TICK: Duration = Duration::from_millis(1);
const SLOTS: usize = 256;

/// What a timer does when it fires; returns whether to fire again (intervals).
pub(crate) type Fire = Box<dyn FnMut() -> bool + Send>;

struct Entry {
    deadline_tick: u64,
    seq: u64,
    /// For intervals: the period, in ticks (at least one).
    every_ticks: Option<u64>,
    fire: Fire,
    cancelled: Arc<StdAtomicBool>,
}

/// Cancels a timer: it will not fire after [`TimerHandle::cancel`] returns (a firing in progress
/// on the worker may complete). Dropping the handle does not cancel.
#[derive(Clone)]
pub struct TimerHandle {
    cancelled: Arc<StdAtomicBool>,
}

impl TimerHandle {
    /// Cancels the timer.
    pub fn cancel(&self) {
        // ORDERING: Relaxed; the worker checks the flag before each firing; a firing that has
        // already begun is allowed to finish (documented).
        self.cancelled.store(true, StdOrdering::Relaxed);
    }

    /// Whether the timer was cancelled.
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        // ORDERING: Relaxed; a snapshot.
        self.cancelled.load(StdOrdering::Relaxed)
    }
}

impl fmt::Debug for TimerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerHandle")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

/// A hashed timer wheel: 256 slots of one tick; an entry further out waits in its slot for
/// as many turns of the wheel as it needs.
pub(crate) struct TimerWheel {
    origin: Instant,
    slots: Vec<Vec<Entry>>,
    /// The last tick whose slot was processed.
    current_tick: u64,
    next_seq: u64,
    len: usize,
}

impl TimerWheel {
    pub(crate) fn new(origin: Instant) -> TimerWheel {
        TimerWheel {
            origin,
            slots: (0..SLOTS).map(|_| Vec::new()).collect(),
            current_tick: 0,
            next_seq: 0,
            len: 0,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The tick at or after `at` (timers never fire early).
    fn tick_of(&self, at: Instant) -> u64 {
        let since = at.saturating_duration_since(self.origin);
        let ticks = since.as_nanos().div_ceil(TICK.as_nanos());
        u64::try_from(ticks).unwrap_or(u64::MAX)
    }

    /// Sets a timer due at `deadline`, repeating every `every` if given.
    pub(crate) fn insert(
        &mut self,
        deadline: Instant,
        every: Option<Duration>,
        fire: Fire,
    ) -> TimerHandle {
        let cancelled = Arc::new(StdAtomicBool::new(false));
        let every_ticks = every.map(|every| {
            u64::try_from(every.as_nanos().div_ceil(TICK.as_nanos()))
                .unwrap_or(u64::MAX)
                .max(1)
        });
        // A deadline in the past fires at the next processed tick.
        let deadline_tick = self.tick_of(deadline).max(self.current_tick + 1);
        let seq = self.next_seq;
        self.next_seq += 1;
        self.push(Entry {
            deadline_tick,
            seq,
            every_ticks,
            fire,
            cancelled: Arc::clone(&cancelled),
        });
        TimerHandle { cancelled }
    }

    fn push(&mut self, entry: Entry) {
        let slot = usize::try_from(entry.deadline_tick % SLOTS as u64).unwrap_or(0);
        self.slots[slot].push(entry);
        self.len += 1;
    }

    /// The earliest deadline of the timers set (a scan: called only before parking).
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let tick = self
            .slots
            .iter()
            .flatten()
            .map(|entry| entry.deadline_tick)
            .min()?;
        let nanos = u64::try_from(TICK.as_nanos())
            .unwrap_or(u64::MAX)
            .saturating_mul(tick);
        Some(self.origin + Duration::from_nanos(nanos))
    }

    /// Fires every timer due at `now`, in deadline order (set order within a tick); re-arms
    /// intervals. Returns how many fired.
    pub(crate) fn fire_due(&mut self, now: Instant) -> usize {
        // Floor for now, ceiling for deadlines: a timer fires only once its deadline passed.
        let since = now.saturating_duration_since(self.origin);
        let floor = u64::try_from(since.as_nanos() / TICK.as_nanos()).unwrap_or(u64::MAX);
        let now_tick = floor.max(self.current_tick);
        if now_tick == self.current_tick || self.len == 0 {
            self.current_tick = now_tick;
            return 0;
        }
        let mut due: Vec<Entry> = Vec::new();
        let ticks = (now_tick - self.current_tick).min(SLOTS as u64);
        for offset in 1..=ticks {
            let slot = usize::try_from((self.current_tick + offset) % SLOTS as u64).unwrap_or(0);
            let entries = std::mem::take(&mut self.slots[slot]);
            for entry in entries {
                if entry.deadline_tick <= now_tick {
                    due.push(entry);
                } else {
                    self.slots[slot].push(entry);
                }
            }
        }
        self.current_tick = now_tick;
        self.len -= due.len();
        due.sort_by_key(|entry| (entry.deadline_tick, entry.seq));
        let mut fired = 0;
        for mut entry in due {
            // ORDERING: Relaxed; see `TimerHandle::cancel`.
            if entry.cancelled.load(StdOrdering::Relaxed) {
                continue;
            }
            fired += 1;
            // User code runs here (`send_interval`'s `make`, a refused message's `Drop`): a
            // panic cancels this timer alone; the worker and the wheel's other timers go on.
            let again = match run_caught(|| (entry.fire)()) {
                Ok(again) => again,
                Err(message) => {
                    eprintln!("courier: a timer panicked and is cancelled: {message}");
                    // ORDERING: Relaxed; see `TimerHandle::cancel`.
                    entry.cancelled.store(true, StdOrdering::Relaxed);
                    false
                }
            };
            if let (true, Some(every)) = (again, entry.every_ticks) {
                entry.deadline_tick = (entry.deadline_tick + every).max(now_tick + 1);
                self.push(entry);
            }
        }
        fired
    }
}

impl fmt::Debug for TimerWheel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerWheel")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
