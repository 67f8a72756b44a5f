//! Fork-join throughput on actix.

use actix::{Actor, ActorContext as _, Addr, Context, Handler, Message, SystemRunner};
use anyhow::Context as _;
use tokio::sync::mpsc;

use crate::savina::block_on_actix;

#[derive(Message)]
#[rtype(result = "()")]
struct Work;

struct Worker {
    per_actor: u64,
    count: u64,
    done: mpsc::UnboundedSender<u64>,
}

impl Actor for Worker {
    type Context = Context<Self>;
}

impl Handler<Work> for Worker {
    type Result = ();

    fn handle(&mut self, _msg: Work, ctx: &mut Context<Self>) {
        super::compute();
        self.count += 1;
        if self.count == self.per_actor {
            let _ = self.done.send(self.count);
            ctx.stop();
        }
    }
}

pub(super) fn run(system: &SystemRunner, actors: u64, per_actor: u64) -> anyhow::Result<u64> {
    block_on_actix(system, async move {
        let (done, mut answers) = mpsc::unbounded_channel();
        let workers: Vec<Addr<Worker>> = (0..actors)
            .map(|_| {
                Worker {
                    per_actor,
                    count: 0,
                    done: done.clone(),
                }
                .start()
            })
            .collect();
        for _ in 0..per_actor {
            for worker in &workers {
                worker.do_send(Work);
            }
        }
        let mut total = 0;
        for _ in 0..actors {
            total += answers.recv().await.context("a worker's count")?;
        }
        Ok(total)
    })
}
