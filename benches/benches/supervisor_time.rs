//! Wall-clock time of supervised restarts on real worker threads (2 workers, unpinned).
//!
//! A driver actor inside the runtime runs rounds: it sends a crash to a supervised child and
//! then a ping, and waits for the pong, which only the restarted instance can send. So a
//! round measures the whole restart: the panic and its unwinding, the suspension, the event to
//! the supervisor, its decision, the restart in place and `started`, then the queued ping.
//!
//! - `one_for_one_restart`: one child; the same rounds without the crash (a bare ping-pong
//!   between the driver and the child) are measured in the same run, and stderr gives the
//!   restart latency as the difference of the medians.
//! - `one_for_all_restart_10`: ten children, one crashes, all ten are suspended and restarted;
//!   the round ends when all ten answered a ping.
//!
//! Target (DESIGN.md): a one-for-one restart, panic to handling again, in <= 5 us.

use std::time::{Duration, Instant};

use courier_sched::{Actor, ActorRef, Context, Runtime};
use courier_supervisor::{Child, Strategy, SupervisorRef, SupervisorSpec};
use criterion::{Criterion, criterion_group, criterion_main};
use crossbeam_channel::{Receiver, Sender};
use mimalloc::MiMalloc;

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

/// Generous: only a hang (a lost message or restart) ever reaches it.
const HANG: Duration = Duration::from_mins(1);

enum ChildMsg {
    Panic,
    Ping(ActorRef<DriverMsg>),
}

struct Crashy;

impl Actor for Crashy {
    type Msg = ChildMsg;
    type Error = String;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, msg: ChildMsg) -> Result<(), String> {
        match msg {
            ChildMsg::Panic => panic!("told to panic"),
            ChildMsg::Ping(driver) => driver
                .try_send(DriverMsg::Pong)
                .map_err(|error| error.to_string()),
        }
    }
}

enum DriverMsg {
    Run {
        rounds: u64,
        crash: bool,
        done: Sender<()>,
    },
    Pong,
}

/// Runs rounds of crash-then-ping against its children.
struct Driver {
    children: Vec<ActorRef<ChildMsg>>,
    rounds: u64,
    crash: bool,
    pongs_due: usize,
    done: Option<Sender<()>>,
}

impl Driver {
    fn round(&mut self, ctx: &Context<'_, Self>) -> Result<(), String> {
        if self.crash {
            self.children[0]
                .try_send(ChildMsg::Panic)
                .map_err(|error| error.to_string())?;
        }
        for child in &self.children {
            child
                .try_send(ChildMsg::Ping(ctx.myself()))
                .map_err(|error| error.to_string())?;
        }
        self.pongs_due = self.children.len();
        Ok(())
    }
}

impl Actor for Driver {
    type Msg = DriverMsg;
    type Error = String;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: DriverMsg) -> Result<(), String> {
        match msg {
            DriverMsg::Run {
                rounds,
                crash,
                done,
            } => {
                self.rounds = rounds;
                self.crash = crash;
                self.done = Some(done);
                self.round(ctx)
            }
            DriverMsg::Pong => {
                self.pongs_due -= 1;
                if self.pongs_due > 0 {
                    return Ok(());
                }
                self.rounds -= 1;
                if self.rounds == 0 {
                    if let Some(done) = self.done.take() {
                        done.send(()).map_err(|error| error.to_string())?;
                    }
                    return Ok(());
                }
                self.round(ctx)
            }
        }
    }
}

struct Setup {
    runtime: Runtime,
    supervisor: SupervisorRef,
    driver: ActorRef<DriverMsg>,
}

fn setup(strategy: Strategy, children: usize) -> Setup {
    let runtime = Runtime::with_workers(2).expect("the runtime starts");
    let names: Vec<String> = (0..children).map(|i| format!("child-{i}")).collect();
    let spec = SupervisorSpec::new(strategy)
        .with_intensity(u32::MAX, Duration::from_millis(1))
        .children(
            names
                .iter()
                .map(|name| Child::worker(name.clone(), || Crashy)),
        );
    let supervisor = SupervisorRef::start(&runtime, "bench", spec).expect("started");
    let children = names
        .iter()
        .map(|name| supervisor.child::<ChildMsg>(name).expect("a child"))
        .collect();
    let driver = runtime.spawn(Driver {
        children,
        rounds: 0,
        crash: false,
        pongs_due: 0,
        done: None,
    });
    Setup {
        runtime,
        supervisor,
        driver,
    }
}

fn run(setup: &Setup, rounds: u64, crash: bool) -> Duration {
    let (done, finished): (Sender<()>, Receiver<()>) = crossbeam_channel::bounded(1);
    let start = Instant::now();
    assert!(
        setup
            .driver
            .send(DriverMsg::Run {
                rounds,
                crash,
                done
            })
            .is_ok()
    );
    finished
        .recv_timeout(HANG)
        .expect("the rounds finish: no restart lost");
    start.elapsed()
}

fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn one_for_one_restart(c: &mut Criterion) {
    std::panic::set_hook(Box::new(|_| {}));
    let setup = setup(Strategy::OneForOne, 1);
    let (mut restart, mut bare) = (Vec::new(), Vec::new());
    let mut group = c.benchmark_group("one_for_one_restart");
    group.bench_function("panic_then_ping", |b| {
        b.iter_custom(|iters| {
            let elapsed = run(&setup, iters, true);
            #[expect(clippy::cast_precision_loss, reason = "a per-round figure")]
            restart.push(elapsed.as_nanos() as f64 / iters as f64);
            elapsed
        });
    });
    group.bench_function("ping_only", |b| {
        b.iter_custom(|iters| {
            let elapsed = run(&setup, iters, false);
            #[expect(clippy::cast_precision_loss, reason = "a per-round figure")]
            bare.push(elapsed.as_nanos() as f64 / iters as f64);
            elapsed
        });
    });
    group.finish();
    let (restart, bare) = (median(&mut restart), median(&mut bare));
    let restarts = setup.supervisor.tree().children[0].restarts;
    eprintln!(
        "one_for_one_restart: {restart:.0} ns per round with a restart, {bare:.0} ns without: \
         {:.0} ns per restart ({restarts} restarts in all; target <= 5000 ns)",
        restart - bare
    );
    setup.runtime.shutdown();
}

fn one_for_all_restart_10(c: &mut Criterion) {
    let setup = setup(Strategy::OneForAll, 10);
    c.bench_function("one_for_all_restart_10", |b| {
        b.iter_custom(|iters| run(&setup, iters, true));
    });
    setup.runtime.shutdown();
}

criterion_group!(benches, one_for_one_restart, one_for_all_restart_10);
criterion_main!(benches);
