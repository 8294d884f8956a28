//! File sizes in words: `12 kB`, `3.4 MB`, in the visitor's language (`Intl.NumberFormat`'s units), in
//! steps of 1,024 as file managers count.

/// The unit `bytes` is best shown in, and the number in that unit.
fn scaled(bytes: u64) -> (&'static str, f64) {
    let mut value = bytes as f64;
    for unit in ["byte", "kilobyte", "megabyte"] {
        if value < 1024.0 {
            return (unit, value);
        }
        value /= 1024.0;
    }
    ("gigabyte", value)
}

/// `bytes` as the visitor's language writes a size (`tag`: its BCP 47 tag).
#[cfg(target_arch = "wasm32")]
pub fn size_label(tag: &str, bytes: u64) -> String {
    let (unit, value) = scaled(bytes);
    use wasm_bindgen::JsCast;
    let options = super::js::object(&[("style", "unit".into()), ("unit", unit.into()), ("maximumFractionDigits", "1".into())]);
    let format = js_sys::Intl::NumberFormat::new(&js_sys::Array::of1(&tag.into()), options.unchecked_ref());
    format.format().call1(&format, &value.into()).ok().and_then(|v| v.as_string()).unwrap_or_else(|| bytes.to_string())
}

/// `bytes` in English short units (off the browser, for tests).
#[cfg(not(target_arch = "wasm32"))]
pub fn size_label(_tag: &str, bytes: u64) -> String {
    let (unit, value) = scaled(bytes);
    let short = match unit {
        "byte" => "byte",
        "kilobyte" => "kB",
        "megabyte" => "MB",
        _ => "GB",
    };
    let value = (value * 10.0).round() / 10.0;
    format!("{value} {short}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_in_the_nearest_unit() {
        assert_eq!(size_label("en", 900), "900 byte");
        assert_eq!(size_label("en", 12_800), "12.5 kB");
        assert_eq!(size_label("en", 10 * 1024 * 1024), "10 MB");
        assert_eq!(size_label("en", 3 * 1024 * 1024 * 1024), "3 GB");
    }
}
