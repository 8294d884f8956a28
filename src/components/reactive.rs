//! Effects, the one way the panel's parts follow signals.
//!
//! Every effect of the frame is made by [`effect`], which hands Leptos the same closure type each time (a
//! boxed one): the reactive system's effect code (its task, its storage) is then in the wasm once instead
//! of once per effect.

use leptos::prelude::Effect;

/// Runs `update` now and again whenever a signal it read changes, until the reactive owner it was made
/// under is dropped. State carried from one run to the next lives in the closure.
pub fn effect(update: impl FnMut() + 'static) {
    let mut update: Box<dyn FnMut()> = Box::new(update);
    Effect::new(move |_| update());
}
