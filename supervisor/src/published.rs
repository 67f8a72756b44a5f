//! What a supervisor publishes for readers outside it: its tree and its children's refs.
//!
//! A supervisor is an actor, and asking it from a worker thread would block that worker; so it
//! writes its state here after every change, and readers (a parent building its tree, an MCP
//! tool, a test) read it without a message round trip. The lock is taken once per change and
//! once per read; restarts are rare next to messages, so it is never hot.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use courier_sched::ActorId;

use crate::{ChildId, ChildNode, Restart, Strategy, SupervisionTree, TreeStatus};

/// One child as published.
#[derive(Clone)]
pub(crate) struct ChildRow {
    pub(crate) id: ChildId,
    pub(crate) actor: Option<ActorId>,
    pub(crate) restart: Restart,
    pub(crate) status: TreeStatus,
    pub(crate) restarts: u64,
    pub(crate) subtree: Option<Arc<Published>>,
}

#[derive(Default)]
struct State {
    actor: Option<ActorId>,
    strategy: Option<Strategy>,
    restarts_max: u32,
    window: Duration,
    status: Option<TreeStatus>,
    children: Vec<ChildRow>,
    refs: HashMap<ChildId, Arc<dyn Any + Send + Sync>>,
    lost_messages: u64,
}

/// A supervisor's published state; shared by every instance of a supervisor, so a parent's
/// view follows a child supervisor across its restarts.
pub(crate) struct Published {
    id: ChildId,
    state: Mutex<State>,
}

/// The part of a supervisor's state that a publication replaces.
pub(crate) struct Snapshot {
    pub(crate) actor: ActorId,
    pub(crate) strategy: Strategy,
    pub(crate) restarts_max: u32,
    pub(crate) window: Duration,
    pub(crate) status: TreeStatus,
    pub(crate) children: Vec<ChildRow>,
    pub(crate) refs: HashMap<ChildId, Arc<dyn Any + Send + Sync>>,
    pub(crate) lost_messages: u64,
}

impl Published {
    pub(crate) fn new(id: ChildId) -> Published {
        Published {
            id,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Writers replace whole fields; a panic between two of them leaves a stale but
        // well-formed state, which the next publication replaces.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn publish(&self, snapshot: Snapshot) {
        let mut state = self.lock();
        state.actor = Some(snapshot.actor);
        state.strategy = Some(snapshot.strategy);
        state.restarts_max = snapshot.restarts_max;
        state.window = snapshot.window;
        state.status = Some(snapshot.status);
        state.children = snapshot.children;
        state.refs = snapshot.refs;
        state.lost_messages = snapshot.lost_messages;
    }

    pub(crate) fn set_status(&self, status: TreeStatus) {
        self.lock().status = Some(status);
    }

    pub(crate) fn child_ref(&self, id: &str) -> Option<Arc<dyn Any + Send + Sync>> {
        self.lock().refs.get(id).cloned()
    }

    pub(crate) fn subsupervisor(&self, id: &str) -> Option<Arc<Published>> {
        let state = self.lock();
        let row = state.children.iter().find(|row| row.id.as_str() == id)?;
        row.subtree.clone()
    }

    pub(crate) fn lost_messages(&self) -> u64 {
        self.lock().lost_messages
    }

    /// The tree, child supervisors included (read from their own publications).
    pub(crate) fn tree(&self) -> SupervisionTree {
        let (actor, strategy, restarts_max, window, status, children) = {
            let state = self.lock();
            (
                state.actor,
                state.strategy.unwrap_or(Strategy::OneForOne),
                state.restarts_max,
                state.window,
                state.status.unwrap_or(TreeStatus::Stopped),
                state.children.clone(),
            )
        };
        SupervisionTree {
            id: self.id.clone(),
            actor,
            strategy,
            restarts_max,
            window,
            status,
            children: children
                .into_iter()
                .map(|row| {
                    if let Some(sub) = row.subtree {
                        let mut tree = sub.tree();
                        if row.status != TreeStatus::Running {
                            tree.status = row.status;
                        }
                        return ChildNode::supervisor(tree, row.restart, row.restarts);
                    }
                    let mut node = ChildNode::worker(row.id, row.restart, row.status, row.restarts);
                    node.actor = row.actor;
                    node
                })
                .collect(),
        }
    }
}
