//! No message loss across restarts: 100k numbered messages to a supervised child that panics at
//! random; every message is handled exactly once, in order, by some instance, except the ones
//! being handled when an instance panicked, which are reported (`lost_messages`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use courier_sched::{Actor, Context, Runtime};
use courier_supervisor::{Child, Strategy, SupervisorRef, SupervisorSpec};

const MESSAGES: u64 = 100_000;
const HANG: Duration = Duration::from_mins(2);

/// Whether message `n` makes its instance panic: about one in 1000, spread by a mixing hash.
fn panics_on(n: u64) -> bool {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)).is_multiple_of(1000)
}

struct Numbered {
    handled: Arc<Mutex<Vec<u64>>>,
}

impl Actor for Numbered {
    type Msg = u64;
    type Error = String;

    fn handle(&mut self, _ctx: &mut Context<'_, Self>, n: u64) -> Result<(), String> {
        assert!(!panics_on(n), "message {n} makes this instance panic");
        self.handled.lock().expect("not poisoned").push(n);
        Ok(())
    }
}

#[test]
fn every_message_is_handled_once_in_order_across_random_panics() {
    // A hundred expected panics: keep their reports off the test output.
    std::panic::set_hook(Box::new(|_| {}));
    let runtime = Runtime::with_workers(2).expect("a runtime");
    let handled = Arc::new(Mutex::new(Vec::with_capacity(100_000)));
    let for_child = Arc::clone(&handled);
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .with_intensity(10_000, Duration::from_mins(1))
        .child(Child::worker("numbered", move || Numbered {
            handled: Arc::clone(&for_child),
        }));
    let sup = SupervisorRef::start(&runtime, "root", spec).expect("started");
    let child = sup.child::<u64>("numbered").expect("the child");
    // A deadline, not `send`: a lost restart would leave the mailbox full for ever, and the
    // test must fail then, not hang.
    let deadline = Instant::now() + HANG;
    for n in 0..MESSAGES {
        if let Err(error) = child.send_until(n, deadline) {
            panic!("message {n} refused ({error}): the child was never restarted?");
        }
    }
    let panicking = (0..MESSAGES).filter(|&n| panics_on(n)).count() as u64;
    assert!(panicking > 50, "the test exercises restarts: {panicking}");
    let deadline = Instant::now() + HANG;
    loop {
        let done = handled.lock().expect("not poisoned").len() as u64 + sup.lost_messages();
        if done >= MESSAGES {
            break;
        }
        assert!(Instant::now() < deadline, "stuck at {done} of {MESSAGES}");
        std::thread::yield_now();
    }
    let handled = handled.lock().expect("not poisoned").clone();
    let expected: Vec<u64> = (0..MESSAGES).filter(|&n| !panics_on(n)).collect();
    assert_eq!(handled.len(), expected.len());
    assert!(handled == expected, "every other message once, in order");
    assert_eq!(
        sup.lost_messages(),
        panicking,
        "each lost message is reported"
    );
    let restarts = sup.tree().children[0].restarts;
    assert_eq!(restarts, panicking, "one restart per panic");
    drop(std::panic::take_hook());
    runtime.shutdown();
}
