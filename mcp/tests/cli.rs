//! The `courier` binary's `topology`, `config check` and `mcp` commands, run as a user runs them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn courier(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_courier"))
        .args(args)
        .output()
        .expect("courier runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

/// Writes `text` to a file of this test run and returns its path.
fn config_file(name: &str, text: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, text).expect("the test directory is writable");
    path
}

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sched/tests/fixtures")
        .join(name);
    path.to_str().expect("the fixture path is UTF-8").to_owned()
}

#[test]
fn topology_with_a_synthetic_config_prints_both_nodes_and_their_steal_orders() {
    let file = config_file(
        "synthetic-two-nodes.toml",
        "[topology]\nsource = \"synthetic\"\nsynthetic = \"pack:2 numa:1 l3:1 core:4 pu:1\"\n",
    );
    let output = courier(&["topology", "--config", file.to_str().unwrap()]);
    let text = stdout(&output);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(text.contains("(not this machine)"), "{text}");
    assert!(text.contains("8 virtual PUs onto"), "{text}");
    assert!(text.contains("node 0: workers 0-3, 1 spinning\n"), "{text}");
    assert!(text.contains("node 1: workers 4-7, 1 spinning\n"), "{text}");
    assert!(
        text.contains("home node 1; steal: l3 [4 6-7] > injector of node 1 > node 0"),
        "{text}"
    );
}

#[test]
fn topology_with_an_xml_config_orders_remote_nodes_by_the_matrix() {
    let xml = fixture("one-package-four-nodes-crossed-distances.xml");
    let file = config_file(
        "xml-four-nodes.toml",
        &format!("[topology]\nsource = \"xml\"\nxml = {xml:?}\n[workers]\nper_node = 1\n"),
    );
    let output = courier(&["topology", "--config", file.to_str().unwrap()]);
    let text = stdout(&output);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        text.contains("hwloc distance matrix \"NUMALatency\""),
        "{text}"
    );
    let worker_0 = text
        .lines()
        .find(|line| line.starts_with("worker 0:"))
        .unwrap();
    assert!(
        worker_0.ends_with(
            "injector of node 0 > node 2 (distance 20) [2] > node 1 (distance 30) [1] > \
             node 3 (distance 40) [3]"
        ),
        "{worker_0}"
    );
}

#[test]
fn topology_without_a_config_plans_this_machine() {
    let output = courier(&["topology"]);
    let text = stdout(&output);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        text.starts_with("topology: hwloc (this machine)\n"),
        "{text}"
    );
    assert!(text.contains("cpu mapping: identity"), "{text}");
    assert!(text.contains("worker 0: pu 0 -> cpu "), "{text}");
}

#[test]
fn config_check_of_the_example_file_prints_ok_the_effective_config_and_the_plan() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sched/examples/courier.toml");
    let output = courier(&["config", "check", example.to_str().unwrap()]);
    let text = stdout(&output);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        text.starts_with(&format!("{}: ok\n", example.display())),
        "{text}"
    );
    assert!(text.contains("[workers]\ncount = \"all\"\n"), "{text}");
    assert!(
        text.contains("huge_payload_threshold = \"64KiB\""),
        "{text}"
    );
    assert!(
        text.contains("# placement\ntopology: hwloc (this machine)"),
        "{text}"
    );
}

#[test]
fn config_check_of_a_file_with_an_unknown_key_fails_naming_file_line_and_key() {
    let file = config_file(
        "unknown-key.toml",
        "[workers]\npin = true\nspiners_per_node = 2\n",
    );
    let output = courier(&["config", "check", file.to_str().unwrap()]);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(stdout(&output).is_empty());
    assert!(
        message.contains(&format!(
            "{}:3:1: key `workers.spiners_per_node`",
            file.display()
        )),
        "{message}"
    );
    assert!(message.contains("unknown field"), "{message}");
}

#[test]
fn config_check_of_a_file_with_a_bad_value_fails_naming_file_line_and_key() {
    let file = config_file(
        "bad-value.toml",
        "[memory]\n\nhuge_payload_threshold = \"3KiB\"\n",
    );
    let output = courier(&["config", "check", file.to_str().unwrap()]);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(
        message.contains(&format!(
            "{}:3:26: key `memory.huge_payload_threshold`",
            file.display()
        )),
        "{message}"
    );
}

#[test]
fn topology_with_a_config_asking_for_more_workers_than_pus_fails_at_the_count() {
    let file = config_file(
        "too-many-workers.toml",
        "[topology]\nsource = \"synthetic\"\nsynthetic = \"pack:1 numa:2 core:2 pu:1\"\n\
         [workers]\ncount = 5\n",
    );
    let output = courier(&["topology", "--config", file.to_str().unwrap()]);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(
        message.contains(&format!("{}:5:9: key `workers.count`", file.display())),
        "{message}"
    );
    assert!(message.contains("5 workers but only 4 PUs"), "{message}");
}

#[test]
fn config_check_of_a_missing_file_fails_naming_it() {
    let output = courier(&["config", "check", "/no/such/courier.toml"]);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(
        message.contains("/no/such/courier.toml: cannot read the file"),
        "{message}"
    );
}

#[test]
fn mcp_with_a_bad_config_exits_1_naming_the_file_and_writes_nothing_to_stdout() {
    let output = courier(&["mcp", "--config", "/no/such/courier.toml"]);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(
        message.contains("/no/such/courier.toml: cannot read the file"),
        "{message}"
    );
    assert!(output.stdout.is_empty(), "{}", stdout(&output));
}

#[test]
fn mcp_with_empty_stdin_exits_0_and_writes_nothing() {
    let output = courier(&["mcp"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(output.stdout.is_empty(), "{}", stdout(&output));
}

#[test]
fn topology_under_hwloc_synthetic_says_it_is_not_this_machine() {
    let output = Command::new(env!("CARGO_BIN_EXE_courier"))
        .arg("topology")
        .env("HWLOC_SYNTHETIC", "pack:1 numa:2 core:2 pu:1")
        .output()
        .expect("courier runs");
    let text = stdout(&output);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        text.starts_with("topology: hwloc (not this machine)\n"),
        "{text}"
    );
    assert!(text.contains("4 virtual PUs onto"), "{text}");
    assert!(text.contains("binding is skipped"), "{text}");
    assert!(text.contains("node 1: workers 2-3, 1 spinning\n"), "{text}");
}
