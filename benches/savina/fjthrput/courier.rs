//! Fork-join throughput on Courier.

use std::convert::Infallible;

use anyhow::anyhow;
use courier_sched::{Actor, ActorRef, Context, Runtime};
use crossbeam_channel::Sender;

use crate::savina::wait_all;

struct Worker {
    per_actor: u64,
    count: u64,
    done: Sender<u64>,
}

impl Actor for Worker {
    type Msg = ();
    type Error = Infallible;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, (): ()) -> Result<(), Infallible> {
        super::compute();
        self.count += 1;
        if self.count == self.per_actor {
            let _ = self.done.send(self.count);
            ctx.stop();
        }
        Ok(())
    }
}

pub(super) fn run(runtime: &Runtime, actors: u64, per_actor: u64) -> anyhow::Result<u64> {
    let (done, answers) = crossbeam_channel::unbounded();
    let workers: Vec<ActorRef<()>> = (0..actors)
        .map(|_| {
            runtime.spawn(Worker {
                per_actor,
                count: 0,
                done: done.clone(),
            })
        })
        .collect();
    for _ in 0..per_actor {
        for worker in &workers {
            worker.send(()).map_err(|e| anyhow!("{e}"))?;
        }
    }
    wait_all(&answers, actors)
}
