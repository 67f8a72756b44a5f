use super::*;

#[test]
fn fields_decode_independently() {
    let word = CLOSED_BIT | (5 * OCCUPANCY_UNIT) | TURN_BIT | (3 * UNSEEN_UNIT);
    let state = State(word);
    assert!(state.is_closed());
    assert_eq!(state.occupancy(), 5);
    assert_eq!(state.unseen(), 3);
    assert!(state.turn_owed());
    assert_eq!(
        format!("{state:?}"),
        "State { closed: true, occupancy: 5, turn_owed: true, unseen: 3 }"
    );
    assert!(!State(word & !TURN_BIT).turn_owed());
}

#[test]
fn capacity_test_catches_full_and_closed_in_one_compare() {
    let capacity = u64::from(CAPACITY_MAX);
    let limit = capacity << OCCUPANCY_SHIFT;
    let almost_full = ((capacity - 1) * OCCUPANCY_UNIT) | TURN_BIT | UNSEEN_MASK;
    assert!(
        almost_full < limit,
        "one slot left must pass, turn owed or not"
    );
    assert!(capacity * OCCUPANCY_UNIT >= limit, "full must fail");
    assert!(CLOSED_BIT >= limit, "closed must fail even when empty");
}

#[test]
fn message_unit_moves_both_counts() {
    let state = State(2 * MESSAGE_UNIT - UNSEEN_UNIT);
    assert_eq!((state.occupancy(), state.unseen()), (2, 1));
    assert!(!state.is_closed());
}
