//! Placement invariants over every small synthetic topology and every worker setting that fits
//! it: exhaustive rather than random, so there is no seed to report.

use std::collections::BTreeMap;

use courier_alloc::NodeId;
use courier_sched::{
    CpuId, Placement, PlanError, StealTier, Topology, Victim, WorkerCount, WorkerId, WorkerSettings,
};

/// `pack:P numa:N l3:L core:C pu:T` for small P, N, L, C, T: 48 machines of 1 to 48 PUs.
fn small_topologies() -> Vec<(String, Topology)> {
    let mut topologies = Vec::new();
    for packages in 1..=2 {
        for nodes in 1..=2 {
            for l3s in 1..=2 {
                for cores in 1..=3 {
                    for threads in 1..=2 {
                        let description = format!(
                            "pack:{packages} numa:{nodes} l3:{l3s} core:{cores} pu:{threads}"
                        );
                        let topology = Topology::synthetic(&description)
                            .expect("hwloc accepts the description")
                            .with_host_cpus(vec![CpuId(0), CpuId(1)]);
                        topologies.push((description, topology));
                    }
                }
            }
        }
    }
    topologies
}

fn settings_for(topology: &Topology) -> Vec<WorkerSettings> {
    let pus = u16::try_from(topology.pus().len()).expect("small topology");
    let mut counts = vec![WorkerCount::All];
    counts.extend((1..=pus + 2).map(WorkerCount::Total));
    counts.extend((1..=pus / 2 + 2).map(WorkerCount::PerNode));
    let mut all = Vec::new();
    for count in counts {
        for oversubscribe in [false, true] {
            all.push(WorkerSettings {
                count,
                oversubscribe,
                ..WorkerSettings::default()
            });
        }
    }
    all
}

fn workers_per_node(placement: &Placement) -> BTreeMap<NodeId, usize> {
    placement
        .nodes()
        .iter()
        .map(|node| (node.node, node.workers.len()))
        .collect()
}

fn check_workers_and_nodes(topology: &Topology, placement: &Placement, settings: &WorkerSettings) {
    let mut next = 0;
    for node in placement.nodes() {
        for &worker in &node.workers {
            assert_eq!(
                worker,
                WorkerId(next),
                "worker ids are consecutive node by node"
            );
            next += 1;
            let plan = placement.worker(worker);
            let pu = topology.pus()[plan.pu.index()];
            assert_eq!((plan.node, plan.l3, plan.core), (node.node, pu.l3, pu.core));
            assert_eq!(pu.node, node.node, "a worker's home is its PU's node");
            assert_eq!(plan.cpu, topology.cpu_for(plan.pu));
        }
    }
    assert_eq!(usize::from(next), placement.workers().len());
    if !settings.oversubscribe {
        let mut pus: Vec<_> = placement.workers().iter().map(|w| w.pu).collect();
        pus.sort_unstable();
        pus.dedup();
        assert_eq!(pus.len(), placement.workers().len(), "no PU is shared");
    }
    let counts = workers_per_node(placement);
    match settings.count {
        WorkerCount::All => assert_eq!(placement.workers().len(), topology.pus().len()),
        WorkerCount::Total(total) => {
            assert_eq!(placement.workers().len(), usize::from(total));
            let (min, max) = (counts.values().min(), counts.values().max());
            let all_nodes_used = counts.len() == placement_nodes_with_pus(topology);
            if all_nodes_used {
                assert!(
                    max.zip(min).is_some_and(|(max, min)| max - min <= 1),
                    "{counts:?}"
                );
            }
        }
        WorkerCount::PerNode(per_node) => {
            assert!(
                counts.values().all(|&count| count == usize::from(per_node)),
                "{counts:?}"
            );
            assert_eq!(counts.len(), placement_nodes_with_pus(topology));
        }
    }
}

fn placement_nodes_with_pus(topology: &Topology) -> usize {
    topology
        .nodes()
        .iter()
        .filter(|node| !node.pus.is_empty())
        .count()
}

fn check_steal_orders(topology: &Topology, placement: &Placement) {
    for plan in placement.workers() {
        let mut remote_distances = Vec::new();
        for tier in plan.steal_order.tiers() {
            match tier {
                StealTier::SharedL3 { workers } => {
                    for &other in workers {
                        let other = placement.worker(other);
                        assert_eq!((other.node, other.l3), (plan.node, plan.l3));
                    }
                }
                StealTier::SameNode { workers } => {
                    for &other in workers {
                        let other = placement.worker(other);
                        assert_eq!(other.node, plan.node);
                        assert!(plan.l3.is_none() || other.l3 != plan.l3);
                    }
                }
                StealTier::NodeInjector { node } => assert_eq!(*node, plan.node),
                StealTier::RemoteNode {
                    node,
                    distance,
                    workers,
                } => {
                    assert_eq!(Some(*distance), topology.node_distance(plan.node, *node));
                    assert_eq!(placement.node(*node).map(|n| &n.workers), Some(workers));
                    remote_distances.push(*distance);
                }
            }
        }
        assert!(remote_distances.is_sorted(), "remote nodes nearest first");
        let mut victims: Vec<_> = plan
            .steal_order
            .victims()
            .filter_map(|victim| match victim {
                Victim::Worker(worker) => Some(worker),
                Victim::Injector(_) => None,
            })
            .collect();
        victims.sort_unstable();
        let others: Vec<_> = placement
            .workers()
            .iter()
            .map(|other| other.worker)
            .filter(|&other| other != plan.worker)
            .collect();
        assert_eq!(
            victims, others,
            "every other worker is a victim exactly once"
        );
    }
}

#[test]
fn every_plan_of_every_small_topology_keeps_the_placement_invariants() {
    let mut plans = 0;
    for (description, topology) in small_topologies() {
        for settings in settings_for(&topology) {
            let Ok(placement) = Placement::plan(&topology, &settings) else {
                continue;
            };
            plans += 1;
            let context = format!("{description} with {settings:?}");
            let result = std::panic::catch_unwind(|| {
                check_workers_and_nodes(&topology, &placement, &settings);
                check_steal_orders(&topology, &placement);
            });
            assert!(result.is_ok(), "invariant broken for {context}");
        }
    }
    assert!(plans > 1000, "only {plans} plans checked");
}

#[test]
fn a_plan_is_refused_exactly_when_it_asks_for_more_than_the_topology_has() {
    for (description, topology) in small_topologies() {
        let pus = topology.pus().len();
        let smallest_node = topology.nodes().iter().map(|node| node.pus.len()).min();
        for settings in settings_for(&topology) {
            let result = Placement::plan(&topology, &settings);
            let expected_refusal = !settings.oversubscribe
                && match settings.count {
                    WorkerCount::All => false,
                    WorkerCount::Total(total) => usize::from(total) > pus,
                    WorkerCount::PerNode(per_node) => {
                        smallest_node.is_some_and(|smallest| usize::from(per_node) > smallest)
                    }
                };
            match result {
                Err(PlanError::TooManyWorkers { .. } | PlanError::TooManyPerNode { .. }) => {
                    assert!(expected_refusal, "{description} with {settings:?} refused");
                }
                Err(other) => panic!("{description} with {settings:?}: {other}"),
                Ok(_) => assert!(
                    !expected_refusal,
                    "{description} with {settings:?} accepted"
                ),
            }
        }
    }
}
