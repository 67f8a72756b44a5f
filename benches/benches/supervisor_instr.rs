//! Instructions per one-for-one restart (gungraun / callgrind), on a [`LocalRuntime`]: a
//! supervised child exits 100 times and is restarted in place each time; the figure is the
//! total / 100. It covers the child's exit (its `stopped`, the suspension, the event to the
//! guardian), the supervisor's decision (intensity window, plan) and publication, and the
//! restart (a new instance from the factory, `started`), with the mailbox kept.
//!
//! - `one_for_one_restart`: the child's handler returns an error.
//! - `one_for_one_restart_panic`: the child's handler panics (unwinding included; the panic
//!   hook is silenced, as a service would log elsewhere).

#![expect(
    missing_docs,
    reason = "gungraun's macros generate undocumented modules and items"
)]

use std::hint::black_box;
use std::time::Duration;

use courier_sched::{Actor, ActorRef, Context, LocalRuntime};
use courier_supervisor::{Child, Strategy, SupervisorRef, SupervisorSpec};
use gungraun::{library_benchmark, library_benchmark_group, main};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const RESTARTS: usize = 100;

#[derive(Clone, Copy)]
enum Crash {
    Fail,
    Panic,
}

struct Crashy;

impl Actor for Crashy {
    type Msg = Crash;
    type Error = &'static str;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, crash: Crash) -> Result<(), &'static str> {
        match crash {
            Crash::Fail => Err("told to fail"),
            Crash::Panic => panic!("told to panic"),
        }
    }
}

type Setup = (LocalRuntime, SupervisorRef, ActorRef<Crash>, Crash);

fn supervised(crash: Crash) -> Setup {
    std::panic::set_hook(Box::new(|_| {}));
    let runtime = LocalRuntime::new().expect("this machine's topology loads");
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .with_intensity(u32::MAX, Duration::from_secs(1))
        .child(Child::worker("crashy", || Crashy));
    let (supervisor, started) = SupervisorRef::spawn_local(&runtime, "root", spec);
    runtime.run();
    started
        .try_recv()
        .expect("the supervisor started")
        .expect("its child started");
    let child = supervisor.child::<Crash>("crashy").expect("the child");
    // One warm-up restart: the supervisor's tables and the allocator reach their steady state.
    child.try_send(crash).expect("room");
    runtime.run();
    (runtime, supervisor, child, crash)
}

fn failing() -> Setup {
    supervised(Crash::Fail)
}

fn panicking() -> Setup {
    supervised(Crash::Panic)
}

#[library_benchmark]
#[bench::one_for_one_restart(setup = failing)]
#[bench::one_for_one_restart_panic(setup = panicking)]
fn restart((runtime, supervisor, child, crash): Setup) -> Setup {
    for _ in 0..RESTARTS {
        child.try_send(black_box(crash)).expect("room");
        runtime.run();
    }
    (runtime, supervisor, child, crash)
}

library_benchmark_group!(name = supervisor_group, benchmarks = [restart]);

main!(library_benchmark_groups = supervisor_group);
