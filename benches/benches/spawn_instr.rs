//! Instructions per spawn (gungraun / callgrind): 1000 idle actors spawned on a
//! [`LocalRuntime`], nothing run. The figure is the total / 1000 (cell and mailbox allocation,
//! id, queueing for `started`).

#![expect(
    missing_docs,
    reason = "gungraun's macros generate undocumented modules and items"
)]

use std::hint::black_box;

use courier_benches::floor::Idle;
use courier_sched::{ActorRef, LocalRuntime};
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

library_benchmark_group!(name = spawn_group, benchmarks = [spawn]);

main!(library_benchmark_groups = spawn_group);
