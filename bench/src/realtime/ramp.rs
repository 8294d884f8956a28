//! The capacity ramp: after the standard run, the same traffic at rising rates, a few seconds each, until a
//! step's p99 reaches the bound or a delivery goes missing. The capacity is the most a target delivered per
//! second in a step that stayed under the bound: the figure the peer comparison uses.

use serde::Serialize;

/// One rate tried.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// Messages sent per second (offered).
    pub rate: f64,
    /// Deliveries per second received during the step.
    pub delivered_per_s: f64,
    /// Median send-to-receive latency of the step's messages.
    pub p50_ms: Option<f64>,
    /// 99th percentile of the same.
    pub p99_ms: Option<f64>,
    /// Deliveries of the step's messages that never arrived, plus refused sends.
    pub missing: u64,
    /// With several nodes: the deliveries a second to another node than the sender's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cross_delivered_per_s: Option<f64>,
    /// With several nodes: the p99 of those deliveries; the step holds only when it is under the bound too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cross_p99_ms: Option<f64>,
}

impl Step {
    /// Whether the step held: every delivery arrived and the p99 (and with several nodes the cross-node p99)
    /// stayed under `bound_ms`.
    pub fn held(&self, bound_ms: f64) -> bool {
        let cross_held = match self.cross_delivered_per_s {
            Some(_) => self.cross_p99_ms.is_some_and(|p99| p99 < bound_ms),
            None => true,
        };
        self.missing == 0 && self.p99_ms.is_some_and(|p99| p99 < bound_ms) && self.delivered_per_s > 0.0 && cross_held
    }
}

/// The best step that held, among the steps up to the first that did not (those after it do not count: a
/// target that lost its footing once is past its capacity).
pub fn capacity(steps: &[Step], bound_ms: f64) -> Option<&Step> {
    steps
        .iter()
        .take_while(|step| step.held(bound_ms))
        .max_by(|a, b| a.delivered_per_s.total_cmp(&b.delivered_per_s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(rate: f64, delivered: f64, p99: Option<f64>, missing: u64) -> Step {
        Step {
            rate,
            delivered_per_s: delivered,
            p50_ms: p99.map(|p| p / 4.0),
            p99_ms: p99,
            missing,
            cross_delivered_per_s: None,
            cross_p99_ms: None,
        }
    }

    #[test]
    fn capacity_is_the_best_step_before_the_first_failure() {
        let steps = [
            step(1000.0, 25_000.0, Some(12.0), 0),
            step(1500.0, 37_000.0, Some(30.0), 0),
            step(2000.0, 49_000.0, Some(80.0), 0),
            step(3000.0, 70_000.0, Some(20.0), 0),
        ];
        assert_eq!(capacity(&steps, 50.0).map(|s| s.rate), Some(1500.0));
        assert_eq!(capacity(&steps, 100.0).map(|s| s.rate), Some(3000.0));
        assert_eq!(capacity(&steps, 10.0), None);
    }

    #[test]
    fn a_step_with_missing_deliveries_or_no_samples_does_not_hold() {
        assert!(!step(1.0, 10.0, Some(1.0), 1).held(50.0));
        assert!(!step(1.0, 10.0, None, 0).held(50.0));
        assert!(!step(1.0, 0.0, Some(1.0), 0).held(50.0));
        assert!(!step(1.0, 10.0, Some(50.0), 0).held(50.0), "the bound is strict: under 50 ms");
        assert!(step(1.0, 10.0, Some(49.9), 0).held(50.0));
        let cross = |p99| Step { cross_delivered_per_s: Some(5.0), cross_p99_ms: p99, ..step(1.0, 10.0, Some(10.0), 0) };
        assert!(cross(Some(49.0)).held(50.0));
        assert!(!cross(Some(60.0)).held(50.0), "the cross-node p99 is held to the bound too");
        assert!(!cross(None).held(50.0));
    }
}
