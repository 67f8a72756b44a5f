//! Thread ring on threads and crossbeam channels: the floor.

use std::thread;

use anyhow::{Context as _, anyhow};
use crossbeam_channel::{Receiver, Sender};

/// Passed on by every thread once the token has run out, so each one exits.
const STOP: u64 = u64::MAX;

fn member(index: u64, inbox: Receiver<u64>, next: &Sender<u64>, done: &Sender<u64>) {
    for token in inbox {
        match token {
            STOP => {
                let _ = next.send(STOP);
                return;
            }
            0 => {
                let _ = done.send(index);
                let _ = next.send(STOP);
            }
            left => {
                let _ = next.send(left - 1);
            }
        }
    }
}

pub(super) fn run(actors: u64, hops: u64) -> anyhow::Result<u64> {
    let (done, answer) = crossbeam_channel::bounded(1);
    let (senders, inboxes): (Vec<Sender<u64>>, Vec<Receiver<u64>>) =
        (0..actors).map(|_| crossbeam_channel::unbounded()).unzip();
    let first = senders[0].clone();
    let members: Vec<_> = inboxes
        .into_iter()
        .enumerate()
        .zip(senders.into_iter().cycle().skip(1))
        .map(|((index, inbox), next)| {
            let done = done.clone();
            thread::spawn(move || member(index as u64, inbox, &next, &done))
        })
        .collect();
    first.send(hops).context("the first member is alive")?;
    drop(first);
    let last = answer
        .recv_timeout(crate::savina::HANG)
        .context("the last holder")?;
    for member in members {
        member.join().map_err(|_| anyhow!("a member panicked"))?;
    }
    Ok(last)
}
