//! Thread ring on ractor.

use anyhow::Context as _;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

use crate::savina::block_on_tokio;

enum Ring {
    Next(ActorRef<Ring>),
    Token(u64),
}

struct Member;

struct MemberState {
    index: u64,
    next: Option<ActorRef<Ring>>,
    done: mpsc::UnboundedSender<u64>,
}

impl Actor for Member {
    type Msg = Ring;
    type State = MemberState;
    type Arguments = MemberState;

    async fn pre_start(
        &self,
        _myself: ActorRef<Ring>,
        state: MemberState,
    ) -> Result<MemberState, ActorProcessingErr> {
        Ok(state)
    }

    async fn handle(
        &self,
        _myself: ActorRef<Ring>,
        msg: Ring,
        state: &mut MemberState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            Ring::Next(next) => state.next = Some(next),
            Ring::Token(0) => {
                let _ = state.done.send(state.index);
            }
            Ring::Token(left) => {
                let next = state
                    .next
                    .as_ref()
                    .ok_or("the ring is closed before the token")?;
                next.cast(Ring::Token(left - 1))?;
            }
        }
        Ok(())
    }
}

pub(super) fn run(runtime: &Runtime, actors: u64, hops: u64) -> anyhow::Result<u64> {
    block_on_tokio(runtime, async move {
        let (done, mut answer) = mpsc::unbounded_channel();
        let mut ring = Vec::new();
        for index in 0..actors {
            let state = MemberState {
                index,
                next: None,
                done: done.clone(),
            };
            ring.push(Actor::spawn(None, Member, state).await?);
        }
        for ((member, _), (next, _)) in ring.iter().zip(ring.iter().cycle().skip(1)) {
            member.cast(Ring::Next(next.clone()))?;
        }
        ring[0].0.cast(Ring::Token(hops))?;
        let last = answer.recv().await.context("the last holder")?;
        for (member, _) in &ring {
            member.stop(None);
        }
        for (_, task) in ring {
            task.await?;
        }
        Ok(last)
    })
}
