//! Scenario `realtime`: Confab's WebSocket gateway under load, then the same load on a peer.
//!
//! Against each target (Confab first, then the peer, never both at once):
//! 1. open `--connections` WebSocket connections, one user each, and read the server's memory before and
//!    after: the idle memory per connection;
//! 2. send 1:1 and group messages at `--rate` for `--warmup` then `--seconds` seconds; every connection that
//!    receives a message measures its send-to-receive latency from the stamp in the message's text;
//! 3. send `--big-group-messages` messages, one at a time, to a group of `--big-group` members, all online;
//! 4. read the server's memory again, count the connections still open, close them and stop the server.
//!
//! Confab runs as in production: every message is stored (SQLite) before it is delivered. The `cluster`
//! scenario ([`cluster`]) drives the same phases through several nodes on PostgreSQL.

pub mod client;
pub mod cluster;
pub mod peer;
pub mod plan;
pub mod ramp;
pub mod tracker;

use crate::api::Api;
use crate::cli::{RealtimeArgs, Scenario, WindowArgs};
use crate::outcome::{number, Outcome};
use crate::procfs::{self, Memory};
use crate::server::{self, AppCredentials, Server};
use crate::stats::LatencySummary;
use client::{Endpoint, Fleet, NodeAddr};
use futures_util::StreamExt;
use plan::{guid, uid, Layout, Picker, BIG_GUID};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use ramp::Step;
use tracker::{shortfall, Tracker};

/// Phase of the sends before the measured window.
const WARMUP: u8 = 0;
/// Phase of the sends in the measured window.
const MEASURED: u8 = 1;
/// Phase of the sends to the big group.
const BIG: u8 = 2;
/// Phase of the first capacity ramp step; step `i` is `FIRST_STEP + i`.
const FIRST_STEP: u8 = 3;

/// Setup calls in flight at once (users, groups).
const SETUP_CONCURRENCY: usize = 16;
/// Most members a group is created with or given in one call.
const MEMBERS_PER_CALL: usize = 25;
/// The text of the message that tells when the server delivers live after the setup.
const PROBE_TEXT: &str = "confab-bench probe: is the setup published?";
/// How long the probe may take.
const PROBE_WAIT: Duration = Duration::from_secs(120);
/// File descriptors the bench needs besides its connections.
const SPARE_FILES: u64 = 200;

/// The issue's targets.
const TARGET_CONNECTIONS: usize = 10_000;
const TARGET_DELIVERED_PER_S: f64 = 20_000.0;
const TARGET_P99_MS: f64 = 50.0;
const TARGET_BIG_GROUP_P99_MS: f64 = 100.0;
const TARGET_IDLE_KB: f64 = 30.0;

/// Runs the scenario against a fresh Confab, then against the peer unless `--no-peer`.
pub async fn run(args: &RealtimeArgs, window: &WindowArgs, server_bin: &Path) -> Result<Outcome, String> {
    check_open_files(args)?;
    let layout = layout_of(args, 1);
    let peer_dir = peer::dir();
    if !args.no_peer {
        peer::ensure_installed(&peer_dir).await?;
    }
    let confab = run_confab(args, window, layout, server_bin).await?;
    let peer = match args.no_peer {
        true => None,
        false => Some(run_peer(args, window, layout, &peer_dir).await?),
    };
    Ok(outcome(args, window, confab, peer))
}

/// Refuses a run that needs more open files than the bench may have.
fn check_open_files(args: &RealtimeArgs) -> Result<(), String> {
    if let Some(limit) = procfs::own_open_files_limit() {
        if args.connections as u64 + SPARE_FILES > limit {
            return Err(format!(
                "--connections {} needs about {} open files; the limit is {limit} (raise it with ulimit -n)",
                args.connections,
                args.connections as u64 + SPARE_FILES
            ));
        }
    }
    Ok(())
}

/// Who is who in a run with these options, the connections spread over `nodes`.
fn layout_of(args: &RealtimeArgs, nodes: usize) -> Layout {
    Layout {
        users: args.connections,
        groups: if args.group_share > 0.0 { args.groups } else { 0 },
        group_size: args.group_size,
        big_group: if args.big_group_messages > 0 { args.big_group } else { 0 },
        nodes,
    }
}

/// Confab: a new app on a temporary data directory, its users and groups created over REST.
async fn run_confab(
    args: &RealtimeArgs,
    window: &WindowArgs,
    layout: Layout,
    server_bin: &Path,
) -> Result<TargetFigures, String> {
    let (dir, credentials, server) = server::start_fresh(server_bin).await?;
    let figures = drive_confab("Confab", args, window, layout, &credentials, vec![server]).await?;
    dir.close().map_err(|e| format!("cannot remove the temporary data directory: {e}"))?;
    Ok(figures)
}

/// Drives the Confab `servers` (one, or the nodes of a cluster, serving the app of `credentials`) through
/// the phases and kills them at the end. User `n`'s connection goes to server `layout.node_of(n)`; the
/// setup's REST calls are spread over the servers too.
async fn drive_confab(
    name: &str,
    args: &RealtimeArgs,
    window: &WindowArgs,
    layout: Layout,
    credentials: &AppCredentials,
    servers: Vec<Server>,
) -> Result<TargetFigures, String> {
    let apis = servers
        .iter()
        .map(|server| Api::new(&server.base, credentials.clone(), SETUP_CONCURRENCY, Duration::from_secs(60)))
        .collect::<Result<Vec<_>, _>>()?;

    let setup = Instant::now();
    let tokens = create_users(name, &apis, layout.users).await?;
    create_groups(name, &apis, &groups_of(layout)).await?;
    let setup_seconds = setup.elapsed().as_secs_f64();
    eprintln!("{name}: {} users and their groups created in {setup_seconds:.1}s", layout.users);

    let endpoint = Endpoint {
        nodes: servers.iter().map(|server| NodeAddr::of(&server.base)).collect(),
        auth_frames: tokens
            .iter()
            .map(|token| format!(r#"{{"type":"auth","v":1,"appId":"{}","authToken":"{token}"}}"#, credentials.app_id))
            .collect(),
    };
    // The setup's membership notices go through the same publisher as live messages (each node's own):
    // wait until every server has published them all, so that the measured traffic does not queue behind
    // them. User `i` is on node `i`; the probe comes from the other user of its pair (on another node when
    // there are several).
    let probe = Instant::now();
    for node in 0..servers.len() {
        let (receiver, sender) = (node, node ^ 1);
        let text = format!("{PROBE_TEXT} [node {node}]");
        let trigger = async {
            let api = &apis[layout.node_of(sender)];
            let sent = api.send_text(&uid(sender), &uid(receiver), &text, &format!("bench-probe-{node}")).await;
            sent.map(drop).map_err(|e| format!("sending the probe failed: {e}"))
        };
        client::await_message(&endpoint, receiver, &text, PROBE_WAIT, trigger).await?;
    }
    let backlog_seconds = probe.elapsed().as_secs_f64();
    eprintln!("{name}: delivering live {backlog_seconds:.1}s after the setup (the probe message arrived)");
    let pids: Vec<u32> = servers.iter().filter_map(Server::pid).collect();
    let (mut figures, fleet) = drive(name, &endpoint, &pids, args, window, layout).await;
    figures.setup_seconds = number(setup_seconds, 1);
    figures.backlog_seconds = Some(number(backlog_seconds, 1));
    // The servers go first: closing 10,000 sockets on a live server would only measure its goodbyes.
    for server in servers {
        server.kill().await?;
    }
    fleet.close(Duration::from_secs(10)).await;
    Ok(figures)
}

/// The peer: the Node relay, its groups set over HTTP; each user signs in with its uid.
async fn run_peer(args: &RealtimeArgs, window: &WindowArgs, layout: Layout, dir: &Path) -> Result<TargetFigures, String> {
    let peer = peer::Peer::start(&args.node, dir).await?;
    eprintln!("The peer (Node relay) is up at {}", peer.base);
    let setup = Instant::now();
    let client = reqwest::Client::new();
    for (guid, members) in groups_of(layout) {
        peer.set_group(&client, &guid, members).await?;
    }
    let endpoint = Endpoint {
        nodes: vec![NodeAddr::of(&peer.base)],
        auth_frames: (0..layout.users)
            .map(|n| format!(r#"{{"type":"auth","v":1,"appId":"peer","authToken":"{}"}}"#, uid(n)))
            .collect(),
    };
    let setup_seconds = setup.elapsed().as_secs_f64();
    let pids: Vec<u32> = peer.pid().into_iter().collect();
    let (mut figures, fleet) = drive("peer", &endpoint, &pids, args, window, layout).await;
    figures.setup_seconds = number(setup_seconds, 1);
    peer.kill().await?;
    fleet.close(Duration::from_secs(10)).await;
    Ok(figures)
}

/// Every group with its members (uids), traffic groups then the big group.
fn groups_of(layout: Layout) -> Vec<(String, Vec<String>)> {
    let mut groups: Vec<(String, Vec<String>)> =
        (0..layout.groups).map(|g| (guid(g), layout.group_members(g).map(uid).collect())).collect();
    if layout.big_group > 0 {
        groups.push((BIG_GUID.to_owned(), layout.big_members().map(uid).collect()));
    }
    groups
}

/// Creates users `u0 .. u{count-1}` with a session token each, user `n` through server `n mod servers`;
/// the tokens, by user number.
async fn create_users(name: &str, apis: &[Api], count: usize) -> Result<Vec<String>, String> {
    eprintln!("{name}: creating {count} users ...");
    let mut created = futures_util::stream::iter(0..count)
        .map(|n| async move {
            let api = &apis[n % apis.len()];
            let token = api.create_user_with_token(&uid(n), &format!("User {n}")).await;
            (n, token.map_err(|err| format!("creating user {} failed: {err}", uid(n))))
        })
        .buffer_unordered(SETUP_CONCURRENCY);
    let mut tokens = vec![String::new(); count];
    while let Some((n, token)) = created.next().await {
        tokens[n] = token?;
    }
    Ok(tokens)
}

/// Creates each group, owned by its first member, then adds the other members 25 a call; the calls are
/// spread over the servers in turn.
async fn create_groups(name: &str, apis: &[Api], groups: &[(String, Vec<String>)]) -> Result<(), String> {
    let members: usize = groups.iter().map(|(_, m)| m.len()).sum();
    eprintln!("{name}: creating {} groups with {members} members in all ...", groups.len());
    let mut created = futures_util::stream::iter(groups.iter().enumerate())
        .map(|(i, (guid, members))| async move {
            let api = &apis[i % apis.len()];
            let first = &members[1..members.len().min(1 + MEMBERS_PER_CALL)];
            api.create_group(guid, &format!("Group {guid}"), &members[0], first)
                .await
                .map_err(|err| format!("creating group {guid} failed: {err}"))
        })
        .buffer_unordered(SETUP_CONCURRENCY);
    while let Some(result) = created.next().await {
        result?;
    }
    let calls: Vec<(&str, &[String])> = groups
        .iter()
        .flat_map(|(guid, members)| {
            let rest = members.get(1 + MEMBERS_PER_CALL..).unwrap_or_default();
            rest.chunks(MEMBERS_PER_CALL).map(move |chunk| (guid.as_str(), chunk))
        })
        .collect();
    let mut added = futures_util::stream::iter(calls.into_iter().enumerate())
        .map(|(i, (guid, chunk))| async move {
            let api = &apis[i % apis.len()];
            api.add_members(guid, chunk).await.map_err(|err| format!("adding members to group {guid} failed: {err}"))
        })
        .buffer_unordered(SETUP_CONCURRENCY);
    while let Some(result) = added.next().await {
        result?;
    }
    Ok(())
}

/// Every send made, by `seq`: its phase, the deliveries it should get, and how many of those cross nodes.
#[derive(Debug, Default)]
struct Ledger {
    sends: Vec<(u8, u16, u16)>,
    /// Sends the bench could not hand to their connection (closed, or its queue full), by phase.
    skipped: BTreeMap<u8, u64>,
}

impl Ledger {
    /// The next `seq`.
    fn next_seq(&self) -> u32 {
        self.sends.len() as u32
    }

    /// Hands `send` to its connection and records it.
    fn dispatch(&mut self, fleet: &Fleet, capacity: usize, send: plan::Send) {
        if self.sends.len() < capacity && fleet.dispatch(send) {
            self.sends.push((send.phase, send.expected, send.expected_cross));
        } else {
            *self.skipped.entry(send.phase).or_default() += 1;
        }
    }

    /// Sends made in `phase`, and the deliveries they should get.
    fn totals(&self, phase: u8) -> (u64, u64) {
        self.sends.iter().filter(|(p, ..)| *p == phase).fold((0, 0), |(n, e), (_, exp, _)| (n + 1, e + *exp as u64))
    }

    /// The deliveries the sends of `phase` should get on another node than their sender's.
    fn cross_expected(&self, phase: u8) -> u64 {
        self.sends.iter().filter(|(p, ..)| *p == phase).map(|(.., cross)| *cross as u64).sum()
    }

    /// Deliveries missing and duplicated, for the sends of `phase`.
    fn shortfall(&self, phase: u8, tracker: &Tracker) -> (u64, u64) {
        shortfall(
            self.sends
                .iter()
                .enumerate()
                .filter(|(_, (p, ..))| *p == phase)
                .map(|(seq, (_, expected, _))| (*expected, tracker.got(seq as u32))),
        )
    }

    /// Deliveries to another node than the sender's missing and duplicated, for the sends of `phase`.
    fn cross_shortfall(&self, phase: u8, tracker: &Tracker) -> (u64, u64) {
        shortfall(
            self.sends
                .iter()
                .enumerate()
                .filter(|(_, (p, ..))| *p == phase)
                .map(|(seq, (.., cross))| (*cross, tracker.got_cross(seq as u32))),
        )
    }
}

/// What the measured window of the steady traffic gave.
#[derive(Debug, Default)]
struct Window {
    seconds: f64,
    sent: u64,
    delivered: u64,
    /// Of those, deliveries to another node than the sender's.
    cross_delivered: u64,
}

/// Drives one target through the phases; its figures and its still-open connections.
async fn drive(
    name: &str,
    endpoint: &Endpoint,
    pids: &[u32],
    args: &RealtimeArgs,
    window: &WindowArgs,
    layout: Layout,
) -> (TargetFigures, Fleet) {
    let steps: &[f64] = if args.no_ramp { &[] } else { &args.ramp };
    let ramp_sends: f64 = steps.iter().map(|m| args.rate * m * args.ramp_seconds).sum();
    let capacity = ((args.rate * (window.warmup + window.seconds) + ramp_sends) * 1.05).ceil() as usize
        + args.big_group_messages
        + 64;
    let phases = FIRST_STEP as usize + steps.len();
    let tracker = Arc::new(Tracker::new(std::time::Instant::now(), capacity, phases, layout.nodes));
    let before = memory(pids);

    eprintln!("{name}: opening {} connections, {} at a time ...", layout.users, args.connect_concurrency);
    let started = Instant::now();
    let fleet = Fleet::connect(endpoint, args.connect_concurrency, tracker.clone()).await;
    let connect_seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "{name}: {} connections open in {connect_seconds:.1}s{}",
        fleet.opened(),
        match fleet.failures.is_empty() {
            true => String::new(),
            false => format!(", failed: {}", describe(&fleet.failures)),
        }
    );
    tokio::time::sleep(Duration::from_secs_f64(args.settle)).await;
    let idle = memory(pids);

    let mut ledger = Ledger::default();
    let mut picker = Picker::new(layout, args.group_share, 0x5EED);
    eprintln!(
        "{name}: sending {}/s (about {:.0} deliveries/s), {}s warm-up then {}s measured ...",
        args.rate,
        args.rate * plan::deliveries_per_send(if layout.groups > 0 { args.group_share } else { 0.0 }, layout.group_size),
        window.warmup,
        window.seconds
    );
    let measured = paced(
        &fleet,
        &tracker,
        &mut picker,
        &mut ledger,
        args.rate,
        (WARMUP, Duration::from_secs_f64(window.warmup)),
        (MEASURED, Duration::from_secs_f64(window.seconds)),
        "measuring",
    )
    .await;
    drain(&tracker, &ledger, &[WARMUP, MEASURED], args.drain).await;

    if layout.big_group > 0 {
        eprintln!(
            "{name}: {} messages to the {}-member group, {} ms apart ...",
            args.big_group_messages, layout.big_group, args.big_group_interval
        );
        let interval = Duration::from_millis(args.big_group_interval);
        for _ in 0..args.big_group_messages {
            let send = picker.big(ledger.next_seq(), BIG);
            ledger.dispatch(&fleet, tracker.capacity(), send);
            tokio::time::sleep(interval).await;
        }
        drain(&tracker, &ledger, &[BIG], args.drain).await;
    }
    let end = memory(pids);
    let mut figures = figures(name, &fleet, &tracker, &ledger, &measured, layout, before, idle, end, connect_seconds);

    // The capacity ramp starts from the standard window, which is its first step.
    let base = Step {
        rate: args.rate,
        delivered_per_s: figures.delivered_per_s.as_f64().unwrap_or(0.0),
        p50_ms: figures.p50_ms,
        p99_ms: figures.p99_ms,
        missing: figures.missing + tracker.refused(WARMUP) + tracker.refused(MEASURED),
        cross_delivered_per_s: figures.cross_node.as_ref().and_then(|c| c.delivered_per_s.as_f64()),
        cross_p99_ms: figures.cross_node.as_ref().and_then(|c| c.p99_ms),
    };
    let mut ramp = vec![base];
    for (i, multiple) in steps.iter().enumerate() {
        if !ramp.last().is_some_and(|step| step.held(args.ramp_p99_ms)) {
            break;
        }
        let (phase, rate) = (FIRST_STEP + i as u8, args.rate * multiple);
        eprintln!("{name}: ramp step {}: {rate}/s for {}s ...", i + 1, args.ramp_seconds);
        let step = Duration::from_secs_f64(args.ramp_seconds);
        let (ramp_warm, ramp_step) = ((phase, Duration::ZERO), (phase, step));
        let window = paced(&fleet, &tracker, &mut picker, &mut ledger, rate, ramp_warm, ramp_step, "ramp").await;
        drain(&tracker, &ledger, &[phase], args.drain).await;
        let (mut samples, _) = tracker.samples(phase);
        let latency = LatencySummary::of(&mut samples);
        let (missing, _) = ledger.shortfall(phase, &tracker);
        let (mut cross_samples, _) = tracker.cross_and_same_samples(phase);
        let several = layout.nodes > 1;
        ramp.push(Step {
            rate,
            delivered_per_s: window.delivered as f64 / window.seconds,
            p50_ms: latency.p50_ms,
            p99_ms: latency.p99_ms,
            missing: missing + tracker.refused(phase),
            cross_delivered_per_s: several.then(|| round1(window.cross_delivered as f64 / window.seconds)),
            cross_p99_ms: several.then(|| LatencySummary::of(&mut cross_samples).p99_ms).flatten(),
        });
        let step = ramp.last().expect("just pushed");
        eprintln!(
            "  ramp step {}: delivered {:.0}/s, p50 {}, p99 {}, {} missing{}",
            i + 1,
            step.delivered_per_s,
            show_ms(step.p50_ms),
            show_ms(step.p99_ms),
            step.missing,
            match step.cross_delivered_per_s {
                Some(cross) => format!("; across nodes {cross:.0}/s, p99 {}", show_ms(step.cross_p99_ms)),
                None => String::new(),
            }
        );
    }
    let best = ramp::capacity(&ramp, args.ramp_p99_ms);
    figures.capacity_per_s = best.map(|step| number(step.delivered_per_s, 1));
    figures.capacity_p99_ms = best.and_then(|step| step.p99_ms);
    figures.capacity_rate = best.map(|step| number(step.rate, 1));
    figures.rss_peak_mb = mb(memory(pids).map(|m| m.peak_kb));
    figures.skipped = ledger.skipped.values().sum();
    eprintln!(
        "{name}: capacity at p99 under {} ms: {} deliveries/s",
        args.ramp_p99_ms,
        best.map_or("none".to_owned(), |step| format!(
            "{:.0} (p99 {}, {}/s sent)",
            step.delivered_per_s,
            show_ms(step.p99_ms),
            step.rate
        ))
    );
    figures.ramp = ramp.into_iter().map(|step| Step { delivered_per_s: round1(step.delivered_per_s), ..step }).collect();
    (figures, fleet)
}

/// Sends steady traffic at `rate` a second: `warm` in phase `warm_phase`, then `measured` in phase `phase`;
/// prints a line a second. What the measured part gave.
#[allow(clippy::too_many_arguments)]
async fn paced(
    fleet: &Fleet,
    tracker: &Tracker,
    picker: &mut Picker,
    ledger: &mut Ledger,
    rate: f64,
    (warm_phase, warm): (u8, Duration),
    (phase, measured): (u8, Duration),
    label: &str,
) -> Window {
    let start = Instant::now();
    let warm_end = start + warm;
    let end = warm_end + measured;
    let mut issued = 0u64;
    let mut at_window_start: Option<(u64, u64, u64)> = None;
    let (mut next_report, mut last_delivered, mut last_sent) = (start + Duration::from_secs(1), tracker.delivered_total(), 0u64);
    loop {
        let now = Instant::now();
        if now >= end {
            break;
        }
        let current = if now < warm_end { warm_phase } else { phase };
        if now >= warm_end && at_window_start.is_none() {
            at_window_start = Some((tracker.delivered_total(), issued, tracker.cross_total()));
        }
        let due = ((now - start).as_secs_f64() * rate) as u64;
        while issued < due {
            let send = picker.steady(ledger.next_seq(), current);
            ledger.dispatch(fleet, tracker.capacity(), send);
            issued += 1;
        }
        if now >= next_report {
            let delivered = tracker.delivered_total();
            eprintln!(
                "  {:>9}: sent {}/s, delivered {}/s, {} connections open",
                if now < warm_end { "warm-up" } else { label },
                issued - last_sent,
                delivered - last_delivered,
                fleet.alive()
            );
            (last_delivered, last_sent) = (delivered, issued);
            next_report += Duration::from_secs(1);
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let (delivered_at_start, issued_at_start, cross_at_start) =
        at_window_start.unwrap_or((tracker.delivered_total(), issued, tracker.cross_total()));
    Window {
        seconds: (Instant::now() - warm_end).as_secs_f64(),
        delivered: tracker.delivered_total() - delivered_at_start,
        sent: issued - issued_at_start,
        cross_delivered: tracker.cross_total() - cross_at_start,
    }
}

/// Waits until every send of `phases` was answered and delivered everywhere, or `seconds` passed.
async fn drain(tracker: &Tracker, ledger: &Ledger, phases: &[u8], seconds: f64) {
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let wanted: Vec<(u8, u64, u64)> = phases.iter().map(|&p| {
        let (sent, expected) = ledger.totals(p);
        (p, sent, expected)
    }).collect();
    while Instant::now() < deadline {
        let done = wanted.iter().all(|&(p, sent, expected)| {
            tracker.delivered(p) >= expected && tracker.acked(p) + tracker.refused(p) >= sent
        });
        if done {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The figures of one target (Confab or the peer); README.md explains each.
#[derive(Debug, Clone, Serialize)]
struct TargetFigures {
    connections: usize,
    delivered_per_s: Value,
    p50_ms: Option<f64>,
    p99_ms: Option<f64>,
    rss_mb: Value,
    p90_ms: Option<f64>,
    max_ms: Option<f64>,
    sent_per_s: Value,
    ack_p50_ms: Option<f64>,
    ack_p99_ms: Option<f64>,
    expected: u64,
    missing: u64,
    duplicated: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    cross_node: Option<CrossNode>,
    capacity_per_s: Option<Value>,
    capacity_p99_ms: Option<f64>,
    capacity_rate: Option<Value>,
    big_group_members: usize,
    big_group_messages: u64,
    big_group_p50_ms: Option<f64>,
    big_group_p99_ms: Option<f64>,
    big_group_max_ms: Option<f64>,
    big_group_missing: u64,
    idle_kb_per_connection: Value,
    rss_before_connections_mb: Value,
    rss_idle_mb: Value,
    rss_peak_mb: Value,
    connections_opened: usize,
    connect_seconds: Value,
    setup_seconds: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    backlog_seconds: Option<Value>,
    connect_failures: BTreeMap<String, u64>,
    dropped: BTreeMap<String, u64>,
    errors: BTreeMap<String, u64>,
    skipped: u64,
    ramp: Vec<Step>,
}

/// With several nodes: the figures of the deliveries to another node than the sender's (README.md).
#[derive(Debug, Clone, Serialize)]
struct CrossNode {
    delivered_per_s: Value,
    share: Value,
    expected: u64,
    missing: u64,
    duplicated: u64,
    p50_ms: Option<f64>,
    p90_ms: Option<f64>,
    p99_ms: Option<f64>,
    max_ms: Option<f64>,
    same_node_p50_ms: Option<f64>,
    same_node_p99_ms: Option<f64>,
    big_group_p99_ms: Option<f64>,
}

/// The memory of the processes `pids` together (`None` without any, or when one cannot be read).
fn memory(pids: &[u32]) -> Option<Memory> {
    if pids.is_empty() {
        return None;
    }
    pids.iter().try_fold(Memory { rss_kb: 0, peak_kb: 0 }, |sum, &pid| {
        let m = procfs::memory(pid)?;
        Some(Memory { rss_kb: sum.rss_kb + m.rss_kb, peak_kb: sum.peak_kb + m.peak_kb })
    })
}

/// A latency for the progress lines: `12.34 ms`, or `-`.
fn show_ms(v: Option<f64>) -> String {
    v.map_or("-".to_owned(), |v| format!("{v:.2} ms"))
}

/// `x` rounded to one decimal.
fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Megabytes, one decimal.
fn mb(kb: Option<u64>) -> Value {
    kb.map_or(Value::Null, |kb| number(kb as f64 / 1024.0, 1))
}

#[allow(clippy::too_many_arguments)]
fn figures(
    name: &str,
    fleet: &Fleet,
    tracker: &Tracker,
    ledger: &Ledger,
    window: &Window,
    layout: Layout,
    before: Option<Memory>,
    idle: Option<Memory>,
    end: Option<Memory>,
    connect_seconds: f64,
) -> TargetFigures {
    let (mut deliveries, mut acks) = tracker.samples(MEASURED);
    let latency = LatencySummary::of(&mut deliveries);
    let ack = LatencySummary::of(&mut acks);
    let (mut big_samples, _) = tracker.samples(BIG);
    let big = LatencySummary::of(&mut big_samples);
    let (_, expected) = ledger.totals(MEASURED);
    let (warm_missing, warm_duplicated) = ledger.shortfall(WARMUP, tracker);
    let (missing, duplicated) = ledger.shortfall(MEASURED, tracker);
    let (big_missing, _) = ledger.shortfall(BIG, tracker);
    let (big_sent, _) = ledger.totals(BIG);
    let mut errors = BTreeMap::new();
    for phase in [WARMUP, MEASURED, BIG] {
        for (code, count) in tracker.errors(phase) {
            *errors.entry(code).or_default() += count;
        }
    }
    let cross_node = (layout.nodes > 1).then(|| {
        let (mut cross, mut same) = tracker.cross_and_same_samples(MEASURED);
        let (cross, same) = (LatencySummary::of(&mut cross), LatencySummary::of(&mut same));
        let (mut big_cross, _) = tracker.cross_and_same_samples(BIG);
        let (warm_missing, warm_duplicated) = ledger.cross_shortfall(WARMUP, tracker);
        let (missing, duplicated) = ledger.cross_shortfall(MEASURED, tracker);
        CrossNode {
            delivered_per_s: number(window.cross_delivered as f64 / window.seconds, 1),
            share: number(window.cross_delivered as f64 / window.delivered.max(1) as f64, 3),
            expected: ledger.cross_expected(MEASURED),
            missing: missing + warm_missing,
            duplicated: duplicated + warm_duplicated,
            p50_ms: cross.p50_ms,
            p90_ms: cross.p90_ms,
            p99_ms: cross.p99_ms,
            max_ms: cross.max_ms,
            same_node_p50_ms: same.p50_ms,
            same_node_p99_ms: same.p99_ms,
            big_group_p99_ms: LatencySummary::of(&mut big_cross).p99_ms,
        }
    });
    let opened = fleet.opened();
    let idle_kb = match (before, idle) {
        (Some(b), Some(i)) if opened > 0 => number(i.rss_kb.saturating_sub(b.rss_kb) as f64 / opened as f64, 1),
        _ => Value::Null,
    };
    let figures = TargetFigures {
        connections: fleet.alive(),
        delivered_per_s: number(window.delivered as f64 / window.seconds, 1),
        p50_ms: latency.p50_ms,
        p99_ms: latency.p99_ms,
        rss_mb: mb(end.map(|m| m.rss_kb)),
        p90_ms: latency.p90_ms,
        max_ms: latency.max_ms,
        sent_per_s: number(window.sent as f64 / window.seconds, 1),
        ack_p50_ms: ack.p50_ms,
        ack_p99_ms: ack.p99_ms,
        expected,
        missing: missing + warm_missing,
        duplicated: duplicated + warm_duplicated,
        cross_node,
        big_group_members: layout.big_group,
        big_group_messages: big_sent,
        big_group_p50_ms: big.p50_ms,
        big_group_p99_ms: big.p99_ms,
        big_group_max_ms: big.max_ms,
        big_group_missing: big_missing,
        idle_kb_per_connection: idle_kb,
        rss_before_connections_mb: mb(before.map(|m| m.rss_kb)),
        rss_idle_mb: mb(idle.map(|m| m.rss_kb)),
        rss_peak_mb: mb(end.map(|m| m.peak_kb)),
        connections_opened: opened,
        connect_seconds: number(connect_seconds, 1),
        setup_seconds: Value::Null,
        backlog_seconds: None,
        connect_failures: fleet.failures.clone(),
        dropped: fleet.ended(),
        errors,
        skipped: ledger.skipped.values().sum(),
        capacity_per_s: None,
        capacity_p99_ms: None,
        capacity_rate: None,
        ramp: Vec::new(),
    };
    let ms = show_ms;
    let (echoes, foreign) = tracker.echoes_and_foreign();
    eprintln!();
    eprintln!("{name}:");
    eprintln!("  connections    {} held of {} opened ({} asked)", figures.connections, opened, layout.users);
    eprintln!(
        "  steady         sent {}/s, delivered {}/s; latency p50 {} p90 {} p99 {} max {} ({} samples); ack p99 {}",
        figures.sent_per_s,
        figures.delivered_per_s,
        ms(latency.p50_ms),
        ms(latency.p90_ms),
        ms(latency.p99_ms),
        ms(latency.max_ms),
        latency.count,
        ms(ack.p99_ms)
    );
    eprintln!(
        "  deliveries     {expected} expected in the window, {} missing, {} duplicated \
         ({echoes} echoes to senders, {foreign} other messages)",
        figures.missing, figures.duplicated
    );
    if let Some(cross) = &figures.cross_node {
        eprintln!(
            "  across nodes   {}/s ({} of the deliveries, {} nodes): p50 {} p90 {} p99 {} max {}; on the sender's node \
             p50 {} p99 {}; {} expected, {} missing, {} duplicated",
            cross.delivered_per_s,
            cross.share,
            layout.nodes,
            ms(cross.p50_ms),
            ms(cross.p90_ms),
            ms(cross.p99_ms),
            ms(cross.max_ms),
            ms(cross.same_node_p50_ms),
            ms(cross.same_node_p99_ms),
            cross.expected,
            cross.missing,
            cross.duplicated
        );
    }
    eprintln!(
        "  big group      {} members, {big_sent} messages: p50 {} p99 {} max {}, {big_missing} missing",
        layout.big_group,
        ms(big.p50_ms),
        ms(big.p99_ms),
        ms(big.max_ms)
    );
    eprintln!(
        "  memory         {} MB before connecting, {} MB idle, {} MB at the end (peak {} MB): {} KB per idle connection",
        figures.rss_before_connections_mb,
        figures.rss_idle_mb,
        figures.rss_mb,
        figures.rss_peak_mb,
        figures.idle_kb_per_connection
    );
    if !figures.errors.is_empty() || !figures.dropped.is_empty() || figures.skipped > 0 {
        eprintln!(
            "  problems       refused sends: {}; connections dropped: {}; sends skipped: {}",
            describe(&figures.errors),
            describe(&figures.dropped),
            figures.skipped
        );
    }
    figures
}

/// The settings a run used.
#[derive(Debug, Serialize)]
struct Settings {
    connections: usize,
    rate: Value,
    group_share: Value,
    groups: usize,
    group_size: usize,
    big_group: usize,
    big_group_messages: usize,
    warmup: Value,
    seconds: Value,
}

/// The issue's targets, each met or not (`null` when it could not be judged).
#[derive(Debug, Serialize)]
struct Targets {
    connections_10000: bool,
    delivered_20000_per_s_p99_under_50_ms: bool,
    big_group_1000_p99_under_100_ms: Option<bool>,
    idle_under_30_kb_per_connection: Option<bool>,
    more_delivered_than_peer_at_equal_or_better_p99: Option<bool>,
}

/// The figures of a run: Confab's at the top level, the peer's under `peer`.
#[derive(Debug, Serialize)]
struct Figures {
    scenario: &'static str,
    #[serde(flatten)]
    confab: TargetFigures,
    peer: Option<TargetFigures>,
    targets: Targets,
    settings: Settings,
}

fn targets(confab: &TargetFigures, peer: Option<&TargetFigures>) -> Targets {
    let as_f64 = |v: &Value| v.as_f64();
    let p99_under = |p99: Option<f64>, bound: f64| p99.is_some_and(|p| p < bound);
    let delivered = as_f64(&confab.delivered_per_s).unwrap_or(0.0);
    Targets {
        connections_10000: confab.connections >= TARGET_CONNECTIONS,
        delivered_20000_per_s_p99_under_50_ms: delivered >= TARGET_DELIVERED_PER_S && p99_under(confab.p99_ms, TARGET_P99_MS),
        big_group_1000_p99_under_100_ms: (confab.big_group_members >= 1000 && confab.big_group_messages > 0)
            .then(|| p99_under(confab.big_group_p99_ms, TARGET_BIG_GROUP_P99_MS) && confab.big_group_missing == 0),
        idle_under_30_kb_per_connection: as_f64(&confab.idle_kb_per_connection).map(|kb| kb < TARGET_IDLE_KB),
        more_delivered_than_peer_at_equal_or_better_p99: peer.map(|peer| {
            let capacity = |f: &TargetFigures| f.capacity_per_s.as_ref().and_then(Value::as_f64).unwrap_or(0.0);
            capacity(confab) > capacity(peer)
        }),
    }
}

fn outcome(args: &RealtimeArgs, window: &WindowArgs, confab: TargetFigures, peer: Option<TargetFigures>) -> Outcome {
    let failures = checks("Confab", args, &confab);
    let targets = targets(&confab, peer.as_ref());
    eprintln!();
    eprintln!("Targets: {}", serde_json::to_string(&targets).expect("targets serialise"));
    let figures = Figures {
        scenario: Scenario::Realtime.name(),
        confab,
        peer,
        targets,
        settings: Settings::of(args, window),
    };
    Outcome { figures: serde_json::to_string(&figures).expect("figures serialise"), failures }
}

impl Settings {
    fn of(args: &RealtimeArgs, window: &WindowArgs) -> Self {
        Settings {
            connections: args.connections,
            rate: number(args.rate, 3),
            group_share: number(args.group_share, 3),
            groups: args.groups,
            group_size: args.group_size,
            big_group: args.big_group,
            big_group_messages: args.big_group_messages,
            warmup: number(window.warmup, 3),
            seconds: number(window.seconds, 3),
        }
    }
}

/// The correctness checks of a Confab run (`name` says which in the messages): every connection opened and
/// held, every delivery made once, no send refused, something delivered.
fn checks(name: &str, args: &RealtimeArgs, confab: &TargetFigures) -> Vec<String> {
    let mut failures = Vec::new();
    if confab.connections_opened < args.connections {
        failures.push(format!(
            "{} of {} connections could not be opened: {}",
            args.connections - confab.connections_opened,
            args.connections,
            describe(&confab.connect_failures)
        ));
    }
    if !confab.dropped.is_empty() {
        failures.push(format!("{name} closed connections during the run: {}", describe(&confab.dropped)));
    }
    if confab.missing + confab.big_group_missing > 0 {
        failures.push(format!(
            "{name}: {} deliveries never arrived ({} of the big group's)",
            confab.missing + confab.big_group_missing,
            confab.big_group_missing
        ));
    }
    if confab.duplicated > 0 {
        failures.push(format!("{name}: {} deliveries arrived more than once", confab.duplicated));
    }
    if !confab.errors.is_empty() {
        failures.push(format!("{name} refused sends: {}", describe(&confab.errors)));
    }
    if confab.delivered_per_s.as_f64().unwrap_or(0.0) <= 0.0 {
        failures.push(format!("{name}: nothing was delivered in the measured window"));
    }
    failures
}

/// `none`, or `name: count` pairs.
fn describe(counts: &BTreeMap<String, u64>) -> String {
    if counts.is_empty() {
        return "none".to_owned();
    }
    counts.iter().map(|(name, count)| format!("{name}: {count}")).collect::<Vec<_>>().join(", ")
}
