//! Bounded buffer on kameo.

use std::sync::Arc;

use anyhow::Context as _;
use kameo::Actor;
use kameo::actor::{ActorRef, Spawn};
use kameo::message::{Context, Message};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

use super::{Manager, Size, item};
use crate::savina::block_on_tokio;

struct Data(usize, u64);
struct Ready(usize);
struct ProducerDone;
struct StartProducer(ActorRef<ManagerActor>);
struct Produce;
struct StartConsumer(ActorRef<ManagerActor>);
struct Item(u64);
struct Exit;

#[derive(Actor)]
struct ManagerActor {
    manager: Manager,
    producers: Arc<[ActorRef<Producer>]>,
    consumers: Arc<[ActorRef<Consumer>]>,
}

impl ManagerActor {
    async fn act(&self, actions: super::Actions, ctx: &mut Context<Self, ()>) {
        if let Some((consumer, item)) = actions.deliver {
            let _ = self.consumers[consumer].tell(Item(item)).await;
        }
        if let Some(producer) = actions.produce {
            let _ = self.producers[producer].tell(Produce).await;
        }
        if actions.finish {
            for consumer in self.consumers.iter() {
                let _ = consumer.tell(Exit).await;
            }
            ctx.stop();
        }
    }
}

impl Message<Data> for ManagerActor {
    type Reply = ();

    async fn handle(&mut self, Data(producer, item): Data, ctx: &mut Context<Self, ()>) {
        let actions = self.manager.data(producer, item);
        self.act(actions, ctx).await;
    }
}

impl Message<Ready> for ManagerActor {
    type Reply = ();

    async fn handle(&mut self, Ready(consumer): Ready, ctx: &mut Context<Self, ()>) {
        let actions = self.manager.ready(consumer);
        self.act(actions, ctx).await;
    }
}

impl Message<ProducerDone> for ManagerActor {
    type Reply = ();

    async fn handle(&mut self, _msg: ProducerDone, ctx: &mut Context<Self, ()>) {
        let actions = self.manager.producer_done();
        self.act(actions, ctx).await;
    }
}

#[derive(Actor)]
struct Producer {
    index: usize,
    items: u64,
    made: u64,
    manager: Option<ActorRef<ManagerActor>>,
}

impl Producer {
    async fn produce(&mut self, ctx: &mut Context<Self, ()>) {
        let Some(manager) = &self.manager else { return };
        if self.made == self.items {
            let _ = manager.tell(ProducerDone).await;
            ctx.stop();
        } else {
            let _ = manager
                .tell(Data(self.index, item(self.index, self.made, self.items)))
                .await;
            self.made += 1;
        }
    }
}

impl Message<StartProducer> for Producer {
    type Reply = ();

    async fn handle(&mut self, StartProducer(manager): StartProducer, ctx: &mut Context<Self, ()>) {
        self.manager = Some(manager);
        self.produce(ctx).await;
    }
}

impl Message<Produce> for Producer {
    type Reply = ();

    async fn handle(&mut self, _msg: Produce, ctx: &mut Context<Self, ()>) {
        self.produce(ctx).await;
    }
}

#[derive(Actor)]
struct Consumer {
    index: usize,
    sum: u64,
    manager: Option<ActorRef<ManagerActor>>,
    done: mpsc::UnboundedSender<u64>,
}

impl Consumer {
    async fn ready(&self) {
        if let Some(manager) = &self.manager {
            let _ = manager.tell(Ready(self.index)).await;
        }
    }
}

impl Message<StartConsumer> for Consumer {
    type Reply = ();

    async fn handle(
        &mut self,
        StartConsumer(manager): StartConsumer,
        _ctx: &mut Context<Self, ()>,
    ) {
        self.manager = Some(manager);
        self.ready().await;
    }
}

impl Message<Item> for Consumer {
    type Reply = ();

    async fn handle(&mut self, Item(item): Item, _ctx: &mut Context<Self, ()>) {
        self.sum += item;
        self.ready().await;
    }
}

impl Message<Exit> for Consumer {
    type Reply = ();

    async fn handle(&mut self, _msg: Exit, ctx: &mut Context<Self, ()>) {
        let _ = self.done.send(self.sum);
        ctx.stop();
    }
}

pub(super) fn run(runtime: &Runtime, size: Size) -> anyhow::Result<u64> {
    block_on_tokio(runtime, async move {
        let (done, mut sums) = mpsc::unbounded_channel();
        let producers: Arc<[ActorRef<Producer>]> = (0..size.producers)
            .map(|index| {
                Producer::spawn(Producer {
                    index,
                    items: size.items,
                    made: 0,
                    manager: None,
                })
            })
            .collect();
        let consumers: Arc<[ActorRef<Consumer>]> = (0..size.consumers)
            .map(|index| {
                Consumer::spawn(Consumer {
                    index,
                    sum: 0,
                    manager: None,
                    done: done.clone(),
                })
            })
            .collect();
        let manager = ManagerActor::spawn(ManagerActor {
            manager: Manager::new(size),
            producers: Arc::clone(&producers),
            consumers: Arc::clone(&consumers),
        });
        for consumer in consumers.iter() {
            consumer.tell(StartConsumer(manager.clone())).await?;
        }
        for producer in producers.iter() {
            producer.tell(StartProducer(manager.clone())).await?;
        }
        let mut sum = 0;
        for _ in 0..size.consumers {
            sum += sums.recv().await.context("a consumer's sum")?;
        }
        manager.wait_for_shutdown().await;
        Ok(sum)
    })
}
