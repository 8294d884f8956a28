//! The files the visitor hands over, from the file picker (`input.files`), a drop (`dataTransfer.files`)
//! or a paste (`clipboardData.files`), read through their JS properties.

use wasm_bindgen::JsValue;

/// A file the visitor handed over.
#[derive(Debug, Clone)]
pub struct Picked {
    /// The browser's `File` (or a recorded `Blob` made into one).
    pub file: JsValue,
    /// Its name, without folders.
    pub name: String,
    /// Its MIME type as the browser reports it (may be empty).
    pub mime: String,
    /// Its size in bytes.
    pub size: u64,
}

use super::js::get as property;

/// The file `value` (a `File`), as picked.
pub fn picked(value: JsValue) -> Picked {
    Picked {
        name: property(&value, "name").as_string().filter(|n| !n.is_empty()).unwrap_or_else(|| "file".into()),
        mime: property(&value, "type").as_string().unwrap_or_default(),
        size: property(&value, "size").as_f64().unwrap_or(0.0) as u64,
        file: value,
    }
}

/// The files of `list` (a `FileList`); none when it is not one.
pub fn files_in(list: &JsValue) -> Vec<Picked> {
    if list.is_undefined() || list.is_null() {
        return Vec::new();
    }
    js_sys::Array::from(list).iter().map(picked).collect()
}

/// The files that `event`'s `holder` (`dataTransfer` of a drop, `clipboardData` of a paste) carries.
pub fn files_of(event: &JsValue, holder: &str) -> Vec<Picked> {
    files_in(&property(&property(event, holder), "files"))
}

/// Whether a drag (`event`, a drag event) carries files rather than text or a link.
pub fn drags_files(event: &JsValue) -> bool {
    let types = property(&property(event, "dataTransfer"), "types");
    !types.is_undefined() && js_sys::Array::from(&types).includes(&"Files".into(), 0)
}
