use super::*;

fn two_level_tree() -> SupervisionTree {
    let pool = SupervisionTree {
        id: ChildId::new("pool"),
        actor: Some(ActorId(7)),
        strategy: Strategy::Dynamic,
        restarts_max: 10,
        window: Duration::from_secs(1),
        status: TreeStatus::Running,
        children: vec![ChildNode::worker(
            "conn-1",
            Restart::Transient,
            TreeStatus::Restarting,
            1,
        )],
    };
    SupervisionTree {
        id: ChildId::new("root"),
        actor: Some(ActorId(1)),
        strategy: Strategy::RestForOne,
        restarts_max: 3,
        window: Duration::from_secs(5),
        status: TreeStatus::Running,
        children: vec![
            ChildNode {
                actor: Some(ActorId(4)),
                ..ChildNode::worker("db", Restart::Permanent, TreeStatus::Running, 0)
            },
            ChildNode::supervisor(pool, Restart::Permanent, 2),
        ],
    }
}

#[test]
fn display_indents_each_level_by_two_spaces() {
    let expected = "\
root: supervisor (actor 1), rest_for_one, at most 3 restarts in 5s, running
  db: worker (actor 4), permanent, running, 0 restarts
  pool: supervisor (actor 7), dynamic, at most 10 restarts in 1s, permanent, running, 2 restarts
    conn-1: worker, transient, restarting, 1 restart
";
    assert_eq!(two_level_tree().to_string(), expected);
}

#[test]
fn len_counts_every_node_of_every_level() {
    assert_eq!(two_level_tree().len(), 4);
}

#[test]
fn serializes_ids_actors_counts_and_nested_trees() {
    let json = serde_json::to_value(two_level_tree()).unwrap();
    assert_eq!(json["strategy"], "rest_for_one");
    assert_eq!(json["window"], 5.0);
    assert_eq!(json["children"][0]["id"], "db");
    assert_eq!(json["children"][0]["actor"], 4);
    assert_eq!(json["children"][0]["kind"], "worker");
    assert!(json["children"][0].get("tree").is_none());
    let pool = &json["children"][1];
    assert_eq!(pool["restarts"], 2);
    assert_eq!(pool["tree"]["strategy"], "dynamic");
    assert_eq!(pool["tree"]["children"][0]["status"], "restarting");
    assert_eq!(
        pool["tree"]["children"][0]["actor"],
        serde_json::Value::Null
    );
}
