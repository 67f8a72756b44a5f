//! The config file as serde reads it: the shape only (tables, keys, TOML types), every value
//! with its span. `validate` turns it into a [`Config`](super::Config).

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct File {
    pub(super) topology: Topology,
    pub(super) workers: Workers,
    pub(super) actors: Actors,
    pub(super) memory: Memory,
}

/// `[topology]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct Topology {
    pub(super) source: Option<Spanned<String>>,
    pub(super) synthetic: Option<Spanned<String>>,
    pub(super) xml: Option<Spanned<String>>,
}

/// `[workers]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct Workers {
    /// `"all"` or an integer, so read as any value and checked by hand.
    pub(super) count: Option<Spanned<toml::Value>>,
    pub(super) per_node: Option<Spanned<i64>>,
    pub(super) oversubscribe: Option<Spanned<bool>>,
    pub(super) pin: Option<Spanned<bool>>,
    pub(super) spinners_per_node: Option<Spanned<i64>>,
    pub(super) steal_batch_max: Option<Spanned<i64>>,
}

/// `[actors]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct Actors {
    pub(super) activation_budget: Option<Spanned<i64>>,
    pub(super) mailbox_capacity: Option<Spanned<i64>>,
}

/// `[memory]`; sizes are strings such as `"256MiB"` or integers (bytes).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct Memory {
    pub(super) pool_size_per_node: Option<Spanned<toml::Value>>,
    pub(super) huge_payload_threshold: Option<Spanned<toml::Value>>,
    pub(super) trim_after_idle_ms: Option<Spanned<i64>>,
    pub(super) pool_size_by_node: BTreeMap<String, Spanned<toml::Value>>,
}
