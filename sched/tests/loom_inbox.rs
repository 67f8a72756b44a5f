//! Loom model of a worker's inbox (`src/inbox.rs`, B1-B5): a doorbell slot in front of an
//! injector. Two senders push while the worker pops (alternating which part it tries first, as
//! the worker loop does) and a second taker drains (as the shutdown drain may): every item is
//! taken exactly once, none is lost, and an inbox that the last push made non-empty is seen
//! non-empty after the P2 fences.
//!
//! The injector behind the doorbell is crossbeam's, whose atomics loom does not see: each of
//! its operations is one step here. The doorbell's are loom atomics (the crate's `sync.rs`).

#![cfg(courier_loom)]

use std::ptr::NonNull;

use courier_sched::Inbox;
use loom::sync::Arc;
use loom::sync::atomic::{AtomicBool, Ordering, fence};
use loom::thread;

/// Items are small integers behind leaked boxes (the model's own "actors").
fn item(value: usize) -> NonNull<usize> {
    NonNull::from(Box::leak(Box::new(value)))
}

fn value(item: NonNull<usize>) -> usize {
    // SAFETY: items are leaked boxes, never freed while the model runs.
    unsafe { *item.as_ptr() }
}

/// Two senders push one item each while the worker pops and a drainer pops too: each item is
/// taken by exactly one of them. One sender leaves a prefetch hint (B5): a racing, advisory
/// store that changes nothing of B1-B2.
#[test]
fn every_item_is_taken_exactly_once() {
    loom::model(|| {
        let inbox = Arc::new(Inbox::new());
        let senders: Vec<_> = [1_usize, 2]
            .into_iter()
            .map(|v| {
                let inbox = Arc::clone(&inbox);
                thread::spawn(move || {
                    let item = item(v);
                    if v == 1 {
                        inbox.push_with_hint(item, item.as_ptr().addr());
                    } else {
                        inbox.push(item);
                    }
                })
            })
            .collect();
        let drainer = {
            let inbox = Arc::clone(&inbox);
            thread::spawn(move || inbox.pop(true).map(value))
        };
        let mut taken = Vec::new();
        let mut tick = 0_u32;
        for _ in 0..2 {
            tick += 1;
            if let Some(item) = inbox.pop(tick & 1 == 0) {
                taken.push(value(item));
            }
        }
        for sender in senders {
            sender.join().expect("a sender panicked");
        }
        taken.extend(drainer.join().expect("the drainer panicked"));
        while let Some(item) = inbox.pop(false) {
            taken.push(value(item));
        }
        taken.sort_unstable();
        assert_eq!(taken, [1, 2], "B1-B2: each item once");
        assert!(inbox.is_empty());
    });
}

/// P1-P2 on the inbox: a sender pushes, fences, and reads the worker's "listed" flag; the
/// worker sets the flag, fences, and checks `is_empty`. Either the worker sees the item or
/// the sender sees the worker listed (and would wake it): never neither (B4).
#[test]
fn a_push_is_seen_by_the_parker_or_the_parker_by_the_pusher() {
    loom::model(|| {
        let inbox = Arc::new(Inbox::new());
        let listed = Arc::new(AtomicBool::new(false));
        // A first item occupies the doorbell, so the second may go either way.
        inbox.push(item(1));
        let sender = {
            let (inbox, listed) = (Arc::clone(&inbox), Arc::clone(&listed));
            thread::spawn(move || {
                inbox.push(item(2));
                // ORDERING: SeqCst fence, P1: the push before the read of the worker's state.
                fence(Ordering::SeqCst);
                listed.load(Ordering::Relaxed)
            })
        };
        let first = inbox.pop(false).map(value);
        // ORDERING: SeqCst; the model's stand-in for the idle state's SeqCst RMW.
        listed.store(true, Ordering::SeqCst);
        // ORDERING: SeqCst fence, P2: the listing before the inbox check.
        fence(Ordering::SeqCst);
        let worker_sees_work = !inbox.is_empty();
        let sender_sees_listed = sender.join().expect("the sender panicked");
        assert_eq!(first, Some(1));
        assert!(
            worker_sees_work || sender_sees_listed,
            "P1-P2 with B4: a push is never missed by both sides"
        );
        assert_eq!(inbox.pop(true).map(value), Some(2));
    });
}
