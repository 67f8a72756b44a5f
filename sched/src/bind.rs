//! Binding worker threads to the CPUs of a [`Placement`]: the step after planning.
//!
//! Binding is only real on the machine the topology describes. hwloc accepts binding calls
//! against a synthetic topology and does nothing, returning success; here that case is
//! [`Bind::SkippedNotThisSystem`], so a caller can never mistake it for [`Bind::Bound`].

use std::fmt;

use crate::topology::hwloc::ThisSystem;
use crate::{CpuId, Placement, TopologyError, WorkerId};

/// What binding one thread did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum Bind {
    /// The calling thread now runs only on `cpu`.
    Bound {
        /// The CPU it is bound to.
        cpu: CpuId,
    },
    /// Nothing was bound: the plan comes from a topology that is not the running machine
    /// (synthetic or XML), or hwloc itself is pointed at a fake machine.
    SkippedNotThisSystem,
    /// Nothing was bound: the config turns pinning off (`workers.pin = false`).
    SkippedPinningOff,
    /// The operating system refused the binding.
    Failed(BindError),
}

/// Why the operating system refused a binding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BindError {
    /// The worker being bound.
    pub worker: WorkerId,
    /// The CPU it was to be bound to.
    pub cpu: CpuId,
    /// What hwloc reported.
    pub message: String,
}

impl fmt::Display for BindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "binding {} to {} failed: {}",
            self.worker, self.cpu, self.message
        )
    }
}

impl std::error::Error for BindError {}

/// Binds threads to their place in a plan. One binder serves every worker thread (`Sync`).
#[derive(Debug)]
pub struct Binder {
    system: ThisSystem,
}

impl Binder {
    /// Opens hwloc on the running machine.
    ///
    /// # Errors
    /// [`TopologyError::Hwloc`] if hwloc cannot discover the machine.
    pub fn new() -> Result<Self, TopologyError> {
        Ok(Self {
            system: ThisSystem::open()?,
        })
    }

    /// Binds the calling thread to the CPU that `placement` gives `worker`.
    ///
    /// # Panics
    /// If `worker` is not in `placement`.
    pub fn bind_current_thread(&self, placement: &Placement, worker: WorkerId) -> Bind {
        let plan = placement.worker(worker);
        if !placement.pin() {
            return Bind::SkippedPinningOff;
        }
        if !placement.is_this_system() || !self.system.is_this_system() {
            return Bind::SkippedNotThisSystem;
        }
        match self.system.bind_current_thread(plan.cpu) {
            Ok(()) => Bind::Bound { cpu: plan.cpu },
            Err(message) => Bind::Failed(BindError {
                worker,
                cpu: plan.cpu,
                message,
            }),
        }
    }

    /// The CPUs the calling thread may run on, as the operating system reports them: how a
    /// caller (or a test) checks that [`Bind::Bound`] holds.
    ///
    /// # Errors
    /// hwloc's message if the binding cannot be read.
    pub fn current_thread_cpus(&self) -> Result<Vec<CpuId>, String> {
        self.system.current_thread_cpus()
    }
}
