//! Chameneos on ractor.

use std::sync::Arc;

use ractor::{Actor, ActorProcessingErr, ActorRef};
use tokio::runtime::Runtime;
use tokio::sync::oneshot;

use super::{Colour, Mall, Pairing, Size};
use crate::savina::block_on_tokio;

enum ToMall {
    Meet(usize, Colour),
    Left(u64),
}

enum ToCreature {
    Start(ActorRef<ToMall>, Arc<[ActorRef<ToCreature>]>),
    Meet(usize, Colour),
    Change(Colour),
    Leave,
}

struct MallActor;

struct MallState {
    mall: Mall,
    creatures: Arc<[ActorRef<ToCreature>]>,
    done: Option<oneshot::Sender<u64>>,
}

impl Actor for MallActor {
    type Msg = ToMall;
    type State = MallState;
    type Arguments = MallState;

    async fn pre_start(
        &self,
        _myself: ActorRef<ToMall>,
        state: MallState,
    ) -> Result<MallState, ActorProcessingErr> {
        Ok(state)
    }

    async fn handle(
        &self,
        myself: ActorRef<ToMall>,
        msg: ToMall,
        state: &mut MallState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            ToMall::Meet(from, colour) => match state.mall.request(from, colour) {
                Pairing::Wait => {}
                Pairing::Meet(waiting) => {
                    state.creatures[waiting].cast(ToCreature::Meet(from, colour))?;
                }
                Pairing::Leave => state.creatures[from].cast(ToCreature::Leave)?,
            },
            ToMall::Left(meetings) => {
                if let Some(total) = state.mall.left(meetings) {
                    if let Some(done) = state.done.take() {
                        let _ = done.send(total);
                    }
                    myself.stop(None);
                }
            }
        }
        Ok(())
    }
}

struct Creature;

struct CreatureState {
    index: usize,
    colour: Colour,
    meetings: u64,
    mall: Option<ActorRef<ToMall>>,
    creatures: Arc<[ActorRef<ToCreature>]>,
}

impl CreatureState {
    fn request(&self) -> Result<(), ActorProcessingErr> {
        let mall = self.mall.as_ref().ok_or("started before any meeting")?;
        mall.cast(ToMall::Meet(self.index, self.colour))?;
        Ok(())
    }
}

impl Actor for Creature {
    type Msg = ToCreature;
    type State = CreatureState;
    type Arguments = CreatureState;

    async fn pre_start(
        &self,
        _myself: ActorRef<ToCreature>,
        state: CreatureState,
    ) -> Result<CreatureState, ActorProcessingErr> {
        Ok(state)
    }

    async fn handle(
        &self,
        myself: ActorRef<ToCreature>,
        msg: ToCreature,
        state: &mut CreatureState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            ToCreature::Start(mall, creatures) => {
                state.mall = Some(mall);
                state.creatures = creatures;
                state.request()?;
            }
            ToCreature::Meet(other, colour) => {
                state.colour = state.colour.complement(colour);
                state.meetings += 1;
                state.creatures[other].cast(ToCreature::Change(state.colour))?;
                state.request()?;
            }
            ToCreature::Change(colour) => {
                state.colour = colour;
                state.meetings += 1;
                state.request()?;
            }
            ToCreature::Leave => {
                let mall = state.mall.as_ref().ok_or("started before leaving")?;
                mall.cast(ToMall::Left(state.meetings))?;
                state.creatures = Arc::new([]);
                myself.stop(None);
            }
        }
        Ok(())
    }
}

pub(super) fn run(runtime: &Runtime, size: Size) -> anyhow::Result<u64> {
    block_on_tokio(runtime, async move {
        let (done, answer) = oneshot::channel();
        let mut refs = Vec::new();
        let mut tasks = Vec::new();
        for index in 0..size.creatures {
            let state = CreatureState {
                index,
                colour: Colour::of(index),
                meetings: 0,
                mall: None,
                creatures: Arc::new([]),
            };
            let (creature, task) = Actor::spawn(None, Creature, state).await?;
            refs.push(creature);
            tasks.push(task);
        }
        let creatures: Arc<[ActorRef<ToCreature>]> = refs.into();
        let state = MallState {
            mall: Mall::new(size),
            creatures: Arc::clone(&creatures),
            done: Some(done),
        };
        let (mall, mall_task) = Actor::spawn(None, MallActor, state).await?;
        for creature in creatures.iter() {
            creature.cast(ToCreature::Start(mall.clone(), Arc::clone(&creatures)))?;
        }
        let total = answer.await?;
        mall_task.await?;
        for task in tasks {
            task.await?;
        }
        Ok(total)
    })
}
