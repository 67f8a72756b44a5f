//! The NUMA config file (TOML): where the topology comes from, how many workers and where, and
//! the sizes the runtime starts with. Every key is documented in the README's "NUMA config file"
//! section; `sched/examples/courier.toml` is a complete example.
//!
//! Loading checks everything that can be checked without the machine: unknown keys, TOML types,
//! ranges, sizes. [`Config::load_topology`] and [`Config::plan`] check the rest against the
//! topology (more workers than PUs, more spinners than workers, pool sizes for absent nodes).
//! Every error names the file, the line and the key ([`ConfigError`]).

mod error;
mod locate;
mod raw;
mod size;
#[cfg(test)]
mod tests;
mod validate;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use courier_alloc::NodeId;

pub use error::{ConfigError, ConfigErrorKind, Position};
pub use size::ByteSize;

use crate::{Placement, PlanError, Topology, TopologySource, WorkerCount, WorkerSettings};

/// The `[actors]` table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActorSettings {
    /// Messages an actor handles in one turn before it goes to the back of the queue.
    /// Default: 64.
    pub activation_budget: u32,
    /// Capacity of a mailbox when the spawner gives none; a full mailbox hands the message
    /// back. Default: 1024 messages.
    pub mailbox_capacity: u32,
}

impl Default for ActorSettings {
    fn default() -> Self {
        Self {
            activation_budget: 64,
            mailbox_capacity: 1024,
        }
    }
}

/// The `[memory]` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemorySettings {
    /// Size of each node's message slab pool. Default: 256 MiB.
    pub pool_size_per_node: ByteSize,
    /// Per-node overrides of `pool_size_per_node`, by node number.
    pub pool_size_by_node: BTreeMap<NodeId, ByteSize>,
    /// Messages (their type's size) of at least this size go to a mapped region of their own on
    /// their receiver's node instead of a heap box (`RuntimeSettings::huge_message_bytes`).
    /// Default: 64 KiB.
    pub huge_payload_threshold: ByteSize,
    /// Milliseconds a worker stays parked before it gives its pools' wholly free slabs back to
    /// the kernel; 0: never. Default: 100.
    pub trim_after_idle_ms: u32,
}

impl Default for MemorySettings {
    fn default() -> Self {
        Self {
            pool_size_per_node: ByteSize::mib(256),
            pool_size_by_node: BTreeMap::new(),
            huge_payload_threshold: ByteSize::kib(64),
            trim_after_idle_ms: 100,
        }
    }
}

impl MemorySettings {
    /// The pool size of `node`: its override, else `pool_size_per_node`.
    #[must_use]
    pub fn pool_size(&self, node: NodeId) -> ByteSize {
        self.pool_size_by_node
            .get(&node)
            .copied()
            .unwrap_or(self.pool_size_per_node)
    }
}

/// Where a config was read from, and where each key sits in it, for errors found later.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Origin {
    file: PathBuf,
    keys: BTreeMap<String, Position>,
}

/// The NUMA config. [`Config::default`] is what runs without a file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// `[topology]`: where the machine model comes from. Default: [`TopologySource::Hwloc`].
    pub topology: TopologySource,
    /// `[workers]`.
    pub workers: WorkerSettings,
    /// `[actors]`.
    pub actors: ActorSettings,
    /// `[memory]`.
    pub memory: MemorySettings,
    origin: Option<Origin>,
}

impl Config {
    /// Reads and checks the config file at `path`.
    ///
    /// # Errors
    /// [`ConfigError`] naming the file, line and key of the first problem.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|error| {
            ConfigError::new(Some(path), None, None, ConfigErrorKind::Read(error))
        })?;
        Self::parse(&text, path)
    }

    /// Checks the config text `text`, read from `file` (named in errors; a relative
    /// `topology.xml` is taken relative to its directory).
    ///
    /// ```
    /// use std::path::Path;
    /// use courier_sched::{Config, WorkerCount};
    /// let config = Config::parse("[workers]\ncount = 2\n", Path::new("courier.toml"))?;
    /// assert_eq!(config.workers.count, WorkerCount::Total(2));
    ///
    /// let error = Config::parse("[workers]\ncount = 0\n", Path::new("courier.toml")).unwrap_err();
    /// assert_eq!((error.line(), error.key()), (Some(2), Some("workers.count")));
    /// # Ok::<(), courier_sched::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// [`ConfigError`] naming the file, line and key of the first problem.
    pub fn parse(text: &str, file: &Path) -> Result<Self, ConfigError> {
        validate::validate(text, file)
    }

    /// The file this config was read from; `None` for [`Config::default`].
    #[must_use]
    pub fn file(&self) -> Option<&Path> {
        self.origin.as_ref().map(|origin| origin.file.as_path())
    }

    /// Loads the topology the config names.
    ///
    /// # Errors
    /// [`ConfigErrorKind::Topology`], at the `topology.synthetic` or `topology.xml` key.
    pub fn load_topology(&self) -> Result<Topology, ConfigError> {
        Topology::load(&self.topology).map_err(|error| {
            let key = match self.topology {
                TopologySource::Hwloc => "topology.source",
                TopologySource::Synthetic(_) => "topology.synthetic",
                TopologySource::Xml(_) => "topology.xml",
            };
            self.error_at(key, ConfigErrorKind::Topology(error))
        })
    }

    /// Plans the workers onto `topology`, and checks that the per-node pool sizes name nodes it
    /// has.
    ///
    /// # Errors
    /// [`ConfigErrorKind::Plan`] at the `[workers]` key that does not fit, or
    /// [`ConfigErrorKind::BadValue`] at a `memory.pool_size_by_node` entry for an absent node.
    pub fn plan(&self, topology: &Topology) -> Result<Placement, ConfigError> {
        if let Some(&node) = self
            .memory
            .pool_size_by_node
            .keys()
            .find(|&&node| topology.node(node).is_none())
        {
            let key = format!("memory.pool_size_by_node.{}", node.0);
            let message = format!("the topology has no {node}");
            return Err(self.error_at(&key, ConfigErrorKind::BadValue(message)));
        }
        Placement::plan(topology, &self.workers).map_err(|error| {
            let key = match (&error, self.workers.count) {
                (PlanError::TooManySpinners { .. }, _) => "workers.spinners_per_node",
                (_, WorkerCount::PerNode(_)) => "workers.per_node",
                _ => "workers.count",
            };
            self.error_at(key, ConfigErrorKind::Plan(error))
        })
    }

    fn error_at(&self, key: &str, kind: ConfigErrorKind) -> ConfigError {
        let file = self.origin.as_ref().map(|origin| origin.file.as_path());
        let position = self
            .origin
            .as_ref()
            .and_then(|origin| origin.keys.get(key))
            .copied();
        ConfigError::new(file, position, Some(key.to_owned()), kind)
    }
}

/// The effective config, as a TOML file that loads back to the same config.
impl fmt::Display for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "[topology]")?;
        match &self.topology {
            TopologySource::Hwloc => writeln!(f, "source = \"hwloc\"")?,
            TopologySource::Synthetic(description) => {
                writeln!(f, "source = \"synthetic\"\nsynthetic = {description:?}")?;
            }
            TopologySource::Xml(path) => {
                // Debug quotes and escapes like a TOML basic string.
                let path = path.to_string_lossy();
                writeln!(f, "source = \"xml\"\nxml = {path:?}")?;
            }
        }
        let workers = &self.workers;
        writeln!(f, "\n[workers]")?;
        match workers.count {
            WorkerCount::All => writeln!(f, "count = \"all\"")?,
            WorkerCount::Total(count) => writeln!(f, "count = {count}")?,
            WorkerCount::PerNode(count) => writeln!(f, "per_node = {count}")?,
        }
        writeln!(f, "oversubscribe = {}", workers.oversubscribe)?;
        writeln!(f, "pin = {}", workers.pin)?;
        writeln!(f, "spinners_per_node = {}", workers.spinners_per_node)?;
        writeln!(f, "steal_batch_max = {}", workers.steal_batch_max)?;
        writeln!(f, "\n[actors]")?;
        writeln!(f, "activation_budget = {}", self.actors.activation_budget)?;
        writeln!(f, "mailbox_capacity = {}", self.actors.mailbox_capacity)?;
        let memory = &self.memory;
        writeln!(f, "\n[memory]")?;
        writeln!(f, "pool_size_per_node = \"{}\"", memory.pool_size_per_node)?;
        writeln!(
            f,
            "huge_payload_threshold = \"{}\"",
            memory.huge_payload_threshold
        )?;
        writeln!(f, "trim_after_idle_ms = {}", memory.trim_after_idle_ms)?;
        writeln!(f, "\n[memory.pool_size_by_node]")?;
        for (node, size) in &memory.pool_size_by_node {
            writeln!(f, "{} = \"{size}\"", node.0)?;
        }
        Ok(())
    }
}
