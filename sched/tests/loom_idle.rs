//! Loom model of the idle-worker protocol (`src/idle.rs`, I1-I7): work submitted while workers
//! search and park is always taken; no worker sleeps forever with work queued.
//!
//! The workers below follow the protocol as the scheduler's worker loop does: search (capped),
//! park with the last-searcher re-scan, and re-park on a spurious wake-up. A lost wake-up shows
//! as a loom deadlock (every thread parked).

#![cfg(courier_loom)]

use courier_sched::{IdleWorkers, WorkerId};
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};
use loom::sync::{Arc, Mutex};
use loom::thread::{self, Thread};

struct Pool {
    idle: IdleWorkers,
    /// Queued work items (the run queues, collapsed into one counter).
    queued: AtomicUsize,
    taken: AtomicUsize,
    shutdown: AtomicBool,
    threads: Mutex<Vec<Thread>>,
}

impl Pool {
    /// Two workers on one node, nothing queued.
    fn new() -> Pool {
        Pool {
            idle: IdleWorkers::new(&[0, 0]),
            queued: AtomicUsize::new(0),
            taken: AtomicUsize::new(0),
            shutdown: AtomicBool::new(false),
            threads: Mutex::new(Vec::new()),
        }
    }

    fn try_take(&self) -> bool {
        let mut queued = self.queued.load(Ordering::Acquire);
        while queued > 0 {
            match self.queued.compare_exchange(
                queued,
                queued - 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    self.taken.fetch_add(1, Ordering::Relaxed);
                    return true;
                }
                Err(actual) => queued = actual,
            }
        }
        false
    }

    fn unpark(&self, worker: WorkerId) {
        self.threads.lock().expect("no panics in the model")[worker.index()].unpark();
    }

    /// I2: publish, fence, then maybe wake one.
    fn submit(&self) {
        self.queued.fetch_add(1, Ordering::Release);
        // ORDERING: SeqCst fence, I2: publish, fence, then read the idle state.
        fence(Ordering::SeqCst);
        if let Some(worker) = self.idle.worker_to_notify(0) {
            self.unpark(worker);
        }
    }

    fn shut_down(&self) {
        // ORDERING: SeqCst; the shutdown flag is the model's own, kept simple and strongest.
        self.shutdown.store(true, Ordering::SeqCst);
        for worker in self.idle.wake_all() {
            self.unpark(worker);
        }
    }
}

/// I5: a searcher that found work stops searching; the last one wakes another worker.
fn stop_searching(pool: &Pool, searching: &mut bool) {
    if *searching && pool.idle.transition_worker_from_searching() {
        if let Some(worker) = pool.idle.worker_to_notify(0) {
            pool.unpark(worker);
        }
    }
    *searching = false;
}

/// A worker; a `spinner` keeps searching through the turns it finds while searching (I7).
fn worker_loop(pool: &Pool, me: WorkerId, items: usize, spinner: bool) {
    let mut searching = false;
    loop {
        // ORDERING: SeqCst; the model's shutdown flag (see `shut_down`).
        if pool.shutdown.load(Ordering::SeqCst) {
            return;
        }
        if pool.try_take() {
            if !spinner {
                stop_searching(pool, &mut searching);
            }
            if pool.taken.load(Ordering::Relaxed) == items {
                pool.shut_down();
                return;
            }
            if searching {
                // I7: after the turn, fence, then look: more queued than it takes next (one)
                // makes the spinner stop searching as in I5.
                // ORDERING: SeqCst fence, I7: pairs with the submitter's (I2).
                fence(Ordering::SeqCst);
                if pool.queued.load(Ordering::Acquire) > 1 {
                    stop_searching(pool, &mut searching);
                }
            }
            continue;
        }
        if !searching && pool.idle.transition_worker_to_searching() {
            searching = true;
            continue;
        }
        let last_searcher = pool.idle.transition_worker_to_parked(me, searching);
        // ORDERING: SeqCst fence, I3: the parking update, fence, then the re-scan.
        fence(Ordering::SeqCst);
        if last_searcher && pool.queued.load(Ordering::Acquire) > 0 {
            // I3: work arrived while we were leaving; wake someone (maybe ourselves).
            if let Some(worker) = pool.idle.worker_to_notify(0) {
                pool.unpark(worker);
            }
        }
        // I6: sleep until taken off the list (or shut down).
        // ORDERING: SeqCst; the model's shutdown flag (see `shut_down`).
        while pool.idle.is_parked(me) && !pool.shutdown.load(Ordering::SeqCst) {
            thread::park();
        }
        // ORDERING: SeqCst; the model's shutdown flag (see `shut_down`).
        searching = !pool.shutdown.load(Ordering::SeqCst);
    }
}

/// Two workers (worker 0 a spinner when `spinner`) and `items` submitted from outside.
fn run(items: usize, spinner: bool) {
    let pool = Arc::new(Pool::new());
    let workers: Vec<_> = (0..2)
        .map(|index| {
            let pool = Arc::clone(&pool);
            let spins = spinner && index == 0;
            thread::spawn(move || worker_loop(&pool, WorkerId(index), items, spins))
        })
        .collect();
    *pool.threads.lock().expect("no panics in the model") =
        workers.iter().map(|w| w.thread().clone()).collect();
    for _ in 0..items {
        pool.submit();
    }
    for worker in workers {
        worker.join().expect("a worker panicked");
    }
    assert_eq!(pool.taken.load(Ordering::Relaxed), items);
}

#[test]
fn work_submitted_while_two_workers_go_idle_is_always_taken() {
    loom::model(|| run(1, false));
}

#[test]
fn two_items_submitted_back_to_back_are_both_taken() {
    loom::model(|| run(2, false));
}

/// I7: the spinner searches through its turns; what is submitted meanwhile is taken by it or
/// by the worker it wakes, never left with both asleep.
#[test]
fn work_submitted_during_a_spinners_turn_is_always_taken() {
    loom::model(|| run(1, true));
}

#[test]
fn two_items_submitted_during_a_spinners_turn_are_both_taken() {
    loom::model(|| run(2, true));
}

#[test]
fn three_items_submitted_to_a_spinner_and_a_sleeper_are_all_taken() {
    loom::model(|| run(3, true));
}

/// P1-P2: work for one worker alone (a pinned actor in its inbox) is never left with that
/// worker asleep: the submitter pushes then wakes the worker if it is listed; the worker lists
/// itself, then checks its inbox. The sleeper list's lock orders the two.
fn run_pinned(items: usize) {
    let pool = Arc::new(Pool::new());
    let worker = {
        let pool = Arc::clone(&pool);
        thread::spawn(move || {
            let me = WorkerId(0);
            let mut searching = false;
            loop {
                if pool.try_take() {
                    if std::mem::take(&mut searching) {
                        // A direct wake counted us as a searcher (I4); leave that state.
                        let _last = pool.idle.transition_worker_from_searching();
                    }
                    if pool.taken.load(Ordering::Relaxed) == items {
                        return;
                    }
                    continue;
                }
                let _last = pool.idle.transition_worker_to_parked(me, searching);
                searching = false;
                // ORDERING: SeqCst fence, as the worker's park (I3), before the inbox check.
                fence(Ordering::SeqCst);
                // P2: work pushed before we listed ourselves is seen here.
                if pool.queued.load(Ordering::Acquire) > 0
                    && pool.idle.transition_worker_from_parked(me)
                {
                    continue;
                }
                while pool.idle.is_parked(me) {
                    thread::park();
                }
                searching = true;
            }
        })
    };
    *pool.threads.lock().expect("no panics in the model") = vec![worker.thread().clone()];
    for _ in 0..items {
        // P1: push, then wake the one worker that can take it if it is listed.
        pool.queued.fetch_add(1, Ordering::Release);
        // ORDERING: SeqCst fence, P1: the push before `wake_worker`'s read of the idle state.
        fence(Ordering::SeqCst);
        if pool.idle.wake_worker(WorkerId(0)) {
            pool.unpark(WorkerId(0));
        }
    }
    worker.join().expect("the worker panicked");
    assert_eq!(pool.taken.load(Ordering::Relaxed), items);
    assert_eq!(
        pool.idle.searching_len(),
        0,
        "I1: the searcher count is back to zero"
    );
}

#[test]
fn pinned_work_always_wakes_its_worker() {
    loom::model(|| run_pinned(1));
}

#[test]
fn two_pinned_items_back_to_back_are_both_taken() {
    loom::model(|| run_pinned(2));
}

/// A worker with a timer parks with a timeout, and on waking for it takes itself off the
/// sleeper list (`transition_worker_from_parked`) unless a notifier already did. Loom has no
/// clock, so the model lets the timeout fire at every point a notifier could race it: the
/// parked worker, instead of sleeping, takes itself off the list. Work submitted meanwhile is
/// still taken, and the searching count ends at zero (I1): whichever of the two takes the
/// worker off the list counts it (a notifier as a searcher, the timeout as not searching).
fn run_timed(items: usize) {
    let pool = Arc::new(Pool::new());
    let worker = {
        let pool = Arc::clone(&pool);
        thread::spawn(move || {
            let me = WorkerId(0);
            let mut searching = false;
            let mut timeouts = 2;
            loop {
                if pool.try_take() {
                    if std::mem::take(&mut searching)
                        && pool.idle.transition_worker_from_searching()
                        && let Some(other) = pool.idle.worker_to_notify(0)
                    {
                        pool.unpark(other);
                    }
                    if pool.taken.load(Ordering::Relaxed) == items {
                        return;
                    }
                    continue;
                }
                if !searching && pool.idle.transition_worker_to_searching() {
                    searching = true;
                    continue;
                }
                let last_searcher = pool.idle.transition_worker_to_parked(me, searching);
                searching = false;
                // ORDERING: SeqCst fence, I3: the parking update, fence, then the re-scan.
                fence(Ordering::SeqCst);
                if last_searcher
                    && pool.queued.load(Ordering::Acquire) > 0
                    && let Some(worker) = pool.idle.worker_to_notify(0)
                {
                    pool.unpark(worker);
                }
                // The timer fires (a bounded number of times, so the model ends): off the list
                // by itself, unless a notifier took it off first.
                if timeouts > 0 {
                    timeouts -= 1;
                    if pool.idle.transition_worker_from_parked(me) {
                        continue; // woke for the timer: not counted as searching
                    }
                }
                while pool.idle.is_parked(me) {
                    thread::park();
                }
                searching = true; // a notifier counted it as a searcher (I4)
            }
        })
    };
    *pool.threads.lock().expect("no panics in the model") =
        vec![worker.thread().clone(), worker.thread().clone()];
    for _ in 0..items {
        pool.submit();
    }
    worker.join().expect("the worker panicked");
    assert_eq!(pool.taken.load(Ordering::Relaxed), items);
    assert_eq!(
        pool.idle.searching_len(),
        0,
        "I1: the searcher count is back to zero"
    );
}

#[test]
fn a_timed_park_racing_a_notifier_loses_no_work_and_no_count() {
    loom::model(|| run_timed(1));
}

#[test]
fn two_items_with_timed_parks_are_both_taken() {
    loom::model(|| run_timed(2));
}
