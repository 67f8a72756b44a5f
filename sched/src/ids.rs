//! Identities of the things a placement plan talks about.
//!
//! Every id is a newtype over `u16`: a machine with more than 65,535 PUs, cores or workers is out
//! of scope, and loading such a topology is an error ([`TopologyError::TooLarge`]), never a silent
//! truncation.
//!
//! [`TopologyError::TooLarge`]: crate::TopologyError::TooLarge

use std::fmt;

macro_rules! id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u16);

        impl $name {
            /// The id as an index, for tables sized by the number of such ids.
            #[must_use]
            pub const fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, " {}"), self.0)
            }
        }
    };
}

id!(
    /// A worker thread of the scheduler, numbered `0..n` node by node (the workers of one node have
    /// consecutive ids).
    ///
    /// ```
    /// use courier_sched::WorkerId;
    /// assert_eq!(WorkerId(3).index(), 3);
    /// assert_eq!(WorkerId(3).to_string(), "worker 3");
    /// ```
    WorkerId,
    "worker"
);

id!(
    /// A processing unit (hardware thread) of the topology, by hwloc logical index. In a synthetic
    /// or XML topology this is a virtual PU, not one the machine has.
    ///
    /// ```
    /// use courier_sched::PuId;
    /// assert_eq!(PuId(7).to_string(), "pu 7");
    /// ```
    PuId,
    "pu"
);

id!(
    /// A core of the topology, by hwloc logical index.
    ///
    /// ```
    /// use courier_sched::CoreId;
    /// assert_eq!(CoreId(2).to_string(), "core 2");
    /// ```
    CoreId,
    "core"
);

id!(
    /// An L3 cache of the topology, by hwloc logical index: the workers under one L3 steal from
    /// each other first.
    ///
    /// ```
    /// use courier_sched::L3Id;
    /// assert_eq!(L3Id(1).to_string(), "l3 1");
    /// ```
    L3Id,
    "l3"
);

id!(
    /// A package (socket) of the topology, by hwloc logical index.
    ///
    /// ```
    /// use courier_sched::PackageId;
    /// assert_eq!(PackageId(1).to_string(), "package 1");
    /// ```
    PackageId,
    "package"
);

id!(
    /// A CPU as the operating system numbers it (hwloc's PU `os_index`, Linux's CPU number): what
    /// a thread is bound to.
    ///
    /// ```
    /// use courier_sched::CpuId;
    /// assert_eq!(CpuId(5).to_string(), "cpu 5");
    /// ```
    CpuId,
    "cpu"
);
