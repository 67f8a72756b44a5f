//! The set of tools a server offers, shared by every connection, changeable at run time.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use crossbeam_channel::Sender;

use crate::error::BridgeError;
use crate::outbox::Event;
use crate::sync::{AtomicU64, Ordering};
use crate::tool::Tool;

/// Tools by name, in name order (the order of `tools/list`). Cloning shares the registry.
///
/// Adding or removing a tool while servers run sends each of them the list-changed
/// notifications their clients asked for.
#[derive(Clone, Default)]
pub struct Registry {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    tools: RwLock<BTreeMap<String, Arc<Tool>>>,
    listeners: Mutex<Vec<(u64, Sender<Event>)>>,
    next_listener: AtomicU64,
}

/// A connection's subscription to tool changes; see [`Registry::listen`].
#[derive(Debug)]
pub(crate) struct ListenerId(u64);

impl Registry {
    /// An empty registry.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `tool`.
    ///
    /// # Errors
    /// [`BridgeError::DuplicateTool`] when a tool of that name is registered already.
    pub fn add(&self, tool: Tool) -> Result<(), BridgeError> {
        {
            let mut tools = self
                .inner
                .tools
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            if tools.contains_key(tool.name()) {
                return Err(BridgeError::DuplicateTool {
                    name: tool.name().to_owned(),
                });
            }
            tools.insert(tool.name().to_owned(), Arc::new(tool));
        }
        self.changed();
        Ok(())
    }

    /// Removes the tool named `name`; returns whether there was one. Calls already running
    /// finish normally.
    pub fn remove(&self, name: &str) -> bool {
        let removed = self
            .inner
            .tools
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(name)
            .is_some();
        if removed {
            self.changed();
        }
        removed
    }

    /// The tool named `name`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<Arc<Tool>> {
        let tools = self
            .inner
            .tools
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        tools.get(name).cloned()
    }

    /// The names of all tools, in `tools/list` order.
    #[must_use]
    pub fn names(&self) -> Vec<String> {
        let tools = self
            .inner
            .tools
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        tools.keys().cloned().collect()
    }

    /// Up to `len_max` tools whose names come after `after` (all, from the start, if `None`),
    /// and whether more follow.
    pub(crate) fn page(&self, after: Option<&str>, len_max: usize) -> (Vec<Arc<Tool>>, bool) {
        use std::ops::Bound;
        let tools = self
            .inner
            .tools
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        let start = after.map_or(Bound::Unbounded, |name| Bound::Excluded(name.to_owned()));
        let mut range = tools.range((start, Bound::Unbounded)).map(|(_, tool)| tool);
        let page: Vec<_> = range.by_ref().take(len_max).cloned().collect();
        let more = range.next().is_some();
        (page, more)
    }

    pub(crate) fn listen(&self, events: Sender<Event>) -> ListenerId {
        // ORDERING: Relaxed; a unique counter, nothing is published through it.
        let id = self.inner.next_listener.fetch_add(1, Ordering::Relaxed);
        self.listeners().push((id, events));
        ListenerId(id)
    }

    pub(crate) fn unlisten(&self, listener: &ListenerId) {
        self.listeners().retain(|(id, _)| *id != listener.0);
    }

    fn listeners(&self) -> std::sync::MutexGuard<'_, Vec<(u64, Sender<Event>)>> {
        self.inner
            .listeners
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn changed(&self) {
        for (_, events) in self.listeners().iter() {
            let _ = events.send(Event::ToolsChanged);
        }
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("tools", &self.names())
            .finish_non_exhaustive()
    }
}
