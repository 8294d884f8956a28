//! Compression of the served files, done once when the widget is built (`confab-server widget compress`,
//! run by `scripts/build-widget.sh`) rather than at every start.
//!
//! Each compressible file the server serves from the widget directory gets two siblings: `<file>.br`
//! (brotli at its best quality) and `<file>.gz` (zopfli's gzip: 1,000 rounds for a small file, its default
//! 15 for a large one). The host page's scripts are served rendered, with the region spliced in
//! ([`crate::loader`]): their siblings `confab.js.br`, `confab.js.gz`, `confab-host.js.br` and
//! `confab-host.js.gz` hold the rendered text for the region `widget compress` was given (`local` unless
//! told), not the minified template beside them.
//!
//! A sibling is up to date when it decodes to exactly the bytes it stands for (the file, or the rendered
//! script). Modification times are not used: trunk rewrites every file of `dist/` on each build, content
//! unchanged or not, and copies of a directory do not keep them in order. So the subcommand recompresses
//! only what changed, and the server, which runs the same check when it loads, never serves a stale
//! sibling. Decoding is quick (milliseconds for the wasm file); compressing at these settings takes seconds.
//!
//! Without fresh siblings the server falls back to [`gzip_quick`] (and, for the small rendered scripts,
//! [`brotli_quick`]), made when it loads: well under a second, at a cost of some per cent in size.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::assets::{content_type_for, Encoding};
use crate::loader::{self, Script};

/// Files at least this large get zopfli's default rounds rather than [`SMALL_FILE_ITERATIONS`].
pub const LARGE_BYTES: usize = 16 * 1024;

/// Zopfli's search rounds for a small file: many more than its default (15), since the loader, fetched by
/// every page, is kept to the byte; a few kilobytes take about a second this way (in a debug build).
const SMALL_FILE_ITERATIONS: std::num::NonZeroU64 = std::num::NonZeroU64::new(1000).unwrap();

/// The encodings a file is precompressed in, in the order they are made.
pub const PRECOMPRESSED: [Encoding; 2] = [Encoding::Brotli, Encoding::Gzip];

/// Whether files of `content_type` are worth compressing (text, wasm, JSON, SVG).
pub fn compressible(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || matches!(content_type, "application/wasm" | "application/json" | "image/svg+xml")
}

/// Brotli at its best quality: assets are compressed once and served many times.
pub fn brotli_best(data: &[u8]) -> Vec<u8> {
    brotli_with(data, 11)
}

/// Brotli at quality 5: a millisecond or two for the loader in a debug build, some 8 % larger than
/// [`brotli_best`].
pub fn brotli_quick(data: &[u8]) -> Vec<u8> {
    brotli_with(data, 5)
}

fn brotli_with(data: &[u8], quality: i32) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / 3);
    let params = brotli::enc::BrotliEncoderParams { quality, lgwin: 22, ..Default::default() };
    brotli::BrotliCompress(&mut &data[..], &mut out, &params).expect("compressing to memory cannot fail");
    out
}

/// Zopfli's gzip: the same format as any gzip, about 4 % smaller than the best level of the usual
/// deflaters and some 100 times slower; with [`SMALL_FILE_ITERATIONS`] for a file under [`LARGE_BYTES`],
/// zopfli's default rounds for a larger one.
pub fn gzip_best(data: &[u8]) -> Vec<u8> {
    let iteration_count = match data.len() < LARGE_BYTES {
        true => SMALL_FILE_ITERATIONS,
        false => zopfli::Options::default().iteration_count,
    };
    let mut out = Vec::with_capacity(data.len() / 3);
    let options = zopfli::Options { iteration_count, ..Default::default() };
    zopfli::compress(options, zopfli::Format::Gzip, data, &mut out).expect("compressing to memory cannot fail");
    out
}

/// Gzip at flate2's default level: milliseconds even for the wasm file in a debug build.
pub fn gzip_quick(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(data.len() / 3), flate2::Compression::default());
    encoder.write_all(data).expect("compressing to memory cannot fail");
    encoder.finish().expect("compressing to memory cannot fail")
}

/// `data` compressed in `encoding` at the best settings.
pub fn best(encoding: Encoding, data: &[u8]) -> Vec<u8> {
    match encoding {
        Encoding::Brotli => brotli_best(data),
        Encoding::Gzip => gzip_best(data),
        Encoding::Identity => data.to_vec(),
    }
}

/// `data` compressed in `encoding` quickly.
pub fn quick(encoding: Encoding, data: &[u8]) -> Vec<u8> {
    match encoding {
        Encoding::Brotli => brotli_quick(data),
        Encoding::Gzip => gzip_quick(data),
        Encoding::Identity => data.to_vec(),
    }
}

/// The file name suffix of a sibling in `encoding`.
pub fn suffix(encoding: Encoding) -> &'static str {
    match encoding {
        Encoding::Brotli => ".br",
        Encoding::Gzip => ".gz",
        Encoding::Identity => "",
    }
}

/// The sibling of `path` that holds it in `encoding`: `<path>.br` or `<path>.gz`.
pub fn sibling(path: &Path, encoding: Encoding) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix(encoding));
    PathBuf::from(name)
}

/// If `name` is a sibling's (ends in `.br` or `.gz`), the name of the file it belongs to.
pub fn sibling_of(name: &str) -> Option<&str> {
    PRECOMPRESSED.iter().find_map(|&encoding| name.strip_suffix(suffix(encoding)))
}

/// Whether `compressed` decodes, in `encoding`, to exactly `expected`.
pub fn decodes_to(encoding: Encoding, compressed: &[u8], expected: &[u8]) -> bool {
    // One byte more than expected is enough to tell a longer content, and bounds the work.
    let limit = expected.len() as u64 + 1;
    let mut out = Vec::with_capacity(expected.len());
    let read = match encoding {
        Encoding::Brotli => brotli::Decompressor::new(compressed, 4096).take(limit).read_to_end(&mut out),
        Encoding::Gzip => flate2::read::GzDecoder::new(compressed).take(limit).read_to_end(&mut out),
        Encoding::Identity => return compressed == expected,
    };
    read.is_ok() && out == expected
}

/// The sibling of `path` in `encoding` when it exists and holds `expected`.
pub fn read_fresh(path: &Path, encoding: Encoding, expected: &[u8]) -> Option<Vec<u8>> {
    let compressed = std::fs::read(sibling(path, encoding)).ok()?;
    decodes_to(encoding, &compressed, expected).then_some(compressed)
}

/// What `widget compress` did.
#[derive(Debug, Default)]
pub struct Report {
    /// Siblings written: path, size, time taken.
    pub written: Vec<(PathBuf, usize, Duration)>,
    /// Siblings already up to date, left alone.
    pub up_to_date: usize,
}

/// One sibling to check or make: the file it belongs to and the bytes it must hold.
struct Job {
    base: PathBuf,
    encoding: Encoding,
    content: std::sync::Arc<Vec<u8>>,
}

/// Writes the siblings of every compressible file the server serves from `dir` (the set
/// [`crate::widget::WidgetAssets`] serves, see [`crate::widget::served_files`]) and of the host page's
/// scripts rendered for `region`, skipping those already up to date (see the module's documentation).
/// Files are compressed on as many threads as the machine has cores.
pub fn widget_dir(dir: &Path, region: &str) -> std::io::Result<Report> {
    if !dir.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{}: no such directory (build the widget first: scripts/build-widget.sh)", dir.display()),
        ));
    }
    let mut contents: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    for (name, path) in crate::widget::served_files(dir)? {
        if compressible(content_type_for(&name)) {
            let content = std::fs::read(&path)?;
            contents.push((path, content));
        }
    }
    for script in Script::ALL {
        let path = dir.join(script.file_name());
        // Without its minified copy the server renders the script from the source and compresses it quickly.
        if path.is_file() {
            contents.push((path, loader::render(script, region, dir).into_bytes()));
        }
    }
    let mut report = Report::default();
    let mut jobs = Vec::new();
    for (base, content) in contents {
        let content = std::sync::Arc::new(content);
        for encoding in PRECOMPRESSED {
            if read_fresh(&base, encoding, &content).is_some() {
                report.up_to_date += 1;
            } else {
                jobs.push(Job { base: base.clone(), encoding, content: content.clone() });
            }
        }
    }
    // The largest first, so that the long ones run side by side rather than last and alone.
    jobs.sort_by_key(|job| std::cmp::Reverse(job.content.len()));
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(jobs.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                while let Some(job) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let started = Instant::now();
                    let result = write_sibling(job).map(|size| (sibling(&job.base, job.encoding), size, started.elapsed()));
                    results.lock().expect("no worker panics holding it").push(result);
                }
            });
        }
    });
    for result in results.into_inner().expect("no worker panicked holding it") {
        report.written.push(result?);
    }
    report.written.sort();
    Ok(report)
}

/// Compresses `job` and writes its sibling through a temporary file, so a server loading the directory
/// meanwhile never reads half a file. Returns the compressed size.
fn write_sibling(job: &Job) -> std::io::Result<usize> {
    let compressed = best(job.encoding, &job.content);
    let target = sibling(&job.base, job.encoding);
    let mut temporary = target.clone().into_os_string();
    temporary.push(format!(".tmp{}", std::process::id()));
    std::fs::write(&temporary, &compressed)?;
    std::fs::rename(&temporary, &target)?;
    Ok(compressed.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(len: usize) -> Vec<u8> {
        (0..).flat_map(|i: u32| format!("{} ", i.wrapping_mul(2_654_435_761) % 997).into_bytes()).take(len).collect()
    }

    #[test]
    fn every_form_round_trips() {
        let data = b"hello hello hello hello hello".repeat(50);
        for encoding in PRECOMPRESSED {
            for compressed in [best(encoding, &data), quick(encoding, &data)] {
                assert!(decodes_to(encoding, &compressed, &data), "{encoding:?}");
                assert!(compressed.len() < data.len() / 5, "{encoding:?}: {}", compressed.len());
            }
        }
    }

    #[test]
    fn the_best_gzip_is_smaller_than_the_quick_one_for_small_and_large_files() {
        for data in [sample(4000), sample(LARGE_BYTES + 1000)] {
            let (best, quick) = (gzip_best(&data), gzip_quick(&data));
            assert!(best.len() < quick.len(), "{} bytes: {} vs {}", data.len(), best.len(), quick.len());
        }
    }

    #[test]
    fn a_sibling_is_fresh_only_when_it_holds_the_same_bytes() {
        let data = sample(3000);
        let gz = gzip_quick(&data);
        assert!(decodes_to(Encoding::Gzip, &gz, &data));
        assert!(!decodes_to(Encoding::Gzip, &gz, &data[..2999]), "longer content");
        assert!(!decodes_to(Encoding::Gzip, &gz, &[&data[..], b"x"].concat()), "shorter content");
        assert!(!decodes_to(Encoding::Brotli, &gz, &data), "not brotli");
        assert!(!decodes_to(Encoding::Gzip, b"garbage", &data));
    }

    #[test]
    fn siblings_are_named_after_their_file() {
        assert_eq!(sibling(Path::new("dist/a.wasm"), Encoding::Brotli), Path::new("dist/a.wasm.br"));
        assert_eq!(sibling(Path::new("dist/a.wasm"), Encoding::Gzip), Path::new("dist/a.wasm.gz"));
        assert_eq!(sibling_of("a.wasm.br"), Some("a.wasm"));
        assert_eq!(sibling_of("a/b.js.gz"), Some("a/b.js"));
        assert_eq!(sibling_of("a.wasm"), None);
    }
}
