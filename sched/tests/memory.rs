//! Message pools from the NUMA config: a node's `pool_size_per_node` caps its slab memory, a
//! send past it gets `NoMemory` with its message back, and the memory comes back once the
//! messages are handled.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use courier_sched::{Actor, ActorRef, Config, Context, Runtime, SendError, WorkerId};

const HANG: Duration = Duration::from_mins(1);
const CAP: usize = 1 << 20;

/// Blocks its worker until told to go on, then counts what it handles.
struct Dam {
    gate: mpsc::Receiver<()>,
    handled: u64,
    report: mpsc::Sender<u64>,
}

enum Water {
    Drop,
    Close,
    Count,
}

impl Actor for Dam {
    type Msg = Water;
    type Error = String;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, water: Water) -> Result<(), String> {
        match water {
            Water::Close => self.gate.recv_timeout(HANG).map_err(|e| e.to_string()),
            Water::Drop => {
                self.handled += 1;
                Ok(())
            }
            Water::Count => self.report.send(self.handled).map_err(|e| e.to_string()),
        }
    }
}

/// Sends from a worker (whose pools are under the node's budget) until refused.
struct Flood(mpsc::Sender<(u64, &'static str)>);

impl Actor for Flood {
    type Msg = ActorRef<Water>;
    type Error = String;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, dam: ActorRef<Water>) -> Result<(), String> {
        let mut sent = 0_u64;
        let why = loop {
            match dam.try_send(Water::Drop) {
                Ok(()) => sent += 1,
                Err(SendError::NoMemory(Water::Drop)) => break "no memory",
                Err(SendError::Full(_)) => break "full",
                Err(_) => break "other",
            }
        };
        self.0.send((sent, why)).map_err(|e| e.to_string())
    }
}

fn capped_runtime() -> Runtime {
    let text = "[workers]\ncount = 2\npin = false\nspinners_per_node = 0\n\
                [actors]\nmailbox_capacity = 1000000\n\
                [memory]\npool_size_per_node = \"1MiB\"\n";
    let config = Config::parse(text, Path::new("memory-test.toml")).expect("a valid config");
    Runtime::from_config(&config).expect("the runtime starts")
}

#[test]
fn a_node_s_pool_cap_refuses_sends_with_the_message_back_until_memory_returns() {
    let runtime = capped_runtime();
    let node = &runtime.metrics().nodes[0];
    assert_eq!(node.bytes_max, Some(CAP));
    assert!(!node.bound, "unpinned: heap memory");
    let (gate, gate_rx) = mpsc::channel();
    let (report, counts) = mpsc::channel();
    let dam = runtime
        .spawn_on_worker(
            Dam {
                gate: gate_rx,
                handled: 0,
                report,
            },
            WorkerId(1),
        )
        .expect("worker 1");
    dam.send(Water::Close).expect("sent");
    let (flooded, results) = mpsc::channel();
    let flood = runtime
        .spawn_on_worker(Flood(flooded), WorkerId(0))
        .expect("worker 0");
    flood.send(dam.clone()).expect("sent");
    let (sent, why) = results.recv_timeout(HANG).expect("the flood ends");
    assert_eq!(
        why, "no memory",
        "refused for memory, after {sent} messages"
    );
    assert!(
        sent > 1000,
        "the cap holds thousands of small messages: {sent}"
    );
    let mapped = runtime.metrics().nodes[0].bytes_mapped;
    assert!(mapped <= CAP, "{mapped} bytes mapped past the cap");
    // Open the dam: every accepted message is handled, and the memory comes back.
    gate.send(()).expect("the dam listens");
    dam.send(Water::Count).expect("sent");
    assert_eq!(counts.recv_timeout(HANG).expect("counted"), sent);
    flood.send(dam.clone()).expect("sent");
    let (again, _) = results.recv_timeout(HANG).expect("the second flood ends");
    assert!(again > 1000, "freed blocks are reused: {again}");
    runtime.shutdown();
}
