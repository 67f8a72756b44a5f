//! Timers on real workers: `send_after` in deadline order and never early, cancellation,
//! `send_interval`, and the periodic `after` hook.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use courier_sched::{Actor, Context, Runtime, TimerHandle};

const HANG: Duration = Duration::from_mins(1);

enum Tick {
    Start,
    Fired(u32, Instant),
    Interval,
}

/// Sets its timers on `Start`; reports every firing.
struct Clock {
    report: mpsc::Sender<(u32, Duration)>,
    started: Option<Instant>,
    interval: Option<TimerHandle>,
    interval_fired: u32,
    mode: Mode,
}

#[derive(Clone, Copy)]
enum Mode {
    Ordered,
    Cancelled,
    Interval,
}

impl Actor for Clock {
    type Msg = Tick;
    type Error = std::convert::Infallible;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, tick: Tick) -> Result<(), Self::Error> {
        let me = ctx.myself();
        match tick {
            Tick::Start => {
                let now = Instant::now();
                self.started = Some(now);
                match self.mode {
                    Mode::Ordered => {
                        for ms in [30_u32, 10, 20] {
                            let _ = ctx.send_after(
                                Duration::from_millis(ms.into()),
                                &me,
                                Tick::Fired(ms, now),
                            );
                        }
                    }
                    Mode::Cancelled => {
                        let early =
                            ctx.send_after(Duration::from_millis(20), &me, Tick::Fired(20, now));
                        early.cancel();
                        let _ =
                            ctx.send_after(Duration::from_millis(40), &me, Tick::Fired(40, now));
                    }
                    Mode::Interval => {
                        self.interval = Some(ctx.send_interval(
                            Duration::from_millis(20),
                            &me,
                            || Tick::Interval,
                        ));
                    }
                }
            }
            Tick::Fired(ms, set_at) => {
                self.report
                    .send((ms, set_at.elapsed()))
                    .expect("the test listens");
            }
            Tick::Interval => {
                self.interval_fired += 1;
                if self.interval_fired == 3 {
                    self.interval.as_ref().expect("set on start").cancel();
                    let started = self.started.expect("set on start");
                    let _ =
                        ctx.send_after(Duration::from_millis(100), &me, Tick::Fired(0, started));
                }
                let elapsed = self.started.expect("set on start").elapsed();
                self.report
                    .send((self.interval_fired, elapsed))
                    .expect("the test listens");
            }
        }
        Ok(())
    }
}

fn clock(runtime: &Runtime, mode: Mode) -> mpsc::Receiver<(u32, Duration)> {
    let (report, reports) = mpsc::channel();
    let clock = runtime.spawn(Clock {
        report,
        started: None,
        interval: None,
        interval_fired: 0,
        mode,
    });
    clock.send(Tick::Start).expect("the clock is alive");
    reports
}

#[test]
fn timers_fire_in_deadline_order_and_never_early() {
    let runtime = Runtime::with_workers(1).expect("a runtime starts");
    let reports = clock(&runtime, Mode::Ordered);
    for expected in [10, 20, 30] {
        let (ms, elapsed) = reports.recv_timeout(HANG).expect("the timer fires");
        assert_eq!(ms, expected);
        assert!(
            elapsed >= Duration::from_millis(ms.into()),
            "{ms} ms timer fired after {elapsed:?}"
        );
    }
    runtime.shutdown();
}

#[test]
fn a_cancelled_timer_never_fires() {
    let runtime = Runtime::with_workers(1).expect("a runtime starts");
    let reports = clock(&runtime, Mode::Cancelled);
    // The first report is the 40 ms timer: the cancelled 20 ms one never came before it.
    assert_eq!(reports.recv_timeout(HANG).expect("the timer fires").0, 40);
    runtime.shutdown();
}

#[test]
fn an_interval_repeats_until_cancelled() {
    let runtime = Runtime::with_workers(1).expect("a runtime starts");
    let reports = clock(&runtime, Mode::Interval);
    let mut fired = Vec::new();
    loop {
        let (count, elapsed) = reports.recv_timeout(HANG).expect("the interval fires");
        if count == 0 {
            break; // the check 100 ms after the cancel
        }
        assert!(
            elapsed >= Duration::from_millis(20) * count,
            "firing {count} after {elapsed:?}"
        );
        fired.push(count);
    }
    // Cancelled at the third firing; a firing already on its way (a slow machine) may follow,
    // but nothing comes after the check sent 100 ms later: FIFO per sender, so any interval
    // message sent before the cancel arrived before the check.
    assert!(fired.starts_with(&[1, 2, 3]), "{fired:?}");
    // Nothing more: either silence, or the clock is gone (once its last timer fired, no
    // reference to it was left, so it was freed and its report channel closed).
    let after = reports.recv_timeout(Duration::from_millis(60));
    assert!(
        after.is_err(),
        "the interval fired after it was cancelled: {after:?}"
    );
    runtime.shutdown();
}

/// Counts its `after` hooks and stops at the third.
struct Janitor {
    sweeps: u32,
    done: mpsc::Sender<u32>,
}

impl Actor for Janitor {
    type Msg = ();
    type Error = std::convert::Infallible;

    fn started(&mut self, ctx: &mut Context<'_, Self>) -> Result<(), Self::Error> {
        let _periodic = ctx.after(Duration::from_millis(10));
        Ok(())
    }

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, (): ()) -> Result<(), Self::Error> {
        Ok(())
    }

    fn after(&mut self, ctx: &mut Context<'_, Self>) -> Result<(), Self::Error> {
        self.sweeps += 1;
        if self.sweeps == 3 {
            self.done.send(self.sweeps).expect("the test listens");
            ctx.stop();
        }
        Ok(())
    }
}

#[test]
fn the_after_hook_runs_periodically_until_the_actor_stops() {
    let runtime = Runtime::with_workers(1).expect("a runtime starts");
    let (done, finished) = mpsc::channel();
    let janitor = runtime.spawn(Janitor { sweeps: 0, done });
    assert_eq!(finished.recv_timeout(HANG).expect("three sweeps"), 3);
    let deadline = Instant::now() + HANG;
    while !janitor.is_stopped() {
        assert!(Instant::now() < deadline);
        std::thread::yield_now();
    }
    runtime.shutdown();
}

/// A message whose drop panics: refused by a stopped target, it panics inside the timer that
/// sends it.
struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        panic!("a refused message panicked in its drop");
    }
}

/// Stops as soon as it starts: every send to it is refused.
struct Gone;

impl Actor for Gone {
    type Msg = Bomb;
    type Error = std::convert::Infallible;

    fn started(&mut self, ctx: &mut Context<'_, Self>) -> Result<(), Self::Error> {
        ctx.stop();
        Ok(())
    }

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, bomb: Bomb) -> Result<(), Self::Error> {
        std::mem::forget(bomb);
        Ok(())
    }
}

enum Tempo {
    Start(courier_sched::ActorRef<Bomb>),
    Beat(u32),
    /// Answers whether the interval's timer is cancelled.
    Ping(mpsc::Sender<bool>),
}

/// Beats on an interval whose third `make` panics, and sends a `Bomb` after a delay.
struct Metronome {
    beats: mpsc::Sender<u32>,
    interval: Option<TimerHandle>,
}

impl Actor for Metronome {
    type Msg = Tempo;
    type Error = std::convert::Infallible;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, tempo: Tempo) -> Result<(), Self::Error> {
        match tempo {
            Tempo::Start(gone) => {
                let me = ctx.myself();
                let mut made = 0;
                self.interval = Some(ctx.send_interval(Duration::from_millis(5), &me, move || {
                    made += 1;
                    assert!(made < 3, "the third beat panics");
                    Tempo::Beat(made)
                }));
                let _bomb = ctx.send_after(Duration::from_millis(1), &gone, Bomb);
            }
            Tempo::Beat(count) => self.beats.send(count).expect("the test listens"),
            Tempo::Ping(answer) => {
                let cancelled = self
                    .interval
                    .as_ref()
                    .is_some_and(TimerHandle::is_cancelled);
                answer.send(cancelled).expect("the test listens");
            }
        }
        Ok(())
    }
}

#[test]
fn a_panicking_timer_is_cancelled_and_its_worker_keeps_running() {
    let runtime = Runtime::with_workers(1).expect("a runtime starts");
    let gone = runtime.spawn(Gone);
    let deadline = Instant::now() + HANG;
    while !gone.is_stopped() {
        assert!(Instant::now() < deadline);
        std::thread::yield_now();
    }
    let (beats, heard) = mpsc::channel();
    let metronome = runtime.spawn(Metronome {
        beats,
        interval: None,
    });
    metronome.send(Tempo::Start(gone)).expect("it runs");
    assert_eq!(heard.recv_timeout(HANG), Ok(1));
    assert_eq!(heard.recv_timeout(HANG), Ok(2));
    // The third `make` panicked: no beat after it, ever.
    assert!(heard.recv_timeout(Duration::from_millis(100)).is_err());
    // The one worker still runs actors (the one whose timer panicked among them), and the
    // panicked interval reads as cancelled.
    let (answer, answers) = mpsc::channel();
    metronome.send(Tempo::Ping(answer)).expect("it still runs");
    assert_eq!(answers.recv_timeout(HANG), Ok(true));
    assert!(!metronome.is_stopped());
    runtime.shutdown();
}
