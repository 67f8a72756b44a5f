//! Helpers shared by the property tests: the seed rule and the state-machine runner.

#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test binary uses a different subset"
)]

use std::fmt::Debug;
use std::ops::Range;
use std::time::{SystemTime, UNIX_EPOCH};

use proptest::test_runner::{Config, RngSeed, TestRunner};
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest};

/// The seed of a randomized test: `COURIER_TEST_SEED` when set, else fresh. Printed either way
/// so a failure can be replayed.
///
/// # Panics
/// If `COURIER_TEST_SEED` is set but is not a `u64`.
pub fn seed(test: &str) -> u64 {
    let seed = std::env::var("COURIER_TEST_SEED").ok().map_or_else(
        || {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            u64::try_from(now.as_nanos() % u128::from(u64::MAX)).unwrap_or(1)
        },
        |text| text.parse().expect("COURIER_TEST_SEED must be a u64"),
    );
    eprintln!("{test}: seed {seed} (replay with COURIER_TEST_SEED={seed})");
    seed
}

/// Runs the state-machine test `T` for `cases` cases of `transitions` transitions each, seeded
/// by [`seed`]; a failure is shrunk, then reported with the seed.
pub fn run_state_machine<T>(test: &str, cases: u32, transitions: Range<usize>)
where
    T: StateMachineTest,
    <T::Reference as ReferenceStateMachine>::State: Debug + Clone,
    <T::Reference as ReferenceStateMachine>::Transition: Debug + Clone,
{
    let seed = seed(test);
    let config = Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config.clone());
    let strategy = <T::Reference as ReferenceStateMachine>::sequential_strategy(transitions);
    let result = runner.run(&strategy, |(initial, transitions, seen)| {
        T::test_sequential(config.clone(), initial, transitions, seen);
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{test} failed (replay with COURIER_TEST_SEED={seed}): {failure}");
    }
}
