//! Each strategy with panicking, erroring and normally exiting children, by hand; the
//! property test (`tests/prop_strategy.rs`) covers the rest against a model.

use std::time::Duration;

use super::*;
use crate::Restart::{Permanent, Temporary, Transient};

fn ids(ids: &[&str]) -> Vec<ChildId> {
    ids.iter().map(|&id| ChildId::new(id)).collect()
}

fn panicked() -> Exit {
    Exit::Panicked {
        message: "boom".into(),
    }
}

fn errored() -> Exit {
    Exit::Error {
        message: "bad".into(),
    }
}

/// a (permanent), b (transient), c (temporary), d (permanent): all running.
fn children() -> Vec<ChildView> {
    vec![
        ChildView::running("a", Permanent),
        ChildView::running("b", Transient),
        ChildView::running("c", Temporary),
        ChildView::running("d", Permanent),
    ]
}

fn decide_now(strategy: Strategy, children: &[ChildView], child: &str, reason: Exit) -> Decision {
    let mut intensity = Intensity::new(10, Duration::from_secs(1));
    let exit = ChildExit {
        child: child.into(),
        reason,
    };
    decide(strategy, children, &exit, &mut intensity, Instant::now()).unwrap()
}

fn plan(stop: &[&str], remove: &[&str], restart: &[&str]) -> Decision {
    Decision::Continue(Plan {
        stop: ids(stop),
        remove: ids(remove),
        restart: ids(restart),
    })
}

#[test]
fn one_for_one_restarts_only_the_panicked_child() {
    let decision = decide_now(Strategy::OneForOne, &children(), "d", panicked());
    assert_eq!(decision, plan(&[], &[], &["d"]));
}

#[test]
fn one_for_all_stops_the_others_in_reverse_order_and_restarts_all_but_temporaries() {
    let decision = decide_now(Strategy::OneForAll, &children(), "b", errored());
    assert_eq!(decision, plan(&["d", "c", "a"], &["c"], &["a", "b", "d"]));
}

#[test]
fn rest_for_one_restarts_the_child_and_those_started_after_it() {
    let decision = decide_now(Strategy::RestForOne, &children(), "b", Exit::Killed);
    assert_eq!(decision, plan(&["d", "c"], &["c"], &["b", "d"]));
}

#[test]
fn one_for_all_starts_again_a_child_that_had_stopped_normally() {
    let mut children = children();
    children[1].status = ChildStatus::Stopped;
    let decision = decide_now(Strategy::OneForAll, &children, "a", panicked());
    assert_eq!(decision, plan(&["d", "c"], &["c"], &["a", "b", "d"]));
}

#[test]
fn a_permanent_child_is_restarted_even_after_a_normal_exit() {
    let decision = decide_now(Strategy::OneForOne, &children(), "a", Exit::Normal);
    assert_eq!(decision, plan(&[], &[], &["a"]));
}

#[test]
fn a_transient_child_is_restarted_only_after_an_abnormal_exit() {
    let normal = decide_now(Strategy::OneForAll, &children(), "b", Exit::Normal);
    assert_eq!(
        normal,
        plan(&[], &[], &[]),
        "kept as stopped, nothing else happens"
    );
    let linked = Exit::Linked {
        from: courier_sched::ActorId(3),
        reason: Box::new(Exit::Killed),
    };
    let abnormal = decide_now(Strategy::OneForOne, &children(), "b", linked);
    assert_eq!(abnormal, plan(&[], &[], &["b"]));
}

#[test]
fn a_temporary_child_is_never_restarted_and_is_removed() {
    for reason in [Exit::Normal, panicked(), errored(), Exit::Killed] {
        let decision = decide_now(Strategy::OneForAll, &children(), "c", reason);
        assert_eq!(decision, plan(&[], &["c"], &[]));
    }
}

#[test]
fn a_dynamic_child_that_is_not_restarted_is_removed() {
    let children = vec![
        ChildView::running("conn-1", Transient),
        ChildView::running("conn-2", Transient),
    ];
    let normal = decide_now(Strategy::Dynamic, &children, "conn-2", Exit::Normal);
    assert_eq!(normal, plan(&[], &["conn-2"], &[]));
    let crashed = decide_now(Strategy::Dynamic, &children, "conn-1", panicked());
    assert_eq!(crashed, plan(&[], &[], &["conn-1"]));
}

#[test]
fn too_many_restarts_escalate_stopping_every_child_in_reverse_order() {
    let t0 = Instant::now();
    let mut intensity = Intensity::new(1, Duration::from_secs(5));
    let exit = ChildExit {
        child: "a".into(),
        reason: panicked(),
    };
    let children = children();
    let first = decide(Strategy::OneForOne, &children, &exit, &mut intensity, t0).unwrap();
    assert_eq!(first, plan(&[], &[], &["a"]));
    let later = t0 + Duration::from_secs(4);
    let second = decide(Strategy::OneForOne, &children, &exit, &mut intensity, later).unwrap();
    let error = SuperviseError::RestartIntensity {
        child: "a".into(),
        restarts_max: 1,
        window: Duration::from_secs(5),
    };
    assert_eq!(
        second,
        Decision::Escalate {
            stop: ids(&["d", "c", "b"]),
            error: error.clone(),
        }
    );
    assert_eq!(
        error.to_string(),
        "child a exited: more than 1 restarts within 5s, giving up"
    );
}

#[test]
fn exits_that_restart_nothing_do_not_count_against_the_intensity() {
    let t0 = Instant::now();
    let mut intensity = Intensity::new(0, Duration::from_secs(5));
    let exit = ChildExit {
        child: "b".into(),
        reason: Exit::Normal,
    };
    let decision = decide(Strategy::OneForOne, &children(), &exit, &mut intensity, t0).unwrap();
    assert_eq!(decision, plan(&[], &[], &[]));
    assert_eq!(intensity.restarts_in_window(t0), 0);
}

#[test]
fn an_unknown_or_stopped_child_is_an_error_and_records_nothing() {
    let t0 = Instant::now();
    let mut intensity = Intensity::new(0, Duration::from_secs(5));
    let mut children = children();
    children[0].status = ChildStatus::Stopped;
    let unknown = ChildExit {
        child: "zz".into(),
        reason: panicked(),
    };
    assert_eq!(
        decide(Strategy::OneForOne, &children, &unknown, &mut intensity, t0),
        Err(SuperviseError::UnknownChild { child: "zz".into() })
    );
    let stopped = ChildExit {
        child: "a".into(),
        reason: panicked(),
    };
    assert_eq!(
        decide(Strategy::OneForOne, &children, &stopped, &mut intensity, t0),
        Err(SuperviseError::NotRunning { child: "a".into() })
    );
    assert_eq!(intensity.restarts_in_window(t0), 0);
}

#[test]
fn applying_a_plan_marks_restarted_children_running_and_forgets_removed_ones() {
    let mut children = children();
    let Decision::Continue(plan) = decide_now(Strategy::RestForOne, &children, "b", panicked())
    else {
        panic!("expected a plan");
    };
    plan.apply(&mut children, &"b".into());
    let remaining: Vec<_> = children.iter().map(|c| (c.id.as_str(), c.status)).collect();
    assert_eq!(
        remaining,
        [
            ("a", ChildStatus::Running),
            ("b", ChildStatus::Running),
            ("d", ChildStatus::Running)
        ]
    );
    let Decision::Continue(plan) = decide_now(Strategy::OneForOne, &children, "b", Exit::Normal)
    else {
        panic!("expected a plan");
    };
    plan.apply(&mut children, &"b".into());
    assert_eq!(children[1].status, ChildStatus::Stopped);
}
