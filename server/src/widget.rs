//! The built widget (trunk's `dist/`): the chat frame page and its content-hashed files, loaded into
//! memory at start with the compressed forms `widget compress` wrote next to them (see [`crate::compress`]).
//! The frame is sent with a Content-Security-Policy that allows only its own scripts.

use axum::http::{header, HeaderValue};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::assets::{content_type_for, Asset, CachePolicy, Encoding};
use crate::loader::Script;

/// The widget's files, ready to serve.
#[derive(Debug, Default)]
pub struct WidgetAssets {
    /// Where they were read from.
    pub dir: PathBuf,
    frame: Option<Asset>,
    files: HashMap<String, Asset>,
    compressed: bool,
}

impl WidgetAssets {
    /// Reads every file under `dir` (see [`served_files`]) with its precompressed siblings. A file whose
    /// siblings are missing or stale (a `dist/` built without `widget compress`) is served with a quick
    /// gzip made now, and no brotli; one warning says so. A missing directory gives an empty set: the server
    /// still runs, and `/widget/frame` answers 503 until the widget is built.
    pub fn load(dir: &Path) -> std::io::Result<Self> {
        let mut assets = Self { dir: dir.to_owned(), compressed: true, ..Self::default() };
        if !dir.is_dir() {
            return Ok(assets);
        }
        let mut not_precompressed = Vec::new();
        for (name, path) in served_files(dir)? {
            let body = std::fs::read(&path)?;
            let asset = if name == "index.html" {
                let csp = frame_csp(&String::from_utf8_lossy(&body));
                Asset::new(body, content_type_for(&name), CachePolicy::Revalidate).with_header(
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_str(&csp).expect("CSP is ASCII"),
                )
            } else {
                let cache = if is_content_hashed(&name) { CachePolicy::Immutable } else { CachePolicy::Brief };
                Asset::new(body, content_type_for(&name), cache)
            };
            let asset = asset.with_precompressed(&path, &[Encoding::Gzip]);
            if !asset.fully_compressed() {
                not_precompressed.push(name.clone());
            }
            if name == "index.html" {
                assets.frame = Some(asset);
            } else {
                assets.files.insert(name, asset);
            }
        }
        if !not_precompressed.is_empty() {
            not_precompressed.sort();
            tracing::warn!(
                dir = %dir.display(),
                files = %not_precompressed.join(", "),
                "widget files without up-to-date .br/.gz siblings: served with a quick gzip and no brotli; \
                 run `confab-server widget compress --widget-dir {}` (scripts/build-widget.sh does)",
                dir.display(),
            );
            assets.compressed = false;
        }
        Ok(assets)
    }

    /// Whether every file has its precompressed brotli and gzip forms (`/healthz`'s `"compressed"`): the
    /// sizes served are then the smallest this build gives.
    pub fn compressed(&self) -> bool {
        self.compressed
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

/// The files [`WidgetAssets::load`] serves from `dir`, by their path under `/widget/` (`index.html` being
/// the frame), with their paths on disk: every file under `dir` except the minified sources of the host
/// page's scripts (served rendered, by [`crate::loader`]) and the `.br`/`.gz` siblings of other files.
pub fn served_files(dir: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut files = Vec::new();
    for path in walk(dir)? {
        let name = path.strip_prefix(dir).expect("walked paths are under dir").to_string_lossy().replace('\\', "/");
        files.push((name, path));
    }
    let names: std::collections::HashSet<String> = files.iter().map(|(name, _)| name.clone()).collect();
    files.retain(|(name, _)| {
        let script = Script::ALL.iter().any(|s| s.file_name() == name);
        let sibling = crate::compress::sibling_of(name).is_some_and(|of| names.contains(of));
        !script && !sibling
    });
    files.sort();
    Ok(files)
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
pub(crate) fn is_content_hashed(name: &str) -> bool {
    let file = name.rsplit('/').next().unwrap_or(name);
    let stem = file.split('.').next().unwrap_or(file);
    stem.split('-').skip(1).any(|part| {
        let hex = part.strip_suffix("_bg").unwrap_or(part);
        hex.len() >= 8 && hex.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// The frame's policy: its own scripts (and the inline bootstrap trunk writes, by hash), its own
/// WebAssembly, images from anywhere (avatars) and from the panel's own blobs (previews of files being
/// sent), audio and video from this server and those blobs, connections to this server only, and any page
/// may embed it.
fn frame_csp(html: &str) -> String {
    let hashes: String = inline_scripts(html)
        .map(|script| {
            let digest = Sha256::digest(script.as_bytes());
            format!(" 'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest))
        })
        .collect();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob: https: http:; media-src 'self' blob:; connect-src 'self'; frame-ancestors *; \
         base-uri 'none'; form-action 'none'; object-src 'none'"
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
    fn siblings_and_script_sources_are_not_served_as_files() {
        let dir = std::env::temp_dir().join(format!("confab-widget-test-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        for name in ["index.html", "index.html.gz", "a.wasm", "a.wasm.br", "gone.js.gz", "confab.js", "confab.js.br", "sub/b.css"] {
            std::fs::write(dir.join(name), "x").unwrap();
        }
        let names: Vec<String> = served_files(&dir).unwrap().into_iter().map(|(name, _)| name).collect();
        // A `.gz` without its file is nobody's sibling: an ordinary file.
        assert_eq!(names, ["a.wasm", "gone.js.gz", "index.html", "sub/b.css"]);
        std::fs::remove_dir_all(&dir).unwrap();
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
