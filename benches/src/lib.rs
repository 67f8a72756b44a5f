//! Courier's benchmarks live in `benches/`: `<crate>_<op>_instr.rs` files count instructions with
//! gungraun (deterministic, the regression gate), `<crate>_<op>_time.rs` files measure time with
//! criterion against a baseline measured in the same run.

pub mod mailbox;
pub mod mcp_load;
