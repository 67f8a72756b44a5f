//! Sequential behaviour of the idle-worker accounting and the actor state word: the rules the
//! loom models rely on, checked one step at a time.

use courier_sched::{IdleWorkers, WorkerId};

#[test]
fn at_most_half_the_workers_search_at_once() {
    let idle = IdleWorkers::new(&[0, 0, 0, 0]);
    assert!(idle.transition_worker_to_searching());
    assert!(idle.transition_worker_to_searching());
    assert!(
        !idle.transition_worker_to_searching(),
        "a third of four must not search"
    );
    assert_eq!(idle.searching_len(), 2);
    assert!(
        !idle.transition_worker_from_searching(),
        "one searcher is left"
    );
    assert!(
        idle.transition_worker_from_searching(),
        "the last searcher must wake another"
    );
}

#[test]
fn a_notifier_prefers_a_sleeper_on_the_work_node_then_any_node() {
    let idle = IdleWorkers::new(&[0, 0, 1, 1]);
    for worker in [0, 1, 2, 3] {
        let _ = idle.transition_worker_to_parked(WorkerId(worker), false);
    }
    assert_eq!(idle.unparked_len(), 0);
    assert_eq!(idle.worker_to_notify(1), Some(WorkerId(3)));
    // The woken worker searches, so nobody else is woken until it stops searching.
    assert_eq!(idle.worker_to_notify(1), None);
    assert!(idle.transition_worker_from_searching());
    assert_eq!(idle.worker_to_notify(1), Some(WorkerId(2)));
    assert!(idle.transition_worker_from_searching());
    // Node 1 has no sleeper left: a worker of node 0 takes its work.
    let woken = idle.worker_to_notify(1).expect("node 0 still sleeps");
    assert!([WorkerId(0), WorkerId(1)].contains(&woken));
    assert!(!idle.is_parked(woken));
}

#[test]
fn nobody_is_woken_while_every_worker_is_busy() {
    let idle = IdleWorkers::new(&[0, 0]);
    assert_eq!(idle.worker_to_notify(0), None);
}

#[test]
fn shutdown_wakes_every_sleeper() {
    let idle = IdleWorkers::new(&[0, 1, 1]);
    for worker in [0, 2] {
        let _ = idle.transition_worker_to_parked(WorkerId(worker), false);
    }
    let mut woken = idle.wake_all();
    woken.sort_unstable();
    assert_eq!(woken, [WorkerId(0), WorkerId(2)]);
    assert_eq!(idle.unparked_len(), 3);
    assert!(!idle.is_parked(WorkerId(0)) && !idle.is_parked(WorkerId(2)));
}
