//! The pictures as a lecture hall sees them: each SVG checked as a slide
//! (1280×720, no text under 18 px), then rendered to PNG by headless
//! Chromium, as `scripts/render-svg.sh` does, and the PNG checked for its
//! size and for the marks it must show.
//!
//! Without Chromium these tests say so and pass, except under `CI=true`,
//! where they fail: `.ci/run` installs it (`scripts/install-chromium.sh`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gilfree::render::picture::{HEIGHT, MIN_TEXT_PX, WIDTH};

use crate::cli::{gilfree, stderr};
use crate::export::scratch;

/// The texts of the SVG at `path`, after asserting that it is a slide:
/// [`WIDTH`] × [`HEIGHT`], its `viewBox` the same, no text under
/// [`MIN_TEXT_PX`].
pub(crate) fn slide_texts(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text).expect("well-formed SVG");
    let root = doc.root_element();
    assert_eq!(root.attribute("width"), Some(WIDTH.to_string().as_str()));
    assert_eq!(root.attribute("height"), Some(HEIGHT.to_string().as_str()));
    assert_eq!(
        root.attribute("viewBox"),
        Some(format!("0 0 {WIDTH} {HEIGHT}").as_str())
    );
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| {
            let size: f64 = n.attribute("font-size").unwrap().parse().unwrap();
            let text = n.text().unwrap_or_default().trim().to_owned();
            assert!(size >= MIN_TEXT_PX, "{size} px: '{text}'");
            text
        })
        .collect()
}

/// Chromium's command, if it is on the `PATH`.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Chromium, or `None` after saying why the test is skipped; under
/// `CI=true` its absence fails the test.
fn chromium_or_skip() -> Option<PathBuf> {
    let found = chromium();
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but no chromium on PATH: run scripts/install-chromium.sh"
        );
        eprintln!(
            "skipped: no chromium on PATH to render the pictures (scripts/install-chromium.sh \
             installs it; CI has it)"
        );
    }
    found
}

/// Renders `svg` to a PNG of [`WIDTH`] × [`HEIGHT`] in `dir` with headless
/// Chromium, within two minutes.
fn render(chromium: &Path, svg: &Path, dir: &Path) -> PathBuf {
    let png = dir.join("picture.png");
    let profile = dir.join("chromium-profile");
    let log = std::fs::File::create(dir.join("chromium.log")).unwrap();
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--window-size={WIDTH},{HEIGHT}"))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", svg.canonicalize().unwrap().display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("chromium starts");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "chromium took more than two minutes to render {}",
                svg.display()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let log = std::fs::read_to_string(dir.join("chromium.log")).unwrap_or_default();
    assert!(
        status.success() && png.is_file(),
        "chromium: {status}\n{log}"
    );
    png
}

/// A decoded PNG: width, height and its pixels as RGB.
struct Image {
    width: u32,
    height: u32,
    pixels: Vec<[u8; 3]>,
}

impl Image {
    fn read(path: &Path) -> Image {
        let file = std::io::BufReader::new(std::fs::File::open(path).unwrap());
        let mut decoder = png::Decoder::new(file);
        decoder.set_transformations(png::Transformations::normalize_to_color8());
        let mut reader = decoder.read_info().unwrap();
        let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buffer).unwrap();
        let samples = info.color_type.samples();
        assert!(samples >= 3, "{:?}", info.color_type);
        let pixels = buffer[..info.buffer_size()]
            .chunks_exact(samples)
            .map(|p| [p[0], p[1], p[2]])
            .collect();
        Image {
            width: info.width,
            height: info.height,
            pixels,
        }
    }

    /// The share of the pixels that are not white.
    fn inked(&self) -> f64 {
        let inked = self
            .pixels
            .iter()
            .filter(|p| **p != [255, 255, 255])
            .count();
        inked as f64 / self.pixels.len() as f64
    }

    /// How many pixels are within a few levels of `color`.
    fn count(&self, color: [u8; 3]) -> usize {
        self.pixels
            .iter()
            .filter(|p| p.iter().zip(color).all(|(a, b)| a.abs_diff(b) <= 6))
            .count()
    }

    /// How many pixels in rows `rows` are dark (text).
    fn dark_in_rows(&self, rows: std::ops::Range<u32>) -> usize {
        rows.flat_map(|y| {
            let start = (y * self.width) as usize;
            &self.pixels[start..start + self.width as usize]
        })
        .filter(|p| p.iter().all(|&c| c < 100))
        .count()
    }
}

/// Checks the PNG Chromium made of a picture: a slide's size, neither blank
/// nor flooded, its title drawn, and at least `least` pixels of `mark`.
fn assert_rendered(png: &Path, mark: [u8; 3], least: usize) {
    let image = Image::read(png);
    assert_eq!((image.width, image.height), (WIDTH, HEIGHT));
    let inked = image.inked();
    assert!(
        (0.03..0.6).contains(&inked),
        "{:.1}% of the pixels are not white",
        inked * 100.0
    );
    assert!(image.dark_in_rows(10..48) > 500, "no title drawn");
    let marks = image.count(mark);
    assert!(marks >= least, "{marks} pixels of {mark:?}");
}

#[test]
fn the_timeline_renders_in_a_browser_as_a_slide() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let dir = scratch("pictures-timeline");
    let svg = dir.join("timeline.svg");
    let output = gilfree(&[
        "-w",
        "4",
        "-n",
        "300k",
        "--seed",
        "1",
        "--runs",
        "1",
        "--warmup",
        "0",
        "--backend",
        "gil,threads,process",
        "--timeline-svg",
        svg.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let texts = slide_texts(&svg);
    assert!(texts.iter().any(|t| t == "computing"), "{texts:?}");
    let png = render(&chromium, &svg, &dir);
    // The ink of the sequential workers and the gil turns, solid.
    assert_rendered(&png, [20, 70, 150], 300);
}

#[test]
fn the_sweep_plot_renders_in_a_browser_as_a_slide() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let dir = scratch("pictures-sweep");
    let svg = dir.join("speedup.svg");
    let output = gilfree(&[
        "sweep",
        "-n",
        "300k",
        "--seed",
        "1",
        "--runs",
        "1",
        "--warmup",
        "0",
        "--workers",
        "2,4",
        "--backend",
        "gil,threads",
        "--plot",
        svg.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let texts = slide_texts(&svg);
    assert!(texts.iter().any(|t| t == "workers"), "{texts:?}");
    let png = render(&chromium, &svg, &dir);
    // The first backend's red line and points.
    assert_rendered(&png, [214, 39, 40], 300);
}

#[test]
fn where_the_time_went_renders_in_a_browser_as_a_slide_with_its_three_colours() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let dir = scratch("pictures-time");
    let svg = dir.join("time.svg");
    let output = gilfree(&[
        "-w",
        "8",
        "-n",
        "8M",
        "--seed",
        "1",
        "--runs",
        "3",
        "--backend",
        "gil,threads,process",
        "--time-svg",
        svg.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let texts = slide_texts(&svg);
    for label in [
        "sequential",
        "gil",
        "threads",
        "process",
        "waiting for a core",
    ] {
        assert!(texts.iter().any(|t| t == label), "{label}: {texts:?}");
    }
    // The gil's workers slept: the title says so, from the findings.
    assert!(
        texts[0].starts_with("Threads taking turns on one lock slept"),
        "{texts:?}"
    );
    let png = render(&chromium, &svg, &dir);
    // Running (blue), waiting (orange) and blocked (grey) all drawn: the
    // legend's squares alone are 22 × 22 pixels each.
    assert_rendered(&png, [0, 114, 178], 2000);
    let image = Image::read(&png);
    assert!(image.count([230, 159, 0]) >= 400, "no waiting drawn");
    assert!(image.count([190, 190, 190]) >= 2000, "no blocked drawn");
}
