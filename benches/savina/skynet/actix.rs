//! Skynet on actix: each node starts its children in `started` and stops after reporting.

use actix::SystemRunner;
use actix::{Actor, ActorContext as _, AsyncContext as _, Context, Handler, Message, Recipient};
use tokio::sync::oneshot;

use super::{FAN_OUT, Node};
use crate::savina::block_on_actix;

#[derive(Message)]
#[rtype(result = "()")]
struct Report(u64);

enum Parent {
    Actor(Recipient<Report>),
    Caller(Option<oneshot::Sender<u64>>),
}

struct Skynet {
    parent: Parent,
    node: Node,
    pending: u64,
    sum: u64,
}

impl Skynet {
    fn report(&mut self, ctx: &mut Context<Self>, value: u64) {
        match &mut self.parent {
            Parent::Actor(parent) => parent.do_send(Report(value)),
            Parent::Caller(done) => {
                if let Some(done) = done.take() {
                    let _ = done.send(value);
                }
            }
        }
        ctx.stop();
    }
}

impl Actor for Skynet {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        if self.node.is_leaf() {
            self.report(ctx, self.node.number);
            return;
        }
        for node in self.node.children() {
            let parent = Parent::Actor(ctx.address().recipient());
            Skynet {
                parent,
                node,
                pending: FAN_OUT,
                sum: 0,
            }
            .start();
        }
    }
}

impl Handler<Report> for Skynet {
    type Result = ();

    fn handle(&mut self, Report(value): Report, ctx: &mut Context<Self>) {
        self.sum += value;
        self.pending -= 1;
        if self.pending == 0 {
            self.report(ctx, self.sum);
        }
    }
}

pub(super) fn run(system: &SystemRunner, root: Node) -> anyhow::Result<u64> {
    block_on_actix(system, async move {
        let (done, answer) = oneshot::channel();
        let parent = Parent::Caller(Some(done));
        let _root = Skynet {
            parent,
            node: root,
            pending: FAN_OUT,
            sum: 0,
        }
        .start();
        Ok(answer.await?)
    })
}
