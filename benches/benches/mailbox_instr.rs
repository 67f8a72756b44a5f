//! Instruction counts of the mailbox hot paths (gungraun/callgrind): deterministic, the CI gate.
//!
//! Cases (instructions for one call of the benchmark function, which is one operation):
//! - `harness_only`: the call itself with `push_pop`'s signature; subtract it from the others.
//! - `push_pop`: push one message on the normal lane of an empty mailbox and pop it, with the
//!   consumer taken before (a scheduler takes one per turn, for many messages).
//! - `push_pop_turn`: the same plus taking the consumer and ending its turn (`end_turn`, which
//!   commits and gives the turn up, M6 and M7): the cost of a turn that handles one message.
//! - `selective_skip_0`, `selective_skip_10`: a selective receive that skips 0 or 10
//!   non-matching messages into the stash and returns the next one; `(skip_10 - skip_0) / 10` is
//!   the cost of one skipped message.
#![expect(missing_docs, reason = "gungraun's macros generate undocumented items")]

use std::hint::black_box;
use std::ptr::NonNull;

use courier_benches::mailbox::BenchMessage;
use courier_mailbox::{Consumer, EndTurn, Mailbox, Pop, Priority, Pushed};
use gungraun::prelude::*;

/// A mailbox that lives for the whole (one-shot) benchmark process, so a `Consumer` can too.
fn leaked_mailbox() -> &'static Mailbox<BenchMessage> {
    let mailbox = Box::leak(Box::new(Mailbox::new()));
    // SAFETY: leaked: the mailbox stays in place for the process; not shared yet.
    unsafe { mailbox.link() };
    mailbox
}

/// A consumer for the process; the benchmarks borrow it (leaked), so moving it in and out of
/// the measured function costs nothing.
fn boxed_consumer(mailbox: &'static Mailbox<BenchMessage>) -> Box<Consumer<'static, BenchMessage>> {
    // SAFETY: the only consumer of this mailbox.
    Box::new(unsafe { mailbox.consumer_unchecked() })
}

/// What `push_pop` works on, behind one pointer so the call passes one register.
struct Fixture {
    mailbox: &'static Mailbox<BenchMessage>,
    consumer: &'static mut Consumer<'static, BenchMessage>,
    node: NonNull<BenchMessage>,
}

fn fixture() -> &'static mut Fixture {
    let mailbox = leaked_mailbox();
    Box::leak(Box::new(Fixture {
        mailbox,
        consumer: Box::leak(boxed_consumer(mailbox)),
        node: BenchMessage::boxed(1),
    }))
}

fn mailbox_and_message() -> (&'static Mailbox<BenchMessage>, NonNull<BenchMessage>) {
    (leaked_mailbox(), BenchMessage::boxed(1))
}

/// `skipped` messages the predicate rejects (odd values), then one it accepts (an even value).
fn skip(skipped: u64) -> &'static mut Consumer<'static, BenchMessage> {
    let mailbox = leaked_mailbox();
    for value in (0..skipped).map(|i| 2 * i + 1).chain([42]) {
        // SAFETY: fresh nodes, leaked for the process.
        let pushed = unsafe { mailbox.try_push(BenchMessage::boxed(value), Priority::Normal) };
        assert!(pushed.is_ok());
    }
    Box::leak(boxed_consumer(mailbox))
}

// The call itself, with push_pop's signature: subtract it from the other cases.
#[library_benchmark]
#[bench::harness_only(setup = fixture)]
fn harness_only(fixture: &'static mut Fixture) -> Pop<NonNull<BenchMessage>> {
    Pop::Node(black_box(fixture.node))
}

// Push+pop of one message on the normal lane of an empty mailbox, consumer taken before.
#[library_benchmark]
#[bench::push_pop(setup = fixture)]
fn push_pop(fixture: &'static mut Fixture) -> Pop<NonNull<BenchMessage>> {
    // SAFETY: a fresh node, leaked for the process.
    match unsafe { fixture.mailbox.try_push(fixture.node, Priority::Normal) } {
        Ok(_) => fixture.consumer.pop(),
        Err(_) => Pop::Busy,
    }
}

// Push+pop of one message plus taking the consumer and ending the turn the push claimed (its
// commit and the turn bit in one RMW, M6 and M7).
#[library_benchmark]
#[bench::push_pop_turn(setup = mailbox_and_message)]
fn push_pop_turn(
    (mailbox, node): (&'static Mailbox<BenchMessage>, NonNull<BenchMessage>),
) -> (Pop<NonNull<BenchMessage>>, Option<EndTurn>) {
    // SAFETY: a fresh node, leaked for the process.
    match unsafe { mailbox.try_push(node, Priority::Normal) } {
        Ok(Pushed::Schedule) => {
            // SAFETY: the only consumer of this mailbox.
            let mut consumer = unsafe { mailbox.consumer_unchecked() };
            let popped = consumer.pop();
            (popped, Some(consumer.end_turn()))
        }
        Ok(Pushed::Queued) | Err(_) => (Pop::Busy, None),
    }
}

// A selective receive past 0 and 10 non-matching messages: the difference over 10 is the cost
// of one skipped message.
#[library_benchmark]
#[bench::selective_skip_0(args = (0), setup = skip)]
#[bench::selective_skip_10(args = (10), setup = skip)]
fn selective_skip(
    consumer: &'static mut Consumer<'static, BenchMessage>,
) -> Pop<NonNull<BenchMessage>> {
    consumer.pop_matching(|message| black_box(message.value) % 2 == 0)
}

library_benchmark_group!(
    name = mailbox,
    benchmarks = [harness_only, push_pop, push_pop_turn, selective_skip]
);

main!(library_benchmark_groups = mailbox);
