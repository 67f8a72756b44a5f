//! Big on actix.

use std::sync::Arc;

use actix::{Actor, ActorContext as _, Addr, Context, Handler, Message, SystemRunner};
use anyhow::Context as _;
use tokio::sync::mpsc;

use super::Targets;
use crate::savina::block_on_actix;

#[derive(Message)]
#[rtype(result = "()")]
enum Big {
    /// Everyone's addresses; every pinger gets them before any pinger starts (see `run`).
    Neighbours(Arc<[Addr<Pinger>]>),
    Start,
    Ping(usize),
    Pong,
    Stop,
}

struct Pinger {
    index: usize,
    everyone: Arc<[Addr<Pinger>]>,
    targets: Targets,
    left: u64,
    pongs: u64,
    done: mpsc::UnboundedSender<u64>,
}

impl Pinger {
    fn ping(&mut self) {
        self.left -= 1;
        self.everyone[self.targets.next()].do_send(Big::Ping(self.index));
    }
}

impl Actor for Pinger {
    type Context = Context<Self>;
}

impl Handler<Big> for Pinger {
    type Result = ();

    fn handle(&mut self, msg: Big, ctx: &mut Context<Self>) {
        match msg {
            Big::Neighbours(everyone) => self.everyone = everyone,
            Big::Start => self.ping(),
            Big::Ping(from) => self.everyone[from].do_send(Big::Pong),
            Big::Pong => {
                self.pongs += 1;
                if self.left == 0 {
                    let _ = self.done.send(self.pongs);
                } else {
                    self.ping();
                }
            }
            Big::Stop => {
                self.everyone = Arc::new([]);
                ctx.stop();
            }
        }
    }
}

pub(super) fn run(system: &SystemRunner, actors: usize, pings: u64) -> anyhow::Result<u64> {
    block_on_actix(system, async move {
        let (done, mut reports) = mpsc::unbounded_channel();
        let everyone: Arc<[Addr<Pinger>]> = (0..actors)
            .map(|index| {
                Pinger {
                    index,
                    everyone: Arc::new([]),
                    targets: Targets::new(index, actors),
                    left: pings,
                    pongs: 0,
                    done: done.clone(),
                }
                .start()
            })
            .collect();
        for pinger in everyone.iter() {
            pinger.do_send(Big::Neighbours(Arc::clone(&everyone)));
        }
        for pinger in everyone.iter() {
            pinger.do_send(Big::Start);
        }
        let mut answered = 0;
        for _ in 0..actors {
            answered += reports.recv().await.context("a pinger's report")?;
        }
        for pinger in everyone.iter() {
            pinger.do_send(Big::Stop);
        }
        Ok(answered)
    })
}
