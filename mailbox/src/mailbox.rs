//! The mailbox: three lanes, one state word for capacity and wake-ups, a stash per lane.
//!
//! # Protocol
//!
//! M1 to M4 (in `lane.rs`) make each lane a correct MPSC queue; M10 and M11 (in `stash.rs`)
//! govern the stash. This module adds:
//!
//! - **M5 (reserve, then link).** A producer first reserves a slot: one `fetch_add` on the state
//!   word adds one to occupancy and one to unseen. If the word it read was closed or at capacity
//!   (one comparison: `word >= capacity << OCCUPANCY_SHIFT`, see `state.rs`), the push is
//!   *refused*: the producer takes its units back with one `fetch_sub` and gets its message back.
//!   Otherwise it is *accepted*, and only then does it push onto a lane (M2). So occupancy counts
//!   every accepted message not yet received (including ones still being linked) plus the units
//!   of refused producers that have not backed out yet; the accepted messages never exceed
//!   capacity, because a reservation is accepted only if it read fewer than capacity units.
//!   A refused producer's units are transient: while it backs out, another push may be refused
//!   though an accepted slot is free (only at capacity), and readers may see one count too many.
//! - **M6 (pending pops).** The consumer does not write the state word on every pop. A node taken
//!   out of a lane owes one unseen unit; a node handed to the caller owes one occupancy unit. The
//!   `Consumer` adds these to `pending` and subtracts them with one `fetch_sub` (a *commit*)
//!   after every `commit_batch` such notes (`capacity / 4`, between 1 and 64), before `pop`
//!   reports `Empty` (`pop_in_turn` leaves it to the `end_turn` that follows, which commits
//!   with the turn bit, or to an explicit `commit`), and when it is dropped. So both fields
//!   over-count by at most one batch of uncommitted pops, never under-count.
//! - **M7 (turns).** The consumer runs in *turns*, and the state word's turn bit says that a
//!   turn is owed or running. Whoever sets the bit with `claim_turn` (one `fetch_or`, so one
//!   claimer wins) holds the turn: a scheduler queues the consumer and, when it runs,
//!   `Consumer::end_turn` commits the pending pops and clears the bit in one `fetch_sub`; if that
//!   leaves unseen units, it claims again (and runs again if it wins). An accepted push claims
//!   when its reservation read unseen == 0 and no turn owed, and reports `Schedule` iff it won:
//!   only then must its producer make the consumer runnable. A push that read a turn owed leaves
//!   its message to that turn, whose `end_turn` comes later in the word's order and sees the
//!   unit if the turn did not take the message. A push that read unseen units with no turn owed
//!   leaves it to the producer of an earlier unit, which has yet to claim (commits happen only
//!   inside turns, so a taken message's unit is gone once the bit is clear), or to an
//!   `end_turn` about to claim again; a refused producer's transient unit (M5) can only be
//!   there if a turn's commit freed room after its reservation, and that turn's `end_turn`
//!   then saw the unit and claimed. Over-capacity pushes (M13) can be accepted while a refused
//!   unit is there with no commit in between, so they claim whenever no turn is owed.
//!   `PROTOCOL.md` has the proof.
//! - **M8 (one consumer).** `tails`, `stashes`, `stashed_len` and `pending` are touched by at
//!   most one `Consumer` at a time: `consumer` borrows the mailbox mutably, and
//!   `consumer_unchecked` makes the caller promise it.
//! - **M9 (close).** `close` sets the closed bit with one `fetch_or`; the bit is never cleared. A
//!   push is accepted iff its reservation precedes that `fetch_or` in the word's modification
//!   order, so after the close no message is accepted, and occupancy is the accepted messages not
//!   yet received plus refused producers still backing out. `drain_next` reports `Empty` only
//!   when, after a commit, occupancy is 0: every accepted message is out, each exactly once.
//! - **M12 (linked in place).** The lanes' stubs live inside the mailbox, and every lane starts
//!   as `head == tail == its stub`, so a mailbox holds pointers into itself once linked. A new
//!   mailbox is *unlinked* (its heads null, its tails dangling) and may move; `link` points
//!   the lanes at the stubs where the mailbox stands, and from then on it must not move until
//!   it is dropped (the `# Safety` of `link`). Pushing and receiving need a linked mailbox:
//!   `try_push` and `consumer_unchecked` make it their caller's promise, and `consumer` checks
//!   it. The state word's readers (`close`, `depth`, `has_unseen`) work linked or not.
//! - **M13 (over capacity).** `try_push_over_capacity` reserves exactly as M5 does, against a
//!   limit `OVER_CAPACITY_ROOM` messages above the capacity (still below the closed bit, so a
//!   closed word is refused). Everything else is unchanged: the message goes into its lane,
//!   counts in occupancy and unseen, and claims a turn by M7. While occupancy is at or above
//!   the capacity, an ordinary push's reservation reads a word at or above its limit and is
//!   refused as full, so ordinary messages never use the extra room.
//!
//! The counts need no ordering beyond the word's modification order (M7, M9 only compare
//! counts): the messages themselves are published by the lanes' Release/Acquire pairs, which
//! also order a producer's reservation before the consumer's commit of the same message. The
//! turn bit carries the consumer's own state from one turn to the next: `end_turn` clears it
//! with Release and `claim_turn` sets it with Acquire.
//!
//! # Field access
//!
//! | field                              | who                             | how                       |
//! |------------------------------------|---------------------------------|---------------------------|
//! | `producers.state`                  | producers, `close`, readers     | `fetch_add`/`fetch_sub`, `fetch_or`, `load` |
//! | `producers.state`                  | the consumer                    | `fetch_sub` (commit), `load` |
//! | `producers.limit`                  | everyone reads; set in `new`    | plain                     |
//! | `producers.heads[lane]`            | producers; the consumer (stub); `link` | `swap`, `load` (M2, M3); store (M12) |
//! | `producers.capacity`               | everyone reads; set in `new`    | plain                     |
//! | `consumer_state` (tails, stashes)  | the one `Consumer` (M8); `link` | plain                     |
//! | `quiet_stubs`, `producers.normal_stub` | lanes (M1)                   | through `Link`s           |
//!
//! Layout (`repr(C)`, 64-byte lines, 192 bytes): the high and low lanes' stubs and the consumer
//! state (the stashes, then the tails and stash counts) fill the first two lines, the
//! producers' line (state word, limit, three heads, capacity, the normal lane's stub) is the
//! third. The first line holds the two stubs and the stashes (cold outside selective receive);
//! the consumer's hot fields end the second, which only the consumer writes. A pop that does
//! not commit touches no line a producer writes, except the `next` links of the node it takes
//! and of a stub (written by a producer only when its lane goes from empty to non-empty, which
//! the consumer then has to see anyway).
//!
//! The normal lane's stub shares the producers' line because a message into an idle actor
//! (a request, a reply, a ping-pong's ball) is a push into an empty lane: the producer writes
//! the stub's `next` right after its reservation and swap, so with the stub in the line it
//! holds already that push moves one line instead of two; and the consumer that takes the
//! message reads the stub and swings the head back (M3) in that same line. Between two workers
//! this took a ping-pong's round trip from 1.04 to 0.91 us. The high lane's stub stays out of
//! it: the consumer checks it on every pop (`lane::is_surely_empty`), and under a stream of
//! sends that load would miss on the line the producers keep writing.
//!
//! Lines of 64 bytes, not the 128 of `CachePadded` (which guards against the adjacent-line
//! prefetcher): an idle actor's mailbox is cold, and 64-byte lines save 64 bytes per actor (a
//! 256-byte actor cell instead of 320). On the shared 2-vCPU machine, `mailbox_time` A/B runs
//! of both paddings could not tell them apart beyond the noise, for one or two producers (the
//! commits that made the stubs part of the mailbox and that recorded the A/B have the figures).
//! Revisit on a quiet machine with real cores.

use std::fmt;
use std::marker::PhantomData;
use std::ptr::NonNull;

use crate::consumer::{Consumer, ConsumerState};
use crate::lane;
use crate::link::{Link, Linked};
use crate::outcome::{Close, PushError, Pushed};
use crate::state::{CAPACITY_MAX, CLOSED_BIT, MESSAGE_UNIT, OCCUPANCY_SHIFT, State, TURN_BIT};
use crate::sync::{AtomicPtr, AtomicU64, Ordering, UnsafeCell};

/// The number of priority lanes.
pub(crate) const LANE_COUNT: usize = 3;

/// The most pops a consumer keeps uncommitted (M6): bounds how stale depth and capacity get.
#[cfg(not(courier_loom))]
pub(crate) const COMMIT_BATCH_MAX: u32 = 64;
/// Under loom a tiny batch lets the models reach the threshold path.
#[cfg(courier_loom)]
pub(crate) const COMMIT_BATCH_MAX: u32 = 2;

// The consumer's note counter counts up to a batch, and the owed units (at most a batch of each
// kind) stay below it (`consumer.rs`, M6).
const _: () = assert!((COMMIT_BATCH_MAX as u64) < crate::state::NOTE_COUNTER_END);
const _: () = assert!(
    ((COMMIT_BATCH_MAX as u64) << OCCUPANCY_SHIFT | COMMIT_BATCH_MAX as u64)
        < crate::state::NOTE_UNIT
);

/// A message's priority: the consumer drains high before normal before low.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    /// Drained first: system messages, supervision signals.
    High,
    /// The default lane.
    #[default]
    Normal,
    /// Drained only when the other lanes are empty.
    Low,
}

impl Priority {
    /// Every priority, in drain order.
    pub const ALL: [Self; LANE_COUNT] = [Self::High, Self::Normal, Self::Low];

    const fn lane_index(self) -> usize {
        match self {
            Self::High => 0,
            Self::Normal => 1,
            Self::Low => 2,
        }
    }
}

/// How many messages a mailbox holds at most, counting stashed ones: `1..=2^30`.
///
/// ```
/// use courier_mailbox::Capacity;
/// assert_eq!(Capacity::new(8).map(Capacity::get), Some(8));
/// assert_eq!(Capacity::new(0), None);
/// assert_eq!(Capacity::new(Capacity::MAX.get() + 1), None);
/// assert_eq!(Capacity::default(), Capacity::DEFAULT);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Capacity(u32);

impl Capacity {
    /// The capacity of [`Mailbox::new`].
    pub const DEFAULT: Self = Self(1 << 16);
    /// The largest capacity the state word can count (`state.rs`).
    pub const MAX: Self = Self(CAPACITY_MAX);

    /// A capacity of `messages_max` messages, if it is in `1..=Capacity::MAX`.
    #[must_use]
    pub const fn new(messages_max: u32) -> Option<Self> {
        if messages_max == 0 || messages_max > CAPACITY_MAX {
            None
        } else {
            Some(Self(messages_max))
        }
    }

    /// The number of messages.
    #[must_use]
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl Default for Capacity {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// What producers touch: one cache line of its own.
#[repr(C, align(64))]
pub(crate) struct Producers {
    /// The packed state word (`state.rs`): closed bit, occupancy, unseen.
    pub(crate) state: AtomicU64,
    /// `capacity << OCCUPANCY_SHIFT`: a word at or above it is full or closed (M5).
    limit: u64,
    /// The producer end of each lane: null until `link` (M12).
    pub(crate) heads: [AtomicPtr<Link>; LANE_COUNT],
    /// Read-only after `new`.
    capacity: Capacity,
    /// The normal lane's stub (M1): here, not with the others, so that a push into the empty
    /// lane writes no line besides this one (layout above).
    pub(crate) normal_stub: Link,
}

/// Lane `lane_index`'s stub: the normal lane's is in the producers' line, the others in the
/// mailbox's first line (layout above). Callers pass a constant index, so this folds away.
#[inline]
pub(crate) fn stub<'a>(
    quiet_stubs: &'a [Link; 2],
    producers: &'a Producers,
    lane_index: usize,
) -> &'a Link {
    match lane_index {
        0 => &quiet_stubs[0],
        1 => &producers.normal_stub,
        _ => &quiet_stubs[1],
    }
}

/// A bounded multi-producer single-consumer mailbox of intrusive nodes, with three priority
/// lanes, close and drain, and a stash for selective receive.
///
/// Producers call [`try_push`](Self::try_push) from any thread. The one consumer receives through
/// a [`Consumer`], from [`consumer`](Self::consumer) or
/// [`consumer_unchecked`](Self::consumer_unchecked). The mailbox never allocates per message:
/// each node carries its [`Link`].
///
/// The nodes belong to the caller's allocator, so the mailbox cannot free them: drain it
/// ([`close`](Self::close), then [`Consumer::drain_next`] until `Empty`) before dropping it.
/// Dropping one that still holds messages leaks them, and fails a debug assertion.
///
/// ```
/// use std::ptr::NonNull;
/// use courier_mailbox::{Capacity, Link, Linked, Mailbox, Pop, Priority, PushError, Pushed};
///
/// #[repr(C)]
/// struct Note { link: Link, text: &'static str }
/// // SAFETY: `link` is the first field of a `#[repr(C)]` struct; used only by the mailbox.
/// unsafe impl Linked for Note {
///     fn link(node: NonNull<Self>) -> NonNull<Link> { node.cast() }
///     unsafe fn from_link(link: NonNull<Link>) -> NonNull<Self> { link.cast() }
/// }
/// let note = |text| NonNull::from(Box::leak(Box::new(Note { link: Link::new(), text })));
/// // SAFETY (for the helper): every node came from `Box::leak` and comes back out once.
/// let free = |node: NonNull<Note>| unsafe { Box::from_raw(node.as_ptr()) }.text;
///
/// let mut mailbox = Mailbox::with_capacity(Capacity::new(2).unwrap());
/// // SAFETY: the mailbox stays where it is until it is dropped.
/// unsafe { mailbox.link() };
/// // SAFETY: fresh nodes, in no mailbox, valid until they come back out.
/// unsafe {
///     assert_eq!(mailbox.try_push(note("later"), Priority::Low), Ok(Pushed::Schedule));
///     assert_eq!(mailbox.try_push(note("first"), Priority::High), Ok(Pushed::Queued));
///     let refused = mailbox.try_push(note("full"), Priority::Normal).unwrap_err();
///     assert!(matches!(refused, PushError::Full(_)));
///     assert_eq!(free(refused.into_inner()), "full");
/// }
/// let mut consumer = mailbox.consumer();
/// assert_eq!(consumer.pop().into_node().map(free), Some("first"));
/// assert_eq!(consumer.pop().into_node().map(free), Some("later"));
/// assert_eq!(consumer.pop(), Pop::Empty);
/// ```
// `repr(C)`: two stubs and the consumer state fill the first two 64-byte lines, and
// `producers` (64-byte aligned) takes the third, so the mailbox is 192 bytes (M12, layout above).
#[repr(C)]
pub struct Mailbox<T> {
    /// The high and low lanes' stubs (M1), here so that the mailbox allocates nothing; lanes
    /// point to them once linked (M12). First, so the high lane's stub is at the mailbox's
    /// address (one load in `pop`), and in the line of the cold stashes: producers write a
    /// stub's `next` whenever its lane goes from empty to non-empty. The normal lane's stub is
    /// in `producers` (`stub`).
    pub(crate) quiet_stubs: [Link; 2],
    pub(crate) consumer_state: UnsafeCell<ConsumerState>,
    pub(crate) producers: Producers,
    /// The mailbox holds `T`s by pointer and hands them between threads.
    nodes: PhantomData<NonNull<T>>,
}

// Two stubs and the consumer state fit the two lines before the producers' line: a mailbox is
// three lines.
#[cfg(not(courier_loom))]
const _: () = assert!(
    size_of::<[Link; 2]>() + size_of::<ConsumerState>() <= 128
        && std::mem::offset_of!(Mailbox<()>, quiet_stubs) == 0
        && std::mem::offset_of!(Mailbox<()>, producers) == 128
        && size_of::<Producers>() == 64
        && size_of::<Mailbox<()>>() == 192
);

// SAFETY: a `Mailbox<T>` moves `T`s between threads, so it needs `T: Send`. Its raw pointers
// are its own stubs (which do not move once linked, M12) and nodes whose ownership it tracks
// (M1); the consumer
// state is reachable only through `&mut self` or the `consumer_unchecked` contract (M8).
unsafe impl<T: Send> Send for Mailbox<T> {}
// SAFETY: the `&self` API is the producers' (RMWs and swaps on atomics, M2, M5), `close` (atomic,
// M9), the readers' loads, and `consumer_unchecked`, whose caller guarantees one consumer (M8).
// Nodes cross threads through it, hence `T: Send`; no `&T` is shared between threads.
unsafe impl<T: Send> Sync for Mailbox<T> {}

impl<T: Linked> Mailbox<T> {
    /// An open, empty mailbox of [`Capacity::DEFAULT`].
    ///
    /// ```
    /// # use courier_mailbox::{Link, Mailbox, Pop, Priority};
    /// # use std::ptr::NonNull;
    /// # #[repr(C)] struct Node { link: Link }
    /// # // SAFETY: `link` is at offset 0 of a `#[repr(C)]` struct.
    /// # unsafe impl courier_mailbox::Linked for Node {
    /// #     fn link(n: NonNull<Self>) -> NonNull<Link> { n.cast() }
    /// #     unsafe fn from_link(l: NonNull<Link>) -> NonNull<Self> { l.cast() }
    /// # }
    /// let mailbox = Mailbox::<Node>::new();
    /// assert_eq!(mailbox.capacity(), courier_mailbox::Capacity::DEFAULT);
    /// assert!(!mailbox.is_closed() && !mailbox.has_unseen());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::with_capacity(Capacity::DEFAULT)
    }

    /// An open, empty mailbox that holds at most `capacity` messages, stashed ones included.
    ///
    /// ```
    /// use courier_mailbox::{Capacity, Link, Mailbox};
    /// # use std::ptr::NonNull;
    /// # #[repr(C)] struct Node { link: Link }
    /// # // SAFETY: `link` is at offset 0 of a `#[repr(C)]` struct.
    /// # unsafe impl courier_mailbox::Linked for Node {
    /// #     fn link(n: NonNull<Self>) -> NonNull<Link> { n.cast() }
    /// #     unsafe fn from_link(l: NonNull<Link>) -> NonNull<Self> { l.cast() }
    /// # }
    /// let mailbox = Mailbox::<Node>::with_capacity(Capacity::new(100).unwrap());
    /// assert_eq!(mailbox.capacity().get(), 100);
    /// assert_eq!(mailbox.depth(), 0);
    /// ```
    #[must_use]
    pub fn with_capacity(capacity: Capacity) -> Self {
        Self::with_capacity_and_state(capacity, 0)
    }

    /// As [`with_capacity`](Self::with_capacity), with the consumer's first turn already
    /// claimed by the caller (M7): what [`claim_turn`](Self::claim_turn) right after `new`
    /// would do, without its atomic read-modify-write (a spawn pays for every instruction).
    ///
    /// ```
    /// # use courier_mailbox::{Capacity, Link, Mailbox};
    /// # #[repr(C)] struct Node { link: Link }
    /// # // SAFETY: `link` is at offset 0 of a `#[repr(C)]` struct.
    /// # unsafe impl courier_mailbox::Linked for Node {
    /// #     fn link(n: std::ptr::NonNull<Self>) -> std::ptr::NonNull<Link> { n.cast() }
    /// #     unsafe fn from_link(l: std::ptr::NonNull<Link>) -> std::ptr::NonNull<Self> { l.cast() }
    /// # }
    /// let mailbox = Mailbox::<Node>::with_capacity_claimed(Capacity::DEFAULT);
    /// assert!(mailbox.is_turn_owed());
    /// assert!(!mailbox.claim_turn(), "the creator holds the first turn");
    /// ```
    #[must_use]
    pub fn with_capacity_claimed(capacity: Capacity) -> Self {
        Self::with_capacity_and_state(capacity, TURN_BIT)
    }

    fn with_capacity_and_state(capacity: Capacity, state: u64) -> Self {
        // `Capacity::new` checked the range; the state word's layout depends on it (M5).
        debug_assert!(capacity.0 >= 1 && capacity.0 <= CAPACITY_MAX);
        let commit_batch = (capacity.0 / 4).clamp(1, COMMIT_BATCH_MAX);
        Self {
            quiet_stubs: [Link::new(), Link::new()],
            producers: Producers {
                state: AtomicU64::new(state),
                limit: u64::from(capacity.0) << OCCUPANCY_SHIFT,
                heads: [(); LANE_COUNT].map(|()| AtomicPtr::new(std::ptr::null_mut())),
                capacity,
                normal_stub: Link::new(),
            },
            consumer_state: UnsafeCell::new(ConsumerState::new(commit_batch)),
            nodes: PhantomData,
        }
    }

    /// Points each lane at its stub, inside the mailbox (M12). Call it once the mailbox stands
    /// where it will stay (in a `Box`, an `Arc`, a leaked cell) and before it is shared: pushes
    /// and receives need a linked mailbox. Linking a linked mailbox does nothing.
    ///
    /// The stubs are part of the mailbox so that it allocates nothing; the price is that a
    /// linked mailbox holds pointers into itself and must not move.
    ///
    /// # Safety
    ///
    /// - From this call until the mailbox is dropped, it does not move.
    /// - No other thread uses the mailbox during this call.
    ///
    /// ```
    /// # use courier_mailbox::{Link, Mailbox};
    /// # #[repr(C)] struct Node { link: Link }
    /// # // SAFETY: `link` is at offset 0 of a `#[repr(C)]` struct.
    /// # unsafe impl courier_mailbox::Linked for Node {
    /// #     fn link(n: std::ptr::NonNull<Self>) -> std::ptr::NonNull<Link> { n.cast() }
    /// #     unsafe fn from_link(l: std::ptr::NonNull<Link>) -> std::ptr::NonNull<Self> { l.cast() }
    /// # }
    /// let mailbox = Box::new(Mailbox::<Node>::new());
    /// assert!(!mailbox.is_linked());
    /// // SAFETY: the box keeps the mailbox in place until it is dropped; not shared yet.
    /// unsafe { mailbox.link() };
    /// assert!(mailbox.is_linked());
    /// ```
    pub unsafe fn link(&self) {
        if self.is_linked() {
            return;
        }
        for (lane_index, head) in self.producers.heads.iter().enumerate() {
            let stub = stub(&self.quiet_stubs, &self.producers, lane_index);
            // ORDERING: Relaxed; whatever hands the mailbox to other threads afterwards (an
            // `Arc`, a run queue) publishes this store with the rest of the mailbox.
            head.store(NonNull::from(stub).as_ptr(), Ordering::Relaxed);
        }
        self.consumer_state.get_mut().with(|state| {
            // SAFETY: no other thread uses the mailbox during this call (the caller), and no
            // `Consumer` exists: an unlinked mailbox cannot make one (M8, M12).
            unsafe { (*state).link(&self.quiet_stubs, &self.producers) };
        });
    }

    /// Whether [`link`](Self::link) has run: pushes and receives need it (M12).
    ///
    /// ```
    /// # use courier_mailbox::{Link, Mailbox};
    /// # #[repr(C)] struct Node { link: Link }
    /// # // SAFETY: `link` is at offset 0 of a `#[repr(C)]` struct.
    /// # unsafe impl courier_mailbox::Linked for Node {
    /// #     fn link(n: std::ptr::NonNull<Self>) -> std::ptr::NonNull<Link> { n.cast() }
    /// #     unsafe fn from_link(l: std::ptr::NonNull<Link>) -> std::ptr::NonNull<Self> { l.cast() }
    /// # }
    /// assert!(!Mailbox::<Node>::new().is_linked());
    /// ```
    #[must_use]
    pub fn is_linked(&self) -> bool {
        // ORDERING: Relaxed; `link` ran before the mailbox was shared, so a thread that can
        // reach the mailbox sees its stores through whatever shared it.
        !self.producers.heads[0].load(Ordering::Relaxed).is_null()
    }

    /// Offers `node` to the lane of `priority`. On success the mailbox owns the node until the
    /// consumer receives it; on failure the node comes back in the error, untouched.
    ///
    /// Cost: one `fetch_add` on the state word (the reservation, M5), one swap and one store
    /// (M2). Producers never wait for each other or for the consumer: the push is wait-free.
    ///
    /// # Errors
    ///
    /// - [`PushError::Closed`] after [`close`](Self::close).
    /// - [`PushError::Full`] when the mailbox holds its capacity of messages (stashed ones and
    ///   up to one commit batch of received but uncommitted ones included, M6), or, at capacity,
    ///   while another refused push is still backing out its reservation (M5).
    ///
    /// # Safety
    ///
    /// - The mailbox is linked ([`link`](Self::link)), so it stays where it is (M12).
    /// - `node` points to a live `T` that the caller owns, in no mailbox (M1).
    /// - The node stays live, and is not moved, until it comes back out of this mailbox (by a
    ///   receive, a drain or the error); until then only the mailbox touches its [`Link`].
    ///
    /// ```
    /// # use std::ptr::NonNull;
    /// # use courier_mailbox::{Link, Linked, Mailbox, Priority, Pushed, Pop};
    /// # #[repr(C)] struct Node { link: Link }
    /// # // SAFETY: `link` is at offset 0 of a `#[repr(C)]` struct.
    /// # unsafe impl Linked for Node {
    /// #     fn link(n: NonNull<Self>) -> NonNull<Link> { n.cast() }
    /// #     unsafe fn from_link(l: NonNull<Link>) -> NonNull<Self> { l.cast() }
    /// # }
    /// let mut node = Node { link: Link::new() };
    /// let mut mailbox = Mailbox::new();
    /// // SAFETY: the mailbox stays where it is until it is dropped.
    /// unsafe { mailbox.link() };
    /// // SAFETY: `node` outlives its stay in the mailbox and is in no other.
    /// let pushed = unsafe { mailbox.try_push(NonNull::from(&mut node), Priority::Normal) };
    /// assert_eq!(pushed, Ok(Pushed::Schedule));
    /// assert_eq!(mailbox.consumer().pop(), Pop::Node(NonNull::from(&mut node)));
    /// ```
    #[inline]
    pub unsafe fn try_push(
        &self,
        node: NonNull<T>,
        priority: Priority,
    ) -> Result<Pushed, PushError<NonNull<T>>> {
        debug_assert!(self.is_linked(), "M12: link the mailbox before pushing");
        let before = match self.reserve() {
            Ok(before) => before,
            Err(refused) if refused.is_closed() => return Err(PushError::Closed(node)),
            Err(_) => return Err(PushError::Full(node)),
        };
        let head = &self.producers.heads[priority.lane_index()];
        // SAFETY: the caller owns `node` and keeps it valid until it comes back out (M1), and
        // the reservation above gave it a slot (M5); `head` is a lane of this mailbox.
        unsafe { lane::push(head, T::link(node)) };
        // M7: the message is linked first, so the turn this claim starts finds it.
        if before.unseen() == 0 && !before.turn_owed() && self.claim_turn() {
            Ok(Pushed::Schedule)
        } else {
            Ok(Pushed::Queued)
        }
    }

    /// Pushes a message its sender must not lose to a full mailbox: a runtime's own control
    /// messages (a stop, a supervisor's restart, a monitor's notice), which a full mailbox of
    /// ordinary messages would otherwise block or refuse, possibly for ever (M13). It is
    /// accepted up to [`Mailbox::OVER_CAPACITY_ROOM`] messages beyond the capacity, in its lane
    /// like any other; while the mailbox is over capacity, ordinary pushes are refused as full.
    ///
    /// # Errors
    ///
    /// - [`PushError::Closed`] after [`close`](Self::close).
    /// - [`PushError::Full`] when the room beyond the capacity is used up too.
    ///
    /// # Safety
    ///
    /// As [`try_push`](Self::try_push).
    ///
    /// ```
    /// # use std::ptr::NonNull;
    /// # use courier_mailbox::{Capacity, Link, Linked, Mailbox, Priority, PushError};
    /// # #[repr(C)] struct Node { link: Link }
    /// # // SAFETY: `link` is at offset 0 of a `#[repr(C)]` struct.
    /// # unsafe impl Linked for Node {
    /// #     fn link(n: NonNull<Self>) -> NonNull<Link> { n.cast() }
    /// #     unsafe fn from_link(l: NonNull<Link>) -> NonNull<Self> { l.cast() }
    /// # }
    /// let mut nodes = [0; 3].map(|_| Node { link: Link::new() });
    /// let mut mailbox = Mailbox::with_capacity(Capacity::new(1).unwrap());
    /// // SAFETY: the mailbox does not move from here on.
    /// unsafe { mailbox.link() };
    /// let [a, b, c] = &mut nodes;
    /// // SAFETY: the nodes outlive their stay in the mailbox and are in no other.
    /// unsafe {
    ///     assert!(mailbox.try_push(NonNull::from(a), Priority::Normal).is_ok());
    ///     assert!(matches!(mailbox.try_push(NonNull::from(b), Priority::Normal), Err(PushError::Full(_))));
    ///     assert!(mailbox.try_push_over_capacity(NonNull::from(c), Priority::High).is_ok());
    /// }
    /// assert_eq!(mailbox.depth(), 2);
    /// let mut consumer = mailbox.consumer();
    /// assert!(consumer.pop().into_node().is_some(), "the high lane first");
    /// assert!(consumer.pop().into_node().is_some());
    /// ```
    #[inline]
    pub unsafe fn try_push_over_capacity(
        &self,
        node: NonNull<T>,
        priority: Priority,
    ) -> Result<Pushed, PushError<NonNull<T>>> {
        debug_assert!(self.is_linked(), "M12: link the mailbox before pushing");
        let room = u64::from(Self::OVER_CAPACITY_ROOM) << OCCUPANCY_SHIFT;
        let before = match self.reserve_below(self.producers.limit + room) {
            Ok(before) => before,
            Err(refused) if refused.is_closed() => return Err(PushError::Closed(node)),
            Err(_) => return Err(PushError::Full(node)),
        };
        let head = &self.producers.heads[priority.lane_index()];
        // SAFETY: as in `try_push`: the caller's node, a slot reserved above (M5, M13).
        unsafe { lane::push(head, T::link(node)) };
        // M7: beyond the capacity the unseen units may be a refused producer's alone, so this
        // push claims whenever no turn is owed.
        if !before.turn_owed() && self.claim_turn() {
            Ok(Pushed::Schedule)
        } else {
            Ok(Pushed::Queued)
        }
    }

    /// Claims the consumer's next turn (M7): `true` if no turn was owed and the caller now holds
    /// it, so it must run the consumer (or queue it to run) and end that turn with
    /// [`Consumer::end_turn`]. A push claims by itself and says so with [`Pushed::Schedule`];
    /// call this to give a consumer a turn without a message (a new mailbox can be made with
    /// its first turn claimed: [`with_capacity_claimed`](Self::with_capacity_claimed)).
    ///
    /// ```
    /// # use courier_mailbox::{Link, Mailbox, EndTurn};
    /// # #[repr(C)] struct Node { link: Link }
    /// # // SAFETY: `link` is at offset 0 of a `#[repr(C)]` struct.
    /// # unsafe impl courier_mailbox::Linked for Node {
    /// #     fn link(n: std::ptr::NonNull<Self>) -> std::ptr::NonNull<Link> { n.cast() }
    /// #     unsafe fn from_link(l: std::ptr::NonNull<Link>) -> std::ptr::NonNull<Self> { l.cast() }
    /// # }
    /// let mut mailbox = Mailbox::<Node>::new();
    /// // SAFETY: the mailbox stays where it is until it is dropped.
    /// unsafe { mailbox.link() };
    /// assert!(mailbox.claim_turn(), "nobody held the turn");
    /// assert!(!mailbox.claim_turn(), "one holder at a time");
    /// assert_eq!(mailbox.consumer().end_turn(), EndTurn::Idle);
    /// assert!(mailbox.claim_turn());
    /// ```
    #[inline]
    pub fn claim_turn(&self) -> bool {
        // ORDERING: AcqRel. Acquire pairs with the Release `fetch_sub` of the `end_turn` that
        // cleared the bit, so the previous turn's writes happen before the turn claimed here
        // (the claimer hands the consumer to its runner through a queue, which is Release/
        // Acquire). Release keeps the word's release sequence unbroken for later claimers.
        let before = State(self.producers.state.fetch_or(TURN_BIT, Ordering::AcqRel));
        !before.turn_owed()
    }

    /// Whether a turn of the consumer is owed or running (M7): a snapshot, for metrics and tests.
    #[must_use]
    pub fn is_turn_owed(&self) -> bool {
        self.load_state().turn_owed()
    }

    /// How many messages [`try_push_over_capacity`](Self::try_push_over_capacity) accepts
    /// beyond the capacity.
    pub const OVER_CAPACITY_ROOM: u32 = 1 << 16;

    /// Reserves a slot below `limit` (M5, M13); as `reserve`, with another limit.
    #[cold]
    fn reserve_below(&self, limit: u64) -> Result<State, State> {
        // ORDERING: Relaxed; as in `reserve`.
        let before = self
            .producers
            .state
            .fetch_add(MESSAGE_UNIT, Ordering::Relaxed);
        if before < limit {
            return Ok(State(before));
        }
        self.back_out();
        Err(State(before))
    }

    /// Reserves a slot (M5). Returns the word before the reservation, or the refusing word
    /// (after backing out).
    #[inline]
    fn reserve(&self) -> Result<State, State> {
        let state = &self.producers.state;
        // ORDERING: Relaxed; pairs with nothing: reservations, back-outs, commits and the close
        // are RMWs of this one word, totally ordered by it (M7, M9). The message itself is
        // published by the lane's AcqRel swap (M2), which also orders this reservation before
        // the consumer's commit of the same message.
        let before = state.fetch_add(MESSAGE_UNIT, Ordering::Relaxed);
        if before < self.producers.limit {
            return Ok(State(before));
        }
        self.back_out();
        Err(State(before))
    }

    /// Takes back the units of a refused reservation (M5).
    #[cold]
    fn back_out(&self) {
        // ORDERING: Relaxed; as for the reservation it undoes.
        let before = self
            .producers
            .state
            .fetch_sub(MESSAGE_UNIT, Ordering::Relaxed);
        debug_assert!(
            State(before).occupancy() >= 1 && State(before).unseen() >= 1,
            "M5"
        );
    }

    /// Closes the mailbox: every later push gets its message back as [`PushError::Closed`].
    /// Messages accepted before stay inside until the consumer receives or drains them (M9).
    ///
    /// ```
    /// # use std::ptr::NonNull;
    /// # use courier_mailbox::{Close, Link, Linked, Mailbox, Priority, PushError};
    /// # #[repr(C)] struct Node { link: Link }
    /// # // SAFETY: `link` is at offset 0 of a `#[repr(C)]` struct.
    /// # unsafe impl Linked for Node {
    /// #     fn link(n: NonNull<Self>) -> NonNull<Link> { n.cast() }
    /// #     unsafe fn from_link(l: NonNull<Link>) -> NonNull<Self> { l.cast() }
    /// # }
    /// let mailbox = Mailbox::<Node>::new();
    /// // SAFETY: the mailbox stays where it is until it is dropped.
    /// unsafe { mailbox.link() };
    /// assert_eq!(mailbox.close(), Close::Closed);
    /// assert_eq!(mailbox.close(), Close::AlreadyClosed);
    /// assert!(mailbox.is_closed());
    /// let mut node = Node { link: Link::new() };
    /// // SAFETY: `node` is live and in no mailbox.
    /// let refused = unsafe { mailbox.try_push(NonNull::from(&mut node), Priority::High) };
    /// assert!(matches!(refused, Err(PushError::Closed(_))));
    /// ```
    pub fn close(&self) -> Close {
        // ORDERING: Relaxed; the closed bit orders only against the reservations of this word,
        // which its modification order does (M9). No data is published with it.
        let before = State(self.producers.state.fetch_or(CLOSED_BIT, Ordering::Relaxed));
        if before.is_closed() {
            Close::AlreadyClosed
        } else {
            Close::Closed
        }
    }

    /// Whether [`close`](Self::close) has been called.
    ///
    /// ```
    /// # use courier_mailbox::{Link, Mailbox};
    /// # #[repr(C)] struct Node { link: Link }
    /// # // SAFETY: `link` is at offset 0 of a `#[repr(C)]` struct.
    /// # unsafe impl courier_mailbox::Linked for Node {
    /// #     fn link(n: std::ptr::NonNull<Self>) -> std::ptr::NonNull<Link> { n.cast() }
    /// #     unsafe fn from_link(l: std::ptr::NonNull<Link>) -> std::ptr::NonNull<Self> { l.cast() }
    /// # }
    /// assert!(!Mailbox::<Node>::new().is_closed());
    /// ```
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.load_state().is_closed()
    }

    /// How many messages are inside: in the lanes, in the stash, and being linked. A consumer's
    /// uncommitted receives still count (at most one commit batch, M6), and so does a refused
    /// push for the instant it backs out (M5), so this over-reports slightly; it never
    /// under-reports. For least-loaded routing: it reads the producers' line, never the
    /// consumer's.
    ///
    /// ```
    /// # use courier_mailbox::{Link, Mailbox};
    /// # #[repr(C)] struct Node { link: Link }
    /// # // SAFETY: `link` is at offset 0 of a `#[repr(C)]` struct.
    /// # unsafe impl courier_mailbox::Linked for Node {
    /// #     fn link(n: std::ptr::NonNull<Self>) -> std::ptr::NonNull<Link> { n.cast() }
    /// #     unsafe fn from_link(l: std::ptr::NonNull<Link>) -> std::ptr::NonNull<Self> { l.cast() }
    /// # }
    /// assert_eq!(Mailbox::<Node>::new().depth(), 0);
    /// ```
    #[must_use]
    pub fn depth(&self) -> u32 {
        self.load_state().occupancy()
    }

    /// Whether a message waits in a lane that the consumer has not taken yet, including one
    /// whose push is still linking: a snapshot (the turns of M7 decide on the state word's
    /// read-modify-writes, not on this). Stashed messages do not count: they wait for the
    /// consumer to change its predicate, which only the consumer does.
    ///
    /// ```
    /// # use courier_mailbox::{Link, Mailbox};
    /// # #[repr(C)] struct Node { link: Link }
    /// # // SAFETY: `link` is at offset 0 of a `#[repr(C)]` struct.
    /// # unsafe impl courier_mailbox::Linked for Node {
    /// #     fn link(n: std::ptr::NonNull<Self>) -> std::ptr::NonNull<Link> { n.cast() }
    /// #     unsafe fn from_link(l: std::ptr::NonNull<Link>) -> std::ptr::NonNull<Self> { l.cast() }
    /// # }
    /// assert!(!Mailbox::<Node>::new().has_unseen());
    /// ```
    #[must_use]
    pub fn has_unseen(&self) -> bool {
        self.load_state().unseen() != 0
    }

    /// The most messages this mailbox holds.
    ///
    /// ```
    /// # use courier_mailbox::{Link, Mailbox, Pop, Priority};
    /// # use std::ptr::NonNull;
    /// # #[repr(C)] struct Node { link: Link }
    /// # // SAFETY: `link` is at offset 0 of a `#[repr(C)]` struct.
    /// # unsafe impl courier_mailbox::Linked for Node {
    /// #     fn link(n: NonNull<Self>) -> NonNull<Link> { n.cast() }
    /// #     unsafe fn from_link(l: NonNull<Link>) -> NonNull<Self> { l.cast() }
    /// # }
    /// let capacity = courier_mailbox::Capacity::new(3).unwrap();
    /// assert_eq!(Mailbox::<Node>::with_capacity(capacity).capacity(), capacity);
    /// ```
    #[must_use]
    pub fn capacity(&self) -> Capacity {
        self.producers.capacity
    }

    pub(crate) fn load_state(&self) -> State {
        // ORDERING: Relaxed; a count only. A load after a commit reads at or after that commit
        // in the word's modification order (read-after-write coherence), which `drain_next`
        // needs (M9).
        State(self.producers.state.load(Ordering::Relaxed))
    }

    /// The consumer of this mailbox, checked by the borrow: no other consumer can exist.
    ///
    /// ```
    /// # use courier_mailbox::{Link, Mailbox, Pop};
    /// # #[repr(C)] struct Node { link: Link }
    /// # // SAFETY: `link` is at offset 0 of a `#[repr(C)]` struct.
    /// # unsafe impl courier_mailbox::Linked for Node {
    /// #     fn link(n: std::ptr::NonNull<Self>) -> std::ptr::NonNull<Link> { n.cast() }
    /// #     unsafe fn from_link(l: std::ptr::NonNull<Link>) -> std::ptr::NonNull<Self> { l.cast() }
    /// # }
    /// let mut mailbox = Mailbox::<Node>::new();
    /// // SAFETY: the mailbox stays where it is until it is dropped.
    /// unsafe { mailbox.link() };
    /// assert_eq!(mailbox.consumer().pop(), Pop::Empty);
    /// ```
    ///
    /// A second consumer does not compile while the first lives:
    ///
    /// ```compile_fail,E0499
    /// # use courier_mailbox::{Link, Mailbox, Pop, Priority};
    /// # use std::ptr::NonNull;
    /// # #[repr(C)] struct Node { link: Link }
    /// # // SAFETY: `link` is at offset 0 of a `#[repr(C)]` struct.
    /// # unsafe impl courier_mailbox::Linked for Node {
    /// #     fn link(n: NonNull<Self>) -> NonNull<Link> { n.cast() }
    /// #     unsafe fn from_link(l: NonNull<Link>) -> NonNull<Self> { l.cast() }
    /// # }
    /// let mut mailbox = Mailbox::<Node>::new();
    /// // SAFETY: the mailbox stays where it is until it is dropped.
    /// unsafe { mailbox.link() };
    /// let first = mailbox.consumer();
    /// let second = mailbox.consumer();
    /// drop(first);
    /// ```
    ///
    /// # Panics
    ///
    /// If the mailbox is not linked ([`link`](Self::link), M12).
    pub fn consumer(&mut self) -> Consumer<'_, T> {
        assert!(self.is_linked(), "M12: link the mailbox before receiving");
        // SAFETY: `&mut self` excludes every other `Consumer` of this mailbox (M8), and a
        // linked mailbox has not moved since (the promise of `link`, M12).
        unsafe { self.consumer_unchecked() }
    }

    /// The consumer of a shared mailbox. The scheduler calls this while it holds the actor's
    /// right to run, which is what makes it the one consumer.
    ///
    /// # Safety
    ///
    /// - No other [`Consumer`] of this mailbox exists until the returned one is dropped (M8),
    ///   on any thread.
    /// - The mailbox is linked ([`link`](Self::link)), so it stays where it is (M12).
    ///
    /// ```
    /// # use courier_mailbox::{Link, Mailbox, Pop};
    /// # #[repr(C)] struct Node { link: Link }
    /// # // SAFETY: `link` is at offset 0 of a `#[repr(C)]` struct.
    /// # unsafe impl courier_mailbox::Linked for Node {
    /// #     fn link(n: std::ptr::NonNull<Self>) -> std::ptr::NonNull<Link> { n.cast() }
    /// #     unsafe fn from_link(l: std::ptr::NonNull<Link>) -> std::ptr::NonNull<Self> { l.cast() }
    /// # }
    /// let mailbox = std::sync::Arc::new(Mailbox::<Node>::new());
    /// // SAFETY: the mailbox stays where it is until it is dropped.
    /// unsafe { mailbox.link() };
    /// // SAFETY: this is the only consumer of `mailbox`.
    /// let mut consumer = unsafe { mailbox.consumer_unchecked() };
    /// assert_eq!(consumer.pop(), Pop::Empty);
    /// ```
    pub unsafe fn consumer_unchecked(&self) -> Consumer<'_, T> {
        debug_assert!(self.is_linked(), "M12: link the mailbox before receiving");
        // SAFETY: the caller promises that no other consumer exists (M8).
        unsafe { Consumer::new(self, self.consumer_state.get_mut()) }
    }
}

impl<T: Linked> Default for Mailbox<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> fmt::Debug for Mailbox<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // ORDERING: Relaxed; a diagnostic snapshot.
        let state = State(self.producers.state.load(Ordering::Relaxed));
        f.debug_struct("Mailbox")
            .field("state", &state)
            .field("capacity", &self.producers.capacity)
            .finish_non_exhaustive()
    }
}

impl<T> Drop for Mailbox<T> {
    fn drop(&mut self) {
        // ORDERING: Relaxed; `&mut self` means no other thread touches the word any more.
        let state = State(self.producers.state.load(Ordering::Relaxed));
        // Nodes still inside belong to the caller's allocator; the mailbox cannot free them.
        debug_assert!(
            std::thread::panicking() || state.occupancy() == 0,
            "M9: drain a mailbox before dropping it; {state:?}"
        );
    }
}

#[cfg(test)]
mod tests;
