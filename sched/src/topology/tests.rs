use courier_alloc::NodeId;

use super::*;

#[test]
fn placeholder_synthetic_two_nodes_loads() {
    let topology = Topology::synthetic("pack:2 numa:1 l3:1 core:4 pu:1").unwrap();
    assert_eq!(topology.nodes()[1].id, NodeId(1));
}
