//! Restart in place (R1-R5 of `supervision.rs`): a supervised actor's cell outlives its
//! instances, keeps its mailbox and its address, and tells its guardian of every end.

use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use courier_sched::{
    Actor, ActorRef, ChildEvent, ChildEventKind, ChildHandle, Context, Down, Exit, Factory,
    Guardian, Runtime, SendError, Termination,
};

const HANG: Duration = Duration::from_mins(1);

enum Work {
    Item(u32),
    Panic,
    Fail,
}

/// Reports every item it handles with the instance that handled it.
struct Child {
    instance: u32,
    seen: mpsc::Sender<(u32, u32)>,
}

impl Actor for Child {
    type Msg = Work;
    type Error = String;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, work: Work) -> Result<(), String> {
        match work {
            Work::Item(n) => {
                self.seen
                    .send((self.instance, n))
                    .expect("the test listens");
                Ok(())
            }
            Work::Panic => panic!("instance {} was told to panic", self.instance),
            Work::Fail => Err(format!("instance {} was told to fail", self.instance)),
        }
    }
}

/// A factory whose instances number themselves; it fails while `fail_next` is above zero.
fn factory(seen: mpsc::Sender<(u32, u32)>, fail_next: Arc<AtomicUsize>) -> Factory<Child> {
    let instances = AtomicU32::new(0);
    Box::new(move || {
        // ORDERING: Relaxed; the test thread sets it before the restart request, which orders it.
        if fail_next.load(Ordering::Relaxed) > 0 {
            fail_next.fetch_sub(1, Ordering::Relaxed);
            return Err("the factory was told to fail".to_owned());
        }
        Ok(Child {
            instance: instances.fetch_add(1, Ordering::Relaxed),
            seen: seen.clone(),
        })
    })
}

enum Parent {
    Spawn(
        Factory<Child>,
        Guardian,
        mpsc::Sender<Result<(ActorRef<Work>, ChildHandle), String>>,
    ),
    Monitor(ActorRef<Work>),
}

/// Spawns supervised children for the test thread, and monitors what it is told to.
struct Spawner {
    downs: mpsc::Sender<Down>,
}

impl Actor for Spawner {
    type Msg = Parent;
    type Error = String;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: Parent) -> Result<(), String> {
        match msg {
            Parent::Spawn(factory, guardian, back) => {
                back.send(ctx.spawn_supervised(factory, guardian))
                    .expect("the test listens");
            }
            Parent::Monitor(child) => {
                let _id = ctx.monitor(&child);
            }
        }
        Ok(())
    }

    fn on_down(&mut self, _ctx: &mut Context<'_, Self>, down: Down) -> Result<(), String> {
        self.downs.send(down).expect("the test listens");
        Ok(())
    }
}

struct Fixture {
    runtime: Runtime,
    child: ActorRef<Work>,
    handle: ChildHandle,
    seen: mpsc::Receiver<(u32, u32)>,
    events: mpsc::Receiver<ChildEvent>,
    /// The instances whose `started` came through.
    started: mpsc::Receiver<u64>,
    downs: mpsc::Receiver<Down>,
    spawner: ActorRef<Parent>,
    fail_next: Arc<AtomicUsize>,
}

/// Has `spawner` spawn a supervised child from `factory`, told of its ends by `guardian`.
fn spawn_child(
    spawner: &ActorRef<Parent>,
    factory: Factory<Child>,
    guardian: Guardian,
) -> (ActorRef<Work>, ChildHandle) {
    let (reply_to, replies) = mpsc::channel();
    assert!(
        spawner
            .send(Parent::Spawn(factory, guardian, reply_to))
            .is_ok()
    );
    replies
        .recv_timeout(HANG)
        .expect("spawned")
        .expect("the first instance builds")
}

fn fixture(guardian_answers: bool) -> Fixture {
    let runtime = Runtime::with_workers(2).expect("a runtime");
    let (seen_tx, seen) = mpsc::channel();
    let (events_tx, events) = mpsc::channel();
    let (downs_tx, downs) = mpsc::channel();
    let fail_next = Arc::new(AtomicUsize::new(0));
    let (started_tx, started) = mpsc::channel();
    let senders = std::sync::Mutex::new((events_tx, started_tx));
    let guardian: Guardian = Arc::new(move |event: ChildEvent| {
        let senders = senders.lock().expect("not poisoned");
        let delivered = match event.kind {
            ChildEventKind::Started => senders.1.send(event.instance).is_ok(),
            ChildEventKind::Ended => senders.0.send(event).is_ok(),
        };
        assert!(delivered, "the test listens");
        guardian_answers
    });
    let spawner = runtime.spawn(Spawner { downs: downs_tx });
    let (child, handle) = spawn_child(&spawner, factory(seen_tx, Arc::clone(&fail_next)), guardian);
    Fixture {
        runtime,
        child,
        handle,
        seen,
        events,
        started,
        downs,
        spawner,
        fail_next,
    }
}

fn items(fixture: &Fixture, count: usize) -> Vec<(u32, u32)> {
    (0..count)
        .map(|_| fixture.seen.recv_timeout(HANG).expect("an item"))
        .collect()
}

#[test]
fn a_restart_keeps_the_address_and_the_queued_messages_in_order() {
    let f = fixture(true);
    assert!(f.child.send(Work::Item(0)).is_ok());
    assert_eq!(items(&f, 1), vec![(0, 0)]);
    assert!(f.child.send(Work::Panic).is_ok());
    let event = f.events.recv_timeout(HANG).expect("the crash is reported");
    assert_eq!(event.child, f.child.id());
    assert!(
        matches!(event.reason, Exit::Panicked { ref message } if message.contains("instance 0"))
    );
    assert!(!event.finished);
    assert!(event.lost_message, "the panicking message was consumed");
    assert_eq!(event.instance, 0);
    // Suspended: sends still succeed, and nothing is handled until the restart.
    for n in 1..=100 {
        assert!(f.child.send(Work::Item(n)).is_ok());
    }
    assert!(f.seen.recv_timeout(Duration::from_millis(50)).is_err());
    assert!(!f.handle.is_finished());
    assert!(f.handle.restart(true));
    let handled = items(&f, 100);
    assert_eq!(handled, (1..=100).map(|n| (1, n)).collect::<Vec<_>>());
    let started: Vec<u64> = f.started.try_iter().collect();
    assert_eq!(
        started,
        [0],
        "the first instance reports its start, restarts do not"
    );
    assert!(f.events.try_recv().is_err(), "one event per instance end");
    f.runtime.shutdown();
}

#[test]
fn a_restart_can_dead_letter_the_queued_messages_and_counts_them() {
    let f = fixture(true);
    assert!(f.child.send(Work::Fail).is_ok());
    let event = f
        .events
        .recv_timeout(HANG)
        .expect("the failure is reported");
    assert!(matches!(event.reason, Exit::Error { .. }));
    for n in 1..=10 {
        assert!(f.child.send(Work::Item(n)).is_ok());
    }
    let dead_before = f.runtime.metrics().dead_letters;
    assert!(f.handle.restart(false));
    // The restart drops what is queued when it runs; wait for that before sending more.
    let deadline = std::time::Instant::now() + HANG;
    while f.runtime.metrics().dead_letters - dead_before < 10 {
        assert!(
            std::time::Instant::now() < deadline,
            "the queued items were never dropped"
        );
        std::thread::yield_now();
    }
    assert!(f.child.send(Work::Item(11)).is_ok());
    assert_eq!(
        items(&f, 1),
        vec![(1, 11)],
        "only what came after the restart"
    );
    assert_eq!(f.runtime.metrics().dead_letters - dead_before, 10);
    f.runtime.shutdown();
}

#[test]
fn monitors_hear_only_the_final_exit_after_restarts() {
    let f = fixture(true);
    assert!(f.spawner.send(Parent::Monitor(f.child.clone())).is_ok());
    // Make sure the monitor is in place before the crashes (the spawner handles in order).
    assert!(f.child.send(Work::Item(0)).is_ok());
    assert_eq!(items(&f, 1), vec![(0, 0)]);
    for instance in 0..3 {
        assert!(f.child.send(Work::Panic).is_ok());
        let event = f.events.recv_timeout(HANG).expect("a crash");
        assert!(!event.finished, "crash {instance}");
        assert!(f.handle.restart(true));
    }
    assert!(f.child.send(Work::Item(1)).is_ok());
    assert_eq!(items(&f, 1), vec![(3, 1)]);
    assert!(
        f.downs.try_recv().is_err(),
        "restarts are not exits of the address"
    );
    assert!(f.handle.shut_down(Termination::Graceful));
    let event = f.events.recv_timeout(HANG).expect("the final exit");
    assert!(event.finished);
    assert_eq!(event.reason, Exit::Shutdown);
    let down = f
        .downs
        .recv_timeout(HANG)
        .expect("the monitor hears the final exit");
    assert_eq!(down.reason, Exit::Shutdown);
    assert!(f.handle.is_finished());
    assert!(matches!(
        f.child.try_send(Work::Item(2)),
        Err(SendError::Closed(_))
    ));
    f.runtime.shutdown();
}

#[test]
fn suspend_ends_a_running_instance_and_keeps_its_mailbox() {
    let f = fixture(true);
    assert!(f.child.send(Work::Item(0)).is_ok());
    assert_eq!(items(&f, 1), vec![(0, 0)]);
    assert!(f.handle.suspend(Termination::Graceful));
    let event = f
        .events
        .recv_timeout(HANG)
        .expect("the suspend is reported");
    assert_eq!(event.reason, Exit::Shutdown);
    assert!(!event.finished && !event.lost_message);
    assert!(
        f.handle.suspend(Termination::Brutal),
        "ignored: already suspended (R5)"
    );
    for n in 1..=5 {
        assert!(f.child.send(Work::Item(n)).is_ok());
    }
    assert!(f.handle.restart(true));
    assert_eq!(items(&f, 5), (1..=5).map(|n| (1, n)).collect::<Vec<_>>());
    assert!(
        f.events.try_recv().is_err(),
        "the ignored suspend ended nothing"
    );
    f.runtime.shutdown();
}

#[test]
fn a_failing_factory_leaves_the_cell_suspended_and_reports_it() {
    let f = fixture(true);
    f.fail_next.store(1, Ordering::Relaxed);
    assert!(f.child.send(Work::Panic).is_ok());
    assert!(!f.events.recv_timeout(HANG).expect("the crash").finished);
    assert!(f.child.send(Work::Item(7)).is_ok());
    assert!(f.handle.restart(true));
    let event = f.events.recv_timeout(HANG).expect("the failed restart");
    assert!(
        matches!(event.reason, Exit::Error { ref message } if message.contains("told to fail")),
        "{event:?}"
    );
    assert!(!event.finished);
    assert!(f.handle.restart(true));
    assert_eq!(
        items(&f, 1),
        vec![(1, 7)],
        "the queued item waited for the good restart"
    );
    f.runtime.shutdown();
}

#[test]
fn without_a_guardian_to_answer_the_exit_is_final() {
    let f = fixture(false);
    assert!(f.spawner.send(Parent::Monitor(f.child.clone())).is_ok());
    assert!(f.child.send(Work::Item(0)).is_ok());
    assert_eq!(items(&f, 1), vec![(0, 0)]);
    assert!(f.child.send(Work::Panic).is_ok());
    let first = f.events.recv_timeout(HANG).expect("the crash");
    assert!(!first.finished);
    let last = f.events.recv_timeout(HANG).expect("then the final exit");
    assert!(last.finished);
    assert!(matches!(last.reason, Exit::Panicked { .. }));
    let down = f.downs.recv_timeout(HANG).expect("monitors hear it");
    assert!(matches!(down.reason, Exit::Panicked { .. }));
    assert!(f.handle.is_finished());
    f.runtime.shutdown();
}

#[test]
fn a_panicking_guardian_makes_the_exit_final_and_spares_the_worker() {
    let runtime = Runtime::with_workers(1).expect("a runtime");
    let (seen_tx, seen) = mpsc::channel();
    let (downs_tx, downs) = mpsc::channel();
    let guardian: Guardian = Arc::new(|event: ChildEvent| {
        assert!(
            event.kind != ChildEventKind::Ended || event.finished,
            "this guardian panics at the news of a crash"
        );
        true
    });
    let spawner = runtime.spawn(Spawner { downs: downs_tx });
    let (child, handle) = spawn_child(
        &spawner,
        factory(seen_tx, Arc::new(AtomicUsize::new(0))),
        guardian,
    );
    assert!(spawner.send(Parent::Monitor(child.clone())).is_ok());
    assert!(child.send(Work::Item(1)).is_ok());
    assert_eq!(seen.recv_timeout(HANG), Ok((0, 1)));
    // The crash's news panics in the guardian, on the one worker: caught there, and nobody
    // is left to decide (R4), so the exit is final and monitors hear the crash.
    assert!(child.send(Work::Panic).is_ok());
    let down = downs.recv_timeout(HANG).expect("monitors hear it");
    assert!(matches!(down.reason, Exit::Panicked { .. }), "{down:?}");
    assert!(handle.is_finished());
    assert!(matches!(
        child.send(Work::Item(2)),
        Err(SendError::Closed(_))
    ));
    // The worker still runs actors.
    assert!(spawner.send(Parent::Monitor(child.clone())).is_ok());
    let down = downs
        .recv_timeout(HANG)
        .expect("a monitor of an exited actor hears at once");
    assert!(matches!(down.reason, Exit::Panicked { .. }), "{down:?}");
    runtime.shutdown();
}
