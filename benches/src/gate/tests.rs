use super::*;

/// A gungraun summary line cut down to the fields the gate reads.
fn summary(module: &str, id: &str, ir: u64) -> String {
    format!(
        r#"{{"module_path":"{module}","id":"{id}","profiles":[{{"tool":"Callgrind","data":{{"total":{{"metrics":{{"Ir":{{"values":{{"new":{ir}}}}}}}}}}}}}]}}"#
    )
}

fn count(name: &str, instructions: u64) -> Count {
    Count {
        name: name.to_owned(),
        instructions,
    }
}

#[test]
fn summaries_give_one_count_per_line() {
    let text = format!(
        "{}\n\n{}\n",
        summary("a::g::f", "one", 100),
        summary("b::g::f", "two", 7)
    );
    let counts = parse_summaries(&text).unwrap();
    assert_eq!(counts, [count("a::g::f.one", 100), count("b::g::f.two", 7)]);
}

#[test]
fn a_summary_without_callgrind_is_an_error_naming_its_line() {
    let text = r#"{"module_path":"a","id":"x","profiles":[{"tool":"Dhat"}]}"#;
    let error = parse_summaries(&format!("\n{text}")).unwrap_err();
    assert_eq!(error.line, 2);
}

#[test]
fn the_baseline_round_trips_through_its_file_format() {
    let counts = [count("z::g::f.b", 2), count("a::g::f.a", 1_000_000)];
    let baseline = parse_baseline(&format_baseline(&counts)).unwrap();
    assert_eq!(baseline.len(), 2);
    assert_eq!(baseline["a::g::f.a"], 1_000_000);
    assert_eq!(baseline["z::g::f.b"], 2);
}

#[test]
fn a_baseline_line_with_a_bad_count_is_refused() {
    assert_eq!(parse_baseline("# header\nname ten\n").unwrap_err().line, 2);
    assert_eq!(parse_baseline("name 1 2\n").unwrap_err().line, 1);
    assert_eq!(parse_baseline("name 1\nname 2\n").unwrap_err().line, 2);
}

#[test]
fn only_a_growth_past_the_tolerance_fails() {
    let baseline = parse_baseline("up 1000\nsame 1000\ndown 1000\ngone 5\n").unwrap();
    let counts = [
        count("up", 1051),
        count("same", 1050),
        count("down", 940),
        count("new", 3),
    ];
    let rows = compare(&baseline, &counts);
    let verdict = |name: &str| rows.iter().find(|row| row.name == name).unwrap().verdict;
    assert!(matches!(verdict("up"), Verdict::Regressed { .. }));
    assert!(matches!(verdict("same"), Verdict::Unchanged { .. }));
    assert!(matches!(verdict("down"), Verdict::Improved { .. }));
    assert_eq!(verdict("new"), Verdict::New);
    assert_eq!(verdict("gone"), Verdict::Missing);
    assert!(any_regressed(&rows));
    assert!(baseline_stale(&rows));
    assert!(format_table(&rows).contains("| up | 1000 | 1051 | +5.10% | REGRESSED |"));
}

#[test]
fn a_move_of_two_instructions_is_within_the_tolerance_at_any_percent() {
    let baseline = parse_baseline("tiny 4\nsmall 40\n").unwrap();
    let rows = compare(&baseline, &[count("tiny", 6), count("small", 43)]);
    let verdict = |name: &str| rows.iter().find(|row| row.name == name).unwrap().verdict;
    assert!(matches!(verdict("tiny"), Verdict::Unchanged { .. }));
    assert!(matches!(verdict("small"), Verdict::Regressed { .. }));
}

#[test]
fn an_unchanged_run_passes_and_leaves_the_baseline_alone() {
    let baseline = parse_baseline("a 10\n").unwrap();
    let rows = compare(&baseline, &[count("a", 10)]);
    assert!(!any_regressed(&rows));
    assert!(!baseline_stale(&rows));
}
