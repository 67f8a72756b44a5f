//! The supervisor actor on a real runtime: strategies, restart types, escalation, ordered
//! shutdown, dynamic children, start failures, pools, and no message loss across restarts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use courier_sched::{Actor, ActorRef, Context, Down, Exit, Runtime, SendError};
use courier_supervisor::{
    Child, ChildSpec, PoolRef, Restart, Shutdown, Strategy, SuperviseError, SupervisorRef,
    SupervisorSpec, TreeStatus, pool_children,
};

const HANG: Duration = Duration::from_mins(1);

/// What happened, in order, across every child of a test.
#[derive(Clone, Default)]
struct Journal(Arc<Mutex<Vec<String>>>);

impl Journal {
    fn push(&self, line: String) {
        self.0.lock().expect("not poisoned").push(line);
    }

    fn lines(&self) -> Vec<String> {
        self.0.lock().expect("not poisoned").clone()
    }

    fn count(&self, line: &str) -> usize {
        self.lines().iter().filter(|l| *l == line).count()
    }

    /// Waits until `line` was written `times` times.
    fn wait_for(&self, line: &str, times: usize) {
        let deadline = Instant::now() + HANG;
        while self.count(line) < times {
            assert!(
                Instant::now() < deadline,
                "never saw {line} x{times}: {:?}",
                self.lines()
            );
            std::thread::yield_now();
        }
    }
}

enum Cmd {
    Echo(u32, mpsc::Sender<(String, u32)>),
    Panic,
    Fail,
    Stop,
    /// Keeps its worker busy for this long (a handler that does not return promptly).
    Busy(Duration),
}

/// A child that journals its starts and stops.
struct Worker {
    name: String,
    journal: Journal,
}

impl Actor for Worker {
    type Msg = Cmd;
    type Error = String;

    fn started(&mut self, _ctx: &mut Context<'_, Self>) -> Result<(), String> {
        self.journal.push(format!("start {}", self.name));
        Ok(())
    }

    fn handle(&mut self, ctx: &mut Context<'_, Self>, cmd: Cmd) -> Result<(), String> {
        match cmd {
            Cmd::Echo(n, back) => {
                back.send((self.name.clone(), n)).expect("the test listens");
                Ok(())
            }
            Cmd::Panic => panic!("{} was told to panic", self.name),
            Cmd::Fail => Err(format!("{} was told to fail", self.name)),
            Cmd::Stop => {
                ctx.stop();
                Ok(())
            }
            Cmd::Busy(for_how_long) => {
                let until = Instant::now() + for_how_long;
                while Instant::now() < until {
                    std::hint::spin_loop();
                }
                Ok(())
            }
        }
    }

    fn stopped(&mut self, _ctx: &mut Context<'_, Self>, _reason: &Exit) {
        self.journal.push(format!("stop {}", self.name));
    }
}

fn worker(name: &str, journal: &Journal) -> Child {
    let (name, journal) = (name.to_owned(), journal.clone());
    Child::worker(name.clone(), move || {
        journal.push(format!("build {name}"));
        Worker {
            name: name.clone(),
            journal: journal.clone(),
        }
    })
}

fn child(sup: &SupervisorRef, id: &str) -> ActorRef<Cmd> {
    sup.child::<Cmd>(id).expect("a running child of type Cmd")
}

/// Sends an echo and waits for it: the child is up and handling.
fn echo(target: &ActorRef<Cmd>, n: u32) -> (String, u32) {
    let (back, answer) = mpsc::channel();
    assert!(target.send(Cmd::Echo(n, back)).is_ok());
    answer.recv_timeout(HANG).expect("an echo")
}

fn abc(strategy: Strategy, journal: &Journal) -> SupervisorSpec {
    SupervisorSpec::new(strategy)
        .with_intensity(10, Duration::from_secs(5))
        .child(worker("a", journal))
        .child(worker("b", journal))
        .child(worker("c", journal))
}

fn starts(journal: &Journal) -> [usize; 3] {
    ["a", "b", "c"].map(|n| journal.count(&format!("start {n}")))
}

#[test]
fn one_for_one_restarts_only_the_child_in_place_with_its_queued_messages() {
    let runtime = Runtime::with_workers(2).expect("a runtime");
    let journal = Journal::default();
    let sup = SupervisorRef::start(&runtime, "root", abc(Strategy::OneForOne, &journal))
        .expect("started");
    let builds: Vec<String> = journal
        .lines()
        .into_iter()
        .filter(|l| l.starts_with("build"))
        .collect();
    assert_eq!(builds, ["build a", "build b", "build c"], "ordered start");
    // Each child's `started` ran before the next child was built.
    assert_eq!(
        journal.lines()[..6],
        [
            "build a", "start a", "build b", "start b", "build c", "start c"
        ],
        "each child is up before the next starts"
    );
    let b = child(&sup, "b");
    let (back, answers) = mpsc::channel();
    assert!(b.send(Cmd::Panic).is_ok());
    for n in 0..50 {
        assert!(b.send(Cmd::Echo(n, back.clone())).is_ok());
    }
    let got: Vec<u32> = (0..50)
        .map(|_| answers.recv_timeout(HANG).expect("an echo").1)
        .collect();
    assert_eq!(
        got,
        (0..50).collect::<Vec<_>>(),
        "queued messages kept, in order"
    );
    assert_eq!(starts(&journal), [1, 2, 1]);
    assert_eq!(
        sup.child::<Cmd>("b").expect("b").id(),
        b.id(),
        "a stable address"
    );
    let tree = sup.tree();
    assert_eq!(tree.status, TreeStatus::Running);
    let restarts: Vec<u64> = tree.children.iter().map(|c| c.restarts).collect();
    assert_eq!(restarts, [0, 1, 0]);
    assert_eq!(sup.lost_messages(), 1, "the panicking message");
    runtime.shutdown();
}

#[test]
fn one_for_all_restarts_every_child_and_rest_for_one_those_after() {
    for (strategy, expected) in [
        (Strategy::OneForAll, [2, 2, 2]),
        (Strategy::RestForOne, [1, 2, 2]),
    ] {
        let runtime = Runtime::with_workers(2).expect("a runtime");
        let journal = Journal::default();
        let sup = SupervisorRef::start(&runtime, "root", abc(strategy, &journal)).expect("started");
        let b = child(&sup, "b");
        assert!(b.send(Cmd::Fail).is_ok());
        for name in ["a", "b", "c"] {
            let _ = echo(&child(&sup, name), 1);
        }
        let deadline = Instant::now() + HANG;
        while starts(&journal) != expected {
            assert!(
                Instant::now() < deadline,
                "{strategy}: {:?}",
                journal.lines()
            );
            std::thread::yield_now();
        }
        if strategy == Strategy::OneForAll {
            // The crashed child, then its siblings in reverse start order, all stop before any
            // is rebuilt.
            let lines = journal.lines();
            let stops: Vec<&String> = lines.iter().filter(|l| l.starts_with("stop")).collect();
            assert_eq!(stops, ["stop b", "stop c", "stop a"], "{lines:?}");
            let last_stop = lines.iter().rposition(|l| l.starts_with("stop"));
            let rebuilds = lines
                .iter()
                .enumerate()
                .filter(|(_, l)| l.starts_with("build"));
            let first_rebuild = rebuilds.map(|(i, _)| i).nth(3);
            assert!(last_stop < first_rebuild, "{lines:?}");
        }
        runtime.shutdown();
    }
}

#[test]
fn restart_types_permanent_transient_temporary() {
    let runtime = Runtime::with_workers(2).expect("a runtime");
    let journal = Journal::default();
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .with_intensity(10, Duration::from_secs(5))
        .child(worker("perm", &journal))
        .child(worker("trans", &journal).with_restart(Restart::Transient))
        .child(worker("temp", &journal).with_restart(Restart::Temporary));
    let sup = SupervisorRef::start(&runtime, "root", spec).expect("started");
    let (perm, trans, temp) = (
        child(&sup, "perm"),
        child(&sup, "trans"),
        child(&sup, "temp"),
    );

    // A permanent child comes back even after a normal exit.
    assert!(perm.send(Cmd::Stop).is_ok());
    journal.wait_for("start perm", 2);
    // A transient child comes back after a panic, not after a normal exit.
    assert!(trans.send(Cmd::Panic).is_ok());
    journal.wait_for("start trans", 2);
    assert!(trans.send(Cmd::Stop).is_ok());
    let deadline = Instant::now() + HANG;
    while !matches!(trans.try_send(Cmd::Fail), Err(SendError::Closed(_))) {
        assert!(
            Instant::now() < deadline,
            "the transient child never finished"
        );
        std::thread::yield_now();
    }
    // A temporary child is never restarted, and forgotten.
    assert!(temp.send(Cmd::Panic).is_ok());
    let deadline = Instant::now() + HANG;
    while sup.tree().children.iter().any(|c| c.id.as_str() == "temp") {
        assert!(
            Instant::now() < deadline,
            "the temporary child was not forgotten"
        );
        std::thread::yield_now();
    }
    assert_eq!(journal.count("start temp"), 1);
    let _ = echo(&perm, 1);
    let statuses: HashMap<String, TreeStatus> = sup
        .tree()
        .children
        .iter()
        .map(|c| (c.id.to_string(), c.status))
        .collect();
    assert_eq!(statuses["perm"], TreeStatus::Running);
    assert_eq!(statuses["trans"], TreeStatus::Stopped);
    runtime.shutdown();
}

/// Monitors what it is given and reports the `Down`s.
struct Watcher(mpsc::Sender<Down>);

impl Actor for Watcher {
    type Msg = ActorRef<courier_supervisor::SupervisorMsg>;
    type Error = String;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, target: Self::Msg) -> Result<(), String> {
        let _id = ctx.monitor(&target);
        Ok(())
    }

    fn on_down(&mut self, _ctx: &mut Context<'_, Self>, down: Down) -> Result<(), String> {
        self.0.send(down).expect("the test listens");
        Ok(())
    }
}

#[test]
fn restart_intensity_exceeded_escalates_through_two_levels() {
    let runtime = Runtime::with_workers(2).expect("a runtime");
    let journal = Journal::default();
    let mid_journal = journal.clone();
    let root_spec = SupervisorSpec::new(Strategy::OneForOne)
        .with_intensity(1, Duration::from_mins(1))
        .child(Child::supervisor("mid", move || {
            SupervisorSpec::new(Strategy::OneForOne)
                .with_intensity(1, Duration::from_mins(1))
                .child(worker("leaf", &mid_journal))
        }));
    let root = SupervisorRef::start(&runtime, "root", root_spec).expect("started");
    let (downs_tx, downs) = mpsc::channel();
    let watcher = runtime.spawn(Watcher(downs_tx));
    assert!(watcher.send(root.actor_ref().clone()).is_ok());
    journal.wait_for("start leaf", 1);
    let tree = root.tree();
    assert_eq!(tree.len(), 3, "{tree}");

    // Two leaf crashes in the window: mid restarts the leaf once, then gives up; root
    // restarts mid (its first restart), which starts a fresh leaf. The same again, and root
    // gives up too.
    let mut old_leaf = None;
    for round in 0..2 {
        let leaf = leaf_ref(&root, old_leaf);
        let starts_before = journal.count("start leaf");
        assert!(leaf.send(Cmd::Panic).is_ok());
        journal.wait_for("start leaf", starts_before + 1);
        assert!(
            leaf.send(Cmd::Panic).is_ok(),
            "restarted in place: the same address"
        );
        if round == 0 {
            journal.wait_for("start leaf", starts_before + 2);
        }
        old_leaf = Some(leaf.id());
    }
    let down = downs.recv_timeout(HANG).expect("root gave up");
    let Exit::Error { message } = &down.reason else {
        panic!("root exited with {:?}", down.reason)
    };
    assert!(message.contains("child mid"), "names the child: {message}");
    assert!(message.contains("restarts"), "{message}");
    runtime.shutdown();
}

/// The leaf under root/mid, once mid publishes one other than `old`.
fn leaf_ref(root: &SupervisorRef, old: Option<courier_sched::ActorId>) -> ActorRef<Cmd> {
    let deadline = Instant::now() + HANG;
    loop {
        let leaf = root
            .subsupervisor("mid")
            .and_then(|mid| mid.child::<Cmd>("leaf"))
            .filter(|leaf| Some(leaf.id()) != old && !leaf.is_stopped());
        if let Some(leaf) = leaf {
            return leaf;
        }
        assert!(Instant::now() < deadline, "no new leaf: {}", root.tree());
        std::thread::yield_now();
    }
}

#[test]
fn shutdown_stops_children_in_reverse_order_and_does_not_wait_past_a_timeout() {
    let runtime = Runtime::with_workers(2).expect("a runtime");
    let journal = Journal::default();
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .child(worker("a", &journal))
        .child(worker("slow", &journal).with_shutdown(Shutdown::Timeout(Duration::from_millis(50))))
        .child(worker("c", &journal).with_shutdown(Shutdown::Brutal));
    let sup = SupervisorRef::start(&runtime, "root", spec).expect("started");
    // `slow` is busy for 2 s when the shutdown reaches it: its graceful stop (after its queue)
    // does not come in time, so the supervisor asks brutally and moves on.
    assert!(
        child(&sup, "slow")
            .send(Cmd::Busy(Duration::from_secs(2)))
            .is_ok()
    );
    sup.shutdown(HANG).expect("shut down");
    let lines = journal.lines();
    let stops: Vec<&String> = lines.iter().filter(|l| l.starts_with("stop")).collect();
    assert!(
        !stops.contains(&&"stop c".to_owned()),
        "brutal: no stopped hook: {lines:?}"
    );
    assert_eq!(
        stops.last().map(|s| s.as_str()),
        Some("stop a"),
        "{lines:?}"
    );
    let deadline = Instant::now() + HANG;
    while !sup.actor_ref().is_stopped() {
        assert!(Instant::now() < deadline, "the supervisor never stopped");
        std::thread::yield_now();
    }
    runtime.shutdown();
}

#[test]
fn dynamic_children_start_and_terminate_at_run_time() {
    let runtime = Runtime::with_workers(2).expect("a runtime");
    let journal = Journal::default();
    let sup = SupervisorRef::start(
        &runtime,
        "dyn",
        SupervisorSpec::new(Strategy::Dynamic).with_intensity(5, Duration::from_secs(5)),
    )
    .expect("started");
    for i in 0..3 {
        sup.start_child(worker(&format!("w{i}"), &journal), HANG)
            .expect("started a child");
    }
    assert!(matches!(
        sup.start_child(worker("w1", &journal), HANG),
        Err(SuperviseError::DuplicateChild { .. })
    ));
    let w1 = child(&sup, "w1");
    assert_eq!(echo(&w1, 7), ("w1".to_owned(), 7));
    assert!(w1.send(Cmd::Panic).is_ok());
    journal.wait_for("start w1", 2);
    sup.terminate_child("w1", HANG).expect("terminated");
    assert!(w1.is_stopped());
    assert!(sup.child::<Cmd>("w1").is_none());
    assert_eq!(sup.tree().children.len(), 2);
    assert!(matches!(
        sup.terminate_child("nope", HANG),
        Err(SuperviseError::UnknownChild { .. })
    ));
    runtime.shutdown();
}

/// Starts and terminates a dynamic supervisor's children from inside its handler, waiting
/// for each answer there.
struct Manager {
    sup: SupervisorRef,
    journal: Journal,
    done: mpsc::Sender<Result<(), SuperviseError>>,
}

impl Actor for Manager {
    type Msg = u32;
    type Error = String;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, n: u32) -> Result<(), String> {
        let name = format!("m{n}");
        let outcome = self
            .sup
            .start_child(worker(&name, &self.journal), HANG)
            .and_then(|_| self.sup.terminate_child(&name, HANG));
        self.done.send(outcome).expect("the test listens");
        Ok(())
    }
}

#[test]
fn a_handler_starts_and_terminates_children_on_a_one_worker_runtime() {
    // The supervisor is queued behind the manager's turn on the one worker: the manager's
    // waits run it (a blocked wait timed out every call).
    let runtime = Runtime::with_workers(1).expect("a runtime");
    let journal = Journal::default();
    let sup = SupervisorRef::start(&runtime, "dyn", SupervisorSpec::new(Strategy::Dynamic))
        .expect("started");
    let (done, outcomes) = mpsc::channel();
    let manager = runtime.spawn(Manager {
        sup: sup.clone(),
        journal: journal.clone(),
        done,
    });
    for n in 0..20 {
        assert!(manager.send(n).is_ok());
        assert_eq!(outcomes.recv_timeout(HANG), Ok(Ok(())), "child m{n}");
        assert_eq!(journal.count(&format!("start m{n}")), 1);
    }
    assert!(sup.tree().children.is_empty());
    runtime.shutdown();
}

#[test]
fn a_child_that_fails_to_start_fails_the_start_and_names_the_child() {
    let runtime = Runtime::with_workers(2).expect("a runtime");
    let journal = Journal::default();
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .child(worker("a", &journal))
        .child(Child::from_spec(ChildSpec::worker("broken", || {
            Err::<Worker, _>("no database")
        })))
        .child(worker("c", &journal));
    let error = SupervisorRef::start(&runtime, "root", spec).expect_err("the start fails");
    assert_eq!(
        error,
        SuperviseError::StartFailed {
            child: "broken".into(),
            reason: "no database".to_owned()
        }
    );
    assert!(error.to_string().contains("broken"));
    journal.wait_for("stop a", 1);
    assert_eq!(
        journal.count("start c"),
        0,
        "nothing after the failed child starts"
    );
    runtime.shutdown();
}

#[test]
fn a_pool_spreads_round_robin_and_keeps_its_addresses_across_restarts() {
    let runtime = Runtime::with_workers(2).expect("a runtime");
    let journal = Journal::default();
    let pool_journal = journal.clone();
    let counter = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .with_intensity(10, Duration::from_secs(5))
        .children(pool_children("pool", 4, move || {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Worker {
                name: format!("pool worker {}", n % 4),
                journal: pool_journal.clone(),
            }
        }));
    let sup = SupervisorRef::start(&runtime, "root", spec).expect("started");
    let pool = PoolRef::<Cmd>::of(&sup, "pool", 4).expect("a pool of 4");
    let (back, answers) = mpsc::channel();
    for n in 0..100 {
        assert!(pool.send(Cmd::Echo(n, back.clone())).is_ok());
    }
    let mut per_worker: HashMap<String, u32> = HashMap::new();
    for _ in 0..100 {
        let (name, _) = answers.recv_timeout(HANG).expect("an echo");
        *per_worker.entry(name).or_default() += 1;
    }
    assert_eq!(per_worker.len(), 4);
    assert!(per_worker.values().all(|&n| n == 25), "{per_worker:?}");
    let ids: Vec<_> = pool.workers().iter().map(ActorRef::id).collect();
    assert!(pool.workers()[1].send(Cmd::Panic).is_ok());
    journal.wait_for("start pool worker 0", 2);
    let again = PoolRef::<Cmd>::of(&sup, "pool", 4).expect("a pool of 4");
    assert_eq!(
        again.workers().iter().map(ActorRef::id).collect::<Vec<_>>(),
        ids
    );
    for n in 0..8 {
        assert!(pool.send(Cmd::Echo(n, back.clone())).is_ok());
    }
    for _ in 0..8 {
        let _ = answers
            .recv_timeout(HANG)
            .expect("the restarted pool answers");
    }
    runtime.shutdown();
}

#[test]
fn a_supervisor_can_drop_the_queued_messages_on_restart_counting_them() {
    let runtime = Runtime::with_workers(2).expect("a runtime");
    let journal = Journal::default();
    let spec = abc(Strategy::OneForOne, &journal).dropping_mailbox_on_restart();
    let sup = SupervisorRef::start(&runtime, "root", spec).expect("started");
    let b = child(&sup, "b");
    let dead_before = runtime.metrics().dead_letters;
    // Everything below is queued while b is busy, so all of it is in the mailbox at the crash.
    assert!(b.send(Cmd::Busy(Duration::from_millis(200))).is_ok());
    assert!(b.send(Cmd::Panic).is_ok());
    let (back, answers) = mpsc::channel();
    for n in 0..50 {
        assert!(b.send(Cmd::Echo(n, back.clone())).is_ok());
    }
    // The restart drops what is queued when it runs; wait for that before sending more.
    let deadline = Instant::now() + HANG;
    while runtime.metrics().dead_letters - dead_before < 50 {
        assert!(
            Instant::now() < deadline,
            "the queued messages were never dropped"
        );
        std::thread::yield_now();
    }
    assert_eq!(
        echo(&b, 99),
        ("b".to_owned(), 99),
        "the restarted instance answers"
    );
    assert!(
        answers.try_recv().is_err(),
        "nothing queued before the restart was handled"
    );
    assert_eq!(runtime.metrics().dead_letters - dead_before, 50);
    runtime.shutdown();
}

#[test]
fn a_child_supervisor_shuts_its_children_down_in_order_before_its_parent_goes_on() {
    let runtime = Runtime::with_workers(2).expect("a runtime");
    let journal = Journal::default();
    let mid_journal = journal.clone();
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .child(worker("w1", &journal))
        .child(Child::supervisor("mid", move || {
            SupervisorSpec::new(Strategy::OneForOne)
                .child(worker("x", &mid_journal))
                .child(worker("y", &mid_journal))
        }))
        .child(worker("w2", &journal));
    let sup = SupervisorRef::start(&runtime, "root", spec).expect("started");
    for name in ["w1", "x", "y", "w2"] {
        journal.wait_for(&format!("start {name}"), 1);
    }
    sup.shutdown(HANG).expect("shut down");
    let stops: Vec<String> = journal
        .lines()
        .into_iter()
        .filter(|l| l.starts_with("stop"))
        .collect();
    assert_eq!(stops, ["stop w2", "stop y", "stop x", "stop w1"]);
    runtime.shutdown();
}

/// A child whose `started` fails.
struct NoDatabase;

impl Actor for NoDatabase {
    type Msg = Cmd;
    type Error = String;

    fn started(&mut self, _ctx: &mut Context<'_, Self>) -> Result<(), String> {
        Err("cannot reach the database".to_owned())
    }

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, _cmd: Cmd) -> Result<(), String> {
        Ok(())
    }
}

#[test]
fn a_child_whose_started_fails_fails_the_start_and_names_the_child() {
    let runtime = Runtime::with_workers(2).expect("a runtime");
    let journal = Journal::default();
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .child(worker("a", &journal))
        .child(Child::worker("db", || NoDatabase))
        .child(worker("c", &journal));
    let error = SupervisorRef::start(&runtime, "root", spec).expect_err("the start fails");
    let SuperviseError::StartFailed { child, reason } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(child.as_str(), "db");
    assert!(reason.contains("cannot reach the database"), "{reason}");
    journal.wait_for("stop a", 1);
    assert_eq!(
        journal.count("build c"),
        0,
        "nothing after the failed child starts"
    );
    runtime.shutdown();
}

#[test]
fn a_started_supervisor_publishes_a_running_tree_before_start_returns() {
    let runtime = Runtime::with_workers(2).expect("a runtime");
    for _ in 0..50 {
        let journal = Journal::default();
        let sup = SupervisorRef::start(&runtime, "root", abc(Strategy::OneForOne, &journal))
            .expect("started");
        let tree = sup.tree();
        assert_eq!(tree.status, TreeStatus::Running, "{tree}");
        assert!(
            tree.children
                .iter()
                .all(|c| c.status == TreeStatus::Running),
            "{tree}"
        );
        sup.shutdown(HANG).expect("shut down");
    }
    runtime.shutdown();
}
