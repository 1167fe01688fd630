//! Words for every output, below everything that prints: control
//! characters escaped, names joined as in a sentence, nouns counted with
//! the right plural. Pure and dependency-free, so that any layer — a
//! backend's error message as much as a report — can use it.

/// `text` with its control characters escaped — a newline as `\n`, any
/// other as `\u{1b}` — so that it prints as one line and cannot drive a
/// terminal: for text that comes from a file, a path or another program.
pub fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
    out
}

/// `a`, `a and b`, `a, b and c`.
pub fn join_names<S: AsRef<str>>(names: &[S]) -> String {
    match names {
        [] => String::new(),
        [one] => one.as_ref().to_owned(),
        [rest @ .., last] => {
            let rest: Vec<&str> = rest.iter().map(AsRef::as_ref).collect();
            format!("{} and {}", rest.join(", "), last.as_ref())
        }
    }
}

/// `one` when `n` is 1, else `many`: `plural(1, "worker", "workers")`.
pub fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// `n` and its noun: `1 worker`, `8 workers`, `0 workers`.
pub fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", plural(n, one, many))
}

/// `worker 3`, `workers 0 and 3`, `workers 0, 1 and 3`; `no worker` for none.
pub fn workers(indices: &[usize]) -> String {
    if indices.is_empty() {
        return "no worker".to_owned();
    }
    let names: Vec<String> = indices.iter().map(usize::to_string).collect();
    format!(
        "{} {}",
        plural(indices.len(), "worker", "workers"),
        join_names(&names)
    )
}

/// An integer with thousands separators: `404,002,118`.
pub fn group_digits(n: i128) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_into_one_line() {
        assert_eq!(escape_controls("plain µs"), "plain µs");
        assert_eq!(escape_controls("a\nb"), "a\\nb");
        assert_eq!(escape_controls("x\u{1b}[2J\u{7}"), "x\\u{1b}[2J\\u{7}");
    }

    #[test]
    fn names_are_joined_as_in_a_sentence() {
        assert_eq!(join_names::<&str>(&[]), "");
        assert_eq!(join_names(&["a"]), "a");
        assert_eq!(join_names(&["a", "b"]), "a and b");
        assert_eq!(join_names(&["a", "b", "c"]), "a, b and c");
        assert_eq!(join_names(&["x".to_owned(), "y".to_owned()]), "x and y");
    }

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(counted(1, "worker", "workers"), "1 worker");
        assert_eq!(counted(0, "worker", "workers"), "0 workers");
        assert_eq!(counted(8, "core", "cores"), "8 cores");
        assert_eq!(workers(&[3]), "worker 3");
        assert_eq!(workers(&[0, 3]), "workers 0 and 3");
        assert_eq!(workers(&[0, 1, 3]), "workers 0, 1 and 3");
        assert_eq!(workers(&[]), "no worker");
    }
}
