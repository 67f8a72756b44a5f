//! Links and monitors: who is told when an actor exits.
//!
//! A *monitor* is one-way: the watcher gets a [`Down`] (through [`Actor::on_down`]) when the
//! watched actor exits, with the reason. A *link* is two-way: when either side exits
//! abnormally, the other exits too ([`Exit::Linked`]), unless it traps exits, in which case it
//! gets an [`ExitSignal`] (through [`Actor::on_exit_signal`]) instead.
//!
//! # Protocol
//!
//! - **L1** Each cell keeps its watchers (monitors of it, and its links) behind a lock, with the
//!   exit reason once it has exited. Registering a watcher and exiting both take that lock, so a
//!   watcher registered before the exit is told by the exiting actor, and one registered after
//!   is told at once by the registration: each watcher is told exactly once.
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
use once_cell::race::OnceBox;
use parking_lot::Mutex;

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

#[derive(Default)]
struct Watchers {
    /// Set once, by the exit (L1).
    exited: Option<Exit>,
    entries: Vec<(ActorPtr, Kind)>,
}

/// The watchers of one cell (L1), boxed with their lock on first use so that an idle actor
/// pays one pointer (a race to box them first is settled by one compare-and-swap: the loser
/// drops its box and takes the winner's).
#[derive(Default)]
pub(crate) struct WatchList {
    inner: OnceBox<Mutex<Watchers>>,
}

impl fmt::Debug for WatchList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WatchList")
    }
}

impl WatchList {
    /// Adds a monitor held by `watcher` on the owner of this list (L1, L2).
    pub(crate) fn monitor(&self, owner: ActorId, watcher: ActorPtr, monitor: MonitorId) {
        self.add(owner, watcher, Kind::Monitor(monitor));
    }

    /// Adds `watcher` as a linked actor of the owner of this list (one direction of a link).
    pub(crate) fn link(&self, owner: ActorId, watcher: ActorPtr) {
        self.add(owner, watcher, Kind::Link);
    }

    fn add(&self, owner: ActorId, watcher: ActorPtr, kind: Kind) {
        let mut watchers = self.inner.get_or_init(Box::default).lock();
        if let Some(reason) = watchers.exited.clone() {
            drop(watchers);
            // Exited already: tell the watcher now (L1).
            tell(owner, watcher, kind, reason);
            return;
        }
        watcher.retain();
        watchers.entries.push((watcher, kind));
    }

    /// Removes a monitor (no notice will come) or a link (one direction).
    pub(crate) fn remove(&self, watcher: ActorPtr, monitor: Option<MonitorId>) {
        let removed: Vec<ActorPtr> = {
            let Some(watchers) = self.inner.get() else {
                return;
            };
            let mut watchers = watchers.lock();
            let kind = monitor.map_or(Kind::Link, Kind::Monitor);
            let mut removed = Vec::new();
            watchers.entries.retain(|(ptr, k)| {
                let hit = *ptr == watcher && *k == kind;
                if hit {
                    removed.push(*ptr);
                }
                !hit
            });
            removed
        };
        for ptr in removed {
            // SAFETY: the entry held this reference (L2); it is gone now.
            unsafe { ptr.release() };
        }
    }

    /// Records the exit and tells every watcher, once (L1).
    pub(crate) fn exit(&self, owner: ActorId, reason: &Exit) {
        let entries = {
            let mut watchers = self.inner.get_or_init(Box::default).lock();
            if watchers.exited.is_some() {
                return;
            }
            watchers.exited = Some(reason.clone());
            std::mem::take(&mut watchers.entries)
        };
        for (watcher, kind) in entries {
            tell(owner, watcher, kind, reason.clone());
            // SAFETY: the entry held this reference (L2); it is used up.
            unsafe { watcher.release() };
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
