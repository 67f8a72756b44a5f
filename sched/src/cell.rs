//! The actor cell: the mailbox (whose state word also says whether a turn is owed) and the
//! actor, behind one pointer.
//!
//! # Protocol
//!
//! - **C1** `refs` counts the `ActorRef`s plus one *schedule token* while the actor is queued or
//!   running. The actor's turn is claimed in its mailbox's state word (mailbox M7): the spawner
//!   claims the first, and a sender whose push reports `Pushed::Schedule` claimed the next; the
//!   claimer takes the token (adds one) before it queues the actor, and a turn that ends idle
//!   gives it back. When `refs` reaches zero nobody can send to the actor and no worker holds
//!   it: the one who let go owns the cell. If the actor has exited, it frees the cell; if not
//!   (it was idle), it stops it (`stop_unreferenced`): its push of `Stop` claims the turn, so it
//!   takes a token (0 -> 1) and queues the actor, whose last turn exits and whose end frees.
//! - **C2** Only the worker running the actor touches `slot` and the mailbox's consumer side:
//!   one turn is claimed at a time (M7), and the claimer queues the actor once (M8).
//! - **C3** A turn that finds the mailbox empty ends with `Consumer::end_turn`, which commits its
//!   pops and gives the turn up in one RMW of the mailbox's state word; if a message came
//!   meanwhile it claims the next turn, and the actor runs again with the same token. A turn cut
//!   short (activation budget, a producer mid-push) keeps its claim and is queued again.
//! - **C4** Once the actor has exited, its mailbox is closed; messages still inside (or pushed
//!   by senders that reserved before the close) are dead-lettered by later turns, each once.

use std::fmt;
use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::sync::Arc;

use courier_mailbox::{Capacity, EndTurn, Mailbox, Pop, Priority, PushError, Pushed};

use crate::cell_memory::{self, CellSource};
use crate::dead_letter::Undelivered;
use crate::envelope::{self, Envelope, TypeTag};
use crate::panic::{HandlerOutcome, run_handler, run_quietly};
use crate::room_wait::RoomWait;
use crate::runtime::Shared;
use crate::supervision::{ChildEvent, ChildEventKind, Factory, Guardian, Supervision, Termination};
use crate::sync::{
    Cell as StdCell, StdAtomicBool, StdAtomicUsize, StdOrdering, UnsafeCell, std_fence,
};
use crate::watch::{Down, ExitSignal, Watcher, Watchers};
use crate::watch_word::{WatchLock, WatchWord};
use crate::worker::{Worker, with_pools};
use crate::{Actor, ActorId, Context, Exit};

/// Messages of the runtime itself, in the same mailbox as the actor's own.
#[derive(Debug)]
pub(crate) enum SystemMessage {
    /// Stop after the messages queued before this one: `Exit::Normal`.
    Stop,
    /// Stop now; queued messages are dead-lettered: `Exit::Killed`.
    Kill,
    /// A monitored actor exited.
    Down(Down),
    /// A linked actor exited.
    ExitSignal(ExitSignal),
    /// The period of [`Context::after`] came round: run `Actor::after`.
    After,
    /// A supervisor: build a fresh instance in the suspended cell (R2 of `supervision.rs`).
    Restart {
        /// Keep the queued messages for the new instance, or dead-letter them.
        keep_mailbox: bool,
    },
    /// A supervisor: end the current instance and suspend the cell (R1).
    Suspend(Termination),
    /// A supervisor: end the cell for good (R2).
    ShutDown(Termination),
}

/// How a turn ended, for the worker.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TurnEnd {
    /// The actor is idle; the worker gives back the schedule token (C1).
    Idle,
    /// The actor is owed another turn; the worker queues it again (keeping the token).
    Requeue,
    /// As `Requeue`, but the turn handled nothing: a producer of the actor's is between
    /// reserving its slot and linking its message (`Worker::back_off_stalled`).
    Stalled,
}

/// The type-erased fields of every cell, after its mailbox (`Cell`).
pub(crate) struct Header {
    refs: StdAtomicUsize,
    vtable: &'static Vtable,
    pub(crate) id: ActorId,
    /// The node whose injector the actor is queued on when woken from outside.
    pub(crate) home: u16,
    /// A counted reference to the runtime, given back through `Shared::release_ref` when the
    /// cell goes (a worker banks it instead of moving the shared count's line, `worker.rs`).
    pub(crate) runtime: ManuallyDrop<Arc<Shared>>,
    /// Monitors of this actor and its links (L1): `Header::watchers`.
    watch_word: WatchWord<Watcher>,
    watch_lock: WatchLock,
    /// Whether link exits arrive as `ExitSignal`s instead of stopping the actor; touched only by
    /// the worker running the actor (C2).
    pub(crate) trap_exit: StdCell<bool>,
    /// Whether the actor ever took a name in the registry (so most exits skip the registry).
    named: StdAtomicBool,
    /// Where the cell's memory came from (`cell_memory.rs`), for `drop_cell` to give it back.
    memory: CellSource,
}

impl Drop for Header {
    fn drop(&mut self) {
        // SAFETY: the field is never used again: the header is being dropped.
        let runtime = unsafe { ManuallyDrop::take(&mut self.runtime) };
        Shared::release_ref(runtime);
    }
}

impl Header {
    /// Monitors of this actor and its links (L1).
    pub(crate) fn watchers(&self) -> Watchers<'_> {
        Watchers::new(&self.watch_lock, &self.watch_word)
    }

    pub(crate) fn mark_named(&self) {
        // ORDERING: Relaxed; set under the registry lock, read by the exit, which then takes
        // that lock: the lock orders them.
        self.named.store(true, StdOrdering::Relaxed);
    }
}

struct Vtable {
    run_turn: unsafe fn(ActorPtr, &Worker) -> TurnEnd,
    drop_cell: unsafe fn(ActorPtr),
    shut_down: unsafe fn(ActorPtr),
}

/// An actor's cell: four 64-byte lines for an actor without state (the mailbox's three, then
/// the header's 48 bytes and the slot's 16 in one); an actor's state adds whole lines.
///
/// The mailbox and the header are at the same offsets in every `Cell<A>` (`repr(C)`, and their
/// types do not depend on `A`), so an `ActorPtr` reaches them without knowing `A`. There is no
/// type-erased struct of the two: its size would be rounded up to the mailbox's 64-byte
/// alignment, and a reference to it would cover the slot that follows.
#[repr(C)]
struct Cell<A: Actor> {
    mailbox: Mailbox<Envelope>,
    header: Header,
    slot: UnsafeCell<Slot<A>>,
}

/// Where the header starts in every cell: right after the mailbox, as `repr(C)` lays it out
/// (checked for each actor type in `ActorPtr::with_supervision`).
const HEADER_OFFSET: usize = size_of::<Mailbox<Envelope>>().next_multiple_of(align_of::<Header>());

struct Slot<A: Actor> {
    actor: Option<A>,
    started: bool,
    /// The actor has exited for good (C4): what is left in the mailbox is dead-lettered.
    exited: bool,
    /// What most actors never need, boxed on first use: an idle actor's cell stays four lines,
    /// and the turn loop's hot path tests one pointer.
    rare: Option<Box<Rare<A>>>,
}

/// The rarely used state of an actor (`Slot::rare`).
struct Rare<A: Actor> {
    /// Selective receive: only messages it accepts are handled; the others wait in the
    /// mailbox's stash, in order, until the filter changes or is cleared.
    filter: Option<Filter<A::Msg>>,
    /// Present for a supervised actor: its factory, its guardian, whether it is suspended.
    supervision: Option<Supervision<A>>,
    /// A restart asked for the queued user messages to be dead-lettered (R2).
    discard_queued: bool,
    /// `filter` is only the trigger that takes the turn loop to `discard_queued`.
    trigger_filter: bool,
}

impl<A: Actor> Rare<A> {
    fn boxed(supervision: Option<Supervision<A>>) -> Box<Rare<A>> {
        Box::new(Rare {
            filter: None,
            supervision,
            discard_queued: false,
            trigger_filter: false,
        })
    }
}

/// How the turn loop takes the next message.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ReceiveMode {
    /// No filter, not exited: the plain pop (which also re-offers a stash left by an old
    /// filter).
    Plain,
    /// Exited: everything left, stash included, goes to dead letters (C4).
    Drain,
    /// Through the selective-receive filter.
    Filtered,
}

impl<A: Actor> Slot<A> {
    fn receive_mode(&self) -> ReceiveMode {
        if self.exited {
            return ReceiveMode::Drain;
        }
        match self.rare.as_deref() {
            Some(rare) if rare.filter.is_some() => ReceiveMode::Filtered,
            _ => ReceiveMode::Plain,
        }
    }

    fn rare_mut(&mut self) -> &mut Rare<A> {
        self.rare.get_or_insert_with(|| Rare::boxed(None))
    }

    fn set_filter(&mut self, filter: Option<Filter<A::Msg>>) {
        if filter.is_some() || self.rare.is_some() {
            self.rare_mut().filter = filter;
        }
    }

    fn take_filter(&mut self) -> Option<Filter<A::Msg>> {
        self.rare.as_mut().and_then(|rare| rare.filter.take())
    }

    fn supervision(&self) -> Option<&Supervision<A>> {
        self.rare
            .as_ref()
            .and_then(|rare| rare.supervision.as_ref())
    }

    fn supervision_mut(&mut self) -> Option<&mut Supervision<A>> {
        self.rare
            .as_mut()
            .and_then(|rare| rare.supervision.as_mut())
    }

    fn supervision_take(&mut self) -> Option<Supervision<A>> {
        self.rare.as_mut().and_then(|rare| rare.supervision.take())
    }
}

/// A selective-receive filter (see [`Context::set_filter`]).
pub(crate) type Filter<M> = Box<dyn FnMut(&M) -> bool + Send>;

/// What a handler did to the filter.
pub(crate) enum FilterChange<M> {
    Set(Filter<M>),
    Clear,
}

/// A pointer to a live cell (C1 keeps it live while held): to its start, where its mailbox is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct ActorPtr(NonNull<ActorMailbox>);

/// Every actor's mailbox, at the start of its cell.
pub(crate) type ActorMailbox = Mailbox<Envelope>;

// SAFETY: cells are shared between threads by design: every field is either atomic, the
// mailbox (Sync), immutable after spawn, or reached by one worker at a time (C2).
unsafe impl Send for ActorPtr {}
// SAFETY: as above.
unsafe impl Sync for ActorPtr {}

impl fmt::Debug for ActorPtr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.header().id)
    }
}

impl ActorPtr {
    /// The cell's address, for queues that hold plain pointers (`Inbox`).
    pub(crate) fn as_non_null(self) -> NonNull<ActorMailbox> {
        self.0
    }

    /// The pointer `as_non_null` gave, back; C1 still applies to whoever holds it.
    pub(crate) fn from_non_null(ptr: NonNull<ActorMailbox>) -> ActorPtr {
        ActorPtr(ptr)
    }

    /// A new cell for `actor`, scheduled (so `started` runs), with one `ActorRef` and the
    /// schedule token counted (C1).
    pub(crate) fn new<A: Actor>(
        actor: A,
        id: ActorId,
        home: u16,
        capacity: Capacity,
        runtime: Arc<Shared>,
    ) -> ActorPtr {
        Self::with_supervision(actor, None, id, home, capacity, runtime)
    }

    /// A new cell for a supervised actor: `actor` is its first instance, `factory` builds the
    /// next ones, `guardian` hears of each one's end (`supervision.rs`). Counted as `new`, plus
    /// one reference for the caller's `ChildHandle`.
    pub(crate) fn new_supervised<A: Actor>(
        actor: A,
        factory: Factory<A>,
        guardian: Guardian,
        id: ActorId,
        home: u16,
        capacity: Capacity,
        runtime: Arc<Shared>,
    ) -> ActorPtr {
        let supervision = Supervision {
            factory,
            guardian,
            suspended: None,
            instance: 0,
        };
        let ptr = Self::with_supervision(actor, Some(supervision), id, home, capacity, runtime);
        ptr.retain();
        ptr
    }

    fn with_supervision<A: Actor>(
        actor: A,
        supervision: Option<Supervision<A>>,
        id: ActorId,
        home: u16,
        capacity: Capacity,
        runtime: Arc<Shared>,
    ) -> ActorPtr {
        const { assert!(std::mem::offset_of!(Cell<A>, header) == HEADER_OFFSET) };
        // Allocated first and written in place: `Box::new` built the 256-byte cell on the stack
        // and copied it over (29 of a spawn's 360 instructions in `spawn_instr`).
        let (raw, memory) = cell_memory::allocate::<Cell<A>>(&runtime, runtime.node_of_home(home));
        let cell = Cell {
            // The spawner holds the first turn (so `started` runs) and queues the actor (C1).
            mailbox: Mailbox::with_capacity_claimed(capacity),
            header: Header {
                refs: StdAtomicUsize::new(2),
                vtable: vtable::<A>(),
                id,
                home,
                runtime: ManuallyDrop::new(runtime),
                watch_word: WatchWord::new(),
                watch_lock: WatchLock::new(),
                trap_exit: StdCell::new(false),
                named: StdAtomicBool::new(false),
                memory,
            },
            slot: UnsafeCell::new(Slot {
                actor: Some(actor),
                started: false,
                exited: false,
                rare: supervision.map(|supervision| Rare::boxed(Some(supervision))),
            }),
        };
        // SAFETY: fresh memory for a `Cell<A>` (`allocate`), ours alone.
        unsafe { raw.write(cell) };
        // SAFETY: written just above; nobody else can reach it yet.
        let cell = unsafe { raw.as_ref() };
        // SAFETY: the cell stays where `allocate` put it until `drop_cell` frees it (M12 of
        // the mailbox), and no other thread can reach it yet.
        unsafe { cell.mailbox.link() };
        ActorPtr(NonNull::from(cell).cast())
    }

    pub(crate) fn mailbox(&self) -> &ActorMailbox {
        // SAFETY: the caller holds a reference or the token (C1), so the cell is live; its
        // mailbox is at its start (`Cell`).
        unsafe { self.0.as_ref() }
    }

    pub(crate) fn header(&self) -> &Header {
        // SAFETY: the header is `HEADER_OFFSET` bytes into every cell (`Cell`), inside it.
        let header = unsafe { self.0.byte_add(HEADER_OFFSET) }.cast::<Header>();
        // SAFETY: the caller holds a reference or the token (C1), so the cell is live.
        unsafe { header.as_ref() }
    }

    /// Adds a reference (an `ActorRef` clone, or the schedule token).
    pub(crate) fn retain(self) {
        // ORDERING: Relaxed, as `Arc::clone`: the caller already holds a reference.
        self.header().refs.fetch_add(1, StdOrdering::Relaxed);
    }

    /// Drops a reference; the last one frees the cell (C1).
    ///
    /// # Safety
    /// - The caller owns the reference it gives up and does not use `self` afterwards.
    pub(crate) unsafe fn release(self) {
        // ORDERING: Release, as `Arc::drop`: our uses of the cell happen before its free.
        if self.header().refs.fetch_sub(1, StdOrdering::Release) == 1 {
            // ORDERING: Acquire; pairs with every other releaser's Release decrement.
            std_fence(StdOrdering::Acquire);
            // SAFETY: that was the last reference: nobody else can reach the cell.
            unsafe { (self.header().vtable.drop_cell)(self) };
        }
    }

    /// Gives up the schedule token of an actor queued when its runtime shut down, which no
    /// worker will run again: its mailbox is closed first (later sends get `Closed` back, and a
    /// sender waiting for room stops waiting), and what it holds is dead-lettered now, so a
    /// request in it drops its reply handle and its asker hears at once.
    ///
    /// # Safety
    /// - The caller took the actor from a run queue, with its token and turn (C1, C2), and does
    ///   not use `self` afterwards.
    pub(crate) unsafe fn shut_down_queued(self) {
        // SAFETY: forwarded from the caller: the turn makes us the mailbox's one consumer.
        unsafe { (self.header().vtable.shut_down)(self) };
        // SAFETY: the token is the caller's, given up here.
        unsafe { self.release() };
    }

    /// Runs one turn on `worker`.
    ///
    /// # Safety
    /// - The caller took the actor from a run queue, with its schedule token and turn (C1, C2).
    pub(crate) unsafe fn run_turn(self, worker: &Worker) -> TurnEnd {
        // SAFETY: forwarded from the caller.
        unsafe { (self.header().vtable.run_turn)(self, worker) }
    }

    /// Queues the actor after the push of `woken_by` claimed its turn (`Pushed::Schedule`,
    /// mailbox M7), taking the schedule token (C1).
    #[inline]
    pub(crate) fn schedule_claimed(self, woken_by: NonNull<Envelope>) {
        self.retain();
        self.header().runtime.schedule_woken(self, Some(woken_by));
    }

    /// Sends a runtime message to this actor; `false` when it was refused (the actor stopped,
    /// or its mailbox is full on a worker thread, where waiting is not allowed).
    pub(crate) fn send_system(self, message: SystemMessage, priority: Priority) -> bool {
        let mut message = message;
        let mut room = RoomWait::new();
        loop {
            let packed =
                with_pools(|pools| envelope::pack(pools, message, TypeTag::System, priority, 0));
            let Ok(envelope) = packed else { return false };
            // SAFETY: the envelope is ours, live until it comes back out of the mailbox, and
            // in no other mailbox.
            // Over capacity (mailbox M13): a full mailbox of ordinary messages must not refuse
            // a stop, a supervisor's restart or a monitor's notice.
            match unsafe { self.mailbox().try_push_over_capacity(envelope, priority) } {
                Ok(Pushed::Schedule) => {
                    self.schedule_claimed(envelope);
                    return true;
                }
                Ok(Pushed::Queued) => return true,
                Err(PushError::Closed(envelope)) => {
                    // SAFETY: a refused envelope is ours again, packed with a `SystemMessage`.
                    let _refused = unsafe { envelope::take::<SystemMessage>(envelope) };
                    return false;
                }
                // Even the room beyond the capacity is used up (65,536 control messages queued):
                // wait for room, but not on a worker, where it would block the actor that has
                // to make room; there it gives up, and the caller counts a dead letter.
                Err(PushError::Full(envelope)) => {
                    // SAFETY: as above.
                    message = unsafe { envelope::take::<SystemMessage>(envelope) };
                    if crate::worker::on_worker_thread() {
                        return false;
                    }
                    room.wait_beyond_capacity(self.mailbox());
                }
            }
        }
    }
}

fn vtable<A: Actor>() -> &'static Vtable {
    const {
        &Vtable {
            run_turn: run_turn::<A>,
            drop_cell: drop_cell::<A>,
            shut_down: shut_down_cell::<A>,
        }
    }
}

/// One turn of actor `A`: up to the activation budget of messages (C2-C4, mailbox M7).
///
/// # Safety
/// As [`ActorPtr::run_turn`].
unsafe fn run_turn<A: Actor>(ptr: ActorPtr, worker: &Worker) -> TurnEnd {
    // SAFETY: the token keeps the cell live (C1); it is a `Cell<A>` (its vtable says so).
    let cell = unsafe { ptr.0.cast::<Cell<A>>().as_ref() };
    // SAFETY: only the worker running the actor reaches the slot (C2).
    let slot = unsafe { &mut *cell.slot.get() };
    let mut turn = Turn {
        ptr,
        worker,
        handled: 0,
        filter_changed: false,
        in_handle: false,
    };
    if !slot.started {
        turn.start(slot);
    }
    let budget = worker.activation_budget();
    let address = ptr.0.as_ptr().addr();
    let mut linger = worker.new_linger(address);
    let end = loop {
        let handled_before = turn.handled;
        // SAFETY: the one consumer is the worker running the actor (C2, M8).
        let mut consumer = unsafe { cell.mailbox.consumer_unchecked() };
        let received = turn.receive(slot, &mut consumer, budget);
        if received == Received::Spent {
            // Budget spent: keep the turn (dropping the consumer commits).
            drop(consumer);
            break TurnEnd::Requeue;
        }
        if turn.handled > handled_before {
            linger.on_progress();
        }
        // Nothing ready: for a live actor on a worker with nothing else to do, the next message
        // often comes within a round trip, and a producer mid-push links its message within a few
        // instructions; the turn waits for either rather than ending (`Worker::linger`).
        if !slot.exited && worker.may_linger(&linger) {
            // The wait reads the state word's unseen count: this turn's pops go in first (M6).
            consumer.commit();
            if worker.linger(&mut linger, || cell.mailbox.has_unseen()) {
                continue;
            }
        }
        if received == Received::Busy {
            // A producer is still mid-push: keep the turn, back through the queue, so the
            // worker does not spin on a preempted producer.
            drop(consumer);
            break turn.requeue_end();
        }
        // C3: one RMW commits and gives the turn up; a message that came meanwhile is claimed
        // back. Then the next turn runs right here, without a trip through the run queue, while
        // the budget lasts and the last round handled something (a round that handled nothing
        // met a producer between its reservation and its link: it goes to the queue, so the
        // worker does not spin on it).
        match consumer.end_turn() {
            EndTurn::Reschedule if turn.handled < budget && turn.handled > handled_before => {}
            EndTurn::Reschedule => break turn.requeue_end(),
            EndTurn::Idle => break TurnEnd::Idle,
        }
    };
    if end != TurnEnd::Idle {
        worker.keep_linger(address, &linger, turn.handled >= budget);
    }
    worker.count_messages(turn.handled);
    end
}

/// How a round of receives in a turn ended.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Received {
    /// The mailbox had nothing more for the actor: the turn may end.
    Empty,
    /// A producer is mid-push (`Pop::Busy`): its message is on the way.
    Busy,
    /// The activation budget is spent: the actor keeps its turn and goes back to the queue.
    Spent,
}

impl Turn<'_> {
    /// Receives and handles messages until the mailbox is empty or the budget is spent.
    fn receive<A: Actor>(
        &mut self,
        slot: &mut Slot<A>,
        consumer: &mut courier_mailbox::Consumer<'_, Envelope>,
        budget: u32,
    ) -> Received {
        let (ptr, worker) = (self.ptr, self.worker);
        loop {
            if self.handled >= budget {
                return Received::Spent;
            }
            let popped = match slot.receive_mode() {
                // The hot path. An `Empty` leaves this turn's pops to `end_turn`, which commits
                // them with the turn bit (one RMW, not two), or to the commit before a linger.
                ReceiveMode::Plain => consumer.pop_in_turn(),
                ReceiveMode::Drain => consumer.drain_next(),
                ReceiveMode::Filtered => {
                    if self.discard_queued(slot, consumer) {
                        continue;
                    }
                    let mut filter = slot.take_filter().expect("a filter is set: checked above");
                    if std::mem::take(&mut self.filter_changed) {
                        consumer.reoffer_stash();
                    }
                    let (popped, panicked) = pop_filtered::<A>(consumer, &mut filter);
                    slot.set_filter(Some(filter));
                    if let Some(message) = panicked {
                        let ctx = Context::new(ptr, worker);
                        self.exit(slot, Exit::Panicked { message }, ctx);
                        // Go on to drain (the stash included, C4): an `Empty` here is not the
                        // end.
                        if let Pop::Node(envelope) = popped {
                            self.handled += 1;
                            self.deliver(slot, envelope);
                        }
                        continue;
                    }
                    popped
                }
            };
            match popped {
                Pop::Node(envelope) => {
                    envelope::prefetch_ahead_in_stream(envelope);
                    self.handled += 1;
                    self.deliver(slot, envelope);
                }
                Pop::Empty => return Received::Empty,
                Pop::Busy => return Received::Busy,
            }
        }
    }
}

/// Pops the next message the filter accepts (system messages always pass). A panicking filter
/// rejects its message (it stays stashed) and is reported, to end the actor.
fn pop_filtered<A: Actor>(
    consumer: &mut courier_mailbox::Consumer<'_, Envelope>,
    filter: &mut Filter<A::Msg>,
) -> (Pop<NonNull<Envelope>>, Option<String>) {
    let mut panicked = None;
    let popped = consumer.pop_matching(|envelope| {
        if envelope.type_tag == TypeTag::System {
            return true;
        }
        // SAFETY: a user envelope in this actor's mailbox carries an `A::Msg`, alive while
        // it is in the mailbox.
        let message = unsafe { envelope::peek::<A::Msg>(envelope) };
        let mut accepted = false;
        if let HandlerOutcome::Panicked(text) = run_handler::<()>(|| {
            accepted = filter(message);
            Ok(())
        }) {
            panicked = Some(text);
        }
        accepted && panicked.is_none()
    });
    (popped, panicked)
}

/// The state of one turn.
struct Turn<'w> {
    ptr: ActorPtr,
    worker: &'w Worker,
    handled: u32,
    /// A handler set or cleared the filter: the stash is offered again.
    filter_changed: bool,
    /// The outcome being settled came from `handle` (a failure there consumed its message).
    in_handle: bool,
}

impl Turn<'_> {
    /// How a turn that keeps its claim ends: `Stalled` when it handled nothing at all.
    fn requeue_end(&self) -> TurnEnd {
        if self.handled == 0 {
            TurnEnd::Stalled
        } else {
            TurnEnd::Requeue
        }
    }

    /// Hands one message to the actor, or to dead letters once it has exited (C4).
    #[expect(
        clippy::inline_always,
        reason = "the message path: with `run_handler` inlined into it, 51 instructions a message fewer (see `run_handler`)"
    )]
    #[inline(always)]
    fn deliver<A: Actor>(&mut self, slot: &mut Slot<A>, envelope: NonNull<Envelope>) {
        // SAFETY: a popped envelope is ours, written by `pack` (C2).
        let type_tag = unsafe { envelope.as_ref() }.type_tag;
        if type_tag == TypeTag::System {
            // SAFETY: system envelopes carry a `SystemMessage`.
            let (system, block) = unsafe { envelope::unpack::<SystemMessage>(envelope) };
            self.worker.free_block(block);
            self.deliver_system(slot, system);
            return;
        }
        if slot.exited {
            let header = self.ptr.header();
            // SAFETY: an envelope of this actor, out of the mailbox.
            unsafe {
                dead_letter_envelope::<A>(
                    &header.runtime,
                    header.id,
                    envelope,
                    Undelivered::Exited,
                );
            }
            return;
        }
        // SAFETY: user envelopes of a `Cell<A>` carry `A::Msg` (`ActorRef<A::Msg>::send`).
        let (message, block) = unsafe { envelope::unpack::<A::Msg>(envelope) };
        self.worker.free_block(block);
        let mut ctx = Context::new(self.ptr, self.worker);
        let Some(actor) = slot.actor.as_mut() else {
            // A supervised cell between instances holds user messages back with its filter, and
            // an exited one dead-letters them above, so no user message comes here. (Making this
            // a dead letter, even out of line, cost the message path 5 instructions a message.)
            debug_assert!(false, "a user message for a cell with no instance");
            return;
        };
        let outcome = run_handler(|| actor.handle(&mut ctx, message));
        // The hot path: the handler returned Ok and asked for nothing.
        if matches!(outcome, HandlerOutcome::Ok) && !ctx.has_requests() {
            return;
        }
        self.in_handle = true;
        self.settle(slot, outcome, ctx);
        self.in_handle = false;
    }

    /// Dead-letters the user messages queued for a restarted instance that asked not to keep
    /// them (R2); runtime messages among them stay, in order.
    /// Returns whether there was anything to do.
    #[inline(never)]
    fn discard_queued<A: Actor>(
        &mut self,
        slot: &mut Slot<A>,
        consumer: &mut courier_mailbox::Consumer<'_, Envelope>,
    ) -> bool {
        let Some(rare) = slot.rare.as_deref_mut() else {
            return false;
        };
        if !std::mem::take(&mut rare.discard_queued) {
            return false;
        }
        if std::mem::take(&mut rare.trigger_filter) {
            rare.filter = None;
        }
        consumer.reoffer_stash();
        while let Pop::Node(envelope) =
            consumer.pop_matching(|envelope| envelope.type_tag != TypeTag::System)
        {
            let header = self.ptr.header();
            // SAFETY: an envelope of this actor, out of the mailbox.
            unsafe {
                dead_letter_envelope::<A>(
                    &header.runtime,
                    header.id,
                    envelope,
                    Undelivered::Exited,
                );
            }
        }
        consumer.reoffer_stash();
        true
    }

    /// Runs `started` on a new instance.
    fn start<A: Actor>(&mut self, slot: &mut Slot<A>) {
        slot.started = true;
        let mut ctx = Context::new(self.ptr, self.worker);
        if let Some(actor) = slot.actor.as_mut() {
            let outcome = run_handler(|| actor.started(&mut ctx));
            // As in `deliver`: the common outcome needs no call.
            if !matches!(outcome, HandlerOutcome::Ok) || ctx.has_requests() {
                self.settle(slot, outcome, ctx);
            }
        }
        // A supervised cell's first instance that came through `started` alive tells its
        // guardian (R1): what a supervisor's ordered start waits for. Restarts do not, which
        // keeps a restart one message shorter.
        if slot.actor.is_some()
            && let Some(supervision) = slot.supervision()
            && supervision.suspended.is_none()
            && supervision.instance == 0
        {
            let _told = crate::supervision::tell(
                &supervision.guardian,
                ChildEvent {
                    child: self.ptr.header().id,
                    kind: ChildEventKind::Started,
                    instance: supervision.instance,
                    reason: Exit::Normal,
                    finished: false,
                    lost_message: false,
                },
            );
        }
    }

    /// Handles a runtime message: stop, kill, or a notice from a link or monitor.
    #[cold]
    #[inline(never)]
    fn deliver_system<A: Actor>(&mut self, slot: &mut Slot<A>, system: SystemMessage) {
        if slot.exited {
            return;
        }
        let mut ctx = Context::new(self.ptr, self.worker);
        let system = match system {
            SystemMessage::Restart { keep_mailbox } => return self.restart(slot, keep_mailbox),
            SystemMessage::ShutDown(how) => return self.shut_down(slot, how, ctx),
            SystemMessage::Suspend(how) if slot.actor.is_some() => {
                let reason = match how {
                    Termination::Graceful => Exit::Shutdown,
                    Termination::Brutal => Exit::Killed,
                };
                return self.end_instance(slot, reason, how, ctx);
            }
            // R5: the instance it was meant for is gone already.
            SystemMessage::Suspend(_) => return,
            other => other,
        };
        let Some(actor) = slot.actor.as_mut() else {
            return;
        };
        let outcome = match system {
            SystemMessage::Stop => return self.exit(slot, Exit::Normal, ctx),
            SystemMessage::Kill => return self.exit(slot, Exit::Killed, ctx),
            SystemMessage::Restart { .. }
            | SystemMessage::Suspend(_)
            | SystemMessage::ShutDown(_) => unreachable!("handled above"),
            SystemMessage::Down(down) => run_handler(|| actor.on_down(&mut ctx, down)),
            SystemMessage::After => run_handler(|| actor.after(&mut ctx)),
            SystemMessage::ExitSignal(signal) if self.ptr.header().trap_exit.get() => {
                run_handler(|| actor.on_exit_signal(&mut ctx, signal))
            }
            SystemMessage::ExitSignal(signal) if signal.reason.is_abnormal() => {
                let reason = Exit::Linked {
                    from: signal.from,
                    reason: Box::new(signal.reason),
                };
                return self.exit(slot, reason, ctx);
            }
            // A linked actor exited normally, and we do not trap exits: nothing to do.
            SystemMessage::ExitSignal(_) => return,
        };
        self.settle(slot, outcome, ctx);
    }

    /// Applies a handler's outcome: an error, a panic or a stop request ends the actor.
    #[cold]
    #[inline(never)]
    fn settle<A: Actor>(
        &mut self,
        slot: &mut Slot<A>,
        outcome: HandlerOutcome<A::Error>,
        mut ctx: Context<'_, A>,
    ) {
        if matches!(outcome, HandlerOutcome::Ok) && !ctx.has_requests() {
            return;
        }
        if let Some(change) = ctx.take_filter_change() {
            slot.set_filter(match change {
                FilterChange::Set(filter) => Some(filter),
                FilterChange::Clear => None,
            });
            self.filter_changed = true;
        }
        let reason = match outcome {
            HandlerOutcome::Ok => match ctx.stop_requested() {
                Some(reason) => reason,
                None => return,
            },
            HandlerOutcome::Err(error) => Exit::Error {
                message: error.to_string(),
            },
            HandlerOutcome::Panicked(message) => Exit::Panicked { message },
        };
        self.exit(slot, reason, ctx);
    }

    /// Ends the actor's instance: for a plain actor that is its exit; a supervised one is
    /// suspended and its guardian decides (R1).
    #[cold]
    #[inline(never)]
    fn exit<A: Actor>(&mut self, slot: &mut Slot<A>, reason: Exit, ctx: Context<'_, A>) {
        self.end_instance(slot, reason, Termination::Graceful, ctx);
    }

    /// Ends the current instance (`stopped` unless brutal, then drop its state); then suspends
    /// a supervised cell (R1), or finishes the cell.
    #[cold]
    #[inline(never)]
    fn end_instance<A: Actor>(
        &mut self,
        slot: &mut Slot<A>,
        reason: Exit,
        how: Termination,
        mut ctx: Context<'_, A>,
    ) {
        let lost_message = self.in_handle && reason.is_failure();
        drop_instance(self.ptr, slot, &reason, how, &mut ctx);
        if let Some(rare) = slot.rare.as_deref_mut()
            && let Some(supervision) = rare.supervision.as_mut()
        {
            supervision.suspended = Some(reason.clone());
            // R1: user messages wait in the stash until the supervisor answers.
            rare.filter = Some(Box::new(|_| false));
            self.filter_changed = true;
            let event = ChildEvent {
                child: self.ptr.header().id,
                kind: ChildEventKind::Ended,
                instance: supervision.instance,
                reason: reason.clone(),
                finished: false,
                lost_message,
            };
            if crate::supervision::tell(&supervision.guardian, event) {
                return;
            }
            // R4: nobody is left to decide.
        }
        self.finish(slot, reason, lost_message);
    }

    /// A supervisor ends the cell for good (R2).
    #[cold]
    #[inline(never)]
    fn shut_down<A: Actor>(
        &mut self,
        slot: &mut Slot<A>,
        how: Termination,
        mut ctx: Context<'_, A>,
    ) {
        let suspended = slot.supervision_mut().and_then(|s| s.suspended.take());
        let reason = match (suspended, how) {
            (Some(last), _) => last,
            (None, Termination::Graceful) => Exit::Shutdown,
            (None, Termination::Brutal) => Exit::Killed,
        };
        drop_instance(self.ptr, slot, &reason, how, &mut ctx);
        self.finish(slot, reason, false);
    }

    /// A supervisor builds a fresh instance in the suspended cell (R2, R5).
    #[cold]
    #[inline(never)]
    fn restart<A: Actor>(&mut self, slot: &mut Slot<A>, keep_mailbox: bool) {
        let Some(supervision) = slot.supervision_mut() else {
            return;
        };
        if supervision.suspended.is_none() {
            return;
        }
        supervision.instance += 1;
        let mut built = None;
        let outcome = run_handler::<String>(|| {
            built = Some((supervision.factory)()?);
            Ok(())
        });
        let Some(actor) = built else {
            let message = match outcome {
                HandlerOutcome::Err(error) => format!("restart failed: {error}"),
                HandlerOutcome::Panicked(panic) => format!("restart panicked: {panic}"),
                HandlerOutcome::Ok => unreachable!("an Ok build sets the instance"),
            };
            // Still suspended: the supervisor counts it as another exit and decides again.
            let reason = Exit::Error { message };
            supervision.suspended = Some(reason.clone());
            let event = ChildEvent {
                child: self.ptr.header().id,
                kind: ChildEventKind::Ended,
                instance: supervision.instance,
                reason: reason.clone(),
                finished: false,
                lost_message: false,
            };
            if !crate::supervision::tell(&supervision.guardian, event) {
                self.finish(slot, reason, false);
            }
            return;
        };
        supervision.suspended = None;
        slot.set_filter(None);
        self.filter_changed = true;
        slot.actor = Some(actor);
        self.start(slot);
        if !keep_mailbox {
            // Done by the turn loop, which holds the consumer, on its slow path: the filtered
            // branch, reached through the user's filter or a pass-all one set as a trigger.
            let rare = slot.rare_mut();
            rare.discard_queued = true;
            if rare.filter.is_none() {
                rare.filter = Some(Box::new(|_| true));
                rare.trigger_filter = true;
            }
        }
    }

    /// Ends the cell for good: close the mailbox (C4), tell links, monitors and the guardian.
    #[cold]
    #[inline(never)]
    fn finish<A: Actor>(&mut self, slot: &mut Slot<A>, reason: Exit, lost_message: bool) {
        // Closed now or already: either way later pushes are refused (C4).
        let _closed = self.ptr.mailbox().close();
        let header = self.ptr.header();
        // An exit happens in a turn, so on a worker of the cell's runtime: counted there.
        self.worker
            .count_exit(matches!(reason, Exit::Panicked { .. }));
        // Links and monitors are told after the mailbox closed (L1).
        header.watchers().exit(header.id, &reason);
        // ORDERING: Relaxed; see `Header::mark_named`.
        if header.named.load(StdOrdering::Relaxed) {
            header.runtime.registry().unregister_actor(self.ptr);
        }
        // R4; dropping the supervision also breaks the cycle child -> guardian -> supervisor.
        if let Some(supervision) = slot.supervision_take() {
            let _told = crate::supervision::tell(
                &supervision.guardian,
                ChildEvent {
                    child: header.id,
                    kind: ChildEventKind::Ended,
                    instance: supervision.instance,
                    reason,
                    finished: true,
                    lost_message,
                },
            );
        }
        // Most actors never had a filter (nor anything else rare): nothing to clear.
        if slot.rare.is_some() {
            slot.set_filter(None);
        }
        slot.exited = true;
    }
}

/// Runs the instance's `stopped` hook (unless brutal) and drops its state.
fn drop_instance<A: Actor>(
    ptr: ActorPtr,
    slot: &mut Slot<A>,
    reason: &Exit,
    how: Termination,
    ctx: &mut Context<'_, A>,
) {
    if let Some(mut actor) = slot.actor.take() {
        if how == Termination::Graceful
            && let Some(message) = run_quietly(|| actor.stopped(ctx, reason))
        {
            report_late_panic(ptr, "stopped", &message);
        }
        if let Some(message) = run_quietly(move || drop(actor)) {
            report_late_panic(ptr, "drop", &message);
        }
    }
}

/// A panic in a `stopped` hook or a `Drop` after the actor already exited: nobody is left to
/// tell but the operator.
fn report_late_panic(ptr: ActorPtr, what: &str, message: &str) {
    eprintln!(
        "courier: {} panicked in {what} after exiting: {message}",
        ptr.header().id
    );
}

/// Frees a cell whose last reference went (C1): whatever is still in the mailbox is
/// dead-lettered, then the actor's state is dropped. An actor that never exited is stopped
/// first, in a turn of its own (`stop_unreferenced`), whose end comes back here.
///
/// # Safety
/// - The caller gave up the last reference: nobody else can reach the cell.
unsafe fn drop_cell<A: Actor>(ptr: ActorPtr) {
    // SAFETY: forwarded from the caller.
    if unsafe { stop_unreferenced::<A>(ptr) } {
        return;
    }
    // SAFETY: the cell came from `cell_memory::allocate` in `ActorPtr::with_supervision` as a
    // `Cell<A>`, written there, and nobody else can reach it.
    let mut owned = unsafe { OwnedCell::<A>::new(ptr.0.cast()) };
    let cell = owned.get_mut();
    // An actor that exited closed its mailbox in `Turn::finish` (C4) and told its watchers
    // there; neither is done again (each is an atomic RMW that would find the work done).
    let exited = cell.slot.get_mut().exited;
    if !exited {
        let _closed = cell.mailbox.close();
    }
    // An exited actor's mailbox is closed (C4) and its turns drained it: empty for good once
    // occupancy reads 0, and then there is no consumer to make.
    if !exited || cell.mailbox.depth() != 0 {
        let mut consumer = cell.mailbox.consumer();
        let why = if exited {
            Undelivered::Exited
        } else {
            Undelivered::Dropped
        };
        while let Pop::Node(envelope) = consumer.drain_next() {
            // SAFETY: an envelope out of this actor's mailbox, packed for it. The cell's own
            // reference to the runtime: no clone, whose count both workers would contend on.
            unsafe {
                dead_letter_envelope::<A>(&cell.header.runtime, cell.header.id, envelope, why);
            }
        }
    }
    // Never exited but unreachable: its watchers hear of a normal exit (L1).
    if !exited {
        cell.header.watchers().exit(cell.header.id, &Exit::Normal);
    }
    let slot = cell.slot.get_mut();
    if let Some(actor) = slot.actor.take()
        && let Some(message) = run_quietly(move || drop(actor))
    {
        eprintln!("courier: dropping {} panicked: {message}", cell.header.id);
    }
}

/// Stops an actor whose last reference went while it was idle, as a stop request would: the
/// push of `Stop` claims its turn and takes a schedule token (its references go from 0 to 1),
/// so a worker runs its last turn, where `stopped` runs with [`Exit::Normal`] and its watchers
/// hear it; the end of that turn gives the token back and frees the cell. Actix and kameo stop
/// an actor nobody can reach the same way. `false` where the cell is to be freed now: the actor
/// exited already, or its runtime is shutting down (nothing would run the turn), or the stop
/// could not be queued (its mailbox was closed by the shutdown, or no block for it).
///
/// # Safety
/// - As `drop_cell`; after `true` the cell is the run queue's, and the caller must not touch it.
unsafe fn stop_unreferenced<A: Actor>(ptr: ActorPtr) -> bool {
    // SAFETY: a live `Cell<A>` (as in `drop_cell`).
    let cell = unsafe { ptr.0.cast::<Cell<A>>().as_ref() };
    // SAFETY: nobody else can reach the cell: reading its slot races nothing.
    let exited = unsafe { (*cell.slot.get()).exited };
    !exited
        && !ptr.header().runtime.is_shut_down()
        && ptr.send_system(SystemMessage::Stop, Priority::Normal)
}

/// A cell that nobody else can reach any more: dropping it drops the cell and gives its memory
/// back (`cell_memory::release`), also when a destructor in `drop_cell` unwinds.
struct OwnedCell<A: Actor>(NonNull<Cell<A>>);

impl<A: Actor> OwnedCell<A> {
    /// # Safety
    /// - `cell` is a live `Cell<A>` from `cell_memory::allocate`, and nobody else can reach it.
    unsafe fn new(cell: NonNull<Cell<A>>) -> OwnedCell<A> {
        OwnedCell(cell)
    }

    fn get_mut(&mut self) -> &mut Cell<A> {
        // SAFETY: live and ours alone (`new`).
        unsafe { self.0.as_mut() }
    }
}

impl<A: Actor> Drop for OwnedCell<A> {
    fn drop(&mut self) {
        let memory = self.get_mut().header.memory;
        // SAFETY: live and ours alone (`new`); not used after this.
        unsafe { self.0.drop_in_place() };
        // SAFETY: from `allocate::<Cell<A>>` with `memory` (the header says so), dropped above.
        unsafe { cell_memory::release(self.0, memory) };
    }
}

/// Takes an envelope of actor `A` out for good: a user message becomes a dead letter for `to`
/// (counted, and handed to the runtime's handler); the runtime's own message (a stop, a
/// monitor's notice) is dropped uncounted.
///
/// # Safety
/// - `envelope` was packed for actor `A` and is out of every mailbox.
#[cold]
#[inline(never)]
unsafe fn dead_letter_envelope<A: Actor>(
    runtime: &Shared,
    to: ActorId,
    envelope: NonNull<Envelope>,
    why: Undelivered,
) {
    // SAFETY: the caller's envelope is live.
    if unsafe { envelope.as_ref() }.type_tag == TypeTag::System {
        // SAFETY: system envelopes carry a `SystemMessage`.
        unsafe { envelope::discard::<SystemMessage>(envelope) };
        return;
    }
    // SAFETY: user envelopes of actor `A` carry `A::Msg`; taken out once, the block freed.
    let message = unsafe { envelope::take::<A::Msg>(envelope) };
    runtime.dead_letter(to, why, message);
}

/// `Vtable::shut_down` of actor `A` (`ActorPtr::shut_down_queued`): closes the mailbox and
/// dead-letters everything in it.
///
/// # Safety
/// - The caller holds the actor's token and turn (C1, C2): it is the mailbox's one consumer.
unsafe fn shut_down_cell<A: Actor>(ptr: ActorPtr) {
    let mailbox = ptr.mailbox();
    let _closed = mailbox.close();
    // SAFETY: the caller holds the turn, so no worker consumes this mailbox (C2, mailbox M8).
    let mut consumer = unsafe { mailbox.consumer_unchecked() };
    loop {
        match consumer.drain_next() {
            Pop::Node(envelope) => {
                let header = ptr.header();
                // SAFETY: an envelope out of this actor's mailbox, packed for it.
                unsafe {
                    dead_letter_envelope::<A>(
                        &header.runtime,
                        header.id,
                        envelope,
                        Undelivered::ShutDown,
                    );
                }
            }
            // A push accepted before the close is still linking, or a refused one backing
            // out (mailbox M9): either is done within a few instructions of its sender.
            Pop::Busy => std::thread::yield_now(),
            Pop::Empty => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Idle;

    impl Actor for Idle {
        type Msg = ();
        type Error = std::convert::Infallible;

        fn handle(&mut self, _: &mut Context<'_, Self>, (): ()) -> Result<(), Self::Error> {
            Ok(())
        }
    }

    /// A regression gate on the memory of an idle actor: four 64-byte lines for the cell of an
    /// actor without state (the mailbox's three, its stubs inside; then the header and the
    /// slot), and nothing else on the heap until it uses links, monitors, a filter or
    /// supervision; an actor's state adds whole lines past the slot's 16 bytes. DESIGN.md's
    /// target is 384 B per idle actor, allocator included.
    #[test]
    fn an_idle_actor_cell_is_four_lines() {
        struct Counter(u64);
        impl Actor for Counter {
            type Msg = ();
            type Error = std::convert::Infallible;

            fn handle(&mut self, _: &mut Context<'_, Self>, (): ()) -> Result<(), Self::Error> {
                self.0 += 1;
                Ok(())
            }
        }
        assert_eq!(size_of::<Mailbox<Envelope>>(), 192);
        assert_eq!(size_of::<Header>(), 48);
        assert_eq!(size_of::<Slot<Idle>>(), 16);
        assert_eq!(size_of::<Cell<Idle>>(), 256);
        assert_eq!(size_of::<Cell<Counter>>(), 320);
        assert_eq!(
            std::mem::offset_of!(Cell<Counter>, slot),
            HEADER_OFFSET + size_of::<Header>()
        );
    }
}
