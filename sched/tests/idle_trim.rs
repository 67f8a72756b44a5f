//! A parked worker gives the memory of a burst back (`src/idle_trim.rs`): the cells of a burst
//! of actors that have all gone are unmapped once the worker has been idle for
//! `memory.trim_after_idle_ms`, a later burst maps them again, and 0 turns trimming off. A
//! thread outside the runtime gives back the cells of the actors it spawned when it asks
//! (`trim_thread_pools`, `src/thread_trim.rs`), and so does a `LocalRuntime` (`trim_pools`).

mod common;

use std::cell::Cell;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{Brief, HANG, wait_for};
use courier_sched::{Actor, Config, Context, LocalRuntime, Runtime, trim_thread_pools};

/// Actors in a burst: ~10 MiB of cells, five 2 MiB chunks and more.
const BURST: usize = 30_000;

/// One worker, no spinner (it parks as soon as it runs out of work), trimming after `trim_ms`.
fn one_worker(trim_ms: u32) -> Runtime {
    let text = format!(
        "[workers]\ncount = 1\npin = false\nspinners_per_node = 0\n\
         [memory]\ntrim_after_idle_ms = {trim_ms}\n"
    );
    let config = Config::parse(&text, Path::new("idle-trim-test.toml")).expect("a valid config");
    Runtime::from_config(&config).expect("the runtime starts")
}

/// Stops at its first message.
struct Waiting;

impl Actor for Waiting {
    type Msg = ();
    type Error = String;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, (): ()) -> Result<(), String> {
        ctx.stop();
        Ok(())
    }
}

/// Spawns a burst of brief actors on its worker per message, and says when it has.
struct Spawner {
    done: mpsc::Sender<()>,
}

impl Actor for Spawner {
    type Msg = ();
    type Error = String;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, (): ()) -> Result<(), String> {
        for _ in 0..BURST {
            drop(ctx.spawn(Brief));
        }
        self.done.send(()).map_err(|error| error.to_string())
    }
}

/// Sends the spawner one burst and waits until all of the burst's actors have exited.
fn burst(runtime: &Runtime, spawner: &courier_sched::ActorRef<()>, done: &mpsc::Receiver<()>) {
    let exited = runtime.metrics().actors_exited;
    spawner.send(()).expect("the spawner is alive");
    done.recv_timeout(HANG).expect("the burst is spawned");
    wait_for(|| runtime.metrics().actors_exited >= exited + BURST as u64);
}

fn cell_bytes(runtime: &Runtime) -> usize {
    runtime.metrics().nodes[0].cell_bytes_mapped
}

#[test]
fn an_idle_worker_unmaps_the_cells_of_a_burst_and_a_later_burst_maps_them_again() {
    let runtime = one_worker(20);
    let (done, finished) = mpsc::channel();
    let spawner = runtime.spawn(Spawner { done });
    let before = cell_bytes(&runtime);
    burst(&runtime, &spawner, &finished);
    let peak = cell_bytes(&runtime);
    assert!(
        peak >= before + BURST * 256,
        "the burst's cells: {before} -> {peak} bytes"
    );
    // The worker parks, and 20 ms later gives every wholly free chunk back but the one it
    // carves (2 MiB). The trim is counted once it has finished, after its unmaps: wait for the
    // count too.
    wait_for(|| {
        runtime.metrics().workers[0].trims >= 1 && cell_bytes(&runtime) <= before + (2 << 20)
    });
    let trimmed = runtime.metrics().workers[0];
    assert!(trimmed.trims >= 1, "{trimmed:?}");
    assert!(
        trimmed.bytes_trimmed >= (peak - cell_bytes(&runtime)) as u64,
        "{trimmed:?}"
    );
    // It stays parked: its next looks (40 and 80 ms after that one) wake it and find nothing
    // to run, and are not parks of their own.
    let idle_until = Instant::now() + Duration::from_millis(150);
    while Instant::now() < idle_until {
        std::thread::park_timeout(idle_until - Instant::now());
    }
    assert_eq!(runtime.metrics().workers[0].parks, trimmed.parks);
    // The memory is there again for the next burst, and given back again after it.
    burst(&runtime, &spawner, &finished);
    wait_for(|| {
        runtime.metrics().workers[0].trims > trimmed.trims
            && cell_bytes(&runtime) <= before + (2 << 20)
    });
    assert_eq!(runtime.metrics().actors_exited, 2 * BURST as u64);
    drop(spawner);
    runtime.shutdown();
}

#[test]
fn a_worker_set_never_to_trim_keeps_its_pools() {
    let runtime = one_worker(0);
    let (done, finished) = mpsc::channel();
    let spawner = runtime.spawn(Spawner { done });
    burst(&runtime, &spawner, &finished);
    let peak = cell_bytes(&runtime);
    // Idle for ten times the delay the other test trims after.
    std::thread::park_timeout(Duration::from_millis(200));
    assert_eq!(cell_bytes(&runtime), peak);
    assert_eq!(runtime.metrics().workers[0].trims, 0);
    drop(spawner);
    runtime.shutdown();
}

#[test]
fn an_outside_thread_gives_back_the_cells_of_the_actors_it_spawned_when_it_asks() {
    // Never trimmed by the worker: whatever goes is the outside thread's doing.
    let runtime = one_worker(0);
    let before = cell_bytes(&runtime);
    let exited = runtime.metrics().actors_exited;
    // Spawned here, outside the runtime: the cells come from this thread's pools. All alive at
    // once, then all stopped.
    let actors: Vec<_> = (0..BURST).map(|_| runtime.spawn(Waiting)).collect();
    for actor in &actors {
        actor.send(()).expect("alive until told");
    }
    drop(actors);
    wait_for(|| runtime.metrics().actors_exited >= exited + BURST as u64);
    let peak = cell_bytes(&runtime);
    assert!(peak >= before + BURST * 256, "{before} -> {peak} bytes");
    // The cells freed on the worker come home in batches, the last when the worker runs out of
    // work: trim until they have, keeping at most the chunk being carved.
    let unmapped = Cell::new(0);
    wait_for(|| {
        let trimmed = trim_thread_pools();
        assert!(!trimmed.stopped, "an outside trim is never told to stop");
        unmapped.set(unmapped.get() + trimmed.bytes_unmapped);
        cell_bytes(&runtime) <= before + (2 << 20)
    });
    let unmapped = unmapped.get();
    assert!(
        unmapped >= peak - cell_bytes(&runtime),
        "{unmapped} bytes unmapped"
    );
    assert_eq!(runtime.metrics().workers[0].trims, 0);
    runtime.shutdown();
}

#[test]
fn a_local_runtime_trims_its_pools_when_asked() {
    let runtime = LocalRuntime::new().expect("a local runtime");
    let (done, finished) = mpsc::channel();
    let spawner = runtime.spawn(Spawner { done });
    let before = runtime.metrics().nodes[0].cell_bytes_mapped;
    spawner.send(()).expect("the spawner is alive");
    runtime.run();
    finished.try_recv().expect("the burst is spawned");
    assert_eq!(runtime.metrics().actors_exited, BURST as u64);
    let peak = runtime.metrics().nodes[0].cell_bytes_mapped;
    assert!(
        peak >= before + BURST * 256,
        "the burst's cells: {before} -> {peak} bytes"
    );
    // A local runtime never parks: nothing gives the burst's memory back until asked.
    runtime.run();
    assert_eq!(runtime.metrics().nodes[0].cell_bytes_mapped, peak);
    let trimmed = runtime.trim_pools();
    assert!(!trimmed.stopped);
    let after = runtime.metrics().nodes[0].cell_bytes_mapped;
    assert!(
        after <= before + (2 << 20),
        "every wholly free chunk but the one being carved: {peak} -> {after} bytes"
    );
    assert!(trimmed.bytes_unmapped >= peak - after, "{trimmed:?}");
    let worker = runtime.metrics().workers[0];
    assert_eq!(worker.trims, 1);
    assert!(worker.bytes_trimmed >= (peak - after) as u64, "{worker:?}");
    // The memory is there again for the next burst.
    spawner.send(()).expect("the spawner is alive");
    runtime.run();
    assert_eq!(runtime.metrics().actors_exited, 2 * BURST as u64);
    drop(spawner);
}
