//! The dispatcher: claims due deliveries from storage, calls their bots and webhooks, and records each
//! attempt. A failed call is tried again after an exponential backoff with jitter, up to
//! [`MAX_DELIVERY_ATTEMPTS`] calls; then the delivery is marked failed and listed by the API with its last
//! error. Calls run on their own tasks, at most [`DispatchSettings::concurrency`] at once, so a slow or
//! dead receiver never holds up message sending (which only queues rows).

use confab_protocol::limits::{CALLBACK_TIMEOUT_SECS, MAX_DELIVERY_ATTEMPTS};
use confab_protocol::rest::webhooks::TargetType;
use confab_protocol::signature::{sign, DELIVERY_HEADER, SIGNATURE_HEADER, TRIGGER_HEADER};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::Semaphore;

use super::payload::{self, PayloadError};
use super::policy::{CallbackPolicy, CallbackResolver};
use crate::store::{Attempt, BasicAuth, DeliveryRecord, Store};

/// How deliveries are made.
#[derive(Debug, Clone)]
pub struct DispatchSettings {
    /// Wait before the second call; doubled for each further call (with jitter), at most an hour.
    pub retry_base: Duration,
    /// Calls made before giving up.
    pub max_attempts: u32,
    /// Longest wait for an answer.
    pub timeout: Duration,
    /// Calls in flight at once.
    pub concurrency: usize,
    /// The region payloads name.
    pub region: String,
    /// Signs the URLs of uploads in payloads, at each call (so a retried call carries fresh ones).
    pub media_urls: Arc<crate::media::urls::MediaUrls>,
}

impl DispatchSettings {
    /// The defaults for a server in `region`, with `retry_base` before the first retry.
    pub fn new(region: &str, retry_base: Duration) -> Self {
        Self {
            retry_base,
            max_attempts: MAX_DELIVERY_ATTEMPTS,
            timeout: Duration::from_secs(CALLBACK_TIMEOUT_SECS),
            concurrency: 64,
            region: region.to_owned(),
            media_urls: Arc::new(crate::media::urls::MediaUrls::new(Vec::new(), 3600, "")),
        }
    }
}

/// How long delivered deliveries stay listed.
pub const KEEP_DELIVERED: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long failed deliveries stay listed (and can be retried).
pub const KEEP_FAILED: Duration = Duration::from_secs(30 * 24 * 3600);
/// How often old deliveries are purged.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// Longest backoff between two calls.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// Longest sleep between two looks at the queue when nothing wakes the dispatcher.
const IDLE_POLL: Duration = Duration::from_secs(1);

/// Unix milliseconds now.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// The wait before call number `attempts + 1`, after `attempts` failed calls: `base × 2^(attempts-1)`,
/// capped, and scaled by a random factor in [0.5, 1) so receivers coming back are not hit by every
/// sender at once.
pub fn backoff(base: Duration, attempts: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << attempts.saturating_sub(1).min(20)).min(MAX_BACKOFF);
    let mut bytes = [0u8; 2];
    let _ = getrandom::fill(&mut bytes);
    let jitter = 0.5 + f64::from(u16::from_le_bytes(bytes)) / f64::from(u16::MAX) / 2.0;
    exp.mul_f64(jitter)
}

/// An HTTP client for callbacks: no redirects (a redirect could point anywhere), host names resolved
/// through the policy, and no proxy from the environment (`HTTP_PROXY` and the like: a proxy would resolve
/// and connect on its own, past the policy).
pub fn client(policy: Arc<CallbackPolicy>, timeout: Duration) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(CallbackResolver { policy }))
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("confab-server/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Delivers until the process ends.
pub async fn run(store: Arc<dyn Store>, policy: Arc<CallbackPolicy>, settings: DispatchSettings) {
    let client = match client(policy.clone(), settings.timeout) {
        Ok(client) => client,
        Err(e) => return tracing::error!(error = %e, "no HTTP client: bot and webhook calls are off"),
    };
    match store.release_deliveries(now_ms()).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(deliveries = n, "calls cut off by the last stop are due again"),
        Err(e) => tracing::warn!(error = %e, "cannot release deliveries left in flight"),
    }
    let signal = store.delivery_signal();
    let slots = Arc::new(Semaphore::new(settings.concurrency));
    let lease = settings.timeout + LEASE_MARGIN;
    let settings = Arc::new(settings);
    loop {
        // Look (a read) before claiming (a write), so commits that queued nothing cost the writer nothing.
        let due = match store.next_delivery_at().await {
            Ok(Some(at)) if at <= now_ms() => true,
            Ok(Some(at)) => {
                idle(&signal, Duration::from_millis((at - now_ms()).clamp(0, IDLE_POLL.as_millis() as i64) as u64)).await;
                false
            }
            Ok(None) => {
                idle(&signal, IDLE_POLL).await;
                false
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the delivery queue; retrying");
                tokio::time::sleep(IDLE_POLL).await;
                false
            }
        };
        if !due {
            continue;
        }
        // Wait for at least one free slot, then claim as many deliveries as there are free slots.
        let first = slots.clone().acquire_owned().await.expect("the semaphore is never closed");
        let free = slots.available_permits() as u32 + 1;
        let now = now_ms();
        let claimed = match store.claim_deliveries(now, now + lease.as_millis() as i64, free).await {
            Ok(claimed) => claimed,
            Err(e) => {
                tracing::warn!(error = %e, "cannot claim deliveries; retrying");
                drop(first);
                tokio::time::sleep(IDLE_POLL).await;
                continue;
            }
        };
        let mut permit = Some(first);
        for delivery in claimed {
            let permit = match permit.take() {
                Some(p) => p,
                None => slots.clone().acquire_owned().await.expect("the semaphore is never closed"),
            };
            let (store, client, policy, settings) = (store.clone(), client.clone(), policy.clone(), settings.clone());
            tokio::spawn(async move {
                call(store.as_ref(), &client, &policy, &settings, delivery).await;
                drop(permit);
            });
        }
    }
}

/// How long past a call's time-out its claim lasts: a node that died mid-call leaves its deliveries to
/// another node this long after the time-out (the call may have been made: delivery is at least once).
pub const LEASE_MARGIN: Duration = Duration::from_secs(5);

/// Deletes deliveries older than [`KEEP_DELIVERED`] (delivered) or [`KEEP_FAILED`] (failed), every
/// [`PURGE_EVERY`], so the outbox does not grow without bound.
pub async fn purge(store: Arc<dyn Store>) {
    loop {
        let now = now_ms();
        let cutoff = |keep: Duration| now - keep.as_millis() as i64;
        match store.purge_deliveries(cutoff(KEEP_DELIVERED), cutoff(KEEP_FAILED)).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deliveries = n, "purged old deliveries"),
            Err(e) => tracing::warn!(error = %e, "cannot purge old deliveries"),
        }
        tokio::time::sleep(PURGE_EVERY).await;
    }
}

/// Sleeps for `wait`, or until storage signals new deliveries.
async fn idle(signal: &tokio::sync::Notify, wait: Duration) {
    tokio::select! {
        _ = signal.notified() => {}
        _ = tokio::time::sleep(wait) => {}
    }
}

/// Where a delivery goes, if it may still go there.
struct Target {
    url: String,
    auth: Option<BasicAuth>,
    secret: String,
}

async fn target(store: &dyn Store, delivery: &DeliveryRecord) -> Result<Target, PayloadError> {
    let app_id = delivery.app_id.as_str();
    match delivery.target_type {
        TargetType::Bot => match store.bot(app_id, &delivery.target).await? {
            Some(bot) if bot.enabled => Ok(Target { url: bot.webhook_url, auth: bot.basic_auth, secret: bot.signing_secret }),
            Some(_) => Err(PayloadError::Gone("the bot was disabled".into())),
            None => Err(PayloadError::Gone("the bot was deleted".into())),
        },
        TargetType::Webhook => match store.webhook(app_id, &delivery.target).await? {
            Some(hook) if hook.enabled => Ok(Target { url: hook.url, auth: hook.basic_auth, secret: hook.signing_secret }),
            Some(_) => Err(PayloadError::Gone("the webhook was disabled".into())),
            None => Err(PayloadError::Gone("the webhook was deleted".into())),
        },
    }
}

/// Makes one call for `delivery` and records how it went.
async fn call(store: &dyn Store, client: &reqwest::Client, policy: &CallbackPolicy, settings: &DispatchSettings, delivery: DeliveryRecord) {
    let attempts = delivery.attempts + 1;
    let retry_at = || (attempts < settings.max_attempts).then(|| now_ms() + backoff(settings.retry_base, attempts).as_millis() as i64);
    let outcome = match prepare(store, policy, settings, &delivery).await {
        Ok((target, body)) => send(client, &delivery, target, body).await.map_or_else(
            |(error, status)| Attempt::Failed { error, status, retry_at: retry_at() },
            |()| Attempt::Delivered,
        ),
        Err(PayloadError::Gone(error)) => Attempt::Failed { error, status: None, retry_at: None },
        Err(PayloadError::Store(e)) => Attempt::Failed { error: format!("storage: {e}"), status: None, retry_at: retry_at() },
    };
    if let Attempt::Failed { error, retry_at, .. } = &outcome {
        tracing::info!(delivery = delivery.id, target = %delivery.target, attempts, error = %error, retry = retry_at.is_some(), "callback failed");
    }
    if let Err(e) = store.record_attempt(delivery.id, &outcome, now_ms()).await {
        tracing::warn!(delivery = delivery.id, error = %e, "cannot record a callback attempt; it will be made again");
    }
}

async fn prepare(store: &dyn Store, policy: &CallbackPolicy, settings: &DispatchSettings, delivery: &DeliveryRecord) -> Result<(Target, Vec<u8>), PayloadError> {
    let target = target(store, delivery).await?;
    policy.check(&target.url).map_err(|why| PayloadError::Gone(format!("the callback URL {why}")))?;
    let body = payload::body(store, delivery, &settings.region, &settings.media_urls).await?;
    Ok((target, body))
}

/// POSTs `body`; the error and the status, if any, when the answer is not a 2xx.
async fn send(client: &reqwest::Client, delivery: &DeliveryRecord, target: Target, body: Vec<u8>) -> Result<(), (String, Option<u16>)> {
    let signature = sign(&target.secret, now_ms() / 1000, &body);
    let mut request = client
        .post(&target.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, signature)
        .header(DELIVERY_HEADER, delivery.id.to_string())
        .header(TRIGGER_HEADER, &delivery.trigger)
        .body(body);
    if let Some(auth) = &target.auth {
        request = request.basic_auth(&auth.username, Some(&auth.password));
    }
    match request.send().await {
        Ok(response) if response.status().is_success() => Ok(()),
        Ok(response) => {
            let status = response.status();
            Err((format!("the receiver answered {status}"), Some(status.as_u16())))
        }
        // The URL may carry a secret in its query: it stays out of stored errors and logs.
        Err(e) => Err((describe(&e.without_url()), None)),
    }
}

fn describe(err: &reqwest::Error) -> String {
    use std::error::Error;
    let mut text = if err.is_timeout() { "timed out".to_owned() } else if err.is_connect() { "cannot connect".to_owned() } else { "request failed".to_owned() };
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let base = Duration::from_secs(1);
        for attempts in 1..=5u32 {
            let full = base * (1 << (attempts - 1));
            let wait = backoff(base, attempts);
            assert!(wait >= full / 2 && wait <= full, "{attempts}: {wait:?} not in [{:?}, {full:?}]", full / 2);
        }
        assert!(backoff(base, 40) <= MAX_BACKOFF);
    }
}
