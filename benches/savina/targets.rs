//! Measurements for the targets of `DESIGN.md` that the Savina workloads do not give, taken in
//! the same `savina_time` run so that `scripts/bench-report --quick` covers them:
//!
//! - `pingpong_floor`: the ping-pong round trip between two actors each pinned to its own
//!   worker (`courier_2_workers`, `spawn_on_worker`, so every hit crosses workers) of a pinned
//!   2-worker runtime with both workers spinning, beside a bare atomic ping-pong of two spinning
//!   threads bound to the same two CPUs (`bare_atomic`): the physical floor of the same machine.
//!   Where no pinned plan is possible (one PU) or the binding fails, both run unpinned and the
//!   placement note says so.
//! - `pingpong_interleaved`: the same two round trips, interleaved: `INTERLEAVED_ROUNDS` rounds,
//!   each timing `INTERLEAVED_TRIPS` round trips of the players on a fresh pinned runtime (after
//!   a warm-up), shutting it down, then timing as many bare round trips on the same CPUs. The
//!   median of the rounds' ratios is the ping-pong target's figure. Criterion's two functions
//!   run some ten seconds apart, and on a guest whose cross-core latency changes by the minute
//!   (a bare round trip of 35, 100 or 400 ns on this machine, depending on where its vCPUs sit)
//!   their ratio could compare two different machines; a round's ratio compares one.
//! - skynet's peak RSS: a child process (this bench binary again, with
//!   `COURIER_BENCH_CHILD=skynet_rss`) starts the same Courier runtime as the benchmark, runs
//!   skynet with 1 M leaves (Savina's full size, whatever the scale) `SKYNET_RUNS` times and
//!   reports the median time and its own peak resident set (`VmHWM` of `/proc/self/status`) before
//!   and after. A fresh process, because the bench process's high-water mark already holds every
//!   other workload's (and every peer's) peak.
//!
//! - spawn: a second child (`COURIER_BENCH_CHILD=spawn_idle`) spawns `IDLE_ACTORS` idle actors
//!   from outside the runtime, first thing in a fresh process (so that no freed page is reused):
//!   the time per `spawn` call, and the growth of the resident set (`VmRSS`) right after the
//!   spawns per actor, less the `ActorRef` the child keeps for each. `SPAWN_RUNS` children, one
//!   after the other; the medians are reported (one fresh process's first touch of its memory
//!   ranged from 100 to 750 ns a spawn on this machine's guest, the first after a pause the
//!   slowest).
//!
//! What was measured goes to `<criterion dir>/savina_targets.tsv`, where the report reads it,
//! with the 1-minute load average when the run started and after this step.

use std::convert::Infallible;
use std::io::Write as _;
use std::time::{Duration, Instant};

use courier_sched::{Actor, ActorRef, Context, Runtime, WorkerId};
use criterion::{Criterion, SamplingMode};
use crossbeam_channel::{Receiver, Sender};

use courier_benches::floor::{Idle, bare_round_trips, pinned_runtime};

use crate::savina::{HANG, Peer, Runtimes, Scale, WORKLOADS};

/// The environment variable that turns the bench binary into the skynet RSS child.
pub(crate) const CHILD: &str = "COURIER_BENCH_CHILD";
/// Runs of 1 M-leaf skynet in the child: the median time is reported.
const SKYNET_RUNS: usize = 3;
/// Idle actors the spawn child spawns.
const IDLE_ACTORS: usize = 100_000;
/// Spawn children run, one after the other: the medians are reported.
pub(crate) const SPAWN_RUNS: usize = 5;

/// Rounds of the interleaved ping-pong; the median ratio is reported.
const INTERLEAVED_ROUNDS: usize = 9;
/// Round trips each side times in a round, after `INTERLEAVED_WARM_UP` untimed ones (Courier's).
const INTERLEAVED_TRIPS: u64 = 50_000;
const INTERLEAVED_WARM_UP: u64 = 5_000;

/// The floor ping-pong's messages: an introduction, then the ball with the hits to go.
enum Hit {
    Meet(ActorRef<Hit>),
    Ball(u64),
}

/// Returns the ball until it counts down to zero, then tells the bench.
struct Player {
    peer: Option<ActorRef<Hit>>,
    done: Sender<()>,
}

impl Actor for Player {
    type Msg = Hit;
    type Error = Infallible;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, msg: Hit) -> Result<(), Infallible> {
        match msg {
            Hit::Meet(peer) => self.peer = Some(peer),
            Hit::Ball(0) => {
                let _ = self.done.send(());
            }
            Hit::Ball(left) => {
                let peer = self.peer.as_ref().expect("met before the first hit");
                peer.try_send(Hit::Ball(left - 1))
                    .expect("the peer is alive");
            }
        }
        Ok(())
    }
}

/// Two players, one pinned to each of `runtime`'s workers 0 and 1, introduced to each other,
/// and the channel the first reports the end of a rally on.
struct Players {
    players: Vec<ActorRef<Hit>>,
    finished: Receiver<()>,
}

impl Players {
    fn spawn(runtime: &Runtime) -> Players {
        let (done, finished) = crossbeam_channel::unbounded();
        let players: Vec<ActorRef<Hit>> = [WorkerId(0), WorkerId(1)]
            .into_iter()
            .map(|worker| {
                let player = Player {
                    peer: None,
                    done: done.clone(),
                };
                runtime
                    .spawn_on_worker(player, worker)
                    .expect("a 2-worker runtime")
            })
            .collect();
        players[0]
            .send(Hit::Meet(players[1].clone()))
            .expect("alive");
        players[1]
            .send(Hit::Meet(players[0].clone()))
            .expect("alive");
        Players { players, finished }
    }

    /// Times `round_trips` round trips (two hits each; the count reaches zero back at the
    /// first player).
    fn rally(&self, round_trips: u64) -> Duration {
        let start = Instant::now();
        self.players[0]
            .send(Hit::Ball(2 * round_trips))
            .expect("alive");
        self.finished
            .recv_timeout(HANG)
            .expect("pingpong_floor: no answer within the hang limit");
        start.elapsed()
    }

    /// Stops both players: they hold each other's refs, and stopping them drops the cycle.
    fn stop(self) {
        for player in &self.players {
            let _stopped = player.stop();
        }
    }
}

/// The `pingpong_floor` group: a criterion iteration is one round trip (two hits). Returns the
/// placement note.
pub(crate) fn pingpong_floor(c: &mut Criterion) -> String {
    let (runtime, placement, note) = pinned_runtime();
    eprintln!("savina_time: pingpong_floor: {note}");
    let players = Players::spawn(&runtime);
    let mut group = c.benchmark_group("pingpong_floor");
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function("courier_2_workers", |b| {
        b.iter_custom(|iters| players.rally(iters));
    });
    // The runtime goes before the floor runs, so that its spinners do not compete with the
    // bare threads.
    players.stop();
    runtime.shutdown();
    group.bench_function("bare_atomic", |b| {
        b.iter_custom(|iters| bare_round_trips(iters, placement.as_ref()));
    });
    group.finish();
    note
}

/// The interleaved rounds (module doc); returns the line for `savina_targets.tsv`:
/// `pingpong_interleaved`, rounds, then the medians of the rounds' Courier round trip (ns),
/// bare round trip (ns) and ratio.
pub(crate) fn pingpong_interleaved() -> String {
    let mut courier_ns = Vec::with_capacity(INTERLEAVED_ROUNDS);
    let mut bare_ns = Vec::with_capacity(INTERLEAVED_ROUNDS);
    let mut ratios = Vec::with_capacity(INTERLEAVED_ROUNDS);
    #[expect(clippy::cast_precision_loss, reason = "a per-round-trip average")]
    let per_trip = |time: Duration| time.as_nanos() as f64 / INTERLEAVED_TRIPS as f64;
    for _ in 0..INTERLEAVED_ROUNDS {
        let (runtime, placement, _note) = pinned_runtime();
        let players = Players::spawn(&runtime);
        let _warm = players.rally(INTERLEAVED_WARM_UP);
        let courier = per_trip(players.rally(INTERLEAVED_TRIPS));
        players.stop();
        runtime.shutdown();
        let bare = per_trip(bare_round_trips(INTERLEAVED_TRIPS, placement.as_ref()));
        courier_ns.push(courier);
        bare_ns.push(bare);
        ratios.push(courier / bare);
    }
    let [courier, bare, ratio] =
        [courier_ns, bare_ns, ratios].map(|mut values| median(&mut values));
    format!("pingpong_interleaved\t{INTERLEAVED_ROUNDS}\t{courier:.1}\t{bare:.1}\t{ratio:.3}")
}

/// The child's job: skynet with 1 M leaves on Courier's benchmark runtime, `SKYNET_RUNS` times;
/// writes `leaves, runs, median ns, VmHWM KiB before, VmHWM KiB after` to stdout, tab-separated.
pub(crate) fn skynet_rss_child(courier: Runtime) {
    let before = resident_kib("VmHWM:");
    let runtimes = Runtimes::new(courier).expect("the peers' runtimes start");
    let skynet = WORKLOADS
        .iter()
        .find(|w| w.name == "skynet")
        .expect("skynet is a workload");
    let mut times = Vec::new();
    let mut messages = 0;
    for _ in 0..SKYNET_RUNS {
        let start = Instant::now();
        let outcome = (skynet.run)(&runtimes, Peer::Courier, Scale::Full)
            .unwrap_or_else(|error| panic!("{error:#}"));
        times.push(start.elapsed());
        messages = outcome.messages;
    }
    let after = resident_kib("VmHWM:");
    runtimes.shutdown();
    times.sort_unstable();
    let median = times[times.len() / 2].as_nanos();
    // Actors = leaves * 10/9 (every node reports once): leaves = (actors * 9 + 1) / 10.
    let leaves = (messages * 9 + 1) / 10;
    let fields = [before, after].map(|kib| kib.map_or_else(|| "-".to_owned(), |k| k.to_string()));
    let line = format!(
        "{leaves}\t{SKYNET_RUNS}\t{median}\t{}\t{}\n",
        fields[0], fields[1]
    );
    std::io::stdout()
        .write_all(line.as_bytes())
        .expect("stdout is the parent's pipe");
}

/// The child's job: `IDLE_ACTORS` idle actors spawned on Courier's benchmark runtime; writes
/// `actors, ns per spawn, bytes per actor` to stdout, tab-separated (`-` for the bytes off
/// Linux).
pub(crate) fn spawn_idle_child(courier: &Runtime) {
    let mut refs = Vec::with_capacity(IDLE_ACTORS);
    // Touch the vector's pages first, so that the resident set grows by the actors only.
    refs.resize_with(IDLE_ACTORS, || None);
    refs.clear();
    let before = resident_kib("VmRSS:");
    let start = Instant::now();
    for _ in 0..IDLE_ACTORS {
        refs.push(Some(courier.spawn(Idle)));
    }
    let elapsed = start.elapsed();
    let after = resident_kib("VmRSS:");
    #[expect(clippy::cast_precision_loss, reason = "a per-actor average")]
    let ns_per_spawn = elapsed.as_nanos() as f64 / IDLE_ACTORS as f64;
    let bytes = before.zip(after).map_or_else(
        || "-".to_owned(),
        |(before, after)| (after.saturating_sub(before) * 1024 / IDLE_ACTORS as u64).to_string(),
    );
    for actor in refs.iter().flatten() {
        let _stopped = actor.stop();
    }
    let line = format!("{IDLE_ACTORS}\t{ns_per_spawn:.1}\t{bytes}\n");
    std::io::stdout()
        .write_all(line.as_bytes())
        .expect("stdout is the parent's pipe");
}

/// Runs this bench binary as the child `job` and returns the line for `savina_targets.tsv`:
/// `job` and the child's fields, or `<job>_missing` and why.
pub(crate) fn run_child(job: &str, fields: usize) -> String {
    let output = std::env::current_exe().and_then(|exe| {
        std::process::Command::new(exe)
            .env(CHILD, job)
            .stderr(std::process::Stdio::inherit())
            .output()
    });
    match output {
        Ok(output) if output.status.success() => {
            let text = String::from_utf8_lossy(&output.stdout);
            match text.lines().last() {
                Some(line) if line.split('\t').count() == fields => format!("{job}\t{line}"),
                _ => format!("{job}_missing\tthe child printed no result ({text:?})"),
            }
        }
        Ok(output) => format!("{job}_missing\tthe child failed ({})", output.status),
        Err(error) => format!("{job}_missing\tthe child did not start ({error})"),
    }
}

/// The middle value of `values` (the upper one of an even count), sorting them; `values` is
/// not empty.
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Runs the child `job` `runs` times, one after the other, and returns the line for
/// `savina_targets.tsv` with the median of each numeric field (`-` where a run had none), or
/// `<job>_missing` and why, when a run failed.
pub(crate) fn run_child_median(job: &str, fields: usize, runs: usize) -> String {
    let mut columns: Vec<Vec<f64>> = vec![Vec::new(); fields];
    for _ in 0..runs {
        let line = run_child(job, fields);
        let Some(values) = line.strip_prefix(&format!("{job}\t")) else {
            return line;
        };
        for (column, value) in columns.iter_mut().zip(values.split('\t')) {
            if let Ok(value) = value.parse::<f64>() {
                column.push(value);
            }
        }
    }
    let medians: Vec<String> = columns
        .iter_mut()
        .map(|column| {
            if column.len() < runs {
                return "-".to_owned();
            }
            let median = median(column);
            if median.fract() == 0.0 {
                format!("{median:.0}")
            } else {
                format!("{median:.1}")
            }
        })
        .collect();
    format!("{job}\t{}", medians.join("\t"))
}

/// The 1-minute load average (`/proc/loadavg`), to say how busy the machine was; `None` off
/// Linux.
pub(crate) fn load_average() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// A resident-set line of `/proc/self/status` (`VmHWM:` the peak so far, `VmRSS:` now), in
/// KiB; `None` off Linux.
fn resident_kib(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
