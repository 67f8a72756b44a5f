use super::*;
use crate::gate;

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
    let targets = TargetReadings::default();
    let sources = Sources {
        measurements: &measurements,
        counts: &counts,
        counts_from: "baseline",
        scale: "quick",
        targets: &targets,
    };
    let table = targets_table(&sources);
    assert!(
        table.contains("| 148 instructions (baseline) | met |"),
        "{table}"
    );
    assert!(
        table.contains("| 100.00 M msg/s (counting, quick scale) | met |"),
        "{table}"
    );
    assert!(
        table.contains("counting: 10.00x over actix (met)"),
        "{table}"
    );
    assert!(
        table.contains("ping_pong: 2.00x over kameo (not met)"),
        "{table}"
    );
    assert!(
        table.contains(
            "| supervised restart | 50 us | <= 5 us | not measured: supervisor_time measures it, \
             not this report | not measured |"
        ),
        "{table}"
    );
}

fn sources_with<'a>(measurements: &'a [Measurement], targets: &'a TargetReadings) -> Sources<'a> {
    Sources {
        measurements,
        counts: &[],
        counts_from: "baseline",
        scale: "quick",
        targets,
    }
}

/// The row of the targets table whose measure starts with `name`.
fn row<'t>(table: &'t str, name: &str) -> &'t str {
    table
        .lines()
        .find(|line| line.starts_with(&format!("| {name}")))
        .unwrap_or_else(|| panic!("no row {name} in {table}"))
}

#[test]
fn nothing_measured_is_said_with_why_and_no_figure() {
    let targets = TargetReadings::default();
    let table = targets_table(&sources_with(&[], &targets));
    for line in table.lines().skip(2) {
        assert!(line.ends_with("| not measured |"), "{line}");
        assert!(line.contains("not measured: "), "{line}");
    }
    let ping_pong = row(&table, "ping-pong round trip");
    assert!(
        ping_pong.contains("savina_time did not run its targets step"),
        "{ping_pong}"
    );
    // The measured column (the fifth field of a row) holds no figure.
    let measured: Vec<&str> = table
        .lines()
        .skip(2)
        .map(|line| line.split('|').nth(4).unwrap())
        .collect();
    for value in measured {
        assert!(!value.chars().any(|c| c.is_ascii_digit()), "{value}");
    }
}

#[test]
fn the_ping_pong_row_is_the_ratio_to_the_floor_of_the_same_run() {
    let targets = TargetReadings {
        floor: Ok(Floor {
            courier_ns: 300.0,
            bare_ns: 100.0,
            bare_fastest_ns: Some(95.0),
        }),
        floor_placement: Some("2 workers pinned".to_owned()),
        ..TargetReadings::default()
    };
    let table = targets_table(&sources_with(&[], &targets));
    let ping_pong = row(&table, "ping-pong round trip");
    assert!(
        ping_pong.contains(
            "| 3.00x: courier_2_workers 300 ns / bare_atomic 100 ns (same run; 2 workers pinned) \
             | not met |"
        ),
        "{ping_pong}"
    );
    let targets = TargetReadings {
        floor: Ok(Floor {
            courier_ns: 200.0,
            bare_ns: 100.0,
            bare_fastest_ns: None,
        }),
        ..targets
    };
    let table = targets_table(&sources_with(&[], &targets));
    assert!(row(&table, "ping-pong").ends_with("| met |"), "{table}");
    let disturbed = TargetReadings {
        floor: Ok(Floor {
            courier_ns: 200.0,
            bare_ns: 100.0,
            bare_fastest_ns: Some(40.0),
        }),
        ..targets
    };
    let table = targets_table(&sources_with(&[], &disturbed));
    assert!(
        row(&table, "ping-pong").ends_with(
            "| no verdict: the floor was disturbed (its median is 2.5x its fastest sample, \
             40 ns) |"
        ),
        "{table}"
    );
}

#[test]
fn the_ping_pong_row_takes_the_interleaved_rounds_when_the_run_has_them() {
    let readings = parse_target_readings(
        "pingpong_floor\t2 workers pinned\npingpong_interleaved\t9\t240.5\t100.2\t2.410\n",
    );
    assert_eq!(
        readings.interleaved,
        Some(Interleaved {
            rounds: 9,
            courier_ns: 240.5,
            bare_ns: 100.2,
            ratio: 2.41,
        })
    );
    // Criterion's figures, ten seconds apart, say 4x: the rounds decide, and both are shown.
    let targets = TargetReadings {
        floor: Ok(Floor {
            courier_ns: 400.0,
            bare_ns: 100.0,
            bare_fastest_ns: Some(99.0),
        }),
        ..readings
    };
    let table = targets_table(&sources_with(&[], &targets));
    let ping_pong = row(&table, "ping-pong round trip");
    assert!(
        ping_pong.contains(
            "| 2.41x: median of 9 interleaved rounds, courier 240 ns / bare 100 ns (2 workers \
             pinned); criterion's courier_2_workers 400 ns / bare_atomic 100 ns | met |"
        ),
        "{ping_pong}"
    );
    let slower = TargetReadings {
        interleaved: Some(Interleaved {
            rounds: 9,
            courier_ns: 300.0,
            bare_ns: 100.0,
            ratio: 3.0,
        }),
        ..targets
    };
    let table = targets_table(&sources_with(&[], &slower));
    assert!(row(&table, "ping-pong").ends_with("| not met |"), "{table}");
    let malformed = parse_target_readings("pingpong_interleaved\t9\tfast\t100\t2.4\n");
    assert_eq!(malformed.interleaved, None);
}

#[test]
fn the_skynet_row_gives_time_and_peak_rss_with_a_verdict_each() {
    let readings = parse_target_readings(
        "pingpong_floor\t2 workers pinned\nskynet_rss\t1000000\t3\t150000000\t10240\t307200\n",
    );
    assert_eq!(
        readings.floor_placement.as_deref(),
        Some("2 workers pinned")
    );
    let skynet = readings.skynet.clone().unwrap();
    assert_eq!(skynet.leaves, 1_000_000);
    assert_eq!(skynet.peak_kib, Some(307_200));
    let table = targets_table(&sources_with(&[], &readings));
    let line = row(&table, "skynet");
    assert!(
        line.contains("1000000 leaves: 150.00 ms (median of 3 runs), peak RSS 300 MiB (10 MiB before the runs)"),
        "{line}"
    );
    assert!(line.ends_with("| time met, RSS not met |"), "{line}");
}

#[test]
fn a_skynet_child_that_failed_is_not_measured_with_its_reason() {
    let readings =
        parse_target_readings("skynet_rss_missing\tthe child failed (exit status: 101)\n");
    let table = targets_table(&sources_with(&[], &readings));
    let line = row(&table, "skynet");
    assert!(
        line.contains("not measured: the child failed (exit status: 101) | not measured |"),
        "{line}"
    );
    let malformed = parse_target_readings("skynet_rss\t1000000\tthree\t1\t2\t3\n");
    assert!(malformed.skynet.unwrap_err().contains("malformed"));
    let unknown_rss = parse_target_readings("skynet_rss\t1000\t3\t1000\t-\t-\n");
    let table = targets_table(&sources_with(&[], &unknown_rss));
    assert!(
        row(&table, "skynet").ends_with("| time met, RSS not measured |"),
        "{table}"
    );
}

#[test]
fn a_lead_row_with_a_workload_missing_says_so() {
    let measurements = sample();
    let targets = TargetReadings::default();
    let table = targets_table(&sources_with(&measurements, &targets));
    let line = row(&table, "versus peers: throughput");
    assert!(
        line.contains("fork_join_throughput: not measured (no courier or peer result)"),
        "{line}"
    );
    assert!(line.ends_with("| met where measured (1 of 3) |"), "{line}");
    let line = row(&table, "versus peers: ping-pong");
    assert!(line.ends_with("| not met (0 of 1 met) |"), "{line}");
}

#[test]
fn target_readings_come_from_criterion_files_and_the_tsv() {
    let dir = std::env::temp_dir().join(format!("courier-report-test-{}", std::process::id()));
    let write = |function: &str, median: f64| {
        let new = dir.join("pingpong_floor").join(function).join("new");
        std::fs::create_dir_all(&new).unwrap();
        let estimates = format!("{{\"median\":{{\"point_estimate\":{median}}}}}");
        std::fs::write(new.join("estimates.json"), estimates).unwrap();
        std::fs::write(new.join("benchmark.json"), "{\"throughput\":null}").unwrap();
        let sample = "{\"iters\":[10.0,20.0],\"times\":[1200.0,1800.0]}";
        std::fs::write(new.join("sample.json"), sample).unwrap();
    };
    let missing = load_target_readings(&dir);
    assert!(missing.floor.is_err());
    assert!(missing.skynet.unwrap_err().contains("savina_targets.tsv"));
    write("courier_2_workers", 250.0);
    assert!(
        load_target_readings(&dir)
            .floor
            .unwrap_err()
            .contains("bare_atomic")
    );
    write("bare_atomic", 100.0);
    std::fs::write(dir.join("savina_targets.tsv"), "pingpong_floor\tUNPINNED\n").unwrap();
    let readings = load_target_readings(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        readings.floor,
        Ok(Floor {
            courier_ns: 250.0,
            bare_ns: 100.0,
            bare_fastest_ns: Some(90.0),
        })
    );
    assert_eq!(readings.floor_placement.as_deref(), Some("UNPINNED"));
    assert!(readings.skynet.unwrap_err().contains("no skynet_rss line"));
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
fn the_scaling_table_has_a_column_per_worker_count_and_a_row_per_runtime() {
    let point = |workload: &str, runtime: &str, workers, median_ns| ScalingPoint {
        workload: workload.to_owned(),
        runtime: runtime.to_owned(),
        workers,
        median_ns,
    };
    let points = [
        point("counting", "courier", 1, 2e6),
        point("counting", "courier", 2, 1e6),
        point("counting", "ractor", 1, 8e6),
        point("counting", "ractor", 2, 5e6),
        point("skynet", "courier", 1, 3e6),
    ];
    let actix = [measurement("counting", "actix", 4e6, 1000)];
    let table = scaling_table(&points, &actix);
    assert!(
        table.starts_with("| workload | runtime | 1 worker | 2 workers |\n|---|---|---:|---:|\n"),
        "{table}"
    );
    assert!(
        table.contains(
            "| counting | courier | 2.00 ms | 1.00 ms |\n| counting | ractor | 8.00 ms | 5.00 ms |\n\
             | counting | actix (one thread) | 4.00 ms | one thread |\n"
        ),
        "{table}"
    );
    assert!(
        table.contains("| skynet | courier | 3.00 ms | - |"),
        "{table}"
    );
}

#[test]
fn scaling_function_names_give_the_runtime_and_the_workers() {
    assert_eq!(
        parse_scaling_function("courier_4_workers"),
        Some(("courier", 4))
    );
    assert_eq!(
        parse_scaling_function("kameo_1_workers"),
        Some(("kameo", 1))
    );
    assert_eq!(parse_scaling_function("tokio_2_workers"), None);
    assert_eq!(parse_scaling_function("courier_two_workers"), None);
    assert_eq!(parse_scaling_function("courier_2"), None);
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

#[test]
fn the_load_average_of_the_run_is_said_when_recorded() {
    let readings = parse_target_readings("load_average\t9.42\t-\n");
    assert_eq!(readings.load_average, [Some(9.42), None]);
    let note = load_note(&readings).unwrap();
    assert!(
        note.starts_with(
            "Load average (1 minute) at the start of the run: 9.4, after the targets step: unknown."
        ),
        "{note}"
    );
}

#[test]
fn the_spawn_row_gives_time_and_bytes_per_idle_actor_with_a_verdict_each() {
    let readings = parse_target_readings("spawn_idle\t100000\t150.5\t512\n");
    assert_eq!(
        readings.spawn,
        Ok(SpawnIdle {
            actors: 100_000,
            ns_per_spawn: 150.5,
            bytes_per_actor: Some(512),
        })
    );
    let counts = [gate::Count {
        name: "spawn::x.spawn_1000".into(),
        instructions: 474_000,
    }];
    let sources = Sources {
        counts: &counts,
        ..sources_with(&[], &readings)
    };
    let table = targets_table(&sources);
    let line = row(&table, "spawn");
    assert!(
        line.contains("| 150 ns per spawn, 512 B per idle actor (100000 idle actors"),
        "{line}"
    );
    assert!(
        line.contains("; 474 instructions per spawn (baseline)"),
        "{line}"
    );
    assert!(line.ends_with("| time met, bytes not met |"), "{line}");
    let missing = parse_target_readings("spawn_idle_missing\tthe child failed\n");
    let table = targets_table(&sources_with(&[], &missing));
    let line = row(&table, "spawn");
    assert!(
        line.ends_with("| not measured: the child failed | not measured |"),
        "{line}"
    );
}
