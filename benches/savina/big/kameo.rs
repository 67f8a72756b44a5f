//! Big on kameo.

use std::sync::Arc;

use anyhow::Context as _;
use kameo::Actor;
use kameo::actor::{ActorRef, Spawn};
use kameo::message::{Context, Message};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

use super::Targets;
use crate::savina::block_on_tokio;

/// Everyone's refs; every pinger gets them before any pinger starts (see `run`).
struct Neighbours(Arc<[ActorRef<Pinger>]>);
struct Start;
struct Ping(usize);
struct Pong;

#[derive(Actor)]
struct Pinger {
    index: usize,
    everyone: Arc<[ActorRef<Pinger>]>,
    targets: Targets,
    left: u64,
    pongs: u64,
    done: mpsc::UnboundedSender<u64>,
}

impl Pinger {
    async fn ping(&mut self) {
        self.left -= 1;
        let target = &self.everyone[self.targets.next()];
        let _ = target.tell(Ping(self.index)).await;
    }
}

impl Message<Neighbours> for Pinger {
    type Reply = ();

    async fn handle(&mut self, Neighbours(everyone): Neighbours, _ctx: &mut Context<Self, ()>) {
        self.everyone = everyone;
    }
}

impl Message<Start> for Pinger {
    type Reply = ();

    async fn handle(&mut self, _msg: Start, _ctx: &mut Context<Self, ()>) {
        self.ping().await;
    }
}

impl Message<Ping> for Pinger {
    type Reply = ();

    async fn handle(&mut self, Ping(from): Ping, _ctx: &mut Context<Self, ()>) {
        let _ = self.everyone[from].tell(Pong).await;
    }
}

impl Message<Pong> for Pinger {
    type Reply = ();

    async fn handle(&mut self, _msg: Pong, _ctx: &mut Context<Self, ()>) {
        self.pongs += 1;
        if self.left == 0 {
            let _ = self.done.send(self.pongs);
        } else {
            self.ping().await;
        }
    }
}

pub(super) fn run(runtime: &Runtime, actors: usize, pings: u64) -> anyhow::Result<u64> {
    block_on_tokio(runtime, async move {
        let (done, mut reports) = mpsc::unbounded_channel();
        let everyone: Arc<[ActorRef<Pinger>]> = (0..actors)
            .map(|index| {
                Pinger::spawn(Pinger {
                    index,
                    everyone: Arc::new([]),
                    targets: Targets::new(index, actors),
                    left: pings,
                    pongs: 0,
                    done: done.clone(),
                })
            })
            .collect();
        for pinger in everyone.iter() {
            pinger.tell(Neighbours(Arc::clone(&everyone))).await?;
        }
        for pinger in everyone.iter() {
            pinger.tell(Start).await?;
        }
        let mut answered = 0;
        for _ in 0..actors {
            answered += reports.recv().await.context("a pinger's report")?;
        }
        for pinger in everyone.iter() {
            pinger.stop_gracefully().await?;
        }
        for pinger in everyone.iter() {
            pinger.wait_for_shutdown().await;
        }
        Ok(answered)
    })
}
