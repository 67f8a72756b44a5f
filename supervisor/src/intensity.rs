//! Restart intensity: Erlang's MaxR-in-MaxT sliding window, as a pure value.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Counts restarts in a sliding window and says when there are too many.
///
/// A supervisor asks [`Intensity::admit`] before each restart. A restart at time `t` is *in
/// the window* at time `now` while `now - t < window` (Erlang's `inPeriod`); a restart at a
/// time later than `now` (an out-of-order clock) counts as in the window. `admit` records the
/// restart and then answers `false` when more than `restarts_max` restarts are in the window,
/// the new one included: with `restarts_max = 0` every restart is refused, as in Erlang.
///
/// Time is passed in, never read, so the policy can be tested with an injected clock.
///
/// ```
/// use std::time::{Duration, Instant};
/// use courier_supervisor::Intensity;
///
/// let t0 = Instant::now();
/// let mut intensity = Intensity::new(2, Duration::from_secs(5));
/// assert!(intensity.admit(t0));
/// assert!(intensity.admit(t0 + Duration::from_secs(1)));
/// assert!(!intensity.admit(t0 + Duration::from_secs(2)), "a third restart within 5 s");
/// assert!(intensity.admit(t0 + Duration::from_secs(10)), "the window has moved on");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Intensity {
    restarts_max: u32,
    window: Duration,
    /// Times of recent restarts, in the order recorded. I1: at most `restarts_max + 1`
    /// entries, the latest times: the restarts in the window at any later time are a set of
    /// the latest times, so the earliest beyond `restarts_max + 1` can never change an answer.
    restarts: VecDeque<Instant>,
}

impl Default for Intensity {
    /// Erlang's defaults: at most 1 restart within 5 seconds.
    fn default() -> Intensity {
        Intensity::new(1, Duration::from_secs(5))
    }
}

impl Intensity {
    /// At most `restarts_max` restarts within any `window` (Erlang's `intensity` and `period`).
    #[must_use]
    pub fn new(restarts_max: u32, window: Duration) -> Intensity {
        Intensity {
            restarts_max,
            window,
            restarts: VecDeque::new(),
        }
    }

    /// The most restarts allowed within the window (`MaxR`).
    #[must_use]
    pub fn restarts_max(&self) -> u32 {
        self.restarts_max
    }

    /// The window (`MaxT`).
    #[must_use]
    pub fn window(&self) -> Duration {
        self.window
    }

    /// Records a restart at `now`; `false` when that makes more than `restarts_max` restarts
    /// within the window, that is, when the supervisor must give up.
    pub fn admit(&mut self, now: Instant) -> bool {
        self.forget_before(now);
        self.restarts.push_back(now);
        let cap = usize::try_from(self.restarts_max)
            .unwrap_or(usize::MAX)
            .saturating_add(1);
        if self.restarts.len() > cap {
            // I1: forget the earliest time; the answer stays `false` with `cap` in the window.
            let earliest = (0..self.restarts.len()).min_by_key(|&i| self.restarts[i]);
            if let Some(earliest) = earliest {
                self.restarts.remove(earliest);
            }
        }
        self.restarts.len() < cap
    }

    /// How many recorded restarts are within the window at `now`, counting at most
    /// `restarts_max + 1` (I1: more cannot change an answer).
    #[must_use]
    pub fn restarts_in_window(&self, now: Instant) -> u32 {
        let count = self
            .restarts
            .iter()
            .filter(|&&t| in_window(t, now, self.window))
            .count();
        u32::try_from(count).unwrap_or(u32::MAX)
    }

    /// Forgets every recorded restart (a supervisor restarted by its own supervisor starts
    /// with a fresh window).
    pub fn reset(&mut self) {
        self.restarts.clear();
    }

    fn forget_before(&mut self, now: Instant) {
        let window = self.window;
        self.restarts.retain(|&t| in_window(t, now, window));
    }
}

fn in_window(t: Instant, now: Instant, window: Duration) -> bool {
    now.saturating_duration_since(t) < window
}
