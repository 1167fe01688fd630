//! One self-contained HTML page of a run (or of a sweep): the header, the
//! table, the Summary, the explanation, the cores-busy picture and the
//! timelines, inline. No script, no font, no image from elsewhere: it opens
//! offline, from a USB stick, and prints. Type is large, for a projector.
//!
//! Every string from outside the program — backend names, the interpreter's
//! command and version, numbers — is escaped ([`escape`]); the pictures are
//! plotters' SVG, whose text plotters escapes itself.

use std::fmt::Write as _;

use crate::error::Error;
use crate::measure::Report;
use crate::measure::sweep::Sweep;

/// Text for a `<pre>` block: its lines and tabs kept, everything else as
/// [`escape`] makes it (HTML's specials, other control characters shown as
/// escapes).
pub fn escape_block(text: &str) -> String {
    text.split('\n')
        .map(|line| line.split('\t').map(escape).collect::<Vec<_>>().join("\t"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` with `&`, `<`, `>`, `"` and `'` escaped, and control characters
/// shown as escapes: safe in HTML text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in crate::text::escape_controls(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "\
body { font-family: system-ui, sans-serif; font-size: 20px; line-height: 1.4; margin: 2em auto; \
max-width: 1320px; padding: 0 1em; color: #111; }\n\
h1 { font-size: 1.7em; margin-bottom: 0.2em; } h2 { font-size: 1.3em; margin-top: 1.6em; }\n\
table { border-collapse: collapse; margin: 1em 0; font-size: 0.8em; }\n\
th, td { padding: 0.25em 0.5em; border-bottom: 1px solid #ccc; text-align: right; \
white-space: nowrap; }\n\
th:first-child, td:first-child { text-align: left; font-family: ui-monospace, monospace; }\n\
thead th { border-bottom: 2px solid #333; }\n\
.ok { color: #176a17; font-weight: bold; } .bad { color: #b00; font-weight: bold; }\n\
figure { margin: 1em 0; } figure svg { width: 100%; height: auto; border: 1px solid #ddd; }\n\
figure.lead { max-width: 920px; }\n\
summary { font-size: 1.1em; cursor: pointer; margin: 1.2em 0; color: #1a4f8b; }\n\
pre { font-size: 0.75em; background: #f6f6f6; padding: 1em; overflow-x: auto; }\n\
.note { color: #444; }\n\
@media print { body { font-size: 12pt; max-width: none; } figure { break-inside: avoid; } }\n";

/// The page of a run, laid out for a class: first what it needs, within
/// about two screens at 1280 pixels — `title`, the workload in a line, the
/// table, the sums, the slide of where the workers' time went, and `lead`,
/// the findings that carry the point (every finding's sentence when
/// `None`) — then, folded under `<details>` (no script), every finding,
/// how the run was made (`preamble`'s paragraphs: the interpreter and the
/// rayon pool, or the lesson's introduction), the cores-busy picture, the
/// timelines and the whole text report. With `act_two` (the lesson's
/// `--transfer`), its slide of where the time went with moving included and
/// its text follow the findings, before the fold.
///
/// # Errors
/// [`Error::Picture`] when a picture cannot be drawn.
pub fn report_page(
    report: &Report,
    title: &str,
    preamble: &str,
    lead: Option<&[String]>,
    act_two: Option<&Report>,
) -> Result<String, Error> {
    let mut body = String::new();
    let _ = writeln!(body, "<h1>{}</h1>", escape(title));
    let w = &report.workload;
    let _ = writeln!(
        body,
        "<p>{} × {} random integers in [{}, {}], {} generator, seed {}; {}.</p>",
        crate::text::counted(w.workers(), "worker", "workers"),
        escape(&super::format::group_digits(i128::from(w.count()))),
        w.low(),
        w.high(),
        escape(w.generator().name()),
        w.seed(),
        crate::text::counted(
            report.machine.logical_cores,
            "logical core",
            "logical cores"
        ),
    );
    table(&mut body, report);
    let verified = report
        .results
        .iter()
        .all(crate::measure::BackendResult::verified);
    let sums: Vec<String> = report.sums.iter().map(i64::to_string).collect();
    let _ = writeln!(
        body,
        "<p id=\"results\">Results: [{}] — {}</p>",
        escape(&sums.join(", ")),
        if verified {
            "<span class=\"ok\">every row computed these same sums ✓</span>"
        } else {
            "<span class=\"bad\">some rows computed other sums ✗</span>"
        }
    );
    let _ = writeln!(
        body,
        "<figure class=\"lead\">{}</figure>",
        inline(&super::time_picture::svg(report)?)
    );
    let sentences = super::sentences(report);
    let list = |body: &mut String, sentences: &[String]| {
        body.push_str("<ul>\n");
        for sentence in sentences {
            let _ = writeln!(body, "<li>{}</li>", escape(sentence));
        }
        body.push_str("</ul>\n");
    };
    let lead = lead.unwrap_or(&sentences);
    if !lead.is_empty() {
        body.push_str("<h2>What this run shows</h2>\n");
        list(&mut body, lead);
    }
    if let Some(second) = act_two {
        body.push_str("<h2 id=\"act-two\">Act two: moving the results back</h2>\n");
        let _ = writeln!(
            body,
            "<figure class=\"lead\">{}</figure>",
            inline(&super::transfer::svg(second)?)
        );
        let _ = writeln!(
            body,
            "<pre>{}</pre>",
            escape_block(super::lesson::transfer_text(second).trim_end())
        );
    }
    body.push_str(
        "<details id=\"more\">\n<summary>Every finding, how the run was made, the cores busy \
         over time, each worker over time, the whole report</summary>\n",
    );
    if lead.len() < sentences.len() {
        body.push_str("<h2>Every finding</h2>\n");
        list(&mut body, &sentences);
    }
    // Paragraphs of the preamble: its lines, joined where they were wrapped.
    for paragraph in preamble.split("\n\n").filter(|p| !p.trim().is_empty()) {
        let _ = writeln!(
            body,
            "<p class=\"note\">{}</p>",
            escape(
                &paragraph
                    .lines()
                    .map(str::trim)
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        );
    }
    let _ = writeln!(
        body,
        "<h2>Cores busy over time</h2>\n<figure>{}</figure>",
        inline(&super::cores::svg(report)?)
    );
    let _ = writeln!(
        body,
        "<h2>Each worker over time</h2>\n<figure>{}</figure>",
        inline(&super::timeline::svg(report)?)
    );
    let _ = writeln!(
        body,
        "<h2>The whole report</h2>\n<pre>{}</pre>\n</details>",
        escape_block(&super::text(report))
    );
    Ok(page(title, &body))
}

/// The page of a sweep: its tables as text and the speedup plot.
///
/// # Errors
/// [`Error::Picture`] when the plot cannot be drawn.
pub fn sweep_page(sweep: &Sweep, title: &str) -> Result<String, Error> {
    let mut body = String::new();
    let _ = writeln!(body, "<h1>{}</h1>", escape(title));
    let _ = writeln!(
        body,
        "<figure>{}</figure>\n<pre>{}</pre>",
        inline(&super::sweep::plot(sweep)?),
        escape_block(&super::sweep::text(sweep))
    );
    Ok(page(title, &body))
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n{body}\
         <p class=\"note\">Written by gilfree {}.</p>\n</body>\n</html>\n",
        escape(title),
        env!("CARGO_PKG_VERSION"),
    )
}

/// The report's table, as the text report's columns.
fn table(out: &mut String, report: &Report) {
    let (header, rows) = super::table_cells(report);
    out.push_str("<table id=\"table\">\n<thead><tr>");
    for cell in header {
        let _ = write!(out, "<th>{}</th>", escape(&cell));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let class = match cell.chars().next() {
                Some('✓') => " class=\"ok\"",
                Some('✗') => " class=\"bad\"",
                _ => "",
            };
            let _ = write!(out, "<td{class}>{}</td>", escape(&cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

/// An SVG document as an element of the page: without an XML prolog.
fn inline(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(start) => &svg[start..],
        None => svg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::synthetic::{Row, report};

    #[test]
    fn text_is_escaped_for_html() {
        assert_eq!(
            escape("<script>\"a\" & 'b'</script>"),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
        assert_eq!(escape("a\u{1b}[2J"), "a\\u{1b}[2J");
        // In a <pre>, lines and tabs stay; nothing else can drive anything.
        assert_eq!(
            escape_block("a <b>\n\tc\u{1b}[2J\r"),
            "a &lt;b&gt;\n\tc\\u{1b}[2J\\u{d}"
        );
    }

    #[test]
    fn the_page_stands_alone() {
        let r = report(
            vec![
                Row::new("sequential", 1, 90.0, 100.0),
                Row::new("threads", 8, 47.0, 196.0),
            ],
            None,
        );
        let page = report_page(&r, "A <lesson>", "python:   python3 <&>", None, None).unwrap();
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.contains("<title>A &lt;lesson&gt;</title>"));
        assert!(page.contains("python3 &lt;&amp;&gt;"));
        assert!(!page.contains("<script"));
        assert!(
            !page.contains("src=\"http"),
            "nothing fetched from elsewhere"
        );
        assert!(!page.contains("<?xml"));
        assert_eq!(page.matches("<svg").count(), 3, "three pictures inline");
        assert!(page.contains("<td>threads</td>"));
        assert!(page.contains("id=\"results\""));
    }
}
