//! Scenario `catch-up`: how long a new visitor waits for their history in an app holding one big public
//! group, and how long a member of that group takes to resume, at 1,000 and at 10,000 group messages. Neither
//! should grow with the group: a guest is in none of its conversations, and a member resuming near the end
//! has only the last 100 messages to get.
//!
//! The group gets its messages over REST from a few members, many sends at once, with some 1:1 traffic
//! between other users mixed in. Each size is measured once the server delivers live again (a probe message
//! arrived), one sample at a time:
//! - a new guest's `GET /v3/messages?affix=append&id=0&limit=100`;
//! - a new guest's WebSocket: from the `auth` frame with `lastMessageId` `0` until `caughtUp`;
//! - a member's `GET /v3/messages?affix=append&id=X&limit=100`, `X` the id before the group's last 100;
//! - a member's WebSocket resuming from `X`: from the `auth` frame until `caughtUp`, after 100 messages.

use crate::api::Api;
use crate::cli::{CatchUpArgs, Scenario};
use crate::outcome::{number, Outcome};
use crate::server;
use crate::stats::{millis, nearest_rank};
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

/// The big public group.
const GUID: &str = "lobby";
/// Its members, `m0` to `m4`, who write its messages in turn.
const MEMBERS: usize = 5;
/// Users of the 1:1 traffic, `u0` to `u19`: user `2k` writes to user `2k + 1`.
const DIRECT_USERS: usize = 20;
/// One 1:1 message for every this many group messages.
const GROUP_PER_DIRECT: usize = 4;
/// The group's text messages at each measurement.
const SIZES: [usize; 2] = [1_000, 10_000];
/// Sends in flight at once while filling.
const FILL_CONCURRENCY: usize = 50;
/// The page the visitor asks for, and how many messages the member resumes behind.
const PAGE: u32 = 100;
/// How long a request, or a socket's catch-up, may take.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Runs the scenario against `server_bin` in a fresh temporary data directory, removed afterwards.
pub async fn run(args: &CatchUpArgs, server_bin: &Path) -> Result<Outcome, String> {
    let (dir, credentials, server) = server::start_fresh(server_bin).await?;
    let api = Api::new(&server.base, credentials.clone(), FILL_CONCURRENCY, TIMEOUT)?;
    let addr = server.base.trim_start_matches("http://").to_owned();
    let ws = Socket { url: format!("ws://{addr}/v3/ws"), addr, app_id: credentials.app_id.clone() };

    eprintln!("Creating {MEMBERS} members, {DIRECT_USERS} other users and the public group {GUID} ...");
    let mut member_tokens = Vec::with_capacity(MEMBERS);
    for n in 0..MEMBERS {
        let token = api.create_user_with_token(&member(n), &format!("Member {n}")).await;
        member_tokens.push(token.map_err(|e| format!("creating {} failed: {e}", member(n)))?);
    }
    for n in 0..DIRECT_USERS {
        api.create_user(&uid(n), &format!("User {n}")).await.map_err(|e| format!("creating {} failed: {e}", uid(n)))?;
    }
    let others: Vec<String> = (1..MEMBERS).map(member).collect();
    api.create_group(GUID, "Lobby", &member(0), &others).await.map_err(|e| format!("creating {GUID} failed: {e}"))?;

    let mut group_ids: Vec<i64> = Vec::new();
    let mut points = Vec::with_capacity(SIZES.len());
    let mut sent = 0;
    for size in SIZES {
        let started = Instant::now();
        group_ids.extend(fill(&api, sent..size).await?);
        let direct = (size - sent) / GROUP_PER_DIRECT;
        eprintln!(
            "  {} group and {direct} 1:1 messages sent in {:.1}s",
            size - sent,
            started.elapsed().as_secs_f64()
        );
        sent = size;
        group_ids.push(probe(&api, &ws, &member_tokens[1], size).await?);
        group_ids.sort_unstable();
        // The member resumes from the id before the group's last PAGE messages (the probe among them).
        let resume_from = group_ids[group_ids.len() - PAGE as usize - 1].to_string();
        eprintln!("Measuring at {size} group messages ({} samples each) ...", args.samples);
        points.push(measure(&api, &ws, &member_tokens[0], &resume_from, args.samples).await?);
    }
    server.kill().await?;
    dir.close().map_err(|e| format!("cannot remove the temporary data directory: {e}"))?;
    Ok(outcome(args, &points))
}

/// The uid of member `n`.
fn member(n: usize) -> String {
    format!("m{n}")
}

/// The uid of 1:1 user `n`.
fn uid(n: usize) -> String {
    format!("u{n}")
}

/// Sends group messages number `range` from the members in turn, and one 1:1 message for every
/// `GROUP_PER_DIRECT` of them, `FILL_CONCURRENCY` at a time; returns the group messages' ids.
async fn fill(api: &Api, range: std::ops::Range<usize>) -> Result<Vec<i64>, String> {
    let direct = range.start / GROUP_PER_DIRECT..range.end / GROUP_PER_DIRECT;
    let sends = range.map(|k| (true, k)).chain(direct.map(|k| (false, k)));
    let mut results = futures_util::stream::iter(sends)
        .map(|(group, k)| async move {
            let text = format!("catch-up {k}");
            let sent = match group {
                true => api.send_group_text(&member(k % MEMBERS), GUID, &text, &format!("cu-g{k}")).await,
                false => {
                    let pair = k % (DIRECT_USERS / 2);
                    api.send_text(&uid(2 * pair), &uid(2 * pair + 1), &text, &format!("cu-d{k}")).await
                }
            };
            let kind = if group { "group" } else { "1:1" };
            let id = sent.map_err(|e| format!("sending {kind} message {k} failed: {e}"))?;
            let id = id.parse::<i64>().map_err(|_| format!("message id {id} is not a number"))?;
            Ok::<_, String>(group.then_some(id))
        })
        .buffer_unordered(FILL_CONCURRENCY);
    let mut ids = Vec::new();
    while let Some(result) = results.next().await {
        ids.extend(result?);
    }
    Ok(ids)
}

/// Waits until the server delivers live: a member's socket (no resume) gets a group message sent after it
/// signed in. Returns that message's id.
async fn probe(api: &Api, ws: &Socket, token: &str, size: usize) -> Result<i64, String> {
    let mut socket = ws.open().await?;
    socket.send(Message::text(ws.auth(token, None))).await.map_err(|e| format!("probe auth: {e}"))?;
    let text = format!("catch-up probe at {size}");
    let wait = async {
        next_frame(&mut socket, "ready").await?;
        let id = api.send_group_text(&member(0), GUID, &text, &format!("cu-probe{size}")).await;
        let id = id.map_err(|e| format!("sending the probe failed: {e}"))?;
        loop {
            let frame = next_frame(&mut socket, "message").await?;
            if frame.pointer("/message/id").and_then(Value::as_str) == Some(id.as_str()) {
                return id.parse::<i64>().map_err(|_| format!("message id {id} is not a number"));
            }
        }
    };
    let id = tokio::time::timeout(TIMEOUT, wait).await.map_err(|_| "the probe message did not arrive in time")??;
    let _ = socket.close(None).await;
    Ok(id)
}

/// The samples at one size, in the order they were taken.
#[derive(Debug, Default)]
struct Point {
    guest_rest: Vec<Duration>,
    guest_socket: Vec<Duration>,
    member_rest: Vec<Duration>,
    member_socket: Vec<Duration>,
    /// Messages each guest got (REST then socket); a guest is in no conversation, so 0.
    guest_messages: Vec<usize>,
    /// Messages each member sample got (REST then socket); must all be `PAGE`.
    member_messages: Vec<usize>,
}

/// Takes `samples` samples of each figure, one at a time.
async fn measure(api: &Api, ws: &Socket, member_token: &str, resume_from: &str, samples: usize) -> Result<Point, String> {
    let mut point = Point::default();
    let guest = || async move { api.guest().await.map_err(|e| format!("signing in a guest failed: {e}")) };
    for _ in 0..samples {
        let token = guest().await?;
        let started = Instant::now();
        let page = api.messages_after(&token, "0", PAGE).await.map_err(|e| format!("a guest's page failed: {e}"))?;
        point.guest_rest.push(started.elapsed());
        point.guest_messages.push(page.len());
    }
    for _ in 0..samples {
        let token = guest().await?;
        let (took, messages) = ws.catch_up(&token, "0").await?;
        point.guest_socket.push(took);
        point.guest_messages.push(messages);
    }
    for _ in 0..samples {
        let started = Instant::now();
        let page = api.messages_after(member_token, resume_from, PAGE).await;
        let page = page.map_err(|e| format!("the member's page failed: {e}"))?;
        point.member_rest.push(started.elapsed());
        point.member_messages.push(page.len());
    }
    for _ in 0..samples {
        let (took, messages) = ws.catch_up(member_token, resume_from).await?;
        point.member_socket.push(took);
        point.member_messages.push(messages);
    }
    Ok(point)
}

/// Where the WebSockets connect, and the app they sign in to.
struct Socket {
    /// `host:port`.
    addr: String,
    /// `ws://host:port/v3/ws`.
    url: String,
    app_id: String,
}

type Ws = tokio_tungstenite::WebSocketStream<TcpStream>;

impl Socket {
    /// Opens a WebSocket (TCP and the handshake), not signed in yet.
    async fn open(&self) -> Result<Ws, String> {
        let tcp = TcpStream::connect(&self.addr).await.map_err(|e| format!("connecting the socket: {e}"))?;
        let _ = tcp.set_nodelay(true);
        let (ws, _) = tokio_tungstenite::client_async(self.url.as_str(), tcp)
            .await
            .map_err(|e| format!("the WebSocket handshake failed: {e}"))?;
        Ok(ws)
    }

    /// The `auth` frame for `token`, resuming after `last` when given.
    fn auth(&self, token: &str, last: Option<&str>) -> String {
        let mut frame = serde_json::json!({"type": "auth", "v": 1, "appId": self.app_id, "authToken": token});
        if let Some(last) = last {
            frame["lastMessageId"] = last.into();
        }
        frame.to_string()
    }

    /// Opens a socket, then times from writing the `auth` frame (resuming after `last`) until `caughtUp`;
    /// returns that time and the messages that came before `caughtUp`.
    async fn catch_up(&self, token: &str, last: &str) -> Result<(Duration, usize), String> {
        let mut socket = self.open().await?;
        let started = Instant::now();
        socket.send(Message::text(self.auth(token, Some(last)))).await.map_err(|e| format!("auth: {e}"))?;
        let read = async {
            next_frame(&mut socket, "ready").await?;
            let mut messages = 0;
            loop {
                match next_frame(&mut socket, "").await?["type"].as_str() {
                    Some("caughtUp") => return Ok::<_, String>(messages),
                    Some("message") => messages += 1,
                    _ => {}
                }
            }
        };
        let messages = tokio::time::timeout(TIMEOUT, read).await.map_err(|_| "no caughtUp frame in time")??;
        let took = started.elapsed();
        let _ = socket.close(None).await;
        Ok((took, messages))
    }
}

/// Reads frames until one of type `kind` (any frame when `kind` is empty); an `error` frame or the socket's
/// end is an error.
async fn next_frame(socket: &mut Ws, kind: &str) -> Result<Value, String> {
    while let Some(frame) = socket.next().await {
        let text = match frame.map_err(|e| format!("reading the socket: {e}"))? {
            Message::Text(text) => text,
            Message::Close(close) => return Err(format!("the server closed the socket: {close:?}")),
            _ => continue,
        };
        let frame: Value = serde_json::from_str(text.as_str()).map_err(|e| format!("unreadable frame: {e}"))?;
        match frame["type"].as_str() {
            Some("error") => return Err(format!("the server answered with an error frame: {text}")),
            Some(t) if kind.is_empty() || t == kind => return Ok(frame),
            _ => {}
        }
    }
    Err("the socket ended".to_owned())
}

/// The median of `samples` in milliseconds (`None` with none).
fn median_ms(samples: &[Duration]) -> Option<f64> {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    nearest_rank(&sorted, 50.0).map(millis)
}

/// One figure at both sizes: the medians and how many times slower the big group is.
#[derive(Debug, Serialize)]
struct Growth {
    at1k: Option<f64>,
    at10k: Option<f64>,
    ratio: Value,
}

impl Growth {
    fn of(small: &[Duration], big: &[Duration]) -> Self {
        let (at1k, at10k) = (median_ms(small), median_ms(big));
        let ratio = match (at1k, at10k) {
            (Some(a), Some(b)) if a > 0.0 => number(b / a, 2),
            _ => Value::Null,
        };
        Self { at1k, at10k, ratio }
    }
}

/// REST and socket catch-up of one kind of user.
#[derive(Debug, Serialize)]
struct Catch {
    rest: Growth,
    socket: Growth,
}

/// The figures, in the order they are printed (README.md explains each).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Figures {
    scenario: &'static str,
    new_visitor: Catch,
    member: Catch,
    samples: usize,
    group_messages: [usize; 2],
    direct_messages: [usize; 2],
}

/// The figures and the failed checks.
fn outcome(args: &CatchUpArgs, points: &[Point]) -> Outcome {
    let [small, big] = points else { unreachable!("one point per size") };
    let catch = |of: fn(&Point) -> &[Duration]| Growth::of(of(small), of(big));
    let figures = Figures {
        scenario: Scenario::CatchUp.name(),
        new_visitor: Catch { rest: catch(|p| p.guest_rest.as_slice()), socket: catch(|p| p.guest_socket.as_slice()) },
        member: Catch { rest: catch(|p| p.member_rest.as_slice()), socket: catch(|p| p.member_socket.as_slice()) },
        samples: args.samples,
        group_messages: SIZES,
        direct_messages: SIZES.map(|size| size / GROUP_PER_DIRECT),
    };

    eprintln!();
    eprintln!("catch-up: medians of {} samples, at {} and {} group messages", args.samples, SIZES[0], SIZES[1]);
    let ms = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.2} ms"));
    for (name, growth) in [
        ("new visitor, REST page", &figures.new_visitor.rest),
        ("new visitor, socket to caughtUp", &figures.new_visitor.socket),
        ("member, REST page of 100", &figures.member.rest),
        ("member, socket resume of 100", &figures.member.socket),
    ] {
        eprintln!("  {name:<32} {:>10}  {:>10}  x{}", ms(growth.at1k), ms(growth.at10k), growth.ratio);
    }

    let mut failures = Vec::new();
    for (size, point) in SIZES.iter().zip(points) {
        let guests: usize = point.guest_messages.iter().sum();
        eprintln!("  at {size}: the new guests got {guests} messages in all");
        if let Some(got) = point.member_messages.iter().find(|&&n| n != PAGE as usize) {
            failures.push(format!("at {size} group messages the member resumed with {got} messages instead of {PAGE}"));
        }
    }
    let figures = serde_json::to_string(&figures).expect("figures serialise");
    Outcome { figures, failures }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_is_the_ratio_of_the_medians() {
        let ms = |v: &[u64]| v.iter().copied().map(Duration::from_millis).collect::<Vec<_>>();
        let growth = Growth::of(&ms(&[3, 2, 100]), &ms(&[5, 4, 6]));
        assert_eq!((growth.at1k, growth.at10k), (Some(3.0), Some(5.0)));
        assert_eq!(growth.ratio.to_string(), "1.67");
        assert_eq!(Growth::of(&[], &ms(&[1])).ratio, Value::Null);
    }
}
