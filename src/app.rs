//! The root component: waits for the loader's config, checks it, and shows the panel or the problem.

use confab_protocol::bridge::FrameMessage;
use confab_protocol::widget_config::{ConfigErrorCode, ConfigProblem, WidgetConfig};
use leptos::ev;
use leptos::prelude::*;

use crate::bridge::{console_error, HostBridge};
use crate::components::panel::Panel;

/// Where the frame is in its start-up.
#[derive(Debug, Clone, PartialEq)]
enum Phase {
    /// Waiting for the loader's config.
    Waiting,
    /// Running with a good config.
    Ready(WidgetConfig),
    /// Cannot go on.
    Failed(ConfigProblem),
}

/// The chat frame's root.
#[component]
pub fn App() -> impl IntoView {
    let bridge = HostBridge::detect();
    let (phase, set_phase) = signal(match bridge {
        Some(_) => Phase::Waiting,
        None => Phase::Failed(ConfigProblem {
            code: ConfigErrorCode::FrameLoadFailed,
            field: None,
            message: "the chat frame must be embedded by the Confab loader".into(),
        }),
    });

    if let Some(bridge) = bridge.clone() {
        let listener_bridge = bridge.clone();
        let handle = window_event_listener(ev::message, move |event| {
            let Some(FrameMessage::Config { config }) = listener_bridge.receive(&event) else { return };
            match config.problems(None).into_iter().next() {
                None => set_phase.set(Phase::Ready(config)),
                Some(problem) => {
                    console_error(&format!("Confab: {}", problem.message));
                    listener_bridge.send(&FrameMessage::Error { problem: problem.clone() });
                    set_phase.set(Phase::Failed(problem));
                }
            }
        });
        on_cleanup(move || handle.remove());
        bridge.send(&FrameMessage::Ready);
    }

    let close = Callback::new(move |()| {
        if let Some(bridge) = &bridge {
            bridge.send(&FrameMessage::Close);
        }
    });

    move || match phase.get() {
        Phase::Waiting => view! { <div class="status" aria-busy="true">"Loading chat…"</div> }.into_any(),
        Phase::Ready(config) => view! { <Panel config=config on_close=close /> }.into_any(),
        Phase::Failed(problem) => view! {
            <div class="status status-error" role="alert">{problem.message}</div>
        }
        .into_any(),
    }
}
