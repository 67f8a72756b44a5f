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

/// A lock of one byte without a value, locked and unlocked by hand (a cell's `WatchLock`):
/// `parking_lot`'s `RawMutex` normally; under the model, loom's mutex, whose guard is kept
/// inside until `unlock` (loom blocks a waiting thread instead of exploring a spin loop).
pub(crate) struct RawLock(
    #[cfg(courier_loom)] loom::sync::Mutex<()>,
    #[cfg(courier_loom)] UnsafeCell<Option<loom::sync::MutexGuard<'static, ()>>>,
    #[cfg(not(courier_loom))] parking_lot::RawMutex,
);

// SAFETY: the guard inside is touched only by the thread holding the lock (`lock`, `unlock`).
#[cfg(courier_loom)]
unsafe impl Sync for RawLock {}

impl RawLock {
    pub(crate) fn new() -> Self {
        #[cfg(courier_loom)]
        return Self(loom::sync::Mutex::new(()), UnsafeCell::new(None));
        #[cfg(not(courier_loom))]
        return Self(<parking_lot::RawMutex as parking_lot::lock_api::RawMutex>::INIT);
    }

    pub(crate) fn lock(&self) {
        #[cfg(courier_loom)]
        {
            let guard = self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            // SAFETY: the guard borrows `self.0`, and is dropped in `unlock`, which the
            // holder calls before the lock can go (the contract of `unlock`).
            let guard = unsafe {
                std::mem::transmute::<
                    loom::sync::MutexGuard<'_, ()>,
                    loom::sync::MutexGuard<'static, ()>,
                >(guard)
            };
            // SAFETY: this thread holds the lock: nobody else touches the slot.
            unsafe { *self.1.get() = Some(guard) };
        }
        #[cfg(not(courier_loom))]
        parking_lot::lock_api::RawMutex::lock(&self.0);
    }

    /// # Safety
    /// - This thread locked it, with `lock`, and has not unlocked it since.
    pub(crate) unsafe fn unlock(&self) {
        #[cfg(courier_loom)]
        // SAFETY: the caller holds the lock: nobody else touches the slot.
        drop(unsafe { (*self.1.get()).take() });
        #[cfg(not(courier_loom))]
        // SAFETY: the caller locked it (the contract of this function).
        unsafe {
            parking_lot::lock_api::RawMutex::unlock(&self.0);
        };
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
