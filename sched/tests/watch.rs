//! Links and monitors: exit reasons reach watchers, links propagate abnormal exits, trapping
//! turns them into signals.

use std::sync::mpsc;
use std::time::Duration;

use courier_sched::{Actor, ActorRef, Context, Down, Exit, ExitSignal, Runtime};

const HANG: Duration = Duration::from_mins(1);

/// Obeys its orders; reports its own exit.
struct Target {
    exits: mpsc::Sender<(&'static str, Exit)>,
    name: &'static str,
}

enum Order {
    Panic,
    Fail,
    Stop,
}

impl Actor for Target {
    type Msg = Order;
    type Error = String;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, order: Order) -> Result<(), String> {
        match order {
            Order::Panic => panic!("{} was told to panic", self.name),
            Order::Fail => Err(format!("{} was told to fail", self.name)),
            Order::Stop => {
                ctx.stop();
                Ok(())
            }
        }
    }

    fn stopped(&mut self, _ctx: &mut Context<'_, Self>, reason: &Exit) {
        self.exits
            .send((self.name, reason.clone()))
            .expect("the test listens");
    }
}

enum Watch {
    Monitor(ActorRef<Order>),
    Link(ActorRef<Order>),
    Trap,
    Ping,
}

/// Watches others as told; reports what it hears.
struct Watcher {
    heard: mpsc::Sender<String>,
    exits: mpsc::Sender<(&'static str, Exit)>,
}

impl Actor for Watcher {
    type Msg = Watch;
    type Error = String;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: Watch) -> Result<(), String> {
        match msg {
            Watch::Monitor(target) => {
                let _monitor = ctx.monitor(&target);
            }
            Watch::Link(target) => ctx.link(&target),
            Watch::Trap => ctx.trap_exit(true),
            Watch::Ping => self
                .heard
                .send("pong".to_owned())
                .expect("the test listens"),
        }
        Ok(())
    }

    fn on_down(&mut self, _ctx: &mut Context<'_, Self>, down: Down) -> Result<(), String> {
        self.heard
            .send(format!("down: {}", down.reason))
            .expect("the test listens");
        Ok(())
    }

    fn on_exit_signal(
        &mut self,
        _ctx: &mut Context<'_, Self>,
        signal: ExitSignal,
    ) -> Result<(), String> {
        self.heard
            .send(format!("signal: {}", signal.reason))
            .expect("the test listens");
        Ok(())
    }

    fn stopped(&mut self, _ctx: &mut Context<'_, Self>, reason: &Exit) {
        self.exits
            .send(("watcher", reason.clone()))
            .expect("the test listens");
    }
}

struct Scene {
    runtime: Runtime,
    target: ActorRef<Order>,
    watcher: ActorRef<Watch>,
    heard: mpsc::Receiver<String>,
    exits: mpsc::Receiver<(&'static str, Exit)>,
}

fn scene() -> Scene {
    let runtime = Runtime::with_workers(2).expect("a runtime starts");
    let (exits_tx, exits) = mpsc::channel();
    let (heard_tx, heard) = mpsc::channel();
    let target = runtime.spawn(Target {
        exits: exits_tx.clone(),
        name: "target",
    });
    let watcher = runtime.spawn(Watcher {
        heard: heard_tx,
        exits: exits_tx,
    });
    Scene {
        runtime,
        target,
        watcher,
        heard,
        exits,
    }
}

/// Sends `msg` and waits until the watcher has handled it (its ping answer comes after).
fn settle(scene: &Scene, msg: Watch) {
    scene.watcher.send(msg).expect("the watcher is alive");
    scene
        .watcher
        .send(Watch::Ping)
        .expect("the watcher is alive");
    assert_eq!(
        scene.heard.recv_timeout(HANG).expect("the watcher answers"),
        "pong"
    );
}

#[test]
fn a_monitor_hears_the_panic_that_ended_the_target() {
    let scene = scene();
    settle(&scene, Watch::Monitor(scene.target.clone()));
    scene.target.send(Order::Panic).unwrap();
    assert_eq!(
        scene.heard.recv_timeout(HANG).unwrap(),
        "down: panicked: target was told to panic"
    );
    scene.runtime.shutdown();
}

#[test]
fn monitoring_an_actor_that_already_exited_hears_at_once() {
    let scene = scene();
    scene.target.send(Order::Fail).unwrap();
    assert_eq!(scene.exits.recv_timeout(HANG).unwrap().0, "target");
    scene
        .watcher
        .send(Watch::Monitor(scene.target.clone()))
        .unwrap();
    assert_eq!(
        scene.heard.recv_timeout(HANG).unwrap(),
        "down: error: target was told to fail"
    );
    scene.runtime.shutdown();
}

/// An unwatched actor that exits normally records its exit without a box of watchers (a
/// marker); a monitor set afterwards still hears the reason at once, then a link hears nothing
/// (a normal exit does not take a partner down).
#[test]
fn monitoring_an_actor_that_already_stopped_normally_hears_normal_at_once() {
    let scene = scene();
    scene.target.send(Order::Stop).unwrap();
    assert_eq!(
        scene.exits.recv_timeout(HANG).unwrap(),
        ("target", Exit::Normal)
    );
    scene
        .watcher
        .send(Watch::Monitor(scene.target.clone()))
        .unwrap();
    assert_eq!(scene.heard.recv_timeout(HANG).unwrap(), "down: normal");
    scene
        .watcher
        .send(Watch::Link(scene.target.clone()))
        .unwrap();
    scene.watcher.send(Watch::Ping).unwrap();
    assert_eq!(scene.heard.recv_timeout(HANG).unwrap(), "pong");
    scene.runtime.shutdown();
}

#[test]
fn a_link_takes_the_partner_down_on_an_abnormal_exit() {
    let scene = scene();
    settle(&scene, Watch::Link(scene.target.clone()));
    scene.target.send(Order::Panic).unwrap();
    let mut exits = [
        scene.exits.recv_timeout(HANG).unwrap(),
        scene.exits.recv_timeout(HANG).unwrap(),
    ];
    exits.sort_by_key(|(name, _)| *name);
    assert_eq!(exits[0].0, "target");
    assert_eq!(exits[1].0, "watcher");
    assert_eq!(
        exits[1].1,
        Exit::Linked {
            from: scene.target.id(),
            reason: Box::new(Exit::Panicked {
                message: "target was told to panic".to_owned()
            }),
        }
    );
    scene.runtime.shutdown();
}

#[test]
fn a_monitor_hears_a_kill_and_a_graceful_stop_from_outside() {
    let scene = scene();
    settle(&scene, Watch::Monitor(scene.target.clone()));
    assert!(scene.target.kill());
    assert_eq!(scene.heard.recv_timeout(HANG).unwrap(), "down: killed");
    assert_eq!(
        scene.exits.recv_timeout(HANG).unwrap(),
        ("target", Exit::Killed)
    );
    // A second target, stopped gracefully by someone else: its monitor hears a normal exit
    // (graceful stops, its own or another's, are not abnormal).
    let (exits, _stopped) = mpsc::channel();
    let other = scene.runtime.spawn(Target {
        exits,
        name: "other",
    });
    settle(&scene, Watch::Monitor(other.clone()));
    assert!(other.stop());
    assert_eq!(scene.heard.recv_timeout(HANG).unwrap(), "down: normal");
    assert!(!other.stop(), "already stopped");
    scene.runtime.shutdown();
}

#[test]
fn a_kill_takes_a_linked_partner_down() {
    let scene = scene();
    settle(&scene, Watch::Link(scene.target.clone()));
    assert!(scene.target.kill());
    let mut exits = [
        scene.exits.recv_timeout(HANG).unwrap(),
        scene.exits.recv_timeout(HANG).unwrap(),
    ];
    exits.sort_by_key(|(name, _)| *name);
    assert_eq!(exits[0], ("target", Exit::Killed));
    assert_eq!(
        exits[1],
        (
            "watcher",
            Exit::Linked {
                from: scene.target.id(),
                reason: Box::new(Exit::Killed),
            }
        )
    );
    scene.runtime.shutdown();
}

#[test]
fn a_normal_exit_of_a_linked_actor_leaves_the_partner_running() {
    let scene = scene();
    settle(&scene, Watch::Link(scene.target.clone()));
    scene.target.send(Order::Stop).unwrap();
    assert_eq!(
        scene.exits.recv_timeout(HANG).unwrap(),
        ("target", Exit::Normal)
    );
    settle(&scene, Watch::Ping);
    assert!(!scene.watcher.is_stopped());
    scene.runtime.shutdown();
}

#[test]
fn trapping_exits_turns_a_linked_crash_into_a_signal() {
    let scene = scene();
    settle(&scene, Watch::Trap);
    settle(&scene, Watch::Link(scene.target.clone()));
    scene.target.send(Order::Fail).unwrap();
    assert_eq!(
        scene.heard.recv_timeout(HANG).unwrap(),
        "signal: error: target was told to fail"
    );
    settle(&scene, Watch::Ping);
    assert!(!scene.watcher.is_stopped());
    scene.runtime.shutdown();
}

/// Keeps itself queued: every message it handles sends it the next one.
struct Busy;

impl Actor for Busy {
    type Msg = ();
    type Error = String;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, (): ()) -> Result<(), String> {
        let _ = ctx.myself().try_send(());
        Ok(())
    }
}

/// Monitors the actor it is given; says when its state is dropped.
struct Mourner {
    dropped: mpsc::Sender<()>,
}

impl Actor for Mourner {
    type Msg = ActorRef<()>;
    type Error = String;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, busy: ActorRef<()>) -> Result<(), String> {
        let _monitor = ctx.monitor(&busy);
        Ok(())
    }
}

impl Drop for Mourner {
    fn drop(&mut self) {
        let _ = self.dropped.send(());
    }
}

/// A worker that exits gives back the actors still queued on it; the last of those references
/// frees an actor, whose monitor is then told, which queues the monitor on that same worker
/// while it drains. That monitor must be given back too: it was once left in the worker's LIFO
/// slot after the drain had taken it, and leaked with the whole runtime (valgrind saw it).
#[test]
fn a_monitor_queued_while_its_worker_drains_at_shutdown_is_freed() {
    for _ in 0..20 {
        let runtime = Runtime::with_workers(1).unwrap();
        let (dropped, was_dropped) = mpsc::channel();
        let mourner = runtime.spawn(Mourner { dropped });
        let busy = runtime.spawn(Busy);
        mourner.send(busy.clone()).unwrap();
        busy.send(()).unwrap();
        // The monitor is in place once the mourner handled its message.
        while mourner.mailbox_depth() > 0 {
            std::thread::yield_now();
        }
        drop(busy);
        drop(mourner);
        // The workers are joined and the queues drained when `shutdown` returns.
        runtime.shutdown();
        assert_eq!(
            was_dropped.try_recv(),
            Ok(()),
            "the monitor's cell was never freed"
        );
    }
}

/// Stops itself on `Doom::Stop` (a reason without data) or fails on `Doom::Fail` (with data).
struct Doomed;

#[derive(Clone, Copy)]
enum Doom {
    Stop,
    Fail,
}

impl Actor for Doomed {
    type Msg = Doom;
    type Error = String;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, doom: Doom) -> Result<(), String> {
        match doom {
            Doom::Stop => {
                ctx.stop();
                Ok(())
            }
            Doom::Fail => Err("doomed".to_owned()),
        }
    }
}

/// Monitors every actor it is handed; reports each monitor's first notice, and any second.
struct Counter {
    seen: std::collections::HashSet<courier_sched::MonitorId>,
    heard: mpsc::Sender<Result<Exit, String>>,
}

impl Actor for Counter {
    type Msg = Vec<ActorRef<Doom>>;
    type Error = String;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, targets: Self::Msg) -> Result<(), String> {
        for target in &targets {
            let _monitor = ctx.monitor(target);
        }
        Ok(())
    }

    fn on_down(&mut self, _ctx: &mut Context<'_, Self>, down: Down) -> Result<(), String> {
        let first = self.seen.insert(down.monitor);
        let report = if first {
            Ok(down.reason)
        } else {
            Err(format!("{:?} was told twice", down.monitor))
        };
        self.heard.send(report).expect("the test listens");
        Ok(())
    }
}

/// Monitors registered on one worker while their targets exit on the other (the exit's
/// lock-free CAS racing the registration's, `watch_word.rs` W1-W2): each monitor hears its
/// target's exit exactly once, with the right reason, whether it registered before or after.
#[test]
fn monitors_racing_their_targets_exits_each_hear_once() {
    const TARGETS: usize = 4_000;
    const CHUNK: usize = 50;
    // Rounds, for more chances to meet the race.
    for _round in 0..8 {
        let runtime = Runtime::with_workers(2).expect("a runtime starts");
        let (heard_tx, heard) = mpsc::channel();
        let counter = runtime.spawn(Counter {
            seen: std::collections::HashSet::new(),
            heard: heard_tx,
        });
        let targets: Vec<ActorRef<Doom>> = (0..TARGETS).map(|_| runtime.spawn(Doomed)).collect();
        let doom = |index: usize| {
            if index.is_multiple_of(4) {
                Doom::Fail
            } else {
                Doom::Stop
            }
        };
        std::thread::scope(|scope| {
            scope.spawn(|| {
                for (index, target) in targets.iter().enumerate() {
                    target
                        .send(doom(index))
                        .expect("each target is doomed once");
                }
            });
            for chunk in targets.chunks(CHUNK) {
                counter.send(chunk.to_vec()).expect("the counter is alive");
            }
        });
        let (mut normal, mut failed) = (0, 0);
        for _ in 0..TARGETS {
            match heard.recv_timeout(HANG).expect("every monitor is told") {
                Ok(Exit::Normal) => normal += 1,
                Ok(Exit::Error { message }) if message == "doomed" => failed += 1,
                Ok(other) => panic!("unexpected reason {other:?}"),
                Err(twice) => panic!("{twice}"),
            }
        }
        assert_eq!((normal, failed), (TARGETS - TARGETS / 4, TARGETS / 4));
        drop(targets);
        drop(counter);
        runtime.shutdown();
        assert!(
            heard.try_recv().is_err(),
            "no monitor is told a second time"
        );
    }
}
