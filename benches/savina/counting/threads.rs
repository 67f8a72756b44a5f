//! Counting between two threads over a crossbeam channel of 1024: the floor.

use std::thread;

use anyhow::{Context as _, anyhow};

pub(super) fn run(n: u64) -> anyhow::Result<u64> {
    let (sender, receiver) = crossbeam_channel::bounded::<()>(1024);
    let counter = thread::spawn(move || receiver.iter().map(|()| 1).sum::<u64>());
    for _ in 0..n {
        sender.send(()).context("the counter is alive")?;
    }
    drop(sender);
    counter.join().map_err(|_| anyhow!("the counter panicked"))
}
