//! Fork-join creation (Savina 4): the caller creates `n` actors and sends each one message; each
//! does a little arithmetic, reports, and exits. Actor creation and teardown cost. The answer:
//! the reports counted. No threads version: thread creation is not a floor for actors.

use std::hint::black_box;

use super::{Outcome, Peer, Runtimes, Scale, Workload, check};

mod actix;
mod courier;
mod kameo;
mod ractor;

/// The workload.
pub(crate) const WORKLOAD: Workload = Workload {
    name: "fork_join_creation",
    stresses: "creating and retiring actors",
    peers: &[Peer::Courier, Peer::Actix, Peer::Ractor, Peer::Kameo],
    run,
};

/// Actors created.
fn actors(scale: Scale) -> u64 {
    match scale {
        Scale::Test => 1_000,
        Scale::Quick => 10_000,
        Scale::Full => 40_000,
    }
}

/// Savina's per-message work (`performComputation(37.2)`).
fn compute() {
    let sine = black_box(37.2_f64).sin();
    black_box(sine * sine);
}

fn run(runtimes: &Runtimes, peer: Peer, scale: Scale) -> anyhow::Result<Outcome> {
    let n = actors(scale);
    let reports = match peer {
        Peer::Courier => courier::run(&runtimes.courier, n)?,
        Peer::Actix => actix::run(&runtimes.actix, n)?,
        Peer::Ractor => ractor::run(&runtimes.tokio, n)?,
        Peer::Kameo => kameo::run(&runtimes.tokio, n)?,
        Peer::Threads => anyhow::bail!("fork_join_creation has no threads version"),
    };
    check(WORKLOAD.name, peer, n, reports)?;
    Ok(Outcome { messages: 2 * n })
}
