//! Skynet on ractor: each node spawns its children in `pre_start` and stops after reporting.

use ractor::{Actor, ActorProcessingErr, ActorRef};
use tokio::runtime::Runtime;
use tokio::sync::oneshot;

use super::{FAN_OUT, Node};
use crate::savina::block_on_tokio;

enum Parent {
    Actor(ActorRef<u64>),
    Caller(Option<oneshot::Sender<u64>>),
}

struct Skynet;

struct SkynetState {
    parent: Parent,
    pending: u64,
    sum: u64,
}

fn report(
    myself: &ActorRef<u64>,
    parent: &mut Parent,
    value: u64,
) -> Result<(), ActorProcessingErr> {
    match parent {
        Parent::Actor(parent) => parent.cast(value)?,
        Parent::Caller(done) => {
            if let Some(done) = done.take() {
                let _ = done.send(value);
            }
        }
    }
    myself.stop(None);
    Ok(())
}

impl Actor for Skynet {
    type Msg = u64;
    type State = SkynetState;
    type Arguments = (Parent, Node);

    async fn pre_start(
        &self,
        myself: ActorRef<u64>,
        (mut parent, node): (Parent, Node),
    ) -> Result<SkynetState, ActorProcessingErr> {
        if node.is_leaf() {
            report(&myself, &mut parent, node.number)?;
        } else {
            for child in node.children() {
                let args = (Parent::Actor(myself.clone()), child);
                let _child = Actor::spawn(None, Skynet, args).await?;
            }
        }
        Ok(SkynetState {
            parent,
            pending: FAN_OUT,
            sum: 0,
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<u64>,
        value: u64,
        state: &mut SkynetState,
    ) -> Result<(), ActorProcessingErr> {
        state.sum += value;
        state.pending -= 1;
        if state.pending == 0 {
            report(&myself, &mut state.parent, state.sum)?;
        }
        Ok(())
    }
}

pub(super) fn run(runtime: &Runtime, root: Node) -> anyhow::Result<u64> {
    block_on_tokio(runtime, async move {
        let (done, answer) = oneshot::channel();
        let (_root, task) = Actor::spawn(None, Skynet, (Parent::Caller(Some(done)), root)).await?;
        let sum = answer.await?;
        task.await?;
        Ok(sum)
    })
}
