//! Loom: a selective receive racing producers stashes what it skips, in order, and loses
//! nothing (M10, M11 with live lanes).
#![cfg(courier_loom)]

pub mod loom_support;

use std::sync::Arc;

use courier_mailbox::{Mailbox, Pop, Priority};
use loom::thread;
use loom_support::{peek_value, push, take_value};

#[test]
fn selective_receive_racing_producers_skips_in_order_and_loses_nothing() {
    loom::model(|| {
        let mailbox = Arc::new(Mailbox::new());
        // SAFETY: the `Arc` keeps the mailbox in place until it is dropped; not shared yet.
        unsafe { mailbox.link() };
        let producer = {
            let mailbox = Arc::clone(&mailbox);
            thread::spawn(move || {
                let _ = push(&mailbox, 1, Priority::Normal).unwrap();
                let _ = push(&mailbox, 2, Priority::Normal).unwrap();
            })
        };
        // SAFETY: this thread is the only consumer.
        let mut consumer = unsafe { mailbox.consumer_unchecked() };
        let matched = loop {
            match consumer.pop_matching(|message| peek_value(message) == 2) {
                Pop::Node(node) => break take_value(node),
                Pop::Empty | Pop::Busy => thread::yield_now(),
            }
        };
        assert_eq!(matched, 2);
        assert_eq!(consumer.stashed_len(), 1, "1 came first, so it was skipped");
        assert_eq!(consumer.pop().into_node().map(take_value), Some(1));
        assert_eq!(consumer.pop(), Pop::Empty);
        drop(consumer);
        producer.join().unwrap();
        assert_eq!(mailbox.depth(), 0);
    });
}
