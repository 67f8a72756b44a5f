//! Chameneos on Courier.

use std::convert::Infallible;
use std::sync::Arc;

use anyhow::anyhow;
use courier_sched::{Actor, ActorRef, Context, Runtime};
use crossbeam_channel::Sender;

use super::{Colour, Mall, Pairing, Size};
use crate::savina::wait;

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

struct MallActor {
    mall: Mall,
    creatures: Arc<[ActorRef<ToCreature>]>,
    done: Sender<u64>,
}

impl Actor for MallActor {
    type Msg = ToMall;
    type Error = Infallible;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: ToMall) -> Result<(), Infallible> {
        match msg {
            ToMall::Meet(from, colour) => match self.mall.request(from, colour) {
                Pairing::Wait => {}
                Pairing::Meet(waiting) => {
                    let meet = ToCreature::Meet(from, colour);
                    self.creatures[waiting]
                        .try_send(meet)
                        .expect("a chameneo is alive");
                }
                Pairing::Leave => {
                    self.creatures[from]
                        .try_send(ToCreature::Leave)
                        .expect("a chameneo is alive");
                }
            },
            ToMall::Left(meetings) => {
                if let Some(total) = self.mall.left(meetings) {
                    let _ = self.done.send(total);
                    ctx.stop();
                }
            }
        }
        Ok(())
    }
}

struct Creature {
    index: usize,
    colour: Colour,
    meetings: u64,
    mall: Option<ActorRef<ToMall>>,
    creatures: Arc<[ActorRef<ToCreature>]>,
}

impl Creature {
    fn mall(&self) -> &ActorRef<ToMall> {
        self.mall.as_ref().expect("started before any meeting")
    }

    fn request(&self) {
        self.mall()
            .try_send(ToMall::Meet(self.index, self.colour))
            .expect("the mall is alive");
    }
}

impl Actor for Creature {
    type Msg = ToCreature;
    type Error = Infallible;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: ToCreature) -> Result<(), Infallible> {
        match msg {
            ToCreature::Start(mall, creatures) => {
                self.mall = Some(mall);
                self.creatures = creatures;
                self.request();
            }
            ToCreature::Meet(other, colour) => {
                self.colour = self.colour.complement(colour);
                self.meetings += 1;
                let change = ToCreature::Change(self.colour);
                self.creatures[other]
                    .try_send(change)
                    .expect("a chameneo is alive");
                self.request();
            }
            ToCreature::Change(colour) => {
                self.colour = colour;
                self.meetings += 1;
                self.request();
            }
            ToCreature::Leave => {
                self.mall()
                    .try_send(ToMall::Left(self.meetings))
                    .expect("the mall is alive");
                ctx.stop();
            }
        }
        Ok(())
    }
}

pub(super) fn run(runtime: &Runtime, size: Size) -> anyhow::Result<u64> {
    let (done, answer) = crossbeam_channel::bounded(1);
    let creatures: Arc<[ActorRef<ToCreature>]> = (0..size.creatures)
        .map(|index| {
            runtime.spawn(Creature {
                index,
                colour: Colour::of(index),
                meetings: 0,
                mall: None,
                creatures: Arc::new([]),
            })
        })
        .collect();
    let mall = runtime.spawn(MallActor {
        mall: Mall::new(size),
        creatures: Arc::clone(&creatures),
        done,
    });
    // Each chameneo stops after leaving, the mall after the last one left.
    for creature in creatures.iter() {
        let start = ToCreature::Start(mall.clone(), Arc::clone(&creatures));
        creature.send(start).map_err(|e| anyhow!("{e}"))?;
    }
    wait(&answer)
}
