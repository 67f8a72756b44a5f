//! Fork-join throughput (Savina 3): the caller sends `n` messages to each of `actors` actors,
//! round robin; each does a little arithmetic per message and reports its count after the last.
//! One sender fanning out: mailbox and scheduling throughput. The answer: the counts' sum.

use std::hint::black_box;

use super::{Outcome, Peer, Runtimes, Scale, Workload, check};

mod actix;
mod courier;
mod kameo;
mod ractor;
mod threads;

/// The workload.
pub(crate) const WORKLOAD: Workload = Workload {
    name: "fork_join_throughput",
    stresses: "one sender fanning out to many actors",
    peers: &Peer::ALL,
    run,
};

/// Actors and messages per actor.
#[derive(Clone, Copy)]
struct Size {
    actors: u64,
    per_actor: u64,
}

fn size(scale: Scale) -> Size {
    match scale {
        Scale::Test => Size {
            actors: 10,
            per_actor: 100,
        },
        Scale::Quick => Size {
            actors: 60,
            per_actor: 1_000,
        },
        Scale::Full => Size {
            actors: 60,
            per_actor: 10_000,
        },
    }
}

/// Savina's per-message work (`performComputation(37.2)`).
fn compute() {
    let sine = black_box(37.2_f64).sin();
    black_box(sine * sine);
}

fn run(runtimes: &Runtimes, peer: Peer, scale: Scale) -> anyhow::Result<Outcome> {
    let Size { actors, per_actor } = size(scale);
    let total = match peer {
        Peer::Courier => courier::run(&runtimes.courier, actors, per_actor)?,
        Peer::Actix => actix::run(&runtimes.actix, actors, per_actor)?,
        Peer::Ractor => ractor::run(&runtimes.tokio, actors, per_actor)?,
        Peer::Kameo => kameo::run(&runtimes.tokio, actors, per_actor)?,
        Peer::Threads => threads::run(actors, per_actor)?,
    };
    check(WORKLOAD.name, peer, actors * per_actor, total)?;
    Ok(Outcome {
        messages: actors * per_actor + actors,
    })
}
