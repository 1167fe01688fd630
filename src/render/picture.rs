//! What every picture gilfree draws has in common: a slide's shape and the
//! text sizes that read from the back of a lecture hall.
//!
//! A picture is made to be projected: 16:9 at [`WIDTH`] × [`HEIGHT`] pixels,
//! no text smaller than [`MIN_TEXT_PX`] at that size, a title that states the
//! point, and a legend beside the data, never on it. The SVG backend of
//! plotters knows no font metrics, so [`text_width`] estimates how wide a
//! line will be (for DejaVu Sans, the usual `sans-serif`, and erring wide),
//! and the pictures choose their wording and layout with it.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// A picture's width in pixels.
pub const WIDTH: u32 = 1280;
/// A picture's height in pixels: with [`WIDTH`], 16:9.
pub const HEIGHT: u32 = 720;
/// The smallest text in any picture, in pixels at [`WIDTH`] × [`HEIGHT`].
pub const MIN_TEXT_PX: f64 = 18.0;
/// The title's size, in pixels.
pub(crate) const TITLE_PX: f64 = 26.0;
/// The line under the title, in pixels.
pub(crate) const SUBTITLE_PX: f64 = 20.0;
/// Labels, ticks and legends, in pixels.
pub(crate) const LABEL_PX: f64 = MIN_TEXT_PX;
/// Space kept clear around the picture's edges, in pixels.
pub(crate) const MARGIN: i32 = 24;

/// Gray for axes and text that is not data.
pub(crate) const AXIS: RGBColor = RGBColor(60, 60, 60);
/// Gray for grid lines.
pub(crate) const GRID: RGBColor = RGBColor(215, 215, 215);

/// Text `px` pixels high in the SVG. Plotters writes a font's size divided
/// by 1.24 into the SVG's `font-size`, so the size asked of it is scaled up
/// by as much.
pub(crate) fn font(px: f64) -> FontDesc<'static> {
    ("sans-serif", px * 1.24).into_font()
}

/// Bold text `px` pixels high.
pub(crate) fn bold(px: f64) -> FontDesc<'static> {
    font(px).style(FontStyle::Bold)
}

/// `font` in `color`, its top-left corner at the position it is drawn at.
pub(crate) fn top_left<'a>(font: FontDesc<'a>, color: &RGBColor) -> TextStyle<'a> {
    font.color(color).pos(Pos::new(HPos::Left, VPos::Top))
}

/// `font` in `color`, its top centred on the position it is drawn at.
pub(crate) fn top_centre<'a>(font: FontDesc<'a>, color: &RGBColor) -> TextStyle<'a> {
    font.color(color).pos(Pos::new(HPos::Center, VPos::Top))
}

/// An estimate of the width of `text` set `px` pixels high in DejaVu Sans
/// (wider than most `sans-serif` faces); bold text is about 10% wider.
pub fn text_width(text: &str, px: f64, bold: bool) -> f64 {
    let ems: f64 = text
        .chars()
        .map(|c| match c {
            'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' => 0.32,
            ' ' | 'f' | 't' | 'r' | '(' | ')' | '[' | ']' | '-' | '–' | '·' => 0.4,
            'm' | 'w' | 'M' | 'W' | '%' | '—' => 0.95,
            c if c.is_ascii_uppercase() => 0.72,
            '0'..='9' => 0.64,
            _ => 0.62,
        })
        .sum();
    ems * px * if bold { 1.1 } else { 1.0 }
}

/// The first of `candidates` whose estimated width at `px` (bold or not)
/// fits in `room` pixels, or the last when none does.
pub(crate) fn first_fitting(candidates: &[String], px: f64, bold: bool, room: f64) -> String {
    candidates
        .iter()
        .find(|c| text_width(c, px, bold) <= room)
        .or(candidates.last())
        .cloned()
        .unwrap_or_default()
}

/// The smallest of 1, 2 or 5 × 10^k that is at least `x` (for any `x` > 0).
pub(crate) fn nice_step(x: f64) -> f64 {
    let x = if x.is_finite() && x > 0.0 { x } else { 1.0 };
    let power = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|step| *step >= x * (1.0 - 1e-9))
        .unwrap_or(10.0 * power)
}

/// Checks of a picture's SVG for the tests of the modules that draw one.
#[cfg(test)]
pub(crate) mod check {
    use super::{HEIGHT, MIN_TEXT_PX, WIDTH, text_width};

    /// A text of a picture: what it says, where, and how big.
    #[derive(Debug)]
    pub(crate) struct Label {
        pub(crate) text: String,
        pub(crate) x: f64,
        pub(crate) y: f64,
        pub(crate) px: f64,
    }

    /// A picture's size and texts.
    pub(crate) struct Slide {
        pub(crate) height: u32,
        pub(crate) texts: Vec<Label>,
    }

    impl Slide {
        /// The texts that say exactly `text`.
        pub(crate) fn find(&self, text: &str) -> Vec<&Label> {
            self.texts.iter().filter(|l| l.text == text).collect()
        }
    }

    /// Asserts that `svg` is a slide — [`WIDTH`] wide and at least
    /// [`HEIGHT`] high, its `viewBox` the same, every text at least
    /// [`MIN_TEXT_PX`] and, as far as its estimated width tells, inside the
    /// picture — and returns its size and texts.
    pub(crate) fn slide(svg: &str) -> Slide {
        let doc = roxmltree::Document::parse(svg).expect("well-formed SVG");
        let root = doc.root_element();
        let number = |node: roxmltree::Node<'_, '_>, name: &str| -> f64 {
            node.attribute(name)
                .unwrap_or_else(|| panic!("no {name} on {node:?}"))
                .parse()
                .unwrap_or_else(|e| panic!("{name} of {node:?}: {e}"))
        };
        let (width, height) = (number(root, "width"), number(root, "height"));
        assert_eq!(width, f64::from(WIDTH));
        assert!(height >= f64::from(HEIGHT), "{height}");
        assert_eq!(
            root.attribute("viewBox"),
            Some(format!("0 0 {width} {height}").as_str())
        );
        let mut texts = Vec::new();
        for node in doc.descendants().filter(|n| n.has_tag_name("text")) {
            let text = node.text().unwrap_or_default().trim().to_owned();
            let px = number(node, "font-size");
            assert!(px >= MIN_TEXT_PX, "{px} px: {text}");
            let (x, y) = (number(node, "x"), number(node, "y"));
            // Turned text runs up the side; the rest must fit across.
            if node.attribute("transform").is_none() {
                let bold = node.attribute("font-weight") == Some("bold");
                let w = text_width(&text, px, bold);
                let (left, right) = match node.attribute("text-anchor") {
                    Some("middle") => (x - w / 2.0, x + w / 2.0),
                    Some("end") => (x - w, x),
                    _ => (x, x + w),
                };
                assert!(
                    left >= 0.0 && right <= width,
                    "'{text}' spans {left:.0}..{right:.0} of {width}"
                );
                // Plotters sets a text's top, middle or bottom at y.
                let (top, bottom) = match node.attribute("dy") {
                    Some("0.76em") => (y, y + px),
                    Some("0.5ex") => (y - px / 2.0, y + px / 2.0),
                    _ => (y - px, y),
                };
                assert!(
                    top >= 0.0 && bottom <= height,
                    "'{text}' spans {top:.0}..{bottom:.0} of {height}"
                );
            }
            texts.push(Label { text, x, y, px });
        }
        Slide {
            height: height as u32,
            texts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sizes_written_into_the_svg_are_the_sizes_asked_for() {
        for px in [MIN_TEXT_PX, LABEL_PX, SUBTITLE_PX, TITLE_PX] {
            // What plotters' SVG backend writes as the font-size.
            let written = font(px).get_size() / 1.24;
            assert!(written >= px && written - px < 1e-9, "{px}: {written}");
        }
        assert_eq!(WIDTH * 9, HEIGHT * 16);
    }

    #[test]
    fn wider_text_is_estimated_wider_and_the_first_fitting_wording_is_chosen() {
        assert!(text_width("mmm", 18.0, false) > text_width("iii", 18.0, false));
        assert!(text_width("abc", 18.0, true) > text_width("abc", 18.0, false));
        let words = ["a long wording".to_owned(), "short".to_owned()];
        assert_eq!(first_fitting(&words, 18.0, false, 60.0), "short");
        assert_eq!(first_fitting(&words, 18.0, false, 1000.0), "a long wording");
        assert_eq!(first_fitting(&words, 18.0, false, 1.0), "short");
    }

    #[test]
    fn steps_are_one_two_or_five_times_a_power_of_ten() {
        for (x, step) in [(0.3, 0.5), (4.2, 5.0), (5.0, 5.0), (11.0, 20.0), (0.0, 1.0)] {
            assert!((nice_step(x) - step).abs() < 1e-12, "{x}: {}", nice_step(x));
        }
    }
}

/// Each backend's color, the same in every picture gilfree draws, legend
/// included: a line that is orange in one plot is orange in the next. The
/// built-in rows have their own; another name (a user's backend) gets one
/// of the spare colors, chosen by its name, so it too keeps it.
pub(crate) fn backend_color(name: &str) -> RGBColor {
    const COLORS: [(&str, RGBColor); 11] = [
        ("sequential", RGBColor(110, 110, 110)),     // gray
        ("gil", RGBColor(214, 39, 40)),              // red
        ("threads", RGBColor(31, 119, 180)),         // blue
        ("channels", RGBColor(44, 160, 44)),         // green
        ("rayon", RGBColor(148, 103, 189)),          // purple
        ("process", RGBColor(255, 127, 14)),         // orange
        ("process-shared", RGBColor(188, 189, 34)),  // olive
        ("mpi", RGBColor(140, 86, 75)),              // brown
        ("python-sequential", RGBColor(60, 60, 60)), // dark gray
        ("python-threads", RGBColor(152, 0, 67)),    // crimson
        ("python-processes", RGBColor(166, 86, 0)),  // dark orange
    ];
    const SPARE: [RGBColor; 3] = [
        RGBColor(23, 190, 207),  // cyan
        RGBColor(227, 119, 194), // pink
        RGBColor(0, 95, 95),     // teal
    ];
    COLORS
        .iter()
        .find(|(backend, _)| *backend == name)
        .map_or_else(
            || {
                let hash = name
                    .bytes()
                    .fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(b.into()));
                SPARE[hash % SPARE.len()]
            },
            |(_, color)| *color,
        )
}
