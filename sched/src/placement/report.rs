//! The plan as text: what `courier topology` and `courier config check` print.

use std::fmt::{self, Write as _};

use super::{CpuMapping, Placement, StealTier, WorkerPlan};
use crate::WorkerId;

impl fmt::Display for Placement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let machine = if self.is_this_system {
            "this machine"
        } else {
            "not this machine"
        };
        writeln!(f, "topology: {} ({machine})", self.source)?;
        match self.mapping {
            CpuMapping::Identity => writeln!(f, "cpu mapping: identity (each PU is its own CPU)")?,
            CpuMapping::Modulo {
                virtual_pus,
                host_cpus,
            } => writeln!(
                f,
                "cpu mapping: {virtual_pus} virtual PUs onto {host_cpus} host CPUs (pu i runs \
                 on host CPU number i mod {host_cpus}); binding is skipped"
            )?,
        }
        writeln!(f, "remote nodes ordered by: {}", self.distance_source)?;
        let settings = &self.settings;
        writeln!(
            f,
            "workers: {} (count {}, oversubscribe {}), pin {}, spinners per node {}",
            self.workers.len(),
            settings.count,
            settings.oversubscribe,
            settings.pin,
            settings.spinners_per_node,
        )?;
        for node in &self.nodes {
            writeln!(
                f,
                "{}: workers {}, {} spinning",
                node.node,
                ranges(&node.workers),
                node.spinners
            )?;
        }
        for worker in &self.workers {
            writeln!(f, "{}", WorkerLine(worker))?;
        }
        Ok(())
    }
}

struct WorkerLine<'a>(&'a WorkerPlan);

impl fmt::Display for WorkerLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plan = self.0;
        write!(
            f,
            "{}: {} -> {}, {}",
            plan.worker, plan.pu, plan.cpu, plan.core
        )?;
        if let Some(l3) = plan.l3 {
            write!(f, ", {l3}")?;
        }
        write!(f, ", home {}; steal:", plan.node)?;
        for (index, tier) in plan.steal_order.tiers().iter().enumerate() {
            f.write_str(if index == 0 { " " } else { " > " })?;
            match tier {
                StealTier::SharedL3 { workers } => write!(f, "l3 [{}]", ranges(workers))?,
                StealTier::SameNode { workers } => write!(f, "node [{}]", ranges(workers))?,
                StealTier::NodeInjector { node } => write!(f, "injector of {node}")?,
                StealTier::RemoteNode {
                    node,
                    distance,
                    workers,
                } => {
                    write!(f, "{node} (distance {distance}) [{}]", ranges(workers))?;
                }
            }
        }
        Ok(())
    }
}

/// Worker ids as compact ranges: `0-3 5 7-8`.
fn ranges(workers: &[WorkerId]) -> String {
    let mut text = String::new();
    let mut index = 0;
    while index < workers.len() {
        let start = workers[index].0;
        let mut end = start;
        while index + 1 < workers.len() && workers[index + 1].0 == end + 1 {
            index += 1;
            end += 1;
        }
        let separator = if text.is_empty() { "" } else { " " };
        // Writing to a String cannot fail.
        let _ = if start == end {
            write!(text, "{separator}{start}")
        } else {
            write!(text, "{separator}{start}-{end}")
        };
        index += 1;
    }
    text
}
