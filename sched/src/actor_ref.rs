//! `ActorRef<M>`: the typed, cheap-to-clone address of an actor.

use std::fmt;
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::time::Instant;

use courier_mailbox::{Priority, PushError, Pushed};

use crate::ActorId;
use crate::cell::{ActorPtr, SystemMessage};
use crate::dead_letter::Undelivered;
use crate::envelope::{self, Envelope, TypeTag};
use crate::reply::{self, Reply, ReplyTo};
use crate::room_wait::RoomWait;
use crate::worker::{thread_pools, with_pools};

/// Why a message was not sent; the message comes back in every case.
#[derive(PartialEq, Eq)]
#[non_exhaustive]
pub enum SendError<M> {
    /// The mailbox holds its capacity of messages.
    Full(M),
    /// The actor has stopped (its mailbox is closed).
    Closed(M),
    /// No message block could be allocated (the node's pool cap is reached).
    NoMemory(M),
}

impl<M> SendError<M> {
    /// The message that was not sent.
    pub fn into_inner(self) -> M {
        match self {
            SendError::Full(m) | SendError::Closed(m) | SendError::NoMemory(m) => m,
        }
    }
}

impl<M> fmt::Debug for SendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SendError::Full(_) => "Full(..)",
            SendError::Closed(_) => "Closed(..)",
            SendError::NoMemory(_) => "NoMemory(..)",
        })
    }
}

impl<M> fmt::Display for SendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SendError::Full(_) => "the mailbox is full",
            SendError::Closed(_) => "the actor has stopped",
            SendError::NoMemory(_) => "no message block could be allocated",
        })
    }
}

impl<M> std::error::Error for SendError<M> {}

/// The address of an actor that handles `M`: `Send + Sync`, cloned with one atomic add.
///
/// Sending never blocks a worker thread: a full mailbox hands the message back
/// ([`SendError::Full`]), as does a stopped actor ([`SendError::Closed`]).
pub struct ActorRef<M> {
    ptr: ActorPtr,
    _message: PhantomData<fn(M)>,
}

impl<M> ActorRef<M> {
    /// A message meant for this actor that a timer could not deliver: a dead letter.
    pub(crate) fn dead_letter(&self, why: Undelivered, message: M)
    where
        M: Send + 'static,
    {
        let header = self.ptr.header();
        header.runtime.dead_letter(header.id, why, message);
    }

    /// The cell behind the reference (for links and monitors).
    pub(crate) fn ptr(&self) -> ActorPtr {
        self.ptr
    }
}

impl<M: Send + 'static> ActorRef<M> {
    /// Wraps a reference the caller owns (one count of `refs`, C1 of `cell.rs`).
    pub(crate) fn from_owned(ptr: ActorPtr) -> ActorRef<M> {
        ActorRef {
            ptr,
            _message: PhantomData,
        }
    }

    /// The actor's id.
    #[must_use]
    pub fn id(&self) -> ActorId {
        self.ptr.header().id
    }

    /// Sends at normal priority; never blocks.
    ///
    /// # Errors
    /// [`SendError`] with the message when the mailbox is full, the actor stopped, or no block
    /// could be allocated.
    #[expect(
        clippy::inline_always,
        reason = "the send path moves the message through memory at every call it is not inlined across; see `ActorRef::try_send_with_priority`"
    )]
    #[inline(always)]
    pub fn try_send(&self, message: M) -> Result<(), SendError<M>> {
        self.try_send_with_priority(message, Priority::Normal)
    }

    /// Sends at a chosen priority lane; never blocks.
    ///
    /// # Errors
    /// As [`ActorRef::try_send`].
    //
    // Always inlined, with `send`, `try_send`, `thread_pools` and `envelope::pack`: for a message
    // type with drop glue (a request carrying a `ReplyTo`) the compiler kept them out of line,
    // each call moved the message through the stack, and one outside sender's stream of
    // savina counting's `Count` took twice as long as one of a plain enum of the same layout
    // (5.2 ms per 100,000 against 2.6; inlined: 3.5).
    #[expect(
        clippy::inline_always,
        reason = "measured: the stream of a message type with drop glue, see above"
    )]
    #[inline(always)]
    pub fn try_send_with_priority(
        &self,
        message: M,
        priority: Priority,
    ) -> Result<(), SendError<M>> {
        // A constant per message type: the send of a type that cannot be huge has no trace of
        // this branch.
        let packed = if envelope::may_be_huge::<M>() {
            self.pack_huge(message, priority)
        } else {
            match thread_pools() {
                Some(pools) => {
                    // SAFETY: W1: `pack` is allocator code, and the borrow ends with it.
                    let pools = unsafe { &mut *pools.as_ptr() };
                    envelope::pack(pools, message, TypeTag::User, priority, 0)
                }
                None => with_pools(move |pools| {
                    envelope::pack(pools, message, TypeTag::User, priority, 0)
                }),
            }
        };
        let envelope = packed.map_err(SendError::NoMemory)?;
        // SAFETY: the envelope is ours, live until it comes back out of the mailbox, and in no
        // other mailbox.
        match unsafe { self.ptr.mailbox().try_push(envelope, priority) } {
            Ok(Pushed::Schedule) => {
                self.ptr.schedule_claimed(envelope);
                Ok(())
            }
            Ok(Pushed::Queued) => Ok(()),
            Err(PushError::Full(envelope)) => {
                // SAFETY: a refused envelope is ours again, packed with an `M` just above.
                Err(SendError::Full(unsafe { envelope::take(envelope) }))
            }
            Err(PushError::Closed(envelope)) => {
                // SAFETY: as above.
                Err(SendError::Closed(unsafe { envelope::take(envelope) }))
            }
        }
    }

    /// Packs a message of a type that may be huge: at the runtime's `huge_message_bytes` or
    /// more it goes into a mapping of its own on the receiver's node (or onto the heap, boxed,
    /// when that mapping cannot be had), else boxed as any message too large for a block.
    #[inline(never)]
    fn pack_huge(&self, message: M, priority: Priority) -> Result<NonNull<Envelope>, M> {
        let header = self.ptr.header();
        let region = header.runtime.map_huge_message(header.home, size_of::<M>());
        with_pools(move |pools| match region {
            Some(region) => envelope::pack_mapped(pools, message, region, TypeTag::User, priority)
                .map_err(|(message, _region)| message),
            None => envelope::pack(pools, message, TypeTag::User, priority, 0),
        })
    }

    /// Asks: builds a request carrying a [`ReplyTo`] and sends it as [`ActorRef::send`] does
    /// (outside the runtime a full mailbox makes the caller wait for room; on a worker it is
    /// [`ActorRef::try_ask`]); the returned [`Reply`] waits for the answer with a timeout, or is
    /// awaited.
    ///
    /// ```
    /// use std::time::Duration;
    /// use courier_sched::{Actor, Context, ReplyTo, Runtime};
    ///
    /// struct Adder;
    /// impl Actor for Adder {
    ///     type Msg = (u64, u64, ReplyTo<u64>);
    ///     type Error = std::convert::Infallible;
    ///     fn handle(&mut self, _: &mut Context<'_, Self>, msg: Self::Msg) -> Result<(), Self::Error> {
    ///         let (a, b, reply) = msg;
    ///         reply.send(a + b);
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let runtime = Runtime::with_workers(1).unwrap();
    /// let adder = runtime.spawn(Adder);
    /// let sum = adder.ask(|reply| (2, 3, reply)).unwrap();
    /// assert_eq!(sum.wait_timeout(Duration::from_secs(10)), Ok(5));
    /// runtime.shutdown();
    /// ```
    ///
    /// # Errors
    /// [`SendError`] with the request when it could not be sent: as [`ActorRef::send`]
    /// (`Full` only on a worker thread).
    pub fn ask<R>(&self, request: impl FnOnce(ReplyTo<R>) -> M) -> Result<Reply<R>, SendError<M>> {
        let (reply_to, reply) = self.reply_pair();
        self.send(request(reply_to))?;
        Ok(reply)
    }

    /// As [`ActorRef::ask`], but never waits: a full mailbox hands the request back at once
    /// (as [`ActorRef::try_send`]).
    ///
    /// # Errors
    /// [`SendError`] with the request when it could not be sent, `Full` included.
    pub fn try_ask<R>(
        &self,
        request: impl FnOnce(ReplyTo<R>) -> M,
    ) -> Result<Reply<R>, SendError<M>> {
        let (reply_to, reply) = self.reply_pair();
        self.try_send(request(reply_to))?;
        Ok(reply)
    }

    /// A reply slot for a request to this actor; a timed-out wait probes the actor's state.
    fn reply_pair<R>(&self) -> (ReplyTo<R>, Reply<R>) {
        let probe_target = self.clone();
        let probe = Box::new(move || (probe_target.is_stopped(), probe_target.mailbox_depth()));
        reply::pair(self.id(), probe)
    }

    /// Sends at normal priority. On a worker thread this is [`ActorRef::try_send`]: a worker
    /// never blocks. On any other thread a full mailbox makes the caller wait (watching the
    /// mailbox's depth, then yielding, then sleeping up to a millisecond at a time) until there
    /// is room or the actor stops: backpressure for producers outside the runtime.
    ///
    /// # Errors
    /// [`SendError::Closed`] or [`SendError::NoMemory`] with the message; [`SendError::Full`]
    /// only on a worker thread.
    #[expect(
        clippy::inline_always,
        reason = "the send path moves the message through memory at every call it is not inlined across; see `ActorRef::try_send_with_priority`"
    )]
    #[inline(always)]
    pub fn send(&self, message: M) -> Result<(), SendError<M>> {
        let mut message = message;
        let mut room = RoomWait::new();
        loop {
            match self.try_send(message) {
                Err(SendError::Full(back)) if !crate::worker::on_worker_thread() => {
                    message = back;
                    room.wait(self.ptr.mailbox(), None);
                }
                other => return other,
            }
        }
    }

    /// As [`ActorRef::send`], but gives up once `deadline` passes, handing the message back as
    /// [`SendError::Full`].
    ///
    /// # Errors
    /// As [`ActorRef::send`], and `Full` at the deadline.
    pub fn send_until(&self, message: M, deadline: Instant) -> Result<(), SendError<M>> {
        let mut message = message;
        let mut room = RoomWait::new();
        loop {
            match self.try_send(message) {
                Err(SendError::Full(back))
                    if !crate::worker::on_worker_thread() && Instant::now() < deadline =>
                {
                    message = back;
                    room.wait(self.ptr.mailbox(), Some(deadline));
                }
                other => return other,
            }
        }
    }

    /// Stops the actor gracefully: it handles the messages queued before this request, then
    /// runs `stopped` with [`Exit::Normal`](crate::Exit::Normal); later sends are refused.
    /// Returns `false` when the actor had already stopped.
    #[expect(
        clippy::must_use_candidate,
        reason = "stopping is the point; the bool is a detail"
    )]
    pub fn stop(&self) -> bool {
        self.ptr.send_system(SystemMessage::Stop, Priority::Normal)
    }

    /// Kills the actor: it stops before handling anything else ([`Exit::Killed`](crate::Exit));
    /// its queued messages go to dead letters. Returns `false` when it had already stopped.
    #[expect(
        clippy::must_use_candidate,
        reason = "killing is the point; the bool is a detail"
    )]
    pub fn kill(&self) -> bool {
        self.ptr.send_system(SystemMessage::Kill, Priority::High)
    }

    /// Messages waiting in the mailbox now (may lag by a few pops; see courier-mailbox).
    #[must_use]
    pub fn mailbox_depth(&self) -> u32 {
        self.ptr.mailbox().depth()
    }

    /// Whether the actor has stopped (its mailbox is closed).
    #[must_use]
    pub fn is_stopped(&self) -> bool {
        self.ptr.mailbox().is_closed()
    }
}

impl<M> Clone for ActorRef<M> {
    fn clone(&self) -> Self {
        self.ptr.retain();
        ActorRef {
            ptr: self.ptr,
            _message: PhantomData,
        }
    }
}

impl<M> Drop for ActorRef<M> {
    fn drop(&mut self) {
        // SAFETY: we own one reference and give it up here (C1).
        unsafe { self.ptr.release() };
    }
}

impl<M> fmt::Debug for ActorRef<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ActorRef({:?})", self.ptr)
    }
}

impl<M> PartialEq for ActorRef<M> {
    fn eq(&self, other: &Self) -> bool {
        self.ptr == other.ptr
    }
}

impl<M> Eq for ActorRef<M> {}
