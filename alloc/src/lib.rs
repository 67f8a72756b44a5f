//! courier-alloc: where every message of the Courier runtime lives.
//!
//! Messages live in 64-byte-aligned blocks from per-NUMA-node [`SlabPool`]s, one pool per size
//! class ([`SizeClass`]: 64, 128, 256, 512 bytes). The first cache line of a block is reserved
//! for the message header (its layout is defined in courier-sched, where this crate and the
//! mailbox meet; a message of up to 32 bytes shares that line, so most messages take one 64-byte
//! block); the inline payload follows. Larger payloads are [`Payload::Shared`] or, at or
//! above a threshold, [`Payload::Mapped`] into their own node-bound, huge-page-backed region.
//!
//! Each pool has one owner thread: allocation and local free touch no atomic. A block freed on
//! another thread goes home through the owner's [`RemoteFreeList`] and is reused in batches
//! (mimalloc's `xthread_free`, seastar's cross-CPU free list); the owner takes a batch's blocks
//! for writing before it hands them out (`free_batch.rs`, `PREFETCHW`). Pool memory comes from a
//! [`NodeMemory`] provider ([`UnboundMemory`] by default, [`BoundMemory`] for `mbind`-bound,
//! huge-page, pre-faulted chunks) within an optional per-node cap ([`NodeBudget`]); exhaustion is
//! an [`AllocError`], never a panic.
//!
//! An owner with nothing else to do may [`trim`](SlabPool::trim) its pools: wholly free slabs
//! go back to the kernel, whole chunks to the node's budget (`trim.rs`).
//!
//! The protocols are documented at the top of `remote.rs` (M1-M4), `pool.rs` (P1-P4) and
//! `trim.rs` (T1-T3); the loom model is `tests/loom_remote_free.rs`.

mod block;
mod budget;
mod error;
mod free_batch;
mod mapped;
mod memory;
mod node;
mod payload;
mod pool;
mod pool_set;
mod prefetch;
mod raw;
mod region;
mod remote;
mod size_class;
mod slab;
mod stats;
mod sync;
mod trim;

pub use block::Block;
pub use budget::NodeBudget;
pub use error::{AllocError, MapError, MapErrorKind};
pub use mapped::MappedPayload;
pub use memory::{AnonymousMemory, BoundMemory, HUGE_PAGE_BYTES, NodeMemory, UnboundMemory};
pub use node::NodeId;
pub use payload::{Payload, PayloadKind, PayloadPolicy};
pub use pool::{PoolConfig, SlabPool};
pub use pool_set::PoolSet;
pub use region::Region;
pub use remote::{FreeLink, Push, Release, RemoteFreeList};
pub use size_class::{CACHE_LINE_BYTES, HEADER_SIZE_BYTES, SizeClass};
pub use slab::SLAB_SIZE_BYTES;
pub use stats::PoolStats;
pub use trim::Trimmed;
