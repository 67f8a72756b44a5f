//! Thread ring on actix.

use actix::{Actor, ActorContext as _, Addr, Context, Handler, Message, SystemRunner};
use tokio::sync::mpsc;

use anyhow::Context as _;

use crate::savina::block_on_actix;

#[derive(Message)]
#[rtype(result = "()")]
enum Ring {
    Next(Addr<Member>),
    Token(u64),
    Stop,
}

struct Member {
    index: u64,
    next: Option<Addr<Member>>,
    done: mpsc::UnboundedSender<u64>,
}

impl Actor for Member {
    type Context = Context<Self>;
}

impl Handler<Ring> for Member {
    type Result = ();

    fn handle(&mut self, msg: Ring, ctx: &mut Context<Self>) {
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
                next.do_send(Ring::Token(left - 1));
            }
            Ring::Stop => ctx.stop(),
        }
    }
}

pub(super) fn run(system: &SystemRunner, actors: u64, hops: u64) -> anyhow::Result<u64> {
    block_on_actix(system, async move {
        let (done, mut answer) = mpsc::unbounded_channel();
        let ring: Vec<Addr<Member>> = (0..actors)
            .map(|index| {
                Member {
                    index,
                    next: None,
                    done: done.clone(),
                }
                .start()
            })
            .collect();
        for (member, next) in ring.iter().zip(ring.iter().cycle().skip(1)) {
            member.do_send(Ring::Next(next.clone()));
        }
        ring[0].do_send(Ring::Token(hops));
        let last = answer.recv().await.context("the last holder")?;
        // Each member holds the next one's address: stop them all.
        for member in &ring {
            member.do_send(Ring::Stop);
        }
        Ok(last)
    })
}
