//! Stress: several producer threads, one consumer, millions of messages in release builds. Each
//! message is received exactly once and in order per producer and lane, while the consumer
//! mixes plain and selective receives, ends turns, and the bounded mailbox keeps refusing
//! producers (who retry with the message handed back).

pub mod support;

use std::ptr::NonNull;
use std::sync::Arc;
use std::thread;

use courier_mailbox::{Capacity, Consumer, Mailbox, Pop, Priority, PushError};
use support::{Message, free, message, under_valgrind};

const PRODUCER_COUNT: u32 = 4;

fn messages_per_producer() -> u64 {
    if under_valgrind() {
        1_000
    } else if cfg!(debug_assertions) {
        25_000
    } else {
        500_000
    }
}

/// The lane of a producer's `sequence`-th message: a fixed pattern, so the consumer can check
/// the per-lane order.
fn priority_of(sequence: u64) -> Priority {
    match sequence % 7 {
        0 => Priority::High,
        1 | 2 => Priority::Low,
        _ => Priority::Normal,
    }
}

fn lane_of(priority: Priority) -> usize {
    Priority::ALL
        .iter()
        .position(|&p| p == priority)
        .unwrap_or_default()
}

fn produce(mailbox: &Mailbox<Message>, sender: u32, count: u64) -> u64 {
    let mut refusals = 0;
    for sequence in 0..count {
        let mut node = message(sender, sequence);
        loop {
            // SAFETY: `node` is ours: fresh, or handed back by the refused push.
            match unsafe { mailbox.try_push(node, priority_of(sequence)) } {
                Ok(_) => break,
                Err(PushError::Full(back)) => {
                    node = back;
                    refusals += 1;
                    thread::yield_now();
                }
                Err(PushError::Closed(_)) => panic!("closed while producing"),
            }
        }
    }
    refusals
}

/// What the consumer has received: the next expected sequence per producer and lane.
struct Tally {
    next: Vec<[Option<u64>; 3]>,
    received: u64,
}

impl Tally {
    fn record(&mut self, node: NonNull<Message>) {
        let (sender, sequence) = free(node);
        let lane = lane_of(priority_of(sequence));
        let last = &mut self.next[sender as usize][lane];
        assert!(
            last.is_none_or(|last| sequence > last),
            "producer {sender} lane {lane}: {sequence} after {last:?}"
        );
        *last = Some(sequence);
        self.received += 1;
    }
}

fn consume(mailbox: &Mailbox<Message>, total: u64) -> Tally {
    let mut tally = Tally {
        next: vec![[None; 3]; PRODUCER_COUNT as usize],
        received: 0,
    };
    let mut receive_count: u64 = 0;
    while tally.received < total {
        // One turn of up to 100 receives, as a scheduler would run it.
        // SAFETY: this thread is the only consumer, and the turn's consumer is dropped below.
        let mut consumer: Consumer<'_, Message> = unsafe { mailbox.consumer_unchecked() };
        for _ in 0..100 {
            receive_count += 1;
            // Every 16th receive is selective, for one producer: the others go to the stash.
            let popped = if receive_count.is_multiple_of(16) {
                let wanted = u32::try_from(receive_count / 16 % u64::from(PRODUCER_COUNT))
                    .unwrap_or_default();
                consumer.pop_matching(|message| message.sender == wanted)
            } else {
                consumer.pop()
            };
            match popped {
                Pop::Node(node) => tally.record(node),
                Pop::Empty | Pop::Busy => {
                    if consumer.stashed_len() > 0 {
                        consumer.reoffer_stash();
                    }
                    thread::yield_now();
                    break;
                }
            }
        }
    }
    tally
}

#[test]
fn many_producers_one_consumer_deliver_every_message_once_in_order() {
    let count = messages_per_producer();
    let total = count * u64::from(PRODUCER_COUNT);
    let mailbox = Arc::new(Mailbox::with_capacity(Capacity::new(256).unwrap()));
    // SAFETY: the `Arc` keeps the mailbox in place until it is dropped; not shared yet.
    unsafe { mailbox.link() };
    let producers: Vec<_> = (0..PRODUCER_COUNT)
        .map(|sender| {
            let mailbox = Arc::clone(&mailbox);
            thread::spawn(move || produce(&mailbox, sender, count))
        })
        .collect();
    let tally = consume(&mailbox, total);
    let refusals: u64 = producers.into_iter().map(|p| p.join().unwrap()).sum();
    eprintln!("stress: {total} messages, {refusals} pushes refused as full and retried");
    assert_eq!(tally.received, total);
    for (sender, lanes) in tally.next.iter().enumerate() {
        let received_per_lane: Vec<_> = lanes.iter().map(Option::is_some).collect();
        assert!(
            received_per_lane.iter().all(|&some| some),
            "producer {sender}: {lanes:?}"
        );
    }
    // Not `Arc::into_inner`: a linked mailbox must not move (M12).
    let mut mailbox = mailbox;
    let mailbox = Arc::get_mut(&mut mailbox).unwrap();
    assert_eq!(mailbox.depth(), 0);
    let _ = mailbox.close();
    assert_eq!(mailbox.consumer().drain_next(), Pop::Empty);
}

#[test]
fn close_during_production_hands_back_or_drains_every_message() {
    let count = messages_per_producer() / 5;
    let mailbox = Arc::new(Mailbox::<Message>::with_capacity(Capacity::MAX));
    // SAFETY: the `Arc` keeps the mailbox in place until it is dropped; not shared yet.
    unsafe { mailbox.link() };
    let producers: Vec<_> = (0..PRODUCER_COUNT)
        .map(|sender| {
            let mailbox = Arc::clone(&mailbox);
            thread::spawn(move || {
                let mut handed_back = 0_u64;
                for sequence in 0..count {
                    // SAFETY: a fresh node; it comes back to us if refused.
                    match unsafe { mailbox.try_push(message(sender, sequence), Priority::Normal) } {
                        Ok(_) => {}
                        Err(refused) => {
                            assert!(matches!(refused, PushError::Closed(_)));
                            let _ = free(refused.into_inner());
                            handed_back += 1;
                        }
                    }
                }
                handed_back
            })
        })
        .collect();
    // Close once some messages are in, then drain concurrently with the producers.
    while mailbox.depth() < 10 {
        thread::yield_now();
    }
    let _ = mailbox.close();
    let mut drained = 0_u64;
    // SAFETY: this thread is the only consumer.
    let mut consumer = unsafe { mailbox.consumer_unchecked() };
    loop {
        match consumer.drain_next() {
            Pop::Node(node) => {
                let _ = free(node);
                drained += 1;
            }
            Pop::Busy => thread::yield_now(),
            Pop::Empty => break,
        }
    }
    drop(consumer);
    let handed_back: u64 = producers.into_iter().map(|p| p.join().unwrap()).sum();
    assert!(drained >= 10);
    assert_eq!(drained + handed_back, count * u64::from(PRODUCER_COUNT));
    assert_eq!(mailbox.depth(), 0);
}
