//! Outcomes of mailbox operations: "nothing happened" is a variant, never a bare `bool`.

use std::error::Error;
use std::fmt;

/// What a receive found. `N` is the node handle, `NonNull<T>` for a `Mailbox<T>`.
#[derive(Debug, PartialEq, Eq)]
#[must_use = "a popped node is owned by the caller and must be handled or freed"]
pub enum Pop<N> {
    /// A message, now owned by the caller.
    Node(N),
    /// No message is there to receive. A push that has not returned yet may still be linking
    /// its message; [`Mailbox::has_unseen`](crate::Mailbox::has_unseen) counts it.
    Empty,
    /// A producer is between the two steps of its push, and the messages behind it in that lane
    /// are not reachable yet. It finishes with one store; try again later (after a yield or a
    /// reschedule). Never spin on it with the producer descheduled in mind.
    Busy,
}

impl<N> Pop<N> {
    /// The node, if there is one.
    ///
    /// ```
    /// use courier_mailbox::Pop;
    /// assert_eq!(Pop::Node(3).into_node(), Some(3));
    /// assert_eq!(Pop::<u8>::Busy.into_node(), None);
    /// ```
    pub fn into_node(self) -> Option<N> {
        match self {
            Self::Node(node) => Some(node),
            Self::Empty | Self::Busy => None,
        }
    }
}

/// A push was accepted. Says whether it claimed the consumer's next turn, which is when the
/// producer must make the consumer runnable (M7 in `mailbox.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use = "a push that claimed the turn must schedule its consumer"]
pub enum Pushed {
    /// No turn was owed and nothing was unseen: this push claimed the turn, and its producer
    /// must make the consumer run (queue it), which ends with [`Consumer::end_turn`].
    ///
    /// [`Consumer::end_turn`]: crate::Consumer::end_turn
    Schedule,
    /// A turn is owed or running and will see this message, or an earlier producer is about to
    /// claim one (M7). Nothing to do.
    Queued,
}

/// How [`Consumer::end_turn`](crate::Consumer::end_turn) left the turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use = "a rescheduled consumer must run again"]
pub enum EndTurn {
    /// No turn is owed by this consumer: the next push (or claim) starts one.
    Idle,
    /// A message arrived during the turn: the caller claimed the next turn and must run the
    /// consumer again (queue it).
    Reschedule,
}

/// A push was refused; the message comes back to the caller untouched.
#[derive(PartialEq, Eq)]
#[must_use = "a refused message is handed back so that nothing is lost silently"]
pub enum PushError<N> {
    /// The mailbox holds its capacity of messages.
    Full(N),
    /// The mailbox is closed.
    Closed(N),
}

impl<N> PushError<N> {
    /// The message that was not pushed.
    ///
    /// ```
    /// use courier_mailbox::PushError;
    /// assert_eq!(PushError::Full(5).into_inner(), 5);
    /// assert_eq!(PushError::Closed(6).into_inner(), 6);
    /// ```
    pub fn into_inner(self) -> N {
        match self {
            Self::Full(node) | Self::Closed(node) => node,
        }
    }
}

impl<N> fmt::Debug for PushError<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("Full(..)"),
            Self::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<N> fmt::Display for PushError<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("the mailbox is full"),
            Self::Closed(_) => f.write_str("the mailbox is closed"),
        }
    }
}

impl<N> Error for PushError<N> {}

/// What `close` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use]
pub enum Close {
    /// This call closed the mailbox.
    Closed,
    /// The mailbox was closed before.
    AlreadyClosed,
}
