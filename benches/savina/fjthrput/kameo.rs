//! Fork-join throughput on kameo.

use anyhow::Context as _;
use kameo::Actor;
use kameo::actor::{ActorRef, Spawn};
use kameo::message::{Context, Message};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

use crate::savina::block_on_tokio;

struct Work;

#[derive(Actor)]
struct Worker {
    per_actor: u64,
    count: u64,
    done: mpsc::UnboundedSender<u64>,
}

impl Message<Work> for Worker {
    type Reply = ();

    async fn handle(&mut self, _msg: Work, ctx: &mut Context<Self, ()>) {
        super::compute();
        self.count += 1;
        if self.count == self.per_actor {
            let _ = self.done.send(self.count);
            ctx.stop();
        }
    }
}

pub(super) fn run(runtime: &Runtime, actors: u64, per_actor: u64) -> anyhow::Result<u64> {
    block_on_tokio(runtime, async move {
        let (done, mut answers) = mpsc::unbounded_channel();
        let workers: Vec<ActorRef<Worker>> = (0..actors)
            .map(|_| {
                Worker::spawn(Worker {
                    per_actor,
                    count: 0,
                    done: done.clone(),
                })
            })
            .collect();
        for _ in 0..per_actor {
            for worker in &workers {
                worker.tell(Work).await?;
            }
        }
        let mut total = 0;
        for _ in 0..actors {
            total += answers.recv().await.context("a worker's count")?;
        }
        for worker in &workers {
            worker.wait_for_shutdown().await;
        }
        Ok(total)
    })
}
