//! The physical floor of a cross-core round trip, and the actor that does nothing: shared by
//! `sched_time` and the Savina report's targets (`benches/savina/targets.rs`).

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use courier_sched::{Actor, Binder, Context, Placement, WorkerId};

/// Two threads (bound to the placement's workers 0 and 1 when given) bounce a counter through
/// two cache-padded flags `iters` times; returns the time of the side that starts each trip.
///
/// # Panics
/// When the starting thread panics (it does not: it only spins and reads the clock).
#[must_use]
pub fn bare_round_trips(iters: u64, placement: Option<&Placement>) -> Duration {
    #[repr(align(128))]
    struct Padded(AtomicU64);
    let (serve, answer) = (Padded(AtomicU64::new(0)), Padded(AtomicU64::new(0)));
    let ready = AtomicBool::new(false);
    let binder = placement.and_then(|_| Binder::new().ok());
    let bind = |worker: u16| {
        if let (Some(binder), Some(placement)) = (&binder, placement) {
            let _bind = binder.bind_current_thread(placement, WorkerId(worker));
        }
    };
    thread::scope(|scope| {
        scope.spawn(|| {
            bind(1);
            // ORDERING: Release/Acquire on every flag: each value hands over the previous trip.
            ready.store(true, Ordering::Release);
            for i in 1..=iters {
                while serve.0.load(Ordering::Acquire) != i {
                    std::hint::spin_loop();
                }
                answer.0.store(i, Ordering::Release);
            }
        });
        let starter = scope.spawn(|| {
            bind(0);
            while !ready.load(Ordering::Acquire) {
                std::hint::spin_loop();
            }
            let start = Instant::now();
            for i in 1..=iters {
                serve.0.store(i, Ordering::Release);
                while answer.0.load(Ordering::Acquire) != i {
                    std::hint::spin_loop();
                }
            }
            start.elapsed()
        });
        starter.join().expect("the starter does not panic")
    })
}

/// An actor that never gets a message: what an idle actor costs, what a spawn creates.
#[derive(Debug)]
pub struct Idle;

impl Actor for Idle {
    type Msg = ();
    type Error = Infallible;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, (): ()) -> Result<(), Infallible> {
        Ok(())
    }
}
