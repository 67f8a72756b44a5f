//! Ping-pong (Savina 1): two actors pass a ball back and forth `n` times; raw one-to-one
//! message latency, no parallelism. The answer: the pongs the pinger counted.

use super::{Outcome, Peer, Runtimes, Scale, Workload, check};

mod actix;
mod courier;
mod kameo;
mod ractor;
mod threads;

/// The workload.
pub(crate) const WORKLOAD: Workload = Workload {
    name: "ping_pong",
    stresses: "one-to-one round trips",
    peers: &Peer::ALL,
    run,
};

/// Round trips.
fn rounds(scale: Scale) -> u64 {
    match scale {
        Scale::Test => 1_000,
        Scale::Quick => 10_000,
        Scale::Full => 40_000,
    }
}

fn run(runtimes: &Runtimes, peer: Peer, scale: Scale) -> anyhow::Result<Outcome> {
    let n = rounds(scale);
    let pongs = match peer {
        Peer::Courier => courier::run(&runtimes.courier, n)?,
        Peer::Actix => actix::run(&runtimes.actix, n)?,
        Peer::Ractor => ractor::run(&runtimes.tokio, n)?,
        Peer::Kameo => kameo::run(&runtimes.tokio, n)?,
        Peer::Threads => threads::run(n)?,
    };
    check(WORKLOAD.name, peer, n, pongs)?;
    Ok(Outcome { messages: 2 * n })
}
