//! Loom model of the watchers' word (`src/watch_word.rs`, W1-W4): registrations racing the
//! owner's exit, with and without data in the reason, and a removal. Each entry added is handed
//! out exactly once - by the exit, or back to its registration with the reason - unless it was
//! removed first; nobody hears a reason other than the exit's.

#![cfg(courier_loom)]

use courier_sched::{Exit, WatchList, WatchLock, WatchWord};
use loom::sync::Arc;
use loom::thread::{self, JoinHandle};

#[derive(Default)]
struct Owner {
    lock: WatchLock,
    word: WatchWord<u32>,
}

impl Owner {
    fn watchers(&self) -> WatchList<'_, u32> {
        WatchList::new(&self.lock, &self.word)
    }
}

/// Registers `entry`; returns it if the registration was told at once (the owner had exited),
/// checking the reason it was told.
fn register(owner: &Arc<Owner>, entry: u32, reason: Exit) -> JoinHandle<Option<u32>> {
    let owner = Arc::clone(owner);
    thread::spawn(move || match owner.watchers().add(entry) {
        Ok(()) => None,
        Err((back, told)) => {
            assert_eq!(told, reason, "a registration hears the exit's own reason");
            Some(back)
        }
    })
}

/// Exits with `reason`; returns the entries the exit hands out.
fn exit(owner: &Arc<Owner>, reason: Exit) -> JoinHandle<Vec<u32>> {
    let owner = Arc::clone(owner);
    thread::spawn(move || owner.watchers().exit(&reason))
}

/// Every entry told, sorted.
fn told(exit: JoinHandle<Vec<u32>>, registrations: Vec<JoinHandle<Option<u32>>>) -> Vec<u32> {
    let mut told = exit.join().expect("the exit does not panic");
    for registration in registrations {
        told.extend(registration.join().expect("a registration does not panic"));
    }
    told.sort_unstable();
    told
}

#[test]
fn two_registrations_racing_an_exit_without_data_are_each_told_once() {
    loom::model(|| {
        let owner = Arc::new(Owner::default());
        let exiting = exit(&owner, Exit::Normal);
        let first = register(&owner, 1, Exit::Normal);
        let second = register(&owner, 2, Exit::Normal);
        assert_eq!(told(exiting, vec![first, second]), [1, 2]);
        // The exit is recorded: a later registration is told at once, and a second exit
        // hands out nothing.
        assert_eq!(owner.watchers().add(3), Err((3, Exit::Normal)));
        assert!(owner.watchers().exit(&Exit::Killed).is_empty());
    });
}

#[test]
fn a_registration_racing_an_exit_with_data_is_told_once_with_the_data() {
    let reason = || Exit::Panicked {
        message: "boom".to_owned(),
    };
    loom::model(move || {
        let owner = Arc::new(Owner::default());
        let exiting = exit(&owner, reason());
        let registration = register(&owner, 1, reason());
        assert_eq!(told(exiting, vec![registration]), [1]);
        assert_eq!(owner.watchers().add(2), Err((2, reason())));
    });
}

#[test]
fn a_removed_entry_is_never_told_and_the_others_are_told_once() {
    loom::model(|| {
        let owner = Arc::new(Owner::default());
        owner
            .watchers()
            .add(1)
            .expect("the owner is alive: nothing exited yet");
        let removing = {
            let owner = Arc::clone(&owner);
            thread::spawn(move || owner.watchers().remove(|entry| *entry == 1))
        };
        let exiting = exit(&owner, Exit::Shutdown);
        let registration = register(&owner, 2, Exit::Shutdown);
        let removed = removing.join().expect("the removal does not panic");
        let told = told(exiting, vec![registration]);
        // Entry 1 is either removed (and not told) or told by the exit (and not removed).
        match removed.as_slice() {
            [1] => assert_eq!(told, [2]),
            [] => assert_eq!(told, [1, 2]),
            other => panic!("removed {other:?}"),
        }
    });
}

#[test]
fn an_exit_without_watchers_allocates_no_box_and_is_heard_by_a_later_registration() {
    loom::model(|| {
        let owner = Arc::new(Owner::default());
        assert!(owner.watchers().exit(&Exit::Killed).is_empty());
        assert_eq!(
            format!("{:?}", owner.word),
            "WatchWord(exited: Killed)",
            "a marker, not a box"
        );
        let registration = register(&owner, 7, Exit::Killed);
        assert_eq!(registration.join().expect("no panic"), Some(7));
    });
}
