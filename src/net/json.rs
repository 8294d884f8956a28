//! JSON on the wire through the browser's own `JSON.parse` and `JSON.stringify` and serde-wasm-bindgen:
//! one serde data format for everything the frame reads and writes (the loader's config included), which
//! keeps the download small.

use serde::de::DeserializeOwned;
use serde::Serialize;

/// `text` parsed as `T`.
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let value = js_sys::JSON::parse(text).map_err(|_| "not JSON".to_owned())?;
    serde_wasm_bindgen::from_value(value).map_err(|e| e.to_string())
}

/// `value` as JSON text.
pub fn to_text<T: Serialize + ?Sized>(value: &T) -> Result<String, String> {
    let js = value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(|e| e.to_string())?;
    js_sys::JSON::stringify(&js).map(String::from).map_err(|_| "cannot write JSON".to_owned())
}
