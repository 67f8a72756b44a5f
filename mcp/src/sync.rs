//! The one module of courier-mcp that imports atomics (STYLE.md §1). The crate has no lock-free
//! protocol of its own, so there is no loom switch: its concurrency is channels, a mutex and a
//! condition variable per cancel token, and the flags below.

pub(crate) use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
