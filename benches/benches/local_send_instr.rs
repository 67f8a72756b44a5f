//! Instructions per local send (gungraun / callgrind): one worker, on the measured thread.
//!
//! `send_deliver_1000`: a handler sends 1000 messages to another actor on the same worker, and
//! the worker delivers and handles them (no-op handler). Everything runs on the calling thread
//! ([`LocalRuntime`]), so callgrind counts all of it; the figure is the total / 1000, including
//! the one outside send that starts the round and the turn overheads.

#![expect(
    missing_docs,
    reason = "gungraun's macros generate undocumented modules and items"
)]

use std::convert::Infallible;
use std::hint::black_box;

use courier_sched::{Actor, ActorRef, Context, LocalRuntime};
use gungraun::{library_benchmark, library_benchmark_group, main};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const MESSAGES: u64 = 1000;

/// Handles and drops.
struct Sink;

impl Actor for Sink {
    type Msg = u64;
    type Error = Infallible;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, msg: u64) -> Result<(), Infallible> {
        black_box(msg);
        Ok(())
    }
}

/// On `n`, sends `n` messages to the sink.
struct Source {
    sink: ActorRef<u64>,
}

impl Actor for Source {
    type Msg = u64;
    type Error = Infallible;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, n: u64) -> Result<(), Infallible> {
        for i in 0..n {
            self.sink
                .try_send(i)
                .expect("the sink's mailbox holds a round");
        }
        Ok(())
    }
}

/// Both actors started and one warm-up round done, so pools and queues are warm.
fn warm() -> (LocalRuntime, ActorRef<u64>) {
    let runtime = LocalRuntime::new().expect("this machine's topology loads");
    let sink = runtime.spawn(Sink);
    let source = runtime.spawn(Source { sink });
    source.try_send(MESSAGES).expect("an empty mailbox");
    runtime.run();
    (runtime, source)
}

#[library_benchmark]
#[bench::send_deliver_1000(setup = warm)]
fn local_send((runtime, source): (LocalRuntime, ActorRef<u64>)) -> (LocalRuntime, ActorRef<u64>) {
    source.try_send(MESSAGES).expect("an empty mailbox");
    runtime.run();
    (runtime, source)
}

library_benchmark_group!(name = local_send_group, benchmarks = [local_send]);

main!(library_benchmark_groups = local_send_group);
