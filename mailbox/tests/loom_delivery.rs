//! Loom: producers racing a live consumer deliver every message exactly once, in order per
//! producer and lane, and a capacity-bounded mailbox either delivers a message or hands it back.
#![cfg(courier_loom)]

pub mod loom_support;

use std::sync::Arc;

use courier_mailbox::{Capacity, Mailbox, Pop, Priority, PushError};
use loom::thread;
use loom_support::{drain_all, push, take_value};

#[test]
fn two_producers_one_consumer_deliver_exactly_once() {
    loom::model(|| {
        let mailbox = Arc::new(Mailbox::new());
        // SAFETY: the `Arc` keeps the mailbox in place until it is dropped; not shared yet.
        unsafe { mailbox.link() };
        let first = {
            let mailbox = Arc::clone(&mailbox);
            thread::spawn(move || {
                let _ = push(&mailbox, 1, Priority::Normal).unwrap();
                let _ = push(&mailbox, 2, Priority::Normal).unwrap();
            })
        };
        let second = {
            let mailbox = Arc::clone(&mailbox);
            thread::spawn(move || push(&mailbox, 3, Priority::Normal).unwrap())
        };
        let mut seen = Vec::new();
        {
            // SAFETY: this thread is the only consumer.
            let mut consumer = unsafe { mailbox.consumer_unchecked() };
            while seen.len() < 3 {
                match consumer.pop() {
                    Pop::Node(node) => seen.push(take_value(node)),
                    Pop::Empty | Pop::Busy => thread::yield_now(),
                }
            }
            assert_eq!(consumer.pop(), Pop::Empty);
        }
        first.join().unwrap();
        let _ = second.join().unwrap();
        let position = |value| seen.iter().position(|&seen| seen == value).unwrap();
        assert!(position(1) < position(2), "FIFO per producer: {seen:?}");
        seen.sort_unstable();
        assert_eq!(seen, [1, 2, 3]);
        assert_eq!(mailbox.depth(), 0);
        assert!(!mailbox.has_unseen());
    });
}

#[test]
fn producers_on_two_lanes_race_a_consumer_and_priorities_hold() {
    loom::model(|| {
        let mailbox = Arc::new(Mailbox::new());
        // SAFETY: the `Arc` keeps the mailbox in place until it is dropped; not shared yet.
        unsafe { mailbox.link() };
        let producers: Vec<_> = [(1, Priority::Low), (2, Priority::High)]
            .map(|(value, priority)| {
                let mailbox = Arc::clone(&mailbox);
                thread::spawn(move || push(&mailbox, value, priority).unwrap())
            })
            .into();
        for producer in producers {
            let _ = producer.join().unwrap();
        }
        // Not `Arc::into_inner`: a linked mailbox must not move (M12).
        let mut mailbox = mailbox;
        let mailbox = Arc::get_mut(&mut mailbox).unwrap();
        let mut consumer = mailbox.consumer();
        // Both pushes returned, so both are reachable, and high comes first.
        assert_eq!(consumer.pop().into_node().map(take_value), Some(2));
        assert_eq!(consumer.pop().into_node().map(take_value), Some(1));
        assert_eq!(consumer.pop(), Pop::Empty);
    });
}

#[test]
fn a_full_mailbox_delivers_or_hands_back_each_message_never_both() {
    loom::model(|| {
        let mailbox = Arc::new(Mailbox::with_capacity(Capacity::new(1).unwrap()));
        // SAFETY: the `Arc` keeps the mailbox in place until it is dropped; not shared yet.
        unsafe { mailbox.link() };
        let producers: Vec<_> = [1, 2]
            .map(|value| {
                let mailbox = Arc::clone(&mailbox);
                thread::spawn(move || match push(&mailbox, value, Priority::Normal) {
                    Ok(_) => None,
                    Err(PushError::Full(node)) => Some(take_value(node)),
                    Err(PushError::Closed(_)) => panic!("nobody closes"),
                })
            })
            .into();
        let mut delivered = Vec::new();
        {
            // SAFETY: this thread is the only consumer.
            let mut consumer = unsafe { mailbox.consumer_unchecked() };
            if let Pop::Node(node) = consumer.pop() {
                delivered.push(take_value(node));
            }
        }
        let mut handed_back: Vec<_> = producers
            .into_iter()
            .filter_map(|p| p.join().unwrap())
            .collect();
        // Not `Arc::into_inner`: a linked mailbox must not move (M12).
        let mut mailbox = mailbox;
        let mailbox = Arc::get_mut(&mut mailbox).unwrap();
        let _ = mailbox.close();
        let drained = drain_all(&mut mailbox.consumer());
        assert!(drained.len() <= 1, "capacity 1 holds: {drained:?}");
        delivered.extend(drained);
        handed_back.extend(&delivered);
        handed_back.sort_unstable();
        assert_eq!(
            handed_back,
            [1, 2],
            "each message delivered or handed back, once"
        );
        assert!(!delivered.is_empty(), "the first accepted push always fits");
    });
}

/// The high lane is checked with one load of its stub's `next` (M3): a pop that meets a producer
/// in its gap behind the last high message (`Busy`, the stub out of the list) must leave that
/// `next` non-null, or the next pops would take the high lane for empty and strand its messages.
#[test]
fn a_busy_high_lane_is_not_mistaken_for_an_empty_one() {
    loom::model(|| {
        let mailbox = Arc::new(Mailbox::new());
        // SAFETY: the `Arc` keeps the mailbox in place until it is dropped; not shared yet.
        unsafe { mailbox.link() };
        let high = {
            let mailbox = Arc::clone(&mailbox);
            thread::spawn(move || {
                let _ = push(&mailbox, 1, Priority::High).unwrap();
                let _ = push(&mailbox, 2, Priority::High).unwrap();
            })
        };
        let mut seen = Vec::new();
        {
            // SAFETY: this thread is the only consumer.
            let mut consumer = unsafe { mailbox.consumer_unchecked() };
            while seen.len() < 2 {
                match consumer.pop() {
                    Pop::Node(node) => seen.push(take_value(node)),
                    Pop::Empty | Pop::Busy => thread::yield_now(),
                }
            }
            assert_eq!(consumer.pop(), Pop::Empty);
        }
        high.join().unwrap();
        assert_eq!(seen, [1, 2], "FIFO in the high lane");
        assert_eq!(mailbox.depth(), 0);
    });
}
