use std::path::Path;

use courier_alloc::NodeId;

use super::*;
use crate::{CpuId, L3Id, TopologySource};

/// Every test plans against the same two host CPUs, whatever machine runs it.
fn synthetic(description: &str) -> Topology {
    Topology::synthetic(description)
        .unwrap()
        .with_host_cpus(vec![CpuId(0), CpuId(1)])
}

fn xml(name: &str) -> Topology {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    Topology::load(&TopologySource::Xml(path))
        .unwrap()
        .with_host_cpus(vec![CpuId(0), CpuId(1)])
}

fn plan(topology: &Topology, count: WorkerCount) -> Placement {
    let settings = WorkerSettings {
        count,
        ..WorkerSettings::default()
    };
    Placement::plan(topology, &settings).unwrap()
}

fn ids(ids: &[u16]) -> Vec<WorkerId> {
    ids.iter().copied().map(WorkerId).collect()
}

fn remote_order(placement: &Placement, worker: u16) -> Vec<(u16, u64)> {
    let order = &placement.worker(WorkerId(worker)).steal_order;
    order
        .tiers()
        .iter()
        .filter_map(|tier| match tier {
            StealTier::RemoteNode { node, distance, .. } => Some((node.0, *distance)),
            _ => None,
        })
        .collect()
}

/// Every worker's victims name every other worker exactly once, and its own injector once,
/// after all of its own node's workers and before any other node's.
fn assert_steal_orders_are_complete(placement: &Placement) {
    for plan in placement.workers() {
        let victims: Vec<Victim> = plan.steal_order.victims().collect();
        let injector = victims
            .iter()
            .position(|v| *v == Victim::Injector(plan.node))
            .unwrap();
        assert_eq!(
            victims
                .iter()
                .filter(|v| matches!(v, Victim::Injector(_)))
                .count(),
            1
        );
        let mut seen: Vec<WorkerId> = Vec::new();
        for (index, victim) in victims.iter().enumerate() {
            if let Victim::Worker(other) = *victim {
                let local = placement.worker(other).node == plan.node;
                assert_eq!(
                    local,
                    index < injector,
                    "{} steals {other} out of order",
                    plan.worker
                );
                seen.push(other);
            }
        }
        seen.sort_unstable();
        let others: Vec<_> = placement
            .workers()
            .iter()
            .map(|w| w.worker)
            .filter(|&w| w != plan.worker)
            .collect();
        assert_eq!(
            seen, others,
            "{} does not see every other worker once",
            plan.worker
        );
    }
}

#[test]
fn two_packages_get_one_worker_per_pu_homed_on_their_package_node() {
    let topology = synthetic("pack:2 numa:1 l3:1 core:4 pu:1");
    let placement = plan(&topology, WorkerCount::All);
    assert_eq!(placement.workers().len(), 8);
    for plan in placement.workers() {
        assert_eq!(plan.pu.0, plan.worker.0);
        assert_eq!(plan.node, NodeId(plan.worker.0 / 4));
        assert_eq!(plan.l3, Some(L3Id(plan.worker.0 / 4)));
    }
    assert_eq!(
        placement.node(NodeId(0)).unwrap().workers,
        ids(&[0, 1, 2, 3])
    );
    assert_eq!(
        placement.node(NodeId(1)).unwrap().workers,
        ids(&[4, 5, 6, 7])
    );
    assert_steal_orders_are_complete(&placement);
}

#[test]
fn two_packages_steal_within_the_l3_then_the_injector_then_the_other_package() {
    let topology = synthetic("pack:2 numa:1 l3:1 core:4 pu:1");
    let placement = plan(&topology, WorkerCount::All);
    let tiers = placement.worker(WorkerId(5)).steal_order.tiers().to_vec();
    assert_eq!(tiers.len(), 3, "{tiers:?}");
    assert_eq!(
        tiers[0],
        StealTier::SharedL3 {
            workers: ids(&[4, 6, 7])
        }
    );
    assert_eq!(tiers[1], StealTier::NodeInjector { node: NodeId(1) });
    assert!(
        matches!(&tiers[2], StealTier::RemoteNode { node: NodeId(0), workers, .. } if *workers == ids(&[0, 1, 2, 3])),
        "{tiers:?}"
    );
    assert_eq!(*placement.distance_source(), DistanceSource::Hierarchy);
}

#[test]
fn two_l3_caches_in_one_node_split_the_local_steal_order_in_two_tiers() {
    let topology = synthetic("pack:1 numa:1 l3:2 core:2 pu:1");
    let placement = plan(&topology, WorkerCount::All);
    let tiers = placement.worker(WorkerId(2)).steal_order.tiers().to_vec();
    assert_eq!(
        tiers,
        [
            StealTier::SharedL3 { workers: ids(&[3]) },
            StealTier::SameNode {
                workers: ids(&[0, 1])
            },
            StealTier::NodeInjector { node: NodeId(0) },
        ]
    );
}

#[test]
fn four_nodes_without_l3_or_matrix_steal_from_the_node_then_every_other_node_by_id() {
    let topology = synthetic("pack:1 numa:4 core:2 pu:1");
    let placement = plan(&topology, WorkerCount::All);
    assert_eq!(placement.nodes().len(), 4);
    let tiers = placement.worker(WorkerId(4)).steal_order.tiers();
    assert_eq!(tiers[0], StealTier::SameNode { workers: ids(&[5]) });
    assert_eq!(tiers[1], StealTier::NodeInjector { node: NodeId(2) });
    let remote: Vec<_> = remote_order(&placement, 4)
        .into_iter()
        .map(|(node, _)| node)
        .collect();
    assert_eq!(remote, [0, 1, 3], "equal distances fall back to node order");
    assert_steal_orders_are_complete(&placement);
}

#[test]
fn without_a_matrix_the_node_in_the_same_package_comes_before_lower_numbered_nodes() {
    let topology = synthetic("pack:2 numa:2 l3:1 core:2 pu:1");
    let placement = plan(&topology, WorkerCount::All);
    // Worker 6 sits on node 3, in the package of node 2.
    assert_eq!(placement.worker(WorkerId(6)).node, NodeId(3));
    let remote: Vec<_> = remote_order(&placement, 6)
        .into_iter()
        .map(|(node, _)| node)
        .collect();
    assert_eq!(remote, [2, 0, 1]);
    assert_steal_orders_are_complete(&placement);
}

#[test]
fn the_xml_matrix_orders_remote_nodes_by_distance() {
    let topology = xml("two-packages-four-nodes.xml");
    let placement = plan(&topology, WorkerCount::All);
    assert_eq!(
        *placement.distance_source(),
        DistanceSource::Matrix {
            name: Some("NUMALatency".to_owned())
        }
    );
    assert_eq!(remote_order(&placement, 0), [(1, 12), (2, 32), (3, 32)]);
    assert_eq!(remote_order(&placement, 4), [(3, 12), (0, 32), (1, 32)]);
    assert_steal_orders_are_complete(&placement);
}

#[test]
fn crossed_distances_beat_node_numbers_and_hierarchy() {
    let topology = xml("one-package-four-nodes-crossed-distances.xml");
    let placement = plan(&topology, WorkerCount::All);
    let first_worker_of = |node: u16| placement.node(NodeId(node)).unwrap().workers[0].0;
    let expected = [
        [(2, 20), (1, 30), (3, 40)],
        [(3, 20), (0, 30), (2, 40)],
        [(0, 20), (3, 30), (1, 40)],
        [(1, 20), (2, 30), (0, 40)],
    ];
    for (node, order) in (0..4).zip(expected) {
        assert_eq!(
            remote_order(&placement, first_worker_of(node)),
            order,
            "from node {node}"
        );
        // Whom a runtime wakes for this node's work when its own workers are all busy.
        let nearest: Vec<NodeId> = order.iter().map(|(near, _)| NodeId(*near)).collect();
        assert_eq!(placement.nearest_nodes(NodeId(node)), nearest);
    }
    assert_eq!(placement.nearest_nodes(NodeId(4)), [], "no such node");
    assert_steal_orders_are_complete(&placement);
}

#[test]
fn smt_siblings_share_the_l3_tier_with_the_rest_of_their_cache() {
    let topology = xml("one-package-four-nodes-crossed-distances.xml");
    let placement = plan(&topology, WorkerCount::All);
    let tiers = placement.worker(WorkerId(0)).steal_order.tiers();
    assert_eq!(
        tiers[0],
        StealTier::SharedL3 {
            workers: ids(&[1, 2, 3])
        }
    );
    assert_eq!(tiers[1], StealTier::NodeInjector { node: NodeId(0) });
}

#[test]
fn a_worker_count_is_spread_evenly_over_nodes_with_consecutive_ids_per_node() {
    let topology = synthetic("pack:1 numa:4 core:2 pu:1");
    let placement = plan(&topology, WorkerCount::Total(6));
    let per_node: Vec<_> = placement
        .nodes()
        .iter()
        .map(|n| (n.node.0, n.workers.len()))
        .collect();
    assert_eq!(per_node, [(0, 2), (1, 2), (2, 1), (3, 1)]);
    let homes: Vec<_> = placement.workers().iter().map(|w| w.node.0).collect();
    assert_eq!(homes, [0, 0, 1, 1, 2, 3]);
    assert_steal_orders_are_complete(&placement);
}

#[test]
fn fewer_workers_than_pus_take_one_pu_per_core_before_any_second_hardware_thread() {
    let topology = synthetic("pack:1 numa:1 core:4 pu:2");
    let placement = plan(&topology, WorkerCount::Total(4));
    let pus: Vec<_> = placement.workers().iter().map(|w| w.pu.0).collect();
    assert_eq!(pus, [0, 2, 4, 6]);
    let placement = plan(&topology, WorkerCount::Total(5));
    let pus: Vec<_> = placement.workers().iter().map(|w| w.pu.0).collect();
    assert_eq!(pus, [0, 1, 2, 4, 6]);
}

#[test]
fn workers_per_node_put_that_many_on_every_node() {
    let topology = synthetic("pack:2 numa:2 l3:1 core:2 pu:1");
    let placement = plan(&topology, WorkerCount::PerNode(1));
    let homes: Vec<_> = placement
        .workers()
        .iter()
        .map(|w| (w.node.0, w.pu.0))
        .collect();
    assert_eq!(homes, [(0, 0), (1, 2), (2, 4), (3, 6)]);
    assert_steal_orders_are_complete(&placement);
}

#[test]
fn more_workers_than_pus_is_an_error_unless_oversubscribing() {
    let topology = synthetic("pack:2 numa:1 l3:1 core:4 pu:1");
    let settings = WorkerSettings {
        count: WorkerCount::Total(10),
        ..WorkerSettings::default()
    };
    assert_eq!(
        Placement::plan(&topology, &settings),
        Err(PlanError::TooManyWorkers {
            requested: 10,
            available: 8
        })
    );
    let settings = WorkerSettings {
        oversubscribe: true,
        ..settings
    };
    let placement = Placement::plan(&topology, &settings).unwrap();
    let pus: Vec<_> = placement.workers().iter().map(|w| w.pu.0).collect();
    assert_eq!(pus, [0, 0, 1, 2, 3, 4, 4, 5, 6, 7]);
    assert_steal_orders_are_complete(&placement);
}

#[test]
fn more_workers_per_node_than_its_pus_is_an_error_unless_oversubscribing() {
    let topology = synthetic("pack:1 numa:4 core:2 pu:1");
    let settings = WorkerSettings {
        count: WorkerCount::PerNode(3),
        ..WorkerSettings::default()
    };
    assert_eq!(
        Placement::plan(&topology, &settings),
        Err(PlanError::TooManyPerNode {
            node: NodeId(0),
            requested: 3,
            available: 2
        })
    );
    let settings = WorkerSettings {
        oversubscribe: true,
        ..settings
    };
    assert_eq!(
        Placement::plan(&topology, &settings)
            .unwrap()
            .workers()
            .len(),
        12
    );
}

#[test]
fn more_spinners_than_a_node_has_workers_is_an_error() {
    let topology = synthetic("pack:2 numa:1 l3:1 core:4 pu:1");
    let settings = WorkerSettings {
        count: WorkerCount::Total(5),
        spinners_per_node: 3,
        ..WorkerSettings::default()
    };
    assert_eq!(
        Placement::plan(&topology, &settings),
        Err(PlanError::TooManySpinners {
            node: NodeId(1),
            spinners: 3,
            workers: 2
        })
    );
    let settings = WorkerSettings {
        spinners_per_node: 2,
        ..settings
    };
    let placement = Placement::plan(&topology, &settings).unwrap();
    assert!(placement.nodes().iter().all(|node| node.spinners == 2));
}

#[test]
fn zero_workers_is_an_error() {
    let topology = synthetic("pack:1 numa:1 core:2 pu:1");
    for count in [WorkerCount::Total(0), WorkerCount::PerNode(0)] {
        let settings = WorkerSettings {
            count,
            ..WorkerSettings::default()
        };
        assert_eq!(
            Placement::plan(&topology, &settings),
            Err(PlanError::NoWorkers)
        );
    }
}

#[test]
fn virtual_pus_run_on_host_cpus_modulo_and_the_plan_says_so() {
    let topology = synthetic("pack:2 numa:1 l3:1 core:4 pu:1");
    let placement = plan(&topology, WorkerCount::All);
    assert!(!placement.is_this_system());
    assert_eq!(
        *placement.cpu_mapping(),
        CpuMapping::Modulo {
            virtual_pus: 8,
            host_cpus: 2
        }
    );
    let cpus: Vec<_> = placement.workers().iter().map(|w| w.cpu.0).collect();
    assert_eq!(cpus, [0, 1, 0, 1, 0, 1, 0, 1]);
    let report = placement.to_string();
    assert!(
        report.contains("8 virtual PUs onto 2 host CPUs"),
        "{report}"
    );
    assert!(report.contains("binding is skipped"), "{report}");
}

#[test]
fn the_running_machine_maps_each_pu_to_its_own_cpu() {
    let topology = Topology::this_system().unwrap();
    let placement = plan(&topology, WorkerCount::All);
    assert!(placement.is_this_system());
    assert_eq!(*placement.cpu_mapping(), CpuMapping::Identity);
    for plan in placement.workers() {
        assert_eq!(plan.cpu, topology.pus()[plan.pu.index()].os_cpu);
    }
    assert_steal_orders_are_complete(&placement);
}

#[test]
fn the_report_lists_nodes_workers_and_steal_tiers() {
    let topology = xml("two-packages-four-nodes.xml");
    let placement = plan(&topology, WorkerCount::Total(6));
    let report = placement.to_string();
    assert!(report.contains("remote nodes ordered by: hwloc distance matrix \"NUMALatency\""));
    assert!(
        report.contains("node 0: workers 0-1, 1 spinning\n"),
        "{report}"
    );
    assert!(
        report.contains("node 3: workers 5, 1 spinning\n"),
        "{report}"
    );
    let line = report
        .lines()
        .find(|line| line.starts_with("worker 0:"))
        .unwrap();
    assert_eq!(
        line,
        "worker 0: pu 0 -> cpu 0, core 0, l3 0, home node 0; steal: l3 [1] > injector of node 0 \
         > node 1 (distance 12) [2-3] > node 2 (distance 32) [4] > node 3 (distance 32) [5]"
    );
}
