//! Summary statistics over a backend's measured runs. Pure functions.

/// The median of `values` (the mean of the two middle values for an even
/// count), or `None` when there are none.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    Some(if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    })
}

/// The arithmetic mean, or `None` when there are no values.
pub fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        None
    } else {
        Some(values.iter().sum::<f64>() / values.len() as f64)
    }
}

/// The sample standard deviation (n − 1 in the denominator), or `None` for
/// fewer than two values.
pub fn std_dev(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let m = mean(values)?;
    let squares: f64 = values.iter().map(|v| (v - m) * (v - m)).sum();
    Some((squares / (values.len() - 1) as f64).sqrt())
}

/// The smallest value, or `None` when there are none.
pub fn min(values: &[f64]) -> Option<f64> {
    values.iter().copied().min_by(f64::total_cmp)
}

/// The largest value, or `None` when there are none.
pub fn max(values: &[f64]) -> Option<f64> {
    values.iter().copied().max_by(f64::total_cmp)
}

/// A value is an outlier when it lies more than this many median absolute
/// deviations (MAD) from the median: ten standard deviations, each estimated
/// robustly as 1.4826 × MAD. hyperfine's threshold, on Iglewicz and Hoaglin's
/// modified Z-score.
pub const OUTLIER_THRESHOLD: f64 = 1.4826 * 10.0;

/// How many of `values` are outliers by [`OUTLIER_THRESHOLD`]. With a median
/// absolute deviation of zero (most values equal) nothing counts as one.
pub fn outliers(values: &[f64]) -> usize {
    let Some(deviations) = absolute_deviations(values) else {
        return 0;
    };
    let mad = median(&deviations).unwrap_or(0.0);
    if mad == 0.0 {
        return 0;
    }
    deviations
        .iter()
        .filter(|d| **d / mad > OUTLIER_THRESHOLD)
        .count()
}

/// A robust standard deviation: 1.4826 × the median absolute deviation,
/// which equals σ for normally distributed values but, unlike the sample
/// standard deviation, is not blown up by one disturbed run. `None` when
/// there are no values.
pub fn robust_std_dev(values: &[f64]) -> Option<f64> {
    Some(1.4826 * median(&absolute_deviations(values)?)?)
}

/// Each value's distance from the median (`None` when there are none); the
/// median of these is the MAD.
fn absolute_deviations(values: &[f64]) -> Option<Vec<f64>> {
    let center = median(values)?;
    Some(values.iter().map(|v| (v - center).abs()).collect())
}

/// The ratio `a / b` of two central values, with its standard deviation
/// propagated to first order from each sample's relative spread (as
/// hyperfine computes the "±" of "ran N times faster"). `a` and `b` are
/// `(central value, spread)`; `None` when `b`'s central value is not positive.
pub fn ratio_with_error(a: (f64, f64), b: (f64, f64)) -> Option<(f64, f64)> {
    let relative = |(center, spread): (f64, f64)| {
        if center > 0.0 { spread / center } else { 0.0 }
    };
    (b.0 > 0.0).then(|| {
        let ratio = a.0 / b.0;
        (ratio, ratio * relative(a).hypot(relative(b)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_far_away_values_are_outliers() {
        assert_eq!(outliers(&[]), 0);
        assert_eq!(outliers(&[1.0, 1.0, 1.0, 9.0]), 0, "MAD 0: undecidable");
        assert_eq!(outliers(&[10.0, 10.2, 9.9, 10.1, 10.0]), 0);
        // Median 10.05, MAD 0.1 → σ ≈ 0.148; 11.3 is 1.25 away, 8.4 σ: not ten.
        assert_eq!(outliers(&[10.0, 10.1, 9.9, 10.1, 9.9, 11.3]), 0);
        assert_eq!(outliers(&[10.0, 10.1, 9.9, 10.1, 9.9, 30.0]), 1);
    }

    #[test]
    fn ratio_errors_add_in_quadrature() {
        let (r, e) = ratio_with_error((20.0, 2.0), (10.0, 0.0)).unwrap();
        assert_eq!(r, 2.0);
        assert!((e - 0.2).abs() < 1e-12);
        let (_, e) = ratio_with_error((20.0, 2.0), (10.0, 1.0)).unwrap();
        assert!((e - 2.0 * 0.02f64.sqrt()).abs() < 1e-12);
        assert!(ratio_with_error((1.0, 0.0), (0.0, 0.0)).is_none());
    }

    #[test]
    fn the_robust_spread_ignores_one_wild_value() {
        assert_eq!(robust_std_dev(&[]), None);
        assert_eq!(robust_std_dev(&[5.0]), Some(0.0));
        // MAD of [1, 2, 3, 4, 100] around 3 is 1.
        assert!((robust_std_dev(&[1.0, 2.0, 3.0, 4.0, 100.0]).unwrap() - 1.4826).abs() < 1e-12);
    }

    #[test]
    fn the_median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[7.0]), Some(7.0));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn mean_and_sample_standard_deviation() {
        let v = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        assert_eq!(mean(&v), Some(5.0));
        // Sum of squared deviations is 32; 32 / 7.
        assert!((std_dev(&v).unwrap() - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
        assert_eq!(std_dev(&[1.0]), None);
    }

    #[test]
    fn min_and_max() {
        assert_eq!(min(&[3.0, -1.0, 2.0]), Some(-1.0));
        assert_eq!(max(&[3.0, -1.0, 2.0]), Some(3.0));
        assert_eq!(max(&[]), None);
    }
}
