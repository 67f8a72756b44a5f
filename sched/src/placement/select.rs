//! Which PUs the workers take.

use courier_alloc::NodeId;

use super::{PlanError, WorkerCount, WorkerSettings};
use crate::{PuId, Topology};

/// The PUs of the workers, node by node (increasing node id), then in increasing PU order. A PU
/// appears more than once only when oversubscribing.
pub(super) fn choose_pus(
    topology: &Topology,
    settings: &WorkerSettings,
) -> Result<Vec<PuId>, PlanError> {
    let nodes: Vec<(NodeId, Vec<PuId>)> = topology
        .nodes()
        .iter()
        .filter(|node| !node.pus.is_empty())
        .map(|node| (node.id, spread_order(topology, &node.pus)))
        .collect();
    let capacities: Vec<usize> = nodes.iter().map(|(_, pus)| pus.len()).collect();
    let counts = match settings.count {
        WorkerCount::Total(0) | WorkerCount::PerNode(0) => return Err(PlanError::NoWorkers),
        WorkerCount::All => capacities,
        WorkerCount::Total(requested) => {
            let available = capacities.iter().sum::<usize>();
            if usize::from(requested) > available && !settings.oversubscribe {
                return Err(PlanError::TooManyWorkers {
                    requested: u32::from(requested),
                    available: u32::try_from(available).unwrap_or(u32::MAX),
                });
            }
            spread(usize::from(requested), &capacities, settings.oversubscribe)
        }
        WorkerCount::PerNode(requested) => {
            let smallest = nodes.iter().min_by_key(|(_, pus)| pus.len());
            if let Some((node, pus)) = smallest
                && usize::from(requested) > pus.len()
                && !settings.oversubscribe
            {
                return Err(PlanError::TooManyPerNode {
                    node: *node,
                    requested,
                    available: u16::try_from(pus.len()).unwrap_or(u16::MAX),
                });
            }
            vec![usize::from(requested); nodes.len()]
        }
    };
    let mut chosen = Vec::new();
    for ((_, order), count) in nodes.iter().zip(counts) {
        let mut taken: Vec<PuId> = order.iter().copied().cycle().take(count).collect();
        taken.sort_unstable();
        chosen.extend(taken);
    }
    Ok(chosen)
}

/// A node's PUs in the order workers take them: the first hardware thread of every core before
/// any second one, each round in logical order.
fn spread_order(topology: &Topology, pus: &[PuId]) -> Vec<PuId> {
    let mut order = pus.to_vec();
    order.sort_by_key(|pu| (topology.pus()[pu.index()].smt_rank, *pu));
    order
}

/// Deals `total` workers out to the nodes one at a time, in node order, skipping full nodes
/// unless oversubscribing. The caller has checked that they fit.
fn spread(total: usize, capacities: &[usize], oversubscribe: bool) -> Vec<usize> {
    let mut counts = vec![0; capacities.len()];
    let mut left = total;
    while left > 0 {
        let before = left;
        for (count, &capacity) in counts.iter_mut().zip(capacities) {
            if left > 0 && (*count < capacity || oversubscribe) {
                *count += 1;
                left -= 1;
            }
        }
        assert!(left < before, "the caller checks that the workers fit");
    }
    counts
}
