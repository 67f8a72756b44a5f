//! The one panic boundary, and the guard for runtime critical sections.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};

/// What running a piece of actor code came to.
#[derive(Debug)]
pub(crate) enum HandlerOutcome<E> {
    Ok,
    Err(E),
    Panicked(String),
}

/// The one place actor code runs (STYLE.md §4): a panic becomes an outcome, never an unwind
/// through the worker.
//
// Always inlined: out of line, the handler's closure (the message in it) went through memory
// and the message path paid a call into the unwinding frame: 51 instructions more per message
// handled (callgrind, one outside sender of savina counting's `Count`: 178 a message in the
// consumer's turn against 127).
#[expect(
    clippy::inline_always,
    reason = "measured on the message path, see above"
)]
#[inline(always)]
pub(crate) fn run_handler<E>(handler: impl FnOnce() -> Result<(), E>) -> HandlerOutcome<E> {
    // AssertUnwindSafe: after a panic the actor's state is dropped, never used again.
    match panic::catch_unwind(AssertUnwindSafe(handler)) {
        Ok(Ok(())) => HandlerOutcome::Ok,
        Ok(Err(error)) => HandlerOutcome::Err(error),
        Err(payload) => HandlerOutcome::Panicked(panic_message(payload.as_ref())),
    }
}

/// Runs code that must not fail (a `stopped` hook, dropping an actor's state): a panic there is
/// caught and reported, and the caller carries on.
pub(crate) fn run_quietly(code: impl FnOnce()) -> Option<String> {
    match run_handler::<()>(|| {
        code();
        Ok(())
    }) {
        HandlerOutcome::Panicked(message) => Some(message),
        HandlerOutcome::Ok | HandlerOutcome::Err(()) => None,
    }
}

/// Runs runtime-called user code that is not an actor's handler (a timer's closure, which
/// makes and sends a message): its value, or the panic's message.
pub(crate) fn run_caught<T>(code: impl FnOnce() -> T) -> Result<T, String> {
    // AssertUnwindSafe: the caller drops whatever the code was working on after a panic.
    panic::catch_unwind(AssertUnwindSafe(code)).map_err(|payload| panic_message(payload.as_ref()))
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&'static str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic with a non-string payload".to_owned()
    }
}

/// Held across a runtime critical section: a panic there means a broken invariant, so the
/// process aborts instead of unwinding into an inconsistent runtime (rayon's `AbortIfPanic`).
pub(crate) struct AbortOnUnwind;

impl Drop for AbortOnUnwind {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("courier: a runtime invariant broke during a panic; aborting");
            std::process::abort();
        }
    }
}
