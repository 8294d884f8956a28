//! Scenario `cluster`: the `realtime` traffic through several Confab nodes on one PostgreSQL database with
//! Redis between them, then the same traffic on one node on SQLite, in the same run.
//!
//! The bench starts a private PostgreSQL and Redis (`scripts/services.sh`, on free ports), creates a fresh
//! database and an app in it, and starts `--nodes` nodes on it. User `n`'s connection goes to node
//! `n mod nodes`: the two users of a 1:1 pair are always on different nodes, and a group's members are spread
//! over all of them, so most deliveries cross from the sender's node to another through PostgreSQL (each
//! node's tailer reads what any node committed). The deliveries that cross are counted apart.

use super::{checks, check_open_files, describe, drive_confab, layout_of, show_ms, Settings, TargetFigures};
use crate::cli::{BackendArgs, RealtimeArgs, Scenario, WindowArgs};
use crate::outcome::Outcome;
use crate::server::{self, Server};
use crate::services::Services;
use serde::Serialize;
use std::path::Path;

/// The targets: nothing missing or repeated, and deliveries across nodes under 50 ms at the 99th percentile
/// at 10,000 of them a second. Reported, not checked (but for missing and duplicated deliveries, which fail
/// the run as in `realtime`).
const TARGET_CROSS_DELIVERED_PER_S: f64 = 10_000.0;
const TARGET_CROSS_P99_MS: f64 = 50.0;

/// Runs the scenario: the cluster first, then (unless `--no-sqlite`) one node on SQLite.
pub async fn run(
    args: &RealtimeArgs,
    window: &WindowArgs,
    backend: &BackendArgs,
    server_bin: &Path,
) -> Result<Outcome, String> {
    check_open_files(args)?;
    let cluster = run_cluster(args, window, backend, server_bin).await?;
    let sqlite = match args.no_sqlite {
        true => None,
        false => {
            let (dir, credentials, server) = server::start_fresh(server_bin).await?;
            let figures = drive_confab("SQLite", args, window, layout_of(args, 1), &credentials, vec![server]).await?;
            dir.close().map_err(|e| format!("cannot remove the temporary data directory: {e}"))?;
            Some(figures)
        }
    };
    Ok(outcome(args, window, cluster, sqlite))
}

/// The nodes on PostgreSQL and Redis (private servers unless `--database-url` and `--redis-url` name some),
/// driven through the phases; the servers are stopped at the end.
async fn run_cluster(
    args: &RealtimeArgs,
    window: &WindowArgs,
    backend: &BackendArgs,
    server_bin: &Path,
) -> Result<TargetFigures, String> {
    let services = match (&backend.database_url, &backend.redis_url) {
        (Some(_), Some(_)) => None,
        _ => Some(Services::start().await?),
    };
    let database_url = match (&backend.database_url, &services) {
        (Some(url), _) => url.clone(),
        (None, Some(services)) => services.fresh_database().await?,
        (None, None) => unreachable!("services start when no --database-url is given"),
    };
    let redis_url = match (&backend.redis_url, &services) {
        (Some(url), _) => url.clone(),
        (None, Some(services)) => services.redis_url.clone(),
        (None, None) => unreachable!("services start when no --redis-url is given"),
    };
    // A name of its own, so that nodes of another cluster on the same Redis server are not in this one.
    let started = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let cluster_name = format!("bench-{}-{started}", std::process::id());

    let dirs = (0..args.nodes).map(|_| server::data_dir()).collect::<Result<Vec<_>, _>>()?;
    let credentials = server::create_app(server_bin, dirs[0].path(), "Bench", Some(&database_url)).await?;
    let mut servers = Vec::with_capacity(args.nodes);
    // One at a time: the first start migrates the database.
    for (i, dir) in dirs.iter().enumerate() {
        let mut extra = server::store_args(Some(&database_url));
        extra.extend(["--redis-url".to_owned(), redis_url.clone(), "--cluster-name".to_owned(), cluster_name.clone()]);
        let node = Server::start_named(server_bin, dir.path(), &extra, &format!("confab-server node {i}")).await?;
        eprintln!("Cluster: node {i} is up at {}", node.base);
        servers.push(node);
    }
    eprintln!("Cluster: {} nodes on {database_url}, Redis {redis_url} (cluster {cluster_name})", args.nodes);
    let figures = drive_confab("Cluster", args, window, layout_of(args, args.nodes), &credentials, servers).await?;
    for dir in dirs {
        dir.close().map_err(|e| format!("cannot remove a node's temporary data directory: {e}"))?;
    }
    if let Some(services) = services {
        services.stop().await?;
    }
    Ok(figures)
}

/// The targets, each met or not.
#[derive(Debug, Serialize)]
struct Targets {
    missing_0: bool,
    duplicated_0: bool,
    cross_node_10000_per_s_p99_under_50_ms: bool,
}

/// The settings of a run: those of `realtime`, and the nodes.
#[derive(Debug, Serialize)]
struct ClusterSettings {
    nodes: usize,
    #[serde(flatten)]
    realtime: Settings,
}

/// The figures: the cluster's at the top level, the SQLite node's under `sqlite`.
#[derive(Debug, Serialize)]
struct Figures {
    scenario: &'static str,
    nodes: usize,
    #[serde(flatten)]
    cluster: TargetFigures,
    sqlite: Option<TargetFigures>,
    targets: Targets,
    settings: ClusterSettings,
}

fn targets(cluster: &TargetFigures) -> Targets {
    let cross = cluster.cross_node.as_ref();
    let cross_missing = cross.map_or(0, |c| c.missing);
    let cross_duplicated = cross.map_or(0, |c| c.duplicated);
    let cross_rate = cross.and_then(|c| c.delivered_per_s.as_f64()).unwrap_or(0.0);
    let cross_p99 = cross.and_then(|c| c.p99_ms);
    Targets {
        missing_0: cluster.missing + cluster.big_group_missing + cross_missing == 0,
        duplicated_0: cluster.duplicated + cross_duplicated == 0,
        cross_node_10000_per_s_p99_under_50_ms: cross_rate >= TARGET_CROSS_DELIVERED_PER_S
            && cross_p99.is_some_and(|p| p < TARGET_CROSS_P99_MS),
    }
}

fn outcome(args: &RealtimeArgs, window: &WindowArgs, cluster: TargetFigures, sqlite: Option<TargetFigures>) -> Outcome {
    let mut failures = checks("Cluster", args, &cluster);
    if let Some(sqlite) = &sqlite {
        failures.extend(checks("SQLite", args, sqlite));
    }
    summary(&cluster, sqlite.as_ref());
    let targets = targets(&cluster);
    eprintln!("Targets: {}", serde_json::to_string(&targets).expect("targets serialise"));
    let figures = Figures {
        scenario: Scenario::Cluster.name(),
        nodes: args.nodes,
        cluster,
        sqlite,
        targets,
        settings: ClusterSettings { nodes: args.nodes, realtime: Settings::of(args, window) },
    };
    Outcome { figures: serde_json::to_string(&figures).expect("figures serialise"), failures }
}

/// The two runs side by side on stderr.
fn summary(cluster: &TargetFigures, sqlite: Option<&TargetFigures>) {
    let value = |v: &serde_json::Value| v.to_string();
    let pair = |a: Option<f64>, b: Option<f64>| format!("{} / {}", ms(a), ms(b));
    let capacity = |f: &TargetFigures| {
        format!("{} ({})", f.capacity_per_s.as_ref().map_or("-".to_owned(), value), ms(f.capacity_p99_ms))
    };
    let row = |label: &str, of: &dyn Fn(&TargetFigures) -> String| {
        let s = sqlite.map_or_else(|| "-".to_owned(), of);
        eprintln!("  {label:<28} {:>14} {s:>14}", of(cluster));
    };
    let cross = |of: &dyn Fn(&super::CrossNode) -> String| cluster.cross_node.as_ref().map_or("-".to_owned(), of);
    eprintln!();
    eprintln!("  {:<28} {:>14} {:>14}", "", "cluster", "sqlite");
    row("delivered/s", &|f| value(&f.delivered_per_s));
    row("p50 / p99", &|f| pair(f.p50_ms, f.p99_ms));
    eprintln!("  {:<28} {:>14} {:>14}", "across nodes: delivered/s", cross(&|c| value(&c.delivered_per_s)), "-");
    eprintln!("  {:<28} {:>14} {:>14}", "across nodes: p50 / p99", cross(&|c| pair(c.p50_ms, c.p99_ms)), "-");
    row("missing / duplicated", &|f| format!("{} / {}", f.missing, f.duplicated));
    row("big group p99", &|f| ms(f.big_group_p99_ms));
    row("capacity/s (p99)", &capacity);
    if !cluster.dropped.is_empty() || !cluster.errors.is_empty() {
        eprintln!("  cluster problems: dropped {}; refused {}", describe(&cluster.dropped), describe(&cluster.errors));
    }
}

/// A latency in milliseconds, short: `12.3`, or `-`.
fn ms(v: Option<f64>) -> String {
    match v {
        Some(v) => format!("{v:.1}"),
        None => show_ms(None),
    }
}
