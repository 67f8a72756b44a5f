//! The per-node cap, the memory providers, and payload placement.

mod common;

use std::sync::Arc;

use courier_alloc::{
    AllocError, BoundMemory, NodeBudget, NodeId, NodeMemory, Payload, PayloadKind, PayloadPolicy,
    PoolConfig, PoolSet, SLAB_SIZE_BYTES, SizeClass, SlabPool, UnboundMemory,
};

#[test]
fn exhausting_a_capped_node_is_an_error_value_and_frees_make_room_again() {
    let chunk = SLAB_SIZE_BYTES;
    let budget = Arc::new(NodeBudget::capped(NodeId(0), 2 * chunk));
    let config = PoolConfig {
        chunk_size_bytes: chunk,
    };
    let mut pool = SlabPool::new(
        SizeClass::B512,
        config,
        Arc::new(UnboundMemory),
        budget.clone(),
    );
    let per_chunk = (chunk - 64) / 512;
    let mut blocks: Vec<_> = (0..2 * per_chunk)
        .map(|_| pool.try_alloc().unwrap())
        .collect();
    match pool.try_alloc() {
        Err(AllocError::NodeCapReached { node, bytes_max }) => {
            assert_eq!((node, bytes_max), (NodeId(0), 2 * chunk));
        }
        other => panic!("expected the cap to stop growth, got {other:?}"),
    }
    assert_eq!(
        budget.bytes_mapped(),
        2 * chunk,
        "a refused growth maps nothing"
    );
    // Still refused, still no panic.
    assert!(pool.try_alloc().is_err());
    // A block freed on another thread comes back and is reused.
    let block = blocks.pop().unwrap();
    std::thread::spawn(move || drop(block)).join().unwrap();
    let again = pool
        .try_alloc()
        .expect("a freed block is reused under the cap");
    blocks.push(again);
    for block in blocks {
        pool.free(block);
    }
    drop(pool);
    assert_eq!(
        budget.bytes_mapped(),
        0,
        "dropping the pool returns its chunks to the budget"
    );
}

#[test]
fn two_pools_share_one_node_cap() {
    let chunk = SLAB_SIZE_BYTES;
    let budget = Arc::new(NodeBudget::capped(NodeId(2), chunk));
    let memory: Arc<dyn NodeMemory> = Arc::new(UnboundMemory);
    let config = PoolConfig {
        chunk_size_bytes: chunk,
    };
    let mut first = SlabPool::new(SizeClass::B64, config, memory.clone(), budget.clone());
    let mut second = SlabPool::new(SizeClass::B64, config, memory, budget);
    let block = first.try_alloc().unwrap();
    assert_eq!(block.node(), NodeId(2));
    assert!(matches!(
        second.try_alloc(),
        Err(AllocError::NodeCapReached { .. })
    ));
    first.free(block);
}

#[test]
fn bound_memory_places_pool_chunks_on_their_node() {
    let memory: Arc<dyn NodeMemory> = Arc::new(BoundMemory::default());
    let budget = Arc::new(NodeBudget::unlimited(NodeId(0)));
    let config = PoolConfig {
        chunk_size_bytes: 2 << 20,
    };
    let mut pools = PoolSet::new(config, &memory, &budget);
    let block = pools.try_alloc(SizeClass::B256).unwrap();
    let address = block.as_ptr().as_ptr() as usize;
    assert_eq!(address % 64, 0);
    if let Some(policy) = numa_policy_of(address) {
        assert!(
            policy.contains("bind:0"),
            "chunk not bound to node 0: {policy}"
        );
    } else {
        eprintln!("skipped the policy check: /proc/self/numa_maps is not readable here");
    }
    pools.free(block);
    assert_eq!(pools.stats()[SizeClass::B256.index()].bytes_mapped, 2 << 20);
}

#[test]
fn anonymous_memory_binds_nothing_and_grows_the_in_between_classes_too() {
    let config = PoolConfig {
        chunk_size_bytes: 2 << 20,
    };
    let mut pools = PoolSet::anonymous(config);
    let mut blocks = Vec::new();
    for class in [SizeClass::B320, SizeClass::B384] {
        // More than one slab's worth, so carving crosses slabs.
        for _ in 0..=(64 << 10) / class.size_bytes() {
            let block = pools.try_alloc(class).unwrap();
            assert_eq!(block.as_ptr().as_ptr() as usize % 64, 0);
            assert_eq!(block.size_class(), class);
            blocks.push(block);
        }
    }
    let address = blocks[0].as_ptr().as_ptr() as usize;
    if let Some(policy) = numa_policy_of(address) {
        assert!(!policy.contains("bind:"), "an unbound chunk: {policy}");
    }
    for block in blocks {
        pools.free(block);
    }
    for class in [SizeClass::B320, SizeClass::B384] {
        let stats = pools.stats()[class.index()];
        assert_eq!(stats.blocks_in_use, 0);
        assert_eq!(stats.bytes_mapped, 2 << 20);
    }
}

/// The `/proc/self/numa_maps` line of the mapping holding `address`.
fn numa_policy_of(address: usize) -> Option<String> {
    let maps = std::fs::read_to_string("/proc/self/numa_maps").ok()?;
    let mut best: Option<(usize, &str)> = None;
    for line in maps.lines() {
        let start = usize::from_str_radix(line.split_whitespace().next()?, 16).ok()?;
        if start <= address && best.is_none_or(|(b, _)| start > b) {
            best = Some((start, line));
        }
    }
    best.map(|(_, line)| line.to_owned())
}

#[test]
fn payloads_go_inline_shared_or_mapped_by_length() {
    let policy = PayloadPolicy {
        mapped_threshold_bytes: 16 << 10,
    };
    let mut pools = PoolSet::unbound();
    for (len, kind, class) in [
        (0_usize, PayloadKind::Inline, SizeClass::B64),
        (64, PayloadKind::Inline, SizeClass::B128),
        (65, PayloadKind::Inline, SizeClass::B256),
        (448, PayloadKind::Inline, SizeClass::B512),
        (449, PayloadKind::Shared, SizeClass::B64),
        ((16 << 10) - 1, PayloadKind::Shared, SizeClass::B64),
        (16 << 10, PayloadKind::Mapped, SizeClass::B64),
    ] {
        let bytes: Vec<u8> = (0..len)
            .map(|i: usize| u8::try_from(i % 251).unwrap())
            .collect();
        let (block, payload) = pools.try_alloc_message(&bytes, &policy).unwrap();
        assert_eq!(
            (payload.kind(), block.size_class()),
            (kind, class),
            "length {len}"
        );
        assert_eq!(payload.bytes(&block), &bytes[..], "length {len}");
        if let Payload::Mapped(mapped) = &payload {
            assert_eq!(mapped.node(), NodeId(0));
        }
        pools.free(block);
    }
}
