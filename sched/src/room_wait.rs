//! How a thread outside the runtime waits for room in a full mailbox (backpressure of
//! `ActorRef::send`, `send_until` and the runtime's control messages).
//!
//! An actor makes room a turn at a time: its pops count only when its turn commits them (every
//! activation budget, 64 messages by default, or when the mailbox runs dry). A full default
//! mailbox of 1024 messages to a fast actor has room again within a few microseconds, while one
//! sleep costs ~80 us on this machine (timer slack): a sender that sleeps at the first full push
//! leaves the actor idle for most of that sleep, which cost the one-sender benchmark two thirds
//! of its throughput. And a sender that retries its push in a loop writes the producers' line
//! with every failed reservation, which slows the very commit it waits for.
//!
//! So the sender *watches* the mailbox's depth, with loads of the producers' line (no traffic
//! until the consumer's commit writes it), for up to [`WATCH`]; then watches between
//! `yield_now`s up to [`YIELD`], for a consumer that shares its core; then sleeps with a timeout
//! that doubles from 50 us up to 1 ms (a slow actor, or one that is not running at all), until
//! the mailbox has room, is closed, or the caller's deadline passes.

use std::time::{Duration, Instant};

use crate::cell::ActorMailbox;

/// How long a sender spins watching the depth before it yields.
const WATCH: Duration = Duration::from_micros(50);
/// How long a sender yields, watching between yields, before it sleeps.
const YIELD: Duration = Duration::from_millis(1);
/// The first sleep; each next one is twice as long, up to `SLEEP_MAX`.
const SLEEP_FIRST: Duration = Duration::from_micros(50);
/// The longest sleep.
const SLEEP_MAX: Duration = Duration::from_millis(1);
/// Spins between two reads of the clock while watching.
const SPINS_PER_CLOCK_READ: u32 = 64;

/// One sender's wait for room, across its retries of one message.
pub(crate) struct RoomWait {
    started: Option<Instant>,
    sleep: Duration,
}

impl RoomWait {
    pub(crate) fn new() -> RoomWait {
        RoomWait {
            started: None,
            sleep: SLEEP_FIRST,
        }
    }

    /// Waits until `mailbox` has room for one more message or is closed (then the caller tries
    /// its push again), or until `deadline`.
    pub(crate) fn wait(&mut self, mailbox: &ActorMailbox, deadline: Option<Instant>) {
        self.wait_below(mailbox, mailbox.capacity().get(), deadline);
    }

    /// Waits until `mailbox` has room for one more control message beyond its capacity
    /// (mailbox M13: a control message is refused only when that room is used up too) or is
    /// closed.
    pub(crate) fn wait_beyond_capacity(&mut self, mailbox: &ActorMailbox) {
        let limit = mailbox
            .capacity()
            .get()
            .saturating_add(ActorMailbox::OVER_CAPACITY_ROOM);
        self.wait_below(mailbox, limit, None);
    }

    fn wait_below(&mut self, mailbox: &ActorMailbox, limit: u32, deadline: Option<Instant>) {
        let started = *self.started.get_or_insert_with(Instant::now);
        let ready = || mailbox.depth() < limit || mailbox.is_closed();
        loop {
            let now = Instant::now();
            if deadline.is_some_and(|deadline| now >= deadline) {
                return;
            }
            let waited = now.saturating_duration_since(started);
            if waited < WATCH {
                for _ in 0..SPINS_PER_CLOCK_READ {
                    std::hint::spin_loop();
                    if ready() {
                        return;
                    }
                }
            } else if waited < YIELD {
                std::thread::yield_now();
                if ready() {
                    return;
                }
            } else {
                let sleep = deadline.map_or(self.sleep, |deadline| {
                    self.sleep.min(deadline.saturating_duration_since(now))
                });
                std::thread::park_timeout(sleep);
                self.sleep = (self.sleep * 2).min(SLEEP_MAX);
                if ready() {
                    return;
                }
            }
        }
    }
}
