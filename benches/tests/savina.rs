//! Every Savina workload at a small size on Courier and on each peer: the answer must be right.
//! No timing here; `benches/savina_time.rs` and `scripts/bench-report` measure.

#[path = "../savina/mod.rs"]
#[expect(dead_code, reason = "the benches use the bigger scales")]
mod savina;

use savina::{Peer, Runtimes, Scale, WORKLOADS, Workload};

/// Runs `name` a few times on each of its runtimes (a 2-worker unpinned Courier runtime, no
/// spinners, so tests running side by side do not fight over pinned CPUs). Repeating gives
/// start-up races (a message that can overtake a setup message) more chances to show.
fn answers_correctly_everywhere(name: &str) {
    let workload: &Workload = WORKLOADS
        .iter()
        .find(|w| w.name == name)
        .expect("a known workload");
    let courier = courier_sched::Runtime::with_workers(2).expect("the runtime starts");
    let runtimes = Runtimes::new(courier).expect("the peers' runtimes start");
    for &peer in workload.peers.iter().cycle().take(3 * workload.peers.len()) {
        let outcome = (workload.run)(&runtimes, peer, Scale::Test)
            .unwrap_or_else(|error| panic!("{name} on {peer}: {error:#}"));
        assert!(outcome.messages > 0, "{name} on {peer} sent no message");
    }
    runtimes.shutdown();
}

#[test]
fn every_workload_has_a_test() {
    let tested = [
        "ping_pong",
        "counting",
        "fork_join_throughput",
        "skynet",
        "thread_ring",
        "fork_join_creation",
        "big",
        "chameneos",
        "bounded_buffer",
    ];
    let names: Vec<&str> = WORKLOADS.iter().map(|w| w.name).collect();
    assert_eq!(names, tested);
}

#[test]
fn ping_pong_answers_correctly_everywhere() {
    answers_correctly_everywhere("ping_pong");
}

#[test]
fn counting_answers_correctly_everywhere() {
    answers_correctly_everywhere("counting");
}

#[test]
fn fork_join_throughput_answers_correctly_everywhere() {
    answers_correctly_everywhere("fork_join_throughput");
}

#[test]
fn skynet_answers_correctly_everywhere() {
    answers_correctly_everywhere("skynet");
}

#[test]
fn thread_ring_answers_correctly_everywhere() {
    answers_correctly_everywhere("thread_ring");
}

#[test]
fn fork_join_creation_answers_correctly_everywhere() {
    answers_correctly_everywhere("fork_join_creation");
}

#[test]
fn big_answers_correctly_everywhere() {
    answers_correctly_everywhere("big");
}

#[test]
fn chameneos_answers_correctly_everywhere() {
    answers_correctly_everywhere("chameneos");
}

#[test]
fn bounded_buffer_answers_correctly_everywhere() {
    answers_correctly_everywhere("bounded_buffer");
}

/// The scaling runs of `savina_time` put ractor and kameo on a tokio runtime of 1, 2 and 4 worker
/// threads and Courier on as many workers: the scaled workloads answer on one worker too
/// (Courier's counting once failed there: its final `ask` met a mailbox still full).
#[test]
fn scaled_workloads_answer_correctly_on_one_worker() {
    let courier = courier_sched::Runtime::with_workers(1).expect("the runtime starts");
    let mut runtimes = Runtimes::new(courier).expect("the peers' runtimes start");
    runtimes.tokio = savina::tokio_runtime(1).expect("tokio starts");
    for name in ["counting", "fork_join_throughput", "skynet", "chameneos"] {
        let workload = WORKLOADS.iter().find(|w| w.name == name).expect("known");
        for peer in [Peer::Courier, Peer::Ractor, Peer::Kameo] {
            for _ in 0..3 {
                let outcome = (workload.run)(&runtimes, peer, Scale::Test)
                    .unwrap_or_else(|error| panic!("{name} on {peer}, 1 worker: {error:#}"));
                assert!(outcome.messages > 0, "{name} on {peer} sent no message");
            }
        }
    }
    runtimes.shutdown();
}
