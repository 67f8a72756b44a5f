//! An actor whose last reference goes while it is idle is stopped as a stop request would stop
//! it: a last turn runs `stopped` with `Exit::Normal`, its monitors hear it, and then its cell is
//! freed. Not after the shutdown: nothing runs that turn, and the state is only dropped.

use std::convert::Infallible;
use std::sync::mpsc;

use courier_sched::{Actor, ActorRef, Context, Down, Exit, Runtime, SendError};

mod common;

use common::HANG;

/// What a `Reporter` tells the test.
#[derive(Debug, PartialEq)]
enum Heard {
    Handled(u32),
    Stopped(Exit),
    Dropped,
}

/// Reports what it handles, its `stopped` and its drop; on message 0, keeps a reference to
/// itself for `stopped` to hand out.
struct Reporter {
    heard: mpsc::Sender<Heard>,
    /// Sent a reference to itself from `stopped` (a reference taken in the last turn).
    hand_out: Option<mpsc::Sender<ActorRef<u32>>>,
}

impl Reporter {
    fn new(heard: &mpsc::Sender<Heard>) -> Self {
        Reporter {
            heard: heard.clone(),
            hand_out: None,
        }
    }
}

impl Actor for Reporter {
    type Msg = u32;
    type Error = Infallible;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, n: u32) -> Result<(), Infallible> {
        self.heard
            .send(Heard::Handled(n))
            .expect("the test listens");
        Ok(())
    }

    fn stopped(&mut self, ctx: &mut Context<'_, Self>, reason: &Exit) {
        if let Some(hand_out) = self.hand_out.take() {
            hand_out.send(ctx.myself()).expect("the test listens");
        }
        self.heard
            .send(Heard::Stopped(reason.clone()))
            .expect("the test listens");
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        let _ = self.heard.send(Heard::Dropped);
    }
}

fn next(heard: &mpsc::Receiver<Heard>) -> Heard {
    heard
        .recv_timeout(HANG)
        .expect("heard within the hang limit")
}

#[test]
fn an_actor_whose_last_reference_goes_from_outside_runs_stopped_then_is_dropped() {
    let runtime = Runtime::with_workers(2).expect("a runtime");
    let (heard, hearing) = mpsc::channel();
    let reporter = runtime.spawn(Reporter::new(&heard));
    reporter.send(7).expect("alive");
    assert_eq!(next(&hearing), Heard::Handled(7));
    let exited = runtime.metrics().actors_exited;
    drop(reporter);
    assert_eq!(next(&hearing), Heard::Stopped(Exit::Normal));
    assert_eq!(next(&hearing), Heard::Dropped);
    common::wait_for(|| runtime.metrics().actors_exited == exited + 1);
    runtime.shutdown();
}

/// Spawns a `Reporter` per message, sends it the message and drops the reference at once.
struct Spawner {
    heard: mpsc::Sender<Heard>,
}

impl Actor for Spawner {
    type Msg = u32;
    type Error = Infallible;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, n: u32) -> Result<(), Infallible> {
        let child = ctx.spawn(Reporter::new(&self.heard));
        child.send(n).expect("a new actor takes a message");
        Ok(())
    }
}

#[test]
fn a_fire_and_forget_child_handles_its_message_then_stops() {
    // One worker: the child's first turn and its last run on the worker that dropped it.
    let runtime = common::one_worker_runtime(16);
    let (heard, hearing) = mpsc::channel();
    let spawner = runtime.spawn(Spawner { heard });
    for n in 0..3 {
        spawner.send(n).expect("alive");
        assert_eq!(next(&hearing), Heard::Handled(n));
        assert_eq!(next(&hearing), Heard::Stopped(Exit::Normal));
        assert_eq!(next(&hearing), Heard::Dropped);
    }
    runtime.shutdown();
}

/// Monitors the actor it is sent; reports what it hears.
struct Mourner {
    downs: mpsc::Sender<Exit>,
}

impl Actor for Mourner {
    type Msg = ActorRef<u32>;
    type Error = Infallible;

    fn handle(
        &mut self,
        ctx: &mut Context<'_, Self>,
        target: ActorRef<u32>,
    ) -> Result<(), Infallible> {
        let _monitor = ctx.monitor(&target);
        Ok(())
    }

    fn on_down(&mut self, _ctx: &mut Context<'_, Self>, down: Down) -> Result<(), Infallible> {
        self.downs.send(down.reason).expect("the test listens");
        Ok(())
    }
}

#[test]
fn a_monitor_hears_the_normal_exit_of_an_actor_nobody_references() {
    let runtime = Runtime::with_workers(2).expect("a runtime");
    let (heard, hearing) = mpsc::channel();
    let (downs, down) = mpsc::channel();
    let mourner = runtime.spawn(Mourner { downs });
    let reporter = runtime.spawn(Reporter::new(&heard));
    mourner.send(reporter.clone()).expect("alive");
    // The monitor is in place once the mourner handled its message (and dropped its copy).
    common::wait_for(|| mourner.mailbox_depth() == 0);
    reporter.send(1).expect("alive");
    assert_eq!(next(&hearing), Heard::Handled(1));
    drop(reporter);
    assert_eq!(next(&hearing), Heard::Stopped(Exit::Normal));
    assert_eq!(down.recv_timeout(HANG), Ok(Exit::Normal));
    runtime.shutdown();
}

#[test]
fn a_reference_taken_in_the_last_turn_reaches_an_exited_actor() {
    let runtime = Runtime::with_workers(2).expect("a runtime");
    let (heard, hearing) = mpsc::channel();
    let (hand_out, handed) = mpsc::channel();
    let reporter = runtime.spawn(Reporter {
        heard: heard.clone(),
        hand_out: Some(hand_out),
    });
    drop(reporter);
    assert_eq!(next(&hearing), Heard::Stopped(Exit::Normal));
    let revived = handed.recv_timeout(HANG).expect("handed out");
    // It exits (its mailbox closes just after `stopped`): then a send is refused, and the
    // state stays until this last reference goes, without a second `stopped`.
    common::wait_for(|| revived.is_stopped());
    assert!(matches!(revived.send(9), Err(SendError::Closed(9))));
    drop(revived);
    assert_eq!(next(&hearing), Heard::Dropped);
    runtime.shutdown();
    drop(heard);
    // Every sender is gone (the state was dropped): nothing more comes.
    assert_eq!(
        hearing.recv_timeout(HANG),
        Err(mpsc::RecvTimeoutError::Disconnected)
    );
}

#[test]
fn after_the_shutdown_a_last_reference_only_drops_the_state() {
    let runtime = Runtime::with_workers(2).expect("a runtime");
    let (heard, hearing) = mpsc::channel();
    let reporter = runtime.spawn(Reporter::new(&heard));
    reporter.send(3).expect("alive");
    assert_eq!(next(&hearing), Heard::Handled(3));
    runtime.shutdown();
    drop(reporter);
    assert_eq!(next(&hearing), Heard::Dropped);
    drop(heard);
    // No `stopped` came before the drop, and nothing after it.
    assert_eq!(
        hearing.recv_timeout(HANG),
        Err(mpsc::RecvTimeoutError::Disconnected)
    );
}
