//! The analytics charts as plain shapes laid out on the server, drawn by the templates as inline
//! SVG (no chart library, nothing run in the browser): series over days (bars and lines),
//! horizontal bars (with a target mark), and rows of shares that add up to one. Every chart is
//! read with a [`DataTable`] beside it, so the numbers are also text.

/// The width and height of a series chart's drawing, in its own units.
pub const SERIES_W: f64 = 720.0;
/// The bottom of a series chart's plot (its axis); labels go below.
pub const SERIES_BASE: f64 = 170.0;
/// The top of a series chart's plot.
const SERIES_TOP: f64 = 14.0;
/// At most this many labels under a series chart, so that they stay apart on a phone too.
const MAX_TICKS: usize = 7;

/// The width of a bar chart's drawing.
pub const HBAR_W: f64 = 480.0;
/// Where bars start (after their labels) and the longest a bar gets.
const HBAR_X: f64 = 150.0;
const HBAR_MAX: f64 = 250.0;
/// The height of one row of a bar chart.
const HBAR_ROW: f64 = 28.0;
/// At most this many characters of a label (a pillar's, a query's name) in a drawing.
const LABEL_CHARS: usize = 22;

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// A rectangle with what it stands for (the browser shows `title` on hover).
#[derive(Debug, Clone)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub class: &'static str,
    pub title: String,
}

/// A point of a line.
#[derive(Debug, Clone)]
pub struct Dot {
    pub x: f64,
    pub y: f64,
    pub title: String,
}

/// A line through points, in the colour of its `class`.
#[derive(Debug, Clone)]
pub struct Line {
    pub class: String,
    pub name: String,
    pub points: String,
    pub dots: Vec<Dot>,
}

/// A label under the axis.
#[derive(Debug, Clone)]
pub struct Tick {
    pub x: f64,
    pub label: String,
    pub anchor: &'static str,
}

/// Bars and lines over a run of days (or snapshots): one slot per point, left to right.
#[derive(Debug, Clone, Default)]
pub struct Series {
    pub bars: Vec<Rect>,
    pub lines: Vec<Line>,
    pub ticks: Vec<Tick>,
    /// The value at the top of the left scale (the bars', or the lines' when there are none).
    pub top_left: String,
    /// The value at the top of the right scale (a line drawn on a scale of its own).
    pub top_right: String,
}

impl Series {
    /// Whether there is nothing to draw.
    pub fn is_empty(&self) -> bool {
        self.bars.is_empty() && self.lines.iter().all(|l| l.dots.is_empty())
    }
}

/// Where slot `i` of `n` has its middle.
fn slot_center(i: usize, n: usize) -> f64 {
    let slot = SERIES_W / n.max(1) as f64;
    slot * i as f64 + slot / 2.0
}

/// The labels of `n` slots (at most [`MAX_TICKS`], the last one always), from `label`.
pub fn ticks(n: usize, label: impl Fn(usize) -> String) -> Vec<Tick> {
    let every = n.div_ceil(MAX_TICKS).max(1);
    (0..n)
        .filter(|i| (n - 1 - i).is_multiple_of(every))
        .map(|i| {
            let x = round1(slot_center(i, n));
            let anchor = if x < 30.0 {
                "start"
            } else if x > SERIES_W - 30.0 {
                "end"
            } else {
                "middle"
            };
            Tick {
                x: if anchor == "start" {
                    0.0
                } else if anchor == "end" {
                    SERIES_W
                } else {
                    x
                },
                label: label(i),
                anchor,
            }
        })
        .collect()
}

/// Bars of `values` (one per slot), titled by `title`; the largest reaches the top.
pub fn bars(values: &[i64], title: impl Fn(usize) -> String) -> (Vec<Rect>, i64) {
    let n = values.len();
    let max = values.iter().copied().max().unwrap_or(0).max(1);
    let slot = SERIES_W / n.max(1) as f64;
    let width = (slot * 0.7).max(1.0);
    let bars = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let h = (SERIES_BASE - SERIES_TOP) * (*v).max(0) as f64 / max as f64;
            Rect {
                x: round1(slot * i as f64 + (slot - width) / 2.0),
                y: round1(SERIES_BASE - h),
                w: round1(width),
                h: round1(h),
                class: "bar-value",
                title: title(i),
            }
        })
        .collect();
    (bars, max)
}

/// A line through `values` (one per slot; `None` leaves a gap), on a scale whose top is `max`.
pub fn line(
    class: impl Into<String>,
    name: impl Into<String>,
    values: &[Option<f64>],
    max: f64,
    title: impl Fn(usize) -> String,
) -> Line {
    let n = values.len();
    let max = if max > 0.0 { max } else { 1.0 };
    let dots: Vec<Dot> = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| {
            let v = (*v)?;
            Some(Dot {
                x: round1(slot_center(i, n)),
                y: round1(SERIES_BASE - (SERIES_BASE - SERIES_TOP) * v.max(0.0) / max),
                title: title(i),
            })
        })
        .collect();
    let points = dots.iter().map(|d| format!("{},{}", d.x, d.y)).collect::<Vec<_>>().join(" ");
    Line { class: class.into(), name: name.into(), points, dots }
}

/// One row of a bar chart.
#[derive(Debug, Clone)]
pub struct HBar {
    /// The row's top.
    pub y: f64,
    /// Where its label and value sit (the row's text baseline).
    pub text_y: f64,
    pub label: String,
    /// The label in full, for the hover title.
    pub title: String,
    pub bar: Rect,
    /// The figure written after the bar.
    pub value: String,
    pub value_x: f64,
    /// A target's mark, when the row has one: its x.
    pub target: Option<f64>,
}

/// A bar chart: one row per item.
#[derive(Debug, Clone, Default)]
pub struct HBars {
    pub rows: Vec<HBar>,
    /// The drawing's height.
    pub height: f64,
}

/// A label cut to fit a drawing (the table beside it has it whole).
pub fn short(label: &str) -> String {
    crate::format::excerpt(label, LABEL_CHARS)
}

/// Rows of `(label, value, class, written value, target)`, scaled so that the largest of the
/// values and targets fills the row.
pub fn hbars(items: Vec<(String, f64, &'static str, String, Option<f64>)>) -> HBars {
    let max = items.iter().flat_map(|(_, v, _, _, t)| [*v, t.unwrap_or(0.0)]).fold(0.0_f64, f64::max);
    let max = if max > 0.0 { max } else { 1.0 };
    let rows: Vec<HBar> = items
        .into_iter()
        .enumerate()
        .map(|(i, (label, value, class, written, target))| {
            let y = HBAR_ROW * i as f64;
            let w = round1(HBAR_MAX * value.max(0.0) / max);
            let target = target.map(|t| round1(HBAR_X + HBAR_MAX * t.max(0.0) / max));
            HBar {
                y,
                text_y: y + 18.0,
                label: short(&label),
                title: format!("{label}: {written}"),
                bar: Rect { x: HBAR_X, y: y + 6.0, w, h: 16.0, class, title: String::new() },
                value: written,
                // After the bar, or after the target's mark when it reaches further.
                value_x: round1((HBAR_X + w).max(target.unwrap_or(0.0)) + 6.0),
                target,
            }
        })
        .collect();
    let height = (HBAR_ROW * rows.len() as f64).max(HBAR_ROW) + 4.0;
    HBars { rows, height }
}

/// One row of shares adding up to one (negative, neutral, positive).
#[derive(Debug, Clone)]
pub struct ShareRow {
    pub text_y: f64,
    pub label: String,
    pub parts: Vec<Rect>,
}

/// A share of a row: its value (0 to 1), class and title.
pub type Share = (Option<f64>, &'static str, String);

/// Rows of shares: `(label, [(share, class, title)])`; a row whose shares are unknown is
/// drawn empty.
pub fn shares(items: Vec<(String, Vec<Share>)>) -> (Vec<ShareRow>, f64) {
    let rows: Vec<ShareRow> = items
        .into_iter()
        .enumerate()
        .map(|(i, (label, parts))| {
            let y = HBAR_ROW * i as f64;
            let mut x = HBAR_X;
            let parts = parts
                .into_iter()
                .filter_map(|(share, class, title)| {
                    let w = round1((HBAR_W - HBAR_X) * share?.clamp(0.0, 1.0));
                    let r = Rect { x: round1(x), y: y + 6.0, w, h: 16.0, class, title };
                    x += w;
                    Some(r)
                })
                .collect();
            ShareRow { text_y: y + 18.0, label: short(&label), parts }
        })
        .collect();
    let height = (HBAR_ROW * rows.len() as f64).max(HBAR_ROW) + 4.0;
    (rows, height)
}

/// A chart's numbers as a table: a heading per column, a row header first in each row.
#[derive(Debug, Clone, Default)]
pub struct DataTable {
    pub head: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_bar_reaches_the_top_and_the_last_day_is_labelled() {
        let (b, max) = bars(&[0, 5, 10], |i| i.to_string());
        assert_eq!(max, 10);
        assert_eq!(b[2].y, SERIES_TOP);
        assert_eq!(b[0].h, 0.0);
        let t = ticks(30, |i| i.to_string());
        assert!(t.len() <= MAX_TICKS);
        assert_eq!(t.last().unwrap().label, "29");
    }

    #[test]
    fn lines_leave_gaps_and_bars_scale_to_the_target_too() {
        let l = line("line-0", "x", &[Some(1.0), None, Some(2.0)], 2.0, |_| String::new());
        assert_eq!(l.dots.len(), 2);
        assert_eq!(l.dots[1].y, SERIES_TOP);
        let h = hbars(vec![("a".into(), 0.2, "bar-value", "20%".into(), Some(0.4))]);
        assert_eq!(h.rows[0].target, Some(HBAR_X + HBAR_MAX));
        assert_eq!(h.rows[0].bar.w, HBAR_MAX / 2.0);
        let (rows, _) = shares(vec![(
            "x".into(),
            vec![(Some(0.5), "bar-pos", String::new()), (None, "bar-neg", String::new())],
        )]);
        assert_eq!(rows[0].parts.len(), 1);
    }
}
