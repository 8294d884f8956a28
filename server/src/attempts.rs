//! Abuse limits kept in this node's memory: wrong group-password guesses (per user and group, and per
//! group), and the users a session adds to groups a day. This server runs as one node for now; several
//! nodes would each count on their own, so these move to the store when it runs as more.
//!
//! Both are sliding windows over [`Instant`]s: a guess or an add counts until its window has passed since
//! it was made, so there is no edge (midnight, the quarter hour) at which a fresh allowance starts.
//!
//! The process has one [`Attempts`], from [`shared`]; every key starts with the app's id, so apps never
//! share a count.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Wrong passwords one user may try on one password group per [`GUESS_WINDOW`]; then their joins of that
/// group are refused (429, even with the right password) until the oldest guess leaves the window.
pub const GUESSES_PER_USER_AND_GROUP: usize = 5;
/// Wrong passwords all users together may try on one password group per [`GUESS_WINDOW`]; then every
/// user's password join of that group is refused (429) until the oldest guess leaves the window. This is
/// what stops guessing from many accounts (uids are free to make with the public key).
pub const GUESSES_PER_GROUP: usize = 50;
/// How long a wrong password guess counts: 15 minutes.
pub const GUESS_WINDOW: Duration = Duration::from_secs(15 * 60);
/// How long a user added to a group counts against the adding session's daily allowance
/// (`Settings::group_adds_per_day`): a rolling 24 hours, not a calendar day.
pub const ADD_WINDOW: Duration = Duration::from_secs(24 * 3600);
/// Every this many recorded events, keys whose window is empty are dropped, so that memory follows the
/// recent activity and not every key ever seen.
const SWEEP_EVERY: u64 = 1024;

/// The process's limits.
pub fn shared() -> &'static Attempts {
    static SHARED: OnceLock<Attempts> = OnceLock::new();
    SHARED.get_or_init(Attempts::default)
}

/// Guesses in the window, oldest first: (guess id, when).
type GuessLog = VecDeque<(u64, Instant)>;
/// Adds in the window, oldest first: (grant id, when, users).
type AddLog = VecDeque<(u64, Instant, u32)>;

/// Wrong-guess logs and add logs of this node.
#[derive(Debug, Default)]
pub struct Attempts {
    guesses: Mutex<Guesses>,
    adds: Mutex<Adds>,
}

#[derive(Debug, Default)]
struct Guesses {
    /// (app, guid, uid) → the guesses in the window.
    per_user: HashMap<(String, String, String), GuessLog>,
    /// (app, guid) → the guesses in the window.
    per_group: HashMap<(String, String), GuessLog>,
    next_id: u64,
}

#[derive(Debug, Default)]
struct Adds {
    /// (app, uid) → the adds in the window.
    per_user: HashMap<(String, String), AddLog>,
    next_id: u64,
}

/// A password guess under way: it counts as wrong until [`Attempts::forgive`] is called with it, so that
/// many guesses sent at once cannot all pass the check before any of them is counted.
#[derive(Debug)]
#[must_use = "a right password must be forgiven, or it counts as a wrong one"]
pub struct Guess {
    app_id: String,
    guid: String,
    uid: String,
    id: u64,
}

/// Adds a session may make now: reserved by [`Attempts::reserve_adds`], then settled with the number made.
#[derive(Debug)]
#[must_use = "settle the grant with the adds made, or all of it stays counted"]
pub struct AddGrant {
    app_id: String,
    uid: String,
    id: u64,
    /// Users the call may add (at most what it asked for).
    pub granted: u32,
    /// When less than asked was granted: seconds until the oldest counted add leaves the window.
    pub retry_after_secs: u64,
}

/// Drops the entries of `log` older than `window` before `now`.
fn prune<T>(log: &mut VecDeque<T>, when: impl Fn(&T) -> Instant, window: Duration, now: Instant) {
    while log.front().is_some_and(|e| now.saturating_duration_since(when(e)) >= window) {
        log.pop_front();
    }
}

/// Whole seconds (at least 1) until `oldest` has been `window` old.
fn secs_until_free(oldest: Instant, window: Duration, now: Instant) -> u64 {
    let left = (oldest + window).saturating_duration_since(now);
    (left.as_secs() + u64::from(left.subsec_nanos() > 0)).max(1)
}

impl Attempts {
    /// Starts a password guess by `uid` on `guid` at `now`: `Err(seconds)` (for `Retry-After`) when the user
    /// or the group has used up its wrong guesses, else the guess, counted as wrong for now.
    pub fn begin_guess(&self, app_id: &str, guid: &str, uid: &str, now: Instant) -> Result<Guess, u64> {
        let mut guard = self.guesses.lock().unwrap_or_else(|p| p.into_inner());
        let g = &mut *guard;
        let user_key = (app_id.to_owned(), guid.to_owned(), uid.to_owned());
        let group_key = (app_id.to_owned(), guid.to_owned());
        let mut wait = 0;
        for (log, limit) in [
            (g.per_user.get_mut(&user_key), GUESSES_PER_USER_AND_GROUP),
            (g.per_group.get_mut(&group_key), GUESSES_PER_GROUP),
        ] {
            if let Some(log) = log {
                prune(log, |e| e.1, GUESS_WINDOW, now);
                if log.len() >= limit {
                    // The guess that frees a slot is the one `limit` from the newest.
                    let freeing = log[log.len() - limit].1;
                    wait = wait.max(secs_until_free(freeing, GUESS_WINDOW, now));
                }
            }
        }
        if wait > 0 {
            return Err(wait);
        }
        g.next_id += 1;
        let id = g.next_id;
        g.per_user.entry(user_key).or_default().push_back((id, now));
        g.per_group.entry(group_key).or_default().push_back((id, now));
        if id.is_multiple_of(SWEEP_EVERY) {
            g.per_user.retain(|_, log| {
                prune(log, |e| e.1, GUESS_WINDOW, now);
                !log.is_empty()
            });
            g.per_group.retain(|_, log| {
                prune(log, |e| e.1, GUESS_WINDOW, now);
                !log.is_empty()
            });
        }
        Ok(Guess { app_id: app_id.to_owned(), guid: guid.to_owned(), uid: uid.to_owned(), id })
    }

    /// The guess was right: it no longer counts.
    pub fn forgive(&self, guess: Guess) {
        let mut g = self.guesses.lock().unwrap_or_else(|p| p.into_inner());
        let Guess { app_id, guid, uid, id } = guess;
        if let Some(log) = g.per_user.get_mut(&(app_id.clone(), guid.clone(), uid)) {
            log.retain(|e| e.0 != id);
        }
        if let Some(log) = g.per_group.get_mut(&(app_id, guid)) {
            log.retain(|e| e.0 != id);
        }
    }

    /// Reserves up to `wanted` adds for session user `uid` at `now`, out of `per_day` per [`ADD_WINDOW`]
    /// (`per_day` 0: no limit, all granted).
    pub fn reserve_adds(&self, app_id: &str, uid: &str, wanted: u32, per_day: u32, now: Instant) -> AddGrant {
        let mut guard = self.adds.lock().unwrap_or_else(|p| p.into_inner());
        let a = &mut *guard;
        a.next_id += 1;
        let id = a.next_id;
        let key = (app_id.to_owned(), uid.to_owned());
        let mut grant = AddGrant { app_id: key.0.clone(), uid: key.1.clone(), id, granted: wanted, retry_after_secs: 0 };
        if per_day == 0 {
            return grant;
        }
        if id.is_multiple_of(SWEEP_EVERY) {
            a.per_user.retain(|_, log| {
                prune(log, |e| e.1, ADD_WINDOW, now);
                !log.is_empty()
            });
        }
        let log = a.per_user.entry(key).or_default();
        prune(log, |e| e.1, ADD_WINDOW, now);
        let used: u32 = log.iter().map(|e| e.2).sum();
        grant.granted = wanted.min(per_day.saturating_sub(used));
        if grant.granted < wanted {
            grant.retry_after_secs = match log.front() {
                Some(oldest) => secs_until_free(oldest.1, ADD_WINDOW, now),
                None => ADD_WINDOW.as_secs(),
            };
        }
        if grant.granted > 0 {
            log.push_back((id, now, grant.granted));
        }
        grant
    }

    /// Settles `grant`: only the `made` adds (at most the grant) keep counting.
    pub fn settle_adds(&self, grant: AddGrant, made: u32) {
        let mut a = self.adds.lock().unwrap_or_else(|p| p.into_inner());
        let Some(log) = a.per_user.get_mut(&(grant.app_id, grant.uid)) else { return };
        if let Some(entry) = log.iter_mut().find(|e| e.0 == grant.id) {
            entry.2 = made.min(entry.2);
        }
        log.retain(|e| e.2 > 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_guesses_per_user_run_out_and_come_back_after_the_window() {
        let limits = Attempts::default();
        let t0 = Instant::now();
        for i in 0..GUESSES_PER_USER_AND_GROUP {
            let _wrong = limits.begin_guess("app", "vault", "mallory", t0 + Duration::from_secs(i as u64)).unwrap();
        }
        let wait = limits.begin_guess("app", "vault", "mallory", t0 + Duration::from_secs(10)).unwrap_err();
        assert_eq!(wait, GUESS_WINDOW.as_secs() - 10, "until the first guess leaves the window");
        // Another user, another group and another app are not affected.
        limits.forgive(limits.begin_guess("app", "vault", "alice", t0).unwrap());
        limits.forgive(limits.begin_guess("app", "other", "mallory", t0).unwrap());
        limits.forgive(limits.begin_guess("app2", "vault", "mallory", t0).unwrap());
        // One slot again once the first guess is 15 minutes old, not before.
        assert!(limits.begin_guess("app", "vault", "mallory", t0 + GUESS_WINDOW - Duration::from_millis(1)).is_err());
        let _again = limits.begin_guess("app", "vault", "mallory", t0 + GUESS_WINDOW).unwrap();
        assert!(limits.begin_guess("app", "vault", "mallory", t0 + GUESS_WINDOW).is_err());
    }

    #[test]
    fn right_guesses_do_not_count() {
        let limits = Attempts::default();
        let t0 = Instant::now();
        for _ in 0..3 * GUESSES_PER_USER_AND_GROUP {
            limits.forgive(limits.begin_guess("app", "vault", "alice", t0).unwrap());
        }
        let _wrong = limits.begin_guess("app", "vault", "alice", t0).unwrap();
    }

    #[test]
    fn many_users_share_the_groups_limit() {
        let limits = Attempts::default();
        let t0 = Instant::now();
        for i in 0..GUESSES_PER_GROUP {
            let uid = format!("sock{}", i / GUESSES_PER_USER_AND_GROUP);
            let _wrong = limits.begin_guess("app", "vault", &uid, t0).unwrap();
        }
        assert_eq!(limits.begin_guess("app", "vault", "fresh", t0).unwrap_err(), GUESS_WINDOW.as_secs());
        limits.forgive(limits.begin_guess("app", "other", "fresh", t0).unwrap());
    }

    #[test]
    fn adds_are_granted_up_to_the_daily_allowance_and_refunded_when_not_made() {
        let limits = Attempts::default();
        let t0 = Instant::now();
        let g = limits.reserve_adds("app", "alice", 25, 30, t0);
        assert_eq!(g.granted, 25);
        limits.settle_adds(g, 20);
        let g = limits.reserve_adds("app", "alice", 25, 30, t0 + Duration::from_secs(60));
        assert_eq!(g.granted, 10, "5 of the first 25 were not made");
        limits.settle_adds(g, 10);
        let g = limits.reserve_adds("app", "alice", 1, 30, t0 + Duration::from_secs(120));
        assert_eq!((g.granted, g.retry_after_secs), (0, ADD_WINDOW.as_secs() - 120), "until the first add is 24 hours old");
        limits.settle_adds(g, 0);
        // Others, and the unlimited setting, are not affected.
        assert_eq!(limits.reserve_adds("app", "bob", 25, 30, t0).granted, 25);
        assert_eq!(limits.reserve_adds("app", "alice", 25, 0, t0).granted, 25);
        // Rolling: the first call's 20 come back 24 hours after it.
        assert_eq!(limits.reserve_adds("app", "alice", 25, 30, t0 + ADD_WINDOW).granted, 20);
    }
}
