//! Counting on actix: `do_send` (actix's tell) from a task on the System arbiter.

use actix::{Actor, Context, Handler, Message, SystemRunner};

use crate::savina::block_on_actix;

#[derive(Message)]
#[rtype(result = "()")]
struct Increment;

#[derive(Message)]
#[rtype(result = "u64")]
struct Get;

struct Counter {
    count: u64,
}

impl Actor for Counter {
    type Context = Context<Self>;
}

impl Handler<Increment> for Counter {
    type Result = ();

    fn handle(&mut self, _msg: Increment, _ctx: &mut Context<Self>) {
        self.count += 1;
    }
}

impl Handler<Get> for Counter {
    type Result = u64;

    fn handle(&mut self, _msg: Get, _ctx: &mut Context<Self>) -> u64 {
        self.count
    }
}

pub(super) fn run(system: &SystemRunner, n: u64) -> anyhow::Result<u64> {
    block_on_actix(system, async move {
        // Stops when this, its only address, is dropped.
        let counter = Counter { count: 0 }.start();
        for _ in 0..n {
            counter.do_send(Increment);
        }
        Ok(counter.send(Get).await?)
    })
}
