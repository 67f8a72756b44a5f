//! Trimming the pools of a thread outside the runtime, on that thread's own call.
//!
//! A thread that is not a worker keeps pools of its own: one for the messages it sends
//! (`worker.rs`'s outside pools) and one per runtime and node for the cells of the actors it
//! spawns (`cell_memory.rs`'s away pools). Workers trim theirs while parked (`idle_trim.rs`),
//! but nothing of the runtime runs on an outside thread between its calls, and a trim walks the
//! free lists, which no send or spawn should pay for. So a long-lived thread that sends or
//! spawns in bursts (an acceptor that spawns an actor per connection, a loader that fills
//! mailboxes) asks for it when it has the time: [`trim_thread_pools`].

use courier_alloc::Trimmed;

use crate::idle_trim::TRIM_KEEP_BYTES;

/// Gives the wholly free slabs of the calling thread's own pools back to the kernel (courier-
/// alloc's `SlabPool::trim`), keeping 1 MiB of free blocks per pool, as a parked worker does:
/// the pools of the messages it sent and of the cells of the actors it spawned, whatever
/// runtime they were for (the blocks freed on workers come home first; the cell pools of
/// runtimes that have gone are dropped). Its cost grows with the free lists: call it when the
/// thread has nothing better to do. On a worker thread it does nothing (workers trim their own
/// pools while parked, `memory.trim_after_idle_ms`).
///
/// ```
/// use courier_sched::{Actor, Context, Runtime, trim_thread_pools};
///
/// struct Idle;
/// impl Actor for Idle {
///     type Msg = ();
///     type Error = std::convert::Infallible;
///     fn handle(&mut self, _: &mut Context<'_, Self>, (): ()) -> Result<(), Self::Error> {
///         Ok(())
///     }
/// }
///
/// let runtime = Runtime::with_workers(1).unwrap();
/// let actors: Vec<_> = (0..10).map(|_| runtime.spawn(Idle)).collect();
/// drop(actors);
/// let trimmed = trim_thread_pools();
/// assert!(!trimmed.stopped);
/// runtime.shutdown();
/// ```
pub fn trim_thread_pools() -> Trimmed {
    if crate::worker::on_worker_thread() {
        return Trimmed::default();
    }
    let mut trimmed = crate::worker::trim_outside_pools(TRIM_KEEP_BYTES);
    trimmed.add(crate::cell_memory::trim_away_pools(TRIM_KEEP_BYTES));
    trimmed
}
