//! Binding threads to a plan: real only on the machine the topology describes.

use std::thread;

use courier_sched::{Bind, Binder, Placement, Topology, WorkerId, WorkerSettings};

fn plan(topology: &Topology, settings: WorkerSettings) -> Placement {
    Placement::plan(topology, &settings).expect("the settings fit the topology")
}

#[test]
fn binding_against_a_synthetic_topology_is_reported_as_skipped_and_changes_nothing() {
    let topology = Topology::synthetic("pack:2 numa:1 l3:1 core:4 pu:1").unwrap();
    let placement = plan(&topology, WorkerSettings::default());
    let binder = Binder::new().unwrap();
    thread::scope(|scope| {
        scope.spawn(|| {
            let before = binder.current_thread_cpus().unwrap();
            let outcome = binder.bind_current_thread(&placement, WorkerId(5));
            assert_eq!(outcome, Bind::SkippedNotThisSystem);
            assert_eq!(binder.current_thread_cpus().unwrap(), before);
        });
    });
}

#[test]
fn with_pinning_off_nothing_is_bound() {
    let topology = Topology::this_system().unwrap();
    let placement = plan(
        &topology,
        WorkerSettings {
            pin: false,
            ..WorkerSettings::default()
        },
    );
    let binder = Binder::new().unwrap();
    thread::scope(|scope| {
        scope.spawn(|| {
            let before = binder.current_thread_cpus().unwrap();
            let outcome = binder.bind_current_thread(&placement, WorkerId(0));
            assert_eq!(outcome, Bind::SkippedPinningOff);
            assert_eq!(binder.current_thread_cpus().unwrap(), before);
        });
    });
}

#[test]
fn on_this_machine_each_worker_thread_is_bound_to_its_own_cpu() {
    let topology = Topology::this_system().unwrap();
    if !topology.is_this_system() {
        eprintln!("skipped: hwloc does not describe the running machine (HWLOC_* set?)");
        return;
    }
    let placement = plan(&topology, WorkerSettings::default());
    let binder = Binder::new().unwrap();
    thread::scope(|scope| {
        for worker in placement.workers() {
            let (binder, placement) = (&binder, &placement);
            scope.spawn(move || {
                let outcome = binder.bind_current_thread(placement, worker.worker);
                assert_eq!(
                    outcome,
                    Bind::Bound { cpu: worker.cpu },
                    "{}",
                    worker.worker
                );
                assert_eq!(binder.current_thread_cpus().unwrap(), [worker.cpu]);
            });
        }
    });
}
