//! Abuse limits: wrong group-password guesses (per user and group, and per group), wrong console sign-ins
//! (per email, and per client address), and the users a session adds to groups a day.
//!
//! Both are sliding windows: a guess or an add counts until its window has passed since it was made, so
//! there is no edge (midnight, the quarter hour) at which a fresh allowance starts. They count through the
//! server's [`Counts`] (`state.limits.attempts`): in this node's memory, or in Redis when several nodes
//! share the limits (see [`crate::rate_limit`]). Every key starts with the app's id, so apps never share a
//! count.

use std::sync::Arc;
use std::time::Duration;

use crate::rate_limit::{Admit, Counts, EntryId, MemoryCounts, Window};

/// Wrong passwords one user may try on one password group per [`GUESS_WINDOW`]; then their joins of that
/// group are refused (429, even with the right password) until the oldest guess leaves the window.
pub const GUESSES_PER_USER_AND_GROUP: usize = 5;
/// Wrong passwords all users together may try on one password group per [`GUESS_WINDOW`]; then every
/// user's password join of that group is refused (429) until the oldest guess leaves the window. This is
/// what stops guessing from many accounts (uids are free to make with the public key).
pub const GUESSES_PER_GROUP: usize = 50;
/// How long a wrong password guess counts: 15 minutes.
pub const GUESS_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Wrong console sign-ins one email may have per [`GUESS_WINDOW`]; then every sign-in with it is refused
/// (429, even with the right password) until the oldest leaves the window.
pub const SIGN_INS_PER_EMAIL: usize = 5;
/// Wrong console sign-ins one client address (IPv6: its /64) may make per [`GUESS_WINDOW`], whatever the
/// emails: what stops trying one password on many emails.
pub const SIGN_INS_PER_ADDRESS: usize = 20;
/// How long a user added to a group counts against the adding session's daily allowance
/// (`Settings::group_adds_per_day`): a rolling 24 hours, not a calendar day.
pub const ADD_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// The wrong-guess and add limits, counted in a [`Counts`].
#[derive(Debug)]
pub struct Attempts {
    counts: Arc<dyn Counts>,
}

impl Default for Attempts {
    /// Counted in this node's memory.
    fn default() -> Self {
        Self::with_counts(Arc::new(MemoryCounts::default()))
    }
}

/// A password guess under way: it counts as wrong until [`Attempts::forgive`] is called with it, so that
/// many guesses sent at once cannot all pass the check before any of them is counted.
#[derive(Debug)]
#[must_use = "a right password must be forgiven, or it counts as a wrong one"]
pub struct Guess {
    windows: [Vec<u8>; 2],
    entry: EntryId,
}

/// Adds a session may make now: reserved by [`Attempts::reserve_adds`], then settled with the number made.
#[derive(Debug)]
#[must_use = "settle the grant with the adds made, or all of it stays counted"]
pub struct AddGrant {
    counts: Arc<dyn Counts>,
    window: Vec<u8>,
    entry: Option<EntryId>,
    /// Users the call may add (at most what it asked for).
    pub granted: u32,
    /// When less than asked was granted: seconds until the oldest counted add leaves the window.
    pub retry_after_secs: u64,
}

fn key(scope: &str, parts: &[&str]) -> Vec<u8> {
    format!("{scope}:{}", parts.join("\0")).into_bytes()
}

impl Attempts {
    /// The limits, counted in `counts`.
    pub fn with_counts(counts: Arc<dyn Counts>) -> Self {
        Self { counts }
    }

    /// Starts a password guess by `uid` on `guid`: `Err(seconds)` (for `Retry-After`) when the user or the
    /// group has used up its wrong guesses, else the guess, counted as wrong for now.
    pub async fn begin_guess(&self, app_id: &str, guid: &str, uid: &str) -> Result<Guess, u64> {
        let windows = [
            Window { key: key("guesses-per-user", &[app_id, guid, uid]), limit: GUESSES_PER_USER_AND_GROUP as u32 },
            Window { key: key("guesses-per-group", &[app_id, guid]), limit: GUESSES_PER_GROUP as u32 },
        ];
        let request = Admit { windows: &windows, span: GUESS_WINDOW, wanted: 1, partial: false, unit: true };
        let admitted = self.counts.admit(request).await;
        match admitted.entry {
            Some(entry) if admitted.granted > 0 => {
                let [user, group] = windows;
                Ok(Guess { windows: [user.key, group.key], entry })
            }
            _ => Err(admitted.waits.iter().copied().max().unwrap_or(GUESS_WINDOW.as_secs()).max(1)),
        }
    }

    /// Starts a console sign-in with `email_key` (the email in lower case) from `client`: `Err(seconds)` when
    /// the email or the address has used up its wrong sign-ins, else the guess, counted as wrong until
    /// [`forgive`](Self::forgive)n. These keys have no app: a console owner is the server's.
    pub async fn begin_sign_in(&self, email_key: &str, client: std::net::IpAddr) -> Result<Guess, u64> {
        let client = crate::client_addr::limit_key(client).to_string();
        let windows = [
            Window { key: key("console-sign-ins-per-email", &[email_key]), limit: SIGN_INS_PER_EMAIL as u32 },
            Window { key: key("console-sign-ins-per-address", &[&client]), limit: SIGN_INS_PER_ADDRESS as u32 },
        ];
        let request = Admit { windows: &windows, span: GUESS_WINDOW, wanted: 1, partial: false, unit: true };
        let admitted = self.counts.admit(request).await;
        match admitted.entry {
            Some(entry) if admitted.granted > 0 => {
                let [email, address] = windows;
                Ok(Guess { windows: [email.key, address.key], entry })
            }
            _ => Err(admitted.waits.iter().copied().max().unwrap_or(GUESS_WINDOW.as_secs()).max(1)),
        }
    }

    /// The guess was right: it no longer counts.
    pub async fn forgive(&self, guess: Guess) {
        self.counts.amend(&guess.windows, guess.entry, 0).await;
    }

    /// Reserves up to `wanted` adds for session user `uid`, out of `per_day` per [`ADD_WINDOW`] (`per_day`
    /// 0: no limit, all granted).
    pub async fn reserve_adds(&self, app_id: &str, uid: &str, wanted: u32, per_day: u32) -> AddGrant {
        let window = key("group-adds", &[app_id, uid]);
        if per_day == 0 || wanted == 0 {
            return AddGrant { counts: self.counts.clone(), window, entry: None, granted: wanted, retry_after_secs: 0 };
        }
        let windows = [Window { key: window, limit: per_day }];
        let request = Admit { windows: &windows, span: ADD_WINDOW, wanted, partial: true, unit: false };
        let admitted = self.counts.admit(request).await;
        let [Window { key: window, .. }] = windows;
        AddGrant { counts: self.counts.clone(), window, entry: admitted.entry, granted: admitted.granted, retry_after_secs: admitted.waits[0] }
    }

    /// Settles `grant`: only the `made` adds (at most the grant) keep counting.
    pub async fn settle_adds(&self, grant: AddGrant, made: u32) {
        grant.settle(made).await;
    }
}

impl AddGrant {
    /// Only the `made` adds (at most the grant) keep counting.
    pub async fn settle(self, made: u32) {
        if let Some(entry) = self.entry {
            if made < self.granted {
                self.counts.amend(&[self.window], entry, made).await;
            }
        }
    }
}

/// Checks every [`Counts`] must pass through these limits, given a fresh one and a way to move its clock
/// on (the memory counts run them below; the Redis counts run them too).
#[cfg(test)]
pub(crate) mod suite {
    use super::*;

    pub async fn wrong_guesses_per_user_run_out_and_come_back_after_the_window(counts: Arc<dyn Counts>, advance: &dyn Fn(Duration)) {
        let limits = Attempts::with_counts(counts);
        for _ in 0..GUESSES_PER_USER_AND_GROUP {
            let _wrong = limits.begin_guess("app", "vault", "mallory").await.unwrap();
            advance(Duration::from_secs(1));
        }
        advance(Duration::from_secs(10 - GUESSES_PER_USER_AND_GROUP as u64));
        let wait = limits.begin_guess("app", "vault", "mallory").await.unwrap_err();
        assert_eq!(wait, GUESS_WINDOW.as_secs() - 10, "until the first guess leaves the window");
        // Another user, another group and another app are not affected.
        limits.forgive(limits.begin_guess("app", "vault", "alice").await.unwrap()).await;
        limits.forgive(limits.begin_guess("app", "other", "mallory").await.unwrap()).await;
        limits.forgive(limits.begin_guess("app2", "vault", "mallory").await.unwrap()).await;
        // One slot again once the first guess is 15 minutes old, not before.
        advance(GUESS_WINDOW - Duration::from_secs(10) - Duration::from_millis(1));
        assert!(limits.begin_guess("app", "vault", "mallory").await.is_err());
        advance(Duration::from_millis(1));
        let _again = limits.begin_guess("app", "vault", "mallory").await.unwrap();
        assert!(limits.begin_guess("app", "vault", "mallory").await.is_err());
    }

    pub async fn right_guesses_do_not_count(counts: Arc<dyn Counts>) {
        let limits = Attempts::with_counts(counts);
        for _ in 0..3 * GUESSES_PER_USER_AND_GROUP {
            limits.forgive(limits.begin_guess("app", "vault", "alice").await.unwrap()).await;
        }
        let _wrong = limits.begin_guess("app", "vault", "alice").await.unwrap();
    }

    pub async fn many_users_share_the_groups_limit(counts: Arc<dyn Counts>) {
        let limits = Attempts::with_counts(counts);
        for i in 0..GUESSES_PER_GROUP {
            let uid = format!("sock{}", i / GUESSES_PER_USER_AND_GROUP);
            let _wrong = limits.begin_guess("app", "vault", &uid).await.unwrap();
        }
        assert_eq!(limits.begin_guess("app", "vault", "fresh").await.unwrap_err(), GUESS_WINDOW.as_secs());
        limits.forgive(limits.begin_guess("app", "other", "fresh").await.unwrap()).await;
    }

    pub async fn adds_are_granted_up_to_the_daily_allowance_and_refunded_when_not_made(counts: Arc<dyn Counts>, advance: &dyn Fn(Duration)) {
        let limits = Attempts::with_counts(counts);
        let g = limits.reserve_adds("app", "alice", 25, 30).await;
        assert_eq!(g.granted, 25);
        limits.settle_adds(g, 20).await;
        advance(Duration::from_secs(60));
        let g = limits.reserve_adds("app", "alice", 25, 30).await;
        assert_eq!(g.granted, 10, "5 of the first 25 were not made");
        limits.settle_adds(g, 10).await;
        advance(Duration::from_secs(60));
        let g = limits.reserve_adds("app", "alice", 1, 30).await;
        assert_eq!((g.granted, g.retry_after_secs), (0, ADD_WINDOW.as_secs() - 120), "until the first add is 24 hours old");
        limits.settle_adds(g, 0).await;
        // Others, and the unlimited setting, are not affected.
        assert_eq!(limits.reserve_adds("app", "bob", 25, 30).await.granted, 25);
        assert_eq!(limits.reserve_adds("app", "alice", 25, 0).await.granted, 25);
        // Rolling: the first call's 20 come back 24 hours after it.
        advance(ADD_WINDOW - Duration::from_secs(120));
        assert_eq!(limits.reserve_adds("app", "alice", 25, 30).await.granted, 20);
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
    async fn wrong_sign_ins_run_out_per_email_and_per_address() {
        let limits = Attempts::default();
        let ip = |text: &str| text.parse::<std::net::IpAddr>().unwrap();
        for _ in 0..SIGN_INS_PER_EMAIL {
            let _wrong = limits.begin_sign_in("owner@example.com", ip("203.0.113.7")).await.unwrap();
        }
        let wait = limits.begin_sign_in("owner@example.com", ip("198.51.100.1")).await.unwrap_err();
        assert!(wait > 0 && wait <= GUESS_WINDOW.as_secs(), "{wait}");
        // Right sign-ins do not count.
        for _ in 0..3 * SIGN_INS_PER_ADDRESS {
            limits.forgive(limits.begin_sign_in("other@example.com", ip("198.51.100.1")).await.unwrap()).await;
        }
        // One address trying many emails runs out too (an IPv6 client by its /64).
        for i in 0..SIGN_INS_PER_ADDRESS {
            let _wrong = limits.begin_sign_in(&format!("u{i}@example.com"), ip(&format!("2001:db8::{i:x}"))).await.unwrap();
        }
        assert!(limits.begin_sign_in("fresh@example.com", ip("2001:db8::ffff")).await.is_err());
        limits.forgive(limits.begin_sign_in("fresh@example.com", ip("2001:db9::1")).await.unwrap()).await;
    }

    #[tokio::test]
    async fn memory_counts_pass_the_suite() {
        let (counts, advance) = manual();
        suite::wrong_guesses_per_user_run_out_and_come_back_after_the_window(counts, &advance).await;
        suite::right_guesses_do_not_count(Arc::new(MemoryCounts::default())).await;
        suite::many_users_share_the_groups_limit(Arc::new(MemoryCounts::default())).await;
        let (counts, advance) = manual();
        suite::adds_are_granted_up_to_the_daily_allowance_and_refunded_when_not_made(counts, &advance).await;
    }
}
