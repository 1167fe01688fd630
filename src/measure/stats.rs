//! Summary statistics over a backend's measured runs, and the tests that
//! decide whether two sets of runs differ. Pure functions.
//!
//! Run times are few (5 to 20), skewed (a run can only be slowed down) and
//! sometimes disturbed, so everything here is distribution-free or robust:
//! medians, confidence intervals for a median from order statistics, a
//! bootstrap interval for a ratio of medians, and the Mann–Whitney U test
//! (as Go's benchstat uses it) for "did it change?".

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

/// Each value's distance from the median (`None` when there are none); the
/// median of these is the MAD.
fn absolute_deviations(values: &[f64]) -> Option<Vec<f64>> {
    let center = median(values)?;
    Some(values.iter().map(|v| (v - center).abs()).collect())
}

/// The confidence level of every interval and test here: 95 %.
pub const CONFIDENCE: f64 = 0.95;

/// A distribution-free confidence interval for the median of the
/// population `values` were drawn from: the order statistics
/// `[x(j), x(n−j+1)]` with the largest `j` whose coverage,
/// `1 − 2·P(Binomial(n, ½) < j)`, is still at least `confidence`. It
/// assumes nothing of the distribution's shape. `None` when there are too
/// few values to reach `confidence` at all (fewer than 6 for 95 %).
pub fn median_interval(values: &[f64], confidence: f64) -> Option<(f64, f64)> {
    let n = values.len();
    let j = median_interval_rank(n, confidence)?;
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    Some((sorted[j - 1], sorted[n - j]))
}

/// The `j` of [`median_interval`] for `n` values: the largest `j ≤ n / 2`
/// with `2·P(Binomial(n, ½) < j) ≤ 1 − confidence`, or `None` when even
/// `j = 1` is too narrow.
///
/// The binomial's terms are summed in log space: `½ⁿ` itself underflows an
/// `f64` from n = 1075 on (and loses precision from n = 1023), which once
/// collapsed the interval to the two middle values. The sum starts 12
/// standard deviations below the mean, `n/2 − 6√n`: everything below holds
/// less than 10⁻³² of the mass, far under an `f64`'s precision of the sum
/// near `1 − confidence`, so each `n` costs about `6√n` steps.
pub fn median_interval_rank(n: usize, confidence: f64) -> Option<usize> {
    let alpha = 1.0 - confidence;
    if alpha.is_nan() || alpha <= 0.0 {
        return None;
    }
    let half = n / 2;
    // Skipping the far tail is safe only for a level far above its mass.
    let first = if alpha > 1e-20 {
        (n as f64 / 2.0 - 6.0 * (n as f64).sqrt()).floor().max(0.0) as usize
    } else {
        0
    };
    // ln P(B = k) for B ~ Binomial(n, 1/2), from k = first on.
    let mut ln_term = ln_choose(n, first) - n as f64 * std::f64::consts::LN_2;
    let mut below = 0.0; // P(B ≤ k) as k grows
    let mut j = 0;
    for k in first..half {
        below += ln_term.exp();
        if 2.0 * below > alpha {
            break;
        }
        j = k + 1;
        ln_term += ((n - k) as f64 / (k + 1) as f64).ln();
    }
    (j > 0).then_some(j)
}

/// ln C(n, k), from [`ln_factorial`].
fn ln_choose(n: usize, k: usize) -> f64 {
    ln_factorial(n) - ln_factorial(k) - ln_factorial(n - k)
}

/// ln(m!): summed exactly below 256; above, Stirling's series to the
/// m⁻⁵ term, whose error (below 1/(1680·m⁷)) is far under the rounding of
/// `m·ln m`.
fn ln_factorial(m: usize) -> f64 {
    if m < 256 {
        return (2..=m).map(|i| (i as f64).ln()).sum();
    }
    let x = m as f64;
    let inverse = 1.0 / x;
    let inverse2 = inverse * inverse;
    x * x.ln() - x
        + 0.5 * (2.0 * std::f64::consts::PI * x).ln()
        + inverse * (1.0 / 12.0 - inverse2 * (1.0 / 360.0 - inverse2 / 1260.0))
}

/// A bootstrap confidence interval for `median(a) / median(b)`: both
/// samples are resampled with replacement `resamples` times, and the
/// interval is the central `confidence` of the ratios (percentile method,
/// as criterion does). The resampling is seeded, so the same runs give the
/// same interval. `None` unless each sample has at least 3 values (fewer
/// cannot show their own spread) and `b`'s median is positive.
pub fn ratio_interval(a: &[f64], b: &[f64], confidence: f64) -> Option<(f64, f64)> {
    const RESAMPLES: usize = 2000;
    if a.len() < 3 || b.len() < 3 {
        return None;
    }
    use rand::{Rng, SeedableRng};
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(0x0067_696c_6672_6565);
    let mut pick = |values: &[f64], scratch: &mut Vec<f64>| {
        scratch.clear();
        let n = values.len() as u64;
        // Lemire's multiply-shift: the bias for n ≤ 10,000 is below 1e-15.
        scratch
            .extend((0..n).map(|_| values[((rng.next_u64() as u128 * n as u128) >> 64) as usize]));
        median_in_place(scratch)
    };
    let (mut sa, mut sb) = (Vec::new(), Vec::new());
    let mut ratios: Vec<f64> = (0..RESAMPLES)
        .filter_map(|_| {
            let (ma, mb) = (pick(a, &mut sa), pick(b, &mut sb));
            (mb > 0.0).then(|| ma / mb)
        })
        .collect();
    if ratios.len() < RESAMPLES / 2 {
        return None;
    }
    ratios.sort_by(f64::total_cmp);
    let tail = (1.0 - confidence) / 2.0;
    let at = |q: f64| ratios[((ratios.len() - 1) as f64 * q).round() as usize];
    Some((at(tail), at(1.0 - tail)))
}

/// The median of `values`, reordering them (linear time).
fn median_in_place(values: &mut [f64]) -> f64 {
    let n = values.len();
    let mid = n / 2;
    let (_, upper, _) = values.select_nth_unstable_by(mid, f64::total_cmp);
    let upper = *upper;
    if n % 2 == 1 {
        upper
    } else {
        let lower = values[..mid]
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        (lower + upper) / 2.0
    }
}

/// The outcome of a two-sided Mann–Whitney U test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UTest {
    /// The U statistic of the first sample: how many (a, b) pairs have
    /// a > b, ties counting one half.
    pub u: f64,
    /// The two-sided p-value: the probability of a U at least this far
    /// from its mean if both samples came from one distribution.
    pub p_value: f64,
    /// The smallest p-value these sample sizes can produce at all:
    /// `2 / C(n_a + n_b, n_a)`. Above the significance level, no difference
    /// can be found, whatever the runs.
    pub smallest_p: f64,
    /// Whether the p-value is exact (small samples without ties) or from
    /// the normal approximation with the tie correction.
    pub exact: bool,
}

/// The Mann–Whitney U test of `a` against `b`, two-sided: are the values of
/// one sample systematically larger than the other's? It uses only their
/// order, so a skewed distribution or one wild run does not sway it. Exact
/// for `a.len() + b.len() ≤ 50` without ties, else the normal
/// approximation with the tie and continuity corrections. `None` when a
/// sample is empty.
pub fn mann_whitney(a: &[f64], b: &[f64]) -> Option<UTest> {
    let (m, n) = (a.len(), b.len());
    if m == 0 || n == 0 {
        return None;
    }
    let mut u: f64 = 0.0;
    for x in a {
        for y in b {
            u += match x.total_cmp(y) {
                std::cmp::Ordering::Greater => 1.0,
                std::cmp::Ordering::Equal => 0.5,
                std::cmp::Ordering::Less => 0.0,
            };
        }
    }
    let mut all: Vec<f64> = a.iter().chain(b).copied().collect();
    all.sort_by(f64::total_cmp);
    let ties: Vec<usize> = all
        .chunk_by(|x, y| x == y)
        .map(<[f64]>::len)
        .filter(|&t| t > 1)
        .collect();
    let smallest_p = (2.0 / binomial(m + n, m)).min(1.0);
    let mean = (m * n) as f64 / 2.0;
    if ties.is_empty() && m + n <= 50 {
        // P(U ≤ k) from the exact distribution; two-sided by symmetry.
        let counts = u_distribution(m, n);
        let total: f64 = counts.iter().sum();
        let low = u.min((m * n) as f64 - u) as usize;
        let tail = counts[..=low].iter().sum::<f64>() / total;
        return Some(UTest {
            u,
            p_value: (2.0 * tail).min(1.0),
            smallest_p,
            exact: true,
        });
    }
    let size = (m + n) as f64;
    let tie_term: f64 = ties.iter().map(|&t| (t * t * t - t) as f64).sum();
    let variance = (m * n) as f64 / 12.0 * ((size + 1.0) - tie_term / (size * (size - 1.0)));
    let p_value = if variance <= 0.0 {
        1.0
    } else {
        let z = ((u - mean).abs() - 0.5).max(0.0) / variance.sqrt();
        (2.0 * normal_upper_tail(z)).min(1.0)
    };
    Some(UTest {
        u,
        p_value,
        smallest_p,
        exact: false,
    })
}

/// How many orderings of `m` values of one sample and `n` of another give
/// each U from 0 to m·n (the coefficients of the Gaussian binomial
/// coefficient), by the recurrence f(m, n; u) = f(m−1, n; u−n) + f(m, n−1; u).
fn u_distribution(m: usize, n: usize) -> Vec<f64> {
    // table[j] = distribution for (i, j) as i grows row by row.
    let mut table: Vec<Vec<f64>> = (0..=n).map(|_| vec![1.0]).collect();
    for i in 1..=m {
        let mut row: Vec<Vec<f64>> = Vec::with_capacity(n + 1);
        row.push(vec![1.0]); // (i, 0): U is 0 whatever the order
        for j in 1..=n {
            let mut f = vec![0.0; i * j + 1];
            // (i−1, j) shifted by j: the largest value is the first sample's.
            for (u, c) in table[j].iter().enumerate() {
                f[u + j] += c;
            }
            // (i, j−1): the largest value is the second sample's.
            for (u, c) in row[j - 1].iter().enumerate() {
                f[u] += c;
            }
            row.push(f);
        }
        table = row;
    }
    table.swap_remove(n)
}

/// C(n, k) as a float.
fn binomial(n: usize, k: usize) -> f64 {
    let k = k.min(n - k);
    (0..k).fold(1.0, |c, i| c * (n - i) as f64 / (i + 1) as f64)
}

/// P(Z > z) for a standard normal Z (Abramowitz and Stegun 7.1.26 through
/// erfc; absolute error below 1.5e-7).
fn normal_upper_tail(z: f64) -> f64 {
    let x = z / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs());
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erfc = poly * (-x * x).exp();
    let erfc = if x >= 0.0 { erfc } else { 2.0 - erfc };
    erfc / 2.0
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

    #[test]
    fn the_median_interval_uses_order_statistics() {
        // n = 6: [x1, x6] covers 1 − 2/64 = 96.9 %; [x2, x5] only 78 %.
        let v = [6.0, 1.0, 5.0, 2.0, 4.0, 3.0];
        assert_eq!(median_interval(&v, 0.95), Some((1.0, 6.0)));
        // Five values cannot reach 95 % (the widest covers 93.75 %).
        assert_eq!(median_interval(&v[..5], 0.95), None);
        // n = 20: j = 6, coverage 95.9 % (R: qbinom(0.025, 20, 0.5) = 6).
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(median_interval(&v, 0.95), Some((6.0, 15.0)));
    }

    #[test]
    fn the_exact_u_distribution_matches_hand_counts() {
        // m = n = 2: the 6 orderings give U = 0, 1, 2, 2, 3, 4.
        assert_eq!(u_distribution(2, 2), vec![1.0, 1.0, 2.0, 1.0, 1.0]);
        assert_eq!(u_distribution(1, 3), vec![1.0; 4]);
        assert_eq!(u_distribution(3, 4).iter().sum::<f64>(), 35.0);
    }

    #[test]
    fn mann_whitney_separates_shifted_samples_only() {
        // Completely separated 5 + 5: the smallest p, 2/252.
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        let b = [6.0, 7.0, 8.0, 9.0, 10.0];
        let t = mann_whitney(&a, &b).unwrap();
        assert_eq!(t.u, 0.0);
        assert!(t.exact);
        assert!((t.p_value - 2.0 / 252.0).abs() < 1e-12);
        assert!((t.smallest_p - 2.0 / 252.0).abs() < 1e-12);
        // Interleaved: nothing to see.
        let c = [1.5, 3.5, 5.5, 7.5, 9.5];
        let d = [1.0, 4.0, 5.0, 8.0, 9.0];
        assert!(mann_whitney(&c, &d).unwrap().p_value > 0.5);
        // With ties (3 and 5 in both): the normal approximation. U = 7,
        // tie-corrected variance 65.21, z = (|7 − 24.5| − 0.5) / √65.21 =
        // 2.1770, two-sided p = erfc(z/√2) = 0.02948 (worked by hand with
        // Python's math.erfc).
        let e = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
        let f = [3.0, 5.0, 8.0, 9.0, 10.0, 11.0, 12.0];
        let t = mann_whitney(&e, &f).unwrap();
        assert_eq!(t.u, 7.0);
        assert!(!t.exact);
        assert!((t.p_value - 0.029_48).abs() < 1e-4, "{}", t.p_value);
        // 3 + 3 runs can never reach p < 0.05.
        assert!((mann_whitney(&a[..3], &b[..3]).unwrap().smallest_p - 0.1).abs() < 1e-12);
    }

    #[test]
    fn the_normal_tail_is_accurate() {
        assert!((normal_upper_tail(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_upper_tail(1.959_964) - 0.025).abs() < 1e-6);
        assert!((normal_upper_tail(-1.0) - 0.841_344_7).abs() < 1e-6);
    }

    #[test]
    fn the_ratio_interval_brackets_the_ratio_and_is_repeatable() {
        let a = [2.0, 2.1, 1.9, 2.05, 1.95];
        let b = [1.0, 1.02, 0.98, 1.01, 0.99];
        let (lo, hi) = ratio_interval(&a, &b, 0.95).unwrap();
        assert!(lo < 2.0 && 2.0 < hi && lo > 1.8 && hi < 2.2, "{lo} {hi}");
        assert_eq!(ratio_interval(&a, &b, 0.95), Some((lo, hi)));
        assert_eq!(ratio_interval(&a[..2], &b, 0.95), None);
        // Identical runs: no spread, so the interval is the point.
        assert_eq!(ratio_interval(&[1.0; 4], &[0.5; 4], 0.95), Some((2.0, 2.0)));
    }
}
