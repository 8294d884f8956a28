//! `confab.js`, the loader a site's snippet pulls in. The hand-written source (`snippet/confab.js`) gets
//! the config rules from [`LoaderSpec`] spliced in, loses its comments and indentation, and is served
//! with a brief cache lifetime so sites pick up a new release within minutes.

use confab_protocol::widget_config::LoaderSpec;

use crate::assets::{Asset, CachePolicy};

/// The loader's source as written.
pub const SOURCE: &str = include_str!("../../snippet/confab.js");

/// The token in [`SOURCE`] replaced by the spec's JSON.
const SPEC_TOKEN: &str = "__CONFAB_SPEC__";

/// The loader's text for a server in `region`.
pub fn render(region: &str) -> String {
    let spec = serde_json::to_string(&LoaderSpec::new(region)).expect("the spec serialises");
    let compact: Vec<&str> = SOURCE
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("//"))
        .collect();
    compact.join("\n").replace(SPEC_TOKEN, &spec)
}

/// The loader as a servable asset.
pub fn asset(region: &str) -> Asset {
    Asset::new(render(region).into_bytes(), "text/javascript; charset=utf-8", CachePolicy::Brief)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_is_spliced_in_and_comments_dropped() {
        assert!(SOURCE.contains(SPEC_TOKEN));
        let text = render("eu-west");
        assert!(!text.contains(SPEC_TOKEN));
        assert!(text.contains("\"region\":\"eu-west\""));
        assert!(!text.lines().any(|l| l.starts_with("//")));
    }
}
