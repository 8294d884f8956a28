//! A per-credential rate limit: a token bucket for each key or token, refilled continuously. Requests over
//! it get 429 with `Retry-After`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Buckets by credential hash.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    buckets: Mutex<HashMap<Vec<u8>, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl RateLimiter {
    /// A limiter allowing `per_minute` requests a minute per credential (bursts up to a minute's worth);
    /// 0 turns it off.
    pub fn new(per_minute: u32) -> Self {
        Self { per_minute, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one request from `credential`'s bucket; `Err(seconds)` to wait when it is empty.
    pub fn check(&self, credential: &[u8]) -> Result<(), u64> {
        self.check_at(credential, Instant::now())
    }

    fn check_at(&self, credential: &[u8], now: Instant) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() > 100_000 {
            // Forget full buckets so the map cannot grow without bound.
            buckets.retain(|_, b| b.tokens + now.duration_since(b.updated).as_secs_f64() * per_second < capacity);
        }
        let bucket = buckets.entry(credential.to_vec()).or_insert(Bucket { tokens: capacity, updated: now });
        let refill = now.duration_since(bucket.updated).as_secs_f64() * per_second;
        bucket.tokens = (bucket.tokens + refill).min(capacity);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / per_second).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn allows_a_burst_then_refuses_until_refilled() {
        let limiter = RateLimiter::new(60);
        let start = Instant::now();
        for _ in 0..60 {
            assert!(limiter.check_at(b"k", start).is_ok());
        }
        assert_eq!(limiter.check_at(b"k", start), Err(1));
        assert!(limiter.check_at(b"other", start).is_ok(), "buckets are per credential");
        assert!(limiter.check_at(b"k", start + Duration::from_millis(1100)).is_ok());
    }

    #[test]
    fn zero_turns_it_off() {
        let limiter = RateLimiter::new(0);
        for _ in 0..10_000 {
            assert!(limiter.check(b"k").is_ok());
        }
    }
}
