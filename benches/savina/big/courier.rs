//! Big on Courier.

use std::convert::Infallible;
use std::sync::Arc;

use anyhow::anyhow;
use courier_sched::{Actor, ActorRef, Context, Runtime};
use crossbeam_channel::Sender;

use super::Targets;
use crate::savina::wait_all;

enum Big {
    /// Everyone's refs; every pinger gets them before any pinger starts (see `run`).
    Neighbours(Arc<[ActorRef<Big>]>),
    Start,
    Ping(usize),
    Pong,
}

struct Pinger {
    index: usize,
    everyone: Arc<[ActorRef<Big>]>,
    targets: Targets,
    left: u64,
    pongs: u64,
    done: Sender<u64>,
}

impl Pinger {
    fn ping(&mut self) {
        self.left -= 1;
        let target = &self.everyone[self.targets.next()];
        target
            .try_send(Big::Ping(self.index))
            .expect("a mailbox has room for every pinger");
    }
}

impl Actor for Pinger {
    type Msg = Big;
    type Error = Infallible;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, msg: Big) -> Result<(), Infallible> {
        match msg {
            Big::Neighbours(everyone) => self.everyone = everyone,
            Big::Start => self.ping(),
            Big::Ping(from) => {
                self.everyone[from]
                    .try_send(Big::Pong)
                    .expect("the pinger waits");
            }
            Big::Pong => {
                self.pongs += 1;
                if self.left == 0 {
                    let _ = self.done.send(self.pongs);
                } else {
                    self.ping();
                }
            }
        }
        Ok(())
    }
}

pub(super) fn run(runtime: &Runtime, actors: usize, pings: u64) -> anyhow::Result<u64> {
    let (done, reports) = crossbeam_channel::unbounded();
    let everyone: Arc<[ActorRef<Big>]> = (0..actors)
        .map(|index| {
            runtime.spawn(Pinger {
                index,
                everyone: Arc::new([]),
                targets: Targets::new(index, actors),
                left: pings,
                pongs: 0,
                done: done.clone(),
            })
        })
        .collect();
    // All neighbour lists go out before any start, so each pinger's list is ahead of any ping
    // in its mailbox.
    for pinger in everyone.iter() {
        let neighbours = Big::Neighbours(Arc::clone(&everyone));
        pinger.send(neighbours).map_err(|e| anyhow!("{e}"))?;
    }
    for pinger in everyone.iter() {
        pinger.send(Big::Start).map_err(|e| anyhow!("{e}"))?;
    }
    let answered = wait_all(&reports, u64::try_from(actors)?);
    // Each pinger holds everyone's ref: stop them all.
    for pinger in everyone.iter() {
        let _stopped = pinger.stop();
    }
    answered
}
