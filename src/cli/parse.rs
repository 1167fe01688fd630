//! The grammars of the command line's values, one each: counts (`1000000`,
//! `1_000_000`, `1M`), durations (a number and its unit: `5ms`, `500µs`,
//! `0.01s`, `90s`, `5m`, `1h 30m`), backend names, and the launcher
//! command. Each returns a message for clap to print after the option's
//! name.

use std::time::Duration;

use gilfree::backend::BackendKind;
use gilfree::measure::Timeout;

/// `all` (the backends that need nothing but gilfree), or one backend's name.
pub(crate) fn parse_backends(value: &str) -> Result<Vec<BackendKind>, String> {
    // Launched engines (mpi) only when named: `all` needs no system package.
    if value.trim().eq_ignore_ascii_case("all") {
        return Ok(BackendKind::in_process().collect());
    }
    value
        .parse::<BackendKind>()
        .map(|kind| vec![kind])
        .map_err(|err| err.to_string())
}

/// The mpi backend's launcher: a program and its arguments.
#[cfg(feature = "mpi")]
#[derive(Debug, Clone)]
pub(crate) struct Launcher(pub(crate) Vec<String>);

/// The mpi backend's launcher kinds (`--launcher`).
#[cfg(feature = "mpi")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LauncherKind {
    /// OpenMPI's mpirun (or the command of --mpirun).
    Mpirun,
    /// Slurm's srun, with PMIx.
    Srun,
}

/// A launch deadline: a positive duration ([`parse_duration`]: `30s`, `2m`).
#[cfg(feature = "mpi")]
pub(crate) fn parse_launch_timeout(value: &str) -> Result<Duration, String> {
    let duration = parse_duration(value)?;
    if duration.is_zero() {
        return Err("the launch needs some time: give 30s, say".to_owned());
    }
    Ok(duration)
}

/// A launcher command, split as a shell splits words (quotes, backslashes),
/// at least one word.
#[cfg(feature = "mpi")]
pub(crate) fn parse_launcher(value: &str) -> Result<Launcher, String> {
    let words = shell_words::split(value)
        .map_err(|err| format!("cannot split it as a shell would: {err} (close every quote)"))?;
    if words.is_empty() {
        return Err(
            "give a launcher command, such as \"mpirun\" or \"mpiexec --mca …\"".to_owned(),
        );
    }
    Ok(Launcher(words))
}

/// The units a duration may take, each with its length in seconds: longest
/// spelling first, so that `ms` is not read as `m` followed by `s`.
const UNITS: [(&str, f64); 9] = [
    ("min", 60.0),
    ("ms", 1e-3),
    ("us", 1e-6),
    ("\u{b5}s", 1e-6),  // micro sign
    ("\u{3bc}s", 1e-6), // Greek mu
    ("ns", 1e-9),
    ("h", 3600.0),
    ("m", 60.0),
    ("s", 1.0),
];

/// A duration: one or more terms of a number (decimals allowed) and its
/// unit — `ns`, `us` (or `µs`, `μs`), `ms`, `s`, `m` (or `min`), `h` — as
/// in `5ms`, `0.01s`, `90s`, `1h 30m`. A number without a unit is refused:
/// `2` could mean two milliseconds or two seconds.
pub(crate) fn parse_duration(value: &str) -> Result<Duration, String> {
    let invalid = || {
        format!(
            "'{value}' is not a duration; give a number and its unit, like 5ms, 500us, 90s or 5m"
        )
    };
    let mut rest = value.trim();
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut seconds = 0.0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(digits);
        if number.is_empty() {
            return Err(invalid());
        }
        let number: f64 = number.parse().map_err(|_| invalid())?;
        let after = after.trim_start();
        let Some(&(unit, scale)) = UNITS.iter().find(|(unit, _)| after.starts_with(unit)) else {
            return Err(if after.is_empty() {
                format!("'{value}' needs a unit: {number}ms or {number}s, say")
            } else {
                invalid()
            });
        };
        seconds += number * scale;
        rest = after[unit.len()..].trim_start();
    }
    if !seconds.is_finite() || seconds > 1e12 {
        return Err(format!("'{value}' is too long a duration"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// The `gil` backend's switch interval: a positive [duration](parse_duration)
/// of at most an hour.
pub(crate) fn parse_interval(value: &str) -> Result<Duration, String> {
    let negative = value.trim_start().starts_with('-');
    let interval = parse_duration(value).ok().filter(|_| !negative);
    let interval = match interval {
        Some(interval) => interval,
        None if negative => {
            return Err(format!("'{value}': the switch interval must be positive"));
        }
        None => return parse_duration(value),
    };
    if interval.is_zero() {
        return Err(format!("'{value}': the switch interval must be positive"));
    }
    if interval > Duration::from_secs(3600) {
        return Err(format!("'{value}': the switch interval is at most an hour"));
    }
    Ok(interval)
}

/// `auto`, `none`, or a positive [duration](parse_duration).
pub(crate) fn parse_timeout(value: &str) -> Result<Timeout, String> {
    match value.trim() {
        "auto" => Ok(Timeout::Auto),
        "none" => Ok(Timeout::Never),
        trimmed if trimmed.starts_with('-') => {
            Err(format!("'{value}': the timeout must be positive (or none)"))
        }
        _ => {
            let duration =
                parse_duration(value).map_err(|err| format!("{err}; or auto, or none"))?;
            if duration.is_zero() {
                return Err(format!("'{value}': the timeout must be positive (or none)"));
            }
            Ok(Timeout::After(duration))
        }
    }
}

/// A count: digits, optionally grouped by single `_` between digits, and an
/// optional k/M/G suffix (either case); surrounding spaces are ignored.
pub(crate) fn parse_count(value: &str) -> Result<u64, String> {
    let invalid =
        || format!("'{value}' is not a whole number; use digits like 1000000, 1_000_000 or 1M");
    let trimmed = value.trim();
    let (digits, multiplier) = match trimmed.char_indices().last() {
        Some((i, 'k' | 'K')) => (&trimmed[..i], 1_000),
        Some((i, 'm' | 'M')) => (&trimmed[..i], 1_000_000),
        Some((i, 'g' | 'G')) => (&trimmed[..i], 1_000_000_000),
        _ => (trimmed, 1),
    };
    // Groups of digits joined by single underscores: no empty group.
    if digits
        .split('_')
        .any(|group| group.is_empty() || !group.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(invalid());
    }
    digits
        .replace('_', "")
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(multiplier))
        .ok_or_else(|| format!("'{value}' is larger than {}", u64::MAX))
}

/// A count that must fit in a `usize` (workers, runs, threads).
pub(crate) fn parse_usize(value: &str) -> Result<usize, String> {
    let n = parse_count(value)?;
    usize::try_from(n).map_err(|_| format!("'{value}' is larger than {}", usize::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn durations_are_a_number_and_its_unit() {
        let ok = |text: &str| parse_duration(text).unwrap();
        assert_eq!(ok("5ms"), Duration::from_millis(5));
        assert_eq!(ok("500us"), Duration::from_micros(500));
        assert_eq!(ok("500\u{b5}s"), Duration::from_micros(500));
        assert_eq!(ok("500\u{3bc}s"), Duration::from_micros(500));
        assert_eq!(ok("100ns"), Duration::from_nanos(100));
        assert_eq!(ok("0.01s"), Duration::from_millis(10));
        assert_eq!(ok("90s"), Duration::from_secs(90));
        assert_eq!(ok("5m"), Duration::from_secs(300));
        assert_eq!(ok("5min"), Duration::from_secs(300));
        assert_eq!(ok("1h 30m"), Duration::from_secs(5400));
        assert_eq!(ok(" 2 s "), Duration::from_secs(2));
        for bad in [
            "",
            "s",
            "fast",
            "1e400s",
            "NaNms",
            "-1ms",
            "1.2.3s",
            "5 parsecs",
            "1h x",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        // A bare number is ambiguous, so refused with what to write instead.
        assert_eq!(
            parse_duration("2").unwrap_err(),
            "'2' needs a unit: 2ms or 2s, say"
        );
    }

    #[test]
    fn switch_intervals_and_timeouts_share_the_grammar() {
        assert_eq!(parse_interval("5ms"), Ok(Duration::from_millis(5)));
        assert_eq!(parse_interval("0.01s"), Ok(Duration::from_millis(10)));
        for bad in ["0ms", "2h", "2"] {
            assert!(parse_interval(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_interval("-1ms").unwrap_err(),
            "'-1ms': the switch interval must be positive"
        );
        assert!(
            parse_timeout("-5s")
                .unwrap_err()
                .contains("must be positive")
        );
        assert_eq!(parse_timeout("auto"), Ok(Timeout::Auto));
        assert_eq!(parse_timeout("none"), Ok(Timeout::Never));
        assert_eq!(
            parse_timeout("1h 30m"),
            Ok(Timeout::After(Duration::from_secs(5400)))
        );
        assert!(parse_timeout("0s").is_err());
        assert!(
            parse_timeout("90")
                .unwrap_err()
                .ends_with("; or auto, or none")
        );
    }

    #[test]
    fn counts_accept_separators_and_suffixes() {
        assert_eq!(parse_count("1000000"), Ok(1_000_000));
        assert_eq!(parse_count("10_000_000"), Ok(10_000_000));
        assert_eq!(parse_count("1M"), Ok(1_000_000));
        assert_eq!(parse_count("250k"), Ok(250_000));
        assert_eq!(parse_count("2G"), Ok(2_000_000_000));
        assert_eq!(parse_count("0"), Ok(0));
        for bad in ["", "M", "-5", "1.5M", "ten", "1e6"] {
            assert!(parse_count(bad).is_err(), "{bad}");
        }
        assert!(parse_count("99999999999999999999").is_err());
        assert!(parse_count("18446744073709551615G").is_err());
    }

    proptest! {
        /// Counts parse exactly when they are digits (with `_`) and an optional suffix.
        #[test]
        fn counts_never_panic_and_round_trip(n in proptest::num::u64::ANY, text in "\\PC{0,24}") {
            prop_assert_eq!(parse_count(&n.to_string()), Ok(n));
            let _ = parse_count(&text);
        }

        /// Any text is a duration or an error, never a panic; every whole
        /// number of milliseconds reads back exactly.
        #[test]
        fn durations_never_panic_and_round_trip(ms in 0u64..1_000_000_000, text in "\\PC{0,24}") {
            prop_assert_eq!(parse_duration(&format!("{ms}ms")), Ok(Duration::from_millis(ms)));
            let _ = parse_duration(&text);
        }
    }
}
