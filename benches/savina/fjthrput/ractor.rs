//! Fork-join throughput on ractor.

use anyhow::Context as _;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

use crate::savina::block_on_tokio;

struct Worker;

struct WorkerState {
    per_actor: u64,
    count: u64,
    done: mpsc::UnboundedSender<u64>,
}

impl Actor for Worker {
    type Msg = ();
    type State = WorkerState;
    type Arguments = WorkerState;

    async fn pre_start(
        &self,
        _myself: ActorRef<()>,
        state: WorkerState,
    ) -> Result<WorkerState, ActorProcessingErr> {
        Ok(state)
    }

    async fn handle(
        &self,
        myself: ActorRef<()>,
        (): (),
        state: &mut WorkerState,
    ) -> Result<(), ActorProcessingErr> {
        super::compute();
        state.count += 1;
        if state.count == state.per_actor {
            let _ = state.done.send(state.count);
            myself.stop(None);
        }
        Ok(())
    }
}

pub(super) fn run(runtime: &Runtime, actors: u64, per_actor: u64) -> anyhow::Result<u64> {
    block_on_tokio(runtime, async move {
        let (done, mut answers) = mpsc::unbounded_channel();
        let mut workers = Vec::new();
        for _ in 0..actors {
            let state = WorkerState {
                per_actor,
                count: 0,
                done: done.clone(),
            };
            workers.push(Actor::spawn(None, Worker, state).await?);
        }
        for _ in 0..per_actor {
            for (worker, _) in &workers {
                worker.cast(())?;
            }
        }
        let mut total = 0;
        for _ in 0..actors {
            total += answers.recv().await.context("a worker's count")?;
        }
        for (_, task) in workers {
            task.await?;
        }
        Ok(total)
    })
}
