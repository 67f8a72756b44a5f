//! Big (Savina 7): `actors` actors each send `pings` pings, one at a time, to actors picked at
//! random; each ping is answered with a pong, and an actor whose last ping is answered tells
//! the caller. Many-to-many messaging with contention. The answer: the pongs counted.

use super::{Outcome, Peer, Runtimes, Scale, Workload, check};

mod actix;
mod courier;
mod kameo;
mod ractor;
mod threads;

/// The workload.
pub(crate) const WORKLOAD: Workload = Workload {
    name: "big",
    stresses: "many-to-many pings between random pairs",
    peers: &Peer::ALL,
    run,
};

/// Actors and pings per actor.
#[derive(Clone, Copy)]
struct Size {
    actors: usize,
    pings: u64,
}

fn size(scale: Scale) -> Size {
    match scale {
        Scale::Test => Size {
            actors: 10,
            pings: 100,
        },
        Scale::Quick => Size {
            actors: 120,
            pings: 200,
        },
        Scale::Full => Size {
            actors: 120,
            pings: 20_000,
        },
    }
}

/// The pseudo-random targets of one actor (xorshift64, seeded by its index), never itself.
#[derive(Clone, Copy)]
struct Targets {
    state: u64,
    me: usize,
    actors: usize,
}

impl Targets {
    fn new(me: usize, actors: usize) -> Self {
        Targets {
            state: 0x9E37_79B9_7F4A_7C15 ^ (me as u64 + 1),
            me,
            actors,
        }
    }

    fn next(&mut self) -> usize {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        let others = self.actors as u64 - 1;
        let pick = usize::try_from(self.state % others).expect("fewer actors than usize::MAX");
        if pick >= self.me { pick + 1 } else { pick }
    }
}

fn run(runtimes: &Runtimes, peer: Peer, scale: Scale) -> anyhow::Result<Outcome> {
    let Size { actors, pings } = size(scale);
    let pongs = match peer {
        Peer::Courier => courier::run(&runtimes.courier, actors, pings)?,
        Peer::Actix => actix::run(&runtimes.actix, actors, pings)?,
        Peer::Ractor => ractor::run(&runtimes.tokio, actors, pings)?,
        Peer::Kameo => kameo::run(&runtimes.tokio, actors, pings)?,
        Peer::Threads => threads::run(actors, pings)?,
    };
    let total = actors as u64 * pings;
    check(WORKLOAD.name, peer, total, pongs)?;
    Ok(Outcome {
        messages: 2 * total + actors as u64,
    })
}
