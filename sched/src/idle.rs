//! Idle-worker accounting: how many workers search for work, which ones sleep, and whom a new
//! piece of work wakes.
//!
//! Tokio's and Go's protocol, with a NUMA preference: a worker that finds nothing becomes a
//! *searcher* (at most half the workers search at once, so idle workers do not all hammer the
//! queues); a searcher that finds nothing *parks*; a submitter wakes a parked worker only when
//! nobody is searching, preferring a sleeper on the work's node. See `PROTOCOL.md` for the proof
//! sketch of the no-lost-wake-up argument.
//!
//! # Protocol
//!
//! - **I1** `state` packs the number of searching workers (bits 0..16) and of unparked workers
//!   (bits 16..32). A worker is counted unparked from its start until it lists itself as a
//!   sleeper, and again from the moment a notifier takes it off the list.
//! - **I2** Submitter: publish the work, `fence(SeqCst)`, then [`IdleWorkers::worker_to_notify`],
//!   which reads `state` (`SeqCst`) and wakes a sleeper only when no worker searches and some
//!   worker sleeps.
//! - **I3** Parker: [`IdleWorkers::transition_worker_to_parked`] lists the worker and drops its
//!   counts with a `SeqCst` RMW, then `fence(SeqCst)`; if it was the *last searcher*, it scans
//!   every queue once more before it sleeps and wakes a worker if it finds work. By I2 and I3
//!   (store; `SeqCst` fence; load on both sides), either the submitter sees the searcher still
//!   counted (and the searcher's re-scan sees the work), or the submitter sees nobody searching
//!   and wakes a sleeper. No work is left with every worker asleep.
//! - **I4** A notifier that takes a sleeper off the list counts it as searching and unparked in
//!   the same critical section, so a woken worker starts as a searcher, and a second notifier
//!   sees it searching and does not wake a third (no thundering herd).
//! - **I5** A searcher that finds work leaves the searching state; if it was the last searcher,
//!   it wakes another worker, since more work may be queued behind what it found.
//! - **I6** A worker that wakes while still on the sleeper list was woken spuriously and parks
//!   again ([`IdleWorkers::is_parked`]).
//! - **I7** A spinner that finds work stays a searcher through the turn; after it, a
//!   `fence(SeqCst)` and a look at the queues: when more is queued than it takes next, it
//!   stops searching as in I5. A submitter that saw it searching woke nobody, and its work is
//!   in that look or in the spinner's later search (which ends in I3 like any searcher's). A
//!   turn that waits for an ask stops searching as in I5 before it waits (`help_until`): the
//!   wait may be long, and while it lasts the worker takes one turn at a time between looks
//!   at the answer, which is not searching.
//!
//! # Field access
//!
//! - `state`: RMW by workers (searching/parking) and notifiers (waking); loads by both.
//! - `sleepers`: under its lock, by parkers (push), notifiers (pop) and `is_parked` (scan).

use crossbeam_utils::CachePadded;

use crate::WorkerId;
use crate::sync::{AtomicUsize, Mutex, Ordering};

const SEARCHING_ONE: usize = 1;
const UNPARKED_SHIFT: usize = 16;
const UNPARKED_ONE: usize = 1 << UNPARKED_SHIFT;
const COUNT_MASK: usize = (1 << UNPARKED_SHIFT) - 1;

/// The idle-worker accounting of one scheduler.
///
/// ```
/// use courier_sched::{IdleWorkers, WorkerId};
/// // Two workers on node 0, one on node 1.
/// let idle = IdleWorkers::new(&[0, 0, 1]);
/// assert!(idle.transition_worker_to_searching());
/// // The only searcher parks: it is the last one, so it re-scans the queues first (I3).
/// assert!(idle.transition_worker_to_parked(WorkerId(2), true));
/// // Worker 2 sleeps and nobody searches: work for node 1 wakes it.
/// assert_eq!(idle.worker_to_notify(1), Some(WorkerId(2)));
/// assert!(!idle.is_parked(WorkerId(2)));
/// // It counts as searching now, so the next piece of work wakes nobody else (I4).
/// assert_eq!(idle.worker_to_notify(0), None);
/// ```
#[derive(Debug)]
pub struct IdleWorkers {
    state: CachePadded<AtomicUsize>,
    workers_len: usize,
    /// The sleeping workers of each node, most recent last.
    sleepers: Mutex<Vec<Vec<WorkerId>>>,
    /// The node of each worker, by worker index.
    node_of: Box<[u16]>,
    /// For each node, the other nodes whose sleepers wake for its work when it has none,
    /// nearest first (`with_wake_order`); empty: by node number.
    wake_order: Box<[Box<[u16]>]>,
}

impl IdleWorkers {
    /// Accounting for workers whose nodes are `node_of[worker]` (node numbers as indices), all
    /// starting unparked and not searching.
    ///
    /// # Panics
    /// With no workers, or more than 65,535 (the counters' width).
    #[must_use]
    pub fn new(node_of: &[u16]) -> IdleWorkers {
        let workers_len = node_of.len();
        assert!(
            (1..=COUNT_MASK).contains(&workers_len),
            "{workers_len} workers"
        );
        let nodes_len = node_of
            .iter()
            .map(|&node| usize::from(node) + 1)
            .max()
            .unwrap_or(1);
        IdleWorkers {
            state: CachePadded::new(AtomicUsize::new(workers_len << UNPARKED_SHIFT)),
            workers_len,
            sleepers: Mutex::new(vec![Vec::new(); nodes_len]),
            node_of: node_of.into(),
            wake_order: Box::default(),
        }
    }

    /// As [`IdleWorkers::new`], and work for a node with no sleeper wakes one of the node
    /// nearest to it that has one: `wake_order[node]` lists the other nodes nearest first (a
    /// runtime takes it from its placement's steal order); a node it does not list, or lists
    /// nothing for, falls back to node number order.
    ///
    /// ```
    /// use courier_sched::{IdleWorkers, WorkerId};
    /// // Workers on nodes 0, 1 and 2; node 2 is nearer to node 0 than node 1 is.
    /// let idle = IdleWorkers::with_wake_order(&[0, 1, 2], vec![vec![2, 1], vec![0, 2], vec![0, 1]]);
    /// let _ = idle.transition_worker_to_parked(WorkerId(1), false);
    /// let _ = idle.transition_worker_to_parked(WorkerId(2), false);
    /// // Node 0's worker is busy: its work wakes the sleeper of node 2, the nearest.
    /// assert_eq!(idle.worker_to_notify(0), Some(WorkerId(2)));
    /// ```
    ///
    /// # Panics
    /// As [`IdleWorkers::new`].
    #[must_use]
    pub fn with_wake_order(node_of: &[u16], wake_order: Vec<Vec<u16>>) -> IdleWorkers {
        IdleWorkers {
            wake_order: wake_order.into_iter().map(Vec::into_boxed_slice).collect(),
            ..IdleWorkers::new(node_of)
        }
    }

    /// Asks to become a searcher; `false` when half the workers already search.
    #[must_use]
    pub fn transition_worker_to_searching(&self) -> bool {
        // ORDERING: SeqCst, the order of I2/I3: a searcher's count must be visible to a
        // submitter's SeqCst load before the searcher's own scan of the queues.
        let state = self.state.load(Ordering::SeqCst);
        if 2 * (state & COUNT_MASK) >= self.workers_len {
            return false;
        }
        // ORDERING: SeqCst, as above. The cap is approximate: two workers may pass it together.
        self.state.fetch_add(SEARCHING_ONE, Ordering::SeqCst);
        true
    }

    /// A searcher found work and stops searching. `true` when it was the last searcher: the
    /// caller must then wake another worker (I5).
    #[must_use]
    pub fn transition_worker_from_searching(&self) -> bool {
        // ORDERING: SeqCst; a submitter that reads the count after this must see it dropped, so
        // it wakes a sleeper rather than rely on a searcher that is gone (I2).
        let before = self.state.fetch_sub(SEARCHING_ONE, Ordering::SeqCst);
        debug_assert!(
            before & COUNT_MASK > 0,
            "I1: more searchers left than entered"
        );
        before & COUNT_MASK == 1
    }

    /// Lists `worker` as sleeping and drops its counts. `true` when it was the last searcher:
    /// the caller must then re-scan every queue before it sleeps (I3).
    #[must_use]
    pub fn transition_worker_to_parked(&self, worker: WorkerId, is_searching: bool) -> bool {
        let mut sleepers = self.sleepers.lock();
        let searching = if is_searching { SEARCHING_ONE } else { 0 };
        // ORDERING: SeqCst, I3's half of the store/fence/load pattern against a submitter that
        // pushed work and then reads `state` after a SeqCst fence (I2). The caller follows
        // with `fence(SeqCst)` before its re-scan.
        let before = self
            .state
            .fetch_sub(UNPARKED_ONE + searching, Ordering::SeqCst);
        debug_assert!(
            before >> UNPARKED_SHIFT > 0,
            "I1: more workers parked than exist"
        );
        sleepers[usize::from(self.node_of[worker.index()])].push(worker);
        is_searching && before & COUNT_MASK == 1
    }

    /// Whom to wake for new work on `node`, if anyone; the caller unparks that worker. Call it
    /// after publishing the work and a `fence(SeqCst)` (I2).
    #[must_use]
    pub fn worker_to_notify(&self, node: u16) -> Option<WorkerId> {
        if !self.should_wake() {
            return None;
        }
        let mut sleepers = self.sleepers.lock();
        // Re-check under the lock: another notifier may have woken a searcher meanwhile (I4).
        if !self.should_wake() {
            return None;
        }
        let home = usize::from(node).min(sleepers.len() - 1);
        let nearest = self
            .wake_order
            .get(home)
            .map_or(&[][..], |order| &order[..]);
        let worker = sleepers[home]
            .pop()
            .or_else(|| {
                // The nearest node with a sleeper (the lists are short: nodes, then sleepers).
                nearest
                    .iter()
                    .find_map(|&other| sleepers.get_mut(usize::from(other))?.pop())
            })
            .or_else(|| sleepers.iter_mut().find_map(Vec::pop))?;
        // ORDERING: SeqCst; counted before it runs, so the next notifier sees a searcher (I4).
        self.state
            .fetch_add(SEARCHING_ONE + UNPARKED_ONE, Ordering::SeqCst);
        Some(worker)
    }

    /// Whether `worker` is still listed as sleeping: a worker that wakes and finds itself listed
    /// woke spuriously and parks again (I6).
    #[must_use]
    pub fn is_parked(&self, worker: WorkerId) -> bool {
        let sleepers = self.sleepers.lock();
        sleepers[usize::from(self.node_of[worker.index()])].contains(&worker)
    }

    /// A parked worker woke by itself (its park timed out for a timer): takes it off the
    /// sleeper list and counts it unparked, not searching. `false` when a notifier took it off
    /// first; it is then counted as a searcher already (I4).
    #[must_use]
    pub fn transition_worker_from_parked(&self, worker: WorkerId) -> bool {
        let mut sleepers = self.sleepers.lock();
        let list = &mut sleepers[usize::from(self.node_of[worker.index()])];
        let Some(position) = list.iter().position(|w| *w == worker) else {
            return false;
        };
        list.swap_remove(position);
        // ORDERING: SeqCst, as in `worker_to_notify`: counted before it runs.
        self.state.fetch_add(UNPARKED_ONE, Ordering::SeqCst);
        true
    }

    /// Takes `worker` off the sleeper list, counted as a searcher (as a notifier's wake, I4),
    /// for work queued on that worker alone (a pinned actor's inbox, P1). Returns whether it
    /// was listed, i.e. whether the caller must unpark its thread.
    ///
    /// The caller publishes the work and issues `fence(SeqCst)` first (P1): then either this
    /// load sees the parker's update of `state` (and the lock below orders the rest), or the
    /// parker's re-check after its own fence sees the work (P2). So a submitter whose worker
    /// is awake (the common case) takes no lock.
    #[must_use]
    pub fn wake_worker(&self, worker: WorkerId) -> bool {
        // ORDERING: SeqCst, P1's load after the submitter's SeqCst fence, against the parker's
        // SeqCst update of `state`; fence; re-check (P2).
        if self.state.load(Ordering::SeqCst) >> UNPARKED_SHIFT == self.workers_len {
            return false;
        }
        let mut sleepers = self.sleepers.lock();
        let list = &mut sleepers[usize::from(self.node_of[worker.index()])];
        let Some(position) = list.iter().position(|w| *w == worker) else {
            return false;
        };
        list.swap_remove(position);
        // ORDERING: SeqCst, as in `worker_to_notify`: counted before it runs (I4).
        self.state
            .fetch_add(SEARCHING_ONE + UNPARKED_ONE, Ordering::SeqCst);
        true
    }

    /// Takes every sleeper off the list (for shutdown), counting them unparked again.
    #[must_use]
    pub fn wake_all(&self) -> Vec<WorkerId> {
        let mut sleepers = self.sleepers.lock();
        let woken: Vec<WorkerId> = sleepers.iter_mut().flat_map(std::mem::take).collect();
        // ORDERING: SeqCst, as in `worker_to_notify`.
        self.state
            .fetch_add(woken.len() * UNPARKED_ONE, Ordering::SeqCst);
        woken
    }

    /// Workers searching now (a snapshot).
    #[must_use]
    pub fn searching_len(&self) -> usize {
        // ORDERING: Relaxed; a snapshot for metrics.
        self.state.load(Ordering::Relaxed) & COUNT_MASK
    }

    /// Workers not parked now (a snapshot).
    #[must_use]
    pub fn unparked_len(&self) -> usize {
        // ORDERING: Relaxed; a snapshot for metrics.
        self.state.load(Ordering::Relaxed) >> UNPARKED_SHIFT
    }

    fn should_wake(&self) -> bool {
        // ORDERING: SeqCst, I2's load after the submitter's SeqCst fence.
        let state = self.state.load(Ordering::SeqCst);
        state & COUNT_MASK == 0 && (state >> UNPARKED_SHIFT) < self.workers_len
    }
}
