//! Counting on ractor: `cast` into its unbounded mailbox, then `call!` for the count.

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use tokio::runtime::Runtime;

use crate::savina::block_on_tokio;

enum Count {
    Increment,
    Get(RpcReplyPort<u64>),
}

struct Counter;

impl Actor for Counter {
    type Msg = Count;
    type State = u64;
    type Arguments = ();

    async fn pre_start(&self, _myself: ActorRef<Count>, (): ()) -> Result<u64, ActorProcessingErr> {
        Ok(0)
    }

    async fn handle(
        &self,
        _myself: ActorRef<Count>,
        msg: Count,
        count: &mut u64,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            Count::Increment => *count += 1,
            Count::Get(reply) => reply.send(*count)?,
        }
        Ok(())
    }
}

pub(super) fn run(runtime: &Runtime, n: u64) -> anyhow::Result<u64> {
    block_on_tokio(runtime, async move {
        let (counter, task) = Actor::spawn(None, Counter, ()).await?;
        for _ in 0..n {
            counter.cast(Count::Increment)?;
        }
        let count = ractor::call!(counter, Count::Get)?;
        counter.stop(None);
        task.await?;
        Ok(count)
    })
}
