//! Bounded buffer on threads and crossbeam channels: the floor, with the same manager protocol.

use std::thread;

use anyhow::anyhow;
use crossbeam_channel::{Receiver, Sender};

use super::{Manager, Size, item};

enum ToManager {
    Data(usize, u64),
    Ready(usize),
    ProducerDone,
}

enum ToConsumer {
    Item(u64),
    Exit,
}

fn produce(index: usize, items: u64, go: &Receiver<()>, manager: &Sender<ToManager>) {
    for made in 0..items {
        let _ = manager.send(ToManager::Data(index, item(index, made, items)));
        if go.recv().is_err() {
            return;
        }
    }
    let _ = manager.send(ToManager::ProducerDone);
}

fn consume(index: usize, inbox: &Receiver<ToConsumer>, manager: &Sender<ToManager>) -> u64 {
    let mut sum = 0;
    let _ = manager.send(ToManager::Ready(index));
    for msg in inbox {
        match msg {
            ToConsumer::Item(item) => sum += item,
            ToConsumer::Exit => break,
        }
        let _ = manager.send(ToManager::Ready(index));
    }
    sum
}

fn manage(
    size: Size,
    inbox: &Receiver<ToManager>,
    go: &[Sender<()>],
    consumers: &[Sender<ToConsumer>],
) {
    let mut manager = Manager::new(size);
    for msg in inbox {
        let actions = match msg {
            ToManager::Data(producer, item) => manager.data(producer, item),
            ToManager::Ready(consumer) => manager.ready(consumer),
            ToManager::ProducerDone => manager.producer_done(),
        };
        if let Some((consumer, item)) = actions.deliver {
            let _ = consumers[consumer].send(ToConsumer::Item(item));
        }
        if let Some(producer) = actions.produce {
            let _ = go[producer].send(());
        }
        if actions.finish {
            for consumer in consumers {
                let _ = consumer.send(ToConsumer::Exit);
            }
            return;
        }
    }
}

pub(super) fn run(size: Size) -> anyhow::Result<u64> {
    let (to_manager, inbox) = crossbeam_channel::unbounded();
    let (go, go_inboxes): (Vec<Sender<()>>, Vec<Receiver<()>>) = (0..size.producers)
        .map(|_| crossbeam_channel::unbounded())
        .unzip();
    let (consumers, consumer_inboxes): (Vec<Sender<ToConsumer>>, Vec<Receiver<ToConsumer>>) = (0
        ..size.consumers)
        .map(|_| crossbeam_channel::unbounded())
        .unzip();
    let producer_threads: Vec<_> = go_inboxes
        .into_iter()
        .enumerate()
        .map(|(index, go)| {
            let manager = to_manager.clone();
            thread::spawn(move || produce(index, size.items, &go, &manager))
        })
        .collect();
    let consumer_threads: Vec<_> = consumer_inboxes
        .into_iter()
        .enumerate()
        .map(|(index, inbox)| {
            let manager = to_manager.clone();
            thread::spawn(move || consume(index, &inbox, &manager))
        })
        .collect();
    drop(to_manager);
    manage(size, &inbox, &go, &consumers);
    for producer in producer_threads {
        producer
            .join()
            .map_err(|_| anyhow!("a producer panicked"))?;
    }
    consumer_threads
        .into_iter()
        .map(|consumer| consumer.join().map_err(|_| anyhow!("a consumer panicked")))
        .sum()
}
