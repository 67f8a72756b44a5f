//! Ping-pong on Courier.

use std::convert::Infallible;

use courier_sched::{Actor, ActorRef, Context, Runtime};
use crossbeam_channel::Sender;

use crate::savina::wait;

enum Ping {
    Start(ActorRef<u64>),
    Pong,
}

struct Pinger {
    pong: Option<ActorRef<u64>>,
    left: u64,
    pongs: u64,
    done: Sender<u64>,
}

impl Actor for Pinger {
    type Msg = Ping;
    type Error = Infallible;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: Ping) -> Result<(), Infallible> {
        match msg {
            Ping::Start(pong) => {
                self.left -= 1;
                pong.try_send(self.left).expect("the ponger is alive");
                self.pong = Some(pong);
            }
            Ping::Pong => {
                self.pongs += 1;
                let pong = self.pong.as_ref().expect("started before the first pong");
                if self.left == 0 {
                    let _stopped = pong.stop();
                    let _ = self.done.send(self.pongs);
                    ctx.stop();
                } else {
                    self.left -= 1;
                    pong.try_send(self.left).expect("the ponger is alive");
                }
            }
        }
        Ok(())
    }
}

struct Ponger {
    ping: ActorRef<Ping>,
}

impl Actor for Ponger {
    type Msg = u64;
    type Error = Infallible;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, _left: u64) -> Result<(), Infallible> {
        self.ping.try_send(Ping::Pong).expect("the pinger is alive");
        Ok(())
    }
}

pub(super) fn run(runtime: &Runtime, n: u64) -> anyhow::Result<u64> {
    let (done, answer) = crossbeam_channel::bounded(1);
    let pinger = runtime.spawn(Pinger {
        pong: None,
        left: n,
        pongs: 0,
        done,
    });
    let echo = runtime.spawn(Ponger {
        ping: pinger.clone(),
    });
    pinger
        .send(Ping::Start(echo))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    wait(&answer)
}
