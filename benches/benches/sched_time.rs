//! Wall-clock time of courier-sched's actor runtime on real worker threads, each next to its
//! physical floor measured in the same run:
//!
//! - `single_actor_throughput`: one outside thread `send`s `THROUGHPUT_COUNT` `u64`s to one
//!   counting actor, on a runtime of 1 and of 2 workers, with the default mailbox (1024) and
//!   with one of `LARGE_MAILBOX`; crossbeam-channel `bounded(1024)` between two threads is the
//!   floor.
//! - `ping_pong`: round trip between two actors on a 2-worker runtime. `courier_pinned`: this
//!   machine's plan, pinned, both workers spinners (unpinned when no such plan is possible
//!   here, which stderr says). A send from a worker puts an actor homed on its node into that
//!   worker's LIFO slot, so there the two players end up taking turns on one worker; stderr
//!   gives the share of hits that crossed workers. `courier_2_workers`: the same runtime with
//!   each player pinned to its own worker (`spawn_on_worker`), so every hit crosses workers
//!   through the other worker's inbox: the true cross-core round trip. `courier_2_nodes`: a synthetic topology of
//!   two one-PU NUMA nodes (unpinned, one spinner each) with one player homed on each node, so
//!   each send goes through the other node's injector. A bare atomic ping-pong between two
//!   spinning threads bound to the pinned plan's CPUs is the floor; the median ratios courier /
//!   bare go to stderr.
//! - `skynet`: 1 M leaf actors (fan-out 10, 6 levels), each spawned by its parent.
//! - `fan_out_fan_in`: one coordinator, `FAN_OUT` actors, one message and one reply each.
//! - `spawn`: `SPAWNS` idle actors spawned by one handler on a 2-worker runtime, timed inside
//!   the handler (throughput: spawns per second; the time per spawn is the inverse).
//!
//! Every result is checked: a wrong sum or count panics, and a wait longer than `HANG` panics
//! (a lost message or wake-up) instead of hanging the run. Each runtime is shut down at the end
//! of its benchmark, and each group ends by checking that no thread outlives it.

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use courier_alloc::NodeId;
use courier_benches::floor::{Idle, bare_round_trips, pinned_runtime};
use courier_mailbox::Capacity;
use courier_sched::{
    Actor, ActorRef, Context, Placement, Runtime, RuntimeSettings, SendError, Topology,
    WorkerCount, WorkerId, WorkerSettings,
};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use crossbeam_channel::{Receiver, Sender};
use mimalloc::MiMalloc;

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

/// Messages per iteration of `single_actor_throughput`.
const THROUGHPUT_COUNT: u64 = 1_000_000;
/// A mailbox that `THROUGHPUT_COUNT` sends from a faster sender never fill (in practice).
const LARGE_MAILBOX: u32 = 65_536;
/// Skynet: children per actor and levels below the root (10^6 leaves).
const SKYNET_FAN_OUT: u64 = 10;
const SKYNET_LEVELS: u32 = 6;
/// Sum of the leaves' numbers 0..10^6.
const SKYNET_SUM: u64 = 499_999_500_000;
/// Worker actors of `fan_out_fan_in`.
const FAN_OUT: u64 = 1000;
/// Generous: only a hang (a lost message or wake-up) ever reaches it.
const HANG: Duration = Duration::from_mins(1);

/// Waits for one completion value, panicking on a hang.
fn wait(done: &Receiver<u64>, what: &str) -> u64 {
    done.recv_timeout(HANG)
        .unwrap_or_else(|error| panic!("{what}: no completion within {HANG:?} ({error})"))
}

/// The process's peak resident set so far (`VmHWM`), as Linux reports it.
fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmHWM"))
                .map(|line| {
                    line.split_whitespace()
                        .skip(1)
                        .collect::<Vec<_>>()
                        .join(" ")
                })
        })
        .map_or_else(
            || "peak RSS unknown".to_owned(),
            |rss| format!("peak RSS {rss}"),
        )
}

/// Threads of this process now, when Linux says (`/proc/self/task`).
fn thread_count() -> Option<usize> {
    std::fs::read_dir("/proc/self/task")
        .ok()
        .map(Iterator::count)
}

/// Panics when a group leaves more threads running than the process had before the first one.
fn assert_no_leaked_threads(group: &str) {
    static BEFORE: OnceLock<Option<usize>> = OnceLock::new();
    let before = *BEFORE.get_or_init(thread_count);
    if let (Some(before), Some(now)) = (before, thread_count()) {
        assert!(
            now <= before,
            "{group} left {now} threads running, {before} before"
        );
    }
}

/// Prints the machine the numbers come from (STYLE §6: cores and NUMA nodes).
fn print_machine() {
    match Topology::this_system() {
        Ok(topology) => eprintln!(
            "sched_time: {} PUs, {} NUMA node(s), {} host CPU(s)",
            topology.pus().len(),
            topology.nodes().len(),
            topology.host_cpus().len()
        ),
        Err(error) => eprintln!("sched_time: topology unavailable: {error}"),
    }
}

// ---------------------------------------------------------------------------------------------
// single_actor_throughput

/// Counts and sums messages; after `expected` of them it reports the sum and starts over.
struct Counter {
    expected: u64,
    count: u64,
    sum: u64,
    done: Sender<u64>,
}

impl Actor for Counter {
    type Msg = u64;
    type Error = Infallible;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, n: u64) -> Result<(), Infallible> {
        self.count += 1;
        self.sum += n;
        if self.count == self.expected {
            self.done.send(self.sum).expect("the bench waits");
            self.count = 0;
            self.sum = 0;
        }
        Ok(())
    }
}

/// Sends `THROUGHPUT_COUNT` messages from this thread and waits until all are handled.
/// `send` is `try_send` plus a backoff when the mailbox is full; the first try is made here
/// to count how often the sender found it full (`full`).
fn counter_run(counter: &ActorRef<u64>, done: &Receiver<u64>, full: &mut u64) -> Duration {
    let start = Instant::now();
    for n in 0..THROUGHPUT_COUNT {
        if let Err(error) = counter.try_send(n) {
            assert!(matches!(error, SendError::Full(_)), "send failed: {error}");
            *full += 1;
            counter
                .send(error.into_inner())
                .expect("the counter is alive");
        }
    }
    let sum = wait(done, "single_actor_throughput");
    let elapsed = start.elapsed();
    assert_eq!(
        sum,
        THROUGHPUT_COUNT * (THROUGHPUT_COUNT - 1) / 2,
        "wrong sum"
    );
    elapsed
}

fn crossbeam_run() -> Duration {
    let (sender, receiver) = crossbeam_channel::bounded::<u64>(1024);
    let consumer = thread::spawn(move || receiver.iter().sum::<u64>());
    let start = Instant::now();
    for n in 0..THROUGHPUT_COUNT {
        sender.send(n).expect("the receiver lives");
    }
    drop(sender);
    let sum = consumer.join().expect("the consumer does not panic");
    let elapsed = start.elapsed();
    assert_eq!(
        sum,
        THROUGHPUT_COUNT * (THROUGHPUT_COUNT - 1) / 2,
        "wrong sum"
    );
    elapsed
}

/// `Runtime::with_workers(workers)` (unpinned, no spinners), with a mailbox of `mailbox`
/// messages instead of the default when given.
fn unpinned_runtime(workers: u16, mailbox: Option<u32>) -> Runtime {
    let Some(capacity) = mailbox else {
        return Runtime::with_workers(workers).expect("the runtime starts");
    };
    let topology = Topology::this_system().expect("hwloc loads this machine");
    let settings = WorkerSettings {
        count: WorkerCount::Total(workers),
        oversubscribe: true,
        pin: false,
        spinners_per_node: 0,
        ..WorkerSettings::default()
    };
    let placement = Placement::plan(&topology, &settings).expect("an unpinned plan");
    let settings = RuntimeSettings {
        mailbox_capacity: Capacity::new(capacity).expect("a valid capacity"),
        ..RuntimeSettings::default()
    };
    Runtime::start(placement, settings).expect("the runtime starts")
}

fn single_actor_throughput(c: &mut Criterion) {
    print_machine();
    assert_no_leaked_threads("the start");
    let mut group = c.benchmark_group("single_actor_throughput");
    group.throughput(Throughput::Elements(THROUGHPUT_COUNT));
    group.sample_size(10);
    // The default mailbox (1024) makes the sender wait in `send` when it is full; the large
    // one (never full here) shows the runtime without that backoff.
    let cases = [
        (1_u16, None),
        (2, None),
        (1, Some(LARGE_MAILBOX)),
        (2, Some(LARGE_MAILBOX)),
    ];
    for (workers, mailbox) in cases {
        let name = match mailbox {
            None => format!("courier_{workers}_workers"),
            Some(capacity) => format!("courier_{workers}_workers_mailbox_{capacity}"),
        };
        let runtime = unpinned_runtime(workers, mailbox);
        let (done, finished) = crossbeam_channel::unbounded();
        let counter = runtime.spawn(Counter {
            expected: THROUGHPUT_COUNT,
            count: 0,
            sum: 0,
            done,
        });
        let (mut runs, mut full) = (0_u64, 0_u64);
        group.bench_function(&name, |b| {
            b.iter_custom(|iters| {
                runs += iters;
                (0..iters)
                    .map(|_| counter_run(&counter, &finished, &mut full))
                    .sum()
            });
        });
        if runs > 0 {
            eprintln!(
                "{name}: the mailbox was full at {:.1} sends per run of {THROUGHPUT_COUNT}; {:?}",
                ratio(full, runs),
                runtime.metrics().workers
            );
        }
        drop(counter);
        runtime.shutdown();
    }
    group.bench_function("crossbeam_bounded_1024", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| crossbeam_run()).sum());
    });
    group.finish();
    assert_no_leaked_threads("single_actor_throughput");
}

// ---------------------------------------------------------------------------------------------
// ping_pong

enum Ball {
    Meet(ActorRef<Ball>),
    /// `left` hits to go; `from` is the worker that sent it.
    Hit {
        left: u64,
        from: WorkerId,
    },
}

/// What one player saw: turns with the ball, and how many of them came from the other worker.
#[derive(Default)]
struct Hops {
    hits: AtomicU64,
    cross_worker: AtomicU64,
}

impl Hops {
    /// ORDERING: Relaxed; statistics written only by one actor's turns (which the runtime
    /// orders among themselves) and read after the run.
    fn add(counter: &AtomicU64) {
        counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    }

    fn take(&self) -> (u64, u64) {
        (
            self.hits.swap(0, Ordering::Relaxed),
            self.cross_worker.swap(0, Ordering::Relaxed),
        )
    }
}

/// Returns the ball until it counts down to zero.
struct Player {
    peer: Option<ActorRef<Ball>>,
    done: Sender<u64>,
    hops: Arc<Hops>,
}

impl Actor for Player {
    type Msg = Ball;
    type Error = Infallible;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: Ball) -> Result<(), Infallible> {
        match msg {
            Ball::Meet(peer) => self.peer = Some(peer),
            Ball::Hit { left, from } => {
                let here = ctx.worker();
                Hops::add(&self.hops.hits);
                if here != from {
                    Hops::add(&self.hops.cross_worker);
                }
                if left == 0 {
                    self.done.send(0).expect("the bench waits");
                } else {
                    let peer = self.peer.as_ref().expect("met before the first hit");
                    let ball = Ball::Hit {
                        left: left - 1,
                        from: here,
                    };
                    peer.try_send(ball).expect("the peer is alive");
                }
            }
        }
        Ok(())
    }
}

/// A 2-worker runtime on a synthetic topology of two NUMA nodes of one PU each (mapped onto
/// this machine's CPUs, not pinned; one spinner per node): an actor homed on the other node is
/// woken through that node's injector, which is the only way the public API offers to keep two
/// actors off one worker.
fn two_node_runtime() -> Option<Runtime> {
    let topology = Topology::synthetic("pack:1 numa:2 core:1 pu:1")
        .map_err(|e| eprintln!("ping_pong: no synthetic 2-node topology: {e}"))
        .ok()?;
    let settings = WorkerSettings {
        count: WorkerCount::Total(2),
        pin: false,
        spinners_per_node: 1,
        ..WorkerSettings::default()
    };
    let placement = Placement::plan(&topology, &settings)
        .map_err(|e| eprintln!("ping_pong: no 2-node plan: {e}"))
        .ok()?;
    Runtime::start(placement, RuntimeSettings::default())
        .map_err(|e| eprintln!("ping_pong: the 2-node runtime did not start: {e}"))
        .ok()
}

/// Where the two players of a ping-pong go.
#[derive(Clone, Copy)]
enum Seats {
    /// Wherever `spawn` puts them.
    Anywhere,
    /// Homed on these nodes.
    Nodes([NodeId; 2]),
    /// Pinned to these workers (`spawn_on_worker`).
    Workers([WorkerId; 2]),
}

/// Benchmarks the round trip between two players of `runtime` (seated as `seats` says);
/// returns the median time per round trip over all its samples, in ns. Shuts the runtime down.
fn courier_round_trip(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    runtime: Runtime,
    seats: Seats,
) -> f64 {
    let (done, finished) = crossbeam_channel::unbounded();
    let hops = [Arc::new(Hops::default()), Arc::new(Hops::default())];
    let players: Vec<ActorRef<Ball>> = (0..2)
        .map(|index| {
            let player = Player {
                peer: None,
                done: done.clone(),
                hops: Arc::clone(&hops[index]),
            };
            match seats {
                Seats::Nodes(homes) => runtime
                    .spawn_on(player, homes[index])
                    .expect("a node of the plan"),
                Seats::Workers(workers) => runtime
                    .spawn_on_worker(player, workers[index])
                    .expect("a 2-worker runtime"),
                Seats::Anywhere => runtime.spawn(player),
            }
        })
        .collect();
    players[0]
        .send(Ball::Meet(players[1].clone()))
        .expect("alive");
    players[1]
        .send(Ball::Meet(players[0].clone()))
        .expect("alive");
    let mut samples = Vec::new();
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            // A round trip is two hits; the count reaches zero back at the first player.
            let ball = Ball::Hit {
                left: 2 * iters,
                from: WorkerId(u16::MAX),
            };
            players[0].send(ball).expect("alive");
            assert_eq!(wait(&finished, "ping_pong"), 0);
            let elapsed = start.elapsed();
            samples.push(ns_per(elapsed, iters));
            elapsed
        });
    });
    let (hits, cross): (Vec<u64>, Vec<u64>) = hops.iter().map(|h| h.take()).unzip();
    let (hits, cross) = (hits.iter().sum::<u64>(), cross.iter().sum::<u64>());
    if hits > 0 {
        eprintln!(
            "ping_pong/{name}: {cross} of {hits} hits crossed workers ({:.1}%); {:?}",
            ratio(cross, hits) * 100.0,
            runtime.metrics().workers
        );
    }
    // The players hold each other's refs: stopping them drops their state and the cycle.
    for player in &players {
        let _stopped = player.stop();
    }
    drop(players);
    runtime.shutdown();
    median(&mut samples)
}

/// The median of the per-iteration times of every call (warm-up included), in ns.
fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples.get(samples.len() / 2).copied().unwrap_or(f64::NAN)
}

#[expect(clippy::cast_precision_loss, reason = "rough figures for stderr")]
fn ns_per(elapsed: Duration, iters: u64) -> f64 {
    elapsed.as_nanos() as f64 / iters as f64
}

#[expect(clippy::cast_precision_loss, reason = "rough figures for stderr")]
fn ratio(part: u64, whole: u64) -> f64 {
    part as f64 / whole as f64
}

fn ping_pong(c: &mut Criterion) {
    let mut group = c.benchmark_group("ping_pong");
    group.throughput(Throughput::Elements(1));
    let (runtime, placement, note) = pinned_runtime();
    eprintln!("ping_pong: {note}");
    let same_node = courier_round_trip(&mut group, "courier_pinned", runtime, Seats::Anywhere);
    let (runtime, _, _) = pinned_runtime();
    let seats = Seats::Workers([WorkerId(0), WorkerId(1)]);
    let two_workers = courier_round_trip(&mut group, "courier_2_workers", runtime, seats);
    let two_nodes = two_node_runtime().map_or(f64::NAN, |runtime| {
        let homes = [NodeId(0), NodeId(1)];
        courier_round_trip(&mut group, "courier_2_nodes", runtime, Seats::Nodes(homes))
    });
    let mut samples = Vec::new();
    group.bench_function("bare_atomic", |b| {
        b.iter_custom(|iters| {
            let elapsed = bare_round_trips(iters, placement.as_ref());
            samples.push(ns_per(elapsed, iters));
            elapsed
        });
    });
    group.finish();
    let bare_ns = median(&mut samples);
    eprintln!(
        "ping_pong: medians: courier_pinned {same_node:.1} ns = {:.2}x bare, \
         courier_2_workers {two_workers:.1} ns = {:.2}x bare, \
         courier_2_nodes {two_nodes:.1} ns = {:.2}x bare, bare_atomic {bare_ns:.1} ns \
         (target <= 2.5x)",
        same_node / bare_ns,
        two_workers / bare_ns,
        two_nodes / bare_ns
    );
    assert_no_leaked_threads("ping_pong");
}

// ---------------------------------------------------------------------------------------------
// skynet

enum Parent {
    Actor(ActorRef<u64>),
    Bench(Sender<u64>),
}

/// One skynet node: a leaf reports its number; an inner node spawns its children and reports
/// the sum of their reports.
struct Skynet {
    parent: Parent,
    number: u64,
    level: u32,
    pending: u64,
    sum: u64,
}

impl Skynet {
    fn report(&self, ctx: &mut Context<'_, Self>, value: u64) {
        match &self.parent {
            Parent::Actor(parent) => parent.try_send(value).expect("the parent waits"),
            Parent::Bench(done) => done.send(value).expect("the bench waits"),
        }
        ctx.stop();
    }
}

impl Actor for Skynet {
    type Msg = u64;
    type Error = Infallible;

    fn started(&mut self, ctx: &mut Context<'_, Self>) -> Result<(), Infallible> {
        if self.level == SKYNET_LEVELS {
            self.report(ctx, self.number);
            return Ok(());
        }
        for child in 0..SKYNET_FAN_OUT {
            let _child = ctx.spawn(Skynet {
                parent: Parent::Actor(ctx.myself()),
                number: self.number * SKYNET_FAN_OUT + child,
                level: self.level + 1,
                pending: SKYNET_FAN_OUT,
                sum: 0,
            });
        }
        Ok(())
    }

    fn handle(&mut self, ctx: &mut Context<'_, Self>, value: u64) -> Result<(), Infallible> {
        self.sum += value;
        self.pending -= 1;
        if self.pending == 0 {
            self.report(ctx, self.sum);
        }
        Ok(())
    }
}

fn skynet(c: &mut Criterion) {
    let mut group = c.benchmark_group("skynet");
    group.sample_size(10);
    let before = peak_rss();
    let runtime = Runtime::with_workers(2).expect("the runtime starts");
    let (done, finished) = crossbeam_channel::unbounded();
    group.bench_function("1M_leaves_2_workers", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let _root = runtime.spawn(Skynet {
                    parent: Parent::Bench(done.clone()),
                    number: 0,
                    level: 0,
                    pending: SKYNET_FAN_OUT,
                    sum: 0,
                });
                let sum = wait(&finished, "skynet");
                total += start.elapsed();
                assert_eq!(sum, SKYNET_SUM, "wrong skynet sum");
            }
            total
        });
    });
    group.finish();
    let metrics = runtime.metrics();
    if metrics.actors_spawned > 0 {
        eprintln!(
            "skynet: spawned {}, exited {}, dead letters {}; process {} (before skynet: {before})",
            metrics.actors_spawned,
            metrics.actors_exited,
            metrics.dead_letters,
            peak_rss()
        );
    }
    runtime.shutdown();
    assert_no_leaked_threads("skynet");
}

// ---------------------------------------------------------------------------------------------
// fan_out_fan_in

enum Coordination {
    Workers(Vec<ActorRef<u64>>),
    Round,
    Reply(u64),
}

/// Sends one message to each worker per round and counts (and sums) the replies.
struct Coordinator {
    workers: Vec<ActorRef<u64>>,
    pending: u64,
    sum: u64,
    done: Arc<AtomicU64>,
}

impl Actor for Coordinator {
    type Msg = Coordination;
    type Error = Infallible;

    fn handle(
        &mut self,
        _ctx: &mut Context<'_, Self>,
        msg: Coordination,
    ) -> Result<(), Infallible> {
        match msg {
            Coordination::Workers(workers) => self.workers = workers,
            Coordination::Round => {
                self.pending = self.workers.len() as u64;
                self.sum = 0;
                for (index, worker) in (0_u64..).zip(&self.workers) {
                    worker.try_send(index).expect("a worker's mailbox has room");
                }
            }
            Coordination::Reply(index) => {
                self.sum += index;
                self.pending -= 1;
                if self.pending == 0 {
                    // ORDERING: Release; the bench's Acquire load sees the whole round.
                    self.done.store(self.sum + 1, Ordering::Release);
                }
            }
        }
        Ok(())
    }
}

/// Echoes its index back to the coordinator.
struct Echo {
    coordinator: ActorRef<Coordination>,
}

impl Actor for Echo {
    type Msg = u64;
    type Error = Infallible;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, index: u64) -> Result<(), Infallible> {
        self.coordinator
            .try_send(Coordination::Reply(index))
            .expect("the coordinator's mailbox has room");
        Ok(())
    }
}

fn fan_out_fan_in(c: &mut Criterion) {
    let mut group = c.benchmark_group("fan_out_fan_in");
    group.throughput(Throughput::Elements(FAN_OUT));
    group.sample_size(20);
    let runtime = Runtime::with_workers(2).expect("the runtime starts");
    let done = Arc::new(AtomicU64::new(0));
    let coordinator = runtime.spawn(Coordinator {
        workers: Vec::new(),
        pending: 0,
        sum: 0,
        done: Arc::clone(&done),
    });
    let workers: Vec<ActorRef<u64>> = (0..FAN_OUT)
        .map(|_| {
            runtime.spawn(Echo {
                coordinator: coordinator.clone(),
            })
        })
        .collect();
    coordinator
        .send(Coordination::Workers(workers.clone()))
        .expect("alive");
    group.bench_function("1000_actors_2_workers", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                coordinator.send(Coordination::Round).expect("alive");
                let deadline = Instant::now() + HANG;
                // ORDERING: Acquire; pairs with the coordinator's Release store.
                while done.load(Ordering::Acquire) == 0 {
                    assert!(Instant::now() < deadline, "fan_out_fan_in: hang");
                    thread::yield_now();
                }
                // ORDERING: Relaxed; the load above acquired the round, only we reset it.
                let sum = done.swap(0, Ordering::Relaxed) - 1;
                assert_eq!(sum, FAN_OUT * (FAN_OUT - 1) / 2, "wrong fan-in sum");
            }
            start.elapsed()
        });
    });
    group.finish();
    // The coordinator and the workers hold each other's refs: stop them all.
    let _stopped = coordinator.stop();
    for worker in &workers {
        let _stopped = worker.stop();
    }
    drop((coordinator, workers));
    runtime.shutdown();
    assert_no_leaked_threads("fan_out_fan_in");
}

// ---------------------------------------------------------------------------------------------
// spawn

/// Actors each iteration of `spawn` spawns.
const SPAWNS: u64 = 1000;

/// Spawns `SPAWNS` idle actors in one handler, keeps their refs, and reports the time the
/// spawning took to the bench.
struct Spawner {
    /// The spawning time, in ns.
    done: Sender<u64>,
}

impl Actor for Spawner {
    type Msg = ();
    type Error = Infallible;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, (): ()) -> Result<(), Infallible> {
        let mut refs = Vec::with_capacity(usize::try_from(SPAWNS).unwrap_or(0));
        let start = Instant::now();
        for _ in 0..SPAWNS {
            refs.push(ctx.spawn(Idle));
        }
        let elapsed = start.elapsed();
        // Dropped untimed: an idle actor whose last ref goes is freed after its `started`.
        drop(refs);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.done.send(nanos).expect("the bench waits");
        Ok(())
    }
}

/// Time per spawn (DESIGN.md: <= 0.2 us): `SPAWNS` idle actors spawned by a handler on a
/// 2-worker runtime (ids and runtime references from the worker's blocks, cells into its
/// nursery, where the other worker may steal them to run `started`).
fn spawn(c: &mut Criterion) {
    let mut group = c.benchmark_group("spawn");
    group.throughput(Throughput::Elements(SPAWNS));
    let runtime = Runtime::with_workers(2).expect("the runtime starts");
    let (done, timed) = crossbeam_channel::unbounded();
    let spawner = runtime.spawn(Spawner { done });
    group.bench_function("1000_idle_from_a_handler_2_workers", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                spawner.send(()).expect("alive");
                total += Duration::from_nanos(wait(&timed, "spawn"));
            }
            total
        });
    });
    group.finish();
    drop(spawner);
    runtime.shutdown();
    assert_no_leaked_threads("spawn");
}

criterion_group!(
    benches,
    single_actor_throughput,
    ping_pong,
    skynet,
    fan_out_fan_in,
    spawn
);
criterion_main!(benches);
