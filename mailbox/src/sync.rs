//! The only module that imports atomics and cells (STYLE.md §1).
//!
//! Under `cfg(courier_loom)` every type comes from loom, so the same protocol code runs inside
//! `loom::model`. `UnsafeCell` is a shim with the part of loom's API this crate uses, so both
//! builds share one call style.

#[cfg(courier_loom)]
pub(crate) use loom::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
#[cfg(not(courier_loom))]
pub(crate) use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

#[cfg(courier_loom)]
pub(crate) use loom::cell::{MutPtr, UnsafeCell};

#[cfg(not(courier_loom))]
pub(crate) use self::cell::{MutPtr, UnsafeCell};

#[cfg(not(courier_loom))]
mod cell {
    /// `std::cell::UnsafeCell` with the subset of loom's API this crate uses.
    #[derive(Debug)]
    pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        pub(crate) const fn new(value: T) -> Self {
            Self(std::cell::UnsafeCell::new(value))
        }

        /// A pointer for exclusive access. Under loom the returned guard also records the access,
        /// so two overlapping `MutPtr`s of one cell fail the model.
        pub(crate) const fn get_mut(&self) -> MutPtr<T> {
            MutPtr(self.0.get())
        }
    }

    /// The std twin of `loom::cell::MutPtr`: a raw pointer, no tracking.
    #[derive(Debug)]
    pub(crate) struct MutPtr<T>(*mut T);

    impl<T> MutPtr<T> {
        pub(crate) fn with<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0)
        }
    }
}
