//! A config file's settings reach the running runtime: the topology and the worker plan, the
//! default mailbox capacity and the activation budget (the parser's own tests check the file;
//! these check that `Runtime::from_config` hands every setting on).

use std::convert::Infallible;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

use courier_sched::{Actor, Config, Context, Runtime, SendError, TopologySource};

mod common;

use common::{Turnstile, wait_for};

/// Counts its messages.
struct Counter(Arc<AtomicUsize>);

impl Actor for Counter {
    type Msg = ();
    type Error = Infallible;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, (): ()) -> Result<(), Infallible> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

#[test]
fn a_config_files_topology_workers_capacity_and_budget_govern_the_runtime() {
    let text = "[topology]\nsource = \"synthetic\"\nsynthetic = \"pack:1 numa:2 core:2 pu:1\"\n\
                [workers]\ncount = 1\npin = false\nspinners_per_node = 0\n\
                [actors]\nactivation_budget = 4\nmailbox_capacity = 40\n";
    let config = Config::parse(text, Path::new("config-runtime-test.toml")).expect("valid");
    let runtime = Runtime::from_config(&config).expect("the runtime starts");
    let placement = runtime.placement();
    assert!(matches!(placement.source(), TopologySource::Synthetic(_)));
    assert_eq!(placement.workers().len(), 1);
    assert_eq!(
        placement.nodes().len(),
        1,
        "one worker: one node of the two has workers"
    );
    assert_eq!(placement.nodes()[0].spinners, 0);

    let handled = Arc::new(AtomicUsize::new(0));
    let counter = runtime.spawn(Counter(Arc::clone(&handled)));
    let barrier = Arc::new(Barrier::new(2));
    let gate = runtime.spawn(Turnstile(Arc::clone(&barrier)));
    gate.send(0).expect("the gate runs");
    barrier.wait();
    // The one worker is held: the counter's mailbox fills to the file's capacity.
    for _ in 0..40 {
        counter.try_send(()).expect("room below the capacity");
    }
    assert_eq!(counter.try_send(()), Err(SendError::Full(())));
    let runs_before = runtime.metrics().workers[0].runs;
    barrier.wait();
    wait_for(|| handled.load(Ordering::Relaxed) == 40);
    // Four messages a turn: at least ten turns of the counter (one turn would take all 40
    // under the default budget of 64).
    let runs = runtime.metrics().workers[0].runs - runs_before;
    assert!(runs >= 10, "{runs} turns for 40 messages at 4 a turn");
    runtime.shutdown();
}
