//! The physical floor of a cross-core round trip, the pinned runtime measured against it, and
//! the actor that does nothing: shared by `sched_time` and the Savina report's targets
//! (`benches/savina/targets.rs`).

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use courier_sched::{
    Actor, Bind, Binder, Context, Placement, Runtime, RuntimeSettings, Topology, WorkerCount,
    WorkerId, WorkerSettings,
};

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

/// A 2-worker runtime pinned with both workers spinning, and its placement (to bind the bare
/// threads of [`bare_round_trips`] to the same CPUs), when the plan and the binding work here;
/// else an unpinned 2-worker runtime and no placement. The note says which, for the reader.
///
/// # Panics
/// When a runtime does not start.
#[must_use]
pub fn pinned_runtime() -> (Runtime, Option<Placement>, String) {
    let plan = Topology::this_system()
        .map_err(|e| e.to_string())
        .and_then(|topology| {
            let settings = WorkerSettings {
                count: WorkerCount::Total(2),
                pin: true,
                spinners_per_node: 2,
                ..WorkerSettings::default()
            };
            Placement::plan(&topology, &settings).map_err(|e| e.to_string())
        });
    let placement = match plan {
        Ok(placement) => placement,
        Err(error) => {
            let runtime = Runtime::with_workers(2).expect("the runtime starts");
            let note = format!("UNPINNED: no pinned plan here ({error}), no spinners");
            return (runtime, None, note);
        }
    };
    let runtime = Runtime::start(placement.clone(), RuntimeSettings::default())
        .expect("the pinned runtime starts");
    // The workers bind themselves as they start; wait until both have reported.
    let deadline = Instant::now() + Duration::from_secs(10);
    while runtime.binds().len() < 2 && Instant::now() < deadline {
        thread::yield_now();
    }
    let binds = runtime.binds();
    if binds.len() == 2 && binds.iter().all(|(_, b)| matches!(b, Bind::Bound { .. })) {
        let note = format!(
            "2 workers pinned, both spinning, binds {binds:?}; bare threads bound to the same CPUs"
        );
        (runtime, Some(placement), note)
    } else {
        let note = format!("pinning asked but not done ({binds:?}): UNPINNED bare threads");
        (runtime, None, note)
    }
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
