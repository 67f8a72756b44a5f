//! Selective receive: held-back messages wait in order and come first once the filter changes.

use std::sync::{Arc, Mutex};

use courier_sched::{Actor, Context, Exit, LocalRuntime};

/// Handles only even numbers until it has seen 6, then everything.
struct Picky {
    seen: Arc<Mutex<Vec<u32>>>,
    exit: Arc<Mutex<Option<Exit>>>,
}

impl Actor for Picky {
    type Msg = u32;
    type Error = std::convert::Infallible;

    fn started(&mut self, ctx: &mut Context<'_, Self>) -> Result<(), Self::Error> {
        ctx.set_filter(|n: &u32| n.is_multiple_of(2));
        Ok(())
    }

    fn handle(&mut self, ctx: &mut Context<'_, Self>, n: u32) -> Result<(), Self::Error> {
        self.seen.lock().expect("not poisoned").push(n);
        if n == 6 {
            ctx.clear_filter();
        }
        if n == 100 {
            ctx.set_filter(|_: &u32| panic!("the filter broke"));
        }
        Ok(())
    }

    fn stopped(&mut self, _ctx: &mut Context<'_, Self>, reason: &Exit) {
        *self.exit.lock().expect("not poisoned") = Some(reason.clone());
    }
}

type Seen = Arc<Mutex<Vec<u32>>>;
type ExitSlot = Arc<Mutex<Option<Exit>>>;

fn picky(runtime: &LocalRuntime) -> (courier_sched::ActorRef<u32>, Seen, ExitSlot) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let exit = Arc::new(Mutex::new(None));
    let actor = runtime.spawn(Picky {
        seen: Arc::clone(&seen),
        exit: Arc::clone(&exit),
    });
    (actor, seen, exit)
}

#[test]
fn held_back_messages_come_first_and_in_order_once_the_filter_is_cleared() {
    let runtime = LocalRuntime::new().expect("a runtime starts");
    let (actor, seen, _exit) = picky(&runtime);
    for n in 1..=6 {
        actor.try_send(n).expect("room in the mailbox");
    }
    runtime.run();
    assert_eq!(*seen.lock().unwrap(), [2, 4, 6, 1, 3, 5]);
    actor.try_send(7).expect("room in the mailbox");
    runtime.run();
    assert_eq!(seen.lock().unwrap().last(), Some(&7));
}

#[test]
fn a_stop_is_never_held_back_by_the_filter() {
    let runtime = LocalRuntime::new().expect("a runtime starts");
    let (actor, seen, exit) = picky(&runtime);
    actor.try_send(1).expect("room in the mailbox");
    assert!(actor.stop());
    runtime.run();
    assert!(seen.lock().unwrap().is_empty(), "1 is odd: held back");
    assert_eq!(*exit.lock().unwrap(), Some(Exit::Normal));
    // The held-back message was dead-lettered at the stop, not lost.
    assert_eq!(runtime.metrics().dead_letters, 1);
}

#[test]
fn a_panicking_filter_stops_the_actor_and_loses_nothing_silently() {
    let runtime = LocalRuntime::new().expect("a runtime starts");
    let (actor, seen, exit) = picky(&runtime);
    actor.try_send(100).expect("room in the mailbox");
    actor.try_send(2).expect("room in the mailbox");
    runtime.run();
    assert_eq!(*seen.lock().unwrap(), [100]);
    assert_eq!(
        *exit.lock().unwrap(),
        Some(Exit::Panicked {
            message: "the filter broke".to_owned()
        })
    );
    assert_eq!(runtime.metrics().dead_letters, 1);
}
