//! Fork-join creation on ractor.

use anyhow::Context as _;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

use crate::savina::block_on_tokio;

struct Forked;

impl Actor for Forked {
    type Msg = ();
    type State = mpsc::UnboundedSender<u64>;
    type Arguments = mpsc::UnboundedSender<u64>;

    async fn pre_start(
        &self,
        _myself: ActorRef<()>,
        done: mpsc::UnboundedSender<u64>,
    ) -> Result<mpsc::UnboundedSender<u64>, ActorProcessingErr> {
        Ok(done)
    }

    async fn handle(
        &self,
        myself: ActorRef<()>,
        (): (),
        done: &mut mpsc::UnboundedSender<u64>,
    ) -> Result<(), ActorProcessingErr> {
        super::compute();
        let _ = done.send(1);
        myself.stop(None);
        Ok(())
    }
}

pub(super) fn run(runtime: &Runtime, n: u64) -> anyhow::Result<u64> {
    block_on_tokio(runtime, async move {
        let (done, mut reports) = mpsc::unbounded_channel();
        let mut tasks = Vec::new();
        for _ in 0..n {
            let (forked, task) = Actor::spawn(None, Forked, done.clone()).await?;
            forked.cast(())?;
            tasks.push(task);
        }
        let mut count = 0;
        for _ in 0..n {
            count += reports.recv().await.context("a report")?;
        }
        for task in tasks {
            task.await?;
        }
        Ok(count)
    })
}
