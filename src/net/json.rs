//! JSON on the wire through the browser's own `JSON.parse` and `JSON.stringify`. What arrives is read by
//! `confab_protocol::decode` through [`JsJson`]; what leaves is written by serde (serde-wasm-bindgen), the
//! small half of serde.

use confab_protocol::decode::{Decode, Json};
use serde::Serialize;
use serde_json::{Map, Number, Value};
use wasm_bindgen::{JsCast, JsValue};

/// A value made by `JSON.parse` (or received with `postMessage`), read by the protocol's decoders.
pub struct JsJson(pub JsValue);

impl Json for JsJson {
    fn field(&self, key: &str) -> Option<Self> {
        if !self.0.is_object() {
            return None;
        }
        let value = js_sys::Reflect::get(&self.0, &JsValue::from_str(key)).ok()?;
        (!value.is_undefined() && !value.is_null()).then_some(Self(value))
    }

    fn string(&self) -> Option<String> {
        self.0.as_string()
    }

    fn number(&self) -> Option<f64> {
        self.0.as_f64()
    }

    fn boolean(&self) -> Option<bool> {
        self.0.as_bool()
    }

    fn elements(&self) -> Option<Vec<Self>> {
        js_sys::Array::is_array(&self.0).then(|| self.0.unchecked_ref::<js_sys::Array>().iter().map(Self).collect())
    }

    fn to_value(&self) -> Value {
        to_value(&self.0)
    }
}

/// `value` as a `serde_json::Value`; whole numbers stay integers, as `JSON.parse` in serde_json would
/// keep them.
fn to_value(value: &JsValue) -> Value {
    if let Some(text) = value.as_string() {
        Value::String(text)
    } else if let Some(flag) = value.as_bool() {
        Value::Bool(flag)
    } else if let Some(n) = value.as_f64() {
        if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
            Value::Number(Number::from(n as i64))
        } else {
            Number::from_f64(n).map_or(Value::Null, Value::Number)
        }
    } else if js_sys::Array::is_array(value) {
        Value::Array(value.unchecked_ref::<js_sys::Array>().iter().map(|v| to_value(&v)).collect())
    } else if value.is_object() {
        let mut map = Map::new();
        for entry in js_sys::Object::entries(value.unchecked_ref()).iter() {
            let pair = entry.unchecked_into::<js_sys::Array>();
            if let Some(key) = pair.get(0).as_string() {
                map.insert(key, to_value(&pair.get(1)));
            }
        }
        Value::Object(map)
    } else {
        Value::Null
    }
}

/// The string-valued entries of an object (a catalog file), without a `serde_json::Value` in between.
pub fn string_entries(json: &JsJson) -> Vec<(String, String)> {
    if !json.0.is_object() {
        return Vec::new();
    }
    js_sys::Object::entries(json.0.unchecked_ref())
        .iter()
        .filter_map(|entry| {
            let pair = entry.unchecked_into::<js_sys::Array>();
            Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
        })
        .collect()
}

/// `text` parsed as `T`; the error names the field at fault.
pub fn parse<T: Decode>(text: &str) -> Result<T, String> {
    let value = js_sys::JSON::parse(text).map_err(|_| "not JSON".to_owned())?;
    T::decode(&JsJson(value)).map_err(|e| format!("bad field {}", e.0))
}

/// `value` as JSON text.
pub fn to_text<T: Serialize + ?Sized>(value: &T) -> Result<String, String> {
    let js = value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(|e| e.to_string())?;
    js_sys::JSON::stringify(&js).map(String::from).map_err(|_| "cannot write JSON".to_owned())
}
