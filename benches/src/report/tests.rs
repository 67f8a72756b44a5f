use super::*;

fn measurement(workload: &str, runtime: &str, median_ns: f64, messages: u64) -> Measurement {
    Measurement {
        workload: workload.to_owned(),
        runtime: runtime.to_owned(),
        median_ns,
        messages: Some(messages),
    }
}

fn sample() -> Vec<Measurement> {
    vec![
        measurement("counting", "courier", 10e6, 1_000_000),
        measurement("counting", "actix", 100e6, 1_000_000),
        measurement("counting", "ractor", 300e6, 1_000_000),
        measurement("ping_pong", "courier", 2e6, 80_000),
        measurement("ping_pong", "kameo", 4e6, 80_000),
    ]
}

#[test]
fn a_workload_table_gives_each_runtime_its_ratio_to_courier_and_its_rate() {
    let table = workload_table(&sample(), "counting");
    assert!(
        table.contains("| courier | 10.00 ms | 1.00x | 100.00 M |"),
        "{table}"
    );
    assert!(
        table.contains("| actix | 100.00 ms | 10.00x | 10.00 M |"),
        "{table}"
    );
    assert!(!table.contains("ping"), "{table}");
}

#[test]
fn the_lead_is_over_the_fastest_peer() {
    assert_eq!(
        lead_over_best_peer(&sample(), "counting"),
        Some((10.0, "actix".to_owned()))
    );
    assert_eq!(lead_over_best_peer(&sample(), "skynet"), None);
}

#[test]
fn the_targets_table_fills_in_what_was_measured() {
    let counts = [gate::Count {
        name: "local_send::x.send_deliver_1000".into(),
        instructions: 148_313,
    }];
    let measurements = sample();
    let sources = Sources {
        measurements: &measurements,
        counts: &counts,
        counts_from: "baseline",
        scale: "quick",
    };
    let table = targets_table(&sources);
    assert!(table.contains("148 instructions (baseline)"), "{table}");
    assert!(
        table.contains("100.00 M msg/s (counting, quick scale)"),
        "{table}"
    );
    assert!(table.contains("counting: 10.00x actix (met)"), "{table}");
    assert!(
        table.contains("ping_pong: 2.00x kameo (not met)"),
        "{table}"
    );
    assert!(
        table.contains("| supervised restart | 50 us | <= 5 us | - |"),
        "{table}"
    );
}

#[test]
fn workloads_come_in_the_given_order_then_the_rest() {
    let names = workloads(&sample(), &["ping_pong", "skynet"]);
    assert_eq!(names, ["ping_pong", "counting"]);
}

#[test]
fn times_and_rates_read_well() {
    assert_eq!(format_time(1.5e9), "1.50 s");
    assert_eq!(format_time(2_500.0), "2.50 us");
    assert_eq!(format_time(12.0), "12 ns");
    assert_eq!(format_rate(41.6e6), "41.60 M");
    assert_eq!(format_rate(3_200.0), "3.2 K");
}

#[test]
fn a_missing_criterion_directory_is_no_results() {
    let none = load(Path::new("/nonexistent/criterion")).unwrap();
    assert!(none.is_empty());
}

#[test]
fn the_scaling_table_has_a_column_per_worker_count() {
    let point = |workload: &str, workers, median_ns| ScalingPoint {
        workload: workload.to_owned(),
        workers,
        median_ns,
    };
    let points = [
        point("counting", 1, 2e6),
        point("counting", 2, 1e6),
        point("skynet", 1, 3e6),
    ];
    let table = scaling_table(&points);
    assert!(
        table.starts_with("| workload | 1 worker | 2 workers |\n|---|---:|---:|\n"),
        "{table}"
    );
    assert!(
        table.contains("| counting | 2.00 ms | 1.00 ms |"),
        "{table}"
    );
    assert!(table.contains("| skynet | 3.00 ms | - |"), "{table}");
}

#[test]
fn the_counters_table_has_a_column_per_event() {
    let readings = CounterReadings {
        source: "software CPU clock".to_owned(),
        rows: vec![
            (
                "counting".into(),
                "courier".into(),
                "cpu-clock ns".into(),
                80.0,
            ),
            (
                "counting".into(),
                "actix".into(),
                "cpu-clock ns".into(),
                0.0125,
            ),
        ],
    };
    let table = counters_table(&readings);
    assert!(
        table.starts_with(
            "Source: software CPU clock.\n\n| workload | runtime | cpu-clock ns per message |"
        ),
        "{table}"
    );
    assert!(table.contains("| counting | courier | 80.0 |"), "{table}");
    assert!(
        table.contains("| counting | actix | 0.013 |")
            || table.contains("| counting | actix | 0.012 |"),
        "{table}"
    );
}
