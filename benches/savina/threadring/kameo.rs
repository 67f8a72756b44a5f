//! Thread ring on kameo.

use anyhow::Context as _;
use kameo::Actor;
use kameo::actor::{ActorRef, Spawn};
use kameo::message::{Context, Message};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

use crate::savina::block_on_tokio;

struct Next(ActorRef<Member>);
struct Token(u64);

#[derive(Actor)]
struct Member {
    index: u64,
    next: Option<ActorRef<Member>>,
    done: mpsc::UnboundedSender<u64>,
}

impl Message<Next> for Member {
    type Reply = ();

    async fn handle(&mut self, Next(next): Next, _ctx: &mut Context<Self, ()>) {
        self.next = Some(next);
    }
}

impl Message<Token> for Member {
    type Reply = ();

    async fn handle(&mut self, Token(left): Token, _ctx: &mut Context<Self, ()>) {
        if left == 0 {
            let _ = self.done.send(self.index);
        } else if let Some(next) = &self.next {
            let _ = next.tell(Token(left - 1)).await;
        }
    }
}

pub(super) fn run(runtime: &Runtime, actors: u64, hops: u64) -> anyhow::Result<u64> {
    block_on_tokio(runtime, async move {
        let (done, mut answer) = mpsc::unbounded_channel();
        let ring: Vec<ActorRef<Member>> = (0..actors)
            .map(|index| {
                Member::spawn(Member {
                    index,
                    next: None,
                    done: done.clone(),
                })
            })
            .collect();
        for (member, next) in ring.iter().zip(ring.iter().cycle().skip(1)) {
            member.tell(Next(next.clone())).await?;
        }
        ring[0].tell(Token(hops)).await?;
        let last = answer.recv().await.context("the last holder")?;
        for member in &ring {
            member.stop_gracefully().await?;
        }
        for member in &ring {
            member.wait_for_shutdown().await;
        }
        Ok(last)
    })
}
