//! Property test: random push/pop/selective/close/drain sequences against a model of one
//! `VecDeque` per lane and one per stash (with its examined prefix, M11).
//!
//! Inside a consumer's turn the mailbox may hold back up to one commit batch of pops (M6), so
//! the checks there are bounds; after a turn ends, or a receive reports `Empty` (which commits),
//! depth, `has_unseen` and the capacity test are exact.

pub mod support;

use std::collections::VecDeque;

use courier_mailbox::{
    Capacity, Close, Consumer, EndTurn, Mailbox, Pop, Priority, PushError, Pushed,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use support::{Message, free, message, test_seed};

#[derive(Clone, Copy, Debug)]
enum Op {
    Push(Priority),
    Pop,
    /// Selective receive of the messages whose sequence number is `residue` modulo `modulus`.
    PopMatching {
        modulus: u64,
        residue: u64,
    },
    ReofferStash,
    Close,
    DrainNext,
    /// End the turn (`end_turn` when the test holds it, otherwise drop the consumer, which
    /// commits) and start a new one.
    EndTurn,
}

fn op() -> impl Strategy<Value = Op> {
    let priority = prop_oneof![
        Just(Priority::High),
        Just(Priority::Normal),
        Just(Priority::Low)
    ];
    prop_oneof![
        6 => priority.prop_map(Op::Push),
        3 => Just(Op::Pop),
        3 => (1..4_u64, 0..4_u64).prop_map(|(modulus, residue)| Op::PopMatching {
            modulus,
            residue: residue % modulus,
        }),
        1 => Just(Op::ReofferStash),
        1 => Just(Op::Close),
        1 => Just(Op::DrainNext),
        2 => Just(Op::EndTurn),
    ]
}

/// The reference: what each lane and stash holds, by sequence number.
#[derive(Debug, Default)]
struct Model {
    capacity: u32,
    closed: bool,
    lanes: [VecDeque<u64>; 3],
    stashes: [VecDeque<u64>; 3],
    /// The examined prefix of each stash (M11).
    examined: [usize; 3],
    /// Pops this turn since the last commit: bounds on what the mailbox may hold back (M6).
    taken_since_commit: u32,
    handed_out_since_commit: u32,
    /// Whether a turn is owed (M7): claimed by a push, given up by `end_turn`.
    turn_owed: bool,
}

impl Model {
    fn occupancy(&self) -> u32 {
        let total: usize = self
            .lanes
            .iter()
            .chain(&self.stashes)
            .map(VecDeque::len)
            .sum();
        u32::try_from(total).expect("test sizes fit")
    }

    fn unseen(&self) -> u32 {
        u32::try_from(self.lanes.iter().map(VecDeque::len).sum::<usize>()).expect("test sizes fit")
    }

    fn committed(&mut self) {
        self.taken_since_commit = 0;
        self.handed_out_since_commit = 0;
    }

    /// Receives like `Consumer::pop`/`drain_next` (`predicate` is `None`) or `pop_matching`.
    fn receive(&mut self, predicate: Option<&dyn Fn(u64) -> bool>) -> Option<u64> {
        if predicate.is_none() {
            self.examined = [0; 3];
        }
        for lane in 0..3 {
            if let Some(found) = self.receive_from_stash(lane, predicate) {
                self.handed_out_since_commit += 1;
                return Some(found);
            }
            while let Some(sequence) = self.lanes[lane].pop_front() {
                self.taken_since_commit += 1;
                if predicate.is_none_or(|predicate| predicate(sequence)) {
                    self.handed_out_since_commit += 1;
                    return Some(sequence);
                }
                self.stashes[lane].push_back(sequence);
                self.examined[lane] = self.stashes[lane].len();
            }
        }
        self.committed();
        None
    }

    fn receive_from_stash(
        &mut self,
        lane: usize,
        predicate: Option<&dyn Fn(u64) -> bool>,
    ) -> Option<u64> {
        let Some(predicate) = predicate else {
            return self.stashes[lane].pop_front();
        };
        let stash = &mut self.stashes[lane];
        let start = self.examined[lane];
        if let Some(index) = (start..stash.len()).find(|&index| predicate(stash[index])) {
            self.examined[lane] = index;
            stash.remove(index)
        } else {
            self.examined[lane] = stash.len();
            None
        }
    }
}

fn lane_index(priority: Priority) -> usize {
    Priority::ALL
        .iter()
        .position(|&p| p == priority)
        .expect("ALL lists every priority")
}

fn received(pop: Pop<std::ptr::NonNull<Message>>) -> Option<u64> {
    assert_ne!(
        pop,
        Pop::Busy,
        "no producer is mid-push in a single-threaded test"
    );
    pop.into_node().map(|node| free(node).1)
}

/// Checks what must hold at any time, and exactly when nothing is held back.
fn check_counts(mailbox: &Mailbox<Message>, model: &Model) {
    let (depth, occupancy) = (mailbox.depth(), model.occupancy());
    assert!(depth >= occupancy && depth - occupancy <= model.handed_out_since_commit);
    if model.handed_out_since_commit == 0 && model.taken_since_commit == 0 {
        assert_eq!(depth, occupancy);
        assert_eq!(mailbox.has_unseen(), model.unseen() > 0);
    }
    assert!(depth <= mailbox.capacity().get());
}

fn check_push(
    outcome: &Result<Pushed, PushError<std::ptr::NonNull<Message>>>,
    model: &mut Model,
    priority: Priority,
    sequence: u64,
) {
    let occupancy = model.occupancy();
    match outcome {
        Err(PushError::Closed(node)) => {
            assert!(model.closed);
            assert_eq!(free(*node).1, sequence);
        }
        Err(PushError::Full(node)) => {
            assert!(!model.closed);
            assert!(occupancy + model.handed_out_since_commit >= model.capacity);
            assert_eq!(free(*node).1, sequence);
        }
        Ok(pushed) => {
            assert!(!model.closed);
            assert!(
                occupancy < model.capacity,
                "capacity {} exceeded",
                model.capacity
            );
            // The word's unseen count: messages in lanes plus taken ones not committed (M6).
            let unseen = model.unseen() + model.taken_since_commit;
            let claims = !model.turn_owed && unseen == 0;
            assert_eq!(
                *pushed == Pushed::Schedule,
                claims,
                "M7: a push claims iff no turn is owed and nothing is unseen ({model:?})"
            );
            model.turn_owed |= claims;
            model.lanes[lane_index(priority)].push_back(sequence);
        }
    }
}

/// Ends the turn when the test holds it (`end_turn`), otherwise just drops the consumer (a
/// commit), and checks the outcome against the model (M6, M7).
fn end_turn(consumer: Consumer<'_, Message>, model: &mut Model) {
    model.committed();
    if !model.turn_owed {
        drop(consumer);
        return;
    }
    // Committed now, so the model's unseen count is the word's.
    let again = model.unseen() > 0;
    let expected = if again {
        EndTurn::Reschedule
    } else {
        EndTurn::Idle
    };
    assert_eq!(consumer.end_turn(), expected);
    model.turn_owed = again;
}

fn run(capacity: u32, ops: &[Op]) {
    let mut mailbox = Mailbox::with_capacity(Capacity::new(capacity).expect("1..12 is valid"));
    // SAFETY: the mailbox stays in this variable until it is dropped.
    unsafe { mailbox.link() };
    let mut model = Model {
        capacity,
        ..Model::default()
    };
    let mut sequence = 0;
    let mut consumer: Option<Consumer<'_, Message>> = None;
    for &op in ops {
        // SAFETY: `consumer` is the only consumer; it is dropped before a new one is taken.
        let live = consumer.get_or_insert_with(|| unsafe { mailbox.consumer_unchecked() });
        match op {
            Op::Push(priority) => {
                sequence += 1;
                // SAFETY: a fresh node; the test frees it when it comes back out.
                let outcome = unsafe { mailbox.try_push(message(0, sequence), priority) };
                check_push(&outcome, &mut model, priority, sequence);
            }
            Op::Pop => assert_eq!(received(live.pop()), model.receive(None)),
            Op::PopMatching { modulus, residue } => {
                let matches = move |sequence: u64| sequence % modulus == residue;
                let got = received(live.pop_matching(|m| matches(m.sequence)));
                assert_eq!(got, model.receive(Some(&matches)));
            }
            Op::ReofferStash => {
                live.reoffer_stash();
                model.examined = [0; 3];
            }
            Op::Close => {
                let expected = if model.closed {
                    Close::AlreadyClosed
                } else {
                    Close::Closed
                };
                assert_eq!(mailbox.close(), expected);
                model.closed = true;
            }
            Op::DrainNext => assert_eq!(received(live.drain_next()), model.receive(None)),
            Op::EndTurn => {
                end_turn(consumer.take().expect("taken above"), &mut model);
                assert_eq!(mailbox.is_turn_owed(), model.turn_owed);
            }
        }
        if let Some(live) = &consumer {
            let stashed: usize = model.stashes.iter().map(VecDeque::len).sum();
            assert_eq!(live.stashed_len() as usize, stashed);
        }
        check_counts(&mailbox, &model);
    }
    drop(consumer);
    model.committed();
    let _ = mailbox.close();
    let mut rest = Vec::new();
    let mut final_consumer = mailbox.consumer();
    while let Some(sequence) = received(final_consumer.drain_next()) {
        rest.push(sequence);
    }
    drop(final_consumer);
    let mut expected = Vec::new();
    while let Some(sequence) = model.receive(None) {
        expected.push(sequence);
    }
    assert_eq!(rest, expected, "drain order: stash then lane, by priority");
    assert_eq!(mailbox.depth(), 0);
}

#[test]
fn random_operation_sequences_match_the_vecdeque_model() {
    let seed = test_seed("random_operation_sequences_match_the_vecdeque_model");
    let cases = if support::under_valgrind() { 16 } else { 512 };
    let config = Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..Config::default()
    };
    let strategy = (1..12_u32, proptest::collection::vec(op(), 1..160));
    TestRunner::new(config)
        .run(&strategy, |(capacity, ops)| {
            run(capacity, &ops);
            Ok(())
        })
        .unwrap();
}
