//! Ping-pong between two threads over crossbeam channels: the floor.

use std::thread;

use anyhow::Context as _;

pub(super) fn run(n: u64) -> anyhow::Result<u64> {
    let (to_echo, requests) = crossbeam_channel::bounded::<u64>(1);
    let (back, replies) = crossbeam_channel::bounded::<u64>(1);
    let ponger = thread::spawn(move || {
        for left in requests {
            if back.send(left).is_err() {
                break;
            }
        }
    });
    let mut count = 0;
    for left in (0..n).rev() {
        to_echo.send(left).context("the ponger is alive")?;
        replies
            .recv_timeout(crate::savina::HANG)
            .context("a pong")?;
        count += 1;
    }
    drop(to_echo);
    ponger
        .join()
        .map_err(|_| anyhow::anyhow!("the ponger panicked"))?;
    Ok(count)
}
