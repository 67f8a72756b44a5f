//! Loom: turns (M7). A push that claims the turn hands out the one right to run the consumer;
//! no message is left without a turn to see it, and the consumer never runs on two turns at once.
//!
//! The model plays the scheduler's part. The consumer runs only when it holds a turn: a push that
//! reported `Schedule` queues one (at most one may be queued or running: two would mean the actor
//! runs twice at once). A turn receives until empty or busy, then calls `end_turn`; `Reschedule`
//! means it claimed the next turn itself. If a push reported `Queued` while nobody would look at
//! its message, the consumer stops with a message undelivered and the model fails.
#![cfg(courier_loom)]

pub mod loom_support;

use std::sync::Arc;

use courier_mailbox::{Capacity, EndTurn, Mailbox, Pop, Priority, PushError, Pushed};
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;
use loom_support::{Message, drain_all, message, peek_value, push, take_value};

/// What the consumer receives in a turn.
#[derive(Clone, Copy)]
enum Receive {
    Any,
    /// `pop_in_turn`: an `Empty` leaves the pops to `end_turn`'s commit.
    InTurn,
    /// Selective receive of this value; the rest goes to the stash.
    Only(u32),
}

/// How a producer pushes.
#[derive(Clone, Copy)]
enum Push {
    /// `try_push`: refused when full.
    Ordinary,
    /// `try_push_over_capacity`, as a runtime's control messages are (M13).
    OverCapacity,
}

/// One turn: receive until empty or busy, then end the turn (its commit, M6, M7). `queued`
/// counts the turns claimed by pushes and not yet started: none can be claimed while this one
/// runs.
fn run_turn(
    mailbox: &Mailbox<Message>,
    receive: Receive,
    received: &mut Vec<u32>,
    queued: &AtomicUsize,
) -> EndTurn {
    // SAFETY: the model's consumer thread is the only consumer.
    let mut consumer = unsafe { mailbox.consumer_unchecked() };
    loop {
        let popped = match receive {
            Receive::Any => consumer.pop(),
            Receive::InTurn => consumer.pop_in_turn(),
            Receive::Only(wanted) => consumer.pop_matching(|message| peek_value(message) == wanted),
        };
        match popped {
            Pop::Node(node) => received.push(take_value(node)),
            Pop::Empty | Pop::Busy => {
                let claimed = queued.load(Ordering::Acquire);
                assert_eq!(claimed, 0, "M7: a turn was claimed while one runs");
                return consumer.end_turn();
            }
        }
    }
}

#[test]
fn a_message_is_never_left_without_a_turn() {
    model_scheduler(
        Receive::Any,
        Capacity::DEFAULT,
        [&[1], &[2]],
        Push::Ordinary,
    );
}

#[test]
fn a_turn_is_never_lost_when_a_refused_push_is_backing_out() {
    // Capacity 2, four pushes: one may be refused while the mailbox is full, and its transient
    // unit (M5) may make a later accepted push report `Queued` after the consumer freed the
    // slots; the turn that freed them must then see the accepted message.
    model_scheduler(
        Receive::Any,
        Capacity::new(2).unwrap(),
        [&[1, 3], &[2, 4]],
        Push::Ordinary,
    );
}

#[test]
fn a_message_is_never_left_without_a_turn_when_end_turn_commits_the_pops() {
    model_scheduler(
        Receive::InTurn,
        Capacity::DEFAULT,
        [&[1], &[2]],
        Push::Ordinary,
    );
}

#[test]
fn a_turn_is_never_lost_beside_a_refused_push_when_end_turn_commits_the_pops() {
    // As above with capacity 2: the pops this turn owes (M6) keep occupancy up until
    // `end_turn`, so a push may be refused as full meanwhile; none may be stranded.
    model_scheduler(
        Receive::InTurn,
        Capacity::new(2).unwrap(),
        [&[1, 3], &[2, 4]],
        Push::Ordinary,
    );
}

#[test]
fn a_selective_receiver_is_woken_by_a_message_behind_stashed_ones() {
    // Whatever order the pushes land in, 1 ends up stashed and 2 must still wake the consumer:
    // stashed messages are seen, so they must not hide the next push's claim (M7).
    model_scheduler(
        Receive::Only(2),
        Capacity::DEFAULT,
        [&[1], &[2]],
        Push::Ordinary,
    );
}

#[test]
fn a_control_message_wakes_a_full_idle_mailbox_beside_a_refused_push() {
    // Capacity 1, and 9 is stashed before the producers start: the mailbox is full and idle. An
    // ordinary push (1) is refused; its transient unit may be what the control message (2)
    // reads, so the control message must claim on "no turn owed" alone (M7, M13).
    loom::model(|| {
        let mailbox = Arc::new(Mailbox::with_capacity(Capacity::new(1).unwrap()));
        // SAFETY: the `Arc` keeps the mailbox in place until it is dropped; not shared yet.
        unsafe { mailbox.link() };
        assert_eq!(push(&mailbox, 9, Priority::Normal), Ok(Pushed::Schedule));
        let mut received = Vec::new();
        let queued = Arc::new(AtomicUsize::new(0));
        assert_eq!(
            run_turn(&mailbox, Receive::Only(2), &mut received, &queued),
            EndTurn::Idle
        );
        assert!(received.is_empty(), "9 is stashed");
        let ordinary = {
            let mailbox = Arc::clone(&mailbox);
            thread::spawn(move || match push(&mailbox, 1, Priority::Normal) {
                Err(PushError::Full(node)) => assert_eq!(take_value(node), 1),
                other => panic!("capacity 1 is taken by the stash: {other:?}"),
            })
        };
        let control = {
            let (mailbox, queued) = (Arc::clone(&mailbox), Arc::clone(&queued));
            thread::spawn(move || {
                // SAFETY: a fresh node; the consumer frees it when it comes back out.
                let pushed = unsafe { mailbox.try_push_over_capacity(message(2), Priority::High) };
                if pushed == Ok(Pushed::Schedule) {
                    queued.fetch_add(1, Ordering::Release);
                }
            })
        };
        ordinary.join().unwrap();
        control.join().unwrap();
        assert_eq!(
            queued.swap(0, Ordering::Acquire),
            1,
            "M7: the control message claims"
        );
        while run_turn(&mailbox, Receive::Only(2), &mut received, &queued) == EndTurn::Reschedule {
            thread::yield_now();
        }
        assert_eq!(received, [2]);
        // SAFETY: the model's consumer thread is the only consumer.
        assert_eq!(drain_all(&mut unsafe { mailbox.consumer_unchecked() }), [9]);
    });
}

/// Runs the scheduler model; its assertions fail if a wake-up is lost or a turn doubled.
fn model_scheduler(
    receive: Receive,
    capacity: Capacity,
    producers: [&'static [u32]; 2],
    how: Push,
) {
    loom::model(move || {
        let mailbox = Arc::new(Mailbox::with_capacity(capacity));
        // SAFETY: the `Arc` keeps the mailbox in place until it is dropped; not shared yet.
        unsafe { mailbox.link() };
        let handed_back = Arc::new(AtomicUsize::new(0));
        // Turns claimed by pushes and not yet run: the run queue. Never more than one (M7).
        let queued = Arc::new(AtomicUsize::new(0));
        let finished = Arc::new(AtomicUsize::new(0));
        for (values, priority) in producers.into_iter().zip([Priority::Normal, Priority::Low]) {
            let (mailbox, queued, finished, handed_back) = (
                Arc::clone(&mailbox),
                Arc::clone(&queued),
                Arc::clone(&finished),
                Arc::clone(&handed_back),
            );
            thread::spawn(move || {
                for &value in values {
                    let pushed = match how {
                        Push::Ordinary => push(&mailbox, value, priority),
                        // SAFETY: a fresh node; whoever receives it frees it.
                        Push::OverCapacity => unsafe {
                            mailbox.try_push_over_capacity(message(value), priority)
                        },
                    };
                    match pushed {
                        Ok(Pushed::Schedule) => {
                            let before = queued.fetch_add(1, Ordering::Release);
                            assert_eq!(before, 0, "M7: two turns claimed at once");
                        }
                        Ok(Pushed::Queued) => {}
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
        let mut turns = 0;
        loop {
            let all_finished = finished.load(Ordering::Acquire) == 2;
            if queued.load(Ordering::Acquire) == 1 {
                // Take the turn out of the queue and run it, and the next ones while they
                // reschedule.
                queued.fetch_sub(1, Ordering::AcqRel);
                turns += 1;
                while run_turn(&mailbox, receive, &mut received, &queued) == EndTurn::Reschedule {
                    turns += 1;
                    // A turn that met `Busy` runs again: let the producer finish its link.
                    thread::yield_now();
                }
            } else if all_finished {
                break;
            } else {
                thread::yield_now();
            }
        }
        assert!(!mailbox.is_turn_owed(), "the last turn gave the claim up");
        received.sort_unstable();
        match receive {
            Receive::Any | Receive::InTurn => assert_eq!(
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
        assert!(turns >= 1);
    });
}
