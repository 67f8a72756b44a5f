//! Wall-clock time of the Savina workloads (`benches/savina/`) on Courier and each peer, in one
//! run: a criterion group per workload (`savina_<workload>`), a function per runtime; then the
//! targets' own measurements (`benches/savina/targets.rs`: the cross-worker ping-pong beside the
//! bare atomic floor, group `pingpong_floor`; skynet's time and peak RSS and the cost of an idle
//! actor, each in a child process); then
//! Courier, ractor and kameo with 1, 2 and 4 workers on a few of them (`scaling_<workload>`,
//! functions `<runtime>_<n>_workers`; actix has no worker count: its System arbiter is one
//! thread, and the workloads run every actor on it).
//!
//! Every run's answer is checked; a wrong answer or a hang panics. `scripts/bench-report` runs
//! this and prints the tables; by hand:
//!
//! ```text
//! cargo bench -p courier-benches --bench savina_time                     # Savina's sizes
//! COURIER_BENCH_SCALE=quick cargo bench -p courier-benches --bench savina_time -- --quick
//! COURIER_BENCH_CONFIG=courier.toml cargo bench ...   # Courier's runtime from a NUMA config file
//! COURIER_BENCH_WORKLOADS=counting,skynet cargo bench ...   # only these (`none`: the targets)
//! ```
//!
//! criterion's name filter only skips measurements: each workload's checking run, the
//! counters' run and the scaling runtimes still run, so `COURIER_BENCH_WORKLOADS` is the way to
//! run (or profile) a part of the suite.
//!
//! Without `COURIER_BENCH_CONFIG`, Courier runs with the default config, as a user gets it:
//! one pinned worker per PU, one spinner per node.

#[path = "../savina/counters.rs"]
mod counters;
#[path = "../savina/mod.rs"]
mod savina;
#[path = "../savina/targets.rs"]
mod targets;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use counters::Counters;
use courier_sched::{Config, Runtime, Topology};
use criterion::{Criterion, SamplingMode, Throughput, criterion_group};
use mimalloc::MiMalloc;
use savina::{Peer, Runtimes, Scale, WORKLOADS, Workload};

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

/// `COURIER_BENCH_SCALE`: `test`, `quick` or `full` (the default).
fn scale() -> Scale {
    match std::env::var("COURIER_BENCH_SCALE").as_deref() {
        Ok("test") => Scale::Test,
        Ok("quick") => Scale::Quick,
        Ok("full") | Err(_) => Scale::Full,
        Ok(other) => panic!("COURIER_BENCH_SCALE={other}: expected test, quick or full"),
    }
}

/// `COURIER_BENCH_WORKLOADS`: the workloads to run, comma-separated names (`none`: only the
/// targets' measurements); all of them when unset. An unknown name panics with the list.
fn selected_workloads() -> Vec<&'static Workload> {
    let Ok(names) = std::env::var("COURIER_BENCH_WORKLOADS") else {
        return WORKLOADS.iter().collect();
    };
    if names.trim() == "none" {
        return Vec::new();
    }
    names
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(|name| {
            WORKLOADS.iter().find(|w| w.name == name).unwrap_or_else(|| {
                let known: Vec<&str> = WORKLOADS.iter().map(|w| w.name).collect();
                panic!(
                    "COURIER_BENCH_WORKLOADS: no workload {name:?}; expected `none` or some of {}",
                    known.join(", ")
                )
            })
        })
        .collect()
}

/// Courier's runtime: from the NUMA config file `COURIER_BENCH_CONFIG` names, else the default.
fn courier_runtime() -> Runtime {
    let config = match std::env::var_os("COURIER_BENCH_CONFIG") {
        Some(path) => Config::load(&path).unwrap_or_else(|error| panic!("{error}")),
        None => Config::default(),
    };
    let runtime = Runtime::from_config(&config).expect("Courier's runtime starts");
    let placement = runtime.placement();
    eprintln!(
        "savina_time: courier: {} workers, pinned {}, config {}",
        placement.workers().len(),
        placement.pin(),
        config
            .file()
            .map_or_else(|| "default".to_owned(), |file| file.display().to_string()),
    );
    runtime
}

fn print_machine(scale: Scale) {
    match Topology::this_system() {
        Ok(topology) => eprintln!(
            "savina_time: scale {scale:?}; {} PUs, {} NUMA node(s)",
            topology.pus().len(),
            topology.nodes().len(),
        ),
        Err(error) => eprintln!("savina_time: scale {scale:?}; topology unavailable: {error}"),
    }
}

fn savina(c: &mut Criterion) {
    let scale = scale();
    let workloads = selected_workloads();
    print_machine(scale);
    let load_at_start = targets::load_average();
    let runtimes = Runtimes::new(courier_runtime()).expect("the peers' runtimes start");
    let mut counters = Counters::open();
    let mut counted = format!("# {}\n", counters.source());
    for &workload in &workloads {
        let mut group = c.benchmark_group(format!("savina_{}", workload.name));
        group.sampling_mode(SamplingMode::Flat);
        for &peer in workload.peers {
            // A first run checks the answer and counts the messages.
            let outcome =
                (workload.run)(&runtimes, peer, scale).unwrap_or_else(|error| panic!("{error:#}"));
            group.throughput(Throughput::Elements(outcome.messages));
            group.bench_function(peer.name(), |b| {
                b.iter_custom(|iters| timed_runs(&runtimes, workload, peer, scale, iters));
            });
            // One more run under the counters.
            let (result, counts) = counters.measure(|| (workload.run)(&runtimes, peer, scale));
            let messages = result.unwrap_or_else(|error| panic!("{error:#}")).messages;
            for (event, count) in counts {
                #[expect(clippy::cast_precision_loss, reason = "a per-message average")]
                let per_message = count as f64 / messages as f64;
                let _ = writeln!(
                    counted,
                    "{}\t{peer}\t{event}\t{per_message:.4}",
                    workload.name
                );
            }
        }
        group.finish();
        eprintln!(
            "savina_time: {} stresses {}",
            workload.name, workload.stresses
        );
    }
    write_beside("savina_counters.tsv", &counted);
    let placement = targets::pingpong_floor(c);
    let interleaved = targets::pingpong_interleaved();
    eprintln!("savina_time: {interleaved}");
    let skynet = targets::run_child("skynet_rss", 5);
    eprintln!("savina_time: {skynet}");
    let spawn = targets::run_child_median("spawn_idle", 3, targets::SPAWN_RUNS);
    eprintln!("savina_time: {spawn}");
    let load = [load_at_start, targets::load_average()]
        .map(|load| load.map_or_else(|| "-".to_owned(), |load| load.to_string()));
    write_beside(
        "savina_targets.tsv",
        &format!(
            "pingpong_floor\t{placement}\n{interleaved}\n{skynet}\n{spawn}\nload_average\t{}\t{}\n",
            load[0], load[1]
        ),
    );
    scaling(c, runtimes, &workloads, scale);
}

/// Writes `text` to `name` in criterion's directory, for the report; a failure is only said.
fn write_beside(name: &str, text: &str) {
    let path = criterion_home().join(name);
    if let Err(error) =
        std::fs::create_dir_all(criterion_home()).and_then(|()| std::fs::write(&path, text))
    {
        eprintln!("savina_time: {}: {error}", path.display());
    }
}

/// Where criterion writes (its own rule): `CRITERION_HOME`, else `CARGO_TARGET_DIR/criterion`,
/// else the workspace's `target/criterion`.
fn criterion_home() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/criterion")),
        |target| PathBuf::from(target).join("criterion"),
    )
}

/// Courier, ractor and kameo on a few workloads with 1, 2 and 4 workers, group
/// `scaling_<workload>`, function `<runtime>_<workers>_workers`: Courier unpinned with no
/// spinners, ractor and kameo on a tokio runtime of that many worker threads. 4 is more than
/// this machine may have: oversubscribed. actix is left out: its System arbiter is one thread.
fn scaling(c: &mut Criterion, mut runtimes: Runtimes, workloads: &[&Workload], scale: Scale) {
    const WORKLOADS_SCALED: [&str; 4] = ["counting", "fork_join_throughput", "skynet", "chameneos"];
    const RUNTIMES_SCALED: [Peer; 3] = [Peer::Courier, Peer::Ractor, Peer::Kameo];
    for workers in [1_u16, 2, 4] {
        let runtime = Runtime::with_workers(workers).expect("Courier's runtime starts");
        std::mem::replace(&mut runtimes.courier, runtime).shutdown();
        runtimes.tokio = savina::tokio_runtime(workers.into()).expect("tokio starts");
        for &workload in workloads
            .iter()
            .filter(|w| WORKLOADS_SCALED.contains(&w.name))
        {
            let mut group = c.benchmark_group(format!("scaling_{}", workload.name));
            group.sampling_mode(SamplingMode::Flat);
            for peer in RUNTIMES_SCALED {
                if !workload.peers.contains(&peer) {
                    continue;
                }
                group.bench_function(format!("{peer}_{workers}_workers"), |b| {
                    b.iter_custom(|iters| timed_runs(&runtimes, workload, peer, scale, iters));
                });
            }
            group.finish();
        }
    }
    runtimes.shutdown();
}

/// Runs `workload` `iters` times on `peer`, timing each run; panics on a wrong answer.
fn timed_runs(
    runtimes: &Runtimes,
    workload: &Workload,
    peer: Peer,
    scale: Scale,
    iters: u64,
) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let start = Instant::now();
        let result = (workload.run)(runtimes, peer, scale);
        total += start.elapsed();
        if let Err(error) = result {
            panic!("{error:#}");
        }
    }
    total
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = savina
}

/// criterion's `criterion_main!`, except that with `COURIER_BENCH_CHILD=skynet_rss` or
/// `spawn_idle` the binary is one of the children of `targets` instead.
fn main() {
    match std::env::var(targets::CHILD).as_deref() {
        Ok("skynet_rss") => return targets::skynet_rss_child(courier_runtime()),
        Ok("spawn_idle") => {
            let runtime = courier_runtime();
            targets::spawn_idle_child(&runtime);
            return runtime.shutdown();
        }
        Ok(other) => panic!(
            "{}={other}: expected skynet_rss or spawn_idle",
            targets::CHILD
        ),
        Err(_) => {}
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
