//! Bounded buffer on Courier.

use std::convert::Infallible;
use std::sync::Arc;

use anyhow::anyhow;
use courier_sched::{Actor, ActorRef, Context, Runtime};
use crossbeam_channel::Sender;

use super::{Actions, Manager, Size, item};
use crate::savina::wait_all;

enum ToManager {
    Data(usize, u64),
    Ready(usize),
    ProducerDone,
}

enum ToProducer {
    Start(ActorRef<ToManager>),
    Produce,
}

enum ToConsumer {
    Start(ActorRef<ToManager>),
    Item(u64),
    Exit,
}

struct ManagerActor {
    manager: Manager,
    producers: Arc<[ActorRef<ToProducer>]>,
    consumers: Arc<[ActorRef<ToConsumer>]>,
}

impl ManagerActor {
    fn act(&self, ctx: &mut Context<'_, Self>, actions: Actions) {
        if let Some((consumer, item)) = actions.deliver {
            let deliver = ToConsumer::Item(item);
            self.consumers[consumer]
                .try_send(deliver)
                .expect("a consumer is alive");
        }
        if let Some(producer) = actions.produce {
            self.producers[producer]
                .try_send(ToProducer::Produce)
                .expect("a producer is alive");
        }
        if actions.finish {
            for consumer in self.consumers.iter() {
                consumer
                    .try_send(ToConsumer::Exit)
                    .expect("a consumer is alive");
            }
            ctx.stop();
        }
    }
}

impl Actor for ManagerActor {
    type Msg = ToManager;
    type Error = Infallible;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: ToManager) -> Result<(), Infallible> {
        let actions = match msg {
            ToManager::Data(producer, item) => self.manager.data(producer, item),
            ToManager::Ready(consumer) => self.manager.ready(consumer),
            ToManager::ProducerDone => self.manager.producer_done(),
        };
        self.act(ctx, actions);
        Ok(())
    }
}

struct Producer {
    index: usize,
    items: u64,
    made: u64,
    manager: Option<ActorRef<ToManager>>,
}

impl Actor for Producer {
    type Msg = ToProducer;
    type Error = Infallible;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: ToProducer) -> Result<(), Infallible> {
        if let ToProducer::Start(manager) = msg {
            self.manager = Some(manager);
        }
        let manager = self.manager.as_ref().expect("started first");
        if self.made == self.items {
            manager
                .try_send(ToManager::ProducerDone)
                .expect("the manager is alive");
            ctx.stop();
        } else {
            let data = ToManager::Data(self.index, item(self.index, self.made, self.items));
            manager
                .try_send(data)
                .expect("the manager's mailbox holds every producer's item");
            self.made += 1;
        }
        Ok(())
    }
}

struct Consumer {
    index: usize,
    sum: u64,
    manager: Option<ActorRef<ToManager>>,
    done: Sender<u64>,
}

impl Actor for Consumer {
    type Msg = ToConsumer;
    type Error = Infallible;

    fn handle(&mut self, ctx: &mut Context<'_, Self>, msg: ToConsumer) -> Result<(), Infallible> {
        match msg {
            ToConsumer::Start(manager) => self.manager = Some(manager),
            ToConsumer::Item(item) => self.sum += item,
            ToConsumer::Exit => {
                let _ = self.done.send(self.sum);
                ctx.stop();
                return Ok(());
            }
        }
        let manager = self.manager.as_ref().expect("started first");
        manager
            .try_send(ToManager::Ready(self.index))
            .expect("the manager is alive");
        Ok(())
    }
}

pub(super) fn run(runtime: &Runtime, size: Size) -> anyhow::Result<u64> {
    let (done, sums) = crossbeam_channel::unbounded();
    let producers: Arc<[ActorRef<ToProducer>]> = (0..size.producers)
        .map(|index| {
            runtime.spawn(Producer {
                index,
                items: size.items,
                made: 0,
                manager: None,
            })
        })
        .collect();
    let consumers: Arc<[ActorRef<ToConsumer>]> = (0..size.consumers)
        .map(|index| {
            runtime.spawn(Consumer {
                index,
                sum: 0,
                manager: None,
                done: done.clone(),
            })
        })
        .collect();
    let manager = runtime.spawn(ManagerActor {
        manager: Manager::new(size),
        producers: Arc::clone(&producers),
        consumers: Arc::clone(&consumers),
    });
    for consumer in consumers.iter() {
        consumer
            .send(ToConsumer::Start(manager.clone()))
            .map_err(|e| anyhow!("{e}"))?;
    }
    for producer in producers.iter() {
        producer
            .send(ToProducer::Start(manager.clone()))
            .map_err(|e| anyhow!("{e}"))?;
    }
    wait_all(&sums, u64::try_from(size.consumers)?)
}
