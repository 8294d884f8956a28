//! Rate limits. Requests over one get 429 with `Retry-After`.
//!
//! - [`RateLimiter`]: a token bucket per key, refilled continuously. `state.limiter` keeps one per REST API
//!   key and session token (REST calls, `POST /auth/token`, socket sign-ins and frames all take from the
//!   token's); the auth-only key is public, so it has none of its own: [`Limits::public_key`] keeps one per
//!   app, client address and endpoint instead, taken only by the calls that key may make.
//! - [`GuestLimits`]: guests created per client address and per app in any 24 hours.
//! - [`SocketGate`]: WebSockets per client address not yet signed in.
//! - [`Limits::attempts`]: group password guesses and group adds ([`crate::attempts`]).
//!
//! Client addresses are counted by [`limit_key`] (IPv6 by its /64).
//!
//! # Where the counts are kept
//!
//! Every limit but the socket gate counts through one [`Counts`]: [`MemoryCounts`] (the default) keeps
//! them in this node's memory; with several nodes each would count on its own and every limit would be
//! multiplied by the number of nodes, so a cluster counts in Redis instead
//! (`realtime::redis::RedisCounts`, the same limits, refusals and retry-after figures; it counts on the
//! node alone, with a warning, while Redis cannot be reached, rather than refusing or failing requests).
//! The [`SocketGate`] stays per node on purpose: it bounds the memory one node gives to sockets that have
//! not signed in.

use async_trait::async_trait;
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

/// One sliding window of an [`Admit`]: the entries under `key` that are younger than the admission's span,
/// at most `limit` in weight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// What is counted (the implementation keeps keys apart from every other kind of count).
    pub key: Vec<u8>,
    /// The most weight the window may hold (at least 1; leave out a window whose limit is off).
    pub limit: u32,
}

/// An entry asked into one or more sliding windows at once ([`Counts::admit`]).
#[derive(Debug, Clone, Copy)]
pub struct Admit<'a> {
    /// The windows; the entry goes into all of them or none.
    pub windows: &'a [Window],
    /// How long an entry counts.
    pub span: Duration,
    /// The weight asked for (at least 1).
    pub wanted: u32,
    /// Grant what there is room for when that is less than `wanted` (else all or nothing).
    pub partial: bool,
    /// Every entry of these windows weighs 1 (lets a shared store count them without reading them).
    pub unit: bool,
}

/// An entry made by [`Counts::admit`], to amend with [`Counts::amend`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryId {
    /// Its id within its windows.
    pub id: u64,
    /// Counted in this node's memory (a shared store that could not be reached).
    pub local: bool,
}

/// The answer of [`Counts::admit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admitted {
    /// The entry, weighing `granted`; `None` when nothing was granted (and nothing counted).
    pub entry: Option<EntryId>,
    /// The weight granted: `wanted`, less when partial and the windows had less room, or 0.
    pub granted: u32,
    /// For each window, in order: 0 when it had room for all that was wanted, else the whole seconds (at
    /// least 1) until enough of it has left the window: as much as the refusal needed, or (partial) one.
    pub waits: Vec<u64>,
}

/// Where limits count: a token bucket per key, and sliding windows of weighted entries.
#[async_trait]
pub trait Counts: Send + Sync + std::fmt::Debug + 'static {
    /// Takes one token from `bucket`, which holds `per_minute` tokens (a minute's worth) and refills
    /// continuously at `per_minute` a minute; `Err(seconds)` until a token is there when it is empty.
    async fn take(&self, bucket: &[u8], per_minute: u32) -> Result<(), u64>;
    /// Counts an entry of `wanted` into every window of `request`, when each has room (see [`Admit`]).
    async fn admit(&self, request: Admit<'_>) -> Admitted;
    /// Lowers the weight of `entry` in `windows` to `weight` (0: it no longer counts). Never raises it.
    async fn amend(&self, windows: &[Vec<u8>], entry: EntryId, weight: u32);
}

/// Whole seconds (at least 1) until `at` has been `span` old.
fn secs_until_free(at: Instant, span: Duration, now: Instant) -> u64 {
    let left = (at + span).saturating_duration_since(now);
    (left.as_secs() + u64::from(left.subsec_nanos() > 0)).max(1)
}

/// The limits' counts in this node's memory.
#[derive(Debug, Default)]
pub struct MemoryCounts {
    buckets: Mutex<HashMap<Vec<u8>, Bucket>>,
    windows: Mutex<Windows>,
    clock: Clock,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
    capacity: f64,
}

/// Buckets kept before full ones are forgotten.
const MAX_BUCKETS: usize = 100_000;
/// Every this many admissions, windows left empty are dropped, so that memory follows the recent activity
/// and not every key ever seen.
const SWEEP_EVERY: u64 = 1024;

#[derive(Debug, Default)]
struct Windows {
    logs: HashMap<Vec<u8>, WindowLog>,
    next_id: u64,
}

/// The entries of one window, oldest first: (id, when, weight).
#[derive(Debug)]
struct WindowLog {
    span: Duration,
    entries: VecDeque<(u64, Instant, u32)>,
}

impl WindowLog {
    fn prune(&mut self, now: Instant) {
        while self.entries.front().is_some_and(|e| now.saturating_duration_since(e.1) >= self.span) {
            self.entries.pop_front();
        }
    }

    fn used(&self) -> u64 {
        self.entries.iter().map(|e| u64::from(e.2)).sum()
    }
}

/// This node's clock; tests can stop it and move it on.
#[derive(Debug, Default)]
struct Clock {
    manual: Option<Mutex<Instant>>,
}

impl Clock {
    fn now(&self) -> Instant {
        match &self.manual {
            Some(at) => *at.lock().unwrap_or_else(|e| e.into_inner()),
            None => Instant::now(),
        }
    }
}

impl MemoryCounts {
    /// Counts on a clock that stands still until [`advance`](Self::advance) moves it (for tests).
    #[cfg(test)]
    pub(crate) fn with_manual_clock() -> Self {
        Self { clock: Clock { manual: Some(Mutex::new(Instant::now())) }, ..Self::default() }
    }

    /// Moves the manual clock on by `by`.
    #[cfg(test)]
    pub(crate) fn advance(&self, by: Duration) {
        if let Some(at) = &self.clock.manual {
            *at.lock().unwrap_or_else(|e| e.into_inner()) += by;
        }
    }

    /// [`Counts::take`], at once.
    pub fn take_now(&self, bucket: &[u8], per_minute: u32) -> Result<(), u64> {
        if per_minute == 0 {
            return Ok(());
        }
        let now = self.clock.now();
        let capacity = f64::from(per_minute);
        let per_second = capacity / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() > MAX_BUCKETS {
            // Forget full buckets so the map cannot grow without bound.
            buckets.retain(|_, b| b.tokens + now.duration_since(b.updated).as_secs_f64() * b.capacity / 60.0 < b.capacity);
        }
        let bucket = buckets.entry(bucket.to_vec()).or_insert(Bucket { tokens: capacity, updated: now, capacity });
        let refill = now.duration_since(bucket.updated).as_secs_f64() * per_second;
        bucket.tokens = (bucket.tokens + refill).min(capacity);
        bucket.updated = now;
        bucket.capacity = capacity;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / per_second).ceil().max(1.0) as u64)
        }
    }

    /// [`Counts::admit`], at once.
    pub fn admit_now(&self, request: Admit<'_>) -> Admitted {
        let now = self.clock.now();
        let mut guard = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let w = &mut *guard;
        w.next_id += 1;
        let id = w.next_id;
        if id.is_multiple_of(SWEEP_EVERY) {
            w.logs.retain(|_, log| {
                log.prune(now);
                !log.entries.is_empty()
            });
        }
        let wanted = u64::from(request.wanted);
        let mut used = Vec::with_capacity(request.windows.len());
        let mut granted = wanted;
        for window in request.windows {
            let log_used = match w.logs.get_mut(&window.key) {
                Some(log) => {
                    log.span = request.span;
                    log.prune(now);
                    log.used()
                }
                None => 0,
            };
            granted = granted.min(u64::from(window.limit).saturating_sub(log_used));
            used.push(log_used);
        }
        if !request.partial && granted < wanted {
            granted = 0;
        }
        let mut waits = Vec::with_capacity(request.windows.len());
        for (window, used) in request.windows.iter().zip(&used) {
            let limit = u64::from(window.limit);
            if used + wanted <= limit {
                waits.push(0);
                continue;
            }
            let need = if request.partial { 1 } else { used + wanted - limit };
            let mut freed = 0;
            let frees_at = w.logs.get(&window.key).and_then(|log| {
                log.entries.iter().find(|e| {
                    freed += u64::from(e.2);
                    freed >= need
                })
            });
            waits.push(match frees_at {
                Some(entry) => secs_until_free(entry.1, request.span, now),
                None => request.span.as_secs().max(1),
            });
        }
        let granted = u32::try_from(granted).unwrap_or(u32::MAX);
        if granted == 0 {
            return Admitted { entry: None, granted, waits };
        }
        for window in request.windows {
            let log = w.logs.entry(window.key.clone()).or_insert_with(|| WindowLog { span: request.span, entries: VecDeque::new() });
            log.entries.push_back((id, now, granted));
        }
        Admitted { entry: Some(EntryId { id, local: true }), granted, waits }
    }

    /// [`Counts::amend`], at once.
    pub fn amend_now(&self, windows: &[Vec<u8>], entry: EntryId, weight: u32) {
        let mut w = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        for key in windows {
            if let Some(log) = w.logs.get_mut(key) {
                if let Some(e) = log.entries.iter_mut().find(|e| e.0 == entry.id) {
                    e.2 = e.2.min(weight);
                }
                log.entries.retain(|e| e.2 > 0);
            }
        }
    }
}

#[async_trait]
impl Counts for MemoryCounts {
    async fn take(&self, bucket: &[u8], per_minute: u32) -> Result<(), u64> {
        self.take_now(bucket, per_minute)
    }

    async fn admit(&self, request: Admit<'_>) -> Admitted {
        self.admit_now(request)
    }

    async fn amend(&self, windows: &[Vec<u8>], entry: EntryId, weight: u32) {
        self.amend_now(windows, entry, weight)
    }
}

/// A scoped key: `scope`, a separator, then `parts` joined by NUL.
fn key(scope: &str, parts: &[&[u8]]) -> Vec<u8> {
    let mut key = Vec::with_capacity(scope.len() + 1 + parts.iter().map(|p| p.len() + 1).sum::<usize>());
    key.extend_from_slice(scope.as_bytes());
    key.push(b':');
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            key.push(0);
        }
        key.extend_from_slice(part);
    }
    key
}

/// Token buckets by credential, counted in a [`Counts`].
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    scope: &'static str,
    counts: Arc<dyn Counts>,
}

impl RateLimiter {
    /// A limiter allowing `per_minute` requests a minute per credential (bursts up to a minute's worth),
    /// counted in this node's memory; 0 turns it off.
    pub fn new(per_minute: u32) -> Self {
        Self::with_counts(per_minute, Arc::new(MemoryCounts::default()))
    }

    /// The same, counted in `counts` (shared by every node when it is Redis).
    pub fn with_counts(per_minute: u32, counts: Arc<dyn Counts>) -> Self {
        Self::scoped("credential", per_minute, counts)
    }

    fn scoped(scope: &'static str, per_minute: u32, counts: Arc<dyn Counts>) -> Self {
        Self { per_minute, scope, counts }
    }

    /// Takes one request from `credential`'s bucket; `Err(seconds)` to wait when it is empty.
    pub async fn check(&self, credential: &[u8]) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        self.counts.take(&key(self.scope, &[credential]), self.per_minute).await
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
    /// Group password guesses and group adds.
    pub attempts: crate::attempts::Attempts,
    /// Sockets per client address not yet signed in (per node: it bounds this node's memory).
    pub unauthenticated_sockets: Arc<SocketGate>,
}

impl Limits {
    /// The limits `settings` ask for, counted in this node's memory.
    pub fn new(settings: &Settings) -> Self {
        Self::with_counts(settings, Arc::new(MemoryCounts::default()))
    }

    /// The limits `settings` ask for, counted in `counts` (all but the socket gate, which is per node).
    pub fn with_counts(settings: &Settings, counts: Arc<dyn Counts>) -> Self {
        Self {
            public_key: RateLimiter::scoped("public-key", settings.public_key_per_minute, counts.clone()),
            guests: GuestLimits::with_counts(settings.guests_per_address_per_day, settings.guests_per_app_per_day, counts.clone()),
            attempts: crate::attempts::Attempts::with_counts(counts),
            unauthenticated_sockets: Arc::new(SocketGate::new(settings.unauthenticated_sockets_per_address)),
        }
    }
}

/// Takes one call from the auth-only key's bucket for (app, client address, endpoint) when the request is
/// one of [`PUBLIC_KEY_CALLS`]; other calls take nothing (they are refused anyway).
pub async fn check_public_key_call(state: &AppState, app_id: &str, parts: &Parts) -> Result<(), ApiError> {
    // Nested routers see their path without the prefix; the original URI has all of it.
    let path = parts.extensions.get::<axum::extract::OriginalUri>().map_or(parts.uri.path(), |uri| uri.0.path());
    if !PUBLIC_KEY_CALLS.iter().any(|(method, p)| *method == parts.method && *p == path) {
        return Ok(());
    }
    let client = limit_key(client_ip(&parts.extensions, &parts.headers, &state.settings.trusted_proxies));
    let key = format!("{app_id}\0{client}\0{} {path}", parts.method);
    state.limits.public_key.check(key.as_bytes()).await.map_err(|retry_after_secs| ApiError::RateLimited { retry_after_secs })
}

/// Counts one new guest of `app_id` from `client` against the daily limits: 429 `ERR_GUEST_LIMIT` with
/// `Retry-After` (until the 24-hour window frees a place) when the address or the app has had its share.
/// A refused guest is not counted.
pub async fn check_guest_creation(state: &AppState, app_id: &str, client: IpAddr) -> Result<(), ApiError> {
    state.limits.guests.admit(app_id, client).await.map_err(|refusal| {
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

/// Guests created in the last [`GUEST_WINDOW`], per (app, client address) and per app: a sliding window of
/// each, so the limit holds in every 24 hours, not per calendar day. Only admitted guests are counted, so
/// with the app limit on, the window of an app never holds more than that many.
#[derive(Debug)]
pub struct GuestLimits {
    per_address: u32,
    per_app: u32,
    counts: Arc<dyn Counts>,
}

impl GuestLimits {
    /// At most `per_address` guests per client address and app, and `per_app` per app, in any 24 hours
    /// (0: no limit), counted in this node's memory.
    pub fn new(per_address: u32, per_app: u32) -> Self {
        Self::with_counts(per_address, per_app, Arc::new(MemoryCounts::default()))
    }

    /// The same, counted in `counts`.
    pub fn with_counts(per_address: u32, per_app: u32, counts: Arc<dyn Counts>) -> Self {
        Self { per_address, per_app, counts }
    }

    /// Counts a guest of `app_id` from `client`, or says which limit refuses it.
    pub async fn admit(&self, app_id: &str, client: IpAddr) -> Result<(), GuestRefusal> {
        let mut windows = Vec::with_capacity(2);
        let mut scopes = Vec::with_capacity(2);
        if self.per_address > 0 {
            let address = limit_key(client).to_string();
            windows.push(Window { key: key("guests-per-address", &[app_id.as_bytes(), address.as_bytes()]), limit: self.per_address });
            scopes.push(GuestScope::Address);
        }
        if self.per_app > 0 {
            windows.push(Window { key: key("guests-per-app", &[app_id.as_bytes()]), limit: self.per_app });
            scopes.push(GuestScope::App);
        }
        if windows.is_empty() {
            return Ok(());
        }
        let request = Admit { windows: &windows, span: GUEST_WINDOW, wanted: 1, partial: false, unit: true };
        let admitted = self.counts.admit(request).await;
        if admitted.granted > 0 {
            return Ok(());
        }
        let refusal = scopes.iter().zip(&admitted.waits).find(|(_, wait)| **wait > 0);
        let (scope, retry_after_secs) = refusal.map_or((scopes[scopes.len() - 1], GUEST_WINDOW.as_secs()), |(s, w)| (*s, *w));
        Err(GuestRefusal { scope, retry_after_secs })
    }
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

/// Checks every [`Counts`] must pass, given a fresh one and a way to move its clock on (the memory counts
/// run them below; the Redis counts run them too).
#[cfg(test)]
pub(crate) mod suite {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    /// A bucket allows a minute's worth at once, then refuses until it refilled.
    pub async fn allows_a_burst_then_refuses_until_refilled(counts: Arc<dyn Counts>, advance: &dyn Fn(Duration)) {
        let limiter = RateLimiter::with_counts(60, counts.clone());
        for _ in 0..60 {
            assert!(limiter.check(b"k").await.is_ok());
        }
        assert_eq!(limiter.check(b"k").await, Err(1));
        assert!(limiter.check(b"other").await.is_ok(), "buckets are per credential");
        let public = RateLimiter::scoped("public-key", 60, counts);
        assert!(public.check(b"k").await.is_ok(), "limiters of another scope count apart");
        advance(Duration::from_millis(1100));
        assert!(limiter.check(b"k").await.is_ok());
        assert_eq!(limiter.check(b"k").await, Err(1));
    }

    /// Guests are limited per address and per app in any 24 hours; refused guests are not counted.
    pub async fn guests_are_limited_per_address_and_per_app_in_any_24_hours(counts: Arc<dyn Counts>, advance: &dyn Fn(Duration)) {
        let limits = GuestLimits::with_counts(2, 3, counts);
        let (a, b, c) = (ip("10.0.0.1"), ip("10.0.0.2"), ip("10.0.0.3"));
        assert!(limits.admit("app", a).await.is_ok());
        advance(Duration::from_secs(100));
        assert!(limits.admit("app", a).await.is_ok());
        advance(Duration::from_secs(100));
        let refused = limits.admit("app", a).await.unwrap_err();
        assert_eq!(refused, GuestRefusal { scope: GuestScope::Address, retry_after_secs: 24 * 3600 - 200 });
        assert!(limits.admit("other-app", a).await.is_ok(), "per app");
        advance(Duration::from_secs(100));
        assert!(limits.admit("app", b).await.is_ok());
        advance(Duration::from_secs(100));
        // The app has 3 now; refused guests were not counted.
        let refused = limits.admit("app", c).await.unwrap_err();
        assert_eq!(refused, GuestRefusal { scope: GuestScope::App, retry_after_secs: 24 * 3600 - 400 });
        // A day after the first guest, one place frees, for address a and for the app.
        advance(GUEST_WINDOW - Duration::from_secs(400));
        assert!(limits.admit("app", a).await.is_ok());
        assert!(limits.admit("app", c).await.is_err());
    }

    /// An address refused takes nothing from its app's allowance.
    pub async fn an_address_refused_does_not_use_up_the_app(counts: Arc<dyn Counts>) {
        let limits = GuestLimits::with_counts(1, 2, counts);
        assert!(limits.admit("app", ip("10.0.0.1")).await.is_ok());
        for _ in 0..10 {
            assert_eq!(limits.admit("app", ip("10.0.0.1")).await.unwrap_err().scope, GuestScope::Address);
        }
        assert!(limits.admit("app", ip("10.0.0.2")).await.is_ok());
    }

    /// Limits of 0 are off, and IPv6 addresses count by their /64.
    pub async fn guest_limits_of_zero_are_off_and_ipv6_counts_by_64(counts: Arc<dyn Counts>) {
        let off = GuestLimits::with_counts(0, 0, counts.clone());
        for _ in 0..100 {
            assert!(off.admit("app", ip("10.0.0.1")).await.is_ok());
        }
        let limits = GuestLimits::with_counts(1, 0, counts);
        assert!(limits.admit("app", ip("2001:db8::1")).await.is_ok());
        assert!(limits.admit("app", ip("2001:db8::2")).await.is_err());
        assert!(limits.admit("app", ip("2001:db8:0:1::1")).await.is_ok());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manual() -> (Arc<MemoryCounts>, impl Fn(Duration)) {
        let counts = Arc::new(MemoryCounts::with_manual_clock());
        let clock = counts.clone();
        (counts, move |by| clock.advance(by))
    }

    #[tokio::test]
    async fn memory_counts_pass_the_suite() {
        let (counts, advance) = manual();
        suite::allows_a_burst_then_refuses_until_refilled(counts, &advance).await;
        let (counts, advance) = manual();
        suite::guests_are_limited_per_address_and_per_app_in_any_24_hours(counts, &advance).await;
        suite::an_address_refused_does_not_use_up_the_app(Arc::new(MemoryCounts::default())).await;
        suite::guest_limits_of_zero_are_off_and_ipv6_counts_by_64(Arc::new(MemoryCounts::default())).await;
    }

    #[tokio::test]
    async fn zero_turns_it_off() {
        let limiter = RateLimiter::new(0);
        for _ in 0..10_000 {
            assert!(limiter.check(b"k").await.is_ok());
        }
    }

    #[test]
    fn weighted_windows_grant_part_and_say_when_more_frees() {
        let counts = MemoryCounts::with_manual_clock();
        let windows = [Window { key: b"w".to_vec(), limit: 10 }];
        let ask = |wanted| Admit { windows: &windows, span: Duration::from_secs(60), wanted, partial: true, unit: false };
        let first = counts.admit_now(ask(6));
        assert_eq!((first.granted, first.waits.clone()), (6, vec![0]));
        counts.advance(Duration::from_secs(10));
        let second = counts.admit_now(ask(6));
        assert_eq!((second.granted, second.waits), (4, vec![50]), "until the first entry leaves");
        counts.amend_now(&[b"w".to_vec()], first.entry.unwrap(), 1);
        let third = counts.admit_now(ask(6));
        assert_eq!(third.granted, 5, "the first now weighs 1");
        let all_or_nothing = counts.admit_now(Admit { partial: false, ..ask(1) });
        assert_eq!((all_or_nothing.granted, all_or_nothing.entry), (0, None));
    }

    #[test]
    fn the_socket_gate_counts_places_until_they_are_dropped() {
        let ip = |text: &str| -> IpAddr { text.parse().unwrap() };
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
