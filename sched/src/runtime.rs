//! `Runtime`: the workers, their queues and injectors, and spawning.

use std::fmt;
use std::ptr::NonNull;
use std::sync::{Arc, OnceLock};
use std::thread::{self, JoinHandle, Thread};
use std::time::{Duration, Instant};

use crossbeam_deque::{Injector, Worker as Deque};
use crossbeam_utils::CachePadded;

use courier_alloc::{NodeId, Region};
use courier_mailbox::Capacity;

use crate::cell::{ActorMailbox, ActorPtr};
use crate::dead_letter::{DeadLetter, DeadLetterHandler, Undelivered};
use crate::envelope::Envelope;
use crate::inbox::Inbox;
use crate::memory::{NodePools, PoolMemory, WorkerPools};
use crate::metrics::WorkerCounters;
use crate::panic::run_quietly;
use crate::registry::{NameError, Registry};
use crate::sync::{Mutex, StdAtomicBool, StdAtomicU64, StdOrdering, std_fence};
use crate::worker::{ActorStealer, Worker, current_worker_of};
use crate::{
    Actor, ActorId, ActorRef, Bind, Binder, Config, ConfigError, IdleWorkers, Placement, PlanError,
    RuntimeMetrics, Topology, TopologyError, WorkerCount, WorkerId, WorkerSettings,
};

/// What the workers need from the config, beyond the placement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimeSettings {
    /// Messages an actor handles per turn before it goes to the back of the queue.
    pub activation_budget: u32,
    /// Mailbox capacity of a spawned actor.
    pub mailbox_capacity: Capacity,
    /// The most actors one steal takes.
    pub steal_batch_max: usize,
    /// Where message pools get their memory, and each node's cap (`memory.rs`).
    pub pool_memory: PoolMemory,
    /// How long a worker stays parked before it gives its pools' free memory back to the
    /// kernel (`idle_trim.rs`); `None`: never. Default: 100 ms.
    pub trim_after_idle: Option<Duration>,
    /// A message of at least this many bytes (its type's size) goes into a mapping of its own
    /// on its receiver's node, bound there like the node's pools, rather than onto the heap
    /// (the config's `memory.huge_payload_threshold`). Default: 64 KiB; below 4 KiB it acts as
    /// 4 KiB (smaller message types never look at it).
    pub huge_message_bytes: usize,
    /// Where messages that will never be handled go, besides the count: `None` drops them.
    /// Default: `None`.
    pub dead_letters: Option<DeadLetterHandler>,
}

impl Default for RuntimeSettings {
    fn default() -> Self {
        RuntimeSettings {
            activation_budget: 64,
            mailbox_capacity: Capacity::new(1024).expect("1024 is a valid capacity"),
            steal_batch_max: 32,
            pool_memory: PoolMemory::default(),
            trim_after_idle: Some(Duration::from_millis(100)),
            huge_message_bytes: 64 << 10,
            dead_letters: None,
        }
    }
}

/// Why a runtime could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum RuntimeError {
    /// The topology could not be loaded.
    Topology(TopologyError),
    /// The config file is wrong (it names the file, line and key).
    Config(ConfigError),
    /// The placement plan could not be made.
    Plan(PlanError),
    /// A worker thread could not be started.
    Thread(std::io::Error),
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuntimeError::Topology(e) => write!(f, "loading the topology: {e}"),
            RuntimeError::Config(e) => write!(f, "{e}"),
            RuntimeError::Plan(e) => write!(f, "planning placement: {e}"),
            RuntimeError::Thread(e) => write!(f, "starting a worker thread: {e}"),
        }
    }
}

impl std::error::Error for RuntimeError {}

/// What every worker and every actor cell of one runtime shares.
pub(crate) struct Shared {
    placement: Placement,
    settings: RuntimeSettings,
    /// Per worker: the stealing sides of its FIFO queue and of its nursery.
    stealers: Box<[(ActorStealer, ActorStealer)]>,
    /// One injector per node, by node number (empty for numbers without workers).
    injectors: Box<[Injector<ActorPtr>]>,
    /// One inbox per worker for the actors pinned to it (`spawn_on_worker`); never stolen.
    inboxes: Box<[Inbox<ActorMailbox>]>,
    idle: IdleWorkers,
    threads: OnceLock<Box<[Thread]>>,
    counters: Box<[CachePadded<WorkerCounters>]>,
    shutdown: StdAtomicBool,
    /// Written at run time (three of them by every spawn from outside): on lines of their
    /// own. Beside the queues' pointers, which every worker reads on every look for work, each
    /// spawn from outside took that line from the workers' caches and every worker's next look
    /// took it back.
    tallies: CachePadded<Tallies>,
    binds: Mutex<Vec<(WorkerId, Bind)>>,
    registry: Registry,
    pools: NodePools,
}

/// The runtime's counters that any thread may write (`Shared::tallies`).
struct Tallies {
    /// The next actor id not handed out; workers take blocks of `ACTOR_ID_BLOCK`.
    next_actor_id: StdAtomicU64,
    next_spawn_node: StdAtomicU64,
    next_monitor_id: StdAtomicU64,
    /// Spawns by threads that are not this runtime's workers (workers count their own in
    /// `counters`, and every exit, which happens in a turn).
    actors_spawned_outside: StdAtomicU64,
    dead_letters: StdAtomicU64,
}

impl Shared {
    pub(crate) fn new(
        placement: Placement,
        settings: RuntimeSettings,
        deques: &[RunQueues],
    ) -> Shared {
        let plans = placement.workers();
        let nodes_len = plans
            .iter()
            .map(|plan| plan.node.index() + 1)
            .max()
            .unwrap_or(1);
        let node_of: Vec<u16> = plans.iter().map(|plan| plan.node.0).collect();
        let wake_order = wake_order(&placement, nodes_len);
        let pools = NodePools::new(&settings.pool_memory, nodes_len);
        Shared {
            settings,
            stealers: deques
                .iter()
                .map(|(queue, nursery)| (queue.stealer(), nursery.stealer()))
                .collect(),
            injectors: (0..nodes_len).map(|_| Injector::new()).collect(),
            inboxes: plans.iter().map(|_| Inbox::new()).collect(),
            idle: IdleWorkers::with_wake_order(&node_of, wake_order),
            threads: OnceLock::new(),
            counters: plans
                .iter()
                .map(|_| CachePadded::new(WorkerCounters::default()))
                .collect(),
            shutdown: StdAtomicBool::new(false),
            tallies: CachePadded::new(Tallies {
                next_actor_id: StdAtomicU64::new(1),
                next_spawn_node: StdAtomicU64::new(0),
                next_monitor_id: StdAtomicU64::new(1),
                actors_spawned_outside: StdAtomicU64::new(0),
                dead_letters: StdAtomicU64::new(0),
            }),
            binds: Mutex::new(Vec::new()),
            registry: Registry::default(),
            pools,
            placement,
        }
    }

    pub(crate) fn placement(&self) -> &Placement {
        &self.placement
    }

    pub(crate) fn settings(&self) -> &RuntimeSettings {
        &self.settings
    }

    pub(crate) fn registry(&self) -> &Registry {
        &self.registry
    }

    pub(crate) fn idle(&self) -> &IdleWorkers {
        &self.idle
    }

    /// The stealing sides of worker `worker`'s queue and nursery.
    pub(crate) fn stealers(&self, worker: usize) -> (&ActorStealer, &ActorStealer) {
        let (queue, nursery) = &self.stealers[worker];
        (queue, nursery)
    }

    pub(crate) fn injector(&self, node: usize) -> Option<&Injector<ActorPtr>> {
        self.injectors.get(node)
    }

    pub(crate) fn metrics(&self, worker: WorkerId) -> &WorkerCounters {
        &self.counters[worker.index()]
    }

    pub(crate) fn is_shut_down(&self) -> bool {
        // ORDERING: Acquire; pairs with the Release store in `shut_down`.
        self.shutdown.load(StdOrdering::Acquire)
    }

    /// Queues an actor that just became runnable, with its schedule token (C1): into the LIFO
    /// slot of the current worker when that worker is on the actor's home node, else into the
    /// home node's injector; a pinned actor into its worker's inbox.
    pub(crate) fn schedule(&self, actor: ActorPtr) {
        self.schedule_woken(actor, None);
    }

    /// As [`Shared::schedule`], for an actor that `woken_by` (a message just pushed) made
    /// runnable: a pinned actor's worker starts fetching that message as it takes the actor
    /// (`inbox.rs`, B5).
    #[inline]
    pub(crate) fn schedule_woken(&self, actor: ActorPtr, woken_by: Option<NonNull<Envelope>>) {
        let home = actor.header().home;
        if let Some(worker) = current_worker_of(self)
            && worker.node() == home
        {
            worker.schedule_local(actor);
            return;
        }
        self.schedule_away(actor, home, woken_by);
    }

    /// Queues an actor that the current thread cannot queue locally: a pinned actor on its
    /// worker's inbox, any other on its home node's injector.
    fn schedule_away(&self, actor: ActorPtr, home: u16, woken_by: Option<NonNull<Envelope>>) {
        // A pinned actor's `home` never equals a node (its top bit is set), so the hot path
        // of `schedule` pays nothing for pinning.
        if let Some(worker) = pinned_worker(home) {
            self.schedule_pinned(actor, worker, woken_by);
            return;
        }
        let injector = usize::from(home).min(self.injectors.len() - 1);
        self.injectors[injector].push(actor);
        self.notify_one(home);
        self.release_queued_after_shutdown();
    }

    /// A send after shutdown queues its actor where no worker will take it, and the queued
    /// token would keep the cell (and this runtime) alive for ever. `notify_one` and
    /// `schedule_pinned` fence after the push; `shut_down_queues` fences after setting the flag
    /// before it drains: either its drain sees our push, or we see the flag and drain.
    fn release_queued_after_shutdown(&self) {
        if self.is_shut_down() {
            self.release_queued();
        }
    }

    /// Queues a newborn, with its schedule token (C1): into the nursery of the current worker
    /// when that worker is on its home node (spawning trees run depth-first), else as
    /// [`Shared::schedule`] does.
    pub(crate) fn schedule_spawned(&self, actor: ActorPtr) {
        let home = actor.header().home;
        if let Some(worker) = current_worker_of(self)
            && worker.node() == home
        {
            worker.schedule_spawned(actor);
            return;
        }
        self.schedule_away(actor, home, None);
    }

    /// Queues a pinned actor on its worker's inbox and wakes that worker if it sleeps (P1-P2 in
    /// `PROTOCOL.md`: the sleeper list's lock orders the push against the worker's listing).
    fn schedule_pinned(
        &self,
        actor: ActorPtr,
        worker: WorkerId,
        woken_by: Option<NonNull<Envelope>>,
    ) {
        let hint = woken_by.map_or(0, crate::envelope::hint_of);
        self.inboxes[worker.index()].push_with_hint(actor.as_non_null(), hint);
        // ORDERING: SeqCst fence, P1: the push before the read of the idle state in
        // `wake_worker`, against the parker's update; fence; inbox check (P2).
        std_fence(StdOrdering::SeqCst);
        let on_that_worker = current_worker_of(self).is_some_and(|w| w.id() == worker);
        if !on_that_worker && self.idle.wake_worker(worker) {
            self.unpark(worker);
        }
        self.release_queued_after_shutdown();
    }

    pub(crate) fn inbox(&self, worker: WorkerId) -> &Inbox<ActorMailbox> {
        &self.inboxes[worker.index()]
    }

    /// Wakes a parked worker for new work on `node`, if nobody searches (I2).
    pub(crate) fn notify_one(&self, node: u16) {
        // ORDERING: SeqCst fence, I2: the work published before this call is ordered before the
        // SeqCst read of the idle state, against a parker's update; fence; re-scan (I3).
        std_fence(StdOrdering::SeqCst);
        if let Some(worker) = self.idle.worker_to_notify(node) {
            self.unpark(worker);
        }
    }

    fn unpark(&self, worker: WorkerId) {
        if let Some(threads) = self.threads.get() {
            threads[worker.index()].unpark();
        }
    }

    /// Whether no actor runs or waits to run: every worker parked, and every injector, run
    /// queue and pinned inbox empty (a snapshot; timers and outside senders may add work).
    fn is_quiet(&self) -> bool {
        // ORDERING: SeqCst fence, against the parked counts and queue states read below being
        // older than each other's: a worker counts itself parked (SeqCst) before it re-scans.
        std_fence(StdOrdering::SeqCst);
        self.idle.unparked_len() == 0
            && !self.has_queued_work()
            && self.inboxes.iter().all(Inbox::is_empty)
    }

    /// Whether any run queue or injector holds an actor (a parker's last re-scan, I3).
    pub(crate) fn has_queued_work(&self) -> bool {
        self.injectors.iter().any(|injector| !injector.is_empty())
            || self
                .stealers
                .iter()
                .any(|(queue, nursery)| !queue.is_empty() || !nursery.is_empty())
    }

    /// Whether a run queue other than `worker`'s or an injector other than `node`'s holds an
    /// actor (a spinner's look at the end of a turn, I7).
    pub(crate) fn has_queued_work_elsewhere(&self, worker: usize, node: usize) -> bool {
        let injected = self
            .injectors
            .iter()
            .enumerate()
            .any(|(index, injector)| index != node && !injector.is_empty());
        injected
            || self
                .stealers
                .iter()
                .enumerate()
                .any(|(index, (queue, nursery))| {
                    index != worker && !(queue.is_empty() && nursery.is_empty())
                })
    }

    pub(crate) fn spawn_on_node<A: Actor>(
        self: &Arc<Self>,
        actor: A,
        node: u16,
    ) -> ActorRef<A::Msg> {
        let (id, runtime) = self.new_cell_identity();
        let capacity = self.settings.mailbox_capacity;
        let ptr = ActorPtr::new(actor, id, node, capacity, runtime);
        // The new cell holds its schedule token already (C1).
        self.schedule_spawned(ptr);
        ActorRef::from_owned(ptr)
    }

    /// Spawns an actor homed on `node`, which must have workers (`Runtime::spawn_on`).
    pub(crate) fn spawn_on_staffed_node<A: Actor>(
        self: &Arc<Self>,
        actor: A,
        node: NodeId,
    ) -> Result<ActorRef<A::Msg>, SpawnError> {
        if self.placement.node(node).is_none() {
            return Err(SpawnError::NoWorkersOnNode {
                node,
                nodes: self
                    .placement
                    .nodes()
                    .iter()
                    .map(|plan| plan.node)
                    .collect(),
            });
        }
        Ok(self.spawn_on_node(actor, node.0))
    }

    /// Spawns an actor pinned to `worker`: it always runs there, is never stolen, and a send
    /// from any worker queues it on that worker's inbox.
    pub(crate) fn spawn_on_worker<A: Actor>(
        self: &Arc<Self>,
        actor: A,
        worker: WorkerId,
    ) -> Result<ActorRef<A::Msg>, SpawnError> {
        let workers = self.inboxes.len();
        if worker.index() >= workers {
            return Err(SpawnError::NoSuchWorker { worker, workers });
        }
        let (id, runtime) = self.new_cell_identity();
        let capacity = self.settings.mailbox_capacity;
        let ptr = ActorPtr::new(actor, id, PINNED | worker.0, capacity, runtime);
        self.schedule(ptr);
        Ok(ActorRef::from_owned(ptr))
    }

    pub(crate) fn spawn_supervised_on_node<A: Actor>(
        self: &Arc<Self>,
        actor: A,
        factory: crate::Factory<A>,
        guardian: crate::Guardian,
        node: u16,
    ) -> (ActorRef<A::Msg>, crate::ChildHandle) {
        let (id, runtime) = self.new_cell_identity();
        let capacity = self.settings.mailbox_capacity;
        let ptr = ActorPtr::new_supervised(actor, factory, guardian, id, node, capacity, runtime);
        // The new cell holds its schedule token already (C1), and a reference for each of the
        // two handles returned.
        self.schedule_spawned(ptr);
        (
            ActorRef::from_owned(ptr),
            crate::ChildHandle::from_owned(ptr),
        )
    }

    /// Marks the runtime shut down, releases the names and the actors still in the injectors.
    pub(crate) fn shut_down_queues(&self) {
        self.registry.clear();
        // ORDERING: Release; pairs with the workers' Acquire loads of the flag.
        self.shutdown.store(true, StdOrdering::Release);
        // ORDERING: SeqCst fence: the flag before the drain's reads of the queues, against a
        // late sender's push; fence; read of the flag (`release_queued_after_shutdown`).
        std_fence(StdOrdering::SeqCst);
        self.release_queued();
    }

    /// Closes the actors queued in the injectors and inboxes and releases them (after
    /// shutdown; `ActorPtr::shut_down_queued`).
    fn release_queued(&self) {
        for injector in &self.injectors {
            while let Some(actor) = steal_one(injector) {
                // SAFETY: a queued actor's token and turn are ours now; no worker runs it any
                // more.
                unsafe { actor.shut_down_queued() };
            }
        }
        for inbox in &self.inboxes {
            while let Some(actor) = inbox.pop(false) {
                // SAFETY: as above (B2 hands each queued actor to one taker).
                unsafe { ActorPtr::from_non_null(actor).shut_down_queued() };
            }
        }
    }

    pub(crate) fn metrics_snapshot(&self) -> RuntimeMetrics {
        // Spawned, exited, panicked: exits (and panics) are all counted by the worker whose
        // turn they ended, so only spawns have an outside count.
        // ORDERING: Relaxed; statistics.
        let outside = [
            self.tallies
                .actors_spawned_outside
                .load(StdOrdering::Relaxed),
            0,
            0,
        ];
        let lifecycle = self.counters.iter().fold(outside, |sum, counters| {
            let counts = counters.lifecycle();
            [0, 1, 2].map(|i| sum[i] + counts[i])
        });
        RuntimeMetrics {
            workers: self
                .counters
                .iter()
                .enumerate()
                .map(|(index, counters)| {
                    counters.snapshot(WorkerId(u16::try_from(index).unwrap_or(u16::MAX)))
                })
                .collect(),
            actors_spawned: lifecycle[0],
            actors_exited: lifecycle[1],
            actors_panicked: lifecycle[2],
            dead_letters: self.tallies.dead_letters.load(StdOrdering::Relaxed),
            nodes: self.pools.metrics(),
        }
    }

    /// A worker's message and cell pools on `node`.
    pub(crate) fn worker_pools(&self, node: u16) -> WorkerPools {
        self.pools.worker_pools(node)
    }

    /// The memory of `node`'s cells (`cell_memory.rs`).
    #[inline]
    pub(crate) fn node_pools(&self) -> &NodePools {
        &self.pools
    }

    /// A mapping of its own for a message of `len_bytes` to the actor whose cell's home is
    /// `home`, on that actor's node, when the message is huge (at least `huge_message_bytes`);
    /// `None` when it is not, or when the mapping fails (the message is then boxed on the heap,
    /// as every message too large for a block is).
    pub(crate) fn map_huge_message(&self, home: u16, len_bytes: usize) -> Option<Region> {
        if len_bytes < self.settings.huge_message_bytes {
            return None;
        }
        let node = NodeId(self.node_of_home(home));
        self.pools.map_huge_message(node, len_bytes).ok()
    }

    /// The node an actor's cell belongs to, from its `home`: the node itself, or the node of
    /// the worker it is pinned to.
    #[inline]
    pub(crate) fn node_of_home(&self, home: u16) -> u16 {
        match pinned_worker(home) {
            Some(worker) => self.placement.worker(worker).node.0,
            None => home,
        }
    }

    pub(crate) fn next_monitor_id(&self) -> crate::MonitorId {
        // ORDERING: Relaxed; ids only need to be unique.
        crate::MonitorId(
            self.tallies
                .next_monitor_id
                .fetch_add(1, StdOrdering::Relaxed),
        )
    }

    pub(crate) fn count_dead_letter(&self) {
        // ORDERING: Relaxed; a statistic.
        self.tallies.dead_letters.fetch_add(1, StdOrdering::Relaxed);
    }

    /// A message for `to` that will never be handled: counted, and handed to the runtime's
    /// dead-letter handler when it has one (else dropped here).
    pub(crate) fn dead_letter<M: Send + 'static>(&self, to: ActorId, why: Undelivered, message: M) {
        self.count_dead_letter();
        match &self.settings.dead_letters {
            Some(handler) => handler.hand_over(DeadLetter {
                to,
                why,
                type_name: std::any::type_name::<M>(),
                message: Box::new(message),
            }),
            // The message's `Drop` is user code, and this may run inside a turn, where an
            // unwind would abort the process (`AbortOnUnwind`): caught and reported instead.
            None => {
                if let Some(panic) = run_quietly(move || drop(message)) {
                    eprintln!("courier: dropping a dead letter to {to} panicked: {panic}");
                }
            }
        }
    }

    /// A fresh actor id, counted as a spawn, and a counted reference to this runtime for the
    /// new cell. A worker of this runtime takes both from blocks of its own, so a spawning tree
    /// on two workers moves no shared line per spawn (the id counter, the spawn count and the
    /// runtime's `Arc` count were most of skynet's time); other threads use the shared ones.
    fn new_cell_identity(self: &Arc<Self>) -> (ActorId, Arc<Shared>) {
        if let Some(worker) = current_worker_of(self) {
            self.metrics(worker.id()).add_spawn();
            return (worker.take_actor_id(), worker.take_runtime_ref());
        }
        // ORDERING: Relaxed; a statistic.
        self.tallies
            .actors_spawned_outside
            .fetch_add(1, StdOrdering::Relaxed);
        (self.reserve_actor_ids(1), Arc::clone(self))
    }

    /// Gives back a cell's reference to its runtime: into the current worker's bank when it
    /// is one of that runtime's, else a plain `Arc` drop.
    pub(crate) fn release_ref(runtime: Arc<Shared>) {
        match current_worker_of(&runtime) {
            Some(worker) => worker.give_back_runtime_ref(runtime),
            None => drop(runtime),
        }
    }

    /// Reserves `count` consecutive actor ids; returns the first.
    pub(crate) fn reserve_actor_ids(&self, count: u64) -> ActorId {
        // ORDERING: Relaxed; ids only need to be unique.
        ActorId(
            self.tallies
                .next_actor_id
                .fetch_add(count, StdOrdering::Relaxed),
        )
    }
}

/// A worker's two run queues: the FIFO queue and the LIFO nursery of newborns.
pub(crate) type RunQueues = (Deque<ActorPtr>, Deque<ActorPtr>);

pub(crate) fn run_queues() -> RunQueues {
    (Deque::new_fifo(), Deque::new_lifo())
}

/// For each node, the other nodes nearest first (`Placement::nearest_nodes`): whom
/// `IdleWorkers` wakes for work on a node with no sleeper.
fn wake_order(placement: &Placement, nodes_len: usize) -> Vec<Vec<u16>> {
    (0..nodes_len)
        .map(|index| {
            let node = NodeId(u16::try_from(index).unwrap_or(u16::MAX));
            placement
                .nearest_nodes(node)
                .into_iter()
                .map(|near| near.0)
                .collect()
        })
        .collect()
}

/// A config's byte size as a cap (saturating on a 32-bit target).
fn byte_count(size: crate::ByteSize) -> usize {
    usize::try_from(size.0).unwrap_or(usize::MAX)
}

/// How often `Runtime::shutdown_when_quiet` looks.
const QUIET_LOOK_INTERVAL: Duration = Duration::from_micros(200);

/// The top bit of a cell's `home`: the actor is pinned to the worker numbered by the rest.
const PINNED: u16 = 1 << 15;

/// The worker an actor is pinned to, from its cell's `home`.
fn pinned_worker(home: u16) -> Option<WorkerId> {
    (home & PINNED != 0).then_some(WorkerId(home & !PINNED))
}

/// Whether an actor (by its cell's `home`) is pinned to a worker.
pub(crate) fn is_pinned(home: u16) -> bool {
    pinned_worker(home).is_some()
}

/// Why a spawn was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpawnError {
    /// There is no such worker in this runtime.
    NoSuchWorker {
        /// The worker asked for.
        worker: WorkerId,
        /// How many workers the runtime has.
        workers: usize,
    },
    /// The placement has no worker on this node.
    NoWorkersOnNode {
        /// The node asked for.
        node: NodeId,
        /// The nodes that have workers.
        nodes: Vec<NodeId>,
    },
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpawnError::NoSuchWorker { worker, workers } => {
                write!(f, "no worker {worker} in a runtime of {workers} workers")
            }
            SpawnError::NoWorkersOnNode { node, nodes } => {
                write!(
                    f,
                    "no worker on NUMA node {} (the nodes with workers:",
                    node.0
                )?;
                for plan_node in nodes {
                    write!(f, " {}", plan_node.0)?;
                }
                write!(f, ")")
            }
        }
    }
}

impl std::error::Error for SpawnError {}

/// A running scheduler: one pinned worker per planned PU.
///
/// Dropping it shuts it down; [`Runtime::shutdown`] does so explicitly.
pub struct Runtime {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl Runtime {
    /// Starts a runtime as a NUMA config file says.
    ///
    /// # Errors
    /// [`RuntimeError`] when the topology, the plan or a thread cannot be had.
    pub fn from_config(config: &Config) -> Result<Runtime, RuntimeError> {
        let topology = config.load_topology().map_err(RuntimeError::Config)?;
        let placement = config.plan(&topology).map_err(RuntimeError::Config)?;
        let mailbox_capacity =
            Capacity::new(config.actors.mailbox_capacity).unwrap_or(Capacity::MAX);
        let nodes = placement.nodes().iter().map(|plan| plan.node);
        let pool_memory = PoolMemory {
            // Bind only where the nodes are this machine's (and the plan pins workers to them).
            bind: config.workers.pin && matches!(config.topology, crate::TopologySource::Hwloc),
            cap_per_node: None,
            cap_by_node: nodes
                .map(|node| (node.0, byte_count(config.memory.pool_size(node))))
                .collect(),
        };
        let settings = RuntimeSettings {
            activation_budget: config.actors.activation_budget,
            mailbox_capacity,
            steal_batch_max: usize::from(config.workers.steal_batch_max),
            pool_memory,
            trim_after_idle: (config.memory.trim_after_idle_ms > 0)
                .then(|| Duration::from_millis(u64::from(config.memory.trim_after_idle_ms))),
            huge_message_bytes: byte_count(config.memory.huge_payload_threshold),
            dead_letters: None,
        };
        Runtime::start(placement, settings)
    }

    /// Starts `workers` unpinned workers on this machine's topology (more than it has PUs is
    /// allowed), without spinners: for tests, tools and examples.
    ///
    /// # Errors
    /// As [`Runtime::from_config`].
    pub fn with_workers(workers: u16) -> Result<Runtime, RuntimeError> {
        let topology = Topology::this_system().map_err(RuntimeError::Topology)?;
        let settings = WorkerSettings {
            count: WorkerCount::Total(workers),
            oversubscribe: true,
            pin: false,
            spinners_per_node: 0,
            ..WorkerSettings::default()
        };
        let placement = Placement::plan(&topology, &settings).map_err(RuntimeError::Plan)?;
        Runtime::start(placement, RuntimeSettings::default())
    }

    /// Starts the workers of `placement`, binding each to its CPU when the plan pins.
    ///
    /// # Errors
    /// [`RuntimeError::Thread`] when a worker thread cannot be spawned, and
    /// [`RuntimeError::Topology`] when pinning needs hwloc and it cannot load this machine.
    ///
    /// # Panics
    /// Never for a plan made by [`Placement::plan`] (at most 65,535 workers).
    pub fn start(placement: Placement, settings: RuntimeSettings) -> Result<Runtime, RuntimeError> {
        let deques: Vec<RunQueues> = placement.workers().iter().map(|_| run_queues()).collect();
        let spinners = spinner_flags(&placement);
        let binder = if placement.pin() {
            Some(Arc::new(Binder::new().map_err(RuntimeError::Topology)?))
        } else {
            None
        };
        let shared = Arc::new(Shared::new(placement, settings, &deques));
        let mut runtime = Runtime {
            shared,
            threads: Vec::with_capacity(deques.len()),
        };
        for ((index, deque), is_spinner) in deques.into_iter().enumerate().zip(spinners) {
            let id = WorkerId(u16::try_from(index).expect("a plan has at most 65,535 workers"));
            let (shared, binder) = (Arc::clone(&runtime.shared), binder.clone());
            let spawned = thread::Builder::new()
                .name(format!("courier-worker-{index}"))
                .spawn(move || worker_main(id, &shared, deque, is_spinner, binder.as_deref()));
            match spawned {
                Ok(handle) => runtime.threads.push(handle),
                // Dropping the runtime stops the threads already started (they wait for the
                // thread table or shutdown).
                Err(error) => return Err(RuntimeError::Thread(error)),
            }
        }
        let handles: Box<[Thread]> = runtime.threads.iter().map(|t| t.thread().clone()).collect();
        let _first = runtime.shared.threads.set(handles);
        // Release the workers: they wait for the table of threads they unpark each other with.
        for thread in &runtime.threads {
            thread.thread().unpark();
        }
        Ok(runtime)
    }

    /// Spawns an actor; it runs `started`, then handles its messages. Spawns from outside the
    /// runtime go round-robin over the nodes.
    pub fn spawn<A: Actor>(&self, actor: A) -> ActorRef<A::Msg> {
        let nodes = self.shared.placement.nodes();
        // ORDERING: Relaxed; only spreads spawns.
        let turn = self
            .shared
            .tallies
            .next_spawn_node
            .fetch_add(1, StdOrdering::Relaxed);
        let node = nodes[usize::try_from(turn).unwrap_or(0) % nodes.len()]
            .node
            .0;
        self.shared.spawn_on_node(actor, node)
    }

    /// Spawns an actor pinned to `worker`: it runs only there, is never stolen, and sends
    /// from anywhere queue it on that worker's own inbox (for a ping-pong across two chosen
    /// cores, or an actor that owns a core-local resource).
    ///
    /// # Errors
    /// [`SpawnError::NoSuchWorker`] when the runtime has no such worker.
    pub fn spawn_on_worker<A: Actor>(
        &self,
        actor: A,
        worker: WorkerId,
    ) -> Result<ActorRef<A::Msg>, SpawnError> {
        self.shared.spawn_on_worker(actor, worker)
    }

    /// Spawns an actor homed on `node`: queued on that node's injector, its memory from that
    /// node's pools, and run by that node's workers first (others steal it as any work).
    ///
    /// # Errors
    /// [`SpawnError::NoWorkersOnNode`] when the placement has no worker on `node` (a node the
    /// topology lacks, or one the config gave no workers): nothing would ever take the actor.
    pub fn spawn_on<A: Actor>(
        &self,
        actor: A,
        node: NodeId,
    ) -> Result<ActorRef<A::Msg>, SpawnError> {
        self.shared.spawn_on_staffed_node(actor, node)
    }

    /// Gives `actor` a name others can look it up by ([`Runtime::whereis`]); the name goes when
    /// the actor exits or is unregistered.
    ///
    /// # Errors
    /// [`NameError::Taken`] when another actor holds the name, [`NameError::Stopped`] when the
    /// actor has stopped.
    pub fn register<M: 'static>(&self, name: &str, actor: &ActorRef<M>) -> Result<(), NameError> {
        self.shared.registry.register(name, actor)
    }

    /// The actor named `name`, if it handles `M`.
    ///
    /// # Errors
    /// [`NameError::NotFound`] or [`NameError::WrongType`].
    pub fn whereis<M: Send + 'static>(&self, name: &str) -> Result<ActorRef<M>, NameError> {
        self.shared.registry.whereis(name)
    }

    /// Removes a name; `false` when nobody held it.
    #[expect(
        clippy::must_use_candidate,
        reason = "removing is the point; the bool is a detail"
    )]
    pub fn unregister(&self, name: &str) -> bool {
        self.shared.registry.unregister(name)
    }

    /// The placement the workers run on.
    #[must_use]
    pub fn placement(&self) -> &Placement {
        &self.shared.placement
    }

    /// How binding each worker to its CPU went.
    #[must_use]
    pub fn binds(&self) -> Vec<(WorkerId, Bind)> {
        self.shared.binds.lock().clone()
    }

    /// A snapshot of the runtime's counters.
    #[must_use]
    pub fn metrics(&self) -> RuntimeMetrics {
        self.shared.metrics_snapshot()
    }

    /// Stops the workers and waits for them (a turn under way finishes; nothing queued runs).
    ///
    /// Every actor queued to run is closed and its waiting messages are dead-lettered (a
    /// request among them drops its reply handle, so its asker hears at once); an idle actor
    /// is closed the same way by the first send after the shutdown, which is accepted and
    /// dead-lettered. From then on sends hand their message back as `Closed`, and a sender
    /// waiting for room in a full mailbox gets it back too. Actors' memory stays until the
    /// last reference to them goes; `stopped` is not run for actors that never exited.
    pub fn shutdown(mut self) {
        self.shut_down();
    }

    /// Lets the actors finish what they have to do, then shuts down as [`Runtime::shutdown`]:
    /// waits until the runtime is quiet (every worker parked, nothing queued to run, seen
    /// twice in a row) or `timeout` passes. Returns whether it was quiet; `false` means the
    /// timeout cut it short, and what was still queued was dead-lettered by the shutdown.
    ///
    /// Quiet is about actors only: timers not yet due are dropped with their workers, and
    /// messages sent from outside the runtime after the last look are dead-lettered.
    ///
    /// ```
    /// use std::time::Duration;
    /// use courier_sched::{Actor, Context, Runtime};
    ///
    /// /// Counts down, one message to itself at a time.
    /// struct Countdown;
    /// impl Actor for Countdown {
    ///     type Msg = u32;
    ///     type Error = std::convert::Infallible;
    ///     fn handle(&mut self, ctx: &mut Context<'_, Self>, n: u32) -> Result<(), Self::Error> {
    ///         if n > 0 {
    ///             let _ = ctx.myself().try_send(n - 1);
    ///         }
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let runtime = Runtime::with_workers(2).unwrap();
    /// runtime.spawn(Countdown).send(10_000).unwrap();
    /// assert!(runtime.shutdown_when_quiet(Duration::from_secs(60)), "it counted down to 0");
    /// ```
    #[expect(
        clippy::must_use_candidate,
        reason = "shutting down is the point; whether it was quiet is a detail"
    )]
    pub fn shutdown_when_quiet(mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut quiet_looks = 0;
        let quiet = loop {
            if self.shared.is_quiet() {
                quiet_looks += 1;
                // Twice in a row, a moment apart: a worker between taking an actor and
                // counting itself unparked, or between two queues, shows no work for an
                // instant.
                if quiet_looks == 2 {
                    break true;
                }
            } else {
                quiet_looks = 0;
            }
            if Instant::now() >= deadline {
                break false;
            }
            thread::park_timeout(QUIET_LOOK_INTERVAL);
        };
        self.shut_down();
        quiet
    }

    fn shut_down(&mut self) {
        // ORDERING: Release; pairs with the workers' Acquire loads of the flag.
        self.shared.shutdown.store(true, StdOrdering::Release);
        for worker in self.shared.idle.wake_all() {
            self.shared.unpark(worker);
        }
        for thread in self.threads.drain(..) {
            thread.thread().unpark();
            if thread.join().is_err() {
                eprintln!("courier: a worker thread panicked outside any actor");
            }
        }
        self.shared.shut_down_queues();
    }
}

pub(crate) fn steal_one(injector: &Injector<ActorPtr>) -> Option<ActorPtr> {
    loop {
        match injector.steal() {
            crossbeam_deque::Steal::Success(actor) => return Some(actor),
            crossbeam_deque::Steal::Empty => return None,
            crossbeam_deque::Steal::Retry => {}
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if !self.threads.is_empty() {
            self.shut_down();
        }
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("workers", &self.threads.len())
            .field("metrics", &self.metrics())
            .finish_non_exhaustive()
    }
}

/// Which workers spin before parking: the first `spinners` of each node.
fn spinner_flags(placement: &Placement) -> Vec<bool> {
    placement
        .workers()
        .iter()
        .map(|plan| {
            placement.node(plan.node).is_some_and(|node| {
                let rank = node
                    .workers
                    .iter()
                    .position(|w| *w == plan.worker)
                    .unwrap_or(0);
                rank < usize::from(node.spinners)
            })
        })
        .collect()
}

fn worker_main(
    id: WorkerId,
    shared: &Arc<Shared>,
    deque: RunQueues,
    is_spinner: bool,
    binder: Option<&Binder>,
) {
    if let Some(binder) = binder {
        let bind = binder.bind_current_thread(&shared.placement, id);
        shared.binds.lock().push((id, bind));
    }
    while shared.threads.get().is_none() && !shared.is_shut_down() {
        thread::park();
    }
    let pools = shared.worker_pools(shared.placement.worker(id).node.0);
    let worker = Worker::new(id, Arc::clone(shared), deque, pools, is_spinner);
    worker.run();
}
