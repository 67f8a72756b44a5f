//! Actor cells in slab blocks (`src/cell_memory.rs`): a cell lives on its home node's memory
//! whoever spawns it, outside the message cap, its block is reused once the actor is gone, and
//! an actor too large for a block lives on the heap.

mod common;

use std::path::Path;
use std::sync::mpsc;

use common::{Brief, HANG};
use courier_alloc::NodeId;
use courier_sched::{
    Actor, ActorRef, Config, Context, Placement, Runtime, RuntimeSettings, Topology, WorkerId,
    WorkerSettings,
};

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

/// A small actor (its cell takes a slab block) that says when it stops.
struct Counted {
    reply: mpsc::Sender<u64>,
}

impl Actor for Counted {
    type Msg = u8;
    type Error = String;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, _byte: u8) -> Result<(), String> {
        Ok(())
    }

    fn stopped(&mut self, _ctx: &mut Context<'_, Self>, _reason: &courier_sched::Exit) {
        let _ = self.reply.send(u64::MAX);
    }
}

/// Holds the address it was sent last.
struct Holder {
    kept: Option<ActorRef<u8>>,
}

impl Actor for Holder {
    type Msg = Option<ActorRef<u8>>;
    type Error = String;

    fn handle(
        &mut self,
        _ctx: &mut Context<'_, Self>,
        actor: Option<ActorRef<u8>>,
    ) -> Result<(), String> {
        // Keeping `None` drops the address held so far, here, on this runtime's worker.
        self.kept = actor;
        Ok(())
    }
}

#[test]
fn a_cell_spawned_by_a_thread_that_ended_is_freed_on_another_runtime_s_worker() {
    let first = one_worker_capped();
    let second = one_worker_capped();
    let (reply, sums) = mpsc::channel();
    // Each spawned from a thread that ends before the actor does: the large actor's cell is on
    // the heap, the small one's in a block of that thread's cell pools, which are gone (their
    // memory abandoned to the blocks still out) by the time the cell is freed. Memcheck
    // (`scripts/valgrind`) checks that every path frees the memory exactly once.
    let spawned = std::thread::scope(|scope| {
        scope
            .spawn(|| {
                first.spawn(Large {
                    bytes: [0; 4096],
                    reply: reply.clone(),
                })
            })
            .join()
            .expect("the spawning thread")
    });
    let brief = std::thread::scope(|scope| {
        scope
            .spawn(|| first.spawn(Counted { reply }))
            .join()
            .expect("the spawning thread")
    });
    spawned.send(1).expect("alive");
    assert_eq!(sums.recv_timeout(HANG).expect("answered"), 4096);
    // The second runtime's actor takes the last address of the small one, and drops it on its
    // own worker once the small one has stopped (or the stopped actor's worker frees the cell,
    // if its turn ends after that drop).
    let holder = second.spawn(Holder { kept: None });
    holder.send(Some(brief.clone())).expect("alive");
    let _stopped = brief.stop();
    drop(brief);
    assert_eq!(sums.recv_timeout(HANG).expect("stopped"), u64::MAX);
    holder.send(None).expect("alive");
    let _stopped = spawned.stop();
    drop((spawned, holder));
    first.shutdown();
    second.shutdown();
}

/// Spawns a `Counted` pinned to the worker it is sent, and says so.
struct PinnedSpawner {
    reply: mpsc::Sender<u64>,
    spawned: Vec<ActorRef<u8>>,
}

impl Actor for PinnedSpawner {
    type Msg = WorkerId;
    type Error = String;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, worker: WorkerId) -> Result<(), String> {
        let reply = self.reply.clone();
        let counted = ctx
            .spawn_on_worker(Counted { reply }, worker)
            .map_err(|error| error.to_string())?;
        self.spawned.push(counted);
        self.reply.send(0).map_err(|error| error.to_string())
    }
}

#[test]
fn a_cell_lives_on_its_home_node_s_memory_whoever_spawns_it() {
    let topology = Topology::synthetic("pack:1 numa:4 core:2 pu:1").expect("a topology");
    let settings = WorkerSettings {
        pin: false,
        spinners_per_node: 0,
        ..WorkerSettings::default()
    };
    let placement = Placement::plan(&topology, &settings).expect("a plan");
    let worker_of = |node: u16| {
        (0..placement.workers().len())
            .map(|index| WorkerId(u16::try_from(index).expect("few workers")))
            .find(|&worker| placement.worker(worker).node.0 == node)
            .expect("every node has workers")
    };
    let (on_node_0, on_node_3) = (worker_of(0), worker_of(3));
    let runtime =
        Runtime::start(placement.clone(), RuntimeSettings::default()).expect("the runtime starts");
    let cells = || -> Vec<bool> {
        let nodes = runtime.metrics().nodes;
        assert_eq!(nodes.len(), 4);
        nodes
            .iter()
            .map(|node| node.cell_bytes_mapped > 0)
            .collect()
    };
    assert_eq!(cells(), [false; 4], "no cell yet");
    let (reply, replies) = mpsc::channel();
    // From outside the runtime, for node 2: node 2's memory.
    let outside = runtime
        .spawn_on(
            Counted {
                reply: reply.clone(),
            },
            NodeId(2),
        )
        .expect("node 2 has workers");
    assert_eq!(cells(), [false, false, true, false]);
    // From outside, pinned to a worker of node 0: node 0's.
    let spawner = runtime
        .spawn_on_worker(
            PinnedSpawner {
                reply,
                spawned: Vec::new(),
            },
            on_node_0,
        )
        .expect("a worker of node 0");
    assert_eq!(cells(), [true, false, true, false]);
    // From a handler on node 0's worker, pinned to a worker of node 3: node 3's, not node 0's.
    spawner.send(on_node_3).expect("alive");
    assert_eq!(replies.recv_timeout(HANG).expect("spawned"), 0);
    assert_eq!(cells(), [true, false, true, true], "node 1 spawned nothing");
    let _stopped = outside.stop();
    let _stopped = spawner.stop();
    drop((outside, spawner));
    runtime.shutdown();
}
