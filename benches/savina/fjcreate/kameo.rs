//! Fork-join creation on kameo.

use anyhow::Context as _;
use kameo::Actor;
use kameo::actor::Spawn;
use kameo::message::{Context, Message};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

use crate::savina::block_on_tokio;

struct Work;

#[derive(Actor)]
struct Forked {
    done: mpsc::UnboundedSender<u64>,
}

impl Message<Work> for Forked {
    type Reply = ();

    async fn handle(&mut self, _msg: Work, ctx: &mut Context<Self, ()>) {
        super::compute();
        let _ = self.done.send(1);
        ctx.stop();
    }
}

pub(super) fn run(runtime: &Runtime, n: u64) -> anyhow::Result<u64> {
    block_on_tokio(runtime, async move {
        let (done, mut reports) = mpsc::unbounded_channel();
        for _ in 0..n {
            Forked::spawn(Forked { done: done.clone() })
                .tell(Work)
                .await?;
        }
        let mut count = 0;
        for _ in 0..n {
            count += reports.recv().await.context("a report")?;
        }
        Ok(count)
    })
}
