//! Chameneos on kameo.

use std::sync::Arc;

use kameo::Actor;
use kameo::actor::{ActorRef, Spawn};
use kameo::message::{Context, Message};
use tokio::runtime::Runtime;
use tokio::sync::oneshot;

use super::{Colour, Mall, Pairing, Size};
use crate::savina::block_on_tokio;

struct MeetMall(usize, Colour);
struct Left(u64);
struct Start(ActorRef<MallActor>, Arc<[ActorRef<Creature>]>);
struct Meet(usize, Colour);
struct Change(Colour);
struct Leave;

#[derive(Actor)]
struct MallActor {
    mall: Mall,
    creatures: Arc<[ActorRef<Creature>]>,
    done: Option<oneshot::Sender<u64>>,
}

impl Message<MeetMall> for MallActor {
    type Reply = ();

    async fn handle(&mut self, MeetMall(from, colour): MeetMall, _ctx: &mut Context<Self, ()>) {
        match self.mall.request(from, colour) {
            Pairing::Wait => {}
            Pairing::Meet(waiting) => {
                let _ = self.creatures[waiting].tell(Meet(from, colour)).await;
            }
            Pairing::Leave => {
                let _ = self.creatures[from].tell(Leave).await;
            }
        }
    }
}

impl Message<Left> for MallActor {
    type Reply = ();

    async fn handle(&mut self, Left(meetings): Left, ctx: &mut Context<Self, ()>) {
        if let Some(total) = self.mall.left(meetings) {
            if let Some(done) = self.done.take() {
                let _ = done.send(total);
            }
            ctx.stop();
        }
    }
}

#[derive(Actor)]
struct Creature {
    index: usize,
    colour: Colour,
    meetings: u64,
    mall: Option<ActorRef<MallActor>>,
    creatures: Arc<[ActorRef<Creature>]>,
}

impl Creature {
    async fn request(&self) {
        if let Some(mall) = &self.mall {
            let _ = mall.tell(MeetMall(self.index, self.colour)).await;
        }
    }
}

impl Message<Start> for Creature {
    type Reply = ();

    async fn handle(&mut self, Start(mall, creatures): Start, _ctx: &mut Context<Self, ()>) {
        self.mall = Some(mall);
        self.creatures = creatures;
        self.request().await;
    }
}

impl Message<Meet> for Creature {
    type Reply = ();

    async fn handle(&mut self, Meet(other, colour): Meet, _ctx: &mut Context<Self, ()>) {
        self.colour = self.colour.complement(colour);
        self.meetings += 1;
        let _ = self.creatures[other].tell(Change(self.colour)).await;
        self.request().await;
    }
}

impl Message<Change> for Creature {
    type Reply = ();

    async fn handle(&mut self, Change(colour): Change, _ctx: &mut Context<Self, ()>) {
        self.colour = colour;
        self.meetings += 1;
        self.request().await;
    }
}

impl Message<Leave> for Creature {
    type Reply = ();

    async fn handle(&mut self, _msg: Leave, ctx: &mut Context<Self, ()>) {
        if let Some(mall) = &self.mall {
            let _ = mall.tell(Left(self.meetings)).await;
        }
        self.creatures = Arc::new([]);
        ctx.stop();
    }
}

pub(super) fn run(runtime: &Runtime, size: Size) -> anyhow::Result<u64> {
    block_on_tokio(runtime, async move {
        let (done, answer) = oneshot::channel();
        let creatures: Arc<[ActorRef<Creature>]> = (0..size.creatures)
            .map(|index| {
                Creature::spawn(Creature {
                    index,
                    colour: Colour::of(index),
                    meetings: 0,
                    mall: None,
                    creatures: Arc::new([]),
                })
            })
            .collect();
        let mall = MallActor::spawn(MallActor {
            mall: Mall::new(size),
            creatures: Arc::clone(&creatures),
            done: Some(done),
        });
        for creature in creatures.iter() {
            creature
                .tell(Start(mall.clone(), Arc::clone(&creatures)))
                .await?;
        }
        let total = answer.await?;
        mall.wait_for_shutdown().await;
        for creature in creatures.iter() {
            creature.wait_for_shutdown().await;
        }
        Ok(total)
    })
}
