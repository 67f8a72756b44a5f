use std::path::{Path, PathBuf};

use courier_alloc::NodeId;

use super::*;
use crate::{CpuId, PlanError, TopologyError};

const FILE: &str = "/etc/courier/test.toml";

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new(FILE))
}

/// Parses `text`, which must fail at `line` on `key`; hands back the kind.
fn error_at(text: &str, line: u32, key: &str) -> ConfigErrorKind {
    let error = parse(text).expect_err("the config must be rejected");
    assert_eq!(error.file(), Some(Path::new(FILE)), "{error}");
    assert_eq!(error.line(), Some(line), "{error}");
    assert_eq!(error.key(), Some(key), "{error}");
    let shown = error.to_string();
    assert!(shown.starts_with(&format!("{FILE}:{line}:")), "{shown}");
    assert!(shown.contains(&format!("key `{key}`")), "{shown}");
    error.into_kind()
}

fn bad_value(text: &str, line: u32, key: &str) -> String {
    match error_at(text, line, key) {
        ConfigErrorKind::BadValue(message) => message,
        other => panic!("expected a bad value, got {other:?}"),
    }
}

fn two_node_topology() -> Topology {
    Topology::synthetic("pack:2 numa:1 l3:1 core:4 pu:1")
        .unwrap()
        .with_host_cpus(vec![CpuId(0)])
}

fn example_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/courier.toml")
}

#[test]
fn an_empty_file_gives_the_documented_defaults() {
    let config = parse("").unwrap();
    assert_eq!(config.topology, TopologySource::Hwloc);
    assert_eq!(config.workers, WorkerSettings::default());
    assert_eq!(config.workers.count, WorkerCount::All);
    assert!(!config.workers.oversubscribe);
    assert!(config.workers.pin);
    assert_eq!(config.workers.spinners_per_node, 1);
    assert_eq!(config.workers.steal_batch_max, 32);
    assert_eq!(
        config.actors,
        ActorSettings {
            activation_budget: 64,
            mailbox_capacity: 1024
        }
    );
    assert_eq!(config.memory, MemorySettings::default());
    assert_eq!(config.memory.pool_size_per_node, ByteSize(256 << 20));
    assert_eq!(config.memory.huge_payload_threshold, ByteSize(64 << 10));
    assert_eq!(config.file(), Some(Path::new(FILE)));
}

#[test]
fn the_example_file_sets_every_key_to_its_default() {
    let config = Config::load(example_path()).unwrap();
    let defaults = Config::default();
    assert_eq!(config.topology, defaults.topology);
    assert_eq!(config.workers, defaults.workers);
    assert_eq!(config.actors, defaults.actors);
    assert_eq!(config.memory, defaults.memory);
}

#[test]
fn the_readme_shows_the_example_file_verbatim() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    let example = std::fs::read_to_string(example_path()).unwrap();
    let section = readme
        .split("## NUMA config file")
        .nth(1)
        .expect("README has the section");
    let block = section
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next());
    assert_eq!(
        block,
        Some(example.as_str()),
        "README and sched/examples/courier.toml differ"
    );
}

#[test]
fn every_key_of_the_example_is_documented_in_the_readme() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    let table = readme.split("## NUMA config file").nth(1).unwrap();
    let keys = [
        "topology.source",
        "topology.synthetic",
        "topology.xml",
        "workers.count",
        "workers.per_node",
        "workers.oversubscribe",
        "workers.pin",
        "workers.spinners_per_node",
        "workers.steal_batch_max",
        "actors.activation_budget",
        "actors.mailbox_capacity",
        "memory.pool_size_per_node",
        "memory.huge_payload_threshold",
        "memory.trim_after_idle_ms",
        "memory.pool_size_by_node",
    ];
    for key in keys {
        assert!(
            table.contains(&format!("`{key}")),
            "README does not document {key}"
        );
    }
}

#[test]
fn every_setting_is_read_from_the_file() {
    let config = parse(
        "[topology]\nsource = \"synthetic\"\nsynthetic = \"pack:1 numa:2 core:2 pu:1\"\n\
         [workers]\nper_node = 2\noversubscribe = true\npin = false\nspinners_per_node = 0\n\
         steal_batch_max = 8\n[actors]\nactivation_budget = 7\nmailbox_capacity = 99\n\
         [memory]\npool_size_per_node = \"2 MiB\"\nhuge_payload_threshold = 8192\n\
         trim_after_idle_ms = 0\n[memory.pool_size_by_node]\n1 = \"1GiB\"\n",
    )
    .unwrap();
    assert_eq!(
        config.topology,
        TopologySource::Synthetic("pack:1 numa:2 core:2 pu:1".to_owned())
    );
    assert_eq!(
        config.workers,
        WorkerSettings {
            count: WorkerCount::PerNode(2),
            oversubscribe: true,
            pin: false,
            spinners_per_node: 0,
            steal_batch_max: 8,
        }
    );
    assert_eq!(
        config.actors,
        ActorSettings {
            activation_budget: 7,
            mailbox_capacity: 99
        }
    );
    assert_eq!(config.memory.pool_size(NodeId(0)), ByteSize::mib(2));
    assert_eq!(config.memory.pool_size(NodeId(1)), ByteSize::mib(1024));
    assert_eq!(config.memory.huge_payload_threshold, ByteSize::kib(8));
    assert_eq!(config.memory.trim_after_idle_ms, 0);
}

#[test]
fn the_effective_config_printed_loads_back_to_the_same_config() {
    let original = parse(
        "[topology]\nsource = \"xml\"\nxml = \"topo.xml\"\n[workers]\ncount = 3\n\
         [memory.pool_size_by_node]\n2 = \"3MiB\"\n",
    )
    .unwrap();
    let reloaded = parse(&original.to_string()).unwrap();
    assert_eq!(reloaded.topology, original.topology);
    assert_eq!(reloaded.workers, original.workers);
    assert_eq!(reloaded.actors, original.actors);
    assert_eq!(reloaded.memory, original.memory);
}

#[test]
fn a_relative_xml_path_is_taken_from_the_config_files_directory() {
    let config = parse("[topology]\nsource = \"xml\"\nxml = \"machines/big.xml\"\n").unwrap();
    assert_eq!(
        config.topology,
        TopologySource::Xml(PathBuf::from("/etc/courier/machines/big.xml"))
    );
}

#[test]
fn a_missing_file_is_a_read_error_naming_it() {
    let error = Config::load("/no/such/courier.toml").unwrap_err();
    assert_eq!(error.file(), Some(Path::new("/no/such/courier.toml")));
    assert_eq!(error.line(), None);
    assert!(
        matches!(error.kind(), ConfigErrorKind::Read(_)),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with("/no/such/courier.toml: cannot read"),
        "{error}"
    );
}

#[test]
fn invalid_toml_is_a_syntax_error_at_its_line() {
    let kind = error_at("[workers]\npin = true\ncount = \n", 3, "workers.count");
    assert!(matches!(kind, ConfigErrorKind::Syntax(_)), "{kind:?}");
}

#[test]
fn an_unknown_table_is_an_unknown_key_error() {
    let kind = error_at(
        "[workers]\ncount = 2\n\n[scheduler]\nbudget = 3\n",
        4,
        "scheduler",
    );
    assert!(matches!(kind, ConfigErrorKind::UnknownKey(_)), "{kind:?}");
}

#[test]
fn an_unknown_key_in_a_table_names_its_full_path() {
    let kind = error_at("[workers]\ncount = 2\ncuont = 3\n", 3, "workers.cuont");
    let ConfigErrorKind::UnknownKey(message) = kind else {
        panic!("{kind:?}")
    };
    assert!(
        message.contains("spinners_per_node"),
        "the message lists the known keys: {message}"
    );
}

#[test]
fn an_unknown_dotted_key_names_its_full_path() {
    let kind = error_at(
        "actors.activation_budget = 3\nactors.budget = 3\n",
        2,
        "actors.budget",
    );
    assert!(matches!(kind, ConfigErrorKind::UnknownKey(_)), "{kind:?}");
}

#[test]
fn a_value_of_the_wrong_type_names_its_key() {
    let kind = error_at("[workers]\npin = \"yes\"\n", 2, "workers.pin");
    assert!(matches!(kind, ConfigErrorKind::WrongType(_)), "{kind:?}");
    let kind = error_at(
        "[actors]\n\nmailbox_capacity = 1.5\n",
        3,
        "actors.mailbox_capacity",
    );
    assert!(matches!(kind, ConfigErrorKind::WrongType(_)), "{kind:?}");
}

#[test]
fn a_worker_count_must_be_all_or_at_least_one() {
    bad_value("[workers]\ncount = 0\n", 2, "workers.count");
    bad_value("[workers]\ncount = -4\n", 2, "workers.count");
    bad_value("[workers]\ncount = 70000\n", 2, "workers.count");
    let message = bad_value("[workers]\ncount = \"half\"\n", 2, "workers.count");
    assert!(message.contains("\"all\""), "{message}");
    bad_value("[workers]\ncount = true\n", 2, "workers.count");
}

#[test]
fn count_and_per_node_exclude_each_other() {
    let message = bad_value(
        "[workers]\ncount = 2\nper_node = 1\n",
        3,
        "workers.per_node",
    );
    assert!(message.contains("not both"), "{message}");
}

#[test]
fn workers_per_node_must_be_at_least_one() {
    bad_value("[workers]\nper_node = 0\n", 2, "workers.per_node");
}

#[test]
fn spinners_and_steal_batch_are_range_checked() {
    bad_value(
        "[workers]\nspinners_per_node = -1\n",
        2,
        "workers.spinners_per_node",
    );
    bad_value(
        "[workers]\nsteal_batch_max = 0\n",
        2,
        "workers.steal_batch_max",
    );
    let message = bad_value(
        "[workers]\nsteal_batch_max = 2000\n",
        2,
        "workers.steal_batch_max",
    );
    assert_eq!(message, "must be from 1 to 1024, not 2000");
}

#[test]
fn the_activation_budget_and_mailbox_capacity_must_be_at_least_one() {
    bad_value(
        "[actors]\nactivation_budget = 0\n",
        2,
        "actors.activation_budget",
    );
    bad_value(
        "[actors]\nmailbox_capacity = 0\n",
        2,
        "actors.mailbox_capacity",
    );
}

#[test]
fn the_trim_delay_is_a_count_of_milliseconds_up_to_an_hour() {
    let message = bad_value(
        "[memory]\ntrim_after_idle_ms = -5\n",
        2,
        "memory.trim_after_idle_ms",
    );
    assert_eq!(message, "must be from 0 to 3600000, not -5");
    bad_value(
        "[memory]\ntrim_after_idle_ms = 3600001\n",
        2,
        "memory.trim_after_idle_ms",
    );
    let wrong = error_at(
        "[memory]\ntrim_after_idle_ms = \"1s\"\n",
        2,
        "memory.trim_after_idle_ms",
    );
    assert!(
        matches!(wrong, ConfigErrorKind::WrongType(_)),
        "a string is not a count: {wrong:?}"
    );
}

#[test]
fn pool_sizes_must_parse_and_be_whole_pages_of_at_least_one_mib() {
    let message = bad_value(
        "[memory]\npool_size_per_node = \"256MB\"\n",
        2,
        "memory.pool_size_per_node",
    );
    assert!(
        message.contains("MiB"),
        "the message names the accepted units: {message}"
    );
    bad_value(
        "[memory]\npool_size_per_node = \"lots\"\n",
        2,
        "memory.pool_size_per_node",
    );
    bad_value(
        "[memory]\npool_size_per_node = \"512KiB\"\n",
        2,
        "memory.pool_size_per_node",
    );
    bad_value(
        "[memory]\npool_size_per_node = 1048577\n",
        2,
        "memory.pool_size_per_node",
    );
    bad_value(
        "[memory]\npool_size_per_node = -1\n",
        2,
        "memory.pool_size_per_node",
    );
    bad_value(
        "[memory]\npool_size_per_node = [1]\n",
        2,
        "memory.pool_size_per_node",
    );
}

#[test]
fn per_node_pool_sizes_need_node_numbers_and_valid_sizes() {
    let text = "[memory.pool_size_by_node]\nfirst = \"1GiB\"\n";
    bad_value(text, 2, "memory.pool_size_by_node.first");
    let text = "[memory.pool_size_by_node]\n0 = \"1GiB\"\n1 = \"1GB\"\n";
    bad_value(text, 3, "memory.pool_size_by_node.1");
}

#[test]
fn the_huge_payload_threshold_is_a_power_of_two_of_at_least_four_kib() {
    let key = "memory.huge_payload_threshold";
    bad_value("[memory]\nhuge_payload_threshold = \"2KiB\"\n", 2, key);
    bad_value("[memory]\nhuge_payload_threshold = 5000\n", 2, key);
    bad_value("[memory]\nhuge_payload_threshold = \"2GiB\"\n", 2, key);
    let config = parse("[memory]\nhuge_payload_threshold = \"4KiB\"\n").unwrap();
    assert_eq!(config.memory.huge_payload_threshold, ByteSize(4096));
}

#[test]
fn the_topology_source_must_be_known_and_come_with_its_key() {
    bad_value("[topology]\nsource = \"numa\"\n", 2, "topology.source");
    bad_value("[topology]\nsource = \"synthetic\"\n", 2, "topology.source");
    bad_value("[topology]\nsource = \"xml\"\n", 2, "topology.source");
    bad_value(
        "[topology]\nsource = \"synthetic\"\nsynthetic = \" \"\n",
        3,
        "topology.synthetic",
    );
    let message = bad_value(
        "[topology]\nsynthetic = \"pack:2 core:2 pu:1\"\n",
        2,
        "topology.synthetic",
    );
    assert!(message.contains("\"hwloc\""), "{message}");
    bad_value(
        "[topology]\nsource = \"synthetic\"\nsynthetic = \"pack:2\"\nxml = \"a.xml\"\n",
        4,
        "topology.xml",
    );
}

#[test]
fn a_synthetic_description_hwloc_rejects_is_an_error_at_its_key() {
    let config =
        parse("\n[topology]\nsource = \"synthetic\"\nsynthetic = \"pack:2 bogus:1\"\n").unwrap();
    let error = config.load_topology().unwrap_err();
    assert_eq!(
        (error.line(), error.key()),
        (Some(4), Some("topology.synthetic")),
        "{error}"
    );
    let ConfigErrorKind::Topology(TopologyError::InvalidSynthetic { .. }) = error.kind() else {
        panic!("{error:?}")
    };
}

#[test]
fn a_missing_xml_topology_is_an_error_at_its_key() {
    let config = parse("[topology]\nsource = \"xml\"\nxml = \"absent.xml\"\n").unwrap();
    let error = config.load_topology().unwrap_err();
    assert_eq!(
        (error.line(), error.key()),
        (Some(3), Some("topology.xml")),
        "{error}"
    );
    assert!(matches!(
        error.kind(),
        ConfigErrorKind::Topology(TopologyError::ReadXml { .. })
    ));
}

#[test]
fn more_workers_than_pus_is_an_error_at_the_count() {
    let config = parse("[workers]\npin = false\ncount = 9\n").unwrap();
    let error = config.plan(&two_node_topology()).unwrap_err();
    assert_eq!(
        (error.line(), error.key()),
        (Some(3), Some("workers.count")),
        "{error}"
    );
    assert!(matches!(
        error.kind(),
        ConfigErrorKind::Plan(PlanError::TooManyWorkers { .. })
    ));
    let config = parse("[workers]\ncount = 9\noversubscribe = true\n").unwrap();
    assert_eq!(
        config.plan(&two_node_topology()).unwrap().workers().len(),
        9
    );
}

#[test]
fn more_workers_per_node_than_pus_is_an_error_at_per_node() {
    let config = parse("[workers]\nper_node = 5\n").unwrap();
    let error = config.plan(&two_node_topology()).unwrap_err();
    assert_eq!(
        (error.line(), error.key()),
        (Some(2), Some("workers.per_node")),
        "{error}"
    );
}

#[test]
fn more_spinners_than_workers_on_a_node_is_an_error_at_spinners_per_node() {
    let config = parse("[workers]\nper_node = 2\nspinners_per_node = 3\n").unwrap();
    let error = config.plan(&two_node_topology()).unwrap_err();
    assert_eq!(
        (error.line(), error.key()),
        (Some(3), Some("workers.spinners_per_node"))
    );
    assert!(matches!(
        error.kind(),
        ConfigErrorKind::Plan(PlanError::TooManySpinners { .. })
    ));
}

#[test]
fn a_pool_size_for_a_node_the_topology_lacks_is_an_error_at_its_key() {
    let config = parse("[memory.pool_size_by_node]\n1 = \"1GiB\"\n5 = \"1GiB\"\n").unwrap();
    let error = config.plan(&two_node_topology()).unwrap_err();
    assert_eq!(
        (error.line(), error.key()),
        (Some(3), Some("memory.pool_size_by_node.5"))
    );
    assert!(matches!(error.kind(), ConfigErrorKind::BadValue(_)));
}

#[test]
fn byte_sizes_parse_binary_units_and_print_the_largest_exact_one() {
    let parsed: Vec<_> = ["0", "4096", "64KiB", "3 MiB", "1GiB", "2TiB", "12B"]
        .iter()
        .map(|text| text.parse::<ByteSize>().unwrap().bytes())
        .collect();
    assert_eq!(parsed, [0, 4096, 64 << 10, 3 << 20, 1 << 30, 2 << 40, 12]);
    assert_eq!(ByteSize(1536).to_string(), "1536B");
    assert_eq!(ByteSize(3 << 30).to_string(), "3GiB");
    assert_eq!(ByteSize(0).to_string(), "0B");
    for bad in ["", "MiB", "1.5GiB", "5 mb", "99999999999TiB"] {
        assert!(bad.parse::<ByteSize>().is_err(), "{bad:?} parsed");
    }
}

#[test]
fn an_unknown_key_in_an_inline_table_names_its_full_path() {
    let kind = error_at(
        "topology = { source = \"hwloc\" }\nworkers = { cuont = 1 }\n",
        2,
        "workers.cuont",
    );
    assert!(matches!(kind, ConfigErrorKind::UnknownKey(_)), "{kind:?}");
}

#[test]
fn a_table_given_as_something_else_is_a_wrong_type_error_at_its_key() {
    let kind = error_at(
        "[actors]\nmailbox_capacity = 8\n\n[[memory]]\n",
        4,
        "memory",
    );
    assert!(matches!(kind, ConfigErrorKind::WrongType(_)), "{kind:?}");
    let text = "[memory]\npool_size_by_node = \"1GiB\"\n";
    let kind = error_at(text, 2, "memory.pool_size_by_node");
    assert!(matches!(kind, ConfigErrorKind::WrongType(_)), "{kind:?}");
    let kind = error_at("workers = 4\n", 1, "workers");
    assert!(matches!(kind, ConfigErrorKind::WrongType(_)), "{kind:?}");
}
