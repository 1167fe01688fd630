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
const UNITS: [(&str, u128); 9] = [
    ("min", 60 * NANOS_PER_SECOND),
    ("ms", 1_000_000),
    ("us", 1_000),
    ("\u{b5}s", 1_000),  // micro sign
    ("\u{3bc}s", 1_000), // Greek mu
    ("ns", 1),
    ("h", 3600 * NANOS_PER_SECOND),
    ("m", 60 * NANOS_PER_SECOND),
    ("s", NANOS_PER_SECOND),
];

const NANOS_PER_SECOND: u128 = 1_000_000_000;

/// The longest duration taken: 10¹² s (about 31,700 years).
const MAX_DURATION_NANOS: u128 = 1_000_000_000_000 * NANOS_PER_SECOND;

/// `number` (digits, at most one `.`) times `unit` nanoseconds, exactly in
/// integers (a fraction finer than a nanosecond is dropped), or `None` when
/// it is no such number or beyond [`MAX_DURATION_NANOS`].
fn scaled(number: &str, unit: u128) -> Option<u128> {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if (whole.is_empty() && fraction.is_empty())
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut nanos = whole.checked_mul(unit)?;
    let mut place = unit;
    for digit in fraction.bytes() {
        place /= 10;
        nanos += u128::from(digit - b'0') * place;
    }
    (nanos <= MAX_DURATION_NANOS).then_some(nanos)
}

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
    // Exact: in integer nanoseconds, so that `1h 30ms` is 3600.03 s to
    // the nanosecond (a sum of floats was not).
    let mut nanos: u128 = 0;
    let too_long = || format!("'{value}' is too long a duration");
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(digits);
        if number.is_empty() || number.matches('.').count() > 1 || number == "." {
            return Err(invalid());
        }
        let after = after.trim_start();
        let Some(&(unit, scale)) = UNITS.iter().find(|(unit, _)| after.starts_with(unit)) else {
            return Err(if after.is_empty() {
                format!("'{value}' needs a unit: {number}ms or {number}s, say")
            } else {
                invalid()
            });
        };
        nanos = nanos
            .checked_add(scaled(number, scale).ok_or_else(too_long)?)
            .filter(|&n| n <= MAX_DURATION_NANOS)
            .ok_or_else(too_long)?;
        rest = after[unit.len()..].trim_start();
    }
    let seconds = u64::try_from(nanos / NANOS_PER_SECOND).map_err(|_| too_long())?;
    Ok(Duration::new(seconds, (nanos % NANOS_PER_SECOND) as u32))
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

    /// A value refused by a parser of the number and duration grammars:
    /// its message quotes it (clap adds the flag; `cli::parse` escapes
    /// what it quotes and cuts it to one line, exit 2).
    fn refused_naming(
        result: Result<impl std::fmt::Debug, String>,
        value: &str,
    ) -> Result<(), TestCaseError> {
        if let Err(message) = result {
            prop_assert!(
                message.contains(value.trim()) || message.contains(value),
                "{} for {:?}",
                message,
                value
            );
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(gilfree::fault::fuzz_cases(1000)))]

        /// Any text at all (control characters included) is a number, a
        /// duration, a backend, or an error quoting it; nothing panics.
        #[test]
        fn the_grammars_take_any_text(text in any::<String>()) {
            refused_naming(parse_count(&text), &text)?;
            refused_naming(parse_usize(&text), &text)?;
            refused_naming(parse_duration(&text), &text)?;
            refused_naming(parse_interval(&text), &text)?;
            refused_naming(parse_timeout(&text), &text)?;
            let _ = parse_backends(&text);
        }

        /// Near-misses of valid numbers and durations: digits, signs,
        /// suffixes, units, separators, spaces.
        #[test]
        fn the_grammars_take_near_misses(text in "[ 0-9_.+eE-]{0,6}[kKmMgGsunµμhiy]{0,3}[ 0-9]{0,3}[a-z]{0,2}") {
            refused_naming(parse_count(&text), &text)?;
            refused_naming(parse_usize(&text), &text)?;
            refused_naming(parse_duration(&text), &text)?;
            refused_naming(parse_interval(&text), &text)?;
            refused_naming(parse_timeout(&text), &text)?;
        }

        /// What the grammars promise: grouped digits and suffixes count
        /// exactly; each unit scales exactly, and terms add up.
        #[test]
        fn the_grammars_read_what_they_promise(n in 1u64..1_000_000, ms in 1u64..3_600_000) {
            let grouped = n.to_string().as_bytes().rchunks(3).rev()
                .map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join("_");
            prop_assert_eq!(parse_count(&grouped), Ok(n));
            prop_assert_eq!(parse_count(&format!(" {n}k ")), Ok(n * 1_000));
            prop_assert_eq!(parse_count(&format!("{n}M")), Ok(n * 1_000_000));
            prop_assert_eq!(parse_count(&format!("{n}g")), Ok(n * 1_000_000_000));
            prop_assert_eq!(parse_interval(&format!("{ms}ms")), Ok(Duration::from_millis(ms)));
            prop_assert_eq!(parse_interval(&format!("{n}us")), Ok(Duration::from_micros(n)));
            prop_assert!(parse_interval(&ms.to_string()).is_err());
            prop_assert_eq!(parse_timeout(&format!("{n}m")), Ok(Timeout::After(Duration::from_secs(60 * n))));
            prop_assert_eq!(
                parse_timeout(&format!("{n}h {ms}ms")),
                Ok(Timeout::After(Duration::from_secs(3600 * n) + Duration::from_millis(ms)))
            );
        }
    }
}
