//! Bots and webhooks: calls to site-run servers on events, delivered durably and at least once.
//!
//! - [`policy`]: which callback URLs the server may call.
//! - [`payload`]: the bodies of calls, built from storage.
//! - [`dispatcher`]: claims due deliveries, calls, retries with backoff, records failures.
//! - [`routing`]: which bots and webhooks an event goes to (every backend queues what it answers).
//!
//! Deliveries are queued by storage in the transaction that stores the event (see `HookStore`), so an
//! acknowledged message always gets its calls, even if the server is killed right after; every call
//! carries an `X-Confab-Signature` header (see `confab_protocol::signature`) and an `X-Confab-Delivery` id
//! that stays the same across retries, so receivers can drop repeats.

pub mod dispatcher;
pub mod payload;
pub mod policy;
pub mod routing;

pub use dispatcher::{now_ms, DispatchSettings};
pub use policy::{CallbackPolicy, Network};
