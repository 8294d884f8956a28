//! Scenario `rest-send`: concurrent senders post 1:1 text messages through `POST /v3/messages`, each send
//! with a fresh `muid`; every so often a sender repeats a `muid` and checks it gets the same message back.
//! After the measured window the server is killed with SIGKILL, started again on the same data, and every
//! acknowledged message is looked up.
//!
//! The server keeps its data in SQLite, or with `--postgres` (a private server the bench starts) or
//! `--database-url` in PostgreSQL; the SIGKILL then kills the node, not the database.

use crate::api::{Api, Failure};
use crate::cli::{BackendArgs, RestSendArgs, Scenario};
use crate::durability::{self, Conversation, Durability};
use crate::outcome::{number, Outcome};
use crate::server::{self, Server};
use crate::services::Services;
use crate::stats::LatencySummary;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// The PostgreSQL target: at least this many sends acknowledged a second.
const TARGET_POSTGRES_ACKED_PER_S: f64 = 5000.0;

/// Runs the scenario against `server_bin` in a fresh temporary data directory, removed afterwards (and, on
/// PostgreSQL, in a new app of the database).
pub async fn run(args: &RestSendArgs, backend: &BackendArgs, server_bin: &Path) -> Result<Outcome, String> {
    let services = match backend.postgres {
        true => Some(Services::start().await?),
        false => None,
    };
    let database_url = match (&services, &backend.database_url) {
        (Some(services), _) => Some(services.fresh_database().await?),
        (None, Some(url)) => Some(url.clone()),
        (None, None) => None,
    };
    let database_url = database_url.as_deref();
    let (dir, credentials, server) = server::start_fresh_on(server_bin, database_url).await?;
    let timeout = Duration::from_secs_f64(args.request_timeout);
    let api = Api::new(&server.base, credentials, args.senders, timeout)?;

    eprintln!("Creating {} users ...", args.users);
    for n in 0..args.users {
        api.create_user(&uid(n), &format!("User {n}"))
            .await
            .map_err(|err| format!("creating user {} failed: {err}", uid(n)))?;
    }

    let reports = send(&api, args).await?;
    eprintln!("Killing the server (SIGKILL) and starting it again on the same data ...");
    server.kill().await?;
    let server = Server::start_with(server_bin, dir.path(), &server::store_args(database_url)).await?;
    let conversations = conversations(args, &reports);
    let durability = durability::check(&api.with_base(&server.base), &conversations).await?;
    server.kill().await?;
    dir.close().map_err(|e| format!("cannot remove the temporary data directory: {e}"))?;
    if let Some(services) = services {
        services.stop().await?;
    }
    Ok(outcome(args, database_url.is_some(), &reports, durability))
}

/// The uid of user `n`.
fn uid(n: usize) -> String {
    format!("u{n}")
}

/// The two users of conversation `pair`: user `2 * pair` sends to user `2 * pair + 1`.
fn pair_users(pair: usize) -> (String, String) {
    (uid(2 * pair), uid(2 * pair + 1))
}

/// When the phases end, on the monotonic clock.
#[derive(Debug, Clone, Copy)]
struct Schedule {
    /// Sends started before this are warm-up and not measured.
    warm_end: Instant,
    /// No send starts at or after this.
    end: Instant,
}

/// Counts the senders share, for the progress lines.
#[derive(Debug, Default)]
struct Progress {
    acked: AtomicU64,
    errors: AtomicU64,
}

/// What one sender saw.
#[derive(Debug, Default)]
struct SenderReport {
    /// Its conversation.
    pair: usize,
    /// Every id answered with 200, warm-up included (the durability check looks for all of them).
    acked: Vec<String>,
    /// Sends started in the measured window and answered with 200.
    acked_measured: u64,
    /// Latencies of sends started in the measured window that got an answer, whatever its status.
    latencies: Vec<Duration>,
    /// Failed requests started in the measured window, by name.
    errors: BTreeMap<String, u64>,
    /// Failed requests during warm-up, by name.
    warmup_errors: BTreeMap<String, u64>,
    /// Repeated `muid`s answered with 200.
    muid_checks: u64,
    /// Repeated `muid`s answered with another message's id: (muid, first id, second id).
    mismatches: Vec<(String, String, String)>,
}

impl SenderReport {
    /// Counts a failed request in its phase.
    fn fail(&mut self, measured: bool, failure: Failure, progress: &Progress) {
        let errors = if measured { &mut self.errors } else { &mut self.warmup_errors };
        *errors.entry(failure.0).or_default() += 1;
        progress.errors.fetch_add(1, Relaxed);
    }
}

/// Runs the warm-up and the measured window with `args.senders` concurrent senders.
async fn send(api: &Api, args: &RestSendArgs) -> Result<Vec<SenderReport>, String> {
    let start = Instant::now();
    let warm_end = start + Duration::from_secs_f64(args.warmup);
    let schedule = Schedule { warm_end, end: warm_end + Duration::from_secs_f64(args.seconds) };
    let progress = Arc::new(Progress::default());
    eprintln!(
        "Sending: {} senders in {} conversations, {}s warm-up then {}s measured ...",
        args.senders,
        args.pairs(),
        args.warmup,
        args.seconds
    );
    let mut senders = JoinSet::new();
    for task in 0..args.senders {
        let (api, progress) = (api.clone(), progress.clone());
        let pair = task % args.pairs();
        senders.spawn(sender(api, task, pair, schedule, args.muid_check_every, progress));
    }
    let reporter = tokio::spawn(report_progress(schedule, progress.clone()));
    let mut reports = Vec::with_capacity(args.senders);
    while let Some(joined) = senders.join_next().await {
        match joined {
            Ok(report) => reports.push(report),
            Err(err) => return Err(format!("a sender stopped early, its acknowledgements lost: {err}")),
        }
    }
    reporter.abort();
    Ok(reports)
}

/// One sender: sends as the first user of `pair` to the second until the schedule ends.
async fn sender(
    api: Api,
    task: usize,
    pair: usize,
    schedule: Schedule,
    muid_check_every: u64,
    progress: Arc<Progress>,
) -> SenderReport {
    let (me, other) = pair_users(pair);
    let mut report = SenderReport { pair, ..SenderReport::default() };
    for seq in 1u64.. {
        let started = Instant::now();
        if started >= schedule.end {
            break;
        }
        let measured = started >= schedule.warm_end;
        let muid = format!("bench-{task}-{seq}");
        let result = api.send_text(&me, &other, &format!("hello {seq}"), &muid).await;
        let latency = started.elapsed();
        let id = match result {
            Ok(id) => id,
            Err(failure) => {
                if measured && !failure.is_transport() {
                    report.latencies.push(latency);
                }
                report.fail(measured, failure, &progress);
                continue;
            }
        };
        if measured {
            report.latencies.push(latency);
            report.acked_measured += 1;
        }
        progress.acked.fetch_add(1, Relaxed);
        report.acked.push(id.clone());
        if muid_check_every > 0 && seq.is_multiple_of(muid_check_every) {
            // Not counted in throughput or latency: a client retrying a send it already got an answer to.
            match api.send_text(&me, &other, &format!("hello {seq}"), &muid).await {
                Ok(again) if again == id => report.muid_checks += 1,
                Ok(again) => {
                    report.muid_checks += 1;
                    report.mismatches.push((muid, id, again));
                }
                Err(failure) => report.fail(measured, Failure(format!("muid retry: {failure}")), &progress),
            }
        }
    }
    report
}

/// Prints a progress line on stderr every second until aborted.
async fn report_progress(schedule: Schedule, progress: Arc<Progress>) {
    let mut tick = tokio::time::interval_at(Instant::now() + Duration::from_secs(1), Duration::from_secs(1));
    let (mut last_acked, mut last_at) = (0, Instant::now());
    loop {
        let now = tick.tick().await;
        let acked = progress.acked.load(Relaxed);
        let rate = (acked - last_acked) as f64 / now.duration_since(last_at).as_secs_f64();
        // The phase the last second started in.
        let phase = match last_at {
            at if at < schedule.warm_end => "warm-up",
            at if at < schedule.end => "measuring",
            _ => "finishing",
        };
        (last_acked, last_at) = (acked, now);
        eprintln!("  {phase:>9}: {acked} acknowledged ({rate:.0}/s), {} errors", progress.errors.load(Relaxed));
    }
}

/// The conversations with the ids acknowledged in each.
fn conversations(args: &RestSendArgs, reports: &[SenderReport]) -> Vec<Conversation> {
    let mut conversations: Vec<Conversation> = (0..args.pairs())
        .map(|pair| {
            let (me, other) = pair_users(pair);
            Conversation { me, other, acknowledged: Vec::new() }
        })
        .collect();
    for report in reports {
        conversations[report.pair].acknowledged.extend(report.acked.iter().cloned());
    }
    conversations
}

/// The figures and the failed checks.
fn outcome(args: &RestSendArgs, postgres: bool, reports: &[SenderReport], durability: Durability) -> Outcome {
    let mut latencies = Vec::new();
    let (mut errors, mut warmup_errors) = (BTreeMap::<String, u64>::new(), BTreeMap::<String, u64>::new());
    let (mut acknowledged, mut muid_checks) = (0, 0);
    let mut mismatches = Vec::new();
    // Every fresh muid should get its own message; an id acknowledged for two of them is reused.
    let mut ids: HashMap<&str, u64> = HashMap::new();
    for report in reports {
        latencies.extend_from_slice(&report.latencies);
        for (name, count) in &report.errors {
            *errors.entry(name.clone()).or_default() += count;
        }
        for (name, count) in &report.warmup_errors {
            *warmup_errors.entry(name.clone()).or_default() += count;
        }
        acknowledged += report.acked_measured;
        muid_checks += report.muid_checks;
        mismatches.extend(report.mismatches.iter().cloned());
        for id in &report.acked {
            *ids.entry(id).or_default() += 1;
        }
    }
    let ids_reused = ids.values().filter(|&&count| count > 1).count() as u64;
    let latency = LatencySummary::of(&mut latencies);
    let acked_per_s = acknowledged as f64 / args.seconds;

    eprintln!();
    let store = if postgres { "postgres" } else { "sqlite" };
    let (senders, seconds, warmup) = (args.senders, args.seconds, args.warmup);
    eprintln!("rest-send on {store}: {senders} senders, {seconds}s measured after {warmup}s warm-up");
    eprintln!("  acknowledged   {acknowledged} ({acked_per_s:.1}/s)");
    let ms = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.2} ms"));
    eprintln!(
        "  latency        p50 {}  p90 {}  p99 {}  max {}  ({} samples)",
        ms(latency.p50_ms),
        ms(latency.p90_ms),
        ms(latency.p99_ms),
        ms(latency.max_ms),
        latency.count
    );
    eprintln!("  errors         {}", describe(&errors));
    if !warmup_errors.is_empty() {
        eprintln!("  warm-up errors {}", describe(&warmup_errors));
    }
    eprintln!("  muid retries   {muid_checks} checked, {} answered with another message", mismatches.len());
    eprintln!(
        "  after SIGKILL  {} checked, {} missing, {} duplicated, {} out of order, {} stored without an acknowledgement",
        durability.checked,
        durability.missing,
        durability.duplicated,
        durability.out_of_order,
        durability.unacknowledged
    );

    let mut failures = Vec::new();
    if acknowledged == 0 {
        failures.push("no send was acknowledged in the measured window".to_owned());
    }
    for (muid, first, again) in mismatches.iter().take(5) {
        eprintln!("  muid {muid}: first answered with message {first}, the retry with {again}");
    }
    if !mismatches.is_empty() {
        failures.push(format!("{} repeated muids were answered with a different message", mismatches.len()));
    }
    if ids_reused > 0 {
        failures.push(format!("{ids_reused} message ids were acknowledged for more than one muid"));
    }
    if durability.missing > 0 {
        failures.push(format!("{} acknowledged messages were missing after the SIGKILL", durability.missing));
    }
    if durability.duplicated > 0 {
        failures.push(format!("{} acknowledged messages were stored more than once", durability.duplicated));
    }
    if durability.out_of_order > 0 {
        failures.push(format!(
            "conversations listed ids out of order {} times (each should be strictly increasing)",
            durability.out_of_order
        ));
    }

    let targets = postgres.then(|| {
        let met = acked_per_s >= TARGET_POSTGRES_ACKED_PER_S;
        eprintln!("Targets: at least {TARGET_POSTGRES_ACKED_PER_S} acknowledged a second on PostgreSQL: {met}");
        Targets { postgres_acked_5000_per_s: met }
    });
    let figures = Figures {
        scenario: Scenario::RestSend.name(),
        store,
        users: args.users,
        senders: args.senders,
        warmup: number(args.warmup, 3),
        seconds: number(args.seconds, 3),
        acknowledged,
        acked_per_s: number(acked_per_s, 1),
        p50_ms: latency.p50_ms,
        p90_ms: latency.p90_ms,
        p99_ms: latency.p99_ms,
        max_ms: latency.max_ms,
        errors,
        warmup_errors,
        muid_checks,
        duplicate_muid_mismatches: mismatches.len(),
        ids_reused,
        after_sigkill: AfterSigkill {
            checked: durability.checked,
            missing: durability.missing,
            duplicated: durability.duplicated,
            out_of_order: durability.out_of_order,
            unacknowledged: durability.unacknowledged,
        },
        targets,
    };
    let figures = serde_json::to_string(&figures).expect("figures serialise");
    Outcome { figures, failures }
}

/// The figures of a run, in the order they are printed (README.md explains each).
#[derive(Debug, Serialize)]
struct Figures {
    scenario: &'static str,
    store: &'static str,
    users: usize,
    senders: usize,
    warmup: Value,
    seconds: Value,
    acknowledged: u64,
    acked_per_s: Value,
    p50_ms: Option<f64>,
    p90_ms: Option<f64>,
    p99_ms: Option<f64>,
    max_ms: Option<f64>,
    errors: BTreeMap<String, u64>,
    warmup_errors: BTreeMap<String, u64>,
    muid_checks: u64,
    duplicate_muid_mismatches: usize,
    ids_reused: u64,
    after_sigkill: AfterSigkill,
    #[serde(skip_serializing_if = "Option::is_none")]
    targets: Option<Targets>,
}

/// The target of the run on PostgreSQL (reported, not checked).
#[derive(Debug, Serialize)]
struct Targets {
    postgres_acked_5000_per_s: bool,
}

/// The durability figures.
#[derive(Debug, Serialize)]
struct AfterSigkill {
    checked: u64,
    missing: u64,
    duplicated: u64,
    out_of_order: u64,
    unacknowledged: u64,
}

/// `none`, or `name: count` pairs.
fn describe(errors: &BTreeMap<String, u64>) -> String {
    if errors.is_empty() {
        return "none".to_owned();
    }
    errors.iter().map(|(name, count)| format!("{name}: {count}")).collect::<Vec<_>>().join(", ")
}
