//! Workloads of the Savina actor benchmark suite (Imam and Sarkar, AGERE! 2014), plus skynet,
//! each written once per runtime: Courier, actix, ractor, kameo, and plain threads with
//! crossbeam channels as the floor (where threads make sense).
//!
//! Each workload is a folder: `mod.rs` holds its parameters, its expected answer and the
//! dispatch; one file per runtime holds that runtime's idiomatic version, which returns the
//! answer it computed. A wrong answer or a hang (a lost message) is an error, never a number.
//!
//! The peers run as `research/peers.md` sets them up: actix on its one-thread System arbiter,
//! ractor and kameo on a 2-worker tokio runtime. Courier runs on the runtime that
//! [`Runtimes::new`] is given: the NUMA config file's (`COURIER_BENCH_CONFIG`) or the default
//! one in the benchmarks, 2 unpinned workers in the tests.
//!
//! This folder is not part of the courier-benches library, because the peers are
//! dev-dependencies: `benches/benches/savina_time.rs` and `benches/tests/savina.rs` include it
//! with `#[path]`.

use std::fmt;
use std::time::Duration;

use anyhow::{Context as _, bail};

pub(crate) mod big;
pub(crate) mod bndbuffer;
pub(crate) mod chameneos;
pub(crate) mod counting;
pub(crate) mod fjcreate;
pub(crate) mod fjthrput;
pub(crate) mod pingpong;
pub(crate) mod skynet;
pub(crate) mod threadring;

/// Generous: only a hang (a lost message or wake-up) ever reaches it.
pub(crate) const HANG: Duration = Duration::from_mins(2);

/// A runtime that runs the workloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Peer {
    /// courier-sched's `Runtime`.
    Courier,
    /// actix 0.13 on its System arbiter (one thread).
    Actix,
    /// ractor 0.16 on a 2-worker tokio runtime.
    Ractor,
    /// kameo 0.22 on a 2-worker tokio runtime.
    Kameo,
    /// OS threads and crossbeam channels: the floor for raw hand-off cost.
    Threads,
}

impl Peer {
    /// Every runtime, Courier first.
    pub(crate) const ALL: [Peer; 5] = [
        Peer::Courier,
        Peer::Actix,
        Peer::Ractor,
        Peer::Kameo,
        Peer::Threads,
    ];

    /// The name in tables and benchmark ids.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Peer::Courier => "courier",
            Peer::Actix => "actix",
            Peer::Ractor => "ractor",
            Peer::Kameo => "kameo",
            Peer::Threads => "threads",
        }
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How big a run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scale {
    /// Small enough for a debug-build test.
    Test,
    /// The CI bench mode: a few milliseconds a run.
    Quick,
    /// Savina's default sizes (skynet: 1 M leaves).
    Full,
}

/// One of each runtime, made once and reused by every run.
pub(crate) struct Runtimes {
    /// Courier's runtime.
    pub(crate) courier: courier_sched::Runtime,
    /// The multi-thread tokio runtime of ractor and kameo.
    pub(crate) tokio: tokio::runtime::Runtime,
    /// actix's System, run on the calling thread by `block_on`.
    pub(crate) actix: actix::SystemRunner,
}

impl fmt::Debug for Runtimes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtimes")
            .field("courier", &self.courier)
            .finish_non_exhaustive()
    }
}

impl Runtimes {
    /// The peers' runtimes next to `courier`. Call it on the thread that runs the workloads:
    /// actix's System lives on it.
    pub(crate) fn new(courier: courier_sched::Runtime) -> anyhow::Result<Self> {
        Ok(Runtimes {
            courier,
            tokio: tokio_runtime(2)?,
            actix: actix::System::new(),
        })
    }

    /// Shuts Courier's runtime down (the others stop when dropped).
    pub(crate) fn shutdown(self) {
        self.courier.shutdown();
    }
}

/// A multi-thread tokio runtime with `workers` worker threads, for ractor and kameo.
pub(crate) fn tokio_runtime(workers: usize) -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .context("the tokio runtime starts")
}

/// What one run did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// Messages sent, for messages per second.
    pub(crate) messages: u64,
}

/// A workload: its name, the runtimes it runs on, and how to run it once.
#[derive(Clone, Copy)]
pub(crate) struct Workload {
    /// The name in tables and benchmark ids.
    pub(crate) name: &'static str,
    /// What it stresses, in a line.
    pub(crate) stresses: &'static str,
    /// The runtimes it has a version for.
    pub(crate) peers: &'static [Peer],
    /// Runs it once on a runtime at a scale; the answer is checked.
    pub(crate) run: fn(&Runtimes, Peer, Scale) -> anyhow::Result<Outcome>,
}

impl fmt::Debug for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Workload")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Every workload, in the order of the report.
pub(crate) const WORKLOADS: [Workload; 9] = [
    pingpong::WORKLOAD,
    counting::WORKLOAD,
    fjthrput::WORKLOAD,
    skynet::WORKLOAD,
    threadring::WORKLOAD,
    fjcreate::WORKLOAD,
    big::WORKLOAD,
    chameneos::WORKLOAD,
    bndbuffer::WORKLOAD,
];

/// An error unless `got` is `expected`.
pub(crate) fn check(workload: &str, peer: Peer, expected: u64, got: u64) -> anyhow::Result<()> {
    if got != expected {
        bail!("{workload} on {peer}: wrong answer {got}, expected {expected}");
    }
    Ok(())
}

/// Runs `future` on the tokio runtime, failing after [`HANG`].
pub(crate) fn block_on_tokio<T>(
    runtime: &tokio::runtime::Runtime,
    future: impl Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    runtime.block_on(async {
        tokio::time::timeout(HANG, future)
            .await
            .context("no answer within the hang limit")?
    })
}

/// Runs `future` on actix's System (this thread), failing after [`HANG`].
pub(crate) fn block_on_actix<T>(
    system: &actix::SystemRunner,
    future: impl Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    system.block_on(async {
        tokio::time::timeout(HANG, future)
            .await
            .context("no answer within the hang limit")?
    })
}

/// Waits for one answer on a crossbeam channel, failing after [`HANG`].
pub(crate) fn wait(done: &crossbeam_channel::Receiver<u64>) -> anyhow::Result<u64> {
    done.recv_timeout(HANG)
        .context("no answer within the hang limit")
}

/// Waits for `answers` answers on a crossbeam channel and sums them, failing [`HANG`] after
/// the call. One deadline for all: `recv_timeout` reads the clock on every call (a vDSO call,
/// tens of nanoseconds on a guest), which the peers' awaits inside one timeout do not pay.
pub(crate) fn wait_all(
    done: &crossbeam_channel::Receiver<u64>,
    answers: u64,
) -> anyhow::Result<u64> {
    let deadline = std::time::Instant::now() + HANG;
    (0..answers)
        .map(|_| {
            done.recv_deadline(deadline)
                .context("no answer within the hang limit")
        })
        .sum()
}
