//! Ping-pong on kameo.

use kameo::Actor;
use kameo::actor::{ActorRef, Spawn};
use kameo::message::{Context, Message};
use tokio::runtime::Runtime;
use tokio::sync::oneshot;

use crate::savina::block_on_tokio;

struct Start(ActorRef<Ponger>);
struct Pong;
struct Ping;

#[derive(Actor)]
struct Pinger {
    pong: Option<ActorRef<Ponger>>,
    left: u64,
    pongs: u64,
    done: Option<oneshot::Sender<u64>>,
}

impl Message<Start> for Pinger {
    type Reply = ();

    async fn handle(&mut self, Start(pong): Start, _ctx: &mut Context<Self, ()>) {
        self.left -= 1;
        let _ = pong.tell(Ping).await;
        self.pong = Some(pong);
    }
}

impl Message<Pong> for Pinger {
    type Reply = ();

    async fn handle(&mut self, _msg: Pong, ctx: &mut Context<Self, ()>) {
        self.pongs += 1;
        let Some(pong) = self.pong.as_ref() else {
            return;
        };
        if self.left == 0 {
            let _ = pong.stop_gracefully().await;
            if let Some(done) = self.done.take() {
                let _ = done.send(self.pongs);
            }
            ctx.stop();
        } else {
            self.left -= 1;
            let _ = pong.tell(Ping).await;
        }
    }
}

#[derive(Actor)]
struct Ponger {
    ping: ActorRef<Pinger>,
}

impl Message<Ping> for Ponger {
    type Reply = ();

    async fn handle(&mut self, _msg: Ping, _ctx: &mut Context<Self, ()>) {
        let _ = self.ping.tell(Pong).await;
    }
}

pub(super) fn run(runtime: &Runtime, n: u64) -> anyhow::Result<u64> {
    block_on_tokio(runtime, async move {
        let (done, answer) = oneshot::channel();
        let pinger = Pinger::spawn(Pinger {
            pong: None,
            left: n,
            pongs: 0,
            done: Some(done),
        });
        let echo = Ponger::spawn(Ponger {
            ping: pinger.clone(),
        });
        pinger.tell(Start(echo.clone())).await?;
        let pongs = answer.await?;
        pinger.wait_for_shutdown().await;
        echo.wait_for_shutdown().await;
        Ok(pongs)
    })
}
