//! Fork-join throughput on threads, one crossbeam channel of 1024 each: the floor.

use std::thread;

use anyhow::{Context as _, anyhow};

pub(super) fn run(actors: u64, per_actor: u64) -> anyhow::Result<u64> {
    let (senders, workers): (Vec<_>, Vec<_>) = (0..actors)
        .map(|_| {
            let (sender, receiver) = crossbeam_channel::bounded::<()>(1024);
            let worker = thread::spawn(move || {
                receiver
                    .iter()
                    .map(|()| {
                        super::compute();
                        1
                    })
                    .sum::<u64>()
            });
            (sender, worker)
        })
        .unzip();
    for _ in 0..per_actor {
        for sender in &senders {
            sender.send(()).context("the worker is alive")?;
        }
    }
    drop(senders);
    workers
        .into_iter()
        .map(|worker| worker.join().map_err(|_| anyhow!("a worker panicked")))
        .sum()
}
