use super::*;

#[test]
fn the_start_factory_builds_a_fresh_instance_on_every_call() {
    let mut starts = 0;
    let mut spec = ChildSpec::worker("counter", move || {
        starts += 1;
        Ok::<u32, String>(starts)
    });
    assert_eq!(spec.start(), Ok(1));
    assert_eq!(spec.start(), Ok(2), "a restart calls the factory again");
}

#[test]
fn a_failing_factory_hands_its_error_back() {
    let mut spec = ChildSpec::worker("db", || Err::<(), _>("no connection"));
    assert_eq!(spec.start(), Err("no connection"));
}

#[test]
fn workers_and_supervisors_get_erlangs_defaults() {
    let worker = ChildSpec::worker("w", ());
    assert_eq!(worker.restart, Restart::Permanent);
    assert_eq!(worker.shutdown, Shutdown::Timeout(Duration::from_secs(5)));
    assert_eq!(worker.kind, ChildKind::Worker);
    let supervisor = ChildSpec::supervisor("s", ());
    assert_eq!(supervisor.restart, Restart::Permanent);
    assert_eq!(supervisor.shutdown, Shutdown::Infinity);
    assert_eq!(supervisor.kind, ChildKind::Supervisor);
}

#[test]
fn boxed_specs_of_different_factories_share_one_list_and_keep_their_settings() {
    let offset = 10;
    let mut specs: Vec<ChildSpec<BoxedStart<u32, String>>> = vec![
        ChildSpec::worker("a", || Ok(1))
            .with_restart(Restart::Temporary)
            .boxed(),
        ChildSpec::supervisor("b", move || Ok(offset + 2)).boxed(),
    ];
    let started: Vec<_> = specs.iter_mut().map(ChildSpec::start).collect();
    assert_eq!(started, [Ok(1), Ok(12)]);
    assert_eq!(specs[0].restart, Restart::Temporary);
    assert_eq!(specs[1].kind, ChildKind::Supervisor);
    assert!(format!("{:?}", specs[0]).contains("Temporary"));
}

#[test]
fn strategies_and_restart_types_print_as_erlang_names() {
    assert_eq!(Strategy::OneForOne.to_string(), "one_for_one");
    assert_eq!(Strategy::RestForOne.to_string(), "rest_for_one");
    assert_eq!(Restart::Transient.to_string(), "transient");
}

#[test]
fn a_failed_start_is_reported_with_the_child_id() {
    let mut spec = ChildSpec::worker("db", || Err::<(), _>("no connection"));
    let error = spec
        .start()
        .map_err(|reason| crate::SuperviseError::StartFailed {
            child: spec.id.clone(),
            reason: reason.to_string(),
        })
        .unwrap_err();
    assert_eq!(error.to_string(), "child db failed to start: no connection");
}
