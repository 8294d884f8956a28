//! A variant's look on the frame: the brand and text colours as the stylesheet's custom properties (for
//! light and dark), the font, the text size and the compact composer. Applied to the root when the config
//! arrives, before the panel first renders, so the visitor never sees the default look first.

use confab_protocol::panel_variant::PanelVariant;
use leptos::prelude::document;

/// Text colour that reads on `background` (a checked hex colour): near-black on light, white on dark.
fn readable_on(background: &str) -> &'static str {
    let hex = background.trim_start_matches('#');
    let channel = |i: usize| -> f64 {
        let part = if hex.len() < 6 { hex[i..i + 1].repeat(2) } else { hex[2 * i..2 * i + 2].to_owned() };
        let c = f64::from(u8::from_str_radix(&part, 16).unwrap_or(0)) / 255.0;
        // sRGB's curve, as a square: close enough to pick the text colour, without `powf` in the wasm.
        c * c
    };
    let luminance = 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
    // About the luminance where black and white text have the same contrast.
    if luminance > 0.2 { "#111318" } else { "#ffffff" }
}

/// The declarations for one theme: brand colour (with a readable text colour on it) and text colours.
fn declarations(brand: Option<&str>, text: Option<&str>, muted: Option<&str>) -> String {
    let mut css = String::new();
    if let Some(brand) = brand {
        let on = readable_on(brand);
        css += &format!("--confab-accent:{brand};--confab-own:{brand};--confab-accent-fg:{on};--confab-own-fg:{on};");
    }
    if let Some(text) = text {
        css += &format!("--confab-fg:{text};");
    }
    if let Some(muted) = muted {
        css += &format!("--confab-muted:{muted};");
    }
    css
}

/// The stylesheet for `variant` (only what it sets; its values were checked by `PanelVariant::read`).
pub fn stylesheet(variant: &PanelVariant) -> String {
    let brand = variant.brand_color.as_deref();
    let [text_light, text_dark, muted_light, muted_dark] = variant.text_colors.each_ref().map(Option::as_deref);
    let mut css = format!(
        ":root{{{}}}:root[data-theme=dark]{{{}}}",
        declarations(brand, text_light, muted_light),
        declarations(brand, text_dark, muted_dark)
    );
    let size = match variant.size.as_deref() {
        Some("compact") => Some("14px"),
        Some("comfortable") => Some("17px"),
        _ => None,
    };
    if variant.font.is_some() || size.is_some() {
        let font = variant.font.as_deref().map(|f| format!("font-family:\"{f}\",system-ui,sans-serif;")).unwrap_or_default();
        let size = size.map(|s| format!("font-size:{s};")).unwrap_or_default();
        css += &format!("body{{{font}{size}}}");
    }
    if variant.compact_composer {
        css += ".composer{padding:.35rem .5rem}.composer textarea{min-height:2rem;padding:.35rem .6rem}";
    }
    css
}

/// Puts `variant`'s stylesheet in the frame's head.
pub fn apply(variant: &PanelVariant) {
    let css = stylesheet(variant);
    if css == ":root{}:root[data-theme=dark]{}" {
        return;
    }
    let (Ok(style), Some(head)) = (document().create_element("style"), document().head()) else { return };
    style.set_text_content(Some(&css));
    let _ = head.append_child(&style);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_on_the_brand_colour_stays_readable() {
        assert_eq!(readable_on("#ffd60a"), "#111318");
        assert_eq!(readable_on("#fff"), "#111318");
        assert_eq!(readable_on("#3757d4"), "#ffffff");
        assert_eq!(readable_on("#000"), "#ffffff");
    }

    #[test]
    fn only_what_the_variant_sets() {
        let variant = PanelVariant { brand_color: Some("#e5484d".into()), font: Some("Inter".into()), ..PanelVariant::default() };
        let css = stylesheet(&variant);
        assert!(css.contains("--confab-accent:#e5484d;") && css.contains("font-family:\"Inter\""), "{css}");
        assert!(!css.contains("--confab-fg"));
        assert_eq!(stylesheet(&PanelVariant::default()), ":root{}:root[data-theme=dark]{}");
    }
}
