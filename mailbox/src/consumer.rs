//! The consumer side of a mailbox: receive by priority, selectively, or to drain.
//!
//! # Protocol
//!
//! The invariants are those of `mailbox.rs` (M5 to M9), `lane.rs` (M1 to M4) and `stash.rs`
//! (M10, M11). This module keeps:
//!
//! - **M6 (pending pops).** Every node the consumer takes out of a lane owes one unseen unit,
//!   every node it hands to its caller one occupancy unit; `note_pending` adds them to `pending`
//!   and commits (one `fetch_sub`) every `commit_batch` notes, `receive` and `pop` commit before
//!   reporting `Empty` (`pop_in_turn` leaves that to its caller's `end_turn` or `commit`), and
//!   `Drop` commits the rest.
//! - **M8 (one consumer).** A `Consumer` is the only reference to its mailbox's
//!   `ConsumerState` while it lives: `Mailbox::consumer` borrows the mailbox mutably, and the
//!   caller of `Mailbox::consumer_unchecked` promises it (under loom the `MutPtr` guard checks).
//! - **M11 in motion.** A lane node is stashed before it is offered to a predicate and taken
//!   back if it matches, so a panicking predicate leaves every node in a lane or the stash.
//!
//! # Field access
//!
//! | field                        | who                       | how                          |
//! |------------------------------|---------------------------|------------------------------|
//! | `ConsumerState` (all fields) | the one `Consumer` (M8)   | plain, through `parts`        |
//! | `Consumer.pending`           | the `Consumer` itself     | plain                        |
//! | `producers.heads`            | through `LaneTail::pop`   | loads, the stub CAS (M3)      |
//! | `producers.state`            | `commit`, `end_turn`; `drain_next` | `fetch_sub`; `load` |

use std::fmt;
use std::ptr::NonNull;

use crate::lane::{self, LanePop, LaneTail};
use crate::link::{Link, Linked};
use crate::mailbox::{COMMIT_BATCH_MAX, LANE_COUNT, Mailbox, Producers, stub};
use crate::outcome::{EndTurn, Pop};
use crate::stash::Stash;
use crate::state::{
    CLOSED_BIT, MESSAGE_UNIT, NOTE_BATCH_DONE_BIT, NOTE_COUNTER_END, NOTE_SHIFT, NOTE_UNIT,
    OCCUPANCY_UNIT, PENDING_UNITS_MASK, State, TURN_BIT, UNSEEN_UNIT,
};
use crate::sync::{MutPtr, Ordering};

/// What only the consumer touches (M8).
///
/// `repr(C)`, hot fields last: in the mailbox the high and low lanes' stubs and the stashes
/// (cold outside selective receive) fill the first cache line, and the tails, `stashed_len`
/// and `commit_batch` end the second, which no producer writes (`mailbox.rs`, layout).
#[derive(Debug)]
#[repr(C)]
pub(crate) struct ConsumerState {
    stashes: [Stash; LANE_COUNT],
    tails: [LaneTail; LANE_COUNT],
    /// Messages in all three stashes.
    stashed_len: u32,
    /// The high half of a `Consumer`'s `pending` after a commit: the note counter at
    /// `128 - commit_batch` (M6), kept ready so that starting a turn is one shift.
    pending_start_high: u32,
}

// The hot fields sit in the mailbox's second line, away from the stubs that producers write.
#[cfg(not(courier_loom))]
const _: () = assert!(
    std::mem::offset_of!(Mailbox<()>, consumer_state) + std::mem::offset_of!(ConsumerState, tails)
        >= 64
);

impl ConsumerState {
    /// The state of a consumer whose lanes end at `tails`, all of them just their stub.
    #[inline]
    pub(crate) fn new(commit_batch: u32) -> Self {
        assert!(
            commit_batch >= 1,
            "M6: a commit batch holds at least one note"
        );
        debug_assert!(commit_batch <= COMMIT_BATCH_MAX);
        let pending_start = (NOTE_COUNTER_END - u64::from(commit_batch)) << NOTE_SHIFT;
        Self {
            tails: [
                LaneTail::unlinked(),
                LaneTail::unlinked(),
                LaneTail::unlinked(),
            ],
            stashes: [Stash::new(), Stash::new(), Stash::new()],
            stashed_len: 0,
            pending_start_high: u32::try_from(pending_start >> 32)
                .expect("M6: the note counter is in the high half"),
        }
    }

    /// The `pending` of a consumer that owes nothing: the note counter (its top byte) reaches
    /// its top bit after `commit_batch` notes (M6).
    #[inline]
    fn pending_start(&self) -> u64 {
        u64::from(self.pending_start_high) << 32
    }

    /// Points every lane's tail to its stub (`Mailbox::link`).
    #[inline]
    pub(crate) fn link(&mut self, quiet_stubs: &[Link; 2], producers: &Producers) {
        for (lane_index, tail) in self.tails.iter_mut().enumerate() {
            tail.link(NonNull::from(stub(quiet_stubs, producers, lane_index)));
        }
    }

    /// Pops lane `lane_index`. A `&mut ConsumerState` exists only inside the one `Consumer`.
    #[inline]
    fn pop_lane(
        &mut self,
        producers: &Producers,
        quiet_stubs: &[Link; 2],
        lane_index: usize,
    ) -> LanePop {
        let stub = NonNull::from(stub(quiet_stubs, producers, lane_index));
        // SAFETY: `&mut self` is the one consumer's state (M8), and `heads[lane_index]` is the
        // head of the lane whose tail is `tails[lane_index]`.
        unsafe { self.tails[lane_index].pop(&producers.heads[lane_index], stub) }
    }
}

/// The one consumer of a [`Mailbox`] (M8): receives by priority, selectively, or to drain.
///
/// It keeps its pops uncommitted (M6) and commits them when dropped, so a scheduler takes one
/// `Consumer` per turn: receive, then either [`end_turn`](Self::end_turn), which commits and
/// gives up the turn in one step (M7), or drop it to keep the turn (a turn cut short, to run
/// again). Forgetting it (`mem::forget`) keeps its slots reserved for good.
pub struct Consumer<'a, T: Linked> {
    mailbox: &'a Mailbox<T>,
    /// The consumer state, from `_access` (M8).
    raw: NonNull<ConsumerState>,
    /// Holds the exclusive access for the consumer's lifetime (tracked under loom).
    _access: MutPtr<ConsumerState>,
    /// Packed units owed to the state word (M6).
    ///
    /// Its top byte counts the notes since the last commit, starting at `128 - commit_batch`
    /// (`pending_start`), so the `add` of the note that completes a batch sets the top bit:
    /// one `add` and one branch on its sign per note. Below `NOTE_UNIT` are the owed units, laid out
    /// as the state word's fields (at most `COMMIT_BATCH_MAX` of each, so they never reach the
    /// counter).
    pending: u64,
}

impl<T: Linked> fmt::Debug for Consumer<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Consumer")
            .field("mailbox", self.mailbox)
            .field("pending", &State(self.pending & PENDING_UNITS_MASK))
            .finish_non_exhaustive()
    }
}

impl<T: Linked> Drop for Consumer<'_, T> {
    fn drop(&mut self) {
        self.commit();
    }
}

/// Which messages a receive takes. Generic over the predicate, so it inlines into the scan.
enum Want<P> {
    /// Every message: the stash is offered first, lane by lane.
    Any,
    /// The messages a predicate accepts; the rest move to the stash (M11).
    Matching(P),
}

/// The predicate type of `Want::Any`, which never calls it.
type AnyMessage<T> = fn(&T) -> bool;

impl<'a, T: Linked> Consumer<'a, T> {
    /// The consumer of `mailbox`, whose consumer state `access` guards.
    ///
    /// # Safety
    ///
    /// - No other `Consumer` of `mailbox` exists until this one is dropped (M8).
    /// - `access` was taken from `mailbox`'s consumer state cell.
    pub(crate) unsafe fn new(mailbox: &'a Mailbox<T>, access: MutPtr<ConsumerState>) -> Self {
        let raw = access.with(|raw| raw);
        // SAFETY: `raw` comes from an `UnsafeCell`, so it is never null.
        let raw = unsafe { NonNull::new_unchecked(raw) };
        // SAFETY: the caller promises this is the only consumer (M8); the field is read once.
        let pending_start = unsafe { raw.as_ref() }.pending_start();
        Self {
            mailbox,
            raw,
            _access: access,
            pending: pending_start,
        }
    }

    /// The consumer state and the producers' lanes, apart, so both can be used at once.
    fn parts(&mut self) -> (&mut ConsumerState, &'a Producers, &'a [Link; 2]) {
        // SAFETY: this `Consumer` is the only one (M8), and the borrow of `self` keeps this
        // reference unique for as long as it lives.
        let state = unsafe { self.raw.as_mut() };
        (state, &self.mailbox.producers, &self.mailbox.quiet_stubs)
    }

    /// `parts` for the hot `pop`: without loom the consumer state is found from the mailbox
    /// pointer (a fixed offset, `UnsafeCell::get`), which `pop` loads anyway, so it saves the
    /// load of `raw`. Under loom it is `parts`, so the access stays tracked.
    #[inline]
    fn parts_hot(&mut self) -> (&mut ConsumerState, &'a Producers, &'a [Link; 2]) {
        #[cfg(courier_loom)]
        let raw = self.raw;
        #[cfg(not(courier_loom))]
        // SAFETY: the pointer comes from the mailbox's `UnsafeCell`, so it is never null; it is
        // the pointer `raw` holds (without loom, `get_mut` is `UnsafeCell::get`).
        let raw = unsafe {
            NonNull::new_unchecked(self.mailbox.consumer_state.get_mut().with(|raw| raw))
        };
        debug_assert_eq!(raw, self.raw, "M8: one consumer state");
        let mut raw = raw;
        // SAFETY: as in `parts`: this `Consumer` is the only one (M8), and the borrow of `self`
        // keeps this reference unique for as long as it lives.
        let state = unsafe { raw.as_mut() };
        (state, &self.mailbox.producers, &self.mailbox.quiet_stubs)
    }

    /// Receives the next message: high before normal before low; within a lane, stashed
    /// messages first (they came earlier), then the lane in FIFO order per producer. Receiving
    /// this way clears the selective-receive predicate, so the whole stash is offered again.
    ///
    /// Returns [`Pop::Busy`] when a higher lane has a producer in mid-push, rather than skipping
    /// past it, so priorities hold.
    ///
    /// ```
    /// # use std::ptr::NonNull;
    /// # use courier_mailbox::{Link, Linked, Mailbox, Priority, Pop};
    /// # #[repr(C)] struct Node { link: Link }
    /// # // SAFETY: `link` is at offset 0 of a `#[repr(C)]` struct.
    /// # unsafe impl Linked for Node {
    /// #     fn link(n: NonNull<Self>) -> NonNull<Link> { n.cast() }
    /// #     unsafe fn from_link(l: NonNull<Link>) -> NonNull<Self> { l.cast() }
    /// # }
    /// let (mut low, mut high) = (Node { link: Link::new() }, Node { link: Link::new() });
    /// let (low, high) = (NonNull::from(&mut low), NonNull::from(&mut high));
    /// let mut mailbox = Mailbox::new();
    /// // SAFETY: the mailbox stays where it is until it is dropped.
    /// unsafe { mailbox.link() };
    /// // SAFETY: both nodes outlive the mailbox's use of them.
    /// unsafe {
    ///     mailbox.try_push(low, Priority::Low).unwrap();
    ///     mailbox.try_push(high, Priority::High).unwrap();
    /// }
    /// let mut consumer = mailbox.consumer();
    /// assert_eq!(consumer.pop(), Pop::Node(high));
    /// assert_eq!(consumer.pop(), Pop::Node(low));
    /// assert_eq!(consumer.pop(), Pop::Empty);
    /// ```
    #[expect(
        clippy::inline_always,
        reason = "the hot receive: inlined it is 5 instructions shorter (mailbox_instr push_pop)"
    )]
    #[inline(always)]
    pub fn pop(&mut self) -> Pop<NonNull<T>> {
        self.pop_then::<true>()
    }

    /// As [`pop`](Self::pop), but [`Pop::Empty`] leaves the pending pops uncommitted (M6 still
    /// bounds them to one batch): for a turn that ends next, whose
    /// [`end_turn`](Self::end_turn) commits them and clears the turn bit in one RMW rather than
    /// two, or that calls [`commit`](Self::commit) before it waits on
    /// [`Mailbox::has_unseen`], which reads the committed counts.
    ///
    /// ```
    /// # use std::ptr::NonNull;
    /// # use courier_mailbox::{EndTurn, Link, Linked, Mailbox, Priority, Pop};
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
    /// // SAFETY: the node outlives its stay in the mailbox.
    /// unsafe { mailbox.try_push(NonNull::from(&mut node), Priority::Normal).unwrap() };
    /// let mut consumer = mailbox.consumer();
    /// assert!(consumer.pop_in_turn().into_node().is_some());
    /// assert_eq!(consumer.pop_in_turn(), Pop::Empty);
    /// assert!(consumer.mailbox().has_unseen(), "the pop is not committed yet");
    /// assert_eq!(consumer.end_turn(), EndTurn::Idle, "it commits the pop");
    /// assert!(!mailbox.has_unseen());
    /// ```
    #[expect(clippy::inline_always, reason = "the hot receive of a turn, as `pop`")]
    #[inline(always)]
    pub fn pop_in_turn(&mut self) -> Pop<NonNull<T>> {
        self.pop_then::<false>()
    }

    /// `pop` and `pop_in_turn`: `COMMIT_ON_EMPTY` says whether an `Empty` commits first.
    #[expect(clippy::inline_always, reason = "the body of `pop` and `pop_in_turn`")]
    #[inline(always)]
    fn pop_then<const COMMIT_ON_EMPTY: bool>(&mut self) -> Pop<NonNull<T>> {
        let (state, producers, stubs) = self.parts_hot();
        if state.stashed_len != 0 {
            return self.receive::<AnyMessage<T>>(Want::Any);
        }
        // Unrolled, so each lane index is a constant and the empty-lane checks stay flat. The
        // high lane is usually empty: one load tells (`lane::is_surely_empty`).
        let high = if lane::is_surely_empty(&stubs[0]) {
            LanePop::Empty
        } else {
            state.pop_lane(producers, stubs, 0)
        };
        let popped = match high {
            LanePop::Empty => match state.pop_lane(producers, stubs, 1) {
                LanePop::Empty => state.pop_lane(producers, stubs, 2),
                found => found,
            },
            found => found,
        };
        match popped {
            LanePop::Node(link) => {
                self.note_pending(MESSAGE_UNIT);
                // SAFETY: `link` is the link of a node pushed by `try_push`, still live (M1).
                Pop::Node(unsafe { T::from_link(link) })
            }
            LanePop::Empty => {
                if COMMIT_ON_EMPTY {
                    self.commit();
                }
                Pop::Empty
            }
            LanePop::Busy => Pop::Busy,
        }
    }

    /// Receives the first message that `predicate` accepts, by priority as [`pop`](Self::pop)
    /// does. Every message it rejects moves, in order, to the stash of its lane, where the next
    /// call with the same predicate does not look at it again. After the predicate changes, call
    /// [`reoffer_stash`](Self::reoffer_stash) (or receive with `pop`), so the stash is offered
    /// first again.
    ///
    /// A panicking predicate loses nothing: the message it was looking at stays in the stash.
    ///
    /// ```
    /// # use std::ptr::NonNull;
    /// # use courier_mailbox::{Link, Linked, Mailbox, Priority, Pop};
    /// # #[repr(C)] struct Node { link: Link, tag: u8 }
    /// # // SAFETY: `link` is at offset 0 of a `#[repr(C)]` struct.
    /// # unsafe impl Linked for Node {
    /// #     fn link(n: NonNull<Self>) -> NonNull<Link> { n.cast() }
    /// #     unsafe fn from_link(l: NonNull<Link>) -> NonNull<Self> { l.cast() }
    /// # }
    /// let mut nodes = [1, 2, 3].map(|tag| Node { link: Link::new(), tag });
    /// let mut mailbox = Mailbox::new();
    /// // SAFETY: the mailbox stays where it is until it is dropped.
    /// unsafe { mailbox.link() };
    /// for node in &mut nodes {
    ///     // SAFETY: `nodes` outlives the mailbox's use of them.
    ///     unsafe { mailbox.try_push(NonNull::from(node), Priority::Normal).unwrap() };
    /// }
    /// let tag = |pop: Pop<NonNull<Node>>| pop.into_node().map(|n| unsafe { n.as_ref() }.tag);
    /// let mut consumer = mailbox.consumer();
    /// assert_eq!(tag(consumer.pop_matching(|node| node.tag == 3)), Some(3));
    /// assert_eq!(consumer.stashed_len(), 2);
    /// assert_eq!(tag(consumer.pop_matching(|node| node.tag == 3)), None);
    /// consumer.reoffer_stash();
    /// assert_eq!(tag(consumer.pop_matching(|node| node.tag == 2)), Some(2));
    /// assert_eq!(tag(consumer.pop()), Some(1));
    /// ```
    pub fn pop_matching(&mut self, mut predicate: impl FnMut(&T) -> bool) -> Pop<NonNull<T>> {
        self.receive(Want::Matching(&mut predicate))
    }

    /// The predicate changed: every stashed message is offered again, in order, before the
    /// lanes, by the next receive.
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
    /// let mut node = Node { link: Link::new() };
    /// let mut mailbox = Mailbox::new();
    /// // SAFETY: the mailbox stays where it is until it is dropped.
    /// unsafe { mailbox.link() };
    /// // SAFETY: `node` outlives the mailbox's use of it.
    /// unsafe { mailbox.try_push(NonNull::from(&mut node), Priority::Normal).unwrap() };
    /// let mut consumer = mailbox.consumer();
    /// assert_eq!(consumer.pop_matching(|_| false), Pop::Empty);
    /// assert_eq!(consumer.pop_matching(|_| true), Pop::Empty, "examined already");
    /// consumer.reoffer_stash();
    /// assert_eq!(consumer.pop_matching(|_| true), Pop::Node(NonNull::from(&mut node)));
    /// ```
    pub fn reoffer_stash(&mut self) {
        let (state, _, _) = self.parts();
        state.stashes.iter_mut().for_each(Stash::reoffer);
    }

    /// How many messages wait in the stash.
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
    /// let mut node = Node { link: Link::new() };
    /// let mut mailbox = Mailbox::new();
    /// // SAFETY: the mailbox stays where it is until it is dropped.
    /// unsafe { mailbox.link() };
    /// // SAFETY: `node` outlives the mailbox's use of it.
    /// unsafe { mailbox.try_push(NonNull::from(&mut node), Priority::Normal).unwrap() };
    /// let mut consumer = mailbox.consumer();
    /// assert_eq!(consumer.pop_matching(|_| false), Pop::Empty);
    /// assert_eq!(consumer.stashed_len(), 1);
    /// assert!(consumer.pop().into_node().is_some());
    /// assert_eq!(consumer.stashed_len(), 0);
    /// ```
    #[must_use]
    pub fn stashed_len(&self) -> u32 {
        // SAFETY: this `Consumer` is the only one (M8); the shared borrow of `self` excludes
        // `parts` for as long as this reference lives.
        unsafe { self.raw.as_ref() }.stashed_len
    }

    /// Takes the next message regardless of any predicate, stash first: for dead letters after
    /// [`Mailbox::close`], or to move messages elsewhere.
    ///
    /// Unlike [`pop`](Self::pop), it reports [`Pop::Empty`] only when nothing is inside at all,
    /// not even a message whose push is still linking, nor a refused push still backing out;
    /// those are [`Pop::Busy`]. After a close, `Empty` is final: every accepted message has come
    /// out exactly once (M9).
    ///
    /// ```
    /// # use std::ptr::NonNull;
    /// # use courier_mailbox::{Link, Linked, Mailbox, Priority, Pop};
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
    /// // SAFETY: `node` outlives the mailbox's use of it.
    /// unsafe { mailbox.try_push(NonNull::from(&mut node), Priority::Low).unwrap() };
    /// let _ = mailbox.close();
    /// let mut consumer = mailbox.consumer();
    /// assert_eq!(consumer.drain_next(), Pop::Node(NonNull::from(&mut node)));
    /// assert_eq!(consumer.drain_next(), Pop::Empty);
    /// ```
    pub fn drain_next(&mut self) -> Pop<NonNull<T>> {
        // `pop` takes every message, the stash first; with nothing stashed (the usual case) it
        // skips the general receive loop, which an exiting actor's last turn and its cell's
        // drop each paid once (~65 instructions apiece, callgrind).
        match self.pop() {
            Pop::Empty => {}
            found @ (Pop::Node(_) | Pop::Busy) => return found,
        }
        // `receive` committed before reporting `Empty` (M6), so the word is exact.
        if self.mailbox.load_state().occupancy() == 0 {
            Pop::Empty
        } else {
            // An accepted push is still linking, on a lane that looked empty, or a refused push
            // is backing out its reservation (M5); either finishes with its next step.
            Pop::Busy
        }
    }

    /// Writes the pending pops to the state word now (M6). Dropping the consumer does this too.
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
    /// let mut nodes = [Node { link: Link::new() }, Node { link: Link::new() }];
    /// let mailbox = Mailbox::new();
    /// // SAFETY: the mailbox stays where it is until it is dropped.
    /// unsafe { mailbox.link() };
    /// for node in &mut nodes {
    ///     // SAFETY: `nodes` outlives the mailbox's use of them.
    ///     unsafe { mailbox.try_push(NonNull::from(node), Priority::Normal).unwrap() };
    /// }
    /// // SAFETY: the only consumer.
    /// let mut consumer = unsafe { mailbox.consumer_unchecked() };
    /// assert!(consumer.pop().into_node().is_some());
    /// assert_eq!(mailbox.depth(), 2, "the pop is not committed yet");
    /// consumer.commit();
    /// assert_eq!(mailbox.depth(), 1);
    /// # assert!(consumer.pop().into_node().is_some());
    /// ```
    pub fn commit(&mut self) {
        let pending = self.take_pending();
        if pending == 0 {
            return;
        }
        // ORDERING: Relaxed; the word counts only (M6). Read-after-write coherence makes any
        // later load of the word by this thread, such as `drain_next`'s, see it.
        let before = State(
            self.mailbox
                .producers
                .state
                .fetch_sub(pending, Ordering::Relaxed),
        );
        debug_assert!(
            before.0 & !CLOSED_BIT >= pending
                && before.unseen() >= State(pending).unseen()
                && before.occupancy() >= State(pending).occupancy(),
            "M6: pending never exceeds the counts; before {before:?}, pending {:?}",
            State(pending)
        );
    }

    /// Ends the turn the caller holds (M7): commits the pending pops and clears the turn bit
    /// with one `fetch_sub`. If that leaves a message unseen (it arrived during the turn, or is
    /// still being linked), the consumer claims the next turn itself: [`EndTurn::Reschedule`]
    /// means it holds it and must run again; [`EndTurn::Idle`] means nothing waits or another
    /// claimer holds the turn now.
    ///
    /// The caller must hold the turn: it claimed it ([`Mailbox::claim_turn`], a push that
    /// reported [`Pushed::Schedule`](crate::Pushed::Schedule), or an `end_turn` that rescheduled).
    ///
    /// ```
    /// # use std::ptr::NonNull;
    /// # use courier_mailbox::{EndTurn, Link, Linked, Mailbox, Priority, Pushed};
    /// # #[repr(C)] struct Node { link: Link }
    /// # // SAFETY: `link` is at offset 0 of a `#[repr(C)]` struct.
    /// # unsafe impl Linked for Node {
    /// #     fn link(n: NonNull<Self>) -> NonNull<Link> { n.cast() }
    /// #     unsafe fn from_link(l: NonNull<Link>) -> NonNull<Self> { l.cast() }
    /// # }
    /// let mut nodes = [Node { link: Link::new() }, Node { link: Link::new() }];
    /// let [a, b] = &mut nodes;
    /// let mut mailbox = Mailbox::new();
    /// // SAFETY: the mailbox stays where it is until it is dropped.
    /// unsafe { mailbox.link() };
    /// // SAFETY (both pushes): the nodes outlive their stay in the mailbox.
    /// let first = unsafe { mailbox.try_push(NonNull::from(a), Priority::Normal) };
    /// assert_eq!(first, Ok(Pushed::Schedule), "the first push claims the turn");
    /// let mut consumer = mailbox.consumer();
    /// assert!(consumer.pop().into_node().is_some());
    /// // A push during the turn leaves its message to the turn.
    /// // SAFETY: as above; only a shared borrow of the mailbox is needed to push.
    /// let during = unsafe { consumer.mailbox().try_push(NonNull::from(b), Priority::Normal) };
    /// assert_eq!(during, Ok(Pushed::Queued));
    /// assert_eq!(consumer.end_turn(), EndTurn::Reschedule, "its message is unseen");
    /// let mut consumer = mailbox.consumer();
    /// assert!(consumer.pop().into_node().is_some());
    /// assert_eq!(consumer.end_turn(), EndTurn::Idle);
    /// ```
    pub fn end_turn(mut self) -> EndTurn {
        // Taken here, so nothing is left for `drop` to commit.
        let pending = self.take_pending();
        // ORDERING: AcqRel. Release hands this turn's writes (the consumer's state, and what
        // the scheduler did in the turn) to the next `claim_turn`, which reads from this RMW
        // or from the release sequence it heads; Acquire orders what we read here before our
        // own claim below.
        let before = State(
            self.mailbox
                .producers
                .state
                .fetch_sub(pending | TURN_BIT, Ordering::AcqRel),
        );
        debug_assert!(
            before.turn_owed()
                && before.unseen() >= State(pending).unseen()
                && before.occupancy() >= State(pending).occupancy(),
            "M6, M7: a turn holder commits what it owes; before {before:?}, pending {:?}",
            State(pending)
        );
        let left = State(before.0 - (pending | TURN_BIT));
        if left.unseen() != 0 && self.mailbox.claim_turn() {
            EndTurn::Reschedule
        } else {
            EndTurn::Idle
        }
    }

    /// The units owed to the state word (M6), leaving none owed and the note counter restarted.
    fn take_pending(&mut self) -> u64 {
        let (state, _, _) = self.parts();
        let start = state.pending_start();
        std::mem::replace(&mut self.pending, start) & PENDING_UNITS_MASK
    }

    /// The mailbox this consumer receives from (to push to it, for example).
    #[must_use]
    pub fn mailbox(&self) -> &'a Mailbox<T> {
        self.mailbox
    }

    /// The receive loop behind `pop` (with a stash), `pop_matching` and `drain_next`.
    fn receive<P: FnMut(&T) -> bool>(&mut self, mut want: Want<P>) -> Pop<NonNull<T>> {
        let (state, _, _) = self.parts();
        if matches!(want, Want::Any) {
            state.stashes.iter_mut().for_each(Stash::reoffer);
        }
        for lane_index in 0..LANE_COUNT {
            match self.receive_from_lane(lane_index, &mut want) {
                Pop::Node(node) => return Pop::Node(node),
                Pop::Empty => {}
                Pop::Busy => return Pop::Busy,
            }
        }
        self.commit();
        Pop::Empty
    }

    /// One lane of `receive`: its stash's unexamined part, then the lane itself.
    fn receive_from_lane<P: FnMut(&T) -> bool>(
        &mut self,
        lane_index: usize,
        want: &mut Want<P>,
    ) -> Pop<NonNull<T>> {
        if let Some(link) = self.receive_from_stash(lane_index, want) {
            self.note_pending(OCCUPANCY_UNIT);
            // SAFETY: a stashed link belongs to a live node pushed by `try_push` (M1, M10).
            return Pop::Node(unsafe { T::from_link(link) });
        }
        loop {
            let (state, producers, stubs) = self.parts();
            let link = match state.pop_lane(producers, stubs, lane_index) {
                LanePop::Node(link) => link,
                LanePop::Empty => return Pop::Empty,
                LanePop::Busy => return Pop::Busy,
            };
            // SAFETY: `link` belongs to a live node pushed by `try_push`, now ours (M1).
            let node = unsafe { T::from_link(link) };
            let Want::Matching(predicate) = want else {
                self.note_pending(MESSAGE_UNIT);
                return Pop::Node(node);
            };
            // Stash first, so that a panicking predicate leaves the node in the stash (M11).
            let appended = state.stashes[lane_index].push_examined(link);
            state.stashed_len += 1;
            self.note_pending(UNSEEN_UNIT);
            // SAFETY: the node is live and ours (M1); the predicate gets a shared borrow only.
            if predicate(unsafe { node.as_ref() }) {
                let (state, _, _) = self.parts();
                let taken = state.stashes[lane_index].take_back(appended);
                debug_assert_eq!(taken, Some(link), "M11: the node just appended comes back");
                state.stashed_len -= 1;
                self.note_pending(OCCUPANCY_UNIT);
                return Pop::Node(node);
            }
        }
    }

    /// The first stashed message of lane `lane_index` that `want` accepts, taken out.
    fn receive_from_stash<P: FnMut(&T) -> bool>(
        &mut self,
        lane_index: usize,
        want: &mut Want<P>,
    ) -> Option<NonNull<Link>> {
        let (state, _, _) = self.parts();
        let stash = &mut state.stashes[lane_index];
        let taken = match want {
            Want::Any => stash.take_first(),
            Want::Matching(predicate) => loop {
                let link = stash.first_unexamined()?;
                // SAFETY: a stashed link belongs to a live node pushed by `try_push` (M1, M10).
                let node = unsafe { T::from_link(link) };
                // SAFETY: the node is live and ours (M1); the predicate gets a shared borrow.
                if predicate(unsafe { node.as_ref() }) {
                    break stash.remove_first_unexamined();
                }
                stash.mark_examined(link);
            },
        };
        if taken.is_some() {
            state.stashed_len -= 1;
        }
        taken
    }

    /// Owes `units` (at most one of each kind) to the state word; every `commit_batch` notes
    /// it commits, so neither count is ever more than one batch stale (M6).
    #[inline]
    fn note_pending(&mut self, units: u64) {
        debug_assert!(units & !PENDING_UNITS_MASK == 0);
        self.pending = self.pending.wrapping_add(units | NOTE_UNIT);
        // The counter reached its top bit: a batch of notes is complete.
        if self.pending & NOTE_BATCH_DONE_BIT != 0 {
            self.commit();
        }
    }
}
