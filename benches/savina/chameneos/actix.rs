//! Chameneos on actix.

use std::sync::Arc;

use actix::{Actor, ActorContext as _, Addr, Context, Handler, Message, SystemRunner};
use tokio::sync::oneshot;

use super::{Colour, Mall, Pairing, Size};
use crate::savina::block_on_actix;

#[derive(Message)]
#[rtype(result = "()")]
enum ToMall {
    Meet(usize, Colour),
    Left(u64),
}

#[derive(Message)]
#[rtype(result = "()")]
enum ToCreature {
    Start(Addr<MallActor>, Arc<[Addr<Creature>]>),
    Meet(usize, Colour),
    Change(Colour),
    Leave,
}

struct MallActor {
    mall: Mall,
    creatures: Arc<[Addr<Creature>]>,
    done: Option<oneshot::Sender<u64>>,
}

impl Actor for MallActor {
    type Context = Context<Self>;
}

impl Handler<ToMall> for MallActor {
    type Result = ();

    fn handle(&mut self, msg: ToMall, ctx: &mut Context<Self>) {
        match msg {
            ToMall::Meet(from, colour) => match self.mall.request(from, colour) {
                Pairing::Wait => {}
                Pairing::Meet(waiting) => {
                    self.creatures[waiting].do_send(ToCreature::Meet(from, colour));
                }
                Pairing::Leave => self.creatures[from].do_send(ToCreature::Leave),
            },
            ToMall::Left(meetings) => {
                if let Some(total) = self.mall.left(meetings) {
                    if let Some(done) = self.done.take() {
                        let _ = done.send(total);
                    }
                    ctx.stop();
                }
            }
        }
    }
}

struct Creature {
    index: usize,
    colour: Colour,
    meetings: u64,
    mall: Option<Addr<MallActor>>,
    creatures: Arc<[Addr<Creature>]>,
}

impl Creature {
    fn request(&self) {
        if let Some(mall) = &self.mall {
            mall.do_send(ToMall::Meet(self.index, self.colour));
        }
    }
}

impl Actor for Creature {
    type Context = Context<Self>;
}

impl Handler<ToCreature> for Creature {
    type Result = ();

    fn handle(&mut self, msg: ToCreature, ctx: &mut Context<Self>) {
        match msg {
            ToCreature::Start(mall, creatures) => {
                self.mall = Some(mall);
                self.creatures = creatures;
                self.request();
            }
            ToCreature::Meet(other, colour) => {
                self.colour = self.colour.complement(colour);
                self.meetings += 1;
                self.creatures[other].do_send(ToCreature::Change(self.colour));
                self.request();
            }
            ToCreature::Change(colour) => {
                self.colour = colour;
                self.meetings += 1;
                self.request();
            }
            ToCreature::Leave => {
                if let Some(mall) = &self.mall {
                    mall.do_send(ToMall::Left(self.meetings));
                }
                ctx.stop();
            }
        }
    }
}

pub(super) fn run(system: &SystemRunner, size: Size) -> anyhow::Result<u64> {
    block_on_actix(system, async move {
        let (done, answer) = oneshot::channel();
        let creatures: Arc<[Addr<Creature>]> = (0..size.creatures)
            .map(|index| {
                let colour = Colour::of(index);
                Creature {
                    index,
                    colour,
                    meetings: 0,
                    mall: None,
                    creatures: Arc::new([]),
                }
                .start()
            })
            .collect();
        let mall = MallActor {
            mall: Mall::new(size),
            creatures: Arc::clone(&creatures),
            done: Some(done),
        }
        .start();
        for creature in creatures.iter() {
            creature.do_send(ToCreature::Start(mall.clone(), Arc::clone(&creatures)));
        }
        Ok(answer.await?)
    })
}
