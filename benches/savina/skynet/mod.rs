//! Skynet: a tree of actors, 10 children each, `levels` deep; each leaf reports its number,
//! each inner actor the sum of its children's reports, and every actor exits after reporting.
//! Spawn, first message and exit cost at scale (1 M leaves at full size). The answer: the sum
//! of the leaves' numbers. No threads version: a million OS threads is not a floor.

use super::{Outcome, Peer, Runtimes, Scale, Workload, check};

mod actix;
mod courier;
mod kameo;
mod ractor;

/// The workload.
pub(crate) const WORKLOAD: Workload = Workload {
    name: "skynet",
    stresses: "spawning and retiring a tree of short-lived actors",
    peers: &[Peer::Courier, Peer::Actix, Peer::Ractor, Peer::Kameo],
    run,
};

/// Children per actor.
const FAN_OUT: u64 = 10;

/// Levels below the root: 10^levels leaves.
fn levels(scale: Scale) -> u32 {
    match scale {
        Scale::Test => 3,
        Scale::Quick => 4,
        Scale::Full => 6,
    }
}

/// What a node at `level` with `number` does: a leaf reports its number at once, an inner node
/// spawns children `number * 10 + 0..10` and sums their reports.
#[derive(Clone, Copy)]
struct Node {
    number: u64,
    level: u32,
    levels: u32,
}

impl Node {
    fn is_leaf(self) -> bool {
        self.level == self.levels
    }

    fn children(self) -> impl Iterator<Item = Node> {
        (0..FAN_OUT).map(move |child| Node {
            number: self.number * FAN_OUT + child,
            level: self.level + 1,
            levels: self.levels,
        })
    }
}

fn run(runtimes: &Runtimes, peer: Peer, scale: Scale) -> anyhow::Result<Outcome> {
    let levels = levels(scale);
    let root = Node {
        number: 0,
        level: 0,
        levels,
    };
    let sum = match peer {
        Peer::Courier => courier::run(&runtimes.courier, root)?,
        Peer::Actix => actix::run(&runtimes.actix, root)?,
        Peer::Ractor => ractor::run(&runtimes.tokio, root)?,
        Peer::Kameo => kameo::run(&runtimes.tokio, root)?,
        Peer::Threads => anyhow::bail!("skynet has no threads version"),
    };
    let leaves = FAN_OUT.pow(levels);
    check(WORKLOAD.name, peer, leaves * (leaves - 1) / 2, sum)?;
    // Every actor but the root reports to its parent; the root reports to the caller.
    let actors = (FAN_OUT.pow(levels + 1) - 1) / (FAN_OUT - 1);
    Ok(Outcome { messages: actors })
}
