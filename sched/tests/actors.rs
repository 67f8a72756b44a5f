//! The actor core end to end: real runtimes, real worker threads.

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use courier_alloc::NodeId;
use courier_mailbox::Capacity;
use courier_sched::{
    Actor, ActorRef, AskError, Context, Exit, Placement, Priority, ReplyTo, Runtime,
    RuntimeSettings, SendError, SpawnError, Topology, WorkerCount, WorkerSettings,
};

mod common;

use common::{HANG, wait_for};

/// What a player reports once it has dropped its peer.
const LEFT: u64 = u64::MAX;

fn size(release: usize) -> usize {
    if cfg!(debug_assertions) {
        release / 10
    } else {
        release
    }
}

struct Player {
    peer: Option<ActorRef<Ball>>,
    done: mpsc::Sender<u64>,
}

enum Ball {
    Meet(ActorRef<Ball>),
    Leave,
    Hit(u64),
}

impl Actor for Player {
    type Msg = Ball;
    type Error = Infallible;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, msg: Ball) -> Result<(), Infallible> {
        match msg {
            Ball::Meet(peer) => self.peer = Some(peer),
            Ball::Leave => {
                self.peer = None;
                self.done.send(LEFT).expect("the test waits");
            }
            Ball::Hit(0) => self.done.send(0).expect("the test waits"),
            Ball::Hit(n) => {
                let peer = self.peer.as_ref().expect("met before the first hit");
                peer.try_send(Ball::Hit(n - 1)).expect("the peer is alive");
            }
        }
        Ok(())
    }
}

#[test]
fn ping_pong_between_actors_on_two_workers_completes() {
    let runtime = Runtime::with_workers(2).unwrap();
    let (done, finished) = mpsc::channel();
    let server = runtime.spawn(Player {
        peer: None,
        done: done.clone(),
    });
    let receiver = runtime.spawn(Player { peer: None, done });
    server.send(Ball::Meet(receiver.clone())).unwrap();
    receiver.send(Ball::Meet(server.clone())).unwrap();
    let hits = size(200_000) as u64;
    server.send(Ball::Hit(hits)).unwrap();
    assert_eq!(finished.recv_timeout(HANG).unwrap(), 0);
    let metrics = runtime.metrics();
    let handled: u64 = metrics.workers.iter().map(|w| w.messages).sum();
    assert!(handled >= hits, "{metrics:?}");
    // The players hold each other's refs: a cycle, broken here. Shutdown does not run queued
    // actors, so the test waits until both have let go (else both cells, and through them the
    // runtime, would leak: valgrind's leak check caught that race in CI).
    server.send(Ball::Leave).unwrap();
    receiver.send(Ball::Leave).unwrap();
    for _ in 0..2 {
        assert_eq!(finished.recv_timeout(HANG).unwrap(), LEFT);
    }
    drop((server, receiver));
    runtime.shutdown();
}

struct Tally(Arc<AtomicU64>);

impl Actor for Tally {
    type Msg = u64;
    type Error = Infallible;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, n: u64) -> Result<(), Infallible> {
        self.0.fetch_add(n, Ordering::Relaxed);
        ctx.stop();
        Ok(())
    }
}

#[test]
fn a_hundred_thousand_actors_are_spawned_and_each_handles_its_message() {
    let runtime = Runtime::with_workers(2).unwrap();
    let total = Arc::new(AtomicU64::new(0));
    let actors = size(100_000);
    let refs: Vec<_> = (0..actors)
        .map(|_| runtime.spawn(Tally(Arc::clone(&total))))
        .collect();
    for actor in &refs {
        actor.send(1).unwrap();
    }
    wait_for(|| total.load(Ordering::Relaxed) == actors as u64);
    wait_for(|| runtime.metrics().actors_exited == actors as u64);
    assert!(refs.iter().all(ActorRef::is_stopped));
    assert_eq!(runtime.metrics().dead_letters, 0);
    runtime.shutdown();
}

/// Panics on 0, counts everything else, reports how it stopped.
struct Fragile {
    handled: Arc<AtomicU64>,
    exits: mpsc::Sender<Exit>,
}

impl Actor for Fragile {
    type Msg = u64;
    type Error = String;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, n: u64) -> Result<(), String> {
        match n {
            0 => panic!("fragile got zero"),
            u64::MAX => Err("fragile got max".to_owned()),
            _ => {
                self.handled.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
        }
    }

    fn stopped(&mut self, _ctx: &mut Context<'_, Self>, reason: &Exit) {
        self.exits.send(reason.clone()).expect("the test waits");
    }
}

#[test]
fn a_panicking_actor_exits_and_its_worker_keeps_running_others() {
    let runtime = Runtime::with_workers(1).unwrap();
    let handled = Arc::new(AtomicU64::new(0));
    let (exits, exited) = mpsc::channel();
    let fragile = runtime.spawn(Fragile {
        handled: Arc::clone(&handled),
        exits: exits.clone(),
    });
    let sturdy = runtime.spawn(Fragile {
        handled: Arc::clone(&handled),
        exits,
    });
    fragile.send(0).unwrap();
    let reason = exited.recv_timeout(HANG).unwrap();
    assert_eq!(
        reason,
        Exit::Panicked {
            message: "fragile got zero".to_owned()
        }
    );
    // The one worker survived: the other actor still runs on it.
    sturdy.send(7).unwrap();
    wait_for(|| handled.load(Ordering::Relaxed) == 1);
    assert!(matches!(fragile.send(5), Err(SendError::Closed(5))));
    sturdy.send(u64::MAX).unwrap();
    let reason = exited.recv_timeout(HANG).unwrap();
    assert_eq!(
        reason,
        Exit::Error {
            message: "fragile got max".to_owned()
        }
    );
    assert_eq!(runtime.metrics().actors_panicked, 1);
    runtime.shutdown();
}

/// On message 0, meets the test at the barrier (it is now busy), then waits there again until
/// the test releases it; counts every message.
struct Gate {
    barrier: Arc<Barrier>,
    handled: Arc<AtomicUsize>,
    exits: mpsc::Sender<Exit>,
}

impl Actor for Gate {
    type Msg = u32;
    type Error = Infallible;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, n: u32) -> Result<(), Infallible> {
        if n == 0 {
            self.barrier.wait();
            self.barrier.wait();
        }
        self.handled.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn stopped(&mut self, _ctx: &mut Context<'_, Self>, reason: &Exit) {
        self.exits.send(reason.clone()).expect("the test waits");
    }
}

fn gate(
    runtime: &Runtime,
) -> (
    ActorRef<u32>,
    Arc<Barrier>,
    Arc<AtomicUsize>,
    mpsc::Receiver<Exit>,
) {
    let barrier = Arc::new(Barrier::new(2));
    let handled = Arc::new(AtomicUsize::new(0));
    let (exits, exited) = mpsc::channel();
    let actor = runtime.spawn(Gate {
        barrier: Arc::clone(&barrier),
        handled: Arc::clone(&handled),
        exits,
    });
    (actor, barrier, handled, exited)
}

#[test]
fn a_graceful_stop_handles_what_was_queued_before_it_then_refuses() {
    let runtime = Runtime::with_workers(1).unwrap();
    let (actor, barrier, handled, exited) = gate(&runtime);
    actor.send(0).unwrap();
    barrier.wait();
    for n in 1..=100 {
        actor.send(n).unwrap();
    }
    assert!(actor.stop());
    assert!(
        matches!(actor.send(1000), Ok(())),
        "the stop is not handled yet"
    );
    barrier.wait();
    assert_eq!(exited.recv_timeout(HANG).unwrap(), Exit::Normal);
    assert_eq!(handled.load(Ordering::Relaxed), 101);
    // The message sent after the stop request was queued, then dead-lettered at the stop.
    wait_for(|| runtime.metrics().dead_letters == 1);
    assert!(matches!(actor.send(7), Err(SendError::Closed(7))));
    assert!(!actor.stop());
    runtime.shutdown();
}

#[test]
fn a_kill_jumps_the_queue_and_every_queued_message_is_dead_lettered() {
    let runtime = Runtime::with_workers(1).unwrap();
    let (actor, barrier, handled, exited) = gate(&runtime);
    actor.send(0).unwrap();
    barrier.wait();
    for n in 1..=10 {
        actor.send(n).unwrap();
    }
    assert!(actor.kill());
    barrier.wait();
    assert_eq!(exited.recv_timeout(HANG).unwrap(), Exit::Killed);
    wait_for(|| runtime.metrics().dead_letters == 10);
    assert_eq!(handled.load(Ordering::Relaxed), 1);
    runtime.shutdown();
}

#[test]
fn a_full_mailbox_hands_the_message_back_intact() {
    let runtime = common::one_worker_runtime(4);
    let (actor, barrier, handled, _exited) = gate(&runtime);
    actor.send(0).unwrap();
    barrier.wait();
    for n in 1..=4 {
        actor.try_send(n).unwrap();
    }
    match actor.try_send(5) {
        Err(SendError::Full(5)) => {}
        other => panic!("expected Full(5), got {other:?}"),
    }
    barrier.wait();
    wait_for(|| handled.load(Ordering::Relaxed) == 5);
    actor.try_send(5).unwrap();
    wait_for(|| handled.load(Ordering::Relaxed) == 6);
    runtime.shutdown();
}

/// `send_until` gives a message back intact once its deadline passes, not before; `send` waits
/// (watching, then yielding, then sleeping) until the actor makes room, and loses nothing.
#[test]
fn a_sender_outside_waits_for_room_and_send_until_gives_up_at_its_deadline() {
    let runtime = common::one_worker_runtime(4);
    let (actor, barrier, handled, _exited) = gate(&runtime);
    actor.send(0).unwrap();
    barrier.wait(); // the actor is now busy; fill its mailbox
    for n in 1..=4 {
        actor.try_send(n).unwrap();
    }
    let patience = Duration::from_millis(30);
    let start = std::time::Instant::now();
    match actor.send_until(5, start + patience) {
        Err(SendError::Full(5)) => {}
        other => panic!("expected Full(5) at the deadline, got {other:?}"),
    }
    assert!(start.elapsed() >= patience, "gave up before its deadline");
    // `send` from outside waits for room: the actor is released a little later, past the
    // watching and yielding phases of the wait (either order passes).
    let releaser = {
        let barrier = Arc::clone(&barrier);
        std::thread::spawn(move || {
            std::thread::park_timeout(Duration::from_millis(5));
            barrier.wait();
        })
    };
    for n in 5..=20 {
        actor
            .send(n)
            .expect("send waits for room instead of failing");
    }
    releaser.join().unwrap();
    wait_for(|| handled.load(Ordering::Relaxed) == 21);
    runtime.shutdown();
}

/// Counts and forwards to the next stage; the last stage reports to the test.
struct Stage {
    next: Option<ActorRef<u64>>,
    sum: Arc<AtomicU64>,
}

impl Actor for Stage {
    type Msg = u64;
    type Error = Infallible;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, n: u64) -> Result<(), Infallible> {
        match &self.next {
            Some(next) => next.try_send(n).expect("the next stage keeps up"),
            None => {
                self.sum.fetch_add(n, Ordering::Relaxed);
            }
        }
        Ok(())
    }
}

#[test]
fn a_runtime_on_a_synthetic_four_node_topology_delivers_everything() {
    let topology = Topology::synthetic("pack:1 numa:4 core:2 pu:1").unwrap();
    let workers = WorkerSettings {
        pin: true,
        spinners_per_node: 0,
        ..WorkerSettings::default()
    };
    let placement = Placement::plan(&topology, &workers).unwrap();
    assert_eq!(placement.workers().len(), 8);
    // Mailboxes that hold a whole run: a forwarding stage runs on a worker, where a full
    // mailbox cannot be waited for, and the first stages may run well ahead of the last.
    let settings = RuntimeSettings {
        mailbox_capacity: Capacity::new(1 << 16).unwrap(),
        ..RuntimeSettings::default()
    };
    let runtime = Runtime::start(placement, settings).unwrap();
    // Binding against a synthetic topology is skipped, never reported as done.
    assert!(
        runtime
            .binds()
            .iter()
            .all(|(_, bind)| !matches!(bind, courier_sched::Bind::Bound { .. }))
    );
    let sum = Arc::new(AtomicU64::new(0));
    let pipelines: Vec<_> = (0..16)
        .map(|_| {
            let last = runtime.spawn(Stage {
                next: None,
                sum: Arc::clone(&sum),
            });
            runtime.spawn(Stage {
                next: Some(last),
                sum: Arc::clone(&sum),
            })
        })
        .collect();
    let per_pipeline = size(2_000) as u64;
    for n in 1..=per_pipeline {
        for pipeline in &pipelines {
            pipeline.send(n).unwrap();
        }
    }
    let expected = 16 * per_pipeline * (per_pipeline + 1) / 2;
    wait_for(|| sum.load(Ordering::Relaxed) == expected);
    runtime.shutdown();
}

#[test]
fn spawning_on_a_node_without_workers_is_refused_and_names_the_nodes_that_have_some() {
    // Two workers over four nodes: two nodes have none, and nothing would ever run an actor
    // queued on their injectors.
    let topology = Topology::synthetic("pack:1 numa:4 core:2 pu:1").unwrap();
    let workers = WorkerSettings {
        count: WorkerCount::Total(2),
        pin: true,
        spinners_per_node: 0,
        ..WorkerSettings::default()
    };
    let placement = Placement::plan(&topology, &workers).unwrap();
    let staffed: Vec<NodeId> = placement.nodes().iter().map(|plan| plan.node).collect();
    assert_eq!(staffed.len(), 2);
    let runtime = Runtime::start(placement, RuntimeSettings::default()).unwrap();
    let total = Arc::new(AtomicU64::new(0));
    for node in &staffed {
        let actor = runtime
            .spawn_on(Tally(Arc::clone(&total)), *node)
            .expect("a node with workers");
        actor.send(1).unwrap();
    }
    wait_for(|| total.load(Ordering::Relaxed) == 2);
    // Nodes of the topology without workers, a node it lacks, and an id with the top bit set
    // (which marks a pinned actor's worker inside the runtime).
    let unstaffed = (0..4).map(NodeId).filter(|node| !staffed.contains(node));
    for node in unstaffed.chain([NodeId(4), NodeId(0x8001)]) {
        let error = runtime
            .spawn_on(Tally(Arc::clone(&total)), node)
            .expect_err("no worker would run it");
        assert_eq!(
            error,
            SpawnError::NoWorkersOnNode {
                node,
                nodes: staffed.clone()
            }
        );
        let text = error.to_string();
        assert!(
            text.contains(&format!("no worker on NUMA node {}", node.0)),
            "{text}"
        );
        for staffed_node in &staffed {
            assert!(text.contains(&format!(" {}", staffed_node.0)), "{text}");
        }
    }
    assert_eq!(
        runtime.metrics().actors_spawned,
        2,
        "a refused spawn makes no actor"
    );
    // From a handler: the same check.
    let (report, reports) = mpsc::channel();
    let spawner = runtime.spawn(NodeSpawner {
        total: Arc::clone(&total),
        report,
    });
    for node in [staffed[1], NodeId(4)] {
        spawner.send(node).unwrap();
        let outcome = reports.recv_timeout(HANG).unwrap();
        if node == staffed[1] {
            assert_eq!(outcome, Ok(()));
        } else {
            assert_eq!(
                outcome,
                Err(SpawnError::NoWorkersOnNode {
                    node,
                    nodes: staffed.clone()
                })
            );
        }
    }
    wait_for(|| total.load(Ordering::Relaxed) == 3);
    runtime.shutdown();
}

/// Spawns a `Tally` on the node it is sent, messages it, and reports how the spawn went.
struct NodeSpawner {
    total: Arc<AtomicU64>,
    report: mpsc::Sender<Result<(), SpawnError>>,
}

impl Actor for NodeSpawner {
    type Msg = NodeId;
    type Error = Infallible;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, node: NodeId) -> Result<(), Infallible> {
        let outcome = ctx
            .spawn_on(Tally(Arc::clone(&self.total)), node)
            .map(|child| child.send(1).expect("a new actor takes a message"));
        self.report.send(outcome).expect("the test listens");
        Ok(())
    }
}

/// Passes a token along a chain of relays until its hops run out; counts every hop.
struct Relay {
    next: Option<ActorRef<u64>>,
    hops: Arc<AtomicU64>,
}

impl Actor for Relay {
    type Msg = u64;
    type Error = Infallible;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, left: u64) -> Result<(), Infallible> {
        self.hops.fetch_add(1, Ordering::Relaxed);
        if left > 0 {
            // The last relay sends the token back to itself: the chain's end keeps it going.
            let next = self.next.clone().unwrap_or_else(|| ctx.myself());
            next.try_send(left - 1)
                .expect("a relay's mailbox has room for the one token");
        }
        Ok(())
    }
}

#[test]
fn shutdown_when_quiet_lets_the_actors_finish_first() {
    let runtime = Runtime::with_workers(2).unwrap();
    let hops = Arc::new(AtomicU64::new(0));
    let mut next = None;
    for _ in 0..50 {
        next = Some(runtime.spawn(Relay {
            next: next.take(),
            hops: Arc::clone(&hops),
        }));
    }
    let first = next.expect("fifty relays");
    let tokens = size(20_000) as u64;
    for _ in 0..4 {
        first.send(tokens - 1).unwrap();
    }
    assert!(runtime.shutdown_when_quiet(HANG), "the tokens ran out");
    assert_eq!(hops.load(Ordering::Relaxed), 4 * tokens);
}

/// Sends itself a message for every message it handles: never quiet.
struct Busybody;

impl Actor for Busybody {
    type Msg = ();
    type Error = Infallible;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, (): ()) -> Result<(), Infallible> {
        let _ = ctx.myself().try_send(());
        Ok(())
    }
}

#[test]
fn shutdown_when_quiet_gives_up_at_its_timeout() {
    let runtime = Runtime::with_workers(1).unwrap();
    let busybody = runtime.spawn(Busybody);
    busybody.send(()).unwrap();
    assert!(!runtime.shutdown_when_quiet(Duration::from_millis(50)));
    assert!(busybody.is_stopped(), "closed by the shutdown");
}

/// Records the order it handles its messages in.
struct Recorder(mpsc::Sender<u32>);

impl Actor for Recorder {
    type Msg = u32;
    type Error = Infallible;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, n: u32) -> Result<(), Infallible> {
        self.0.send(n).expect("the test listens");
        Ok(())
    }
}

#[test]
fn a_high_priority_send_overtakes_the_queue_and_a_low_one_waits_for_it() {
    let runtime = Runtime::with_workers(1).unwrap();
    let (record, order) = mpsc::channel();
    let recorder = runtime.spawn(Recorder(record));
    // Hold the one worker so everything queues before the recorder runs again.
    let (held, barrier, _handled, _exited) = gate(&runtime);
    held.send(0).unwrap();
    barrier.wait();
    recorder.try_send_with_priority(100, Priority::Low).unwrap();
    for n in 1..=5 {
        recorder.try_send(n).unwrap();
    }
    recorder
        .try_send_with_priority(200, Priority::High)
        .unwrap();
    recorder
        .try_send_with_priority(201, Priority::High)
        .unwrap();
    recorder.try_send_with_priority(101, Priority::Low).unwrap();
    barrier.wait();
    let handled: Vec<u32> = (0..9).map(|_| order.recv_timeout(HANG).unwrap()).collect();
    // High before normal before low; each lane in sending order.
    assert_eq!(handled, [200, 201, 1, 2, 3, 4, 5, 100, 101]);
    runtime.shutdown();
}

/// Counts its starts; answers requests; handles nothing else.
struct Probe(Arc<AtomicUsize>);

impl Actor for Probe {
    type Msg = Option<ReplyTo<u32>>;
    type Error = Infallible;

    fn started(&mut self, _ctx: &mut Context<'_, Self>) -> Result<(), Infallible> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, ask: Self::Msg) -> Result<(), Infallible> {
        if let Some(reply) = ask {
            reply.send(7);
        }
        Ok(())
    }
}

#[test]
fn refs_outliving_their_runtime_refuse_nothing_silently_and_free_their_messages() {
    let runtime = Runtime::with_workers(1).unwrap();
    let (actor, barrier, _handled, _exited) = gate(&runtime);
    actor.send(0).unwrap();
    barrier.wait();
    actor.send(1).unwrap();
    barrier.wait();
    runtime.shutdown();
    // Idle at the shutdown (its turn took message 1 too). No worker runs it any more: the
    // first send after finds that, closes it and dead-letters its message at once; later sends
    // hand their message back.
    assert!(!actor.is_stopped());
    assert_eq!(actor.try_send(2), Ok(()));
    assert!(actor.is_stopped());
    assert_eq!(actor.try_send(3), Err(SendError::Closed(3)));
    assert_eq!(actor.send(4), Err(SendError::Closed(4)));
    drop(actor);
}

#[test]
fn a_shutdown_closes_queued_actors_so_waiting_senders_get_their_message_back() {
    let runtime = common::one_worker_runtime(4);
    let started = Arc::new(AtomicUsize::new(0));
    let probes: Vec<_> = (0..1_000)
        .map(|_| runtime.spawn(Probe(Arc::clone(&started))))
        .collect();
    let full = runtime.spawn(Probe(Arc::clone(&started)));
    let idle = runtime.spawn(Probe(Arc::clone(&started)));
    wait_for(|| started.load(Ordering::Relaxed) == 1_002);
    // The one worker is kept busy; `full` fills up behind it and waits in the node's queue.
    let (gate, barrier, _handled, _exited) = gate(&runtime);
    gate.send(0).unwrap();
    barrier.wait();
    for _ in 0..4 {
        full.send(None).unwrap();
    }
    assert!(matches!(full.try_send(None), Err(SendError::Full(None))));
    let waiting = thread::spawn({
        let full = full.clone();
        move || full.send(None)
    });
    let shutdown = thread::spawn(move || runtime.shutdown());
    // Once the shutdown has begun, a send that makes an idle probe runnable finds no worker to
    // queue it for and closes every queued actor: the probe reads stopped then. Before, the
    // probe just waits in the queue with its message (and is closed with the others later).
    // Each probe serves once (a message left queued keeps it runnable), so the tries are
    // paced: 10 us apart at first, doubling up to 10 ms, which spreads the thousand probes
    // over ten seconds at least for the shutdown thread to begin.
    let mut probes = probes.iter();
    let mut pace = Duration::from_micros(10);
    loop {
        let probe = probes
            .next()
            .expect("the shutdown began before the probes ran out");
        let _ = probe.try_send(None);
        if probe.is_stopped() {
            break;
        }
        let until = Instant::now() + pace;
        while Instant::now() < until {
            thread::yield_now();
        }
        pace = (pace * 2).min(Duration::from_millis(10));
    }
    // The sender waiting for room in `full` gets its message back, and so does every later send.
    assert!(matches!(waiting.join(), Ok(Err(SendError::Closed(None)))));
    assert!(full.is_stopped());
    assert!(matches!(full.send(None), Err(SendError::Closed(None))));
    // An actor idle at the shutdown: the first request is dead-lettered at once, so its asker
    // hears that nobody will answer (not a timeout), and the actor reads stopped.
    let reply = idle
        .ask(Some)
        .expect("accepted before the actor is seen to be gone");
    let answer = reply.wait_timeout(HANG);
    assert!(
        matches!(answer, Err(AskError::Dropped { .. })),
        "{answer:?}"
    );
    assert!(idle.is_stopped());
    assert!(matches!(idle.try_send(None), Err(SendError::Closed(None))));
    barrier.wait();
    shutdown.join().expect("the shutdown completes");
}

/// Sends from a thread-local's destructor, on a thread whose message pools may already be gone
/// (destructors run newest first, and the pools were made after this one at the thread's first
/// send): the send packs into a short-lived pool set and the message still arrives.
struct SendsWhenDropped(Option<ActorRef<u64>>);

impl Drop for SendsWhenDropped {
    fn drop(&mut self) {
        if let Some(actor) = self.0.take() {
            actor.send(2).expect("the actor is alive");
        }
    }
}

thread_local! {
    static SENDS_WHEN_DROPPED: std::cell::RefCell<SendsWhenDropped> =
        const { std::cell::RefCell::new(SendsWhenDropped(None)) };
}

/// Adds up what it is sent.
struct Summer {
    sum: Arc<AtomicU64>,
}

impl Actor for Summer {
    type Msg = u64;
    type Error = Infallible;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, n: u64) -> Result<(), Infallible> {
        self.sum.fetch_add(n, Ordering::Relaxed);
        Ok(())
    }
}

#[test]
fn a_send_from_a_thread_local_destructor_after_the_threads_pools_arrives() {
    let runtime = Runtime::with_workers(1).unwrap();
    let sum = Arc::new(AtomicU64::new(0));
    let actor = runtime.spawn(Summer {
        sum: Arc::clone(&sum),
    });
    let sender = actor.clone();
    std::thread::spawn(move || {
        // Registered before the thread's pools are made by the first send below.
        SENDS_WHEN_DROPPED.with(|slot| slot.borrow_mut().0 = Some(sender.clone()));
        sender.send(1).expect("the actor is alive");
    })
    .join()
    .expect("the sending thread ends cleanly");
    wait_for(|| sum.load(Ordering::Relaxed) == 3);
    drop(actor);
    runtime.shutdown();
}
