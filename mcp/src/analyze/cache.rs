//! A least-recently-used cache whose entries also expire: the analyzer actors' memory of
//! recent answers. Time is passed in, never read, so tests drive it with made-up instants.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::time::{Duration, Instant};

/// At most `entries_max` values, each valid for `ttl` after it was inserted; inserting into a
/// full cache evicts the least recently used entry.
#[derive(Debug)]
pub(crate) struct LruTtl<K, V> {
    entries: HashMap<K, Entry<V>>,
    /// The keys by last use: the first is the least recently used.
    by_use: BTreeMap<u64, K>,
    tick: u64,
    entries_max: usize,
    ttl: Duration,
}

#[derive(Debug)]
struct Entry<V> {
    value: V,
    inserted: Instant,
    used: u64,
}

impl<K: Hash + Eq + Clone, V> LruTtl<K, V> {
    /// An empty cache (`entries_max` at least 1).
    pub(crate) fn new(entries_max: usize, ttl: Duration) -> Self {
        Self {
            entries: HashMap::new(),
            by_use: BTreeMap::new(),
            tick: 0,
            entries_max: entries_max.max(1),
            ttl,
        }
    }

    /// The value of `key` if it is there and fresh at `now`; marks it as just used.
    pub(crate) fn get(&mut self, key: &K, now: Instant) -> Option<&V> {
        let fresh = self.entries.get(key)?.inserted + self.ttl > now;
        if !fresh {
            self.remove(key);
            return None;
        }
        self.tick += 1;
        let entry = self.entries.get_mut(key)?;
        let key = self.by_use.remove(&entry.used)?;
        entry.used = self.tick;
        self.by_use.insert(self.tick, key);
        Some(&entry.value)
    }

    /// Inserts (or replaces) `key`, evicting the least recently used entry when full.
    pub(crate) fn insert(&mut self, key: K, value: V, now: Instant) {
        self.remove(&key);
        if self.entries.len() >= self.entries_max
            && let Some((_, oldest)) = self.by_use.pop_first()
        {
            self.entries.remove(&oldest);
        }
        self.tick += 1;
        self.by_use.insert(self.tick, key.clone());
        let entry = Entry {
            value,
            inserted: now,
            used: self.tick,
        };
        self.entries.insert(key, entry);
    }

    /// Removes every entry that has expired at `now`; returns how many.
    pub(crate) fn evict_expired(&mut self, now: Instant) -> usize {
        let ttl = self.ttl;
        let expired: Vec<K> = self
            .entries
            .iter()
            .filter(|(_, entry)| entry.inserted + ttl <= now)
            .map(|(key, _)| key.clone())
            .collect();
        for key in &expired {
            self.remove(key);
        }
        expired.len()
    }

    /// How many entries the cache holds (fresh or not yet swept).
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    fn remove(&mut self, key: &K) {
        if let Some(entry) = self.entries.remove(key) {
            self.by_use.remove(&entry.used);
        }
    }
}
