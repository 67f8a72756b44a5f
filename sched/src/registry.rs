//! The named local registry: find an actor by name (Erlang's `register`/`whereis`).
//!
//! A name holds a reference to its actor (C1) until it is unregistered or the actor exits;
//! an exiting actor's names are removed as it exits, so a lookup never finds a stopped actor
//! that exited before the lookup began.

use std::any::TypeId;
use std::collections::HashMap;
use std::fmt;

use parking_lot::Mutex;

use crate::cell::ActorPtr;
use crate::{ActorId, ActorRef};

/// Why a name could not be registered or looked up.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NameError {
    /// Another actor holds the name.
    Taken {
        /// The name.
        name: String,
        /// The actor holding it.
        holder: ActorId,
    },
    /// No actor holds the name.
    NotFound {
        /// The name.
        name: String,
    },
    /// The actor holding the name handles another message type than the one asked for.
    WrongType {
        /// The name.
        name: String,
    },
    /// The actor has stopped; a stopped actor cannot take a name.
    Stopped {
        /// The actor.
        actor: ActorId,
    },
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameError::Taken { name, holder } => write!(f, "the name {name:?} is held by {holder}"),
            NameError::NotFound { name } => write!(f, "no actor is named {name:?}"),
            NameError::WrongType { name } => {
                write!(f, "the actor named {name:?} handles another message type")
            }
            NameError::Stopped { actor } => write!(f, "{actor} has stopped"),
        }
    }
}

impl std::error::Error for NameError {}

#[derive(Default)]
pub(crate) struct Registry {
    names: Mutex<HashMap<String, (TypeId, ActorPtr)>>,
}

impl Registry {
    pub(crate) fn register<M: 'static>(
        &self,
        name: &str,
        actor: &ActorRef<M>,
    ) -> Result<(), NameError> {
        let ptr = actor.ptr();
        let mut names = self.names.lock();
        if let Some((_, holder)) = names.get(name) {
            return Err(NameError::Taken {
                name: name.to_owned(),
                holder: holder.header().id,
            });
        }
        // Checked under the lock: an actor that exits after this is unregistered by its exit,
        // which takes the same lock.
        if ptr.mailbox().is_closed() {
            return Err(NameError::Stopped {
                actor: ptr.header().id,
            });
        }
        ptr.retain();
        ptr.header().mark_named();
        names.insert(name.to_owned(), (TypeId::of::<M>(), ptr));
        Ok(())
    }

    pub(crate) fn whereis<M: Send + 'static>(&self, name: &str) -> Result<ActorRef<M>, NameError> {
        let names = self.names.lock();
        let Some(&(type_id, ptr)) = names.get(name) else {
            return Err(NameError::NotFound {
                name: name.to_owned(),
            });
        };
        if type_id != TypeId::of::<M>() {
            return Err(NameError::WrongType {
                name: name.to_owned(),
            });
        }
        ptr.retain();
        Ok(ActorRef::from_owned(ptr))
    }

    pub(crate) fn unregister(&self, name: &str) -> bool {
        let removed = self.names.lock().remove(name);
        match removed {
            Some((_, ptr)) => {
                // SAFETY: the name held this reference; it is gone now.
                unsafe { ptr.release() };
                true
            }
            None => false,
        }
    }

    /// Removes every name of an exiting actor.
    pub(crate) fn unregister_actor(&self, actor: ActorPtr) {
        let removed: Vec<ActorPtr> = {
            let mut names = self.names.lock();
            let mut removed = Vec::new();
            names.retain(|_, (_, ptr)| {
                let hit = *ptr == actor;
                if hit {
                    removed.push(*ptr);
                }
                !hit
            });
            removed
        };
        for ptr in removed {
            // SAFETY: each name held one reference; they are gone now.
            unsafe { ptr.release() };
        }
    }

    /// Releases every name (runtime shutdown).
    pub(crate) fn clear(&self) {
        let names: Vec<ActorPtr> = self.names.lock().drain().map(|(_, (_, ptr))| ptr).collect();
        for ptr in names {
            // SAFETY: each name held one reference; they are gone now.
            unsafe { ptr.release() };
        }
    }
}
