//! Building and patching plain DOM. Lists keep one element per row, by key, moved rather than rebuilt,
//! with clicks handled once on the list (by `data-*` attributes) instead of a handler per row. Text always
//! goes in as text nodes, never as HTML.

use std::collections::HashMap;
use web_sys::{Document, Element, Node};

fn document() -> Document {
    leptos::prelude::document()
}

/// A new `<tag class="class">`.
pub fn el(tag: &str, class: &str) -> Element {
    let element = document().create_element(tag).expect("a valid tag name");
    if !class.is_empty() {
        element.set_class_name(class);
    }
    element
}

/// A new `<tag class="class">text</tag>`.
pub fn text_el(tag: &str, class: &str, text: &str) -> Element {
    let element = el(tag, class);
    element.set_text_content(Some(text));
    element
}

/// Appends `text` to `parent` as a text node.
pub fn append_text(parent: &Element, text: &str) {
    let _ = parent.append_with_str_1(text);
}

/// Appends `child` to `parent`.
pub fn append(parent: &Element, child: &Element) {
    let _ = parent.append_child(child);
}

/// The rows of a list element, by key.
#[derive(Default)]
pub struct KeyedRows(HashMap<String, Element>);

impl KeyedRows {
    /// Makes `list`'s children the rows named by `keys`, in order: a row already there (same key) is
    /// kept (moved if need be), a new one is built by `build`, and rows no longer named are removed.
    pub fn patch<'a>(&mut self, list: &Element, keys: impl Iterator<Item = &'a str>, mut build: impl FnMut(usize) -> Element) {
        if self.0.is_empty() {
            // Rows this set does not know were left by an earlier component on the same element (Leptos
            // reuses an element when it re-renders the same view): they go.
            let children = list.children();
            for i in (0..children.length()).rev() {
                if let Some(stale) = children.item(i) {
                    stale.remove();
                }
            }
        }
        let mut kept = HashMap::with_capacity(self.0.len());
        let mut previous: Option<Node> = None;
        for (index, key) in keys.enumerate() {
            let row = self.0.remove(key).unwrap_or_else(|| build(index));
            let expected = match &previous {
                Some(node) => node.next_sibling(),
                None => list.first_child(),
            };
            if expected.as_ref() != Some(row.as_ref()) {
                let _ = list.insert_before(&row, expected.as_ref());
            }
            previous = Some(row.clone().into());
            kept.insert(key.to_owned(), row);
        }
        for (_, stale) in self.0.drain() {
            stale.remove();
        }
        self.0 = kept;
    }

    /// The row of `key`, if it is in the list.
    pub fn get(&self, key: &str) -> Option<&Element> {
        self.0.get(key)
    }
}

/// The value of `attribute` on the element clicked in `event`, or on its nearest ancestor that has one.
pub fn clicked(event: &web_sys::MouseEvent, attribute: &str) -> Option<String> {
    use wasm_bindgen::JsCast;
    let target = event.target()?.dyn_into::<Element>().ok()?;
    target.closest(&format!("[{attribute}]")).ok()??.get_attribute(attribute)
}

/// Calls `handler` on `event` at `target` for as long as the page lives.
pub fn on<E: wasm_bindgen::convert::FromWasmAbi + 'static>(target: &web_sys::EventTarget, event: &str, handler: impl FnMut(E) + 'static) {
    use wasm_bindgen::JsCast;
    let handler = wasm_bindgen::closure::Closure::<dyn FnMut(E)>::new(handler);
    let _ = target.add_event_listener_with_callback(event, handler.as_ref().unchecked_ref());
    handler.forget();
}

/// Calls `handler` on `event` at `target` or anything inside it, as the event passes down (for events
/// that do not bubble, such as an image's `load` and `error`), for as long as the page lives.
pub fn on_capture<E: wasm_bindgen::convert::FromWasmAbi + 'static>(target: &web_sys::EventTarget, event: &str, handler: impl FnMut(E) + 'static) {
    use wasm_bindgen::JsCast;
    let handler = wasm_bindgen::closure::Closure::<dyn FnMut(E)>::new(handler);
    let _ = target.add_event_listener_with_callback_and_bool(event, handler.as_ref().unchecked_ref(), true);
    handler.forget();
}

/// Sets attribute `name` to `value`, or removes it when `value` is `None`.
pub fn set_attr(element: &Element, name: &str, value: Option<&str>) {
    let _ = match value {
        Some(value) => element.set_attribute(name, value),
        None => element.remove_attribute(name),
    };
}

/// A `<button type="button" class="class" aria-label="label">`.
pub fn button(class: &str, label: &str) -> Element {
    let button = el("button", class);
    let _ = button.set_attribute("type", "button");
    let _ = button.set_attribute("aria-label", label);
    button
}

/// Shows `count` on `badge` (hidden at 0), and names `button` `label` followed by the count as the plural
/// string `key` of `text` says it ("Back to conversations, 2 unread messages").
pub fn show_count(button: &Element, badge: &Element, label: &str, text: &crate::i18n::Catalog, key: &str, count: u64) {
    set_attr(badge, "hidden", (count == 0).then_some(""));
    badge.set_text_content(Some(&if count > 99 { "99+".to_owned() } else { count.to_string() }));
    let name = if count == 0 { label.to_owned() } else { format!("{label}, {}", text.plural(key, count)) };
    let _ = button.set_attribute("aria-label", &name);
}

/// Replaces `parent`'s children with `children`.
pub fn replace_children(parent: &Element, children: &[&Element]) {
    parent.set_text_content(None);
    for child in children {
        append(parent, child);
    }
}
