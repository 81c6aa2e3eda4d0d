//! The statistics export (norm 4.3, 4.6.2): exactly the figures the
//! statistics page shows, every row, as CSV (streamed), XLSX or JSON, and
//! audited. Shared by the back office (`/admin/statistikk/eksport`) and the
//! statistics API (`GET /api/v1/stats`).

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::domain::privacy::audit::{self, Actor, Entry};
use crate::domain::stats::{self, StatsFilter, export};
use crate::domain::time::oslo_today;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The query of an export: the page's filter and `format` (csv when empty).
#[derive(serde::Deserialize, Default)]
pub struct ExportQuery {
    #[serde(flatten)]
    pub f: StatsFilter,
    #[serde(default)]
    pub format: String,
}

/// The export of `q`, recorded in the audit log as made by `by`.
pub async fn respond_export(s: &AppState, by: &Actor, q: &ExportQuery) -> AppResult<Response> {
    let now = s.clock.now();
    let p =
        q.f.period(oslo_today(now))
            .map_err(|_| AppError::BadRequest("from/to: dates as YYYY-MM-DD, from before to"))?;
    let limit = s.config.abandoned_rate_limit_percent;
    let rows = stats::daily(&s.db, &p, limit).await?;
    audit::record(
        &s.db,
        now,
        by,
        Entry::new("stats.export").detail(format!(
            "format={} from={} to={} rows={}",
            if q.format.is_empty() {
                "csv"
            } else {
                q.format.as_str()
            },
            p.from,
            p.to,
            rows.len()
        )),
    )
    .await?;
    let name = format!("statistikk-{}-{}", p.from, p.to);
    match q.format.as_str() {
        "json" => Ok(axum::Json(serde_json::json!({
            "from": p.from, "to": p.to, "abandoned_limit_percent": limit,
            "totals": stats::totals(&rows), "days": rows,
        }))
        .into_response()),
        "xlsx" => {
            let bytes = export::xlsx(&rows, &stats::totals(&rows), &stats::weekly(&rows), limit)
                .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
            Ok((
                [
                    (
                        header::CONTENT_TYPE,
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                            .to_string(),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}.xlsx\""),
                    ),
                ],
                bytes,
            )
                .into_response())
        }
        "" | "csv" => {
            // Streamed in chunks: the response never holds the whole file.
            const CHUNK: usize = 2_000;
            let n = rows.len();
            let chunks =
                std::iter::once(export::csv_header())
                    .chain((0..n.div_ceil(CHUNK)).map(move |i| {
                        export::csv_rows(&rows[i * CHUNK..((i + 1) * CHUNK).min(n)])
                    }));
            let stream = futures_util::stream::iter(chunks.map(Ok::<_, std::io::Error>));
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}.csv\""),
                    ),
                ],
                Body::from_stream(stream),
            )
                .into_response())
        }
        _ => Err(AppError::BadRequest("format: csv, xlsx or json")),
    }
}
