//! Formatting shared by every view: durations, rates, grouped digits,
//! aligned table rows, and the colors of the pictures.

use std::time::Duration;

use crate::kernel::{Generator, Simd};

/// The generator's name, with the SIMD path it is drawn through when it has
/// paths: `xoshiro256++x8 [avx2]`, `python`.
pub fn generator_label(generator: Generator, simd: Option<Simd>) -> String {
    match simd {
        Some(simd) if generator.has_simd_paths() => format!("{} [{simd}]", generator.name()),
        _ => generator.name().to_owned(),
    }
}

/// Appends one row of an aligned table: the first cell left-aligned, the
/// others right-aligned, each padded to its column's width.
pub(crate) fn row_in(out: &mut String, cells: &[String], columns: &[(&str, usize)]) {
    for (i, (cell, (_, width))) in cells.iter().zip(columns).enumerate() {
        let pad = width.saturating_sub(cell.chars().count());
        if i == 0 {
            out.push_str(cell);
            out.push_str(&" ".repeat(pad));
        } else {
            out.push_str("  ");
            out.push_str(&" ".repeat(pad));
            out.push_str(cell);
        }
    }
    // No trailing spaces.
    let trimmed = out.trim_end_matches(' ').len();
    out.truncate(trimmed);
    out.push('\n');
}

/// `lo–hi` with `decimals` decimals and `unit` after it, or a single value
/// when both print the same: never "162–162%".
pub(crate) fn span(lo: f64, hi: f64, decimals: usize, unit: &str) -> String {
    let (a, b) = (format!("{lo:.decimals$}"), format!("{hi:.decimals$}"));
    if a == b {
        format!("{a}{unit}")
    } else {
        format!("{a}–{b}{unit}")
    }
}

/// The smallest and the largest of `values`, or `None` when there are none.
pub(crate) fn bounds(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values.into_iter().fold(None, |acc, x| match acc {
        None => Some((x, x)),
        Some((lo, hi)) => Some((lo.min(x), hi.max(x))),
    })
}

/// A duration to two significant figures, in s, min or h: for estimates.
pub(crate) fn duration_rough(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 10.0 {
        format!("{:.1} s", secs)
    } else if secs < 100.0 {
        format!("{:.0} s", secs)
    } else if secs < 6000.0 {
        format!("{:.0} min", secs / 60.0)
    } else {
        format!("{:.1} h", secs / 3600.0)
    }
}

/// A duration with three or four significant digits and a unit that fits.
pub fn duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if d.is_zero() {
        "0".to_owned()
    } else if secs >= 1.0 {
        format!("{secs:.3} s")
    } else if secs >= 1e-3 {
        format!("{:.2} ms", secs * 1e3)
    } else {
        format!("{:.1} µs", secs * 1e6)
    }
}

/// A rate in numbers per second with an SI prefix: `1.92 G/s`.
pub fn rate(per_second: f64) -> String {
    let (value, prefix) = if per_second >= 1e9 {
        (per_second / 1e9, "G")
    } else if per_second >= 1e6 {
        (per_second / 1e6, "M")
    } else if per_second >= 1e3 {
        (per_second / 1e3, "k")
    } else {
        (per_second, "")
    };
    format!("{value:.2} {prefix}/s")
}

pub use crate::text::group_digits;

/// Half of `twice`, exactly: grouped digits, with `.5` when `twice` is odd
/// (an expected total).
pub(crate) fn group_half(twice: i128) -> String {
    let whole = twice / 2; // towards zero
    let grouped = group_digits(whole);
    if twice % 2 == 0 {
        grouped
    } else {
        let sign = if twice < 0 && whole == 0 { "-" } else { "" };
        format!("{sign}{grouped}.5")
    }
}

/// Bytes as megabytes with one decimal: `4.6 MB`.
pub(crate) fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// A size in bytes in the unit that reads best, to two or three
/// significant digits: `72 B`, `8 kB`, `1.5 MB`, `400 MB`, `1.2 GB`.
pub(crate) fn bytes(bytes: u64) -> String {
    let b = bytes as f64;
    let (value, unit) = if b < 1e3 {
        return format!("{bytes} B");
    } else if b < 1e6 {
        (b / 1e3, "kB")
    } else if b < 1e9 {
        (b / 1e6, "MB")
    } else {
        (b / 1e9, "GB")
    };
    // One decimal below 10 units, none from there; no trailing `.0`.
    let digits = if value < 9.95 {
        format!("{value:.1}")
    } else {
        format!("{value:.0}")
    };
    format!("{} {unit}", digits.strip_suffix(".0").unwrap_or(&digits))
}

/// A rate in bytes per second: `12.3 GB/s`, `850 MB/s`.
pub(crate) fn bytes_rate(bytes_per_second: f64) -> String {
    if bytes_per_second >= 1e9 {
        format!("{:.1} GB/s", bytes_per_second / 1e9)
    } else {
        format!("{:.0} MB/s", bytes_per_second / 1e6)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_read_in_their_best_unit_to_two_or_three_digits() {
        for (n, want) in [
            (72, "72 B"),
            (8_000, "8 kB"),
            (100_000, "100 kB"),
            (160_000, "160 kB"),
            (1_000_000, "1 MB"),
            (1_500_000, "1.5 MB"),
            (9_960_000, "10 MB"),
            (400_000_000, "400 MB"),
            (1_234_000_000, "1.2 GB"),
            (64_000_000_000, "64 GB"),
        ] {
            assert_eq!(super::bytes(n), want, "{n}");
        }
    }

    use super::*;
    use std::time::Duration;

    #[test]
    fn digits_are_grouped_in_threes() {
        assert_eq!(group_digits(0), "0");
        assert_eq!(group_digits(999), "999");
        assert_eq!(group_digits(1000), "1,000");
        assert_eq!(group_digits(-404_002_118), "-404,002,118");
        assert_eq!(group_half(808_000_000), "404,000,000");
        assert_eq!(group_half(5), "2.5");
        assert_eq!(group_half(-1), "-0.5");
        assert_eq!(group_half(-3), "-1.5");
        // Beyond f64's 2^53: exact to the last digit.
        assert_eq!(
            group_half(2 * 9_007_199_254_740_993),
            "9,007,199,254,740,993"
        );
        assert_eq!(
            group_half(i128::from(i64::MAX) * 2 + 1),
            "9,223,372,036,854,775,807.5"
        );
    }

    #[test]
    fn durations_and_rates_pick_a_unit() {
        assert_eq!(duration(Duration::ZERO), "0");
        assert_eq!(duration(Duration::from_micros(12)), "12.0 µs");
        assert_eq!(duration(Duration::from_micros(4_210)), "4.21 ms");
        assert_eq!(duration(Duration::from_millis(1_660)), "1.660 s");
        assert_eq!(rate(1.92e9), "1.92 G/s");
        assert_eq!(rate(512.0), "512.00 /s");
    }

    #[test]
    fn a_span_collapses_when_both_ends_print_the_same() {
        assert_eq!(span(1.618, 1.622, 0, "%"), "2%");
        assert_eq!(span(162.0, 162.4, 0, "%"), "162%");
        assert_eq!(span(0.98, 1.88, 2, "×"), "0.98–1.88×");
        assert_eq!(bounds([3.0, 1.0, 2.0]), Some((1.0, 3.0)));
        assert_eq!(bounds([]), None);
    }
}
