//! What an upload is, read from its bytes and never from its name or the client's word: [`sniff`] reads the
//! type from the first bytes, [`probe`] reads containers (tracks and picture size of MP4 and WebM), and
//! [`image`] re-encodes photos without their metadata and makes thumbnails. Everything here parses untrusted
//! input: it never panics, and bounds the work a crafted file can cause.

pub mod image;
pub mod probe;
pub mod sniff;

pub use self::image::{process_image, thumbnail_from_image, ImageError, ImageFacts, ImageLimits};
pub use probe::{probe, Probed};
pub use sniff::{sniff, Sniffed};
