//! Thread ring (Savina 5): `actors` actors in a ring pass a token `hops` times; the switch
//! from one actor to the next, one message at a time. The answer: the index of the actor that
//! holds the token when it runs out, which must be `hops % actors`.

use super::{Outcome, Peer, Runtimes, Scale, Workload, check};

mod actix;
mod courier;
mod kameo;
mod ractor;
mod threads;

/// The workload.
pub(crate) const WORKLOAD: Workload = Workload {
    name: "thread_ring",
    stresses: "a token passed around a ring",
    peers: &Peer::ALL,
    run,
};

/// Actors in the ring and hops of the token.
#[derive(Clone, Copy)]
struct Size {
    actors: u64,
    hops: u64,
}

fn size(scale: Scale) -> Size {
    match scale {
        Scale::Test => Size {
            actors: 10,
            hops: 1_000,
        },
        Scale::Quick => Size {
            actors: 100,
            hops: 10_000,
        },
        Scale::Full => Size {
            actors: 100,
            hops: 100_000,
        },
    }
}

fn run(runtimes: &Runtimes, peer: Peer, scale: Scale) -> anyhow::Result<Outcome> {
    let Size { actors, hops } = size(scale);
    let last = match peer {
        Peer::Courier => courier::run(&runtimes.courier, actors, hops)?,
        Peer::Actix => actix::run(&runtimes.actix, actors, hops)?,
        Peer::Ractor => ractor::run(&runtimes.tokio, actors, hops)?,
        Peer::Kameo => kameo::run(&runtimes.tokio, actors, hops)?,
        Peer::Threads => threads::run(actors, hops)?,
    };
    check(WORKLOAD.name, peer, hops % actors, last)?;
    Ok(Outcome { messages: hops + 1 })
}
