//! Loom: a close racing pushes either delivers each message (through the drain) or hands it
//! back, never both and never neither (M9).
#![cfg(courier_loom)]

pub mod loom_support;

use std::sync::Arc;

use courier_mailbox::{Close, Mailbox, Priority, PushError};
use loom::thread;
use loom_support::{drain_all, push, take_value};

#[test]
fn close_racing_pushes_delivers_or_hands_back_each_message_exactly_once() {
    loom::model(|| {
        let mailbox = Arc::new(Mailbox::new());
        // SAFETY: the `Arc` keeps the mailbox in place until it is dropped; not shared yet.
        unsafe { mailbox.link() };
        let producers: Vec<_> = [(1, Priority::Normal), (2, Priority::High)]
            .map(|(value, priority)| {
                let mailbox = Arc::clone(&mailbox);
                thread::spawn(move || match push(&mailbox, value, priority) {
                    Ok(_) => None,
                    Err(PushError::Closed(node)) => Some(take_value(node)),
                    Err(PushError::Full(_)) => panic!("the default capacity is not reached"),
                })
            })
            .into();
        assert_eq!(mailbox.close(), Close::Closed);
        // The drain runs while producers may still be linking: it must wait for them (Busy).
        // SAFETY: this thread is the only consumer.
        let drained = drain_all(&mut unsafe { mailbox.consumer_unchecked() });
        let handed_back: Vec<_> = producers
            .into_iter()
            .filter_map(|p| p.join().unwrap())
            .collect();
        let mut all: Vec<_> = drained.iter().chain(&handed_back).copied().collect();
        all.sort_unstable();
        assert_eq!(
            all,
            [1, 2],
            "drained {drained:?}, handed back {handed_back:?}"
        );
        assert_eq!(mailbox.depth(), 0);
    });
}
