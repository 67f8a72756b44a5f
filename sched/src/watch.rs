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
//!   exit reason once it has exited (a marker in place of the list for a reason without data
//!   when nobody watched, so most exits allocate nothing). Registering a watcher and exiting
//!   both take that lock, so a watcher registered before the exit is told by the exiting actor,
//!   and one registered after is told at once by the registration: each watcher is told exactly
//!   once.
//! - **L2** A watcher entry holds a reference to the watcher's cell (C1), released when the
//!   entry is used or the watched cell is freed.
//!
//! [`Actor::on_down`]: crate::Actor::on_down
//! [`Actor::on_exit_signal`]: crate::Actor::on_exit_signal
//! [`Exit::Linked`]: crate::Exit::Linked

use std::fmt;
use std::ptr;

use courier_mailbox::Priority;
use parking_lot::RawMutex;
use parking_lot::lock_api::RawMutex as _;

use crate::ActorId;
use crate::Exit;
use crate::cell::{ActorPtr, SystemMessage};
use crate::sync::UnsafeCell;

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

/// The lock of a cell's watchers: one byte of the cell's header (L1).
pub(crate) struct WatchLock(RawMutex);

impl WatchLock {
    pub(crate) const fn new() -> WatchLock {
        WatchLock(RawMutex::INIT)
    }
}

/// What a cell knows of its watchers, read and written under its `WatchLock` only: nothing
/// yet (`ALIVE`); an exit with a reason that carries no data, before anyone watched (one of
/// the `EXITED_*` markers: no allocation for the common exit of an unwatched actor); or a box
/// of `Watchers` (their list, and the reason once exited).
pub(crate) struct WatchState(UnsafeCell<*mut Watchers>);

/// `WatchState` markers; a box is 8-aligned, so none of them is a box's address.
const ALIVE: usize = 0;
const EXITED_NORMAL: usize = 1;
const EXITED_KILLED: usize = 2;
const EXITED_SHUTDOWN: usize = 3;

impl WatchState {
    pub(crate) const fn new() -> WatchState {
        WatchState(UnsafeCell::new(ptr::null_mut()))
    }
}

impl Drop for WatchState {
    fn drop(&mut self) {
        let state = *self.0.get_mut();
        if state.addr() > EXITED_SHUTDOWN {
            // SAFETY: a state above the markers is the box `boxed` made; the cell is being
            // dropped, so nothing else reaches it.
            drop(unsafe { Box::from_raw(state) });
        }
    }
}

/// The marker of an exit that needs no box, if `reason` carries no data.
fn marker_of(reason: &Exit) -> Option<usize> {
    match reason {
        Exit::Normal => Some(EXITED_NORMAL),
        Exit::Killed => Some(EXITED_KILLED),
        Exit::Shutdown => Some(EXITED_SHUTDOWN),
        _ => None,
    }
}

/// The reason a marker stands for; `None` for `ALIVE` and boxes.
fn reason_of(marker: usize) -> Option<Exit> {
    match marker {
        EXITED_NORMAL => Some(Exit::Normal),
        EXITED_KILLED => Some(Exit::Killed),
        EXITED_SHUTDOWN => Some(Exit::Shutdown),
        _ => None,
    }
}

/// The watchers of one cell (L1): a view of its header's `WatchLock` and `WatchState`, two
/// fields rather than one struct so that they take 9 bytes of the header's line, not 16.
pub(crate) struct WatchList<'a> {
    lock: &'a WatchLock,
    state: &'a WatchState,
}

impl fmt::Debug for WatchList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WatchList")
    }
}

/// Holds a cell's `WatchLock`; gives access to its `WatchState`.
struct Locked<'a> {
    list: &'a WatchList<'a>,
}

impl Locked<'_> {
    fn state(&mut self) -> &mut *mut Watchers {
        // SAFETY: the state is touched under the lock only, which this guard holds.
        unsafe { &mut *self.list.state.0.get() }
    }

    /// The boxed watchers, boxing them first if there were none (`ALIVE`); `None` after an
    /// exit recorded as a marker.
    fn boxed(&mut self) -> Option<&mut Watchers> {
        let state = self.state();
        if state.addr() == ALIVE {
            *state = Box::into_raw(Box::default());
        }
        self.existing()
    }

    /// The boxed watchers if there are any; `None` for `ALIVE` and the markers.
    fn existing(&mut self) -> Option<&mut Watchers> {
        let state = *self.state();
        if state.addr() <= EXITED_SHUTDOWN {
            return None;
        }
        // SAFETY: a state above the markers is a box of ours, reached under the lock.
        Some(unsafe { &mut *state })
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        // SAFETY: this guard locked it in `WatchList::lock`.
        unsafe { self.list.lock.0.unlock() };
    }
}

impl<'a> WatchList<'a> {
    pub(crate) fn new(lock: &'a WatchLock, state: &'a WatchState) -> WatchList<'a> {
        WatchList { lock, state }
    }

    fn lock(&self) -> Locked<'_> {
        self.lock.0.lock();
        Locked { list: self }
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
        let mut locked = self.lock();
        let exited = match locked.boxed() {
            Some(watchers) if watchers.exited.is_none() => {
                watcher.retain();
                watchers.entries.push((watcher, kind));
                return;
            }
            Some(watchers) => watchers.exited.clone(),
            None => reason_of(locked.state().addr()),
        };
        drop(locked);
        // Exited already: tell the watcher now (L1).
        if let Some(reason) = exited {
            tell(owner, watcher, kind, reason);
        }
    }

    /// Removes a monitor (no notice will come) or a link (one direction).
    pub(crate) fn remove(&self, watcher: ActorPtr, monitor: Option<MonitorId>) {
        let removed: Vec<ActorPtr> = {
            let mut locked = self.lock();
            let Some(watchers) = locked.existing() else {
                return;
            };
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

    /// Records the exit and tells every watcher, once (L1). An actor nobody watched records a
    /// reason without data as a marker, without allocating.
    pub(crate) fn exit(&self, owner: ActorId, reason: &Exit) {
        let entries = {
            let mut locked = self.lock();
            let state = locked.state();
            if state.addr() == ALIVE
                && let Some(marker) = marker_of(reason)
            {
                *state = ptr::without_provenance_mut(marker);
                return;
            }
            let Some(watchers) = locked.boxed() else {
                // Exited before, as a marker.
                return;
            };
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
