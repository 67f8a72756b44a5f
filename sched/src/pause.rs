//! The spin-wait step (`PAUSE` on x86, `YIELD`/`ISB` on Arm) and what a worker's waits are in
//! it: a lingering turn's poll interval, window and batch (`Worker::linger`) are times, set in
//! `PAUSE`s measured on the worker's own core when it starts.
//!
//! Why measured: one `PAUSE` costs ~10 cycles on Intel cores before Skylake and ~140 on Skylake
//! and later (Intel's optimization manual), 9.5 ns on this machine. Counts tuned here would
//! make a lingering worker spin 4x longer (and hold a stream's batch 4x longer) on a Skylake
//! server, and not long enough on an older core; on a machine with two kinds of cores
//! (performance and efficiency) they differ from core to core, hence measured per worker.

use std::time::{Duration, Instant};

/// `count` spin-wait steps: a wait that leaves the core's resources to its sibling.
pub(crate) fn pause(count: u32) {
    for _ in 0..count {
        std::hint::spin_loop();
    }
}

/// The waits of a lingering turn, in `PAUSE`s of the core it runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LingerPlan {
    /// `PAUSE`s between two polls of the mailbox (`POLL_INTERVAL`).
    pub(crate) poll_pauses: u32,
    /// Polls before the actor goes idle (`WINDOW`).
    pub(crate) polls: u32,
    /// `PAUSE`s a stream's batch is given to gather (`BATCH`).
    pub(crate) batch_pauses: u32,
}

impl LingerPlan {
    /// Between two polls of the mailbox: a poll in the middle of a push (its reservation, swap
    /// and link are three writes to the producers' line) would take the line back between
    /// them, so polls are a few cache-line transfers apart.
    const POLL_INTERVAL: Duration = Duration::from_nanos(40);
    /// How long an emptied mailbox is watched: a cross-core round trip and then some (the bare
    /// one is ~280 ns here, and a reply comes within 2-3 of them), far below a futex wake-up
    /// (~25 us), which is what going idle costs the next sender.
    const WINDOW: Duration = Duration::from_nanos(2_500);
    /// How long a stream's messages are let gather (`Linger`): long enough that the consumer
    /// takes a batch rather than one message per bounce of the producers' line. One outside
    /// sender (`sched_time`, 65,536 mailbox; savina counting, 1 M): 600 ns gave 42-45 ms and
    /// 84-86 ms per million, 2 us 31 and 72, 5 us 27-28 and 66-69 (33 and 63-66 once a stream
    /// takes 8 waits to detect). A stream's message waits at most this much longer; going idle
    /// instead costs its next sender a wake-up (~25 us).
    const BATCH: Duration = Duration::from_micros(5);
    /// Timed runs of `SAMPLE_PAUSES`; the fastest counts (a preempted run is only slower).
    const SAMPLES: u32 = 5;
    const SAMPLE_PAUSES: u32 = 256;

    /// Measures this core's `PAUSE` (~12 us on this machine, at most ~50 us on any core of
    /// today) and plans for it.
    pub(crate) fn measure() -> LingerPlan {
        let fastest = (0..Self::SAMPLES)
            .map(|_| {
                let start = Instant::now();
                pause(Self::SAMPLE_PAUSES);
                start.elapsed()
            })
            .min()
            .unwrap_or(Duration::ZERO);
        #[expect(
            clippy::cast_precision_loss,
            reason = "nanoseconds of a few microseconds"
        )]
        let nanos = fastest.as_nanos() as f64;
        LingerPlan::for_pause_ns(nanos / f64::from(Self::SAMPLE_PAUSES))
    }

    /// The plan for a `PAUSE` of `cost` nanoseconds; every count is at least 1 and bounded,
    /// whatever the clock said (a cost measured as zero or as huge).
    pub(crate) fn for_pause_ns(cost: f64) -> LingerPlan {
        let cost = if cost.is_finite() { cost.max(0.1) } else { 1e9 };
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "clamped to 1..=max first"
        )]
        let count = |ratio: f64, max: u32| ratio.clamp(1.0, f64::from(max)) as u32;
        let poll_pauses = count((Self::POLL_INTERVAL.as_secs_f64() * 1e9 / cost).round(), 64);
        let poll = f64::from(poll_pauses) * cost;
        LingerPlan {
            poll_pauses,
            polls: count(Self::WINDOW.as_secs_f64() * 1e9 / poll, 4096).max(4),
            batch_pauses: count((Self::BATCH.as_secs_f64() * 1e9 / cost).round(), 4096),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_machines_pause_gives_the_counts_tuned_on_it() {
        // 9.5 ns: 4 PAUSEs between polls, 65 polls (~2.5 us), a batch of 526 (~5 us).
        let plan = LingerPlan::for_pause_ns(9.5);
        assert_eq!(
            plan,
            LingerPlan {
                poll_pauses: 4,
                polls: 65,
                batch_pauses: 526
            }
        );
    }

    #[test]
    fn a_slow_pause_polls_after_each_and_keeps_the_same_times() {
        // Skylake-SP: ~40 ns a PAUSE.
        let plan = LingerPlan::for_pause_ns(40.0);
        assert_eq!(
            plan,
            LingerPlan {
                poll_pauses: 1,
                polls: 62,
                batch_pauses: 125
            }
        );
    }

    #[test]
    fn a_fast_pause_takes_more_of_them() {
        // ~10 cycles at 3 GHz.
        let plan = LingerPlan::for_pause_ns(3.0);
        assert_eq!(plan.poll_pauses, 13);
        assert_eq!(plan.batch_pauses, 1667);
        assert_eq!(plan.polls, 64);
    }

    #[test]
    fn absurd_measurements_still_give_bounded_nonzero_counts() {
        for cost in [0.0, -1.0, 1e9, f64::NAN, f64::INFINITY] {
            let plan = LingerPlan::for_pause_ns(cost);
            assert!((1..=64).contains(&plan.poll_pauses), "{cost:?}: {plan:?}");
            assert!((4..=4096).contains(&plan.polls), "{cost:?}: {plan:?}");
            assert!(
                (1..=4096).contains(&plan.batch_pauses),
                "{cost:?}: {plan:?}"
            );
        }
    }

    #[test]
    fn a_measured_plan_is_within_the_bounds() {
        let plan = LingerPlan::measure();
        assert!((1..=64).contains(&plan.poll_pauses), "{plan:?}");
        assert!((4..=4096).contains(&plan.polls), "{plan:?}");
    }
}
