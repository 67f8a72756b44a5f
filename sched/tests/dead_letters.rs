//! Dead letters reach the runtime's handler with the message itself and why it was not
//! handled, and are counted exactly: a kill's queue, a timer's send to a stopped actor, a
//! request after the shutdown (which the handler can still answer), a panicking handler.

use std::convert::Infallible;
use std::sync::mpsc;
use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;

use courier_sched::{
    Actor, ActorId, Context, DeadLetter, DeadLetterHandler, ReplyTo, Runtime, RuntimeSettings,
    Undelivered,
};

mod common;

use common::{HANG, Turnstile, one_worker_runtime_with, wait_for};

/// What the handler saw of each letter.
type Seen = Arc<Mutex<Vec<(ActorId, Undelivered, &'static str, Option<u32>)>>>;

/// One unpinned worker whose dead letters go to a handler that records them, answers any
/// request among them with 0, and panics on the number 13.
fn runtime() -> (Runtime, Seen) {
    let seen: Seen = Arc::default();
    let record = Arc::clone(&seen);
    let handler = DeadLetterHandler::new(move |letter: DeadLetter| {
        let DeadLetter {
            to,
            why,
            type_name,
            message,
        } = letter;
        let number = match message.downcast::<u32>() {
            Ok(number) => Some(*number),
            Err(other) => {
                if let Ok(request) = other.downcast::<Option<ReplyTo<u32>>>()
                    && let Some(reply) = *request
                {
                    reply.send(0);
                }
                None
            }
        };
        record
            .lock()
            .expect("the test never panics holding it")
            .push((to, why, type_name, number));
        assert!(number != Some(13), "the handler panics on 13");
    });
    let runtime = one_worker_runtime_with(RuntimeSettings {
        dead_letters: Some(handler),
        ..RuntimeSettings::default()
    });
    (runtime, seen)
}

#[test]
fn a_killed_actors_queue_reaches_the_handler_in_order_and_counted() {
    let (runtime, seen) = runtime();
    let barrier = Arc::new(Barrier::new(2));
    let gate = runtime.spawn(Turnstile(Arc::clone(&barrier)));
    gate.send(0).unwrap();
    barrier.wait();
    for n in 1..=100 {
        gate.send(n).unwrap();
    }
    // The kill goes ahead of the queue (high priority): none of 1..=100 is handled.
    assert!(gate.kill());
    barrier.wait();
    wait_for(|| seen.lock().unwrap().len() == 100);
    let letters = seen.lock().unwrap().clone();
    assert!(
        letters
            .iter()
            .all(|(to, why, type_name, _)| *to == gate.id()
                && *why == Undelivered::Exited
                && *type_name == "u32")
    );
    let numbers: Vec<u32> = letters.iter().filter_map(|letter| letter.3).collect();
    assert_eq!(numbers, (1..=100).collect::<Vec<_>>());
    assert_eq!(runtime.metrics().dead_letters, 100);
    // A send after the exit is refused, not a dead letter.
    assert!(gate.send(101).is_err());
    assert_eq!(runtime.metrics().dead_letters, 100);
    runtime.shutdown();
}

/// Stops at once.
struct Gone;

impl Actor for Gone {
    type Msg = u32;
    type Error = Infallible;

    fn started(&mut self, ctx: &mut Context<'_, Self>) -> Result<(), Infallible> {
        ctx.stop();
        Ok(())
    }

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, _n: u32) -> Result<(), Infallible> {
        Ok(())
    }
}

/// Sends its number to `target` after a millisecond, then reports.
struct Postman {
    target: courier_sched::ActorRef<u32>,
    done: mpsc::Sender<()>,
}

impl Actor for Postman {
    type Msg = u32;
    type Error = Infallible;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, n: u32) -> Result<(), Infallible> {
        let _timer = ctx.send_after(Duration::from_millis(1), &self.target, n);
        self.done.send(()).expect("the test listens");
        Ok(())
    }
}

#[test]
fn a_timers_send_to_a_stopped_actor_and_a_panicking_handler_are_counted() {
    let (runtime, seen) = runtime();
    let gone = runtime.spawn(Gone);
    wait_for(|| gone.is_stopped());
    let (done, posted) = mpsc::channel();
    let postman = runtime.spawn(Postman {
        target: gone.clone(),
        done,
    });
    postman.send(7).unwrap();
    posted.recv_timeout(HANG).unwrap();
    wait_for(|| seen.lock().unwrap().len() == 1);
    assert_eq!(
        seen.lock().unwrap()[0],
        (gone.id(), Undelivered::Exited, "u32", Some(7))
    );
    // The handler panics on 13: caught on the worker, which goes on; the letter is counted.
    postman.send(13).unwrap();
    posted.recv_timeout(HANG).unwrap();
    wait_for(|| seen.lock().unwrap().len() == 2);
    wait_for(|| runtime.metrics().dead_letters == 2);
    postman.send(8).unwrap();
    posted.recv_timeout(HANG).unwrap();
    wait_for(|| seen.lock().unwrap().len() == 3);
    assert_eq!(seen.lock().unwrap()[2].3, Some(8));
    assert_eq!(runtime.metrics().dead_letters, 3);
    runtime.shutdown();
}

/// Answers requests with 42.
struct Oracle;

impl Actor for Oracle {
    type Msg = Option<ReplyTo<u32>>;
    type Error = Infallible;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, ask: Self::Msg) -> Result<(), Infallible> {
        if let Some(reply) = ask {
            reply.send(42);
        }
        Ok(())
    }
}

#[test]
fn the_handler_can_answer_a_request_that_came_after_the_shutdown() {
    let (runtime, seen) = runtime();
    let oracle = runtime.spawn(Oracle);
    let answer = oracle.ask(Some).unwrap().wait_timeout(HANG);
    assert_eq!(answer, Ok(42));
    runtime.shutdown();
    let answer = oracle.ask(Some).unwrap().wait_timeout(HANG);
    assert_eq!(answer, Ok(0), "the dead-letter handler answered");
    let letters = seen.lock().unwrap().clone();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].0, oracle.id());
    assert_eq!(letters[0].1, Undelivered::ShutDown);
    assert!(letters[0].2.contains("ReplyTo<u32>"), "{}", letters[0].2);
}

/// A message whose drop panics (unless it was handled).
struct Bomb {
    handled: bool,
}

impl Drop for Bomb {
    fn drop(&mut self) {
        assert!(self.handled, "an unhandled bomb panicked in its drop");
    }
}

/// On its first message meets the test at the barrier twice; defuses what it handles.
struct Defuser {
    barrier: Arc<Barrier>,
    first: bool,
}

impl Actor for Defuser {
    type Msg = Bomb;
    type Error = Infallible;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, mut bomb: Bomb) -> Result<(), Infallible> {
        bomb.handled = true;
        if std::mem::take(&mut self.first) {
            self.barrier.wait();
            self.barrier.wait();
        }
        Ok(())
    }
}

#[test]
fn dead_letters_whose_drop_panics_are_counted_and_the_worker_goes_on() {
    // No handler: the runtime drops dead letters itself, inside the kill's turn.
    let runtime = Runtime::with_workers(1).unwrap();
    let barrier = Arc::new(Barrier::new(2));
    let defuser = runtime.spawn(Defuser {
        barrier: Arc::clone(&barrier),
        first: true,
    });
    defuser.send(Bomb { handled: false }).unwrap();
    barrier.wait();
    for _ in 0..3 {
        defuser.send(Bomb { handled: false }).unwrap();
    }
    assert!(defuser.kill());
    barrier.wait();
    wait_for(|| runtime.metrics().dead_letters == 3);
    // The one worker survived the three panics: it still runs actors.
    let oracle = runtime.spawn(Oracle);
    assert_eq!(oracle.ask(Some).unwrap().wait_timeout(HANG), Ok(42));
    runtime.shutdown();
}
