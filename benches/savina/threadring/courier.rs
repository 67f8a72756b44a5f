//! Thread ring on Courier.

use std::convert::Infallible;

use anyhow::anyhow;
use courier_sched::{Actor, ActorRef, Context, Runtime};
use crossbeam_channel::Sender;

use crate::savina::wait;

enum Ring {
    Next(ActorRef<Ring>),
    Token(u64),
}

struct Member {
    index: u64,
    next: Option<ActorRef<Ring>>,
    done: Sender<u64>,
}

impl Actor for Member {
    type Msg = Ring;
    type Error = Infallible;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, msg: Ring) -> Result<(), Infallible> {
        match msg {
            Ring::Next(next) => self.next = Some(next),
            Ring::Token(0) => {
                let _ = self.done.send(self.index);
            }
            Ring::Token(left) => {
                let next = self
                    .next
                    .as_ref()
                    .expect("the ring is closed before the token");
                next.try_send(Ring::Token(left - 1))
                    .expect("the next member is alive");
            }
        }
        Ok(())
    }
}

pub(super) fn run(runtime: &Runtime, actors: u64, hops: u64) -> anyhow::Result<u64> {
    let (done, answer) = crossbeam_channel::bounded(1);
    let ring: Vec<ActorRef<Ring>> = (0..actors)
        .map(|index| {
            runtime.spawn(Member {
                index,
                next: None,
                done: done.clone(),
            })
        })
        .collect();
    for (member, next) in ring.iter().zip(ring.iter().cycle().skip(1)) {
        member
            .send(Ring::Next(next.clone()))
            .map_err(|e| anyhow!("{e}"))?;
    }
    ring[0]
        .send(Ring::Token(hops))
        .map_err(|e| anyhow!("{e}"))?;
    let last = wait(&answer);
    // Each member holds the next one's ref: stop them all.
    for member in &ring {
        let _stopped = member.stop();
    }
    last
}
