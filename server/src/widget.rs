//! The built widget (trunk's `dist/`): the chat frame page and its content-hashed files, loaded into
//! memory at start. The frame is sent with a Content-Security-Policy that allows only its own scripts.

use axum::http::{header, HeaderValue};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::assets::{content_type_for, Asset, CachePolicy, Encoding};
use crate::loader::Script;

/// The widget's files, ready to serve.
#[derive(Debug, Default)]
pub struct WidgetAssets {
    /// Where they were read from.
    pub dir: PathBuf,
    frame: Option<Asset>,
    files: HashMap<String, Asset>,
    compressed: AtomicBool,
}

impl WidgetAssets {
    /// Reads every file under `dir`. A missing directory gives an empty set: the server still runs, and
    /// `/widget/frame` answers 503 until the widget is built.
    pub fn load(dir: &Path) -> std::io::Result<Self> {
        let mut assets = Self { dir: dir.to_owned(), ..Self::default() };
        if !dir.is_dir() {
            return Ok(assets);
        }
        for path in walk(dir)? {
            let name = path
                .strip_prefix(dir)
                .expect("walked paths are under dir")
                .to_string_lossy()
                .replace('\\', "/");
            if Script::ALL.iter().any(|s| s.file_name() == name) {
                // Minified sources of the host page's scripts: served rendered, by the loader module.
                continue;
            }
            let body = std::fs::read(&path)?;
            if name == "index.html" {
                let csp = frame_csp(&String::from_utf8_lossy(&body));
                let asset = Asset::new(body, content_type_for(&name), CachePolicy::Revalidate).with_header(
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_str(&csp).expect("CSP is ASCII"),
                );
                assets.frame = Some(asset);
            } else {
                let cache = if is_content_hashed(&name) { CachePolicy::Immutable } else { CachePolicy::Brief };
                assets.files.insert(name.clone(), Asset::new(body, content_type_for(&name), cache));
            }
        }
        Ok(assets)
    }

    /// Compresses every file, gzip first (quick), then brotli (at its best quality it takes seconds on the
    /// wasm file; until then large files are served gzip), then zopfli's smaller gzip of the large files,
    /// so no visitor waits for a compression.
    pub fn precompress(&self) {
        for encoding in [Encoding::Gzip, Encoding::Brotli] {
            for asset in self.frame.iter().chain(self.files.values()) {
                asset.precompress(encoding);
            }
        }
        for asset in self.files.values() {
            asset.precompress_best();
        }
        self.compressed.store(true, Ordering::Release);
    }

    /// Whether every file has its final compressed forms (sizes measured before may be larger).
    pub fn compressed(&self) -> bool {
        self.compressed.load(Ordering::Acquire)
    }

    /// The frame page, if the widget was built.
    pub fn frame(&self) -> Option<&Asset> {
        self.frame.as_ref()
    }

    /// A file by its path under `/widget/`.
    pub fn file(&self, name: &str) -> Option<&Asset> {
        self.files.get(name)
    }

    /// Every file's path and asset (the frame excluded), for size reports.
    pub fn files(&self) -> impl Iterator<Item = (&str, &Asset)> {
        self.files.iter().map(|(name, asset)| (name.as_str(), asset))
    }
}

fn walk(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            out.extend(walk(&path)?);
        } else {
            out.push(path);
        }
    }
    Ok(out)
}

/// True when the file name carries trunk's content hash: a `-` followed by at least 8 hex digits.
fn is_content_hashed(name: &str) -> bool {
    let file = name.rsplit('/').next().unwrap_or(name);
    let stem = file.split('.').next().unwrap_or(file);
    stem.split('-').skip(1).any(|part| {
        let hex = part.strip_suffix("_bg").unwrap_or(part);
        hex.len() >= 8 && hex.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// The frame's policy: its own scripts (and the inline bootstrap trunk writes, by hash), its own
/// WebAssembly, images from anywhere (avatars), connections to this server only, and any page may embed it.
fn frame_csp(html: &str) -> String {
    let hashes: String = inline_scripts(html)
        .map(|script| {
            let digest = Sha256::digest(script.as_bytes());
            format!(" 'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest))
        })
        .collect();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: https: http:; connect-src 'self'; frame-ancestors *; base-uri 'none'; \
         form-action 'none'; object-src 'none'"
    )
}

/// The bodies of `<script>` elements without `src`.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    html.split("<script").skip(1).filter_map(|rest| {
        let (open_tag, after) = rest.split_once('>')?;
        let (body, _) = after.split_once("</script>")?;
        (!open_tag.contains("src=")).then_some(body)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_trunk_hashed_names() {
        assert!(is_content_hashed("confab-widget-8c1e2f3a4b5c6d7e.js"));
        assert!(is_content_hashed("confab-widget-8c1e2f3a4b5c6d7e_bg.wasm"));
        assert!(is_content_hashed("confab-1f2e3d4c5b6a.css"));
        assert!(!is_content_hashed("favicon.ico"));
        assert!(!is_content_hashed("confab-widget.js"));
    }

    #[test]
    fn csp_hashes_inline_scripts_only() {
        let html = r#"<script src="/a.js"></script><script type="module">boot()</script>"#;
        let csp = frame_csp(html);
        let expected = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"boot()"));
        assert!(csp.contains(&format!("'sha256-{expected}'")), "{csp}");
        assert_eq!(csp.matches("sha256-").count(), 1);
    }
}
