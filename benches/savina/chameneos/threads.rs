//! Chameneos on threads and crossbeam channels: the floor.

use std::thread;

use anyhow::anyhow;
use crossbeam_channel::{Receiver, Sender};

use super::{Colour, Mall, Pairing, Size};

enum ToMall {
    Meet(usize, Colour),
    Left(u64),
}

enum ToCreature {
    Meet(usize, Colour),
    Change(Colour),
    Leave,
}

fn creature(
    index: usize,
    inbox: &Receiver<ToCreature>,
    mall: &Sender<ToMall>,
    creatures: &[Sender<ToCreature>],
) {
    let mut colour = Colour::of(index);
    let mut meetings = 0;
    let _ = mall.send(ToMall::Meet(index, colour));
    for msg in inbox {
        match msg {
            ToCreature::Meet(other, theirs) => {
                colour = colour.complement(theirs);
                meetings += 1;
                let _ = creatures[other].send(ToCreature::Change(colour));
            }
            ToCreature::Change(new) => {
                colour = new;
                meetings += 1;
            }
            ToCreature::Leave => {
                let _ = mall.send(ToMall::Left(meetings));
                return;
            }
        }
        let _ = mall.send(ToMall::Meet(index, colour));
    }
}

fn serve_mall(mut mall: Mall, inbox: &Receiver<ToMall>, creatures: &[Sender<ToCreature>]) -> u64 {
    for msg in inbox {
        match msg {
            ToMall::Meet(from, colour) => match mall.request(from, colour) {
                Pairing::Wait => {}
                Pairing::Meet(waiting) => {
                    let _ = creatures[waiting].send(ToCreature::Meet(from, colour));
                }
                Pairing::Leave => {
                    let _ = creatures[from].send(ToCreature::Leave);
                }
            },
            ToMall::Left(meetings) => {
                if let Some(total) = mall.left(meetings) {
                    return total;
                }
            }
        }
    }
    0
}

pub(super) fn run(size: Size) -> anyhow::Result<u64> {
    let (to_mall, mall_inbox) = crossbeam_channel::unbounded();
    let (creatures, inboxes): (Vec<Sender<ToCreature>>, Vec<Receiver<ToCreature>>) = (0..size
        .creatures)
        .map(|_| crossbeam_channel::unbounded())
        .unzip();
    let threads: Vec<_> = inboxes
        .into_iter()
        .enumerate()
        .map(|(index, inbox)| {
            let (mall, creatures) = (to_mall.clone(), creatures.clone());
            thread::spawn(move || creature(index, &inbox, &mall, &creatures))
        })
        .collect();
    drop(to_mall);
    let total = serve_mall(Mall::new(size), &mall_inbox, &creatures);
    for thread in threads {
        thread.join().map_err(|_| anyhow!("a chameneo panicked"))?;
    }
    Ok(total)
}
