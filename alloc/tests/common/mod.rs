//! Helpers shared by the integration tests: seeds, sizes, proptest configuration.

#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test binary uses a different subset"
)]

use std::time::{SystemTime, UNIX_EPOCH};

use proptest::test_runner::{Config, RngSeed};

/// The seed of a randomized test: `COURIER_TEST_SEED` when set, else fresh. Printed either way
/// so a failure can be replayed.
pub fn seed(test: &str) -> u64 {
    let seed = std::env::var("COURIER_TEST_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(|| {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            u64::try_from(now.as_nanos() % u128::from(u64::MAX)).unwrap_or(1)
        });
    eprintln!("{test}: seed {seed} (replay with COURIER_TEST_SEED={seed})");
    seed
}

/// Whether the tests run under valgrind (scripts/valgrind sets this), which is ~30x slower.
pub fn under_valgrind() -> bool {
    std::env::var_os("COURIER_UNDER_VALGRIND").is_some()
}

/// A size for stress loops: full in release, smaller in debug, smallest under valgrind.
pub fn scaled(release: usize) -> usize {
    if under_valgrind() {
        release / 1000
    } else if cfg!(debug_assertions) {
        release / 20
    } else {
        release
    }
    .max(1)
}

/// A proptest configuration seeded by [`seed`].
pub fn proptest_config(test: &str, cases: u32) -> Config {
    let cases = if under_valgrind() {
        cases.div_ceil(16)
    } else {
        cases
    };
    Config {
        cases,
        rng_seed: RngSeed::Fixed(seed(test)),
        failure_persistence: None,
        ..Config::default()
    }
}

/// A small deterministic generator (xorshift64*), for stress tests driven by a seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, bound: usize) -> usize {
        usize::try_from(self.next_u64() % bound as u64).expect("below a usize bound")
    }
}
