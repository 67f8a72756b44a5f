//! Asks: answers, timeouts that say what happened, dropped requests, and awaiting.

use std::convert::Infallible;
use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Barrier, mpsc};
use std::task::{Context as TaskContext, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::Duration;

use courier_alloc::NodeId;
use courier_sched::{
    Actor, ActorRef, AskError, Context, Placement, ReplyTo, Runtime, RuntimeSettings, SendError,
    Topology, WorkerCount, WorkerId, WorkerSettings,
};

mod common;

const HANG: Duration = Duration::from_mins(1);

enum Request {
    Square(u64, ReplyTo<u64>),
    /// Meets the test at the barrier twice (busy in between), then answers.
    Hold(Arc<Barrier>, ReplyTo<u64>),
    /// Panics while holding the reply.
    Crash(ReplyTo<u64>),
}

struct Calculator;

impl Actor for Calculator {
    type Msg = Request;
    type Error = Infallible;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, msg: Request) -> Result<(), Infallible> {
        match msg {
            Request::Square(n, reply) => reply.send(n * n),
            Request::Hold(barrier, reply) => {
                barrier.wait();
                barrier.wait();
                reply.send(0);
            }
            Request::Crash(_reply) => panic!("crashed while holding a reply"),
        }
        Ok(())
    }
}

#[test]
fn an_ask_is_answered() {
    let runtime = Runtime::with_workers(2).unwrap();
    let calculator = runtime.spawn(Calculator);
    for n in 0..100 {
        let reply = calculator.ask(|reply| Request::Square(n, reply)).unwrap();
        assert_eq!(reply.wait_timeout(HANG), Ok(n * n));
    }
    runtime.shutdown();
}

#[test]
fn an_ask_from_outside_waits_for_room_and_try_ask_does_not() {
    let runtime = common::one_worker_runtime(2);
    let calculator = runtime.spawn(Calculator);
    let barrier = Arc::new(Barrier::new(2));
    let held = calculator
        .ask(|reply| Request::Hold(Arc::clone(&barrier), reply))
        .unwrap();
    barrier.wait(); // the actor is now busy; fill its mailbox (capacity 2)
    let queued: Vec<_> = (1..=2)
        .map(|n| calculator.ask(|reply| Request::Square(n, reply)).unwrap())
        .collect();
    match calculator.try_ask(|reply| Request::Square(9, reply)) {
        Err(SendError::Full(Request::Square(9, _))) => {}
        other => panic!("a full mailbox hands the request back at once: {other:?}"),
    }
    // `ask` waits for room: release the actor from another thread a little later.
    let releaser = {
        let barrier = Arc::clone(&barrier);
        thread::spawn(move || {
            // Usually after the ask below has found the mailbox full (either order passes).
            thread::park_timeout(Duration::from_millis(20));
            barrier.wait();
        })
    };
    let waited = calculator
        .ask(|reply| Request::Square(3, reply))
        .expect("ask waits for room instead of failing");
    releaser.join().unwrap();
    assert_eq!(held.wait_timeout(HANG), Ok(0));
    for (n, reply) in (1..=2).zip(queued) {
        assert_eq!(reply.wait_timeout(HANG), Ok(n * n));
    }
    assert_eq!(waited.wait_timeout(HANG), Ok(9));
    runtime.shutdown();
}

#[test]
fn a_timed_out_ask_says_the_actor_is_busy_and_how_much_is_queued() {
    let runtime = Runtime::with_workers(1).unwrap();
    let calculator = runtime.spawn(Calculator);
    let barrier = Arc::new(Barrier::new(2));
    let held = calculator
        .ask(|reply| Request::Hold(Arc::clone(&barrier), reply))
        .unwrap();
    barrier.wait(); // the actor is now busy
    let queued = calculator.ask(|reply| Request::Square(3, reply)).unwrap();
    let error = queued.wait_timeout(Duration::from_millis(20));
    // Release the actor before asserting, so a failed assertion cannot hang the test.
    barrier.wait();
    let error = error.unwrap_err();
    match &error {
        AskError::Timeout {
            actor,
            actor_stopped,
            mailbox_depth,
            ..
        } => {
            assert_eq!(*actor, calculator.id());
            assert!(!actor_stopped);
            // The square request waits behind the held one (depth may lag by uncommitted pops).
            assert!(*mailbox_depth >= 1, "{error:?}");
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(error.to_string().contains("messages queued"), "{error}");
    assert_eq!(held.wait_timeout(HANG), Ok(0));
    runtime.shutdown();
}

#[test]
fn an_actor_that_fails_while_holding_the_reply_yields_dropped_not_a_hang() {
    let runtime = Runtime::with_workers(1).unwrap();
    let calculator = runtime.spawn(Calculator);
    let reply = calculator.ask(Request::Crash).unwrap();
    assert_eq!(
        reply.wait_timeout(HANG),
        Err(AskError::Dropped {
            actor: calculator.id()
        })
    );
    // The actor is gone. The reply was dropped while the handler unwound, a moment before the
    // mailbox closed, so the next ask is either refused (the request handed back) or accepted
    // and dead-lettered (its reply dropped): never answered, never hanging.
    match calculator.ask(|reply| Request::Square(2, reply)) {
        Err(SendError::Closed(Request::Square(2, _))) => {}
        Ok(reply) => {
            assert_eq!(
                reply.wait_timeout(HANG),
                Err(AskError::Dropped {
                    actor: calculator.id()
                })
            );
        }
        Err(other) => panic!("expected Closed, got {other:?}"),
    }
    runtime.shutdown();
}

struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// A minimal executor: polls on this thread, parks until woken.
fn block_on<F: Future>(future: F) -> F::Output {
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut cx = TaskContext::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        thread::park_timeout(HANG);
    }
}

#[test]
fn a_reply_can_be_awaited_as_a_future() {
    let runtime = Runtime::with_workers(2).unwrap();
    let calculator = runtime.spawn(Calculator);
    let reply = calculator.ask(|reply| Request::Square(12, reply)).unwrap();
    assert_eq!(block_on(reply), Ok(144));
    runtime.shutdown();
}

/// Asks another actor from inside its handler and waits for the answer there; sends what it
/// heard to the test.
struct Asker {
    asked: ActorRef<Request>,
    heard: mpsc::Sender<Result<u64, AskError>>,
}

impl Actor for Asker {
    type Msg = u64;
    type Error = Infallible;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, n: u64) -> Result<(), Infallible> {
        let answer = match self.asked.ask(|reply| Request::Square(n, reply)) {
            Ok(reply) => reply.wait_timeout(HANG),
            Err(error) => panic!("the ask was not sent: {error}"),
        };
        self.heard.send(answer).expect("the test listens");
        Ok(())
    }
}

#[test]
fn a_handler_waiting_for_an_ask_runs_the_asked_actor_on_its_own_worker() {
    // The asked actor is queued in the asker's worker's LIFO slot, which no other worker takes
    // from: a blocked wait timed out with one worker and with two alike.
    for workers in [1, 2] {
        let runtime = Runtime::with_workers(workers).unwrap();
        let (heard, answers) = mpsc::channel();
        let asker = runtime.spawn(Asker {
            asked: runtime.spawn(Calculator),
            heard,
        });
        for n in 0..200 {
            asker.send(n).unwrap();
            assert_eq!(
                answers.recv_timeout(HANG),
                Ok(Ok(n * n)),
                "{workers} workers"
            );
        }
        runtime.shutdown();
    }
}

/// Forwards a square's ask down a chain, waiting in its handler for the next link's answer.
struct Link {
    next: Option<ActorRef<Request>>,
    patience: Duration,
}

impl Actor for Link {
    type Msg = Request;
    type Error = Infallible;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, msg: Request) -> Result<(), Infallible> {
        let Request::Square(n, reply) = msg else {
            unreachable!("links are asked for squares only")
        };
        match &self.next {
            None => reply.send(n * n),
            Some(next) => match next.ask(|reply| Request::Square(n, reply)) {
                // Unanswered, `reply` is dropped: the asker hears `Dropped`.
                Ok(answer) => {
                    if let Ok(square) = answer.wait_timeout(self.patience) {
                        reply.send(square);
                    }
                }
                Err(error) => panic!("the ask was not sent: {error}"),
            },
        }
        Ok(())
    }
}

fn chain(runtime: &Runtime, links: usize, patience: Duration) -> ActorRef<Request> {
    let mut next = None;
    for _ in 0..links {
        next = Some(runtime.spawn(Link { next, patience }));
    }
    next.expect("at least one link")
}

#[test]
fn waits_nest_down_a_chain_of_asks_on_one_worker() {
    let runtime = common::one_worker_runtime(16);
    // Seven waits, each inside the turn of the link before it.
    let head = chain(&runtime, 8, HANG);
    for n in 0..50 {
        let reply = head.ask(|reply| Request::Square(n, reply)).unwrap();
        assert_eq!(reply.wait_timeout(HANG), Ok(n * n));
    }
    runtime.shutdown();
}

#[test]
fn a_wait_nested_beyond_eight_blocks_its_worker_and_times_out() {
    let runtime = common::one_worker_runtime(16);
    // Ten waits: the first eight help, the ninth blocks the one worker, so the tenth link is
    // never run and the ninth's wait times out; every link above hears `Dropped` in turn.
    let patience = Duration::from_millis(50);
    let head = chain(&runtime, 11, patience);
    let reply = head.ask(|reply| Request::Square(3, reply)).unwrap();
    assert!(matches!(
        reply.wait_timeout(HANG),
        Err(AskError::Dropped { .. })
    ));
    // The worker goes on: a new chain is answered.
    let tail = chain(&runtime, 3, HANG);
    let reply = tail.ask(|reply| Request::Square(4, reply)).unwrap();
    assert_eq!(reply.wait_timeout(HANG), Ok(16));
    runtime.shutdown();
}

/// Asks the actor that asked it (a call cycle), then answers its own request anyway.
struct AskBack {
    patience: Duration,
    heard: mpsc::Sender<Result<u64, AskError>>,
}

impl Actor for AskBack {
    type Msg = (u64, ReplyTo<u64>, ActorRef<Request>);
    type Error = Infallible;

    fn handle(
        &mut self,
        _ctx: &mut Context<'_, Self>,
        (n, reply, asker): Self::Msg,
    ) -> Result<(), Infallible> {
        let back = asker
            .ask(|reply| Request::Square(n, reply))
            .expect("the asker is alive");
        self.heard
            .send(back.wait_timeout(self.patience))
            .expect("the test listens");
        reply.send(n + 1);
        Ok(())
    }
}

/// Asks `AskBack`, waiting in its handler; answers squares.
struct CycleHead {
    other: ActorRef<<AskBack as Actor>::Msg>,
}

impl Actor for CycleHead {
    type Msg = Request;
    type Error = Infallible;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: Request) -> Result<(), Infallible> {
        match msg {
            Request::Square(n, reply) => reply.send(n * n),
            Request::Hold(_, reply) => {
                let me = ctx.myself();
                let answer = self.other.ask(|back| (7, back, me)).expect("alive");
                reply.send(answer.wait_timeout(HANG).expect("answered"));
            }
            Request::Crash(_) => unreachable!("not asked to crash"),
        }
        Ok(())
    }
}

#[test]
fn a_waiting_actor_handles_nothing_until_its_wait_ends() {
    // A asks B, and B asks A back: A is in the middle of a turn, so B's wait times out (an
    // Erlang call cycle), B answers A, and A handles B's ask afterwards.
    let runtime = common::one_worker_runtime(16);
    let (heard, asked_back) = mpsc::channel();
    let other = runtime.spawn(AskBack {
        patience: Duration::from_millis(30),
        heard,
    });
    let first = runtime.spawn(CycleHead { other });
    let unused = Arc::new(Barrier::new(1));
    let reply = first.ask(|reply| Request::Hold(unused, reply)).unwrap();
    assert_eq!(reply.wait_timeout(HANG), Ok(8));
    match asked_back.recv_timeout(HANG).unwrap() {
        // Its depth counts the ask back and the request being handled (a turn's pops are
        // committed at its end).
        Err(AskError::Timeout {
            actor_stopped: false,
            mailbox_depth: 2,
            ..
        }) => {}
        other => panic!("the ask back waits behind the asker's turn: {other:?}"),
    }
    runtime.shutdown();
}

#[test]
fn a_panic_in_a_turn_run_by_a_waiting_handler_reaches_only_its_asker() {
    /// Asks the actor it is sent to crash, waiting in its handler.
    struct CrashAsker(mpsc::Sender<Result<u64, AskError>>);
    impl Actor for CrashAsker {
        type Msg = ActorRef<Request>;
        type Error = Infallible;
        fn handle(
            &mut self,
            _ctx: &mut Context<'_, Self>,
            asked: ActorRef<Request>,
        ) -> Result<(), Infallible> {
            let reply = asked.ask(Request::Crash).unwrap();
            self.0.send(reply.wait_timeout(HANG)).unwrap();
            Ok(())
        }
    }
    let runtime = common::one_worker_runtime(16);
    let (heard, answers) = mpsc::channel();
    let asker = runtime.spawn(CrashAsker(heard));
    for _ in 0..2 {
        // The crash unwinds inside the asker's turn, to the helped turn's panic boundary.
        let calculator = runtime.spawn(Calculator);
        asker.send(calculator.clone()).unwrap();
        assert!(matches!(
            answers.recv_timeout(HANG).unwrap(),
            Err(AskError::Dropped { .. })
        ));
        assert!(calculator.is_stopped());
    }
    runtime.shutdown();
}

/// Holds the `ReplyTo` of the ask it gets until told to answer; says when it holds one.
struct Holder {
    held: Option<ReplyTo<u64>>,
    holding: mpsc::Sender<()>,
}

enum Hold {
    Ask(ReplyTo<u64>),
    Answer,
}

impl Actor for Holder {
    type Msg = Hold;
    type Error = Infallible;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, msg: Hold) -> Result<(), Infallible> {
        match msg {
            Hold::Ask(reply) => {
                self.held = Some(reply);
                self.holding.send(()).expect("the test listens");
            }
            Hold::Answer => {
                if let Some(reply) = self.held.take() {
                    reply.send(42);
                }
            }
        }
        Ok(())
    }
}

/// Says on which worker it runs, asks the holder and waits in its handler up to `patience`;
/// reports what it heard.
struct Waiter {
    holder: ActorRef<Hold>,
    patience: Duration,
    at: mpsc::Sender<WorkerId>,
    heard: mpsc::Sender<Result<u64, AskError>>,
}

impl Actor for Waiter {
    type Msg = ();
    type Error = Infallible;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, (): ()) -> Result<(), Infallible> {
        self.at.send(ctx.worker()).expect("the test listens");
        let reply = self.holder.ask(Hold::Ask).expect("the holder is alive");
        self.heard
            .send(reply.wait_timeout(self.patience))
            .expect("the test listens");
        Ok(())
    }
}

/// Says it ran.
struct Ping(mpsc::Sender<()>);

impl Actor for Ping {
    type Msg = ();
    type Error = Infallible;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, (): ()) -> Result<(), Infallible> {
        self.0.send(()).expect("the test listens");
        Ok(())
    }
}

#[test]
fn a_spinner_waiting_in_a_handler_stops_searching_so_a_sleeper_is_woken_for_other_work() {
    // Two one-PU nodes, one spinning worker each. The waiter comes through an injector, so the
    // worker that takes it runs it still counted as searching (I7): while it waits, work for
    // the other node must wake that node's parked worker, which a searcher anywhere would keep
    // asleep. (A worker that finds the waiter before it starts searching is not counted: about
    // half the runs here take the path this test is for; without the fix those fail.)
    let topology = Topology::synthetic("pack:1 numa:2 core:1 pu:1").expect("a topology");
    let workers = WorkerSettings {
        count: WorkerCount::Total(2),
        pin: false,
        spinners_per_node: 1,
        ..WorkerSettings::default()
    };
    let placement = Placement::plan(&topology, &workers).expect("a plan");
    let runtime = Runtime::start(placement, RuntimeSettings::default()).expect("a runtime");
    let (holding, held) = mpsc::channel();
    let holder = runtime
        .spawn_on(
            Holder {
                held: None,
                holding,
            },
            NodeId(0),
        )
        .expect("node 0 has a worker");
    let (heard, answer) = mpsc::channel();
    let (at, waiting_at) = mpsc::channel();
    let waiter = runtime
        .spawn_on(
            Waiter {
                holder: holder.clone(),
                patience: HANG,
                at,
                heard,
            },
            NodeId(0),
        )
        .expect("node 0 has a worker");
    waiter.send(()).expect("alive");
    // Either worker may take it (the other steals across nodes); worker n is node n's.
    let waiting = waiting_at.recv_timeout(HANG).expect("the waiter runs");
    held.recv_timeout(HANG)
        .expect("the waiter's ask reached the holder");
    let other = 1 - waiting.0;
    // The other worker has gone back to sleep by now (it spins for microseconds).
    common::wait_for(|| runtime.metrics().workers[usize::from(other)].parks >= 1);
    thread::park_timeout(Duration::from_millis(20));
    let (pinged, ping) = mpsc::channel();
    let far = runtime
        .spawn_on(Ping(pinged), NodeId(other))
        .expect("each node has a worker");
    far.send(()).expect("alive");
    assert_eq!(
        ping.recv_timeout(Duration::from_secs(10)),
        Ok(()),
        "the other node's worker was woken while the waiter waited"
    );
    holder.send(Hold::Answer).expect("alive");
    assert_eq!(answer.recv_timeout(HANG), Ok(Ok(42)));
    runtime.shutdown();
}

/// Tells the holder to answer and wakes a bystander, then holds its worker at the barrier:
/// the holder goes from the worker's LIFO slot to its stealable queue, behind a busy turn.
struct Blocker {
    holder: ActorRef<Hold>,
    bystander: ActorRef<()>,
    barrier: Arc<Barrier>,
}

impl Actor for Blocker {
    type Msg = ();
    type Error = Infallible;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, (): ()) -> Result<(), Infallible> {
        self.holder.send(Hold::Answer).expect("the holder is alive");
        self.bystander.send(()).expect("the bystander is alive");
        self.barrier.wait();
        Ok(())
    }
}

#[test]
fn a_waiting_worker_steals_the_answering_actor_from_a_busy_one() {
    let runtime = Runtime::with_workers(2).expect("a runtime");
    let (holding, held) = mpsc::channel();
    let holder = runtime.spawn(Holder {
        held: None,
        holding,
    });
    let (heard, answer) = mpsc::channel();
    let (at, waiting_at) = mpsc::channel();
    let waiter = runtime
        .spawn_on_worker(
            Waiter {
                holder: holder.clone(),
                patience: HANG,
                at,
                heard,
            },
            WorkerId(0),
        )
        .expect("worker 0");
    waiter.send(()).expect("alive");
    assert_eq!(waiting_at.recv_timeout(HANG), Ok(WorkerId(0)));
    held.recv_timeout(HANG)
        .expect("the waiter's ask reached the holder");
    // Worker 1 queues the holder and then stays busy until the test has heard the answer:
    // only the waiting worker can run the holder meanwhile.
    let barrier = Arc::new(Barrier::new(2));
    let (pinged, pings) = mpsc::channel();
    let bystander = runtime.spawn(Ping(pinged));
    // Idle once it has answered: the blocker's send claims its turn.
    bystander.send(()).expect("alive");
    pings.recv_timeout(HANG).expect("the bystander runs");
    common::wait_for(|| bystander.mailbox_depth() == 0);
    // Past any linger of its turn (microseconds).
    thread::park_timeout(Duration::from_millis(5));
    let blocker = runtime
        .spawn_on_worker(
            Blocker {
                holder: holder.clone(),
                bystander,
                barrier: Arc::clone(&barrier),
            },
            WorkerId(1),
        )
        .expect("worker 1");
    blocker.send(()).expect("alive");
    let heard = answer.recv_timeout(Duration::from_secs(10));
    barrier.wait();
    assert_eq!(heard, Ok(Ok(42)), "the waiting worker ran the holder");
    runtime.shutdown();
}

enum Shot {
    Meet(ActorRef<Shot>),
    Ball,
    /// Forgets the partner: the rally ends and the reference cycle with it.
    Leave,
}

/// Sends every ball back to its partner: work that never runs out.
struct Rally {
    partner: Option<ActorRef<Shot>>,
}

impl Actor for Rally {
    type Msg = Shot;
    type Error = Infallible;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, shot: Shot) -> Result<(), Infallible> {
        match shot {
            Shot::Meet(partner) => self.partner = Some(partner),
            Shot::Ball => {
                if let Some(partner) = &self.partner {
                    let _ = partner.try_send(Shot::Ball);
                }
            }
            Shot::Leave => self.partner = None,
        }
        Ok(())
    }
}

#[test]
fn a_wait_ends_at_its_deadline_while_the_worker_has_endless_work() {
    let runtime = common::one_worker_runtime(16);
    let (holding, _held) = mpsc::channel();
    let holder = runtime.spawn(Holder {
        held: None,
        holding,
    });
    let players = [(); 2].map(|()| runtime.spawn(Rally { partner: None }));
    players[0]
        .send(Shot::Meet(players[1].clone()))
        .expect("alive");
    players[1]
        .send(Shot::Meet(players[0].clone()))
        .expect("alive");
    let (heard, answer) = mpsc::channel();
    let (at, _waiting_at) = mpsc::channel();
    let impatient = runtime.spawn(Waiter {
        holder,
        patience: Duration::from_millis(20),
        at,
        heard,
    });
    players[0].send(Shot::Ball).expect("alive");
    impatient.send(()).expect("alive");
    assert!(
        matches!(
            answer.recv_timeout(Duration::from_secs(10)),
            Ok(Err(AskError::Timeout { .. }))
        ),
        "the wait ended at its deadline"
    );
    for player in &players {
        player.send(Shot::Leave).expect("alive");
    }
    runtime.shutdown();
}
