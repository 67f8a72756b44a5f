//! Fork-join creation on Courier.

use std::convert::Infallible;

use anyhow::anyhow;
use courier_sched::{Actor, Context, Runtime};
use crossbeam_channel::Sender;

use crate::savina::wait_all;

struct Forked {
    done: Sender<u64>,
}

impl Actor for Forked {
    type Msg = ();
    type Error = Infallible;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, (): ()) -> Result<(), Infallible> {
        super::compute();
        let _ = self.done.send(1);
        ctx.stop();
        Ok(())
    }
}

pub(super) fn run(runtime: &Runtime, n: u64) -> anyhow::Result<u64> {
    let (done, reports) = crossbeam_channel::unbounded();
    for _ in 0..n {
        let forked = runtime.spawn(Forked { done: done.clone() });
        forked.send(()).map_err(|e| anyhow!("{e}"))?;
    }
    wait_all(&reports, n)
}
