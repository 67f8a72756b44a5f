//! A worker thread: its LIFO slot, its run queue, stealing in placement order, and parking.
//!
//! Where a runnable actor goes (`research/lowlevel.md` §6.2): a send from a worker of the
//! actor's home node puts it in that worker's LIFO slot (message-passing locality; at most
//! `LIFO_STREAK_MAX` turns in a row, as tokio caps it), displacing the previous occupant to the
//! run queue; any other send pushes it to the home node's injector. An idle worker steals in its
//! placement's order (shared L3, node, node injector, other nodes by distance), becomes a
//! searcher if the cap allows, spins if it is one of its node's spinners, then parks (I1-I7 of
//! `idle.rs`). Before any of that, a turn that emptied its mailbox on a worker with nothing
//! else to run waits a moment for the next message (`Worker::linger`).

use std::ptr::NonNull;
use std::sync::Arc;

use crossbeam_deque::{Injector, Steal, Stealer, Worker as Deque};

use courier_alloc::{Block, PoolConfig, PoolSet, SizeClass, Trimmed};

use std::time::{Duration, Instant};

use crate::cell::{ActorPtr, TurnEnd};
use crate::idle_trim::{IdleTrim, TRIM_KEEP_BYTES};
use crate::memory::WorkerPools;
use crate::metrics::WorkerCounters;
use crate::panic::AbortOnUnwind;
use crate::pause::{LingerPlan, pause};
use crate::runtime::Shared;
use crate::sync::{Cell, RefCell, StdOrdering, UnsafeCell, std_fence};
use crate::timer::{Fire, TimerHandle, TimerWheel};
use crate::{ActorId, StealTier, WorkerId};

/// Turns in a row an actor may take through the LIFO slot before it goes to the queue's back.
const LIFO_STREAK_MAX: u8 = 3;
/// Every this many turns the node injector is polled first, so outside sends never starve.
const INJECTOR_POLL_INTERVAL: u32 = 61;
/// Rounds a spinner searches (with backoff) before it parks.
const SPIN_ROUNDS_MAX: u32 = 200;
/// Runtime references a worker banks at a time (`take_runtime_ref`).
const RUNTIME_REF_BANK: usize = 256;
/// Actor ids a worker reserves at a time (`take_actor_id`).
const ACTOR_ID_BLOCK: u64 = 1024;
/// Every this many picks the FIFO queue goes before the nursery.
const FIFO_SHARE_INTERVAL: u32 = 8;
/// Spin rounds that watch for work with `PAUSE` before the rest yield the CPU instead.
const SPIN_WATCH_ROUNDS: u32 = 16;
/// The longest watch of a round: 2^10 `PAUSE`s.
const SPIN_WATCH_SHIFT_MAX: u32 = 10;
/// Every this many polls a lingering worker looks at its neighbours' run queues.
const LINGER_NEIGHBOUR_INTERVAL: u32 = 2;
/// Waits in a row that found a message already there before the turn lets a batch gather.
/// A ping-pong player finds its reply at the first poll in about a quarter of its waits here
/// (its own send and commit can outlast half a round trip); at 2 in a row, 5% of its waits
/// paid a whole batch (the report's round trip went from 0.7 to 1.2-1.6 us); at 8, ~0.002%.
/// A stream's consumer finds a message at every first poll, so it gets there within 8.
const LINGER_STREAM_STREAK: u8 = 8;
/// Empty turns in a row (`TurnEnd::Stalled`) after which a worker yields its CPU at each one:
/// a producer that was not preempted links its message long before (~1 us of such turns).
const STALLED_YIELD_AFTER: u32 = 32;
/// Empty turns in a row after which a worker naps (parks for `STALLED_SLEEP`) at each one instead.
const STALLED_SLEEP_AFTER: u32 = 64;
/// A stalled worker's nap: long enough for the OS to see its CPU idle and move a waiting
/// thread onto it, short against the time slice the producer would otherwise wait.
const STALLED_SLEEP: Duration = Duration::from_micros(50);
/// Waits nested inside one another beyond which a waiting handler blocks its worker instead
/// of helping (`Worker::help_until`): each level holds a turn's frames on this thread's stack.
const HELP_DEPTH_MAX: u8 = 8;
/// How long a helping worker with nothing to run sleeps before it looks again. The answer it
/// waits for wakes it (`reply.rs`), but work queued by other threads (injectors, its pinned
/// actors' inbox, other workers' queues) does not: the idle protocol wakes parked workers only.
const HELP_NAP: Duration = Duration::from_micros(200);

thread_local! {
    static CURRENT: Cell<Option<NonNull<Worker>>> = const { Cell::new(None) };
    static OUTSIDE_POOLS: UnsafeCell<Option<PoolSet>> = const { UnsafeCell::new(None) };
}

/// A turn's waits for its next message (`Worker::linger`).
///
/// A consumer that keeps up with a steady sender empties the mailbox at every message, and
/// every empty mailbox moves its producers' line between the two (the stub's link, the turn's
/// commit, the next push): on this machine that made one sender 3x slower than a consumer that
/// lags. So when waits keep finding a message already there (a stream, not a reply), the turn
/// lets a batch gather before it goes on.
pub(crate) struct Linger {
    /// Polls left; topped up whenever a round of the turn handles something, so only a wait
    /// that sees no progress (a producer preempted mid-push) runs out.
    polls_left: u32,
    /// A wait's full length in polls: the worker's `LingerPlan`, 0 where it never lingers.
    polls_full: u32,
    /// Waits in a row that found a message at the first poll; carried over to the actor's next
    /// turn when this one spent its budget (`Worker::keep_linger`).
    streak: u8,
}

impl Linger {
    /// A round of the turn handled messages: the next wait gets its full length.
    pub(crate) fn on_progress(&mut self) {
        self.polls_left = self.polls_full;
    }

    /// A wait found a message; `true` when the waits look like a stream (the last
    /// `LINGER_STREAM_STREAK` all found one at their first poll).
    fn is_stream(&mut self, at_first_poll: bool) -> bool {
        self.streak = if at_first_poll {
            self.streak.saturating_add(1)
        } else {
            0
        };
        self.streak >= LINGER_STREAM_STREAK
    }
}

/// What a turn that ended with its actor queued again leaves the actor's next turn on the same
/// worker (`Worker::keep_linger`).
#[derive(Clone, Copy)]
struct KeptLinger {
    /// The actor's cell; 0: none.
    address: usize,
    /// `Linger::streak`: a stream's consumer spends its budget and comes back, and its next
    /// turn goes on counting where this one stopped.
    streak: u8,
    /// The turn spent its activation budget: its actor had messages coming.
    spent: bool,
}

impl KeptLinger {
    const NONE: KeptLinger = KeptLinger {
        address: 0,
        streak: 0,
        spent: false,
    };

    /// The lingering state of the next turn of the actor at `address`, given what the last
    /// requeued turn here kept, and a wait's full length.
    fn next_turn(self, address: usize, polls_full: u32) -> Linger {
        let same_actor = self.address == address;
        Linger {
            // A turn lingers once it has handled something; one that follows a turn of the
            // same actor that spent its budget has: a pinned ping-pong player's next turn
            // found its mailbox empty (the ball was on its way back), ended idle at once, and
            // the ball then had to schedule it through its worker's inbox (79,000 of 91,000
            // turns in 3 M round trips; 268-284 ns a round trip against 249 with this).
            polls_left: if same_actor && self.spent {
                polls_full
            } else {
                0
            },
            polls_full,
            streak: if same_actor { self.streak } else { 0 },
        }
    }
}

/// What a worker does after a stalled turn (`Worker::back_off_stalled`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StalledBackOff {
    /// Runs on: the producer is most likely about to link its message.
    Retry,
    /// Yields its CPU to a thread waiting for it.
    Yield,
    /// Naps: parks for `STALLED_SLEEP` (a stray unpark ends it early, which is harmless),
    /// leaving its CPU idle.
    Sleep,
}

impl StalledBackOff {
    /// The back-off after the `stalled`th stalled turn in a row.
    fn after(stalled: u32) -> StalledBackOff {
        if stalled >= STALLED_SLEEP_AFTER {
            StalledBackOff::Sleep
        } else if stalled >= STALLED_YIELD_AFTER {
            StalledBackOff::Yield
        } else {
            StalledBackOff::Retry
        }
    }
}

/// Where a runnable actor came from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Took {
    /// This worker's inbox, LIFO slot, nursery or queue.
    Own,
    /// Its node's injector or another worker's queue (stolen).
    Shared,
}

/// Where a worker looks for work, flattened from its placement's steal order.
#[derive(Debug)]
enum Tier {
    Workers(Vec<usize>),
    Injector(usize),
}

/// One worker thread's state. It lives on the thread's stack; handlers reach it through the
/// thread-local `CURRENT` (to send with its pools and schedule into its LIFO slot), so every
/// mutable part is a `Cell` or an `UnsafeCell`: one thread, and
///
/// - **W1** `pools` is borrowed mutably only inside `with_pools`, `free_block` and the send
///   path's `pack` (through `thread_pools`), and `cell_pools` only inside `alloc_cell`,
///   `free_cell` and `flush_remote_frees`, and both inside `with_pool_sets` (a parked
///   worker's trim): all run allocator code and never user code, so no two borrows of either
///   overlap.
pub(crate) struct Worker {
    id: WorkerId,
    node: u16,
    shared: Arc<Shared>,
    lifo: Cell<Option<ActorPtr>>,
    lifo_streak: Cell<u8>,
    local: Deque<ActorPtr>,
    /// Actors spawned by handlers here, newest first (LIFO): a spawning tree runs depth-first,
    /// so only a path of it is alive at once, while thieves take the oldest (largest subtrees).
    nursery: Deque<ActorPtr>,
    pools: UnsafeCell<PoolSet>,
    /// The cells of actors spawned here for this worker's node (`cell_memory.rs`).
    cell_pools: UnsafeCell<PoolSet>,
    tick: Cell<u32>,
    rng: Cell<u32>,
    tiers: Vec<Tier>,
    is_spinner: bool,
    /// How a turn that emptied its mailbox waits for the next message (`linger`): set by `run`
    /// (measured on this worker's core); `None` in a `LocalRuntime`'s `run_until_idle`, which
    /// must return once idle, so it never lingers.
    linger_plan: Cell<Option<LingerPlan>>,
    /// What the last turn that ended with its actor queued again leaves its next turn here
    /// (`keep_linger`).
    kept_linger: Cell<KeptLinger>,
    /// Turns in a row here that ended `TurnEnd::Stalled` (`back_off_stalled`).
    stalled_turns: Cell<u32>,
    /// This worker's counters in `shared` (`Shared::metrics`), found once: the turn bumps
    /// two of them, and the lookup's bounds check was 10 instructions a turn.
    own_counters: NonNull<WorkerCounters>,
    /// Timers set by handlers on this worker (`timer.rs`).
    timers: RefCell<TimerWheel>,
    /// When a parked worker gives its pools' free memory back (`idle_trim.rs`).
    idle_trim: IdleTrim,
    /// The rest of this worker's block of actor ids: next, end.
    actor_ids: Cell<(u64, u64)>,
    /// Counts of `shared`'s `Arc` that this worker holds beyond its own, banked for the cells
    /// it spawns (`take_runtime_ref`) and topped up by the cells dropped here
    /// (`give_back_runtime_ref`). Every cell holds a counted reference to its runtime; cloning
    /// and dropping it moved one line between the workers on every spawn and every exit (a
    /// third of skynet). The bank settles with the shared count in runs of `RUNTIME_REF_BANK`
    /// and gives everything back when the worker is dropped, so the count is never low: at
    /// worst the runtime lives until its workers are gone, which it does anyway.
    runtime_refs: Cell<usize>,
    /// Waits of handlers on this thread that are helping (`help_until`), nested.
    helping_depth: Cell<u8>,
    /// The turn running now was taken by a spinner that is still counted as searching (I7);
    /// a wait in it stops searching (`help_until`) and clears this, and `run_actor` then
    /// knows.
    searching_in_turn: Cell<bool>,
}

impl Drop for Worker {
    fn drop(&mut self) {
        let banked = self.runtime_refs.replace(0);
        let shared = Arc::as_ptr(&self.shared);
        for _ in 0..banked {
            // SAFETY: the bank holds `banked` counts of this `Arc`, taken by
            // `increment_strong_count` or left by a forgotten clone; `self.shared` keeps one
            // more, so none of these is the last.
            unsafe { Arc::decrement_strong_count(shared) };
        }
    }
}

impl Worker {
    pub(crate) fn new(
        id: WorkerId,
        shared: Arc<Shared>,
        (local, nursery): crate::runtime::RunQueues,
        pools: WorkerPools,
        is_spinner: bool,
    ) -> Worker {
        let own_counters = NonNull::from(shared.metrics(id));
        let idle_trim = IdleTrim::new(shared.settings().trim_after_idle);
        let plan = shared.placement().worker(id);
        let node = plan.node.0;
        let tiers = plan
            .steal_order
            .tiers()
            .iter()
            .flat_map(|tier| match tier {
                StealTier::SharedL3 { workers } | StealTier::SameNode { workers } => {
                    vec![Tier::Workers(workers.iter().map(|w| w.index()).collect())]
                }
                StealTier::NodeInjector { node } => vec![Tier::Injector(node.index())],
                StealTier::RemoteNode { node, workers, .. } => vec![
                    Tier::Workers(workers.iter().map(|w| w.index()).collect()),
                    Tier::Injector(node.index()),
                ],
            })
            .collect();
        Worker {
            id,
            node,
            shared,
            lifo: Cell::new(None),
            lifo_streak: Cell::new(0),
            local,
            nursery,
            pools: UnsafeCell::new(pools.messages),
            cell_pools: UnsafeCell::new(pools.cells),
            tick: Cell::new(0),
            rng: Cell::new(u32::from(id.0).wrapping_mul(0x9e37_79b9) | 1),
            tiers,
            is_spinner,
            linger_plan: Cell::new(None),
            kept_linger: Cell::new(KeptLinger::NONE),
            stalled_turns: Cell::new(0),
            own_counters,
            timers: RefCell::new(TimerWheel::new(Instant::now())),
            idle_trim,
            actor_ids: Cell::new((0, 0)),
            runtime_refs: Cell::new(0),
            helping_depth: Cell::new(0),
            searching_in_turn: Cell::new(false),
        }
    }

    /// The lingering state of a turn of the actor at `address`, sized by this worker's plan.
    #[inline]
    pub(crate) fn new_linger(&self, address: usize) -> Linger {
        let polls_full = self.linger_plan.get().map_or(0, |plan| plan.polls);
        let kept = self.kept_linger.get();
        // Most turns follow no requeued turn here: nothing kept, nothing to clear.
        if kept.address == 0 {
            return Linger {
                polls_left: 0,
                polls_full,
                streak: 0,
            };
        }
        self.kept_linger.set(KeptLinger::NONE);
        kept.next_turn(address, polls_full)
    }

    /// Keeps the lingering state of a turn that ended with its actor queued again, for the
    /// actor's next turn here: `spent` when the turn spent its activation budget (rather than
    /// meeting a producer mid-push, which its next turn should not wait for).
    #[inline]
    pub(crate) fn keep_linger(&self, address: usize, linger: &Linger, spent: bool) {
        self.kept_linger.set(KeptLinger {
            address,
            streak: linger.streak,
            spent,
        });
    }

    /// This worker's counters.
    #[inline]
    fn counters(&self) -> &WorkerCounters {
        // SAFETY: `own_counters` points into `shared`'s boxed slice of counters, which is never
        // resized and lives as long as the `Arc` this worker holds.
        unsafe { self.own_counters.as_ref() }
    }

    pub(crate) fn id(&self) -> WorkerId {
        self.id
    }

    pub(crate) fn node(&self) -> u16 {
        self.node
    }

    pub(crate) fn runtime(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// The next id of this worker's block, reserving a new block when it runs out.
    pub(crate) fn take_actor_id(&self) -> ActorId {
        let (mut next, mut end) = self.actor_ids.get();
        if next == end {
            next = self.shared.reserve_actor_ids(ACTOR_ID_BLOCK).0;
            end = next + ACTOR_ID_BLOCK;
        }
        self.actor_ids.set((next + 1, end));
        ActorId(next)
    }

    /// A counted reference to this worker's runtime, from the bank (refilled in bulk).
    pub(crate) fn take_runtime_ref(&self) -> Arc<Shared> {
        let shared = Arc::as_ptr(&self.shared);
        let mut banked = self.runtime_refs.get();
        if banked == 0 {
            for _ in 0..RUNTIME_REF_BANK {
                // SAFETY: `shared` comes from a live `Arc` (`self.shared`).
                unsafe { Arc::increment_strong_count(shared) };
            }
            banked = RUNTIME_REF_BANK;
        }
        self.runtime_refs.set(banked - 1);
        // SAFETY: one of the counts banked above, now owned by the returned `Arc`.
        unsafe { Arc::from_raw(shared) }
    }

    /// Takes back a counted reference to this worker's runtime into the bank, settling with
    /// the shared count when the bank grows past twice its refill.
    pub(crate) fn give_back_runtime_ref(&self, runtime: Arc<Shared>) {
        debug_assert!(
            Arc::ptr_eq(&runtime, &self.shared),
            "another runtime's reference"
        );
        let shared = Arc::into_raw(runtime);
        let mut banked = self.runtime_refs.get() + 1;
        if banked > 2 * RUNTIME_REF_BANK {
            for _ in 0..RUNTIME_REF_BANK {
                // SAFETY: the bank holds more than these counts, and `self.shared` one more.
                unsafe { Arc::decrement_strong_count(shared) };
            }
            banked -= RUNTIME_REF_BANK;
        }
        self.runtime_refs.set(banked);
    }

    #[inline]
    pub(crate) fn activation_budget(&self) -> u32 {
        self.shared.settings().activation_budget
    }

    /// Returns a message block: to this worker's pool when it came from there.
    #[inline]
    pub(crate) fn free_block(&self, block: Block) {
        // SAFETY: W1: no other borrow of the pools is live; this one ends before we return.
        unsafe { &mut *self.pools.get() }.free(block);
    }

    /// A block for a cell of an actor of this worker's node (`cell_memory::allocate`); `None`
    /// when the pool cannot grow.
    #[inline]
    pub(crate) fn alloc_cell(&self, class: SizeClass) -> Option<Block> {
        // SAFETY: W1: no other borrow of the cell pools is live; this one ends before we return.
        unsafe { &mut *self.cell_pools.get() }.try_alloc(class).ok()
    }

    /// Sends the blocks of other threads' pools (messages and cells) freed here home now:
    /// called whenever this worker runs out of local work, so a batch (courier-alloc's
    /// `free_batch.rs`) never waits on a worker that searches, spins or sleeps.
    fn flush_remote_frees(&self) {
        // SAFETY: W1: no other borrow of the pools is live; these end before we return.
        unsafe { &mut *self.pools.get() }.flush_remote_frees();
        // SAFETY: as above.
        unsafe { &mut *self.cell_pools.get() }.flush_remote_frees();
    }

    /// Runs `f` on this worker's two pool sets (messages, cells): allocator code only (W1),
    /// for a parked worker's look at its memory (`idle_trim.rs`).
    fn with_pool_sets<R>(&self, f: impl FnOnce(&mut [&mut PoolSet; 2]) -> R) -> R {
        // SAFETY: W1: `f` runs allocator code and never user code, so no other borrow of
        // either set is live; both end before we return.
        let messages = unsafe { &mut *self.pools.get() };
        // SAFETY: as above; the two cells are distinct.
        let cells = unsafe { &mut *self.cell_pools.get() };
        f(&mut [messages, cells])
    }

    /// Trims this worker's pools now, whatever `idle_trim` would say, as far as it goes: a
    /// `LocalRuntime`'s worker never parks, so its caller asks between runs.
    #[cold]
    #[inline(never)]
    pub(crate) fn trim_now(&self) -> Trimmed {
        let trimmed = self.with_pool_sets(|sets| {
            let mut trimmed = Trimmed::default();
            for set in sets.iter_mut() {
                set.drain_remote();
                trimmed.add(set.trim(TRIM_KEEP_BYTES, || true));
            }
            trimmed
        });
        self.counters()
            .add_trim(trimmed.bytes_released + trimmed.bytes_unmapped);
        trimmed
    }

    /// A parked worker's look at its pools (`idle_trim.rs`): when a trim is due, takes the
    /// blocks freed elsewhere home, and gives the wholly free slabs back to the kernel if the
    /// free bytes are then worth a walk, for as long as the worker stays parked (courier-alloc's
    /// `trim.rs`).
    #[cold]
    #[inline(never)]
    fn look_for_trim(&self) {
        let idle = self.shared.idle();
        let still_parked = || idle.is_parked(self.id) && !self.shared.is_shut_down();
        let free_bytes = |sets: &[&mut PoolSet; 2]| -> usize {
            sets.iter().map(|set| set.local_free_bytes()).sum()
        };
        let trimmed = self.with_pool_sets(|sets| {
            let remote_frees = sets.iter().any(|set| set.has_remote_frees());
            if !self.idle_trim.is_due(free_bytes(sets), remote_frees) {
                return None;
            }
            for set in sets.iter_mut() {
                set.drain_remote();
            }
            if !self.idle_trim.is_due(free_bytes(sets), false) {
                return None;
            }
            let mut trimmed = Trimmed::default();
            for set in sets.iter_mut() {
                trimmed.add(set.trim(TRIM_KEEP_BYTES, still_parked));
                if trimmed.stopped {
                    return Some(trimmed);
                }
            }
            self.idle_trim.trimmed(free_bytes(sets));
            Some(trimmed)
        });
        if let Some(trimmed) = trimmed {
            self.counters()
                .add_trim(trimmed.bytes_released + trimmed.bytes_unmapped);
        }
    }

    /// Counts an actor's exit (its turn runs here).
    #[inline]
    pub(crate) fn count_exit(&self, panicked: bool) {
        self.counters().add_exit(panicked);
    }

    #[inline]
    pub(crate) fn count_messages(&self, handled: u32) {
        self.counters().add_messages(u64::from(handled));
    }

    /// Runs the worker until the runtime shuts down.
    pub(crate) fn run(&self) {
        CURRENT.with(|current| current.set(Some(NonNull::from(self))));
        self.linger_plan.set(Some(LingerPlan::measure()));
        let mut searching = false;
        while !self.shared.is_shut_down() {
            self.fire_timers();
            if let Some((actor, took)) = self.next_local() {
                self.run_actor(actor, took, &mut searching);
                continue;
            }
            self.flush_remote_frees();
            if !searching {
                searching = self.shared.idle().transition_worker_to_searching();
            }
            if searching && let Some(actor) = self.steal() {
                self.run_actor(actor, Took::Shared, &mut searching);
                continue;
            }
            if self.is_spinner && self.spin(&mut searching) {
                continue;
            }
            self.park(&mut searching);
        }
        self.drain_on_exit();
        CURRENT.with(|current| current.set(None));
    }

    /// Runs actors on the calling thread until none is runnable (a [`LocalRuntime`] turn).
    /// Due timers fire; timers not due yet wait for a later call.
    ///
    /// [`LocalRuntime`]: crate::LocalRuntime
    pub(crate) fn run_until_idle(&self) {
        let previous = CURRENT.with(|current| current.replace(Some(NonNull::from(self))));
        let mut searching = false;
        self.fire_timers();
        while let Some((actor, took)) = self.next_local().or_else(|| self.steal_shared()) {
            self.run_actor(actor, took, &mut searching);
            self.fire_timers();
        }
        self.flush_remote_frees();
        CURRENT.with(|current| current.set(previous));
    }

    /// Runs this worker's queued actors (its own queues, then its node's injector), its due
    /// timers, and what it steals as an idle worker would, while a handler on this thread
    /// waits, until `done` or `deadline` (rayon's `wait_until`, for an ask's
    /// [`Reply::wait_timeout`], which then looks at the answer itself).
    ///
    /// A handler that asks and waits has just queued the asked actor here, in the LIFO slot no
    /// other worker takes from: blocking the thread would leave it there until the timeout,
    /// however many workers the runtime has. The waiting actor keeps its turn (its own
    /// messages wait, as an Erlang process in a call), and each helped turn is whole: the
    /// actors are distinct, and the worker's state a turn leaves behind (linger, streaks) is a
    /// heuristic. Nested turns do not linger: the wait ends when the answer is there.
    ///
    /// It returns at once where it cannot help, and the caller blocks: the runtime is shutting
    /// down, the waits here are nested `HELP_DEPTH_MAX` deep, or the wait is inside a timer's
    /// closure (the wheel is borrowed, and a helped turn setting a timer would find it so).
    ///
    /// [`Reply::wait_timeout`]: crate::Reply::wait_timeout
    #[cold]
    pub(crate) fn help_until(&self, deadline: Instant, done: &dyn Fn() -> bool) {
        // I5 and I7: a spinner that ran this turn still counted as a searcher would keep every
        // wake-up away for as long as the wait lasts (helping, it takes one turn at a time
        // between looks at the answer; blocked, none).
        let mut searching = self.searching_in_turn.replace(false);
        if searching {
            self.stop_searching(&mut searching);
        }
        let depth = self.helping_depth.get();
        if depth >= HELP_DEPTH_MAX
            || self.shared.is_shut_down()
            || self.timers.try_borrow_mut().is_err()
        {
            return;
        }
        self.helping_depth.set(depth + 1);
        let linger_plan = self.linger_plan.replace(None);
        while !done() {
            // Before each turn: work that never runs out must not hold the wait past its
            // deadline.
            let now = Instant::now();
            if now >= deadline || self.shared.is_shut_down() {
                break;
            }
            self.fire_timers();
            if let Some((actor, _)) = self.next_local().or_else(|| self.steal_shared()) {
                self.run_turn(actor);
                continue;
            }
            std::thread::park_timeout((deadline - now).min(HELP_NAP));
        }
        self.linger_plan.set(linger_plan);
        self.helping_depth.set(depth);
    }

    /// Sets a timer on this worker.
    pub(crate) fn set_timer(
        &self,
        delay: Duration,
        every: Option<Duration>,
        fire: Fire,
    ) -> TimerHandle {
        let deadline = Instant::now() + delay;
        self.timers.borrow_mut().insert(deadline, every, fire)
    }

    /// Fires the timers that are due (an `Instant::now()` only when there are timers).
    fn fire_timers(&self) {
        let mut timers = self.timers.borrow_mut();
        if !timers.is_empty() {
            // Firing only sends (`try_send`), never sets timers: no re-entrant borrow.
            timers.fire_due(Instant::now());
        }
    }

    #[expect(
        clippy::inline_always,
        reason = "once per turn; inlined with `next_local` into the worker loops, 12 instructions a hop of a same-worker ping-pong fewer (callgrind)"
    )]
    #[inline(always)]
    fn run_actor(&self, actor: ActorPtr, took: Took, searching: &mut bool) {
        // I7 is for work a spinner takes from a shared queue; its own queues' work (a LIFO
        // chain of messages, its nursery) means it is busy, and others should be woken for
        // what comes meanwhile.
        if *searching {
            if self.is_spinner && took == Took::Shared {
                self.searching_in_turn.set(true);
            } else {
                self.stop_searching(searching);
            }
        }
        self.run_turn(actor);
        // A wait in the turn stopped searching (`help_until`).
        if *searching && !self.searching_in_turn.replace(false) {
            *searching = false;
        }
        if *searching {
            // I7: a spinner ran the turn still counted as a searcher, so work submitted
            // meanwhile woke nobody: it takes that work next. It stops searching (I5) only
            // when there is more queued than it takes next. Our fence pairs with the
            // submitter's (I2): either its load saw us searching and its work is in our scan,
            // or it woke a sleeper itself.
            // ORDERING: SeqCst fence, I7: the turn's pushes and our count before the scan.
            std_fence(StdOrdering::SeqCst);
            if self.has_work_for_others() {
                self.stop_searching(searching);
            }
        }
    }

    /// I5: a searcher found work and stops searching; the last one wakes another worker, since
    /// there may be more behind it.
    fn stop_searching(&self, searching: &mut bool) {
        *searching = false;
        if self.shared.idle().transition_worker_from_searching() {
            self.shared.notify_one(self.node);
        }
    }

    /// Whether more is queued than this worker takes next: its own queues beyond one actor,
    /// its node's injector beyond one, or anything in another worker's queues or another
    /// node's injector.
    fn has_work_for_others(&self) -> bool {
        let own = self.local.len() + self.nursery.len() + usize::from(self.lifo.get().is_some());
        let node = usize::from(self.node);
        let injected = self.shared.injector(node).map_or(0, Injector::len);
        own + injected > 1 || self.shared.has_queued_work_elsewhere(self.id.index(), node)
    }

    #[expect(
        clippy::inline_always,
        reason = "once per turn, from `run_actor` only: 13 instructions a hop of a same-worker ping-pong fewer (callgrind)"
    )]
    #[inline(always)]
    fn run_turn(&self, actor: ActorPtr) {
        self.counters().add_run();
        // Actor code is caught inside the turn; a panic escaping it is a runtime bug.
        let guard = AbortOnUnwind;
        // SAFETY: the actor came out of a run queue with its schedule token (C1).
        let end = unsafe { actor.run_turn(self) };
        drop(guard);
        let stalled = end == TurnEnd::Stalled;
        match end {
            // SAFETY: the turn ended idle: the token is ours to give back (C1).
            TurnEnd::Idle => unsafe { actor.release() },
            // A pinned actor goes back to its inbox: never to the stealable deque.
            TurnEnd::Requeue | TurnEnd::Stalled
                if crate::runtime::is_pinned(actor.header().home) =>
            {
                self.shared.schedule(actor);
            }
            TurnEnd::Requeue | TurnEnd::Stalled => {
                self.local.push(actor);
                // Only when there is more to take than this actor (tokio's
                // `should_notify_others`): this worker runs it next, and a worker woken to steal
                // it would only move it, at the price of a futex wake (~25 us here) every budget.
                if self.local.len() > 1 {
                    self.shared.notify_one(self.node);
                }
            }
        }
        if stalled {
            self.back_off_stalled();
        } else {
            self.stalled_turns.set(0);
        }
    }

    /// A turn handled nothing and kept its claim: a producer of its actor is between reserving
    /// its slot and linking its message. That takes a producer nanoseconds unless the OS took
    /// its CPU right there; then this worker, with nothing else runnable, would run the empty
    /// turn again and again until the producer's thread ran again, a whole time slice later
    /// (savina bounded buffer, quick: 1 run in 40 took 2-6 ms instead of ~1, with 100,000 to
    /// 220,000 empty turns). After `STALLED_YIELD_AFTER` such turns in a row the worker yields
    /// its CPU (the producer may be waiting in this CPU's run queue), after
    /// `STALLED_SLEEP_AFTER` it naps (the OS moves a waiting thread to an idle CPU).
    #[cold]
    fn back_off_stalled(&self) {
        let stalled = self.stalled_turns.get().saturating_add(1);
        self.stalled_turns.set(stalled);
        match StalledBackOff::after(stalled) {
            StalledBackOff::Retry => {}
            StalledBackOff::Yield => std::thread::yield_now(),
            StalledBackOff::Sleep => std::thread::park_timeout(STALLED_SLEEP),
        }
    }

    /// Queues an actor just spawned by a handler on this worker: newest first (`nursery`).
    pub(crate) fn schedule_spawned(&self, actor: ActorPtr) {
        self.nursery.push(actor);
        self.shared.notify_one(self.node);
    }

    /// Puts an actor woken by a handler on this worker into the LIFO slot.
    ///
    /// `#[inline]` here, in `current_worker_of`, `Shared::schedule_woken` and
    /// `ActorPtr::schedule_claimed`: the send path is generic, compiled in the user's crate,
    /// and without the hint each of these was a call out of it (23 instructions a hop of a
    /// same-worker ping-pong, callgrind).
    #[inline]
    pub(crate) fn schedule_local(&self, actor: ActorPtr) {
        if let Some(previous) = self.lifo.replace(Some(actor)) {
            self.local.push(previous);
            self.shared.notify_one(self.node);
        }
    }

    #[expect(clippy::inline_always, reason = "once per turn: see `run_actor`")]
    #[inline(always)]
    fn next_local(&self) -> Option<(ActorPtr, Took)> {
        let tick = self.tick.get().wrapping_add(1);
        self.tick.set(tick);
        if tick.is_multiple_of(INJECTOR_POLL_INTERVAL)
            && let Some(actor) = self.steal_injector(usize::from(self.node))
        {
            return Some((actor, Took::Shared));
        }
        if let Some(actor) = self.next_own(tick) {
            return Some((actor, Took::Own));
        }
        self.steal_injector(usize::from(self.node))
            .map(|actor| (actor, Took::Shared))
    }

    /// The next actor of this worker's own queues: its LIFO slot, inbox, nursery and queue.
    #[expect(
        clippy::inline_always,
        reason = "once per pick, from `next_local` only: 20 instructions a hop of a same-worker ping-pong fewer (callgrind)"
    )]
    #[inline(always)]
    fn next_own(&self, tick: u32) -> Option<ActorPtr> {
        // The LIFO slot first while its streak lasts: a chain of messages between actors of
        // this worker goes on without a look elsewhere (the inbox's two lines are ~20
        // instructions a hop of a same-worker ping-pong); the streak's cap bounds what the
        // inbox waits.
        let lifo = self.lifo.take();
        if let Some(actor) = lifo
            && self.lifo_streak.get() < LIFO_STREAK_MAX
        {
            self.lifo_streak.set(self.lifo_streak.get() + 1);
            return Some(actor);
        }
        // Then actors pinned here: they cannot run anywhere else.
        let pinned = self.pop_inbox();
        self.lifo_streak.set(0);
        if let Some(actor) = lifo {
            // Nothing else queued here: the trip through the queue would hand the actor
            // straight back (a same-worker ping-pong, every fourth hop).
            if pinned.is_none() && self.local.is_empty() && self.nursery.is_empty() {
                return Some(actor);
            }
            self.local.push(actor);
        }
        if pinned.is_some() {
            return pinned;
        }
        // Newborns first (depth-first spawning), but the FIFO queue gets every
        // `FIFO_SHARE_INTERVAL`th pick, so a spawning storm never starves woken actors.
        if !tick.is_multiple_of(FIFO_SHARE_INTERVAL)
            && let Some(actor) = self.nursery.pop()
        {
            return Some(actor);
        }
        self.local.pop().or_else(|| self.nursery.pop())
    }

    /// The next actor pinned to this worker (P1).
    fn pop_inbox(&self) -> Option<ActorPtr> {
        // B3: alternate between the doorbell and the overflow behind it.
        let overflow_first = self.tick.get() & 1 == 0;
        self.shared
            .inbox(self.id)
            .pop(overflow_first)
            .map(ActorPtr::from_non_null)
    }

    fn steal_shared(&self) -> Option<(ActorPtr, Took)> {
        self.steal().map(|actor| (actor, Took::Shared))
    }

    fn steal(&self) -> Option<ActorPtr> {
        let mut retry = true;
        while retry {
            retry = false;
            for tier in &self.tiers {
                let found = match tier {
                    Tier::Workers(workers) => self.steal_from_workers(workers, &mut retry),
                    Tier::Injector(node) => self.steal_injector(*node),
                };
                if found.is_some() {
                    self.counters().add_steal();
                    return found;
                }
            }
        }
        None
    }

    fn steal_from_workers(&self, workers: &[usize], retry: &mut bool) -> Option<ActorPtr> {
        if workers.is_empty() {
            return None;
        }
        let start = self.next_random() as usize % workers.len();
        let batch = self.shared.settings().steal_batch_max;
        for offset in 0..workers.len() {
            let victim = workers[(start + offset) % workers.len()];
            if victim == self.id.index() {
                continue;
            }
            // The victim's oldest newborns first: near a spawning tree's root, the most work.
            let (queue, nursery) = self.shared.stealers(victim);
            for stealer in [nursery, queue] {
                match stealer.steal_batch_with_limit_and_pop(&self.local, batch) {
                    Steal::Success(actor) => return Some(actor),
                    Steal::Retry => *retry = true,
                    Steal::Empty => {}
                }
            }
        }
        None
    }

    fn steal_injector(&self, node: usize) -> Option<ActorPtr> {
        let injector = self.shared.injector(node)?;
        let batch = self.shared.settings().steal_batch_max;
        loop {
            match injector.steal_batch_with_limit_and_pop(&self.local, batch) {
                Steal::Success(actor) => return Some(actor),
                Steal::Empty => return None,
                Steal::Retry => {}
            }
        }
    }

    /// A spinner searches with backoff for a while before it parks; `true` if it found work.
    ///
    /// Between two searches it does not just wait: it watches the two places where work for it
    /// alone or for its node lands (its inbox and its node's injector), one `PAUSE` at a time,
    /// so a wake-up is seen within a cache-line transfer rather than after a whole backoff step
    /// (64 `PAUSE`s are microseconds on some cores: that was most of a cross-worker round trip).
    fn spin(&self, searching: &mut bool) -> bool {
        for round in 0..SPIN_ROUNDS_MAX {
            if self.shared.is_shut_down() {
                return false;
            }
            if round < SPIN_WATCH_ROUNDS {
                self.watch_for_work(1 << round.min(SPIN_WATCH_SHIFT_MAX), 1);
            } else {
                std::thread::yield_now();
            }
            self.counters().add_spin();
            // Count as a searcher as soon as the cap lets us (another worker's search may have
            // held the place): a submitter that sees a searcher wakes nobody (I2, I7).
            if !*searching {
                *searching = self.shared.idle().transition_worker_to_searching();
            }
            if let Some((actor, took)) = self.next_local().or_else(|| self.steal_shared()) {
                self.run_actor(actor, took, searching);
                return true;
            }
        }
        false
    }

    /// Waits `steps` times `pauses_per_step` `PAUSE`s, or until work shows in this worker's
    /// inbox or its node's injector (a read of lines the submitter writes: no traffic until it
    /// does), looking after each step.
    fn watch_for_work(&self, steps: u32, pauses_per_step: u32) {
        for _ in 0..steps {
            pause(pauses_per_step);
            if self.has_new_work() {
                return;
            }
        }
    }

    /// Whether a turn that emptied its mailbox may `linger`: the common refusals, inlined into
    /// the turn, which calls `linger` (and commits its pops for it) only past them: no polls
    /// left (a `LocalRuntime` never has any), or a message to this worker's LIFO slot just
    /// made an actor runnable.
    #[inline]
    pub(crate) fn may_linger(&self, wait: &Linger) -> bool {
        wait.polls_left != 0 && self.lifo.get().is_none()
    }

    /// Called by a turn that emptied its actor's mailbox: when this worker has nothing else to
    /// run, it watches the mailbox for a moment before the actor goes idle; `true` if a message
    /// came (the turn goes on).
    ///
    /// An actor that goes idle costs its next sender a re-schedule (a run-queue push, a wake-up
    /// of this worker, often a futex) and its worker a search; one that keeps its turn costs
    /// the sender nothing but the push. A consumer that keeps catching up with one sender (or a
    /// ping-pong player) would otherwise pay that on every message. The watch is a read of
    /// the mailbox's state word, which the sender writes anyway; it stops as soon as work
    /// shows for this worker elsewhere (its inbox, its node's injector, or its closest
    /// neighbours' run queues). The activation budget still ends the turn (the caller lingers
    /// only below it), so a lingering actor never keeps its worker from others for longer
    /// than a busy one does. The turn asks `may_linger` first (the common refusals) and comes
    /// here only to poll.
    pub(crate) fn linger(&self, wait: &mut Linger, has_message: impl Fn() -> bool) -> bool {
        debug_assert!(self.may_linger(wait), "the turn asks `may_linger` first");
        let Some(plan) = self.linger_plan.get() else {
            return false;
        };
        if !self.local.is_empty() || !self.nursery.is_empty() {
            return false;
        }
        let mut first = true;
        while wait.polls_left > 0 {
            wait.polls_left -= 1;
            pause(plan.poll_pauses);
            if has_message() {
                if wait.is_stream(first) {
                    // Let a stream's batch gather (`Linger`), cut short when work for this
                    // worker shows up elsewhere (it waits for this turn's end, not the batch).
                    let steps = plan.batch_pauses.div_ceil(plan.poll_pauses);
                    self.watch_for_work(steps, plan.poll_pauses);
                }
                return true;
            }
            first = false;
            if self.has_new_work() {
                return false;
            }
            if wait.polls_left.is_multiple_of(LINGER_NEIGHBOUR_INTERVAL)
                && self.neighbours_have_work()
            {
                return false;
            }
        }
        false
    }

    /// Whether work for this worker alone or for its node came in: its inbox or its node's
    /// injector (loads of lines that only a submitter writes).
    fn has_new_work(&self) -> bool {
        !self.shared.inbox(self.id).is_empty()
            || self
                .shared
                .injector(usize::from(self.node))
                .is_some_and(|injector| !injector.is_empty())
    }

    /// Whether a worker of this one's first steal tier (its closest) has queued actors: a
    /// lingering worker stops waiting and goes to steal them.
    fn neighbours_have_work(&self) -> bool {
        let Some(Tier::Workers(workers)) = self.tiers.first() else {
            return false;
        };
        workers
            .iter()
            .filter(|&&victim| victim != self.id.index())
            .any(|&victim| {
                let (queue, nursery) = self.shared.stealers(victim);
                !(queue.is_empty() && nursery.is_empty())
            })
    }

    /// Parks until a notifier takes this worker off the sleeper list (I3, I6).
    fn park(&self, searching: &mut bool) {
        let idle = self.shared.idle();
        let last_searcher = idle.transition_worker_to_parked(self.id, *searching);
        *searching = false;
        // ORDERING: SeqCst fence, I3: orders our `state` update before the re-scan below,
        // against a submitter's push; fence(SeqCst); load of `state` (I2).
        std_fence(StdOrdering::SeqCst);
        if last_searcher && self.shared.has_queued_work() {
            self.shared.notify_one(self.node);
        }
        // P2: a pinned actor queued before we listed ourselves is seen here (the sleeper
        // list's lock orders its push before this check); one queued after finds us listed.
        if !self.shared.inbox(self.id).is_empty() && idle.transition_worker_from_parked(self.id) {
            return;
        }
        let carved = self.with_pool_sets(|sets| sets.iter().map(|set| set.carved_bytes()).sum());
        let mut look_after = self.idle_trim.first_look(carved);
        let mut look_at = look_after.map(|after| Instant::now() + after);
        let mut slept = false;
        while idle.is_parked(self.id) && !self.shared.is_shut_down() {
            // Once a park: the passes after the first are wake-ups that found no work (a trim
            // look, a spurious unpark).
            if !slept {
                self.counters().add_park();
                slept = true;
            }
            let next_timer = self.timers.borrow().next_deadline();
            let wake_at = match (next_timer, look_at) {
                (Some(timer), Some(look)) => Some(timer.min(look)),
                (timer, look) => timer.or(look),
            };
            let Some(wake_at) = wake_at else {
                std::thread::park();
                continue;
            };
            std::thread::park_timeout(wake_at.saturating_duration_since(Instant::now()));
            let now = Instant::now();
            if next_timer.is_some_and(|timer| now >= timer)
                && idle.transition_worker_from_parked(self.id)
            {
                // Woke for a timer, not for work: counted unparked, not searching.
                *searching = false;
                return;
            }
            if let (Some(look), Some(after)) = (look_at, look_after)
                && now >= look
                && idle.is_parked(self.id)
            {
                self.look_for_trim();
                look_after = self.idle_trim.next_look(after);
                look_at = look_after.map(|after| Instant::now() + after);
            }
        }
        // A notifier counted us as a searcher when it took us off the list (I4).
        *searching = !self.shared.is_shut_down();
    }

    fn next_random(&self) -> u32 {
        // xorshift32: only spreads steal attempts, needs no quality.
        let mut x = self.rng.get();
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.rng.set(x);
        x
    }

    /// At shutdown: give back the tokens of the actors still queued here (C1).
    ///
    /// Until every queue is empty, not in one pass: giving back a token can free an actor,
    /// whose monitors and links are then told, which queues them here (this is still the
    /// current worker): one left in the LIFO slot after a pass had taken it would keep its cell,
    /// and through it the runtime, alive for ever.
    pub(crate) fn drain_on_exit(&self) {
        while let Some(actor) = self
            .lifo
            .take()
            .or_else(|| self.local.pop())
            .or_else(|| self.nursery.pop())
            .or_else(|| self.pop_inbox())
        {
            // SAFETY: a queued actor's token and turn are ours; it will not run again.
            unsafe { actor.shut_down_queued() };
        }
        self.flush_remote_frees();
    }
}

/// The worker running on this thread, if any (for any runtime).
#[inline]
fn current() -> Option<NonNull<Worker>> {
    // `CURRENT` has a const initialiser and no destructor, so it is never torn down: `with`
    // cannot fail, and skips `try_with`'s state check on the send path.
    CURRENT.with(Cell::get)
}

/// Whether this thread is a worker thread (where sends must never block).
pub(crate) fn on_worker_thread() -> bool {
    current().is_some()
}

/// On a worker thread, runs its queued actors while the caller waits for `done` (see
/// [`Worker::help_until`]); returns at once off worker threads.
pub(crate) fn help_until(deadline: Instant, done: &dyn Fn() -> bool) {
    if let Some(worker) = current() {
        // SAFETY: as in `current_worker_of`: the caller is on this thread, inside
        // `Worker::run` or `run_until_idle`, with the worker they run.
        unsafe { worker.as_ref() }.help_until(deadline, done);
    }
}

/// The worker running on this thread, if it belongs to `shared`'s runtime.
#[inline]
pub(crate) fn current_worker_of(shared: &Shared) -> Option<&'static Worker> {
    let worker = current()?;
    // SAFETY: `CURRENT` is set only while `Worker::run` runs on this thread, with a worker that
    // outlives that call; callers use the reference within a handler or a send on this thread,
    // which happen inside that call.
    let worker = unsafe { worker.as_ref() };
    std::ptr::eq(Arc::as_ptr(&worker.shared), shared).then_some(worker)
}

/// Runs `f` with the message pools of this thread: the worker's own on a worker thread, else a
/// pool set of the thread's own (blocks it hands out go home when freed anywhere).
pub(crate) fn with_pools<R>(f: impl FnOnce(&mut PoolSet) -> R) -> R {
    match thread_pools() {
        // SAFETY: W1: `f` runs allocator code only, so no other borrow of the pools is live.
        Some(pools) => f(unsafe { &mut *pools.as_ptr() }),
        // The thread is exiting and its pools are gone: use a short-lived set; blocks it hands
        // out still go home when freed (courier-alloc's abandonment).
        None => f(&mut PoolSet::unbound()),
    }
}

/// The message pools of this thread (as [`with_pools`]); `None` once the thread's
/// thread-locals are being torn down. The send path packs into them directly: through a
/// closure (`with_pools`), the message went into the closure's record on the stack and back
/// out, and the 16-byte reload of two 8-byte stores missed store forwarding: a quarter of an
/// outside sender's time per message.
///
/// The caller borrows the set mutably only for allocator code (W1), and not past the thread's
/// end.
#[expect(
    clippy::inline_always,
    reason = "on the send path; see `ActorRef::try_send_with_priority`"
)]
#[inline(always)]
pub(crate) fn thread_pools() -> Option<NonNull<PoolSet>> {
    if let Some(worker) = current() {
        // SAFETY: as in `current_worker_of`.
        let worker = unsafe { worker.as_ref() };
        return NonNull::new(worker.pools.get());
    }
    let pools = OUTSIDE_POOLS.try_with(UnsafeCell::get).ok()?;
    // SAFETY: the set is this thread's and lives until the thread's destructors run (it was
    // reachable just now); no other reference to it is live (W1: its borrowers run allocator
    // code only, which never comes back here).
    Some(NonNull::from(unsafe { &mut *pools }.get_or_insert_with(
        || PoolSet::anonymous(PoolConfig::default()),
    )))
}

/// Trims this thread's own message pools (`thread_trim.rs`, which calls it only off the
/// workers: on a worker, `thread_pools` is the worker's set).
pub(crate) fn trim_outside_pools(keep_free_bytes: usize) -> Trimmed {
    debug_assert!(current().is_none(), "an outside thread's pools only");
    // `thread_pools`, the send path's accessor, is the one user of `OUTSIDE_POOLS`.
    match thread_pools() {
        // SAFETY: W1: the set is this thread's, and no other borrow of it is live (this is not
        // called from allocator code).
        Some(pools) => unsafe { &mut *pools.as_ptr() }.trim(keep_free_bytes, || true),
        None => Trimmed::default(),
    }
}

/// Gives a cell's block back (`cell_memory::release`): on a worker thread (of any runtime)
/// through its cell pools, where the worker's own blocks go onto the local free list and
/// others into a batch home; on any other thread straight home through the owner's
/// remote-free list (such a thread has no moment at which it would send a batch).
#[inline]
pub(crate) fn free_cell(block: Block) {
    match current() {
        Some(worker) => {
            // SAFETY: as in `current_worker_of`.
            let worker = unsafe { worker.as_ref() };
            // SAFETY: W1: no other borrow of the cell pools is live; this one ends here.
            unsafe { &mut *worker.cell_pools.get() }.free(block);
        }
        None => drop(block),
    }
}

/// The stealing side of a worker's run queue.
pub(crate) type ActorStealer = Stealer<ActorPtr>;

#[cfg(test)]
mod tests {
    use super::*;

    const POLLS: u32 = 65;

    fn kept(address: usize, streak: u8, spent: bool) -> KeptLinger {
        KeptLinger {
            address,
            streak,
            spent,
        }
    }

    #[test]
    fn a_turn_after_its_actor_spent_its_budget_lingers_from_the_start_and_keeps_its_streak() {
        let linger = kept(0x1000, 5, true).next_turn(0x1000, POLLS);
        assert_eq!(
            (linger.polls_left, linger.polls_full, linger.streak),
            (POLLS, POLLS, 5)
        );
    }

    #[test]
    fn a_turn_after_one_that_met_a_producer_mid_push_waits_only_once_it_handles_something() {
        let mut linger = kept(0x1000, 5, false).next_turn(0x1000, POLLS);
        assert_eq!((linger.polls_left, linger.streak), (0, 5));
        linger.on_progress();
        assert_eq!(linger.polls_left, POLLS);
    }

    #[test]
    fn stalled_turns_run_on_then_yield_then_sleep() {
        let back_offs: Vec<_> = (1..=STALLED_SLEEP_AFTER + 1)
            .map(StalledBackOff::after)
            .collect();
        let first_yield = back_offs
            .iter()
            .position(|&b| b == StalledBackOff::Yield)
            .expect("a stalled worker yields at some point");
        let first_sleep = back_offs
            .iter()
            .position(|&b| b == StalledBackOff::Sleep)
            .expect("a stalled worker sleeps at some point");
        assert!(
            back_offs[..first_yield]
                .iter()
                .all(|&b| b == StalledBackOff::Retry)
        );
        assert!(
            back_offs[first_yield..first_sleep]
                .iter()
                .all(|&b| b == StalledBackOff::Yield)
        );
        assert!(
            first_yield >= 8,
            "a producer not preempted gets a few retries first"
        );
        assert_eq!(StalledBackOff::after(u32::MAX), StalledBackOff::Sleep);
    }

    #[test]
    fn another_actors_turn_keeps_nothing() {
        for spent in [false, true] {
            let linger = kept(0x1000, 5, spent).next_turn(0x2000, POLLS);
            assert_eq!((linger.polls_left, linger.streak), (0, 0));
        }
        let linger = KeptLinger::NONE.next_turn(0x2000, POLLS);
        assert_eq!((linger.polls_left, linger.streak), (0, 0));
    }
}
