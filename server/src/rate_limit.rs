//! Rate limits. Requests over one get 429 with `Retry-After`.
//!
//! - [`RateLimiter`]: a token bucket per key, refilled continuously. `state.limiter` keeps one per REST API
//!   key and session token (REST calls, `POST /auth/token`, socket sign-ins and frames all take from the
//!   token's); the auth-only key is public, so it has none of its own: [`Limits::public_key`] keeps one per
//!   app, client address and endpoint instead, taken only by the calls that key may make.
//! - [`GuestLimits`]: guests created per client address and per app in any 24 hours.
//! - [`SocketGate`]: WebSockets per client address not yet signed in.
//!
//! Client addresses are counted by [`limit_key`] (IPv6 by its /64).

use axum::http::request::Parts;
use axum::http::Method;
use confab_protocol::api_error::{ApiErrorCode, ErrorDetails};
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::client_addr::{client_ip, limit_key};
use crate::error::ApiError;
use crate::settings::Settings;
use crate::state::AppState;

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

/// The calls an auth-only key may make; only these take from its per-address buckets (any other call is
/// refused 403 by its handler, and costs nothing).
pub const PUBLIC_KEY_CALLS: [(Method, &str); 3] =
    [(Method::POST, "/v3/auth/guest"), (Method::POST, "/v3/auth/uid"), (Method::POST, "/v3/users")];

/// The limits kept beside the per-credential [`RateLimiter`], built from the server's [`Settings`].
#[derive(Debug)]
pub struct Limits {
    /// Auth-only key calls a minute per app, client address and endpoint.
    pub public_key: RateLimiter,
    /// Guests created per client address and per app.
    pub guests: GuestLimits,
    /// Sockets per client address not yet signed in.
    pub unauthenticated_sockets: Arc<SocketGate>,
}

impl Limits {
    /// The limits `settings` ask for.
    pub fn new(settings: &Settings) -> Self {
        Self {
            public_key: RateLimiter::new(settings.public_key_per_minute),
            guests: GuestLimits::new(settings.guests_per_address_per_day, settings.guests_per_app_per_day),
            unauthenticated_sockets: Arc::new(SocketGate::new(settings.unauthenticated_sockets_per_address)),
        }
    }
}

/// Takes one call from the auth-only key's bucket for (app, client address, endpoint) when the request is
/// one of [`PUBLIC_KEY_CALLS`]; other calls take nothing (they are refused anyway).
pub fn check_public_key_call(state: &AppState, app_id: &str, parts: &Parts) -> Result<(), ApiError> {
    // Nested routers see their path without the prefix; the original URI has all of it.
    let path = parts.extensions.get::<axum::extract::OriginalUri>().map_or(parts.uri.path(), |uri| uri.0.path());
    if !PUBLIC_KEY_CALLS.iter().any(|(method, p)| *method == parts.method && *p == path) {
        return Ok(());
    }
    let client = limit_key(client_ip(&parts.extensions, &parts.headers, &state.settings.trusted_proxies));
    let key = format!("{app_id}\0{client}\0{} {path}", parts.method);
    state.limits.public_key.check(key.as_bytes()).map_err(|retry_after_secs| ApiError::RateLimited { retry_after_secs })
}

/// Counts one new guest of `app_id` from `client` against the daily limits: 429 `ERR_GUEST_LIMIT` with
/// `Retry-After` (until the 24-hour window frees a place) when the address or the app has had its share.
/// A refused guest is not counted.
pub fn check_guest_creation(state: &AppState, app_id: &str, client: IpAddr) -> Result<(), ApiError> {
    state.limits.guests.admit(app_id, client).map_err(|refusal| {
        let (limit, whom) = match refusal.scope {
            GuestScope::Address => (state.settings.guests_per_address_per_day, "this client address"),
            GuestScope::App => (state.settings.guests_per_app_per_day, "this app"),
        };
        ApiError::Limited {
            code: ApiErrorCode::ErrGuestLimit,
            message: format!(
                "{whom} created {limit} guests in the last 24 hours, as many as it may; retry in {} s",
                refusal.retry_after_secs
            ),
            details: ErrorDetails { field: None, limit: Some(u64::from(limit)) },
            retry_after_secs: refusal.retry_after_secs,
        }
    })
}

/// The window of the guest limits.
pub const GUEST_WINDOW: Duration = Duration::from_secs(24 * 3600);
/// How often the guest limits forget addresses with nothing in the window.
const GUEST_SWEEP: Duration = Duration::from_secs(600);

/// Which guest limit refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuestScope {
    /// The client address's.
    Address,
    /// The app's.
    App,
}

/// A refused guest: which limit, and when a place frees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuestRefusal {
    /// The limit reached.
    pub scope: GuestScope,
    /// Seconds until the oldest guest counted leaves the window.
    pub retry_after_secs: u64,
}

/// Guests created in the last [`GUEST_WINDOW`], per (app, client address) and per app: the times of each,
/// so the limit holds in every 24 hours, not per calendar day. Only admitted guests are kept, so with the
/// app limit on, the log of an app never holds more than that many.
#[derive(Debug)]
pub struct GuestLimits {
    per_address: u32,
    per_app: u32,
    log: Mutex<GuestLog>,
}

#[derive(Debug)]
struct GuestLog {
    by_address: HashMap<(String, IpAddr), VecDeque<Instant>>,
    by_app: HashMap<String, VecDeque<Instant>>,
    next_sweep: Instant,
}

impl GuestLimits {
    /// At most `per_address` guests per client address and app, and `per_app` per app, in any 24 hours
    /// (0: no limit).
    pub fn new(per_address: u32, per_app: u32) -> Self {
        let log = GuestLog { by_address: HashMap::new(), by_app: HashMap::new(), next_sweep: Instant::now() + GUEST_SWEEP };
        Self { per_address, per_app, log: Mutex::new(log) }
    }

    /// Counts a guest of `app_id` from `client`, or says which limit refuses it.
    pub fn admit(&self, app_id: &str, client: IpAddr) -> Result<(), GuestRefusal> {
        self.admit_at(app_id, client, Instant::now())
    }

    fn admit_at(&self, app_id: &str, client: IpAddr, now: Instant) -> Result<(), GuestRefusal> {
        if self.per_address == 0 && self.per_app == 0 {
            return Ok(());
        }
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        if now >= log.next_sweep {
            log.next_sweep = now + GUEST_SWEEP;
            log.by_address.retain(|_, times| times.back().is_some_and(|t| now.duration_since(*t) < GUEST_WINDOW));
            log.by_app.retain(|_, times| times.back().is_some_and(|t| now.duration_since(*t) < GUEST_WINDOW));
        }
        let address_key = (app_id.to_owned(), limit_key(client));
        if self.per_address > 0 {
            if let Some(times) = log.by_address.get_mut(&address_key) {
                if let Some(retry_after_secs) = full(times, self.per_address, now) {
                    return Err(GuestRefusal { scope: GuestScope::Address, retry_after_secs });
                }
            }
        }
        if self.per_app > 0 {
            if let Some(times) = log.by_app.get_mut(app_id) {
                if let Some(retry_after_secs) = full(times, self.per_app, now) {
                    return Err(GuestRefusal { scope: GuestScope::App, retry_after_secs });
                }
            }
        }
        if self.per_address > 0 {
            log.by_address.entry(address_key).or_default().push_back(now);
        }
        if self.per_app > 0 {
            log.by_app.entry(app_id.to_owned()).or_default().push_back(now);
        }
        Ok(())
    }
}

/// Drops the times that left the window; when `limit` remain, the seconds until the oldest leaves.
fn full(times: &mut VecDeque<Instant>, limit: u32, now: Instant) -> Option<u64> {
    while times.front().is_some_and(|t| now.duration_since(*t) >= GUEST_WINDOW) {
        times.pop_front();
    }
    if times.len() < limit as usize {
        return None;
    }
    let oldest = *times.front()?;
    let frees = GUEST_WINDOW.saturating_sub(now.duration_since(oldest));
    Some(frees.as_secs_f64().ceil().max(1.0) as u64)
}

/// Sockets per client address that have not signed in yet. A socket holds a [`SocketPass`] from the
/// upgrade until its sign-in ends (signed in, refused, or timed out).
#[derive(Debug)]
pub struct SocketGate {
    limit: u32,
    open: Mutex<HashMap<IpAddr, u32>>,
}

/// One unauthenticated socket's place at the [`SocketGate`]; dropping it frees the place.
#[derive(Debug)]
pub struct SocketPass {
    gate: Arc<SocketGate>,
    key: IpAddr,
}

impl SocketGate {
    /// At most `limit` sockets per client address before sign-in (0: no limit).
    pub fn new(limit: u32) -> Self {
        Self { limit, open: Mutex::new(HashMap::new()) }
    }

    fn open(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, u32>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A place for one more socket from `client`, or `None` when the address has its share.
    pub fn enter(self: &Arc<Self>, client: IpAddr) -> Option<SocketPass> {
        let key = limit_key(client);
        if self.limit > 0 {
            let mut open = self.open();
            let count = open.entry(key).or_insert(0);
            if *count >= self.limit {
                return None;
            }
            *count += 1;
        }
        Some(SocketPass { gate: self.clone(), key })
    }

    /// Sockets from `client` not signed in yet.
    pub fn count(&self, client: IpAddr) -> u32 {
        self.open().get(&limit_key(client)).copied().unwrap_or(0)
    }
}

impl Drop for SocketPass {
    fn drop(&mut self) {
        if self.gate.limit == 0 {
            return;
        }
        let mut open = self.gate.open();
        if let Some(count) = open.get_mut(&self.key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn guests_are_limited_per_address_and_per_app_in_any_24_hours() {
        let limits = GuestLimits::new(2, 3);
        let start = Instant::now();
        let (a, b, c) = (ip("10.0.0.1"), ip("10.0.0.2"), ip("10.0.0.3"));
        assert!(limits.admit_at("app", a, start).is_ok());
        assert!(limits.admit_at("app", a, start + Duration::from_secs(100)).is_ok());
        let refused = limits.admit_at("app", a, start + Duration::from_secs(200)).unwrap_err();
        assert_eq!(refused, GuestRefusal { scope: GuestScope::Address, retry_after_secs: 24 * 3600 - 200 });
        assert!(limits.admit_at("other-app", a, start).is_ok(), "per app");
        assert!(limits.admit_at("app", b, start + Duration::from_secs(300)).is_ok());
        // The app has 3 now; refused guests were not counted.
        let refused = limits.admit_at("app", c, start + Duration::from_secs(400)).unwrap_err();
        assert_eq!(refused.scope, GuestScope::App);
        assert_eq!(refused.retry_after_secs, 24 * 3600 - 400);
        // A day after the first guest, one place frees, for address a and for the app.
        let later = start + GUEST_WINDOW;
        assert!(limits.admit_at("app", a, later).is_ok());
        assert!(limits.admit_at("app", c, later).is_err());
    }

    #[test]
    fn an_address_refused_does_not_use_up_the_app() {
        let limits = GuestLimits::new(1, 2);
        let now = Instant::now();
        assert!(limits.admit_at("app", ip("10.0.0.1"), now).is_ok());
        for _ in 0..10 {
            assert_eq!(limits.admit_at("app", ip("10.0.0.1"), now).unwrap_err().scope, GuestScope::Address);
        }
        assert!(limits.admit_at("app", ip("10.0.0.2"), now).is_ok());
    }

    #[test]
    fn guest_limits_of_zero_are_off_and_ipv6_counts_by_64() {
        let off = GuestLimits::new(0, 0);
        for _ in 0..1000 {
            assert!(off.admit("app", ip("10.0.0.1")).is_ok());
        }
        let limits = GuestLimits::new(1, 0);
        assert!(limits.admit("app", ip("2001:db8::1")).is_ok());
        assert!(limits.admit("app", ip("2001:db8::2")).is_err());
        assert!(limits.admit("app", ip("2001:db8:0:1::1")).is_ok());
    }

    #[test]
    fn the_socket_gate_counts_places_until_they_are_dropped() {
        let gate = Arc::new(SocketGate::new(2));
        let a = ip("10.0.0.1");
        let first = gate.enter(a).unwrap();
        let _second = gate.enter(a).unwrap();
        assert!(gate.enter(a).is_none());
        assert!(gate.enter(ip("10.0.0.2")).is_some(), "per address");
        drop(first);
        assert_eq!(gate.count(a), 1);
        assert!(gate.enter(a).is_some());
        let unlimited = Arc::new(SocketGate::new(0));
        let passes: Vec<_> = (0..100).map(|_| unlimited.enter(a).unwrap()).collect();
        assert_eq!(passes.len(), 100);
    }
}
