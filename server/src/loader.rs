//! The two scripts a site's page runs: `confab.js`, the loader the snippet pulls in on every page, and
//! `confab-host.js`, the host module the loader fetches once the visitor shows intent.
//!
//! Each is hand-written under `snippet/`; the widget build (`scripts/build-widget.sh`) minifies both into
//! the widget directory. The server takes the minified copy when there is one (else the source, without
//! its comment lines and indentation), splices in its spec — the config rules from confab-protocol for
//! the loader, the frame message types for the host module — and serves it with a brief cache lifetime so
//! sites pick up a new release within minutes.
//!
//! Their best compression (brotli 11 and zopfli's 1,000 rounds) takes over two seconds in a debug build,
//! so it is not done at start: `widget compress` writes it for one region (`local` unless told) as
//! `confab.js.br`, `confab.js.gz` and so on (see [`crate::compress`]). A server of that region serves those;
//! in another region, or without them, it compresses the rendered text quickly at start (about 2 ms).

use confab_protocol::widget_config::{HostSpec, LoaderSpec};
use serde::Serialize;
use std::path::Path;

use crate::assets::{Asset, CachePolicy, Encoding};

/// One of the host page's scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    /// `confab.js`.
    Loader,
    /// `confab-host.js`.
    Host,
}

impl Script {
    /// Both scripts.
    pub const ALL: [Script; 2] = [Self::Loader, Self::Host];

    /// The file name, under `snippet/` and under `/widget/`.
    pub fn file_name(self) -> &'static str {
        match self {
            Self::Loader => "confab.js",
            Self::Host => "confab-host.js",
        }
    }

    /// The source as written.
    pub fn source(self) -> &'static str {
        match self {
            Self::Loader => include_str!("../../snippet/confab.js"),
            Self::Host => include_str!("../../snippet/confab-host.js"),
        }
    }
}

/// The token in each script replaced by its spec's JSON.
const SPEC_TOKEN: &str = "__CONFAB_SPEC__";

/// `script`'s text for a server in `region`: the minified copy in `widget_dir` when the widget was built,
/// else the source without comment lines and indentation.
pub fn render(script: Script, region: &str, widget_dir: &Path) -> String {
    let text = match std::fs::read_to_string(widget_dir.join(script.file_name())) {
        Ok(minified) => minified,
        Err(_) => compact(script.source()),
    };
    let spec = match script {
        Script::Loader => to_json(&LoaderSpec::new(region)),
        Script::Host => to_json(&HostSpec::new()),
    };
    assert_eq!(text.matches(SPEC_TOKEN).count(), 1, "{} must name {SPEC_TOKEN} once", script.file_name());
    text.replace(SPEC_TOKEN, &spec)
}

fn to_json(spec: &impl Serialize) -> String {
    serde_json::to_string(spec).expect("the spec serialises")
}

/// `source` without comment lines, blank lines and indentation.
fn compact(source: &str) -> String {
    let lines: Vec<&str> = source.lines().map(str::trim).filter(|line| !line.is_empty() && !line.starts_with("//")).collect();
    lines.join("\n")
}

/// `script` as a servable asset, with its forms precompressed by `widget compress` when they hold this
/// rendering (same minified copy, same region), else quick ones.
pub fn asset(script: Script, region: &str, widget_dir: &Path) -> Asset {
    let text = render(script, region, widget_dir).into_bytes();
    let asset = Asset::new(text, "text/javascript; charset=utf-8", CachePolicy::Brief)
        .with_precompressed(&widget_dir.join(script.file_name()), &[Encoding::Brotli, Encoding::Gzip]);
    if !asset.fully_compressed() && widget_dir.join(script.file_name()).is_file() {
        tracing::info!(
            script = script.file_name(),
            region,
            "no precompressed form for this region: compressed quickly at start \
             (`confab-server widget compress --region {region}` makes the smallest)",
        );
    }
    asset
}

#[cfg(test)]
mod tests {
    use super::*;
    use confab_protocol::widget_config::ConfigErrorCode;

    #[test]
    fn spec_is_spliced_in_and_comments_dropped() {
        let nowhere = Path::new("/nonexistent");
        let loader = render(Script::Loader, "eu-west", nowhere);
        assert!(!loader.contains(SPEC_TOKEN));
        assert!(loader.contains("\"region\":\"eu-west\""));
        assert!(!loader.lines().any(|l| l.starts_with("//")));
        let host = render(Script::Host, "eu-west", nowhere);
        assert!(host.contains("\"ready\":\"confab:ready\""), "{host}");
    }

    #[test]
    fn a_minified_copy_in_the_widget_directory_is_preferred() {
        let dir = std::env::temp_dir().join(format!("confab-loader-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("confab.js"), "var S=__CONFAB_SPEC__;").unwrap();
        let text = render(Script::Loader, "local", &dir);
        assert!(text.starts_with("var S={\"region\":\"local\""), "{text}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Both scripts write error codes as string literals (a spec map would cost the loader bytes); each
    /// literal written like a code must be one.
    #[test]
    fn every_code_the_scripts_report_is_a_config_error_code() {
        let known: Vec<&str> = ConfigErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        let mut seen = 0;
        for script in Script::ALL {
            for literal in script.source().split('"').skip(1).step_by(2) {
                let code_like = literal.len() > 4 && literal.bytes().all(|b| b.is_ascii_uppercase() || b == b'_');
                if code_like {
                    assert!(known.contains(&literal), "{}: {literal} is not a ConfigErrorCode", script.file_name());
                    seen += 1;
                }
            }
        }
        assert!(seen >= 6, "only {seen} codes found");
    }
}
