//! Counting on kameo: `tell(..).await` into its default bounded mailbox (64), then `ask`.

use kameo::Actor;
use kameo::actor::Spawn;
use kameo::message::{Context, Message};
use tokio::runtime::Runtime;

use crate::savina::block_on_tokio;

struct Increment;
struct Get;

#[derive(Actor)]
struct Counter {
    count: u64,
}

impl Message<Increment> for Counter {
    type Reply = ();

    async fn handle(&mut self, _msg: Increment, _ctx: &mut Context<Self, ()>) {
        self.count += 1;
    }
}

impl Message<Get> for Counter {
    type Reply = u64;

    async fn handle(&mut self, _msg: Get, _ctx: &mut Context<Self, u64>) -> u64 {
        self.count
    }
}

pub(super) fn run(runtime: &Runtime, n: u64) -> anyhow::Result<u64> {
    block_on_tokio(runtime, async move {
        let counter = Counter::spawn(Counter { count: 0 });
        for _ in 0..n {
            counter.tell(Increment).await?;
        }
        let count = counter.ask(Get).await?;
        counter.stop_gracefully().await?;
        counter.wait_for_shutdown().await;
        Ok(count)
    })
}
