//! Statistics for managers (norm 4.3, 4.6.2, 4.4.3): the daily figures with
//! their flags and charts, import from the dialer, exports.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use entity::{campaign, client};

use crate::domain::stats::{
    self, DayRow, ExportQuery, ImportError, LineError, Period, SlaReport, Source, StatsFilter,
    Totals,
};
use crate::domain::time::oslo_today;
use crate::domain::{catalogue::settings, stats::charts};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::views::AdminCtx;

const PATH: &str = "/admin/statistikk";

/// Rows shown per page of the daily table (the export has them all).
const SHOWN: usize = 500;

#[derive(Template, WebTemplate)]
#[template(path = "admin/stats.html")]
pub struct StatsPage {
    ctx: AdminCtx,
    f: StatsFilter,
    period: Option<Period>,
    error: Option<&'static str>,
    rows: Vec<DayRow>,
    total_rows: usize,
    totals: Totals,
    sla: Option<SlaReport>,
    clients: Vec<client::Model>,
    campaigns: Vec<campaign::Model>,
    charts: Vec<charts::Series>,
    import: Option<Result<usize, Vec<LineError>>>,
}

impl StatsPage {
    fn pct(&self, r: &Option<f64>) -> String {
        self.ctx.pct(r)
    }
    fn svg(&self, c: &charts::Series) -> String {
        c.svg(self.ctx.lang)
    }
    fn value(&self, c: &charts::Series, v: &f64) -> String {
        c.value(*v, self.ctx.lang)
    }
    fn day(&self, d: &chrono::NaiveDate) -> String {
        crate::domain::time::date(*d, self.ctx.lang)
    }
    /// The period shown, in words.
    fn period_text(&self) -> String {
        match &self.period {
            Some(p) => self.ctx.ta(
                if self.f.from.trim().is_empty() && self.f.to.trim().is_empty() {
                    "stats-period-default"
                } else {
                    "stats-period"
                },
                &[("from", self.day(&p.from)), ("to", self.day(&p.to))],
            ),
            None => String::new(),
        }
    }
    fn dur(&self, s: &Option<i64>) -> String {
        match s {
            Some(s) => format!("{} t {} min", s / 3600, (s % 3600) / 60),
            None => "–".into(),
        }
    }
    fn query(&self) -> String {
        serde_urlencoded::to_string([
            ("from", self.f.from.as_str()),
            ("to", self.f.to.as_str()),
            ("oppdragsgiver", self.f.oppdragsgiver.as_str()),
            ("kampanje", self.f.kampanje.as_str()),
        ])
        .unwrap_or_default()
    }
}

async fn build(
    s: &AppState,
    ctx: AdminCtx,
    f: StatsFilter,
    import: Option<Result<usize, Vec<LineError>>>,
) -> AppResult<StatsPage> {
    let ctx = ctx.at(PATH);
    let now = s.clock.now();
    let limit = s.config.abandoned_rate_limit_percent;
    let (period, error) = match f.period(oslo_today(now)) {
        Ok(p) => (Some(p), None),
        Err(e) => (None, Some(e)),
    };
    let (rows, sla) = match &period {
        Some(p) => (
            stats::daily(&s.db, p, limit).await?,
            Some(stats::sla(&s.db, p, now).await?),
        ),
        None => (vec![], None),
    };
    let lang = ctx.lang;
    let daily = period
        .as_ref()
        .is_none_or(|p| (p.to - p.from).num_days() < charts::DAILY_UP_TO_DAYS);
    let buckets = charts::buckets(&rows, daily);
    let x_title = lang.t(if daily {
        "stats-axis-day"
    } else {
        "stats-axis-week"
    });
    let charts = vec![
        charts::Series {
            title: lang.t("stats-chart-complaints"),
            x_title: x_title.clone(),
            y_title: lang.t("stats-axis-count"),
            axis: charts::Axis::Count,
            points: buckets.iter().map(|b| (b.0, b.1 as f64)).collect(),
            limit: None,
        },
        charts::Series {
            title: lang.t("stats-chart-sla"),
            x_title: lang.t("stats-axis-week"),
            y_title: lang.t("stats-axis-share"),
            axis: charts::Axis::Percent,
            points: sla
                .as_ref()
                .map(|r| r.weekly_share.iter().map(|(d, v)| (*d, *v)).collect())
                .unwrap_or_default(),
            limit: None,
        },
        charts::Series {
            title: lang.t1("stats-chart-abandoned-limit", "limit", limit),
            x_title,
            y_title: lang.t("stats-axis-share"),
            axis: charts::Axis::Percent,
            points: buckets
                .iter()
                .filter_map(|b| b.2.map(|r| (b.0, r)))
                .collect(),
            limit: Some(limit / 100.0),
        },
    ];
    let totals = stats::totals(&rows);
    let total_rows = rows.len();
    Ok(StatsPage {
        ctx,
        f,
        period,
        error,
        rows: rows.into_iter().take(SHOWN).collect(),
        total_rows,
        totals,
        sla,
        clients: settings::clients(&s.db).await?,
        campaigns: settings::campaigns(&s.db).await?,
        charts,
        import,
    })
}

pub async fn page(
    State(s): State<AppState>,
    ctx: AdminCtx,
    Query(f): Query<StatsFilter>,
) -> AppResult<Response> {
    let page = build(&s, ctx, f, None).await?;
    let status = if page.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, page).into_response())
}

/// The CSV upload: all lines checked before anything is stored.
pub async fn import(
    State(s): State<AppState>,
    ctx: AdminCtx,
    mut form: Multipart,
) -> AppResult<Response> {
    let mut text = None;
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some("fil") {
            let bytes = field
                .bytes()
                .await
                .map_err(|_| AppError::BadRequest("the file could not be read"))?;
            text = Some(String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    let text = text.ok_or(AppError::BadRequest("no file (field fil)"))?;
    let now = s.clock.now();
    let outcome = match stats::parse_csv(&text) {
        Ok(rows) => match stats::store(&s.db, &rows, Source::Upload, &ctx.actor(), now).await {
            Ok(n) => Ok(n),
            Err(ImportError::Lines(lines)) => Err(lines),
            Err(ImportError::Db(e)) => return Err(e.into()),
        },
        Err(lines) => Err(lines),
    };
    let status = if outcome.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        build(&s, ctx, StatsFilter::default(), Some(outcome)).await?,
    )
        .into_response())
}

/// Export exactly what the page shows, every row; audited.
pub async fn export(
    State(s): State<AppState>,
    ctx: AdminCtx,
    Query(q): Query<ExportQuery>,
) -> AppResult<Response> {
    let limit = s.config.abandoned_rate_limit_percent;
    // For a person: headers in their language, a CSV Excel reads as UTF-8.
    let d = stats::export(
        &s.db,
        &q.f,
        &q.format,
        limit,
        &ctx.actor(),
        s.clock.now(),
        Some(ctx.lang),
    )
    .await?;
    Ok(crate::views::download(d))
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/norm.html")]
pub struct NormPage {
    ctx: AdminCtx,
    checks: Vec<crate::domain::stats::norm_overview::Check>,
    /// The national register's warning, if any (norm 10).
    national: Option<crate::domain::dialer::national::Notice>,
}

pub async fn norm(State(s): State<AppState>, ctx: AdminCtx) -> AppResult<NormPage> {
    Ok(NormPage {
        ctx,
        checks: crate::domain::stats::norm_overview::checks(
            &s.db,
            s.clock.now(),
            s.config.abandoned_rate_limit_percent,
        )
        .await?,
        national: crate::domain::dialer::national::notice(
            crate::domain::dialer::national::current(&s.db)
                .await?
                .as_ref(),
            s.clock.now(),
        ),
    })
}
