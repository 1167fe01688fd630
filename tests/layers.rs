//! The library's module graph has no cycle and never points up: every
//! `crate::…` path in `src/` (outside the binary's `main.rs` and `cli/`)
//! names a module of its own layer or of one below it, in the order that
//! docs/ARCHITECTURE.md's "Layers" section lists. The doc and the code
//! cannot drift: a new module must be placed in the list, and an upward
//! import fails here with the file and line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The layers, bottom first, each a set of top-level module names, read
/// from the numbered list under `## Layers` in docs/ARCHITECTURE.md.
fn layers_from_doc(doc: &str) -> Vec<Vec<String>> {
    let section = doc
        .split("\n## ")
        .find(|s| s.starts_with("Layers"))
        .expect("docs/ARCHITECTURE.md has a '## Layers' section");
    section
        .lines()
        .filter(|line| {
            let digits = line.chars().take_while(char::is_ascii_digit).count();
            digits > 0 && line[digits..].starts_with(". ")
        })
        .map(|line| {
            // The backticked names before any dash or colon are the layer's modules.
            let names = line.split([':', '—']).next().unwrap_or(line);
            names
                .split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

/// A `crate::` path found in a file: its line and the top-level module it names.
#[derive(Debug, PartialEq)]
struct Import {
    line: usize,
    module: String,
}

/// Every top-level module that `source` names through `crate::…`: in `use`
/// declarations (braced groups included) and in paths written inline.
/// Comments are skipped; `$crate` (a macro's own crate) is not a path here.
fn crate_paths(source: &str) -> Vec<Import> {
    let mut found = Vec::new();
    for (index, raw) in source.lines().enumerate() {
        let line = match raw.find("//") {
            Some(at) => &raw[..at],
            None => raw,
        };
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            let before = &rest[..at];
            let after = &rest[at + "crate::".len()..];
            rest = after;
            if before.ends_with('$') || before.ends_with(|c: char| c.is_alphanumeric() || c == '_')
            {
                continue;
            }
            if let Some(group) = after.strip_prefix('{') {
                // `crate::{a::X, b}`: the group may run over several lines.
                let text: String = std::iter::once(group)
                    .chain(source.lines().skip(index + 1))
                    .collect::<Vec<_>>()
                    .join("\n");
                for module in group_heads(&text) {
                    found.push(Import {
                        line: index + 1,
                        module,
                    });
                }
            } else {
                let name: String = after
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    found.push(Import {
                        line: index + 1,
                        module: name,
                    });
                }
            }
        }
    }
    found
}

/// The first name of each top-level item of a braced group, up to its
/// closing brace: `a::X, b::{c, d}, e}` → a, b, e.
fn group_heads(text: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut expecting = true;
    let mut name = String::new();
    for c in text.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => expecting = true,
            c if expecting && (c.is_alphanumeric() || c == '_') => name.push(c),
            _ if expecting && !name.is_empty() => {
                heads.push(std::mem::take(&mut name));
                expecting = false;
            }
            _ => {}
        }
    }
    if !name.is_empty() {
        heads.push(name);
    }
    heads
}

/// The top-level module a library source file belongs to, or `None` for
/// `lib.rs` and the binary's files.
fn module_of(relative: &Path) -> Option<String> {
    let mut parts = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy());
    let first = parts.next()?.into_owned();
    if first == "lib.rs" || first == "main.rs" || first == "cli" {
        return None;
    }
    Some(first.trim_end_matches(".rs").to_owned())
}

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

/// Every import in `files` (path relative to `src/`, source) that goes up
/// the `layers`, or names a module the layers do not list, as a message.
fn violations(layers: &[Vec<String>], files: &[(PathBuf, String)]) -> Vec<String> {
    let rank: BTreeMap<&str, usize> = layers
        .iter()
        .enumerate()
        .flat_map(|(i, layer)| layer.iter().map(move |m| (m.as_str(), i)))
        .collect();
    let mut problems = Vec::new();
    for (path, source) in files {
        let Some(module) = module_of(path) else {
            continue;
        };
        let Some(&own) = rank.get(module.as_str()) else {
            problems.push(format!(
                "src/{}: module `{module}` is in no layer of docs/ARCHITECTURE.md",
                path.display()
            ));
            continue;
        };
        for import in crate_paths(source) {
            match rank.get(import.module.as_str()) {
                Some(&theirs) if theirs <= own => {}
                Some(_) => problems.push(format!(
                    "src/{}:{}: `{module}` uses `crate::{}`, a layer above it",
                    path.display(),
                    import.line,
                    import.module
                )),
                None => problems.push(format!(
                    "src/{}:{}: `crate::{}` is not a module of any layer (write the module's path, \
                     not a re-export at the crate's root)",
                    path.display(),
                    import.line,
                    import.module
                )),
            }
        }
    }
    problems
}

#[test]
fn no_module_uses_one_of_a_layer_above_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/ARCHITECTURE.md")).unwrap();
    let layers = layers_from_doc(&doc);
    assert!(layers.len() >= 5, "too few layers read: {layers:?}");
    let src = root.join("src");
    let mut paths = Vec::new();
    rust_files(&src, &mut paths);
    let files: Vec<(PathBuf, String)> = paths
        .into_iter()
        .map(|p| {
            let source = std::fs::read_to_string(&p).unwrap();
            (p.strip_prefix(&src).unwrap().to_owned(), source)
        })
        .collect();
    assert!(files.len() > 40, "{} files read", files.len());
    let problems = violations(&layers, &files);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Every module of the library is in a layer, and every layer names one.
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let listed: Vec<&String> = layers.iter().flatten().collect();
    for line in lib.lines() {
        let declared = line
            .trim_start_matches("pub ")
            .trim_start_matches("pub(crate) ")
            .strip_prefix("mod ")
            .and_then(|rest| rest.strip_suffix(';'));
        if let Some(module) = declared {
            assert!(
                listed.iter().any(|m| *m == module),
                "src/lib.rs declares `{module}`, which docs/ARCHITECTURE.md's layers omit"
            );
        }
    }
}

#[test]
fn the_checker_finds_an_upward_import_in_every_form() {
    let layers = vec![
        vec!["text".to_owned()],
        vec!["kernel".to_owned()],
        vec!["render".to_owned()],
    ];
    let file = |path: &str, source: &str| (PathBuf::from(path), source.to_owned());
    let files = [
        file(
            "kernel/mod.rs",
            "use crate::text::escape;\nuse crate::kernel::x;\n",
        ),
        file("kernel/a.rs", "use crate::render::format;\n"),
        file(
            "kernel/b.rs",
            "use crate::{\n    text::x,\n    render::{y, z},\n};\n",
        ),
        file("kernel/c.rs", "fn f() { crate::render::text(r); }\n"),
        file(
            "kernel/d.rs",
            "// crate::render in a comment\nmacro_rules! m { () => { $crate::render } }\n",
        ),
        file("text.rs", "use crate::Generator;\n"),
        file("render/mod.rs", "use crate::kernel::Workload;\n"),
        file("cli/mod.rs", "use crate::render;\n"),
        file("stray.rs", ""),
    ];
    let problems = violations(&layers, &files);
    assert_eq!(
        problems,
        [
            "src/kernel/a.rs:1: `kernel` uses `crate::render`, a layer above it",
            "src/kernel/b.rs:1: `kernel` uses `crate::render`, a layer above it",
            "src/kernel/c.rs:1: `kernel` uses `crate::render`, a layer above it",
            "src/text.rs:1: `crate::Generator` is not a module of any layer (write the module's \
             path, not a re-export at the crate's root)",
            "src/stray.rs: module `stray` is in no layer of docs/ARCHITECTURE.md",
        ]
    );
}

#[test]
fn the_layers_are_read_from_the_numbered_list() {
    let doc = "# A\n\n## Layers\n\nBottom first:\n\n1. `text`, `fault` — leaves\n\
               2. `kernel`: the numbers, `not` this\n\n## Next\n\n3. `ignored`\n";
    assert_eq!(
        layers_from_doc(doc),
        [vec!["text", "fault"], vec!["kernel"]]
    );
}
