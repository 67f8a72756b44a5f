//! Big on ractor.

use std::sync::Arc;

use anyhow::Context as _;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

use super::Targets;
use crate::savina::block_on_tokio;

enum Big {
    /// Everyone's refs; every pinger gets them before any pinger starts (see `run`).
    Neighbours(Arc<[ActorRef<Big>]>),
    Start,
    Ping(usize),
    Pong,
}

struct Pinger;

struct PingerState {
    index: usize,
    everyone: Arc<[ActorRef<Big>]>,
    targets: Targets,
    left: u64,
    pongs: u64,
    done: mpsc::UnboundedSender<u64>,
}

impl PingerState {
    fn ping(&mut self) -> Result<(), ActorProcessingErr> {
        self.left -= 1;
        self.everyone[self.targets.next()].cast(Big::Ping(self.index))?;
        Ok(())
    }
}

impl Actor for Pinger {
    type Msg = Big;
    type State = PingerState;
    type Arguments = PingerState;

    async fn pre_start(
        &self,
        _myself: ActorRef<Big>,
        state: PingerState,
    ) -> Result<PingerState, ActorProcessingErr> {
        Ok(state)
    }

    async fn handle(
        &self,
        _myself: ActorRef<Big>,
        msg: Big,
        state: &mut PingerState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            Big::Neighbours(everyone) => state.everyone = everyone,
            Big::Start => state.ping()?,
            Big::Ping(from) => state.everyone[from].cast(Big::Pong)?,
            Big::Pong => {
                state.pongs += 1;
                if state.left == 0 {
                    let _ = state.done.send(state.pongs);
                } else {
                    state.ping()?;
                }
            }
        }
        Ok(())
    }
}

pub(super) fn run(runtime: &Runtime, actors: usize, pings: u64) -> anyhow::Result<u64> {
    block_on_tokio(runtime, async move {
        let (done, mut reports) = mpsc::unbounded_channel();
        let mut refs = Vec::new();
        let mut tasks = Vec::new();
        for index in 0..actors {
            let state = PingerState {
                index,
                everyone: Arc::new([]),
                targets: Targets::new(index, actors),
                left: pings,
                pongs: 0,
                done: done.clone(),
            };
            let (pinger, task) = Actor::spawn(None, Pinger, state).await?;
            refs.push(pinger);
            tasks.push(task);
        }
        let everyone: Arc<[ActorRef<Big>]> = refs.into();
        for pinger in everyone.iter() {
            pinger.cast(Big::Neighbours(Arc::clone(&everyone)))?;
        }
        for pinger in everyone.iter() {
            pinger.cast(Big::Start)?;
        }
        let mut answered = 0;
        for _ in 0..actors {
            answered += reports.recv().await.context("a pinger's report")?;
        }
        for pinger in everyone.iter() {
            pinger.stop(None);
        }
        for task in tasks {
            task.await?;
        }
        Ok(answered)
    })
}
