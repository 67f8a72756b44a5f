//! Counting on Courier: the caller is outside the runtime, so `send` waits while the mailbox
//! (the default 1024) is full.

use std::convert::Infallible;
use std::time::Instant;

use anyhow::anyhow;
use courier_sched::{Actor, Context, ReplyTo, Runtime, SendError};

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
    // `ask` never waits for room (it is `try_send`), and the last increments may still fill
    // the mailbox: retry while it is full, as `send` would wait.
    let deadline = Instant::now() + HANG;
    let reply = loop {
        match counter.ask(Count::Get) {
            Err(SendError::Full(_)) if Instant::now() < deadline => std::thread::yield_now(),
            other => break other.map_err(|e| anyhow!("{e}"))?,
        }
    };
    let count = reply.wait_timeout(HANG)?;
    let _stopped = counter.stop();
    Ok(count)
}
