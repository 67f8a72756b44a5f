//! Big on threads and crossbeam channels: the floor.

use std::thread;

use anyhow::{Context as _, anyhow};
use crossbeam_channel::{Receiver, Sender};

use super::Targets;

enum Big {
    Ping(usize),
    Pong,
    Stop,
}

struct Pinger {
    index: usize,
    everyone: Vec<Sender<Big>>,
    targets: Targets,
    left: u64,
    pongs: u64,
    done: Sender<u64>,
}

impl Pinger {
    fn ping(&mut self) {
        self.left -= 1;
        let _ = self.everyone[self.targets.next()].send(Big::Ping(self.index));
    }

    fn serve(mut self, inbox: &Receiver<Big>) {
        self.ping();
        for msg in inbox {
            match msg {
                Big::Ping(from) => {
                    let _ = self.everyone[from].send(Big::Pong);
                }
                Big::Pong => {
                    self.pongs += 1;
                    if self.left == 0 {
                        let _ = self.done.send(self.pongs);
                    } else {
                        self.ping();
                    }
                }
                Big::Stop => return,
            }
        }
    }
}

pub(super) fn run(actors: usize, pings: u64) -> anyhow::Result<u64> {
    let (done, reports) = crossbeam_channel::unbounded();
    let (everyone, inboxes): (Vec<Sender<Big>>, Vec<Receiver<Big>>) =
        (0..actors).map(|_| crossbeam_channel::unbounded()).unzip();
    let pingers: Vec<_> = inboxes
        .into_iter()
        .enumerate()
        .map(|(index, inbox)| {
            let pinger = Pinger {
                index,
                everyone: everyone.clone(),
                targets: Targets::new(index, actors),
                left: pings,
                pongs: 0,
                done: done.clone(),
            };
            thread::spawn(move || pinger.serve(&inbox))
        })
        .collect();
    let mut answered = 0;
    for _ in 0..actors {
        answered += reports
            .recv_timeout(crate::savina::HANG)
            .context("a pinger's report")?;
    }
    for sender in &everyone {
        let _ = sender.send(Big::Stop);
    }
    for pinger in pingers {
        pinger.join().map_err(|_| anyhow!("a pinger panicked"))?;
    }
    Ok(answered)
}
