//! Skynet on kameo: each node spawns its children in `on_start` and stops after reporting.

use kameo::Actor;
use kameo::actor::{ActorRef, Spawn};
use kameo::error::Infallible;
use kameo::message::{Context, Message};
use tokio::runtime::Runtime;
use tokio::sync::oneshot;

use super::{FAN_OUT, Node};
use crate::savina::block_on_tokio;

enum Parent {
    Actor(ActorRef<Skynet>),
    Caller(Option<oneshot::Sender<u64>>),
}

struct Skynet {
    parent: Parent,
    pending: u64,
    sum: u64,
}

struct Report(u64);

impl Skynet {
    async fn report(&mut self, myself: &ActorRef<Self>, value: u64) {
        match &mut self.parent {
            Parent::Actor(parent) => {
                let _ = parent.tell(Report(value)).await;
            }
            Parent::Caller(done) => {
                if let Some(done) = done.take() {
                    let _ = done.send(value);
                }
            }
        }
        let _ = myself.stop_gracefully().await;
    }
}

impl Actor for Skynet {
    type Args = (Parent, Node);
    type Error = Infallible;

    async fn on_start(
        (parent, node): (Parent, Node),
        myself: ActorRef<Self>,
    ) -> Result<Self, Infallible> {
        let mut skynet = Skynet {
            parent,
            pending: FAN_OUT,
            sum: 0,
        };
        if node.is_leaf() {
            skynet.report(&myself, node.number).await;
        } else {
            for child in node.children() {
                let _child = Skynet::spawn((Parent::Actor(myself.clone()), child));
            }
        }
        Ok(skynet)
    }
}

impl Message<Report> for Skynet {
    type Reply = ();

    async fn handle(&mut self, Report(value): Report, ctx: &mut Context<Self, ()>) {
        self.sum += value;
        self.pending -= 1;
        if self.pending == 0 {
            let myself = ctx.actor_ref().clone();
            self.report(&myself, self.sum).await;
        }
    }
}

pub(super) fn run(runtime: &Runtime, root: Node) -> anyhow::Result<u64> {
    block_on_tokio(runtime, async move {
        let (done, answer) = oneshot::channel();
        let root = Skynet::spawn((Parent::Caller(Some(done)), root));
        let sum = answer.await?;
        root.wait_for_shutdown().await;
        Ok(sum)
    })
}
