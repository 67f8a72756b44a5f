//! Runtime metrics, readable while the runtime runs.

use crate::WorkerId;
use crate::sync::{StdAtomicU64, StdOrdering};

/// Counters of one worker. Only the worker writes them (a load and a store, no locked RMW);
/// anyone reads them.
#[derive(Debug, Default)]
pub(crate) struct WorkerCounters {
    runs: StdAtomicU64,
    messages: StdAtomicU64,
    steals: StdAtomicU64,
    parks: StdAtomicU64,
    spins: StdAtomicU64,
    /// Actors spawned, exited and panicked on this worker: the runtime's totals are their sums
    /// (plus what other threads counted), so a spawning tree never contends on one line.
    spawned: StdAtomicU64,
    exited: StdAtomicU64,
    panicked: StdAtomicU64,
    trims: StdAtomicU64,
    bytes_trimmed: StdAtomicU64,
}

/// ORDERING: Relaxed everywhere: statistics, written by one thread, that order nothing.
///
/// `#[inline]` on these: the turn that bumps them is generic, compiled in the user's crate,
/// where each bump was a call through the GOT (8 instructions a turn, callgrind).
#[inline]
fn bump(counter: &StdAtomicU64, by: u64) {
    counter.store(
        counter.load(StdOrdering::Relaxed) + by,
        StdOrdering::Relaxed,
    );
}

impl WorkerCounters {
    #[inline]
    pub(crate) fn add_run(&self) {
        bump(&self.runs, 1);
    }

    #[inline]
    pub(crate) fn add_messages(&self, messages: u64) {
        bump(&self.messages, messages);
    }

    #[inline]
    pub(crate) fn add_steal(&self) {
        bump(&self.steals, 1);
    }

    pub(crate) fn add_park(&self) {
        bump(&self.parks, 1);
    }

    pub(crate) fn add_spin(&self) {
        bump(&self.spins, 1);
    }

    pub(crate) fn add_trim(&self, bytes: usize) {
        bump(&self.trims, 1);
        bump(
            &self.bytes_trimmed,
            u64::try_from(bytes).unwrap_or(u64::MAX),
        );
    }

    #[inline]
    pub(crate) fn add_spawn(&self) {
        bump(&self.spawned, 1);
    }

    #[inline]
    pub(crate) fn add_exit(&self, panicked: bool) {
        bump(&self.exited, 1);
        if panicked {
            bump(&self.panicked, 1);
        }
    }

    /// Actors spawned, exited and panicked on this worker so far.
    pub(crate) fn lifecycle(&self) -> [u64; 3] {
        [&self.spawned, &self.exited, &self.panicked].map(|c| c.load(StdOrdering::Relaxed))
    }

    pub(crate) fn snapshot(&self, worker: WorkerId) -> WorkerMetrics {
        WorkerMetrics {
            worker,
            runs: self.runs.load(StdOrdering::Relaxed),
            messages: self.messages.load(StdOrdering::Relaxed),
            steals: self.steals.load(StdOrdering::Relaxed),
            parks: self.parks.load(StdOrdering::Relaxed),
            spins: self.spins.load(StdOrdering::Relaxed),
            trims: self.trims.load(StdOrdering::Relaxed),
            bytes_trimmed: self.bytes_trimmed.load(StdOrdering::Relaxed),
        }
    }
}

/// A snapshot of one worker's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkerMetrics {
    /// The worker.
    pub worker: WorkerId,
    /// Actor turns run.
    pub runs: u64,
    /// Messages handled (and dead-lettered) in those turns.
    pub messages: u64,
    /// Successful steals (from other workers or injectors).
    pub steals: u64,
    /// Times the worker parked (slept for want of work; a wake-up that finds none and sleeps
    /// again is the same park).
    pub parks: u64,
    /// Spin rounds while searching before parking.
    pub spins: u64,
    /// Trims of its pools while parked (`memory.trim_after_idle_ms`), finished or stopped by
    /// work.
    pub trims: u64,
    /// Bytes those trims gave back to the kernel: slabs advised away and chunks unmapped.
    pub bytes_trimmed: u64,
}

/// A snapshot of the runtime.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuntimeMetrics {
    /// Per worker, by id.
    pub workers: Vec<WorkerMetrics>,
    /// Actors spawned so far.
    pub actors_spawned: u64,
    /// Actors that exited so far (any reason).
    pub actors_exited: u64,
    /// Of those, the ones whose handler panicked.
    pub actors_panicked: u64,
    /// Messages of the actors' own types never handled: queued to an actor that exited, was
    /// dropped or was closed by the runtime's shutdown, or refused to a timer's send; each is
    /// also handed to `RuntimeSettings::dead_letters` when set. Of the runtime's own messages
    /// only a monitor's or link's notice is counted, when its watcher's mailbox was full on a
    /// worker (it is reported on stderr, not handed over).
    pub dead_letters: u64,
    /// Message pool memory per node, by node number.
    pub nodes: Vec<crate::NodeMemoryMetrics>,
}
