//! What every request handler shares: storage, the served files, and the server's settings.

use std::sync::Arc;

use crate::assets::Asset;
use crate::credentials::CredentialCache;
use crate::hooks::{dispatcher, CallbackPolicy};
use crate::settings::Settings;
use crate::rate_limit::RateLimiter;
use crate::cluster::ClusterLinks;
use crate::realtime::Realtime;
use crate::tasks::BackgroundTasks;
use crate::demo::DemoApp;
use crate::loader::{self, Script};
use crate::store::Store;
use crate::widget::WidgetAssets;

/// Cheap-to-clone handle to the server's shared state.
#[derive(Clone)]
pub struct AppState {
    /// Where everything is kept.
    pub store: Arc<dyn Store>,
    /// The region this server runs; configs naming another are refused.
    pub region: Arc<str>,
    /// The rendered loader.
    pub loader: Arc<Asset>,
    /// The rendered host module (loaded by the loader on intent).
    pub host_script: Arc<Asset>,
    /// The built widget.
    pub widget: Arc<WidgetAssets>,
    /// The demo app the `/demo` page signs in to, when this data directory has one.
    pub demo: Option<Arc<DemoApp>>,
    /// Apps and API keys seen so far.
    pub credentials: Arc<CredentialCache>,
    /// Requests a minute per key or token.
    pub limiter: Arc<RateLimiter>,
    /// The per-client limits: auth-only key calls, guests, unauthenticated sockets.
    pub limits: Arc<crate::rate_limit::Limits>,
    /// The WebSocket gateway's hub and broker.
    pub realtime: Realtime,
    /// Which bot and webhook URLs may be called.
    pub callbacks: Arc<CallbackPolicy>,
    /// The demo's FAQ bot, served at `/demo/faq-bot`, when the demo app is set up.
    pub demo_bot: Option<confab_faq_bot::FaqBot>,
    /// What `serve` was told.
    pub settings: Arc<Settings>,
    /// The tasks started with the state, stopped when the server stops.
    pub tasks: Arc<BackgroundTasks>,
    /// The feature switches of sessions' variants, cached briefly.
    pub variant_features: Arc<crate::variant_features::FeatureCache>,
    /// Signed URLs of uploads.
    pub media_urls: Arc<crate::media::urls::MediaUrls>,
}

impl AppState {
    /// State for a server run with `settings` on `store`, serving `demo` when given; `cluster` links it
    /// to the other nodes (none: this node is alone). Starts the realtime gateway's tasks and the delivery
    /// dispatcher, so it must run inside the Tokio runtime.
    pub fn new(
        store: Arc<dyn Store>,
        cluster: Option<ClusterLinks>,
        settings: Settings,
        demo: Option<DemoApp>,
    ) -> std::io::Result<Self> {
        let tasks = Arc::new(BackgroundTasks::default());
        let (broker, (presence, counts)) = match cluster {
            Some(links) => (Some(links.broker), (links.presence, links.counts)),
            None => (None, ClusterLinks::alone()),
        };
        let media_urls = Arc::new(media_urls(&settings.media));
        let realtime = Realtime::start(store.clone(), broker, presence, media_urls.clone(), &tasks);
        let callbacks = Arc::new(settings.callbacks.clone());
        let mut dispatch = settings.dispatch.clone();
        let (region, widget_dir, rate_limit) = (settings.region.as_str(), settings.widget_dir.as_path(), settings.rate_limit);
        let widget = Arc::new(WidgetAssets::load(widget_dir)?);
        dispatch.media_urls = media_urls.clone();
        tasks.spawn("dispatcher", dispatcher::run(store.clone(), callbacks.clone(), dispatch));
        tasks.spawn("delivery purge", dispatcher::purge(store.clone()));
        tasks.spawn("token expiry", crate::expiry::run(store.clone(), realtime.clone()));
        tasks.spawn("unused uploads", crate::media::sweep::run(store.clone()));
        Ok(Self {
            demo_bot: None,
            callbacks,
            realtime,
            store,
            region: region.into(),
            loader: Arc::new(loader::asset(Script::Loader, region, widget_dir)),
            host_script: Arc::new(loader::asset(Script::Host, region, widget_dir)),
            widget,
            demo: demo.map(Arc::new),
            credentials: Arc::new(CredentialCache::default()),
            limiter: Arc::new(RateLimiter::with_counts(rate_limit, counts.clone())),
            limits: Arc::new(crate::rate_limit::Limits::with_counts(&settings, counts)),
            settings: Arc::new(settings),
            tasks,
            variant_features: Arc::default(),
            media_urls,
        })
    }
}

/// The URL signer `settings` give: their shared key, or one made for this process (a server alone).
fn media_urls(settings: &crate::settings::MediaSettings) -> crate::media::urls::MediaUrls {
    let key = settings.url_key.clone().unwrap_or_else(|| {
        let mut key = vec![0u8; 32];
        getrandom::fill(&mut key).expect("the operating system's random source is available");
        key
    });
    crate::media::urls::MediaUrls::new(key, settings.url_ttl_secs, &settings.base_url)
}
