//! The atomics this crate uses, in one place (the workspace's rule: atomics are imported
//! through `sync.rs`, so a loom build can swap them). The pool's cursor is the only one: it
//! spreads load and orders nothing, so it has no loom model.

pub(crate) use std::sync::atomic::{AtomicUsize, Ordering};
