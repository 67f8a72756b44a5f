use std::panic::{self, AssertUnwindSafe};
use std::ptr::NonNull;

use super::*;
use crate::outcome::{EndTurn, Pop};

#[repr(C)]
struct Message {
    link: Link,
    value: u32,
}

// SAFETY: `link` is at offset 0 of a `#[repr(C)]` struct and is used by nothing else.
unsafe impl Linked for Message {
    fn link(node: NonNull<Self>) -> NonNull<Link> {
        node.cast()
    }
    unsafe fn from_link(link: NonNull<Link>) -> NonNull<Self> {
        link.cast()
    }
}

fn message(value: u32) -> NonNull<Message> {
    NonNull::from(Box::leak(Box::new(Message {
        link: Link::new(),
        value,
    })))
}

fn free(node: NonNull<Message>) -> u32 {
    // SAFETY: every node in these tests comes from `message` and is freed once.
    unsafe { Box::from_raw(node.as_ptr()) }.value
}

fn push(mailbox: &Mailbox<Message>, value: u32, priority: Priority) -> Pushed {
    // SAFETY: a fresh node, in no mailbox; the tests free it when it comes back.
    unsafe { mailbox.try_push(message(value), priority) }.unwrap()
}

fn value(pop: Pop<NonNull<Message>>) -> Option<u32> {
    pop.into_node().map(free)
}

fn drain_all(mailbox: &mut Mailbox<Message>) -> Vec<u32> {
    let mut consumer = mailbox.consumer();
    let mut values = Vec::new();
    loop {
        match consumer.drain_next() {
            Pop::Node(node) => values.push(free(node)),
            Pop::Empty => return values,
            Pop::Busy => panic!("no producer runs in this test"),
        }
    }
}

#[test]
fn one_lane_is_fifo_and_then_empty() {
    let mut mailbox = Mailbox::new();
    // SAFETY: the mailbox stays in this variable until it is dropped.
    unsafe { mailbox.link() };
    for value in 0..5 {
        let _ = push(&mailbox, value, Priority::Normal);
    }
    let mut consumer = mailbox.consumer();
    let values: Vec<_> = (0..5).filter_map(|_| value(consumer.pop())).collect();
    assert_eq!(values, [0, 1, 2, 3, 4]);
    assert_eq!(consumer.pop(), Pop::Empty);
}

#[test]
fn lanes_drain_high_before_normal_before_low() {
    let mut mailbox = Mailbox::new();
    // SAFETY: the mailbox stays in this variable until it is dropped.
    unsafe { mailbox.link() };
    let _ = push(&mailbox, 1, Priority::Low);
    let _ = push(&mailbox, 2, Priority::Normal);
    let _ = push(&mailbox, 3, Priority::High);
    let _ = push(&mailbox, 4, Priority::Normal);
    let mut consumer = mailbox.consumer();
    let values: Vec<_> = (0..4).filter_map(|_| value(consumer.pop())).collect();
    assert_eq!(values, [3, 2, 4, 1]);
}

#[test]
fn a_push_claims_the_turn_only_when_none_is_owed_and_nothing_is_unseen() {
    let mut mailbox = Mailbox::new();
    // SAFETY: the mailbox stays in this variable until it is dropped.
    unsafe { mailbox.link() };
    assert_eq!(push(&mailbox, 1, Priority::Normal), Pushed::Schedule);
    assert!(mailbox.is_turn_owed());
    assert_eq!(push(&mailbox, 2, Priority::Low), Pushed::Queued);
    assert!(mailbox.has_unseen());
    {
        let mut consumer = mailbox.consumer();
        assert_eq!(value(consumer.pop()), Some(1));
        assert_eq!(value(consumer.pop()), Some(2));
        assert_eq!(consumer.pop(), Pop::Empty);
        assert_eq!(
            push(consumer.mailbox(), 3, Priority::Normal),
            Pushed::Queued,
            "the turn is still owed"
        );
        assert_eq!(value(consumer.pop()), Some(3));
        assert_eq!(consumer.end_turn(), EndTurn::Idle);
    }
    assert!(!mailbox.has_unseen() && !mailbox.is_turn_owed());
    assert_eq!(push(&mailbox, 4, Priority::High), Pushed::Schedule);
    assert_eq!(drain_all(&mut mailbox), [4]);
}

#[test]
fn end_turn_claims_again_for_a_message_pushed_during_the_turn() {
    let mailbox = Mailbox::new();
    // SAFETY: the mailbox stays in this variable until it is dropped.
    unsafe { mailbox.link() };
    assert!(mailbox.claim_turn());
    // SAFETY: the only consumer.
    let consumer = unsafe { mailbox.consumer_unchecked() };
    assert_eq!(push(&mailbox, 1, Priority::Normal), Pushed::Queued);
    assert_eq!(consumer.end_turn(), EndTurn::Reschedule);
    assert!(mailbox.is_turn_owed(), "the ending turn claimed the next");
    // SAFETY: as above.
    let mut consumer = unsafe { mailbox.consumer_unchecked() };
    assert_eq!(value(consumer.pop()), Some(1));
    assert_eq!(consumer.end_turn(), EndTurn::Idle);
    assert!(!mailbox.is_turn_owed());
}

#[test]
fn a_push_beyond_the_capacity_claims_the_turn_of_an_idle_full_mailbox() {
    // Capacity 1, full of a stashed message, idle: an ordinary push is refused, and a control
    // message beyond the capacity must still claim the turn (M7, M13). The race with a refused
    // push's transient unit is in the loom model (`loom_wakeup.rs`).
    let mut mailbox = Mailbox::with_capacity(Capacity::new(1).unwrap());
    // SAFETY: the mailbox stays in this variable until it is dropped.
    unsafe { mailbox.link() };
    assert_eq!(push(&mailbox, 1, Priority::Normal), Pushed::Schedule);
    {
        let mut consumer = mailbox.consumer();
        assert_eq!(consumer.pop_matching(|m| m.value == 2), Pop::Empty);
        assert_eq!(consumer.end_turn(), EndTurn::Idle);
    }
    // SAFETY: a fresh node, in no mailbox; refused, it comes back and is freed.
    let refused = unsafe { mailbox.try_push(message(2), Priority::Normal) }.unwrap_err();
    free(refused.into_inner());
    // SAFETY: a fresh node, in no mailbox.
    let pushed = unsafe { mailbox.try_push_over_capacity(message(3), Priority::High) };
    assert_eq!(pushed, Ok(Pushed::Schedule));
    assert_eq!(drain_all(&mut mailbox), [3, 1]);
}

#[test]
fn a_consumer_commits_its_pops_when_dropped() {
    let mut mailbox = Mailbox::new();
    // SAFETY: the mailbox stays in this variable until it is dropped.
    unsafe { mailbox.link() };
    let _ = push(&mailbox, 1, Priority::Normal);
    let _ = push(&mailbox, 2, Priority::Normal);
    let mut consumer = mailbox.consumer();
    assert_eq!(value(consumer.pop()), Some(1));
    drop(consumer);
    assert_eq!(mailbox.depth(), 1);
    assert!(mailbox.has_unseen());
    assert_eq!(push(&mailbox, 3, Priority::Normal), Pushed::Queued);
    assert_eq!(drain_all(&mut mailbox), [2, 3]);
    assert_eq!(mailbox.depth(), 0);
}

#[test]
fn a_full_mailbox_hands_the_message_back() {
    let mut mailbox = Mailbox::with_capacity(Capacity::new(2).unwrap());
    // SAFETY: the mailbox stays in this variable until it is dropped.
    unsafe { mailbox.link() };
    let _ = push(&mailbox, 1, Priority::Normal);
    let _ = push(&mailbox, 2, Priority::High);
    // SAFETY: a fresh node, in no mailbox.
    let refused = unsafe { mailbox.try_push(message(3), Priority::Low) }.unwrap_err();
    assert!(matches!(refused, PushError::Full(_)));
    assert_eq!(free(refused.into_inner()), 3);
    assert_eq!(mailbox.depth(), 2);
    {
        let mut consumer = mailbox.consumer();
        assert_eq!(value(consumer.pop()), Some(2));
    }
    let _ = push(&mailbox, 4, Priority::Low);
    assert_eq!(drain_all(&mut mailbox), [1, 4]);
}

#[test]
fn stashed_messages_count_against_capacity() {
    let mut mailbox = Mailbox::with_capacity(Capacity::new(2).unwrap());
    // SAFETY: the mailbox stays in this variable until it is dropped.
    unsafe { mailbox.link() };
    let _ = push(&mailbox, 1, Priority::Normal);
    let _ = push(&mailbox, 2, Priority::Normal);
    {
        let mut consumer = mailbox.consumer();
        assert_eq!(
            consumer.pop_matching(|message| message.value == 9),
            Pop::Empty
        );
        assert_eq!(consumer.stashed_len(), 2);
    }
    assert!(!mailbox.has_unseen(), "stashed messages are seen");
    assert_eq!(mailbox.depth(), 2);
    // SAFETY: a fresh node, in no mailbox.
    let refused = unsafe { mailbox.try_push(message(3), Priority::Normal) }.unwrap_err();
    assert_eq!(free(refused.into_inner()), 3);
    assert_eq!(drain_all(&mut mailbox), [1, 2]);
}

#[test]
fn close_hands_later_messages_back_and_drain_returns_the_rest() {
    let mut mailbox = Mailbox::new();
    // SAFETY: the mailbox stays in this variable until it is dropped.
    unsafe { mailbox.link() };
    let _ = push(&mailbox, 1, Priority::Low);
    let _ = push(&mailbox, 2, Priority::High);
    assert_eq!(mailbox.close(), Close::Closed);
    assert_eq!(mailbox.close(), Close::AlreadyClosed);
    // SAFETY: a fresh node, in no mailbox.
    let refused = unsafe { mailbox.try_push(message(3), Priority::Normal) }.unwrap_err();
    assert!(matches!(refused, PushError::Closed(_)));
    assert_eq!(free(refused.into_inner()), 3);
    assert_eq!(drain_all(&mut mailbox), [2, 1]);
}

#[test]
fn selective_receive_stashes_in_order_and_reoffers_first() {
    let mut mailbox = Mailbox::new();
    // SAFETY: the mailbox stays in this variable until it is dropped.
    unsafe { mailbox.link() };
    for value in 1..=6 {
        let _ = push(&mailbox, value, Priority::Normal);
    }
    let mut consumer = mailbox.consumer();
    assert_eq!(value(consumer.pop_matching(|m| m.value == 4)), Some(4));
    assert_eq!(consumer.stashed_len(), 3);
    // Same predicate: the stash is not scanned again, the lane goes on.
    assert_eq!(value(consumer.pop_matching(|m| m.value % 2 == 0)), Some(6));
    assert_eq!(consumer.stashed_len(), 4);
    // Without `reoffer_stash` the examined messages are not offered again.
    assert_eq!(consumer.pop_matching(|m| m.value == 2), Pop::Empty);
    consumer.reoffer_stash();
    assert_eq!(value(consumer.pop_matching(|m| m.value == 2)), Some(2));
    // A plain receive offers the stash first, in arrival order.
    let values: Vec<_> = (0..3).filter_map(|_| value(consumer.pop())).collect();
    assert_eq!(values, [1, 3, 5]);
    assert_eq!(consumer.pop(), Pop::Empty);
}

#[test]
fn selective_receive_keeps_priorities() {
    let mut mailbox = Mailbox::new();
    // SAFETY: the mailbox stays in this variable until it is dropped.
    unsafe { mailbox.link() };
    let _ = push(&mailbox, 10, Priority::Low);
    let _ = push(&mailbox, 20, Priority::Normal);
    let _ = push(&mailbox, 30, Priority::High);
    let _ = push(&mailbox, 11, Priority::Low);
    let _ = push(&mailbox, 31, Priority::High);
    let mut consumer = mailbox.consumer();
    assert_eq!(
        value(consumer.pop_matching(|m| m.value % 10 == 1)),
        Some(31)
    );
    assert_eq!(
        value(consumer.pop_matching(|m| m.value % 10 == 1)),
        Some(11)
    );
    // The stash keeps its lane: high, then normal, then low.
    let values: Vec<_> = (0..3).filter_map(|_| value(consumer.pop())).collect();
    assert_eq!(values, [30, 20, 10]);
}

#[test]
fn a_new_message_after_a_full_stash_scan_is_seen_by_the_same_predicate() {
    let mut mailbox = Mailbox::new();
    // SAFETY: the mailbox stays in this variable until it is dropped.
    unsafe { mailbox.link() };
    let _ = push(&mailbox, 1, Priority::Normal);
    {
        let mut consumer = mailbox.consumer();
        assert_eq!(consumer.pop_matching(|m| m.value == 2), Pop::Empty);
        assert_eq!(consumer.end_turn(), EndTurn::Idle);
    }
    assert!(!mailbox.has_unseen());
    assert_eq!(push(&mailbox, 2, Priority::Normal), Pushed::Schedule);
    let mut consumer = mailbox.consumer();
    assert_eq!(value(consumer.pop_matching(|m| m.value == 2)), Some(2));
    assert_eq!(value(consumer.pop()), Some(1));
}

#[test]
fn a_panicking_predicate_loses_no_message() {
    let mut mailbox = Mailbox::new();
    // SAFETY: the mailbox stays in this variable until it is dropped.
    unsafe { mailbox.link() };
    let _ = push(&mailbox, 1, Priority::Normal);
    let _ = push(&mailbox, 2, Priority::Normal);
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        let mut consumer = mailbox.consumer();
        let _ = consumer.pop_matching(|m| {
            assert_ne!(m.value, 2, "predicate panics on 2");
            false
        });
    }));
    assert!(outcome.is_err());
    assert_eq!(mailbox.depth(), 2);
    assert_eq!(drain_all(&mut mailbox), [1, 2]);
}

#[test]
fn commits_happen_at_the_threshold_without_an_empty_pop() {
    let mailbox = Mailbox::with_capacity(Capacity::new(8).unwrap());
    // SAFETY: the mailbox stays in this variable until it is dropped.
    unsafe { mailbox.link() };
    for value in 0..8 {
        let _ = push(&mailbox, value, Priority::Normal);
    }
    // SAFETY: the only consumer of `mailbox`.
    let mut consumer = unsafe { mailbox.consumer_unchecked() };
    // Capacity 8 gives a commit batch of 2: after 2 pops the slots are back.
    assert_eq!(value(consumer.pop()), Some(0));
    assert_eq!(mailbox.depth(), 8, "one pop is not committed yet");
    assert_eq!(value(consumer.pop()), Some(1));
    assert_eq!(mailbox.depth(), 6);
    // SAFETY: a fresh node, in no mailbox.
    let pushed = unsafe { mailbox.try_push(message(8), Priority::Normal) };
    assert_eq!(pushed, Ok(Pushed::Queued));
    let values: Vec<_> = (0..7).filter_map(|_| value(consumer.pop())).collect();
    assert_eq!(values, [2, 3, 4, 5, 6, 7, 8]);
}

#[test]
fn the_stub_is_reused_across_many_empty_transitions() {
    let mut mailbox = Mailbox::new();
    // SAFETY: the mailbox stays in this variable until it is dropped.
    unsafe { mailbox.link() };
    for round in 0..100 {
        let priority = Priority::ALL[round % 3];
        let round = u32::try_from(round).unwrap();
        assert_eq!(push(&mailbox, round, priority), Pushed::Schedule);
        let mut consumer = mailbox.consumer();
        assert_eq!(value(consumer.pop()), Some(round));
        assert_eq!(consumer.pop(), Pop::Empty);
        assert_eq!(consumer.end_turn(), EndTurn::Idle);
    }
}

#[test]
fn debug_output_decodes_the_state_word() {
    let mut mailbox = Mailbox::with_capacity(Capacity::new(4).unwrap());
    // SAFETY: the mailbox stays in this variable until it is dropped.
    unsafe { mailbox.link() };
    let _ = push(&mailbox, 1, Priority::Normal);
    let text = format!("{mailbox:?}");
    assert!(
        text.contains("occupancy: 1, turn_owed: true, unseen: 1"),
        "{text}"
    );
    assert_eq!(drain_all(&mut mailbox), [1]);
}

#[test]
#[should_panic(expected = "M12")]
fn an_unlinked_mailbox_refuses_to_make_a_consumer() {
    let mut mailbox = Mailbox::<Message>::new();
    let _consumer = mailbox.consumer();
}

#[test]
fn a_linked_mailbox_lanes_start_at_its_own_stubs() {
    let mailbox = Box::new(Mailbox::<Message>::new());
    // SAFETY: the box keeps the mailbox in place until it is dropped.
    unsafe { mailbox.link() };
    let stubs = [
        &mailbox.quiet_stubs[0],
        &mailbox.producers.normal_stub,
        &mailbox.quiet_stubs[1],
    ];
    for (head, stub) in mailbox.producers.heads.iter().zip(stubs) {
        // ORDERING: Relaxed; single-threaded test.
        assert_eq!(head.load(Ordering::Relaxed), NonNull::from(stub).as_ptr());
    }
    // The normal lane's stub shares the line of the state word and the heads (layout).
    let line = |address: *const u8| address as usize / 64;
    let state = std::ptr::from_ref(&mailbox.producers.state).cast::<u8>();
    let normal_stub = std::ptr::from_ref(&mailbox.producers.normal_stub).cast::<u8>();
    assert_eq!(line(state), line(normal_stub));
    assert_ne!(line(state), line(std::ptr::from_ref(stubs[0]).cast::<u8>()));
    // Linking again changes nothing, and the mailbox works from its box.
    // SAFETY: as above.
    unsafe { mailbox.link() };
    assert_eq!(push(&mailbox, 7, Priority::High), Pushed::Schedule);
    let mut mailbox = mailbox;
    assert_eq!(value(mailbox.consumer().pop()), Some(7));
}
