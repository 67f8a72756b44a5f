//! M13: control messages go past a full mailbox's capacity, ordinary ones do not, and a closed
//! mailbox refuses both.

pub mod support;

use std::ptr::NonNull;

use courier_mailbox::{Capacity, Mailbox, Pop, Priority, PushError, Pushed};
use support::{Message, free, message};

type Pushing = Result<Pushed, PushError<NonNull<Message>>>;

fn push(mailbox: &Mailbox<Message>, sender: u32, sequence: u64, priority: Priority) -> Pushing {
    // SAFETY: the node is fresh from `message`, in no other mailbox, and freed only once it
    // comes back out (by a receive, a drain or the error); the mailbox is linked and stays put.
    unsafe { mailbox.try_push(message(sender, sequence), priority) }
}

fn push_over(mailbox: &Mailbox<Message>, sender: u32, sequence: u64) -> Pushing {
    // SAFETY: as in `push`.
    unsafe { mailbox.try_push_over_capacity(message(sender, sequence), Priority::High) }
}

#[test]
fn control_messages_pass_a_full_mailbox_and_ordinary_ones_wait_below_the_capacity() {
    let mailbox = Mailbox::with_capacity(Capacity::new(4).expect("a capacity"));
    // SAFETY: the mailbox does not move from here on (M12).
    unsafe { mailbox.link() };
    for sequence in 0..4 {
        assert!(push(&mailbox, 0, sequence, Priority::Normal).is_ok());
    }
    let refused = push(&mailbox, 0, 4, Priority::Normal);
    let Err(PushError::Full(node)) = refused else {
        panic!("a full mailbox refuses an ordinary push")
    };
    let _ = free(node);
    for sequence in 0..10 {
        let pushed = push_over(&mailbox, 1, sequence);
        assert_eq!(pushed, Ok(Pushed::Queued));
    }
    assert_eq!(mailbox.depth(), 14);
    // Over capacity, ordinary pushes are still refused.
    let refused = push(&mailbox, 0, 5, Priority::Low);
    let Err(PushError::Full(node)) = refused else {
        panic!("over capacity, an ordinary push is refused")
    };
    let _ = free(node);
    // SAFETY: the only consumer.
    let mut consumer = unsafe { mailbox.consumer_unchecked() };
    let mut order = Vec::new();
    for _ in 0..11 {
        let Pop::Node(node) = consumer.pop() else {
            panic!("a message")
        };
        order.push(free(node));
    }
    consumer.commit();
    let expected: Vec<(u32, u64)> = (0..10).map(|s| (1, s)).chain([(0, 0)]).collect();
    assert_eq!(order, expected, "control messages by their lane, in order");
    // Below the capacity again: ordinary pushes are accepted.
    assert!(push(&mailbox, 0, 6, Priority::Normal).is_ok());
    let _ = mailbox.close();
    let refused = push_over(&mailbox, 1, 10);
    let Err(PushError::Closed(node)) = refused else {
        panic!("a closed mailbox refuses control messages too")
    };
    let _ = free(node);
    let mut left = Vec::new();
    while let Pop::Node(node) = consumer.drain_next() {
        left.push(free(node));
    }
    assert_eq!(left, [(0, 1), (0, 2), (0, 3), (0, 6)]);
}
