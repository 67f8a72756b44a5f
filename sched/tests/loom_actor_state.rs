//! Loom model of the actor state word (`src/actor_state.rs`, S1-S3): sends racing the end of a
//! turn never lose a wake-up and never put the actor in two places.

#![cfg(courier_loom)]

use courier_sched::{ActorState, EndTurn, Notify};
use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

/// An actor whose "mailbox" is a count of pushed messages, and a run queue that holds at most
/// one entry if S1 holds.
struct Actor {
    state: ActorState,
    pushed: AtomicUsize,
    handled: AtomicUsize,
    queued: AtomicUsize,
}

impl Actor {
    fn send(&self) {
        self.pushed.fetch_add(1, Ordering::Release);
        if self.state.notify() == Notify::Schedule {
            let before = self.queued.fetch_add(1, Ordering::Relaxed);
            assert_eq!(before, 0, "S1: scheduled while already queued");
        }
    }

    /// Runs the actor while it is queued: one turn per queue entry, as a worker would.
    fn run_queued(&self) {
        while self.queued.load(Ordering::Relaxed) == 1 {
            self.queued.store(0, Ordering::Relaxed);
            self.state.start_turn();
            // Handle everything the turn can see.
            let pushed = self.pushed.load(Ordering::Acquire);
            self.handled.store(pushed, Ordering::Relaxed);
            if self.state.end_turn() == EndTurn::Reschedule {
                self.queued.store(1, Ordering::Relaxed);
            }
        }
    }
}

#[test]
fn sends_racing_the_end_of_a_turn_are_never_stranded() {
    loom::model(|| {
        let actor = Arc::new(Actor {
            state: ActorState::idle(),
            pushed: AtomicUsize::new(0),
            handled: AtomicUsize::new(0),
            queued: AtomicUsize::new(0),
        });
        // The worker runs on this thread: the first send, then whatever the sender's sends
        // schedule while the turn runs.
        actor.send();
        let sender = {
            let actor = Arc::clone(&actor);
            thread::spawn(move || {
                actor.send();
                actor.send();
            })
        };
        actor.run_queued();
        sender.join().unwrap();
        // Whatever was scheduled after the worker stopped looking is still queued: run it, as
        // the next worker to take it would.
        actor.run_queued();
        assert_eq!(
            actor.handled.load(Ordering::Relaxed),
            3,
            "S2: a message was stranded"
        );
        assert!(!actor.state.is_running());
    });
}

#[test]
fn yielding_keeps_the_actor_owed_a_turn() {
    loom::model(|| {
        let actor = Arc::new(ActorState::scheduled());
        actor.start_turn();
        let sender = {
            let actor = Arc::clone(&actor);
            thread::spawn(move || actor.notify())
        };
        actor.yield_turn();
        // Whatever the sender saw, the actor is queued exactly once: by us (yield).
        assert_ne!(sender.join().unwrap(), Notify::Schedule, "S1: queued twice");
        actor.start_turn();
        assert!(matches!(
            actor.end_turn(),
            EndTurn::Idle | EndTurn::Reschedule
        ));
    });
}
