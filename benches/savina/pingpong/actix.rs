//! Ping-pong on actix.

use actix::{Actor, Addr, Context, Handler, Message, SystemRunner};
use tokio::sync::oneshot;

use crate::savina::block_on_actix;

#[derive(Message)]
#[rtype(result = "()")]
struct Start(Addr<Ponger>);

#[derive(Message)]
#[rtype(result = "()")]
struct Pong;

#[derive(Message)]
#[rtype(result = "()")]
struct Ping;

struct Pinger {
    pong: Option<Addr<Ponger>>,
    left: u64,
    pongs: u64,
    done: Option<oneshot::Sender<u64>>,
}

impl Actor for Pinger {
    type Context = Context<Self>;
}

impl Handler<Start> for Pinger {
    type Result = ();

    fn handle(&mut self, Start(pong): Start, _ctx: &mut Context<Self>) {
        self.left -= 1;
        pong.do_send(Ping);
        self.pong = Some(pong);
    }
}

impl Handler<Pong> for Pinger {
    type Result = ();

    fn handle(&mut self, _msg: Pong, ctx: &mut Context<Self>) {
        use actix::ActorContext as _;
        self.pongs += 1;
        if self.left == 0 {
            if let Some(done) = self.done.take() {
                let _ = done.send(self.pongs);
            }
            self.pong = None;
            ctx.stop();
        } else {
            self.left -= 1;
            self.pong
                .as_ref()
                .expect("started before the first pong")
                .do_send(Ping);
        }
    }
}

struct Ponger {
    ping: Addr<Pinger>,
}

impl Actor for Ponger {
    type Context = Context<Self>;
}

impl Handler<Ping> for Ponger {
    type Result = ();

    fn handle(&mut self, _msg: Ping, _ctx: &mut Context<Self>) {
        self.ping.do_send(Pong);
    }
}

pub(super) fn run(system: &SystemRunner, n: u64) -> anyhow::Result<u64> {
    block_on_actix(system, async move {
        let (done, answer) = oneshot::channel();
        let pinger = Pinger {
            pong: None,
            left: n,
            pongs: 0,
            done: Some(done),
        }
        .start();
        // The ponger stops once the pinger (its only address holder besides this) is gone.
        let echo = Ponger {
            ping: pinger.clone(),
        }
        .start();
        pinger.do_send(Start(echo));
        drop(pinger);
        Ok(answer.await?)
    })
}
