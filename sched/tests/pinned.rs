//! Actors pinned to a worker (`spawn_on_worker`): they run only there, whoever sends to them,
//! a parked worker is woken for them (P1-P2), and a bad worker id is refused.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use courier_sched::{Actor, ActorRef, Context, Runtime, SpawnError, WorkerId};

const HANG: Duration = Duration::from_mins(1);

/// Reports the worker each message ran on.
struct Where(mpsc::Sender<WorkerId>);

impl Actor for Where {
    type Msg = ();
    type Error = String;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, (): ()) -> Result<(), String> {
        self.0.send(ctx.worker()).map_err(|e| e.to_string())
    }
}

#[test]
fn a_pinned_actor_runs_only_on_its_worker() {
    let runtime = Runtime::with_workers(2).expect("a runtime");
    for worker in [WorkerId(0), WorkerId(1)] {
        let (tx, seen) = mpsc::channel();
        let pinned = runtime
            .spawn_on_worker(Where(tx), worker)
            .expect("a worker");
        for _ in 0..10_000 {
            pinned.send(()).expect("sent");
        }
        for _ in 0..10_000 {
            assert_eq!(seen.recv_timeout(HANG).expect("handled"), worker);
        }
    }
    runtime.shutdown();
}

enum Ball {
    Serve(ActorRef<Ball>, u32, mpsc::Sender<Vec<WorkerId>>),
    Hit(ActorRef<Ball>, u32),
}

/// Plays ping-pong, recording where each of its hits ran.
struct Player {
    seen: Vec<WorkerId>,
    done: Option<mpsc::Sender<Vec<WorkerId>>>,
}

impl Actor for Player {
    type Msg = Ball;
    type Error = String;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, ball: Ball) -> Result<(), String> {
        self.seen.push(ctx.worker());
        let (other, left) = match ball {
            Ball::Serve(other, left, done) => {
                self.done = Some(done);
                (other, left)
            }
            Ball::Hit(other, left) => (other, left),
        };
        if left == 0 {
            if let Some(done) = self.done.take() {
                done.send(std::mem::take(&mut self.seen))
                    .map_err(|e| e.to_string())?;
            }
            return other
                .try_send(Ball::Hit(ctx.myself(), 0))
                .map_err(|e| e.to_string());
        }
        other
            .try_send(Ball::Hit(ctx.myself(), left - 1))
            .map_err(|e| e.to_string())
    }
}

#[test]
fn pinned_players_cross_workers_on_every_hit() {
    let runtime = Runtime::with_workers(2).expect("a runtime");
    let player = || Player {
        seen: Vec::new(),
        done: None,
    };
    let a = runtime
        .spawn_on_worker(player(), WorkerId(0))
        .expect("worker 0");
    let b = runtime
        .spawn_on_worker(player(), WorkerId(1))
        .expect("worker 1");
    let (done, finished) = mpsc::channel();
    a.send(Ball::Serve(b.clone(), 20_000, done))
        .expect("served");
    let seen = finished.recv_timeout(HANG).expect("the rally ends");
    assert!(seen.len() > 10_000, "{}", seen.len());
    assert!(
        seen.iter().all(|w| *w == WorkerId(0)),
        "a hit ran off worker 0"
    );
    runtime.shutdown();
}

#[test]
fn a_parked_worker_is_woken_for_its_pinned_actor() {
    let runtime = Runtime::with_workers(2).expect("a runtime");
    let (tx, seen) = mpsc::channel();
    let pinned = runtime
        .spawn_on_worker(Where(tx), WorkerId(1))
        .expect("a worker");
    for round in 0..200 {
        // Let the workers go idle (and usually park) before each send.
        let idle_until =
            Instant::now() + Duration::from_micros(if round % 10 == 0 { 2000 } else { 50 });
        while Instant::now() < idle_until {
            std::thread::yield_now();
        }
        pinned.send(()).expect("sent");
        assert_eq!(
            seen.recv_timeout(HANG).expect("no lost wake-up"),
            WorkerId(1)
        );
    }
    assert!(
        runtime.metrics().workers[1].parks > 0,
        "the test parked worker 1 at least once"
    );
    runtime.shutdown();
}

#[test]
fn a_worker_that_does_not_exist_is_refused() {
    let runtime = Runtime::with_workers(2).expect("a runtime");
    let (tx, _seen) = mpsc::channel();
    let refused = runtime
        .spawn_on_worker(Where(tx), WorkerId(2))
        .expect_err("no worker 2");
    assert_eq!(
        refused,
        SpawnError::NoSuchWorker {
            worker: WorkerId(2),
            workers: 2
        }
    );
    assert!(refused.to_string().contains("worker 2"));
    runtime.shutdown();
}
