//! A real browser for the pictures and the HTML report: Debian's headless
//! Chromium loads a page, dumps its DOM, or takes a screenshot. Absent, a
//! test says so and passes, except under CI (`CI=true`), which installs it
//! (`scripts/install-chromium.sh`): there its absence is a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Chromium's command, or `None` (with the reason printed) when it is not
/// installed outside CI.
pub(crate) fn chromium() -> Option<&'static str> {
    if Command::new("chromium").arg("--version").output().is_ok() {
        return Some("chromium");
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "chromium is missing under CI: .ci/run installs it (scripts/install-chromium.sh)"
    );
    eprintln!("skipped: no chromium (scripts/install-chromium.sh installs it)");
    None
}

fn run(args: &[String], page: &Path) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.canonicalize().unwrap().display()))
        .output()
        .expect("chromium runs")
}

/// The page's DOM after loading, as Chromium serializes it.
pub(crate) fn dump_dom(page: &Path) -> String {
    let output = run(&["--dump-dom".to_owned()], page);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A `width`×`height` screenshot of `page`, written beside it.
pub(crate) fn screenshot(page: &Path, width: u32, height: u32) -> PathBuf {
    let png = page.with_extension("png");
    let _ = std::fs::remove_file(&png);
    let output = run(
        &[
            format!("--window-size={width},{height}"),
            format!("--screenshot={}", png.display()),
        ],
        page,
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(png.exists(), "no screenshot of {}", page.display());
    png
}

/// A PNG's size, and the share of its pixels that are not (near) white:
/// a blank page has none.
pub(crate) fn ink(png: &Path) -> ((u32, u32), f64) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(png).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buffer = vec![
        0;
        reader
            .output_buffer_size()
            .expect("a PNG that fits in memory")
    ];
    let info = reader.next_frame(&mut buffer).unwrap();
    let channels = info.color_type.samples();
    let pixels = &buffer[..info.buffer_size()];
    let inked = pixels
        .chunks(channels)
        .filter(|p| p.iter().take(3).any(|&c| c < 200))
        .count();
    (
        (info.width, info.height),
        inked as f64 / (info.width as f64 * info.height as f64),
    )
}

/// The height down to the lowest row of `png` that holds any ink: how tall
/// the page drawn into it is.
pub(crate) fn inked_height(png: &Path) -> u32 {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(png).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buffer = vec![
        0;
        reader
            .output_buffer_size()
            .expect("a PNG that fits in memory")
    ];
    let info = reader.next_frame(&mut buffer).unwrap();
    let channels = info.color_type.samples();
    let row_bytes = info.width as usize * channels;
    let pixels = &buffer[..info.buffer_size()];
    pixels
        .chunks(row_bytes)
        .rposition(|row| {
            row.chunks(channels)
                .any(|p| p.iter().take(3).any(|&c| c < 200))
        })
        .map_or(0, |row| row as u32 + 1)
}
