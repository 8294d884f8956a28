//! What a scenario hands back: its figures, and the checks that failed.

use serde_json::{Number, Value};

/// The result of one scenario run.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The figures as one line of JSON (an object), printed as the last line of stdout.
    pub figures: String,
    /// Why the run failed, one sentence each; empty when every check passed.
    pub failures: Vec<String>,
}

/// `x` as a JSON number: a whole number without a fraction (`10`, not `10.0`), otherwise rounded to `decimals`.
pub fn number(x: f64, decimals: i32) -> Value {
    if x.is_finite() && x.fract() == 0.0 && x.abs() < 1e15 {
        return Value::from(x as i64);
    }
    let scale = 10f64.powi(decimals);
    Number::from_f64((x * scale).round() / scale).map_or(Value::Null, Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_print_without_a_fraction() {
        assert_eq!(number(10.0, 1).to_string(), "10");
        assert_eq!(number(1234.5678, 1).to_string(), "1234.6");
        assert_eq!(number(0.25, 3).to_string(), "0.25");
        assert_eq!(number(f64::NAN, 1), Value::Null);
    }
}
