//! `decide` against a model of a supervisor's children, with an injected clock.
//!
//! The model keeps, per child, its restart type and whether it runs, plus every restart time
//! (a `Vec`), and works out Erlang's answer position by position. After each exit the plan
//! `decide` returns must be the model's, and the children after `Plan::apply` must be the
//! model's children. Independently of the model, every plan must be well formed: stops in
//! reverse start order, restarts in start order, no temporary child restarted.

mod common;

use std::time::{Duration, Instant};

use courier_sched::{ActorId, Exit};
use courier_supervisor::{
    ChildExit, ChildId, ChildStatus, ChildView, Decision, Intensity, Plan, Restart,
    Strategy as Supervision, SuperviseError, decide,
};
use proptest::prelude::*;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest};

#[derive(Clone, Debug, PartialEq, Eq)]
struct Child {
    id: u32,
    restart: Restart,
    running: bool,
}

/// What the model says `decide` answers.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Expected {
    Continue {
        stop: Vec<u32>,
        remove: Vec<u32>,
        restart: Vec<u32>,
    },
    Escalate {
        stop: Vec<u32>,
        child: u32,
    },
}

#[derive(Clone, Debug)]
struct Model {
    strategy: Supervision,
    restarts_max: u32,
    window_ms: u64,
    now_ms: u64,
    initial: Vec<Child>,
    children: Vec<Child>,
    restarts_ms: Vec<u64>,
    next_id: u32,
    /// The answer to the last exit.
    expected: Option<(u32, Expected)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reason {
    Normal,
    Error,
    Panicked,
    Killed,
    Linked,
}

impl Reason {
    fn exit(self) -> Exit {
        match self {
            Reason::Normal => Exit::Normal,
            Reason::Error => Exit::Error {
                message: "bad".into(),
            },
            Reason::Panicked => Exit::Panicked {
                message: "boom".into(),
            },
            Reason::Killed => Exit::Killed,
            Reason::Linked => Exit::Linked {
                from: ActorId(9),
                reason: Box::new(Exit::Killed),
            },
        }
    }
}

#[derive(Clone, Debug)]
enum Step {
    /// The `pick`th running child exits after the clock moves on by `advance_ms`.
    Exit {
        pick: usize,
        reason: Reason,
        advance_ms: u64,
    },
    /// A child is added at run time (Erlang's `start_child`).
    Add { restart: Restart },
}

fn restart_type() -> impl Strategy<Value = Restart> + Clone {
    prop_oneof![
        Just(Restart::Permanent),
        Just(Restart::Transient),
        Just(Restart::Temporary)
    ]
}

fn reason() -> impl Strategy<Value = Reason> {
    prop_oneof![
        3 => Just(Reason::Normal),
        1 => Just(Reason::Error),
        1 => Just(Reason::Panicked),
        1 => Just(Reason::Killed),
        1 => Just(Reason::Linked),
    ]
}

fn running(children: &[Child]) -> impl Iterator<Item = &Child> {
    children.iter().filter(|c| c.running)
}

impl Model {
    /// Erlang's answer to the exit of child `position`, applied to the model.
    fn exit(&mut self, position: usize, reason: Reason) -> Expected {
        let exited = self.children[position].clone();
        let restarts = match exited.restart {
            Restart::Permanent => true,
            Restart::Transient => reason != Reason::Normal,
            Restart::Temporary => false,
        };
        if !restarts {
            let forget =
                exited.restart == Restart::Temporary || self.strategy == Supervision::Dynamic;
            if forget {
                self.children.remove(position);
            } else {
                self.children[position].running = false;
            }
            let remove = if forget { vec![exited.id] } else { vec![] };
            return Expected::Continue {
                stop: vec![],
                remove,
                restart: vec![],
            };
        }
        self.restarts_ms.push(self.now_ms);
        let in_window = self
            .restarts_ms
            .iter()
            .filter(|&&t| self.now_ms - t < self.window_ms)
            .count();
        if in_window > self.restarts_max as usize {
            let mut stop: Vec<u32> = running(&self.children)
                .filter(|c| c.id != exited.id)
                .map(|c| c.id)
                .collect();
            stop.reverse();
            // The supervisor exits; its own supervisor starts it again, fresh.
            self.children.clone_from(&self.initial);
            self.restarts_ms.clear();
            return Expected::Escalate {
                stop,
                child: exited.id,
            };
        }
        let (mut stop, mut remove, mut restart) = (vec![], vec![], vec![]);
        for (i, child) in self.children.iter_mut().enumerate() {
            let affected = match self.strategy {
                Supervision::OneForOne | Supervision::Dynamic => i == position,
                Supervision::OneForAll => true,
                Supervision::RestForOne => i >= position,
            };
            if !affected {
                continue;
            }
            if child.running && i != position {
                stop.insert(0, child.id);
            }
            if child.restart == Restart::Temporary {
                remove.push(child.id);
            } else {
                restart.push(child.id);
                child.running = true;
            }
        }
        self.children.retain(|c| !remove.contains(&c.id));
        Expected::Continue {
            stop,
            remove,
            restart,
        }
    }
}

struct Reference;

impl ReferenceStateMachine for Reference {
    type State = Model;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Model> {
        let strategy = prop_oneof![
            Just(Supervision::OneForOne),
            Just(Supervision::OneForAll),
            Just(Supervision::RestForOne),
            Just(Supervision::Dynamic),
        ];
        let children = prop::collection::vec(restart_type(), 0..6);
        (strategy, 0_u32..4, 1_u64..40, children)
            .prop_map(|(strategy, restarts_max, window_ms, restarts)| {
                let initial: Vec<Child> = (0..)
                    .zip(restarts)
                    .map(|(id, restart)| Child {
                        id,
                        restart,
                        running: true,
                    })
                    .collect();
                Model {
                    strategy,
                    restarts_max,
                    window_ms,
                    now_ms: 0,
                    next_id: u32::try_from(initial.len()).expect("few children"),
                    children: initial.clone(),
                    initial,
                    restarts_ms: vec![],
                    expected: None,
                }
            })
            .boxed()
    }

    fn transitions(model: &Model) -> BoxedStrategy<Step> {
        let add = restart_type().prop_map(|restart| Step::Add { restart });
        let running = running(&model.children).count();
        if running == 0 {
            return add.boxed();
        }
        let exit = (
            0..running,
            reason(),
            prop_oneof![3 => 0_u64..5, 1 => 0_u64..60],
        )
            .prop_map(|(pick, reason, advance_ms)| Step::Exit {
                pick,
                reason,
                advance_ms,
            });
        prop_oneof![4 => exit, 1 => add].boxed()
    }

    fn preconditions(model: &Model, step: &Step) -> bool {
        match step {
            Step::Exit { pick, .. } => *pick < running(&model.children).count(),
            Step::Add { .. } => true,
        }
    }

    fn apply(mut model: Model, step: &Step) -> Model {
        match *step {
            Step::Exit {
                pick,
                reason,
                advance_ms,
            } => {
                model.now_ms += advance_ms;
                let position = (0..model.children.len())
                    .filter(|&i| model.children[i].running)
                    .nth(pick)
                    .expect("the precondition");
                let id = model.children[position].id;
                let expected = model.exit(position, reason);
                model.expected = Some((id, expected));
            }
            Step::Add { restart } => {
                model.children.push(Child {
                    id: model.next_id,
                    restart,
                    running: true,
                });
                model.next_id += 1;
                model.expected = None;
            }
        }
        model
    }
}

/// The system under test: the children as `decide` sees them, and the intensity window.
struct Supervised {
    children: Vec<ChildView>,
    intensity: Intensity,
    start: Instant,
}

fn view(child: &Child) -> ChildView {
    ChildView {
        id: child_id(child.id),
        restart: child.restart,
        status: if child.running {
            ChildStatus::Running
        } else {
            ChildStatus::Stopped
        },
    }
}

fn child_id(id: u32) -> ChildId {
    ChildId::new(format!("c{id}"))
}

fn ids(ids: &[u32]) -> Vec<ChildId> {
    ids.iter().copied().map(child_id).collect()
}

/// Properties every plan has, whatever the model says.
fn assert_well_formed(children: &[ChildView], exited: &ChildId, plan: &Plan) {
    let position = |id: &ChildId| children.iter().position(|c| c.id == *id).expect("known");
    let stops: Vec<usize> = plan.stop.iter().map(position).collect();
    assert!(
        stops.windows(2).all(|w| w[0] > w[1]),
        "stop in reverse order"
    );
    let starts: Vec<usize> = plan.restart.iter().map(position).collect();
    assert!(starts.windows(2).all(|w| w[0] < w[1]), "restart in order");
    assert!(
        !plan.stop.contains(exited),
        "the exited child is not stopped"
    );
    for id in &plan.restart {
        assert_ne!(children[position(id)].restart, Restart::Temporary);
    }
    for id in &plan.stop {
        assert_eq!(children[position(id)].status, ChildStatus::Running);
    }
}

struct StrategyTest;

impl StateMachineTest for StrategyTest {
    type SystemUnderTest = Supervised;
    type Reference = Reference;

    fn init_test(model: &Model) -> Supervised {
        Supervised {
            children: model.initial.iter().map(view).collect(),
            intensity: Intensity::new(model.restarts_max, Duration::from_millis(model.window_ms)),
            start: Instant::now(),
        }
    }

    fn apply(mut sut: Supervised, model: &Model, step: Step) -> Supervised {
        match step {
            Step::Add { restart } => {
                let id = model.children.last().expect("just added").id;
                sut.children.push(ChildView::running(child_id(id), restart));
            }
            Step::Exit { reason, .. } => {
                let (id, expected) = model.expected.clone().expect("an exit");
                let exit = ChildExit {
                    child: child_id(id),
                    reason: reason.exit(),
                };
                let now = sut.start + Duration::from_millis(model.now_ms);
                let decision = decide(
                    model.strategy,
                    &sut.children,
                    &exit,
                    &mut sut.intensity,
                    now,
                )
                .expect("a running child exited");
                sut.check(decision, &exit.child, &expected, model);
            }
        }
        sut
    }

    fn check_invariants(sut: &Supervised, model: &Model) {
        let children: Vec<ChildView> = model.children.iter().map(view).collect();
        assert_eq!(sut.children, children);
    }
}

impl Supervised {
    fn check(&mut self, decision: Decision, exited: &ChildId, expected: &Expected, model: &Model) {
        match (decision, expected) {
            (
                Decision::Continue(plan),
                Expected::Continue {
                    stop,
                    remove,
                    restart,
                },
            ) => {
                assert_well_formed(&self.children, exited, &plan);
                assert_eq!(plan.stop, ids(stop));
                assert_eq!(plan.remove, ids(remove));
                assert_eq!(plan.restart, ids(restart));
                plan.apply(&mut self.children, exited);
            }
            (Decision::Escalate { stop, error }, Expected::Escalate { stop: want, child }) => {
                assert_eq!(stop, ids(want));
                assert_eq!(
                    error,
                    SuperviseError::RestartIntensity {
                        child: child_id(*child),
                        restarts_max: model.restarts_max,
                        window: Duration::from_millis(model.window_ms),
                    }
                );
                assert!(error.to_string().contains(&child_id(*child).to_string()));
                // Its own supervisor starts it again, fresh.
                self.children = model.initial.iter().map(view).collect();
                self.intensity.reset();
            }
            (decision, expected) => panic!("decided {decision:?}, the model expected {expected:?}"),
        }
    }
}

#[test]
fn decisions_match_the_model_for_every_strategy() {
    common::run_state_machine::<StrategyTest>(
        "decisions_match_the_model_for_every_strategy",
        512,
        1..60,
    );
}
