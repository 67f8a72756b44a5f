//! Instructions per spawn (gungraun / callgrind): 1000 idle actors spawned on a
//! [`LocalRuntime`], nothing run. The figure is the total / 1000 (cell and mailbox allocation,
//! id, queueing for `started`).
//!
//! And an actor's whole life, as Savina's fork-join creation lives it: 1000 actors with a
//! field of state (a 320-byte cell), each spawned, sent one message, run, stopped by its
//! handler and freed; the figure is again the total / 1000.

#![expect(
    missing_docs,
    reason = "gungraun's macros generate undocumented modules and items"
)]

use std::convert::Infallible;
use std::hint::black_box;

use courier_benches::floor::Idle;
use courier_sched::{Actor, ActorRef, Context, LocalRuntime};
use gungraun::{library_benchmark, library_benchmark_group, main};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ACTORS: usize = 1000;

fn runtime() -> (LocalRuntime, Vec<ActorRef<()>>) {
    let runtime = LocalRuntime::new().expect("this machine's topology loads");
    // Warm the allocator and the injector with one spawn.
    let first = runtime.spawn(Idle);
    runtime.run();
    let mut refs = Vec::with_capacity(ACTORS + 1);
    refs.push(first);
    (runtime, refs)
}

#[library_benchmark]
#[bench::spawn_1000(setup = runtime)]
fn spawn(
    (runtime, mut refs): (LocalRuntime, Vec<ActorRef<()>>),
) -> (LocalRuntime, Vec<ActorRef<()>>) {
    for _ in 0..ACTORS {
        refs.push(runtime.spawn(black_box(Idle)));
    }
    (runtime, refs)
}

/// Lives for one message: counts it into its state and stops.
struct Forked {
    seen: u64,
}

impl Actor for Forked {
    type Msg = u64;
    type Error = Infallible;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: u64) -> Result<(), Infallible> {
        self.seen = black_box(self.seen + msg);
        ctx.stop();
        Ok(())
    }
}

#[library_benchmark]
#[bench::spawn_send_stop_1000(setup = runtime)]
fn life((runtime, refs): (LocalRuntime, Vec<ActorRef<()>>)) -> (LocalRuntime, Vec<ActorRef<()>>) {
    for message in 0..ACTORS as u64 {
        let forked = runtime.spawn(Forked { seen: 0 });
        forked
            .send(black_box(message))
            .expect("a new actor takes a message");
    }
    runtime.run();
    (runtime, refs)
}

library_benchmark_group!(name = spawn_group, benchmarks = [spawn, life]);

main!(library_benchmark_groups = spawn_group);
