//! Skynet on Courier: each node spawns its children in `started` and stops after reporting.

use std::convert::Infallible;

use courier_sched::{Actor, ActorRef, Context, Runtime};
use crossbeam_channel::Sender;

use super::{FAN_OUT, Node};
use crate::savina::wait;

enum Parent {
    Actor(ActorRef<u64>),
    Caller(Sender<u64>),
}

struct Skynet {
    parent: Parent,
    node: Node,
    pending: u64,
    sum: u64,
}

impl Skynet {
    fn report(&self, ctx: &mut Context<'_, Self>, value: u64) {
        match &self.parent {
            Parent::Actor(parent) => parent.try_send(value).expect("the parent waits"),
            Parent::Caller(done) => {
                let _ = done.send(value);
            }
        }
        ctx.stop();
    }
}

impl Actor for Skynet {
    type Msg = u64;
    type Error = Infallible;

    fn started(&mut self, ctx: &mut Context<'_, Self>) -> Result<(), Infallible> {
        if self.node.is_leaf() {
            self.report(ctx, self.node.number);
            return Ok(());
        }
        for node in self.node.children() {
            let _child = ctx.spawn(Skynet {
                parent: Parent::Actor(ctx.myself()),
                node,
                pending: FAN_OUT,
                sum: 0,
            });
        }
        Ok(())
    }

    fn handle(&mut self, ctx: &mut Context<'_, Self>, value: u64) -> Result<(), Infallible> {
        self.sum += value;
        self.pending -= 1;
        if self.pending == 0 {
            self.report(ctx, self.sum);
        }
        Ok(())
    }
}

pub(super) fn run(runtime: &Runtime, root: Node) -> anyhow::Result<u64> {
    let (done, answer) = crossbeam_channel::bounded(1);
    let _root = runtime.spawn(Skynet {
        parent: Parent::Caller(done),
        node: root,
        pending: FAN_OUT,
        sum: 0,
    });
    wait(&answer)
}
