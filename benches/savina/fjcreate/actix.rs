//! Fork-join creation on actix.

use actix::{Actor, ActorContext as _, Context, Handler, Message, SystemRunner};
use anyhow::Context as _;
use tokio::sync::mpsc;

use crate::savina::block_on_actix;

#[derive(Message)]
#[rtype(result = "()")]
struct Work;

struct Forked {
    done: mpsc::UnboundedSender<u64>,
}

impl Actor for Forked {
    type Context = Context<Self>;
}

impl Handler<Work> for Forked {
    type Result = ();

    fn handle(&mut self, _msg: Work, ctx: &mut Context<Self>) {
        super::compute();
        let _ = self.done.send(1);
        ctx.stop();
    }
}

pub(super) fn run(system: &SystemRunner, n: u64) -> anyhow::Result<u64> {
    block_on_actix(system, async move {
        let (done, mut reports) = mpsc::unbounded_channel();
        for _ in 0..n {
            Forked { done: done.clone() }.start().do_send(Work);
        }
        let mut count = 0;
        for _ in 0..n {
            count += reports.recv().await.context("a report")?;
        }
        Ok(count)
    })
}
