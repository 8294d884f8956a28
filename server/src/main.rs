//! `confab-server`: a thin wrapper that parses the command line and runs the library.

use clap::Parser;
use confab_protocol::rest::app::UidSignInPolicy;
use confab_protocol::ids::is_valid_id;
use confab_protocol::limits::MAX_NAME_LEN;
use confab_server::cli::{AppCommand, Cli, Command, DataArgs, OwnerCommand, ServeArgs};
use confab_server::store::{SqliteStore, Store};
use confab_server::hooks::{CallbackPolicy, DispatchSettings};
use confab_server::cluster::ClusterLinks;
use confab_server::{apps, demo, AppState};
use std::time::Duration;
use std::error::Error;
use std::process::ExitCode;
use std::sync::Arc;

type CliResult = Result<(), Box<dyn Error>>;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CONFAB_LOG").unwrap_or_else(|_| "info".into()),
        )
        .init();
    let result = match Cli::parse().command {
        Command::Serve(args) => serve(args).await,
        Command::App { command: AppCommand::Create { name, uid_sign_in, data } } => create_app(&name, uid_sign_in, &data).await,
        Command::Owner { command: OwnerCommand::Create { email, data } } => create_owner(&email, &data).await,
        Command::Owner { command: OwnerCommand::ResetPassword { email, data } } => reset_owner_password(&email, &data).await,
        Command::Widget { command: confab_server::cli::WidgetCommand::Compress { widget_dir, region } } => {
            compress_widget(&widget_dir, &region)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("confab-server: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn open_store(data: &DataArgs) -> Result<Arc<dyn Store>, Box<dyn Error>> {
    if !is_valid_id(&data.region) {
        return Err(format!("--region {:?}: use 1-100 characters of a-z, A-Z, 0-9, _ and -", data.region).into());
    }
    // The directory holds secrets (the database, demo-app.json): only its owner may enter it, also when it
    // was made earlier with a wider mode.
    let private = {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&data.data_dir).and_then(|()| {
            std::fs::set_permissions(&data.data_dir, std::fs::Permissions::from_mode(0o700))
        })
    };
    private.map_err(|e| format!("--data-dir {}: {e}", data.data_dir.display()))?;
    match &data.database_url {
        Some(url) => open_postgres(url).await,
        None => Ok(Arc::new(SqliteStore::open(&data.data_dir.join("confab.db")).await?)),
    }
}

async fn open_postgres(url: &str) -> Result<Arc<dyn Store>, Box<dyn Error>> {
    let store = confab_server::store::PostgresStore::open(url).await.map_err(|e| format!("--database-url: {e}"))?;
    Ok(Arc::new(store))
}

async fn create_app(name: &str, uid_sign_in: UidSignInPolicy, data: &DataArgs) -> CliResult {
    let chars = name.trim().chars().count();
    if chars == 0 || chars > MAX_NAME_LEN {
        return Err(format!("--name: use 1-{MAX_NAME_LEN} characters").into());
    }
    let store = open_store(data).await?;
    let credentials = apps::create_app(store.as_ref(), name.trim(), &data.region, uid_sign_in).await?;
    if uid_sign_in == UidSignInPolicy::Open {
        eprintln!("{}", open_sign_in_warning(&credentials.app_id));
    }
    println!("{}", serde_json::to_string(&credentials)?);
    Ok(())
}

/// `owner create`: prints the one-time password on stdout (alone on its line), the rest on stderr.
async fn create_owner(email: &str, data: &DataArgs) -> CliResult {
    let store = open_store(data).await?;
    let password = confab_server::console::owners::create(store.as_ref(), email).await?;
    eprintln!("Created owner {}. Their one-time password, shown this once (the first sign-in at /console sets a new one):", email.trim());
    println!("{password}");
    Ok(())
}

/// `owner reset-password`: a new one-time password, printed as by `owner create`; the owner's console
/// sessions end.
async fn reset_owner_password(email: &str, data: &DataArgs) -> CliResult {
    let store = open_store(data).await?;
    let password = confab_server::console::owners::reset_password(store.as_ref(), email).await?;
    eprintln!("New one-time password for {} (their console sessions ended), shown this once:", email.trim());
    println!("{password}");
    Ok(())
}

async fn serve(args: ServeArgs) -> CliResult {
    let store = open_store(&args.data).await?;
    let (demo_app, created) = match args.demo {
        true => demo::ensure_demo_app(store.as_ref(), &args.data.data_dir, &args.data.region).await?,
        false => (None, None),
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("--listen {}: {e}", args.listen))?;
    let addr = listener.local_addr()?;
    let callbacks = CallbackPolicy::new(args.callback_allow.clone(), Some(addr));
    let mut dispatch = DispatchSettings::new(&args.data.region, Duration::from_millis(args.callback_retry_ms.max(1)));
    dispatch.max_attempts = args.callback_attempts;
    let base = match addr.ip().is_unspecified() {
        true => format!("http://127.0.0.1:{}", addr.port()),
        false => format!("http://{addr}"),
    };
    let mut settings = args.settings(callbacks, dispatch);
    settings.media.base_url = settings.public_url.clone().unwrap_or_else(|| base.clone());
    settings.media.url_key = Some(confab_server::media::urls::shared_key(store.as_ref()).await?);
    let cluster = match &args.redis_url {
        Some(url) => Some(ClusterLinks::connect(url, &args.cluster_name).await.map_err(|e| format!("--redis-url: {e}"))?),
        None => None,
    };
    let mut state = AppState::new(store.clone(), cluster, settings, demo_app.clone())?;
    if let Some(demo_app) = &demo_app {
        let (bot, agent_token) = demo::ensure_demo_bot(store.as_ref(), demo_app, &base).await?;
        state.demo_bot = Some(bot);
        state.demo = Some(Arc::new(demo::DemoApp { agent_token, ..demo_app.clone() }));
    }
    if state.widget.frame().is_none() {
        tracing::warn!(dir = %args.widget_dir.display(), "widget not built: /widget/frame answers 503");
    }
    if let Some(credentials) = created {
        println!("Created the demo app. Its credentials, shown this once:");
        println!("{}", serde_json::to_string_pretty(&credentials)?);
    }
    for app_id in store.apps_with_open_uid_sign_in().await? {
        tracing::warn!("{}", open_sign_in_warning(&app_id));
    }
    if demo_app.is_some() {
        println!("Demo page: {base}/demo (and the support agent's page: {base}/demo/agent)");
    }
    println!("Confab is listening on {base}");
    confab_server::serve(listener, state, shutdown_signal()).await?;
    Ok(())
}

/// The warning an app with open uid sign-in gets, at creation and at every start.
fn open_sign_in_warning(app_id: &str) -> String {
    format!(
        "WARNING: app {app_id} signs in ANY uid without userHash (uid sign-in \"open\"): anyone with the page's \
         auth key can sign in as any user made by uid sign-in. Use it for development only; \
         PUT /v3/app {{\"uidSignIn\": \"verified\"}} turns it off."
    )
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler installs");
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// `widget compress`: writes the precompressed siblings that are missing or stale, and says what it did.
fn compress_widget(widget_dir: &std::path::Path, region: &str) -> CliResult {
    if !is_valid_id(region) {
        return Err(format!("--region {region:?}: use 1-100 characters of a-z, A-Z, 0-9, _ and -").into());
    }
    let started = std::time::Instant::now();
    let report = confab_server::compress::widget_dir(widget_dir, region).map_err(|e| format!("widget compress: {e}"))?;
    for (path, size, took) in &report.written {
        println!("wrote {} ({size} bytes, {:.2} s)", path.display(), took.as_secs_f64());
    }
    println!(
        "widget compress: {} written, {} up to date, in {:.2} s",
        report.written.len(),
        report.up_to_date,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
