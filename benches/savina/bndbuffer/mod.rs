//! Bounded buffer (Savina 11): `producers` producers each make `items` items and hand them to
//! one manager, which holds at most `capacity` of them; `consumers` consumers take them. A
//! producer makes its next item only when the manager says so, which it does only while the
//! buffer has room: coordination with backpressure through a manager. The answer: the sum of
//! the items the consumers took, which must be the sum of the items made.

use std::collections::VecDeque;

use super::{Outcome, Peer, Runtimes, Scale, Workload, check};

mod actix;
mod courier;
mod kameo;
mod ractor;
mod threads;

/// The workload.
pub(crate) const WORKLOAD: Workload = Workload {
    name: "bounded_buffer",
    stresses: "producers and consumers through a bounded buffer (backpressure)",
    peers: &Peer::ALL,
    run,
};

/// The buffer's capacity, the producers and consumers, and the items per producer.
#[derive(Clone, Copy)]
struct Size {
    capacity: usize,
    producers: usize,
    consumers: usize,
    items: u64,
}

fn size(scale: Scale) -> Size {
    match scale {
        Scale::Test => Size {
            capacity: 10,
            producers: 4,
            consumers: 4,
            items: 100,
        },
        Scale::Quick => Size {
            capacity: 50,
            producers: 40,
            consumers: 40,
            items: 100,
        },
        Scale::Full => Size {
            capacity: 50,
            producers: 40,
            consumers: 40,
            items: 1_000,
        },
    }
}

/// The item a producer makes as its `made`th.
fn item(producer: usize, made: u64, items: u64) -> u64 {
    producer as u64 * items + made
}

/// What the manager does next, the same on every runtime.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Actions {
    /// Hand this item to this consumer.
    deliver: Option<(usize, u64)>,
    /// Tell this producer to make its next item.
    produce: Option<usize>,
    /// Every item is consumed: tell every consumer to report and exit.
    finish: bool,
}

/// The manager's state: the buffer, the idle consumers, the producers waiting for room.
struct Manager {
    capacity: usize,
    consumers: usize,
    buffer: VecDeque<u64>,
    idle_consumers: VecDeque<usize>,
    waiting_producers: VecDeque<usize>,
    producers_left: usize,
}

impl Manager {
    fn new(size: Size) -> Self {
        Manager {
            capacity: size.capacity,
            consumers: size.consumers,
            buffer: VecDeque::with_capacity(size.capacity),
            idle_consumers: VecDeque::with_capacity(size.consumers),
            waiting_producers: VecDeque::with_capacity(size.producers),
            producers_left: size.producers,
        }
    }

    /// A producer made `item`.
    fn data(&mut self, producer: usize, item: u64) -> Actions {
        let mut actions = Actions::default();
        match self.idle_consumers.pop_front() {
            Some(consumer) => actions.deliver = Some((consumer, item)),
            None => self.buffer.push_back(item),
        }
        if self.buffer.len() < self.capacity {
            actions.produce = Some(producer);
        } else {
            self.waiting_producers.push_back(producer);
        }
        actions
    }

    /// A consumer is ready for an item.
    fn ready(&mut self, consumer: usize) -> Actions {
        let mut actions = Actions::default();
        if let Some(item) = self.buffer.pop_front() {
            actions.deliver = Some((consumer, item));
            actions.produce = self.waiting_producers.pop_front();
        } else {
            self.idle_consumers.push_back(consumer);
            actions.finish = self.finished();
        }
        actions
    }

    /// A producer made its last item.
    fn producer_done(&mut self) -> Actions {
        self.producers_left -= 1;
        Actions {
            finish: self.finished(),
            ..Actions::default()
        }
    }

    fn finished(&self) -> bool {
        self.producers_left == 0
            && self.buffer.is_empty()
            && self.idle_consumers.len() == self.consumers
    }
}

fn run(runtimes: &Runtimes, peer: Peer, scale: Scale) -> anyhow::Result<Outcome> {
    let size = size(scale);
    let sum = match peer {
        Peer::Courier => courier::run(&runtimes.courier, size)?,
        Peer::Actix => actix::run(&runtimes.actix, size)?,
        Peer::Ractor => ractor::run(&runtimes.tokio, size)?,
        Peer::Kameo => kameo::run(&runtimes.tokio, size)?,
        Peer::Threads => threads::run(size)?,
    };
    let made = size.producers as u64 * size.items;
    check(WORKLOAD.name, peer, made * (made - 1) / 2, sum)?;
    // Per item: the data, the go-ahead, the delivery and the consumer's next request.
    Ok(Outcome { messages: 4 * made })
}
