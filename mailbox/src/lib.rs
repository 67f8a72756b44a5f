//! courier-mailbox: lock-free intrusive mailboxes for the Courier actor runtime.
//!
//! A [`Mailbox`] holds messages that carry their own [`Link`] (see [`Linked`]), so sending
//! allocates nothing here. It has three priority lanes, each an intrusive multi-producer
//! single-consumer queue (Vyukov's, with a stub): a producer pushes with one reserving
//! `fetch_add`, one swap and one store, and the one [`Consumer`] pops without locks. On top of the lanes:
//!
//! - **Capacity.** [`Mailbox::try_push`] on a full mailbox hands the message back
//!   ([`PushError::Full`]); [`Mailbox::depth`] reads the count from the producers' cache line.
//! - **Close and drain.** After [`Mailbox::close`], pushes hand their message back
//!   ([`PushError::Closed`]), and [`Consumer::drain_next`] returns every message still inside,
//!   exactly once.
//! - **Selective receive.** [`Consumer::pop_matching`] skips messages a predicate rejects into a
//!   stash, in order; [`Consumer::reoffer_stash`] offers them again first.
//! - **Turns.** The consumer runs in turns, and the state word says whether one is owed: the push
//!   that finds none owed claims it and reports [`Pushed::Schedule`], and
//!   [`Consumer::end_turn`] commits and gives the turn up in one step, claiming the next one
//!   itself if a message arrived meanwhile ([`EndTurn::Reschedule`]). A scheduler keeps no
//!   state word of its own, and never loses a wake-up nor runs a consumer twice at once.
//!
//! The invariants (M1 to M13) are stated at the top of `lane.rs`, `mailbox.rs`, `consumer.rs`
//! and `stash.rs`; `PROTOCOL.md` proves the turn (wake-up) and close handshakes. The crate is a leaf: it depends on no
//! other courier crate. courier-sched embeds the `Link` in its message header.

mod consumer;
mod lane;
mod link;
mod mailbox;
mod outcome;
mod stash;
mod state;
mod sync;

pub use consumer::Consumer;
pub use link::{Link, Linked};
pub use mailbox::{Capacity, Mailbox, Priority};
pub use outcome::{Close, EndTurn, Pop, PushError, Pushed};
