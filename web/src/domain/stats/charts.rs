//! Charts of the figures (norm 4.3, 4.6.2), drawn on the server as SVG: no
//! JavaScript needed. Full width, labelled axes, one bar per day or week
//! with its value on hover (`<title>`); a percentage axis starts at 0 and
//! never goes above 100 %; a limit is drawn as a line. The same values are
//! given to the page as a table (`Series::points`).

use chrono::NaiveDate;

use crate::domain::format;
use crate::i18n::Lang;

const W: f64 = 960.0;
const H: f64 = 280.0;
const PAD_L: f64 = 64.0;
const PAD_R: f64 = 16.0;
const PAD_B: f64 = 48.0;
const PAD_T: f64 = 16.0;

/// What a chart's values are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axis {
    /// Whole numbers from 0.
    Count,
    /// Shares (0..1), shown as 0-100 %.
    Percent,
}

/// One chart: its title, axis titles and bars (bucket start, value).
#[derive(Clone, Debug)]
pub struct Series {
    pub title: String,
    pub x_title: String,
    pub y_title: String,
    pub axis: Axis,
    pub points: Vec<(NaiveDate, f64)>,
    /// A limit line (a share), e.g. the 5 % of norm 4.6.2.
    pub limit: Option<f64>,
}

/// XML text: the titles come from translations.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The top of the axis: a round number above every value (and the limit);
/// for shares never above 100 %.
pub fn axis_top(axis: Axis, max: f64) -> f64 {
    match axis {
        Axis::Percent => {
            let steps = [0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 0.75, 1.0];
            steps
                .into_iter()
                .find(|s| *s >= max * 1.1 || *s >= 1.0 && max >= 0.9)
                .unwrap_or(1.0)
        }
        Axis::Count => {
            let m = max.max(1.0);
            let mag = 10f64.powf(m.log10().floor());
            [1.0, 2.0, 5.0, 10.0]
                .into_iter()
                .map(|f| f * mag)
                .find(|t| *t >= m)
                .unwrap_or(10.0 * mag)
        }
    }
}

impl Series {
    /// A value as the axis writes it.
    pub fn value(&self, v: f64, lang: Lang) -> String {
        match self.axis {
            Axis::Count => format::number(v.round() as i64, lang),
            Axis::Percent => format::percent(v, lang),
        }
    }

    /// The chart as SVG.
    pub fn svg(&self, lang: Lang) -> String {
        let max = self
            .points
            .iter()
            .map(|p| p.1)
            .chain(self.limit)
            .fold(0.0, f64::max);
        let top = axis_top(self.axis, max);
        let plot_w = W - PAD_L - PAD_R;
        let plot_h = H - PAD_T - PAD_B;
        let base = H - PAD_B;
        let y_of = |v: f64| base - plot_h * (v / top).clamp(0.0, 1.0);
        let mut b = String::new();
        // Grid and y-axis labels: 0, 1/4, 1/2, 3/4, top.
        for i in 0..=4 {
            let v = top * f64::from(i) / 4.0;
            let y = y_of(v);
            b.push_str(&format!(
                "<line x1=\"{PAD_L}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#d5dae0\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" fill=\"#1b1f24\" text-anchor=\"end\">{}</text>",
                W - PAD_R,
                PAD_L - 6.0,
                y + 4.0,
                esc(&self.value(v, lang))
            ));
        }
        // Axes and their titles.
        b.push_str(&format!(
            "<line x1=\"{PAD_L}\" y1=\"{base}\" x2=\"{:.1}\" y2=\"{base}\" stroke=\"#4a5360\"/>\
             <line x1=\"{PAD_L}\" y1=\"{PAD_T}\" x2=\"{PAD_L}\" y2=\"{base}\" stroke=\"#4a5360\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" fill=\"#1b1f24\" text-anchor=\"middle\" class=\"x-title\">{}</text>\
             <text x=\"14\" y=\"{:.1}\" font-size=\"12\" fill=\"#1b1f24\" text-anchor=\"middle\" transform=\"rotate(-90 14 {:.1})\" class=\"y-title\">{}</text>",
            W - PAD_R,
            PAD_L + plot_w / 2.0,
            H - 6.0,
            esc(&self.x_title),
            PAD_T + plot_h / 2.0,
            PAD_T + plot_h / 2.0,
            esc(&self.y_title),
        ));
        let n = self.points.len().max(1);
        let slot = plot_w / n as f64;
        let bw = (slot * 0.7).max(1.0);
        // Date labels: at most about eight, evenly spread.
        let every = n.div_ceil(8).max(1);
        for (i, (d, v)) in self.points.iter().enumerate() {
            let x = PAD_L + slot * i as f64 + (slot - bw) / 2.0;
            let y = y_of(*v);
            let label = format!(
                "{}: {}",
                crate::domain::time::date(*d, lang),
                self.value(*v, lang)
            );
            b.push_str(&format!(
                "<rect class=\"bar\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bw:.1}\" height=\"{:.1}\" fill=\"#0b4f8a\"><title>{}</title></rect>",
                (base - y).max(0.0),
                esc(&label)
            ));
            if i % every == 0 {
                b.push_str(&format!(
                    "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" fill=\"#1b1f24\" text-anchor=\"middle\">{}</text>",
                    x + bw / 2.0,
                    base + 16.0,
                    esc(&crate::domain::time::date(*d, lang)[..5])
                ));
            }
        }
        if let Some(l) = self.limit {
            let y = y_of(l);
            b.push_str(&format!(
                "<line x1=\"{PAD_L}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#b00020\" stroke-width=\"2\" stroke-dasharray=\"8 4\" class=\"limit\"><title>{}</title></line>\
                 <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" fill=\"#b00020\" text-anchor=\"end\">{}</text>",
                W - PAD_R,
                esc(&format::percent(l, lang)),
                W - PAD_R - 4.0,
                y - 4.0,
                esc(&format::percent(l, lang)),
            ));
        }
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\" class=\"chart\" data-top=\"{top}\"><title>{}</title>{b}</svg>",
            esc(&self.title),
            esc(&self.title)
        )
    }
}

/// The daily rows summed per day (`daily`) or per ISO week (its Monday):
/// (bucket, complaints, abandoned share of answered calls).
pub fn buckets(rows: &[super::DayRow], daily: bool) -> Vec<(NaiveDate, i64, Option<f64>)> {
    use chrono::{Datelike, Duration};
    let mut m: std::collections::BTreeMap<NaiveDate, (i64, i64, i64)> = Default::default();
    for r in rows {
        let key = if daily {
            r.date
        } else {
            r.date - Duration::days(i64::from(r.date.weekday().num_days_from_monday()))
        };
        let e = m.entry(key).or_default();
        e.0 += r.complaints;
        e.1 += r.abandoned;
        e.2 += r.answered;
    }
    m.into_iter()
        .map(|(d, (k, a, b))| (d, k, super::abandoned_rate(a, b)))
        .collect()
}

/// One bar per day up to this many days; longer periods get one per week.
pub const DAILY_UP_TO_DAYS: i64 = 62;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_percentage_axis_starts_at_zero_and_never_passes_100() {
        assert_eq!(axis_top(Axis::Percent, 0.04), 0.05);
        assert_eq!(axis_top(Axis::Percent, 0.06), 0.1);
        assert_eq!(axis_top(Axis::Percent, 0.95), 1.0);
        assert_eq!(axis_top(Axis::Percent, 1.0), 1.0);
        assert_eq!(axis_top(Axis::Percent, 0.0), 0.01);
        assert_eq!(axis_top(Axis::Count, 37.0), 50.0);
        assert_eq!(axis_top(Axis::Count, 0.0), 1.0);
    }

    #[test]
    fn a_bar_carries_its_value_and_the_limit_is_a_line() {
        let s = Series {
            title: "Avbrutte".into(),
            x_title: "Dag".into(),
            y_title: "Andel".into(),
            axis: Axis::Percent,
            points: vec![(NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(), 0.125)],
            limit: Some(0.05),
        };
        let svg = s.svg(Lang::Nb);
        assert!(svg.contains("30.11.2026: 12,5\u{a0}%"), "{svg}");
        assert!(svg.contains("class=\"limit\""));
        assert!(svg.contains("data-top=\"0.2\""));
    }
}
