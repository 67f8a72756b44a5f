//! Who watches an actor, and whether it exited: a lock byte and one word of the actor's
//! header, with an exit that takes no lock when nobody watched.
//!
//! This is the state machine under links and monitors (`watch.rs` says what the entries are
//! and how they are told), generic over the entries so that its loom model
//! (`tests/loom_watch.rs`) runs this code.
//!
//! # Protocol
//!
//! The word holds one of: *alive* (nothing yet), an *exit marker* (the owner exited, for a
//! reason without data, before anyone watched it), or a *box* of entries (with the reason once
//! the owner exited).
//!
//! - **W1** Only the exit writes a marker, and only over *alive*, with one compare-and-swap and
//!   no lock. Most actors are never watched: their exit is that one CAS and allocates nothing.
//! - **W2** A registration takes the lock. Over *alive* it installs a box with a CAS too: the
//!   two CASes are ordered on the one word, so either the box is there before the exit's CAS
//!   (which fails and goes to W3) or the marker is there before the registration's (which fails:
//!   the owner exited, and the registration hands its entry back with the reason, to be told at
//!   once).
//! - **W3** Everything inside a box (its entries, its reason) is read and written under the
//!   lock only. An exit that finds a box (or whose reason carries data) takes the lock, records
//!   the reason and takes the entries; a registration under the lock that finds the reason
//!   hands its entry back. So each entry added is handed out exactly once: by the exit, or by
//!   its own registration, unless it was removed before.
//! - **W4** The word changes from *alive* once, and a box is never replaced: it is freed with
//!   the word (when the owner's cell is freed), so a pointer read outside the lock stays valid.

use std::fmt;
use std::marker::PhantomData;
use std::ptr;

use crate::Exit;
use crate::sync::{AtomicPtr, Mutex, Ordering, RawLock};

/// The lock of one owner's [`WatchWord`] (W2, W3): one byte.
pub struct WatchLock(RawLock);

impl WatchLock {
    /// An unlocked lock.
    #[must_use]
    pub fn new() -> WatchLock {
        WatchLock(RawLock::new())
    }
}

impl fmt::Debug for WatchLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WatchLock")
    }
}

impl Default for WatchLock {
    fn default() -> Self {
        WatchLock::new()
    }
}

/// One owner's watchers and exit, as one word: alive, an exit marker or a box (see the module's
/// protocol). Kept apart from its [`WatchLock`] so that the pair takes 9 bytes of a header line,
/// not 16.
pub struct WatchWord<E> {
    word: AtomicPtr<Watchers<E>>,
    /// The entries move between the threads that add them and the one that takes them at the
    /// exit, under a lock: the auto traits of a locked list of `E`.
    _entries: PhantomData<Mutex<Vec<E>>>,
}

struct Watchers<E> {
    /// Set once, by the exit (W3).
    exited: Option<Exit>,
    entries: Vec<E>,
}

/// Word values below a box's address (a box is 8-aligned, so none of them is one).
const ALIVE: usize = 0;
const EXITED_NORMAL: usize = 1;
const EXITED_KILLED: usize = 2;
const EXITED_SHUTDOWN: usize = 3;

impl<E> WatchWord<E> {
    /// Alive, nobody watching.
    #[must_use]
    pub fn new() -> WatchWord<E> {
        WatchWord {
            word: AtomicPtr::new(ptr::null_mut()),
            _entries: PhantomData,
        }
    }
}

impl<E> fmt::Debug for WatchWord<E> {
    /// The word's state; a box's contents are behind the lock (W3) and not shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // ORDERING: Relaxed; a snapshot for the reader, not acted on.
        let word = self.word.load(Ordering::Relaxed);
        match reason_of(word.addr()) {
            Some(reason) => write!(f, "WatchWord(exited: {reason:?})"),
            None if word.is_null() => f.write_str("WatchWord(alive)"),
            None => f.write_str("WatchWord(watched)"),
        }
    }
}

impl<E> Default for WatchWord<E> {
    fn default() -> Self {
        WatchWord::new()
    }
}

impl<E> Drop for WatchWord<E> {
    fn drop(&mut self) {
        // ORDERING: Relaxed; `&mut self`: nothing else reaches the word.
        let word = self.word.load(Ordering::Relaxed);
        if word.addr() > EXITED_SHUTDOWN {
            // SAFETY: a word above the markers is a box `Box::into_raw` made (W2, W3), never
            // replaced (W4); nothing else reaches it now.
            drop(unsafe { Box::from_raw(word) });
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

/// The reason a marker stands for; `None` for alive and boxes.
fn reason_of(marker: usize) -> Option<Exit> {
    match marker {
        EXITED_NORMAL => Some(Exit::Normal),
        EXITED_KILLED => Some(Exit::Killed),
        EXITED_SHUTDOWN => Some(Exit::Shutdown),
        _ => None,
    }
}

/// A view of one owner's [`WatchLock`] and [`WatchWord`], through which entries are added,
/// removed and handed out at the exit.
pub struct WatchList<'a, E> {
    lock: &'a WatchLock,
    word: &'a WatchWord<E>,
}

impl<E> fmt::Debug for WatchList<'_, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.word, f)
    }
}

/// Holds a `WatchLock` (W3).
struct Locked<'a>(&'a WatchLock);

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        // SAFETY: this guard locked it in `WatchList::lock`.
        unsafe { self.0.0.unlock() };
    }
}

impl<'a, E> WatchList<'a, E> {
    /// The watchers of the owner of `lock` and `word`.
    #[must_use]
    pub fn new(lock: &'a WatchLock, word: &'a WatchWord<E>) -> WatchList<'a, E> {
        WatchList { lock, word }
    }

    fn lock(&self) -> Locked<'a> {
        self.lock.0.lock();
        Locked(self.lock)
    }

    /// Adds `entry`, to be handed out at the owner's exit (W2, W3). If the owner has exited
    /// already, the entry is handed back with the reason instead: tell it now.
    ///
    /// # Errors
    /// The owner exited: the entry and the reason.
    pub fn add(&self, entry: E) -> Result<(), (E, Exit)> {
        let _locked = self.lock();
        // ORDERING: Acquire; a marker's exit published the owner's last turn with Release (W1).
        let word = self.word.word.load(Ordering::Acquire);
        if word.addr() == ALIVE {
            let fresh = Box::into_raw(Box::new(Watchers {
                exited: None,
                entries: Vec::new(),
            }));
            // ORDERING: AcqRel on success (publish the box to an exit that reads it, W2),
            // Acquire on failure (the exit's marker and its turn before).
            match self.word.word.compare_exchange(
                ptr::null_mut(),
                fresh,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    // SAFETY: `fresh` is in the word now, and the lock is held (W3).
                    unsafe { (*fresh).entries.push(entry) };
                    return Ok(());
                }
                Err(marker) => {
                    // SAFETY: `fresh` never left this function.
                    drop(unsafe { Box::from_raw(fresh) });
                    return Err((entry, exit_marker_reason(marker)));
                }
            }
        }
        // SAFETY: the lock is held; the reference ends with this function.
        let Some(watchers) = (unsafe { boxed(word) }) else {
            return Err((entry, exit_marker_reason(word)));
        };
        match &watchers.exited {
            None => {
                watchers.entries.push(entry);
                Ok(())
            }
            Some(reason) => Err((entry, reason.clone())),
        }
    }

    /// Removes the entries `matches` picks (they will not be handed out) and returns them.
    #[must_use = "the removed entries are handed over, to be dropped or released"]
    pub fn remove(&self, mut matches: impl FnMut(&E) -> bool) -> Vec<E> {
        let _locked = self.lock();
        // ORDERING: Relaxed; the lock orders every write of a box's address (W2).
        let word = self.word.word.load(Ordering::Relaxed);
        // SAFETY: the lock is held; the reference ends with this function.
        let Some(watchers) = (unsafe { boxed(word) }) else {
            return Vec::new();
        };
        watchers
            .entries
            .extract_if(.., |entry| matches(entry))
            .collect()
    }

    /// Records the owner's exit and returns the entries to tell, each once (W1, W3): none if
    /// nobody watched or the exit was recorded before. Without watchers and with a reason
    /// that carries no data, this is one CAS: no lock, no allocation.
    #[must_use = "the entries are to be told of the exit"]
    pub fn exit(&self, reason: &Exit) -> Vec<E> {
        let mut word = ptr::null_mut();
        if let Some(marker) = marker_of(reason) {
            // ORDERING: Release on success publishes the owner's last turn to a registration
            // that finds the marker (W2); Acquire on failure, for the box's address (W2).
            match self.word.word.compare_exchange(
                ptr::null_mut(),
                ptr::without_provenance_mut(marker),
                Ordering::Release,
                Ordering::Acquire,
            ) {
                Ok(_) => return Vec::new(),
                Err(found) if found.addr() <= EXITED_SHUTDOWN => return Vec::new(),
                Err(found) => word = found,
            }
        }
        let _locked = self.lock();
        if word.is_null() {
            // ORDERING: Acquire; see `add`.
            word = self.word.word.load(Ordering::Acquire);
        }
        if word.addr() == ALIVE {
            // A reason with data and nobody watching: box the reason (W3), so that a later
            // registration finds it.
            let fresh = Box::into_raw(Box::new(Watchers {
                exited: Some(reason.clone()),
                entries: Vec::new(),
            }));
            // ORDERING: Release; publishes the box (and the owner's last turn) to a later
            // registration, whose lock acquisition orders it anyway. Under the lock only an
            // exit could write the word (W1), and exits of one owner do not overlap.
            self.word.word.store(fresh, Ordering::Release);
            return Vec::new();
        }
        // SAFETY: the lock is held; the reference ends with this function.
        let Some(watchers) = (unsafe { boxed(word) }) else {
            // Exited before, as a marker.
            return Vec::new();
        };
        if watchers.exited.is_some() {
            return Vec::new();
        }
        watchers.exited = Some(reason.clone());
        std::mem::take(&mut watchers.entries)
    }
}

/// The box `word` holds, if it holds one.
///
/// # Safety
/// - The caller holds the owner's lock (W3), and keeps the reference no longer.
unsafe fn boxed<'locked, E>(word: *mut Watchers<E>) -> Option<&'locked mut Watchers<E>> {
    if word.addr() <= EXITED_SHUTDOWN {
        return None;
    }
    // SAFETY: a word above the markers is a live box (W4), reached under the lock only (W3),
    // which the caller holds.
    Some(unsafe { &mut *word })
}

/// The reason of an exit recorded as a marker (W1).
fn exit_marker_reason(marker: *mut impl Sized) -> Exit {
    reason_of(marker.addr()).expect("only an exit marker replaces alive without the lock (W1)")
}
