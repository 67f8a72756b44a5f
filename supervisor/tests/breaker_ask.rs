//! The circuit breaker around real asks: timeouts and failures open it, an open breaker
//! rejects without sending, and after the cool-down one good trial closes it.

use std::time::{Duration, Instant};

use courier_sched::{Actor, Context, ReplyTo, Runtime};
use courier_supervisor::{Breaker, BreakerConfig, BreakerState, GuardedError};

enum Req {
    /// Answers `Ok(n)`.
    Good(u32, ReplyTo<Result<u32, String>>),
    /// Answers `Err`.
    Bad(ReplyTo<Result<u32, String>>),
    /// Never answers (keeps the reply handle, so the asker times out).
    Silent(ReplyTo<Result<u32, String>>),
}

#[derive(Default)]
struct Flaky {
    unanswered: Vec<ReplyTo<Result<u32, String>>>,
}

impl Actor for Flaky {
    type Msg = Req;
    type Error = String;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, req: Req) -> Result<(), String> {
        match req {
            Req::Good(n, reply) => reply.send(Ok(n)),
            Req::Bad(reply) => reply.send(Err("bad request".to_owned())),
            Req::Silent(reply) => self.unanswered.push(reply),
        }
        Ok(())
    }
}

const COOL_DOWN: Duration = Duration::from_millis(100);

fn breaker() -> Breaker {
    Breaker::new(BreakerConfig {
        failures_max: 3,
        window: Duration::from_mins(1),
        cool_down: COOL_DOWN,
        trials_max: 1,
    })
}

fn wait_for_half_open(breaker: &Breaker) {
    let deadline = Instant::now() + Duration::from_mins(1);
    while breaker.snapshot().state != BreakerState::HalfOpen {
        assert!(Instant::now() < deadline, "the cool-down never ended");
        std::thread::yield_now();
    }
}

#[test]
fn timeouts_open_the_breaker_and_a_good_trial_closes_it() {
    let runtime = Runtime::with_workers(2).expect("a runtime");
    let flaky = runtime.spawn(Flaky::default());
    let breaker = breaker();
    let short = Duration::from_millis(20);
    assert_eq!(
        breaker
            .ask(&flaky, |r| Req::Good(1, r), short)
            .expect("answered"),
        Ok(1)
    );
    for _ in 0..3 {
        let error = breaker
            .ask(&flaky, Req::Silent, short)
            .expect_err("no answer");
        assert!(matches!(error, GuardedError::Ask(_)), "{error}");
    }
    let snapshot = breaker.snapshot();
    assert_eq!(snapshot.state, BreakerState::Open);
    let depth_before = flaky.mailbox_depth();
    let rejected = breaker
        .ask(&flaky, |r| Req::Good(2, r), short)
        .expect_err("rejected");
    let GuardedError::Rejected { state, retry_after } = rejected else {
        panic!("expected a rejection, got {rejected}")
    };
    assert_eq!(state, BreakerState::Open);
    assert!(retry_after.is_some_and(|after| after <= COOL_DOWN));
    assert_eq!(
        flaky.mailbox_depth(),
        depth_before,
        "a rejected call sends nothing"
    );
    wait_for_half_open(&breaker);
    assert_eq!(
        breaker
            .ask(&flaky, |r| Req::Good(3, r), short)
            .expect("a trial"),
        Ok(3)
    );
    let snapshot = breaker.snapshot();
    assert_eq!(snapshot.state, BreakerState::Closed);
    assert_eq!(snapshot.counts.timeouts, 3);
    assert_eq!(snapshot.counts.rejected, 1);
    runtime.shutdown();
}

#[test]
fn error_answers_count_as_failures_and_a_failed_trial_opens_it_again() {
    let runtime = Runtime::with_workers(2).expect("a runtime");
    let flaky = runtime.spawn(Flaky::default());
    let breaker = breaker();
    let wait = Duration::from_secs(10);
    for _ in 0..3 {
        let answer = breaker
            .ask_result(&flaky, Req::Bad, wait)
            .expect("answered");
        assert_eq!(answer, Err("bad request".to_owned()));
    }
    assert_eq!(breaker.snapshot().state, BreakerState::Open);
    wait_for_half_open(&breaker);
    let _ = breaker.ask_result(&flaky, Req::Bad, wait).expect("a trial");
    assert_eq!(
        breaker.snapshot().state,
        BreakerState::Open,
        "the failed trial reopens it"
    );
    assert_eq!(breaker.snapshot().counts.failures, 4);
    // A request to a stopped actor is refused by the mailbox: a failure, with the request
    // handed back.
    let _ = flaky.stop();
    wait_for_half_open(&breaker);
    let deadline = Instant::now() + Duration::from_mins(1);
    while !flaky.is_stopped() {
        assert!(Instant::now() < deadline);
        std::thread::yield_now();
    }
    let error = breaker
        .ask(&flaky, |r| Req::Good(1, r), wait)
        .expect_err("refused");
    assert!(matches!(error, GuardedError::Send(_)), "{error}");
    assert_eq!(breaker.snapshot().state, BreakerState::Open);
    runtime.shutdown();
}
