//! `Intensity` against its model, a `Vec` of every restart's time, with an injected clock.

mod common;

use std::time::{Duration, Instant};

use courier_supervisor::Intensity;
use proptest::prelude::*;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest};

/// The model: every restart ever recorded, and the clock, in milliseconds from the start.
#[derive(Clone, Debug)]
struct Model {
    restarts_max: u32,
    window_ms: u64,
    now_ms: u64,
    restarts_ms: Vec<u64>,
}

impl Model {
    /// Restarts within the window at `now`: those less than a window ago.
    fn in_window(&self) -> usize {
        self.restarts_ms
            .iter()
            .filter(|&&t| self.now_ms - t < self.window_ms)
            .count()
    }
}

#[derive(Clone, Debug)]
enum Step {
    /// The clock moves on by this much, then a restart is asked for.
    Admit { advance_ms: u64 },
    /// The clock moves on, and the window is looked at.
    Wait { advance_ms: u64 },
}

struct Reference;

impl ReferenceStateMachine for Reference {
    type State = Model;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Model> {
        (0_u32..5, 1_u64..50)
            .prop_map(|(restarts_max, window_ms)| Model {
                restarts_max,
                window_ms,
                now_ms: 0,
                restarts_ms: Vec::new(),
            })
            .boxed()
    }

    fn transitions(_: &Model) -> BoxedStrategy<Step> {
        // Small steps, so that bursts within one window are common, and some long ones.
        let advance = prop_oneof![4 => 0_u64..8, 1 => 0_u64..100];
        prop_oneof![
            4 => advance.clone().prop_map(|advance_ms| Step::Admit { advance_ms }),
            1 => advance.prop_map(|advance_ms| Step::Wait { advance_ms }),
        ]
        .boxed()
    }

    fn apply(mut model: Model, step: &Step) -> Model {
        match *step {
            Step::Admit { advance_ms } => {
                model.now_ms += advance_ms;
                model.restarts_ms.push(model.now_ms);
            }
            Step::Wait { advance_ms } => model.now_ms += advance_ms,
        }
        model
    }
}

struct Clocked {
    intensity: Intensity,
    start: Instant,
}

impl Clocked {
    fn now(&self, model: &Model) -> Instant {
        self.start + Duration::from_millis(model.now_ms)
    }
}

struct IntensityTest;

impl StateMachineTest for IntensityTest {
    type SystemUnderTest = Clocked;
    type Reference = Reference;

    fn init_test(model: &Model) -> Clocked {
        Clocked {
            intensity: Intensity::new(model.restarts_max, Duration::from_millis(model.window_ms)),
            start: Instant::now(),
        }
    }

    fn apply(mut sut: Clocked, model: &Model, step: Step) -> Clocked {
        let now = sut.now(model);
        if let Step::Admit { .. } = step {
            // The model has recorded this restart already (it is the state after the step).
            let expected = model.in_window() <= model.restarts_max as usize;
            assert_eq!(
                sut.intensity.admit(now),
                expected,
                "admit at {} ms with {} restarts in the window",
                model.now_ms,
                model.in_window()
            );
        }
        sut
    }

    fn check_invariants(sut: &Clocked, model: &Model) {
        let counted = sut.intensity.restarts_in_window(sut.now(model)) as usize;
        let cap = model.restarts_max as usize + 1;
        assert_eq!(counted, model.in_window().min(cap));
    }
}

#[test]
fn intensity_matches_a_vec_of_every_restart_time() {
    common::run_state_machine::<IntensityTest>(
        "intensity_matches_a_vec_of_every_restart_time",
        512,
        1..60,
    );
}

#[test]
fn a_restart_exactly_one_window_ago_no_longer_counts() {
    let t0 = Instant::now();
    let second = Duration::from_secs(1);
    let mut intensity = Intensity::new(1, second);
    assert!(intensity.admit(t0));
    assert!(!intensity.admit(t0 + Duration::from_nanos(999_999_999)));
    let mut intensity = Intensity::new(1, second);
    assert!(intensity.admit(t0));
    assert!(intensity.admit(t0 + second));
}

#[test]
fn zero_restarts_max_refuses_every_restart() {
    let t0 = Instant::now();
    let mut intensity = Intensity::new(0, Duration::from_secs(1));
    assert!(!intensity.admit(t0));
    assert!(!intensity.admit(t0 + Duration::from_secs(10)));
}

#[test]
fn the_defaults_are_erlangs_one_restart_in_five_seconds() {
    let intensity = Intensity::default();
    assert_eq!(intensity.restarts_max(), 1);
    assert_eq!(intensity.window(), Duration::from_secs(5));
}

#[test]
fn reset_forgets_every_restart() {
    let t0 = Instant::now();
    let mut intensity = Intensity::new(1, Duration::from_secs(1));
    assert!(intensity.admit(t0));
    intensity.reset();
    assert_eq!(intensity.restarts_in_window(t0), 0);
    assert!(intensity.admit(t0));
}
