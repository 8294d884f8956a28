//! Calls to browser APIs the widget's `web-sys` build does not bind (`XMLHttpRequest`, `FormData`,
//! `URL.createObjectURL`), made by name through `Reflect`: one shared way in, no glue code per method.

use js_sys::{Array, Function, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// `object[key]`, or `undefined`.
pub fn get(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

/// `object.method(...args)`.
pub fn call(object: &JsValue, method: &str, args: &[&JsValue]) -> Result<JsValue, JsValue> {
    let function: Function = get(object, method).dyn_into()?;
    Reflect::apply(&function, object, &args.iter().copied().collect::<Array>())
}

/// `new <name>(...args)`, `name` a global constructor.
pub fn construct(name: &str, args: &[&JsValue]) -> Result<JsValue, JsValue> {
    let constructor: Function = get(&js_sys::global(), name).dyn_into()?;
    Reflect::construct(&constructor, &args.iter().copied().collect::<Array>())
}

/// `{key: value, ...}` as a JS object.
pub fn object(entries: &[(&str, JsValue)]) -> JsValue {
    let object = js_sys::Object::new();
    for (key, value) in entries {
        let _ = Reflect::set(&object, &(*key).into(), value);
    }
    object.into()
}

/// A `blob:` URL showing `file` until [`forget_url`].
pub fn object_url(file: &JsValue) -> Option<String> {
    call(&get(&js_sys::global(), "URL"), "createObjectURL", &[file]).ok()?.as_string()
}

/// Frees a URL made by [`object_url`].
pub fn forget_url(url: &str) {
    let _ = call(&get(&js_sys::global(), "URL"), "revokeObjectURL", &[&url.into()]);
}
