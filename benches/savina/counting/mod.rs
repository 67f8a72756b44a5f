//! Counting (Savina 2): the caller sends `n` increments to one counting actor, then asks it for
//! the count; enqueue and dequeue throughput of one mailbox. The answer: the count.

use super::{Outcome, Peer, Runtimes, Scale, Workload, check};

mod actix;
mod courier;
mod kameo;
mod ractor;
mod threads;

/// The workload.
pub(crate) const WORKLOAD: Workload = Workload {
    name: "counting",
    stresses: "one sender into one mailbox",
    peers: &Peer::ALL,
    run,
};

/// Increments.
fn increments(scale: Scale) -> u64 {
    match scale {
        Scale::Test => 10_000,
        Scale::Quick => 100_000,
        Scale::Full => 1_000_000,
    }
}

fn run(runtimes: &Runtimes, peer: Peer, scale: Scale) -> anyhow::Result<Outcome> {
    let n = increments(scale);
    let count = match peer {
        Peer::Courier => courier::run(&runtimes.courier, n)?,
        Peer::Actix => actix::run(&runtimes.actix, n)?,
        Peer::Ractor => ractor::run(&runtimes.tokio, n)?,
        Peer::Kameo => kameo::run(&runtimes.tokio, n)?,
        Peer::Threads => threads::run(n)?,
    };
    check(WORKLOAD.name, peer, n, count)?;
    Ok(Outcome { messages: n + 2 })
}
