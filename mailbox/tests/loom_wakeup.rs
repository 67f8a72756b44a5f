//! Loom: the empty-to-non-empty signal is never lost (M7).
//!
//! The model plays the scheduler's part. The consumer runs only when it holds a wake-up token;
//! a push that reports `WasEmpty` hands out one token. After a turn the consumer drops its
//! `Consumer` (which commits) and re-checks `has_unseen`, running another turn if it is set, as
//! courier-sched does after marking the actor idle. If a push reported `NonEmpty` while nobody
//! would look at its message, the consumer stops with a message undelivered and the model fails.
#![cfg(courier_loom)]

pub mod loom_support;

use std::sync::Arc;

use courier_mailbox::{Capacity, Mailbox, Pop, Priority, PushError, Pushed};
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;
use loom_support::{Message, drain_all, peek_value, push, take_value};

/// What the consumer receives in a turn.
#[derive(Clone, Copy)]
enum Receive {
    Any,
    /// Selective receive of this value; the rest goes to the stash.
    Only(u32),
}

/// One turn: receive until empty or busy, then drop the consumer (its commit, M6).
fn run_turn(mailbox: &Mailbox<Message>, receive: Receive, received: &mut Vec<u32>) {
    // SAFETY: the model's consumer thread is the only consumer.
    let mut consumer = unsafe { mailbox.consumer_unchecked() };
    loop {
        let popped = match receive {
            Receive::Any => consumer.pop(),
            Receive::Only(wanted) => consumer.pop_matching(|message| peek_value(message) == wanted),
        };
        match popped {
            Pop::Node(node) => received.push(take_value(node)),
            Pop::Empty | Pop::Busy => return,
        }
    }
}

#[test]
fn the_empty_to_non_empty_signal_is_never_lost() {
    model_scheduler(Receive::Any, Capacity::DEFAULT, [&[1], &[2]]);
}

#[test]
fn the_signal_is_never_lost_when_a_refused_push_is_backing_out() {
    // Capacity 2, four pushes: one may be refused while the mailbox is full, and its transient
    // unit (M5) may make a later accepted push report `NonEmpty` after the consumer freed the
    // slots; the consumer's re-check must then see the accepted message.
    model_scheduler(Receive::Any, Capacity::new(2).unwrap(), [&[1, 3], &[2, 4]]);
}

#[test]
fn a_selective_receiver_is_woken_by_a_message_behind_stashed_ones() {
    // Whatever order the pushes land in, 1 ends up stashed and 2 must still wake the consumer:
    // stashed messages are seen, so they must not hide the next push's `WasEmpty` (M7).
    model_scheduler(Receive::Only(2), Capacity::DEFAULT, [&[1], &[2]]);
}

/// Runs the scheduler model; its assertions fail if a wake-up is lost.
fn model_scheduler(receive: Receive, capacity: Capacity, producers: [&'static [u32]; 2]) {
    loom::model(move || {
        let mailbox = Arc::new(Mailbox::with_capacity(capacity));
        // SAFETY: the `Arc` keeps the mailbox in place until it is dropped; not shared yet.
        unsafe { mailbox.link() };
        let handed_back = Arc::new(AtomicUsize::new(0));
        let tokens = Arc::new(AtomicUsize::new(0));
        let finished = Arc::new(AtomicUsize::new(0));
        for (values, priority) in producers.into_iter().zip([Priority::Normal, Priority::Low]) {
            let (mailbox, tokens, finished, handed_back) = (
                Arc::clone(&mailbox),
                Arc::clone(&tokens),
                Arc::clone(&finished),
                Arc::clone(&handed_back),
            );
            thread::spawn(move || {
                for &value in values {
                    match push(&mailbox, value, priority) {
                        Ok(Pushed::WasEmpty) => {
                            tokens.fetch_add(1, Ordering::Release);
                        }
                        Ok(Pushed::NonEmpty) => {}
                        Err(PushError::Full(node)) => {
                            let _ = take_value(node);
                            handed_back.fetch_add(1, Ordering::Release);
                        }
                        Err(PushError::Closed(_)) => panic!("nobody closes"),
                    }
                }
                finished.fetch_add(1, Ordering::Release);
            });
        }
        let mut received = Vec::new();
        let mut tokens_used = 0;
        loop {
            let all_finished = finished.load(Ordering::Acquire) == 2;
            if tokens.load(Ordering::Acquire) > tokens_used {
                tokens_used += 1;
                // Scheduled: run turns until the re-check after a turn finds nothing unseen.
                loop {
                    run_turn(&mailbox, receive, &mut received);
                    if !mailbox.has_unseen() {
                        break;
                    }
                    thread::yield_now();
                }
            } else if all_finished {
                break;
            } else {
                thread::yield_now();
            }
        }
        received.sort_unstable();
        match receive {
            Receive::Any => assert_eq!(
                received.len() + handed_back.load(Ordering::Acquire),
                producers.iter().map(|values| values.len()).sum::<usize>(),
                "a wake-up was lost: received {received:?}"
            ),
            Receive::Only(wanted) => {
                assert_eq!(received, [wanted], "a wake-up was lost");
                // SAFETY: the model's consumer thread is the only consumer.
                let rest = drain_all(&mut unsafe { mailbox.consumer_unchecked() });
                assert_eq!(rest.len(), 1, "the other message waits in the stash");
            }
        }
        assert!(tokens_used >= 1);
    });
}
