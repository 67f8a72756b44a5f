//! Asks: answers, timeouts that say what happened, dropped requests, and awaiting.

use std::convert::Infallible;
use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Barrier};
use std::task::{Context as TaskContext, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::Duration;

use courier_sched::{Actor, AskError, Context, ReplyTo, Runtime, SendError};

mod common;

const HANG: Duration = Duration::from_mins(1);

enum Request {
    Square(u64, ReplyTo<u64>),
    /// Meets the test at the barrier twice (busy in between), then answers.
    Hold(Arc<Barrier>, ReplyTo<u64>),
    /// Panics while holding the reply.
    Crash(ReplyTo<u64>),
}

struct Calculator;

impl Actor for Calculator {
    type Msg = Request;
    type Error = Infallible;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, msg: Request) -> Result<(), Infallible> {
        match msg {
            Request::Square(n, reply) => reply.send(n * n),
            Request::Hold(barrier, reply) => {
                barrier.wait();
                barrier.wait();
                reply.send(0);
            }
            Request::Crash(_reply) => panic!("crashed while holding a reply"),
        }
        Ok(())
    }
}

#[test]
fn an_ask_is_answered() {
    let runtime = Runtime::with_workers(2).unwrap();
    let calculator = runtime.spawn(Calculator);
    for n in 0..100 {
        let reply = calculator.ask(|reply| Request::Square(n, reply)).unwrap();
        assert_eq!(reply.wait_timeout(HANG), Ok(n * n));
    }
    runtime.shutdown();
}

#[test]
fn an_ask_from_outside_waits_for_room_and_try_ask_does_not() {
    let runtime = common::one_worker_runtime(2);
    let calculator = runtime.spawn(Calculator);
    let barrier = Arc::new(Barrier::new(2));
    let held = calculator
        .ask(|reply| Request::Hold(Arc::clone(&barrier), reply))
        .unwrap();
    barrier.wait(); // the actor is now busy; fill its mailbox (capacity 2)
    let queued: Vec<_> = (1..=2)
        .map(|n| calculator.ask(|reply| Request::Square(n, reply)).unwrap())
        .collect();
    match calculator.try_ask(|reply| Request::Square(9, reply)) {
        Err(SendError::Full(Request::Square(9, _))) => {}
        other => panic!("a full mailbox hands the request back at once: {other:?}"),
    }
    // `ask` waits for room: release the actor from another thread a little later.
    let releaser = {
        let barrier = Arc::clone(&barrier);
        thread::spawn(move || {
            // Usually after the ask below has found the mailbox full (either order passes).
            thread::park_timeout(Duration::from_millis(20));
            barrier.wait();
        })
    };
    let waited = calculator
        .ask(|reply| Request::Square(3, reply))
        .expect("ask waits for room instead of failing");
    releaser.join().unwrap();
    assert_eq!(held.wait_timeout(HANG), Ok(0));
    for (n, reply) in (1..=2).zip(queued) {
        assert_eq!(reply.wait_timeout(HANG), Ok(n * n));
    }
    assert_eq!(waited.wait_timeout(HANG), Ok(9));
    runtime.shutdown();
}

#[test]
fn a_timed_out_ask_says_the_actor_is_busy_and_how_much_is_queued() {
    let runtime = Runtime::with_workers(1).unwrap();
    let calculator = runtime.spawn(Calculator);
    let barrier = Arc::new(Barrier::new(2));
    let held = calculator
        .ask(|reply| Request::Hold(Arc::clone(&barrier), reply))
        .unwrap();
    barrier.wait(); // the actor is now busy
    let queued = calculator.ask(|reply| Request::Square(3, reply)).unwrap();
    let error = queued.wait_timeout(Duration::from_millis(20));
    // Release the actor before asserting, so a failed assertion cannot hang the test.
    barrier.wait();
    let error = error.unwrap_err();
    match &error {
        AskError::Timeout {
            actor,
            actor_stopped,
            mailbox_depth,
            ..
        } => {
            assert_eq!(*actor, calculator.id());
            assert!(!actor_stopped);
            // The square request waits behind the held one (depth may lag by uncommitted pops).
            assert!(*mailbox_depth >= 1, "{error:?}");
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(error.to_string().contains("messages queued"), "{error}");
    assert_eq!(held.wait_timeout(HANG), Ok(0));
    runtime.shutdown();
}

#[test]
fn an_actor_that_fails_while_holding_the_reply_yields_dropped_not_a_hang() {
    let runtime = Runtime::with_workers(1).unwrap();
    let calculator = runtime.spawn(Calculator);
    let reply = calculator.ask(Request::Crash).unwrap();
    assert_eq!(
        reply.wait_timeout(HANG),
        Err(AskError::Dropped {
            actor: calculator.id()
        })
    );
    // The actor is gone. The reply was dropped while the handler unwound, a moment before the
    // mailbox closed, so the next ask is either refused (the request handed back) or accepted
    // and dead-lettered (its reply dropped): never answered, never hanging.
    match calculator.ask(|reply| Request::Square(2, reply)) {
        Err(SendError::Closed(Request::Square(2, _))) => {}
        Ok(reply) => {
            assert_eq!(
                reply.wait_timeout(HANG),
                Err(AskError::Dropped {
                    actor: calculator.id()
                })
            );
        }
        Err(other) => panic!("expected Closed, got {other:?}"),
    }
    runtime.shutdown();
}

struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// A minimal executor: polls on this thread, parks until woken.
fn block_on<F: Future>(future: F) -> F::Output {
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut cx = TaskContext::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        thread::park_timeout(HANG);
    }
}

#[test]
fn a_reply_can_be_awaited_as_a_future() {
    let runtime = Runtime::with_workers(2).unwrap();
    let calculator = runtime.spawn(Calculator);
    let reply = calculator.ask(|reply| Request::Square(12, reply)).unwrap();
    assert_eq!(block_on(reply), Ok(144));
    runtime.shutdown();
}
