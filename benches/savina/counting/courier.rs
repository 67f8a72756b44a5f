//! Counting on Courier: the caller is outside the runtime, so `send` waits while the mailbox
//! (the default 1024) is full.

use std::convert::Infallible;

use anyhow::anyhow;
use courier_sched::{Actor, Context, ReplyTo, Runtime};

use crate::savina::HANG;

enum Count {
    Increment,
    Get(ReplyTo<u64>),
}

struct Counter {
    count: u64,
}

impl Actor for Counter {
    type Msg = Count;
    type Error = Infallible;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, msg: Count) -> Result<(), Infallible> {
        match msg {
            Count::Increment => self.count += 1,
            Count::Get(reply) => reply.send(self.count),
        }
        Ok(())
    }
}

pub(super) fn run(runtime: &Runtime, n: u64) -> anyhow::Result<u64> {
    let counter = runtime.spawn(Counter { count: 0 });
    for _ in 0..n {
        counter.send(Count::Increment).map_err(|e| anyhow!("{e}"))?;
    }
    // From outside the runtime `ask` waits for room, as `send` does.
    let reply = counter.ask(Count::Get).map_err(|e| anyhow!("{e}"))?;
    let count = reply.wait_timeout(HANG)?;
    let _stopped = counter.stop();
    Ok(count)
}
