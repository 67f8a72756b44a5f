use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::*;

fn recorder() -> (Arc<Mutex<Vec<u32>>>, impl Fn(u32) -> Fire) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let make = {
        let log = Arc::clone(&log);
        move |tag: u32| -> Fire {
            let log = Arc::clone(&log);
            Box::new(move || {
                log.lock().unwrap().push(tag);
                true
            })
        }
    };
    (log, make)
}

#[test]
fn timers_fire_in_deadline_order_and_never_early() {
    let origin = Instant::now();
    let mut wheel = TimerWheel::new(origin);
    let (log, make) = recorder();
    let at = |ms: u64| origin + Duration::from_millis(ms);
    wheel.insert(at(30), None, make(3));
    wheel.insert(at(10), None, make(1));
    wheel.insert(at(20), None, make(2));
    wheel.insert(at(10), None, make(11));
    assert_eq!(wheel.fire_due(at(9)), 0);
    assert_eq!(wheel.fire_due(at(10)), 2);
    assert_eq!(wheel.fire_due(at(25)), 1);
    assert_eq!(wheel.fire_due(at(31)), 1);
    assert_eq!(*log.lock().unwrap(), [1, 11, 2, 3]);
    assert!(wheel.is_empty());
}

#[test]
fn a_timer_beyond_one_turn_of_the_wheel_waits_its_turns() {
    let origin = Instant::now();
    let mut wheel = TimerWheel::new(origin);
    let (log, make) = recorder();
    let at = |ms: u64| origin + Duration::from_millis(ms);
    wheel.insert(at(1000), None, make(7));
    for ms in (0..1000).step_by(100) {
        assert_eq!(wheel.fire_due(at(ms)), 0, "at {ms} ms");
    }
    assert_eq!(wheel.fire_due(at(1000)), 1);
    assert_eq!(*log.lock().unwrap(), [7]);
    assert_eq!(wheel.next_deadline(), None);
}

#[test]
fn an_interval_repeats_until_cancelled() {
    let origin = Instant::now();
    let mut wheel = TimerWheel::new(origin);
    let (log, make) = recorder();
    let at = |ms: u64| origin + Duration::from_millis(ms);
    let handle = wheel.insert(at(5), Some(Duration::from_millis(5)), make(1));
    for ms in [5, 10, 15] {
        assert_eq!(wheel.fire_due(at(ms)), 1, "at {ms} ms");
    }
    handle.cancel();
    assert_eq!(wheel.fire_due(at(40)), 0);
    assert_eq!(log.lock().unwrap().len(), 3);
    assert!(wheel.is_empty());
}

#[test]
fn the_next_deadline_is_the_earliest_timer() {
    let origin = Instant::now();
    let mut wheel = TimerWheel::new(origin);
    let (_log, make) = recorder();
    wheel.insert(origin + Duration::from_millis(50), None, make(1));
    wheel.insert(origin + Duration::from_millis(7), None, make(2));
    let next = wheel.next_deadline().unwrap();
    assert!(next >= origin + Duration::from_millis(7) && next < origin + Duration::from_millis(9));
}
