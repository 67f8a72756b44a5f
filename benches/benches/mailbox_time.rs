//! Throughput of one consumer fed by one or two producer threads, in the same run:
//! courier-mailbox (normal lane, capacity `Capacity::MAX`) against crossbeam-channel's unbounded
//! channel and `std::sync::mpsc`. Also the time of a selective receive past 0 and 10
//! non-matching messages: `(skip_10 - skip_0) / 10` is the cost per skipped message.
//!
//! Each iteration moves `MESSAGE_COUNT` messages. Mailbox nodes are allocated before the timed
//! region, as courier-alloc's slab blocks would be; the channels move the same `u64` payload by
//! value. The mailbox has no parking of its own (that is courier-sched's), so the benchmark plays
//! the scheduler's part with `thread::park`: a push that claims the consumer's turn (it reports
//! `Pushed::Schedule`) raises a flag and unparks the consumer, and the consumer receives until
//! `Empty`, ends its turn, and parks until the flag is raised again unless `end_turn` claimed the
//! next turn itself (the turns of M7). The channels' `recv` blocks on its own futex.

use std::hint::black_box;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use courier_benches::mailbox::BenchMessage;
use courier_mailbox::{Capacity, EndTurn, Mailbox, Pop, Priority, Pushed};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

const MESSAGE_COUNT: u64 = 100_000;

/// One run: `producer_count` threads push `MESSAGE_COUNT` nodes in all; this thread pops them.
/// `scheduled` is the run queue of a one-consumer scheduler: set when a push claimed the turn
/// (possibly after the previous run's last message, so it outlives a run).
fn mailbox_run(
    mailbox: &Mailbox<BenchMessage>,
    scheduled: &AtomicBool,
    nodes: &mut [Vec<BenchMessage>],
) -> u64 {
    let consumer_thread = thread::current();
    thread::scope(|scope| {
        for producer_nodes in nodes.iter_mut() {
            let base = producer_nodes.as_mut_ptr();
            let len = producer_nodes.len();
            // A raw pointer is not `Send`; the address is, and the scope keeps the nodes alive.
            let base_address = base as usize;
            let consumer_thread = consumer_thread.clone();
            scope.spawn(move || {
                let base = base_address as *mut BenchMessage;
                for index in 0..len {
                    // SAFETY: `index < len`, so the pointer stays inside this producer's nodes.
                    let address = unsafe { base.add(index) };
                    let node = NonNull::new(address).expect("a vector's elements are not null");
                    // SAFETY: each node is pushed once per run and popped before the next run;
                    // the scope keeps the vector alive and unmoved.
                    match unsafe { mailbox.try_push(node, Priority::Normal) } {
                        Ok(Pushed::Schedule) => {
                            // ORDERING: Release; hands the turn to the consumer's Acquire swap.
                            scheduled.store(true, Ordering::Release);
                            consumer_thread.unpark();
                        }
                        Ok(Pushed::Queued) => {}
                        Err(_) => unreachable!("capacity MAX is not reached, nobody closes"),
                    }
                }
            });
        }
        let (mut received, mut sum) = (0, 0_u64);
        while received < MESSAGE_COUNT {
            // Wait for a push to hand us the turn.
            // ORDERING: Acquire; pairs with the producer's Release store.
            while !scheduled.swap(false, Ordering::Acquire) {
                thread::park();
            }
            // Run turns until one ends idle.
            loop {
                // SAFETY: this thread is the mailbox's only consumer.
                let mut consumer = unsafe { mailbox.consumer_unchecked() };
                while let Pop::Node(node) = consumer.pop() {
                    // SAFETY: the node is live (in `nodes`) and ours until the next run.
                    sum = sum.wrapping_add(unsafe { node.as_ref() }.value);
                    received += 1;
                }
                match consumer.end_turn() {
                    EndTurn::Idle => break,
                    // A message arrived, or a producer is between its swap and its link.
                    EndTurn::Reschedule => thread::yield_now(),
                }
            }
        }
        sum
    })
}

fn crossbeam_run(producer_count: u64) -> u64 {
    let (sender, receiver) = crossbeam_channel::unbounded();
    thread::scope(|scope| {
        for producer in 0..producer_count {
            let sender = sender.clone();
            scope.spawn(move || {
                for value in 0..MESSAGE_COUNT / producer_count {
                    sender.send(producer + value).expect("the receiver lives");
                }
            });
        }
        drop(sender);
        receiver.iter().fold(0_u64, u64::wrapping_add)
    })
}

fn std_mpsc_run(producer_count: u64) -> u64 {
    let (sender, receiver) = mpsc::channel();
    thread::scope(|scope| {
        for producer in 0..producer_count {
            let sender = sender.clone();
            scope.spawn(move || {
                for value in 0..MESSAGE_COUNT / producer_count {
                    sender.send(producer + value).expect("the receiver lives");
                }
            });
        }
        drop(sender);
        receiver.iter().fold(0_u64, u64::wrapping_add)
    })
}

fn throughput(c: &mut Criterion) {
    let mut group = c.benchmark_group("mpsc_throughput");
    group.throughput(Throughput::Elements(MESSAGE_COUNT));
    group.sample_size(40);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(8));
    for producer_count in [1_u64, 2] {
        let mailbox = Mailbox::with_capacity(Capacity::MAX);
        // SAFETY: the mailbox stays in this variable until it is dropped.
        unsafe { mailbox.link() };
        let scheduled = AtomicBool::new(false);
        let mut nodes: Vec<Vec<BenchMessage>> = (0..producer_count)
            .map(|_| {
                (0..MESSAGE_COUNT / producer_count)
                    .map(BenchMessage::new)
                    .collect()
            })
            .collect();
        group.bench_function(format!("courier_mailbox/{producer_count}p"), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(mailbox_run(&mailbox, &scheduled, &mut nodes));
                }
                start.elapsed()
            });
        });
        group.bench_function(format!("crossbeam_channel/{producer_count}p"), |b| {
            b.iter(|| black_box(crossbeam_run(producer_count)));
        });
        group.bench_function(format!("std_mpsc/{producer_count}p"), |b| {
            b.iter(|| black_box(std_mpsc_run(producer_count)));
        });
    }
    group.finish();
}

/// A mailbox holding `skipped` messages a selective receive rejects, then one it accepts.
struct SkipFixture {
    mailbox: Box<Mailbox<BenchMessage>>,
    /// The nodes; declared after the mailbox, which never touches them when dropped.
    nodes: Vec<BenchMessage>,
}

fn skip_fixture(skipped: u64) -> SkipFixture {
    let mut fixture = SkipFixture {
        mailbox: Box::new(Mailbox::new()),
        nodes: (0..skipped)
            .map(|i| 2 * i + 1)
            .chain([42])
            .map(BenchMessage::new)
            .collect(),
    };
    // SAFETY: the box keeps the mailbox in place until it is dropped.
    unsafe { fixture.mailbox.link() };
    let base = fixture.nodes.as_mut_ptr();
    for index in 0..fixture.nodes.len() {
        // SAFETY: `index` is in bounds.
        let address = unsafe { base.add(index) };
        let node = NonNull::new(address).expect("a vector's elements are not null");
        // SAFETY: each node is pushed once; the fixture keeps them alive and unmoved.
        let pushed = unsafe { fixture.mailbox.try_push(node, Priority::Normal) };
        assert!(pushed.is_ok());
    }
    fixture
}

fn selective_receive(c: &mut Criterion) {
    let mut group = c.benchmark_group("selective_receive");
    for skipped in [0_u64, 10] {
        group.bench_function(format!("skip_{skipped}"), |b| {
            b.iter_batched(
                || skip_fixture(skipped),
                |mut fixture| {
                    let popped = fixture
                        .mailbox
                        .consumer()
                        .pop_matching(|message| black_box(message.value) % 2 == 0);
                    assert!(matches!(popped, Pop::Node(_)));
                    fixture
                },
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();
}

criterion_group!(benches, throughput, selective_receive);
criterion_main!(benches);
