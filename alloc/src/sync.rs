//! The only module of courier-alloc that imports atomics and cells (STYLE.md §1).
//!
//! Under `cfg(courier_loom)` every atomic and cell comes from loom, so the loom models exercise
//! the same code that ships.

#[cfg(courier_loom)]
pub(crate) use loom::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
#[cfg(not(courier_loom))]
pub(crate) use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

/// `UnsafeCell` with loom's closure API, so callers compile the same under loom and std.
#[cfg(not(courier_loom))]
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(courier_loom))]
impl<T> UnsafeCell<T> {
    pub(crate) const fn new(value: T) -> Self {
        Self(std::cell::UnsafeCell::new(value))
    }

    /// Runs `f` with a raw pointer to the value; the caller upholds exclusive access.
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

#[cfg(courier_loom)]
pub(crate) use loom::cell::UnsafeCell;
