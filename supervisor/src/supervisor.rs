//! The `Supervisor` actor: applies the pure decisions of [`decide`](crate::decide) to running
//! actors, restarting them in place (courier-sched's `spawn_supervised`), so a restarted child
//! keeps its address and its queued messages.
//!
//! Its life, all in its own handlers (it never blocks a worker):
//!
//! - **Start** (`started`): children are started in order, each only once the one before it
//!   has come through its `started` hook (its `Started` event); a factory or a `started` that
//!   fails shuts down the ones already started and fails the supervisor's start with an error
//!   naming the child. (A child supervisor counts as started when its own `started` ran, which
//!   begins, not ends, the start of its children.)
//! - **A child's instance ends** (a [`ChildEvent`] from the child's guardian): the supervisor
//!   asks [`decide`] and applies the plan: siblings to stop are suspended one at a time in
//!   reverse start order, each waited for (up to its `Shutdown::Timeout`), then every child to
//!   restart is restarted in start order. Events arriving meanwhile wait their turn.
//! - **Too many restarts**: children are shut down one at a time in reverse start order, then
//!   the supervisor exits with [`SuperviseError::RestartIntensity`] naming the child, which its
//!   own supervisor sees as a failure (escalation).
//! - **Shutdown** ([`SupervisorMsg::Shutdown`]): the same ordered shutdown, then a normal exit.
//!
//! A cooperative runtime cannot preempt a handler: `Shutdown::Timeout(d)` asks gracefully, and
//! after `d` asks brutally (skipping `stopped` and the queue) and stops waiting; a handler that
//! never returns keeps its worker whatever the supervisor does.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use courier_sched::{
    Actor, ActorId, ActorRef, ChildEvent, ChildEventKind, Context, Exit, Guardian, Priority,
    ReplyTo, Termination,
};

use crate::child::{Child, Start, Started};
use crate::published::{ChildRow, Published, Snapshot};
use crate::{
    ChildExit, ChildId, ChildStatus, ChildView, Decision, Intensity, Restart, Shutdown, Strategy,
    SuperviseError, TreeStatus, decide,
};

/// What a supervisor supervises, and how.
#[derive(Debug)]
pub struct SupervisorSpec {
    pub(crate) strategy: Strategy,
    pub(crate) intensity: Intensity,
    pub(crate) keep_mailbox: bool,
    pub(crate) children: Vec<Child>,
}

impl SupervisorSpec {
    /// A spec with `strategy`, Erlang's default intensity (at most 1 restart in 5 s), restarts
    /// that keep the mailbox, and no children yet.
    #[must_use]
    pub fn new(strategy: Strategy) -> SupervisorSpec {
        SupervisorSpec {
            strategy,
            intensity: Intensity::default(),
            keep_mailbox: true,
            children: Vec::new(),
        }
    }

    /// At most `restarts_max` restarts within `window`, or the supervisor gives up.
    #[must_use]
    pub fn with_intensity(mut self, restarts_max: u32, window: Duration) -> SupervisorSpec {
        self.intensity = Intensity::new(restarts_max, window);
        self
    }

    /// Restarted children start with an empty mailbox: what was queued is dead-lettered and
    /// counted, instead of handled by the new instance.
    #[must_use]
    pub fn dropping_mailbox_on_restart(mut self) -> SupervisorSpec {
        self.keep_mailbox = false;
        self
    }

    /// Adds a child, started after the ones before it.
    #[must_use]
    pub fn child(mut self, child: Child) -> SupervisorSpec {
        self.children.push(child);
        self
    }

    /// Adds children, in order.
    #[must_use]
    pub fn children(mut self, children: impl IntoIterator<Item = Child>) -> SupervisorSpec {
        self.children.extend(children);
        self
    }
}

/// What a supervisor handles.
#[non_exhaustive]
pub enum SupervisorMsg {
    /// A child's instance ended (sent by the child's guardian).
    Child(ChildEvent),
    /// Starts a new child at the end of the list (dynamic children).
    StartChild(Child, ReplyTo<Result<ActorId, SuperviseError>>),
    /// Shuts a child down for good (by its shutdown spec) and forgets its spec.
    TerminateChild(ChildId, ReplyTo<Result<(), SuperviseError>>),
    /// Shuts every child down in reverse start order, then stops; answers when done.
    Shutdown(Option<ReplyTo<()>>),
    /// A `Shutdown::Timeout` ran out for this child's instance.
    ShutdownTimer {
        /// The child's actor.
        actor: ActorId,
        /// The instance the timer was for.
        instance: u64,
    },
}

/// Where a child's current instance is, as the supervisor knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Life {
    /// Running (as far as the supervisor knows).
    Up,
    /// Asked to suspend; its event has not come yet.
    Suspending,
    /// Its instance ended; the cell waits for a restart or a shutdown.
    Suspended,
    /// Asked to shut down for good; its final event has not come yet.
    Finishing,
}

struct Entry {
    id: ChildId,
    restart: Restart,
    shutdown: Shutdown,
    start: Box<dyn Start>,
    cell: Option<Cell>,
    restarts: u64,
    /// Answer this when the cell finishes ([`SupervisorMsg::TerminateChild`]).
    on_finished: Option<ReplyTo<Result<(), SuperviseError>>>,
    /// Forget the spec once the cell finishes.
    forget: bool,
}

struct Cell {
    started: Started,
    actor: ActorId,
    instance: u64,
    life: Life,
}

impl Cell {
    /// Asks a running child supervisor to shut its children down in order and stop; `false`
    /// for a worker, or a supervisor that cannot take the request.
    fn ask_supervisor_to_stop(&self) -> bool {
        if self.started.published.is_none() {
            return false;
        }
        self.started
            .actor_ref
            .downcast_ref::<ActorRef<SupervisorMsg>>()
            .is_some_and(|supervisor| {
                supervisor
                    .try_send_with_priority(SupervisorMsg::Shutdown(None), Priority::High)
                    .is_ok()
            })
    }
}

/// What the supervisor is in the middle of.
enum Phase {
    Running,
    /// Ordered start: waiting for child `next` to report its start.
    Starting {
        next: usize,
    },
    /// Suspending `stop` one at a time, then restarting `restart` in order.
    Restarting {
        stop: VecDeque<ChildId>,
        restart: Vec<ChildId>,
    },
    /// Shutting `stop` down one at a time, then ending as `then` says.
    ShuttingDown {
        stop: VecDeque<ChildId>,
        then: Ending,
    },
}

enum Ending {
    Stop(Option<ReplyTo<()>>),
    Escalate(SuperviseError),
}

/// A supervisor: an actor that starts, watches and restarts its children.
pub struct Supervisor {
    id: ChildId,
    strategy: Strategy,
    intensity: Intensity,
    keep_mailbox: bool,
    entries: Vec<Entry>,
    phase: Phase,
    /// The child (actor, instance) being waited for in `phase`.
    waiting: Option<(ActorId, u64)>,
    /// Child events that arrived while a plan was being applied.
    pending: VecDeque<ChildEvent>,
    published: Arc<Published>,
    /// The root's start report (`SupervisorRef::start` waits on it).
    start_report: Option<mpsc::SyncSender<Result<(), SuperviseError>>>,
    lost_messages: u64,
    me: Option<ActorId>,
}

impl Supervisor {
    pub(crate) fn new(id: ChildId, spec: SupervisorSpec, published: Arc<Published>) -> Supervisor {
        let entries = spec.children.into_iter().map(Entry::new).collect();
        Supervisor {
            id,
            strategy: spec.strategy,
            intensity: spec.intensity,
            keep_mailbox: spec.keep_mailbox,
            entries,
            phase: Phase::Running,
            waiting: None,
            pending: VecDeque::new(),
            published,
            start_report: None,
            lost_messages: 0,
            me: None,
        }
    }

    pub(crate) fn reporting_start_to(
        mut self,
        report: mpsc::SyncSender<Result<(), SuperviseError>>,
    ) -> Supervisor {
        self.start_report = Some(report);
        self
    }

    fn guardian(ctx: &Context<'_, Self>) -> Guardian {
        let me = ctx.myself();
        Arc::new(move |event| {
            me.try_send_with_priority(SupervisorMsg::Child(event), Priority::High)
                .is_ok()
        })
    }

    fn position(&self, id: &ChildId) -> Option<usize> {
        self.entries.iter().position(|entry| entry.id == *id)
    }

    fn position_of_actor(&self, actor: ActorId) -> Option<usize> {
        self.entries
            .iter()
            .position(|entry| entry.cell.as_ref().is_some_and(|cell| cell.actor == actor))
    }

    /// Starts a new cell for entry `at`.
    fn start_cell(
        &mut self,
        ctx: &Context<'_, Self>,
        at: usize,
    ) -> Result<ActorId, SuperviseError> {
        let guardian = Self::guardian(ctx);
        let entry = &mut self.entries[at];
        let started =
            entry
                .start
                .start(ctx, guardian)
                .map_err(|reason| SuperviseError::StartFailed {
                    child: entry.id.clone(),
                    reason,
                })?;
        let actor = started.handle.id();
        entry.cell = Some(Cell {
            started,
            actor,
            instance: 0,
            life: Life::Up,
        });
        Ok(actor)
    }

    /// Publishes the current state for readers outside (`published.rs`).
    fn publish(&self, status: TreeStatus) {
        let Some(actor) = self.me else { return };
        let mut refs = HashMap::new();
        let children = self
            .entries
            .iter()
            .map(|entry| {
                if let Some(cell) = &entry.cell {
                    refs.insert(entry.id.clone(), Arc::clone(&cell.started.actor_ref));
                }
                ChildRow {
                    id: entry.id.clone(),
                    actor: entry.cell.as_ref().map(|cell| cell.actor),
                    restart: entry.restart,
                    status: match entry.cell.as_ref().map(|cell| cell.life) {
                        Some(Life::Up) => TreeStatus::Running,
                        Some(Life::Suspending | Life::Suspended) => TreeStatus::Restarting,
                        Some(Life::Finishing) | None => TreeStatus::Stopped,
                    },
                    restarts: entry.restarts,
                    subtree: entry
                        .cell
                        .as_ref()
                        .and_then(|cell| cell.started.published.clone()),
                }
            })
            .collect();
        self.published.publish(Snapshot {
            actor,
            strategy: self.strategy,
            restarts_max: self.intensity.restarts_max(),
            window: self.intensity.window(),
            status,
            children,
            refs,
            lost_messages: self.lost_messages,
        });
    }

    fn status(&self) -> TreeStatus {
        match self.phase {
            Phase::Running => TreeStatus::Running,
            Phase::Starting { .. } | Phase::Restarting { .. } => TreeStatus::Restarting,
            Phase::ShuttingDown { .. } => TreeStatus::Stopped,
        }
    }

    /// Handles one child event (the module docs' second bullet).
    fn on_child_event(
        &mut self,
        ctx: &mut Context<'_, Self>,
        event: ChildEvent,
    ) -> Result<(), SuperviseError> {
        // Events of cells this instance never started (a previous instance's) are stale.
        let Some(at) = self.position_of_actor(event.child) else {
            return Ok(());
        };
        let waited = self.waiting == Some((event.child, event.instance));
        let entry = &mut self.entries[at];
        let cell = entry.cell.as_mut().expect("found by its cell");
        if event.instance < cell.instance {
            return Ok(()); // A late event of an instance already replaced.
        }
        if let Phase::Starting { next } = self.phase
            && next == at
            && waited
        {
            self.waiting = None;
            return match event.kind {
                ChildEventKind::Started => self.start_from(ctx, at + 1),
                // Its `started` failed (or it ended before it got there): the start fails.
                ChildEventKind::Ended => {
                    let error = SuperviseError::StartFailed {
                        child: self.entries[at].id.clone(),
                        reason: event.reason.to_string(),
                    };
                    self.fail_start(at, error)
                }
            };
        }
        if event.kind == ChildEventKind::Started {
            return Ok(()); // A restarted instance is up; nothing to do.
        }
        if event.lost_message {
            self.lost_messages += 1;
        }
        if event.finished {
            entry.cell = None;
            let reply = entry.on_finished.take();
            if entry.forget {
                self.entries.remove(at);
            }
            if waited {
                self.waiting = None;
            }
            let advanced = self.advance(ctx);
            // After the publication, so the requester sees the child gone.
            if let Some(reply) = reply {
                reply.send(Ok(()));
            }
            return advanced;
        }
        match cell.life {
            // It ended before our shutdown reached it; the shutdown finishes the suspended
            // cell at once, and its final event is the one waited for.
            // For a child supervisor asked to stop, this is its stop: finish the cell now.
            Life::Finishing => {
                let _sent = cell.started.handle.shut_down(Termination::Graceful);
                Ok(())
            }
            Life::Suspending | Life::Suspended => {
                cell.life = Life::Suspended;
                if waited {
                    self.waiting = None;
                }
                self.advance(ctx)
            }
            Life::Up => {
                cell.life = Life::Suspended;
                if matches!(self.phase, Phase::Running) {
                    self.on_exit(ctx, at, event.reason)
                } else {
                    // Decided once the current plan is applied (`on_pending`).
                    self.pending.push_back(event);
                    Ok(())
                }
            }
        }
    }

    /// A child's exit that arrived while a plan was being applied: decided now, unless the plan
    /// already dealt with it (restarted it, or shut it down), as Erlang consumes the exits of
    /// children it is restarting.
    fn on_pending(
        &mut self,
        ctx: &mut Context<'_, Self>,
        event: ChildEvent,
    ) -> Result<(), SuperviseError> {
        let Some(at) = self.position_of_actor(event.child) else {
            return Ok(());
        };
        let still_suspended = self.entries[at]
            .cell
            .as_ref()
            .is_some_and(|cell| cell.instance == event.instance && cell.life == Life::Suspended);
        if still_suspended {
            self.on_exit(ctx, at, event.reason)
        } else {
            Ok(())
        }
    }

    /// A running child's instance ended on its own: decide and apply.
    fn on_exit(
        &mut self,
        ctx: &mut Context<'_, Self>,
        at: usize,
        reason: Exit,
    ) -> Result<(), SuperviseError> {
        let views: Vec<ChildView> = self
            .entries
            .iter()
            .map(|entry| ChildView {
                id: entry.id.clone(),
                restart: entry.restart,
                status: match entry.cell.as_ref().map(|cell| cell.life) {
                    Some(Life::Up | Life::Suspending | Life::Suspended) => ChildStatus::Running,
                    Some(Life::Finishing) | None => ChildStatus::Stopped,
                },
            })
            .collect();
        let exited = self.entries[at].id.clone();
        let exit = ChildExit {
            child: exited.clone(),
            reason,
        };
        match decide(
            self.strategy,
            &views,
            &exit,
            &mut self.intensity,
            Instant::now(),
        )? {
            Decision::Continue(plan) => {
                // The exited child, if it is not restarted, ends for good now (its cell is
                // suspended: it finishes at once, with the reason it exited with).
                if !plan.restart.contains(&exited) {
                    self.finish(ctx, &exited, plan.remove.contains(&exited), None);
                }
                for id in plan.remove.iter().filter(|id| **id != exited) {
                    self.finish(ctx, id, true, None);
                }
                let stop = plan
                    .stop
                    .into_iter()
                    .filter(|id| !plan.remove.contains(id))
                    .collect();
                self.phase = Phase::Restarting {
                    stop,
                    restart: plan.restart,
                };
                self.advance(ctx)
            }
            Decision::Escalate { stop, error } => {
                let mut order: VecDeque<ChildId> = VecDeque::from([exited]);
                order.extend(stop);
                self.phase = Phase::ShuttingDown {
                    stop: order,
                    then: Ending::Escalate(error),
                };
                self.advance(ctx)
            }
        }
    }

    /// Asks the child `id` to end for good, by its shutdown spec; `forget` drops its spec
    /// when it has. Returns whether there is a final event to wait for.
    fn finish(
        &mut self,
        ctx: &Context<'_, Self>,
        id: &ChildId,
        forget: bool,
        reply: Option<ReplyTo<Result<(), SuperviseError>>>,
    ) -> bool {
        let Some(at) = self.position(id) else {
            return false;
        };
        let entry = &mut self.entries[at];
        entry.forget |= forget;
        let Some(cell) = entry.cell.as_mut() else {
            if let Some(reply) = reply {
                reply.send(Ok(()));
            }
            if entry.forget {
                self.entries.remove(at);
            }
            return false;
        };
        if reply.is_some() {
            entry.on_finished = reply;
        }
        // A child supervisor running: it shuts its own children down in order first, then
        // stops, and the suspended cell is shut down when its event comes (`on_child_event`).
        // Otherwise the cell ends by its shutdown spec (a closed cell refuses the request: its
        // final event is on the way anyway).
        if cell.life != Life::Up || !cell.ask_supervisor_to_stop() {
            let _sent = cell.started.handle.shut_down(termination(entry.shutdown));
        }
        cell.life = Life::Finishing;
        if let Shutdown::Timeout(after) = entry.shutdown {
            arm_timer(ctx, cell, after);
        }
        true
    }

    /// Moves the current phase on as far as it can without waiting.
    fn advance(&mut self, ctx: &mut Context<'_, Self>) -> Result<(), SuperviseError> {
        loop {
            if self.waiting.is_some() {
                self.publish(self.status());
                return Ok(());
            }
            match &mut self.phase {
                // Driven by the children's start events (`start_from`).
                Phase::Starting { .. } => {
                    self.publish(self.status());
                    return Ok(());
                }
                Phase::Running => {
                    let Some(event) = self.pending.pop_front() else {
                        self.publish(TreeStatus::Running);
                        return Ok(());
                    };
                    self.on_pending(ctx, event)?;
                }
                Phase::Restarting { stop, restart } => {
                    if let Some(id) = stop.pop_front() {
                        self.suspend(ctx, &id);
                        continue;
                    }
                    let restart = std::mem::take(restart);
                    self.phase = Phase::Running;
                    for id in restart {
                        self.restart(ctx, &id)?;
                    }
                }
                Phase::ShuttingDown { stop, .. } => {
                    if let Some(id) = stop.pop_front() {
                        if self.finish(ctx, &id, false, None)
                            && let Some(cell) = self
                                .position(&id)
                                .and_then(|at| self.entries[at].cell.as_ref())
                        {
                            self.waiting = Some((cell.actor, cell.instance));
                        }
                        continue;
                    }
                    let Phase::ShuttingDown { then, .. } =
                        std::mem::replace(&mut self.phase, Phase::Running)
                    else {
                        unreachable!("matched above")
                    };
                    self.publish(TreeStatus::Stopped);
                    return match then {
                        Ending::Stop(reply) => {
                            if let Some(reply) = reply {
                                reply.send(());
                            }
                            ctx.stop();
                            // Stay in a phase that accepts nothing new.
                            self.phase = Phase::ShuttingDown {
                                stop: VecDeque::new(),
                                then: Ending::Stop(None),
                            };
                            Ok(())
                        }
                        Ending::Escalate(error) => Err(error),
                    };
                }
            }
        }
    }

    /// Suspends a running sibling for a restart, and waits for it.
    fn suspend(&mut self, ctx: &Context<'_, Self>, id: &ChildId) {
        let Some(at) = self.position(id) else { return };
        let entry = &mut self.entries[at];
        let Some(cell) = entry.cell.as_mut() else {
            return;
        };
        if cell.life != Life::Up {
            return;
        }
        // A child supervisor shuts its own children down in order before it ends.
        if cell.ask_supervisor_to_stop() || cell.started.handle.suspend(termination(entry.shutdown))
        {
            cell.life = Life::Suspending;
            self.waiting = Some((cell.actor, cell.instance));
            if let Shutdown::Timeout(after) = entry.shutdown {
                arm_timer(ctx, cell, after);
            }
        }
    }

    /// Restarts a child: in place when its cell is suspended, in a new cell when it finished.
    fn restart(&mut self, ctx: &Context<'_, Self>, id: &ChildId) -> Result<(), SuperviseError> {
        let Some(at) = self.position(id) else {
            return Ok(());
        };
        let keep_mailbox = self.keep_mailbox;
        let entry = &mut self.entries[at];
        entry.restarts += 1;
        match entry.cell.as_mut() {
            Some(cell) if matches!(cell.life, Life::Suspended | Life::Suspending) => {
                cell.instance += 1;
                cell.life = Life::Up;
                let _sent = cell.started.handle.restart(keep_mailbox);
                Ok(())
            }
            Some(_) => Ok(()),
            None => self.start_cell(ctx, at).map(|_| ()),
        }
    }

    fn on_timer(
        &mut self,
        ctx: &mut Context<'_, Self>,
        actor: ActorId,
        instance: u64,
    ) -> Result<(), SuperviseError> {
        let Some(at) = self.position_of_actor(actor) else {
            return Ok(());
        };
        let Some(cell) = self.entries[at].cell.as_mut() else {
            return Ok(());
        };
        if cell.instance != instance || !matches!(cell.life, Life::Suspending | Life::Finishing) {
            return Ok(());
        }
        // The graceful request ran out of time: ask brutally, and stop waiting (see the module
        // docs: a handler cannot be preempted).
        if cell.life == Life::Finishing {
            let _sent = cell.started.handle.shut_down(Termination::Brutal);
        } else {
            let _sent = cell.started.handle.suspend(Termination::Brutal);
            cell.life = Life::Suspended;
        }
        if self.waiting == Some((actor, instance)) {
            self.waiting = None;
        }
        self.advance(ctx)
    }

    /// Ordered start: starts child `at` and waits for its `Started` event (or, past the last
    /// child, ends the start and reports it).
    fn start_from(&mut self, ctx: &mut Context<'_, Self>, at: usize) -> Result<(), SuperviseError> {
        if at == self.entries.len() {
            self.phase = Phase::Running;
            // Publish (in `advance`) before reporting: the starter reads the tree next.
            let advanced = self.advance(ctx);
            if let Some(report) = self.start_report.take() {
                // The starter may have given up waiting; the result stands either way.
                let _sent = report.try_send(Ok(()));
            }
            return advanced;
        }
        self.phase = Phase::Starting { next: at };
        match self.start_cell(ctx, at) {
            Ok(actor) => {
                self.waiting = Some((actor, 0));
                self.publish(TreeStatus::Restarting);
                Ok(())
            }
            Err(error) => self.fail_start(at, error),
        }
    }

    /// The start failed at child `at`: the ones before it are shut down in reverse order,
    /// without waiting (the start has failed either way), the failure is reported, and the
    /// supervisor exits with it.
    fn fail_start(&mut self, at: usize, error: SuperviseError) -> Result<(), SuperviseError> {
        for entry in self.entries[..at].iter_mut().rev() {
            if let Some(cell) = &mut entry.cell {
                let _sent = cell.started.handle.shut_down(termination(entry.shutdown));
                cell.life = Life::Finishing;
            }
        }
        if let Some(cell) = self
            .entries
            .get_mut(at)
            .and_then(|entry| entry.cell.as_mut())
        {
            // Its instance ended already (its `started` failed): finish its suspended cell.
            let _sent = cell.started.handle.shut_down(Termination::Brutal);
            cell.life = Life::Finishing;
        }
        self.waiting = None;
        self.phase = Phase::ShuttingDown {
            stop: VecDeque::new(),
            then: Ending::Stop(None),
        };
        self.publish(TreeStatus::Stopped);
        if let Some(report) = self.start_report.take() {
            let _sent = report.try_send(Err(error.clone()));
        }
        Err(error)
    }
}

/// How a child is asked to end, by its shutdown spec (a timeout is enforced separately).
fn termination(shutdown: Shutdown) -> Termination {
    match shutdown {
        Shutdown::Brutal => Termination::Brutal,
        Shutdown::Timeout(_) | Shutdown::Infinity => Termination::Graceful,
    }
}

fn arm_timer(ctx: &Context<'_, Supervisor>, cell: &Cell, after: Duration) {
    let me = ctx.myself();
    let _timer = ctx.send_after(
        after,
        &me,
        SupervisorMsg::ShutdownTimer {
            actor: cell.actor,
            instance: cell.instance,
        },
    );
}

impl Entry {
    fn new(child: Child) -> Entry {
        Entry {
            id: child.id,
            restart: child.restart,
            shutdown: child.shutdown,
            start: child.start,
            cell: None,
            restarts: 0,
            on_finished: None,
            forget: false,
        }
    }
}

impl Actor for Supervisor {
    type Msg = SupervisorMsg;
    type Error = SuperviseError;

    fn started(&mut self, ctx: &mut Context<'_, Self>) -> Result<(), SuperviseError> {
        self.me = Some(ctx.id());
        self.start_from(ctx, 0)
    }

    fn handle(
        &mut self,
        ctx: &mut Context<'_, Self>,
        msg: SupervisorMsg,
    ) -> Result<(), SuperviseError> {
        match msg {
            SupervisorMsg::Child(event) => self.on_child_event(ctx, event),
            SupervisorMsg::ShutdownTimer { actor, instance } => self.on_timer(ctx, actor, instance),
            SupervisorMsg::StartChild(child, reply) => {
                if self.position(&child.id).is_some() {
                    reply.send(Err(SuperviseError::DuplicateChild { child: child.id }));
                    return Ok(());
                }
                self.entries.push(Entry::new(child));
                let at = self.entries.len() - 1;
                let started = self.start_cell(ctx, at);
                if started.is_err() {
                    self.entries.pop();
                }
                reply.send(started);
                self.publish(self.status());
                Ok(())
            }
            SupervisorMsg::TerminateChild(id, reply) => {
                if self.position(&id).is_none() {
                    reply.send(Err(SuperviseError::UnknownChild { child: id }));
                    return Ok(());
                }
                self.finish(ctx, &id, true, Some(reply));
                self.publish(self.status());
                Ok(())
            }
            SupervisorMsg::Shutdown(reply) => {
                if let Some(report) = self.start_report.take() {
                    let _sent = report.try_send(Err(SuperviseError::NoAnswer {
                        reason: "shut down before its children had all started".to_owned(),
                    }));
                }
                if matches!(self.phase, Phase::ShuttingDown { .. }) {
                    if let Some(reply) = reply {
                        reply.send(());
                    }
                    return Ok(());
                }
                let stop = self
                    .entries
                    .iter()
                    .rev()
                    .map(|entry| entry.id.clone())
                    .collect();
                self.waiting = None;
                self.phase = Phase::ShuttingDown {
                    stop,
                    then: Ending::Stop(reply),
                };
                self.advance(ctx)
            }
        }
    }

    fn stopped(&mut self, _ctx: &mut Context<'_, Self>, _reason: &Exit) {
        // Whatever is still up ends with the supervisor (reverse order, without waiting: an
        // ordered shutdown has already run unless the supervisor itself crashed).
        for entry in self.entries.iter().rev() {
            if let Some(cell) = &entry.cell
                && cell.life != Life::Finishing
            {
                let _sent = cell.started.handle.shut_down(Termination::Brutal);
            }
        }
        self.published.set_status(TreeStatus::Stopped);
    }
}

impl std::fmt::Debug for SupervisorMsg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SupervisorMsg::Child(event) => f.debug_tuple("Child").field(event).finish(),
            SupervisorMsg::StartChild(child, _) => {
                f.debug_tuple("StartChild").field(child).finish()
            }
            SupervisorMsg::TerminateChild(id, _) => {
                f.debug_tuple("TerminateChild").field(id).finish()
            }
            SupervisorMsg::Shutdown(_) => f.write_str("Shutdown"),
            SupervisorMsg::ShutdownTimer { actor, instance } => f
                .debug_struct("ShutdownTimer")
                .field("actor", actor)
                .field("instance", instance)
                .finish(),
        }
    }
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supervisor")
            .field("id", &self.id)
            .field("strategy", &self.strategy)
            .field("children", &self.entries.len())
            .finish_non_exhaustive()
    }
}
