//! Threads allocating on their own pools and freeing each other's blocks, every block accounted
//! for at the end. Run in debug and release (the release run is the full size).

mod common;

use std::sync::Arc;
use std::sync::mpsc;
use std::thread;

use courier_alloc::{
    Block, NodeBudget, NodeId, PoolConfig, SLAB_SIZE_BYTES, SizeClass, SlabPool, UnboundMemory,
};

const THREADS: usize = 3;

fn pool() -> SlabPool {
    let budget = Arc::new(NodeBudget::unlimited(NodeId(0)));
    SlabPool::new(
        SizeClass::B128,
        PoolConfig::default(),
        Arc::new(UnboundMemory),
        budget,
    )
}

/// Each thread allocates `blocks` blocks, stamps them with (thread, sequence) and sends them to
/// the next thread, which checks the stamp and frees them: every free is remote. Some are freed
/// through the receiver's own pool (`SlabPool::free` of a foreign block: in batches of up to 15
/// that go home as one record), some by drop (a record of one).
#[test]
fn threads_freeing_each_others_blocks_account_for_every_block() {
    let blocks = common::scaled(1_000_000);
    let seed = common::seed("threads_freeing_each_others_blocks");
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..THREADS)
        .map(|_| mpsc::sync_channel::<Block>(1024))
        .unzip();
    let mut receivers: Vec<_> = receivers.into_iter().map(Some).collect();
    let handles: Vec<_> = (0..THREADS)
        .map(|me| {
            let to_next = senders[(me + 1) % THREADS].clone();
            let from_prev = receivers[me].take().unwrap();
            thread::spawn(move || run_thread(me, blocks, seed, &to_next, &from_prev))
        })
        .collect();
    drop(senders);
    // Join all first: thread i's blocks are freed by thread i + 1, which may still be running.
    let pools: Vec<SlabPool> = handles
        .into_iter()
        .map(|h| h.join().expect("a stress thread panicked"))
        .collect();
    for mut pool in pools {
        pool.drain_remote();
        let stats = pool.stats();
        assert_eq!(stats.blocks_in_use, 0, "blocks lost: {stats:?}");
        assert_eq!(stats.remote_frees_pending, 0);
        // Every block of every chunk is free again: nothing leaked, nothing freed twice.
        let per_slab = (SLAB_SIZE_BYTES - 64) / SizeClass::B128.size_bytes();
        let per_chunk = PoolConfig::default().chunk_size_bytes / SLAB_SIZE_BYTES * per_slab;
        assert_eq!(
            stats.blocks_free,
            stats.chunks_mapped * per_chunk,
            "{stats:?}"
        );
    }
}

fn run_thread(
    me: usize,
    blocks: usize,
    seed: u64,
    to_next: &mpsc::SyncSender<Block>,
    from_prev: &mpsc::Receiver<Block>,
) -> SlabPool {
    let mut pool = pool();
    let mut receiver = Receiver {
        prev: ((me + THREADS - 1) % THREADS) as u64,
        expected_seq: 0,
        rng: common::Rng::new(seed ^ me as u64),
    };
    for seq in 0..blocks as u64 {
        let mut block = pool.try_alloc().expect("unbounded pool grows");
        block.inline_payload_mut()[..8].copy_from_slice(&(me as u64).to_le_bytes());
        block.inline_payload_mut()[8..16].copy_from_slice(&seq.to_le_bytes());
        to_next.send(block).expect("the next thread is alive");
        while let Ok(block) = from_prev.try_recv() {
            receiver.check_and_free(&mut pool, block);
        }
    }
    // The previous thread may still be sending: take the rest of its blocks.
    while receiver.expected_seq < blocks as u64 {
        let block = from_prev
            .recv()
            .expect("the previous thread sends all its blocks");
        receiver.check_and_free(&mut pool, block);
    }
    // The last batch of the previous thread's blocks goes home before the owners count.
    pool.flush_remote_frees();
    pool
}

struct Receiver {
    prev: u64,
    expected_seq: u64,
    rng: common::Rng,
}

impl Receiver {
    fn check_and_free(&mut self, pool: &mut SlabPool, block: Block) {
        let stamp = block.inline_payload();
        let from = u64::from_le_bytes(stamp[..8].try_into().expect("8 bytes"));
        let seq = u64::from_le_bytes(stamp[8..16].try_into().expect("8 bytes"));
        assert_eq!(
            (from, seq),
            (self.prev, self.expected_seq),
            "a block arrived corrupted"
        );
        self.expected_seq += 1;
        if self.rng.below(2) == 0 {
            pool.free(block);
        } else {
            drop(block);
        }
    }
}

/// The owner drops its pool while other threads still hold its blocks: the memory lives until
/// the last of them is freed, and is then released exactly once (valgrind checks the "once").
#[test]
fn a_pool_dropped_with_blocks_out_is_freed_by_the_last_remote_free() {
    let rounds = common::scaled(2_000);
    for _ in 0..rounds {
        let mut pool = pool();
        let mut early: Vec<Block> = (0..8).map(|_| pool.try_alloc().unwrap()).collect();
        let late = early.split_off(4);
        let freer = thread::spawn(move || drop(early));
        drop(pool);
        drop(late);
        freer.join().unwrap();
    }
}
