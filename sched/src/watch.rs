//! Links and monitors: who is told when an actor exits.
//!
//! A *monitor* is one-way: the watcher gets a [`Down`] (through [`Actor::on_down`]) when the
//! watched actor exits, with the reason. A *link* is two-way: when either side exits
//! abnormally, the other exits too ([`Exit::Linked`]), unless it traps exits, in which case it
//! gets an [`ExitSignal`] (through [`Actor::on_exit_signal`]) instead.
//!
//! # Protocol
//!
//! - **L1** Each cell keeps its watchers (monitors of it, and its links) in a `WatchWord` of its
//!   header, with the exit reason once it has exited (`watch_word.rs`, W1-W4: the exit of an
//!   actor nobody watched is one CAS, without lock or allocation). A watcher registered before
//!   the exit is told by the exiting actor, and one registered after is told at once by the
//!   registration: each watcher is told exactly once.
//! - **L2** A watcher entry holds a reference to the watcher's cell (C1), released when the
//!   entry is used or the watched cell is freed.
//!
//! [`Actor::on_down`]: crate::Actor::on_down
//! [`Actor::on_exit_signal`]: crate::Actor::on_exit_signal
//! [`Exit::Linked`]: crate::Exit::Linked

use std::fmt;

use courier_mailbox::Priority;

use crate::ActorId;
use crate::Exit;
use crate::cell::{ActorPtr, SystemMessage};
use crate::watch_word::{WatchList, WatchLock, WatchWord};

/// Identifies one monitor, so it can be told apart and removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MonitorId(pub u64);

/// A monitored actor exited.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Down {
    /// The actor that exited.
    pub actor: ActorId,
    /// The monitor this notice answers.
    pub monitor: MonitorId,
    /// Why it exited.
    pub reason: Exit,
}

/// A linked actor exited (delivered to actors that trap exits).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExitSignal {
    /// The linked actor that exited.
    pub from: ActorId,
    /// Why it exited.
    pub reason: Exit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Monitor(MonitorId),
    Link,
}

/// One watcher of a cell: who, and whether as a monitor or a link. Holds a reference to the
/// watcher's cell (L2).
pub(crate) struct Watcher {
    ptr: ActorPtr,
    kind: Kind,
}

/// The watchers of one cell (L1): its header's `WatchLock` and `WatchWord`, through the
/// protocol of `watch_word.rs`.
pub(crate) struct Watchers<'a>(WatchList<'a, Watcher>);

impl fmt::Debug for Watchers<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Watchers")
    }
}

impl<'a> Watchers<'a> {
    pub(crate) fn new(lock: &'a WatchLock, word: &'a WatchWord<Watcher>) -> Watchers<'a> {
        Watchers(WatchList::new(lock, word))
    }

    /// Adds a monitor held by `watcher` on the owner of this list (L1, L2).
    pub(crate) fn monitor(&self, owner: ActorId, watcher: ActorPtr, monitor: MonitorId) {
        self.add(owner, watcher, Kind::Monitor(monitor));
    }

    /// Adds `watcher` as a linked actor of the owner of this list (one direction of a link).
    pub(crate) fn link(&self, owner: ActorId, watcher: ActorPtr) {
        self.add(owner, watcher, Kind::Link);
    }

    fn add(&self, owner: ActorId, watcher: ActorPtr, kind: Kind) {
        // The entry's reference (L2), taken before the entry can be seen.
        watcher.retain();
        if let Err((entry, reason)) = self.0.add(Watcher { ptr: watcher, kind }) {
            // Exited already: tell the watcher now (L1).
            tell(owner, entry.ptr, entry.kind, reason);
            // SAFETY: the entry's reference, taken above; the caller holds another.
            unsafe { entry.ptr.release() };
        }
    }

    /// Removes a monitor (no notice will come) or a link (one direction).
    pub(crate) fn remove(&self, watcher: ActorPtr, monitor: Option<MonitorId>) {
        let kind = monitor.map_or(Kind::Link, Kind::Monitor);
        for entry in self
            .0
            .remove(|entry| entry.ptr == watcher && entry.kind == kind)
        {
            // SAFETY: the entry held this reference (L2); it is gone now.
            unsafe { entry.ptr.release() };
        }
    }

    /// Records the exit and tells every watcher, once (L1). An actor nobody watched records a
    /// reason without data with one CAS: no lock, no allocation.
    pub(crate) fn exit(&self, owner: ActorId, reason: &Exit) {
        for entry in self.0.exit(reason) {
            tell(owner, entry.ptr, entry.kind, reason.clone());
            // SAFETY: the entry held this reference (L2); it is used up.
            unsafe { entry.ptr.release() };
        }
    }
}

/// Sends the notice of `owner`'s exit to `watcher`.
fn tell(owner: ActorId, watcher: ActorPtr, kind: Kind, reason: Exit) {
    let message = match kind {
        Kind::Monitor(monitor) => SystemMessage::Down(Down {
            actor: owner,
            monitor,
            reason,
        }),
        Kind::Link => SystemMessage::ExitSignal(ExitSignal {
            from: owner,
            reason,
        }),
    };
    // A watcher that has exited itself needs no notice; a full watcher mailbox on a worker
    // thread cannot be waited for (the worker must not block): that notice is counted as a dead
    // letter and reported, never dropped silently.
    if !watcher.send_system(message, Priority::High) && !watcher.mailbox().is_closed() {
        watcher.header().runtime.count_dead_letter();
        eprintln!(
            "courier: {} could not be told that {owner} exited: mailbox full",
            watcher.header().id
        );
    }
}
