//! From the raw file to a checked [`Config`]: ranges, sizes, and the keys that exclude each
//! other. Every error carries the file, the line and the dotted key.

use std::collections::BTreeMap;
use std::path::Path;

use courier_alloc::NodeId;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{
    ActorSettings, ByteSize, Config, ConfigError, ConfigErrorKind, MemorySettings, Origin,
    Position, locate, raw,
};
use crate::{TopologySource, WorkerCount, WorkerSettings};

/// The smallest huge-payload threshold: one page.
const HUGE_PAYLOAD_THRESHOLD_MIN: ByteSize = ByteSize::kib(4);
/// The largest huge-payload threshold: beyond it every payload would sit in a slab block.
const HUGE_PAYLOAD_THRESHOLD_MAX: ByteSize = ByteSize(1 << 30);
/// The smallest pool: a 2 MiB huge page's worth of blocks would be too few to matter below 1 MiB.
const POOL_SIZE_MIN: ByteSize = ByteSize::mib(1);
/// Pools are made of pages.
const PAGE_SIZE: ByteSize = ByteSize::kib(4);

pub(super) fn validate(text: &str, file: &Path) -> Result<Config, ConfigError> {
    match DeTable::parse(text) {
        Ok(root) => check_tables(root.get_ref(), text, file)?,
        Err(error) => {
            let position = error
                .span()
                .map(|span| Position::of_offset(text, span.start));
            let key = position.and_then(|position| locate::key_on_line(text, position.line));
            let kind = ConfigErrorKind::Syntax(error.message().trim().to_owned());
            return Err(ConfigError::new(Some(file), position, key, kind));
        }
    }
    let raw: raw::File = toml::from_str(text).map_err(|error| {
        let offset = error.span().map(|span| span.start);
        let position = offset.map(|offset| Position::of_offset(text, offset));
        let key = offset.and_then(|offset| locate::key_at(text, offset));
        let message = error.message().trim().to_owned();
        let kind = if message.starts_with("unknown field") {
            ConfigErrorKind::UnknownKey(message)
        } else if message.starts_with("invalid type") {
            ConfigErrorKind::WrongType(message)
        } else {
            ConfigErrorKind::BadValue(message)
        };
        ConfigError::new(Some(file), position, key, kind)
    })?;
    let mut checker = Checker {
        text,
        file,
        keys: BTreeMap::new(),
    };
    let topology = checker.topology(&raw.topology)?;
    let workers = checker.workers(&raw.workers)?;
    let actors = checker.actors(&raw.actors)?;
    let memory = checker.memory(&raw.memory)?;
    let origin = Origin {
        file: file.to_path_buf(),
        keys: checker.keys,
    };
    Ok(Config {
        topology,
        workers,
        actors,
        memory,
        origin: Some(origin),
    })
}

/// The tables of the file must be tables: serde would read `[[memory]]` (an array of tables) as
/// a struct given field by field, and blame the first field.
fn check_tables(root: &DeTable<'_>, text: &str, file: &Path) -> Result<(), ConfigError> {
    const TABLES: [&str; 5] = [
        "topology",
        "workers",
        "actors",
        "memory",
        "memory.pool_size_by_node",
    ];
    for path in TABLES {
        let mut table = root;
        let mut value = None;
        for part in path.split('.') {
            value = table.get(part);
            match value.map(toml::Spanned::get_ref) {
                Some(DeValue::Table(inner)) => table = inner,
                _ => break,
            }
        }
        if let Some(value) = value.filter(|value| !matches!(value.get_ref(), DeValue::Table(_))) {
            let position = Position::of_offset(text, value.span().start);
            let found = value.get_ref().type_str();
            let message = format!("`{path}` must be a table ([{path}]), not {found}");
            let kind = ConfigErrorKind::WrongType(message);
            return Err(ConfigError::new(
                Some(file),
                Some(position),
                Some(path.to_owned()),
                kind,
            ));
        }
    }
    Ok(())
}

struct Checker<'a> {
    text: &'a str,
    file: &'a Path,
    /// Where each key that the file sets sits, for errors found after loading.
    keys: BTreeMap<String, Position>,
}

impl Checker<'_> {
    /// Records where `key` sits and hands its value on.
    fn note<'v, T>(&mut self, key: &str, value: &'v Spanned<T>) -> &'v T {
        let position = Position::of_offset(self.text, value.span().start);
        self.keys.insert(key.to_owned(), position);
        value.get_ref()
    }

    fn bad(&self, key: &str, message: String) -> ConfigError {
        let position = self.keys.get(key).copied();
        ConfigError::new(
            Some(self.file),
            position,
            Some(key.to_owned()),
            ConfigErrorKind::BadValue(message),
        )
    }

    /// An integer key in `min..=max`, or `default` when absent.
    fn integer<T>(
        &mut self,
        key: &str,
        value: Option<&Spanned<i64>>,
        (min, max): (T, T),
        default: T,
    ) -> Result<T, ConfigError>
    where
        T: Copy + Into<i64> + TryFrom<i64>,
    {
        let Some(value) = value else {
            return Ok(default);
        };
        let number = *self.note(key, value);
        T::try_from(number)
            .ok()
            .filter(|_| (min.into()..=max.into()).contains(&number))
            .ok_or_else(|| {
                self.bad(
                    key,
                    format!(
                        "must be from {} to {}, not {number}",
                        min.into(),
                        max.into()
                    ),
                )
            })
    }

    /// A size: a string such as `"256MiB"`, or an integer number of bytes.
    fn size(&mut self, key: &str, value: &Spanned<toml::Value>) -> Result<ByteSize, ConfigError> {
        match self.note(key, value) {
            toml::Value::String(text) => text.parse().map_err(|message| self.bad(key, message)),
            toml::Value::Integer(bytes) => u64::try_from(*bytes)
                .map(ByteSize)
                .map_err(|_| self.bad(key, format!("a size cannot be negative: {bytes}"))),
            other => Err(self.bad(
                key,
                format!(
                    "expected a size such as \"256MiB\", found {}",
                    other.type_str()
                ),
            )),
        }
    }

    fn topology(&mut self, raw: &raw::Topology) -> Result<TopologySource, ConfigError> {
        let source = raw
            .source
            .as_ref()
            .map(|source| self.note("topology.source", source));
        let synthetic = raw
            .synthetic
            .as_ref()
            .map(|s| self.note("topology.synthetic", s));
        let xml = raw.xml.as_ref().map(|xml| self.note("topology.xml", xml));
        let conflict = |source: &str| {
            format!("is set, but `topology.source` is {source:?}: remove it or change the source")
        };
        match (source.map_or("hwloc", String::as_str), synthetic, xml) {
            ("hwloc", None, None) => Ok(TopologySource::Hwloc),
            ("synthetic", Some(description), None) if !description.trim().is_empty() => {
                Ok(TopologySource::Synthetic(description.clone()))
            }
            ("synthetic", Some(_), None) => {
                Err(self.bad("topology.synthetic", "must not be empty".to_owned()))
            }
            ("xml", None, Some(path)) => {
                let base = self.file.parent().unwrap_or(Path::new(""));
                Ok(TopologySource::Xml(base.join(path)))
            }
            (source @ ("hwloc" | "xml"), Some(_), _) => {
                Err(self.bad("topology.synthetic", conflict(source)))
            }
            (source @ ("hwloc" | "synthetic"), _, Some(_)) => {
                Err(self.bad("topology.xml", conflict(source)))
            }
            (source @ ("synthetic" | "xml"), _, _) => Err(self.bad(
                "topology.source",
                format!("source {source:?} needs the key `topology.{source}`"),
            )),
            (other, _, _) => Err(self.bad(
                "topology.source",
                format!("unknown source {other:?}: use \"hwloc\", \"synthetic\" or \"xml\""),
            )),
        }
    }

    fn workers(&mut self, raw: &raw::Workers) -> Result<WorkerSettings, ConfigError> {
        let defaults = WorkerSettings::default();
        let per_node = raw.per_node.as_ref();
        let count = match (&raw.count, per_node) {
            (Some(_), Some(per_node)) => {
                self.note("workers.per_node", per_node);
                return Err(self.bad(
                    "workers.per_node",
                    "set either `workers.count` or `workers.per_node`, not both".to_owned(),
                ));
            }
            (None, Some(_)) => WorkerCount::PerNode(self.integer(
                "workers.per_node",
                per_node,
                (1, u16::MAX),
                1,
            )?),
            (Some(count), None) => self.count(count)?,
            (None, None) => defaults.count,
        };
        let mut flag = |key: &str, value: Option<&Spanned<bool>>, default: bool| {
            value.map_or(default, |value| *self.note(key, value))
        };
        let oversubscribe = flag(
            "workers.oversubscribe",
            raw.oversubscribe.as_ref(),
            defaults.oversubscribe,
        );
        let pin = flag("workers.pin", raw.pin.as_ref(), defaults.pin);
        let spinners_per_node = self.integer(
            "workers.spinners_per_node",
            raw.spinners_per_node.as_ref(),
            (0, u16::MAX),
            defaults.spinners_per_node,
        )?;
        let steal_batch_max = self.integer(
            "workers.steal_batch_max",
            raw.steal_batch_max.as_ref(),
            (1, 1024),
            defaults.steal_batch_max,
        )?;
        Ok(WorkerSettings {
            count,
            oversubscribe,
            pin,
            spinners_per_node,
            steal_batch_max,
        })
    }

    fn count(&mut self, value: &Spanned<toml::Value>) -> Result<WorkerCount, ConfigError> {
        const KEY: &str = "workers.count";
        match self.note(KEY, value) {
            toml::Value::String(text) if text == "all" => Ok(WorkerCount::All),
            toml::Value::Integer(number) => u16::try_from(*number)
                .ok()
                .filter(|&count| count >= 1)
                .map(WorkerCount::Total)
                .ok_or_else(|| self.bad(KEY, format!("must be from 1 to 65535, not {number}"))),
            toml::Value::String(text) => Err(self.bad(
                KEY,
                format!("expected \"all\" or a number of workers, found {text:?}"),
            )),
            other => Err(self.bad(
                KEY,
                format!(
                    "expected \"all\" or a number of workers, found {}",
                    other.type_str()
                ),
            )),
        }
    }

    fn actors(&mut self, raw: &raw::Actors) -> Result<ActorSettings, ConfigError> {
        let defaults = ActorSettings::default();
        Ok(ActorSettings {
            activation_budget: self.integer(
                "actors.activation_budget",
                raw.activation_budget.as_ref(),
                (1, 1_000_000),
                defaults.activation_budget,
            )?,
            mailbox_capacity: self.integer(
                "actors.mailbox_capacity",
                raw.mailbox_capacity.as_ref(),
                (1, 1 << 30),
                defaults.mailbox_capacity,
            )?,
        })
    }

    fn memory(&mut self, raw: &raw::Memory) -> Result<MemorySettings, ConfigError> {
        let defaults = MemorySettings::default();
        let pool_size_per_node = match &raw.pool_size_per_node {
            Some(value) => self.pool_size("memory.pool_size_per_node", value)?,
            None => defaults.pool_size_per_node,
        };
        let mut pool_size_by_node = BTreeMap::new();
        for (node, value) in &raw.pool_size_by_node {
            let key = format!("memory.pool_size_by_node.{node}");
            let size = self.pool_size(&key, value)?;
            let id = node.parse::<u16>().map_err(|_| {
                self.bad(&key, format!("{node:?} is not a node number (0 to 65535)"))
            })?;
            pool_size_by_node.insert(NodeId(id), size);
        }
        let huge_payload_threshold = match &raw.huge_payload_threshold {
            Some(value) => {
                let key = "memory.huge_payload_threshold";
                let size = self.size(key, value)?;
                let range = HUGE_PAYLOAD_THRESHOLD_MIN..=HUGE_PAYLOAD_THRESHOLD_MAX;
                if !size.bytes().is_power_of_two() || !range.contains(&size) {
                    return Err(self.bad(
                        key,
                        format!(
                            "must be a power of two from {HUGE_PAYLOAD_THRESHOLD_MIN} to \
                             {HUGE_PAYLOAD_THRESHOLD_MAX}, not {size}"
                        ),
                    ));
                }
                size
            }
            None => defaults.huge_payload_threshold,
        };
        let trim_after_idle_ms = self.integer(
            "memory.trim_after_idle_ms",
            raw.trim_after_idle_ms.as_ref(),
            (0, 3_600_000),
            defaults.trim_after_idle_ms,
        )?;
        Ok(MemorySettings {
            pool_size_per_node,
            pool_size_by_node,
            huge_payload_threshold,
            trim_after_idle_ms,
        })
    }

    fn pool_size(
        &mut self,
        key: &str,
        value: &Spanned<toml::Value>,
    ) -> Result<ByteSize, ConfigError> {
        let size = self.size(key, value)?;
        if size < POOL_SIZE_MIN || size.bytes() % PAGE_SIZE.bytes() != 0 {
            return Err(self.bad(
                key,
                format!(
                    "must be at least {POOL_SIZE_MIN} and a multiple of {PAGE_SIZE}, not {size}"
                ),
            ));
        }
        Ok(size)
    }
}
