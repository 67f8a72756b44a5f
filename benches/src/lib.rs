//! Courier's benchmarks live in `benches/`: `<crate>_<op>_instr.rs` files count instructions with
//! gungraun (deterministic, the regression gate), `<crate>_<op>_time.rs` files measure time with
//! criterion against a baseline measured in the same run.
//!
//! The library holds what the benches and scripts share: [`gate`] compares the instruction
//! counts with the committed baseline (`benches/instr-baseline.txt`, `scripts/bench-instr`).

pub mod floor;
pub mod gate;
pub mod mailbox;
pub mod mcp_load;
pub mod plot;
pub mod report;
