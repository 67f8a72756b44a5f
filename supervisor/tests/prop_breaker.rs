//! `CircuitBreaker` against a model state machine, with an injected clock.
//!
//! The model keeps every failure since the breaker last closed (never pruned), the permits
//! handed out with the generation that granted them, and the counts; it works out each answer
//! from those. After every step the breaker's snapshot must be the model's.

mod common;

use std::time::{Duration, Instant};

use courier_supervisor::{
    Admission, BreakerConfig, BreakerCounts, BreakerSnapshot, BreakerState, CallOutcome,
    CircuitBreaker, Permit, Record,
};
use proptest::prelude::*;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Closed,
    Open { since_ms: u64 },
    HalfOpen,
}

/// What the model says a step answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    Granted {
        trial: bool,
    },
    Rejected {
        state: BreakerState,
        retry_after_ms: Option<u64>,
    },
    Recorded(Record),
    Abandoned,
}

#[derive(Clone, Debug)]
struct Model {
    config: BreakerConfig,
    now_ms: u64,
    mode: Mode,
    generation: u64,
    /// Failures and timeouts since the breaker last closed, by time.
    failures_ms: Vec<u64>,
    /// Permits handed out and not yet handed back: (generation, trial).
    permits: Vec<(u64, bool)>,
    /// Trials granted in this half-open generation and not yet handed back.
    trials_in_flight: u32,
    counts: BreakerCounts,
    answer: Option<Answer>,
}

#[derive(Clone, Copy, Debug)]
enum Step {
    Acquire {
        advance_ms: u64,
    },
    Record {
        pick: usize,
        outcome: CallOutcome,
        advance_ms: u64,
    },
    Abandon {
        pick: usize,
        advance_ms: u64,
    },
}

fn ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).expect("short durations")
}

impl Model {
    fn enter(&mut self, mode: Mode) {
        self.mode = mode;
        self.generation += 1;
        self.trials_in_flight = 0;
        if mode == Mode::Closed {
            self.failures_ms.clear();
        }
    }

    fn cool_down_over(&self, since_ms: u64) -> bool {
        self.now_ms - since_ms >= ms(self.config.cool_down)
    }

    fn failures_in_window(&self) -> usize {
        let window = ms(self.config.window);
        self.failures_ms
            .iter()
            .filter(|&&t| self.now_ms - t < window)
            .count()
    }

    fn acquire(&mut self) -> Answer {
        if let Mode::Open { since_ms } = self.mode
            && self.cool_down_over(since_ms)
        {
            self.enter(Mode::HalfOpen);
        }
        let answer = match self.mode {
            Mode::Closed => Answer::Granted { trial: false },
            Mode::Open { since_ms } => Answer::Rejected {
                state: BreakerState::Open,
                retry_after_ms: Some(ms(self.config.cool_down) - (self.now_ms - since_ms)),
            },
            Mode::HalfOpen if self.trials_in_flight < self.config.trials_max => {
                self.trials_in_flight += 1;
                Answer::Granted { trial: true }
            }
            Mode::HalfOpen => Answer::Rejected {
                state: BreakerState::HalfOpen,
                retry_after_ms: None,
            },
        };
        if let Answer::Granted { trial } = answer {
            self.counts.granted += 1;
            self.permits.push((self.generation, trial));
        } else {
            self.counts.rejected += 1;
        }
        answer
    }

    fn record(&mut self, pick: usize, outcome: CallOutcome) -> Record {
        let (generation, _) = self.permits.remove(pick);
        if generation != self.generation {
            self.counts.stale += 1;
            return Record::Stale;
        }
        match outcome {
            CallOutcome::Success => self.counts.successes += 1,
            CallOutcome::Failure => self.counts.failures += 1,
            CallOutcome::Timeout => self.counts.timeouts += 1,
        }
        let failed = outcome != CallOutcome::Success;
        match self.mode {
            Mode::Closed if failed => {
                self.failures_ms.push(self.now_ms);
                if self.failures_in_window() >= self.config.failures_max as usize {
                    self.counts.opened += 1;
                    self.enter(Mode::Open {
                        since_ms: self.now_ms,
                    });
                    Record::Opened
                } else {
                    Record::Counted
                }
            }
            Mode::Closed => Record::Counted,
            Mode::HalfOpen if failed => {
                self.counts.opened += 1;
                self.enter(Mode::Open {
                    since_ms: self.now_ms,
                });
                Record::Opened
            }
            Mode::HalfOpen => {
                self.enter(Mode::Closed);
                Record::Closed
            }
            Mode::Open { .. } => unreachable!("no permit of an open generation"),
        }
    }

    fn abandon(&mut self, pick: usize) {
        let (generation, _) = self.permits.remove(pick);
        if generation == self.generation && self.mode == Mode::HalfOpen {
            self.trials_in_flight -= 1;
        }
    }

    fn snapshot(&self) -> BreakerSnapshot {
        let (state, failures, trials, retry_after) = match self.mode {
            Mode::Closed => (BreakerState::Closed, self.failures_in_window(), 0, None),
            Mode::Open { since_ms } if !self.cool_down_over(since_ms) => {
                let left = ms(self.config.cool_down) - (self.now_ms - since_ms);
                (BreakerState::Open, 0, 0, Some(Duration::from_millis(left)))
            }
            Mode::Open { .. } => (BreakerState::HalfOpen, 0, 0, None),
            Mode::HalfOpen => (BreakerState::HalfOpen, 0, self.trials_in_flight, None),
        };
        BreakerSnapshot {
            state,
            failures_in_window: u32::try_from(failures).expect("few"),
            trials_in_flight: trials,
            retry_after,
            counts: self.counts,
        }
    }
}

fn advance() -> impl Strategy<Value = u64> {
    prop_oneof![4 => 0_u64..5, 1 => 0_u64..60]
}

struct Reference;

impl ReferenceStateMachine for Reference {
    type State = Model;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Model> {
        (1_u32..5, 1_u64..40, 1_u64..40, 1_u32..4)
            .prop_map(
                |(failures_max, window_ms, cool_down_ms, trials_max)| Model {
                    config: BreakerConfig {
                        failures_max,
                        window: Duration::from_millis(window_ms),
                        cool_down: Duration::from_millis(cool_down_ms),
                        trials_max,
                    },
                    now_ms: 0,
                    mode: Mode::Closed,
                    generation: 0,
                    failures_ms: vec![],
                    permits: vec![],
                    trials_in_flight: 0,
                    counts: BreakerCounts::default(),
                    answer: None,
                },
            )
            .boxed()
    }

    fn transitions(model: &Model) -> BoxedStrategy<Step> {
        let acquire = advance().prop_map(|advance_ms| Step::Acquire { advance_ms });
        let held = model.permits.len();
        if held == 0 {
            return acquire.boxed();
        }
        let outcome = prop_oneof![
            Just(CallOutcome::Success),
            Just(CallOutcome::Failure),
            Just(CallOutcome::Timeout),
        ];
        let record =
            (0..held, outcome, advance()).prop_map(|(pick, outcome, advance_ms)| Step::Record {
                pick,
                outcome,
                advance_ms,
            });
        let abandon =
            (0..held, advance()).prop_map(|(pick, advance_ms)| Step::Abandon { pick, advance_ms });
        prop_oneof![3 => acquire, 3 => record, 1 => abandon].boxed()
    }

    fn preconditions(model: &Model, step: &Step) -> bool {
        match *step {
            Step::Acquire { .. } => true,
            Step::Record { pick, .. } | Step::Abandon { pick, .. } => pick < model.permits.len(),
        }
    }

    fn apply(mut model: Model, step: &Step) -> Model {
        let answer = match *step {
            Step::Acquire { advance_ms } => {
                model.now_ms += advance_ms;
                model.acquire()
            }
            Step::Record {
                pick,
                outcome,
                advance_ms,
            } => {
                model.now_ms += advance_ms;
                Answer::Recorded(model.record(pick, outcome))
            }
            Step::Abandon { pick, advance_ms } => {
                model.now_ms += advance_ms;
                model.abandon(pick);
                Answer::Abandoned
            }
        };
        model.answer = Some(answer);
        model
    }
}

struct Sut {
    breaker: CircuitBreaker,
    /// The permits held, in the model's order.
    permits: Vec<Permit>,
    start: Instant,
}

struct BreakerTest;

impl StateMachineTest for BreakerTest {
    type SystemUnderTest = Sut;
    type Reference = Reference;

    fn init_test(model: &Model) -> Sut {
        Sut {
            breaker: CircuitBreaker::new(model.config),
            permits: vec![],
            start: Instant::now(),
        }
    }

    fn apply(mut sut: Sut, model: &Model, step: Step) -> Sut {
        let now = sut.start + Duration::from_millis(model.now_ms);
        let answer = match step {
            Step::Acquire { .. } => match sut.breaker.try_acquire(now) {
                Admission::Granted(permit) => {
                    let trial = permit.is_trial();
                    sut.permits.push(permit);
                    Answer::Granted { trial }
                }
                Admission::Rejected { state, retry_after } => Answer::Rejected {
                    state,
                    retry_after_ms: retry_after.map(ms),
                },
            },
            Step::Record { pick, outcome, .. } => {
                let permit = sut.permits.remove(pick);
                Answer::Recorded(sut.breaker.record(permit, outcome, now))
            }
            Step::Abandon { pick, .. } => {
                sut.breaker.abandon(sut.permits.remove(pick));
                Answer::Abandoned
            }
        };
        assert_eq!(Some(answer), model.answer, "after {step:?}");
        sut
    }

    fn check_invariants(sut: &Sut, model: &Model) {
        let now = sut.start + Duration::from_millis(model.now_ms);
        assert_eq!(sut.breaker.snapshot(now), model.snapshot());
        let trials: Vec<bool> = sut.permits.iter().map(Permit::is_trial).collect();
        let model_trials: Vec<bool> = model.permits.iter().map(|&(_, trial)| trial).collect();
        assert_eq!(trials, model_trials);
    }
}

#[test]
fn the_breaker_matches_the_model_through_every_transition() {
    common::run_state_machine::<BreakerTest>(
        "the_breaker_matches_the_model_through_every_transition",
        512,
        1..80,
    );
}
