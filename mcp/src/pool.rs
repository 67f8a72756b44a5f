//! A small pool of plain threads for tool handlers that do real work.
//!
//! This is the stand-in for actors: when courier-sched's actor core lands, a tool becomes an
//! actor and its [`ToolHandler`](crate::ToolHandler) sends each call to it; the protocol engine
//! does not change.

use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::thread;

use crossbeam_channel::{Receiver, Sender};

type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of worker threads taking jobs from one queue. Cloning shares the pool. The
/// threads end when the last handle is dropped and the queue is empty.
///
/// The queue is unbounded, but a server never has more calls in flight than its
/// [`ServerConfig::in_flight_max`](crate::ServerConfig::in_flight_max), so neither has the
/// queue.
#[derive(Clone)]
pub struct WorkerPool {
    jobs: Sender<Job>,
    threads: usize,
}

impl WorkerPool {
    /// Starts `threads` worker threads (at least one), named `courier-mcp-worker-N`.
    ///
    /// # Panics
    /// When the OS cannot start a thread.
    #[must_use]
    pub fn new(threads: usize) -> Self {
        let threads = threads.max(1);
        let (jobs, queue) = crossbeam_channel::unbounded::<Job>();
        for index in 0..threads {
            let queue: Receiver<Job> = queue.clone();
            thread::Builder::new()
                .name(format!("courier-mcp-worker-{index}"))
                .spawn(move || {
                    for job in queue {
                        // A panicking job drops its responder, which answers isError; the
                        // thread lives on.
                        if panic::catch_unwind(AssertUnwindSafe(job)).is_err() {
                            tracing::error!("a tool handler panicked on a worker thread");
                        }
                    }
                })
                .expect("the OS starts a worker thread");
        }
        Self { jobs, threads }
    }

    /// Queues `job`.
    pub fn execute(&self, job: impl FnOnce() + Send + 'static) {
        // The receivers live as long as any sender, so the queue is never closed here.
        let _ = self.jobs.send(Box::new(job));
    }
}

impl fmt::Debug for WorkerPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerPool")
            .field("threads", &self.threads)
            .field("queued", &self.jobs.len())
            .finish()
    }
}
