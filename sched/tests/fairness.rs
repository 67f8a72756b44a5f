//! Run-queue order: spawning trees run depth-first (the nursery), yet a spawning storm never
//! starves an actor that is waiting in the FIFO queue; a turn that waits for its next message
//! (a lingering one) never keeps other actors from its worker; nor does an endless rally
//! through the LIFO slot keep a pinned actor or outside work from it.

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::Duration;

use courier_sched::{Actor, ActorRef, Context, LocalRuntime, Runtime};

mod common;

/// Each link spawns the next, up to `left`; counts how many have started. The first one also
/// gives the witness its queue, so the witness waits in the FIFO queue during the storm.
struct Chain {
    left: u64,
    started: Arc<AtomicU64>,
    witness: Option<(ActorRef<()>, u64)>,
}

impl Actor for Chain {
    type Msg = ();
    type Error = String;

    fn started(&mut self, ctx: &mut Context<'_, Self>) -> Result<(), String> {
        // ORDERING: Relaxed; one thread (a LocalRuntime), a plain counter.
        self.started.fetch_add(1, Ordering::Relaxed);
        if let Some((witness, messages)) = self.witness.take() {
            for _ in 0..messages {
                witness.try_send(()).map_err(|e| e.to_string())?;
            }
        }
        if self.left > 0 {
            let _next = ctx.spawn(Chain {
                left: self.left - 1,
                started: Arc::clone(&self.started),
                witness: None,
            });
        }
        ctx.stop();
        Ok(())
    }

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, (): ()) -> Result<(), String> {
        Ok(())
    }
}

/// Handles its queue (longer than one turn's budget, so it goes back to the FIFO queue), and
/// notes how far the storm had got when it finished.
struct Witness {
    left: u64,
    storm: Arc<AtomicU64>,
    seen_at: Arc<AtomicU64>,
}

impl Actor for Witness {
    type Msg = ();
    type Error = String;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, (): ()) -> Result<(), String> {
        self.left -= 1;
        if self.left == 0 {
            // ORDERING: Relaxed; one thread.
            self.seen_at
                .store(self.storm.load(Ordering::Relaxed), Ordering::Relaxed);
        }
        Ok(())
    }
}

#[test]
fn a_spawning_storm_does_not_starve_a_queued_actor() {
    const STORM: u64 = 20_000;
    const QUEUED: u64 = 1_000;
    let runtime = LocalRuntime::new().expect("a local runtime");
    let storm = Arc::new(AtomicU64::new(0));
    let seen_at = Arc::new(AtomicU64::new(u64::MAX));
    let witness = runtime.spawn(Witness {
        left: QUEUED,
        storm: Arc::clone(&storm),
        seen_at: Arc::clone(&seen_at),
    });
    let _chain = runtime.spawn(Chain {
        left: STORM,
        started: Arc::clone(&storm),
        witness: Some((witness, QUEUED)),
    });
    runtime.run();
    // ORDERING: Relaxed; `run` returned on this thread.
    assert_eq!(
        storm.load(Ordering::Relaxed),
        STORM + 1,
        "the whole chain ran"
    );
    let at = seen_at.load(Ordering::Relaxed);
    // 16 turns of 64 messages, one every 8 picks: done within the first few hundred links.
    assert!(
        at < STORM / 10,
        "the witness finished only when {at} of {STORM} links had started"
    );
}

#[test]
fn a_spawning_tree_runs_depth_first_so_few_actors_live_at_once() {
    /// A binary tree of `depth` levels; counts live actors and the most at once.
    struct Node {
        depth: u32,
        live: Arc<AtomicU64>,
        peak: Arc<AtomicU64>,
    }

    impl Actor for Node {
        type Msg = ();
        type Error = String;

        fn started(&mut self, ctx: &mut Context<'_, Self>) -> Result<(), String> {
            // ORDERING: Relaxed; one thread.
            let live = self.live.fetch_add(1, Ordering::Relaxed) + 1;
            self.peak.fetch_max(live, Ordering::Relaxed);
            if self.depth > 0 {
                for _ in 0..2 {
                    let _child = ctx.spawn(Node {
                        depth: self.depth - 1,
                        live: Arc::clone(&self.live),
                        peak: Arc::clone(&self.peak),
                    });
                }
            }
            ctx.stop();
            Ok(())
        }

        fn handle(&mut self, _ctx: &mut Context<'_, Self>, (): ()) -> Result<(), String> {
            Ok(())
        }

        fn stopped(&mut self, _ctx: &mut Context<'_, Self>, _reason: &courier_sched::Exit) {
            // ORDERING: Relaxed; one thread.
            self.live.fetch_sub(1, Ordering::Relaxed);
        }
    }

    let runtime = LocalRuntime::new().expect("a local runtime");
    let (live, peak) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let _root = runtime.spawn(Node {
        depth: 14,
        live: Arc::clone(&live),
        peak: Arc::clone(&peak),
    });
    runtime.run();
    // ORDERING: Relaxed; `run` returned on this thread.
    let peak = peak.load(Ordering::Relaxed);
    // 32,767 actors in all; breadth-first would hold the last level (16,384) at once.
    assert!(peak < 100, "{peak} actors alive at once");
}

/// Counts what it is sent.
struct Sink(Arc<AtomicU64>);

impl Actor for Sink {
    type Msg = u64;
    type Error = Infallible;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, _n: u64) -> Result<(), Infallible> {
        // ORDERING: Relaxed; a counter read after the run.
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// Reports each message it handles.
struct Echo(mpsc::Sender<u64>);

impl Actor for Echo {
    type Msg = u64;
    type Error = Infallible;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, n: u64) -> Result<(), Infallible> {
        self.0.send(n).expect("the test waits");
        Ok(())
    }
}

#[test]
fn an_actor_fed_a_stream_on_a_single_worker_never_keeps_another_from_running() {
    const HANG: Duration = Duration::from_mins(1);
    const ECHOES: u64 = 200;
    let runtime = Runtime::with_workers(1).expect("a runtime");
    let (received, stream_live) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicBool::new(true)));
    let sink = runtime.spawn(Sink(Arc::clone(&received)));
    // One outside sender keeps the sink's mailbox just fed: its turns empty it and wait for
    // the next message (`Worker::linger`) rather than end.
    let stream = thread::spawn({
        let live = Arc::clone(&stream_live);
        move || {
            let mut sent = 0_u64;
            // ORDERING: Relaxed; a stop flag, joined below.
            while live.load(Ordering::Relaxed) {
                sink.send(sent).expect("the sink is alive");
                sent += 1;
            }
            sent
        }
    });
    // The stream first: on a loaded machine the sending thread could start after every echo
    // was done, and the test would have tested nothing.
    // ORDERING: Relaxed; only a sign that the stream runs.
    common::wait_for(|| received.load(Ordering::Relaxed) > 0);
    let (reply, replies) = mpsc::channel();
    let echo = runtime.spawn(Echo(reply));
    for n in 0..ECHOES {
        // One at a time: each must get a turn on the worker the sink holds.
        echo.send(n).expect("the echo is alive");
        assert_eq!(replies.recv_timeout(HANG), Ok(n), "the echo got no turn");
    }
    // ORDERING: Relaxed; see above.
    stream_live.store(false, Ordering::Relaxed);
    let sent = stream.join().expect("the sender does not panic");
    assert!(sent > 0);
    drop(echo);
    runtime.shutdown();
    // ORDERING: Relaxed; the workers are joined.
    let handled = received.load(Ordering::Relaxed);
    assert!(handled <= sent, "{handled} handled of {sent} sent");
}

/// What a rally player is sent: its peer, then the ball.
enum Hit {
    Meet(ActorRef<Hit>),
    Ball(u64),
}

/// Returns the ball for ever, until the flag drops: a rally of two such players on one worker
/// runs through the LIFO slot alone, the run-on rule of the pick (`PROTOCOL.md`) included.
struct Rally {
    peer: Option<ActorRef<Hit>>,
    live: Arc<AtomicBool>,
    hits: Arc<AtomicU64>,
    /// Dropped with the player: the test waits for both to be gone, since each holds the
    /// other's address (a cycle that only their exits break).
    _gone: mpsc::Sender<()>,
}

impl Actor for Rally {
    type Msg = Hit;
    type Error = Infallible;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, hit: Hit) -> Result<(), Infallible> {
        match hit {
            Hit::Meet(peer) => self.peer = Some(peer),
            Hit::Ball(n) => {
                // ORDERING: Relaxed; a progress counter and a stop flag, nothing published
                // with them.
                self.hits.fetch_add(1, Ordering::Relaxed);
                if self.live.load(Ordering::Relaxed)
                    && let Some(peer) = &self.peer
                {
                    let _ = peer.try_send(Hit::Ball(n + 1));
                }
            }
        }
        Ok(())
    }
}

#[test]
fn an_endless_rally_on_one_worker_leaves_room_for_pinned_and_outside_work() {
    let runtime = Runtime::with_workers(1).expect("a runtime");
    let (live, hits) = (Arc::new(AtomicBool::new(true)), Arc::new(AtomicU64::new(0)));
    let (gone, all_gone) = mpsc::channel();
    let players: Vec<ActorRef<Hit>> = (0..2)
        .map(|_| {
            runtime.spawn(Rally {
                peer: None,
                live: Arc::clone(&live),
                hits: Arc::clone(&hits),
                _gone: gone.clone(),
            })
        })
        .collect();
    drop(gone);
    players[0]
        .send(Hit::Meet(players[1].clone()))
        .expect("the player is alive");
    players[1]
        .send(Hit::Meet(players[0].clone()))
        .expect("the player is alive");
    players[0].send(Hit::Ball(0)).expect("the player is alive");
    let (warm_up, rounds) = if common::under_valgrind() {
        (100, 3)
    } else {
        (1_000, 20)
    };
    // ORDERING: Relaxed; only a sign that the rally runs.
    common::wait_for(|| hits.load(Ordering::Relaxed) > warm_up);
    let (reply, replies) = mpsc::channel();
    let pinned = runtime
        .spawn_on_worker(Echo(reply.clone()), courier_sched::WorkerId(0))
        .expect("worker 0 exists");
    let outside = runtime.spawn(Echo(reply));
    for n in 0..rounds {
        // Each must get a turn on the worker the rally holds: the pinned one through the
        // inbox (looked at whenever the LIFO streak ends), the other through the injector
        // (polled every 61st pick).
        pinned.send(2 * n).expect("the pinned echo is alive");
        assert_eq!(
            replies.recv_timeout(common::HANG),
            Ok(2 * n),
            "the pinned echo got no turn"
        );
        outside.send(2 * n + 1).expect("the echo is alive");
        assert_eq!(
            replies.recv_timeout(common::HANG),
            Ok(2 * n + 1),
            "the echo got no turn"
        );
    }
    // ORDERING: Relaxed; the rally still ran meanwhile: it was not the one kept waiting.
    let during = hits.load(Ordering::Relaxed);
    common::wait_for(|| hits.load(Ordering::Relaxed) > during);
    // ORDERING: Relaxed; see `Rally`.
    live.store(false, Ordering::Relaxed);
    for player in &players {
        let _stopped = player.stop();
    }
    assert_eq!(
        all_gone.recv_timeout(common::HANG),
        Err(mpsc::RecvTimeoutError::Disconnected),
        "both players exit"
    );
    drop((players, pinned, outside));
    runtime.shutdown();
}
