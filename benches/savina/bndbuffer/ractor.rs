//! Bounded buffer on ractor.

use std::sync::Arc;

use anyhow::Context as _;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

use super::{Manager, Size, item};
use crate::savina::block_on_tokio;

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

struct ManagerActor;

struct ManagerState {
    manager: Manager,
    producers: Arc<[ActorRef<ToProducer>]>,
    consumers: Arc<[ActorRef<ToConsumer>]>,
}

impl Actor for ManagerActor {
    type Msg = ToManager;
    type State = ManagerState;
    type Arguments = ManagerState;

    async fn pre_start(
        &self,
        _myself: ActorRef<ToManager>,
        state: ManagerState,
    ) -> Result<ManagerState, ActorProcessingErr> {
        Ok(state)
    }

    async fn handle(
        &self,
        myself: ActorRef<ToManager>,
        msg: ToManager,
        state: &mut ManagerState,
    ) -> Result<(), ActorProcessingErr> {
        let actions = match msg {
            ToManager::Data(producer, item) => state.manager.data(producer, item),
            ToManager::Ready(consumer) => state.manager.ready(consumer),
            ToManager::ProducerDone => state.manager.producer_done(),
        };
        if let Some((consumer, item)) = actions.deliver {
            state.consumers[consumer].cast(ToConsumer::Item(item))?;
        }
        if let Some(producer) = actions.produce {
            state.producers[producer].cast(ToProducer::Produce)?;
        }
        if actions.finish {
            for consumer in state.consumers.iter() {
                consumer.cast(ToConsumer::Exit)?;
            }
            myself.stop(None);
        }
        Ok(())
    }
}

struct Producer;

struct ProducerState {
    index: usize,
    items: u64,
    made: u64,
    manager: Option<ActorRef<ToManager>>,
}

impl Actor for Producer {
    type Msg = ToProducer;
    type State = ProducerState;
    type Arguments = ProducerState;

    async fn pre_start(
        &self,
        _myself: ActorRef<ToProducer>,
        state: ProducerState,
    ) -> Result<ProducerState, ActorProcessingErr> {
        Ok(state)
    }

    async fn handle(
        &self,
        myself: ActorRef<ToProducer>,
        msg: ToProducer,
        state: &mut ProducerState,
    ) -> Result<(), ActorProcessingErr> {
        if let ToProducer::Start(manager) = msg {
            state.manager = Some(manager);
        }
        let manager = state.manager.as_ref().ok_or("started first")?;
        if state.made == state.items {
            manager.cast(ToManager::ProducerDone)?;
            myself.stop(None);
        } else {
            manager.cast(ToManager::Data(
                state.index,
                item(state.index, state.made, state.items),
            ))?;
            state.made += 1;
        }
        Ok(())
    }
}

struct Consumer;

struct ConsumerState {
    index: usize,
    sum: u64,
    manager: Option<ActorRef<ToManager>>,
    done: mpsc::UnboundedSender<u64>,
}

impl Actor for Consumer {
    type Msg = ToConsumer;
    type State = ConsumerState;
    type Arguments = ConsumerState;

    async fn pre_start(
        &self,
        _myself: ActorRef<ToConsumer>,
        state: ConsumerState,
    ) -> Result<ConsumerState, ActorProcessingErr> {
        Ok(state)
    }

    async fn handle(
        &self,
        myself: ActorRef<ToConsumer>,
        msg: ToConsumer,
        state: &mut ConsumerState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            ToConsumer::Start(manager) => state.manager = Some(manager),
            ToConsumer::Item(item) => state.sum += item,
            ToConsumer::Exit => {
                let _ = state.done.send(state.sum);
                myself.stop(None);
                return Ok(());
            }
        }
        let manager = state.manager.as_ref().ok_or("started first")?;
        manager.cast(ToManager::Ready(state.index))?;
        Ok(())
    }
}

pub(super) fn run(runtime: &Runtime, size: Size) -> anyhow::Result<u64> {
    block_on_tokio(runtime, async move {
        let (done, mut sums) = mpsc::unbounded_channel();
        let (mut producers, mut consumers, mut tasks) = (Vec::new(), Vec::new(), Vec::new());
        for index in 0..size.producers {
            let state = ProducerState {
                index,
                items: size.items,
                made: 0,
                manager: None,
            };
            let (producer, task) = Actor::spawn(None, Producer, state).await?;
            producers.push(producer);
            tasks.push(task);
        }
        for index in 0..size.consumers {
            let state = ConsumerState {
                index,
                sum: 0,
                manager: None,
                done: done.clone(),
            };
            let (consumer, task) = Actor::spawn(None, Consumer, state).await?;
            consumers.push(consumer);
            tasks.push(task);
        }
        let (producers, consumers): (Arc<[_]>, Arc<[_]>) = (producers.into(), consumers.into());
        let state = ManagerState {
            manager: Manager::new(size),
            producers: Arc::clone(&producers),
            consumers: Arc::clone(&consumers),
        };
        let (manager, manager_task) = Actor::spawn(None, ManagerActor, state).await?;
        for consumer in consumers.iter() {
            consumer.cast(ToConsumer::Start(manager.clone()))?;
        }
        for producer in producers.iter() {
            producer.cast(ToProducer::Start(manager.clone()))?;
        }
        let mut sum = 0;
        for _ in 0..size.consumers {
            sum += sums.recv().await.context("a consumer's sum")?;
        }
        manager_task.await?;
        for task in tasks {
            task.await?;
        }
        Ok(sum)
    })
}
