use std::path::{Path, PathBuf};

use courier_alloc::NodeId;

use super::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn node_pus(topology: &Topology, node: u16) -> Vec<u16> {
    topology
        .node(NodeId(node))
        .unwrap()
        .pus
        .iter()
        .map(|pu| pu.0)
        .collect()
}

#[test]
fn two_package_synthetic_topology_has_two_nodes_of_four_pus_under_their_own_l3() {
    let topology = Topology::synthetic("pack:2 numa:1 l3:1 core:4 pu:1").unwrap();
    assert!(!topology.is_this_system());
    assert_eq!(topology.pus().len(), 8);
    assert_eq!(node_pus(&topology, 0), [0, 1, 2, 3]);
    assert_eq!(node_pus(&topology, 1), [4, 5, 6, 7]);
    for pu in topology.pus() {
        let side = pu.id.0 / 4;
        assert_eq!(pu.node, NodeId(side));
        assert_eq!(pu.l3, Some(L3Id(side)));
        assert_eq!(pu.package, Some(PackageId(side)));
        assert_eq!(pu.core, CoreId(pu.id.0));
        assert_eq!(pu.smt_rank, 0);
    }
    assert_eq!(
        topology.distances(),
        None,
        "synthetic descriptions carry no matrix"
    );
    assert!(!topology.host_cpus().is_empty());
}

#[test]
fn hardware_threads_of_one_core_get_increasing_smt_ranks() {
    let topology = Topology::synthetic("pack:1 numa:1 core:2 pu:2").unwrap();
    let ranks: Vec<_> = topology
        .pus()
        .iter()
        .map(|pu| (pu.core.0, pu.smt_rank))
        .collect();
    assert_eq!(ranks, [(0, 0), (0, 1), (1, 0), (1, 1)]);
}

#[test]
fn four_nodes_in_one_package_without_l3_are_all_one_hop_apart() {
    let topology = Topology::synthetic("pack:1 numa:4 core:2 pu:1").unwrap();
    assert_eq!(topology.nodes().len(), 4);
    assert!(topology.pus().iter().all(|pu| pu.l3.is_none()));
    let hops: Vec<_> = (1..4)
        .map(|to| topology.node_distance(NodeId(0), NodeId(to)))
        .collect();
    assert_eq!(hops[0], hops[1]);
    assert_eq!(hops[1], hops[2]);
    assert_eq!(topology.node_distance(NodeId(2), NodeId(2)), Some(0));
}

#[test]
fn without_a_matrix_nodes_of_the_same_package_are_closer_than_nodes_of_another() {
    let topology = Topology::synthetic("pack:2 numa:2 l3:1 core:2 pu:1").unwrap();
    let same_package = topology.node_distance(NodeId(0), NodeId(1)).unwrap();
    let other_package = topology.node_distance(NodeId(0), NodeId(2)).unwrap();
    assert!(
        same_package < other_package,
        "{same_package} vs {other_package}"
    );
    assert_eq!(topology.node_distance(NodeId(0), NodeId(9)), None);
}

#[test]
fn xml_fixture_brings_its_numa_latency_matrix() {
    let source = TopologySource::Xml(fixture("two-packages-four-nodes.xml"));
    let topology = Topology::load(&source).unwrap();
    assert!(!topology.is_this_system());
    assert_eq!(topology.pus().len(), 8);
    let matrix = topology.distances().expect("the fixture has a matrix");
    assert_eq!(matrix.name(), Some("NUMALatency"));
    assert_eq!(matrix.nodes(), [NodeId(0), NodeId(1), NodeId(2), NodeId(3)]);
    assert_eq!(topology.node_distance(NodeId(0), NodeId(1)), Some(12));
    assert_eq!(topology.node_distance(NodeId(0), NodeId(3)), Some(32));
    assert_eq!(topology.node_distance(NodeId(3), NodeId(3)), Some(10));
}

#[test]
fn crossed_distances_fixture_loads_with_two_hardware_threads_per_core() {
    let source = TopologySource::Xml(fixture("one-package-four-nodes-crossed-distances.xml"));
    let topology = Topology::load(&source).unwrap();
    assert_eq!(topology.pus().len(), 16);
    assert_eq!(node_pus(&topology, 2), [8, 9, 10, 11]);
    assert_eq!(topology.node_distance(NodeId(0), NodeId(2)), Some(20));
    assert_eq!(topology.node_distance(NodeId(1), NodeId(3)), Some(20));
    assert_eq!(topology.node_distance(NodeId(2), NodeId(1)), Some(40));
}

#[test]
fn virtual_pus_map_onto_host_cpus_modulo_their_count() {
    let topology = Topology::synthetic("pack:2 numa:1 l3:1 core:4 pu:1")
        .unwrap()
        .with_host_cpus(vec![CpuId(4), CpuId(6), CpuId(7)]);
    let cpus: Vec<_> = topology
        .pus()
        .iter()
        .map(|pu| topology.cpu_for(pu.id).0)
        .collect();
    assert_eq!(cpus, [4, 6, 7, 4, 6, 7, 4, 6]);
}

#[test]
fn the_running_machine_is_this_system_and_its_pus_are_their_own_cpus() {
    let topology = Topology::this_system().unwrap();
    assert!(topology.is_this_system());
    assert!(!topology.pus().is_empty());
    for pu in topology.pus() {
        assert_eq!(topology.cpu_for(pu.id), pu.os_cpu);
    }
    let own: Vec<_> = topology.pus().iter().map(|pu| pu.os_cpu).collect();
    assert_eq!(topology.host_cpus(), own);
}

#[test]
fn an_invalid_synthetic_description_is_an_error_naming_it() {
    let error = Topology::synthetic("pack:2 bogus:3").unwrap_err();
    assert!(
        matches!(&error, TopologyError::InvalidSynthetic { description } if description == "pack:2 bogus:3"),
        "{error:?}"
    );
}

#[test]
fn a_missing_xml_file_is_a_read_error_naming_it() {
    let path = fixture("no-such-topology.xml");
    let error = Topology::load(&TopologySource::Xml(path.clone())).unwrap_err();
    assert!(
        matches!(&error, TopologyError::ReadXml { path: p, .. } if *p == path),
        "{error:?}"
    );
}

#[test]
fn an_xml_file_hwloc_rejects_is_an_error_naming_it() {
    let path =
        std::env::temp_dir().join(format!("courier-not-a-topology-{}.xml", std::process::id()));
    std::fs::write(&path, "<topology><object type=\"Bogus\"/></topology>\n").unwrap();
    let error = Topology::load(&TopologySource::Xml(path.clone())).unwrap_err();
    std::fs::remove_file(&path).unwrap();
    assert!(
        matches!(&error, TopologyError::InvalidXml { path: p } if *p == path),
        "{error:?}"
    );
}
