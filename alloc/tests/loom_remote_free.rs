//! Loom models of the remote-free list protocol (`src/remote.rs`, M1-M4).
//!
//! Run with `scripts/loom`. Links are boxed here instead of living in pool memory; the protocol
//! is the same code.

#![cfg(courier_loom)]

use std::ptr::{self, NonNull};

use courier_alloc::{FreeLink, Push, Release, RemoteFreeList};
use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

/// A link and the value it stands for, boxed and leaked until the model takes it back.
#[repr(C)]
struct Node {
    link: FreeLink,
    value: usize,
}

fn new_node(value: usize) -> NonNull<FreeLink> {
    let node = Box::new(Node {
        link: FreeLink::with_next(ptr::null_mut()),
        value,
    });
    NonNull::from(Box::leak(node)).cast()
}

/// Takes a list apart, freeing its nodes, and returns their values.
fn collect(mut cursor: Option<NonNull<FreeLink>>) -> Vec<usize> {
    let mut values = Vec::new();
    while let Some(link) = cursor {
        // SAFETY: the list was taken from the remote list, so its nodes are ours (M1, M2).
        let node = unsafe { Box::from_raw(link.cast::<Node>().as_ptr()) };
        cursor = node.link.next();
        values.push(node.value);
    }
    values
}

fn push_from_thread(list: &Arc<RemoteFreeList>, value: usize) -> thread::JoinHandle<Push> {
    let list = Arc::clone(list);
    let link = SendLink(new_node(value));
    thread::spawn(move || {
        let link = link;
        // SAFETY: the node is ours until the owner takes it (M1).
        unsafe { list.push(link.0) }
    })
}

struct SendLink(NonNull<FreeLink>);
// SAFETY: the model moves the only pointer to a fresh node into the pushing thread.
unsafe impl Send for SendLink {}

#[test]
fn two_remote_frees_racing_the_owner_are_each_taken_exactly_once() {
    loom::model(|| {
        let list = Arc::new(RemoteFreeList::new());
        let pushers = [push_from_thread(&list, 1), push_from_thread(&list, 2)];
        let mut seen = collect(list.take_all());
        for pusher in pushers {
            assert_eq!(pusher.join().unwrap(), Push::Pushed);
        }
        seen.extend(collect(list.take_all()));
        seen.sort_unstable();
        assert_eq!(seen, [1, 2]);
    });
}

#[test]
fn abandoning_races_remote_frees_and_exactly_one_party_frees_the_pool() {
    loom::model(|| {
        let list = Arc::new(RemoteFreeList::new());
        let frees_of_pool = Arc::new(AtomicUsize::new(0));
        // Two blocks are out, each freed on its own thread, while the owner abandons.
        let pushers: Vec<_> = [1, 2]
            .map(|value| {
                let list = Arc::clone(&list);
                let frees_of_pool = Arc::clone(&frees_of_pool);
                let link = SendLink(new_node(value));
                thread::spawn(move || {
                    let link = link;
                    // SAFETY: the node is ours until the owner takes it (M1).
                    match unsafe { list.push(link.0) } {
                        Push::Pushed => 0,
                        Push::Abandoned => {
                            // Nothing was pushed: the node stays ours (its `next` is stale;
                            // it is not a list); free it alone.
                            // SAFETY: the node was never published.
                            drop(unsafe { Box::from_raw(link.0.cast::<Node>().as_ptr()) });
                            if list.release(1) == Release::Last {
                                frees_of_pool.fetch_add(1, Ordering::Relaxed);
                            }
                            1
                        }
                    }
                })
            })
            .into();
        // SAFETY: the owner abandons once, with both blocks outstanding (M4).
        let taken = collect(unsafe { list.abandon(2) });
        if list.release(taken.len() + 1) == Release::Last {
            frees_of_pool.fetch_add(1, Ordering::Relaxed);
        }
        let released: usize = pushers.into_iter().map(|p| p.join().unwrap()).sum();
        assert_eq!(
            taken.len() + released,
            2,
            "every block is taken or released, once"
        );
        assert_eq!(
            frees_of_pool.load(Ordering::Relaxed),
            1,
            "the pool is freed exactly once"
        );
    });
}

#[test]
fn pending_len_counts_the_links_pushed_while_the_owner_walks() {
    loom::model(|| {
        let list = Arc::new(RemoteFreeList::new());
        let pusher = push_from_thread(&list, 1);
        // SAFETY: we are the owner and have not abandoned.
        let pending = unsafe { list.pending_len() };
        assert!(pending <= 1);
        assert_eq!(pusher.join().unwrap(), Push::Pushed);
        // SAFETY: as above.
        assert_eq!(unsafe { list.pending_len() }, 1);
        assert_eq!(collect(list.take_all()), [1]);
    });
}
