//! Exports of the daily figures (norm 4.3): CSV (safe against formula
//! injection), XLSX with charts, JSON. Exactly the rows the statistics page
//! shows.

use std::borrow::Cow;

use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{Chart, ChartType, ExcelDateTime, Format, Workbook, XlsxError};

use crate::domain::stats::{self, DayRow, Period, Totals, WeekRow};

/// The formats of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    Xlsx,
    Json,
}

impl FileFormat {
    /// `csv` (also empty), `xlsx` or `json`.
    pub fn parse(s: &str) -> Option<FileFormat> {
        match s {
            "" | "csv" => Some(FileFormat::Csv),
            "xlsx" => Some(FileFormat::Xlsx),
            "json" => Some(FileFormat::Json),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            FileFormat::Csv => "csv",
            FileFormat::Xlsx => "xlsx",
            FileFormat::Json => "json",
        }
    }
}

/// An export ready to send: its type, the file name offered, its bytes.
pub struct Download {
    pub content_type: &'static str,
    /// The file name to save as; `None` for JSON, which is read, not saved.
    pub filename: Option<String>,
    pub body: DownloadBody,
}

pub enum DownloadBody {
    Whole(Vec<u8>),
    /// In pieces, so the answer never holds the whole file (the CSV).
    Pieces(Box<dyn Iterator<Item = Vec<u8>> + Send>),
}

/// Rows per piece of a streamed CSV.
const CSV_PIECE: usize = 2_000;

/// The export of `rows` (the period `p`) in format `fmt`.
/// The UTF-8 byte order mark: Excel reads a CSV without it in the
/// machine's legacy code page and breaks æøå.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// `people`: the back office's export for a person, in their language (the
/// XLSX headers translated, the CSV with a byte order mark for Excel);
/// `None`: the API's files exactly as documented.
pub fn download(
    fmt: FileFormat,
    p: &Period,
    rows: Vec<DayRow>,
    limit_percent: f64,
    people: Option<crate::i18n::Lang>,
) -> Result<Download, XlsxError> {
    let name = format!("statistikk-{}-{}", p.from, p.to);
    Ok(match fmt {
        FileFormat::Json => {
            let doc = serde_json::json!({
                "from": p.from, "to": p.to, "abandoned_limit_percent": limit_percent,
                "totals": stats::totals(&rows), "days": rows,
            });
            Download {
                content_type: "application/json",
                filename: None,
                body: DownloadBody::Whole(serde_json::to_vec(&doc).unwrap_or_default()),
            }
        }
        FileFormat::Xlsx => Download {
            content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            filename: Some(format!("{name}.xlsx")),
            body: DownloadBody::Whole(xlsx(
                &rows,
                &stats::totals(&rows),
                &stats::weekly(&rows),
                limit_percent,
                people,
            )?),
        },
        FileFormat::Csv => {
            let n = rows.len();
            let pieces = std::iter::once(match people {
                Some(_) => [BOM, &csv_header()].concat(),
                None => csv_header(),
            })
            .chain(
                (0..n.div_ceil(CSV_PIECE))
                    .map(move |i| csv_rows(&rows[i * CSV_PIECE..((i + 1) * CSV_PIECE).min(n)])),
            );
            Download {
                content_type: "text/csv; charset=utf-8",
                filename: Some(format!("{name}.csv")),
                body: DownloadBody::Pieces(Box::new(pieces)),
            }
        }
    })
}

pub const COLUMNS: [&str; 13] = [
    "date",
    "campaign",
    "campaign_name",
    "client",
    "attempted",
    "answered",
    "connected",
    "transferred",
    "abandoned",
    "abandoned_rate",
    "over_limit_day",
    "over_limit_week",
    "complaints",
];

/// A text cell a spreadsheet would read as a formula is neutralised with a
/// leading apostrophe (OWASP's advice for CSV injection).
pub fn safe_text(s: &str) -> String {
    safe_cell(s).into_owned()
}

/// [`safe_text`] without a copy when nothing needs changing.
fn safe_cell(s: &str) -> Cow<'_, str> {
    if starts_formula(s.as_bytes()) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// True when a spreadsheet would read a cell starting so as a formula (the
/// rule [`safe_text`] applies; the wash echoes input by bytes).
pub fn starts_formula(s: &[u8]) -> bool {
    matches!(s.first(), Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r'))
}

fn excel_date(d: NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
}

/// The CSV header line.
pub fn csv_header() -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    let _ = w.write_record(COLUMNS);
    w.into_inner().unwrap_or_default()
}

/// CSV lines for some rows (the export streams them chunk by chunk).
/// `;` separated: what Norwegian Excel expects. Fields are written one by
/// one from reused buffers (13 strings a row made the file's 73,000 rows
/// cost as much as reading them).
pub fn csv_rows(rows: &[DayRow]) -> Vec<u8> {
    use std::io::Write as _;
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .from_writer(Vec::with_capacity(rows.len() * 80));
    let mut num = itoa::Buffer::new();
    let mut text = Vec::with_capacity(16);
    for r in rows {
        let _ = w.write_field(iso_date(r.date, &mut text));
        let _ = w.write_field(safe_cell(&r.campaign_code).as_bytes());
        let _ = w.write_field(safe_cell(&r.campaign).as_bytes());
        let _ = w.write_field(safe_cell(&r.client).as_bytes());
        for n in [
            r.attempted,
            r.answered,
            r.connected,
            r.transferred,
            r.abandoned,
        ] {
            let _ = w.write_field(num.format(n));
        }
        text.clear();
        if let Some(rate) = r.abandoned_rate {
            let _ = write!(text, "{rate:.4}");
        }
        let _ = w.write_field(&text);
        let _ = w.write_field(if r.over_limit_day { "true" } else { "false" });
        let _ = w.write_field(if r.over_limit_week { "true" } else { "false" });
        let _ = w.write_field(num.format(r.complaints));
        let _ = w.write_record(None::<&[u8]>);
    }
    w.into_inner().unwrap_or_default()
}

/// `YYYY-MM-DD` in `buf` (chrono's `format` reads its pattern anew for
/// every call: a third of the CSV's time).
fn iso_date(d: NaiveDate, buf: &mut Vec<u8>) -> &[u8] {
    buf.clear();
    let y = d.year();
    if (0..=9999).contains(&y) {
        let y = y as u32;
        let (m, day) = (d.month(), d.day());
        for digit in [y / 1000, y / 100 % 10, y / 10 % 10, y % 10] {
            buf.push(b'0' + digit as u8);
        }
        buf.extend_from_slice(&[
            b'-',
            b'0' + (m / 10) as u8,
            b'0' + (m % 10) as u8,
            b'-',
            b'0' + (day / 10) as u8,
            b'0' + (day % 10) as u8,
        ]);
    } else {
        use std::io::Write as _;
        let _ = write!(buf, "{d}");
    }
    buf
}

/// The zip level of the workbook (1 fastest, 9 smallest).
pub const XLSX_ZIP_LEVEL: u8 = 1;

/// The workbook: the daily table with totals, and a sheet of weekly
/// figures with charts (complaints per week, abandoned rate against the limit).
pub fn xlsx(
    rows: &[DayRow],
    totals: &Totals,
    weeks: &[WeekRow],
    limit_percent: f64,
    people: Option<crate::i18n::Lang>,
) -> Result<Vec<u8>, XlsxError> {
    xlsx_at_level(rows, totals, weeks, limit_percent, people, XLSX_ZIP_LEVEL)
}

/// [`xlsx`] at another zip level (the bench compares them).
pub fn xlsx_at_level(
    rows: &[DayRow],
    totals: &Totals,
    weeks: &[WeekRow],
    limit_percent: f64,
    people: Option<crate::i18n::Lang>,
    zip_level: u8,
) -> Result<Vec<u8>, XlsxError> {
    // A column's header: its code, or in the reader's language.
    let head = |code: &str| match people {
        Some(lang) => lang.t(&format!("export-col-{}", code.replace('_', "-"))),
        None => code.to_string(),
    };
    let mut wb = Workbook::new();
    // Level 1 instead of 6: a year of 200 campaigns (73,000 rows) saves in
    // about half the time (0.8 s against 1.5 s) for a file of 6.5 MB instead
    // of 3.6 MB (measured by `innsyn bench stats`).
    wb.set_zip_compression_level(zip_level);
    let bold = Format::new().set_bold();
    let pct = Format::new().set_num_format("0.00%");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let ws = wb.add_worksheet().set_name("Daglig")?;
    for (c, h) in COLUMNS.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, head(h), &bold)?;
    }
    // The rows come day by day: each day's date converted once.
    let mut day: Option<(NaiveDate, ExcelDateTime)> = None;
    for (i, r) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        let d = match &day {
            Some((d, x)) if *d == r.date => x.clone(),
            _ => {
                let x = excel_date(r.date)?;
                day = Some((r.date, x.clone()));
                x
            }
        };
        ws.write_datetime_with_format(row, 0, d, &date)?;
        ws.write_string(row, 1, safe_cell(&r.campaign_code))?;
        ws.write_string(row, 2, safe_cell(&r.campaign))?;
        ws.write_string(row, 3, safe_cell(&r.client))?;
        for (c, v) in [
            r.attempted,
            r.answered,
            r.connected,
            r.transferred,
            r.abandoned,
        ]
        .into_iter()
        .enumerate()
        {
            ws.write_number(row, 4 + c as u16, v as f64)?;
        }
        if let Some(x) = r.abandoned_rate {
            ws.write_number_with_format(row, 9, x, &pct)?;
        }
        ws.write_boolean(row, 10, r.over_limit_day)?;
        ws.write_boolean(row, 11, r.over_limit_week)?;
        ws.write_number(row, 12, r.complaints as f64)?;
    }
    let t = rows.len() as u32 + 1;
    ws.write_string_with_format(t, 0, head("total"), &bold)?;
    for (c, v) in [
        totals.attempted,
        totals.answered,
        totals.connected,
        totals.transferred,
        totals.abandoned,
    ]
    .into_iter()
    .enumerate()
    {
        ws.write_number_with_format(t, 4 + c as u16, v as f64, &bold)?;
    }
    if let Some(x) = totals.abandoned_rate {
        ws.write_number_with_format(t, 9, x, &pct)?;
    }
    ws.write_number_with_format(t, 12, totals.complaints as f64, &bold)?;

    let wk = wb.add_worksheet().set_name("Uke")?;
    for (c, h) in ["week", "complaints", "abandoned_rate", "limit"]
        .iter()
        .enumerate()
    {
        wk.write_string_with_format(0, c as u16, head(h), &bold)?;
    }
    for (i, w) in weeks.iter().enumerate() {
        let row = i as u32 + 1;
        wk.write_datetime_with_format(row, 0, excel_date(w.monday)?, &date)?;
        wk.write_number(row, 1, w.complaints as f64)?;
        wk.write_number_with_format(row, 2, w.abandoned_rate.unwrap_or(0.0), &pct)?;
        wk.write_number_with_format(row, 3, limit_percent / 100.0, &pct)?;
    }
    if !weeks.is_empty() {
        let last = weeks.len() as u32;
        let mut c1 = Chart::new(ChartType::Column);
        c1.title().set_name("Klager per uke");
        c1.add_series()
            .set_categories(("Uke", 1, 0, last, 0))
            .set_values(("Uke", 1, 1, last, 1))
            .set_name("Klager");
        wk.insert_chart(1, 5, &c1)?;
        let mut c2 = Chart::new(ChartType::Line);
        c2.title().set_name("Avbrutte samtaler mot grensen");
        c2.add_series()
            .set_categories(("Uke", 1, 0, last, 0))
            .set_values(("Uke", 1, 2, last, 2))
            .set_name("Andel avbrutt");
        c2.add_series()
            .set_categories(("Uke", 1, 0, last, 0))
            .set_values(("Uke", 1, 3, last, 3))
            .set_name("Grense");
        wk.insert_chart(17, 5, &c2)?;
    }
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_start_a_formula_are_neutralised() {
        assert_eq!(safe_text("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(safe_text("+47"), "'+47");
        assert_eq!(safe_text("-1"), "'-1");
        assert_eq!(safe_text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(safe_text("Vestlandsstraum AS"), "Vestlandsstraum AS");
    }

    #[test]
    fn dates_are_written_as_chrono_writes_them() {
        let mut buf = Vec::new();
        let mut d = NaiveDate::from_ymd_opt(1899, 12, 25).unwrap();
        while d.year() < 2201 {
            assert_eq!(iso_date(d, &mut buf), d.to_string().as_bytes());
            d += chrono::Duration::days(3);
        }
        for d in [
            (5, 1, 2),
            (999, 12, 31),
            (9999, 12, 31),
            (10_000, 1, 1),
            (-1, 6, 7),
        ] {
            let d = NaiveDate::from_ymd_opt(d.0, d.1, d.2).unwrap();
            assert_eq!(iso_date(d, &mut buf), d.to_string().as_bytes());
        }
    }

    #[test]
    fn csv_rows_are_each_field_as_text_quoted_where_csv_needs_it() {
        let row = |date: &str, code: &str, name: &str, client: &str, rate: Option<f64>| DayRow {
            date: NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap(),
            campaign_code: code.into(),
            campaign: name.into(),
            client: client.into(),
            attempted: 1000,
            answered: 600,
            connected: 0,
            transferred: -1,
            abandoned: i64::MAX,
            complaints: 3,
            abandoned_rate: rate,
            over_limit_day: rate.is_some(),
            over_limit_week: false,
        };
        let rows = [
            row(
                "2026-01-05",
                "VS-1",
                "Fastpris; vinter",
                "Kraft \"AS\"",
                Some(3.33333),
            ),
            row(
                "0999-12-31",
                "=HYPERLINK(1)",
                "navn\nmed linjeskift",
                "@x",
                None,
            ),
            row("2026-11-30", "A", "", "Bråten & sønn", Some(0.0)),
        ];
        assert_eq!(
            String::from_utf8(csv_rows(&rows)).unwrap(),
            "2026-01-05;VS-1;\"Fastpris; vinter\";\"Kraft \"\"AS\"\"\";1000;600;0;-1;9223372036854775807;3.3333;true;false;3\n\
             0999-12-31;'=HYPERLINK(1);\"navn\nmed linjeskift\";'@x;1000;600;0;-1;9223372036854775807;;false;false;3\n\
             2026-11-30;A;;Bråten & sønn;1000;600;0;-1;9223372036854775807;0.0000;true;false;3\n"
        );
    }
}
