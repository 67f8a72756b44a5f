//! The intrusive link a message carries, and the trait that finds it.

use std::fmt;
use std::ptr::{self, NonNull};

use crate::sync::{AtomicPtr, Ordering};

/// The intrusive link of a message: one pointer to the next link of the same lane or stash.
///
/// A message type embeds one `Link` and implements [`Linked`] to say where it is. courier-sched
/// puts it in the first cache line of a courier-alloc block, beside the type tag, correlation
/// id, priority and flags, so it is kept to 8 bytes (`#[repr(C)]`, one `AtomicPtr`). Its
/// contents belong to the mailbox while the message is inside one (protocol M1 in `lane.rs`);
/// outside a mailbox it holds no meaning.
///
/// ```
/// use courier_mailbox::Link;
/// assert_eq!(size_of::<Link>(), 8);
/// let link = Link::new();
/// assert!(format!("{link:?}").starts_with("Link"));
/// ```
#[repr(C)]
pub struct Link {
    pub(crate) next: AtomicPtr<Link>,
}

// Loom's atomics are larger than std's; the header layout is only fixed for real builds.
#[cfg(not(courier_loom))]
const _: () = assert!(size_of::<Link>() == 8 && align_of::<Link>() == 8);

impl Link {
    /// A link that is in no mailbox.
    #[must_use]
    pub fn new() -> Self {
        Self {
            next: AtomicPtr::new(ptr::null_mut()),
        }
    }
}

impl Link {
    /// Whether the message this link belongs to, just taken out of a mailbox, had another
    /// behind it in its lane when it was taken: the consumer is behind its producers (a
    /// stream), rather than at their front. A hint, read with no ordering: a consumer may
    /// prefetch what its producers wrote ahead in the first case, where in the second it would
    /// pull in lines they have not written yet.
    ///
    /// ```
    /// # use std::ptr::NonNull;
    /// # use courier_mailbox::{Link, Linked, Mailbox, Priority, Pop};
    /// # #[repr(C)] struct Node { link: Link }
    /// # // SAFETY: `link` is at offset 0 of a `#[repr(C)]` struct.
    /// # unsafe impl Linked for Node {
    /// #     fn link(n: NonNull<Self>) -> NonNull<Link> { n.cast() }
    /// #     unsafe fn from_link(l: NonNull<Link>) -> NonNull<Self> { l.cast() }
    /// # }
    /// let mut nodes = [(), ()].map(|()| Node { link: Link::new() });
    /// let mut mailbox = Mailbox::new();
    /// // SAFETY: the mailbox stays where it is until it is dropped.
    /// unsafe { mailbox.link() };
    /// for node in &mut nodes {
    ///     // SAFETY: `nodes` outlives the mailbox's use of them.
    ///     unsafe { mailbox.try_push(NonNull::from(node), Priority::Normal).unwrap() };
    /// }
    /// let mut consumer = mailbox.consumer();
    /// let first = consumer.pop().into_node().unwrap();
    /// // SAFETY: popped, and `nodes` is alive.
    /// assert!(unsafe { first.as_ref() }.link.had_successor());
    /// let last = consumer.pop().into_node().unwrap();
    /// // SAFETY: as above.
    /// assert!(!unsafe { last.as_ref() }.link.had_successor());
    /// ```
    #[must_use]
    #[inline]
    pub fn had_successor(&self) -> bool {
        // ORDERING: Relaxed; a hint, which publishes and consumes nothing.
        !self.next.load(Ordering::Relaxed).is_null()
    }
}

impl Default for Link {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // ORDERING: Relaxed; a diagnostic snapshot that publishes and consumes nothing.
        let next = self.next.load(Ordering::Relaxed);
        f.debug_struct("Link").field("next", &next).finish()
    }
}

/// A message type that carries a [`Link`], so a [`Mailbox`](crate::Mailbox) can hold it without
/// allocating.
///
/// The mailbox converts between a node pointer and its link with these two functions; both are
/// on the hot path, so they should compile to a cast or one addition. The simplest sound layout
/// is `#[repr(C)]` with the link as the first field, where both directions are `cast()`:
///
/// ```
/// use std::ptr::NonNull;
/// use courier_mailbox::{Link, Linked};
///
/// #[repr(C)]
/// struct Envelope {
///     link: Link, // offset 0: `#[repr(C)]` keeps it first
///     payload: u64,
/// }
///
/// // SAFETY: `link` is at offset 0 of a `#[repr(C)]` struct, so the casts below are exact
/// // inverses that keep the node's provenance, and `Envelope` uses `link` for nothing else.
/// unsafe impl Linked for Envelope {
///     fn link(node: NonNull<Self>) -> NonNull<Link> {
///         node.cast()
///     }
///     unsafe fn from_link(link: NonNull<Link>) -> NonNull<Self> {
///         link.cast()
///     }
/// }
///
/// let mut envelope = Envelope { link: Link::new(), payload: 7 };
/// let node = NonNull::from(&mut envelope);
/// // SAFETY: `Envelope::link` returned this link for `node`.
/// assert_eq!(unsafe { Envelope::from_link(Envelope::link(node)) }, node);
/// ```
///
/// # Safety
///
/// Implementors promise, for every node pointer `node` that points to a live `Self`:
/// - `link(node)` points to a `Link` stored inside `*node`, the same one on every call, derived
///   from `node` (a cast or a byte offset) so that it carries the provenance of the whole node.
/// - `from_link(link(node))` returns `node`, again with the provenance of the whole node.
/// - While the node is inside a mailbox (from an accepted `try_push` until the consumer receives
///   it back), nothing but the mailbox reads or writes that `Link`.
/// - `link` neither reads nor writes through `node`: it may be called on a node the mailbox
///   is handing back, but it must not touch the node's other fields.
pub unsafe trait Linked {
    /// The link embedded in `node`.
    fn link(node: NonNull<Self>) -> NonNull<Link>;

    /// The node that embeds `link`.
    ///
    /// # Safety
    ///
    /// - `link` was returned by [`Linked::link`] for a node that is still live.
    unsafe fn from_link(link: NonNull<Link>) -> NonNull<Self>;
}
