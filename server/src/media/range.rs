//! The `Range` header of a download (RFC 9110 §14): one range of bytes, as players ask for audio and video.
//! Several ranges in one header are answered whole (200), as servers may.

/// What a `Range` header asks of a file of `size` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asked {
    /// The whole file (no header, a unit other than bytes, or several ranges).
    Whole,
    /// Bytes `start..end` (end exclusive, within the file).
    Part {
        /// First byte.
        start: u64,
        /// One past the last byte.
        end: u64,
    },
    /// A range that lies outside the file: 416.
    Unsatisfiable,
}

/// Reads `header` (the `Range` value, if any) for a file of `size` bytes.
pub fn asked(header: Option<&str>, size: u64) -> Asked {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else { return Asked::Whole };
    if spec.contains(',') {
        return Asked::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else { return Asked::Unsatisfiable };
    let number = |text: &str| text.trim().parse::<u64>().ok();
    let (start, end) = match (first.trim().is_empty(), last.trim().is_empty()) {
        // `-N`: the last N bytes.
        (true, false) => match number(last) {
            Some(0) | None => return Asked::Unsatisfiable,
            Some(n) => (size.saturating_sub(n), size),
        },
        // `N-`: from N to the end.
        (false, true) => match number(first) {
            Some(start) => (start, size),
            None => return Asked::Unsatisfiable,
        },
        // `N-M`: N to M inclusive, M cut to the file.
        (false, false) => match (number(first), number(last)) {
            (Some(start), Some(last)) if last >= start => (start, last.saturating_add(1).min(size)),
            _ => return Asked::Unsatisfiable,
        },
        (true, true) => return Asked::Unsatisfiable,
    };
    match start < size {
        true => Asked::Part { start, end },
        false => Asked::Unsatisfiable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_ranges_are_read_as_players_send_them() {
        assert_eq!(asked(None, 100), Asked::Whole);
        assert_eq!(asked(Some("bytes=0-"), 100), Asked::Part { start: 0, end: 100 });
        assert_eq!(asked(Some("bytes=10-19"), 100), Asked::Part { start: 10, end: 20 });
        assert_eq!(asked(Some("bytes=90-500"), 100), Asked::Part { start: 90, end: 100 });
        assert_eq!(asked(Some("bytes=-10"), 100), Asked::Part { start: 90, end: 100 });
        assert_eq!(asked(Some("bytes=-500"), 100), Asked::Part { start: 0, end: 100 });
        assert_eq!(asked(Some("bytes=0-1,5-6"), 100), Asked::Whole);
        assert_eq!(asked(Some("items=0-1"), 100), Asked::Whole);
        for bad in ["bytes=100-", "bytes=20-10", "bytes=-0", "bytes=x-y", "bytes=-", "bytes=5"] {
            assert_eq!(asked(Some(bad), 100), Asked::Unsatisfiable, "{bad}");
        }
    }
}
