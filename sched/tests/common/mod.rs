//! Helpers shared by the integration tests.

#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test binary uses a different subset"
)]

use std::convert::Infallible;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use courier_mailbox::Capacity;
use courier_sched::{
    Actor, Context, Placement, Runtime, RuntimeSettings, Topology, WorkerCount, WorkerSettings,
};

/// A runtime of one unpinned, non-spinning worker whose actors get mailboxes of `capacity`
/// messages: small enough for a test to fill.
///
/// # Panics
/// When the capacity is out of range or the runtime does not start.
pub fn one_worker_runtime(capacity: u32) -> Runtime {
    one_worker_runtime_with(RuntimeSettings {
        mailbox_capacity: Capacity::new(capacity).expect("a valid capacity"),
        ..RuntimeSettings::default()
    })
}

/// A runtime of one unpinned, non-spinning worker with `settings`.
///
/// # Panics
/// When the runtime does not start.
pub fn one_worker_runtime_with(settings: RuntimeSettings) -> Runtime {
    let topology = Topology::this_system().expect("this machine's topology");
    let workers = WorkerSettings {
        count: WorkerCount::Total(1),
        pin: false,
        spinners_per_node: 0,
        ..WorkerSettings::default()
    };
    let placement = Placement::plan(&topology, &workers).expect("a one-worker plan");
    Runtime::start(placement, settings).expect("the runtime starts")
}

/// On message 0, meets the test at the barrier twice: the worker running it is held in
/// between (everything sent meanwhile queues behind it).
pub struct Turnstile(pub Arc<Barrier>);

impl Actor for Turnstile {
    type Msg = u32;
    type Error = Infallible;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, n: u32) -> Result<(), Infallible> {
        if n == 0 {
            self.0.wait();
            self.0.wait();
        }
        Ok(())
    }
}

/// An actor that stops as soon as it starts.
pub struct Brief;

impl Actor for Brief {
    type Msg = ();
    type Error = String;

    fn started(&mut self, ctx: &mut Context<'_, Self>) -> Result<(), String> {
        ctx.stop();
        Ok(())
    }

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, (): ()) -> Result<(), String> {
        Ok(())
    }
}

/// Generous: only a hang (a lost message or wake-up) ever reaches it.
pub const HANG: Duration = Duration::from_mins(1);

/// Waits (yielding) until `condition` holds; fails the test after [`HANG`].
///
/// # Panics
/// When `condition` still does not hold after [`HANG`].
pub fn wait_for(condition: impl Fn() -> bool) {
    let deadline = Instant::now() + HANG;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting");
        std::thread::yield_now();
    }
}

/// Whether the tests run under valgrind (`scripts/valgrind` sets `COURIER_UNDER_VALGRIND`),
/// ~30x slower and with the threads taking turns: long tests shrink their sizes.
#[must_use]
pub fn under_valgrind() -> bool {
    std::env::var_os("COURIER_UNDER_VALGRIND").is_some()
}
