//! Actor cells in slab blocks (`src/cell_memory.rs`): a worker's spawns come from its node's
//! cell pools, outside the message cap, their blocks are reused once the actors are gone, and
//! an actor too large for a block lives on the heap.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use courier_sched::{Actor, ActorRef, Config, Context, Runtime};

const HANG: Duration = Duration::from_mins(1);
/// The message pools' cap in `one_worker_capped`.
const CAP: usize = 1 << 20;
/// Actors each round spawns: 5,000 cells of 256 bytes are more than the message cap.
const ACTORS: usize = 5_000;

/// One worker, so a turn that starts after an actor's exit was counted starts after that
/// actor's cell was freed too (the free ends the exit's turn), and message pools capped at
/// `CAP`.
fn one_worker_capped() -> Runtime {
    let text = "[workers]\ncount = 1\npin = false\nspinners_per_node = 0\n\
                [memory]\npool_size_per_node = \"1MiB\"\n";
    let config = Config::parse(text, Path::new("cell-memory-test.toml")).expect("a valid config");
    Runtime::from_config(&config).expect("the runtime starts")
}

/// Stops as soon as it starts.
struct Brief;

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

/// Spawns `ACTORS` brief actors per message, dropping their addresses, and reports the node's
/// cell memory as it found it.
struct Spawner {
    report: mpsc::Sender<usize>,
}

impl Actor for Spawner {
    type Msg = ();
    type Error = String;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, (): ()) -> Result<(), String> {
        let before = ctx.runtime_metrics().nodes[0].cell_bytes_mapped;
        for _ in 0..ACTORS {
            drop(ctx.spawn(Brief));
        }
        self.report.send(before).map_err(|error| error.to_string())
    }
}

#[test]
fn a_worker_s_spawns_take_cell_slabs_outside_the_message_cap_and_reuse_them() {
    let runtime = one_worker_capped();
    let (report, reports) = mpsc::channel();
    let spawner = runtime.spawn(Spawner { report });
    // Four rounds: the second finds the first's cells mapped, the later ones find no more
    // (the earlier rounds' blocks were reused).
    let mut mapped = Vec::new();
    for round in 1..=4 {
        spawner.send(()).expect("the spawner is alive");
        mapped.push(reports.recv_timeout(HANG).expect("the round ends"));
        wait_for_exits(&runtime, round * ACTORS);
    }
    let [first, second, third, fourth] = mapped[..] else {
        unreachable!("four rounds")
    };
    assert!(
        second >= ACTORS * 256,
        "{ACTORS} cells in slabs: {second} bytes mapped"
    );
    assert!(second > CAP, "cells are not under the message cap");
    assert_eq!(third, second, "the first round's blocks were reused");
    assert_eq!(fourth, second, "and again");
    assert!(first < second, "{first} bytes before any round");
    let node = &runtime.metrics().nodes[0];
    assert!(node.bytes_mapped <= CAP, "message memory within its cap");
    drop(spawner);
    runtime.shutdown();
}

/// Waits until `count` actors have exited (the runtime's counter; each exit is counted in its
/// turn).
fn wait_for_exits(runtime: &Runtime, count: usize) {
    let deadline = std::time::Instant::now() + HANG;
    while runtime.metrics().actors_exited < count as u64 {
        assert!(
            std::time::Instant::now() < deadline,
            "{count} exits within {HANG:?}"
        );
        std::thread::yield_now();
    }
}

/// An actor whose cell no slab block holds: 4 KiB of state.
struct Large {
    bytes: [u8; 4096],
    reply: mpsc::Sender<u64>,
}

impl Actor for Large {
    type Msg = u8;
    type Error = String;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, byte: u8) -> Result<(), String> {
        self.bytes
            .iter_mut()
            .for_each(|b| *b = b.wrapping_add(byte));
        let sum = self.bytes.iter().map(|&b| u64::from(b)).sum();
        self.reply.send(sum).map_err(|error| error.to_string())
    }
}

#[test]
fn an_actor_too_large_for_a_slab_block_lives_on_the_heap_and_works_the_same() {
    let runtime = one_worker_capped();
    let (reply, sums) = mpsc::channel();
    let large: ActorRef<u8> = runtime.spawn(Large {
        bytes: [1; 4096],
        reply,
    });
    large.send(2).expect("alive");
    assert_eq!(sums.recv_timeout(HANG).expect("answered"), 3 * 4096);
    large.send(1).expect("alive");
    assert_eq!(sums.recv_timeout(HANG).expect("answered"), 4 * 4096);
    let _stopped = large.stop();
    drop(large);
    runtime.shutdown();
}
