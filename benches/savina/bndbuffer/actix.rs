//! Bounded buffer on actix.

use std::sync::Arc;

use actix::{Actor, ActorContext as _, Addr, Context, Handler, Message, SystemRunner};
use anyhow::Context as _;
use tokio::sync::mpsc;

use super::{Manager, Size, item};
use crate::savina::block_on_actix;

#[derive(Message)]
#[rtype(result = "()")]
enum ToManager {
    Data(usize, u64),
    Ready(usize),
    ProducerDone,
}

#[derive(Message)]
#[rtype(result = "()")]
enum ToProducer {
    Start(Addr<ManagerActor>),
    Produce,
}

#[derive(Message)]
#[rtype(result = "()")]
enum ToConsumer {
    Start(Addr<ManagerActor>),
    Item(u64),
    Exit,
}

struct ManagerActor {
    manager: Manager,
    producers: Arc<[Addr<Producer>]>,
    consumers: Arc<[Addr<Consumer>]>,
}

impl Actor for ManagerActor {
    type Context = Context<Self>;
}

impl Handler<ToManager> for ManagerActor {
    type Result = ();

    fn handle(&mut self, msg: ToManager, ctx: &mut Context<Self>) {
        let actions = match msg {
            ToManager::Data(producer, item) => self.manager.data(producer, item),
            ToManager::Ready(consumer) => self.manager.ready(consumer),
            ToManager::ProducerDone => self.manager.producer_done(),
        };
        if let Some((consumer, item)) = actions.deliver {
            self.consumers[consumer].do_send(ToConsumer::Item(item));
        }
        if let Some(producer) = actions.produce {
            self.producers[producer].do_send(ToProducer::Produce);
        }
        if actions.finish {
            for consumer in self.consumers.iter() {
                consumer.do_send(ToConsumer::Exit);
            }
            ctx.stop();
        }
    }
}

struct Producer {
    index: usize,
    items: u64,
    made: u64,
    manager: Option<Addr<ManagerActor>>,
}

impl Actor for Producer {
    type Context = Context<Self>;
}

impl Handler<ToProducer> for Producer {
    type Result = ();

    fn handle(&mut self, msg: ToProducer, ctx: &mut Context<Self>) {
        if let ToProducer::Start(manager) = msg {
            self.manager = Some(manager);
        }
        let Some(manager) = &self.manager else { return };
        if self.made == self.items {
            manager.do_send(ToManager::ProducerDone);
            ctx.stop();
        } else {
            manager.do_send(ToManager::Data(
                self.index,
                item(self.index, self.made, self.items),
            ));
            self.made += 1;
        }
    }
}

struct Consumer {
    index: usize,
    sum: u64,
    manager: Option<Addr<ManagerActor>>,
    done: mpsc::UnboundedSender<u64>,
}

impl Actor for Consumer {
    type Context = Context<Self>;
}

impl Handler<ToConsumer> for Consumer {
    type Result = ();

    fn handle(&mut self, msg: ToConsumer, ctx: &mut Context<Self>) {
        match msg {
            ToConsumer::Start(manager) => self.manager = Some(manager),
            ToConsumer::Item(item) => self.sum += item,
            ToConsumer::Exit => {
                let _ = self.done.send(self.sum);
                ctx.stop();
                return;
            }
        }
        if let Some(manager) = &self.manager {
            manager.do_send(ToManager::Ready(self.index));
        }
    }
}

pub(super) fn run(system: &SystemRunner, size: Size) -> anyhow::Result<u64> {
    block_on_actix(system, async move {
        let (done, mut sums) = mpsc::unbounded_channel();
        let producers: Arc<[Addr<Producer>]> = (0..size.producers)
            .map(|index| {
                Producer {
                    index,
                    items: size.items,
                    made: 0,
                    manager: None,
                }
                .start()
            })
            .collect();
        let consumers: Arc<[Addr<Consumer>]> = (0..size.consumers)
            .map(|index| {
                Consumer {
                    index,
                    sum: 0,
                    manager: None,
                    done: done.clone(),
                }
                .start()
            })
            .collect();
        let manager = ManagerActor {
            manager: Manager::new(size),
            producers: Arc::clone(&producers),
            consumers: Arc::clone(&consumers),
        }
        .start();
        for consumer in consumers.iter() {
            consumer.do_send(ToConsumer::Start(manager.clone()));
        }
        for producer in producers.iter() {
            producer.do_send(ToProducer::Start(manager.clone()));
        }
        let mut sum = 0;
        for _ in 0..size.consumers {
            sum += sums.recv().await.context("a consumer's sum")?;
        }
        Ok(sum)
    })
}
