//! courier-alloc: where every message of the Courier runtime lives.

mod node;

pub use node::NodeId;
