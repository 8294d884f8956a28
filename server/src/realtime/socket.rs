//! One device's WebSocket: sign-in by the first frame, resume, then frames both ways until it closes.
//!
//! Limits: a frame or message may be at most `MAX_BODY_BYTES` (as a REST body), before sign-in too; a larger
//! one drops the socket. A client address may hold `--unauthenticated-sockets` sockets that have not signed
//! in yet; one more upgrade is refused with HTTP 429 (`Retry-After`). Each `auth` frame takes one request
//! from its token's rate limit (the bucket its REST calls use); over it the socket closes with
//! [`CLOSE_RATE_LIMITED`]. The address gate is per node (it bounds this node's memory); the token's rate
//! limit counts wherever the server's limits count (every node's, with Redis). Presence is debounced and,
//! with a cluster presence, cluster-wide (see [`hub`](super::hub)); [`announce_transitions`] announces what
//! the presence finds on its own.

use axum::extract::ws::{CloseFrame, Message as WsMessage, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use confab_protocol::api_error::{ApiErrorBody, ApiErrorCode};
use confab_protocol::limits::MAX_BODY_BYTES;
use confab_protocol::realtime::{
    close_code, ClientFrame, PresenceStatus, ServerFrame, TypingState, PROTOCOL_VERSION,
};
use confab_protocol::rest::messages::ReceiverType;
use confab_protocol::rest::variants::switches;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::chat;
use crate::apps::now_secs;
use crate::client_addr::ClientAddr;
use crate::error::ApiError;
use crate::rate_limit::SocketPass;
use crate::realtime::hub::PRESENCE_GRACE;
use crate::secrets::key_hash;
use crate::realtime::Realtime;
use crate::state::AppState;
use crate::store::{Cursor, MessageFilter, Store};
use crate::validate;

/// Time a new socket has to send its `auth` frame.
pub const AUTH_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the server pings an idle socket.
pub const HEARTBEAT: Duration = Duration::from_secs(25);
/// A socket that sends nothing (not even a pong) this long is closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(75);
/// A "typing started" ends by itself after this long without another.
pub const TYPING_TTL: Duration = Duration::from_secs(5);
/// A write that takes longer than this means the device stopped reading: it is cut off.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Messages sent per query while resuming.
const RESUME_PAGE: u32 = 500;
/// Unreadable frames tolerated before the socket is closed.
const MAX_BAD_FRAMES: u32 = 20;
/// Close code when the `auth` frame is over its token's rate limit; the reason says when to retry. The
/// token stays good: the device reconnects later (the widget does, with its usual backoff).
pub const CLOSE_RATE_LIMITED: u16 = 4029;

type Sink = SplitSink<WebSocket, WsMessage>;

/// Why a socket stops.
enum Stop {
    /// The device went away (or the socket broke).
    Gone,
    /// The server closes it with this code.
    Close(u16),
}



/// Read buffer of each socket: small, so that thousands of idle sockets stay cheap (it grows for a large
/// frame).
const READ_BUFFER: usize = 4 * 1024;
/// Bytes a socket buffers before writing.
const WRITE_BUFFER: usize = 4 * 1024;

/// `GET /v3/ws`: upgrades to a WebSocket; 429 when the client address has as many sockets waiting for
/// their sign-in as it may.
pub async fn upgrade(ws: WebSocketUpgrade, ClientAddr(client): ClientAddr, State(state): State<AppState>) -> Response {
    let Some(pass) = state.limits.unauthenticated_sockets.enter(client) else {
        return ApiError::RateLimited { retry_after_secs: AUTH_TIMEOUT.as_secs() }.into_response();
    };
    ws.max_message_size(MAX_BODY_BYTES)
        .max_frame_size(MAX_BODY_BYTES)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .on_upgrade(move |socket| run(socket, state, pass))
}

/// Writes one WebSocket message; a device that does not take it within [`WRITE_TIMEOUT`] is cut off. Most
/// writes complete at once, and only a write that has to wait arms a timer.
async fn write(sink: &mut Sink, message: WsMessage) -> Result<(), Stop> {
    let mut sending = std::pin::pin!(sink.send(message));
    let first = std::future::poll_fn(|cx| std::task::Poll::Ready(sending.as_mut().poll(cx))).await;
    let result = match first {
        std::task::Poll::Ready(result) => result,
        std::task::Poll::Pending => match tokio::time::timeout(WRITE_TIMEOUT, sending).await {
            Ok(result) => result,
            Err(_) => return Err(Stop::Close(close_code::RESUME)),
        },
    };
    result.map_err(|_| Stop::Gone)
}

async fn send(sink: &mut Sink, frame: &ServerFrame) -> Result<(), Stop> {
    write(sink, WsMessage::Text(serde_json::to_string(frame).expect("frames serialise").into())).await
}

/// How long a closing socket waits for the device's close reply.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// Sends a close frame with `code`, then reads (and drops) what the device still sends until its close
/// reply, so the close code reaches it instead of a connection reset.
async fn close(sink: &mut Sink, stream: &mut SplitStream<WebSocket>, code: u16, reason: &str) {
    // A close frame's reason has room for 123 bytes.
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let frame = CloseFrame { code, reason: Utf8Bytes::from(reason[..end].to_owned()) };
    let deadline = tokio::time::Instant::now() + CLOSE_WAIT;
    if tokio::time::timeout_at(deadline, sink.send(WsMessage::Close(Some(frame)))).await.is_err() {
        return;
    }
    while let Ok(Some(Ok(message))) = tokio::time::timeout_at(deadline, stream.next()).await {
        if matches!(message, WsMessage::Close(_)) {
            break;
        }
    }
}

fn error_frame(err: ApiError, reference: Option<String>) -> ServerFrame {
    let error = match err {
        ApiError::Refused { code, message, details, .. } => ApiErrorBody { code, message, details },
        ApiError::RateLimited { retry_after_secs } => ApiErrorBody {
            code: ApiErrorCode::ErrTooManyRequests,
            message: format!("rate limit reached; retry in {retry_after_secs} s"),
            details: Default::default(),
        },
        ApiError::Limited { code, message, details, .. } => ApiErrorBody { code, message, details },
        other => {
            tracing::error!(error = %other, "realtime frame failed");
            ApiErrorBody {
                code: other.code(),
                message: "the server could not complete the request".into(),
                details: Default::default(),
            }
        }
    };
    ServerFrame::Error { error, reference }
}

/// Who the socket signed in as.
struct Session {
    app_id: String,
    uid: String,
    /// The token's hash: the socket's frames count against its rate limit.
    token_hash: Vec<u8>,
    /// The widget variant the token signed in with (`None`: the app's default): its switches are enforced.
    variant_id: Option<String>,
}

/// Reads and checks the `auth` frame; when refused, the close code and reason.
async fn sign_in(stream: &mut SplitStream<WebSocket>, state: &AppState) -> Result<(Session, Option<i64>), (u16, String)> {
    read_auth(stream, state).await.map_err(|refusal| match refusal {
        Refusal::Auth(reason) => (close_code::AUTH_FAILED, reason),
        Refusal::RateLimited(retry_after_secs) => {
            (CLOSE_RATE_LIMITED, format!("too many sign-ins with this token; retry in {retry_after_secs} s"))
        }
    })
}

/// Why a sign-in was refused.
enum Refusal {
    /// The frame or its token is no good.
    Auth(String),
    /// The token's rate limit is reached for this many seconds.
    RateLimited(u64),
}

impl From<String> for Refusal {
    fn from(reason: String) -> Self {
        Self::Auth(reason)
    }
}

impl From<&str> for Refusal {
    fn from(reason: &str) -> Self {
        Self::Auth(reason.to_owned())
    }
}

async fn read_auth(stream: &mut SplitStream<WebSocket>, state: &AppState) -> Result<(Session, Option<i64>), Refusal> {
    let first = tokio::time::timeout(AUTH_TIMEOUT, stream.next()).await.map_err(|_| "no auth frame in time")?;
    let text = match first {
        Some(Ok(WsMessage::Text(text))) => text,
        Some(Err(e)) => return Err(format!("unreadable first frame: {e}").into()),
        _ => return Err("the first frame must be an auth frame".into()),
    };
    let frame: ClientFrame = serde_json::from_str(&text).map_err(|e| format!("unreadable auth frame: {e}"))?;
    let ClientFrame::Auth { v, app_id, auth_token, last_message_id } = frame else {
        return Err("the first frame must be an auth frame".into());
    };
    if v != PROTOCOL_VERSION {
        return Err(format!("protocol version {v} is not spoken here; use {PROTOCOL_VERSION}").into());
    }
    let resume = last_message_id.map(|id| id.parse::<i64>().map_err(|_| "lastMessageId must be a message id".to_owned())).transpose()?;
    let hash = key_hash(&auth_token);
    let owner = state.store.token_owner(&hash, crate::apps::now_secs()).await.map_err(|_| "the server could not check the token".to_owned())?;
    match owner {
        Some(owner) if owner.app_id == app_id && !owner.deactivated => {
            // A sign-in is a request with the token: it takes from the token's bucket, like its REST calls.
            state.limiter.check(&hash).await.map_err(Refusal::RateLimited)?;
            Ok((Session { app_id, uid: owner.uid, token_hash: hash, variant_id: owner.variant_id }, resume))
        }
        Some(owner) if owner.app_id == app_id => Err("this user is deactivated".into()),
        _ => Err("the auth token is unknown or revoked".into()),
    }
}

/// Runs a socket; `pass` is its place among its address's sockets not signed in yet, given up when the
/// sign-in ends.
async fn run(socket: WebSocket, state: AppState, pass: SocketPass) {
    let (mut sink, mut stream) = socket.split();
    let signed_in = sign_in(&mut stream, &state).await;
    drop(pass);
    let (session, resume) = match signed_in {
        Ok(signed_in) => signed_in,
        Err((code, reason)) => return close(&mut sink, &mut stream, code, &reason).await,
    };
    let hub = state.realtime.hub.clone();
    // Registered before the resume read, so nothing committed meanwhile is missed.
    let (mut registration, announce_online) = hub.register(&session.app_id, &session.uid, session.token_hash.clone());
    if announce_online.await {
        announce_presence(&state.store, &state.realtime, &session.app_id, &session.uid, PresenceStatus::Online, now_secs()).await;
    }
    let outcome = serve(&mut sink, &mut stream, &state, &session, resume, &mut registration).await;
    if let Stop::Close(code) = outcome {
        let reason = match code {
            close_code::RESUME => "fell behind: reconnect and resume from your last message",
            close_code::REVOKED => "the session was revoked",
            close_code::IDLE => "idle",
            _ => "closing",
        };
        close(&mut sink, &mut stream, code, reason).await;
    }
    let left_at = now_secs();
    if let Some(leaving) = hub.unregister(&session.app_id, &session.uid, registration.id, left_at) {
        // The last device on this node left: offline (and the last-active write) only if none is left on
        // any node and none comes back in the grace.
        let Session { app_id, uid, .. } = session;
        tokio::spawn(async move {
            let Some(ticket) = leaving.await else { return };
            tokio::time::sleep(PRESENCE_GRACE).await;
            if state.realtime.hub.settle_offline(&app_id, &uid, ticket).await {
                announce_offline(&state.store, &state.realtime, &app_id, &uid, left_at).await;
            }
        });
    }
}

/// Tells the user's audience and the app's `user_connection_status_changed` webhooks.
async fn announce_presence(store: &Arc<dyn Store>, realtime: &Realtime, app_id: &str, uid: &str, status: PresenceStatus, last_active_at: i64) {
    match store.presence_audience(app_id, uid).await {
        Ok(audience) => {
            let frame = ServerFrame::Presence { uid: uid.to_owned(), status, last_active_at };
            realtime.deliver(app_id, audience, frame);
        }
        Err(e) => tracing::warn!(error = %e, "presence audience unavailable"),
    }
    let detail = serde_json::json!({"uid": uid, "status": status, "lastActiveAt": last_active_at});
    if let Err(e) = store.queue_presence(app_id, uid, &detail, crate::hooks::now_ms()).await {
        tracing::warn!(error = %e, "presence webhooks not queued");
    }
}

/// Writes the user's `lastActiveAt` and announces them offline.
async fn announce_offline(store: &Arc<dyn Store>, realtime: &Realtime, app_id: &str, uid: &str, last_active_at: i64) {
    let _ = store.touch_last_active(app_id, uid, last_active_at).await;
    announce_presence(store, realtime, app_id, uid, PresenceStatus::Offline, last_active_at).await;
}

/// Announces the presence changes the hub's [`Presence`](super::hub::Presence) finds on its own (with the
/// Redis presence: the users of a node that died, announced offline by one live node; corrections after
/// Redis was unreachable), until it has no more. Run one per node, beside the hub; with
/// [`LocalPresence`](super::hub::LocalPresence) it returns at once.
pub async fn announce_transitions(store: Arc<dyn Store>, realtime: Realtime) {
    let Some(mut transitions) = realtime.hub.presence().transitions() else { return };
    while let Some(change) = transitions.recv().await {
        match change.status {
            PresenceStatus::Offline => announce_offline(&store, &realtime, &change.app_id, &change.uid, change.last_active_at).await,
            status => announce_presence(&store, &realtime, &change.app_id, &change.uid, status, change.last_active_at).await,
        }
    }
}

/// Runs the signed-in socket until it stops.
async fn serve(
    sink: &mut Sink,
    stream: &mut SplitStream<WebSocket>,
    state: &AppState,
    session: &Session,
    resume: Option<i64>,
    registration: &mut crate::realtime::hub::Registration,
) -> Stop {
    match start(sink, state, session, resume).await {
        Ok(replayed_up_to) => live(sink, stream, state, session, replayed_up_to, registration).await,
        Err(stop) => stop,
    }
}

/// Sends `ready` and, when resuming, every missed message and `caughtUp`; the newest id replayed.
async fn start(sink: &mut Sink, state: &AppState, session: &Session, resume: Option<i64>) -> Result<i64, Stop> {
    let user = match state.store.user(&session.app_id, &session.uid).await {
        Ok(Some(user)) => user,
        _ => return Err(Stop::Close(close_code::AUTH_FAILED)),
    };
    send(sink, &ServerFrame::Ready { v: PROTOCOL_VERSION, user }).await?;
    let Some(after) = resume else { return Ok(0) };
    let replayed_up_to = replay(sink, state, session, after).await?;
    send(sink, &ServerFrame::CaughtUp { last_message_id: Some(replayed_up_to.to_string()) }).await?;
    Ok(replayed_up_to)
}

/// Live traffic both ways, heartbeats and typing expiry.
async fn live(
    sink: &mut Sink,
    stream: &mut SplitStream<WebSocket>,
    state: &AppState,
    session: &Session,
    replayed_up_to: i64,
    registration: &mut crate::realtime::hub::Registration,
) -> Stop {
    let mut typing: HashMap<(String, ReceiverType), Instant> = HashMap::new();
    let mut last_heard = Instant::now();
    let mut bad_frames = 0;
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.reset();
    let result = loop {
        tokio::select! {
            code = registration.closer.closed() => break Stop::Close(code),
            outbound = registration.frames.recv() => {
                let Some(outbound) = outbound else { break Stop::Gone };
                if outbound.message_id.is_some_and(|id| id <= replayed_up_to) {
                    continue;
                }
                if let Err(stop) = write(sink, WsMessage::Text(Utf8Bytes::from(outbound.text.as_ref()))).await {
                    break stop;
                }
            }
            incoming = stream.next() => {
                last_heard = Instant::now();
                let text = match incoming {
                    Some(Ok(WsMessage::Text(text))) => text,
                    Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => break Stop::Gone,
                    Some(Ok(_)) => continue,
                };
                let frame = match serde_json::from_str::<ClientFrame>(&text) {
                    Ok(frame) => frame,
                    Err(e) => {
                        bad_frames += 1;
                        if bad_frames > MAX_BAD_FRAMES {
                            break Stop::Close(close_code::PROTOCOL);
                        }
                        let err = ApiError::bad_field("type", format!("unreadable frame: {e}"));
                        if let Err(stop) = send(sink, &error_frame(err, None)).await { break stop }
                        continue;
                    }
                };
                if let Some(reply) = handle(state, session, frame, &mut typing).await {
                    if let Err(stop) = send(sink, &reply).await { break stop }
                }
            }
            _ = heartbeat.tick() => {
                if last_heard.elapsed() > IDLE_TIMEOUT {
                    break Stop::Close(close_code::IDLE);
                }
                if let Err(stop) = write(sink, WsMessage::Ping(Default::default())).await { break stop }
            }
            // Armed only while the device is typing somewhere: idle sockets keep no timer for it.
            _ = tokio::time::sleep_until(next_typing_end(&typing)), if !typing.is_empty() => {
                let now = Instant::now();
                let expired: Vec<_> = typing.iter().filter(|(_, until)| **until <= now).map(|(k, _)| k.clone()).collect();
                for key in expired {
                    typing.remove(&key);
                    publish_typing(state, session, &key.0, key.1, TypingState::Ended).await;
                }
            }
        }
    };
    for (receiver, receiver_type) in typing.into_keys() {
        publish_typing(state, session, &receiver, receiver_type, TypingState::Ended).await;
    }
    result
}

/// When the earliest "typing started" of this socket ends by itself.
fn next_typing_end(typing: &HashMap<(String, ReceiverType), Instant>) -> tokio::time::Instant {
    let earliest = typing.values().min().copied().unwrap_or_else(|| Instant::now() + TYPING_TTL);
    tokio::time::Instant::from_std(earliest)
}

/// Sends every message after `after` in the user's conversations; the newest id the device now has (the
/// newest sent, or `after`), below which live messages are duplicates.
async fn replay(sink: &mut Sink, state: &AppState, session: &Session, after: i64) -> Result<i64, Stop> {
    let mut cursor = after;
    loop {
        let filter = MessageFilter {
            conversation_id: None,
            participant: Some(session.uid.clone()),
            category: None,
            message_type: None,
            sender: None,
            hide_deleted: false,
            cursor: Cursor::After(Some(cursor)),
            limit: RESUME_PAGE,
            ..MessageFilter::default()
        };
        let mut messages = state.store.list_messages(&session.app_id, &filter).await.map_err(|_| Stop::Close(close_code::RESUME))?;
        crate::chat::references::with_quotes(state.store.as_ref(), &session.app_id, &mut messages)
            .await
            .map_err(|_| Stop::Close(close_code::RESUME))?;
        let count = messages.len();
        for mut message in messages {
            cursor = message.id.parse().unwrap_or(cursor);
            state.media_urls.sign_message(&mut message);
            send(sink, &ServerFrame::Message { message }).await?;
        }
        if count < RESUME_PAGE as usize {
            return Ok(cursor);
        }
    }
}

/// Who a typing or transient frame to `receiver` reaches, after checking the sender may address it.
async fn audience(state: &AppState, session: &Session, receiver: &str, receiver_type: ReceiverType) -> Result<Vec<String>, ApiError> {
    let receiver = validate::id("receiver", receiver)?;
    let app_id = &session.app_id;
    match receiver_type {
        ReceiverType::User => {
            if state.store.user(app_id, &receiver).await?.is_none_or(|u| u.deactivated_at.is_some()) {
                return Err(ApiError::uid_not_found(&receiver).with_field("receiver"));
            }
            if state.store.blocked_either_way(app_id, &session.uid, &receiver).await? {
                return Err(ApiError::forbidden(ApiErrorCode::ErrBlockedReceiver, "one of you has blocked the other"));
            }
            Ok(vec![receiver])
        }
        ReceiverType::Group => {
            if state.store.membership(app_id, &receiver, &session.uid).await?.is_none() {
                return Err(ApiError::forbidden(ApiErrorCode::ErrGroupNotJoined, "you are not a member of this group"));
            }
            let mut members = state.store.member_uids(app_id, &receiver).await?;
            members.retain(|m| *m != session.uid);
            Ok(members)
        }
    }
}

async fn publish_typing(state: &AppState, session: &Session, receiver: &str, receiver_type: ReceiverType, typing: TypingState) {
    if let Ok(recipients) = audience(state, session, receiver, receiver_type).await {
        let frame = ServerFrame::Typing {
            sender: session.uid.clone(),
            receiver: receiver.to_owned(),
            receiver_type,
            state: typing,
        };
        state.realtime.deliver(&session.app_id, recipients, frame);
    }
}

/// Acts on one frame; the reply to send back, if any.
async fn handle(
    state: &AppState,
    session: &Session,
    frame: ClientFrame,
    typing: &mut HashMap<(String, ReceiverType), Instant>,
) -> Option<ServerFrame> {
    if !matches!(frame, ClientFrame::Ping) {
        if let Err(retry_after_secs) = state.limiter.check(&session.token_hash).await {
            let reference = match &frame {
                ClientFrame::Send { message } => message.muid.clone(),
                _ => None,
            };
            return Some(error_frame(ApiError::RateLimited { retry_after_secs }, reference));
        }
    }
    match frame {
        ClientFrame::Ping => Some(ServerFrame::Pong),
        ClientFrame::Auth { .. } => Some(error_frame(ApiError::bad_field("type", "this socket is signed in already"), None)),
        ClientFrame::Send { message } => {
            let muid = message.muid.clone();
            let by = chat::SentBy::Session { variant_id: session.variant_id.as_deref() };
            match chat::send(state, &session.app_id, session.uid.clone(), by, message).await {
                Ok(stored) => Some(ServerFrame::Ack { muid, message: stored }),
                Err(err) => Some(error_frame(err, muid)),
            }
        }
        ClientFrame::Receipt { kind, conversation_id, message_id } => {
            let marked = chat::mark_in(state, &session.app_id, &session.uid, &conversation_id, Some(&message_id), kind).await;
            marked.err().map(|err| error_frame(err, None))
        }
        ClientFrame::Typing { receiver, receiver_type, state: typing_state } => {
            // Refused, and never relayed, when the session's variant turns typing indicators off.
            let features = &state.variant_features;
            match features.enabled(state.store.as_ref(), &session.app_id, session.variant_id.as_deref(), switches::TYPING_INDICATOR).await {
                Ok(true) => {}
                Ok(false) => return Some(error_frame(crate::variant_features::disabled("typing"), None)),
                Err(err) => return Some(error_frame(err.into(), None)),
            }
            let Ok(receiver) = validate::id("receiver", &receiver) else {
                return Some(error_frame(ApiError::bad_field("receiver", "must be a uid or guid"), None));
            };
            if let Err(err) = audience(state, session, &receiver, receiver_type).await {
                return Some(error_frame(err, None));
            }
            let key = (receiver.clone(), receiver_type);
            let announce = match typing_state {
                TypingState::Started => typing.insert(key, Instant::now() + TYPING_TTL).is_none(),
                TypingState::Ended => typing.remove(&key).is_some(),
            };
            if announce {
                publish_typing(state, session, &receiver, receiver_type, typing_state).await;
            }
            None
        }
        ClientFrame::Transient { receiver, receiver_type, data } => {
            if let Err(err) = validate::metadata("data", Some(&data)) {
                return Some(error_frame(err, None));
            }
            match audience(state, session, &receiver, receiver_type).await {
                Ok(recipients) => {
                    let frame = ServerFrame::Transient { sender: session.uid.clone(), receiver, receiver_type, data };
                    state.realtime.deliver(&session.app_id, recipients, frame);
                    None
                }
                Err(err) => Some(error_frame(err, None)),
            }
        }
    }
}
