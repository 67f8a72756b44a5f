//! Loom model of the actor cell's references and schedule token (C1 in `src/cell.rs`,
//! `PROTOCOL.md` "The actor cell"), around the real mailbox (courier-mailbox, M7): senders that
//! each hold a reference push, take the token when their push claims the turn, queue the actor
//! and drop their reference, while a worker runs the turns it is handed and gives the token back
//! when a turn ends idle. Whoever drops the last count of an actor that has not exited stops it
//! (`stop_unreferenced`): its push of a stop claims the turn and takes a token (0 -> 1), and the
//! last turn exits. The cell is freed exactly once, exited, by whoever drops the last count
//! after that, after every other use of it (loom's `UnsafeCell` tracks the actor's state: a
//! turn's use that the free does not happen after is a data race), with every message handled
//! and none left in it.
//!
//! `retain` and `release` here are `ActorPtr::retain` and `ActorPtr::release` (Relaxed add,
//! Release subtract, Acquire fence before the free) on loom's atomics: the cell itself needs a
//! runtime, which the model does not build.

#![cfg(courier_loom)]

use std::ptr::NonNull;

use courier_mailbox::{EndTurn, Link, Linked, Mailbox, Pop, Priority, Pushed};
use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};
use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;

/// The value of the runtime's stop (`SystemMessage::Stop`); the senders send others.
const STOP: u32 = 0;

/// A message: a link and a value, leaked while the model runs.
#[repr(C)]
struct Node {
    link: Link,
    value: u32,
}

// SAFETY: `link` is at offset 0 of a `#[repr(C)]` struct: both casts are exact inverses.
unsafe impl Linked for Node {
    fn link(node: NonNull<Self>) -> NonNull<Link> {
        node.cast()
    }

    unsafe fn from_link(link: NonNull<Link>) -> NonNull<Self> {
        link.cast()
    }
}

/// The parts of a cell that C1 is about.
struct Cell {
    mailbox: Mailbox<Node>,
    /// References: one per holder (`ActorRef`), plus the schedule token while the actor is
    /// queued or running.
    refs: AtomicUsize,
    /// The actor's state: the sum of the values it handled, and whether it exited (its slot).
    /// Written by turns, and by the free.
    state: UnsafeCell<(u32, bool)>,
    /// Set by the free; a second free fails the model.
    freed: AtomicBool,
}

/// The run queue: whether the actor is queued (with its token; at most once, as the turn bit
/// lets only one claim stand at a time, M7), and how many senders are still sending.
struct Queue {
    queued: bool,
    senders_left: usize,
}

struct World {
    cell: Cell,
    queue: Mutex<Queue>,
    /// Wakes the worker: a claim, or the last sender's end.
    changed: Condvar,
    /// Sum of the values handled by turns, published by the free (which reads `state`).
    handled_at_free: AtomicUsize,
}

impl World {
    fn retain(&self) {
        // ORDERING: Relaxed, as `ActorPtr::retain`: the caller already holds a reference.
        self.cell.refs.fetch_add(1, Ordering::Relaxed);
    }

    /// `ActorPtr::release`: the last reference stops an actor that has not exited, or frees
    /// the cell (`drop_cell`).
    fn release(&self) {
        // ORDERING: Release, as `ActorPtr::release`.
        if self.cell.refs.fetch_sub(1, Ordering::Release) == 1 {
            // ORDERING: Acquire; pairs with every other releaser's Release decrement.
            fence(Ordering::Acquire);
            // SAFETY: nobody else can reach the cell: no reference, no token.
            let exited = self.cell.state.with(|state| unsafe { (*state).1 });
            if !exited {
                // `stop_unreferenced`: the stop's push claims the turn of the idle actor.
                assert!(
                    self.push(STOP),
                    "C1: an actor nobody can reach is idle, so the stop claims its turn"
                );
                return;
            }
            self.free();
        }
    }

    /// Pushes `value`; a push that claims the turn takes the token and queues the actor
    /// (`ActorPtr::schedule_claimed`). Returns whether it claimed.
    fn push(&self, value: u32) -> bool {
        let node = NonNull::from(Box::leak(Box::new(Node {
            link: Link::new(),
            value,
        })));
        // SAFETY: the node is leaked: it outlives its stay in the mailbox.
        match unsafe { self.cell.mailbox.try_push(node, Priority::Normal) } {
            Ok(Pushed::Schedule) => {
                self.retain();
                let mut queue = self.queue.lock().unwrap();
                assert!(!queue.queued, "M7: one claim at a time");
                queue.queued = true;
                self.changed.notify_one();
                true
            }
            Ok(Pushed::Queued) => false,
            Err(error) => panic!("the default capacity takes every push: {error:?}"),
        }
    }

    /// `drop_cell` of an actor that exited: its mailbox must be empty (an unseen message would
    /// have claimed a turn, and the turn holds the token).
    fn free(&self) {
        assert!(
            !self.cell.freed.swap(true, Ordering::Relaxed),
            "C1: the cell is freed once"
        );
        // SAFETY: nobody else can reach the cell: no reference, no token.
        let mut consumer = unsafe { self.cell.mailbox.consumer_unchecked() };
        assert!(
            matches!(consumer.drain_next(), Pop::Empty),
            "C1: a freed cell holds no message"
        );
        let handled = self.cell.state.with_mut(|state| {
            // SAFETY: loom checks that no turn's use of `state` races this one.
            let (handled, exited) = unsafe { *state };
            assert!(exited, "C1: a cell is freed after its last turn");
            // SAFETY: as above.
            unsafe { *state = (u32::MAX, true) };
            handled
        });
        self.handled_at_free
            .store(handled as usize, Ordering::Relaxed);
    }

    /// A sender holding one reference: pushes its values, queueing the actor with the token
    /// when a push claims the turn, then drops its reference.
    fn send_and_drop(&self, values: &[u32]) {
        for &value in values {
            let _claimed = self.push(value);
        }
        self.release();
        self.queue.lock().unwrap().senders_left -= 1;
        self.changed.notify_one();
    }

    /// The worker: runs the turns it is handed until the senders are done and nothing is
    /// queued, giving the token back after each turn that ends idle; returns how many of the
    /// senders' messages it handled.
    fn work(&self) -> usize {
        let mut handled = 0;
        loop {
            {
                let mut queue = self.queue.lock().unwrap();
                while !queue.queued && queue.senders_left > 0 {
                    queue = self.changed.wait(queue).unwrap();
                }
                if !queue.queued {
                    return handled;
                }
                queue.queued = false;
            }
            loop {
                // SAFETY: the worker holds the turn: the mailbox's one consumer (M8).
                let mut consumer = unsafe { self.cell.mailbox.consumer_unchecked() };
                while let Pop::Node(node) = consumer.pop_in_turn() {
                    // SAFETY: popped: ours until freed, and leaked, so never freed.
                    let value = unsafe { node.as_ref() }.value;
                    self.cell.state.with_mut(|state| {
                        // SAFETY: the turn is the one user of the state (and the token keeps
                        // the cell).
                        let (sum, exited) = unsafe { &mut *state };
                        assert!(!*exited, "nothing reaches an actor after its stop");
                        if value == STOP {
                            *exited = true;
                        } else {
                            *sum += value;
                        }
                    });
                    if value != STOP {
                        handled += 1;
                    }
                }
                if consumer.end_turn() == EndTurn::Idle {
                    break;
                }
                // It claimed the next turn: a message came, or a producer is between its
                // reservation and its link (`TurnEnd::Stalled`), whose thread must run.
                thread::yield_now();
            }
            // The turn ended idle: the token goes back.
            self.release();
        }
    }
}

/// Two senders with a reference each, and a worker: the last of the three to let go frees.
fn model(first: &'static [u32], second: &'static [u32]) {
    loom::model(move || {
        let mut world = Arc::new(World {
            cell: Cell {
                mailbox: Mailbox::new(),
                refs: AtomicUsize::new(2),
                state: UnsafeCell::new((0, false)),
                freed: AtomicBool::new(false),
            },
            queue: Mutex::new(Queue {
                queued: false,
                senders_left: 2,
            }),
            changed: Condvar::new(),
            handled_at_free: AtomicUsize::new(usize::MAX),
        });
        // SAFETY: the mailbox stays inside the `Arc` until the model's end.
        unsafe {
            Arc::get_mut(&mut world)
                .expect("not shared yet")
                .cell
                .mailbox
                .link()
        };
        let senders: Vec<_> = [first, second]
            .into_iter()
            .map(|values| {
                let world = Arc::clone(&world);
                thread::spawn(move || world.send_and_drop(values))
            })
            .collect();
        let handled = world.work();
        assert_eq!(
            handled,
            first.len() + second.len(),
            "M7: no message is left without a turn"
        );
        for sender in senders {
            sender.join().expect("a sender does not panic");
        }
        assert!(
            world.cell.freed.load(Ordering::Relaxed),
            "C1: the cell is freed"
        );
        let sum: u32 = first.iter().chain(second).sum();
        assert_eq!(
            world.handled_at_free.load(Ordering::Relaxed),
            sum as usize,
            "every message was handled before the free"
        );
    });
}

#[test]
fn the_last_reference_frees_the_cell_once_after_the_last_turn() {
    model(&[1], &[2]);
}

#[test]
fn a_sender_dropping_its_reference_while_its_push_is_handled_frees_nothing_early() {
    // Two pushes from one sender: the second may land during the turn the first claimed (no
    // claim), or after it ended (a claim and a token of its own). Whichever of the three lets
    // go last stops the actor: a sender or the worker at the end of a turn.
    model(&[1, 2], &[4]);
}
