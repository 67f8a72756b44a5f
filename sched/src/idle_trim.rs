//! When a parked worker gives its pools' free memory back to the kernel.
//!
//! A worker's pools (its messages' and the cells of the actors it spawns) keep every block they
//! ever carved: a burst of a million actors leaves ~300 MiB of cell slabs with the workers that
//! spawned them. courier-alloc's trim hands wholly free slabs back (`trim.rs` there) without a
//! cost on the hot paths, but its cost grows with the free lists, so a worker runs it only:
//!
//! - once it has been parked for the runtime's `trim_after_idle` (`memory.trim_after_idle_ms`,
//!   100 ms by default, 0 for never), as an allocator purges after a delay: a worker that parks
//!   between the bursts of a busy service keeps its memory warm. A parked worker whose pools
//!   have carved [`TRIM_STEP_BYTES`] or more wakes to look after that delay, then after twice
//!   as long each time, up to [`LOOK_BACKOFF_MAX`] times the delay: the blocks it lent come
//!   home while it sleeps (freed on other workers, in batches), and nobody wakes it for that.
//!   A worker with less carved never wakes for a trim;
//! - when its pools hold enough free memory to be worth a walk: the free bytes reached the
//!   trigger, [`TRIM_STEP_BYTES`] above the least seen since the last trim (or a quarter of it,
//!   when more), or blocks freed on other workers wait to come home (the trim takes them first,
//!   then walks only if the free bytes reach the trigger). A trim that could give little back
//!   (free blocks scattered over slabs that hold live ones) raises the trigger, so the worker
//!   walks the same lists again only once more memory has been freed;
//! - while it stays parked: a notifier that takes it off the sleeper list stops the trim at its
//!   next check (every 256 blocks, and before each advice), every free block still there (T3
//!   of courier-alloc).
//!
//! Each pool keeps [`TRIM_KEEP_BYTES`] of free blocks, so the next burst does not fault at once.
//! A `LocalRuntime` never parks and never trims; threads outside the runtime that spawn keep
//! their cell pools until the runtime goes (`cell_memory.rs`).

use std::cell::Cell;
use std::time::Duration;

/// Free bytes each pool keeps through a trim.
pub(crate) const TRIM_KEEP_BYTES: usize = 1 << 20;
/// Free bytes beyond the least seen since the last trim that make the next one worth its walk;
/// and the carved bytes below which a parked worker never wakes to look.
pub(crate) const TRIM_STEP_BYTES: usize = 4 << 20;
/// The longest a parked worker sleeps between two looks, in delays.
pub(crate) const LOOK_BACKOFF_MAX: u32 = 64;

/// One worker's trim policy (see the module doc).
#[derive(Debug)]
pub(crate) struct IdleTrim {
    after_idle: Option<Duration>,
    /// Free bytes at which a trim is due.
    trigger: Cell<usize>,
}

/// The trigger for a worker whose pools hold `free_bytes`.
fn trigger_above(free_bytes: usize) -> usize {
    free_bytes.saturating_add(TRIM_STEP_BYTES.max(free_bytes / 4))
}

impl IdleTrim {
    /// A policy that trims after `after_idle` parked (`None`: never).
    pub(crate) fn new(after_idle: Option<Duration>) -> IdleTrim {
        IdleTrim {
            after_idle,
            trigger: Cell::new(trigger_above(0)),
        }
    }

    /// When a worker that parks with `carved_bytes` in its pools first looks for a trim: after
    /// the delay, or never.
    pub(crate) fn first_look(&self, carved_bytes: usize) -> Option<Duration> {
        self.after_idle.filter(|_| carved_bytes >= TRIM_STEP_BYTES)
    }

    /// When it looks again, after a look that came `previous` after the one before: twice as
    /// late, up to the cap.
    pub(crate) fn next_look(&self, previous: Duration) -> Option<Duration> {
        let after_idle = self.after_idle?;
        Some((previous * 2).min(after_idle * LOOK_BACKOFF_MAX))
    }

    /// Whether a trim is due, for pools that hold `free_bytes` on their local lists while
    /// `remote_frees` says whether blocks wait to come home.
    pub(crate) fn is_due(&self, free_bytes: usize, remote_frees: bool) -> bool {
        let trigger = self.trigger.get().min(trigger_above(free_bytes));
        self.trigger.set(trigger);
        free_bytes >= trigger || remote_frees
    }

    /// Records a finished trim that left `free_bytes` on the local lists.
    pub(crate) fn trimmed(&self, free_bytes: usize) {
        self.trigger.set(trigger_above(free_bytes));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DELAY: Duration = Duration::from_millis(100);
    const MIB: usize = 1 << 20;

    #[test]
    fn a_worker_with_little_carved_never_looks_and_one_with_more_backs_off() {
        let policy = IdleTrim::new(Some(DELAY));
        assert_eq!(policy.first_look(MIB), None);
        assert_eq!(policy.first_look(4 * MIB), Some(DELAY));
        assert_eq!(policy.next_look(DELAY), Some(2 * DELAY));
        assert_eq!(policy.next_look(50 * DELAY), Some(64 * DELAY), "capped");
        let never = IdleTrim::new(None);
        assert_eq!(never.first_look(400 * MIB), None);
        assert_eq!(never.next_look(DELAY), None);
    }

    #[test]
    fn a_trim_is_due_once_the_free_memory_reaches_the_step_or_remote_frees_wait() {
        let policy = IdleTrim::new(Some(DELAY));
        assert!(!policy.is_due(MIB, false));
        assert!(policy.is_due(MIB, true));
        assert!(policy.is_due(4 * MIB, false));
    }

    #[test]
    fn memory_a_trim_could_not_give_back_raises_the_trigger_until_it_is_used() {
        let policy = IdleTrim::new(Some(DELAY));
        // 100 MiB stayed: scattered over slabs with live blocks.
        policy.trimmed(100 * MIB);
        assert!(!policy.is_due(100 * MIB, false));
        assert!(!policy.is_due(120 * MIB, false));
        assert!(policy.is_due(125 * MIB, false), "a quarter more");
        // Used up, then freed again: due at the step above the least seen.
        policy.trimmed(100 * MIB);
        assert!(!policy.is_due(0, false));
        assert!(policy.is_due(4 * MIB, false));
    }
}
