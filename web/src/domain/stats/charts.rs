//! Charts of the daily figures (norm 4.3, 4.6.2), drawn on the server as
//! SVG: no JavaScript needed. Labels are
//! dates and numbers only, so nothing here needs escaping.

use chrono::NaiveDate;

const W: f64 = 640.0;
const H: f64 = 220.0;
const PAD_L: f64 = 48.0;
const PAD_B: f64 = 28.0;
const PAD_T: f64 = 12.0;

fn x_of(i: usize, n: usize) -> f64 {
    let span = W - PAD_L - 12.0;
    if n <= 1 {
        PAD_L + span / 2.0
    } else {
        PAD_L + span * i as f64 / (n - 1) as f64
    }
}

fn y_of(v: f64, max: f64) -> f64 {
    let h = H - PAD_T - PAD_B;
    H - PAD_B - if max > 0.0 { h * v / max } else { 0.0 }
}

fn frame(
    title: &str,
    max_label: &str,
    first: Option<NaiveDate>,
    last: Option<NaiveDate>,
) -> String {
    format!(
        "<title>{title}</title><line x1=\"{PAD_L}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"#4a5360\"/>\
         <line x1=\"{PAD_L}\" y1=\"{PAD_T}\" x2=\"{PAD_L}\" y2=\"{b}\" stroke=\"#4a5360\"/>\
         <text x=\"4\" y=\"{ty}\" font-size=\"11\" fill=\"#1b1f24\">{max_label}</text>\
         <text x=\"4\" y=\"{b}\" font-size=\"11\" fill=\"#1b1f24\">0</text>\
         <text x=\"{PAD_L}\" y=\"{by}\" font-size=\"11\" fill=\"#1b1f24\">{f}</text>\
         <text x=\"{r}\" y=\"{by}\" font-size=\"11\" fill=\"#1b1f24\" text-anchor=\"end\">{l}</text>",
        b = H - PAD_B,
        r = W - 12.0,
        ty = PAD_T + 10.0,
        by = H - 8.0,
        f = first.map(|d| d.to_string()).unwrap_or_default(),
        l = last.map(|d| d.to_string()).unwrap_or_default(),
    )
}

fn svg(body: String, label: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{label}\" class=\"chart\">{body}</svg>"
    )
}

/// Bars: one per week.
pub fn bars(title: &str, points: &[(NaiveDate, f64)]) -> String {
    let max = points.iter().map(|p| p.1).fold(0.0, f64::max).max(1.0);
    let n = points.len();
    let bw = ((W - PAD_L - 12.0) / n.max(1) as f64 * 0.7).max(2.0);
    let mut body = frame(
        title,
        &format!("{max:.0}"),
        points.first().map(|p| p.0),
        points.last().map(|p| p.0),
    );
    for (i, (d, v)) in points.iter().enumerate() {
        let x = x_of(i, n) - bw / 2.0;
        let y = y_of(*v, max);
        body.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bw:.1}\" height=\"{:.1}\" fill=\"#0b4f8a\"><title>{d}: {v:.0}</title></rect>",
            (H - PAD_B - y).max(0.0)
        ));
    }
    svg(body, title)
}

/// A line of shares (0..1), with an optional limit line.
pub fn line(title: &str, points: &[(NaiveDate, f64)], limit: Option<f64>) -> String {
    let top = points
        .iter()
        .map(|p| p.1)
        .chain(limit)
        .fold(0.0, f64::max)
        .max(0.01)
        * 1.1;
    let n = points.len();
    let mut body = frame(
        title,
        &format!("{:.0} %", top * 100.0),
        points.first().map(|p| p.0),
        points.last().map(|p| p.0),
    );
    if let Some(l) = limit {
        let y = y_of(l, top);
        body.push_str(&format!(
            "<line x1=\"{PAD_L}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#b00020\" stroke-dasharray=\"6 4\" class=\"limit\"/>",
            W - 12.0
        ));
    }
    let pts: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, (_, v))| format!("{:.1},{:.1}", x_of(i, n), y_of(*v, top)))
        .collect();
    if !pts.is_empty() {
        body.push_str(&format!(
            "<polyline points=\"{}\" fill=\"none\" stroke=\"#0f6b3a\" stroke-width=\"2\"/>",
            pts.join(" ")
        ));
    }
    for (i, (d, v)) in points.iter().enumerate() {
        body.push_str(&format!(
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"#0f6b3a\"><title>{d}: {:.1} %</title></circle>",
            x_of(i, n),
            y_of(*v, top),
            v * 100.0
        ));
    }
    svg(body, title)
}
