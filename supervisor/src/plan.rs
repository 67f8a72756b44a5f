//! The strategy decision: what a supervisor does when one of its children exits.
//!
//! [`decide`] is a pure function of the children (in start order), the exit, the
//! [`Intensity`] window and the time, following Erlang's `supervisor`:
//!
//! - P1 A `Permanent` child is always restarted; a `Transient` one only after an abnormal exit
//!   ([`Exit::is_abnormal`]); a `Temporary` one never. A child that is not restarted stays in
//!   the list as [`ChildStatus::Stopped`] (its spec is kept), except a `Temporary` child or any
//!   child under [`Strategy::Dynamic`], which is removed.
//! - P2 Each restart decision counts once against the intensity, however many children it
//!   restarts. When [`Intensity::admit`] refuses, the supervisor gives up: it stops every
//!   running child in reverse start order and exits with
//!   [`SuperviseError::RestartIntensity`] naming the child.
//! - P3 Otherwise the affected children are: the exited child (one-for-one, dynamic), every
//!   child (one-for-all), or the exited child and every child after it (rest-for-one). The
//!   running ones among them, other than the exited child, are stopped in reverse start order;
//!   the `Temporary` ones among them are removed, never restarted; the rest start again in
//!   start order, including children of the set that had stopped earlier (Erlang starts every
//!   child spec of the set).

use std::time::Instant;

use courier_sched::Exit;
use serde::Serialize;

use crate::{ChildId, Intensity, Restart, Strategy, SuperviseError};

/// Whether a child is running, as far as its supervisor knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChildStatus {
    /// Started and not known to have exited.
    Running,
    /// Exited and not restarted; the spec is kept, so it may be started again.
    Stopped,
}

/// What [`decide`] needs to know of one child.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChildView {
    /// The child's id, unique among its supervisor's children.
    pub id: ChildId,
    /// When it is restarted.
    pub restart: Restart,
    /// Whether it is running.
    pub status: ChildStatus,
}

impl ChildView {
    /// A running child.
    #[must_use]
    pub fn running(id: impl Into<ChildId>, restart: Restart) -> ChildView {
        ChildView {
            id: id.into(),
            restart,
            status: ChildStatus::Running,
        }
    }
}

/// A child exited.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChildExit {
    /// Which child.
    pub child: ChildId,
    /// Why.
    pub reason: Exit,
}

/// What to do to the children after an exit, step by step in this field order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Running children to stop, in reverse start order, each by its shutdown spec.
    pub stop: Vec<ChildId>,
    /// Children whose specs are forgotten (removed from the list), in start order.
    pub remove: Vec<ChildId>,
    /// Children to start again, in start order.
    pub restart: Vec<ChildId>,
}

impl Plan {
    /// Applies the plan to the children's statuses: stopped and restarted children as such,
    /// removed children gone. The exited child, if not restarted, becomes `Stopped`.
    pub fn apply(&self, children: &mut Vec<ChildView>, exited: &ChildId) {
        children.retain(|child| !self.remove.contains(&child.id));
        for child in children.iter_mut() {
            if self.restart.contains(&child.id) {
                child.status = ChildStatus::Running;
            } else if self.stop.contains(&child.id) || child.id == *exited {
                child.status = ChildStatus::Stopped;
            }
        }
    }
}

/// What a supervisor does after a child exits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Carry out the plan and go on supervising.
    Continue(Plan),
    /// Give up (P2): stop these running children, in this order (reverse start order), then
    /// exit with the error; the supervisor's own supervisor applies its strategy.
    Escalate {
        /// Running children to stop, in reverse start order.
        stop: Vec<ChildId>,
        /// Why the supervisor gives up; it names the child.
        error: SuperviseError,
    },
}

/// Decides what a supervisor with `strategy` does when a child exits at `now` (P1 to P3).
///
/// `children` are in start order; `exit.child` must be one of them and running.
///
/// # Errors
/// [`SuperviseError::UnknownChild`] or [`SuperviseError::NotRunning`] when the exited child
/// is not a running child of `children`; nothing is recorded in `intensity` then.
///
/// ```
/// use std::time::{Duration, Instant};
/// use courier_sched::Exit;
/// use courier_supervisor::*;
///
/// let children = [
///     ChildView::running("a", Restart::Permanent),
///     ChildView::running("b", Restart::Permanent),
///     ChildView::running("c", Restart::Temporary),
/// ];
/// let mut intensity = Intensity::new(3, Duration::from_secs(5));
/// let exit = ChildExit { child: "a".into(), reason: Exit::Killed };
/// let decision = decide(Strategy::RestForOne, &children, &exit, &mut intensity, Instant::now());
/// assert_eq!(
///     decision,
///     Ok(Decision::Continue(Plan {
///         stop: vec!["c".into(), "b".into()],
///         remove: vec!["c".into()],
///         restart: vec!["a".into(), "b".into()],
///     }))
/// );
/// ```
pub fn decide(
    strategy: Strategy,
    children: &[ChildView],
    exit: &ChildExit,
    intensity: &mut Intensity,
    now: Instant,
) -> Result<Decision, SuperviseError> {
    let Some(position) = children.iter().position(|c| c.id == exit.child) else {
        return Err(SuperviseError::UnknownChild {
            child: exit.child.clone(),
        });
    };
    let exited = &children[position];
    if exited.status != ChildStatus::Running {
        return Err(SuperviseError::NotRunning {
            child: exit.child.clone(),
        });
    }
    let restarts = match exited.restart {
        Restart::Permanent => true,
        Restart::Transient => exit.reason.is_abnormal(),
        Restart::Temporary => false,
    };
    if !restarts {
        // P1: not restarted; forgotten if temporary or dynamic, else kept as stopped.
        let forget = exited.restart == Restart::Temporary || strategy == Strategy::Dynamic;
        let remove = if forget {
            vec![exited.id.clone()]
        } else {
            Vec::new()
        };
        return Ok(Decision::Continue(Plan {
            remove,
            ..Plan::default()
        }));
    }
    if !intensity.admit(now) {
        // P2: give up; every other running child stops, in reverse start order.
        let stop = running_except(children, &exited.id).rev().collect();
        let error = SuperviseError::RestartIntensity {
            child: exited.id.clone(),
            restarts_max: intensity.restarts_max(),
            window: intensity.window(),
        };
        return Ok(Decision::Escalate { stop, error });
    }
    let affected = match strategy {
        Strategy::OneForOne | Strategy::Dynamic => &children[position..=position],
        Strategy::OneForAll => children,
        Strategy::RestForOne => &children[position..],
    };
    // P3.
    Ok(Decision::Continue(Plan {
        stop: running_except(affected, &exited.id).rev().collect(),
        remove: ids_where(affected, |c| c.restart == Restart::Temporary),
        restart: ids_where(affected, |c| c.restart != Restart::Temporary),
    }))
}

fn running_except<'a>(
    children: &'a [ChildView],
    exited: &'a ChildId,
) -> impl DoubleEndedIterator<Item = ChildId> + 'a {
    children
        .iter()
        .filter(move |c| c.status == ChildStatus::Running && c.id != *exited)
        .map(|c| c.id.clone())
}

fn ids_where(children: &[ChildView], keep: impl Fn(&ChildView) -> bool) -> Vec<ChildId> {
    children
        .iter()
        .filter(|c| keep(c))
        .map(|c| c.id.clone())
        .collect()
}

#[cfg(test)]
mod tests;
