//! Trims: wholly free slabs go back to the kernel (checked with `mincore`), whole chunks to the
//! node's budget, and a stopped trim loses no block.

use std::collections::HashSet;
use std::ptr::NonNull;
use std::sync::Arc;

use courier_alloc::{
    AnonymousMemory, Block, NodeBudget, NodeId, PoolConfig, SLAB_SIZE_BYTES, SizeClass, SlabPool,
    Trimmed,
};

const CLASS: SizeClass = SizeClass::B256;
/// Blocks of `CLASS` in a slab, after its header line.
const PER_SLAB: usize = (SLAB_SIZE_BYTES - 64) / 256;

/// A pool on fresh mappings of four-slab chunks, under `budget`.
fn mapped_pool(budget: &Arc<NodeBudget>) -> SlabPool {
    let config = PoolConfig {
        chunk_size_bytes: 4 * SLAB_SIZE_BYTES,
    };
    SlabPool::new(CLASS, config, Arc::new(AnonymousMemory), Arc::clone(budget))
}

fn slab_of(block: &Block) -> usize {
    block.as_ptr().as_ptr() as usize & !(SLAB_SIZE_BYTES - 1)
}

/// How many of the pages of the slab at `slab` are resident.
fn resident_pages(slab: usize) -> usize {
    const PAGE: usize = 4096;
    let mut pages = vec![0_u8; SLAB_SIZE_BYTES / PAGE];
    // SAFETY: the slab is a page-aligned range of a live mapping of the pool's; `pages` holds a
    // byte per page of it.
    let rc = unsafe {
        libc::mincore(
            std::ptr::without_provenance_mut(slab),
            SLAB_SIZE_BYTES,
            pages.as_mut_ptr(),
        )
    };
    assert_eq!(rc, 0, "mincore: {}", std::io::Error::last_os_error());
    pages.iter().filter(|&&page| page & 1 == 1).count()
}

/// Writes every block, so every page of their slabs is resident.
fn touch(blocks: &mut [Block]) {
    for block in blocks {
        block.inline_payload_mut().fill(0xA5);
    }
}

#[test]
fn wholly_free_slabs_leave_the_resident_set_and_are_carved_again_before_a_new_chunk() {
    let budget = Arc::new(NodeBudget::unlimited(NodeId(0)));
    let mut pool = mapped_pool(&budget);
    // Eight slabs: two whole chunks, the second one being carved.
    let mut blocks: Vec<Block> = (0..8 * PER_SLAB)
        .map(|_| pool.try_alloc().unwrap())
        .collect();
    touch(&mut blocks);
    let slabs: Vec<usize> = blocks.chunks(PER_SLAB).map(|b| slab_of(&b[0])).collect();
    // Keep one block of slab 0 (so its chunk stays) and all of slab 3.
    let mut kept = Vec::new();
    let mut freed = Vec::new();
    for (index, block) in blocks.into_iter().enumerate() {
        if index == 5 || (3 * PER_SLAB..4 * PER_SLAB).contains(&index) {
            kept.push(block);
        } else {
            freed.push(block);
        }
    }
    for block in freed {
        pool.free(block);
    }
    assert_eq!(resident_pages(slabs[1]), 16, "written, so resident");
    let mapped = pool.stats().bytes_mapped;
    let trimmed = pool.trim(0, || true);
    // Slabs 1 and 2 of the first chunk are advised away; 4-7 are the chunk being carved (the
    // open slab's too): 4-6 go, 7 is open.
    assert_eq!(trimmed.bytes_released, 5 * SLAB_SIZE_BYTES);
    assert_eq!(trimmed.bytes_unmapped, 0);
    assert!(!trimmed.stopped);
    for slab in [1, 2, 4, 5, 6] {
        assert_eq!(resident_pages(slabs[slab]), 0, "slab {slab} still resident");
    }
    assert_eq!(resident_pages(slabs[0]), 16);
    assert_eq!(resident_pages(slabs[3]), 16);
    let stats = pool.stats();
    assert_eq!(stats.bytes_mapped, mapped);
    assert_eq!(stats.bytes_released, 5 * SLAB_SIZE_BYTES);
    assert_eq!(stats.blocks_in_use, PER_SLAB + 1);
    assert_eq!(
        pool.local_free_bytes(),
        (2 * PER_SLAB - 1) * 256,
        "slab 0's other blocks and the open slab's"
    );
    // Everything free comes back before the pool maps anything: slab 0's free blocks, slab 7's,
    // then the five slabs given back, carved again.
    let again: Vec<Block> = (0..7 * PER_SLAB - 1)
        .map(|_| pool.try_alloc().unwrap())
        .collect();
    assert_eq!(pool.stats().bytes_mapped, mapped, "no chunk mapped");
    assert_eq!(pool.stats().bytes_released, 0);
    let addresses: HashSet<usize> = again
        .iter()
        .chain(&kept)
        .map(|block| block.as_ptr().as_ptr() as usize)
        .collect();
    assert_eq!(
        addresses.len(),
        again.len() + kept.len(),
        "a block handed out twice"
    );
    for block in again.into_iter().chain(kept) {
        pool.free(block);
    }
    assert_eq!(pool.stats().blocks_in_use, 0);
}

#[test]
fn a_wholly_free_chunk_is_unmapped_and_its_bytes_go_back_to_the_node_budget() {
    let chunk = 4 * SLAB_SIZE_BYTES;
    let budget = Arc::new(NodeBudget::capped(NodeId(0), 3 * chunk));
    let mut pool = mapped_pool(&budget);
    let blocks: Vec<Block> = (0..12 * PER_SLAB)
        .map(|_| pool.try_alloc().unwrap())
        .collect();
    assert_eq!(budget.bytes_mapped(), 3 * chunk);
    let mut neighbour = mapped_pool(&budget);
    assert!(neighbour.try_alloc().is_err(), "the cap is reached");
    // Freed on another thread: the trim takes them home first.
    std::thread::spawn(move || drop(blocks))
        .join()
        .expect("the freeing thread");
    assert!(pool.has_remote_frees());
    assert_eq!(pool.local_free_bytes(), 0, "not home yet");
    // Keep a slab's worth: two chunks go, then three slabs of the one being carved, whose open
    // slab stays.
    let trimmed = pool.trim(PER_SLAB * 256, || true);
    assert_eq!(trimmed.bytes_unmapped, 2 * chunk);
    assert_eq!(trimmed.bytes_released, 3 * SLAB_SIZE_BYTES);
    assert_eq!(budget.bytes_mapped(), chunk);
    assert_eq!(pool.stats().chunks_mapped, 1);
    let block = neighbour
        .try_alloc()
        .expect("the budget a trim gave back is there for the node's other pools");
    neighbour.free(block);
    drop(neighbour);
    // A second trim finds nothing more to give than the free blocks it keeps.
    let kept = pool.local_free_bytes();
    assert_eq!(kept, PER_SLAB * 256, "the open slab's free blocks");
    assert_eq!(pool.trim(kept, || true), Trimmed::default());
}

#[test]
fn a_stopped_trim_leaves_every_free_block_on_the_list() {
    let budget = Arc::new(NodeBudget::unlimited(NodeId(0)));
    let mut pool = mapped_pool(&budget);
    let count = 40 * PER_SLAB;
    let blocks: Vec<Block> = (0..count).map(|_| pool.try_alloc().unwrap()).collect();
    for block in blocks {
        pool.free(block);
    }
    let free = pool.local_free_bytes();
    let mapped = pool.stats().bytes_mapped;
    // Stopped at each of its checks in turn (in the census, then in the rebuild of the list),
    // until one lets it finish: every stopped one leaves the pool as it was.
    let mut stops = 0;
    loop {
        let mut checks = 0;
        let trimmed = pool.trim(0, || {
            checks += 1;
            checks <= stops
        });
        if !trimmed.stopped {
            break;
        }
        stops += 1;
        assert_eq!(
            (trimmed.bytes_released, trimmed.bytes_unmapped),
            (0, 0),
            "a stopped trim gives nothing back"
        );
        assert_eq!(
            pool.local_free_bytes(),
            free,
            "stopped after {stops} checks"
        );
        assert_eq!(pool.stats().bytes_mapped, mapped);
    }
    assert!(stops > count / 1024, "{stops} checks for {count} blocks");
    // The trim that finished was stopped before its advice, if at all: every block is still
    // there, each once.
    let again: Vec<Block> = (0..count).map(|_| pool.try_alloc().unwrap()).collect();
    let addresses: HashSet<NonNull<u8>> = again.iter().map(Block::as_ptr).collect();
    assert_eq!(addresses.len(), count);
    for block in again {
        pool.free(block);
    }
    let trimmed = pool.trim(0, || true);
    assert!(!trimmed.stopped);
    assert_eq!(
        pool.stats().bytes_mapped,
        4 * SLAB_SIZE_BYTES,
        "the chunk being carved"
    );
}
