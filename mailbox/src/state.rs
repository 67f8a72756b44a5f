//! The mailbox's packed state word: closed bit, occupancy, the turn bit and unseen count.
//!
//! Layout of the `u64` (protocol M5 and M6 in `mailbox.rs`):
//!
//! ```text
//! bit 63      CLOSED_BIT      set once by `close`, never cleared
//! bits 32..63 occupancy       messages in the lanes + in the stash (+ the consumer's pending
//!                             pops not yet committed, + refused pushes backing out); capacity
//!                             bounds the accepted part of this field
//! bit 31      TURN_BIT        a turn of the consumer is owed or running: its holder runs the
//!                             consumer and ends the turn with `Consumer::end_turn` (M7)
//! bits 0..31  unseen          messages in the lanes that the consumer has not taken yet
//!                             (+ pending, + refused pushes backing out); the wake-up signal
//!                             reads this field
//! ```
//!
//! The turn bit sits between the two counts: below the occupancy field, so the capacity test
//! (`word >= capacity << OCCUPANCY_SHIFT`) ignores it, and above the unseen field, which never
//! carries into it (unseen stays below `CAPACITY_MAX + OVER_CAPACITY_ROOM` plus one unit per
//! refused producer, far below `1 << 31`).

use std::fmt;

/// The shift of the occupancy field.
pub(crate) const OCCUPANCY_SHIFT: u32 = 32;
/// Set while a turn of the consumer is owed or running (M7).
pub(crate) const TURN_BIT: u64 = 1 << 31;
/// The mask of the unseen field.
pub(crate) const UNSEEN_MASK: u64 = TURN_BIT - 1;
/// The mask of the occupancy field.
pub(crate) const OCCUPANCY_MASK: u64 = ((1 << 31) - 1) << OCCUPANCY_SHIFT;
/// Set once by `close`.
pub(crate) const CLOSED_BIT: u64 = 1 << 63;

/// One unit of the unseen field: a message taken out of a lane.
pub(crate) const UNSEEN_UNIT: u64 = 1;
/// One unit of the occupancy field: a message handed to the consumer.
pub(crate) const OCCUPANCY_UNIT: u64 = 1 << OCCUPANCY_SHIFT;
/// What an accepted push adds, and what a lane message handed straight out takes away.
pub(crate) const MESSAGE_UNIT: u64 = OCCUPANCY_UNIT | UNSEEN_UNIT;

/// Where the consumer's note counter sits in its `pending` word (M6, `consumer.rs`): its top
/// byte, above the owed units, which have the state word's layout.
pub(crate) const NOTE_SHIFT: u32 = 56;
/// One note of owed units.
pub(crate) const NOTE_UNIT: u64 = 1 << NOTE_SHIFT;
/// The note counter sets the word's top bit when it reaches this many.
pub(crate) const NOTE_COUNTER_END: u64 = 1 << (u64::BITS - 1 - NOTE_SHIFT);
/// Set when the note counter has counted a whole batch.
pub(crate) const NOTE_BATCH_DONE_BIT: u64 = 1 << (u64::BITS - 1);
/// The owed units of a `pending` word.
pub(crate) const PENDING_UNITS_MASK: u64 = NOTE_UNIT - 1;

/// The largest capacity: the occupancy field must hold it, plus one unit per refused producer
/// backing out, without reaching the closed bit.
pub(crate) const CAPACITY_MAX: u32 = 1 << 30;

const _: () = assert!(CLOSED_BIT & (OCCUPANCY_MASK | UNSEEN_MASK | TURN_BIT) == 0);
const _: () = assert!(OCCUPANCY_MASK & (UNSEEN_MASK | TURN_BIT) == 0);
const _: () = assert!(UNSEEN_MASK & TURN_BIT == 0);
// The unseen field never carries into the turn bit: at most the largest capacity, the room
// beyond it (M13) and a unit per refused producer still backing out (below 2^29 threads).
const _: () = assert!((CAPACITY_MAX as u64) + (1 << 16) + (1 << 29) <= UNSEEN_MASK);
// The capacity test compares whole words: the turn bit is below the occupancy field.
const _: () = assert!(TURN_BIT < OCCUPANCY_UNIT);
// The capacity test `word >= capacity << OCCUPANCY_SHIFT` also catches the closed bit.
const _: () = assert!((CAPACITY_MAX as u64) << OCCUPANCY_SHIFT <= OCCUPANCY_MASK);
const _: () = assert!((CAPACITY_MAX as u64) << OCCUPANCY_SHIFT < CLOSED_BIT);
// M13: a full mailbox of the largest capacity still has room for the over-capacity pushes,
// and their limit stays below the closed bit, so a closed word is still refused.
const _: () = assert!(((CAPACITY_MAX as u64) + (1 << 16)) << OCCUPANCY_SHIFT <= OCCUPANCY_MASK);

/// A decoded snapshot of the state word.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct State(pub(crate) u64);

impl State {
    pub(crate) const fn is_closed(self) -> bool {
        self.0 & CLOSED_BIT != 0
    }

    pub(crate) const fn occupancy(self) -> u32 {
        // The mask keeps 31 bits, so the cast is exact.
        ((self.0 & OCCUPANCY_MASK) >> OCCUPANCY_SHIFT) as u32
    }

    pub(crate) const fn unseen(self) -> u32 {
        // The mask keeps 31 bits, so the cast is exact.
        (self.0 & UNSEEN_MASK) as u32
    }

    /// Whether a turn of the consumer is owed or running (M7).
    pub(crate) const fn turn_owed(self) -> bool {
        self.0 & TURN_BIT != 0
    }
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("State")
            .field("closed", &self.is_closed())
            .field("occupancy", &self.occupancy())
            .field("turn_owed", &self.turn_owed())
            .field("unseen", &self.unseen())
            .finish()
    }
}

#[cfg(test)]
mod tests;
