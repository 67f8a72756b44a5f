//! Huge messages: a message type of at least `memory.huge_payload_threshold` bytes goes into a
//! mapping of its own on its receiver's node, and arrives whole, in order, through selective
//! receive too; a smaller one is boxed on the heap as before.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use courier_sched::{Actor, Config, Context, Runtime};

const HANG: Duration = Duration::from_mins(1);

/// 16 KiB: past the test's 8 KiB threshold.
struct Big {
    seq: u64,
    words: [u64; 2047],
}

impl Big {
    fn new(seq: u64) -> Box<Big> {
        let mut big = Box::new(Big {
            seq,
            words: [0; 2047],
        });
        for (index, word) in (0_u64..).zip(big.words.iter_mut()) {
            *word = seq.wrapping_mul(1_000_003).wrapping_add(index);
        }
        big
    }

    fn is_whole(&self) -> bool {
        (0_u64..)
            .zip(&self.words)
            .all(|(index, word)| *word == self.seq.wrapping_mul(1_000_003).wrapping_add(index))
    }
}

/// Takes the even messages first (selective receive peeks at each), then the odd ones, and
/// reports each as it handles it: its number and whether every word arrived.
struct Sorter {
    report: mpsc::Sender<(u64, bool)>,
    evens_left: u64,
}

impl Actor for Sorter {
    type Msg = Big;
    type Error = String;

    fn started(&mut self, ctx: &mut Context<'_, Self>) -> Result<(), String> {
        ctx.set_filter(|big: &Big| big.seq.is_multiple_of(2) && big.is_whole());
        Ok(())
    }

    fn handle(&mut self, ctx: &mut Context<'_, Self>, big: Big) -> Result<(), String> {
        if big.seq.is_multiple_of(2) {
            self.evens_left -= 1;
            if self.evens_left == 0 {
                ctx.clear_filter();
            }
        }
        self.report
            .send((big.seq, big.is_whole()))
            .map_err(|error| error.to_string())
    }
}

/// 4.8 KiB: a type that may be huge, under the test's threshold.
struct Mid([u64; 600]);

struct MidSink(mpsc::Sender<u64>);

impl Actor for MidSink {
    type Msg = Mid;
    type Error = String;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, mid: Mid) -> Result<(), String> {
        self.0
            .send(mid.0.iter().sum())
            .map_err(|error| error.to_string())
    }
}

fn runtime(threshold: &str) -> Runtime {
    let text = format!(
        "[workers]\ncount = 2\npin = false\nspinners_per_node = 0\n\
         [memory]\nhuge_payload_threshold = \"{threshold}\"\n"
    );
    let config = Config::parse(&text, Path::new("huge-test.toml")).expect("a valid config");
    Runtime::from_config(&config).expect("the runtime starts")
}

fn huge_mapped(runtime: &Runtime) -> u64 {
    runtime
        .metrics()
        .nodes
        .iter()
        .map(|node| node.huge_messages_mapped)
        .sum()
}

#[test]
fn huge_messages_go_into_their_own_mappings_and_arrive_whole() {
    const SENT: u64 = 40;
    let runtime = runtime("8KiB");
    let (report, reports) = mpsc::channel();
    let sorter = runtime.spawn(Sorter {
        report,
        evens_left: SENT / 2,
    });
    for seq in 0..SENT {
        sorter.send(*Big::new(seq)).expect("the sorter runs");
    }
    let handled: Vec<(u64, bool)> = (0..SENT)
        .map(|_| reports.recv_timeout(HANG).expect("every message arrives"))
        .collect();
    assert!(handled.iter().all(|(_, whole)| *whole), "{handled:?}");
    let order: Vec<u64> = handled.iter().map(|(seq, _)| *seq).collect();
    // The evens may start before all were sent, so the odds are held back at most until the
    // last even; each group in sending order.
    let evens: Vec<u64> = order
        .iter()
        .copied()
        .filter(|seq| seq.is_multiple_of(2))
        .collect();
    let odds: Vec<u64> = order
        .iter()
        .copied()
        .filter(|seq| !seq.is_multiple_of(2))
        .collect();
    assert_eq!(evens, (0..SENT).step_by(2).collect::<Vec<_>>());
    assert_eq!(odds, (1..SENT).step_by(2).collect::<Vec<_>>());
    let last_even = order.iter().position(|seq| *seq == SENT - 2);
    let first_odd = order.iter().position(|seq| *seq == 1);
    assert!(last_even < first_odd, "{order:?}");
    assert_eq!(huge_mapped(&runtime), SENT);

    // Under the threshold: boxed, not mapped.
    let (sums, summed) = mpsc::channel();
    let sink = runtime.spawn(MidSink(sums));
    sink.send(Mid([3; 600])).expect("the sink runs");
    assert_eq!(summed.recv_timeout(HANG), Ok(1800));
    assert_eq!(huge_mapped(&runtime), SENT);
    runtime.shutdown();
}

#[test]
fn undelivered_huge_messages_are_unmapped_with_their_actor() {
    let runtime = runtime("4KiB");
    let (sums, summed) = mpsc::channel();
    let sink = runtime.spawn(MidSink(sums));
    sink.send(Mid([1; 600])).expect("the sink runs");
    assert_eq!(summed.recv_timeout(HANG), Ok(600));
    assert_eq!(
        huge_mapped(&runtime),
        1,
        "4.8 KiB is huge at a 4 KiB threshold"
    );
    // Queued behind a kill: dead-lettered, their mappings dropped with them (memcheck and
    // the leak check of this test binary under valgrind see every one go).
    assert!(sink.kill());
    for _ in 0..10 {
        let _refused_or_dead = sink.try_send(Mid([2; 600]));
    }
    drop(sink);
    runtime.shutdown();
}
