//! Loading a page's data and running its actions, with the same loading and error display everywhere.

use std::future::Future;

use leptos::prelude::*;

use super::feedback::{LoadError, Loading};
use crate::api::ApiError;

/// The view of a resource: "Loading…", the error, or `render` of the data.
pub fn loaded<T, V>(resource: LocalResource<Result<T, ApiError>>, render: impl Fn(T) -> V + Send + Sync + 'static) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    move || match resource.get() {
        None => view! { <Loading /> }.into_any(),
        Some(Err(error)) => view! { <LoadError error=error /> }.into_any(),
        Some(Ok(data)) => render(data).into_any(),
    }
}

/// The state of a form or button's call: under way, and the error of the last one.
#[derive(Clone, Copy)]
pub struct Busy {
    /// A call is under way.
    pub busy: RwSignal<bool>,
    /// Why the last call failed.
    pub error: RwSignal<Option<ApiError>>,
}

impl Busy {
    /// Idle, no error.
    pub fn new() -> Self {
        Self { busy: RwSignal::new(false), error: RwSignal::new(None) }
    }

    /// The error's sentence if it is about `field` (for the field's own error line).
    pub fn field_error(self, field: &'static str) -> Signal<Option<String>> {
        Signal::derive(move || {
            self.error.get().filter(|e| e.about(field)).map(|e| e.message.clone())
        })
    }
}

impl Default for Busy {
    fn default() -> Self {
        Self::new()
    }
}

/// Runs `call`: marks `state` busy, clears its error, and then hands the answer to `done` or keeps the
/// error. A second call while one is under way is ignored.
pub fn run<T, Fut>(state: Busy, call: Fut, done: impl FnOnce(T) + 'static)
where
    T: 'static,
    Fut: Future<Output = Result<T, ApiError>> + 'static,
{
    if state.busy.get_untracked() {
        return;
    }
    state.busy.set(true);
    state.error.set(None);
    leptos::task::spawn_local(async move {
        let answer = call.await;
        state.busy.set(false);
        match answer {
            Ok(value) => done(value),
            Err(error) => {
                state.error.set(Some(error));
            }
        }
    });
}
