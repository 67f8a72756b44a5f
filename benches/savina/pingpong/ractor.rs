//! Ping-pong on ractor.

use ractor::{Actor, ActorProcessingErr, ActorRef};
use tokio::runtime::Runtime;
use tokio::sync::oneshot;

use crate::savina::block_on_tokio;

enum Ping {
    Start(ActorRef<u64>),
    Pong,
}

struct Pinger;

struct PingerState {
    pong: Option<ActorRef<u64>>,
    left: u64,
    pongs: u64,
    done: Option<oneshot::Sender<u64>>,
}

impl Actor for Pinger {
    type Msg = Ping;
    type State = PingerState;
    type Arguments = (u64, oneshot::Sender<u64>);

    async fn pre_start(
        &self,
        _myself: ActorRef<Ping>,
        (left, done): Self::Arguments,
    ) -> Result<PingerState, ActorProcessingErr> {
        Ok(PingerState {
            pong: None,
            left,
            pongs: 0,
            done: Some(done),
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<Ping>,
        msg: Ping,
        state: &mut PingerState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            Ping::Start(pong) => {
                state.left -= 1;
                pong.cast(state.left)?;
                state.pong = Some(pong);
            }
            Ping::Pong => {
                state.pongs += 1;
                let pong = state.pong.as_ref().ok_or("started before the first pong")?;
                if state.left == 0 {
                    pong.stop(None);
                    if let Some(done) = state.done.take() {
                        let _ = done.send(state.pongs);
                    }
                    myself.stop(None);
                } else {
                    state.left -= 1;
                    pong.cast(state.left)?;
                }
            }
        }
        Ok(())
    }
}

struct Ponger;

impl Actor for Ponger {
    type Msg = u64;
    type State = ActorRef<Ping>;
    type Arguments = ActorRef<Ping>;

    async fn pre_start(
        &self,
        _myself: ActorRef<u64>,
        ping: ActorRef<Ping>,
    ) -> Result<ActorRef<Ping>, ActorProcessingErr> {
        Ok(ping)
    }

    async fn handle(
        &self,
        _myself: ActorRef<u64>,
        _left: u64,
        ping: &mut ActorRef<Ping>,
    ) -> Result<(), ActorProcessingErr> {
        ping.cast(Ping::Pong)?;
        Ok(())
    }
}

pub(super) fn run(runtime: &Runtime, n: u64) -> anyhow::Result<u64> {
    block_on_tokio(runtime, async move {
        let (done, answer) = oneshot::channel();
        let (pinger, pinger_task) = Actor::spawn(None, Pinger, (n, done)).await?;
        let (echo, echo_task) = Actor::spawn(None, Ponger, pinger.clone()).await?;
        pinger.cast(Ping::Start(echo))?;
        let pongs = answer.await?;
        pinger_task.await?;
        echo_task.await?;
        Ok(pongs)
    })
}
