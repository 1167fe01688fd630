//! The command-line examples of `docs/cli.md`, run from the markdown: each
//! ```` ```console ```` block holds `$ gilfree ARGS` lines, each followed by
//! the output it must print (standard output, then standard error), line
//! for line. A line `...` stands for any number of lines; a last line `? N`
//! is the exit code when it is not 0. So a changed message, flag or figure
//! fails here until the page says the same. (`trycmd`'s convention, in the
//! few lines this project needs.)

use std::path::Path;
use std::process::Command;

/// One command of the page and what it must print.
#[derive(Debug)]
struct Case {
    line: usize,
    args: Vec<String>,
    expected: Vec<String>,
    status: i32,
}

fn cases(page: &str) -> Vec<Case> {
    let mut cases: Vec<Case> = Vec::new();
    let mut in_block = false;
    for (number, line) in page.lines().enumerate() {
        if line.starts_with("```") {
            in_block = line == "```console";
            continue;
        }
        if !in_block {
            continue;
        }
        if let Some(command) = line.strip_prefix("$ ") {
            let mut words = command.split_whitespace();
            assert_eq!(words.next(), Some("gilfree"), "line {}: {line}", number + 1);
            cases.push(Case {
                line: number + 1,
                args: words.map(str::to_owned).collect(),
                expected: Vec::new(),
                status: 0,
            });
        } else if let Some(case) = cases.last_mut() {
            match line.strip_prefix("? ") {
                Some(code) => case.status = code.parse().expect("an exit code"),
                None => case.expected.push(line.to_owned()),
            }
        }
    }
    cases
}

/// Whether `actual` matches `expected`, where a `...` line matches any
/// number of lines.
fn matches(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first == "..." => {
            (0..=actual.len()).any(|skip| matches(rest, &actual[skip..]))
        }
        Some((first, rest)) => {
            actual.first() == Some(&first.as_str()) && matches(rest, &actual[1..])
        }
    }
}

#[test]
fn every_example_of_the_cli_page_prints_what_the_page_says() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let page = std::fs::read_to_string(root.join("docs/cli.md")).unwrap();
    let cases = cases(&page);
    assert!(cases.len() >= 8, "the page's examples were not found");
    for case in cases {
        let output = Command::new(env!("CARGO_BIN_EXE_gilfree"))
            .args(&case.args)
            .current_dir(root)
            .env_remove("CI")
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let actual: Vec<&str> = text.lines().collect();
        assert!(
            matches(&case.expected, &actual) && output.status.code() == Some(case.status),
            "docs/cli.md line {}: gilfree {}\nexpected (exit {}):\n{}\nactual (exit {:?}):\n{text}",
            case.line,
            case.args.join(" "),
            case.status,
            case.expected.join("\n"),
            output.status.code(),
        );
    }
}

#[test]
fn the_wildcard_matches_any_number_of_lines() {
    let expected: Vec<String> = ["a", "...", "d"].map(str::to_owned).to_vec();
    assert!(matches(&expected, &["a", "d"]));
    assert!(matches(&expected, &["a", "b", "c", "d"]));
    assert!(!matches(&expected, &["a", "b"]));
    assert!(!matches(&expected, &["x", "d"]));
}
