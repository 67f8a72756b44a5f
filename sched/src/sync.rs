//! The only module of courier-sched that imports atomics, locks and thread parking (STYLE.md
//! §1). Under `cfg(courier_loom)` they come from loom, so the loom models run the shipped code.

#[cfg(courier_loom)]
pub(crate) use loom::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
#[cfg(not(courier_loom))]
pub(crate) use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

/// A lock without poisoning: `parking_lot` normally, loom's (unwrapped) under the model.
#[derive(Debug)]
pub(crate) struct Mutex<T>(
    #[cfg(courier_loom)] loom::sync::Mutex<T>,
    #[cfg(not(courier_loom))] parking_lot::Mutex<T>,
);

impl<T> Mutex<T> {
    pub(crate) fn new(value: T) -> Self {
        #[cfg(courier_loom)]
        return Self(loom::sync::Mutex::new(value));
        #[cfg(not(courier_loom))]
        return Self(parking_lot::Mutex::new(value));
    }

    #[cfg(not(courier_loom))]
    pub(crate) fn lock(&self) -> parking_lot::MutexGuard<'_, T> {
        self.0.lock()
    }

    #[cfg(courier_loom)]
    pub(crate) fn lock(&self) -> loom::sync::MutexGuard<'_, T> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Actor state is reached by one worker at a time (one turn claimed at a time, mailbox M7), not
/// by a lock-free protocol, so it lives in a plain std cell even under loom (nothing there
/// models it).
pub(crate) use std::cell::{Cell, RefCell, UnsafeCell};
/// The runtime's shared flags and counters; not modelled by loom either (the protocols they
/// rely on are: the mailbox's turns, `IdleWorkers`, the inbox and the deques).
pub(crate) use std::sync::atomic::{
    AtomicBool as StdAtomicBool, AtomicU64 as StdAtomicU64, AtomicUsize as StdAtomicUsize,
    Ordering as StdOrdering, fence as std_fence,
};
