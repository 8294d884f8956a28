//! The chat panel: a header with the title and (docked) a close button, and the body.

use confab_protocol::widget_config::WidgetConfig;
use leptos::prelude::*;

/// The panel for a running widget. `on_close` asks the loader to close a docked panel.
#[component]
pub fn Panel(config: WidgetConfig, on_close: Callback<()>) -> impl IntoView {
    let target = match (&config.chat_type, &config.default_chat_id) {
        (Some(kind), Some(id)) => format!("{kind} {id}"),
        _ if config.auto_open_first_item => "the first conversation".to_owned(),
        _ => "the conversation list".to_owned(),
    };
    let layout = if config.is_docked { "docked" } else { "embedded" };
    view! {
        <section class="panel" class:docked=config.is_docked aria-label="Chat">
            <header class="panel-header">
                <h1 class="panel-title">"Chat"</h1>
                {config.is_docked.then(|| view! {
                    <button class="panel-close" type="button" aria-label="Close chat"
                        on:click=move |_| on_close.run(())>
                        <span aria-hidden="true">"×"</span>
                    </button>
                })}
            </header>
            <div class="panel-body" role="log" aria-live="polite">
                <dl class="session">
                    <dt>"Sign-in mode"</dt><dd data-testid="mode">{config.mode.clone()}</dd>
                    <dt>"Opens"</dt><dd data-testid="target">{target}</dd>
                    <dt>"Layout"</dt><dd data-testid="layout">{layout}</dd>
                    <dt>"App"</dt><dd data-testid="app">{config.app_id.clone()}</dd>
                </dl>
            </div>
        </section>
    }
}
