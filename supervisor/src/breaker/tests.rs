use super::*;

const SECOND: Duration = Duration::from_secs(1);

fn config() -> BreakerConfig {
    BreakerConfig {
        failures_max: 3,
        window: 10 * SECOND,
        cool_down: 5 * SECOND,
        trials_max: 2,
    }
}

fn grant(breaker: &mut CircuitBreaker, now: Instant) -> Permit {
    match breaker.try_acquire(now) {
        Admission::Granted(permit) => permit,
        rejected @ Admission::Rejected { .. } => panic!("expected a permit, got {rejected:?}"),
    }
}

fn call(breaker: &mut CircuitBreaker, outcome: CallOutcome, now: Instant) -> Record {
    let permit = grant(breaker, now);
    breaker.record(permit, outcome, now)
}

/// A breaker opened at `t0`.
fn opened(t0: Instant) -> CircuitBreaker {
    let mut breaker = CircuitBreaker::new(config());
    call(&mut breaker, CallOutcome::Failure, t0);
    call(&mut breaker, CallOutcome::Timeout, t0);
    assert_eq!(call(&mut breaker, CallOutcome::Failure, t0), Record::Opened);
    breaker
}

#[test]
fn a_closed_breaker_grants_calls_and_counts_failures_in_the_window() {
    let t0 = Instant::now();
    let mut breaker = CircuitBreaker::new(config());
    assert_eq!(
        call(&mut breaker, CallOutcome::Failure, t0),
        Record::Counted
    );
    assert_eq!(
        call(&mut breaker, CallOutcome::Success, t0),
        Record::Counted
    );
    assert_eq!(
        call(&mut breaker, CallOutcome::Timeout, t0 + SECOND),
        Record::Counted
    );
    let snapshot = breaker.snapshot(t0 + SECOND);
    assert_eq!(snapshot.state, BreakerState::Closed);
    assert_eq!(snapshot.failures_in_window, 2);
    assert_eq!(breaker.snapshot(t0 + 10 * SECOND).failures_in_window, 1);
    assert_eq!(snapshot.counts.granted, 3);
    assert_eq!(
        (
            snapshot.counts.successes,
            snapshot.counts.failures,
            snapshot.counts.timeouts
        ),
        (1, 1, 1)
    );
}

#[test]
fn failures_that_left_the_window_do_not_open_the_breaker() {
    let t0 = Instant::now();
    let mut breaker = CircuitBreaker::new(config());
    call(&mut breaker, CallOutcome::Failure, t0);
    call(&mut breaker, CallOutcome::Failure, t0 + SECOND);
    let later = t0 + 10 * SECOND;
    assert_eq!(
        call(&mut breaker, CallOutcome::Failure, later),
        Record::Counted
    );
    assert_eq!(breaker.snapshot(later).state, BreakerState::Closed);
}

#[test]
fn the_threshold_of_failures_within_the_window_opens_the_breaker() {
    let t0 = Instant::now();
    let mut breaker = opened(t0);
    let snapshot = breaker.snapshot(t0);
    assert_eq!(snapshot.state, BreakerState::Open);
    assert_eq!(snapshot.counts.opened, 1);
    assert_eq!(snapshot.retry_after, Some(5 * SECOND));
    assert_eq!(
        breaker.try_acquire(t0 + 2 * SECOND),
        Admission::Rejected {
            state: BreakerState::Open,
            retry_after: Some(3 * SECOND)
        }
    );
    assert_eq!(breaker.snapshot(t0).counts.rejected, 1);
}

#[test]
fn an_open_breaker_lets_limited_trials_through_after_the_cool_down() {
    let t0 = Instant::now();
    let mut breaker = opened(t0);
    let later = t0 + 5 * SECOND;
    assert_eq!(breaker.snapshot(later).state, BreakerState::HalfOpen);
    let first = grant(&mut breaker, later);
    let second = grant(&mut breaker, later);
    assert!(first.is_trial() && second.is_trial());
    assert_eq!(
        breaker.try_acquire(later),
        Admission::Rejected {
            state: BreakerState::HalfOpen,
            retry_after: None
        }
    );
    assert_eq!(breaker.snapshot(later).trials_in_flight, 2);
    breaker.abandon(second);
    assert_eq!(breaker.snapshot(later).trials_in_flight, 1);
    let third = grant(&mut breaker, later);
    drop((first, third));
}

#[test]
fn a_successful_trial_closes_the_breaker_and_forgets_the_failures() {
    let t0 = Instant::now();
    let mut breaker = opened(t0);
    let later = t0 + 5 * SECOND;
    let trial = grant(&mut breaker, later);
    let other = grant(&mut breaker, later);
    assert_eq!(
        breaker.record(trial, CallOutcome::Success, later),
        Record::Closed
    );
    let snapshot = breaker.snapshot(later);
    assert_eq!(snapshot.state, BreakerState::Closed);
    assert_eq!(snapshot.failures_in_window, 0);
    // The other trial finished after the state changed: stale, not counted as a failure.
    assert_eq!(
        breaker.record(other, CallOutcome::Failure, later),
        Record::Stale
    );
    assert_eq!(breaker.snapshot(later).counts.stale, 1);
    assert_eq!(breaker.snapshot(later).state, BreakerState::Closed);
}

#[test]
fn a_failed_trial_opens_the_breaker_for_a_new_cool_down() {
    let t0 = Instant::now();
    let mut breaker = opened(t0);
    let later = t0 + 6 * SECOND;
    let trial = grant(&mut breaker, later);
    assert_eq!(
        breaker.record(trial, CallOutcome::Timeout, later),
        Record::Opened
    );
    let snapshot = breaker.snapshot(later + SECOND);
    assert_eq!(snapshot.state, BreakerState::Open);
    assert_eq!(snapshot.retry_after, Some(4 * SECOND));
    assert_eq!(snapshot.counts.opened, 2);
}

#[test]
fn a_call_granted_while_closed_that_ends_after_opening_is_stale() {
    let t0 = Instant::now();
    let mut breaker = CircuitBreaker::new(config());
    let slow = grant(&mut breaker, t0);
    for _ in 0..3 {
        call(&mut breaker, CallOutcome::Failure, t0);
    }
    assert_eq!(
        breaker.record(slow, CallOutcome::Failure, t0),
        Record::Stale
    );
    assert_eq!(breaker.snapshot(t0).counts.failures, 3);
}

#[test]
#[should_panic(expected = "failures_max must be at least 1")]
fn a_breaker_that_could_never_stay_closed_is_refused() {
    let _ = CircuitBreaker::new(BreakerConfig {
        failures_max: 0,
        ..config()
    });
}
