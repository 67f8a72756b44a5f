//! The supervision tree as a value: printed as an indented tree, serialized for tools.

use std::fmt;
use std::time::Duration;

use courier_sched::ActorId;
use serde::{Serialize, Serializer};

use crate::{ChildId, ChildKind, Restart, Strategy};

/// What a node of the tree is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TreeStatus {
    /// Running.
    Running,
    /// Being restarted (stopped, not yet started again).
    Restarting,
    /// Exited and not restarted; its spec is kept.
    Stopped,
}

impl fmt::Display for TreeStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TreeStatus::Running => "running",
            TreeStatus::Restarting => "restarting",
            TreeStatus::Stopped => "stopped",
        })
    }
}

/// One supervisor and everything under it.
///
/// ```
/// use std::time::Duration;
/// use courier_supervisor::*;
///
/// let tree = SupervisionTree {
///     id: ChildId::new("root"),
///     actor: None,
///     strategy: Strategy::OneForOne,
///     restarts_max: 3,
///     window: Duration::from_secs(5),
///     status: TreeStatus::Running,
///     children: vec![ChildNode::worker("db", Restart::Permanent, TreeStatus::Running, 2)],
/// };
/// assert_eq!(
///     tree.to_string(),
///     "root: supervisor, one_for_one, at most 3 restarts in 5s, running\n\
///      \x20 db: worker, permanent, running, 2 restarts\n"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SupervisionTree {
    /// The supervisor's id (its child id under its own supervisor, or the root's name).
    pub id: ChildId,
    /// The supervisor's actor, when running.
    #[serde(serialize_with = "actor_id")]
    pub actor: Option<ActorId>,
    /// Its strategy.
    pub strategy: Strategy,
    /// Its intensity: at most this many restarts within `window`.
    pub restarts_max: u32,
    /// Its intensity window.
    #[serde(serialize_with = "duration_secs")]
    pub window: Duration,
    /// Whether it is running.
    pub status: TreeStatus,
    /// Its children, in start order.
    pub children: Vec<ChildNode>,
}

/// One child in a [`SupervisionTree`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChildNode {
    /// The child's id.
    pub id: ChildId,
    /// The child's current actor, when running.
    #[serde(serialize_with = "actor_id")]
    pub actor: Option<ActorId>,
    /// Worker or supervisor.
    pub kind: ChildKind,
    /// When it is restarted.
    pub restart: Restart,
    /// Whether it is running.
    pub status: TreeStatus,
    /// How many times its supervisor restarted it.
    pub restarts: u64,
    /// When the child is a supervisor: its own tree.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tree: Option<Box<SupervisionTree>>,
}

impl ChildNode {
    /// A worker child with no actor id.
    #[must_use]
    pub fn worker(
        id: impl Into<ChildId>,
        restart: Restart,
        status: TreeStatus,
        restarts: u64,
    ) -> ChildNode {
        ChildNode {
            id: id.into(),
            actor: None,
            kind: ChildKind::Worker,
            restart,
            status,
            restarts,
            tree: None,
        }
    }

    /// A supervisor child with its tree.
    #[must_use]
    pub fn supervisor(tree: SupervisionTree, restart: Restart, restarts: u64) -> ChildNode {
        ChildNode {
            id: tree.id.clone(),
            actor: tree.actor,
            kind: ChildKind::Supervisor,
            restart,
            status: tree.status,
            restarts,
            tree: Some(Box::new(tree)),
        }
    }
}

impl SupervisionTree {
    /// Every node in the tree, this supervisor included.
    #[must_use]
    pub fn len(&self) -> usize {
        1 + self
            .children
            .iter()
            .map(|child| child.tree.as_ref().map_or(1, |tree| tree.len()))
            .sum::<usize>()
    }

    /// Never: a tree holds at least its root.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Writes this supervisor's line, then its children a level deeper; `as_child` is its
    /// restart type and count when it is itself a child.
    fn write_indented(
        &self,
        f: &mut fmt::Formatter<'_>,
        depth: usize,
        as_child: Option<(Restart, u64)>,
    ) -> fmt::Result {
        write!(
            f,
            "{:indent$}{}: supervisor",
            "",
            self.id,
            indent = depth * 2
        )?;
        write_actor(f, self.actor)?;
        write!(
            f,
            ", {}, at most {} restarts in {:?}",
            self.strategy, self.restarts_max, self.window
        )?;
        if let Some((restart, _)) = as_child {
            write!(f, ", {restart}")?;
        }
        write!(f, ", {}", self.status)?;
        if let Some((_, restarts)) = as_child {
            write_restarts(f, restarts)?;
        }
        writeln!(f)?;
        for child in &self.children {
            child.write_indented(f, depth + 1)?;
        }
        Ok(())
    }
}

impl ChildNode {
    fn write_indented(&self, f: &mut fmt::Formatter<'_>, depth: usize) -> fmt::Result {
        if let Some(tree) = &self.tree {
            return tree.write_indented(f, depth, Some((self.restart, self.restarts)));
        }
        write!(f, "{:indent$}{}: worker", "", self.id, indent = depth * 2)?;
        write_actor(f, self.actor)?;
        write!(f, ", {}, {}", self.restart, self.status)?;
        write_restarts(f, self.restarts)?;
        writeln!(f)
    }
}

fn write_restarts(f: &mut fmt::Formatter<'_>, restarts: u64) -> fmt::Result {
    let plural = if restarts == 1 { "" } else { "s" };
    write!(f, ", {restarts} restart{plural}")
}

fn write_actor(f: &mut fmt::Formatter<'_>, actor: Option<ActorId>) -> fmt::Result {
    match actor {
        Some(actor) => write!(f, " ({actor})"),
        None => Ok(()),
    }
}

impl fmt::Display for SupervisionTree {
    /// An indented tree, two spaces a level, one line a node.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_indented(f, 0, None)
    }
}

#[expect(
    clippy::ref_option,
    reason = "the signature serde's serialize_with calls"
)]
fn actor_id<S: Serializer>(actor: &Option<ActorId>, serializer: S) -> Result<S::Ok, S::Error> {
    actor.map(|ActorId(id)| id).serialize(serializer)
}

fn duration_secs<S: Serializer>(window: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    window.as_secs_f64().serialize(serializer)
}

#[cfg(test)]
mod tests;
