//! A map of values read from the store, each used for a fixed time and then read again: how a node learns
//! within that time what another node changed. A change made on this node is forgotten at once, and a read
//! that was under way when it was forgotten does not put the old value back.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// Values by key, each kept for `ttl` after it was read.
#[derive(Debug)]
pub struct TtlCache<K, V> {
    entries: RwLock<HashMap<K, (V, Instant)>>,
    /// Moves on each forget: a read that started before it caches nothing (it may be what was just changed).
    forgets: AtomicU64,
    ttl: Duration,
    /// Most entries kept; past it, the expired ones are dropped before a new one goes in.
    limit: usize,
}

impl<K: Eq + Hash, V: Clone> TtlCache<K, V> {
    /// An empty cache whose values are used for `ttl`, holding at most about `limit` of them.
    pub fn new(ttl: Duration, limit: usize) -> Self {
        Self { entries: RwLock::default(), forgets: AtomicU64::new(0), ttl, limit }
    }

    /// The value of `key`: the cached one while it is fresh, else what `load` reads (cached when it is
    /// `Some`; a `None` also drops what was cached).
    pub async fn get_or_load<Q, E, Fut>(&self, key: &Q, load: impl FnOnce() -> Fut) -> Result<Option<V>, E>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
        Fut: Future<Output = Result<Option<V>, E>>,
    {
        let now = Instant::now();
        if let Some((value, until)) = self.entries.read().unwrap_or_else(|e| e.into_inner()).get(key) {
            if *until > now {
                return Ok(Some(value.clone()));
            }
        }
        let forgets = self.forgets.load(Ordering::SeqCst);
        let loaded = load().await?;
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        match &loaded {
            None => {
                entries.remove(key);
            }
            Some(value) if self.forgets.load(Ordering::SeqCst) == forgets => {
                if entries.len() >= self.limit {
                    entries.retain(|_, (_, until)| *until > now);
                }
                entries.insert(key.to_owned(), (value.clone(), now + self.ttl));
            }
            Some(_) => {}
        }
        Ok(loaded)
    }

    /// Forgets the entries whose key `matches`, at once.
    pub fn forget_where(&self, matches: impl Fn(&K) -> bool) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        self.forgets.fetch_add(1, Ordering::SeqCst);
        entries.retain(|key, _| !matches(key));
    }

    /// Forgets `key`, at once.
    pub fn forget<Q>(&self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        self.forgets.fetch_add(1, Ordering::SeqCst);
        entries.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;

    #[tokio::test]
    async fn values_are_kept_for_their_time_and_forgotten_at_once() {
        let cache: TtlCache<String, u32> = TtlCache::new(Duration::from_secs(60), 10);
        let read = |n: u32| move || async move { Ok::<_, Infallible>(Some(n)) };
        assert_eq!(cache.get_or_load("a", read(1)).await, Ok(Some(1)));
        assert_eq!(cache.get_or_load("a", read(2)).await, Ok(Some(1)), "fresh: the store is not read");
        cache.forget("a");
        assert_eq!(cache.get_or_load("a", read(2)).await, Ok(Some(2)));
        cache.forget_where(|key| key == "a");
        assert_eq!(cache.get_or_load("a", read(3)).await, Ok(Some(3)));

        let brief: TtlCache<String, u32> = TtlCache::new(Duration::ZERO, 10);
        assert_eq!(brief.get_or_load("b", read(1)).await, Ok(Some(1)));
        assert_eq!(brief.get_or_load("b", read(2)).await, Ok(Some(2)), "expired: read again");
        assert_eq!(brief.get_or_load("b", || async { Ok::<_, Infallible>(None) }).await, Ok(None), "gone is gone");
    }

    #[tokio::test]
    async fn a_read_under_way_when_its_key_is_forgotten_caches_nothing() {
        let cache: TtlCache<String, u32> = TtlCache::new(Duration::from_secs(60), 10);
        let stale = cache.get_or_load("k", || async {
            cache.forget("k");
            Ok::<_, Infallible>(Some(1))
        });
        assert_eq!(stale.await, Ok(Some(1)));
        assert_eq!(cache.get_or_load("k", || async { Ok::<_, Infallible>(Some(2)) }).await, Ok(Some(2)));
    }
}
