//! Latency percentiles: nearest-rank over the full list of samples, no sampling or histograms.

use std::time::Duration;

/// The nearest-rank `p`th percentile of `sorted` (ascending): the smallest sample such that at least `p`
/// percent of the samples are at or below it. `p` is clamped to 0..=100; `p` 0 gives the smallest sample.
/// `None` when there are no samples.
pub fn nearest_rank<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    // p * n is exact for whole-number percentiles, so ranks like 99 of 100 do not drift to 100.
    let rank = (p.clamp(0.0, 100.0) * n as f64 / 100.0).ceil() as usize;
    Some(sorted[rank.clamp(1, n) - 1])
}

/// A summary of latency samples, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatencySummary {
    /// How many samples.
    pub count: usize,
    /// Median.
    pub p50_ms: Option<f64>,
    /// 90th percentile.
    pub p90_ms: Option<f64>,
    /// 99th percentile.
    pub p99_ms: Option<f64>,
    /// Slowest sample.
    pub max_ms: Option<f64>,
}

impl LatencySummary {
    /// Sorts `samples` and reads the percentiles off them.
    pub fn of(samples: &mut [Duration]) -> Self {
        samples.sort_unstable();
        let ms = |p| nearest_rank(samples, p).map(millis);
        Self { count: samples.len(), p50_ms: ms(50.0), p90_ms: ms(90.0), p99_ms: ms(99.0), max_ms: ms(100.0) }
    }
}

/// `d` in milliseconds, rounded to the microsecond.
pub fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_textbook_nearest_rank_examples() {
        let samples = [15, 20, 35, 40, 50];
        assert_eq!(nearest_rank(&samples, 5.0), Some(15));
        assert_eq!(nearest_rank(&samples, 30.0), Some(20));
        assert_eq!(nearest_rank(&samples, 40.0), Some(20));
        assert_eq!(nearest_rank(&samples, 50.0), Some(35));
        assert_eq!(nearest_rank(&samples, 100.0), Some(50));
        let samples = [3, 6, 7, 8, 8, 10, 13, 15, 16, 20];
        assert_eq!(nearest_rank(&samples, 25.0), Some(7));
        assert_eq!(nearest_rank(&samples, 50.0), Some(8));
        assert_eq!(nearest_rank(&samples, 75.0), Some(15));
        assert_eq!(nearest_rank(&samples, 100.0), Some(20));
    }

    #[test]
    fn whole_percent_ranks_do_not_drift() {
        let samples: Vec<u32> = (1..=100).collect();
        for p in 1..=100 {
            assert_eq!(nearest_rank(&samples, f64::from(p)), Some(p), "p{p}");
        }
        let samples: Vec<u32> = (1..=1000).collect();
        assert_eq!(nearest_rank(&samples, 99.0), Some(990));
        assert_eq!(nearest_rank(&samples, 99.9), Some(999));
        assert_eq!(nearest_rank(&samples, 90.0), Some(900));
    }

    #[test]
    fn edges_clamp_to_the_first_and_last_sample() {
        assert_eq!(nearest_rank::<u32>(&[], 50.0), None);
        assert_eq!(nearest_rank(&[7], 0.0), Some(7));
        assert_eq!(nearest_rank(&[7], 50.0), Some(7));
        assert_eq!(nearest_rank(&[7], 100.0), Some(7));
        assert_eq!(nearest_rank(&[1, 2], 0.0), Some(1));
        assert_eq!(nearest_rank(&[1, 2], 50.0), Some(1));
        assert_eq!(nearest_rank(&[1, 2], 50.1), Some(2));
        assert_eq!(nearest_rank(&[1, 2], -5.0), Some(1));
        assert_eq!(nearest_rank(&[1, 2], 250.0), Some(2));
    }

    #[test]
    fn summary_sorts_and_reports_milliseconds() {
        let mut samples: Vec<Duration> = (1..=100).rev().map(Duration::from_millis).collect();
        let summary = LatencySummary::of(&mut samples);
        assert_eq!(summary.count, 100);
        assert_eq!(summary.p50_ms, Some(50.0));
        assert_eq!(summary.p90_ms, Some(90.0));
        assert_eq!(summary.p99_ms, Some(99.0));
        assert_eq!(summary.max_ms, Some(100.0));
        assert_eq!(LatencySummary::of(&mut []).p50_ms, None);
        assert_eq!(millis(Duration::from_nanos(1_234_567)), 1.235);
    }
}
